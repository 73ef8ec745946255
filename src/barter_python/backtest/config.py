"""`BacktestConfig`: what a backtest trades, on which exchange, and how it is reported."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AwareDatetime, model_validator

from barter_python.exchange import BarterMockExchange, SimulatedExchange
from barter_python.instrument import ExchangeId
from barter_python.risk import RiskLimits
from barter_python.session.config import IntervalName, SessionConfig
from barter_python.snapshot import DecimalInput, InstrumentSnapshot

__all__ = ["BacktestConfig"]


class BacktestConfig(SessionConfig, frozen=True, extra="forbid"):
    """The instruments a backtest trades, the exchange's starting balances, the `exchange`
    (the simulated one by default; `BarterMockExchange()` for barter's own mock), how often the
    equity curve gets a point, and how barter's statistics are computed.

    `fees_percent` and `latency_ms` given here (barter's names) land in `exchange`, their one
    home. `interval` is the period barter scales returns and ratios to. Positions still open
    after the last event are closed through the exchange unless `close_positions_at_end` is
    False. Events before `warmup_until` (a UTC time) warm the strategy up: it is called as
    usual and its requests are dropped, and the result (its equity curve, statistics and
    event count) starts at the first event at or after that time.

    `clocks="both"` (spec §12) shows each event to the simulated exchange at its exchange time
    and to the strategy (barter's engine, `state.time`) at its receive time (`time_received`),
    as hftbacktest does; an order sent at strategy time `t` reaches the exchange at `t +
    latency`. `"exchange"` (the default) replays every event at its exchange time, in the
    data's order, as barter's own backtests do.
    """

    close_positions_at_end: bool = True
    strategy_id: str = "backtest"
    warmup_until: AwareDatetime | None = None
    clocks: Literal["exchange", "both"] = "exchange"

    if TYPE_CHECKING:  # what the validators accept, for type checkers without Pydantic's plugin

        def __init__(
            self,
            *,
            instruments: list[InstrumentSnapshot] | list[dict[str, Any]],
            balances: dict[tuple[ExchangeId | str, str], DecimalInput] = ...,
            exchange: SimulatedExchange | BarterMockExchange = ...,
            equity_interval: timedelta | None = ...,
            fees_percent: DecimalInput = ...,
            latency_ms: int = ...,
            risk_free_return: DecimalInput = ...,
            interval: IntervalName | timedelta = ...,
            close_positions_at_end: bool = ...,
            strategy_id: str = ...,
            risk: RiskLimits = ...,
            warmup_until: datetime | None = ...,
            clocks: Literal["exchange", "both"] = ...,
        ) -> None: ...

    @model_validator(mode="after")
    def _clocks(self) -> BacktestConfig:
        if self.clocks == "both" and not isinstance(self.exchange, SimulatedExchange):
            raise ValueError(
                "clocks='both' needs the simulated exchange (exchange=SimulatedExchange()): "
                "barter's mock exchange does not see the market"
            )
        return self
