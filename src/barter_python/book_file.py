"""Reading a book (a list of `InstrumentSnapshot`) from a JSON or CSV file, with errors a person
can act on: every problem names the file, the line (counted from 1, as editors do), the field
and the bad value, and every problem of a file is reported at once (the first `LISTED`, then
how many more), so that a large file needs one fix-and-rerun loop, not one per bad row."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cached_property
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Literal

from barter_python._native import BOOK_CSV_COLUMNS, BookRows, read_csv
from barter_python.errors import BookError
from barter_python.instrument import ExchangeId

if TYPE_CHECKING:
    import pydantic

    from barter_python.snapshot import InstrumentSnapshot

__all__ = ["BookFile", "read_book", "sample_book_text"]

Format = Literal["json", "csv"]


class BookFile:
    """A book read from `source`: its validated rows, held natively (a CSV's rows never become
    Python objects unless `snapshots` is read), and the line each one starts on."""

    def __init__(
        self, source: str, rows: BookRows, snapshots: list[InstrumentSnapshot] | None = None
    ) -> None:
        self.source = source
        self.rows = rows
        if snapshots is not None:
            self.__dict__["snapshots"] = snapshots

    @cached_property
    def snapshots(self) -> list[InstrumentSnapshot]:
        """The rows as `InstrumentSnapshot`s."""
        return self.rows.snapshots()

    @cached_property
    def lines(self) -> list[int]:
        """The line each row starts on, counted from 1."""
        return self.rows.lines

    def where(self, index: int) -> str:
        """`file:line` of the row at `index`."""
        return f"{self.source}:{self.lines[index]}"


def sample_book_text(format: Format = "json") -> str:
    """The bundled 12-instrument sample book over binance_spot, okx and kraken, as JSON or CSV
    (the same book)."""
    return files("barter_python").joinpath(f"data/sample_book.{format}").read_text()


def read_book(source: str, data: bytes | str, format: Format | None = None) -> BookFile:
    """Parse `data` read from `source` (used in messages): UTF-8, a byte-order mark allowed.

    The format defaults to the extension of `source`, else JSON when the text starts with `[`
    or `{`, else CSV. Raises `BookError` naming every problem found, up to `LISTED`.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BookError(
                f"{source}: not UTF-8 text (byte {error.start}: {data[error.start]:#04x})"
            ) from None
    text = data.removeprefix("\ufeff")  # a spreadsheet's UTF-8 byte-order mark
    if not text.strip():
        raise BookError(
            f"{source}: empty input: expected a JSON array of instruments or a CSV with the "
            f"header {','.join(BOOK_CSV_COLUMNS)}"
        )
    if (format or _guess_format(source, text)) == "json":
        return _validate(source, _json_items(source, text))
    return BookFile(source, read_csv(source, text))


def _guess_format(source: str, text: str) -> Format:
    lowered = source.lower()
    if lowered.endswith(".json"):
        return "json"
    if lowered.endswith(".csv"):
        return "csv"
    return "json" if text.lstrip()[:1] in ("[", "{") else "csv"


def _json_items(source: str, text: str) -> Iterator[tuple[int, str, Any]]:
    """Each item of the top-level JSON array with the line it starts on and its number."""
    decoder = json.JSONDecoder()
    line, counted = 1, 0  # lines are counted incrementally: the text may hold 100k items

    def line_at(offset: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, offset)
        counted = offset
        return line

    def invalid(error: json.JSONDecodeError) -> BookError:
        return BookError(f"{source}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}")

    def skip_space(offset: int) -> int:
        while offset < len(text) and text[offset] in " \t\r\n":
            offset += 1
        return offset

    items = 0  # counted from 1, as lines are
    offset = skip_space(0)
    if text[offset] != "[":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise invalid(error) from None
        raise BookError(
            f"{source}: expected a JSON array of instruments, got {type(data).__name__}"
        )
    offset = skip_space(offset + 1)
    if text.startswith("]", offset):
        offset += 1
    else:
        while True:
            try:
                item, end = decoder.raw_decode(text, offset)
            except json.JSONDecodeError as error:
                raise invalid(error) from None
            items += 1
            yield line_at(offset), f"item {items}: ", item
            offset = skip_space(end)
            if text.startswith(",", offset):
                offset = skip_space(offset + 1)
            elif text.startswith("]", offset):
                offset += 1
                break
            else:
                raise invalid(json.JSONDecodeError("expected ',' or ']'", text, offset))
    rest = skip_space(offset)
    if rest != len(text):
        raise invalid(json.JSONDecodeError("extra data after the array", text, rest))


def _validate(source: str, items: Iterator[tuple[int, str, Any]]) -> BookFile:
    """Validates every JSON item (`line`, a label such as `item 3: `, the data), then refuses
    the book with every problem found, in line order (the CSV reader, native, words them the
    same way)."""
    # Only a JSON book needs the models (and Pydantic): a CSV's rows are read natively.
    import pydantic

    from barter_python.snapshot import InstrumentSnapshot

    snapshots: list[InstrumentSnapshot] = []
    lines: list[int] = []
    problems: list[str] = []
    # barter keys an instrument by exchange and (lowercased) name: a repeat is an error.
    first_line: dict[tuple[ExchangeId, str], int] = {}  # the line of each key's first item
    for line, label, item in items:
        where = f"{source}:{line}: {label}"
        try:
            snapshot = InstrumentSnapshot.model_validate(item)
        except pydantic.ValidationError as error:
            problems.extend(where + problem for problem in _describe(error))
            continue
        key = (snapshot.exchange, snapshot.instrument)
        if key in first_line:
            first = first_line[key]
            problems.append(
                f"{where}instrument '{key[1]}' on exchange '{key[0].value}' appears again "
                f"(first on line {first})"
            )
        else:
            first_line[key] = line
        snapshots.append(snapshot)
        lines.append(line)
    if problems:
        raise BookError.of(source, problems)
    return BookFile(source, BookRows.from_snapshots(snapshots, lines), snapshots)


def _describe(error: pydantic.ValidationError) -> list[str]:
    """Each problem as `field: what, got value` (no field for a whole-item problem)."""
    problems = []
    for detail in error.errors(include_url=False):
        field = ".".join(map(str, detail["loc"]))
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] != "missing" and ", got " not in message:
            message += f", got {detail['input']!r}"
        problems.append(f"{field}: {message}" if field else message)
    return problems
