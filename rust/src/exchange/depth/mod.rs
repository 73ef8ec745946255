//! The simulated exchange's L2 view of one instrument (spec §12): barter-data's own
//! `OrderBook`, updated from each `OrderBookEvent` as barter updates it, and what the SDK's own
//! fills took from its levels. A level's taken amount stands until the feed changes that
//! level's amount (then the feed's amount stands): a replayed book cannot show our impact, so
//! the exchange remembers it, as NautilusTrader's `liquidity_consumption` does.

pub mod position;

use barter_data::books::{Level, OrderBook};
use barter_data::subscription::book::OrderBookEvent;
use barter_instrument::Side;
use rust_decimal::Decimal;

/// One instrument's L2 book at the exchange.
#[derive(Debug, Clone, Default)]
pub struct Depth {
    book: OrderBook,
    /// Whether an L2 event has been seen: from then on the book, not L1 or trades, is the touch.
    had: bool,
    /// Whether the last event was a snapshot, and its deepest price per side `[bids, asks]`:
    /// a snapshot says nothing of the levels beyond (`book_snapshot_N`).
    depth: [Option<Decimal>; 2],
    /// What own fills took: `(book side, price, the feed's amount then, taken)`.
    taken: Vec<(Side, Decimal, Decimal, Decimal)>,
}

/// The other side: the side of the book a `side` order takes from (a Buy meets the asks), and
/// the side of a bracket's legs (barter has no such helper on `Side`).
pub fn opposite(side: Side) -> Side {
    match side {
        Side::Buy => Side::Sell,
        Side::Sell => Side::Buy,
    }
}

impl Depth {
    /// Take in one L2 event, as barter's `OrderBook::update` does; a taken amount whose level
    /// the feed changed is forgotten.
    pub fn update(&mut self, event: &OrderBookEvent) {
        self.book.update(event);
        self.had = true;
        self.depth = match event {
            OrderBookEvent::Snapshot(book) => [
                book.bids().levels().last().map(|level| level.price),
                book.asks().levels().last().map(|level| level.price),
            ],
            OrderBookEvent::Update(_) => [None, None],
        };
        if !self.taken.is_empty() {
            let book = &self.book;
            self.taken
                .retain(|(side, price, feed, _)| amount(book, *side, *price) == *feed);
        }
    }

    /// Whether the instrument has had an L2 event.
    pub fn has_book(&self) -> bool {
        self.had
    }

    pub fn book(&self) -> &OrderBook {
        &self.book
    }

    /// The levels of one side (`Side::Buy`: the bids), best first, as the feed shows them.
    pub fn levels(&self, side: Side) -> &[Level] {
        levels(&self.book, side)
    }

    /// The feed's amount at `price` on `side`; `None` where the last event was a snapshot that
    /// ends before `price` (unknown, not empty).
    pub fn amount_at(&self, side: Side, price: Decimal) -> Option<Decimal> {
        let deepest = self.depth[index(side)];
        let beyond = deepest.is_some_and(|deepest| match side {
            Side::Buy => price < deepest,
            Side::Sell => price > deepest,
        });
        (!beyond).then(|| amount(&self.book, side, price))
    }

    /// The levels a `side` taker meets, best first, each with what own fills left of it.
    pub fn offers(&self, side: Side) -> impl Iterator<Item = Level> + '_ {
        let book_side = opposite(side);
        self.levels(book_side).iter().map(move |level| {
            let taken = self.taken(book_side, level.price);
            Level::new(level.price, (level.amount - taken).max(Decimal::ZERO))
        })
    }

    /// The best level a `side` taker meets with something left, else the best level.
    pub fn touch(&self, side: Side) -> Option<Level> {
        let mut offers = self.offers(side);
        let best = offers.next()?;
        if !best.amount.is_zero() {
            return Some(best);
        }
        Some(offers.find(|level| !level.amount.is_zero()).unwrap_or(best))
    }

    /// What a `side` taker of `quantity` takes, level by level from the best outwards, a
    /// `limit` stopping it at its price: `(price, quantity)`, used-up levels skipped.
    pub fn walk(
        &self,
        side: Side,
        quantity: Decimal,
        limit: Option<Decimal>,
    ) -> Vec<(Decimal, Decimal)> {
        let mut left = quantity;
        let mut fills = Vec::new();
        for level in self.offers(side) {
            let within = limit.is_none_or(|limit| match side {
                Side::Buy => level.price <= limit,
                Side::Sell => level.price >= limit,
            });
            if left.is_zero() || !within {
                break;
            }
            let take = left.min(level.amount);
            if !take.is_zero() {
                fills.push((level.price, take));
                left -= take;
            }
        }
        fills
    }

    /// The best bid and ask as the feed shows them.
    pub fn top(&self) -> (Option<Level>, Option<Level>) {
        (
            self.book.bids().best().copied(),
            self.book.asks().best().copied(),
        )
    }

    /// A `side` order's fill of `quantity` at `price` took that much from the level it met.
    pub fn take(&mut self, side: Side, price: Decimal, quantity: Decimal) {
        let book_side = opposite(side);
        let found = self
            .taken
            .iter_mut()
            .find(|(of, at, _, _)| *of == book_side && *at == price);
        match found {
            Some((_, _, _, taken)) => *taken += quantity,
            None => {
                let feed = amount(&self.book, book_side, price);
                self.taken.push((book_side, price, feed, quantity));
            }
        }
    }

    fn taken(&self, book_side: Side, price: Decimal) -> Decimal {
        if self.taken.is_empty() {
            return Decimal::ZERO;
        }
        let found = self
            .taken
            .iter()
            .find(|(of, at, _, _)| *of == book_side && *at == price);
        found.map_or(Decimal::ZERO, |(_, _, _, taken)| *taken)
    }
}

fn index(side: Side) -> usize {
    match side {
        Side::Buy => 0,
        Side::Sell => 1,
    }
}

fn levels(book: &OrderBook, side: Side) -> &[Level] {
    match side {
        Side::Buy => book.bids().levels(),
        Side::Sell => book.asks().levels(),
    }
}

/// The amount at `price` on one side of `book` (0 where there is no level): a binary search,
/// bids best (highest) first, asks lowest first.
fn amount(book: &OrderBook, side: Side, price: Decimal) -> Decimal {
    let levels = levels(book, side);
    let found = match side {
        Side::Buy => levels.binary_search_by(|level| price.cmp(&level.price)),
        Side::Sell => levels.binary_search_by(|level| level.price.cmp(&price)),
    };
    found.map_or(Decimal::ZERO, |at| levels[at].amount)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().expect("a decimal")
    }

    fn book(bids: &[(&str, &str)], asks: &[(&str, &str)]) -> OrderBook {
        let level = |(price, amount): &(&str, &str)| Level::new(d(price), d(amount));
        OrderBook::new(
            1,
            None,
            bids.iter().map(level).collect::<Vec<_>>(),
            asks.iter().map(level).collect::<Vec<_>>(),
        )
    }

    fn offers(depth: &Depth, side: Side) -> Vec<(Decimal, Decimal)> {
        depth.offers(side).map(|l| (l.price, l.amount)).collect()
    }

    #[test]
    fn updates_upsert_and_delete_levels_as_barter_does() {
        let mut depth = Depth::default();
        assert!(!depth.has_book());
        depth.update(&OrderBookEvent::Snapshot(book(
            &[("99", "1"), ("98", "2")],
            &[("101", "3"), ("102", "4")],
        )));
        // 98 -> 0 deletes it, 100 appears on the ask side ahead of 101.
        depth.update(&OrderBookEvent::Update(book(
            &[("98", "0")],
            &[("100", "5")],
        )));
        assert_eq!(offers(&depth, Side::Sell), [(d("99"), d("1"))]);
        assert_eq!(
            offers(&depth, Side::Buy),
            [(d("100"), d("5")), (d("101"), d("3")), (d("102"), d("4"))]
        );
        assert_eq!(depth.amount_at(Side::Sell, d("101")), Some(d("3")));
        assert_eq!(depth.amount_at(Side::Buy, d("98")), Some(d("0")));
    }

    #[test]
    fn own_fills_are_taken_until_the_feed_changes_the_level() {
        let mut depth = Depth::default();
        depth.update(&OrderBookEvent::Snapshot(book(
            &[("99", "1")],
            &[("101", "3"), ("102", "4")],
        )));
        depth.take(Side::Buy, d("101"), d("3"));
        depth.take(Side::Buy, d("102"), d("1"));
        // 101 is used up: a Buy's touch is 102 with 4 - 1 = 3 left.
        assert_eq!(depth.touch(Side::Buy), Some(Level::new(d("102"), d("3"))));
        // An update that does not touch 101 or 102 keeps what was taken.
        depth.update(&OrderBookEvent::Update(book(&[("99", "2")], &[])));
        assert_eq!(
            offers(&depth, Side::Buy),
            [(d("101"), d("0")), (d("102"), d("3"))]
        );
        // The feed sets 101 to 2: the feed's amount stands; 102 keeps its 1 taken.
        depth.update(&OrderBookEvent::Update(book(&[], &[("101", "2")])));
        assert_eq!(
            offers(&depth, Side::Buy),
            [(d("101"), d("2")), (d("102"), d("3"))]
        );
    }

    #[test]
    fn a_walk_takes_levels_best_first_and_stops_at_the_limit() {
        let mut depth = Depth::default();
        depth.update(&OrderBookEvent::Snapshot(book(
            &[("99", "1")],
            &[("101", "1"), ("102", "2"), ("103", "5")],
        )));
        depth.take(Side::Buy, d("101"), d("0.5"));
        // 0.5 left at 101, then 2 at 102, then 0.5 of 103's 5.
        assert_eq!(
            depth.walk(Side::Buy, d("3"), None),
            [
                (d("101"), d("0.5")),
                (d("102"), d("2")),
                (d("103"), d("0.5"))
            ]
        );
        // A limit at 102 stops there: 2.5 of the 3.
        assert_eq!(
            depth.walk(Side::Buy, d("3"), Some(d("102"))),
            [(d("101"), d("0.5")), (d("102"), d("2"))]
        );
        assert_eq!(depth.walk(Side::Sell, d("3"), Some(d("99.5"))), []);
    }

    #[test]
    fn levels_beyond_a_snapshots_depth_are_unknown() {
        let mut depth = Depth::default();
        depth.update(&OrderBookEvent::Snapshot(book(
            &[("99", "1"), ("98", "2")],
            &[("101", "3")],
        )));
        assert_eq!(depth.amount_at(Side::Buy, d("98.5")), Some(d("0")));
        assert_eq!(depth.amount_at(Side::Buy, d("97")), None);
        assert_eq!(depth.amount_at(Side::Sell, d("105")), None);
        // After an update the book is the whole book again.
        depth.update(&OrderBookEvent::Update(book(&[], &[])));
        assert_eq!(depth.amount_at(Side::Buy, d("97")), Some(d("0")));
    }
}
