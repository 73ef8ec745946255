//! What a live system tells Python: typed events in a bounded queue. The engine never waits
//! for Python's reader: when the queue is full the oldest event is dropped and counted.

use crate::bind::enums::Enum;
use crate::engine::audit::PyTrade;
use barter_execution::trade::Trade;
use barter_instrument::{
    asset::QuoteAsset, exchange::ExchangeId, instrument::name::InstrumentNameInternal,
};
use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Events kept for a reader that is behind.
pub const CAPACITY: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Fill,
    Refused,
    Disconnected,
    Reconnected,
    StrategyError,
    EngineError,
    Malformed,
    UnknownInstrument,
    StreamError,
    Lagging,
    Stopped,
}

impl EventKind {
    fn name(self) -> &'static str {
        match self {
            EventKind::Fill => "fill",
            EventKind::Refused => "refused",
            EventKind::Disconnected => "disconnected",
            EventKind::Reconnected => "reconnected",
            EventKind::StrategyError => "strategy_error",
            EventKind::EngineError => "engine_error",
            EventKind::Malformed => "malformed",
            EventKind::UnknownInstrument => "unknown_instrument",
            EventKind::StreamError => "stream_error",
            EventKind::Lagging => "lagging",
            EventKind::Stopped => "stopped",
        }
    }
}

/// One thing that happened in a live system.
#[pyclass(frozen, module = "barter_python._native", name = "LiveEvent")]
pub struct LiveEvent {
    kind: EventKind,
    time: DateTime<Utc>,
    exchange: Option<ExchangeId>,
    instrument: Option<String>,
    /// What happened, in words (a refusal's reason, an error's message).
    text: String,
    fill: Option<Py<PyTrade>>,
}

impl LiveEvent {
    pub fn new(kind: EventKind, exchange: Option<ExchangeId>, text: String) -> Self {
        Self {
            kind,
            time: Utc::now(),
            exchange,
            instrument: None,
            text,
            fill: None,
        }
    }

    pub fn about(mut self, instrument: &str) -> Self {
        self.instrument = Some(instrument.to_string());
        self
    }

    pub fn of_fill(
        py: Python<'_>,
        exchange: ExchangeId,
        trade: Trade<QuoteAsset, InstrumentNameInternal>,
    ) -> PyResult<Self> {
        let text = format!(
            "{:?} {} {} at {} (fees {})",
            trade.side, trade.quantity, trade.instrument, trade.price, trade.fees.fees
        )
        .to_lowercase();
        let instrument = trade.instrument.to_string();
        let mut event = LiveEvent::new(EventKind::Fill, Some(exchange), text).about(&instrument);
        event.fill = Some(Py::new(py, PyTrade::new(exchange, trade))?);
        Ok(event)
    }
}

#[pymethods]
impl LiveEvent {
    /// "fill", "refused", "disconnected", "reconnected", "strategy_error", "engine_error",
    /// "malformed", "unknown_instrument", "stream_error", "lagging" or "stopped".
    #[getter]
    fn kind(&self) -> &'static str {
        self.kind.name()
    }

    /// When the system saw it (wall-clock UTC).
    #[getter]
    fn time(&self) -> DateTime<Utc> {
        self.time
    }

    #[getter]
    fn exchange(&self) -> Option<Enum<ExchangeId>> {
        self.exchange.map(Enum)
    }

    #[getter]
    fn instrument(&self) -> Option<&str> {
        self.instrument.as_deref()
    }

    /// What happened: a refusal's reason, an error's message, the fill in words.
    #[getter]
    fn reason(&self) -> &str {
        &self.text
    }

    /// The exchange's trade, for a fill.
    #[getter]
    fn fill(&self, py: Python<'_>) -> Option<Py<PyTrade>> {
        self.fill.as_ref().map(|fill| fill.clone_ref(py))
    }

    fn __str__(&self) -> String {
        let place = match (&self.exchange, &self.instrument) {
            (Some(exchange), Some(instrument)) => format!(" {instrument} on {}", exchange.as_str()),
            (Some(exchange), None) => format!(" {}", exchange.as_str()),
            _ => String::new(),
        };
        format!("{}{place}: {}", self.kind.name(), self.text)
    }

    fn __repr__(&self) -> String {
        format!("LiveEvent({:?}, {:?})", self.kind.name(), self.__str__())
    }
}

struct Queue {
    events: VecDeque<LiveEvent>,
    closed: bool,
}

/// The bounded queue between the engine thread and Python's reader.
pub struct Events {
    queue: Mutex<Queue>,
    ready: Condvar,
    dropped: AtomicU64,
}

impl Default for Events {
    fn default() -> Self {
        Self {
            queue: Mutex::new(Queue {
                events: VecDeque::new(),
                closed: false,
            }),
            ready: Condvar::new(),
            dropped: AtomicU64::new(0),
        }
    }
}

impl Events {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A poisoned lock only means a panic while pushing: the queue itself is intact.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn push(&self, event: LiveEvent) {
        let mut queue = self.lock();
        if queue.events.len() >= CAPACITY {
            queue.events.pop_front();
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        queue.events.push_back(event);
        self.ready.notify_all();
    }

    /// No event will come any more: readers stop once the queue is empty.
    pub fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The next event, waiting at most `wait` for one.
    pub fn next(&self, wait: Duration) -> Next {
        let deadline = Instant::now() + wait;
        let mut queue = self.lock();
        loop {
            if let Some(event) = queue.events.pop_front() {
                return Next::Event(event);
            }
            if queue.closed {
                return Next::Closed;
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return Next::Waiting;
            };
            queue = self
                .ready
                .wait_timeout(queue, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

pub enum Next {
    Event(LiveEvent),
    /// None came in time.
    Waiting,
    /// The system has stopped and every event was read.
    Closed,
}
