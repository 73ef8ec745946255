"""The benchmark book: N instruments over 5 exchanges with about N/5 distinct base assets, every
instrument priced and holding a position. `rust/src/bin/bench_native.rs` builds the same book."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

EXCHANGES = ["binance_spot", "okx", "kraken", "coinbase", "bybit_spot"]


def book_dicts(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        base = f"coin{i // 5}"
        instrument = f"{base}_usdt"
        out.append(
            {
                "exchange": EXCHANGES[i % 5],
                "instrument": instrument,
                "base": base,
                "quote": "usdt",
                "price": Decimal(10_025 + i % 100).scaleb(-2),
                "position": {
                    "instrument": instrument,
                    "side": "Buy" if i % 2 == 0 else "Sell",
                    "quantity": Decimal(15 + i % 7).scaleb(-1),
                    "price_entry_average": Decimal("99.50"),
                },
            }
        )
    return out
