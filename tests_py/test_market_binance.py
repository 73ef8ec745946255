"""`MarketData.from_binance`: Binance's dump files in their exact layouts (spot without a
header, futures with one), plain, `.gz` and `.zip`, one file or a list; times in ms and µs;
the aggressor's side; exact values; time order checked, sorted or kept; crossed books skipped
and counted; every bad input a `MarketDataError` naming the file, line and column."""

from __future__ import annotations

import gzip
import pickle
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from market_rows import rows

from barter_python import ExchangeId, MarketDataError
from barter_python.backtest import BacktestConfig, backtest
from barter_python.engine import DefaultStrategy
from barter_python.market import MarketData

D = Decimal
MS_2024 = 1_735_689_599_000  # 2024-12-31T23:59:59Z in milliseconds
US_2025 = 1_735_689_600_000_000  # 2025-01-01T00:00:00Z in microseconds
SPOT_AGG = [  # agg_id, price, qty, first_id, last_id, time, is_buyer_maker, is_best_match
    f"1,93500.12345678,0.00012345,10,11,{MS_2024},true,true",
    f"2,93500.5,1.5,12,12,{MS_2024 + 500},false,true",
]
SPOT_AGG_2025 = [f"3,93501,0.1,13,13,{US_2025 + 250_000},False,True"]
FUTURES_HEADER = (
    "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker"
)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def trades(data: MarketData) -> list[tuple[object, ...]]:
    return [(r["time_exchange"], r["price"], r["amount"], r["side"]) for r in rows(data)]


def test_spot_agg_trades_in_milliseconds_then_microseconds_load_exactly(tmp_path: Path) -> None:
    """Two spot days: 2024's in ms, 2025's in µs; `is_buyer_maker` true is a sell."""
    days = [
        write(tmp_path / "BTCUSDT-aggTrades-2024-12-31.csv", SPOT_AGG),
        write(tmp_path / "BTCUSDT-aggTrades-2025-01-01.csv", SPOT_AGG_2025),
    ]
    data = MarketData.from_binance(days, kind="agg_trades", instrument="btc_usdt")
    assert data.instruments == [(ExchangeId.BINANCE_SPOT, "btc_usdt")]
    last_second = datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert trades(data) == [
        (last_second, D("93500.12345678"), D("0.00012345"), "Sell"),
        (last_second + timedelta(milliseconds=500), D("93500.5"), D("1.5"), "Buy"),
        (datetime(2025, 1, 1, 0, 0, 0, 250_000, tzinfo=UTC), D("93501"), D("0.1"), "Buy"),
    ]
    assert data.skipped == 0


def test_futures_files_with_a_header_and_compressed(tmp_path: Path) -> None:
    rows = [FUTURES_HEADER, f"7,100.5,2,1,3,{MS_2024},true"]
    plain = write(tmp_path / "ETHUSDT-aggTrades.csv", rows)
    packed = tmp_path / "ETHUSDT-aggTrades-2024-12-31.zip"
    with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(plain, plain.name)
    gzipped = tmp_path / "ETHUSDT-aggTrades.csv.gz"
    gzipped.write_bytes(gzip.compress(plain.read_bytes()))
    loads = [
        MarketData.from_binance(
            path, kind="agg_trades", instrument="eth_usdt", exchange="binance_futures_usd"
        )
        for path in (plain, packed, gzipped)
    ]
    assert loads[0] == loads[1] == loads[2]
    assert trades(loads[0]) == [
        (datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC), D("100.5"), D("2"), "Sell")
    ]


def test_spot_trades_and_a_backtest_on_them(tmp_path: Path) -> None:
    """Spot trades (id, price, qty, quote_qty, time, is_buyer_maker, is_best_match) replay."""
    rows = [f"{k},{100 + k},1,{100 + k},{MS_2024 + 1000 * k},{k % 2 == 0},True" for k in range(5)]
    data = MarketData.from_binance(
        write(tmp_path / "trades.csv", rows), kind="trades", instrument="btc_usdt"
    )
    assert [side for *_, side in trades(data)] == ["Sell", "Buy", "Sell", "Buy", "Sell"]
    config = BacktestConfig(
        instruments=[
            {"exchange": "binance_spot", "instrument": "btc_usdt", "base": "btc", "quote": "usdt"}
        ]
    )
    assert backtest(DefaultStrategy(), data, config).events == 5


def test_book_ticker_keeps_both_clocks_and_skips_crossed_books(tmp_path: Path) -> None:
    """update_id, bid, bid_qty, ask, ask_qty, transaction_time, event_time: the transaction
    time is the exchange's, the event time the receive time; a crossed (101 > 100) and a
    locked (100 = 100) book are skipped and counted."""
    header = (
        "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,"
        "transaction_time,event_time"
    )
    lines = [
        header,
        f"1,99.5,3,100.5,4,{MS_2024},{MS_2024 + 7}",
        f"2,101,1,100,1,{MS_2024 + 10},{MS_2024 + 12}",
        f"3,100,1,100,1,{MS_2024 + 20},{MS_2024 + 22}",
        f"4,99.75,1,100.25,2,{MS_2024 + 30},{MS_2024 + 31}",
    ]
    data = MarketData.from_binance(
        write(tmp_path / "bookTicker.csv", lines),
        kind="book_ticker",
        instrument="btc_usdt",
        exchange="binance_futures_usd",
    )
    assert data.skipped == 2 and len(data) == 2
    [first, _] = rows(data)
    assert (first["bid_price"], first["bid_amount"], first["ask_price"]) == (
        D("99.5"),
        D(3),
        D("100.5"),
    )
    assert first["time_received"] - first["time_exchange"] == timedelta(milliseconds=7)  # type: ignore[operator]
    assert pickle.loads(pickle.dumps(data)).skipped == 2


def test_time_order_is_checked_sorted_or_kept(tmp_path: Path) -> None:
    """Two halves joined in the wrong order: refused naming the file, the line and both times;
    `order="sort"` sorts them, `"as_is"` keeps them."""
    late = write(tmp_path / "late.csv", [f"2,100,1,2,2,{MS_2024 + 1000},false,true"])
    early = write(tmp_path / "early.csv", [f"1,100,1,1,1,{MS_2024},false,true"])
    back = r"early\.csv:1: time goes back from 2025-01-01T00:00:00Z to 2024-12-31T23:59:59Z"
    with pytest.raises(MarketDataError, match=back):
        MarketData.from_binance([late, early], kind="agg_trades", instrument="btc_usdt")
    ordered = MarketData.from_binance(
        [late, early], kind="agg_trades", instrument="btc_usdt", order="sort"
    )
    kept = MarketData.from_binance(
        [late, early], kind="agg_trades", instrument="btc_usdt", order="as_is"
    )
    assert [row[0].year for row in trades(ordered)] == [2024, 2025]  # type: ignore[attr-defined]
    assert [row[0].year for row in trades(kept)] == [2025, 2024]  # type: ignore[attr-defined]


BAD_ROWS = [
    (f"1,abc,1,1,1,{MS_2024},true,true", r"bad\.csv:1: price: must be a decimal number, got .abc."),
    (f"1,-5,1,1,1,{MS_2024},true,true", r"bad\.csv:1: price: .*> 0"),
    (f"1,5,1,1,1,{MS_2024},maybe,true", r"is_buyer_maker: must be true or false"),
    ("1,5,1,1,1,9223372036854775807,true,true", r"transact_time: must be epoch"),
    ("1,5,1", r"bad\.csv:1: expected 7 fields"),
    ("a,b,c", r"the header names no known Binance file"),
]


@pytest.mark.parametrize(("line", "message"), BAD_ROWS)
def test_bad_rows_are_named(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(MarketDataError, match=message):
        MarketData.from_binance(
            write(tmp_path / "bad.csv", [line]), kind="agg_trades", instrument="btc_usdt"
        )


def test_a_header_of_another_kind_and_an_empty_file_are_named(tmp_path: Path) -> None:
    futures = write(tmp_path / "bad.csv", [FUTURES_HEADER])
    with pytest.raises(MarketDataError, match=r"bad\.csv:1: the header is Binance's agg_trades"):
        MarketData.from_binance(futures, kind="trades", instrument="btc_usdt")
    with pytest.raises(MarketDataError, match=r"empty\.csv: empty file"):
        MarketData.from_binance(write(tmp_path / "empty.csv", []), kind="trades", instrument="x_y")


def test_every_problem_of_a_file_at_once(tmp_path: Path) -> None:
    rows = [f"{k},x,1,1,1,{MS_2024},true,true" for k in range(3)]
    every = r"3 problems:\n.*bad\.csv:1: .*\n.*bad\.csv:2: .*\n.*bad\.csv:3"
    with pytest.raises(MarketDataError, match=every):
        MarketData.from_binance(
            write(tmp_path / "bad.csv", rows), kind="agg_trades", instrument="x_y"
        )


def test_bad_archives_and_arguments(tmp_path: Path) -> None:
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as archive:
        archive.writestr("a.csv", "1\n")
        archive.writestr("b.csv", "2\n")
    two_csvs = r"two\.zip: a \.zip must hold exactly one \.csv file, it holds 2 \(a\.csv, b\.csv\)"
    with pytest.raises(MarketDataError, match=two_csvs):
        MarketData.from_binance(two, kind="trades", instrument="btc_usdt")
    whole = gzip.compress(("\n".join(SPOT_AGG * 2000) + "\n").encode())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(MarketDataError, match=r"cut\.csv\.gz: truncated"):
        MarketData.from_binance(cut, kind="agg_trades", instrument="btc_usdt")
    with pytest.raises(FileNotFoundError):
        MarketData.from_binance(tmp_path / "missing.csv", kind="trades", instrument="btc_usdt")
    good = write(tmp_path / "good.csv", SPOT_AGG)
    with pytest.raises(ValueError, match="exchange must be one of Binance's"):
        MarketData.from_binance(good, kind="agg_trades", instrument="btc_usdt", exchange="okx")
    with pytest.raises(MarketDataError, match=r"good\.csv:1: expected 12 fields \(open_time,"):
        MarketData.from_binance(good, kind="klines", instrument="btc_usdt")
    with pytest.raises(ValueError, match="order must be 'check', 'sort' or 'as_is'"):
        MarketData.from_binance(good, kind="agg_trades", instrument="btc_usdt", order="x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="source: no file given"):
        MarketData.from_binance([], kind="agg_trades", instrument="btc_usdt")
