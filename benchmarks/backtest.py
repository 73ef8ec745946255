"""Backtest throughput: market events per second through `barter_python.backtest.backtest` with
a no-op Python strategy and with a strategy sending a market order every 100 ticks, against
barter's `Engine` driven natively with `DefaultStrategy` (`rust/src/bin/bench_engine.rs`) on
the same shape of data (trades over 10 instruments), rounds alternating, in one run. Also
prints the native memory per event of `MarketData`.

NautilusTrader, for context (not installed here; optional): its `BacktestEngine` with a Python
strategy was measured at about 290k ticks/s no-op and 100k ticks/s with an order every 100
ticks on 100k ticks (the backtest issue); `pip install nautilus-trader` to compare on this
machine.

Usage: python benchmarks/backtest.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from barter_python import ExchangeId
from barter_python.backtest import BacktestConfig, MarketData, backtest
from barter_python.engine import DefaultStrategy, EngineStateView, Requests, market_order

ROOT = Path(__file__).resolve().parent.parent
NATIVE = ROOT / "target" / "release" / "bench_engine"
INSTRUMENTS = 10


def market_data(count: int, directory: Path) -> MarketData:
    """`count` trades round-robin over the instruments, a millisecond apart, from CSV files
    (no Python object per event)."""
    start = int(datetime(2026, 1, 5, tzinfo=UTC).timestamp() * 1000)
    parts = []
    for i in range(INSTRUMENTS):
        path = directory / f"coin{i}.csv"
        rows = (
            f"{start + k},{100 + (k % 100) / 100},1,Buy\n" for k in range(i, count, INSTRUMENTS)
        )
        path.write_text("time,price,amount,side\n" + "".join(rows))
        parts.append(
            MarketData.from_csv(
                path, kind="trades", exchange="binance_spot", instrument=f"coin{i}_usdt"
            )
        )
    return MarketData.merge(*parts)


CONFIG = BacktestConfig(
    instruments=[
        {"exchange": "binance_spot", "instrument": f"coin{i}_usdt", "base": f"coin{i}",
         "quote": "usdt"}
        for i in range(INSTRUMENTS)
    ],
    balances={("binance_spot", "usdt"): 10**12},
)  # fmt: skip


class EveryHundred(DefaultStrategy):
    """A market order every 100 ticks, alternating buy and sell on one instrument."""

    def __init__(self) -> None:
        self.ticks = 0

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        self.ticks += 1  # a backtest calls the strategy once per market event
        if self.ticks % 100:
            return [], []
        price = state.prices()[(ExchangeId.BINANCE_SPOT, "coin0_usdt")]
        side = "Buy" if self.ticks % 200 else "Sell"
        cid = f"c{self.ticks}"
        return [], [
            market_order("binance_spot", "coin0_usdt", side, 1, price, strategy_id="b", cid=cid)
        ]


def events_per_s(data: MarketData, strategy: DefaultStrategy) -> tuple[float, int]:
    began = time.perf_counter()
    result = backtest(strategy, data, CONFIG)
    return len(data) / (time.perf_counter() - began), result.orders_sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer events, as CI runs it")
    count = 20_000 if parser.parse_args().quick else 100_000
    with tempfile.TemporaryDirectory() as directory:
        data = market_data(count, Path(directory))
    assert len(data) == count
    noop = orders = native = 0.0
    sent = 0
    for _ in range(3):  # rounds alternate, so that each side sees the same machine load
        noop = max(noop, events_per_s(data, DefaultStrategy())[0])
        rate, sent = events_per_s(data, EveryHundred())
        orders = max(orders, rate)
        run = subprocess.check_output([NATIVE, str(INSTRUMENTS), str(count)])
        native = max(native, json.loads(run)["events_per_s"])
    assert sent >= count // 100 - 1, sent  # every order was sent (and the end-of-data close)
    print(f"backtest throughput, {count} trades over {INSTRUMENTS} instruments")
    print(f"  SDK backtest, no-op Python strategy       {noop:>12,.0f} events/s")
    print(f"  SDK backtest, market order every 100 ticks {orders:>11,.0f} events/s ({sent} orders)")
    print(f"  Rust, barter's Engine + DefaultStrategy   {native:>12,.0f} events/s")
    print(f"  no-op / native: {noop / native:.1%} (goal >= 25%)")
    print(f"  no-op / orders: {noop / orders:.2f}x (goal <= 1.5x)")
    print(f"  MarketData: {data.nbytes / len(data):.1f} bytes per event")


if __name__ == "__main__":
    main()
