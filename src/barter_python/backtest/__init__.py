"""Backtests: market data replayed through barter's `Engine` with a Python strategy."""

from barter_python.backtest.data import MarketData

__all__ = ["MarketData"]
