//! The simulated exchange's own view of one instrument's market: every trade's price (several
//! in one millisecond included, unlike barter's engine, which keeps the first) and the latest L1
//! book (or an L2 book's top, `exchange::depth`). Kept apart from matching and from whatever drives it (a replay, the `Engine`, a live
//! stream).

use crate::market;
use barter_data::books::Level;
use barter_data::event::DataKind;
use barter_data::subscription::candle::Candle;
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

/// The touch (spec §8), the one rule for every price an order meets or is valued at: for a Buy
/// the best ask, for a Sell the best bid, of `book` (`(bid, ask)`); where that side is empty,
/// the `last` trade (asked for only then).
pub fn touch(
    side: Side,
    (bid, ask): (Option<Level>, Option<Level>),
    last: impl FnOnce() -> Option<Decimal>,
) -> Option<Touch> {
    let level = match side {
        Side::Buy => ask,
        Side::Sell => bid,
    };
    match level {
        Some(level) => Some(Touch {
            price: level.price,
            amount: Some(level.amount),
        }),
        None => last().map(|price| Touch {
            price,
            amount: None,
        }),
    }
}

/// A candle as the prices it went through, in order (spec §11): the open, the nearer of high
/// and low to the open, the other, the close. On a tie the low comes first, the order that
/// tries a long position's stop before its target. Compared exactly (the four were checked
/// exact when loaded), as `f64` differences can misjudge a tie.
pub fn path(candle: &Candle) -> [f64; 4] {
    let exact = |value: f64| market::exact(value).unwrap_or_default();
    let open = exact(candle.open);
    let high_first = exact(candle.high) - open < open - exact(candle.low);
    let (first, second) = if high_first {
        (candle.high, candle.low)
    } else {
        (candle.low, candle.high)
    };
    [candle.open, first, second, candle.close]
}

/// The mid of two prices; halved first where their sum is beyond barter's decimal range
/// (prices near its limit), where the last digit may then differ.
fn mid(bid: Decimal, ask: Decimal) -> Decimal {
    match bid.checked_add(ask) {
        Some(sum) => sum / Decimal::TWO,
        None => bid / Decimal::TWO + ask / Decimal::TWO,
    }
}

impl Quote {
    /// Take in one market event (trades, L1 books and candles, whose close is the last price;
    /// other kinds change nothing).
    pub fn update(&mut self, kind: &DataKind) {
        match kind {
            DataKind::Trade(trade) => self.print(trade.price, trade.amount),
            DataKind::Candle(candle) => self.print(candle.close, candle.volume),
            DataKind::OrderBookL1(book) => self.show(book.best_bid, book.best_ask),
            _ => {}
        }
    }

    /// The best bid and ask of a book: an L1 book's, or an L2 book's top (spec §12).
    pub fn show(&mut self, bid: Option<Level>, ask: Option<Level>) {
        self.bid = bid;
        self.ask = ask;
        self.had_l1 = true;
    }

    /// A trade at `price` of `amount` (as barter-data carries them): the last trade.
    pub fn print(&mut self, price: f64, amount: f64) {
        self.last = Some((price, amount));
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

    /// What a taker meets (`touch`): the latest L1 book once the instrument has had one, else
    /// the last trade.
    pub fn touch(&self, side: Side) -> Option<Touch> {
        let book = if self.had_l1 {
            (self.bid, self.ask)
        } else {
            (None, None)
        };
        touch(side, book, || self.last_trade().map(|(price, _)| price))
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
            (Some(bid), Some(ask)) if self.had_l1 => Some(mid(bid.price, ask.price)),
            _ => self.last_trade().map(|(price, _)| price),
        }
    }

    /// Whether the exchange has seen any price for the instrument.
    pub fn is_known(&self) -> bool {
        self.last.is_some() || self.seed.is_some() || self.bid.is_some() || self.ask.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mid_of_prices_near_barters_limit_does_not_overflow() {
        assert_eq!(mid(d("99"), d("100")), d("99.5"));
        let top = d("40000000000000000000000000000");
        assert_eq!(mid(top, top), top);
    }
    use barter_data::subscription::{book::OrderBookL1, trade::PublicTrade};

    fn d(text: &str) -> Decimal {
        text.parse().expect("a decimal")
    }

    fn trade(price: f64) -> DataKind {
        DataKind::Trade(PublicTrade {
            id: "1".into(),
            price,
            amount: 1.0,
            side: Side::Buy,
        })
    }

    /// An L1 book of `(price, amount)` levels, a side `None` when empty.
    fn book(bid: Option<(&str, &str)>, ask: Option<(&str, &str)>) -> DataKind {
        let level = |(price, amount)| Level::new(d(price), d(amount));
        DataKind::OrderBookL1(OrderBookL1 {
            last_update_time: Default::default(),
            best_bid: bid.map(level),
            best_ask: ask.map(level),
        })
    }

    fn price(quote: &Quote, side: Side) -> Option<Decimal> {
        quote.touch(side).map(|touch| touch.price)
    }

    #[test]
    fn the_touch_is_the_book_side_an_order_meets_else_the_last_trade() {
        let mut quote = Quote::default();
        assert_eq!(quote.touch(Side::Buy), None);
        quote = Quote::seeded(Some(d("95")));
        assert_eq!(price(&quote, Side::Buy), Some(d("95")));
        quote.update(&trade(100.0));
        let last = Touch {
            price: d("100"),
            amount: None,
        };
        assert_eq!(quote.touch(Side::Buy), Some(last));
        assert_eq!(quote.touch(Side::Sell), Some(last));
        quote.update(&book(Some(("99", "2")), Some(("101", "3"))));
        let ask = Touch {
            price: d("101"),
            amount: Some(d("3")),
        };
        assert_eq!(quote.touch(Side::Buy), Some(ask));
        assert_eq!(price(&quote, Side::Sell), Some(d("99")));
        // An empty side falls back to the last trade.
        quote.update(&book(Some(("99", "2")), None));
        assert_eq!(quote.touch(Side::Buy), Some(last));
    }

    #[test]
    fn a_candle_goes_to_the_nearer_extreme_first() {
        let candle = |open, high, low, close| Candle {
            close_time: Default::default(),
            open,
            high,
            low,
            close,
            volume: 1.0,
            trade_count: 1,
        };
        // 0.3 - 0.2 and 0.2 - 0.1 are a tie in decimals, not in f64: the low first.
        assert_eq!(path(&candle(0.2, 0.3, 0.1, 0.25)), [0.2, 0.1, 0.3, 0.25]);
        assert_eq!(
            path(&candle(100.0, 101.0, 95.0, 96.0)),
            [100.0, 101.0, 95.0, 96.0]
        );
        assert_eq!(
            path(&candle(100.0, 110.0, 99.0, 105.0)),
            [100.0, 99.0, 110.0, 105.0]
        );
        let mut quote = Quote::default();
        quote.update(&DataKind::Candle(candle(100.0, 101.0, 95.0, 96.0)));
        assert_eq!(quote.mark(), Some(d("96")));
    }

    #[test]
    fn the_mark_is_the_l1_mid_else_the_last_trade() {
        let mut quote = Quote::default();
        quote.update(&trade(100.0));
        assert_eq!(quote.mark(), Some(d("100")));
        quote.update(&book(Some(("99", "2")), Some(("102", "3"))));
        assert_eq!(quote.mark(), Some(d("100.5")));
        quote.update(&book(None, Some(("102", "3"))));
        assert_eq!(quote.mark(), Some(d("100")));
    }

    #[test]
    fn the_touch_rule_reads_the_last_trade_only_where_the_side_is_empty() {
        let ask = Some(Level::new(d("101"), d("3")));
        let unread = || -> Option<Decimal> { panic!("the last trade was read") };
        assert_eq!(
            touch(Side::Buy, (None, ask), unread).unwrap().price,
            d("101")
        );
        let last = || Some(d("100"));
        assert_eq!(
            touch(Side::Sell, (None, ask), last).unwrap().price,
            d("100")
        );
        assert_eq!(touch(Side::Sell, (None, ask), || None), None);
    }
}
