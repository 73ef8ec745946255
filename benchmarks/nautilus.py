# mypy: allow-subclassing-any
"""NautilusTrader beside `benchmarks/exchange.py`: the same trades (one instrument, a
millisecond apart, `100 + (k % 100) / 100`, amount 1, seller and buyer the aggressor in
turn) as `TradeTick`s through NautilusTrader's `BacktestEngine` with a simulated venue (a
cash account, netting, an L1 book moved by the trades), with a strategy counting its calls
and, in the second run, submitting a market order of 1 every 100th tick, buy and sell
alternating. Times `engine.run()` only (the ticks, engine, venue and strategy are built
beforehand, as `MarketData` is for ours); prints JSON `{"version", "events",
"noop_events_per_s", "orders_events_per_s", "fills"}`. Logging is bypassed (its fastest).

Runs in its own virtual environment, never the project's (NautilusTrader is no dependency of
barter-python): `make nautilus-venv` makes `.nautilus-venv` with `nautilus_trader` from PyPI;
`benchmarks/exchange.py` runs this script there when it exists. mypy --strict checks it in
the project's environment, where NautilusTrader is absent: pyproject.toml's overrides make its
names `Any`, and the file-level setting above lets `Strategy` (so `Any`) be a base class.

Usage: .nautilus-venv/bin/python benchmarks/nautilus.py [--count N] [--rounds R]
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from decimal import Decimal
from typing import Any

from nautilus_trader import __version__ as nautilus_version
from nautilus_trader.backtest.engine import (
    BacktestEngine,
    BacktestEngineConfig,
)
from nautilus_trader.config import LoggingConfig
from nautilus_trader.model.currencies import ETH, USDT
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import (
    AccountType,
    AggressorSide,
    OmsType,
    OrderSide,
)
from nautilus_trader.model.identifiers import (
    InstrumentId,
    Symbol,
    TradeId,
    Venue,
)
from nautilus_trader.model.instruments import CurrencyPair
from nautilus_trader.model.objects import (
    Money,
    Price,
    Quantity,
)
from nautilus_trader.trading.strategy import Strategy

START_MS = 1_767_571_200_000  # 2026-01-05, as in benchmarks/exchange.py
VENUE = Venue("BINANCE")
INSTRUMENT_ID = InstrumentId(Symbol("COIN0USDT"), VENUE)


def instrument() -> Any:
    """A spot pair like barter's `coin0_usdt`: prices to 0.01, sizes to 0.00001, no fees."""
    return CurrencyPair(
        instrument_id=INSTRUMENT_ID,
        raw_symbol=Symbol("COIN0USDT"),
        base_currency=ETH,
        quote_currency=USDT,
        price_precision=2,
        size_precision=5,
        price_increment=Price.from_str("0.01"),
        size_increment=Quantity.from_str("0.00001"),
        lot_size=None,
        max_quantity=None,
        min_quantity=None,
        max_notional=None,
        min_notional=None,
        max_price=None,
        min_price=None,
        margin_init=Decimal(0),
        margin_maint=Decimal(0),
        maker_fee=Decimal(0),
        taker_fee=Decimal(0),
        ts_event=0,
        ts_init=0,
    )


def ticks(count: int) -> list[Any]:
    """The trades of benchmarks/exchange.py as `TradeTick`s (built before timing)."""
    out = []
    size = Quantity(1, 5)
    for k in range(count):
        ns = (START_MS + k) * 1_000_000
        price = Price(100 + (k % 100) / 100, 2)
        side = AggressorSide.BUYER if k % 2 else AggressorSide.SELLER
        out.append(TradeTick(INSTRUMENT_ID, price, size, side, TradeId(str(k)), ns, ns))
    return out


class Counting(Strategy):
    """Counts its calls; with `every`, a market order of 1 every `every`th tick, buy then
    sell alternating (benchmarks/exchange.py's `EveryHundred`)."""

    def __init__(self, every: int) -> None:
        super().__init__()
        self.every = every
        self.ticks = 0
        self.fills = 0
        self.quantity = Quantity(1, 5)

    def on_start(self) -> None:
        self.subscribe_trade_ticks(INSTRUMENT_ID)

    def on_trade_tick(self, tick: Any) -> None:
        self.ticks += 1
        if not self.every or self.ticks % self.every:
            return
        side = OrderSide.BUY if self.ticks % (2 * self.every) else OrderSide.SELL
        self.submit_order(self.order_factory.market(INSTRUMENT_ID, side, self.quantity))

    def on_order_filled(self, event: Any) -> None:
        self.fills += 1


def run(data: list[Any], every: int) -> tuple[float, int, int]:
    """Events per second of `engine.run()`, the strategy's calls and its fills."""
    engine = BacktestEngine(
        BacktestEngineConfig(logging=LoggingConfig(log_level="ERROR", bypass_logging=True))
    )
    engine.add_venue(
        venue=VENUE,
        oms_type=OmsType.NETTING,
        account_type=AccountType.CASH,
        base_currency=None,
        starting_balances=[Money(1_000_000, USDT), Money(1_000, ETH)],
        trade_execution=True,  # trades move the venue's market (there are no quotes)
    )
    engine.add_instrument(instrument())
    engine.add_data(data)
    strategy = Counting(every)
    engine.add_strategy(strategy)
    gc.collect()
    began = time.perf_counter()
    engine.run()
    rate = len(data) / (time.perf_counter() - began)
    calls, fills = strategy.ticks, strategy.fills
    engine.dispose()
    return rate, calls, fills


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000, help="trades")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each, the best kept")
    args = parser.parse_args()
    data = ticks(args.count)
    noop = orders = 0.0
    fills = 0
    for _ in range(args.rounds):
        rate, calls, _ = run(data, 0)
        assert calls == args.count, calls
        noop = max(noop, rate)
        rate, calls, fills = run(data, 100)
        assert calls == args.count, calls
        assert fills == args.count // 100, fills  # every order filled
        orders = max(orders, rate)
    figures = {
        "version": nautilus_version,
        "events": args.count,
        "noop_events_per_s": noop,
        "orders_events_per_s": orders,
        "fills": fills,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
