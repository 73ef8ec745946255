"""Sizing helpers (spec §10): the order request(s) that take a position to a target, buy a
value's worth, or a fraction of the account's equity, rounded down to the instrument's lot
size and, for a limit order, to its tick (`InstrumentSnapshot.spec`). An order that rounds to
nothing is not sent: the helpers return no request.

Market orders are valued at the simulated exchange's touch (`state.quote`): the best ask for
a Buy, the best bid for a Sell, else the last trade; the price they carry is that touch.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Literal

from barter_python._native import EngineStateView, to_decimal
from barter_python.instrument import ExchangeId, Side
from barter_python.order import (
    ClientOrderId,
    OrderKey,
    OrderKind,
    OrderRequestCancel,
    OrderRequestOpen,
    RequestOpen,
    TimeInForce,
)
from barter_python.snapshot import DecimalInput, InstrumentSpec

__all__ = ["SizedRequests", "order_percent", "order_target", "order_value"]

SizedRequests = tuple[list[OrderRequestCancel], list[OrderRequestOpen]]
Kind = Literal["market", "limit"]


def order_target(
    state: EngineStateView,
    exchange: ExchangeId | str,
    instrument: str,
    quantity: DecimalInput,
    *,
    kind: Kind = "market",
    price: DecimalInput | None = None,
    cid: ClientOrderId | str | None = None,
) -> SizedRequests:
    """The request that takes the position in `instrument` to `quantity` (negative: short, on a
    margin account); none when it is already there."""
    exchange = ExchangeId(exchange)
    target = _number(quantity, "quantity")
    held = state.positions().get((exchange, instrument.lower()))
    current = Decimal(0)
    if held is not None:
        current = held.quantity if held.side is Side.BUY else -held.quantity
    return _order(state, exchange, instrument, target - current, kind, price, cid)


def order_value(
    state: EngineStateView,
    exchange: ExchangeId | str,
    instrument: str,
    value: DecimalInput,
    *,
    kind: Kind = "market",
    price: DecimalInput | None = None,
    cid: ClientOrderId | str | None = None,
) -> SizedRequests:
    """Buy `value` worth (quote asset) of `instrument` at the touch (or at `price` for a limit
    order), in addition to the position; a negative value sells."""
    exchange = ExchangeId(exchange)
    worth = _number(value, "value")
    if worth == 0:
        return [], []
    side = Side.BUY if worth > 0 else Side.SELL
    at = _price(state, exchange, instrument, side, kind, price)
    quantity = abs(worth) / at
    return _order(state, exchange, instrument, quantity if worth > 0 else -quantity, kind, at, cid)


def order_percent(
    state: EngineStateView,
    exchange: ExchangeId | str,
    instrument: str,
    fraction: DecimalInput,
    *,
    kind: Kind = "market",
    price: DecimalInput | None = None,
    cid: ClientOrderId | str | None = None,
) -> SizedRequests:
    """`order_value` of `fraction` (from -1 to 1) times the account's equity in the
    instrument's quote asset (`state.equity`), zipline's meaning: in addition to the position
    (use `order_target` for a target)."""
    exchange = ExchangeId(exchange)
    share = _number(fraction, "fraction")
    if not -1 <= share <= 1:
        raise ValueError(f"fraction must be from -1 to 1, got {share}")
    quote = state.quote_asset(exchange, instrument)
    equity = state.equity(exchange, quote)
    if equity is None:
        raise ValueError(
            f"order_percent needs the simulated exchange's account ({instrument} on "
            f"{exchange.value})"
        )
    return order_value(state, exchange, instrument, share * equity, kind=kind, price=price, cid=cid)


def _number(value: DecimalInput, field: str) -> Decimal:
    try:
        return to_decimal(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{field}: {error}") from None


def _price(
    state: EngineStateView,
    exchange: ExchangeId,
    instrument: str,
    side: Side,
    kind: Kind,
    price: DecimalInput | None,
) -> Decimal:
    """A limit order's own price, rounded to the tick (a Buy down, a Sell up); a market
    order's touch."""
    if kind == "limit":
        if price is None:
            raise ValueError(f"a limit order for {instrument} on {exchange.value} needs a price")
        limit = _number(price, "price")
        spec = state.spec(exchange, instrument)
        if spec is not None:
            rounding = ROUND_FLOOR if side is Side.BUY else ROUND_CEILING
            limit = _multiple(limit, spec.tick_size, rounding)
        return limit
    if kind != "market":
        raise ValueError(f"kind must be 'market' or 'limit', got {kind!r}")
    quote = state.quote(exchange, instrument)
    touch = None if quote is None else quote.touch(side)
    if touch is None:
        touch = state.prices().get((exchange, instrument.lower()))
    if touch is None:
        raise ValueError(f"no price for {instrument} on {exchange.value} yet")
    return touch


def _multiple(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    return (value / step).to_integral_value(rounding=rounding) * step


def _order(
    state: EngineStateView,
    exchange: ExchangeId,
    instrument: str,
    delta: Decimal,
    kind: Kind,
    price: DecimalInput | None,
    cid: ClientOrderId | str | None,
) -> SizedRequests:
    if delta == 0:
        return [], []
    side = Side.BUY if delta > 0 else Side.SELL
    at = _price(state, exchange, instrument, side, kind, price)
    quantity = abs(delta)
    spec: InstrumentSpec | None = state.spec(exchange, instrument)
    if spec is not None:
        quantity = _multiple(quantity, spec.lot_size, ROUND_FLOOR)
        if quantity * at < spec.min_notional:
            return [], []
    if quantity == 0:
        return [], []
    order_kind, tif = (
        (OrderKind.MARKET, TimeInForce.IMMEDIATE_OR_CANCEL)
        if kind == "market"
        else (OrderKind.LIMIT, TimeInForce.GOOD_UNTIL_CANCELLED)
    )
    key = OrderKey(exchange, instrument.lower(), state.strategy_id,
                   ClientOrderId.random() if cid is None else cid)  # fmt: skip
    return [], [OrderRequestOpen(key, RequestOpen(side, at, quantity, order_kind, tif))]
