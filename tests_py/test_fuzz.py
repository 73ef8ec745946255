"""Arbitrary Python values against every public constructor and both strategy functions: each
call returns a result that satisfies the spec or raises ValueError/TypeError/BarterPythonError
(or the caller's own exception, unchanged) — never another exception, never a crash.

`make fuzz` runs this with the `fuzz` profile (≥ 10,000 examples per test)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import barter_python as bp

ALLOWED = (ValueError, TypeError, bp.BarterPythonError)


class CallerError(Exception):
    """Raised by fuzzed callbacks and generators; must propagate unchanged."""


def outcome(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except CallerError:
        return None
    except ALLOWED:
        return None


# Values a data pipeline might produce, including the awkward ones.
texts = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(exclude_categories=()), max_size=10),  # includes surrogates
    st.sampled_from(["", "okx", "binance_spot", "huobi", "Buy", "b", "\ud800", "x" * 300]),
)
decimals = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.builds(Decimal, st.sampled_from(["1E+999999999", "-0E-999999999", "1E-28", "sNaN"])),
    st.floats(),
    st.integers(),
    st.integers(min_value=2**90, max_value=2**100),
)
scalars = st.one_of(st.none(), st.booleans(), texts, decimals, st.binary(max_size=8))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=8,
)
exchanges = st.one_of(st.sampled_from(list(bp.ExchangeId)), texts, values)


def snapshot_like() -> st.SearchStrategy[Any]:
    """Mappings close to valid snapshots, with any field replaced by junk."""
    position = st.fixed_dictionaries(
        {"instrument": st.just("btc_usdt"), "side": st.sampled_from(["Buy", "Sell"])},
        optional={"quantity": st.one_of(decimals, values), "price_entry_average": decimals},
    )
    return st.fixed_dictionaries(
        {
            "exchange": st.one_of(st.sampled_from(["okx", "kraken"]), exchanges),
            "instrument": st.one_of(st.just("btc_usdt"), texts),
            "base": st.one_of(st.just("btc"), texts),
            "quote": st.just("usdt"),
        },
        optional={"price": st.one_of(decimals, values), "position": st.one_of(position, values)},
    )


def gen_cids() -> st.SearchStrategy[Any]:
    def raising(*_: Any) -> str:
        raise CallerError

    returning = values.map(lambda value: lambda *_: value)
    return st.one_of(st.none(), st.just(raising), returning, values)


@given(st.sampled_from([bp.StrategyId, bp.ClientOrderId, bp.OrderId]), values)
def test_ids(id_type: Any, value: Any) -> None:
    result = outcome(lambda: id_type(value))
    if result is not None:
        assert isinstance(value, str) and value and str(result) == value


@given(exchanges, values, values, values)
def test_order_key(exchange: Any, instrument: Any, strategy: Any, cid: Any) -> None:
    key = outcome(lambda: bp.OrderKey(exchange, instrument, strategy, cid))
    if key is not None:
        assert bp.OrderKey.from_json(key.to_json()) == key


@given(values, decimals, decimals, values, values)
def test_request_open(side: Any, price: Any, quantity: Any, kind: Any, tif: Any) -> None:
    state = outcome(lambda: bp.RequestOpen(side, price, quantity, kind, tif))
    if state is not None:
        assert bp.RequestOpen.from_json(state.to_json()) == state


@given(values, values)
def test_order_requests(key: Any, state: Any) -> None:
    outcome(lambda: bp.OrderRequestOpen(key, state))
    outcome(lambda: bp.OrderRequestCancel(key, state))
    outcome(lambda: bp.RequestCancel(key))


VALID_JSON = (
    '{"key":{"exchange":"okx","instrument":"btc_usdt","strategy":"s","cid":"c"},'
    '"state":{"side":"Buy","price":"1.5","quantity":"2","kind":"Market",'
    '"time_in_force":"ImmediateOrCancel"}}'
)


@given(
    st.one_of(
        texts,
        st.integers(0, len(VALID_JSON)).flatmap(
            lambda cut: st.text(max_size=5).map(
                lambda junk: VALID_JSON[:cut] + junk + VALID_JSON[cut:]
            )
        ),
        values.map(lambda v: json.dumps(v, default=str)),
    )
)
def test_from_json(text: str) -> None:
    for cls in (bp.OrderRequestOpen, bp.OrderRequestCancel, bp.OrderKey, bp.RequestOpen):
        value = outcome(lambda: cls.from_json(text))  # noqa: B023 - called at once
        if value is not None:
            assert cls.from_json(value.to_json()) == value


@given(st.lists(values, max_size=3))
def test_filters_and_enums(args: list[Any]) -> None:
    outcome(lambda: bp.InstrumentFilter.exchanges(*args))
    outcome(lambda: bp.InstrumentFilter.instruments(*args))
    outcome(lambda: bp.InstrumentFilter.underlyings(*args))
    for enum in (bp.Side, bp.ExchangeId, bp.OrderKind, bp.TimeInForce):
        for arg in args:
            outcome(lambda: enum(arg))  # noqa: B023 - called at once


@given(snapshot_like())
def test_snapshots(data: Any) -> None:
    snapshot = outcome(lambda: bp.InstrumentSnapshot.model_validate(data))
    if snapshot is not None:
        assert snapshot.price is None or snapshot.price > 0


@given(
    exchanges,
    st.one_of(snapshot_like().map(lambda d: d.get("position")), values),
    values,
    decimals,
    gen_cids(),
)
def test_build_ioc(exchange: Any, position: Any, strategy: Any, price: Any, gen_cid: Any) -> None:
    snapshot = outcome(lambda: bp.PositionSnapshot.model_validate(position))
    target = snapshot if snapshot is not None else position
    order = outcome(
        lambda: bp.build_ioc_market_order_to_close_position(
            exchange, target, strategy, price, gen_cid
        )
    )
    if order is not None:
        assert isinstance(order, bp.OrderRequestOpen)
        assert order.state.kind is bp.OrderKind.MARKET
        assert order.state.quantity == target.quantity > 0
        assert order.state.side is not target.side


def book_iterables() -> st.SearchStrategy[Any]:
    items = st.lists(st.one_of(snapshot_like(), values), max_size=6)

    def failing_midway(book: list[Any]) -> Iterator[Any]:
        yield from book[:1]
        raise CallerError

    return st.one_of(items, items.map(failing_midway), values)


@given(
    values,
    book_iterables(),
    gen_cids(),
    st.one_of(st.none(), values),
    st.one_of(st.sampled_from(["raise", "skip"]), values),
)
def test_close(strategy: Any, book: Any, gen_cid: Any, filter: Any, on_missing: Any) -> None:
    result = outcome(
        lambda: bp.close_open_positions_with_market_orders(
            strategy, book, gen_cid, filter=filter, on_missing_price=on_missing
        )
    )
    if result is not None:
        cancels, opens = result
        assert cancels == []
        assert all(isinstance(order, bp.OrderRequestOpen) for order in opens)


@pytest.mark.parametrize(
    "price",
    [Decimal("1E+29"), Decimal("1E-29"), 2**96, Decimal("0.1234567890123456789012345678901")],
)
def test_out_of_range_decimals_raise_instead_of_panicking(price: Any) -> None:
    position = bp.PositionSnapshot(instrument="btc_usdt", side=bp.Side.BUY, quantity=1)
    with pytest.raises(ValueError, match="price"):
        bp.build_ioc_market_order_to_close_position("okx", position, "s", price)
    with pytest.raises(ValueError, match="price"):
        bp.RequestOpen(bp.Side.BUY, price, 1, bp.OrderKind.MARKET, bp.TimeInForce.FILL_OR_KILL)


def test_huge_name_and_surrogates_raise_or_work() -> None:
    name = "x" * 10_000_000
    key = bp.OrderKey("okx", name, "s", "c")
    assert len(key.instrument) == 10_000_000
    with pytest.raises(ValueError):  # UnicodeEncodeError is a ValueError
        bp.OrderKey("okx", "\ud800", "s", "c")
    with pytest.raises(ValueError):
        bp.StrategyId("\udfff")
    raw: dict[str, Any] = {"exchange": "okx", "instrument": "\ud800", "base": "b", "quote": "q"}
    with pytest.raises(ValueError):  # Pydantic refuses it first
        bp.close_open_positions_with_market_orders("s", [raw])
    # The native layer refuses it too, should an unvalidated object get that far.
    unvalidated = bp.InstrumentSnapshot.model_construct(
        exchange=bp.ExchangeId.OKX, instrument="\ud800", base="b", quote="q", price=Decimal(1)
    )
    with pytest.raises(ValueError):
        bp._native.strategy.close_open_positions_with_market_orders("s", [unvalidated])


ENGINE_BOOK = [
    bp.InstrumentSnapshot(exchange="okx", instrument="btc_usdt", base="btc", quote="usdt", price=1)
]


@given(
    st.sampled_from(["trade", "l1", "market_disconnected", "account_disconnected"]),
    exchanges,
    values,
    st.lists(st.one_of(decimals, values), min_size=4, max_size=4),
)
def test_engine_events(kind: str, exchange: Any, instrument: Any, numbers: list[Any]) -> None:
    from barter_python.engine import DefaultStrategy, Engine, EngineEvent

    engine = Engine(ENGINE_BOOK, DefaultStrategy(), trading_enabled=True)
    price, amount, ask, ask_amount = numbers
    build: dict[str, Callable[[], Any]] = {
        "trade": lambda: EngineEvent.trade(exchange, instrument, price, amount, "Buy"),
        "l1": lambda: EngineEvent.l1(exchange, instrument, (price, amount), (ask, ask_amount)),
        "market_disconnected": lambda: EngineEvent.market_disconnected(exchange),
        "account_disconnected": lambda: EngineEvent.account_disconnected(exchange),
    }
    event = outcome(build[kind])
    if event is not None:
        audit = outcome(lambda: engine.process(event))
        assert audit is None or audit.errors == []
    # Whatever happened, the engine still answers.
    assert isinstance(engine.state.trading_enabled, bool)


@given(values, values, st.one_of(values, st.builds(list, st.just(ENGINE_BOOK))))
def test_engine_construction_and_requests(balances: Any, opens: Any, book: Any) -> None:
    from barter_python.engine import DefaultStrategy, Engine

    engine = outcome(lambda: Engine(book, DefaultStrategy(), balances=balances))
    if engine is not None:
        outcome(lambda: engine.send_requests([], opens))


MAX_DECIMAL = Decimal("79228162514264337593543950335")
sizes = st.one_of(
    st.decimals(min_value=Decimal("1E-10"), max_value=MAX_DECIMAL, places=10),
    st.integers(min_value=1, max_value=int(MAX_DECIMAL)).map(Decimal),
    st.sampled_from([MAX_DECIMAL, Decimal("1E+14"), Decimal("2.8E+14"), Decimal("1E-28")]),
)


@given(
    sizes,
    sizes,
    st.sampled_from([0, Decimal("0.001"), Decimal("0.5")]),
    st.booleans(),
    st.sampled_from(["simulated", "barter_mock"]),
)
def test_order_sizes_never_kill_the_exchange(
    price: Decimal, quantity: Decimal, fees: Decimal, buy: bool, kind: str
) -> None:
    """Any order size is either refused up front or carried out, on either exchange; the
    exchange survives (barter-execution's mock panics inside its task on a value beyond
    barter's range; the simulated exchange refuses what its decimals cannot hold)."""
    from barter_python.engine import DefaultStrategy, Engine
    from barter_python.exchange import BarterMockExchange, SimulatedExchange

    def exchange(fees: Decimal) -> SimulatedExchange | BarterMockExchange:
        if kind == "simulated":
            return SimulatedExchange(fees_percent=fees)
        return BarterMockExchange(fees_percent=fees)

    engine = Engine(
        ENGINE_BOOK,
        DefaultStrategy(),
        balances={("okx", "usdt"): MAX_DECIMAL, ("okx", "btc"): MAX_DECIMAL},
        exchange=exchange(fees),
    )
    side = bp.Side.BUY if buy else bp.Side.SELL
    state = outcome(lambda: bp.RequestOpen(side, price, quantity, "Market", "ImmediateOrCancel"))
    if state is None:
        return  # a size the SDK refuses outright (more than 28 decimals)
    order = bp.OrderRequestOpen(bp.OrderKey("okx", "btc_usdt", "s", "c"), state)
    audit = outcome(lambda: engine.send_requests([], [order]))
    if audit is not None:
        assert audit.errors == []
        assert all("ExchangeOffline" not in reason for _, reason in audit.opens_refused)
    # An order that shrinks whatever position the first left, so that it can be carried out.
    opposite = bp.Side.SELL if buy else bp.Side.BUY
    small = bp.OrderRequestOpen(
        bp.OrderKey("okx", "btc_usdt", "s", "small"),
        bp.RequestOpen(opposite, 1, 1, "Market", "ImmediateOrCancel"),
    )
    after = engine.send_requests([], [small])  # answered by a live exchange: filled or refused
    assert after.errors == []
    refusal = after.opens_refused[0][1] if after.opens_refused else ""
    assert len(after.trades) == 1 or "BalanceInsufficient" in refusal or "range" in refusal


def market_data_blob() -> bytes:
    from barter_python.backtest import MarketData
    from barter_python.engine import EngineEvent

    data = MarketData.from_events(
        [
            EngineEvent.trade("okx", "a", 1.5, 2, "Sell"),
            EngineEvent.l1("okx", "b", (Decimal(1), Decimal(0)), (Decimal(2), Decimal(1))),
            EngineEvent.market_disconnected("okx"),
        ]
    )
    blob: bytes = data.__reduce__()[1][0]
    return blob


@given(st.binary(max_size=200), st.integers(min_value=0), st.integers(0, 255))
def test_market_data_from_bytes(junk: bytes, at: int, byte: int) -> None:
    from barter_python.backtest import MarketData

    blob = bytearray(market_data_blob())
    blob[at % len(blob)] = byte
    for data in (bytes(blob), junk, bytes(blob[: at % len(blob)])):
        loaded = outcome(lambda data=data: MarketData._from_bytes(data))  # type: ignore[misc]
        if loaded is not None:
            assert MarketData._from_bytes(loaded.__reduce__()[1][0]) == loaded


cells = st.one_of(
    st.sampled_from(["0", "1", "1.5", "-1", "1E+30", "nan", "Buy", "s", "1742944020000", ""]),
    st.sampled_from(["2025-03-25T23:07:00Z", "2025-03-25T23:07:00.123456789+02:00"]),
    texts,
)


@given(
    st.sampled_from(["trades", "l1", "candles"]),
    st.lists(st.lists(cells, max_size=7), max_size=6),
    st.booleans(),
)
def test_market_data_csv(kind: str, rows: list[list[str]], header: bool) -> None:
    import tempfile
    from pathlib import Path

    from barter_python.backtest import MarketData

    columns = {
        "trades": "time,price,amount,side",
        "l1": "time,bid_price,bid_amount,ask_price,ask_amount",
        "candles": "time,open,high,low,close,volume",
    }[kind]
    lines = ([columns] if header else []) + [",".join(row) for row in rows]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_text("\n".join(lines), errors="surrogatepass")
        outcome(lambda: MarketData.from_csv(path, kind=kind, exchange="okx", instrument="a"))  # type: ignore[arg-type]


@given(values, st.booleans())
def test_market_data_json(value: Any, ndjson: bool) -> None:
    import tempfile
    from pathlib import Path

    from barter_python.backtest import MarketData

    items = value if isinstance(value, list) else [value]
    item = {
        "Item": {
            "time_exchange": "2025-03-25T23:07:00Z",
            "time_received": "x",
            "exchange": "okx",
            "instrument": 0,
            "kind": value,
        }
    }
    text = (
        "\n".join(json.dumps(i, default=str) for i in [*items, item])
        if ndjson
        else json.dumps([*items, {"Item": {"Ok": item["Item"]}}], default=str)
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.json"
        path.write_text(text, errors="surrogatepass")
        outcome(lambda: MarketData.from_barter_json(path, instruments=[("okx", "a")]))


@given(
    st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=30),
    st.lists(
        st.tuples(st.sampled_from(["Buy", "Sell"]), decimals, st.one_of(decimals, values)),
        max_size=10,
    ),
    st.sampled_from([0, 1, 500]),
)
def test_backtests_never_panic(prices: list[int], orders: list[Any], latency: int) -> None:
    """Fuzzed data and a strategy sending fuzzed orders: a result, or an SDK error."""
    from datetime import UTC, datetime, timedelta

    from barter_python.backtest import BacktestConfig, MarketData, backtest
    from barter_python.engine import DefaultStrategy, EngineEvent, market_order

    start = datetime(2026, 1, 1, tzinfo=UTC)
    data = MarketData.from_events(
        EngineEvent.trade("okx", "btc_usdt", p, 1, "Buy", start + timedelta(seconds=i))
        for i, p in enumerate(prices)
    )
    config = BacktestConfig(
        instruments=[{"exchange": "okx", "instrument": "btc_usdt", "base": "btc", "quote": "usdt"}],
        balances={("okx", "usdt"): 10**12, ("okx", "btc"): 10**6},
        latency_ms=latency,
    )
    pending = list(orders)

    class Fuzzed(DefaultStrategy):
        def generate_algo_orders(self, state: Any) -> Any:
            if not pending:
                return [], []
            side, quantity, price = pending.pop()
            return [], [market_order("okx", "btc_usdt", side, quantity, price, strategy_id="f")]

    result = outcome(lambda: backtest(Fuzzed(), data, config))
    if result is not None:
        assert result.events == len(prices)
        assert result.totals.loss_rate == result.instruments[0].barter.win_rate
