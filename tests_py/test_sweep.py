"""Sweeps (spec §6): `grid`, `run_backtests` in process, on a process pool, on a Dask
`LocalCluster` of worker processes and (with `RUN_RAY=1`) on Ray; failures recorded per run;
the market data shipped once per worker (bytes counted); pickling; the batch's tables."""

from __future__ import annotations

import importlib
import os
import pickle
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from barter_python import BacktestError
from barter_python.backtest import (
    BacktestBatch,
    BacktestConfig,
    BacktestSpec,
    MarketData,
    StrategyImportError,
    SweepFailure,
    grid,
    run_backtests,
)
from barter_python.backtest.sample import sample_config, sample_data
from barter_python.backtest.sweep import executor_workers

SMA = "barter_python.backtest.sample:SmaCross"
EVERY = "sweep_test_strategies:Every"


@pytest.fixture(scope="module")
def data() -> MarketData:
    """The first 90 seconds of the bundled sample (about 1,200 events)."""
    sample = sample_data()
    return sample.slice(sample.time_first_event, sample.time_first_event + timedelta(seconds=90))


@pytest.fixture(scope="module")
def config() -> BacktestConfig:
    return sample_config()


def specs() -> list[BacktestSpec]:
    return grid(SMA, fast=[2, 3], slow=[5, 8], bar_seconds=[2]) + grid(EVERY, every=[7, 13])


def frozen(batch: BacktestBatch) -> list[str]:
    """The results' JSON without the only field that differs between identical runs."""
    return [r.model_copy(update={"wall_time_s": 0.0}).to_json() for r in batch.results]


@pytest.fixture(scope="module")
def sequential(data: MarketData, config: BacktestConfig) -> BacktestBatch:
    return run_backtests(specs(), data, config)


# --- grid and specs ---------------------------------------------------------------------------


def test_grid_is_the_product_in_axis_order_with_readable_ids() -> None:
    runs = grid("pkg.strat:SmaCross", fast=[5, 10], slow=[20, 50])
    assert [s.id for s in runs] == ["fast=5,slow=20", "fast=5,slow=50", "fast=10,slow=20",
                                    "fast=10,slow=50"]  # fmt: skip
    assert runs[1].params == {"fast": 5, "slow": 50}
    assert {s.strategy for s in runs} == {"pkg.strat:SmaCross"}
    labelled = grid("m:C", instrument=["eth_usdt"], short=[True, None], size=[0.5, "1.5"])
    assert [s.id for s in labelled] == [
        "instrument=eth_usdt,short=true,size=0.5", "instrument=eth_usdt,short=true,size=1.5",
        "instrument=eth_usdt,short=null,size=0.5", "instrument=eth_usdt,short=null,size=1.5",
    ]  # fmt: skip
    assert grid("m:C", fast=[]) == []


def test_grid_and_spec_refuse_bad_input() -> None:
    with pytest.raises(ValueError, match="at least one axis"):
        grid("m:C")
    with pytest.raises(TypeError, match="axis fast must be a sequence"):
        grid("m:C", fast="5")  # a str is one value, not an axis
    with pytest.raises(ValueError, match=r"package\.module:Class"):
        BacktestSpec(id="x", strategy="strategy.py")
    with pytest.raises(ValueError, match="extra"):
        BacktestSpec(id="x", strategy="m:C", other=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="repeated: a"):
        run_backtests([BacktestSpec(id="a", strategy=SMA)] * 2, sample_data(), sample_config())


def test_spec_and_batch_pickle_with_every_protocol(sequential: BacktestBatch) -> None:
    spec = grid(SMA, fast=[2], slow=[5], quantity=["0.5"])[0]
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(spec, protocol)) == spec
        assert pickle.loads(pickle.dumps(sequential, protocol)) == sequential
    assert BacktestBatch.model_validate_json(sequential.model_dump_json()) == sequential


# --- the same results on every executor ------------------------------------------------------


def test_sequential_runs_every_spec_in_order(sequential: BacktestBatch) -> None:
    assert [r.id for r in sequential.results] == [s.id for s in specs()]
    assert sequential.failures == []
    assert all(r.totals.trades > 0 for r in sequential.results)  # the strategies trade
    assert len(set(frozen(sequential))) == len(sequential.results)  # and differently


def test_a_process_pool_gives_identical_results(
    data: MarketData, config: BacktestConfig, sequential: BacktestBatch
) -> None:
    with ProcessPoolExecutor(2) as pool:
        batch = run_backtests(specs(), data, config, executor=pool)
    assert frozen(batch) == frozen(sequential)
    assert batch.specs == sequential.specs and batch.failures == []


def test_a_dask_local_cluster_of_processes_gives_identical_results(
    data: MarketData, config: BacktestConfig, sequential: BacktestBatch
) -> None:
    distributed = pytest.importorskip("distributed", reason="the scale extra is not installed")
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        executor = client.get_executor()
        assert executor_workers(executor) == 2
        pids = set(client.run(os.getpid).values())
        assert len(pids) == 2 and os.getpid() not in pids  # worker processes, not threads
        batch = run_backtests(specs(), data, config, executor=executor)
    assert frozen(batch) == frozen(sequential)


@pytest.mark.skipif(
    os.environ.get("RUN_RAY") != "1", reason="Ray starts a local cluster: RUN_RAY=1 runs it"
)
def test_ray_pool_gives_identical_results(
    data: MarketData, config: BacktestConfig, sequential: BacktestBatch
) -> None:
    ray = pytest.importorskip("ray", reason="the scale extra is not installed")
    Pool = importlib.import_module("ray.util.multiprocessing").Pool  # Any: ray is optional

    # Ray's workers do not inherit sys.path: ship the test strategies' folder on PYTHONPATH.
    here = str(Path(__file__).parent)
    path = os.pathsep.join([here, *filter(None, [os.environ.get("PYTHONPATH")])])
    ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": {"PYTHONPATH": path}})
    try:
        pool = Pool(2)
        assert executor_workers(pool) == 2
        batch = run_backtests(specs(), data, config, executor=pool)
        pool.terminate()
    finally:
        ray.shutdown()
    assert frozen(batch) == frozen(sequential)


class Mapper:
    """An executor that only has `map` (as Ray's Pool), here running in this process."""

    def __init__(self) -> None:
        self.calls = 0

    def map(self, func: Callable[[Any], Any], iterable: Iterable[Any], /) -> Iterator[Any]:
        self.calls += 1
        return map(func, iterable)


def test_an_object_with_map_is_an_executor(
    data: MarketData, config: BacktestConfig, sequential: BacktestBatch
) -> None:
    mapper = Mapper()
    batch = run_backtests(specs(), data, config, executor=mapper, workers=4)
    assert mapper.calls == 1
    assert frozen(batch) == frozen(sequential)


# --- failures ---------------------------------------------------------------------------------

FAILING = [
    BacktestSpec(id="ok", strategy=EVERY, params={"every": 7}),
    BacktestSpec(id="raises", strategy="sweep_test_strategies:Boom", params={"at": 3}),
    BacktestSpec(id="no module", strategy="no_such_package.strategies:Sma"),
    BacktestSpec(id="no class", strategy="sweep_test_strategies:Missing"),
    BacktestSpec(id="not a strategy", strategy="sweep_test_strategies:NotAStrategy"),
    BacktestSpec(id="bad params", strategy=SMA, params={"fast": 9, "slow": 3}),
    BacktestSpec(id="ok too", strategy=EVERY, params={"every": 13}),
]


@pytest.mark.parametrize("pool", [False, True], ids=["sequential", "process-pool"])
def test_failing_runs_are_recorded_and_the_others_return(
    data: MarketData, config: BacktestConfig, pool: bool
) -> None:
    if pool:
        with ProcessPoolExecutor(2) as executor:
            batch = run_backtests(FAILING, data, config, executor=executor)
    else:
        batch = run_backtests(FAILING, data, config)
    assert [r.id for r in batch.results] == ["ok", "ok too"]
    errors = {f.id: f.error for f in batch.failures}
    assert list(errors) == ["raises", "no module", "no class", "not a strategy", "bad params"]
    assert errors["raises"].startswith("BacktestError: ")
    assert errors["raises"].startswith(
        "BacktestError: the backtest stopped at market event 2: boom at call 3 (RuntimeError, at 20"
    )
    assert "sweep_test_strategies.py:" in errors["raises"], errors["raises"]
    assert errors["no module"] == (
        "StrategyImportError: strategy no_such_package.strategies:Sma: importing "
        "no_such_package.strategies failed: ModuleNotFoundError: No module named "
        "'no_such_package' (it must be importable where the run happens)"
    )
    assert errors["no class"] == (
        "StrategyImportError: strategy sweep_test_strategies:Missing: "
        "sweep_test_strategies has no 'Missing'"
    )
    assert "has no generate_algo_orders" in errors["not a strategy"]
    assert errors["bad params"] == "ValueError: need 0 < fast < slow, got fast=9, slow=3"
    assert batch.failures[0] == SweepFailure(id="raises", error=errors["raises"])


@pytest.mark.parametrize("pool", [False, True], ids=["sequential", "process-pool"])
def test_on_error_raise_raises_the_first_failure_in_spec_order(
    data: MarketData, config: BacktestConfig, pool: bool
) -> None:
    if pool:
        with ProcessPoolExecutor(2) as executor:
            with pytest.raises(BacktestError, match="stopped at market event 2: boom"):
                run_backtests(FAILING, data, config, executor=executor, on_error="raise")
            with pytest.raises(StrategyImportError, match="no_such_package"):
                run_backtests(FAILING[2:], data, config, executor=executor, on_error="raise")
    else:
        with pytest.raises(BacktestError) as raised:
            run_backtests(FAILING, data, config, on_error="raise")
        assert isinstance(raised.value.__cause__, RuntimeError)
        with pytest.raises(StrategyImportError, match="no_such_package") as imported:
            run_backtests(FAILING[2:], data, config, on_error="raise")
        assert isinstance(imported.value.__cause__, ModuleNotFoundError)


# --- the data travels once per worker ---------------------------------------------------------


class Counting(Executor):
    """A process pool that counts the pickled bytes of every task it is given."""

    def __init__(self, workers: int) -> None:
        self.pool = ProcessPoolExecutor(workers)
        self._max_workers = workers
        self.sent: list[int] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.sent.append(len(pickle.dumps((fn, args, kwargs))))
        return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait, cancel_futures=cancel_futures)


def test_the_market_data_is_sent_once_per_worker_not_once_per_run(
    data: MarketData, config: BacktestConfig
) -> None:
    size = len(pickle.dumps(data))
    runs = grid(EVERY, every=list(range(2, 14)))  # 12 runs
    with Counting(2) as executor:
        batch = run_backtests(runs, data, config, executor=executor)
    assert len(batch.results) == 12
    assert len(executor.sent) == 2  # one task per worker
    # The data twice, plus the specs and config: far from the 12 copies a task per run sends.
    assert 2 * size < sum(executor.sent) < 2 * size + 20_000
    assert sum(executor.sent) < 12 * size / 5


# --- the batch's tables and best --------------------------------------------------------------


def test_rows_have_params_and_headline_statistics_with_failures(
    data: MarketData, config: BacktestConfig, sequential: BacktestBatch
) -> None:
    rows = sequential.rows()
    assert [r["id"] for r in rows] == [s.id for s in specs()]
    first = rows[0]
    assert list(first)[:5] == ["id", "fast", "slow", "bar_seconds", "error"]
    result = sequential.results[0]
    assert first["error"] is None
    assert (first["trades"], first["net_pnl"]) == (result.totals.trades, result.totals.net_pnl)
    assert first["instrument"] == "eth_usdt"  # SmaCross trades eth_usdt
    eth = next(i for i in result.instruments if i.instrument == "eth_usdt")
    assert first["barter_sharpe_ratio"] == eth.barter.sharpe_ratio
    assert rows[-1]["every"] == 13 and "fast" not in rows[-1]

    failed = run_backtests(FAILING[:2], data, config).rows()
    assert failed[1]["error"].startswith("BacktestError") and failed[1]["trades"] is None
    clash = BacktestSpec(id="c", strategy="no_such_module:X", params={"trades": 1, "id": "p"})
    [row] = run_backtests([clash], data, config).rows()
    assert (row["id"], row["param_id"], row["param_trades"], row["trades"]) == ("c", "p", 1, None)


def test_to_pandas_and_to_polars_have_a_row_per_run(sequential: BacktestBatch) -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("polars")
    frame = sequential.to_pandas()
    assert list(frame["id"]) == [s.id for s in specs()]
    assert frame["net_pnl"].tolist() == [r.totals.net_pnl for r in sequential.results]
    polars_frame = sequential.to_polars()
    assert polars_frame.height == len(specs()) and polars_frame.columns == list(frame.columns)


def test_best_ranks_by_any_numeric_column(sequential: BacktestBatch) -> None:
    """Portfolio statistics, barter's Sharpe ratio and params too, largest or smallest."""
    rows = {row["id"]: row for row in sequential.rows()}
    for column in ("total_return", "max_drawdown_pct", "sharpe_ratio", "fast"):
        defined = [r for r in sequential.results if rows[r.id].get(column) is not None]
        assert defined, column
        top, bottom = sequential.best(column), sequential.best(column, lower_is_better=True)
        assert top is not None and bottom is not None
        assert rows[top.id][column] == max(rows[r.id][column] for r in defined), column
        assert rows[bottom.id][column] == min(rows[r.id][column] for r in defined), column
    portfolio = sequential.results[0].portfolio[0]
    first = rows[sequential.results[0].id]
    assert (first["total_return"], first["max_drawdown_pct"]) == (
        portfolio.total_return, portfolio.max_drawdown_pct,
    )  # fmt: skip
    drawdown = sequential.best("max_drawdown_pct", lower_is_better=True)
    assert drawdown is not None and drawdown.portfolio[0].max_drawdown_pct == min(
        r.portfolio[0].max_drawdown_pct
        for r in sequential.results  # type: ignore[type-var]
    )


def test_best_maximises_a_trade_statistic(sequential: BacktestBatch) -> None:
    best = sequential.best()
    assert best is not None
    assert best.totals.net_pnl == max(r.totals.net_pnl for r in sequential.results)
    by_trades = sequential.best("trades")
    assert by_trades is not None
    top = max(r.totals.trades for r in sequential.results)
    assert by_trades == next(r for r in sequential.results if r.totals.trades == top)  # first
    with pytest.raises(ValueError, match="numeric column of the sweep table"):
        sequential.best("sharpe")
    with pytest.raises(ValueError, match="numeric column"):
        sequential.best("instrument")
    empty = BacktestBatch(specs=[], results=[], failures=[])
    assert empty.best() is None
    assert sequential.spec(sequential.results[0].id).params == specs()[0].params
