"""What the `barter-python` commands share: how a user error ends the command, how a book
argument is read and where output goes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal, NoReturn, TextIO

import click

from barter_python.book_file import BookFile, read_book, sample_book_text
from barter_python.errors import BookError

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
        raise BookError("give either a BOOK file ('-' for stdin) or --sample")
    if book is None:
        return read_book("sample_book.csv", sample_book_text("csv"), "csv")
    if book == "-":
        return read_book("<stdin>", sys.stdin.buffer.read(), input_format)
    try:
        data = Path(book).read_bytes()
    except FileNotFoundError:
        raise BookError(f"{book}: no such file") from None
    except OSError as error:
        raise BookError(f"{book}: cannot read: {error.strerror or error}") from None
    return read_book(book, data, input_format)


def open_output(output: str) -> TextIO:
    """The --output argument opened for writing ('-' is stdout)."""
    if output == "-":
        return sys.stdout
    try:
        return open(output, "w", encoding="utf-8")
    except OSError as error:
        raise BookError(f"--output {output}: cannot write: {error.strerror or error}") from None
