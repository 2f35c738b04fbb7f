"""Home Office crime outcomes open data: readers of the outcomes editions (by force, offence
code, outcome type and quarter) and of the national charged series (closure measure), and the
panel's outcome rows built from them, with those of the official workbooks
(:mod:`.homeoffice_official`) when they are fetched.

The readers share the file handling of :mod:`.homeoffice` (column names, row accounting).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from rasso_research import periods
from rasso_research.data import schemas
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
)
from rasso_research.data.sources.homeoffice import (
    CHARGED_ALIASES,
    CHARGED_REQUIRED,
    OUTCOME_ALIASES,
    OUTCOME_REQUIRED,
    RESULT_PERIOD_COLUMNS,
    WORKBOOK_SUFFIXES,
    checked_result,
    finish_common,
    open_file,
    read_csv_columns,
    read_workbook_sheets,
)
from rasso_research.data.sources.homeoffice_official import (
    HO_OFFICIAL,
    build_release,
    official_files,
)
from rasso_research.data.sources.homeoffice_quarterly import excludes

#: raw files read by this module, relative to ``data/raw`` (names in ``data/raw/registry.csv``)
FILES = {
    "out_2018": "homeoffice/prc-outcomes-open-data-mar2018-tables.tidy.csv.gz",
    "out_2019": "homeoffice/prc-outcomes-open-data-mar2019-tables.csv.gz",
    "charged_nat": "homeoffice/outcomes-charged-by-offence-code-ew-2014-15q1-to-2024-25q1.csv",
}


def _read_outcomes_file(path: Path, suf: str) -> pd.DataFrame:
    wanted = OUTCOME_REQUIRED + ["outcomes_cohort", "outcomes_in_quarter", "offence_code_expired"]
    if suf in (".csv", ".csv.gz"):
        return read_csv_columns(path, OUTCOME_ALIASES, wanted)
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
    df, rows, notes = open_file(path, codes, _read_outcomes_file, OUTCOME_ALIASES, OUTCOME_REQUIRED)
    if "outcomes_cohort" not in df and "outcomes_in_quarter" not in df:
        raise InputFormatError(
            f"{path}: missing column(s) ['Force outcomes for offences recorded "
            "in quarter' or 'Force outcomes recorded in quarter']"
        )
    df = finish_common(df, path, notes)
    df["outcome_type"] = pd.to_numeric(df["outcome_type"], errors="raise").astype(int)
    for c in ("outcomes_cohort", "outcomes_in_quarter"):
        if c in df:
            df[c] = parse_counts(df, c, path, notes)
        else:
            df[c] = float("nan")
            note(notes, path, f"{c}: column not in this file, all missing", len(df), "missing")
    cols = RESULT_PERIOD_COLUMNS + ["outcome_type", "outcomes_cohort", "outcomes_in_quarter"]
    keys = ["fiscal_quarter", "force", "offence_code", "outcome_type"]
    return checked_result(df, schemas.OUTCOMES, cols, keys, path, rows, notes)


@names_file
def read_charged_national(
    path: Path | str, codes: Iterable[str] | None = RAPE_CODES
) -> pd.DataFrame:
    """National (E&W) charged/summonsed outcomes by offence code and quarter, closure measure."""

    def read(p: Path, suf: str) -> pd.DataFrame:
        return pd.read_csv(p, dtype=str, encoding="utf-8-sig")

    df, rows, notes = open_file(path, codes, read, CHARGED_ALIASES, CHARGED_REQUIRED)
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
    return checked_result(df, schemas.CHARGED_NATIONAL, cols, keys, path, rows, notes)


# ---- panel rows ------------------------------------------------------------------------------


def _edition(key: str, label: str, fiscal_year: str) -> Source:
    """An outcomes edition: its cohort measure is kept for its own year (see
    :func:`_edition_rows`), every quarter of it for the 43 forces and the national total."""
    quarters = (f"{fiscal_year} Q1", f"{fiscal_year} Q4")
    return Source(key, label, (FILES[key],), Coverage("rape_outcomes_cohort", *quarters, 44))


#: the panel's outcomes sources: the two mirrored editions and the national closure series
OUT_2018 = _edition("out_2018", "HO outcomes open data, YE Mar 2018 edition", "2017/18")
OUT_2019 = _edition("out_2019", "HO outcomes open data, YE Mar 2019 edition", "2018/19")
CHARGED_NAT = Source(
    "charged_nat",
    "HO outcomes by offence code, E&W, 2024 edition (closure measure)",
    (FILES["charged_nat"],),
    Coverage.national("rape_charged_in_quarter", "2014/15 Q1", "2024/25 Q1"),
)
SOURCES = (OUT_2018, OUT_2019, CHARGED_NAT)


def outcome_editions(raw: RawFiles) -> list[tuple[Path, str]]:
    """The two mirrored outcomes editions, each with its source label (the official workbooks
    are read by :func:`.homeoffice_official.build_release`, by their registry names)."""
    return [(raw.path(s.files[0]), s.label) for s in (OUT_2018, OUT_2019)]


def build_outcomes(
    raw: RawFiles | Path,
    log: QualityLog,
    cache: Path | None = None,
    not_supplied: pd.DataFrame | None = None,
    published: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Outcome rows of every edition (cohort and in-quarter measures, by outcome type) and of
    the official release's registered workbooks present (``raw``: the registry files verified
    in this build; ``cache``: the folder of the parsed-workbook cache),
    the cohort charge rate, the national charged series (closure measure), and the revision
    table of the in-quarter charged measure between the editions and that series."""
    raw = as_files(raw)
    official = official_files(raw)
    parts, inq_nat = [], {}
    for path, src in outcome_editions(raw):
        rows, inq_nat[src] = _edition_rows(path, src, log)
        parts += rows
    rows, closure = build_release(official, log, cache, not_supplied)
    if rows:
        parts += rows
        inq_nat[HO_OFFICIAL.label] = closure
    panel = pd.concat(parts, ignore_index=True)
    rate = _cohort_charge_rate(panel)
    closure, nat = _closure_series(raw, log, not_supplied, published)
    rev = _charged_revision(nat, inq_nat, log)
    return pd.concat([panel, rate, closure], ignore_index=True), rev


def _edition_rows(path: Path, src: str, log: QualityLog) -> tuple[list[pd.DataFrame], pd.Series]:
    """Panel rows of one outcomes edition (labelled ``src``), and its national in-quarter
    charged series (for the revision table)."""
    o = read_outcomes(path)
    log.dropped(o)
    # the cohort measure of an edition is kept for its own (latest) year only; earlier
    # years in a file would be older vintages of a growing measure
    latest = o["fiscal_year"].max()
    older = o["fiscal_year"] != latest
    if older.any():
        log.add(
            "dropped or excluded rows",
            path.name,
            f"rows of years before {latest} (older vintages of the cohort measure)",
            int(older.sum()),
        )
    o = o[~older]
    keys = ["fiscal_quarter", "force"]
    allt = o.groupby(keys, as_index=False)[["outcomes_cohort", "outcomes_in_quarter"]].sum(
        min_count=1
    )
    t1 = (
        o[o["outcome_type"] == 1]
        .groupby(keys, as_index=False)[["outcomes_cohort", "outcomes_in_quarter"]]
        .sum(min_count=1)
    )
    bytype = o.groupby(keys + ["outcome_type"], as_index=False)["outcomes_cohort"].sum(min_count=1)
    parts, inq_nat = [], None
    for frame, meas, col in (
        (t1, "rape_charged_cohort", "outcomes_cohort"),
        (allt, "rape_outcomes_cohort", "outcomes_cohort"),
        (t1, "rape_charged_in_quarter", "outcomes_in_quarter"),
        (allt, "rape_outcomes_in_quarter", "outcomes_in_quarter"),
    ):
        nat = national_sum(frame, ["fiscal_quarter"], col, log, meas)
        parts += [panel_rows(frame, meas, col, src), panel_rows(nat, meas, col, src)]
        if meas == "rape_charged_in_quarter":
            inq_nat = nat.set_index("fiscal_quarter")[col]
    for k, g in bytype.groupby("outcome_type"):
        meas = f"rape_outcomes_cohort_type_{k}"
        nat = national_sum(g, ["fiscal_quarter"], "outcomes_cohort", log, meas)
        parts += [
            panel_rows(g, meas, "outcomes_cohort", src),
            panel_rows(nat, meas, "outcomes_cohort", src),
        ]
    yt = t1.groupby(lambda i: 0)["outcomes_cohort"].sum().iloc[0]
    log.add("published totals", f"{src}: rape charged (cohort) {latest}", "E&W, 43 forces", yt)
    return parts, inq_nat


def _cohort_charge_rate(panel: pd.DataFrame) -> pd.DataFrame:
    """Charge rate (cohort): charged / all outcomes for offences recorded in the quarter, same
    edition."""
    w = (
        panel[panel["measure"].isin(["rape_charged_cohort", "rape_outcomes_cohort"])]
        .pivot_table(index=["fiscal_quarter", "force", "source"], columns="measure", values="value")
        .reset_index()
    )
    w["rate"] = (
        100
        * w["rape_charged_cohort"]
        / w["rape_outcomes_cohort"].where(w["rape_outcomes_cohort"] > 0)
    )
    rate = panel_rows(
        w,
        "rape_charge_rate_cohort",
        "rate",
        "",
        "percent: charged / all outcomes of offences recorded in the quarter (same edition)",
    )
    rate["source"] = w["source"].to_numpy()
    return rate


def _closure_series(
    raw: RawFiles,
    log: QualityLog,
    not_supplied: pd.DataFrame | None = None,
    published: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """National charged on the closure measure (2024 edition): panel rows and the national
    frame (fiscal_quarter, charged). A quarter in which a force did not supply its outcomes
    (``not_supplied``, closure basis) is flagged: the edition's total lacks that force, which
    :func:`lacks_check` tests against the ``published`` all-offence totals of the release."""
    ch = read_charged_national(raw.path(FILES["charged_nat"]))
    log.dropped(ch)
    flags = {} if not_supplied is None else excludes(not_supplied, "in_quarter")
    if flags and published is not None:
        lacks_check(all_codes_total(raw.path(FILES["charged_nat"])), published, not_supplied, log)
    nat = ch.groupby("fiscal_quarter", as_index=False)["charged"].sum(min_count=1)
    nat["force"] = NAT
    note = "outcomes for investigations closed in the quarter; appears to include BTP"
    parts = [panel_rows(nat, "rape_charged_in_quarter", "charged", CHARGED_NAT.label, note)]
    for suffix, codes in (("_adult", RAPE_ADULT_CODES), ("_child", RAPE_CHILD_CODES)):
        g = ch[ch["offence_code"].isin(codes)]
        g = g.groupby("fiscal_quarter", as_index=False)["charged"].sum(min_count=1)
        what = f"{note}; codes {', '.join(codes)}"
        parts.append(
            panel_rows(
                g.assign(force=NAT),
                f"rape_charged_in_quarter{suffix}",
                "charged",
                CHARGED_NAT.label,
                what,
            )
        )
    closure = pd.concat(parts, ignore_index=True)
    closure["flag"] = closure["fiscal_quarter"].map(flags).fillna("")
    for fy in ("2019/20", "2023/24"):
        log.add(
            "published totals",
            f"rape charged, closure measure {fy}",
            CHARGED_NAT.label,
            nat.loc[nat["fiscal_quarter"].str.startswith(fy), "charged"].sum(),
        )
    return closure, nat


def all_codes_total(path: Path) -> pd.Series:
    """The closure-measure file's charges summed over every offence code, by fiscal quarter
    (published negative corrections of some non-rape codes included, as published)."""
    df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    df = schemas.standardise_columns(df, CHARGED_ALIASES, CHARGED_REQUIRED, path)
    dates = pd.to_datetime(df["date"], format="%d/%m/%Y")
    fq = [periods.quarter_end_to_fiscal(d) for d in dates]
    return pd.to_numeric(df["charged"]).groupby(fq).sum()


def lacks_check(
    total: pd.Series, published: pd.DataFrame, not_supplied: pd.DataFrame, log: QualityLog
) -> None:
    """Does the edition's national total lack the forces not supplied? In each such quarter
    the edition's charges over every offence code (``total``) minus the release's published
    all-offence total, which lacks them, are logged beside the forces' median quarter of
    outcomes assigned: a gap far below the forces' own charges says the edition lacks them
    too."""
    pub = published.set_index("fiscal_quarter")["value"]
    ns = not_supplied[not_supplied["basis"] == "in_quarter"]
    for fq, g in ns.groupby("fiscal_quarter"):
        if fq not in total.index or fq not in pub.index:
            continue
        gap = total[fq] - pub[fq]
        log.add(
            "consistency",
            f"rape charged, closure measure {fq}: does the edition lack "
            + ", ".join(sorted(g["force"])),
            "edition's all-offence charges minus the release's total without the force "
            f"(the force's median quarter of outcomes assigned, all types: "
            f"{g['median'].sum():,.0f})",
            gap,
        )


def _charged_revision(
    nat: pd.DataFrame, inq_nat: dict[str, pd.Series], log: QualityLog
) -> pd.DataFrame:
    """Revision of the in-quarter charged measure between each edition (``inq_nat``) and the
    national closure series (``nat``), per quarter both hold (``outcomes_revision.csv``)."""
    rev_rows = []
    base = nat.set_index("fiscal_quarter")["charged"]
    for key, s in inq_nat.items():
        for fq, v in s.items():
            if fq in base.index:
                rev_rows.append(
                    {
                        "fiscal_quarter": fq,
                        "measure": "rape_charged_in_quarter",
                        "edition": key,
                        "edition_value": v,
                        "national_series": CHARGED_NAT.label,
                        "national_series_value": base[fq],
                        "difference": base[fq] - v,
                    }
                )
    rev = pd.DataFrame(rev_rows)
    if len(rev):
        rev["fiscal_year"] = rev["fiscal_quarter"].str[:7]
        for (fy, ed), g in rev.groupby(["fiscal_year", "edition"]):
            log.add(
                "revisions",
                f"rape charged in quarter {fy}",
                f"{ed}: {g.edition_value.sum():,.0f} vs "
                f"2024 edition {g.national_series_value.sum():,.0f} (2024 edition appears to include BTP)",
                g.difference.sum(),
            )
    return rev


@step(
    "police outcomes (cohort and in-quarter) and national charged series",
    order=20,
    needs=("not_supplied", "national_all_charged"),
)
def outcomes_step(b: Build) -> None:
    """Outcome rows (the force-quarters not supplied missing in the official release's; the
    national closure series flagged where it lacks them) and ``outcomes_revision``."""
    rows, rev = build_outcomes(
        b.files,
        b.log,
        b.cache,
        b.need("not_supplied"),
        b.need("national_all_charged"),
    )
    b.add_rows(rows)
    b.add_table("outcomes_revision", rev)
