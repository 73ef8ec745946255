"""Conditional orders (spec §13): stops, take-profits, trailing stops, brackets and
one-cancels-the-other pairs, for `barter_python.strategy` (their home for users).

barter's `OrderKind` is `Market | Limit`: these are held untriggered by the simulated exchange,
which sends an ordinary barter market or limit order when one triggers. Each constructor
validates in Rust (`ConditionalOrder`, `Bracket`): a bad field is a `ValueError` naming it
and the instrument.
"""

from __future__ import annotations

from typing import Literal, Required, TypedDict, Unpack

from barter_python._native import Bracket, ConditionalOrder
from barter_python.instrument import ExchangeId, Side
from barter_python.order import ClientOrderId, OrderKey, OrderRequestOpen, StrategyId
from barter_python.snapshot import DecimalInput

__all__ = ["Options", "TriggerOn", "bracket", "oco", "stop_order", "take_profit", "trailing_stop"]

# The price a trigger watches: each trade, the L1 book (the bid for a Sell, the ask for a
# Buy), or the exchange's mark (the L1 mid, else the last trade).
TriggerOn = Literal["trade", "quote", "mark"]


class Options(TypedDict, total=False):
    """The keywords of `stop_order`, `take_profit` and `trailing_stop`: `strategy_id`, `cid`
    (default `ClientOrderId.random()`), `trigger_on` (default `"trade"`), `strict` (refuse it
    if the market has already reached its trigger when it arrives, rather than trigger at
    once) and `reduce_only` (cut what it sends to the position)."""

    strategy_id: Required[StrategyId | str]
    cid: ClientOrderId | str | None
    trigger_on: TriggerOn
    strict: bool
    reduce_only: bool


def _made(
    kind: str,
    exchange: ExchangeId | str,
    instrument: str,
    side: Side | str,
    quantity: DecimalInput,
    options: Options,
    *,
    trigger: DecimalInput | None = None,
    limit: DecimalInput | None = None,
    offset: DecimalInput | None = None,
    offset_bps: DecimalInput | None = None,
) -> ConditionalOrder:
    cid = options.get("cid")
    key = OrderKey(
        exchange, instrument, options["strategy_id"], ClientOrderId.random() if cid is None else cid
    )
    return ConditionalOrder(
        key, side, quantity, kind, trigger=trigger, limit=limit, offset=offset,
        offset_bps=offset_bps, trigger_on=options.get("trigger_on", "trade"),
        strict=options.get("strict", False), reduce_only=options.get("reduce_only", False),
    )  # fmt: skip


def stop_order(
    exchange: ExchangeId | str,
    instrument: str,
    side: Side | str,
    quantity: DecimalInput,
    trigger: DecimalInput,
    *,
    limit: DecimalInput | None = None,
    **options: Unpack[Options],
) -> ConditionalOrder:
    """A stop: triggers when the market reaches `trigger` against the position (a Sell when
    the price falls to or below it, a Buy when it rises to or above it), then a market order,
    or a `GoodUntilCancelled` limit order at `limit` (a stop-limit; a Sell's limit must not be
    above its trigger, a Buy's not below). `options`: see `Options`."""
    return _made(
        "stop", exchange, instrument, side, quantity, options, trigger=trigger, limit=limit
    )


def take_profit(
    exchange: ExchangeId | str,
    instrument: str,
    side: Side | str,
    quantity: DecimalInput,
    trigger: DecimalInput,
    *,
    limit: DecimalInput | None = None,
    **options: Unpack[Options],
) -> ConditionalOrder:
    """The mirror of `stop_order`: a Sell triggers when the price rises to or above `trigger`,
    a Buy when it falls to or below it; a market order, or a limit at `limit`."""
    return _made(
        "take_profit", exchange, instrument, side, quantity, options, trigger=trigger, limit=limit
    )


def trailing_stop(
    exchange: ExchangeId | str,
    instrument: str,
    side: Side | str,
    quantity: DecimalInput,
    *,
    offset: DecimalInput | None = None,
    offset_bps: DecimalInput | None = None,
    **options: Unpack[Options],
) -> ConditionalOrder:
    """A stop whose trigger follows the best price since it reached the exchange by `offset`
    (a price) or `offset_bps` (basis points of the best price), one of the two, and never moves
    back: a Sell's trails the highest price down, a Buy's the lowest up. Then a market order."""
    return _made(
        "trailing_stop", exchange, instrument, side, quantity, options, offset=offset,
        offset_bps=offset_bps,
    )  # fmt: skip


def bracket(
    entry: OrderRequestOpen,
    *,
    stop_loss: DecimalInput | None = None,
    take_profit: DecimalInput | None = None,
    trigger_on: TriggerOn = "trade",
    strict: bool = False,
    reduce_only: bool = False,
) -> Bracket:
    """`entry` (an ordinary order, sent through barter) with a stop at `stop_loss` and a
    take-profit at `take_profit` on the other side, market orders both, for the quantity the
    entry has filled (each later fill grows them); when one triggers the other is cancelled.
    The legs' cids are `{cid}-sl` and `{cid}-tp`, for cancelling them."""
    return Bracket.with_entry(
        entry, stop_loss=stop_loss, take_profit=take_profit, trigger_on=trigger_on,
        strict=strict, reduce_only=reduce_only,
    )  # fmt: skip


def oco(first: ConditionalOrder, second: ConditionalOrder) -> Bracket:
    """Two conditional orders on one instrument, one cancelling the other: when one triggers,
    the other is cancelled."""
    return Bracket.oco(first, second)
