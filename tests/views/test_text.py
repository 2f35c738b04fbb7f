"""Generated text of the data views and the shared sentences (rasso_research.views.data,
rasso_research.views.text, rasso_research.views.national)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rasso_research import timeline
from rasso_research.constants import NATIONAL
from rasso_research.data import series as S
from rasso_research.views import data as VD  # noqa: E402
from rasso_research.views import national as VNat  # noqa: E402
from rasso_research.views import text as VT  # noqa: E402


def test_offset_fill_is_marked_and_described(make_panel):
    p = make_panel(n=12)  # 2012Q2 .. 2015Q1
    pop = (p["measure"] == "population") & p["quarter"].isin(
        ["2013Q1", "2014Q3", "2014Q4", "2015Q1"]
    )
    s = S.series(p[~pop], "count", force="A", offset="population", offset_fill="interpolate")
    assert s["offset_filled"].dtype == bool
    assert s.loc[s["offset_filled"], "quarter"].astype(str).tolist() == [
        "2013Q1",
        "2014Q3",
        "2014Q4",
        "2015Q1",
    ]
    last = s.loc[s["quarter"] == pd.Period("2014Q2", "Q"), "offset"].iloc[0]
    assert np.allclose(s.loc[s["quarter"] > pd.Period("2014Q2", "Q"), "offset"], last)
    text = VD.describe_offset_fill(s)
    assert "filled in 4 of 12 quarters" in text
    assert "3 after its last value (2014Q2): 2014Q3-2015Q1, carried forward" in text
    assert "1 inside its range: 2013Q1, log-linear interpolation" in text
    full = S.series(p, "count", force="A", offset="population", offset_fill="interpolate")
    assert not full["offset_filled"].any() and "none filled" in VD.describe_offset_fill(full)


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
    text = VT.describe_feasibility(feas, 8, 8)
    assert text.startswith("**1 of 3 series-interruption pairs can be modelled**")
    assert "at least 8 quarters before and 8 from" in text
    assert "- `a`: X: 10 before / 9 from it" in text
    assert "- `b`: X: 8 before / 0 from it" in text
    assert text.index("Too short") < text.index("`b`")
    all_ok = VT.describe_feasibility(feas.assign(feasible=True), 8, 8)
    assert all_ok.startswith("**All 3 ")
    assert VT.describe_feasibility(feas.assign(feasible=False), 8, 8).startswith("**None of the 3 ")


def test_describe_sensitivity():
    sens = pd.DataFrame(
        {
            "start": ["a", "a", "b"],
            "horizon": [0, 4, 0],
            "effect_pct": [10.0, -5.0, -20.0],
            "ci_low_pct": [2.0, -15.0, -30.0],
            "ci_high_pct": [18.0, 4.0, -10.0],
        }
    )
    text = VT.describe_sensitivity(sens, "start")
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
    assert VT.describe_sensitivity(same, "allan").startswith("**The estimate does not depend")


def test_describe_data_overview_helpers(make_panel):
    p = make_panel(n=40)  # 2012Q2 .. 2022Q1
    s = S.series(p, "count", force="A")
    text = VD.describe_change(s, "Count", 2013, 2019)
    assert text.startswith("- Count (2012Q2-2022Q1): mean per quarter")
    assert "no full calendar year" in VD.describe_change(s, "Count", 2012, 2019)
    assert "in **3 of 3 forces**" in VD.describe_force_changes(
        S.area_panel(p, "count"), "count", 2013, 2021
    )
    assert "no force has both" in VD.describe_force_changes(
        S.area_panel(p, "count"), "count", 2030, 2031
    )
    text = VD.describe_coverage(p, ["count", "missing"])
    assert (
        "- `count`: the national total 2012Q2-2022Q1 (40 quarters); 3 forces 2012Q2-2022Q1 "
        "(40 quarters)" in text
    )
    assert "- `missing`: **not in the panel**" in text
    # two editions of force rows over different quarters and a national series over all:
    # distinct quarters, force and national rows apart, never summed across editions
    q = p[(p["measure"] == "count")].copy()
    q.loc[(q["force"] != NATIONAL) & (q["quarter"] < "2015Q1"), "source"] = "old edition"
    q = q[(q["force"] == NATIONAL) | (q["quarter"] < "2016Q1")]
    text = VD.describe_coverage(q, ["count"])
    assert (
        "the national total 2012Q2-2022Q1 (40 quarters); 3 forces 2012Q2-2015Q4 (15 quarters)"
        in text
    )
    assert text.endswith("; 2 sources")
    rev = pd.DataFrame(
        {"force": [NATIONAL, "A", "B", "C"], "pct_difference": [1.5, 0.5, -8.0, 12.0]}
    )
    text = VD.describe_revision(rev, threshold=5)
    assert text.startswith("The national total was revised by +1.5%")
    assert "2 of 3 forces by more than 5% either way** (B -8%, C +12%)" in text


def test_describe_area_events_from_the_timeline():
    text = VD.describe_area_events(
        "West Midlands", "2014Q2", "2020Q4", timeline.events_for("West Midlands")
    )
    assert "inside the window 2014Q2-2020Q4: CPS West Midlands" in text
    assert "after the window (kept out by its end, 2020Q4): Operation Soteria" in text
    assert "no event specific to Nowhere" in VD.describe_area_events(
        "Nowhere", "2014Q2", "2020Q4", timeline.events_for("Nowhere")
    )


def test_describe_funnel_and_btp():
    from rasso_research.views.data import describe_btp, describe_funnel

    rows = []
    for fy, vals in {
        "2018/19": [1000, 50, 40],
        "2019/20": [2000, 60, 30],
        "2020/21": [2100, 70],
    }.items():
        for k, v in enumerate(vals):
            rows.append(
                {
                    "fiscal_year": fy,
                    "step": k + 1,
                    "stage": ["Recorded", "Charged", "Convicted"][k],
                    "unit": ["offences", "offences", "defendants"][k],
                    "value": float(v),
                    "per_100_recorded": 100 * v / vals[0],
                }
            )
    text = describe_funnel(pd.DataFrame(rows))
    assert "**Every stage has data in 2 years** (2018/19, 2019/20)" in text
    assert (
        "2019/20 (2,000 rapes recorded): per 100 recorded, 3 charged (offences); 1.5 convicted"
        in text
    )
    assert "Latest year per stage: Recorded 2020/21; Charged 2020/21; Convicted 2019/20." in text
    btp = pd.DataFrame(
        {
            "fiscal_year": ["2014/15", "2015/16", "2015/16"],
            "offence_group": ["Sexual offences", "Sexual offences", "Robbery"],
            "measure": "charged_closed",
            "btp_pct": [1.5, 2.0, 9.0],
        }
    )
    ed = pd.DataFrame({"quarter": ["2017Q2", "2017Q3"], "ratio": [0.98, 1.1]})
    t = describe_btp(btp, ed)
    assert "1.5% to 2%" in t and "9" not in t.split("sexual-offence")[0]
    assert "98% to 110%" in t and "2 quarters" in t


def test_covid_table_documents_each_quarter():
    from rasso_research import designs as D

    days = pd.DataFrame({"quarter": ["2020Q1", "2020Q2"], "days": [9, 91], "lockdowns": "l1"})
    t = D.covid_table(days, "exclude")
    assert t["disrupted"].tolist() == [False, True]
    assert t.loc[1, "handling"] == "its own indicator: left out of the fit"
    assert t.loc[0, "handling"].startswith("fewer than 21 lockdown days")
    assert D.covid_table(days, "indicator").loc[1, "handling"].startswith("one indicator")
    with pytest.raises(ValueError, match="covid must be one of"):
        D.covid_table(days, "drop")


def test_describe_estimands_counts_each_estimand():
    from rasso_research.views.national_its import describe_estimands

    eff = pd.DataFrame(
        {
            "series": "s",
            "intervention": ["A", "A", "A"],
            "horizon": [0, 4, 9],
            "end": [False, False, True],
            "effect_pct": [10.0, 30.0, 50.0],
            "ci_low_pct": [-5.0, 2.0, 1.0],
            "ci_high_pct": [25.0, 60.0, 99.0],
        }
    )
    slopes = eff.iloc[[0]].assign(effect_pct=-3.0, ci_low_pct=-5.0, ci_high_pct=-1.0)
    text = describe_estimands(eff, slopes)
    assert "- +0 quarters: 0 of 1 with a 95% CI excluding zero." in text
    assert "- +4 quarters: 1 of 1 with a 95% CI excluding zero (s, A: +30% (+2% to +60%))." in text
    assert "- the last quarter of the data: 1 of 1" in text
    assert "- slope change (% per quarter): 1 of 1" in text
    assert "+9 quarters" not in text


def test_describe_answer_from_the_tables():
    terms = pd.DataFrame(
        {
            "series": ["a", "a", "b"],
            "intervention": ["X", "Y", "X"],
            "kind": "level",
            "estimate": [0.3, 0.0, -0.1],
            "ci_low": [0.1, -0.2, -0.3],
            "ci_high": [0.5, 0.2, 0.1],
            "estimate_pct": [35.0, 0.0, -9.5],
            "ci_low_pct": [10.5, -18.1, -25.9],
            "ci_high_pct": [64.9, 22.1, 10.5],
            "mde_pct": [30.0, 40.0, 55.0],
        }
    )
    ident = pd.DataFrame(
        {
            "series": ["a", "a", "b"],
            "intervention": ["X", "Y", "X"],
            "verdict": ["separable", "not separable", "separable"],
        }
    )
    pkg = pd.DataFrame(
        {"end": [False, True, True], "ci_low_pct": [1.0, -5.0, -3.0], "ci_high_pct": [9, 5, 4]}
    )
    alone = pd.DataFrame({"horizon": [0, 0, 4], "ci_low_pct": [2.0, -1.0, 3.0], "ci_high_pct": 9})
    t = VNat.describe_answer(terms, ident, pkg, alone)
    assert (
        "**Jointly modelled, 1 of 3 reform terms have a 95% CI excluding zero**: a, X level +35%"
        in t
    )
    assert "Y in 1 of 2 series" in t
    assert "from 30% to 55% upwards" in t
    assert "0 of 2 series differ" in t
    assert "Fitted one date at a time, 1 of 2 level changes exclude zero." in t
