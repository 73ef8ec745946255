//! Conditional orders on the exchange (spec §13), rule by rule, on trades and on L1 books; the
//! arithmetic of every expected number is in the comments.

use super::*;
use crate::exchange::conditional::{Kind, Offset, Placement, TriggerOn};

type Spec = crate::exchange::conditional::Indexed;

/// A conditional order of `quantity` on the test instrument, watching trades.
fn order(cid: &str, side: Side, kind: Kind, trigger: Option<&str>, quantity: &str) -> Spec {
    Spec {
        quantity: d(quantity),
        ..crate::exchange::conditional::tests::spec(cid, side, kind, trigger)
    }
}

fn stop(cid: &str, side: Side, trigger: &str, quantity: &str) -> Spec {
    order(cid, side, Kind::Stop, Some(trigger), quantity)
}

fn take_profit(cid: &str, side: Side, trigger: &str, quantity: &str) -> Spec {
    order(cid, side, Kind::TakeProfit, Some(trigger), quantity)
}

impl Run {
    fn place(&mut self, placement: Placement) -> &mut Self {
        self.exchange.place(placement, &mut approve, &mut self.out);
        self
    }

    fn one(&mut self, spec: Spec) -> &mut Self {
        self.place(Placement::One(spec))
    }

    /// The trigger an order reached (or holds) and whether it has triggered.
    fn triggered(&self, cid: &str) -> (Option<Decimal>, bool) {
        let condition = self
            .order(cid)
            .condition
            .as_ref()
            .expect("a conditional order");
        (condition.trigger, condition.time_triggered.is_some())
    }
}

#[test]
fn a_sell_stop_triggers_at_or_below_its_trigger_and_fills_at_the_touch() {
    let mut run = Run::new(settings(), "2", "0");
    run.trade(0, 100.0).one(stop("s", SELL, "95", "1"));
    // 96 > 95: nothing; 95 <= 95: a market Sell of 1 at the last trade, 95.
    run.trade(1, 96.0);
    assert_eq!(run.status("s"), (Status::Open, None));
    run.trade(2, 95.0);
    assert_eq!(run.status("s"), (Status::Filled, None));
    assert_eq!(run.triggered("s"), (Some(d("95")), true));
    assert_eq!(run.fills(), [(SELL, d("95"), d("1"), d("0"))]);
    // btc 2 - 1, usdt 0 + 95.
    assert_eq!(run.balance(BTC).0, d("1"));
    assert_eq!(run.balance(USDT).0, d("95"));
    assert_eq!(run.order("s").request.kind, OrderKind::Market);
}

#[test]
fn a_gap_below_a_stop_fills_at_the_touch_not_at_the_trigger() {
    let mut run = Run::new(settings(), "1", "0");
    run.trade(0, 100.0).one(stop("s", SELL, "95", "1"));
    // The market gaps from 100 to 90: the stop triggers, and its market Sell meets 90.
    run.trade(1, 90.0);
    assert_eq!(run.fills(), [(SELL, d("90"), d("1"), d("0"))]);
    assert_eq!(run.order("s").average_price(), Some(d("90")));
}

#[test]
fn a_buy_stop_triggers_at_or_above_and_a_buy_take_profit_at_or_below() {
    let mut run = Run::new(settings(), "0", "1000");
    run.trade(0, 100.0);
    run.one(stop("up", BUY, "105", "1"));
    run.one(take_profit("down", BUY, "90", "1"));
    // 104: neither; 105 >= 105: the stop buys 1 at 105 (usdt 1000 - 105 = 895).
    run.trade(1, 104.0).trade(2, 105.0);
    assert_eq!(run.status("up").0, Status::Filled);
    assert_eq!(run.status("down").0, Status::Open);
    // 90 <= 90: the take-profit buys 1 at 90 (895 - 90 = 805).
    run.trade(3, 90.0);
    assert_eq!(run.status("down").0, Status::Filled);
    assert_eq!(run.balance(USDT).0, d("805"));
}

#[test]
fn a_sell_take_profit_on_quotes_watches_the_bid_and_fills_there() {
    let mut run = Run::new(settings(), "1", "0");
    run.book(0, ("100", "5"), ("101", "5"));
    let mut tp = take_profit("tp", SELL, "110", "1");
    tp.trigger_on = TriggerOn::Quote;
    run.one(tp);
    // The ask reaching 110 does not trigger a Sell (it watches the bid): bid 109 < 110.
    run.book(1, ("109", "5"), ("111", "5"));
    assert_eq!(run.status("tp").0, Status::Open);
    // bid 110 >= 110: a market Sell at the bid, 110.
    run.book(2, ("110", "5"), ("111", "5"));
    assert_eq!(run.fills(), [(SELL, d("110"), d("1"), d("0"))]);
}

#[test]
fn a_stop_limit_becomes_a_resting_good_until_cancelled_limit() {
    let mut run = Run::new(settings(), "1", "0");
    let mut spec = stop("sl", SELL, "95", "1");
    spec.limit = Some(d("94"));
    run.trade(0, 100.0).one(spec);
    // 93 <= 95 triggers a Sell limit at 94; the touch 93 is below it: not marketable, it rests.
    run.trade(1, 93.0);
    let record = run.order("sl");
    assert_eq!(record.request.kind, OrderKind::Limit);
    assert_eq!(record.request.time_in_force, GTC);
    assert_eq!(record.status, Status::Open);
    assert!(run.exchange.has_resting());
    // A trade at 95, strictly above 94, crosses it: filled at its limit, 94.
    run.trade(2, 95.0);
    assert_eq!(run.fills(), [(SELL, d("94"), d("1"), d("0"))]);
}

#[test]
fn a_trailing_stop_follows_the_best_price_and_never_moves_back() {
    let mut run = Run::new(settings(), "1", "0");
    let mut spec = order("t", SELL, Kind::TrailingStop, None, "1");
    spec.offset = Some(Offset::Price(d("5")));
    run.trade(0, 100.0).one(spec);
    // From 100: trigger 100 - 5 = 95.
    assert_eq!(run.triggered("t"), (None, false));
    let trigger = |run: &Run| run.exchange.conditional().held().next().unwrap().1.trigger;
    assert_eq!(trigger(&run), Some(d("95")));
    // 104 is a new best: 104 - 5 = 99. 102 is not: it stays 99 (never back to 97).
    run.trade(1, 104.0);
    assert_eq!(trigger(&run), Some(d("99")));
    run.trade(2, 102.0);
    assert_eq!(trigger(&run), Some(d("99")));
    // 99 <= 99: triggered, a market Sell at 99.
    run.trade(3, 99.0);
    assert_eq!(run.triggered("t"), (Some(d("99")), true));
    assert_eq!(run.fills(), [(SELL, d("99"), d("1"), d("0"))]);
}

#[test]
fn a_buy_trailing_stop_in_basis_points_follows_the_lowest_price() {
    let mut run = Run::new(settings(), "0", "1000");
    let mut spec = order("t", BUY, Kind::TrailingStop, None, "1");
    spec.offset = Some(Offset::Bps(d("100")));
    // From 200: 200 x 100 / 10^4 = 2, trigger 202. At 150: 1.5, trigger 151.5.
    run.trade(0, 200.0).one(spec);
    run.trade(1, 150.0);
    // 151 < 151.5: nothing; 151.5 >= 151.5: a market Buy at 151.5.
    run.trade(2, 151.0);
    assert_eq!(run.status("t").0, Status::Open);
    run.trade(3, 151.5);
    assert_eq!(run.fills(), [(BUY, d("151.5"), d("1"), d("0"))]);
}

#[test]
fn a_trigger_already_reached_at_placement_triggers_at_once_unless_strict() {
    let mut run = Run::new(settings(), "2", "0");
    run.trade(0, 100.0);
    // A Sell stop at 105 with the market at 100: already reached.
    let mut strict = stop("strict", SELL, "105", "1");
    strict.strict = true;
    run.one(strict);
    let (status, reason) = run.status("strict");
    assert_eq!(status, Status::Refused);
    assert_eq!(
        reason,
        Some("strict: the trigger 105 is already reached (the market is at 100)")
    );
    run.one(stop("loose", SELL, "105", "1"));
    assert_eq!(run.fills(), [(SELL, d("100"), d("1"), d("0"))]);
}

#[test]
fn reduce_only_cuts_what_a_trigger_sends_to_the_position_and_sends_nothing_when_flat() {
    let mut run = Run::new(settings(), "1", "0");
    let mut spec = stop("r", SELL, "95", "3");
    spec.reduce_only = true;
    run.trade(0, 100.0).one(spec);
    // Holding 1 btc: the stop of 3 sells min(3, 1) = 1.
    run.trade(1, 95.0);
    assert_eq!(run.order("r").request.quantity, d("1"));
    assert_eq!(run.fills(), [(SELL, d("95"), d("1"), d("0"))]);
    // Flat now: a reduce-only Sell sends nothing.
    let mut flat = stop("flat", SELL, "90", "1");
    flat.reduce_only = true;
    run.one(flat).trade(2, 89.0);
    assert_eq!(
        run.status("flat"),
        (
            Status::Expired,
            Some("reduce_only: no position to reduce when it triggered")
        )
    );
}

#[test]
fn a_cancel_by_cid_cancels_an_untriggered_order() {
    let mut run = Run::new(settings(), "1", "0");
    run.trade(0, 100.0).one(stop("s", SELL, "95", "1"));
    run.cancel("s");
    assert_eq!(run.last_cancel(), Ok(()));
    assert_eq!(
        run.status("s"),
        (Status::Cancelled, Some("cancelled by request"))
    );
    run.trade(1, 90.0);
    assert!(run.fills().is_empty());
}

#[test]
fn one_leg_of_a_pair_triggering_cancels_the_other() {
    let mut run = Run::new(settings(), "1", "0");
    run.trade(0, 100.0);
    run.place(Placement::Linked {
        entry: None,
        legs: vec![
            stop("sl", SELL, "95", "1"),
            take_profit("tp", SELL, "110", "1"),
        ],
    });
    // 110 >= 110: the take-profit sells 1 at 110; the stop is cancelled.
    run.trade(1, 110.0);
    assert_eq!(run.status("tp").0, Status::Filled);
    assert_eq!(
        run.status("sl"),
        (
            Status::Cancelled,
            Some("cancelled: the other leg tp triggered")
        )
    );
    run.trade(2, 90.0);
    assert_eq!(run.fills().len(), 1);
}

#[test]
fn a_brackets_legs_cover_what_its_entry_filled_and_grow_with_later_fills() {
    let displayed = Settings {
        fill_volume: FillVolume::Displayed,
        ..settings()
    };
    let mut run = Run::new(displayed, "0", "1000");
    run.trade(0, 101.0);
    let mut legs = vec![
        stop("e-sl", SELL, "95", "0"),
        take_profit("e-tp", SELL, "110", "0"),
    ];
    legs.iter_mut().for_each(|leg| leg.quantity = Decimal::ZERO);
    run.place(Placement::Linked {
        entry: Some(ClientOrderId::new("e")),
        legs,
    });
    // The entry: a resting Buy of 2 at 100. Untriggered legs wait with quantity 0.
    run.limit("e", BUY, "100", "2", GTC);
    run.trade(1, 99.0);
    // A trade of amount 1 strictly below 100 fills 1 of the entry at 100: the legs cover 1.
    assert_eq!(run.order("e").filled, d("1"));
    assert_eq!(run.order("e-sl").request.quantity, d("1"));
    run.trade(2, 99.0);
    // The second unit: the legs cover 2.
    assert_eq!(run.order("e-tp").request.quantity, d("2"));
    // 94 <= 95: the stop sells 2 at 94 (a trade of amount 1 does not limit a market order);
    // the take-profit is cancelled. usdt 1000 - 200 + 188 = 988.
    run.trade(3, 94.0);
    assert_eq!(run.order("e-sl").filled, d("2"));
    assert_eq!(run.status("e-tp").0, Status::Cancelled);
    assert_eq!(run.balance(USDT).0, d("988"));
}

#[test]
fn the_risk_manager_checks_what_a_trigger_sends() {
    let mut run = Run::new(settings(), "1", "0");
    run.trade(0, 100.0).one(stop("s", SELL, "95", "1"));
    let mut refuse = |_: &OrderRequestOpen<ExchangeIndex, InstrumentIndex>| {
        Err("order notional 95 above max_order_notional 50".to_string())
    };
    let event = MarketEvent {
        time_exchange: at(1),
        time_received: at(1),
        exchange: ExchangeId::Okx,
        instrument: InstrumentIndex(0),
        kind: DataKind::Trade(barter_data::subscription::trade::PublicTrade {
            id: "1".into(),
            price: 95.0,
            amount: 1.0,
            side: BUY,
        }),
    };
    run.exchange.on_market(&event, &mut refuse, &mut run.out);
    assert_eq!(
        run.status("s"),
        (
            Status::Refused,
            Some("risk manager refused it: order notional 95 above max_order_notional 50")
        )
    );
    assert!(run.fills().is_empty());
}

#[test]
fn a_duplicate_cid_is_refused() {
    let mut run = Run::new(settings(), "2", "0");
    run.trade(0, 100.0).one(stop("s", SELL, "95", "1"));
    run.one(stop("s", SELL, "90", "1"));
    assert_eq!(
        run.status("s"),
        (Status::Refused, Some("an open order already has cid s"))
    );
}

#[test]
fn untriggered_orders_on_their_way_expire_when_the_data_ends() {
    let late = Settings {
        latency: Latency::constant(100, 0),
        ..settings()
    };
    let mut run = Run::new(late, "1", "0");
    run.trade(0, 100.0).one(stop("s", SELL, "95", "1"));
    run.exchange.end(&mut run.out);
    assert_eq!(run.status("s").0, Status::Expired);
}

#[test]
fn a_candle_triggers_at_the_first_of_its_four_prices_that_reaches_the_trigger() {
    let candle = |open, high, low, close| {
        DataKind::Candle(barter_data::subscription::candle::Candle {
            close_time: at(1),
            open,
            high,
            low,
            close,
            volume: 10.0,
            trade_count: 1,
        })
    };
    let mut run = Run::new(settings(), "2", "0");
    run.trade(0, 100.0);
    run.one(stop("sl", SELL, "95", "1"));
    run.one(take_profit("tp", SELL, "105", "1"));
    // Open 100, high 106, low 94: a tie (6 each way) goes to the low first: 100, 94, 106,
    // 101. 94 reaches the stop (a market Sell at 94), then 106 the take-profit (at 106).
    run.market_event(1, candle(100.0, 106.0, 94.0, 101.0));
    assert_eq!(
        run.fills(),
        [
            (SELL, d("94"), d("1"), d("0")),
            (SELL, d("106"), d("1"), d("0"))
        ]
    );
}
