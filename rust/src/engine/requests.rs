//! Requests from Python (`OrderRequestCancel`, `OrderRequestOpen` in the caller's keys) as
//! barter's indexed requests and the commands that send them.

use super::keys::Keys;
use super::State;
use crate::exchange::conditional::py::{Named, PyBracket, PyConditionalOrder};
use crate::exchange::conditional::{Conditional, Indexed, Placement};
use crate::order::{PyOrderRequestCancel, PyOrderRequestOpen};
use barter::engine::command::Command;
use barter::engine::state::instrument::data::InstrumentDataState;
use barter_execution::order::{
    request::{OrderRequestCancel, OrderRequestOpen},
    OrderEvent,
};
use barter_instrument::{
    exchange::{ExchangeId, ExchangeIndex},
    instrument::{name::InstrumentNameInternal, InstrumentIndex},
    Side,
};
use barter_integration::collection::one_or_many::OneOrMany;
use fnv::FnvHashMap;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyList;
use rust_decimal::Decimal;

pub type IndexedCancel = OrderRequestCancel<ExchangeIndex, InstrumentIndex>;
pub type IndexedOpen = OrderRequestOpen<ExchangeIndex, InstrumentIndex>;

/// What the simulated exchange is asked directly: conditional orders to hold, and barter's
/// `cancel_orders` for the untriggered ones (barter's engine knows only its own orders).
pub enum ToExchange {
    Place(Placement),
    Cancel(barter::engine::state::instrument::filter::InstrumentFilter),
}

/// What a call asks of barter's engine and, for conditional orders, of the exchange itself.
#[derive(Default)]
pub struct Requests {
    pub cancels: Vec<IndexedCancel>,
    pub opens: Vec<IndexedOpen>,
    /// Conditional orders, brackets' legs and pairs, for the simulated exchange (a bracket's
    /// entry is in `opens`).
    pub placements: Vec<Placement>,
}

/// The caller's `OrderRequestCancel`s and `OrderRequestOpen`s (with `ConditionalOrder`s and
/// `Bracket`s among the opens) as barter's indexed requests, refused if barter could not
/// carry them out on `state` (see `check_opens`), or if two share a cid.
pub fn requests(
    keys: &Keys,
    state: &State,
    cancels: &Bound<'_, PyAny>,
    opens: &Bound<'_, PyAny>,
) -> PyResult<Requests> {
    // Most calls return nothing: skip making iterators over empty lists.
    let empty = |list: &Bound<'_, PyAny>| list.cast::<PyList>().is_ok_and(|l| l.is_empty());
    if empty(cancels) && empty(opens) {
        return Ok(Requests::default());
    }
    let cancels = indexed::<PyOrderRequestCancel, _>(keys, cancels, "cancels", |r| &r.0)?;
    let mut requests = Requests {
        cancels,
        ..Requests::default()
    };
    for item in opens.try_iter()? {
        let item = item?;
        if let Ok(open) = item.cast::<PyOrderRequestOpen>() {
            requests.opens.push(keys.index_request(&open.get().0)?);
        } else if let Ok(order) = item.cast::<PyConditionalOrder>() {
            let order = index_conditional(keys, &order.get().0)?;
            requests.placements.push(Placement::One(order));
        } else if let Ok(bracket) = item.cast::<PyBracket>() {
            let bracket = &bracket.get().0;
            let entry = bracket
                .entry
                .as_ref()
                .map(|e| keys.index_request(e))
                .transpose()?;
            let legs = bracket.legs.iter().map(|leg| index_conditional(keys, leg));
            let legs = legs.collect::<PyResult<Vec<_>>>()?;
            let placement = Placement::Linked {
                entry: entry.as_ref().map(|entry| entry.key.cid.clone()),
                legs,
            };
            requests.opens.extend(entry);
            requests.placements.push(placement);
        } else {
            return Err(PyTypeError::new_err(format!(
                "opens must hold OrderRequestOpen, ConditionalOrder or Bracket, got {}",
                crate::bind::classes::type_name(&item)
            )));
        }
    }
    if !requests.placements.is_empty() {
        unique_cids(keys, &requests)?;
    }
    check_opens(&requests.opens, state, keys.fees_percent)?;
    Ok(requests)
}

fn index_conditional(keys: &Keys, order: &Named) -> PyResult<Indexed> {
    let key = &order.key;
    Ok(Conditional {
        key: barter_execution::order::OrderKey {
            exchange: keys.exchange_index(key.exchange)?,
            instrument: keys.instrument_index(key.exchange, &key.instrument)?,
            strategy: key.strategy.clone(),
            cid: key.cid.clone(),
        },
        side: order.side,
        quantity: order.quantity,
        kind: order.kind,
        trigger: order.trigger,
        offset: order.offset,
        limit: order.limit,
        trigger_on: order.trigger_on,
        strict: order.strict,
        reduce_only: order.reduce_only,
    })
}

/// A batch with conditional orders: no two of its orders may share a cid (a cancel names its
/// order by cid alone).
fn unique_cids(keys: &Keys, requests: &Requests) -> PyResult<()> {
    let legs = requests
        .placements
        .iter()
        .flat_map(|placement| match placement {
            Placement::One(order) => std::slice::from_ref(order),
            Placement::Linked { legs, .. } => legs.as_slice(),
        });
    let all = legs
        .map(|leg| &leg.key)
        .chain(requests.opens.iter().map(|open| &open.key));
    let mut seen = fnv::FnvHashSet::default();
    for key in all {
        if !seen.insert((key.instrument, key.cid.0.as_str())) {
            let input = keys.instrument(key.instrument);
            return Err(PyValueError::new_err(format!(
                "cid: duplicate cid {} in one batch ({}:{})",
                key.cid,
                input.exchange.as_str(),
                input.instrument
            )));
        }
    }
    Ok(())
}

/// Each item of `items`, which must be a `Class`, as barter's indexed request.
fn indexed<Class, Kind>(
    keys: &Keys,
    items: &Bound<'_, PyAny>,
    what: &str,
    request: impl Fn(&Class) -> &OrderEvent<Kind, ExchangeId, InstrumentNameInternal>,
) -> PyResult<Vec<OrderEvent<Kind, ExchangeIndex, InstrumentIndex>>>
where
    Class: pyo3::PyClass<Frozen = pyo3::pyclass::boolean_struct::True> + Sync,
    Kind: Clone,
{
    items
        .try_iter()?
        .map(|item| {
            let item = item?;
            let class = item.cast::<Class>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "{what} must hold {}, got {}",
                    Class::NAME,
                    crate::bind::classes::type_name(&item)
                ))
            })?;
            keys.index_request(request(class.get()))
        })
        .collect()
}

/// barter's commands sending these requests: cancels first, then opens; none for an empty list
/// (barter's `OneOrMany` cannot be empty).
pub fn send_commands(cancels: Vec<IndexedCancel>, opens: Vec<IndexedOpen>) -> Vec<Command> {
    let mut commands = Vec::new();
    if !cancels.is_empty() {
        commands.push(Command::SendCancelRequests(OneOrMany::from(cancels)));
    }
    if !opens.is_empty() {
        commands.push(Command::SendOpenRequests(OneOrMany::from(opens)));
    }
    commands
}

/// barter-execution's mock exchange values an order as `price × quantity × (1 + fees)` (and a
/// sell's fees as `quantity × fees × price`), and barter's position keeps `quantity` and
/// `entry price × quantity` sums, all with unchecked arithmetic that panics beyond barter's
/// decimal range (in the mock's case inside its task, leaving that exchange dead). A position
/// of `quantity` (its own plus what is being added) at prices up to `price` must fit.
/// A position's value must not round to zero either: barter divides by it (the position's
/// return is its PnL over `entry price × quantity`).
pub fn fits(quantity: Decimal, price: Decimal, fees_percent: Decimal) -> Result<(), String> {
    // Only a refusal pays for the message.
    let position = || format!("a position of {quantity} at {price} (fees {fees_percent})");
    let value = price.checked_mul(quantity);
    if value.is_some_and(|value| value.is_zero()) && !quantity.is_zero() && !price.is_zero() {
        return Err(format!(
            "{} is worth so little that its value rounds to 0 in barter's decimal \
             (28 decimals), and barter divides by it",
            position()
        ));
    }
    let fitting = value.and_then(|value| {
        value.checked_add(value.checked_mul(fees_percent)?)?;
        let base_fees = quantity.checked_mul(fees_percent)?;
        quantity.checked_add(base_fees)?;
        base_fees.checked_mul(price)
    });
    match fitting {
        Some(_) => Ok(()),
        None => Err(format!(
            "{} is worth more than barter's decimal range holds (|x| < 2^96)",
            position()
        )),
    }
}

/// Refuse opens that, with the position already held and the other opens of the batch on the
/// same instrument, would take barter beyond its decimal range (see `fits`): the order's value,
/// the position it grows to (at the higher of its entry and the order's price), or the part of
/// it an opposite order closes (barter's PnL on it).
pub fn check_opens(opens: &[IndexedOpen], state: &State, fees_percent: Decimal) -> PyResult<()> {
    // Per instrument: the signed quantity held so far and a bound on its entry price.
    let mut held: FnvHashMap<InstrumentIndex, (Decimal, Decimal)> = FnvHashMap::default();
    for open in opens {
        let instrument = open.key.instrument;
        let (position, entry) = held.entry(instrument).or_insert_with(|| {
            let state = state.instruments.instrument_index(&instrument);
            let current = state.position.current.as_ref();
            current.map_or((Decimal::ZERO, Decimal::ZERO), |p| match p.side {
                Side::Buy => (p.quantity_abs, p.price_entry_average),
                Side::Sell => (-p.quantity_abs, p.price_entry_average),
            })
        });
        if open.state.quantity <= Decimal::ZERO || open.state.price <= Decimal::ZERO {
            // barter's position divides by both (its return, its fee per unit).
            return Err(PyValueError::new_err(format!(
                "order of {} at {}: quantity and price must be > 0",
                open.state.quantity, open.state.price
            )));
        }
        let (order, price) = (open.state.quantity, open.state.price);
        let delta = match open.state.side {
            Side::Buy => order,
            Side::Sell => -order,
        };
        // barter values the position at its entry, at this order's price and at the market's.
        let market = state.instruments.instrument_index(&instrument).data.price();
        let market = market.unwrap_or_default();
        let higher = (*entry).max(price).max(market);
        let grows = position.is_zero() || position.is_sign_positive() == delta.is_sign_positive();
        let flipped = !grows && order > position.abs();
        let checked = position
            .checked_add(delta)
            .ok_or_else(|| "the position's quantity is beyond barter's range".to_string())
            .and_then(|after| {
                fits(order, price, fees_percent)?;
                if grows {
                    fits(after.abs(), higher, fees_percent)?;
                } else {
                    fits(position.abs().min(order), higher, fees_percent)?; // barter's PnL
                    if flipped {
                        fits(after.abs(), price.max(market), fees_percent)?; // a new position
                    }
                }
                Ok(after)
            });
        let after = checked.map_err(|why| {
            PyValueError::new_err(format!(
                "order of {} at {}: {why}",
                open.state.quantity, open.state.price
            ))
        })?;
        *entry = match (grows, flipped) {
            (true, _) => higher,
            (false, true) => price.max(market),
            (false, false) => *entry,
        };
        *position = after;
    }
    Ok(())
}
