"""The two-unit annual comparison (rasso_research.studies.force_units) and the quarterly
prosecution series (rasso_research.studies.force_quarterly), with their view
(rasso_research.views.force_units): Area sums as a treated unit, donor exclusions and hygiene,
the three treatments of the part-exposed year, the two windows, the claim in the outcome's
units, figures with every year, and sentences generated from the tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rasso_research import designs as D
from rasso_research.data import series as S
from rasso_research.data.sources.cps_areas import load_cps_areas
from rasso_research.studies import force as F
from rasso_research.studies import force_quarterly as FQ
from rasso_research.studies import force_units as U
from rasso_research.views import force_units as V
from rasso_research.views.style import drawn_texts

YEARS = [f"{y}/{(y + 1) % 100:02d}" for y in range(2014, 2024)]
#: eight Areas of two forces each: Target shares "Mid" with "Mate", the tiny force "Tiny"
#: "Town" with F01; F02-F13 pair up as A0-A5 (F02 and F03 in A0, F06 and F07 in A2)
FORCES = ["Target", "Mate", "Tiny", *[f"F{i:02d}" for i in range(1, 14)]]
AREAS = pd.DataFrame(
    {
        "force": FORCES,
        "cps_area": ["Mid", "Mid", "Town", "Town"] + [f"A{i // 2}" for i in range(12)],
    }
)


def _fy(effect: float = 0.0, seed: int = 0, jump: str | None = None, gap: str | None = None):
    """A force-year table of the 16 forces: rates near 30 per 100,000 with a common trend,
    ``effect`` added to Target and Mate from 2019/20; ``jump`` a force whose 2016/17 value is
    five times its usual, ``gap`` a force not supplied in 2019/20 (missing, flagged)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, f in enumerate(AREAS["force"]):
        pop = 1e4 if f == "Tiny" else 1e6 * (1 + i / 8)
        base = rng.normal(30, 3)
        for k, fy in enumerate(YEARS):
            for m in ("charged_closed", "charged_cohort"):
                rate = base - 1.0 * k + rng.normal(0, 0.4)
                if f in ("Target", "Mate") and fy >= "2019/20":
                    rate += effect
                if f == jump and fy == "2016/17":
                    rate *= 5
                value, flag = rate * pop / 1e5, ""
                if f == gap and fy == "2019/20":
                    value, flag = np.nan, "not supplied by the force in 2019/20 Q2"
                rows.append(
                    {
                        "fiscal_year": fy,
                        "frequency": "annual",
                        "geography": "force",
                        "force": f,
                        "force_code": "",
                        "offence_group": "Sexual offences",
                        "measure": m,
                        "value": value,
                        "population": pop,
                        "per_100k": 1e5 * value / pop,
                        "flag": flag,
                        "source": "test",
                    }
                )
    return S.with_cps_areas(pd.DataFrame(rows), AREAS)


def _units(**kw):
    return U.treated_units("Target", AREAS, exclude=("Tiny",), **kw)


def test_the_units_and_their_exclusions():
    area, force = _units(soteria=("Target", "F05"))
    assert (area.name, area.geography, area.members) == ("CPS Mid", "cps_area", ("Mate", "Target"))
    assert area.excluded == {"CPS A1": "holds F05, an Operation Soteria year-1 pathfinder"}
    assert force.excluded["Mate"] == "in the CPS Mid Area with Target"
    assert force.excluded["Tiny"] == "named in the exclusions"
    assert force.excluded["F05"] == "an Operation Soteria year-1 pathfinder"
    assert "Target" not in force.excluded
    _, no_mates = _units(exclude_area_mates=False)
    assert "Mate" not in no_mates.excluded
    wm_area, wm = U.treated_units("West Midlands", load_cps_areas())  # config/cps_areas.csv
    assert wm_area.name == "CPS West Midlands" and len(wm_area.members) == 4
    assert sorted(wm.excluded) == ["City of London", "Staffordshire", "Warwickshire", "West Mercia"]
    assert wm.excluded["City of London"].startswith("about 10,000 residents")
    with pytest.raises(ValueError, match="unknown force 'Nowhere'.*cps_areas.csv"):
        U.treated_units("Nowhere", AREAS)


def test_annual_timing_has_three_treatments_of_the_part_exposed_year():
    assert U.annual_timing("2018Q4", "pre") == ("2019/20", (), "2018/19")
    assert U.annual_timing("2018Q4", "dropped") == ("2019/20", ("2018/19",), "2018/19")
    assert U.annual_timing("2018Q4", "treated") == ("2018/19", (), "2018/19")
    assert U.annual_timing("2019Q2", "dropped") == ("2019/20", (), "")  # no part-exposed year
    with pytest.raises(ValueError, match="timing must be one of"):
        U.annual_timing("2018Q4", "half")


def test_the_primary_window_stops_before_the_next_event():
    def table(fq, quarter):
        return pd.DataFrame(
            {
                "id": ["reform", "next"],
                "event": ["reform", "next event"],
                "short": ["", "next"],
                "quarter": ["2018Q4", quarter],
                "fiscal_quarter": ["2018/19 Q3", fq],
                "scope": ["Target", "Target"],
                "date": pd.to_datetime(["2018-12-01", "2021-01-01"]),
            }
        )

    # only the year's last quarter after the event: the year counts as before it
    assert U.primary_end("Target", "2018Q4", "2024/25", table("2020/21 Q4", "2021Q1")) == (
        "2020/21",
        "next from 2020/21 Q4",
    )
    assert U.primary_end("Target", "2018Q4", "2024/25", table("2020/21 Q2", "2020Q3"))[0] == (
        "2019/20"
    )
    assert U.primary_end("Other", "2018Q4", "2024/25", table("2020/21 Q4", "2021Q1")) == (
        "2024/25",
        "",
    )
    assert U.months_before("wm_joint_working") == ("2018/19", 8)
    assert U.part_exposure("wm_joint_working", "2018Q4") == ("2018/19", 8)
    assert U.part_exposure("wm_joint_working", "2019Q3") == ("2019/20", 3)  # by the quarter
    assert U.part_exposure("wm_joint_working", "2019Q2") == ("", 0)  # opens a year


def test_donor_hygiene_lists_jumps_and_gaps_and_marks_the_treated():
    fy = _fy(jump="F03", gap="F07")
    s = S.force_year_series(fy, "charged_closed", "Sexual offences", rate=True)
    h = U.donor_hygiene(s, "Target").set_index(["unit", "fiscal_year"])
    assert h.loc[("F03", "2016/17"), "rule"] == "jump"  # up five-fold
    assert h.loc[("F03", "2017/18"), "rule"] == "jump"  # and back
    assert h.loc[("F07", "2019/20"), "rule"] == "not supplied"
    assert not h["treated"].any()
    assert len(U.donor_hygiene(s, "Target", threshold=np.log(10))) == 1  # only the gap
    with pytest.raises(ValueError, match="threshold must be a positive"):
        U.donor_hygiene(s, "Target", threshold=0)


@pytest.fixture(scope="module")
def units_result():
    fy = _fy(effect=8.0, jump="F03", gap="F07")
    return U.compare_units(
        fy,
        _units(),
        "2018Q4",
        "2020/21",
        "2023/24",
        measures=["charged_closed"],
        negative_controls=(),
    )


def test_the_area_unit_is_the_sum_of_its_forces(units_result):
    lv = units_result.levels
    area = lv[lv["unit"] == "CPS Mid"].set_index("fiscal_year")["value"]
    fy = _fy(effect=8.0, jump="F03", gap="F07")
    f = fy[(fy["force"].isin(["Target", "Mate"])) & (fy["measure"] == "charged_closed")]
    g = f.groupby("fiscal_year")[["value", "population"]].sum()
    assert area.to_numpy() == pytest.approx((1e5 * g["value"] / g["population"]).to_numpy())


def test_donor_pools_and_hygiene_are_listed(units_result):
    d = units_result.donors()
    force = d[d["unit"] == "Target"].set_index("donor")
    assert force.loc["Mate", "status"] == "excluded" and force.loc["Tiny", "status"] == "excluded"
    assert force.loc["F03", "status"] == "dropped" and "log change" in force.loc["F03", "reason"]
    assert force.loc["F07", "status"] == "dropped" and "not supplied" in force.loc["F07", "reason"]
    area = d[d["unit"] == "CPS Mid"].set_index("donor")
    # F07's gap makes its Area-year missing: the Area is dropped, named by its member
    assert area.loc["CPS A2", "status"] == "dropped" and "F07" in area.loc["CPS A2", "reason"]
    assert (
        area.loc["CPS A0", "status"] == "dropped" and "log change" in area.loc["CPS A0", "reason"]
    )
    n_force_donors = (force["status"] == "donor").sum()
    assert n_force_donors == 16 - 1 - 2 - 2  # less Target, Mate and Tiny, F03 and F07
    text = V.describe_units(d, {"CPS Mid": "the CPS Mid Area", "Target": "the Target force"})
    assert "Treated unit: the CPS Mid Area" in text and "F07 (2019/20: not supplied" in text


def test_the_timing_table_has_three_rows_per_design(units_result):
    tab = units_result.effects()
    per = tab.groupby(["unit", "series", "window", "method"])["timing"].agg(sorted)
    assert per.map(len).eq(3).all() and per.iloc[0] == ["dropped", "pre", "treated"]
    t = tab[(tab["method"] == "sdid") & (tab["window"] == "primary")].set_index(["unit", "timing"])
    assert t.loc[("Target", "pre"), ["first_year", "left_out", "n_pre", "n_post"]].tolist() == [
        "2019/20",
        "",
        5,
        2,
    ]
    assert t.loc[("Target", "dropped"), ["left_out", "n_pre", "n_post"]].tolist() == [
        "2018/19",
        4,
        2,
    ]
    assert t.loc[("Target", "treated"), ["first_year", "n_pre", "n_post"]].tolist() == [
        "2018/19",
        4,
        3,
    ]
    # the effect of 8 added to both Area forces is found for the force and the Area
    assert t.loc[("Target", "pre"), "estimate"] == pytest.approx(8, abs=2)
    assert t.loc[("CPS Mid", "pre"), "estimate"] == pytest.approx(8, abs=2)


def test_the_windows_and_the_claim_in_the_outcomes_units(units_result):
    tab = units_result.effects()
    last = tab.groupby("window")["last_year"].agg(set)
    assert last["primary"] == {"2020/21"} and last["long"] == {"2023/24"}
    r = tab.iloc[0]
    assert r["claim_pct"] == U.claim_percent("6d")
    assert r["claim_per_100k"] == pytest.approx(r["claim_pct"] / 100 * r["base_level"])
    assert r["mde_over_claim"] == pytest.approx(r["mde"] / r["claim_per_100k"])
    assert r["base_year"] == "2018/19"
    with pytest.raises(ValueError, match="claim reading '99z' not in config/claims.csv"):
        U.claim_percent("99z")
    with pytest.raises(ValueError, match="not a % change"):
        U.claim_percent("6b")


def test_a_changed_row_changes_the_generated_sentences(units_result):
    tab = units_result.effects()
    before = V.describe_timing(tab, "pre")
    power = V.describe_power(tab, "pre", "6d")
    i = tab.index[(tab["unit"] == "Target") & (tab["timing"] == "dropped")][0]
    changed = tab.copy()
    changed.loc[i, ["estimate", "ci_low", "ci_high"]] = [-42.0, -50.0, -40.0]
    after = V.describe_timing(changed, "pre")
    assert before != after and "-42 (95% CI -50 to -40, below zero" in after
    n_below = int((changed.loc[changed["window"] == "primary", "ci_high"] < 0).sum())
    assert f"{n_below} below zero" in after.splitlines()[-1]
    j = tab.index[
        (tab["timing"] == "pre") & (tab["window"] == "primary") & (tab["method"] == "sdid")
    ]
    big = tab.copy()
    big.loc[j, "mde"] = big.loc[j, "claim_per_100k"] * 3
    assert V.describe_power(big, "pre", "6d") != power
    assert "times it): a rise of the claimed size" in V.describe_power(big, "pre", "6d")
    one = V.describe_timing(tab.assign(part_year=""), "pre")
    assert one.startswith("**No financial year is part-exposed, so one design")
    assert "left out" not in one


def _ticks(fig) -> set:
    return {t.get_text() for t in drawn_texts(fig)}


def test_the_figures_draw_every_year():
    res = U.compare_units(
        _fy(effect=8.0),
        _units(),
        "2018Q4",
        "2020/21",
        "2023/24",
        primary_timing="dropped",
        measures=["charged_closed"],
    )
    fig = V.plot_unit(res, "Target", "charged_closed", "next from 2020/21 Q4", "sdid")
    assert set(YEARS) <= _ticks(fig)  # 2018/19 (left out) and the years after the window
    assert "2018/19 left out (part-exposed)" in _ticks(fig)
    assert "after the primary window (next from 2020/21 Q4)" in _ticks(fig)
    ev = V.plot_unit(res, "CPS Mid", "charged_closed", "next", "event")
    assert set(YEARS) <= _ticks(ev) and "2018/19 left out (part-exposed)" in _ticks(ev)
    tim = V.plot_timing(res.effects(), res.effects()["series"].iloc[0], "dropped")
    assert "longer window, 2018/19 left out" in _ticks(tim)
    assert min(t.get_fontsize() for t in drawn_texts(fig)) >= 7


def _prosecution_panel(rape: bool, n: int = 22):
    """Quarterly counts of four forces in two Areas (and the Areas' sums): all-offence
    charges and population always; with ``rape``, what the official releases add."""
    rng = np.random.default_rng(3)
    q = pd.period_range("2015Q3", periods=n, freq="Q")
    areas = {"CPS North": ["A", "B"], "CPS South": ["C", "D"], "CPS West": ["E", "F"]}
    measures = ["all_charged_in_quarter", "all_charged_cohort", "population"]
    if rape:
        measures += [
            "rape_charged_in_quarter",
            "rape_charged_in_quarter_adult",
            "recorded_rape",
            "recorded_rape_adult",
            "rape_charged_cohort",
            "rape_outcomes_cohort",
        ]
    rows = []
    for forces in areas.values():
        for f in forces:
            for qq in q:
                for m in measures:
                    v = 1e6 if m == "population" else float(rng.poisson(200))
                    rows.append(
                        {
                            "quarter": str(qq),
                            "geography": "force",
                            "force": f,
                            "measure": m,
                            "value": v,
                            "source": "t",
                        }
                    )
    p = pd.DataFrame(rows)
    amap = {f: a for a, fs in areas.items() for f in fs}
    s = p.assign(force=p["force"].map(amap)).groupby(["quarter", "force", "measure"])["value"]
    sums = s.sum().reset_index().assign(geography="cps_area", source="t")
    return pd.concat([p, sums], ignore_index=True)


@pytest.mark.parametrize("rape", [False, True])
def test_the_quarterly_series_are_read_from_what_the_panel_holds(rape):
    panel = _prosecution_panel(rape)
    units = [
        U.Unit("CPS North", "cps_area", ("A", "B")),
        U.Unit("A", "force", ("A",), {"B": "in the CPS North Area with A"}),
    ]
    controlled = D.QUARTERLY.replace(family="ols", season="quarter")
    single = controlled.replace(cov_type="HAC")  # Newey-West: no bootstrap, a fast test
    pc = FQ.compare_prosecution(panel, units, "2018Q4", single, controlled, min_pre=8, min_post=4)
    held = pc.series.loc[pc.series["held"], "series"].tolist()
    assert len(held) == (7 if rape else 2)
    feas = pc.tables()["feasibility"]
    assert set(feas["treated_unit"]) == {"CPS North", "A"}
    assert feas["feasible"].all() and set(feas["series"]) == set(held)
    pools = pc.tables()["control_pools"].set_index(["treated_unit", "series"])
    assert (pools.xs("A")["excluded"] == "B").all()  # the Area-mate is not a control
    text = V.describe_prosecution(pc)
    adult = "Adult rape charges per 100 recorded adult rapes"
    assert (adult in text.split("Not in the panel")[0]) == rape
    assert "(negative control)" in text


def test_compare_area_leaves_out_excluded_controls(make_panel):
    p = make_panel(n=40, forces=("A", "B", "C", "D"))
    cmp = F.compare_area(
        p, "A", ["rate"], "2019Q3", D.QUARTERLY, D.QUARTERLY, start="2014Q1", exclude=["D"]
    )
    assert set(cmp.tables()["controls"]["force"]) == {"A", "B", "C"}
    assert cmp.pools.iloc[0]["excluded"] == "D" and cmp.pools.iloc[0]["n_controls"] == 2
