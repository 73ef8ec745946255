"""A moving-average crossover strategy, backtested on the bundled market data.

Run: `.venv/bin/python examples/backtest_sma.py`, or from the CLI (the same class, parameters
as keyword arguments):

    barter-python backtest DATA --config CONFIG.json --strategy examples/backtest_sma.py:SmaCross \\
        --param instrument=btc_usdt --param fast=5 --param slow=20

(`cd examples` and `--strategy backtest_sma:SmaCross` works as well). `barter-python backtest
--sample` runs the copy shipped in the package, `barter_python.backtest.sample.SmaCross`.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal
from importlib import resources

from barter_python import ExchangeId, OrderRequestOpen, Side
from barter_python.backtest import BacktestConfig, MarketData, backtest
from barter_python.engine import DefaultStrategy, EngineStateView, Requests, market_order
from barter_python.snapshot import DecimalInput


class SmaCross(DefaultStrategy):
    """Long-only moving-average crossover on one instrument.

    Prices are sampled as bar closes (barter's price at the end of each `bar_seconds` bar of
    the engine's clock). When the mean of the last `fast` closes crosses above the mean of the
    last `slow`, buy `quantity`; when it crosses below, sell the whole position. Orders are
    barter's market IOC requests with numbered cids (`sma-1`, `sma-2`, ...), so a backtest's
    result is byte-identical from run to run.
    """

    def __init__(
        self,
        *,
        instrument: str = "eth_usdt",
        exchange: ExchangeId | str = "binance_spot",
        fast: int = 3,
        slow: int = 10,
        quantity: DecimalInput = 1,
        bar_seconds: int = 5,
        strategy_id: str = "sma",
    ) -> None:
        if not 0 < fast < slow:
            raise ValueError(f"need 0 < fast < slow, got fast={fast}, slow={slow}")
        if bar_seconds <= 0:
            raise ValueError(f"bar_seconds must be > 0, got {bar_seconds}")
        self.key = (ExchangeId(exchange), instrument)
        self.fast, self.slow, self.quantity = fast, slow, quantity
        self.bar_seconds, self.strategy_id = bar_seconds, strategy_id
        self.closes: deque[Decimal] = deque(maxlen=slow)
        self.bar: int | None = None  # the current bar's number
        self.last: Decimal | None = None  # barter's latest price in the current bar
        self.above: bool | None = None  # was the fast mean above the slow one
        self.orders = 0

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        price = state.prices().get(self.key)
        if price is None:
            return [], []
        bar = int(state.time.timestamp()) // self.bar_seconds
        closed = self.last if bar != self.bar else None
        self.bar, self.last = bar, price
        if closed is None:
            return [], []
        self.closes.append(closed)  # the previous bar closed
        if len(self.closes) < self.slow:
            return [], []
        closes = list(self.closes)
        above = sum(closes[-self.fast :]) / self.fast > sum(closes) / self.slow
        crossed, self.above = self.above is not None and above != self.above, above
        if not crossed:
            return [], []
        position = state.positions().get(self.key)
        held = position.quantity if position is not None and position.side is Side.BUY else 0
        if above and not held:
            return [], [self._order(Side.BUY, self.quantity, price)]
        if not above and held:
            return [], [self._order(Side.SELL, held, price)]
        return [], []

    def _order(self, side: Side, quantity: DecimalInput, price: Decimal) -> OrderRequestOpen:
        self.orders += 1
        exchange, instrument = self.key
        return market_order(
            exchange,
            instrument,
            side,
            quantity,
            price,
            strategy=self.strategy_id,
            cid=f"{self.strategy_id}-{self.orders}",
        )


def main() -> None:
    sample = resources.files("barter_python") / "data/backtest_sample/binance_spot_trades_l1.ndjson"
    with resources.as_file(sample) as path:
        data = MarketData.from_barter_json(path)
    config = BacktestConfig(
        instruments=[
            {
                "exchange": "binance_spot",
                "instrument": f"{base}_usdt",
                "base": base,
                "quote": "usdt",
            }
            for base in ("btc", "eth", "sol")
        ],
        balances={("binance_spot", "usdt"): 1_000_000},
    )
    result = backtest(SmaCross(), data, config, id="sma")
    print(result)


if __name__ == "__main__":
    main()
