//! `barter_python._native.LiveSystem`: barter's engine with a Python strategy on barter-data's
//! live streams, paper-trading on the simulated exchange fed by the same streams (spec §9).
//!
//! Threads: a tokio runtime runs barter-data's streams and forwards every event, in order, to
//! the engine thread (`worker`) through a bounded queue (`queue`); the engine holds barter's
//! engine and waits blocking on that queue. Python never holds the engine: commands and
//! snapshots are work sent down the same queue, and their callers wait without the GIL.

mod depth;
pub mod events;
pub mod queue;
pub mod streams;
pub mod testing;
pub mod worker;

use crate::bind::enums::Enum;
use crate::bind::error::{self, Kind};
use crate::book::filter;
use crate::engine::clock::{Clock, ReplayClock};
use crate::engine::keys::Keys;
use crate::engine::requests;
use crate::engine::view::PyStateView;
use crate::market;
use crate::session::config::SessionConfig;
use crate::session::rows::RunOutput;
use crate::session::Session;
use barter::engine::clock::EngineClock;
use barter::engine::command::Command;
use barter::engine::state::instrument::filter::InstrumentFilter;
use barter::engine::state::trading::TradingState;
use barter::EngineEvent;
use barter_data::streams::reconnect;
use barter_data::subscription::SubKind;
use barter_instrument::exchange::ExchangeId;
use barter_instrument::instrument::InstrumentIndex;
use events::{EventKind, Events, LiveEvent, Next};
use futures::StreamExt;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use queue::{Pushed, Queue};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};
use streams::Delivered;
use worker::{Input, Stats, Worker};

/// How long a waiting call sleeps between looks at Ctrl-C.
const SLICE: Duration = Duration::from_millis(100);

/// The running parts; taken at shutdown (and put back if Ctrl-C interrupts it).
struct Running {
    queue: Arc<Queue<Input>>,
    engine: JoinHandle<Worker>,
    /// The streams; gone once shutdown has stopped them.
    runtime: Option<tokio::runtime::Runtime>,
    /// The engine was told to stop: it takes no more work.
    stopping: bool,
    _lease: streams::Lease,
}

#[pyclass(frozen, module = "barter_python._native", name = "LiveSystem")]
pub struct PyLiveSystem {
    running: Mutex<Option<Running>>,
    result: Mutex<Option<Py<RunOutput>>>,
    engine_thread: ThreadId,
    events: Arc<Events>,
    stats: Arc<Stats>,
    keys: Arc<Keys>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

#[pymethods]
impl PyLiveSystem {
    /// Connect every stream of `config` (a validated `LiveConfig`), then run barter's engine
    /// with `strategy` on them. A stream that cannot connect and subscribe within
    /// `connect_timeout` seconds (one beyond any duration, as `inf`, sets no bound) raises
    /// `MarketDataError` naming the exchange and URL, and nothing is left running.
    #[staticmethod]
    #[pyo3(signature = (config, strategy, *, connect_timeout))]
    fn start(
        py: Python<'_>,
        config: &Bound<'_, PyAny>,
        strategy: Bound<'_, PyAny>,
        connect_timeout: f64,
    ) -> PyResult<Self> {
        if connect_timeout.is_nan() || connect_timeout <= 0.0 {
            return Err(PyValueError::new_err(format!(
                "connect_timeout must be a positive number of seconds, got {connect_timeout}"
            )));
        }
        let kinds = sub_kinds(&config.getattr("streams")?)?;
        let endpoints = config
            .getattr("endpoints")?
            .call_method0("items")?
            .try_iter()?
            .map(|item| {
                let (exchange, url): (Enum<ExchangeId>, String) = item?.extract()?;
                Ok((exchange.0, url))
            })
            .collect::<PyResult<Vec<_>>>()?;
        let trading = if config.getattr("trading_enabled")?.extract()? {
            TradingState::Enabled
        } else {
            TradingState::Disabled
        };
        let config = SessionConfig::extract(config)?;
        let clock = Clock::Replay(ReplayClock::at_first_event());
        let session = Session::start(py, config, strategy, trading, clock)?;
        let engine = &session.engine;
        let keys = engine.shared_keys();
        let lease = streams::Lease::take(&endpoints, &keys.index.exchanges)
            .map_err(PyValueError::new_err)?;
        let wanted: Vec<_> = (0..keys.index.input_of.len())
            .map(|at| {
                let input = keys.instrument(InstrumentIndex(at));
                let market = streams::wanted(InstrumentIndex(at), &input.base, &input.quote);
                (input.exchange, market)
            })
            .collect();

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("barter-live-streams")
            .enable_all()
            .build()
            .map_err(|err| PyRuntimeError::new_err(format!("cannot start tokio: {err}")))?;
        let timeout = Duration::try_from_secs_f64(connect_timeout).ok();
        let connected = py.detach(|| {
            // The timer is made inside the runtime.
            runtime.block_on(async {
                let connecting = streams::connect(wanted, &kinds);
                match timeout {
                    Some(timeout) => tokio::time::timeout(timeout, connecting).await,
                    None => Ok(connecting.await),
                }
            })
        });
        let feed = match connected {
            Ok(Ok(feed)) => feed,
            Ok(Err(failed)) => {
                runtime.shutdown_background();
                let message = format!(
                    "cannot stream {} from {}: {}",
                    failed.exchange.as_str(),
                    streams::url_of(failed.exchange),
                    failed.error
                );
                return Err(error::new_err(py, Kind::MarketData, message));
            }
            Err(_) => {
                runtime.shutdown_background();
                let places: Vec<String> = keys
                    .index
                    .exchanges
                    .iter()
                    .map(|e| format!("{} ({})", e.as_str(), streams::url_of(*e)))
                    .collect();
                let message = format!(
                    "the market streams did not connect and subscribe within {connect_timeout} s: {}",
                    places.join(", ")
                );
                return Err(error::new_err(py, Kind::MarketData, message));
            }
        };

        let queue = Arc::new(Queue::new(queue::CAPACITY));
        let events = Arc::new(Events::default());
        let stats = Arc::new(Stats::default());
        let forwarding = Forward {
            queue: queue.clone(),
            stats: stats.clone(),
            events: events.clone(),
            keys: keys.clone(),
        };
        runtime.spawn(forwarding.run(feed));

        let worker = Worker::new(session, events.clone(), stats.clone(), queue.clone());
        let engine = std::thread::Builder::new()
            .name("barter-engine".into())
            .spawn(move || worker.run())
            .map_err(|err| PyRuntimeError::new_err(format!("cannot start the engine: {err}")))?;
        Ok(Self {
            engine_thread: engine.thread().id(),
            running: Mutex::new(Some(Running {
                queue,
                engine,
                runtime: Some(runtime),
                stopping: false,
                _lease: lease,
            })),
            result: Mutex::new(None),
            events,
            stats,
            keys,
        })
    }

    /// barter's state now, as a read-only view (positions, balances, orders, prices,
    /// connectivity, trading state), with the engine's time.
    fn state(&self, py: Python<'_>) -> PyResult<PyStateView> {
        let keys = self.keys.clone();
        self.call(py, move |_, worker| {
            let core = worker.session.engine.core();
            let clock = Clock::Replay(ReplayClock::new(core.clock.time()));
            Ok(PyStateView::of_snapshot(core.state.clone(), keys, clock))
        })
    }

    /// Market events processed by the engine.
    #[getter]
    fn events_processed(&self) -> u64 {
        self.stats.events.load(Ordering::Relaxed)
    }

    /// Frames barter-data could not read, or whose event the checks refused, skipped.
    #[getter]
    fn malformed(&self) -> u64 {
        self.stats.malformed.load(Ordering::Relaxed)
    }

    /// Frames naming a market not subscribed to, skipped.
    #[getter]
    fn unknown_instrument(&self) -> u64 {
        self.stats.unknown_instrument.load(Ordering::Relaxed)
    }

    /// L1 books replaced, while queued, by a newer one of their instrument.
    #[getter]
    fn conflated(&self) -> u64 {
        self.stats.conflated.load(Ordering::Relaxed)
    }

    /// Market events never processed: skipped at shutdown (`drain=False`, its `timeout`,
    /// Ctrl-C), or after the engine stopped.
    #[getter]
    fn skipped(&self) -> u64 {
        self.stats.skipped.load(Ordering::Relaxed)
    }

    /// Events dropped because Python did not read them in time (the oldest go first).
    #[getter]
    fn events_dropped(&self) -> u64 {
        self.events.dropped()
    }

    /// The system runs (not yet shut down).
    #[getter]
    fn running(&self) -> bool {
        lock(&self.running).is_some()
    }

    /// The next event, waiting up to `timeout` seconds (forever if `None`); `None` when none
    /// came in time, or once the system has stopped and every event was read.
    #[pyo3(signature = (timeout=None))]
    fn next_event(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<LiveEvent>> {
        self.not_on_engine_thread("events()")?;
        let mut left = match timeout {
            Some(t) if !(t.is_finite() && t >= 0.0) => {
                return Err(PyValueError::new_err(format!(
                    "timeout must be a non-negative number of seconds or None, got {t}"
                )))
            }
            Some(t) => Some(Duration::from_secs_f64(t)),
            None => None,
        };
        loop {
            let slice = left.map_or(SLICE, |left| left.min(SLICE));
            match py.detach(|| self.events.next(slice)) {
                Next::Event(event) => return Ok(Some(event)),
                Next::Closed => return Ok(None),
                Next::Waiting => {}
            }
            py.check_signals()?;
            if let Some(rest) = left {
                if rest <= slice {
                    return Ok(None);
                }
                left = Some(rest - slice);
            }
        }
    }

    /// barter's trading state: on, the strategy is called after every market event; off,
    /// barter calls its `on_trading_disabled` hook.
    fn set_trading(&self, py: Python<'_>, enabled: bool) -> PyResult<()> {
        let state = if enabled {
            TradingState::Enabled
        } else {
            TradingState::Disabled
        };
        self.call(py, move |py, worker| {
            worker.other(py, EngineEvent::TradingStateUpdate(state))
        })
    }

    /// barter's `cancel_orders` action for the filter.
    #[pyo3(signature = (filter=None))]
    fn cancel_orders(&self, py: Python<'_>, filter: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let filter = self.filter(py, filter)?;
        self.command(py, Command::CancelOrders(filter))
    }

    /// barter's `close_positions` action for the filter (the strategy's
    /// `close_positions_requests`, or barter's market close).
    #[pyo3(signature = (filter=None))]
    fn close_positions(&self, py: Python<'_>, filter: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let filter = self.filter(py, filter)?;
        self.command(py, Command::ClosePositions(filter))
    }

    /// barter's `send_requests`: cancels, then opens, refused whole if one is invalid.
    #[pyo3(signature = (cancels, opens))]
    fn send_requests(
        &self,
        py: Python<'_>,
        cancels: Bound<'_, PyAny>,
        opens: Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let keys = self.keys.clone();
        let (cancels, opens) = (cancels.unbind(), opens.unbind());
        self.call(py, move |py, worker| {
            let state = &worker.session.engine.core().state;
            let requests = requests::requests(&keys, state, cancels.bind(py), opens.bind(py))?;
            worker.send(py, requests)
        })
    }

    /// Stop the streams, let the engine process what already arrived (`drain`, for at most
    /// `timeout` seconds; the rest is skipped and counted), stop it, and return the session's
    /// results (the same on every call). Orders are neither cancelled nor closed. Ctrl-C
    /// raises `KeyboardInterrupt` at once and skips the backlog; calling it again returns the
    /// results.
    #[pyo3(signature = (*, drain=true, timeout=None))]
    fn shutdown(
        &self,
        py: Python<'_>,
        drain: bool,
        timeout: Option<f64>,
    ) -> PyResult<Py<RunOutput>> {
        self.not_on_engine_thread("shutdown()")?;
        if let Some(t) = timeout.filter(|t| t.is_nan() || *t < 0.0) {
            return Err(PyValueError::new_err(format!(
                "timeout must be a non-negative number of seconds or None, got {t}"
            )));
        }
        // Beyond any duration (`inf`): no bound.
        let deadline = timeout
            .and_then(|t| Duration::try_from_secs_f64(t).ok())
            .and_then(|t| Instant::now().checked_add(t));
        // Another thread may be shutting down, waiting without the GIL: wait for it without
        // holding the GIL either.
        let mut result = loop {
            match self.result.try_lock() {
                Ok(guard) => break guard,
                Err(std::sync::TryLockError::Poisoned(poisoned)) => break poisoned.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {
                    py.detach(|| std::thread::sleep(Duration::from_millis(5)))
                }
            }
        };
        if let Some(output) = result.as_ref() {
            return Ok(output.clone_ref(py));
        }
        let Some(mut running) = lock(&self.running).take() else {
            return Err(PyRuntimeError::new_err(
                "the live system failed to shut down",
            ));
        };
        // The streams first, so that nothing arrives after the stop; their sockets close.
        if let Some(runtime) = running.runtime.take() {
            py.detach(|| runtime.shutdown_timeout(Duration::from_secs(2)));
        }
        if !drain {
            self.skip(&running.queue);
        }
        if !running.stopping {
            running.stopping = true;
            running.queue.push(Input::Stop);
        }
        let mut drained = deadline.is_none();
        while !running.engine.is_finished() {
            py.detach(|| std::thread::sleep(Duration::from_millis(5)));
            if !drained && deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                drained = true;
                self.skip(&running.queue);
            }
            if let Err(interrupted) = py.check_signals() {
                // The engine finishes its event and stops; a later call returns the results.
                self.skip(&running.queue);
                *lock(&self.running) = Some(running);
                return Err(interrupted);
            }
        }
        let Running { engine, _lease, .. } = running;
        let worker = engine.join();
        drop(_lease);
        let mut worker = worker.map_err(|_| {
            self.events.close();
            error::new_err(py, Kind::Engine, "the live engine thread panicked".into())
        })?;
        let mut text = format!(
            "shut down on request after {} market events",
            self.stats.events.load(Ordering::Relaxed)
        );
        let skipped = self.stats.skipped.load(Ordering::Relaxed);
        if skipped > 0 {
            text.push_str(&format!("; {skipped} queued market events skipped"));
        }
        // The session ends without trading: no last bars handed over, no order sent (set
        // directly, so no hook runs). After a failure inside barter the end may fail too: the
        // results are still made of what was recorded.
        worker.session.engine.core_mut().state.trading = TradingState::Disabled;
        let ended = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            worker.session.end(py, None)
        }));
        let failed = match ended {
            Ok(Ok(())) => None,
            Ok(Err(err)) => Some(err.value(py).to_string()),
            Err(panic) => Some(error::panic_text(panic.as_ref())),
        };
        if let Some(why) = failed {
            let text = format!("the session's end failed ({why}); the results stop before it");
            self.events
                .push(LiveEvent::new(EventKind::EngineError, None, text));
        }
        // The result counts the market events processed, as `snapshot().events`: a dropped
        // stream is not market data.
        worker.session.events = self.stats.events.load(Ordering::Relaxed) as usize;
        let output = worker.session.results(py);
        self.events
            .push(LiveEvent::new(EventKind::Stopped, None, text));
        self.events.close();
        let output = Py::new(py, output?)?;
        *result = Some(output.clone_ref(py));
        Ok(output)
    }

    /// The instruments' `(exchange, instrument)` keys, in the config's order.
    #[getter]
    fn instruments(&self) -> Vec<(Enum<ExchangeId>, String)> {
        self.keys
            .inputs
            .iter()
            .map(|input| (Enum(input.exchange), input.instrument.to_string()))
            .collect()
    }
}

impl PyLiveSystem {
    /// Run `work` on the engine thread and wait (without the GIL, Ctrl-C seen) for its answer.
    fn call<R: Send + 'static>(
        &self,
        py: Python<'_>,
        work: impl FnOnce(Python<'_>, &mut Worker) -> PyResult<R> + Send + 'static,
    ) -> PyResult<R> {
        self.not_on_engine_thread("this method")?;
        let (answer, answered) = mpsc::sync_channel(1);
        match lock(&self.running).as_ref() {
            Some(running) if !running.stopping => {
                running.queue.push(Input::Call(Box::new(move |py, worker| {
                    let _ = answer.send(work(py, worker));
                })))
            }
            _ => return Err(stopped()),
        }
        let mut answered = answered;
        loop {
            // The receiver goes into the wait and comes back (it cannot be shared).
            let (next, back) = py.detach(move || (answered.recv_timeout(SLICE), answered));
            answered = back;
            match next {
                Ok(answer) => return answer,
                Err(mpsc::RecvTimeoutError::Timeout) => py.check_signals()?,
                Err(mpsc::RecvTimeoutError::Disconnected) => return Err(stopped()),
            }
        }
    }

    /// Skip the queued market events, counted.
    fn skip(&self, queue: &Queue<Input>) {
        let skipped = queue.skip_markets() as u64;
        self.stats.skipped.fetch_add(skipped, Ordering::Relaxed);
    }

    fn command(&self, py: Python<'_>, command: Command) -> PyResult<()> {
        self.call(py, move |py, worker| {
            worker.other(py, EngineEvent::Command(command))
        })
    }

    fn filter(
        &self,
        py: Python<'_>,
        filter: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<InstrumentFilter> {
        filter::extract(filter)?.resolve(py, &self.keys.index, &self.keys.inputs)
    }

    /// A strategy callback runs on the engine thread: waiting there for the engine would wait
    /// forever.
    fn not_on_engine_thread(&self, what: &str) -> PyResult<()> {
        if std::thread::current().id() == self.engine_thread {
            return Err(PyRuntimeError::new_err(format!(
                "{what} waits for the live engine and cannot be called from inside a strategy \
                 callback, which runs on the engine; return requests from the callback instead"
            )));
        }
        Ok(())
    }
}

impl Drop for PyLiveSystem {
    /// Never shut down: stop the streams and the engine, waiting for it without the GIL (it
    /// may need the GIL for what arrived before the stop), unless on the engine thread itself.
    fn drop(&mut self) {
        if let Some(running) = lock(&self.running).take() {
            if let Some(runtime) = running.runtime {
                runtime.shutdown_background();
            }
            running.queue.push(Input::Stop);
            if std::thread::current().id() != self.engine_thread {
                Python::attach(|py| py.detach(|| drop(running.engine.join())));
            }
            self.events.close();
        }
    }
}

/// The streams' deliveries into the engine's queue: market events that pass the backtest's
/// checks (waiting for room, books conflated); the rest counted and told here, so that the
/// engine sees only what it processes.
struct Forward {
    queue: Arc<Queue<Input>>,
    stats: Arc<Stats>,
    events: Arc<Events>,
    keys: Arc<Keys>,
}

impl Forward {
    async fn run(self, mut feed: streams::Feed) {
        let Forward {
            queue,
            stats,
            events,
            keys,
        } = self;
        while let Some((exchange, delivered)) = feed.next().await {
            let market = match delivered {
                Delivered::Market(reconnect::Event::Item(Ok(item))) => {
                    if let Err(why) = market::check_event(&item) {
                        worker::refused(&stats, &events, &keys, &item, &why);
                        continue;
                    }
                    reconnect::Event::Item(item)
                }
                Delivered::Market(reconnect::Event::Reconnecting(exchange)) => {
                    reconnect::Event::Reconnecting(exchange)
                }
                Delivered::Market(reconnect::Event::Item(Err(error))) => {
                    worker::stream_error(&stats, &events, exchange, error.to_string());
                    continue;
                }
                Delivered::Panicked(why) => {
                    worker::stream_panicked(&stats, &events, exchange, &why);
                    // Its socket is gone: barter's connectivity says so until it delivers again.
                    let Some(exchange) = exchange else { continue };
                    reconnect::Event::Reconnecting(exchange)
                }
            };
            if queue.market(market).await == Pushed::Conflated {
                stats.conflated.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

fn stopped() -> PyErr {
    PyRuntimeError::new_err("the live system has shut down")
}

/// `streams` (validated by the model: `trades`, `l1` and `l2`, at least one, each once) as
/// barter-data's subscription kinds.
fn sub_kinds(value: &Bound<'_, PyAny>) -> PyResult<Vec<SubKind>> {
    let names: Vec<String> = value.extract()?;
    Ok(names
        .iter()
        .map(|name| match name.as_str() {
            "l1" => SubKind::OrderBooksL1,
            "l2" => SubKind::OrderBooksL2,
            _ => SubKind::PublicTrades,
        })
        .collect())
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<PyLiveSystem>()?;
    module.add_class::<LiveEvent>()?;
    module.add_function(wrap_pyfunction!(streams::check_endpoint, module)?)?;
    let overridable = streams::OVERRIDABLE.map(|exchange| exchange.as_str());
    module.add(
        "ENDPOINT_EXCHANGES",
        pyo3::types::PyTuple::new(module.py(), overridable)?,
    )?;
    testing::register(module)?;
    Ok(())
}
