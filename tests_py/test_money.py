"""One rule for money (spec §2): every money argument of the SDK takes a Decimal, int, float or
numeric str, exactly, and refuses NaN, infinities, bool and what barter's decimal cannot hold.
The rule lives once, in Rust (`_native.to_decimal`); these tests hold every path to it."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from barter_python import (
    InstrumentSnapshot,
    OrderKind,
    PositionSnapshot,
    RequestOpen,
    Side,
    TimeInForce,
    build_ioc_market_order_to_close_position,
)
from barter_python._native import to_decimal
from barter_python.engine import DefaultStrategy, Engine, EngineEvent

BOOK = [{"exchange": "okx", "instrument": "btc_usdt", "base": "btc", "quote": "usdt"}]


def snapshot_price(value: object) -> Decimal:
    price = InstrumentSnapshot.model_validate({**BOOK[0], "price": value}).price
    assert price is not None
    return price


def request_price(value: object) -> Decimal:
    state = RequestOpen(Side.BUY, value, 1, OrderKind.MARKET, TimeInForce.FILL_OR_KILL)  # type: ignore[arg-type]
    return state.price


def close_price(value: object) -> Decimal:
    position = PositionSnapshot(instrument="btc_usdt", side="Buy", quantity=1)
    return build_ioc_market_order_to_close_position("okx", position, "s", value).state.price  # type: ignore[arg-type]


def balance(value: object) -> Decimal:
    Engine(BOOK, DefaultStrategy(), balances={("okx", "usdt"): value})  # type: ignore[dict-item]
    return to_decimal(value)


PATHS: list[Callable[[object], Decimal]] = [snapshot_price, request_price, close_price, balance]

money = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**100), max_value=2**100),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    # (None is a snapshot's "no price", not a money value.)
    st.sampled_from(["abc", "", " 1.5 ", "1_000", "1E-7", "-0", True, False, [1]]),
)


def outcome(path: Callable[[object], Decimal], value: object) -> tuple[str, Any]:
    """What a path makes of a value: its Decimal, or the kind of refusal."""
    try:
        return ("ok", path(value))
    except (TypeError, ValueError) as error:  # pydantic's ValidationError is a ValueError
        return ("refused", "type" if isinstance(error, TypeError) else "value")


@given(money)
def test_every_money_path_follows_the_one_rule(value: object) -> None:
    try:
        exact = to_decimal(value, "price")
    except (TypeError, ValueError):
        exact = None
    for path in PATHS:
        kind, result = outcome(path, value)
        if exact is None:
            assert kind == "refused", (path.__name__, value, result)
        elif path in (snapshot_price, close_price) and exact <= 0:
            assert kind == "refused", (path.__name__, value)  # a price must be > 0
        elif path is balance and exact < 0:
            assert kind == "refused", (path.__name__, value)  # a balance must be >= 0
        else:
            assert (kind, result) == ("ok", exact), (path.__name__, value)
            assert str(result) == str(exact)  # the same digits, not only the same value


@pytest.mark.parametrize(
    "value, expected",
    [
        (0.1, "0.1"),
        ("43250.50", "43250.50"),
        (" 7 ", "7"),
        (Decimal("1E-7"), "1E-7"),
        ("1.0000000000000000000000000000000", "1.0000000000000000000000000000"),
        (Decimal("100E-30"), "1E-28"),
    ],
)
def test_exact_values(value: object, expected: str) -> None:
    assert to_decimal(value) == Decimal(expected)


@pytest.mark.parametrize(
    "value, error, message",
    [
        (True, TypeError, "must be a Decimal, int, float or numeric str, got bool True"),
        (float("nan"), ValueError, "must be finite, got nan"),
        ("nan", ValueError, "must be finite, got 'nan'"),
        ("abc", ValueError, "must be a number, got 'abc'"),
        (Decimal("1E-29"), ValueError, "must have at most 28 digits after the point"),
        (2**96, ValueError, "must be within barter's decimal range"),
    ],
)
def test_refusals_name_the_field_once(value: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=f"^price {message}"):
        to_decimal(value, "price")
    with pytest.raises(pydantic.ValidationError) as info:
        snapshot_price(value)
    assert info.value.errors()[0]["loc"] == ("price",)
    assert message in str(info.value) and "price must" not in str(info.value)


def test_a_snapshot_entry_price_may_be_0_but_the_engine_says_why_it_needs_more() -> None:
    flat = {**BOOK[0], "price": 1, "position": {"instrument": "btc_usdt", "side": "Buy",
                                                 "quantity": 1}}  # fmt: skip
    snapshot = InstrumentSnapshot.model_validate(flat)
    assert snapshot.position is not None and snapshot.position.price_entry_average == 0
    with pytest.raises(ValueError, match=r"needs price_entry_average > 0 \(barter computes"):
        Engine([snapshot], DefaultStrategy())


@pytest.mark.parametrize(
    "price, message",
    [
        (Decimal("0.1234567890123456789"), "does not survive barter-data's f64"),
        (0, "price must be > 0"),
        (-5, "price must be > 0"),
    ],
)
def test_trade_prices_barter_data_cannot_hold_are_refused(price: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EngineEvent.trade("okx", "btc_usdt", price, 1, "Buy")  # type: ignore[arg-type]


def test_trade_prices_that_survive_f64_pass_exactly() -> None:
    for price in [Decimal("0.1"), "43250.5", 0.3, Decimal("123456789.123456")]:
        event = EngineEvent.trade("okx", "btc_usdt", price, 1, "Buy")  # type: ignore[arg-type]
        engine = Engine(BOOK, DefaultStrategy())
        engine.process(event)
        assert engine.state.prices()[next(iter(engine.state.prices()))] == to_decimal(price)


@pytest.mark.parametrize("bid", [(0, 1), (-1, 1)])
def test_l1_prices_must_be_positive(bid: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="l1 book prices must be > 0"):
        EngineEvent.l1("okx", "btc_usdt", bid=bid, ask=(101, 1))


def test_l1_books_whose_weighted_price_overflows_are_refused() -> None:
    """barter-data's volume-weighted mid uses unchecked arithmetic: a book it would overflow
    on is refused as it is made (found by review: amounts of 7e28 panicked)."""
    huge = Decimal("7E+28")
    with pytest.raises(ValueError, match="beyond barter's decimal range"):
        EngineEvent.l1("okx", "btc_usdt", bid=(1, huge), ask=(2, huge))
    with pytest.raises(ValueError, match="beyond barter's decimal range"):
        EngineEvent.l1("okx", "btc_usdt", bid=(1, Decimal("1E+15")), ask=(Decimal("1E+15"), 1))
