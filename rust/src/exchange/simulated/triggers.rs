//! The simulated exchange's conditional orders (spec §13): placed (with latency, as any
//! request), triggered at each price of their source after the market view is updated and
//! before resting orders fill, and sent as ordinary barter orders through §8's rules, checked
//! by the risk manager first (`Check`).

use super::{OrderRecord, Pending, Simulated, Status};
use crate::exchange::conditional::{Held, Indexed, Placement, TriggerOn};
use barter_data::event::{DataKind, MarketEvent};
use barter_execution::order::{
    id::ClientOrderId,
    request::{OrderRequestOpen, RequestOpen},
    OrderKind, TimeInForce,
};
use barter_instrument::{exchange::ExchangeIndex, instrument::InstrumentIndex, Side};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// The risk manager's check of the order a trigger sends: `Err(why)` refuses it.
pub type Check<'a> =
    dyn FnMut(&OrderRequestOpen<ExchangeIndex, InstrumentIndex>) -> Result<(), String> + 'a;

/// A conditional order's part of its record: what was asked, the trigger (reached, or the
/// current one while untriggered) and when it triggered.
#[derive(Debug, Clone)]
pub struct Condition {
    pub spec: Indexed,
    pub trigger: Option<Decimal>,
    pub time_triggered: Option<DateTime<Utc>>,
}

/// The order a conditional order sends: a market order, or a `GoodUntilCancelled` limit.
fn request_of(spec: &Indexed, price: Decimal, quantity: Decimal) -> RequestOpen {
    let (kind, price, time_in_force) = match spec.limit {
        Some(limit) => (
            OrderKind::Limit,
            limit,
            TimeInForce::GoodUntilCancelled { post_only: false },
        ),
        None => (OrderKind::Market, price, TimeInForce::ImmediateOrCancel),
    };
    RequestOpen {
        side: spec.side,
        price,
        quantity,
        kind,
        time_in_force,
    }
}

impl Simulated {
    /// The untriggered conditional orders.
    pub fn conditional(&self) -> &crate::exchange::conditional::Book {
        &self.conditional
    }

    /// A conditional order, or the legs of a bracket or pair, from the engine: recorded now,
    /// handled at once with no latency, else on its way.
    pub fn place(
        &mut self,
        placement: Placement,
        check: &mut Check<'_>,
        out: &mut Vec<super::Event>,
    ) {
        let (entry, legs) = match placement {
            Placement::One(spec) => (None, vec![spec]),
            Placement::Linked { entry, legs } => (entry, legs),
        };
        let orders = legs
            .into_iter()
            .map(|spec| {
                let price = spec.trigger.unwrap_or_default();
                self.orders.push(OrderRecord {
                    time: self.sent_at(),
                    key: spec.key.clone(),
                    request: request_of(&spec, price, spec.quantity),
                    filled: Decimal::ZERO,
                    notional: Decimal::ZERO,
                    fees: Decimal::ZERO,
                    status: Status::Open,
                    reason: None,
                    condition: Some(Box::new(Condition {
                        trigger: spec.trigger,
                        time_triggered: None,
                        spec,
                    })),
                    queue_ahead: None,
                });
                self.orders.len() - 1
            })
            .collect();
        if let Some(pending) = self.route(Pending::Place(orders, entry), out) {
            self.arrive(pending, check, out);
        }
    }

    /// Placed orders reach the exchange: held (refused if one breaks a rule), linked when they
    /// are a pair, and any whose trigger the market has already reached triggers now (or, with
    /// `strict`, is refused).
    pub(super) fn take_in(
        &mut self,
        orders: Vec<usize>,
        entry: Option<ClientOrderId>,
        check: &mut Check<'_>,
        out: &mut Vec<super::Event>,
    ) {
        let mut ids = Vec::new();
        for order in orders {
            let Some(spec) = self.orders[order]
                .condition
                .as_ref()
                .map(|c| c.spec.clone())
            else {
                continue;
            };
            let instrument = spec.key.instrument;
            let price = self.lane_price(instrument, spec.trigger_on, spec.side);
            if let Some(reason) = self.placement_breach(&spec, price) {
                self.refuse(order, None, reason, out);
                continue;
            }
            ids.push(self.conditional.hold(order, spec, price));
        }
        if let [first, second] = ids[..] {
            self.conditional.pair(first, second);
        }
        if let (Some(entry), Some(first)) = (entry, ids.first()) {
            let instrument = self
                .conditional
                .get(*first)
                .map(|held| held.spec.key.instrument);
            if let Some(instrument) = instrument {
                self.conditional
                    .wait_for(instrument, entry.0.to_string(), ids.clone());
            }
        }
        for id in ids {
            let Some(held) = self.conditional.get(id) else {
                continue; // its pair's other leg triggered and cancelled it
            };
            let spec = &held.spec;
            let price = self.lane_price(spec.key.instrument, spec.trigger_on, spec.side);
            let reached = held
                .trigger
                .zip(price)
                .filter(|(trigger, price)| spec.reached(*trigger, *price));
            let Some((trigger, price)) = reached.filter(|_| !spec.quantity.is_zero()) else {
                continue;
            };
            if spec.strict {
                let Some(held) = self.conditional.remove(id) else {
                    continue;
                };
                let reason = format!(
                    "strict: the trigger {trigger} is already reached (the market is at {price})"
                );
                self.refuse(held.order, None, reason, out);
            } else {
                self.fire(id, price, check, out);
            }
        }
    }

    /// Why a conditional order cannot be held: a duplicate cid, or the instrument's spec.
    fn placement_breach(&self, spec: &Indexed, price: Option<Decimal>) -> Option<String> {
        let key = &spec.key;
        let resting = self
            .resting
            .iter()
            .any(|r| self.orders[r.order].key.cid == key.cid);
        if resting || self.conditional.find(key.instrument, &key.cid.0).is_some() {
            return Some(format!("an open order already has cid {}", key.cid));
        }
        let listing = &self.listings[key.instrument.index()];
        let priced = spec.limit.or(spec.trigger).or(price)?;
        let breach = listing.spec.and_then(|s| {
            let quantity = spec.quantity;
            (!quantity.is_zero())
                .then(|| s.breach(quantity, priced, spec.limit.is_some()))
                .flatten()
        })?;
        Some(format!("{}: {breach}", listing.name))
    }

    /// The price a lane watches now: the last trade, the book's side (the bid for a Sell, the
    /// ask for a Buy), or the mark.
    fn lane_price(
        &self,
        instrument: InstrumentIndex,
        on: TriggerOn,
        side: Side,
    ) -> Option<Decimal> {
        let quote = &self.quotes[instrument.index()];
        match on {
            TriggerOn::Trade => quote.last_trade().map(|(price, _)| price),
            TriggerOn::Quote => {
                let (bid, ask) = quote.book();
                match side {
                    Side::Buy => ask,
                    Side::Sell => bid,
                }
                .map(|level| level.price)
            }
            TriggerOn::Mark => quote.mark(),
        }
    }

    /// A market event's prices, each lane's in turn (after the view took the event in).
    pub(super) fn trigger(
        &mut self,
        event: &MarketEvent<InstrumentIndex, DataKind>,
        check: &mut Check<'_>,
        out: &mut Vec<super::Event>,
    ) {
        let instrument = event.instrument;
        match &event.kind {
            DataKind::Trade(trade) if self.conditional.watches(TriggerOn::Trade) => {
                // The exact price only when the trade comes near a trigger.
                let near = [Side::Sell, Side::Buy].into_iter().any(|side| {
                    self.conditional
                        .near(instrument, TriggerOn::Trade, side, trade.price)
                });
                let price = near
                    .then(|| self.lane_price(instrument, TriggerOn::Trade, Side::Buy))
                    .flatten();
                if let Some(price) = price {
                    self.on_price(instrument, TriggerOn::Trade, price, check, out);
                }
            }
            DataKind::OrderBookL1(book) if self.conditional.watches(TriggerOn::Quote) => {
                for (side, level) in [(Side::Sell, book.best_bid), (Side::Buy, book.best_ask)] {
                    if let Some(level) = level {
                        self.fire_all(instrument, TriggerOn::Quote, side, level.price, check, out);
                    }
                }
            }
            _ => {}
        }
        self.trigger_mark(instrument, check, out);
    }

    /// One of a candle's four prices, printed as a trade (`candle.rs`), in turn: the candle
    /// triggers at the first of them that reaches a trigger.
    pub(super) fn trigger_print(
        &mut self,
        instrument: InstrumentIndex,
        check: &mut Check<'_>,
        out: &mut Vec<super::Event>,
    ) {
        if self.conditional.watches(TriggerOn::Trade) {
            if let Some(price) = self.lane_price(instrument, TriggerOn::Trade, Side::Buy) {
                self.on_price(instrument, TriggerOn::Trade, price, check, out);
            }
        }
        self.trigger_mark(instrument, check, out);
    }

    fn trigger_mark(
        &mut self,
        instrument: InstrumentIndex,
        check: &mut Check<'_>,
        out: &mut Vec<super::Event>,
    ) {
        if self.conditional.watches(TriggerOn::Mark) {
            if let Some(mark) = self.quotes[instrument.index()].mark() {
                self.on_price(instrument, TriggerOn::Mark, mark, check, out);
            }
        }
    }

    /// One price of a source, for both sides (a trade; the mark; each of a candle's four
    /// prices in turn): what it triggers is sent now.
    pub fn on_price(
        &mut self,
        instrument: InstrumentIndex,
        on: TriggerOn,
        price: Decimal,
        check: &mut Check<'_>,
        out: &mut Vec<super::Event>,
    ) {
        for side in [Side::Sell, Side::Buy] {
            self.fire_all(instrument, on, side, price, check, out);
        }
    }

    fn fire_all(
        &mut self,
        instrument: InstrumentIndex,
        on: TriggerOn,
        side: Side,
        price: Decimal,
        check: &mut Check<'_>,
        out: &mut Vec<super::Event>,
    ) {
        for id in self.conditional.on_price(instrument, on, side, price) {
            self.fire(id, price, check, out);
        }
    }

    /// A conditional order triggered at `price`: off the book, its pair's other leg cancelled,
    /// and what it sends (cut to the position with `reduce_only`) checked by the risk manager
    /// and opened as any order is, against the market as of now.
    fn fire(
        &mut self,
        id: u64,
        price: Decimal,
        check: &mut Check<'_>,
        out: &mut Vec<super::Event>,
    ) {
        let Some(Held {
            order,
            spec,
            trigger,
            sibling,
            ..
        }) = self.conditional.remove(id)
        else {
            return;
        };
        if let Some(sibling) = sibling {
            let reason = format!("cancelled: the other leg {} triggered", spec.key.cid);
            self.drop_held(sibling, reason);
        }
        let mut quantity = spec.quantity;
        if spec.reduce_only {
            quantity = quantity.min(self.reducible(spec.key.instrument, spec.side));
        }
        let now = self.now;
        let record = &mut self.orders[order];
        if let Some(condition) = record.condition.as_mut() {
            condition.trigger = trigger;
            condition.time_triggered = Some(now);
        }
        record.request = request_of(&spec, price, quantity);
        if quantity <= Decimal::ZERO {
            let reason = "reduce_only: no position to reduce when it triggered".to_string();
            return self.expire(order, reason, out);
        }
        let open = OrderRequestOpen {
            key: record.key.clone(),
            state: record.request.clone(),
        };
        if let Err(why) = check(&open) {
            return self.refuse(order, None, format!("risk manager refused it: {why}"), out);
        }
        self.open(order, out);
    }

    /// How much an order of `side` can take off the position: a cash account's free base for
    /// a Sell (it cannot be short), a margin position's opposite side.
    fn reducible(&self, instrument: InstrumentIndex, side: Side) -> Decimal {
        match self.settings.account {
            super::Account::Cash => match side {
                Side::Sell => self.holding(self.listings[instrument.index()].base).free(),
                Side::Buy => Decimal::ZERO,
            },
            super::Account::Margin => {
                let position = self.positions[instrument.index()].quantity;
                match side {
                    Side::Sell => position.max(Decimal::ZERO),
                    Side::Buy => (-position).max(Decimal::ZERO),
                }
            }
        }
    }

    /// Take an untriggered order off the book as cancelled, with the reason.
    fn drop_held(&mut self, id: u64, reason: String) {
        if let Some(held) = self.conditional.remove(id) {
            let record = &mut self.orders[held.order];
            record.status = Status::Cancelled;
            record.reason = Some(reason);
        }
    }

    /// Cancel the untriggered order with this cid on this instrument; whether there was one.
    pub(super) fn cancel_held(&mut self, instrument: InstrumentIndex, cid: &str) -> bool {
        let Some(id) = self.conditional.find(instrument, cid) else {
            return false;
        };
        self.drop_held(id, self.cancelled_reason());
        true
    }

    /// Cancel every untriggered order of the instruments `selected` picks (barter's
    /// `cancel_orders`, the end-of-data close).
    pub fn cancel_conditionals(&mut self, selected: impl Fn(InstrumentIndex) -> bool) {
        let ids: Vec<u64> = self
            .conditional
            .held()
            .filter(|(_, held)| selected(held.spec.key.instrument))
            .map(|(id, _)| id)
            .collect();
        let reason = self.cancelled_reason();
        for id in ids {
            self.drop_held(id, reason.clone());
        }
    }

    /// An entry's fill grows its bracket's legs: their records ask for the filled quantity.
    pub(super) fn grow_legs(&mut self, order: usize, quantity: Decimal) {
        let key = &self.orders[order].key;
        let (instrument, cid) = (key.instrument, key.cid.0.to_string());
        for id in self.conditional.grow(instrument, &cid, quantity) {
            if let Some(held) = self.conditional.get(id) {
                let record = &mut self.orders[held.order];
                record.request.quantity = held.spec.quantity;
            }
        }
    }

    /// Why an order was cancelled: after the data only the end-of-data close cancels.
    pub(super) fn cancelled_reason(&self) -> String {
        if self.ended {
            "cancelled by the end-of-data close".into()
        } else {
            "cancelled by request".into()
        }
    }
}
