"""barter's close-position helpers (`barter::strategy::close_positions`) for Python books.

Both functions validate in Python, then delegate to barter's Rust functions through
`barter_python._native.strategy`; every order comes from barter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Literal

from barter_python import _native
from barter_python._native import InstrumentFilter, to_decimal
from barter_python.instrument import ExchangeId
from barter_python.order import (
    ClientOrderId,
    OrderRequestCancel,
    OrderRequestOpen,
    StrategyId,
)
from barter_python.snapshot import (
    InstrumentSnapshot,
    PositionSnapshot,
    validate_book,
)

__all__ = [
    "InstrumentFilter",
    "build_ioc_market_order_to_close_position",
    "close_open_positions_with_market_orders",
]


def build_ioc_market_order_to_close_position(
    exchange: ExchangeId | str,
    position: PositionSnapshot,
    strategy_id: StrategyId | str,
    price: Decimal | float | str,
    gen_cid: Callable[[], ClientOrderId | str] | None = None,
) -> OrderRequestOpen:
    """The order that closes `position`: barter's `build_ioc_market_order_to_close_position`.

    barter flips the side and sends `position.quantity` as an `ImmediateOrCancel` `Market`
    order at `price`. `gen_cid` (default: `ClientOrderId.random()`) is called once.

    `price` follows the SDK's rule for money (a Decimal, int, float or numeric str, exactly).
    Raises `ValueError` for a price that is not finite and positive or a flat position,
    `TypeError` for a price that is not a number or a bad `gen_cid` result.
    """
    exchange = ExchangeId(exchange)
    if not isinstance(position, PositionSnapshot):
        raise TypeError(f"position must be a PositionSnapshot, got {type(position).__name__}")
    exact_price = to_decimal(price, "price")
    if exact_price <= 0:
        raise ValueError(f"price must be > 0, got {exact_price} for {position.instrument!r}")
    if position.quantity == 0:
        raise ValueError(
            f"position in {position.instrument!r} on {exchange.value!r} has quantity 0: "
            "nothing to close"
        )
    return _native.strategy.build_ioc_market_order_to_close_position(
        exchange, position, strategy_id, exact_price, gen_cid
    )


def checked_close_arguments(gen_cid: object, filter: object, on_missing_price: object) -> None:
    """The arguments both close functions (stateless and `Book`'s) take, checked."""
    if on_missing_price not in ("raise", "skip"):
        raise ValueError(f"on_missing_price must be 'raise' or 'skip', got {on_missing_price!r}")
    if filter is not None and not isinstance(filter, InstrumentFilter):
        raise TypeError(f"filter must be an InstrumentFilter, got {type(filter).__name__}")
    if gen_cid is not None and not callable(gen_cid):
        raise TypeError(f"gen_cid must be callable, got {type(gen_cid).__name__}")


def close_open_positions_with_market_orders(
    strategy_id: StrategyId | str,
    instruments: Iterable[InstrumentSnapshot | Mapping[str, Any]],
    gen_cid: Callable[[InstrumentSnapshot], ClientOrderId | str] | None = None,
    *,
    filter: InstrumentFilter | None = None,
    on_missing_price: Literal["raise", "skip"] = "raise",
) -> tuple[list[OrderRequestCancel], list[OrderRequestOpen]]:
    """Orders that flatten every open position in the book: barter's
    `close_open_positions_with_market_orders`.

    Mappings are validated as `InstrumentSnapshot`. A position of quantity 0 is flat.
    Opens come in input order, one per open position inside `filter` (default: all);
    cancels is empty (barter's market close cancels nothing). `gen_cid` (default:
    `ClientOrderId.random()`) is called once per open, in that order, with its snapshot.

    Raises `MissingPriceError` (a `ValueError`) for an open position without a price unless
    `on_missing_price="skip"` (barter's own behaviour: no order), `DuplicateInstrumentError`
    for a repeated `(exchange, instrument)`, `UnknownInstrumentError` for filter names the book
    lacks. On any error nothing is returned.
    """
    checked_close_arguments(gen_cid, filter, on_missing_price)
    book = validate_book(instruments)
    return _native.strategy.close_open_positions_with_market_orders(
        strategy_id, book, gen_cid, filter, on_missing_price == "skip"
    )
