"""Market data for a backtest, held natively: no Python object per event.

`MarketData` keeps barter-data's market events as compact native records (exchange and
received time, exchange, instrument, and a trade, an L1 or L2 book, a candle or a market
disconnection; an L2 book's levels beside them), in the order given (a source keeps its
recorded order; `sort()` and `merge()` order by the receive time, which is the exchange time
where a source has only that one: spec §12's two clocks), and the instruments they name in
barter's order. It is
immutable and pickles to a compact binary form, so a sweep ships it to each worker once.

Prices and amounts are barter-data's `f64`; a number is accepted only if it survives that:
its decimal value must read back unchanged (and a trade price must be the one barter's engine
reads with `Decimal::from_f64`). Prices must be `> 0`, amounts `>= 0`.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, Self

from barter_python import _native
from barter_python._native import EngineEvent
from barter_python.errors import MarketDataError
from barter_python.instrument import ExchangeId

if TYPE_CHECKING:
    import pyarrow

__all__ = [
    "BinanceKind",
    "Catalog",
    "CatalogEntry",
    "CatalogKind",
    "ImportProgress",
    "Instruments",
    "MarketData",
    "MarketQuery",
    "Order",
    "TableKind",
    "VendorSource",
]

TableKind = Literal["trades", "l1", "candles"]
BinanceKind = Literal["trades", "agg_trades", "klines", "book_ticker"]
Order = Literal["check", "sort", "as_is"]
VendorSource = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
"""A vendor loader's files: one path, or several read as one source in the given order."""

# Arrow column names by the kind of values they hold (see `MarketData.from_arrow`).
_TIMES = frozenset({"time", "time_exchange", "time_received"})
_TEXTS = frozenset({"exchange", "instrument", "kind", "side"})
_NUMBERS = frozenset(
    {"price", "amount", "bid_price", "bid_amount", "ask_price", "ask_amount"}
    | {"open", "high", "low", "close", "volume", "trades"}
)
_INTEGERS = frozenset({"is_snapshot", "message", "sequence"})  # an L2 row's
_NULL_TIME = -(2**63)  # the native layer reads it as a missing time (or integer)


class _InstrumentLike(Protocol):
    @property
    def exchange(self) -> ExchangeId | str: ...
    @property
    def instrument(self) -> str: ...


class _HasInstruments(Protocol):
    @property
    def instruments(self) -> Sequence[_InstrumentLike]: ...


Instruments = _HasInstruments | Sequence[tuple[ExchangeId | str, str]]
"""A backtest config (anything with `.instruments` of `InstrumentSnapshot`-like items), or
`(exchange, instrument)` pairs."""


def _instrument_pairs(instruments: Instruments | None) -> list[tuple[ExchangeId, str]] | None:
    if instruments is None:
        return None
    items: Any = getattr(instruments, "instruments", instruments)
    if isinstance(items, str | bytes) or not isinstance(items, Iterable):
        raise TypeError(
            "instruments must be a config with .instruments or a sequence of "
            f"(exchange, instrument) pairs, got {type(instruments).__name__}"
        )
    pairs = []
    for at, item in enumerate(items):
        if isinstance(item, tuple) and len(item) == 2:
            exchange, name = item
        elif hasattr(item, "exchange") and hasattr(item, "instrument"):
            exchange, name = item.exchange, item.instrument
        else:
            raise TypeError(
                f"instruments[{at}] must be an (exchange, instrument) pair or have .exchange "
                f"and .instrument, got {type(item).__name__}"
            )
        if not isinstance(name, str) or not name:
            raise TypeError(f"instruments[{at}]: the instrument must be a non-empty str")
        pairs.append((ExchangeId(exchange), name))
    return pairs


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.compute
    except ImportError as error:
        raise ImportError(
            "MarketData's Arrow conversion needs pyarrow: pip install 'barter-python[arrow]'"
        ) from error
    return pyarrow


def _buffer(array: Any, format: Literal["q", "i", "d"]) -> memoryview[Any]:
    """The values of a null-free int64, int32 or float64 Arrow array as a typed memoryview
    (no copy)."""
    size = 4 if format == "i" else 8
    data = memoryview(array.buffers()[1])
    return data[array.offset * size : (array.offset + len(array)) * size].cast(format)


class MarketData(_native.MarketData):
    """Market events for a backtest: trades, L1 and L2 books, candles and market
    disconnections, in the order given (`sort()` orders them by receive time). Immutable; `==`
    compares events; pickles compactly.

    `instruments` lists the `(exchange, instrument)` pairs the events name, in barter's
    `IndexedInstruments` order (by exchange, then name). `len()` counts events.
    """

    __slots__ = ()

    @classmethod
    def from_barter_json(
        cls, source: str | os.PathLike[str], *, instruments: Instruments | None = None
    ) -> Self:
        """barter's market-data files, read with barter-data's own serde types: a JSON array
        of `MarketStreamResult` (`{"Item": {"Ok": MarketEvent}}`, `{"Reconnecting":
        "binance_spot"}`), or NDJSON with one `{"Item": MarketEvent}` per line.

        An event names its instrument by name, or by index into barter's `IndexedInstruments`
        (barter's own files): those need `instruments`, whose instruments barter sorts (by
        exchange, then name) to number them. With `instruments`, every event must name one
        of them. A disconnection (no time in barter's files) takes the previous event's
        time. Items carrying a data error (`{"Item": {"Err": ...}}`) are skipped, as barter's
        engine never sees them; a trade's id is not kept; an L1 book's `last_update_time` is
        its exchange time. Raises `MarketDataError` naming file and line (for an array, also
        the item's number) of every problem.
        """
        native = _native.MarketData._load_barter_json(
            os.fspath(source), _instrument_pairs(instruments)
        )
        return cls(native)

    @classmethod
    def from_csv(
        cls,
        source: str | os.PathLike[str],
        *,
        kind: TableKind,
        exchange: ExchangeId | str,
        instrument: str,
        order: Order = "check",
    ) -> Self:
        """One instrument's CSV file (plain, `.gz`, or a `.zip` holding one CSV) with a header
        row:

        - `trades`: `time,price,amount,side` (side: `Buy`/`Sell`, or barter's aliases)
        - `l1`: `time,bid_price,bid_amount,ask_price,ask_amount`
        - `candles`: `time,open,high,low,close,volume`: barter-data's `Candle` events at
          the row's time, which is the candle's close time (a `BarStrategy` gets each one as
          its bar then; the simulated exchange sees it as four prices: open, the nearer of
          high and low, the other, close).

        `time` is RFC 3339 (`2025-03-25T23:07:00.715Z`) or integer epoch milliseconds. Rows
        are strict: a wrong field count, a bad number, a price `<= 0`, an amount `< 0`, a
        candle whose open/close/low lie outside low..high raise `MarketDataError` listing
        every problem (`file:line: column: what, got value`; the first 20, then how many
        more). `order`: rows must not go back in time (`"check"`, a backward step is one of
        the problems); `"sort"` sorts them stably; `"as_is"` keeps the file's order.
        """
        native = _native.MarketData._load_csv(
            os.fspath(source), kind, ExchangeId(exchange), _name(instrument), order
        )
        return cls(native)

    @classmethod
    def from_binance(
        cls,
        source: VendorSource,
        *,
        kind: BinanceKind,
        instrument: str,
        exchange: ExchangeId | str = ExchangeId.BINANCE_SPOT,
        order: Order = "check",
    ) -> Self:
        """Binance's public dumps (data.binance.vision) of one instrument, spot or USD-M
        futures, in Binance's own column order:

        - `trades`: `id,price,qty,quote_qty,time,is_buyer_maker[,is_best_match]`
        - `agg_trades`: `agg_trade_id,price,quantity,first_trade_id,last_trade_id,
          transact_time,is_buyer_maker[,is_best_match]`
        - `klines`: `open_time,open,high,low,close,volume,close_time,quote_volume,count,
          taker_buy_volume,taker_buy_quote_volume,ignore`: barter-data's `Candle` events at
          `close_time`, as `from_csv(kind="candles")` loads them, `count` their trade count.
        - `book_ticker` (futures): `update_id,best_bid_price,best_bid_qty,best_ask_price,
          best_ask_qty,transaction_time,event_time`: an L1 book at the transaction time,
          received at the event time; a crossed or locked book is skipped and counted in
          `skipped`, never used.

        `source` is a file (plain, `.gz`, or a `.zip` holding one CSV, read directly) or a list
        of them read as one source, in the given order (a month of daily files). A header row
        is sniffed (spot files have none, futures files since 2022 do) and must be the kind's.
        Times of 10^14 or more are microseconds (spot files from 2025), else milliseconds.
        `is_buyer_maker` true means the aggressor sold. Prices and amounts load exactly.
        `order`: the events must not go back in time (in the receive clock: the event time of
        a book ticker, else the trade time) under `"check"`; `"sort"` sorts them stably;
        `"as_is"` keeps the files' order. Every problem raises `MarketDataError` naming the
        file, line and column (all of a file's problems at once, the first 20).
        """
        native = _native.MarketData._load_binance(
            _sources(source),
            kind,
            ExchangeId(exchange),
            _name(instrument),
            order,
        )
        return cls(native)

    @classmethod
    def from_tardis(
        cls,
        source: VendorSource,
        *,
        instruments: str | Mapping[str, str],
        exchange: ExchangeId | str | None = None,
        order: Order = "check",
    ) -> Self:
        """Tardis.dev's downloadable CSVs, the kind read from the header:

        - `trades`: `exchange,symbol,timestamp,local_timestamp,id,side,price,amount` (a side
          of `unknown`, or empty: a trade without an aggressor side, whose `side` is null)
        - `incremental_book_L2`: `exchange,symbol,timestamp,local_timestamp,is_snapshot,side,
          price,amount`, L2 book messages (barter-data's `OrderBookEvent`): consecutive rows of
          one symbol with the same times and `is_snapshot` are one message; a snapshot after
          updates replaces the book
        - `book_snapshot_N` (any N): `exchange,symbol,timestamp,local_timestamp,asks[0].price,
          asks[0].amount,bids[0].price,bids[0].amount,asks[1].price,...`, each row an L2
          snapshot of the N best levels a side (empty cells: fewer levels). It says nothing
          about the levels beyond its depth: those are unknown, not empty. A crossed or locked
          one is skipped and counted in `skipped`
        - `quotes`: `exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,
          bid_amount` (an L1 book; a crossed or locked one is skipped and counted in
          `skipped`; an empty side is a side without a level)

        Times are microseconds since the epoch: `timestamp` is the exchange time,
        `local_timestamp` the receive time (`time_received`), which Tardis sorts its files by
        and `order` checks. `instruments` names the SDK instrument of every row (a `str`, for
        a one-symbol file) or maps each vendor symbol to one (`{"BTCUSDT": "btc_usdt"}`). The
        exchange comes from each row's `exchange` (`binance` -> binance_spot,
        `binance-futures` -> binance_futures_usd, `bybit-spot` -> bybit_spot, `bybit` ->
        bybit_perpetuals_usd, `okex` -> okx, ...) unless `exchange` is given. `source`, `order`
        and the errors as `from_binance`'s; an L2 message is refused as `from_arrow`'s are
        (an update before the first snapshot, a crossed or locked snapshot, a bad level).
        """
        native = _native.MarketData._load_tardis(
            _sources(source),
            _symbols(instruments),
            None if exchange is None else ExchangeId(exchange),
            order,
        )
        return cls(native)

    @classmethod
    def from_events(cls, events: Iterable[EngineEvent], *, order: Order = "check") -> Self:
        """Market events made with `EngineEvent.trade`, `.l1` and `.market_disconnected`
        (instruments by name); any other event raises `ValueError`. `order` as `from_csv`'s:
        an event before the latest one is refused, naming both (`"sort"` sorts, `"as_is"`
        keeps the order given)."""
        native = _native.market_data_from_events(events)._ordered(order, "events", "event")
        return cls(native)

    @classmethod
    def from_arrow(
        cls,
        table: Any,
        *,
        kind: TableKind | Literal["l2", "events"] = "events",
        exchange: ExchangeId | str | None = None,
        instrument: str | None = None,
        order: Order = "check",
    ) -> Self:
        """An Arrow table (a `pyarrow.Table`, or anything with `__arrow_c_stream__`: polars,
        pandas, DuckDB results).

        `kind="events"` (default) reads `to_arrow()`'s layout. `"trades"`, `"l1"` and
        `"candles"` read one instrument's table with the columns of `from_csv` (and need
        `exchange` and `instrument`). Times are timestamps with a time zone, or integer epoch
        milliseconds; numbers any numeric type. Columns are handed over whole: no Python
        object per row. Other columns are ignored. `order` as `from_csv`'s, in the receive
        time (`time_received`, else the time). Needs pyarrow (`barter-python[arrow]`).

        `"l2"` reads one instrument's L2 book messages (barter-data's `OrderBookEvent`), a row
        per level: `time`, `side` (`"bid"` or `"ask"`), `price`, `amount` (the level's new
        absolute amount; 0 deletes it in an update), `is_snapshot` (a snapshot is the whole
        book; an update changes the levels it names), and optionally `message` (an integer:
        the rows of one message share it; without it, consecutive rows with the same times
        and `is_snapshot` are one message), `sequence` (barter's `OrderBook.sequence`, 0
        without it) and `time_received`. A message takes its times and sequence from its first
        row. Refused: an update before the instrument's first snapshot, a crossed or locked
        snapshot (best bid >= best ask) or one with an amount of 0, a negative amount, a price
        <= 0, a number that is not an exact decimal, a side other than `"bid"`/`"ask"`.
        """
        pa = _pyarrow()
        if not isinstance(table, pa.Table):
            table = pa.table(table)
        if table.num_rows == 0:
            raise MarketDataError("table: no market events")
        columns: dict[str, memoryview[Any]] = {}
        labels: dict[str, list[str | None]] = {}
        for name in table.column_names:
            if name in _TIMES:
                columns[name] = _buffer(_times(pa, table.column(name), name), "q")
            elif name in _TEXTS:
                codes, labels[name] = _codes(pa, table.column(name))
                columns[name] = _buffer(codes, "i")
            elif name in _NUMBERS:
                columns[name] = _buffer(_numbers(pa, table.column(name), name), "d")
            elif name in _INTEGERS:
                columns[name] = _buffer(_integers(pa, table.column(name), name), "q")
        if kind == "events":
            if exchange is not None or instrument is not None:
                raise ValueError("an events table names its own exchanges and instruments")
            native = _native.MarketData._from_columns(kind, table.num_rows, columns, labels)
        else:
            if exchange is None or instrument is None:
                raise ValueError(f"a {kind} table needs exchange and instrument")
            native = _native.MarketData._from_columns(
                kind, table.num_rows, columns, labels, ExchangeId(exchange), _name(instrument)
            )
        return cls(native._ordered(order, "table", "row"))

    def to_arrow(self) -> pyarrow.Table:
        """The events as a `pyarrow.Table`, one row each: `time_exchange`, `time_received`
        (timestamp[ns, UTC]), `exchange`, `instrument`, `kind` (`trade`, `l1`, `candle`,
        `reconnecting`), `side` (dictionary strings), `price`, `amount` (a candle's close and
        volume), `bid_price`, `bid_amount`, `ask_price`, `ask_amount`, `open`, `high`, `low`,
        `trades` (a candle's trade count) (float64; null where the kind has none).
        An L2 message (kind `l2`) is a row per level: its `side` (`bid` or `ask`), `price` and
        `amount`, with `is_snapshot` (bool), `message` (int64, the event's index: the rows of
        one message share it) and `sequence` (uint64), null for other kinds; a message
        without levels is one row with a null side. `from_arrow` reads it back.
        Needs pyarrow (`barter-python[arrow]`)."""
        pa = _pyarrow()
        columns = self._columns()
        length = len(columns["time_exchange"][0]) // 8  # a row per event, or per L2 level
        arrays = {}
        for name, (data, validity, names) in columns.items():
            buffers = [None if validity is None else pa.py_buffer(validity), pa.py_buffer(data)]
            if names is not None:
                codes = pa.Array.from_buffers(pa.int32(), length, buffers)
                arrays[name] = pa.DictionaryArray.from_arrays(codes, pa.array(names, pa.string()))
            elif name in _TIMES:
                arrays[name] = pa.Array.from_buffers(pa.timestamp("ns", "UTC"), length, buffers)
            elif name in _INTEGERS:
                type = {"is_snapshot": pa.bool_(), "message": pa.int64()}.get(name, pa.uint64())
                arrays[name] = pa.Array.from_buffers(type, length, buffers)
            else:
                arrays[name] = pa.Array.from_buffers(pa.float64(), length, buffers)
        return pa.table(arrays)


def _sources(source: VendorSource) -> list[str]:
    """A vendor loader's `source`: a path, or a non-empty list of paths."""
    paths = [source] if isinstance(source, str | os.PathLike) else list(source)
    if not paths:
        raise ValueError("source: no file given")
    return [os.fspath(path) for path in paths]


def _symbols(instruments: str | Mapping[str, str]) -> str | dict[str, str]:
    """`from_tardis`'s `instruments`: one instrument name, or a non-empty symbol mapping."""
    if isinstance(instruments, str):
        return _name(instruments)
    names = {str(symbol): _name(name) for symbol, name in instruments.items()}
    if not names:
        raise ValueError("instruments: map at least one symbol to an instrument")
    return names


def _name(instrument: object) -> str:
    if not isinstance(instrument, str) or not instrument:
        raise TypeError(f"instrument must be a non-empty str, got {instrument!r}")
    return instrument


def _times(pa: Any, column: Any, name: str) -> Any:
    """int64 nanoseconds since the epoch, UTC, nulls as `_NULL_TIME`."""
    type = column.type
    if pa.types.is_timestamp(type):
        if type.tz is None:
            raise MarketDataError(
                f"table: column {name}: timestamps without a time zone; if they are UTC, "
                "cast them to pa.timestamp('ns', 'UTC')"
            )
        nanos = column.cast(pa.timestamp("ns", "UTC")).cast(pa.int64())
    elif pa.types.is_integer(type):
        nanos = pa.compute.multiply_checked(column.cast(pa.int64()), 1_000_000)
    else:
        raise MarketDataError(
            f"table: column {name}: must be timestamps with a time zone or integer epoch "
            f"milliseconds, got {type}"
        )
    return pa.compute.fill_null(nanos, pa.scalar(_NULL_TIME, pa.int64())).combine_chunks()


def _numbers(pa: Any, column: Any, name: str) -> Any:
    """float64 values, nulls as NaN."""
    try:
        floats = column.cast(pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise MarketDataError(f"table: column {name}: must be numbers ({error})") from None
    return pa.compute.fill_null(floats, float("nan")).combine_chunks()


def _integers(pa: Any, column: Any, name: str) -> Any:
    """int64 values (a flag as 0 or 1), nulls as `_NULL_TIME`."""
    try:
        integers = column.cast(pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise MarketDataError(f"table: column {name}: must be integers ({error})") from None
    return pa.compute.fill_null(integers, pa.scalar(_NULL_TIME, pa.int64())).combine_chunks()


def _codes(pa: Any, column: Any) -> tuple[Any, list[str | None]]:
    """int32 codes into a list of labels, nulls as -1."""
    encoded = column.cast(pa.string()).combine_chunks().dictionary_encode()
    codes = pa.compute.fill_null(encoded.indices.cast(pa.int32()), -1)
    labels: list[str | None] = encoded.dictionary.to_pylist()
    return codes, labels


# The catalog (spec §11) ------------------------------------------------------------------

CatalogKind = Literal["candles", "l1", "l2", "trades"]
ImportProgress = Callable[[Literal["checking", "writing"], int], object]
_CATALOG_KINDS: tuple[CatalogKind, ...] = ("trades", "l1", "l2", "candles")


@dataclass(frozen=True)
class CatalogEntry:
    """One day file of a `Catalog`: an instrument's events of one kind on one UTC day of their
    exchange time, as the file's footer tells (`first`/`last`: the earliest and latest
    exchange times; `bytes`: the file's size)."""

    exchange: ExchangeId
    instrument: str
    kind: CatalogKind
    date: datetime.date
    events: int
    first: datetime.datetime
    last: datetime.datetime
    bytes: int
    path: str


class MarketQuery(_native.MarketQuery):
    """What a `Catalog.query` selected: the files and the bounds of the exchange time
    (`start <= time < end`), not their data. Picklable as that, so a worker reads the files
    itself. `backtest(strategy, query, config)` replays it row group by row group, in bounded
    memory; `load()` reads it all. The files of one instrument and kind follow each other by
    date; the instruments and kinds are interleaved by receive time as `MarketData.merge`
    interleaves its parts (in the order exchange, instrument, kind: the first on a tie).
    `len()` counts the events from the files' footers."""

    __slots__ = ()

    def load(self) -> MarketData:
        """Every event of the query in memory, in the order a streaming replay reads them."""
        return MarketData(self._load())


class Catalog:
    """A folder of Parquet files, `{exchange}/{instrument}/{kind}/{YYYY-MM-DD}.parquet`, one per
    instrument, kind (`trades`, `l1`, `l2`, `candles`) and UTC day of the exchange time, that
    pandas, polars, DuckDB and pyarrow open as they are: `time_exchange` and `time_received` as
    TIMESTAMP(ns, UTC), prices and amounts as exact DECIMALs (one scale per file, the largest
    its values need), a trade's `side` as `Buy`/`Sell` (null: no aggressor side), an l2 file a
    row per level (`side` `bid`/`ask`, `is_snapshot`, `message`, `sequence`). Row groups of
    65,536 rows.

    Every write is whole or nothing: each file is written under a temporary name and renamed
    once every file of the call is built and checked; a day already in the catalog with other
    content is refused (`MarketDataError`) unless `replace=True`, and a day with the same
    content is left as it is."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise MarketDataError(f"{self.root}: the catalog root is a file, not a folder")

    def __repr__(self) -> str:
        return f"Catalog({os.fspath(self.root)!r})"

    def write(self, data: MarketData, *, replace: bool = False) -> list[CatalogEntry]:
        """`data`'s events into the catalog, a file per instrument, kind and day (each file in
        the data's order); the entries of those days. A market disconnection is refused (the
        catalog keeps trades, L1 books and candles)."""
        if not isinstance(data, _native.MarketData):
            raise TypeError(f"data must be a MarketData, got {type(data).__name__}")
        return self._entries(_native.catalog_write(os.fspath(self.root), data, replace))

    def import_binance(
        self,
        source: VendorSource,
        *,
        kind: BinanceKind,
        instrument: str,
        exchange: ExchangeId | str = ExchangeId.BINANCE_SPOT,
        order: Order = "check",
        replace: bool = False,
        progress: ImportProgress | None = None,
    ) -> list[CatalogEntry]:
        """Binance's files (`MarketData.from_binance`'s arguments and errors) into the
        catalog, streaming: the files are read twice (first to check every row and find each
        day's decimals, then to write), never held in memory, except that `order="sort"`
        holds a day of the instrument to sort it. Nothing is written if any row fails.
        `progress(stage, files_done)` is called after each file of each pass (`"checking"`,
        then `"writing"`)."""
        paths = _native.catalog_import_binance(
            os.fspath(self.root),
            _sources(source),
            kind,
            ExchangeId(exchange),
            _name(instrument),
            order,
            replace,
            progress,
        )
        return self._entries(paths)

    def import_tardis(
        self,
        source: VendorSource,
        *,
        instruments: str | Mapping[str, str],
        exchange: ExchangeId | str | None = None,
        order: Order = "check",
        replace: bool = False,
        progress: ImportProgress | None = None,
    ) -> list[CatalogEntry]:
        """Tardis's files (`MarketData.from_tardis`'s arguments and errors) into the catalog,
        streaming as `import_binance` does."""
        paths = _native.catalog_import_tardis(
            os.fspath(self.root),
            _sources(source),
            _symbols(instruments),
            None if exchange is None else ExchangeId(exchange),
            order,
            replace,
            progress,
        )
        return self._entries(paths)

    def entries(self) -> list[CatalogEntry]:
        """Every day file, by exchange, instrument, kind and date."""
        if not self.root.exists():
            return []
        return self._entries(sorted(map(str, self.root.glob("*/*/*/*.parquet"))))

    def query(
        self,
        *,
        instruments: Iterable[str | tuple[ExchangeId | str, str]] | None = None,
        kinds: Iterable[CatalogKind] | None = None,
        start: datetime.datetime | datetime.date | None = None,
        end: datetime.datetime | datetime.date | None = None,
    ) -> MarketQuery:
        """The files of `instruments` (names, or `(exchange, name)` pairs; all by default) and
        `kinds` (all by default), with the events of `start <= time_exchange < end` (a date is
        its midnight, UTC). An instrument or kind the catalog does not hold raises
        `MarketDataError` naming those it holds."""
        entries = self.entries()
        if not entries:
            raise MarketDataError(f"{self.root}: the catalog holds no files")
        if instruments is not None:
            entries = _chosen_instruments(entries, list(instruments))
        if kinds is not None:
            held = sorted({entry.kind for entry in entries})
            wanted = set(kinds)
            missing = sorted(wanted.difference(held))
            if missing:
                raise MarketDataError(
                    f"kinds: {', '.join(missing)} not in the catalog for these instruments, "
                    f"which holds {', '.join(held)}"
                )
            entries = [entry for entry in entries if entry.kind in wanted]
        since, until = _utc(start, "start"), _utc(end, "end")
        parts: dict[tuple[ExchangeId, str, str], list[str]] = {}
        for entry in entries:
            day = datetime.datetime.combine(entry.date, datetime.time(), datetime.UTC)
            if (since is None or day + _DAY > since) and (until is None or day < until):
                parts.setdefault((entry.exchange, entry.instrument, entry.kind), []).append(
                    entry.path
                )
        return MarketQuery([(*key, files) for key, files in parts.items()], start=since, end=until)

    def _entries(self, paths: Iterable[str]) -> list[CatalogEntry]:
        return [_entry(self.root, path) for path in paths]


_DAY = datetime.timedelta(days=1)


def _entry(root: Path, path: str) -> CatalogEntry:
    """The entry of a day file, from its place in the tree and its footer."""
    parts = Path(path).relative_to(root).parts
    try:
        exchange, instrument, kind, name = parts
        date = datetime.date.fromisoformat(name.removesuffix(".parquet"))
        if kind not in _CATALOG_KINDS:
            raise ValueError(f"kind must be one of {', '.join(_CATALOG_KINDS)}, got {kind!r}")
        exchange_id = ExchangeId(exchange)
    except ValueError as error:
        raise MarketDataError(
            f"{path}: not a catalog file ({{exchange}}/{{instrument}}/{{kind}}/YYYY-MM-DD"
            f".parquet): {error}"
        ) from None
    events, first, last = _native.catalog_file(path)
    return CatalogEntry(
        exchange=exchange_id,
        instrument=instrument,
        kind=kind,
        date=date,
        events=events,
        first=first,
        last=last,
        bytes=os.path.getsize(path),
        path=path,
    )


def _chosen_instruments(
    entries: list[CatalogEntry], chosen: list[str | tuple[ExchangeId | str, str]]
) -> list[CatalogEntry]:
    """The entries of the instruments chosen (each a name, or an `(exchange, name)` pair)."""
    held = sorted({(entry.exchange, entry.instrument) for entry in entries})
    kept: set[tuple[ExchangeId, str]] = set()
    for item in chosen:
        if isinstance(item, str):
            found = {pair for pair in held if pair[1] == item}
        else:
            exchange, name = item
            found = {pair for pair in held if pair == (ExchangeId(exchange), name)}
        if not found:
            names = ", ".join(f"{exchange}:{name}" for exchange, name in held)
            raise MarketDataError(
                f"instruments: {item!r} is not in the catalog, which holds {names}"
            )
        kept |= found
    return [entry for entry in entries if (entry.exchange, entry.instrument) in kept]


def _utc(time: datetime.datetime | datetime.date | None, name: str) -> datetime.datetime | None:
    """A bound as an aware datetime: a date is its midnight, UTC."""
    if time is None:
        return None
    if not isinstance(time, datetime.datetime):
        return datetime.datetime.combine(time, datetime.time(), datetime.UTC)
    if time.tzinfo is None:
        raise ValueError(f"{name}: a datetime needs a time zone (UTC: tzinfo=datetime.UTC)")
    return time
