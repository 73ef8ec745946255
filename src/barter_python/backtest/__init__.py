"""Backtests: market data replayed through barter's `Engine` with a Python strategy, on the
simulated exchange (or barter's mock), in a session (`barter_python.session`: barter's
statistics of the run, the textbook ones beside them, every order, the account's equity curve
and portfolio statistics); sweeps of many runs and walk-forward analysis."""

from barter_python.backtest.config import BacktestConfig
from barter_python.backtest.run import backtest
from barter_python.backtest.sweep import (
    BacktestBatch,
    BacktestSpec,
    SweepFailure,
    grid,
    run_backtests,
)
from barter_python.backtest.walk_forward import WalkForward, WalkWindow, walk_forward
from barter_python.errors import StrategyImportError
from barter_python.market import MarketData  # its home is `barter_python.market`
from barter_python.session import (
    AssetResult,
    ClosedPosition,
    EquityPoint,
    Fill,
    InstrumentResult,
    OrderRecord,
    PortfolioStats,
    SessionResult,
    TearSheet,
    TradeStats,
)
from barter_python.session.result import BacktestResult

__all__ = [
    "AssetResult",
    "BacktestBatch",
    "BacktestConfig",
    "BacktestResult",
    "BacktestSpec",
    "ClosedPosition",
    "EquityPoint",
    "Fill",
    "InstrumentResult",
    "MarketData",
    "OrderRecord",
    "PortfolioStats",
    "SessionResult",
    "StrategyImportError",
    "SweepFailure",
    "TearSheet",
    "TradeStats",
    "WalkForward",
    "WalkWindow",
    "backtest",
    "grid",
    "run_backtests",
    "walk_forward",
]
