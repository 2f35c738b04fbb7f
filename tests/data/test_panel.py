"""Integration: fetch from the mirror into a temporary folder, build the panel, check
published totals. Skipped only when no data mirror is available."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from rasso_research.data import forces, panel

pytestmark = pytest.mark.mirror
NAT = forces.NATIONAL


@pytest.fixture(scope="module")
def built(fetched_raw, tmp_path_factory):
    raw, out = fetched_raw, tmp_path_factory.mktemp("data") / "processed"
    t0 = time.perf_counter()
    p = panel.build_panel(raw, out, progress=False)
    return {"panel": p, "raw": raw, "out": out, "seconds": time.perf_counter() - t0}


def _fy(p, measure, fy, force=NAT, source=None):
    s = p[(p.measure == measure) & (p.force == force) & p.fiscal_quarter.str.startswith(fy)]
    if source is not None:
        s = s[s.source.str.contains(source, regex=False)]
    assert s.fiscal_quarter.nunique() == len(s), "several sources for one quarter"
    return s.value.sum()


def test_build_is_fast(built):
    assert built["seconds"] < 60


def test_recorded_rape_published_totals(built):
    p = built["panel"]
    assert _fy(p, "recorded_rape", "2017/18") == 54889
    assert _fy(p, "recorded_rape", "2018/19") == 59965
    forces_rows = p[(p.measure == "recorded_rape") & (p.geography == "force")]
    assert forces_rows.force.nunique() == 43
    assert set(forces_rows.force_code.str[:3]) == {"E23", "W15"}


def test_national_is_sum_of_forces(built):
    p = built["panel"]
    r = p[p.measure == "recorded_rape"]
    f = r[r.geography == "force"].groupby("fiscal_quarter").value.sum()
    n = r[r.force == NAT].set_index("fiscal_quarter").value
    pd.testing.assert_series_equal(f.sort_index(), n.sort_index(), check_names=False)


def test_cohort_outcomes_from_the_right_edition(built):
    p = built["panel"]
    assert _fy(p, "rape_charged_cohort", "2017/18", source="Mar 2018") == 2235
    assert _fy(p, "rape_outcomes_cohort", "2017/18", source="Mar 2018") == 53906
    assert _fy(p, "rape_charged_cohort", "2018/19", source="Mar 2019") == 1321
    assert _fy(p, "rape_outcomes_cohort", "2018/19", source="Mar 2019") == 59461
    # in-quarter measure of the same editions, kept apart from the 2024 national series
    assert _fy(p, "rape_charged_in_quarter", "2017/18", source="Mar 2018") == 3853
    assert _fy(p, "rape_charged_in_quarter", "2018/19", source="Mar 2019") == 2371
    rate = p[
        (p.measure == "rape_charge_rate_cohort")
        & (p.force == NAT)
        & p.fiscal_quarter.str.startswith("2017/18")
    ]
    assert rate.value.between(2, 6).all()


def test_national_charged_closure_series(built):
    p = built["panel"]
    assert _fy(p, "rape_charged_in_quarter", "2019/20", source="2024 edition") == 2440
    assert _fy(p, "rape_charged_in_quarter", "2023/24", source="2024 edition") == 4997
    assert _fy(p, "rape_charged_in_quarter", "2014/15", source="2024 edition") == 4414
    s = p[(p.measure == "rape_charged_in_quarter") & p.source.str.contains("2024 edition")]
    assert set(s.force) == {NAT} and s.fiscal_quarter.nunique() == 41


def test_cps_sexual_offences(built):
    p = built["panel"]
    for fy, v in {"2015/16": 11605, "2016/17": 13045, "2017/18": 11685, "2018/19": 9716}.items():
        assert _fy(p, "cps_sexual_offences_convictions", fy, source="(quarterly)") == v
    c = p[(p.measure == "cps_sexual_offences_convictions") & p.source.str.contains("quarterly")]
    assert (
        c[c.geography == "force"].force.nunique() == 42
    )  # the Met and City of London are one CPS area
    r = p[p.measure == "cps_sexual_offences_conviction_rate"].value
    assert r.between(0, 100).all()


def test_population_and_rates(built):
    p = built["panel"]
    pop = p[(p.measure == "population") & (p.fiscal_quarter == "2018/19 Q1")]
    assert pop[pop.geography == "force"].force.nunique() == 43
    assert abs(pop[pop.force == NAT].value.iloc[0] - 59_115_800) < 1000
    rate = p[
        (p.measure == "recorded_rape_per_100k")
        & (p.force == NAT)
        & (p.fiscal_quarter == "2018/19 Q1")
    ]
    rec = _fy(p, "recorded_rape", "2018/19 Q1")
    assert rate.value.iloc[0] == pytest.approx(
        1e5 * rec / pop[pop.force == NAT].value.iloc[0], rel=1e-6
    )
    table = pd.read_csv(built["out"] / "population.csv")
    assert table.groupby("year").force.nunique().eq(43).all()
    # mid-2019..2023 from the 2021-Census-based edition: nothing interpolated, and its E&W
    # total (README: 59,317,788 at mid-2019, 60,854,727 at mid-2023)
    assert not table["interpolated"].any()
    ew = table.groupby("year")["population"].sum()
    assert ew[2019] == 59_317_788 and ew[2023] == 60_854_727
    rebased = table[table.year.between(2019, 2023)]
    assert rebased["source"].str.contains("2021-Census-based").all()


def test_side_tables(built):
    out = built["out"]
    for f in (
        "panel.parquet",
        "panel.csv",
        "cps_rape_national.parquet",
        "cps_rape_national.csv",
        "population.csv",
        "population_vintage.csv",
        "force_year.parquet",
        "force_year.csv",
        "btp_share.csv",
        "recorded_rape_revision.csv",
        "data_quality.md",
        "data_quality.csv",
    ):
        assert (out / f).exists(), f
    rev = pd.read_csv(out / "recorded_rape_revision.csv").set_index("force")
    assert rev.loc[NAT, "release_2018"] == 54020 and rev.loc[NAT, "release_2026"] == 54889
    cps = pd.read_csv(out / "cps_rape_national.csv", keep_default_na=False)
    assert (cps.kind == "transcribed").sum() == 314
    s = cps[(cps.kind == "series") & (cps.measure == "charges") & (cps.period == "2016-17")]
    assert float(s.value.iloc[0]) == 3671
    dq = (out / "data_quality.md").read_text()
    assert "British Transport Police" in dq and "Coverage" in dq
    assert "## row accounting" in dq and "## values set to missing" in dq


def test_panel_schema_and_determinism(built, tmp_path):
    p = built["panel"]
    assert list(p.columns) == panel.PANEL_COLUMNS
    assert not p.duplicated(["fiscal_quarter", "force", "measure", "source"]).any()
    again = panel.build_panel(built["raw"], tmp_path, progress=False)
    pd.testing.assert_frame_equal(p, again)
    assert (tmp_path / "panel.csv").read_bytes() == (built["out"] / "panel.csv").read_bytes()
    assert (tmp_path / "data_quality.md").read_bytes() == (
        built["out"] / "data_quality.md"
    ).read_bytes()


def test_moj_tables(built):
    s = pd.read_csv(built["out"] / "moj_rape_sentenced.csv")
    totals = s.groupby("year").sentenced.sum()
    assert totals.loc[[2016, 2017, 2018, 2019]].tolist() == [1347, 1130, 919, 698]
    t = pd.read_csv(built["out"] / "moj_rape_timeliness.csv")
    a = t[
        (t.year == 2018) & (t.offence == "All rape") & (t.measure == "mean_offence_to_charge_days")
    ]
    assert a.value.max() - a.value.min() < 0.01  # the two MoJ files agree for 2018


def test_force_year_table(built):
    """Annual table: frequency stated, the national row the sum of the 43 forces (missing when
    one is), rates on the mid-year population at the start of the financial year."""
    fy = pd.read_parquet(built["out"] / "force_year.parquet")
    assert set(fy["frequency"]) == {"annual"}
    sex = fy[(fy["offence_group"] == "Sexual offences") & (fy["measure"] == "charged_closed")]
    nat = sex[sex["geography"] == "national"].set_index("fiscal_year")["value"]
    tot = sex[sex["geography"] == "force"].groupby("fiscal_year")["value"].sum(min_count=43)
    tot = tot.where(sex[sex["geography"] == "force"].groupby("fiscal_year")["value"].count() == 43)
    pd.testing.assert_series_equal(nat, tot, check_names=False)
    # Greater Manchester did not supply 2019/20 Q2-Q4 on the closure measure: missing, not a
    # fall, and so is the national total
    gm = sex[(sex["force"] == "Greater Manchester") & (sex["fiscal_year"] == "2019/20")].iloc[0]
    assert np.isnan(gm["value"]) and gm["flag"].startswith("not supplied by the force in")
    assert np.isnan(nat["2019/20"])
    wm = sex[(sex["force"] == "West Midlands") & (sex["fiscal_year"] == "2019/20")].iloc[0]
    assert wm["population"] == 2_921_091  # mid-2019
    assert wm["per_100k"] == pytest.approx(1e5 * 514 / 2_921_091)
    assert fy.loc[fy["fiscal_year"] == "2025/26", "per_100k"].isna().all()  # no mid-2025
    btp = pd.read_csv(built["out"] / "btp_share.csv")
    b = btp[(btp["offence_group"] == "Sexual offences") & (btp["measure"] == "charged_closed")]
    b = b.set_index("fiscal_year")
    assert b.loc["2014/15", "btp"] == 286 and b.loc["2014/15", "forces_43"] == 15_185
    assert b.loc["2014/15", "btp_pct"] == pytest.approx(100 * 286 / (286 + 15_185))
