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
    assert tl.interruption_quarter("e2e_review", table=table) == "2021Q2"
    assert tl.interruption_quarter("e2e_review", fiscal=True, table=table) == "2021/22 Q1"
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
