"""The simulated exchange (spec §8), rule by rule, with every expected number worked out by
hand in the comments; property tests of a cash account (no balance below 0, value conserved
exactly, the exchange's holdings equal barter's positions, determinism); barter's own example
files on either exchange.

Orders are sent by a strategy (`Plan`): at market event `n` (counted from 0; the strategy is
called once per market event in a backtest) it returns the planned cancels and opens, and it
records what barter's state showed at every call (`Seen`)."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from barter_python import (
    ExchangeId,
    OrderKey,
    OrderKind,
    OrderRequestCancel,
    OrderRequestOpen,
    RequestCancel,
    RequestOpen,
    Side,
    TimeInForce,
)
from barter_python.backtest import BacktestConfig, BacktestResult, MarketData, backtest
from barter_python.engine import DefaultStrategy, Engine, EngineEvent, EngineStateView, Requests
from barter_python.exchange import (
    MAX_LATENCY_MS,
    BarterMockExchange,
    SimulatedExchange,
)
from barter_python.snapshot import DecimalInput

D = Decimal
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OKX = ExchangeId.OKX
BTC = (OKX, "btc_usdt")
ETH = (OKX, "eth_usdt")
USDT = (OKX, "usdt")
BTC_ASSET = (OKX, "btc")
ETH_ASSET = (OKX, "eth")
BOOK: list[dict[str, Any]] = [
    {"exchange": "okx", "instrument": "btc_usdt", "base": "btc", "quote": "usdt"},
    {"exchange": "okx", "instrument": "eth_usdt", "base": "eth", "quote": "usdt"},
]
GTC = TimeInForce.GOOD_UNTIL_CANCELLED
IOC = TimeInForce.IMMEDIATE_OR_CANCEL
Request = OrderRequestOpen | OrderRequestCancel


# --- building market data and orders ---------------------------------------------------------


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def trade(
    price: str | int, seconds: float, amount: str | int = 1, instrument: str = "btc_usdt"
) -> EngineEvent:
    return EngineEvent.trade("okx", instrument, str(price), str(amount), "Buy", at(seconds))


def book(
    bid: str | int,
    ask: str | int,
    seconds: float,
    bid_amount: str | int = 5,
    ask_amount: str | int = 5,
    instrument: str = "btc_usdt",
) -> EngineEvent:
    return EngineEvent.l1(
        "okx",
        instrument,
        (str(bid), str(bid_amount)),
        (str(ask), str(ask_amount)),
        at(seconds),
    )


def key(cid: str, instrument: str = "btc_usdt") -> OrderKey:
    return OrderKey("okx", instrument, "backtest", cid)


def market(
    side: str, quantity: str | int, price: str | int, cid: str, instrument: str = "btc_usdt"
) -> OrderRequestOpen:
    return OrderRequestOpen(
        key(cid, instrument), RequestOpen(side, str(price), str(quantity), OrderKind.MARKET, IOC)
    )


def limit(
    side: str,
    quantity: str | int,
    price: str | int,
    cid: str,
    tif: TimeInForce = GTC,
    instrument: str = "btc_usdt",
) -> OrderRequestOpen:
    return OrderRequestOpen(
        key(cid, instrument), RequestOpen(side, str(price), str(quantity), OrderKind.LIMIT, tif)
    )


def cancel(cid: str, instrument: str = "btc_usdt") -> OrderRequestCancel:
    # barter's RequestCancel id may be empty: the exchange finds the order by key.cid.
    return OrderRequestCancel(key(cid, instrument), RequestCancel())


# --- a strategy that sends a plan and records barter's state ---------------------------------


@dataclass
class Seen:
    """barter's state at one strategy call."""

    time: datetime
    balances: dict[tuple[ExchangeId, str], Decimal]
    prices: dict[tuple[ExchangeId, str], Decimal]
    open: set[str]
    positions: dict[tuple[ExchangeId, str], Decimal]  # signed: negative is short

    def balance(self, asset: tuple[ExchangeId, str]) -> Decimal:
        return self.balances.get(asset, D(0))


def signed_positions(state: EngineStateView) -> dict[tuple[ExchangeId, str], Decimal]:
    return {
        key: position.quantity if position.side is Side.BUY else -position.quantity
        for key, position in state.positions().items()
        if position.quantity != 0
    }


@dataclass
class Plan(DefaultStrategy):
    """At market event `n`, the requests `plan[n]` (cancels are sent before opens)."""

    plan: dict[int, list[Request]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        call = len(self.seen)
        self.seen.append(
            Seen(
                time=state.time,
                balances=state.balances(),
                prices=state.prices(),
                open={str(order.key.cid) for order in state.open_orders()},
                positions=signed_positions(state),
            )
        )
        requests = self.plan.get(call, [])
        cancels = [r for r in requests if isinstance(r, OrderRequestCancel)]
        opens = [r for r in requests if isinstance(r, OrderRequestOpen)]
        return cancels, opens


def run(
    plan: dict[int, list[Request]],
    events: Sequence[EngineEvent],
    exchange: SimulatedExchange | BarterMockExchange | None = None,
    *,
    balances: dict[tuple[ExchangeId | str, str], DecimalInput] | None = None,
    close: bool = False,
) -> tuple[BacktestResult, Plan]:
    """A backtest of `plan` on `events` (an equity point at every event), and its strategy."""
    config = BacktestConfig(
        instruments=BOOK,
        balances=balances if balances is not None else {("okx", "usdt"): 10_000},
        exchange=exchange or SimulatedExchange(),
        equity_interval=None,
        close_positions_at_end=close,
    )
    strategy = Plan(plan)
    # As given: some tests replay a recording whose clocks disagree.
    result = backtest(strategy, MarketData.from_events(events, order="as_is"), config)
    return result, strategy


def order(result: BacktestResult, cid: str) -> Any:
    [found] = [o for o in result.orders if o.cid == cid]
    return found


def usdt_equity(result: BacktestResult) -> list[tuple[Decimal, Decimal, Decimal]]:
    return [(p.cash, p.holdings, p.equity) for p in result.equity if p.asset == "usdt"]


# --- market orders: the touch, slippage, never the named price -------------------------------


def test_a_market_order_fills_at_the_last_trade_with_slippage_never_at_its_named_price() -> None:
    events = [trade(100, 0), trade(101, 1), trade(99, 2), trade(99, 3)]
    plan: dict[int, list[Request]] = {
        1: [market("Buy", 1, 1, "b")],  # named at 1 while btc trades at 101
        2: [market("Sell", 1, 1_000_000, "s")],  # named at 1,000,000 while btc trades at 99
    }
    result, strategy = run(plan, events, SimulatedExchange(slippage_bps=10))
    # Buy at the touch 101 x (1 + 10/10^4) = 101.101; Sell at 99 x (1 - 10/10^4) = 98.901.
    b, s = order(result, "b"), order(result, "s")
    assert (b.price, b.average_price, b.filled, b.status) == (D(1), D("101.101"), D(1), "filled")
    assert (s.price, s.average_price, s.filled, s.status) == (
        D(1_000_000),
        D("98.901"),
        D(1),
        "filled",
    )
    assert [(f.price, f.quantity, f.side) for f in result.fills] == [
        (D("101.101"), D(1), Side.BUY),
        (D("98.901"), D(1), Side.SELL),
    ]
    # Cash: 10,000 - 101.101 = 9,898.899 with 1 btc; then + 98.901 = 9,997.800 and no btc.
    seen = strategy.seen
    assert (seen[1].balance(USDT), seen[1].balance(BTC_ASSET)) == (D(10_000), D(0))
    assert (seen[2].balance(USDT), seen[2].balance(BTC_ASSET)) == (D("9898.899"), D(1))
    assert (seen[3].balance(USDT), seen[3].balance(BTC_ASSET)) == (D("9997.800"), D(0))
    # Every field of the order record.
    assert b.model_dump() == {
        "time": at(1),
        "exchange": OKX,
        "instrument": "btc_usdt",
        "cid": "b",
        "side": Side.BUY,
        "kind": OrderKind.MARKET,
        "time_in_force": IOC,
        "price": D(1),
        "quantity": D(1),
        "filled": D(1),
        "average_price": D("101.101"),
        "fees": D(0),
        "status": "filled",
        "reason": None,
        "trigger": None,  # not a conditional order
        "time_triggered": None,
        "queue_ahead": None,
    }
    assert (result.exchange, result.orders_sent, result.orders_refused) == ("simulated", 2, 0)
    assert usdt_equity(result)[-1] == (D("9997.800"), D(0), D("9997.800"))


def test_with_an_l1_book_a_buy_meets_the_ask_and_a_sell_the_bid_not_the_last_trade() -> None:
    events = [trade(100, 0), book(99, 101, 1), trade(150, 2), trade(150, 3)]
    plan: dict[int, list[Request]] = {
        1: [market("Buy", 1, 100, "b1"), market("Sell", 1, 100, "s1")],
        # A trade at 150 after the book: the book, not the trade, is still the touch.
        2: [market("Buy", 1, 150, "b2")],
    }
    result, strategy = run(plan, events, balances={("okx", "usdt"): 10_000, ("okx", "btc"): 1})
    assert [order(result, cid).average_price for cid in ("b1", "s1", "b2")] == [
        D(101),  # the ask
        D(99),  # the bid
        D(101),  # the ask again, not the trade at 150
    ]
    # 10,000 - 101 + 99 = 9,998 (btc 1 + 1 - 1 = 1); then - 101 = 9,897 (btc 2).
    assert strategy.seen[2].balance(USDT) == D(9998)
    assert (strategy.seen[3].balance(USDT), strategy.seen[3].balance(BTC_ASSET)) == (
        D(9897),
        D(2),
    )


def test_several_trades_in_one_millisecond_the_exchange_meets_the_last_barter_keeps_the_first() -> (
    None
):
    events = [trade(100, 0), trade(105, 0), trade(110, 0), trade(110, 1)]
    result, strategy = run({2: [market("Buy", 1, 100, "b")]}, events)
    # barter's state.prices() keeps the first trade of the millisecond ...
    assert strategy.seen[2].prices[BTC] == D(100)
    # ... the exchange's touch is the last one: 110.
    assert order(result, "b").average_price == D(110)
    assert strategy.seen[3].balance(USDT) == D(10_000 - 110)


def test_no_market_yet_is_refused() -> None:
    # eth_usdt has no event and no snapshot price: the exchange has no market for it.
    result, _ = run({0: [market("Buy", 1, 100, "e", instrument="eth_usdt")]}, [trade(100, 0)])
    e = order(result, "e")
    assert (e.status, e.reason, e.filled) == ("refused", "no market for okx:eth_usdt yet", D(0))
    assert result.orders_refused == 1


# --- fees and the cash account ---------------------------------------------------------------


def test_taker_and_maker_fees_are_charged_in_the_quote_asset() -> None:
    exchange = SimulatedExchange(fees_percent="0.001", maker_fees_percent="0.0002")
    events = [trade(100, 0), trade(100, 1), trade(94, 2), trade(94, 3)]
    plan: dict[int, list[Request]] = {
        0: [market("Buy", 2, 100, "t1"), limit("Buy", 1, 95, "m1")],
        3: [market("Sell", 3, 94, "t2")],
    }
    result, strategy = run(plan, events, exchange)
    seen = strategy.seen
    # t1, taker: 2 x 100 = 200, fee 0.001 x 200 = 0.2: usdt 10,000 - 200.2 = 9,799.8, btc 2.
    # m1 rests (95 below the touch 100), holding 95 x 1 x (1 + 0.0002) = 95.019 usdt.
    assert (seen[1].balance(USDT), seen[1].balance(BTC_ASSET), seen[1].open) == (
        D("9799.8"),
        D(2),
        {"m1"},
    )
    # Event 2, a trade at 94 (strictly below 95), fills m1 at its limit 95 with the maker fee
    # 0.0002 x 95 = 0.019: usdt 9,799.8 - 95.019 = 9,704.781, btc 3; in state at that call.
    assert (seen[2].balance(USDT), seen[2].balance(BTC_ASSET), seen[2].open) == (
        D("9704.781"),
        D(3),
        set(),
    )
    # t2, taker: 3 x 94 = 282, fee 0.282: usdt 9,704.781 + 282 - 0.282 = 9,986.499, btc 0.
    assert [(o.cid, o.average_price, o.fees) for o in result.orders] == [
        ("t1", D(100), D("0.2")),
        ("m1", D(95), D("0.019")),
        ("t2", D(94), D("0.282")),
    ]
    assert [f.fees for f in result.fills] == [D("0.2"), D("0.019"), D("0.282")]
    # Exchange order ids are sequential, from 1.
    assert [f.order_id for f in result.fills] == ["1", "2", "3"]
    # Check: 10,000 - (200 + 95) + 282 - (0.2 + 0.019 + 0.282) = 9,986.499.
    assert usdt_equity(result)[-1] == (D("9986.499"), D(0), D("9986.499"))
    [asset] = [a for a in result.assets if a.asset == "usdt"]
    assert asset.balance_end == D("9986.499")


def test_a_negative_maker_fee_is_a_rebate_credited_in_the_quote_asset() -> None:
    # m1 (Buy 1 at 95) rests, holding 95 x 1 x (1 - 0.0002) = 94.981 usdt; the trade at 94
    # fills it at 95 with a rebate of 0.0002 x 95 = 0.019: usdt 10,000 - 95 + 0.019 =
    # 9,905.019. A margin account's Sell at 101 resting, filled by a trade at 102, is credited
    # the same way: realised 0 and a rebate of 0.0002 x 101 = 0.0202.
    exchange = SimulatedExchange(fees_percent="0.001", maker_fees_percent="-0.0002")
    events = [trade(100, 0), trade(94, 1)]
    result, strategy = run({0: [limit("Buy", 1, 95, "m1")]}, events, exchange)
    assert strategy.seen[1].balance(USDT) == D("9905.019")
    assert [(f.price, f.fees) for f in result.fills] == [(D(95), D("-0.019"))]
    margin = SimulatedExchange(account="margin", maker_fees_percent="-0.0002")
    events = [trade(100, 0), trade(102, 1)]
    result, strategy = run({0: [limit("Sell", 1, 101, "s")]}, events, margin)
    assert strategy.seen[1].balance(USDT) == D("10000.0202")
    assert SimulatedExchange(maker_fees_percent="-0.01").maker_fee == D("-0.01")


def test_resting_orders_reserve_and_refusals_name_asset_need_and_free() -> None:
    events = [trade(100, s) for s in range(5)]
    plan: dict[int, list[Request]] = {
        # r1 rests below the touch: it holds 5 x 99 = 495 of the 1,000 usdt (505 free).
        0: [limit("Buy", 5, 99, "r1")],
        1: [
            market("Buy", 6, 100, "m1"),  # needs 600 > 505 free: refused
            market("Buy", 5, 100, "m2"),  # needs 500 <= 505: usdt 500, btc 5
            limit("Sell", 3, 120, "r2"),  # rests above the touch: holds 3 of the 5 btc
        ],
        2: [market("Sell", 3, 100, "m3")],  # needs 3 btc, 2 free: refused
        # The cancel releases r1's 495: 500 usdt free, and m4 needs exactly 500.
        3: [cancel("r1"), market("Buy", 5, 100, "m4")],
    }
    result, strategy = run(plan, events, balances={("okx", "usdt"): 1000})
    seen = strategy.seen
    # A reservation does not move the total (barter's free < total).
    assert (seen[1].balance(USDT), seen[1].open) == (D(1000), {"r1"})
    assert (seen[2].balance(USDT), seen[2].balance(BTC_ASSET), seen[2].open) == (
        D(500),
        D(5),
        {"r1", "r2"},
    )
    assert order(result, "m1").reason == "needs 600 usdt, 505 usdt free"
    assert order(result, "m3").reason == "needs 3 btc, 2 btc free"
    assert [o.status for o in result.orders] == [
        "cancelled",
        "refused",
        "filled",
        "open",
        "refused",
        "filled",
    ]
    assert (seen[4].balance(USDT), seen[4].balance(BTC_ASSET), seen[4].open) == (
        D(0),
        D(10),
        {"r2"},
    )
    assert result.orders_refused == 2
    # Exchange ids count every order: r1=1, m1=2, m2=3, r2=4, m3=5, m4=6.
    assert [f.order_id for f in result.fills] == ["3", "6"]


def test_a_cash_account_cannot_sell_what_it_does_not_hold() -> None:
    result, strategy = run({0: [market("Sell", 1, 100, "s")]}, [trade(100, 0), trade(100, 1)])
    s = order(result, "s")
    assert (s.status, s.reason) == ("refused", "needs 1 btc, 0 btc free")
    assert strategy.seen[1].balance(USDT) == D(10_000) and strategy.seen[1].positions == {}


class Once(DefaultStrategy):
    """Sends `requests` on its first call (an `Engine`'s strategy)."""

    def __init__(self, requests: list[Request]) -> None:
        self.requests = requests

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        requests, self.requests = self.requests, []
        cancels = [r for r in requests if isinstance(r, OrderRequestCancel)]
        opens = [r for r in requests if isinstance(r, OrderRequestOpen)]
        return cancels, opens


def engine(requests: list[Request], **kwargs: Any) -> Engine:
    return Engine(
        BOOK,
        Once(requests),
        strategy_id="backtest",
        balances={("okx", "usdt"): 1000},
        trading_enabled=True,
        **kwargs,
    )


def test_the_engine_audit_carries_the_refusal_reasons() -> None:
    eng = engine([market("Buy", 11, 100, "big"), market("Sell", 1, 100, "naked")])
    audit = eng.process(EngineEvent.trade("okx", "btc_usdt", "100", "1", "Buy", T0))
    assert [(str(o.key.cid), reason) for o, reason in audit.opens_refused] == [
        # 11 x 100 = 1,100 > 1,000 usdt; a spot account holds no btc.
        ("big", "exchange rejected: Rejected(BalanceInsufficient(AssetIndex(2), "
                '"needs 1100 usdt, 1000 usdt free"))'),
        ("naked", "exchange rejected: Rejected(BalanceInsufficient(AssetIndex(0), "
                  '"needs 1 btc, 0 btc free"))'),
    ]  # fmt: skip
    assert audit.trades == [] and eng.state.balances()[USDT] == D(1000)


# --- the margin account ----------------------------------------------------------------------


def test_a_margin_account_shorts_settles_pnl_and_fees_in_quote_and_refuses_beyond_leverage() -> (
    None
):
    exchange = SimulatedExchange(account="margin", leverage=2, fees_percent="0.001")
    events = [trade(100, 0), trade(90, 1), trade(90, 2), trade(90, 3)]
    plan: dict[int, list[Request]] = {
        # 30 x 100 = 3,000 gross > 2 x 1,000 equity: refused.
        0: [market("Buy", 30, 100, "big"), market("Sell", 5, 100, "short")],
        2: [market("Buy", 5, 90, "cover")],
    }
    result, strategy = run(plan, events, exchange, balances={("okx", "usdt"): 1000})
    assert order(result, "big").reason == (
        "gross position value 3000 would exceed leverage 2 x equity 1000"
    )
    seen = strategy.seen
    # The short: 5 at 100, fee 0.001 x 500 = 0.5 off the quote; the base does not move.
    assert (seen[1].balance(USDT), seen[1].balance(BTC_ASSET)) == (D("999.5"), D(0))
    assert seen[1].positions == {BTC: D(-5)}
    # The cover at 90 realises (100 - 90) x 5 = +50, fee 0.001 x 450 = 0.45:
    # 999.5 + 50 - 0.45 = 1,049.05.
    assert (seen[3].balance(USDT), seen[3].positions) == (D("1049.05"), {})
    # Equity = quote + unrealised PnL at the mark: after event 0, 999.5 + 0; after event 1
    # (mark 90) 999.5 + (90 - 100) x -5 = 1,049.5; after the cover 1,049.05 + 0.
    assert usdt_equity(result) == [
        (D("999.5"), D(0), D("999.5")),
        (D("999.5"), D(50), D("1049.5")),
        (D("1049.05"), D(0), D("1049.05")),
        (D("1049.05"), D(0), D("1049.05")),
        (D("1049.05"), D(0), D("1049.05")),  # the end
    ]


# --- limit orders: every time in force, through and touch, partial fills ---------------------


def test_every_time_in_force_against_a_touch_of_100() -> None:
    tif = TimeInForce
    events = [trade(100, 0), trade(100, 1)]
    plan: dict[int, list[Request]] = {
        0: [
            limit("Buy", 1, 99, "ioc", tif.IMMEDIATE_OR_CANCEL),  # not marketable: expires
            limit("Buy", 1, 99, "fok", tif.FILL_OR_KILL),  # not marketable: expires
            limit("Buy", 1, 99, "gtc", tif.GOOD_UNTIL_CANCELLED),  # rests
            limit("Buy", 1, 99, "day", tif.GOOD_UNTIL_END_OF_DAY),  # rests
            limit("Buy", 1, 99, "post", tif.GOOD_UNTIL_CANCELLED_POST_ONLY),  # rests
            limit("Buy", 1, 101, "taker", tif.GOOD_UNTIL_CANCELLED_POST_ONLY),  # refused
        ]
    }
    result, strategy = run(plan, events)
    statuses = {o.cid: (o.status, o.reason) for o in result.orders}
    assert statuses == {
        "ioc": ("expired", "limit 99 not marketable against the touch 100 (ImmediateOrCancel)"),
        "fok": ("expired", "limit 99 not marketable against the touch 100 (FillOrKill)"),
        "gtc": ("open", None),
        "day": ("open", None),
        "post": ("open", None),
        "taker": (
            "refused",
            "post-only order would take liquidity: limit 101 against the touch 100",
        ),
    }
    assert strategy.seen[1].open == {"gtc", "day", "post"}


def test_a_marketable_limit_order_takes_at_the_touch_with_slippage_never_beyond_its_limit() -> None:
    exchange = SimulatedExchange(slippage_bps=10, fees_percent="0.01", maker_fees_percent=0)
    plan: dict[int, list[Request]] = {
        0: [
            # 100 x (1 + 10/10^4) = 100.1 <= 105: fills at 100.1, taker fee 1.001.
            limit("Buy", 1, 105, "x", TimeInForce.IMMEDIATE_OR_CANCEL),
            # 100.1 > 100.05: capped at the limit 100.05, taker fee 1.0005 (it took liquidity).
            limit("Buy", 1, "100.05", "y", GTC),
        ]
    }
    result, _ = run(plan, [trade(100, 0), trade(100, 1)], exchange)
    assert [(o.cid, o.average_price, o.fees, o.status) for o in result.orders] == [
        ("x", D("100.1"), D("1.001"), "filled"),
        ("y", D("100.05"), D("1.0005"), "filled"),
    ]


def test_a_day_order_expires_at_the_first_event_of_the_next_utc_day() -> None:
    midnight = datetime(2026, 1, 6, tzinfo=UTC)
    times = [-1, -0.001, 0, 1]  # seconds from midnight
    events = [
        EngineEvent.trade("okx", "btc_usdt", "100", "1", "Buy", midnight + timedelta(seconds=s))
        for s in times
    ]
    plan: dict[int, list[Request]] = {
        0: [
            limit("Buy", 1, 99, "day", TimeInForce.GOOD_UNTIL_END_OF_DAY),
            limit("Buy", 1, 99, "gtc", GTC),
        ]
    }
    result, strategy = run(plan, events)
    assert [s.open for s in strategy.seen] == [set(), {"day", "gtc"}, {"gtc"}, {"gtc"}]
    day = order(result, "day")
    assert (day.status, day.reason) == ("expired", "GoodUntilEndOfDay: the UTC day ended")
    assert order(result, "gtc").status == "open"


def test_fill_or_kill_too_big_for_the_displayed_amount_expires_whole() -> None:
    exchange = SimulatedExchange(fill_volume="displayed")
    events = [book(99, 101, 0, ask_amount=2), book(99, 101, 1, ask_amount=2)]
    plan: dict[int, list[Request]] = {
        0: [limit("Buy", 3, 101, "fok", TimeInForce.FILL_OR_KILL)],
        1: [market("Buy", 3, 101, "ioc")],
    }
    result, strategy = run(plan, events, exchange)
    fok, ioc = order(result, "fok"), order(result, "ioc")
    assert (fok.status, fok.filled, fok.reason) == (
        "expired",
        D(0),
        "FillOrKill: only 2 displayed at the touch 101",
    )
    # Not FillOrKill: 2 of the 3 fill at the ask, the rest expires.
    assert (ioc.status, ioc.filled, ioc.average_price, ioc.reason) == (
        "partially_filled",
        D(2),
        D(101),
        "the rest (1) expired: only 2 displayed at the touch",
    )
    assert strategy.seen[1].balance(USDT) == D(10_000)


@pytest.mark.parametrize(("limit_fill", "fill_event"), [("touch", 1), ("through", 3)])
def test_a_resting_buy_fills_at_its_limit_through_or_at_touch(
    limit_fill: str, fill_event: int
) -> None:
    # A Buy resting at 99. Event 1 trades at 99 (at the limit: "touch" fills), event 2 shows
    # an ask of 99 (at the limit again), event 3 trades at 98.5 (strictly beyond: "through"
    # fills, at the limit 99, never at 98.5).
    events = [trade(100, 0), trade(99, 1), book(98, 99, 2), trade("98.5", 3), trade("98.5", 4)]
    exchange = SimulatedExchange(limit_fill="touch" if limit_fill == "touch" else "through")
    result, strategy = run({0: [limit("Buy", 1, 99, "r")]}, events, exchange)
    [fill] = result.fills
    assert (fill.price, fill.time) == (D(99), at(fill_event))
    assert [s.balance(BTC_ASSET) for s in strategy.seen] == [
        D(0) if n < fill_event else D(1) for n in range(5)
    ]
    assert strategy.seen[fill_event].balance(USDT) == D(10_000 - 99)


@pytest.mark.parametrize(("limit_fill", "fill_event"), [("touch", 1), ("through", 2)])
def test_a_resting_sell_fills_when_the_book_crosses_it(limit_fill: str, fill_event: int) -> None:
    # A Sell resting at 101 (the touch is the last trade, 100). Event 1's bid is 101 (at the
    # limit), event 2's is 101.5 (strictly beyond); it fills at 101 either way.
    events = [trade(100, 0), book(101, 102, 1), book("101.5", 102, 2), book(100, 102, 3)]
    exchange = SimulatedExchange(limit_fill="touch" if limit_fill == "touch" else "through")
    result, strategy = run(
        {0: [limit("Sell", 1, 101, "r")]}, events, exchange, balances={("okx", "btc"): 1}
    )
    [fill] = result.fills
    assert (fill.price, fill.time, fill.side) == (D(101), at(fill_event), Side.SELL)
    assert strategy.seen[fill_event].balance(USDT) == D(101)


def test_under_displayed_volume_a_crossing_fills_at_most_the_trades_amount() -> None:
    exchange = SimulatedExchange(fill_volume="displayed")
    events = [trade(100, 0), trade(98, 1, amount=2), trade(98, 2, amount=10), trade(98, 3)]
    result, strategy = run({0: [limit("Buy", 5, 99, "p")]}, events, exchange)
    # Event 1 trades 2 below the limit: 2 of 5 fill at 99 (usdt 10,000 - 198 = 9,802) and
    # the rest keeps resting; event 2 trades 10: the other 3 fill (9,802 - 297 = 9,505).
    seen = strategy.seen
    assert (seen[1].balance(USDT), seen[1].balance(BTC_ASSET), seen[1].open) == (
        D(9802),
        D(2),
        {"p"},
    )
    assert (seen[2].balance(USDT), seen[2].balance(BTC_ASSET), seen[2].open) == (
        D(9505),
        D(5),
        set(),
    )
    assert [(f.price, f.quantity) for f in result.fills] == [(D(99), D(2)), (D(99), D(3))]
    p = order(result, "p")
    assert (p.status, p.filled, p.average_price) == ("filled", D(5), D(99))

    # Data that ends after the first crossing: the order is still open, 2 filled.
    result, _ = run({0: [limit("Buy", 5, 99, "p")]}, events[:2], exchange)
    p = order(result, "p")
    assert (p.status, p.filled, p.average_price, p.reason) == ("open", D(2), D(99), None)


def test_displayed_volume_taken_by_one_order_is_not_offered_again_in_the_same_event() -> None:
    # The ask shows 2 at 101: two market Buys of 2 at that book take 2 between them.
    exchange = SimulatedExchange(fill_volume="displayed")
    events = [book(99, 101, 0, ask_amount=2), book(99, 101, 1, ask_amount=2)]
    plan: dict[int, list[Request]] = {0: [market("Buy", 2, 101, "a"), market("Buy", 2, 101, "b")]}
    result, _ = run(plan, events, exchange)
    assert [(o.cid, o.filled, o.status) for o in result.orders] == [
        ("a", D(2), "filled"),
        ("b", D(0), "expired"),
    ]
    assert order(result, "b").reason == "nothing displayed at the touch 101"


# --- cancels ---------------------------------------------------------------------------------


def test_a_cancel_removes_a_resting_order_and_releases_what_it_held() -> None:
    events = [trade(100, s) for s in range(3)]
    plan: dict[int, list[Request]] = {0: [limit("Buy", 100, 99, "r")], 1: [cancel("r")]}
    result, strategy = run(plan, events)
    assert [s.open for s in strategy.seen] == [set(), {"r"}, set()]
    r = order(result, "r")
    assert (r.status, r.reason, r.filled) == ("cancelled", "cancelled by request", D(0))
    assert strategy.seen[2].balance(USDT) == D(10_000)


def test_cancels_of_a_filled_an_unknown_and_a_cancelled_order_are_refused_with_the_reason() -> None:
    eng = engine([market("Buy", 1, 100, "done"), limit("Buy", 1, 90, "rest")])
    eng.process(EngineEvent.trade("okx", "btc_usdt", "100", "1", "Buy", T0))
    assert eng.state.balances()[BTC_ASSET] == D(1)
    assert {str(o.key.cid) for o in eng.state.open_orders()} == {"rest"}
    audit = eng.send_requests([cancel("done"), cancel("nobody"), cancel("rest")], [])
    assert eng.state.open_orders() == []
    again = eng.send_requests([cancel("rest")], [])
    refused = [(str(c.key.cid), reason) for c, reason in audit.cancels_refused]
    refused += [(str(c.key.cid), reason) for c, reason in again.cancels_refused]
    assert refused == [
        ("done", 'exchange rejected: Rejected(OrderRejected("order done is already filled"))'),
        ("nobody", 'exchange rejected: Rejected(OrderRejected("unknown order nobody"))'),
        ("rest", 'exchange rejected: Rejected(OrderRejected("order rest is already cancelled"))'),
    ]


# --- latency in event time -------------------------------------------------------------------


def test_latency_an_order_arrives_at_the_first_event_at_or_after_t_plus_latency() -> None:
    # Sent at 0 with 500 ms of latency: not handled at 0.2 s, handled at the event at 0.5 s
    # against that event's market (102). The order sent at the last event never arrives.
    events = [trade(100, 0), trade(101, 0.2), trade(102, 0.5), trade(103, 1)]
    plan: dict[int, list[Request]] = {
        0: [market("Buy", 1, 100, "b")],
        3: [market("Buy", 1, 103, "late")],
    }
    result, strategy = run(plan, events, SimulatedExchange(latency_ms=500))
    assert [s.balance(USDT) for s in strategy.seen] == [D(10_000), D(10_000), D(9898), D(9898)]
    b = order(result, "b")
    assert (b.time, b.average_price, b.status) == (at(0), D(102), "filled")
    assert result.fills[0].time == at(0.5)
    late = order(result, "late")
    assert (late.status, late.reason) == (
        "expired",
        "did not reach the exchange before the data ended (latency 500 ms)",
    )


def test_latency_a_cancel_travels_too() -> None:
    # The GTC Buy at 99 arrives at 0.5 s; the cancel sent at 0.5 s arrives at 1.0 s, after the
    # trade at 98 (0.7 s) filled the order: it is refused, the order stays filled.
    events = [trade(100, 0), trade(100, 0.5), trade(98, 0.7), trade(100, 1), trade(100, 2)]
    plan: dict[int, list[Request]] = {0: [limit("Buy", 1, 99, "r")], 1: [cancel("r")]}
    result, strategy = run(plan, events, SimulatedExchange(latency_ms=500))
    r = order(result, "r")
    assert (r.status, r.average_price) == ("filled", D(99))
    assert [s.open for s in strategy.seen] == [set(), {"r"}, set(), set(), set()]
    assert strategy.seen[2].balance(BTC_ASSET) == D(1)


def test_the_end_of_data_close_goes_through_the_exchange_at_the_touch() -> None:
    # Bought 2 at 100 x (1 + 10/10^4) = 100.1 (200.2 in all); the data ends on a book
    # 103 / 105: barter names its close at its price, the volume-weighted mid 104, but the
    # exchange sells at the bid with slippage, 103 x (1 - 10/10^4) = 102.897 (205.794 in
    # all): usdt 10,000 - 200.2 + 205.794 = 10,005.594.
    events = [trade(100, 0), book(103, 105, 1)]
    exchange = SimulatedExchange(slippage_bps=10)
    result, _ = run({0: [market("Buy", 2, 100, "b")]}, events, exchange, close=True)
    close = order(result, "backtest-close-1")
    assert (close.side, close.quantity, close.price, close.average_price, close.status) == (
        Side.SELL,
        D(2),
        D(104),
        D("102.897"),
        "filled",
    )
    assert usdt_equity(result)[-1] == (D("10005.594"), D(0), D("10005.594"))
    [position] = result.positions
    assert (position.price_entry, position.price_exit) == (D("100.1"), D("102.897"))


def test_the_end_of_data_close_is_not_held_back_by_latency() -> None:
    # With 200 ms of latency the Buy sent at 0 arrives at 1 s (fills at 100); the position is
    # closed after the data at the touch 110, at once.
    events = [trade(100, 0), trade(100, 1), trade(110, 2)]
    result, _ = run(
        {0: [market("Buy", 1, 100, "b")]}, events, SimulatedExchange(latency_ms=200), close=True
    )
    close = order(result, "backtest-close-1")
    assert (close.status, close.average_price) == ("filled", D(110))
    assert usdt_equity(result)[-1] == (D(10_010), D(0), D(10_010))


# --- the mark, the equity curve, portfolio statistics ----------------------------------------


def test_the_mark_is_the_l1_mid_else_the_last_trade() -> None:
    # 2 btc bought at 100. Holdings = 2 x mark: the trade 100 -> 200; the book 104 / 106 ->
    # mid 105 -> 210; a trade at 120 after a book: the mid still, 210.
    events = [trade(100, 0), book(104, 106, 1), trade(120, 2)]
    result, _ = run({0: [market("Buy", 2, 100, "b")]}, events)
    assert usdt_equity(result) == [
        (D(9800), D(200), D(10_000)),
        (D(9800), D(210), D(10_010)),
        (D(9800), D(210), D(10_010)),
        (D(9800), D(210), D(10_010)),  # the end
    ]


def test_portfolio_statistics_on_a_small_curve() -> None:
    # All 1,000 usdt into 10 btc at 100; then trades at 110, 90, 95, 120; closed at 120.
    # Equity: 1,000, 1,100, 900, 950, 1,200. Total return 1,200 / 1,000 - 1 = 0.2. The
    # largest fall is from the peak 1,100 to 900: 200, 200 / 1,100 of the peak, and the
    # longest drawdown runs from the peak (1 s) to the point that recovers it (1,200 at 4 s).
    events = [trade(p, s) for s, p in enumerate([100, 110, 90, 95, 120])]
    result, _ = run(
        {0: [market("Buy", 10, 100, "b")]}, events, balances={("okx", "usdt"): 1000}, close=True
    )
    assert [p.equity for p in result.equity] == [D(e) for e in (1000, 1100, 900, 950, 1200, 1200)]
    assert [p.drawdown for p in result.equity] == [D(d) for d in (0, 0, 200, 150, 0, 0)]
    [stats] = result.portfolio
    assert (stats.equity_start, stats.equity_end, stats.total_return) == (
        D(1000),
        D(1200),
        D("0.2"),
    )
    assert (stats.max_drawdown, stats.max_drawdown_pct, stats.max_drawdown_duration) == (
        D(200),
        D(200) / D(1100),
        timedelta(seconds=3),
    )
    assert stats.cagr is None and stats.undefined["cagr"] == "under_a_day"


def test_a_long_stretch_without_events_costs_no_points_and_counts_as_flat_returns() -> None:
    """Two trades ten years apart: points at those two times only, not one a minute; the
    ratios count the stretch's minutes as returns of 0, without walking them."""
    from barter_python.session.portfolio import period_returns

    ten_years = 10 * 365 * 86_400
    events = [trade(100, 0), trade(110, ten_years)]
    result, _ = run({0: [market("Buy", 1, 100, "b")]}, events, close=True)
    assert len(result.equity) <= 4 and {p.time for p in result.equity} == {at(0), at(ten_years)}
    returns = period_returns(result.equity, timedelta(minutes=1))
    assert len(returns) == ten_years // 60 and returns.flat == ten_years // 60 - 1
    [stats] = result.portfolio
    assert stats.sharpe_ratio is not None and stats.sharpe_ratio > 0


def test_a_short_last_return_period_counts_pro_rata() -> None:
    """Equity 100 at 0 s, 110 at 60 s, 99 at 90 s, one-minute periods: the last return (-10 %)
    spans half a period and counts as half a return.
    count = 1 + 0.5 = 1.5; mean = (1 x 0.1 + 0.5 x -0.1) / 1.5 = 1/30
    variance = (1 x (0.1 - 1/30)^2 + 0.5 x (-0.1 - 1/30)^2) / (1.5 - 1) = (3/225) / 0.5 = 2/75
    Sharpe per period = (1/30) / sqrt(2/75) = 0.2041241452...; counted whole, the mean would
    be 0 and so would the ratio.
    Sortino: downside = 0.5 x 0.01 / 1.5 = 1/300; per period (1/30) / sqrt(1/300) = 0.5773..."""
    from barter_python.session.portfolio import (
        EquityPoint,
        period_returns,
        portfolio_stats,
        sharpe,
        sortino,
    )

    def point(seconds: int, equity: int) -> EquityPoint:
        value = D(equity)
        return EquityPoint(
            exchange=ExchangeId.BINANCE_SPOT,
            asset="usdt",
            time=at(seconds),
            cash=value,
            holdings=D(0),
            equity=value,
            drawdown=D(0),
        )

    points = [point(0, 100), point(60, 110), point(90, 99)]
    returns = period_returns(points, timedelta(minutes=1))
    assert returns.moving == [D("0.1"), D("-0.1")] and returns.last_weight == D("0.5")
    assert returns.count() == D("1.5")
    ten_places = D("1E-10")
    per_period = sharpe(returns, D(1))[0], sortino(returns, D(1))[0]
    assert [ratio and ratio.quantize(ten_places) for ratio in per_period] == [
        D("0.2041241452"),
        D("0.5773502692"),
    ]
    per_year = D(525_960)  # one-minute periods in a 365.25-day year
    stats = portfolio_stats(points, 0.0, timedelta(minutes=1), at(0), at(90))
    assert stats.sharpe_ratio == sharpe(returns, per_year)[0]
    # A curve that ends on a grid time has no short period: every weight is 1.
    assert period_returns(points[:2], timedelta(minutes=1)).last_weight == 1


# --- validation and config shorthands --------------------------------------------------------


@pytest.mark.parametrize(
    ("field_name", "value"),
    [
        ("fees_percent", "-0.001"),
        ("fees_percent", "1.5"),
        ("maker_fees_percent", "2"),
        ("maker_fees_percent", "-0.0101"),
        ("slippage_bps", "-1"),
        ("slippage_bps", "10000"),
        ("leverage", "0.5"),
        ("latency_ms", -1),
        ("latency_ms", MAX_LATENCY_MS + 1),
    ],
)
def test_simulated_exchange_refuses_bad_settings_naming_the_field(
    field_name: str, value: object
) -> None:
    with pytest.raises(ValidationError) as info:
        SimulatedExchange.model_validate({field_name: value})
    [error] = info.value.errors()
    assert error["loc"] == (field_name,)
    assert field_name in str(info.value)


def test_simulated_exchange_accepts_the_edges() -> None:
    edges = SimulatedExchange(
        fees_percent=1, maker_fees_percent=0, slippage_bps="9999.99", leverage=1, latency_ms=60_000
    )
    assert (edges.maker_fee, edges.latency_ms) == (D(0), 60_000)
    assert SimulatedExchange(latency_ms=MAX_LATENCY_MS).latency_ms == MAX_LATENCY_MS
    assert SimulatedExchange(fees_percent="0.002").maker_fee == D("0.002")
    with pytest.raises(ValidationError, match="extra"):
        SimulatedExchange.model_validate({"fee": 1})


def test_config_fees_and_latency_land_in_the_exchange() -> None:
    config = BacktestConfig(instruments=BOOK, fees_percent="0.001", latency_ms=5)
    assert config.exchange == SimulatedExchange(fees_percent="0.001", latency_ms=5)
    mock = BacktestConfig(
        instruments=BOOK, exchange=BarterMockExchange(), fees_percent="0.002", latency_ms=7
    )
    assert mock.exchange == BarterMockExchange(fees_percent="0.002", latency_ms=7)
    kept = BacktestConfig(
        instruments=BOOK, exchange=SimulatedExchange(slippage_bps=3), fees_percent="0.001"
    )
    assert kept.exchange == SimulatedExchange(slippage_bps=3, fees_percent="0.001")
    with pytest.raises(ValidationError, match="latency_ms"):
        BacktestConfig(instruments=BOOK, latency_ms=-5)


# --- property tests --------------------------------------------------------------------------

PRICES = st.integers(min_value=50, max_value=150).map(lambda n: D(n))
AMOUNTS = st.integers(min_value=1, max_value=40).map(lambda n: D(n) / 4)


@st.composite
def market_events(draw: st.DrawFn) -> list[EngineEvent]:
    """Trades and L1 books of two instruments; several events may share a millisecond."""
    events, ms = [], 0
    for _ in range(draw(st.integers(min_value=2, max_value=25))):
        ms += draw(st.sampled_from([0, 1, 250, 1000, 3_600_000]))
        time = T0 + timedelta(milliseconds=ms)
        instrument = draw(st.sampled_from(["btc_usdt", "eth_usdt"]))
        price = draw(PRICES)
        if draw(st.booleans()):
            amount = draw(AMOUNTS)
            events.append(EngineEvent.trade("okx", instrument, price, amount, "Sell", time))
        else:
            spread = draw(st.integers(min_value=0, max_value=3))
            bid, ask = (draw(AMOUNTS), draw(AMOUNTS))
            events.append(
                EngineEvent.l1("okx", instrument, (price, bid), (price + spread, ask), time)
            )
    return events


TIFS = list(TimeInForce)


@st.composite
def order_flows(draw: st.DrawFn, events: int) -> dict[int, list[Request]]:
    """At some events, a few orders (market and limit, both sides, every time in force) and
    cancels of earlier cids."""
    plan: dict[int, list[Request]] = {}
    cids: list[tuple[str, str]] = []
    for call in range(events):
        requests: list[Request] = []
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            instrument = draw(st.sampled_from(["btc_usdt", "eth_usdt"]))
            if cids and draw(st.integers(min_value=0, max_value=4)) == 0:
                cid, where = draw(st.sampled_from(cids))
                requests.append(cancel(cid, where))
                continue
            cid = f"o{len(cids)}"
            cids.append((cid, instrument))
            side = draw(st.sampled_from(["Buy", "Sell"]))
            quantity = draw(st.integers(min_value=1, max_value=400).map(lambda n: D(n) / 8))
            price = draw(PRICES)
            if draw(st.booleans()):
                requests.append(market(side, str(quantity), str(price), cid, instrument))
            else:
                tif = draw(st.sampled_from(TIFS))
                requests.append(limit(side, str(quantity), str(price), cid, tif, instrument))
        if requests:
            plan[call] = requests
    return plan


EXCHANGES = st.builds(
    SimulatedExchange,
    fees_percent=st.sampled_from([D(0), D("0.001"), D("0.0075")]),
    maker_fees_percent=st.sampled_from([None, D(0), D("0.0002")]),
    slippage_bps=st.sampled_from([D(0), D(5), D("12.5")]),
    fill_volume=st.sampled_from(["unlimited", "displayed"]),
    limit_fill=st.sampled_from(["through", "touch"]),
    latency_ms=st.sampled_from([0, 0, 1, 300]),
)
START_BALANCES = st.fixed_dictionaries(
    {
        ("okx", "usdt"): st.sampled_from([0, 100, 5_000, 100_000]),
        ("okx", "btc"): st.sampled_from([0, 3]),
        ("okx", "eth"): st.sampled_from([0, 2]),
    }
)
ASSETS = {"usdt": USDT, "btc": BTC_ASSET, "eth": ETH_ASSET}


@given(st.data(), market_events(), EXCHANGES, START_BALANCES, st.booleans())
def test_a_cash_account_under_random_markets_and_orders(
    data: st.DataObject,
    events: list[EngineEvent],
    exchange: SimulatedExchange,
    start: dict[tuple[str, str], int],
    close: bool,
) -> None:
    """Every balance stays >= 0; value is conserved exactly; the exchange's holdings are
    barter's positions; identical inputs give identical results.

    Conservation, for a fixed reference price p_i of each instrument (any p works; 100 here):
    a Buy of q at f with fee φ moves cash by -(f q + φ) and base by +q, i.e. value
    (cash + Σ base_i p_i) by -φ + (p_i - f) q; a Sell by -φ + (p_i - f)(-q). So
    Δcash + Σ Δbase_i p_i == -Σ fees + Σ over fills (p_i - f) x signed q, exactly."""
    plan = data.draw(order_flows(len(events)))
    balances: dict[tuple[ExchangeId | str, str], DecimalInput] = dict(start.items())
    result, strategy = run(plan, events, exchange, balances=balances, close=close)

    start_of = {asset: D(start[("okx", asset)]) for asset in ASSETS}
    bases = {"btc_usdt": "btc", "eth_usdt": "eth"}
    for seen in strategy.seen:
        assert all(amount >= 0 for amount in seen.balances.values()), seen.balances
        # The base bought since the start is barter's position, signed, per instrument.
        for (_, instrument), asset in [(BTC, "btc"), (ETH, "eth")]:
            held = seen.balance(ASSETS[asset]) - start_of[asset]
            assert held == seen.positions.get((OKX, instrument), D(0)), (instrument, seen)

    end = {a.asset: a.balance_end for a in result.assets}
    ends = {asset: end.get(asset) or D(0) for asset in ASSETS}
    assert all(amount >= 0 for amount in ends.values()), ends
    assert all(point.cash >= 0 and point.holdings >= 0 for point in result.equity)

    reference = D(100)
    with localcontext() as context:
        context.prec = 80  # exact for these magnitudes
        fees = sum((f.fees for f in result.fills), D(0))
        moves = sum(
            (
                (reference - f.price) * (f.quantity if f.side is Side.BUY else -f.quantity)
                for f in result.fills
            ),
            D(0),
        )
        change = (ends["usdt"] - start_of["usdt"]) + sum(
            (ends[a] - start_of[a]) * reference for a in ("btc", "eth")
        )
        assert change == -fees + moves
        assert fees == sum((o.fees for o in result.orders), D(0))
        # Net base bought per instrument, from the fills, is the change of its base balance.
        for instrument, asset in bases.items():
            net = sum(
                (
                    f.quantity if f.side is Side.BUY else -f.quantity
                    for f in result.fills
                    if f.instrument == instrument
                ),
                D(0),
            )
            assert ends[asset] - start_of[asset] == net
    # Each order's record agrees with its fills.
    for record in result.orders:
        assert D(0) <= record.filled <= record.quantity
        if record.status == "filled":
            assert record.filled == record.quantity
        if record.status in ("refused", "expired", "cancelled") and record.filled == 0:
            assert record.reason

    again, _ = run(plan, events, exchange, balances=balances, close=close)
    assert (
        again.model_copy(update={"wall_time_s": 0.0}).to_json()
        == result.model_copy(update={"wall_time_s": 0.0}).to_json()
    )


# --- barter's own example files on either exchange -------------------------------------------


def barter_example(name: str) -> str | None:
    found = glob.glob(os.path.expanduser(f"~/.cargo/registry/src/*/barter-0.14.0/examples/{name}"))
    return found[0] if found else None


class EveryNth(DefaultStrategy):
    """A market Buy of 0.001 of the first priced instrument at every 5,000th call, named at
    barter's price (on barter's mock, the price it fills at)."""

    def __init__(self) -> None:
        self.calls = 0

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        self.calls += 1
        if self.calls % 5000:
            return [], []
        (exchange, instrument), price = sorted(state.prices().items())[0]
        open = OrderRequestOpen(
            OrderKey(exchange, instrument, "backtest", f"n{self.calls}"),
            RequestOpen(Side.BUY, price, D("0.001"), OrderKind.MARKET, IOC),
        )
        return [], [open]


@pytest.mark.parametrize("kind", ["simulated", "barter_mock"])
def test_barters_own_example_files_run_on_either_exchange(kind: str) -> None:
    config_file = barter_example("config/backtest_config.json")
    data_file = barter_example("data/binance_spot_trades_l1_btcusdt_ethusdt_solusdt.json")
    if not (config_file and data_file):
        pytest.skip("barter's crate sources are not in the cargo registry")
    config = BacktestConfig.from_barter_json(config_file)
    assert config.exchange == SimulatedExchange(fees_percent="0.05", latency_ms=100)
    if kind == "barter_mock":
        config = config.model_copy(
            update={"exchange": BarterMockExchange(fees_percent="0.05", latency_ms=100)}
        )
    data = MarketData.from_barter_json(data_file, instruments=config)
    idle = backtest(DefaultStrategy(), data, config)
    assert (idle.events, idle.orders_sent, idle.exchange) == (50_000, 0, kind)
    trading = backtest(EveryNth(), data, config)
    assert trading.exchange == kind and trading.events == 50_000
    # 10 strategy orders (every 5,000th of 50,000 calls) and the end-of-data close.
    assert (trading.orders_sent, trading.orders_refused) == (11, 0)
    *bought, last, close = trading.orders
    assert close.cid == "backtest-close-1" and close.side is Side.SELL
    if kind == "barter_mock":
        # barter's mock fills everything in full at the price it names.
        assert all(o.status == "filled" and o.average_price == o.price for o in trading.orders)
        return
    # The simulated exchange fills at the touch (Binance's ask, on its 0.01 tick), never at
    # barter's volume-weighted mid the strategy named; the fee is 5 % of the fill's value.
    assert [o.status for o in bought] == ["filled"] * 9
    for o in bought:
        assert o.average_price is not None and o.average_price != o.price
        assert o.average_price == o.average_price.quantize(D("0.01"))
    for fill in trading.fills:
        assert fill.fees == fill.price * fill.quantity * D("0.05")
    # Sent at the last event with 100 ms of latency, the 10th never reaches the exchange;
    # the close (9 x 0.001 btc) is sent after the data and handled at once, at the bid.
    assert (last.status, last.reason) == (
        "expired",
        "did not reach the exchange before the data ended (latency 100 ms)",
    )
    assert (close.status, close.filled) == ("filled", D("0.009"))


# --- starting positions and the drawdown's duration -------------------------------------------


def test_a_starting_position_is_the_exchanges_too() -> None:
    # A margin account holding 1 btc long from 100 (the snapshot), priced 110: closing it sells
    # 1 at the touch, 110, and realises (110 - 100) x 1 = 10 into the quote balance, 1,010.
    # (Were the exchange to start flat, the sell would open a short and realise nothing.)
    book = [
        {"exchange": "okx", "instrument": "btc_usdt", "base": "btc", "quote": "usdt",
         "price": "110", "position": {"instrument": "btc_usdt", "side": "Buy", "quantity": "1",
                                      "price_entry_average": "100"}},
    ]  # fmt: skip
    engine = Engine(
        book,
        DefaultStrategy(),
        balances={("okx", "usdt"): 1000},
        exchange=SimulatedExchange(account="margin"),
    )
    audit = engine.close_positions()
    assert [(t.price, t.quantity) for t in audit.trades] == [(D(110), D(1))]
    assert engine.state.balances()[(ExchangeId.OKX, "usdt")] == D(1010)
    assert engine.state.positions() == {}


def test_the_longest_drawdown_runs_to_its_recovery() -> None:
    from barter_python.session.portfolio import EquityPoint, max_drawdown

    def curve(*values: int) -> list[EquityPoint]:
        return [
            EquityPoint(exchange=OKX, asset="usdt", time=T0 + timedelta(seconds=at),
                        cash=D(v), holdings=D(0), equity=D(v), drawdown=D(0))
            for at, v in enumerate(values)
        ]  # fmt: skip

    # Flat, then up: no drawdown at all.
    assert max_drawdown(curve(1000, 1000, 1100)) == (D(0), None, timedelta(0))
    # 100 at 0 s, under water until 100 again at 3 s: 3 s; the fall 20 is 20 % of the peak.
    assert max_drawdown(curve(100, 80, 90, 100, 120)) == (D(20), D("0.2"), timedelta(seconds=3))
    # Never recovered: to the end (2 s).
    assert max_drawdown(curve(100, 90, 95)) == (D(10), D("0.1"), timedelta(seconds=2))


def test_a_duplicate_cid_is_refused_and_the_resting_order_stays_in_barters_state() -> None:
    # barter keys orders by cid alone: the refusal of a second "x" would drop the first from
    # barter's state; the exchange reports the resting order again, as it stands.
    book = [{"exchange": "okx", "instrument": "btc_usdt", "base": "btc", "quote": "usdt",
             "price": "100"}]  # fmt: skip
    engine = Engine(book, DefaultStrategy(), balances={("okx", "usdt"): 1000})

    def limit(price: int) -> OrderRequestOpen:
        return OrderRequestOpen(
            OrderKey("okx", "btc_usdt", "s", "x"),
            RequestOpen("Buy", price, 1, "Limit", "GoodUntilCancelled"),
        )

    assert engine.send_requests([], [limit(90)]).opens_refused == []
    assert len(engine.state.open_orders()) == 1
    [(_, reason)] = engine.send_requests([], [limit(80)]).opens_refused
    assert "an open order already has cid x" in reason
    assert len(engine.state.open_orders()) == 1


# --- nothing fills against the past (spec §8, replay order) ----------------------------------


def test_a_late_event_updates_the_market_but_never_fills_an_order_placed_after_it() -> None:
    # The recording mixes clocks: after the trade at 1.0 s come a trade stamped 0.9 s and a
    # book stamped 0.95 s. "r" (Buy 1 at 99) reaches the exchange at 1.0 s (the latest time
    # seen, no latency). The late trade at 98 and the late ask of 97 are strictly below 99 but
    # older than r: they move the market (m, a market Buy at event 1, fills at the late trade,
    # 98; the mark becomes the late book's mid 96.5), never r. The trade at 98 stamped 1.0 s,
    # not before r, fills it at its limit, 99.
    events = [trade(100, 1), trade(98, 0.9), book(96, 97, 0.95), trade(98, 1), trade(98, 2)]
    plan: dict[int, list[Request]] = {0: [limit("Buy", 1, 99, "r")], 1: [market("Buy", 1, 1, "m")]}
    result, strategy = run(plan, events)
    assert [s.open for s in strategy.seen] == [set(), {"r"}, {"r"}, set(), set()]
    assert order(result, "m").average_price == D(98)
    r = order(result, "r")
    assert (r.time, r.status, r.average_price) == (at(1), "filled", D(99))
    # usdt: 10,000 - 98 = 9,902 after m; - 99 = 9,803 after r. Holdings at event 2: 1 btc at
    # the late book's mid (96 + 97) / 2 = 96.5; at event 3: 2 btc x 96.5 = 193.
    assert usdt_equity(result)[1:4] == [
        (D(9902), D(98), D(10_000)),
        (D(9902), D("96.5"), D("9998.5")),
        (D(9803), D(193), D(9996)),
    ]


class PassiveQuotes(DefaultStrategy):
    """Every 100th call, on the instrument of that call's L1 book, a Buy at its best bid and a
    Sell at its best ask of 1/1000 of the balance's scale (never marketable: they rest); records
    every call's event time and the resting orders."""

    def __init__(self) -> None:
        self.sizes = {"btc_usdt": D("0.001"), "eth_usdt": D("0.01"), "sol_usdt": D("0.1")}
        self.calls: list[tuple[datetime | None, set[str]]] = []

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        event = state.event
        self.calls.append(
            (event.time if event else None, {str(o.key.cid) for o in state.open_orders()})
        )
        call = len(self.calls) - 1
        if event is None or event.kind != "l1" or call % 100 or event.instrument is None:
            return [], []
        size, (bid, ask) = self.sizes[event.instrument], (event.bid, event.ask)
        return [], [
            OrderRequestOpen(
                OrderKey(event.exchange, event.instrument, "backtest", f"{side}-{call}"),
                RequestOpen(side, price, size, OrderKind.LIMIT, GTC),
            )
            for side, price in (("Buy", bid), ("Sell", ask))
            if price is not None
        ]


def test_on_barters_recording_no_passive_fill_comes_from_an_event_older_than_its_order() -> None:
    # barter's recording is in arrival order: 10,407 of its 11,032 trades replay after a newer
    # book. Each resting order reached the exchange at its `time` (no latency); the event that
    # filled it (the first call where it is no longer open) must not be stamped before that.
    config_file = barter_example("config/backtest_config.json")
    data_file = barter_example("data/binance_spot_trades_l1_btcusdt_ethusdt_solusdt.json")
    if not (config_file and data_file):
        pytest.skip("barter's crate sources are not in the cargo registry")
    config = BacktestConfig.from_barter_json(config_file)
    config = config.model_copy(
        update={
            "exchange": SimulatedExchange(
                fees_percent="0.001", maker_fees_percent=0, limit_fill="touch"
            ),
            "balances": {**config.balances, (ExchangeId.BINANCE_SPOT, "usdt"): D(1_000_000)},
            "close_positions_at_end": False,
        }
    )
    strategy = PassiveQuotes()
    result = backtest(strategy, MarketData.from_barter_json(data_file, instruments=config), config)
    passive = []
    for o in result.orders:
        if o.status != "filled" or o.fees:  # a taker fill pays the 0.1 % fee; a maker one none
            continue
        call = int(o.cid.split("-")[1])
        filled_at = next(
            j for j in range(call + 1, len(strategy.calls)) if o.cid not in strategy.calls[j][1]
        )
        event_time = strategy.calls[filled_at][0]
        assert event_time is not None
        passive.append((o.cid, o.time, event_time))
    assert len(passive) >= 50, len(passive)  # enough fills for the check to mean something
    older = [(cid, placed_at, when) for cid, placed_at, when in passive if when < placed_at]
    assert older == []


# --- Engine latency in event time ------------------------------------------------------------


def test_engine_latency_passes_in_event_time_not_wall_clock() -> None:
    # Events of 2026-01-05 (before today's wall clock). The Buy sent at the event at 0 s with
    # 500 ms of latency reaches the exchange at the first event at or after 0.5 s, and fills at
    # that event's touch, 102.
    eng = engine([market("Buy", 1, 100, "b")], latency_ms=500)
    first = eng.process(trade(100, 0))
    assert [str(o.key.cid) for o in first.opens_sent] == ["b"] and first.trades == []
    assert eng.process(trade(101, 0.2)).trades == []
    arrived = eng.process(trade(102, 0.5))
    assert [(t.price, t.quantity) for t in arrived.trades] == [(D(102), D(1))]
    assert eng.state.balances()[USDT] == D(1000 - 102)


# --- margin: resting orders count toward the leverage ----------------------------------------


def test_resting_margin_orders_count_toward_leverage_as_if_filled() -> None:
    # Leverage 2 on 1,000 of equity allows a gross position value of 2,000 at the mark 100.
    # b1 (Buy 10 at 95) rests: as if filled, 10 x 100 = 1,000. b2 (Buy 10 at 94): 20 x 100 =
    # 2,000, at the limit. b3 (Buy 1 at 93): 21 x 100 = 2,100 > 2,000, refused. s1 (Sell 15 at
    # 110) on the other side: filled alone it leaves -15 (1,500), with the buys +20 (2,000);
    # the worst case stays 2,000: it rests.
    exchange = SimulatedExchange(account="margin", leverage=2)
    plan: dict[int, list[Request]] = {
        0: [
            limit("Buy", 10, 95, "b1"),
            limit("Buy", 10, 94, "b2"),
            limit("Buy", 1, 93, "b3"),
            limit("Sell", 15, 110, "s1"),
        ]
    }
    result, strategy = run(
        plan, [trade(100, 0), trade(100, 1)], exchange, balances={("okx", "usdt"): 1000}
    )
    assert [(o.cid, o.status) for o in result.orders] == [
        ("b1", "open"),
        ("b2", "open"),
        ("b3", "refused"),
        ("s1", "open"),
    ]
    assert order(result, "b3").reason == (
        "gross position value 2100 would exceed leverage 2 x equity 1000"
    )
    assert strategy.seen[1].open == {"b1", "b2", "s1"}


# --- the end-of-data close cancels resting orders first --------------------------------------


def test_the_end_of_data_close_cancels_a_resting_sell_that_would_block_it() -> None:
    # Bought 2 btc at 100 (usdt 10,000 - 200 = 9,800); a resting Sell of 2 at 120 holds both.
    # At the end the close cancels it first, then sells the 2 btc at the touch 101:
    # usdt 9,800 + 202 = 10,002, btc 0.
    events = [trade(100, 0), trade(101, 1)]
    plan: dict[int, list[Request]] = {0: [market("Buy", 2, 100, "b"), limit("Sell", 2, 120, "r")]}
    result, strategy = run(plan, events, close=True)
    assert strategy.seen[1].open == {"r"}
    r = order(result, "r")
    assert (r.status, r.reason, r.filled) == (
        "cancelled",
        "cancelled by the end-of-data close",
        D(0),
    )
    close = order(result, "backtest-close-1")
    assert (close.side, close.quantity, close.status, close.average_price) == (
        Side.SELL,
        D(2),
        "filled",
        D(101),
    )
    ends = {a.asset: a.balance_end for a in result.assets}
    assert (ends["usdt"], ends["btc"]) == (D(10_002), D(0))
    assert [o.status for o in result.orders if o.status == "open"] == []


# --- a limit order never fills past the book --------------------------------------------------


@pytest.mark.parametrize("fill_volume", ["unlimited", "displayed"])
def test_a_limit_order_fills_at_most_what_the_book_shows_within_its_limit(
    fill_volume: str,
) -> None:
    # Every book shows 0.5 at the ask 101. An IOC Buy of 2 at 101 fills 0.5 and the rest
    # expires; a FOK Buy of 2 expires whole; a GTC Buy of 2 fills 0.5 at once and rests 1.5,
    # which the trade at 100.5 (strictly below 101, amount 5) fills at 101. A market Buy of 2
    # fills 2 under "unlimited" (for market orders only), 0.5 under "displayed".
    exchange = SimulatedExchange.model_validate({"fill_volume": fill_volume})
    events = [book(99, 101, s, ask_amount="0.5") for s in range(4)]
    events += [trade("100.5", 4, amount=5), trade(100, 5)]
    plan: dict[int, list[Request]] = {
        0: [limit("Buy", 2, 101, "ioc", IOC)],
        1: [limit("Buy", 2, 101, "fok", TimeInForce.FILL_OR_KILL)],
        2: [limit("Buy", 2, 101, "gtc", GTC)],
        3: [market("Buy", 2, 101, "mkt")],
    }
    result, strategy = run(plan, events, exchange)
    ioc, fok, gtc, mkt = (order(result, cid) for cid in ("ioc", "fok", "gtc", "mkt"))
    assert (ioc.status, ioc.filled, ioc.average_price, ioc.reason) == (
        "partially_filled",
        D("0.5"),
        D(101),
        "the rest (1.5) expired: only 0.5 displayed at the touch",
    )
    assert (fok.status, fok.filled, fok.reason) == (
        "expired",
        D(0),
        "FillOrKill: only 0.5 displayed at the touch 101",
    )
    # The GTC's 0.5 at once (usdt - 50.5) and its 1.5 resting, holding 1.5 x 101 = 151.5.
    assert (strategy.seen[3].open, strategy.seen[3].balance(BTC_ASSET)) == ({"gtc"}, D(1))
    assert (gtc.status, gtc.filled, gtc.average_price) == ("filled", D(2), D(101))
    assert [(f.price, f.quantity) for f in result.fills if f.order_id == "3"] == [
        (D(101), D("0.5")),
        (D(101), D("1.5")),
    ]
    bought = D(2) if fill_volume == "unlimited" else D("0.5")
    assert (mkt.filled, mkt.average_price) == (bought, D(101))
    # usdt: 10,000 - 50.5 (ioc) - 202 (gtc) - 101 x mkt's fill.
    assert strategy.seen[5].balance(USDT) == D(10_000) - D("50.5") - D(202) - D(101) * bought
