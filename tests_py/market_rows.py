"""`MarketData` as rows for the vendor loaders' tests (a module the test files import:
pytest puts `tests_py` on `sys.path`)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from barter_python.market import MarketData


def rows(data: MarketData) -> list[dict[str, object]]:
    """The events as rows: times as datetimes, numbers as the decimals they stand for (the
    shortest repr of the stored float, as the SDK converts them)."""
    pa = pytest.importorskip("pyarrow")
    table = data.to_arrow()
    for name in ("time_exchange", "time_received"):
        column = table.column(name).cast(pa.timestamp("us", "UTC"))
        table = table.set_column(table.schema.get_field_index(name), name, column)
    return [
        {key: Decimal(repr(v)) if isinstance(v, float) else v for key, v in row.items()}
        for row in table.to_pylist()
    ]
