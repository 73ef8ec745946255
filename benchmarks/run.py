"""Benchmarks: the SDK against pure Rust, pure Python and barter's own builder, as ratios
measured in one run (these machines are noisy; compare ratios, not absolute times).

    a  SDK: validated snapshots -> Python order objects (`close_open_positions_with_market_orders`)
    b  pure Rust, the same work (`rust/src/bin/bench_native.rs`)
    c  a plain pure-Python close (`pure_python.py`): the code the SDK replaces
    d  the same work with state from barter's quadratic `IndexedInstruments` builder (Rust),
       at the sizes it finishes within ~30 s
    e  Pydantic validation of the book from plain dicts, for context
    f  the SDK's kept `Book`: closing again on barter's state built once (spec §7)

Then the peak RSS of the largest book and its orders, each step in a fresh process.

Usage: python benchmarks/run.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from barter_python import Book, InstrumentSnapshot, close_open_positions_with_market_orders

sys.path.insert(0, str(Path(__file__).parent))
from book import book_dicts
from pure_python import close_positions

ROOT = Path(__file__).resolve().parent.parent
NATIVE = ROOT / "target" / "release" / "bench_native"
BOOK = TypeAdapter(list[InstrumentSnapshot])


def best_us(n: int, repeats: int, work: Callable[[], Any]) -> float:
    """Best of `repeats` runs, in µs per instrument."""
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best * 1e6 / n


def same_orders(n: int) -> None:
    """The benchmark compares equal work: the SDK and the pure-Python close agree."""
    book = BOOK.validate_python(book_dicts(n))
    _, sdk = close_open_positions_with_market_orders("bench", book)
    plain = close_positions("bench", book)
    assert [
        (o.key.exchange, o.key.instrument, o.state.side, o.state.quantity, o.state.price)
        for o in sdk
    ] == [
        (o.key.exchange, o.key.instrument, o.state.side, o.state.quantity, o.state.price)
        for o in plain
    ]


def measure_python(n: int) -> tuple[float, float, float, float]:
    """a (SDK), c (pure Python), e (validation) and f (kept Book), µs per instrument, for a
    book of `n`."""
    repeats = 3 if n >= 100_000 else 5
    dicts = book_dicts(n)
    e = best_us(n, repeats, lambda: BOOK.validate_python(dicts))
    book = BOOK.validate_python(dicts)
    a = best_us(n, repeats, lambda: close_open_positions_with_market_orders("bench", book))
    c = best_us(n, repeats, lambda: close_positions("bench", book))
    kept = Book(book)
    assert kept.close_open_positions_with_market_orders("bench")[1][0].state == (
        close_open_positions_with_market_orders("bench", book)[1][0].state
    )
    f = best_us(n, repeats, lambda: kept.close_open_positions_with_market_orders("bench"))
    return a, c, e, f


def native(sizes: list[int], builder_limit_s: float) -> dict[int, dict[str, Any]]:
    args = [str(NATIVE), "--builder-limit-s", str(builder_limit_s), *map(str, sizes)]
    output = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in output.splitlines()]
    return {row["n"]: row for row in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, as CI runs them")
    quick = parser.parse_args().quick
    sizes = [1_000, 5_000] if quick else [1_000, 5_000, 10_000, 100_000]
    same_orders(1_000)

    rust = native(sizes, builder_limit_s=5 if quick else 30)
    rows = []
    for n in sizes:
        a, c, e, f = measure_python(n)
        rows.append((n, a, rust[n]["native_us"], c, rust[n]["builder_us"], e, f))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print("µs per instrument (best of repeats); book: N instruments over 5 exchanges, N/5 bases")
    header = (
        "N", "a SDK", "b Rust", "c Python", "d builder", "e validate", "f Book", "c/a", "a/b",
        "d/a", "c/f",
    )  # fmt: skip
    print("".join(f"{h:>12}" for h in header))
    for n, a, b, c, d, e, f in rows:
        cells = [f"{n:>12}", f"{a:>12.3f}", f"{b:>12.3f}", f"{c:>12.3f}"]
        cells.append(f"{d:>12.1f}" if d is not None else f"{'-':>12}")
        cells += [f"{e:>12.3f}", f"{f:>12.3f}", f"{c / a:>11.2f}x", f"{a / b:>11.2f}x"]
        cells.append(f"{d / a:>11.0f}x" if d is not None else f"{'-':>12}")
        cells.append(f"{c / f:>11.2f}x")
        print("".join(cells))
    by_n = {n: a for n, a, *_ in rows}
    if 10_000 in by_n and 100_000 in by_n:
        growth = by_n[100_000] * 100_000 / (by_n[10_000] * 10_000)
        print(f"growth a(100k)/a(10k): {growth:.1f}x (linear = 10x)")
    largest_d = max((n for n, _, _, _, d, _, _ in rows if d is not None), default=None)
    if largest_d is not None:
        a, d = next((a, d) for n, a, _, _, d, _, _ in rows if n == largest_d)
        print(
            f"a vs d at N={largest_d} (largest size barter's builder finished): {d / a:.0f}x faster"
        )
    print(f"peak RSS of this process: {peak_mib:.0f} MiB (largest book: {sizes[-1]} instruments)")
    print(f"peak RSS, N={sizes[-1]}, a fresh process per step (VmHWM) (MiB):")
    for step, label in MEMORY_STEPS.items():
        print(f"  {label:<58}{peak_rss(sizes[-1], step):>6.0f}")


# What each memory step does, cumulatively: validate the book, close it (keeping the orders),
# keep a `Book` of it and close that too.
MEMORY_STEPS = {
    "book": "the validated book (Pydantic snapshots)",
    "close": "+ the stateless close and its orders",
    "kept": "+ a kept Book and its close",
}


def peak_rss(n: int, step: str) -> float:
    """Peak RSS (MiB) of a fresh process that runs the memory steps up to `step`."""
    steps = list(MEMORY_STEPS)
    code = (
        "import gc, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from book import book_dicts\n"
        "from pydantic import TypeAdapter\n"
        "from barter_python import Book, InstrumentSnapshot\n"
        "from barter_python import close_open_positions_with_market_orders as close\n"
        f"book = TypeAdapter(list[InstrumentSnapshot]).validate_python(book_dicts({n}))\n"
        "gc.collect()\n"
    )
    if steps.index(step) >= 1:
        code += "orders = close('bench', book)\n"
    if steps.index(step) >= 2:
        code += "kept = Book(book)\nagain = kept.close_open_positions_with_market_orders('bench')\n"
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent through fork and exec.
    code += "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
    code += "print(int(hwm.split()[1]) / 1024)\n"
    run = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(run.stdout)


if __name__ == "__main__":
    main()
