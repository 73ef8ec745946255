"""The strategy kit (spec §10): what a strategy call sees (`state.event`, `state.quote`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from barter_python.backtest import BacktestConfig, MarketData, backtest
from barter_python.engine import (
    DefaultStrategy,
    Engine,
    EngineEvent,
    EngineStateView,
    MarketEventView,
    Quote,
    Requests,
    market_order,
)
from barter_python.exchange import BarterMockExchange
from barter_python.instrument import ExchangeId, Side
from barter_python.order import OrderKind, OrderRequestOpen
from barter_python.sizing import SizedRequests
from barter_python.snapshot import InstrumentSnapshot, InstrumentSpec
from barter_python.strategy import (
    Bar,
    BarStrategy,
    order_percent,
    order_target,
    order_value,
)

BOOK = [InstrumentSnapshot(exchange="okx", instrument="btc_usdt", base="btc", quote="usdt")]


class Seeing(DefaultStrategy):
    def __init__(self) -> None:
        self.events: list[MarketEventView | None] = []
        self.quotes: list[Quote | None] = []
        self.same: list[bool] = []

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        event = state.event
        self.same.append(event is state.event)  # one object per event
        self.events.append(event)
        self.quotes.append(state.quote(ExchangeId.OKX, "btc_usdt"))
        return [], []


def test_the_event_a_call_is_for_and_the_exchanges_quote() -> None:
    strategy = Seeing()
    engine = Engine(BOOK, strategy, balances={("okx", "usdt"): 1000}, trading_enabled=True)
    engine.process(EngineEvent.trade("okx", "btc_usdt", "100.5", "0.25", "Sell"))
    engine.process(EngineEvent.l1("okx", "btc_usdt", ("99", "2"), ("101", "3")))
    engine.process(EngineEvent.market_disconnected("okx"))
    trade, book, gone = strategy.events
    assert trade is not None and book is not None and gone is not None
    assert (trade.kind, trade.exchange, trade.instrument) == ("trade", ExchangeId.OKX, "btc_usdt")
    assert (trade.price, trade.amount, trade.side) == (Decimal("100.5"), Decimal("0.25"), Side.SELL)
    assert trade.bid is None and trade.ask is None and trade.time is not None
    assert (book.kind, book.bid, book.ask, book.price) == ("l1", Decimal(99), Decimal(101), None)
    assert (gone.kind, gone.instrument, gone.time) == ("reconnecting", None, None)
    assert all(strategy.same)
    first, second, _ = strategy.quotes
    assert first is not None and (first.last, first.bid, first.ask) == (
        Decimal("100.5"),
        None,
        None,
    )
    assert second is not None
    assert (second.bid, second.bid_amount, second.ask, second.ask_amount, second.last) == (
        Decimal(99), Decimal(2), Decimal(101), Decimal(3), Decimal("100.5"))  # fmt: skip
    # The exchange's touch: the side an order meets, else the last trade.
    assert (first.touch(Side.BUY), first.touch("Sell")) == (Decimal("100.5"), Decimal("100.5"))
    assert (second.touch(Side.BUY), second.touch("Sell")) == (Decimal(101), Decimal(99))
    # From Engine.state, after the call: the last event.
    last = engine.state.event
    assert last is not None and last.kind == "reconnecting"


def test_no_quote_before_any_market_nor_on_barters_mock() -> None:
    strategy = Seeing()
    engine = Engine(BOOK, strategy, trading_enabled=True)
    assert engine.state.quote("okx", "btc_usdt") is None and engine.state.event is None
    mock = Engine(BOOK, Seeing(), trading_enabled=True, exchange=BarterMockExchange())
    mock.process(EngineEvent.trade("okx", "btc_usdt", "100", "1", "Buy"))
    assert mock.state.quote("okx", "btc_usdt") is None


SPEC_BOOK = [
    InstrumentSnapshot(
        exchange="okx", instrument="btc_usdt", base="btc", quote="usdt",
        spec={"tick_size": "0.5", "lot_size": "0.01", "min_notional": "10"},
    )
]  # fmt: skip


class Once(DefaultStrategy):
    """Sends what `make(state)` returns on the first call, then nothing."""

    def __init__(self, make: Callable[[EngineStateView], SizedRequests]) -> None:
        self.make = make
        self.sent: list[OrderRequestOpen] = []

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        if self.sent:
            return [], []
        cancels, opens = self.make(state)
        self.sent = list(opens) or [None]  # type: ignore[list-item]
        return cancels, opens


def sized(make: Callable[[EngineStateView], SizedRequests], book: list[InstrumentSnapshot],
          **engine: Any) -> tuple[Once, Engine]:  # fmt: skip
    strategy = Once(make)
    eng = Engine(book, strategy, balances={("okx", "usdt"): 1000}, trading_enabled=True, **engine)
    eng.process(EngineEvent.l1("okx", "btc_usdt", ("99.5", "5"), ("100.5", "5")))
    return strategy, eng


def test_order_value_buys_at_the_touch_rounded_down_to_the_lot() -> None:
    # 100 usdt at the ask 100.5 is 0.99502... btc: 0.99 after the 0.01 lot.
    strategy, eng = sized(lambda s: order_value(s, "okx", "btc_usdt", 100), SPEC_BOOK)
    (order,) = strategy.sent
    assert (order.state.side, order.state.quantity, order.state.price) == (
        Side.BUY, Decimal("0.99"), Decimal("100.5"))  # fmt: skip
    assert order.key.strategy == eng.state.strategy_id
    assert eng.state.positions()[(ExchangeId.OKX, "btc_usdt")].quantity == Decimal("0.99")


def test_order_target_takes_the_position_there_and_not_further() -> None:
    strategy, eng = sized(lambda s: order_target(s, "okx", "btc_usdt", "0.5"), SPEC_BOOK)
    assert strategy.sent[0].state.quantity == Decimal("0.5")
    # Already there: no request.
    assert order_target(eng.state, "okx", "btc_usdt", "0.5") == ([], [])
    _, opens = order_target(eng.state, "okx", "btc_usdt", "0.2")
    assert (opens[0].state.side, opens[0].state.quantity) == (Side.SELL, Decimal("0.3"))
    assert opens[0].state.price == Decimal("99.5")  # the bid, for a Sell


def test_order_percent_of_the_accounts_equity() -> None:
    # Equity 1000 usdt; 25 % is 250 usdt at the ask 100.5: 2.487... -> 2.48 btc.
    strategy, eng = sized(lambda s: order_percent(s, "okx", "btc_usdt", "0.25"), SPEC_BOOK)
    assert strategy.sent[0].state.quantity == Decimal("2.48")
    # Cash 1000 - 2.48 x 100.5 = 750.76, plus 2.48 btc at the mid 100: 998.76.
    assert eng.state.equity("okx", "usdt") == Decimal("998.76")
    with pytest.raises(ValueError, match="fraction must be from -1 to 1"):
        order_percent(eng.state, "okx", "btc_usdt", "1.5")


def test_what_rounds_to_nothing_sends_nothing() -> None:
    assert sized(lambda s: order_value(s, "okx", "btc_usdt", "0.5"), SPEC_BOOK)[0].sent == [None]
    # 0.05 btc is worth 5 usdt, under the minimum notional 10.
    assert sized(lambda s: order_target(s, "okx", "btc_usdt", "0.05"), SPEC_BOOK)[0].sent == [None]


def test_a_limit_price_rounds_to_the_tick_on_the_safe_side() -> None:
    buy = sized(lambda s: order_value(s, "okx", "btc_usdt", 50, kind="limit", price="99.9"),
                SPEC_BOOK)[0].sent[0]  # fmt: skip
    assert (buy.state.price, buy.state.kind) == (Decimal("99.5"), OrderKind.LIMIT)
    _, eng = sized(lambda s: ([], []), SPEC_BOOK)
    _, opens = order_value(eng.state, "okx", "btc_usdt", -50, kind="limit", price="100.1")
    assert opens[0].state.price == Decimal("100.5")


def test_the_simulated_exchange_refuses_an_order_that_breaks_the_spec() -> None:
    def odd(state: EngineStateView) -> SizedRequests:
        order = market_order("okx", "btc_usdt", "buy", "0.015", 100, strategy_id="s", cid="odd")
        return [], [order]

    strategy = Once(odd)
    eng = Engine(SPEC_BOOK, strategy, balances={("okx", "usdt"): 1000}, trading_enabled=True)
    audit = eng.process(EngineEvent.l1("okx", "btc_usdt", ("99.5", "5"), ("100.5", "5")))
    (refused,) = audit.opens_refused
    assert "quantity 0.015 is not a multiple of the lot size 0.01" in refused[1]


def test_instrument_spec_is_validated_and_read_from_barters_config(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="lot_size"):
        InstrumentSpec(tick_size="0.1", lot_size=0)
    config = {
        "instruments": [{"exchange": "binance_spot", "name_exchange": "BTCUSDT",
                         "underlying": {"base": "btc", "quote": "usdt"},
                         "quote": "underlying_quote", "kind": "spot",
                         "spec": {"price": {"min": "0.01", "tick_size": "0.01"},
                                  "quantity": {"unit": "base", "min": "0.00001",
                                               "increment": "0.00001"},
                                  "notional": {"min": "5"}}}],
        "executions": [],
    }  # fmt: skip
    path = tmp_path / "system_config.json"
    path.write_text(json.dumps(config))
    spec = BacktestConfig.from_barter_json(path).instruments[0].spec
    assert spec == InstrumentSpec(tick_size="0.01", lot_size="0.00001", min_notional=5)


T0 = datetime(2026, 1, 5, tzinfo=UTC)


def trade_at(seconds: float, price: str, amount: str = "1") -> EngineEvent:
    return EngineEvent.trade(
        "okx", "btc_usdt", price, amount, "Buy", T0 + timedelta(seconds=seconds)
    )


class Minutes(BarStrategy):
    bar_interval = timedelta(minutes=1)

    def __init__(self) -> None:
        self.bars: list[tuple[Bar, datetime | None]] = []

    def on_bar(self, bar: Bar, state: EngineStateView) -> Requests:
        event = state.event
        self.bars.append((bar, event.time if event is not None else None))
        return [], []


def test_bars_are_handed_over_once_their_interval_has_ended() -> None:
    strategy = Minutes()
    events = [trade_at(5, "100"), trade_at(30, "104", "2"), trade_at(59.9, "99"),
              trade_at(75, "101"), trade_at(130, "102")]  # fmt: skip
    config = BacktestConfig(instruments=BOOK, balances={("okx", "usdt"): 1000})
    backtest(strategy, MarketData.from_events(events), config)
    (first, seen_at), (second, second_at), (last, last_at) = strategy.bars
    assert (first.time_open, first.time_close) == (T0, T0 + timedelta(minutes=1))
    assert (first.open, first.high, first.low, first.close) == tuple(
        Decimal(p) for p in ("100", "104", "99", "99"))  # fmt: skip
    assert (first.volume, first.trades, first.instrument) == (Decimal(4), 3, "btc_usdt")
    assert seen_at == T0 + timedelta(seconds=75)  # the first event of the next minute
    assert (second.open, second.trades, second_at) == (Decimal(101), 1, T0 + timedelta(seconds=130))
    # The end of the data hands over the last bar.
    assert (last.time_open, last.close, last.trades) == (T0 + timedelta(minutes=2), Decimal(102), 1)
    assert last_at == T0 + timedelta(seconds=130)  # no later event: the last one seen


def test_a_bar_strategy_is_not_called_per_event_unless_it_asks() -> None:
    class Counting(Minutes):
        calls = 0

        def generate_algo_orders(self, state: EngineStateView) -> Requests:
            self.calls += 1
            return [], []

    class Wanting(Counting):
        wants_events = True

    events = [trade_at(n, "100") for n in range(0, 150, 10)]
    config = BacktestConfig(instruments=BOOK, balances={("okx", "usdt"): 1000})
    quiet, eager = Counting(), Wanting()
    backtest(quiet, MarketData.from_events(events), config)
    backtest(eager, MarketData.from_events(events), config)
    assert (quiet.calls, len(quiet.bars)) == (0, 3)
    assert (eager.calls, len(eager.bars)) == (15, 3)


def test_bar_interval_must_be_a_positive_whole_number_of_seconds() -> None:
    class Odd(BarStrategy):
        bar_interval = timedelta(seconds=1.5)

    with pytest.raises(ValueError, match="bar_interval must be a positive whole number"):
        Engine(BOOK, Odd())


def test_a_call_after_a_command_sees_no_market_event() -> None:
    strategy = Seeing()
    engine = Engine(BOOK, strategy, balances={("okx", "usdt"): 1000}, trading_enabled=True)
    engine.process(EngineEvent.trade("okx", "btc_usdt", "100", "1", "Buy"))
    engine.cancel_orders()  # barter calls the strategy after the command too
    assert [e.kind if e else None for e in strategy.events] == ["trade", None]
