"""The persistence sensitivities (rasso_research.designs.structural) on simulated series with
known effects, each model checked against an independent computation, and their view."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from rasso_research import designs as D
from rasso_research.designs.structural import KINDS, fit_structural
from rasso_research.its import build_design
from rasso_research.views import structural as V
from rasso_research.views.style import layout_problems

Q = pd.period_range("2012Q1", periods=48, freq="Q")
POST = Q >= pd.Period("2020Q3", "Q")
RAMP = np.where(POST, np.arange(48) - np.argmax(POST), 0)
SEASON = np.array([0.0, 0.05, -0.03, -0.02])[Q.quarter - 1]
SPEC = D.at(D.QUARTERLY.replace(season="quarter"), "2020Q3")


def random_walk_series(seed: int = 1, phi: float = 0.0, offset: bool = False) -> pd.DataFrame:
    """A log rate with a 1% a quarter drift, quarter-of-year effects, a level change of 0.2 and
    a slope change of 0.03 a quarter at 2020Q3, and ARIMA(1, 1, 0) errors (AR ``phi``,
    innovation sd 0.04); ``offset``: as counts over a growing denominator, per 100."""
    rng = np.random.default_rng(seed)
    e = np.zeros(48)
    for i in range(1, 48):
        e[i] = phi * e[i - 1] + rng.normal(0, 0.04)
    log_rate = np.log(20) + 0.01 * np.arange(48) + SEASON + 0.2 * POST + 0.03 * RAMP
    log_rate += np.cumsum(e)
    if not offset:
        return pd.DataFrame({"quarter": Q, "value": np.exp(log_rate)})
    den = 1000 * (1 + 0.02 * np.arange(48))
    return pd.DataFrame({"quarter": Q, "value": np.exp(log_rate) * den / 100, "offset": den})


def test_differenced_model_is_ols_on_first_differences_without_ar_terms():
    """With ARIMA(0, 1, 0) errors the ML fit is OLS of the differenced log rate on the
    differenced design (no intercept; the trend's difference is the drift): the same
    estimates, and the standard errors with ML's variance (over n - 1, not n - 1 - k)."""
    s = random_walk_series(offset=True)
    spec = SPEC.replace(rate_per=100)
    res = fit_structural(s, spec, kind="differenced", ar=0)
    got = res.table().set_index("term")
    design = build_design(s, spec.replace(offset="offset", family="ols_log"))
    fr = design.frame
    # the model's outcome is the log rate per 100 of the offset, built here by hand
    y = np.log(s["value"] / s["offset"] * 100).to_numpy()
    dX = np.diff(fr[design.terms].to_numpy(float), axis=0)
    ols = sm.OLS(np.diff(y), dX).fit()
    n, k = dX.shape
    for j, term in enumerate(design.terms):
        # equal up to the optimiser's tolerance: within 0.005 standard errors
        assert abs(got.loc[term, "estimate"] - ols.params[j]) < 0.005 * ols.bse[j]
        assert got.loc[term, "std_error"] == pytest.approx(
            ols.bse[j] * np.sqrt((n - k) / n), rel=1e-3
        )
    eff = res.effects().set_index("change")
    assert eff.loc["level", "estimate"] == pytest.approx(0.2, abs=0.1)  # the true changes
    assert eff.loc["slope", "estimate"] == pytest.approx(0.03, abs=0.02)
    assert eff.loc["level", "estimate_pct"] == pytest.approx(
        100 * np.expm1(eff.loc["level", "estimate"])
    )
    assert set(res.effects()["scale"]) == {"log"}
    assert "Intercept" not in set(got.index)


def test_differenced_model_recovers_known_effects_under_ar_errors():
    s = random_walk_series(seed=3, phi=0.4)
    res = fit_structural({"s": s}, SPEC, kind="differenced", ar=1)
    eff = res.effects().set_index("change")
    for change, truth in (("level", 0.2), ("slope", 0.03)):
        r = eff.loc[change]
        assert r["ci_low"] < truth < r["ci_high"]
    assert eff.loc["level", "estimate"] == pytest.approx(0.2, abs=0.1)
    coef = res.table().set_index("term")
    assert coef.loc["ar.L1", "estimate"] == pytest.approx(0.4, abs=0.35)
    fit = res.fit_table().iloc[0]
    assert fit["converged"] and fit["n"] == 48 and fit["k_exog"] == 6
    assert fit["model"] == "first differences, ARIMA(1,1,0) errors"


def local_linear_trend_series(seed: int, step: float = 0.25) -> pd.DataFrame:
    """A local linear trend on the log scale (level sd 0.02, slope sd 0.002, irregular sd
    0.02) with fixed quarter-of-year effects and a step of ``step`` at 2020Q3."""
    rng = np.random.default_rng(seed)
    level, slope = np.zeros(48), np.zeros(48)
    level[0], slope[0] = np.log(100), 0.01
    for i in range(1, 48):
        slope[i] = slope[i - 1] + rng.normal(0, 0.002)
        level[i] = level[i - 1] + slope[i - 1] + rng.normal(0, 0.02)
    y = level + SEASON + step * POST + rng.normal(0, 0.02, 48)
    return pd.DataFrame({"quarter": Q, "value": np.exp(y)})


@pytest.mark.parametrize("seed", [0, 4])
def test_local_linear_trend_recovers_a_known_step(seed):
    """The unobserved-components model's regression coefficients on a simulated local linear
    trend: the step is recovered, the ramp (truly 0) is not found."""
    s = local_linear_trend_series(seed)
    res = fit_structural(s, SPEC, kind="local_linear_trend")
    eff = res.effects().set_index("change")
    lev, ramp = eff.loc["level"], eff.loc["slope"]
    assert lev["estimate"] == pytest.approx(0.25, abs=0.07)
    assert lev["ci_low"] < 0.25 < lev["ci_high"] and lev["ci_low"] > 0
    assert ramp["ci_low"] < 0 < ramp["ci_high"]
    t = res.table()
    assert {"sigma2.level", "sigma2.trend", "sigma2.seasonal", "level_main"} <= set(t["term"])
    assert res.fit_table()["converged"].all()


def test_indicators_and_covariates_are_regressors_and_a_phase_in_is_missing():
    s = local_linear_trend_series(1)
    days = pd.DataFrame({"quarter": ["2020Q2", "2020Q4"], "days": [91, 27]})
    s2, spec = D.with_covid(s, SPEC.replace(disrupted=["2020Q1"]), "days", days)
    spec = D.at(spec.replace(disrupted=["2020Q1"]), "2020Q3", phase_in=1)
    for kind in KINDS:
        res = fit_structural(s2, spec, kind=kind)
        terms = set(res.table()["term"])
        assert {"covid_days", "disrupted_2020Q1", "level_main"} <= terms
        assert ("trend" in terms) == (kind == "differenced")
        assert res.fit_table().iloc[0]["n_fitted"] == 47


def test_bad_input_is_refused_by_name():
    s = random_walk_series()
    with pytest.raises(ValueError, match="kind must be one of"):
        fit_structural(s, SPEC, kind="bsts")
    with pytest.raises(ValueError, match="no interruption named 'main'"):
        fit_structural(s, D.QUARTERLY)
    with pytest.raises(ValueError, match="ar must be"):
        fit_structural(s, SPEC, ar=-1)
    with pytest.raises(ValueError, match="positive outcome"):
        fit_structural(s.assign(value=s["value"] - 100), SPEC)
    with pytest.raises(ValueError, match="controlled ITS"):
        fit_structural(s, SPEC.replace(group="force", treated="A"))


def test_on_the_outcome_scale_there_is_no_percent():
    s = random_walk_series()
    eff = fit_structural(s, SPEC, kind="differenced", log=False).effects()
    assert eff["estimate_pct"].isna().all() and set(eff["scale"]) == {"outcome"}
    text = V.describe(fit_structural(s, SPEC, kind="differenced", log=False))
    assert "log scale" not in text and "level change" in text


def test_view_describes_and_draws():
    s = local_linear_trend_series(0)
    res = fit_structural({"series A": s}, SPEC, kind="local_linear_trend")
    text = V.describe(res)
    assert text.startswith(
        "- series A, 2020Q3, local linear trend with stochastic seasonal (log scale: relative "
        "changes): level change +"
    )
    assert "above the counterfactual (95% CI excludes zero)" in text
    assert "per quarter (95% CI" in text and "did not converge" not in text
    fig = V.plot(res, title="A")
    assert layout_problems(fig) == []
    assert V.describe_structural(res.effects().iloc[0:0]) == "No structural model was fitted."
    bad = res.fit_table().assign(converged=False)
    assert "did not converge for series A" in V.describe_structural(res.effects(), bad)
