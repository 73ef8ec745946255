"""Flatten a book: the exact orders barter sends to close every open position.

A copyable starting point for a risk script: load snapshots, pick what to close, get barter's
orders, hand them to your execution layer. Type-checks under `mypy --strict`.
"""

from __future__ import annotations

import itertools
import json
from importlib.resources import files

from barter_python import (
    ClientOrderId,
    ExchangeId,
    InstrumentFilter,
    InstrumentSnapshot,
    OrderRequestOpen,
    close_open_positions_with_market_orders,
)


def load_sample_book() -> list[InstrumentSnapshot]:
    """The 12-instrument sample book bundled with the package."""
    text = files("barter_python").joinpath("data/sample_book.json").read_text()
    return [InstrumentSnapshot.model_validate(item) for item in json.loads(text)]


def describe(order: OrderRequestOpen) -> str:
    key, state = order.key, order.state
    notional = state.price * state.quantity
    return (
        f"{key.exchange.value:<13} {key.instrument:<10} {state.side.value:<4} "
        f"{state.quantity:>10} @ {state.price:<10} notional {notional:<14} cid {key.cid}"
    )


def main() -> None:
    book = load_sample_book()

    # Deterministic client order ids, numbered in the order the orders come back (input order).
    numbers = itertools.count(1)

    def gen_cid(snapshot: InstrumentSnapshot) -> ClientOrderId:
        return ClientOrderId(f"flatten-{next(numbers):04d}")

    cancels, opens = close_open_positions_with_market_orders("risk-flatten", book, gen_cid)
    print(f"everything: {len(opens)} orders, {len(cancels)} cancels")
    for order in opens:
        print("  " + describe(order))

    # Only one exchange, with barter's random client order ids.
    _, kraken = close_open_positions_with_market_orders(
        "risk-flatten", book, filter=InstrumentFilter.exchanges(ExchangeId.KRAKEN)
    )
    print(f"kraken only: {len(kraken)} orders")
    for order in kraken:
        print("  " + order.to_json())


if __name__ == "__main__":
    main()
