"""The Python enums mirror barter's enums: values are barter's serde names, aliases are barter's."""

from __future__ import annotations

import json
import pickle

import pydantic
import pytest

from barter_python import ExchangeId, InstrumentFilter, OrderKind, Side, TimeInForce
from barter_python._native import barter_variants


def test_exchange_id_has_every_barter_variant() -> None:
    assert [member.value for member in ExchangeId] == barter_variants("ExchangeId")
    assert len(ExchangeId) == 42


@pytest.mark.parametrize("kind, enum", [("Side", Side), ("OrderKind", OrderKind)])
def test_values_are_barter_serde_names(kind: str, enum: type[Side | OrderKind]) -> None:
    assert [member.value for member in enum] == barter_variants(kind)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Buy", Side.BUY),
        ("buy", Side.BUY),
        ("BUY", Side.BUY),
        ("b", Side.BUY),
        ("Sell", Side.SELL),
        ("sell", Side.SELL),
        ("SELL", Side.SELL),
        ("s", Side.SELL),
    ],
)
def test_side_accepts_barter_aliases(text: str, expected: Side) -> None:
    assert Side(text) is expected


def test_exchange_id_by_value_and_barter_alias() -> None:
    assert ExchangeId("binance_spot") is ExchangeId.BINANCE_SPOT
    assert ExchangeId("huobi") is ExchangeId.HTX


@pytest.mark.parametrize(
    "enum, bad, listed",
    [
        (Side, "long", "'Buy', 'Sell'"),
        (ExchangeId, "binance", "'binance_spot'"),
        (OrderKind, "marketable", "'Market', 'Limit'"),
        (TimeInForce, "IOC", "'ImmediateOrCancel'"),
    ],
)
def test_unknown_value_lists_valid_ones(enum: type[Side], bad: str, listed: str) -> None:
    with pytest.raises(ValueError, match="valid values") as info:
        enum(bad)
    assert listed in str(info.value)


def test_values_in_any_case() -> None:
    assert ExchangeId("OKX") is ExchangeId.OKX
    assert ExchangeId("Binance_Spot") is ExchangeId.BINANCE_SPOT
    assert OrderKind("MARKET") is OrderKind.MARKET
    assert TimeInForce("immediateorcancel") is TimeInForce.IMMEDIATE_OR_CANCEL
    # The native side agrees: a filter takes an exchange in any case too.
    assert InstrumentFilter.exchanges("OKX") == InstrumentFilter.exchanges(ExchangeId.OKX)


def test_non_string_value_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="valid values"):
        Side(1)  # type: ignore[arg-type]


def test_time_in_force_post_only() -> None:
    assert TimeInForce.good_until_cancelled(post_only=True).post_only
    assert not TimeInForce.good_until_cancelled().post_only
    assert not TimeInForce.IMMEDIATE_OR_CANCEL.post_only


def test_enums_are_pydantic_field_types() -> None:
    class Model(pydantic.BaseModel):
        side: Side
        exchange: ExchangeId

    model = Model.model_validate({"side": "buy", "exchange": "okx"})
    assert model.side is Side.BUY
    assert model.exchange is ExchangeId.OKX
    assert model.model_dump(mode="json") == {"side": "Buy", "exchange": "okx"}
    with pytest.raises(pydantic.ValidationError, match="exchange"):
        Model.model_validate({"side": "buy", "exchange": "nope"})


@pytest.mark.parametrize("member", [*Side, *ExchangeId, *OrderKind, *TimeInForce])
def test_enum_members_pickle(member: Side) -> None:
    assert pickle.loads(pickle.dumps(member)) is member


def test_repr_is_readable() -> None:
    assert repr(Side.BUY) == "Side.BUY"
    assert repr(ExchangeId.BINANCE_SPOT) == "ExchangeId.BINANCE_SPOT"


@pytest.mark.parametrize("member", [*Side, *ExchangeId, *OrderKind, *TimeInForce])
def test_members_are_their_barter_names_as_str(member: Side) -> None:
    """A `str` enum: equal to its name and hashed as it, so a plain string finds a member's
    key; `str()`, `format()` and JSON give the name."""
    name = member.value
    assert isinstance(member, str)
    assert member == name
    assert hash(member) == hash(name)
    assert {name: 1}[member] == 1
    assert str(member) == f"{member}" == format(member, "") == name
    assert json.dumps(member) == json.dumps(name)
    assert json.dumps({member: 1}) == json.dumps({name: 1})


@pytest.mark.parametrize("member, other", [(ExchangeId.OKX, "OKX"), (Side.BUY, "buy")])
def test_a_member_equals_barters_name_only(member: Side | ExchangeId, other: str) -> None:
    """An alias or another case makes the member (`Side("buy")`) but is not equal to it: a
    key is found by barter's name alone."""
    assert member != other
    assert type(member)(other) == member.value


def test_a_plain_tuple_is_a_key_of_the_engines_prices() -> None:
    from barter_python.engine import DefaultStrategy, Engine

    book = [
        {"exchange": "binance_spot", "instrument": "eth_usdt", "base": "eth", "quote": "usdt",
         "price": "2500"},
    ]  # fmt: skip
    prices = Engine(book, DefaultStrategy()).state.prices()
    assert prices[("binance_spot", "eth_usdt")] == 2500  # type: ignore[index]  # see below
    assert prices[(ExchangeId.BINANCE_SPOT, "eth_usdt")] == 2500
    assert [type(exchange) for exchange, _ in prices] == [ExchangeId]
    # The stub types the keys `tuple[ExchangeId, str]` (what they are), so a type checker
    # refuses the plain tuple the runtime finds.
