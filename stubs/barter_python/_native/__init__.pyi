"""barter_python._native: barter's own types and functions, compiled (PyO3).

This stub is the source of truth for the native module's interface; `mypy.stubtest` checks it
against the compiled module.
"""

from decimal import Decimal
from typing import final

from barter_python._native import strategy as strategy
from barter_python.instrument import ExchangeId, Side
from barter_python.order import OrderKind, TimeInForce

__all__ = [
    "ClientOrderId",
    "InstrumentFilter",
    "OrderId",
    "OrderKey",
    "OrderRequestCancel",
    "OrderRequestOpen",
    "RequestCancel",
    "RequestOpen",
    "StrategyId",
    "barter_name",
    "barter_variants",
    "strategy",
]

def barter_name(kind: str, value: str) -> str | None:
    """barter's canonical serde name for `value` of enum `kind` (aliases accepted), or None."""

def barter_variants(kind: str) -> list[str]:
    """The variant names barter's serde declares for enum `kind`."""

@final
class StrategyId:
    """barter's `StrategyId`: a non-empty string id."""

    def __new__(cls, value: str) -> StrategyId: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class ClientOrderId:
    """barter's `ClientOrderId`: a non-empty string id."""

    def __new__(cls, value: str) -> ClientOrderId: ...
    @staticmethod
    def random() -> ClientOrderId:
        """barter's `ClientOrderId::random()`: 23 url-safe characters."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class OrderId:
    """barter's `OrderId`: a non-empty string id."""

    def __new__(cls, value: str) -> OrderId: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class OrderKey:
    """barter's `OrderKey<ExchangeId, InstrumentNameInternal>` (barter lowercases the name)."""

    def __new__(
        cls,
        exchange: ExchangeId | str,
        instrument: str,
        strategy: StrategyId | str,
        cid: ClientOrderId | str,
    ) -> OrderKey: ...
    @property
    def exchange(self) -> ExchangeId: ...
    @property
    def instrument(self) -> str: ...
    @property
    def strategy(self) -> StrategyId: ...
    @property
    def cid(self) -> ClientOrderId: ...
    def to_json(self) -> str:
        """barter's serde JSON of this value."""
    @staticmethod
    def from_json(json: str) -> OrderKey:
        """Parse barter's serde JSON."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class RequestOpen:
    """barter's `RequestOpen`: side, price, quantity, kind and time in force of an order."""

    def __new__(
        cls,
        side: Side | str,
        price: Decimal | float,
        quantity: Decimal | float,
        kind: OrderKind | str,
        time_in_force: TimeInForce | str,
    ) -> RequestOpen: ...
    @property
    def side(self) -> Side: ...
    @property
    def price(self) -> Decimal: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def kind(self) -> OrderKind: ...
    @property
    def time_in_force(self) -> TimeInForce: ...
    def to_json(self) -> str:
        """barter's serde JSON of this value."""
    @staticmethod
    def from_json(json: str) -> RequestOpen:
        """Parse barter's serde JSON."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class RequestCancel:
    """barter's `RequestCancel`: the exchange `id` of the order, None while in flight."""

    def __new__(cls, id: OrderId | str | None = None) -> RequestCancel: ...
    @property
    def id(self) -> OrderId | None: ...
    def to_json(self) -> str:
        """barter's serde JSON of this value."""
    @staticmethod
    def from_json(json: str) -> RequestCancel:
        """Parse barter's serde JSON."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class OrderRequestOpen:
    """barter's `OrderRequestOpen<ExchangeId, InstrumentNameInternal>`."""

    def __new__(cls, key: OrderKey, state: RequestOpen) -> OrderRequestOpen: ...
    @property
    def key(self) -> OrderKey: ...
    @property
    def state(self) -> RequestOpen: ...
    def to_json(self) -> str:
        """barter's serde JSON of this value."""
    @staticmethod
    def from_json(json: str) -> OrderRequestOpen:
        """Parse barter's serde JSON."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class OrderRequestCancel:
    """barter's `OrderRequestCancel<ExchangeId, InstrumentNameInternal>`."""

    def __new__(cls, key: OrderKey, state: RequestCancel) -> OrderRequestCancel: ...
    @property
    def key(self) -> OrderKey: ...
    @property
    def state(self) -> RequestCancel: ...
    def to_json(self) -> str:
        """barter's serde JSON of this value."""
    @staticmethod
    def from_json(json: str) -> OrderRequestCancel:
        """Parse barter's serde JSON."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class InstrumentFilter:
    """Which instruments a close applies to; mirrors barter's `InstrumentFilter`."""

    @staticmethod
    def none() -> InstrumentFilter:
        """Every instrument."""
    @staticmethod
    def exchanges(*exchanges: ExchangeId | str) -> InstrumentFilter:
        """Instruments on any of these exchanges (an exchange the book lacks matches nothing)."""
    @staticmethod
    def instruments(*names: str) -> InstrumentFilter:
        """Instruments with any of these names, on every exchange that has them."""
    @staticmethod
    def underlyings(*pairs: tuple[str, str]) -> InstrumentFilter:
        """Instruments with any of these `(base, quote)` pairs, on every exchange."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...
