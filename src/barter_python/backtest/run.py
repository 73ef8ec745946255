"""`backtest`: replay market data through barter's `Engine` with a Python strategy."""

from __future__ import annotations

import os
import sys
import sysconfig
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from barter_python import _native
from barter_python.backtest.config import BacktestConfig
from barter_python.engine import Strategy
from barter_python.errors import BacktestError
from barter_python.market import MarketData, MarketQuery
from barter_python.session.result import SessionResult, results_from

__all__ = ["Progress", "backtest"]

Progress = Callable[[int, int], None]


def backtest(
    strategy: Strategy,
    data: MarketData | MarketQuery,
    config: BacktestConfig,
    *,
    id: str = "backtest",
    progress: bool | Progress = False,
) -> SessionResult:
    """Replay `data` through barter's `Engine` over `config.instruments` with `strategy`.

    `data` is a `MarketData`, or a catalog's `MarketQuery`, read row group by row group in
    bounded memory, with the same result as its `load()`.

    Deterministic: each event is seen first by the exchange (`config.exchange`: the simulated
    one fills resting orders it crosses), then processed by barter; the exchange's answers to
    what the engine sent are settled before the next event; the engine's clock is the events'
    exchange time and nothing sleeps. Trading is enabled from the first event; the strategy's
    first call comes after it. Positions still open at the end are closed by barter's market
    close through the same exchange (the simulated one at the touch), with cids
    `{strategy_id}-close-{n}`, unless `config.close_positions_at_end` is False.

    Raises `ValueError` for empty data, an event for an instrument not in the config, or a
    price that would take barter beyond its decimal range; `BacktestError` when the strategy
    raises, naming the event (its index and time), the exception's type and the line of the
    strategy's code that raised, the cause chained. Ctrl-C raises `KeyboardInterrupt`.
    """
    if not isinstance(data, _native.MarketData | _native.MarketQuery):
        raise TypeError(f"data must be a MarketData or a MarketQuery, got {type(data).__name__}")
    if not isinstance(config, BacktestConfig):
        raise TypeError(f"config must be a BacktestConfig, got {type(config).__name__}")
    report = _progress_bar() if progress is True else (progress or None)
    started = time.perf_counter()
    try:
        output = _native.run_backtest(strategy, data, config, progress=report)
    except BacktestError as error:
        where = _users_line(error.__cause__)
        if where is None:
            raise
        raise BacktestError(f"{error}\n  {where}") from error.__cause__
    return results_from(id, output, config.equity_interval, time.perf_counter() - started)


def _users_line(cause: BaseException | None) -> str | None:
    """Where the strategy raised: the last frame of the cause's traceback in the user's code
    (outside this package and Python's standard library), as `file:line: in function: code`."""
    if cause is None:
        return None
    for frame in reversed(traceback.extract_tb(cause.__traceback__)):
        if _in_user_code(frame.filename):
            return f"{frame.filename}:{frame.lineno}: in {frame.name}: {frame.line}"
    return None


def _in_user_code(filename: str) -> bool:
    """Outside this package and outside Python's standard library (whose folder may hold the
    installed packages: those are the user's)."""
    paths = sysconfig.get_paths()
    package = str(Path(__file__).resolve().parents[1]) + os.sep
    stdlib = paths["stdlib"] + os.sep
    installed = (paths["purelib"] + os.sep, paths["platlib"] + os.sep)
    if filename.startswith(package):
        return False
    return not filename.startswith(stdlib) or filename.startswith(installed)


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
