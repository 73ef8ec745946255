"""A result's equity table as a DataFrame: `to_pandas("equity", numbers="float")` of a
1,000,000-point equity curve (goal: under 0.5 s) and `to_arrow` of it (goal: under 0.1 s),
beside the exact default (`Decimal` objects) and polars' float table, best of 3 each. The
tables come from the result's native columns through Arrow's C stream interface. The curve
comes from a real backtest: seeded random-walk trades of one instrument, a market order every
500th call, and
`equity_interval=None` (a point at every event). The float frame is checked equal to
`float(Decimal)` of the result's values before timing.

Usage: python benchmarks/tables.py [--quick]   (--quick: 100,000 points)
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from sweep import market_data  # eth_usdt trades, 100 ms apart, on a seeded random walk

from barter_python import ExchangeId
from barter_python.backtest import BacktestConfig, BacktestResult, backtest
from barter_python.engine import DefaultStrategy, EngineStateView, Requests, market_order

GOAL_S = 0.5
ARROW_GOAL_S = 0.1
ETH = (ExchangeId.BINANCE_SPOT, "eth_usdt")
CONFIG = BacktestConfig(
    instruments=[
        {"exchange": "binance_spot", "instrument": "eth_usdt", "base": "eth", "quote": "usdt"}
    ],
    balances={("binance_spot", "usdt"): 10**9},
    equity_interval=None,
)


class Turns(DefaultStrategy):
    """A market order every 500th call, buy and sell in turn: a curve that moves."""

    def __init__(self) -> None:
        self.calls = self.orders = 0

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        self.calls += 1
        if self.calls % 500:
            return [], []
        self.orders += 1
        side = "Buy" if self.orders % 2 else "Sell"
        price = state.prices()[ETH]
        return [], [market_order(*ETH, side, 1, price, strategy_id="t", cid=f"t-{self.orders}")]


def best(call: Callable[[], Any], rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 points (CI)")
    count = 100_000 if parser.parse_args().quick else 1_000_000
    started = time.perf_counter()
    result: BacktestResult = backtest(Turns(), market_data(count), CONFIG)
    points = len(result.equity)
    print(f"{points:,} equity points (backtest and result: {time.perf_counter() - started:.1f} s)")

    frame = result.to_pandas("equity", numbers="float")
    assert str(frame["equity"].dtype) == "float64"
    assert frame["equity"].tolist() == [float(p.equity) for p in result.equity]
    assert frame["cash"].tolist() == [float(p.cash) for p in result.equity]

    floats = best(lambda: result.to_pandas("equity", numbers="float"))
    exact = best(lambda: result.to_pandas("equity"))
    polars = best(lambda: result.to_polars("equity", numbers="float"))
    arrow = best(lambda: result.to_arrow("equity", numbers="float"))
    arrow_exact = best(lambda: result.to_arrow("equity"))
    scale = 1_000_000 / points
    print(
        f"to_pandas(numbers='float'): {floats:.3f} s ({floats * scale:.3f} s per 1M points; "
        f"goal < {GOAL_S} s for 1M: {'met' if floats * scale < GOAL_S else 'MISSED'})"
    )
    print(f"to_pandas() exact Decimals: {exact:.3f} s ({exact / floats:.2f}x the float frame)")
    arrow_met = max(arrow, arrow_exact) * scale < ARROW_GOAL_S
    print(
        f"to_arrow(numbers='float'): {arrow:.3f} s, exact: {arrow_exact:.3f} s "
        f"(per 1M points {arrow * scale:.3f} s / {arrow_exact * scale:.3f} s; goal < "
        f"{ARROW_GOAL_S} s: {'met' if arrow_met else 'MISSED'})"
    )
    print(f"to_polars(numbers='float'): {polars:.3f} s")


if __name__ == "__main__":
    main()
