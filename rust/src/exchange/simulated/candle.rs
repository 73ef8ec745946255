//! A candle at the simulated exchange (spec §11): four prices in order (`market::path`), each
//! a trade print that resting orders meet, the candle's volume shared among them. What was
//! sent since the instrument's last price reaches the market after the open: an order sent at
//! a candle's close trades at the next candle's open, as backtesting.py fills at the next
//! bar's open, whatever the latency (a candle has no times inside it).

use super::{Check, Event, Simulated};
use crate::exchange::market;
use crate::market::exact;
use barter_data::subscription::candle::Candle;
use barter_instrument::instrument::InstrumentIndex;

impl Simulated {
    pub(super) fn candle(
        &mut self,
        instrument: InstrumentIndex,
        candle: &Candle,
        check: &mut Check<'_>,
        out: &mut Vec<Event>,
    ) {
        let volume = exact(candle.volume).unwrap_or_default();
        let mut left = [Some(volume), Some(volume)];
        for (step, price) in market::path(candle).into_iter().enumerate() {
            self.quotes[instrument.index()].print(price, candle.volume);
            if !self.conditional.is_empty() {
                // Each price in turn: the candle triggers at the first that reaches a trigger.
                self.trigger_print(instrument, check, out);
            }
            if !self.resting.is_empty() {
                if step == 0 {
                    self.expire_days(out);
                }
                let price = exact(price).unwrap_or_default();
                let offers = left.map(|amount| amount.map(|amount| (price, amount)));
                left = self.cross_offers(instrument, self.now, offers, false, false, out);
            }
            if step == 0 {
                self.release(instrument, check, out);
            }
        }
        self.after_candle[instrument.index()] = true;
    }
}
