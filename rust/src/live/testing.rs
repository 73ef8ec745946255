//! `LocalExchange`: a WebSocket server on 127.0.0.1 speaking Binance spot's market-stream
//! protocol (a `SUBSCRIBE` and its acknowledgement, trades, book tickers), scripted from
//! Python: frames sent on request, connections dropped, a subscription rejected; and, on the
//! same port, the REST depth snapshot barter-data's L2 stream asks for first. A live
//! system's `endpoints` point barter-data's own Binance connector at it, so tests and
//! rehearsals need no internet.

use futures::{SinkExt, StreamExt};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio_tungstenite::tungstenite::Message;

enum Out {
    Text(String),
    Close,
}

struct Connection {
    id: u64,
    streams: Vec<String>,
    out: UnboundedSender<Out>,
}

#[derive(Default)]
struct Server {
    open: Vec<Connection>,
    /// Every stream subscribed to, in order, over all connections.
    subscriptions: Vec<String>,
    /// Connections that subscribed, ever.
    connections: usize,
    next_id: u64,
    reject_next: bool,
    /// Text frames sent, once per connection.
    sent: u64,
    /// The REST depth snapshot of each (upper-case) symbol, as Binance's JSON.
    snapshots: std::collections::HashMap<String, String>,
    /// REST requests answered.
    snapshot_requests: usize,
}

#[derive(Default)]
struct Shared {
    server: Mutex<Server>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Server> {
        self.server.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[pyclass(
    frozen,
    subclass,
    module = "barter_python._native",
    name = "LocalExchange"
)]
pub struct PyLocalExchange {
    port: u16,
    shared: Arc<Shared>,
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
}

#[pymethods]
impl PyLocalExchange {
    /// Listen on a free port of 127.0.0.1.
    #[new]
    fn new(py: Python<'_>) -> PyResult<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("local-exchange")
            .enable_all()
            .build()
            .map_err(|err| PyRuntimeError::new_err(format!("cannot start tokio: {err}")))?;
        let listener = py
            .detach(|| runtime.block_on(TcpListener::bind("127.0.0.1:0")))
            .map_err(|err| PyRuntimeError::new_err(format!("cannot listen: {err}")))?;
        let port = listener
            .local_addr()
            .map_err(|err| PyRuntimeError::new_err(err.to_string()))?
            .port();
        let shared = Arc::new(Shared::default());
        let serving = shared.clone();
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(serve(tcp, serving.clone()));
            }
        });
        Ok(Self {
            port,
            shared,
            runtime: Mutex::new(Some(runtime)),
        })
    }

    /// `ws://127.0.0.1:{port}/ws`, for a live system's `endpoints`.
    #[getter]
    fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port)
    }

    #[getter]
    fn port(&self) -> u16 {
        self.port
    }

    /// Every stream subscribed to, in order (`btcusdt@trade`, `btcusdt@bookTicker`).
    #[getter]
    fn subscriptions(&self) -> Vec<String> {
        self.shared.lock().subscriptions.clone()
    }

    /// Connections that subscribed, ever (a reconnection counts again).
    #[getter]
    fn connections(&self) -> usize {
        self.shared.lock().connections
    }

    /// Subscribed connections open now.
    #[getter]
    fn open_connections(&self) -> usize {
        self.shared.lock().open.len()
    }

    /// The REST depth snapshot (Binance's JSON) served for `symbol` from now on.
    fn _set_snapshot(&self, symbol: &str, body: String) {
        self.shared
            .lock()
            .snapshots
            .insert(symbol.to_uppercase(), body);
    }

    /// REST depth snapshot requests answered (a stream's (re)connection asks for one).
    #[getter]
    fn snapshot_requests(&self) -> usize {
        self.shared.lock().snapshot_requests
    }

    /// Wait until `count` subscribed connections are open; False if not within `timeout` s.
    #[pyo3(signature = (count=1, timeout=5.0))]
    fn wait_connected(&self, py: Python<'_>, count: usize, timeout: f64) -> PyResult<bool> {
        let deadline = Instant::now() + seconds(timeout)?;
        loop {
            let ready = py.detach(|| {
                let server = self.shared.lock();
                let slice = Duration::from_millis(100);
                let (server, _) = self
                    .shared
                    .changed
                    .wait_timeout_while(server, slice, |s| s.open.len() < count)
                    .unwrap_or_else(|p| p.into_inner());
                server.open.len() >= count
            });
            if ready {
                return Ok(true);
            }
            py.check_signals()?;
            if Instant::now() >= deadline {
                return Ok(false);
            }
        }
    }

    /// Send one raw text frame to the connections subscribed to its stream (a trade to
    /// `{symbol}@trade`, a book ticker to `{symbol}@bookTicker`; anything else, or with
    /// `everyone`, to every connection). Returns how many connections it went to.
    #[pyo3(signature = (frame, *, everyone=false))]
    fn send(&self, frame: &str, everyone: bool) -> usize {
        let stream = if everyone { None } else { stream_of(frame) };
        let mut server = self.shared.lock();
        route(&mut server, stream.as_deref(), frame)
    }

    /// Text frames sent, counted once per connection they went to.
    #[getter]
    fn frames_sent(&self) -> u64 {
        self.shared.lock().sent
    }

    /// Send `frames` in order, `per_second` of them a second (all at once if `None`); the
    /// wall-clock time of each send (seconds since the epoch, as `time.time()`).
    #[pyo3(signature = (frames, *, per_second=None))]
    fn replay(
        &self,
        py: Python<'_>,
        frames: Vec<String>,
        per_second: Option<f64>,
    ) -> PyResult<Vec<f64>> {
        let gap = match per_second {
            Some(rate) if !(rate.is_finite() && rate > 0.0) => {
                return Err(PyValueError::new_err(format!(
                    "per_second must be positive, got {rate}"
                )))
            }
            Some(rate) => Some(Duration::from_secs_f64(1.0 / rate)),
            None => None,
        };
        let routed: Vec<_> = frames.iter().map(|f| stream_of(f)).collect();
        Ok(py.detach(|| {
            let start = Instant::now();
            let mut sent = Vec::with_capacity(frames.len());
            for (at, (frame, stream)) in frames.iter().zip(&routed).enumerate() {
                if let Some(gap) = gap {
                    let due = start + gap * at as u32;
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                }
                let mut server = self.shared.lock();
                sent.push(now());
                route(&mut server, stream.as_deref(), frame);
            }
            sent
        }))
    }

    /// Close every connection (barter-data reconnects and subscribes again). Returns how many.
    fn drop_connections(&self) -> usize {
        let mut server = self.shared.lock();
        let dropped = server.open.len();
        for connection in server.open.drain(..) {
            let _ = connection.out.send(Out::Close);
        }
        self.shared.changed.notify_all();
        dropped
    }

    /// Answer the next `SUBSCRIBE` with Binance's failure response, then close that connection.
    fn reject_next_subscription(&self) {
        self.shared.lock().reject_next = true;
    }

    /// Stop listening and close every connection.
    fn close(&self, py: Python<'_>) {
        if let Some(runtime) = self
            .runtime
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            py.detach(|| runtime.shutdown_timeout(Duration::from_secs(1)));
        }
        self.shared.lock().open.clear();
    }
}

impl Drop for PyLocalExchange {
    fn drop(&mut self) {
        if let Some(runtime) = self
            .runtime
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            runtime.shutdown_background();
        }
    }
}

fn seconds(value: f64) -> PyResult<Duration> {
    if !(value.is_finite() && value >= 0.0) {
        return Err(PyValueError::new_err(format!(
            "timeout must be a non-negative number of seconds, got {value}"
        )));
    }
    Ok(Duration::from_secs_f64(value))
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The Binance stream a frame belongs to, by its fields: `e: "trade"`, `e: "depthUpdate"` or
/// a book ticker's `u`.
fn stream_of(frame: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(frame).ok()?;
    let symbol = value.get("s")?.as_str()?.to_lowercase();
    let event = value.get("e").and_then(|e| e.as_str());
    if event == Some("trade") {
        Some(format!("{symbol}@trade"))
    } else if event == Some("depthUpdate") {
        Some(format!("{symbol}@depth@100ms"))
    } else if value.get("u").is_some() && value.get("b").is_some() {
        Some(format!("{symbol}@bookTicker"))
    } else {
        None
    }
}

fn route(server: &mut Server, stream: Option<&str>, frame: &str) -> usize {
    let mut count = 0;
    for connection in &server.open {
        let wanted = stream.is_none_or(|s| connection.streams.iter().any(|c| c == s));
        if wanted && connection.out.send(Out::Text(frame.to_string())).is_ok() {
            count += 1;
        }
    }
    server.sent += count as u64;
    count
}

/// One client: its `SUBSCRIBE` answered, then whatever Python sends it, until either side
/// closes.
async fn serve(tcp: TcpStream, shared: Arc<Shared>) {
    if asks_rest(&tcp).await {
        return rest(tcp, &shared).await;
    }
    let Ok(socket) = tokio_tungstenite::accept_async(tcp).await else {
        return;
    };
    let (mut write, mut read) = socket.split();
    let (out, mut outgoing) = unbounded_channel();
    let mut id = None;
    loop {
        tokio::select! {
            message = read.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let Some((answer, accepted)) = subscribe(&text, &shared, &out, &mut id) else {
                        continue;
                    };
                    if write.send(Message::Text(answer.into())).await.is_err() || !accepted {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            sending = outgoing.recv() => match sending {
                Some(Out::Text(text)) => {
                    if write.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(Out::Close) | None => {
                    let _ = write.close().await;
                    break;
                }
            },
        }
    }
    if let Some(id) = id {
        shared.lock().open.retain(|c| c.id != id);
        shared.changed.notify_all();
    }
}

/// Whether a connection asks for a REST depth snapshot (`GET /api/v3/depth?symbol=..`, or
/// futures' `/fapi/v1/depth`) rather than a WebSocket (`GET /ws`).
async fn asks_rest(tcp: &TcpStream) -> bool {
    let mut head = [0u8; 10];
    for _ in 0..100 {
        match tcp.peek(&mut head).await {
            Ok(n) if n == head.len() => {
                return head.starts_with(b"GET /api/") || &head == b"GET /fapi/"
            }
            Ok(0) | Err(_) => return false,
            Ok(_) => tokio::time::sleep(Duration::from_millis(1)).await,
        }
    }
    false
}

/// Answer one REST request with the symbol's snapshot, or Binance's error for an unknown
/// symbol, and close.
async fn rest(mut tcp: TcpStream, shared: &Shared) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match tcp.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
        if request.len() > 65_536 {
            return;
        }
    }
    let head = String::from_utf8_lossy(&request);
    let target = head.split_whitespace().nth(1).unwrap_or_default();
    let query = target.split_once('?').map_or("", |(_, query)| query);
    let symbol = url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "symbol")
        .map(|(_, symbol)| symbol.to_uppercase());
    let body = {
        let mut server = shared.lock();
        server.snapshot_requests += 1;
        symbol.and_then(|symbol| server.snapshots.get(&symbol).cloned())
    };
    let (status, body) = match body {
        Some(body) => ("200 OK", body),
        None => (
            "400 Bad Request",
            r#"{"code":-1121,"msg":"Invalid symbol."}"#.to_string(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tcp.write_all(response.as_bytes()).await;
    let _ = tcp.shutdown().await;
}

/// Binance's answer to a `SUBSCRIBE` (`{"result":null,"id":1}`, or a failure response when a
/// rejection was asked for) and whether it was accepted; `None` for any other message.
fn subscribe(
    text: &str,
    shared: &Shared,
    out: &UnboundedSender<Out>,
    id: &mut Option<u64>,
) -> Option<(String, bool)> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    if value.get("method")?.as_str()? != "SUBSCRIBE" {
        return None;
    }
    let request = value.get("id").cloned().unwrap_or(serde_json::Value::Null);
    let streams: Vec<String> = value
        .get("params")?
        .as_array()?
        .iter()
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect();
    let mut server = shared.lock();
    if std::mem::take(&mut server.reject_next) {
        let answer =
            serde_json::json!({"result": ["rejected by the local exchange"], "id": request});
        return Some((answer.to_string(), false));
    }
    server.subscriptions.extend(streams.iter().cloned());
    server.connections += 1;
    server.next_id += 1;
    let connection = Connection {
        id: server.next_id,
        streams,
        out: out.clone(),
    };
    *id = Some(connection.id);
    server.open.push(connection);
    shared.changed.notify_all();
    let answer = serde_json::json!({"result": null, "id": request});
    Some((answer.to_string(), true))
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<PyLocalExchange>()
}
