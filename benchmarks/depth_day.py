"""A synthetic day of one instrument in Tardis.dev's exact CSV layouts (spec §11's table):
`incremental_book_L2` (a 25-level snapshot, then one level's new absolute amount per
message) and `trades` (the aggressor's side; each trade is followed, at the same exchange
time, by the book update it caused, the order hftbacktest's Tardis converter asks for).
Timestamps are microseconds; `local_timestamp` is 1-3 ms after `timestamp`, and rows are in
`local_timestamp` order, as Tardis writes them. Deterministic for a seed.

`benchmarks/depth.py` replays it through the SDK and `benchmarks/hftbacktest_depth.py`
through hftbacktest; both read the same two files.
"""

from __future__ import annotations

import gzip
import random
from pathlib import Path

START_US = 1_767_571_200_000_000  # 2026-01-05T00:00:00Z
DAY_US = 86_400_000_000
LEVELS = 25
TICK = 0.01
LOT = 0.001
SYMBOL = "BTCUSDT"


def price(ticks: int) -> str:
    return f"{ticks // 100}.{ticks % 100:02d}"


def amount(lots: int) -> str:
    return f"{lots // 1000}.{lots % 1000:03d}"


def write_day(directory: Path, events: int, seed: int = 29) -> tuple[Path, Path]:
    """`events` messages (about 15 % trades) spread over a day; returns (trades, book)
    paths, written once per (events, seed) and reused."""
    trades_path = directory / f"binance-futures_trades_{events}_{seed}.csv.gz"
    book_path = directory / f"binance-futures_incremental_book_L2_{events}_{seed}.csv.gz"
    if trades_path.exists() and book_path.exists():
        return trades_path, book_path
    rng = random.Random(seed)
    step = DAY_US // events
    # Prices and amounts in ticks and lots (integers), so every number is exact.
    best_bid = 10_000_00
    bids = {best_bid - k: rng.randint(1_000, 9_000) for k in range(LEVELS)}
    asks = {best_bid + 1 + k: rng.randint(1_000, 9_000) for k in range(LEVELS)}
    head = "binance-futures,BTCUSDT"
    trade_rows: list[str] = []
    book_rows: list[str] = [
        f"{head},{START_US},{START_US + 1_000},true,{side},{price(p)},{amount(q)}\n"
        for side, levels in (("bid", bids), ("ask", asks))
        for p, q in sorted(levels.items(), reverse=side == "bid")
    ]  # fmt: skip
    written = 0
    k = 0
    while written < events:
        k += 1
        exchange_time = START_US + k * step
        # Feed latency 1-3 ms; its jitter stays under one step, so local times keep in order.
        local = exchange_time + 1_000 + rng.randint(0, min(2_000, step - 1))
        roll = rng.random()
        side = "bid" if rng.random() < 0.5 else "ask"
        levels = bids if side == "bid" else asks
        best = max(bids) if side == "bid" else min(asks)
        if roll < 0.15 and written + 2 <= events:
            # A trade takes part of the best level on `side`; the level's update follows.
            taken = min(levels[best], rng.randint(1, 2_000))
            aggressor = "sell" if side == "bid" else "buy"
            trade_rows.append(
                f"{head},{exchange_time},{local},{k},{aggressor},{price(best)},{amount(taken)}\n"
            )
            left = levels[best] - taken
            if left:
                levels[best] = left
            elif len(levels) > 1:
                del levels[best]
            else:
                levels[best] = 1
            book_rows.append(
                f"{head},{exchange_time},{local},false,{side},{price(best)},{amount(left)}\n"
            )
            written += 2
            continue
        spread = min(asks) - max(bids)
        if roll < 0.25 and (spread > 1 or len(levels) < 2 * LEVELS):
            # A new level inside the spread (the touch moves), or one further out while the
            # side has fewer than 50 (so the book stays bounded).
            if spread > 1:
                at = max(bids) + 1 if side == "bid" else min(asks) - 1
            else:
                at = (min(bids) - 1) if side == "bid" else (max(asks) + 1)
            levels[at] = rng.randint(1, 9_000)
            new = levels[at]
        else:
            # A level among the best ten changes its amount, or (1 in 10) is deleted.
            ordered = sorted(levels, reverse=side == "bid")[:10]
            at = ordered[rng.randrange(len(ordered))]
            new = 0 if rng.random() < 0.1 and len(levels) > 5 else rng.randint(1, 9_000)
            if new:
                levels[at] = new
            else:
                del levels[at]
        book_rows.append(f"{head},{exchange_time},{local},false,{side},{price(at)},{amount(new)}\n")
        written += 1
    with gzip.open(trades_path, "wt", compresslevel=1) as file:
        file.write("exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n")
        file.writelines(trade_rows)
    with gzip.open(book_path, "wt", compresslevel=1) as file:
        file.write("exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n")
        file.writelines(book_rows)
    return trades_path, book_path
