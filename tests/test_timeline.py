"""Tests for the interventions timeline (config/interventions.csv and rasso_research.timeline)."""

from __future__ import annotations

import pandas as pd
import pytest

from rasso_research import timeline as tl


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return tl.load_interventions()


def _raw() -> pd.DataFrame:
    return pd.read_csv(tl.paths.CONFIG / "interventions.csv", dtype=str, keep_default_na=False)


def test_table_loads_and_has_required(table):
    assert set(tl.REQUIRED_COLUMNS) <= set(table.columns)
    assert table["id"].is_unique
    assert pd.api.types.is_datetime64_any_dtype(table["date"])
    for key in [
        "rasso2025",
        "jnap",
        "e2e_review",
        "wm_joint_working",
        "soteria_pathfinders",
        "covid_lockdown1",
        "covid_lockdown2",
        "covid_lockdown3",
    ]:
        assert key in set(table["id"])


def test_every_verified_row_has_source(table):
    cited = table[table["verified"].isin(["yes", "partial"])]
    assert (cited["source_url"].str.startswith("http")).all()


def test_e2e_review_date_corrected(table):
    row = table.set_index("id").loc["e2e_review"]
    assert row["date"] == pd.Timestamp("2021-06-18")
    assert "21 Jun" in row["notes"]


def test_interruption_quarter(table):
    # published 18 June 2021: modelled from its first full quarter
    assert tl.interruption_quarter("e2e_review", table=table) == "2021Q3"
    assert tl.interruption_quarter("e2e_review", fiscal=True, table=table) == "2021/22 Q2"
    assert table.set_index("id").loc["e2e_review", "quarter"] == "2021Q2"
    assert tl.interruption_quarter("rasso2025", table=table) == "2020Q3"
    assert tl.interruption_quarter("wm_joint_working", fiscal=True, table=table) == "2018/19 Q3"
    with pytest.warns(UserWarning, match="nominal"):
        tl.interruption_quarter("soteria_pathfinders", table=table)
    with pytest.raises(KeyError, match="unknown"):
        tl.interruption_quarter("nope", table=table)


def test_covid_disrupted_quarters(table):
    assert tl.covid_disrupted_quarters(table=table) == ["2020Q2", "2020Q4", "2021Q1"]
    assert tl.covid_disrupted_quarters(fiscal=True, table=table) == [
        "2020/21 Q1",
        "2020/21 Q3",
        "2020/21 Q4",
    ]
    # a lower threshold also picks up the last days of March 2020
    assert "2020Q1" in tl.covid_disrupted_quarters(min_days=5, table=table)


def test_missing_column_named():
    with pytest.raises(tl.TimelineError, match="notes"):
        tl.validate_interventions(_raw().drop(columns="notes"))


def test_duplicate_id_named():
    df = _raw()
    df.loc[1, "id"] = df.loc[0, "id"]
    with pytest.raises(tl.TimelineError, match="duplicated"):
        tl.validate_interventions(df)


def test_bad_date_names_row_and_column():
    df = _raw()
    df.loc[2, "date"] = "2020-13-45"
    with pytest.raises(tl.TimelineError, match=r"row 2 .*column 'date'"):
        tl.validate_interventions(df)


def test_quarter_inconsistent_named():
    df = _raw()
    i = df.index[df["id"] == "e2e_review"][0]
    df.loc[i, "quarter"] = "2021Q3"
    with pytest.raises(tl.TimelineError, match=r"e2e_review.*column 'quarter'"):
        tl.validate_interventions(df)
    df = _raw()
    df.loc[i, "fiscal_quarter"] = "2021/22 Q2"
    with pytest.raises(tl.TimelineError, match="fiscal_quarter"):
        tl.validate_interventions(df)


def test_lockdown_without_end_raises(table):
    t2 = table.copy()
    t2.loc[t2["id"] == "covid_lockdown3", "end_date"] = pd.NaT
    with pytest.raises(tl.TimelineError, match="end_date"):
        tl.covid_disrupted_quarters(table=t2)


def test_r_v_allan_is_dated_with_its_source_and_modelled_at_the_next_full_quarter(table):
    row = table.set_index("id").loc["r_v_allan"]
    assert str(row["date"].date()) == "2017-12-14" and row["source_url"].startswith("http")
    assert row["quarter"] == "2017Q4"
    assert tl.interruption_quarter("r_v_allan", table=table) == "2018Q1"
    assert tl.interruption_quarter("r_v_allan", fiscal=True, table=table) == "2017/18 Q4"
    assert tl.interruption_quarter("rasso2025", table=table) == "2020Q3"  # no model_quarter


def test_model_quarter_before_the_event_is_an_error():
    df = _raw()
    df.loc[df["id"] == "r_v_allan", "model_quarter"] = "2017Q3"
    with pytest.raises(tl.TimelineError, match="column 'model_quarter': 2017Q3 is before"):
        tl.validate_interventions(df)
    df.loc[df["id"] == "r_v_allan", "model_quarter"] = "2017-13"
    with pytest.raises(tl.TimelineError, match="column 'model_quarter': not a quarter"):
        tl.validate_interventions(df)


def test_labels_and_events_for_an_area(table):
    assert tl.interruptions(["rasso2025", "jnap", "e2e_review"], table=table) == {
        "RASSO 2025": "2020Q3",
        "JNAP": "2021Q1",
        "E2E Review": "2021Q3",
    }
    assert tl.label("covid_lockdown1", table=table) == "covid_lockdown1"  # no short name: id
    wm = tl.events_for("West Midlands", table=table)
    assert wm["id"].tolist() == ["wm_joint_working", "soteria_pathfinders"]
    with pytest.raises(KeyError, match="unknown intervention id"):
        tl.label("nope", table=table)


def test_lockdown_days(table):
    d = tl.lockdown_days(table).set_index("quarter")
    # 2020-03-23..31, all of 2020Q2, 2020-07-01..03; 2020-11-05..12-01; 2021-01-04..03-07
    assert d["days"].to_dict() == {
        "2020Q1": 9,
        "2020Q2": 91,
        "2020Q3": 3,
        "2020Q4": 27,
        "2021Q1": 63,
    }
    assert d.loc["2021Q1", "lockdowns"] == "covid_lockdown3"
    df = table.copy()
    df.loc[df["id"] == "covid_lockdown2", "end_date"] = pd.NaT
    with pytest.raises(tl.TimelineError, match="covid_lockdown2.*end_date"):
        tl.lockdown_days(df)


def test_scope_forces():
    from rasso_research import timeline

    pathfinders = timeline.scope_forces("soteria_pathfinders")
    assert "West Midlands" in pathfinders and "Durham" in pathfinders and len(pathfinders) == 5
    assert timeline.scope_forces("rasso2025") == []


def test_events_sharing_a_reforms_quarter_are_listed(table):
    near = tl.coinciding(["rasso2025", "jnap", "e2e_review"], table=table)
    jnap = near[(near["reform"] == "JNAP") & (near["offset"] == 0)]
    assert set(jnap["id"]) == {"dg6", "ag_disclosure_2020"}
    assert not near["id"].str.startswith("covid_lockdown").any()
    assert (near["offset"].abs() <= 1).all()
    assert tl.coinciding(["jnap"], window=0, table=table)["offset"].eq(0).all()
