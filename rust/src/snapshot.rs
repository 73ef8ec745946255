//! Conversion structs filled from the attributes of `barter_python.snapshot`'s Pydantic models
//! (`PositionSnapshot`, `InstrumentSnapshot`), already validated on the Python side.

use crate::decimal;
use crate::enums;
use barter_instrument::{exchange::ExchangeId, Side};
use pyo3::intern;
use pyo3::prelude::*;
use rust_decimal::Decimal;

/// A `PositionSnapshot`: barter's `Position` side, `quantity_abs` and entry price.
pub struct PositionInput {
    pub instrument: String,
    pub side: Side,
    pub quantity: Decimal,
    pub price_entry_average: Decimal,
}

impl<'a, 'py> FromPyObject<'a, 'py> for PositionInput {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let py = obj.py();
        Ok(Self {
            instrument: obj.getattr(intern!(py, "instrument"))?.extract()?,
            side: enums::from_py(&obj.getattr(intern!(py, "side"))?)?,
            quantity: decimal::extract(&obj.getattr(intern!(py, "quantity"))?, "quantity")?,
            price_entry_average: decimal::extract(
                &obj.getattr(intern!(py, "price_entry_average"))?,
                "price_entry_average",
            )?,
        })
    }
}

/// An `InstrumentSnapshot`: one spot instrument on one exchange, its price and position.
pub struct InstrumentInput {
    pub exchange: ExchangeId,
    pub instrument: String,
    pub base: String,
    pub quote: String,
    pub price: Option<Decimal>,
    pub position: Option<PositionInput>,
}

impl<'a, 'py> FromPyObject<'a, 'py> for InstrumentInput {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let py = obj.py();
        let price = obj.getattr(intern!(py, "price"))?;
        Ok(Self {
            exchange: enums::from_py(&obj.getattr(intern!(py, "exchange"))?)?,
            instrument: obj.getattr(intern!(py, "instrument"))?.extract()?,
            base: obj.getattr(intern!(py, "base"))?.extract()?,
            quote: obj.getattr(intern!(py, "quote"))?.extract()?,
            price: if price.is_none() {
                None
            } else {
                Some(decimal::extract(&price, "price")?)
            },
            position: obj.getattr(intern!(py, "position"))?.extract()?,
        })
    }
}
