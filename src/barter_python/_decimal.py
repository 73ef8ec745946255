"""Exact decimals at the edge: what the SDK accepts as a price or quantity.

barter's money type is `rust_decimal::Decimal` (96-bit mantissa, at most 28 digits after the
point). A value is accepted only if it converts exactly; floats go through their shortest
repr (``0.1`` -> ``Decimal("0.1")``); NaN, infinities and ``bool`` are refused.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

_MANTISSA_LIMIT = 2**96
_MAX_SCALE = 28


def to_decimal(value: object, field: str) -> Decimal:
    """`value` as an exact Decimal barter can hold; `TypeError`/`ValueError` naming `field`."""
    if isinstance(value, bool):
        raise TypeError(f"{field} must be a Decimal, int, float or numeric str, not bool")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{field}: {value!r} is not a number") from None
    else:
        raise TypeError(
            f"{field} must be a Decimal, int, float or numeric str, got {type(value).__name__}"
        )
    if not number.is_finite():
        raise ValueError(f"{field} must be finite, got {value!r}")
    return _representable(number, field)


def _representable(number: Decimal, field: str) -> Decimal:
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # the caller checked that the number is finite
    coefficient = int("".join(map(str, digits)))
    if exponent < -_MAX_SCALE:
        # Trailing zeros beyond barter's scale carry no value: drop them rather than refuse.
        shift = -_MAX_SCALE - exponent
        if coefficient % 10**shift:
            raise ValueError(
                f"{field}: {number} has more than {_MAX_SCALE} digits after the point, "
                "which barter's decimal cannot hold exactly"
            )
        coefficient //= 10**shift
        exponent = -_MAX_SCALE
        number = Decimal((sign, tuple(int(d) for d in str(coefficient)), exponent))
    # 10**29 > 2**96, so a larger positive exponent is out of range for any non-zero value.
    too_big = coefficient != 0 and exponent > 29
    if too_big or coefficient * 10 ** max(exponent, 0) >= _MANTISSA_LIMIT:
        raise ValueError(f"{field}: {number} is beyond barter's decimal range (|x| < 2^96)")
    return number
