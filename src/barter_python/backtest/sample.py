"""What `barter-python backtest --sample` runs: the bundled market data, a config for it and a
moving-average crossover strategy (which `examples/backtest_sma.py` runs)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from importlib import resources
from pathlib import Path

from barter_python.backtest.config import BacktestConfig
from barter_python.engine import DefaultStrategy, EngineStateView, Requests, market_order
from barter_python.exchange import Bracket
from barter_python.instrument import ExchangeId, Side
from barter_python.market import MarketData
from barter_python.order import OrderKey, OrderRequestCancel, OrderRequestOpen, RequestCancel
from barter_python.snapshot import DecimalInput
from barter_python.strategy import bracket

__all__ = ["SAMPLE_DATA", "SmaCross", "sample_config", "sample_data"]

SAMPLE_DATA = "data/backtest_sample/binance_spot_trades_l1.ndjson"
"""The bundled market data, inside the package: 4,000 trades and L1 books of btc_usdt, eth_usdt
and sol_usdt on binance_spot over five minutes."""


@contextmanager
def _sample_path() -> Iterator[Path]:
    with resources.as_file(resources.files("barter_python").joinpath(SAMPLE_DATA)) as path:
        yield path


def sample_data() -> MarketData:
    """The bundled market data (barter's NDJSON, instruments by name)."""
    with _sample_path() as path:
        return MarketData.from_barter_json(path)


def sample_config() -> BacktestConfig:
    """The bundled data's three instruments and 1,000,000 usdt on binance_spot, without fees
    (the sample's five minutes of price moves are smaller than any real fee)."""
    return BacktestConfig(
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


class SmaCross(DefaultStrategy):
    """Long-only moving-average crossover on one instrument.

    Prices are sampled as bar closes (barter's price at the end of each `bar_seconds` bar of
    the engine's clock). When the mean of the last `fast` closes crosses above the mean of the
    last `slow`, buy `quantity`; when it crosses below, sell the whole position. Orders are
    barter's market IOC requests with numbered cids (`sma-1`, `sma-2`, ...), so a backtest's
    result is byte-identical from run to run.

    With `stop_loss` and/or `take_profit` (fractions of the entry's price: `0.002` is 0.2 %),
    each buy is a bracket (spec §13): the simulated exchange holds a stop that far below the
    price and a take-profit that far above it for what the buy filled, one cancelling the
    other; a cross below cancels them (cids `sma-n-sl`, `sma-n-tp`) as it sells.
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
        stop_loss: DecimalInput | None = None,
        take_profit: DecimalInput | None = None,
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
        self.stop_loss = None if stop_loss is None else Decimal(str(stop_loss))
        self.take_profit = None if take_profit is None else Decimal(str(take_profit))

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
            return [], [self._entry(price)]
        if not above and held:
            return self._cancel_legs(), [self._order(Side.SELL, held, price)]
        return [], []

    def _entry(self, price: Decimal) -> OrderRequestOpen | Bracket:
        entry = self._order(Side.BUY, self.quantity, price)
        if self.stop_loss is None and self.take_profit is None:
            return entry
        # To the cent: the sample's prices are quoted in cents.
        cent = Decimal("0.01")
        below = None if self.stop_loss is None else (price * (1 - self.stop_loss)).quantize(cent)
        above = (
            None if self.take_profit is None else (price * (1 + self.take_profit)).quantize(cent)
        )
        return bracket(entry, stop_loss=below, take_profit=above, reduce_only=True)

    def _cancel_legs(self) -> list[OrderRequestCancel]:
        """Cancels of the last entry's legs, if it had any (a leg already gone is refused,
        harmlessly)."""
        if self.stop_loss is None and self.take_profit is None:
            return []
        exchange, instrument = self.key
        entry = f"{self.strategy_id}-{self.orders}"  # the last order sent: the entry
        return [
            OrderRequestCancel(
                OrderKey(exchange, instrument, self.strategy_id, f"{entry}-{leg}"), RequestCancel()
            )
            for leg in ("sl", "tp")
        ]

    def _order(self, side: Side, quantity: DecimalInput, price: Decimal) -> OrderRequestOpen:
        self.orders += 1
        exchange, instrument = self.key
        return market_order(
            exchange,
            instrument,
            side,
            quantity,
            price,
            strategy_id=self.strategy_id,
            cid=f"{self.strategy_id}-{self.orders}",
        )
