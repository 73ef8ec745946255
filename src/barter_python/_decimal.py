"""Exact decimals at the edge: what the SDK accepts as a price or quantity.

barter's money type is `rust_decimal::Decimal` (96-bit mantissa, at most 28 digits after the
point). A value is accepted only if it converts exactly; floats go through their shortest
repr (``0.1`` -> ``Decimal("0.1")``); NaN, infinities and ``bool`` are refused.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

_MANTISSA_LIMIT = 2**96
_MAX_SCALE = 28


def to_decimal(value: object, field: str | None) -> Decimal:
    """`value` as an exact Decimal barter can hold; `TypeError`/`ValueError` naming `field`.

    With `field=None` the message leaves the name out, for callers (Pydantic) that print it.
    """
    name = "" if field is None else f"{field} "
    if isinstance(value, bool):
        raise TypeError(f"{name}must be a Decimal, int, float or numeric str, got bool {value}")
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
            raise ValueError(f"{name}must be a number, got {value!r}") from None
    else:
        raise TypeError(
            f"{name}must be a Decimal, int, float or numeric str, got {type(value).__name__}"
        )
    if not number.is_finite():
        raise ValueError(f"{name}must be finite, got {value!r}")
    return _representable(number, name)


def _representable(number: Decimal, name: str) -> Decimal:
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # the caller checked that the number is finite
    if -_MAX_SCALE <= exponent <= 0 and len(digits) <= 28:
        return number  # the usual price or quantity: fewer than 29 digits, 10**28 < 2**96
    if not any(digits):  # zero, at any exponent: never compute with the exponent
        return number if exponent >= -_MAX_SCALE else Decimal(0)
    # Trailing zeros carry no value: judge the significant digits only.
    trailing = len(digits) - len(bytes(digits).rstrip(b"\0"))
    significant, scale_exponent = digits[: len(digits) - trailing], exponent + trailing
    if scale_exponent < -_MAX_SCALE:
        raise ValueError(
            f"{name}must have at most {_MAX_SCALE} digits after the point "
            f"(barter's decimal cannot hold {number} exactly)"
        )
    # 2**96 has 29 digits: anything longer is out of range, and the product below stays small.
    too_long = len(significant) + max(scale_exponent, 0) > 29
    if too_long or int("".join(map(str, significant))) * 10 ** max(scale_exponent, 0) >= (
        _MANTISSA_LIMIT
    ):
        raise ValueError(f"{name}must be within barter's decimal range (|x| < 2^96), got {number}")
    if exponent < -_MAX_SCALE:
        return Decimal((sign, significant, scale_exponent))
    return number
