"""Coverage study of the single-series ITS intervals (reproducible, seeded): the table in
docs/METHODS.md and the cells asserted in tests/its/test_coverage.py.

Quarterly series with a linear trend, a level and a slope break at 3n/5, quarterly seasonal
terms (all in the fitted model) and AR(1) (phi 0.3, 0.6, 0.8) or AR(2) (0.4, 0.3) errors,
n in 30, 40, 60, 120; ``n_sim`` seeded series per cell. For each interval method it reports
how often the 95% intervals of the level and the slope change cover the truth:

* ``default``: GLS with AR(2) errors by REML and the parametric percentile-t bootstrap;
* ``ar_wald``: the same fit with t(n - k - p) intervals;
* ``hac_wald``: OLS with Newey-West errors and t(n - k) (Stata ``newey``/``itsa``).

Counts (``counts`` mode): quarterly counts with a population offset, trend, level and slope
breaks and seasonal terms on the log scale, plus an AR(1) latent log-rate (phi 0.3, 0.5, 0.7;
innovation SD 0.05, about the Poisson noise of ~400 events a quarter), so the counts are
autocorrelated and overdispersed; n in 40, 60, 80; quasi-Poisson fitted with the default (AR
errors, bootstrap), its t intervals, Newey-West and the model-based errors.

Usage: python tools/coverage_study.py [n_sim] [out.csv] [counts] [seed=K] [n=N] [order=P]
    [jobs=J]
(``seed=K`` draws other series than the table's seed 0, for a replication; ``n=N`` runs the
cells of one series length only; ``order=P`` fits AR(P) errors instead of the default AR(2)
in the AR-errors methods, on the same series; ``jobs=J`` runs the cells in J processes)
(1000 series per cell: about 15 minutes for the Gaussian table on one core)
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


def coverage(n: int, dgp: str, n_sim: int, seed: int = 0, methods=None) -> dict:
    """Coverage of the level and slope change by every method in ``methods`` (default
    ``METHODS``), on the same series."""
    methods = METHODS if methods is None else methods
    rng = np.random.default_rng([seed, n, list(DGPS).index(dgp)])
    hits = {m: np.zeros(2) for m in methods}
    for _ in range(n_sim):
        df, at = series(n, DGPS[dgp], rng)
        base = ITSSpec("y", "quarter", [Interruption("p", at)], season="quarter", freq="Q")
        for m, kw in methods.items():
            tab = fit_its(df, base.replace(**kw)).params_table().set_index("term")
            for j, (term, truth) in enumerate((("level_p", LEVEL), ("slope_p", SLOPE))):
                hits[m][j] += tab.loc[term, "ci_low"] < truth < tab.loc[term, "ci_high"]
    return {m: h / n_sim for m, h in hits.items()}


COUNT_PHIS = (0.3, 0.5, 0.7)
COUNT_NS = (40, 60, 80)
COUNT_LEVEL, COUNT_SLOPE = -0.2, 0.01
COUNT_METHODS = {**METHODS, "model_based": {"cov_type": "nonrobust"}}


def count_series(n: int, phi: float, rng) -> tuple[pd.DataFrame, str]:
    """One simulated quarterly count series with a population offset and known effects."""
    t = np.arange(n)
    t0 = round(3 * n / 5)
    post = t >= t0
    pop = 1e6 * (1 + 0.002 * t)
    latent = lfilter([1.0], [1.0, -phi], rng.normal(0, 0.05, n + 200))[200:]
    log_rate = -8 + 0.005 * t + COUNT_LEVEL * post + COUNT_SLOPE * (t - t0) * post
    mu = pop * np.exp(log_rate + 0.05 * SEASON[t % 4] + latent)
    q = pd.period_range("2000Q1", periods=n, freq="Q")
    return pd.DataFrame({"quarter": q, "y": rng.poisson(mu), "pop": pop}), str(q[t0])


def count_coverage(n: int, phi: float, n_sim: int, seed: int = 0, methods=None) -> dict:
    """Coverage of the log-scale level and slope change by every method in ``methods``
    (default ``COUNT_METHODS``)."""
    methods = COUNT_METHODS if methods is None else methods
    rng = np.random.default_rng([seed, n, int(100 * phi)])
    hits = {m: np.zeros(2) for m in methods}
    for _ in range(n_sim):
        df, at = count_series(n, phi, rng)
        base = ITSSpec(
            "y",
            "quarter",
            [Interruption("p", at)],
            family="quasipoisson",
            offset="pop",
            season="quarter",
            freq="Q",
        )
        for m, kw in methods.items():
            tab = fit_its(df, base.replace(**kw)).params_table().set_index("term")
            truths = (("level_p", COUNT_LEVEL), ("slope_p", COUNT_SLOPE))
            for j, (term, truth) in enumerate(truths):
                hits[m][j] += tab.loc[term, "ci_low"] < truth < tab.loc[term, "ci_high"]
    return {m: h / n_sim for m, h in hits.items()}


def with_order(methods: dict, order: int | None) -> dict:
    """``methods`` with AR(``order``) errors in the AR-errors ones, those that leave
    ``cov_type`` at its single-series default (the default and its t intervals); unchanged
    when ``order`` is None."""
    if order is None:
        return methods
    return {m: kw if "cov_type" in kw else {**kw, "ar_order": order} for m, kw in methods.items()}


def main_counts(
    n_sim: int = 1000, n_jobs: int = 1, seed: int = 0, ns=COUNT_NS, order=None
) -> pd.DataFrame:
    cells = [(n, phi) for phi in COUNT_PHIS for n in ns]
    res = Parallel(n_jobs=n_jobs)(
        delayed(count_coverage)(n, p, n_sim, seed, with_order(COUNT_METHODS, order))
        for n, p in cells
    )
    rows = []
    for (n, phi), c in zip(cells, res, strict=True):
        for m, (lev, slo) in c.items():
            rows.append(
                {"errors": f"latent AR(1) {phi}", "n": n, "method": m, "level": lev, "slope": slo}
            )
    return pd.DataFrame(rows)


def main(n_sim: int = 1000, n_jobs: int = 1, seed: int = 0, ns=NS, order=None) -> pd.DataFrame:
    cells = [(n, d) for d in DGPS for n in ns]
    res = Parallel(n_jobs=n_jobs)(
        delayed(coverage)(n, d, n_sim, seed, with_order(METHODS, order)) for n, d in cells
    )
    rows = []
    for (n, d), c in zip(cells, res, strict=True):
        for m, (lev, slo) in c.items():
            rows.append({"errors": d, "n": n, "method": m, "level": lev, "slope": slo})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    n_sim = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    opts = dict(a.split("=", 1) for a in sys.argv[3:] if "=" in a)
    seed = int(opts.get("seed", 0))
    order = int(opts["order"]) if "order" in opts else None
    jobs = int(opts.get("jobs", 1))
    if "counts" in sys.argv[3:]:
        ns = (int(opts["n"]),) if "n" in opts else COUNT_NS
        out = main_counts(n_sim, jobs, seed=seed, ns=ns, order=order)
    else:
        ns = (int(opts["n"]),) if "n" in opts else NS
        out = main(n_sim, jobs, seed=seed, ns=ns, order=order)
    if len(sys.argv) > 2:
        out.to_csv(sys.argv[2], index=False)
    wide = out.pivot_table(index=["errors", "n"], columns="method", values=["level", "slope"])
    print(wide.round(3).to_string())
