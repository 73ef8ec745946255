//! A Python strategy object as barter's strategy: one adapter implementing barter's
//! `AlgoStrategy`, `ClosePositionsStrategy`, `OnDisconnectStrategy` and `OnTradingDisabled`
//! (barter's strategy traits are not object-safe, so this is the one concrete type).
//!
//! barter's trait methods cannot fail, so a Python error inside one is kept, the call yields no
//! requests, and `Engine.process` raises the error once barter's call has finished (the engine
//! stays consistent: barter processed the event without the strategy's requests).

use super::actions::{Hook, HookOutput, PyEngineActions};
use super::clock::Clock;
use super::keys::Keys;
use super::requests::{self, IndexedCancel, IndexedOpen};
use super::view::PyStateView;
use super::{Core, State};
use barter::engine::state::instrument::filter::InstrumentFilter;
use barter::strategy::{
    algo::AlgoStrategy,
    close_positions::{close_open_positions_with_market_orders, ClosePositionsStrategy},
    on_disconnect::OnDisconnectStrategy,
    on_trading_disabled::OnTradingDisabled,
};
use barter_execution::order::id::{ClientOrderId, StrategyId};
use barter_instrument::{
    asset::AssetIndex,
    exchange::{ExchangeId, ExchangeIndex},
    instrument::InstrumentIndex,
};
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyString;
use std::sync::Arc;
use std::sync::Mutex;

pub struct PyStrategy {
    object: Py<PyAny>,
    /// The view of the last `generate_algo_orders` call, if the strategy did not keep it.
    spare_view: Mutex<Option<Py<PyStateView>>>,
    /// The engine's clock, which the views read.
    clock: Clock,
    id: StrategyId,
    keys: Arc<Keys>,
    /// The object defines `close_positions_requests`; otherwise barter's market close is used.
    overrides_close: bool,
    failure: Mutex<Option<PyErr>>,
}

impl PyStrategy {
    pub fn new(
        object: Bound<'_, PyAny>,
        id: StrategyId,
        keys: Arc<Keys>,
        clock: Clock,
    ) -> PyResult<Self> {
        let py = object.py();
        for hook in [
            "generate_algo_orders",
            "on_disconnect",
            "on_trading_disabled",
        ] {
            if !object.hasattr(hook)? {
                return Err(PyTypeError::new_err(format!(
                    "strategy {} has no method '{hook}' (see barter_python.strategy.Strategy)",
                    object.get_type().name()?
                )));
            }
        }
        let overrides_close = object.hasattr(intern!(py, "close_positions_requests"))?;
        Ok(Self {
            object: object.unbind(),
            spare_view: Mutex::new(None),
            clock,
            id,
            keys,
            overrides_close,
            failure: Mutex::new(None),
        })
    }

    /// The Python objects this strategy holds, for the engine's garbage-collector support.
    pub fn traverse(&self, visit: &pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        visit.call(&self.object)
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
        let view = match self.spare_view.lock().map(|mut spare| spare.take()) {
            Ok(Some(view)) => view.into_bound(py),
            _ => match PyStateView::for_calls(py, self.keys.clone(), self.clock.clone()) {
                Ok(view) => view,
                Err(err) => {
                    self.fail(err);
                    return (Vec::new(), Vec::new());
                }
            },
        };
        let entered = view.get().enter(state);
        let result = (|| {
            let object = self.object.bind(py);
            let returned = match filter {
                None => object.call_method1(method, (&view,))?,
                // The filter as the instruments it selects, in the caller's keys.
                Some(filter) => {
                    let selected = state
                        .instruments
                        .instruments(filter)
                        .map(|s| {
                            let input = self.keys.instrument(s.key);
                            (
                                crate::bind::enums::Enum(input.exchange),
                                input.instrument.as_str(),
                            )
                        })
                        .collect::<Vec<_>>();
                    object.call_method1(method, (&view, selected))?
                }
            };
            let (cancels, opens): (Bound<'_, PyAny>, Bound<'_, PyAny>) =
                returned.extract().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "{method}() must return a (cancels, opens) tuple, got {}",
                        crate::bind::classes::type_name(&returned)
                    ))
                })?;
            requests::requests(&self.keys, state, &cancels, &opens)
        })();
        drop(entered);
        // Each call gets a view of its own: one the strategy kept stays closed for good. A view
        // nobody kept is indistinguishable from a new one, so it serves the next call.
        // SAFETY: reading the reference count of a live object, with the GIL held.
        if unsafe { pyo3::ffi::Py_REFCNT(view.as_ptr()) } == 1 {
            if let Ok(mut spare) = self.spare_view.lock() {
                *spare = Some(view.unbind());
            }
        }
        result.unwrap_or_else(|err| {
            self.fail(err);
            (Vec::new(), Vec::new())
        })
    }

    /// Call the hook with a recorder of actions, then carry each action out with barter's own
    /// `Engine::action` while barter's call to the hook is still running.
    fn hook(engine: &mut Core, name: &'static str, exchange: Option<ExchangeId>) -> HookOutput {
        let commands = Python::attach(|py| {
            let keys = engine.strategy.keys.clone();
            let actions = match PyEngineActions::new(py, keys.clone(), engine.clock.clone()) {
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
                    .call_method1(name, (&actions, crate::bind::enums::Enum(exchange)))
                    .map(drop),
                None => object.call_method1(name, (&actions,)).map(drop),
            };
            drop(entered);
            let recorded = actions.get().finish(py, &keys, &engine.state);
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
            hook: Hook { name, exchange },
            actions,
        }
    }
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

impl OnDisconnectStrategy<Clock, State, crate::exchange::queue::QueuedTxMap, super::Risk>
    for PyStrategy
{
    type OnDisconnect = HookOutput;

    fn on_disconnect(engine: &mut Core, exchange: ExchangeId) -> HookOutput {
        Self::hook(engine, "on_disconnect", Some(exchange))
    }
}

impl OnTradingDisabled<Clock, State, crate::exchange::queue::QueuedTxMap, super::Risk>
    for PyStrategy
{
    type OnTradingDisabled = HookOutput;

    fn on_trading_disabled(engine: &mut Core) -> HookOutput {
        Self::hook(engine, "on_trading_disabled", None)
    }
}
