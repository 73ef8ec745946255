"""Write the bundled backtest sample: real-looking Binance spot trades and L1 books.

Three instruments on binance_spot (btc_usdt, eth_usdt, sol_usdt), five minutes from
2025-03-25T23:07:00Z: each a random walk of its mid price on Binance's tick size, an L1 book
one tick wide around it, and trades hitting the bid or lifting the ask. The output is barter's
NDJSON market-data format (`{"Item": MarketEvent}` per line, as barter's own example data),
naming instruments by name, so it loads without a config:

    MarketData.from_barter_json(path)                      # or with instruments=[...]

The seed is fixed: running this again writes the same file.
Run: `.venv/bin/python examples/make_backtest_sample.py [OUTPUT]`.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

SEED = 20250325
START = datetime(2025, 3, 25, 23, 7, tzinfo=UTC)
DURATION = timedelta(minutes=5)
EVENTS = 4_000
OUTPUT = (
    Path(__file__).parent.parent
    / "src/barter_python/data/backtest_sample/binance_spot_trades_l1.ndjson"
)


@dataclass
class Walk:
    """One instrument's market: Binance's price tick and lot step, and its mid price."""

    name: str
    tick: Decimal
    lot: Decimal
    mid: Decimal
    depth: int  # typical top-of-book size, in lots

    def step(self, rng: random.Random) -> None:
        self.mid += self.tick * rng.choice((-2, -1, -1, 0, 0, 0, 1, 1, 2))

    def amount(self, rng: random.Random, lots: int) -> Decimal:
        return self.lot * rng.randint(1, lots)


def time_text(time: datetime) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def events(rng: random.Random) -> list[str]:
    walks = [
        Walk("btc_usdt", Decimal("0.01"), Decimal("0.00001"), Decimal("87232.00"), 200_000),
        Walk("eth_usdt", Decimal("0.01"), Decimal("0.0001"), Decimal("2059.10"), 100_000),
        Walk("sol_usdt", Decimal("0.01"), Decimal("0.001"), Decimal("140.25"), 50_000),
    ]
    gaps = sorted(rng.random() for _ in range(EVENTS))
    lines = []
    for number, gap in enumerate(gaps):
        walk = rng.choice(walks)
        walk.step(rng)
        time = START + DURATION * gap
        received = time + timedelta(microseconds=rng.randint(100, 3_000))
        bid, ask = walk.mid, walk.mid + walk.tick
        if rng.random() < 0.25:
            side = rng.choice(("Buy", "Sell"))
            kind = {
                "Trade": {
                    "id": str(4_314_349_047 + number),
                    # barter-data's trade prices and amounts are JSON numbers (f64)
                    "price": float(ask if side == "Buy" else bid),
                    "amount": float(walk.amount(rng, walk.depth // 100)),
                    "side": side,
                }
            }
        else:
            kind = {
                "OrderBookL1": {
                    "last_update_time": time_text(time),
                    "best_bid": {"price": str(bid), "amount": str(walk.amount(rng, walk.depth))},
                    "best_ask": {"price": str(ask), "amount": str(walk.amount(rng, walk.depth))},
                }
            }
        event = {
            "time_exchange": time_text(time),
            "time_received": time_text(received),
            "exchange": "binance_spot",
            "instrument": walk.name,
            "kind": kind,
        }
        lines.append(json.dumps({"Item": event}, separators=(",", ":")))
    return lines


def main() -> None:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(events(random.Random(SEED))) + "\n")
    print(f"wrote {EVENTS} events to {output}")


if __name__ == "__main__":
    main()
