"""A local exchange for tests and rehearsals: a WebSocket server on 127.0.0.1 speaking Binance
spot's market-stream protocol, scripted from Python, and on the same port the REST depth
snapshot an L2 stream starts from (`set_depth`). Point a live system at it with
`LiveConfig(endpoints={"binance_spot": exchange.url}, ...)`; no internet is needed.

    with LocalExchange() as exchange:
        system = LiveSystem.start(LiveConfig(..., endpoints={"binance_spot": exchange.url}), s)
        exchange.wait_connected(2)          # trades and l1: one connection each
        exchange.send_trade("BTCUSDT", "100.5", "0.5")
"""

from __future__ import annotations

import json
import time as _time
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Self

from barter_python import _native
from barter_python.instrument import Side

__all__ = ["LocalExchange", "book_ticker_frame", "depth_frame", "depth_snapshot", "trade_frame"]

Amount = Decimal | str | int
Levels = Sequence[tuple[Amount, Amount]]
"""Book levels as `(price, amount)`; in a diff, an amount of 0 removes the level."""


def _ms(time: datetime | None) -> int:
    return int((time.timestamp() if time else _time.time()) * 1000)


def trade_frame(
    symbol: str,
    price: Decimal | str | int,
    quantity: Decimal | str | int,
    *,
    side: Side | str = Side.BUY,
    time: datetime | None = None,
    id: int = 0,
) -> str:
    """Binance's trade frame (`m`, buyer is maker, is set for a taker's sell)."""
    ms = _ms(time)
    sell = Side(side) is Side.SELL
    frame = {"e": "trade", "E": ms, "s": symbol.upper(), "t": id, "p": str(price),
             "q": str(quantity), "T": ms, "m": sell}  # fmt: skip
    return json.dumps(frame)


def book_ticker_frame(
    symbol: str,
    bid: Decimal | str | int,
    bid_amount: Decimal | str | int,
    ask: Decimal | str | int,
    ask_amount: Decimal | str | int,
    *,
    time: datetime | None = None,
    id: int = 0,
) -> str:
    """Binance's book ticker frame (the best bid and ask)."""
    frame = {"u": id, "s": symbol.upper(), "T": _ms(time), "b": str(bid), "B": str(bid_amount),
             "a": str(ask), "A": str(ask_amount)}  # fmt: skip
    return json.dumps(frame)


def _levels(levels: Levels) -> list[list[str]]:
    return [[str(price), str(amount)] for price, amount in levels]


def depth_snapshot(last_update_id: int, bids: Levels, asks: Levels) -> str:
    """Binance's REST depth snapshot (`GET /api/v3/depth`): the book as of `last_update_id`."""
    return json.dumps({"lastUpdateId": last_update_id, "bids": _levels(bids),
                       "asks": _levels(asks)})  # fmt: skip


def depth_frame(
    symbol: str,
    first_update_id: int,
    last_update_id: int,
    bids: Levels = (),
    asks: Levels = (),
    *,
    previous_update_id: int | None = None,
    time: datetime | None = None,
) -> str:
    """Binance's diff-depth frame (`depthUpdate`, updates `U` to `u`): each level's new amount.
    USD-M futures' frames also carry `pu`, the previous frame's `u` (`previous_update_id`)."""
    ms = _ms(time)
    frame: dict[str, object] = {"e": "depthUpdate", "E": ms, "T": ms, "s": symbol.upper(),
                                "U": first_update_id, "u": last_update_id,
                                "b": _levels(bids), "a": _levels(asks)}  # fmt: skip
    if previous_update_id is not None:
        frame["pu"] = previous_update_id
    return json.dumps(frame)


class LocalExchange(_native.LocalExchange):
    """Binance spot's market streams on a free port of 127.0.0.1: `url`, `subscriptions`,
    `connections`, `wait_connected`, `send` (a raw frame; `everyone=True`: to every
    connection), `frames_sent`, `replay`, `drop_connections`, `reject_next_subscription`;
    for L2 streams `set_depth` (the REST snapshot), `send_depth` and `snapshot_requests`;
    closed on leaving a `with` block."""

    def set_depth(self, symbol: str, last_update_id: int, bids: Levels, asks: Levels) -> None:
        """The REST snapshot an L2 stream of `symbol` starts from (asked for at every
        connection, before the diffs): set it before the live system starts."""
        self._set_snapshot(symbol, depth_snapshot(last_update_id, bids, asks))

    def send_depth(
        self,
        symbol: str,
        first_update_id: int,
        last_update_id: int,
        bids: Levels = (),
        asks: Levels = (),
        *,
        time: datetime | None = None,
    ) -> int:
        """A diff to the connections subscribed to `{symbol}@depth@100ms`; how many it
        reached."""
        frame = depth_frame(symbol, first_update_id, last_update_id, bids, asks, time=time)
        return self.send(frame)

    def send_trade(
        self,
        symbol: str,
        price: Decimal | str | int,
        quantity: Decimal | str | int,
        *,
        side: Side | str = Side.BUY,
        time: datetime | None = None,
        id: int = 0,
    ) -> int:
        """A trade to the connections subscribed to `{symbol}@trade`; how many it reached."""
        return self.send(trade_frame(symbol, price, quantity, side=side, time=time, id=id))

    def send_book_ticker(
        self,
        symbol: str,
        bid: Decimal | str | int,
        bid_amount: Decimal | str | int,
        ask: Decimal | str | int,
        ask_amount: Decimal | str | int,
        *,
        time: datetime | None = None,
    ) -> int:
        """The best bid and ask to the connections subscribed to `{symbol}@bookTicker`."""
        return self.send(book_ticker_frame(symbol, bid, bid_amount, ask, ask_amount, time=time))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
