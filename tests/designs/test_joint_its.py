"""Several interventions in one ITS (rasso_research.designs.joint_its) on simulated series
with known level changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rasso_research import designs as D
from rasso_research.designs.joint_its import (
    INFLATION_MAX,
    MIN_INFORMATIVE,
    compare_joint,
    design_identifiability,
    fit_joint,
    joint_spec,
)
from rasso_research.its import Interruption
from rasso_research.views import joint_its as V
from rasso_research.views.joint_its import (
    describe_joint,
    describe_joint_choice,
    describe_leave_one_out,
)

BASE = D.QUARTERLY.replace(family="quasipoisson", season=None)


def counts(steps: dict[str, float], n: int = 48, start: str = "2014Q1", seed: int = 4):
    """Poisson counts around 400 a quarter with a 1% a quarter trend, AR(1) noise on the log
    scale (phi 0.4, sd 0.03) and a log-level step at each quarter of ``steps``."""
    rng = np.random.default_rng(seed)
    q = pd.period_range(start, periods=n, freq="Q")
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = 0.4 * e[i - 1] + rng.normal(0, 0.03)
    eta = np.log(400) + 0.01 * np.arange(n) + e
    for at, b in steps.items():
        eta += b * (q >= pd.Period(at, "Q"))
    return pd.DataFrame({"quarter": q, "t": np.arange(1, n + 1), "value": rng.poisson(np.exp(eta))})


def test_joint_model_recovers_each_level_change():
    s = counts({"2018Q1": 0.3, "2020Q1": -0.2})
    res = fit_joint({"s": s}, BASE, {"A": "2018Q1", "B": "2020Q1"}, slopes="none")
    t = res.table().set_index("intervention")
    assert t.loc["A", "estimate"] == pytest.approx(0.3, abs=0.08)
    assert t.loc["B", "estimate"] == pytest.approx(-0.2, abs=0.08)
    for name in "AB":
        assert t.loc[name, "ci_low"] < t.loc[name, "estimate"] < t.loc[name, "ci_high"]
        assert t.loc[name, "mde"] > 0
    assert t.loc["A", "estimate_pct"] == pytest.approx(100 * np.expm1(t.loc["A", "estimate"]))
    ident = res.identifiability()
    # eight quarters apart: the other date costs each term little
    assert (ident["verdict"] == "separable").all()
    assert (ident["inflation"] < 2).all() and (ident["inflation"] >= 1 - 1e-9).all()
    # leaving B out, A's term has to absorb B's step (and the trend bends): it moves by more
    # than its standard error
    loo = res.leave_one_out().set_index(["left_out", "intervention"])
    assert loo.loc[("B", "A"), "estimate_joint"] == pytest.approx(t.loc["A", "estimate"])
    assert abs(loo.loc[("B", "A"), "shift_se"]) > 1
    assert "separable" in V.describe(res)


def test_package_effect_runs_to_the_last_quarter():
    s = counts({"2018Q1": 0.3, "2020Q1": -0.2})
    res = fit_joint({"s": s}, BASE, {"A": "2018Q1", "B": "2020Q1"}, slopes="none", horizons=(0, 4))
    e = res.effects()
    assert e["horizon"].tolist() == [0, 4, 31]  # 2018Q1 .. 2025Q4
    assert e["end"].tolist() == [False, False, True]
    # at the end both steps apply: exp(0.3 - 0.2) - 1 = 10.5%
    assert e.iloc[-1]["effect_pct"] == pytest.approx(10.5, abs=9)
    assert e.iloc[0]["effect_pct"] == pytest.approx(35.0, abs=10)


def test_one_intervention_is_not_inflated():
    s = counts({"2018Q1": 0.3})
    ident = design_identifiability(s, joint_spec(BASE, {"A": "2018Q1"}), ["A"])
    assert ident["inflation"].to_numpy() == pytest.approx(1.0)
    assert ident["vif"].gt(1).all()  # against the trend it is not 1


def test_close_dates_are_flagged_and_rank_deficiency_is_not_fitted():
    s = counts({"2020Q1": 0.2})
    excluded = BASE.replace(disrupted=["2020Q2"])  # the quarter between the two dates
    ints = {"A": "2020Q1", "B": "2020Q3"}
    res = fit_joint({"s": s}, excluded, ints, slopes="each")
    assert res.fits == {}
    ident = res.identifiability()
    assert (ident["verdict"] == "not identified").any()
    assert "rank-deficient" in V.describe(res)
    # with one slope the design has full rank, but two quarters apart the levels lean on each
    # other
    close = fit_joint({"s": s}, BASE, ints, slopes="first", leave_one_out=False)
    assert "s" in close.fits
    ident = close.identifiability().set_index("term")
    assert ident.loc["level_B", "inflation"] > 1.5
    assert np.isfinite(ident["inflation"]).all()


def test_joint_spec_keeps_breaks_and_checks_choices():
    spec = BASE.replace(interruptions=(Interruption("allan", "2018Q1"),))
    sp = joint_spec(spec, {"B": "2021Q1", "A": "2020Q3"}, slopes="first")
    assert [(i.name, i.slope) for i in sp.interruptions] == [
        ("allan", True),
        ("A", True),
        ("B", False),
    ]
    with pytest.raises(ValueError, match="slopes must be one of"):
        joint_spec(spec, {"A": "2020Q3"}, slopes="all")
    with pytest.raises(ValueError, match="at least one intervention"):
        joint_spec(spec, {})


def test_describe_joint_names_terms_that_cannot_be_separated():
    terms = pd.DataFrame(
        {
            "series": ["s", "s"],
            "intervention": ["A", "B"],
            "kind": ["level", "level"],
            "term": ["level_A", "level_B"],
            "estimate": [0.1, -0.1],
            "ci_low": [-0.2, -0.4],
            "ci_high": [0.4, 0.2],
            "estimate_pct": [10.5, -9.5],
            "ci_low_pct": [-18.1, -33.0],
            "ci_high_pct": [49.2, 22.1],
        }
    )
    ident = pd.DataFrame(
        {
            "series": ["s", "s"],
            "kind": ["level", "level"],
            "term": ["level_A", "level_B"],
            "quarter": ["2018Q1", "2020Q1"],
            "inflation": [1.2, 3.4],
            "max_abs_corr": [0.3, 0.3],
            "corr_with": ["level_B", "level_A"],
            "n_informative": [8, 2],
            "informative_quarters": ["2018Q1-2019Q4", "2020Q1-2020Q2"],
            "verdict": ["separable", "not separable"],
        }
    )
    text = describe_joint(terms, ident, pd.DataFrame(columns=["series"]))
    assert "cannot be separated" in text and "A +10.5% (-18.1% to +49.2%)" in text
    assert (
        "level_B rests on 2 informative quarters (2020Q1-2020Q2), fewer than 3, and the other "
        "dates multiply its variance by 3.4: read their sum" in text
    )
    ok = ident.assign(verdict="separable", inflation=1.2, n_informative=8)
    assert "separable (each rests on at least 3 informative quarters" in describe_joint(
        terms, ok, pd.DataFrame(columns=["series"])
    )


def test_compare_joint_reports_a_choice_that_is_not_identified():
    s = counts({"2020Q1": 0.2})
    ex = BASE.replace(disrupted=["2020Q2"])
    kw = dict(slopes="each", leave_one_out=False)
    ok = fit_joint({"s": s}, ex, {"A": "2020Q1", "B": "2021Q1"}, **kw)
    bad = fit_joint({"s": s}, ex, {"A": "2020Q1", "B": "2020Q3"}, **kw)
    cmp = compare_joint({"2021Q1": ok, "2020Q3": bad}, "B", "date")
    assert cmp["date"].tolist() == ["2021Q1", "2020Q3"]
    assert np.isfinite(cmp["estimate"].iloc[0]) and np.isnan(cmp["estimate"].iloc[1])
    assert cmp["verdict"].iloc[1] == "not identified"
    text = describe_joint_choice(cmp, "date")
    assert "not identified with `date` = 2020Q3" in text


def test_dates_that_cannot_be_told_apart_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="'A' and 'B' are both at 2020Q3"):
        joint_spec(BASE, {"A": "2020Q3", "B": "2020Q3"})
    spec = BASE.replace(interruptions=(Interruption("allan", "2018Q1"),))
    with pytest.raises(ValueError, match=r"shares its quarter with .*\['allan'\]"):
        joint_spec(spec, {"A": "2018Q1"})


def test_describe_leave_one_out_names_large_shifts():
    loo = pd.DataFrame(
        {
            "series": ["s", "s"],
            "left_out": ["B", "A"],
            "intervention": ["A", "B"],
            "kind": ["level", "level"],
            "shift_se": [1.5, -0.2],
        }
    )
    text = describe_leave_one_out(loo)
    assert text == (
        "1 of 2 refitted terms move by more than 1 standard error when a reform is left out: "
        "s, A level without B (1.5 SE)."
    )


# ---- informative quarters --------------------------------------------------------------
COVID = ["2020Q2", "2020Q4", "2021Q1"]
REFORMS = {"A": "2020Q3", "B": "2021Q1", "C": "2021Q3"}


def test_a_level_term_on_one_quarter_between_indicators_is_not_separable():
    """The national charge series' shape: 2014Q2-2024Q2 with a documented break at 2018Q1,
    quarter-of-year terms, dates at 2020Q3, 2021Q1 and 2021Q3 and each Covid-19 quarter its
    own indicator. A's level term rests on 2020Q3 alone (2020Q4 has its own indicator, 2021Q1
    is B's date); its variance inflation is below the limit, but the count decides."""
    s = counts({"2020Q3": 0.2}, n=41, start="2014Q2")
    base = BASE.replace(
        disrupted=COVID, season="quarter", interruptions=(Interruption("allan", "2018Q1"),)
    )
    spec = joint_spec(base, REFORMS, slopes="first")
    ident = design_identifiability(s, spec, list(REFORMS)).set_index("term")
    a = ident.loc["level_A"]
    assert a["n_informative"] == 1 and a["informative_quarters"] == "2020Q3"
    assert a["inflation"] < INFLATION_MAX  # the variance rule alone would call it separable
    b = ident.loc["level_B"]
    assert b["n_informative"] == 1 and b["informative_quarters"] == "2021Q2"
    c = ident.loc["level_C"]  # 2021Q3 to the end of the series
    assert c["n_informative"] == 12 and c["informative_quarters"] == "2021Q3-2024Q2"
    # the one slope, from A to the end, is informed by the steps within each stretch between
    # dates: none in the one-quarter stretches, 11 in 2021Q3-2024Q2
    sl = ident.loc["slope_A"]
    assert sl["n_informative"] == 11 and sl["informative_quarters"] == "2021Q4-2024Q2"
    res = fit_joint({"s": s}, base, REFORMS, leave_one_out=False)
    v = res.identifiability().set_index("term")
    assert v.loc["level_A", "verdict"] == "not separable"
    assert v.loc["level_B", "verdict"] == "not separable"
    assert v.loc[["slope_A", "level_C"], "verdict"].eq("separable").all()
    text = V.describe(res)
    assert "level_A rests on 1 informative quarter (2020Q3), fewer than 3" in text
    assert "level_C" not in text.split("read their sum")[0]
    assert MIN_INFORMATIVE == 3


def test_informative_quarters_with_one_shared_indicator_and_slopes_at_each_date():
    """A shared indicator removes no quarter of its own; with a slope at each date, a slope
    counts the steps up to the next date with a slope."""
    s = counts({"2018Q1": 0.2})
    ints = {"A": "2018Q1", "B": "2019Q1"}
    spec = joint_spec(BASE.replace(disrupted={"covid": ["2018Q2", "2018Q3"]}), ints, "each")
    ident = design_identifiability(s, spec, list(ints)).set_index("term")
    assert ident.loc["level_A", "n_informative"] == 4  # 2018Q1-2018Q4
    assert ident.loc["slope_A", "n_informative"] == 3  # the steps within 2018Q1-2018Q4
    assert ident.loc["level_B", "n_informative"] == 28  # 2019Q1-2025Q4
    assert ident.loc["slope_B", "n_informative"] == 27


# ---- anticipation leads ------------------------------------------------------------------
def test_leads_estimate_a_move_before_the_date():
    """A series that moved a quarter before A's date: the lead finds the move and A's level
    the rest; B's lead finds nothing. The leads are their own kind in the table."""
    s = counts({"2017Q4": 0.25, "2018Q1": 0.1, "2020Q1": -0.2})
    ints = {"A": "2018Q1", "B": "2020Q1"}
    sp = joint_spec(BASE, ints, slopes="none", leads=True)
    assert [(i.name, str(i.at), i.slope) for i in sp.interruptions] == [
        ("A", "2018Q1", False),
        ("B", "2020Q1", False),
        ("lead_A", "2017Q4", False),
        ("lead_B", "2019Q4", False),
    ]
    res = fit_joint({"s": s}, BASE, ints, slopes="none", leads=True)
    t = res.table().set_index(["intervention", "kind"])
    assert list(t.index) == [("A", "lead"), ("A", "level"), ("B", "lead"), ("B", "level")]
    assert t.loc[("A", "lead"), "term"] == "level_lead_A"
    assert t.loc[("A", "lead"), "estimate"] == pytest.approx(0.25, abs=0.1)
    assert t.loc[("A", "lead"), "ci_low"] > 0
    assert t.loc[("A", "level"), "estimate"] == pytest.approx(0.1, abs=0.1)
    lo, hi = t.loc[("B", "lead"), ["ci_low", "ci_high"]]
    assert lo < 0 < hi
    ident = res.identifiability().set_index("term")
    assert ident.loc["level_lead_A", "quarter"] == "2017Q4"
    assert ident.loc["level_lead_A", "n_informative"] == 1  # a lead's one quarter suffices
    assert ident.loc["level_lead_A", "verdict"] != "not identified"
    # A's level now rests on its date's quarters against the lead's: B's lead cuts them
    assert ident.loc["level_A", "n_informative"] == 7  # 2018Q1-2019Q3
    # leaving B out drops its lead too
    loo = res.leave_one_out()
    assert set(loo.loc[loo["left_out"] == "B", "kind"]) == {"lead", "level"}
    assert set(loo.loc[loo["left_out"] == "B", "intervention"]) == {"A"}
    text = V.describe(res)
    assert "Leads (a level change one quarter before each date" in text
    assert "A at 2017Q4 +" in text
    assert "reform terms" in text and "of 2 reform terms" in text  # leads are not counted
    # without leads nothing changes
    plain = fit_joint({"s": s}, BASE, ints, slopes="none", leave_one_out=False)
    assert "lead" not in set(plain.table()["kind"])


def test_a_lead_on_an_indicator_quarter_or_another_date_is_not_identified():
    s = counts({"2020Q1": 0.2})
    # on a quarter with its own indicator: the lead, the indicator and the level are dependent
    res = fit_joint(
        {"s": s}, BASE.replace(disrupted=["2020Q2"]), {"A": "2020Q3"}, slopes="none", leads=True
    )
    assert res.fits == {}
    ident = res.identifiability().set_index("term")
    assert ident.loc["level_lead_A", "verdict"] == "not identified"
    assert ident.loc["level_lead_A", "n_informative"] == 0
    assert "rank-deficient (level_lead_A, level_A)" in V.describe(res)
    # on another intervention's date: reported, not an error from the ITS library
    res = fit_joint({"s": s}, BASE, {"A": "2020Q1", "B": "2020Q2"}, slopes="none", leads=True)
    assert res.fits == {}
    ident = res.identifiability().set_index("term")
    assert ident.loc["level_lead_B", "quarter"] == "2020Q1"
    assert ident.loc["level_lead_B", "kind"] == "lead"
    assert ident.loc["level_lead_B", "n_informative"] == 0
    assert ident.loc[["level_lead_B", "level_A"], "verdict"].eq("not identified").all()
    assert ident.loc["level_lead_A", "verdict"] != "not identified"
