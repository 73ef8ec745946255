//! L2 books (spec §12): barter-data's `OrderBookEvent`, a `Snapshot` (the whole book) or an
//! `Update` (levels with their new absolute amount; 0 deletes the level).
//!
//! A message has any number of levels, which cannot fit the 72-byte `Event`: the levels live
//! in a level arena owned by `MarketData` (and by each chunk a streaming reader hands over),
//! and the event holds a `Span` of it, its bids then its asks. The arena is kept in event
//! order with no gaps, so two equal `MarketData` have equal arenas (`relay` restores that
//! after events move).

use super::{Event, Kind};
use crate::market::{self, Role};
use barter_data::books::{Level as BarterLevel, OrderBook};
use barter_data::event::DataKind;
use barter_data::subscription::book::OrderBookEvent;
use chrono::{DateTime, Utc};
use fnv::{FnvHashMap, FnvHashSet};
use std::collections::BTreeMap;

/// One level of an L2 message, as barter-data's `f64`s checked exact (`market::checked`):
/// a price `> 0`, an amount `>= 0`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BookLevel {
    pub price: f64,
    pub amount: f64,
}

/// Where an L2 event's levels are in the arena: `bids` levels from `at`, then `asks` levels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Span {
    pub at: u64,
    pub bids: u32,
    pub asks: u32,
}

impl Span {
    pub fn len(self) -> usize {
        self.bids as usize + self.asks as usize
    }

    fn range(self) -> std::ops::Range<usize> {
        self.at as usize..self.at as usize + self.len()
    }

    /// The bids and the asks of this span in `arena`.
    pub fn sides(self, arena: &[BookLevel]) -> (&[BookLevel], &[BookLevel]) {
        arena[self.range()].split_at(self.bids as usize)
    }
}

/// `bids` then `asks` appended to `arena`: their span.
pub fn append(
    arena: &mut Vec<BookLevel>,
    bids: &[BookLevel],
    asks: &[BookLevel],
) -> Result<Span, String> {
    let count = |side: &[BookLevel]| {
        u32::try_from(side.len())
            .map_err(|_| format!("levels: at most {} a side, got {}", u32::MAX, side.len()))
    };
    let span = Span {
        at: arena.len() as u64,
        bids: count(bids)?,
        asks: count(asks)?,
    };
    arena.extend_from_slice(bids);
    arena.extend_from_slice(asks);
    Ok(span)
}

/// Whether two events (each with the arena its span points into) are the same, levels and all.
pub fn same(a: (&Event, &[BookLevel]), b: (&Event, &[BookLevel])) -> bool {
    match (a.0.kind, b.0.kind) {
        (
            Kind::L2 {
                snapshot,
                sequence,
                levels,
            },
            Kind::L2 {
                snapshot: other_snapshot,
                sequence: other_sequence,
                levels: other,
            },
        ) => {
            let rest = |event: &Event| {
                (
                    event.time_exchange,
                    event.time_received,
                    event.exchange,
                    event.instrument,
                )
            };
            rest(a.0) == rest(b.0)
                && (snapshot, sequence) == (other_snapshot, other_sequence)
                && levels.sides(a.1) == other.sides(b.1)
        }
        _ => a.0 == b.0,
    }
}

/// The side of an L2 level as the SDK's tables and Tardis write it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BookSide {
    Bid,
    Ask,
}

impl BookSide {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "bid" => Ok(BookSide::Bid),
            "ask" => Ok(BookSide::Ask),
            other => Err(format!("must be 'bid' or 'ask', got {other:?}")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BookSide::Bid => "bid",
            BookSide::Ask => "ask",
        }
    }
}

/// A level of a table or file, its numbers checked; each problem `field: problem`.
pub fn level(price: f64, amount: f64) -> Result<BookLevel, Vec<String>> {
    let price = market::checked(price, Role::Price).map_err(|why| format!("price: {why}"));
    let amount = market::checked(amount, Role::Amount).map_err(|why| format!("amount: {why}"));
    match (price, amount) {
        (Ok(price), Ok(amount)) => Ok(BookLevel { price, amount }),
        (price, amount) => Err([price.err(), amount.err()].into_iter().flatten().collect()),
    }
}

/// The rules of a message whose levels were checked one by one: a snapshot holds no empty
/// level (only an update deletes one) and is not crossed or locked (its best bid below its
/// best ask).
pub fn check(snapshot: bool, bids: &[BookLevel], asks: &[BookLevel]) -> Result<(), String> {
    if !snapshot {
        return Ok(());
    }
    no_empty_level(snapshot, bids, asks)?;
    let best_bid = bids.iter().map(|level| level.price).reduce(f64::max);
    let best_ask = asks.iter().map(|level| level.price).reduce(f64::min);
    match best_bid.zip(best_ask) {
        Some((bid, ask)) if bid >= ask => Err(format!(
            "price: the snapshot is crossed or locked: best bid {bid} >= best ask {ask}"
        )),
        _ => Ok(()),
    }
}

/// A snapshot holds no empty level (only an update deletes one). Unlike crossing, which is
/// refused where a vendor's message is loaded (`check`), this holds of every stored
/// snapshot: a slice's book at its start (`Books`) may be crossed, as the vendor's book was.
pub fn no_empty_level(
    snapshot: bool,
    bids: &[BookLevel],
    asks: &[BookLevel],
) -> Result<(), String> {
    match bids
        .iter()
        .chain(asks)
        .find(|level| snapshot && level.amount == 0.0)
    {
        Some(level) => Err(format!(
            "amount: 0 at price {} in a snapshot (only an update deletes a level)",
            level.price
        )),
        None => Ok(()),
    }
}

/// Which instruments (builder keys) have had a snapshot: an update before one has no book to
/// apply to.
#[derive(Default)]
pub struct Started(FnvHashSet<u32>);

impl Started {
    pub fn check(&mut self, key: u32, snapshot: bool) -> Result<(), String> {
        if snapshot {
            self.0.insert(key);
            return Ok(());
        }
        if self.0.contains(&key) {
            return Ok(());
        }
        Err(
            "is_snapshot: an update before the instrument's first snapshot (an L2 source \
             starts each instrument with a snapshot)"
                .to_string(),
        )
    }
}

/// barter-data's `DataKind::OrderBook` of an L2 message, `time_engine` its exchange time.
pub fn to_barter(
    snapshot: bool,
    sequence: u64,
    bids: &[BookLevel],
    asks: &[BookLevel],
    time_exchange: DateTime<Utc>,
) -> DataKind {
    // Every loader checked both numbers of each level (`level`).
    let exact = |level: &BookLevel| {
        BarterLevel::new(
            market::exact(level.price).expect("checked when loaded"),
            market::exact(level.amount).expect("checked when loaded"),
        )
    };
    let book = OrderBook::new(
        sequence,
        Some(time_exchange),
        bids.iter().map(exact),
        asks.iter().map(exact),
    );
    DataKind::OrderBook(if snapshot {
        OrderBookEvent::Snapshot(book)
    } else {
        OrderBookEvent::Update(book)
    })
}

/// An L2 message in barter-data's types, as `Builder::l2` takes it: `(snapshot, sequence,
/// bids, asks)`, each level's numbers checked (`bids[0].price: problem`).
pub type Message = (bool, u64, Vec<BookLevel>, Vec<BookLevel>);

pub fn of_barter(message: &OrderBookEvent) -> Result<Message, Vec<String>> {
    let (snapshot, book) = match message {
        OrderBookEvent::Snapshot(book) => (true, book),
        OrderBookEvent::Update(book) => (false, book),
    };
    let mut problems = Vec::new();
    let mut side = |name: &str, levels: &[BarterLevel]| -> Vec<BookLevel> {
        let mut note = |at: usize, field: &str, value, role| {
            market::float(value, role)
                .map_err(|why| problems.push(format!("{name}[{at}].{field}: {why}")))
                .unwrap_or(f64::NAN)
        };
        levels
            .iter()
            .enumerate()
            .map(|(at, level)| BookLevel {
                price: note(at, "price", level.price, Role::Price),
                amount: note(at, "amount", level.amount, Role::Amount),
            })
            .collect()
    };
    let bids = side("bids", book.bids().levels());
    let asks = side("asks", book.asks().levels());
    if problems.is_empty() {
        Ok((snapshot, book.sequence(), bids, asks))
    } else {
        Err(problems)
    }
}

/// The L2 books of instruments (keyed by their `Event::instrument`) as barter's
/// `OrderBook::update` keeps them: a snapshot replaces the book, an update sets each of its
/// levels' amount (0 deletes the level). An update before the instrument's first snapshot
/// has no book to change and is passed over.
#[derive(Default)]
pub struct Books(FnvHashMap<u32, Book>);

/// One book: its last sequence, and its levels by price (positive `f64`s order as their bits).
#[derive(Default)]
struct Book {
    sequence: u64,
    bids: BTreeMap<u64, f64>,
    asks: BTreeMap<u64, f64>,
}

/// A book as a snapshot: its instrument, sequence, bids and asks best first.
pub type Snapshot = (u32, u64, Vec<BookLevel>, Vec<BookLevel>);

impl Books {
    /// `event` (its levels in `arena`) applied, if it is an L2 event.
    pub fn apply(&mut self, event: &Event, arena: &[BookLevel]) {
        let Some((snapshot, sequence, levels)) = event.kind.l2() else {
            return;
        };
        if !snapshot && !self.0.contains_key(&event.instrument) {
            return;
        }
        let book = self.0.entry(event.instrument).or_default();
        if snapshot {
            *book = Book::default();
        }
        book.sequence = sequence;
        let (bids, asks) = levels.sides(arena);
        for (side, levels) in [(&mut book.bids, bids), (&mut book.asks, asks)] {
            for level in levels {
                if level.amount == 0.0 {
                    side.remove(&level.price.to_bits());
                } else {
                    side.insert(level.price.to_bits(), level.amount);
                }
            }
        }
    }

    /// Every book as a snapshot, by instrument.
    pub fn snapshots(self) -> Vec<Snapshot> {
        let level = |(price, amount): (&u64, &f64)| BookLevel {
            price: f64::from_bits(*price),
            amount: *amount,
        };
        let mut all: Vec<Snapshot> = self
            .0
            .into_iter()
            .map(|(instrument, book)| {
                let bids = book.bids.iter().rev().map(level).collect();
                let asks = book.asks.iter().map(level).collect();
                (instrument, book.sequence, bids, asks)
            })
            .collect();
        all.sort_by_key(|snapshot| snapshot.0);
        all
    }
}

/// The UTC day (nanoseconds since the epoch at its midnight) of a time in nanoseconds.
pub fn day_start(time: i64) -> i64 {
    const DAY: i64 = 86_400_000_000_000;
    time.div_euclid(DAY) * DAY
}

/// The arena of `events` laid out again in their order, their spans pointing into it.
pub fn relay(events: &mut [Event], arena: &[BookLevel]) -> Vec<BookLevel> {
    let mut laid = Vec::with_capacity(arena.len());
    for event in events {
        if let Kind::L2 { levels, .. } = &mut event.kind {
            let at = laid.len() as u64;
            laid.extend_from_slice(&arena[levels.range()]);
            levels.at = at;
        }
    }
    laid
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(price: f64, amount: f64) -> BookLevel {
        BookLevel { price, amount }
    }

    #[test]
    fn a_snapshot_is_neither_crossed_nor_locked_nor_holds_empty_levels() {
        let bids = [at(99.5, 1.0), at(100.0, 2.0)];
        assert_eq!(check(true, &bids, &[at(100.5, 1.0)]), Ok(()));
        // best bid 100 = best ask 100: locked.
        assert!(check(true, &bids, &[at(100.0, 1.0)]).is_err());
        assert!(check(true, &bids, &[at(101.0, 0.0)]).is_err());
        // An update may cross for a moment and deletes with 0.
        assert_eq!(check(false, &bids, &[at(100.0, 0.0)]), Ok(()));
        assert!(level(f64::NAN, 1.0).is_err());
        assert_eq!(level(1.0, -1.0).unwrap_err().len(), 1);
    }

    #[test]
    fn an_update_needs_a_snapshot_of_its_instrument_first() {
        let mut started = Started::default();
        assert!(started.check(1, false).is_err());
        assert_eq!(started.check(1, true), Ok(()));
        assert_eq!(started.check(1, false), Ok(()));
        assert!(started.check(2, false).is_err());
    }

    #[test]
    fn to_barter_gives_barters_order_book_event() {
        let arena = [at(1.0, 9.0), at(100.0, 2.0), at(99.5, 1.0), at(100.5, 3.0)];
        let span = Span {
            at: 1,
            bids: 2,
            asks: 1,
        };
        let (bids, asks) = span.sides(&arena);
        let time = super::super::utc(5);
        let DataKind::OrderBook(OrderBookEvent::Snapshot(book)) =
            to_barter(true, 7, bids, asks, time)
        else {
            panic!("a snapshot")
        };
        assert_eq!(book.sequence(), 7);
        assert_eq!(book.time_engine(), Some(time));
        // barter sorts bids best (highest) first.
        let best_first: Vec<String> = book
            .bids()
            .levels()
            .iter()
            .map(|l| format!("{}x{}", l.price, l.amount))
            .collect();
        assert_eq!(best_first, ["100x2", "99.5x1"]);
        assert_eq!(book.asks().levels().len(), 1);
        assert!(matches!(
            to_barter(false, 0, bids, asks, time),
            DataKind::OrderBook(OrderBookEvent::Update(_))
        ));
    }
}
