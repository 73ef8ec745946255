"""A moving-average crossover strategy, backtested on the bundled market data.

The strategy is `barter_python.backtest.sample.SmaCross` (its source is the example to copy:
one class, `generate_algo_orders` reading `state.prices()` and `state.positions()`, orders from
`market_order` with numbered cids so that every run gives the same result). This file runs it;
the CLI takes it by path too (parameters as keyword arguments):

    barter-python backtest DATA --config CONFIG.json --strategy examples/backtest_sma.py:SmaCross \\
        --param instrument=btc_usdt --param fast=5 --param slow=20

Run: `.venv/bin/python examples/backtest_sma.py` (the same as `barter-python backtest --sample`).
"""

from __future__ import annotations

from barter_python.backtest import backtest
from barter_python.backtest.sample import SmaCross, sample_config, sample_data

__all__ = ["SmaCross", "main"]


def main() -> None:
    result = backtest(SmaCross(), sample_data(), sample_config(), id="sma")
    print(result)


if __name__ == "__main__":
    main()
