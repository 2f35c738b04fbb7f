"""Home Office police recorded crime (PFA tables): the reader, the panel's recorded-rape rows
and the revision table; and the file handling shared by the Home Office readers
(:mod:`.homeoffice_outcomes`, :mod:`.homeoffice_oocd`).

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
from rasso_research.data.build import NAT, Build, national_sum, panel_rows, step
from rasso_research.data.catalog import Coverage, Source
from rasso_research.data.quality import QualityLog
from rasso_research.data.rawfiles import RawFiles, as_files
from rasso_research.data.schemas import (
    RAPE_ADULT_CODES,
    RAPE_CHILD_CODES,
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


def read_csv_columns(path: Path, aliases: dict, wanted: Iterable[str]) -> pd.DataFrame:
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
# ``attrs["rows"]``: read = other_offences (out of scope, not a loss) + dropped + kept. These
# helpers are shared by the Home Office readers of .homeoffice_outcomes and .homeoffice_oocd.


def drop_rows(
    df: pd.DataFrame, mask: pd.Series, path: Path, reason: str, notes: list
) -> pd.DataFrame:
    """``df`` without the rows of ``mask``, their number noted with ``reason``."""
    note(notes, path, reason, int(mask.sum()))
    return df.loc[~mask]


def open_file(path: Path | str, codes: Iterable[str] | None, read, aliases: dict, required: list):
    """Read a Home Office file with ``read(path, suffix)``, standardise its columns and keep
    the wanted offence codes. Returns (frame, row counts, notes)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: not found (run `make data`)")
    df = read(path, _suffix(path))
    df = standardise_columns(df, aliases, required, path)
    notes: list[dict] = []
    n_read = len(df)
    df = drop_rows(df, df.isna().all(axis=1), path, "blank row", notes)
    n_blank = n_read - len(df)
    if codes is not None:
        df = df[df["offence_code"].astype(str).str.strip().str.upper().isin(set(codes))]
    return df, {"read": n_read, "other_offences": n_read - n_blank - len(df)}, notes


def checked_result(
    df: pd.DataFrame, schema, cols: list[str], keys: list[str], path, rows: dict, notes: list
) -> pd.DataFrame:
    """Refuse rows sharing a key (:func:`~rasso_research.data.schemas.refuse_duplicates`),
    validate, attach the notes and the (balanced) row accounting."""
    schemas.refuse_duplicates(df, keys, path)
    out = schemas.validate(schema, df[cols].reset_index(drop=True), path)
    dropped = sum(d["rows"] for d in notes if d["kind"] == "dropped")
    rows = {"file": Path(path).name, **rows, "dropped": dropped, "kept": len(out)}
    if rows["read"] != rows["other_offences"] + dropped + len(out):
        raise AssertionError(f"{path}: rows unaccounted for: {rows}")
    out.attrs["dropped"] = notes
    out.attrs["rows"] = rows
    return out


def is_fiscal_year(label: str) -> bool:
    """Whether ``label`` is a financial year written ``2018/19``."""
    try:
        periods.fiscal_year_start(label)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}/\d{2}", label))


def finish_common(df: pd.DataFrame, path: Path, notes: list) -> pd.DataFrame:
    """Clean period columns, drop blank rows and rows with an unrecognised period, map force
    names (excluding non-territorial bodies and national totals)."""
    df = drop_rows(
        df,
        df["fiscal_year"].isna() | df["force_name"].isna(),
        path,
        "blank financial year or force",
        notes,
    )
    df = df.copy()
    df["fiscal_year"] = df["fiscal_year"].astype(str).str.strip().str.replace("-", "/")
    q = pd.to_numeric(df["fiscal_q"], errors="coerce")
    fy_ok = pd.Series([is_fiscal_year(y) for y in df["fiscal_year"]], index=df.index, dtype=bool)
    bad = ~(fy_ok & q.isin([1, 2, 3, 4]))
    if bad.any():
        bad_fy, bad_q = df.loc[bad, "fiscal_year"], df.loc[bad, "fiscal_q"]
        eg = ", ".join(sorted({f"{y} Q{v}" for y, v in zip(bad_fy, bad_q, strict=True)})[:3])
        if bad.all():
            raise InputFormatError(f"{path}: no row has a recognisable period (e.g. {eg})")
        df = drop_rows(df, bad, path, f"unrecognised financial year or quarter (e.g. {eg})", notes)
        q = q[~bad]
    df["fiscal_q"] = q.astype(int)
    df["offence_code"] = df["offence_code"].astype(str).str.strip().str.upper()
    df["force"] = forces.map_forces(df["force_name"].astype(str).str.strip(), source=str(path))
    excl = df["force"].isna()
    for name, n in df.loc[excl, "force_name"].value_counts().sort_index().items():
        note(notes, path, f"non-territorial body excluded: {name}", int(n))
    df = df.loc[~excl]
    nat = df["force"] == forces.NATIONAL
    df = drop_rows(df, nat, path, "national total row (derived from forces instead)", notes)
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
    df, rows, notes = open_file(
        path, codes, _read_recorded_file, RECORDED_ALIASES, RECORDED_REQUIRED
    )
    df = finish_common(df, path, notes)
    df["offences"] = parse_counts(df, "offences", path, notes)
    if "offence_description" not in df:
        df["offence_description"] = pd.NA
    cols = RESULT_PERIOD_COLUMNS + ["offence_description", "offences"]
    keys = ["fiscal_quarter", "force", "offence_code", "offence_description"]
    return checked_result(df, schemas.RECORDED_CRIME, cols, keys, path, rows, notes)


# ---- panel rows ------------------------------------------------------------------------------

#: the panel's recorded-crime source (the 2018 release is read only for the revision table)
PFA_2026 = Source(
    "pfa_2026",
    "HO PRC PFA tables, 23 Apr 2026 release",
    (FILES["pfa_2026"],),
    Coverage("recorded_rape", "2012/13 Q1", "2025/26 Q3", 44),
)
SOURCES = (PFA_2026,)


def recorded_rows(rec: pd.DataFrame, log: QualityLog) -> pd.DataFrame:
    """Panel rows of recorded rape (``rec``, the 2026 release) by offence code and in total,
    each force and England and Wales."""
    log.dropped(rec)
    neg = rec["offences"] < 0
    if neg.any():
        log.add(
            "kept with caveat",
            FILES["pfa_2026"],
            "negative quarterly counts (cancelled crimes) kept",
            int(neg.sum()),
        )
    by_code = rec.groupby(["fiscal_quarter", "force", "offence_code"], as_index=False)[
        "offences"
    ].sum(min_count=1)
    parts = []
    for code, g in by_code.groupby("offence_code"):
        parts.append(panel_rows(g, f"recorded_rape_{code}", "offences", PFA_2026.label))
        parts.append(
            panel_rows(
                national_sum(g, ["fiscal_quarter"], "offences", log, f"recorded_rape_{code}"),
                f"recorded_rape_{code}",
                "offences",
                PFA_2026.label,
            )
        )
    total_note = "sum of rape codes " + ",".join(RAPE_CODES) + " (19J/19K from 2019/20)"
    for measure, codes, what in (
        ("recorded_rape", RAPE_CODES, total_note),
        ("recorded_rape_adult", RAPE_ADULT_CODES, "codes 19C, 19F (aged 16 and over)"),
        ("recorded_rape_child", RAPE_CHILD_CODES, "codes 19D, 19E, 19G, 19H (under 16)"),
    ):
        g = by_code[by_code["offence_code"].isin(codes)]
        tot = g.groupby(["fiscal_quarter", "force"], as_index=False)["offences"].sum(min_count=1)
        nat = national_sum(tot, ["fiscal_quarter"], "offences", log, measure)
        parts += [
            panel_rows(tot, measure, "offences", PFA_2026.label, what),
            panel_rows(nat, measure, "offences", PFA_2026.label, what),
        ]
    return pd.concat(parts, ignore_index=True)


def recorded_revision(raw: RawFiles, log: QualityLog, rec: pd.DataFrame) -> pd.DataFrame:
    """Recorded rape in 2017/18 by force: the 2017/18 sheet of the 2018 release against the
    2026 release (``rec``), with the national total (``recorded_rape_revision.csv``)."""
    old = read_recorded_crime(as_files(raw).path(FILES["pfa_2018"]))
    log.dropped(old)
    a = old.groupby("force")["offences"].sum(min_count=1).rename("release_2018")
    b = (
        rec[rec["fiscal_year"] == "2017/18"]
        .groupby("force")["offences"]
        .sum(min_count=1)
        .rename("release_2026")
    )
    rev = pd.concat([a, b], axis=1).reset_index().rename(columns={"index": "force"})
    rev = pd.concat(
        [
            rev,
            pd.DataFrame(
                [
                    {
                        "force": NAT,
                        "release_2018": rev["release_2018"].sum(),
                        "release_2026": rev["release_2026"].sum(),
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    rev.insert(1, "force_code", rev["force"].map(forces.force_code))
    rev.insert(2, "fiscal_year", "2017/18")
    rev["difference"] = rev["release_2026"] - rev["release_2018"]
    rev["pct_difference"] = (100 * rev["difference"] / rev["release_2018"]).round(3)
    e = rev[rev["force"] == NAT].iloc[0]
    log.add(
        "revisions",
        "recorded rape 2017/18, E&W",
        f"2018 release {e.release_2018:,.0f} vs 2026 release {e.release_2026:,.0f}",
        e.difference,
    )
    return rev


@step("recorded rape (PFA tables)", order=10)
def recorded_step(b: Build) -> None:
    """Recorded-rape rows (offered as ``recorded``) and ``recorded_rape_revision``."""
    rec = read_recorded_crime(b.path(FILES["pfa_2026"]))
    rows = recorded_rows(rec, b.log)
    b.add_rows(rows)
    b.offer("recorded", rows)
    b.add_table("recorded_rape_revision", recorded_revision(b.files, b.log, rec))
