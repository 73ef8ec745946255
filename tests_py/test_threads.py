"""Eight Python threads calling the strategy functions at once get what serial calls get, and
a slow `gen_cid` (called with the GIL held, never while barter runs) does not deadlock."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import barter_python as bp


def book(offset: int) -> list[bp.InstrumentSnapshot]:
    exchanges = ["okx", "kraken", "binance_spot"]
    return [
        bp.InstrumentSnapshot(
            exchange=exchanges[i % 3],
            instrument=f"c{i + offset}_usdt",
            base=f"c{i + offset}",
            quote="usdt",
            price=f"{100 + i}.5",
            position={
                "instrument": f"c{i + offset}_usdt",
                "side": "Buy" if i % 2 else "Sell",
                "quantity": i + 1,
            },
        )
        for i in range(300)
    ]


def run(offset: int) -> list[str]:
    _, opens = bp.close_open_positions_with_market_orders(
        f"s{offset}", book(offset), lambda s: f"cid-{s.instrument}"
    )
    position = bp.PositionSnapshot(instrument="x", side=bp.Side.BUY, quantity=offset + 1)
    single = bp.build_ioc_market_order_to_close_position("okx", position, "s", 1, lambda: "c")
    return [order.to_json() for order in opens] + [single.to_json()]


def test_eight_threads_match_serial_results() -> None:
    offsets = list(range(32))
    serial = [run(offset) for offset in offsets]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(run, offsets))
    assert parallel == serial


def test_slow_gen_cid_does_not_deadlock() -> None:
    calls: list[str] = []

    def slow_gen_cid(snapshot: bp.InstrumentSnapshot) -> str:
        time.sleep(0.01)  # releases the GIL: other threads run barter meanwhile
        calls.append(threading.current_thread().name)
        return f"slow-{snapshot.instrument}"

    def work(offset: int) -> int:
        _, opens = bp.close_open_positions_with_market_orders("s", book(offset)[:5], slow_gen_cid)
        return len(opens)

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(work, offset) for offset in range(8)]
        assert [future.result(timeout=60) for future in futures] == [5] * 8
    assert len(calls) == 40
