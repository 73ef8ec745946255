"""hftbacktest beside `benchmarks/depth.py`: the same Tardis files (`depth_day.py`) converted
by hftbacktest's own `data.utils.tardis.convert`, replayed by its `HashMapMarketDepthBacktest`
with `power_prob_queue_model(2)` (the SDK's `queue="probabilistic"`), its default
(no-partial-fill) exchange, no latency, and a loop driven from Python that, at every feed
message, keeps a Buy of one lot resting at the best bid (cancel and replace when the best bid
moves), as the SDK's strategy does. Times the loop only (conversion and set-up are done
beforehand); prints JSON `{"version", "events", "wakes", "events_per_s", "orders",
"position"}`: `events` counts the converted rows (one per trade and per level update, as
the files have), `wakes` the times `wait_next_feed` returned to Python (it hands over rows of
one timestamp together).

Runs in its own virtual environment, never the project's (hftbacktest is no dependency of
barter-python): `make hftbacktest-venv` makes `.hftbacktest-venv` with hftbacktest from PyPI;
`benchmarks/depth.py` runs this script there when it exists.

Usage: .hftbacktest-venv/bin/python benchmarks/hftbacktest_depth.py TRADES BOOK
"""

from __future__ import annotations

import argparse
import json
import time

import hftbacktest
from depth_day import LOT, TICK
from hftbacktest import GTC, LIMIT, BacktestAsset, HashMapMarketDepthBacktest
from hftbacktest.data.utils import tardis

END, FEED = 1, 2  # wait_next_feed: the data ended, a market feed message arrived
NEVER = 10**18  # a timeout no replay reaches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("trades")
    parser.add_argument("book")
    args = parser.parse_args()
    # Trades before depth, as hftbacktest's converter asks (the queue is not decremented twice).
    data = tardis.convert([args.trades, args.book], buffer_size=200_000_000)
    asset = (
        BacktestAsset()
        .data([data])
        .linear_asset(1.0)
        .constant_order_latency(0, 0)
        .power_prob_queue_model(2.0)
        # Its default exchange: the partial-fill one fails the replay of this day with
        # InvalidOrderStatus (a fill of an order it had already filled) after 305,207 messages.
        .no_partial_fill_exchange()
        .trading_value_fee_model(0.0, 0.0)
        .tick_size(TICK)
        .lot_size(LOT)
    )
    hbt = HashMapMarketDepthBacktest([asset])
    wakes = orders = 0
    resting = 0  # the order id resting at `price` (0: none)
    price = 0.0
    began = time.perf_counter()
    while (code := hbt.wait_next_feed(False, NEVER)) != END:
        if code != FEED:
            raise SystemExit(f"wait_next_feed returned {code} after {wakes} wakes")
        wakes += 1
        bid = hbt.depth(0).best_bid
        if bid != bid or bid == price:  # no bid (NaN), or already resting there
            continue
        order = hbt.orders(0).get(resting) if resting else None
        if order is not None and order.cancellable:
            hbt.cancel(0, resting, False)
        orders += 1
        resting, price = orders, bid
        if code := hbt.submit_buy_order(0, resting, bid, LOT, GTC, LIMIT, False):
            raise SystemExit(f"submit_buy_order returned {code} after {wakes} wakes")
        hbt.clear_inactive_orders(0)
    spent = time.perf_counter() - began
    position = hbt.position(0)
    hbt.close()
    print(json.dumps({
        "version": hftbacktest.__version__, "events": len(data), "wakes": wakes,
        "events_per_s": len(data) / spent,
        "orders": orders, "position": position,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
