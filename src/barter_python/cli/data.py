"""`barter-python data`: a market-data catalog from the shell. `data import binance|tardis
FILES... --catalog DIR` streams vendor files into it (`Catalog.import_binance` /
`import_tardis`) with a progress bar on stderr; `data ls DIR` lists its day files."""

from __future__ import annotations

import os
import sys
from typing import Literal

import click

from barter_python.cli.common import fail
from barter_python.errors import BarterPythonError, CommandLineError
from barter_python.market import BinanceKind, Catalog, CatalogEntry, ImportProgress, Order

__all__ = ["data"]


@click.group()
def data() -> None:
    """A market-data catalog: Parquet files by exchange, instrument, kind and day."""


@data.command("import")
@click.argument("vendor", type=click.Choice(["binance", "tardis"]))
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--catalog", "root", required=True, metavar="DIR", help="The catalog's folder.")
@click.option(
    "--kind",
    type=click.Choice(["trades", "agg_trades", "klines", "book_ticker"]),
    default=None,
    help="binance: the kind of the files (Tardis files name theirs in the header).",
)
@click.option(
    "--instrument",
    default=None,
    metavar="NAME",
    help="The SDK instrument of every row (binance; tardis: a one-symbol file).",
)
@click.option(
    "--symbol",
    "symbols",
    multiple=True,
    metavar="SYMBOL=NAME",
    help="tardis: the SDK instrument of a vendor symbol (repeatable).",
)
@click.option("--exchange", default=None, help="The exchange (binance: binance_spot by default).")
@click.option(
    "--order",
    type=click.Choice(["check", "sort", "as_is"]),
    default="check",
    show_default=True,
    help="Time order of the rows: refuse a backward step, sort each day, or keep the files'.",
)
@click.option("--replace", is_flag=True, help="Replace days the catalog holds with other content.")
def import_(
    vendor: Literal["binance", "tardis"],
    files: tuple[str, ...],
    root: str,
    kind: BinanceKind | None,
    instrument: str | None,
    symbols: tuple[str, ...],
    exchange: str | None,
    order: Order,
    replace: bool,
) -> None:
    """Stream vendor FILES (plain, .gz or .zip; read as one source, in the order given) into
    the catalog at DIR: every file of the import is written, or none. Examples:

    \b
        barter-python data import binance BTCUSDT-aggTrades-2024-03-0*.zip \\
            --catalog data/ --kind agg_trades --instrument btc_usdt
        barter-python data import tardis binance_trades_2024-03-01_BTCUSDT.csv.gz \\
            --catalog data/ --symbol BTCUSDT=btc_usdt
    """
    try:
        for path in files:
            if not os.path.isfile(path):
                raise CommandLineError(f"{path}: no such file")
        catalog = Catalog(root)
        progress = _progress_bar(files)
        if vendor == "binance":
            if kind is None or instrument is None or symbols:
                raise CommandLineError("binance: give --kind and --instrument (not --symbol)")
            entries = catalog.import_binance(
                files,
                kind=kind,
                instrument=instrument,
                exchange=exchange or "binance_spot",
                order=order,
                replace=replace,
                progress=progress,
            )
        else:
            if kind is not None or (instrument is None) == (not symbols):
                raise CommandLineError(
                    "tardis: give --instrument NAME or --symbol SYMBOL=NAME ... (not --kind: "
                    "the header names the kind)"
                )
            entries = catalog.import_tardis(
                files,
                instruments=instrument or _symbols(symbols),
                exchange=exchange,
                order=order,
                replace=replace,
                progress=progress,
            )
    except (BarterPythonError, ValueError, OSError) as error:
        fail(str(error))
    events = sum(entry.events for entry in entries)
    click.echo(f"{len(entries)} day files, {events:,} events in {root}")


@data.command("ls")
@click.argument("root", metavar="DIR")
def ls(root: str) -> None:
    """List the day files of the catalog at DIR: exchange, instrument, kind, date, events,
    the first and last exchange times, and the file's size."""
    try:
        if not os.path.isdir(root):
            raise CommandLineError(f"{root}: no such folder")
        entries = Catalog(root).entries()
    except (BarterPythonError, ValueError, OSError) as error:
        fail(str(error))
    click.echo(_table(entries), nl=False)


def _symbols(values: tuple[str, ...]) -> dict[str, str]:
    symbols = {}
    for value in values:
        symbol, equals, name = value.partition("=")
        if not (equals and symbol and name):
            raise CommandLineError(f"--symbol {value!r} is not SYMBOL=NAME (e.g. BTCUSDT=btc_usdt)")
        symbols[symbol] = name
    return symbols


def _table(entries: list[CatalogEntry]) -> str:
    header = ("exchange", "instrument", "kind", "date", "events", "first", "last", "bytes")
    rows = [header] + [
        (
            entry.exchange.value,
            entry.instrument,
            entry.kind,
            entry.date.isoformat(),
            f"{entry.events:,}",
            entry.first.isoformat(),
            entry.last.isoformat(),
            f"{entry.bytes:,}",
        )
        for entry in entries
    ]
    widths = [max(len(row[at]) for row in rows) for at in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines) + f"\n{len(entries)} files\n"


def _progress_bar(files: tuple[str, ...]) -> ImportProgress:
    """A progress bar on stderr: the stage, files done and bytes read (in place on a terminal,
    a line per file otherwise)."""
    sizes = [os.path.getsize(path) for path in files]
    total = sum(sizes)
    terminal = sys.stderr.isatty()

    def report(stage: str, done: int) -> None:
        read = sum(sizes[:done])
        width = 30
        filled = width * read // max(total, 1)
        bar = f"{stage:8} [{'#' * filled}{'.' * (width - filled)}] {done}/{len(files)} files, "
        line = f"{bar}{read / 1e6:,.1f}/{total / 1e6:,.1f} MB"
        sys.stderr.write(f"\r{line}" if terminal else f"{line}\n")
        if terminal and done == len(files):
            sys.stderr.write("\n")
        sys.stderr.flush()

    return report
