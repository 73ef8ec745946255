//! The account's value over a run, per quote asset (spec §8, "What a backtest reports"): cash
//! (the quote balance in barter's state), holdings (a cash account's base balances at the mark,
//! a margin account's unrealised PnL at the mark) and their sum, at the first event, at every
//! fill, every `equity_interval` of event time and at the end; and how long each quote asset
//! had an open position (exposure). Read from barter's state, so it describes barter's mock
//! as faithfully as the simulated exchange.

use crate::engine::{value, PyEngine};
use crate::exchange::market::Quote;
use crate::exchange::simulated::Account;
use barter_data::event::{DataKind, MarketEvent};
use barter_instrument::{asset::AssetIndex, instrument::InstrumentIndex};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

/// The first time of the grid `start + k × every` after `time`, in one step: a stretch
/// without events, however long, costs nothing.
fn next_after(start: DateTime<Utc>, every: Duration, time: DateTime<Utc>) -> DateTime<Utc> {
    if start > time {
        return start;
    }
    let steps = match ((time - start).num_nanoseconds(), every.num_nanoseconds()) {
        (Some(gap), Some(step)) if step > 0 => gap / step + 1,
        _ => 1,
    };
    let mut next = start + every * i32::try_from(steps).unwrap_or(i32::MAX);
    while next <= time {
        next += every; // beyond i32 steps, or without nanosecond precision
    }
    next
}

/// One point of one quote asset's curve.
pub struct Point {
    pub asset: usize,
    pub time: DateTime<Utc>,
    pub cash: Decimal,
    pub holdings: Decimal,
    pub drawdown: Decimal,
}

/// A quote asset of the run and the instruments quoted in it.
pub struct QuoteAsset {
    pub index: AssetIndex,
    instruments: Vec<InstrumentIndex>,
    peak: Option<Decimal>,
    open_since: Option<DateTime<Utc>>,
    /// Time with an open position in one of its instruments.
    pub exposed: Duration,
}

pub struct Curve {
    every: Option<Duration>,
    next: Option<DateTime<Utc>>,
    marks: Vec<Quote>,
    pub assets: Vec<QuoteAsset>,
    pub points: Vec<Point>,
    margin: bool,
}

impl Curve {
    pub fn new(engine: &PyEngine, every: Option<Duration>) -> Self {
        let keys = engine.keys();
        let state = &engine.core().state;
        let mut assets: Vec<QuoteAsset> = Vec::new();
        let mut marks = Vec::new();
        for (at, instrument) in state.instruments.0.values().enumerate() {
            let quote = instrument.instrument.underlying.quote;
            match assets.iter_mut().find(|asset| asset.index == quote) {
                Some(asset) => asset.instruments.push(InstrumentIndex(at)),
                None => assets.push(QuoteAsset {
                    index: quote,
                    instruments: vec![InstrumentIndex(at)],
                    peak: None,
                    open_since: None,
                    exposed: Duration::zero(),
                }),
            }
            marks.push(Quote::seeded(keys.instrument(InstrumentIndex(at)).price));
        }
        let margin = engine
            .simulated()
            .is_some_and(|exchange| exchange.settings().account == Account::Margin);
        Self {
            every,
            next: None,
            marks,
            assets,
            points: Vec::new(),
            margin,
        }
    }

    /// A market event: the marks move.
    pub fn market(&mut self, event: &MarketEvent<InstrumentIndex, DataKind>) {
        if let Some(quote) = self.marks.get_mut(event.instrument.index()) {
            quote.update(&event.kind);
        }
    }

    /// After an event at `time`: a point if it is the first, if it filled (`force`), or if the
    /// interval has passed; exposure follows the positions after a fill. Refused where the
    /// account's value is beyond barter's decimal range.
    pub fn observe(
        &mut self,
        engine: &PyEngine,
        time: DateTime<Utc>,
        force: bool,
    ) -> Result<(), String> {
        let due = match (self.every, self.next) {
            (None, _) | (_, None) => true,
            (Some(_), Some(next)) => time >= next,
        };
        if force || due {
            // Positions change only at fills; the first point sees the starting ones.
            if force || self.points.is_empty() {
                self.exposure(engine, time);
            }
            self.record(engine, time)?;
        }
        if let Some(every) = self.every {
            self.next = Some(next_after(self.next.unwrap_or(time), every, time));
        }
        Ok(())
    }

    /// Close the exposure of positions still open at `end`.
    pub fn finish(&mut self, end: DateTime<Utc>) {
        for asset in &mut self.assets {
            if let Some(since) = asset.open_since.take() {
                asset.exposed += end - since;
            }
        }
    }

    fn exposure(&mut self, engine: &PyEngine, time: DateTime<Utc>) {
        let state = &engine.core().state;
        for asset in &mut self.assets {
            let open = asset.instruments.iter().any(|instrument| {
                state
                    .instruments
                    .instrument_index(instrument)
                    .position
                    .current
                    .as_ref()
                    .is_some_and(|position| !position.quantity_abs.is_zero())
            });
            match (open, asset.open_since) {
                (true, None) => asset.open_since = Some(time),
                (false, Some(since)) => {
                    asset.exposed += time - since;
                    asset.open_since = None;
                }
                _ => {}
            }
        }
    }

    fn record(&mut self, engine: &PyEngine, time: DateTime<Utc>) -> Result<(), String> {
        let state = &engine.core().state;
        for (at, asset) in self.assets.iter_mut().enumerate() {
            let marks = &self.marks;
            let value =
                value::checked_account(state, asset.index, &asset.instruments, self.margin, |i| {
                    marks[i.index()].mark()
                });
            let point = value.and_then(|(cash, holdings)| {
                let equity = cash.checked_add(holdings)?;
                let peak = asset.peak.map_or(equity, |peak| peak.max(equity));
                Some((cash, holdings, peak, peak.checked_sub(equity)?))
            });
            let Some((cash, holdings, peak, drawdown)) = point else {
                let name = &engine.keys().index.assets[asset.index.index()].asset;
                return Err(format!(
                    "the account's value in {} at {time} is beyond barter's decimal range \
                     (|x| < 2^96)",
                    name.name_internal
                ));
            };
            asset.peak = Some(peak);
            self.points.push(Point {
                asset: at,
                time,
                cash,
                holdings,
                drawdown,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    #[test]
    fn the_next_grid_time_is_one_step_away() {
        let minute = Duration::minutes(1);
        assert_eq!(next_after(at(0), minute, at(0)), at(60));
        assert_eq!(next_after(at(0), minute, at(59)), at(60));
        assert_eq!(next_after(at(0), minute, at(60)), at(120));
        assert_eq!(next_after(at(120), minute, at(60)), at(120));
        let ten_years = 10 * 365 * 86_400;
        assert_eq!(
            next_after(at(0), minute, at(ten_years + 1)),
            at(ten_years + 60)
        );
    }
}
