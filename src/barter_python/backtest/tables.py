"""A result's tables as pandas, polars or Arrow tables: optional extras, imported when used.

Values keep their exactness: numbers are `Decimal` (pandas: object columns; polars and Arrow:
decimal columns, their scale inferred over every row), times UTC timestamps, enums their
barter names (`"binance_spot"`, `"Buy"`), undefined values null.
"""

from __future__ import annotations

import importlib
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

__all__ = ["arrow_table", "optional", "pandas_frame", "polars_frame"]

Rows = list[dict[str, Any]]


def optional(module: str, extra: str) -> Any:
    """Import an optional dependency, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"{module} is not installed: pip install 'barter-python[{extra}]'"
        ) from None


def _plain(rows: Rows) -> Rows:
    """Enums as their values (barter's names), which every table library reads."""
    return [
        {name: value.value if isinstance(value, Enum) else value for name, value in row.items()}
        for row in rows
    ]


def pandas_frame(rows: Rows) -> pandas.DataFrame:
    frame: pandas.DataFrame = optional("pandas", "pandas").DataFrame(_plain(rows))
    return frame


def polars_frame(rows: Rows) -> polars.DataFrame:
    # Every row decides a column's type: polars' default looks at the first 100 only and
    # would truncate a later Decimal with more decimals than those (0.5 read as 0).
    module = optional("polars", "polars")
    frame: polars.DataFrame = module.DataFrame(_plain(rows), infer_schema_length=None)
    return frame


def arrow_table(rows: Rows) -> pyarrow.Table:
    table: pyarrow.Table = optional("pyarrow", "arrow").Table.from_pylist(_plain(rows))
    return table
