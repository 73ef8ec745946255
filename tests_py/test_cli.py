"""`barter-python flatten` as a user runs it: a subprocess, its exit code, stdout and stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from barter_python import OrderRequestOpen, Side

pytestmark = pytest.mark.slow

HEADER = "exchange,instrument,base,quote,price,side,quantity,price_entry_average\n"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "barter_python", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def test_sample_table() -> None:
    result = run("flatten", "--sample", "--format", "table")
    assert result.returncode == 0, result.stderr
    for column in ("exchange", "instrument", "side", "quantity", "price", "notional", "cid"):
        assert column in result.stdout
    assert "binance_spot" in result.stdout and "kraken" in result.stdout
    assert result.stderr.startswith("9 orders for 9 open positions in 12 instruments")
    assert "124760.95000 usdt" in result.stderr


def test_jsonl_is_barter_json_and_cid_prefix_is_deterministic() -> None:
    result = run("flatten", "--sample", "--format", "jsonl", "--cid-prefix", "P")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    orders = [OrderRequestOpen.from_json(line) for line in lines]
    assert [order.to_json() for order in orders] == lines
    assert [str(order.key.cid) for order in orders] == [f"P-{n:04d}" for n in range(1, 10)]
    assert orders[0].key.instrument == "btc_usdt"
    assert orders[0].state.side is Side.SELL


def test_not_a_terminal_defaults_to_jsonl_and_json_is_an_array(tmp_path: Path) -> None:
    default = run("flatten", "--sample")
    assert all(line.startswith('{"key":') for line in default.stdout.splitlines())
    out = tmp_path / "orders.json"
    result = run("flatten", "--sample", "--format", "json", "--output", str(out))
    assert result.returncode == 0 and result.stdout == ""
    array = json.loads(out.read_text())
    assert len(array) == 9
    assert OrderRequestOpen.from_json(json.dumps(array[0], separators=(",", ":"))).key.cid


def test_filters_and_strategy(tmp_path: Path) -> None:
    result = run("flatten", "--sample", "--exchange", "kraken", "--strategy", "desk-7")
    orders = [OrderRequestOpen.from_json(line) for line in result.stdout.splitlines()]
    assert {order.key.exchange.value for order in orders} == {"kraken"}
    assert {str(order.key.strategy) for order in orders} == {"desk-7"}
    by_pair = run("flatten", "--sample", "--underlying", "btc/usdt")
    assert len(by_pair.stdout.splitlines()) == 2  # binance_spot and okx
    by_name = run("flatten", "--sample", "--instrument", "eth_usd", "--instrument", "dot_usd")
    assert len(by_name.stdout.splitlines()) == 2


def test_csv_book_from_stdin() -> None:
    book = HEADER + "okx,btc_usdt,btc,usdt,100.5,Sell,2,99\nokx,eth_usdt,eth,usdt,10,,,\n"
    result = run("flatten", "-", "--cid-prefix", "x", stdin=book)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert line == (
        '{"key":{"exchange":"okx","instrument":"btc_usdt","strategy":"flatten","cid":"x-0001"},'
        '"state":{"side":"Buy","price":"100.5","quantity":"2","kind":"Market",'
        '"time_in_force":"ImmediateOrCancel"}}'
    )


def test_empty_books() -> None:
    for args, stdin in [(("-",), "[]"), (("-", "--input-format", "csv"), HEADER)]:
        result = run("flatten", *args, stdin=stdin)
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        assert result.stderr.startswith("0 orders for 0 open positions in 0 instruments")


@pytest.mark.parametrize(
    "content, expected",
    [
        (
            HEADER + "okx,btc_usdt,btc,usdt,100,Buy,1,\nokx,eth_usdt,eth,usdt,-5,,,\n",
            "book.csv: row 1 (line 3): price: price must be > 0, got -5",
        ),
        (
            HEADER + "okx,btc_usdt,btc,usdt,100,Hold,1,\n",
            "book.csv: row 0 (line 2): position.side: Input should be 'Buy' or 'Sell'",
        ),
        (
            HEADER + "okx,btc_usdt,btc,usdt,100,Buy,,\n",
            "book.csv: row 0 (line 2): position.quantity: Field required",
        ),
        (
            HEADER + "nowhere,btc_usdt,btc,usdt,100,,,\n",
            "book.csv: row 0 (line 2): exchange: Input should be",
        ),
        ("exchange,instrument\nokx,btc\n", "book.csv: CSV header must be"),
    ],
)
def test_bad_csv_row_exits_2_naming_row_and_field(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "book.csv"
    path.write_text(content)
    result = run("flatten", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert expected in result.stderr.replace(str(tmp_path) + "/", "")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "book, expected",
    [
        ('[{"exchange": "okx"}]', "<stdin>: item 0: instrument: Field required"),
        ("{", "<stdin>: invalid JSON"),
        ('{"a": 1}', "expected a JSON array"),
        (
            '[{"exchange":"okx","instrument":"a","base":"a","quote":"b","price":"1.5"},'
            '{"exchange":"okx","instrument":"c","base":"c","quote":"b","price":true}]',
            "<stdin>: item 1: price: price must be a Decimal",
        ),
    ],
)
def test_bad_json_exits_2(book: str, expected: str) -> None:
    result = run("flatten", "-", stdin=book)
    assert result.returncode == 2
    assert result.stdout == ""
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_price_exits_2_and_suggests_skip() -> None:
    book = HEADER + "okx,btc_usdt,btc,usdt,,Buy,1,\nokx,eth_usdt,eth,usdt,5,Sell,1,\n"
    result = run("flatten", "-", stdin=book)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "'btc_usdt' on exchange 'okx'" in result.stderr
    assert "--on-missing-price skip" in result.stderr
    skipped = run("flatten", "-", "--on-missing-price", "skip", stdin=book)
    assert skipped.returncode == 0
    assert len(skipped.stdout.splitlines()) == 1
    assert "1 skipped for want of a price" in skipped.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--sample", "--exchange", "nowhere"),
        ("--sample", "--underlying", "btc"),
        ("--sample", "--exchange", "okx", "--instrument", "btc_usdt"),
        ("--sample", "--instrument", "nope_usdt"),
        ("does-not-exist.json",),
        (),
    ],
)
def test_bad_arguments_exit_2(args: tuple[str, ...]) -> None:
    result = run("flatten", *args)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_duplicate_instrument_exits_2() -> None:
    book = HEADER + "okx,btc_usdt,btc,usdt,1,,,\nokx,btc_usdt,btc,usdt,2,,,\n"
    result = run("flatten", "-", stdin=book)
    assert result.returncode == 2
    assert "appears twice (items 0 and 1)" in result.stderr
