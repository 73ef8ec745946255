//! `barter_python._native.Engine`: barter's `Engine` with a Python strategy, trading on the
//! simulated exchange or on barter-execution's mock exchanges.
//!
//! The engine is barter's own (`barter::engine::Engine`), with barter's `EngineState` and the
//! SDK's risk manager (`risk::Limits`, barter's `RiskManager`). Its orders go to the SDK's simulated exchange (`exchange::simulated`),
//! which answers synchronously with barter's account events, or, per exchange of the book, to
//! barter's `ExecutionManager` in front of barter-execution's `MockExchange`. This file builds
//! them from snapshots, feeds events in, collects the exchanges' answers and reports what
//! happened. barter does the trading.

pub mod actions;
pub mod audit;
pub mod bars;
pub mod clock;
pub mod depth;
pub mod event;
pub mod keys;
pub mod requests;
pub mod seen;
pub mod strategy;
pub mod value;
pub mod view;

use crate::bind::enums::Enum;
use crate::bind::error::{self, Kind};
use crate::book::filter;
use crate::book::snapshot::InstrumentInput;
use crate::book::state::{self, Book, Index};
use crate::exchange::market::Quote;
use crate::exchange::queue::QueuedTxMap;
use crate::exchange::simulated::{self, Listing, Simulated};
use crate::exchange::Exchange;
use crate::market;
use crate::order::PyStrategyId;
use audit::{Audit, PyAudit};
use barter::engine::{
    action::{generate_algo_orders::GenerateAlgoOrders, ActionOutput},
    clock::{EngineClock, LiveClock},
    command::Command,
    state::{
        global::DefaultGlobalData,
        instrument::{data::DefaultInstrumentMarketData, filter::InstrumentFilter},
        trading::TradingState,
        EngineState,
    },
    Engine, Processor,
};
use barter::execution::{builder::ExecutionBuilder, AccountStreamEvent};
use barter::{EngineEvent, Timed};
use barter_data::streams::reconnect;
use barter_execution::order::id::StrategyId;
use barter_execution::{
    balance::{AssetBalance, Balance},
    client::mock::MockExecutionConfig,
    AccountEvent, UnindexedAccountSnapshot,
};
use barter_instrument::{
    asset::{name::AssetNameInternal, ExchangeAsset},
    exchange::ExchangeId,
    index::IndexedInstruments,
    instrument::InstrumentIndex,
    Keyed,
};
use clock::Clock;
use event::PyEngineEvent;
use keys::Keys;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyMapping;
use rust_decimal::Decimal;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use strategy::PyStrategy;
use tokio::sync::mpsc::UnboundedReceiver;

pub type Data = DefaultInstrumentMarketData;
pub type State = EngineState<DefaultGlobalData, Data>;
pub type Risk = crate::risk::limits::Limits;
pub type Core = Engine<Clock, State, QueuedTxMap, PyStrategy, Risk>;

/// How long `process` waits for one round of answers before giving up. barter's execution
/// manager answers every request within 1 s (a timeout at worst); latency is capped below that.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(3);

/// barter's `Engine` driven from Python, trading against barter-execution's mock exchanges.
#[pyclass(subclass, module = "barter_python._native", name = "Engine")]
pub struct PyEngine {
    core: Core,
    /// Set when barter panicked inside the engine: its state may be half-updated.
    poisoned: Option<String>,
    venue: Venue,
    keys: Arc<Keys>,
}

/// The exchange behind the engine's execution queues.
pub enum Venue {
    /// The SDK's exchange, answering synchronously.
    Simulated(Box<Simulated>),
    /// barter's execution managers and mock exchanges on a tokio runtime, answering on the
    /// account channel.
    BarterMock {
        runtime: tokio::runtime::Runtime,
        account: UnboundedReceiver<AccountStreamEvent>,
    },
}

#[pymethods]
impl PyEngine {
    /// barter's `Engine` over `config` (a validated `SessionConfig`, its engine's part: its instruments' prices
    /// seed the market data, their positions the engine's positions), trading on its exchange
    /// holding its balances.
    #[new]
    #[pyo3(signature = (config, strategy, *, trading_enabled))]
    fn py_new(
        py: Python<'_>,
        config: &Bound<'_, PyAny>,
        strategy: Bound<'_, PyAny>,
        trading_enabled: bool,
    ) -> PyResult<Self> {
        let trading = if trading_enabled {
            TradingState::Enabled
        } else {
            TradingState::Disabled
        };
        let config = Config::extract(config)?;
        Self::build(py, config, strategy, trading, Clock::Live(LiveClock))
    }

    /// barter's `Engine::process` for one event, then the mock exchanges' answers to whatever
    /// it sent (each processed by the engine in turn). Returns what the engine did.
    fn process(slf: &Bound<'_, Self>, event: &PyEngineEvent) -> PyResult<PyAudit> {
        borrowed(slf)?.process_event(slf.py(), event)
    }

    /// barter's `cancel_orders` action (`Command::CancelOrders`) for the filter.
    #[pyo3(signature = (filter=None))]
    fn cancel_orders(
        slf: &Bound<'_, Self>,
        filter: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyAudit> {
        borrowed(slf)?.filtered(slf.py(), filter, Command::CancelOrders)
    }

    /// barter's `close_positions` action (`Command::ClosePositions`) for the filter: the
    /// strategy's `close_positions_requests`, sent without risk checks.
    #[pyo3(signature = (filter=None))]
    fn close_positions(
        slf: &Bound<'_, Self>,
        filter: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyAudit> {
        borrowed(slf)?.filtered(slf.py(), filter, Command::ClosePositions)
    }

    /// barter's `send_requests` (`Command::SendCancelRequests`, then `SendOpenRequests`).
    fn send_requests(
        slf: &Bound<'_, Self>,
        cancels: &Bound<'_, PyAny>,
        opens: &Bound<'_, PyAny>,
    ) -> PyResult<PyAudit> {
        borrowed(slf)?.send(slf.py(), cancels, opens)
    }

    /// Garbage-collector support: a strategy that keeps a reference to its engine makes a cycle.
    fn __traverse__(&self, visit: pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        self.core.strategy.traverse(&visit)
    }

    fn __clear__(&mut self, py: Python<'_>) {
        self.core.strategy.clear(py);
    }

    /// A read-only view of the engine's state (positions, orders, prices, trading state,
    /// connectivity), read when its methods are called.
    #[getter]
    fn state(slf: Bound<'_, Self>) -> view::PyStateView {
        view::PyStateView::of_engine(slf.unbind())
    }
}

/// The engine for one call. A strategy or hook that calls its own engine runs inside the
/// engine's call that ran it: refused with what to do instead, not PyO3's "Already borrowed".
fn borrowed<'py>(slf: &Bound<'py, PyEngine>) -> PyResult<PyRefMut<'py, PyEngine>> {
    slf.try_borrow_mut().map_err(|_| {
        PyRuntimeError::new_err(
            "the Engine was called from inside its own strategy or hook, while it is still in \
             the call that ran it; return requests from generate_algo_orders (or use the \
             hook's actions) instead",
        )
    })
}

/// The engine's part of a `SessionConfig` model (its rules are the model's): what barter's
/// engine, its exchange and its risk manager are built from.
pub struct Config {
    pub strategy_id: StrategyId,
    pub instruments: Vec<InstrumentInput>,
    /// The exchange's (and barter's) starting balances; barter's asset names are lowercase.
    pub balances: Vec<(ExchangeId, AssetNameInternal, Decimal)>,
    pub exchange: Exchange,
    /// The risk manager's limits (a `RiskLimits` model's).
    pub risk: crate::risk::Settings,
}

impl Config {
    pub fn extract(model: &Bound<'_, PyAny>) -> PyResult<Self> {
        let field = |name: &str| model.getattr(name);
        let balances = field("balances")?;
        Ok(Self {
            strategy_id: PyStrategyId::extract(&field("strategy_id")?, "strategy_id")?,
            instruments: field("instruments")?
                .try_iter()?
                .map(|item| item?.extract())
                .collect::<PyResult<_>>()?,
            balances: balances
                .cast::<PyMapping>()?
                .items()?
                .iter()
                .map(|item| {
                    let ((exchange, asset), amount): ((Enum<ExchangeId>, String), Decimal) =
                        item.extract()?;
                    Ok((exchange.0, AssetNameInternal::new(asset), amount))
                })
                .collect::<PyResult<_>>()?,
            exchange: Exchange::extract(&field("exchange")?)?,
            risk: crate::risk::Settings::extract(&field("risk")?)?,
        })
    }
}

impl PyEngine {
    /// barter's engine over `config`'s instruments with `strategy`, trading on its exchange. barter's
    /// mock runs one exchange per exchange of the book; with a replay clock its tokio time is
    /// paused, so its latency passes in virtual time and a replay never sleeps.
    pub fn build(
        py: Python<'_>,
        config: Config,
        strategy: Bound<'_, PyAny>,
        trading: TradingState,
        clock: Clock,
    ) -> PyResult<Self> {
        let Config {
            strategy_id: id,
            instruments: inputs,
            balances,
            exchange,
            risk,
        } = config;
        let fees_percent = exchange.fees_percent();
        check_positions(&inputs, fees_percent)?;
        let time = clock.time();
        // The layout (barter's sorted instruments, assets and exchanges, in O(N)) for barter's
        // own state builder.
        let book = Book::from_snapshots(&inputs, time).map_err(|dup| dup.into_err(py, &inputs))?;
        check_assets(&book.index)?;
        check_balances(&book.index, &balances)?;
        let (state, index, indexed) = engine_state(book, &inputs, &balances, trading, time);

        let exchanges = index.exchanges.len();
        let (venue, txs) = match exchange {
            Exchange::Simulated(settings) => {
                let exchange =
                    simulated_exchange(settings, &state, &index, &inputs, &balances, time);
                (
                    Venue::Simulated(Box::new(exchange)),
                    QueuedTxMap::simulated(exchanges),
                )
            }
            Exchange::BarterMock {
                fees_percent,
                latency_ms,
            } => {
                let mock = barter_mock(
                    &index,
                    &indexed,
                    &balances,
                    fees_percent,
                    latency_ms,
                    &clock,
                    time,
                )?;
                (mock.0, QueuedTxMap::new(mock.1, exchanges))
            }
        };
        let keys = Arc::new(Keys::new(index, inputs, fees_percent, id.clone()));
        let risk = risk.resolve(|exchange, name| keys.instrument_index(exchange, name).ok())?;
        let mut strategy = PyStrategy::new(strategy, id, keys.clone(), clock.clone())?;
        if let Venue::Simulated(exchange) = &venue {
            let margin = exchange.settings().account == simulated::Account::Margin;
            strategy
                .seen_mut()
                .watch(exchange.quotes(), margin, exchange.conditional());
        }
        let core = Engine::new(clock, state, txs, strategy, risk);
        Ok(Self {
            core,
            poisoned: None,
            venue,
            keys,
        })
    }

    fn process_event(&mut self, py: Python<'_>, event: &PyEngineEvent) -> PyResult<PyAudit> {
        let event = event.indexed(&self.keys, &self.core.state)?;
        let mut audit = Audit::default();
        if let EngineEvent::Market(reconnect::Event::Item(market)) = &event {
            // The exchange sees the market first: what the event fills is barter's before
            // the strategy is called for it.
            let fills = self.exchange_market(market);
            self.account_events(py, fills, &mut audit)?;
            self.deliver(py, market.time_exchange, &mut audit)?;
        }
        self.step(py, event, &mut audit)?;
        self.finish(py, audit)
    }

    fn send(
        &mut self,
        py: Python<'_>,
        cancels: &Bound<'_, PyAny>,
        opens: &Bound<'_, PyAny>,
    ) -> PyResult<PyAudit> {
        let requests = requests::requests(&self.keys, &self.core.state, cancels, opens)?;
        let mut audit = Audit::default();
        self.send_requests_to(py, requests, &mut audit)?;
        self.finish(py, audit)
    }

    /// Requests through barter's engine (cancels, then opens), conditional orders to the
    /// exchange first (so that a bracket's legs are held before its entry can fill).
    pub fn send_requests_to(
        &mut self,
        py: Python<'_>,
        requests: requests::Requests,
        audit: &mut Audit,
    ) -> PyResult<()> {
        let requests::Requests {
            cancels,
            opens,
            placements,
        } = requests;
        if !placements.is_empty() {
            let work = placements.into_iter().map(requests::ToExchange::Place);
            self.core.strategy.send(work);
            self.settle(py, audit)?;
        }
        for command in requests::send_commands(cancels, opens) {
            self.step(py, EngineEvent::Command(command), audit)?;
        }
        Ok(())
    }

    /// The simulated exchange, if the engine trades on it.
    pub fn simulated(&self) -> Option<&Simulated> {
        match &self.venue {
            Venue::Simulated(exchange) => Some(exchange),
            Venue::BarterMock { .. } => None,
        }
    }

    /// A market event as the exchange sees it, before the engine does: the account events of
    /// what it fills (none on barter's mock, which does not see the market).
    pub fn exchange_market(
        &mut self,
        market: &barter_data::event::MarketEvent<InstrumentIndex, barter_data::event::DataKind>,
    ) -> Vec<AccountEvent> {
        self.on_exchange(|exchange, check, out| exchange.on_market(market, check, out))
    }

    /// Work on the simulated exchange, its answers collected. It does not panic by design;
    /// were it to, the engine is poisoned as for a panic inside barter (no panic reaches
    /// Python, and no half-settled state is traded on).
    /// What a triggered conditional order sends is checked by the risk manager (`check`).
    fn on_exchange(
        &mut self,
        work: impl FnOnce(&mut Simulated, &mut simulated::Check<'_>, &mut Vec<AccountEvent>),
    ) -> Vec<AccountEvent> {
        let mut out = Vec::new();
        let Self {
            core,
            venue,
            poisoned,
            ..
        } = self;
        if let Venue::Simulated(exchange) = venue {
            let (risk, state) = (&core.risk, &core.state);
            let mut check = |open: &requests::IndexedOpen| risk.check_one(state, open);
            // What it answers travels back (response latency) unless it is due at once.
            let done = std::panic::catch_unwind(AssertUnwindSafe(|| {
                work(exchange, &mut check, &mut out);
                exchange.respond(&mut out);
            }));
            if done.is_err() {
                *poisoned = Some("the simulated exchange failed".into());
                out.clear();
            }
        }
        out
    }

    /// Two clocks (spec §12): the strategy's clock reached `local`; requests sent from now on
    /// leave then, and those whose latency has passed by then reach the exchange (their
    /// answers wait for `deliver`).
    pub fn exchange_local(&mut self, local: chrono::DateTime<chrono::Utc>) {
        self.on_exchange(|exchange, check, _| {
            exchange.set_local(local);
            exchange.arrive_until(local, false, check);
        });
    }

    /// The exchange's answers that reach barter's engine by strategy time `until` (response
    /// latency), through it in order.
    pub fn deliver(
        &mut self,
        py: Python<'_>,
        until: chrono::DateTime<chrono::Utc>,
        audit: &mut Audit,
    ) -> PyResult<()> {
        let Venue::Simulated(exchange) = &mut self.venue else {
            return Ok(());
        };
        let mut due = Vec::new();
        exchange.deliver(until, &mut due);
        self.account_events(py, due, audit)
    }

    /// The data ended: requests still on their way to the simulated exchange expire, and from
    /// now on requests reach it at once (the end-of-data close).
    pub fn exchange_end(&mut self, py: Python<'_>, audit: &mut Audit) -> PyResult<()> {
        let out = self.on_exchange(|exchange, _, out| exchange.end(out));
        self.account_events(py, out, audit)
    }

    /// The data ended: a `BarStrategy` gets its last bars (while trading is on), and what it
    /// sends is settled.
    pub fn end_bars(&mut self, py: Python<'_>, audit: &mut Audit) -> PyResult<()> {
        if !self.core.strategy.end_bars() || self.core.state.trading != TradingState::Enabled {
            return Ok(());
        }
        self.core.strategy.set_flushing(true);
        let core = &mut self.core;
        let done = std::panic::catch_unwind(AssertUnwindSafe(|| core.generate_algo_orders()));
        self.core.strategy.set_flushing(false);
        match done {
            Ok(output) => audit.action(ActionOutput::GenerateAlgoOrders(output), &self.keys),
            Err(_) => self.poisoned = Some("barter panicked on the last bars".into()),
        }
        self.settle(py, audit)
    }

    /// The exchange's answers through barter's engine, in order.
    pub fn account_events(
        &mut self,
        py: Python<'_>,
        events: Vec<AccountEvent>,
        audit: &mut Audit,
    ) -> PyResult<()> {
        for event in events {
            self.step(
                py,
                EngineEvent::Account(AccountStreamEvent::Item(event)),
                audit,
            )?;
        }
        Ok(())
    }

    /// barter failed inside: the engine takes no more events.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.is_some()
    }

    pub fn core(&self) -> &Core {
        &self.core
    }

    pub fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    pub fn shared_keys(&self) -> Arc<Keys> {
        self.keys.clone()
    }

    /// A filtered barter command, the filter resolved against this engine's instruments.
    fn filtered(
        &mut self,
        py: Python<'_>,
        filter: Option<&Bound<'_, PyAny>>,
        command: fn(InstrumentFilter) -> Command,
    ) -> PyResult<PyAudit> {
        let filter = filter::extract(filter)?.resolve(py, &self.keys.index, &self.keys.inputs)?;
        self.run(py, EngineEvent::Command(command(filter)))
    }

    fn run(&mut self, py: Python<'_>, event: EngineEvent) -> PyResult<PyAudit> {
        let mut audit = Audit::default();
        self.step(py, event, &mut audit)?;
        self.finish(py, audit)
    }

    /// One event through barter's engine, recorded. A panic inside barter does not cross into
    /// Python: it poisons the engine and raises `EngineError`, now and on every later call.
    pub fn step(&mut self, py: Python<'_>, event: EngineEvent, audit: &mut Audit) -> PyResult<()> {
        self.core.strategy.before(&event);
        if let EngineEvent::Command(Command::CancelOrders(filter)) = &event {
            // barter cancels the orders it knows; the exchange its untriggered ones.
            let work = requests::ToExchange::Cancel(filter.clone());
            self.core.strategy.send([work]);
        }
        if self.poisoned.is_none() {
            if let EngineEvent::Market(reconnect::Event::Item(market)) = &event {
                price_candle(&mut self.core.state, market);
            }
            if let EngineEvent::Account(AccountStreamEvent::Item(account)) = &event {
                audit.account(&account.kind, &self.keys);
            }
            let core = &mut self.core;
            match std::panic::catch_unwind(AssertUnwindSafe(|| core.process(event))) {
                Ok(output) => {
                    audit.engine(output, &self.keys);
                    return Ok(());
                }
                Err(panic) => {
                    self.poisoned = Some(error::panic_text(panic.as_ref()));
                    self.core.strategy.take_failure(); // superseded by the engine's failure
                }
            }
        }
        Err(self.failure(py))
    }

    /// `EngineError` for the failure that poisoned the engine.
    fn failure(&self, py: Python<'_>) -> PyErr {
        let message = self.poisoned.as_deref().unwrap_or_default();
        error::new_err(
            py,
            Kind::Engine,
            format!("the engine stopped after a failure inside barter: {message}"),
        )
    }

    /// Settle, then the call's audit (or the strategy's error).
    fn finish(&mut self, py: Python<'_>, mut audit: Audit) -> PyResult<PyAudit> {
        self.settle(py, &mut audit)?;
        Ok(PyAudit::from(audit))
    }

    /// Hand the engine's queued requests to its exchange and the answers back to the engine,
    /// until nothing is pending; then surface a strategy error if there was one.
    pub fn settle(&mut self, py: Python<'_>, audit: &mut Audit) -> PyResult<()> {
        if let Venue::Simulated(_) = self.venue {
            self.settle_simulated(py, audit)?;
        } else {
            self.settle_mock(py, audit)?;
        }
        match self.core.strategy.take_failure() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// Hand every queued request to the simulated exchange and its answers to the engine,
    /// until the engine sends nothing more.
    fn settle_simulated(&mut self, py: Python<'_>, audit: &mut Audit) -> PyResult<()> {
        loop {
            // Conditional orders first: a bracket's legs are held before its entry fills.
            let work = self.core.strategy.take_outbox();
            let requests = self.core.execution_txs.drain();
            if requests.is_empty() && work.is_empty() {
                return Ok(());
            }
            let selected = |filter: &InstrumentFilter| -> Vec<InstrumentIndex> {
                let instruments = self.core.state.instruments.instruments(filter);
                instruments.map(|state| state.key).collect()
            };
            let work: Vec<_> = work
                .into_iter()
                .map(|work| match work {
                    requests::ToExchange::Place(placement) => Ok(placement),
                    requests::ToExchange::Cancel(filter) => Err(selected(&filter)),
                })
                .collect();
            let out = self.on_exchange(|exchange, check, out| {
                for work in work {
                    match work {
                        Ok(placement) => exchange.place(placement, check, out),
                        Err(selected) => exchange.cancel_conditionals(|i| selected.contains(&i)),
                    }
                }
                for request in requests {
                    exchange.request(request, check, out);
                }
            });
            if self.poisoned.is_some() {
                return Err(self.failure(py));
            }
            self.account_events(py, out, audit)?;
        }
    }

    /// barter's mock: its runtime and account channel.
    fn mock(
        &mut self,
    ) -> Option<(
        &tokio::runtime::Runtime,
        &mut UnboundedReceiver<AccountStreamEvent>,
    )> {
        match &mut self.venue {
            Venue::BarterMock { runtime, account } => Some((runtime, account)),
            Venue::Simulated(_) => None,
        }
    }

    /// Release the engine's queued requests to the mock exchanges round by round, waiting for
    /// an answer to each (barter's execution manager gives exactly one per request: the
    /// exchange's response, or a timeout after 1 s) and for the trade of every fill, processing
    /// each through the engine.
    fn settle_mock(&mut self, py: Python<'_>, audit: &mut Audit) -> PyResult<()> {
        let placed = self.core.strategy.take_outbox();
        if placed
            .iter()
            .any(|work| matches!(work, requests::ToExchange::Place(_)))
        {
            return Err(PyValueError::new_err(
                "conditional orders need the simulated exchange (exchange=SimulatedExchange()): \
                 barter's mock exchange knows only market and limit orders",
            ));
        }
        'rounds: loop {
            let released = match self.core.execution_txs.release() {
                Ok(released) => released,
                Err(err) => {
                    audit.error(err.to_string());
                    break;
                }
            };
            audit.released(released);
            if audit.answers_pending() == 0 {
                break;
            }
            // Read inside the runtime: a paused runtime's virtual clock, not wall time.
            let Some((runtime, _)) = self.mock() else {
                break;
            };
            let deadline = {
                let _inside = runtime.enter();
                tokio::time::Instant::now()
            } + SETTLE_TIMEOUT;
            while audit.answers_pending() > 0 {
                let Some((runtime, account)) = self.mock() else {
                    break 'rounds;
                };
                // The timer must be made inside the runtime: build it in the async block.
                let next = py.detach(|| {
                    runtime.block_on(async {
                        tokio::time::timeout_at(deadline, answers(account)).await
                    })
                });
                match next {
                    Ok(Some(events)) => {
                        for event in events {
                            self.step(py, EngineEvent::Account(event), audit)?;
                        }
                    }
                    Ok(None) => {
                        audit.error("the mock execution stopped".to_string());
                        break 'rounds;
                    }
                    Err(_) => {
                        audit.error(format!(
                            "mock exchanges did not answer within {} s",
                            SETTLE_TIMEOUT.as_secs()
                        ));
                        break 'rounds;
                    }
                }
            }
        }
        // Answers already delivered beyond what was awaited.
        while let Some(event) = self.mock().and_then(|(_, account)| account.try_recv().ok()) {
            self.step(py, EngineEvent::Account(event), audit)?;
        }
        Ok(())
    }
}

/// The next answers of the mock exchanges: the first to come, then every other one ready
/// once the exchanges' tasks have run again (one wait per batch, not per answer); `None` when
/// the mock execution stopped.
async fn answers(
    account: &mut UnboundedReceiver<AccountStreamEvent>,
) -> Option<Vec<AccountStreamEvent>> {
    let mut events = vec![account.recv().await?];
    loop {
        while let Ok(event) = account.try_recv() {
            events.push(event);
        }
        tokio::task::yield_now().await;
        match account.try_recv() {
            Ok(event) => events.push(event),
            Err(_) => return Some(events),
        }
    }
}

/// The simulated exchange over the engine's instruments (barter's indices, read from barter's
/// state), priced by the snapshots until the market speaks, holding `balances`.
fn simulated_exchange(
    settings: simulated::Settings,
    state: &State,
    index: &Index,
    inputs: &[InstrumentInput],
    balances: &[(ExchangeId, AssetNameInternal, Decimal)],
    time: chrono::DateTime<chrono::Utc>,
) -> Simulated {
    let mut listings = Vec::new();
    let mut quotes = Vec::new();
    for (at, instrument) in state.instruments.0.values().enumerate() {
        let input = &inputs[index.input_of[at]];
        listings.push(Listing {
            exchange: instrument.instrument.exchange,
            base: instrument.instrument.underlying.base,
            quote: instrument.instrument.underlying.quote,
            name: format!("{}:{}", input.exchange.as_str(), input.instrument),
            spec: input.spec,
        });
        quotes.push(Quote::seeded(input.price));
    }
    let mut amounts = vec![Decimal::ZERO; index.assets.len()];
    for (exchange, asset, amount) in balances {
        if let Some(at) = index.asset_index.get(&(*exchange, asset.clone())) {
            amounts[at.index()] = *amount;
        }
    }
    let mut exchange = Simulated::new(settings, listings, quotes, amounts, time);
    for (at, input) in index
        .input_of
        .iter()
        .map(|input| &inputs[*input])
        .enumerate()
    {
        if let Some(position) = input.position.as_ref().filter(|p| !p.quantity.is_zero()) {
            let (side, quantity) = (position.side, position.quantity);
            exchange.hold(
                InstrumentIndex(at),
                side,
                quantity,
                position.price_entry_average,
            );
        }
    }
    exchange
}

/// barter's execution managers and mock exchanges, one per exchange of the book (barter's
/// execution map is indexed by the book's sorted exchanges and an exchange without an entry
/// stops the engine), on their own tokio runtime.
fn barter_mock(
    index: &Index,
    indexed: &IndexedInstruments,
    balances: &[(ExchangeId, AssetNameInternal, Decimal)],
    fees_percent: Decimal,
    latency_ms: u64,
    clock: &Clock,
    time: chrono::DateTime<chrono::Utc>,
) -> PyResult<(Venue, barter::engine::execution_tx::MultiExchangeTxMap)> {
    let mut runtime = tokio::runtime::Builder::new_current_thread();
    runtime.enable_time();
    if clock.is_replay() {
        runtime.start_paused(true);
    }
    let runtime = runtime
        .build()
        .map_err(|err| PyRuntimeError::new_err(format!("cannot start tokio: {err}")))?;
    let mut builder = ExecutionBuilder::new(indexed);
    for exchange in &index.exchanges {
        let snapshot = mock_account(index, *exchange, balances, time);
        let config = MockExecutionConfig::new(*exchange, snapshot, latency_ms, fees_percent);
        builder = builder
            .add_mock(config, clock.clone())
            .map_err(|err| PyRuntimeError::new_err(err.to_string()))?;
    }
    let build = builder.build();
    let handle = runtime.handle().clone();
    let execution = runtime
        .block_on(build.init_with_runtime(handle))
        .map_err(|err| PyRuntimeError::new_err(format!("mock execution: {err}")))?;
    let venue = Venue::BarterMock {
        runtime,
        account: execution.account_channel.rx.rx,
    };
    Ok((venue, execution.execution_txs))
}

/// barter panics closing a position whose entry price is zero (its PnL return divides by the
/// entry value), so the engine needs a real entry price for every open position; and closing
/// one must be an order the mock exchange can value.
fn check_positions(inputs: &[InstrumentInput], fees_percent: Decimal) -> PyResult<()> {
    for input in inputs {
        let Some(position) = input.position.as_ref().filter(|p| !p.quantity.is_zero()) else {
            continue;
        };
        let at = || {
            format!(
                "position in '{}' on '{}'",
                input.instrument,
                input.exchange.as_str()
            )
        };
        if position.price_entry_average <= Decimal::ZERO {
            return Err(PyValueError::new_err(format!(
                "{}: the engine needs price_entry_average > 0 (barter computes the position's \
                 return from it; a snapshot may leave it 0 only where nothing is computed)",
                at()
            )));
        }
        let price = input
            .price
            .unwrap_or_default()
            .max(position.price_entry_average);
        requests::fits(position.quantity, price, fees_percent)
            .map_err(|why| PyValueError::new_err(format!("{}: {why}", at())))?;
    }
    Ok(())
}

/// barter's `AssetStates` merges assets whose internal names are equal (`BTC` and `btc` on one
/// exchange) while its indices keep both, so account updates would land on the wrong asset.
fn check_assets(index: &Index) -> PyResult<()> {
    for pair in index.assets.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.exchange == b.exchange && a.asset.name_internal == b.asset.name_internal {
            return Err(PyValueError::new_err(format!(
                "assets '{}' and '{}' on '{}' differ only by case: barter's engine treats them \
                 as one asset; spell them the same",
                a.asset.name_exchange,
                b.asset.name_exchange,
                a.exchange.as_str()
            )));
        }
    }
    Ok(())
}

/// The mock exchange's opening account: every asset it trades, with the given balance or 0
/// (it expects a balance for each).
fn mock_account(
    index: &Index,
    exchange: ExchangeId,
    balances: &[(ExchangeId, AssetNameInternal, Decimal)],
    time: chrono::DateTime<chrono::Utc>,
) -> UnindexedAccountSnapshot {
    let assets = index
        .assets
        .iter()
        .filter(|asset| asset.exchange == exchange);
    let balances = assets
        .map(|asset| {
            let internal = &asset.asset.name_internal;
            let amount = balances
                .iter()
                .find(|(e, a, _)| *e == exchange && a == internal)
                .map_or(Decimal::ZERO, |(_, _, amount)| *amount);
            AssetBalance::new(
                asset.asset.name_exchange.clone(),
                Balance::new(amount, amount),
                time,
            )
        })
        .collect();
    UnindexedAccountSnapshot::new(exchange, balances, Vec::new())
}

/// barter's `EngineState` for the engine over `inputs`, made by barter's own builder from the
/// book's layout (`book` gives barter's indices in O(N); its own state is not used), with each
/// snapshot's price as the last traded price, the balances and the positions. Also returns the
/// layout and barter's `IndexedInstruments`, which the execution builder needs.
pub fn engine_state(
    book: Book,
    inputs: &[InstrumentInput],
    balances: &[(ExchangeId, AssetNameInternal, Decimal)],
    trading: TradingState,
    time: chrono::DateTime<chrono::Utc>,
) -> (State, Index, IndexedInstruments) {
    let indexed = book.indexed_instruments();
    let Book { index, .. } = book;
    let price_of = |keyed: &Keyed<InstrumentIndex, _>| Data {
        l1: Default::default(),
        // Timed at the earliest instant: barter keeps a last price only until a newer trade,
        // and any market event (historical ones too) is newer than the snapshot.
        last_traded_price: inputs[index.input_of[keyed.key.index()]]
            .price
            .map(|price| Timed::new(price, chrono::DateTime::<chrono::Utc>::MIN_UTC)),
    };
    let mut state = State::builder(&indexed, DefaultGlobalData, price_of)
        .trading_state(trading)
        .time_engine_start(time)
        .balances(balances.iter().map(|(exchange, asset, amount)| {
            let key = ExchangeAsset::new(*exchange, asset.clone());
            Keyed::new(key, Balance::new(*amount, *amount))
        }))
        .build();
    state::open_positions(&mut state, &index, inputs, time);
    (state, index, indexed)
}

/// barter's state builder panics on a balance of an asset no instrument trades: refuse it.
fn check_balances(
    index: &Index,
    balances: &[(ExchangeId, AssetNameInternal, Decimal)],
) -> PyResult<()> {
    for (exchange, asset, _) in balances {
        if !index.asset_index.contains_key(&(*exchange, asset.clone())) {
            return Err(PyValueError::new_err(format!(
                "balance for '{asset}' on '{}': no instrument of the engine trades that asset \
                 on that exchange",
                exchange.as_str()
            )));
        }
    }
    Ok(())
}

/// Register the engine classes on the native module.
/// barter's `DefaultInstrumentMarketData` takes no price from a candle. Its close is the
/// instrument's last traded price at its close time, set before barter processes the event,
/// as a trade there would be (spec §11): barter's state, its close helpers and the risk limits
/// then price the instrument.
fn price_candle(
    state: &mut State,
    event: &barter_data::event::MarketEvent<InstrumentIndex, barter_data::event::DataKind>,
) {
    let barter_data::event::DataKind::Candle(candle) = &event.kind else {
        return;
    };
    let (Ok(close), Some(instrument)) = (
        market::exact(candle.close),
        state.instruments.0.get_index_mut(event.instrument.index()),
    ) else {
        return;
    };
    let data = &mut instrument.1.data;
    if data
        .last_traded_price
        .as_ref()
        .is_none_or(|last| last.time < event.time_exchange)
    {
        data.last_traded_price = Some(Timed::new(close, event.time_exchange));
    }
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<PyEngine>()?;
    module.add_class::<PyEngineEvent>()?;
    module.add_class::<PyAudit>()?;
    module.add_class::<audit::PyTrade>()?;
    module.add_class::<view::PyStateView>()?;
    module.add_class::<actions::PyEngineActions>()?;
    module.add_class::<actions::Hook>()?;
    module.add_class::<view::PyConnectivity>()?;
    module.add_class::<seen::PyMarketEventView>()?;
    module.add_class::<seen::PyQuote>()?;
    module.add_class::<depth::PyBookView>()?;
    module.add_class::<bars::PyBar>()?;
    module.add_function(wrap_pyfunction!(event::load_market_events, module)?)?;
    module.add_function(wrap_pyfunction!(event::market_data_from_events, module)?)?;
    Ok(())
}
