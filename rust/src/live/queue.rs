//! The bounded queue from the streams to the engine thread (spec §9, "nothing lost, nothing
//! spinning").
//!
//! Market events wait in arrival order, at most `CAPACITY` of them. When the engine lags, a
//! new L1 book of an instrument whose previous book is still queued replaces that book in its
//! place (conflated: counted, never waiting); any other event waits for room (the stream
//! reader stops reading: backpressure, so trades are never dropped). Python's calls and the
//! stop always get in, behind what arrived before them. The engine waits blocking when idle.

use barter_data::event::{DataKind, MarketEvent};
use barter_data::streams::consumer::MarketStreamEvent;
use barter_data::streams::reconnect;
use barter_instrument::instrument::InstrumentIndex;
use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard};
use tokio::sync::Notify;

/// Market events queued at most: a few seconds of a busy feed, a few MB.
pub const CAPACITY: usize = 1024;

pub type Market = MarketStreamEvent<InstrumentIndex, DataKind>;
pub type Item = MarketEvent<InstrumentIndex, DataKind>;

/// What the queue holds: market events, and other work that never waits for room (the
/// engine thread's `worker::Input`).
pub trait Entry: From<Market> {
    fn market(&self) -> Option<&Market>;
}

struct Inner<T> {
    items: VecDeque<T>,
    /// The sequence number of `items[0]`.
    head: u64,
    /// Market events among `items`.
    markets: usize,
    /// Where each instrument's queued L1 book is, by sequence number.
    books: HashMap<InstrumentIndex, u64>,
}

pub struct Queue<T> {
    inner: Mutex<Inner<T>>,
    /// The engine waits here for an item.
    ready: Condvar,
    /// The stream reader (a tokio task) waits here for room.
    room: Notify,
    capacity: usize,
}

/// What became of a market event offered to the queue.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    Queued,
    /// It replaced its instrument's queued book.
    Conflated,
}

fn book_of(market: &Market) -> Option<InstrumentIndex> {
    match market {
        reconnect::Event::Item(item) if matches!(item.kind, DataKind::OrderBookL1(_)) => {
            Some(item.instrument)
        }
        _ => None,
    }
}

impl<T: Entry> Queue<T> {
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                items: VecDeque::new(),
                head: 0,
                markets: 0,
                books: HashMap::new(),
            }),
            ready: Condvar::new(),
            room: Notify::new(),
            capacity,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<T>> {
        // A poisoned lock only means a panic elsewhere while it was held: the queue is intact.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queue a market event, conflating a book; `Err` gives it back when there is no room.
    pub fn try_market(&self, market: Market) -> Result<Pushed, Market> {
        let mut inner = self.lock();
        let book = book_of(&market);
        if let Some(&at) = book.and_then(|instrument| inner.books.get(&instrument)) {
            let slot = (at - inner.head) as usize;
            inner.items[slot] = T::from(market);
            return Ok(Pushed::Conflated);
        }
        if inner.markets >= self.capacity {
            return Err(market);
        }
        if let Some(instrument) = book {
            let at = inner.head + inner.items.len() as u64;
            inner.books.insert(instrument, at);
        }
        inner.items.push_back(T::from(market));
        inner.markets += 1;
        self.ready.notify_one();
        Ok(Pushed::Queued)
    }

    /// Queue a market event, waiting (without blocking the runtime) for room.
    pub async fn market(&self, mut market: Market) -> Pushed {
        loop {
            match self.try_market(market) {
                Ok(pushed) => return pushed,
                Err(back) => market = back,
            }
            // A permit is stored if the engine made room since: no wake-up is lost.
            self.room.notified().await;
        }
    }

    /// Python's work or the stop: never refused, never waiting.
    pub fn push(&self, input: T) {
        self.lock().items.push_back(input);
        self.ready.notify_one();
    }

    /// The next item, waiting for one.
    pub fn next(&self) -> T {
        let mut inner = self.lock();
        loop {
            if let Some(input) = inner.items.pop_front() {
                let at = inner.head;
                inner.head += 1;
                if let Some(market) = input.market() {
                    inner.markets -= 1;
                    if let Some(instrument) = book_of(market) {
                        if inner.books.get(&instrument) == Some(&at) {
                            inner.books.remove(&instrument);
                        }
                    }
                    drop(inner);
                    self.room.notify_one();
                }
                return input;
            }
            inner = self.ready.wait(inner).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Market events queued now.
    pub fn len(&self) -> usize {
        self.lock().markets
    }

    /// Drop the queued market events (Python's calls and the stop stay); how many of them
    /// were market data (a dropped stream's event is not a frame).
    pub fn skip_markets(&self) -> usize {
        let mut inner = self.lock();
        let mut skipped = 0;
        inner.items.retain(|input| match input.market() {
            Some(market) => {
                skipped += usize::from(matches!(market, reconnect::Event::Item(_)));
                false
            }
            None => true,
        });
        // The sequence numbers of what stays no longer matter: no book is queued.
        inner.books.clear();
        inner.markets = 0;
        drop(inner);
        self.room.notify_one();
        skipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    enum Input {
        Market(Market),
        Stop,
    }

    impl From<Market> for Input {
        fn from(market: Market) -> Self {
            Input::Market(market)
        }
    }

    impl Entry for Input {
        fn market(&self) -> Option<&Market> {
            match self {
                Input::Market(market) => Some(market),
                Input::Stop => None,
            }
        }
    }
    use barter_data::subscription::book::OrderBookL1;
    use barter_data::subscription::trade::PublicTrade;
    use barter_instrument::exchange::ExchangeId;
    use barter_instrument::Side;
    use chrono::Utc;

    /// A market event; `received` (nanoseconds) tells books apart.
    fn event(instrument: usize, kind: DataKind, received: i64) -> Market {
        reconnect::Event::Item(MarketEvent {
            time_exchange: Utc::now(),
            time_received: chrono::DateTime::from_timestamp_nanos(received),
            exchange: ExchangeId::BinanceSpot,
            instrument: InstrumentIndex(instrument),
            kind,
        })
    }

    fn trade(instrument: usize, price: f64) -> Market {
        let trade = PublicTrade {
            id: String::new(),
            price,
            amount: 1.0,
            side: Side::Buy,
        };
        event(instrument, DataKind::Trade(trade), 0)
    }

    fn book(instrument: usize, sequence: i64) -> Market {
        let book = OrderBookL1 {
            last_update_time: Utc::now(),
            best_bid: None,
            best_ask: None,
        };
        event(instrument, DataKind::OrderBookL1(book), sequence)
    }

    /// What the engine would take: (instrument, trade price or book sequence).
    fn drain(queue: &Queue<Input>) -> Vec<(usize, f64)> {
        let mut out = Vec::new();
        while queue.len() > 0 {
            if let Input::Market(reconnect::Event::Item(item)) = queue.next() {
                let value = match &item.kind {
                    DataKind::Trade(trade) => trade.price,
                    _ => item.time_received.timestamp_nanos_opt().unwrap_or(0) as f64,
                };
                out.push((item.instrument.0, value));
            }
        }
        out
    }

    #[test]
    fn a_queued_book_is_replaced_in_its_place_trades_are_kept_in_order() {
        let queue = Queue::new(10);
        assert_eq!(queue.try_market(book(0, 1)), Ok(Pushed::Queued));
        assert_eq!(queue.try_market(trade(0, 5.0)), Ok(Pushed::Queued));
        assert_eq!(queue.try_market(book(1, 7)), Ok(Pushed::Queued));
        assert_eq!(queue.try_market(book(0, 2)), Ok(Pushed::Conflated));
        assert_eq!(queue.try_market(trade(0, 6.0)), Ok(Pushed::Queued));
        assert_eq!(drain(&queue), vec![(0, 2.0), (0, 5.0), (1, 7.0), (0, 6.0)]);
        // Taken by the engine: the next book is queued anew.
        assert_eq!(queue.try_market(book(0, 3)), Ok(Pushed::Queued));
    }

    #[test]
    fn a_full_queue_refuses_trades_and_new_books_but_conflates() {
        let queue = Queue::new(3);
        assert!(queue.try_market(trade(0, 1.0)).is_ok());
        assert!(queue.try_market(book(0, 1)).is_ok());
        let dropped = reconnect::Event::Reconnecting(ExchangeId::BinanceSpot);
        assert!(queue.try_market(dropped).is_ok());
        assert!(queue.try_market(trade(0, 2.0)).is_err());
        assert!(queue.try_market(book(1, 1)).is_err());
        assert_eq!(queue.try_market(book(0, 2)), Ok(Pushed::Conflated));
        queue.push(Input::Stop); // calls and the stop always get in
        assert_eq!(queue.skip_markets(), 2); // frames: the dropped stream is not one
        assert!(matches!(queue.next(), Input::Stop));
        assert!(queue.try_market(trade(0, 3.0)).is_ok());
    }
}
