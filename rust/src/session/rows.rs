//! What a replay hands to `barter_python.backtest`: typed native objects, each row a class
//! whose attributes are the fields of its Pydantic model (`BacktestResult`'s parts, validated
//! from attributes), so a name is spelt once per side and checked by stubtest and Pydantic,
//! not a dict key spelt in two files.

use crate::bind::enums::Enum;
use barter_execution::order::{OrderKind, TimeInForce};
use barter_instrument::{exchange::ExchangeId, Side};
use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// One instrument's barter `TearSheet`, values unwrapped, with why a value is undefined.
#[derive(Clone)]
#[pyclass(frozen, get_all, module = "barter_python._native", name = "SheetRow")]
pub struct SheetRow {
    pub exchange: Enum<ExchangeId>,
    pub instrument: String,
    pub pnl: Decimal,
    pub pnl_return: Option<Decimal>,
    pub sharpe_ratio: Option<Decimal>,
    pub sortino_ratio: Option<Decimal>,
    pub calmar_ratio: Option<Decimal>,
    pub pnl_drawdown: Option<Decimal>,
    pub pnl_drawdown_mean: Option<Decimal>,
    pub pnl_drawdown_max: Option<Decimal>,
    pub win_rate: Option<Decimal>,
    pub profit_factor: Option<Decimal>,
    pub undefined: BTreeMap<String, String>,
}

/// One asset's barter `TearSheetAsset`.
#[derive(Clone)]
#[pyclass(frozen, get_all, module = "barter_python._native", name = "AssetRow")]
pub struct AssetRow {
    pub exchange: Enum<ExchangeId>,
    pub asset: String,
    pub balance_end: Option<Decimal>,
    pub drawdown: Option<Decimal>,
    pub drawdown_mean: Option<Decimal>,
    pub drawdown_max: Option<Decimal>,
}

/// A position barter closed (`PositionExited`).
#[derive(Clone)]
#[pyclass(
    frozen,
    get_all,
    module = "barter_python._native",
    name = "PositionRow"
)]
pub struct PositionRow {
    pub exchange: Enum<ExchangeId>,
    pub instrument: String,
    pub side: Enum<Side>,
    pub quantity: Decimal,
    pub price_entry: Decimal,
    pub price_exit: Option<Decimal>,
    pub time_enter: DateTime<Utc>,
    pub time_exit: DateTime<Utc>,
    pub pnl_realised: Decimal,
    pub fees: Decimal,
}

/// A trade the exchange reported.
#[derive(Clone)]
#[pyclass(frozen, get_all, module = "barter_python._native", name = "FillRow")]
pub struct FillRow {
    pub time: DateTime<Utc>,
    pub exchange: Enum<ExchangeId>,
    pub instrument: String,
    pub side: Enum<Side>,
    pub price: Decimal,
    pub quantity: Decimal,
    pub fees: Decimal,
    pub order_id: String,
}

/// An order as it stands at the end of the run.
#[derive(Clone)]
#[pyclass(frozen, get_all, module = "barter_python._native", name = "OrderRow")]
pub struct OrderRow {
    pub time: DateTime<Utc>,
    pub exchange: Enum<ExchangeId>,
    pub instrument: String,
    pub cid: String,
    pub side: Enum<Side>,
    pub kind: RowKind,
    pub time_in_force: Enum<TimeInForce>,
    pub price: Decimal,
    pub quantity: Decimal,
    pub filled: Decimal,
    pub average_price: Option<Decimal>,
    pub fees: Decimal,
    pub status: &'static str,
    pub reason: Option<String>,
    /// A conditional order's trigger (reached, or the current one while untriggered).
    pub trigger: Option<Decimal>,
    pub time_triggered: Option<DateTime<Utc>>,
    /// What the L2 book held ahead of a resting order when it came to rest (spec §12).
    pub queue_ahead: Option<Decimal>,
}

/// An order's kind: barter's `OrderKind`, or a conditional order's (`"stop"`, ...), which
/// names what it is rather than what it sends.
#[derive(Clone, Copy)]
pub enum RowKind {
    Order(OrderKind),
    Conditional(&'static str),
}

impl RowKind {
    pub fn text(self, py: Python<'_>) -> PyResult<&'static str> {
        match self {
            RowKind::Order(kind) => crate::bind::enums::text(py, kind),
            RowKind::Conditional(name) => Ok(name),
        }
    }
}

impl<'py> IntoPyObject<'py> for RowKind {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            RowKind::Order(kind) => Ok(Enum(kind).into_pyobject(py)?.into_any()),
            RowKind::Conditional(name) => Ok(pyo3::types::PyString::new(py, name).into_any()),
        }
    }
}

/// The account's value in one quote asset at one time.
#[derive(Clone)]
#[pyclass(frozen, get_all, module = "barter_python._native", name = "EquityRow")]
pub struct EquityRow {
    pub exchange: Enum<ExchangeId>,
    pub asset: String,
    pub time: DateTime<Utc>,
    pub cash: Decimal,
    pub holdings: Decimal,
    pub equity: Decimal,
    pub drawdown: Decimal,
}

/// How long one quote asset had an open position.
#[derive(Clone)]
#[pyclass(
    frozen,
    get_all,
    module = "barter_python._native",
    name = "ExposureRow"
)]
pub struct ExposureRow {
    pub exchange: Enum<ExchangeId>,
    pub asset: String,
    pub seconds: f64,
}

/// Everything a session produced. Its rows stay native: each list's Python objects are made
/// when the attribute is read (`barter_python.session` reads each once).
#[pyclass(frozen, get_all, module = "barter_python._native", name = "RunOutput")]
pub struct RunOutput {
    pub time_start: DateTime<Utc>,
    pub time_end: DateTime<Utc>,
    pub interval: String,
    pub risk_free_return: Decimal,
    pub events: usize,
    pub orders_sent: usize,
    pub orders_refused: usize,
    pub exchange: &'static str,
    pub instruments: Vec<SheetRow>,
    pub assets: Vec<AssetRow>,
    pub positions: Vec<PositionRow>,
    pub fills: Vec<FillRow>,
    pub orders: Vec<OrderRow>,
    pub equity: Vec<EquityRow>,
    pub exposure: Vec<ExposureRow>,
    /// How the run was simulated where the data fell short of the settings.
    pub warnings: Vec<String>,
}

/// Register the row classes on the native module.
pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<SheetRow>()?;
    module.add_class::<AssetRow>()?;
    module.add_class::<PositionRow>()?;
    module.add_class::<FillRow>()?;
    module.add_class::<OrderRow>()?;
    module.add_class::<EquityRow>()?;
    module.add_class::<ExposureRow>()?;
    module.add_class::<RunOutput>()?;
    Ok(())
}
