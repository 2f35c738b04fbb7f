"""The annual force x financial-year x offence-group outcomes table (``force_year``): the
reader of the OOCD dashboard's aggregate of the Home Office outcomes open data, and the
``force_year`` and ``btp_share`` tables built from it.

The reader shares the file handling of :mod:`.homeoffice` (row accounting, period checks).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rasso_research.data import forces, schemas
from rasso_research.data.build import NAT, Build, step
from rasso_research.data.catalog import Source
from rasso_research.data.quality import QualityLog
from rasso_research.data.rawfiles import RawFiles, as_files
from rasso_research.data.schemas import InputFormatError, names_file, note, parse_counts
from rasso_research.data.sources.homeoffice import drop_rows, is_fiscal_year

#: the raw file read by this module, relative to ``data/raw`` (named in ``data/raw/registry.csv``)
FILES = {
    "oocd_fy": "homeoffice/oocd-dashboard-force-offence-group-year-2014-15-to-2025-26.csv",
}


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
    df = schemas.standardise_columns(raw, {c: c for c in OOCD_REQUIRED}, OOCD_REQUIRED, path)
    n_read = len(df)
    df = drop_rows(df, df["force"].isna() | df["fy"].isna(), path, "blank force or year", notes)
    df = df.assign(force_name=df["force"].str.strip())
    df["force"] = forces.map_forces(df["force_name"], source=str(path))
    for name, n in df.loc[df["force"].isna(), "force_name"].value_counts().sort_index().items():
        note(notes, path, f"non-territorial body excluded: {name}", int(n))
    df = df[df["force"].notna()]
    bad = ~df["fy"].str.strip().map(is_fiscal_year)
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
    df = schemas.standardise_columns(raw, {c: c for c in OOCD_REQUIRED}, OOCD_REQUIRED, path)
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


# ---- tables ----------------------------------------------------------------------------------

#: the source of the annual table (not of panel rows: the table is written on its own)
OOCD_FY = Source(
    "oocd_fy",
    "OOCD dashboard aggregate of HO outcomes open data (July 2026 release), annual",
    (FILES["oocd_fy"],),
)
SOURCES = (OOCD_FY,)


#: the annual measures' outcome basis (that of the quarterly not-supplied rule)
BASIS = {
    "charged_closed": "in_quarter",
    "oocd_closed": "in_quarter",
    "charged_cohort": "cohort",
    "oocd_cohort": "cohort",
}


def mask_not_supplied(fy: pd.DataFrame, ns: pd.DataFrame, log: QualityLog) -> pd.DataFrame:
    """``fy`` with every force-year that has a not-supplied quarter on a measure's basis
    (:func:`rasso_research.data.sources.homeoffice_quarterly.not_supplied`) missing on that
    measure, flagged with the quarters."""
    ns = ns.assign(fiscal_year=ns["fiscal_quarter"].str[:7])
    quarters = ns.groupby(["force", "fiscal_year", "basis"])["fiscal_quarter"].agg(", ".join)
    key = list(zip(fy["force"], fy["fiscal_year"], fy["measure"].map(BASIS), strict=True))
    which = pd.Series([quarters.get(k) for k in key], index=fy.index)
    hit = which.notna()
    out = fy.copy()
    out.loc[hit, "value"] = float("nan")
    out.loc[hit, "flag"] = "not supplied by the force in " + which[hit]
    log.add(
        "values set to missing",
        FILES["oocd_fy"],
        "force-years with a quarter not supplied on the measure's basis (quarterly rule)",
        int(hit.sum()),
    )
    return out


def build_force_year(
    raw: RawFiles, log: QualityLog, pop: pd.DataFrame, ns: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The annual force x financial-year x offence-group outcomes table (``force_year``):
    counts from the OOCD dashboard aggregate (the force-years with a quarter ``ns`` that the
    force did not supply missing), the national total as the sum of the 43 forces (missing if
    any force is), and rates per 100,000 on the mid-year population at the start of the
    financial year (mid-2018 for 2018/19; missing where no estimate exists)."""
    path = as_files(raw).path(FILES["oocd_fy"])
    fy = read_oocd_force_year(path)
    log.dropped(fy)
    if ns is not None:
        fy = mask_not_supplied(fy, ns, log)
    keys = ["fiscal_year", "offence_group", "measure"]
    complete = fy.groupby(keys)["value"].count() == len(forces.FORCES)
    nat = fy.groupby(keys)["value"].sum(min_count=1).where(complete).rename("value").reset_index()
    nat = nat.assign(force=NAT, force_code=forces.NATIONAL_CODE, flag="")
    flagged = fy[fy["flag"] != ""].groupby(keys)["flag"].first()
    nat["flag"] = nat.set_index(keys).index.map(flagged).fillna("").to_numpy()
    out = pd.concat(
        [fy.assign(geography="force"), nat.assign(geography="national")], ignore_index=True
    )
    out["year"] = out["fiscal_year"].str[:4].astype(int)
    p = pop[["force", "year", "population"]]
    pnat = p.groupby("year", as_index=False)["population"].sum().assign(force=NAT)
    out = out.merge(pd.concat([p, pnat]), on=["force", "year"], how="left")
    out["per_100k"] = 1e5 * out["value"] / out["population"]
    no_pop = sorted(out.loc[out["population"].isna(), "fiscal_year"].unique())
    log.add(
        "coverage gaps",
        FILES["oocd_fy"],
        f"financial years with no mid-year population (rates missing): {', '.join(no_pop)}",
        int(out["population"].isna().sum()),
    )
    out["frequency"] = "annual"
    out["source"] = OOCD_FY.label
    cols = [
        "fiscal_year",
        "frequency",
        "geography",
        "force",
        "force_code",
        "offence_group",
        "measure",
        "value",
        "population",
        "per_100k",
        "flag",
        "source",
    ]
    return (
        out[cols]
        .sort_values(["geography", "force", "offence_group", "measure", "fiscal_year"])
        .reset_index(drop=True)
    )


def build_btp_share(raw: RawFiles, force_year: pd.DataFrame) -> pd.DataFrame:
    """British Transport Police against the 43 forces, per financial year, offence group and
    measure: ``btp``, ``forces_43`` (the national row of ``force_year``) and ``btp_pct``, BTP's
    share of the 44-force total (``btp_share.csv``): the size of the difference between a
    national figure that includes BTP and one that does not."""
    btp = read_oocd_btp(as_files(raw).path(FILES["oocd_fy"])).rename(columns={"value": "btp"})
    nat = force_year[force_year["geography"] == "national"]
    nat = nat[["fiscal_year", "offence_group", "measure", "value"]].rename(
        columns={"value": "forces_43"}
    )
    out = btp.merge(nat, on=["fiscal_year", "offence_group", "measure"], how="left")
    out["btp_pct"] = 100 * out["btp"] / (out["btp"] + out["forces_43"])
    return out.sort_values(["offence_group", "measure", "fiscal_year"]).reset_index(drop=True)


@step(
    "annual force x offence-group outcomes (OOCD dashboard aggregate)",
    order=50,
    needs=("population", "not_supplied"),
)
def force_year_step(b: Build) -> None:
    """``force_year`` (rates on the population offered by the population step, the
    force-years with a quarter not supplied missing) and ``btp_share``."""
    force_year = build_force_year(b.files, b.log, b.need("population"), b.need("not_supplied"))
    b.add_table("force_year", force_year, parquet=True)
    b.add_table("btp_share", build_btp_share(b.files, force_year))
