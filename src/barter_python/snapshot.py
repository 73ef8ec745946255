"""Validated descriptions of a book: `PositionSnapshot` and `InstrumentSnapshot`.

They are the input side of the strategy functions: frozen Pydantic models that refuse anything
barter would mis-handle (negative quantities, missing or non-positive prices, unknown exchanges,
decimals barter cannot hold exactly). Validation errors are `pydantic.ValidationError`, a
`ValueError`, naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    StringConstraints,
    ValidationError,
    model_validator,
)

from barter_python._native import bind_classes, internal_name, non_negative, positive
from barter_python.instrument import ExchangeId, Side

__all__ = ["InstrumentSnapshot", "InstrumentSpec", "PositionSnapshot", "validate_book"]


# The rules live in the native module, where the CSV reader uses them too: `non_negative` and
# `positive` are `to_decimal`'s money rule with a bound (messages leave the field out: Pydantic
# names it in the error's location), `internal_name` lowercases as barter's internal names do.
# Pydantic's own Decimal validation then sees an exact, finite Decimal and keeps it as is.
NonNegativeDecimal = Annotated[Decimal, BeforeValidator(non_negative)]
PositiveDecimal = Annotated[Decimal, BeforeValidator(positive)]
# barter lowercases instrument and asset names (`InstrumentNameInternal`, `AssetNameInternal`):
# the snapshot does the same, so that `USDT` and `usdt` are one asset everywhere downstream.
Name = Annotated[str, StringConstraints(min_length=1, strict=True), AfterValidator(internal_name)]
# What the constructors accept for a money field (the rule of `to_decimal`, barter-python's
# one home for it, in Rust).
DecimalInput = Decimal | int | float | str


# Config as class arguments: type checkers read `frozen` from there (dataclass_transform).
class PositionSnapshot(BaseModel, frozen=True, extra="forbid"):
    """An open position: barter's `Position` side, `quantity_abs` and entry price.

    ``quantity`` is the absolute quantity (the side says long or short); zero means flat.
    The instrument name is lowercased, as barter's internal names are.
    """

    instrument: Name
    side: Side
    quantity: NonNegativeDecimal
    price_entry_average: NonNegativeDecimal = Decimal(0)

    if TYPE_CHECKING:  # what the validators accept, for type checkers without Pydantic's plugin

        def __init__(
            self,
            *,
            instrument: str,
            side: Side | str,
            quantity: DecimalInput,
            price_entry_average: DecimalInput = ...,
        ) -> None: ...


class InstrumentSpec(BaseModel, frozen=True, extra="forbid"):
    """An exchange's rules for one instrument's orders: prices are multiples of `tick_size`,
    quantities of `lot_size`, and an order is worth at least `min_notional` (quote asset).
    The sizing helpers round to them; the simulated exchange refuses an order that breaks
    them, with the reason."""

    tick_size: PositiveDecimal
    lot_size: PositiveDecimal
    min_notional: NonNegativeDecimal = Decimal(0)

    if TYPE_CHECKING:

        def __init__(
            self,
            *,
            tick_size: DecimalInput,
            lot_size: DecimalInput,
            min_notional: DecimalInput = ...,
        ) -> None: ...


class InstrumentSnapshot(BaseModel, frozen=True, extra="forbid"):
    """One spot instrument on one exchange, with its latest price and open position, if any.

    An instrument is identified by ``(exchange, instrument)``: the same name on two exchanges
    is two instruments. Names are lowercased, as barter's internal names are (``USDT`` and
    ``usdt`` are one asset).
    """

    exchange: ExchangeId
    instrument: Name
    base: Name
    quote: Name
    price: PositiveDecimal | None = None
    position: PositionSnapshot | None = None
    spec: InstrumentSpec | None = None

    if TYPE_CHECKING:  # what the validators accept, for type checkers without Pydantic's plugin

        def __init__(
            self,
            *,
            exchange: ExchangeId | str,
            instrument: str,
            base: str,
            quote: str,
            price: DecimalInput | None = ...,
            position: PositionSnapshot | Mapping[str, Any] | None = ...,
            spec: InstrumentSpec | Mapping[str, Any] | None = ...,
        ) -> None: ...

    @model_validator(mode="after")
    def _position_is_for_this_instrument(self) -> Self:
        if self.position is not None and self.position.instrument != self.instrument:
            raise ValueError(
                f"position.instrument {self.position.instrument!r} does not match "
                f"instrument {self.instrument!r} on exchange {self.exchange.value!r}"
            )
        return self


def validate_book(
    instruments: Iterable[InstrumentSnapshot | Mapping[str, Any]],
) -> list[InstrumentSnapshot]:
    """The book as snapshots: snapshots pass as they are, mappings are validated.

    One `ValidationError` titled ``instruments`` reports every bad item, located by its index
    and field (``2.price``), with the instrument named where the item has one.
    """
    book: list[InstrumentSnapshot] = []
    problems: list[Any] = []
    for index, item in enumerate(instruments):
        if type(item) is InstrumentSnapshot:
            book.append(item)
            continue
        try:
            book.append(InstrumentSnapshot.model_validate(item))
        except ValidationError as error:
            where: tuple[int | str, ...] = (index,)
            if isinstance(item, Mapping) and isinstance(item.get("instrument"), str):
                where = (index, f"{item.get('exchange')}:{item['instrument']}")
            for detail in error.errors():
                loc = (*where, *detail["loc"])
                problem: dict[str, Any] = {"type": detail["type"], "loc": loc}
                problem["input"] = detail["input"]
                if "ctx" in detail:
                    problem["ctx"] = detail["ctx"]
                problems.append(problem)
    if problems:
        raise ValidationError.from_exception_data("instruments", problems)
    return book


# The native module builds these; it never imports the package, so they are handed over.
bind_classes(
    PositionSnapshot=PositionSnapshot,
    InstrumentSnapshot=InstrumentSnapshot,
    InstrumentSpec=InstrumentSpec,
)
