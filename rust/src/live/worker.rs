//! The engine thread of a live system: barter's engine, the simulated exchange and the
//! session's record, fed from one bounded queue (market events in arrival order, then
//! Python's commands where they were sent), waiting blocking when idle: no spinning.

use super::events::{EventKind, Events, LiveEvent};
use super::queue::{Entry, Item, Market, Queue};
use crate::bind::error::panic_text;
use crate::engine::event;
use crate::engine::keys::Keys;
use crate::engine::requests::Requests;
use crate::session::Session;
use barter::engine::clock::EngineClock;
use barter::engine::state::trading::TradingState;
use barter::EngineEvent;
use barter_data::streams::reconnect;
use barter_instrument::exchange::ExchangeId;
use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub type Work = Box<dyn FnOnce(Python<'_>, &mut Worker) + Send>;

pub enum Input {
    Market(Market),
    /// Python's work on the engine (a command, a snapshot), answered through its own channel.
    Call(Work),
    Stop,
}

impl From<Market> for Input {
    fn from(market: Market) -> Self {
        Input::Market(market)
    }
}

impl Entry for Input {
    fn market(&self) -> Option<&Market> {
        match self {
            Input::Market(market) => Some(market),
            _ => None,
        }
    }
}

/// Counters Python reads without asking the engine thread. Every frame a stream delivered
/// ends in exactly one of the first five.
#[derive(Default)]
pub struct Stats {
    /// Market events processed by the engine.
    pub events: AtomicU64,
    /// Frames barter-data could not read, or whose event the checks refused.
    pub malformed: AtomicU64,
    /// Frames naming a market not subscribed to.
    pub unknown_instrument: AtomicU64,
    /// L1 books replaced by a newer one of their instrument while queued.
    pub conflated: AtomicU64,
    /// Market events never processed: skipped at shutdown, or after the engine stopped.
    pub skipped: AtomicU64,
}

fn count(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// An error barter-data's stream reported, counted and told: a frame it could not read, a
/// frame for a market not subscribed to, or a socket error before it reconnects.
pub fn stream_error(stats: &Stats, events: &Events, exchange: Option<ExchangeId>, why: String) {
    // barter-integration's words (barter-data passes its errors on as text).
    let event = if why.contains("Deserialising") {
        count(&stats.malformed);
        let text = format!("a frame barter-data could not read was skipped: {why}");
        LiveEvent::new(EventKind::Malformed, exchange, text)
    } else if why.contains("unidentifiable message") {
        count(&stats.unknown_instrument);
        let text = format!("a frame for a market not subscribed to was skipped: {why}");
        LiveEvent::new(EventKind::UnknownInstrument, exchange, text)
    } else {
        LiveEvent::new(EventKind::StreamError, exchange, why)
    };
    events.push(event);
}

/// barter-data's parser panicked on a frame: the frame counts as malformed, and its stream
/// starts again (`streams::guarded`).
pub fn stream_panicked(stats: &Stats, events: &Events, exchange: Option<ExchangeId>, why: &str) {
    count(&stats.malformed);
    let text = format!(
        "barter-data's stream panicked on a frame ({why}); the frame was skipped and the stream \
         starts again"
    );
    events.push(LiveEvent::new(EventKind::StreamError, exchange, text));
}

/// A market event the checks refused, counted and told: the backtest's stateless checks
/// (`market::check_event`, before it is queued, so it displaces no book) or the engine's.
pub fn refused(stats: &Stats, events: &Events, keys: &Keys, item: &Item, why: &str) {
    count(&stats.malformed);
    let instrument = keys.instrument(item.instrument).instrument.to_string();
    let text = format!("market event refused: {why}");
    let event = LiveEvent::new(EventKind::Malformed, Some(item.exchange), text);
    events.push(event.about(&instrument));
}

/// How old the data must be for the engine to be reported as lagging, and how often.
const LAG: Duration = Duration::from_secs(1);

pub struct Worker {
    pub session: Session,
    pub events: Arc<Events>,
    pub stats: Arc<Stats>,
    queue: Arc<Queue<Input>>,
    /// Exchanges whose stream dropped and has not delivered since.
    down: Vec<ExchangeId>,
    /// barter failed inside: the engine takes no more events.
    failed: bool,
    /// When the engine was last reported as lagging.
    lag_told: Option<Instant>,
}

/// Where the record stood before a step: what is new after it is reported.
struct Marks {
    trades: usize,
    opens_refused: usize,
    cancels_refused: usize,
}

impl Worker {
    pub fn new(
        session: Session,
        events: Arc<Events>,
        stats: Arc<Stats>,
        queue: Arc<Queue<Input>>,
    ) -> Self {
        Self {
            session,
            events,
            stats,
            queue,
            down: Vec::new(),
            failed: false,
            lag_told: None,
        }
    }

    /// Until `Stop`. A panic handling one input (barter's own are caught inside `step`) stops
    /// the engine, never the thread: the session's result stays.
    pub fn run(mut self) -> Self {
        loop {
            let input = match self.queue.next() {
                Input::Stop => break,
                Input::Market(market) => Ok(market),
                Input::Call(work) => Err(work),
            };
            Python::attach(|py| {
                let done = catch_unwind(AssertUnwindSafe(|| match input {
                    Ok(market) => self.market(py, market),
                    Err(work) => work(py, &mut self),
                }));
                if let Err(panic) = done {
                    self.failed = true;
                    let why = panic_text(panic.as_ref());
                    let text = format!(
                        "the engine stopped after a failure inside barter: {why}; shutdown() \
                         still returns the result"
                    );
                    self.events
                        .push(LiveEvent::new(EventKind::EngineError, None, text));
                }
            });
        }
        self
    }

    fn market(&mut self, py: Python<'_>, market: Market) {
        self.connectivity(&market);
        let reconnect::Event::Item(item) = &market else {
            // A dropped stream: barter's connectivity, not a frame.
            if !self.failed {
                let marks = self.marks();
                let done = self.session.market(py, market);
                self.report(py, marks, done);
            }
            return;
        };
        self.lagging(item.time_received);
        if self.failed {
            count(&self.stats.skipped);
            return;
        }
        let engine = &self.session.engine;
        if let Err(err) = event::check_market(engine.keys(), &engine.core().state, &market) {
            let why = err.value(py).to_string();
            refused(&self.stats, &self.events, engine.keys(), item, &why);
            return;
        }
        let first = self.stats.events.load(Ordering::Relaxed) == 0;
        let marks = self.marks();
        let done = self.session.market(py, market);
        count(&self.stats.events);
        if first {
            // The session starts at its first event, in the events' time (the clock's).
            let core = self.session.engine.core_mut();
            core.meta.time_start = core.clock.time();
        }
        self.report(py, marks, done);
    }

    /// Tell Python how old the data is, at most once a `LAG`, while it is at least `LAG` old.
    fn lagging(&mut self, received: DateTime<Utc>) {
        let age = (Utc::now() - received).to_std().unwrap_or_default();
        if age < LAG || self.lag_told.is_some_and(|told| told.elapsed() < LAG) {
            return;
        }
        self.lag_told = Some(Instant::now());
        let text = format!(
            "the engine is {:.1} s behind the market streams ({} market events queued)",
            age.as_secs_f64(),
            self.queue.len()
        );
        self.events
            .push(LiveEvent::new(EventKind::Lagging, None, text));
    }

    /// A command or a trading state update through barter's engine, its outcome reported;
    /// refused once barter has failed inside.
    pub fn other(&mut self, py: Python<'_>, event: EngineEvent) -> PyResult<()> {
        self.outside(py, |session| session.other(py, event))
    }

    /// Requests from `LiveSystem.send_requests` (conditional orders among them), their outcome
    /// reported as a command's is.
    pub fn send(&mut self, py: Python<'_>, requests: Requests) -> PyResult<()> {
        self.outside(py, |session| session.send_requests(py, requests))
    }

    /// Work on the session from outside the market stream, its outcome reported.
    fn outside(
        &mut self,
        py: Python<'_>,
        work: impl FnOnce(&mut Session) -> PyResult<()>,
    ) -> PyResult<()> {
        if self.failed {
            let message = "the engine stopped after a failure inside barter".to_string();
            return Err(crate::bind::error::new_err(
                py,
                crate::bind::error::Kind::Engine,
                message,
            ));
        }
        let marks = self.marks();
        let done = work(&mut self.session);
        self.report(py, marks, done);
        Ok(())
    }

    /// A dropped stream (barter-data reconnects it) and its return.
    fn connectivity(&mut self, market: &Market) {
        match market {
            reconnect::Event::Reconnecting(exchange) if !self.down.contains(exchange) => {
                self.down.push(*exchange);
                let text = "the market stream dropped; barter-data reconnects".to_string();
                self.events.push(LiveEvent::new(
                    EventKind::Disconnected,
                    Some(*exchange),
                    text,
                ));
            }
            reconnect::Event::Item(item) if self.down.contains(&item.exchange) => {
                self.down.retain(|exchange| *exchange != item.exchange);
                let text = "the market stream delivers again".to_string();
                self.events.push(LiveEvent::new(
                    EventKind::Reconnected,
                    Some(item.exchange),
                    text,
                ));
            }
            _ => {}
        }
    }

    fn marks(&self) -> Marks {
        let audit = &self.session.audit;
        Marks {
            trades: audit.trades_len(),
            opens_refused: audit.opens_refused_len(),
            cancels_refused: audit.cancels_refused().len(),
        }
    }

    /// Fills and refusals since `marks` as events; a failure turns trading off (a strategy's)
    /// or stops the engine (barter's).
    fn report(&mut self, py: Python<'_>, marks: Marks, done: PyResult<()>) {
        let audit = &self.session.audit;
        for (exchange, trade) in &audit.trades()[marks.trades..] {
            // Only a failed allocation of the Python object fails here.
            if let Ok(event) = LiveEvent::of_fill(py, *exchange, trade.clone()) {
                self.events.push(event);
            }
        }
        let audit = &self.session.audit;
        for (open, reason) in &audit.opens_refused()[marks.opens_refused..] {
            let text = format!("open {} refused: {reason}", open.key.cid.0);
            let event = LiveEvent::new(EventKind::Refused, Some(open.key.exchange), text);
            self.events.push(event.about(open.key.instrument.name()));
        }
        for (cancel, reason) in &audit.cancels_refused()[marks.cancels_refused..] {
            let text = format!("cancel {} refused: {reason}", cancel.key.cid.0);
            let event = LiveEvent::new(EventKind::Refused, Some(cancel.key.exchange), text);
            self.events.push(event.about(cancel.key.instrument.name()));
        }
        if let Err(err) = done {
            self.failure(py, err);
        }
    }

    /// barter failing inside stops the engine (its state may be half-updated); a strategy's
    /// exception turns trading off through barter (its `on_trading_disabled` hook runs), and
    /// the system keeps running.
    fn failure(&mut self, py: Python<'_>, err: PyErr) {
        let text = describe(py, &err);
        if self.session.engine.is_poisoned() {
            self.failed = true;
            self.events
                .push(LiveEvent::new(EventKind::EngineError, None, text));
            return;
        }
        let text = format!("{text}; trading is now disabled");
        self.events
            .push(LiveEvent::new(EventKind::StrategyError, None, text));
        let disable = EngineEvent::TradingStateUpdate(TradingState::Disabled);
        if let Err(err) = self.session.other(py, disable) {
            let text = format!("in on_trading_disabled: {}", describe(py, &err));
            self.events
                .push(LiveEvent::new(EventKind::StrategyError, None, text));
        }
    }
}

/// `ValueError: bad size (strategy.py:12)`: the exception and where the user's code raised it.
fn describe(py: Python<'_>, err: &PyErr) -> String {
    let kind = err
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".into());
    let mut text = format!("{kind}: {}", err.value(py));
    let mut frame = err.traceback(py);
    let mut last = None;
    while let Some(tb) = frame {
        last = Some(tb.clone());
        frame = tb
            .getattr("tb_next")
            .ok()
            .and_then(|next| next.cast_into().ok());
    }
    if let Some(tb) = last {
        let place = (|| -> PyResult<String> {
            let code = tb.getattr("tb_frame")?.getattr("f_code")?;
            let file: String = code.getattr("co_filename")?.extract()?;
            let line: u32 = tb.getattr("tb_lineno")?.extract()?;
            Ok(format!(" ({file}:{line})"))
        })();
        text.push_str(&place.unwrap_or_default());
    }
    text
}
