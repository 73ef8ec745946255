"""The equity curve and its drawdown, drawn with matplotlib (the optional extra `plot`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from barter_python.backtest.tables import optional

if TYPE_CHECKING:
    from barter_python.backtest.summary import BacktestResult

__all__ = ["plot_equity"]


def plot_equity(result: BacktestResult, path: str) -> None:
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
