"""`LiveConfig`: what a live (paper) system trades, where its market data comes from, and how
its session is reported (spec §9)."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from barter_python.backtest.config import BacktestConfig, IntervalName, SessionConfig
from barter_python.exchange import SimulatedExchange
from barter_python.instrument import ExchangeId
from barter_python.risk import RiskLimits
from barter_python.snapshot import DecimalInput, InstrumentSnapshot

__all__ = ["ENDPOINT_EXCHANGES", "LiveConfig", "StreamKind"]

StreamKind = Literal["trades", "l1"]
STREAM_KINDS: tuple[StreamKind, ...] = ("trades", "l1")

# barter-data reads these exchanges' URLs from a trait the SDK implements; the others' are
# constants inside barter-data.
ENDPOINT_EXCHANGES = (
    ExchangeId.BINANCE_SPOT,
    ExchangeId.BINANCE_FUTURES_USD,
    ExchangeId.BYBIT_SPOT,
    ExchangeId.BYBIT_PERPETUALS_USD,
)


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
            raise ValueError("at least one of 'trades', 'l1'")
        return list(dict.fromkeys(value))

    @field_validator("endpoints")
    @classmethod
    def _endpoints(cls, value: dict[ExchangeId, str]) -> dict[ExchangeId, str]:
        for exchange, url in value.items():
            if exchange not in ENDPOINT_EXCHANGES:
                can = ", ".join(e.value for e in ENDPOINT_EXCHANGES)
                raise ValueError(
                    f"the URL of '{exchange.value}' is a constant inside barter-data and cannot "
                    f"be replaced; endpoints can be given for {can}"
                )
            if not url.startswith(("ws://", "wss://")):
                raise ValueError(f"'{url}' for '{exchange.value}' is not a ws:// or wss:// URL")
        return value

    @classmethod
    def from_barter_json(cls, source: str | os.PathLike[str], **fields: Any) -> LiveConfig:
        """barter's `SystemConfig` file (as `BacktestConfig.from_barter_json` reads it: the
        instruments, the mock executions' balances, fees and latency), with any other field
        given by keyword (`endpoints=...`, `trading_enabled=True`)."""
        base = BacktestConfig.from_barter_json(source)
        exchange = base.exchange
        if not isinstance(exchange, SimulatedExchange):  # pragma: no cover - always simulated
            raise ValueError("a live system trades on the simulated exchange")
        values: dict[str, Any] = {
            "instruments": base.instruments,
            "balances": base.balances,
            "exchange": exchange,
            "risk_free_return": base.risk_free_return,
        }
        return cls.model_validate({**values, **fields})
