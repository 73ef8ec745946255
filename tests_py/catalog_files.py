"""Vendor files for the catalog's tests (a module the test files import: pytest puts `tests_py`
on `sys.path`)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

# 2024-03-01T23:59:58Z in microseconds: the rows cross midnight into 2024-03-02.
START_US = int(datetime(2024, 3, 1, 23, 59, 58, tzinfo=UTC).timestamp() * 1_000_000)
TRADES = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount"
QUOTES = "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount"


def tardis_files(folder: Path, rows_per_symbol: int = 6) -> tuple[Path, Path]:
    """A Tardis trades file and a quotes file of BTCUSDT and ETHUSDT, 8 decimals, the receive
    time 1.5 ms after the exchange time, every exchange time distinct and increasing."""
    trades, quotes = [TRADES], [QUOTES]
    for i in range(rows_per_symbol * 2):
        symbol = "BTCUSDT" if i % 2 == 0 else "ETHUSDT"
        at = START_US + i * 400_000
        side = "buy" if i % 3 else "sell"
        price, amount = f"6512{i}.1234567{i % 10}", f"0.0000000{i % 9 + 1}"
        trades.append(f"binance,{symbol},{at},{at + 1500},{i},{side},{price},{amount}")
        bid = f"6512{i}.12345678"
        ask = f"6512{i}.22345678"
        quotes.append(f"binance,{symbol},{at + 7},{at + 1507},1.5,{ask},{bid},0.00000001")
    trades_path, quotes_path = folder / "trades.csv", folder / "quotes.csv.gz"
    trades_path.write_text("\n".join(trades) + "\n")
    quotes_path.write_bytes(gzip.compress(("\n".join(quotes) + "\n").encode()))
    return trades_path, quotes_path


SYMBOLS = {"BTCUSDT": "btc_usdt", "ETHUSDT": "eth_usdt"}
