"""Candles as candles (spec §11): klines and `from_csv(kind="candles")` load as barter-data's
`Candle` events at their close time; a `BarStrategy` gets each one as its bar at its close;
the simulated exchange sees a candle as four prices in order (open, the nearer extreme, the
other, close), and what is sent at a candle's close trades at the next price, the next
candle's open. Every expected number is worked by hand in the comments."""

from __future__ import annotations

import io
import pickle
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from barter_python import ExchangeId, MarketDataError
from barter_python.backtest import BacktestConfig, BacktestResult, MarketData, backtest
from barter_python.engine import DefaultStrategy, EngineEvent, EngineStateView, Requests
from barter_python.exchange import SimulatedExchange
from barter_python.order import OrderKey, OrderKind, OrderRequestOpen, RequestOpen, TimeInForce
from barter_python.strategy import Bar, BarStrategy

D = Decimal
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
BOOK = [{"exchange": "okx", "instrument": "btc_usdt", "base": "btc", "quote": "usdt"}]


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def candle(minute: int, o: str, h: str, lo: str, c: str, volume: str = "10") -> EngineEvent:
    """The candle of minute `minute`, at its close (the end of the minute)."""
    return EngineEvent.candle("okx", "btc_usdt", o, h, lo, c, volume, at(60 * (minute + 1)))


def order(cid: str, side: str, quantity: str, price: str, kind: OrderKind) -> OrderRequestOpen:
    tif = TimeInForce.IMMEDIATE_OR_CANCEL if kind is OrderKind.MARKET else (
        TimeInForce.GOOD_UNTIL_CANCELLED)  # fmt: skip
    key = OrderKey("okx", "btc_usdt", "backtest", cid)
    return OrderRequestOpen(key, RequestOpen(side, price, quantity, kind, tif))


class Plan(DefaultStrategy):
    """At market event `n`, the opens `plan[n]`; records the price barter's state shows."""

    def __init__(self, plan: dict[int, list[OrderRequestOpen]]) -> None:
        self.plan, self.calls = plan, 0
        self.prices: list[Decimal | None] = []
        self.kinds: list[str | None] = []

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        self.prices.append(state.prices().get((ExchangeId.OKX, "btc_usdt")))
        self.kinds.append(state.event.kind if state.event is not None else None)
        self.calls += 1
        return [], self.plan.get(self.calls - 1, [])


def run(
    plan: dict[int, list[OrderRequestOpen]], events: list[EngineEvent], **exchange: Any
) -> tuple[BacktestResult, Plan]:
    config = BacktestConfig(
        instruments=BOOK,
        balances={("okx", "usdt"): 10_000},
        exchange=SimulatedExchange(**exchange),
        equity_interval=None,
        close_positions_at_end=False,
    )
    strategy = Plan(plan)
    return backtest(strategy, MarketData.from_events(events), config), strategy


# --- loading --------------------------------------------------------------------------------


def test_a_candles_csv_loads_candles_at_the_rows_time(tmp_path: Path) -> None:
    path = tmp_path / "candles.csv"
    path.write_text(
        f"time,open,high,low,close,volume\n{at(60).isoformat()},100,110,90,105.5,12.5\n"
    )
    data = MarketData.from_csv(path, kind="candles", exchange="okx", instrument="btc_usdt")
    expected = EngineEvent.candle("okx", "btc_usdt", 100, 110, 90, "105.5", "12.5", at(60))
    assert data == MarketData.from_events([expected])
    assert "(0 trades, 0 l1, 1 candles, 0 disconnections)" in repr(data)
    assert pickle.loads(pickle.dumps(data)) == data


def kline(open_time: int, unit: int, prices: tuple[str, str, str, str], count: int) -> str:
    """Binance's kline row: open_time, OHLC, volume, close_time (the interval's last unit),
    quote_volume, count, taker_buy_volume, taker_buy_quote_volume, ignore."""
    close_time = open_time + 60 * unit - 1
    return f"{open_time},{','.join(prices)},2.5,{close_time},250.1,{count},1.2,120.3,0\n"


def test_binance_klines_are_candles_at_their_close_time_spot_in_us_futures_in_ms(
    tmp_path: Path,
) -> None:
    start_us = 1_735_689_600_000_000  # 2025-01-01T00:00:00Z: spot times in microseconds
    spot = tmp_path / "BTCUSDT-1m-2025-01-01.zip"
    rows = kline(start_us, 1_000_000, ("93500.1", "93600", "93400", "93550.25"), 420)
    rows += kline(start_us + 60_000_000, 1_000_000, ("93550.25", "93551", "93500", "93501"), 7)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("BTCUSDT-1m-2025-01-01.csv", rows)
    spot.write_bytes(buffer.getvalue())
    data = MarketData.from_binance(spot, kind="klines", instrument="btc_usdt")
    first_close = datetime(2025, 1, 1, 0, 0, 59, 999_999, tzinfo=UTC)
    expected = [
        EngineEvent.candle("binance_spot", "btc_usdt", "93500.1", "93600", "93400",
                           "93550.25", "2.5", first_close, trades=420),
        EngineEvent.candle("binance_spot", "btc_usdt", "93550.25", "93551", "93500", "93501",
                           "2.5", first_close + timedelta(minutes=1), trades=7),
    ]  # fmt: skip
    assert data == MarketData.from_events(expected)

    header = ("open_time,open,high,low,close,volume,close_time,quote_volume,count,"
              "taker_buy_volume,taker_buy_quote_volume,ignore\n")  # fmt: skip
    futures = tmp_path / "ETHUSDT-1m-2024-03-01.csv"
    futures.write_text(
        header + kline(1_709_251_200_000, 1_000, ("3380.5", "3381", "3380", "3380.75"), 9)
    )
    loaded = MarketData.from_binance(
        futures, kind="klines", instrument="eth_usdt", exchange="binance_futures_usd"
    )
    assert loaded.time_first_event == datetime(2024, 3, 1, 0, 0, 59, 999_000, tzinfo=UTC)


def test_a_kline_that_does_not_hold_together_is_refused_naming_line_and_column(
    tmp_path: Path,
) -> None:
    path = tmp_path / "klines.csv"
    path.write_text(
        kline(1_709_251_200_000, 1_000, ("3382", "3381", "3380", "3380.75"), 9)  # open > high
        + kline(1_709_251_260_000, 1_000, ("3380", "3381", "3380", "3380.75"), -1)
    )
    with pytest.raises(MarketDataError) as error:
        MarketData.from_binance(path, kind="klines", instrument="eth_usdt")
    text = str(error.value)
    assert f"{path}:1: open: above high 3381, got 3382" in text
    assert f"{path}:2: count: must be a whole number >= 0" in text


def test_engine_event_candle_checks_its_prices() -> None:
    with pytest.raises(ValueError, match="candle close: below low 90, got 80"):
        EngineEvent.candle("okx", "btc_usdt", 100, 110, 90, 80, 1, at(0))
    with pytest.raises(ValueError, match="volume must be >= 0"):
        EngineEvent.candle("okx", "btc_usdt", 100, 110, 90, 95, -1, at(0))


def test_candles_round_trip_through_arrow() -> None:
    pytest.importorskip("pyarrow")
    data = MarketData.from_events(
        [
            candle(0, "100", "101", "99", "100.5"),
            EngineEvent.trade("okx", "btc_usdt", 1, 2, "Buy", at(61)),
        ]
    )
    table = data.to_arrow()
    row = table.to_pylist()[0]
    assert (row["kind"], row["price"], row["amount"], row["open"], row["high"], row["low"]) == (
        "candle", 100.5, 10.0, 100.0, 101.0, 99.0)  # fmt: skip
    assert table.to_pylist()[1]["open"] is None
    assert MarketData.from_arrow(table) == data


# --- bars -----------------------------------------------------------------------------------


class Minutes(BarStrategy):
    bar_interval = timedelta(minutes=1)

    def __init__(self) -> None:
        self.bars: list[tuple[Bar, datetime | None]] = []

    def on_bar(self, bar: Bar, state: EngineStateView) -> Requests:
        self.bars.append((bar, state.event.time if state.event is not None else None))
        return [], []


class FiveMinutes(Minutes):
    bar_interval = timedelta(minutes=5)


def bars(strategy: Minutes, events: list[EngineEvent]) -> list[tuple[Bar, datetime | None]]:
    config = BacktestConfig(instruments=BOOK, balances={("okx", "usdt"): 1000})
    backtest(strategy, MarketData.from_events(events), config)
    return strategy.bars


def test_a_bar_strategy_gets_each_candle_at_its_close_not_an_interval_later() -> None:
    events = [candle(0, "100", "104", "99", "103"), candle(1, "103", "105", "102", "102.5")]
    (first, first_at), (second, second_at) = bars(Minutes(), events)
    assert (first.time_open, first.time_close, first_at) == (at(0), at(60), at(60))
    assert (first.open, first.high, first.low, first.close) == (D(100), D(104), D(99), D(103))
    assert (second.time_open, second_at) == (at(60), at(120))
    # Binance's close time, the interval's last millisecond, ends the same bar.
    binance = EngineEvent.candle("okx", "btc_usdt", 1, 2, 1, 2, 1, at(59.999))
    [(bar, seen_at)] = bars(Minutes(), [binance])
    assert (bar.time_open, bar.time_close, seen_at) == (at(0), at(60), at(59.999))


def test_shorter_candles_make_a_longer_bar_handed_over_at_the_last_ones_close() -> None:
    # Five 1-minute candles make one 5-minute bar: open of the first (100), high 108, low 97
    # over all, close of the fifth (106), volume 5 x 10 = 50.
    prices = [
        ("100", "102", "99", "101"),
        ("101", "108", "100", "107"),
        ("107", "107", "97", "98"),
        ("98", "103", "98", "102"),
        ("102", "106", "101", "106"),
    ]
    events = [candle(m, *p) for m, p in enumerate(prices)]  # fmt: skip
    [(bar, seen_at)] = bars(FiveMinutes(), events)
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (
        D(100), D(108), D(97), D(106), D(50))  # fmt: skip
    assert (bar.time_open, bar.time_close, seen_at) == (at(0), at(300), at(300))


# --- the simulated exchange -----------------------------------------------------------------


def test_an_order_sent_at_a_candles_close_fills_at_the_next_open() -> None:
    # Sent at candle 0's close (100.5): the next price is candle 1's open, 102, with no
    # latency too; barter's state prices the instrument at each candle's close.
    events = [candle(0, "100", "101", "99", "100.5"), candle(1, "102", "103", "101", "102.5")]
    result, strategy = run({0: [order("b", "Buy", "1", "100.5", OrderKind.MARKET)]}, events)
    [fill] = result.fills
    assert (fill.price, fill.time) == (D(102), at(120))
    assert strategy.prices == [D("100.5"), D("102.5")]
    assert strategy.kinds == ["candle", "candle"]
    # The mark is the close: 10,000 - 102 = 9,898 usdt and 1 btc at 102.5, 10,000.5 in all.
    usdt = [(p.cash, p.holdings, p.equity) for p in result.equity if p.asset == "usdt"]
    assert usdt[-1] == (D(9898), D("102.5"), D("10000.5"))


def test_resting_orders_meet_the_nearer_extreme_first() -> None:
    # Bought 1 at candle 1's open (100). At its close a take-profit Sell at 104 and a Buy at 96
    # rest. Candle 2 opens at 100: the high (104.5, 4.5 away) is nearer than the low (95, 5
    # away), so the Sell fills first at 104, then the Buy at 96.
    def fills(c2: tuple[str, str, str, str]) -> list[tuple[str, Decimal]]:
        events = [candle(0, "100", "100", "100", "100"), candle(1, "100", "101", "99", "100"),
                  candle(2, *c2)]  # fmt: skip
        plan = {
            0: [order("b", "Buy", "1", "100", OrderKind.MARKET)],
            1: [order("tp", "Sell", "1", "104", OrderKind.LIMIT),
                order("dip", "Buy", "1", "96", OrderKind.LIMIT)],
        }  # fmt: skip
        result, _ = run(plan, events)
        return [(f.side.value, f.price) for f in result.fills[1:]]

    assert fills(("100", "104.5", "95", "99")) == [("Sell", D(104)), ("Buy", D(96))]
    # Mirrored: the low (99 - 4.5 = 95.5, 4.5 away) is nearer than the high (105, 5 away).
    assert fills(("100", "105", "95.5", "99")) == [("Buy", D(96)), ("Sell", D(104))]


def test_a_candles_volume_is_shared_among_its_prices_under_displayed_volume() -> None:
    # A Buy of 5 at 99 rests; candle 1 (volume 2) goes 100 -> 98 -> 101 -> 100: it fills 2
    # at its limit when the price reaches 98, and no more in that candle.
    events = [candle(0, "100", "100", "100", "100"), candle(1, "100", "101", "98", "100", "2")]
    result, _ = run({0: [order("r", "Buy", "5", "99", OrderKind.LIMIT)]}, events,
                    fill_volume="displayed")  # fmt: skip
    assert [(f.price, f.quantity) for f in result.fills] == [(D(99), D(2))]


def test_what_is_sent_at_the_last_candle_never_reaches_the_market() -> None:
    events = [candle(0, "100", "101", "99", "100.5")]
    result, _ = run({0: [order("late", "Buy", "1", "100", OrderKind.MARKET)]}, events)
    [late] = result.orders
    assert (late.status, late.reason) == (
        "expired",
        "sent at a candle's close: no price came after it before the data ended",
    )
