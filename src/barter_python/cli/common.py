"""What the `barter-python` commands share: how a user error ends the command, how a book
argument is read, where output goes, and how a strategy is named and built."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NoReturn, TextIO

import click

from barter_python.book_file import BookFile, read_book, sample_book_text
from barter_python.errors import CommandLineError

if TYPE_CHECKING:
    from barter_python.strategy import Strategy

EXIT_USER_ERROR = 2


def fail(message: str) -> NoReturn:
    """End the command on a user error: one line on stderr, status 2, no traceback."""
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USER_ERROR)


def read_book_argument(
    book: str | None, sample: bool, input_format: Literal["json", "csv"] | None
) -> BookFile:
    """The BOOK argument (a path, or '-' for stdin) or the bundled sample, read."""
    if sample == (book is not None):
        raise CommandLineError("give either a BOOK file ('-' for stdin) or --sample")
    if book is None:
        return read_book("sample_book.csv", sample_book_text("csv"), "csv")
    if book == "-":
        return read_book("<stdin>", sys.stdin.buffer.read(), input_format)
    try:
        data = Path(book).read_bytes()
    except FileNotFoundError:
        raise CommandLineError(f"{book}: no such file") from None
    except OSError as error:
        raise CommandLineError(f"{book}: cannot read: {error.strerror or error}") from None
    return read_book(book, data, input_format)


def open_output(output: str) -> TextIO:
    """The --output argument opened for writing ('-' is stdout)."""
    if output == "-":
        return sys.stdout
    try:
        return open(output, "w", encoding="utf-8")
    except OSError as error:
        raise CommandLineError(
            f"--output {output}: cannot write: {error.strerror or error}"
        ) from None


def parse_params(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> dict[str, object]:
    params: dict[str, object] = {}
    for value in values:
        name, equals, text = value.partition("=")
        if not equals or not name.isidentifier():
            raise click.BadParameter(f"{value!r} is not NAME=VALUE (e.g. fast=5)")
        try:
            params[name] = json.loads(text)
        except json.JSONDecodeError:
            params[name] = text
    return params


def load_strategy(spec: str, params: dict[str, object]) -> Strategy:
    """The class `spec` names, called with `params` as keyword arguments."""
    found = find_strategy_class(spec)
    arguments = ", ".join(f"{k}={v!r}" for k, v in params.items())
    try:
        return found(**params)
    except Exception as error:
        fail(
            f"--strategy {spec}: {spec.rpartition(':')[2]}({arguments}) failed: "
            f"{type(error).__name__}: {error}"
        )


def find_strategy_class(spec: str) -> type[Strategy]:
    """The class `spec` names: a module importable from the current directory (as `python -m`
    finds it) or installed, or a file."""
    from barter_python.strategy import strategy_class  # not for `flatten`: it loads Pydantic

    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    return strategy_class(spec, option="--strategy")
