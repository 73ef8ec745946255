//! Two clocks (spec §12): an event reaches the simulated exchange at its exchange time and the
//! strategy at its receive time, as hftbacktest's EXCH and LOCAL events do. `Merge` turns a
//! source of events into both views in time order (an exchange view first at equal times):
//! it reads ahead just far enough, holding the views not yet due in two small heaps.
//!
//! Why the read-ahead is bounded: no event is received more than `window` (the data's
//! largest feed latency, receive − exchange time) after its exchange time. With the source
//! ordered by receive time (or by exchange time), every unread event has an exchange time,
//! and a strategy time, at or after `next receive time − window`: a view before that cannot
//! be overtaken by an event not yet read.

use crate::market::data::Event;
use pyo3::PyResult;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::iter::Peekable;

/// Where and when an event (with what it carries: an L2 event's levels) is seen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum View<T> {
    /// One clock: by the exchange, then the strategy, at its exchange time.
    Both(T),
    /// By the simulated exchange, at its exchange time.
    Exchange(T),
    /// By barter's engine and the strategy, at `strategy_time`.
    Strategy(T),
}

/// What the replay reads: a market event, alone or with the level arena its L2 levels are in.
pub trait Timed: Clone {
    fn event(&self) -> &Event;
}

impl Timed for Event {
    fn event(&self) -> &Event {
        self
    }
}

impl<Levels: Clone> Timed for (Event, Levels) {
    fn event(&self) -> &Event {
        &self.0
    }
}

/// When the strategy sees an event: its receive time, never before its exchange time (a
/// negative feed latency, a collector's clock behind the exchange's, counts as none).
pub fn strategy_time(event: &Event) -> i64 {
    event.time_received.max(event.time_exchange)
}

/// The largest feed latency of `events` (0 when none is received after its exchange time).
pub fn window<'a>(events: impl IntoIterator<Item = &'a Event>) -> i64 {
    events
        .into_iter()
        .map(|event| event.time_received.saturating_sub(event.time_exchange))
        .fold(0, i64::max)
}

/// A view waiting for its time; equal times keep the source's order.
struct Due<T> {
    time: i64,
    seq: u64,
    item: T,
}

impl<T> PartialEq for Due<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}

impl<T> Eq for Due<T> {}

impl<T> PartialOrd for Due<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Due<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.time, self.seq).cmp(&(other.time, other.seq))
    }
}

/// Both views of a source's events, in time order.
pub struct Merge<I: Iterator<Item = PyResult<T>>, T> {
    source: Peekable<I>,
    window: i64,
    exchange: BinaryHeap<Reverse<Due<T>>>,
    strategy: BinaryHeap<Reverse<Due<T>>>,
    seq: u64,
}

impl<I: Iterator<Item = PyResult<T>>, T: Timed> Merge<I, T> {
    pub fn new(source: I, window: i64) -> Self {
        Self {
            source: source.peekable(),
            window: window.max(0),
            exchange: BinaryHeap::new(),
            strategy: BinaryHeap::new(),
            seq: 0,
        }
    }

    /// The earliest time an unread event may be seen at (`None`: the source ended).
    fn horizon(&mut self) -> Option<i64> {
        match self.source.peek() {
            Some(Ok(next)) => Some(next.event().time_received.saturating_sub(self.window)),
            // An error: read it now, it is the next item.
            Some(Err(_)) => Some(i64::MIN),
            None => None,
        }
    }
}

impl<I: Iterator<Item = PyResult<T>>, T: Timed> Iterator for Merge<I, T> {
    type Item = PyResult<View<T>>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let horizon = self.horizon();
            let exchange = self.exchange.peek().map(|due| due.0.time);
            let strategy = self.strategy.peek().map(|due| due.0.time);
            let before = |time: i64, strict: bool| {
                horizon.is_none_or(|horizon| time < horizon || (!strict && time == horizon))
            };
            match (exchange, strategy) {
                // An exchange view first at equal times; an unread event at the same
                // exchange time comes later in the source, so after it.
                (Some(x), s) if s.is_none_or(|s| x <= s) => {
                    if before(x, false) {
                        return self
                            .exchange
                            .pop()
                            .map(|due| Ok(View::Exchange(due.0.item)));
                    }
                }
                (_, Some(s)) => {
                    if before(s, true) {
                        return self
                            .strategy
                            .pop()
                            .map(|due| Ok(View::Strategy(due.0.item)));
                    }
                }
                _ if horizon.is_none() => return None,
                _ => {}
            }
            let item = match self.source.next()? {
                Ok(item) => item,
                Err(err) => return Some(Err(err)),
            };
            let seq = self.seq;
            self.seq += 1;
            let (exchange, strategy) = (item.event().time_exchange, strategy_time(item.event()));
            let due = |time, item| Reverse(Due { time, seq, item });
            self.exchange.push(due(exchange, item.clone()));
            self.strategy.push(due(strategy, item));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::data::Kind;
    use barter_instrument::exchange::ExchangeId;
    use barter_instrument::Side;

    fn event(exchange: i64, received: i64) -> Event {
        Event {
            time_exchange: exchange,
            time_received: received,
            exchange: ExchangeId::Okx,
            instrument: 0,
            kind: Kind::Trade {
                price: 1.0,
                amount: 1.0,
                side: Some(Side::Buy),
            },
        }
    }

    fn merged(events: &[Event]) -> Vec<String> {
        let merge = Merge::new(events.iter().copied().map(Ok), window(events));
        merge
            .map(|view| match view.unwrap() {
                View::Exchange(e) => format!("x{}", e.time_exchange),
                View::Strategy(e) => format!("s{}", strategy_time(&e)),
                View::Both(_) => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn each_event_is_seen_by_the_exchange_at_its_time_and_the_strategy_at_its_receive_time() {
        // Received 20 and 30 after their exchange times (window 30), in receive order.
        let events = [event(1000, 1030), event(1010, 1040), event(1035, 1045)];
        assert_eq!(
            merged(&events),
            ["x1000", "x1010", "s1030", "x1035", "s1040", "s1045"]
        );
    }

    #[test]
    fn an_exchange_view_comes_first_at_equal_times_and_negative_latency_counts_as_none() {
        // The second is received "before" its exchange time: the strategy sees it at 1020.
        let events = [event(1000, 1010), event(1020, 1010), event(1010, 1030)];
        assert_eq!(
            merged(&events),
            ["x1000", "x1010", "s1010", "x1020", "s1020", "s1030"]
        );
    }

    #[test]
    fn one_clock_data_gives_each_exchange_view_before_its_strategy_view() {
        let events = [event(1, 1), event(2, 2), event(2, 2), event(3, 3)];
        assert_eq!(
            merged(&events),
            ["x1", "s1", "x2", "x2", "s2", "s2", "x3", "s3"]
        );
    }
}
