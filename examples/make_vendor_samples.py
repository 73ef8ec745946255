"""Write the small vendor files docs/data.md loads, in the vendors' exact layouts (spec §11):

- `examples/data/binance/BTCUSDT-aggTrades-2025-01-01.zip`: Binance spot aggTrades, no header,
  times in microseconds (spot files from 2025), zipped as data.binance.vision serves them;
- `examples/data/binance/ETHUSDT-bookTicker-2024-03-01.csv.gz`: Binance USD-M futures
  bookTicker, with its header, times in milliseconds, gzipped;
- `examples/data/tardis/binance-futures_quotes_2024-03-01_BTCUSDT.csv.gz`: Tardis.dev's quotes
  of Binance USD-M futures, times in microseconds, both clocks, gzipped as Tardis serves them;
- `examples/data/binance/BTCUSDT-1m-2025-01-01.zip`: Binance spot 1-minute klines, no header,
  times in microseconds, zipped.

Random walks on Binance's tick sizes with a fixed seed: running this again writes the same
bytes. Run: `.venv/bin/python examples/make_vendor_samples.py`.
"""

from __future__ import annotations

import gzip
import random
import zipfile
from decimal import Decimal
from pathlib import Path

SEED = 20250101
FOLDER = Path(__file__).parent / "data" / "binance"
TARDIS = Path(__file__).parent / "data" / "tardis"
SPOT_START_US = 1_735_689_600_000_000  # 2025-01-01T00:00:00Z
FUTURES_START_MS = 1_709_251_200_000  # 2024-03-01T00:00:00Z
BOOK_TICKER_HEADER = (
    "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time"
)


def agg_trades(rng: random.Random, count: int) -> str:
    """agg_id, price, qty, first_id, last_id, time (µs), is_buyer_maker, is_best_match."""
    price, time, first, rows = Decimal("93500.00"), SPOT_START_US, 4_000_000_000, []
    for agg_id in range(1, count + 1):
        price += Decimal(rng.randint(-5, 5)) * Decimal("0.01")
        time += rng.randint(1_000, 400_000)
        fills = rng.randint(1, 3)
        qty = Decimal(rng.randint(1, 50_000)) * Decimal("0.00001")
        maker = "True" if rng.random() < 0.5 else "False"
        rows.append(
            f"{agg_id},{price:.8f},{qty:.8f},{first},{first + fills - 1},{time},{maker},True\n"
        )
        first += fills
    return "".join(rows)


def book_ticker(rng: random.Random, count: int) -> str:
    """update_id, bid, bid_qty, ask, ask_qty, transaction_time, event_time (ms)."""
    bid, time, sent = Decimal("3380.50"), FUTURES_START_MS, FUTURES_START_MS
    rows = [BOOK_TICKER_HEADER + "\n"]
    for update_id in range(7_000_000_000, 7_000_000_000 + count):
        bid += Decimal(rng.randint(-2, 2)) * Decimal("0.01")
        ask = bid + Decimal("0.01") * rng.randint(1, 3)
        time += rng.randint(1, 250)
        bid_qty, ask_qty = (Decimal(rng.randint(1, 9_000)) * Decimal("0.001") for _ in range(2))
        sent = max(sent, time + rng.randint(0, 5))  # sent in order, a few ms after
        rows.append(f"{update_id},{bid},{bid_qty},{ask},{ask_qty},{time},{sent}\n")
    return "".join(rows)


def tardis_quotes(rng: random.Random, count: int) -> str:
    """exchange, symbol, timestamp, local_timestamp (µs), ask_amount, ask_price, bid_price,
    bid_amount."""
    header = "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount"
    bid, time, received = Decimal("61000.0"), FUTURES_START_MS * 1000, FUTURES_START_MS * 1000
    rows = [header + "\n"]
    for _ in range(count):
        bid += Decimal(rng.randint(-3, 3)) * Decimal("0.1")
        ask = bid + Decimal("0.1") * rng.randint(1, 2)
        time += rng.randint(100, 200_000)
        received = max(received, time + rng.randint(2_000, 9_000))  # the collector's clock
        ask_qty, bid_qty = (Decimal(rng.randint(1, 5_000)) * Decimal("0.001") for _ in range(2))
        rows.append(f"binance-futures,BTCUSDT,{time},{received},{ask_qty},{ask},{bid},{bid_qty}\n")
    return "".join(rows)


def klines(rng: random.Random, count: int) -> str:
    """open_time, open, high, low, close, volume, close_time (µs: the minute's last), quote
    volume, count, taker buy volume, taker buy quote volume, ignore."""
    close, rows = Decimal("93500.00"), []
    for minute in range(count):
        open_ = close
        close = open_ + Decimal(rng.randint(-400, 400)) * Decimal("0.01")
        high = max(open_, close) + Decimal(rng.randint(0, 200)) * Decimal("0.01")
        low = min(open_, close) - Decimal(rng.randint(0, 200)) * Decimal("0.01")
        volume = Decimal(rng.randint(1_000, 900_000)) * Decimal("0.00001")
        start = SPOT_START_US + minute * 60_000_000
        quote = (volume * (open_ + close) / 2).quantize(Decimal("0.00000001"))
        taker = (volume / 2).quantize(Decimal("0.00000001"))
        taker_quote = (quote / 2).quantize(Decimal("0.00000001"))
        rows.append(
            f"{start},{open_:.8f},{high:.8f},{low:.8f},{close:.8f},{volume:.8f},"
            f"{start + 59_999_999},{quote},{rng.randint(50, 3_000)},{taker},{taker_quote},0\n"
        )
    return "".join(rows)


def main() -> None:
    rng = random.Random(SEED)
    FOLDER.mkdir(parents=True, exist_ok=True)
    zipped = FOLDER / "BTCUSDT-aggTrades-2025-01-01.zip"
    with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entry = zipfile.ZipInfo("BTCUSDT-aggTrades-2025-01-01.csv", date_time=(2025, 1, 2, 0, 0, 0))
        archive.writestr(entry, agg_trades(rng, 600), compress_type=zipfile.ZIP_DEFLATED)
    gzipped = FOLDER / "ETHUSDT-bookTicker-2024-03-01.csv.gz"
    gzipped.write_bytes(gzip.compress(book_ticker(rng, 600).encode(), mtime=0))
    TARDIS.mkdir(parents=True, exist_ok=True)
    quotes = TARDIS / "binance-futures_quotes_2024-03-01_BTCUSDT.csv.gz"
    quotes.write_bytes(gzip.compress(tardis_quotes(rng, 600).encode(), mtime=0))
    # Its own generator, so that adding it left the other files' bytes as they were.
    candles = FOLDER / "BTCUSDT-1m-2025-01-01.zip"
    with zipfile.ZipFile(candles, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entry = zipfile.ZipInfo("BTCUSDT-1m-2025-01-01.csv", date_time=(2025, 1, 2, 0, 0, 0))
        text = klines(random.Random(SEED + 1), 600)
        archive.writestr(entry, text, compress_type=zipfile.ZIP_DEFLATED)
    print(f"wrote {zipped}, {gzipped}, {quotes} and {candles}")


if __name__ == "__main__":
    main()
