//! Read-only views of barter's `EngineState`.
//!
//! A strategy call happens inside barter's `Engine::process`, which holds the engine; a view
//! made for that call reads barter's state through a pointer that is valid only until the call
//! returns, after which the view refuses to read. A view from `Engine.state` reads through the
//! engine object instead. Either way values are converted when a method is called, so a
//! strategy that reads nothing pays nothing.

use super::clock::Clock;
use super::depth::PyBookView;
use super::keys::Keys;
use super::seen::{Event, PyMarketEventView, PyQuote, Seen};
use super::{PyEngine, State};
use crate::bind::classes::Class;
use crate::bind::enums::Enum;
use crate::exchange::conditional::py::PyConditionalOrder;
use crate::order::{Open, PyOrderRequestOpen};
use barter::engine::clock::EngineClock;
use barter::engine::state::trading::TradingState;
use barter::engine::state::{connectivity::Health, instrument::data::InstrumentDataState};
use barter_instrument::exchange::ExchangeId;
use chrono::{DateTime, Utc};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::{Arc, Mutex};

enum Source {
    /// Inside a strategy call: barter's state, readable while `valid` is set.
    Hook {
        state: AtomicPtr<State>,
        seen: AtomicPtr<Mutex<Seen>>,
        keys: Arc<Keys>,
        clock: Clock,
        valid: AtomicBool,
    },
    Engine(Py<PyEngine>),
    /// A copy of barter's state, taken at one moment (a live system's snapshot).
    Copy {
        state: Box<State>,
        keys: Arc<Keys>,
        clock: Clock,
    },
}

/// A read-only view of barter's `EngineState`.
#[pyclass(frozen, module = "barter_python._native", name = "EngineStateView")]
pub struct PyStateView {
    source: Source,
    /// The last `time` read, as a Python object: a strategy reading the time on every call
    /// pays for one `datetime` per market event, not per call.
    time: Mutex<Option<(DateTime<Utc>, Py<PyAny>)>>,
}

impl From<Source> for PyStateView {
    fn from(source: Source) -> Self {
        PyStateView {
            source,
            time: Mutex::new(None),
        }
    }
}

impl PyStateView {
    /// A view for one strategy call, unreadable until `enter`.
    pub fn for_calls(
        py: Python<'_>,
        keys: Arc<Keys>,
        clock: Clock,
    ) -> PyResult<Bound<'_, PyStateView>> {
        let source = Source::Hook {
            state: AtomicPtr::new(std::ptr::null_mut()),
            seen: AtomicPtr::new(std::ptr::null_mut()),
            keys,
            clock,
            valid: AtomicBool::new(false),
        };
        Bound::new(py, PyStateView::from(source))
    }

    /// Make the view read `state` (and what the call `sees`) until the returned guard drops;
    /// the guard lives within both borrows, and drops on unwinding too, so the view never
    /// outlives them.
    pub fn enter<'a>(&'a self, entered: &'a State, sees: &'a Mutex<Seen>) -> Entered<'a> {
        if let Source::Hook {
            state, seen, valid, ..
        } = &self.source
        {
            state.store((entered as *const State).cast_mut(), Ordering::Release);
            seen.store((sees as *const Mutex<Seen>).cast_mut(), Ordering::Release);
            valid.store(true, Ordering::Release);
        }
        Entered(self)
    }

    pub fn of_engine(engine: Py<PyEngine>) -> Self {
        PyStateView::from(Source::Engine(engine))
    }

    /// A view of `state` as it was at `clock`'s time.
    pub fn of_snapshot(state: State, keys: Arc<Keys>, clock: Clock) -> Self {
        PyStateView::from(Source::Copy {
            state: Box::new(state),
            keys,
            clock,
        })
    }

    /// Run `f` on barter's state. `f` must not call into Python: while it runs, the GIL must
    /// stay with this thread so that the state cannot change or go away underneath it.
    fn read<R>(&self, py: Python<'_>, f: impl FnOnce(&State, &Keys, &Clock) -> R) -> PyResult<R> {
        match &self.source {
            Source::Hook {
                state,
                keys,
                clock,
                valid,
                ..
            } => {
                if !valid.load(Ordering::Acquire) {
                    return Err(PyRuntimeError::new_err(
                        "this EngineStateView belonged to a strategy call that has returned; \
                         read the state during the call, or use Engine.state",
                    ));
                }
                // SAFETY: `valid` is set only while barter's call into the strategy runs, and
                // reads happen with the GIL held; during the call the engine holds its state
                // borrowed, unchanged, so any thread reading it under the GIL reads live data.
                // The pointer is only ever read from, never written through.
                Ok(f(unsafe { &*state.load(Ordering::Acquire) }, keys, clock))
            }
            Source::Engine(engine) => {
                let engine = engine.bind(py).try_borrow().map_err(|_| {
                    PyRuntimeError::new_err(
                        "the engine is processing; inside a strategy call, read the view \
                         passed to it",
                    )
                })?;
                let core = engine.core();
                Ok(f(&core.state, engine.keys(), &core.clock))
            }
            Source::Copy { state, keys, clock } => Ok(f(state, keys, clock)),
        }
    }
}

impl PyStateView {
    /// Run `f` on what the engine's strategy calls see (`None` for a snapshot's copy); the same
    /// rules as `read`.
    fn read_seen<R>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Seen, &State, &Keys) -> R,
    ) -> PyResult<Option<R>> {
        match &self.source {
            Source::Hook {
                seen, state, keys, ..
            } => {
                self.read(py, |_, _, _| ())?; // refused once the call has returned
                                              // SAFETY: as in `read`: both are set only while the call runs.
                let (seen, state) = unsafe {
                    (
                        &*seen.load(Ordering::Acquire),
                        &*state.load(Ordering::Acquire),
                    )
                };
                Ok(Some(f(&mut lock(seen), state, keys)))
            }
            Source::Engine(engine) => {
                let engine = engine.bind(py).try_borrow().map_err(|_| {
                    PyRuntimeError::new_err(
                        "the engine is processing; inside a strategy call, read the view \
                         passed to it",
                    )
                })?;
                let mut seen = lock(engine.core().strategy.seen());
                let read = f(&mut seen, &engine.core().state, engine.keys());
                drop(seen);
                Ok(Some(read))
            }
            Source::Copy { .. } => Ok(None),
        }
    }
}

fn lock(seen: &Mutex<Seen>) -> std::sync::MutexGuard<'_, Seen> {
    seen.lock().unwrap_or_else(|p| p.into_inner())
}

/// A view's readable period; dropping it makes the view refuse reads.
pub struct Entered<'a>(&'a PyStateView);

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        if let Source::Hook { valid, .. } = &self.0.source {
            valid.store(false, Ordering::Release);
        }
    }
}

/// The caller's `(exchange, instrument)` key of an instrument.
fn key<'py>(py: Python<'py>, exchange: ExchangeId, name: &str) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(
        py,
        [
            Enum(exchange).into_pyobject(py)?,
            name.into_pyobject(py)?.into_any(),
        ],
    )
}

#[pymethods]
impl PyStateView {
    /// Garbage-collector support: a strategy keeping `engine.state` makes a cycle through it.
    fn __traverse__(&self, visit: pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        if let Source::Engine(engine) = &self.source {
            visit.call(engine)?;
        }
        Ok(())
    }

    /// Open positions as `PositionSnapshot`s, keyed by `(exchange, instrument)`.
    /// The market event this strategy call is for (`None` outside a market event's call, and
    /// in a live system's snapshot).
    #[getter]
    fn event(&self, py: Python<'_>) -> PyResult<Option<Py<PyMarketEventView>>> {
        let found = self
            .read_seen(py, |seen, _, keys| seen.event(py, keys))?
            .flatten();
        match found {
            None => Ok(None),
            Some(Event::Made(object)) => Ok(Some(object)),
            Some(Event::ToMake(view)) => {
                let object = Py::new(py, view)?;
                self.read_seen(py, |seen, _, _| seen.keep(&object, py))?;
                Ok(Some(object))
            }
        }
    }

    /// The simulated exchange's view of an instrument: what an order would meet (`None`
    /// before any market, and on barter's mock exchange, which does not see the market).
    fn quote(
        &self,
        py: Python<'_>,
        exchange: Enum<ExchangeId>,
        instrument: &str,
    ) -> PyResult<Option<PyQuote>> {
        let found = self.read_seen(py, |seen, _, keys| {
            Ok::<_, PyErr>(seen.quote(keys.named(exchange.0, instrument)?))
        })?;
        Ok(found.transpose()?.flatten())
    }

    /// The instrument's L2 book as the engine last processed it: its `depth` best levels a
    /// side (`None` before its first L2 event).
    #[pyo3(signature = (exchange, instrument, depth=10))]
    fn book(
        &self,
        py: Python<'_>,
        exchange: Enum<ExchangeId>,
        instrument: &str,
        depth: usize,
    ) -> PyResult<Option<PyBookView>> {
        let found = self.read_seen(py, |seen, _, keys| {
            Ok::<_, PyErr>(seen.book(keys.named(exchange.0, instrument)?, depth))
        })?;
        Ok(found.transpose()?.flatten())
    }

    /// The account's equity in `asset` on `exchange`: its cash plus its holdings (base assets
    /// on a cash account, positions' open profit on a margin one) at the simulated exchange's
    /// marks; `None` without a simulated exchange or in a live system's snapshot, `ValueError`
    /// beyond barter's decimal range.
    fn equity(
        &self,
        py: Python<'_>,
        exchange: Enum<ExchangeId>,
        asset: &str,
    ) -> PyResult<Option<rust_decimal::Decimal>> {
        let name = barter_instrument::asset::name::AssetNameInternal::new(asset);
        let found = self.read_seen(py, |seen, state, keys| {
            let Some(quote) = keys.index.asset_index.get(&(exchange.0, name.clone())) else {
                return Err(PyValueError::new_err(format!(
                    "asset '{asset}' on '{}' is not traded by the engine's instruments",
                    exchange.0.as_str()
                )));
            };
            seen.equity(state, *quote)
        })?;
        Ok(found.transpose()?.flatten())
    }

    /// The instrument's quote asset (`usdt` for `btc_usdt`), as its snapshot named it.
    fn quote_asset(
        &self,
        py: Python<'_>,
        exchange: Enum<ExchangeId>,
        instrument: &str,
    ) -> PyResult<String> {
        self.read(py, |_, keys, _| {
            let index = keys.named(exchange.0, instrument)?;
            Ok(keys.instrument(index).quote.to_string())
        })?
    }

    /// The engine's strategy id (what its orders carry).
    #[getter]
    fn strategy_id(&self, py: Python<'_>) -> PyResult<crate::order::PyStrategyId> {
        self.read(py, |_, keys, _| {
            crate::order::PyStrategyId(keys.strategy.clone())
        })
    }

    /// The instrument's `InstrumentSpec` (lot and tick sizes), `None` if its snapshot had none.
    fn spec(
        &self,
        py: Python<'_>,
        exchange: Enum<ExchangeId>,
        instrument: &str,
    ) -> PyResult<Option<Py<PyAny>>> {
        let spec = self.read(py, |_, keys, _| {
            Ok::<_, PyErr>(keys.instrument(keys.named(exchange.0, instrument)?).spec)
        })??;
        let Some(spec) = spec else {
            return Ok(None);
        };
        let kwargs = PyDict::new(py);
        kwargs.set_item("tick_size", spec.tick_size)?;
        kwargs.set_item("lot_size", spec.lot_size)?;
        kwargs.set_item("min_notional", spec.min_notional)?;
        // The snapshot's own values, already valid: construct without validating.
        let construct = Class::InstrumentSpec
            .get(py)?
            .getattr(intern!(py, "model_construct"))?;
        Ok(Some(construct.call((), Some(&kwargs))?.unbind()))
    }

    fn positions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let positions = self.read(py, |state, keys, _| {
            let open = state.instruments.0.values().filter_map(|instrument| {
                let position = instrument.position.current.as_ref()?;
                let input = keys.instrument(instrument.key);
                Some((
                    input.exchange,
                    input.instrument.clone(),
                    position.side,
                    position.quantity_abs,
                    position.price_entry_average,
                ))
            });
            open.collect::<Vec<_>>()
        })?;
        // barter's values already satisfy the model's rules: construct without validating.
        let construct = Class::PositionSnapshot
            .get(py)?
            .getattr(intern!(py, "model_construct"))?;
        let out = PyDict::new(py);
        for (exchange, name, side, quantity, price_entry_average) in positions {
            let kwargs = PyDict::new(py);
            kwargs.set_item("instrument", name.as_str())?;
            kwargs.set_item("side", Enum(side))?;
            kwargs.set_item("quantity", quantity)?;
            kwargs.set_item("price_entry_average", price_entry_average)?;
            out.set_item(
                key(py, exchange, &name)?,
                construct.call((), Some(&kwargs))?,
            )?;
        }
        Ok(out)
    }

    /// The current price of each instrument that has one (barter's `InstrumentDataState::
    /// price`: the L1 volume-weighted mid, else the last trade), keyed by `(exchange, instrument)`.
    fn prices<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let prices = self.read(py, |state, keys, _| {
            let priced = state.instruments.0.values().filter_map(|instrument| {
                let input = keys.instrument(instrument.key);
                Some((
                    input.exchange,
                    input.instrument.clone(),
                    instrument.data.price()?,
                ))
            });
            priced.collect::<Vec<_>>()
        })?;
        let out = PyDict::new(py);
        for (exchange, name, price) in prices {
            out.set_item(key(py, exchange, &name)?, price)?;
        }
        Ok(out)
    }

    /// The simulated exchange's untriggered conditional orders (spec §13), in placement order,
    /// each with its current trigger (a trailing stop's moves) and quantity (a bracket's legs
    /// grow with its entry's fills); empty on barter's mock and in a live system's snapshot.
    fn conditional_orders(&self, py: Python<'_>) -> PyResult<Vec<PyConditionalOrder>> {
        let found = self.read_seen(py, |seen, _, keys| seen.conditional_orders(keys))?;
        Ok(found.unwrap_or_default())
    }

    /// Orders the engine tracks (in flight or open), as the requests that opened them, by
    /// instrument then client order id.
    fn open_orders(&self, py: Python<'_>) -> PyResult<Vec<PyOrderRequestOpen>> {
        self.read(py, |state, keys, _| {
            let mut out: Vec<(usize, Open)> = Vec::new();
            for (index, instrument) in state.instruments.0.values().enumerate() {
                out.extend(
                    instrument
                        .orders
                        .0
                        .values()
                        .map(|o| (index, keys.open_request(o))),
                );
            }
            out.sort_by(|a, b| (a.0, &a.1.key.cid.0).cmp(&(b.0, &b.1.key.cid.0)));
            out.into_iter()
                .map(|(_, o)| PyOrderRequestOpen(o))
                .collect()
        })
    }

    /// The engine's clock: the exchange time of the latest market event in a backtest, the
    /// wall clock in a live engine.
    #[getter]
    fn time(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let now = self.read(py, |_, _, clock| clock.time())?;
        let mut cache = self
            .time
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, object)) = cache.as_ref().filter(|(time, _)| *time == now) {
            return Ok(object.clone_ref(py));
        }
        let object = now.into_pyobject(py)?.into_any().unbind();
        *cache = Some((now, object.clone_ref(py)));
        Ok(object)
    }

    /// barter's balance (total) of each asset, keyed by `(exchange, asset)`; assets without a
    /// balance yet are left out.
    fn balances<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let balances = self.read(py, |state, _, _| {
            let held = state.assets.0.iter().filter_map(|(key, asset)| {
                let balance = asset.balance.as_ref()?;
                Some((key.exchange, key.asset.clone(), balance.value.total))
            });
            held.collect::<Vec<_>>()
        })?;
        let out = PyDict::new(py);
        for (exchange, asset, total) in balances {
            out.set_item(key(py, exchange, asset.name())?, total)?;
        }
        Ok(out)
    }

    /// barter's `TradingState`: whether the engine generates algo orders.
    #[getter]
    fn trading_enabled(&self, py: Python<'_>) -> PyResult<bool> {
        self.read(py, |state, _, _| state.trading == TradingState::Enabled)
    }

    /// barter's `ConnectivityStates`, per exchange.
    fn connectivity(&self, py: Python<'_>) -> PyResult<Vec<(Enum<ExchangeId>, PyConnectivity)>> {
        self.read(py, |state, _, _| {
            state
                .connectivity
                .exchanges
                .iter()
                .map(|(exchange, connectivity)| {
                    let view = PyConnectivity {
                        market_data: connectivity.market_data == Health::Healthy,
                        account: connectivity.account == Health::Healthy,
                    };
                    (Enum(*exchange), view)
                })
                .collect()
        })
    }
}

/// barter's `ConnectivityState` of one exchange: whether each link is healthy.
#[pyclass(frozen, eq, module = "barter_python._native", name = "Connectivity")]
#[derive(Clone, PartialEq)]
pub struct PyConnectivity {
    #[pyo3(get)]
    market_data: bool,
    #[pyo3(get)]
    account: bool,
}

#[pymethods]
impl PyConnectivity {
    fn __repr__(&self) -> String {
        let text = |b: bool| if b { "True" } else { "False" };
        format!(
            "Connectivity(market_data={}, account={})",
            text(self.market_data),
            text(self.account)
        )
    }
}
