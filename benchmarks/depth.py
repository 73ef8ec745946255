"""Depth at speed (spec §12, "Performance"), in one run: a synthetic day of L2 updates and
trades in Tardis's layouts (`depth_day.py`: 10,000,000 messages; `--quick`: 200,000) loaded
with `MarketData.from_tardis` and replayed by `backtest()` on the simulated exchange with
`queue="probabilistic"` and a Python strategy called at every message that keeps a Buy of one
lot resting at the best bid (cancel and replace when the best bid moves). Prints events/s
(the goal: at least 1,000,000) and, when `make hftbacktest-venv` has made
`.hftbacktest-venv`, hftbacktest 2.x's own Python-driven loop on the same files
(`hftbacktest_depth.py`) beside it, with the ratio. Asserted: the strategy saw every event,
and some of its bids filled from the queue.

Usage: python benchmarks/depth.py [--quick] [--events N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from depth_day import LOT, write_day

from barter_python import (
    ExchangeId,
    OrderKey,
    OrderRequestCancel,
    OrderRequestOpen,
    RequestCancel,
    RequestOpen,
)
from barter_python.backtest import BacktestConfig, MarketData, backtest
from barter_python.engine import DefaultStrategy, EngineStateView, Requests
from barter_python.exchange import SimulatedExchange

GOAL = 1_000_000
EXCHANGE, INSTRUMENT = ExchangeId.BINANCE_FUTURES_USD, "btc_usdt"
HERE = Path(__file__).resolve().parent
HFTBACKTEST = HERE.parent / ".hftbacktest-venv" / "bin" / "python"
CACHE = HERE.parent / "target" / "depth-bench"


class TouchBid(DefaultStrategy):
    """A Buy of one lot resting at the best bid, moved whenever the best bid moves."""

    def __init__(self) -> None:
        self.calls = 0
        self.sent = 0
        self.price: Decimal | None = None

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        self.calls += 1
        quote = state.quote(EXCHANGE, INSTRUMENT)
        bid = None if quote is None else quote.bid
        if bid is None or bid == self.price:
            return [], []
        cancels = [self.cancel()] if self.sent else []
        self.sent += 1
        self.price = bid
        key = OrderKey(EXCHANGE, INSTRUMENT, "touch", f"b{self.sent}")
        return cancels, [
            OrderRequestOpen(key, RequestOpen("Buy", bid, LOT, "Limit", "GoodUntilCancelled"))
        ]

    def cancel(self) -> OrderRequestCancel:
        key = OrderKey(EXCHANGE, INSTRUMENT, "touch", f"b{self.sent}")
        return OrderRequestCancel(key, RequestCancel())


def config() -> BacktestConfig:
    return BacktestConfig(
        instruments=[
            {"exchange": EXCHANGE, "instrument": INSTRUMENT, "base": "btc", "quote": "usdt"}
        ],
        balances={(EXCHANGE, "usdt"): 10**12},
        exchange=SimulatedExchange(account="margin", queue="probabilistic"),
        close_positions_at_end=False,
    )


def hftbacktest(trades: Path, book: Path) -> dict[str, float] | None:
    if not HFTBACKTEST.exists():
        return None
    script = HERE / "hftbacktest_depth.py"
    ran = subprocess.run(
        [str(HFTBACKTEST), str(script), str(trades), str(book)],
        capture_output=True, text=True, check=True, cwd=HERE,
    )  # fmt: skip
    figures: dict[str, float] = json.loads(ran.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="200,000 messages, as CI runs it")
    parser.add_argument("--events", type=int, help="messages in the day (default 10,000,000)")
    args = parser.parse_args()
    events = args.events or (200_000 if args.quick else 10_000_000)
    CACHE.mkdir(parents=True, exist_ok=True)
    trades_path, book_path = write_day(CACHE, events)
    trades = MarketData.from_tardis(trades_path, instruments=INSTRUMENT)
    book = MarketData.from_tardis(book_path, instruments=INSTRUMENT)
    # Trades first: at one receive time a trade comes before the update it caused.
    data = trades.merge(book)
    strategy = TouchBid()
    began = time.perf_counter()
    result = backtest(strategy, data, config())
    spent = time.perf_counter() - began
    assert strategy.calls == len(data), (strategy.calls, len(data))
    assert result.fills, "no bid ever filled from the queue"
    ours = len(data) / spent
    print(f"depth: {len(data):,} Tardis messages (L2 updates and trades), one instrument")
    print(f"  barter-python, queue=probabilistic, Python strategy per message:"
          f" {ours:>11,.0f} ev/s (goal >= {GOAL:,};"
          f" {strategy.sent:,} orders, {len(result.fills):,} fills)")  # fmt: skip
    theirs = hftbacktest(trades_path, book_path)
    if theirs is None:
        print("  hftbacktest: not installed (make hftbacktest-venv)", file=sys.stderr)
        return
    print(f"  hftbacktest {theirs['version']}, power_prob_queue_model(2), Python loop:"
          f" {theirs['events_per_s']:>11,.0f} ev/s ({int(theirs['events']):,} rows,"
          f" {int(theirs['orders']):,} orders)")  # fmt: skip
    print(f"  barter-python / hftbacktest: {ours / theirs['events_per_s']:.1f}x")


if __name__ == "__main__":
    main()
