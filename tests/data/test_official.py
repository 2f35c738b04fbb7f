"""The official outcomes workbooks as documented, on small workbooks written here in the
documented layout of the official Home Office outcomes open data
(``../shared/data/homeoffice/OFFICIAL-LAYOUT.md``): the sheets ``Cover_sheet``, ``Notes``,
``Pivot`` and one data sheet (three spellings by year), a title block above the header row, the
13 documented columns in either documented wording, and the cells' quirks. The numbers are
invented; only the layout follows the note."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rasso_research import periods
from rasso_research.data import fetch, forces, measures, panel
from rasso_research.data import series as S
from rasso_research.data.fetch import sha256sum
from rasso_research.data.quality import QualityLog
from rasso_research.data.rawfiles import RawFiles
from rasso_research.data.schemas import InputFormatError
from rasso_research.data.sources import homeoffice_official as ho
from rasso_research.data.sources import homeoffice_outcomes as ho_out

NAT = forces.NATIONAL

#: the column wording and order of the year ending March 2026 file (OFFICIAL-LAYOUT.md [fix])
HEADER_2026 = [
    "Financial Year",
    "Financial Quarter",
    "Force Name",
    "Offence Code",
    "Offence Description",
    "Offence Group",
    "Offence Subgroup",
    "Offence code expired",
    "Outcome Type",
    "Outcome Description",
    "Outcome Group",
    "Outcomes for offences that were recorded in the quarter",
    "Outcomes for investigations closed in the quarter",
]
#: the longer wording (OFFICIAL-LAYOUT.md [com], [test])
HEADER_LONG = HEADER_2026[:7] + [
    "Offence Code Expired",
    *HEADER_2026[8:11],
    "Number of Outcomes for offences that were recorded in the quarter",
    "Number of Outcomes for investigations that were closed in the quarter",
]

DESCRIPTIONS = {
    "19C": "Rape of a female aged 16 and over",
    "19D": "Rape of a female child under 16",
    "19F": "Rape of a male aged 16 and over",
    "19J": "Rape of a Female - Multiple Undefined Offenders",
    "19K": "Rape of a Male - Multiple Undefined Offenders",
    "8N": "Assault with injury",
}
OUTCOMES = {0: "Not yet assigned an outcome", 1: "Charged/Summonsed", 15: "Evidential difficulties"}


def file_name(year_end: int) -> str:
    """The registered name of the workbook for the year ending March ``year_end``."""
    stamp = "241024" if year_end == 2015 else "230726"
    return f"homeoffice/official/prc-outcomes-open-data-mar{year_end}-tables-{stamp}.xlsx"


def sheet_name(year_end: int) -> str:
    """The data sheet's name as spelt in that year's file (OFFICIAL-LAYOUT.md, Sheets)."""
    a, b = year_end - 1, year_end % 100
    if year_end <= 2019:
        return f"Outcomes_open_data_{a}-{b:02d}"
    if year_end in (2022, 2025, 2026):
        return f"Outcomes open data {a}_{b:02d}"
    return f"Outcomes_open_data_{a}_{b:02d}"


def row(fy, q, force, code, otype, cohort, closed, expired=None) -> list:
    """One data row: the 13 documented columns."""
    group = "Sexual offences" if code.startswith("19") else "Violence against the person"
    out_group = {0: "Not yet assigned", 1: "Charged/Summonsed"}.get(
        otype, "Evidential difficulties"
    )
    return [
        fy,
        q,
        force,
        code,
        DESCRIPTIONS[code],
        group,
        "Rape" if code.startswith("19") else "Violence with injury",
        expired,
        otype,
        OUTCOMES[otype],
        out_group,
        cohort,
        closed,
    ]


def write_official(path: Path, year_end: int, rows, header=HEADER_2026, sheets=None) -> Path:
    """An official-format workbook at ``path``: cover, notes and pivot sheets, then the data
    sheet with a title block above ``header``. ``sheets`` replaces the sheet names."""
    openpyxl = pytest.importorskip("openpyxl")
    fy = f"{year_end - 1}/{year_end % 100:02d}"
    names = sheets or ["Cover_sheet", "Notes", "Pivot", sheet_name(year_end)]
    content = [
        [
            ["Police recorded crime and outcomes open data tables"],
            [f"Year ending March {year_end}"],
        ],
        [["Note number", "Note text"], ["1", "Outcome type 0: not yet assigned an outcome"]],
        [["Sum of outcomes", None], ["Force Name", "Offence Code"], ["Kent", 12]],
        [
            [f"Police recorded crime outcomes open data, {fy}"],
            ["Source: Home Office"],
            [],
            header,
            *rows,
        ],
    ]
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, cells in zip(names, content, strict=False):
        sheet = wb.create_sheet(name)
        for r in cells:
            sheet.append(list(r))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def published(force: str) -> str:
    """A force's name as the official files spell it."""
    return "London, City of" if force == "City of London" else force


#: charged (type 1) cohort count per code of every force-quarter of :func:`full_rows`
CHARGED = {"19C": 3, "19D": 2, "19F": 1, "19J": 1}


def full_rows(year_end: int, blank_cohort: tuple[str, int] | None = None) -> list[list]:
    """Rows of every force (and BTP) in each quarter: codes 19C, 19D, 19F, 19J (outcome types
    0, 1, 15) and one other offence; type 0 with a bare ``N/A`` closed count. Charged counts
    are :data:`CHARGED` (cohort) and one more (closure); ``blank_cohort`` (force, quarter) has
    its cohort counts not supplied (blank)."""
    fy = f"{year_end - 1}/{year_end % 100:02d}"
    rows = []
    for force in (*forces.FORCES, "British Transport Police"):
        for q in (1, 2, 3, 4):
            blank = blank_cohort == (force, q)
            for code, n in CHARGED.items():
                for otype, cohort, closed in ((0, 4, "N/A"), (1, n, n + 1), (15, 10, 12)):
                    rows.append(
                        row(fy, q, published(force), code, otype, None if blank else cohort, closed)
                    )
            rows.append(row(fy, q, published(force), "8N", 1, 50, 60))
    return rows


# ---- the reader ----------------------------------------------------------------------------

FY = "2025/26"


def quirk_rows(fy: str = FY) -> list[list]:
    """A few rows with every documented quirk (and no outcome type 19)."""
    return [
        row(fy, 1, "Avon and Somerset", "19C", 1, 3, 5),
        row(fy, 1, "Avon and Somerset", "19C", 0, 20, "N/A"),
        row(fy, 1, "Avon and Somerset", "19C", 15, 7, 9),
        row(fy, 1, "Avon and Somerset", "19F", 1, 1, 2),
        row(fy, 1, "Avon and Somerset", "19D", 1, 2, 1),
        row(fy, 1, "London, City of", "19C", 1, 1, 1),
        [],
        row(fy, 2, "British Transport Police", "19C", 1, 1, 1),
        row(fy, 2, "Metropolitan Police", "8N", 1, 9, 9),
        row(fy, 2, "Avon and Somerset", "19K", 1, "N/A - Offence code expired", 1, "x"),
        row(fy, 2, "Avon and Somerset", "19C", 0, -2, "N/A"),
        row(fy, 2, "Avon and Somerset", "19C", 15, 4, -1),
        row(fy, 3, "Avon and Somerset", "19C", 1, None, 4),
    ]


def _notes(df) -> dict[str, tuple[int, str]]:
    return {d["reason"]: (d["rows"], d["kind"]) for d in df.attrs["dropped"]}


@pytest.mark.parametrize(
    ("year_end", "header"),
    [(2026, HEADER_2026), (2020, HEADER_LONG), (2015, HEADER_LONG)],
    ids=["spaces-2026-wording", "underscores-long-wording", "hyphen-long-wording"],
)
def test_reads_the_documented_layout(tmp_path, year_end, header):
    fy = f"{year_end - 1}/{year_end % 100:02d}"
    p = write_official(tmp_path / Path(file_name(year_end)).name, year_end, quirk_rows(fy), header)
    df = ho.read_official_outcomes(p)
    assert set(df["force"]) == {"Avon and Somerset", "City of London"}  # BTP left out
    assert set(df["fiscal_quarter"]) == {f"{fy} Q1", f"{fy} Q2", f"{fy} Q3"}
    assert df.loc[df["outcome_type"] == 1, "outcomes_cohort"].sum() == 3 + 1 + 2 + 1
    assert df.attrs["rows"] == {
        "file": p.name,
        "read": 13,  # the title block and header are not rows; the blank row is
        "other_offences": 1,
        "dropped": 2,  # the blank row and British Transport Police
        "kept": 10,
    }


def test_quirks_are_kept_or_set_missing_and_counted(tmp_path):
    p = write_official(
        tmp_path / "prc-outcomes-open-data-mar2026-tables-230726.xlsx", 2026, quirk_rows()
    )
    df = ho.read_official_outcomes(p)
    notes = _notes(df)
    assert notes["blank row"] == (1, "dropped")
    assert notes["non-territorial body excluded: British Transport Police"] == (1, "dropped")
    # N/A - Offence code expired (a code flagged x) and bare N/A (outcome type 0): missing
    assert notes["outcomes_cohort: 'N/A - Offence code expired' set to missing"] == (1, "missing")
    assert notes["outcomes_in_quarter: 'N/A' set to missing (2 in outcome type 0)"] == (
        2,
        "missing",
    )
    assert notes["outcomes_cohort: blank in source, kept as missing"] == (1, "missing")
    expired = df[df["offence_code_expired"]]
    assert expired["offence_code"].tolist() == ["19K"] and expired["outcomes_cohort"].isna().all()
    assert expired["outcomes_in_quarter"].tolist() == [1.0]
    assert notes["rows of an expired offence code (flag x): kept, their counts as published"] == (
        1,
        "caveat",
    )
    # negative counts kept and counted; outcome type 0 kept as rows; no type 19 needed
    neg = "negative count kept (a published correction; {} in outcome type 0)"
    assert notes["outcomes_cohort: " + neg.format(1)] == (1, "caveat")
    assert notes["outcomes_in_quarter: " + neg.format(0)] == (1, "caveat")
    assert sorted(df["outcomes_cohort"].dropna()) == [-2, 1, 1, 2, 3, 4, 7, 20]
    assert set(df["outcome_type"]) == {0, 1, 15}
    assert df.loc[df["outcome_type"] == 0, "outcomes_in_quarter"].isna().all()
    assert df.loc[df["force"] == "City of London", "force_name"].tolist() == ["London, City of"]


def test_a_header_of_another_wording_is_one_clear_error(tmp_path):
    header = list(HEADER_2026)
    header[11] = "Force outcomes for offences recorded in quarter"
    p = write_official(
        tmp_path / "prc-outcomes-open-data-mar2026-tables-230726.xlsx", 2026, quirk_rows(), header
    )
    with pytest.raises(InputFormatError) as e:
        ho.read_official_outcomes(p)
    msg = str(e.value)
    assert "\n" not in msg and p.name in msg and "sheet 'Outcomes open data 2025_26'" in msg
    assert "['Outcomes for offences that were recorded in the quarter']" in msg  # missing
    assert "headers found (row 4): ['Financial Year'" in msg and header[11] in msg


def test_the_header_is_looked_for_in_the_first_20_rows_only(tmp_path):
    p = tmp_path / "prc-outcomes-open-data-mar2026-tables-230726.xlsx"
    rows = [[]] * 16 + [HEADER_2026] + quirk_rows()  # on row 21, below 3 title rows and "notes"
    write_official(p, 2026, rows, header=["notes"])
    with pytest.raises(InputFormatError, match="no row of the first 20"):
        ho.read_official_outcomes(p)
    write_official(p, 2026, [[]] * 15 + [HEADER_2026] + quirk_rows(), header=["notes"])
    assert len(ho.read_official_outcomes(p)) == 10  # header on row 20


@pytest.mark.parametrize(
    ("sheets", "match"),
    [
        (["Cover_sheet", "Notes", "Pivot", "Outcomes open data 2025-26"], "unexpected sheet"),
        (["Cover_sheet", "Contents", "Pivot", "Outcomes open data 2025_26"], r"\['Contents'\]"),
        (["Cover_sheet", "Notes", "Pivot", "Outcomes_open_data_2024_25"], "not the financial year"),
    ],
)
def test_sheets_other_than_documented_are_refused(tmp_path, sheets, match):
    p = write_official(
        tmp_path / "prc-outcomes-open-data-mar2026-tables-230726.xlsx",
        2026,
        quirk_rows(),
        sheets=sheets,
    )
    with pytest.raises(InputFormatError, match=match):
        ho.read_official_outcomes(p)


def test_a_damaged_workbook_names_the_file(tmp_path):
    p = tmp_path / "prc-outcomes-open-data-mar2026-tables-230726.xlsx"
    p.write_bytes(b"PK\x03\x04 not a workbook")
    with pytest.raises(InputFormatError, match=r"mar2026-tables-230726\.xlsx: cannot be read"):
        ho.read_official_outcomes(p)


# ---- registered files only, and the cache ------------------------------------------------------


def _registry(raw, sums):
    rows = [
        {
            "name": n,
            "sha256": h,
            "size": "",
            "url": "",
            "publisher": "",
            "licence": "",
            "description": "",
            "required": "no",
        }
        for n, h in sums.items()
    ]
    pd.DataFrame(rows, columns=fetch.REGISTRY_COLUMNS).to_csv(raw / "registry.csv", index=False)


def test_only_registered_files_are_read_and_an_unregistered_one_is_an_error(tmp_path):
    raw = tmp_path / "raw"
    a = write_official(raw / file_name(2026), 2026, quirk_rows())
    checksums = {file_name(2026): sha256sum(a), file_name(2015): "0" * 64}  # 2015: not present
    _registry(raw, checksums)
    assert ho.official_files(RawFiles.open(raw)) == [(a, checksums[file_name(2026)])]
    (raw / "homeoffice/official/.prc-outcomes-open-data-mar2026.part").write_bytes(b"")  # a fetch
    stray = write_official(
        raw / "homeoffice/official/prc-outcomes-open-data-mar2027-x.xlsx", 2026, []
    )
    with pytest.raises(InputFormatError) as e:
        RawFiles.open(raw)
    assert str(e.value).startswith(f"{stray}: not a file of data/raw/registry.csv")
    assert "remove it, or register it" in str(e.value) and "tools/make_registry.py" in str(e.value)
    with pytest.raises(InputFormatError, match="mar2027-x.xlsx: not a file of"):
        ho_out.build_outcomes(raw, QualityLog(False))


def test_the_cache_is_keyed_by_the_registry_checksum(tmp_path, monkeypatch):
    p = write_official(
        tmp_path / "prc-outcomes-open-data-mar2026-tables-230726.xlsx", 2026, quirk_rows()
    )
    cache = tmp_path / "cache"
    fresh, hit = ho.read_official_cached(p, "a" * 64, cache)
    assert not hit and (cache / f"{p.name}.parquet").is_file()
    calls = []
    real = ho.read_official_outcomes
    monkeypatch.setattr(ho, "read_official_outcomes", lambda *a: calls.append(a) or real(*a))
    cached, hit = ho.read_official_cached(p, "a" * 64, cache)
    assert hit and calls == []
    pd.testing.assert_frame_equal(cached, fresh)
    assert cached.attrs == fresh.attrs  # the quality notes and row accounting too
    again, hit = ho.read_official_cached(p, "b" * 64, cache)  # the registry's sha256 changed
    assert not hit and len(calls) == 1
    pd.testing.assert_frame_equal(again, fresh)
    assert ho.read_official_cached(p, "b" * 64, cache)[1] and len(calls) == 1  # rewritten
    monkeypatch.setattr(ho, "CACHE_VERSION", ho.CACHE_VERSION + 1)  # a new reader
    assert not ho.read_official_cached(p, "b" * 64, cache)[1] and len(calls) == 2


# ---- the panel rows of the release -------------------------------------------------------------


def _release(tmp_path, blank_cohort=None):
    raw = tmp_path / "raw"
    sums = {}
    for year_end in (2015, 2026):
        blank = blank_cohort if year_end == 2015 else None  # as in 2014/15: not supplied
        p = write_official(raw / file_name(year_end), year_end, full_rows(year_end, blank))
        sums[file_name(year_end)] = sha256sum(p)
    log = QualityLog(False)
    _registry(raw, sums)
    rows, closure = ho.build_release(ho.official_files(RawFiles.open(raw)), log, tmp_path / "cache")
    return pd.concat(rows, ignore_index=True), closure, log


def test_release_rows_charges_by_age_and_assigned_outcomes(tmp_path):
    rows, closure, log = _release(tmp_path, blank_cohort=("Cumbria", 1))
    got = rows.pivot_table(index=["fiscal_quarter", "force"], columns="measure", values="value")
    wm = got.xs("West Midlands", level="force")
    assert wm.index.tolist() == [
        f"{fy} Q{q}" for fy in ("2014/15", "2025/26") for q in (1, 2, 3, 4)
    ]
    assert (wm["rape_charged_cohort"] == 7).all() and (wm["rape_charged_in_quarter"] == 11).all()
    assert (wm["rape_charged_cohort_adult"] == 4).all() and (
        wm["rape_charged_cohort_child"] == 2
    ).all()
    assert (wm["rape_charged_in_quarter_adult"] == 6).all()
    assert (wm["rape_charged_in_quarter_child"] == 3).all()
    # outcome type 0 is not an outcome: out of the assigned totals, kept as its own measure
    assert (wm["rape_outcomes_cohort"] == 7 + 4 * 10).all()
    assert (wm["rape_outcomes_in_quarter"] == 11 + 4 * 12).all()
    assert (wm["rape_outcomes_cohort_type_0"] == 16).all()
    assert "rape_outcomes_cohort_type_19" not in got
    # national = the 43 forces' sum; missing where a force's value is missing
    nat = got.xs(NAT, level="force")
    assert nat.loc["2025/26 Q4", "rape_charged_cohort"] == 43 * 7
    assert nat.loc["2025/26 Q4", "rape_charged_in_quarter_child"] == 43 * 3
    assert np.isnan(nat.loc["2014/15 Q1", "rape_charged_cohort"])
    assert nat.loc["2014/15 Q1", "rape_charged_in_quarter"] == 43 * 11
    assert closure.index[-1] == "2025/26 Q4" and closure.iloc[-1] == 43 * 11
    assert set(rows["source"]) == {ho.HO_OFFICIAL.label}
    assert rows["note"].str.endswith("prc-outcomes-open-data-mar2015-tables-241024.xlsx").any()
    items = {(r["section"], r["item"]): r["count"] for r in log.rows}
    assert items[("kept with caveat", ho.HO_OFFICIAL.label)] == 2 * 43 * 4 * 4  # type 0 rows
    assert items[("values set to missing", "rape_charged_cohort (official release)")] == 1
    total = "HO outcomes open data, July 2026 release (official workbooks): rape charged 2014/15"
    assert items[
        ("published totals", f"{total}, outcomes for offences recorded in the quarter")
    ] == (42 * 4 * 7 + 3 * 7)


def test_an_incomplete_workbook_stops_the_release(tmp_path):
    raw = tmp_path / "raw"
    rows = [r for r in full_rows(2026) if not (r[2] == "Kent" and r[1] == 3)]
    p = write_official(raw / file_name(2026), 2026, rows)
    with pytest.raises(
        InputFormatError, match=r"no rape rows for 1 of the 172 force-quarters \(first: Kent Q3\)"
    ):
        ho.build_release([(p, sha256sum(p))], QualityLog(False), None)


# ---- the panel, built with two official workbooks -------------------------------------------------

NEW_MEASURES = [
    f"rape_charged_{base}{age}"
    for base in ("cohort", "in_quarter")
    for age in ("", "_adult", "_child")
]


@pytest.mark.mirror
def test_the_panel_gains_the_release_with_no_code_change(fetched_raw, tmp_path):
    """The mirror's files plus two official-format workbooks under their registry names (the
    registry's optional rows, with the fixtures' sha256): the build reads them with no code
    change, adds the release's force and national rows for both years (charges on both
    measures, all, adult and child rape), caches the parsed workbooks, and leaves every row of
    the mirror's sources exactly as a build without them makes it."""
    raw = tmp_path / "raw"
    shutil.copytree(fetched_raw, raw)
    reg = pd.read_csv(raw / "registry.csv", dtype=str, keep_default_na=False)
    for year_end in (2015, 2026):
        name = file_name(year_end)
        blank = ("Cumbria", 1) if year_end == 2015 else None
        p = write_official(raw / name, year_end, full_rows(year_end, blank))
        assert (reg["name"] == name).sum() == 1 and reg.loc[reg["name"] == name, "required"].eq(
            "no"
        ).all()
        reg.loc[reg["name"] == name, ["sha256", "size"]] = [sha256sum(p), str(p.stat().st_size)]
    reg.to_csv(raw / "registry.csv", index=False)
    out = tmp_path / "out"
    p = panel.build_panel(raw, out, progress=False)
    base = panel.build_panel(fetched_raw, tmp_path / "base", progress=False, write=False)

    label = ho.HO_OFFICIAL.label
    pd.testing.assert_frame_equal(p[p["source"] != label].reset_index(drop=True), base)
    new = p[p["source"] == label]
    quarters = [f"{fy} Q{q}" for fy in ("2014/15", "2025/26") for q in (1, 2, 3, 4)]
    for m in NEW_MEASURES:
        rows = new[(new["measure"] == m) & (new["geography"] != "cps_area")]
        assert (
            rows["force"].nunique() == 44 and sorted(rows["fiscal_quarter"].unique()) == quarters
        ), m
        areas = new[(new["measure"] == m) & (new["geography"] == "cps_area")]
        assert areas["force"].nunique() == 13, m  # every count summed to the CPS Areas too
        assert set(rows.loc[rows["force"] == NAT, "geography"]) == {"national"}
    # the existing national series (same measure names) now run to 2025/26
    closure = S.series(p, "rape_charged_in_quarter", source="ho_official")
    assert closure["value"].tolist() == [43 * 11.0] * 8
    assert closure["quarter"].iloc[-1] == periods.quarter("2026Q1")  # 2025/26 Q4
    cohort = S.series(p, "rape_charged_cohort", source="ho_official")
    # 2014/15 missing: Cumbria and Leicestershire did not supply the cohort measure in any of
    # its quarters (the all-offence rule, applied to every series), so neither is the total
    assert len(cohort) == 4 and str(cohort["quarter"].iloc[0]) == "2025Q2"
    adult = S.series(p, "rape_charged_cohort_adult", force="City of London", source="ho_official")
    assert adult["value"].tolist() == [4.0] * 8  # published as "London, City of"
    assert measures.ylabel_for("rape_charged_in_quarter_child") == "Child rape charges per quarter"
    # each workbook parsed once and cached; its losses and row accounting in the report
    for year_end in (2015, 2026):
        assert (
            out / "cache" / "homeoffice_official" / f"{Path(file_name(year_end)).name}.parquet"
        ).is_file()
    md = (out / "data_quality.md").read_text()
    line = "read 2,288 = other offences 176 + dropped 48 + kept 2,064 | 48 |"  # dropped: BTP
    assert f"| prc-outcomes-open-data-mar2026-tables-230726.xlsx | {line}" in md
    rev = pd.read_csv(out / "outcomes_revision.csv")
    assert set(rev.loc[rev["edition"] == label, "fiscal_quarter"]) == set(quarters[:4])


def test_a_quarter_the_force_did_not_supply_is_missing_in_the_release(tmp_path):
    """The all-offence rule's force-quarters (homeoffice_quarterly.not_supplied) are missing,
    and flagged, in the release's rows of that measure, whatever the workbook holds there."""
    raw = tmp_path / "raw"
    p = write_official(raw / file_name(2026), 2026, full_rows(2026, None))
    ns = pd.DataFrame(
        {"force": ["Kent"], "fiscal_quarter": ["2025/26 Q2"], "basis": ["in_quarter"]}
    )
    rows, _ = ho.build_release([(p, sha256sum(p))], QualityLog(False), None, ns)
    rows = pd.concat(rows, ignore_index=True)
    kent = rows[(rows["force"] == "Kent") & (rows["fiscal_quarter"] == "2025/26 Q2")]
    closed = kent["measure"].str.startswith(("rape_charged_in_quarter", "rape_outcomes_in_quarter"))
    assert kent.loc[closed, "value"].isna().all() and (kent.loc[closed, "flag"] != "").all()
    assert kent.loc[~closed, "value"].notna().all()
    nat = rows[(rows["force"] == NAT) & (rows["fiscal_quarter"] == "2025/26 Q2")]
    assert nat.loc[nat["measure"] == "rape_charged_in_quarter", "value"].isna().all()
