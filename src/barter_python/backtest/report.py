"""A backtest result as a text summary: a table per instrument with barter's statistics and
the textbook ones side by side (barter's `win_rate` is the loss rate)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from barter_python.backtest.summary import BacktestResult

__all__ = ["summary_table"]


def _number(value: Decimal | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.4f}" if abs(value) < 10**12 else f"{value:.4e}"


def summary_table(result: BacktestResult) -> str:
    """The summary a terminal shows after a run."""
    header = (
        "instrument", "trades", "win rate", "barter win_rate", "profit factor",
        "barter profit_factor", "net pnl", "barter pnl", "sharpe",
    )  # fmt: skip
    rows = [header]
    for item in result.instruments:
        stats, sheet = item.stats, item.barter
        rows.append(
            (
                f"{item.exchange.value}:{item.instrument}",
                _number(stats.trades),
                _number(stats.win_rate),
                _number(sheet.win_rate),
                _number(stats.profit_factor),
                _number(sheet.profit_factor),
                _number(stats.net_pnl),
                _number(sheet.pnl),
                _number(sheet.sharpe_ratio),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in
                  enumerate(zip(row, widths, strict=True))).rstrip()
        for row in rows
    ]  # fmt: skip
    span = f"{result.time_start:%Y-%m-%d %H:%M:%S} to {result.time_end:%Y-%m-%d %H:%M:%S} UTC"
    totals = result.totals
    return "\n".join(
        [
            f"{result.id}: {result.events} events, {span}, interval {result.interval}",
            f"orders sent {result.orders_sent}, refused {result.orders_refused}; "
            f"{len(result.positions)} closed positions; wall time {result.wall_time_s:.3f} s",
            *lines,
            f"total: {totals.trades} trades, win rate {_number(totals.win_rate)}, "
            f"profit factor {_number(totals.profit_factor)}, net pnl {_number(totals.net_pnl)}, "
            f"fees {_number(totals.fees)}",
            "(barter's win_rate is losses / trades and its profit_factor net / losses, on "
            "returns; the other columns are the textbook values)",
        ]
    )
