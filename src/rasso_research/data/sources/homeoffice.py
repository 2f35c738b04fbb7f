"""Readers for Home Office police recorded crime (PFA tables) and crime outcomes open data.

Every reader returns a tidy frame with canonical snake_case columns, canonical force names in
``force`` (territorial forces only), validated with a pandera schema. Rows dropped on the way
(non-territorial bodies, blank rows, unrecognised periods) and values set to missing (blank or
non-numeric cells such as ``N/A - offence code expired``) are listed in ``df.attrs["dropped"]``;
``df.attrs["rows"]`` reconciles the rows read with the rows returned.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from rasso_research import periods
from rasso_research.data import forces, schemas
from rasso_research.data.schemas import (
    RAPE_CODES,
    InputFormatError,
    names_file,
    note,
    parse_counts,
    standardise_columns,
)

#: raw files read by this module, relative to ``data/raw`` (names in ``data/raw/registry.csv``)
FILES = {
    "pfa_2026": "homeoffice/prc-pfa-mar2013-onwards-tables-230426.long.parquet",
    "pfa_2018": "homeoffice/prc-pfa-mar2013-onwards-tables-2018-release.2017-18-sheet.csv",
    "out_2018": "homeoffice/prc-outcomes-open-data-mar2018-tables.tidy.csv.gz",
    "out_2019": "homeoffice/prc-outcomes-open-data-mar2019-tables.csv.gz",
    "charged_nat": "homeoffice/outcomes-charged-by-offence-code-ew-2014-15q1-to-2024-25q1.csv",
    "oocd_fy": "homeoffice/oocd-dashboard-force-offence-group-year-2014-15-to-2025-26.csv",
}

#: Column names found in the Home Office files (official, mirror and snake_case spellings)
#: and the canonical name each reader gives them, by reader: ``R`` recorded crime, ``O``
#: outcomes, ``C`` national charged series.
COLUMN_NAMES = [
    # (name in a file, canonical name, readers)
    ("Financial Year", "fiscal_year", "RO"),
    ("FY", "fiscal_year", "R"),
    ("Financial Quarter", "fiscal_q", "RO"),
    ("Force Name", "force_name", "RO"),
    ("Force", "force_name", "R"),
    ("Offence Description", "offence_description", "ROC"),
    ("Offence Code", "offence_code", "ROC"),
    ("Offence Group", "offence_group", "R"),
    ("Group", "offence_group", "R"),
    ("Offence Subgroup", "offence_subgroup", "R"),
    ("Number of Offences", "offences", "R"),
    ("n", "offences", "R"),
    ("Offence code expired", "offence_code_expired", "O"),
    ("Outcome Type", "outcome_type", "O"),
    ("Outcome Description", "outcome_description", "O"),
    ("Outcome Group", "outcome_group", "O"),
    ("Force outcomes for offences recorded in quarter", "outcomes_cohort", "O"),
    ("offences", "outcomes_cohort", "O"),
    ("Force outcomes recorded in quarter", "outcomes_in_quarter", "O"),
    ("Date", "date", "C"),
    ("Outcomes for investigations closed in the quarter", "charged", "C"),
]


def _aliases(reader: str) -> dict[str, str]:
    return {name: canon for name, canon, who in COLUMN_NAMES if reader in who}


RECORDED_ALIASES = _aliases("R")
OUTCOME_ALIASES = _aliases("O")
CHARGED_ALIASES = _aliases("C")
RECORDED_REQUIRED = ["fiscal_year", "fiscal_q", "force_name", "offence_code", "offences"]
OUTCOME_REQUIRED = ["fiscal_year", "fiscal_q", "force_name", "offence_code", "outcome_type"]
CHARGED_REQUIRED = ["date", "offence_code", "charged"]

WORKBOOK_SUFFIXES = (".xlsx", ".xls", ".ods", ".xlsb")
#: leading columns of the recorded-crime and outcomes frames
RESULT_PERIOD_COLUMNS = [
    "fiscal_year",
    "fiscal_q",
    "fiscal_quarter",
    "force",
    "force_name",
    "offence_code",
]


def _suffix(path: Path) -> str:
    s = "".join(path.suffixes[-2:]).lower()
    return s if s.endswith(".gz") else path.suffix.lower()


def _csv_header(path: Path) -> list[str]:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", errors="replace") as fh:
        return pd.read_csv(fh, nrows=0).columns.tolist()


def _read_csv_columns(path: Path, aliases: dict, wanted: Iterable[str]) -> pd.DataFrame:
    """Read only the wanted (canonical) columns of a CSV as strings, with pyarrow."""
    header = _csv_header(path)
    probe = standardise_columns(pd.DataFrame(columns=header), aliases, [], path)
    keep = [raw for raw, canon in zip(header, probe.columns, strict=True) if canon in set(wanted)]
    df = pd.read_csv(path, usecols=keep, dtype=str, engine="pyarrow", encoding="utf-8")
    df.columns = [c.lstrip("\ufeff") for c in df.columns]
    return df


def _norm_header(c) -> str:
    """Header text without surrounding space or an accessible-spreadsheet ``[note N]`` suffix."""
    return re.sub(r"\s*\[notes? [^\]]*\]\s*$", "", str(c).strip(), flags=re.I).strip()


def read_workbook_sheets(
    path: Path, markers: Iterable[str] = ("Force Name", "Offence Code")
) -> pd.DataFrame:
    """Stack every sheet of an .xlsx/.ods workbook with a header row holding all ``markers``.

    The header row is searched in the first 30 rows (official sheets may carry a title block);
    cover, contents and notes sheets (which may list the field names one per row) are skipped.
    """
    want = {m.lower() for m in markers}
    sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="calamine")
    frames = []
    for name, raw in sheets.items():
        head = raw.head(30).map(lambda v: _norm_header(v).lower())
        hits = head.apply(lambda row: want <= set(row), axis=1)
        if not hits.any():
            continue
        i = int(hits.idxmax())
        body = raw.iloc[i + 1 :].copy()
        body.columns = [_norm_header(c) for c in raw.iloc[i]]
        body = body.loc[:, [c for c in body.columns if c and c != "nan"]]
        body["sheet"] = str(name)
        frames.append(body.dropna(how="all", subset=[c for c in body.columns if c != "sheet"]))
    if not frames:
        raise InputFormatError(f"{path}: no sheet has a header row with {list(markers)}")
    return pd.concat(frames, ignore_index=True)


# ---- accounting of every row and value lost in cleaning (see schemas.note) ----------------
# ``attrs["rows"]``: read = other_offences (out of scope, not a loss) + dropped + kept.


def _drop(df: pd.DataFrame, mask: pd.Series, path: Path, reason: str, notes: list) -> pd.DataFrame:
    note(notes, path, reason, int(mask.sum()))
    return df.loc[~mask]


def _open(path: Path | str, codes: Iterable[str] | None, read, aliases: dict, required: list):
    """Read a Home Office file with ``read(path, suffix)``, standardise its columns and keep
    the wanted offence codes. Returns (frame, row counts, notes)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: not found (run `make data`)")
    df = read(path, _suffix(path))
    df = standardise_columns(df, aliases, required, path)
    notes: list[dict] = []
    n_read = len(df)
    df = _drop(df, df.isna().all(axis=1), path, "blank row", notes)
    n_blank = n_read - len(df)
    if codes is not None:
        df = df[df["offence_code"].astype(str).str.strip().str.upper().isin(set(codes))]
    return df, {"read": n_read, "other_offences": n_read - n_blank - len(df)}, notes


def _result(
    df: pd.DataFrame, schema, cols: list[str], keys: list[str], path, rows: dict, notes: list
) -> pd.DataFrame:
    """Count rows sharing a key, validate, attach the notes and the (balanced) row accounting."""
    dup = int(df.duplicated(keys, keep=False).sum())
    reason = f"rows sharing a key ({', '.join(keys)}) with another row: kept, summed in the panel"
    note(notes, path, reason, dup, "caveat")
    out = schemas.validate(schema, df[cols].reset_index(drop=True), path)
    dropped = sum(d["rows"] for d in notes if d["kind"] == "dropped")
    rows = {"file": Path(path).name, **rows, "dropped": dropped, "kept": len(out)}
    if rows["read"] != rows["other_offences"] + dropped + len(out):
        raise AssertionError(f"{path}: rows unaccounted for: {rows}")
    out.attrs["dropped"] = notes
    out.attrs["rows"] = rows
    return out


def _is_fiscal_year(label: str) -> bool:
    try:
        periods.fiscal_year_start(label)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}/\d{2}", label))


def _finish_common(df: pd.DataFrame, path: Path, notes: list) -> pd.DataFrame:
    """Clean period columns, drop blank rows and rows with an unrecognised period, map force
    names (excluding non-territorial bodies and national totals)."""
    df = _drop(
        df,
        df["fiscal_year"].isna() | df["force_name"].isna(),
        path,
        "blank financial year or force",
        notes,
    )
    df = df.copy()
    df["fiscal_year"] = df["fiscal_year"].astype(str).str.strip().str.replace("-", "/")
    q = pd.to_numeric(df["fiscal_q"], errors="coerce")
    fy_ok = pd.Series([_is_fiscal_year(y) for y in df["fiscal_year"]], index=df.index, dtype=bool)
    bad = ~(fy_ok & q.isin([1, 2, 3, 4]))
    if bad.any():
        bad_fy, bad_q = df.loc[bad, "fiscal_year"], df.loc[bad, "fiscal_q"]
        eg = ", ".join(sorted({f"{y} Q{v}" for y, v in zip(bad_fy, bad_q, strict=True)})[:3])
        if bad.all():
            raise InputFormatError(f"{path}: no row has a recognisable period (e.g. {eg})")
        df = _drop(df, bad, path, f"unrecognised financial year or quarter (e.g. {eg})", notes)
        q = q[~bad]
    df["fiscal_q"] = q.astype(int)
    df["offence_code"] = df["offence_code"].astype(str).str.strip().str.upper()
    df["force"] = forces.map_forces(df["force_name"].astype(str).str.strip(), source=str(path))
    excl = df["force"].isna()
    for name, n in df.loc[excl, "force_name"].value_counts().sort_index().items():
        note(notes, path, f"non-territorial body excluded: {name}", int(n))
    df = df.loc[~excl]
    nat = df["force"] == forces.NATIONAL
    df = _drop(df, nat, path, "national total row (derived from forces instead)", notes)
    df["fiscal_quarter"] = [
        periods.fiscal_quarter_label(y, q)
        for y, q in zip(df["fiscal_year"], df["fiscal_q"], strict=True)
    ]
    return df


def _read_recorded_file(path: Path, suf: str) -> pd.DataFrame:
    if suf == ".parquet":
        return pd.read_parquet(path)
    if suf in (".csv", ".csv.gz"):
        return pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    if suf in WORKBOOK_SUFFIXES:
        return read_workbook_sheets(path)
    raise InputFormatError(f"{path}: unsupported format {suf!r}")


@names_file
def read_recorded_crime(path: Path | str, codes: Iterable[str] | None = RAPE_CODES) -> pd.DataFrame:
    """Police recorded crime by force, offence code and quarter.

    Accepts the mirror's stacked long parquet, a CSV export with official column names (zero
    written ``-00``) or the official workbook (.ods/.xlsx, all year sheets). ``codes`` filters
    offence codes early (``None`` keeps all).
    """
    df, rows, notes = _open(path, codes, _read_recorded_file, RECORDED_ALIASES, RECORDED_REQUIRED)
    df = _finish_common(df, path, notes)
    df["offences"] = parse_counts(df, "offences", path, notes)
    if "offence_description" not in df:
        df["offence_description"] = pd.NA
    cols = RESULT_PERIOD_COLUMNS + ["offence_description", "offences"]
    keys = ["fiscal_quarter", "force", "offence_code", "offence_description"]
    return _result(df, schemas.RECORDED_CRIME, cols, keys, path, rows, notes)


def _read_outcomes_file(path: Path, suf: str) -> pd.DataFrame:
    wanted = OUTCOME_REQUIRED + ["outcomes_cohort", "outcomes_in_quarter", "offence_code_expired"]
    if suf in (".csv", ".csv.gz"):
        return _read_csv_columns(path, OUTCOME_ALIASES, wanted)
    if suf in WORKBOOK_SUFFIXES:
        return read_workbook_sheets(path)
    raise InputFormatError(f"{path}: unsupported format {suf!r}")


@names_file
def read_outcomes(path: Path | str, codes: Iterable[str] | None = RAPE_CODES) -> pd.DataFrame:
    """Crime outcomes open data by force, offence code, outcome type and quarter.

    Keeps both measures where present: ``outcomes_cohort`` (force outcomes for offences recorded
    in the quarter) and ``outcomes_in_quarter`` (force outcomes recorded in the quarter).
    ``N/A - offence code expired`` becomes missing (counted). Accepts the tidy snake_case
    export, the official-header CSV (optionally gzipped) or the official workbook.
    """
    df, rows, notes = _open(path, codes, _read_outcomes_file, OUTCOME_ALIASES, OUTCOME_REQUIRED)
    if "outcomes_cohort" not in df and "outcomes_in_quarter" not in df:
        raise InputFormatError(
            f"{path}: missing column(s) ['Force outcomes for offences recorded "
            "in quarter' or 'Force outcomes recorded in quarter']"
        )
    df = _finish_common(df, path, notes)
    df["outcome_type"] = pd.to_numeric(df["outcome_type"], errors="raise").astype(int)
    for c in ("outcomes_cohort", "outcomes_in_quarter"):
        if c in df:
            df[c] = parse_counts(df, c, path, notes)
        else:
            df[c] = float("nan")
            note(notes, path, f"{c}: column not in this file, all missing", len(df), "missing")
    cols = RESULT_PERIOD_COLUMNS + ["outcome_type", "outcomes_cohort", "outcomes_in_quarter"]
    keys = ["fiscal_quarter", "force", "offence_code", "outcome_type"]
    return _result(df, schemas.OUTCOMES, cols, keys, path, rows, notes)


@names_file
def read_charged_national(
    path: Path | str, codes: Iterable[str] | None = RAPE_CODES
) -> pd.DataFrame:
    """National (E&W) charged/summonsed outcomes by offence code and quarter, closure measure."""

    def read(p: Path, suf: str) -> pd.DataFrame:
        return pd.read_csv(p, dtype=str, encoding="utf-8-sig")

    df, rows, notes = _open(path, codes, read, CHARGED_ALIASES, CHARGED_REQUIRED)
    df["offence_code"] = df["offence_code"].str.strip().str.upper()
    dates = pd.to_datetime(df["date"], format="%d/%m/%Y")
    bad = (dates + pd.offsets.QuarterEnd(0)) != dates
    if bad.any():
        raise InputFormatError(
            f"{path}: dates that are not quarter ends: {df.loc[bad, 'date'].unique()[:5]}"
        )
    df["fiscal_quarter"] = [periods.quarter_end_to_fiscal(d) for d in dates]
    df["fiscal_year"] = df["fiscal_quarter"].str[:7]
    df["fiscal_q"] = df["fiscal_quarter"].str[-1].astype(int)
    df["charged"] = parse_counts(df, "charged", path, notes)
    cols = ["fiscal_year", "fiscal_q", "fiscal_quarter", "offence_code", "charged"]
    keys = ["fiscal_quarter", "offence_code"]
    return _result(df, schemas.CHARGED_NATIONAL, cols, keys, path, rows, notes)


#: the OOCD dashboard's count columns -> measure names (both outcome measures)
OOCD_MEASURES = {
    "closed_charge": "charged_closed",
    "recorded_charge": "charged_cohort",
    "closed_oocd": "oocd_closed",
    "recorded_oocd": "oocd_cohort",
}
OOCD_REQUIRED = ["force", "fy", "offence_group", *OOCD_MEASURES]
#: force-years whose cohort (recorded-in-year) measure the dashboard's README lists as not
#: (fully) supplied in 2014/15
OOCD_COHORT_INCOMPLETE = {
    "2014/15": (
        "Cumbria",
        "Leicestershire",
        "Metropolitan Police",
        "Dyfed-Powys",
        "Bedfordshire",
        "Hertfordshire",
        "South Yorkshire",
    )
}


@names_file
def read_oocd_force_year(path: Path | str, latest_year: str | None = None) -> pd.DataFrame:
    """Annual charged/summonsed and out-of-court outcomes by force x financial year x offence
    group (the OOCD dashboard's aggregate of the official outcomes open data), long: one row per
    force, ``fiscal_year``, ``offence_group`` and ``measure`` (``charged_closed``,
    ``charged_cohort``, ``oocd_closed``, ``oocd_cohort``). British Transport Police is left out
    (counted in the notes). ``flag`` marks cohort values the source calls incomplete: the
    2014/15 force-years listed in :data:`OOCD_COHORT_INCOMPLETE` and the latest year (a cohort
    measure falls away until its offences are resolved)."""
    path = Path(path)
    notes: list = []
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    df = standardise_columns(raw, {c: c for c in OOCD_REQUIRED}, OOCD_REQUIRED, path)
    n_read = len(df)
    df = _drop(df, df["force"].isna() | df["fy"].isna(), path, "blank force or year", notes)
    df = df.assign(force_name=df["force"].str.strip())
    df["force"] = forces.map_forces(df["force_name"], source=str(path))
    for name, n in df.loc[df["force"].isna(), "force_name"].value_counts().sort_index().items():
        note(notes, path, f"non-territorial body excluded: {name}", int(n))
    df = df[df["force"].notna()]
    bad = ~df["fy"].str.strip().map(_is_fiscal_year)
    if bad.any():
        raise InputFormatError(
            f"{path}: unrecognised financial year(s) {sorted(df.loc[bad, 'fy'].unique())[:3]}"
        )
    df["fiscal_year"] = df["fy"].str.strip()
    for col in OOCD_MEASURES:
        df[col] = parse_counts(df, col, path, notes)
    long = df.melt(
        id_vars=["force", "fiscal_year", "offence_group"],
        value_vars=list(OOCD_MEASURES),
        var_name="column",
        value_name="value",
    )
    long["measure"] = long.pop("column").map(OOCD_MEASURES)
    latest = latest_year or max(long["fiscal_year"])
    cohort = long["measure"].str.endswith("_cohort")
    early = pd.Series(False, index=long.index)
    for fy, fs in OOCD_COHORT_INCOMPLETE.items():
        early |= (long["fiscal_year"] == fy) & long["force"].isin(fs)
    long["flag"] = ""
    long.loc[cohort & early, "flag"] = "cohort not fully supplied by the force"
    long.loc[cohort & (long["fiscal_year"] == latest), "flag"] = "cohort incomplete: latest year"
    note(
        notes,
        path,
        "cohort values flagged incomplete (kept)",
        int((long["flag"] != "").sum()),
        "caveat",
    )
    long["force_code"] = long["force"].map(forces.FORCE_CODES)
    dup = long.duplicated(["force", "fiscal_year", "offence_group", "measure"])
    if dup.any():
        raise InputFormatError(f"{path}: {int(dup.sum())} duplicated force x year x group rows")
    out = long[["fiscal_year", "force", "force_code", "offence_group", "measure", "value", "flag"]]
    out = schemas.validate(schemas.FORCE_YEAR, out.reset_index(drop=True), path)
    dropped = sum(d["rows"] for d in notes if d["kind"] == "dropped")
    out.attrs["dropped"] = notes
    out.attrs["rows"] = {
        "file": path.name,
        "read": n_read,
        "other_offences": 0,
        "dropped": dropped,
        "kept": len(out) // len(OOCD_MEASURES),
    }
    return out


#: The non-territorial force whose rows the OOCD aggregate holds beside the 43 forces.
BTP = "British Transport Police"


@names_file
def read_oocd_btp(path: Path | str) -> pd.DataFrame:
    """British Transport Police's rows of the OOCD aggregate (left out of
    :func:`read_oocd_force_year`), long: ``fiscal_year``, ``offence_group``, ``measure``,
    ``value``: what a national figure that includes BTP adds to the 43 forces."""
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    df = standardise_columns(raw, {c: c for c in OOCD_REQUIRED}, OOCD_REQUIRED, path)
    df = df[df["force"].str.strip() == BTP]
    if df.empty:
        raise InputFormatError(f"{path}: no {BTP} rows")
    notes: list = []
    for col in OOCD_MEASURES:
        df[col] = parse_counts(df, col, path, notes)
    long = df.assign(fiscal_year=df["fy"].str.strip()).melt(
        id_vars=["fiscal_year", "offence_group"],
        value_vars=list(OOCD_MEASURES),
        var_name="column",
        value_name="value",
    )
    long["measure"] = long.pop("column").map(OOCD_MEASURES)
    return long[["fiscal_year", "offence_group", "measure", "value"]].reset_index(drop=True)
