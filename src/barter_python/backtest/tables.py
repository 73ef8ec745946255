"""A result's tables as pandas, polars or Arrow tables: optional extras, imported when used."""

from __future__ import annotations

import importlib
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


def pandas_frame(rows: Rows) -> pandas.DataFrame:
    frame: pandas.DataFrame = optional("pandas", "pandas").DataFrame(rows)
    return frame


def polars_frame(rows: Rows) -> polars.DataFrame:
    frame: polars.DataFrame = optional("polars", "polars").DataFrame(rows)
    return frame


def arrow_table(rows: Rows) -> pyarrow.Table:
    table: pyarrow.Table = optional("pyarrow", "arrow").Table.from_pylist(rows)
    return table
