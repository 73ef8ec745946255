"""A moving-average crossover strategy, backtested on the bundled market data.

The strategy is `barter_python.backtest.sample.SmaCross` (its source is the example to copy:
one class, `generate_algo_orders` reading `state.prices()` and `state.positions()`, orders from
`market_order` with numbered cids so that every run gives the same result). This file runs it;
the CLI takes it by path too (parameters as keyword arguments):

    barter-python backtest DATA --config CONFIG.json --strategy examples/backtest_sma.py:SmaCross \\
        --param instrument=btc_usdt --param fast=5 --param slow=20

With a bracket (spec §13): `SmaCross(stop_loss=..., take_profit=...)` makes each buy a bracket,
a stop that fraction below the entry price and a take-profit that fraction above it, held by the
simulated exchange for what the buy filled; `main` runs both and prints the orders the second
one's brackets sent.

Run: `.venv/bin/python examples/backtest_sma.py` (its first run: `barter-python backtest --sample`).
"""

from __future__ import annotations

from barter_python.backtest import backtest
from barter_python.backtest.sample import SmaCross, sample_config, sample_data

__all__ = ["SmaCross", "main"]


def main() -> None:
    result = backtest(SmaCross(), sample_data(), sample_config(), id="sma")
    print(result)
    # Each buy with a stop 0.005 % below and a take-profit 0.01 % above its price (the
    # sample's five minutes move little): the last buy's stop triggers and sells.
    bracketed = SmaCross(stop_loss="0.00005", take_profit="0.0001")
    result = backtest(bracketed, sample_data(), sample_config(), id="sma-bracket")
    print(result)
    for order in result.orders:
        if order.trigger is not None:
            print(f"{order.cid}: {order.kind} at {order.trigger}, {order.status}")


if __name__ == "__main__":
    main()
