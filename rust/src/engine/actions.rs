//! What a hook (`on_disconnect`, `on_trading_disabled`) receives: the state, and barter's engine
//! actions, recorded during the call and carried out by barter as soon as it returns.

use super::clock::Clock;
use super::keys::Keys;
use super::requests::{self, ToExchange};
use super::view::PyStateView;
use super::State;
use crate::bind::enums::Enum;
use crate::book::filter::{self, PyInstrumentFilter};
use barter::engine::{action::ActionOutput, command::Command};
use barter_instrument::exchange::ExchangeId;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// What a hook did, for barter's audit: which hook, and the output of each action it asked for.
#[derive(Debug, Clone)]
pub struct HookOutput {
    pub hook: Hook,
    pub actions: Vec<ActionOutput>,
}

/// A strategy hook barter called: its name, and the exchange for `on_disconnect`.
#[pyclass(frozen, eq, hash, module = "barter_python._native", name = "Hook")]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hook {
    #[pyo3(get)]
    pub name: &'static str,
    pub exchange: Option<ExchangeId>,
}

#[pymethods]
impl Hook {
    /// The disconnected exchange (`on_disconnect`), else `None`.
    #[getter]
    fn exchange(&self) -> Option<Enum<ExchangeId>> {
        self.exchange.map(Enum)
    }

    fn __repr__(&self) -> String {
        match self.exchange {
            Some(exchange) => format!("Hook('{}', '{}')", self.name, exchange.as_str()),
            None => format!("Hook('{}')", self.name),
        }
    }
}

enum Recorded {
    CancelOrders(PyInstrumentFilter),
    ClosePositions(PyInstrumentFilter),
    Send(Py<PyAny>, Py<PyAny>),
}

/// What a hook (`on_disconnect`, `on_trading_disabled`) receives: the state, and barter's engine
/// actions. Actions are carried out by barter, in order, as soon as the hook returns.
#[pyclass(frozen, module = "barter_python._native", name = "EngineActions")]
pub struct PyEngineActions {
    view: Py<PyStateView>,
    recorded: Mutex<Vec<Recorded>>,
    /// Set once the hook has returned: later actions would never run, so they are refused.
    closed: AtomicBool,
}

impl PyEngineActions {
    /// A recorder for one hook call, its view unreadable until entered.
    pub fn new(
        py: Python<'_>,
        keys: Arc<Keys>,
        clock: Clock,
    ) -> PyResult<Bound<'_, PyEngineActions>> {
        let view = PyStateView::for_calls(py, keys, clock)?.unbind();
        let actions = PyEngineActions {
            view,
            recorded: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
        };
        Bound::new(py, actions)
    }

    pub fn view(&self) -> &Py<PyStateView> {
        &self.view
    }

    fn record(&self, action: Recorded) -> PyResult<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(PyRuntimeError::new_err(
                "these EngineActions belonged to a hook that has returned; act inside the hook, \
                 or call the Engine's own methods",
            ));
        }
        self.recorded().push(action);
        Ok(())
    }

    fn recorded(&self) -> std::sync::MutexGuard<'_, Vec<Recorded>> {
        // A poisoned lock only means a panic while pushing: the list itself is intact.
        self.recorded
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Close the recorder and turn the recorded actions into barter commands, and what the
    /// simulated exchange is asked directly (conditional orders, and cancels of them).
    pub fn finish(
        &self,
        py: Python<'_>,
        keys: &Keys,
        state: &State,
    ) -> PyResult<(Vec<Command>, Vec<ToExchange>)> {
        self.closed.store(true, Ordering::Release);
        let (mut commands, mut exchange) = (Vec::new(), Vec::new());
        for action in self.recorded().drain(..) {
            match action {
                Recorded::CancelOrders(filter) => {
                    let filter = filter.resolve(py, &keys.index, &keys.inputs)?;
                    exchange.push(ToExchange::Cancel(filter.clone()));
                    commands.push(Command::CancelOrders(filter));
                }
                Recorded::ClosePositions(filter) => commands.push(Command::ClosePositions(
                    filter.resolve(py, &keys.index, &keys.inputs)?,
                )),
                Recorded::Send(cancels, opens) => {
                    let requests =
                        requests::requests(keys, state, cancels.bind(py), opens.bind(py))?;
                    exchange.extend(requests.placements.into_iter().map(ToExchange::Place));
                    commands.extend(requests::send_commands(requests.cancels, requests.opens));
                }
            }
        }
        Ok((commands, exchange))
    }
}

#[pymethods]
impl PyEngineActions {
    /// The engine's state as it was when the hook was called.
    #[getter]
    fn state(&self, py: Python<'_>) -> Py<PyStateView> {
        self.view.clone_ref(py)
    }

    /// barter's `cancel_orders` action for the filter (default: every instrument).
    #[pyo3(signature = (filter=None))]
    fn cancel_orders(&self, filter: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        self.record(Recorded::CancelOrders(filter::extract(filter)?))
    }

    /// barter's `close_positions` action for the filter (default: every instrument).
    #[pyo3(signature = (filter=None))]
    fn close_positions(&self, filter: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        self.record(Recorded::ClosePositions(filter::extract(filter)?))
    }

    /// barter's `send_requests` for these cancels and opens.
    fn send_requests(&self, cancels: Bound<'_, PyAny>, opens: Bound<'_, PyAny>) -> PyResult<()> {
        self.record(Recorded::Send(cancels.unbind(), opens.unbind()))
    }
}
