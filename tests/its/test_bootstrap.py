"""Sieve-bootstrap percentile-t inference for OLS ITS models (its/bootstrap.py)."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.regression.linear_model import yule_walker as sm_yule_walker

from rasso_research.its import Interruption, ITSSpec, fit_its
from rasso_research.its.bootstrap import hac_covariances, sieve_bootstrap, yule_walker


def ar_series(n, phi, rng):
    z = rng.normal(size=n + 100)
    e = np.zeros(n + 100)
    for i in range(1, n + 100):
        e[i] = phi * e[i - 1] + z[i]
    return e[100:]


def frame(n=48, t0=33, seed=0, phi=0.4):
    rng = np.random.default_rng(seed)
    t = np.arange(1, n + 1)
    post = t >= t0
    y = 20 + 0.3 * t - 5 * post + 0.2 * (t - t0) * post + ar_series(n, phi, rng)
    return pd.DataFrame({"t": t, "y": y}), t0


@pytest.mark.parametrize("small_sample", [True, False])
def test_hac_covariance_matches_statsmodels(small_sample):
    df, t0 = frame()
    X = sm.add_constant(np.column_stack([df["t"], df["t"] >= t0]).astype(float))
    res = sm.OLS(df["y"].to_numpy(), X).fit(
        cov_type="HAC", cov_kwds={"maxlags": 3, "use_correction": small_sample}
    )
    V = hac_covariances(X, np.asarray(res.resid)[:, None], np.linalg.inv(X.T @ X), 3, small_sample)
    np.testing.assert_allclose(V[:, :, 0], res.cov_params(), rtol=1e-10)


def test_yule_walker_matches_statsmodels():
    rng = np.random.default_rng(1)
    U = rng.normal(size=(80, 3)).cumsum(axis=0) * 0.1 + rng.normal(size=(80, 3))
    ours = yule_walker(U, 2)
    for b in range(3):
        ref = sm_yule_walker(U[:, b], order=2, method="mle", result_object=True).rho
        np.testing.assert_allclose(ours[b], ref, rtol=1e-10)


def test_bias_correction_moves_ar_estimate_towards_truth():
    """OLS residuals of a trend-and-step regression understate the error autocorrelation;
    the bias-corrected AR(1) used for resampling is closer to the truth on average."""
    n, t0, phi = 40, 28, 0.6
    t = np.arange(1, n + 1)
    X = np.column_stack([np.ones(n), t, t >= t0, (t - t0) * (t >= t0)]).astype(float)
    raw, corrected = [], []
    for seed in range(60):
        u = ar_series(n, phi, np.random.default_rng(100 + seed))
        resid = u - X @ np.linalg.lstsq(X, u, rcond=None)[0]
        raw.append(yule_walker(resid[:, None], 1)[0, 0])
        boot = sieve_bootstrap(X, u, lags=3, small_sample=True, ar_order=1, reps=99, seed=seed)
        corrected.append(boot.ar[0])
    assert abs(np.mean(corrected) - phi) < abs(np.mean(raw) - phi) / 2, (
        np.mean(raw),
        np.mean(corrected),
    )


def test_default_ols_uses_bootstrap_and_is_reproducible():
    df, t0 = frame()
    spec = ITSSpec("y", "t", [Interruption("p", t0)])
    a, b = fit_its(df, spec), fit_its(df, spec)
    assert a.ci_method == "bootstrap"
    pd.testing.assert_frame_equal(a.params_table(), b.params_table())
    other = fit_its(df, spec.replace(boot_seed=7)).params_table()
    assert not np.allclose(other["ci_low"], a.params_table()["ci_low"])


def test_bootstrap_table_is_percentile_t_around_hac_se():
    df, t0 = frame()
    spec = ITSSpec("y", "t", [Interruption("p", t0)])
    boot = fit_its(df, spec).params_table().set_index("term")
    wald = fit_its(df, spec.replace(ci_method="wald")).params_table().set_index("term")
    # same estimates and HAC standard errors; intervals symmetric, wider than Wald here
    pd.testing.assert_series_equal(boot["estimate"], wald["estimate"])
    pd.testing.assert_series_equal(boot["std_error"], wald["std_error"])
    np.testing.assert_allclose(
        boot["estimate"] - boot["ci_low"], boot["ci_high"] - boot["estimate"], rtol=1e-10
    )
    assert (boot["ci_high"] - boot["ci_low"] > wald["ci_high"] - wald["ci_low"]).all()
    assert ((boot["p_value"] > 0) & (boot["p_value"] <= 1)).all()
    # a clear effect keeps a small p-value, p-values are on the 1/(B+1) grid
    assert boot.loc["level_p", "p_value"] < 0.05
    grid = boot["p_value"] * (spec.boot_reps + 1)
    np.testing.assert_allclose(grid, np.round(grid), atol=1e-8)


def test_effect_at_horizon_zero_has_the_level_interval():
    """On the level scale the effect at the regime start is the level coefficient, so the
    bootstrap interval of that contrast must be the coefficient's interval."""
    df, t0 = frame()
    res = fit_its(df, ITSSpec("y", "t", [Interruption("p", t0)]))
    eff = res.effects(horizons=(0,)).iloc[0]
    row = res.params_table().set_index("term").loc["level_p"]
    assert eff["abs_diff"] == pytest.approx(row["estimate"])
    assert eff["abs_ci_low"] == pytest.approx(row["ci_low"])
    assert eff["abs_ci_high"] == pytest.approx(row["ci_high"])


def test_counterfactual_intervals_cover_fitted_and_are_finite():
    df, t0 = frame()
    cf = fit_its(df, ITSSpec("y", "t", [Interruption("p", t0)], disrupted=[40])).counterfactual()
    for col in ("fitted", "counterfactual"):
        assert np.isfinite(cf[[f"{col}_ci_low", f"{col}_ci_high"]].to_numpy()).all()
        assert (cf[f"{col}_ci_low"] <= cf[col] + 1e-9).all()
        assert (cf[col] <= cf[f"{col}_ci_high"] + 1e-9).all()


def test_short_series_caps_ar_order():
    df, t0 = frame(n=14, t0=9)
    res = fit_its(df, ITSSpec("y", "t", [Interruption("p", t0)]))
    assert len(res.bootstrap.ar) == (14 - 4) // 4


@pytest.mark.parametrize(
    "changes,match",
    [
        ({"family": "poisson", "ci_method": "bootstrap"}, "uncontrolled OLS"),
        ({"hac_rule": "ewc", "ci_method": "bootstrap"}, "hac_rule 'ewc'"),
        ({"cov_type": "nonrobust", "ci_method": "bootstrap"}, "cov_type 'nonrobust'"),
        ({"ci_method": "jackknife"}, "ci_method must be one of"),
        ({"boot_reps": 50}, "at least 99"),
        ({"boot_ar_order": -1}, "0 or more"),
    ],
)
def test_bad_bootstrap_settings(changes, match):
    df, t0 = frame()
    df["pop"] = 1000.0
    spec = ITSSpec("y", "t", [Interruption("p", t0)]).replace(**changes)
    if spec.family == "poisson":
        df["y"] = np.round(df["y"]).clip(0)
    with pytest.raises(ValueError, match=match):
        fit_its(df, spec)


def test_auto_is_wald_where_bootstrap_does_not_apply():
    df, t0 = frame()
    df["y"] = np.round(df["y"]).clip(0)
    assert fit_its(df, ITSSpec("y", "t", [Interruption("p", t0)], family="poisson")).ci_method == (
        "wald"
    )
    ewc = ITSSpec("y", "t", [Interruption("p", t0)], hac_rule="ewc")
    assert fit_its(df, ewc).ci_method == "wald"
