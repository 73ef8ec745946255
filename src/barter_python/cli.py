"""`barter-python`: the SDK from the shell.

`barter-python flatten BOOK` prints the orders barter's `close_open_positions_with_market_orders`
sends to close every open position of a book. User errors exit with status 2 and a message on
stderr, never a traceback, and nothing on stdout.
"""

from __future__ import annotations

import itertools
import sys
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import IO, Literal

import click
from rich.console import Console
from rich.table import Table

from barter_python.book import BookError, load_book, sample_book_text
from barter_python.errors import BarterPythonError
from barter_python.instrument import ExchangeId
from barter_python.order import ClientOrderId, OrderRequestOpen
from barter_python.snapshot import InstrumentSnapshot
from barter_python.strategy import InstrumentFilter, close_open_positions_with_market_orders

__all__ = ["main"]

EXIT_USER_ERROR = 2


@click.group()
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
    type=click.Choice([e.value for e in ExchangeId]),
    metavar="EXCHANGE",
    show_choices=False,
    help="Only these exchanges (repeatable).",
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
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
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
def flatten(
    book: str | None,
    sample: bool,
    strategy_id: str,
    exchanges: tuple[str, ...],
    instruments: tuple[str, ...],
    underlyings: list[tuple[str, str]],
    on_missing_price: Literal["raise", "skip"],
    output_format: Literal["table", "jsonl", "json"] | None,
    output: str,
    cid_prefix: str | None,
    input_format: Literal["json", "csv"] | None,
) -> None:
    """Print the orders that close every open position of BOOK (JSON or CSV; '-' for stdin).

    A JSON book is an array of InstrumentSnapshot objects. A CSV book has the header

    \b
        exchange,instrument,base,quote,price,side,quantity,price_entry_average

    where empty side and quantity mean no position.
    """
    try:
        snapshots = _read_book(book, sample, input_format)
        filter = _filter(exchanges, instruments, underlyings)
        gen_cid = _numbered_cids(cid_prefix) if cid_prefix is not None else None
        _, opens = close_open_positions_with_market_orders(
            strategy_id, snapshots, gen_cid, filter=filter, on_missing_price=on_missing_price
        )
    except (BarterPythonError, ValueError, TypeError, OSError) as error:
        message = str(error)
        if "on_missing_price" in message:
            message = message.replace(
                'pass on_missing_price="skip"', "pass --on-missing-price skip"
            )
        click.echo(f"error: {message}", err=True)
        sys.exit(EXIT_USER_ERROR)

    quotes = {(s.exchange, s.instrument.lower()): s.quote for s in snapshots}
    with click.open_file(output, "w") as stream:
        fmt = output_format or ("table" if stream.isatty() else "jsonl")
        _write(stream, fmt, opens, quotes)
    click.echo(_summary(snapshots, opens, quotes), err=True)


def _read_book(
    book: str | None, sample: bool, input_format: Literal["json", "csv"] | None
) -> list[InstrumentSnapshot]:
    if sample == (book is not None):
        raise BookError("give either a BOOK file ('-' for stdin) or --sample")
    if book is None:
        return load_book("sample_book.json", sample_book_text(), "json")
    with click.open_file(book, "r") as stream:
        text = stream.read()
    return load_book("<stdin>" if book == "-" else book, text, input_format)


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


def _write(stream: IO[str], fmt: str, opens: list[OrderRequestOpen], quotes: Quotes) -> None:
    if fmt == "jsonl":
        stream.writelines(order.to_json() + "\n" for order in opens)
    elif fmt == "json":
        # Each element is barter's serde JSON, byte for byte.
        stream.write("[" + ",".join(order.to_json() for order in opens) + "]\n")
    else:
        table = Table("exchange", "instrument", "side", "quantity", "price", "notional", "cid")
        for column in table.columns[3:6]:
            column.justify = "right"
        for order in opens:
            key, state = order.key, order.state
            quote = quotes[(key.exchange, key.instrument)]
            table.add_row(
                key.exchange.value,
                key.instrument,
                state.side.value,
                str(state.quantity),
                str(state.price),
                f"{_notional(order)} {quote}",
                str(key.cid),
            )
        Console(file=stream, width=max(Console(file=stream).width, 110)).print(table)


def _summary(
    snapshots: list[InstrumentSnapshot], opens: list[OrderRequestOpen], quotes: Quotes
) -> str:
    """`N orders; K open positions skipped (no price); notional: 1.5 usd, 2 usdt`."""
    open_positions = sum(1 for s in snapshots if s.position is not None and s.position.quantity > 0)
    unpriced = sum(
        1
        for s in snapshots
        if s.position is not None and s.position.quantity > 0 and s.price is None
    )
    notional: defaultdict[str, Decimal] = defaultdict(Decimal)
    for order in opens:
        notional[quotes[(order.key.exchange, order.key.instrument)]] += _notional(order)
    totals = ", ".join(f"{amount} {quote}" for quote, amount in sorted(notional.items()))
    return (
        f"{len(opens)} orders for {open_positions} open positions in {len(snapshots)} "
        f"instruments; {unpriced} skipped for want of a price; notional: {totals or 'none'}"
    )
