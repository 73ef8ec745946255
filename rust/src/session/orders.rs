//! Every order of a run as the result reports it (spec §8): what was asked, what filled, at
//! what average price and fees, its status and the exchange's reason. The simulated exchange
//! keeps this log itself; for barter's mock it is read off the engine's audit (the mock fills
//! an order it accepts in full, in one trade, at the order's price). Orders the risk manager
//! refused never reach an exchange: they are read off the audit, for either.

use super::rows::{OrderRow, RowKind};
use crate::bind::enums::Enum;
use crate::engine::audit::Audit;
use crate::engine::keys::Keys;
use crate::exchange::simulated::{OrderRecord, Simulated, Status};
use barter_execution::order::request::RequestOpen;
use barter_instrument::exchange::ExchangeId;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// When the engine sent, or the risk manager refused, each open of the audit (the replay's
/// time then): the audit does not carry times.
#[derive(Default)]
pub struct Times {
    sent: Vec<DateTime<Utc>>,
    refused: Vec<DateTime<Utc>>,
}

impl Times {
    /// The opens of `audit` not yet timed happened at `time`.
    pub fn observe(&mut self, audit: &Audit, time: DateTime<Utc>) {
        self.sent.resize(audit.opens_sent_len(), time);
        self.refused.resize(audit.opens_risk_refused_len(), time);
    }
}

/// Every order of the run, in time order: those the risk manager refused and the exchange's
/// (`simulated` or `mock`); at one time, the refusals first (they were never sent).
pub fn all(exchange: Vec<OrderRow>, audit: &Audit, times: &Times) -> Vec<OrderRow> {
    let refusals = audit.opens_risk_refused().zip(&times.refused);
    let mut rows: Vec<OrderRow> = refusals
        .map(|((open, reason), time)| {
            let outcome = OrderRow {
                status: Status::Refused.as_str(),
                reason: Some(reason.clone()),
                ..blank()
            };
            let instrument = open.key.instrument.name().as_str();
            let cid = open.key.cid.0.as_str();
            row(
                *time,
                open.key.exchange,
                instrument,
                cid,
                &open.state,
                outcome,
            )
        })
        .collect();
    rows.extend(exchange);
    rows.sort_by_key(|row| row.time); // stable
    rows
}

/// The simulated exchange's log.
pub fn simulated(exchange: &Simulated, keys: &Keys) -> Vec<OrderRow> {
    let mut rows = Vec::new();
    for record in exchange.orders() {
        let OrderRecord {
            time,
            key,
            request,
            filled,
            fees,
            status,
            reason,
            condition,
            queue_ahead,
            ..
        } = record;
        let input = keys.instrument(key.instrument);
        let mut row = row(
            *time,
            input.exchange,
            &input.instrument,
            key.cid.0.as_str(),
            request,
            OrderRow {
                filled: *filled,
                average_price: record.average_price(),
                fees: *fees,
                status: status.as_str(),
                reason: reason.clone(),
                queue_ahead: *queue_ahead,
                ..blank()
            },
        );
        if let Some(condition) = condition {
            row.kind = RowKind::Conditional(condition.spec.name());
            row.trigger = condition.trigger;
            row.time_triggered = condition.time_triggered;
        }
        rows.push(row);
    }
    // An untriggered trailing stop's trigger is where it stands now.
    for (_, held) in exchange.conditional().held() {
        rows[held.order].trigger = held.trigger;
    }
    rows
}

/// barter's mock, from the audit.
pub fn mock(audit: &Audit, times: &Times) -> Vec<OrderRow> {
    let mut rows = Vec::new();
    let mut used = vec![false; audit.trades().len()];
    for (at, open) in audit.opens_sent().iter().enumerate() {
        let refused = audit
            .opens_refused()
            .iter()
            .find(|(refused, _)| refused.key == open.key)
            .map(|(_, reason)| reason.as_str());
        let trade = refused.is_none().then(|| {
            audit
                .trades()
                .iter()
                .enumerate()
                .position(|(n, (exchange, trade))| {
                    !used[n]
                        && *exchange == open.key.exchange
                        && trade.instrument == open.key.instrument
                        && trade.side == open.state.side
                        && trade.quantity == open.state.quantity
                        && trade.price == open.state.price
                })
        });
        let trade = trade
            .flatten()
            .inspect(|n| used[*n] = true)
            .map(|n| &audit.trades()[n].1);
        let status = match (refused, trade) {
            (Some(_), _) => Status::Refused,
            (None, Some(_)) => Status::Filled,
            (None, None) => Status::Open,
        };
        let time = times.sent.get(at).copied().unwrap_or_default();
        let instrument = open.key.instrument.name().as_str();
        rows.push(row(
            time,
            open.key.exchange,
            instrument,
            open.key.cid.0.as_str(),
            &open.state,
            OrderRow {
                filled: trade.map_or(Decimal::ZERO, |trade| trade.quantity),
                average_price: trade.map(|trade| trade.price),
                fees: trade.map_or(Decimal::ZERO, |trade| trade.fees.fees),
                status: status.as_str(),
                reason: refused.map(str::to_string),
                ..blank()
            },
        ));
    }
    rows
}

/// An order's row: what was asked, and how it stands (`outcome`'s fill, fees, status).
fn row(
    time: DateTime<Utc>,
    exchange: ExchangeId,
    instrument: &str,
    cid: &str,
    request: &RequestOpen,
    outcome: OrderRow,
) -> OrderRow {
    OrderRow {
        time,
        exchange: Enum(exchange),
        instrument: instrument.to_string(),
        cid: cid.to_string(),
        side: Enum(request.side),
        kind: RowKind::Order(request.kind),
        time_in_force: Enum(request.time_in_force),
        price: request.price,
        quantity: request.quantity,
        ..outcome
    }
}

/// A row to fill in.
fn blank() -> OrderRow {
    OrderRow {
        time: DateTime::default(),
        exchange: Enum(ExchangeId::Other),
        instrument: String::new(),
        cid: String::new(),
        side: Enum(barter_instrument::Side::Buy),
        kind: RowKind::Order(barter_execution::order::OrderKind::Market),
        time_in_force: Enum(barter_execution::order::TimeInForce::ImmediateOrCancel),
        price: Decimal::ZERO,
        quantity: Decimal::ZERO,
        filled: Decimal::ZERO,
        average_price: None,
        fees: Decimal::ZERO,
        status: "open",
        reason: None,
        trigger: None,
        time_triggered: None,
        queue_ahead: None,
    }
}
