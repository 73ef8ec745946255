"""L2 books as `MarketData` (spec §12): barter-data's `OrderBookEvent` (a `Snapshot` or an
`Update`), its levels held beside the 72-byte events; from Arrow tables, engine events and
Tardis's `incremental_book_L2` and `book_snapshot_N` files; what is refused, and how; the
arena carried through `to_arrow`, pickling, `merge`, `slice` and `sort`. Side-less trades
(Tardis `unknown`) too. Every expected number is worked by hand in the comments."""

from __future__ import annotations

import gzip
import pickle
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from market_rows import rows

from barter_python import ExchangeId, MarketDataError
from barter_python.backtest import BacktestConfig, MarketData, backtest
from barter_python.engine import DefaultStrategy, EngineEvent, EngineStateView, Requests
from barter_python.exchange import SimulatedExchange

pa = pytest.importorskip("pyarrow")

D = Decimal
T0 = datetime(2024, 3, 1, tzinfo=UTC)
T0_US = 1_709_251_200_000_000  # T0 in µs since the epoch
L2_HEADER = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount"
TRADES = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount"


def at(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms)


def levels(data: MarketData) -> list[tuple[int, bool, str | None, Decimal | None, Decimal | None]]:
    """`(message, is_snapshot, side, price, amount)` of each L2 row of `to_arrow`."""
    return [
        (r["message"], r["is_snapshot"], r["side"], r["price"], r["amount"])  # type: ignore[misc]
        for r in rows(data)
        if r["kind"] == "l2"
    ]


def book_table(**extra: list[Any]) -> Any:
    """A snapshot of two bids and one ask at 0 ms, then an update at 5 ms that deletes the bid
    at 99.5 and sets the ask at 100.5 to 3 (no `message` column: consecutive rows with the
    same time and `is_snapshot` are one message)."""
    columns: dict[str, list[Any]] = {
        "time": [at(0), at(0), at(0), at(5), at(5)],
        "side": ["bid", "bid", "ask", "bid", "ask"],
        "price": ["100", "99.5", "100.5", "99.5", "100.5"],
        "amount": ["2", "1", "1.25", "0", "3"],
        "is_snapshot": [True, True, True, False, False],
    }
    columns.update(extra)
    return pa.table(
        {k: pa.array([float(x) for x in v]) if k in {"price", "amount"} else v
         for k, v in columns.items()}
    )  # fmt: skip


def book() -> MarketData:
    return MarketData.from_arrow(book_table(), kind="l2", exchange="okx", instrument="btc_usdt")


# --- the kind, from Arrow and engine events ---------------------------------------------------


def test_an_l2_table_groups_rows_into_messages_and_round_trips_through_arrow() -> None:
    data = book()
    assert len(data) == 2  # two messages, five levels
    assert "2 l2 (5 levels)" in repr(data)
    assert levels(data) == [
        (0, True, "bid", D("100"), D("2")),
        (0, True, "bid", D("99.5"), D("1")),
        (0, True, "ask", D("100.5"), D("1.25")),
        (1, False, "bid", D("99.5"), D("0")),
        (1, False, "ask", D("100.5"), D("3")),
    ]
    assert MarketData.from_arrow(data.to_arrow()) == data
    table = data.to_arrow()
    assert table.schema.field("is_snapshot").type == pa.bool_()
    assert table.schema.field("message").type == pa.int64()
    assert table.schema.field("sequence").type == pa.uint64()


def test_a_message_column_groups_rows_whatever_their_times() -> None:
    # Messages 7, 7, 7 | 8 | 9: the update rows at 5 ms become two messages of one level.
    table = book_table(message=[7, 7, 7, 8, 9], sequence=[11, 11, 11, 12, 13])
    data = MarketData.from_arrow(table, kind="l2", exchange="okx", instrument="btc_usdt")
    assert len(data) == 3
    assert [r["sequence"] for r in rows(data)] == [11, 11, 11, 12, 13]
    assert [m for m, *_ in levels(data)] == [0, 0, 0, 1, 2]


def test_time_received_is_kept_and_mixed_kinds_round_trip() -> None:
    received = [at(1), at(1), at(1), at(7), at(7)]
    data = MarketData.from_arrow(
        book_table(time_received=received), kind="l2", exchange="okx", instrument="btc_usdt"
    )
    assert [r["time_received"] for r in rows(data)] == received
    trade = EngineEvent.trade("okx", "btc_usdt", "100", "0.5", "buy", at(3))
    mixed = data.merge(MarketData.from_events([trade]))
    # merge by time: snapshot (0 ms), the trade (3 ms), the update (5 ms).
    assert [r["kind"] for r in rows(mixed)] == ["l2"] * 3 + ["trade"] + ["l2"] * 2
    assert MarketData.from_arrow(mixed.to_arrow()) == mixed


def test_engine_events_make_the_same_books() -> None:
    events = [
        EngineEvent.l2("okx", "btc_usdt", [("100", "2"), ("99.5", "1")], [("100.5", "1.25")],
                       time=at(0)),
        EngineEvent.l2("okx", "btc_usdt", [("99.5", "0")], [("100.5", "3")], snapshot=False,
                       time=at(5)),
    ]  # fmt: skip
    assert MarketData.from_events(events) == book()
    assert "OrderBook" in repr(events[0])


def test_an_empty_message_is_one_row_without_a_level() -> None:
    empty = EngineEvent.l2("okx", "btc_usdt", [], [], time=at(0))
    data = MarketData.from_events([empty])
    assert levels(data) == [(0, True, None, None, None)]
    assert MarketData.from_arrow(data.to_arrow()) == data


# --- refused, naming field, instrument and row ------------------------------------------------


def refused(**extra: list[Any]) -> str:
    with pytest.raises(MarketDataError) as raised:
        MarketData.from_arrow(book_table(**extra), kind="l2", exchange="okx", instrument="btc_usdt")
    return str(raised.value)


def test_an_update_before_the_first_snapshot_is_refused() -> None:
    message = refused(is_snapshot=[False] * 5)
    assert "row 0: is_snapshot: an update before the instrument's first snapshot" in message
    assert "'btc_usdt' on 'okx'" in message


def test_a_crossed_or_locked_snapshot_is_refused() -> None:
    # The ask at 100 meets the best bid 100: locked.
    message = refused(price=["100", "99.5", "100", "99.5", "100.5"])
    assert "row 0: price: the snapshot is crossed or locked: best bid 100 >= best ask 100" in (
        message
    )


@pytest.mark.parametrize(
    ("column", "values", "expected"),
    [
        ("amount", ["2", "-1", "1.25", "0", "3"], "row 1: amount: must be >= 0"),
        ("amount", ["2", "nan", "1.25", "0", "3"], "row 1: amount: missing, got null"),
        ("price", ["100", "inf", "100.5", "99.5", "100.5"], "row 1: price: must be finite"),
        # 1e30 has no exact decimal in barter's range (28 digits).
        ("price", ["100", "1e30", "100.5", "99.5", "100.5"], "row 1: price:"),
        ("side", ["bid", "buy", "ask", "bid", "ask"], "row 1: side: must be 'bid' or 'ask'"),
        ("amount", ["0", "1", "1.25", "0", "3"], "row 0: amount: 0 at price 100 in a snapshot"),
    ],
)  # fmt: skip
def test_bad_levels_are_refused(column: str, values: list[str], expected: str) -> None:
    assert expected in refused(**{column: values})


def test_engine_event_l2_checks_its_levels() -> None:
    with pytest.raises(ValueError, match=r"bids\[0\] price must be > 0"):
        EngineEvent.l2("okx", "btc_usdt", [("0", "1")], [])
    with pytest.raises(ValueError, match="crossed or locked"):
        EngineEvent.l2("okx", "btc_usdt", [("101", "1")], [("100", "1")])
    # An update may cross for a moment (its other levels are elsewhere in the book).
    EngineEvent.l2("okx", "btc_usdt", [("101", "1")], [("100", "1")], snapshot=False)
    with pytest.raises(MarketDataError, match="event 0: is_snapshot: an update before"):
        MarketData.from_events([EngineEvent.l2("okx", "btc_usdt", [], [], snapshot=False)])


# --- the arena through pickling, merge, slice, sort --------------------------------------------

prices = st.integers(1, 10_000).map(lambda cents: Decimal(cents) / 100)
amounts = st.integers(0, 1_000).map(lambda lots: Decimal(lots) / 8)
sides = st.lists(st.tuples(prices, amounts), max_size=4)


@st.composite
def l2_data(draw: st.DrawFn) -> MarketData:
    """A snapshot of each of two instruments (bids below 100, asks above), then updates in
    random order and times."""
    events = []
    for name in ("btc_usdt", "eth_usdt"):
        bids = [(p, a + 1) for p, a in draw(sides) if p < 100]
        asks = [(p + 100, a + 1) for p, a in draw(sides)]
        events.append(EngineEvent.l2("okx", name, bids, asks, time=at(0)))
    for _ in range(draw(st.integers(0, 6))):
        name = draw(st.sampled_from(["btc_usdt", "eth_usdt"]))
        time = at(draw(st.integers(1, 50)))
        events.append(EngineEvent.l2("okx", name, draw(sides), draw(sides), snapshot=False,
                                     time=time, sequence=draw(st.integers(0, 2**40))))  # fmt: skip
    return MarketData.from_events(events, order="as_is")


@given(l2_data())
def test_any_l2_data_round_trips_and_sorts_stably(data: MarketData) -> None:
    assert MarketData.from_arrow(data.to_arrow(), order="as_is") == data
    assert pickle.loads(pickle.dumps(data)) == data
    ordered = data.sort()
    assert ordered.sort() == ordered

    def moved(data: MarketData) -> list[tuple[str, ...]]:
        """Each level with its instrument and times: what moves with its event."""
        keys = ("instrument", "time_exchange", "side", "price", "amount")
        return sorted(
            (tuple(str(r[key]) for key in keys) for r in rows(data) if r["kind"] == "l2"),
        )

    assert moved(ordered) == moved(data)
    times = [str(r["time_received"]) for r in rows(ordered)]  # ISO text: sorts as time
    assert times == sorted(times)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickles_with_its_levels(protocol: int) -> None:
    data = book()
    assert pickle.loads(pickle.dumps(data, protocol)) == data


def test_merge_slice_and_sort_carry_the_levels() -> None:
    data = book()
    other = MarketData.from_events(
        [EngineEvent.l2("okx", "eth_usdt", [("3", "1")], [("4", "1")], time=at(2))]
    )
    merged = other.merge(data)
    # 0 ms btc snapshot, 2 ms eth snapshot, 5 ms btc update.
    assert [(r["instrument"], r["price"]) for r in rows(merged) if r["kind"] == "l2"] == [
        ("btc_usdt", D("100")), ("btc_usdt", D("99.5")), ("btc_usdt", D("100.5")),
        ("eth_usdt", D("3")), ("eth_usdt", D("4")),
        ("btc_usdt", D("99.5")), ("btc_usdt", D("100.5")),
    ]  # fmt: skip
    assert merged.nbytes > data.nbytes > 2 * 72  # events and their levels
    # From 2 ms: btc's book as of 2 ms (its snapshot at 0 ms) first, then eth's snapshot.
    assert [(r["instrument"], r["time_exchange"]) for r in rows(merged.slice(start=at(2)))] == [
        ("btc_usdt", at(2)), ("btc_usdt", at(2)), ("btc_usdt", at(2)),
        ("eth_usdt", at(2)), ("eth_usdt", at(2)),
        ("btc_usdt", at(5)), ("btc_usdt", at(5)),
    ]  # fmt: skip
    backwards = MarketData.from_events(
        [EngineEvent.l2("okx", "eth_usdt", [("3", "1")], [("4", "1")], time=at(9)),
         EngineEvent.l2("okx", "btc_usdt", [("100", "1")], [("101", "1")], time=at(1))],
        order="as_is",
    )  # fmt: skip
    assert [r["price"] for r in rows(backwards.sort())] == [D("100"), D("101"), D("3"), D("4")]


# --- the replay hands barter's OrderBookEvent on ----------------------------------------------


class Count(DefaultStrategy):
    def __init__(self) -> None:
        self.kinds: list[str | None] = []

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        self.kinds.append(state.event.kind if state.event is not None else None)
        return [], []


def test_a_backtest_replays_l2_books() -> None:
    trade = EngineEvent.trade("okx", "btc_usdt", "100.5", "0.5", "buy", at(7))
    data = book().merge(MarketData.from_events([trade]))
    config = BacktestConfig(
        instruments=[{"exchange": "okx", "instrument": "btc_usdt", "base": "btc", "quote": "usdt"}],
        balances={("okx", "usdt"): 1000},
        exchange=SimulatedExchange(),
        equity_interval=None,
    )
    strategy = Count()
    backtest(strategy, data, config)
    # barter's state reads no L2 (its market data is trades and L1); the strategy sees "l2".
    assert strategy.kinds == ["l2", "l2", "trade"]


# --- Tardis --------------------------------------------------------------------------------


def write(path: Path, lines: list[str]) -> Path:
    text = "".join(f"{line}\n" for line in lines)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def l2_row(time: int, received: int, snapshot: bool, side: str, price: str, amount: str) -> str:
    flag = "true" if snapshot else "false"
    return f"binance,BTCUSDT,{T0_US + time},{T0_US + received},{flag},{side},{price},{amount}"


def test_tardis_incremental_book_gzipped(tmp_path: Path) -> None:
    lines = [
        L2_HEADER,
        l2_row(0, 10, True, "ask", "61000.2", "0.5"),  # snapshot: lines 2-4
        l2_row(0, 10, True, "bid", "61000.1", "1.25"),
        l2_row(0, 10, True, "bid", "61000", "3"),
        l2_row(20, 30, False, "bid", "61000", "0"),  # update: lines 5-6
        l2_row(20, 30, False, "ask", "61000.3", "2"),
        l2_row(25, 30, False, "ask", "61000.2", "0.75"),  # another update: same receive time
        l2_row(40, 50, True, "bid", "60999", "1"),  # a snapshot after updates: the book anew
        l2_row(40, 50, True, "ask", "61001", "1"),
    ]
    data = MarketData.from_tardis(write(tmp_path / "l2.csv.gz", lines), instruments="btc_usdt")
    assert data.instruments == [(ExchangeId.BINANCE_SPOT, "btc_usdt")]
    assert len(data) == 4
    micro = timedelta(microseconds=1)
    events = {r["message"]: (r["time_exchange"], r["time_received"]) for r in rows(data)}
    assert events == {
        0: (T0, T0 + 10 * micro),
        1: (T0 + 20 * micro, T0 + 30 * micro),
        2: (T0 + 25 * micro, T0 + 30 * micro),
        3: (T0 + 40 * micro, T0 + 50 * micro),
    }
    assert levels(data) == [
        (0, True, "bid", D("61000.1"), D("1.25")),
        (0, True, "bid", D("61000"), D("3")),
        (0, True, "ask", D("61000.2"), D("0.5")),
        (1, False, "bid", D("61000"), D("0")),
        (1, False, "ask", D("61000.3"), D("2")),
        (2, False, "ask", D("61000.2"), D("0.75")),
        (3, True, "bid", D("60999"), D("1")),
        (3, True, "ask", D("61001"), D("1")),
    ]


def test_tardis_book_snapshots_of_any_depth(tmp_path: Path) -> None:
    header = ",".join(
        ["exchange,symbol,timestamp,local_timestamp"]
        + [f"{s}[{i}].{f}" for i in range(3) for s in ("asks", "bids") for f in ("price", "amount")]
    )
    lines = [
        header,
        # three levels a side, then a row whose asks have two (their last cells empty)
        f"binance,BTCUSDT,{T0_US},{T0_US + 4},10.2,1,10.1,2,10.3,3,10,4,10.4,5,9.9,6",
        f"binance,BTCUSDT,{T0_US + 9},{T0_US + 12},10.2,1,10.1,2,10.3,3,10,4,,,9.9,6",
        f"binance,BTCUSDT,{T0_US + 20},{T0_US + 22},10,1,10.1,2,,,,,,,,",  # crossed: skipped
    ]
    data = MarketData.from_tardis(write(tmp_path / "book_snapshot_3.csv", lines),
                                  instruments="btc_usdt")  # fmt: skip
    assert (len(data), data.skipped) == (2, 1)
    first = [(side, price, amount) for m, snap, side, price, amount in levels(data) if m == 0]
    assert first == [
        ("bid", D("10.1"), D("2")), ("bid", D("10"), D("4")), ("bid", D("9.9"), D("6")),
        ("ask", D("10.2"), D("1")), ("ask", D("10.3"), D("3")), ("ask", D("10.4"), D("5")),
    ]  # fmt: skip
    assert all(snap for _, snap, *_ in levels(data))
    assert sum(1 for m, *_ in levels(data) if m == 1) == 5  # 3 bids, 2 asks


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([l2_row(0, 0, False, "bid", "1", "1")],
         r"l2\.csv:2: is_snapshot: an update before the instrument's first snapshot .*"
         r"\(instrument 'btc_usdt' on 'binance_spot'\)"),
        ([l2_row(0, 0, True, "bid", "2", "1"), l2_row(0, 0, True, "ask", "1", "1")],
         r"l2\.csv:2: price: the snapshot is crossed or locked"),
        ([l2_row(0, 0, True, "buy", "1", "1")], r"l2\.csv:2: side: must be 'bid' or 'ask'"),
        ([l2_row(0, 0, True, "bid", "1", "-1")], r"l2\.csv:2: amount: must be >= 0"),
        ([l2_row(0, 0, True, "bid", "NaN", "1")], r"l2\.csv:2: price"),
        ([l2_row(0, 0, True, "bid", "1", "1").replace("true", "yes")],
         r"l2\.csv:2: is_snapshot: must be true or false"),
    ],
)  # fmt: skip
def test_tardis_incremental_bad_input_is_named(
    tmp_path: Path, lines: list[str], expected: str
) -> None:
    with pytest.raises(MarketDataError, match=expected):
        MarketData.from_tardis(write(tmp_path / "l2.csv", [L2_HEADER, *lines]),
                               instruments="btc_usdt")  # fmt: skip


def test_tardis_trades_without_a_side_have_none(tmp_path: Path) -> None:
    lines = [
        TRADES,
        f"deribit,BTC-PERPETUAL,{T0_US},{T0_US},1,unknown,61000.5,10",
        f"deribit,BTC-PERPETUAL,{T0_US + 1},{T0_US + 1},2,sell,61000,20",
    ]
    data = MarketData.from_tardis(write(tmp_path / "t.csv", lines), instruments="btc_perp")
    assert [r["side"] for r in rows(data)] == [None, "Sell"]
    assert MarketData.from_arrow(data.to_arrow()) == data
    assert pickle.loads(pickle.dumps(data)) == data
    table = pa.table({"time": [at(0)], "price": [1.5], "amount": [2.0], "side": [None]})
    sideless = MarketData.from_arrow(table, kind="trades", exchange="okx", instrument="x")
    assert [r["side"] for r in rows(sideless)] == [None]


# --- the catalog ---------------------------------------------------------------------------


def test_the_catalog_stores_l2_books_exactly_and_streams_them_as_in_memory(
    tmp_path: Path,
) -> None:
    from barter_python.market import Catalog

    trade = EngineEvent.trade("okx", "btc_usdt", "100.5", "0.5", "buy", at(7))
    data = book().merge(MarketData.from_events([trade]))
    catalog = Catalog(tmp_path)
    catalog.write(data)
    assert sorted(entry.kind for entry in catalog.entries()) == ["l2", "trades"]
    (l2,) = [entry for entry in catalog.entries() if entry.kind == "l2"]
    assert l2.events == 2  # two messages (five rows: a row per level)
    table = pytest.importorskip("pyarrow.parquet").read_table(l2.path)
    assert str(table.schema.field("price").type) == "decimal128(18, 2)"  # 100.5, 1.25
    assert table.column("message").to_pylist() == [0, 0, 0, 1, 1]
    assert catalog.query().load() == data
    assert catalog.query(kinds=["l2"]).load() == book()
    config = BacktestConfig(
        instruments=[{"exchange": "okx", "instrument": "btc_usdt", "base": "btc", "quote": "usdt"}],
        balances={("okx", "usdt"): 1000},
        exchange=SimulatedExchange(),
        equity_interval=None,
    )
    streamed, in_memory = Count(), Count()
    frozen = [
        result.model_copy(update={"wall_time_s": 0.0}).to_json()
        for result in (backtest(streamed, catalog.query(), config),
                       backtest(in_memory, data, config))
    ]  # fmt: skip
    assert frozen[0] == frozen[1]
    assert streamed.kinds == in_memory.kinds == ["l2", "l2", "trade"]


def test_tardis_l2_imports_into_the_catalog_streaming(tmp_path: Path) -> None:
    from barter_python.market import Catalog

    lines = [
        L2_HEADER,
        l2_row(0, 10, True, "ask", "61000.2", "0.5"),
        l2_row(0, 10, True, "bid", "61000.1", "1.25"),
        l2_row(20, 30, False, "bid", "61000.1", "0"),
    ]
    path = write(tmp_path / "l2.csv.gz", lines)
    catalog = Catalog(tmp_path / "c")
    catalog.import_tardis(path, instruments="btc_usdt")
    assert catalog.query().load() == MarketData.from_tardis(path, instruments="btc_usdt")


# --- where a book starts -------------------------------------------------------------------


def test_a_slice_inside_a_day_starts_with_the_book_as_of_its_start(tmp_path: Path) -> None:
    from barter_python.market import Catalog

    data = book()  # a snapshot at 0 ms, an update at 5 ms
    sliced = data.slice(start=at(6))
    # The day's events before 6 ms: the snapshot (bids 100 x 2, 99.5 x 1; ask 100.5 x 1.25),
    # then the update (99.5 deleted; 100.5 now 3): one snapshot at 6 ms.
    assert levels(sliced) == [
        (0, True, "bid", D("100"), D("2")),
        (0, True, "ask", D("100.5"), D("3")),
    ]
    assert [r["time_exchange"] for r in rows(sliced)] == [at(6), at(6)]
    # From 3 ms: the snapshot as it stood (bids best first), then the update itself.
    assert levels(data.slice(start=at(3))) == [
        (0, True, "bid", D("100"), D("2")),
        (0, True, "bid", D("99.5"), D("1")),
        (0, True, "ask", D("100.5"), D("1.25")),
        (1, False, "bid", D("99.5"), D("0")),
        (1, False, "ask", D("100.5"), D("3")),
    ]
    # The day before holds no book: nothing to start from.
    assert len(data.slice(start=at(-1))) == 2
    catalog = Catalog(tmp_path)
    catalog.write(data)
    assert catalog.query(start=at(6)).load() == sliced
    assert catalog.query(start=at(3)).load() == data.slice(start=at(3))
    assert catalog.query(start=at(3), end=at(4)).load() == data.slice(start=at(3), end=at(4))


# --- barter's JSON -------------------------------------------------------------------------


def test_barters_json_order_books_load_as_l2(tmp_path: Path) -> None:
    """barter-data's serde of `DataKind::OrderBook`, as its recorder writes it: an
    `OrderBookSide` without its `side` tag (barter-data skips it when it writes)."""
    import json

    def item(ms: int, kind: str, bids: list[list[str]], asks: list[list[str]]) -> object:
        def side(levels: list[list[str]]) -> object:
            return {"levels": [{"price": price, "amount": amount} for price, amount in levels]}

        book = {"sequence": ms, "time_engine": at(ms).isoformat(), "bids": side(bids),
                "asks": side(asks)}  # fmt: skip
        event = {"time_exchange": at(ms).isoformat(), "time_received": at(ms).isoformat(),
                 "exchange": "okx", "instrument": "btc_usdt",
                 "kind": {"OrderBook": {kind: book}}}  # fmt: skip
        return {"Item": {"Ok": event}}

    items = [
        item(0, "Snapshot", [["100", "2"], ["99.5", "1"]], [["100.5", "1.25"]]),
        item(5, "Update", [["99.5", "0"]], [["100.5", "3"]]),
    ]
    path = tmp_path / "l2.json"
    path.write_text(json.dumps(items))
    data = MarketData.from_barter_json(path)
    # The same book as book(), but with barter's sequences 0 and 5.
    assert levels(data) == levels(book())
    assert [r["sequence"] for r in rows(data)] == [0, 0, 0, 5, 5]
