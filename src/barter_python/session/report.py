"""A backtest result as a text summary: the portfolio first (the account's value per quote
asset: return, drawdown, exposure, ratios), then a table per instrument with barter's
statistics and the textbook ones side by side (barter's `win_rate` is the loss rate)."""

from __future__ import annotations

from collections.abc import Sequence, Sized
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from barter_python.instrument import ExchangeId
from barter_python.session.portfolio import PortfolioStats
from barter_python.session.stats import TradeStats

__all__ = ["ReportedResult", "overview", "portfolio_lines", "summary_table"]


class _Sheet(Protocol):
    @property
    def pnl(self) -> Decimal: ...
    @property
    def win_rate(self) -> Decimal | None: ...
    @property
    def profit_factor(self) -> Decimal | None: ...
    @property
    def sharpe_ratio(self) -> Decimal | None: ...


class _Instrument(Protocol):
    @property
    def exchange(self) -> ExchangeId: ...
    @property
    def instrument(self) -> str: ...
    @property
    def barter(self) -> _Sheet: ...
    @property
    def stats(self) -> TradeStats: ...


class ReportedResult(Protocol):
    """What the summary reads of a `SessionResult` (which imports this module: no import
    back)."""

    @property
    def id(self) -> str: ...
    @property
    def events(self) -> int: ...
    @property
    def time_start(self) -> datetime: ...
    @property
    def time_end(self) -> datetime: ...
    @property
    def interval(self) -> str: ...
    @property
    def orders_sent(self) -> int: ...
    @property
    def orders_refused(self) -> int: ...
    @property
    def wall_time_s(self) -> float: ...
    @property
    def positions(self) -> Sized: ...
    @property
    def instruments(self) -> Sequence[_Instrument]: ...
    @property
    def totals(self) -> TradeStats: ...
    @property
    def exchange(self) -> str: ...
    @property
    def portfolio(self) -> Sequence[PortfolioStats]: ...


def _number(value: Decimal | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.4f}" if abs(value) < 10**12 else f"{value:.4e}"


def _percent(value: Decimal | None) -> str:
    return "-" if value is None else f"{float(value) * 100:.4g} %"


def portfolio_lines(result: ReportedResult) -> list[str]:
    """One line per quote asset: the account from start to end."""
    return [
        f"{p.exchange.value}:{p.asset}: equity {_number(p.equity_start)} -> "
        f"{_number(p.equity_end)} ({_percent(p.total_return)}), max drawdown "
        f"{_number(p.max_drawdown)} ({_percent(p.max_drawdown_pct)}), exposure "
        f"{_percent(p.exposure)}, sharpe {_number(p.sharpe_ratio)}, sortino "
        f"{_number(p.sortino_ratio)}, cagr {_percent(p.cagr)}"
        for p in result.portfolio
    ]


def overview(result: ReportedResult) -> tuple[str, str]:
    """The run (events, span, interval, exchange) and its orders, a line each."""
    span = f"{result.time_start:%Y-%m-%d %H:%M:%S} to {result.time_end:%Y-%m-%d %H:%M:%S} UTC"
    return (
        f"{result.id}: {result.events} events, {span}, interval {result.interval}, "
        f"exchange {result.exchange}",
        f"orders sent {result.orders_sent}, refused {result.orders_refused}; "
        f"{len(result.positions)} closed positions; wall time {result.wall_time_s:.3f} s",
    )


def summary_table(result: ReportedResult) -> str:
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
    run, orders = overview(result)
    totals = result.totals
    return "\n".join(
        [
            run,
            *portfolio_lines(result),
            orders,
            *lines,
            f"total: {totals.trades} trades, win rate {_number(totals.win_rate)}, "
            f"profit factor {_number(totals.profit_factor)}, net pnl {_number(totals.net_pnl)}, "
            f"fees {_number(totals.fees)}",
            "(barter's win_rate is losses / trades and its profit_factor net / losses, on "
            "returns; the other columns are the textbook values)",
        ]
    )
