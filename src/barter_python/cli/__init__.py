"""`barter-python`: the SDK from the shell.

`barter-python flatten BOOK` prints the orders barter's `close_open_positions_with_market_orders`
sends to close every open position of a book. `barter-python backtest DATA --config CONFIG
--strategy MODULE:CLASS` replays market data through barter's Engine with a Python strategy and
prints barter's statistics beside the textbook ones (`--catalog DIR` replays a catalog's
files, streaming). `barter-python data import|ls` fills and lists a market-data catalog.
`barter-python paper --config CONFIG
--strategy MODULE:CLASS` paper-trades it on live market streams. User errors exit with status 2
and a message on stderr naming the file and line, never a traceback, and nothing on stdout.
"""

from __future__ import annotations

import importlib
from typing import ClassVar

import click

from barter_python._version import __version__

__all__ = ["main"]


class _Commands(click.Group):
    """Each command is imported when it runs, so that `flatten` starts without loading the
    backtest's modules (or Pydantic's models, for a CSV book)."""

    homes: ClassVar[dict[str, str]] = {
        "backtest": "barter_python.cli.backtest",
        "data": "barter_python.cli.data",
        "flatten": "barter_python.cli.flatten",
        "paper": "barter_python.cli.paper",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.homes)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        home = self.homes.get(cmd_name)
        if home is None:
            return None
        command = getattr(importlib.import_module(home), cmd_name)
        if not isinstance(command, click.Command):
            raise TypeError(f"{home}.{cmd_name} is not a click command")
        return command

    def invoke(self, ctx: click.Context) -> object:
        """A panic inside the native module is a bug, never the user's: status 2 and one line
        saying so, rather than PyO3's `PanicException` traceback."""
        try:
            return super().invoke(ctx)
        except BaseException as error:
            if type(error).__name__ != "PanicException":
                raise
            from barter_python.cli.common import fail

            fail(f"an internal failure stopped the command (please report it): {error}")


@click.group(cls=_Commands)
@click.version_option(__version__, prog_name="barter-python")
def main() -> None:
    """barter-python: barter's trading logic for Python books."""
