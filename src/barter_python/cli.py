"""`barter-python`: the SDK from the shell.

`barter-python flatten BOOK` prints the orders barter's `close_open_positions_with_market_orders`
sends to close every open position of a book. User errors exit with status 2 and a message on
stderr naming the file and line, never a traceback, and nothing on stdout.
"""

from __future__ import annotations

import itertools
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Literal, NoReturn

import click

from barter_python import _native
from barter_python._version import __version__
from barter_python.book import BookFile, read_book, sample_book_text
from barter_python.errors import BarterPythonError, BookError, MissingPriceError
from barter_python.instrument import ExchangeId
from barter_python.order import ClientOrderId, OrderRequestOpen
from barter_python.snapshot import InstrumentSnapshot
from barter_python.strategy import InstrumentFilter, close_open_positions_with_market_orders

__all__ = ["main"]

EXIT_USER_ERROR = 2


@click.group()
@click.version_option(__version__, prog_name="barter-python")
def main() -> None:
    """barter-python: barter's trading logic for Python books."""


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


@main.command()
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
        loaded = _read_book(book, sample, input_format)
        filter = _filter(exchanges, instruments, underlyings)
        snapshots = loaded.snapshots
        selected = _native.strategy.select_instruments(snapshots, filter)
        gen_cid = _numbered_cids(cid_prefix) if cid_prefix is not None else None
        _, opens = close_open_positions_with_market_orders(
            strategy_id, snapshots, gen_cid, filter=filter, on_missing_price=on_missing_price
        )
        stream = _open_output(output)
    except MissingPriceError as error:
        _fail(_unpriced(loaded, error.indices))
    except (BarterPythonError, ValueError, TypeError) as error:
        _fail(str(error))

    quotes = {(s.exchange, s.instrument): s.quote for s in snapshots}
    with stream:
        fmt = output_format or ("table" if stream.isatty() else "jsonl")
        _write(stream, fmt, opens, quotes)
    if not quiet:
        summary = _summary([snapshots[i] for i in selected], len(snapshots), opens, quotes)
        click.echo(summary, err=True)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USER_ERROR)


def _read_book(
    book: str | None, sample: bool, input_format: Literal["json", "csv"] | None
) -> BookFile:
    if sample == (book is not None):
        raise BookError("give either a BOOK file ('-' for stdin) or --sample")
    if book is None:
        return read_book("sample_book.json", sample_book_text(), "json")
    if book == "-":
        return read_book("<stdin>", sys.stdin.buffer.read(), input_format)
    try:
        data = Path(book).read_bytes()
    except FileNotFoundError:
        raise BookError(f"{book}: no such file") from None
    except OSError as error:
        raise BookError(f"{book}: cannot read: {error.strerror or error}") from None
    return read_book(book, data, input_format)


def _open_output(output: str) -> IO[str]:
    if output == "-":
        return sys.stdout
    try:
        return open(output, "w", encoding="utf-8")
    except OSError as error:
        raise BookError(f"--output {output}: cannot write: {error.strerror or error}") from None


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
        raise BookError(
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


def _numbered_cids(prefix: str) -> Callable[[InstrumentSnapshot], ClientOrderId]:
    """`PREFIX-0001`, `PREFIX-0002`, ... in output order (gen_cid is called in input order)."""
    numbers = itertools.count(1)
    return lambda _snapshot: ClientOrderId(f"{prefix}-{next(numbers):04d}")


Quotes = dict[tuple[ExchangeId, str], str]


def _notional(order: OrderRequestOpen) -> Decimal:
    return order.state.price * order.state.quantity


Formatter = Callable[[Decimal], str]


def _fixed(amounts: Iterable[Decimal]) -> Formatter:
    """Formats amounts with the decimals of the most precise one: aligned, never rounded."""
    scale = max((-int(a.normalize().as_tuple().exponent) for a in amounts), default=0)
    places = max(scale, 0)
    return lambda amount: f"{amount:.{places}f}"


def _write(stream: IO[str], fmt: str, opens: list[OrderRequestOpen], quotes: Quotes) -> None:
    if fmt == "jsonl":
        stream.writelines(order.to_json() + "\n" for order in opens)
    elif fmt == "json":
        # Each element is barter's serde JSON, byte for byte.
        stream.write("[" + ",".join(order.to_json() for order in opens) + "]\n")
    else:
        stream.writelines(_table(opens, quotes))


def _notional_formats(opens: list[OrderRequestOpen], quotes: Quotes) -> dict[str, Formatter]:
    """Per quote asset, one format for every notional in it (and their total)."""
    by_quote: defaultdict[str, list[Decimal]] = defaultdict(list)
    for order in opens:
        by_quote[quotes[(order.key.exchange, order.key.instrument)]].append(_notional(order))
    return {quote: _fixed(amounts) for quote, amounts in by_quote.items()}


def _table(opens: list[OrderRequestOpen], quotes: Quotes) -> Iterable[str]:
    """A plain text table, one line per order: fast for any number of orders."""
    fixed = _notional_formats(opens, quotes)
    notionals = [_notional(order) for order in opens]
    quote_of = [quotes[(o.key.exchange, o.key.instrument)] for o in opens]
    header = ("exchange", "instrument", "side", "quantity", "price", "notional", "cid")
    rows = [header] + [
        (
            o.key.exchange.value,
            o.key.instrument,
            o.state.side.value,
            str(o.state.quantity),
            str(o.state.price),
            f"{fixed[quote](notional)} {quote}",
            str(o.key.cid),
        )
        for o, notional, quote in zip(opens, notionals, quote_of, strict=True)
    ]
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


def _summary(
    selected: list[InstrumentSnapshot],
    in_book: int,
    opens: list[OrderRequestOpen],
    quotes: Quotes,
) -> str:
    """`N orders for K open positions in M instruments[ of T]; U left open for want of a price;
    notional: 1.50 usd, 2 usdt` (counts are of what the filter selected)."""
    open_positions = [s for s in selected if s.position is not None and s.position.quantity > 0]
    unpriced = sum(1 for s in open_positions if s.price is None)
    notional: defaultdict[str, Decimal] = defaultdict(Decimal)
    for order in opens:
        notional[quotes[(order.key.exchange, order.key.instrument)]] += _notional(order)
    fixed = _notional_formats(opens, quotes)
    totals = ", ".join(
        f"{fixed[quote](total)} {quote}" for quote, total in sorted(notional.items())
    )
    scope = _plural(in_book, "instrument")
    if len(selected) != in_book:
        scope = f"{len(selected)} of {scope} (filtered)"
    skipped = f"; {unpriced} skipped for want of a price" if unpriced else ""
    return (
        f"{_plural(len(opens), 'order')} for {_plural(len(open_positions), 'open position')} "
        f"in {scope}{skipped}; notional: {totals or 'none'}"
    )
