"""Timing helper shared by the benchmark scripts (run as scripts, so this folder is on sys.path)."""

from __future__ import annotations

import time


def best_of(fn, n: int = 3) -> float:
    """Best wall-clock time in seconds of ``n`` calls of ``fn``."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def print_rows(rows) -> None:
    """Print ``(benchmark, result, note)`` rows as an aligned table."""
    w = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{w}}  {'result':>12}  note")
    for name, val, note in rows:
        print(f"{name:<{w}}  {val:>12}  {note}")
