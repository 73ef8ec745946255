"""`barter_python.backtest.MarketData`: every loader, the errors, merge/slice, pickling,
Arrow, and the memory a large file takes."""

from __future__ import annotations

import glob
import gzip
import json
import os
import pickle
import sys
import tracemalloc
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from decimal import Decimal as D
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from barter_python import ExchangeId, InstrumentSnapshot
from barter_python.backtest import MarketData
from barter_python.engine import EngineEvent, load_market_events
from barter_python.errors import MarketDataError

pa: Any = pytest.importorskip("pyarrow")

T0 = datetime(2025, 3, 25, 23, 7, tzinfo=UTC)
BTC = ("binance_spot", "btc_usdt")
ETH = ("binance_spot", "eth_usdt")
SOL = ("binance_spot", "sol_usdt")


def at(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms)


def iso(ms: int) -> str:
    return at(ms).isoformat().replace("+00:00", "Z")


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def market_event(ms: int, instrument: int | str, kind: dict[str, Any]) -> dict[str, Any]:
    return {
        "time_exchange": iso(ms),
        "time_received": iso(ms),
        "exchange": "binance_spot",
        "instrument": instrument,
        "kind": kind,
    }


def trade(price: float, amount: float, side: str = "Buy") -> dict[str, Any]:
    return {"Trade": {"id": "1", "price": price, "amount": amount, "side": side}}


def book(bid: tuple[str, str] | None, ask: tuple[str, str] | None, ms: int = 0) -> dict[str, Any]:
    def level(pair: tuple[str, str] | None) -> dict[str, str] | None:
        return None if pair is None else {"price": pair[0], "amount": pair[1]}

    return {
        "OrderBookL1": {"last_update_time": iso(ms), "best_bid": level(bid), "best_ask": level(ask)}
    }


def expected_events() -> list[EngineEvent]:
    """What the hand-written files below hold, as engine events (in exchange-time order)."""
    return [
        EngineEvent.l1(
            "binance_spot",
            "eth_usdt",
            (D("2059.1"), D("33.0914")),
            (D("2059.11"), D("3.0146")),
            at(1),
        ),
        EngineEvent.trade(
            "binance_spot", "btc_usdt", Decimal("87232.01"), Decimal("0.00012"), "Sell", at(2)
        ),
        EngineEvent.market_disconnected("binance_spot"),
        EngineEvent.trade(
            "binance_spot", "sol_usdt", Decimal("140.25"), Decimal("3"), "Buy", at(3)
        ),
    ]


def from_expected() -> MarketData:
    # A disconnection made with EngineEvent takes the previous event's time, as in a file.
    return MarketData.from_events(expected_events())


# --- barter's JSON files -------------------------------------------------------------------


def test_json_array_of_market_stream_results(tmp_path: Path) -> None:
    items = [
        {
            "Item": {
                "Ok": market_event(
                    1, "eth_usdt", book(("2059.10000000", "33.0914"), ("2059.11", "3.01460000"), 1)
                )
            }
        },
        {"Item": {"Ok": market_event(2, "btc_usdt", trade(87232.01, 0.00012, "Sell"))}},
        {"Reconnecting": "binance_spot"},
        {"Item": {"Err": {"Socket": "connection reset"}}},  # barter's engine never sees these
        {"Item": {"Ok": market_event(3, "sol_usdt", trade(140.25, 3.0))}},
    ]
    path = write(tmp_path, "data.json", json.dumps(items, indent=2))
    data = MarketData.from_barter_json(path)
    assert data == from_expected()
    assert len(data) == 4
    assert data.instruments == [
        (ExchangeId.BINANCE_SPOT, "btc_usdt"),
        (ExchangeId.BINANCE_SPOT, "eth_usdt"),
        (ExchangeId.BINANCE_SPOT, "sol_usdt"),
    ]
    assert data.time_first_event == at(1)
    assert data.time_last_event == at(3)
    assert isinstance(data, MarketData)


def test_ndjson_by_index_needs_instruments_in_barters_order(tmp_path: Path) -> None:
    lines = [
        {"Item": market_event(1, 1, book(("2059.1", "33.0914"), ("2059.11", "3.0146")))},
        {"Item": market_event(2, 0, trade(87232.01, 0.00012, "Sell"))},
        {"Reconnecting": "binance_spot"},
        {"Item": market_event(3, 2, trade(140.25, 3))},
    ]
    path = write(tmp_path, "data.ndjson", "\n".join(map(json.dumps, lines)) + "\n\n")
    with pytest.raises(
        MarketDataError, match=r"data.ndjson:1: instrument: names instrument index 1"
    ):
        MarketData.from_barter_json(path)
    # barter sorts instruments (exchange, then name) to index them: input order does not count
    data = MarketData.from_barter_json(path, instruments=[SOL, ETH, BTC])
    assert data == from_expected()


def test_instruments_from_a_config(tmp_path: Path) -> None:
    lines = [{"Item": market_event(1, 0, trade(1.5, 1))}]
    path = write(tmp_path, "data.ndjson", json.dumps(lines[0]))

    class Config:
        instruments: ClassVar[list[InstrumentSnapshot]] = [
            InstrumentSnapshot(exchange="okx", instrument="btc_usdt", base="btc", quote="usdt"),
            InstrumentSnapshot(
                exchange="binance_spot", instrument="zzz_usdt", base="z", quote="usdt"
            ),
        ]

    data = MarketData.from_barter_json(path, instruments=Config())
    # binance_spot comes before okx in barter's ExchangeId order
    assert data.instruments == [(ExchangeId.BINANCE_SPOT, "zzz_usdt")]
    with pytest.raises(TypeError, match="instruments"):
        MarketData.from_barter_json(path, instruments="btc_usdt")  # type: ignore[arg-type]
    with pytest.raises(MarketDataError, match="given twice"):
        MarketData.from_barter_json(path, instruments=[BTC, ("binance_spot", "BTC_USDT")])


def test_named_events_must_be_among_the_given_instruments(tmp_path: Path) -> None:
    path = write(
        tmp_path, "d.ndjson", json.dumps({"Item": market_event(1, "xrp_usdt", trade(1, 1))})
    )
    with pytest.raises(
        MarketDataError, match=r"d.ndjson:1: instrument: 'xrp_usdt' on 'binance_spot' is not among"
    ):
        MarketData.from_barter_json(path, instruments=[BTC])


def barter_example(name: str) -> str:
    found = glob.glob(
        os.path.expanduser(f"~/.cargo/registry/src/*/barter-0.14.0/examples/data/{name}")
    )
    if not found:
        pytest.skip("barter 0.14's crate sources (cargo's registry) are not on this machine")
    return found[0]


def test_barters_own_example_data() -> None:
    path = barter_example("binance_spot_trades_l1_btcusdt_ethusdt_solusdt.json")
    # barter's config lists BTCUSDT, ETHUSDT, SOLUSDT: its indices 0, 1, 2
    data = MarketData.from_barter_json(path, instruments=[BTC, ETH, SOL])
    assert len(data) == 50_000
    assert repr(data).startswith(
        "<MarketData: 50000 events (11032 trades, 38968 l1, 0 candles, 0 disconnections)"
    )
    assert data.instruments == [
        (ExchangeId.BINANCE_SPOT, n) for n in ("btc_usdt", "eth_usdt", "sol_usdt")
    ]
    # the earliest exchange time is the file's first trade (23:07:00.715), though the file
    # starts with books: it is in arrival order (trades carry Binance's time, books the local
    # receive time) and replays in that order; sort() sorts on request (spec §8).
    assert data.time_first_event == datetime(2025, 3, 25, 23, 7, 0, 715000, tzinfo=UTC)
    table = data.to_arrow()
    times = table.column("time_exchange").cast(pa.int64()).to_pylist()
    assert times != sorted(times)
    # sort() sorts by the receive time (spec §12's two clocks; the exchange time where a
    # source has only that one).
    received = table.column("time_received").cast(pa.int64()).to_pylist()
    by_time = data.sort().to_arrow().column("time_received").cast(pa.int64()).to_pylist()
    assert by_time == sorted(received)
    # barter's recording keeps its recorded order; a table says nothing of it, so its
    # backward steps are refused unless the order is trusted as it is.
    with pytest.raises(
        MarketDataError, match=r"table: \d+ problems:\ntable: row 14: time goes back"
    ):
        MarketData.from_arrow(table)
    assert MarketData.from_arrow(table, order="as_is") == data
    print(f"barter's example: {data.nbytes / len(data):.1f} bytes/event")


def test_barters_example_with_disconnections() -> None:
    path = barter_example("binance_spot_market_data_with_disconnect_events.json")
    data = MarketData.from_barter_json(path, instruments=[BTC, ETH, SOL])
    assert repr(data).startswith(
        "<MarketData: 24 events (21 trades, 0 l1, 0 candles, 3 disconnections)"
    )
    kinds = data.to_arrow().column("kind").to_pylist()
    assert kinds.count("reconnecting") == 3


def test_bundled_sample() -> None:
    sample = resources.files("barter_python").joinpath(
        "data/backtest_sample/binance_spot_trades_l1.ndjson"
    )
    with resources.as_file(sample) as path:
        by_name = MarketData.from_barter_json(path)
        assert MarketData.from_barter_json(path, instruments=[SOL, BTC, ETH]) == by_name
    assert len(by_name) == 4000
    assert by_name.instruments == [
        (ExchangeId.BINANCE_SPOT, n) for n in ("btc_usdt", "eth_usdt", "sol_usdt")
    ]
    kinds = by_name.to_arrow().column("kind").to_pylist()
    assert 500 < kinds.count("trade") < 2000 and kinds.count("l1") > 2000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"Item": 1}\n', r"f:1:\d+: not a barter market event"),
        ('[\n  {"Item": {"Ok": 1}}\n]', r"f:2: item 1: not a barter MarketStreamResult"),
        (
            '[{"Reconnecting": "binance_spot"},\n {"Item": {"Ok": {"x": }}}]',
            r"f:2:\d+: invalid JSON",
        ),
        ('[{"Reconnecting": "binance_spot"}] x', r"f:1:\d+: invalid JSON: trailing characters"),
        ('[{"Reconnecting": "binance_spot"}', r"invalid JSON"),
        ("[]", r"f: no market events"),
        ("", r"f: no market events"),
        ('{"Reconnecting": "binance_spot"}', r"f: no market events"),
    ],
)
def test_json_errors_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "f", text)
    with pytest.raises(MarketDataError, match=message):
        MarketData.from_barter_json(path)


def test_json_values_checked_item_by_item(tmp_path: Path) -> None:
    items = [
        {"Item": {"Ok": market_event(1, 0, trade(-1.0, 1))}},
        {"Item": {"Ok": market_event(2, 7, trade(1.0, -1))}},
        {"Item": {"Ok": market_event(3, 0, book(("0", "1"), ("1", "1")))}},
        {"Item": {"Ok": market_event(4, 0, book(("1", "0"), ("2", "0")))}},
        {"Item": {"Ok": market_event(5, 0, book(("0.12345678901234567891", "1"), None))}},
        {"Item": {"Ok": {**market_event(6, 0, trade(1, 1)), "exchange": "okx"}}},
        {
            "Item": {
                "Ok": market_event(
                    7,
                    0,
                    {
                        "Candle": {
                            "close_time": iso(7),
                            "open": 2,
                            "high": 1,
                            "low": 1,
                            "close": 1,
                            "volume": 1,
                            "trade_count": 1,
                        }
                    },
                )
            }
        },
    ]
    path = write(tmp_path, "f.json", json.dumps(items, indent=1))
    with pytest.raises(MarketDataError) as error:
        MarketData.from_barter_json(path, instruments=[BTC])
    lines = str(error.value).splitlines()
    assert lines[0] == f"{path}: 8 problems:"
    assert lines[1] == f"{path}:2: item 1: price: must be > 0"
    assert (
        f"{path}:" in lines[2]
        and "item 2: instrument: index 7 is out of range: 1 instruments given" in lines[2]
    )
    assert "item 2: amount: must be >= 0" in lines[3]
    assert "item 3: best_bid.price: must be > 0" in lines[4]
    assert "item 4: l1 book with zero amounts on both sides" in lines[5]
    assert "item 5: best_bid.price: does not survive barter-data's f64" in lines[6]
    assert (
        "item 6: instrument: index 0 is 'btc_usdt' on 'binance_spot', but the event is on 'okx'"
        in lines[7]
    )
    assert "item 7: open: above high 1, got 2" in lines[8]


def test_missing_file() -> None:
    with pytest.raises(FileNotFoundError, match=r"nowhere.json"):
        MarketData.from_barter_json("nowhere.json")
    with pytest.raises(FileNotFoundError, match=r"nowhere.csv"):
        MarketData.from_csv("nowhere.csv", kind="trades", exchange="okx", instrument="a")


# --- CSV ----------------------------------------------------------------------------------


def test_csv_trades_l1_and_candles(tmp_path: Path) -> None:
    trades = write(
        tmp_path,
        "trades.csv",
        "\ufefftime,price,amount,side\n"
        f"{iso(2)},87232.01,0.00012,Sell\n"
        "1742944020000,87232.02,1,buy\n",  # epoch milliseconds: 2025-03-25T23:07:00Z
    )
    back = r"trades\.csv:3: time goes back from .*:00\.002Z to .*:00Z"
    with pytest.raises(MarketDataError, match=back):
        MarketData.from_csv(trades, kind="trades", exchange="binance_spot", instrument="BTC_USDT")
    data = MarketData.from_csv(
        trades, kind="trades", exchange="binance_spot", instrument="BTC_USDT", order="as_is"
    )
    buy = EngineEvent.trade("binance_spot", "btc_usdt", Decimal("87232.02"), 1, "Buy", at(0))
    sell = EngineEvent.trade(
        "binance_spot", "btc_usdt", Decimal("87232.01"), Decimal("0.00012"), "Sell", at(2)
    )
    # The file's order as asked; "sort" sorts by time.
    assert data == MarketData.from_events([sell, buy], order="as_is")
    with pytest.raises(MarketDataError, match=r"events: event 1: time goes back"):
        MarketData.from_events([sell, buy])
    by_time = MarketData.from_csv(
        trades, kind="trades", exchange="binance_spot", instrument="BTC_USDT", order="sort"
    )
    assert by_time == MarketData.from_events([buy, sell]) == data.sort()
    assert data.sort() == MarketData.from_events([buy, sell])
    l1 = write(
        tmp_path,
        "l1.csv",
        "time,bid_price,bid_amount,ask_price,ask_amount\n"
        "2025-03-26T00:07:00.001+01:00, 2059.10000000 , 33.0914,2059.11,3.0146\n",
    )
    assert MarketData.from_csv(l1, kind="l1", exchange="binance_spot", instrument="eth_usdt") == (
        MarketData.from_events([expected_events()[0]])
    )
    candles = write(
        tmp_path,
        "candles.csv",
        f"time,open,high,low,close,volume\n{iso(60_000)},100,110,90,105.5,12.5\n",
    )
    # a candle at the row's time, its close time
    assert MarketData.from_csv(candles, kind="candles", exchange="okx", instrument="x") == (
        MarketData.from_events(
            [EngineEvent.candle("okx", "x", 100, 110, 90, "105.5", "12.5", at(60_000))]
        )
    )


def test_csv_every_problem_at_once(tmp_path: Path) -> None:
    rows = [
        "time,price,amount,side",
        "2025-03-25T23:07:00Z,1,1,Buy",
        "2025-03-25T23:07:00Z,1,1",  # 3: too few fields
        "2025-03-25T23:07:00Z,abc,1,Buy",  # 4: not a number
        "2025-03-25T23:07:00Z,0,1,Buy",  # 5: price <= 0
        "2025-03-25T23:07:00Z,1,-2,Buy",  # 6: negative amount
        "yesterday,1,1,Hold",  # 7: time and side
        "2025-03-25T23:07:00Z,4182.19040206,1,Buy",  # 8: barter's engine would read it otherwise
        "2025-03-25T23:07:00Z,0.12345678901234567891,1,Buy",  # 9: f64 cannot hold it
        "2025-03-25T23:07:00Z,NaN,1,Buy",  # 10
    ]
    path = write(tmp_path, "t.csv", "\n".join(rows) + "\n")
    with pytest.raises(MarketDataError) as error:
        MarketData.from_csv(path, kind="trades", exchange="okx", instrument="a")
    assert str(error.value).splitlines() == [
        f"{path}: 9 problems:",
        f"{path}:3: expected 4 fields (time,price,amount,side), got 3",
        f'{path}:4: price: must be a decimal number, got "abc"',
        f'{path}:5: price: must be > 0, got "0"',
        f'{path}:6: amount: must be >= 0, got "-2"',
        f"{path}:7: side: must be Buy or Sell (or barter's aliases), or empty for none, "
        'got "Hold"',
        f"{path}:7: time: must be an RFC 3339 time or integer epoch milliseconds "
        '(years 1677-2262), got "yesterday"',
        f"{path}:8: price: barter's engine would read it as 4182.190402060001 "
        '(Decimal::from_f64 of barter-data\'s f64), got "4182.19040206"',
        f"{path}:9: price: does not survive barter-data's f64 "
        '(reads back as 0.12345678901234568), got "0.12345678901234567891"',
        f'{path}:10: price: must be a decimal number, got "NaN"',
    ]


def test_csv_lists_twenty_then_counts(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "time,price,amount,side\n" + "0,-1,1,Buy\n" * 25)
    with pytest.raises(MarketDataError) as error:
        MarketData.from_csv(path, kind="trades", exchange="okx", instrument="a")
    lines = str(error.value).splitlines()
    assert lines[0] == f"{path}: 25 problems:"
    assert len(lines) == 22 and lines[-1] == "... and 5 more"
    assert lines[20] == f'{path}:21: price: must be > 0, got "-1"'


def test_csv_header_and_candles_checked(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "time,open,high,low,close\n")
    with pytest.raises(
        MarketDataError, match=r"c.csv:1: header must be time,open,high,low,close,volume, got"
    ):
        MarketData.from_csv(path, kind="candles", exchange="okx", instrument="a")
    path = write(tmp_path, "e.csv", "")
    with pytest.raises(MarketDataError, match=r"e.csv: empty file"):
        MarketData.from_csv(path, kind="candles", exchange="okx", instrument="a")
    path = write(tmp_path, "h.csv", "time,price,amount,side\n")
    with pytest.raises(MarketDataError, match=r"h.csv: no market events"):
        MarketData.from_csv(path, kind="trades", exchange="okx", instrument="a")
    path = write(tmp_path, "c.csv", "time,open,high,low,close,volume\n0,10,9,8,11,1\n")
    with pytest.raises(MarketDataError) as error:
        MarketData.from_csv(path, kind="candles", exchange="okx", instrument="a")
    assert "c.csv:2: open: above high 9, got 10" in str(error.value)
    assert "c.csv:2: close: above high 9, got 11" in str(error.value)
    with pytest.raises(ValueError, match="kind must be"):
        MarketData.from_csv(path, kind="bars", exchange="okx", instrument="a")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a valid ExchangeId"):
        MarketData.from_csv(path, kind="candles", exchange="nasdaq", instrument="a")
    with pytest.raises(TypeError, match="instrument"):
        MarketData.from_csv(path, kind="candles", exchange="okx", instrument="")


def test_csv_l1_with_no_volume_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", "time,bid_price,bid_amount,ask_price,ask_amount\n0,1,0,2,0\n")
    with pytest.raises(
        MarketDataError, match=r"l.csv:2: bid_amount, ask_amount: l1 book with zero amounts"
    ):
        MarketData.from_csv(path, kind="l1", exchange="okx", instrument="a")


# --- engine events ------------------------------------------------------------------------


def test_from_events_refuses_what_is_not_market_data() -> None:
    with pytest.raises(
        ValueError, match=r"event 1: EngineEvent.trading_state\(False\) is not a market event"
    ):
        MarketData.from_events([expected_events()[0], EngineEvent.trading_state(False)])
    with pytest.raises(ValueError, match=r"event 0: .*account_disconnected"):
        MarketData.from_events([EngineEvent.account_disconnected("okx")])
    with pytest.raises(TypeError, match="event 0: expected an EngineEvent, got int"):
        MarketData.from_events([1])  # type: ignore[list-item]
    with pytest.raises(MarketDataError, match="events: no market events"):
        MarketData.from_events([])
    by_index = load_market_events(json.dumps([{"Item": {"Ok": market_event(1, 0, trade(1, 1))}}]))
    with pytest.raises(MarketDataError, match="event 0: instrument: names instrument index 0"):
        MarketData.from_events(by_index)


def test_engine_event_trade_price_must_survive_barters_f64() -> None:
    with pytest.raises(ValueError, match="price does not survive barter-data's f64"):
        EngineEvent.trade("okx", "a", Decimal("0.12345678901234567891"), 1, "Buy")
    with pytest.raises(
        ValueError, match=r"price barter's engine would read it as 4182.190402060001"
    ):
        EngineEvent.trade("okx", "a", Decimal("4182.19040206"), 1, "Buy")


# --- merge, slice, equality, immutability, pickling ----------------------------------------


def trades_at(name: str, *times_and_prices: tuple[int, int]) -> MarketData:
    return MarketData.from_events(
        [EngineEvent.trade("okx", name, price, 1, "Buy", at(ms)) for ms, price in times_and_prices]
    )


def test_merge_is_stable_and_slice_half_open() -> None:
    a = trades_at("a", (0, 1), (10, 2))
    b = trades_at("b", (10, 3), (20, 4))
    merged = a.merge(b)
    assert MarketData.merge(a, b) == merged
    assert len(merged) == 4
    prices = merged.to_arrow().column("price").to_pylist()
    assert prices == [1, 2, 3, 4]  # the tie at 10 ms keeps the parts' order
    assert b.merge(a).to_arrow().column("price").to_pylist() == [1, 3, 2, 4]
    assert merged.instruments == [(ExchangeId.OKX, "a"), (ExchangeId.OKX, "b")]

    assert merged.slice(at(10), at(20)).to_arrow().column("price").to_pylist() == [2, 3]
    assert merged.slice(start=at(11)).instruments == [(ExchangeId.OKX, "b")]
    assert len(merged.slice(end=at(10))) == 1
    assert merged.slice() == merged
    empty = merged.slice(at(30))
    assert len(empty) == 0 and empty.instruments == []
    with pytest.raises(ValueError, match="empty"):
        _ = empty.time_first_event
    with pytest.raises(TypeError):
        merged.slice(datetime(2025, 1, 1))  # naive: refused
    assert type(merged.slice()) is MarketData


def test_equality_immutability_and_hash() -> None:
    a = trades_at("a", (0, 1))
    assert a == trades_at("a", (0, 1))
    assert a != trades_at("a", (0, 2))
    assert a != trades_at("b", (0, 1))
    assert a != "a"
    with pytest.raises(TypeError):
        hash(a)
    with pytest.raises(AttributeError):
        a.x = 1  # type: ignore[attr-defined]
    assert MarketData(a) == a  # shares a's events


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickles_with_every_protocol(protocol: int) -> None:
    data = from_expected().merge(
        MarketData.from_events(
            [EngineEvent.l1("okx", "x", (D("1.5"), D("0")), (D("1.6"), D("2")), at(5))]
        )
    )
    copy = pickle.loads(pickle.dumps(data, protocol=protocol))
    assert copy == data and type(copy) is MarketData
    assert repr(copy) == repr(data)


def test_pickle_is_compact_and_checked() -> None:
    data = from_expected()
    _, (blob,) = data.__reduce__()
    # header, instruments, event count, events, the skipped rows count
    assert len(blob) <= 5 + 4 + 3 * (1 + 12 + 4 + 8) + 8 + 2 * 37 + 53 + 30 + 8
    with pytest.raises(MarketDataError, match="not a pickled MarketData"):
        MarketData._from_bytes(blob[:-1])
    with pytest.raises(MarketDataError, match="not a pickled MarketData"):
        MarketData._from_bytes(b"junk")


# --- Arrow ----------------------------------------------------------------------------------


def test_to_arrow_columns() -> None:
    table = from_expected().to_arrow()
    assert table.column_names == [
        "time_exchange",
        "time_received",
        "exchange",
        "instrument",
        "kind",
        "side",
        "price",
        "amount",
        "bid_price",
        "bid_amount",
        "ask_price",
        "ask_amount",
        "open",
        "high",
        "low",
        "trades",
        "is_snapshot",
        "message",
        "sequence",
    ]
    assert str(table.schema.field("time_exchange").type) == "timestamp[ns, tz=UTC]"
    # null but for candles, and L2 books (test_market_l2.py)
    candle_columns = ["open", "high", "low", "trades", "is_snapshot", "message", "sequence"]
    assert all(table.column(name).null_count == len(table) for name in candle_columns)
    rows = table.drop_columns(["time_exchange", "time_received", *candle_columns]).to_pylist()
    assert rows[0] == {
        "exchange": "binance_spot",
        "instrument": "eth_usdt",
        "kind": "l1",
        "side": None,
        "price": None,
        "amount": None,
        "bid_price": 2059.1,
        "bid_amount": 33.0914,
        "ask_price": 2059.11,
        "ask_amount": 3.0146,
    }
    assert rows[2]["kind"] == "reconnecting" and rows[2]["instrument"] is None
    assert rows[1]["side"] == "Sell" and rows[1]["price"] == 87232.01


def test_from_arrow_tables_of_one_instrument() -> None:
    times = pa.array([at(0), at(2)], pa.timestamp("ms", "UTC"))
    table = pa.table(
        {
            "time": times,
            "price": [1.5, 2],
            "amount": [1, 0],
            "side": ["b", "Sell"],
            "note": ["x", "y"],
        }
    )
    data = MarketData.from_arrow(table, kind="trades", exchange="okx", instrument="a")
    assert data == MarketData.from_events(
        [
            EngineEvent.trade("okx", "a", 1.5, 1, "Buy", at(0)),
            EngineEvent.trade("okx", "a", 2, 0, "Sell", at(2)),
        ]
    )
    millis = pa.table(
        {
            "time": [int(at(0).timestamp() * 1000)],
            "open": [1],
            "high": [2],
            "low": [1],
            "close": [2],
            "volume": [3],
        }
    )
    candles = MarketData.from_arrow(millis, kind="candles", exchange="okx", instrument="a")
    assert candles == MarketData.from_events([EngineEvent.candle("okx", "a", 1, 2, 1, 2, 3, at(0))])

    class Stream:  # anything with __arrow_c_stream__
        def __arrow_c_stream__(self, requested_schema: object = None) -> object:
            return table.__arrow_c_stream__(requested_schema)

    assert MarketData.from_arrow(Stream(), kind="trades", exchange="okx", instrument="a") == data


def test_from_arrow_errors_name_rows() -> None:
    times = pa.array([at(0), None, at(2)], pa.timestamp("us", "UTC"))
    table = pa.table(
        {"time": times, "price": [1.0, 2, None], "amount": [1, -1, 1], "side": ["Buy", "Buy", None]}
    )
    with pytest.raises(MarketDataError) as error:
        MarketData.from_arrow(table, kind="trades", exchange="okx", instrument="a")
    # A null side is a trade without an aggressor side (test_market_l2.py), not a problem.
    assert str(error.value).splitlines() == [
        "table: 3 problems:",
        "row 1: amount: must be >= 0, got -1",
        "row 1: time: missing, got null",
        "row 2: price: missing, got null",
    ]
    naive = pa.table(
        {
            "time": pa.array([datetime(2025, 1, 1)], pa.timestamp("us")),
            "price": [1.0],
            "amount": [1.0],
            "side": ["Buy"],
        }
    )
    with pytest.raises(MarketDataError, match="without a time zone"):
        MarketData.from_arrow(naive, kind="trades", exchange="okx", instrument="a")
    with pytest.raises(MarketDataError, match="missing column"):
        MarketData.from_arrow(
            table.drop_columns(["side"]), kind="trades", exchange="okx", instrument="a"
        )
    with pytest.raises(ValueError, match="needs exchange and instrument"):
        MarketData.from_arrow(table, kind="trades")
    with pytest.raises(MarketDataError, match="no market events"):
        MarketData.from_arrow(table.slice(0, 0), kind="trades", exchange="okx", instrument="a")


def test_arrow_is_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r"barter-python\[arrow\]"):
        from_expected().to_arrow()


def test_a_csv_file_reads_compressed_too(tmp_path: Path) -> None:
    """`from_csv` opens files as the vendor loaders do: a `.gz` loads as the plain file does."""
    plain = write(tmp_path, "trades.csv", "time,price,amount,side\n1000,100.5,2,Buy\n")
    packed = tmp_path / "trades.csv.gz"
    packed.write_bytes(gzip.compress(Path(plain).read_bytes()))
    loads = [
        MarketData.from_csv(path, kind="trades", exchange="okx", instrument="btc_usdt")
        for path in (plain, str(packed))
    ]
    assert loads[0] == loads[1] and len(loads[0]) == 1


# --- properties ------------------------------------------------------------------------------

names = st.sampled_from(["btc_usdt", "eth_usdt", "x"])
exchanges = st.sampled_from(["binance_spot", "okx", "kraken"])
# at most 15 significant digits: every one survives f64 (a trade price may still be refused:
# barter's Decimal::from_f64 reads a few differently)
numbers = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("9999999"), places=8)
millis = st.integers(min_value=0, max_value=10_000)


@st.composite
def market_events(draw: st.DrawFn) -> EngineEvent:
    exchange, name, time = draw(exchanges), draw(names), at(draw(millis))
    kind = draw(st.sampled_from(["trade", "l1", "reconnecting"]))
    try:
        if kind == "trade":
            side = draw(st.sampled_from(["Buy", "Sell"]))
            return EngineEvent.trade(exchange, name, draw(numbers), draw(numbers), side, time)
        if kind == "l1":
            bid, ask = (draw(numbers), draw(numbers)), (draw(numbers), draw(numbers))
            return EngineEvent.l1(exchange, name, bid, ask, time)
    except ValueError:
        assume(False)  # a number barter-data's f64 would change: refused, as it should be
    return EngineEvent.market_disconnected(exchange)


@given(st.lists(market_events(), min_size=1, max_size=40))
def test_round_trips_through_arrow_and_pickle(events: list[EngineEvent]) -> None:
    assume(any("disconnected" not in repr(event) for event in events))
    data = MarketData.from_events(events, order="as_is")
    assert MarketData.from_arrow(data.to_arrow(), order="as_is") == data
    assert pickle.loads(pickle.dumps(data)) == data
    assert data.merge() == data
    times = data.sort().to_arrow().column("time_exchange").cast(pa.int64()).to_pylist()
    assert times == sorted(times)


# --- memory ----------------------------------------------------------------------------------


def test_a_million_trades_load_without_a_python_object_per_row(tmp_path: Path) -> None:
    path = tmp_path / "trades.csv"
    row = "{},87232.{:02d},0.0012,{}\n"
    with path.open("w") as file:
        file.write("time,price,amount,side\n")
        base = 1_742_944_020_000
        file.writelines(
            row.format(base + n, n % 100, "Buy" if n % 2 else "Sell") for n in range(1_000_000)
        )
    tracemalloc.start()
    data = MarketData.from_csv(path, kind="trades", exchange="binance_spot", instrument="btc_usdt")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(data) == 1_000_000
    assert peak < 20_000_000  # Python-side; the events live in native memory
    per_event = data.nbytes / len(data)
    assert per_event < 80
    print(f"1M trades: {per_event:.1f} native bytes/event, Python peak {peak / 1e6:.2f} MB")


def test_a_crossed_l1_book_is_refused_everywhere(tmp_path: Path) -> None:
    """A bid above the ask would let a round trip buy at 100 and sell at 105: refused in engine
    events, in market data from events and from a CSV; a locked book (bid == ask) passes."""
    with pytest.raises(ValueError, match="crossed: bid 105 above ask 100"):
        EngineEvent.l1("okx", "btc_usdt", ("105", 1), ("100", 1))
    assert EngineEvent.l1("okx", "btc_usdt", ("100", 1), ("100", 1)) is not None
    csv = tmp_path / "l1.csv"
    csv.write_text(
        "time,bid_price,bid_amount,ask_price,ask_amount\n"
        "1700000000000,100,1,101,1\n1700000000001,105,1,100,1\n"
    )
    with pytest.raises(MarketDataError, match=r"crossed: bid 105 above ask 100"):
        MarketData.from_csv(csv, kind="l1", exchange="okx", instrument="btc_usdt")
