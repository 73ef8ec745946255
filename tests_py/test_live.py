"""The live (paper) system against the local exchange: barter-data's own Binance connector
pointed at a WebSocket server on 127.0.0.1. No test needs the internet."""

from __future__ import annotations

import _thread
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from barter_python import MarketDataError
from barter_python.engine import (
    DefaultStrategy,
    EngineActions,
    EngineStateView,
    Requests,
    market_order,
)
from barter_python.instrument import ExchangeId
from barter_python.live import LiveConfig, LiveEvent, LiveSystem
from barter_python.live import system as live_system
from barter_python.live.testing import LocalExchange
from barter_python.risk import RiskLimits

BTC = (ExchangeId.BINANCE_SPOT, "btc_usdt")


def config(url: str, **fields: object) -> LiveConfig:
    values: dict[str, object] = {
        "instruments": [
            {"exchange": "binance_spot", "instrument": "btc_usdt", "base": "btc", "quote": "usdt"}
        ],
        "balances": {("binance_spot", "usdt"): 10_000},
        "endpoints": {"binance_spot": url},
        "equity_interval": None,
    }
    return LiveConfig.model_validate({**values, **fields})


class Recorder(DefaultStrategy):
    """Remembers each call (the last price it saw) and what barter's hooks were called for."""

    def __init__(self, orders: list[object] | None = None) -> None:
        self.prices: list[Decimal] = []
        self.hooks: list[str] = []
        self.threads: set[int] = set()
        self.orders = list(orders or [])

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        self.threads.add(threading.get_ident())
        price = state.prices().get(BTC)  # none before the first trade
        if price is not None:
            self.prices.append(price)
        orders, self.orders = self.orders, []
        return [], orders  # type: ignore[return-value]

    def on_disconnect(self, engine: EngineActions, exchange: ExchangeId) -> None:
        self.hooks.append(f"disconnect:{exchange.value}")

    def on_trading_disabled(self, engine: EngineActions) -> None:
        self.hooks.append("trading_disabled")


def wait_for(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@pytest.fixture
def exchange() -> Iterator[LocalExchange]:
    with LocalExchange() as local:
        yield local


@pytest.fixture(autouse=True)
def _no_system_outlives_its_test() -> Iterator[None]:
    """A failed test's system would keep its endpoint (and the next test's refused)."""
    yield
    for system in list(live_system._RUNNING):
        system.shutdown()


def test_trades_reach_the_engine_and_the_strategy_in_order(exchange: LocalExchange) -> None:
    strategy = Recorder()
    with LiveSystem.start(config(exchange.url, trading_enabled=True), strategy) as system:
        assert exchange.wait_connected(2)  # trades and l1: one connection each
        assert sorted(exchange.subscriptions) == ["btcusdt@bookTicker", "btcusdt@trade"]
        start = datetime.now(UTC)
        for n in range(1, 6):
            # barter keeps the first of two prices at one exchange time: a millisecond apart.
            at = start + timedelta(milliseconds=n)
            assert exchange.send_trade("BTCUSDT", 100 + n, "0.5", time=at) == 1
        wait_for(lambda: system.snapshot().events == 5)
        snapshot = system.snapshot()
        assert snapshot.prices[BTC] == Decimal(105)
        assert snapshot.trading_enabled
        assert snapshot.balances[(ExchangeId.BINANCE_SPOT, "usdt")] == Decimal(10_000)
    assert strategy.prices == [Decimal(101 + n) for n in range(5)]
    assert len(strategy.threads) == 1  # the engine's own thread, not Python's
    assert threading.get_ident() not in strategy.threads
    result = system.shutdown()
    assert result.events == 5 and result.fills == []
    assert not system.running


def test_a_market_order_fills_at_the_streamed_touch(exchange: LocalExchange) -> None:
    order = market_order("binance_spot", "btc_usdt", "buy", "0.1", 1, strategy_id="live", cid="b1")
    strategy = Recorder([order])
    system = LiveSystem.start(config(exchange.url), strategy)
    assert exchange.wait_connected(2)
    exchange.send_book_ticker("BTCUSDT", "99.5", "3", "100.5", "2")
    wait_for(lambda: system.snapshot().events == 1)
    system.set_trading(True)  # the strategy's first call comes with the next event
    exchange.send_trade("BTCUSDT", "100", "0.01")
    events = system.events(timeout=5)
    fill = next(e for e in events if e.kind == "fill")
    assert fill.fill is not None and fill.fill.price == Decimal("100.5")  # the ask, not 1
    assert "buy 0.1" in str(fill)
    snapshot = system.snapshot()
    assert snapshot.positions[BTC].quantity == Decimal("0.1")
    assert snapshot.balances[(ExchangeId.BINANCE_SPOT, "usdt")] == Decimal("9989.95")
    result = system.shutdown()
    assert [(f.price, f.quantity) for f in result.fills] == [(Decimal("100.5"), Decimal("0.1"))]
    assert result.orders[0].cid == "b1" and result.orders[0].status == "filled"
    assert system.shutdown() is result  # idempotent


def test_commands_from_python_close_what_the_strategy_opened(exchange: LocalExchange) -> None:
    system = LiveSystem.start(config(exchange.url), Recorder())
    assert exchange.wait_connected(2)
    exchange.send_book_ticker("BTCUSDT", "99", "5", "101", "5")
    wait_for(lambda: system.snapshot().events == 1)
    buy = market_order("binance_spot", "btc_usdt", "buy", "1", 101, strategy_id="live", cid="o1")
    system.send_requests(opens=[buy])
    assert system.snapshot().positions[BTC].quantity == Decimal(1)
    system.close_positions()
    assert BTC not in system.snapshot().positions
    result = system.shutdown()
    # Bought at the ask (101), sold at the bid (99): 2 lost, no fees by default.
    assert result.positions[0].pnl_realised == Decimal(-2)
    assert result.orders[0].cid == "o1"


def test_a_strategy_exception_turns_trading_off_and_the_system_keeps_running(
    exchange: LocalExchange,
) -> None:
    class Raising(Recorder):
        def generate_algo_orders(self, state: EngineStateView) -> Requests:
            super().generate_algo_orders(state)
            raise KeyError("inside the strategy")

    strategy = Raising()
    system = LiveSystem.start(config(exchange.url, trading_enabled=True), strategy)
    assert exchange.wait_connected(2)
    exchange.send_trade("BTCUSDT", "100", "1")
    error = next(e for e in system.events(timeout=5) if e.kind == "strategy_error")
    assert "KeyError" in error.reason and "trading is now disabled" in error.reason
    assert "test_live.py" in error.reason  # where the user's code raised
    exchange.send_trade("BTCUSDT", "101", "1")
    wait_for(lambda: system.snapshot().events == 2)
    assert not system.snapshot().trading_enabled
    assert strategy.prices == [Decimal(100)]  # not called once trading is off
    assert strategy.hooks == ["trading_disabled"]
    assert system.shutdown().events == 2


def test_a_dropped_stream_reconnects_and_calls_on_disconnect(exchange: LocalExchange) -> None:
    strategy = Recorder()
    system = LiveSystem.start(config(exchange.url, streams=["trades"]), strategy)
    assert exchange.wait_connected(1)
    exchange.send_trade("BTCUSDT", "100", "1")
    assert exchange.drop_connections() == 1
    connectivity = ("disconnected", "reconnected")
    drops = (e for e in system.events(timeout=5) if e.kind in connectivity)
    assert next(drops).kind == "disconnected"
    wait_for(lambda: exchange.connections == 2)  # barter-data subscribed again
    assert exchange.wait_connected(1)
    exchange.send_trade("BTCUSDT", "102", "1")
    kinds = [e.kind for e in system.events(timeout=2) if e.kind in connectivity]
    assert kinds == ["reconnected"]
    assert strategy.hooks == ["disconnect:binance_spot"]
    wait_for(lambda: system.snapshot().prices.get(BTC) == Decimal(102))
    system.shutdown()


def test_a_malformed_frame_is_counted_and_skipped(exchange: LocalExchange) -> None:
    system = LiveSystem.start(config(exchange.url, streams=["trades"]), Recorder())
    assert exchange.wait_connected(1)
    exchange.send('{"e":"trade","s":"BTCUSDT","p":"not a price"}')
    exchange.send_trade("BTCUSDT", "100", "1")
    wait_for(lambda: system.snapshot().events == 1)
    snapshot = system.snapshot()
    assert snapshot.malformed == 1 and snapshot.prices[BTC] == Decimal(100)
    assert any(e.kind == "malformed" for e in system.events(timeout=1))
    system.shutdown()


def test_nothing_listening_raises_market_data_error_naming_exchange_and_url() -> None:
    with LocalExchange() as local:
        url = local.url
    started = time.monotonic()
    with pytest.raises(MarketDataError, match=r"binance_spot.*127\.0\.0\.1"):
        LiveSystem.start(config(url), Recorder(), connect_timeout=5)
    assert time.monotonic() - started < 5


def test_a_rejected_subscription_raises(exchange: LocalExchange) -> None:
    exchange.reject_next_subscription()
    with pytest.raises(MarketDataError, match="binance_spot"):
        LiveSystem.start(config(exchange.url, streams=["trades"]), Recorder(), connect_timeout=5)


def test_an_endpoint_for_a_constant_url_is_refused_listing_those_that_can() -> None:
    with pytest.raises(ValueError, match=r"okx.*binance_spot, binance_futures_usd, bybit_spot"):
        config("ws://127.0.0.1:1/ws", endpoints={"okx": "ws://127.0.0.1:1/ws"})
    with pytest.raises(ValueError, match="not a ws:// or wss:// URL"):
        config("http://127.0.0.1:1/ws")


def test_blocking_calls_inside_a_callback_raise_instead_of_deadlocking(
    exchange: LocalExchange,
) -> None:
    errors: list[str] = []

    class Snooping(Recorder):
        system: LiveSystem | None = None

        def generate_algo_orders(self, state: EngineStateView) -> Requests:
            assert self.system is not None
            try:
                self.system.snapshot()
            except RuntimeError as error:
                errors.append(str(error))
            return [], []

    strategy = Snooping()
    system = LiveSystem.start(config(exchange.url, trading_enabled=True), strategy)
    strategy.system = system
    assert exchange.wait_connected(2)
    exchange.send_trade("BTCUSDT", "100", "1")
    wait_for(lambda: system.snapshot().events == 1)
    assert errors and "inside a strategy callback" in errors[0]
    system.shutdown()


def test_commands_from_other_threads(exchange: LocalExchange) -> None:
    system = LiveSystem.start(config(exchange.url), Recorder())
    assert exchange.wait_connected(2)
    seen: list[bool] = []

    def toggle() -> None:
        system.set_trading(True)
        seen.append(system.snapshot().trading_enabled)

    threads = [threading.Thread(target=toggle) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [True] * 4
    system.shutdown()


def test_events_end_once_the_system_has_stopped(exchange: LocalExchange) -> None:
    system = LiveSystem.start(config(exchange.url), Recorder())
    system.shutdown()
    events: list[LiveEvent] = list(system.events())
    assert [e.kind for e in events] == ["stopped"]
    with pytest.raises(RuntimeError, match="shut down"):
        system.set_trading(True)


def os_threads() -> int:
    return len(os.listdir("/proc/self/task"))


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux's /proc")
def test_start_and_shutdown_many_times_leaves_no_thread_or_socket_behind(
    exchange: LocalExchange,
) -> None:
    system = LiveSystem.start(config(exchange.url), Recorder())
    system.shutdown()  # the first start loads what stays loaded
    wait_for(lambda: exchange.open_connections == 0)
    threads, files = os_threads(), open_files()
    for _ in range(20):
        system = LiveSystem.start(config(exchange.url), Recorder())
        system.shutdown()
    wait_for(lambda: exchange.open_connections == 0)
    wait_for(lambda: os_threads() <= threads)
    assert open_files() <= files


# barter's SystemConfig (its examples' shape) with one Binance instrument and 1,000 usdt.
SYSTEM_CONFIG = {
    "instruments": [{"exchange": "binance_spot", "name_exchange": "BTCUSDT",
                     "underlying": {"base": "btc", "quote": "usdt"},
                     "quote": "underlying_quote", "kind": "spot"}],
    "executions": [{"mocked_exchange": "binance_spot", "latency_ms": 0, "fees_percent": 0,
                    "initial_state": {"exchange": "binance_spot", "balances": [
                        {"asset": "usdt", "balance": {"total": 1000, "free": 1000},
                         "time_exchange": "2026-01-01T00:00:00Z"}],
                        "instruments": []}}],
}  # fmt: skip


def test_a_reader_that_falls_behind_loses_the_oldest_events_never_the_engines(
    exchange: LocalExchange,
) -> None:
    system = LiveSystem.start(config(exchange.url, streams=["trades"]), Recorder())
    assert exchange.wait_connected(1)
    bad = '{"e":"trade","s":"BTCUSDT","p":"x"}'
    exchange.replay([bad] * 10_050)  # one event each; the queue keeps 10,000
    exchange.send_trade("BTCUSDT", "100", "1")
    wait_for(lambda: system.snapshot().events == 1, timeout=30)
    snapshot = system.snapshot()
    assert snapshot.malformed == 10_050
    assert snapshot.events_dropped == 50
    assert sum(1 for _ in system.events(timeout=0.5)) == 10_000
    system.shutdown()


def test_paper_from_the_shell_trades_until_its_duration(
    exchange: LocalExchange, tmp_path: Path
) -> None:
    path = tmp_path / "system_config.json"
    path.write_text(json.dumps(SYSTEM_CONFIG))
    command = [sys.executable, "-m", "barter_python", "paper", "--config", str(path),
               "--strategy", "barter_python.strategy:DefaultStrategy",
               "--endpoint", f"binance_spot={exchange.url}", "--duration", "3s"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert exchange.wait_connected(2, timeout=30)
    exchange.send_trade("BTCUSDT", "100", "1")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert out.startswith("live: 1 events")  # the session's result, printed


def test_paper_refuses_an_endpoint_that_cannot_be_set(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps(SYSTEM_CONFIG))
    command = [sys.executable, "-m", "barter_python", "paper", "--config", str(path),
               "--strategy", "barter_python.strategy:DefaultStrategy",
               "--endpoint", "okx=ws://127.0.0.1:1/ws"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "okx" in done.stderr and "binance_spot" in done.stderr


def test_a_system_never_shut_down_stops_at_interpreter_exit(exchange: LocalExchange) -> None:
    script = (
        "from barter_python.live import LiveConfig, LiveSystem\n"
        "from barter_python.strategy import DefaultStrategy\n"
        "config = LiveConfig(instruments=[{'exchange': 'binance_spot', 'instrument': 'btc_usdt',"
        f" 'base': 'btc', 'quote': 'usdt'}}], endpoints={{'binance_spot': {exchange.url!r}}})\n"
        "system = LiveSystem.start(config, DefaultStrategy())\n"
        "print('started', flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "started\n"


@pytest.mark.skipif(os.environ.get("BARTER_PYTHON_NET") != "1", reason="BARTER_PYTHON_NET=1")
def test_binance_itself() -> None:
    """Opt-in: Binance's public stream (needs the internet)."""
    live = config("wss://stream.binance.com:9443/ws", endpoints={})
    with LiveSystem.start(live, Recorder()) as system:
        wait_for(lambda: system.snapshot().events > 0, timeout=30)
        assert BTC in system.snapshot().prices


def test_shutdown_from_two_threads_at_once_returns_one_result(exchange: LocalExchange) -> None:
    system = LiveSystem.start(config(exchange.url), Recorder())
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(system.shutdown())) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 3 and all(r is results[0] for r in results)


def test_risk_limits_refuse_an_order_with_the_limit_it_broke(exchange: LocalExchange) -> None:
    order = market_order("binance_spot", "btc_usdt", "buy", "0.1", 1, strategy_id="live", cid="r1")
    limits = RiskLimits(max_order_notional=5)
    system = LiveSystem.start(config(exchange.url, risk=limits), Recorder([order]))
    assert exchange.wait_connected(2)
    exchange.send_book_ticker("BTCUSDT", "99.5", "3", "100.5", "2")
    wait_for(lambda: system.snapshot().events == 1)
    system.set_trading(True)
    exchange.send_trade("BTCUSDT", "100", "0.01")
    refused = next(e for e in system.events(timeout=5) if e.kind == "refused")
    # Valued at the streamed ask (100.5 x 0.1), not at the price the order names.
    assert "order notional 10.05" in refused.reason and "max_order_notional 5" in refused.reason
    result = system.shutdown()
    assert result.fills == [] and result.orders[0].status == "refused"


def test_a_system_without_an_endpoint_is_refused_beside_one_with_it(
    exchange: LocalExchange,
) -> None:
    """barter-data reads one URL per exchange: a second system would stream binance_spot
    from the first one's local exchange without knowing."""
    system = LiveSystem.start(config(exchange.url), Recorder())
    with pytest.raises(ValueError, match="another running live system streams 'binance_spot'"):
        LiveSystem.start(config(exchange.url, endpoints={}), Recorder(), connect_timeout=1)
    system.shutdown()


def raw_trade(price: str, ms: int, symbol: str = "BTCUSDT") -> str:
    """A Binance trade frame with any exchange time (milliseconds since the epoch)."""
    return json.dumps({"e": "trade", "E": 1, "s": symbol, "t": 1, "p": price, "q": "1",
                       "T": ms, "m": False})  # fmt: skip


def now_ms() -> int:
    return int(time.time() * 1000)


def test_a_trade_time_beyond_chrono_is_a_stream_error_and_the_stream_comes_back(
    exchange: LocalExchange,
) -> None:
    """barter-data's parser panics on it (chrono overflow): the stream starts again."""
    system = LiveSystem.start(config(exchange.url, streams=["trades"]), Recorder())
    assert exchange.wait_connected(1)
    exchange.send(raw_trade("100", 9223372036854775807))
    wait_for(lambda: exchange.connections == 2)  # re-initialised: subscribed again
    assert exchange.wait_connected(1)
    exchange.send_trade("BTCUSDT", "101", "1")
    wait_for(lambda: system.snapshot().events == 1)
    snapshot = system.snapshot()
    assert snapshot.malformed == 1 and snapshot.prices[BTC] == Decimal(101)
    errors = [e for e in system.events(timeout=0.5) if e.kind == "stream_error"]
    assert len(errors) == 1 and "panicked" in errors[0].reason
    assert system.running
    assert system.shutdown().events == 1


def test_a_book_beyond_barters_range_is_refused_and_the_engine_survives(
    exchange: LocalExchange,
) -> None:
    big = "4" + "0" * 28  # 4e28: 2 x it is beyond barter's decimal range
    system = LiveSystem.start(config(exchange.url, streams=["l1"]), Recorder())
    assert exchange.wait_connected(1)
    exchange.send_book_ticker("BTCUSDT", big, "2", big, "0")
    exchange.send_book_ticker("BTCUSDT", "99", "1", "101", "1")
    wait_for(lambda: system.snapshot().events == 1)
    snapshot = system.snapshot()
    assert snapshot.malformed == 1 and snapshot.prices[BTC] == Decimal(100)
    refused = [e for e in system.events(timeout=0.5) if e.kind == "malformed"]
    assert len(refused) == 1 and "decimal range" in refused[0].reason
    assert system.shutdown().events == 1


def test_live_frames_pass_the_checks_of_backtest_events(exchange: LocalExchange) -> None:
    """A price <= 0, a time beyond 2262 (nanosecond timestamps) and a crossed book are
    refused and counted; a Buy then has no market to fill against."""
    order = market_order("binance_spot", "btc_usdt", "buy", "10", 1, strategy_id="live")
    system = LiveSystem.start(config(exchange.url, trading_enabled=True), Recorder([order]))
    assert exchange.wait_connected(2)
    exchange.send(raw_trade("-5", now_ms()))
    exchange.send(raw_trade("0", now_ms()))
    exchange.send(raw_trade("100", 10**13))  # year 2286
    exchange.send_book_ticker("BTCUSDT", "105", "1", "100", "1")
    wait_for(lambda: system.snapshot().malformed == 4)
    snapshot = system.snapshot()
    assert snapshot.events == 0 and BTC not in snapshot.prices
    reasons = " | ".join(e.reason for e in system.events(timeout=0.5) if e.kind == "malformed")
    assert "must be > 0" in reasons and "crossed" in reasons and "2262" in reasons
    assert snapshot.balances[(ExchangeId.BINANCE_SPOT, "usdt")] == Decimal(10_000)
    assert system.shutdown().fills == []


def test_a_connect_timeout_beyond_any_duration_waits_without_bound(
    exchange: LocalExchange,
) -> None:
    system = LiveSystem.start(config(exchange.url), Recorder(), connect_timeout=1e20)
    assert system.running
    system.shutdown()
    with pytest.raises(ValueError, match="connect_timeout"):
        LiveSystem.start(config(exchange.url), Recorder(), connect_timeout=float("nan"))


def test_paper_results_carry_the_events_times(exchange: LocalExchange) -> None:
    t0 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    later = t0 + timedelta(hours=1)
    system = LiveSystem.start(config(exchange.url), Recorder())
    assert exchange.wait_connected(2)
    exchange.send_book_ticker("BTCUSDT", "99", "5", "101", "5", time=t0)
    wait_for(lambda: system.snapshot().events == 1)
    assert system.snapshot().time == t0  # the latest event's exchange time
    buy = market_order("binance_spot", "btc_usdt", "buy", "1", 101, strategy_id="live")
    system.send_requests(opens=[buy])
    exchange.send_book_ticker("BTCUSDT", "109", "5", "111", "5", time=later)
    wait_for(lambda: system.snapshot().events == 2)
    system.close_positions()
    result = system.shutdown()
    assert [f.time for f in result.fills] == [t0, later]
    assert (result.positions[0].time_enter, result.positions[0].time_exit) == (t0, later)
    assert result.positions[0].pnl_realised == Decimal(8)


def test_the_counters_add_up_to_the_frames_received(exchange: LocalExchange) -> None:
    system = LiveSystem.start(config(exchange.url, streams=["trades"]), Recorder())
    assert exchange.wait_connected(1)
    exchange.send(raw_trade("100", now_ms()))
    exchange.send('{"e":"trade","s":"BTCUSDT","p":"x"}')
    exchange.send(raw_trade("5", now_ms(), symbol="ETHUSDT"), everyone=True)
    assert exchange.drop_connections() == 1
    wait_for(lambda: exchange.connections == 2)
    assert exchange.wait_connected(1)
    exchange.send(raw_trade("101", now_ms() + 1))

    def counted() -> int:
        s = system.snapshot()
        return s.events + s.malformed + s.unknown_instrument + s.conflated + s.skipped

    wait_for(lambda: counted() == exchange.frames_sent)
    snapshot = system.snapshot()
    assert exchange.frames_sent == 4
    assert (snapshot.events, snapshot.malformed, snapshot.unknown_instrument) == (2, 1, 1)
    unknown = [e for e in system.events(timeout=0.5) if e.kind == "unknown_instrument"]
    assert len(unknown) == 1 and "ethusdt" in unknown[0].reason.lower()
    system.shutdown()


class Sleeping(Recorder):
    """A strategy slower than the feed."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        time.sleep(self.seconds)
        return super().generate_algo_orders(state)


def backlog(exchange: LocalExchange, strategy: Recorder, count: int) -> LiveSystem:
    system = LiveSystem.start(config(exchange.url, streams=["trades"], trading_enabled=True),
                              strategy)  # fmt: skip
    assert exchange.wait_connected(1)
    start = now_ms()
    exchange.replay([raw_trade(str(100 + n), start + n) for n in range(count)])
    wait_for(lambda: len(strategy.prices) >= 1)
    return system


@pytest.mark.parametrize("how", [{"drain": False}, {"timeout": 0.5}])
def test_shutdown_without_drain_or_with_a_timeout_skips_the_backlog_and_counts_it(
    exchange: LocalExchange, how: dict[str, object]
) -> None:
    system = backlog(exchange, Sleeping(0.3), 20)
    started = time.monotonic()
    result = system.shutdown(**how)  # type: ignore[arg-type]
    assert time.monotonic() - started < 2.5  # 20 x 0.3 s were queued
    assert system.skipped > 0 and result.events + system.skipped == 20
    stopped = [e for e in system.events(timeout=0.5) if e.kind == "stopped"]
    assert f"{system.skipped} queued market events skipped" in stopped[0].reason


def test_ctrl_c_during_shutdown_raises_keyboard_interrupt_at_once(exchange: LocalExchange) -> None:
    system = backlog(exchange, Sleeping(0.2), 30)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        system.shutdown()
    assert time.monotonic() - started < 1.5  # 30 x 0.2 s were queued
    result = system.shutdown(drain=False)  # the result is still there
    assert result.events < 30


def test_ctrl_c_while_waiting_for_events_raises_keyboard_interrupt(
    exchange: LocalExchange,
) -> None:
    system = LiveSystem.start(config(exchange.url), Recorder())
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        list(system.events())
    assert time.monotonic() - started < 1.5
    system.shutdown()


def test_a_lagging_engine_conflates_books_never_trades_and_says_how_old_the_data_is(
    exchange: LocalExchange,
) -> None:
    strategy = Sleeping(0.005)
    system = LiveSystem.start(config(exchange.url, trading_enabled=True), strategy)
    assert exchange.wait_connected(2)
    start = now_ms()
    frames = []
    for n in range(300):
        frames.append(raw_trade(str(100 + n), start + n))
        frames.append(json.dumps({"u": n, "s": "BTCUSDT", "T": start + n, "b": "99", "B": "1",
                                  "a": "101", "A": "1"}))  # fmt: skip

    exchange.replay(frames)

    def counted() -> int:
        s = system.snapshot()
        return s.events + s.conflated

    wait_for(lambda: counted() == 600, timeout=30)
    snapshot = system.snapshot()
    assert 0 < snapshot.conflated < 300  # books only: every trade reached the engine
    lagging = [e for e in system.events(timeout=0.5) if e.kind == "lagging"]
    assert lagging and "behind" in lagging[0].reason
    system.shutdown()


# --- L2 books (spec §12): barter-data's OrderBooksL2 behind an endpoint -------------------------


class Kinds(DefaultStrategy):
    """The kind of each market event the strategy is called for, and the book it sees."""

    def __init__(self) -> None:
        self.kinds: list[str] = []
        self.books: list[tuple[object, object]] = []

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        event = state.event
        if event is not None:
            self.kinds.append(event.kind)
        book = state.book(*BTC)
        if book is not None and event is not None and event.kind == "l2":
            self.books.append((book.bids, book.asks))
        return [], []


def test_an_l2_stream_starts_from_the_rest_snapshot_then_applies_diffs_in_sequence(
    exchange: LocalExchange,
) -> None:
    # barter's Binance spot sequencing: the snapshot is update 100; the first diff must span
    # 101 (U <= 101 <= u), each next one start at the previous u + 1; a diff ending at or
    # before 100 is dropped as stale.
    exchange.set_depth("BTCUSDT", 100, bids=[("99", "2"), ("98", "5")], asks=[("101", "1")])
    strategy = Kinds()
    system = LiveSystem.start(config(exchange.url, streams=["l2"], trading_enabled=True), strategy)
    assert exchange.wait_connected(1)
    assert exchange.subscriptions == ["btcusdt@depth@100ms"]
    wait_for(lambda: exchange.snapshot_requests == 1)  # barter-data subscribes, then asks
    assert exchange.send_depth("BTCUSDT", 95, 100, bids=[("97", "1")]) == 1  # stale: dropped
    exchange.send_depth("BTCUSDT", 99, 102, bids=[("99", "0")], asks=[("101", "3")])
    exchange.send_depth("BTCUSDT", 103, 103, asks=[("102", "4")])
    # The snapshot and the two diffs in sequence; not the stale one.
    wait_for(lambda: system.snapshot().events == 3)
    # A gap (104 to 109 never came): barter's sequencer ends the connection, barter-data
    # connects again and starts from a new snapshot, the fourth event.
    exchange.set_depth("BTCUSDT", 120, bids=[("99", "1")], asks=[("100", "1")])
    exchange.send_depth("BTCUSDT", 110, 110, asks=[("103", "1")])
    wait_for(lambda: exchange.snapshot_requests == 2 and system.snapshot().events == 4, 10)
    assert exchange.connections == 2
    result = system.shutdown()
    assert result.events == 4
    assert strategy.kinds == ["l2"] * 3 + ["reconnecting", "l2"]
    D = Decimal
    assert strategy.books == [
        (((D(99), D(2)), (D(98), D(5))), ((D(101), D(1)),)),  # the REST snapshot
        (((D(98), D(5)),), ((D(101), D(3)),)),  # 99 removed, 101 now 3
        (((D(98), D(5)),), ((D(101), D(3)), (D(102), D(4)))),
        (((D(99), D(1)),), ((D(100), D(1)),)),  # the new snapshot replaces the book
    ]
