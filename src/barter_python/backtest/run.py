"""`backtest`: replay market data through barter's `Engine` with a Python strategy."""

from __future__ import annotations

import gc
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from pydantic import TypeAdapter

from barter_python import _native
from barter_python._native import RunOutput
from barter_python.backtest.config import BacktestConfig
from barter_python.backtest.data import MarketData
from barter_python.backtest.portfolio import EquityPoint, portfolio_stats
from barter_python.backtest.stats import TradeStats, trade_stats
from barter_python.backtest.summary import (
    AssetResult,
    BacktestResult,
    ClosedPosition,
    Fill,
    InstrumentResult,
    OrderRecord,
    TearSheet,
)
from barter_python.engine import Strategy
from barter_python.instrument import ExchangeId

__all__ = ["Progress", "backtest", "results_from"]

Progress = Callable[[int, int], None]


def backtest(
    strategy: Strategy,
    data: MarketData,
    config: BacktestConfig,
    *,
    id: str = "backtest",
    progress: bool | Progress = False,
) -> BacktestResult:
    """Replay `data` through barter's `Engine` over `config.instruments` with `strategy`.

    Deterministic: each event is seen first by the exchange (`config.exchange`: the simulated
    one fills resting orders it crosses), then processed by barter; the exchange's answers to
    what the engine sent are settled before the next event; the engine's clock is the events'
    exchange time and nothing sleeps. Trading is enabled from the first event; the strategy's
    first call comes after it. Positions still open at the end are closed by barter's market
    close through the same exchange (the simulated one at the touch), with cids
    `{strategy_id}-close-{n}`, unless `config.close_positions_at_end` is False.

    Raises `ValueError` for empty data, an event for an instrument not in the config, or a
    price that would take barter beyond its decimal range; `BacktestError` (naming the event)
    when the strategy raises, the cause chained.
    """
    if not isinstance(data, _native.MarketData):
        raise TypeError(f"data must be a MarketData, got {type(data).__name__}")
    if not isinstance(config, BacktestConfig):
        raise TypeError(f"config must be a BacktestConfig, got {type(config).__name__}")
    if len(data) == 0:
        raise ValueError("the market data has no events")
    report = _progress_bar() if progress is True else (progress or None)
    started = time.perf_counter()
    output = _native.run_backtest(strategy, data, config, progress=report)
    return results_from(id, output, config.equity_interval, time.perf_counter() - started)


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
) -> BacktestResult:
    """The native rows of a session (a backtest, a live system) as the result's models."""
    with _no_cyclic_gc():
        return _models(id, output, equity_interval, wall_time_s)


def _models(
    id: str, output: RunOutput, equity_interval: timedelta | None, wall_time_s: float
) -> BacktestResult:
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
    equity = _EQUITY.validate_python(output.equity, from_attributes=True)
    portfolio = []
    for exposure in output.exposure:
        points = [p for p in equity if (p.exchange, p.asset) == (exposure.exchange, exposure.asset)]
        if points:
            portfolio.append(
                portfolio_stats(
                    points, exposure.seconds, equity_interval, output.time_start,
                    output.time_end,
                )
            )  # fmt: skip
    return BacktestResult(
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
        fills=_FILLS.validate_python(output.fills, from_attributes=True),
        exchange=output.exchange,
        orders=_ORDERS.validate_python(output.orders, from_attributes=True),
        equity=equity,
        portfolio=portfolio,
    )


def _progress_bar() -> Progress | None:
    """A progress bar on stderr when it is a terminal (nothing otherwise)."""
    if not sys.stderr.isatty():
        return None

    def report(done: int, total: int) -> None:
        width = 40
        filled = width * done // max(total, 1)
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}{end}")
        sys.stderr.flush()

    return report
