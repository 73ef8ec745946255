"""barter-execution's order vocabulary: kinds, time-in-force, ids and request types.

The ids and request types are barter's own values held by the native module; the two enums
are Python enums valued by barter's serde names.
"""

from __future__ import annotations

from barter_python._enum import BarterEnum
from barter_python._native import (
    ClientOrderId,
    OrderId,
    OrderKey,
    OrderRequestCancel,
    OrderRequestOpen,
    RequestCancel,
    RequestOpen,
    StrategyId,
    bind_classes,
)

__all__ = [
    "ClientOrderId",
    "OrderId",
    "OrderKey",
    "OrderKind",
    "OrderRequestCancel",
    "OrderRequestOpen",
    "RequestCancel",
    "RequestOpen",
    "StrategyId",
    "TimeInForce",
]


class OrderKind(BarterEnum):
    """barter's `OrderKind`."""

    MARKET = "Market"
    LIMIT = "Limit"


class TimeInForce(BarterEnum):
    """barter's `TimeInForce`.

    barter's `GoodUntilCancelled { post_only }` carries a flag, so it is two members here;
    their JSON is barter's (`{"GoodUntilCancelled": {"post_only": true}}`).
    """

    GOOD_UNTIL_CANCELLED = "GoodUntilCancelled"
    GOOD_UNTIL_CANCELLED_POST_ONLY = "GoodUntilCancelledPostOnly"
    GOOD_UNTIL_END_OF_DAY = "GoodUntilEndOfDay"
    FILL_OR_KILL = "FillOrKill"
    IMMEDIATE_OR_CANCEL = "ImmediateOrCancel"

    @classmethod
    def good_until_cancelled(cls, post_only: bool = False) -> TimeInForce:
        """barter's `GoodUntilCancelled { post_only }`."""
        return cls.GOOD_UNTIL_CANCELLED_POST_ONLY if post_only else cls.GOOD_UNTIL_CANCELLED

    @property
    def post_only(self) -> bool:
        """The `post_only` flag of `GoodUntilCancelled`; `False` for every other member."""
        return self is TimeInForce.GOOD_UNTIL_CANCELLED_POST_ONLY


# The native module returns these; it never imports the package, so they are handed over.
bind_classes(OrderKind=OrderKind, TimeInForce=TimeInForce)
