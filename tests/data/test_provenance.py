"""Provenance tiers of the transcribed CPS figures (data.provenance, config/provenance.csv) and
their use by the CPS readers and the built national series (data.sources.cps)."""

from __future__ import annotations

import pandas as pd
import pytest

from rasso_research import paths
from rasso_research.data import provenance as pv
from rasso_research.data.sources import cps as rc

COLS = rc.TRANSCRIBED_COLUMNS
CPS = "https://www.cps.gov.uk/news/q1"
EVAW = "https://www.endviolenceagainstwomen.org.uk/table"
GUARDIAN = "https://www.theguardian.com/society/x"
AOL = "https://www.aol.co.uk/2020/07/30/y"


def _write(tmp_path, rows, name="tr.csv"):
    p = tmp_path / name
    pd.DataFrame(rows, columns=COLS).to_csv(p, index=False)
    return p


def _config(tmp_path, rows, columns=("host_pattern", "tier", "note")):
    p = tmp_path / "provenance.csv"
    pd.DataFrame(rows, columns=list(columns)).to_csv(p, index=False)
    return p


# ------------------------------------------------------------------ the table


def test_config_reads_and_every_tier_is_used():
    t = pv.load_provenance()
    assert set(t["tier"]) == set(pv.TIERS)
    assert (t["note"].str.strip() != "").all()
    assert not t["host_pattern"].duplicated().any()


@pytest.mark.parametrize(
    "rows,match",
    [
        (
            [("cps.gov.uk", "official", "CPS")],
            r"line 2 \(host_pattern='cps.gov.uk'\), column 'tier'",
        ),
        ([("www.cps.gov.uk", "primary", "CPS")], "column 'host_pattern'"),
        ([("CPS.gov.uk", "primary", "CPS")], "column 'host_pattern'"),
        ([("cps.gov.uk", "primary", " ")], "column 'note': empty"),
        ([("cps.gov.uk", "primary", "a"), ("cps.gov.uk", "press", "b")], "given twice"),
    ],
)
def test_bad_config_rows_are_named(tmp_path, rows, match):
    with pytest.raises(pv.ProvenanceError, match=match):
        pv.load_provenance(_config(tmp_path, rows))


def test_config_missing_column(tmp_path):
    p = _config(tmp_path, [("cps.gov.uk", "primary")], columns=("host_pattern", "tier"))
    with pytest.raises(pv.ProvenanceError, match=r"missing column\(s\) \['note'\]"):
        pv.load_provenance(p)


def test_host_of_and_classification():
    assert pv.host_of("https://www.CPS.gov.uk/a?b=1") == "cps.gov.uk"
    assert pv.host_of("http://indalaw.com/news/1.html") == "indalaw.com"
    for no_host in ("u1", "", None, float("nan"), "not a url"):
        assert pv.host_of(no_host) is None
    t = pd.DataFrame(
        {
            "host_pattern": ["parliament.uk", "lordslibrary.parliament.uk"],
            "tier": ["primary", "secondary"],
            "note": ["a", "b"],
        }
    )
    assert pv.classify_host("publications.parliament.uk", t) == "primary"  # subdomain
    assert pv.classify_host("lordslibrary.parliament.uk", t) == "secondary"  # longest wins
    assert pv.classify_host("notparliament.uk", t) is None  # a dot boundary, not a suffix


def test_unknown_host_is_an_error_naming_it_and_the_fix():
    with pytest.raises(pv.ProvenanceError) as e:
        pv.tiers_of([CPS, "https://blog.example.org/p", "https://x.example.net/"], "file.csv")
    msg = str(e.value)
    assert "file.csv" in msg and "'blog.example.org'" in msg and "'x.example.net'" in msg
    assert "provenance.csv" in msg and "add one row per host" in msg


def test_tier_order():
    assert pv.tiers_of([CPS, EVAW, GUARDIAN, "u1"], "f") == [
        "primary",
        "secondary",
        "press",
        pv.NO_HOST,
    ]
    assert pv.best_tier(["press", "secondary", pv.NO_HOST]) == "secondary"
    assert pv.worst_tier(["primary", "press", "secondary"]) == "press"
    rows = pd.DataFrame({"value": [1, 2, 3], "tier": ["press", "secondary", "secondary"]})
    assert pv.highest_tier_rows(rows)["value"].tolist() == [2, 3]
    with pytest.raises(KeyError, match="rebuild data/processed"):
        pv.highest_tier_rows(rows.drop(columns="tier"))


def test_every_host_of_the_transcribed_files_is_classified():
    """Every source host in both transcribed files has a tier (the reader would stop
    otherwise), and every row of the table is used by some row of the data."""
    files = [
        paths.DATA_RAW / "cps/transcribed" / f
        for f in ("national-rape-cps.csv", "west-midlands-rape.csv")
    ]
    if not all(f.exists() for f in files):
        pytest.skip("data not fetched (run `make data`)")
    t = pv.load_provenance()
    hosts = set()
    for f in files:
        urls = pd.read_csv(f)["source_url"]
        assert urls.map(pv.host_of).notna().all(), f"{f.name}: a row without a host"
        assert pv.NO_HOST not in pv.tiers_of(urls, f.name, t)
        hosts |= set(urls.map(pv.host_of))
    used = {p for p in t["host_pattern"] if any(h == p or h.endswith("." + p) for h in hosts)}
    assert used == set(t["host_pattern"])  # no row for a host the data do not have


# ------------------------------------------------------------------ readers and the series


def test_readers_carry_the_tier_and_count_rows_without_a_host(tmp_path):
    rows = [
        ["financial_year", "2019-20", "convictions", 1439, "count", "RC", EVAW, "1,439"],
        ["financial_year", "2019-20", "convictions", 1439, "count", "AOL", AOL, "1,439"],
        ["financial_year", "2019-20", "prosecutions", 2102, "count", "?", "u1", "2,102"],
    ]
    tr = rc.read_cps_transcribed(_write(tmp_path, rows))
    assert tr["tier"].tolist() == ["secondary", "press", pv.NO_HOST]
    assert [(d["reason"], d["rows"], d["kind"]) for d in tr.attrs["dropped"]] == [
        ("source URL without a host: tier no_host, ranked below press", 1, "caveat")
    ]
    wm = rc.read_cps_wm_transcribed(_write(tmp_path, rows[:2], "wm.csv"))
    assert wm["tier"].tolist() == ["secondary", "press"]
    rows[0][6] = "https://unknown.example.com/page"
    with pytest.raises(pv.ProvenanceError, match="unknown.example.com"):
        rc.read_cps_transcribed(_write(tmp_path, rows))


def test_series_uses_the_highest_tier_and_records_it(tmp_path):
    rows = [
        # three press rows against one primary row: the primary value wins
        ["financial_year", "2018-19", "charges", 1800, "count", "a", GUARDIAN, "1,800"],
        ["financial_year", "2018-19", "charges", 1800, "count", "b", AOL, "1,800"],
        ["financial_year", "2018-19", "charges", 1800, "count", "c", GUARDIAN + "2", "1,800"],
        ["financial_year", "2018-19", "charges", 1758, "count", "d", CPS, "1,758"],
        # an unresolved conflict between two press values is resolved by a secondary row
        ["financial_year", "2019-20", "charges", 1867, "count", "e", EVAW, "1,867"],
        ["financial_year", "2019-20", "charges", 1900, "count", "f", GUARDIAN, "1,900"],
        # every row agrees: the tier is the best one present, nothing else changes
        ["financial_year", "2020-21", "charges", 1955, "count", "g", EVAW, "1,955"],
        ["financial_year", "2020-21", "charges", 1955, "count", "h", AOL, "1,955"],
        # a rounding variant in a lower tier: the rule's value and note, the higher tier
        ["financial_year", "2017-18", "charge_rate_pct", 46.9, "percent", "i", EVAW, "46.9%"],
        ["financial_year", "2017-18", "charge_rate_pct", 47, "percent", "j", GUARDIAN, "47%"],
    ]
    series, conflicts = rc.build_cps_rape_series(rc.read_cps_transcribed(_write(tmp_path, rows)))
    s = series.set_index(["measure", "period"])
    r = s.loc[("charges", "2018-19")]
    assert (r["value"], r["tier"], r["n_rows"]) == (1758, "primary", 4)
    assert r["note"] == "primary value kept over lower-tier 1800"
    r = s.loc[("charges", "2019-20")]
    assert (r["value"], r["tier"]) == (1867, "secondary")
    assert "unresolved_conflict" not in r["flag"]
    r = s.loc[("charges", "2020-21")]
    assert (r["value"], r["tier"], r["note"]) == (1955, "secondary", "")
    r = s.loc[("charge_rate_pct_all_decisions", "2017-18")]
    assert (r["value"], r["tier"], r["note"]) == (
        46.9,
        "secondary",
        "rounded value 47 also reported",
    )
    c = conflicts.set_index(["measure", "period"])
    assert c.loc[("charges", "2018-19"), "values"] == "1758 (primary); 1800 (press)"
    assert c.loc[("charges", "2019-20"), "tier"] == "secondary"
    assert ("charges", "2020-21") not in c.index


def test_same_tier_conflict_stays_unresolved(tmp_path):
    rows = [
        ["quarter", "2023-24 Q1", "adult_charges", 940, "count", "a", CPS, "940 charged"],
        ["quarter", "2023-24 Q1", "adult_charges", 599, "count", "b", CPS + "2", "599 charged"],
        ["quarter", "2023-24 Q1", "adult_charges", 599, "count", "c", GUARDIAN, "599 charged"],
    ]
    series, _ = rc.build_cps_rape_series(rc.read_cps_transcribed(_write(tmp_path, rows)))
    r = series.iloc[0]
    assert pd.isna(r["value"]) and r["tier"] == "primary"
    assert "unresolved_conflict" in r["flag"]
