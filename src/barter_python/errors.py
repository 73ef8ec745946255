"""The SDK's exceptions: one hierarchy, each a ``ValueError`` where the input is at fault."""

from __future__ import annotations

from collections.abc import Sequence

from barter_python._native import bind_classes

# How many problems an error lists before "and N more".
LISTED = 20


def listed(problems: list[str]) -> list[str]:
    """The first `LISTED` problems, then how many more there are."""
    if len(problems) <= LISTED:
        return problems
    return [*problems[:LISTED], f"... and {len(problems) - LISTED} more"]


class BarterPythonError(Exception):
    """Base class of every error the SDK raises that is not a plain ``ValueError``/``TypeError``."""


class _AtIndices(BarterPythonError, ValueError):
    """An error about items of a book; `indices` are their positions in it (from 0)."""

    def __init__(self, message: str, indices: Sequence[int] = ()) -> None:
        super().__init__(message)
        self.indices: list[int] = list(indices)

    def __reduce__(self) -> tuple[type[_AtIndices], tuple[str, list[int]]]:
        return type(self), (str(self), self.indices)


class DuplicateInstrumentError(_AtIndices):
    """The same ``(exchange, instrument)`` appears twice in one book (`indices`: both)."""


class MissingPriceError(_AtIndices):
    """Open positions to close have no price, so barter would silently skip them (`indices`:
    every such instrument of the book)."""


class UnknownInstrumentError(BarterPythonError, ValueError):
    """A filter names an instrument or underlying that is not in the book."""


class BookError(BarterPythonError, ValueError):
    """A book (a JSON or CSV book, as `flatten` and `--book` read it) that cannot be read or
    validated; the message says where and why."""

    @classmethod
    def of(cls, source: str, problems: list[str], what: str = "problems") -> BookError:
        """One error for every problem found in `source`, each a `file:line: what` text."""
        if len(problems) == 1:
            return cls(problems[0])
        return cls(f"{source}: {len(problems)} {what}:\n" + "\n".join(listed(problems)))


class ConfigError(BarterPythonError, ValueError):
    """A config file that cannot be read as barter's config (`BacktestConfig.from_barter_json`,
    `LiveConfig.from_barter_json`): invalid JSON, or values that do not make a config; the
    message names the file (and the line and column of invalid JSON) and why."""


class CommandLineError(BarterPythonError, ValueError):
    """A `barter-python` command line that cannot run: a missing or contradictory option, an
    option's bad value, a file argument that does not exist or cannot be read or written. The
    command prints `error: <message>` on stderr and exits with status 2, as for click's own
    usage errors; nothing of the SDK outside the command line raises it."""


class EngineError(BarterPythonError):
    """barter's engine failed inside (a panic); the engine refuses further calls."""


class MarketDataError(BarterPythonError, ValueError):
    """Market data that cannot be read: the message names the file (or table) and the line (or
    row) of every problem found, the first 20 of them, then how many more."""


class BacktestError(BarterPythonError):
    """A backtest stopped at a market event (the message names it): the strategy raised, or
    barter failed inside. The cause is chained (`__cause__`)."""


class StrategyImportError(BarterPythonError, ImportError):
    """A strategy path (`module:Class`, `path/to/file.py:Class`) does not import, or does not
    name a strategy class (the message names the path and why)."""


# The native module raises these; it never imports the package, so they are handed over.
bind_classes(
    BookError=BookError,
    DuplicateInstrumentError=DuplicateInstrumentError,
    MissingPriceError=MissingPriceError,
    UnknownInstrumentError=UnknownInstrumentError,
    EngineError=EngineError,
    MarketDataError=MarketDataError,
    BacktestError=BacktestError,
)
