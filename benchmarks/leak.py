"""Leak check: call each strategy function and the engine many times (and the error paths)
and print RSS.

RSS growth after warm-up must stay under 5 MB. Run: `make leak` (or `--quick` for fewer calls).
"""

from __future__ import annotations

import argparse
import gc
import resource
from collections.abc import Callable
from decimal import Decimal

import barter_python as bp
from barter_python.engine import DefaultStrategy, Engine, EngineEvent


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


BOOK = [
    bp.InstrumentSnapshot(
        exchange=exchange,
        instrument="btc_usdt",
        base="btc",
        quote="usdt",
        price=Decimal("100.5"),
        position={
            "instrument": "btc_usdt",
            "side": side,
            "quantity": "1.5",
            "price_entry_average": "99",  # the engine needs one (barter computes returns)
        },
    )
    for exchange, side in [("okx", "Buy"), ("kraken", "Sell"), ("binance_spot", "Buy")]
]
POSITION = bp.PositionSnapshot(instrument="btc_usdt", side=bp.Side.BUY, quantity=2)
MISSING = [BOOK[0].model_copy(update={"price": None})]


def close() -> None:
    # gen_cid sits in a reference cycle (function -> closure cell -> list -> function), which
    # only the cycle collector frees: the SDK must not keep it alive.
    cycle: list[object] = []

    def gen_cid(snapshot: bp.InstrumentSnapshot) -> str:
        return f"c{len(cycle)}-{snapshot.exchange.value}"

    cycle.append(gen_cid)
    bp.close_open_positions_with_market_orders("s", BOOK, gen_cid)


def build() -> None:
    bp.build_ioc_market_order_to_close_position("okx", POSITION, "s", Decimal("1.5"))


def errors() -> None:
    for call in (
        lambda: bp.close_open_positions_with_market_orders("s", MISSING),
        lambda: bp.close_open_positions_with_market_orders("s", [*BOOK, BOOK[0]]),
        lambda: bp.build_ioc_market_order_to_close_position("okx", POSITION, "s", -1),
        lambda: bp.OrderRequestOpen.from_json("{"),
    ):
        try:
            call()
        except ValueError:
            pass


ENGINE_BALANCES: dict[tuple[bp.ExchangeId | str, str], Decimal | float] = {
    ("binance_spot", "usdt"): 10**12,
    ("binance_spot", "btc"): 10**6,
}


def engine() -> Engine:
    return Engine(BOOK, DefaultStrategy(), balances=ENGINE_BALANCES, trading_enabled=True)


def order(side: bp.Side, cid: str) -> bp.OrderRequestOpen:
    key = bp.OrderKey("binance_spot", "btc_usdt", "leak", cid)
    state = bp.RequestOpen(
        side, Decimal(100), Decimal(1), bp.OrderKind.MARKET, bp.TimeInForce.IMMEDIATE_OR_CANCEL
    )
    return bp.OrderRequestOpen(key, state)


def engine_events() -> Callable[[], None]:
    """Market events through one engine, the Python strategy called on each."""
    shared = engine()
    event = EngineEvent.trade("okx", "btc_usdt", 100, 1, "Buy")
    return lambda: shared.process(event) and None


def engine_fills() -> Callable[[], None]:
    """A buy and a sell filled by the simulated exchange (the position opens and closes, so
    barter's per-position trade list does not grow). The exchange keeps a record of every
    order (what a result reports): a few hundred bytes per order, by design, freed with the
    engine (barter's mock keeps every trade it made likewise)."""
    shared = engine()
    buy, sell = order(bp.Side.BUY, "b"), order(bp.Side.SELL, "s")
    return lambda: shared.send_requests([], [buy, sell]) and None


def engine_build() -> None:
    engine()


def measure(name: str, work: Callable[[], None], calls: int) -> float:
    for _ in range(min(calls, 10_000)):  # warm-up: caches, allocator pools
        work()
    gc.collect()
    start = rss_mib()
    for _ in range(calls):
        work()
    gc.collect()
    end = rss_mib()
    print(f"{name:<28} {calls:>9} calls  RSS {start:8.1f} -> {end:8.1f} MiB  (+{end - start:.1f})")
    return end - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    scale = 10 if parser.parse_args().quick else 1
    growth = [
        measure("close_open_positions", close, 1_000_000 // scale),
        measure("build_ioc_market_order", build, 1_000_000 // scale),
        measure("error paths (4 per call)", errors, 100_000 // scale),
        measure("Engine.process (market)", engine_events(), 1_000_000 // scale),
        # Not scaled up: the exchange keeps every order's record for the engine's life;
        # "build and drop" shows that history is freed with the engine.
        measure("Engine fills (buy + sell)", engine_fills(), 1_000),
        measure("Engine build and drop", engine_build, 10_000 // scale),
    ]
    worst = max(growth)
    print(f"worst growth {worst:.1f} MiB (limit 5)")
    raise SystemExit(0 if worst < 5 else 1)


if __name__ == "__main__":
    main()
