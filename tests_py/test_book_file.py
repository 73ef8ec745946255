"""The native CSV reader against an independent reading of the same text: Python's `csv` module
and the Pydantic model, one row at a time. Both must accept the same rows with the same values
and refuse the same rows with the same words, line for line."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from barter_python import InstrumentSnapshot, _native
from barter_python.book_file import read_book
from barter_python.errors import BookError

HEADER = "exchange,instrument,base,quote,price,side,quantity,price_entry_average"
COLUMNS = HEADER.split(",")


def reference(source: str, text: str) -> tuple[list[InstrumentSnapshot], list[int], list[str]]:
    """The book as Python's `csv` module and the model read it: snapshots, lines, problems."""
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip() for cell in next(reader)]
    snapshots: list[InstrumentSnapshot] = []
    lines: list[int] = []
    problems: list[str] = []
    first: dict[tuple[Any, str], int] = {}
    end = reader.line_num
    for row in reader:
        line, end = end + 1, reader.line_num
        if not row:
            continue
        where = f"{source}:{line}: "
        if len(row) != len(header):
            kind = "missing cells" if len(row) < len(header) else "extra cells"
            problems.append(f"{where}{len(row)} fields, the header has {len(header)} ({kind})")
            continue
        cells = {k: v.strip() for k, v in zip(header, row, strict=True) if v.strip()}
        item: dict[str, Any] = {k: cells[k] for k in COLUMNS[:5] if k in cells}
        position = {k: cells[k] for k in COLUMNS[5:] if k in cells}
        if position:  # a missing instrument is reported once, on the instrument
            item["position"] = {"instrument": cells.get("instrument", "x"), **position}
        try:
            snapshot = InstrumentSnapshot.model_validate(item)
        except ValidationError as error:
            for detail in error.errors(include_url=False):
                message = detail["msg"].removeprefix("Value error, ")
                if detail["type"] != "missing" and ", got " not in message:
                    message += f", got {detail['input']!r}"
                problems.append(f"{where}{detail['loc'][-1]}: {message}")
            continue
        key = (snapshot.exchange, snapshot.instrument)
        if key in first:
            problems.append(
                f"{where}instrument '{key[1]}' on exchange '{key[0].value}' appears again "
                f"(first on line {first[key]})"
            )
        else:
            first[key] = line
        snapshots.append(snapshot)
        lines.append(line)
    return snapshots, lines, problems


def native(source: str, text: str) -> tuple[list[InstrumentSnapshot], list[int], list[str]]:
    try:
        rows = _native.read_csv(source, text)
    except BookError as error:
        message = str(error)
        listed = message.splitlines()[1:] if "\n" in message else [message]
        return [], [], listed
    return rows.snapshots(), rows.lines, []


def agree(text: str) -> None:
    snapshots, lines, problems = reference("book.csv", text)
    got_snapshots, got_lines, got_problems = native("book.csv", text)
    if problems:
        expected = problems if len(problems) <= 20 else problems[:20]
        assert got_problems[: len(expected)] == expected
    else:
        assert got_problems == []
        assert got_lines == lines
        assert got_snapshots == snapshots
        # equal as values, and exactly: the same digits (scale) in every money field
        assert [s.model_dump_json() for s in got_snapshots] == [
            s.model_dump_json() for s in snapshots
        ]


# Plain, odd and refused number texts: exponents, underscores, signs, a non-ASCII digit, more
# than 28 decimals, beyond 2^96, and what Python's `Decimal` refuses.
ODD_NUMBERS = "1 1.50 -5 0 0.000 abc 1e3 1E-7 1_000 +2.5 .5 5. NaN -inf 007.250 \u0663 1.5e --1"
NUMBERS = st.one_of(
    st.sampled_from(["", "1 000", *ODD_NUMBERS.split()]),
    st.sampled_from(["0." + "0" * 28 + "1", "1." + "0" * 32, str(2**96)]),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.integers(-(10**30), 10**30).map(str),
)
NAMES = st.sampled_from(["btc_usdt", "BTC_USDT", "eth_usdt", "", "  ", "\u00c9th_usdt", "x"])
ROW = st.tuples(
    st.sampled_from(["okx", "OKX", " kraken ", "binance_spot", "nope", ""]),
    NAMES,
    st.sampled_from(["btc", "ETH", "", "\u0130"]),
    st.sampled_from(["usdt", "USDT", ""]),
    NUMBERS,
    st.sampled_from(["", "Buy", "sell", "BUY", "b", "Hold", " Sell "]),
    NUMBERS,
    NUMBERS,
)


@given(st.lists(ROW, max_size=8))
def test_rows_read_natively_as_the_model_reads_them(rows: list[tuple[str, ...]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    agree(out.getvalue())


@given(st.text(alphabet='ok,x"\n 1B', max_size=60), st.booleans())
def test_csv_structure_read_natively_as_python_reads_it(body: str, crlf: bool) -> None:
    """Quotes, line breaks inside quoted cells, blank lines, short and long rows. (A lone
    carriage return is left out: Python's `csv` module raises on it.)"""
    text = f"{HEADER}\nokx,btc_usdt,btc,usdt,1,Buy,1,1\n{body}"
    agree(text.replace("\n", "\r\n") if crlf else text)


@given(st.from_regex(r"\A[+-]?[0-9]{1,32}(\.[0-9]{1,32})?\Z"))
def test_plain_decimal_text_is_read_as_pythons_decimal_reads_it(text: str) -> None:
    """Plain text is read without Python's `Decimal`: to the same value and scale."""

    def read(value: object) -> str:
        try:
            return str(_native.to_decimal(value))
        except ValueError as error:
            return type(error).__name__ + str(error).split(",")[0].split(" (")[0]

    assert read(text) == read(Decimal(text))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (f"{HEADER}\n\nokx,btc,btc,usdt,1,,,\n", None),
        (f"{HEADER}\nokx,btc,btc,usdt,-1,,,\n", "book.csv:2: price: must be > 0, got -1"),
        (
            f'{HEADER}\n"okx\n",btc,btc,usdt,1,Hold,1,\n',
            "book.csv:2: side: Input should be 'Buy' or 'Sell', got 'Hold'",
        ),
    ],
)
def test_examples(text: str, problem: str | None) -> None:
    agree(text)
    if problem is None:
        assert read_book("book.csv", text).lines == [3]
    else:
        with pytest.raises(BookError, match=problem):
            read_book("book.csv", text)
