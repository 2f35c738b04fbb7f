"""Inference options: AR-errors GLS and its bootstrap, panel estimators and their refusals,
linear combinations, and relative effects consistent with absolute ones."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy.signal import lfilter

from rasso_research.its import Interruption, ITSSpec, fit_its
from rasso_research.its.arerrors import gls, pacf_to_ar, reml, whiten


def series(n=60, phi=0.6, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 30 + 0.2 * t - 3 * (t >= 40) + 0.1 * np.where(t >= 40, t - 40, 0)
    y = y + lfilter([1.0], [1.0, -phi], rng.normal(size=n))
    return pd.DataFrame({"quarter": pd.period_range("2005Q1", periods=n, freq="Q"), "y": y})


SPEC = ITSSpec("y", "quarter", [Interruption("p", "2015Q1")], freq="Q")
SHORT = SPEC.replace(interruptions=[Interruption("p", "2012Q1")])  # for 40-quarter series


def test_gls_equals_ols_on_the_exactly_whitened_data():
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(50), np.arange(50.0), rng.normal(size=50)])
    y = X @ [1.0, 0.1, 2.0] + lfilter([1.0], [1.0, -0.5, 0.2], rng.normal(size=50))
    phi = np.array([0.5, -0.2])
    fit = gls(X, y[:, None], phi[None])
    ref = np.linalg.lstsq(whiten(X, phi), whiten(y[:, None], phi)[:, 0], rcond=None)[0]
    np.testing.assert_allclose(fit.beta[:, 0], ref, rtol=1e-10)
    # the transformed errors of a stationary AR(2) have identity covariance
    from scipy.linalg import toeplitz
    from statsmodels.tsa.arima_process import arma_acovf

    S = toeplitz(arma_acovf(np.r_[1, -phi], [1.0], nobs=8))
    W = whiten(np.eye(8), phi)
    np.testing.assert_allclose(W @ S @ W.T, np.eye(8), atol=1e-10)


def test_reml_matches_a_direct_optimiser():
    """The grid-and-compass-search REML estimate equals scipy's optimum of the same criterion
    (to 0.001 for a series' own fit, 0.005 for the coarser search of bootstrap series)."""
    from scipy.optimize import minimize_scalar

    rng = np.random.default_rng(2)
    n = 40
    X = np.column_stack([np.ones(n), np.arange(n), np.arange(n) >= 25]).astype(float)
    y = X @ [5.0, 0.3, -2.0] + lfilter([1.0], [1.0, -0.7], rng.normal(size=n))
    from rasso_research.its.arerrors import FINE_POINTS

    phi, _ = reml(X, y[:, None], 1, points=FINE_POINTS[1])  # the data's own fit
    coarse, _ = reml(X, y[:, None], 1)  # the bootstrap series' search

    def crit(r):
        f = gls(X, y[:, None], np.array([[r]]))
        XtX = np.linalg.inv(f.cov[0]) * f.ssr[0] / (n - 3 - 1)
        return (n - 3) * np.log(f.ssr[0]) + f.logdet[0] + np.linalg.slogdet(XtX)[1]

    best = minimize_scalar(crit, bounds=(-0.95, 0.99), method="bounded", options={"xatol": 1e-8})
    assert phi[0, 0] == pytest.approx(best.x, abs=1e-3)
    assert coarse[0, 0] == pytest.approx(best.x, abs=5e-3)


def test_pacf_to_ar_is_durbin_levinson():
    np.testing.assert_allclose(pacf_to_ar(np.array([0.5])), [0.5])
    # AR(2) with phi = (0.4, 0.3): pacf r1 = 0.4 / 0.7, r2 = 0.3
    np.testing.assert_allclose(pacf_to_ar(np.array([0.4 / 0.7, 0.3])), [0.4, 0.3], atol=1e-12)


def test_default_bootstrap_is_seeded_and_its_p_values_on_the_grid():
    df = series()
    a = fit_its(df, SPEC).params_table()
    b = fit_its(df, SPEC).params_table()
    pd.testing.assert_frame_equal(a, b)
    other = fit_its(df, SPEC.replace(boot_seed=7)).params_table()
    assert not np.allclose(a["ci_low"], other["ci_low"])
    grid = a["p_value"] * (SPEC.boot_reps + 1)
    np.testing.assert_allclose(grid, np.round(grid), atol=1e-9)
    wald = fit_its(df, SPEC.replace(ci_method="wald")).params_table()
    np.testing.assert_allclose(a["estimate"], wald["estimate"])  # same fit, other intervals
    assert (a["ci_high"] - a["ci_low"] > 0).all()


def test_bootstrap_only_with_ar_errors():
    with pytest.raises(ValueError, match="needs cov_type='AR'"):
        fit_its(series(), SPEC.replace(cov_type="HAC", ci_method="bootstrap"))
    with pytest.raises(ValueError, match="at least 99"):
        fit_its(series(), SPEC.replace(boot_reps=50))


def test_lincom_matches_statsmodels_t_test():
    df = series()
    res = fit_its(df, SPEC.replace(cov_type="HAC"))
    lc = res.lincom("trend + slope_p").iloc[0]
    tt = res.results.t_test("trend + slope_p = 0")
    assert lc["estimate"] == pytest.approx(float(np.squeeze(tt.effect)))
    assert lc["std_error"] == pytest.approx(float(np.squeeze(tt.sd)))
    assert lc["p_value"] == pytest.approx(float(np.squeeze(tt.pvalue)))
    lo, hi = np.squeeze(tt.conf_int())
    assert (lc["ci_low"], lc["ci_high"]) == pytest.approx((lo, hi))
    boot = fit_its(df, SPEC).lincom("trend + slope_p").iloc[0]
    assert 0 < boot["p_value"] <= 1 and boot["ci_low"] < boot["estimate"] < boot["ci_high"]
    with pytest.raises(ValueError, match="cannot read 'trend \\+ nothing'"):
        res.lincom("trend + nothing")


@pytest.mark.parametrize("family", ["ols", "ols_log"])
def test_relative_effects_are_bounded_and_agree_with_absolute(family):
    """Relative CIs never go below -100%, and the relative and absolute intervals exclude
    zero together, for every horizon of a noisy series whose counterfactual is uncertain."""
    rows = []
    for seed in range(6):
        df = series(n=40, phi=0.8, seed=seed)
        df["y"] = df["y"] - 25  # small positive levels: uncertain ratios
        df["y"] = df["y"].clip(lower=0.5)
        res = fit_its(df, SHORT.replace(family=family, ci_method="wald"))
        rows.append(res.effects(horizons=(0, 4, 8)))
    eff = pd.concat(rows)
    assert (eff["rel_ci_low"] >= -1.0).all()
    abs_sig = (eff["abs_ci_low"] > 0) | (eff["abs_ci_high"] < 0)
    rel_sig = (eff["rel_ci_low"] > 0) | (eff["rel_ci_high"] < 0)
    assert (abs_sig == rel_sig).all()


# ---- controlled ITS ----------------------------------------------------------------------------
def panel(n_controls=3, n=24, seed=3):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    frames = []
    for u in ["T", *[f"C{i}" for i in range(n_controls)]]:
        y = rng.normal(20, 3) + 0.2 * t - (4 if u == "T" else 1) * (t >= 16) + rng.normal(0, 1, n)
        frames.append(pd.DataFrame({"unit": u, "t": t, "y": y}))
    return pd.concat(frames, ignore_index=True)


CITS = ITSSpec("y", "t", [Interruption("p", 16)], group="unit", treated="T")


def test_panel_refusals_name_the_problem():
    with pytest.raises(ValueError, match="cross unit boundaries"):
        fit_its(panel(), CITS.replace(cov_type="HAC"))
    with pytest.raises(ValueError, match="at least 10 clusters; the panel has 4 units"):
        fit_its(panel(), CITS.replace(cov_type="cluster"))
    short = CITS.replace(
        cov_type="driscoll-kraay", interruptions=[Interruption("p", 3)], min_pre=1, min_post=1
    )
    with pytest.raises(ValueError, match="4 degrees of freedom, fewer than 5"):
        fit_its(panel(n=5), short)  # T - 1 = 4
    with pytest.raises(ValueError, match="fewer than 5"):
        fit_its(series(n=40), SHORT.replace(cov_type="HAC", hac_rule="ewc"))  # nu = 4


def test_controls_intercept_and_unit_effects():
    """With unit effects (deviation coding) the intercept is the mean of the controls' own
    intercepts; without (itsa) it is the pooled controls' intercept."""
    df = panel()
    fe = fit_its(df, CITS.replace(cov_type="driscoll-kraay")).params_table().set_index("term")
    ctrl = df[df.unit != "T"].assign(post=lambda d: (d.t >= 16).astype(float))
    ref = smf.ols("y ~ 0 + C(unit) + t + post + post:I(t - 16)", ctrl).fit()
    own = ref.params[[f"C(unit)[{u}]" for u in ["C0", "C1", "C2"]]]
    assert fe.loc["Intercept", "estimate"] == pytest.approx(own.mean())
    pooled = fit_its(df, CITS).params_table().set_index("term")
    ref2 = smf.ols("y ~ t + post + post:I(t - 16)", ctrl).fit()
    assert pooled.loc["Intercept", "estimate"] == pytest.approx(ref2.params["Intercept"])


def test_itsa_errors_are_newey_west_within_units():
    df = panel()
    res = fit_its(df, CITS)
    X, u = np.asarray(res.results.model.exog), np.asarray(res.results.resid)
    n, k = X.shape
    bread = np.linalg.inv(X.T @ X)
    S = np.zeros((k, k))
    for g in pd.unique(res.design.fit_frame()["unit"]):
        idx = (res.design.fit_frame()["unit"] == g).to_numpy()
        Z = X[idx] * u[idx, None]
        S += Z.T @ Z + 0.5 * (Z[1:].T @ Z[:-1] + Z[:-1].T @ Z[1:])
    V = bread @ S @ bread * n / (n - k)
    np.testing.assert_allclose(res.params_table()["std_error"], np.sqrt(np.diag(V)), rtol=1e-10)
    assert res.results.df_resid_inference == n - k


def test_reml_search_finds_the_global_optimum_of_persistent_series():
    """On persistent AR(2) series (where a coarse search used to stop in a local optimum) a
    series' own REML fit reaches the optimum of a brute-force 195 x 195 grid."""
    from rasso_research.its.arerrors import FINE_POINTS, R_MAX, R_MIN, _Moments

    rng = np.random.default_rng(3)
    n = 40
    t = np.arange(n)
    X = np.column_stack([np.ones(n), t, t >= 24, np.where(t >= 24, t - 24, 0)]).astype(float)
    Y = lfilter([1.0], [1.0, -0.9], rng.normal(size=(n + 100, 12)), axis=0)[100:]
    m = _Moments(X, Y, 2)
    ax = np.linspace(R_MIN, R_MAX, 195)
    grid = np.stack(np.meshgrid(ax, ax, indexing="ij"), -1).reshape(-1, 2)
    brute = np.min([m.criterion(g).min(axis=0) for g in np.array_split(grid, 10)], axis=0)
    _, found = reml(X, Y, 2, points=FINE_POINTS[2])
    assert (found <= brute + 0.07).all(), found - brute


def test_reml_criterion_paths_agree_with_the_gls_likelihood():
    """The REML criterion at candidates shared by every column (the grid) equals the one at
    per-column candidates (the augmented Cholesky factor of the searches), and both equal the
    criterion rebuilt from a direct GLS fit; a column the design fits exactly (no Cholesky
    factor of [X y]'[X y]) does not stop the others."""
    from rasso_research.its.arerrors import _Moments

    rng = np.random.default_rng(5)
    n, B = 30, 6
    t = np.arange(n)
    X = np.column_stack([np.ones(n), t, t >= 18, np.where(t >= 18, t - 18, 0)]).astype(float)
    Y = lfilter([1.0], [1.0, -0.6], rng.normal(size=(n, B)), axis=0)
    r = np.array([[0.2, -0.1], [0.7, 0.3], [-0.5, 0.4], [0.9, -0.6]])
    m = _Moments(X, Y, 2)
    shared = m.criterion(r)
    per = m.criterion(np.repeat(r[:, None, :], B, axis=1))
    np.testing.assert_allclose(shared, per, rtol=1e-10)
    k = X.shape[1]
    for g, rg in enumerate(r):
        f = gls(X, Y, np.repeat(pacf_to_ar(rg)[None], B, axis=0))
        XtX = np.linalg.inv(f.cov[0]) * f.ssr[0] / (n - k - 2)
        ref = (n - k) * np.log(f.ssr) + f.logdet + np.linalg.slogdet(XtX)[1]
        np.testing.assert_allclose(shared[g], ref, rtol=1e-9)
    Y2 = Y.copy()
    Y2[:, 0] = X @ [1.0, 0.5, -2.0, 0.1]  # fitted exactly
    m2 = _Moments(X, Y2, 2)
    out = m2.criterion(np.repeat(r[:, None, :], B, axis=1))
    np.testing.assert_allclose(out[:, 1:], per[:, 1:], rtol=1e-9)
    assert (out[:, 0] < per[:, 1:].min()).all()


def test_reml_grid_with_more_columns_than_a_chunk_holds():
    """More bootstrap columns than one chunk of the grid holds (16,384 criteria): every grid
    point still evaluated once, no empty chunk."""
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(30), np.arange(30.0)])
    phi, crit = reml(X, rng.standard_normal((30, 16_400)), 1)
    assert phi.shape == (16_400, 1) and np.isfinite(crit).all()


def test_max_root_of_higher_orders_is_the_companion_eigenvalue():
    """For p >= 3 (no closed form) the largest root modulus equals numpy's polynomial roots."""
    from rasso_research.its.arerrors import max_root

    phi = np.random.default_rng(1).normal(scale=0.4, size=(2, 5, 3))
    ref = [np.abs(np.roots(np.r_[1.0, -f])).max() for f in phi.reshape(-1, 3)]
    np.testing.assert_allclose(max_root(phi).ravel(), ref, rtol=1e-10)
