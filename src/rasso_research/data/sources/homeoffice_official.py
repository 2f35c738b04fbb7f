"""Home Office outcomes open data as officially published: the workbooks of the July 2026
release (``prc-outcomes-open-data-marYYYY-tables-*.xlsx``, one per financial year, 2014/15 to
2025/26), optional registry rows fetched into ``data/raw/homeoffice/official/``.

The layout read here is the one the data mirror documents, fact by fact, in
``homeoffice/OFFICIAL-LAYOUT.md`` (the files themselves are not in the mirror):

* the sheets ``Cover_sheet``, ``Notes`` and ``Pivot`` (skipped), then one data sheet spelt
  ``Outcomes_open_data_2014-15``, ``Outcomes_open_data_2019_20`` or ``Outcomes open data
  2021_22`` (:data:`DATA_SHEET`); any other sheet is an error;
* the header row within the first 20 rows (a title block may stand above it), its columns
  matched after normalising case and punctuation, in either documented wording
  (:data:`HEADER_WORDINGS`); a sheet without such a row is one error naming the file, the sheet
  and the headers found;
* the cells' quirks: the expired-code flag ``x``; ``N/A - Offence code expired`` and bare
  ``N/A`` in place of a count (missing, counted); negative counts (kept, counted); outcome type
  0, not yet assigned (kept as rows; :func:`release_rows` leaves it out of the assigned
  totals); no outcome type 19; City of London published as ``London, City of``.

Only the registry's files are read (:func:`official_files`: an unregistered file in the folder
is an error); each is parsed once with python-calamine and its frame cached as parquet, keyed
by the file's sha256 in the registry (:func:`read_official_cached`).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from python_calamine import CalamineError, CalamineWorkbook

from rasso_research.data import forces, schemas
from rasso_research.data.build import national_sum, panel_rows
from rasso_research.data.catalog import Source
from rasso_research.data.quality import QualityLog
from rasso_research.data.rawfiles import RawFiles
from rasso_research.data.schemas import (
    RAPE_ADULT_CODES,
    RAPE_CHILD_CODES,
    RAPE_CODES,
    InputFormatError,
    names_file,
    note,
    parse_counts,
)
from rasso_research.data.sources.homeoffice import (
    RESULT_PERIOD_COLUMNS,
    checked_result,
    drop_rows,
    finish_common,
)
from rasso_research.data.sources.homeoffice_quarterly import NOT_SUPPLIED

#: the official files' folder under ``data/raw``, and how its outcomes workbooks are named
OFFICIAL_DIR = "homeoffice/official"
OUTCOMES_PREFIX = f"{OFFICIAL_DIR}/prc-outcomes-open-data-mar"

#: the release as one source: which years it covers depends on the workbooks present, so it
#: declares no fixed Coverage; each workbook read must hold every force's four quarters of its
#: year (:func:`check_complete`)
HO_OFFICIAL = Source(
    "ho_official",
    "HO outcomes open data, July 2026 release (official workbooks)",
    (f"{OFFICIAL_DIR}/",),
    # the July 2026 release is a later edition of the mirrored editions' data
    supersedes=("out_2018", "out_2019"),
)
SOURCES = (HO_OFFICIAL,)

# ---- the documented layout -------------------------------------------------------------------

#: sheets before the data sheet, skipped (``Pivot`` is a summary, not the data)
SKIPPED_SHEETS = ("Cover_sheet", "Notes", "Pivot")
#: the data sheet's three documented spellings (hyphen, underscores, spaces)
DATA_SHEET = (
    re.compile(r"Outcomes_open_data_(\d{4})-(\d{2})"),
    re.compile(r"Outcomes_open_data_(\d{4})_(\d{2})"),
    re.compile(r"Outcomes open data (\d{4})_(\d{2})"),
)
#: how many rows from the top of the data sheet may hold the header row
HEADER_ROWS = 20
#: canonical column -> its documented wordings (matched by :func:`normalise_header`): the
#: year ending March 2026 file's, and the longer ``Number of Outcomes ...`` form
HEADER_WORDINGS: dict[str, tuple[str, ...]] = {
    "fiscal_year": ("Financial Year",),
    "fiscal_q": ("Financial Quarter",),
    "force_name": ("Force Name",),
    "offence_code": ("Offence Code",),
    "offence_description": ("Offence Description",),
    "offence_group": ("Offence Group",),
    "offence_subgroup": ("Offence Subgroup",),
    "offence_code_expired": ("Offence code expired",),
    "outcome_type": ("Outcome Type",),
    "outcome_description": ("Outcome Description",),
    "outcome_group": ("Outcome Group",),
    "outcomes_cohort": (
        "Outcomes for offences that were recorded in the quarter",
        "Number of Outcomes for offences that were recorded in the quarter",
    ),
    "outcomes_in_quarter": (
        "Outcomes for investigations closed in the quarter",
        "Number of Outcomes for investigations that were closed in the quarter",
    ),
}
#: the columns the reader needs (the descriptions and groups may be absent)
REQUIRED = (
    "fiscal_year",
    "fiscal_q",
    "force_name",
    "offence_code",
    "offence_code_expired",
    "outcome_type",
    "outcomes_cohort",
    "outcomes_in_quarter",
)
#: the count cells that stand for no number (compared in lower case)
EXPIRED_MARK = "n/a - offence code expired"
NA_MARK = "n/a"


def normalise_header(cell) -> str:
    """A header cell as compared: no ``[note N]`` marker, lower case, punctuation and runs of
    space as one space."""
    text = re.sub(r"\[notes? [^\]]*\]", " ", str(cell), flags=re.I)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


_LOOKUP = {normalise_header(w): c for c, words in HEADER_WORDINGS.items() for w in words}
_ACCEPTED = (
    "sheets Cover_sheet, Notes, Pivot and one data sheet named like 'Outcomes_open_data_2014-15', "
    "'Outcomes_open_data_2019_20' or 'Outcomes open data 2021_22'"
)


def year_of_file(path: Path | str) -> str | None:
    """The financial year of a workbook named ``...-marYYYY-...`` (the year ending March
    YYYY), or ``None``."""
    m = re.search(r"-mar(\d{4})-", Path(path).name)
    return None if m is None else f"{int(m.group(1)) - 1}/{int(m.group(1)) % 100:02d}"


def data_sheet(path: Path | str, sheets: list[str]) -> tuple[str, str]:
    """The data sheet's name and financial year (``2025/26``). A sheet that is neither skipped
    nor a data sheet, no data sheet or several, or a year that is not the file name's, is an
    error naming the file."""
    data, unknown = [], []
    for name in sheets:
        m = next((m for p in DATA_SHEET if (m := p.fullmatch(name))), None)
        if m is not None:
            data.append((name, m))
        elif name not in SKIPPED_SHEETS:
            unknown.append(name)
    if unknown or len(data) != 1:
        what = f"unexpected sheet(s) {unknown}" if unknown else f"{len(data)} data sheets"
        raise InputFormatError(
            f"{path}: {what} among {sheets}; an official outcomes workbook has the {_ACCEPTED} "
            "(OFFICIAL-LAYOUT.md): a new spelling goes in DATA_SHEET, data/sources/homeoffice_official.py"
        )
    name, m = data[0]
    start, end = int(m.group(1)), int(m.group(2))
    year = f"{start}/{end:02d}"
    if end != (start + 1) % 100 or year_of_file(path) not in (None, year):
        raise InputFormatError(
            f"{path}: data sheet {name!r} is not the financial year of the file name "
            f"({year_of_file(path)}); check that the file is the registered workbook"
        )
    return name, year


def find_header(rows: list[list], path: Path | str, sheet: str) -> tuple[int, dict[str, int]]:
    """The index of the header row among ``rows`` (the sheet's first rows) and canonical column
    -> column index; without a row holding every :data:`REQUIRED` column, one error naming the
    file and sheet and listing the headers of the closest row."""
    best: tuple[tuple[int, int], int, dict[str, int]] = ((-1, -1), -1, {})
    for i, row in enumerate(rows):
        cols: dict[str, int] = {}
        for j, cell in enumerate(row):
            canon = _LOOKUP.get(normalise_header(cell))
            if canon is not None and canon in cols:
                raise InputFormatError(
                    f"{path}, sheet {sheet!r}, row {i + 1}: columns {cols[canon] + 1} and {j + 1} "
                    f"are both {HEADER_WORDINGS[canon][0]!r}; the layout has changed"
                )
            if canon is not None:
                cols[canon] = j
        if all(c in cols for c in REQUIRED):
            return i, cols
        score = (len(cols), sum(bool(str(c).strip()) for c in row))
        if score > best[0]:
            best = (score, i, cols)
    _, i, cols = best
    found = [str(c) for c in rows[i] if str(c).strip()] if i >= 0 else []
    missing = [HEADER_WORDINGS[c][0] for c in REQUIRED if c not in cols]
    raise InputFormatError(
        f"{path}, sheet {sheet!r}: no row of the first {HEADER_ROWS} has the columns {missing}; "
        f"headers found (row {i + 1}): {found}; a new wording goes in HEADER_WORDINGS, "
        "data/sources/homeoffice_official.py"
    )


def _load(path: Path, codes: Iterable[str] | None) -> tuple[pd.DataFrame, str, dict, int]:
    """The data sheet's rows of the wanted offence codes (canonical columns, empty cells as
    ``None``), the sheet's financial year, the row counts (read, other offences) and the number
    of blank rows. Rows are streamed from calamine: only the wanted ones become a frame."""
    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet, year = data_sheet(path, book.sheet_names)
        rows = book.get_sheet_by_name(sheet).iter_rows()
    except CalamineError as exc:
        raise InputFormatError(
            f"{path}: cannot be read as a workbook ({type(exc).__name__}: {exc}); the file is "
            "damaged or truncated: `make fetch` restores a verified copy"
        ) from exc
    head = list(itertools.islice(rows, HEADER_ROWS))
    i, cols = find_header(head, path, sheet)
    names = [c for c in HEADER_WORDINGS if c in cols]
    at = [cols[c] for c in names]
    code_at = cols["offence_code"]
    want = None if codes is None else {str(c).strip().upper() for c in codes}
    keep, n_read, n_blank = [], 0, 0
    for row in itertools.chain(head[i + 1 :], rows):
        n_read += 1
        code = row[code_at]
        if isinstance(code, str) and (want is None or code.strip().upper() in want):
            keep.append([row[j] for j in at])
        elif not any(row) and all(v == "" for v in row):
            n_blank += 1
        elif want is None:
            keep.append([row[j] for j in at])
    df = pd.DataFrame(keep, columns=names, dtype=object)
    df = df.where(df.ne(""), None)
    return df, year, {"read": n_read, "other_offences": n_read - n_blank - len(df)}, n_blank


@names_file
def read_official_outcomes(path: Path | str, codes: Iterable[str] | None = RAPE_CODES):
    """One official outcomes workbook: the rows of ``codes`` (``None``: all) by force,
    quarter, offence code and outcome type, with both measures (``outcomes_cohort``: recorded
    in the quarter; ``outcomes_in_quarter``: investigations closed in the quarter) and the
    expired-code flag. Every row dropped and value set to missing is in ``attrs["dropped"]``;
    ``attrs["rows"]`` balances the rows read."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not found (`RASSO_FETCH_OPTIONAL=1 make fetch`)")
    df, year, rows, n_blank = _load(path, codes)
    notes: list[dict] = []
    note(notes, path, "blank row", n_blank)
    df["fiscal_q"] = df["fiscal_q"].map(
        lambda v: v.strip().upper().removeprefix("Q") if isinstance(v, str) else v
    )
    df = finish_common(df, path, notes)
    other = df["fiscal_year"] != year
    df = drop_rows(
        df, other, path, f"rows of another financial year than the sheet's {year}", notes
    )
    df = _outcome_types(df, path, notes)
    df["offence_code_expired"] = _expired_flag(df, path, notes)
    for c in ("outcomes_cohort", "outcomes_in_quarter"):
        df[c] = official_counts(df, c, path, notes)
    cols = RESULT_PERIOD_COLUMNS + [
        "offence_code_expired",
        "outcome_type",
        "outcomes_cohort",
        "outcomes_in_quarter",
    ]
    keys = ["fiscal_quarter", "force", "offence_code", "outcome_type"]
    return checked_result(df, schemas.OUTCOMES, cols, keys, path, rows, notes)


def _outcome_types(df: pd.DataFrame, path: Path, notes: list) -> pd.DataFrame:
    """Outcome types as integers; a type that is not a whole number is dropped and counted."""
    t = pd.to_numeric(df["outcome_type"], errors="coerce")
    bad = t.isna() | (t != t.round())
    if bad.any():
        eg = ", ".join(sorted({repr(v) for v in df.loc[bad, "outcome_type"]})[:3])
        reason = (
            f"outcome type not a whole number (e.g. {eg}; types 1a/2a/3a are subsets of types "
            "1/2/3 published in the alternate offences file)"
        )
        df, t = drop_rows(df, bad, path, reason, notes), t[~bad]
    df = df.copy()
    df["outcome_type"] = t.astype(int)
    return df


def _expired_flag(df: pd.DataFrame, path: Path, notes: list) -> pd.Series:
    """The ``Offence code expired`` column as a boolean (``x``: expired, blank: current); any
    other value is an error (the layout has changed)."""
    flag = df["offence_code_expired"].map(lambda v: "" if v is None else str(v).strip().lower())
    odd = ~flag.isin(["", "x"])
    if odd.any():
        raise InputFormatError(
            f"{path}: column 'Offence code expired' holds {sorted(set(flag[odd]))[:3]}, "
            "expected 'x' or blank (OFFICIAL-LAYOUT.md); check the file before reading it"
        )
    expired = flag == "x"
    reason = "rows of an expired offence code (flag x): kept, their counts as published"
    note(notes, path, reason, int(expired.sum()), "caveat")
    return expired.astype(bool)


def official_counts(df: pd.DataFrame, col: str, path: Path, notes: list) -> pd.Series:
    """A count column: ``N/A - Offence code expired`` and bare ``N/A`` become missing (each
    counted), then blank and other non-numeric cells (counted by ``parse_counts``); negative
    counts (published corrections) are kept and counted."""
    text = df[col].map(lambda v: v.strip().lower() if isinstance(v, str) else "")
    expired, na = text == EXPIRED_MARK, text == NA_MARK
    type0 = df["outcome_type"] == 0
    note(
        notes, path, f"{col}: 'N/A - Offence code expired' set to missing", expired.sum(), "missing"
    )
    n0 = int((na & type0).sum())
    note(notes, path, f"{col}: 'N/A' set to missing ({n0} in outcome type 0)", na.sum(), "missing")
    out = pd.Series(np.nan, index=df.index, dtype=float)
    rest = ~(expired | na)
    if rest.any():
        out[rest] = parse_counts(df.loc[rest], col, path, notes)
    neg = out < 0
    reason = f"{col}: negative count kept (a published correction; {int((neg & type0).sum())} in outcome type 0)"
    note(notes, path, reason, int(neg.sum()), "caveat")
    return out


def check_complete(df: pd.DataFrame, path: Path | str) -> None:
    """Every one of the 43 forces has rows in each quarter of the workbook's year (a file that
    passes its checksum but was cut short stops the build, naming it)."""
    have = set(zip(df["force"], df["fiscal_q"], strict=True))
    gaps = [(f, q) for f in forces.FORCES for q in (1, 2, 3, 4) if (f, q) not in have]
    if gaps:
        f, q = gaps[0]
        raise InputFormatError(
            f"{path}: no rape rows for {len(gaps)} of the {4 * len(forces.FORCES)} force-quarters "
            f"(first: {f} Q{q}); the workbook is incomplete (`make fetch` restores the registered one)"
        )


# ---- the registered files and the cache ---------------------------------------------------------


def official_files(raw: RawFiles) -> list[tuple[Path, str]]:
    """The official outcomes workbooks to read: the registry's files present and verified in
    this build (``raw``), by name, each with its sha256. A file in ``homeoffice/official/``
    that the registry does not list already stopped :meth:`RawFiles.open`."""
    return [(raw.path(name), raw.sha256(name)) for name in raw.names(OUTCOMES_PREFIX)]


#: bump when the reader's output changes: every cached frame is then read again
CACHE_VERSION = 1
#: the parquet metadata key of the cache's key and the frame's attrs
CACHE_META = b"rasso_research.official"


def cache_key(sha256: str, codes: Iterable[str] | None) -> dict:
    """What a cached frame must match to be used: the file's sha256 in the registry, the
    reader's :data:`CACHE_VERSION` and the offence codes read."""
    return {
        "sha256": sha256,
        "version": CACHE_VERSION,
        "codes": None if codes is None else sorted(codes),
    }


def read_official_cached(
    path: Path | str,
    sha256: str,
    cache_dir: Path | str | None,
    codes: Iterable[str] | None = RAPE_CODES,
) -> tuple[pd.DataFrame, bool]:
    """:func:`read_official_outcomes`, through the parquet cache ``cache_dir/<file>.parquet``
    (``None``: no cache): a cache whose key (:func:`cache_key`) matches is read, else the
    workbook is parsed and the cache rewritten. Returns the frame and whether it was cached."""
    key = cache_key(sha256, codes)
    cached = None if cache_dir is None else Path(cache_dir) / f"{Path(path).name}.parquet"
    if cached is not None and cached.is_file():
        try:
            stored = json.loads((pq.read_schema(cached).metadata or {}).get(CACHE_META, b"{}"))
            if stored.get("key") == key:
                df = pq.read_table(cached).to_pandas()
                df.attrs = stored["attrs"]
                return df, True
        except (pa.ArrowException, OSError, ValueError):
            pass  # an unreadable cache is rebuilt like a stale one
    df = read_official_outcomes(path, codes)
    if cached is not None:
        _write_cache(df, cached, key)
    return df, False


def _write_cache(df: pd.DataFrame, cached: Path, key: dict) -> None:
    """Write the frame, its key and its attrs to ``cached`` (via a temporary file)."""
    cached.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[CACHE_META] = json.dumps({"key": key, "attrs": df.attrs}).encode()
    fd, tmp = tempfile.mkstemp(prefix=f".{cached.name}.", suffix=".part", dir=cached.parent)
    os.close(fd)
    try:
        pq.write_table(table.replace_schema_metadata(meta), tmp)
        os.replace(tmp, cached)
    finally:
        Path(tmp).unlink(missing_ok=True)


# ---- the panel rows of the release ----------------------------------------------------------------

#: measure suffix -> (offence codes, the codes' note); ``""``: all rape
CODE_GROUPS = {
    "": (RAPE_CODES, "all rape codes " + ", ".join(RAPE_CODES)),
    "_adult": (RAPE_ADULT_CODES, "codes " + ", ".join(RAPE_ADULT_CODES) + " (aged 16 and over)"),
    "_child": (RAPE_CHILD_CODES, "codes " + ", ".join(RAPE_CHILD_CODES) + " (under 16)"),
}
MEASURE_BASES = {
    "outcomes_cohort": "outcomes for offences recorded in the quarter",
    "outcomes_in_quarter": "outcomes for investigations closed in the quarter",
}


def build_release(
    files: list[tuple[Path, str]],
    log: QualityLog,
    cache: Path | None,
    not_supplied: pd.DataFrame | None = None,
) -> tuple[list[pd.DataFrame], pd.Series | None]:
    """Panel rows of the official workbooks ``files`` (path, registry sha256; see
    :func:`official_files`; none: ``[]``), and the release's national charged series on the
    closure measure (for the revision table). ``cache``: the build's cache folder;
    ``not_supplied``: the force-quarters a force did not supply (missing on that measure,
    :func:`.homeoffice_quarterly.not_supplied`)."""
    frames = []
    cache_dir = None if cache is None else Path(cache) / "homeoffice_official"
    for path, sha in files:
        t0 = time.perf_counter()
        df, hit = read_official_cached(path, sha, cache_dir)
        how = "from the cache" if hit else f"parsed in {time.perf_counter() - t0:.1f} s"
        log.say(f"  {path.name}: {how}")
        log.dropped(df)
        check_complete(df, path)
        frames.append((path, df))
    if not frames:
        return [], None
    return release_rows(frames, log, not_supplied)


def release_rows(
    frames: list[tuple[Path, pd.DataFrame]],
    log: QualityLog,
    not_supplied: pd.DataFrame | None = None,
) -> tuple[list[pd.DataFrame], pd.Series]:
    """Panel rows of the release (source :data:`HO_OFFICIAL`) from its workbooks' frames:
    charges (type 1) on both measures for all rape, adult and child codes; assigned outcomes
    (every type but 0) on both measures; the cohort measure by outcome type. National rows are
    the sum of the 43 forces (missing when a force is). Returns the rows and the national
    charged series on the closure measure."""
    o = pd.concat([df for _, df in frames], ignore_index=True)
    book = {df["fiscal_year"].iloc[0]: p.name for p, df in frames if len(df)}
    src, keys, cols = HO_OFFICIAL.label, ["fiscal_quarter", "force"], list(MEASURE_BASES)
    parts: list[pd.DataFrame] = []

    def add(rows: pd.DataFrame, measure: str, col: str, what: str) -> pd.Series:
        frame = rows.groupby(keys, as_index=False)[col].sum(min_count=1)
        frame = _mask(frame, col, not_supplied, log, measure)
        nat = national_sum(frame, ["fiscal_quarter"], col, log, f"{measure} (official release)")
        for f in (frame, nat):
            r = panel_rows(f, measure, col, src)
            r["note"] = f"{MEASURE_BASES[col]}; {what}; " + r["fiscal_quarter"].str[:7].map(book)
            if "flag" in f:
                r["flag"] = f["flag"].fillna("").to_numpy()
            parts.append(r)
        return nat.set_index("fiscal_quarter")[col]

    type0 = o["outcome_type"] == 0
    reason = "outcome type 0 rows (not yet assigned): in rape_outcomes_cohort_type_0 only, never in the assigned totals"
    log.add("kept with caveat", src, reason, int(type0.sum()))
    charged = o[o["outcome_type"] == 1]
    closure = None
    for suffix, (codes, what) in CODE_GROUPS.items():
        rows = charged[charged["offence_code"].isin(codes)]
        add(rows, f"rape_charged_cohort{suffix}", "outcomes_cohort", f"charged/summonsed, {what}")
        s = add(
            rows,
            f"rape_charged_in_quarter{suffix}",
            "outcomes_in_quarter",
            f"charged/summonsed, {what}",
        )
        if suffix == "":
            closure = s
    for col, meas in (
        ("outcomes_cohort", "rape_outcomes_cohort"),
        ("outcomes_in_quarter", "rape_outcomes_in_quarter"),
    ):
        add(o[~type0], meas, col, "every outcome type but 0 (not yet assigned)")
    for k, g in o.groupby("outcome_type"):
        add(g, f"rape_outcomes_cohort_type_{k}", "outcomes_cohort", f"outcome type {k}")
    for fy, g in charged.groupby("fiscal_year"):
        for col in cols:
            item = f"{src}: rape charged {fy}, {MEASURE_BASES[col]}"
            k = int(g[col].isna().sum())
            left_out = f" ({k} missing values left out)" if k else ""
            log.add("published totals", item, f"E&W, sum of the 43 forces{left_out}", g[col].sum())
    return parts, closure


def _mask(frame: pd.DataFrame, col: str, ns: pd.DataFrame | None, log: QualityLog, measure: str):
    """``frame`` (force-quarters of one measure on basis ``col``) with the force-quarters the
    force did not supply on that basis missing and flagged (the all-offence rule)."""
    if ns is None or ns.empty:
        return frame
    basis = "cohort" if col == "outcomes_cohort" else "in_quarter"
    key = ns.loc[ns["basis"] == basis, ["force", "fiscal_quarter"]].assign(hit=True)
    out = frame.merge(key, on=["force", "fiscal_quarter"], how="left")
    hit = out["hit"].fillna(False).astype(bool).to_numpy()
    out = out.drop(columns="hit")
    out.loc[hit, col] = float("nan")
    out["flag"] = [NOT_SUPPLIED if h else "" for h in hit]
    if hit.any():
        log.add(
            "values set to missing", f"{measure} (official release)", NOT_SUPPLIED, int(hit.sum())
        )
    return out
