"""A backtest result's tables as pandas, polars and Arrow tables (the optional extras), and the
`ImportError` naming the extra when one is missing."""

from __future__ import annotations

import sys
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple, get_args

import pytest
from pydantic import BaseModel

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
from barter_python.session.result import OrderRecord, PortfolioStats, Table
from barter_python.session.tables import Columns, polars_frame

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
    assert polars_frame(Columns.of_rows(column, ["quantity"]))["quantity"][-1] == Decimal("0.5")


# --- numbers="float" ---------------------------------------------------------------------------


def decimal_columns(table: Table) -> dict[str, list[Decimal | None]]:
    """The table's columns typed `Decimal` (or `Decimal | None`) in the models, as the result
    holds them."""
    models: dict[Table, list[type[BaseModel]]] = {
        "summary": [TradeStats], "instruments": [TradeStats], "positions": [ClosedPosition],
        "fills": [Fill], "orders": [OrderRecord], "equity": [EquityPoint],
        "portfolio": [PortfolioStats],
    }  # fmt: skip
    names = {
        name
        for model in models[table]
        for name, field in model.model_fields.items()
        if "Decimal" in str(field.annotation)
    }
    if table == "summary":
        names |= {f"barter_{n}" for n in TearSheet.model_fields if n != "undefined"}
    rows_ = result().rows(table)
    assert names and any(isinstance(row[n], Decimal) for row in rows_ for n in names)
    return {name: [row[name] for row in rows_] for name in COLUMNS[table] if name in names}


def as_floats(values: list[Decimal | None]) -> list[float | None]:
    return [None if value is None else float(value) for value in values]


class Library(NamedTuple):
    """How a test reads a table library's frames: the result's method, a column's type, a
    column's values (`None` where undefined) and the float type."""

    method: str
    type_of: Callable[[Any, str], object]
    values_of: Callable[[Any, str], list[Any]]
    float64: object


def library(name: str) -> Library:
    module = pytest.importorskip(name)
    if name == "pandas":
        return Library(
            "to_pandas",
            lambda f, c: f[c].dtype,
            lambda f, c: [None if v != v else v for v in f[c]],  # NaN: undefined
            "float64",
        )
    if name == "polars":
        return Library(
            "to_polars", lambda f, c: f[c].dtype, lambda f, c: f[c].to_list(), module.Float64
        )
    return Library(
        "to_arrow",
        lambda table, column: table.schema.field(column).type,
        lambda table, column: table[column].to_pylist(),
        module.float64(),
    )


@pytest.mark.parametrize("name", ["pandas", "polars", "pyarrow"])
@pytest.mark.parametrize("table", TABLES)
def test_float_tables(name: str, table: Table) -> None:
    """`numbers="float"`: each Decimal column float64 with `float(value)`; the other columns
    as in the default, which stays exact."""
    lib = library(name)
    floats = getattr(result(), lib.method)(table, numbers="float")
    exact = getattr(result(), lib.method)(table)
    decimals = decimal_columns(table)
    for column in COLUMNS[table]:
        if column in decimals:
            assert lib.type_of(floats, column) == lib.float64, column
            assert lib.values_of(floats, column) == as_floats(decimals[column]), column
            assert lib.values_of(exact, column) == decimals[column], column
        else:
            assert lib.type_of(floats, column) == lib.type_of(exact, column), column


def test_a_decimal_column_without_values_is_float_too() -> None:
    """The columns' types come from the models: an undefined statistic is NaN in a float64
    column, not an object column of `None`s."""
    pa = pytest.importorskip("pyarrow")
    pandas = pytest.importorskip("pandas")
    polars = pytest.importorskip("polars")
    btc = result().instruments[0]
    assert btc.stats.trades == 0 and btc.stats.profit_factor is None
    assert result().to_pandas("instruments", numbers="float")["profit_factor"].isna()[0]
    assert result().to_pandas("instruments", numbers="float").dtypes["avg_win"] == "float64"
    assert result().to_polars("summary", numbers="float")["avg_win"].dtype == polars.Float64
    assert (
        result().to_arrow("summary", numbers="float").schema.field("avg_win").type == pa.float64()
    )
    assert pandas.isna(result().to_pandas("summary", numbers="float")["avg_win"][0])


def test_the_batch_table_has_floats_too() -> None:
    pytest.importorskip("pandas")
    polars = pytest.importorskip("polars")
    from barter_python.backtest import grid, run_backtests

    data = sample_data()
    data = data.slice(end=data.time_first_event.replace(second=59))
    batch = run_backtests(grid("barter_python.backtest.sample:SmaCross", fast=[2]), data,
                          sample_config())  # fmt: skip
    frame = batch.to_pandas(numbers="float")
    assert frame["net_pnl"].dtype == "float64" and frame["barter_sharpe_ratio"].dtype == "float64"
    assert frame["net_pnl"][0] == float(batch.results[0].totals.net_pnl)
    assert batch.to_polars(numbers="float")["win_rate"].dtype == polars.Float64


@pytest.mark.parametrize("method", ["to_pandas", "to_polars", "to_arrow"])
def test_numbers_must_be_decimal_or_float(method: str) -> None:
    with pytest.raises(ValueError, match="numbers must be 'decimal' or 'float', got 'int'"):
        getattr(result(), method)("equity", numbers="int")


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
