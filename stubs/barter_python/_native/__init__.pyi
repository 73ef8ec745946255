"""barter_python._native: barter's own types and functions, compiled (PyO3).

This stub is the source of truth for the native module's interface; `mypy.stubtest` checks it
against the compiled module.
"""

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal, Self, final

from _typeshed import SupportsWrite
from typing_extensions import CapsuleType, disjoint_base

from barter_python._native import strategy as strategy
from barter_python.backtest.config import BacktestConfig
from barter_python.engine import Strategy
from barter_python.instrument import ExchangeId, Side
from barter_python.live.config import LiveConfig
from barter_python.live.events import LiveEventKind
from barter_python.order import OrderKind, TimeInForce
from barter_python.session.config import SessionConfig
from barter_python.snapshot import (
    DecimalInput,
    InstrumentSnapshot,
    InstrumentSpec,
    PositionSnapshot,
)

__all__ = [
    "BOOK_CSV_COLUMNS",
    "ENDPOINT_EXCHANGES",
    "ArrowTable",
    "AssetRow",
    "Audit",
    "Bar",
    "Book",
    "BookRows",
    "BookView",
    "Bracket",
    "ClientOrderId",
    "ConditionalOrder",
    "Connectivity",
    "Engine",
    "EngineActions",
    "EngineEvent",
    "EngineStateView",
    "EquityRow",
    "ExposureRow",
    "FillRow",
    "Flattened",
    "Hook",
    "InstrumentFilter",
    "LiveEvent",
    "LiveSystem",
    "LocalExchange",
    "MarketData",
    "MarketEventView",
    "MarketQuery",
    "OrderId",
    "OrderKey",
    "OrderRequestCancel",
    "OrderRequestOpen",
    "OrderRow",
    "PositionRow",
    "Quote",
    "RequestCancel",
    "RequestOpen",
    "RunOutput",
    "SheetRow",
    "StrategyId",
    "Trade",
    "__version__",
    "barter_name",
    "barter_variants",
    "bind_classes",
    "catalog_file",
    "catalog_import_binance",
    "catalog_import_tardis",
    "catalog_write",
    "check_endpoint",
    "check_latency_file",
    "flatten",
    "internal_name",
    "json_item_lines",
    "load_market_events",
    "market_data_from_events",
    "non_negative",
    "positive",
    "read_csv",
    "read_items",
    "run_backtest",
    "strategy",
    "to_decimal",
]

def check_latency_file(path: str | os.PathLike[str]) -> None:
    """Read a `SimulatedExchange.latency_from` file: `ValueError` naming the file, the line and
    the field of its first problem."""

def barter_name(kind: str, value: str) -> str | None:
    """barter's canonical serde name for `value` of enum `kind` (aliases accepted), or None."""

def barter_variants(kind: str) -> list[str]:
    """The variant names barter's serde declares for enum `kind`."""

def bind_classes(**classes: type) -> None:
    """Hand the package's classes the native module returns or raises to it, by name (each
    defining module does so once, when imported: the native module never imports the package)."""

def non_negative(value: object) -> Decimal:
    """A snapshot's quantity or entry price: `to_decimal`'s rule and `>= 0` (`ValueError`)."""

def positive(value: object) -> Decimal:
    """A snapshot's price: `to_decimal`'s rule and `> 0` (`ValueError`)."""

def internal_name(name: str) -> str:
    """`name` lowercased as barter's internal instrument and asset names are."""

BOOK_CSV_COLUMNS: tuple[str, ...]
ENDPOINT_EXCHANGES: tuple[str, ...]
__version__: str

def read_csv(source: str, text: str) -> BookRows:
    """A CSV book's rows, validated natively; raises `BookError` naming every problem."""

def json_item_lines(text: str) -> list[int]:
    """The line each item of a JSON text's top-level array starts on."""

def read_items(
    items: list[Any], lines: list[int]
) -> tuple[BookRows, list[int], list[tuple[int, str]]]:
    """A JSON book's items as rows by the models' rules: the rows accepted, the positions of
    the items refused, and each repeated instrument's position with why."""

@final
class BookRows:
    """Validated snapshots held natively, with the line each was read from."""

    def __len__(self) -> int: ...
    @property
    def lines(self) -> list[int]: ...
    def snapshots(self) -> list[InstrumentSnapshot]: ...

def flatten(
    rows: BookRows,
    strategy_id: StrategyId | str,
    filter: InstrumentFilter | None = None,
    cid_prefix: str | None = None,
    skip_missing_price: bool = False,
) -> Flattened:
    """barter's close of every open position of `rows`, held natively."""

@final
class Flattened:
    """The orders that close a book's open positions, and what the filter selected."""

    def __len__(self) -> int: ...
    @property
    def selected(self) -> int: ...
    @property
    def open_positions(self) -> int: ...
    @property
    def unpriced(self) -> int: ...
    def write(self, stream: SupportsWrite[bytes], format: Literal["jsonl", "json"]) -> None:
        """Write barter's serde JSON of the orders: one per line, or as one array."""
    def table_rows(self) -> list[list[str]]:
        """Per order: exchange, instrument, side, quantity, price, notional, cid."""
    def totals(self) -> list[str]:
        """The total notional per quote asset (`12.50 usdt`), by quote asset."""

def to_decimal(value: object, field: str | None = None) -> Decimal:
    """`value` (a Decimal, int, float or numeric str) as the exact Decimal barter would hold:
    the SDK's rule for every money argument. `ValueError`/`TypeError` name `field` (left out
    when None); NaN, infinities, bool and values barter cannot hold exactly are refused."""

@final
class StrategyId:
    """barter's `StrategyId`: a non-empty string id."""

    def __new__(cls, value: str) -> StrategyId: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class ClientOrderId:
    """barter's `ClientOrderId`: a non-empty string id."""

    def __new__(cls, value: str) -> ClientOrderId: ...
    @staticmethod
    def random() -> ClientOrderId:
        """barter's `ClientOrderId::random()`: 23 url-safe characters."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class OrderId:
    """barter's `OrderId`: a non-empty string id."""

    def __new__(cls, value: str) -> OrderId: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class OrderKey:
    """barter's `OrderKey<ExchangeId, InstrumentNameInternal>` (barter lowercases the name)."""

    def __new__(
        cls,
        exchange: ExchangeId | str,
        instrument: str,
        strategy: StrategyId | str,
        cid: ClientOrderId | str,
    ) -> OrderKey: ...
    @property
    def exchange(self) -> ExchangeId: ...
    @property
    def instrument(self) -> str: ...
    @property
    def strategy(self) -> StrategyId: ...
    @property
    def cid(self) -> ClientOrderId: ...
    def to_json(self) -> str:
        """barter's serde JSON of this value."""
    @staticmethod
    def from_json(json: str) -> OrderKey:
        """Parse barter's serde JSON."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class RequestOpen:
    """barter's `RequestOpen`: side, price, quantity, kind and time in force of an order."""

    def __new__(
        cls,
        side: Side | str,
        price: DecimalInput,
        quantity: DecimalInput,
        kind: OrderKind | str,
        time_in_force: TimeInForce | str,
    ) -> RequestOpen: ...
    @property
    def side(self) -> Side: ...
    @property
    def price(self) -> Decimal: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def kind(self) -> OrderKind: ...
    @property
    def time_in_force(self) -> TimeInForce: ...
    def to_json(self) -> str:
        """barter's serde JSON of this value."""
    @staticmethod
    def from_json(json: str) -> RequestOpen:
        """Parse barter's serde JSON."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class RequestCancel:
    """barter's `RequestCancel`: the exchange `id` of the order, None while in flight."""

    def __new__(cls, id: OrderId | str | None = None) -> RequestCancel: ...
    @property
    def id(self) -> OrderId | None: ...
    def to_json(self) -> str:
        """barter's serde JSON of this value."""
    @staticmethod
    def from_json(json: str) -> RequestCancel:
        """Parse barter's serde JSON."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class OrderRequestOpen:
    """barter's `OrderRequestOpen<ExchangeId, InstrumentNameInternal>`."""

    def __new__(cls, key: OrderKey, state: RequestOpen) -> OrderRequestOpen: ...
    @property
    def key(self) -> OrderKey: ...
    @property
    def state(self) -> RequestOpen: ...
    def to_json(self) -> str:
        """barter's serde JSON of this value."""
    @staticmethod
    def from_json(json: str) -> OrderRequestOpen:
        """Parse barter's serde JSON."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class ConditionalOrder:
    """A stop, take-profit or trailing stop, held untriggered by the simulated exchange
    (spec §13); use `barter_python.strategy.stop_order` and friends."""

    def __new__(
        cls,
        key: OrderKey,
        side: Side | str,
        quantity: DecimalInput,
        kind: str,
        *,
        trigger: DecimalInput | None = None,
        limit: DecimalInput | None = None,
        offset: DecimalInput | None = None,
        offset_bps: DecimalInput | None = None,
        trigger_on: str = "trade",
        strict: bool = False,
        reduce_only: bool = False,
    ) -> ConditionalOrder: ...
    @property
    def key(self) -> OrderKey: ...
    @property
    def side(self) -> Side: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def kind(self) -> str: ...
    @property
    def trigger(self) -> Decimal | None: ...
    @property
    def limit(self) -> Decimal | None: ...
    @property
    def offset(self) -> Decimal | None: ...
    @property
    def offset_bps(self) -> Decimal | None: ...
    @property
    def trigger_on(self) -> str: ...
    @property
    def strict(self) -> bool: ...
    @property
    def reduce_only(self) -> bool: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(json: str) -> ConditionalOrder: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Bracket:
    """An entry with a stop-loss and a take-profit growing with its fills, or two conditional
    orders of which one triggering cancels the other; use `barter_python.strategy.bracket`
    and `oco`."""

    @staticmethod
    def with_entry(
        entry: object,
        *,
        stop_loss: DecimalInput | None = None,
        take_profit: DecimalInput | None = None,
        trigger_on: str = "trade",
        strict: bool = False,
        reduce_only: bool = False,
    ) -> Bracket: ...
    @staticmethod
    def oco(first: ConditionalOrder, second: ConditionalOrder) -> Bracket: ...
    @property
    def entry(self) -> OrderRequestOpen | None: ...
    @property
    def legs(self) -> list[ConditionalOrder]: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(json: str) -> Bracket: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class OrderRequestCancel:
    """barter's `OrderRequestCancel<ExchangeId, InstrumentNameInternal>`."""

    def __new__(cls, key: OrderKey, state: RequestCancel) -> OrderRequestCancel: ...
    @property
    def key(self) -> OrderKey: ...
    @property
    def state(self) -> RequestCancel: ...
    def to_json(self) -> str:
        """barter's serde JSON of this value."""
    @staticmethod
    def from_json(json: str) -> OrderRequestCancel:
        """Parse barter's serde JSON."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class InstrumentFilter:
    """Which instruments a close applies to; mirrors barter's `InstrumentFilter`."""

    @staticmethod
    def none() -> InstrumentFilter:
        """Every instrument."""
    @staticmethod
    def exchanges(*exchanges: ExchangeId | str) -> InstrumentFilter:
        """Instruments on any of these exchanges (an exchange the book lacks matches nothing)."""
    @staticmethod
    def instruments(*names: str) -> InstrumentFilter:
        """Instruments with any of these names, on every exchange that has them."""
    @staticmethod
    def underlyings(*pairs: tuple[str, str]) -> InstrumentFilter:
        """Instruments with any of these `(base, quote)` pairs, on every exchange."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@disjoint_base
class Engine:
    """barter's `Engine` (barter's `EngineState`, the SDK's `RiskLimits`; the simulated exchange
    or one barter-execution `MockExchange` per exchange of the book) driven by a Python
    strategy.

    Use `barter_python.engine.Engine`, which validates the snapshots.
    """

    def __new__(cls, config: SessionConfig, strategy: Strategy, *, trading_enabled: bool) -> Self:
        """barter's engine over a validated `SessionConfig` (its instruments, balances,
        exchange, risk limits and strategy id)."""
    def process(self, event: EngineEvent) -> Audit:
        """The exchange sees a market event first (what it fills reaches barter's state), then
        barter's `Engine::process` for `event`, then the exchange's answers."""
    def cancel_orders(self, filter: InstrumentFilter | None = None) -> Audit:
        """barter's `cancel_orders` action (`Command::CancelOrders`)."""
    def close_positions(self, filter: InstrumentFilter | None = None) -> Audit:
        """barter's `close_positions` action (`Command::ClosePositions`)."""
    def send_requests(
        self,
        cancels: Iterable[OrderRequestCancel],
        opens: Iterable[OrderRequestOpen | ConditionalOrder | Bracket],
    ) -> Audit:
        """barter's `send_requests` (`Command::SendCancelRequests`, `SendOpenRequests`)."""
    @property
    def state(self) -> EngineStateView:
        """A read-only view of barter's `EngineState`, read when its methods are called."""

@final
class EngineEvent:
    """One event for `Engine.process`: barter's `EngineEvent` in the caller's keys."""

    @staticmethod
    def trade(
        exchange: ExchangeId | str,
        instrument: str,
        price: DecimalInput,
        amount: DecimalInput,
        side: Side | str,
        time: datetime | None = None,
    ) -> EngineEvent:
        """A public trade (barter-data's `PublicTrade`, which holds floats); `time` must be
        timezone-aware (default: now)."""
    @staticmethod
    def candle(
        exchange: ExchangeId | str,
        instrument: str,
        open: DecimalInput,
        high: DecimalInput,
        low: DecimalInput,
        close: DecimalInput,
        volume: DecimalInput,
        time: datetime | None = None,
        trades: int = 0,
    ) -> EngineEvent:
        """A candle (barter-data's `Candle`) closing at `time` (timezone-aware; default: now):
        prices > 0 with open and close within low..high, volume >= 0."""
    @staticmethod
    def l1(
        exchange: ExchangeId | str,
        instrument: str,
        bid: tuple[DecimalInput, DecimalInput],
        ask: tuple[DecimalInput, DecimalInput],
        time: datetime | None = None,
    ) -> EngineEvent:
        """A level-1 book (barter-data's `OrderBookL1`): best `(price, amount)` each side,
        amounts >= 0 and not both 0; `time` must be timezone-aware (default: now)."""
    @staticmethod
    def l2(
        exchange: ExchangeId | str,
        instrument: str,
        bids: Sequence[tuple[DecimalInput, DecimalInput]],
        asks: Sequence[tuple[DecimalInput, DecimalInput]],
        snapshot: bool = True,
        time: datetime | None = None,
        sequence: int = 0,
    ) -> EngineEvent:
        """An L2 book message (barter-data's `OrderBookEvent`): a `Snapshot` (the whole book;
        not crossed or locked, no amount 0) or, with `snapshot=False`, an `Update` (levels with
        their new absolute amount; 0 deletes the level). `bids` and `asks` are `(price,
        amount)` pairs; `time` is the exchange time (timezone-aware; default: now)."""
    @staticmethod
    def market_disconnected(exchange: ExchangeId | str) -> EngineEvent:
        """The exchange's market data stream disconnected."""
    @staticmethod
    def account_disconnected(exchange: ExchangeId | str) -> EngineEvent:
        """The exchange's account stream disconnected."""
    @staticmethod
    def trading_state(enabled: bool) -> EngineEvent:
        """barter's `TradingStateUpdate`."""

def load_market_events(json: str) -> list[EngineEvent]:
    """Events from barter's JSON market-data format (a list of `MarketStreamResult`)."""

@disjoint_base
class MarketData:
    """Market events for a backtest, held natively, in the order given.

    Use `barter_python.backtest.MarketData`, whose constructors validate their arguments.
    """

    def __new__(cls, data: MarketData) -> Self:
        """Another reference to `data`'s events (shared, not copied)."""
    @staticmethod
    def _load_barter_json(
        path: str, instruments: Sequence[tuple[ExchangeId | str, str]] | None = None
    ) -> MarketData: ...
    @staticmethod
    def _load_csv(
        path: str, kind: str, exchange: ExchangeId | str, instrument: str, order: str
    ) -> MarketData: ...
    @staticmethod
    def _load_binance(
        paths: list[str], kind: str, exchange: ExchangeId | str, instrument: str, order: str
    ) -> MarketData: ...
    @staticmethod
    def _load_tardis(
        paths: list[str],
        instruments: str | dict[str, str],
        exchange: ExchangeId | str | None,
        order: str,
    ) -> MarketData: ...
    @staticmethod
    def _from_columns(
        kind: str,
        length: int,
        columns: dict[str, memoryview[Any]],
        labels: dict[str, list[str | None]],
        exchange: ExchangeId | str | None = None,
        instrument: str | None = None,
    ) -> MarketData: ...
    def _columns(self) -> dict[str, tuple[bytes, bytes | None, list[str] | None]]: ...
    def _ordered(self, order: str, source: str, unit: str) -> Self: ...
    @classmethod
    def _from_bytes(cls, data: bytes) -> Self: ...
    def __reduce__(self) -> tuple[Callable[[bytes], Self], tuple[bytes]]: ...
    def __len__(self) -> int: ...
    @property
    def time_first_event(self) -> datetime:
        """The earliest exchange time of the events (UTC); `ValueError` when empty."""
    @property
    def time_last_event(self) -> datetime:
        """The latest exchange time of the events (UTC); `ValueError` when empty."""
    @property
    def instruments(self) -> list[tuple[ExchangeId, str]]:
        """The `(exchange, instrument)` pairs the events name, in barter's order."""
    @property
    def skipped(self) -> int:
        """Rows of vendor files skipped as no market (a crossed or locked book)."""
    @property
    def nbytes(self) -> int:
        """Bytes of native memory the events and instrument names take."""
    def merge(self, *others: MarketData) -> Self:
        """This data and `others` interleaved by receive time (`time_received`, which is the
        exchange time where a source has only that one): each part keeps its own order; the
        next event is the earliest of the parts' next ones (ties: the earlier part)."""
    def sort(self) -> Self:
        """The events sorted stably by receive time (`time_received`; data keeps its recorded
        order unless asked)."""
    def slice(self, start: datetime | None = None, end: datetime | None = None) -> Self:
        """The events with `start <= time_exchange < end`, in their order (a bound left out
        is open)."""
    def __eq__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@disjoint_base
class MarketQuery:
    """Files of a market-data catalog and bounds of the exchange time, read row group by row
    group. Use `barter_python.market.Catalog.query`."""

    def __new__(
        cls,
        parts: Sequence[tuple[ExchangeId | str, str, str, Sequence[str]]],
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Self:
        """`parts`: `(exchange, instrument, kind, files in date order)`; the events with
        `start <= time_exchange < end`."""
    def _load(self) -> MarketData: ...
    def __len__(self) -> int: ...
    @property
    def time_first_event(self) -> datetime:
        """The first exchange time within the bounds, from the footers (and from the time
        column of a file a bound cuts); `ValueError` without events."""
    @property
    def time_last_event(self) -> datetime:
        """The last exchange time within the bounds, found as `time_first_event` is."""
    @property
    def parts(self) -> list[tuple[ExchangeId, str, str, list[str]]]:
        """`(exchange, instrument, kind, files)` of each part, by exchange, instrument, kind."""
    @property
    def instruments(self) -> list[tuple[ExchangeId, str]]:
        """The `(exchange, instrument)` pairs of the parts, in barter's order."""
    @property
    def start(self) -> datetime | None: ...
    @property
    def end(self) -> datetime | None: ...
    def slice(self, start: datetime | None = None, end: datetime | None = None) -> Self:
        """The same files, the events with `start <= time_exchange < end` as well."""
    def __reduce__(
        self,
    ) -> tuple[
        type[Self],
        tuple[list[tuple[ExchangeId, str, str, list[str]]], datetime | None, datetime | None],
    ]: ...
    def __eq__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

def catalog_write(root: str, data: MarketData, replace: bool) -> list[str]:
    """`data` into the catalog at `root`; the paths of its days (use `Catalog.write`)."""

def catalog_import_binance(
    root: str,
    paths: list[str],
    kind: str,
    exchange: ExchangeId | str,
    instrument: str,
    order: str,
    replace: bool,
    progress: Callable[[Literal["checking", "writing"], int], object] | None = None,
) -> list[str]:
    """Binance's files into the catalog, streaming (use `Catalog.import_binance`)."""

def catalog_import_tardis(
    root: str,
    paths: list[str],
    instruments: str | dict[str, str],
    exchange: ExchangeId | str | None,
    order: str,
    replace: bool,
    progress: Callable[[Literal["checking", "writing"], int], object] | None = None,
) -> list[str]:
    """Tardis's files into the catalog, streaming (use `Catalog.import_tardis`)."""

def catalog_file(path: str) -> tuple[int, datetime, datetime]:
    """A catalog file's events and first and last exchange times, from its footer."""

@final
class Audit:
    """What the engine did for one call."""

    @property
    def opens_sent(self) -> list[OrderRequestOpen]: ...
    @property
    def cancels_sent(self) -> list[OrderRequestCancel]: ...
    @property
    def opens_refused(self) -> list[tuple[OrderRequestOpen, str]]: ...
    @property
    def cancels_refused(self) -> list[tuple[OrderRequestCancel, str]]: ...
    @property
    def trades(self) -> list[Trade]: ...
    @property
    def hooks(self) -> list[Hook]: ...
    @property
    def errors(self) -> list[str]: ...

@final
class Hook:
    """A strategy hook barter called: `on_disconnect` (with its exchange) or
    `on_trading_disabled`."""

    @property
    def name(self) -> str: ...
    @property
    def exchange(self) -> ExchangeId | None: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Trade:
    """barter-execution's `Trade`: a fill an exchange reported."""

    @property
    def exchange(self) -> ExchangeId: ...
    @property
    def instrument(self) -> str: ...
    @property
    def strategy(self) -> StrategyId: ...
    @property
    def order_id(self) -> OrderId: ...
    @property
    def side(self) -> Side: ...
    @property
    def price(self) -> Decimal: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def fees(self) -> Decimal:
        """Fees in the quote asset."""

@final
class EngineStateView:
    """A read-only view of barter's `EngineState`; inside a strategy call, valid during it."""

    @property
    def event(self) -> MarketEventView | None:
        """The market event this strategy call is for (None outside a market event's call)."""
    def quote(self, exchange: ExchangeId | str, instrument: str) -> Quote | None:
        """The simulated exchange's view of an instrument: what an order would meet."""
    def book(self, exchange: ExchangeId | str, instrument: str, depth: int = 10) -> BookView | None:
        """The instrument's L2 book as the engine processed it: its `depth` best levels a side
        (None before its first L2 event)."""
    def quote_asset(self, exchange: ExchangeId | str, instrument: str) -> str:
        """The instrument's quote asset."""
    def equity(self, exchange: ExchangeId | str, asset: str) -> Decimal | None:
        """The account's equity in `asset`: cash plus holdings at the exchange's marks."""
    @property
    def strategy_id(self) -> StrategyId:
        """The engine's strategy id (what its orders carry)."""
    def spec(self, exchange: ExchangeId | str, instrument: str) -> InstrumentSpec | None:
        """The instrument's lot and tick sizes, if its snapshot gave them."""
    def positions(self) -> dict[tuple[ExchangeId, str], PositionSnapshot]:
        """Open positions, keyed by `(exchange, instrument)`."""
    def prices(self) -> dict[tuple[ExchangeId, str], Decimal]:
        """barter's price of each instrument that has one."""
    def conditional_orders(self) -> list[ConditionalOrder]:
        """The simulated exchange's untriggered conditional orders, in placement order, each
        with its current trigger and quantity; empty on barter's mock."""
    def open_orders(self) -> list[OrderRequestOpen]:
        """Orders the engine tracks (in flight or open), as the requests that opened them."""
    @property
    def time(self) -> datetime:
        """The engine's clock: the latest market event's exchange time in a backtest, the wall
        clock in a live engine (UTC)."""
    def balances(self) -> dict[tuple[ExchangeId, str], Decimal]:
        """barter's balance (total) of each asset that has one, keyed by `(exchange, asset)`."""
    @property
    def trading_enabled(self) -> bool: ...
    def connectivity(self) -> list[tuple[ExchangeId, Connectivity]]:
        """barter's connectivity state of each exchange."""

@final
class Connectivity:
    """barter's `ConnectivityState` of one exchange."""

    @property
    def market_data(self) -> bool: ...
    @property
    def account(self) -> bool: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class EngineActions:
    """What a hook receives: the state, and barter's engine actions, carried out in order
    as soon as the hook returns."""

    @property
    def state(self) -> EngineStateView: ...
    def cancel_orders(self, filter: InstrumentFilter | None = None) -> None: ...
    def close_positions(self, filter: InstrumentFilter | None = None) -> None: ...
    def send_requests(
        self,
        cancels: Iterable[OrderRequestCancel],
        opens: Iterable[OrderRequestOpen | ConditionalOrder | Bracket],
    ) -> None: ...

def market_data_from_events(events: Iterable[EngineEvent]) -> MarketData:
    """`MarketData` of engine events (use `MarketData.from_events`)."""

def check_endpoint(exchange: ExchangeId | str, url: str) -> None:
    """The rule of a live endpoint: an exchange whose URL can be replaced, a ws:// or wss:// URL."""

def run_backtest(
    strategy: Strategy,
    data: MarketData | MarketQuery,
    config: BacktestConfig,
    *,
    progress: Callable[[int, int], object] | None = None,
) -> RunOutput:
    """Replay `data` through barter's engine (use `barter_python.backtest.backtest`)."""

# What a replay hands over: typed rows whose attributes are the fields of the models of
# `barter_python.backtest.summary` (validated from attributes).

@final
class SheetRow:
    """One instrument's barter `TearSheet`, values unwrapped."""

    @property
    def exchange(self) -> ExchangeId: ...
    @property
    def instrument(self) -> str: ...
    @property
    def pnl(self) -> Decimal: ...
    @property
    def pnl_return(self) -> Decimal | None: ...
    @property
    def sharpe_ratio(self) -> Decimal | None: ...
    @property
    def sortino_ratio(self) -> Decimal | None: ...
    @property
    def calmar_ratio(self) -> Decimal | None: ...
    @property
    def pnl_drawdown(self) -> Decimal | None: ...
    @property
    def pnl_drawdown_mean(self) -> Decimal | None: ...
    @property
    def pnl_drawdown_max(self) -> Decimal | None: ...
    @property
    def win_rate(self) -> Decimal | None: ...
    @property
    def profit_factor(self) -> Decimal | None: ...
    @property
    def undefined(self) -> dict[str, str]: ...

@final
class AssetRow:
    """One asset's barter `TearSheetAsset`."""

    @property
    def exchange(self) -> ExchangeId: ...
    @property
    def asset(self) -> str: ...
    @property
    def balance_end(self) -> Decimal | None: ...
    @property
    def drawdown(self) -> Decimal | None: ...
    @property
    def drawdown_mean(self) -> Decimal | None: ...
    @property
    def drawdown_max(self) -> Decimal | None: ...

@final
class PositionRow:
    """A position barter closed."""

    @property
    def exchange(self) -> ExchangeId: ...
    @property
    def instrument(self) -> str: ...
    @property
    def side(self) -> Side: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def price_entry(self) -> Decimal: ...
    @property
    def price_exit(self) -> Decimal | None: ...
    @property
    def time_enter(self) -> datetime: ...
    @property
    def time_exit(self) -> datetime: ...
    @property
    def pnl_realised(self) -> Decimal: ...
    @property
    def fees(self) -> Decimal: ...

@final
class FillRow:
    """A trade the exchange reported."""

    @property
    def time(self) -> datetime: ...
    @property
    def exchange(self) -> ExchangeId: ...
    @property
    def instrument(self) -> str: ...
    @property
    def side(self) -> Side: ...
    @property
    def price(self) -> Decimal: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def fees(self) -> Decimal: ...
    @property
    def order_id(self) -> str: ...

@final
class OrderRow:
    """An order as it stands at the end of the run."""

    @property
    def time(self) -> datetime: ...
    @property
    def exchange(self) -> ExchangeId: ...
    @property
    def instrument(self) -> str: ...
    @property
    def cid(self) -> str: ...
    @property
    def side(self) -> Side: ...
    @property
    def kind(self) -> OrderKind | str: ...
    @property
    def time_in_force(self) -> TimeInForce: ...
    @property
    def price(self) -> Decimal: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def filled(self) -> Decimal: ...
    @property
    def average_price(self) -> Decimal | None: ...
    @property
    def fees(self) -> Decimal: ...
    @property
    def status(self) -> str: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def trigger(self) -> Decimal | None: ...
    @property
    def time_triggered(self) -> datetime | None: ...
    @property
    def queue_ahead(self) -> Decimal | None: ...

@final
class EquityRow:
    """The account's value in one quote asset at one time."""

    @property
    def exchange(self) -> ExchangeId: ...
    @property
    def asset(self) -> str: ...
    @property
    def time(self) -> datetime: ...
    @property
    def cash(self) -> Decimal: ...
    @property
    def holdings(self) -> Decimal: ...
    @property
    def equity(self) -> Decimal: ...
    @property
    def drawdown(self) -> Decimal: ...

@final
class ExposureRow:
    """How long one quote asset had an open position."""

    @property
    def exchange(self) -> ExchangeId: ...
    @property
    def asset(self) -> str: ...
    @property
    def seconds(self) -> float: ...

@final
class ArrowTable:
    """One table of a session's result, held natively; read it with `pyarrow.table()`,
    `polars.DataFrame()` or anything that takes Arrow's PyCapsule stream interface."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> CapsuleType: ...
    def __len__(self) -> int: ...

@final
class RunOutput:
    """Everything a session produced; its rows stay native, each list made when read."""

    def arrow(self, table: str, floats: bool) -> ArrowTable | None:
        """A table of the rows (`positions`, `fills`, `orders`, `equity`); `None` where an
        exact column does not fit Arrow's 38-digit decimals."""

    @property
    def time_start(self) -> datetime: ...
    @property
    def time_end(self) -> datetime: ...
    @property
    def interval(self) -> str: ...
    @property
    def risk_free_return(self) -> Decimal: ...
    @property
    def events(self) -> int: ...
    @property
    def orders_sent(self) -> int: ...
    @property
    def orders_refused(self) -> int: ...
    @property
    def exchange(self) -> Literal["simulated", "barter_mock"]: ...
    @property
    def instruments(self) -> list[SheetRow]: ...
    @property
    def assets(self) -> list[AssetRow]: ...
    @property
    def positions(self) -> list[PositionRow]: ...
    @property
    def fills(self) -> list[FillRow]: ...
    @property
    def orders(self) -> list[OrderRow]: ...
    @property
    def equity(self) -> list[EquityRow]: ...
    @property
    def exposure(self) -> list[ExposureRow]: ...
    @property
    def warnings(self) -> list[str]: ...

@disjoint_base
class Book:
    """barter's `EngineState` for a book of snapshots, kept across calls.

    Use `barter_python.Book`, which validates the snapshots.
    """

    def __new__(cls, instruments: list[InstrumentSnapshot]) -> Self: ...
    def update(self, instruments: list[InstrumentSnapshot]) -> None:
        """Replace the named instruments' prices and positions."""
    def set_prices(self, prices: Mapping[tuple[ExchangeId | str, str], DecimalInput]) -> None:
        """Set the named instruments' prices."""
    def close_open_positions_with_market_orders(
        self,
        strategy_id: StrategyId | str,
        gen_cid: Callable[[InstrumentSnapshot], ClientOrderId | str] | None = None,
        filter: InstrumentFilter | None = None,
        skip_missing_price: bool = False,
        snapshot: Callable[[InstrumentSnapshot, Decimal | None], InstrumentSnapshot] | None = None,
    ) -> tuple[list[OrderRequestCancel], list[OrderRequestOpen]]:
        """barter's `close_open_positions_with_market_orders` on the kept state."""
    def __len__(self) -> int: ...

@final
class LiveEvent:
    """One thing that happened in a live system; `str(event)` says what, with the reason."""

    @property
    def kind(self) -> LiveEventKind: ...
    @property
    def time(self) -> datetime:
        """When the system saw it (wall-clock UTC)."""
    @property
    def exchange(self) -> ExchangeId | None: ...
    @property
    def instrument(self) -> str | None: ...
    @property
    def reason(self) -> str:
        """What happened: a refusal's reason, an error's message, the fill in words."""
    @property
    def fill(self) -> Trade | None:
        """The exchange's trade, for a fill."""

@final
class LiveSystem:
    """barter's engine on live streams with paper fills; use `barter_python.live.LiveSystem`."""

    @staticmethod
    def start(config: LiveConfig, strategy: Strategy, *, connect_timeout: float) -> LiveSystem:
        """Connect every stream of `config`, then run barter's engine with `strategy`."""
    def state(self) -> EngineStateView:
        """barter's state now, with the engine's time."""
    @property
    def events_processed(self) -> int:
        """Market events processed by the engine."""
    @property
    def malformed(self) -> int:
        """Frames barter-data could not read, or whose event the checks refused, skipped."""
    @property
    def unknown_instrument(self) -> int:
        """Frames naming a market not subscribed to, skipped."""
    @property
    def conflated(self) -> int:
        """L1 books replaced, while queued, by a newer one of their instrument."""
    @property
    def skipped(self) -> int:
        """Market events never processed (skipped at shutdown, or after the engine stopped)."""
    @property
    def events_dropped(self) -> int:
        """Events dropped because Python did not read them in time."""
    @property
    def running(self) -> bool: ...
    @property
    def instruments(self) -> list[tuple[ExchangeId, str]]: ...
    def next_event(self, timeout: float | None = None) -> LiveEvent | None:
        """The next event within `timeout` s; None when none came or the system stopped."""
    def set_trading(self, enabled: bool) -> None: ...
    def cancel_orders(self, filter: InstrumentFilter | None = None) -> None: ...
    def close_positions(self, filter: InstrumentFilter | None = None) -> None: ...
    def send_requests(
        self,
        cancels: Iterable[OrderRequestCancel],
        opens: Iterable[OrderRequestOpen | ConditionalOrder | Bracket],
    ) -> None: ...
    def shutdown(self, *, drain: bool = True, timeout: float | None = None) -> RunOutput:
        """Stop the streams and the engine; the session's rows (the same on every call)."""

@disjoint_base
class LocalExchange:
    """Binance spot's market streams on 127.0.0.1; use `barter_python.live.testing`."""

    def __new__(cls) -> Self: ...
    @property
    def url(self) -> str:
        """`ws://127.0.0.1:{port}/ws`."""
    @property
    def port(self) -> int: ...
    @property
    def subscriptions(self) -> list[str]:
        """Every stream subscribed to, in order."""
    @property
    def connections(self) -> int:
        """Connections that subscribed, ever."""
    @property
    def open_connections(self) -> int:
        """Subscribed connections open now."""
    def wait_connected(self, count: int = 1, timeout: float = 5.0) -> bool:
        """Wait until `count` subscribed connections are open; False if not in time."""
    def send(self, frame: str, *, everyone: bool = False) -> int:
        """One raw frame to the connections subscribed to its stream (or to `everyone`); how
        many it reached."""
    @property
    def frames_sent(self) -> int:
        """Text frames sent, counted once per connection they went to."""
    def replay(self, frames: Sequence[str], *, per_second: float | None = None) -> list[float]:
        """Send `frames` in order, paced; the wall-clock time of each send."""
    def drop_connections(self) -> int:
        """Close every connection; how many were open."""
    def reject_next_subscription(self) -> None:
        """Answer the next SUBSCRIBE with Binance's failure response."""
    def _set_snapshot(self, symbol: str, body: str) -> None:
        """The REST depth snapshot (Binance's JSON) served for `symbol` from now on."""
    @property
    def snapshot_requests(self) -> int:
        """REST depth snapshot requests answered."""
    def close(self) -> None:
        """Stop listening and close every connection."""

@final
class MarketEventView:
    """The market event a strategy call is for (`state.event`)."""

    @property
    def kind(self) -> Literal["trade", "l1", "candle", "l2", "reconnecting", "other"]: ...
    @property
    def exchange(self) -> ExchangeId: ...
    @property
    def instrument(self) -> str | None: ...
    @property
    def time(self) -> datetime | None: ...
    @property
    def price(self) -> Decimal | None:
        """A trade's price, a candle's close."""
    @property
    def amount(self) -> Decimal | None:
        """A trade's amount, a candle's volume."""
    @property
    def side(self) -> Side | None:
        """A trade's taker side."""
    @property
    def bid(self) -> Decimal | None:
        """An L1 book's best bid price."""
    @property
    def ask(self) -> Decimal | None:
        """An L1 book's best ask price."""

@final
class BookView:
    """An instrument's L2 book as a strategy call sees it (`state.book`): `(price, amount)`
    levels best first, the time of its last event and its sequence."""

    def __new__(
        cls,
        bids: Sequence[tuple[DecimalInput, DecimalInput]],
        asks: Sequence[tuple[DecimalInput, DecimalInput]],
        time: datetime | None = None,
        sequence: int = 0,
    ) -> BookView: ...
    @property
    def bids(self) -> tuple[tuple[Decimal, Decimal], ...]: ...
    @property
    def asks(self) -> tuple[tuple[Decimal, Decimal], ...]: ...
    @property
    def time(self) -> datetime | None: ...
    @property
    def sequence(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __reduce__(
        self,
    ) -> tuple[
        type[BookView],
        tuple[
            tuple[tuple[Decimal, Decimal], ...],
            tuple[tuple[Decimal, Decimal], ...],
            datetime | None,
            int,
        ],
    ]: ...

@final
class Quote:
    """The simulated exchange's view of one instrument (`state.quote`)."""

    @property
    def bid(self) -> Decimal | None: ...
    @property
    def ask(self) -> Decimal | None: ...
    @property
    def bid_amount(self) -> Decimal | None: ...
    @property
    def ask_amount(self) -> Decimal | None: ...
    @property
    def last(self) -> Decimal | None:
        """The last trade's price (the snapshot's before any trade)."""
    def touch(self, side: Side | str) -> Decimal | None:
        """What a `side` order meets, as the exchange fills it: the best ask for a Buy, the best
        bid for a Sell, else the last trade."""

@final
class Bar:
    """One bar of an instrument: the trades of `[time_open, time_close)`."""

    @property
    def exchange(self) -> ExchangeId: ...
    @property
    def instrument(self) -> str: ...
    @property
    def time_open(self) -> datetime: ...
    @property
    def time_close(self) -> datetime: ...
    @property
    def open(self) -> Decimal: ...
    @property
    def high(self) -> Decimal: ...
    @property
    def low(self) -> Decimal: ...
    @property
    def close(self) -> Decimal: ...
    @property
    def volume(self) -> Decimal:
        """The trades' amounts summed (in binary floating point, as barter-data carries them)."""
    @property
    def trades(self) -> int:
        """How many trades made the bar."""
