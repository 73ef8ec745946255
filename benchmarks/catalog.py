"""The market-data catalog: streaming replay from its Parquet files against the in-memory replay
of the same events, and the memory a large streaming backtest takes.

1. Throughput: `backtest(DefaultStrategy(), query, config)` (row group by row group) against
   `backtest(DefaultStrategy(), query.load(), config)`, a no-op strategy, trades over 10
   instruments (the backtest benchmark's config), rounds alternating, best of the rounds
   (target: streaming >= 90 %).
2. Memory: a streaming backtest of `--events` events in a fresh process; its peak RSS (VmHWM)
   above the RSS of the interpreter with the SDK imported (target: 100M events <= 300 MB).

Usage: python benchmarks/catalog.py [--quick] [--events N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from backtest import CONFIG, INSTRUMENTS  # trades over 10 instruments, as the backtest benchmark

from barter_python.backtest import MarketData, backtest
from barter_python.engine import DefaultStrategy
from barter_python.market import Catalog, MarketQuery

START = datetime(2026, 1, 5, tzinfo=UTC)


def fill(root: Path, events: int, per_day: int) -> MarketQuery:
    """A catalog of `events` trades round-robin over the instruments, a millisecond apart,
    written a day at a time (`per_day` events a day; no Python object per event)."""
    import numpy as np
    import pyarrow as pa

    catalog = Catalog(root)
    for first in range(0, events, per_day):
        count = min(per_day, events - first)
        day = START + timedelta(days=first // per_day)
        parts = []
        for i in range(INSTRUMENTS):
            ks = np.arange(i, count, INSTRUMENTS, dtype=np.int64)
            table = pa.table(
                {
                    "time": ks + int(day.timestamp() * 1000),
                    "price": 100 + (ks % 100) / 100,
                    "amount": np.ones(len(ks)),
                    "side": pa.array(["Buy"] * len(ks)),
                }
            )
            parts.append(
                MarketData.from_arrow(
                    table, kind="trades", exchange="binance_spot", instrument=f"coin{i}_usdt"
                )
            )
        catalog.write(MarketData.merge(*parts))
    return catalog.query()


def throughput(query: MarketQuery, rounds: int) -> None:
    data = query.load()
    events = len(data)
    best = {"streaming": float("inf"), "in memory": float("inf")}
    for _ in range(rounds):
        for name, source in (("streaming", query), ("in memory", data)):
            started = time.perf_counter()
            result = backtest(DefaultStrategy(), source, CONFIG)
            best[name] = min(best[name], time.perf_counter() - started)
            assert result.events == events
    rate = {name: events / seconds for name, seconds in best.items()}
    print(f"replay of {events:,} trades, no-op strategy (best of {rounds}):")
    for name, per_second in rate.items():
        print(f"  {name:<10} {per_second:>12,.0f} events/s")
    print(f"  streaming / in memory: {rate['streaming'] / rate['in memory']:.2f} (goal >= 0.90)")


MEMORY_RUN = """
import sys, time
from barter_python.backtest import backtest
from barter_python.engine import DefaultStrategy
from barter_python.market import Catalog
sys.path.insert(0, {here!r})
from backtest import CONFIG

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
query = Catalog({root!r}).query()
baseline = status("VmRSS")
started = time.perf_counter()
result = backtest(DefaultStrategy(), query, CONFIG)
print(result.events, time.perf_counter() - started, status("VmHWM") - baseline, baseline)
"""


def memory(root: Path) -> None:
    code = MEMORY_RUN.format(here=str(Path(__file__).parent), root=str(root))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    events, seconds, peak, baseline = out.stdout.split()
    mib = 1024 * 1024
    print(f"streaming backtest of {int(events):,} events in a fresh process:")
    print(f"  {int(events) / float(seconds):,.0f} events/s")
    print(f"  interpreter with the SDK imported      {int(baseline) / mib:>8.1f} MiB")
    print(f"  peak RSS above it (VmHWM - VmRSS)      {int(peak) / mib:>8.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (CI)")
    parser.add_argument("--events", type=int, default=None, help="events of the memory run")
    args = parser.parse_args()
    small, rounds = (100_000, 2) if args.quick else (1_000_000, 3)
    large = args.events or (1_000_000 if args.quick else 20_000_000)
    with tempfile.TemporaryDirectory() as folder:
        throughput(fill(Path(folder) / "small", small, per_day=small // 2), rounds)
        started = time.perf_counter()
        fill(Path(folder) / "large", large, per_day=1_000_000)
        print(f"wrote {large:,} events in {time.perf_counter() - started:.1f} s")
        memory(Path(folder) / "large")


if __name__ == "__main__":
    main()
