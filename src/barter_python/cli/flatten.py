"""`barter-python flatten BOOK`: the orders barter's `close_open_positions_with_market_orders`
sends to close every open position of a book, read and closed natively (no Python object per
row or order), written as barter's serde JSON or a table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import click

from barter_python import _native
from barter_python._native import InstrumentFilter
from barter_python.book_file import BookFile, sample_book_text
from barter_python.cli.common import fail, open_output, read_book_argument
from barter_python.errors import BarterPythonError, BookError, CommandLineError, MissingPriceError
from barter_python.instrument import ExchangeId

__all__ = ["flatten"]


def _underlying(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        base, slash, quote = value.partition("/")
        if not slash or not base or not quote:
            raise click.BadParameter(f"{value!r} is not BASE/QUOTE (e.g. btc/usdt)")
        pairs.append((base, quote))
    return pairs


@click.command()
@click.argument("book", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--sample", is_flag=True, help="Use the bundled 12-instrument sample book.")
@click.option(
    "--print-sample",
    type=click.Choice(["json", "csv"]),
    default=None,
    help="Print the bundled sample book in this format (a template to edit) and exit.",
)
@click.option(
    "--strategy",
    "strategy_id",
    default="flatten",
    show_default=True,
    help="StrategyId of the orders.",
)
@click.option(
    "--exchange",
    "exchanges",
    multiple=True,
    type=click.Choice([e.value for e in ExchangeId], case_sensitive=False),
    metavar="EXCHANGE",
    show_choices=False,
    help="Only these exchanges (repeatable, any case).",
)
@click.option(
    "--instrument",
    "instruments",
    multiple=True,
    metavar="NAME",
    help="Only these instrument names, on every exchange (repeatable).",
)
@click.option(
    "--underlying",
    "underlyings",
    multiple=True,
    metavar="BASE/QUOTE",
    callback=_underlying,
    help="Only this BASE/QUOTE, on every exchange (repeatable).",
)
@click.option(
    "--on-missing-price",
    type=click.Choice(["raise", "skip"]),
    default="raise",
    show_default=True,
    help="An open position without a price: fail, or leave it open as barter does.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "jsonl", "json"]),
    default=None,
    help="Output: a table (default on a terminal), or barter's serde JSON one order per line "
    "(default otherwise) or as one array.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    help="Write the orders here instead of stdout.",
)
@click.option(
    "--cid-prefix",
    default=None,
    help="Deterministic client order ids PREFIX-0001, ... instead of barter's random ones.",
)
@click.option(
    "--input-format",
    type=click.Choice(["json", "csv"]),
    default=None,
    help="Book format; default: from the extension, or JSON if it starts with '[' or '{'.",
)
@click.option("--quiet", "-q", is_flag=True, help="No summary on stderr.")
def flatten(
    book: str | None,
    sample: bool,
    print_sample: Literal["json", "csv"] | None,
    strategy_id: str,
    exchanges: tuple[str, ...],
    instruments: tuple[str, ...],
    underlyings: list[tuple[str, str]],
    on_missing_price: Literal["raise", "skip"],
    output_format: Literal["table", "jsonl", "json"] | None,
    output: str,
    cid_prefix: str | None,
    input_format: Literal["json", "csv"] | None,
    quiet: bool,
) -> None:
    """Print the orders that close every open position of BOOK (JSON or CSV; '-' for stdin).

    A JSON book is an array of InstrumentSnapshot objects. A CSV book has the header

    \b
        exchange,instrument,base,quote,price,side,quantity,price_entry_average

    where empty side and quantity mean no position (price_entry_average may be left out).
    `--print-sample csv` prints a complete example.
    """
    if print_sample is not None:
        click.echo(sample_book_text(print_sample), nl=False)
        return
    try:
        loaded = read_book_argument(book, sample, input_format)
        # Natively from the rows to barter's JSON: no Python object per row or order.
        flattened = _native.flatten(
            loaded.rows,
            strategy_id,
            _filter(exchanges, instruments, underlyings),
            cid_prefix,
            on_missing_price == "skip",
        )
        stream = open_output(output)
    except MissingPriceError as error:
        fail(_unpriced(loaded, error.indices))
    except (BarterPythonError, ValueError, TypeError) as error:
        fail(str(error))

    with stream:
        fmt = output_format or ("table" if stream.isatty() else "jsonl")
        if fmt == "table":
            stream.writelines(_table(flattened.table_rows()))
        else:
            stream.flush()
            flattened.write(stream.buffer, fmt)
    if not quiet:
        click.echo(_summary(flattened, len(loaded.rows)), err=True)


def _unpriced(book: BookFile, indices: Sequence[int]) -> str:
    """Every open position without a price, by file and line."""
    problems = [
        f"{book.where(i)}: instrument '{s.instrument}' on exchange '{s.exchange.value}' has an "
        "open position but no price"
        for i, s in ((i, book.snapshots[i]) for i in indices)
    ]
    hint = "give it a price" if len(problems) == 1 else "give them a price"
    error = BookError.of(book.source, problems, "open positions without a price")
    return f"{error}\n({hint}, or pass --on-missing-price skip to leave them open)"


def _filter(
    exchanges: tuple[str, ...], instruments: tuple[str, ...], underlyings: list[tuple[str, str]]
) -> InstrumentFilter | None:
    given = [bool(exchanges), bool(instruments), bool(underlyings)]
    if sum(given) > 1:
        raise CommandLineError(
            "barter's InstrumentFilter is one kind: "
            "use --exchange, --instrument or --underlying, not several"
        )
    if exchanges:
        return InstrumentFilter.exchanges(*exchanges)
    if instruments:
        return InstrumentFilter.instruments(*instruments)
    if underlyings:
        return InstrumentFilter.underlyings(*underlyings)
    return None


def _table(rows: list[list[str]]) -> Iterable[str]:
    """A plain text table, one line per order: fast for any number of orders."""
    header = ["exchange", "instrument", "side", "quantity", "price", "notional", "cid"]
    rows = [header, *rows]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    right = {3, 4, 5}  # numbers align on the right
    for row in rows:
        cells = (
            cell.rjust(width) if column in right else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        yield "  ".join(cells).rstrip() + "\n"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _summary(flattened: _native.Flattened, in_book: int) -> str:
    """`N orders for K open positions in M instruments[ of T]; U left open for want of a price;
    notional: 1.50 usd, 2 usdt` (counts are of what the filter selected)."""
    scope = _plural(in_book, "instrument")
    if flattened.selected != in_book:
        scope = f"{flattened.selected} of {scope} (filtered)"
    unpriced = flattened.unpriced
    skipped = f"; {unpriced} skipped for want of a price" if unpriced else ""
    positions = _plural(flattened.open_positions, "open position")
    return (
        f"{_plural(len(flattened), 'order')} for {positions} in {scope}{skipped}; "
        f"notional: {', '.join(flattened.totals()) or 'none'}"
    )
