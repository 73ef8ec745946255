"""`SessionConfig`: what a trading session through barter's engine runs under, the base of
`BacktestConfig` and `LiveConfig` and what `Engine` builds from its arguments."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from barter_python._native import non_negative, to_decimal
from barter_python.errors import ConfigError
from barter_python.exchange import BarterMockExchange, Exchange, SimulatedExchange, with_shorthands
from barter_python.instrument import ExchangeId
from barter_python.risk import RiskLimits
from barter_python.snapshot import DecimalInput, InstrumentSnapshot, validate_book

__all__ = ["IntervalName", "SessionConfig", "barter_config_values"]

IntervalName = Literal["daily", "annual_252", "annual_365"]


class SessionConfig(BaseModel, frozen=True, extra="forbid"):
    """What any trading session through barter's engine runs under (a backtest, an
    `Engine`, a live system): the instruments, the exchange's starting balances, the
    `exchange` (the simulated one by default), the `risk` limits of the strategy's orders
    (none by default: a refused order is in the result's `orders`, status "refused", with the
    limit it broke), the `strategy_id` of its orders, how often the equity curve gets a point,
    and how barter's statistics are computed (`interval`: the period barter scales returns
    and ratios to). The native side reads it once, typed; every rule of its values is here."""

    instruments: list[InstrumentSnapshot]
    balances: dict[tuple[ExchangeId, str], Decimal] = {}
    exchange: Exchange = Field(default_factory=SimulatedExchange, discriminator="kind")
    strategy_id: str = "session"

    if TYPE_CHECKING:  # what the validators accept, for type checkers without Pydantic's plugin

        def __init__(
            self,
            *,
            instruments: list[InstrumentSnapshot] | list[dict[str, Any]],
            balances: Mapping[tuple[ExchangeId | str, str], DecimalInput] = ...,
            exchange: SimulatedExchange | BarterMockExchange = ...,
            strategy_id: str = ...,
            equity_interval: timedelta | None = ...,
            fees_percent: DecimalInput = ...,
            latency_ms: int = ...,
            risk_free_return: DecimalInput = ...,
            interval: IntervalName | timedelta = ...,
            risk: RiskLimits = ...,
        ) -> None: ...

    equity_interval: timedelta | None = timedelta(minutes=1)
    risk_free_return: Decimal = Decimal(0)
    interval: IntervalName | timedelta = "daily"
    risk: RiskLimits = RiskLimits()

    @field_validator("instruments", mode="before")
    @classmethod
    def _book(cls, value: object) -> list[InstrumentSnapshot]:
        if not isinstance(value, list | tuple):
            raise ValueError(f"must be a list of instruments, got {type(value).__name__}")
        return validate_book(value)

    @field_validator("equity_interval")
    @classmethod
    def _positive(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise ValueError(f"must be a positive interval or None (every event), got {value}")
        return value

    @field_validator("risk_free_return", mode="before")
    @classmethod
    def _money(cls, value: object) -> Decimal:
        try:
            return to_decimal(value)
        except TypeError as error:
            raise ValueError(str(error)) from None

    @field_validator("risk_free_return")
    @classmethod
    def _a_rate(cls, value: Decimal) -> Decimal:
        # A rate per interval; far outside, barter's ratios overflow their decimal.
        if abs(value) > 1:
            raise ValueError(f"must be a rate from -1 to 1 (0.05 is 5 %), got {value}")
        return value

    @field_validator("balances", mode="before")
    @classmethod
    def _balances(cls, value: object) -> dict[tuple[ExchangeId, str], Decimal]:
        if not isinstance(value, dict):
            raise ValueError(f"must be a mapping of (exchange, asset) to amount, got {value!r}")
        balances = {}
        for key, amount in value.items():
            if not (isinstance(key, tuple) and len(key) == 2 and isinstance(key[1], str)):
                raise ValueError(f"keys must be (exchange, asset) tuples, got {key!r}")
            try:
                number = non_negative(amount)  # the native rule of a balance, as Engine's
            except ValueError as error:
                raise ValueError(f"{key}: {error}") from None
            balances[(ExchangeId(key[0]), key[1].lower())] = number
        return balances

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: object) -> object:
        # barter's top-level `fees_percent` / `latency_ms` land in the exchange.
        if isinstance(data, dict) and ("fees_percent" in data or "latency_ms" in data):
            data = dict(data)
            fees, latency = data.pop("fees_percent", None), data.pop("latency_ms", None)
            exchange = data.get("exchange")
            if isinstance(exchange, dict):
                mock = exchange.get("kind") == "barter_mock"
                model = BarterMockExchange if mock else SimulatedExchange
                exchange = model.model_validate(exchange)
            data["exchange"] = with_shorthands(exchange, fees, latency)
        return data

    @classmethod
    def from_barter_json(cls, source: str | os.PathLike[str], **fields: Any) -> Self:
        """barter's own config file, as barter's examples read it: `{"risk_free_return": ...,
        "system": SystemConfig}` or a bare `SystemConfig` (its `instruments` and the mock
        `executions`: balances, `fees_percent`, `latency_ms`), with any other field given by
        keyword (`endpoints=...`, `trading_enabled=True`). Instruments are named
        `{base}_{quote}`, barter's internal naming, so that indices and names match barter's
        (`binance_spot-btc_usdt`)."""
        path = Path(source)
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ConfigError(
                f"{path}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}"
            ) from None
        try:
            values = barter_config_values(data)
            config = cls.model_validate(values)
        except (KeyError, TypeError, ValidationError, ValueError) as error:
            raise ConfigError(f"{path}: not a barter backtest config: {error}") from None
        # The caller's own fields are the caller's errors, not the file's.
        return cls.model_validate({**values, **fields}) if fields else config


def barter_config_values(data: object) -> dict[str, Any]:
    """The fields of barter's own config (`{"risk_free_return": ..., "system": SystemConfig}`
    or a bare `SystemConfig`): its instruments named `{base}_{quote}`, barter's internal
    naming, and its mock executions' balances, `fees_percent` and `latency_ms`."""
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    system = data.get("system", data)
    instruments = []
    for item in system["instruments"]:
        if item.get("kind", "spot") != "spot":
            raise ValueError(f"only spot instruments are supported, got {item['kind']!r}")
        base, quote = item["underlying"]["base"], item["underlying"]["quote"]
        instrument = {
            "exchange": item["exchange"],
            "instrument": f"{base}_{quote}",
            "base": base,
            "quote": quote,
        }
        if item.get("spec"):  # barter's InstrumentSpec: price, quantity and notional rules
            spec = item["spec"]
            instrument["spec"] = {
                "tick_size": str(spec["price"]["tick_size"]),
                "lot_size": str(spec["quantity"]["increment"]),
                "min_notional": str(spec.get("notional", {}).get("min", 0)),
            }
        instruments.append(instrument)
    executions = system.get("executions", [])
    fees = {str(e.get("fees_percent", 0)) for e in executions}
    latencies = {int(e.get("latency_ms", 0)) for e in executions}
    if len(fees) > 1 or len(latencies) > 1:
        raise ValueError("executions with different fees_percent or latency_ms")
    balances = {
        (e["mocked_exchange"], b["asset"]): str(b["balance"]["total"])
        for e in executions
        for b in e["initial_state"]["balances"]
    }
    return {
        "instruments": instruments,
        "balances": balances,
        "fees_percent": fees.pop() if fees else 0,
        "latency_ms": latencies.pop() if latencies else 0,
        "risk_free_return": str(data.get("risk_free_return", 0)),
    }
