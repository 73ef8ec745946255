"""Validated descriptions of a book: `PositionSnapshot` and `InstrumentSnapshot`.

They are the input side of the strategy functions: frozen Pydantic models that refuse anything
barter would mis-handle (negative quantities, missing or non-positive prices, unknown exchanges,
decimals barter cannot hold exactly). Validation errors are `pydantic.ValidationError`, a
`ValueError`, naming the field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from barter_python._decimal import to_decimal
from barter_python.instrument import ExchangeId, Side

__all__ = ["InstrumentSnapshot", "PositionSnapshot"]


def _decimal_at_least(minimum: Decimal, *, inclusive: bool) -> BeforeValidator:
    def validate(value: object, info: ValidationInfo) -> Decimal:
        field = info.field_name or "value"
        try:
            number = to_decimal(value, field)
        except TypeError as error:  # pydantic reports only ValueError as a validation error
            raise ValueError(str(error)) from None
        if number < minimum or (number == minimum and not inclusive):
            relation = ">=" if inclusive else ">"
            raise ValueError(f"{field} must be {relation} {minimum}, got {number}")
        return number

    # Pydantic's own Decimal validation then sees an exact, finite Decimal and keeps it as is.
    return BeforeValidator(validate)


NonNegativeDecimal = Annotated[Decimal, _decimal_at_least(Decimal(0), inclusive=True)]
PositiveDecimal = Annotated[Decimal, _decimal_at_least(Decimal(0), inclusive=False)]
Name = Annotated[str, StringConstraints(min_length=1, strict=True)]


class PositionSnapshot(BaseModel):
    """An open position: barter's `Position` side, `quantity_abs` and entry price.

    ``quantity`` is the absolute quantity (the side says long or short); zero means flat.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument: Name
    side: Side
    quantity: NonNegativeDecimal
    price_entry_average: NonNegativeDecimal = Decimal(0)


class InstrumentSnapshot(BaseModel):
    """One spot instrument on one exchange, with its latest price and open position, if any.

    An instrument is identified by ``(exchange, instrument)``: the same name on two exchanges
    is two instruments.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    exchange: ExchangeId
    instrument: Name
    base: Name
    quote: Name
    price: PositiveDecimal | None = None
    position: PositionSnapshot | None = None

    @model_validator(mode="after")
    def _position_is_for_this_instrument(self) -> Self:
        if self.position is not None and self.position.instrument != self.instrument:
            raise ValueError(
                f"position.instrument {self.position.instrument!r} does not match "
                f"instrument {self.instrument!r} on exchange {self.exchange.value!r}"
            )
        return self
