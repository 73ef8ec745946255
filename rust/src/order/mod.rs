//! barter-execution's order types: ids, `OrderKey`, `RequestOpen`/`RequestCancel` and the
//! `OrderRequestOpen`/`OrderRequestCancel` events, keyed by `ExchangeId` and
//! `InstrumentNameInternal` (barter's "unindexed" keys).
//!
//! Each Python class holds barter's own value; getters convert on read, and `to_json`/
//! `from_json` are barter's serde on that value, so the JSON is barter's by construction.

use crate::bind::decimal;
use crate::bind::enums::{self, mirrored, Enum};
use barter_execution::order::{
    id::{ClientOrderId, OrderId, StrategyId},
    request::{OrderRequestCancel, OrderRequestOpen, RequestCancel, RequestOpen},
    OrderEvent, OrderKey, OrderKind, TimeInForce,
};
use barter_instrument::{exchange::ExchangeId, instrument::name::InstrumentNameInternal, Side};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyString, PyType};
use rust_decimal::Decimal;
use serde::{de::DeserializeOwned, Serialize};

/// barter's order key with the exchange id and internal instrument name as keys.
pub type Key = OrderKey<ExchangeId, InstrumentNameInternal>;
/// A new order object, left out of Python's cyclic garbage collector: it holds no Python
/// object, so it can be in no reference cycle (CPython leaves tuples of atomic values out the
/// same way), and 100k of them in one result no longer set off collections of the whole heap.
pub fn untracked<T: pyo3::PyClass>(py: Python<'_>, value: T) -> PyResult<Py<T>>
where
    T: Into<pyo3::PyClassInitializer<T>>,
{
    let object = Py::new(py, value)?;
    // SAFETY: a live object of a GC type this module defines; untracking it is allowed at any
    // time, and its deallocation untracks only what is tracked.
    unsafe { pyo3::ffi::PyObject_GC_UnTrack(object.as_ptr().cast()) };
    Ok(object)
}

pub type Open = OrderRequestOpen<ExchangeId, InstrumentNameInternal>;
pub type Cancel = OrderRequestCancel<ExchangeId, InstrumentNameInternal>;

mirrored!(OrderKind, OrderKind);
// A Python enum member cannot carry data, so `post_only` is part of the member: barter's unit
// variant names, plus one member per `GoodUntilCancelled` flavour.
mirrored!(TimeInForce, TimeInForce, |value: &str| match value {
    "GoodUntilCancelled" => Some(TimeInForce::GoodUntilCancelled { post_only: false }),
    "GoodUntilCancelledPostOnly" => Some(TimeInForce::GoodUntilCancelled { post_only: true }),
    unit => enums::parse_serde(unit),
});

fn non_empty<'a>(value: &'a str, field: &str) -> PyResult<&'a str> {
    if value.is_empty() {
        return Err(PyValueError::new_err(format!(
            "{field} must be a non-empty string"
        )));
    }
    Ok(value)
}

fn py_repr(py: Python<'_>, text: &str) -> PyResult<String> {
    Ok(PyString::new(py, text).repr()?.to_cow()?.into_owned())
}

/// A barter string id (`StrategyId`, `ClientOrderId`, `OrderId`) as an immutable Python value.
macro_rules! id_class {
    ($py_name:ident, $barter:ty, $name:literal, { $($extra:tt)* }) => {
        #[doc = concat!("barter's `", $name, "`: a non-empty string id.")]
        #[pyclass(frozen, eq, hash, from_py_object, module = "barter_python._native", name = $name)]
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $py_name(pub $barter);

        #[pymethods]
        impl $py_name {
            #[new]
            fn py_new(value: &str) -> PyResult<Self> {
                non_empty(value, $name).map(|value| Self(<$barter>::new(value)))
            }

            fn __str__(&self) -> &str {
                self.0 .0.as_str()
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                Ok(format!("{}({})", $name, py_repr(py, self.0 .0.as_str())?))
            }

            fn __reduce__<'py>(
                slf: &Bound<'py, Self>,
            ) -> (Bound<'py, PyType>, (String,)) {
                (slf.get_type(), (slf.get().0 .0.to_string(),))
            }

            $($extra)*
        }

        impl $py_name {
            /// barter's id from an instance of this class or a plain non-empty `str`.
            pub fn extract(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<$barter> {
                if let Ok(id) = obj.cast::<$py_name>() {
                    return Ok(id.get().0.clone());
                }
                match obj.cast::<PyString>() {
                    Ok(text) => Ok(<$barter>::new(non_empty(&text.to_cow()?, field)?)),
                    Err(_) => Err(PyTypeError::new_err(format!(
                        "{field} must be {} or str, got {}",
                        $name,
                        obj.get_type().name()?
                    ))),
                }
            }
        }
    };
}

id_class!(PyStrategyId, StrategyId, "StrategyId", {});
id_class!(PyOrderId, OrderId, "OrderId", {});
id_class!(PyClientOrderId, ClientOrderId, "ClientOrderId", {
    /// barter's `ClientOrderId::random()`: 23 url-safe characters.
    #[staticmethod]
    fn random() -> Self {
        Self(ClientOrderId::random())
    }
});

pub fn to_json<T: Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|err| PyValueError::new_err(err.to_string()))
}

pub fn from_json<T: DeserializeOwned>(json: &str, what: &str) -> PyResult<T> {
    serde_json::from_str(json)
        .map_err(|err| PyValueError::new_err(format!("invalid {what} JSON: {err}")))
}

/// barter accepts empty ids and names in JSON; the SDK refuses them on every path in.
trait Check {
    fn check(&self) -> PyResult<()>;
}

impl Check for Key {
    fn check(&self) -> PyResult<()> {
        non_empty(self.instrument.name(), "instrument")?;
        non_empty(self.strategy.0.as_str(), "strategy")?;
        non_empty(self.cid.0.as_str(), "cid")?;
        Ok(())
    }
}

impl Check for RequestOpen {
    fn check(&self) -> PyResult<()> {
        Ok(())
    }
}

impl Check for RequestCancel {
    fn check(&self) -> PyResult<()> {
        match &self.id {
            Some(id) => non_empty(id.0.as_str(), "id").map(drop),
            None => Ok(()),
        }
    }
}

impl<State: Check> Check for OrderEvent<State, ExchangeId, InstrumentNameInternal> {
    fn check(&self) -> PyResult<()> {
        self.key.check()?;
        self.state.check()
    }
}

/// The `#[pymethods]` of a class holding barter's `$barter`: its own `methods`, then `to_json`
/// and `from_json` (barter's serde; what comes in is checked as the constructors check) and
/// pickling through that JSON.
macro_rules! json_pymethods {
    ($py_name:ident, $barter:ty, $name:expr, { $($methods:tt)* }) => {
        #[pymethods]
        impl $py_name {
            $($methods)*

            fn to_json(&self) -> PyResult<String> {
                to_json(&self.0)
            }

            #[staticmethod]
            fn from_json(json: &str) -> PyResult<Self> {
                let value: $barter = from_json(json, $name)?;
                value.check()?;
                Ok(Self(value))
            }

            fn __reduce__<'py>(
                slf: &Bound<'py, Self>,
            ) -> PyResult<(Bound<'py, PyAny>, (String,))> {
                reduce_via_json(slf.as_any(), &slf.get().0)
            }
        }
    };
}

pub fn key_repr(py: Python<'_>, key: &Key) -> PyResult<String> {
    Ok(format!(
        "OrderKey(exchange={}, instrument={}, strategy=StrategyId({}), cid=ClientOrderId({}))",
        enums::repr(py, key.exchange)?,
        py_repr(py, key.instrument.name())?,
        py_repr(py, key.strategy.0.as_str())?,
        py_repr(py, key.cid.0.as_str())?,
    ))
}

fn open_repr(py: Python<'_>, open: &RequestOpen) -> PyResult<String> {
    Ok(format!(
        "RequestOpen(side={}, price=Decimal('{}'), quantity=Decimal('{}'), kind={}, \
         time_in_force={})",
        enums::repr(py, open.side)?,
        open.price,
        open.quantity,
        enums::repr(py, open.kind)?,
        enums::repr(py, open.time_in_force)?,
    ))
}

fn cancel_repr(py: Python<'_>, cancel: &RequestCancel) -> PyResult<String> {
    Ok(match &cancel.id {
        Some(id) => format!("RequestCancel(id=OrderId({}))", py_repr(py, id.0.as_str())?),
        None => "RequestCancel(id=None)".to_string(),
    })
}

/// The `__reduce__` of every JSON-backed class: `(Class.from_json, (json,))`.
pub fn reduce_via_json<'py, T: Serialize>(
    slf: &Bound<'py, PyAny>,
    value: &T,
) -> PyResult<(Bound<'py, PyAny>, (String,))> {
    Ok((slf.get_type().getattr("from_json")?, (to_json(value)?,)))
}

/// barter's `OrderKey<ExchangeId, InstrumentNameInternal>`.
#[pyclass(
    frozen,
    eq,
    hash,
    from_py_object,
    module = "barter_python._native",
    name = "OrderKey"
)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyOrderKey(pub Key);

json_pymethods!(PyOrderKey, Key, "OrderKey", {
    /// `instrument` becomes barter's `InstrumentNameInternal`, which barter lowercases.
    #[new]
    fn py_new(
        exchange: Enum<ExchangeId>,
        instrument: &str,
        strategy: &Bound<'_, PyAny>,
        cid: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        Ok(Self(OrderKey {
            exchange: exchange.0,
            instrument: InstrumentNameInternal::new(non_empty(instrument, "instrument")?),
            strategy: PyStrategyId::extract(strategy, "strategy")?,
            cid: PyClientOrderId::extract(cid, "cid")?,
        }))
    }

    #[getter]
    fn exchange(&self) -> Enum<ExchangeId> {
        Enum(self.0.exchange)
    }

    #[getter]
    fn instrument(&self) -> &str {
        self.0.instrument.name().as_str()
    }

    #[getter]
    fn strategy(&self) -> PyStrategyId {
        PyStrategyId(self.0.strategy.clone())
    }

    #[getter]
    fn cid(&self) -> PyClientOrderId {
        PyClientOrderId(self.0.cid.clone())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        key_repr(py, &self.0)
    }
});

/// barter's `RequestOpen`: the state of an order open request.
#[pyclass(
    frozen,
    eq,
    hash,
    from_py_object,
    module = "barter_python._native",
    name = "RequestOpen"
)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyRequestOpen(pub RequestOpen);

json_pymethods!(PyRequestOpen, RequestOpen, "RequestOpen", {
    #[new]
    fn py_new(
        side: Enum<Side>,
        price: &Bound<'_, PyAny>,
        quantity: &Bound<'_, PyAny>,
        kind: Enum<OrderKind>,
        time_in_force: Enum<TimeInForce>,
    ) -> PyResult<Self> {
        Ok(Self(RequestOpen {
            side: side.0,
            price: decimal::extract(price, "price")?,
            quantity: decimal::extract(quantity, "quantity")?,
            kind: kind.0,
            time_in_force: time_in_force.0,
        }))
    }

    #[getter]
    fn side(&self) -> Enum<Side> {
        Enum(self.0.side)
    }

    #[getter]
    fn price(&self) -> Decimal {
        self.0.price
    }

    #[getter]
    fn quantity(&self) -> Decimal {
        self.0.quantity
    }

    #[getter]
    fn kind(&self) -> Enum<OrderKind> {
        Enum(self.0.kind)
    }

    #[getter]
    fn time_in_force(&self) -> Enum<TimeInForce> {
        Enum(self.0.time_in_force)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        open_repr(py, &self.0)
    }
});

/// barter's `RequestCancel`: the state of an order cancel request (`id` of the exchange order,
/// `None` while the open request is still in flight).
#[pyclass(
    frozen,
    eq,
    hash,
    from_py_object,
    module = "barter_python._native",
    name = "RequestCancel"
)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyRequestCancel(pub RequestCancel);

json_pymethods!(PyRequestCancel, RequestCancel, "RequestCancel", {
    #[new]
    #[pyo3(signature = (id=None))]
    fn py_new(id: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let id = id.map(|id| PyOrderId::extract(id, "id")).transpose()?;
        Ok(Self(RequestCancel { id }))
    }

    #[getter]
    fn id(&self) -> Option<PyOrderId> {
        self.0.id.clone().map(PyOrderId)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        cancel_repr(py, &self.0)
    }
});

/// barter's `OrderEvent` of a request state (`OrderRequestOpen`, `OrderRequestCancel`), keyed
/// by `ExchangeId` and `InstrumentNameInternal`.
macro_rules! order_request_class {
    ($py_name:ident, $barter:ty, $name:literal, $state:ident, $state_repr:ident) => {
        #[doc = concat!("barter's `", $name, "<ExchangeId, InstrumentNameInternal>`.")]
        #[pyclass(frozen, eq, hash, module = "barter_python._native", name = $name)]
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $py_name(pub $barter);

        json_pymethods!($py_name, $barter, $name, {
            #[new]
            fn py_new(key: PyOrderKey, state: $state) -> Self {
                Self(OrderEvent {
                    key: key.0,
                    state: state.0,
                })
            }

            #[getter]
            fn key(&self) -> PyOrderKey {
                PyOrderKey(self.0.key.clone())
            }

            #[getter]
            fn state(&self) -> $state {
                $state(self.0.state.clone())
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                Ok(format!(
                    "{}(key={}, state={})",
                    $name,
                    key_repr(py, &self.0.key)?,
                    $state_repr(py, &self.0.state)?
                ))
            }
        });
    };
}

order_request_class!(
    PyOrderRequestOpen,
    Open,
    "OrderRequestOpen",
    PyRequestOpen,
    open_repr
);
order_request_class!(
    PyOrderRequestCancel,
    Cancel,
    "OrderRequestCancel",
    PyRequestCancel,
    cancel_repr
);

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyStrategyId>()?;
    m.add_class::<PyClientOrderId>()?;
    m.add_class::<PyOrderId>()?;
    m.add_class::<PyOrderKey>()?;
    m.add_class::<PyRequestOpen>()?;
    m.add_class::<PyRequestCancel>()?;
    m.add_class::<PyOrderRequestOpen>()?;
    m.add_class::<PyOrderRequestCancel>()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn open(
        (exchange, instrument, strategy, cid): (ExchangeId, &str, &str, &str),
        (side, price, quantity, kind, time_in_force): (Side, &str, &str, OrderKind, TimeInForce),
    ) -> Open {
        Open {
            key: OrderKey {
                exchange,
                instrument: InstrumentNameInternal::new(instrument),
                strategy: StrategyId::new(strategy),
                cid: ClientOrderId::new(cid),
            },
            state: RequestOpen {
                side,
                price: Decimal::from_str(price).unwrap(),
                quantity: Decimal::from_str(quantity).unwrap(),
                kind,
                time_in_force,
            },
        }
    }

    /// The Python tests load this fixture with `from_json`; here barter's serde must produce it.
    #[test]
    fn fixture_is_what_barter_serde_produces() {
        let orders = [
            open(
                (
                    ExchangeId::BinanceSpot,
                    "btc_usdt",
                    "flatten",
                    "Ab3_-xYz0123456789qwert",
                ),
                (
                    Side::Sell,
                    "43250.5",
                    "0.125",
                    OrderKind::Market,
                    TimeInForce::ImmediateOrCancel,
                ),
            ),
            open(
                (ExchangeId::Okx, "eth_usdt", "maker", "cid-2"),
                (
                    Side::Buy,
                    "2301.00",
                    "3",
                    OrderKind::Limit,
                    TimeInForce::GoodUntilCancelled { post_only: true },
                ),
            ),
            open(
                (ExchangeId::Htx, "sol_usdt", "s", "c"),
                (
                    Side::Buy,
                    "0.0000001",
                    "79228162514264337593543950335",
                    OrderKind::Limit,
                    TimeInForce::FillOrKill,
                ),
            ),
        ];
        let produced: Vec<String> = orders
            .iter()
            .map(|order| serde_json::to_string(order).unwrap())
            .collect();
        let fixture = include_str!("../../../tests_py/data/barter_orders.jsonl");
        assert_eq!(produced, fixture.lines().collect::<Vec<_>>());
    }
}
