"""Depth at the simulated exchange (spec §12) through the public API: takers walk an L2 book,
own fills consume its levels until the feed changes them, resting orders keep a queue
position (risk-averse and probabilistic), `queue_ahead` in `result.orders`, the warning and
fallback without L2, `state.book`. Every expected number is worked by hand in the comments.
A property test on random L2 and trade streams: queue fills never exceed what traded at the
event, and the cash account's balances stay exact."""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from barter_python import (
    ExchangeId,
    OrderKey,
    OrderKind,
    OrderRequestOpen,
    RequestOpen,
    TimeInForce,
)
from barter_python.backtest import BacktestConfig, BacktestResult, MarketData, backtest
from barter_python.engine import BookView, DefaultStrategy, EngineEvent, EngineStateView, Requests
from barter_python.exchange import SimulatedExchange

D = Decimal
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
USDT = (ExchangeId.OKX, "usdt")
BTC = (ExchangeId.OKX, "btc")
GTC = TimeInForce.GOOD_UNTIL_CANCELLED
IOC = TimeInForce.IMMEDIATE_OR_CANCEL
Levels = Sequence[tuple[str, str]]


def at(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms)


def l2(ms: int, bids: Levels = (), asks: Levels = (), snapshot: bool = False) -> EngineEvent:
    return EngineEvent.l2("okx", "btc_usdt", bids, asks, snapshot=snapshot, time=at(ms))


def sell_trade(ms: int, price: str, amount: str) -> EngineEvent:
    """A trade whose aggressor sold: it meets the bids."""
    return EngineEvent.trade("okx", "btc_usdt", price, amount, "Sell", at(ms))


def order(side: str, kind: OrderKind, price: str, quantity: str, cid: str) -> OrderRequestOpen:
    tif = IOC if kind is OrderKind.MARKET else GTC
    return OrderRequestOpen(
        OrderKey("okx", "btc_usdt", "depth", cid), RequestOpen(side, price, quantity, kind, tif)
    )


@dataclass
class Plan(DefaultStrategy):
    """At market event `n`, the orders `plan[n]`; records balances and the book at each call."""

    plan: dict[int, list[OrderRequestOpen]] = field(default_factory=dict)
    balances: list[dict[tuple[ExchangeId, str], Decimal]] = field(default_factory=list)
    books: list[BookView | None] = field(default_factory=list)

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        self.balances.append(state.balances())
        self.books.append(state.book("okx", "btc_usdt", depth=2))
        return [], self.plan.get(len(self.balances) - 1, [])


def run(
    plan: dict[int, list[OrderRequestOpen]],
    events: Sequence[EngineEvent],
    exchange: SimulatedExchange,
    btc: int = 0,
) -> tuple[BacktestResult, Plan]:
    config = BacktestConfig(
        instruments=[{"exchange": "okx", "instrument": "btc_usdt", "base": "btc",
                      "quote": "usdt"}],
        balances={("okx", "usdt"): 10_000, ("okx", "btc"): btc},
        exchange=exchange,
        close_positions_at_end=False,
    )  # fmt: skip
    strategy = Plan(plan)
    return backtest(strategy, MarketData.from_events(events, order="as_is"), config), strategy


def test_a_market_order_walks_three_levels() -> None:
    asks = [("101", "1"), ("102", "2"), ("103", "5")]
    events = [l2(0, [("99", "1")], asks, True), l2(1, [("99", "2")])]
    plan = {0: [order("Buy", OrderKind.MARKET, "1", "3.5", "m")]}
    result, strategy = run(plan, events, SimulatedExchange(fees_percent="0.001"))
    # 1 at 101, 2 at 102, 0.5 at 103: 101 + 204 + 51.5 = 356.5; fees 0.101 + 0.204 + 0.0515
    # = 0.3565; average 356.5 / 3.5 (barter's 28 decimal places).
    assert [(f.price, f.quantity, f.fees) for f in result.fills] == [
        (D(101), D(1), D("0.101")),
        (D(102), D(2), D("0.204")),
        (D(103), D("0.5"), D("0.0515")),
    ]
    [m] = result.orders
    assert (m.status, m.filled, m.fees, m.average_price) == (
        "filled", D("3.5"), D("0.3565"), D("101.85714285714285714285714286"),
    )  # fmt: skip
    assert m.queue_ahead is None  # a taker: no queue
    # 10000 - 356.5 - 0.3565 = 9643.1435 usdt and 3.5 btc at the next call.
    assert (strategy.balances[1][USDT], strategy.balances[1][BTC]) == (D("9643.1435"), D("3.5"))


def test_own_fills_consume_a_level_until_the_feed_changes_it() -> None:
    events = [
        l2(0, [("99", "1")], [("101", "2"), ("102", "3")], True),
        l2(1, [("99", "4")]),  # another level: 101's consumption stands
        l2(2, [], [("101", "5")]),  # the feed sets 101: its amount stands
        l2(3, [("99", "2")]),
    ]

    def buy(cid: str, quantity: str) -> OrderRequestOpen:
        return order("Buy", OrderKind.MARKET, "1", quantity, cid)

    plan = {0: [buy("a", "2")], 1: [buy("b", "1")], 2: [buy("c", "1")]}
    result, _ = run(plan, events, SimulatedExchange())
    # a takes 101's 2; b meets 102 (101 used up); c meets 101 again (the feed's 5).
    assert [(f.price, f.quantity) for f in result.fills] == [
        (D(101), D(2)), (D(102), D(1)), (D(101), D(1)),
    ]  # fmt: skip


def test_a_risk_averse_queue_fills_past_its_front_and_reports_queue_ahead() -> None:
    events = [
        l2(0, [("100", "5"), ("99", "3")], [("101", "2")], True),
        sell_trade(1, "100", "2"),  # front 5 - 2 = 3
        l2(2, [("100", "2")]),  # 5 -> 2: min(3, 2) = 2 (a cancel counted ahead)
        sell_trade(3, "100", "2.5"),  # front 2 - 2.5 = -0.5: 0.5 fills at 100, maker
    ]
    plan = {0: [order("Buy", OrderKind.LIMIT, "100", "1", "b")]}
    exchange = SimulatedExchange(queue="risk_averse", maker_fees_percent="0.001")
    result, strategy = run(plan, events, exchange)
    [b] = result.orders
    assert (b.queue_ahead, b.filled, b.status, b.fees) == (D(5), D("0.5"), "open", D("0.05"))
    assert [(f.price, f.quantity) for f in result.fills] == [(D(100), D("0.5"))]
    # 0.5 x 100 = 50 plus the maker fee 0.05: 9949.95 usdt in total, 0.5 btc.
    assert strategy.balances[-1][USDT] == D("9949.95")
    assert result.warnings == []
    assert result.to_pandas("orders")["queue_ahead"].tolist() == [D(5)]
    again = pickle.loads(pickle.dumps(result))
    assert again.orders[0].queue_ahead == D(5)
    assert BacktestResult.model_validate_json(result.to_json()).orders == result.orders


def test_a_probabilistic_power_queue_by_hand() -> None:
    events = [
        l2(0, [("100", "6")], [("101", "1")], True),  # b joins behind 6
        l2(1, [("100", "10")]),  # grew: front stays 6
        sell_trade(2, "100", "2"),  # front 4, 2 traded at 100
        # 10 -> 5: chg = 10 - 5 - 2 = 3; back = 10 - 4 = 6; p = 6²/(6² + 4²) = 9/13;
        # front = 4 - (4/13)·3 + min(6 - 27/13, 0) = 40/13 ≈ 3.077
        l2(3, [("100", "5")]),
        sell_trade(4, "100", "4"),  # front 40/13 - 4 = -12/13 ≈ -0.923: 0.92 (lot 0.01)
    ]
    plan = {0: [order("Buy", OrderKind.LIMIT, "100", "1", "b")]}
    exchange = SimulatedExchange(queue="probabilistic", queue_function="power", queue_power=2)
    config_spec = {"tick_size": "0.5", "lot_size": "0.01", "min_notional": "0"}
    config = BacktestConfig(
        instruments=[{"exchange": "okx", "instrument": "btc_usdt", "base": "btc",
                      "quote": "usdt", "spec": config_spec}],
        balances={("okx", "usdt"): 10_000},
        exchange=exchange,
        close_positions_at_end=False,
    )  # fmt: skip
    result = backtest(Plan(plan), MarketData.from_events(events, order="as_is"), config)
    assert [(f.price, f.quantity) for f in result.fills] == [(D(100), D("0.92"))]


def test_a_probabilistic_log_queue_by_hand() -> None:
    events = [
        l2(0, [("100", "3")], [("101", "1")], True),  # front 3
        l2(1, [("100", "10")]),  # grew: front 3, back 7
        # 10 -> 6: chg 4; p = ln 8 / (ln 8 + ln 4) = 3/5; front = 3 - (2/5)·4 = 1.4
        l2(2, [("100", "6")]),
        sell_trade(3, "100", "2"),  # front 1.4 - 2 = -0.6: 0.6 fills
    ]
    plan = {0: [order("Buy", OrderKind.LIMIT, "100", "1", "b")]}
    exchange = SimulatedExchange(queue="probabilistic", queue_function="log")
    result, _ = run(plan, events, exchange)
    assert [(f.price, f.quantity) for f in result.fills] == [(D(100), D("0.6"))]


def test_a_queue_model_without_l2_warns_once_and_falls_back_to_limit_fill() -> None:
    events = [
        EngineEvent.trade("okx", "btc_usdt", "100", "1", "Buy", at(0)),
        sell_trade(1, "98.5", "1"),  # through b1's 99 (limit_fill="through")
    ]
    plan = {0: [order("Buy", OrderKind.LIMIT, "99", "1", "b1"),
                order("Buy", OrderKind.LIMIT, "98", "1", "b2")]}  # fmt: skip
    result, _ = run(plan, events, SimulatedExchange(queue="risk_averse"))
    assert result.warnings == [
        'queue="risk_averse": no L2 book for okx:btc_usdt when an order came to rest: its '
        "resting orders fill by limit_fill instead"
    ]
    assert [(o.cid, o.status, o.queue_ahead) for o in result.orders] == [
        ("b1", "filled", None), ("b2", "open", None),
    ]  # fmt: skip


def test_state_book_is_the_book_as_the_engine_processed_it() -> None:
    events = [
        l2(0, [("99", "1"), ("98", "2"), ("97", "3")], [("101", "4")], True),
        l2(1, [("99", "0")]),
    ]
    _, strategy = run({}, events, SimulatedExchange())
    first, second = strategy.books
    assert first is not None and second is not None
    # depth=2: the two best bids.
    assert first.bids == ((D(99), D(1)), (D(98), D(2)))
    assert second.bids == ((D(98), D(2)), (D(97), D(3)))
    assert (second.asks, second.time) == (((D(101), D(4)),), at(1))
    assert pickle.loads(pickle.dumps(second)) == second
    assert "BookView(bids=((Decimal('98')" in repr(second)


def test_queue_power_must_be_positive() -> None:
    with pytest.raises(ValueError, match="queue_power"):
        SimulatedExchange(queue="probabilistic", queue_power=0)


# --- a property: random L2 and trade streams -------------------------------------------------

PRICES = ["98", "99", "100"]


Stream = tuple[list[EngineEvent], dict[datetime, tuple[Decimal, Decimal]]]


@st.composite
def streams(draw: st.DrawFn) -> Stream:
    """A snapshot of bids at 98-100 (asks at 110: never crossed), then updates of those levels
    and Sell-aggressor trades at them, one event per millisecond; and each trade's amount by
    its time (price, amount)."""
    amount = st.sampled_from(["0.5", "1", "2.25", "3"])
    events = [l2(0, [(p, draw(amount)) for p in PRICES], [("110", "5")], True)]
    traded: dict[datetime, tuple[Decimal, Decimal]] = {}
    for ms in range(1, draw(st.integers(1, 30)) + 1):
        price = draw(st.sampled_from(PRICES))
        if draw(st.booleans()):
            size = draw(amount)
            traded[at(ms)] = (D(price), D(size))
            events.append(sell_trade(ms, price, size))
        else:
            events.append(l2(ms, [(price, draw(st.sampled_from(["0", "0.5", "4"])))]))
    return events, traded


@settings(max_examples=100, deadline=None)
@given(
    streams(),
    st.lists(st.tuples(st.sampled_from(PRICES), st.sampled_from(["0.5", "1", "1.5"])),
             min_size=1, max_size=4),
    st.sampled_from(["risk_averse", "probabilistic"]),
    st.sampled_from(["power", "log"]),
    st.sampled_from(["unlimited", "displayed"]),
)  # fmt: skip
def test_queue_fills_never_exceed_the_traded_amount_and_cash_is_conserved(
    stream: Stream,
    orders: list[tuple[str, str]],
    queue: str,
    function: str,
    volume: str,
) -> None:
    plan = {0: [order("Buy", OrderKind.LIMIT, p, q, f"b{n}") for n, (p, q) in enumerate(orders)]}
    exchange = SimulatedExchange.model_validate(
        {"queue": queue, "queue_function": function, "fill_volume": volume,
         "maker_fees_percent": "0.001"}
    )  # fmt: skip
    events, traded = stream
    result, strategy = run(plan, events, exchange)
    # Fills come only at trades (the asks never reach the bids). At a trade's price (the
    # queue's fills), never more than it traded; through it, "unlimited" fills whole orders.
    filled: dict[datetime, Decimal] = {}
    for fill in result.fills:
        price, amount = traded[fill.time]
        if fill.price == price or volume == "displayed":
            filled[fill.time] = filled.get(fill.time, D(0)) + fill.quantity
            assert filled[fill.time] <= amount, (fill, amount)
    # Cash: 10000 - Σ price x quantity x 1.001, exactly; btc = Σ quantity.
    spent = sum((f.price * f.quantity + f.fees for f in result.fills), D(0))
    assert all(f.fees == f.price * f.quantity * D("0.001") for f in result.fills)
    last = strategy.balances[-1]
    assert last[USDT] == D(10_000) - spent
    assert last.get(BTC, D(0)) == sum((f.quantity for f in result.fills), D(0))
