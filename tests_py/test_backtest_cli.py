"""`barter-python backtest` as a user runs it: the installed console script in a subprocess, its
exit code, stdout and stderr (and, for a missing optional extra, the command in-process)."""

from __future__ import annotations

import csv
import glob
import io
import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from cli_results import ok, refused
from click.testing import CliRunner

from barter_python import cli
from barter_python.backtest import BacktestResult

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "backtest_sma.py"
SAMPLE = ROOT / "src/barter_python/data/backtest_sample/binance_spot_trades_l1.ndjson"
SCRIPT = Path(sys.executable).parent / "barter-python"
BARTER = sorted(glob.glob(os.path.expanduser("~/.cargo/registry/src/*/barter-0.14.0/examples")))
WALL_TIME = re.compile(r'"wall_time_s":[0-9.eE+-]+')


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, "backtest", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def book(tmp_path: Path, *names: str) -> Path:
    path = tmp_path / "book.json"
    path.write_text(
        json.dumps(
            [
                {"exchange": "binance_spot", "instrument": n, "base": n[:3], "quote": "usdt"}
                for n in names
            ]
        )
    )
    return path


def test_sample_table_has_barter_and_textbook_win_rates() -> None:
    lines = ok(run("--sample")).splitlines()
    header = next(line for line in lines if line.startswith("instrument"))
    assert re.split(r"\s{2,}", header) == [
        "instrument", "trades", "win rate", "barter win_rate", "profit factor",
        "barter profit_factor", "net pnl", "barter pnl", "sharpe",
    ]  # fmt: skip
    eth = next(line for line in lines if line.startswith("binance_spot:eth_usdt")).split()
    # 3 closed positions at the touch: 1 win, 1 loss, 1 even; barter's win_rate is the loss
    # rate (here equal to the textbook win rate; test_backtest's hand-worked case tells them apart).
    assert eth[1:4] == ["3", "0.3333", "0.3333"]
    assert lines[0].startswith("backtest: 4000 events, 2025-03-25 23:07:00 to")


def test_sample_json_validates_and_is_deterministic() -> None:
    first, second = ok(run("--sample", "--format", "json")), ok(run("--sample", "--format", "json"))
    result = BacktestResult.model_validate_json(first)
    assert result.events == 4000
    assert (result.totals.trades, result.totals.wins, result.totals.losses) == (3, 1, 1)
    # The simulated exchange fills at the touch, on Binance's tick, never at the named price.
    assert [o.average_price for o in result.orders] == [
        Decimal(p) for p in ("2059.13", "2059.05", "2059.2", "2059.2", "2058.73", "2058.94")
    ]
    assert all(o.price != o.average_price for o in result.orders)
    assert [f.side.value for f in result.fills] == ["Buy", "Sell"] * 3
    assert WALL_TIME.sub("", first) == WALL_TIME.sub("", second)  # byte for byte
    assert result.to_json() + "\n" == first


def test_sample_csv_is_the_summary_table() -> None:
    rows = list(csv.DictReader(io.StringIO(ok(run("--sample", "--format", "csv")))))
    assert [(r["exchange"], r["instrument"]) for r in rows] == [
        ("binance_spot", "btc_usdt"), ("binance_spot", "eth_usdt"), ("binance_spot", "sol_usdt")
    ]  # fmt: skip
    eth = rows[1]
    assert (eth["trades"], eth["wins"], eth["losses"]) == ("3", "1", "1")
    assert Decimal(eth["barter_win_rate"]) == Decimal(eth["loss_rate"])
    # 1 win, 1 loss, 1 even trade: the rates are wins and losses over all 3 trades.
    assert Decimal(eth["win_rate"]) == Decimal(eth["loss_rate"]) == Decimal(1) / 3
    assert rows[0]["win_rate"] == ""  # no trade: undefined, an empty cell


def test_output_file_and_plot(tmp_path: Path) -> None:
    out, png = tmp_path / "summary.json", tmp_path / "equity.png"
    result = run("--sample", "--format", "json", "--output", out, "--plot", png)
    assert ok(result) == ""
    assert BacktestResult.model_validate_json(out.read_text()).events == 4000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_example_strategy_by_path_by_module_and_as_shipped(tmp_path: Path) -> None:
    """The example file, loaded by its path or as a module from examples/, and the package's
    copy behind --sample give the same result."""
    cfg = book(tmp_path, "btc_usdt", "eth_usdt", "sol_usdt")
    given = ("--book", cfg, "--balance", "binance_spot:usdt=1000000", "--format", "json")
    by_path = ok(run(SAMPLE, *given, "--strategy", f"{EXAMPLE}:SmaCross"))
    by_module = ok(run(SAMPLE, *given, "--strategy", "backtest_sma:SmaCross", cwd=EXAMPLE.parent))
    shipped = ok(run("--sample", "--format", "json"))
    assert WALL_TIME.sub("", by_path) == WALL_TIME.sub("", by_module) == WALL_TIME.sub("", shipped)


def test_params_are_keyword_arguments() -> None:
    result = BacktestResult.model_validate_json(
        ok(run("--sample", "--format", "json", "--param", "quantity=0.5"))
    )
    assert {f.quantity for f in result.fills} == {Decimal("0.5")}
    error = refused(run("--sample", "--param", "fast=50"))
    assert "SmaCross(fast=50) failed: ValueError: need 0 < fast < slow" in error
    error = refused(run("--sample", "--param", "speed=1"))
    assert "unexpected keyword argument 'speed'" in error


def test_csv_data_with_a_book_balance_fees_and_interval(tmp_path: Path) -> None:
    rows = ["time,price,amount,side"] + [
        f"{1_700_000_000_000 + 1000 * i},{100 + (i // 20) % 2 * 5 + i % 3},1,Buy"
        for i in range(600)
    ]
    data = tmp_path / "trades.csv"
    data.write_text("\n".join(rows) + "\n")
    args: list[str | Path] = [
        "--book",
        book(tmp_path, "sol_usdt"),
        "--strategy",
        f"{EXAMPLE}:SmaCross",
    ]
    args += ["--param", "instrument=sol_usdt", "--param", "bar_seconds=1"]
    args += ["--balance", "binance_spot:usdt=100000", "--fees", "0.001"]
    args += ["--interval", "annual_365", "--format", "json"]
    result = BacktestResult.model_validate_json(ok(run(data, "--csv-kind", "trades", *args)))
    assert result.events == 600 and result.interval == "Annual(365)"
    assert result.totals.trades > 0 and result.totals.fees > 0
    assert "--csv-kind" in refused(run(data, *args))


def test_bad_data_names_file_and_line(tmp_path: Path) -> None:
    data = tmp_path / "bad.ndjson"
    lines = SAMPLE.read_text().splitlines()[:5]
    lines[2] = '{"Item": {"bogus": 1}}'
    data.write_text("\n".join(lines) + "\n")
    cfg = book(tmp_path, "btc_usdt", "eth_usdt", "sol_usdt")
    error = refused(run(data, "--book", cfg, "--strategy", f"{EXAMPLE}:SmaCross"))
    assert error.startswith(f"error: {data}:3:")


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ("examples/no_such_file.py:SmaCross", "examples/no_such_file.py"),
        ("no_such_module:SmaCross", "No module named 'no_such_module'"),
        (f"{EXAMPLE}:NoSuchClass", "has no 'NoSuchClass'"),
        ("SmaCross", "not MODULE:CLASS"),
    ],
)
def test_unknown_strategy_names_it(tmp_path: Path, spec: str, named: str) -> None:
    cfg = book(tmp_path, "btc_usdt", "eth_usdt", "sol_usdt")
    error = refused(run(SAMPLE, "--book", cfg, "--strategy", spec, cwd=ROOT))
    assert error.startswith(f"error: --strategy {spec.rpartition(':')[0] or spec}")
    assert named in error


def test_a_strategy_that_raises_exits_2_naming_the_event(tmp_path: Path) -> None:
    module = tmp_path / "boom.py"
    module.write_text(
        "from barter_python.engine import DefaultStrategy, EngineStateView, Requests\n"
        "class Boom(DefaultStrategy):\n"
        "    def generate_algo_orders(self, state: EngineStateView) -> Requests:\n"
        "        raise KeyError('oops')\n"
    )
    error = refused(run("--sample", "--strategy", f"{module}:Boom"))
    assert re.fullmatch(
        r"error: the backtest stopped at market event 0: 'oops' \(KeyError, at "
        r"2025-03-25T\d\d:\d\d:[\d.]+Z\)\n"
        + re.escape(f"  {module}:4: in generate_algo_orders: raise KeyError('oops')\n"),
        error,
    ), error


def test_a_strategy_failing_inside_the_sdk_is_reported_at_the_users_line(tmp_path: Path) -> None:
    """The last frame of the traceback in the user's code: not the SDK's `market_order`, nor
    the standard library's `json`, where the exception was raised."""
    module = tmp_path / "bad.py"
    module.write_text(
        "import json\n"
        "from barter_python.engine import (DefaultStrategy, EngineStateView, Requests,\n"
        "                                  market_order)\n"
        "class Bad(DefaultStrategy):\n"
        "    calls = 0\n"
        "    def generate_algo_orders(self, state: EngineStateView) -> Requests:\n"
        "        self.calls += 1\n"
        "        if self.calls == 1:\n"
        "            return [], [market_order('binance_spot', 'btc_usdt', 'Buy', 1, 1)]\n"
        "        return json.loads('{')\n"
    )
    error = refused(run("--sample", "--strategy", f"{module}:Bad"))
    assert error.startswith("error: the backtest stopped at market event 0: market_order() ")
    assert re.search(r"\(TypeError, at [\dT:.Z-]+\)\n", error), error
    assert error.endswith(
        f"Z)\n  {module}:9: in generate_algo_orders: "
        "return [], [market_order('binance_spot', 'btc_usdt', 'Buy', 1, 1)]\n"
    )
    module.write_text(module.read_text().replace("self.calls == 1", "False"))
    error = refused(run("--sample", "--strategy", f"{module}:Bad"))
    assert "(JSONDecodeError, at " in error, error
    assert error.endswith(f"Z)\n  {module}:10: in generate_algo_orders: return json.loads('{{')\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sample", str(SAMPLE)], "--sample brings its own data"),
        ([str(SAMPLE), "--strategy", "x:Y"], "give either --config"),
        ([str(SAMPLE), "--config", "missing.json", "--strategy", "x:Y"], "missing.json: no such"),
        (["x.json", "--config", str(SAMPLE), "--strategy", "x:Y"], ":2:1: invalid JSON"),
        (["--sample", "--fees", "abc"], "fees_percent"),
        (["--sample", "--balance", "binance_spot:usdt=-1"], "must be >= 0"),
    ],
)
def test_bad_options(args: list[str], message: str) -> None:
    assert message in refused(run(*args))


def test_bad_config_and_missing_data(tmp_path: Path) -> None:
    cfg = book(tmp_path, "btc_usdt")
    error = refused(run(SAMPLE, "--config", cfg, "--strategy", "x:Y"))
    assert error == f"error: {cfg}: not a barter backtest config: expected a JSON object\n"
    barter = tmp_path / "backtest_config.json"
    instrument = {"exchange": "binance_spot", "underlying": {"base": "btc", "quote": "usdt"}}
    barter.write_text(json.dumps({"system": {"instruments": [instrument]}}))
    missing = tmp_path / "missing.json"
    error = refused(run(missing, "--config", barter, "--strategy", f"{EXAMPLE}:SmaCross"))
    assert error == f"error: {missing}: no such file\n"


def test_usage_errors_exit_2() -> None:
    for args in (["--sample", "--param", "x"], ["--sample", "--balance", "nowhere:usdt=1"]):
        result = run(*args)
        assert result.returncode == 2 and result.stdout == ""


def test_missing_plot_extra_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib: ImportError
    result = CliRunner().invoke(cli.main, ["backtest", "--sample", "--plot", str(tmp_path / "p")])
    assert result.exit_code == 2
    assert "pip install 'barter-python[plot]'" in result.output
    assert not (tmp_path / "p").exists()


@pytest.mark.skipif(not BARTER, reason="barter's crate sources are not in ~/.cargo/registry")
def test_barters_own_example_files_run_unchanged() -> None:
    examples = Path(BARTER[-1])
    result = run(
        examples / "data/binance_spot_trades_l1_btcusdt_ethusdt_solusdt.json",
        "--config", examples / "config/backtest_config.json",
        "--strategy", f"{EXAMPLE}:SmaCross",
        "--param", "instrument=btc_usdt", "--param", "quantity=0.01",
        "--format", "json",
    )  # fmt: skip
    summary = BacktestResult.model_validate_json(ok(result))
    assert summary.events == 50_000
    assert summary.risk_free_return == Decimal("0.05")
    assert summary.totals.trades > 0
    assert summary.instruments[0].barter.win_rate == summary.instruments[0].stats.loss_rate


def without_wall_time(text: str) -> list[list[str]]:
    return [row[:-1] for row in csv.reader(io.StringIO(text))]


def test_a_grid_sweep_on_a_process_pool_sorted_by_a_statistic() -> None:
    result = run(
        "--sample", "--grid", "fast=2,3", "--grid", "slow=8,13", "--workers", "2",
        "--format", "csv", "--sort", "net_pnl",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert sorted(row["id"] for row in rows) == [
        "fast=2,slow=13", "fast=2,slow=8", "fast=3,slow=13", "fast=3,slow=8"
    ]  # fmt: skip
    pnls = [Decimal(row["net_pnl"]) for row in rows]
    assert pnls == sorted(pnls, reverse=True)
    sequential = run("--sample", "--grid", "fast=2,3", "--grid", "slow=8,13", "--format", "csv")
    assert without_wall_time(sequential.stdout) == without_wall_time(result.stdout)
    # A fixed param that alone would not build the class (slow defaults to 10 < fast).
    fixed = run("--sample", "--param", "fast=20", "--grid", "slow=30,50", "--format", "csv")
    assert len(list(csv.DictReader(io.StringIO(ok(fixed))))) == 2
    table = run("--sample", "--grid", "fast=2,3")
    assert table.returncode == 0 and "barter_sharpe_ratio" in table.stdout.splitlines()[0]


def test_a_sweep_whose_every_run_failed_exits_2_listing_the_failures() -> None:
    error = refused(run("--sample", "--grid", "fastt=2,3"))
    unexpected = "TypeError: SmaCross.__init__() got an unexpected keyword argument 'fastt'"
    assert error == (
        "error: every run of the sweep failed (2):\n"
        f"  fastt=2: {unexpected}\n"
        f"  fastt=3: {unexpected}\n"
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (("--grid", "fast"), "--grid 'fast': not NAME=V1,V2"),
        (("--grid", "fast=2", "--grid", "fast=3"), "--grid fast given twice"),
        (("--grid", "fast=2", "--sort", "nope"), "--sort nope: not a statistic"),
        (("--grid", "fast=2", "--sort", "id"), "--sort id: not a statistic"),
    ],
)
def test_bad_grid_options_exit_2(args: tuple[str, ...], message: str) -> None:
    assert message in refused(run("--sample", *args))


def test_barter_mock_keeps_todays_results() -> None:
    """`--execution barter_mock` is barter-execution's MockExchange as before the simulated
    exchange: the sample's numbers of main at 210e9e6 (2 wins, 1 loss on eth), every fill at
    the price its order named."""
    text = ok(run("--sample", "--execution", "barter_mock", "--format", "json"))
    result = BacktestResult.model_validate_json(text)
    assert result.exchange == "barter_mock"
    assert (result.totals.trades, result.totals.wins, result.totals.losses) == (3, 2, 1)
    assert [f.side.value for f in result.fills] == ["Buy", "Sell"] * 3
    assert [o.average_price for o in result.orders] == [o.price for o in result.orders]
    assert [f.price for f in result.fills] == [o.price for o in result.orders]
    assert {o.status for o in result.orders} == {"filled"}
    table = ok(run("--sample", "--execution", "barter_mock")).splitlines()
    eth = next(line for line in table if line.startswith("binance_spot:eth_usdt")).split()
    assert eth[1:4] == ["3", "0.6667", "0.3333"]


def test_slippage_moves_every_taker_fill_against_it() -> None:
    """`--slippage BPS` is the simulated exchange's `slippage_bps`: a Buy fills that many basis
    points above the touch, a Sell below; barter's mock has none."""
    plain = BacktestResult.model_validate_json(ok(run("--sample", "--format", "json")))
    slipped = BacktestResult.model_validate_json(
        ok(run("--sample", "--slippage", "10", "--format", "json"))
    )
    assert len(plain.fills) == len(slipped.fills) > 0
    for before, after in zip(plain.fills, slipped.fills, strict=True):
        bps = Decimal(10) / 10_000 * (1 if before.side.value == "Buy" else -1)
        assert after.price == before.price * (1 + bps), (before, after)
    error = refused(run("--sample", "--slippage", "10", "--execution", "barter_mock"))
    assert "--slippage is the simulated exchange's" in error
    assert "slippage_bps" in refused(run("--sample", "--slippage", "-1"))
