"""The session layer: what backtests, `Engine` and the live system share. The config a
session runs under (`SessionConfig`, the base of `BacktestConfig` and `LiveConfig`) and what
it gives back (`SessionResult`: barter's statistics and the textbook ones, closed positions,
fills, every order, the equity curve and portfolio statistics, and their tables)."""

from barter_python.session.config import SessionConfig
from barter_python.session.portfolio import EquityPoint, PortfolioStats
from barter_python.session.result import (
    AssetResult,
    ClosedPosition,
    Fill,
    InstrumentResult,
    OrderRecord,
    SessionResult,
    TearSheet,
)
from barter_python.session.stats import TradeStats

__all__ = [
    "AssetResult",
    "ClosedPosition",
    "EquityPoint",
    "Fill",
    "InstrumentResult",
    "OrderRecord",
    "PortfolioStats",
    "SessionConfig",
    "SessionResult",
    "TearSheet",
    "TradeStats",
]
