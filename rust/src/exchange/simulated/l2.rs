//! L2 books at the simulated exchange (spec §12): the book is updated before anything else at
//! its event and its top is the quote's; takers walk it (`Simulated::take`); resting orders
//! keep a place in their level's queue (`depth::position`) that trades at their price and the
//! level's decreases move, and fill what trades beyond their place.

use super::{Event, FillVolume, Simulated};
use crate::exchange::depth::position::Queue;
use crate::exchange::market::Touch;
use crate::market::data::SIDELESS_TRADE_ID;
use barter_data::subscription::book::OrderBookEvent;
use barter_data::subscription::trade::PublicTrade;
use barter_instrument::{instrument::InstrumentIndex, Side};
use chrono::{DateTime, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

impl Simulated {
    /// The run's warnings: how it was simulated where the data fell short of the settings.
    pub fn warnings(&self) -> impl Iterator<Item = &str> {
        self.warnings.iter().map(String::as_str)
    }

    /// The instrument's L2 book at the exchange (empty until an L2 event).
    pub fn depth(&self, instrument: InstrumentIndex) -> &crate::exchange::depth::Depth {
        &self.depths[instrument.index()]
    }

    /// Every instrument's L2 book, in barter's instrument order (the buffer never moves).
    pub fn depths(&self) -> &[crate::exchange::depth::Depth] {
        &self.depths
    }

    /// The touch a `side` order meets (spec §8): an L2 book's best level with something left,
    /// else the quote's (an L1 book's or the last trade).
    pub(super) fn touch(&self, instrument: InstrumentIndex, side: Side) -> Option<Touch> {
        let index = instrument.index();
        let depth = self.depths.get(index)?;
        match depth.has_book().then(|| depth.touch(side)).flatten() {
            Some(level) => Some(Touch {
                price: level.price,
                amount: Some(level.amount),
            }),
            None => self.quotes[index].touch(side),
        }
    }

    /// An L2 event updates the instrument's book, and the quote shows its top.
    pub(super) fn depth_update(&mut self, instrument: usize, event: &OrderBookEvent) {
        let depth = &mut self.depths[instrument];
        depth.update(event);
        let (bid, ask) = depth.top();
        self.quotes[instrument].show(bid, ask);
    }

    /// A `side` order's fill of `quantity` at the book level `price` is not offered again:
    /// taken from the L2 level, else from the L1 touch.
    pub(super) fn consume(
        &mut self,
        instrument: usize,
        side: Side,
        price: Decimal,
        quantity: Decimal,
    ) {
        let depth = &mut self.depths[instrument];
        if depth.has_book() {
            depth.take(side, price, quantity);
        } else {
            self.quotes[instrument].consume(side, quantity);
        }
    }

    /// After an L2 event: queued orders see their level's new amount, and the offers the book
    /// makes to resting orders (`[for a Buy, for a Sell]`) are its best levels.
    pub(super) fn depth_offers(
        &mut self,
        instrument: InstrumentIndex,
    ) -> [Option<(Decimal, Decimal)>; 2] {
        let depth = &self.depths[instrument.index()];
        if let Some(model) = self.settings.queue {
            for resting in &mut self.resting {
                let Some(queue) = resting.queue.as_mut() else {
                    continue;
                };
                let record = &self.orders[resting.order];
                if record.key.instrument != instrument {
                    continue;
                }
                // A level beyond a snapshot's depth is unknown: the queue stands.
                if let Some(new) = depth.amount_at(record.request.side, record.request.price) {
                    queue.level(model, new.to_f64().unwrap_or(f64::MAX));
                }
            }
        }
        let offer = |side| depth.touch(side).map(|level| (level.price, level.amount));
        [offer(Side::Buy), offer(Side::Sell)]
    }

    /// A resting order joins the back of its level's queue under a queue model: what the book
    /// holds at its price is ahead of it. Without an L2 book it has no queue (`limit_fill`
    /// decides) and the run warns, once per instrument.
    pub(super) fn join_queue(&mut self, order: usize) -> Option<Queue> {
        let model = self.settings.queue?;
        let record = &self.orders[order];
        let instrument = record.key.instrument.index();
        let depth = &self.depths[instrument];
        if !depth.has_book() {
            let name = &self.listings[instrument].name;
            if !self
                .warnings
                .iter()
                .any(|warning| warning.contains(name.as_str()))
            {
                self.warnings.push(format!(
                    "queue={:?}: no L2 book for {name} when an order came to rest: its resting \
                     orders fill by limit_fill instead",
                    model.name()
                ));
            }
            return None;
        }
        let ahead = depth
            .amount_at(record.request.side, record.request.price)
            .unwrap_or_default();
        self.orders[order].queue_ahead = Some(ahead);
        Some(Queue::join(ahead.to_f64().unwrap_or(f64::MAX)))
    }

    /// A trade at the price of queued orders, the aggressor on their other side (or unknown):
    /// it takes from their front; what it takes beyond fills, rounded down to the lot, never
    /// more than what is `left` of the trade after other own orders (`[for Buys, for Sells]`).
    pub(super) fn queue_trade(
        &mut self,
        instrument: InstrumentIndex,
        time: DateTime<Utc>,
        trade: &PublicTrade,
        left: [Option<Decimal>; 2],
        out: &mut Vec<Event>,
    ) {
        let Some((price, amount)) = self.quotes[instrument.index()].last_trade() else {
            return;
        };
        let aggressor = (trade.id.as_str() != SIDELESS_TRADE_ID).then_some(trade.side);
        let displayed = self.settings.fill_volume == FillVolume::Displayed;
        // What of the trade is left to give: shared among own orders at its price.
        let mut left = left.map(|left| match (displayed, left) {
            (true, Some(left)) => left,
            _ => amount,
        });
        let lot = self.listings[instrument.index()]
            .spec
            .map(|spec| spec.lot_size);
        let mut at = 0;
        while at < self.resting.len() {
            let resting = &mut self.resting[at];
            let record = &self.orders[resting.order];
            let side = record.request.side;
            let queued = resting.queue.as_mut().filter(|_| {
                record.key.instrument == instrument
                    && time >= resting.since
                    && record.request.price == price
                    && aggressor != Some(side)
            });
            let Some(queue) = queued else {
                at += 1;
                continue;
            };
            let beyond = queue.trade(trade.amount);
            let left = &mut left[usize::from(side == Side::Sell)];
            let quantity = round_down(beyond, lot).min(record.remaining()).min(*left);
            if quantity <= Decimal::ZERO {
                at += 1;
                continue;
            }
            queue.filled();
            *left -= quantity;
            at = self.settle_resting(at, quantity, out);
        }
    }
}

/// The queue's `f64` excess as an exact quantity, rounded down to the lot (without one, to 10⁻⁸):
/// the SDK never flatters (hftbacktest rounds to the nearest lot). The count of lots is first
/// rounded to 6 places, so that `f64` noise (0.59999999 lots for 0.6) does not lose a lot.
fn round_down(beyond: f64, lot: Option<Decimal>) -> Decimal {
    let lot = lot
        .filter(|lot| *lot > Decimal::ZERO)
        .unwrap_or(Decimal::new(1, 8));
    let Ok(beyond) = crate::market::exact(beyond) else {
        return Decimal::ZERO;
    };
    beyond
        .checked_div(lot)
        .map_or(Decimal::ZERO, |lots| lots.round_dp(6).floor() * lot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excess_is_rounded_down_to_the_lot_past_f64_noise() {
        let lot = Some(Decimal::new(1, 2));
        assert_eq!(round_down(0.923, lot), Decimal::new(92, 2));
        assert_eq!(round_down(0.6 - 1e-15, lot), Decimal::new(60, 2));
        assert_eq!(round_down(0.009, lot), Decimal::ZERO);
        assert_eq!(round_down(0.1 + 0.2, None), Decimal::new(3, 1));
    }
}
