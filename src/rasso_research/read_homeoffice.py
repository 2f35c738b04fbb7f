"""Readers for Home Office police recorded crime (PFA tables) and crime outcomes open data.

Every reader returns a tidy frame with canonical snake_case columns, canonical force names in
``force`` (territorial forces only), validated with a pandera schema. Rows dropped on the way
(non-territorial bodies, blank rows, expired codes) are listed in ``df.attrs["dropped"]``.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from rasso_research import forces, periods, schemas
from rasso_research.schemas import RAPE_CODES, InputFormatError, standardise_columns, to_number

# official / mirror / snake_case column names -> canonical
RECORDED_ALIASES = {
    "Financial Year": "fiscal_year",
    "FY": "fiscal_year",
    "Financial Quarter": "fiscal_q",
    "Force Name": "force_name",
    "Force": "force_name",
    "Offence Description": "offence_description",
    "Offence Group": "offence_group",
    "Group": "offence_group",
    "Offence Subgroup": "offence_subgroup",
    "Offence Code": "offence_code",
    "Number of Offences": "offences",
    "n": "offences",
}
RECORDED_REQUIRED = ["fiscal_year", "fiscal_q", "force_name", "offence_code", "offences"]

OUTCOME_ALIASES = {
    "Financial Year": "fiscal_year",
    "Financial Quarter": "fiscal_q",
    "Force Name": "force_name",
    "Offence Description": "offence_description",
    "Offence Code": "offence_code",
    "Offence code expired": "offence_code_expired",
    "Outcome Type": "outcome_type",
    "Outcome Description": "outcome_description",
    "Outcome Group": "outcome_group",
    "Force outcomes for offences recorded in quarter": "outcomes_cohort",
    "offences": "outcomes_cohort",
    "Force outcomes recorded in quarter": "outcomes_in_quarter",
}
OUTCOME_REQUIRED = ["fiscal_year", "fiscal_q", "force_name", "offence_code", "outcome_type"]

CHARGED_ALIASES = {
    "Date": "date",
    "Offence Code": "offence_code",
    "Offence Description": "offence_description",
    "Outcomes for investigations closed in the quarter": "charged",
}
CHARGED_REQUIRED = ["date", "offence_code", "charged"]


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


def read_workbook_sheets(path: Path, marker: str = "Force Name") -> pd.DataFrame:
    """Stack every sheet of an .xlsx/.ods workbook whose header row contains ``marker``.

    The header row is searched in the first 30 rows (official sheets may carry a title block).
    """
    sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="calamine")
    frames = []
    for name, raw in sheets.items():
        head = raw.head(30).astype(str).apply(lambda col: col.str.strip().str.lower())
        hits = (head == marker.lower()).any(axis=1)
        if not hits.any():
            continue
        i = int(hits.idxmax())
        body = raw.iloc[i + 1 :].copy()
        body.columns = [str(c).strip() for c in raw.iloc[i]]
        body = body.loc[:, [c for c in body.columns if c and c != "nan"]]
        body["sheet"] = str(name)
        frames.append(body.dropna(how="all", subset=[c for c in body.columns if c != "sheet"]))
    if not frames:
        raise InputFormatError(f"{path}: no sheet has a header row with {marker!r}")
    return pd.concat(frames, ignore_index=True)


def _drop(
    df: pd.DataFrame, mask: pd.Series, path: Path, reason: str, dropped: list
) -> pd.DataFrame:
    n = int(mask.sum())
    if n:
        dropped.append({"file": str(Path(path).name), "reason": reason, "rows": n})
    return df.loc[~mask]


def _finish_common(df: pd.DataFrame, path: Path, dropped: list) -> pd.DataFrame:
    """Clean period columns, drop blank rows, map force names (excluding non-territorial)."""
    df = _drop(
        df,
        df["fiscal_year"].isna() | df["force_name"].isna(),
        path,
        "blank financial year or force",
        dropped,
    )
    df = df.copy()
    df["fiscal_year"] = df["fiscal_year"].astype(str).str.strip().str.replace("-", "/")
    df["fiscal_q"] = pd.to_numeric(df["fiscal_q"], errors="raise").astype(int)
    df["offence_code"] = df["offence_code"].astype(str).str.strip().str.upper()
    df["force"] = forces.map_forces(df["force_name"].astype(str).str.strip(), source=str(path))
    excl = df["force"].isna()
    for name, n in df.loc[excl, "force_name"].value_counts().sort_index().items():
        dropped.append(
            {
                "file": Path(path).name,
                "reason": f"non-territorial body excluded: {name}",
                "rows": int(n),
            }
        )
    df = df.loc[~excl]
    nat = df["force"] == forces.NATIONAL
    df = _drop(df, nat, path, "national total row (derived from forces instead)", dropped)
    df["fiscal_quarter"] = [
        periods.fiscal_quarter_label(y, q)
        for y, q in zip(df["fiscal_year"], df["fiscal_q"], strict=True)
    ]
    return df


def read_recorded_crime(path: Path | str, codes: Iterable[str] | None = RAPE_CODES) -> pd.DataFrame:
    """Police recorded crime by force, offence code and quarter.

    Accepts the mirror's stacked long parquet, a CSV export with official column names (zero
    written ``-00``) or the official workbook (.ods/.xlsx, all year sheets). ``codes`` filters
    offence codes early (``None`` keeps all).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: not found (run `python -m rasso_research.fetch`)")
    suf = _suffix(path)
    if suf == ".parquet":
        df = pd.read_parquet(path)
    elif suf in (".csv", ".csv.gz"):
        df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    elif suf in (".xlsx", ".xls", ".ods", ".xlsb"):
        df = read_workbook_sheets(path, marker="Force Name")
    else:
        raise InputFormatError(f"{path}: unsupported format {suf!r}")
    df = standardise_columns(df, RECORDED_ALIASES, RECORDED_REQUIRED, path)
    dropped: list[dict] = []
    if codes is not None:
        df = df[df["offence_code"].astype(str).str.strip().str.upper().isin(set(codes))]
    df = _finish_common(df, path, dropped)
    df["offences"] = to_number(df["offences"])
    if "offence_description" not in df:
        df["offence_description"] = pd.NA
    cols = [
        "fiscal_year",
        "fiscal_q",
        "fiscal_quarter",
        "force",
        "force_name",
        "offence_code",
        "offence_description",
        "offences",
    ]
    out = schemas.validate(schemas.RECORDED_CRIME, df[cols].reset_index(drop=True), path)
    out.attrs["dropped"] = dropped
    return out


def read_outcomes(path: Path | str, codes: Iterable[str] | None = RAPE_CODES) -> pd.DataFrame:
    """Crime outcomes open data by force, offence code, outcome type and quarter.

    Keeps both measures where present: ``outcomes_cohort`` (force outcomes for offences recorded
    in the quarter) and ``outcomes_in_quarter`` (force outcomes recorded in the quarter).
    ``N/A - offence code expired`` becomes missing. Accepts the tidy snake_case export, the
    official-header CSV (optionally gzipped) or the official workbook.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: not found (run `python -m rasso_research.fetch`)")
    suf = _suffix(path)
    wanted = OUTCOME_REQUIRED + ["outcomes_cohort", "outcomes_in_quarter", "offence_code_expired"]
    if suf in (".csv", ".csv.gz"):
        df = _read_csv_columns(path, OUTCOME_ALIASES, wanted)
    elif suf in (".xlsx", ".xls", ".ods", ".xlsb"):
        df = read_workbook_sheets(path, marker="Force Name")
    else:
        raise InputFormatError(f"{path}: unsupported format {suf!r}")
    df = standardise_columns(df, OUTCOME_ALIASES, OUTCOME_REQUIRED, path)
    if "outcomes_cohort" not in df and "outcomes_in_quarter" not in df:
        raise InputFormatError(
            f"{path}: missing column(s) ['Force outcomes for offences recorded "
            "in quarter' or 'Force outcomes recorded in quarter']"
        )
    dropped: list[dict] = []
    if codes is not None:
        df = df[df["offence_code"].astype(str).str.strip().str.upper().isin(set(codes))]
    df = _finish_common(df, path, dropped)
    df["outcome_type"] = pd.to_numeric(df["outcome_type"], errors="raise").astype(int)
    for c in ("outcomes_cohort", "outcomes_in_quarter"):
        if c in df:
            expired = df[c].astype("string").str.contains("expired", case=False, na=False)
            if expired.any():
                dropped.append(
                    {
                        "file": path.name,
                        "reason": f"{c}: 'N/A - offence code expired' set to missing",
                        "rows": int(expired.sum()),
                    }
                )
            df[c] = to_number(df[c])
        else:
            df[c] = float("nan")
    cols = [
        "fiscal_year",
        "fiscal_q",
        "fiscal_quarter",
        "force",
        "force_name",
        "offence_code",
        "outcome_type",
        "outcomes_cohort",
        "outcomes_in_quarter",
    ]
    out = schemas.validate(schemas.OUTCOMES, df[cols].reset_index(drop=True), path)
    out.attrs["dropped"] = dropped
    return out


def read_charged_national(
    path: Path | str, codes: Iterable[str] | None = RAPE_CODES
) -> pd.DataFrame:
    """National (E&W) charged/summonsed outcomes by offence code and quarter, closure measure."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: not found (run `python -m rasso_research.fetch`)")
    df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    df = standardise_columns(df, CHARGED_ALIASES, CHARGED_REQUIRED, path)
    df["offence_code"] = df["offence_code"].str.strip().str.upper()
    if codes is not None:
        df = df[df["offence_code"].isin(set(codes))]
    dates = pd.to_datetime(df["date"], format="%d/%m/%Y")
    bad = (dates + pd.offsets.QuarterEnd(0)) != dates
    if bad.any():
        raise InputFormatError(
            f"{path}: dates that are not quarter ends: {df.loc[bad, 'date'].unique()[:5]}"
        )
    df["fiscal_quarter"] = [periods.quarter_end_to_fiscal(d) for d in dates]
    df["fiscal_year"] = df["fiscal_quarter"].str[:7]
    df["fiscal_q"] = df["fiscal_quarter"].str[-1].astype(int)
    df["charged"] = to_number(df["charged"])
    cols = ["fiscal_year", "fiscal_q", "fiscal_quarter", "offence_code", "charged"]
    out = schemas.validate(schemas.CHARGED_NATIONAL, df[cols].reset_index(drop=True), path)
    out.attrs["dropped"] = []
    return out
