"""Validation against Lopez Bernal, Cummins & Gasparrini (2017, IJE 46:348-355), Sicily data."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from rasso_research import paths
from rasso_research.its import Interruption, fit_its, load_sicily, sicily_spec

pytestmark = pytest.mark.mirror


@pytest.fixture(scope="module")
def sicily():
    if not (paths.DATA_RAW / "validation" / "sicily.csv").exists():
        pytest.skip("validation/sicily.csv not fetched (make data)")
    return load_sicily()


@pytest.fixture(scope="module")
def published(sicily):
    return fit_its(sicily, sicily_spec())


def test_rate_ratio_matches_paper(published):
    row = published.params_table().set_index("term").loc["level_smokban"]
    assert round(row["rate_ratio"], 3) == 0.885
    assert round(row["rr_ci_low"], 3) == 0.839
    assert round(row["rr_ci_high"], 3) == 0.933


def test_pearson_dispersion_matches_paper(published):
    assert round(published.dispersion, 3) == 2.262
    assert published.results.scale == pytest.approx(published.dispersion)


def test_underlying_trend_is_annual_rate_ratio(published):
    """The paper's 1.067 is the trend per year, exp(12 * beta_time); per month it is 1.005."""
    beta = published.params_table().set_index("term").loc["trend", "estimate"]
    assert round(np.exp(12 * beta), 3) == 1.067
    assert round(np.exp(beta), 3) == 1.005


def test_fourier_terms_match_tsmodel_harmonic(published, sicily):
    fr = published.design.frame
    for k in (1, 2):
        np.testing.assert_allclose(fr[f"sin{k}"], np.sin(2 * np.pi * k * sicily["month"] / 12))
        np.testing.assert_allclose(fr[f"cos{k}"], np.cos(2 * np.pi * k * sicily["month"] / 12))


def test_matches_direct_statsmodels_fit(published, sicily):
    d = sicily.copy()
    for k in (1, 2):
        d[f"s{k}"] = np.sin(2 * np.pi * k * d.month / 12)
        d[f"c{k}"] = np.cos(2 * np.pi * k * d.month / 12)
    ref = smf.glm(
        "aces ~ smokban + time + s1 + c1 + s2 + c2",
        d,
        family=sm.families.Poisson(),
        offset=np.log(d.stdpop),
    ).fit(scale="X2")
    est = published.params_table().set_index("term")["estimate"]
    assert est["level_smokban"] == pytest.approx(ref.params["smokban"], rel=1e-8)
    assert est["trend"] == pytest.approx(ref.params["time"], rel=1e-8)


def test_prediction_matches_get_prediction(published):
    """Our X @ beta / X V X' computation equals statsmodels' get_prediction (per unit offset)."""
    fit = published.design.fit_frame()
    sf = published.results.get_prediction(fit, offset=np.zeros(len(fit))).summary_frame(alpha=0.05)
    cf = published.counterfactual()
    np.testing.assert_allclose(cf["fitted"] / 1e5, sf["mean"], rtol=1e-8)
    np.testing.assert_allclose(cf["fitted_ci_low"] / 1e5, sf["mean_ci_lower"], rtol=1e-6)
    np.testing.assert_allclose(cf["fitted_ci_high"] / 1e5, sf["mean_ci_upper"], rtol=1e-6)


def test_effect_at_interruption_equals_rate_ratio(published):
    eff = published.effects(horizons=[0]).iloc[0]
    assert eff["rel_diff"] + 1 == pytest.approx(0.885, abs=5e-4)
    assert eff["rel_ci_low"] + 1 == pytest.approx(0.839, abs=5e-4)


def test_period_axis_gives_same_estimate(sicily):
    d = sicily.assign(
        period=pd.PeriodIndex.from_fields(year=sicily.year, month=sicily.month, freq="M")
    )
    spec = sicily_spec().replace(
        time="period",
        season_col=None,
        interruptions=[Interruption("smokban", "2005-01", slope=False)],
    )
    res = fit_its(d, spec)
    row = res.params_table().set_index("term").loc["level_smokban"]
    assert round(row["rate_ratio"], 3) == 0.885
    assert res.design.interruptions[0].label == "2005-01"
