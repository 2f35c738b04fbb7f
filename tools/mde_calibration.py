"""Calibration of the reported minimum detectable effects (reproducible, seeded): the table in
docs/METHODS.md ("Is the MDE calibrated?").

For each cell (a DGP and a series length n) and each of ``n_sim`` seeded replications:

1. simulate a quarterly series with a linear trend, quarterly seasonal terms, a slope change at
   3n/5 and no level change, fit the package's default model (GLS with REML AR(2) errors and
   the parametric percentile-t bootstrap; trend, season, level and slope change in the model)
   and take its reported level-change MDE (``ITSResult.mde``, link scale);
2. simulate a new series from the same DGP (new errors) with a true level change of that size
   (a rise in even replications, a fall in odd ones), refit it exactly as the package does and
   record whether the 95% interval of the level change excludes zero.

The share of replications with such an interval is the power at the reported MDE (Monte
Carlo SE about 0.013 with 1,000 replications). The same second-stage errors with a level change
of the cell's median reported MDE give the power at a fixed effect of the typical reported size
(``power_at_median``): 0.80 if the MDE is right on average. The first share is lower wherever
the reported MDE varies from series to series (``mde_cv``), since power is concave in the effect
near 0.8: an MDE that is too small loses more power than one too large gains.

DGPs (as ``tools/coverage_study.py``): Gaussian AR(1) errors with unit innovations (phi 0.3,
0.5, 0.8); quasi-Poisson counts with a population offset and a latent AR(1) log-rate (phi 0.3,
0.5, 0.8, innovation SD 0.05, about the Poisson noise of ~400 events a quarter), fitted as
quasi-Poisson with the default (AR errors on the working scale, bootstrap); n in 30, 50, 80.

Usage: python tools/mde_calibration.py [n_sim=N] [jobs=J] [seed=K] [n=N] [family=F] [out=CSV]
(defaults: 1000 replications per cell, one process, seed 0, every n, both families
``gaussian`` and ``counts``; ``out=`` writes the long table as CSV)
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.signal import lfilter

from rasso_research.estimators.arerrors import ar_autocov
from rasso_research.its import Interruption, ITSSpec, fit_its

SEASON = np.array([0.0, 1.0, -0.5, 0.8])
PHIS = (0.3, 0.5, 0.8)
NS = (30, 50, 80)
FAMILIES = ("gaussian", "counts")
SLOPE = {"gaussian": 0.2, "counts": 0.01}
TERM = "level_p"


def _axis(n: int) -> tuple[np.ndarray, np.ndarray, int, pd.PeriodIndex]:
    t = np.arange(n)
    t0 = round(3 * n / 5)
    return t, t >= t0, t0, pd.period_range("2000Q1", periods=n, freq="Q")


def _ar1(phi: float, size: int, sd: float, rng) -> np.ndarray:
    """A stationary AR(1) series (200 burn-in periods) with innovation SD ``sd``."""
    return lfilter([1.0], [1.0, -phi], rng.normal(0.0, sd, size + 200))[200:]


def gaussian_series(n: int, phi: float, level: float, rng) -> pd.DataFrame:
    """Trend, season, a slope change and a level change ``level`` at 3n/5, AR(1) errors."""
    t, post, t0, q = _axis(n)
    mean = 20 + 0.1 * t + level * post + SLOPE["gaussian"] * (t - t0) * post + SEASON[t % 4]
    return pd.DataFrame({"quarter": q, "y": mean + _ar1(phi, n, 1.0, rng)})


def count_series(n: int, phi: float, level: float, rng) -> pd.DataFrame:
    """Quarterly counts with a population offset: trend, season, a slope change and a
    log-scale level change ``level`` at 3n/5, and a latent AR(1) log-rate."""
    t, post, t0, q = _axis(n)
    pop = 1e6 * (1 + 0.002 * t)
    log_rate = -8 + 0.005 * t + level * post + SLOPE["counts"] * (t - t0) * post
    mu = pop * np.exp(log_rate + 0.05 * SEASON[t % 4] + _ar1(phi, n, 0.05, rng))
    return pd.DataFrame({"quarter": q, "y": rng.poisson(mu), "pop": pop})


def default_spec(n: int, family: str) -> ITSSpec:
    """The package's default model for the cell (the interruption at 3n/5)."""
    _, _, t0, q = _axis(n)
    spec = ITSSpec("y", "quarter", [Interruption("p", str(q[t0]))], season="quarter", freq="Q")
    if family == "counts":
        return spec.replace(family="quasipoisson", offset="pop")
    return spec


def _rejects(df: pd.DataFrame, spec: ITSSpec) -> bool:
    """Does the package's 95% interval of the level change of ``df`` exclude zero?"""
    row = fit_its(df, spec).params_table().set_index("term").loc[TERM]
    return bool(row["ci_low"] > 0 or row["ci_high"] < 0)


def calibrate(family: str, phi: float, n: int, n_sim: int, seed: int = 0) -> dict:
    """Power at the reported level-change MDE in one cell: at each fit's own MDE (the
    calibration) and at the cell's median MDE, on the same second-stage errors (the power a
    study of this design has at a fixed effect of the typical reported size); with the mean
    and coefficient of variation of the MDEs and the mean lag-1 autocorrelation of the fitted
    AR errors (against the true phi: REML's persistence bias)."""
    simulate = gaussian_series if family == "gaussian" else count_series
    rng = np.random.default_rng([seed, n, int(100 * phi), FAMILIES.index(family)])
    spec = default_spec(n, family)
    mdes, rho1 = np.empty(n_sim), np.empty(n_sim)
    for i in range(n_sim):
        first = fit_its(simulate(n, phi, 0.0, rng), spec)
        mdes[i] = first.mde(TERM)
        acov = ar_autocov(first.results.ar_fit.phi[None])[0]
        rho1[i] = acov[1] / acov[0]
    median = float(np.median(mdes))
    own, fixed = np.empty(n_sim, bool), np.empty(n_sim, bool)
    for i, child in enumerate(rng.spawn(n_sim)):
        sign = 1.0 if i % 2 == 0 else -1.0  # a rise, then a fall
        state = child.bit_generator.state
        own[i] = _rejects(simulate(n, phi, sign * mdes[i], child), spec)
        child.bit_generator.state = state  # the same errors at the median MDE
        fixed[i] = _rejects(simulate(n, phi, sign * median, child), spec)
    power = float(own.mean())
    return {
        "family": family,
        "phi": phi,
        "n": n,
        "n_sim": n_sim,
        "power": power,
        "mc_se": float(np.sqrt(power * (1 - power) / n_sim)),
        "power_at_median": float(fixed.mean()),
        "median_mde": median,
        "mde_cv": float(mdes.std() / mdes.mean()),
        "mean_rho1": float(rho1.mean()),
    }


def main(n_sim=1000, n_jobs=1, seed=0, ns=NS, families=FAMILIES) -> pd.DataFrame:
    cells = [(f, phi, n) for f in families for phi in PHIS for n in ns]
    rows = Parallel(n_jobs=n_jobs)(delayed(calibrate)(*c, n_sim, seed) for c in cells)
    return pd.DataFrame(rows)


if __name__ == "__main__":
    opts = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
    start = time.perf_counter()
    out = main(
        n_sim=int(opts.get("n_sim", 1000)),
        n_jobs=int(opts.get("jobs", 1)),
        seed=int(opts.get("seed", 0)),
        ns=(int(opts["n"]),) if "n" in opts else NS,
        families=(opts["family"],) if "family" in opts else FAMILIES,
    )
    if "out" in opts:
        out.to_csv(opts["out"], index=False)
    print(out.round(3).to_string(index=False))
    print(f"{time.perf_counter() - start:.0f} s")
