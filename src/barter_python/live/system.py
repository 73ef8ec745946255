"""`LiveSystem`: barter's engine with a Python strategy on live market streams, paper-trading
on the simulated exchange fed by the same streams (spec §9).

The engine runs on its own thread and waits blocking for the next event (an idle system uses
no CPU). Every event a stream delivers reaches the engine and the strategy, in order, through a
bounded queue: when the engine lags, a queued L1 book is replaced by its instrument's newer one
(counted in `conflated`) and trades wait (docs/live.md). Methods
may be called from any thread; those that wait for the engine (`snapshot`, the commands,
`events`, `shutdown`) raise `RuntimeError` inside a strategy callback, which runs on the
engine's thread.
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Self

from barter_python import _native
from barter_python._native import (
    Connectivity,
    InstrumentFilter,
    LiveEvent,
    OrderRequestCancel,
    OrderRequestOpen,
)
from barter_python.exchange import Bracket, ConditionalOrder
from barter_python.instrument import ExchangeId
from barter_python.live.config import LiveConfig
from barter_python.session.result import SessionResult, results_from
from barter_python.snapshot import PositionSnapshot
from barter_python.strategy import Strategy

__all__ = ["LiveEvent", "LiveSnapshot", "LiveSystem"]


@dataclass(frozen=True, slots=True)
class LiveSnapshot:
    """barter's state at one moment: the engine's `time`, the trading state, open positions,
    balances (totals, as `state.balances()`), open orders, last prices, each exchange's
    connectivity; and the system's counters: market `events` processed, `malformed` frames (or
    events the checks refused), frames for an `unknown_instrument`, L1 books `conflated` while
    the engine lagged and market events `skipped` (at shutdown, or after the engine stopped),
    which add up to the frames received; and `events_dropped` (not read in time by
    `events()`). `time` is the exchange time of the latest market event."""

    time: datetime
    trading_enabled: bool
    positions: dict[tuple[ExchangeId, str], PositionSnapshot]
    balances: dict[tuple[ExchangeId, str], Decimal]
    open_orders: list[OrderRequestOpen]
    prices: dict[tuple[ExchangeId, str], Decimal]
    connectivity: list[tuple[ExchangeId, Connectivity]]
    events: int
    malformed: int
    unknown_instrument: int
    conflated: int
    skipped: int
    events_dropped: int


class LiveSystem:
    """A running live (paper) system; a context manager that shuts it down on exit."""

    def __init__(self, native: _native.LiveSystem, config: LiveConfig, started: float) -> None:
        self._native = native
        self._config = config
        self._started = started
        self._result: SessionResult | None = None
        self._shutting_down = threading.Lock()

    @classmethod
    def start(
        cls, config: LiveConfig, strategy: Strategy, *, connect_timeout: float = 15.0
    ) -> LiveSystem:
        """Connect every stream of `config`, then run barter's engine with `strategy`.

        Raises `MarketDataError` naming the exchange and URL when a stream cannot connect and
        subscribe within `connect_timeout` seconds (nothing is left running)."""
        if not isinstance(config, LiveConfig):
            raise TypeError(f"config must be a LiveConfig, got {type(config).__name__}")
        started = time.perf_counter()
        native = _native.LiveSystem.start(config, strategy, connect_timeout=connect_timeout)
        system = cls(native, config, started)
        _RUNNING.add(system)
        return system

    @property
    def config(self) -> LiveConfig:
        return self._config

    @property
    def running(self) -> bool:
        return self._native.running

    def snapshot(self) -> LiveSnapshot:
        """barter's state now, read on the engine's thread between two events."""
        view = self._native.state()
        return LiveSnapshot(
            time=view.time,
            trading_enabled=view.trading_enabled,
            positions=view.positions(),
            balances=view.balances(),
            open_orders=view.open_orders(),
            prices=view.prices(),
            connectivity=view.connectivity(),
            events=self._native.events_processed,
            malformed=self._native.malformed,
            unknown_instrument=self._native.unknown_instrument,
            conflated=self._native.conflated,
            skipped=self._native.skipped,
            events_dropped=self._native.events_dropped,
        )

    @property
    def skipped(self) -> int:
        """Market events never processed: skipped by `shutdown` (`drain=False`, its
        `timeout`, Ctrl-C) or after the engine stopped; readable after shutdown."""
        return self._native.skipped

    def events(self, *, timeout: float | None = None) -> Iterator[LiveEvent]:
        """Events as they arrive (fills, refusals, disconnections and reconnections, strategy
        errors, the stop); ends, without raising, once none has come for `timeout` seconds
        (`None`: once the system has stopped and every event was read)."""
        while (event := self._native.next_event(timeout)) is not None:
            yield event

    def set_trading(self, enabled: bool) -> None:
        """barter's trading state: on, the strategy is called after every market event; off,
        barter calls the strategy's `on_trading_disabled`."""
        self._native.set_trading(enabled)

    def cancel_orders(self, filter: InstrumentFilter | None = None) -> None:
        """barter's `cancel_orders` action for the filter (every instrument by default)."""
        self._native.cancel_orders(filter)

    def close_positions(self, filter: InstrumentFilter | None = None) -> None:
        """barter's `close_positions` action for the filter: the strategy's
        `close_positions_requests`, or barter's market close."""
        self._native.close_positions(filter)

    def send_requests(
        self,
        cancels: Iterable[OrderRequestCancel] = (),
        opens: Iterable[OrderRequestOpen | ConditionalOrder | Bracket] = (),
    ) -> None:
        """Send orders through barter's engine (cancels first), and conditional orders to the
        paper exchange (spec §13); refused whole, with `ValueError`, if one is invalid."""
        self._native.send_requests(list(cancels), list(opens))

    def shutdown(self, *, drain: bool = True, timeout: float | None = None) -> SessionResult:
        """Stop the streams, let the engine process what already arrived, stop it, and return
        the session's result in the backtest's models. Idempotent.

        `drain=False` skips the market events still queued; `timeout` (seconds) bounds the
        drain (the event being processed finishes); both count what they skipped
        (`skipped`, and the `stopped` event's text). Ctrl-C raises `KeyboardInterrupt` at once
        and skips the backlog: call `shutdown()` again for the result. Orders are neither
        cancelled nor positions closed: call `cancel_orders()` / `close_positions()` first."""
        # The native shutdown first, outside the lock: it raises inside a strategy callback
        # (which must not wait on a lock held by a thread joining the engine), and returns the
        # same rows to every caller.
        output = self._native.shutdown(drain=drain, timeout=timeout)
        with self._shutting_down:
            if self._result is None:
                wall = time.perf_counter() - self._started
                self._result = results_from(
                    self._config.strategy_id, output, self._config.equity_interval, wall
                )
                _RUNNING.discard(self)
            return self._result

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        state = "running" if self.running else "shut down"
        names = ", ".join(f"{e.value}:{i}" for e, i in self._native.instruments)
        return f"LiveSystem({names}; {state}, {self._native.events_processed} events)"


_RUNNING: weakref.WeakSet[LiveSystem] = weakref.WeakSet()


@atexit.register
def _shutdown_at_exit() -> None:
    """A system never shut down stops with the interpreter, before Python is torn down."""
    for system in list(_RUNNING):
        try:
            system.shutdown()
        except Exception:
            pass
