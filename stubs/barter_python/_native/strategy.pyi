"""barter_python._native.strategy: barter's `strategy::close_positions` functions.

Callers go through `barter_python.strategy`, which validates first.
"""

from collections.abc import Callable

from barter_python._native import (
    ClientOrderId,
    InstrumentFilter,
    OrderRequestCancel,
    OrderRequestOpen,
    StrategyId,
)
from barter_python.instrument import ExchangeId
from barter_python.snapshot import DecimalInput, InstrumentSnapshot, PositionSnapshot

__all__ = [
    "build_ioc_market_order_to_close_position",
    "close_open_positions_with_market_orders",
]

def build_ioc_market_order_to_close_position(
    exchange: ExchangeId | str,
    position: PositionSnapshot,
    strategy_id: StrategyId | str,
    price: DecimalInput,
    gen_cid: Callable[[], ClientOrderId | str] | None = None,
) -> OrderRequestOpen:
    """barter's `build_ioc_market_order_to_close_position`."""

def close_open_positions_with_market_orders(
    strategy_id: StrategyId | str,
    instruments: list[InstrumentSnapshot],
    gen_cid: Callable[[InstrumentSnapshot], ClientOrderId | str] | None = None,
    filter: InstrumentFilter | None = None,
    skip_missing_price: bool = False,
) -> tuple[list[OrderRequestCancel], list[OrderRequestOpen]]:
    """barter's `close_open_positions_with_market_orders`; opens in input order."""
