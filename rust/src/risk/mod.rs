//! The SDK's risk manager (spec §9): the limits of a `RiskLimits` model as one implementation
//! of barter's `RiskManager`, used by the `Engine`, backtests and the live system alike.
//!
//! `Settings` is the model as read from Python (instruments by name); `Limits` is the same with
//! barter's instrument indices, made once the engine can name its instruments' indices (the
//! engine depends on this module, never the reverse).

pub mod limits;

use crate::bind::decimal;
use crate::bind::enums::Enum;
use barter::risk::check::CheckHigherThan;
use barter_instrument::exchange::ExchangeId;
use barter_instrument::instrument::{name::InstrumentNameInternal, InstrumentIndex};
use limits::Limits;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyMapping;
use rust_decimal::Decimal;

/// A `RiskLimits` model's fields (validated there: each rule is checked once, in the model).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    max_order_notional: Option<Decimal>,
    max_position_quantity: Vec<(ExchangeId, InstrumentNameInternal, Decimal)>,
    max_price_deviation: Option<Decimal>,
    max_open_orders: Option<usize>,
}

impl Settings {
    /// The attributes of a `RiskLimits` model.
    pub fn extract(model: &Bound<'_, PyAny>) -> PyResult<Self> {
        let field = |name: &str| {
            model.getattr(name).map_err(|_| {
                PyTypeError::new_err(format!(
                    "risk must be a RiskLimits, got {}",
                    crate::bind::classes::type_name(model)
                ))
            })
        };
        let money = |name: &str| -> PyResult<Option<Decimal>> {
            let value = field(name)?;
            (!value.is_none())
                .then(|| decimal::extract(&value, name))
                .transpose()
        };
        let positions = field("max_position_quantity")?;
        let positions = positions.cast::<PyMapping>().map_err(|_| {
            PyTypeError::new_err(
                "max_position_quantity must be a mapping of (exchange, instrument) to quantity",
            )
        })?;
        let max_position_quantity = positions
            .items()?
            .iter()
            .map(|item| {
                let ((exchange, name), limit): ((Enum<ExchangeId>, String), Bound<'_, PyAny>) =
                    item.extract()?;
                let limit = decimal::extract(&limit, "max_position_quantity")?;
                Ok((exchange.0, InstrumentNameInternal::new(name), limit))
            })
            .collect::<PyResult<_>>()?;
        Ok(Self {
            max_order_notional: money("max_order_notional")?,
            max_position_quantity,
            max_price_deviation: money("max_price_deviation")?,
            max_open_orders: field("max_open_orders")?.extract()?,
        })
    }

    /// The limits over the engine's instruments, `index` giving barter's index of an instrument
    /// the engine trades; a position limit for any other instrument is the caller's error.
    pub fn resolve(
        self,
        index: impl Fn(ExchangeId, &InstrumentNameInternal) -> Option<InstrumentIndex>,
    ) -> PyResult<Limits> {
        let mut positions = Vec::new();
        for (exchange, name, limit) in self.max_position_quantity {
            let at = index(exchange, &name).ok_or_else(|| {
                PyValueError::new_err(format!(
                    "max_position_quantity: instrument '{name}' on '{}' is not in the \
                     instruments",
                    exchange.as_str()
                ))
            })?;
            if positions.len() <= at.index() {
                positions.resize(at.index() + 1, None);
            }
            positions[at.index()] = Some(CheckHigherThan::new(limit));
        }
        Ok(Limits {
            max_order_notional: self.max_order_notional.map(CheckHigherThan::new),
            max_position_quantity: positions,
            max_price_deviation: self.max_price_deviation.map(CheckHigherThan::new),
            max_open_orders: self.max_open_orders.map(CheckHigherThan::new),
        })
    }
}
