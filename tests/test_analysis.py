"""Tests of rasso_research.analysis on small synthetic panels."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from rasso_research import analysis as A
from rasso_research import paths


def _panel(n=40, start="2012Q2", level=0.3, at="2020Q3", forces=("A", "B", "C"), seed=1):
    """Synthetic long panel: counts with a known log-level change at ``at`` for force A."""
    rng = np.random.default_rng(seed)
    q = pd.period_range(start, periods=n, freq="Q")
    rows = []
    for f in (*forces, A.NATIONAL):
        pop = 1e6 * (1 + 0.005 * np.arange(n))
        mu = (
            pop
            * 1e-3
            * np.exp(0.01 * np.arange(n) + (level if f == "A" else 0.0) * (q >= pd.Period(at, "Q")))
        )
        y = rng.poisson(mu)
        for qq, yy, pp in zip(q, y, pop, strict=True):
            rows += [
                {
                    "quarter": str(qq),
                    "force": f,
                    "measure": "count",
                    "value": float(yy),
                    "source": "s1",
                },
                {
                    "quarter": str(qq),
                    "force": f,
                    "measure": "population",
                    "value": pp,
                    "source": "p",
                },
                {
                    "quarter": str(qq),
                    "force": f,
                    "measure": "rate",
                    "value": 1e5 * yy / pp,
                    "source": "s1",
                },
            ]
    return pd.DataFrame(rows)


def test_series_basic_and_offset():
    p = _panel()
    s = A.series(p, "count", force="A", start="2014Q1", end="2020Q4", offset="population")
    assert list(s.columns[:3]) == ["quarter", "t", "value"]
    assert s["quarter"].iloc[0] == pd.Period("2014Q1", "Q") and s["t"].iloc[0] == 1
    assert s["quarter"].iloc[-1] == pd.Period("2020Q4", "Q")
    assert np.allclose(np.exp(s["log_offset"]), s["offset"])
    assert s.attrs["offset_measure"] == "population"


def test_series_accepts_fiscal_labels_and_errors():
    p = _panel()
    s = A.series(p, "count", force="A", start="2018/19 Q3")
    assert s["quarter"].iloc[0] == pd.Period("2018Q4", "Q")
    with pytest.raises(ValueError, match="no data"):
        A.series(p, "count", force="Nowhere")


def test_overlapping_sources_pick_longest_with_warning():
    p = _panel(n=12)
    extra = (
        p[(p["measure"] == "count") & (p["force"] == "A")].head(3).assign(source="s2", value=0.0)
    )
    p2 = pd.concat([p, extra])
    with pytest.warns(UserWarning, match="several sources"):
        s = A.series(p2, "count", force="A")
    assert (s["value"] > 0).all()
    s2 = A.series(p2, "count", force="A", source="s2")
    assert len(s2) == 3


def test_non_overlapping_sources_are_joined():
    p = _panel(n=12)
    m = (p["measure"] == "count") & (p["force"] == "A")
    p.loc[m & (p["quarter"] >= "2014Q1"), "source"] = "later"
    s = A.series(p, "count", force="A")
    assert len(s) == 12


def test_offset_interpolation():
    p = _panel(n=12)
    keep = ~((p["measure"] == "population") & p["quarter"].isin(["2013Q1", "2013Q2"]))
    s = A.series(p[keep], "count", force="A", offset="population", offset_fill="interpolate")
    assert len(s) == 12 and s.attrs["offset_filled"] == 2
    s2 = A.series(p[keep], "count", force="A", offset="population")
    assert len(s2) == 10 and s2.attrs["offset_dropped"] == 2


def test_coverage_and_feasibility():
    p = _panel(n=40)  # 2012Q2 .. 2022Q1
    s = A.series(p, "count", force="A")
    assert A.coverage_around(s, "2020Q3") == (33, 7)
    assert A.coverage_around(s, "2020Q3", exclude=["2020Q2", "2020Q4"]) == (32, 6)
    f = A.check_its_feasible(s, "2020Q3", min_pre=8, min_post=8)
    assert not f and "7 quarters from it (need 8)" in f.message
    assert A.check_its_feasible(s, "2018Q1")
    cov = A.coverage(p)
    assert set(cov["measure"]) == {"count", "population", "rate"}
    assert (cov["quarters"] == 40).all() and (cov["forces"] == 3).all()


@pytest.mark.parametrize("family", ["quasipoisson", "ols_hac", "arma"])
def test_fit_segmented_recovers_level_change(family):
    p = _panel(n=40, level=0.3, seed=3)
    s = A.series(p, "count", force="A", offset="population")
    spec = A.ModelSpec("2020Q3", family=family, seasonality="none", covid="none", rate_scale=1e5)
    fit = A.fit_segmented(s, spec)
    e0 = fit.effects.set_index("horizon").loc[0]
    assert 20 < e0["effect_pct"] < 50  # true +35%
    assert e0["ci_low_pct"] < e0["effect_pct"] < e0["ci_high_pct"]
    assert fit.diagnostics["n_pre"] == 33 and fit.diagnostics["n_post"] == 7
    expected = "bootstrap" if family == "ols_hac" else "wald"
    assert fit.diagnostics["ci_method"] == fit.result.ci_method == expected


def test_model_spec_ci_method_passes_through():
    """OLS intervals default to the sieve bootstrap; ``ci_method="wald"`` gives the HAC Wald
    interval around the same estimate, and the choice is recorded in the diagnostics."""
    p = _panel(n=40, level=0.3, seed=3)
    s = A.series(p, "count", force="A", offset="population")
    base = A.ModelSpec("2020Q3", family="ols_hac", seasonality="none", covid="none")
    boot = A.fit_segmented(s, base)
    wald = A.fit_segmented(s, replace(base, ci_method="wald"))
    assert wald.diagnostics["ci_method"] == "wald"
    b, w = boot.effects.iloc[0], wald.effects.iloc[0]
    assert b["effect_pct"] == pytest.approx(w["effect_pct"])
    assert (b["ci_low_pct"], b["ci_high_pct"]) != pytest.approx((w["ci_low_pct"], w["ci_high_pct"]))
    with pytest.raises(ValueError, match="uncontrolled OLS"):
        A.fit_segmented(s, replace(base, family="quasipoisson", ci_method="bootstrap"))


def test_spec_translation_covid_and_segments():
    p = _panel(n=40)
    s = A.series(p, "count", force="A", offset="population")
    spec = A.ModelSpec(
        "2020Q3",
        covid="indicator",
        covid_quarters=("2020Q2", "2020Q4", "2030Q1"),
        segments=("2018Q1",),
    )
    its = A.to_its_spec(A.its_data(s, spec), spec)
    assert its.disrupted == "covid" and its.offset == "offset"
    assert [i.name for i in its.interruptions] == ["segment_2018Q1", A.MAIN]
    ex = A.to_its_spec(
        s, A.ModelSpec("2020Q3", covid="exclude", covid_quarters=("2020Q2", "2030Q1"))
    )
    assert ex.disrupted == ["2020Q2"]
    fit = A.fit_segmented(s, spec)
    assert "level_segment_2018Q1" in set(fit.params["term"])
    assert fit.diagnostics["n_pre"] == 10  # from the 2018Q1 segment to 2020Q2


def test_controlled_its_and_placebo():
    p = _panel(n=40, level=0.4, seed=5, forces=("A", "B", "C", "D", "E"))
    cf = A.controls_frame(p, "rate", "A", start="2014Q1")
    assert set(cf["force"]) == {"A", "B", "C", "D", "E"} and A.NATIONAL not in set(cf["force"])
    res = A.fit_controlled(cf, "2020Q3")
    est = res.params_table().set_index("term").loc["treated_level_main", "estimate"]
    assert est > 0
    pl = A.placebo_space(cf, "2020Q3")
    assert len(pl.table) == 4 and 0 < pl.p_value <= 1


def test_controls_frame_balanced_drops_incomplete():
    p = _panel(n=12)
    p = p[~((p["force"] == "C") & (p["quarter"] == "2013Q1"))]
    cf = A.controls_frame(p, "rate", "A")
    assert cf.attrs["dropped_controls"] == ["C"]
    with pytest.raises(ValueError, match="without data"):
        A.controls_frame(p, "rate", "A", controls=["Z"])


def test_round_sig():
    assert A.round_sig(0.0123456) == 0.0123
    assert A.round_sig(-1234.5) == -1230.0
    assert np.isnan(A.round_sig(float("nan")))
    df = A.rounded(pd.DataFrame({"x": [1.23456, 2.0], "s": ["a", "b"]}))
    assert df["x"].tolist() == [1.23, 2.0]


_PANEL = paths.DATA_PROCESSED / "panel.parquet"


@pytest.mark.mirror
@pytest.mark.skipif(not _PANEL.exists(), reason="processed panel not built (make data)")
def test_real_panel_coverage_around_interruptions():
    p = A.load_panel()
    with pytest.warns(UserWarning, match="several sources"):
        charges = A.series(p, "rape_charged_in_quarter")
    assert "2024 edition" in charges.attrs["source"]
    assert A.coverage_around(charges, "2020Q3") == (25, 16)
    wm = A.series(p, "recorded_rape_per_100k", force="West Midlands", start="2014Q2", end="2020Q4")
    assert A.coverage_around(wm, "2018Q4") == (18, 9)
    cohort = A.series(p, "rape_charge_rate_cohort", force="West Midlands")
    assert not A.check_its_feasible(cohort, "2018Q4", min_pre=8, min_post=4)


# ---- generated result text ------------------------------------------------------------------
def test_offset_fill_is_marked_and_described():
    p = _panel(n=12)  # 2012Q2 .. 2015Q1
    pop = (p["measure"] == "population") & p["quarter"].isin(
        ["2013Q1", "2014Q3", "2014Q4", "2015Q1"]
    )
    s = A.series(p[~pop], "count", force="A", offset="population", offset_fill="interpolate")
    assert s["offset_filled"].dtype == bool
    assert s.loc[s["offset_filled"], "quarter"].astype(str).tolist() == [
        "2013Q1",
        "2014Q3",
        "2014Q4",
        "2015Q1",
    ]
    last = s.loc[s["quarter"] == pd.Period("2014Q2", "Q"), "offset"].iloc[0]
    assert np.allclose(s.loc[s["quarter"] > pd.Period("2014Q2", "Q"), "offset"], last)
    text = A.describe_offset_fill(s)
    assert "filled in 4 of 12 quarters" in text
    assert "3 after its last value (2014Q2): 2014Q3-2015Q1, carried forward" in text
    assert "1 inside its range: 2013Q1, log-linear interpolation" in text
    full = A.series(p, "count", force="A", offset="population", offset_fill="interpolate")
    assert not full["offset_filled"].any() and "none filled" in A.describe_offset_fill(full)


def test_describe_feasibility():
    feas = pd.DataFrame(
        {
            "series": ["a", "a", "b"],
            "interruption": ["X", "Y", "X"],
            "n_pre": [10, 12, 8],
            "n_post": [9, 7, 0],
            "feasible": [True, False, False],
        }
    )
    text = A.describe_feasibility(feas, 8, 8)
    assert text.startswith("**1 of 3 series-interruption pairs can be modelled**")
    assert "at least 8 quarters before and 8 from" in text
    assert "- `a`: X: 10 before / 9 from it" in text
    assert "- `b`: X: 8 before / 0 from it" in text
    assert text.index("Too short") < text.index("`b`")
    all_ok = A.describe_feasibility(feas.assign(feasible=True), 8, 8)
    assert all_ok.startswith("**All 3 ")
    assert A.describe_feasibility(feas.assign(feasible=False), 8, 8).startswith("**None of the 3 ")


def test_describe_effects_and_sensitivity():
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
    text = A.describe_effects(eff, horizons=[0])
    assert text.startswith("**2 of 2 estimates have a 95% CI excluding zero** (1 above, 1 below")
    assert "s, X, +0 quarters: +10% (95% CI +2% to +18%), above the counterfactual" in text
    assert "below the counterfactual" in text and "+4 quarters" not in text
    assert "CI includes zero" in A.describe_effects(eff, horizons=[4])
    assert "No effect was estimated" in A.describe_effects(eff.iloc[0:0])
    sens = eff.assign(start=["a", "a", "b"]).drop(columns=["series", "intervention"])
    text = A.describe_sensitivity(sens, "start")
    assert text.startswith("**The estimate depends on `start`")
    assert "from -20% (`start` = b) to +10% (`start` = a)" in text and "sign changes" in text
    same = pd.DataFrame(
        {
            "allan": ["a", "b"],
            "effect_pct": [-5.0, -7.0],
            "ci_low_pct": [-9.0, -9.0],
            "ci_high_pct": [-1.0, -2.0],
        }
    )
    assert A.describe_sensitivity(same, "allan").startswith("**The estimate does not depend")


def test_describe_curve_diagnostics_controlled():
    summ = pd.DataFrame(
        [
            {
                "specs": 10,
                "fitted": 9,
                "median_pct": -12.0,
                "min_pct": -30.0,
                "max_pct": 5.0,
                "share_negative": 0.95,
                "share_ci_excludes_0": 0.3,
            }
        ]
    )
    text = A.describe_curve(summ)
    assert "9 of 10 specifications fitted (1 failed); median -12%" in text
    assert "sign is stable (95% of estimates agree)" in text and "only 30%" in text
    diag = pd.DataFrame({"ljung_box_p": [0.01, 0.2], "dispersion": [3.0, np.nan]})
    text = A.describe_diagnostics(diag)
    assert "in 1 of 2 models" in text and "from 3 to 3" in text
    assert "bootstrap" not in text
    diag["ci_method"] = ["bootstrap", "wald"]
    assert "of 1 of 2 models (OLS with Newey-West errors) are sieve-bootstrap" in (
        A.describe_diagnostics(diag)
    )
    ctrl = pd.DataFrame(
        [
            {
                "series": "r",
                "term": "treated_level_main",
                "estimate": 0.5,
                "ci_low": -1.0,
                "ci_high": 2.0,
                "p_value": 0.7,
            }
        ]
    )
    pl = pd.DataFrame([{"series": "r", "p_space": 0.8, "n_space": 42, "p_time": 0.9, "n_time": 13}])
    text = A.describe_controlled(ctrl, pl)
    assert (
        "level change relative to the controls: 0.5 (95% CI -1 to 2, p = 0.7), CI includes zero"
        in text
    )
    assert "placebo in space 0.8 (42 control forces)" in text and "fewer than 20 placebos" in text
    assert "No controlled model" in A.describe_controlled(ctrl.iloc[0:0])


def test_describe_data_overview_helpers():
    p = _panel(n=40)  # 2012Q2 .. 2022Q1
    s = A.series(p, "count", force="A")
    text = A.describe_change(s, "Count", 2013, 2019)
    assert text.startswith("- Count (2012Q2-2022Q1): mean per quarter")
    assert "no full calendar year" in A.describe_change(s, "Count", 2012, 2019)
    assert "in **3 of 3 forces**" in A.describe_force_changes(p, "count", 2013, 2021)
    assert "no force has both" in A.describe_force_changes(p, "count", 2030, 2031)
    cov = A.coverage(p)
    text = A.describe_coverage(cov, ["count", "missing"])
    assert "- `count`: 3 forces and the national total, 2012Q2-2022Q1, 40 quarters" in text
    assert "- `missing`: **not in the panel**" in text
    rev = pd.DataFrame(
        {"force": [A.NATIONAL, "A", "B", "C"], "pct_difference": [1.5, 0.5, -8.0, 12.0]}
    )
    text = A.describe_revision(rev, threshold=5)
    assert text.startswith("The national total was revised by +1.5%")
    assert "2 of 3 forces by more than 5% either way** (B -8%, C +12%)" in text


def test_describe_pretrend():
    cf = pd.DataFrame(
        {
            "period": ["2019Q1", "2019Q2", "2019Q3", "2019Q4"],
            "segment": ["pre", "pre", "post", "post"],
            "fitted": [5.0, 4.0, 3.0, 3.5],
            "counterfactual": [np.nan, np.nan, 3.1, 3.0],
        }
    )
    assert "line fell from 5 (2019Q1) to 4 (2019Q2)" in A.describe_pretrend(cf, "x")
    assert "no pre- and post" in A.describe_pretrend(cf.assign(counterfactual=np.nan), "x")
    covid = cf.assign(covid=[False, True, False, False])  # 2019Q2 has its own indicator
    assert "line was flat from 5 (2019Q1) to 5 (2019Q1)" in A.describe_pretrend(covid, "x")
