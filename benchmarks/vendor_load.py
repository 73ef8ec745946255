"""Loading a Binance aggTrades `.zip` (spot's layout, no header, µs times) of 10,000,000 rows
(spec §11's target: `MarketData.from_binance` at least 2x faster than `pandas.read_csv` plus
the conversion a user writes today), with pyarrow's CSV reader beside. The conversion is the
glue a user wrote before `from_binance`: name the columns, turn `is_buyer_maker` into a side and
µs into timestamps, then `MarketData.from_arrow(kind="trades")`. Both loads are checked equal
before timing. One run each (a load of this size is not noise-bound), after a warm-up read of
the file into the page cache.

Usage: python benchmarks/vendor_load.py [--quick]   (--quick: 500,000 rows)
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from barter_python.market import MarketData

GOAL = 2.0
START_US = 1_735_689_600_000_000  # 2025-01-01T00:00:00Z
COLUMNS = ["agg_id", "price", "qty", "first_id", "last_id", "time", "is_buyer_maker", "best"]


def write_zip(path: Path, rows: int) -> None:
    """A seeded random walk of BTCUSDT aggTrades in Binance spot's layout, zipped."""
    rng = random.Random(7)
    price, time_us, lines = 9_350_000, START_US, []
    for agg_id in range(1, rows + 1):
        price += rng.randint(-5, 5)
        time_us += rng.randint(0, 9_000)
        qty = rng.randint(1, 99_999)
        maker = "True" if agg_id % 3 else "False"
        lines.append(
            f"{agg_id},{price // 100}.{price % 100:02d},0.{qty:05d},{agg_id},{agg_id},"
            f"{time_us},{maker},True\n"
        )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("BTCUSDT-aggTrades-2025-01-01.csv", "".join(lines))


def with_pandas(path: Path) -> MarketData:
    """What a user wrote before `from_binance`."""
    import pandas as pd

    frame = pd.read_csv(path, header=None, names=COLUMNS)
    table = pd.DataFrame(
        {
            "time": pd.to_datetime(frame["time"], unit="us", utc=True),
            "price": frame["price"],
            "amount": frame["qty"],
            "side": frame["is_buyer_maker"].map({True: "Sell", False: "Buy"}),
        }
    )
    return MarketData.from_arrow(
        table, kind="trades", exchange="binance_spot", instrument="btc_usdt"
    )


def with_pyarrow_csv(path: Path) -> Any:
    """pyarrow's CSV reader alone (no conversion): the floor of a columnar parse."""
    import io

    import pyarrow.csv as csv

    with zipfile.ZipFile(path) as archive:
        text = archive.read(archive.namelist()[0])
    options = csv.ReadOptions(column_names=COLUMNS)
    return csv.read_csv(io.BytesIO(text), read_options=options)


def timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    rows = 500_000 if parser.parse_args().quick else 10_000_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "BTCUSDT-aggTrades-2025-01-01.zip"
        write_zip(path, rows)
        path.read_bytes()  # into the page cache for every reader alike

        def ours() -> MarketData:
            return MarketData.from_binance(path, kind="agg_trades", instrument="btc_usdt")

        assert ours() == with_pandas(path), "from_binance and the pandas glue disagree"
        sdk, pandas_s = timed(ours), timed(lambda: with_pandas(path))
        arrow_s = timed(lambda: with_pyarrow_csv(path))
    print(f"Binance aggTrades .zip, {rows:,} rows, one run each")
    print(f"  MarketData.from_binance          {sdk:7.2f} s  {rows / sdk / 1e6:5.2f} M rows/s")
    print(f"  pandas.read_csv + conversion     {pandas_s:7.2f} s")
    print(f"  pyarrow.csv.read_csv (no convert) {arrow_s:6.2f} s")
    print(f"  pandas / from_binance: {pandas_s / sdk:.2f}x (goal >= {GOAL}x)")


if __name__ == "__main__":
    main()
