"""The simulated exchange's cost (spec §8, issue 19 "Performance"), in one run: 100,000 trades
of one instrument (20,000 with `--quick`) through `backtest()` with a strategy counting its
calls (no orders), and with the same strategy sending a market order of 1 every 100th call
(buy and sell alternating), on `SimulatedExchange` and, for reference, on `BarterMockExchange`;
rounds alternate and the best of each is kept. Prints events/s, the order run's time over the
no-op run's, and the fills (asserted: every order filled, none refused). Each run is timed
until its result's orders, fills, equity and positions have been read.

Beside NautilusTrader: when `.nautilus-venv` exists (`make nautilus-venv`; or the interpreter
named by `NAUTILUS_PYTHON`), `benchmarks/nautilus.py` runs the same ticks and strategy there
in each round (a subprocess: NautilusTrader is no dependency of ours) and the ratios
ours/Nautilus are printed; otherwise a line says it was skipped.

Memory: a fresh process loads 1,000,000 trades (100,000 with `--quick`), then runs them with
the orders; prints the peak RSS of the run (VmHWM, reset after loading) above the RSS with the
data loaded, beside the data's own size.

Usage: python benchmarks/exchange.py [--quick] [--no-memory]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from barter_python import ExchangeId
from barter_python.backtest import BacktestConfig, MarketData, backtest
from barter_python.engine import DefaultStrategy, EngineStateView, Requests, market_order
from barter_python.exchange import BarterMockExchange, Exchange, SimulatedExchange

ROOT = Path(__file__).resolve().parent.parent
NAUTILUS_SCRIPT = ROOT / "benchmarks" / "nautilus.py"
START_MS = 1_767_571_200_000  # 2026-01-05T00:00:00Z
EVERY = 100
KEY = (ExchangeId.BINANCE_SPOT, "coin0_usdt")


def write_trades(count: int, path: Path) -> None:
    """`count` trades of coin0_usdt a millisecond apart, prices 100.00..100.99, amount 1,
    sides alternating (benchmarks/nautilus.py builds the same as `TradeTick`s)."""
    rows = (
        f"{START_MS + k},{100 + (k % 100) / 100},1,{'Buy' if k % 2 else 'Sell'}\n"
        for k in range(count)
    )
    with path.open("w") as file:
        file.write("time,price,amount,side\n")
        file.writelines(rows)


def market_data(count: int) -> MarketData:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "coin0.csv"
        write_trades(count, path)
        return MarketData.from_csv(
            path, kind="trades", exchange="binance_spot", instrument="coin0_usdt"
        )


def config(exchange: Exchange) -> BacktestConfig:
    return BacktestConfig(
        instruments=[
            {"exchange": "binance_spot", "instrument": "coin0_usdt", "base": "coin0",
             "quote": "usdt"}
        ],
        balances={("binance_spot", "usdt"): 1_000_000, ("binance_spot", "coin0"): 1_000},
        exchange=exchange,
    )  # fmt: skip


class Counting(DefaultStrategy):
    """Counts its calls; with `every`, a market order of 1 every `every`th call, buy then sell
    alternating, named at the last price (the simulated exchange fills at the touch)."""

    def __init__(self, every: int = 0) -> None:
        self.every = every
        self.calls = 0

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        self.calls += 1  # a backtest calls the strategy once per market event
        if not self.every or self.calls % self.every:
            return [], []
        side = "Buy" if self.calls % (2 * self.every) else "Sell"
        price = state.prices()[KEY]
        order = market_order(
            "binance_spot", "coin0_usdt", side, 1, price, strategy_id="b", cid=f"c{self.calls}"
        )
        return [], [order]


@dataclass
class Run:
    events_per_s: float
    seconds: float
    fills: int
    refused: int


def run(data: MarketData, exchange: Exchange, every: int) -> Run:
    """One backtest, timed until the result's orders, fills, equity and positions are read
    (a result makes its lists of rows when they are first read)."""
    strategy = Counting(every)
    began = time.perf_counter()
    result = backtest(strategy, data, config(exchange))
    read = (result.orders, result.fills, result.equity, result.positions)
    seconds = time.perf_counter() - began
    assert all(isinstance(rows, list) for rows in read)
    assert strategy.calls == len(data), strategy.calls
    return Run(len(data) / seconds, seconds, len(result.fills), result.orders_refused)


def best(runs: list[Run]) -> Run:
    return max(runs, key=lambda r: r.events_per_s)


def nautilus_python() -> Path | None:
    named = os.environ.get("NAUTILUS_PYTHON")
    path = Path(named) if named else ROOT / ".nautilus-venv" / "bin" / "python"
    return path if path.exists() else None


def nautilus(python: Path, count: int) -> dict[str, float]:
    out = subprocess.run(
        [python, NAUTILUS_SCRIPT, "--count", str(count)], check=True, capture_output=True
    )
    figures: dict[str, float] = json.loads(out.stdout.decode().splitlines()[-1])
    return figures


def throughput(count: int, rounds: int) -> None:
    data = market_data(count)
    assert len(data) == count
    exchanges: dict[str, Exchange] = {
        "simulated": SimulatedExchange(),
        "barter_mock": BarterMockExchange(),
    }
    runs: dict[tuple[str, int], list[Run]] = {}
    python = nautilus_python()
    theirs: list[dict[str, float]] = []
    for _ in range(rounds):  # rounds alternate, so that each side sees the same machine load
        for name, exchange in exchanges.items():
            for every in (0, EVERY):
                runs.setdefault((name, every), []).append(run(data, exchange, every))
        if python is not None:
            theirs.append(nautilus(python, count))
    orders = count // EVERY
    print(f"simulated exchange, {count:,} trades of one instrument, best of {rounds} rounds")
    for name in exchanges:
        noop, sent = best(runs[(name, 0)]), best(runs[(name, EVERY)])
        assert noop.fills == 0, noop
        # every order filled, and (the simulated exchange) none refused
        assert sent.fills >= orders, sent
        if name == "simulated":
            assert sent.refused == 0, sent
        print(f"  {name:<12} counting, no orders          {noop.events_per_s:>12,.0f} events/s")
        print(
            f"  {name:<12} a market order every {EVERY}th  {sent.events_per_s:>12,.0f} events/s"
            f" ({sent.fills} fills)"
        )
        print(
            f"  {name:<12} orders run / no-op run: {sent.seconds / noop.seconds:.2f}x time"
            + (" (goal <= 1.2x; orders run goal >= 1M events/s)" if name == "simulated" else "")
        )
    if python is None:
        print(
            "  NautilusTrader: skipped (no .nautilus-venv: `make nautilus-venv`, or set "
            "NAUTILUS_PYTHON)"
        )
        return
    noop_n = max(f["noop_events_per_s"] for f in theirs)
    orders_n = max(f["orders_events_per_s"] for f in theirs)
    noop, sent = best(runs[("simulated", 0)]), best(runs[("simulated", EVERY)])
    version = theirs[0]["version"]
    print(f"  NautilusTrader {version} counting, no orders  {noop_n:>10,.0f} events/s")
    print(
        f"  NautilusTrader {version} order every {EVERY}th  {orders_n:>10,.0f} events/s"
        f" ({theirs[0]['fills']} fills)"
    )
    print(f"  ours / NautilusTrader, no orders:   {noop.events_per_s / noop_n:.1f}x (goal >= 6x)")
    print(
        f"  ours / NautilusTrader, with orders: {sent.events_per_s / orders_n:.1f}x (goal >= 10x)"
    )


# Run in a fresh process: load the data, reset the peak (`5` to clear_refs resets VmHWM),
# read the RSS, run with the orders, read the peak.
MEMORY_CODE = """
import gc, json, sys
sys.path.insert(0, {benchmarks!r})
import exchange as bench
from barter_python.exchange import SimulatedExchange
def status(field):
    line = [l for l in open('/proc/self/status') if l.startswith(field)][0]
    return int(line.split()[1]) * 1024
data = bench.market_data({count})
gc.collect()
with open('/proc/self/clear_refs', 'w') as f:
    f.write('5')
loaded = status('VmRSS')
result = bench.run(data, SimulatedExchange(), bench.EVERY)
print(json.dumps({{"loaded": loaded, "peak": status('VmHWM'), "nbytes": data.nbytes,
                  "fills": result.fills}}))
"""


def memory(count: int) -> None:
    code = MEMORY_CODE.format(benchmarks=str(ROOT / "benchmarks"), count=count)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    figures = json.loads(out.stdout.decode().splitlines()[-1])
    assert figures["fills"] >= count // EVERY, figures
    mib = 1024 * 1024
    above = (figures["peak"] - figures["loaded"]) / mib
    print(f"memory, {count:,} trades with a market order every {EVERY}th, a fresh process")
    print(f"  the data (MarketData.nbytes)           {figures['nbytes'] / mib:>8.1f} MiB")
    print(f"  RSS with the data loaded               {figures['loaded'] / mib:>8.1f} MiB")
    print(f"  peak RSS of the run (VmHWM)            {figures['peak'] / mib:>8.1f} MiB")
    print(
        f"  the run's peak above the loaded data   {above:>8.1f} MiB"
        f" ({above * mib / 1e6:.1f} MB; goal <= 100 MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer events, as CI runs it")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory run")
    args = parser.parse_args()
    throughput(20_000 if args.quick else 100_000, 1 if args.quick else 3)
    if not args.no_memory:
        memory(100_000 if args.quick else 1_000_000)


if __name__ == "__main__":
    main()
