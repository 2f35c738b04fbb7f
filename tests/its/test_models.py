"""Model families, effects, controlled ITS and robustness checks on simulated data."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from rasso_research.its import (
    Interruption,
    ITSSpec,
    acf_pacf_table,
    alternative_dates,
    compare_specs,
    fit_its,
    leave_out_disrupted,
    placebo_in_space,
    placebo_in_time,
)

T0 = 41  # 2020Q1 when the series starts in 2010Q1


def ar1(n, rho, sigma, rng):
    e = np.zeros(n)
    e[0] = rng.normal(0, sigma / np.sqrt(1 - rho**2))
    for i in range(1, n):
        e[i] = rho * e[i - 1] + rng.normal(0, sigma)
    return e


def sim_gaussian(n=60, level=-8.0, slope=0.6, rho=0.3, sigma=1.0, seed=1, t0=T0):
    rng = np.random.default_rng(seed)
    t = np.arange(1, n + 1)
    post = t >= t0
    y = 50 + 0.4 * t + level * post + slope * (t - t0) * post + ar1(n, rho, sigma, rng)
    q = pd.period_range("2010Q1", periods=n, freq="Q").astype(str)
    return pd.DataFrame({"quarter": q, "t": t, "y": y})


def sim_counts(n=60, level=-0.2, slope=0.01, seed=1, t0=T0, overdispersion=None):
    rng = np.random.default_rng(seed)
    t = np.arange(1, n + 1)
    post = t >= t0
    pop = 1e6 * (1 + 0.002 * t)
    mu = pop * np.exp(-8 + 0.005 * t + level * post + slope * (t - t0) * post)
    if overdispersion is None:
        y = rng.poisson(mu)
    else:  # negative binomial with var = mu + a mu^2
        a = overdispersion
        y = rng.poisson(rng.gamma(1 / a, a * mu))
    q = pd.period_range("2010Q1", periods=n, freq="Q").astype(str)
    return pd.DataFrame({"quarter": q, "y": y, "pop": pop})


OLS = ITSSpec("y", "quarter", [Interruption("policy", "2020Q1")], family="ols")
COUNT = ITSSpec("y", "quarter", [Interruption("policy", "2020Q1")], family="poisson", offset="pop")


def est(res, term):
    return res.params_table().set_index("term").loc[term]


def test_ols_recovers_level_and_slope():
    res = fit_its(sim_gaussian(sigma=0.5), OLS)
    assert est(res, "level_policy")["estimate"] == pytest.approx(-8, abs=1.0)
    assert est(res, "slope_policy")["estimate"] == pytest.approx(0.6, abs=0.15)
    assert res.cov_type == "AR" and res.ar_order == 2 and res.ci_method == "bootstrap"
    assert fit_its(sim_gaussian(sigma=0.5), OLS.replace(cov_type="HAC")).hac_lags == 3
    assert "rate_ratio" not in res.params_table()


def test_centred_level_is_jump_at_interruption():
    df = sim_gaussian(seed=3)
    res = fit_its(df, OLS.replace(cov_type="HAC"))  # OLS, to compare with smf.ols below
    level = est(res, "level_policy")["estimate"]
    cf = res.counterfactual().set_index("t")
    t0 = res.design.interruptions[0].t0  # 0-based: T0 - 1
    assert t0 == T0 - 1
    assert level == pytest.approx(cf.loc[t0, "fitted"] - cf.loc[t0, "counterfactual"], rel=1e-9)
    # the uncentred parameterisation (slope term t * post) gives a different level coefficient
    d = df.assign(post=(df.t >= T0).astype(float))
    unc = smf.ols("y ~ t + post + t:post", d).fit()
    assert abs(unc.params["post"] - level) > 1.0
    assert unc.params["post"] + unc.params["t:post"] * T0 == pytest.approx(level, rel=1e-8)


@pytest.mark.parametrize("family", ["poisson", "quasipoisson", "negbin"])
def test_count_families_recover_rate_ratio(family):
    df = sim_counts(n=80, seed=4, overdispersion=0.002 if family != "poisson" else None)
    res = fit_its(df, COUNT.replace(family=family, cov_type="nonrobust"))
    row = est(res, "level_policy")
    assert row["rr_ci_low"] < np.exp(-0.2) < row["rr_ci_high"]
    assert row["rate_ratio"] == pytest.approx(np.exp(-0.2), abs=0.05)
    diag = res.diagnostics().set_index("statistic")
    assert "dispersion" in diag.index
    assert ("aic" in diag.index) == (family != "quasipoisson")


def test_negbin_reports_alpha_and_dispersion():
    res = fit_its(
        sim_counts(n=80, seed=5, overdispersion=0.01),
        COUNT.replace(family="negbin", cov_type="nonrobust"),
    )
    assert res.results.params["alpha"] > 0
    assert "alpha" not in set(res.params_table()["term"])
    assert 0.5 < res.dispersion < 2.0


def test_ols_log_rate_ratio():
    df = sim_counts(n=80, seed=6)
    res = fit_its(df, COUNT.replace(family="ols_log", rate_per=1e5))
    assert est(res, "level_policy")["rate_ratio"] == pytest.approx(np.exp(-0.2), abs=0.05)


def test_arima_recovers_level_change():
    df = sim_gaussian(n=80, rho=0.6, sigma=1.0, seed=7)
    res = fit_its(df, OLS.replace(family="arima", arma_order=(1, 0, 0)))
    row = est(res, "level_policy")
    assert row["ci_low"] < -8 < row["ci_high"]
    assert res.results.arparams[0] == pytest.approx(0.6, abs=0.25)
    cf = res.counterfactual()
    assert {"fitted_pi_low", "counterfactual_pi_high"} <= set(cf.columns)
    assert set(res.diagnostics()["statistic"]) >= {"durbin_watson", "ljung_box", "aic"}


def test_arima_phase_in_rows_are_missing():
    df = sim_gaussian(n=80, seed=8)
    spec = OLS.replace(family="arima", interruptions=[Interruption("policy", "2020Q1", 2)])
    res = fit_its(df, spec)
    assert res.results.nobs == 80  # state space keeps the rows, with missing endog
    assert np.isnan(res.results.model.endog[T0 - 1 : T0 + 1]).all()


def test_effects_sign_magnitude_and_methods():
    df = sim_gaussian(sigma=0.5, seed=9)
    res = fit_its(df, OLS)
    eff = res.effects(horizons=[0, 4, 8]).set_index("horizon")
    truth = {h: -8 + 0.6 * h for h in (0, 4, 8)}
    for h, v in truth.items():
        assert eff.loc[h, "abs_diff"] == pytest.approx(v, abs=1.0)
        assert eff.loc[h, "abs_ci_low"] < eff.loc[h, "abs_diff"] < eff.loc[h, "abs_ci_high"]
        assert eff.loc[h, "rel_diff"] < 0
    assert eff.loc[0, "period"] == "2020Q1" and eff.loc[8, "period"] == "2022Q1"
    assert eff.loc[0, "abs_diff"] == pytest.approx(est(res, "level_policy")["estimate"])
    sim = res.effects(horizons=[0, 4], method="simulation", n_sim=4000).set_index("horizon")
    sim2 = res.effects(horizons=[0, 4], method="simulation", n_sim=4000).set_index("horizon")
    pd.testing.assert_frame_equal(sim, sim2)  # seeded
    for h in (0, 4):
        assert sim.loc[h, "abs_ci_low"] == pytest.approx(eff.loc[h, "abs_ci_low"], abs=0.3)
    assert len(res.effects(horizons=[0, 100])) == 1  # beyond the data: skipped


def test_count_effects_relative_difference():
    res = fit_its(sim_counts(n=80, seed=10), COUNT.replace(rate_per=1e5))
    eff = res.effects(horizons=[0, 10]).set_index("horizon")
    assert eff.loc[0, "rel_diff"] == pytest.approx(np.exp(-0.2) - 1, abs=0.05)
    assert eff.loc[10, "rel_diff"] == pytest.approx(np.exp(-0.2 + 0.1) - 1, abs=0.06)
    assert eff.loc[0, "fitted"] == pytest.approx(np.exp(-8 + 0.005 * T0 - 0.2) * 1e5, rel=0.05)


def test_two_interruptions_and_named_counterfactual():
    rng = np.random.default_rng(11)
    n = 60
    t = np.arange(1, n + 1)
    y = 20 + 0.2 * t - 5 * (t >= 21) + 4 * (t >= 41) + rng.normal(0, 0.3, n)
    df = pd.DataFrame({"t": t, "y": y})
    spec = ITSSpec("y", "t", [Interruption("a", 21), Interruption("b", 41)])
    res = fit_its(df, spec)
    assert est(res, "level_a")["estimate"] == pytest.approx(-5, abs=0.6)
    assert est(res, "level_b")["estimate"] == pytest.approx(4, abs=0.6)
    cf_b = res.counterfactual("b").set_index("t")
    assert cf_b.loc[30, "counterfactual"] == pytest.approx(cf_b.loc[30, "fitted"])
    with pytest.raises(ValueError, match="No interruption 'c'"):
        res.counterfactual("c")


def test_disrupted_indicators_absorb_shock():
    df = sim_gaussian(n=60, sigma=0.3, seed=12)
    df.loc[df["quarter"].isin(["2020Q2", "2020Q3"]), "y"] -= 30
    res = fit_its(df, OLS.replace(disrupted=["2020Q2", "2020Q3"]))
    assert est(res, "level_policy")["estimate"] == pytest.approx(-8, abs=1.0)
    assert est(res, "disrupted_2020Q2")["estimate"] == pytest.approx(-30, abs=2)
    lod = leave_out_disrupted(df, OLS.replace(disrupted=["2020Q2", "2020Q3"]))
    assert set(lod["spec"]) == {"with_indicators", "excluded_periods", "ignored"}
    lev = lod[lod.term == "level_policy"].set_index("spec")["estimate"]
    assert lev["with_indicators"] == pytest.approx(lev["excluded_periods"])
    assert abs(lev["ignored"] - (-8)) > abs(lev["with_indicators"] - (-8))


def make_panel(n_controls=5, diff_level=-6.0, seed=13, n=48):
    rng = np.random.default_rng(seed)
    t = np.arange(1, n + 1)
    q = pd.period_range("2012Q1", periods=n, freq="Q").astype(str)
    common = -3 * (t >= 33)  # a shock shared by all units
    rows = []
    for u in ["T", *[f"C{i}" for i in range(n_controls)]]:
        base = rng.normal(40, 5) + rng.normal(0.3, 0.05) * t + common
        eff = diff_level * (t >= 33) if u == "T" else 0
        rows.append(
            pd.DataFrame({"unit": u, "quarter": q, "y": base + eff + rng.normal(0, 0.7, n)})
        )
    return pd.concat(rows, ignore_index=True)


CITS = ITSSpec("y", "quarter", [Interruption("policy", "2020Q1")], group="unit", treated="T")


def test_controlled_its_recovers_differential_level():
    panel = make_panel()
    res = fit_its(panel, CITS)
    row = est(res, "treated_level_policy")
    assert row["estimate"] == pytest.approx(-6, abs=1.0)
    assert row["ci_low"] < -6 < row["ci_high"]
    assert est(res, "level_policy")["estimate"] == pytest.approx(-3, abs=1.0)
    assert res.cov_type == "itsa" and res.hac_lags == 1
    res_cl = fit_its(panel, CITS.replace(cov_type="driscoll-kraay"))
    assert est(res_cl, "treated_level_policy")["estimate"] == pytest.approx(row["estimate"])
    cf = res.counterfactual()
    treated_post = cf[(cf.unit == "T") & (cf.t >= 32)]
    assert (treated_post["fitted"] < treated_post["counterfactual"]).all()
    eff = res.effects(horizons=[0]).iloc[0]
    assert eff["abs_diff"] == pytest.approx(row["estimate"])


def test_controlled_count_model():
    rng = np.random.default_rng(14)
    frames = []
    for u, lev in [("T", -0.3), ("C1", 0.0), ("C2", 0.0)]:
        d = sim_counts(n=48, level=0.0, slope=0.0, seed=int(rng.integers(1e6)))
        t = np.arange(1, 49)
        d["y"] = rng.poisson(d["pop"] * np.exp(-8 + 0.005 * t + lev * (t >= 41)))
        frames.append(d.assign(unit=u))
    panel = pd.concat(frames, ignore_index=True)
    res = fit_its(panel, CITS.replace(family="quasipoisson", offset="pop"))
    assert est(res, "treated_level_policy")["rate_ratio"] == pytest.approx(np.exp(-0.3), abs=0.05)


def test_placebo_in_space_p_value_range():
    panel = make_panel(n_controls=6, diff_level=-6.0)
    pl = placebo_in_space(panel, CITS)
    assert len(pl.table) == 6
    assert pl.p_value == pytest.approx(1 / 7)  # the real effect is the most extreme
    null = placebo_in_space(make_panel(n_controls=6, diff_level=0.0, seed=2), CITS)
    assert 1 / 7 <= null.p_value <= 1
    with pytest.raises(ValueError, match="at least 2 controls"):
        placebo_in_space(make_panel(n_controls=1), CITS)


def test_placebo_in_time():
    df = sim_gaussian(sigma=0.5, seed=15)
    pl = placebo_in_time(df, OLS)
    # fake dates t0 = 3..37: 3 fitted points before and 3 after within the pre-period 0..39
    assert list(pl.table["t"]) == list(range(3, 38))
    assert pl.p_value == pytest.approx(1 / (1 + len(pl.table)))
    assert pl.observed == pytest.approx(est(fit_its(df, OLS), "level_policy")["estimate"])


def test_alternative_dates_and_compare_specs():
    df = sim_gaussian(sigma=0.5, seed=16)
    alt = alternative_dates(df, OLS, shifts=[-2, 2])
    lev = alt[alt.term == "level_policy"].set_index("shift")
    assert list(lev.index) == [-2, 0, 2]
    assert lev.loc[-2, "at"] == "2019Q3"
    assert abs(lev.loc[0, "estimate"] + 8) < abs(lev.loc[-2, "estimate"] + 8)
    cmp = compare_specs(df, {"ols": OLS, "arima": OLS.replace(family="arima")})
    assert set(cmp["spec"]) == {"ols", "arima"}
    assert {"estimate", "ci_low", "ci_high", "p_value", "aic", "n"} <= set(cmp.columns)


def test_diagnostics_detect_autocorrelation():
    """OLS residuals of an AR(1) 0.8 series fail the serial-correlation tests; the innovations
    of the default AR-errors fit to the same series pass them."""
    spec = OLS.replace(interruptions=[Interruption("p", 60)], cov_type="HAC")
    white = fit_its(sim_gaussian(rho=0.0, seed=17, n=100, t0=61), spec)
    red_series = sim_gaussian(rho=0.8, seed=17, n=100, t0=61)
    red = fit_its(red_series, spec)
    ar = fit_its(red_series, spec.replace(cov_type=None)).diagnostics().set_index("statistic")
    assert 1.5 < ar.loc["durbin_watson", "value"] < 2.5
    assert ar.loc["ljung_box", "p_value"] > 0.05
    dw = {k: r.diagnostics().set_index("statistic") for k, r in (("w", white), ("r", red))}
    assert dw["r"].loc["durbin_watson", "value"] < 1.0 < dw["w"].loc["durbin_watson", "value"]
    assert dw["r"].loc["breusch_godfrey", "p_value"] < 0.01
    assert dw["r"].loc["ljung_box", "p_value"] < 0.01
    tab = acf_pacf_table(red, nlags=8)
    assert list(tab.columns) == ["lag", "acf", "pacf", "bound", "ljung_box_p"]
    assert tab.loc[0, "acf"] > 0.4


def test_hac_lags_and_small_sample_options():
    df = sim_gaussian(seed=18)
    a = fit_its(df, OLS.replace(hac_lags=6, cov_type="HAC"))
    b = fit_its(df, OLS.replace(hac_lags=6, small_sample=False, cov_type="HAC"))
    assert a.hac_lags == 6
    assert a.params_table()["std_error"].iloc[2] > b.params_table()["std_error"].iloc[2]


def test_ewc_hac_rule_matches_manual_computation():
    """hac_rule="ewc": (X'X)^-1 Omega (X'X)^-1 * n/(n-k) with Omega from nu = floor(0.4 n^(2/3))
    Type-II cosines, and t(nu) confidence intervals, p-values and effect intervals."""
    from scipy import stats

    from rasso_research.estimators.covariance import ewc_dof

    df = sim_gaussian(seed=18)
    res = fit_its(df, OLS.replace(hac_rule="ewc", cov_type="HAC"))
    ols = smf.ols(res.design.formula, data=res.design.fit_frame()).fit()
    X, u = np.asarray(ols.model.exog), np.asarray(ols.resid)
    n, k = X.shape
    nu = ewc_dof(n)
    tt = np.arange(1, n + 1) - 0.5
    lam = np.array(
        [np.sqrt(2 / n) * np.cos(np.pi * j * tt / n) @ (X * u[:, None]) for j in range(1, nu + 1)]
    )
    bread = np.linalg.inv(X.T @ X)
    V = bread @ (n * lam.T @ lam / nu) @ bread * n / (n - k)
    tab = res.params_table()
    assert res.cov_type == "EWC" and nu == int(np.floor(0.4 * n ** (2 / 3)))
    np.testing.assert_allclose(tab["std_error"], np.sqrt(np.diag(V)), rtol=1e-10)
    q = stats.t.ppf(0.975, nu)
    np.testing.assert_allclose(tab["ci_high"], tab["estimate"] + q * tab["std_error"], rtol=1e-10)
    p = 2 * stats.t.sf(np.abs(tab["estimate"] / tab["std_error"]), nu)
    np.testing.assert_allclose(tab["p_value"], p, rtol=1e-8)
    assert res._crit() == pytest.approx(q)
    np.testing.assert_allclose(ols.params, tab["estimate"])  # point estimates unchanged
    plain = fit_its(df, OLS.replace(hac_rule="ewc", small_sample=False, cov_type="HAC"))
    plain = plain.params_table()
    np.testing.assert_allclose(plain["std_error"] ** 2 * n / (n - k), tab["std_error"] ** 2)


def test_hac_rule_validation():
    df = sim_gaussian(seed=18)
    with pytest.raises(ValueError, match="hac_rule must be one of"):
        fit_its(df, OLS.replace(hac_rule="andrews"))
    with pytest.raises(ValueError, match="nw1994"):
        fit_its(df, OLS.replace(hac_rule="ewc", hac_lags=4, cov_type="HAC"))
    with pytest.raises(ValueError, match="HAC errors only"):
        fit_its(df, OLS.replace(hac_rule="ewc"))  # the default AR errors have no HAC rule
    with pytest.raises(ValueError, match="OLS/OLS-log"):
        fit_its(sim_counts(seed=19), COUNT.replace(hac_rule="ewc", cov_type="HAC"))


def test_count_model_with_hac_errors():
    df = sim_counts(seed=19)
    plain = fit_its(df, COUNT.replace(cov_type="nonrobust"))
    hac = fit_its(df, COUNT.replace(cov_type="HAC"))
    assert hac.cov_type == "HAC" and plain.cov_type == "nonrobust"
    a, b = est(plain, "level_policy"), est(hac, "level_policy")
    assert a["estimate"] == pytest.approx(b["estimate"])
    assert a["std_error"] != pytest.approx(b["std_error"])


@pytest.mark.parametrize("family", ["poisson", "quasipoisson", "negbin"])
def test_count_families_default_to_ar_errors(family):
    """Count models default to AR errors on the linear-predictor scale (iteratively
    reweighted GLS): point estimates close to the GLM's, the AR order and the bootstrap
    recorded, a finite dispersion and prediction intervals."""
    df = sim_counts(n=80, seed=6, overdispersion=0.002 if family == "negbin" else None)
    res = fit_its(df, COUNT.replace(family=family))
    glm = fit_its(df, COUNT.replace(family=family, cov_type="nonrobust"))
    assert res.cov_type == "AR" and res.ar_order == 2 and res.ci_method == "bootstrap"
    a, b = est(res, "level_policy"), est(glm, "level_policy")
    assert a["estimate"] == pytest.approx(b["estimate"], abs=2 * b["std_error"])
    assert np.isfinite(res.dispersion) and res.dispersion > 0
    cf = res.counterfactual()
    assert (cf["fitted_pi_low"] <= cf["fitted"]).all() and (
        cf["fitted"] <= cf["fitted_pi_high"]
    ).all()
    assert np.isnan(res.information("aic"))  # quasi-likelihood


def test_monthly_timestamp_axis_with_seasonality():
    rng = np.random.default_rng(20)
    dates = pd.date_range("2015-01-01", periods=48, freq="MS")
    season = 3 * np.sin(2 * np.pi * dates.month / 12)
    y = 10 + 0.1 * np.arange(48) + season - 4 * (dates >= "2017-01-01") + rng.normal(0, 0.3, 48)
    df = pd.DataFrame({"date": dates, "y": y})
    spec = ITSSpec(
        "y", "date", [Interruption("p", pd.Timestamp("2017-01-20"))], season=("fourier", 1, 12)
    )
    res = fit_its(df, spec)
    assert res.design.interruptions[0].label == "2017-01"
    assert est(res, "level_p")["estimate"] == pytest.approx(-4, abs=0.6)
    assert est(res, "sin1")["estimate"] == pytest.approx(3, abs=0.4)


def test_placebo_in_time_second_interruption():
    rng = np.random.default_rng(21)
    t = np.arange(1, 61)
    y = 20 + 0.2 * t - 5 * (t >= 21) + 4 * (t >= 41) + rng.normal(0, 0.3, 60)
    spec = ITSSpec("y", "t", [Interruption("b", 41), Interruption("a", 21)])
    pl = placebo_in_time(pd.DataFrame({"t": t, "y": y}), spec, interruption=1)
    assert list(pl.table["t"]) == list(range(23, 38))  # within the segment 20..39 (t from 0)
    assert pl.observed == pytest.approx(4, abs=0.6)
    alt = alternative_dates(pd.DataFrame({"t": t, "y": y}), spec, shifts=[-1], interruption=1)
    assert set(alt.loc[alt.term == "level_b", "at"]) == {"40", "41"}


def test_count_prediction_intervals_contain_most_points():
    res = fit_its(
        sim_counts(n=80, seed=22, overdispersion=0.005),
        COUNT.replace(family="quasipoisson", rate_per=1e5),
    )
    cf = res.counterfactual()
    assert (cf["fitted_pi_low"] <= cf["fitted_ci_low"]).all()
    inside = (cf["observed"] >= cf["fitted_pi_low"]) & (cf["observed"] <= cf["fitted_pi_high"])
    assert 0.85 <= inside.mean() <= 1.0
