"""Benchmarks for the ITS library (``make bench``).

Time to fit one segmented model (level and slope change, quarter dummies) and compute its
effects: OLS with Newey-West Wald intervals, and the default (GLS with REML AR(2) errors and the
parametric percentile-t bootstrap, 499 replications) for OLS and for quasi-Poisson counts, at
series lengths typical of the notebooks (32-60 quarters) and a long one (240), and the memory
the bootstrap draws hold. Target (issue "ITS inference"): a default fit with its effects under
50 ms at 60 quarters.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
from _timing import best_of, print_rows

from rasso_research.its import Interruption, ITSSpec, fit_its

TARGET_S = 0.050  # default fit + effects at n = 60


def _series(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(1, n + 1)
    t0 = 2 * n // 3
    e = np.zeros(n)
    z = rng.normal(size=n)
    for i in range(1, n):
        e[i] = 0.5 * e[i - 1] + z[i]
    y = 50 + 0.4 * t - 8 * (t >= t0) + 0.6 * (t - t0) * (t >= t0) + e
    q = pd.period_range("2010Q1", periods=n, freq="Q")
    counts = rng.poisson(np.exp(6 + 0.01 * t + 0.05 * e))
    return pd.DataFrame({"quarter": q, "y": y, "n": counts}), str(q[t0 - 1])


def main() -> int:
    rows = []
    default_60 = np.nan
    for n in (32, 60, 240):
        df, start = _series(n)
        spec = ITSSpec("y", "quarter", [Interruption("p", start)], season="quarter", freq="Q")
        hac = spec.replace(cov_type="HAC")
        counts = spec.replace(outcome="n", family="quasipoisson")
        t_wald = best_of(lambda s=hac, d=df: fit_its(d, s).effects(horizons=(0, 4)))
        t_boot = best_of(lambda s=spec, d=df: fit_its(d, s).effects(horizons=(0, 4)))
        t_cnt = best_of(lambda s=counts, d=df: fit_its(d, s).effects(horizons=(0, 4)))
        if n == 60:
            default_60 = max(t_boot, t_cnt)
        reps = f"{spec.boot_reps} reps"
        rows.append(
            (f"OLS fit + effects, n={n}, Newey-West", f"{t_wald * 1e3:.0f} ms", "best of 5")
        )
        rows.append((f"OLS fit + effects, n={n}, default", f"{t_boot * 1e3:.0f} ms", reps))
        rows.append((f"quasi-Poisson + effects, n={n}, default", f"{t_cnt * 1e3:.0f} ms", reps))
    df, start = _series(60)
    tracemalloc.start()
    res = fit_its(df, ITSSpec("y", "quarter", [Interruption("p", start)], freq="Q"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    held = res.bootstrap.delta.nbytes + res.bootstrap.covs.nbytes
    rows.append(
        ("bootstrap draws, n=60", f"{held / 2**20:.1f} MiB", f"fit peak {peak / 2**20:.0f} MiB")
    )
    ok = default_60 <= TARGET_S
    rows.append(
        ("target: default fit + effects n=60", "met" if ok else "MISSED", f"<= {TARGET_S} s")
    )
    print_rows(rows)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
