"""Conditional orders (spec §13), rule by rule, with every expected number worked out by hand in
the comments: on trades, on L1 books, through `Engine.send_requests` and in a paper session on
the local exchange. Orders are returned by a strategy (`Plan`): at market event `n` (counted
from 0) it returns `plan[n]`, placed after that event, so they trigger from event `n + 1` on.
"""

from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from barter_python import (
    BacktestError,
    ExchangeId,
    OrderKey,
    OrderKind,
    OrderRequestOpen,
    RequestOpen,
)
from barter_python import TimeInForce as Tif
from barter_python.backtest import BacktestConfig, BacktestResult, MarketData, backtest
from barter_python.engine import DefaultStrategy, Engine, EngineEvent, EngineStateView, Requests
from barter_python.exchange import (
    BarterMockExchange,
    Bracket,
    ConditionalOrder,
    SimulatedExchange,
)
from barter_python.live import LiveConfig, LiveSystem
from barter_python.live.testing import LocalExchange
from barter_python.order import OrderRequestCancel, RequestCancel
from barter_python.risk import RiskLimits
from barter_python.strategy import (
    Bar,
    BarStrategy,
    bracket,
    oco,
    stop_order,
    take_profit,
    trailing_stop,
)

D = Decimal
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
BTC = (ExchangeId.OKX, "btc_usdt")
BOOK: list[dict[str, Any]] = [
    {"exchange": "okx", "instrument": "btc_usdt", "base": "btc", "quote": "usdt"}
]
Item = OrderRequestOpen | OrderRequestCancel | ConditionalOrder | Bracket


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def trade(price: str | int, seconds: float, amount: str | int = 1) -> EngineEvent:
    return EngineEvent.trade("okx", "btc_usdt", str(price), str(amount), "Buy", at(seconds))


def book(bid: str | int, ask: str | int, seconds: float) -> EngineEvent:
    return EngineEvent.l1("okx", "btc_usdt", (str(bid), "5"), (str(ask), "5"), at(seconds))


def stop(
    side: str, quantity: str | int, trigger: str | int, cid: str, **kw: Any
) -> ConditionalOrder:
    return stop_order("okx", "btc_usdt", side, quantity, trigger, strategy_id="s", cid=cid, **kw)


def limit_buy(quantity: str | int, price: str | int, cid: str) -> OrderRequestOpen:
    key = OrderKey("okx", "btc_usdt", "s", cid)
    request = RequestOpen(
        "Buy", str(price), str(quantity), OrderKind.LIMIT, Tif.GOOD_UNTIL_CANCELLED
    )
    return OrderRequestOpen(key, request)


def cancel(cid: str) -> OrderRequestCancel:
    return OrderRequestCancel(OrderKey("okx", "btc_usdt", "s", cid), RequestCancel())


@dataclass
class Plan(DefaultStrategy):
    """At market event `n`, `plan[n]`; records the untriggered orders and barter's open orders
    and position at every call."""

    plan: dict[int, list[Item]] = field(default_factory=dict)
    held: list[list[ConditionalOrder]] = field(default_factory=list)
    open: list[set[str]] = field(default_factory=list)
    positions: list[Decimal] = field(default_factory=list)

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        call = len(self.held)
        self.held.append(state.conditional_orders())
        self.open.append({str(o.key.cid) for o in state.open_orders()})
        position = state.positions().get(BTC)
        self.positions.append(position.quantity if position else D(0))
        items = self.plan.get(call, [])
        cancels = [i for i in items if isinstance(i, OrderRequestCancel)]
        return cancels, [i for i in items if not isinstance(i, OrderRequestCancel)]


def run(
    plan: dict[int, list[Item]],
    events: Sequence[EngineEvent],
    *,
    btc: int = 0,
    exchange: SimulatedExchange | BarterMockExchange | None = None,
    **fields: Any,
) -> tuple[BacktestResult, Plan]:
    held = {"instrument": "btc_usdt", "side": "Buy", "quantity": btc, "price_entry_average": 100}
    config = BacktestConfig(
        instruments=[{**BOOK[0], "position": held}] if btc else BOOK,
        balances={("okx", "usdt"): 10_000, ("okx", "btc"): btc},
        exchange=exchange or SimulatedExchange(),
        equity_interval=None,
        **{"close_positions_at_end": False, **fields},
    )
    strategy = Plan(plan)
    # No end-of-data close unless asked: what the orders did is all that fills.
    return backtest(strategy, MarketData.from_events(events), config), strategy


def row(result: BacktestResult, cid: str) -> Any:
    [found] = [o for o in result.orders if o.cid == cid]
    return found


# --- the types -------------------------------------------------------------------------------


def test_conditional_orders_are_frozen_values_that_pickle_and_compare() -> None:
    order = stop("Sell", "0.5", 95, "s1", limit="94.5", reduce_only=True)
    assert (order.kind, order.trigger, order.limit, order.quantity) == (
        "stop_limit",
        D(95),
        D("94.5"),
        D("0.5"),
    )
    assert (order.trigger_on, order.strict, order.reduce_only) == ("trade", False, True)
    assert order == stop("Sell", "0.5", 95, "s1", limit="94.5", reduce_only=True)
    assert hash(order) == hash(stop("Sell", "0.5", 95, "s1", limit="94.5", reduce_only=True))
    assert order != stop("Sell", "0.5", 95, "s2", limit="94.5", reduce_only=True)
    assert repr(order).startswith("ConditionalOrder(key=OrderKey(exchange=ExchangeId.OKX")
    assert "kind='stop_limit', trigger=Decimal('95'), limit=Decimal('94.5')" in repr(order)
    trail = trailing_stop("okx", "btc_usdt", "Sell", 1, offset_bps=50, strategy_id="s", cid="t")
    pair = oco(
        stop("Sell", 1, 90, "a"),
        take_profit("okx", "btc_usdt", "Sell", 1, 110, strategy_id="s", cid="b"),
    )
    entry = bracket(limit_buy(1, 100, "e"), stop_loss=95, take_profit=110)
    for value in (order, trail, pair, entry):
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            assert pickle.loads(pickle.dumps(value, protocol)) == value
        assert type(value).from_json(value.to_json()) == value
    assert (trail.kind, trail.trigger, trail.offset, trail.offset_bps) == (
        "trailing_stop",
        None,
        None,
        D(50),
    )
    # A bracket's legs: the other side, cids {cid}-sl and {cid}-tp, quantity 0 until it fills.
    assert [(leg.kind, str(leg.key.cid), leg.side.value, leg.quantity) for leg in entry.legs] == [
        ("stop", "e-sl", "Sell", D(0)),
        ("take_profit", "e-tp", "Sell", D(0)),
    ]
    assert entry.entry == limit_buy(1, 100, "e") and pair.entry is None


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: stop("Sell", 1, 0, "x"), "trigger: must be > 0, got 0 (okx:btc_usdt, cid x)"),
        (lambda: stop("Sell", 0, 95, "x"), "quantity: must be > 0, got 0 (okx:btc_usdt"),
        (
            lambda: stop("Sell", 1, 95, "x", limit=96),
            "limit: a Sell stop-limit's limit 96 is above its trigger 95",
        ),
        (
            lambda: stop("Buy", 1, 105, "x", limit=104),
            "limit: a Buy stop-limit's limit 104 is below its trigger 105",
        ),
        (
            lambda: stop("Sell", 1, 95, "x", trigger_on="last"),
            "trigger_on: must be 'trade', 'quote' or 'mark'",
        ),
        (
            lambda: trailing_stop(
                "okx", "btc_usdt", "Sell", 1, offset=1, offset_bps=2, strategy_id="s"
            ),
            "offset: give offset or offset_bps, not both",
        ),
        (
            lambda: trailing_stop("okx", "btc_usdt", "Sell", 1, strategy_id="s"),
            "offset: a trailing stop needs offset or offset_bps",
        ),
        (
            lambda: trailing_stop("okx", "btc_usdt", "Sell", 1, offset=-1, strategy_id="s"),
            "offset: must be > 0, got -1",
        ),
        (
            lambda: bracket(stop("Sell", 1, 95, "x")),  # type: ignore[arg-type]
            "entry: a bracket's entry must be an OrderRequestOpen, got ConditionalOrder",
        ),
        (
            lambda: bracket(limit_buy(1, 100, "e")),
            "stop_loss: a bracket needs a stop_loss or a take_profit",
        ),
        (lambda: oco(stop("Sell", 1, 95, "x"), stop("Sell", 1, 90, "x")), "cid: duplicate cid x"),
    ],
)
def test_bad_input_is_a_value_error_naming_the_field(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        make()


def test_a_duplicate_cid_in_one_batch_is_a_value_error() -> None:
    engine = Engine(BOOK, DefaultStrategy(), balances={("okx", "usdt"): 1000})
    with pytest.raises(ValueError, match=r"^cid: duplicate cid d in one batch \(okx:btc_usdt\)"):
        engine.send_requests([], [stop("Sell", 1, 95, "d"), stop("Sell", 1, 90, "d")])


def test_barters_mock_exchange_refuses_conditional_orders() -> None:
    with pytest.raises(BacktestError, match="conditional orders need the simulated exchange"):
        run(
            {0: [stop("Sell", 1, 95, "s")]},
            [trade(100, 0), trade(90, 1)],
            btc=1,
            exchange=BarterMockExchange(),
        )


# --- on trades -------------------------------------------------------------------------------


def test_a_stop_on_trades_fills_at_the_touch_and_its_row_says_what_it_became() -> None:
    events = [trade(100, 0), trade(96, 1), trade(95, 2), trade(94, 3)]
    result, strategy = run({0: [stop("Sell", 1, 95, "s")]}, events, btc=2)
    # 96 > 95: held; 95 <= 95 at event 2: a market Sell of 1 at the last trade, 95.
    assert [len(held) for held in strategy.held] == [0, 1, 0, 0]
    s = row(result, "s")
    assert (s.kind, s.trigger, s.time_triggered, s.time) == ("stop", D(95), at(2), at(0))
    assert (s.status, s.filled, s.average_price, s.price) == ("filled", D(1), D(95), D(95))
    assert (s.time_in_force, s.reason) == (Tif.IMMEDIATE_OR_CANCEL, None)
    # barter sees an ordinary fill: its position 2 - 1 = 1 from event 2 on.
    assert strategy.positions == [D(2), D(2), D(1), D(1)]
    assert [(f.side.value, f.price, f.quantity) for f in result.fills] == [("Sell", D(95), D(1))]


def test_a_gap_below_a_stop_fills_at_the_touch_not_at_the_trigger() -> None:
    # 100, then 90: the stop at 95 is not a guarantee; its market Sell meets 90.
    result, _ = run({0: [stop("Sell", 1, 95, "s")]}, [trade(100, 0), trade(90, 1)], btc=1)
    s = row(result, "s")
    assert (s.trigger, s.average_price, s.status) == (D(95), D(90), "filled")


def test_a_stop_limit_becomes_a_resting_good_until_cancelled_limit() -> None:
    events = [trade(100, 0), trade(93, 1), trade(95, 2)]
    result, strategy = run({0: [stop("Sell", 1, 95, "s", limit=94)]}, events, btc=1)
    # 93 triggers a Sell limit at 94, not marketable against 93: it rests, barter shows it open.
    assert strategy.open[1] == {"s"}
    # 95 > 94 crosses it: filled at its limit, 94.
    s = row(result, "s")
    assert (s.kind, s.time_in_force, s.price, s.average_price) == (
        "stop_limit",
        Tif.GOOD_UNTIL_CANCELLED,
        D(94),
        D(94),
    )
    assert s.time_triggered == at(1) and s.status == "filled"


def test_a_take_profit_triggers_on_the_way_up_and_reduce_only_cuts_it_to_the_position() -> None:
    order = take_profit(
        "okx", "btc_usdt", "Sell", 5, 110, strategy_id="s", cid="tp", reduce_only=True
    )
    result, _ = run({0: [order]}, [trade(100, 0), trade(109, 1), trade(111, 2)], btc=2)
    # 111 >= 110: sells min(5, the 2 held) = 2 at 111.
    tp = row(result, "tp")
    assert (tp.kind, tp.quantity, tp.filled, tp.average_price) == (
        "take_profit",
        D(2),
        D(2),
        D(111),
    )


def test_a_trailing_stop_follows_the_best_price_and_never_moves_back() -> None:
    order = trailing_stop("okx", "btc_usdt", "Sell", 1, offset=5, strategy_id="s", cid="t")
    events = [trade(100, 0), trade(104, 1), trade(102, 2), trade(106, 3), trade(101, 4)]
    result, strategy = run({0: [order]}, events, btc=1)
    # Placed after 100: trigger 95; 104: 99; 102: stays 99 (never back to 97); 106: 101;
    # 101 <= 101 triggers a market Sell at 101.
    assert [[h.trigger for h in held] for held in strategy.held] == [
        [],
        [D(99)],
        [D(99)],
        [D(101)],
        [],
    ]
    t = row(result, "t")
    assert (t.kind, t.trigger, t.average_price, t.time_triggered) == (
        "trailing_stop",
        D(101),
        D(101),
        at(4),
    )


def test_a_strict_stop_already_reached_is_refused_and_a_loose_one_triggers_at_once() -> None:
    strict = stop("Sell", 1, 105, "strict", strict=True)
    loose = stop("Sell", 1, 105, "loose")
    result, _ = run({0: [strict, loose]}, [trade(100, 0), trade(100, 1)], btc=1)
    assert (row(result, "strict").status, row(result, "strict").reason) == (
        "refused",
        "strict: the trigger 105 is already reached (the market is at 100)",
    )
    assert (row(result, "loose").status, row(result, "loose").average_price) == ("filled", D(100))


def test_a_cancel_by_cid_cancels_an_untriggered_order() -> None:
    events = [trade(100, 0), trade(99, 1), trade(90, 2)]
    result, strategy = run({0: [stop("Sell", 1, 95, "s")], 1: [cancel("s")]}, events, btc=1)
    assert (row(result, "s").status, row(result, "s").reason) == (
        "cancelled",
        "cancelled by request",
    )
    assert strategy.held[2] == [] and result.fills == []


def test_the_end_of_data_close_cancels_untriggered_orders() -> None:
    result, _ = run(
        {0: [stop("Sell", 1, 95, "s")]},
        [trade(100, 0), trade(99, 1)],
        btc=1,
        close_positions_at_end=True,
    )
    assert (row(result, "s").status, row(result, "s").reason) == (
        "cancelled",
        "cancelled by the end-of-data close",
    )


def test_risk_limits_check_the_order_a_trigger_sends() -> None:
    limits = RiskLimits(max_order_notional=50)
    result, _ = run(
        {0: [stop("Sell", 1, 95, "s")]}, [trade(100, 0), trade(95, 1)], btc=1, risk=limits
    )
    s = row(result, "s")
    # barter values the order at its own latest price, 100 (the trade at 95 that triggered it
    # is barter's only after the exchange has seen it): 1 x 100 = 100 > 50.
    assert (s.status, s.reason, s.time_triggered) == (
        "refused",
        "risk manager refused it: order notional 100 usdt above max_order_notional 50",
        at(1),
    )
    assert result.fills == []


# --- on L1 books -----------------------------------------------------------------------------


def test_a_quote_stop_watches_the_bid_for_a_sell_and_fills_at_the_bid() -> None:
    order = stop("Sell", 1, 95, "s", trigger_on="quote")
    events = [book(99, 101, 0), book(96, 97, 1), book(95, 97, 2)]
    result, _ = run({0: [order]}, events, btc=1)
    # Event 1: bid 96 > 95, held. Event 2: bid 95 <= 95 (the mid, 96, is not what it watches):
    # a market Sell at the bid, 95.
    s = row(result, "s")
    assert (s.time_triggered, s.average_price) == (at(2), D(95))


def test_a_gap_on_the_book_fills_at_the_bid_not_at_the_trigger() -> None:
    order = stop("Sell", 1, 95, "s", trigger_on="quote")
    result, _ = run({0: [order]}, [book(99, 101, 0), book(90, 92, 1)], btc=1)
    assert row(result, "s").average_price == D(90)


# --- on candles ------------------------------------------------------------------------------


def candle(o: int, h: int, low: int, c: int, seconds: float) -> EngineEvent:
    return EngineEvent.candle("okx", "btc_usdt", o, h, low, c, 10, at(seconds))


def test_a_candle_triggers_at_the_first_of_its_four_prices_that_reaches_the_trigger() -> None:
    # The stop reaches the exchange at the second candle's open (98; spec §11). Its path:
    # 98, then the nearer extreme 99 (99 - 98 = 1 < 98 - 94 = 4), then 94, then 97: 94 is the
    # first price at or below 95, and the market Sell meets it.
    events = [candle(100, 101, 99, 100, 60), candle(98, 99, 94, 97, 120)]
    result, _ = run({0: [stop("Sell", 1, 95, "s")]}, events, btc=1)
    s = row(result, "s")
    assert (s.time_triggered, s.average_price, s.status) == (at(120), D(94), "filled")


def test_a_candle_that_gaps_past_a_stop_fills_at_its_open() -> None:
    # The second candle opens at 90, below the stop at 95: it triggers there and fills at 90.
    events = [candle(100, 101, 99, 100, 60), candle(90, 92, 89, 91, 120)]
    result, _ = run({0: [stop("Sell", 1, 95, "s")]}, events, btc=1)
    assert row(result, "s").average_price == D(90)


def test_a_candle_through_both_legs_tries_the_nearer_extreme_first() -> None:
    # Open 100, high 106, low 94: a tie (6 each way) tries the low first, so the stop at 95
    # triggers (at 94) and the take-profit at 105 is cancelled, as backtesting.py's
    # pessimistic rule has it. The pair reaches the exchange at this candle's open.
    pair = oco(
        stop("Sell", 1, 95, "sl"),
        take_profit("okx", "btc_usdt", "Sell", 1, 105, strategy_id="s", cid="tp"),
    )
    events = [candle(100, 101, 99, 100, 60), candle(100, 106, 94, 101, 120)]
    result, _ = run({0: [pair]}, events, btc=1)
    assert (row(result, "sl").status, row(result, "sl").average_price) == ("filled", D(94))
    assert row(result, "tp").status == "cancelled"


# --- brackets and pairs ----------------------------------------------------------------------


def test_a_brackets_legs_cover_its_entrys_fills_and_cancel_each_other() -> None:
    entry = bracket(limit_buy(2, 100, "e"), stop_loss=95, take_profit=110)
    # displayed volume: a trade of amount 1 fills 1 of the resting entry.
    events = [trade(101, 0), trade(99, 1), trade(99, 2), trade(111, 3), trade(90, 4)]
    result, strategy = run(
        {0: [entry]}, events, exchange=SimulatedExchange(fill_volume="displayed")
    )
    # The legs grow with the entry: 1 after event 1, 2 after event 2.
    assert [[(str(h.key.cid), h.quantity) for h in held] for held in strategy.held[1:3]] == [
        [("e-sl", D(1)), ("e-tp", D(1))],
        [("e-sl", D(2)), ("e-tp", D(2))],
    ]
    # 111 >= 110: the take-profit sells 2 at 111; the stop is cancelled and 90 does nothing.
    tp, sl = row(result, "e-tp"), row(result, "e-sl")
    assert (tp.status, tp.filled, tp.average_price) == ("filled", D(2), D(111))
    assert (sl.status, sl.reason) == ("cancelled", "cancelled: the other leg e-tp triggered")
    # Bought 2 at 100, sold 2 at 111: 22 realised.
    assert result.positions[0].pnl_realised == D(22)


def test_oco_one_triggering_cancels_the_other() -> None:
    pair = oco(
        stop("Sell", 1, 95, "sl"),
        take_profit("okx", "btc_usdt", "Sell", 1, 110, strategy_id="s", cid="tp"),
    )
    result, _ = run({0: [pair]}, [trade(100, 0), trade(94, 1), trade(120, 2)], btc=1)
    assert row(result, "sl").average_price == D(94)
    assert row(result, "tp").status == "cancelled"


def test_on_bar_returns_conditional_orders_too() -> None:
    class Bars(BarStrategy):
        bar_interval = timedelta(seconds=1)

        def on_bar(self, bar: Bar, state: EngineStateView) -> Requests:
            first = bar.time_open == at(0)  # the last bar's call comes at the end of the data
            return [], [stop("Sell", 1, 95, "bar")] if first else []

    # The bar of second 0 closes at the trade of second 1.5: the stop is placed then, and
    # the trade at 94 (second 1.6) triggers it, a market Sell at 94.
    events = [trade(100, 0), trade(99, 1.5), trade(94, 1.6)]
    held = {"instrument": "btc_usdt", "side": "Buy", "quantity": 1, "price_entry_average": 100}
    config = BacktestConfig(
        instruments=[{**BOOK[0], "position": held}],
        balances={("okx", "usdt"): 0, ("okx", "btc"): 1},
        close_positions_at_end=False,
    )
    result = backtest(Bars(), MarketData.from_events(events), config)
    assert (row(result, "bar").time_triggered, row(result, "bar").average_price) == (at(1.6), D(94))


# --- the Engine ------------------------------------------------------------------------------


def test_engine_send_requests_takes_conditional_orders_and_cancel_orders_cancels_them() -> None:
    engine = Engine(BOOK, DefaultStrategy(), balances={("okx", "usdt"): 1000})
    engine.process(trade(100, 0))
    engine.send_requests([], [stop("Buy", 1, 105, "b"), stop("Buy", 1, 110, "c")])
    assert [(str(o.key.cid), o.trigger) for o in engine.state.conditional_orders()] == [
        ("b", D(105)),
        ("c", D(110)),
    ]
    engine.process(trade(106, 1))
    # 106 >= 105: bought 1 at 106; "c" waits.
    assert engine.state.positions()[BTC].quantity == D(1)
    engine.cancel_orders()
    assert engine.state.conditional_orders() == []


# --- a paper session -------------------------------------------------------------------------


@pytest.fixture
def local() -> Iterator[LocalExchange]:
    with LocalExchange() as exchange:
        yield exchange


def wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_a_paper_session_triggers_a_stop_and_a_gap_fills_at_the_touch(local: LocalExchange) -> None:
    config = LiveConfig.model_validate(
        {
            "instruments": [
                {
                    "exchange": "binance_spot",
                    "instrument": "btc_usdt",
                    "base": "btc",
                    "quote": "usdt",
                }
            ],
            "balances": {("binance_spot", "usdt"): 10_000},
            "endpoints": {"binance_spot": local.url},
            "equity_interval": None,
        }
    )
    system = LiveSystem.start(config, DefaultStrategy())
    try:
        assert local.wait_connected(2)
        start = datetime.now(UTC)
        local.send_trade("BTCUSDT", 100, "1", time=start)
        wait_for(lambda: system.snapshot().events == 1)
        order = stop_order("binance_spot", "btc_usdt", "Buy", 1, 105, strategy_id="p", cid="p1")
        assert threading.current_thread() is threading.main_thread()
        system.send_requests(opens=[order])
        # 104: held; then a gap to 108: the Buy stop at 105 fills at 108.
        local.send_trade("BTCUSDT", 104, "1", time=start + timedelta(milliseconds=1))
        local.send_trade("BTCUSDT", 108, "1", time=start + timedelta(milliseconds=2))
        wait_for(lambda: system.snapshot().events == 3)
    finally:
        result = system.shutdown()
    p1 = row(result, "p1")
    assert (p1.kind, p1.trigger, p1.average_price, p1.status) == ("stop", D(105), D(108), "filled")
    assert result.fills[0].price == D(108)


def test_the_sma_example_with_a_bracket_stops_out_its_last_buy() -> None:
    from barter_python.backtest.sample import SmaCross, sample_config, sample_data

    strategy = SmaCross(stop_loss="0.00005", take_profit="0.0001")
    result = backtest(strategy, sample_data(), sample_config())
    legs = {o.cid: (o.kind, o.status) for o in result.orders if o.trigger is not None}
    # Each exit cancels its buy's legs; the last buy's stop triggers before any exit.
    assert legs["sma-1-sl"] == ("stop", "cancelled")
    assert legs["sma-5-sl"] == ("stop", "filled")
    assert legs["sma-5-tp"] == ("take_profit", "cancelled")
