//! Order latency both ways (spec §12), in event time: how long a request takes to reach the
//! simulated exchange (entry) and how long the exchange's answer takes to reach barter's
//! engine (response). Constant (`latency_ms`, `response_latency_ms`), or interpolated from a
//! recording of real round trips (`latency_from`) as hftbacktest's `IntpOrderLatency` does
//! (nkaz001/hftbacktest `src/backtest/models/latency.rs`). Answers wait in `Responses` until
//! the strategy's clock reaches them, first in, first out.

use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use std::sync::Arc;

pub use recorded::Recorded;

mod recorded;

const NANOS_PER_MS: i64 = 1_000_000;

/// How long requests and answers travel.
#[derive(Debug, Clone)]
pub enum Latency {
    /// Nanoseconds each way.
    Constant { entry: i64, response: i64 },
    /// Interpolated between recorded round trips.
    Recorded(Arc<Recorded>),
}

/// What becomes of a request sent at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// It reaches the exchange this many nanoseconds later (0: at once).
    Arrives(i64),
    /// The exchange turns it away (a recorded rejection); the sender learns of it this many
    /// nanoseconds later.
    Rejected(i64),
}

impl Latency {
    /// `latency_ms` and `response_latency_ms`.
    pub fn constant(entry_ms: i64, response_ms: i64) -> Self {
        Latency::Constant {
            entry: entry_ms.saturating_mul(NANOS_PER_MS),
            response: response_ms.saturating_mul(NANOS_PER_MS),
        }
    }

    /// A request sent at `sent` (nanoseconds since the epoch).
    pub fn entry(&self, sent: i64) -> Entry {
        match self {
            Latency::Constant { entry, .. } => Entry::Arrives(*entry),
            Latency::Recorded(recorded) => recorded.entry(sent),
        }
    }

    /// The delay of an answer the exchange gives at `at` (nanoseconds since the epoch).
    pub fn response(&self, at: i64) -> i64 {
        match self {
            Latency::Constant { response, .. } => *response,
            Latency::Recorded(recorded) => recorded.response(at),
        }
    }

    /// For messages: `latency 500 ms` or `latency_from latency.csv`.
    pub fn describe(&self) -> String {
        match self {
            Latency::Constant { entry, .. } => format!("latency {} ms", entry / NANOS_PER_MS),
            Latency::Recorded(recorded) => format!("latency_from {}", recorded.file()),
        }
    }
}

/// The exchange's answers on their way to barter's engine, each with the strategy time it
/// arrives at, in the order given: a later answer never overtakes an earlier one (its time is
/// raised to the one before it, as hftbacktest's order bus does).
#[derive(Debug, Clone)]
pub struct Responses<Event> {
    queue: VecDeque<(i64, Event)>,
}

impl<Event> Default for Responses<Event> {
    fn default() -> Self {
        Self {
            queue: VecDeque::new(),
        }
    }
}

impl<Event> Responses<Event> {
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// `events`, arriving at `at` (or with the answer before them, if that is later).
    pub fn push(&mut self, at: i64, events: impl IntoIterator<Item = Event>) {
        let at = self.queue.back().map_or(at, |(last, _)| at.max(*last));
        self.queue
            .extend(events.into_iter().map(|event| (at, event)));
    }

    /// The answers that have arrived by `until`, in order.
    pub fn due(&mut self, until: DateTime<Utc>, out: &mut Vec<Event>) {
        let until = nanos(until);
        while self.queue.front().is_some_and(|(at, _)| *at <= until) {
            out.extend(self.queue.pop_front().map(|(_, event)| event));
        }
    }

    /// Every answer still on its way, in order (the data ended).
    pub fn all(&mut self, out: &mut Vec<Event>) {
        out.extend(self.queue.drain(..).map(|(_, event)| event));
    }
}

/// Nanoseconds since the epoch (the SDK's times are within 1677–2262).
pub fn nanos(time: DateTime<Utc>) -> i64 {
    time.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
