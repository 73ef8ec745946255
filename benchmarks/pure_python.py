"""The kind of code the SDK replaces: a plain pure-Python close of every open position.

Kept in `benchmarks/` only, as the baseline the SDK is measured against; it is not barter and
the SDK never uses it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal

from barter_python import ExchangeId, InstrumentSnapshot, OrderKind, Side, TimeInForce


@dataclass(frozen=True, slots=True)
class Key:
    exchange: ExchangeId
    instrument: str
    strategy: str
    cid: str


@dataclass(frozen=True, slots=True)
class State:
    side: Side
    price: Decimal
    quantity: Decimal
    kind: OrderKind
    time_in_force: TimeInForce


@dataclass(frozen=True, slots=True)
class Order:
    key: Key
    state: State


def close_positions(strategy: str, book: list[InstrumentSnapshot]) -> list[Order]:
    orders = []
    for snapshot in book:
        position = snapshot.position
        if position is None or position.quantity == 0 or snapshot.price is None:
            continue
        side = Side.SELL if position.side is Side.BUY else Side.BUY
        cid = secrets.token_urlsafe(17)  # 23 url-safe characters, like barter's random cid
        key = Key(snapshot.exchange, snapshot.instrument.lower(), strategy, cid)
        state = State(
            side,
            snapshot.price,
            position.quantity,
            OrderKind.MARKET,
            TimeInForce.IMMEDIATE_OR_CANCEL,
        )
        orders.append(Order(key, state))
    return orders
