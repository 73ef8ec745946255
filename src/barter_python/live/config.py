"""`LiveConfig`: what a live (paper) system trades, where its market data comes from, and how
its session is reported (spec §9)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from barter_python import _native
from barter_python._native import check_endpoint
from barter_python.exchange import SimulatedExchange
from barter_python.instrument import ExchangeId
from barter_python.risk import RiskLimits
from barter_python.session.config import IntervalName, SessionConfig
from barter_python.snapshot import DecimalInput, InstrumentSnapshot

__all__ = ["ENDPOINT_EXCHANGES", "LiveConfig", "StreamKind"]

StreamKind = Literal["trades", "l1", "l2"]
# The default: trades and L1 books; "l2" (barter-data's OrderBooksL2: Binance spot and USD-M
# futures, Bybit spot and perpetuals) is asked for by name.
STREAM_KINDS: tuple[StreamKind, ...] = ("trades", "l1")

# barter-data reads these exchanges' URLs from a trait the SDK implements; the others' are
# constants inside barter-data.
ENDPOINT_EXCHANGES = tuple(ExchangeId(name) for name in _native.ENDPOINT_EXCHANGES)


class LiveConfig(SessionConfig, frozen=True, extra="forbid"):
    """A live system's instruments and starting balances, the simulated exchange that fills
    its paper orders, barter-data's `streams` to subscribe to for every instrument, and
    `endpoints` in place of an exchange's own URL (Binance and Bybit), and the `risk` limits
    of the strategy's orders. Trading starts off unless `trading_enabled`."""

    exchange: SimulatedExchange = Field(default_factory=SimulatedExchange)
    streams: list[StreamKind] = Field(default_factory=lambda: list(STREAM_KINDS))
    endpoints: dict[ExchangeId, str] = Field(default_factory=dict)
    trading_enabled: bool = False
    strategy_id: str = "live"

    if TYPE_CHECKING:

        def __init__(
            self,
            *,
            instruments: list[InstrumentSnapshot] | list[dict[str, Any]],
            balances: dict[tuple[ExchangeId | str, str], DecimalInput] = ...,
            exchange: SimulatedExchange = ...,
            streams: list[StreamKind] = ...,
            endpoints: dict[ExchangeId | str, str] = ...,
            trading_enabled: bool = ...,
            strategy_id: str = ...,
            equity_interval: timedelta | None = ...,
            risk_free_return: DecimalInput = ...,
            interval: IntervalName | timedelta = ...,
            risk: RiskLimits = ...,
        ) -> None: ...

    @field_validator("streams")
    @classmethod
    def _some_streams(cls, value: list[StreamKind]) -> list[StreamKind]:
        if not value:
            raise ValueError("at least one of 'trades', 'l1', 'l2'")
        return list(dict.fromkeys(value))

    @field_validator("endpoints")
    @classmethod
    def _endpoints(cls, value: dict[ExchangeId, str]) -> dict[ExchangeId, str]:
        for exchange, url in value.items():
            check_endpoint(exchange, url)  # the native rule, where the URLs are used
        return value
