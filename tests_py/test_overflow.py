"""No Rust panic reaches Python (issue 27): values near the limit of barter's decimal
(|x| < 2^96, about 7.9e28) give a result or an error naming the value, never a
`PanicException`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from barter_python import BacktestError, ExchangeId
from barter_python.backtest import BacktestConfig, MarketData, backtest
from barter_python.engine import (
    DefaultStrategy,
    EngineEvent,
    EngineStateView,
    Requests,
    market_order,
)
from barter_python.exchange import SimulatedExchange

START = datetime(2026, 1, 5, tzinfo=UTC)
ETH = {"exchange": "binance_spot", "instrument": "eth_usdt", "base": "eth", "quote": "usdt"}
NEAR_LIMIT = Decimal("4E+28")


def at(second: int) -> datetime:
    return START + timedelta(seconds=second)


def test_a_mark_near_the_limit_is_the_books_mid() -> None:
    """The mark of a book at 4e28 on both sides: its sum would overflow, its mid does not."""
    book = EngineEvent.l1("binance_spot", "eth_usdt", (NEAR_LIMIT, 1), (NEAR_LIMIT, 0), at(0))
    config = BacktestConfig(instruments=[ETH], equity_interval=None)
    result = backtest(DefaultStrategy(), MarketData.from_events([book]), config)
    assert result.events == 1 and result.equity[0].holdings == 0


def test_an_account_valued_beyond_the_limit_stops_the_run_with_a_value_error() -> None:
    """1e20 eth at 1e9: the equity curve's value (1e29) is beyond barter's decimal."""
    trade = EngineEvent.trade("binance_spot", "eth_usdt", "1000000000", 1, "Buy", at(0))
    config = BacktestConfig(instruments=[ETH], balances={("binance_spot", "eth"): Decimal("1E20")})
    with pytest.raises(BacktestError, match="beyond barter's decimal range") as stopped:
        backtest(DefaultStrategy(), MarketData.from_events([trade]), config)
    assert isinstance(stopped.value.__cause__, ValueError)
    assert "account's value in usdt" in str(stopped.value)


class BuyOnce(DefaultStrategy):
    def __init__(self) -> None:
        self.sent = False

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        if self.sent:
            return [], []
        self.sent = True
        price = state.prices()[(ExchangeId.BINANCE_SPOT, "eth_usdt")]
        return [], [market_order(*ETH_KEY, "Buy", 1, price, strategy_id="s", cid="buy")]


ETH_KEY = ("binance_spot", "eth_usdt")


def test_slippage_beyond_the_limit_refuses_the_order_with_a_reason() -> None:
    """A touch at 7e28 with 9,999 bps of slippage (nearly 2x) is beyond barter's decimal: the order
    is refused, saying so; the run goes on."""
    book = EngineEvent.l1("binance_spot", "eth_usdt", (1, 1), (Decimal("7E+28"), 1), at(0))
    later = EngineEvent.trade("binance_spot", "eth_usdt", 1, 1, "Buy", at(1))
    config = BacktestConfig(
        instruments=[ETH], exchange=SimulatedExchange(slippage_bps=9_999), equity_interval=None
    )
    result = backtest(BuyOnce(), MarketData.from_events([book, later]), config)
    [order] = result.orders
    assert order.status == "refused"
    assert order.reason is not None and "beyond barter's decimal range" in order.reason
