"""What a live system reports (`LiveSystem.events()`): the kinds of `LiveEvent`."""

from typing import Literal

__all__ = ["LiveEventKind"]

LiveEventKind = Literal[
    "fill",  # an order filled (event.fill: the exchange's trade)
    "refused",  # an order or a cancel refused, with the reason
    "disconnected",  # a market stream dropped; barter-data reconnects it
    "reconnected",  # the stream delivers again
    "strategy_error",  # the strategy raised: trading is now off
    "engine_error",  # barter failed inside: the engine stopped
    "malformed",  # a frame barter-data could not read, or the checks refused, skipped
    "unknown_instrument",  # a frame for a market not subscribed to, skipped
    "stream_error",  # another error a stream reported (a closed socket, a parser's panic)
    "lagging",  # the engine is behind the streams: how old the data is (at most once a second)
    "stopped",  # the system shut down
]
