"""barter's Engine with a Python strategy, on bundled market data with a disconnect in it.

The strategy buys a little of each instrument on its first trade. Midway, okx's market stream
disconnects: barter calls `on_disconnect`, whose ready-made hook cancels okx's orders (barter's
`cancel_orders`; the mock exchange fills market orders at once, so there is nothing left to
cancel). At the end trading is disabled: barter calls `on_trading_disabled`, whose hook closes
every position (barter's `close_positions`), and the mock exchange fills the closing orders.

Run: `make engine-demo` (or `.venv/bin/python examples/engine_demo.py`).
"""

from __future__ import annotations

from decimal import Decimal
from importlib import resources

from barter_python import (
    ClientOrderId,
    ExchangeId,
    InstrumentSnapshot,
    OrderKey,
    OrderKind,
    OrderRequestOpen,
    RequestOpen,
    Side,
    TimeInForce,
)
from barter_python.engine import (
    Audit,
    CancelOrdersOnDisconnect,
    ClosePositionsOnTradingDisabled,
    Engine,
    EngineEvent,
    EngineStateView,
    Requests,
    load_market_events,
)

BOOK = [
    InstrumentSnapshot(exchange="binance_spot", instrument="btc_usdt", base="btc", quote="usdt"),
    InstrumentSnapshot(exchange="binance_spot", instrument="eth_usdt", base="eth", quote="usdt"),
    InstrumentSnapshot(exchange="okx", instrument="btc_usdt", base="btc", quote="usdt"),
]
SIZE = {"btc_usdt": Decimal("0.01"), "eth_usdt": Decimal("0.5")}


class BuyOnce(CancelOrdersOnDisconnect, ClosePositionsOnTradingDisabled):
    """Buys `SIZE` of each instrument at barter's price once it has one."""

    def __init__(self) -> None:
        self.bought: set[tuple[str, str]] = set()

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        opens = []
        for (exchange, instrument), price in state.prices().items():
            if (exchange.value, instrument) in self.bought:
                continue
            self.bought.add((exchange.value, instrument))
            key = OrderKey(exchange, instrument, "buy-once", ClientOrderId.random())
            request = RequestOpen(
                Side.BUY,
                price,
                SIZE[instrument],
                OrderKind.MARKET,
                TimeInForce.IMMEDIATE_OR_CANCEL,
            )
            opens.append(OrderRequestOpen(key, request))
        return [], opens


def describe(audit: Audit) -> list[str]:
    lines = [f"hook {hook}" for hook in audit.hooks]
    if any(hook.name == "on_disconnect" for hook in audit.hooks) and not audit.cancels_sent:
        lines.append("cancel_orders: no order open (the mock fills market orders at once)")
    lines += [
        f"sent {o.state.side.value} {o.state.quantity} {o.key.instrument} on "
        f"{o.key.exchange.value} @ {o.state.price}"
        for o in audit.opens_sent
    ]
    lines += [
        f"cancel sent {c.key.instrument} on {c.key.exchange.value}" for c in audit.cancels_sent
    ]
    lines += [
        f"filled {t.side.value} {t.quantity} {t.instrument} on {t.exchange.value} @ {t.price}"
        for t in audit.trades
    ]
    lines += [f"refused {o.key.instrument}: {reason}" for o, reason in audit.opens_refused]
    return lines or ["-"]


def main() -> None:
    data = resources.files("barter_python") / "data" / "engine_demo_market.json"
    events = load_market_events(data.read_text())
    balances: dict[tuple[ExchangeId | str, str], Decimal | float] = {
        ("binance_spot", "usdt"): 10_000,
        ("okx", "usdt"): 10_000,
    }
    engine = Engine(BOOK, BuyOnce(), balances=balances, trading_enabled=True)
    for step, event in enumerate([*events, EngineEvent.trading_state(False)], start=1):
        lines = describe(engine.process(event))
        print(f"{step:>2}  {event!r:.90}")
        for line in lines:
            print(f"      {line}")
    print("positions at the end:", engine.state.positions() or "none")


if __name__ == "__main__":
    main()
