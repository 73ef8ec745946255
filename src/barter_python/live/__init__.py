"""`live`: barter's engine with a Python strategy on live market streams, paper-trading on the
simulated exchange (spec §9). See docs/live.md."""

from barter_python._native import LiveEvent
from barter_python.live.config import ENDPOINT_EXCHANGES, LiveConfig, StreamKind
from barter_python.live.events import LiveEventKind
from barter_python.live.system import LiveSnapshot, LiveSystem

__all__ = [
    "ENDPOINT_EXCHANGES",
    "LiveConfig",
    "LiveEvent",
    "LiveEventKind",
    "LiveSnapshot",
    "LiveSystem",
    "StreamKind",
]
