"""Coverage of 95% intervals over seeded simulated series with known level/slope changes.

Findings (recorded here so they are checked on every run; the full table comes from
``python tools/coverage_study.py 1000``: level / slope change at 2n/3, 1000 seeded series per
cell, Monte Carlo SE about 0.007):

    errors            n    Wald (HAC)       bootstrap (default)
    AR(1) 0.3         40   0.80 / 0.74      0.93 / 0.93
                      60   0.84 / 0.83      0.95 / 0.95
                      120  0.88 / 0.85      0.95 / 0.95
    AR(1) 0.6         40   0.74 / 0.64      0.94 / 0.92
                      60   0.78 / 0.71      0.94 / 0.93
                      120  0.82 / 0.77      0.94 / 0.95
    AR(2) 0.4, 0.3    40   0.68 / 0.57      0.92 / 0.88
                      60   0.70 / 0.60      0.93 / 0.91
                      120  0.72 / 0.67      0.93 / 0.94
    MA(1) 0.6         40   0.82 / 0.75      0.93 / 0.92
                      60   0.84 / 0.83      0.94 / 0.93
                      120  0.88 / 0.86      0.94 / 0.93

* OLS + Newey-West HAC Wald intervals (lag floor(4 (n/100)^(2/9)), small-sample correction,
  t(n - k) critical values; ``ci_method="wald"``) approach nominal coverage only in long
  series: about 0.89-0.94 at n = 300 with AR(1) errors (rho = 0.3). This is the known
  finite-sample downward bias of HAC variances with trend/step regressors: the OLS residuals
  lose exactly the low-frequency variation that drives the variance of a level or slope change.
* The small-sample HAR recommendations of Lazarus, Lewis, Stock & Watson (2018) do not fix
  this in ITS designs (their fixed-b theory assumes stationary regressors, not a trend and a
  late step): at n = 40-120 with AR(1) errors (5000 series each) Newey-West with
  S = 1.3 sqrt(n) and fixed-b critical values covered 0.67-0.85 and the EWC estimator
  (``hac_rule="ewc"``) 0.71-0.84.
* The default for an uncontrolled OLS/OLS-log model is therefore the sieve-bootstrap
  percentile-t interval (its/bootstrap.py: bias-corrected AR(2) sieve, HAC studentization):
  0.91-0.95 from 60 periods on and 0.88-0.94 at 40, across AR(1), AR(2) and MA(1) errors.
* Regression with AR(1) errors (family="arima") keeps about 0.90-0.93 at n = 60; Poisson and
  quasi-Poisson GLMs cover at about 0.94-0.95.
"""

import numpy as np
import pytest

from rasso_research.its import Interruption, ITSSpec, fit_its

LEVEL, SLOPE = -8.0, 0.6


def ar1(n, rho, rng):
    e = np.zeros(n)
    e[0] = rng.normal(0, 1 / np.sqrt(1 - rho**2))
    for i in range(1, n):
        e[i] = rho * e[i - 1] + rng.normal()
    return e


def ar2(n, phi, rng):
    """AR(2) errors with coefficients ``phi`` (100 burn-in periods)."""
    e = np.zeros(n + 100)
    z = rng.normal(size=n + 100)
    for i in range(2, n + 100):
        e[i] = phi[0] * e[i - 1] + phi[1] * e[i - 2] + z[i]
    return e[100:]


def gaussian_coverage(n, t0, rho, n_sim, family="ols", seed=0, **spec_kw):
    """Coverage of the level and slope changes; ``rho`` a number (AR(1)) or a pair (AR(2))."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    t = np.arange(1, n + 1)
    post = t >= t0
    mean = 50 + 0.4 * t + LEVEL * post + SLOPE * (t - t0) * post
    spec = ITSSpec("y", "t", [Interruption("p", t0)], family=family, **spec_kw)
    noise = (lambda: ar2(n, rho, rng)) if isinstance(rho, tuple) else (lambda: ar1(n, rho, rng))
    hits = np.zeros((n_sim, 2), dtype=bool)
    for i in range(n_sim):
        df = pd.DataFrame({"t": t, "y": mean + noise()})
        tab = fit_its(df, spec).params_table().set_index("term")
        for j, (term, truth) in enumerate((("level_p", LEVEL), ("slope_p", SLOPE))):
            hits[i, j] = tab.loc[term, "ci_low"] < truth < tab.loc[term, "ci_high"]
    return hits.mean(axis=0)


@pytest.mark.slow
@pytest.mark.parametrize(
    "n,t0,rho", [(40, 28, 0.6), (60, 41, 0.3), (60, 41, (0.4, 0.3)), (120, 81, 0.6)]
)
def test_ols_hac_default_intervals_cover_close_to_95(n, t0, rho):
    """The default OLS intervals (sieve-bootstrap percentile-t around the HAC standard
    error) cover level and slope changes close to 95% in short autocorrelated series
    (Monte Carlo SE about 0.01 with 500 series)."""
    cov = gaussian_coverage(n=n, t0=t0, rho=rho, n_sim=500)
    assert ((cov >= 0.90) & (cov <= 0.98)).all(), cov


@pytest.mark.slow
def test_ols_hac_wald_coverage_long_series():
    """Even at n = 300 HAC Wald coverage is only about 0.91 (Monte Carlo SE about 0.01 with
    800 series), so the lower bound is 0.88 rather than 0.90."""
    cov = gaussian_coverage(n=300, t0=151, rho=0.3, n_sim=800, ci_method="wald")
    assert ((cov >= 0.88) & (cov <= 0.99)).all(), cov


@pytest.mark.slow
@pytest.mark.parametrize("hac_rule", ["nw1994", "ewc"])
def test_ols_hac_wald_undercovers_in_short_series(hac_rule):
    """Pins why the default is the bootstrap: HAC Wald intervals under either rule cover
    only about 0.78-0.83 at n = 60."""
    cov = gaussian_coverage(n=60, t0=41, rho=0.3, n_sim=300, hac_rule=hac_rule, ci_method="wald")
    assert ((cov > 0.72) & (cov < 0.90)).all(), cov


@pytest.mark.slow
def test_arima_errors_coverage_short_series():
    cov = gaussian_coverage(n=60, t0=41, rho=0.3, n_sim=200, family="arima")
    assert ((cov >= 0.90) & (cov <= 0.99)).all(), cov


@pytest.mark.slow
@pytest.mark.parametrize("family,overdispersion", [("poisson", None), ("quasipoisson", 0.01)])
def test_count_model_coverage(family, overdispersion):
    import pandas as pd

    rng = np.random.default_rng(1)
    n, t0, level = 60, 41, -0.2
    t = np.arange(1, n + 1)
    post = t >= t0
    pop = 1e6 * (1 + 0.002 * t)
    mu = pop * np.exp(-8 + 0.005 * t + level * post + 0.01 * (t - t0) * post)
    spec = ITSSpec("y", "t", [Interruption("p", t0)], family=family, offset="pop")
    hits = []
    for _ in range(300):
        if overdispersion is None:
            y = rng.poisson(mu)
        else:  # gamma-Poisson mixture: var = mu + a mu^2
            y = rng.poisson(rng.gamma(1 / overdispersion, overdispersion * mu))
        tab = fit_its(pd.DataFrame({"t": t, "y": y, "pop": pop}), spec).params_table()
        row = tab.set_index("term").loc["level_p"]
        hits.append(row["ci_low"] < level < row["ci_high"])
    assert 0.90 <= np.mean(hits) <= 0.99, np.mean(hits)


def test_recovery_on_one_long_series():
    """A single long, low-noise series recovers the level and slope changes closely."""
    import pandas as pd

    rng = np.random.default_rng(3)
    n, t0 = 200, 101
    t = np.arange(1, n + 1)
    post = t >= t0
    y = 50 + 0.4 * t + LEVEL * post + SLOPE * (t - t0) * post + 0.3 * ar1(n, 0.3, rng)
    res = fit_its(pd.DataFrame({"t": t, "y": y}), ITSSpec("y", "t", [Interruption("p", t0)]))
    est = res.params_table().set_index("term")["estimate"]
    assert est["level_p"] == pytest.approx(LEVEL, abs=0.4)
    assert est["slope_p"] == pytest.approx(SLOPE, abs=0.02)
