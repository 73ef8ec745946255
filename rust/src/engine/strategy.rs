//! A Python strategy object as barter's strategy: one adapter implementing barter's
//! `AlgoStrategy`, `ClosePositionsStrategy`, `OnDisconnectStrategy` and `OnTradingDisabled`
//! (barter's strategy traits are not object-safe, so this is the one concrete type).
//!
//! barter's trait methods cannot fail, so a Python error inside one is kept, the call yields no
//! requests, and `Engine.process` raises the error once barter's call has finished (the engine
//! stays consistent: barter processed the event without the strategy's requests).

use super::actions::{Hook, HookOutput, PyEngineActions};
use super::bars::{Bars, Declared, PyBar};
use super::clock::Clock;
use super::keys::Keys;
use super::requests::{self, IndexedCancel, IndexedOpen, ToExchange};
use super::seen::{Current, Seen};
use super::view::PyStateView;
use super::{Core, State};
use barter::engine::state::instrument::filter::InstrumentFilter;
use barter::strategy::{
    algo::AlgoStrategy,
    close_positions::{close_open_positions_with_market_orders, ClosePositionsStrategy},
    on_disconnect::OnDisconnectStrategy,
    on_trading_disabled::OnTradingDisabled,
};
use barter::EngineEvent;
use barter_data::event::DataKind;
use barter_data::streams::reconnect;
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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::sync::Mutex;

/// What a strategy method is called with, besides the state view.
enum Call<'a> {
    State,
    Bar(Py<PyBar>),
    Filter(&'a InstrumentFilter),
}

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
    /// The market event of the call and the exchange's quotes (`state.event`, `state.quote`).
    seen: Mutex<Seen>,
    /// A `BarStrategy`'s bars, and whether it also wants a call per event.
    bars: Option<(Mutex<Bars>, bool)>,
    /// The end-of-data call hands over the last bars only.
    flushing: AtomicBool,
    /// A warm-up: the strategy is called as usual and its requests are dropped.
    muted: AtomicBool,
    /// Conditional orders returned and cancels of them asked for, for the simulated exchange
    /// (barter's engine carries only ordinary orders): handed over when the engine settles.
    outbox: Mutex<Vec<ToExchange>>,
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
        let bars = Declared::of(&object)?.map(|declared| {
            let bars = Bars::new(declared.every, keys.index.input_of.len());
            (Mutex::new(bars), declared.per_event)
        });
        Ok(Self {
            object: object.unbind(),
            spare_view: Mutex::new(None),
            clock,
            id,
            keys,
            overrides_close,
            failure: Mutex::new(None),
            seen: Mutex::new(Seen::default()),
            bars,
            flushing: AtomicBool::new(false),
            muted: AtomicBool::new(false),
            outbox: Mutex::new(Vec::new()),
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

    pub fn seen(&self) -> &Mutex<Seen> {
        &self.seen
    }

    /// What the next calls see.
    pub fn seen_mut(&mut self) -> &mut Seen {
        self.seen.get_mut().unwrap_or_else(|p| p.into_inner())
    }

    /// An event, before barter processes it: what the calls after it see (a market event;
    /// nothing for any other), and a market event's bars.
    pub fn before(&mut self, event: &EngineEvent) {
        let EngineEvent::Market(market) = event else {
            self.seen_mut().see(None);
            return;
        };
        self.seen_mut().see(Some(Current::of(market)));
        if let reconnect::Event::Item(item) = market {
            if let DataKind::OrderBook(book) = &item.kind {
                self.seen_mut().book_event(item.instrument, book);
            }
        }
        if let (Some((bars, _)), reconnect::Event::Item(item)) = (&mut self.bars, market) {
            bars.get_mut()
                .unwrap_or_else(|p| p.into_inner())
                .market(item);
        }
    }

    /// The data ended: the open bars are handed over; whether there are any to hand over.
    pub fn end_bars(&mut self) -> bool {
        let Some((bars, _)) = &mut self.bars else {
            return false;
        };
        let bars = bars.get_mut().unwrap_or_else(|p| p.into_inner());
        bars.end();
        bars.has_ready()
    }

    /// While set, calls are the end-of-data call: bars only, no per-event call.
    pub fn set_flushing(&self, flushing: bool) {
        self.flushing.store(flushing, Ordering::Relaxed);
    }

    /// While set, the strategy warms up: called as usual, its requests dropped.
    pub fn set_muted(&self, muted: bool) {
        self.muted.store(muted, Ordering::Relaxed);
    }

    /// A `BarStrategy`'s call: `on_bar` for each bar ready, then `generate_algo_orders` if it
    /// wants events too; no Python at all when neither has anything to do.
    fn bar_requests(
        &self,
        bars: &Mutex<Bars>,
        per_event: bool,
        state: &State,
    ) -> (Vec<IndexedCancel>, Vec<IndexedOpen>) {
        let per_event = per_event && !self.flushing.load(Ordering::Relaxed);
        let mut bars = bars.lock().unwrap_or_else(|p| p.into_inner());
        if !bars.has_ready() && !per_event {
            return (Vec::new(), Vec::new());
        }
        let ready = bars.take(&self.keys);
        drop(bars);
        Python::attach(|py| {
            let (mut cancels, mut opens) = (Vec::new(), Vec::new());
            for bar in ready {
                let bar = match Py::new(py, bar) {
                    Ok(bar) => bar,
                    Err(err) => {
                        self.fail(err);
                        break;
                    }
                };
                let (c, o) = self.requests_from(intern!(py, "on_bar"), state, Call::Bar(bar));
                cancels.extend(c);
                opens.extend(o);
            }
            if per_event {
                let method = intern!(py, "generate_algo_orders");
                let (c, o) = self.requests_from(method, state, Call::State);
                cancels.extend(c);
                opens.extend(o);
            }
            (cancels, opens)
        })
    }

    fn failure(&self) -> std::sync::MutexGuard<'_, Option<PyErr>> {
        // A poisoned lock only means a panic while storing: the slot itself is intact.
        self.failure
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Work for the simulated exchange, in the order asked.
    pub fn send(&self, work: impl IntoIterator<Item = ToExchange>) {
        let mut outbox = self.outbox.lock().unwrap_or_else(|p| p.into_inner());
        outbox.extend(work);
    }

    /// What was asked of the exchange since the last take.
    pub fn take_outbox(&mut self) -> Vec<ToExchange> {
        let outbox = self.outbox.get_mut().unwrap_or_else(|p| p.into_inner());
        std::mem::take(outbox)
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
        call: Call<'_>,
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
        let entered = view.get().enter(state, &self.seen);
        let result = (|| {
            let object = self.object.bind(py);
            let returned = match call {
                Call::State => object.call_method1(method, (&view,))?,
                Call::Bar(bar) => object.call_method1(method, (bar, &view))?,
                // The filter as the instruments it selects, in the caller's keys.
                Call::Filter(filter) => {
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
            let requests = requests::requests(&self.keys, state, &cancels, &opens)?;
            if !self.muted.load(Ordering::Relaxed) {
                self.send(requests.placements.into_iter().map(ToExchange::Place));
            }
            Ok((requests.cancels, requests.opens))
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
            let entered = view.get().enter(&engine.state, &engine.strategy.seen);
            let called = match exchange {
                Some(exchange) => object
                    .call_method1(name, (&actions, crate::bind::enums::Enum(exchange)))
                    .map(drop),
                None => object.call_method1(name, (&actions,)).map(drop),
            };
            drop(entered);
            let recorded = actions.get().finish(py, &keys, &engine.state);
            match called.and(recorded) {
                Ok((commands, exchange)) => {
                    engine.strategy.send(exchange);
                    commands
                }
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
        let requests = match &self.bars {
            Some((bars, per_event)) => self.bar_requests(bars, *per_event, state),
            None => Python::attach(|py| {
                self.requests_from(intern!(py, "generate_algo_orders"), state, Call::State)
            }),
        };
        if self.muted.load(Ordering::Relaxed) {
            return (Vec::new(), Vec::new());
        }
        requests
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
                let method = intern!(py, "close_positions_requests");
                self.requests_from(method, state, Call::Filter(filter))
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
