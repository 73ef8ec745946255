"""`RiskLimits`: the limits of the SDK's risk manager (spec §9).

One Rust implementation of barter's `RiskManager` (barter's `CheckHigherThan` and notional
helpers) reviews every order a strategy sends, in the `Engine`, backtests and the live system
alike. Cancels always pass; an open order breaking a limit is refused with the limit it broke
(`"order notional 202.00 usdt above max_order_notional 100"`), in the engine's
`Audit.opens_refused` and a backtest's `result.orders` (status `"refused"`). `None` (or no
entry) is no limit. See docs/engine.md for how each limit is measured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, Field, StrictInt

from barter_python.instrument import ExchangeId
from barter_python.snapshot import DecimalInput, Name, PositiveDecimal

__all__ = ["RiskLimits"]


class RiskLimits(BaseModel, frozen=True, extra="forbid"):
    """The risk manager's limits; the default has none and approves every order.

    - `max_order_notional`: price x quantity of one order in its quote asset; a limit order at
      its price, a market order at what it would trade at (the best ask for a Buy, the best bid
      for a Sell, else the last trade), not the price it names.
    - `max_position_quantity`: by `(exchange, instrument)`, |position| if the order and the
      open orders on its side fill in full; an order toward a flat position always passes.
    - `max_price_deviation`: |limit price / market price - 1| (0.05 is 5 %) of a limit order.
    - `max_open_orders`: orders open or in flight on every instrument, this one included.
    """

    max_order_notional: PositiveDecimal | None = None
    max_position_quantity: dict[tuple[ExchangeId, Name], PositiveDecimal] = {}
    max_price_deviation: PositiveDecimal | None = None
    max_open_orders: Annotated[StrictInt, Field(ge=1)] | None = None

    if TYPE_CHECKING:  # what the validators accept, for type checkers without Pydantic's plugin

        def __init__(
            self,
            *,
            max_order_notional: DecimalInput | None = ...,
            max_position_quantity: dict[tuple[ExchangeId | str, str], DecimalInput] = ...,
            max_price_deviation: DecimalInput | None = ...,
            max_open_orders: int | None = ...,
        ) -> None: ...
