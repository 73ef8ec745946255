"""Base class of the Python enums that mirror barter's fieldless enums."""

from __future__ import annotations

from enum import StrEnum

from barter_python._native import barter_name


class BarterEnum(StrEnum):
    """An enum whose values are barter's serde names, and a `str`: a member equals and hashes as
    its name (``ExchangeId.OKX == "okx"``), so a plain ``("okx", "btc_usdt")`` finds a key of
    ``(ExchangeId.OKX, "btc_usdt")``; ``str()``, ``format()`` and JSON give the name, `repr`
    the member (``ExchangeId.OKX``), pickling the member.

    Lookup by value also accepts every alias barter's serde accepts (``Side("buy")``), by asking
    barter itself, and any value in any case (``ExchangeId("OKX")``); anything else raises
    ``ValueError`` listing the valid values.
    """

    @classmethod
    def _missing_(cls, value: object) -> BarterEnum:
        if isinstance(value, str):
            canonical = barter_name(cls.__name__, value)
            if canonical is not None:
                return cls(canonical)
            # Any ASCII case, as barter's aliases already allow for some (`BUY`); the native
            # readers follow the same rule.
            for member in cls:
                if value.isascii() and member.value.lower() == value.lower():
                    return member
        valid = ", ".join(repr(member.value) for member in cls)
        raise ValueError(f"{value!r} is not a valid {cls.__name__}; valid values: {valid}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"
