"""Parameter sweeps: many backtests of strategies given by import path over the same market data,
in this process or on a process pool, a Dask cluster or a Ray cluster.

A run is a `BacktestSpec`: an id, a strategy as `"package.module:Class"` and the keyword
arguments to build it with. `run_backtests` builds each strategy where the run happens (a worker
imports the class by its path) and runs `backtest` on it; it schedules nothing itself, the
executor does. The market data travels to each worker once: it is pickled once (`MarketData`
pickles to its compact native bytes), the specs are split into one chunk per worker, and each
chunk is sent with those bytes, so a sweep ships the data's bytes `workers` times, not `runs`
times. A catalog's `MarketQuery` pickles as its paths and bounds: each worker reads the files
itself, streaming.
"""

from __future__ import annotations

import itertools
import json
import os
import pickle
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from decimal import Decimal
from typing import Any, Literal, Protocol

from pydantic import BaseModel, JsonValue, field_validator

from barter_python.backtest.config import BacktestConfig
from barter_python.backtest.run import backtest
from barter_python.errors import BacktestError, BarterPythonError, StrategyImportError
from barter_python.market import MarketData, MarketQuery
from barter_python.session.result import BacktestResult
from barter_python.session.stats import TradeStats
from barter_python.session.tables import FramesOfRows, decimal_fields
from barter_python.strategy import strategy_class

__all__ = [
    "BacktestBatch",
    "BacktestSpec",
    "MapExecutor",
    "StrategyImportError",
    "SweepFailure",
    "grid",
    "run_backtests",
]

# "package.module:Class" (the class may be nested: "module:Outer.Inner")
_IDENTIFIERS = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
_STRATEGY_PATH = re.compile(rf"{_IDENTIFIERS}:{_IDENTIFIERS}")


class BacktestSpec(BaseModel, frozen=True, extra="forbid"):
    """One run of a sweep: its `id`, the strategy class by import path
    (`"package.module:Class"`, importable where the run happens: not a class of `__main__` or
    of a notebook on another process) and the keyword arguments that build it."""

    id: str
    strategy: str
    params: dict[str, JsonValue] = {}

    @field_validator("strategy")
    @classmethod
    def _path(cls, value: str) -> str:
        if not _STRATEGY_PATH.fullmatch(value):
            raise ValueError(f"must be 'package.module:Class', got {value!r}")
        return value


def grid(strategy: str, /, **axes: Sequence[JsonValue]) -> list[BacktestSpec]:
    """The cartesian product of the axes, in axis order (the first axis varies slowest, as
    `itertools.product`): `grid("pkg.strat:SmaCross", fast=[5, 10], slow=[20, 50])` gives ids
    `fast=5,slow=20`, `fast=5,slow=50`, `fast=10,slow=20`, `fast=10,slow=50`. Values appear
    in ids as written for strings, as JSON otherwise (`true`, `null`, `0.5`)."""
    if not axes:
        raise ValueError("grid needs at least one axis, e.g. grid(path, fast=[5, 10])")
    for name, values in axes.items():
        if isinstance(values, str | bytes) or not isinstance(values, Sequence):
            raise TypeError(f"axis {name} must be a sequence of values, got {values!r}")
    names = list(axes)
    return [
        BacktestSpec(
            id=",".join(
                f"{name}={_label(value)}" for name, value in zip(names, values, strict=True)
            ),
            strategy=strategy,
            params=dict(zip(names, values, strict=True)),
        )
        for values in itertools.product(*axes.values())
    ]


def _label(value: JsonValue) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class SweepFailure(BaseModel, frozen=True, extra="forbid"):
    """A run that failed: its spec's `id` and `error`, the exception's type and message (and
    its cause's, for a `BacktestError`)."""

    id: str
    error: str


# The statistics of `BacktestBatch.rows`, from `BacktestResult.totals`.
_TOTALS = ("trades", "wins", "losses", "win_rate", "profit_factor", "net_pnl", "fees", "expectancy")
# The portfolio statistics of the sweep table: the first quote asset's.
_PORTFOLIO = ("total_return", "max_drawdown_pct", "sharpe_ratio", "sortino_ratio")
# The columns `best` ranks by, besides numeric params (known even to a batch without runs).
_RANKED = (*_TOTALS, "barter_sharpe_ratio", *_PORTFOLIO, "orders_sent")
# The sweep table's columns that are not numbers.
NOT_METRICS = frozenset({"id", "error", "instrument"})


class BacktestBatch(BaseModel, FramesOfRows, frozen=True, extra="forbid"):
    """The runs of a sweep: `specs` (every run, in the order given), `results` (the runs that
    succeeded, in spec order) and `failures` (the others, in spec order)."""

    specs: list[BacktestSpec]
    results: list[BacktestResult]
    failures: list[SweepFailure]

    def spec(self, id: str) -> BacktestSpec:
        """The spec of run `id` (its strategy and params); `KeyError` if there is none."""
        for spec in self.specs:
            if spec.id == id:
                return spec
        raise KeyError(id)

    def best(self, by: str = "net_pnl", *, lower_is_better: bool = False) -> BacktestResult | None:
        """The result with the largest (`lower_is_better`: smallest) value of the sweep
        table's column `by` (`rows()`): a `TradeStats` field (`net_pnl`, `win_rate`,
        `profit_factor`, ...), a portfolio statistic (`total_return`, `max_drawdown_pct`,
        `sharpe_ratio`, `sortino_ratio`), `barter_sharpe_ratio`, `orders_sent`,
        `wall_time_s` or a param (`walk_forward` picks its specs with it). Runs where it is
        undefined (`None`) are skipped; on a tie the first in spec order wins; `None` when no
        run has a value."""
        return self.best_with_value(by, lower_is_better=lower_is_better)[0]

    def best_with_value(
        self, by: str, *, lower_is_better: bool = False
    ) -> tuple[BacktestResult | None, Any]:
        """`best(by)` and its value in column `by` (`None` beside `None`)."""
        rows = self.rows()
        columns = set(_RANKED) | {name for row in rows for name in row}
        if by not in columns - NOT_METRICS:
            names = ", ".join(sorted(columns - NOT_METRICS))
            raise ValueError(
                f"by must be a numeric column of the sweep table ({names}), got {by!r}"
            )
        values: dict[str, Any] = {row["id"]: row.get(by) for row in rows}
        sign = -1 if lower_is_better else 1
        best: BacktestResult | None = None
        top: Any = None
        for result in self.results:
            value: Any = values.get(result.id)
            if _is_number(value) and (top is None or sign * value > sign * top):
                best, top = result, value
        return best, top

    def rows(self) -> list[dict[str, Any]]:
        """One row per run, in spec order: `id`, each param (a param named like another column
        is `param_<name>`), `error` (`None` for a run that succeeded), the totals' `trades`,
        `wins`, `losses`, `win_rate`, `profit_factor`, `net_pnl`, `fees`, `expectancy`
        (textbook `TradeStats`), then `instrument` and `barter_sharpe_ratio`: barter's Sharpe
        ratio of the instrument with the most closed positions (the first in the config's order
        on a tie; `None` where barter's is undefined), the portfolio's `total_return`,
        `max_drawdown_pct`, `sharpe_ratio` and `sortino_ratio` (the first quote asset's),
        `orders_sent` and `wall_time_s`. A failed
        run has `None` statistics."""
        fixed = {"id", "error", *_TOTALS, "instrument", "barter_sharpe_ratio", *_PORTFOLIO}
        fixed |= {"orders_sent", "wall_time_s"}
        results = {result.id: result for result in self.results}
        errors = {failure.id: failure.error for failure in self.failures}
        rows = []
        for spec in self.specs:
            row: dict[str, Any] = {"id": spec.id}
            for name, value in spec.params.items():
                row[f"param_{name}" if name in fixed else name] = value
            row["error"] = errors.get(spec.id)
            rows.append(row | run_columns(results.get(spec.id)))
        return rows

    def _decimals(self) -> frozenset[str]:
        return run_decimals()


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def run_columns(result: BacktestResult | None) -> dict[str, Any]:
    """A run's statistics in the sweep table (`BacktestBatch.rows`), `None` without a run."""
    row: dict[str, Any] = {
        name: None if result is None else getattr(result.totals, name) for name in _TOTALS
    }
    main = None
    if result is not None and result.instruments:
        main = max(result.instruments, key=lambda i: i.stats.trades)  # first on a tie
    row["instrument"] = None if main is None else main.instrument
    row["barter_sharpe_ratio"] = None if main is None else main.barter.sharpe_ratio
    portfolio = result.portfolio[0] if result is not None and result.portfolio else None
    for name in _PORTFOLIO:
        row[name] = None if portfolio is None else getattr(portfolio, name)
    row["orders_sent"] = None if result is None else result.orders_sent
    row["wall_time_s"] = None if result is None else result.wall_time_s
    return row


def run_decimals() -> frozenset[str]:
    """The columns of `run_columns` that hold `Decimal`s."""
    return decimal_fields(TradeStats) & set(_TOTALS) | {"barter_sharpe_ratio", *_PORTFOLIO}


class MapExecutor(Protocol):
    """Anything with `map(function, iterable)` returning the results in order: Ray's
    `ray.util.multiprocessing.Pool`, `multiprocessing.Pool`."""

    def map(self, func: Callable[[Any], Any], iterable: Iterable[Any], /) -> Iterable[Any]: ...


# What a worker sends back for one run: its index in the sweep, the result or the failure,
# and the exception itself when it pickles (for on_error="raise").
_Outcome = tuple[int, BacktestResult | None, SweepFailure | None, BaseException | None]
# What a worker receives: the pickled (data, config), the runs (index, spec), stop at a failure.
_Chunk = tuple[bytes, list[tuple[int, BacktestSpec]], bool]


def run_backtests(
    specs: Iterable[BacktestSpec],
    data: MarketData | MarketQuery,
    config: BacktestConfig,
    *,
    executor: Executor | MapExecutor | None = None,
    on_error: Literal["raise", "record"] = "record",
    workers: int | None = None,
) -> BacktestBatch:
    """Run `backtest(Class(**spec.params), data, config, id=spec.id)` for each spec, each
    strategy imported by its path where it runs.

    `executor`: `None` runs in this process, one run after the other; a
    `concurrent.futures.Executor` (`ProcessPoolExecutor`, Dask's `Client.get_executor()`) or
    an object with `map` (Ray's `ray.util.multiprocessing.Pool`) runs on its workers. The
    specs are split into one chunk per worker (spec `i` in chunk `i % workers`), and each chunk
    is sent with the market data and config pickled once: the data travels once per worker.
    `workers` defaults to the executor's (`ProcessPoolExecutor`'s `max_workers`, the Dask
    cluster's workers, the Ray pool's processes), else `os.cpu_count()`.

    A run that fails (a path that does not import, a class that refuses the params, a
    strategy that raises) is recorded in `failures` with `on_error="record"`; with
    `on_error="raise"`, the first failure in spec order is raised (the worker's exception when
    it pickles, else a `BarterPythonError` with its text). Results come back in spec order
    whatever the executor; ids must be unique.
    """
    specs = checked(specs, data, config)
    if on_error not in ("raise", "record"):
        raise ValueError(f"on_error must be 'raise' or 'record', got {on_error!r}")
    stop = on_error == "raise"
    indexed = list(enumerate(specs))

    if executor is None:
        outcomes = _run_runs(data, config, indexed, stop)
    else:
        count = workers if workers is not None else executor_workers(executor)
        if count < 1:
            raise ValueError(f"workers must be >= 1, got {count}")
        shipped = pickle.dumps((data, config), protocol=pickle.HIGHEST_PROTOCOL)
        chunks: list[_Chunk] = [
            (shipped, indexed[start::count], stop) for start in range(min(count, len(indexed)))
        ]
        done = executor.map(_run_chunk, chunks)
        outcomes = [_received(outcome) for shipped in done for outcome in shipped]
    outcomes.sort(key=lambda outcome: outcome[0])

    if stop:
        for _, _, failure, error in outcomes:
            if failure is not None:
                raise (
                    error
                    if error is not None
                    else BarterPythonError(f"run {failure.id}: {failure.error}")
                )
    return BacktestBatch(
        specs=specs,
        results=[result for _, result, _, _ in outcomes if result is not None],
        failures=[failure for _, _, failure, _ in outcomes if failure is not None],
    )


def checked(
    specs: Iterable[BacktestSpec], data: MarketData | MarketQuery, config: BacktestConfig
) -> list[BacktestSpec]:
    """The specs as a list, once the inputs of a sweep are checked: specs with unique ids, the
    data and the config of their types."""
    specs = list(specs)
    for at, spec in enumerate(specs):
        if not isinstance(spec, BacktestSpec):
            raise TypeError(f"specs[{at}] must be a BacktestSpec, got {type(spec).__name__}")
    ids = [spec.id for spec in specs]
    duplicates = sorted({id for id in ids if ids.count(id) > 1})
    if duplicates:
        raise ValueError(f"spec ids must be unique, repeated: {', '.join(duplicates)}")
    if not isinstance(data, MarketData | MarketQuery):
        raise TypeError(f"data must be a MarketData or a MarketQuery, got {type(data).__name__}")
    if not isinstance(config, BacktestConfig):
        raise TypeError(f"config must be a BacktestConfig, got {type(config).__name__}")
    return specs


def executor_workers(executor: object) -> int:
    """How many workers an executor runs tasks on: `ProcessPoolExecutor`'s (and
    `ThreadPoolExecutor`'s) `max_workers`, the workers of a Dask client's cluster, the
    processes of a Ray or `multiprocessing` pool; `os.cpu_count()` for any other."""
    found: object = getattr(executor, "_max_workers", None)  # concurrent.futures pools
    client = getattr(executor, "_client", None)  # Dask's ClientExecutor
    if found is None and client is not None and callable(getattr(client, "nthreads", None)):
        found = len(client.nthreads())  # {worker address: threads}, one entry per worker
    actors = getattr(executor, "_actor_pool", None)  # Ray's multiprocessing Pool
    if found is None and isinstance(actors, list):
        found = len(actors)
    if found is None:
        found = getattr(executor, "_processes", None)  # multiprocessing.Pool
    if isinstance(found, int) and found > 0:
        return found
    return os.cpu_count() or 1


# What a worker sends back: a result as its JSON (Pydantic writes and reads it about 2.5x
# faster than pickle does the models), a failure, the error if it pickles.
_Shipped = tuple[int, str | None, SweepFailure | None, BaseException | None]


def _run_chunk(chunk: _Chunk) -> list[_Shipped]:
    """A worker's share of a sweep (top-level, so that every executor can ship it by name)."""
    shipped, indexed, stop = chunk
    data, config = pickle.loads(shipped)
    outcomes = _run_runs(data, config, indexed, stop)
    return [
        (index, None if result is None else result.to_json(), failure, _if_pickles(error))
        for index, result, failure, error in outcomes
    ]


def _received(shipped: _Shipped) -> _Outcome:
    index, text, failure, error = shipped
    result = None if text is None else BacktestResult.model_validate_json(text)
    return index, result, failure, error


def _run_runs(
    data: MarketData | MarketQuery,
    config: BacktestConfig,
    indexed: list[tuple[int, BacktestSpec]],
    stop: bool,
) -> list[_Outcome]:
    outcomes: list[_Outcome] = []
    for index, spec in indexed:
        try:
            strategy = strategy_class(spec.strategy)(**spec.params)
            result = backtest(strategy, data, config, id=spec.id)
        except Exception as error:
            outcomes.append((index, None, SweepFailure(id=spec.id, error=_text(error)), error))
            if stop:
                break
        else:
            outcomes.append((index, result, None, None))
    return outcomes


def _text(error: BaseException) -> str:
    """`Type: message`, and the cause's type (and message, unless the error's message holds
    it already): what a `SweepFailure` says, readable without the traceback."""
    text = f"{type(error).__name__}: {error}"
    cause = error.__cause__
    # A backtest's error names its cause's type and where the strategy raised already.
    if cause is not None and not isinstance(error, StrategyImportError | BacktestError):
        said = str(cause) and str(cause) in str(error)
        text += f" (caused by {type(cause).__name__}{'' if said else f': {cause}'})"
    return text


def _if_pickles(error: BaseException | None) -> BaseException | None:
    if error is None:
        return None
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return None
    error.__traceback__ = None  # the text of the frames would not help in another process
    return error
