"""The native CSV reader against an independent reading of the same text: Python's `csv` module
and the Pydantic model, one row at a time. Both must accept the same rows with the same values
and refuse the same rows with the same words, line for line."""

from __future__ import annotations

import csv
import io
import json
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


def agree(text: str) -> None:
    snapshots, lines, problems = reference("book.csv", text)
    if problems:
        with pytest.raises(BookError) as refused:
            _native.read_csv("book.csv", text)
        assert str(refused.value) == str(BookError.of("book.csv", problems))
    else:
        rows = _native.read_csv("book.csv", text)
        got_snapshots = rows.snapshots()
        assert rows.lines == lines
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


@given(
    st.lists(ROW, max_size=8),
    st.permutations(range(len(COLUMNS))),
    st.booleans(),
    st.sampled_from(["", " ", "\t"]),
)
def test_rows_read_natively_as_the_model_reads_them(
    rows: list[tuple[str, ...]], order: list[int], entry: bool, pad: str
) -> None:
    """Any column order, padded header cells, the entry price column left out or not."""
    order = [i for i in order if entry or COLUMNS[i] != "price_entry_average"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f"{pad}{COLUMNS[i]}{pad}" for i in order])
    writer.writerows([row[i] for i in order] for row in rows)
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


def test_a_lone_carriage_return_ends_a_line() -> None:
    """Python's `csv` module raises on it; the native reader reads it as a line break."""
    rows = "okx,a,a,usdt,1,,,\r\nokx,b,b,usdt,1,,,\rokx,a,a,usdt,1,,,\rokx,c,c,usdt,-1,,,\r"
    with pytest.raises(BookError) as refused:
        read_book("book.csv", f"{HEADER}\r{rows}")
    assert str(refused.value).splitlines()[1:] == [
        "book.csv:4: instrument 'a' on exchange 'okx' appears again (first on line 2)",
        "book.csv:5: price: must be > 0, got -1",
    ]


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


ANY_NAME = st.one_of(NAMES, st.integers(0, 9), st.none(), st.just(["x"]))
ANY_NUMBER = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(),
    NUMBERS,
    st.just({"x": 1}),
)
EXCHANGES = st.one_of(st.sampled_from(["okx", "OKX", "O\u212ax", "nope", ""]), st.integers(0, 3))
POSITION = st.dictionaries(
    st.sampled_from(["instrument", "side", "quantity", "price_entry_average", "extra"]),
    st.one_of(ANY_NAME, ANY_NUMBER, st.sampled_from(["Buy", "sell", "Hold"])),
)
ITEM = st.dictionaries(
    st.sampled_from(["exchange", "instrument", "base", "quote", "price", "position", "extra"]),
    st.one_of(EXCHANGES, ANY_NAME, ANY_NUMBER, POSITION, st.none()),
)
COMPLETE = st.fixed_dictionaries(
    {"exchange": EXCHANGES, "instrument": ANY_NAME, "base": ANY_NAME, "quote": ANY_NAME},
    optional={"price": ANY_NUMBER, "position": st.one_of(st.none(), POSITION)},
)


@given(st.one_of(ITEM, COMPLETE, st.integers(), st.text(max_size=3)))
def test_json_items_read_natively_as_the_model_reads_them(item: object) -> None:
    """The native reader accepts exactly the items the model accepts, with the same values."""
    rows, refused, _ = _native.read_items([item], [1])
    try:
        expected = InstrumentSnapshot.model_validate(item)
    except ValidationError:
        assert refused == [0]
        return
    assert refused == []
    (snapshot,) = rows.snapshots()
    assert snapshot == expected
    assert snapshot.model_dump_json() == expected.model_dump_json()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            '[{"exchange": "okx", "instrument": "\\ud800", "base": "b", "quote": "q"}]',
            "book.json:1: item 1: instrument: ",
        ),
        ('[{"exchange": "okx", "price": ' + "9" * 5000 + "}]", "book.json: invalid JSON: "),
    ],
)
def test_json_that_python_reads_but_no_book_holds_is_a_book_error(text: str, problem: str) -> None:
    """A lone surrogate (valid JSON, not UTF-8) and an integer beyond Python's digit limit."""
    with pytest.raises(BookError, match=problem):
        read_book("book.json", text)


def test_a_book_whose_instruments_carry_a_spec_reads_as_the_model_reads_it() -> None:
    """`spec` (`InstrumentSpec`) is read natively by the model's rules: a good one comes back
    on the snapshot, a bad one is refused in the model's words (it used to stop the reader
    with an `AssertionError`)."""
    item: dict[str, Any] = {
        "exchange": "okx", "instrument": "btc_usdt", "base": "btc", "quote": "usdt",
        "price": "100", "spec": {"tick_size": "0.01", "lot_size": "0.001"},
    }  # fmt: skip
    [snapshot] = read_book("book.json", json.dumps([item])).snapshots
    assert snapshot == InstrumentSnapshot.model_validate(item)
    assert snapshot.spec is not None and snapshot.spec.min_notional == 0
    assert snapshot.spec.tick_size == Decimal("0.01")
    bad = {**item, "spec": {"tick_size": "0", "lot_size": "0.001"}}
    with pytest.raises(BookError, match=r"book.json:1: item 1: spec.tick_size"):
        read_book("book.json", json.dumps([bad]))
