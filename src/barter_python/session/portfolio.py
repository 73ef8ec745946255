"""Portfolio statistics of a run, from its equity curve (the account value per quote asset),
which barter lacks: barter's tear sheets are per closed position. Each metric is a small
function whose docstring gives its formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, localcontext

from pydantic import BaseModel

from barter_python.instrument import ExchangeId

__all__ = ["EquityPoint", "PortfolioStats", "portfolio_stats"]

YEAR = timedelta(days=365.25)
# The ratios' period when the curve has a point at every event (`equity_interval=None`).
DEFAULT_PERIOD = timedelta(minutes=1)


class EquityPoint(BaseModel, frozen=True, extra="forbid"):
    """The account value in one quote asset at one time: `cash` (the quote balance),
    `holdings` (base balances at the mark on a cash account; unrealised PnL at the mark on a
    margin one), `equity = cash + holdings`, `drawdown` (the peak so far minus equity)."""

    exchange: ExchangeId
    asset: str
    time: datetime
    cash: Decimal
    holdings: Decimal
    equity: Decimal
    drawdown: Decimal


class PortfolioStats(BaseModel, frozen=True, extra="forbid"):
    """One quote asset's run, from its equity curve; `None` where undefined (`undefined` says
    why)."""

    exchange: ExchangeId
    asset: str
    equity_start: Decimal
    equity_end: Decimal
    total_return: Decimal | None
    max_drawdown: Decimal
    max_drawdown_pct: Decimal | None
    max_drawdown_duration: timedelta
    cagr: Decimal | None
    exposure: Decimal | None
    sharpe_ratio: Decimal | None
    sortino_ratio: Decimal | None
    undefined: dict[str, str] = {}


def total_return(start: Decimal, end: Decimal) -> Decimal | None:
    """`end / start - 1`; undefined for a start of 0."""
    return None if start == 0 else end / start - 1


def max_drawdown(points: Sequence[EquityPoint]) -> tuple[Decimal, Decimal | None, timedelta]:
    """The largest peak-to-trough fall (in the asset), that fall as a fraction of its peak, and
    the longest drawdown: from a peak to the point that recovers it (or to the end, if none)."""
    peak, peak_time = points[0].equity, points[0].time
    worst, worst_pct, longest = Decimal(0), None, timedelta(0)
    under = False
    for point in points:
        if point.equity >= peak:
            if under:
                longest = max(longest, point.time - peak_time)
            peak, peak_time, under = point.equity, point.time, False
            continue
        under = True
        fall = peak - point.equity
        if fall > worst:
            worst = fall
            worst_pct = fall / peak if peak > 0 else None
    if under:
        longest = max(longest, points[-1].time - peak_time)
    return worst, worst_pct, longest


def cagr(start: Decimal, end: Decimal, duration: timedelta) -> Decimal | None:
    """`(end / start) ^ (1 / years) - 1` over 365.25-day years; undefined under a day or for a
    start or end at or below 0."""
    if duration < timedelta(days=1) or start <= 0 or end <= 0:
        return None
    years = Decimal(duration / YEAR)
    with localcontext() as context:
        context.prec = 28
        return ((end / start).ln() / years).exp() - 1


@dataclass(frozen=True)
class Returns:
    """Period returns of a curve: those where the equity moved, in time order, and how many
    periods were flat (no point in them: a return of 0). A stretch without events costs
    nothing, however long. When the curve ends between grid times, the last of `moving` spans
    only `last_weight` of a period and counts as that fraction of a return (pro rata), so a
    run's last seconds weigh as seconds, not as a whole period."""

    moving: list[Decimal]
    flat: int
    last_weight: Decimal = Decimal(1)

    def __len__(self) -> int:
        return len(self.moving) + self.flat

    def weighted(self) -> list[tuple[Decimal, Decimal]]:
        """Each of `moving` with its weight: 1, the last one `last_weight`."""
        weights = [Decimal(1)] * (len(self.moving) - 1) + [self.last_weight][: len(self.moving)]
        return list(zip(weights, self.moving, strict=True))

    def count(self) -> Decimal:
        """How many periods the returns span: the flat ones, the moving ones by weight."""
        return sum((w for w, _ in self.weighted()), Decimal(self.flat))

    def mean(self) -> Decimal:
        return sum((w * r for w, r in self.weighted()), Decimal(0)) / self.count()


def period_returns(points: Sequence[EquityPoint], period: timedelta) -> Returns:
    """Returns of the equity sampled every `period` from the first point (the last value at or
    before each grid time), and a last one to the last point if it falls between grid times,
    weighted by the fraction of a period it spans. Linear in the points: the grid times
    between two points repeat a value, so they are counted, not walked."""
    first, end = points[0].time, points[-1].time
    moving: list[Decimal] = []
    flat = 0
    at = 0  # the last point at or before grid time `k`
    k, last_k = 0, (end - first) // period
    previous: Decimal | None = None

    def sample(value: Decimal) -> bool:
        nonlocal previous
        before, previous = previous, value
        if before is None or before == 0:
            return False
        moving.append(value / before - 1)
        return True

    while k <= last_k:
        while at + 1 < len(points) and points[at + 1].time <= first + k * period:
            at += 1
        sample(points[at].equity)
        # The grid times before the next point all see this value again.
        upto = last_k if at + 1 >= len(points) else -((first - points[at + 1].time) // period) - 1
        repeats = max(min(upto, last_k) - k, 0)
        if repeats and points[at].equity != 0:
            flat += repeats
        k += repeats + 1
    rest = end - (first + last_k * period)
    if rest and sample(points[-1].equity):
        return Returns(moving, flat, Decimal(micros(rest)) / Decimal(micros(period)))
    return Returns(moving, flat)


def micros(span: timedelta) -> int:
    """A time span in whole microseconds, exactly (timedelta's own resolution)."""
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def sharpe(returns: Returns, per_year: Decimal) -> tuple[Decimal | None, str | None]:
    """`mean / sample standard deviation x sqrt(periods per year)` (flat periods count as
    returns of 0; a short last period by its weight, as a frequency weight)."""
    count = returns.count()
    if len(returns) < 2 or count <= 1:
        return None, "too_few_returns"
    mean = returns.mean()
    spread = sum((w * (r - mean) ** 2 for w, r in returns.weighted()), Decimal(0))
    variance = (spread + returns.flat * mean**2) / (count - 1)
    if variance == 0:
        return None, "zero_dispersion"
    return mean / variance.sqrt() * per_year.sqrt(), None


def sortino(returns: Returns, per_year: Decimal) -> tuple[Decimal | None, str | None]:
    """`mean / downside deviation x sqrt(periods per year)`, the downside deviation being
    `sqrt(mean(min(r, 0)^2))` (flat periods count as returns of 0; a short last period by its
    weight)."""
    count = returns.count()
    if len(returns) < 2 or count <= 1:
        return None, "too_few_returns"
    mean = returns.mean()
    losses = (w * min(r, Decimal(0)) ** 2 for w, r in returns.weighted())
    downside = sum(losses, Decimal(0)) / count
    if downside == 0:
        return None, "no_losses"
    return mean / downside.sqrt() * per_year.sqrt(), None


def portfolio_stats(
    points: Sequence[EquityPoint],
    exposed_seconds: float,
    period: timedelta | None,
    time_start: datetime,
    time_end: datetime,
) -> PortfolioStats:
    """One quote asset's statistics from its curve (`points`, in time order, at least one)."""
    first, last = points[0], points[-1]
    undefined: dict[str, str] = {}
    duration = time_end - time_start
    fall, fall_pct, fall_time = max_drawdown(points)
    growth = total_return(first.equity, last.equity)
    if growth is None:
        undefined["total_return"] = "zero_start"
    yearly = cagr(first.equity, last.equity, duration)
    if yearly is None:
        undefined["cagr"] = "under_a_day" if duration < timedelta(days=1) else "non_positive"
    step = period or DEFAULT_PERIOD
    returns = period_returns(points, step)
    per_year = Decimal(YEAR / step)
    sharpe_ratio, why = sharpe(returns, per_year)
    if why:
        undefined["sharpe_ratio"] = why
    sortino_ratio, why = sortino(returns, per_year)
    if why:
        undefined["sortino_ratio"] = why
    exposure = (
        Decimal(str(round(exposed_seconds / duration.total_seconds(), 6)))
        if duration.total_seconds() > 0
        else None
    )
    return PortfolioStats(
        exchange=first.exchange,
        asset=first.asset,
        equity_start=first.equity,
        equity_end=last.equity,
        total_return=growth,
        max_drawdown=fall,
        max_drawdown_pct=fall_pct,
        max_drawdown_duration=fall_time,
        cagr=yearly,
        exposure=exposure,
        sharpe_ratio=sharpe_ratio,
        sortino_ratio=sortino_ratio,
        undefined=undefined,
    )
