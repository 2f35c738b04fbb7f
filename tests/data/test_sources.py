"""Readers on small fixtures written by the tests, in each accepted format."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from rasso_research import periods
from rasso_research.data import forces
from rasso_research.data.rawfiles import RawFiles
from rasso_research.data.schemas import DuplicateKeyError, InputFormatError
from rasso_research.data.sources import cps as rc
from rasso_research.data.sources import homeoffice as rh
from rasso_research.data.sources import homeoffice_outcomes as ho_out

OFFICIAL = [
    "Financial Year",
    "Financial Quarter",
    "Force Name",
    "Offence Description",
    "Offence Group",
    "Offence Subgroup",
    "Offence Code",
    "Number of Offences",
]


def _recorded_rows():
    """(fy, q, force, code, n) rows, incl. BTP and a non-rape code."""
    return [
        ("2017/18", 1, "Avon and Somerset", "19C", 10),
        ("2017/18", 1, "Avon and Somerset", "19F", 0),
        ("2017/18", 2, "London, City of", "19C", 1),
        ("2017/18", 2, "British Transport Police", "19C", 2),
        ("2018/19", 1, "Devon and Cornwall", "19D", 5),
        ("2018/19", 1, "Devon and Cornwall", "8N", 99),
    ]


def _official_frame():
    return pd.DataFrame(
        [
            (fy, q, f, "desc", "Sexual offences", "Rape", c, n)
            for fy, q, f, c, n in _recorded_rows()
        ],
        columns=OFFICIAL,
    )


def _check_recorded(df):
    assert set(df["offence_code"]) == {"19C", "19D", "19F"}
    assert "British Transport Police" not in set(df["force"])
    assert set(df["force"]) == {"Avon and Somerset", "City of London", "Devon and Cornwall"}
    assert df["offences"].sum() == 16
    assert df.loc[df["offence_code"] == "19F", "offences"].iloc[0] == 0
    assert (
        df.attrs["dropped"][0]["rows"] == 1
        and "British Transport Police" in df.attrs["dropped"][0]["reason"]
    )
    assert set(df["fiscal_quarter"]) == {"2017/18 Q1", "2017/18 Q2", "2018/19 Q1"}


def test_recorded_parquet_long(tmp_path):
    df = _official_frame().rename(
        columns={
            "Financial Year": "FY",
            "Force Name": "Force",
            "Offence Group": "Group",
            "Number of Offences": "n",
        }
    )
    df["Financial Quarter"] = df["Financial Quarter"].astype(float)
    df["n"] = df["n"].astype(float)
    df["territorial"] = df["Force"] != "British Transport Police"
    p = tmp_path / "long.parquet"
    df.to_parquet(p)
    _check_recorded(rh.read_recorded_crime(p))


def test_recorded_official_csv_with_dash_zero(tmp_path):
    df = _official_frame().astype({"Number of Offences": str})
    df["Number of Offences"] = [f" {v} " if v != "0" else " -00 " for v in df["Number of Offences"]]
    p = tmp_path / "sheet.csv"
    df.to_csv(p, index=False)
    assert " -00" in p.read_text()
    _check_recorded(rh.read_recorded_crime(p))


def _write_workbook(path, sheets):
    """Write ``{sheet name: list of rows}`` (a row is a list of cells; ``[]`` is blank) as an
    .xlsx (openpyxl) or .ods (pandas' odf engine, odfpy) workbook."""
    if path.suffix == ".ods":
        pytest.importorskip("odf")
        with pd.ExcelWriter(path, engine="odf") as w:
            for name, rows in sheets.items():
                width = max(len(r) for r in rows)
                frame = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows])
                frame.to_excel(w, sheet_name=name, index=False, header=False)
        return path
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        s = wb.create_sheet(name)
        for r in rows:
            s.append(list(r))
    wb.save(path)
    return path


def _year_sheets(frame, header, title="Police recorded crime open data tables"):
    """An introduction sheet, a notes sheet listing the field names one per row, and one sheet
    per financial year with a title block above the official header row."""
    sheets = {
        "Introduction": [[title]],
        "Notes": [["Field", "Description"]] + [[c, f"the {c.lower()}"] for c in header],
    }
    for fy, g in frame.groupby("Financial Year"):
        rows = [list(r) for r in g.itertuples(index=False)]
        sheets[fy.replace("/", "-")] = [[f"{title}, {fy}"], [], header] + rows
    return sheets


@pytest.mark.parametrize("ext", ["xlsx", "ods"])
def test_recorded_workbook_with_year_sheets(tmp_path, ext):
    # accessible-spreadsheet headers may carry a note marker
    header = OFFICIAL[:-1] + ["Number of Offences [note 1]"]
    p = _write_workbook(tmp_path / f"tables.{ext}", _year_sheets(_official_frame(), header))
    df = rh.read_recorded_crime(p)
    _check_recorded(df)
    assert df.attrs["rows"] == {
        "file": p.name,
        "read": 6,  # the notes sheet's field list is not read as data
        "other_offences": 1,
        "dropped": 1,
        "kept": 4,
    }
    assert len(rh.read_recorded_crime(p, codes=None)) == 5


def test_recorded_missing_column(tmp_path):
    p = tmp_path / "bad.csv"
    _official_frame().drop(columns="Offence Code").to_csv(p, index=False)
    with pytest.raises(InputFormatError, match=r"bad\.csv.*offence_code"):
        rh.read_recorded_crime(p)


def test_recorded_unknown_forces_listed(tmp_path):
    df = _official_frame()
    df.loc[0, "Force Name"] = "Atlantis"
    df.loc[1, "Force Name"] = "Gotham"
    p = tmp_path / "unk.csv"
    df.to_csv(p, index=False)
    with pytest.raises(forces.UnknownForceError) as ei:
        rh.read_recorded_crime(p)
    assert "Atlantis" in str(ei.value) and "Gotham" in str(ei.value)


OUT_OFFICIAL = OFFICIAL[:7] + [
    "Offence code expired",
    "Outcome Description",
    "Outcome Group",
    "Outcome Type",
    "Force outcomes for offences recorded in quarter",
    "Force outcomes recorded in quarter",
]


def _outcome_rows():
    return [
        ("2018/19", 1, "Avon and Somerset", "19C", 1, "3", "5"),
        ("2018/19", 1, "Avon and Somerset", "19C", 0, "20", "0"),
        ("2018/19", 1, "Avon and Somerset", "19K", 1, "N/A - offence code expired", "1"),
        ("2018/19", 2, "British Transport Police", "19C", 1, "1", "1"),
        ("2018/19", 2, "Metropolitan Police", "17A", 1, "9", "9"),
    ]


def _outcomes_official():
    return pd.DataFrame(
        [
            (fy, q, f, "d", "g", "s", c, "", "o", "og", t, a, b)
            for fy, q, f, c, t, a, b in _outcome_rows()
        ],
        columns=OUT_OFFICIAL,
    )


def _check_outcomes(df, expired=True):
    assert set(df["force"]) == {"Avon and Somerset"}
    assert df["outcomes_in_quarter"].sum() == (6 if expired else 5)
    assert df.loc[df["outcome_type"] == 1, "outcomes_cohort"].sum() == 3
    assert df["outcomes_cohort"].isna().sum() == (1 if expired else 0)


def test_outcomes_official_csv_gz(tmp_path):
    p = tmp_path / "out.csv.gz"
    with gzip.open(p, "wt") as fh:
        _outcomes_official().to_csv(fh, index=False)
    df = ho_out.read_outcomes(p)
    _check_outcomes(df)
    assert any("expired" in d["reason"] for d in df.attrs["dropped"])


def test_outcomes_tidy_snake_case(tmp_path):
    df = _outcomes_official()
    df.columns = [
        "financial_year",
        "financial_quarter",
        "force_name",
        "offence_description",
        "offence_group",
        "offence_subgroup",
        "offence_code",
        "offence_code_expired",
        "outcome_description",
        "outcome_group",
        "outcome_type",
        "offences",
        "force_outcomes_recorded_in_quarter",
    ]
    df = df[df["offences"] != "N/A - offence code expired"]  # the tidy export drops expired codes
    p = tmp_path / "tidy.csv"
    df.to_csv(p, index=False)
    _check_outcomes(ho_out.read_outcomes(p), expired=False)


def _outcomes_sheets():
    return {
        "Cover": [["Crime outcomes open data"]],
        "Data": [OUT_OFFICIAL] + [list(r) for r in _outcomes_official().itertuples(index=False)],
    }


@pytest.mark.parametrize("ext", ["xlsx", "ods"])
def test_outcomes_workbook(tmp_path, ext):
    df = ho_out.read_outcomes(_write_workbook(tmp_path / f"out.{ext}", _outcomes_sheets()))
    _check_outcomes(df)
    assert any("expired" in d["reason"] and d["kind"] == "missing" for d in df.attrs["dropped"])


def test_outcomes_missing_measure_columns(tmp_path):
    p = tmp_path / "out.csv"
    _outcomes_official().drop(columns=OUT_OFFICIAL[-2:]).to_csv(p, index=False)
    with pytest.raises(InputFormatError, match="recorded in quarter"):
        ho_out.read_outcomes(p)


def test_charged_national(tmp_path):
    p = tmp_path / "ch.csv"
    pd.DataFrame(
        {
            "": [0, 1, 2],
            "Date": ["30/06/2019", "31/03/2020", "31/03/2020"],
            "Offence Group": "g",
            "Offence Subgroup": "s",
            "Offence Description": "d",
            "Offence Code": ["19C", "19D", "8N"],
            "Outcomes for investigations closed in the quarter": [10, 5, 100],
            "Severity weighted outcomes for investigations closed in the quarter": 1.0,
        }
    ).to_csv(p, index=False)
    df = ho_out.read_charged_national(p)
    assert df["fiscal_quarter"].tolist() == ["2019/20 Q1", "2019/20 Q4"]
    assert df["charged"].sum() == 15


CPS_HEAD = [
    "",
    "Number of Homicide Convictions",
    "Percentage of Homicide Convictions",
    "Number of Sexual Offences Convictions",
    "Percentage of Sexual Offences Convictions",
    "Number of Sexual Offences Unsuccessful",
    "Percentage of Sexual Offences Unsuccessful",
    "Number of Admin Finalised Unsuccessful",
]


def test_cps_poc_quarterly(tmp_path):
    p = tmp_path / "POC-18-19-q4.csv"
    pd.DataFrame(
        [
            ["National", "3", "100%", "1,200", "80%", "300", "20%", "7"],
            ["Metropolitan and City", "2", "100%", "1,000", "80%", "250", "20%", "5"],
            ["Dyfed Powys", "1", "100%", "200", "80%", "50", "20%", "2"],
        ],
        columns=CPS_HEAD,
    ).to_csv(p, index=False)
    df = rc.read_cps_poc(p)
    sx = df[df["category"] == "Sexual Offences"].set_index("force")
    assert sx.loc["England and Wales", "convictions"] == 1200
    assert sx.loc["Metropolitan Police", "unsuccessful"] == 250
    assert set(df["period"]) == {"2018/19 Q4"}


def test_cps_period_from_filename():
    assert rc.period_from_filename("2017_principal_offence_category_Aug.csv") == (
        "2017-08",
        "month",
    )
    assert rc.period_from_filename("2014_principal_offence_category_april_2014.csv") == (
        "2014-04",
        "month",
    )
    assert rc.period_from_filename("POC-15-16-q1.csv") == ("2015/16 Q1", "quarter")


def test_cps_poc_missing_column(tmp_path):
    p = tmp_path / "POC-18-19-q1.csv"
    pd.DataFrame([["National", "3", "100%"]], columns=CPS_HEAD[:3]).to_csv(p, index=False)
    with pytest.raises(InputFormatError, match="Sexual Offences"):
        rc.read_cps_poc(p)


def test_cps_transcribed_series_rule(tmp_path):
    cols = rc.TRANSCRIBED_COLUMNS
    rows = [
        ["financial_year", "2016-17", "charges", 3671, "count", "A", "u1", "3,671"],
        [
            "financial_year",
            "2016-17",
            "charges",
            3910,
            "count",
            "B",
            "u2",
            "3,910 [CONFLICT/likely mislabel]",
        ],
        ["financial_year", "2017-18", "charge_rate_pct", 46.9, "percent", "VC", "u3", "46.9%"],
        ["financial_year", "2017-18", "charge_rate_pct", 47, "percent", "Ind", "u4", "47%"],
        ["quarter", "2023-24 Q1", "adult_charges", 940, "count", "C", "u5", "940"],
        ["quarter", "2023-24 Q1", "adult_charges", 599, "count", "D", "u6", "599"],
        ["quarter", "2022-23 Q1", "precharge_receipts", 1300, "count", "E", "u7", "1,300"],
        ["financial_year", "2019-20", "police_recorded_rape", 55130, "count", "F", "u8", "55,130"],
    ]
    p = tmp_path / "tr.csv"
    pd.DataFrame(rows, columns=cols).to_csv(p, index=False)
    tr = rc.read_cps_transcribed(p)
    assert len(tr) == len(rows)  # every row kept with its source
    series, conflicts = rc.build_cps_rape_series(tr)
    s = series.set_index(["measure", "period"])
    assert s.loc[("charges", "2016-17"), "value"] == 3671
    assert s.loc[("charge_rate_pct_all_decisions", "2017-18"), "value"] == 46.9
    assert pd.isna(s.loc[("adult_charges", "2023-24 Q1"), "value"])
    assert "unresolved_conflict" in s.loc[("adult_charges", "2023-24 Q1"), "flag"]
    assert "definitional_break_early_advice" in s.loc[("precharge_receipts", "2022-23 Q1"), "flag"]
    assert "police_recorded_rape" not in set(series["measure"])
    assert len(conflicts) == 2


def test_forces_aliases_and_codes():
    assert len(forces.FORCES) == 43 and len(set(forces.FORCE_CODES.values())) == 43
    assert forces.canonical_force("Devon & Cornwall") == "Devon and Cornwall"
    assert forces.canonical_force("London, City of") == "City of London"
    assert forces.canonical_force("Metropolitan and City") == "Metropolitan Police"
    assert forces.canonical_force("GreaterManchester") == "Greater Manchester"
    assert forces.canonical_force("National") == forces.NATIONAL
    for body in ("British Transport Police", "Action Fraud", "CIFAS", "UK Finance"):
        assert forces.canonical_force(body) is None
    assert forces.force_code("Dyfed-Powys") == "W15000004"
    with pytest.raises(forces.UnknownForceError, match="Narnia"):
        forces.map_forces(pd.Series(["Kent", "Narnia"]))


@pytest.mark.parametrize(
    "fq,cq",
    [
        ("2018/19 Q3", "2018Q4"),
        ("2018/19 Q1", "2018Q2"),
        ("2018/19 Q4", "2019Q1"),
        ("1999/00 Q4", "2000Q1"),
    ],
)
def test_periods(fq, cq):
    assert periods.fiscal_to_calendar(fq) == cq
    assert periods.calendar_to_fiscal(cq) == fq


def test_periods_quarter_end():
    assert periods.quarter_end_to_fiscal("2014-06-30") == "2014/15 Q1"
    assert periods.fiscal_quarter_end("2018/19 Q4") == pd.Timestamp("2019-03-31")
    assert periods.fiscal_year_label(2019) == "2019/20"
    with pytest.raises(ValueError):
        periods.fiscal_year_start("2018/20")
    # annual series: first whole financial year after the quarter, and the part-exposed one
    assert periods.annual_dates("2018Q4") == ("2019/20", ["2018/19"])
    assert periods.annual_dates("2019Q2") == ("2019/20", [])
    assert periods.annual_dates("2020Q1") == ("2020/21", ["2019/20"])


def test_moj_sentenced_reader(tmp_path):
    from rasso_research.data.sources import moj as read_moj

    p = tmp_path / "s.csv"
    pd.DataFrame(
        {
            "Year.of.Appearance": [2018, 2018, 2019],
            "Offence": ["19C Rape of a female aged 16 or over"] * 3,
            "Courts": "Crown Court",
            "Sentence.Outcome": [
                "01: Immediate Custody",
                "01: Immediate Custody",
                "02: Suspended Sentence",
            ],
            "Count": [2, 3, 1],
        }
    ).to_csv(p, index=False)
    df = read_moj.read_sentenced(p)
    assert df.groupby("year").sentenced.sum().to_dict() == {2018: 5, 2019: 1}
    assert set(df.offence_code) == {"19C"} and "Immediate Custody" in set(df.sentence_outcome)
    pd.read_csv(p).drop(columns="Count").to_csv(p, index=False)
    with pytest.raises(InputFormatError, match="Count"):
        read_moj.read_sentenced(p)


def test_outcome_editions_are_the_mirrored_ones(tmp_path):
    """Only the two mirrored editions are read as editions: an official workbook is read by its
    registry name, in the documented layout (tests/data/test_official.py), never by a glob."""
    (tmp_path / "homeoffice" / "official").mkdir(parents=True)
    _write_workbook(
        tmp_path / "homeoffice" / "official" / "prc-outcomes-open-data-mar2019-tables-240724.xlsx",
        _outcomes_sheets(),
    )
    names = [s.files[0] for s in (ho_out.OUT_2018, ho_out.OUT_2019)]
    for n in names:
        (tmp_path / n).write_text("x\n")
    sums = dict.fromkeys(names, "0" * 64)
    files = RawFiles(tmp_path, sums, sums, _checked=set(names))
    assert [src for _, src in ho_out.outcome_editions(files)] == [
        ho_out.OUT_2018.label,
        ho_out.OUT_2019.label,
    ]


def test_periods_roundtrip_all_quarters():
    for year in range(1990, 2040):
        for q in (1, 2, 3, 4):
            fq = periods.fiscal_quarter_label(year, q)
            cq = periods.fiscal_to_calendar(fq)
            assert periods.calendar_to_fiscal(cq) == fq
            end = periods.fiscal_quarter_end(fq)
            assert periods.quarter_end_to_fiscal(end) == fq
            assert end.month == {1: 6, 2: 9, 3: 12, 4: 3}[q]


def test_every_loss_in_cleaning_is_counted_and_reported(tmp_path):
    """Nothing is lost silently: blank rows, unrecognised periods, non-numeric and blank counts
    and expired codes are noted, the row accounting balances, and every note reaches
    data_quality.md. A repeated key is not a note but an error naming the file and lines."""
    from rasso_research.data import panel, quality

    df = _outcomes_official()
    extra = df.iloc[[0, 0, 0, 0, 0]].copy()
    extra.iloc[0, :] = None  # blank row
    extra.iloc[1, OUT_OFFICIAL.index("Financial Quarter")] = 5  # unrecognised period
    extra.iloc[2, OUT_OFFICIAL.index("Financial Year")] = "2018/20"  # unrecognised period
    extra.iloc[3, OUT_OFFICIAL.index("Force outcomes recorded in quarter")] = ".."  # non-numeric
    extra.iloc[4, OUT_OFFICIAL.index("Force outcomes recorded in quarter")] = None  # blank
    extra.iloc[3, OUT_OFFICIAL.index("Outcome Type")] = 28  # own keys: not repeats of row 0
    extra.iloc[4, OUT_OFFICIAL.index("Outcome Type")] = 29
    p = tmp_path / "out.csv"
    pd.concat([df, df.iloc[[0]]]).to_csv(p, index=False)
    with pytest.raises(DuplicateKeyError, match=r"out\.csv: lines 2 and \d+ share the key"):
        ho_out.read_outcomes(p)  # row 0 again (line 7): a repeated row is never summed
    pd.concat([df, extra]).to_csv(p, index=False)
    out = ho_out.read_outcomes(p)
    notes = {d["reason"].split(" (e.g.")[0]: (d["rows"], d["kind"]) for d in out.attrs["dropped"]}
    assert notes["blank row"] == (1, "dropped")
    assert notes["unrecognised financial year or quarter"] == (2, "dropped")
    assert notes["non-territorial body excluded: British Transport Police"] == (1, "dropped")
    assert notes["outcomes_cohort: non-numeric value set to missing"] == (1, "missing")
    assert notes["outcomes_in_quarter: non-numeric value set to missing"] == (1, "missing")
    assert notes["outcomes_in_quarter: blank in source, kept as missing"] == (1, "missing")
    assert not [r for r in notes if r.startswith("rows sharing a key")]
    rows = out.attrs["rows"]
    assert rows == {"file": "out.csv", "read": 10, "other_offences": 1, "dropped": 4, "kept": 5}
    assert rows["read"] == rows["other_offences"] + rows["dropped"] + rows["kept"]
    # the panel's report carries every note and the accounting
    log = quality.QualityLog(progress=False)
    log.dropped(out)
    cov = panel.coverage(pd.DataFrame(columns=panel.PANEL_COLUMNS))
    quality.write_quality(log, cov, tmp_path)
    md = (tmp_path / "data_quality.md").read_text()
    for d in out.attrs["dropped"]:
        line = f"| out.csv | {d['reason']} | {d['rows']:,} |"
        assert line in md, line
    assert "read 10 = other offences 1 + dropped 4 + kept 5" in md
    for section in ("dropped or excluded rows", "values set to missing"):
        assert f"## {section}" in md


def test_unrecognised_periods_everywhere_raise(tmp_path):
    df = _official_frame()
    df["Financial Quarter"] = "Total"
    p = tmp_path / "bad.csv"
    df.to_csv(p, index=False)
    with pytest.raises(InputFormatError, match=r"bad\.csv.*recognisable period"):
        rh.read_recorded_crime(p)


def test_cps_poc_losses_noted(tmp_path):
    p = tmp_path / "POC-18-19-q4.csv"
    rows = [
        ["National", "3", "100%", "1,200", "80%", "-", "20%", "7"],
        [None, "", "", "", "", "", "", ""],
        ["Dyfed Powys", "1", "100%", "200", "80%", "", "20%", "2"],
    ]
    pd.DataFrame(rows, columns=CPS_HEAD).to_csv(p, index=False)
    notes = {(d["reason"], d["rows"]) for d in rc.read_cps_poc(p).attrs["dropped"]}
    assert ("row with a blank area name", 1) in notes
    assert ("Number of Sexual Offences Unsuccessful: blank in source, kept as missing", 1) in notes
    assert (
        "Number of Sexual Offences Unsuccessful: non-numeric value set to missing (e.g. '-')",
        1,
    ) in notes
    both = pd.DataFrame(rows[:1] + rows[:1], columns=CPS_HEAD)
    both.to_csv(p, index=False)
    with pytest.raises(InputFormatError, match="areas listed twice"):
        rc.read_cps_poc(p)
