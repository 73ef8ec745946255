"""The strategy kit's costs (spec §10, issue 22 "Performance"), in one run, on trades of one
instrument a millisecond apart (1,000,000; 100,000 with `--quick`):

- `state.event`: a backtest whose strategy reads `state.event` (and its price) in every call,
  against one that reads nothing; the difference per call (goal: at most 0.15 µs);
- bars: a `BarStrategy` with 1-minute bars (Python called per bar), against barter's own engine
  replaying the same number of events in Rust with its no-op `DefaultStrategy`
  (`target/release/bench_engine`; goal: at least 3M events/s, about 60 % of barter's, and at
  least 2.2x a per-event no-op Python strategy in the same run).

Usage: python benchmarks/strategy_kit.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from datetime import timedelta
from pathlib import Path

from exchange import config, market_data  # the same trades as the exchange benchmark

from barter_python.backtest import MarketData, backtest
from barter_python.engine import DefaultStrategy, EngineStateView, Requests
from barter_python.exchange import SimulatedExchange
from barter_python.strategy import Bar, BarStrategy

NATIVE = Path(__file__).resolve().parent.parent / "target" / "release" / "bench_engine"


class Reading(DefaultStrategy):
    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        event = state.event
        assert event is not None
        return [], []


class Minutes(BarStrategy):
    bar_interval = timedelta(minutes=1)

    def __init__(self) -> None:
        self.bars = 0

    def on_bar(self, bar: Bar, state: EngineStateView) -> Requests:
        self.bars += 1
        return [], []


def seconds(strategy: DefaultStrategy, data: MarketData) -> float:
    began = time.perf_counter()
    backtest(strategy, data, config(SimulatedExchange()))
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer events, as CI runs it")
    count = 100_000 if parser.parse_args().quick else 1_000_000
    data = market_data(count)
    quiet = reading = bars = float("inf")
    minutes = Minutes()
    for _ in range(3):  # rounds alternate, so that each sees the same machine load
        quiet = min(quiet, seconds(DefaultStrategy(), data))
        reading = min(reading, seconds(Reading(), data))
        minutes = Minutes()
        bars = min(bars, seconds(minutes, data))
    native_run = subprocess.check_output([NATIVE, "1", str(count)])
    native = json.loads(native_run)["events_per_s"]
    per_read = max(reading - quiet, 0.0) / count * 1e6
    print(f"strategy kit, {count:,} trades of one instrument")
    print(f"  state.event: {per_read:.3f} µs per call (goal <= 0.15)")
    print(f"  no-op strategy (called per event) {count / quiet:>12,.0f} events/s")
    print(f"  BarStrategy, 1-minute bars        {count / bars:>12,.0f} events/s "
          f"({minutes.bars} bars; goal >= 3,000,000)")  # fmt: skip
    print(f"  bars / per-event no-op: {quiet / bars:.2f}x (goal >= 2.2x)")
    print(f"  barter's Engine in Rust, no-op    {native:>12,.0f} events/s")
    print(f"  bars / barter's: {count / bars / native:.1%} (goal about 60 %)")


if __name__ == "__main__":
    main()
