"""A parameter sweep of the SMA crossover on the bundled market data, in this process, on a
process pool, or on a Dask cluster.

Run: `.venv/bin/python examples/sweep_strategies.py [--executor none|process|dask] [--workers N]
[--scheduler tcp://host:8786]`

The strategy is named by import path (`barter_python.backtest.sample:SmaCross`, the copy shipped
in the package) because each worker imports it: a class defined in this script (`__main__`) or
in a notebook would not import on a worker process.
"""

from __future__ import annotations

import argparse
import importlib
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack

from barter_python.backtest import BacktestBatch, grid, run_backtests
from barter_python.backtest.sample import sample_config, sample_data

STRATEGY = "barter_python.backtest.sample:SmaCross"


def sweep(executor: Executor | None) -> BacktestBatch:
    specs = grid(STRATEGY, fast=[2, 3, 5], slow=[8, 13, 21], bar_seconds=[2, 5])
    return run_backtests(specs, sample_data(), sample_config(), executor=executor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executor", choices=["none", "process", "dask"], default="process")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheduler", help="a Dask scheduler's address (default: a local one)")
    args = parser.parse_args()
    with ExitStack() as stack:
        executor: Executor | None = None
        if args.executor == "process":
            executor = stack.enter_context(ProcessPoolExecutor(args.workers))
        elif args.executor == "dask":
            # the optional extra `scale` (used through `Any`: mypy need not have it installed)
            distributed = importlib.import_module("distributed")
            if args.scheduler:
                client = stack.enter_context(distributed.Client(args.scheduler))
            else:
                cluster = distributed.LocalCluster(n_workers=args.workers, processes=True)
                client = stack.enter_context(distributed.Client(stack.enter_context(cluster)))
            executor = client.get_executor()
        batch = sweep(executor)
    for failure in batch.failures:
        print(f"failed: {failure.id}: {failure.error}")
    columns = ("id", "trades", "win_rate", "profit_factor", "net_pnl")
    print(f"{'id':<30}" + "".join(f"{name:>16}" for name in columns[1:]))
    for row in sorted(batch.rows(), key=lambda row: row["net_pnl"] or 0, reverse=True):
        cells = ("" if row[name] is None else f"{row[name]:.6g}" for name in columns[1:])
        print(f"{row['id']:<30}" + "".join(f"{cell:>16}" for cell in cells))
    best = batch.best("net_pnl")
    if best is not None:
        print(f"best by net_pnl: {best.id} ({best.totals.net_pnl:.6f})")


if __name__ == "__main__":
    main()
