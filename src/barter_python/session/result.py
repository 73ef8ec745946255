"""What a session (a backtest, a live system) gives back: `SessionResult` (`BacktestResult`
is its alias), with barter's statistics under barter's names (`TearSheet`), the textbook
ones beside them (`TradeStats`), closed positions, fills, every order, the account's equity
curve and portfolio statistics. Frozen Pydantic models:
`to_json()` and `model_validate_json` round-trip."""

from __future__ import annotations

import gc
import os
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import (
    BaseModel,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    model_serializer,
)

from barter_python._native import ArrowTable, RunOutput
from barter_python.instrument import ExchangeId, Side
from barter_python.order import OrderKind, TimeInForce
from barter_python.session.portfolio import EquityPoint, PortfolioStats, portfolio_stats
from barter_python.session.stats import TradeStats, trade_stats

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

    from barter_python.session.tables import Columns, Numbers

__all__ = [
    "AssetResult",
    "BacktestResult",
    "ClosedPosition",
    "EquityPoint",
    "Fill",
    "InstrumentResult",
    "OrderRecord",
    "PortfolioStats",
    "SessionResult",
    "Table",
    "TearSheet",
    "results_from",
]

Table = Literal["summary", "instruments", "positions", "fills", "orders", "equity", "portfolio"]


class TearSheet(BaseModel, frozen=True, extra="forbid"):
    """barter's `TearSheet` of one instrument, values unwrapped, under barter's names.

    barter's `win_rate` is the loss rate and its `profit_factor` net over losses (see
    `TradeStats` for the textbook values). Where barter would put a sentinel (`Decimal::MAX`
    scaled to the interval), the value is `None` and `undefined[field]` says why:
    `"no_trades"`, `"zero_dispersion"`, `"zero_drawdown"`, `"no_losses"` or `"zero_net"`.
    """

    pnl: Decimal
    pnl_return: Decimal | None
    sharpe_ratio: Decimal | None
    sortino_ratio: Decimal | None
    calmar_ratio: Decimal | None
    pnl_drawdown: Decimal | None
    pnl_drawdown_mean: Decimal | None
    pnl_drawdown_max: Decimal | None
    win_rate: Decimal | None
    profit_factor: Decimal | None
    undefined: dict[str, str] = {}


class InstrumentResult(BaseModel, frozen=True, extra="forbid"):
    exchange: ExchangeId
    instrument: str
    barter: TearSheet
    stats: TradeStats


class AssetResult(BaseModel, frozen=True, extra="forbid"):
    """barter's `TearSheetAsset`: the asset's closing balance and its drawdowns."""

    exchange: ExchangeId
    asset: str
    balance_end: Decimal | None
    drawdown: Decimal | None
    drawdown_mean: Decimal | None
    drawdown_max: Decimal | None


class ClosedPosition(BaseModel, frozen=True, extra="forbid"):
    """One position barter closed (`PositionExited`); `quantity` is its largest size,
    `pnl_realised` barter's (net of `fees`, in the quote asset)."""

    exchange: ExchangeId
    instrument: str
    side: Side
    quantity: Decimal
    price_entry: Decimal
    price_exit: Decimal | None
    time_enter: datetime
    time_exit: datetime
    pnl_realised: Decimal
    fees: Decimal


class Fill(BaseModel, frozen=True, extra="forbid"):
    """A trade the mock exchange reported (barter-execution's `Trade`)."""

    time: datetime
    exchange: ExchangeId
    instrument: str
    side: Side
    price: Decimal
    quantity: Decimal
    fees: Decimal
    order_id: str


# A conditional order's kind (spec §13) in `OrderRecord.kind`.
ConditionalKind = Literal["stop", "stop_limit", "take_profit", "take_profit_limit", "trailing_stop"]


class OrderRecord(BaseModel, frozen=True, extra="forbid"):
    """An order the strategy, a hook or the end-of-data close sent: what it asked (`price` as
    named), what filled, at what average price and fees, where it stands and the exchange's
    reason (why refused, expired or cancelled), or the risk manager's (the limit it broke).

    A conditional order is one record: its `kind` (`"stop"`, ...), its `trigger` (the one it
    reached, or holds while untriggered), `time_triggered`, and what it sent when triggered
    (`price`, `quantity`, `time_in_force`, and its fills and status); `"open"` while untriggered.

    `queue_ahead`: what the L2 book held ahead of a resting order when it came to rest, under a
    queue model (`SimulatedExchange.queue`, spec §12); `None` where no queue model applied.
    """

    time: datetime
    exchange: ExchangeId
    instrument: str
    cid: str
    side: Side
    kind: OrderKind | ConditionalKind
    time_in_force: TimeInForce
    price: Decimal
    quantity: Decimal
    filled: Decimal
    average_price: Decimal | None
    fees: Decimal
    status: Literal["filled", "partially_filled", "cancelled", "expired", "refused", "open"]
    reason: str | None
    trigger: Decimal | None = None
    time_triggered: datetime | None = None
    queue_ahead: Decimal | None = None


class SessionResult(BaseModel, frozen=True, extra="forbid"):
    """One session (a backtest, a live system's): its statistics per instrument (barter's and
    textbook), per asset and in total, closed positions, fills, every order and the equity
    curve. Identical inputs give a byte-identical `to_json()` apart from `wall_time_s` (with a
    strategy that sets its cids)."""

    id: str
    time_start: datetime
    time_end: datetime
    interval: str
    risk_free_return: Decimal
    events: int
    orders_sent: int
    orders_refused: int
    wall_time_s: float
    instruments: list[InstrumentResult]
    assets: list[AssetResult]
    totals: TradeStats
    positions: list[ClosedPosition]
    fills: list[Fill]
    exchange: Literal["simulated", "barter_mock"]
    orders: list[OrderRecord]
    equity: list[EquityPoint]
    portfolio: list[PortfolioStats]
    warnings: list[str] = []

    # A session's result keeps its rows native, as columns: the lists below are made when
    # first read (`_made`), and tables come from the columns (`_columns`). A result read
    # from JSON, or copied, has every list already.
    _native: RunOutput | None = PrivateAttr(default=None)
    _equity_interval: timedelta | None = PrivateAttr(default=None)

    if not TYPE_CHECKING:  # type checkers see the fields

        def __getattr__(self, name: str) -> Any:
            made = _LAZY.get(name)
            if made is None or self.__pydantic_private__.get("_native") is None:
                return super().__getattr__(name)
            value = made(self)
            # Once: later reads find it directly. Pydantic serialises in the dict's order, so
            # the fields keep their declared order.
            fields = self.__dict__
            fields[name] = value
            ordered = {key: fields[key] for key in type(self).model_fields if key in fields}
            fields.clear()
            fields.update(ordered)
            return value

    def _whole(self) -> SessionResult:
        """This result with every list made (what serialising, comparing, copying and
        pickling read)."""
        for name in _LAZY:
            getattr(self, name)
        return self

    @model_serializer(mode="wrap")
    def _serialise_whole(self, handler: SerializerFunctionWrapHandler) -> Any:
        return handler(self._whole())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SessionResult):
            return NotImplemented
        return self._whole().__dict__ == other._whole().__dict__

    __hash__ = None  # type: ignore[assignment]  # a model with lists is not hashable

    def __repr_args__(self) -> Any:
        return super(SessionResult, self._whole()).__repr_args__()

    def __getstate__(self) -> dict[Any, Any]:
        state = super(SessionResult, self._whole()).__getstate__()
        return {**state, "__pydantic_private__": {"_native": None, "_equity_interval": None}}

    def __copy__(self) -> Self:
        self._whole()
        return super().__copy__()

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        self._whole()
        memo = {} if memo is None else memo
        memo[id(self._native)] = self._native  # immutable: shared, not copied
        return super().__deepcopy__(memo)

    def to_json(self) -> str:
        """This result as JSON (`SessionResult.model_validate_json` reads it back)."""
        return self.model_dump_json()

    def rows(self, table: Table) -> list[dict[str, Any]]:
        """One table of the result as plain rows: the columns and values of `to_pandas` and
        friends (which read the models by column)."""
        if table == "summary":
            return [
                {"exchange": i.exchange.value, "instrument": i.instrument}
                | {f"barter_{k}": v for k, v in i.barter.model_dump(exclude={"undefined"}).items()}
                | i.stats.model_dump()
                for i in self.instruments
            ]
        if table == "instruments":
            return [
                {"exchange": i.exchange.value, "instrument": i.instrument} | i.stats.model_dump()
                for i in self.instruments
            ]
        _, items = self._models(table)
        return [item.model_dump(mode="python") for item in items]

    def to_pandas(
        self, table: Table = "summary", *, numbers: Numbers = "decimal"
    ) -> pandas.DataFrame:
        """A table as a pandas DataFrame (the optional extra `barter-python[pandas]`);
        `numbers="float"` makes every `Decimal` column float64."""
        from barter_python.session.tables import pandas_frame

        return pandas_frame(self._columns(table, numbers), numbers)

    def to_polars(
        self, table: Table = "summary", *, numbers: Numbers = "decimal"
    ) -> polars.DataFrame:
        """A table as a polars DataFrame (the optional extra `barter-python[polars]`);
        `numbers="float"` makes every `Decimal` column Float64."""
        from barter_python.session.tables import polars_frame

        return polars_frame(self._columns(table, numbers), numbers)

    def to_arrow(self, table: Table = "summary", *, numbers: Numbers = "decimal") -> pyarrow.Table:
        """A table as a pyarrow Table (the optional extra `barter-python[arrow]`);
        `numbers="float"` makes every `Decimal` column float64."""
        from barter_python.session.tables import arrow_table

        return arrow_table(self._columns(table, numbers), numbers)

    def _columns(self, table: Table, numbers: Numbers) -> Columns | ArrowTable:
        """A table by column: the native rows' own (through Arrow's C interface) while the
        result holds them, else read from the models."""
        from barter_python.session.tables import Columns, check_numbers, decimal_fields

        native = self._native
        if native is not None and table in _NATIVE_TABLES:
            made = native.arrow(table, check_numbers(numbers) == "float")
            if made is not None:  # None: an exact column beyond Arrow's 38 digits
                return made

        if table in ("summary", "instruments"):
            barter = decimal_fields(TearSheet, prefix="barter_") if table == "summary" else set()
            return Columns.of_rows(self.rows(table), decimal_fields(TradeStats) | barter)
        model, items = self._models(table)
        return Columns.of_models(model, items)

    def _models(self, table: Table) -> tuple[type[BaseModel], Sequence[BaseModel]]:
        """The model and the items of a table of the result's lists."""
        lists: dict[str, tuple[type[BaseModel], Sequence[BaseModel]]] = {
            "positions": (ClosedPosition, self.positions),
            "fills": (Fill, self.fills),
            "orders": (OrderRecord, self.orders),
            "equity": (EquityPoint, self.equity),
            "portfolio": (PortfolioStats, self.portfolio),
        }
        return lists[table]

    def plot(self, path: str) -> None:
        """Draw the equity curve and its drawdown to `path` (the optional extra
        `barter-python[plot]`)."""
        from barter_python.session.plot import plot_equity

        plot_equity(self, path)

    def report(self, path: str | os.PathLike[str]) -> None:
        """Write one self-contained HTML file to `path`: the equity and drawdown chart, the
        portfolio and per-instrument statistics and the orders (the optional extra
        `barter-python[report]`)."""
        from barter_python.session.html_report import write_report

        write_report(self, path)

    def __str__(self) -> str:
        from barter_python.session.report import summary_table

        text: str = summary_table(self)
        return text


BacktestResult = SessionResult
"""A backtest's result: a `SessionResult`."""


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The result's models hold no cycles: collecting while thousands of them are made would
    only walk the heap again and again."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


# The native rows are typed objects whose attributes are the models' fields: one validation
# call per list (not one per row), from attributes.
_POSITIONS = TypeAdapter(list[ClosedPosition])
_FILLS = TypeAdapter(list[Fill])
_ORDERS = TypeAdapter(list[OrderRecord])
_EQUITY = TypeAdapter(list[EquityPoint])
_ASSETS = TypeAdapter(list[AssetResult])


def results_from(
    id: str, output: RunOutput, equity_interval: timedelta | None, wall_time_s: float
) -> SessionResult:
    """The result of a session (a backtest, a live system) over its native rows: the
    statistics now, the lists of rows when first read."""
    with _no_cyclic_gc():
        return _models(id, output, equity_interval, wall_time_s)


def _made(adapter: TypeAdapter[Any], rows: Callable[[RunOutput], Any]) -> Made:
    def make(result: SessionResult) -> Any:
        native = result._native
        assert native is not None
        with _no_cyclic_gc():
            return adapter.validate_python(rows(native), from_attributes=True)

    return make


def _portfolio(result: SessionResult) -> list[PortfolioStats]:
    """Each quote asset's portfolio statistics, from its equity curve."""
    native = result._native
    assert native is not None
    equity = result.equity
    portfolio = []
    for exposure in native.exposure:
        key = (exposure.exchange, exposure.asset)
        points = [p for p in equity if (p.exchange, p.asset) == key]
        if points:
            portfolio.append(
                portfolio_stats(
                    points, exposure.seconds, result._equity_interval, native.time_start,
                    native.time_end,
                )
            )  # fmt: skip
    return portfolio


Made = Callable[[SessionResult], Any]
# The tables the native rows make themselves.
_NATIVE_TABLES = frozenset({"positions", "fills", "orders", "equity"})
_LAZY: dict[str, Made] = {
    "fills": _made(_FILLS, lambda native: native.fills),
    "orders": _made(_ORDERS, lambda native: native.orders),
    "equity": _made(_EQUITY, lambda native: native.equity),
    "portfolio": _portfolio,
}


def _models(
    id: str, output: RunOutput, equity_interval: timedelta | None, wall_time_s: float
) -> SessionResult:
    positions = _POSITIONS.validate_python(output.positions, from_attributes=True)
    by_instrument: defaultdict[tuple[ExchangeId, str], list[ClosedPosition]] = defaultdict(list)
    for position in positions:
        by_instrument[(position.exchange, position.instrument)].append(position)

    def stats_of(closed: list[ClosedPosition]) -> TradeStats:
        return trade_stats([p.pnl_realised for p in closed], [p.fees for p in closed])

    instruments = [
        InstrumentResult(
            exchange=sheet.exchange,
            instrument=sheet.instrument,
            barter=TearSheet.model_validate(sheet, from_attributes=True),
            stats=stats_of(by_instrument[(sheet.exchange, sheet.instrument)]),
        )
        for sheet in output.instruments
    ]
    result = SessionResult.model_construct(
        id=id,
        time_start=output.time_start,
        time_end=output.time_end,
        interval=output.interval,
        risk_free_return=output.risk_free_return,
        events=output.events,
        orders_sent=output.orders_sent,
        orders_refused=output.orders_refused,
        wall_time_s=wall_time_s,
        instruments=instruments,
        assets=_ASSETS.validate_python(output.assets, from_attributes=True),
        totals=stats_of(positions),
        positions=positions,
        exchange=output.exchange,
        warnings=list(output.warnings),
    )
    # Private attributes of a frozen model: set once, here.
    result.__pydantic_private__ = {"_native": output, "_equity_interval": equity_interval}
    return result
