//! Each limit refuses what breaks it, naming the limit, and passes what does not; driven
//! directly through barter's `RiskManager::check` on an engine state of one instrument
//! (`okx:btc_usdt`, spot). Every expected number is worked out by hand in the comments.

use super::*;
use crate::book::state::{instrument, position, Book};
use crate::risk::Settings;
use barter::Timed;
use barter_data::books::Level;
use barter_execution::order::{
    id::{ClientOrderId, OrderId, StrategyId},
    request::RequestCancel,
    state::{ActiveOrderState, Open},
    Order, OrderKey, TimeInForce,
};
use barter_instrument::exchange::{ExchangeId, ExchangeIndex};
use barter_instrument::instrument::name::InstrumentNameInternal;
use chrono::{DateTime, TimeZone, Utc};

const BUY: Side = Side::Buy;
const SELL: Side = Side::Sell;

fn d(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

fn time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

/// The engine's state of `okx:btc_usdt`, with no market, position or order.
fn state() -> State {
    let btc = instrument(ExchangeId::Okx, "btc_usdt", "btc", "usdt");
    let data = DefaultInstrumentMarketData::default();
    let book = Book::assemble(vec![btc], &[data], time()).expect("one instrument");
    book.state
}

fn btc(state: &mut State) -> &mut Instrument {
    state
        .instruments
        .0
        .values_mut()
        .next()
        .expect("one instrument")
}

/// The state with a last trade at `price`.
fn traded(price: &str) -> State {
    let mut state = state();
    btc(&mut state).data.last_traded_price = Some(Timed::new(d(price), time()));
    state
}

/// `state` with an L1 book of `(price, amount)` levels.
fn with_book(mut state: State, bid: (&str, &str), ask: (&str, &str)) -> State {
    let l1 = &mut btc(&mut state).data.l1;
    l1.best_bid = Some(Level::new(d(bid.0), d(bid.1)));
    l1.best_ask = Some(Level::new(d(ask.0), d(ask.1)));
    state
}

/// `state` holding a position of `quantity` (signed) at 100.
fn holding(mut state: State, quantity: &str) -> State {
    let quantity = d(quantity);
    let side = if quantity.is_sign_negative() {
        SELL
    } else {
        BUY
    };
    let at = InstrumentIndex(0);
    let held = position(at, side, quantity.abs(), d("100"), time());
    btc(&mut state).position.current = Some(held);
    state
}

fn key(cid: &str) -> OrderKey {
    OrderKey {
        exchange: ExchangeIndex(0),
        instrument: InstrumentIndex(0),
        strategy: StrategyId::new("test"),
        cid: ClientOrderId::new(cid),
    }
}

/// `state` with a resting limit Buy of `quantity` at 100, `filled` of it filled.
fn resting(mut state: State, cid: &str, quantity: &str, filled: &str) -> State {
    let order = Order {
        key: key(cid),
        side: BUY,
        price: d("100"),
        quantity: d(quantity),
        kind: OrderKind::Limit,
        time_in_force: TimeInForce::GoodUntilCancelled { post_only: false },
        state: ActiveOrderState::Open(Open::new(OrderId::new("1"), time(), d(filled))),
    };
    btc(&mut state)
        .orders
        .0
        .insert(ClientOrderId::new(cid), order);
    state
}

fn open(cid: &str, side: Side, kind: OrderKind, price: &str, quantity: &str) -> OrderRequestOpen {
    let state = RequestOpen {
        side,
        price: d(price),
        quantity: d(quantity),
        kind,
        time_in_force: TimeInForce::ImmediateOrCancel,
    };
    OrderRequestOpen {
        key: key(cid),
        state,
    }
}

fn limit(cid: &str, side: Side, price: &str, quantity: &str) -> OrderRequestOpen {
    open(cid, side, OrderKind::Limit, price, quantity)
}

fn market(cid: &str, side: Side, named_price: &str, quantity: &str) -> OrderRequestOpen {
    open(cid, side, OrderKind::Market, named_price, quantity)
}

fn notional(limit: &str) -> Limits {
    Limits {
        max_order_notional: Some(CheckHigherThan::new(d(limit))),
        ..Limits::default()
    }
}

fn deviation(limit: &str) -> Limits {
    Limits {
        max_price_deviation: Some(CheckHigherThan::new(d(limit))),
        ..Limits::default()
    }
}

fn position_limit(limit: &str) -> Limits {
    Limits {
        max_position_quantity: vec![Some(CheckHigherThan::new(d(limit)))],
        ..Limits::default()
    }
}

/// What `limits` says of each of `opens`, checked as one batch: `Ok` or the refusal's reason.
fn verdicts(limits: &Limits, state: &State, opens: &[OrderRequestOpen]) -> Vec<Result<(), String>> {
    let (_, approved, _, refused) = limits.check(state, std::iter::empty(), opens.to_vec());
    let approved: Vec<ClientOrderId> = approved.into_iter().map(|a| a.0.key.cid).collect();
    let mut refused: Vec<_> = refused
        .into_iter()
        .map(|refused| (refused.item.key.cid, refused.reason))
        .collect();
    let verdict = |open: &OrderRequestOpen| {
        if approved.contains(&open.key.cid) {
            return Ok(());
        }
        let at = refused.iter().position(|(cid, _)| *cid == open.key.cid);
        Err(refused.remove(at.expect("approved or refused")).1)
    };
    opens.iter().map(verdict).collect()
}

fn ok(n: usize) -> Vec<Result<(), String>> {
    vec![Ok(()); n]
}

#[test]
fn without_limits_every_order_passes_even_with_no_market() {
    let opens = [market("m", BUY, "1", "1000000"), limit("l", SELL, "1", "5")];
    assert_eq!(verdicts(&Limits::default(), &state(), &opens), ok(2));
}

#[test]
fn max_order_notional_values_a_limit_order_at_its_price() {
    // 10 x 100 = 1000 is not above 1000; 10 x 100.01 = 1000.10 is.
    let opens = [
        limit("a", BUY, "100", "10"),
        limit("b", BUY, "100.01", "10"),
    ];
    assert_eq!(
        verdicts(&notional("1000"), &traded("100"), &opens),
        [
            Ok(()),
            Err("order notional 1000.10 usdt above max_order_notional 1000".into())
        ]
    );
}

#[test]
fn max_order_notional_values_a_market_order_at_the_touch_not_its_named_price() {
    // The touch: a Buy meets the ask 101 (10 x 101 = 1010), a Sell the bid 99 (990).
    let state = with_book(traded("100"), ("99", "1"), ("101", "1"));
    let opens = [
        market("buy", BUY, "1", "10"),
        market("sell", SELL, "1000000", "10"),
    ];
    assert_eq!(
        verdicts(&notional("1000"), &state, &opens),
        [
            Err("order notional 1010 usdt above max_order_notional 1000".into()),
            Ok(())
        ]
    );
}

#[test]
fn max_order_notional_without_a_book_side_values_a_market_order_at_the_last_trade() {
    // No book: the last trade, 100 (10 x 100 = 1000 passes, 11 x 100 = 1100 does not).
    let opens = [market("a", BUY, "1", "10"), market("b", BUY, "1", "11")];
    let refused = "order notional 1100 usdt above max_order_notional 1000";
    let expected = [Ok(()), Err(refused.to_string())];
    assert_eq!(
        verdicts(&notional("1000"), &traded("100"), &opens),
        expected
    );
    // A book with no ask: a Buy still meets the last trade.
    let mut state = with_book(traded("100"), ("99", "1"), ("101", "1"));
    btc(&mut state).data.l1.best_ask = None;
    assert_eq!(verdicts(&notional("1000"), &state, &opens), expected);
}

#[test]
fn max_order_notional_refuses_a_market_order_it_cannot_value() {
    let opens = [market("m", BUY, "1", "1")];
    let reason = "no price to value the market order against max_order_notional 1000";
    assert_eq!(
        verdicts(&notional("1000"), &state(), &opens),
        [Err(reason.into())]
    );
}

#[test]
fn max_price_deviation_compares_a_limit_price_with_the_last_trade() {
    // |105 / 100 - 1| = 0.05 passes; |106 / 100 - 1| = 0.06 does not; a market order names
    // no price it trades at and is not checked.
    let opens = [
        limit("a", BUY, "105", "1"),
        limit("b", BUY, "106", "1"),
        market("c", BUY, "1", "1"),
    ];
    let reason = "price deviation 0.06 (order price 106 against the market price 100) above \
                  max_price_deviation 0.05";
    assert_eq!(
        verdicts(&deviation("0.05"), &traded("100"), &opens),
        [Ok(()), Err(reason.into()), Ok(())]
    );
}

#[test]
fn max_price_deviation_uses_the_books_weighted_mid_rounded_up_in_the_reason() {
    // barter's price: (99 x 1 + 101 x 3) / (3 + 1) = 100.5 (shown as barter's division gives
    // it, 100.50), not the last trade 100. 4.5 / 100.5 = 0.0448 passes; 5.5 / 100.5 =
    // 0.0547263... does not, shown rounded up: 0.054727.
    let state = with_book(traded("100"), ("99", "3"), ("101", "1"));
    let opens = [limit("a", BUY, "105", "1"), limit("b", BUY, "106", "1")];
    let reason = "price deviation 0.054727 (order price 106 against the market price 100.50) \
                  above max_price_deviation 0.05";
    assert_eq!(
        verdicts(&deviation("0.05"), &state, &opens),
        [Ok(()), Err(reason.into())]
    );
}

#[test]
fn max_price_deviation_refuses_a_limit_order_with_no_market_price() {
    let opens = [limit("a", BUY, "100", "1")];
    let reason = "no market price to check max_price_deviation 0.05";
    assert_eq!(
        verdicts(&deviation("0.05"), &state(), &opens),
        [Err(reason.into())]
    );
}

#[test]
fn max_position_quantity_counts_the_position_the_open_orders_and_the_batch() {
    // Long 3, a resting Buy of 2 with 1 filled (1 to come): a Buy of 1 takes it to 5, a
    // second Buy of 1 in the same batch to 6.
    let state = resting(holding(state(), "3"), "r", "2", "1");
    let opens = [limit("a", BUY, "100", "1"), limit("b", BUY, "100", "1")];
    let reason = "position quantity 6 above max_position_quantity 5 (position 3, open orders \
                  2, order 1)";
    assert_eq!(
        verdicts(&position_limit("5"), &state, &opens),
        [Ok(()), Err(reason.into())]
    );
}

#[test]
fn max_position_quantity_passes_an_order_toward_flat_and_refuses_one_through_it_beyond() {
    // Long 3: selling 6 ends short 3 (no further from flat); selling 9 ends short 6.
    let state = holding(state(), "3");
    let opens = [limit("a", SELL, "100", "6"), limit("b", SELL, "100", "9")];
    let reason = "position quantity 6 above max_position_quantity 5 (position 3, open orders \
                  0, order -9)";
    assert_eq!(verdicts(&position_limit("5"), &state, &opens[..1]), ok(1));
    assert_eq!(
        verdicts(&position_limit("5"), &state, &opens[1..]),
        [Err(reason.into())]
    );
}

#[test]
fn max_position_quantity_above_the_limit_still_passes_what_lowers_it() {
    // Long 8 against a limit of 5: selling 1 (to 7) passes, buying 1 (to 9) does not.
    let state = holding(state(), "8");
    let opens = [limit("a", SELL, "100", "1"), limit("b", BUY, "100", "1")];
    let reason = "position quantity 9 above max_position_quantity 5 (position 8, open orders \
                  0, order 1)";
    assert_eq!(verdicts(&position_limit("5"), &state, &opens[..1]), ok(1));
    assert_eq!(
        verdicts(&position_limit("5"), &state, &opens[1..]),
        [Err(reason.into())]
    );
    // An instrument with no position limit is not checked.
    let unlimited = Limits {
        max_position_quantity: vec![None],
        ..Limits::default()
    };
    assert_eq!(verdicts(&unlimited, &state, &opens[1..]), ok(1));
}

#[test]
fn max_open_orders_counts_resting_orders_and_this_batch_and_passes_cancels() {
    // One resting: the first open makes 2, the second 3; a refused order does not count.
    let state = resting(traded("100"), "r", "1", "0");
    let limits = Limits {
        max_open_orders: Some(CheckHigherThan::new(2)),
        ..Limits::default()
    };
    let opens = [
        limit("a", BUY, "100", "1"),
        limit("b", BUY, "100", "1"),
        limit("c", BUY, "100", "1"),
    ];
    let reason = || Err("open orders 3 above max_open_orders 2".to_string());
    assert_eq!(
        verdicts(&limits, &state, &opens),
        [Ok(()), reason(), reason()]
    );

    let none = Limits {
        max_open_orders: Some(CheckHigherThan::new(0)),
        ..Limits::default()
    };
    let cancel = OrderRequestCancel {
        key: key("r"),
        state: RequestCancel { id: None },
    };
    let (cancels, _, refused_cancels, _) = none.check(&state, [cancel], []);
    assert_eq!(cancels.into_iter().count(), 1);
    assert_eq!(refused_cancels.into_iter().count(), 0);
}

#[test]
fn an_order_breaking_several_limits_is_refused_with_the_first() {
    let limits = Limits {
        max_price_deviation: Some(CheckHigherThan::new(d("0.05"))),
        ..notional("1000")
    };
    // 10 x 200 = 2000 > 1000, and 200 is 100% off the market: the notional is named.
    let opens = [limit("a", BUY, "200", "10")];
    let reason = "order notional 2000 usdt above max_order_notional 1000";
    assert_eq!(
        verdicts(&limits, &traded("100"), &opens),
        [Err(reason.into())]
    );
}

#[test]
fn settings_resolve_position_limits_by_the_engines_index() {
    let settings = || Settings {
        max_position_quantity: vec![(
            ExchangeId::Okx,
            InstrumentNameInternal::new("btc_usdt"),
            d("5"),
        )],
        ..Settings::default()
    };
    let btc = InstrumentNameInternal::new("btc_usdt");
    let index = |exchange, name: &InstrumentNameInternal| {
        (exchange == ExchangeId::Okx && *name == btc).then_some(InstrumentIndex(2))
    };
    let limits = settings().resolve(index).expect("a known instrument");
    let positions: Vec<_> = limits
        .max_position_quantity
        .iter()
        .map(|c| c.as_ref().map(|c| c.limit))
        .collect();
    assert_eq!(positions, [None, None, Some(d("5"))]);
    assert!(settings().resolve(|_, _| None).is_err());
}
