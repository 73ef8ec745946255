"""barter-python: a typed Python SDK over the barter trading crates.

Python describes instruments and positions with validated models; barter's own Rust functions
do the work; results come back as barter's own values behind typed Python classes.
"""

from barter_python._version import __version__
from barter_python.book import Book
from barter_python.errors import (
    BacktestError,
    BarterPythonError,
    BookError,
    DuplicateInstrumentError,
    EngineError,
    MissingPriceError,
    UnknownInstrumentError,
)
from barter_python.instrument import ExchangeId, Side
from barter_python.order import (
    ClientOrderId,
    OrderId,
    OrderKey,
    OrderKind,
    OrderRequestCancel,
    OrderRequestOpen,
    RequestCancel,
    RequestOpen,
    StrategyId,
    TimeInForce,
)
from barter_python.snapshot import InstrumentSnapshot, PositionSnapshot
from barter_python.strategy import (
    InstrumentFilter,
    build_ioc_market_order_to_close_position,
    close_open_positions_with_market_orders,
)

__all__ = [
    "BacktestError",
    "BarterPythonError",
    "Book",
    "BookError",
    "ClientOrderId",
    "DuplicateInstrumentError",
    "EngineError",
    "ExchangeId",
    "InstrumentFilter",
    "InstrumentSnapshot",
    "MissingPriceError",
    "OrderId",
    "OrderKey",
    "OrderKind",
    "OrderRequestCancel",
    "OrderRequestOpen",
    "PositionSnapshot",
    "RequestCancel",
    "RequestOpen",
    "Side",
    "StrategyId",
    "TimeInForce",
    "UnknownInstrumentError",
    "__version__",
    "build_ioc_market_order_to_close_position",
    "close_open_positions_with_market_orders",
]
