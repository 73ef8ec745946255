//! A Python strategy object as barter's strategy: one adapter implementing barter's
//! `AlgoStrategy`, `ClosePositionsStrategy`, `OnDisconnectStrategy` and `OnTradingDisabled`
//! (barter's strategy traits are not object-safe, so this is the one concrete type).
//!
//! barter's trait methods cannot fail, so a Python error inside one is kept, the call yields no
//! requests, and `Engine.process` raises the error once barter's call has finished (the engine
//! stays consistent: barter processed the event without the strategy's requests).

use super::view::{PyEngineActions, PyStateView};
use super::{Core, Keys, State};
use crate::order::{PyOrderRequestCancel, PyOrderRequestOpen};
use barter::engine::{
    action::ActionOutput, command::Command, state::instrument::filter::InstrumentFilter,
};
use barter::strategy::{
    algo::AlgoStrategy,
    close_positions::{close_open_positions_with_market_orders, ClosePositionsStrategy},
    on_disconnect::OnDisconnectStrategy,
    on_trading_disabled::OnTradingDisabled,
};
use barter_execution::order::{
    id::{ClientOrderId, StrategyId},
    request::{OrderRequestCancel, OrderRequestOpen},
    OrderEvent, OrderKey,
};
use barter_instrument::{
    asset::AssetIndex,
    exchange::{ExchangeId, ExchangeIndex},
    instrument::{name::InstrumentNameInternal, InstrumentIndex},
};
use barter_integration::collection::one_or_many::OneOrMany;
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};
use std::sync::Arc;
use std::sync::Mutex;

pub type IndexedCancel = OrderRequestCancel<ExchangeIndex, InstrumentIndex>;
pub type IndexedOpen = OrderRequestOpen<ExchangeIndex, InstrumentIndex>;

/// What a hook did, for barter's audit: its name and the output of each action it asked for.
#[derive(Debug, Clone)]
pub struct HookOutput {
    pub name: String,
    pub actions: Vec<ActionOutput>,
}

pub struct PyStrategy {
    object: Py<PyAny>,
    /// The view every `generate_algo_orders` call receives: one object, entered per call.
    view: Py<PyStateView>,
    id: StrategyId,
    keys: Arc<Keys>,
    /// The object defines `close_positions_requests`; otherwise barter's market close is used.
    overrides_close: bool,
    failure: Mutex<Option<PyErr>>,
}

impl PyStrategy {
    pub fn new(object: Bound<'_, PyAny>, id: StrategyId, keys: Arc<Keys>) -> PyResult<Self> {
        let py = object.py();
        for hook in [
            "generate_algo_orders",
            "on_disconnect",
            "on_trading_disabled",
        ] {
            if !object.hasattr(hook)? {
                return Err(PyTypeError::new_err(format!(
                    "strategy {} has no method '{hook}' (see barter_python.engine.Strategy)",
                    object.get_type().name()?
                )));
            }
        }
        let overrides_close = object.hasattr(intern!(py, "close_positions_requests"))?;
        Ok(Self {
            view: PyStateView::for_calls(py, keys.clone())?.unbind(),
            object: object.unbind(),
            id,
            keys,
            overrides_close,
            failure: Mutex::new(None),
        })
    }

    /// The Python objects this strategy holds, for the engine's garbage-collector support.
    pub fn traverse(&self, visit: &pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        visit.call(&self.object)?;
        visit.call(&self.view)
    }

    /// Drop the user's object (breaking a cycle through it); the engine stays memory-safe but
    /// a later strategy call fails with an AttributeError.
    pub fn clear(&mut self, py: Python<'_>) {
        self.object = py.None();
    }

    fn failure(&self) -> std::sync::MutexGuard<'_, Option<PyErr>> {
        // A poisoned lock only means a panic while storing: the slot itself is intact.
        self.failure
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The first Python error raised inside a strategy call since the last take.
    pub fn take_failure(&self) -> Option<PyErr> {
        self.failure().take()
    }

    fn fail(&self, err: PyErr) {
        self.failure().get_or_insert(err);
    }

    /// Call `method` with a state view valid only during the call; convert its
    /// `(cancels, opens)` result to barter's indexed requests.
    fn requests_from(
        &self,
        method: &Bound<'_, PyString>,
        state: &State,
        filter: Option<&InstrumentFilter>,
    ) -> (Vec<IndexedCancel>, Vec<IndexedOpen>) {
        let py = method.py();
        let view = self.view.bind(py);
        let entered = view.get().enter(state);
        let result = (|| {
            let object = self.object.bind(py);
            let returned = match filter {
                None => object.call_method1(method, (view,))?,
                // The filter as the instruments it selects, in the caller's keys.
                Some(filter) => {
                    let selected = state
                        .instruments
                        .instruments(filter)
                        .map(|s| {
                            let input = self.keys.instrument(s.key);
                            (
                                crate::enums::Enum(input.exchange),
                                input.instrument.as_str(),
                            )
                        })
                        .collect::<Vec<_>>();
                    object.call_method1(method, (view, selected))?
                }
            };
            let (cancels, opens): (Bound<'_, PyAny>, Bound<'_, PyAny>) =
                returned.extract().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "{method}() must return a (cancels, opens) tuple, got {}",
                        returned
                            .get_type()
                            .name()
                            .map(|n| n.to_string())
                            .unwrap_or_default()
                    ))
                })?;
            requests(&self.keys, &cancels, &opens)
        })();
        drop(entered);
        result.unwrap_or_else(|err| {
            self.fail(err);
            (Vec::new(), Vec::new())
        })
    }

    /// Call the hook with a recorder of actions, then carry each action out with barter's own
    /// `Engine::action` while barter's call to the hook is still running.
    fn hook(engine: &mut Core, name: &str, exchange: Option<ExchangeId>) -> HookOutput {
        let label = match exchange {
            Some(exchange) => format!("{name}:{}", exchange.as_str()),
            None => name.to_string(),
        };
        let commands = Python::attach(|py| {
            let keys = engine.strategy.keys.clone();
            let actions = match PyEngineActions::new(py, keys.clone()) {
                Ok(actions) => actions,
                Err(err) => {
                    engine.strategy.fail(err);
                    return Vec::new();
                }
            };
            let object = engine.strategy.object.bind(py);
            let view = actions.get().view().bind(py);
            let entered = view.get().enter(&engine.state);
            let called = match exchange {
                Some(exchange) => object
                    .call_method1(name, (&actions, crate::enums::Enum(exchange)))
                    .map(drop),
                None => object.call_method1(name, (&actions,)).map(drop),
            };
            drop(entered);
            let recorded = actions.get().finish(py, &keys);
            match called.and(recorded) {
                Ok(commands) => commands,
                Err(err) => {
                    engine.strategy.fail(err);
                    Vec::new()
                }
            }
        });
        let actions = commands
            .iter()
            .map(|command| engine.action(command))
            .collect();
        HookOutput {
            name: label,
            actions,
        }
    }
}

/// The caller's `OrderRequestCancel`s and `OrderRequestOpen`s as barter's indexed requests.
pub fn requests(
    keys: &Keys,
    cancels: &Bound<'_, PyAny>,
    opens: &Bound<'_, PyAny>,
) -> PyResult<(Vec<IndexedCancel>, Vec<IndexedOpen>)> {
    // Most calls return nothing: skip making iterators over empty lists.
    let empty = |list: &Bound<'_, PyAny>| list.cast::<PyList>().is_ok_and(|l| l.is_empty());
    if empty(cancels) && empty(opens) {
        return Ok((Vec::new(), Vec::new()));
    }
    let cancels = indexed::<PyOrderRequestCancel, _>(keys, cancels, "cancels", |r| &r.0)?;
    let opens = indexed::<PyOrderRequestOpen, _>(keys, opens, "opens", |r| &r.0)?;
    Ok((cancels, opens))
}

/// Each item of `items`, which must be a `Class`, as barter's indexed request.
fn indexed<Class, Kind>(
    keys: &Keys,
    items: &Bound<'_, PyAny>,
    what: &str,
    request: impl Fn(&Class) -> &OrderEvent<Kind, ExchangeId, InstrumentNameInternal>,
) -> PyResult<Vec<OrderEvent<Kind, ExchangeIndex, InstrumentIndex>>>
where
    Class: pyo3::PyClass<Frozen = pyo3::pyclass::boolean_struct::True> + Sync,
    Kind: Clone,
{
    items
        .try_iter()?
        .map(|item| {
            let item = item?;
            let class = item.cast::<Class>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "{what} must hold {}, got {}",
                    Class::NAME,
                    item.get_type()
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_default()
                ))
            })?;
            index_request(keys, request(class.get()))
        })
        .collect()
}

/// barter's commands sending these requests: cancels first, then opens; none for an empty list
/// (barter's `OneOrMany` cannot be empty).
pub fn send_commands(cancels: Vec<IndexedCancel>, opens: Vec<IndexedOpen>) -> Vec<Command> {
    let mut commands = Vec::new();
    if !cancels.is_empty() {
        commands.push(Command::SendCancelRequests(OneOrMany::from(cancels)));
    }
    if !opens.is_empty() {
        commands.push(Command::SendOpenRequests(OneOrMany::from(opens)));
    }
    commands
}

fn index_request<Kind: Clone>(
    keys: &Keys,
    request: &OrderEvent<
        Kind,
        ExchangeId,
        barter_instrument::instrument::name::InstrumentNameInternal,
    >,
) -> PyResult<OrderEvent<Kind, ExchangeIndex, InstrumentIndex>> {
    let key = &request.key;
    Ok(OrderEvent {
        key: OrderKey {
            exchange: keys.exchange_index(key.exchange)?,
            instrument: keys.instrument_index(key.exchange, &key.instrument)?,
            strategy: key.strategy.clone(),
            cid: key.cid.clone(),
        },
        state: request.state.clone(),
    })
}

impl AlgoStrategy for PyStrategy {
    type State = State;

    fn generate_algo_orders(
        &self,
        state: &State,
    ) -> (
        impl IntoIterator<Item = IndexedCancel>,
        impl IntoIterator<Item = IndexedOpen>,
    ) {
        Python::attach(|py| self.requests_from(intern!(py, "generate_algo_orders"), state, None))
    }
}

impl ClosePositionsStrategy for PyStrategy {
    type State = State;

    fn close_positions_requests<'a>(
        &'a self,
        state: &'a State,
        filter: &'a InstrumentFilter<ExchangeIndex, AssetIndex, InstrumentIndex>,
    ) -> (
        impl IntoIterator<Item = IndexedCancel> + 'a,
        impl IntoIterator<Item = IndexedOpen> + 'a,
    )
    where
        ExchangeIndex: 'a,
        AssetIndex: 'a,
        InstrumentIndex: 'a,
    {
        if self.overrides_close {
            return Python::attach(|py| {
                self.requests_from(intern!(py, "close_positions_requests"), state, Some(filter))
            });
        }
        let (cancels, opens) =
            close_open_positions_with_market_orders(&self.id, state, filter, |_| {
                ClientOrderId::random()
            });
        (cancels.into_iter().collect(), opens.into_iter().collect())
    }
}

impl
    OnDisconnectStrategy<
        barter::engine::clock::LiveClock,
        State,
        super::execution::QueuedTxMap,
        super::Risk,
    > for PyStrategy
{
    type OnDisconnect = HookOutput;

    fn on_disconnect(engine: &mut Core, exchange: ExchangeId) -> HookOutput {
        Self::hook(engine, "on_disconnect", Some(exchange))
    }
}

impl
    OnTradingDisabled<
        barter::engine::clock::LiveClock,
        State,
        super::execution::QueuedTxMap,
        super::Risk,
    > for PyStrategy
{
    type OnTradingDisabled = HookOutput;

    fn on_trading_disabled(engine: &mut Core) -> HookOutput {
        Self::hook(engine, "on_trading_disabled", None)
    }
}
