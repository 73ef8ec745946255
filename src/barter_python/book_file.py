"""Reading a book (a list of `InstrumentSnapshot`) from a JSON or CSV file, with errors a person
can act on: every problem names the file, the line (counted from 1, as editors do), the field
and the bad value, and every problem of a file is reported at once (the first `LISTED`, then
how many more), so that a large file needs one fix-and-rerun loop, not one per bad row."""

from __future__ import annotations

import json
from functools import cached_property
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Literal

from barter_python._native import (
    BOOK_CSV_COLUMNS,
    BookRows,
    json_item_lines,
    read_csv,
    read_items,
)
from barter_python.errors import BookError

if TYPE_CHECKING:
    import pydantic

    from barter_python.snapshot import InstrumentSnapshot

__all__ = ["BookFile", "read_book", "sample_book_text"]

Format = Literal["json", "csv"]


class BookFile:
    """A book read from `source`: its validated rows, held natively (they become Python objects
    only if `snapshots` is read), and the line each one starts on."""

    def __init__(self, source: str, rows: BookRows) -> None:
        self.source = source
        self.rows = rows

    @cached_property
    def snapshots(self) -> list[InstrumentSnapshot]:
        """The rows as `InstrumentSnapshot`s."""
        # Loaded only here, so that reading a book needs no Pydantic; importing it hands its
        # models to the native module, which builds them.
        import barter_python.snapshot  # noqa: F401

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
        try:
            items = json.loads(text)
        except json.JSONDecodeError as error:
            message = error.msg[:1].lower() + error.msg[1:]
            raise BookError(
                f"{source}:{error.lineno}:{error.colno}: invalid JSON: {message}"
            ) from None
        except ValueError as error:  # an integer beyond Python's digit limit
            raise BookError(f"{source}: invalid JSON: {error}") from None
        if not isinstance(items, list):
            raise BookError(
                f"{source}: expected a JSON array of instruments, got {type(items).__name__}"
            )
        # The lines the items start on, found natively: parsing item by item costs more.
        return _validate(source, items, json_item_lines(text))
    return BookFile(source, read_csv(source, text))


def _guess_format(source: str, text: str) -> Format:
    lowered = source.lower()
    if lowered.endswith(".json"):
        return "json"
    if lowered.endswith(".csv"):
        return "csv"
    return "json" if text.lstrip()[:1] in ("[", "{") else "csv"


def _validate(source: str, items: list[Any], lines: list[int]) -> BookFile:
    """Reads every JSON item (`lines`: where each starts) natively by the models' rules, then
    refuses the book with every problem found, in item order: the model words the problems
    of each item the native reader refused."""
    rows, refused, repeated = read_items(items, lines)
    if not refused and not repeated:
        return BookFile(source, rows)

    def where(index: int) -> str:
        return f"{source}:{lines[index]}: item {index + 1}: "

    problems = [(i, where(i) + problem) for i in refused for problem in _refusal(items[i])]
    problems.extend((index, where(index) + repeat) for index, repeat in repeated)
    problems.sort(key=lambda problem: problem[0])  # stable: an item's own order stays
    raise BookError.of(source, [problem for _, problem in problems])


def _refusal(item: Any) -> list[str]:
    """Why the model refuses `item`, in its words."""
    # Only a refused item needs the models (and Pydantic): the others are read natively.
    import pydantic

    from barter_python.snapshot import InstrumentSnapshot

    try:
        InstrumentSnapshot.model_validate(item)
    except pydantic.ValidationError as error:
        return _describe(error)
    raise AssertionError(f"the native reader refused an item the model accepts: {item!r}")


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
