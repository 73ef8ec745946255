//! The engine's clock: barter's `LiveClock` for a live `Engine`, or a replay clock for a
//! backtest and a live (paper) session, whose time is the exchange time of the latest market
//! event seen.
//!
//! barter's own `HistoricalClock` adds the wall-clock time elapsed since the last event, so a
//! replay through it depends on how fast the machine runs; this one involves no wall time.

use barter::engine::clock::{EngineClock, LiveClock};
use barter::engine::Processor;
use barter::EngineEvent;
use barter_data::event::DataKind;
use barter_data::streams::reconnect;
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Replayed time, in nanoseconds since the epoch; clones (the mock exchanges' copies) share it.
/// `received`: the strategy's clock follows the events' receive time (two clocks, spec §12).
#[derive(Debug, Clone)]
pub struct ReplayClock(Arc<AtomicI64>, bool);

impl ReplayClock {
    /// A clock standing at `start` (the first replayed event's exchange time).
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Arc::new(AtomicI64::new(nanos(start))), false)
    }

    /// A clock standing at `start` that follows the events' receive time (never before their
    /// exchange time: a receive time stamped earlier counts as the exchange time).
    pub fn on_receive_time(start: DateTime<Utc>) -> Self {
        Self(Arc::new(AtomicI64::new(nanos(start))), true)
    }
}

impl ReplayClock {
    /// A clock that moves to the first event it sees (a live session's: its events' exchange
    /// times stamp what happens, as in a backtest). Until then it stands at the earliest time
    /// (1677-09-21, which no checked event has), so that the starting balances, stamped with
    /// it, are older than any fill.
    pub fn at_first_event() -> Self {
        Self(Arc::new(AtomicI64::new(i64::MIN)), false)
    }
}

/// Nanoseconds since the epoch (times outside 1677–2262 are refused when data is loaded).
fn nanos(time: DateTime<Utc>) -> i64 {
    time.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

impl EngineClock for ReplayClock {
    fn time(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_nanos(self.0.load(Ordering::Relaxed))
    }
}

impl<'a> Processor<&'a EngineEvent<DataKind>> for ReplayClock {
    type Audit = ();

    /// Market events move the clock, never backwards (barter's own example data is not sorted
    /// by exchange time, and barter's market data keeps the newer of two events); account
    /// events carry the mock's fill times, which must not push the clock past the data.
    fn process(&mut self, event: &'a EngineEvent<DataKind>) {
        if let EngineEvent::Market(reconnect::Event::Item(market)) = event {
            let time = if self.1 {
                market.time_received.max(market.time_exchange)
            } else {
                market.time_exchange
            };
            self.0.fetch_max(nanos(time), Ordering::Relaxed);
        }
    }
}

/// The clock of one engine.
#[derive(Debug, Clone)]
pub enum Clock {
    Live(LiveClock),
    Replay(ReplayClock),
}

impl Clock {
    pub fn is_replay(&self) -> bool {
        matches!(self, Clock::Replay(_))
    }
}

impl EngineClock for Clock {
    fn time(&self) -> DateTime<Utc> {
        match self {
            Clock::Live(clock) => clock.time(),
            Clock::Replay(clock) => clock.time(),
        }
    }
}

impl<'a> Processor<&'a EngineEvent<DataKind>> for Clock {
    type Audit = ();

    fn process(&mut self, event: &'a EngineEvent<DataKind>) {
        if let Clock::Replay(clock) = self {
            clock.process(event);
        }
    }
}
