"""Strategies for the sweep tests, in a module the workers import by path
(`sweep_test_strategies:Every`): pytest puts `tests_py` on `sys.path`, and process pools and Dask's
local workers inherit it."""

from __future__ import annotations

from datetime import datetime

from barter_python import ExchangeId, Side
from barter_python.engine import DefaultStrategy, EngineStateView, Requests, market_order

__all__ = ["Boom", "Every", "NotAStrategy"]


class Every(DefaultStrategy):
    """Buys `quantity` of `instrument` at every `every`-th market event and sells it at the next
    one (numbered cids: a result is byte-identical from run to run). barter calls the strategy
    after every event it processes, the mock's answers too: a new market event shows as a new
    `state.time`."""

    def __init__(
        self, *, every: int = 10, instrument: str = "eth_usdt", quantity: str = "1"
    ) -> None:
        if every < 2:
            raise ValueError(f"every must be >= 2, got {every}")
        self.every, self.quantity = every, quantity
        self.key = (ExchangeId.BINANCE_SPOT, instrument)
        self.time: datetime | None = None
        self.events = 0
        self.orders = 0

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        if state.time == self.time:
            return [], []  # an account event of the same market event
        self.time = state.time
        self.events += 1
        price = state.prices().get(self.key)
        if price is None or self.events % self.every not in (0, 1) or self.events < self.every:
            return [], []
        side = Side.BUY if self.events % self.every == 0 else Side.SELL
        self.orders += 1
        order = market_order(
            self.key[0], self.key[1], side, self.quantity, price, strategy_id="every",
            cid=f"every-{self.orders}",
        )  # fmt: skip
        return [], [order]


class Boom(DefaultStrategy):
    """Raises at the `at`-th call."""

    def __init__(self, *, at: int = 5) -> None:
        self.at, self.calls = at, 0

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        self.calls += 1
        if self.calls >= self.at:
            raise RuntimeError(f"boom at call {self.calls}")
        return [], []


class NotAStrategy:
    """A class without `generate_algo_orders`."""
