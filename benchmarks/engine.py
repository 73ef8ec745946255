"""Engine throughput: market events per second through barter's `Engine` with a no-op Python
strategy (the SDK) against barter's own `DefaultStrategy` in pure Rust
(`rust/src/bin/bench_engine.rs`), on the same book and events, measured in one run.

Usage: python benchmarks/engine.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from barter_python import InstrumentSnapshot
from barter_python.engine import DefaultStrategy, Engine, EngineEvent

ROOT = Path(__file__).resolve().parent.parent
NATIVE = ROOT / "target" / "release" / "bench_engine"


def sdk_events_per_s(n: int, count: int) -> float:
    """The book and events `bench_engine` uses, through the SDK; best of 3."""
    book = [
        InstrumentSnapshot(
            exchange="binance_spot",
            instrument=f"coin{i}_usdt",
            base=f"coin{i}",
            quote="usdt",
            price=100,
        )
        for i in range(n)
    ]
    start = datetime.now(UTC)
    events = [
        EngineEvent.trade(
            "binance_spot",
            f"coin{k % n}_usdt",
            100 + (k % 100) / 100,
            1,
            "Buy",
            start + timedelta(milliseconds=k),
        )
        for k in range(count)
    ]
    best = float("inf")
    for _ in range(3):
        engine = Engine(book, DefaultStrategy(), trading_enabled=True)
        gc.collect()
        began = time.perf_counter()
        for event in events:
            engine.process(event)
        best = min(best, time.perf_counter() - began)
    audit = engine.process(events[0])
    assert audit.opens_sent == [] and audit.errors == [], audit
    return count / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer events, as CI runs it")
    quick = parser.parse_args().quick
    n, count = 10, 20_000 if quick else 200_000
    # Rounds alternate the two sides so that both see the same machine load.
    sdk = native = 0.0
    for _ in range(4):
        sdk = max(sdk, sdk_events_per_s(n, count))
        run = subprocess.check_output([NATIVE, str(n), str(count)])
        native = max(native, json.loads(run)["events_per_s"])
    print(f"engine throughput, {count} market trades over {n} instruments, trading enabled")
    print(f"  SDK, no-op Python strategy     {sdk:>12,.0f} events/s")
    print(f"  Rust, barter's DefaultStrategy {native:>12,.0f} events/s")
    print(f"  SDK / native: {sdk / native:.1%} (goal >= 25%)")


if __name__ == "__main__":
    main()
