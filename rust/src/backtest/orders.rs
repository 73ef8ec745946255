//! Every order of a run as the result reports it (spec §8): what was asked, what filled, at
//! what average price and fees, its status and the exchange's reason. The simulated exchange
//! keeps this log itself; for barter's mock it is read off the engine's audit (the mock fills
//! an order it accepts in full, in one trade, at the order's price).

use crate::bind::enums::Enum;
use crate::engine::audit::Audit;
use crate::engine::keys::Keys;
use crate::exchange::simulated::{OrderRecord, Simulated, Status};
use barter_execution::order::request::RequestOpen;
use chrono::{DateTime, Utc};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use rust_decimal::Decimal;

/// One order's row, in the caller's keys.
struct Row<'a> {
    time: DateTime<Utc>,
    exchange: barter_instrument::exchange::ExchangeId,
    instrument: &'a str,
    cid: &'a str,
    request: &'a RequestOpen,
    filled: Decimal,
    average_price: Option<Decimal>,
    fees: Decimal,
    status: Status,
    reason: Option<&'a str>,
}

impl Row<'_> {
    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let row = PyDict::new(py);
        row.set_item(intern!(py, "time"), self.time)?;
        row.set_item(intern!(py, "exchange"), Enum(self.exchange))?;
        row.set_item(intern!(py, "instrument"), self.instrument)?;
        row.set_item(intern!(py, "cid"), self.cid)?;
        row.set_item(intern!(py, "side"), Enum(self.request.side))?;
        row.set_item(intern!(py, "kind"), Enum(self.request.kind))?;
        row.set_item(
            intern!(py, "time_in_force"),
            Enum(self.request.time_in_force),
        )?;
        row.set_item(intern!(py, "price"), self.request.price)?;
        row.set_item(intern!(py, "quantity"), self.request.quantity)?;
        row.set_item(intern!(py, "filled"), self.filled)?;
        row.set_item(intern!(py, "average_price"), self.average_price)?;
        row.set_item(intern!(py, "fees"), self.fees)?;
        row.set_item(intern!(py, "status"), self.status.as_str())?;
        row.set_item(intern!(py, "reason"), self.reason)?;
        Ok(row)
    }
}

/// The simulated exchange's log.
pub fn simulated<'py>(
    py: Python<'py>,
    exchange: &Simulated,
    keys: &Keys,
) -> PyResult<Bound<'py, PyList>> {
    let rows = PyList::empty(py);
    for record in exchange.orders() {
        let OrderRecord {
            time,
            key,
            request,
            filled,
            fees,
            status,
            reason,
            ..
        } = record;
        let input = keys.instrument(key.instrument);
        let row = Row {
            time: *time,
            exchange: input.exchange,
            instrument: &input.instrument,
            cid: key.cid.0.as_str(),
            request,
            filled: *filled,
            average_price: record.average_price(),
            fees: *fees,
            status: *status,
            reason: reason.as_deref(),
        };
        rows.append(row.to_python(py)?)?;
    }
    Ok(rows)
}

/// barter's mock, from the audit: `sent` is the time each open was sent, in order.
pub fn mock<'py>(
    py: Python<'py>,
    audit: &Audit,
    sent: &[DateTime<Utc>],
) -> PyResult<Bound<'py, PyList>> {
    let rows = PyList::empty(py);
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
        let row = Row {
            time: sent.get(at).copied().unwrap_or_default(),
            exchange: open.key.exchange,
            instrument: open.key.instrument.name().as_str(),
            cid: open.key.cid.0.as_str(),
            request: &open.state,
            filled: trade.map_or(Decimal::ZERO, |trade| trade.quantity),
            average_price: trade.map(|trade| trade.price),
            fees: trade.map_or(Decimal::ZERO, |trade| trade.fees.fees),
            status,
            reason: refused,
        };
        rows.append(row.to_python(py)?)?;
    }
    Ok(rows)
}
