"""A backtest result's tables as pandas, polars and Arrow tables (the optional extras), and the
`ImportError` naming the extra when one is missing."""

from __future__ import annotations

import sys
from decimal import Decimal
from functools import cache
from typing import Any, get_args

import pytest

from barter_python.backtest import (
    BacktestResult,
    ClosedPosition,
    EquityPoint,
    Fill,
    TearSheet,
    TradeStats,
    backtest,
)
from barter_python.backtest.sample import SmaCross, sample_config, sample_data
from barter_python.backtest.summary import OrderRecord, PortfolioStats, Table
from barter_python.backtest.tables import polars_frame

ID = ["exchange", "instrument"]
STATS = list(TradeStats.model_fields)
COLUMNS: dict[Table, list[str]] = {
    "summary": ID
    + [f"barter_{name}" for name in TearSheet.model_fields if name != "undefined"]
    + STATS,
    "instruments": ID + STATS,
    "positions": list(ClosedPosition.model_fields),
    "fills": list(Fill.model_fields),
    "orders": list(OrderRecord.model_fields),
    "equity": list(EquityPoint.model_fields),
    "portfolio": list(PortfolioStats.model_fields),
}
TABLES: list[Table] = list(COLUMNS)


def test_every_table_is_tested() -> None:
    assert set(TABLES) == set(get_args(Table))


@cache
def result() -> BacktestResult:
    """The sample: 3 instruments, 3 closed positions of eth_usdt (6 fills)."""
    return backtest(SmaCross(), sample_data(), sample_config())


def rows(table: Table) -> int:
    return {
        "summary": 3,
        "instruments": 3,
        "positions": 3,
        "fills": 6,
        "orders": 6,
        "equity": len(result().equity),
        "portfolio": 1,
    }[table]


@pytest.mark.parametrize("table", TABLES)
def test_pandas(table: Table) -> None:
    pytest.importorskip("pandas")
    frame = result().to_pandas(table)
    assert list(frame.columns) == COLUMNS[table]
    assert len(frame) == rows(table)
    if "exchange" in frame.columns:
        assert set(frame["exchange"]) == {"binance_spot"}  # barter's name, not the enum


@pytest.mark.parametrize("table", TABLES)
def test_polars(table: Table) -> None:
    polars = pytest.importorskip("polars")
    frame = result().to_polars(table)
    assert frame.columns == COLUMNS[table]
    assert frame.height == rows(table)
    assert polars.Object not in frame.dtypes


@pytest.mark.parametrize("table", TABLES)
def test_arrow(table: Table) -> None:
    pytest.importorskip("pyarrow")
    arrow = result().to_arrow(table)
    assert arrow.column_names == COLUMNS[table]
    assert arrow.num_rows == rows(table)


def test_values_are_exact() -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("polars")
    pytest.importorskip("pyarrow")
    sample = result()
    eth = sample.instruments[1]
    assert sample.to_pandas()["barter_win_rate"][1] == eth.barter.win_rate
    assert sample.to_polars()["loss_rate"][1] == eth.stats.loss_rate
    assert sample.to_arrow("positions")["pnl_realised"].to_pylist() == [
        p.pnl_realised for p in sample.positions
    ]
    assert sample.to_arrow("fills")["side"].to_pylist() == ["Buy", "Sell"] * 3


def test_polars_types_come_from_every_row() -> None:
    """polars' default infers from 100 rows and would read a later 0.5 as 0."""
    pytest.importorskip("polars")
    column = [{"quantity": Decimal(2)}] * 200 + [{"quantity": Decimal("0.5")}]
    assert polars_frame(column)["quantity"][-1] == Decimal("0.5")


@pytest.mark.parametrize(
    ("method", "module", "extra"),
    [
        ("to_pandas", "pandas", "pandas"),
        ("to_polars", "polars", "polars"),
        ("to_arrow", "pyarrow", "arrow"),
        ("plot", "matplotlib", "plot"),
    ],
)
def test_a_missing_extra_is_named(
    monkeypatch: pytest.MonkeyPatch, method: str, module: str, extra: str
) -> None:
    """The core works without the extras: with the library hidden, the call says what to
    install."""
    for name in [m for m in sys.modules if m == module or m.startswith(module + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)  # `import module` raises ImportError
    argument: Any = "summary" if method != "plot" else "unused.png"
    with pytest.raises(ImportError, match=rf"pip install 'barter-python\[{extra}\]'"):
        getattr(result(), method)(argument)
