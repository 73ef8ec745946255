"""What resting conditional orders cost per event (spec §13, "Performance"), in one run:
100,000 trades of one instrument (20,000 with `--quick`) through `backtest()`, with a strategy
that places 1,000 stops on its first call (500 Sell stops below the market, 500 Buy stops
above it, none ever reached) and with the same strategy placing none; rounds alternate and
the best of each is kept. Prints events/s of both and the ratio of their time per event (the
goal: at most 1.10, as the exchange's triggers are indexed by price, not scanned). Asserted:
every stop is still untriggered at the end.

Usage: python benchmarks/conditional.py [--quick]
"""

from __future__ import annotations

import argparse
import time

from exchange import KEY, config, market_data

from barter_python.backtest import MarketData, backtest
from barter_python.engine import DefaultStrategy, EngineStateView, Requests
from barter_python.exchange import SimulatedExchange
from barter_python.strategy import stop_order

RESTING = 1_000
GOAL = 1.10


class Resting(DefaultStrategy):
    """`count` stops on the first call, far from the market (it trades at 100.00..100.99)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.calls = 0

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        self.calls += 1
        if self.calls > 1 or not self.count:
            return [], []
        exchange, instrument = KEY
        stops = [
            stop_order(
                exchange, instrument, "Sell" if n % 2 else "Buy", 1,
                # Sells at 50.00.., Buys at 150.00..: 500 distinct triggers a side.
                50 + n / 100 if n % 2 else 150 + n / 100,
                strategy_id="b", cid=f"s{n}",
            )
            for n in range(self.count)
        ]  # fmt: skip
        return [], stops


def seconds(data: MarketData, count: int) -> float:
    strategy = Resting(count)
    began = time.perf_counter()
    result = backtest(strategy, data, config(SimulatedExchange()))
    spent = time.perf_counter() - began
    assert strategy.calls == len(data)
    assert sum(o.status == "open" for o in result.orders) == count, "a stop triggered"
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer events, as CI runs it")
    args = parser.parse_args()
    count, rounds = (20_000, 3) if args.quick else (100_000, 5)
    data = market_data(count)
    none, resting = [], []
    for _ in range(rounds):
        none.append(seconds(data, 0))
        resting.append(seconds(data, RESTING))
    base, loaded = min(none), min(resting)
    ratio = loaded / base
    print(f"conditional orders, {count:,} trades of one instrument (best of {rounds})")
    print(f"  no conditional orders:  {count / base:>12,.0f} events/s")
    print(f"  {RESTING:,} resting stops:    {count / loaded:>12,.0f} events/s")
    print(f"  time per event, resting / none: {ratio:.3f} (goal <= {GOAL:.2f})")


if __name__ == "__main__":
    main()
