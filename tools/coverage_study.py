"""Coverage study of the single-series ITS intervals (reproducible, seeded): the table in
docs/METHODS.md and the cells asserted in tests/its/test_coverage.py.

Quarterly series with a linear trend, a level and a slope break at 3n/5, quarterly seasonal
terms (all in the fitted model) and AR(1) (phi 0.3, 0.6, 0.8) or AR(2) (0.4, 0.3) errors,
n in 30, 40, 60, 120; ``n_sim`` seeded series per cell. For each interval method it reports
how often the 95% intervals of the level and the slope change cover the truth:

* ``default``: GLS with AR(p) errors (p by BIC) and the bias-corrected parametric bootstrap;
* ``ar_wald``: the same fit with t(n - k - p) intervals;
* ``hac_wald``: OLS with Newey-West errors and t(n - k) (Stata ``newey``/``itsa``).

Usage: python tools/coverage_study.py [n_sim] [out.csv]   (1000: about 40 minutes on 2 cores)
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.signal import lfilter

from rasso_research.its import Interruption, ITSSpec, fit_its

LEVEL, SLOPE = -3.0, 0.2
SEASON = np.array([0.0, 1.0, -0.5, 0.8])
DGPS = {
    "AR(1) 0.3": (0.3,),
    "AR(1) 0.6": (0.6,),
    "AR(1) 0.8": (0.8,),
    "AR(2) 0.4, 0.3": (0.4, 0.3),
}
NS = (30, 40, 60, 120)
METHODS = {
    "default": {},
    "ar_wald": {"ci_method": "wald"},
    "hac_wald": {"cov_type": "HAC"},
}


def errors(n: int, ar: tuple, rng) -> np.ndarray:
    """Stationary AR errors with unit innovation variance (200 burn-in periods)."""
    z = rng.normal(size=n + 200)
    return lfilter([1.0], np.r_[1.0, -np.asarray(ar)], z)[200:]


def series(n: int, ar: tuple, rng) -> pd.DataFrame:
    """One simulated quarterly series (Period axis from 2000Q1) with known effects."""
    t = np.arange(n)
    t0 = round(3 * n / 5)
    post = t >= t0
    mean = 20 + 0.1 * t + LEVEL * post + SLOPE * (t - t0) * post + SEASON[t % 4]
    q = pd.period_range("2000Q1", periods=n, freq="Q")
    return pd.DataFrame({"quarter": q, "y": mean + errors(n, ar, rng)}), str(q[t0])


def coverage(n: int, dgp: str, n_sim: int, seed: int = 0) -> dict:
    """Coverage of the level and slope change by every method in ``METHODS`` (same series)."""
    rng = np.random.default_rng([seed, n, list(DGPS).index(dgp)])
    hits = {m: np.zeros(2) for m in METHODS}
    for _ in range(n_sim):
        df, at = series(n, DGPS[dgp], rng)
        base = ITSSpec("y", "quarter", [Interruption("p", at)], season="quarter", freq="Q")
        for m, kw in METHODS.items():
            tab = fit_its(df, base.replace(**kw)).params_table().set_index("term")
            for j, (term, truth) in enumerate((("level_p", LEVEL), ("slope_p", SLOPE))):
                hits[m][j] += tab.loc[term, "ci_low"] < truth < tab.loc[term, "ci_high"]
    return {m: h / n_sim for m, h in hits.items()}


def main(n_sim: int = 1000, n_jobs: int = 1) -> pd.DataFrame:
    cells = [(n, d) for d in DGPS for n in NS]
    res = Parallel(n_jobs=n_jobs)(delayed(coverage)(n, d, n_sim) for n, d in cells)
    rows = []
    for (n, d), c in zip(cells, res, strict=True):
        for m, (lev, slo) in c.items():
            rows.append({"errors": d, "n": n, "method": m, "level": lev, "slope": slo})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    n_sim = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    out = main(n_sim)
    if len(sys.argv) > 2:
        out.to_csv(sys.argv[2], index=False)
    wide = out.pivot_table(index=["errors", "n"], columns="method", values=["level", "slope"])
    print(wide.round(3).to_string())
