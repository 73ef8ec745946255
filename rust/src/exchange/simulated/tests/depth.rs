//! L2 books at the exchange (spec §12), rule by rule: takers walk the book, own fills consume
//! it until the feed changes the level, resting orders keep a queue position. Every expected
//! number is worked out by hand in the comments.

use super::*;
use crate::exchange::depth::position::{Function, Model};
use crate::market::data::SIDELESS_TRADE_ID;
use barter_data::books::OrderBook;
use barter_data::subscription::book::OrderBookEvent;

type Levels<'a> = &'a [(&'a str, &'a str)];

fn levels(levels: Levels<'_>) -> Vec<Level> {
    levels
        .iter()
        .map(|(price, amount)| Level::new(d(price), d(amount)))
        .collect()
}

/// Lot 0.01, tick 0.5, no minimum value.
const LOTS: Spec = Spec {
    tick_size: Decimal::from_parts(5, 0, 0, false, 1),
    lot_size: Decimal::from_parts(1, 0, 0, false, 2),
    min_notional: Decimal::ZERO,
};

fn queue(model: Model) -> Settings {
    Settings {
        queue: Some(model),
        ..settings()
    }
}

impl Run {
    /// An L2 event: a whole book (`snapshot`) or levels with their new amount (0 deletes).
    fn l2(&mut self, ms: i64, snapshot: bool, bids: Levels<'_>, asks: Levels<'_>) -> &mut Self {
        let book = OrderBook::new(0, Some(at(ms)), levels(bids), levels(asks));
        let event = if snapshot {
            OrderBookEvent::Snapshot(book)
        } else {
            OrderBookEvent::Update(book)
        };
        self.market_event(ms, DataKind::OrderBook(event))
    }

    /// A trade of `amount` at `price`, its aggressor `side` (`None`: unknown).
    fn print(&mut self, ms: i64, price: f64, amount: f64, side: Option<Side>) -> &mut Self {
        let trade = PublicTrade {
            id: match side {
                Some(_) => ms.to_string(),
                None => SIDELESS_TRADE_ID.into(),
            },
            price,
            amount,
            side: side.unwrap_or(BUY),
        };
        self.market_event(ms, DataKind::Trade(trade))
    }

    fn filled(&self, cid: &str) -> Decimal {
        self.order(cid).filled
    }
}

// --- takers walk the book --------------------------------------------------------------------

#[test]
fn a_market_order_walks_three_levels_one_fill_per_level() {
    let mut run = Run::new(fees("0.001", "0"), "0", "10000");
    run.l2(
        0,
        true,
        &[("99", "1")],
        &[("101", "1"), ("102", "2"), ("103", "5")],
    );
    run.market("m1", BUY, "3.5");
    // 1 at 101, 2 at 102, 0.5 at 103: 101 + 204 + 51.5 = 356.5; fees 0.001 of each:
    // 0.101 + 0.204 + 0.0515 = 0.3565; average 356.5 / 3.5 = 101.857142...
    assert_eq!(
        run.fills(),
        [
            (BUY, d("101"), d("1"), d("0.101")),
            (BUY, d("102"), d("2"), d("0.204")),
            (BUY, d("103"), d("0.5"), d("0.0515")),
        ]
    );
    let order = run.order("m1");
    assert_eq!(
        (order.status, order.notional, order.fees),
        (Status::Filled, d("356.5"), d("0.3565"))
    );
    assert_eq!(order.average_price(), Some(d("356.5") / d("3.5")));
    // usdt 10000 - 356.5 - 0.3565 = 9643.1435; btc 3.5.
    assert_eq!(run.balance(USDT), (d("9643.1435"), d("9643.1435")));
    assert_eq!(run.balance(BTC), (d("3.5"), d("3.5")));
    // A Sell meets the bids: 1 at 99; the rest (unlimited, a market order) at 99 too.
    run.market("m2", SELL, "1.5");
    assert_eq!(run.fills()[3..], [(SELL, d("99"), d("1.5"), d("0.1485"))]);
}

#[test]
fn what_the_book_does_not_hold_expires_under_displayed_volume_and_fok_is_all_or_nothing() {
    let displayed = Settings {
        fill_volume: FillVolume::Displayed,
        ..settings()
    };
    let mut run = Run::new(displayed, "0", "10000");
    run.l2(
        0,
        true,
        &[("99", "1")],
        &[("101", "1"), ("102", "2"), ("103", "5")],
    );
    // FOK for 4 within 102: only 1 + 2 = 3 there, nothing fills.
    run.limit("f1", BUY, "102", "4", FOK);
    let reason = "FillOrKill: only 3 in the book within its limit";
    assert_eq!(run.status("f1"), (Status::Expired, Some(reason)));
    assert!(run.fills().is_empty());
    // IOC for 4 within 102: 1 at 101, 2 at 102, the rest 1 expires.
    run.limit("i1", BUY, "102", "4", IOC);
    assert_eq!(run.filled("i1"), d("3"));
    let reason = "the rest (1) expired: only 3 in the book";
    assert_eq!(run.status("i1"), (Status::PartiallyFilled, Some(reason)));
    // A market order for 10: 101 and 102 are used up (the feed has not changed them): 5 at
    // 103, the rest 5 expires.
    run.market("m1", BUY, "10");
    assert_eq!(run.fills()[2..], [(BUY, d("103"), d("5"), d("0"))]);
    assert_eq!(run.filled("m1"), d("5"));
}

#[test]
fn unlimited_volume_fills_a_market_orders_rest_at_the_last_level_a_limit_never() {
    let mut run = Run::new(settings(), "0", "10000");
    run.l2(0, true, &[("99", "1")], &[("101", "1"), ("102", "2")]);
    // 1 at 101, then 2 at 102 and the 7 the book does not hold at 102 too.
    run.market("m1", BUY, "10");
    assert_eq!(
        run.fills(),
        [
            (BUY, d("101"), d("1"), d("0")),
            (BUY, d("102"), d("9"), d("0"))
        ]
    );
    // The book is used up; a feed update gives 102 a new amount of 1: a limit IOC for 3 at
    // 105 takes that 1 only.
    run.l2(1, false, &[], &[("102", "1")]);
    run.limit("l1", BUY, "105", "3", IOC);
    assert_eq!(run.filled("l1"), d("1"));
}

#[test]
fn a_walk_is_checked_affordable_at_its_walked_cost() {
    let mut run = Run::new(fees("0.01", "0"), "0", "306");
    run.l2(0, true, &[("99", "1")], &[("100", "1"), ("200", "1")]);
    // 100 + 200 = 300, fees 3: 303 of the 306 free (at the touch 2 x 100 x 1.01 would be 202).
    run.market("m1", BUY, "2");
    assert_eq!(run.filled("m1"), d("2"));
    assert_eq!(run.balance(USDT).0, d("3"));
    // One more at 200 x 1.01 = 202 is more than the 3 left: refused whole.
    run.l2(1, false, &[], &[("200", "5")]);
    run.market("m2", BUY, "1");
    assert_eq!(
        run.status("m2"),
        (Status::Refused, Some("needs 202.00 usdt, 3.00 usdt free"))
    );
}

// --- own liquidity is consumed ---------------------------------------------------------------

#[test]
fn own_fills_consume_a_level_until_the_feed_changes_its_amount() {
    let mut run = Run::new(settings(), "0", "10000");
    run.l2(0, true, &[("99", "1")], &[("101", "2"), ("102", "3")]);
    run.market("m1", BUY, "3"); // 2 at 101, 1 at 102: 101 is used up, 102 holds 2.
    run.market("m2", BUY, "1"); // 101 has nothing left: 1 at 102.
    assert_eq!(run.fills()[2], (BUY, d("102"), d("1"), d("0")));
    // An update of another level (99) changes nothing at 101 or 102.
    run.l2(1, false, &[("99", "4")], &[]);
    run.market("m3", BUY, "1"); // 102 holds 3 - 1 - 1 = 1.
    assert_eq!(run.fills()[3], (BUY, d("102"), d("1"), d("0")));
    // The feed sets 101 to 5: the feed's amount stands.
    run.l2(2, false, &[], &[("101", "5")]);
    run.market("m4", BUY, "1");
    assert_eq!(run.fills()[4], (BUY, d("101"), d("1"), d("0")));
    // The quote (and the mark) is the book's top as the feed shows it: mid (99 + 101) / 2.
    assert_eq!(
        run.exchange.quote(InstrumentIndex(0)).mark(),
        Some(d("100"))
    );
}

// --- queue position --------------------------------------------------------------------------

#[test]
fn risk_averse_queue_through_trades_and_decreases() {
    let mut run = Run::new(queue(Model::RiskAverse), "0", "10000");
    run.l2(0, true, &[("100", "5"), ("99", "3")], &[("101", "2")]);
    run.limit("b1", BUY, "100", "1", GTC);
    // 5 ahead when it came to rest.
    assert_eq!(run.order("b1").queue_ahead, Some(d("5")));
    run.print(1, 100.0, 2.0, Some(SELL)); // front 5 - 2 = 3
    run.l2(2, false, &[("100", "3")], &[]); // the trade's 2 left the level: min(3, 3) = 3
    run.l2(3, false, &[("100", "2")], &[]); // a cancel, taken as ahead: min(3, 2) = 2
    run.print(4, 100.0, 1.0, Some(BUY)); // a Buy aggressor meets the asks: no change
    run.print(5, 100.0, 1.5, Some(SELL)); // front 2 - 1.5 = 0.5
    assert!(run.fills().is_empty());
    run.print(6, 100.0, 1.0, Some(SELL)); // front 0.5 - 1 = -0.5: 0.5 fills at 100, maker
    assert_eq!(run.fills(), [(BUY, d("100"), d("0.5"), d("0"))]);
    run.print(7, 100.0, 0.7, Some(SELL)); // front 0 - 0.7: min(0.7, 0.5 left) = 0.5
    assert_eq!(run.fills()[1], (BUY, d("100"), d("0.5"), d("0")));
    assert_eq!(run.status("b1"), (Status::Filled, None));
    // 1 at 100: usdt 10000 - 100, btc 1; nothing reserved any more.
    assert_eq!(run.balance(USDT), (d("9900"), d("9900")));
    assert_eq!(run.balance(BTC), (d("1"), d("1")));
}

#[test]
fn probabilistic_power_two_queue_by_hand() {
    let model = Model::Probabilistic(Function::Power(2.0));
    let mut run = Run::listing(queue(model), Some(LOTS), "0", "10000");
    run.l2(0, true, &[("100", "6")], &[("101", "1")]);
    run.limit("b1", BUY, "100", "1", GTC); // front 6
    run.l2(1, false, &[("100", "10")], &[]); // grew (chg = 6 - 10 < 0): front min(6, 10) = 6
    run.print(2, 100.0, 2.0, Some(SELL)); // front 4; 2 traded at the price
                                          // 10 -> 5: chg = 10 - 5 - 2 = 3 cancelled; back = 10 - 4 = 6; p = 6² / (6² + 4²) = 9/13;
                                          // front = 4 - (4/13)·3 + min(6 - (9/13)·3, 0) = 40/13 ≈ 3.077.
    run.l2(3, false, &[("100", "5")], &[]);
    run.print(4, 100.0, 3.0, Some(SELL)); // front 40/13 - 3 = 1/13: nothing yet
    assert!(run.fills().is_empty());
    // front 1/13 - 1 = -12/13 ≈ -0.923: 0.92 fills (rounded down to the lot 0.01).
    run.print(5, 100.0, 1.0, Some(SELL));
    assert_eq!(run.fills(), [(BUY, d("100"), d("0.92"), d("0"))]);
    assert_eq!(run.status("b1").0, Status::Open);
}

#[test]
fn probabilistic_log_queue_by_hand() {
    let model = Model::Probabilistic(Function::Log);
    let mut run = Run::listing(queue(model), Some(LOTS), "0", "10000");
    run.l2(0, true, &[("100", "3")], &[("101", "1")]);
    run.limit("b1", BUY, "100", "1", GTC); // front 3
    run.l2(1, false, &[("100", "10")], &[]); // grew: front 3, the level 10 (back 7)
                                             // 10 -> 6: chg 4; p = ln 8 / (ln 8 + ln 4) = 3/5; front = 3 - (2/5)·4 + min(7 - 12/5, 0)
                                             // = 1.4.
    run.l2(2, false, &[("100", "6")], &[]);
    run.print(3, 100.0, 2.0, Some(SELL)); // front 1.4 - 2 = -0.6: 0.6 fills
    assert_eq!(run.fills(), [(BUY, d("100"), d("0.6"), d("0"))]);
}

#[test]
fn a_sideless_trade_counts_against_both_sides_queues() {
    let mut run = Run::new(queue(Model::RiskAverse), "1", "10000");
    run.l2(0, true, &[("100", "1")], &[("101", "1")]);
    run.limit("b1", BUY, "100", "1", GTC)
        .limit("s1", SELL, "101", "1", GTC);
    run.print(1, 100.0, 2.0, None); // the Buy's front 1 - 2 = -1: it fills 1
    run.print(2, 101.0, 1.5, None); // the Sell's front 1 - 1.5 = -0.5: it sells 0.5
    assert_eq!(
        run.fills(),
        [
            (BUY, d("100"), d("1"), d("0")),
            (SELL, d("101"), d("0.5"), d("0"))
        ]
    );
}

#[test]
fn a_queue_fill_is_rounded_down_to_the_lot_and_the_rest_waits() {
    let mut run = Run::listing(queue(Model::RiskAverse), Some(LOTS), "0", "10000");
    run.l2(0, true, &[("100", "1")], &[("101", "1")]);
    run.limit("b1", BUY, "100", "1", GTC);
    // front 1 - 1.005 = -0.005: below a lot, nothing fills and front stays -0.005.
    run.print(1, 100.0, 1.005, Some(SELL));
    assert!(run.fills().is_empty());
    // -0.005 - 0.1 = -0.105: 0.105 rounds down to 0.10, within the trade's 0.1: 0.1 fills.
    run.print(2, 100.0, 0.1, Some(SELL));
    assert_eq!(run.fills(), [(BUY, d("100"), d("0.1"), d("0"))]);
    // front 0 - 0.019 = -0.019: 0.01 fills.
    run.print(3, 100.0, 0.019, Some(SELL));
    assert_eq!(run.fills()[1], (BUY, d("100"), d("0.01"), d("0")));
}

#[test]
fn a_trade_at_the_price_is_shared_among_own_orders_not_given_twice() {
    let mut run = Run::new(queue(Model::RiskAverse), "0", "10000");
    run.l2(0, true, &[("99", "1")], &[("101", "1")]);
    // No level at 100: nothing ahead of either.
    run.limit("b1", BUY, "100", "1", GTC)
        .limit("b2", BUY, "100", "1", GTC);
    assert_eq!(run.order("b2").queue_ahead, Some(d("0")));
    run.print(1, 100.0, 1.5, Some(SELL)); // b1 takes 1 of the 1.5, b2 the 0.5 left
    assert_eq!((run.filled("b1"), run.filled("b2")), (d("1"), d("0.5")));
}

#[test]
fn a_queued_order_fills_whole_when_a_trade_goes_through_it_or_the_ask_reaches_it() {
    let mut run = Run::new(queue(Model::RiskAverse), "0", "10000");
    run.l2(0, true, &[("100", "5")], &[("101", "1")]);
    run.limit("b1", BUY, "100", "1", GTC);
    run.print(1, 99.5, 0.1, Some(SELL)); // through b1's price: it fills whole (unlimited)
    assert_eq!(run.status("b1").0, Status::Filled);
    run.limit("b2", BUY, "100", "1", GTC); // 5 ahead
    run.l2(2, false, &[("100", "0")], &[("100", "3")]); // the best ask comes down to 100
    assert_eq!(run.status("b2").0, Status::Filled);
}

#[test]
fn a_level_beyond_a_snapshots_depth_keeps_the_queue() {
    let mut run = Run::new(queue(Model::RiskAverse), "0", "10000");
    run.l2(0, true, &[("100", "1"), ("99", "4")], &[("101", "1")]);
    run.limit("b1", BUY, "99", "1", GTC); // front 4
                                          // A 1-level snapshot says nothing of 99: the queue stays 4 (a trade of 3 leaves 1).
    run.l2(1, true, &[("100", "1")], &[("101", "1")]);
    run.print(2, 99.0, 3.0, Some(SELL));
    // An update removing 99 leaves nothing ahead: min(1, 0) = 0; a trade of 0.5 fills 0.5.
    run.l2(3, false, &[("99", "0")], &[]);
    run.print(4, 99.0, 0.5, Some(SELL));
    assert_eq!(run.fills(), [(BUY, d("99"), d("0.5"), d("0"))]);
}

#[test]
fn a_queue_model_without_l2_warns_once_per_instrument_and_falls_back_to_limit_fill() {
    let mut run = Run::new(queue(Model::RiskAverse), "0", "10000");
    run.trade(0, 100.0);
    run.limit("b1", BUY, "99", "1", GTC)
        .limit("b2", BUY, "98", "1", GTC);
    let warnings: Vec<&str> = run.exchange.warnings().collect();
    assert_eq!(
        warnings,
        [
            "queue=\"risk_averse\": no L2 book for okx:btc_usdt when an order came to rest: its \
          resting orders fill by limit_fill instead"
        ]
    );
    assert_eq!(run.order("b1").queue_ahead, None);
    run.trade(1, 98.5); // through 99 (limit_fill="through"): b1 fills
    assert_eq!(run.status("b1").0, Status::Filled);
}
