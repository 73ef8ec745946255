"""Where orders go (spec §8): the SDK's simulated exchange, or barter-execution's mock.

`SimulatedExchange` fills against its own view of the market (the touch, with slippage),
never at the price an order names; keeps cash and margin accounts right; rests limit orders,
fills them when the market crosses them, cancels them; and passes latency in event time.
`BarterMockExchange` is barter-execution's `MockExchange` exactly as barter runs it (fills
at the named price, breaks balances), kept for parity with barter's own backtests.
See docs/exchange.md for the fill model beside barter's mock.
"""

from __future__ import annotations

import math
import os
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, field_validator, model_validator

from barter_python._native import Bracket, ConditionalOrder, check_latency_file, to_decimal
from barter_python.snapshot import DecimalInput

__all__ = [
    "MAX_LATENCY_MS",
    "MAX_MOCK_LATENCY_MS",
    "MAX_REBATE",
    "BarterMockExchange",
    "Bracket",
    "ConditionalOrder",
    "Exchange",
    "SimulatedExchange",
    "with_shorthands",
]

# An hour of event time: far beyond any venue's latency, small enough that a typo (seconds
# given as milliseconds x 1000) is caught.
MAX_LATENCY_MS = 3_600_000
# barter's mock answers within barter's 1 s request timeout only below this.
MAX_MOCK_LATENCY_MS = 500


def _decimal(value: object) -> Decimal:
    try:
        return to_decimal(value)
    except TypeError as error:
        raise ValueError(str(error)) from None


def _fraction(value: Decimal) -> Decimal:
    if not 0 <= value <= 1:
        raise ValueError(f"must be a fraction from 0 to 1 (0.001 is 0.1 %), got {value}")
    return value


MAX_REBATE = Decimal("-0.01")
"""The most negative `maker_fees_percent`: a rebate of 1 % of a fill's value."""


def _latency(value: int, bound: int) -> int:
    if not 0 <= value <= bound:
        raise ValueError(f"must be from 0 to {bound} ms, got {value}")
    return value


class SimulatedExchange(BaseModel, frozen=True, extra="forbid"):
    """The SDK's exchange: market orders at the touch (`slippage_bps` worse), limit orders
    that rest and fill when crossed (`limit_fill`), cancels, fees in the quote asset (a negative
    `maker_fees_percent`, down to -0.01, is a rebate credited to it), a cash or margin
    `account`, latency in event time. The default exchange everywhere.

    Latency both ways (spec §12): a request reaches the exchange `latency_ms` after it is sent,
    and the exchange's answers (fills, order snapshots, cancels, refusals) reach barter's
    engine `response_latency_ms` after the exchange gives them, at the first market event at or
    after that time (first in, first out). `latency_from` (a CSV of recorded `request_time,
    exchange_time, response_time`) replaces both with latencies interpolated as hftbacktest's
    `IntpOrderLatency` does; see docs/exchange.md.

    `fill_volume="unlimited"` is for market orders only: a limit order never takes more than
    the book shows at its touch. Nothing fills against an event stamped before the order
    reached the exchange.

    With L2 data (spec §12) takers walk the book and what own fills take is not offered again
    until the feed changes the level; `queue` models a resting order's place in its level's
    queue as hftbacktest does (`"risk_averse"`, or `"probabilistic"` with `queue_function`
    `"power"` (`queue_power` n) or `"log"`); `"none"` keeps `limit_fill`. See docs/exchange.md."""

    kind: Literal["simulated"] = "simulated"
    account: Literal["cash", "margin"] = "cash"
    leverage: Decimal = Decimal(1)
    fees_percent: Decimal = Decimal(0)
    maker_fees_percent: Decimal | None = None
    slippage_bps: Decimal = Decimal(0)
    fill_volume: Literal["unlimited", "displayed"] = "unlimited"
    limit_fill: Literal["through", "touch"] = "through"
    latency_ms: int = 0
    queue: Literal["none", "risk_averse", "probabilistic"] = "none"
    queue_function: Literal["power", "log"] = "power"
    queue_power: float = 2
    response_latency_ms: int = 0
    latency_from: Path | None = None

    if TYPE_CHECKING:  # what the validators accept, for type checkers without Pydantic's plugin

        def __init__(
            self,
            *,
            kind: Literal["simulated"] = ...,
            account: Literal["cash", "margin"] = ...,
            leverage: DecimalInput = ...,
            fees_percent: DecimalInput = ...,
            maker_fees_percent: DecimalInput | None = ...,
            slippage_bps: DecimalInput = ...,
            fill_volume: Literal["unlimited", "displayed"] = ...,
            limit_fill: Literal["through", "touch"] = ...,
            latency_ms: int = ...,
            queue: Literal["none", "risk_averse", "probabilistic"] = ...,
            queue_function: Literal["power", "log"] = ...,
            queue_power: float = ...,
            response_latency_ms: int = ...,
            latency_from: str | os.PathLike[str] | None = ...,
        ) -> None: ...

    @field_validator(
        "leverage", "fees_percent", "maker_fees_percent", "slippage_bps", mode="before"
    )
    @classmethod
    def _money(cls, value: object) -> Decimal | None:
        return None if value is None else _decimal(value)

    @field_validator("fees_percent")
    @classmethod
    def _fee(cls, value: Decimal) -> Decimal:
        return _fraction(value)

    @field_validator("maker_fees_percent")
    @classmethod
    def _maker_fee(cls, value: Decimal | None) -> Decimal | None:
        # A negative maker fee is a rebate, as venues pay market makers (spec §12).
        if value is not None and not MAX_REBATE <= value <= 1:
            raise ValueError(
                f"must be from {MAX_REBATE} (a rebate of 1 %) to 1 (0.001 is 0.1 %), got {value}"
            )
        return value

    @field_validator("slippage_bps")
    @classmethod
    def _slippage(cls, value: Decimal) -> Decimal:
        if not 0 <= value < 10_000:
            raise ValueError(f"must be from 0 to below 10000 basis points, got {value}")
        return value

    @field_validator("leverage")
    @classmethod
    def _leverage(cls, value: Decimal) -> Decimal:
        if value < 1:
            raise ValueError(f"must be >= 1, got {value}")
        return value

    @field_validator("latency_ms", "response_latency_ms")
    @classmethod
    def _latency(cls, value: int) -> int:
        return _latency(value, MAX_LATENCY_MS)

    @field_validator("queue_power")
    @classmethod
    def _queue_power(cls, value: float) -> float:
        if not (value > 0 and math.isfinite(value)):
            raise ValueError(f"must be a finite number > 0 (the power n of back^n), got {value}")
        return value

    @field_validator("latency_from")
    @classmethod
    def _latency_file(cls, value: Path | None) -> Path | None:
        # Absolute, so that a sweep's workers read the same file; checked now (file, line and
        # field of a problem) and read again by each run.
        if value is None:
            return None
        path = value.absolute()
        check_latency_file(path)
        return path

    @model_validator(mode="after")
    def _one_latency(self) -> SimulatedExchange:
        if self.latency_from is not None and (self.latency_ms or self.response_latency_ms):
            raise ValueError(
                "latency_from replaces latency_ms and response_latency_ms: leave them at 0, "
                f"got latency_ms={self.latency_ms}, response_latency_ms="
                f"{self.response_latency_ms}"
            )
        return self

    @property
    def maker_fee(self) -> Decimal:
        """The fee of a resting limit order's fill: `maker_fees_percent`, else `fees_percent`."""
        return self.fees_percent if self.maker_fees_percent is None else self.maker_fees_percent


class BarterMockExchange(BaseModel, frozen=True, extra="forbid"):
    """barter-execution's `MockExchange` as barter runs it: every market order fills in full at
    the price it names, the bought asset is never credited, a Sell takes `quantity x (1 + fee)`
    off the quote balance, limit orders are refused and cancels do nothing."""

    kind: Literal["barter_mock"] = "barter_mock"
    fees_percent: Decimal = Decimal(0)
    latency_ms: int = 0

    if TYPE_CHECKING:

        def __init__(
            self,
            *,
            kind: Literal["barter_mock"] = ...,
            fees_percent: DecimalInput = ...,
            latency_ms: int = ...,
        ) -> None: ...

    @field_validator("fees_percent", mode="before")
    @classmethod
    def _money(cls, value: object) -> Decimal:
        return _decimal(value)

    @field_validator("fees_percent")
    @classmethod
    def _fee(cls, value: Decimal) -> Decimal:
        return _fraction(value)

    @field_validator("latency_ms")
    @classmethod
    def _latency(cls, value: int) -> int:
        return _latency(value, MAX_MOCK_LATENCY_MS)


Exchange = SimulatedExchange | BarterMockExchange


def with_shorthands(
    exchange: Exchange | None, fees_percent: object = None, latency_ms: object = None
) -> Exchange:
    """`exchange` (the simulated one by default) with barter's top-level `fees_percent` and
    `latency_ms` landed in it, their one home; validated there."""
    base: Exchange = SimulatedExchange() if exchange is None else exchange
    given = {"fees_percent": fees_percent, "latency_ms": latency_ms}
    changes = {name: value for name, value in given.items() if value is not None}
    if not changes:
        return base
    return type(base).model_validate({**base.model_dump(), **changes})
