"""The CPS Area sums of the annual force-year table (data/sources/cps_areas.py,
``with_cps_areas``), the rates of two counts for any geography (data/derived.py), the rate
measures' labels and the controlled designs' panel of Areas (data/series.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rasso_research.data import series as S
from rasso_research.data.derived import rate_rows
from rasso_research.data.measures import measure, rate_name
from rasso_research.data.sources import cps_areas as A

AREAS = pd.DataFrame(
    {
        "force": ["F1", "F2", "F3", "F4"],
        "cps_area": ["North", "North", "South", "South"],
    }
)


def _fy():
    """Four forces x two years x one group, counts 10 x force number x year number."""
    rows = []
    for i, f in enumerate(["F1", "F2", "F3", "F4"], start=1):
        for k, y in enumerate(["2017/18", "2018/19"], start=1):
            for m in ("charged_closed", "charged_cohort"):
                v, pop = 10.0 * i * k, 1e5 * i
                rows.append(
                    {
                        "fiscal_year": y,
                        "frequency": "annual",
                        "geography": "force",
                        "force": f,
                        "force_code": f"E{i}",
                        "offence_group": "Sexual offences",
                        "measure": m,
                        "value": v,
                        "population": pop,
                        "per_100k": 1e5 * v / pop,
                        "flag": "",
                        "source": "test",
                    }
                )
    return pd.DataFrame(rows)


def test_area_years_sum_counts_and_population_and_recompute_the_rate():
    out = A.area_year_rows(_fy(), AREAS)
    n = out[(out["force"] == "CPS North") & (out["measure"] == "charged_closed")]
    n = n.set_index("fiscal_year")
    assert n.loc["2018/19", "value"] == 20 + 40 and n.loc["2018/19", "population"] == 3e5
    # the rate of the sums, not the sum (or mean) of the rates
    assert n.loc["2018/19", "per_100k"] == pytest.approx(1e5 * 60 / 3e5)
    assert (out["geography"] == "cps_area").all() and list(out.columns) == list(_fy().columns)


def test_a_missing_member_makes_the_area_year_missing_and_is_named():
    fy = _fy()
    gap = (fy["force"] == "F2") & (fy["fiscal_year"] == "2018/19")
    gap &= fy["measure"] == "charged_closed"
    fy.loc[gap, "value"] = np.nan
    fy.loc[gap, "flag"] = "not supplied by the force in 2018/19 Q2"
    out = A.area_year_rows(fy, AREAS).set_index(["force", "fiscal_year", "measure"])
    row = out.loc[("CPS North", "2018/19", "charged_closed")]
    assert np.isnan(row["value"]) and np.isnan(row["per_100k"])  # never a smaller sum
    assert row["flag"] == "F2: not supplied by the force in 2018/19 Q2"
    assert out.loc[("CPS North", "2018/19", "charged_cohort"), "value"] == 60  # other measure
    assert out.loc[("CPS South", "2018/19", "charged_closed"), "flag"] == ""


def test_a_measure_that_is_not_a_count_is_refused_by_name():
    fy = _fy().assign(measure="rape_charge_rate_cohort")
    with pytest.raises(ValueError, match=r"'rape_charge_rate_cohort'.*additive"):
        A.area_year_rows(fy, AREAS)


def test_with_cps_areas_and_the_annual_series_of_areas():
    fy = S.with_cps_areas(_fy(), AREAS)
    again = S.with_cps_areas(fy, AREAS)
    assert len(again) == len(fy)  # Area rows replaced, not doubled
    s = S.force_year_series(
        fy, "charged_closed", "Sexual offences", rate=True, geography="cps_area"
    )
    assert set(s["force"]) == {"CPS North", "CPS South"}
    assert s.attrs["geography"] == "cps_area"
    with pytest.raises(ValueError, match="no 'cps_area' rows.*with_cps_areas"):
        S.force_year_series(_fy(), "charged_closed", "Sexual offences", geography="cps_area")


def test_the_annual_measures_are_counts_with_labels():
    assert measure("charged_closed").additive and measure("oocd_cohort").additive
    assert measure("charged_closed").label == "Charges (closed in the year) per financial year"


def test_a_rate_measure_has_a_label_and_needs_two_counts():
    name = rate_name("rape_charged_in_quarter_adult", "recorded_rape_adult", 100, lag=4)
    assert name == "rape_charged_in_quarter_adult__per_100_recorded_rape_adult_lag4"
    assert measure(name).label == (
        "Adult rape charges per 100 recorded adult rapes (mean of the previous 4 quarters)"
    )
    pop = rate_name("all_charged_in_quarter", "population", 100_000)
    assert measure(pop).label.startswith(
        "Charges (all offences, closed in the quarter) per 100,000"
    )
    with pytest.raises(ValueError, match="'rape_charge_rate_cohort' is not additive"):
        rate_name("rape_charge_rate_cohort", "population", 100)


def _area_panel(n=8):
    """Quarterly counts of two Areas and three forces; count = 10 x quarter number."""
    rows = []
    q = pd.period_range("2018Q1", periods=n, freq="Q")
    for geo, names in (("cps_area", ["CPS North", "CPS South"]), ("force", ["F1", "F2", "F3"])):
        for a in names:
            for k, qq in enumerate(q, start=1):
                base = {"quarter": str(qq), "geography": geo, "force": a, "source": "t"}
                rows += [
                    {**base, "measure": "all_charged_in_quarter", "value": 10.0 * k},
                    {**base, "measure": "population", "value": 1e6},
                ]
    return pd.DataFrame(rows)


def test_rate_rows_of_areas_with_a_lagged_denominator():
    p = _area_panel()
    r = rate_rows(p, "all_charged_in_quarter", "population", 100_000, geography="cps_area")
    assert set(r["force"]) == {"CPS North", "CPS South"} and len(r) == 16
    assert r["value"].iloc[0] == pytest.approx(1.0)
    lag = rate_rows(p, "all_charged_in_quarter", "all_charged_in_quarter", 100, lag=2)
    north = lag[lag["force"] == "F1"].set_index("quarter")["value"]
    # quarter 3: 100 x 30 / mean(10, 20); the first two quarters have no full lag
    assert "2018Q2" not in north.index and north["2018Q3"] == pytest.approx(200.0)
    with pytest.raises(ValueError, match="no national area has both"):
        rate_rows(p, "all_charged_in_quarter", "population", 100_000, geography="national")


def test_control_panel_of_areas_excludes_by_name():
    p = _area_panel()
    cp = S.control_panel(p, "all_charged_in_quarter", "CPS North", geography="cps_area")
    assert set(cp["force"]) == {"CPS North", "CPS South"}
    fp = S.control_panel(p, "all_charged_in_quarter", "F1", exclude=["F3"])
    assert set(fp["force"]) == {"F1", "F2"} and fp.attrs["excluded_controls"] == ["F3"]
