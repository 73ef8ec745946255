//! What a replay produced, as plain values: barter's `TradingSummary` (its `TearSheet`s under
//! barter's names, sentinels told apart from numbers), the closed positions, the fills and an
//! equity curve (which barter lacks). `barter_python.backtest` validates them into its models
//! and adds the textbook statistics.

use super::equity::Curve;
use super::orders;
use crate::bind::enums::Enum;
use crate::engine::audit::Audit;
use crate::engine::PyEngine;
use barter::engine::clock::EngineClock;
use barter::statistic::metric::drawdown::Drawdown;
use barter::statistic::summary::instrument::{TearSheet, TearSheetGenerator};
use barter::statistic::summary::TradingSummaryGenerator;
use barter::statistic::time::{Annual252, Annual365, Daily, TimeInterval};
use barter_execution::trade::TradeId;
use chrono::{DateTime, TimeDelta, Utc};
use fnv::FnvHashMap;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDelta, PyDeltaAccess, PyDict, PyList};
use rust_decimal::Decimal;

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

/// The run's results, as a dict of plain values.
pub fn results<'py>(
    py: Python<'py>,
    engine: &PyEngine,
    audit: &Audit,
    curve: Curve,
    sent: &[DateTime<Utc>],
    risk_free_return: Decimal,
    interval: Interval,
    events: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let core = engine.core();
    let keys = engine.keys();
    // barter's generator clones the engine's per-instrument generators; `generate` mutates,
    // so it is called once, on this copy.
    let generator = core.trading_summary_generator(risk_free_return);
    let undefined: Vec<Vec<(&str, &str)>> = generator.instruments.values().map(undefined).collect();
    let (interval_name, sheets, assets) = match interval {
        Interval::Daily => generate(py, generator, Daily)?,
        Interval::Annual252 => generate(py, generator, Annual252)?,
        Interval::Annual365 => generate(py, generator, Annual365)?,
        Interval::Every(delta) => generate(py, generator, delta)?,
    };

    let instruments = PyList::empty(py);
    for (at, (sheet, undefined)) in sheets.into_iter().zip(undefined).enumerate() {
        let input = keys.instrument(barter_instrument::instrument::InstrumentIndex(at));
        sheet.set_item(intern!(py, "exchange"), Enum(input.exchange))?;
        sheet.set_item(intern!(py, "instrument"), input.instrument.as_str())?;
        let reasons = PyDict::new(py);
        let max_drawdown = sheet.get_item("pnl_drawdown_max")?;
        let drawn_down = match max_drawdown {
            Some(max) if !max.is_none() => !max.extract::<Decimal>()?.is_zero(),
            _ => false,
        };
        let calmar = (!drawn_down && !undefined.iter().any(|(f, _)| *f == "calmar_ratio"))
            .then_some(("calmar_ratio", "zero_drawdown"));
        for (field, reason) in undefined.into_iter().chain(calmar) {
            reasons.set_item(field, reason)?;
            sheet.set_item(field, py.None())?;
        }
        sheet.set_item(intern!(py, "undefined"), reasons)?;
        instruments.append(sheet)?;
    }

    let prices: FnvHashMap<&TradeId, Decimal> = audit
        .trades()
        .iter()
        .map(|(_, trade)| (&trade.id, trade.price))
        .collect();
    let positions = PyList::empty(py);
    for exit in audit.exits() {
        let input = keys.instrument(exit.instrument);
        let position = PyDict::new(py);
        position.set_item(intern!(py, "exchange"), Enum(input.exchange))?;
        position.set_item(intern!(py, "instrument"), input.instrument.as_str())?;
        position.set_item(intern!(py, "side"), Enum(exit.side))?;
        position.set_item(intern!(py, "quantity"), exit.quantity_abs_max)?;
        position.set_item(intern!(py, "price_entry"), exit.price_entry_average)?;
        // The exit price is the price of the position's last trade.
        let last = exit.trades.last().and_then(|id| prices.get(id));
        position.set_item(intern!(py, "price_exit"), last)?;
        position.set_item(intern!(py, "time_enter"), exit.time_enter)?;
        position.set_item(intern!(py, "time_exit"), exit.time_exit)?;
        position.set_item(intern!(py, "pnl_realised"), exit.pnl_realised)?;
        position.set_item(
            intern!(py, "fees"),
            exit.fees_enter.fees + exit.fees_exit.fees,
        )?;
        positions.append(position)?;
    }

    let fills = PyList::empty(py);
    for (exchange, trade) in audit.trades() {
        let fill = PyDict::new(py);
        fill.set_item(intern!(py, "time"), trade.time_exchange)?;
        fill.set_item(intern!(py, "exchange"), Enum(*exchange))?;
        fill.set_item(intern!(py, "instrument"), trade.instrument.name().as_str())?;
        fill.set_item(intern!(py, "side"), Enum(trade.side))?;
        fill.set_item(intern!(py, "price"), trade.price)?;
        fill.set_item(intern!(py, "quantity"), trade.quantity)?;
        fill.set_item(intern!(py, "fees"), trade.fees.fees)?;
        fill.set_item(intern!(py, "order_id"), trade.order_id.0.as_str())?;
        fills.append(fill)?;
    }

    let out = PyDict::new(py);
    out.set_item(intern!(py, "time_start"), core.meta.time_start)?;
    out.set_item(intern!(py, "time_end"), core.clock.time())?;
    out.set_item(intern!(py, "interval"), interval_name)?;
    out.set_item(intern!(py, "risk_free_return"), risk_free_return)?;
    out.set_item(intern!(py, "events"), events)?;
    out.set_item(intern!(py, "orders_sent"), audit.opens_sent_len())?;
    out.set_item(intern!(py, "orders_refused"), audit.opens_refused_len())?;
    out.set_item(intern!(py, "instruments"), instruments)?;
    out.set_item(intern!(py, "assets"), assets)?;
    out.set_item(intern!(py, "positions"), positions)?;
    out.set_item(intern!(py, "fills"), fills)?;
    let (equity, exposure) = curve_rows(py, engine, curve)?;
    out.set_item(intern!(py, "equity"), equity)?;
    out.set_item(intern!(py, "exposure"), exposure)?;
    let (name, orders) = match engine.simulated() {
        Some(exchange) => ("simulated", orders::simulated(py, exchange, keys)?),
        None => ("barter_mock", orders::mock(py, audit, sent)?),
    };
    out.set_item(intern!(py, "exchange"), name)?;
    out.set_item(intern!(py, "orders"), orders)?;
    Ok(out)
}

/// The equity curve's points and each quote asset's exposure (seconds with an open position),
/// named by exchange and asset.
fn curve_rows<'py>(
    py: Python<'py>,
    engine: &PyEngine,
    curve: Curve,
) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>)> {
    let keys = engine.keys();
    let name = |asset: barter_instrument::asset::AssetIndex| {
        let asset = &keys.index.assets[asset.index()];
        (
            Enum(asset.exchange),
            asset.asset.name_internal.name().to_string(),
        )
    };
    let points = PyList::empty(py);
    for point in &curve.points {
        let (exchange, asset) = name(curve.assets[point.asset].index);
        let row = PyDict::new(py);
        row.set_item(intern!(py, "exchange"), exchange)?;
        row.set_item(intern!(py, "asset"), asset)?;
        row.set_item(intern!(py, "time"), point.time)?;
        row.set_item(intern!(py, "cash"), point.cash)?;
        row.set_item(intern!(py, "holdings"), point.holdings)?;
        row.set_item(intern!(py, "equity"), point.cash + point.holdings)?;
        row.set_item(intern!(py, "drawdown"), point.drawdown)?;
        points.append(row)?;
    }
    let exposure = PyList::empty(py);
    for asset in &curve.assets {
        let (exchange, name) = name(asset.index);
        let seconds = asset.exposed.num_milliseconds() as f64 / 1000.0;
        exposure.append((exchange, name, seconds))?;
    }
    Ok((points, exposure))
}

/// barter's `TradingSummary` for `interval`: its name, a dict per instrument (barter's
/// `TearSheet` fields, wrappers unwrapped to their value) and a dict per asset.
fn generate<'py, I: TimeInterval>(
    py: Python<'py>,
    mut generator: TradingSummaryGenerator,
    interval: I,
) -> PyResult<(String, Vec<Bound<'py, PyDict>>, Bound<'py, PyList>)> {
    let summary = generator.generate(interval);
    let sheets = summary
        .instruments
        .values()
        .map(|sheet| tear_sheet(py, sheet))
        .collect::<PyResult<_>>()?;
    let assets = PyList::empty(py);
    for (key, sheet) in &summary.assets {
        let asset = PyDict::new(py);
        asset.set_item(intern!(py, "exchange"), Enum(key.exchange))?;
        asset.set_item(intern!(py, "asset"), key.asset.name().as_str())?;
        asset.set_item(
            intern!(py, "balance_end"),
            sheet.balance_end.map(|b| b.total),
        )?;
        asset.set_item(intern!(py, "drawdown"), sheet.drawdown.as_ref().map(value))?;
        let mean = sheet.drawdown_mean.as_ref().map(|m| m.mean_drawdown);
        asset.set_item(intern!(py, "drawdown_mean"), mean)?;
        asset.set_item(
            "drawdown_max",
            sheet.drawdown_max.as_ref().map(|m| m.0.value),
        )?;
        assets.append(asset)?;
    }
    Ok((interval.name().to_string(), sheets, assets))
}

fn value(drawdown: &Drawdown) -> Decimal {
    drawdown.value
}

fn tear_sheet<'py, I>(py: Python<'py>, sheet: &TearSheet<I>) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item(intern!(py, "pnl"), sheet.pnl)?;
    out.set_item(intern!(py, "pnl_return"), sheet.pnl_return.value)?;
    out.set_item(intern!(py, "sharpe_ratio"), sheet.sharpe_ratio.value)?;
    out.set_item(intern!(py, "sortino_ratio"), sheet.sortino_ratio.value)?;
    out.set_item(intern!(py, "calmar_ratio"), sheet.calmar_ratio.value)?;
    out.set_item(
        intern!(py, "pnl_drawdown"),
        sheet.pnl_drawdown.as_ref().map(value),
    )?;
    let mean = sheet.pnl_drawdown_mean.as_ref().map(|m| m.mean_drawdown);
    out.set_item(intern!(py, "pnl_drawdown_mean"), mean)?;
    out.set_item(
        "pnl_drawdown_max",
        sheet.pnl_drawdown_max.as_ref().map(|m| m.0.value),
    )?;
    out.set_item(
        intern!(py, "win_rate"),
        sheet.win_rate.as_ref().map(|w| w.value),
    )?;
    out.set_item(
        "profit_factor",
        sheet.profit_factor.as_ref().map(|p| p.value),
    )?;
    Ok(out)
}

/// The fields of a tear sheet barter fills with a sentinel (`Decimal::MAX`/`MIN`, then scaled
/// to the interval, so no longer recognisable), and why. Read from the generator's inputs
/// (the Calmar ratio's, a zero drawdown, from the generated sheet).
fn undefined(generator: &TearSheetGenerator) -> Vec<(&'static str, &'static str)> {
    let returns = &generator.pnl_returns;
    if returns.total.count.is_zero() {
        let ratios = [
            "pnl_return",
            "sharpe_ratio",
            "sortino_ratio",
            "calmar_ratio",
        ];
        let more = ["win_rate", "profit_factor"];
        return ratios
            .iter()
            .chain(&more)
            .map(|f| (*f, "no_trades"))
            .collect();
    }
    let mut out = Vec::new();
    if returns.total.dispersion.std_dev.is_zero() {
        out.push(("sharpe_ratio", "zero_dispersion"));
    }
    if returns.losses.dispersion.std_dev.is_zero() {
        out.push(("sortino_ratio", "zero_dispersion"));
    }
    if returns.losses.sum.is_zero() {
        out.push(("profit_factor", "no_losses"));
    } else if returns.total.sum.is_zero() {
        out.push(("profit_factor", "zero_net"));
    }
    out
}
