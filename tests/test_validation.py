"""Validation (rasso_research.validation): the published numbers of config/validation.csv
reproduced (read from there, never retyped), and the checks of the published models that
go beyond a printed number."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from rasso_research import paths
from rasso_research.its import Interruption, design_matrix, fit_its
from rasso_research.validation import (
    linden_spec,
    load_prop99,
    load_sicily,
    reference,
    sicily_spec,
    validation_table,
)

pytestmark = pytest.mark.mirror


@pytest.fixture(scope="module")
def sicily():
    if not (paths.DATA_RAW / "validation" / "sicily.csv").exists():
        pytest.skip("validation/sicily.csv not fetched (make data)")
    return load_sicily()


@pytest.fixture(scope="module")
def published(sicily):
    return fit_its(sicily, sicily_spec())


def within(value: float, key: str) -> bool:
    """Is ``value`` within the tolerance of the published ``key`` (config/validation.csv)?"""
    pub, tol = reference(key)
    return abs(value - pub) <= tol + 1e-12


def test_rate_ratio_matches_paper(published):
    row = published.params_table().set_index("term").loc["level_smokban"]
    assert within(row["rate_ratio"], "lopezbernal2017_rr")
    assert within(row["rr_ci_low"], "lopezbernal2017_rr_low")
    assert within(row["rr_ci_high"], "lopezbernal2017_rr_high")


def test_pearson_dispersion_matches_paper(published):
    assert within(published.dispersion, "lopezbernal2017_dispersion")
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
    exog = pd.DataFrame(design_matrix(fit, published.names), columns=published.names)
    sf = published.results.get_prediction(exog, offset=np.zeros(len(fit))).summary_frame(alpha=0.05)
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


REQUIRED_KEYS = {
    "lopezbernal2017_rr",
    "lopezbernal2017_rr_low",
    "lopezbernal2017_rr_high",
    "lopezbernal2017_dispersion",
    "linden2015_single_intercept",
    "linden2015_single_pretrend",
    "linden2015_single_step",
    "linden2015_single_posttrend",
    "linden2015_multi_controls_intercept",
    "linden2015_multi_step_diff",
    "linden2015_multi_step_diff_p",
    "linden2015_multi_slope_diff_p",
    "synthdid2021_sdid",
    "synthdid2021_sc",
    "synthdid2021_did",
}


def test_validation_table_reproduces_every_published_number():
    """tables/validation.csv (notebook 00): every published number in config/validation.csv
    reproduced within its tolerance (the printed precision unless its note says why not)."""
    if not (paths.DATA_RAW / "validation" / "california_prop99.csv").exists():
        pytest.skip("validation data not fetched (make data)")
    tab = validation_table()
    assert REQUIRED_KEYS <= set(tab["key"])
    not_run = tab["status"].str.startswith("not run")
    # only the keys of an optional file the mirror lacks may go unreproduced
    assert not tab.loc[not_run, "key"].isin(REQUIRED_KEYS).any()
    assert tab.loc[not_run, "reproduced"].isna().all()
    run = tab[~not_run]
    bad = run[run["status"] != "reproduced"]
    assert bad.empty, bad.to_string()


def test_keys_of_an_absent_optional_file_are_kept_as_not_run(monkeypatch):
    """Without mpdta.csv its 21 keys stay in the table as "not run" (never dropped), and the
    summary counts only the numbers whose data are present and names the missing file."""
    if not (paths.DATA_RAW / "validation" / "california_prop99.csv").exists():
        pytest.skip("validation data not fetched (make data)")
    from rasso_research import validation as VAL

    rep = {k: v for k, v in VAL.reproduced().items() if not k.startswith("cs2021_mpdta_")}
    monkeypatch.setattr(VAL, "OPTIONAL_DATA", {"cs2021_mpdta_": "validation/no-such-file.csv"})
    monkeypatch.setattr(VAL, "reproduced", lambda: rep)
    tab = VAL.validation_table()
    not_run = tab[tab["status"].str.startswith("not run")]
    assert len(not_run) == 21 and not_run["key"].str.startswith("cs2021_mpdta_").all()
    assert (~not_run["within"]).all()
    n_run = len(tab) - 21
    text = VAL.summary(tab)
    assert text.startswith(f"**{n_run} of {n_run} published numbers whose data are present")
    assert "21 published numbers were not run" in text and "validation/no-such-file.csv" in text
    # one reproduced value pushed outside its tolerance changes the count and names the key
    tab.loc[0, ["status", "within"]] = ["outside tolerance", False]
    text = VAL.summary(tab)
    assert text.startswith(f"**{n_run - 1} of {n_run}")
    assert f"{tab.loc[0, 'key']} (outside tolerance)" in text


def test_linden_multiple_group_itsa_coefficients():
    """Every coefficient of Linden's multiple-group Proposition 99 model (itsa help,
    power_itsa.sthlp: cint, cpre, cstep, tint = cint + _z, tpre = cpre + _z_t, tstep); the
    controls' pre-trend and level change (cpre, cstep) are not in config/validation.csv and
    are typed here from the help file."""
    if not (paths.DATA_RAW / "validation" / "california_prop99.csv").exists():
        pytest.skip("validation data not fetched (make data)")
    res = fit_its(load_prop99(), linden_spec(multiple=True))
    b = res.params_table().set_index("term")["estimate"]
    assert within(b["Intercept"], "linden2015_multi_controls_intercept")
    assert round(b["trend"], 7) == -0.5477701
    assert round(b["level_x1989"], 5) == -17.25168
    assert within(b["Intercept"] + b["treated"], "linden2015_single_intercept")
    assert within(b["trend"] + b["treated_trend"], "linden2015_single_pretrend")
    assert within(b["level_x1989"] + b["treated_level_x1989"], "linden2015_single_step")
    post = res.lincom("trend + treated_trend + slope_x1989 + treated_slope_x1989")
    assert within(post["estimate"].iloc[0], "linden2015_single_posttrend")


def test_bootstrap_persistence_explains_the_prop99_slope_critical_value():
    """On Proposition 99 (errors near the persistence bound) the slope change's large
    critical value comes from bootstrap series whose REML refit under-states persistence:
    their |t*| quantile is far above that of the series refitted near the data's root, and
    the 'all' row is the critical value the interval uses."""
    from rasso_research.its import bootstrap_persistence

    if not (paths.DATA_RAW / "validation" / "california_prop99.csv").exists():
        pytest.skip("validation data not fetched (make data)")
    d = load_prop99()
    res = fit_its(d[d["state"] == "California"], linden_spec().replace(cov_type="AR"))
    tab = bootstrap_persistence(res)
    params = res.params_table().set_index("term")
    for term, rows in tab.groupby("term"):
        every = rows[rows["band"] == "all"].iloc[0]
        used = (params.loc[term, "ci_high"] - params.loc[term, "estimate"]) / params.loc[
            term, "std_error"
        ]
        assert every["critical_value"] == pytest.approx(used, rel=1e-9)
        assert rows.loc[rows["band"] != "all", "replicates"].sum() == res.spec.boot_reps
    slope = tab[(tab["term"] == "slope_x1989") & tab["critical_value"].notna()]
    low = slope[slope["band"] == "0.5-0.8"]["critical_value"].iloc[0]
    near = slope[slope["band"] == "0.9-1"]["critical_value"].iloc[0]
    assert low > 2 * near
    assert near < 3
    with pytest.raises(ValueError, match="needs the AR-errors bootstrap"):
        bootstrap_persistence(fit_its(d[d["state"] == "California"], linden_spec()))
