"""A backtest result as one self-contained HTML file: the run's overview, the equity and
drawdown chart (matplotlib, inlined as a base64 PNG: the optional extra `report`), the
portfolio statistics, the statistics per instrument (barter's and textbook) and every order.
Nothing is fetched: no script, no stylesheet or font from elsewhere. Every value is escaped."""

from __future__ import annotations

import base64
import html
import os
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Protocol

from barter_python.session.plot import DrawnResult, equity_png
from barter_python.session.report import ReportedResult, overview

__all__ = ["report_html", "write_report"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; white-space: nowrap; }
th { background: #f3f3f3; position: sticky; top: 0; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.wide { overflow-x: auto; max-height: 40em; }
img { max-width: 100%; }
"""


class _Result(ReportedResult, DrawnResult, Protocol):
    """What the report reads of a `SessionResult` (which imports this module: no import
    back)."""

    def rows(self, table: Literal["summary", "orders", "portfolio"]) -> list[dict[str, Any]]: ...


def _cell(value: object) -> str:
    """One escaped table cell: numbers right-aligned (a `Decimal` shown to 10 significant
    digits, exact in its title), undefined values empty."""
    if isinstance(value, Enum):
        value = value.value
    if value is None:
        return "<td></td>"
    if isinstance(value, datetime):
        return f"<td>{html.escape(value.isoformat(sep=' '))}</td>"
    if isinstance(value, dict):
        value = ", ".join(f"{name}: {why}" for name, why in value.items())
    if isinstance(value, Decimal) and (shown := f"{value:.10g}") != str(value):
        # readable to 10 significant digits, the exact value on hover
        return f'<td class=n title="{html.escape(str(value))}">{html.escape(shown)}</td>'
    numeric = isinstance(value, Decimal | int | float | timedelta) and not isinstance(value, bool)
    return f"<td{' class=n' if numeric else ''}>{html.escape(str(value))}</td>"


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>none</p>"
    head = "".join(f"<th>{html.escape(name)}</th>" for name in rows[0])
    body = "\n".join("<tr>" + "".join(map(_cell, row.values())) + "</tr>" for row in rows)
    return f'<div class="wide"><table>\n<tr>{head}</tr>\n{body}\n</table></div>'


def report_html(result: _Result) -> str:
    """The report as one HTML document."""
    run, sent = overview(result)
    orders = result.rows("orders")
    chart = base64.b64encode(equity_png(result, "report")).decode("ascii")
    title = html.escape(result.id)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{title}: backtest report</title><style>{_STYLE}</style></head><body>",
            f"<h1>Backtest {title}</h1>",
            f"<p>{html.escape(run)}<br>{html.escape(sent)}</p>",
            f'<img alt="equity and drawdown" src="data:image/png;base64,{chart}">',
            "<h2>Portfolio</h2>",
            _table(result.rows("portfolio")),
            "<h2>Instruments</h2>",
            "<p>barter's statistics (<code>barter_*</code>, under barter's names: its "
            "<code>win_rate</code> is the loss rate) beside the textbook ones.</p>",
            _table(result.rows("summary")),
            f"<h2>Orders ({len(orders)})</h2>",
            _table(orders),
            "</body></html>",
            "",
        ]
    )


def write_report(result: _Result, path: str | os.PathLike[str]) -> None:
    """Write `report_html(result)` to `path` (UTF-8)."""
    Path(path).write_text(report_html(result), encoding="utf-8")
