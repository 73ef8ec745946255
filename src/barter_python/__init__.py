"""barter-python: a typed Python SDK over the barter trading crates.

Python describes instruments and positions with validated models; barter's own Rust functions
do the work; results come back as barter's own values behind typed Python classes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# The classes the native module raises and returns are handed to it as their modules load;
# these need no Pydantic, so they load now (`snapshot` hands over its models when imported).
for _home in ("errors", "instrument", "order"):
    importlib.import_module(f"barter_python.{_home}")

# Each name is imported on first use (PEP 562), so that the command line and the native CSV
# path start without Pydantic's models; type checkers read the imports below.
if TYPE_CHECKING:
    from barter_python._version import __version__
    from barter_python.book import Book
    from barter_python.errors import (
        BacktestError,
        BarterPythonError,
        BookError,
        CommandLineError,
        ConfigError,
        DuplicateInstrumentError,
        EngineError,
        MarketDataError,
        MissingPriceError,
        StrategyImportError,
        UnknownInstrumentError,
    )
    from barter_python.instrument import ExchangeId, Side
    from barter_python.market import Catalog, CatalogEntry, MarketQuery
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
    from barter_python.risk import RiskLimits
    from barter_python.snapshot import InstrumentSnapshot, InstrumentSpec, PositionSnapshot
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
    "Catalog",
    "CatalogEntry",
    "ClientOrderId",
    "CommandLineError",
    "ConfigError",
    "DuplicateInstrumentError",
    "EngineError",
    "ExchangeId",
    "InstrumentFilter",
    "InstrumentSnapshot",
    "InstrumentSpec",
    "MarketDataError",
    "MarketQuery",
    "MissingPriceError",
    "OrderId",
    "OrderKey",
    "OrderKind",
    "OrderRequestCancel",
    "OrderRequestOpen",
    "PositionSnapshot",
    "RequestCancel",
    "RequestOpen",
    "RiskLimits",
    "Side",
    "StrategyId",
    "StrategyImportError",
    "TimeInForce",
    "UnknownInstrumentError",
    "__version__",
    "build_ioc_market_order_to_close_position",
    "close_open_positions_with_market_orders",
]

# The module each public name lives in.
_HOMES = {
    "barter_python._version": ["__version__"],
    "barter_python.book": ["Book"],
    "barter_python.errors": [
        "BacktestError",
        "BarterPythonError",
        "BookError",
        "CommandLineError",
        "ConfigError",
        "DuplicateInstrumentError",
        "EngineError",
        "MarketDataError",
        "MissingPriceError",
        "StrategyImportError",
        "UnknownInstrumentError",
    ],
    "barter_python.instrument": ["ExchangeId", "Side"],
    "barter_python.market": ["Catalog", "CatalogEntry", "MarketQuery"],
    "barter_python.order": [
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
    ],
    "barter_python.risk": ["RiskLimits"],
    "barter_python.snapshot": ["InstrumentSnapshot", "InstrumentSpec", "PositionSnapshot"],
    "barter_python.strategy": [
        "InstrumentFilter",
        "build_ioc_market_order_to_close_position",
        "close_open_positions_with_market_orders",
    ],
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


if not TYPE_CHECKING:  # type checkers see the imports above, and refuse a misspelt name

    def __getattr__(name: str) -> object:
        home = _HOME_OF.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        globals()[name] = value  # once: later lookups find it directly
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})
