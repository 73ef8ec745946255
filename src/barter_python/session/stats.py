"""Textbook trade statistics, which barter lacks or names otherwise.

One trade is one closed position (barter's `PositionExited`); its result is barter's
`pnl_realised` (net of fees). Each metric is a small function whose docstring gives its
formula; barter's own metric, where there is one, is cited beside it. barter's `win_rate` is
`losses / trades` (the loss rate) and its `profit_factor` is `|Σ returns| / |Σ losing returns|`
(net over losses, on returns): see `barter::statistic::summary::instrument`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import MAX_PREC, Decimal, localcontext

from pydantic import BaseModel

__all__ = ["TradeStats", "trade_stats"]


class TradeStats(BaseModel, frozen=True, extra="forbid"):
    """Textbook statistics of closed positions; `None` where a ratio is undefined."""

    trades: int
    wins: int
    losses: int
    win_rate: Decimal | None
    loss_rate: Decimal | None
    profit_factor: Decimal | None
    gross_profit: Decimal
    gross_loss: Decimal
    net_pnl: Decimal
    fees: Decimal
    avg_win: Decimal | None
    avg_loss: Decimal | None
    expectancy: Decimal | None


def ratio(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """`part / whole` (28 significant digits, as barter's decimal), undefined (`None`) when
    `whole` is 0."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)) if part else Decimal(0)


def total(values: Sequence[Decimal]) -> Decimal:
    """The exact sum: Python's default context would round it to 28 significant digits."""
    with localcontext(prec=MAX_PREC):
        return sum(values, Decimal(0))


def win_rate(wins: int, trades: int) -> Decimal | None:
    """wins / trades: the share of closed positions with `pnl_realised > 0` (barter's
    `WinRate` field holds losses / trades instead)."""
    return ratio(wins, trades)


def loss_rate(losses: int, trades: int) -> Decimal | None:
    """losses / trades: the share with `pnl_realised < 0` (what barter calls `win_rate`)."""
    return ratio(losses, trades)


def profit_factor(gross_profit: Decimal, gross_loss: Decimal) -> Decimal | None:
    """gross profit / |gross loss| of realised PnL (barter's is net / losses, on returns);
    undefined without a loss."""
    return ratio(gross_profit, abs(gross_loss))


def expectancy(net_pnl: Decimal, trades: int) -> Decimal | None:
    """net PnL / trades: the average result of one trade."""
    return ratio(net_pnl, trades)


def trade_stats(pnls: Sequence[Decimal], fees: Sequence[Decimal]) -> TradeStats:
    """The statistics of closed positions with these realised PnLs and fees."""
    wins = [pnl for pnl in pnls if pnl > 0]
    losses = [pnl for pnl in pnls if pnl < 0]
    gross_profit = total(wins)
    gross_loss = total(losses)
    net = total(pnls)
    return TradeStats(
        trades=len(pnls),
        wins=len(wins),
        losses=len(losses),
        win_rate=win_rate(len(wins), len(pnls)),
        loss_rate=loss_rate(len(losses), len(pnls)),
        profit_factor=profit_factor(gross_profit, gross_loss),
        gross_profit=gross_profit,
        gross_loss=gross_loss,
        net_pnl=net,
        fees=total(fees),
        avg_win=ratio(gross_profit, len(wins)),
        avg_loss=ratio(gross_loss, len(losses)),
        expectancy=expectancy(net, len(pnls)),
    )
