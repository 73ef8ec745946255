//! `ConditionalOrder` and `Bracket` for Python (`barter_python.exchange`): frozen values in
//! the caller's keys (`ExchangeId`, instrument name), validated wherever they are made
//! (`barter_python.strategy`'s constructors, `from_json`, unpickling), pickled through their
//! JSON as barter's request types are.

use super::{Bracket, Conditional, Kind, Offset, TriggerOn};
use crate::bind::decimal;
use crate::bind::enums::{self, Enum};
use crate::order::{self, PyOrderKey, PyOrderRequestOpen};
use barter_execution::order::{id::ClientOrderId, request::OrderRequestOpen, OrderKey};
use barter_instrument::{exchange::ExchangeId, instrument::name::InstrumentNameInternal, Side};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rust_decimal::Decimal;

pub type Named = Conditional<ExchangeId, InstrumentNameInternal>;
type NamedBracket = Bracket<ExchangeId, InstrumentNameInternal>;

/// `ValueError` naming the field and the order's instrument.
fn bad(key: &OrderKey<ExchangeId, InstrumentNameInternal>, field: &str, why: String) -> PyErr {
    PyValueError::new_err(format!(
        "{field}: {why} ({}:{}, cid {})",
        key.exchange.as_str(),
        key.instrument.name(),
        key.cid
    ))
}

fn positive(key: &Key, field: &str, value: Decimal) -> PyResult<()> {
    if value <= Decimal::ZERO {
        return Err(bad(key, field, format!("must be > 0, got {value}")));
    }
    Ok(())
}

type Key = OrderKey<ExchangeId, InstrumentNameInternal>;

/// The rules every conditional order keeps, whichever way it was made. A bracket's legs have
/// quantity 0 until their entry fills (`leg`).
fn check(order: &Named, leg: bool) -> PyResult<()> {
    let key = &order.key;
    if !leg {
        positive(key, "quantity", order.quantity)?;
    }
    match (order.kind, order.trigger, order.offset) {
        (Kind::TrailingStop, Some(_), _) => {
            return Err(bad(
                key,
                "trigger",
                "a trailing stop's trigger follows the market: give offset or offset_bps".into(),
            ));
        }
        (Kind::TrailingStop, None, None) => {
            return Err(bad(
                key,
                "offset",
                "a trailing stop needs offset or offset_bps".into(),
            ));
        }
        (Kind::TrailingStop, None, Some(Offset::Price(offset))) => positive(key, "offset", offset)?,
        (Kind::TrailingStop, None, Some(Offset::Bps(bps))) => positive(key, "offset_bps", bps)?,
        (_, None, _) => return Err(bad(key, "trigger", "a trigger price is needed".into())),
        (_, Some(_), Some(_)) => {
            return Err(bad(
                key,
                "offset",
                "only a trailing stop takes an offset".into(),
            ));
        }
        (_, Some(trigger), None) => positive(key, "trigger", trigger)?,
    }
    let Some(limit) = order.limit else {
        return Ok(());
    };
    positive(key, "limit", limit)?;
    match (order.kind, order.trigger) {
        (Kind::TrailingStop, _) => Err(bad(
            key,
            "limit",
            "a trailing stop sends a market order".into(),
        )),
        // A stop-limit's limit must not be beyond its trigger in the direction it trades.
        (Kind::Stop, Some(trigger)) if order.side == Side::Sell && limit > trigger => Err(bad(
            key,
            "limit",
            format!("a Sell stop-limit's limit {limit} is above its trigger {trigger}"),
        )),
        (Kind::Stop, Some(trigger)) if order.side == Side::Buy && limit < trigger => Err(bad(
            key,
            "limit",
            format!("a Buy stop-limit's limit {limit} is below its trigger {trigger}"),
        )),
        _ => Ok(()),
    }
}

fn trigger_on(text: &str) -> PyResult<TriggerOn> {
    match text {
        "trade" => Ok(TriggerOn::Trade),
        "quote" => Ok(TriggerOn::Quote),
        "mark" => Ok(TriggerOn::Mark),
        other => Err(PyValueError::new_err(format!(
            "trigger_on: must be 'trade', 'quote' or 'mark', got {other:?}"
        ))),
    }
}

fn optional(value: Option<&Bound<'_, PyAny>>, field: &str) -> PyResult<Option<Decimal>> {
    value
        .filter(|value| !value.is_none())
        .map(|value| decimal::extract(value, field))
        .transpose()
}

/// A stop, take-profit or trailing stop, held by the simulated exchange until its trigger.
#[pyclass(
    frozen,
    eq,
    hash,
    from_py_object,
    module = "barter_python._native",
    name = "ConditionalOrder"
)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyConditionalOrder(pub Named);

#[pymethods]
impl PyConditionalOrder {
    /// `kind`: `"stop"`, `"take_profit"` or `"trailing_stop"` (a limit makes the first two
    /// stop-limit and take-profit-limit).
    #[new]
    #[pyo3(signature = (key, side, quantity, kind, *, trigger=None, limit=None, offset=None,
                        offset_bps=None, trigger_on="trade", strict=false, reduce_only=false))]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        key: PyOrderKey,
        side: Enum<Side>,
        quantity: &Bound<'_, PyAny>,
        kind: &str,
        trigger: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
        offset: Option<&Bound<'_, PyAny>>,
        offset_bps: Option<&Bound<'_, PyAny>>,
        trigger_on: &str,
        strict: bool,
        reduce_only: bool,
    ) -> PyResult<Self> {
        let key = key.0;
        let kind = match kind {
            "stop" => Kind::Stop,
            "take_profit" => Kind::TakeProfit,
            "trailing_stop" => Kind::TrailingStop,
            other => {
                return Err(bad(
                    &key,
                    "kind",
                    format!("must be 'stop', 'take_profit' or 'trailing_stop', got {other:?}"),
                ));
            }
        };
        let offset = match (
            optional(offset, "offset")?,
            optional(offset_bps, "offset_bps")?,
        ) {
            (Some(_), Some(_)) => {
                return Err(bad(
                    &key,
                    "offset",
                    "give offset or offset_bps, not both".into(),
                ));
            }
            (Some(price), None) => Some(Offset::Price(price)),
            (None, Some(bps)) => Some(Offset::Bps(bps)),
            (None, None) => None,
        };
        let order = Conditional {
            side: side.0,
            quantity: decimal::extract(quantity, "quantity")?,
            kind,
            trigger: optional(trigger, "trigger")?,
            offset,
            limit: optional(limit, "limit")?,
            trigger_on: self::trigger_on(trigger_on)?,
            strict,
            reduce_only,
            key,
        };
        check(&order, false)?;
        Ok(Self(order))
    }

    #[getter]
    fn key(&self) -> PyOrderKey {
        PyOrderKey(self.0.key.clone())
    }

    #[getter]
    fn side(&self) -> Enum<Side> {
        Enum(self.0.side)
    }

    /// What it sends when triggered (a bracket's leg: what its entry has filled so far).
    #[getter]
    fn quantity(&self) -> Decimal {
        self.0.quantity
    }

    /// `"stop"`, `"stop_limit"`, `"take_profit"`, `"take_profit_limit"` or `"trailing_stop"`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.0.name()
    }

    /// The trigger price; a trailing stop's current one (`None` before its first price).
    #[getter]
    fn trigger(&self) -> Option<Decimal> {
        self.0.trigger
    }

    #[getter]
    fn limit(&self) -> Option<Decimal> {
        self.0.limit
    }

    #[getter]
    fn offset(&self) -> Option<Decimal> {
        match self.0.offset {
            Some(Offset::Price(offset)) => Some(offset),
            _ => None,
        }
    }

    #[getter]
    fn offset_bps(&self) -> Option<Decimal> {
        match self.0.offset {
            Some(Offset::Bps(bps)) => Some(bps),
            _ => None,
        }
    }

    #[getter]
    fn trigger_on(&self) -> &'static str {
        self.0.trigger_on.as_str()
    }

    #[getter]
    fn strict(&self) -> bool {
        self.0.strict
    }

    #[getter]
    fn reduce_only(&self) -> bool {
        self.0.reduce_only
    }

    fn to_json(&self) -> PyResult<String> {
        order::to_json(&self.0)
    }

    #[staticmethod]
    fn from_json(json: &str) -> PyResult<Self> {
        let value: Named = order::from_json(json, "ConditionalOrder")?;
        check(&value, false)?;
        Ok(Self(value))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        order::reduce_via_json(slf.as_any(), &slf.get().0)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr(py, &self.0)
    }
}

fn repr(py: Python<'_>, order: &Named) -> PyResult<String> {
    let money = |value: Option<Decimal>| match value {
        Some(value) => format!("Decimal('{value}')"),
        None => "None".into(),
    };
    let offset = match order.offset {
        Some(Offset::Price(offset)) => format!(", offset=Decimal('{offset}')"),
        Some(Offset::Bps(bps)) => format!(", offset_bps=Decimal('{bps}')"),
        None => String::new(),
    };
    Ok(format!(
        "ConditionalOrder(key={}, side={}, quantity=Decimal('{}'), kind='{}', trigger={}, \
         limit={}{offset}, trigger_on='{}', strict={}, reduce_only={})",
        order::key_repr(py, &order.key)?,
        enums::repr(py, order.side)?,
        order.quantity,
        order.name(),
        money(order.trigger),
        money(order.limit),
        order.trigger_on.as_str(),
        if order.strict { "True" } else { "False" },
        if order.reduce_only { "True" } else { "False" },
    ))
}

/// An entry with its stop-loss and take-profit legs, or two conditional orders where one
/// triggering cancels the other.
#[pyclass(frozen, eq, hash, module = "barter_python._native", name = "Bracket")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyBracket(pub NamedBracket);

/// The rules of a bracket or pair: legs on the entry's instrument, on its other side, with
/// cids of their own; a pair's two orders on one instrument.
fn check_bracket(bracket: &NamedBracket) -> PyResult<()> {
    let Some(first) = bracket.legs.first() else {
        return Err(PyValueError::new_err(
            "legs: a bracket needs a stop_loss or a take_profit",
        ));
    };
    for leg in &bracket.legs {
        check(leg, bracket.entry.is_some())?;
        let same =
            (leg.key.exchange, &leg.key.instrument) == (first.key.exchange, &first.key.instrument);
        if !same {
            return Err(bad(
                &leg.key,
                "legs",
                "both legs must be on one instrument".into(),
            ));
        }
    }
    if let [a, b] = &bracket.legs[..] {
        if a.key.cid == b.key.cid {
            return Err(bad(&b.key, "cid", format!("duplicate cid {}", b.key.cid)));
        }
    }
    match &bracket.entry {
        Some(entry) => {
            let key = &entry.key;
            for leg in &bracket.legs {
                if (leg.key.exchange, &leg.key.instrument) != (key.exchange, &key.instrument)
                    || leg.side == entry.state.side
                {
                    return Err(bad(
                        &leg.key,
                        "legs",
                        "a bracket's legs trade its entry's instrument on the other side".into(),
                    ));
                }
                if leg.key.cid == key.cid {
                    return Err(bad(&leg.key, "cid", format!("duplicate cid {}", key.cid)));
                }
            }
            Ok(())
        }
        None if bracket.legs.len() == 2 => Ok(()),
        None => Err(PyValueError::new_err(
            "legs: oco needs two conditional orders",
        )),
    }
}

#[pymethods]
impl PyBracket {
    /// An entry (an `OrderRequestOpen`) whose fills grow a stop at `stop_loss` and a
    /// take-profit at `take_profit` on the other side (cids `{cid}-sl`, `{cid}-tp`), one
    /// cancelling the other.
    #[staticmethod]
    #[pyo3(signature = (entry, *, stop_loss=None, take_profit=None, trigger_on="trade",
                        strict=false, reduce_only=false))]
    fn with_entry(
        entry: &Bound<'_, PyAny>,
        stop_loss: Option<&Bound<'_, PyAny>>,
        take_profit: Option<&Bound<'_, PyAny>>,
        trigger_on: &str,
        strict: bool,
        reduce_only: bool,
    ) -> PyResult<Self> {
        let entry: OrderRequestOpen<ExchangeId, InstrumentNameInternal> = entry
            .cast::<PyOrderRequestOpen>()
            .map_err(|_| {
                PyValueError::new_err(format!(
                    "entry: a bracket's entry must be an OrderRequestOpen, got {}",
                    crate::bind::classes::type_name(entry)
                ))
            })?
            .get()
            .0
            .clone();
        let on = self::trigger_on(trigger_on)?;
        let side = crate::exchange::depth::opposite(entry.state.side);
        let leg = |kind, trigger, suffix: &str| -> PyResult<Option<Named>> {
            let Some(trigger) = optional(
                trigger,
                if kind == Kind::Stop {
                    "stop_loss"
                } else {
                    "take_profit"
                },
            )?
            else {
                return Ok(None);
            };
            let mut key = entry.key.clone();
            key.cid = ClientOrderId::new(format!("{}-{suffix}", entry.key.cid));
            Ok(Some(Conditional {
                key,
                side,
                quantity: Decimal::ZERO,
                kind,
                trigger: Some(trigger),
                offset: None,
                limit: None,
                trigger_on: on,
                strict,
                reduce_only,
            }))
        };
        let legs = [
            leg(Kind::Stop, stop_loss, "sl")?,
            leg(Kind::TakeProfit, take_profit, "tp")?,
        ];
        let legs: Vec<Named> = legs.into_iter().flatten().collect();
        if legs.is_empty() {
            let why = "a bracket needs a stop_loss or a take_profit".to_string();
            return Err(bad(&entry.key, "stop_loss", why));
        }
        let bracket = Bracket {
            entry: Some(entry),
            legs,
        };
        check_bracket(&bracket)?;
        Ok(Self(bracket))
    }

    /// Two conditional orders on one instrument: when one triggers, the other is cancelled.
    #[staticmethod]
    fn oco(first: PyConditionalOrder, second: PyConditionalOrder) -> PyResult<Self> {
        let bracket = Bracket {
            entry: None,
            legs: vec![first.0, second.0],
        };
        check_bracket(&bracket)?;
        Ok(Self(bracket))
    }

    /// The entry, `None` for a pair made by `oco`.
    #[getter]
    fn entry(&self) -> Option<PyOrderRequestOpen> {
        self.0.entry.clone().map(PyOrderRequestOpen)
    }

    #[getter]
    fn legs(&self) -> Vec<PyConditionalOrder> {
        self.0
            .legs
            .iter()
            .cloned()
            .map(PyConditionalOrder)
            .collect()
    }

    fn to_json(&self) -> PyResult<String> {
        order::to_json(&self.0)
    }

    #[staticmethod]
    fn from_json(json: &str) -> PyResult<Self> {
        let value: NamedBracket = order::from_json(json, "Bracket")?;
        check_bracket(&value)?;
        Ok(Self(value))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        order::reduce_via_json(slf.as_any(), &slf.get().0)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let legs = self
            .0
            .legs
            .iter()
            .map(|leg| repr(py, leg))
            .collect::<PyResult<Vec<_>>>()?
            .join(", ");
        let entry = match &self.0.entry {
            Some(entry) => PyOrderRequestOpen(entry.clone())
                .into_pyobject(py)?
                .repr()?
                .to_string(),
            None => "None".into(),
        };
        Ok(format!("Bracket(entry={entry}, legs=[{legs}])"))
    }
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<PyConditionalOrder>()?;
    module.add_class::<PyBracket>()?;
    Ok(())
}
