"""`RiskLimits` (spec §9): barter's `RiskManager` in Rust, through the `Engine` and backtests,
each limit worked by hand in the comments; the model's validation."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

import barter_python
from barter_python import (
    ExchangeId,
    OrderKey,
    OrderKind,
    OrderRequestCancel,
    OrderRequestOpen,
    RequestCancel,
    RequestOpen,
    RiskLimits,
    TimeInForce,
)
from barter_python.backtest import BacktestConfig, BacktestResult, MarketData, backtest
from barter_python.engine import Audit, DefaultStrategy, Engine, EngineEvent, EngineStateView
from barter_python.exchange import BarterMockExchange, SimulatedExchange
from barter_python.snapshot import DecimalInput

D = Decimal
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OKX = ExchangeId.OKX
BTC = (OKX, "btc_usdt")
BOOK: list[dict[str, Any]] = [
    {"exchange": "okx", "instrument": "btc_usdt", "base": "btc", "quote": "usdt", "price": 100},
    {"exchange": "okx", "instrument": "eth_usdt", "base": "eth", "quote": "usdt", "price": 10},
]
LONG_ONE = {"instrument": "btc_usdt", "side": "Buy", "quantity": 1, "price_entry_average": 100}
# The btc a cash account holds for the starting position `LONG_ONE`.
BALANCES: dict[tuple[ExchangeId | str, str], DecimalInput] = {
    ("okx", "usdt"): 10_000,
    ("okx", "btc"): 1,
}
Request = OrderRequestOpen | OrderRequestCancel
POSITION = "position quantity"
LIMIT_HALF = "max_position_quantity 0.5"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def order(
    kind: OrderKind, side: str, quantity: str, price: str, cid: str, instrument: str = "btc_usdt"
) -> OrderRequestOpen:
    tif = (
        TimeInForce.IMMEDIATE_OR_CANCEL
        if kind is OrderKind.MARKET
        else TimeInForce.GOOD_UNTIL_CANCELLED
    )
    return OrderRequestOpen(
        OrderKey("okx", instrument, "risk", cid), RequestOpen(side, price, quantity, kind, tif)
    )


def limit(side: str, quantity: str, price: str, cid: str) -> OrderRequestOpen:
    return order(OrderKind.LIMIT, side, quantity, price, cid)


def market(
    side: str, quantity: str, price: str, cid: str, instrument: str = "btc_usdt"
) -> OrderRequestOpen:
    return order(OrderKind.MARKET, side, quantity, price, cid, instrument)


def cancel(cid: str) -> OrderRequestCancel:
    return OrderRequestCancel(OrderKey("okx", "btc_usdt", "risk", cid), RequestCancel())


class Send(DefaultStrategy):
    """Sends `requests` at its next call (an `Engine` calls it after every event it processes,
    the exchange's answers included)."""

    def __init__(self, requests: list[Request]) -> None:
        self.requests = requests

    def generate_algo_orders(
        self, state: EngineStateView
    ) -> tuple[list[OrderRequestCancel], list[OrderRequestOpen]]:
        requests, self.requests = self.requests, []
        cancels = [r for r in requests if isinstance(r, OrderRequestCancel)]
        return cancels, [r for r in requests if isinstance(r, OrderRequestOpen)]


@dataclass
class Plan(DefaultStrategy):
    """At its call `n`, the requests `plan[n]` (a backtest calls it once per market event)."""

    plan: dict[int, list[Request]] = field(default_factory=dict)
    calls: int = 0

    def generate_algo_orders(
        self, state: EngineStateView
    ) -> tuple[list[OrderRequestCancel], list[OrderRequestOpen]]:
        self.calls += 1
        return Send(self.plan.get(self.calls - 1, [])).generate_algo_orders(state)


def engine(requests: list[Request], risk: RiskLimits, book: Any = BOOK) -> Engine:
    return Engine(
        book, Send(requests), strategy_id="risk", balances=BALANCES, trading_enabled=True, risk=risk
    )


def trade(price: str, seconds: float = 0, instrument: str = "btc_usdt") -> EngineEvent:
    return EngineEvent.trade("okx", instrument, price, "1", "Buy", at(seconds))


def l1(bid: str, ask: str, seconds: float = 0) -> EngineEvent:
    return EngineEvent.l1("okx", "btc_usdt", (bid, "5"), (ask, "5"), at(seconds))


def sent(audit: Audit) -> list[str]:
    return [str(o.key.cid) for o in audit.opens_sent]


def refused(audit: Audit) -> list[tuple[str, str]]:
    return [(str(o.key.cid), reason) for o, reason in audit.opens_refused]


# --- each limit through the Engine -----------------------------------------------------------


def test_without_limits_every_order_is_sent() -> None:
    eng = engine([limit("Buy", "50", "101", "big")], RiskLimits())
    audit = eng.process(trade("100"))
    assert sent(audit) == ["big"] and refused(audit) == []


def test_max_order_notional_values_a_limit_order_at_its_price() -> None:
    # 2 x 101.00 = 202.00 usdt > 100; 0.99 x 101 = 99.99 usdt passes.
    plan: list[Request] = [limit("Buy", "2", "101.00", "big"), limit("Buy", "0.99", "101", "ok")]
    audit = engine(plan, RiskLimits(max_order_notional=100)).process(trade("100"))
    assert refused(audit) == [("big", "order notional 202.00 usdt above max_order_notional 100")]
    assert sent(audit) == ["ok"]


def test_max_order_notional_values_a_market_order_at_the_touch_not_its_named_price() -> None:
    # Touch 99 / 101: a Buy named at 50 trades at the ask, 1 x 101 = 101 > 100; a Sell named at
    # 500 trades at the bid, 1 x 99 = 99 <= 100 (it sells the starting position).
    book = [{**BOOK[0], "position": LONG_ONE}, BOOK[1]]
    plan: list[Request] = [market("Buy", "1", "50", "buy"), market("Sell", "1", "500", "sell")]
    eng = engine(plan, RiskLimits(max_order_notional=100), book)
    audit = eng.process(l1("99", "101"))
    assert refused(audit) == [("buy", "order notional 101 usdt above max_order_notional 100")]
    assert sent(audit) == ["sell"]
    assert [(t.price, t.quantity) for t in audit.trades] == [(D(99), D(1))]


def test_max_order_notional_without_a_book_values_a_market_order_at_the_last_trade() -> None:
    # No L1: the last trade, 120: 1 x 120 > 100 (its named price, 1, would pass).
    eng = engine([market("Buy", "1", "1", "buy")], RiskLimits(max_order_notional=100))
    audit = eng.process(trade("120"))
    assert refused(audit) == [("buy", "order notional 120 usdt above max_order_notional 100")]


def test_max_order_notional_refuses_a_market_order_it_cannot_value() -> None:
    book = [{**BOOK[0], "price": None}, BOOK[1]]
    eng = engine([market("Buy", "1", "1", "buy")], RiskLimits(max_order_notional=100), book)
    audit = eng.process(trade("10", instrument="eth_usdt"))  # btc_usdt has no price at all
    assert refused(audit) == [
        ("buy", "no price to value the market order against max_order_notional 100")
    ]


def test_max_price_deviation_compares_a_limit_price_with_the_market_price() -> None:
    # Market price 100: |106 / 100 - 1| = 0.06 > 0.05; |95 / 100 - 1| = 0.05 passes (not above);
    # a market order's named price is not checked.
    plan: list[Request] = [
        limit("Buy", "1", "106", "far"),
        limit("Buy", "1", "95", "near"),
        market("Buy", "1", "1000", "mkt"),
    ]
    audit = engine(plan, RiskLimits(max_price_deviation="0.05")).process(trade("100"))
    assert refused(audit) == [
        (
            "far",
            "price deviation 0.06 (order price 106 against the market price 100) above "
            "max_price_deviation 0.05",
        )
    ]
    assert sent(audit) == ["near", "mkt"]


def test_max_price_deviation_uses_the_book_mid_and_refuses_without_a_market_price() -> None:
    # L1 99 / 103 with equal amounts: barter's price is the mid, 101; |103 / 101 - 1| =
    # 0.0198019801... shown rounded up to 6 places.
    eng = engine([limit("Sell", "1", "103", "far")], RiskLimits(max_price_deviation="0.01"))
    [(_, reason)] = refused(eng.process(l1("99", "103")))
    assert reason == (
        "price deviation 0.019802 (order price 103 against the market price 101) above "
        "max_price_deviation 0.01"
    )
    book = [{**BOOK[0], "price": None}, BOOK[1]]
    eng = engine([limit("Buy", "1", "1", "blind")], RiskLimits(max_price_deviation=1), book)
    audit = eng.process(trade("10", instrument="eth_usdt"))
    assert refused(audit) == [("blind", "no market price to check max_price_deviation 1")]


def test_max_position_quantity_counts_the_position_the_open_orders_and_the_order() -> None:
    # Long 1, limit 2: Buy 1 -> 2 passes; Buy 0.5 -> 1 + 1 (approved just before) + 0.5 = 2.5
    # refused; Sell 3 -> 1 - 3 = -2 passes; Sell 1.5 -> 1 - 3 - 1.5 = -3.5 refused. eth_usdt has
    # no limit.
    book = [{**BOOK[0], "position": LONG_ONE}, BOOK[1]]
    plan: list[Request] = [
        market("Buy", "1", "100", "b1"),
        market("Buy", "0.5", "100", "b2"),
        market("Sell", "3", "100", "s1"),
        market("Sell", "1.5", "100", "s2"),
        market("Buy", "900", "10", "eth", instrument="eth_usdt"),
    ]
    risk = RiskLimits(max_position_quantity={("okx", "btc_usdt"): 2})
    audit = engine(plan, risk, book).process(trade("100"))
    # (The cash account then refuses `s1`: it holds 2 btc, not 3. The risk manager does not
    # know balances.)
    assert refused(audit)[:2] == [
        (
            "b2",
            f"{POSITION} 2.5 above max_position_quantity 2 (position 1, open orders 1, order 0.5)",
        ),
        (
            "s2",
            f"{POSITION} 3.5 above max_position_quantity 2 (position 1, open orders -3, "
            "order -1.5)",
        ),
    ]
    assert sent(audit) == ["b1", "s1", "eth"]


def test_an_order_toward_flat_passes_even_above_the_position_limit() -> None:
    # Long 1 with a limit of 0.5 (a limit lowered under a held position): selling 2.6 flips to
    # short 1.6, further from flat; selling 0.25 lowers the risk and passes; buying 0.1 raises
    # it (1 + 0.1, the approved sell does not count against a buy) and is refused.
    book = [{**BOOK[0], "position": LONG_ONE}, BOOK[1]]
    plan: list[Request] = [
        market("Sell", "2.6", "100", "flip"),
        market("Sell", "0.25", "100", "down"),
        market("Buy", "0.1", "100", "up"),
    ]
    eng = engine(plan, RiskLimits(max_position_quantity={BTC: "0.5"}), book)
    audit = eng.process(trade("100"))
    assert sent(audit) == ["down"]
    assert refused(audit) == [
        ("flip", f"{POSITION} 1.6 above {LIMIT_HALF} (position 1, open orders 0, order -2.6)"),
        ("up", f"{POSITION} 1.1 above {LIMIT_HALF} (position 1, open orders 0, order 0.1)"),
    ]
    assert eng.state.positions()[BTC].quantity == D("0.75")


def test_max_open_orders_counts_resting_orders_and_this_batch_and_passes_cancels() -> None:
    # Limit 2. Call 0: two bids rest, a third is refused (3 > 2). Call 1: the cancel of `a` is
    # sent, but `d` in the same batch is refused: `a` is open until the exchange confirms.
    # Call 2: one order rests, `e` passes.
    strategy = Send([limit("Buy", "1", "90", "a"), limit("Buy", "1", "91", "b")])
    strategy.requests.append(limit("Buy", "1", "92", "c"))
    risk = RiskLimits(max_open_orders=2)
    eng = Engine(
        BOOK, strategy, strategy_id="risk", balances=BALANCES, trading_enabled=True, risk=risk
    )
    first = eng.process(trade("100", 0))
    assert sent(first) == ["a", "b"]
    assert refused(first) == [("c", "open orders 3 above max_open_orders 2")]
    strategy.requests = [cancel("a"), limit("Buy", "1", "93", "d")]
    second = eng.process(trade("100", 1))
    assert [str(c.key.cid) for c in second.cancels_sent] == ["a"]
    assert refused(second) == [("d", "open orders 3 above max_open_orders 2")]
    strategy.requests = [limit("Buy", "1", "94", "e")]
    assert sent(eng.process(trade("100", 2))) == ["e"]
    assert sorted(str(o.key.cid) for o in eng.state.open_orders()) == ["b", "e"]


def test_commands_are_the_operators_and_bypass_the_risk_manager() -> None:
    # barter reviews only the strategy's orders; `send_requests` is barter's command.
    eng = engine([], RiskLimits(max_order_notional=1))
    assert sent(eng.send_requests([], [limit("Buy", "1", "100", "manual")])) == ["manual"]


def test_a_position_limit_for_an_instrument_not_in_the_book_is_refused() -> None:
    risk = RiskLimits(max_position_quantity={("binance_spot", "btc_usdt"): 1})
    message = "max_position_quantity: instrument 'btc_usdt' on 'binance_spot' is not in the"
    with pytest.raises(ValueError, match=f"{message} instruments"):
        engine([], risk)


def test_the_engine_takes_only_a_risk_limits() -> None:
    with pytest.raises(TypeError, match="risk must be a RiskLimits, got dict"):
        Engine(BOOK, DefaultStrategy(), risk={"max_open_orders": 1})  # type: ignore[arg-type]


# --- through backtests -----------------------------------------------------------------------


def run(
    plan: dict[int, list[Request]],
    events: list[EngineEvent],
    risk: RiskLimits,
    exchange: SimulatedExchange | BarterMockExchange | None = None,
    book: Any = BOOK,
) -> BacktestResult:
    config = BacktestConfig(
        instruments=book,
        balances=BALANCES,
        exchange=exchange or SimulatedExchange(),
        equity_interval=None,
        close_positions_at_end=False,
        strategy_id="risk",
        risk=risk,
    )
    return backtest(Plan(plan), MarketData.from_events(events), config)


def rows(result: BacktestResult) -> list[tuple[str, datetime, str, str | None]]:
    return [(o.cid, o.time, o.status, o.reason) for o in result.orders]


@pytest.mark.parametrize("exchange", [SimulatedExchange(), BarterMockExchange()])
def test_a_backtest_reports_a_refused_order_with_the_limit_it_broke(
    exchange: SimulatedExchange | BarterMockExchange,
) -> None:
    # Event 0 (t=0): the limit order `big` is 2 x 101.00 = 202.00 usdt > 100; the market order
    # `ok`, 0.5 x 101 (the last trade) = 50.5, fills; event 1 (t=1): the market order `later`
    # is 1.5 x 100 (the last trade, not its named 1) = 150.0 > 100.
    plan: dict[int, list[Request]] = {
        0: [limit("Buy", "2", "101.00", "big"), market("Buy", "0.5", "100", "ok")],
        1: [market("Buy", "1.5", "1", "later")],
    }
    events = [trade("101", 0), trade("100", 1), trade("100", 2)]
    result = run(plan, events, RiskLimits(max_order_notional=100), exchange)
    assert rows(result) == [
        ("big", at(0), "refused", "order notional 202.00 usdt above max_order_notional 100"),
        ("ok", at(0), "filled", None),
        ("later", at(1), "refused", "order notional 150.0 usdt above max_order_notional 100"),
    ]
    assert (result.orders_sent, result.orders_refused) == (1, 2)
    big = result.orders[0]
    assert (big.filled, big.average_price, big.fees) == (D(0), None, D(0))
    assert (big.kind, big.price, big.quantity) == (OrderKind.LIMIT, D("101.00"), D(2))


def test_a_backtest_counts_resting_orders_against_max_open_orders() -> None:
    # Limit 1. Event 0: a bid at 90 rests. Event 1: `b` is refused (2 > 1). Event 2: a trade at
    # 89 fills `a` before the strategy is called, so `c` rests.
    plan: dict[int, list[Request]] = {
        0: [limit("Buy", "1", "90", "a")],
        1: [limit("Buy", "1", "91", "b")],
        2: [limit("Buy", "1", "88", "c")],
    }
    events = [trade("100", 0), trade("100", 1), trade("89", 2)]
    result = run(plan, events, RiskLimits(max_open_orders=1))
    assert rows(result) == [
        ("a", at(0), "filled", None),
        ("b", at(1), "refused", "open orders 2 above max_open_orders 1"),
        ("c", at(2), "open", None),
    ]


def test_a_backtest_position_limit_counts_the_starting_position() -> None:
    # Long 1 from the snapshot, limit 1.5: buying 1 would make 2; buying 0.5 makes 1.5.
    book = [{**BOOK[0], "position": LONG_ONE}, BOOK[1]]
    plan: dict[int, list[Request]] = {
        0: [market("Buy", "1", "100", "big")],
        1: [market("Buy", "0.5", "100", "ok")],
    }
    risk = RiskLimits(max_position_quantity={BTC: "1.5"})
    result = run(plan, [trade("100", 0), trade("100", 1)], risk, book=book)
    statuses = [(cid, status) for cid, _, status, _ in rows(result)]
    assert statuses == [("big", "refused"), ("ok", "filled")]
    assert result.orders[0].reason == (
        "position quantity 2 above max_position_quantity 1.5 (position 1, open orders 0, order 1)"
    )


# --- the model -------------------------------------------------------------------------------


def test_the_model_defaults_to_no_limits_and_is_exported() -> None:
    assert barter_python.RiskLimits is RiskLimits
    limits = RiskLimits()
    assert (limits.max_order_notional, limits.max_price_deviation, limits.max_open_orders) == (
        None,
        None,
        None,
    )
    assert limits.max_position_quantity == {}
    assert BacktestConfig(instruments=BOOK).risk == limits


def test_the_model_reads_money_exactly_and_names_instruments_as_barter_does() -> None:
    limits = RiskLimits(
        max_order_notional=0.1,
        max_position_quantity={("okx", "BTC_USDT"): "2.50"},
        max_price_deviation=D("0.05"),
        max_open_orders=3,
    )
    assert limits.max_order_notional == D("0.1") and str(limits.max_order_notional) == "0.1"
    assert limits.max_position_quantity == {BTC: D("2.50")}
    assert (limits.max_price_deviation, limits.max_open_orders) == (D("0.05"), 3)
    config = BacktestConfig(instruments=BOOK, risk={"max_open_orders": 2})  # type: ignore[arg-type]
    assert config.risk == RiskLimits(max_open_orders=2)
    with pytest.raises(ValidationError, match="frozen"):
        limits.max_open_orders = 4  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(config)) == config  # a sweep ships configs to workers


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_order_notional", 0, "must be > 0, got 0"),
        ("max_order_notional", "-5", "must be > 0, got -5"),
        ("max_order_notional", float("nan"), "must be finite"),
        ("max_price_deviation", float("inf"), "must be finite"),
        ("max_price_deviation", True, "got bool"),
        ("max_open_orders", 0, "greater than or equal to 1"),
        ("max_open_orders", True, "valid integer"),
        ("max_open_orders", 2.0, "valid integer"),
        ("max_position_quantity", {("okx", "btc_usdt"): 0}, "must be > 0, got 0"),
        ("max_position_quantity", {("nyse", "btc_usdt"): 1}, "nyse"),
        ("max_position_quantity", {("okx", ""): 1}, "at least 1 character"),
        ("max_notional", 1, "Extra inputs are not permitted"),
    ],
)
def test_the_model_refuses_bad_limits_naming_the_field(
    field: str, value: Any, message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        RiskLimits.model_validate({field: value})
    assert field in str(error.value) and message in str(error.value)
