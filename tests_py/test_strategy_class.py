"""`strategy_class`: the one importer of a strategy class by its path, for the command line and
sweeps; every failure a `StrategyImportError` naming the path and why."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from barter_python import StrategyImportError
from barter_python.backtest.sample import SmaCross
from barter_python.strategy import strategy_class

NESTED = (
    "from barter_python.strategy import DefaultStrategy\n"
    "class Outer:\n"
    "    class Inner(DefaultStrategy):\n"
    "        def __init__(self, size: int = 1) -> None:\n"
    "            self.size = size\n"
)


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`sys.path` and `sys.modules` as they were after the test (a file's import changes both)."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        del sys.modules[name]


def test_a_module_path() -> None:
    assert strategy_class("barter_python.backtest.sample:SmaCross") is SmaCross


@pytest.mark.usefixtures("isolated")
def test_a_nested_class_by_file_and_by_module(tmp_path: Path) -> None:
    file = tmp_path / "nested_strategies.py"
    file.write_text(NESTED)
    inner = strategy_class(f"{file}:Outer.Inner")
    assert inner.__qualname__ == "Outer.Inner"
    assert inner.__module__ == "nested_strategies"
    # The file's module is registered under its name, so a sweep's workers find the class.
    assert strategy_class("nested_strategies:Outer.Inner") is inner
    assert str(tmp_path) == sys.path[0]  # as `python file.py`: it imports its neighbours


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("SmaCross", "strategy SmaCross: not MODULE:CLASS or path/to/file.py:CLASS"),
        ("nowhere/x.py:S", "strategy nowhere/x.py:S: nowhere/x.py: no such file"),
        (
            "no_such_module_here:S",
            "strategy no_such_module_here:S: importing no_such_module_here failed: "
            "ModuleNotFoundError: No module named 'no_such_module_here' "
            "(it must be importable where the run happens)",
        ),
        (
            "barter_python.strategy:Nope",
            "strategy barter_python.strategy:Nope: barter_python.strategy has no 'Nope'",
        ),
        (
            "barter_python.strategy:strategy_class",
            "strategy barter_python.strategy:strategy_class: strategy_class is not a class",
        ),
        (
            "barter_python.errors:BookError",
            "strategy barter_python.errors:BookError: BookError has no generate_algo_orders",
        ),
    ],
)
def test_every_failure_names_the_path_and_why(path: str, why: str) -> None:
    with pytest.raises(StrategyImportError) as raised:
        strategy_class(path)
    assert str(raised.value) == why
    assert isinstance(raised.value, ImportError)


@pytest.mark.usefixtures("isolated")
def test_a_file_failing_to_import_is_chained_and_not_left_imported(tmp_path: Path) -> None:
    file = tmp_path / "broken_strategy.py"
    file.write_text("1 / 0\n")
    with pytest.raises(StrategyImportError, match="--strategy") as raised:
        strategy_class(f"{file}:S", option="--strategy")
    assert str(raised.value) == (
        f"--strategy {file}:S: importing {file} failed: ZeroDivisionError: division by zero"
    )
    assert isinstance(raised.value.__cause__, ZeroDivisionError)
    assert "broken_strategy" not in sys.modules
