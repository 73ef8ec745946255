//! Time order of a loaded source (spec §11): events must not go back in time in the clock the
//! source is ordered by (the receive time, which equals the exchange time where a file has
//! only one). `check` refuses a backward step, `sort` sorts stably, `as_is` keeps the file's
//! order. barter's own recordings keep their recorded order (§8) and take no `order`.

use super::{book, Builder, Event, Failure, MarketData, Problems};
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

/// The builder's events sorted stably by the clock (their levels laid out again), under
/// `Order::Sort`.
pub fn arrange(order: Order, builder: &mut Builder) {
    if order == Order::Sort {
        builder.events.sort_by_key(clock);
        builder.levels = book::relay(&mut builder.events, &builder.levels);
    }
}

/// Loaded `data` in `order`: under `Check` every backward step is a problem at
/// `{source}: {unit} {index}`; the data itself when nothing changes.
pub fn arranged(
    data: &MarketData,
    order: Order,
    source: &str,
    unit: &str,
) -> Result<Option<MarketData>, Failure> {
    match order {
        Order::AsIs => Ok(None),
        Order::Sort => Ok(Some(data.reordered(|events| events.sort_by_key(clock)))),
        Order::Check => {
            let mut problems = Problems::new(source);
            let mut latest = i64::MIN;
            for (at, event) in data.events.iter().enumerate() {
                if let Some(problem) = backward(latest, clock(event)) {
                    problems.add(format_args!("{source}: {unit} {at}"), problem);
                }
                latest = latest.max(clock(event));
            }
            problems.check().map(|()| None)
        }
    }
}
