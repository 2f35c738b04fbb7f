"""The single-series ITS design (rasso_research.designs.national_its) and its view, on
synthetic panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rasso_research import designs as D
from rasso_research.data import series as S
from rasso_research.designs import national_its as N
from rasso_research.designs.base import check_feasible, coverage_around, last_break_before
from rasso_research.its import Interruption
from rasso_research.views.national_its import (
    describe_at_bound,
    describe_diagnostics,
    describe_effects,
    describe_persistence,
    describe_power,
    describe_pretrend,
)

BASE = D.QUARTERLY.replace(rate_per=1e5)


@pytest.mark.parametrize("family", ["quasipoisson", "ols", "arima"])
def test_fit_series_recovers_level_change(make_panel, family):
    p = make_panel(n=40, level=0.3, seed=3)
    s = S.series(p, "count", force="A", offset="population")
    fit = N.fit_series(s, D.at(BASE.replace(family=family), "2020Q3"))
    e0 = fit.effects().set_index("horizon").loc[0]
    assert 20 < e0["effect_pct"] < 50  # true +35%
    assert e0["ci_low_pct"] < e0["effect_pct"] < e0["ci_high_pct"]
    dg = fit.diagnostics().iloc[0]
    assert dg["n_pre"] == 33 and dg["n_post"] == 7
    expected = "wald" if family == "arima" else "bootstrap"  # AR errors: bootstrap
    assert dg["ci_method"] == fit.result.ci_method == expected
    assert list(fit.effects().columns[:2]) == ["interruption", "family"]


def test_ci_method_passes_through(make_panel):
    """Intervals default to the AR-errors bootstrap; ``ci_method="wald"`` gives the t interval
    around the same estimate, and the choice is recorded in the diagnostics."""
    p = make_panel(n=40, level=0.3, seed=3)
    s = S.series(p, "count", force="A", offset="population")
    base = D.at(D.QUARTERLY.replace(family="ols"), "2020Q3")
    boot = N.fit_series(s, base)
    wald = N.fit_series(s, base.replace(ci_method="wald"))
    assert wald.diagnostics()["ci_method"].iloc[0] == "wald"
    b, w = boot.effects().iloc[0], wald.effects().iloc[0]
    assert b["effect_pct"] == pytest.approx(w["effect_pct"])
    assert (b["ci_low_pct"], b["ci_high_pct"]) != pytest.approx((w["ci_low_pct"], w["ci_high_pct"]))
    with pytest.raises(ValueError, match="needs cov_type='AR'"):
        N.fit_series(s, base.replace(cov_type="HAC", ci_method="bootstrap"))


def test_covid_forms_and_documented_breaks(make_panel):
    p = make_panel(n=40)
    s = S.series(p, "count", force="A", offset="population")
    covid = ["2020Q2", "2020Q4", "2030Q1"]  # one quarter outside the series
    spec = D.at(
        BASE.replace(
            disrupted=D.covid_disrupted("indicator", covid),
            interruptions=(Interruption("allan", "2018Q1"),),
        ),
        "2020Q3",
    )
    fit = N.fit_series(s, spec)
    terms = set(fit.table()["term"])
    assert {"level_allan", "slope_allan", "level_main", "disrupted_covid"} <= terms
    assert fit.diagnostics()["n_pre"].iloc[0] == 10  # from the 2018Q1 segment to 2020Q2
    cf = fit.counterfactual()
    assert cf.loc[cf["covid"], "period"].tolist() == ["2020Q2", "2020Q4"]
    assert cf.loc[cf["period"] < "2020Q3", "counterfactual"].isna().all()
    ex = N.fit_series(s, spec.replace(disrupted=D.covid_disrupted("exclude", covid)))
    assert {"disrupted_2020Q2", "disrupted_2020Q4"} <= set(ex.table()["term"])
    # a phase-in quarter that is also a disrupted quarter: no all-zero (rank-deficient) term
    ph = N.fit_series(s, D.at(spec.replace(disrupted=["2020Q2"]), "2020Q2", phase_in=1))
    assert "disrupted_2020Q2" not in set(ph.table()["term"])
    with pytest.raises(ValueError, match="no interruption named 'main'"):
        N.fit_series(s, BASE)


def test_fit_national_checks_every_pair_and_fits_the_feasible(make_panel):
    p = make_panel(n=40)
    series = {
        "count": S.series(p, "count", force="A", offset="population"),
        "rate": S.series(p, "rate", force="A"),
    }
    specs = {"count": BASE.replace(family="quasipoisson"), "rate": D.QUARTERLY}
    res = N.fit_national(series, specs, {"early": "2018Q1", "late": "2021Q2"}, 8, 8)
    feas = res.feasibility()
    assert feas[["series", "interruption", "feasible"]].values.tolist() == [
        ["count", "early", True],
        ["count", "late", False],
        ["rate", "early", True],
        ["rate", "late", False],
    ]
    assert set(res.fits) == {("count", "early"), ("rate", "early")}
    eff = res.effects()
    # horizons 0, 4, 8 and the last quarter (2022Q1: 16 quarters on) for each of the two series
    assert set(eff["intervention"]) == {"early"} and len(eff) == 8
    assert eff.loc[eff["end"], "horizon"].tolist() == [16, 16]
    assert eff.loc[eff["end"], "quarter"].tolist() == ["2022Q1", "2022Q1"]
    assert set(res.tables()) == {
        "params",
        "effects",
        "diagnostics",
        "feasibility",
        "counterfactual",
        "slopes",
        "power",
    }
    assert describe_effects(res.effects(), (0,)).startswith("**")
    cmp = N.compare({"a": res.fits[("count", "early")]}, "choice")
    assert cmp.columns.tolist() == [
        "choice",
        "n_pre",
        "horizon",
        "effect_pct",
        "ci_low_pct",
        "ci_high_pct",
    ]


@pytest.mark.parametrize("family", ["quasipoisson", "ols"])
def test_slopes_per_quarter_from_the_model_scale(make_panel, family):
    """Log-link slope changes are the rate ratio minus one; linear ones are the slope over the
    counterfactual at the date; both with their CIs, and written as a table."""
    p = make_panel(n=40, level=0.3, seed=3)
    s = S.series(p, "count", force="A", offset="population")
    fit = N.fit_series(s, D.at(BASE.replace(family=family), "2020Q3"))
    sl = fit.slopes().iloc[0]
    coef = fit.table().set_index("term").loc["slope_main"]
    if family == "ols":
        cf0 = fit.effects().set_index("horizon").loc[0, "counterfactual"]
        assert sl["effect_pct"] == pytest.approx(100 * coef["estimate"] / cf0)
        assert sl["basis"].startswith("slope / counterfactual")
    else:
        assert sl["effect_pct"] == pytest.approx(100 * np.expm1(coef["estimate"]))
        assert sl["ci_high_pct"] == pytest.approx(100 * np.expm1(coef["ci_high"]))
        assert sl["basis"] == "rate ratio - 1"
    assert sl["ci_low_pct"] < sl["effect_pct"] < sl["ci_high_pct"]
    assert "slopes" in fit.tables()


def test_tables_written_and_stale_ones_removed(make_panel, tmp_path):
    p = make_panel(n=40)
    res = N.fit_national(
        {"count": S.series(p, "count", force="A")},
        D.QUARTERLY.replace(family="quasipoisson"),
        {"X": "2018Q1"},
    )
    (tmp_path / "x_params.csv").write_text("old")
    (tmp_path / "x_gone.csv").write_text("old")
    written = res.write("x", tmp_path)
    assert {f.name for f in written} >= {"x_params.csv", "x_effects.tex"}
    assert (tmp_path / "x_params.csv").read_text() != "old"
    empty = N.fit_national({"count": S.series(p, "count", force="A")}, D.QUARTERLY, {"X": "2022Q1"})
    empty.write("x", tmp_path)
    assert not (tmp_path / "x_params.csv").exists()  # no fit: no stale table left behind
    assert (tmp_path / "x_feasibility.csv").exists()


# ---- generated result text ------------------------------------------------------------------
def test_describe_effects():
    eff = pd.DataFrame(
        {
            "series": ["s", "s", "t"],
            "intervention": ["X", "X", "X"],
            "horizon": [0, 4, 0],
            "effect_pct": [10.0, -5.0, -20.0],
            "ci_low_pct": [2.0, -15.0, -30.0],
            "ci_high_pct": [18.0, 4.0, -10.0],
        }
    )
    text = describe_effects(eff, horizons=[0])
    assert text.startswith("**2 of 2 estimates have a 95% CI excluding zero** (1 above, 1 below")
    assert "s, X, +0 quarters: +10% (95% CI +2% to +18%), above the counterfactual" in text
    assert "below the counterfactual" in text and "+4 quarters" not in text
    assert "CI includes zero" in describe_effects(eff, horizons=[4])
    assert "No effect was estimated" in describe_effects(eff.iloc[0:0])


def test_describe_diagnostics():
    diag = pd.DataFrame({"ljung_box_p": [0.01, 0.2], "dispersion": [3.0, np.nan]})
    text = describe_diagnostics(diag)
    assert "in 1 of 2 models" in text and "from 3 to 3" in text
    assert "bootstrap" not in text
    diag["ci_method"] = ["bootstrap", "wald"]
    assert "of 1 of 2 models are percentile-t from a parametric bootstrap" in (
        describe_diagnostics(diag)
    )


def test_a_fit_at_the_ar_root_bound_is_marked():
    """An integrated random walk drives the REML AR errors to the bound; white noise does
    not; without AR errors the mark is False."""
    q = pd.period_range("2012Q1", periods=48, freq="Q")
    rng = np.random.default_rng(0)
    smooth = pd.DataFrame({"quarter": q, "value": 500 + np.cumsum(np.cumsum(rng.normal(0, 1, 48)))})
    noise = pd.DataFrame({"quarter": q, "value": 50 + rng.normal(0, 1, 48)})
    spec = D.at(D.QUARTERLY.replace(family="ols"), "2020Q3")
    at = N.fit_series(smooth, spec).diagnostics().iloc[0]
    assert at["ar_at_bound"] and at["ar_max_root"] >= N.AR_ROOT_BOUND - 1e-3
    ok = N.fit_series(noise, spec).diagnostics().iloc[0]
    assert not ok["ar_at_bound"] and ok["ar_max_root"] < 0.9
    hac = N.fit_series(noise, spec.replace(cov_type="HAC")).diagnostics().iloc[0]
    assert not hac["ar_at_bound"]
    assert np.isnan(hac["ar_max_root"])


def test_describe_diagnostics_names_fits_at_the_bound():
    diag = pd.DataFrame(
        {
            "series": ["charges", "rate", "count"],
            "intervention": ["RASSO", "RASSO", "JNAP"],
            "interruption": ["2020Q3", "2020Q3", "2021Q1"],
            "ar_order": [2, 2, np.nan],
            "ar_at_bound": [True, False, False],
        }
    )
    text = describe_at_bound(diag)
    assert text.startswith("In 1 of 2 AR-errors fits the errors' largest root stopped at the REML")
    assert "bound (0.95): charges, RASSO (2020Q3)." in text
    assert text in describe_diagnostics(diag)
    diag["ar_at_bound"] = False
    assert "None of the 2 AR-errors fits" in describe_diagnostics(diag)
    assert describe_at_bound(diag.assign(ar_order=np.nan)) == ""


def test_describe_pretrend():
    cf = pd.DataFrame(
        {
            "period": ["2019Q1", "2019Q2", "2019Q3", "2019Q4"],
            "segment": ["pre", "pre", "post", "post"],
            "fitted": [5.0, 4.0, 3.0, 3.5],
            "counterfactual": [np.nan, np.nan, 3.1, 3.0],
        }
    )
    assert "line fell from 5 (2019Q1) to 4 (2019Q2)" in describe_pretrend(cf, "x")
    assert "no pre- and post" in describe_pretrend(cf.assign(counterfactual=np.nan), "x")
    covid = cf.assign(covid=[False, True, False, False])  # 2019Q2 has its own indicator
    assert "line was flat from 5 (2019Q1) to 5 (2019Q1)" in describe_pretrend(covid, "x")


@pytest.mark.parametrize("family", ["quasipoisson", "ols"])
def test_power_table_gives_mdes_beside_the_estimates(make_panel, family):
    p = make_panel(n=40, level=0.0, seed=4)
    s = S.series(p, "count", force="A", offset="population")
    fit = N.fit_series(s, D.at(BASE.replace(family=family), "2020Q3"))
    pw = fit.power().set_index("term")
    assert list(pw.index) == ["level", "slope"]
    half = pw["ci_high"] - pw["estimate"]
    assert (pw["mde"] > half).all()
    if family == "quasipoisson":
        assert pw.loc["level", "mde_pct"] >= 100 * np.expm1(pw.loc["level", "mde"])
    else:
        assert pw["mde_pct"].isna().all()
    text = describe_power(fit.power().assign(series="count", intervention="X"))
    assert "detectable with 80% power" in text


def test_persistence_per_series_and_the_hardest_change(make_panel):
    """NationalITS.persistence: every bootstrap-fitted series at the first date, the focus
    terms only, replicates per term adding up to the bootstrap's; hardest() keeps the series
    and term with the largest critical value (HAC fits have no bootstrap and are left out)."""
    p = make_panel(n=40, level=0.3, seed=3)
    series = {
        "count": S.series(p, "count", force="A", offset="population"),
        "rate": S.series(p, "rate", force="A"),
    }
    specs = {"count": BASE, "rate": D.QUARTERLY.replace(family="ols", cov_type="HAC")}
    res = N.fit_national(series, specs, {"main": "2020Q3"}, 8, 4)
    tab = res.persistence()
    assert set(tab["series"]) == {"count"}
    assert set(tab["term"]) == {"level_main", "slope_main"}
    bands = tab[tab["band"] != "all"]
    assert (bands.groupby("term")["replicates"].sum() == BASE.boot_reps).all()
    worst = N.hardest(tab)
    every = tab[tab["band"] == "all"]
    assert worst["term"].nunique() == 1
    assert (
        worst.loc[worst["band"] == "all", "critical_value"].iloc[0] == every["critical_value"].max()
    )
    assert "critical value" in describe_persistence(worst)


def test_describe_persistence_compares_the_lowest_band_with_the_datas():
    tab = pd.DataFrame(
        {
            "term": ["slope_main"] * 5,
            "band": ["0-0.5", "0.5-0.8", "0.8-0.9", "0.9-1", "all"],
            "replicates": [100, 150, 150, 99, 499],
            "critical_value": [7.0, 4.0, 2.2, 3.0, 4.5],
            "data_root": 0.85,
        }
    )
    text = describe_persistence(tab)
    assert "critical value 4.5" in text
    assert "among the 150 in the data's band (0.8-0.9), 2.2" in text
    assert "in 0-0.5, the 95% quantile of |t*| is 7" in text


def test_pre_period_counts_from_a_documented_break(make_panel):
    p = make_panel(n=40)  # 2012Q2 .. 2022Q1
    s = S.series(p, "count", force="A")
    assert coverage_around(s, "2020Q3", since="2018Q1") == (10, 7)
    f = check_feasible(s, "2020Q1", min_pre=8, min_post=4, since="2018Q3")
    assert not f and "6 quarters before (need 8)" in f.message

    spec = D.at(D.QUARTERLY.replace(interruptions=(Interruption("allan", "2018Q1"),)), "2020Q3")
    assert last_break_before(spec, "2020Q3") == "2018Q1"
    assert last_break_before(spec, "2017Q4") is None
    res = N.fit_national({"A": s}, spec, {"x": "2020Q3"}, min_pre=8, min_post=4)
    row = res.feasibility().iloc[0]
    assert (row["pre_from"], row["n_pre"]) == ("2018Q1", 10)
