"""A result's tables as pandas, polars or Arrow tables: optional extras, imported when used.

By default values keep their exactness: numbers are `Decimal` (pandas: object columns; polars
and Arrow: decimal columns, their scale inferred over every row). With `numbers="float"` every
`Decimal` column is float64 instead (`float(value)`, undefined values NaN in pandas and null in
polars and Arrow), for plotting and numerical work. Times are UTC timestamps, enums their
barter names (`"binance_spot"`, `"Buy"`), undefined values null.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel

from barter_python._native import ArrowTable

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

__all__ = [
    "Columns",
    "FramesOfRows",
    "Numbers",
    "Source",
    "arrow_table",
    "check_numbers",
    "decimal_fields",
    "optional",
    "pandas_frame",
    "polars_frame",
]

Rows = list[dict[str, Any]]
Numbers = Literal["decimal", "float"]


def optional(module: str, extra: str) -> Any:
    """Import an optional dependency, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"{module} is not installed: pip install 'barter-python[{extra}]'"
        ) from None


def decimal_fields(*models: type[BaseModel], prefix: str = "") -> frozenset[str]:
    """The names (after `prefix`) of the models' fields typed `Decimal` or `Decimal | None`."""
    return frozenset(
        prefix + name
        for model in models
        for name, field in model.model_fields.items()
        if field.annotation is Decimal or Decimal in get_args(field.annotation)
    )


@dataclass(frozen=True)
class Columns:
    """A table by column, and which of its columns hold `Decimal`s (or `None`)."""

    values: dict[str, list[Any]]
    decimals: frozenset[str]

    @classmethod
    def of_models(cls, model: type[BaseModel], items: Sequence[BaseModel]) -> Columns:
        """A column per field of `model`; read from the instances' dicts (a million rows in a
        fraction of a second, where `model_dump` per row takes seconds)."""
        fields = [vars(item) for item in items]
        return cls(
            {name: list(map(itemgetter(name), fields)) for name in model.model_fields},
            decimal_fields(model),
        )

    @classmethod
    def of_rows(cls, rows: Rows, decimals: Iterable[str]) -> Columns:
        """A column per name of any row, in the order they appear; `None` where a row has
        none (a sweep's runs of different strategies have different params)."""
        names = dict.fromkeys(name for row in rows for name in row)
        return cls({name: [row.get(name) for row in rows] for name in names}, frozenset(decimals))

    def plain(self, numbers: Numbers) -> tuple[dict[str, list[Any]], list[str]]:
        """The columns with enums as their values (barter's names), which every table library
        reads, and the names of the columns to make float64 (each value already a float)."""
        check_numbers(numbers)
        floats = [name for name in self.values if numbers == "float" and name in self.decimals]
        plain = {}
        for name, values in self.values.items():
            if name in floats:
                values = _each(float, values)
            elif isinstance(next((v for v in values if v is not None), None), Enum):
                values = _each(attrgetter("_value_"), values)
            plain[name] = values
        return plain, floats


def check_numbers(numbers: object) -> Numbers:
    if numbers not in get_args(Numbers):
        raise ValueError(f"numbers must be 'decimal' or 'float', got {numbers!r}")
    return numbers  # type: ignore[return-value]


def _each(function: Callable[[Any], Any], values: list[Any]) -> list[Any]:
    """`function` of each value, `None` kept (a million values in a C loop when none is)."""
    try:
        return list(map(function, values))
    except (TypeError, AttributeError):  # a None among them
        return [None if value is None else function(value) for value in values]


# A table the native rows made (`ArrowTable`: Arrow's C stream interface), or columns of
# Python values.
Source = Columns | ArrowTable


def pandas_frame(columns: Source, numbers: Numbers = "decimal") -> pandas.DataFrame:
    if isinstance(columns, ArrowTable):  # pandas reads Arrow through pyarrow
        frame: pandas.DataFrame = optional("pyarrow", "pandas").table(columns).to_pandas()
        return frame
    plain, floats = columns.plain(numbers)
    module = optional("pandas", "pandas")
    data = {
        name: module.Series(values, dtype="float64") if name in floats else values
        for name, values in plain.items()
    }
    made: pandas.DataFrame = module.DataFrame(data)
    return made


def polars_frame(columns: Source, numbers: Numbers = "decimal") -> polars.DataFrame:
    if isinstance(columns, ArrowTable):
        native: polars.DataFrame = optional("polars", "polars").DataFrame(columns)
        return native
    # A column's type comes from every value: a later Decimal with more decimals than the
    # first ones keeps them.
    plain, floats = columns.plain(numbers)
    module = optional("polars", "polars")
    frame: polars.DataFrame = module.DataFrame(
        plain, schema_overrides=dict.fromkeys(floats, module.Float64)
    )
    return frame


def arrow_table(columns: Source, numbers: Numbers = "decimal") -> pyarrow.Table:
    if isinstance(columns, ArrowTable):
        native: pyarrow.Table = optional("pyarrow", "arrow").table(columns)
        return native
    plain, floats = columns.plain(numbers)
    module = optional("pyarrow", "arrow")
    data = {
        name: module.array(values, type=module.float64()) if name in floats else values
        for name, values in plain.items()
    }
    table: pyarrow.Table = module.Table.from_pydict(data)
    return table


class FramesOfRows:
    """`to_pandas()` and `to_polars()` of a model's `rows()` (a sweep's, a walk-forward's),
    whose `Decimal` columns `_decimals()` names."""

    def rows(self) -> Rows:
        raise NotImplementedError

    def _decimals(self) -> frozenset[str]:
        raise NotImplementedError

    def to_pandas(self, *, numbers: Numbers = "decimal") -> pandas.DataFrame:
        """`rows()` as a pandas DataFrame (the optional extra `barter-python[pandas]`);
        `numbers="float"` makes the `Decimal` columns float64."""
        return pandas_frame(Columns.of_rows(self.rows(), self._decimals()), numbers)

    def to_polars(self, *, numbers: Numbers = "decimal") -> polars.DataFrame:
        """`rows()` as a polars DataFrame (the optional extra `barter-python[polars]`);
        `numbers="float"` makes the `Decimal` columns Float64."""
        return polars_frame(Columns.of_rows(self.rows(), self._decimals()), numbers)
