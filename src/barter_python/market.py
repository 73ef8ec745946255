"""Market data for a backtest, held natively: no Python object per event.

`MarketData` keeps barter-data's market events as compact native records (exchange and
received time, exchange, instrument, and a trade, an L1 book or a market disconnection),
in the order given (a source keeps its recorded order; `sort()` and `merge()` order by
exchange time), and the instruments they name in barter's order. It is
immutable and pickles to a compact binary form, so a sweep ships it to each worker once.

Prices and amounts are barter-data's `f64`; a number is accepted only if it survives that:
its decimal value must read back unchanged (and a trade price must be the one barter's engine
reads with `Decimal::from_f64`). Prices must be `> 0`, amounts `>= 0`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, Self

from barter_python import _native
from barter_python._native import EngineEvent
from barter_python.errors import MarketDataError
from barter_python.instrument import ExchangeId

if TYPE_CHECKING:
    import pyarrow

__all__ = ["BinanceKind", "Instruments", "MarketData", "Order", "TableKind"]

TableKind = Literal["trades", "l1", "candles"]
BinanceKind = Literal["trades", "agg_trades", "klines", "book_ticker"]
Order = Literal["check", "sort", "as_is"]

# Arrow column names by the kind of values they hold (see `MarketData.from_arrow`).
_TIMES = frozenset({"time", "time_exchange", "time_received"})
_TEXTS = frozenset({"exchange", "instrument", "kind", "side"})
_NUMBERS = frozenset(
    {"price", "amount", "bid_price", "bid_amount", "ask_price", "ask_amount"}
    | {"open", "high", "low", "close", "volume", "trades"}
)
_NULL_TIME = -(2**63)  # the native layer reads it as a missing time


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
    """Market events for a backtest: trades, L1 books and market disconnections, in the order
    given (`sort()` orders them by exchange time). Immutable; `==` compares events; pickles
    compactly.

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
        source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
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
        paths = [source] if isinstance(source, str | os.PathLike) else list(source)
        if not paths:
            raise ValueError("source: no file given")
        native = _native.MarketData._load_binance(
            [os.fspath(path) for path in paths],
            kind,
            ExchangeId(exchange),
            _name(instrument),
            order,
        )
        return cls(native)

    @classmethod
    def from_tardis(
        cls,
        source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        *,
        instruments: str | Mapping[str, str],
        exchange: ExchangeId | str | None = None,
        order: Order = "check",
    ) -> Self:
        """Tardis.dev's downloadable CSVs, the kind read from the header:

        - `trades`: `exchange,symbol,timestamp,local_timestamp,id,side,price,amount`
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
        and the errors as `from_binance`'s. A trade whose side is not buy or sell, and L2 files
        (`incremental_book_L2`, `book_snapshot_N`), are refused until §12's depth lands.
        """
        paths = [source] if isinstance(source, str | os.PathLike) else list(source)
        if not paths:
            raise ValueError("source: no file given")
        if isinstance(instruments, str):
            names: str | dict[str, str] = _name(instruments)
        else:
            names = {str(symbol): _name(name) for symbol, name in instruments.items()}
            if not names:
                raise ValueError("instruments: map at least one symbol to an instrument")
        native = _native.MarketData._load_tardis(
            [os.fspath(path) for path in paths],
            names,
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
        kind: TableKind | Literal["events"] = "events",
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
        Needs pyarrow (`barter-python[arrow]`)."""
        pa = _pyarrow()
        length = len(self)
        arrays = {}
        for name, (data, validity, names) in self._columns().items():
            buffers = [None if validity is None else pa.py_buffer(validity), pa.py_buffer(data)]
            if names is not None:
                codes = pa.Array.from_buffers(pa.int32(), length, buffers)
                arrays[name] = pa.DictionaryArray.from_arrays(codes, pa.array(names, pa.string()))
            elif name in _TIMES:
                arrays[name] = pa.Array.from_buffers(pa.timestamp("ns", "UTC"), length, buffers)
            else:
                arrays[name] = pa.Array.from_buffers(pa.float64(), length, buffers)
        return pa.table(arrays)


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


def _codes(pa: Any, column: Any) -> tuple[Any, list[str | None]]:
    """int32 codes into a list of labels, nulls as -1."""
    encoded = column.cast(pa.string()).combine_chunks().dictionary_encode()
    codes = pa.compute.fill_null(encoded.indices.cast(pa.int32()), -1)
    labels: list[str | None] = encoded.dictionary.to_pylist()
    return codes, labels
