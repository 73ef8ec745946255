"""`barter-python flatten BOOK.csv` against the plain script it replaces (`plain_flatten.py`:
csv + Decimal + json), each a fresh process writing JSONL, as ratios measured in one run
(rounds alternate; best of the rounds), with each process's peak RSS.

Usage: python benchmarks/flatten_cli.py [--quick]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from book import book_dicts

HERE = Path(__file__).resolve().parent
CLI = Path(sys.executable).parent / "barter-python"


def write_book(path: Path, n: int) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["exchange", "instrument", "base", "quote", "price", "side", "quantity",
             "price_entry_average"]
        )  # fmt: skip
        for d in book_dicts(n):
            p = d["position"]
            writer.writerow(
                [d["exchange"], d["instrument"], d["base"], d["quote"], d["price"], p["side"],
                 p["quantity"], p["price_entry_average"]]
            )  # fmt: skip


def run(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{args[0]} failed with status {status}")
    return elapsed, usage.ru_maxrss / 1024


def without_cids(path: Path) -> list[object]:
    orders = [json.loads(line) for line in path.read_text().splitlines()]
    for order in orders:
        order["key"].pop("cid")
    return orders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 10k-row book, as CI runs it")
    parser.add_argument("--write-book", nargs=2, metavar=("PATH", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_book:
        write_book(Path(args.write_book[0]), int(args.write_book[1]))
        return
    quick = args.quick
    n, rounds = (10_000, 3) if quick else (100_000, 5)
    with tempfile.TemporaryDirectory() as tmp:
        book, sdk_out, plain_out = Path(tmp, "book.csv"), Path(tmp, "sdk"), Path(tmp, "plain")
        # Written by a child process, so that this one stays small: Linux starts a child's
        # ru_maxrss at its parent's.
        subprocess.run([sys.executable, __file__, "--write-book", str(book), str(n)], check=True)
        sdk = [str(CLI), "flatten", str(book), "--output", str(sdk_out), "--quiet"]
        plain = [sys.executable, str(HERE / "plain_flatten.py"), str(book), str(plain_out)]
        sdk_runs, plain_runs = [], []
        for _ in range(rounds):
            sdk_runs.append(run(sdk))
            plain_runs.append(run(plain))
        assert without_cids(sdk_out) == without_cids(plain_out), "the two wrote other orders"
    sdk_s, plain_s = min(t for t, _ in sdk_runs), min(t for t, _ in plain_runs)
    sdk_mib, plain_mib = max(m for _, m in sdk_runs), max(m for _, m in plain_runs)
    print(f"flatten of a {n}-row CSV book to JSONL, fresh process each, best of {rounds}:")
    print(f"  barter-python flatten  {sdk_s:6.3f} s  peak RSS {sdk_mib:5.0f} MiB")
    print(f"  plain csv+Decimal+json {plain_s:6.3f} s  peak RSS {plain_mib:5.0f} MiB")
    print(f"  plain / barter-python: {plain_s / sdk_s:.2f}x (>= 1: the CLI is at least as fast)")


if __name__ == "__main__":
    main()
