"""`BacktestConfig`: what a backtest trades and how barter's mock exchanges are set up."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ValidationError, field_validator

from barter_python._native import to_decimal
from barter_python.errors import BookError
from barter_python.instrument import ExchangeId
from barter_python.snapshot import DecimalInput, InstrumentSnapshot, validate_book

__all__ = ["BacktestConfig", "IntervalName"]

IntervalName = Literal["daily", "annual_252", "annual_365"]


class BacktestConfig(BaseModel, frozen=True, extra="forbid"):
    """The instruments a backtest trades, the mock exchanges' starting balances, fee and
    latency, and how barter's statistics are computed.

    `fees_percent` is barter's name for a fraction (`0.001` is 0.1 %); `latency_ms` (0 to 500)
    only shifts fill timestamps (a backtest never sleeps). `interval` is the period barter
    scales returns and ratios to. Positions still open after the last event are closed at
    barter's price of their instrument unless `close_positions_at_end` is False.
    """

    instruments: list[InstrumentSnapshot]
    balances: dict[tuple[ExchangeId, str], Decimal] = {}
    fees_percent: Decimal = Decimal(0)
    latency_ms: int = 0
    risk_free_return: Decimal = Decimal(0)
    interval: IntervalName | timedelta = "daily"
    close_positions_at_end: bool = True
    strategy_id: str = "backtest"

    if TYPE_CHECKING:  # what the validators accept, for type checkers without Pydantic's plugin

        def __init__(
            self,
            *,
            instruments: list[InstrumentSnapshot] | list[dict[str, Any]],
            balances: dict[tuple[ExchangeId | str, str], DecimalInput] = ...,
            fees_percent: DecimalInput = ...,
            latency_ms: int = ...,
            risk_free_return: DecimalInput = ...,
            interval: IntervalName | timedelta = ...,
            close_positions_at_end: bool = ...,
            strategy_id: str = ...,
        ) -> None: ...

    @field_validator("instruments", mode="before")
    @classmethod
    def _book(cls, value: object) -> list[InstrumentSnapshot]:
        if not isinstance(value, list | tuple):
            raise ValueError(f"must be a list of instruments, got {type(value).__name__}")
        return validate_book(value)

    @field_validator("fees_percent", "risk_free_return", mode="before")
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

    @field_validator("fees_percent")
    @classmethod
    def _a_fraction(cls, value: Decimal) -> Decimal:
        if not 0 <= value <= 1:
            raise ValueError(f"must be a fraction from 0 to 1 (0.001 is 0.1 %), got {value}")
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
                number = to_decimal(amount)
            except TypeError as error:
                raise ValueError(f"{key}: {error}") from None
            if number < 0:
                raise ValueError(f"{key}: must be >= 0, got {number}")
            balances[(ExchangeId(key[0]), key[1].lower())] = number
        return balances

    @classmethod
    def from_barter_json(cls, source: str | os.PathLike[str]) -> BacktestConfig:
        """barter's own config file, as barter's examples read it: `{"risk_free_return": ...,
        "system": SystemConfig}` or a bare `SystemConfig` (its `instruments` and the mock
        `executions`: balances, `fees_percent`, `latency_ms`). Instruments are named
        `{base}_{quote}`, barter's internal naming, so that indices and names match barter's
        (`binance_spot-btc_usdt`)."""
        path = Path(source)
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise BookError(
                f"{path}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}"
            ) from None
        try:
            return cls._from_barter(data)
        except (KeyError, TypeError, ValidationError, ValueError) as error:
            raise BookError(f"{path}: not a barter backtest config: {error}") from None

    @classmethod
    def _from_barter(cls, data: object) -> BacktestConfig:
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        system = data.get("system", data)
        instruments = []
        for item in system["instruments"]:
            if item.get("kind", "spot") != "spot":
                raise ValueError(f"only spot instruments are supported, got {item['kind']!r}")
            base, quote = item["underlying"]["base"], item["underlying"]["quote"]
            instruments.append(
                {
                    "exchange": item["exchange"],
                    "instrument": f"{base}_{quote}",
                    "base": base,
                    "quote": quote,
                }
            )
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
        return cls.model_validate(
            {
                "instruments": instruments,
                "balances": balances,
                "fees_percent": fees.pop() if fees else 0,
                "latency_ms": latencies.pop() if latencies else 0,
                "risk_free_return": str(data.get("risk_free_return", 0)),
            }
        )
