"""barter's order types: Python -> Rust -> Python round trips, barter's JSON, pickling, eq/hash."""

from __future__ import annotations

import pickle
import string
from decimal import Decimal
from pathlib import Path

import pytest

from barter_python import (
    ClientOrderId,
    ExchangeId,
    OrderId,
    OrderKey,
    OrderKind,
    OrderRequestCancel,
    OrderRequestOpen,
    RequestCancel,
    RequestOpen,
    Side,
    StrategyId,
    TimeInForce,
)

BARTER_JSON = (Path(__file__).parent / "data" / "barter_orders.jsonl").read_text().splitlines()

IdType = type[StrategyId] | type[ClientOrderId] | type[OrderId]


def key(cid: str = "cid-1") -> OrderKey:
    return OrderKey(ExchangeId.BINANCE_SPOT, "btc_usdt", StrategyId("flatten"), ClientOrderId(cid))


def open_state(time_in_force: TimeInForce = TimeInForce.IMMEDIATE_OR_CANCEL) -> RequestOpen:
    return RequestOpen(
        Side.SELL, Decimal("43250.5"), Decimal("0.125"), OrderKind.MARKET, time_in_force
    )


# ids


@pytest.mark.parametrize("id_type", [StrategyId, ClientOrderId, OrderId])
def test_id_value_semantics(id_type: IdType) -> None:
    value = id_type("abc")
    assert str(value) == "abc"
    assert value == id_type("abc")
    assert value != id_type("abd")
    assert hash(value) == hash(id_type("abc"))
    assert repr(value) == f"{id_type.__name__}('abc')"
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(value, protocol=protocol)) == value


@pytest.mark.parametrize("id_type", [StrategyId, ClientOrderId, OrderId])
def test_empty_id_is_refused(id_type: IdType) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        id_type("")


@pytest.mark.parametrize("id_type", [StrategyId, ClientOrderId, OrderId])
def test_id_is_immutable(id_type: IdType) -> None:
    value = id_type("abc")
    with pytest.raises(AttributeError):
        setattr(value, "value", "x")  # noqa: B010 - the assignment itself is under test


def test_random_client_order_id_is_barters() -> None:
    alphabet = set(string.ascii_letters + string.digits + "_-")
    cids = {str(ClientOrderId.random()) for _ in range(200)}
    assert len(cids) == 200
    for cid in cids:
        assert len(cid) == 23
        assert set(cid) <= alphabet


# OrderKey


def test_order_key_round_trip() -> None:
    value = key()
    assert value.exchange is ExchangeId.BINANCE_SPOT
    assert value.instrument == "btc_usdt"
    assert value.strategy == StrategyId("flatten")
    assert value.cid == ClientOrderId("cid-1")


def test_order_key_accepts_strings_and_lowercases_name_like_barter() -> None:
    value = OrderKey("binance_spot", "BTC_USDT", "flatten", "cid-1")
    assert value == key()
    assert value.instrument == "btc_usdt"


def test_order_key_json_is_barters() -> None:
    assert key().to_json() == (
        '{"exchange":"binance_spot","instrument":"btc_usdt","strategy":"flatten","cid":"cid-1"}'
    )
    assert OrderKey.from_json(key().to_json()) == key()


@pytest.mark.parametrize(
    "args, error, message",
    [
        (("nowhere", "btc_usdt", "s", "c"), ValueError, "valid values: 'other'"),
        ((1, "btc_usdt", "s", "c"), TypeError, "expected ExchangeId or str"),
        (("okx", "", "s", "c"), ValueError, "instrument must be a non-empty string"),
        (("okx", "btc_usdt", "", "c"), ValueError, "strategy must be a non-empty string"),
        (("okx", "btc_usdt", "s", 5), TypeError, "cid must be ClientOrderId or str"),
        (("okx", "btc_usdt", StrategyId("s"), StrategyId("c")), TypeError, "cid must be"),
    ],
)
def test_order_key_bad_values(
    args: tuple[object, ...], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        OrderKey(*args)  # type: ignore[arg-type]


# RequestOpen / RequestCancel


def test_request_open_round_trip_is_exact() -> None:
    state = RequestOpen("sell", Decimal("0.10"), 3, "Market", TimeInForce.FILL_OR_KILL)
    assert state.side is Side.SELL
    assert state.price == Decimal("0.10")
    assert str(state.price) == "0.10"  # the scale survives the trip through rust_decimal
    assert state.quantity == Decimal(3)
    assert state.kind is OrderKind.MARKET
    assert state.time_in_force is TimeInForce.FILL_OR_KILL


def test_float_converts_through_shortest_repr() -> None:
    state = RequestOpen(Side.BUY, 0.1, 1e-7, OrderKind.LIMIT, TimeInForce.GOOD_UNTIL_END_OF_DAY)
    assert state.price == Decimal("0.1")
    assert state.quantity == Decimal("0.0000001")


@pytest.mark.parametrize(
    "time_in_force, json",
    [
        (TimeInForce.IMMEDIATE_OR_CANCEL, '"ImmediateOrCancel"'),
        (TimeInForce.FILL_OR_KILL, '"FillOrKill"'),
        (TimeInForce.GOOD_UNTIL_END_OF_DAY, '"GoodUntilEndOfDay"'),
        (TimeInForce.GOOD_UNTIL_CANCELLED, '{"GoodUntilCancelled":{"post_only":false}}'),
        (TimeInForce.GOOD_UNTIL_CANCELLED_POST_ONLY, '{"GoodUntilCancelled":{"post_only":true}}'),
    ],
)
def test_request_open_json_follows_barter_serde(time_in_force: TimeInForce, json: str) -> None:
    state = open_state(time_in_force)
    expected = (
        '{"side":"Sell","price":"43250.5","quantity":"0.125","kind":"Market",'
        f'"time_in_force":{json}}}'
    )
    assert state.to_json() == expected
    assert RequestOpen.from_json(expected) == state


@pytest.mark.parametrize(
    "price, error, message",
    [
        (Decimal("NaN"), ValueError, "price must be finite"),
        (float("inf"), ValueError, "price must be finite"),
        (Decimal("1E-29"), ValueError, "price must have at most 28 digits after the point"),
        (2**96, ValueError, "price must be within barter's decimal range"),
        (True, TypeError, "price must be a Decimal, int, float or numeric str, got bool True"),
        ("abc", ValueError, "price must be a number, got 'abc'"),
        (None, TypeError, "price must be a Decimal, int, float or numeric str, got NoneType"),
    ],
)
def test_request_open_bad_price(price: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        RequestOpen(Side.BUY, price, 1, OrderKind.MARKET, TimeInForce.FILL_OR_KILL)  # type: ignore[arg-type]


def test_request_open_takes_numeric_text_like_every_money_argument() -> None:
    state = RequestOpen(Side.BUY, "43250.50", " 2 ", OrderKind.MARKET, TimeInForce.FILL_OR_KILL)
    assert (str(state.price), str(state.quantity)) == ("43250.50", "2")


def test_request_cancel() -> None:
    assert RequestCancel().id is None
    assert RequestCancel("x").id == OrderId("x")
    assert RequestCancel(OrderId("x")).to_json() == '{"id":"x"}'
    assert RequestCancel().to_json() == '{"id":null}'
    assert RequestCancel.from_json('{"id":"x"}') == RequestCancel("x")


# OrderRequestOpen / OrderRequestCancel


def test_order_request_open_round_trip_and_repr() -> None:
    order = OrderRequestOpen(key(), open_state())
    assert order.key == key()
    assert order.state == open_state()
    assert repr(order) == (
        "OrderRequestOpen(key=OrderKey(exchange=ExchangeId.BINANCE_SPOT, instrument='btc_usdt', "
        "strategy=StrategyId('flatten'), cid=ClientOrderId('cid-1')), state=RequestOpen("
        "side=Side.SELL, price=Decimal('43250.5'), quantity=Decimal('0.125'), "
        "kind=OrderKind.MARKET, time_in_force=TimeInForce.IMMEDIATE_OR_CANCEL))"
    )


def test_order_request_open_json_is_barters_by_hand() -> None:
    order = OrderRequestOpen(key("Ab3_-xYz0123456789qwert"), open_state())
    assert order.to_json() == (
        '{"key":{"exchange":"binance_spot","instrument":"btc_usdt","strategy":"flatten",'
        '"cid":"Ab3_-xYz0123456789qwert"},"state":{"side":"Sell","price":"43250.5",'
        '"quantity":"0.125","kind":"Market","time_in_force":"ImmediateOrCancel"}}'
    )


@pytest.mark.parametrize("json", BARTER_JSON)
def test_barter_produced_json_loads_and_dumps_byte_identical(json: str) -> None:
    order = OrderRequestOpen.from_json(json)
    assert order.to_json() == json


def test_order_request_cancel() -> None:
    order = OrderRequestCancel(key(), RequestCancel("exchange-id-9"))
    assert order.state.id == OrderId("exchange-id-9")
    json = order.to_json()
    assert json == (
        '{"key":{"exchange":"binance_spot","instrument":"btc_usdt","strategy":"flatten",'
        '"cid":"cid-1"},"state":{"id":"exchange-id-9"}}'
    )
    assert OrderRequestCancel.from_json(json) == order


@pytest.mark.parametrize(
    "value",
    [
        key(),
        open_state(),
        RequestCancel(),
        RequestCancel("x"),
        OrderRequestOpen(key(), open_state(TimeInForce.GOOD_UNTIL_CANCELLED_POST_ONLY)),
        OrderRequestCancel(key(), RequestCancel()),
    ],
    ids=repr,
)
def test_every_pickle_protocol(value: object) -> None:
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        copy = pickle.loads(pickle.dumps(value, protocol=protocol))
        assert copy == value
        assert hash(copy) == hash(value)
        assert type(copy) is type(value)


def test_eq_and_hash_by_value() -> None:
    a = OrderRequestOpen(key(), open_state())
    b = OrderRequestOpen(key(), open_state())
    c = OrderRequestOpen(key("other"), open_state())
    assert a == b
    assert a != c
    assert len({a, b, c}) == 2
    assert a != "not an order"


def test_immutable() -> None:
    order = OrderRequestOpen(key(), open_state())
    with pytest.raises(AttributeError):
        order.key = key("x")  # type: ignore[misc]


@pytest.mark.parametrize(
    "json, message",
    [
        ("{", "invalid OrderRequestOpen JSON"),
        (BARTER_JSON[0].replace('"binance_spot"', '"nowhere"'), "unknown variant"),
        (BARTER_JSON[0].replace('"Sell"', '"Short"'), "unknown variant"),
        (BARTER_JSON[0].replace('"cid":"Ab3_-xYz0123456789qwert"', '"cid":""'), "cid must be"),
    ],
)
def test_from_json_refuses_bad_json(json: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OrderRequestOpen.from_json(json)


def test_every_path_into_an_id_refuses_an_empty_one() -> None:
    with pytest.raises(ValueError, match="id must be a non-empty string"):
        RequestCancel.from_json('{"id":""}')
    cancel = OrderRequestCancel(key(), RequestCancel("x")).to_json()
    with pytest.raises(ValueError, match="id must be a non-empty string"):
        OrderRequestCancel.from_json(cancel.replace('"id":"x"', '"id":""'))
    with pytest.raises(ValueError, match="must be a non-empty string"):
        RequestCancel("")
    assert RequestCancel.from_json('{"id":null}').id is None


def test_wrong_types_in_constructors() -> None:
    with pytest.raises(TypeError):
        OrderRequestOpen(open_state(), key())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        RequestCancel(3)  # type: ignore[arg-type]
