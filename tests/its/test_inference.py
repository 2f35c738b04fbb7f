"""Inference options: AR-errors GLS and its bootstrap, panel estimators and their refusals,
linear combinations, and relative effects consistent with absolute ones."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy.signal import lfilter

from rasso_research.its import Interruption, ITSSpec, fit_its


def series(n=60, phi=0.6, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 30 + 0.2 * t - 3 * (t >= 40) + 0.1 * np.where(t >= 40, t - 40, 0)
    y = y + lfilter([1.0], [1.0, -phi], rng.normal(size=n))
    return pd.DataFrame({"quarter": pd.period_range("2005Q1", periods=n, freq="Q"), "y": y})


SPEC = ITSSpec("y", "quarter", [Interruption("p", "2015Q1")], freq="Q")
SHORT = SPEC.replace(interruptions=[Interruption("p", "2012Q1")])  # for 40-quarter series


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


@pytest.mark.parametrize("cov_type", ["AR", "HAC"])
def test_effect_p_values_and_mde_are_those_of_the_contrast(cov_type):
    """At the date the effect is the level change alone (slope term 0): its p-value and MDE
    are the level term's; later horizons are the level-plus-slope contrast (lincom)."""
    res = fit_its(series(), SPEC.replace(family="ols_log", cov_type=cov_type))
    eff = res.effects(horizons=(0, 4)).set_index("horizon")
    level = res.params_table().set_index("term").loc["level_p"]
    assert eff.loc[0, "p_value"] == pytest.approx(level["p_value"])
    assert res.effect_mde("p", 0) == pytest.approx(res.mde("level_p"))
    at4 = res.lincom("level_p + 4 * slope_p").iloc[0]
    assert eff.loc[4, "p_value"] == pytest.approx(at4["p_value"])
    assert np.isnan(res.effect_mde("p", 400))
