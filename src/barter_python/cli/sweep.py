"""`barter-python backtest --grid ...`: a parameter sweep from the shell, on a process pool.

The strategy class is named as for one backtest (`module:Class` or `path/to/file.py:Class`);
its module is imported here once, so that the pool's forked workers import it by name.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from typing import Any, Literal

from barter_python.backtest import BacktestBatch, BacktestConfig, MarketData, grid, run_backtests
from barter_python.errors import CommandLineError, listed
from barter_python.market import MarketQuery

__all__ = [
    "SORTABLE",
    "check_sort",
    "csv_text",
    "every_run_failed",
    "parse_axes",
    "render_batch",
    "sweep",
]

Format = Literal["table", "json", "csv"]


def parse_axes(values: Sequence[str]) -> dict[str, list[Any]]:
    """`--grid fast=5,10` (repeatable) as grid axes; each value is JSON if it parses, else text."""
    axes: dict[str, list[Any]] = {}
    for value in values:
        name, equals, text = value.partition("=")
        if not equals or not name.isidentifier() or not text:
            raise CommandLineError(f"--grid {value!r}: not NAME=V1,V2,... (e.g. fast=5,10)")
        if name in axes:
            raise CommandLineError(f"--grid {name} given twice")
        axes[name] = [_value(item) for item in text.split(",")]
    return axes


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


# The statistics a sweep's table can be sorted by (`BacktestBatch.rows` columns).
SORTABLE = (
    "trades", "wins", "losses", "win_rate", "profit_factor", "net_pnl", "fees", "expectancy",
    "barter_sharpe_ratio", "orders_sent", "wall_time_s",
)  # fmt: skip


def check_sort(sort: str, fixed: dict[str, Any], axes: dict[str, list[Any]]) -> None:
    """`--sort` names a statistic or a numeric parameter of the sweep."""
    values = {**{name: [value] for name, value in fixed.items()}, **axes}
    numeric = [
        name
        for name, given in values.items()
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in given)
    ]
    if sort not in (*SORTABLE, *numeric):
        choices = ", ".join((*SORTABLE, *numeric))
        raise CommandLineError(f"--sort {sort}: not a statistic or numeric parameter ({choices})")


def sweep(
    strategy: str,
    fixed: dict[str, Any],
    axes: dict[str, list[Any]],
    data: MarketData | MarketQuery,
    config: BacktestConfig,
    workers: int,
) -> BacktestBatch:
    """Every combination of `axes` (with the `fixed` params), on `workers` processes."""
    specs = grid(strategy, **axes)
    specs = [spec.model_copy(update={"params": {**fixed, **spec.params}}) for spec in specs]
    if workers <= 1:
        return run_backtests(specs, data, config)
    with ProcessPoolExecutor(workers) as pool:
        return run_backtests(specs, data, config, executor=pool)


def every_run_failed(batch: BacktestBatch) -> str:
    """The message of a sweep none of whose runs succeeded: each run's failure."""
    failures = listed([f"{failure.id}: {failure.error}" for failure in batch.failures])
    return f"every run of the sweep failed ({len(batch.failures)}):\n" + "\n".join(
        f"  {failure}" for failure in failures
    )


def _cell(value: object) -> str:
    """A table cell: 4 decimals (exact values are in the JSON and CSV output)."""
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return f"{value:.4f}" if abs(value) < 10**12 else f"{value:.4e}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _exact(value: object) -> str:
    if value is None:
        return ""
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def csv_text(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV with a header, numbers exact (`Decimal` in plain notation), `None` empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if rows:
        writer.writerow(rows[0])
        writer.writerows([_exact(value) for value in row.values()] for row in rows)
    return buffer.getvalue()


def render_batch(batch: BacktestBatch, output_format: Format, sort: str) -> str:
    """The runs sorted by `sort` (descending, undefined last): a table, JSON or CSV."""
    rows = batch.rows()
    rows.sort(key=lambda row: (row.get(sort) is None, -(row.get(sort) or 0)))
    if output_format == "json":
        return json.dumps(rows, default=str) + "\n"
    if output_format == "csv":
        return csv_text(rows)
    if not rows:
        return "no runs\n"
    cells = [list(rows[0])] + [[_cell(v) for v in row.values()] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    return "\n".join(lines) + "\n"
