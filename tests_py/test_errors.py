"""Each error names what is at fault by its type: a book file raises `BookError`, barter's config
file `ConfigError`."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from barter_python import BarterPythonError, BookError, ConfigError
from barter_python.backtest import BacktestConfig
from barter_python.book_file import read_book
from barter_python.live import LiveConfig

INSTRUMENT = {"exchange": "binance_spot", "underlying": {"base": "btc", "quote": "usdt"}}


def test_the_three_are_distinct_value_errors_of_the_sdk() -> None:
    for error in (BookError, ConfigError):
        assert issubclass(error, BarterPythonError) and issubclass(error, ValueError)
    for one, other in itertools.permutations((BookError, ConfigError), 2):
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
            f"{path}: not a barter backtest config: 1 validation error for BacktestConfig\n"
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
