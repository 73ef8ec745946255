//! The config a session runs under, read once from its validated Pydantic model
//! (`barter_python.session.SessionConfig`: `BacktestConfig`, `LiveConfig`, and the one `Engine`
//! builds): the engine's part by `engine::Config`, the rest here. The model checks every rule
//! of its values; this side only reads them, typed.

use crate::bind::decimal;
use crate::engine::Config;
use chrono::TimeDelta;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDelta, PyDeltaAccess};
use rust_decimal::Decimal;

/// A `SessionConfig` model's fields: the engine's (`engine::Config`), the equity curve's and
/// barter's statistics'.
pub struct SessionConfig {
    pub engine: Config,
    /// How often the equity curve gets a point; `None`: at every event.
    pub equity_every: Option<TimeDelta>,
    pub reporting: Reporting,
}

/// How barter's statistics of the session are computed.
#[derive(Clone, Copy)]
pub struct Reporting {
    pub risk_free_return: Decimal,
    pub interval: Interval,
}

impl SessionConfig {
    /// The attributes of a validated `SessionConfig` (or subclass) model.
    pub fn extract(model: &Bound<'_, PyAny>) -> PyResult<Self> {
        let field = |name: &str| model.getattr(name);
        Ok(Self {
            engine: Config::extract(model)?,
            equity_every: field("equity_interval")?.extract()?,
            reporting: Reporting {
                risk_free_return: decimal::extract(
                    &field("risk_free_return")?,
                    "risk_free_return",
                )?,
                interval: Interval::extract(&field("interval")?)?,
            },
        })
    }
}

/// The interval barter scales its returns and ratios to.
#[derive(Clone, Copy)]
pub enum Interval {
    Daily,
    Annual252,
    Annual365,
    Every(TimeDelta),
}

impl Interval {
    /// `"daily"`, `"annual_252"`, `"annual_365"` or a `datetime.timedelta` of at least 1 s
    /// (barter scales by whole seconds).
    pub fn extract(value: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(delta) = value.cast::<PyDelta>() {
            let seconds = i64::from(delta.get_days()) * 86_400 + i64::from(delta.get_seconds());
            if seconds < 1 {
                return Err(PyValueError::new_err(format!(
                    "interval must be at least 1 second, got {delta}"
                )));
            }
            return Ok(Interval::Every(TimeDelta::seconds(seconds)));
        }
        match value.extract::<String>().as_deref() {
            Ok("daily") => Ok(Interval::Daily),
            Ok("annual_252") => Ok(Interval::Annual252),
            Ok("annual_365") => Ok(Interval::Annual365),
            Ok(other) => Err(PyValueError::new_err(format!(
                "interval must be 'daily', 'annual_252', 'annual_365' or a timedelta, got \
                 {other:?}"
            ))),
            Err(_) => Err(PyTypeError::new_err(
                "interval must be 'daily', 'annual_252', 'annual_365' or a timedelta",
            )),
        }
    }
}
