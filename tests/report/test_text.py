"""Generated result text shared by the notebooks (rasso_research.report.text)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasso_research import timeline
from rasso_research.constants import NATIONAL
from rasso_research.data import series as S
from rasso_research.report import text as T


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
    text = T.describe_offset_fill(s)
    assert "filled in 4 of 12 quarters" in text
    assert "3 after its last value (2014Q2): 2014Q3-2015Q1, carried forward" in text
    assert "1 inside its range: 2013Q1, log-linear interpolation" in text
    full = S.series(p, "count", force="A", offset="population", offset_fill="interpolate")
    assert not full["offset_filled"].any() and "none filled" in T.describe_offset_fill(full)


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
    text = T.describe_feasibility(feas, 8, 8)
    assert text.startswith("**1 of 3 series-interruption pairs can be modelled**")
    assert "at least 8 quarters before and 8 from" in text
    assert "- `a`: X: 10 before / 9 from it" in text
    assert "- `b`: X: 8 before / 0 from it" in text
    assert text.index("Too short") < text.index("`b`")
    all_ok = T.describe_feasibility(feas.assign(feasible=True), 8, 8)
    assert all_ok.startswith("**All 3 ")
    assert T.describe_feasibility(feas.assign(feasible=False), 8, 8).startswith("**None of the 3 ")


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
    text = T.describe_sensitivity(sens, "start")
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
    assert T.describe_sensitivity(same, "allan").startswith("**The estimate does not depend")


def test_describe_data_overview_helpers(make_panel):
    p = make_panel(n=40)  # 2012Q2 .. 2022Q1
    s = S.series(p, "count", force="A")
    text = T.describe_change(s, "Count", 2013, 2019)
    assert text.startswith("- Count (2012Q2-2022Q1): mean per quarter")
    assert "no full calendar year" in T.describe_change(s, "Count", 2012, 2019)
    assert "in **3 of 3 forces**" in T.describe_force_changes(p, "count", 2013, 2021)
    assert "no force has both" in T.describe_force_changes(p, "count", 2030, 2031)
    text = T.describe_coverage(p, ["count", "missing"])
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
    text = T.describe_coverage(q, ["count"])
    assert (
        "the national total 2012Q2-2022Q1 (40 quarters); 3 forces 2012Q2-2015Q4 (15 quarters)"
        in text
    )
    assert text.endswith("; 2 sources")
    rev = pd.DataFrame(
        {"force": [NATIONAL, "A", "B", "C"], "pct_difference": [1.5, 0.5, -8.0, 12.0]}
    )
    text = T.describe_revision(rev, threshold=5)
    assert text.startswith("The national total was revised by +1.5%")
    assert "2 of 3 forces by more than 5% either way** (B -8%, C +12%)" in text


def test_describe_area_events_from_the_timeline():
    text = T.describe_area_events(
        "West Midlands", "2014Q2", "2020Q4", timeline.events_for("West Midlands")
    )
    assert "inside the window 2014Q2-2020Q4: CPS West Midlands" in text
    assert "after the window (kept out by its end, 2020Q4): Operation Soteria" in text
    assert "no event specific to Nowhere" in T.describe_area_events(
        "Nowhere", "2014Q2", "2020Q4", timeline.events_for("Nowhere")
    )
