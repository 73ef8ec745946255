"""`Book`: barter's `EngineState` for a set of `InstrumentSnapshot`s, kept across calls.

The stateless `close_open_positions_with_market_orders` builds barter's state on every call;
a `Book` builds it once, changes only what changed (`update`, `set_prices`), and closes on the
kept state with the same contract and the same results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Literal, Self

from barter_python import _native
from barter_python._native import InstrumentFilter
from barter_python.instrument import ExchangeId
from barter_python.order import ClientOrderId, OrderRequestCancel, OrderRequestOpen, StrategyId
from barter_python.snapshot import DecimalInput, InstrumentSnapshot, validate_book
from barter_python.strategy import checked_close_arguments

__all__ = ["Book"]


def _repriced(snapshot: InstrumentSnapshot, price: Decimal | None) -> InstrumentSnapshot:
    """The snapshot `gen_cid` sees after `set_prices` changed its price."""
    return snapshot.model_copy(update={"price": price})


class Book(_native.Book):
    """barter's state of a book (spec §7): `Book(instruments)`, then `update`, `set_prices`
    and `close_open_positions_with_market_orders` as often as needed."""

    def __new__(cls, instruments: Iterable[InstrumentSnapshot | Mapping[str, Any]]) -> Self:
        return super().__new__(cls, validate_book(instruments))

    def update(self, instruments: Iterable[InstrumentSnapshot | Mapping[str, Any]]) -> None:
        """Replace the price and position of each named instrument (all must be in the book,
        with the same base and quote); nothing changes on an error."""
        super().update(validate_book(instruments))

    def set_prices(self, prices: Mapping[tuple[ExchangeId | str, str], DecimalInput]) -> None:
        """Set the price (`> 0`) of each `(exchange, instrument)`; nothing changes on an error."""
        if not isinstance(prices, Mapping):
            raise TypeError(f"prices must be a mapping, got {type(prices).__name__}")
        super().set_prices({(key[0], key[1].lower()): p for key, p in prices.items()})

    def close_open_positions_with_market_orders(  # type: ignore[override]
        self,
        strategy_id: StrategyId | str,
        gen_cid: Callable[[InstrumentSnapshot], ClientOrderId | str] | None = None,
        *,
        filter: InstrumentFilter | None = None,
        on_missing_price: Literal["raise", "skip"] = "raise",
    ) -> tuple[list[OrderRequestCancel], list[OrderRequestOpen]]:
        """barter's `close_open_positions_with_market_orders` on the kept state, with the
        contract of the stateless function (`barter_python.strategy`)."""
        checked_close_arguments(gen_cid, filter, on_missing_price)
        return super().close_open_positions_with_market_orders(
            strategy_id, gen_cid, filter, on_missing_price == "skip", _repriced
        )
