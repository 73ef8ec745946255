"""The SDK's exceptions: one hierarchy, each a ``ValueError`` where the input is at fault."""


class BarterPythonError(Exception):
    """Base class of every error the SDK raises that is not a plain ``ValueError``/``TypeError``."""


class DuplicateInstrumentError(BarterPythonError, ValueError):
    """The same ``(exchange, instrument)`` appears twice in one book."""


class MissingPriceError(BarterPythonError, ValueError):
    """An open position to close has no price, so barter would silently skip it."""


class UnknownInstrumentError(BarterPythonError, ValueError):
    """A filter names an instrument or underlying that is not in the book."""


class EngineError(BarterPythonError):
    """barter's engine failed inside (a panic); the engine refuses further calls."""
