"""Latency both ways and two clocks (spec §12): response latency, recorded latencies
interpolated as hftbacktest's `IntpOrderLatency` does (`latency_from`), and a replay that
shows each event to the exchange at its exchange time and to the strategy at its receive time.
Every expected number is worked out by hand in the comments; times are milliseconds after
`T0` unless said otherwise."""

from __future__ import annotations

import pickle
import re
from decimal import Decimal
from pathlib import Path
from typing import Literal

import pytest
from pydantic import ValidationError
from test_exchange import (
    BOOK,
    BTC,
    BTC_ASSET,
    USDT,
    Plan,
    Request,
    at,
    cancel,
    engine,
    limit,
    market,
    order,
    run,
    trade,
    usdt_equity,
)

from barter_python.backtest import BacktestConfig, BacktestResult, MarketData, backtest
from barter_python.exchange import MAX_LATENCY_MS, BarterMockExchange, SimulatedExchange
from barter_python.market import Catalog, MarketQuery

D = Decimal


def ms(value: int) -> float:
    return value / 1000


# --- response latency ------------------------------------------------------------------------


def test_a_fill_reaches_the_strategy_response_latency_after_the_exchange_made_it() -> None:
    # The market Buy sent at 1,000 fills at once at the exchange (no entry latency), at 100;
    # with 50 ms of response latency barter's state shows it at the first event at or after
    # 1,050: not at 1,020, at 1,050.
    events = [trade(100, ms(t)) for t in (0, 1000, 1020, 1050, 1100)]
    plan: dict[int, list[Request]] = {1: [market("Buy", 1, 100, "b")]}
    result, strategy = run(plan, events, SimulatedExchange(response_latency_ms=50))
    assert [(s.balance(USDT), s.balance(BTC_ASSET)) for s in strategy.seen] == [
        (D(10_000), D(0)),
        (D(10_000), D(0)),
        (D(10_000), D(0)),  # 1,020: the fill is on its way
        (D(9900), D(1)),  # 1,050: it arrived
        (D(9900), D(1)),
    ]
    b = order(result, "b")
    # The exchange's records keep the exchange's times.
    assert (b.time, b.status, b.average_price) == (at(1), "filled", D(100))
    assert result.fills[0].time == at(1)


def test_without_response_latency_the_fill_is_there_at_the_next_call() -> None:
    events = [trade(100, ms(t)) for t in (0, 1000, 1020)]
    _, strategy = run({1: [market("Buy", 1, 100, "b")]}, events)
    assert [s.balance(USDT) for s in strategy.seen] == [D(10_000), D(10_000), D(9900)]


def test_a_cancel_answer_travels_too() -> None:
    # A Buy 1 at 99 rests at 0 (its answer due at 100); the cancel sent at 100 reaches the
    # exchange at once and cancels it (its answer due at 200). At 150 barter still shows the
    # order (the cancel on its way); at 200 it is gone. The trade at 98 (at 200) comes after
    # the cancel at the exchange: no fill, usdt stays 10,000.
    events = [trade(100, ms(t)) for t in (0, 100, 150)] + [trade(98, ms(200)), trade(100, ms(250))]
    plan: dict[int, list[Request]] = {0: [limit("Buy", 1, 99, "r")], 1: [cancel("r")]}
    result, strategy = run(plan, events, SimulatedExchange(response_latency_ms=100))
    assert [s.open for s in strategy.seen] == [set(), {"r"}, {"r"}, set(), set()]
    assert [s.balance(USDT) for s in strategy.seen] == [D(10_000)] * 5
    assert order(result, "r").status == "cancelled"


def test_answers_still_on_their_way_when_the_data_ends_are_delivered_before_the_results() -> None:
    # The Buy at the last event (1,000) fills at 100; its answer (due at 1,500) is delivered
    # at the end: the final equity holds 1 btc at the mark 100.
    events = [trade(100, 0), trade(100, 1)]
    result, strategy = run(
        {1: [market("Buy", 1, 100, "b")]}, events, SimulatedExchange(response_latency_ms=500)
    )
    assert strategy.seen[-1].balance(USDT) == D(10_000)
    assert usdt_equity(result)[-1] == (D(9900), D(100), D(10_000))
    assert order(result, "b").status == "filled"


def test_the_engine_delivers_answers_at_the_first_event_at_or_after_their_time() -> None:
    # The Buy sent at 0 fills at once at 100; 300 ms of response latency: not in the audit of
    # the event at 200 ms, in the one at 300 ms.
    eng = engine([market("Buy", 1, 100, "b")], exchange=SimulatedExchange(response_latency_ms=300))
    assert eng.process(trade(100, 0)).trades == []
    assert eng.process(trade(101, ms(200))).trades == []
    arrived = eng.process(trade(102, ms(300)))
    assert [(t.price, t.quantity) for t in arrived.trades] == [(D(100), D(1))]
    assert eng.state.balances()[USDT] == D(1000 - 100)


@pytest.mark.parametrize("value", [-1, MAX_LATENCY_MS + 1])
def test_response_latency_is_bounded_like_latency(value: int) -> None:
    with pytest.raises(ValidationError, match="response_latency_ms"):
        SimulatedExchange(response_latency_ms=value)
    assert SimulatedExchange(response_latency_ms=MAX_LATENCY_MS).response_latency_ms == (
        MAX_LATENCY_MS
    )


# --- latency_from: recorded round trips ------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "latency.csv"
    path.write_text(text)
    return path


def test_latency_from_interpolates_entry_on_request_time_and_response_on_exchange_time(
    tmp_path: Path,
) -> None:
    # Two recorded round trips (ms after T0): sent 0, at the exchange 10, answered 30 (entry
    # 10, response 20); sent 1,000, at the exchange 1,030, answered 1,040 (entry 30, response
    # 10). The Buy sent at 500: entry 10 + (30 - 10) x 500 / 1,000 = 20 ms, so it reaches the
    # exchange at 520 and takes the touch there, 103. Its answer, given at exchange time 520:
    # response 20 + (10 - 20) x (520 - 10) / (1,030 - 10) = 20 - 5 = 15 ms, due at 535, so
    # barter shows it at the event at 540 (usdt 10,000 - 103 = 9,897).
    path = write(
        tmp_path,
        "request_time,exchange_time,response_time\n"
        "2026-01-05T09:00:00Z,2026-01-05T09:00:00.010Z,2026-01-05T09:00:00.030Z\n"
        "2026-01-05T09:00:01Z,2026-01-05T09:00:01.030Z,2026-01-05T09:00:01.040Z\n",
    )
    times = [(0, 100), (500, 101), (519, 102), (520, 103), (534, 104), (540, 105), (600, 106)]
    events = [trade(price, ms(t)) for t, price in times]
    result, strategy = run(
        {1: [market("Buy", 1, 100, "b")]}, events, SimulatedExchange(latency_from=path)
    )
    assert [s.balance(USDT) for s in strategy.seen] == [D(10_000)] * 5 + [D(9897)] * 2
    b = order(result, "b")
    assert (b.time, b.average_price) == (at(ms(500)), D(103))
    assert result.fills[0].time == at(ms(520))


def test_a_request_next_to_a_recorded_rejection_is_refused_after_its_round_trip(
    tmp_path: Path,
) -> None:
    # Integer microseconds since the epoch. Both rows are rejections (no exchange_time), each
    # answered 40 ms after it was sent: the Buy sent at 500 is refused, barter told at 540.
    t0 = int(at(0).timestamp()) * 1_000_000
    path = write(
        tmp_path,
        f"request_time,exchange_time,response_time\n{t0},,{t0 + 40_000}\n"
        f"{t0 + 1_000_000},,{t0 + 1_040_000}\n",
    )
    events = [trade(100, ms(t)) for t in (0, 500, 539, 540)]
    result, strategy = run(
        {1: [market("Buy", 1, 100, "b")]}, events, SimulatedExchange(latency_from=path)
    )
    assert [s.open for s in strategy.seen] == [set(), set(), {"b"}, set()]
    b = order(result, "b")
    assert (b.status, b.reason) == ("refused", f"rejected by the exchange (latency_from {path})")
    assert result.orders_refused == 1 and result.fills == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("request_time,exchange_time\n1,2\n", "line 1: the header has no response_time column"),
        ("request_time,exchange_time,response_time\n5,6,7\n4,6,7\n", "line 3: request_time: goes"),
        ("request_time,exchange_time,response_time\n5,4,7\n", "line 2: exchange_time: before"),
        ("request_time,exchange_time,response_time\n5,6,5\n", "line 2: response_time: before"),
        ("request_time,exchange_time,response_time\nsoon,6,7\n", "line 2: request_time: not an"),
    ],
)
def test_a_bad_latency_file_is_refused_naming_its_line_and_field(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ValidationError, match=re.escape(f"{path}: {problem}")):
        SimulatedExchange(latency_from=path)


def test_latency_from_replaces_the_constant_latencies(tmp_path: Path) -> None:
    path = write(tmp_path, "request_time,exchange_time,response_time\n1,2,3\n")
    with pytest.raises(ValidationError, match="latency_from replaces latency_ms"):
        SimulatedExchange(latency_from=path, latency_ms=5)
    with pytest.raises(ValidationError, match="No such file"):
        SimulatedExchange(latency_from=tmp_path / "missing.csv")


def test_a_config_with_a_latency_file_pickles_and_round_trips_through_json(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "request_time,exchange_time,response_time\n1,2,3\n")
    config = BacktestConfig(instruments=BOOK, exchange=SimulatedExchange(latency_from=str(path)))
    assert isinstance(config.exchange, SimulatedExchange)
    assert config.exchange.latency_from == path
    assert pickle.loads(pickle.dumps(config)) == config
    assert BacktestConfig.model_validate_json(config.model_dump_json()) == config


# --- two clocks ------------------------------------------------------------------------------


def received(tmp_path: Path, rows: list[tuple[int, int, int]]) -> MarketData:
    """Tardis trades of btc_usdt on okx: (exchange time, receive time, price), in ms after T0,
    in receive order (as Tardis files are)."""
    t0 = int(at(0).timestamp()) * 1_000_000
    lines = ["exchange,symbol,timestamp,local_timestamp,id,side,price,amount"]
    lines += [
        f"okx,BTC-USDT,{t0 + te * 1000},{t0 + tr * 1000},{n},buy,{price},1"
        for n, (te, tr, price) in enumerate(rows)
    ]
    path = tmp_path / "trades.csv"
    path.write_text("\n".join(lines) + "\n")
    return MarketData.from_tardis(path, instruments="btc_usdt", exchange="okx")


def two_clocks(
    plan: dict[int, list[Request]],
    data: MarketData | MarketQuery,
    exchange: SimulatedExchange,
    clocks: Literal["exchange", "both"] = "both",
) -> tuple[BacktestResult, Plan]:
    config = BacktestConfig(
        instruments=BOOK,
        balances={("okx", "usdt"): 10_000},
        exchange=exchange,
        equity_interval=None,
        close_positions_at_end=False,
        clocks=clocks,
    )
    strategy = Plan(plan)
    return backtest(strategy, data, config), strategy


def test_an_order_reaches_the_exchange_at_strategy_time_plus_latency_on_the_exchanges_clock(
    tmp_path: Path,
) -> None:
    # Trades at exchange times 1,000 (100), 1,010 (101) and 1,036 (102), received at 1,030,
    # 1,040 and 1,045. The strategy is called at the receive times. The market Buy sent at
    # its 1,030 with 5 ms of latency reaches the exchange at 1,035, whose market then is the
    # trades up to 1,035: the touch is the 1,010 trade, 101 (not 102: that trade is later).
    # The fill (at 1,035) is in barter's state at the next call, 1,040: 10,000 - 101 = 9,899.
    data = received(tmp_path, [(1000, 1030, 100), (1010, 1040, 101), (1036, 1045, 102)])
    result, strategy = two_clocks(
        {0: [market("Buy", 1, 100, "b")]}, data, SimulatedExchange(latency_ms=5)
    )
    assert [s.time for s in strategy.seen] == [at(ms(1030)), at(ms(1040)), at(ms(1045))]
    assert [s.balance(USDT) for s in strategy.seen] == [D(10_000), D(9899), D(9899)]
    b = order(result, "b")
    assert (b.time, b.average_price) == (at(ms(1030)), D(101))
    assert result.fills[0].time == at(ms(1035))


def test_with_no_latency_an_order_meets_the_market_the_strategy_has_not_seen_yet(
    tmp_path: Path,
) -> None:
    # At the strategy's 1,030 it has seen the trade at 100 (exchange time 1,000) only, but the
    # exchange has seen the one at 101 (1,010, received at 1,040): feed latency. The Buy sent
    # then reaches the exchange at once, at 1,030, and takes 101.
    data = received(tmp_path, [(1000, 1030, 100), (1010, 1040, 101)])
    result, strategy = two_clocks({0: [market("Buy", 1, 100, "b")]}, data, SimulatedExchange())
    assert strategy.seen[0].prices[BTC] == D(100)
    assert order(result, "b").average_price == D(101)
    assert result.fills[0].time == at(ms(1030))


def test_with_two_clocks_nothing_fills_against_a_trade_before_the_order_arrived(
    tmp_path: Path,
) -> None:
    # The trade at 99 happened at 1,020 at the exchange (received at 1,050), the one at 101 at
    # 1,025 (received 1,055): both before the Buy at 100.5 sent at the strategy's 1,030
    # reached the exchange (at once, at 1,030: the touch was 101, so it rests). The strategy
    # sees the 99 at 1,050, through its limit, but the order never met it. The trade at 100
    # at exchange time 1,060 (received 1,070) is through it: it fills at 100.5.
    rows = [(1000, 1030, 100), (1010, 1040, 101), (1020, 1050, 99), (1025, 1055, 101)]
    rows += [(1060, 1070, 100)]
    result, strategy = two_clocks(
        {0: [limit("Buy", 1, "100.5", "r")]}, received(tmp_path, rows), SimulatedExchange()
    )
    assert [s.open for s in strategy.seen] == [set(), {"r"}, {"r"}, {"r"}, set()]
    assert strategy.seen[2].prices[BTC] == D(99)
    r = order(result, "r")
    assert (r.status, r.average_price) == ("filled", D("100.5"))
    assert result.fills[0].time == at(ms(1060))


def test_one_clock_replays_the_same_data_at_its_exchange_times(tmp_path: Path) -> None:
    # clocks="exchange" (the default): the calls are at the exchange times, in the data's
    # order; the Buy sent at 1,000 with 5 ms of latency arrives at the next event, 1,010.
    data = received(tmp_path, [(1000, 1030, 100), (1010, 1040, 101), (1036, 1045, 102)])
    plan: dict[int, list[Request]] = {0: [market("Buy", 1, 100, "b")]}
    result, strategy = two_clocks(plan, data, SimulatedExchange(latency_ms=5), "exchange")
    assert [s.time for s in strategy.seen] == [at(ms(1000)), at(ms(1010)), at(ms(1036))]
    assert result.fills[0].time == at(ms(1010))


def test_two_clocks_need_the_simulated_exchange() -> None:
    with pytest.raises(ValidationError, match="clocks='both' needs the simulated exchange"):
        BacktestConfig(instruments=BOOK, exchange=BarterMockExchange(), clocks="both")


def test_two_clocks_stream_from_a_catalog_as_from_memory(tmp_path: Path) -> None:
    # The catalog's streaming replay reads the files twice (the first pass finds the largest
    # feed latency, 30 ms): the same calls and fill as the data in memory.
    data = received(tmp_path, [(1000, 1030, 100), (1010, 1040, 101), (1036, 1045, 102)])
    Catalog(tmp_path / "catalog").write(data)
    query = Catalog(tmp_path / "catalog").query()
    plan: dict[int, list[Request]] = {0: [market("Buy", 1, 100, "b")]}
    streamed, streamed_strategy = two_clocks(plan, query, SimulatedExchange(latency_ms=5))
    loaded, loaded_strategy = two_clocks(plan, query.load(), SimulatedExchange(latency_ms=5))
    assert streamed_strategy.seen == loaded_strategy.seen
    assert streamed.fills == loaded.fills
    assert streamed.fills[0].time == at(ms(1035))
