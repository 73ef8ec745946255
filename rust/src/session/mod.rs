//! One trading session through barter's engine, however its market events arrive: a backtest
//! replays recorded data through it, the live system feeds it from streams. Each market event
//! is seen first by the exchange, then by barter; its orders are settled before the next. The
//! session keeps what the results are made of: barter's audit, the equity curve, and when each
//! open was sent or refused.

pub mod config;
pub mod equity;
pub mod orders;
pub mod rows;
pub mod summary;
pub mod table;

use crate::bind::error::{self, Kind};
use crate::engine::audit::Audit;
use crate::engine::clock::Clock;
use crate::engine::requests::Requests;
use crate::engine::PyEngine;
use barter::engine::clock::EngineClock;
use barter::engine::command::Command;
use barter::engine::state::instrument::filter::InstrumentFilter;
use barter::engine::state::trading::TradingState;
use barter::strategy::close_positions::close_open_positions_with_market_orders;
use barter::EngineEvent;
use barter_data::event::DataKind;
use barter_data::streams::consumer::MarketStreamEvent;
use barter_data::streams::reconnect;
use barter_execution::order::id::{ClientOrderId, StrategyId};
use barter_instrument::instrument::InstrumentIndex;
use barter_integration::collection::one_or_many::OneOrMany;
use chrono::{DateTime, Utc};
use config::{Reporting, SessionConfig};
use equity::Curve;
use orders::Times;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rows::RunOutput;
use std::cell::Cell;

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<table::PyArrowTable>()?;
    rows::register(module)
}

pub struct Session {
    pub engine: PyEngine,
    pub audit: Audit,
    curve: Curve,
    /// When each open was sent or refused by the risk manager: the audit carries no times.
    times: Times,
    reporting: Reporting,
    /// Market events processed.
    pub events: usize,
}

impl Session {
    /// barter's engine over `config` with `strategy`, and the record of its session.
    pub fn start(
        py: Python<'_>,
        config: SessionConfig,
        strategy: Bound<'_, PyAny>,
        trading: TradingState,
        clock: Clock,
    ) -> PyResult<Self> {
        let (equity_every, reporting) = (config.equity_every, config.reporting);
        let engine = PyEngine::build(py, config.engine, strategy, trading, clock)?;
        let curve = equity::Curve::new(&engine, equity_every);
        Ok(Self {
            engine,
            audit: Audit::default(),
            curve,
            times: Times::default(),
            reporting,
            events: 0,
        })
    }

    /// One market event: the exchange sees it first (what it fills is barter's before the
    /// strategy is called for it), then barter's engine, then the exchange's answers to what
    /// the engine sent. The strategy is called once, for the event itself.
    pub fn market(
        &mut self,
        py: Python<'_>,
        market: MarketStreamEvent<InstrumentIndex, DataKind>,
    ) -> PyResult<()> {
        self.strategy_view(py, market, None)
    }

    /// With two clocks (`local`: the strategy's time, spec §12), a market event as barter's
    /// engine and the strategy see it, after the exchange saw it (`exchange_view`); with one,
    /// as `market`.
    pub fn strategy_view(
        &mut self,
        py: Python<'_>,
        market: MarketStreamEvent<InstrumentIndex, DataKind>,
        local: Option<DateTime<Utc>>,
    ) -> PyResult<()> {
        self.events += 1;
        let fills_before = self.audit.trades_len();
        let done = self.feed(py, market, local);
        let recorded = self.record(fills_before);
        done.and(recorded)
    }

    /// A warm-up event: the strategy is called as usual and its requests are dropped; it is
    /// neither recorded nor counted (the session's record starts after the warm-up).
    pub fn warm(
        &mut self,
        py: Python<'_>,
        market: MarketStreamEvent<InstrumentIndex, DataKind>,
        local: Option<DateTime<Utc>>,
    ) -> PyResult<()> {
        self.engine.core().strategy.set_muted(true);
        let done = self.feed(py, market, local);
        self.engine.core().strategy.set_muted(false);
        done
    }

    /// The warm-up is over: barter's statistics start at `time`, the first traded event's.
    pub fn warmed(&mut self, time: chrono::DateTime<chrono::Utc>) {
        self.engine.core_mut().meta.time_start = time;
    }

    /// The record follows each event, also when the strategy raised: the clock is the latest
    /// time seen (monotone, as recordings are not); a fill makes an equity point. An account
    /// valued beyond barter's decimal range is a `ValueError`.
    fn record(&mut self, fills_before: usize) -> PyResult<()> {
        let time = self.engine.core().clock.time();
        self.times.observe(&self.audit, time);
        let filled = self.audit.trades_len() > fills_before;
        self.curve
            .observe(&self.engine, time, filled)
            .map_err(PyValueError::new_err)
    }

    /// One clock (`local` None): the exchange sees the event, then barter's engine at the
    /// same time. Two: the exchange saw it already; barter's engine sees it at `local`. The
    /// exchange's answers due by then reach barter's engine first.
    fn feed(
        &mut self,
        py: Python<'_>,
        market: MarketStreamEvent<InstrumentIndex, DataKind>,
        local: Option<DateTime<Utc>>,
    ) -> PyResult<()> {
        if let reconnect::Event::Item(item) = &market {
            let time = match local {
                None => {
                    self.exchange_view(py, item)?;
                    item.time_exchange
                }
                Some(local) => local,
            };
            if local.is_some() {
                self.engine.exchange_local(time);
            }
            let audit = &mut self.audit;
            without_algo(&mut self.engine, |engine| engine.deliver(py, time, audit))?;
        }
        self.engine
            .step(py, EngineEvent::Market(market), &mut self.audit)?;
        self.settle(py)
    }

    /// A market event as the exchange sees it: what it fills goes to barter's engine (or on
    /// its way there, with response latency).
    pub fn exchange_view(
        &mut self,
        py: Python<'_>,
        item: &barter_data::event::MarketEvent<InstrumentIndex, DataKind>,
    ) -> PyResult<()> {
        self.curve.market(item);
        let fills = self.engine.exchange_market(item);
        if fills.is_empty() {
            return Ok(());
        }
        let audit = &mut self.audit;
        without_algo(&mut self.engine, |engine| {
            engine.account_events(py, fills, audit)
        })
    }

    /// Any other event (a command, a trading state update) through barter's engine, and the
    /// exchange's answers.
    pub fn other(&mut self, py: Python<'_>, event: EngineEvent) -> PyResult<()> {
        let fills_before = self.audit.trades_len();
        let done = self
            .engine
            .step(py, event, &mut self.audit)
            .and_then(|()| self.settle(py));
        let recorded = self.record(fills_before);
        done.and(recorded)
    }

    /// Requests from outside a strategy call (`LiveSystem.send_requests`), recorded as any
    /// other event is.
    pub fn send_requests(&mut self, py: Python<'_>, requests: Requests) -> PyResult<()> {
        let fills_before = self.audit.trades_len();
        let audit = &mut self.audit;
        let done = without_algo(&mut self.engine, |engine| {
            engine.send_requests_to(py, requests, audit)?;
            engine.settle(py, audit)
        });
        let recorded = self.record(fills_before);
        done.and(recorded)
    }

    fn settle(&mut self, py: Python<'_>) -> PyResult<()> {
        let audit = &mut self.audit;
        without_algo(&mut self.engine, |engine| engine.settle(py, audit))
    }

    /// The data ended: a `BarStrategy` gets its last bars; requests still on their way to the
    /// simulated exchange expire; then, if asked, barter's market close of every open position
    /// (see `close_at_end`).
    pub fn end(&mut self, py: Python<'_>, close_as: Option<&StrategyId>) -> PyResult<()> {
        // What the last bars send is recorded with the end (one forced point below).
        self.engine.end_bars(py, &mut self.audit)?;
        let audit = &mut self.audit;
        without_algo(&mut self.engine, |engine| engine.exchange_end(py, audit))?;
        if let Some(id) = close_as {
            close_at_end(py, &mut self.engine, id, &mut self.audit)?;
        }
        let end = self.engine.core().clock.time();
        self.times.observe(&self.audit, end);
        self.curve
            .observe(&self.engine, end, true)
            .map_err(PyValueError::new_err)?;
        self.curve.finish(end);
        Ok(())
    }

    /// The session's results as typed rows, kept native.
    pub fn results(self, py: Python<'_>) -> PyResult<RunOutput> {
        let Reporting {
            risk_free_return,
            interval,
        } = self.reporting;
        // barter's statistics use unchecked arithmetic (a risk-free return far from the
        // returns overflows them): a panic there is the run's failure, not a crash.
        let summary = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            summary::results(
                &self.engine,
                &self.audit,
                self.curve,
                &self.times,
                risk_free_return,
                interval,
                self.events,
            )
        }));
        summary.map_err(|_| {
            error::new_err(
                py,
                Kind::Backtest,
                "barter's statistics of the run failed inside barter (a decimal overflow)".into(),
            )
        })
    }
}

/// Account events and settlement with algo orders off: barter's engine calls the strategy
/// after every event it processes, and a strategy that sends an order on each call would
/// otherwise never let the session reach the next market event. The strategy is called once
/// per market event, as a backtest's `on_tick` is. (Set directly, so no hook runs.)
fn without_algo(
    engine: &mut PyEngine,
    work: impl FnOnce(&mut PyEngine) -> PyResult<()>,
) -> PyResult<()> {
    let before = engine.core().state.trading;
    engine.core_mut().state.trading = TradingState::Disabled;
    let done = work(engine);
    engine.core_mut().state.trading = before;
    done
}

/// barter's market close for every open position (the simulated exchange fills it at the
/// touch; barter's mock at barter's price of each instrument), with
/// deterministic client order ids (`{strategy}-close-{n}`, in barter's instrument order).
/// Trading is turned off first, directly, so that no algo order and no hook interferes.
/// Resting orders are cancelled first (barter's `CancelOrders`): a resting Sell holds the
/// base the close sells.
fn close_at_end(
    py: Python<'_>,
    engine: &mut PyEngine,
    id: &StrategyId,
    audit: &mut Audit,
) -> PyResult<()> {
    engine.core_mut().state.trading = TradingState::Disabled;
    if engine
        .simulated()
        .is_some_and(|exchange| exchange.has_resting() || !exchange.conditional().is_empty())
    {
        let cancel = Command::CancelOrders(InstrumentFilter::None);
        engine.step(py, EngineEvent::Command(cancel), audit)?;
        engine.settle(py, audit)?;
    }
    let numbered = Cell::new(0);
    let (_, opens) = close_open_positions_with_market_orders(
        id,
        &engine.core().state,
        &InstrumentFilter::None,
        |_| {
            numbered.set(numbered.get() + 1);
            ClientOrderId::new(format!("{}-close-{}", id.0, numbered.get()))
        },
    );
    let opens: Vec<_> = opens.into_iter().collect();
    if opens.is_empty() {
        return Ok(());
    }
    let command = Command::SendOpenRequests(OneOrMany::from(opens));
    engine.step(py, EngineEvent::Command(command), audit)?;
    engine.settle(py, audit)
}
