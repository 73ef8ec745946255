//! The replay: every market event of a `MarketData` through barter's `Engine` (the one
//! `barter_python.engine` binds) with a Python strategy, deterministically. The engine's clock
//! is the events' exchange time (with `clocks="both"`, their receive time, the exchange seeing
//! each at its exchange time: `clocks`), its tokio time is paused (the mock exchanges' latency
//! passes in virtual time), and each event's orders are settled before the next event.

use super::clocks::{self, Merge, View};
use crate::bind::error::{self, Kind};
use crate::engine::audit::Audit;
use crate::engine::clock::{Clock, ReplayClock};
use crate::engine::event;
use crate::market::catalog::PyMarketQuery;
use crate::market::data::book::BookLevel;
use crate::market::data::{self, Instrument, PyMarketData};
use crate::session::config::SessionConfig;
use crate::session::rows::RunOutput;
use crate::session::Session;
use barter::engine::state::trading::TradingState;
use barter_data::event::DataKind;
use barter_data::streams::consumer::MarketStreamEvent;
use barter_data::streams::reconnect;
use barter_instrument::exchange::ExchangeId;
use barter_instrument::instrument::InstrumentIndex;
use chrono::{DateTime, SecondsFormat, Utc};
use pyo3::exceptions::{PyKeyboardInterrupt, PyValueError};
use pyo3::prelude::*;

/// How often (in events) the replay reports progress and lets Ctrl-C through.
const PROGRESS_EVERY: usize = 4096;

/// Replay `data` (a `MarketData`, or a `MarketQuery` read row group by row group) through
/// barter's engine with `strategy`, as `config` (a validated `BacktestConfig`) says; the
/// results as typed rows for `barter_python.backtest` to validate into its models.
#[pyfunction]
#[pyo3(signature = (strategy, data, config, *, progress=None))]
pub fn run_backtest<'py>(
    py: Python<'py>,
    strategy: Bound<'py, PyAny>,
    data: &Bound<'py, PyAny>,
    config: &Bound<'py, PyAny>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<RunOutput> {
    error::guard(py, Kind::Backtest, || {
        if let Ok(query) = data.cast::<PyMarketQuery>() {
            let query = query.get();
            let total = py
                .detach(|| query.len())
                .map_err(|failure| failure.into_py(py))?;
            let exchanges = query
                .instruments()
                .iter()
                .map(|(exchange, _)| *exchange)
                .collect();
            let events = || {
                query
                    .stream()
                    .map(|item| item.map_err(|failure| failure.into_py(py)))
            };
            if !two_clocks(config)? {
                let views = events().map(|event| event.map(View::Both));
                let source = Source::new(query.instruments(), exchanges, total, views);
                return replay(py, strategy, source, config, progress);
            }
            // A first pass finds the largest feed latency: the read-ahead's bound.
            let mut window = 0;
            for event in events() {
                window = window.max(clocks::window([&event?.0]));
            }
            let views = Merge::new(events(), window);
            let source = Source::new(query.instruments(), exchanges, total, views);
            return replay(py, strategy, source, config, progress);
        }
        let data = data.cast::<PyMarketData>()?.get().data().clone();
        let mut exchanges = Vec::new();
        for event in data.events() {
            if !exchanges.contains(&event.exchange) {
                exchanges.push(event.exchange);
            }
        }
        let (instruments, total) = (data.instruments(), data.events().len());
        let levels = data.levels();
        let events = data.events().iter().map(|event| Ok((*event, levels)));
        if two_clocks(config)? {
            let views = Merge::new(events, clocks::window(data.events()));
            let source = Source::new(instruments, exchanges, total, views);
            replay(py, strategy, source, config, progress)
        } else {
            let views = events.map(|event| event.map(View::Both));
            let source = Source::new(instruments, exchanges, total, views);
            replay(py, strategy, source, config, progress)
        }
    })
}

/// The level arena an event's L2 levels are in: the `MarketData`'s, or a streamed chunk's.
trait Levels: AsRef<[BookLevel]> + Clone {}

impl<T: AsRef<[BookLevel]> + Clone> Levels for T {}

/// `config.clocks == "both"` (spec §12): the strategy's clock is the events' receive time.
fn two_clocks(config: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(config.getattr("clocks")?.extract::<String>()? == "both")
}

/// What the replay reads: the market events' views in replay order (each event with the level
/// arena its L2 levels are in, `data::book`), the instruments they index and every exchange
/// they name, and how many events there are (for progress).
struct Source<'a, Views> {
    instruments: &'a [Instrument],
    exchanges: Vec<ExchangeId>,
    total: usize,
    views: Views,
}

impl<'a, Views> Source<'a, Views> {
    fn new(
        instruments: &'a [Instrument],
        exchanges: Vec<ExchangeId>,
        total: usize,
        views: Views,
    ) -> Self {
        Self {
            instruments,
            exchanges,
            total,
            views,
        }
    }
}

fn replay<'py>(
    py: Python<'py>,
    strategy: Bound<'py, PyAny>,
    source: Source<'_, impl Iterator<Item = PyResult<View<(data::Event, impl Levels)>>>>,
    config: &Bound<'py, PyAny>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<RunOutput> {
    let Source {
        instruments,
        exchanges,
        total,
        mut views,
    } = source;
    let Some(first) = views.next().transpose()? else {
        return Err(PyValueError::new_err("the market data has no events"));
    };
    let close_at_end: bool = config.getattr("close_positions_at_end")?.extract()?;
    let warmup_until = warmup_until(config)?;
    let config = SessionConfig::extract(config)?;
    let close_as = close_at_end.then(|| config.engine.strategy_id.clone());
    let clock = match &first {
        View::Both((event, _)) => ReplayClock::new(data::utc(event.time_exchange)),
        View::Exchange((event, _)) | View::Strategy((event, _)) => {
            ReplayClock::on_receive_time(data::utc(clocks::strategy_time(event)))
        }
    };
    // barter's own backtest requires trading enabled from the first event.
    let mut session = Session::start(
        py,
        config,
        strategy,
        TradingState::Enabled,
        Clock::Replay(clock),
    )?;

    // The data's instruments as the engine's, before any event: a name the config lacks is
    // the caller's error, not a half-run backtest.
    let keys = session.engine.keys();
    let indices: Vec<InstrumentIndex> = instruments
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
    for exchange in exchanges {
        keys.exchange_index(exchange)?;
    }

    // The events before `warmup_until` (up to the first at or after it) warm the strategy up.
    let mut trading = warmup_until.is_none();
    let mut at = 0;
    for view in std::iter::once(Ok(first)).chain(views) {
        let ((event, levels), local) = match view? {
            View::Both(item) => (item, None),
            View::Strategy(item) => {
                let local = clocks::strategy_time(&item.0);
                (item, Some(local))
            }
            View::Exchange((event, levels)) => {
                let market = event.to_barter(levels.as_ref(), |instrument| indices[instrument]);
                checked(py, &session, &market, at)?;
                if let reconnect::Event::Item(item) = &market {
                    session
                        .exchange_view(py, item)
                        .map_err(|err| failed(py, at, Some(event.time_exchange), err))?;
                }
                continue;
            }
        };
        let time = local.unwrap_or(event.time_exchange);
        if at % PROGRESS_EVERY == 0 {
            py.check_signals()?;
            if let Some(progress) = &progress {
                progress.call1((at, total))?;
            }
        }
        let market = event.to_barter(levels.as_ref(), |instrument| indices[instrument]);
        checked(py, &session, &market, at)?;
        if !trading && warmup_until.is_some_and(|until| time >= until) {
            trading = true;
            if at > 0 {
                session.warmed(data::utc(time));
            }
        }
        let local = local.map(data::utc);
        let done = if trading {
            session.strategy_view(py, market, local)
        } else {
            session.warm(py, market, local)
        };
        done.and_then(|()| no_settlement_errors(py, &session.audit))
            .map_err(|err| failed(py, at, Some(time), err))?;
        at += 1;
    }
    if !trading {
        return Err(PyValueError::new_err(format!(
            "warmup_until is after the data's last event: nothing would be traded (got {})",
            data::utc(warmup_until.unwrap_or_default())
                .to_rfc3339_opts(SecondsFormat::AutoSi, true)
        )));
    }
    if let Some(progress) = &progress {
        progress.call1((total, total))?;
    }
    session
        .end(py, close_as.as_ref())
        .map_err(|err| failed(py, total, None, err))?;
    session.results(py)
}

/// Market event `at` is one barter's engine can take (`event::check_market`).
fn checked(
    py: Python<'_>,
    session: &Session,
    market: &MarketStreamEvent<InstrumentIndex, DataKind>,
    at: usize,
) -> PyResult<()> {
    let engine = &session.engine;
    event::check_market(engine.keys(), &engine.core().state, market)
        .map_err(|err| PyValueError::new_err(format!("market event {at}: {}", err.value(py))))
}

/// `config.warmup_until` in nanoseconds (a time beyond them: never reached).
fn warmup_until(config: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    let until = config
        .getattr("warmup_until")?
        .extract::<Option<DateTime<Utc>>>()?;
    Ok(until.map(|until| until.timestamp_nanos_opt().unwrap_or(i64::MAX)))
}

/// A settlement problem (a mock exchange that stopped or did not answer, an error barter
/// reported) ends the run: the result would miss fills without saying so.
fn no_settlement_errors(py: Python<'_>, audit: &Audit) -> PyResult<()> {
    match audit.errors().first() {
        None => Ok(()),
        Some(first) => Err(error::new_err(py, Kind::Backtest, first.clone())),
    }
}

/// `BacktestError` naming the event the replay stopped at (its index and exchange time) and
/// what stopped it (the strategy raised, or barter failed inside), the cause's type named and
/// the cause chained. Ctrl-C is not a failure of the run: `KeyboardInterrupt` passes as it is.
fn failed(py: Python<'_>, at: usize, nanos: Option<i64>, cause: PyErr) -> PyErr {
    if cause.is_instance_of::<PyKeyboardInterrupt>(py) {
        return cause;
    }
    let kind = cause
        .get_type(py)
        .name()
        .map_or_else(|_| "?".to_string(), |name| name.to_string());
    let when = nanos.map_or_else(String::new, |nanos| {
        let time = data::utc(nanos).to_rfc3339_opts(SecondsFormat::AutoSi, true);
        format!(", at {time}")
    });
    let message = format!(
        "the backtest stopped at market event {at}: {} ({kind}{when})",
        cause.value(py)
    );
    let err = error::new_err(py, Kind::Backtest, message);
    err.set_cause(py, Some(cause));
    err
}
