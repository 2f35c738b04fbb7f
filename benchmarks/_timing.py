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
