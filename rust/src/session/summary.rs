//! What a replay produced, as plain values: barter's `TradingSummary` (its `TearSheet`s under
//! barter's names, sentinels told apart from numbers), the closed positions, the fills and an
//! equity curve (which barter lacks). `barter_python.backtest` validates them into its models
//! and adds the textbook statistics.

use super::config::Interval;
use super::equity::Curve;
use super::orders;
use super::rows::{AssetRow, EquityRow, ExposureRow, FillRow, PositionRow, RunOutput, SheetRow};
use crate::bind::enums::Enum;
use crate::engine::audit::Audit;
use crate::engine::PyEngine;
use barter::engine::clock::EngineClock;
use barter::statistic::metric::drawdown::Drawdown;
use barter::statistic::summary::instrument::{TearSheet, TearSheetGenerator};
use barter::statistic::summary::TradingSummaryGenerator;
use barter::statistic::time::{Annual252, Annual365, Daily, TimeInterval};
use barter_execution::trade::TradeId;
use fnv::FnvHashMap;
use rust_decimal::Decimal;

/// The run's results, as typed rows.
#[allow(clippy::too_many_arguments)]
pub fn results(
    engine: &PyEngine,
    audit: &Audit,
    curve: Curve,
    times: &orders::Times,
    risk_free_return: Decimal,
    interval: Interval,
    events: usize,
) -> RunOutput {
    let core = engine.core();
    let keys = engine.keys();
    // barter's generator clones the engine's per-instrument generators; `generate` mutates,
    // so it is called once, on this copy.
    let generator = core.trading_summary_generator(risk_free_return);
    let undefined: Vec<Vec<(&str, &str)>> = generator.instruments.values().map(undefined).collect();
    let (interval_name, sheets, assets) = match interval {
        Interval::Daily => generate(generator, Daily),
        Interval::Annual252 => generate(generator, Annual252),
        Interval::Annual365 => generate(generator, Annual365),
        Interval::Every(delta) => generate(generator, delta),
    };

    let mut instruments = Vec::new();
    for (at, (mut sheet, undefined)) in sheets.into_iter().zip(undefined).enumerate() {
        let input = keys.instrument(barter_instrument::instrument::InstrumentIndex(at));
        sheet.exchange = Enum(input.exchange);
        sheet.instrument = input.instrument.to_string();
        let drawn_down = sheet.pnl_drawdown_max.is_some_and(|max| !max.is_zero());
        let calmar = (!drawn_down && !undefined.iter().any(|(f, _)| *f == "calmar_ratio"))
            .then_some(("calmar_ratio", "zero_drawdown"));
        for (field, reason) in undefined.into_iter().chain(calmar) {
            sheet
                .undefined
                .insert(field.to_string(), reason.to_string());
            *sheet.field(field) = None;
        }
        instruments.push(sheet);
    }

    let prices: FnvHashMap<&TradeId, Decimal> = audit
        .trades()
        .iter()
        .map(|(_, trade)| (&trade.id, trade.price))
        .collect();
    let positions = audit.exits().iter().map(|exit| {
        let input = keys.instrument(exit.instrument);
        PositionRow {
            exchange: Enum(input.exchange),
            instrument: input.instrument.to_string(),
            side: Enum(exit.side),
            quantity: exit.quantity_abs_max,
            price_entry: exit.price_entry_average,
            // The exit price is the price of the position's last trade.
            price_exit: exit.trades.last().and_then(|id| prices.get(id)).copied(),
            time_enter: exit.time_enter,
            time_exit: exit.time_exit,
            pnl_realised: exit.pnl_realised,
            fees: exit.fees_enter.fees + exit.fees_exit.fees,
        }
    });
    let fills = audit.trades().iter().map(|(exchange, trade)| FillRow {
        time: trade.time_exchange,
        exchange: Enum(*exchange),
        instrument: trade.instrument.name().to_string(),
        side: Enum(trade.side),
        price: trade.price,
        quantity: trade.quantity,
        fees: trade.fees.fees,
        order_id: trade.order_id.0.to_string(),
    });
    let (equity, exposure) = curve_rows(engine, curve);
    let (exchange, orders, warnings) = match engine.simulated() {
        Some(exchange) => (
            "simulated",
            orders::simulated(exchange, keys),
            exchange.warnings().map(str::to_string).collect(),
        ),
        None => ("barter_mock", orders::mock(audit, times), Vec::new()),
    };
    let orders = orders::all(orders, audit, times);
    RunOutput {
        time_start: core.meta.time_start,
        time_end: core.clock.time(),
        interval: interval_name,
        risk_free_return,
        events,
        orders_sent: audit.opens_sent_len(),
        orders_refused: audit.opens_refused_len(),
        exchange,
        instruments,
        assets,
        positions: positions.collect(),
        fills: fills.collect(),
        orders,
        equity,
        exposure,
        warnings,
    }
}

/// The equity curve's points and each quote asset's exposure (seconds with an open position),
/// named by exchange and asset.
fn curve_rows(engine: &PyEngine, curve: Curve) -> (Vec<EquityRow>, Vec<ExposureRow>) {
    let keys = engine.keys();
    let name = |asset: barter_instrument::asset::AssetIndex| {
        let asset = &keys.index.assets[asset.index()];
        (
            Enum(asset.exchange),
            asset.asset.name_internal.name().to_string(),
        )
    };
    let points = curve
        .points
        .iter()
        .map(|point| {
            let (exchange, asset) = name(curve.assets[point.asset].index);
            EquityRow {
                exchange,
                asset,
                time: point.time,
                cash: point.cash,
                holdings: point.holdings,
                equity: point.cash + point.holdings,
                drawdown: point.drawdown,
            }
        })
        .collect();
    let exposure = curve
        .assets
        .iter()
        .map(|asset| {
            let (exchange, name) = name(asset.index);
            let seconds = asset.exposed.num_milliseconds() as f64 / 1000.0;
            ExposureRow {
                exchange,
                asset: name,
                seconds,
            }
        })
        .collect();
    (points, exposure)
}

/// barter's `TradingSummary` for `interval`: its name, a row per instrument (barter's
/// `TearSheet` fields, wrappers unwrapped to their value; named by the caller) and per asset.
fn generate<I: TimeInterval>(
    mut generator: TradingSummaryGenerator,
    interval: I,
) -> (String, Vec<SheetRow>, Vec<AssetRow>) {
    let summary = generator.generate(interval);
    let sheets = summary.instruments.values().map(tear_sheet).collect();
    let assets = summary
        .assets
        .iter()
        .map(|(key, sheet)| AssetRow {
            exchange: Enum(key.exchange),
            asset: key.asset.name().to_string(),
            balance_end: sheet.balance_end.map(|b| b.total),
            drawdown: sheet.drawdown.as_ref().map(value),
            drawdown_mean: sheet.drawdown_mean.as_ref().map(|m| m.mean_drawdown),
            drawdown_max: sheet.drawdown_max.as_ref().map(|m| m.0.value),
        })
        .collect();
    (interval.name().to_string(), sheets, assets)
}

fn value(drawdown: &Drawdown) -> Decimal {
    drawdown.value
}

fn tear_sheet<I>(sheet: &TearSheet<I>) -> SheetRow {
    SheetRow {
        exchange: Enum(barter_instrument::exchange::ExchangeId::Other),
        instrument: String::new(),
        pnl: sheet.pnl,
        pnl_return: Some(sheet.pnl_return.value),
        sharpe_ratio: Some(sheet.sharpe_ratio.value),
        sortino_ratio: Some(sheet.sortino_ratio.value),
        calmar_ratio: Some(sheet.calmar_ratio.value),
        pnl_drawdown: sheet.pnl_drawdown.as_ref().map(value),
        pnl_drawdown_mean: sheet.pnl_drawdown_mean.as_ref().map(|m| m.mean_drawdown),
        pnl_drawdown_max: sheet.pnl_drawdown_max.as_ref().map(|m| m.0.value),
        win_rate: sheet.win_rate.as_ref().map(|w| w.value),
        profit_factor: sheet.profit_factor.as_ref().map(|p| p.value),
        undefined: Default::default(),
    }
}

impl SheetRow {
    /// The optional field a sentinel makes undefined, by name.
    fn field(&mut self, name: &str) -> &mut Option<Decimal> {
        match name {
            "pnl_return" => &mut self.pnl_return,
            "sharpe_ratio" => &mut self.sharpe_ratio,
            "sortino_ratio" => &mut self.sortino_ratio,
            "calmar_ratio" => &mut self.calmar_ratio,
            "win_rate" => &mut self.win_rate,
            _ => &mut self.profit_factor,
        }
    }
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
