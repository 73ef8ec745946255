"""Each error names what is at fault by its type: a book file raises `BookError`, barter's config
file `ConfigError`, a command line of `barter-python` `CommandLineError` (which the command
turns into `error: <message>` and status 2: `test_cli.py`, `test_backtest_cli.py`)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from barter_python import BarterPythonError, BookError, CommandLineError, ConfigError
from barter_python.backtest import BacktestConfig
from barter_python.backtest.sample import sample_config
from barter_python.book_file import read_book
from barter_python.cli import backtest as backtest_cli
from barter_python.cli import flatten as flatten_cli
from barter_python.cli.common import open_output, read_book_argument
from barter_python.cli.sweep import check_sort, parse_axes
from barter_python.instrument import ExchangeId
from barter_python.live import LiveConfig

INSTRUMENT = {"exchange": "binance_spot", "underlying": {"base": "btc", "quote": "usdt"}}


def test_the_three_are_distinct_value_errors_of_the_sdk() -> None:
    for error in (BookError, ConfigError, CommandLineError):
        assert issubclass(error, BarterPythonError) and issubclass(error, ValueError)
    for one, other in itertools.permutations((BookError, ConfigError, CommandLineError), 2):
        assert not issubclass(one, other), (one, other)


@pytest.mark.parametrize("read", [BacktestConfig.from_barter_json, LiveConfig.from_barter_json])
def test_a_bad_barter_config_file_raises_config_error(
    read: Callable[[Path], BacktestConfig | LiveConfig], tmp_path: Path
) -> None:
    path = tmp_path / "backtest_config.json"
    cases = {
        '{"system": {\n  "instruments": [}}': f"{path}:2:19: invalid JSON: Expecting value",
        "[]": f"{path}: not a barter backtest config: expected a JSON object",
        "{}": f"{path}: not a barter backtest config: 'instruments'",
        json.dumps({"instruments": [{**INSTRUMENT, "exchange": "nowhere"}]}): (
            f"{path}: not a barter backtest config: 1 validation error for "
            f"{read.__self__.__name__}\n"  # type: ignore[attr-defined]
            "instruments.0.nowhere:btc_usdt.exchange\n  Input should be 'other', "
        ),
    }
    for text, message in cases.items():
        path.write_text(text)
        with pytest.raises(ConfigError) as refused:
            read(path)
        assert str(refused.value).startswith(message), str(refused.value)
    path.write_text(json.dumps({"instruments": [INSTRUMENT]}))
    assert read(path).instruments[0].instrument == "btc_usdt"


def test_a_bad_book_file_still_raises_book_error() -> None:
    with pytest.raises(BookError, match=r"book.json:1:2: invalid JSON"):
        read_book("book.json", "[x]")


def test_command_line_problems_raise_command_line_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    btc = sample_config().instruments[0]
    one = BacktestConfig(instruments=[btc])
    negative = {(ExchangeId.BINANCE_SPOT, "usdt"): "-1"}
    problems: list[tuple[str, Callable[[], object]]] = [
        (
            "give either a BOOK file ('-' for stdin) or --sample",
            lambda: read_book_argument(None, False, None),
        ),
        (f"{missing}: no such file", lambda: read_book_argument(str(missing), False, None)),
        (f"{tmp_path}: cannot read: ", lambda: read_book_argument(str(tmp_path), False, None)),
        (f"--output {missing}/x: cannot write: ", lambda: open_output(f"{missing}/x")),
        ("--grid 'fast': not NAME=V1,V2,... (e.g. fast=5,10)", lambda: parse_axes(["fast"])),
        ("--grid fast given twice", lambda: parse_axes(["fast=1", "fast=2"])),
        ("--sort nope: not a statistic", lambda: check_sort("nope", {}, {"fast": [1]})),
        (
            "barter's InstrumentFilter is one kind",
            lambda: flatten_cli._filter(("okx",), ("btc_usdt",), []),
        ),
        ("give DATA", lambda: backtest_cli._existing(None, "DATA")),
        (f"{missing}: no such file", lambda: backtest_cli._existing(str(missing), "DATA")),
        (
            "give the market DATA file (or --sample)",
            lambda: backtest_cli._backtest_config(None, None, None),
        ),
        (
            "give either --config (barter's config file) or --book",
            lambda: backtest_cli._backtest_config("data.json", None, None),
        ),
        (
            "data.csv: a CSV needs --csv-kind trades|l1|candles",
            lambda: backtest_cli._market_data("data.csv", one, None, None, None),
        ),
        (
            "data.csv: a CSV holds one instrument: give --exchange and --instrument",
            lambda: backtest_cli._market_data("data.csv", sample_config(), "trades", None, None),
        ),
        (
            "invalid option: balances: ",
            lambda: backtest_cli._override(sample_config(), negative, None, None),
        ),
    ]
    for message, call in problems:
        with pytest.raises(CommandLineError) as refused:
            call()
        assert str(refused.value).startswith(message), (message, str(refused.value))
