"""Benchmarks for the designs (``make bench``): specification-curve throughput.

Fits a 48-specification grid (4 model families x 3 seasonalities x 2 Covid handlings x 2
phase-ins, one date) to a synthetic 44-quarter charge-rate series like the national one, in
this process (``n_jobs=1``, as the notebooks run under ``make -j2``), and reports
specifications per second by family. Target (issue: multiverse speed): 300 specifications per
second on 2 cores, so the 43-force x 3-date x 288 grid runs in about two minutes.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from _timing import print_rows

from rasso_research import designs as D
from rasso_research.designs import spec_curve as SC

TARGET = 300.0  # specifications per second


def _series(n: int = 44, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    q = pd.period_range("2014Q2", periods=n, freq="Q")
    off = np.full(n, 14000.0)
    mu = off * 0.06 * np.exp(-0.02 * np.arange(n) + 0.15 * (q >= pd.Period("2020Q3", "Q")))
    y = rng.poisson(mu).astype(float)
    return pd.DataFrame(
        {
            "quarter": q,
            "t": np.arange(1, n + 1),
            "value": y,
            "offset": off,
            "log_offset": np.log(off),
        }
    )


def main() -> int:
    s = _series()
    base = D.at(
        D.QUARTERLY.replace(
            disrupted=D.covid_disrupted("indicator", ["2020Q2", "2020Q4"]), rate_per=100
        ),
        "2020Q3",
    )
    grid = {"shift": [0]}
    rows = []
    total_n, total_t = 0, 0.0
    for model in SC.MODELS:
        t0 = time.perf_counter()
        c = SC.specification_curve(
            s, base, grid={**grid, "model": [model]}, n_jobs=1, shifts=None, progress=False
        ).curve
        dt = time.perf_counter() - t0
        total_n, total_t = total_n + len(c), total_t + dt
        rows.append((f"spec curve, {model}", f"{len(c) / dt:.1f} /s", f"{len(c)} specs"))
    rate = total_n / total_t
    rows.append(("spec curve, all families", f"{rate:.1f} /s", f"{total_n} specs"))
    rows.append(
        ("43 forces x 3 dates x 288 specs", f"{43 * 3 * 288 / rate / 60:.0f} min", "at this rate")
    )
    ok = rate >= TARGET
    rows.append(("target: specifications per second", "met" if ok else "MISSED", f">= {TARGET:g}"))
    print_rows(rows)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
