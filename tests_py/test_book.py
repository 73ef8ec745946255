"""`Book`: barter's state kept across calls gives the stateless function's results, after any
sequence of updates and price changes (a property test), and refuses what it cannot hold."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from barter_python import (
    Book,
    ClientOrderId,
    DuplicateInstrumentError,
    ExchangeId,
    InstrumentFilter,
    InstrumentSnapshot,
    MissingPriceError,
    UnknownInstrumentError,
    close_open_positions_with_market_orders,
)

EXCHANGES = ["okx", "kraken"]
NAMES = ["btc_usdt", "eth_usdt", "sol_usdt"]


def snapshot(exchange: str, name: str, price: int | None, side: str | None, qty: int) -> Any:
    data: dict[str, Any] = {
        "exchange": exchange, "instrument": name, "base": name[:3], "quote": "usdt",
        "price": price,
    }  # fmt: skip
    if side is not None:
        data["position"] = {"instrument": name, "side": side, "quantity": qty}
    return InstrumentSnapshot.model_validate(data)


instrument_states = st.tuples(
    st.one_of(st.none(), st.integers(min_value=1, max_value=10**6)),
    st.one_of(st.none(), st.sampled_from(["Buy", "Sell"])),
    st.integers(min_value=0, max_value=100),
)


def numbered() -> Any:
    numbers = itertools.count(1)
    return lambda snap: ClientOrderId(f"{snap.exchange.value}-{snap.instrument}-{next(numbers)}")


def same_orders(book: Book, snapshots: list[InstrumentSnapshot], **kwargs: Any) -> None:
    """The kept book's orders equal the stateless function's on the same snapshots."""
    try:
        expected = close_open_positions_with_market_orders("s", snapshots, numbered(), **kwargs)
    except MissingPriceError as error:
        with pytest.raises(MissingPriceError) as info:
            book.close_open_positions_with_market_orders("s", numbered(), **kwargs)
        assert info.value.indices == error.indices
        return
    got = book.close_open_positions_with_market_orders("s", numbered(), **kwargs)
    assert got == expected


@given(
    st.lists(instrument_states, min_size=6, max_size=6),
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=5), instrument_states, st.booleans()),
        max_size=8,
    ),
    st.sampled_from(["raise", "skip"]),
)
def test_a_kept_book_closes_as_the_stateless_function(
    initial: list[Any], changes: list[Any], on_missing: Any
) -> None:
    keys = [(e, n) for e in EXCHANGES for n in NAMES]
    snapshots = [snapshot(e, n, *state) for (e, n), state in zip(keys, initial, strict=True)]
    book = Book(snapshots)
    same_orders(book, snapshots, on_missing_price=on_missing)
    for at, (price, side, qty), price_only in changes:
        exchange, name = keys[at]
        if price_only:
            if price is None:
                continue
            book.set_prices({(exchange, name): price})
            snapshots[at] = snapshots[at].model_copy(update={"price": Decimal(price)})
        else:
            snapshots[at] = snapshot(exchange, name, price, side, qty)
            book.update([snapshots[at]])
        same_orders(book, snapshots, on_missing_price=on_missing)
        same_orders(book, snapshots, on_missing_price="skip",
                    filter=InstrumentFilter.exchanges(ExchangeId.OKX))  # fmt: skip


def test_gen_cid_sees_the_current_snapshot() -> None:
    book = Book([snapshot("okx", "btc_usdt", 100, "Buy", 2)])
    book.set_prices({("OKX", "BTC_USDT"): 101})
    seen: list[InstrumentSnapshot] = []

    def gen_cid(snap: InstrumentSnapshot) -> str:
        seen.append(snap)
        return "c1"

    _, [order] = book.close_open_positions_with_market_orders("s", gen_cid)
    assert order.state.price == 101 and seen[0].price == 101
    assert (str(order.key.cid), len(book)) == ("c1", 1)


def test_errors_change_nothing() -> None:
    book = Book([snapshot("okx", "btc_usdt", 100, "Buy", 2)])
    with pytest.raises(UnknownInstrumentError, match="'eth_usdt' on exchange 'okx'"):
        book.update(
            [snapshot("okx", "btc_usdt", 1, None, 0), snapshot("okx", "eth_usdt", 1, None, 0)]
        )
    with pytest.raises(ValueError, match="price must be > 0"):
        book.set_prices({("okx", "btc_usdt"): 0})
    other = InstrumentSnapshot(exchange="okx", instrument="btc_usdt", base="x", quote="usdt")
    with pytest.raises(ValueError, match="build a new Book"):
        book.update([other])
    _, [order] = book.close_open_positions_with_market_orders("s")
    assert (order.state.price, order.state.quantity) == (Decimal(100), Decimal(2))
    with pytest.raises(DuplicateInstrumentError):
        Book([snapshot("okx", "btc_usdt", 1, None, 0)] * 2)
    with pytest.raises(TypeError):
        book.set_prices([("okx", "btc_usdt", 1)])  # type: ignore[arg-type]


def large_book(states: list[Any]) -> list[InstrumentSnapshot]:
    """More instruments than the stateless close puts in one part (it closes in parts of 1,024):
    names repeat across exchanges and bases repeat across names."""
    return [
        InstrumentSnapshot.model_validate(
            {
                "exchange": EXCHANGES[i % 2],
                "instrument": f"c{i // 2}_usdt",
                "base": f"c{i // 6}",
                "quote": "usdt",
                "price": price,
                **(
                    {"position": {"instrument": f"c{i // 2}_usdt", "side": side, "quantity": qty}}
                    if side is not None
                    else {}
                ),
            }
        )
        for i, (price, side, qty) in enumerate(states)
    ]


FILTERS = st.one_of(
    st.none(),
    st.just(InstrumentFilter.exchanges(ExchangeId.KRAKEN)),
    st.lists(st.integers(0, 1299), min_size=1, max_size=4).map(
        lambda ns: InstrumentFilter.instruments(*(f"c{n}_usdt" for n in ns))
    ),
    st.lists(st.integers(0, 433), min_size=1, max_size=4).map(
        lambda ns: InstrumentFilter.underlyings(*((f"c{n}", "usdt") for n in ns))
    ),
)


@settings(max_examples=15)
@given(st.integers(0, 2**32), FILTERS)
def test_a_book_closed_in_parts_gives_the_whole_books_orders(
    seed: int, filter: InstrumentFilter | None
) -> None:
    """The stateless close builds barter's state part by part; the kept Book holds the whole
    book's: orders, missing prices and refusals are the same."""
    rng = random.Random(seed)
    states = [
        (
            None if rng.random() < 0.05 else rng.randint(1, 10**6),
            rng.choice([None, "Buy", "Sell", "Sell"]),
            rng.choice([0, 1, 7, 100]),
        )
        for _ in range(2600)
    ]
    snapshots = large_book(states)
    book = Book(snapshots)
    same_orders(book, snapshots, filter=filter)
    same_orders(book, snapshots, filter=filter, on_missing_price="skip")


def test_a_repeat_or_an_unknown_name_across_parts_is_refused_as_for_the_whole_book() -> None:
    snapshots = large_book([(1, "Buy", 1)] * 2600)
    repeated = [*snapshots, snapshots[3]]
    with pytest.raises(DuplicateInstrumentError) as whole:
        Book(repeated)
    with pytest.raises(DuplicateInstrumentError) as parts:
        close_open_positions_with_market_orders("s", repeated)
    assert str(parts.value) == str(whole.value)
    assert parts.value.indices == whole.value.indices == [3, 2600]
    for unknown in (
        InstrumentFilter.instruments("c0_usdt", "x"),
        InstrumentFilter.underlyings(("c0", "eur")),
    ):
        with pytest.raises(UnknownInstrumentError):
            close_open_positions_with_market_orders("s", snapshots, filter=unknown)


def test_a_repeat_barter_sees_through_its_own_lowercasing_is_refused_across_parts() -> None:
    """A constructed (unvalidated) snapshot keeps its upper case: barter's lowercasing, not a
    character-wise one, decides (a final sigma)."""
    name = "abcdefghijklmnopqrstuvwxyz\u03c2"
    snapshots = large_book([(1, "Buy", 1)] * 1100)
    shouting = snapshots[0].model_construct(
        **{**dict(snapshots[0]), "instrument": name.upper()[:-1] + "\u03a3", "position": None}
    )
    book = [shouting, *snapshots[1:], snapshots[0].model_copy(update={"instrument": name})]
    book[-1] = book[-1].model_copy(update={"position": None})
    with pytest.raises(DuplicateInstrumentError) as whole:
        Book(book)
    with pytest.raises(DuplicateInstrumentError) as parts:
        close_open_positions_with_market_orders("s", book)
    assert parts.value.indices == whole.value.indices == [0, 1100]


def test_orders_stay_out_of_the_cyclic_garbage_collector() -> None:
    """An order holds no Python object: it is left untracked (as CPython leaves a tuple of
    atomic values), so a 100k-order result sets off no collection of the whole heap."""
    import gc

    snapshots = large_book([(1, "Buy", 1)] * 4)
    for orders in (
        close_open_positions_with_market_orders("s", snapshots)[1],
        Book(snapshots).close_open_positions_with_market_orders("s")[1],
    ):
        assert len(orders) == 4
        assert not any(gc.is_tracked(order) for order in orders)
