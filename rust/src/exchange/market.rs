//! The simulated exchange's own view of one instrument's market: every trade's price (several
//! in one millisecond included, unlike barter's engine, which keeps the first) and the latest L1
//! book. Kept apart from matching and from whatever drives it (a replay, the `Engine`, a live
//! stream).

use crate::market;
use barter_data::books::Level;
use barter_data::event::DataKind;
use barter_instrument::Side;
use rust_decimal::Decimal;

/// The market of one instrument as the exchange last saw it.
#[derive(Debug, Clone, Default)]
pub struct Quote {
    /// The last trade, as barter-data carries it (`f64`): made exact only when read, so that a
    /// replay pays for the conversion only where an order or the mark needs it.
    last: Option<(f64, f64)>,
    bid: Option<Level>,
    ask: Option<Level>,
    /// Whether an L1 book has been seen: from then on the book, not trades, is the touch.
    had_l1: bool,
    /// The price a snapshot gave the instrument (the `Engine`'s book), until a trade comes.
    seed: Option<Decimal>,
}

/// The price an order meets on one side, with the amount shown there when a book shows one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Touch {
    pub price: Decimal,
    pub amount: Option<Decimal>,
}

impl Quote {
    /// Take in one market event (trades and L1 books; other kinds change nothing).
    pub fn update(&mut self, kind: &DataKind) {
        match kind {
            DataKind::Trade(trade) => self.last = Some((trade.price, trade.amount)),
            DataKind::OrderBookL1(book) => {
                self.bid = book.best_bid;
                self.ask = book.best_ask;
                self.had_l1 = true;
            }
            _ => {}
        }
    }

    /// A quote priced by a snapshot before any market event.
    pub fn seeded(price: Option<Decimal>) -> Self {
        Self {
            seed: price,
            ..Self::default()
        }
    }

    /// The last trade's price and amount, exact (a snapshot's price, amount 0, before any).
    pub fn last_trade(&self) -> Option<(Decimal, Decimal)> {
        match self.last {
            Some((price, amount)) => {
                Some((market::exact(price).ok()?, market::exact(amount).ok()?))
            }
            None => self.seed.map(|price| (price, Decimal::ZERO)),
        }
    }

    /// The best bid and ask of the latest L1 book.
    pub fn book(&self) -> (Option<Level>, Option<Level>) {
        (self.bid, self.ask)
    }

    /// What a taker meets: for a Buy the best ask once the instrument has had an L1 book (an
    /// empty side falls back to the last trade), else the last trade; a Sell the bid.
    pub fn touch(&self, side: Side) -> Option<Touch> {
        let level = match side {
            Side::Buy => self.ask,
            Side::Sell => self.bid,
        };
        match level.filter(|_| self.had_l1) {
            Some(level) => Some(Touch {
                price: level.price,
                amount: Some(level.amount),
            }),
            None => self.last_trade().map(|(price, _)| Touch {
                price,
                amount: None,
            }),
        }
    }

    /// Take `quantity` off the amount the latest book shows on the side a `side` order meets
    /// (a fill under displayed volume): until the next book, it is not offered again.
    pub fn consume(&mut self, side: Side, quantity: Decimal) {
        let level = match side {
            Side::Buy => &mut self.ask,
            Side::Sell => &mut self.bid,
        };
        if let Some(level) = level.as_mut() {
            level.amount = (level.amount - quantity).max(Decimal::ZERO);
        }
    }

    /// The mark: the L1 mid once the instrument has had a book with both sides, else the last
    /// trade.
    pub fn mark(&self) -> Option<Decimal> {
        match (self.bid, self.ask) {
            (Some(bid), Some(ask)) if self.had_l1 => Some((bid.price + ask.price) / Decimal::TWO),
            _ => self.last_trade().map(|(price, _)| price),
        }
    }

    /// Whether the exchange has seen any price for the instrument.
    pub fn is_known(&self) -> bool {
        self.last.is_some() || self.seed.is_some() || self.bid.is_some() || self.ask.is_some()
    }
}
