"""Benchmarks for the data layer (``make bench``).

1. Time and peak memory to build the processed panel from ``data/raw`` (written to a temporary
   folder, so ``data/processed`` is untouched): Python allocations via tracemalloc, and the
   process's peak resident set size via resource.getrusage.
2. Time to read one workbook (the ONS PFA population tables) with python-calamine versus
   pandas' default engine (openpyxl), if openpyxl is installed.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import pandas as pd
from _timing import best_of

from rasso_research import paths
from rasso_research.data import panel

WORKBOOK = "population/ons-pfa-tables-year-ending-march-2018.xlsx"


def main() -> int:
    raw = paths.DATA_RAW
    if not (raw / ".fetched").exists():
        print(
            "data/raw not fetched: run `python -m rasso_research.data.fetch` first", file=sys.stderr
        )
        return 1
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tracemalloc.start()
        t0 = time.perf_counter()
        p = panel.build_panel(raw, Path(tmp), progress=False)
        dt = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        t1 = time.perf_counter()
        panel.build_panel(raw, Path(tmp), progress=False)
        dt_untraced = time.perf_counter() - t1
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    rows.append(
        (
            "build panel (traced)",
            f"{dt:.2f} s",
            f"{peak / 2**20:.0f} MiB peak (Python heap; excludes Arrow buffers)",
        )
    )
    rows.append(("build panel (untraced)", f"{dt_untraced:.2f} s", f"{rss_mb:.0f} MiB max RSS"))
    rows.append(("panel rows", f"{len(p):,}", ""))
    wb = raw / WORKBOOK
    if wb.exists():
        t_cal = best_of(lambda: pd.read_excel(wb, sheet_name=None, engine="calamine"))
        rows.append((f"read {wb.name} (calamine)", f"{t_cal:.3f} s", "all sheets, best of 3"))
        try:
            import openpyxl  # noqa: F401

            t_def = best_of(lambda: pd.read_excel(wb, sheet_name=None, engine="openpyxl"))
            rows.append(
                (
                    f"read {wb.name} (default/openpyxl)",
                    f"{t_def:.3f} s",
                    f"calamine {t_def / t_cal:.1f}x faster",
                )
            )
        except ImportError:
            rows.append(("default engine", "skipped", "openpyxl not installed"))
    w = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{w}}  {'result':>12}  note")
    for name, res, note in rows:
        print(f"{name:<{w}}  {res:>12}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
