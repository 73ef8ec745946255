"""The session layer's result (`barter_python.session.SessionResult`): its lists of rows stay
native until read, and a result read before or after that serialises, compares, copies and
pickles the same."""

from __future__ import annotations

import copy
import pickle

import pytest

from barter_python._native import ArrowTable
from barter_python.backtest import BacktestBatch, BacktestResult, backtest
from barter_python.backtest.sample import SmaCross, sample_config, sample_data
from barter_python.session import SessionResult
from barter_python.session.result import Table
from barter_python.session.tables import Numbers

LAZY = ("fills", "orders", "equity", "portfolio")


def fresh() -> SessionResult:
    return backtest(SmaCross(), sample_data(), sample_config())


@pytest.fixture(scope="module")
def json_of_read() -> str:
    result = fresh()
    for name in LAZY:
        getattr(result, name)
    return result.model_dump_json(exclude={"wall_time_s"})


def test_the_lists_are_made_when_first_read() -> None:
    result = fresh()
    assert BacktestResult is SessionResult and isinstance(result, SessionResult)
    assert not set(LAZY) & set(vars(result))
    fills = result.fills
    assert fills and "fills" in vars(result) and result.fills is fills  # once
    assert not {"orders", "equity", "portfolio"} & set(vars(result))
    assert list(vars(result)) == [n for n in SessionResult.model_fields if n in vars(result)]


def test_an_unread_result_serialises_as_a_read_one(json_of_read: str) -> None:
    assert fresh().model_dump_json(exclude={"wall_time_s"}) == json_of_read


def test_an_unread_result_compares_copies_and_pickles_whole() -> None:
    result = fresh()
    back = SessionResult.model_validate_json(fresh().to_json())
    assert result.model_copy(update={"wall_time_s": back.wall_time_s}) == back
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(fresh(), protocol)).orders == back.orders
    assert copy.deepcopy(fresh()).equity == back.equity
    assert repr(fresh()).count("EquityPoint(") == len(back.equity)


def test_an_unread_result_inside_a_batch_serialises_whole(json_of_read: str) -> None:
    batch = BacktestBatch(specs=[], results=[fresh()], failures=[])
    whole = batch.model_dump(mode="json")["results"][0]
    assert [f["price"] for f in whole["fills"]] == [str(f.price) for f in fresh().fills]
    assert set(LAZY) <= set(whole)


@pytest.mark.parametrize("table", ["positions", "fills", "orders", "equity"])
@pytest.mark.parametrize("numbers", ["decimal", "float"])
def test_native_tables_hold_the_models_values(table: Table, numbers: Numbers) -> None:
    """A result holding its native rows makes these tables from them (Arrow's C stream); a
    result read from JSON makes them from its models: the same values, column for column."""
    pa = pytest.importorskip("pyarrow")
    result = fresh()
    native = result._columns(table, numbers)
    assert isinstance(native, ArrowTable) and len(native) == len(pa.table(native))
    from_models = SessionResult.model_validate_json(result.to_json())
    assert from_models._native is None
    made, read = (
        result.to_arrow(table, numbers=numbers),
        from_models.to_arrow(table, numbers=numbers),
    )
    assert made.column_names == read.column_names
    for column in made.column_names:
        assert made[column].to_pylist() == read[column].to_pylist(), column
    assert str(made.schema.field("time" if table != "positions" else "time_exit").type) == (
        "timestamp[us, tz=UTC]"
    )
