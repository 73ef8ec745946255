"""What barter calls a strategy, for Python: the `Strategy` protocol barter's `Engine` calls,
`DefaultStrategy` and its mix-ins, barter's close-position helpers
(`barter::strategy::close_positions`) for Python books, and the importer that finds a strategy
class by its path (`module:Class`, for the command line and sweeps).

The close helpers validate in Python, then delegate to barter's Rust functions through
`barter_python._native.strategy`; every order comes from barter.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar, Literal, Protocol, cast

from barter_python import _native
from barter_python._native import (
    Bar,
    EngineActions,
    EngineStateView,
    InstrumentFilter,
    to_decimal,
)
from barter_python.conditional import bracket, oco, stop_order, take_profit, trailing_stop
from barter_python.errors import StrategyImportError
from barter_python.exchange import Bracket, ConditionalOrder
from barter_python.instrument import ExchangeId
from barter_python.order import (
    ClientOrderId,
    OrderRequestCancel,
    OrderRequestOpen,
    StrategyId,
)
from barter_python.sizing import order_percent, order_target, order_value
from barter_python.snapshot import (
    DecimalInput,
    InstrumentSnapshot,
    PositionSnapshot,
    validate_book,
)

__all__ = [
    "Bar",
    "BarStrategy",
    "CancelOrdersOnDisconnect",
    "ClosePositionsOnTradingDisabled",
    "DefaultStrategy",
    "InstrumentFilter",
    "Requests",
    "Strategy",
    "bracket",
    "build_ioc_market_order_to_close_position",
    "cancel_orders_on_disconnect",
    "close_open_positions_with_market_orders",
    "close_positions_on_trading_disabled",
    "oco",
    "order_percent",
    "order_target",
    "order_value",
    "stop_order",
    "strategy_class",
    "take_profit",
    "trailing_stop",
]

# Opens may hold conditional orders (spec §13), which the simulated exchange holds itself.
Requests = tuple[
    Iterable[OrderRequestCancel], Iterable[OrderRequestOpen | ConditionalOrder | Bracket]
]


class Strategy(Protocol):
    """What barter calls on a Python strategy (barter's strategy traits).

    Optionally, `close_positions_requests(state, selected) -> (cancels, opens)` replaces
    barter's `close_open_positions_with_market_orders` for the `close_positions` action;
    `selected` lists the `(exchange, instrument)` pairs of the action's filter.
    """

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        """barter's `AlgoStrategy`: requests to send after each event while trading is on."""
        ...

    def on_disconnect(self, engine: EngineActions, exchange: ExchangeId) -> None:
        """barter's `OnDisconnectStrategy`: an exchange's market or account stream dropped."""
        ...

    def on_trading_disabled(self, engine: EngineActions) -> None:
        """barter's `OnTradingDisabled`: trading turned from enabled to disabled."""
        ...


class DefaultStrategy:
    """barter's `DefaultStrategy`: no algo orders, and nothing on disconnect or trading off."""

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        return [], []

    def on_disconnect(self, engine: EngineActions, exchange: ExchangeId) -> None:
        return None

    def on_trading_disabled(self, engine: EngineActions) -> None:
        return None


class BarStrategy(DefaultStrategy):
    """A strategy of bars: barter's engine builds them natively from trades (candle data
    passes through as bars), aligned to UTC multiples of `bar_interval`, and calls `on_bar`
    once a bar's interval has ended (the first event of a later interval, or the end of the
    data), never before. Python is called per bar, not per event: set `wants_events = True`
    to have `generate_algo_orders` called for every event too.

    `bar_interval` is a class attribute: a positive whole number of seconds. Subclasses need
    not call `super().__init__()`."""

    bar_interval: ClassVar[timedelta] = timedelta(minutes=1)
    wants_events: ClassVar[bool] = False

    def on_bar(self, bar: Bar, state: EngineStateView) -> Requests:
        """The requests for a bar that has just closed (`bar.time_close` has passed)."""
        return [], []


def cancel_orders_on_disconnect(engine: EngineActions, exchange: ExchangeId) -> None:
    """Cancel every order on the disconnected exchange (barter's `cancel_orders` action)."""
    engine.cancel_orders(InstrumentFilter.exchanges(exchange))


def close_positions_on_trading_disabled(engine: EngineActions) -> None:
    """Close every open position (barter's `close_positions` action over all instruments)."""
    engine.close_positions(InstrumentFilter.none())


class CancelOrdersOnDisconnect(DefaultStrategy):
    """Mix-in: `on_disconnect` is `cancel_orders_on_disconnect`."""

    def on_disconnect(self, engine: EngineActions, exchange: ExchangeId) -> None:
        cancel_orders_on_disconnect(engine, exchange)


class ClosePositionsOnTradingDisabled(DefaultStrategy):
    """Mix-in: `on_trading_disabled` is `close_positions_on_trading_disabled`."""

    def on_trading_disabled(self, engine: EngineActions) -> None:
        close_positions_on_trading_disabled(engine)


def build_ioc_market_order_to_close_position(
    exchange: ExchangeId | str,
    position: PositionSnapshot,
    strategy_id: StrategyId | str,
    price: DecimalInput,
    gen_cid: Callable[[], ClientOrderId | str] | None = None,
) -> OrderRequestOpen:
    """The order that closes `position`: barter's `build_ioc_market_order_to_close_position`.

    barter flips the side and sends `position.quantity` as an `ImmediateOrCancel` `Market`
    order at `price`. `gen_cid` (default: `ClientOrderId.random()`) is called once.

    `price` follows the SDK's rule for money (a Decimal, int, float or numeric str, exactly).
    Raises `ValueError` for a price that is not finite and positive or a flat position,
    `TypeError` for a price that is not a number or a bad `gen_cid` result.
    """
    exchange = ExchangeId(exchange)
    if not isinstance(position, PositionSnapshot):
        raise TypeError(f"position must be a PositionSnapshot, got {type(position).__name__}")
    exact_price = to_decimal(price, "price")
    if exact_price <= 0:
        raise ValueError(f"price must be > 0, got {exact_price} for {position.instrument!r}")
    if position.quantity == 0:
        raise ValueError(
            f"position in {position.instrument!r} on {exchange.value!r} has quantity 0: "
            "nothing to close"
        )
    return _native.strategy.build_ioc_market_order_to_close_position(
        exchange, position, strategy_id, exact_price, gen_cid
    )


def checked_close_arguments(gen_cid: object, filter: object, on_missing_price: object) -> None:
    """The arguments both close functions (stateless and `Book`'s) take, checked."""
    if on_missing_price not in ("raise", "skip"):
        raise ValueError(f"on_missing_price must be 'raise' or 'skip', got {on_missing_price!r}")
    if filter is not None and not isinstance(filter, InstrumentFilter):
        raise TypeError(f"filter must be an InstrumentFilter, got {type(filter).__name__}")
    if gen_cid is not None and not callable(gen_cid):
        raise TypeError(f"gen_cid must be callable, got {type(gen_cid).__name__}")


def close_open_positions_with_market_orders(
    strategy_id: StrategyId | str,
    instruments: Iterable[InstrumentSnapshot | Mapping[str, Any]],
    gen_cid: Callable[[InstrumentSnapshot], ClientOrderId | str] | None = None,
    *,
    filter: InstrumentFilter | None = None,
    on_missing_price: Literal["raise", "skip"] = "raise",
) -> tuple[list[OrderRequestCancel], list[OrderRequestOpen]]:
    """Orders that flatten every open position in the book: barter's
    `close_open_positions_with_market_orders`.

    Mappings are validated as `InstrumentSnapshot`. A position of quantity 0 is flat.
    Opens come in input order, one per open position inside `filter` (default: all);
    cancels is empty (barter's market close cancels nothing). `gen_cid` (default:
    `ClientOrderId.random()`) is called once per open, in that order, with its snapshot.

    Raises `MissingPriceError` (a `ValueError`) for an open position without a price unless
    `on_missing_price="skip"` (barter's own behaviour: no order), `DuplicateInstrumentError`
    for a repeated `(exchange, instrument)`, `UnknownInstrumentError` for filter names the book
    lacks. On any error nothing is returned.
    """
    checked_close_arguments(gen_cid, filter, on_missing_price)
    book = validate_book(instruments)
    return _native.strategy.close_open_positions_with_market_orders(
        strategy_id, book, gen_cid, filter, on_missing_price == "skip"
    )


def strategy_class(path: str, *, option: str = "strategy") -> type[Strategy]:
    """The strategy class `path` names, imported: `module:Class` or `module:Outer.Inner` (the
    module importable from `sys.path`), or `path/to/file.py:Class` (run as `python file.py`
    runs it: its folder first on `sys.path`, so that it imports its neighbours).

    The one importer of the command line (`--strategy`) and of sweeps (`BacktestSpec`).
    Raises `StrategyImportError`, its message `{option} {path}: why`: not such a path, no such
    file, the module fails to import (the error chained), no such class, not a class, or a
    class without `generate_algo_orders`.
    """
    target, colon, qualname = path.rpartition(":")  # rpartition: a Windows path has a colon
    if not colon or not target or not qualname:
        raise StrategyImportError(f"{option} {path}: not MODULE:CLASS or path/to/file.py:CLASS")
    is_file = target.endswith(".py") or "/" in target or os.sep in target
    if is_file and not Path(target).is_file():
        raise StrategyImportError(f"{option} {path}: {target}: no such file")
    try:
        module = _run_file(Path(target)) if is_file else importlib.import_module(target)
    except Exception as error:
        hint = " (it must be importable where the run happens)"
        raise StrategyImportError(
            f"{option} {path}: importing {target} failed: {type(error).__name__}: {error}"
            f"{hint if isinstance(error, ModuleNotFoundError) else ''}"
        ) from error
    found: object = module
    for part in qualname.split("."):
        if not hasattr(found, part):
            raise StrategyImportError(f"{option} {path}: {module.__name__} has no {qualname!r}")
        found = getattr(found, part)
    if not isinstance(found, type):
        raise StrategyImportError(f"{option} {path}: {qualname} is not a class")
    if not callable(getattr(found, "generate_algo_orders", None)):
        raise StrategyImportError(f"{option} {path}: {qualname} has no generate_algo_orders")
    return cast(type[Strategy], found)


def _run_file(file: Path) -> ModuleType:
    """The module of a Python file, run as `python file.py` runs it."""
    name = file.stem if file.stem.isidentifier() else "strategy"
    if name in sys.modules:  # never replace a module already imported under that name
        name = f"_barter_python_strategy_{name}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ImportError(f"{file} is not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(file.resolve().parent))
    # Registered before it runs, as an import does: a sweep's forked workers find the class by
    # `module:Class`, and dataclasses and pickling look the module up.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
