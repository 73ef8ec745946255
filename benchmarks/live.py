"""The live system's reliability and cost (spec §9, issue 21), against the local exchange on
loopback, in one run:

- throughput: 5,000 trades a second for 2 s; every frame must reach the engine and the
  strategy, in order (asserted: the counts equal, the prices in sequence);
- latency: 1,000 trades a second for 3 s; frame sent to strategy called, median and p99;
- idle: the CPU the process uses over 3 s with the streams connected and nothing arriving;
- cycles: 100 start/shutdown cycles (20 with `--quick`); threads, open files and memory
  (RSS) left behind.

Prints the figures beside the targets (median < 2 ms, p99 < 20 ms, idle < 1 % of a core, no
thread or socket, < 1 MiB left behind).

Usage: python benchmarks/live.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from barter_python.engine import DefaultStrategy, EngineStateView, Requests
from barter_python.instrument import ExchangeId
from barter_python.live import LiveConfig, LiveSystem
from barter_python.live.testing import LocalExchange, trade_frame


class Stamping(DefaultStrategy):
    """The wall-clock time of each call and the price it saw."""

    def __init__(self) -> None:
        self.called: list[float] = []
        self.prices: list[Decimal] = []

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        self.called.append(time.time())
        self.prices.append(state.prices()[(ExchangeId.BINANCE_SPOT, "btc_usdt")])
        return [], []


def config(url: str, trading: bool) -> LiveConfig:
    return LiveConfig(
        instruments=[{"exchange": "binance_spot", "instrument": "btc_usdt",
                      "base": "btc", "quote": "usdt"}],
        endpoints={"binance_spot": url},
        streams=["trades"],
        trading_enabled=trading,
        equity_interval=None,
    )  # fmt: skip


def frames(count: int) -> list[str]:
    # Prices 1.0001, 1.0002, ...: the order the strategy saw them in is checkable; a
    # millisecond apart in exchange time (barter keeps the first of two prices at one time).
    start = datetime.now(UTC)
    return [
        trade_frame("BTCUSDT", f"{1 + (n + 1) / 10_000:.4f}", "1", id=n,
                    time=start + timedelta(milliseconds=n))
        for n in range(count)
    ]  # fmt: skip


def settle(system: LiveSystem, count: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while system.snapshot().events < count and time.monotonic() < deadline:
        time.sleep(0.01)


def stream(rate: int, seconds: float) -> tuple[Stamping, list[float], int]:
    strategy = Stamping()
    count = int(rate * seconds)
    with LocalExchange() as local, LiveSystem.start(config(local.url, True), strategy) as system:
        assert local.wait_connected(1)
        sent = local.replay(frames(count), per_second=rate)
        settle(system, count)
        processed = system.snapshot().events
    return strategy, sent, processed


def throughput(rate: int, seconds: float) -> None:
    strategy, sent, processed = stream(rate, seconds)
    expected = [Decimal(f"{1 + (n + 1) / 10_000:.4f}") for n in range(len(sent))]
    in_order = strategy.prices == expected
    print(f"throughput: {len(sent)} frames at {rate}/s -> {processed} processed, "
          f"{len(strategy.prices)} strategy calls, in order: {in_order}")  # fmt: skip
    assert processed == len(sent) == len(strategy.prices) and in_order


def latency(rate: int, seconds: float) -> None:
    strategy, sent, _ = stream(rate, seconds)
    delays = sorted((c - s) * 1000 for c, s in zip(strategy.called, sent, strict=True))
    median = statistics.median(delays)
    p99 = delays[int(len(delays) * 0.99) - 1]
    print(f"latency: {len(delays)} frames at {rate}/s, frame -> strategy median {median:.2f} ms "
          f"(target < 2), p99 {p99:.2f} ms (target < 20), max {delays[-1]:.2f} ms")  # fmt: skip


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def idle(seconds: float) -> None:
    with LocalExchange() as local, LiveSystem.start(config(local.url, True), Stamping()):
        assert local.wait_connected(1)
        time.sleep(0.5)
        before, started = cpu(), time.monotonic()
        time.sleep(seconds)
        share = (cpu() - before) / (time.monotonic() - started)
    print(f"idle: {share * 100:.2f} % of a core over {seconds:.0f} s (target < 1 %)")


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1])


def cycles(count: int) -> None:
    with LocalExchange() as local:
        for _ in range(3):  # what the first starts load stays loaded
            LiveSystem.start(config(local.url, False), Stamping()).shutdown()
        time.sleep(0.3)
        threads = len(os.listdir("/proc/self/task"))
        files = len(os.listdir("/proc/self/fd"))
        rss = rss_kib()
        for _ in range(count):
            LiveSystem.start(config(local.url, False), Stamping()).shutdown()
        time.sleep(0.3)
        print(f"cycles: {count} start/shutdown: threads {threads} -> "
              f"{len(os.listdir('/proc/self/task'))}, open files {files} -> "
              f"{len(os.listdir('/proc/self/fd'))}, RSS +{(rss_kib() - rss) / 1024:.2f} MiB "
              f"(target: none, none, < 1 MiB)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs, as CI runs them")
    quick = parser.parse_args().quick
    throughput(5_000, 0.5 if quick else 2.0)
    latency(1_000, 1.0 if quick else 3.0)
    idle(1.0 if quick else 3.0)
    cycles(20 if quick else 100)


if __name__ == "__main__":
    main()
