//! Time order of a loaded source (spec §11): events must not go back in time in the clock the
//! source is ordered by (the receive time, which equals the exchange time where a file has
//! only one). `check` refuses a backward step, `sort` sorts stably, `as_is` keeps the file's
//! order. barter's own recordings keep their recorded order (§8) and take no `order`.

use super::Event;
use chrono::SecondsFormat;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Order {
    Check,
    Sort,
    AsIs,
}

impl Order {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "check" => Ok(Order::Check),
            "sort" => Ok(Order::Sort),
            "as_is" => Ok(Order::AsIs),
            other => Err(format!(
                "order must be 'check', 'sort' or 'as_is', got {other:?}"
            )),
        }
    }
}

/// The clock a source is ordered by.
pub fn clock(event: &Event) -> i64 {
    event.time_received
}

/// The problem of a step from `before` back to `after` (nanoseconds), if it is one.
pub fn backward(before: i64, after: i64) -> Option<String> {
    (after < before).then(|| {
        let text = |nanos| super::utc(nanos).to_rfc3339_opts(SecondsFormat::AutoSi, true);
        format!(
            "time goes back from {} to {} (order='sort' sorts the source, order='as_is' keeps \
             its order)",
            text(before),
            text(after)
        )
    })
}

/// Sorted stably by the clock, under `Order::Sort`.
pub fn arrange(order: Order, events: &mut [Event]) {
    if order == Order::Sort {
        events.sort_by_key(clock);
    }
}
