"""barter's close-position helpers through the SDK: hand-worked cases, every error of the
spec, filters, ordering, gen_cid, and properties over random books checked against an
expectation computed independently here."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from barter_python import (
    ClientOrderId,
    DuplicateInstrumentError,
    ExchangeId,
    InstrumentFilter,
    InstrumentSnapshot,
    MissingPriceError,
    OrderKind,
    OrderRequestOpen,
    PositionSnapshot,
    Side,
    StrategyId,
    TimeInForce,
    UnknownInstrumentError,
    build_ioc_market_order_to_close_position,
    close_open_positions_with_market_orders,
)
from barter_python import strategy as strategy_module

URL_SAFE = set(string.ascii_letters + string.digits + "_-")


def snap(
    exchange: str,
    name: str,
    side: str | None = None,
    quantity: Any = 1,
    price: Any = "100",
    base: str | None = None,
    quote: str = "usdt",
) -> InstrumentSnapshot:
    position = None if side is None else {"instrument": name, "side": side, "quantity": quantity}
    return InstrumentSnapshot.model_validate(
        {
            "exchange": exchange,
            "instrument": name,
            "base": base or name.split("_")[0],
            "quote": quote,
            "price": price,
            "position": position,
        }
    )


def summary(order: OrderRequestOpen) -> tuple[str, str, Side, Decimal, Decimal]:
    key, state = order.key, order.state
    return (key.exchange.value, key.instrument, state.side, state.quantity, state.price)


# build_ioc_market_order_to_close_position


def test_long_closes_with_ioc_market_sell() -> None:
    position = PositionSnapshot(instrument="btc_usdt", side=Side.BUY, quantity=Decimal("1.25"))
    order = build_ioc_market_order_to_close_position(
        ExchangeId.BINANCE_SPOT, position, StrategyId("risk"), Decimal("43250.50"), lambda: "c-1"
    )
    assert order.key.exchange is ExchangeId.BINANCE_SPOT
    assert order.key.instrument == "btc_usdt"
    assert order.key.strategy == StrategyId("risk")
    assert order.key.cid == ClientOrderId("c-1")
    assert order.state.side is Side.SELL
    assert order.state.quantity == Decimal("1.25")
    assert str(order.state.price) == "43250.50"
    assert order.state.kind is OrderKind.MARKET
    assert order.state.time_in_force is TimeInForce.IMMEDIATE_OR_CANCEL


def test_short_closes_with_buy_and_float_price_is_exact() -> None:
    position = PositionSnapshot(instrument="eth_usdt", side="sell", quantity="3")
    order = build_ioc_market_order_to_close_position("okx", position, "risk", 0.1)
    assert order.state.side is Side.BUY
    assert order.state.price == Decimal("0.1")
    assert order.state.quantity == 3
    cid = str(order.key.cid)
    assert len(cid) == 23 and set(cid) <= URL_SAFE


@pytest.mark.parametrize(
    "price, error, message",
    [
        (0, ValueError, "price must be > 0"),
        (-1.5, ValueError, "price must be > 0"),
        (Decimal("0"), ValueError, "price must be > 0"),
        (float("nan"), ValueError, "finite"),
        (float("inf"), ValueError, "finite"),
        (Decimal("NaN"), ValueError, "finite"),
        (True, TypeError, "bool"),
        ("abc", ValueError, "must be a number, got 'abc'"),
        (None, TypeError, "got NoneType"),
        (Decimal("1E-30"), ValueError, "at most 28 digits after the point"),
    ],
)
def test_build_ioc_bad_price(price: Any, error: type[Exception], message: str) -> None:
    position = PositionSnapshot(instrument="btc_usdt", side=Side.BUY, quantity=1)
    with pytest.raises(error, match=message):
        build_ioc_market_order_to_close_position("okx", position, "risk", price)


def test_build_ioc_flat_position_is_refused() -> None:
    position = PositionSnapshot(instrument="btc_usdt", side=Side.BUY, quantity=0)
    with pytest.raises(ValueError, match="quantity 0"):
        build_ioc_market_order_to_close_position("okx", position, "risk", 1)


def test_build_ioc_gen_cid_called_once_without_arguments() -> None:
    calls: list[tuple[Any, ...]] = []

    def gen_cid(*args: Any) -> ClientOrderId:
        calls.append(args)
        return ClientOrderId("mine")

    position = PositionSnapshot(instrument="btc_usdt", side=Side.BUY, quantity=1)
    order = build_ioc_market_order_to_close_position("okx", position, "risk", 1, gen_cid)
    assert calls == [()]
    assert order.key.cid == ClientOrderId("mine")


def test_build_ioc_gen_cid_errors() -> None:
    position = PositionSnapshot(instrument="btc_usdt", side=Side.BUY, quantity=1)
    boom = RuntimeError("boom")

    def raising() -> str:
        raise boom

    with pytest.raises(RuntimeError) as info:
        build_ioc_market_order_to_close_position("okx", position, "risk", 1, raising)
    assert info.value is boom
    with pytest.raises(TypeError, match="gen_cid"):
        build_ioc_market_order_to_close_position("okx", position, "risk", 1, lambda: 7)  # type: ignore[arg-type, return-value]
    with pytest.raises(ValueError, match="non-empty"):
        build_ioc_market_order_to_close_position("okx", position, "risk", 1, lambda: "")


def test_build_ioc_bad_arguments() -> None:
    position = PositionSnapshot(instrument="btc_usdt", side=Side.BUY, quantity=1)
    with pytest.raises(ValueError, match="valid values"):
        build_ioc_market_order_to_close_position("nowhere", position, "risk", 1)
    with pytest.raises(ValueError, match="non-empty"):
        build_ioc_market_order_to_close_position("okx", position, "", 1)
    with pytest.raises(TypeError, match="PositionSnapshot"):
        build_ioc_market_order_to_close_position("okx", {"side": "Buy"}, "risk", 1)  # type: ignore[arg-type]


# close_open_positions_with_market_orders


def test_close_book_hand_worked() -> None:
    book = [
        snap("okx", "btc_usdt", "Buy", "0.5", "43000.10"),
        snap("binance_spot", "eth_usdt", "Sell", "2", "2300"),
        snap("kraken", "sol_usd", None, price="98"),  # no position
        snap("binance_spot", "btc_usdt", "Sell", 0, "43001"),  # flat
        snap("binance_spot", "btc_usdc", "Buy", "1", 0.1, quote="usdc"),
    ]
    cancels, opens = close_open_positions_with_market_orders("risk", book, lambda _: "c")
    assert cancels == []
    assert [summary(o) for o in opens] == [
        ("okx", "btc_usdt", Side.SELL, Decimal("0.5"), Decimal("43000.10")),
        ("binance_spot", "eth_usdt", Side.BUY, Decimal("2"), Decimal("2300")),
        ("binance_spot", "btc_usdc", Side.SELL, Decimal("1"), Decimal("0.1")),
    ]
    for order in opens:
        assert order.state.kind is OrderKind.MARKET
        assert order.state.time_in_force is TimeInForce.IMMEDIATE_OR_CANCEL
        assert order.key.strategy == StrategyId("risk")


def test_opens_follow_input_order_not_barters_sorted_order() -> None:
    # barter sorts instruments by exchange then name; the input here is the reverse.
    names = [("poloniex", "zzz_usdt"), ("okx", "mmm_usdt"), ("binance_spot", "aaa_usdt")]
    book = [snap(exchange, name, "Buy") for exchange, name in names]
    _, opens = close_open_positions_with_market_orders("risk", book)
    assert [(o.key.exchange.value, o.key.instrument) for o in opens] == names


def test_same_name_on_two_exchanges_is_two_instruments() -> None:
    book = [snap("binance_spot", "btc_usdt", "Buy", 1), snap("okx", "btc_usdt", "Sell", 2)]
    _, opens = close_open_positions_with_market_orders("risk", book)
    assert [summary(o)[:4] for o in opens] == [
        ("binance_spot", "btc_usdt", Side.SELL, Decimal(1)),
        ("okx", "btc_usdt", Side.BUY, Decimal(2)),
    ]


def test_duplicate_instrument_is_refused() -> None:
    book = [snap("okx", "btc_usdt", "Buy"), snap("okx", "eth_usdt"), snap("okx", "btc_usdt")]
    with pytest.raises(DuplicateInstrumentError, match="'btc_usdt' on exchange 'okx'") as info:
        close_open_positions_with_market_orders("risk", book)
    assert isinstance(info.value, ValueError)
    assert "items 0 and 2" in str(info.value)


def test_missing_price_raises_naming_exchange_and_instrument() -> None:
    book = [snap("okx", "btc_usdt", "Buy"), snap("kraken", "eth_usd", "Sell", price=None)]
    with pytest.raises(MissingPriceError, match="'eth_usd' on exchange 'kraken'") as info:
        close_open_positions_with_market_orders("risk", book)
    assert isinstance(info.value, ValueError)
    assert "on_missing_price" in str(info.value)


def test_missing_price_skip_is_barters_behaviour() -> None:
    book = [snap("okx", "btc_usdt", "Buy"), snap("kraken", "eth_usd", "Sell", price=None)]
    _, opens = close_open_positions_with_market_orders("risk", book, on_missing_price="skip")
    assert [o.key.instrument for o in opens] == ["btc_usdt"]


def test_missing_price_without_position_or_outside_filter_is_fine() -> None:
    book = [
        snap("okx", "btc_usdt", "Buy"),
        snap("kraken", "eth_usd", None, price=None),
        snap("kraken", "sol_usd", "Buy", price=None),
    ]
    only_okx = InstrumentFilter.exchanges(ExchangeId.OKX)
    _, opens = close_open_positions_with_market_orders("risk", book, filter=only_okx)
    assert [o.key.instrument for o in opens] == ["btc_usdt"]


def test_mappings_are_validated_as_snapshots() -> None:
    raw = {
        "exchange": "okx",
        "instrument": "btc_usdt",
        "base": "btc",
        "quote": "usdt",
        "price": 10,
        "position": {"instrument": "btc_usdt", "side": "b", "quantity": 1},
    }
    _, opens = close_open_positions_with_market_orders("risk", [raw, snap("okx", "eth_usdt")])
    assert [summary(o)[:3] for o in opens] == [("okx", "btc_usdt", Side.SELL)]
    with pytest.raises(pydantic.ValidationError, match="price"):
        close_open_positions_with_market_orders("risk", [snap("okx", "x_y"), {**raw, "price": -1}])


def test_generator_input_and_empty_book() -> None:
    assert close_open_positions_with_market_orders("risk", []) == ([], [])
    _, opens = close_open_positions_with_market_orders(
        "risk", (s for s in [snap("okx", "a_b", "Buy")])
    )
    assert len(opens) == 1


@pytest.mark.parametrize(
    "bad, error",
    [
        ({"on_missing_price": "ignore"}, ValueError),
        ({"filter": "okx"}, TypeError),
    ],
)
def test_bad_options(bad: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        close_open_positions_with_market_orders("risk", [snap("okx", "a_b", "Buy")], **bad)


def test_bad_strategy_id() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        close_open_positions_with_market_orders("", [snap("okx", "a_b", "Buy")])
    with pytest.raises(TypeError, match="strategy_id"):
        close_open_positions_with_market_orders(3, [snap("okx", "a_b", "Buy")])  # type: ignore[arg-type]


# gen_cid


def test_gen_cid_called_once_per_order_with_its_snapshot_in_input_order() -> None:
    book = [
        snap("poloniex", "b_usdt", "Buy"),
        snap("okx", "flat_usdt", "Buy", 0),
        snap("binance_spot", "a_usdt", "Sell"),
        snap("okx", "none_usdt"),
    ]
    seen: list[InstrumentSnapshot] = []

    def gen_cid(snapshot: InstrumentSnapshot) -> str:
        seen.append(snapshot)
        return f"cid-{len(seen)}"

    _, opens = close_open_positions_with_market_orders("risk", book, gen_cid)
    assert seen == [book[0], book[2]]
    assert seen[0] is book[0]
    assert [str(o.key.cid) for o in opens] == ["cid-1", "cid-2"]


def test_gen_cid_exception_propagates_unchanged_and_nothing_returned() -> None:
    boom = KeyError("boom")
    calls = 0

    def gen_cid(_: InstrumentSnapshot) -> str:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise boom
        return "ok"

    book = [snap("okx", f"a{i}_usdt", "Buy") for i in range(4)]
    with pytest.raises(KeyError) as info:
        close_open_positions_with_market_orders("risk", book, gen_cid)
    assert info.value is boom
    assert calls == 2


@pytest.mark.parametrize("result", [7, None, b"bytes", StrategyId("s")])
def test_gen_cid_must_return_str_or_client_order_id(result: object) -> None:
    def gen_cid(_: InstrumentSnapshot) -> Any:
        return result

    with pytest.raises(TypeError, match="gen_cid"):
        close_open_positions_with_market_orders("risk", [snap("okx", "a_b", "Buy")], gen_cid)


def test_gen_cid_not_called_without_orders() -> None:
    def gen_cid(_: InstrumentSnapshot) -> str:
        raise AssertionError("no order, no call")

    book = [snap("okx", "a_b", "Buy", 0), snap("okx", "c_d")]
    assert close_open_positions_with_market_orders("risk", book, gen_cid) == ([], [])


def test_default_cids_are_barters_random_ids() -> None:
    book = [snap("okx", f"a{i}_usdt", "Buy") for i in range(50)]
    _, opens = close_open_positions_with_market_orders("risk", book)
    cids = [str(o.key.cid) for o in opens]
    assert len(set(cids)) == 50
    assert all(len(cid) == 23 and set(cid) <= URL_SAFE for cid in cids)


# filters

FILTER_BOOK = [
    snap("binance_spot", "btc_usdt", "Buy", base="btc"),
    snap("okx", "btc_usdt", "Sell", base="btc"),
    snap("okx", "eth_usdt", "Buy", base="eth"),
    snap("kraken", "btc_usd", "Buy", base="btc", quote="usd"),
    snap("kraken", "eth_usd", "Sell", base="eth", quote="usd"),
]


def closed(filter: InstrumentFilter | None) -> list[tuple[str, str]]:
    _, opens = close_open_positions_with_market_orders("risk", FILTER_BOOK, filter=filter)
    return [(o.key.exchange.value, o.key.instrument) for o in opens]


ALL = [(s.exchange.value, s.instrument) for s in FILTER_BOOK]


@pytest.mark.parametrize(
    "filter, expected",
    [
        (None, ALL),
        (InstrumentFilter.none(), ALL),
        (InstrumentFilter.exchanges(ExchangeId.OKX), [ALL[1], ALL[2]]),
        (InstrumentFilter.exchanges("kraken", "binance_spot"), [ALL[0], ALL[3], ALL[4]]),
        (InstrumentFilter.exchanges(ExchangeId.BITMEX), []),
        (InstrumentFilter.instruments("btc_usdt"), [ALL[0], ALL[1]]),
        (InstrumentFilter.instruments("BTC_USD", "eth_usdt"), [ALL[2], ALL[3]]),
        (InstrumentFilter.underlyings(("btc", "usdt")), [ALL[0], ALL[1]]),
        (InstrumentFilter.underlyings(("eth", "usd"), ("eth", "usdt")), [ALL[2], ALL[4]]),
    ],
    ids=repr,
)
def test_filters(filter: InstrumentFilter | None, expected: list[tuple[str, str]]) -> None:
    assert closed(filter) == expected


@pytest.mark.parametrize(
    "filter, message",
    [
        (InstrumentFilter.instruments("doge_usdt"), "instrument 'doge_usdt'"),
        (InstrumentFilter.underlyings(("btc", "eur")), "underlying ('btc', 'eur')"),
    ],
)
def test_filter_naming_what_the_book_lacks_is_refused(
    filter: InstrumentFilter, message: str
) -> None:
    with pytest.raises(UnknownInstrumentError, match=re.escape(message)):
        closed(filter)


def test_empty_filters_are_refused() -> None:
    for make in (
        InstrumentFilter.exchanges,
        InstrumentFilter.instruments,
        InstrumentFilter.underlyings,
    ):
        with pytest.raises(ValueError, match="at least one"):
            make()
    with pytest.raises(ValueError, match="valid values"):
        InstrumentFilter.exchanges("binance")


def test_filter_value_semantics() -> None:
    assert InstrumentFilter.exchanges("okx") == InstrumentFilter.exchanges(ExchangeId.OKX)
    assert hash(InstrumentFilter.none()) == hash(InstrumentFilter.none())
    assert repr(InstrumentFilter.underlyings(("btc", "usdt"))) == (
        "InstrumentFilter.underlyings(('btc', 'usdt'))"
    )
    assert strategy_module.InstrumentFilter is InstrumentFilter


# properties over random books

EXCHANGES = ["binance_spot", "okx", "kraken", "coinbase", "bybit_spot"]


@st.composite
def books(draw: st.DrawFn) -> list[InstrumentSnapshot]:
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(EXCHANGES), st.sampled_from(["btc", "eth", "sol", "x"])),
            unique=True,
            max_size=12,
        )
    )
    decimals = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("1000000"), places=8)
    book = []
    for exchange, base in keys:
        side = draw(st.sampled_from([None, "Buy", "Sell"]))
        quantity = draw(st.one_of(st.just(Decimal(0)), decimals))
        price = draw(st.one_of(st.none(), decimals))
        book.append(snap(exchange, f"{base}_usdt", side, quantity, price, base=base))
    return book


def expected_orders(
    book: list[InstrumentSnapshot], keep: Callable[[InstrumentSnapshot], bool]
) -> list[tuple[str, str, Side, Decimal, Decimal]]:
    """What closing means, written independently of barter: flip the side, same quantity."""
    out = []
    for s in book:
        if s.position is None or s.position.quantity == 0 or s.price is None or not keep(s):
            continue
        flipped = Side.SELL if s.position.side is Side.BUY else Side.BUY
        out.append((s.exchange.value, s.instrument, flipped, s.position.quantity, s.price))
    return out


@settings(max_examples=150, deadline=None)
@given(books())
def test_property_skip_mode_equals_independent_expectation(book: list[InstrumentSnapshot]) -> None:
    cancels, opens = close_open_positions_with_market_orders("p", book, on_missing_price="skip")
    assert cancels == []
    assert [summary(o) for o in opens] == expected_orders(book, lambda _: True)
    for order in opens:
        assert order.state.kind is OrderKind.MARKET
        assert order.state.time_in_force is TimeInForce.IMMEDIATE_OR_CANCEL


@settings(max_examples=150, deadline=None)
@given(books())
def test_property_raise_mode_raises_exactly_when_a_position_lacks_a_price(
    book: list[InstrumentSnapshot],
) -> None:
    missing = [
        s for s in book if s.position is not None and s.position.quantity > 0 and s.price is None
    ]
    if missing:
        with pytest.raises(MissingPriceError) as info:
            close_open_positions_with_market_orders("p", book)
        first = missing[0]
        assert f"'{first.instrument}' on exchange '{first.exchange.value}'" in str(info.value)
    else:
        _, opens = close_open_positions_with_market_orders("p", book)
        assert [summary(o) for o in opens] == expected_orders(book, lambda _: True)


@settings(max_examples=100, deadline=None)
@given(books(), st.sets(st.sampled_from(EXCHANGES), min_size=1))
def test_property_exchange_filter_selects_a_subset(
    book: list[InstrumentSnapshot], exchanges: set[str]
) -> None:
    filter = InstrumentFilter.exchanges(*sorted(exchanges))
    _, opens = close_open_positions_with_market_orders(
        "p", book, filter=filter, on_missing_price="skip"
    )
    keep: Callable[[InstrumentSnapshot], bool] = lambda s: s.exchange.value in exchanges  # noqa: E731
    assert [summary(o) for o in opens] == expected_orders(book, keep)
