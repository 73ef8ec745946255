"""What resting conditional orders cost per event (spec §13, "Performance"), in one run:
trades of one instrument through `backtest()`, with a strategy that places 1,000 stops on its
first call (500 Sell stops below the market, 500 Buy stops above it, none ever reached) and
with the same strategy placing none. The cost per event is the slope between a run of 100,000
trades and one of 50,000 (20,000 and 10,000 with `--quick`), so that what is paid once (making
the 1,000 orders in Python, their result rows) is not counted per event; rounds alternate and
the median of each is kept. Prints events/s of both and the ratio of their cost per event (the
goal: at most 1.10, as the exchange's triggers are indexed by price, not scanned). Asserted:
every stop is still untriggered at the end.

Usage: python benchmarks/conditional.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
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
    # No end-of-data close: it would cancel the stops, which must be found untriggered.
    setup = config(SimulatedExchange()).model_copy(update={"close_positions_at_end": False})
    result = backtest(strategy, data, setup)
    spent = time.perf_counter() - began
    assert strategy.calls == len(data)
    assert sum(o.status == "open" for o in result.orders) == count, "a stop triggered"
    assert not result.fills
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer events, as CI runs it")
    args = parser.parse_args()
    count, rounds = (20_000, 5) if args.quick else (100_000, 9)
    long, short = market_data(count), market_data(count // 2)
    slopes: dict[int, list[float]] = {0: [], RESTING: []}
    for _ in range(rounds):
        for resting in (0, RESTING):
            # Seconds per event: the slope between a long and a short run made one after the
            # other (under the same load).
            spent = seconds(long, resting) - seconds(short, resting)
            slopes[resting].append(spent / (len(long) - len(short)))

    def per_event(resting: int) -> float:
        return statistics.median(slopes[resting])

    base, loaded = per_event(0), per_event(RESTING)
    print(f"conditional orders, {count:,} and {count // 2:,} trades of one instrument")
    print(f"  no conditional orders:  {1 / base:>12,.0f} events/s")
    print(f"  {RESTING:,} resting stops:    {1 / loaded:>12,.0f} events/s")
    print(f"  cost per event, resting / none: {loaded / base:.3f} (goal <= {GOAL:.2f})")


if __name__ == "__main__":
    main()
