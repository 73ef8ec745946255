//! Conversion structs filled from the attributes of `barter_python.snapshot`'s Pydantic models
//! (`PositionSnapshot`, `InstrumentSnapshot`), already validated on the Python side.

use crate::bind::decimal;
use crate::bind::enums;
use barter_instrument::{exchange::ExchangeId, Side};
use pyo3::exceptions::PyAttributeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use rust_decimal::Decimal;
use smol_str::SmolStr;

/// Attribute access for a model: a Pydantic model keeps its fields in `__dict__`, and one dict
/// lookup per field is several times cheaper than `getattr` through the model's class.
struct Fields<'a, 'py> {
    object: Borrowed<'a, 'py, PyAny>,
    dict: Option<Bound<'py, PyDict>>,
}

impl<'a, 'py> Fields<'a, 'py> {
    fn of(object: Borrowed<'a, 'py, PyAny>) -> Self {
        let dict = object
            .getattr(intern!(object.py(), "__dict__"))
            .ok()
            .and_then(|dict| dict.cast_into::<PyDict>().ok());
        Self { object, dict }
    }

    fn get(&self, name: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyAny>> {
        match self
            .dict
            .as_ref()
            .map(|dict| dict.get_item(name))
            .transpose()?
            .flatten()
        {
            Some(value) => Ok(value),
            None => self
                .object
                .getattr(name)
                .map_err(|_| PyAttributeError::new_err(format!("snapshot has no field {name}"))),
        }
    }
}

/// A name as barter stores it: short names stay inline, with no allocation.
fn text(value: &Bound<'_, PyAny>) -> PyResult<SmolStr> {
    Ok(SmolStr::new(value.cast::<PyString>()?.to_cow()?))
}

/// A `PositionSnapshot`: barter's `Position` side, `quantity_abs` and entry price.
pub struct PositionInput {
    pub instrument: SmolStr,
    pub side: Side,
    pub quantity: Decimal,
    pub price_entry_average: Decimal,
}

impl<'a, 'py> FromPyObject<'a, 'py> for PositionInput {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let py = obj.py();
        let fields = Fields::of(obj);
        Ok(Self {
            instrument: text(&fields.get(intern!(py, "instrument"))?)?,
            side: enums::from_py(&fields.get(intern!(py, "side"))?)?,
            quantity: decimal::extract(&fields.get(intern!(py, "quantity"))?, "quantity")?,
            price_entry_average: decimal::extract(
                &fields.get(intern!(py, "price_entry_average"))?,
                "price_entry_average",
            )?,
        })
    }
}

/// An `InstrumentSnapshot`: one spot instrument on one exchange, its price and position.
pub struct InstrumentInput {
    pub exchange: ExchangeId,
    pub instrument: SmolStr,
    pub base: SmolStr,
    pub quote: SmolStr,
    pub price: Option<Decimal>,
    pub position: Option<PositionInput>,
    /// The exchange's lot and tick sizes, if given.
    pub spec: Option<Spec>,
}

/// An `InstrumentSpec`: the exchange's tick size (prices are multiples of it), lot size
/// (quantities are) and smallest order value (quote asset). Validated on the Python side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spec {
    pub tick_size: Decimal,
    pub lot_size: Decimal,
    pub min_notional: Decimal,
}

impl Spec {
    /// Why an order of `quantity` at `price` (its limit, or the touch for a market order)
    /// breaks the spec, if it does; `limit` says whether the price is the order's own.
    pub fn breach(&self, quantity: Decimal, price: Decimal, limit: bool) -> Option<String> {
        if !(quantity % self.lot_size).is_zero() {
            return Some(format!(
                "quantity {quantity} is not a multiple of the lot size {}",
                self.lot_size
            ));
        }
        if limit && !(price % self.tick_size).is_zero() {
            return Some(format!(
                "price {price} is not a multiple of the tick size {}",
                self.tick_size
            ));
        }
        let notional = quantity * price;
        (notional < self.min_notional).then(|| {
            format!(
                "order value {} is below the minimum notional {}",
                notional.normalize(),
                self.min_notional
            )
        })
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for Spec {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let money = |name: &str| decimal::extract(&obj.getattr(name)?, name);
        Ok(Self {
            tick_size: money("tick_size")?,
            lot_size: money("lot_size")?,
            min_notional: money("min_notional")?,
        })
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for InstrumentInput {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let py = obj.py();
        let fields = Fields::of(obj);
        let price = fields.get(intern!(py, "price"))?;
        Ok(Self {
            exchange: enums::from_py(&fields.get(intern!(py, "exchange"))?)?,
            instrument: text(&fields.get(intern!(py, "instrument"))?)?,
            base: text(&fields.get(intern!(py, "base"))?)?,
            quote: text(&fields.get(intern!(py, "quote"))?)?,
            price: if price.is_none() {
                None
            } else {
                Some(decimal::extract(&price, "price")?)
            },
            position: fields.get(intern!(py, "position"))?.extract()?,
            // A model without the field (an older pickled snapshot) has no spec.
            spec: match fields.get(intern!(py, "spec")) {
                Ok(spec) => spec.extract()?,
                Err(_) => None,
            },
        })
    }
}
