"""`barter-python flatten` as a user runs it: the installed console script in a subprocess, its
exit code, stdout and stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import barter_python
from barter_python import OrderRequestOpen, Side
from barter_python.book_file import read_book, sample_book_text

pytestmark = pytest.mark.slow

HEADER = "exchange,instrument,base,quote,price,side,quantity,price_entry_average\n"
SCRIPT = Path(sys.executable).parent / "barter-python"


def run(*args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess[str]:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    result = subprocess.run([SCRIPT, *args], input=data, capture_output=True, check=False)
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode(), result.stderr.decode()
    )


def refused(result: subprocess.CompletedProcess[str]) -> str:
    """The error message of a run that must fail as a user error: exit 2, nothing on stdout."""
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    return result.stderr


def test_sample_table() -> None:
    result = run("flatten", "--sample", "--format", "table")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "exchange", "instrument", "side", "quantity", "price", "notional", "cid"
    ]  # fmt: skip
    assert len(lines) == 10  # the header and 9 orders
    assert lines[1].split()[:6] == [
        "binance_spot",
        "btc_usdt",
        "Sell",
        "0.75",
        "43250.50",
        "32437.875",
    ]
    assert result.stderr == (
        "9 orders for 9 open positions in 12 instruments; "
        "notional: 74682.465 usd, 9203.2 usdc, 124760.950 usdt\n"
    )


def test_notionals_share_the_decimals_of_their_quote() -> None:
    """Each quote's notionals (and their total) have as many decimals as the most precise one,
    padded, never rounded: 32437.875 and 29526 print as 32437.875 and 29526.000."""
    result = run("flatten", "--sample", "--format", "table")
    usdt = [line.split()[5] for line in result.stdout.splitlines()[1:] if line.split()[6] == "usdt"]
    assert usdt == ["32437.875", "28765.625", "29526.000", "21624.950", "12406.500"]


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


def test_filters_and_strategy() -> None:
    result = run("flatten", "--sample", "--exchange", "kraken", "--strategy", "desk-7")
    orders = [OrderRequestOpen.from_json(line) for line in result.stdout.splitlines()]
    assert {order.key.exchange.value for order in orders} == {"kraken"}
    assert {str(order.key.strategy) for order in orders} == {"desk-7"}
    by_pair = run("flatten", "--sample", "--underlying", "btc/usdt")
    assert len(by_pair.stdout.splitlines()) == 2  # binance_spot and okx
    by_name = run("flatten", "--sample", "--instrument", "eth_usd", "--instrument", "dot_usd")
    assert len(by_name.stdout.splitlines()) == 2


def test_exchange_option_in_any_case_and_summary_counts_the_selection() -> None:
    result = run("flatten", "--sample", "--exchange", "KRAKEN")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 3
    assert result.stderr == (
        "3 orders for 3 open positions in 4 of 12 instruments (filtered); notional: 74682.465 usd\n"
    )


def test_summary_grammar_and_quiet() -> None:
    book = HEADER + "okx,btc_usdt,btc,usdt,100.5,Sell,2,99\nokx,eth_usdt,eth,usdt,10,,,\n"
    result = run("flatten", "-", stdin=book)
    assert result.stderr == ("1 order for 1 open position in 2 instruments; notional: 201 usdt\n")
    quiet = run("flatten", "-", "--quiet", stdin=book)
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert quiet.stdout.count("\n") == 1


def test_one_asset_whatever_its_case() -> None:
    """barter's asset names are lowercase: `USDT` and `usdt` are one asset in the summary."""
    book = HEADER + "okx,BTC_USDT,BTC,USDT,100,Buy,1,\nokx,eth_usdt,eth,usdt,10,Sell,2,\n"
    result = run("flatten", "-", stdin=book)
    assert result.returncode == 0, result.stderr
    assert result.stderr.endswith("notional: 120 usdt\n")


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


def test_csv_with_byte_order_mark_and_without_entry_price_column() -> None:
    book = (
        "\ufeffexchange,instrument,base,quote,price,side,quantity\nokx,btc_usdt,btc,usdt,5,Buy,1\n"
    )
    result = run("flatten", "-", stdin=book.encode("utf-8"))
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1


def test_empty_books() -> None:
    for args, stdin in [(("-",), "[]"), (("-", "--input-format", "csv"), HEADER)]:
        result = run("flatten", *args, stdin=stdin)
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        assert result.stderr.startswith("0 orders for 0 open positions in 0 instruments")


def test_empty_input_says_so() -> None:
    for stdin in ["", "\n  \n", "\ufeff"]:
        message = refused(run("flatten", "-", stdin=stdin))
        assert message.startswith("error: <stdin>: empty input")
        assert "missing" not in message


@pytest.mark.parametrize(
    "content, expected",
    [
        (
            HEADER + "okx,btc_usdt,btc,usdt,100,Buy,1,\nokx,sol_usdt,sol,usdt\n",
            "book.csv:3: 4 fields, the header has 8 (missing cells)",
        ),
        (
            HEADER + "okx,btc_usdt,btc,usdt,100,Buy,1,,extra\n",
            "book.csv:2: 9 fields, the header has 8 (extra cells)",
        ),
        (
            HEADER + "okx,btc_usdt,btc,usdt,100,Buy,1,\nokx,eth_usdt,eth,usdt,-5,,,\n",
            "book.csv:3: price: must be > 0, got -5",
        ),
        (
            HEADER + "okx,btc_usdt,btc,usdt,100,Hold,1,\n",
            "book.csv:2: side: Input should be 'Buy' or 'Sell', got 'Hold'",
        ),
        (
            HEADER + "okx,btc_usdt,btc,usdt,100,Buy,,\n",
            "book.csv:2: quantity: Field required",
        ),
        (
            HEADER + "nowhere,btc_usdt,btc,usdt,100,,,\n",
            "book.csv:2: exchange: Input should be",
        ),
        ("exchange,instrument\nokx,btc\n", "book.csv:1: CSV header must be"),
        (HEADER.strip() + ",price\n", "repeated: price"),
    ],
)
def test_bad_csv_exits_2_naming_file_line_and_field(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "book.csv"
    path.write_text(content)
    message = refused(run("flatten", str(path))).replace(str(tmp_path) + "/", "")
    assert expected in message
    assert "price: price" not in message


def test_a_quoted_multiline_cell_counts_its_lines() -> None:
    book = HEADER + 'okx,"btc\n_usdt",btc,usdt,100,Buy,1,\nokx,eth_usdt,eth,usdt,0,,,\n'
    assert "<stdin>:4: price: must be > 0" in refused(run("flatten", "-", stdin=book))


def test_every_problem_at_once_up_to_a_limit() -> None:
    rows = [f"okx,c{i}_usdt,c{i},usdt,-{i + 1},,,\n" for i in range(30)]
    message = refused(run("flatten", "-", stdin=HEADER + "".join(rows)))
    lines = message.splitlines()
    assert lines[0] == "error: <stdin>: 30 problems:"
    assert lines[1] == "<stdin>:2: price: must be > 0, got -1"
    assert lines[20] == "<stdin>:21: price: must be > 0, got -20"
    assert lines[21] == "... and 10 more"
    assert len(lines) == 22


def test_duplicate_instrument_names_both_lines() -> None:
    rows = [f"okx,c{i}_usdt,c{i},usdt,1,,,\n" for i in range(1000)]
    rows.append("OKX,C0_USDT,c0,usdt,2,,,\n")
    message = refused(run("flatten", "-", stdin=HEADER + "".join(rows)))
    assert message == (
        "error: <stdin>:1002: instrument 'c0_usdt' on exchange 'okx' appears again "
        "(first on line 2)\n"
    )


@pytest.mark.parametrize(
    "book, expected",
    [
        ('[{"exchange": "okx"}]', "<stdin>:1: item 1: instrument: Field required"),
        ("{", "<stdin>:1:2: invalid JSON"),
        ('[{"exchange": "okx",\n "base": ]', "<stdin>:2:10: invalid JSON"),
        ("[1] [2]", "<stdin>:1:5: invalid JSON: extra data"),
        ('{"a": 1}', "expected a JSON array"),
        (
            '[{"exchange":"okx","instrument":"a","base":"a","quote":"b","price":"1.5"},\n'
            ' {"exchange":"okx","instrument":"c","base":"c","quote":"b","price":true}]',
            "<stdin>:2: item 2: price: must be a Decimal, int, float or numeric str, got bool True",
        ),
    ],
)
def test_bad_json_exits_2_naming_line(book: str, expected: str) -> None:
    assert expected in refused(run("flatten", "-", stdin=book))


def test_missing_prices_name_file_and_line_and_suggest_skip(tmp_path: Path) -> None:
    path = tmp_path / "book.csv"
    path.write_text(
        HEADER
        + "okx,btc_usdt,btc,usdt,,Buy,1,\nokx,eth_usdt,eth,usdt,5,Sell,1,\n"
        + "kraken,sol_usd,sol,usd,,Sell,3,\n"
    )
    message = refused(run("flatten", str(path))).replace(str(tmp_path) + "/", "")
    assert message.splitlines() == [
        "error: book.csv: 2 open positions without a price:",
        "book.csv:2: instrument 'btc_usdt' on exchange 'okx' has an open position but no price",
        "book.csv:4: instrument 'sol_usd' on exchange 'kraken' has an open position but no price",
        "(give them a price, or pass --on-missing-price skip to leave them open)",
    ]
    skipped = run("flatten", str(path), "--on-missing-price", "skip")
    assert skipped.returncode == 0
    assert len(skipped.stdout.splitlines()) == 1
    assert "2 skipped for want of a price" in skipped.stderr


def test_missing_file_and_unwritable_output_exit_2(tmp_path: Path) -> None:
    assert refused(run("flatten", "no-such-book.csv")) == "error: no-such-book.csv: no such file\n"
    target = tmp_path / "missing-dir" / "orders.jsonl"
    message = refused(run("flatten", "--sample", "--output", str(target)))
    assert message == f"error: --output {target}: cannot write: No such file or directory\n"


@pytest.mark.parametrize(
    "args",
    [
        ("--sample", "--exchange", "nowhere"),
        ("--sample", "--underlying", "btc"),
        ("--sample", "--exchange", "okx", "--instrument", "btc_usdt"),
        ("--sample", "--instrument", "nope_usdt"),
        (),
    ],
)
def test_bad_arguments_exit_2(args: tuple[str, ...]) -> None:
    refused(run("flatten", *args))


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout == f"barter-python, version {barter_python.__version__}\n"
    assert barter_python.__version__ == "0.1.0"


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_print_sample_is_a_template_for_the_same_book(tmp_path: Path, fmt: str) -> None:
    result = run("flatten", "--print-sample", fmt)
    assert result.returncode == 0
    assert result.stdout == sample_book_text(fmt)  # type: ignore[arg-type]
    path = tmp_path / f"book.{fmt}"
    path.write_text(result.stdout)
    from_file = run("flatten", str(path), "--cid-prefix", "s")
    from_sample = run("flatten", "--sample", "--cid-prefix", "s")
    assert from_file.stdout == from_sample.stdout and from_file.stdout
    assert read_book("a", sample_book_text("csv")).snapshots == (
        read_book("b", sample_book_text("json")).snapshots
    )


def test_large_table_has_one_line_per_order() -> None:
    rows = [f"okx,c{i}_usdt,c{i},usdt,1.{i},Buy,{i + 1},\n" for i in range(5000)]
    result = run("flatten", "-", "--format", "table", stdin=HEADER + "".join(rows))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 5001
    assert len({len(line) for line in lines[1:]}) == 1  # aligned: every order equally wide


def test_duplicates_on_one_line_of_json_are_named() -> None:
    book = (
        '[{"exchange":"okx","instrument":"btc_usdt","base":"btc","quote":"usdt"},'
        '{"exchange":"okx","instrument":"BTC_USDT","base":"btc","quote":"usdt"}]'
    )
    message = refused(run("flatten", "-", stdin=book))
    assert "<stdin>:1: item 2: instrument 'btc_usdt' on exchange 'okx' appears again" in message


def test_a_native_panic_exits_2_with_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """PyO3 raises a Rust panic as `PanicException`, a BaseException: the CLI names it an
    internal failure and exits 2, without a traceback (every known panic is fixed at its
    source; this is the last guard)."""
    import click
    from click.testing import CliRunner

    import barter_python.cli as cli
    import barter_python.cli.flatten as flatten_command

    panic = type("PanicException", (BaseException,), {})

    def explode() -> None:
        raise panic("attempt to divide by zero")

    monkeypatch.setattr(flatten_command, "flatten", click.Command("flatten", callback=explode))
    result = CliRunner().invoke(cli.main, ["flatten"])
    assert result.exit_code == 2
    assert "internal failure stopped the command" in result.output
    assert "attempt to divide by zero" in result.output and "Traceback" not in result.output
