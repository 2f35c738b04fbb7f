"""Several interventions in one ITS (rasso_research.designs.joint_its) on simulated series
with known level changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rasso_research import designs as D
from rasso_research.designs.joint_its import (
    compare_joint,
    design_identifiability,
    fit_joint,
    joint_spec,
)
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
    from rasso_research.its import Interruption

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
            "term": ["level_A", "level_B"],
            "inflation": [1.2, 3.4],
            "max_abs_corr": [0.3, 0.3],
            "verdict": ["separable", "not separable"],
        }
    )
    text = describe_joint(terms, ident, pd.DataFrame(columns=["series"]))
    assert "cannot be separated" in text and "level_B" in text and "3.4" in text
    assert "A +10.5% (-18.1% to +49.2%)" in text


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
    from rasso_research.its import Interruption

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
