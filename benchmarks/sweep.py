"""Sweep speed-up: a 16-run grid of the SMA crossover (`fast` x `slow`, the strategy shipped in the
package, `barter_python.backtest.sample:SmaCross`) over seeded random-walk trades, run by
`run_backtests` on a 2-worker `ProcessPoolExecutor` (the pool started inside the timing) against
the same sweep sequential in this process, rounds alternating, best of each; results checked
identical. Prints:

- the speed-up (goal: >= 1.7x on 2 cores), beside a control measured in the same run: a
  pure-Python CPU loop, twice in this process against once on each of 2 pool processes. The
  control shows how much parallelism the machine gives at that moment (a machine shared with
  other work gives less than 2x; the sweep cannot beat the control);
- the overhead per run of the pool: pool wall time minus the busiest worker's time in
  `backtest` (the runs' `wall_time_s`), divided by the runs: starting the pool, shipping the
  data and specs, building strategies, returning results; and the time of a run in a worker
  against in process (higher when the cores are contended);
- the overhead of `run_backtests` itself in process (against a plain loop of `backtest`), and
  the bytes sent to the pool against what a task per run would send.

Usage: python benchmarks/sweep.py [--quick]   (--quick: 8 runs over fewer events, one round)
"""

from __future__ import annotations

import argparse
import os
import pickle
import random
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from barter_python.backtest import (
    BacktestBatch,
    BacktestConfig,
    MarketData,
    backtest,
    grid,
    run_backtests,
)
from barter_python.backtest.sample import SmaCross

STRATEGY = "barter_python.backtest.sample:SmaCross"
WORKERS = 2
CONFIG = BacktestConfig(
    instruments=[
        {"exchange": "binance_spot", "instrument": "eth_usdt", "base": "eth", "quote": "usdt"}
    ],
    balances={("binance_spot", "usdt"): 10**9},
)


def market_data(count: int) -> MarketData:
    """`count` eth_usdt trades, 100 ms apart, on a seeded random walk (read from a CSV file: no
    Python object per event)."""
    rng = random.Random(7)
    start = int(datetime(2026, 1, 5, tzinfo=UTC).timestamp() * 1000)
    price, rows = 2000.0, []
    for k in range(count):
        price = max(100.0, price + rng.choice((-1, 1)) * rng.randint(0, 50) / 100)
        rows.append(f"{start + 100 * k},{price:.2f},1,{'Buy' if k % 2 else 'Sell'}\n")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "eth_usdt.csv"
        path.write_text("time,price,amount,side\n" + "".join(rows))
        return MarketData.from_csv(
            path, kind="trades", exchange="binance_spot", instrument="eth_usdt"
        )


class Counting(Executor):
    """A process pool counting the pickled bytes of every task it is given."""

    def __init__(self, workers: int) -> None:
        self.pool = ProcessPoolExecutor(workers)
        self._max_workers = workers
        self.sent = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.sent += len(pickle.dumps((fn, args, kwargs)))
        return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait, cancel_futures=cancel_futures)


def burn(count: int) -> float:
    """A pure-Python CPU loop (the control); returns its wall time."""
    started, total = time.perf_counter(), 0
    for i in range(count):
        total += i * i
    return time.perf_counter() - started


def control(count: int) -> float:
    """The machine's parallel speed-up now: `burn` twice here against once on each worker."""
    started = time.perf_counter()
    for _ in range(WORKERS):
        burn(count)
    alone = time.perf_counter() - started
    with ProcessPoolExecutor(WORKERS) as pool:
        list(pool.map(burn, [1] * WORKERS))  # started before timing: the loop only
        started = time.perf_counter()
        list(pool.map(burn, [count] * WORKERS))
        return alone / (time.perf_counter() - started)


def frozen(batch: BacktestBatch) -> list[str]:
    return [r.model_copy(update={"wall_time_s": 0.0}).to_json() for r in batch.results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 runs over fewer events (CI)")
    args = parser.parse_args()
    events, rounds = (20_000, 1) if args.quick else (100_000, 3)
    fasts = [2, 3] if args.quick else [2, 3, 5, 8]
    specs = grid(STRATEGY, fast=fasts, slow=[10, 20, 30, 40], bar_seconds=[1])
    data = market_data(events)
    size = len(pickle.dumps(data))
    print(
        f"{len(specs)} runs of SmaCross over {len(data):,} trades ({size / 1e6:.1f} MB pickled), "
        f"{WORKERS} workers, {os.cpu_count()} CPUs, best of {rounds} round(s)"
    )

    sequential = pooled = plain = float("inf")
    sent, busiest, worker_runs, in_process_runs, machine = 0, 0.0, 0.0, 0.0, 0.0
    reference: list[str] = []
    for _ in range(rounds):
        machine = max(machine, control(3_000_000 if args.quick else 10_000_000))
        started = time.perf_counter()
        for spec in specs:
            backtest(SmaCross(**spec.params), data, CONFIG, id=spec.id)  # type: ignore[arg-type]
        plain = min(plain, time.perf_counter() - started)

        started = time.perf_counter()
        alone = run_backtests(specs, data, CONFIG)
        elapsed = time.perf_counter() - started
        if elapsed < sequential:
            sequential, in_process_runs = elapsed, sum(r.wall_time_s for r in alone.results)

        started = time.perf_counter()
        with Counting(WORKERS) as pool:
            batch = run_backtests(specs, data, CONFIG, executor=pool)
        elapsed = time.perf_counter() - started
        if elapsed < pooled:
            pooled, sent = elapsed, pool.sent
            worker_runs = sum(r.wall_time_s for r in batch.results)
            # run_backtests sends spec i to worker i % WORKERS
            busiest = max(
                sum(r.wall_time_s for r in batch.results[w::WORKERS]) for w in range(WORKERS)
            )

        assert not alone.failures and not batch.failures
        assert frozen(batch) == frozen(alone), "the pool gave other results"
        reference = reference or frozen(alone)
        assert frozen(alone) == reference

    runs = len(specs)
    print(f"control (pure-Python loop, {WORKERS} processes vs 1): {machine:.2f}x")
    print(f"sequential (run_backtests, in process): {sequential:7.3f} s")
    print(f"process pool of {WORKERS} (started inside):  {pooled:7.3f} s")
    print(
        f"speed-up: {sequential / pooled:.2f}x (goal >= 1.7x on 2 cores; "
        f"{sequential / pooled / machine:.0%} of the control)"
    )
    print(
        f"pool overhead per run: {(pooled - busiest) / runs * 1000:.1f} ms; a run takes "
        f"{worker_runs / runs * 1000:.1f} ms in a worker, {in_process_runs / runs * 1000:.1f} ms "
        "in process"
    )
    print(
        "run_backtests in process vs a plain loop: "
        f"{(sequential - plain) / runs * 1000:+.2f} ms/run"
    )
    print(
        f"bytes sent to the pool: {sent / 1e6:.2f} MB = {sent / size:.2f}x the data "
        f"(a task per run would send >= {runs}x: {runs * size / 1e6:.1f} MB)"
    )


if __name__ == "__main__":
    main()
