"""The one series accessor (rasso_research.data.series) on small synthetic panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rasso_research import paths
from rasso_research.constants import NATIONAL
from rasso_research.data import series as S
from rasso_research.designs.base import check_feasible, coverage_around


def test_series_basic_and_offset(make_panel):
    p = make_panel()
    s = S.series(p, "count", force="A", start="2014Q1", end="2020Q4", offset="population")
    assert list(s.columns[:3]) == ["quarter", "t", "value"]
    assert s["quarter"].iloc[0] == pd.Period("2014Q1", "Q") and s["t"].iloc[0] == 1
    assert s["quarter"].iloc[-1] == pd.Period("2020Q4", "Q")
    assert np.allclose(np.exp(s["log_offset"]), s["offset"])
    assert s.attrs["offset_measure"] == "population"


def test_series_accepts_fiscal_labels_and_names_close_matches(make_panel):
    p = make_panel()
    s = S.series(p, "count", force="A", start="2018/19 Q3")
    assert s["quarter"].iloc[0] == pd.Period("2018Q4", "Q")
    with pytest.raises(ValueError, match="no rows for 'Nowhere'"):
        S.series(p, "count", force="Nowhere")
    with pytest.raises(ValueError, match="did you mean 'count'"):
        S.series(p, "cuont", force="A")
    with pytest.raises(ValueError, match="not a quarter: '2019'"):
        S.series(p, "count", force="A", start="2019")


def test_overlapping_sources_need_an_explicit_choice(make_panel):
    """Two sources for the same quarters are never summed or silently ranked."""
    p = make_panel(n=12)
    extra = (
        p[(p["measure"] == "count") & (p["force"] == "A")].head(3).assign(source="s2", value=0.0)
    )
    p2 = pd.concat([p, extra])
    with pytest.raises(S.AmbiguousSourceError, match=r"'s1' \(2012Q2-2015Q1, 12 quarters\)"):
        S.series(p2, "count", force="A")
    assert (S.series(p2, "count", force="A", source="s1")["value"] > 0).all()
    assert len(S.series(p2, "count", force="A", source="s2")) == 3
    with pytest.raises(ValueError, match="no rows from source 's3'"):
        S.series(p2, "count", force="A", source="s3")
    # the same rule in every view of the panel
    with pytest.raises(S.AmbiguousSourceError):
        S.annual(p2.assign(fiscal_quarter=""), "count", force="A")
    with pytest.raises(S.AmbiguousSourceError):
        S.control_panel(p2, "count", "A")


def test_non_overlapping_sources_are_joined(make_panel):
    p = make_panel(n=12)
    m = (p["measure"] == "count") & (p["force"] == "A")
    p.loc[m & (p["quarter"] >= "2014Q1"), "source"] = "later"
    s = S.series(p, "count", force="A")
    assert len(s) == 12 and s.attrs["source"] == "later; s1"


def test_offset_interpolation(make_panel):
    p = make_panel(n=12)
    keep = ~((p["measure"] == "population") & p["quarter"].isin(["2013Q1", "2013Q2"]))
    s = S.series(p[keep], "count", force="A", offset="population", offset_fill="interpolate")
    assert len(s) == 12 and s.attrs["offset_filled"] == 2
    s2 = S.series(p[keep], "count", force="A", offset="population")
    assert len(s2) == 10 and s2.attrs["offset_dropped"] == 2


def test_coverage_and_feasibility(make_panel):
    p = make_panel(n=40)  # 2012Q2 .. 2022Q1
    s = S.series(p, "count", force="A")
    assert coverage_around(s, "2020Q3") == (33, 7)
    assert coverage_around(s, "2020Q3", exclude=["2020Q2", "2020Q4"]) == (32, 6)
    f = check_feasible(s, "2020Q3", min_pre=8, min_post=8)
    assert not f and "7 quarters from it (need 8)" in f.message
    assert check_feasible(s, "2018Q1")
    cov = S.coverage(p)
    assert set(cov["measure"]) == {"count", "population", "rate"}
    assert (cov["quarters"] == 40).all() and (cov["forces"] == 3).all()


def test_lagged_offset_is_the_mean_of_the_previous_quarters(make_panel):
    p = make_panel(n=20)
    s = S.series(p, "count", force="A", start="2013Q2", offset="population", offset_lag=4)
    pop = S.series(p, "population", force="A").set_index("quarter")["value"]
    q = s["quarter"].iloc[0]
    assert s["offset"].iloc[0] == pytest.approx(pop.loc[q - 4 : q - 1].mean())
    assert s.attrs["offset_lag"] == 4
    # the first four quarters of the denominator have no full previous year: dropped, counted
    s0 = S.series(p, "count", force="A", offset="population", offset_lag=4)
    assert s0["quarter"].min() == pd.Period("2013Q2", "Q") and s0.attrs["offset_dropped"] == 4
    with pytest.raises(ValueError, match="lag must be >= 0"):
        S.series(p, "count", force="A", offset="population", offset_lag=-1)


def test_funnel_keeps_units_and_never_fills_a_gap(make_panel):
    p = make_panel(n=12)  # 2012/13 .. 2014/15
    p = p.assign(measure=p["measure"].replace({"count": "recorded_rape"}))
    cps = pd.DataFrame(
        {
            "kind": "transcribed",
            "measure": ["charges", "convictions", "charges"],
            "period_type": "financial_year",
            "period": ["2013-14", "2013-14", "2014-15"],
            "value": [300.0, 200.0, 310.0],
            "source_url": ["u1", "u1", "u2"],
        }
    )
    moj = pd.DataFrame({"year": [2013, 2013], "sentenced": [60, 40]})
    f = S.funnel(p, cps, moj).set_index(["fiscal_year", "step"])
    rec = S.annual(p, "recorded_rape", force=NATIONAL)
    assert f.loc[("2013/14", 1), "value"] == rec["2013/14"]
    assert f.loc[("2013/14", 3), "unit"] == "suspects"
    assert f.loc[("2013/14", 5), "per_100_recorded"] == pytest.approx(100 * 200 / rec["2013/14"])
    assert f.loc[("2013/14", 6), "value"] == 100  # calendar 2013 shown in 2013/14
    assert f.loc[("2013/14", 6), "period_basis"] == "calendar year"
    assert ("2014/15", 5) not in f.index  # no convictions figure: no row, not zero
    assert ("2013/14", 2) not in f.index  # no police charges in this panel


def test_control_panel_balanced_drops_incomplete(make_panel):
    p = make_panel(n=12)
    p = p[~((p["force"] == "C") & (p["quarter"] == "2013Q1"))]
    cp = S.control_panel(p, "rate", "A")
    assert cp.attrs["dropped_controls"] == ["C"] and NATIONAL not in set(cp["force"])
    with pytest.raises(ValueError, match="without data"):
        S.control_panel(p, "rate", "A", controls=["Z"])
    with pytest.raises(ValueError, match="did you mean 'A'"):
        S.control_panel(p, "rate", "AA")


def test_fiscal_year_views(make_panel):
    p = make_panel(n=12)  # 2012Q2 (2012/13 Q1) .. 2015Q1 (2014/15 Q4)
    a = S.annual(p, "count", force="A")
    assert list(a.index) == ["2012/13", "2013/14", "2014/15"]
    q = S.series(p, "count", force="A")
    assert a["2013/14"] == q["value"].iloc[4:8].sum()
    assert S.rolling_year(p, "count", "2013/14 Q4", force="A") == a["2013/14"]
    assert S.rolling_year(p, "count", "2015/16 Q1", force="A") is None
    assert S.annual(None, "count").empty and S.fiscal_series(p, "nothing") is None


_PANEL = paths.DATA_PROCESSED / "panel.parquet"


@pytest.mark.mirror
@pytest.mark.skipif(not _PANEL.exists(), reason="processed panel not built (make data)")
def test_real_panel_coverage_around_interruptions():
    p = S.load_panel()
    with pytest.raises(S.AmbiguousSourceError, match="2024 edition"):
        S.series(p, "rape_charged_in_quarter")
    charges = S.series(p, "rape_charged_in_quarter", source="charged_nat")
    assert "2024 edition" in charges.attrs["source"]
    assert coverage_around(charges, "2020Q3") == (25, 16)
    wm = S.series(p, "recorded_rape_per_100k", force="West Midlands", start="2014Q2", end="2020Q4")
    assert coverage_around(wm, "2018Q4") == (18, 9)
    cohort = S.series(p, "rape_charge_rate_cohort", force="West Midlands")
    assert not check_feasible(cohort, "2018Q4", min_pre=8, min_post=4)
    assert set(p["geography"]) == {"national", "force", "cps_area"}
    area = S.series(p, "recorded_rape", force="CPS West Midlands", geography="cps_area")
    forces = [
        S.series(p, "recorded_rape", force=f).set_index("quarter")["value"]
        for f in ("West Midlands", "Staffordshire", "Warwickshire", "West Mercia")
    ]
    pd.testing.assert_series_equal(
        area.set_index("quarter")["value"], sum(forces), check_names=False
    )
    assert "CPS West Midlands" not in set(S.area_panel(p, "recorded_rape")["force"])
    assert (p.loc[p["geography"] == "national", "force"] == NATIONAL).all()


def test_edition_against_the_sum_of_the_forces():
    from rasso_research.data.forces import FORCES

    rows = [
        {
            "quarter": "2018Q1",
            "geography": "national",
            "force": NATIONAL,
            "measure": "m",
            "value": 500.0,
            "source": "nat",
        },
        {
            "quarter": "2018Q2",
            "geography": "national",
            "force": NATIONAL,
            "measure": "m",
            "value": 430.0,
            "source": "nat",
        },
    ]
    for q, forces in (("2018Q1", FORCES), ("2018Q2", FORCES[:-1])):  # one force missing
        rows += [
            {
                "quarter": q,
                "geography": "force",
                "force": f,
                "measure": "m",
                "value": 10.0,
                "source": "ed",
            }
            for f in forces
        ]
    e = S.edition_vs_forces(pd.DataFrame(rows), "m", "nat")
    assert e["quarter"].tolist() == ["2018Q1"]  # 2018Q2 lacks a force: not compared
    assert e.loc[0, "forces_43"] == 430.0 and e.loc[0, "ratio"] == pytest.approx(500 / 430)
    assert e.loc[0, "forces_source"] == "ed"


def test_a_later_release_replaces_the_editions_it_supersedes_where_both_cover_a_quarter():
    from rasso_research.data import catalog

    old, new = catalog.label("out_2019"), catalog.label("ho_official")
    rows = pd.DataFrame(
        {
            "quarter": ["2018Q2", "2018Q3", "2018Q3", "2018Q4"],
            "geography": "national",
            "force": NATIONAL,
            "measure": "m",
            "value": [1.0, 2.0, 20.0, 30.0],
            "source": [old, old, new, new],
        }
    )
    s = S.select(rows, "m")
    assert s.set_index("quarter")["value"].to_dict() == {
        pd.Period("2018Q2", "Q"): 1.0,  # only the old edition has it: kept
        pd.Period("2018Q3", "Q"): 20.0,  # both: the later release
        pd.Period("2018Q4", "Q"): 30.0,
    }
    other = rows.assign(source=rows["source"].replace(new, catalog.label("charged_nat")))
    with pytest.raises(S.AmbiguousSourceError, match="pass source="):
        S.select(other, "m")  # no supersession declared between these two: the caller chooses
