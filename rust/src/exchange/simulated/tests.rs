//! The matching engine rule by rule (spec §8), driven directly: one instrument
//! (`okx:btc_usdt`, assets `btc` and `usdt`), market events and barter's requests in, the
//! order log, the balances and barter's account events out. Every expected number is worked
//! out by hand in the comments.

use super::*;
use barter_data::books::Level;
use barter_data::subscription::{book::OrderBookL1, trade::PublicTrade};
use barter_execution::order::id::{ClientOrderId, StrategyId};
use barter_execution::order::request::RequestCancel;
use barter_instrument::exchange::ExchangeId;
use chrono::TimeZone;

const BTC: AssetIndex = AssetIndex(0);
const USDT: AssetIndex = AssetIndex(1);
const GTC: TimeInForce = TimeInForce::GoodUntilCancelled { post_only: false };
const POST_ONLY: TimeInForce = TimeInForce::GoodUntilCancelled { post_only: true };
const IOC: TimeInForce = TimeInForce::ImmediateOrCancel;
const FOK: TimeInForce = TimeInForce::FillOrKill;
const BUY: Side = Side::Buy;
const SELL: Side = Side::Sell;

/// A risk manager that approves every order.
fn approve(_: &OrderRequestOpen<ExchangeIndex, InstrumentIndex>) -> Result<(), String> {
    Ok(())
}

fn d(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

/// 2026-01-05 09:00 UTC plus `ms` milliseconds.
fn at(ms: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap() + chrono::Duration::milliseconds(ms)
}

/// A cash account, no fees, no slippage, unlimited volume, fills through the limit, no latency.
fn settings() -> Settings {
    Settings {
        account: Account::Cash,
        leverage: Decimal::ONE,
        taker_fee: Decimal::ZERO,
        maker_fee: Decimal::ZERO,
        slippage_bps: Decimal::ZERO,
        fill_volume: FillVolume::Unlimited,
        limit_fill: LimitFill::Through,
        queue: None,
        latency: Latency::constant(0, 0),
    }
}

fn fees(taker: &str, maker: &str) -> Settings {
    Settings {
        taker_fee: d(taker),
        maker_fee: d(maker),
        ..settings()
    }
}

/// The exchange, what it answered so far, and the clock of the next request.
struct Run {
    exchange: Simulated,
    out: Vec<Event>,
}

impl Run {
    fn new(settings: Settings, btc: &str, usdt: &str) -> Self {
        Self::listing(settings, None, btc, usdt)
    }

    fn listing(settings: Settings, spec: Option<Spec>, btc: &str, usdt: &str) -> Self {
        let listing = Listing {
            exchange: ExchangeIndex(0),
            base: BTC,
            quote: USDT,
            name: "okx:btc_usdt".into(),
            spec,
        };
        let quotes = vec![Quote::default()];
        let exchange = Simulated::new(
            settings,
            vec![listing],
            quotes,
            vec![d(btc), d(usdt)],
            at(0),
        );
        Self {
            exchange,
            out: Vec::new(),
        }
    }

    fn market_event(&mut self, ms: i64, kind: DataKind) -> &mut Self {
        let event = MarketEvent {
            time_exchange: at(ms),
            time_received: at(ms),
            exchange: ExchangeId::Okx,
            instrument: InstrumentIndex(0),
            kind,
        };
        self.exchange.on_market(&event, &mut approve, &mut self.out);
        self
    }

    fn trade(&mut self, ms: i64, price: f64) -> &mut Self {
        let trade = PublicTrade {
            id: ms.to_string(),
            price,
            amount: 1.0,
            side: BUY,
        };
        self.market_event(ms, DataKind::Trade(trade))
    }

    /// An L1 book of `(price, amount)` levels.
    fn book(&mut self, ms: i64, bid: (&str, &str), ask: (&str, &str)) -> &mut Self {
        let book = OrderBookL1 {
            last_update_time: at(ms),
            best_bid: Some(Level::new(d(bid.0), d(bid.1))),
            best_ask: Some(Level::new(d(ask.0), d(ask.1))),
        };
        self.market_event(ms, DataKind::OrderBookL1(book))
    }

    fn key(cid: &str) -> OrderKey<ExchangeIndex, InstrumentIndex> {
        OrderKey {
            exchange: ExchangeIndex(0),
            instrument: InstrumentIndex(0),
            strategy: StrategyId::new("test"),
            cid: ClientOrderId::new(cid),
        }
    }

    fn send(
        &mut self,
        cid: &str,
        side: Side,
        kind: OrderKind,
        tif: TimeInForce,
        price: &str,
        quantity: &str,
    ) -> &mut Self {
        let state = RequestOpen {
            side,
            price: d(price),
            quantity: d(quantity),
            kind,
            time_in_force: tif,
        };
        let open = OrderRequestOpen {
            key: Self::key(cid),
            state,
        };
        self.exchange
            .request(ExecutionRequest::Open(open), &mut approve, &mut self.out);
        self
    }

    /// A market order naming the price 1, which it never fills at.
    fn market(&mut self, cid: &str, side: Side, quantity: &str) -> &mut Self {
        self.send(cid, side, OrderKind::Market, IOC, "1", quantity)
    }

    fn limit(
        &mut self,
        cid: &str,
        side: Side,
        price: &str,
        quantity: &str,
        tif: TimeInForce,
    ) -> &mut Self {
        self.send(cid, side, OrderKind::Limit, tif, price, quantity)
    }

    fn cancel(&mut self, cid: &str) -> &mut Self {
        let cancel = OrderRequestCancel {
            key: Self::key(cid),
            state: RequestCancel { id: None },
        };
        self.exchange.request(
            ExecutionRequest::Cancel(cancel),
            &mut approve,
            &mut self.out,
        );
        self
    }

    /// The latest order sent with `cid`.
    fn order(&self, cid: &str) -> &OrderRecord {
        let mut orders = self.exchange.orders().iter().rev();
        orders
            .find(|order| order.key.cid.0 == cid)
            .expect("an order with that cid")
    }

    /// The order's status and reason.
    fn status(&self, cid: &str) -> (Status, Option<&str>) {
        let order = self.order(cid);
        (order.status, order.reason.as_deref())
    }

    /// `(total, free)` of an asset.
    fn balance(&self, asset: AssetIndex) -> (Decimal, Decimal) {
        let holding = self.exchange.holding(asset);
        (holding.total, holding.free())
    }

    /// Every fill reported to barter: `(side, price, quantity, fee)`.
    fn fills(&self) -> Vec<(Side, Decimal, Decimal, Decimal)> {
        let trades = self.out.iter().filter_map(|event| match &event.kind {
            AccountEventKind::Trade(trade) => Some(trade),
            _ => None,
        });
        trades
            .map(|t| (t.side, t.price, t.quantity, t.fees.fees))
            .collect()
    }

    /// The error barter's engine was last told an open failed with.
    fn last_refusal(&self) -> Option<&ApiError> {
        self.out.iter().rev().find_map(|event| match &event.kind {
            AccountEventKind::OrderSnapshot(Snapshot(order)) => match &order.state {
                OrderState::Inactive(InactiveOrderState::OpenFailed(OrderError::Rejected(
                    error,
                ))) => Some(error),
                _ => None,
            },
            _ => None,
        })
    }

    /// The last cancel response: `Ok(())` or the refusal's reason.
    fn last_cancel(&self) -> Result<(), String> {
        let response = self.out.iter().rev().find_map(|event| match &event.kind {
            AccountEventKind::OrderCancelled(response) => Some(response),
            _ => None,
        });
        match &response.expect("a cancel response").state {
            Ok(_) => Ok(()),
            Err(OrderError::Rejected(ApiError::OrderRejected(reason))) => Err(reason.clone()),
            Err(other) => Err(format!("{other:?}")),
        }
    }
}

// --- market orders: the touch, slippage, never the named price -------------------------------

#[test]
fn a_market_order_fills_at_the_last_trade_never_at_its_named_price() {
    let mut run = Run::new(fees("0.001", "0"), "0", "10000");
    run.trade(0, 100.0).market("m1", BUY, "2");
    // 2 x 100 = 200, fee 0.001 x 200 = 0.2: usdt 10000 - 200.2, btc + 2.
    assert_eq!(run.status("m1"), (Status::Filled, None));
    assert_eq!(run.order("m1").average_price(), Some(d("100")));
    assert_eq!(run.fills(), [(BUY, d("100"), d("2"), d("0.2"))]);
    assert_eq!(run.balance(USDT), (d("9799.8"), d("9799.8")));
    assert_eq!(run.balance(BTC), (d("2"), d("2")));

    // A Sell naming a million meets the same last trade: 200 - 0.2 back.
    run.send("m2", SELL, OrderKind::Market, IOC, "1000000", "2");
    assert_eq!(run.fills()[1], (SELL, d("100"), d("2"), d("0.2")));
    assert_eq!(run.balance(USDT).0, d("9999.6"));
    assert_eq!(run.balance(BTC).0, Decimal::ZERO);
}

#[test]
fn with_a_book_a_buy_meets_the_ask_and_a_sell_the_bid_not_the_last_trade() {
    let mut run = Run::new(settings(), "0", "1000");
    run.trade(0, 100.0).book(1, ("99", "5"), ("101", "5"));
    run.market("m1", BUY, "1").market("m2", SELL, "1");
    assert_eq!(
        run.fills(),
        [
            (BUY, d("101"), d("1"), d("0")),
            (SELL, d("99"), d("1"), d("0"))
        ]
    );
    // 1000 - 101 + 99.
    assert_eq!(run.balance(USDT).0, d("998"));
}

#[test]
fn slippage_makes_a_taker_fill_worse_by_its_basis_points() {
    let slippage = Settings {
        slippage_bps: d("10"),
        ..settings()
    };
    let mut run = Run::new(slippage, "0", "1000");
    // 10 bps of 100 = 0.1: a Buy at 100.1, a Sell at 99.9.
    run.trade(0, 100.0)
        .market("m1", BUY, "1")
        .market("m2", SELL, "1");
    let prices: Vec<Decimal> = run.fills().iter().map(|fill| fill.1).collect();
    assert_eq!(prices, [d("100.1"), d("99.9")]);
}

#[test]
fn no_market_yet_is_refused_with_the_reason() {
    let mut run = Run::new(settings(), "0", "1000");
    run.market("m1", BUY, "1");
    let reason = "no market for okx:btc_usdt yet";
    assert_eq!(run.status("m1"), (Status::Refused, Some(reason)));
    assert_eq!(
        run.last_refusal(),
        Some(&ApiError::OrderRejected(reason.into()))
    );
    assert!(run.fills().is_empty());
}

#[test]
fn a_quantity_or_limit_price_not_above_zero_is_refused() {
    let mut run = Run::new(settings(), "0", "1000");
    run.trade(0, 100.0).market("m1", BUY, "0");
    run.limit("l1", BUY, "0", "1", GTC);
    let status = |cid| run.status(cid).1.map(str::to_string);
    assert_eq!(status("m1").as_deref(), Some("quantity must be > 0, got 0"));
    assert_eq!(
        status("l1").as_deref(),
        Some("a limit order needs a price > 0, got 0")
    );
}

#[test]
fn an_order_breaking_the_instrument_spec_is_refused_naming_the_rule() {
    let spec = Spec {
        tick_size: d("0.5"),
        lot_size: d("0.01"),
        min_notional: d("10"),
    };
    let mut run = Run::listing(settings(), Some(spec), "0", "1000");
    run.trade(0, 100.0);
    run.limit("lot", BUY, "99", "0.015", GTC);
    run.limit("tick", BUY, "99.2", "1", GTC);
    run.market("small", BUY, "0.05"); // 0.05 x the touch 100 = 5 < 10
    let reason = |cid| run.status(cid).1.unwrap().to_string();
    let name = "okx:btc_usdt";
    assert_eq!(
        reason("lot"),
        format!("{name}: quantity 0.015 is not a multiple of the lot size 0.01")
    );
    assert_eq!(
        reason("tick"),
        format!("{name}: price 99.2 is not a multiple of the tick size 0.5")
    );
    assert_eq!(
        reason("small"),
        format!("{name}: order value 5 is below the minimum notional 10")
    );
}

// --- the cash account --------------------------------------------------------------------------

#[test]
fn a_cash_account_cannot_sell_what_it_does_not_hold_nor_spend_what_it_lacks() {
    let mut run = Run::new(fees("0.001", "0"), "0", "150");
    run.trade(0, 100.0).market("sell", SELL, "1");
    assert_eq!(
        run.status("sell"),
        (Status::Refused, Some("needs 1 btc, 0 btc free"))
    );
    assert_eq!(
        run.last_refusal(),
        Some(&ApiError::BalanceInsufficient(
            BTC,
            "needs 1 btc, 0 btc free".into()
        ))
    );
    // 2 x 100 x (1 + 0.001) = 200.200 > 150.
    run.market("buy", BUY, "2");
    let reason = "needs 200.200 usdt, 150 usdt free";
    assert_eq!(run.status("buy"), (Status::Refused, Some(reason)));
    assert_eq!(
        run.last_refusal(),
        Some(&ApiError::BalanceInsufficient(USDT, reason.into()))
    );
    assert_eq!(
        (run.balance(BTC).0, run.balance(USDT).0),
        (d("0"), d("150"))
    );
}

// --- limit orders ------------------------------------------------------------------------------

#[test]
fn a_resting_buy_reserves_its_quote_and_fills_at_its_limit_with_the_maker_fee() {
    let mut run = Run::new(fees("0.002", "0.001"), "0", "10000");
    run.trade(0, 100.0).limit("b1", BUY, "99", "2", GTC);
    // Not marketable (99 < 100): it rests, holding 99 x 2 x 1.001 = 198.198.
    assert_eq!(run.status("b1"), (Status::Open, None));
    assert_eq!(run.balance(USDT), (d("10000"), d("9801.802")));

    // "through": a trade at the limit does not fill it.
    run.trade(1, 99.0);
    assert!(run.fills().is_empty());

    // A trade below it does, at 99 (not 98.5), maker fee 0.001 x 198 = 0.198.
    run.trade(2, 98.5);
    assert_eq!(run.status("b1"), (Status::Filled, None));
    assert_eq!(run.fills(), [(BUY, d("99"), d("2"), d("0.198"))]);
    // 10000 - 198 - 0.198; nothing held any more.
    assert_eq!(run.balance(USDT), (d("9801.802"), d("9801.802")));
    assert_eq!(run.balance(BTC).0, d("2"));
}

#[test]
fn with_limit_fill_touch_a_trade_at_the_limit_fills_it() {
    let touch = Settings {
        limit_fill: LimitFill::Touch,
        ..settings()
    };
    let mut run = Run::new(touch, "0", "1000");
    run.trade(0, 100.0)
        .limit("b1", BUY, "99", "1", GTC)
        .trade(1, 99.0);
    assert_eq!(run.fills(), [(BUY, d("99"), d("1"), d("0"))]);
}

#[test]
fn a_resting_sell_reserves_its_base_and_fills_when_the_bid_goes_through_it() {
    let mut run = Run::new(settings(), "1", "0");
    run.trade(0, 100.0).limit("s1", SELL, "101", "1", GTC);
    assert_eq!(run.balance(BTC), (d("1"), d("0")));
    // A bid at the limit is not through it; one above it is: filled at 101, not 101.5.
    run.book(1, ("101", "5"), ("102", "5"));
    assert!(run.fills().is_empty());
    run.book(2, ("101.5", "5"), ("102", "5"));
    assert_eq!(run.fills(), [(SELL, d("101"), d("1"), d("0"))]);
    assert_eq!(
        (run.balance(BTC).0, run.balance(USDT).0),
        (d("0"), d("101"))
    );
}

#[test]
fn a_post_only_order_that_would_take_liquidity_is_refused_else_it_rests() {
    let mut run = Run::new(settings(), "0", "1000");
    run.trade(0, 100.0)
        .limit("take", BUY, "100", "1", POST_ONLY);
    let reason = "post-only order would take liquidity: limit 100 against the touch 100";
    assert_eq!(run.status("take"), (Status::Refused, Some(reason)));
    run.limit("make", BUY, "99.5", "1", POST_ONLY);
    assert_eq!(run.status("make"), (Status::Open, None));
    assert!(run.fills().is_empty());
}

#[test]
fn ioc_and_fok_orders_that_are_not_marketable_expire_unfilled() {
    let mut run = Run::new(settings(), "1", "1000");
    run.trade(0, 100.0);
    run.limit("ioc", BUY, "99", "1", IOC);
    run.limit("fok", SELL, "101", "1", FOK);
    let ioc = "limit 99 not marketable against the touch 100 (ImmediateOrCancel)";
    let fok = "limit 101 not marketable against the touch 100 (FillOrKill)";
    assert_eq!(run.status("ioc"), (Status::Expired, Some(ioc)));
    assert_eq!(run.status("fok"), (Status::Expired, Some(fok)));
    assert!(run.fills().is_empty());
    assert_eq!(run.balance(USDT), (d("1000"), d("1000")));
}

#[test]
fn a_marketable_limit_order_takes_at_the_touch_with_slippage_never_beyond_its_limit() {
    let slippage = Settings {
        slippage_bps: d("50"),
        ..settings()
    };
    let mut run = Run::new(slippage, "0", "1000");
    // The touch 100 plus 50 bps = 100.5: within the limit 105, capped at the limit 100.2.
    run.trade(0, 100.0);
    run.limit("wide", BUY, "105", "1", IOC);
    run.limit("tight", BUY, "100.2", "1", GTC);
    let prices: Vec<Decimal> = run.fills().iter().map(|fill| fill.1).collect();
    assert_eq!(prices, [d("100.5"), d("100.2")]);
}

#[test]
fn under_displayed_volume_fok_expires_whole_and_ioc_fills_what_is_shown() {
    let displayed = Settings {
        fill_volume: FillVolume::Displayed,
        ..settings()
    };
    let mut run = Run::new(displayed, "0", "1000");
    run.book(0, ("99", "1"), ("100", "1.5"));
    run.limit("fok", BUY, "100", "2", FOK);
    let fok = "FillOrKill: only 1.5 displayed at the touch 100";
    assert_eq!(run.status("fok"), (Status::Expired, Some(fok)));
    run.limit("ioc", BUY, "100", "2", IOC);
    let rest = "the rest (0.5) expired: only 1.5 displayed at the touch";
    assert_eq!(run.status("ioc"), (Status::PartiallyFilled, Some(rest)));
    assert_eq!(run.fills(), [(BUY, d("100"), d("1.5"), d("0"))]);
    // What it took is not offered again until the next book.
    run.market("m1", BUY, "1");
    let none = "nothing displayed at the touch 100";
    assert_eq!(run.status("m1"), (Status::Expired, Some(none)));
}

#[test]
fn a_day_order_expires_at_the_first_event_of_the_next_utc_day() {
    let mut run = Run::new(settings(), "0", "1000");
    let day = TimeInForce::GoodUntilEndOfDay;
    run.trade(0, 100.0).limit("day", BUY, "99", "1", day);
    run.trade(14 * 3_600_000, 100.0); // 23:00 the same day: still resting
    assert_eq!(run.status("day"), (Status::Open, None));
    run.trade(15 * 3_600_000, 100.0); // 00:00 the next day
    let reason = "GoodUntilEndOfDay: the UTC day ended";
    assert_eq!(run.status("day"), (Status::Expired, Some(reason)));
    assert_eq!(run.balance(USDT), (d("1000"), d("1000")));
}

#[test]
fn a_second_open_order_with_the_same_cid_is_refused() {
    let mut run = Run::new(settings(), "0", "1000");
    run.trade(0, 100.0).limit("b1", BUY, "99", "1", GTC);
    run.limit("b1", BUY, "98", "1", GTC);
    let reason = "an open order already has cid b1";
    assert_eq!(run.status("b1"), (Status::Refused, Some(reason)));
    assert_eq!(run.exchange.orders()[0].status, Status::Open);
    // Only the first order's 99 is held.
    assert_eq!(run.balance(USDT).1, d("901"));
}

// --- cancels -----------------------------------------------------------------------------------

#[test]
fn a_cancel_removes_a_resting_order_and_releases_what_it_held() {
    let mut run = Run::new(settings(), "0", "1000");
    run.trade(0, 100.0).limit("b1", BUY, "99", "1", GTC);
    assert_eq!(run.balance(USDT).1, d("901"));
    run.cancel("b1");
    assert_eq!(run.last_cancel(), Ok(()));
    let reason = "cancelled by request";
    assert_eq!(run.status("b1"), (Status::Cancelled, Some(reason)));
    assert_eq!(run.balance(USDT), (d("1000"), d("1000")));
    // A trade through its old limit fills nothing.
    run.trade(1, 90.0);
    assert!(run.fills().is_empty());
}

#[test]
fn cancels_of_a_cancelled_a_filled_and_an_unknown_order_are_refused_with_the_reason() {
    let mut run = Run::new(settings(), "0", "1000");
    run.trade(0, 100.0).limit("b1", BUY, "99", "1", GTC);
    run.cancel("b1").cancel("b1");
    assert_eq!(
        run.last_cancel(),
        Err("order b1 is already cancelled".into())
    );
    run.market("m1", BUY, "1").cancel("m1");
    assert_eq!(run.last_cancel(), Err("order m1 is already filled".into()));
    run.cancel("zz");
    assert_eq!(run.last_cancel(), Err("unknown order zz".into()));
}

// --- latency in event time ---------------------------------------------------------------------

fn latency(ms: i64) -> Settings {
    Settings {
        latency: Latency::constant(ms, 0),
        ..settings()
    }
}

#[test]
fn with_latency_an_order_arrives_at_the_first_event_at_or_after_t_plus_latency() {
    let mut run = Run::new(latency(100), "0", "1000");
    run.trade(0, 100.0).market("m1", BUY, "1");
    run.trade(99, 101.0);
    assert_eq!(run.status("m1"), (Status::Open, None));
    assert!(run.fills().is_empty());
    // Arrives at 100 ms, against the market as of that event.
    run.trade(100, 102.0);
    assert_eq!(run.fills(), [(BUY, d("102"), d("1"), d("0"))]);
}

#[test]
fn with_latency_a_limit_order_is_not_live_before_it_arrives() {
    let mut run = Run::new(latency(100), "0", "1000");
    run.trade(0, 100.0).limit("b1", BUY, "99", "1", GTC);
    // A trade through 99 before the order arrives fills nothing...
    run.trade(50, 98.0);
    assert!(run.fills().is_empty());
    // ...and at its arrival the touch, 98.5, is below its limit: it takes at 98.5.
    run.trade(100, 98.5);
    assert_eq!(run.fills(), [(BUY, d("98.5"), d("1"), d("0"))]);
}

#[test]
fn with_latency_a_cancel_travels_too_and_what_has_not_arrived_at_the_end_expires() {
    let mut run = Run::new(latency(100), "0", "1000");
    run.trade(0, 100.0).limit("b1", BUY, "99", "1", GTC);
    run.trade(100, 100.0).cancel("b1");
    // The cancel is on its way: a trade through 99 before it arrives still fills b1.
    run.trade(150, 98.0);
    assert_eq!(run.status("b1"), (Status::Filled, None));
    run.trade(200, 98.0);
    assert_eq!(run.last_cancel(), Err("order b1 is already filled".into()));

    run.market("m1", BUY, "1");
    run.exchange.end(&mut run.out);
    let reason = "did not reach the exchange before the data ended (latency 100 ms)";
    assert_eq!(run.status("m1"), (Status::Expired, Some(reason)));
}

#[test]
fn an_exchange_made_at_the_wall_clock_keeps_latency_in_the_events_time() {
    // Made a day after the events (an `Engine` is made at the wall clock): m0, sent before any
    // event, arrives 100 ms after the first (0 ms); m1, sent at 100 ms, at 200 ms.
    let mut run = Run::new(latency(100), "0", "1000");
    run.exchange.now = at(86_400_000);
    run.market("m0", BUY, "1");
    run.trade(0, 100.0).trade(99, 101.0);
    assert!(run.fills().is_empty());
    run.trade(100, 102.0).market("m1", BUY, "1");
    run.trade(199, 103.0);
    assert_eq!(run.fills(), [(BUY, d("102"), d("1"), d("0"))]);
    run.trade(200, 104.0);
    assert_eq!(run.order("m1").average_price(), Some(d("104")));
}

#[test]
fn an_order_resting_before_the_first_event_is_filled_by_it() {
    // Made a day after the events, priced by a snapshot (95): b1 rests below it before any
    // event; the first event, a trade at 90, crosses it (it counts as placed at that event).
    let mut run = Run::new(settings(), "0", "1000");
    run.exchange.now = at(86_400_000);
    run.exchange.quotes[0] = Quote::seeded(Some(d("95")));
    run.limit("b1", BUY, "91", "1", GTC);
    assert_eq!(run.status("b1"), (Status::Open, None));
    run.trade(0, 90.0);
    assert_eq!(run.fills(), [(BUY, d("91"), d("1"), d("0"))]);
}

// --- replay order: nothing fills against the past ------------------------------------------------

#[test]
fn a_resting_order_never_fills_against_an_event_stamped_before_it_reached_the_exchange() {
    // b1 reaches the exchange at 1,000 ms. A trade at 98 stamped 900 ms (replayed late) is
    // through its limit 99 but older than b1: it moves the market (the touch is 98), not b1.
    // The same trade stamped 1,000 ms fills it at 99.
    let mut run = Run::new(settings(), "0", "1000");
    run.trade(1000, 100.0).limit("b1", BUY, "99", "1", GTC);
    run.trade(900, 98.0);
    assert!(run.fills().is_empty());
    let touch = run.exchange.quote(InstrumentIndex(0)).touch(BUY);
    assert_eq!(touch.map(|t| t.price), Some(d("98")));
    run.trade(1000, 98.0);
    assert_eq!(run.fills(), [(BUY, d("99"), d("1"), d("0"))]);
}

// --- the margin account ------------------------------------------------------------------------

#[test]
fn a_margin_account_shorts_settles_pnl_and_fees_in_quote_and_refuses_beyond_leverage() {
    let margin = Settings {
        account: Account::Margin,
        leverage: d("2"),
        ..fees("0.001", "0")
    };
    let mut run = Run::new(margin, "0", "1000");
    run.trade(0, 100.0).market("big", BUY, "30");
    // 30 x 100 = 3000 gross > 2 x 1000 equity.
    let reason = "gross position value 3000 would exceed leverage 2 x equity 1000";
    assert_eq!(run.status("big"), (Status::Refused, Some(reason)));
    assert_eq!(
        run.last_refusal(),
        Some(&ApiError::BalanceInsufficient(USDT, reason.into()))
    );

    // A short of 10 without any btc: fee 0.001 x 1000 = 1; base balances do not move.
    run.market("short", SELL, "10");
    assert_eq!(run.status("short"), (Status::Filled, None));
    assert_eq!(
        (run.balance(BTC).0, run.balance(USDT).0),
        (d("0"), d("999"))
    );
    assert_eq!(
        run.exchange.margin_totals(USDT, None),
        Some((d("999"), d("1000")))
    );

    // At 90 the short is 100 up: equity 999 + (90 - 100) x -10 = 1099, gross 10 x 90.
    run.trade(1, 90.0);
    assert_eq!(
        run.exchange.margin_totals(USDT, None),
        Some((d("1099"), d("900")))
    );
    // Covering realises the 100, fee 0.001 x 900 = 0.9: 999 + 100 - 0.9.
    run.market("cover", BUY, "10");
    assert_eq!(run.balance(USDT).0, d("1098.1"));
    assert_eq!(
        run.exchange.margin_totals(USDT, None),
        Some((d("1098.1"), d("0")))
    );
}

#[test]
fn margin_equity_adds_each_positions_open_profit_to_the_cash_and_never_overflows() {
    let long = Marked::new(d("2"), d("100"), d("110")); // +20
    let short = Marked::new(d("-3"), d("50"), d("40")); // +30
    assert_eq!(margin_equity(d("1000"), [long, short]), Some(d("1050")));
    assert_eq!(margin_equity(d("1000"), []), Some(d("1000")));
    let up = Marked::new(Decimal::ONE, Decimal::ZERO, Decimal::ONE);
    assert_eq!(margin_equity(Decimal::MAX, [up]), None);
    let huge = Marked::new(Decimal::MAX, Decimal::ZERO, d("2"));
    assert_eq!(margin_equity(Decimal::ZERO, [huge]), None);
}

#[test]
fn resting_margin_orders_count_as_filled_and_an_order_that_reduces_the_gross_value_passes() {
    let margin = Settings {
        account: Account::Margin,
        leverage: d("2"),
        ..settings()
    };
    let mut run = Run::new(margin, "0", "1000");
    // Long 20 at 100: gross 2,000 = 2 x 1,000. A Sell of 5 resting at 120 leaves the worst
    // case at 20 (filled, it takes the position to 15); a Buy of 1 resting at 90 makes it 21:
    // 2,100 > 2,000, refused.
    run.trade(0, 100.0).market("long", BUY, "20");
    run.limit("s1", SELL, "120", "5", GTC);
    run.limit("b1", BUY, "90", "1", GTC);
    assert_eq!(run.status("s1"), (Status::Open, None));
    let reason = "gross position value 2100 would exceed leverage 2 x equity 1000";
    assert_eq!(run.status("b1"), (Status::Refused, Some(reason)));
    // At 60 the equity is 1,000 + (60 - 100) x 20 = 200: 2 x 200 = 400 against a gross of
    // 20 x 60 = 1,200. Selling 5 (15 x 60 = 900, less than before) passes; then buying 1
    // (16 x 60 = 960 > 900; equity 800 after the cut's -200, + (60 - 100) x 15 = 200) does not.
    run.trade(1, 60.0).market("cut", SELL, "5");
    assert_eq!(run.status("cut"), (Status::Filled, None));
    run.market("more", BUY, "1");
    let reason = "gross position value 960 would exceed leverage 2 x equity 200";
    assert_eq!(run.status("more"), (Status::Refused, Some(reason)));
}

mod conditional;
mod depth;
