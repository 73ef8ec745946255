//! The replay: every market event of a `MarketData` through barter's `Engine` (the one
//! `barter_python.engine` binds) with a Python strategy, deterministically. The engine's clock
//! is the events' exchange time, its tokio time is paused (the mock exchanges' latency passes
//! in virtual time), and each event's orders are settled before the next event.

use super::data::PyMarketData;
use super::equity;
use super::orders;
use super::rows::RunOutput;
use super::summary::{self, Interval};
use crate::bind::decimal;
use crate::bind::error::{self, Kind};
use crate::book::snapshot::InstrumentInput;
use crate::engine::audit::Audit;
use crate::engine::clock::{Clock, ReplayClock};
use crate::engine::{balance_inputs, event, Config, PyEngine};
use crate::exchange::Choice;
use crate::order::PyStrategyId;
use barter::engine::clock::EngineClock;
use barter::engine::command::Command;
use barter::engine::state::instrument::filter::InstrumentFilter;
use barter::engine::state::trading::TradingState;
use barter::strategy::close_positions::close_open_positions_with_market_orders;
use barter::EngineEvent;
use barter_data::streams::reconnect;
use barter_execution::order::id::ClientOrderId;
use barter_instrument::instrument::InstrumentIndex;
use barter_integration::collection::one_or_many::OneOrMany;
use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use std::cell::Cell;

/// How often (in events) the replay reports progress and lets Ctrl-C through.
const PROGRESS_EVERY: usize = 4096;

/// Replay `data` through barter's engine with `strategy`, as `config` (a validated
/// `BacktestConfig`) says; the results as typed rows for `barter_python.backtest` to
/// validate into its models.
#[pyfunction]
#[pyo3(signature = (strategy, data, config, *, progress=None))]
pub fn run_backtest<'py>(
    py: Python<'py>,
    strategy: Bound<'py, PyAny>,
    data: PyRef<'py, PyMarketData>,
    config: &Bound<'py, PyAny>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<RunOutput> {
    let data = data.data().clone();
    let events = data.events();
    let Some(start) = events.first().map(|event| event.time_exchange) else {
        return Err(PyValueError::new_err("the market data has no events"));
    };
    let id = PyStrategyId::extract(&config.getattr("strategy_id")?, "strategy_id")?;
    let risk_free_return =
        decimal::extract(&config.getattr("risk_free_return")?, "risk_free_return")?;
    let interval = Interval::extract(&config.getattr("interval")?)?;
    let equity_every = equity::every(&config.getattr("equity_interval")?)?;
    let close_positions_at_end: bool = config.getattr("close_positions_at_end")?.extract()?;
    let exchange = Choice::extract(&config.getattr("exchange")?)?;
    let inputs: Vec<InstrumentInput> = config
        .getattr("instruments")?
        .try_iter()?
        .map(|item| item?.extract())
        .collect::<PyResult<_>>()?;
    let engine_config = Config {
        balances: balance_inputs(&config.getattr("balances")?)?,
        // barter's own backtest requires trading enabled from the first event.
        trading: TradingState::Enabled,
        exchange,
        risk: crate::risk::Settings::extract(&config.getattr("risk")?)?,
    };
    let clock = ReplayClock::new(super::data::utc(start));
    let mut engine = PyEngine::build(
        py,
        inputs,
        strategy,
        id.clone(),
        engine_config,
        Clock::Replay(clock),
    )?;

    // The data's instruments as the engine's, before any event: a name the config lacks is
    // the caller's error, not a half-run backtest.
    let keys = engine.keys();
    let indices: Vec<InstrumentIndex> = data
        .instruments()
        .iter()
        .map(|(exchange, name)| {
            keys.instrument_index(*exchange, name).map_err(|_| {
                PyValueError::new_err(format!(
                    "the market data has events for instrument '{name}' on '{}', which is not \
                     in the config's instruments",
                    exchange.as_str()
                ))
            })
        })
        .collect::<PyResult<_>>()?;
    for event in events {
        keys.exchange_index(event.exchange)?;
    }

    let mut audit = Audit::default();
    let mut curve = equity::Curve::new(&engine, equity_every);
    let mut times = orders::Times::default();
    let total = events.len();
    for (at, event) in events.iter().enumerate() {
        if at % PROGRESS_EVERY == 0 {
            py.check_signals()?;
            if let Some(progress) = &progress {
                progress.call1((at, total))?;
            }
        }
        let market = event.to_barter(|instrument| indices[instrument]);
        event::check_market(engine.keys(), &engine.core().state, &market).map_err(|err| {
            PyValueError::new_err(format!("market event {at}: {}", err.value(py)))
        })?;
        let fills_before = audit.trades_len();
        if let reconnect::Event::Item(item) = &market {
            curve.market(item);
            // The exchange sees the event first; what it fills is in barter's state when the
            // strategy is called for this event.
            let fills = engine.exchange_market(item);
            if !fills.is_empty() {
                without_algo(&mut engine, |engine| {
                    engine.account_events(py, fills, &mut audit)
                })
                .map_err(|err| failed(py, at, err))?;
            }
        }
        engine
            .step(py, EngineEvent::Market(market), &mut audit)
            .and_then(|()| without_algo(&mut engine, |engine| engine.settle(py, &mut audit)))
            .and_then(|()| no_settlement_errors(py, &audit))
            .map_err(|err| failed(py, at, err))?;
        // The replay clock: the latest exchange time seen (monotone, as recordings are not).
        let time = engine.core().clock.time();
        times.observe(&audit, time);
        curve.observe(&engine, time, audit.trades_len() > fills_before);
    }
    if let Some(progress) = &progress {
        progress.call1((total, total))?;
    }
    without_algo(&mut engine, |engine| engine.exchange_end(py, &mut audit))
        .map_err(|err| failed(py, total, err))?;
    if close_positions_at_end {
        close_at_end(py, &mut engine, &id, &mut audit).map_err(|err| failed(py, total, err))?;
    }
    let end = engine.core().clock.time();
    times.observe(&audit, end);
    curve.observe(&engine, end, true);
    curve.finish(end);
    // The result is a few dicts per order, none in a cycle: the cyclic GC, set off by their
    // allocations, would only walk the heap again and again (an eighth of an order run).
    let gc = py.import(intern!(py, "gc"))?;
    let collecting = gc.call_method0(intern!(py, "isenabled"))?.is_truthy()?;
    gc.call_method0(intern!(py, "disable"))?;
    // barter's statistics use unchecked arithmetic (a risk-free return far from the returns
    // overflows them): a panic there is the run's failure, not a crash.
    let summary = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        summary::results(
            py,
            &engine,
            &audit,
            curve,
            &times,
            risk_free_return,
            interval,
            total,
        )
    }));
    if collecting {
        gc.call_method0(intern!(py, "enable"))?;
    }
    summary.unwrap_or_else(|_| {
        Err(error::new_err(
            py,
            Kind::Backtest,
            "barter's statistics of the run failed inside barter (a decimal overflow)".into(),
        ))
    })
}

/// A settlement problem (a mock exchange that stopped or did not answer, an error barter
/// reported) ends the run: the result would miss fills without saying so.
fn no_settlement_errors(py: Python<'_>, audit: &Audit) -> PyResult<()> {
    match audit.errors().first() {
        None => Ok(()),
        Some(first) => Err(error::new_err(py, Kind::Backtest, first.clone())),
    }
}

/// Account events and settlement with algo orders off: barter's engine calls the strategy
/// after every event it processes, and a strategy that sends an order on each call would
/// otherwise never let the replay reach the next market event. In a backtest the strategy is
/// called once per market event, as a backtest's `on_tick` is. (Set directly, so no hook runs.)
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
fn close_at_end(
    py: Python<'_>,
    engine: &mut PyEngine,
    id: &barter_execution::order::id::StrategyId,
    audit: &mut Audit,
) -> PyResult<()> {
    engine.core_mut().state.trading = TradingState::Disabled;
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

/// `BacktestError` naming the event the replay stopped at (the strategy raised, or barter
/// failed inside), the cause chained.
fn failed(py: Python<'_>, at: usize, cause: PyErr) -> PyErr {
    let message = format!(
        "the backtest stopped at market event {at}: {}",
        cause.value(py)
    );
    let err = error::new_err(py, Kind::Backtest, message);
    err.set_cause(py, Some(cause));
    err
}
