"""barter's `Engine` driven from Python: a Python strategy, barter's hooks, an exchange.

The engine is barter's own (`barter::engine::Engine`) with barter's `EngineState` and the
SDK's risk manager (`RiskLimits`, barter's `RiskManager`); its orders go to the SDK's simulated
exchange (`SimulatedExchange`: fills at the touch, limit orders, cancels) or, with
`exchange=BarterMockExchange()`, to one barter-execution `MockExchange` per exchange of the
book (market orders fill in full at the requested price). A Python object implementing
`Strategy` takes the place of barter's strategy: barter calls `generate_algo_orders` after
every event while trading is enabled, `on_disconnect` when an exchange's market or account
stream disconnects, and `on_trading_disabled` when trading turns off.
`close_positions_requests` is optional: without it, barter's
`close_open_positions_with_market_orders` closes positions.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any, Self, overload

from barter_python import _native
from barter_python._native import (
    Audit,
    BookView,
    Connectivity,
    EngineActions,
    EngineEvent,
    EngineStateView,
    Hook,
    MarketEventView,
    OrderRequestOpen,
    Quote,
    StrategyId,
    Trade,
    load_market_events,
)
from barter_python.exchange import BarterMockExchange, SimulatedExchange, with_shorthands
from barter_python.instrument import ExchangeId, Side
from barter_python.order import ClientOrderId, OrderKey, OrderKind, RequestOpen, TimeInForce
from barter_python.risk import RiskLimits
from barter_python.session.config import SessionConfig
from barter_python.snapshot import DecimalInput, InstrumentSnapshot, validate_book

# Defined in `barter_python.strategy`, their home; importable from here as before.
from barter_python.strategy import (
    CancelOrdersOnDisconnect,
    ClosePositionsOnTradingDisabled,
    DefaultStrategy,
    Requests,
    Strategy,
    cancel_orders_on_disconnect,
    close_positions_on_trading_disabled,
)

__all__ = [
    "Audit",
    "BookView",
    "CancelOrdersOnDisconnect",
    "ClosePositionsOnTradingDisabled",
    "Connectivity",
    "DefaultStrategy",
    "Engine",
    "EngineActions",
    "EngineEvent",
    "EngineStateView",
    "Hook",
    "MarketEventView",
    "Quote",
    "Requests",
    "Strategy",
    "Trade",
    "cancel_orders_on_disconnect",
    "close_positions_on_trading_disabled",
    "load_market_events",
    "market_order",
]


@overload
def market_order(
    exchange: ExchangeId | str,
    instrument: str,
    side: Side | str,
    quantity: DecimalInput,
    price: DecimalInput,
    *,
    strategy_id: StrategyId | str,
    cid: ClientOrderId | str | None = None,
) -> OrderRequestOpen: ...
@overload
def market_order(
    exchange: ExchangeId | str,
    instrument: str,
    side: Side | str,
    quantity: DecimalInput,
    price: DecimalInput,
    *,
    strategy: StrategyId | str,
    cid: ClientOrderId | str | None = None,
) -> OrderRequestOpen: ...  # deprecated: `strategy_id`, as every other call spells it
def market_order(
    exchange: ExchangeId | str,
    instrument: str,
    side: Side | str,
    quantity: DecimalInput,
    price: DecimalInput,
    *,
    strategy_id: StrategyId | str | None = None,
    cid: ClientOrderId | str | None = None,
    strategy: StrategyId | str | None = None,
) -> OrderRequestOpen:
    """barter's market order request: `OrderKind::Market`, `ImmediateOrCancel`, at `price` (the
    price barter's mock exchange fills it at). `cid` defaults to barter's
    `ClientOrderId::random()`; set it for a backtest whose result must be byte-identical.

    `strategy=` is the deprecated spelling of `strategy_id=` (a `DeprecationWarning`)."""
    if strategy is not None:
        if strategy_id is not None:
            raise TypeError("market_order() takes strategy_id or strategy, not both")
        warnings.warn(
            "market_order(strategy=...) is deprecated: use strategy_id=...",
            DeprecationWarning,
            stacklevel=2,
        )
        strategy_id = strategy
    if strategy_id is None:
        raise TypeError("market_order() missing required keyword-only argument: 'strategy_id'")
    return OrderRequestOpen(
        OrderKey(exchange, instrument, strategy_id, ClientOrderId.random() if cid is None else cid),
        RequestOpen(side, price, quantity, OrderKind.MARKET, TimeInForce.IMMEDIATE_OR_CANCEL),
    )


class Engine(_native.Engine):
    """barter's `Engine` over a book of `InstrumentSnapshot`s (prices seed the market data,
    positions the engine's positions) with a Python `strategy`.

    `balances` maps `(exchange, asset)` to the amount held, on the engine and on the
    exchange (other assets start at 0). `exchange` is where orders go: the simulated exchange
    by default (snapshot prices are its market until market events come), or
    `BarterMockExchange()`; `latency_ms` and `fees_percent` given here land in it. Open
    positions need `price_entry_average > 0` (barter computes their return from it). `risk`
    limits the strategy's orders (none by default): a refused order is in the audit's
    `opens_refused`, with the limit it broke.
    """

    def __new__(
        cls,
        instruments: Iterable[InstrumentSnapshot | Mapping[str, Any]],
        strategy: Strategy,
        *,
        strategy_id: StrategyId | str = "engine",
        balances: Mapping[tuple[ExchangeId | str, str], DecimalInput] | None = None,
        trading_enabled: bool = False,
        exchange: SimulatedExchange | BarterMockExchange | None = None,
        latency_ms: int | None = None,
        fees_percent: DecimalInput | None = None,
        risk: RiskLimits | None = None,
    ) -> Self:
        if risk is not None and not isinstance(risk, RiskLimits):
            # A mapping would validate into limits: a typo in a risk script must not.
            raise TypeError(f"risk must be a RiskLimits, got {type(risk).__name__}")
        config = SessionConfig(
            instruments=validate_book(instruments),
            balances=dict(balances) if isinstance(balances, Mapping) else balances or {},
            exchange=with_shorthands(exchange, fees_percent, latency_ms),
            risk=RiskLimits() if risk is None else risk,
            strategy_id=str(strategy_id) if isinstance(strategy_id, StrategyId) else strategy_id,
        )
        return super().__new__(cls, config, strategy, trading_enabled=trading_enabled)
