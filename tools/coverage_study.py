"""Coverage study behind the table in tests/its/test_coverage.py (reproducible, seeded).

Fits the segmented OLS model (level and slope change at 2n/3) to simulated series with
known effects and reports how often the 95% intervals of the level and slope changes cover
the truth, for HAC Wald intervals and for the default sieve-bootstrap percentile-t
intervals. Usage: python tools/coverage_study.py [n_sim]  (n_sim = 1000: about 10 minutes on 2 cores)
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from rasso_research.its import Interruption, ITSSpec, fit_its

LEVEL, SLOPE = -8.0, 0.6
DGPS = {
    "AR(1) 0.3": ((0.3,), ()),
    "AR(1) 0.6": ((0.6,), ()),
    "AR(2) 0.4, 0.3": ((0.4, 0.3), ()),
    "MA(1) 0.6": ((), (0.6,)),
}


def errors(n: int, ar: tuple, ma: tuple, rng) -> np.ndarray:
    """Stationary ARMA errors with unit innovation variance (200 burn-in periods)."""
    from scipy.signal import lfilter

    z = rng.normal(size=n + 200)
    return lfilter(np.r_[1.0, ma], np.r_[1.0, -np.asarray(ar)], z)[200:]


def coverage(n: int, dgp: str, ci_method: str, n_sim: int, seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    t0 = round(2 * n / 3) + 1
    t = np.arange(1, n + 1)
    post = t >= t0
    mean = 50 + 0.4 * t + LEVEL * post + SLOPE * (t - t0) * post
    spec = ITSSpec("y", "t", [Interruption("p", t0)], ci_method=ci_method)
    hits = np.zeros((n_sim, 2), dtype=bool)
    for i in range(n_sim):
        y = mean + errors(n, *DGPS[dgp], rng)
        tab = fit_its(pd.DataFrame({"t": t, "y": y}), spec).params_table().set_index("term")
        for j, (term, truth) in enumerate((("level_p", LEVEL), ("slope_p", SLOPE))):
            hits[i, j] = tab.loc[term, "ci_low"] < truth < tab.loc[term, "ci_high"]
    return hits.mean(axis=0)


def main(n_sim: int = 2000) -> pd.DataFrame:
    cells = [(n, d, m) for d in DGPS for n in (40, 60, 120) for m in ("wald", "bootstrap")]
    res = Parallel(n_jobs=-1)(delayed(coverage)(n, d, m, n_sim) for n, d, m in cells)
    rows = [
        {"errors": d, "n": n, "ci": m, "level": round(c[0], 3), "slope": round(c[1], 3)}
        for (n, d, m), c in zip(cells, res, strict=True)
    ]
    out = pd.DataFrame(rows).pivot_table(
        index=["errors", "n"], columns="ci", values=["level", "slope"], sort=False
    )
    return out


if __name__ == "__main__":
    pd.set_option("display.width", 120)
    print(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000).to_string())
