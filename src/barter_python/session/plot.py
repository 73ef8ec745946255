"""The equity curve and its drawdown, drawn with matplotlib (the optional extra `plot`; the HTML
report's charts are the same figure, under the extra `report`)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from barter_python.instrument import ExchangeId
from barter_python.session.tables import optional

__all__ = ["DrawnResult", "equity_png", "plot_equity"]


class _Point(Protocol):
    @property
    def exchange(self) -> ExchangeId: ...
    @property
    def asset(self) -> str: ...
    @property
    def time(self) -> datetime: ...
    @property
    def equity(self) -> Decimal: ...
    @property
    def drawdown(self) -> Decimal: ...


class DrawnResult(Protocol):
    """What is drawn of a `SessionResult` (which imports this module: no import back)."""

    @property
    def id(self) -> str: ...
    @property
    def equity(self) -> Sequence[_Point]: ...


def _figure(result: DrawnResult, extra: str) -> tuple[Any, Any]:
    """The account's equity over time, a line per quote asset, and its drawdown below (the
    fall from the running peak, drawn negative); with pyplot, to close the figure."""
    optional("matplotlib", extra).use("Agg")  # no display needed
    pyplot = optional("matplotlib.pyplot", extra)
    curves: dict[tuple[ExchangeId, str], list[_Point]] = {}
    for point in result.equity:
        curves.setdefault((point.exchange, point.asset), []).append(point)
    figure, (top, bottom) = pyplot.subplots(2, 1, sharex=True, figsize=(10, 6))
    for (exchange, asset), points in curves.items():
        times = [point.time for point in points]
        label = f"{exchange.value}:{asset}"
        top.plot(times, [float(p.equity) for p in points], drawstyle="steps-post", label=label)
        drawdown = [-float(p.drawdown) for p in points]
        bottom.fill_between(times, drawdown, 0, step="post", alpha=0.4, label=label)
    top.set_ylabel("equity")
    top.set_title(f"{result.id}: equity and drawdown")
    if len(curves) > 1:
        top.legend()
    bottom.set_ylabel("drawdown")
    figure.tight_layout()
    return figure, pyplot


def plot_equity(result: DrawnResult, path: str) -> None:
    """The equity and drawdown chart saved to `path` (the format follows its extension)."""
    figure, pyplot = _figure(result, "plot")
    figure.savefig(path)
    pyplot.close(figure)


def equity_png(result: DrawnResult, extra: str) -> bytes:
    """The equity and drawdown chart as PNG bytes (`extra` names the extra to install)."""
    figure, pyplot = _figure(result, extra)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    pyplot.close(figure)
    return buffer.getvalue()
