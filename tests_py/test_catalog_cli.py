"""`barter-python data import|ls` and `barter-python backtest --catalog` as a user runs them:
the installed console script in a subprocess, its exit code, stdout and stderr."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from catalog_files import tardis_files
from cli_results import ok, refused

from barter_python.backtest import BacktestResult, backtest
from barter_python.backtest.sample import SmaCross, sample_config, sample_data
from barter_python.market import Catalog

pytestmark = pytest.mark.slow

SCRIPT = Path(sys.executable).parent / "barter-python"
WALL_TIME = re.compile(r'"wall_time_s":[0-9.eE+-]+')


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SCRIPT, *map(str, args)], capture_output=True, text=True, check=False)


def test_import_tardis_then_ls(tmp_path: Path) -> None:
    trades, quotes = tardis_files(tmp_path)
    root = tmp_path / "catalog"
    symbols = ["--symbol", "BTCUSDT=btc_usdt", "--symbol", "ETHUSDT=eth_usdt"]
    result = run("data", "import", "tardis", trades, "--catalog", root, *symbols)
    assert ok(result) == f"4 day files, 12 events in {root}\n"
    assert "checking [" in result.stderr and "writing  [" in result.stderr
    assert "1/1 files" in result.stderr
    result = run("data", "import", "tardis", quotes, "--catalog", root, *symbols, "--order", "sort")
    assert ok(result) == f"4 day files, 12 events in {root}\n"
    listing = ok(run("data", "ls", root)).splitlines()
    assert listing[0].split() == [
        "exchange",
        "instrument",
        "kind",
        "date",
        "events",
        "first",
        "last",
        "bytes",
    ]
    assert listing[1].split()[:5] == ["binance_spot", "btc_usdt", "l1", "2024-03-01", "3"]
    assert listing[-1] == "8 files"
    assert len(Catalog(root).entries()) == 8


def test_import_binance_needs_its_options_and_fails_whole(tmp_path: Path) -> None:
    good = tmp_path / "a.csv"
    good.write_text("1,65000.1,0.5,1,1,1709337600000,true,true\n")
    bad = tmp_path / "b.csv"
    bad.write_text("2,65000.1,0.5,2,2,1709337600001,maybe,true\n")
    root = tmp_path / "c"
    assert "give --kind and --instrument" in refused(
        run("data", "import", "binance", good, "--catalog", root)
    )
    message = refused(
        run(
            "data",
            "import",
            "binance",
            good,
            bad,
            "--catalog",
            root,
            "--kind",
            "agg_trades",
            "--instrument",
            "btc_usdt",
        )
    )
    assert "b.csv:1" in message
    assert not root.exists() or not list(root.rglob("*.parquet"))
    assert "no such file" in refused(
        run("data", "import", "binance", tmp_path / "nope.csv", "--catalog", root)
    )
    assert "no such folder" in refused(run("data", "ls", tmp_path / "missing"))
    (tmp_path / "file").write_text("")
    assert "the catalog root is a file" in refused(
        run(
            "data",
            "import",
            "binance",
            good,
            "--catalog",
            tmp_path / "file",
            "--kind",
            "agg_trades",
            "--instrument",
            "btc_usdt",
        )
    )


def test_backtest_a_catalog_streaming(tmp_path: Path) -> None:
    root = tmp_path / "catalog"
    Catalog(root).write(sample_data())
    book = tmp_path / "book.json"
    book.write_text(json.dumps([i.model_dump(mode="json") for i in sample_config().instruments]))
    common: list[str | Path] = [
        "backtest",
        "--catalog",
        root,
        "--book",
        book,
        "--balance",
        "binance_spot:usdt=1000000",
        "--strategy",
        "barter_python.backtest.sample:SmaCross",
        "--format",
        "json",
    ]
    start, end = "2025-03-25T23:07:00Z", "2025-03-25T23:09:00Z"
    result = run(
        *common,
        "--start",
        start,
        "--end",
        end,
        "--instrument",
        "binance_spot:btc_usdt",
        "--instrument",
        "eth_usdt",
    )
    streamed = BacktestResult.model_validate_json(ok(result))
    query = Catalog(root).query(
        instruments=["btc_usdt", "eth_usdt"],
        start=datetime.fromisoformat(start),
        end=datetime.fromisoformat(end),
    )
    loaded = backtest(SmaCross(), query.load(), sample_config())
    assert streamed.events == len(query) > 0
    assert streamed.orders_sent > 0
    assert WALL_TIME.sub("", streamed.to_json()) == WALL_TIME.sub("", loaded.to_json())
    assert "--start 'x'" in refused(run(*common, "--start", "x"))
    assert "which holds" in refused(run(*common, "--instrument", "xrp_usdt"))
    assert "no such folder" in refused(run(*common[:2], tmp_path / "none", *common[3:]))
