//! The engine thread of a live system: barter's engine, the simulated exchange and the
//! session's record, fed from one channel (market events in arrival order, then Python's
//! commands where they were sent), waiting blocking when idle: no spinning.

use super::events::{EventKind, Events, LiveEvent};
use crate::engine::event;
use crate::session::Session;
use barter::engine::state::trading::TradingState;
use barter::EngineEvent;
use barter_data::event::DataKind;
use barter_data::streams::consumer::MarketStreamEvent;
use barter_data::streams::reconnect;
use barter_instrument::exchange::ExchangeId;
use barter_instrument::instrument::InstrumentIndex;
use pyo3::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;

pub type Work = Box<dyn FnOnce(Python<'_>, &mut Worker) + Send>;

pub enum Input {
    Market(MarketStreamEvent<InstrumentIndex, DataKind>),
    /// An error barter-data's stream reported: a frame it could not read (counted and
    /// skipped), or a socket error before it reconnects.
    StreamError(Option<ExchangeId>, String),
    /// Python's work on the engine (a command, a snapshot), answered through its own channel.
    Call(Work),
    Stop,
}

/// Counters Python reads without asking the engine thread.
#[derive(Default)]
pub struct Stats {
    pub events: AtomicU64,
    pub malformed: AtomicU64,
}

pub struct Worker {
    pub session: Session,
    pub events: Arc<Events>,
    pub stats: Arc<Stats>,
    /// Exchanges whose stream dropped and has not delivered since.
    down: Vec<ExchangeId>,
    /// barter failed inside: the engine takes no more events.
    failed: bool,
}

/// Should the engine thread die of a panic outside barter's calls (which `step` catches),
/// `events()` readers are told and released rather than left waiting.
struct Closing(Arc<Events>);

impl Drop for Closing {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let text = "the live engine thread failed; shut the system down".to_string();
            self.0
                .push(LiveEvent::new(EventKind::EngineError, None, text));
            self.0.close();
        }
    }
}

/// Where the record stood before a step: what is new after it is reported.
struct Marks {
    trades: usize,
    opens_refused: usize,
    cancels_refused: usize,
}

impl Worker {
    pub fn new(session: Session, events: Arc<Events>, stats: Arc<Stats>) -> Self {
        Self {
            session,
            events,
            stats,
            down: Vec::new(),
            failed: false,
        }
    }

    /// Until `Stop`, or until every sender is gone.
    pub fn run(mut self, inputs: Receiver<Input>) -> Self {
        let _closing = Closing(self.events.clone());
        while let Ok(input) = inputs.recv() {
            match input {
                Input::Stop => break,
                Input::Market(market) => Python::attach(|py| self.market(py, market)),
                Input::StreamError(exchange, why) => self.stream_error(exchange, why),
                Input::Call(work) => Python::attach(|py| work(py, &mut self)),
            }
        }
        self
    }

    fn stream_error(&mut self, exchange: Option<ExchangeId>, why: String) {
        // barter-integration's words for a frame that does not parse.
        let event = if why.contains("Deserialising") {
            self.stats.malformed.fetch_add(1, Ordering::Relaxed);
            let text = format!("a frame barter-data could not read was skipped: {why}");
            LiveEvent::new(EventKind::Malformed, exchange, text)
        } else {
            LiveEvent::new(EventKind::StreamError, exchange, why)
        };
        self.events.push(event);
    }

    fn market(&mut self, py: Python<'_>, market: MarketStreamEvent<InstrumentIndex, DataKind>) {
        self.connectivity(&market);
        if self.failed {
            return;
        }
        let engine = &self.session.engine;
        if let Err(err) = event::check_market(engine.keys(), &engine.core().state, &market) {
            let text = format!("market event skipped: {}", err.value(py));
            let exchange = match &market {
                reconnect::Event::Item(item) => item.exchange,
                reconnect::Event::Reconnecting(exchange) => *exchange,
            };
            self.events
                .push(LiveEvent::new(EventKind::Malformed, Some(exchange), text));
            return;
        }
        let marks = self.marks();
        let done = self.session.market(py, market);
        self.stats.events.fetch_add(1, Ordering::Relaxed);
        self.report(py, marks, done);
    }

    /// A command or a trading state update through barter's engine, its outcome reported;
    /// refused once barter has failed inside.
    pub fn other(&mut self, py: Python<'_>, event: EngineEvent) -> PyResult<()> {
        if self.failed {
            let message = "the engine stopped after a failure inside barter".to_string();
            return Err(crate::bind::error::new_err(
                py,
                crate::bind::error::Kind::Engine,
                message,
            ));
        }
        let marks = self.marks();
        let done = self.session.other(py, event);
        self.report(py, marks, done);
        Ok(())
    }

    /// A dropped stream (barter-data reconnects it) and its return.
    fn connectivity(&mut self, market: &MarketStreamEvent<InstrumentIndex, DataKind>) {
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
