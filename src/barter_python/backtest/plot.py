"""The equity curve and its drawdown, drawn with matplotlib (the optional extra `plot`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from barter_python.backtest.tables import optional

__all__ = ["plot_equity"]


class _Point(Protocol):
    @property
    def time(self) -> datetime: ...
    @property
    def equity(self) -> Decimal: ...


class _Result(Protocol):
    """What is drawn of a `BacktestResult` (which imports this module: no import back)."""

    @property
    def id(self) -> str: ...
    @property
    def equity(self) -> Sequence[_Point]: ...


def plot_equity(result: _Result, path: str) -> None:
    """Equity (realised + unrealised PnL) over time, and its drawdown from the running peak,
    saved to `path` (the format follows its extension)."""
    optional("matplotlib", "plot").use("Agg")  # no display needed
    pyplot = optional("matplotlib.pyplot", "plot")
    times = [point.time for point in result.equity]
    equity = [float(point.equity) for point in result.equity]
    peak, drawdown = float("-inf"), []
    for value in equity:
        peak = max(peak, value)
        drawdown.append(value - peak)
    figure, (top, bottom) = pyplot.subplots(2, 1, sharex=True, figsize=(10, 6))
    top.plot(times, equity, drawstyle="steps-post")
    top.set_ylabel("equity (PnL)")
    top.set_title(f"{result.id}: equity and drawdown")
    bottom.fill_between(times, drawdown, 0, step="post", color="tab:red", alpha=0.4)
    bottom.set_ylabel("drawdown")
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
