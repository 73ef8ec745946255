"""Reading a book (a list of `InstrumentSnapshot`) from JSON or CSV, with errors a person can act
on: every problem names the source, the item or row, the field and what is wrong."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from importlib.resources import files
from typing import Any, Literal

import pydantic

from barter_python.errors import BarterPythonError
from barter_python.snapshot import InstrumentSnapshot

__all__ = ["CSV_COLUMNS", "BookError", "load_book", "sample_book_text"]

CSV_COLUMNS = (
    "exchange",
    "instrument",
    "base",
    "quote",
    "price",
    "side",
    "quantity",
    "price_entry_average",
)
_POSITION_COLUMNS = ("side", "quantity", "price_entry_average")

Format = Literal["json", "csv"]


class BookError(BarterPythonError, ValueError):
    """A book that cannot be read or validated; the message says where and why."""


def sample_book_text() -> str:
    """The bundled 12-instrument sample book (JSON) over binance_spot, okx and kraken."""
    return files("barter_python").joinpath("data/sample_book.json").read_text()


def load_book(path: str, text: str, format: Format | None = None) -> list[InstrumentSnapshot]:
    """Parse `text` read from `path` (used in messages); the format defaults to the path's
    extension, or to JSON when the text starts with `[` or `{`."""
    if (format or _guess_format(path, text)) == "json":
        return _validate(path, _json_items(path, text), "item {index}")
    return _validate(path, _csv_rows(path, text), "row {index} (line {line})")


def _guess_format(path: str, text: str) -> Format:
    lowered = path.lower()
    if lowered.endswith(".json"):
        return "json"
    if lowered.endswith(".csv"):
        return "csv"
    return "json" if text.lstrip()[:1] in ("[", "{") else "csv"


def _json_items(source: str, text: str) -> list[tuple[int, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BookError(f"{source}: invalid JSON: {error}") from None
    if not isinstance(data, list):
        raise BookError(
            f"{source}: expected a JSON array of instruments, got {type(data).__name__}"
        )
    return [(index, item) for index, item in enumerate(data)]


def _csv_rows(source: str, text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [column for column in CSV_COLUMNS if column not in header]
    unknown = [column for column in header if column not in CSV_COLUMNS]
    if missing or unknown:
        raise BookError(
            f"{source}: CSV header must be {','.join(CSV_COLUMNS)}"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    return [(index, _csv_snapshot(row)) for index, row in enumerate(reader)]


def _csv_snapshot(row: Mapping[str, str | None]) -> dict[str, Any]:
    """One CSV row as snapshot data: empty cells are absent, empty side and quantity mean no
    position. Values stay strings: the model parses them exactly."""
    cells = {key: value.strip() for key, value in row.items() if key and value and value.strip()}
    snapshot: dict[str, Any] = {
        key: value for key, value in cells.items() if key not in _POSITION_COLUMNS
    }
    position = {key: cells[key] for key in _POSITION_COLUMNS if key in cells}
    if position:
        snapshot["position"] = {"instrument": cells.get("instrument", ""), **position}
    return snapshot


def _validate(
    source: str, items: Iterable[tuple[int, Any]], where: str
) -> list[InstrumentSnapshot]:
    book = []
    for index, item in items:
        try:
            book.append(InstrumentSnapshot.model_validate(item))
        except pydantic.ValidationError as error:
            place = where.format(index=index, line=index + 2)
            raise BookError(f"{source}: {place}: {_describe(error)}") from None
    return book


def _describe(error: pydantic.ValidationError) -> str:
    problems = []
    for detail in error.errors(include_url=False):
        field = ".".join(str(part) for part in detail["loc"]) or "instrument"
        message = detail["msg"].removeprefix("Value error, ")
        problems.append(f"{field}: {message}")
    return "; ".join(problems)
