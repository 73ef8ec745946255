//! Conditional orders (spec §13): stops, take-profits, trailing stops and the legs of brackets
//! and one-cancels-the-other pairs, held untriggered by the simulated exchange as a real
//! exchange holds them. barter's `OrderKind` knows only `Market | Limit`, so a triggered order
//! becomes one of those (`Simulated` sends it through §8's rules) and barter sees only ordinary
//! orders and fills.
//!
//! `Book` indexes the untriggered orders by trigger price, per instrument, per price source
//! and side (a `Lane`), in two ordered sets: those that trigger when the price rises to their
//! trigger and those that trigger when it falls to it. A price checks only the nearest
//! trigger of each set, so a thousand resting stops cost what one does. Trailing stops move
//! their trigger with the best price, so their lane also lists them, and each price of their
//! lane updates them.

pub mod py;

use barter_execution::order::{request::OrderRequestOpen, OrderKey};
use barter_instrument::{exchange::ExchangeIndex, instrument::InstrumentIndex, Side};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What a conditional order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Triggers against the position: a Sell when the price falls to the trigger, a Buy when
    /// it rises to it.
    Stop,
    /// The mirror: a Sell when the price rises to the trigger, a Buy when it falls to it.
    TakeProfit,
    /// A stop whose trigger follows the best price since placement by an offset.
    TrailingStop,
}

/// The price a trigger watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerOn {
    /// Each trade's price.
    Trade,
    /// The L1 book: the bid for a Sell, the ask for a Buy.
    Quote,
    /// The exchange's mark (§8: the L1 mid, else the last trade).
    Mark,
}

impl TriggerOn {
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerOn::Trade => "trade",
            TriggerOn::Quote => "quote",
            TriggerOn::Mark => "mark",
        }
    }
}

/// A trailing stop's distance from the best price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Offset {
    Price(Decimal),
    Bps(Decimal),
}

const BPS: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

impl Offset {
    /// The distance at `price`.
    fn at(self, price: Decimal) -> Option<Decimal> {
        match self {
            Offset::Price(offset) => Some(offset),
            Offset::Bps(bps) => price.checked_mul(bps).map(|value| value / BPS),
        }
    }
}

/// A conditional order as asked, keyed like barter's requests (`E`, `I`: the exchange and
/// instrument keys, names from Python and indices inside the engine).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Conditional<E, I> {
    pub key: OrderKey<E, I>,
    pub side: Side,
    pub quantity: Decimal,
    pub kind: Kind,
    /// The trigger price (`None` for a trailing stop: it follows the market).
    pub trigger: Option<Decimal>,
    pub offset: Option<Offset>,
    /// A limit order at this price once triggered (stop-limit, take-profit-limit); else a
    /// market order.
    pub limit: Option<Decimal>,
    pub trigger_on: TriggerOn,
    /// Refuse it if the market has already reached the trigger when it is placed.
    pub strict: bool,
    /// What it sends never increases the position.
    pub reduce_only: bool,
}

impl<E, I> Conditional<E, I> {
    /// The result's name of its kind.
    pub fn name(&self) -> &'static str {
        match (self.kind, self.limit.is_some()) {
            (Kind::Stop, false) => "stop",
            (Kind::Stop, true) => "stop_limit",
            (Kind::TakeProfit, false) => "take_profit",
            (Kind::TakeProfit, true) => "take_profit_limit",
            (Kind::TrailingStop, _) => "trailing_stop",
        }
    }

    /// Whether it triggers when the price rises to its trigger (else when it falls to it).
    pub fn rises(&self) -> bool {
        match self.kind {
            Kind::Stop | Kind::TrailingStop => self.side == Side::Buy,
            Kind::TakeProfit => self.side == Side::Sell,
        }
    }

    /// Whether `price` reaches `trigger` in its direction.
    pub fn reached(&self, trigger: Decimal, price: Decimal) -> bool {
        if self.rises() {
            price >= trigger
        } else {
            price <= trigger
        }
    }
}

/// A bracket (an entry whose fills grow a stop-loss and a take-profit, one cancelling the
/// other) or a one-cancels-the-other pair (`entry` `None`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Bracket<E, I> {
    pub entry: Option<OrderRequestOpen<E, I>>,
    pub legs: Vec<Conditional<E, I>>,
}

pub type Indexed = Conditional<ExchangeIndex, InstrumentIndex>;

/// What reaches the exchange: one conditional order, or the legs of a bracket or pair (the
/// entry of a bracket is an ordinary order, sent through barter).
#[derive(Debug, Clone)]
pub enum Placement {
    One(Indexed),
    Linked {
        /// The entry's cid, whose fills grow the legs; `None` for a pair.
        entry: Option<barter_execution::order::id::ClientOrderId>,
        legs: Vec<Indexed>,
    },
}

/// An untriggered order on the exchange.
#[derive(Debug, Clone)]
pub struct Held {
    /// Its record in the exchange's order log.
    pub order: usize,
    pub spec: Indexed,
    /// The current trigger (a trailing stop's moves; `None` until its lane has a price).
    pub trigger: Option<Decimal>,
    /// A trailing stop's best price since placement.
    best: Option<Decimal>,
    /// The other leg of its pair: cancelled when this one triggers.
    pub sibling: Option<u64>,
    /// Where it is indexed (`None`: a bracket leg waiting for its entry to fill).
    indexed: Option<(Decimal, u64)>,
}

/// One price source of one side of one instrument.
#[derive(Debug, Clone, Default)]
struct Lane {
    /// Trigger when the price rises to them: the lowest first.
    up: BTreeSet<(Decimal, u64)>,
    /// Trigger when the price falls to them: the highest last.
    down: BTreeSet<(Decimal, u64)>,
    trailing: Vec<u64>,
    /// The nearest triggers of `up` and `down` as `f64` (`None`: to be read again): a trade's
    /// `f64` price far from both needs no exact decimal (see `Book::near`).
    nearest: Option<(f64, f64)>,
}

/// How far apart an `f64` price and a trigger's `f64` may be and still meet exactly: far more
/// than the rounding of either (the shortest decimal of an `f64` is within one unit in its
/// last place of it).
const MARGIN: f64 = 1e-9;

/// A lane's place: three sources, two sides.
fn lane_of(instrument: InstrumentIndex, on: TriggerOn, side: Side) -> usize {
    let source = on as usize;
    let side = match side {
        Side::Buy => 0,
        Side::Sell => 1,
    };
    instrument.index() * 6 + source * 2 + side
}

/// The exchange's untriggered conditional orders.
#[derive(Debug, Clone, Default)]
pub struct Book {
    /// By id, in placement order (ids are sequential).
    held: BTreeMap<u64, Held>,
    lanes: Vec<Lane>,
    next: u64,
    /// Brackets waiting on their entry's fills: `(instrument, entry cid, leg ids)`.
    entries: Vec<(InstrumentIndex, String, Vec<u64>)>,
    /// How many held orders watch each price source: a source nobody watches is not read.
    watching: [usize; 3],
}

impl Book {
    pub fn new(instruments: usize) -> Self {
        Self {
            lanes: vec![Lane::default(); instruments * 6],
            ..Self::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Whether an `f64` price of a lane may trigger or move anything there: `false` only when
    /// it is clearly short of both nearest triggers and no trailing stop follows the lane, so
    /// that a replay of `f64` trades pays for no exact decimal while the market is far away.
    pub fn near(
        &mut self,
        instrument: InstrumentIndex,
        on: TriggerOn,
        side: Side,
        price: f64,
    ) -> bool {
        let Some(lane) = self.lanes.get_mut(lane_of(instrument, on, side)) else {
            return false;
        };
        if !lane.trailing.is_empty() {
            return true;
        }
        let (up, down) = *lane.nearest.get_or_insert_with(|| {
            let float = |t: Option<&(Decimal, u64)>, none| {
                t.and_then(|(trigger, _)| rust_decimal::prelude::ToPrimitive::to_f64(trigger))
                    .unwrap_or(none)
            };
            (
                float(lane.up.first(), f64::INFINITY),
                float(lane.down.last(), f64::NEG_INFINITY),
            )
        });
        price >= up - up.abs() * MARGIN || price <= down + down.abs() * MARGIN
    }

    /// Whether a held order watches `on`.
    pub fn watches(&self, on: TriggerOn) -> bool {
        self.watching[on as usize] > 0
    }

    /// The untriggered orders, in placement order.
    pub fn held(&self) -> impl Iterator<Item = (u64, &Held)> {
        self.held.iter().map(|(id, held)| (*id, held))
    }

    pub fn get(&self, id: u64) -> Option<&Held> {
        self.held.get(&id)
    }

    /// The id of the held order with this cid on this instrument.
    pub fn find(&self, instrument: InstrumentIndex, cid: &str) -> Option<u64> {
        self.held
            .iter()
            .find(|(_, held)| held.spec.key.instrument == instrument && held.spec.key.cid.0 == cid)
            .map(|(id, _)| *id)
    }

    /// Hold `spec` (its record at `order`), indexed at once unless its quantity is 0 (a leg
    /// waiting for its entry). A trailing stop starts from `price`, its lane's price now.
    pub fn hold(&mut self, order: usize, spec: Indexed, price: Option<Decimal>) -> u64 {
        let id = self.next;
        self.next += 1;
        let mut held = Held {
            order,
            trigger: spec.trigger,
            best: None,
            sibling: None,
            indexed: None,
            spec,
        };
        let lane = lane_of(
            held.spec.key.instrument,
            held.spec.trigger_on,
            held.spec.side,
        );
        if held.spec.kind == Kind::TrailingStop {
            if let Some(price) = price {
                trail(&mut held, price);
            }
            self.lanes[lane].trailing.push(id);
        }
        self.watching[held.spec.trigger_on as usize] += 1;
        self.held.insert(id, held);
        if !self.held[&id].spec.quantity.is_zero() {
            self.index(id);
        }
        id
    }

    /// Link two held orders: one triggering cancels the other.
    pub fn pair(&mut self, first: u64, second: u64) {
        if let Some(held) = self.held.get_mut(&first) {
            held.sibling = Some(second);
        }
        if let Some(held) = self.held.get_mut(&second) {
            held.sibling = Some(first);
        }
    }

    /// Legs that grow with the fills of the entry `cid`.
    pub fn wait_for(&mut self, instrument: InstrumentIndex, cid: String, legs: Vec<u64>) {
        self.entries.push((instrument, cid, legs));
    }

    /// The entry `cid` filled `quantity` more: its legs (still held) cover it too. Returns
    /// the legs grown, whose records the caller updates.
    pub fn grow(&mut self, instrument: InstrumentIndex, cid: &str, quantity: Decimal) -> Vec<u64> {
        let Some(legs) = self
            .entries
            .iter()
            .find(|(at, entry, _)| *at == instrument && entry == cid)
            .map(|(_, _, legs)| legs.clone())
        else {
            return Vec::new();
        };
        let mut grown = Vec::new();
        for id in legs {
            let Some(held) = self.held.get_mut(&id) else {
                continue;
            };
            held.spec.quantity += quantity;
            self.unindex(id);
            self.index(id);
            grown.push(id);
        }
        grown
    }

    /// Take a held order off the book (triggered or cancelled).
    pub fn remove(&mut self, id: u64) -> Option<Held> {
        self.unindex(id);
        let held = self.held.remove(&id)?;
        self.watching[held.spec.trigger_on as usize] -= 1;
        let lane = lane_of(
            held.spec.key.instrument,
            held.spec.trigger_on,
            held.spec.side,
        );
        if held.spec.kind == Kind::TrailingStop {
            self.lanes[lane].trailing.retain(|other| *other != id);
        }
        if self.held.is_empty() {
            self.entries.clear();
        }
        Some(held)
    }

    fn index(&mut self, id: u64) {
        let Some(held) = self.held.get_mut(&id) else {
            return;
        };
        let Some(trigger) = held.trigger else {
            return;
        };
        let lane = &mut self.lanes[lane_of(
            held.spec.key.instrument,
            held.spec.trigger_on,
            held.spec.side,
        )];
        let set = if held.spec.rises() {
            &mut lane.up
        } else {
            &mut lane.down
        };
        set.insert((trigger, id));
        lane.nearest = None;
        held.indexed = Some((trigger, id));
    }

    fn unindex(&mut self, id: u64) {
        let Some(held) = self.held.get_mut(&id) else {
            return;
        };
        let Some(key) = held.indexed.take() else {
            return;
        };
        let lane = &mut self.lanes[lane_of(
            held.spec.key.instrument,
            held.spec.trigger_on,
            held.spec.side,
        )];
        lane.up.remove(&key);
        lane.down.remove(&key);
        lane.nearest = None;
    }

    /// One price of a lane (a trade, a side of a book, the mark; a candle's four prices one
    /// at a time): trailing stops follow it, then every order whose trigger it reaches is
    /// taken off the book and returned, nearest trigger first.
    pub fn on_price(
        &mut self,
        instrument: InstrumentIndex,
        on: TriggerOn,
        side: Side,
        price: Decimal,
    ) -> Vec<u64> {
        let at = lane_of(instrument, on, side);
        let Some(lane) = self.lanes.get(at) else {
            return Vec::new();
        };
        if !lane.trailing.is_empty() {
            for id in lane.trailing.clone() {
                if self
                    .held
                    .get_mut(&id)
                    .is_some_and(|held| trail(held, price))
                {
                    self.unindex(id);
                    if !self.held[&id].spec.quantity.is_zero() {
                        self.index(id);
                    }
                }
            }
        }
        let lane = &mut self.lanes[at];
        let mut fired = Vec::new();
        while let Some(&(trigger, id)) = lane.up.first() {
            if price < trigger {
                break;
            }
            lane.up.pop_first();
            fired.push(id);
        }
        while let Some(&(trigger, id)) = lane.down.last() {
            if price > trigger {
                break;
            }
            lane.down.pop_last();
            fired.push(id);
        }
        if !fired.is_empty() {
            lane.nearest = None;
        }
        for id in &fired {
            if let Some(held) = self.held.get_mut(id) {
                held.indexed = None;
            }
        }
        fired
    }
}

/// Move a trailing stop's trigger after `price`, never back: a Sell's follows the highest
/// price down by its offset, a Buy's the lowest up. Whether the trigger moved.
fn trail(held: &mut Held, price: Decimal) -> bool {
    let rises = held.spec.rises();
    let better = held
        .best
        .is_none_or(|best| if rises { price < best } else { price > best });
    if !better {
        return false;
    }
    held.best = Some(price);
    let Some(offset) = held.spec.offset.and_then(|offset| offset.at(price)) else {
        return false;
    };
    let trigger = if rises {
        price.checked_add(offset)
    } else {
        price.checked_sub(offset)
    };
    let Some(trigger) = trigger else {
        return false;
    };
    // Never back: a Sell's trigger only rises, a Buy's only falls.
    let forward = held
        .trigger
        .is_none_or(|now| if rises { trigger < now } else { trigger > now });
    if forward {
        held.trigger = Some(trigger);
    }
    forward
}

#[cfg(test)]
pub(crate) mod tests;
