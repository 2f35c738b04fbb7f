"""Notebook 03's conclusion (rasso_research.views.wm_answer) from small tables: every "k of
n" is counted from the table it summarises, and changing one row changes the sentence."""

from __future__ import annotations

import pandas as pd
import pytest

from rasso_research.views import wm_answer as W

SERIES = "Sexual offences: charges (closed in the year) per 100,000"
CONTROL = "Theft offences: charges (closed in the year) per 100,000"


@pytest.fixture
def readings():
    rows = {
        "6a": ("Referrals rose 79.6%", "79.6", "Area pre-charge receipts", "Dec 2018 to Dec 2020"),
        "6b": (
            "The share charged rose from 38.4% to 71.4%",
            "71.4",
            "Area charge rate",
            "Dec 2020",
        ),
        "6c": ("Conviction rate rose", "79.5", "Area conviction rate", "Dec 2020"),
        "6d": ("A 33% rise in charges", "33", "Area RASSO charges", "period not stated"),
        "6i": ("(as 6b) the start", "38.4", "Area charge rate", "Dec 2018"),
    }
    df = pd.DataFrame.from_dict(
        rows, orient="index", columns=["claim", "published_value", "measure", "periods"]
    )
    return df.assign(who="CPS West Midlands", date="2021")


CLAIM = {"reading": "6d", "pct": 33.0, "base_year": "2018/19"}


def _row(unit, window, method, est, lo, hi, p=0.4, mde=8.0, claim=4.0):
    return {
        "unit": unit,
        "timing": "pre",
        "part_year": "2018/19",
        "window": window,
        "first_year": "2019/20",
        "last_year": "2020/21" if window == "primary" else "2024/25",
        "series": SERIES,
        "method": method,
        "estimate": est,
        "ci_low": lo,
        "ci_high": hi,
        "placebo_p": p,
        "mde": mde,
        "n_donors": 30,
        "n_pre": 5,
        "n_post": 2 if window == "primary" else 6,
        "claim_pct": 33.0,
        "base_year": "2018/19",
        "claim_per_100k": claim,
    }


@pytest.fixture
def tab():
    rows = [
        _row(u, w, m, -3.0, -9.0, 2.0)
        for u in ("CPS Area", "Force")
        for w in ("primary", "long")
        for m in ("sdid", "did")
    ]
    return pd.DataFrame(rows)


def _eff_row(unit, role, method, est, p, series=SERIES, min_p=0.03):
    return {
        "treated": unit,
        "series": series,
        "role": role,
        "per_100k": True,
        "method": method,
        "estimate": est,
        "ci_low": est - 5,
        "ci_high": est + 5,
        "placebo_p": p,
        "min_p": min_p,
    }


@pytest.fixture
def eff():
    rows = []
    for unit, floor in (("CPS Area", 0.083), ("Force", 0.03)):
        for m in ("sdid", "did"):
            rows.append(_eff_row(unit, "target", m, -3.0, 0.3, min_p=floor))
            rows.append(_eff_row(unit, "negative control", m, -20.0, 0.2, CONTROL, floor))
    return pd.DataFrame(rows)


@pytest.fixture
def reb():
    return pd.DataFrame(
        [
            {
                "series": SERIES,
                "treated": "Force",
                "trough": "2018/19",
                "next_period": "2019/20",
                "trend_years": 3,
                "deviation": -0.42,
                "deviation_pct": -34.4,
                "rebound": 0.3,
                "rebound_pct": 34.7,
                "n_qualifying": 23,
                "n_at_least": 7,
                "placebo_rate": 7 / 23,
                "below_trend": True,
                "enough": True,
            }
        ]
    )


@pytest.fixture
def tri():
    rows = [
        {
            "unit": "Force",
            "window": w,
            "target": "Sexual offences",
            "series": "Sexual offences vs 3 control groups, log ratio: charges (closed in the year)",
            "method": m,
            "estimate": 0.04,
            "ci_low": -0.25,
            "ci_high": 0.34,
            "mde": 0.43,
        }
        for w in ("primary", "long")
        for m in ("sdid", "did")
    ]
    return pd.DataFrame(rows)


def _conclusion(readings, tab, eff, reb, tri):
    return W.describe_conclusion(readings, CLAIM, tab, "pre", eff, reb, tri, why="Soteria")


def test_the_claim_and_its_arithmetic(readings):
    text = W.describe_claim(readings, CLAIM)
    assert '"A 33% rise in charges" (6d)' in text
    assert "6d: Area RASSO charges, period not stated" in text
    # 1.796 x 71.4 / 38.4 = 3.34
    assert "charges x3.34 (+234%), not the +33% of 6d" in text
    assert W.charges_arithmetic(readings.drop(index="6i")) == ""


def test_the_counts_come_from_the_tables(readings, tab, eff, reb, tri):
    text = _conclusion(readings, tab, eff, reb, tri)
    assert "## " not in text  # the notebook's heading is its own cell
    assert (
        "Of the 4 primary-window estimates (2 units x 1 series x 2 methods), 4 are negative" in text
    )
    assert "0 have a 95% CI above zero and 0 below zero" in text
    assert "None shows a rise beyond the donors'." in text
    assert "All 4 primary-window MDEs (every unit, series and method) exceed the claimed" in text
    assert "In 4 of 4 the 95% CI lies wholly below the claimed change" in text
    assert "- Force: 0 of 2 target estimates with placebo p <= 0.05" in text
    assert "0 of 2 negative-control estimates with placebo p <= 0.05" in text
    # the Area's donors cannot give p <= 0.05: said, and left out of the comparison
    assert "Its donors allow no placebo p below 0.083" in text
    assert "Neither the target nor the negative controls reach p <= 0.05." in text
    assert "(negative: 4 of 4 and 4 of 4)" in text
    assert "7 of 23 donor years at least as far below trend rose at least as much (30%)" in text
    assert "common among the donors" in text
    assert "not computed for CPS Area" in text
    assert "2 of 2 estimates have a 95% CI including zero" in text
    assert "the triple difference finds no change specific to sexual offences" in text
    assert "up to 2 per 100,000 a year, lies inside at least one interval" in text
    assert "5 pre-years and 2 post-years of the primary window give MDEs of 8" in text
    assert (
        "(2019/20-2024/25) goes beyond the event the primary window stops before (Soteria)" in text
    )


def test_the_other_timings_are_counted(tab):
    both = pd.concat([tab, tab.assign(timing="dropped")], ignore_index=True)
    j = both.index[(both["timing"] == "dropped") & (both["window"] == "primary")][0]
    both.loc[j, ["ci_low", "ci_high"]] = [-9.0, -1.0]
    text = W.describe_findings(both, "pre")
    assert (
        "With 2018/19 left out instead (the timing table), 0 of the 4 primary-window estimates "
        "have a 95% CI above zero and 1 below zero." in text
    )
    assert "Of the 4 primary-window estimates" in text  # the primary timing's own count


def test_a_negative_control_below_005_changes_the_sentence(readings, tab, eff, reb, tri):
    before = W.describe_negative_controls(eff)
    j = eff.index[(eff["treated"] == "Force") & (eff["role"] == "negative control")][0]
    eff.loc[j, "placebo_p"] = 0.01
    after = W.describe_negative_controls(eff)
    assert after != before
    assert "1 of 2 negative-control estimates with placebo p <= 0.05" in after
    # counted only where the donors allow it: the Force's 2 targets and 2 controls
    assert "at least as often as the target (1 of 2 against 0 of 2)" in after
    # the same change on the Area, whose donors allow no p <= 0.05, counts in its line only
    k = eff.index[(eff["treated"] == "CPS Area") & (eff["role"] == "negative control")][0]
    eff.loc[k, "placebo_p"] = 0.01
    assert "(1 of 2 against 0 of 2)" in W.describe_negative_controls(eff)


def test_an_mde_below_the_claim_changes_the_sentence(readings, tab, eff, reb, tri):
    j = tab.index[(tab["window"] == "primary") & (tab["unit"] == "Force")][0]
    tab.loc[j, "mde"] = 3.0
    text = W.describe_detectable(tab, "pre")
    assert "3 of 4 primary-window MDEs exceed the claimed change" in text
    assert "1 is below it" in text
    assert "too coarse" not in W._in_short(tab, "pre", eff, reb, tri, 0.05)
    tab.loc[tab["window"] == "primary", "mde"] = 3.0
    assert "All 4 primary-window MDEs are below the claimed change" in W.describe_detectable(
        tab, "pre"
    )


def test_a_rise_a_rare_rebound_and_a_triple_difference_away_from_zero(readings, tab, eff, reb, tri):
    j = tab.index[(tab["window"] == "primary") & (tab["method"] == "did")][0]
    tab.loc[j, ["estimate", "ci_low", "ci_high"]] = [6.0, 1.0, 11.0]
    reb.loc[0, ["n_at_least", "placebo_rate"]] = [1, 1 / 23]
    k = tri.index[(tri["window"] == "primary") & (tri["method"] == "did")][0]
    tri.loc[k, ["estimate", "ci_low", "ci_high"]] = [-0.3, -0.6, -0.02]
    text = _conclusion(readings, tab, eff, reb, tri)
    assert "1 has a 95% CI above zero" in text
    assert "A rise beyond the donors' in: CPS Area, charges (closed in the year), DiD." in text
    assert "1 of 4 primary-window estimates shows a rise beyond the donors'" in text
    assert "1 of 23 donor years" in text and "rare among the donors" in text
    assert "1 of 2 estimates has a 95% CI including zero" in text
    assert "1 of 2 primary-window triple-difference estimates excludes zero (below zero)" in text
    assert "These data give no support" not in text


def test_no_rebound_and_too_few_donor_years(reb):
    fell = reb.assign(rebound=-0.16, rebound_pct=-14.9)
    assert "fell 14.9% to 2019/20: there was no rebound to explain" in W.describe_rebound_check(
        fell
    )
    few = reb.assign(enough=False, n_qualifying=4, placebo_rate=float("nan"))
    assert "only 4 donor years" in W.describe_rebound_check(few)
