"""Coverage of 95% intervals over seeded simulated series with known level/slope changes.

Findings (recorded here so they are checked on every run):
* OLS + Newey-West HAC (lag floor(4 (n/100)^(2/9)), small-sample correction, t critical
  values) approaches nominal coverage only in long series: about 0.89-0.94 at n = 300 with
  AR(1) errors (rho = 0.3), but about 0.78-0.83 at n = 60, and 0.86-0.88 even with white-noise
  errors. This is the known finite-sample downward bias of HAC variances with trend/step
  regressors: the OLS residuals lose exactly the low-frequency variation that drives the
  variance of a level or slope change.
* The small-sample HAR recommendations of Lazarus, Lewis, Stock & Watson (2018) do not fix
  this in ITS designs (their fixed-b theory assumes stationary regressors, not a trend and a
  late step). Coverage (level / slope change, break at 2n/3, 5000 seeded series each,
  Monte Carlo SE about 0.006; NW94 = current default, NW-fb = Newey-West with S = 1.3 sqrt(n)
  and Kiefer-Vogelsang fixed-b critical values, EWC = hac_rule="ewc"):

      n    rho   NW94         NW-fb        EWC          OLS iid SE
      40   0.3   0.79/0.75    0.81/0.76    0.79/0.75    0.87/0.86
      40   0.6   0.72/0.62    0.76/0.67    0.78/0.71    0.73/0.70
      60   0.3   0.83/0.80    0.81/0.78    0.81/0.78    0.86/0.86
      60   0.6   0.76/0.69    0.78/0.71    0.80/0.75    0.71/0.69
      120  0.3   0.88/0.85    0.85/0.81    0.84/0.81    0.86/0.85
      120  0.6   0.81/0.77    0.81/0.76    0.82/0.79    0.69/0.68

  So the default stays "nw1994"; "ewc" is available as an option (slightly better with strong
  autocorrelation, slightly worse with weak).
* Regression with AR(1) errors (family="arima") keeps about 0.90-0.93 at n = 60 (about 0.89-0.90
  at n = 40), so it is the better choice for short series; Poisson / quasi-Poisson GLMs cover
  at about 0.94-0.95.
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


def gaussian_coverage(n, t0, rho, n_sim, family="ols", seed=0, hac_rule="nw1994"):
    import pandas as pd

    rng = np.random.default_rng(seed)
    t = np.arange(1, n + 1)
    post = t >= t0
    mean = 50 + 0.4 * t + LEVEL * post + SLOPE * (t - t0) * post
    spec = ITSSpec("y", "t", [Interruption("p", t0)], family=family, hac_rule=hac_rule)
    hits = np.zeros((n_sim, 2), dtype=bool)
    for i in range(n_sim):
        df = pd.DataFrame({"t": t, "y": mean + ar1(n, rho, rng)})
        tab = fit_its(df, spec).params_table().set_index("term")
        for j, (term, truth) in enumerate((("level_p", LEVEL), ("slope_p", SLOPE))):
            hits[i, j] = tab.loc[term, "ci_low"] < truth < tab.loc[term, "ci_high"]
    return hits.mean(axis=0)


@pytest.mark.slow
def test_ols_hac_coverage_long_series():
    """Even at n = 300 HAC coverage is only about 0.91 (Monte Carlo SE about 0.01 with 800
    series), so the lower bound is 0.88 rather than 0.90."""
    cov = gaussian_coverage(n=300, t0=151, rho=0.3, n_sim=800)
    assert ((cov >= 0.88) & (cov <= 0.99)).all(), cov


@pytest.mark.slow
@pytest.mark.parametrize("hac_rule", ["nw1994", "ewc"])
def test_ols_hac_undercovers_in_short_series(hac_rule):
    """Pins the documented limitation: both HAC rules under-cover at n = 60 (about 0.78-0.83)."""
    cov = gaussian_coverage(n=60, t0=41, rho=0.3, n_sim=300, hac_rule=hac_rule)
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
