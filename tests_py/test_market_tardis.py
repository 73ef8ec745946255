"""`MarketData.from_tardis`: Tardis.dev's trades and quotes CSVs in their exact layouts, the
kind from the header, µs times with both clocks, symbols mapped to instruments, exchanges
from Tardis's ids, crossed quotes skipped (the L2 files: test_market_l2.py)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from market_rows import rows

from barter_python import ExchangeId, MarketDataError
from barter_python.market import MarketData

D = Decimal
TRADES = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount"
QUOTES = "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount"
T0 = 1_709_251_200_000_000  # 2024-03-01T00:00:00Z in µs
START = datetime(2024, 3, 1, tzinfo=UTC)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def test_trades_of_two_symbols_with_both_clocks(tmp_path: Path) -> None:
    """Two symbols of binance-futures, mapped to two instruments; `timestamp` is the exchange
    time and `local_timestamp` the receive time; the file is sorted by the latter, so the
    exchange times may step back across symbols (row 3's 20 µs is before row 2's 30 µs)."""
    lines = [
        TRADES,
        f"binance-futures,BTCUSDT,{T0 + 10},{T0 + 900},1,buy,61000.1,0.003",
        f"binance-futures,ETHUSDT,{T0 + 30},{T0 + 950},2,sell,3400.25,1.5",
        f"binance-futures,BTCUSDT,{T0 + 20},{T0 + 960},3,sell,61000,0.001",
    ]
    data = MarketData.from_tardis(
        write(tmp_path / "trades.csv", lines),
        instruments={"BTCUSDT": "btc_usdt", "ETHUSDT": "eth_usdt"},
    )
    assert data.instruments == [
        (ExchangeId.BINANCE_FUTURES_USD, "btc_usdt"),
        (ExchangeId.BINANCE_FUTURES_USD, "eth_usdt"),
    ]
    micro = timedelta(microseconds=1)
    columns = ("instrument", "time_exchange", "time_received", "price", "amount", "side")
    assert [tuple(r[c] for c in columns) for r in rows(data)] == [
        ("btc_usdt", START + 10 * micro, START + 900 * micro, D("61000.1"), D("0.003"), "Buy"),
        ("eth_usdt", START + 30 * micro, START + 950 * micro, D("3400.25"), D("1.5"), "Sell"),
        ("btc_usdt", START + 20 * micro, START + 960 * micro, D("61000"), D("0.001"), "Sell"),
    ]  # fmt: skip


def test_quotes_gzipped_with_a_crossed_book_skipped(tmp_path: Path) -> None:
    lines = [
        QUOTES,
        f"binance,BTCUSDT,{T0},{T0 + 5},0.5,61000.2,61000.1,1.25",
        f"binance,BTCUSDT,{T0 + 10},{T0 + 15},0.5,61000.0,61000.1,1.25",  # crossed: skipped
        f"binance,BTCUSDT,{T0 + 20},{T0 + 25},,,61000.1,1.25",  # no ask side
    ]
    path = tmp_path / "quotes.csv.gz"
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    data = MarketData.from_tardis(path, instruments="btc_usdt")
    assert data.skipped == 1 and len(data) == 2
    first, one_sided = rows(data)
    assert data.instruments == [(ExchangeId.BINANCE_SPOT, "btc_usdt")]
    assert (first["bid_price"], first["bid_amount"], first["ask_price"], first["ask_amount"]) == (
        D("61000.1"),
        D("1.25"),
        D("61000.2"),
        D("0.5"),
    )
    assert one_sided["ask_price"] is None and one_sided["bid_price"] == D("61000.1")


def test_the_exchange_can_be_given(tmp_path: Path) -> None:
    lines = [TRADES, f"some-venue,X,{T0},{T0},1,buy,1,1"]
    path = write(tmp_path / "t.csv", lines)
    with pytest.raises(MarketDataError, match=r"t\.csv:2: exchange: Tardis's \"some-venue\""):
        MarketData.from_tardis(path, instruments="x_usd")
    data = MarketData.from_tardis(path, instruments="x_usd", exchange="okx")
    assert data.instruments == [(ExchangeId.OKX, "x_usd")]


def test_receive_time_order_is_checked(tmp_path: Path) -> None:
    lines = [
        TRADES,
        f"binance,BTCUSDT,{T0},{T0 + 100},1,buy,1,1",
        f"binance,BTCUSDT,{T0 + 1},{T0 + 50},2,buy,1,1",
    ]
    path = write(tmp_path / "t.csv", lines)
    with pytest.raises(
        MarketDataError, match=r"t\.csv:3: time goes back from .*00\.000100Z to .*00\.000050Z"
    ):
        MarketData.from_tardis(path, instruments="btc_usdt")
    assert len(MarketData.from_tardis(path, instruments="btc_usdt", order="sort")) == 2


def trade(symbol: str = "BTCUSDT", side: str = "buy", price: str = "1", time: str = "") -> str:
    return f"binance,{symbol},{time or T0},{T0},1,{side},{price},1"


SNAPSHOT_HEADER = "exchange,symbol,timestamp,local_timestamp,asks[0].price,asks[0].amount"
BAD = [
    ([trade(side="x")], "btc_usdt", r"t\.csv:2: side: must be buy, sell or unknown .*got .x."),
    ([trade(price="0")], "btc_usdt", r"t\.csv:2: price: .*> 0"),
    ([trade(time="x")], "btc_usdt", r"timestamp: must be epoch microseconds"),
    ([trade(), trade("ETHUSDT")], "btc_usdt", r"t\.csv:3: symbol: the file has .BTCUSDT. and"),
    ([trade("SOLUSDT")], {"BTCUSDT": "btc_usdt"}, r"symbol: .SOLUSDT. is not in instruments"),
    (["binance,BTCUSDT"], "btc_usdt", r"t\.csv:2: expected 8 fields"),
]


@pytest.mark.parametrize(("lines", "instruments", "message"), BAD)
def test_bad_input_is_named(
    tmp_path: Path, lines: list[str], instruments: str | dict[str, str], message: str
) -> None:
    with pytest.raises(MarketDataError, match=message):
        MarketData.from_tardis(write(tmp_path / "t.csv", [TRADES, *lines]), instruments=instruments)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (SNAPSHOT_HEADER, r"t\.csv:1: the header names no Tardis file this loader reads"),
        ("a,b", r"the header names no Tardis file this loader reads"),
    ],
)
def test_headers_not_read_are_named(tmp_path: Path, header: str, message: str) -> None:
    with pytest.raises(MarketDataError, match=message):
        MarketData.from_tardis(write(tmp_path / "t.csv", [header]), instruments="btc_usdt")


def test_bad_arguments(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", [TRADES, f"binance,BTCUSDT,{T0},{T0},1,buy,1,1"])
    with pytest.raises(ValueError, match="instruments: map at least one symbol"):
        MarketData.from_tardis(path, instruments={})
    with pytest.raises(ValueError, match="source: no file given"):
        MarketData.from_tardis([], instruments="x")
    quotes = write(tmp_path / "q.csv", [QUOTES, f"binance,BTCUSDT,{T0},{T0},1,2,1,1"])
    with pytest.raises(MarketDataError, match="the files of one source must be of one kind"):
        MarketData.from_tardis([path, quotes], instruments="btc_usdt")
