"""What a backtest gives back: `BacktestResult`, with barter's statistics under barter's names
(`TearSheet`), the textbook ones beside them (`TradeStats`), closed positions, fills, every
order, the account's equity curve and portfolio statistics. Frozen Pydantic models:
`to_json()` and `model_validate_json` round-trip."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from barter_python.backtest.portfolio import EquityPoint, PortfolioStats
from barter_python.backtest.stats import TradeStats
from barter_python.instrument import ExchangeId, Side
from barter_python.order import OrderKind, TimeInForce

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

    from barter_python.backtest.tables import Columns, Numbers

__all__ = [
    "AssetResult",
    "BacktestResult",
    "ClosedPosition",
    "EquityPoint",
    "Fill",
    "InstrumentResult",
    "OrderRecord",
    "PortfolioStats",
    "Table",
    "TearSheet",
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


class OrderRecord(BaseModel, frozen=True, extra="forbid"):
    """An order the strategy, a hook or the end-of-data close sent: what it asked (`price` as
    named), what filled, at what average price and fees, where it stands and the exchange's
    reason (why refused, expired or cancelled), or the risk manager's (the limit it broke)."""

    time: datetime
    exchange: ExchangeId
    instrument: str
    cid: str
    side: Side
    kind: OrderKind
    time_in_force: TimeInForce
    price: Decimal
    quantity: Decimal
    filled: Decimal
    average_price: Decimal | None
    fees: Decimal
    status: Literal["filled", "partially_filled", "cancelled", "expired", "refused", "open"]
    reason: str | None


class BacktestResult(BaseModel, frozen=True, extra="forbid"):
    """One backtest: its statistics per instrument (barter's and textbook), per asset and in
    total, closed positions, fills and the equity curve. Identical inputs give a
    byte-identical `to_json()` apart from `wall_time_s` (with a strategy that sets its cids)."""

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

    def to_json(self) -> str:
        """This result as JSON (`BacktestResult.model_validate_json` reads it back)."""
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
        from barter_python.backtest.tables import pandas_frame

        return pandas_frame(self._columns(table), numbers)

    def to_polars(
        self, table: Table = "summary", *, numbers: Numbers = "decimal"
    ) -> polars.DataFrame:
        """A table as a polars DataFrame (the optional extra `barter-python[polars]`);
        `numbers="float"` makes every `Decimal` column Float64."""
        from barter_python.backtest.tables import polars_frame

        return polars_frame(self._columns(table), numbers)

    def to_arrow(self, table: Table = "summary", *, numbers: Numbers = "decimal") -> pyarrow.Table:
        """A table as a pyarrow Table (the optional extra `barter-python[arrow]`);
        `numbers="float"` makes every `Decimal` column float64."""
        from barter_python.backtest.tables import arrow_table

        return arrow_table(self._columns(table), numbers)

    def _columns(self, table: Table) -> Columns:
        from barter_python.backtest.tables import Columns, decimal_fields

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
        from barter_python.backtest.plot import plot_equity

        plot_equity(self, path)

    def report(self, path: str | os.PathLike[str]) -> None:
        """Write one self-contained HTML file to `path`: the equity and drawdown chart, the
        portfolio and per-instrument statistics and the orders (the optional extra
        `barter-python[report]`)."""
        from barter_python.backtest.html_report import write_report

        write_report(self, path)

    def __str__(self) -> str:
        from barter_python.backtest.report import summary_table

        text: str = summary_table(self)
        return text
