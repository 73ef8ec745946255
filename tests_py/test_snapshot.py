"""The Pydantic snapshots refuse anything barter would mis-handle, naming the field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pydantic
import pytest

from barter_python import ExchangeId, InstrumentSnapshot, PositionSnapshot, Side
from barter_python.snapshot import validate_book


def instrument(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "exchange": "binance_spot",
        "instrument": "btc_usdt",
        "base": "btc",
        "quote": "usdt",
        "price": "100.5",
        "position": {"instrument": "btc_usdt", "side": "Buy", "quantity": "2"},
    }
    data.update(changes)
    return data


def test_valid_snapshot_converts_types() -> None:
    snapshot = InstrumentSnapshot.model_validate(instrument())
    assert snapshot.exchange is ExchangeId.BINANCE_SPOT
    assert snapshot.price == Decimal("100.5")
    assert snapshot.position == PositionSnapshot(instrument="btc_usdt", side=Side.BUY, quantity=2)
    assert snapshot.position is not None
    assert snapshot.position.price_entry_average == Decimal(0)


@pytest.mark.parametrize(
    "value, expected",
    [
        (Decimal("1.50"), "1.50"),
        (3, "3"),
        (0.1, "0.1"),
        (1e-7, "1E-7"),
        ("42.000", "42.000"),
        (" 7 ", "7"),
    ],
)
def test_decimal_inputs_are_exact(value: object, expected: str) -> None:
    snapshot = InstrumentSnapshot.model_validate(instrument(price=value))
    assert str(snapshot.price) == expected


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"price": 0}, "price", "must be > 0, got 0"),
        ({"price": -1}, "price", "must be > 0, got -1"),
        ({"price": float("nan")}, "price", "must be finite"),
        ({"price": float("inf")}, "price", "must be finite"),
        ({"price": Decimal("-Infinity")}, "price", "must be finite"),
        ({"price": True}, "price", "got bool True"),
        ({"price": "abc"}, "price", "must be a number, got 'abc'"),
        ({"price": [1]}, "price", "got list"),
        ({"price": Decimal("1E-29")}, "price", "at most 28 digits after the point"),
        ({"price": 2**96}, "price", "within barter's decimal range"),
        ({"exchange": "binance"}, "exchange", "binance_spot"),
        ({"instrument": ""}, "instrument", "at least 1 character"),
        ({"instrument": 5}, "instrument", "valid string"),
        ({"base": None}, "base", "valid string"),
        ({"extra": 1}, "extra", "Extra inputs are not permitted"),
        (
            {"position": {"instrument": "btc_usdt", "side": "Buy", "quantity": -1}},
            "position.quantity",
            "must be >= 0, got -1",
        ),
        (
            {"position": {"instrument": "btc_usdt", "side": "Long", "quantity": 1}},
            "position.side",
            "'Buy' or 'Sell'",
        ),
        (
            {
                "position": {
                    "instrument": "btc_usdt",
                    "side": "Buy",
                    "quantity": 1,
                    "price_entry_average": -5,
                }
            },
            "position.price_entry_average",
            "must be >= 0, got -5",
        ),
        (
            {"position": {"instrument": "eth_usdt", "side": "Buy", "quantity": 1}},
            "",
            "position.instrument 'eth_usdt' does not match instrument 'btc_usdt'",
        ),
    ],
)
def test_invalid_snapshot_names_field(changes: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        InstrumentSnapshot.model_validate(instrument(**changes))
    assert isinstance(info.value, ValueError)
    error = info.value.errors()[0]
    assert ".".join(str(part) for part in error["loc"]) == field
    assert message in str(info.value)
    if field:  # the location names the field once: the message does not repeat it
        assert not error["msg"].removeprefix("Value error, ").startswith(field.split(".")[-1])


def test_price_is_optional_and_none_means_unknown() -> None:
    assert InstrumentSnapshot.model_validate(instrument(price=None)).price is None
    del_price = instrument()
    del del_price["price"]
    assert InstrumentSnapshot.model_validate(del_price).price is None


def test_zero_quantity_is_allowed_and_means_flat() -> None:
    position = PositionSnapshot(instrument="btc_usdt", side=Side.SELL, quantity=0)
    assert position.quantity == 0


def test_models_are_frozen_and_hashable() -> None:
    snapshot = InstrumentSnapshot.model_validate(instrument())
    with pytest.raises(pydantic.ValidationError):
        snapshot.price = Decimal(1)  # type: ignore[misc]
    assert hash(snapshot) == hash(InstrumentSnapshot.model_validate(instrument()))


def test_json_round_trip() -> None:
    snapshot = InstrumentSnapshot.model_validate(instrument(price=Decimal("100.50")))
    again = InstrumentSnapshot.model_validate_json(snapshot.model_dump_json())
    assert again == snapshot
    assert str(again.price) == "100.50"


def test_names_are_lowercased_as_barter_does() -> None:
    """barter's internal names are lowercase: `USDT` and `usdt` are one asset."""
    snapshot = InstrumentSnapshot.model_validate(
        instrument(
            instrument="BTC_USDT",
            base="BTC",
            quote="USDT",
            position={"instrument": "Btc_Usdt", "side": "BUY", "quantity": 1},
        )
    )
    assert (snapshot.instrument, snapshot.base, snapshot.quote) == ("btc_usdt", "btc", "usdt")
    assert snapshot.position is not None and snapshot.position.instrument == "btc_usdt"


def test_exchange_in_any_case() -> None:
    assert InstrumentSnapshot.model_validate(instrument(exchange="OKX")).exchange is ExchangeId.OKX


def test_book_errors_locate_item_and_instrument_without_pydantic_internals() -> None:
    bad: list[Any] = [instrument(), instrument(instrument="eth_usdt", price=-1), 5]
    with pytest.raises(pydantic.ValidationError) as info:
        validate_book(bad)
    text = str(info.value)
    assert text.startswith("2 validation errors for instruments\n")
    assert "1.binance_spot:eth_usdt.price\n  Value error, must be > 0, got -1" in text
    assert "function-after" not in text and "list[" not in text
    assert [error["loc"][0] for error in info.value.errors()] == [1, 2]
