"""CPS data: case outcomes by principal offence category (readers and the panel's
``cps_sexual_offences_*`` rows), and the transcribed national and West Midlands rape-flagged
figures (readers, the built national series and their side tables).

Rule for the built national rape-flagged series (:func:`build_cps_rape_series`), following
``cps/transcribed/NOTES.md``:

1. Only CPS rape-flagged measures are used; police-side, MoJ, RMG, scorecard and other-basis
   rows stay in the transcribed table but never enter the series.
2. One basis per measure: ``charge_rate_pct`` is split into ``charge_rate_pct_all_decisions``
   (basis 1: share of all pre-charge decisions incl. admin finalised) and
   ``charge_rate_pct_legal_decisions`` (basis 2: share of legal decisions; the CPS quarterly
   summaries from 2019-20 and Metro's VAWG-2018-19 figures). ``adult_*`` rows are their own
   measures (adult-only, from 2023-24) and are never spliced onto all-age series.
3. Rows the notes mark as suspected mislabels are dropped from the series.
4. For each (measure, period type, period) only the rows of the highest provenance tier
   present are used (primary > secondary > press, :mod:`rasso_research.data.provenance`), and
   the series row records that ``tier``. Among them: identical values -> that value; values
   differing only by rounding (< 1 unit, percentages) -> the more precise one; a documented
   resolution from NOTES.md -> that value; otherwise the value is left missing with flag
   ``unresolved_conflict``. Values are never averaged. Every conflict, across all tiers, is
   reported; where the tier decides a figure that the rule alone would not, the note says so.
5. Flags: ``definitional_break_early_advice`` on pre-charge receipts from 2021-22 Q3 (early
   advice included), ``assumed_period`` where the period was mapped (e.g. "2016 levels"),
   ``adult_only`` for adult rows.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd

from rasso_research import periods
from rasso_research.data import forces, provenance, schemas
from rasso_research.data.build import NAT, Build, panel_rows, step
from rasso_research.data.catalog import Coverage, Source
from rasso_research.data.quality import QualityLog
from rasso_research.data.rawfiles import RawFiles, as_files
from rasso_research.data.schemas import InputFormatError, names_file, note, parse_counts

#: raw files read by this module, relative to ``data/raw`` (names in ``data/raw/registry.csv``)
FILES = {
    "cps_poc": "cps/case-outcomes-by-principal-offence",
    "cps_tr": "cps/transcribed/national-rape-cps.csv",
    "cps_wm": "cps/transcribed/west-midlands-rape.csv",
}

#: the panel's CPS sources: the principal-offence files, quarterly and summed from monthly
CPS_Q = Source(
    "cps_q",
    "CPS case outcomes by principal offence category (quarterly)",
    (FILES["cps_poc"] + "/quarterly",),
    Coverage("cps_sexual_offences_convictions", "2015/16 Q1", "2018/19 Q4", 43),
)
CPS_M = Source(
    "cps_m",
    "CPS case outcomes by principal offence category (sum of monthly)",
    (FILES["cps_poc"] + "/monthly",),
)
SOURCES = (CPS_Q, CPS_M)

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        start=1,
    )
}
_NUM = re.compile(r"^Number of (.+?) (Convictions|Unsuccessful)$", re.I)


def period_from_filename(path: Path | str) -> tuple[str, str]:
    """(period, period_type) from a CPS file name: ``POC-18-19-q4`` -> ``('2018/19 Q4', 'quarter')``,
    ``2014_principal_offence_category_april_2014`` / ``2018_..._Feb`` -> ``('2014-04', 'month')``."""
    stem = Path(path).name.split(".")[0]
    m = re.match(r"^POC-(\d{2})-(\d{2})-q([1-4])$", stem, re.I)
    if m:
        return periods.fiscal_quarter_label(2000 + int(m.group(1)), int(m.group(3))), "quarter"
    m = re.match(r"^(\d{4})_principal_offence_category_([a-z]+)", stem, re.I)
    if m and m.group(2)[:3].lower() in _MONTHS:
        return f"{m.group(1)}-{_MONTHS[m.group(2)[:3].lower()]:02d}", "month"
    raise InputFormatError(f"{path}: cannot tell the period from the file name")


@names_file
def read_cps_poc(
    path: Path | str, period: str | None = None, period_type: str | None = None
) -> pd.DataFrame:
    """One CPS principal-offence-category file, long: area x category with convictions and
    unsuccessful counts. ``force`` is canonical (``England and Wales`` for National;
    ``Metropolitan and City`` -> Metropolitan Police, which then includes the City of London)."""
    path = Path(path)
    if period is None:
        period, period_type = period_from_filename(path)
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    raw = raw.rename(columns={raw.columns[0]: "area"})
    pairs = {c: _NUM.match(str(c).strip()) for c in raw.columns}
    pairs = {c: m for c, m in pairs.items() if m}
    cats = {m.group(1).strip() for m in pairs.values()}
    if "Sexual Offences" not in {c.title() for c in cats}:
        raise InputFormatError(
            f"{path}: missing column(s) ['Number of Sexual Offences Convictions', "
            "'Number of Sexual Offences Unsuccessful']"
        )
    notes: list[dict] = []
    blank = raw["area"].isna()
    note(notes, path, "row with a blank area name", int(blank.sum()))
    raw = raw.loc[~blank].copy()
    raw["area"] = raw["area"].str.strip()
    dup = raw["area"].duplicated(keep=False)
    if dup.any():
        raise InputFormatError(
            f"{path}: areas listed twice: {sorted(raw.loc[dup, 'area'].unique())}"
        )
    rows = []
    for c, m in pairs.items():
        part = pd.DataFrame(
            {
                "area": raw["area"],
                "category": m.group(1).strip().title(),
                "kind": m.group(2).lower(),
                "value": parse_counts(raw, c, path, notes),
            }
        )
        rows.append(part)
    long = pd.concat(rows, ignore_index=True)
    wide = long.pivot_table(
        index=["area", "category"], columns="kind", values="value", aggfunc="first", dropna=False
    ).reset_index()
    for k in ("convictions", "unsuccessful"):
        if k not in wide:
            wide[k] = float("nan")
    wide["force"] = forces.map_forces(wide["area"], source=str(path))
    wide["period"], wide["period_type"] = period, period_type
    wide["file"] = path.name
    cols = [
        "period",
        "period_type",
        "area",
        "force",
        "category",
        "convictions",
        "unsuccessful",
        "file",
    ]
    out = schemas.validate(schemas.CPS_POC, wide[cols], path)
    out = out.sort_values(["period", "category", "area"]).reset_index(drop=True)
    out.attrs["dropped"] = notes
    return out


def read_cps_poc_dir(folder: Path | str, files: list[Path] | None = None) -> pd.DataFrame:
    """The CPS POC files ``files`` (the build passes the registry's verified files; default,
    for a fixture folder, every CSV below ``folder``), stacked. ``attrs["dropped"]`` sums the
    files' notes by reason (``file`` names the folder and the number of files)."""
    folder = Path(folder)
    found = sorted(folder.rglob("*.csv")) if files is None else []
    files = found if files is None else sorted(Path(f) for f in files)
    if not files:
        raise FileNotFoundError(f"{folder}: no CPS CSV files (run `make data`)")
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(
            f"{missing[0]}: listed in the registry but missing (run `make data`)"
        )
    parts = [read_cps_poc(f) for f in files]
    notes = [n for p in parts for n in p.attrs["dropped"]]
    out = pd.concat(parts, ignore_index=True)
    out.attrs["dropped"] = [
        {
            "file": f"{folder.name} ({g['file'].nunique()} files)",
            "reason": r,
            "rows": int(g["rows"].sum()),
            "kind": k,
        }
        for (r, k), g in pd.DataFrame(notes, columns=["file", "reason", "rows", "kind"]).groupby(
            ["reason", "kind"]
        )
    ]
    return out


def monthly_to_quarterly(df: pd.DataFrame) -> pd.DataFrame:
    """Sum complete fiscal quarters (3 months present) of monthly rows; incomplete quarters
    are returned in ``attrs['incomplete']`` (fiscal quarter -> months present)."""
    m = df[df["period_type"] == "month"].copy()
    m["fiscal_quarter"] = [
        periods.calendar_to_fiscal(str(pd.Period(p, freq="M").asfreq("Q"))) for p in m["period"]
    ]
    nmonths = m.groupby("fiscal_quarter")["period"].nunique()
    complete = nmonths[nmonths == 3].index
    q = (
        m[m["fiscal_quarter"].isin(complete)]
        .groupby(["fiscal_quarter", "area", "force", "category"], as_index=False)[
            ["convictions", "unsuccessful"]
        ]
        .sum(min_count=1)
    )
    q.attrs["incomplete"] = {k: int(v) for k, v in nmonths[nmonths < 3].items()}
    return q


# ---- panel rows: CPS sexual offences by area --------------------------------------------
def build_cps(raw: RawFiles | Path, log: QualityLog) -> pd.DataFrame:
    """CPS principal-offence rows from the registry's files (only those are read)."""
    both = _sexual_offences(as_files(raw), log)
    _check_national(both, log)
    return _poc_rows(both)


def _sexual_offences(raw: RawFiles, log: QualityLog) -> pd.DataFrame:
    """Sexual-offence convictions, unsuccessful outcomes and conviction rate by CPS area and
    quarter: the quarterly files, and the monthly files summed to the quarters no quarterly
    file holds (``source`` names which)."""
    folder = raw.root / FILES["cps_poc"]
    files = [raw.path(n) for n in raw.names(FILES["cps_poc"] + "/")]
    poc = read_cps_poc_dir(folder, files)
    log.dropped(poc)
    sx = poc[poc["category"] == "Sexual Offences"]
    q = sx[sx["period_type"] == "quarter"].rename(columns={"period": "fiscal_quarter"})
    q = q.assign(source=CPS_Q.label)
    mq = monthly_to_quarterly(sx)
    for fq, n in mq.attrs["incomplete"].items():
        log.add(
            "coverage gaps",
            f"CPS monthly files {fq}",
            f"only {n} of 3 months; quarter not built",
            n,
        )
    # overlap check: quarterly file vs sum of monthly files
    ov = q.merge(mq, on=["fiscal_quarter", "force", "category"], suffixes=("", "_m"))
    if len(ov):
        d = (ov["convictions"] - ov["convictions_m"]).abs()
        log.add(
            "consistency",
            "CPS sexual-offence convictions: quarterly vs sum of monthly",
            f"{ov.fiscal_quarter.nunique()} overlapping quarters; rows differing",
            int((d > 0).sum()),
        )
    dup_q = mq["fiscal_quarter"].isin(q["fiscal_quarter"])
    log.add(
        "dropped or excluded rows",
        FILES["cps_poc"] + " (monthly)",
        "area-category-quarters summed from monthly files but also in a quarterly file: "
        "quarterly file used",
        int(dup_q.sum()),
    )
    mq = mq[~dup_q].assign(source=CPS_M.label)
    both = pd.concat([q, mq], ignore_index=True)
    both["rate"] = 100 * both["convictions"] / (both["convictions"] + both["unsuccessful"])
    return both


def _check_national(both: pd.DataFrame, log: QualityLog) -> None:
    """Log whether the areas sum to the National row, and the published national total."""
    f = (
        both[both["force"] != NAT]
        .groupby(["fiscal_quarter", "source"])[["convictions", "unsuccessful"]]
        .sum()
    )
    n = both[both["force"] == NAT].set_index(["fiscal_quarter", "source"])[
        ["convictions", "unsuccessful"]
    ]
    diff = (f - n).abs().sum(axis=1)
    log.add(
        "consistency",
        "CPS sexual offences: 42 areas vs National row",
        f"{len(diff)} quarters checked; quarters with a difference",
        int((diff > 0).sum()),
    )
    for fy in ("2018/19",):
        log.add(
            "published totals",
            f"CPS national sexual-offence convictions {fy}",
            CPS_Q.label,
            n.loc[[i for i in n.index if i[0].startswith(fy)], "convictions"].sum(),
        )


def _poc_rows(both: pd.DataFrame) -> pd.DataFrame:
    """Panel rows of the three measures (the source of each row kept)."""
    area_note = np.where(
        both["area"] == "Metropolitan and City",
        "CPS area Metropolitan and City: includes City of London",
        "",
    )
    parts = []
    for meas, col in (
        ("cps_sexual_offences_convictions", "convictions"),
        ("cps_sexual_offences_unsuccessful", "unsuccessful"),
        ("cps_sexual_offences_conviction_rate", "rate"),
    ):
        r = panel_rows(both, meas, col, "")
        r["source"] = both["source"].to_numpy()
        r["note"] = area_note
        if col == "rate":
            r["note"] = np.where(
                area_note != "",
                area_note + "; percent of convictions+unsuccessful",
                "percent of convictions+unsuccessful",
            )
        parts.append(r)
    return pd.concat(parts, ignore_index=True)


@step("CPS case outcomes by principal offence", order=30)
def poc_step(b: Build) -> None:
    """The ``cps_sexual_offences_*`` rows (only the registry's files are read)."""
    b.add_rows(build_cps(b.files, b.log))


# ---- transcribed national rape-flagged figures ------------------------------------------

CPS_MEASURES = {
    "charges",
    "prosecutions",
    "convictions",
    "precharge_receipts",
    "precharge_decisions",
    "admin_finalised",
    "admin_finalised_pct",
    "charge_rate_pct",
    "conviction_rate_pct",
    "receipts_for_charging_decision",
    "adult_charges",
    "adult_precharge_receipts",
    "adult_charge_rate_pct",
    "adult_live_caseload",
}
#: documented resolutions of conflicts (NOTES.md): (measure, period) -> (value kept, reason)
RESOLUTIONS = {
    ("precharge_receipts", "2016-17"): (
        4595.0,
        "6,611 is total pre-charge decisions (3,671/6,611 = 55.5%), not receipts (NOTES.md)",
    ),
}
#: rows the notes treat as suspect: (measure, period, value)
SUSPECT = {("police_recorded_rape", "2020-21", 70330.0)}


def _period_end_fq(period_type: str, period: str) -> str | None:
    """Fiscal quarter label of the end of a transcribed period, for ordering/flags."""
    p = str(period).replace("year ending ", "").strip()
    m = re.match(r"^(\d{4})-(\d{2}) Q([1-4])$", p)
    if m:
        return periods.fiscal_quarter_label(int(m.group(1)), int(m.group(3)))
    m = re.match(r"^(\d{4})-(\d{2})$", p)
    if m:
        return periods.fiscal_quarter_label(int(m.group(1)), 4)
    return None


#: columns of the transcribed tables (``quoted_text`` is optional in the West Midlands file)
TRANSCRIBED_COLUMNS = [
    "period_type",
    "period",
    "measure",
    "value",
    "unit",
    "source_title",
    "source_url",
    "quoted_text",
]


def _read_transcribed(path: Path, required: list[str]) -> pd.DataFrame:
    """A transcribed table, checked and validated, with ``period_end`` (fiscal quarter label)
    and ``tier``, the provenance tier of each row's source host (an unclassified host is an
    error; ``attrs["dropped"]`` counts the rows whose URL has no host)."""
    df = pd.read_csv(path, dtype={"value": "float64"}, encoding="utf-8-sig")
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputFormatError(f"{path}: missing column(s) {missing}")
    df = schemas.validate(schemas.CPS_TRANSCRIBED, df, path)
    df["period_end"] = [
        _period_end_fq(t, p) for t, p in zip(df["period_type"], df["period"], strict=True)
    ]
    df["tier"] = provenance.tiers_of(df["source_url"], str(path))
    notes: list[dict] = []
    no_host = int((df["tier"] == provenance.NO_HOST).sum())
    note(
        notes,
        path,
        "source URL without a host: tier no_host, ranked below press",
        no_host,
        "caveat",
    )
    df.attrs["dropped"] = notes
    return df


@names_file
def read_cps_transcribed(path: Path | str) -> pd.DataFrame:
    """Every row of the transcribed table, with its source, plus ``basis``, ``flag``,
    ``period_end`` (fiscal quarter label) and ``tier`` (provenance tier of the source host)
    columns."""
    path = Path(path)
    df = _read_transcribed(path, TRANSCRIBED_COLUMNS)
    q = df["quoted_text"].fillna("")
    flags = []
    for r, text in zip(df.itertuples(), q, strict=True):
        f = []
        if "mislabel" in text.lower() or (r.measure, r.period, r.value) in SUSPECT:
            f.append("suspect_mislabel")
        if "[assumed" in text.lower():
            f.append("assumed_period")
        if r.measure.startswith("adult_"):
            f.append("adult_only")
        if r.measure == "precharge_receipts" and r.period_end and r.period_end >= "2021/22 Q3":
            f.append("definitional_break_early_advice")
        flags.append(";".join(f))
    df["flag"] = flags
    df["basis"] = ""
    cr = df["measure"] == "charge_rate_pct"
    legal = (df["period_end"].fillna("") >= "2019/20 Q1") | df["source_title"].str.contains(
        "Metro", na=False
    )
    df.loc[cr & legal, "basis"] = "legal_decisions"
    df.loc[cr & ~legal, "basis"] = "all_decisions"
    df["file"] = path.name
    return df.reset_index(drop=True)


def _resolve(measure: str, period: str, vals: list[float]) -> tuple[float, str, bool]:
    """(value, note, unresolved) for the distinct values ``vals`` of one figure (rule 4)."""
    if len(vals) == 1:
        return vals[0], "", False
    res = RESOLUTIONS.get((measure, period))
    is_int = [float(v).is_integer() for v in vals]
    if res is not None and res[0] in vals:
        return res[0], res[1], False
    if len(vals) == 2 and abs(vals[1] - vals[0]) < 1 and is_int.count(True) == 1:
        note = f"rounded value {vals[is_int.index(True)]:g} also reported"
        return vals[is_int.index(False)], note, False
    return float("nan"), "conflicting values; not resolved", True


def build_cps_rape_series(tr: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One national series per measure (see module docstring). Returns (series, conflicts)."""
    use = tr[tr["measure"].isin(CPS_MEASURES) & ~tr["flag"].str.contains("suspect_mislabel")].copy()
    use["series_measure"] = use["measure"]
    cr = use["measure"] == "charge_rate_pct"
    use.loc[cr, "series_measure"] = "charge_rate_pct_" + use.loc[cr, "basis"]
    out, conflicts = [], []
    for (meas, ptype, period), g in use.groupby(
        ["series_measure", "period_type", "period"], sort=True
    ):
        resolve = functools.partial(_resolve, g["measure"].iloc[0], period)
        value, note, unresolved, tier = provenance.tier_first(g, resolve)
        flag = ";".join(sorted({f for fl in g["flag"] for f in fl.split(";") if f}))
        if unresolved:
            flag = ";".join(filter(None, [flag, "unresolved_conflict"]))
        if g["value"].nunique() > 1:
            by_value = g.groupby("value")["tier"].agg(provenance.best_tier)
            conflicts.append(
                {
                    "measure": meas,
                    "period_type": ptype,
                    "period": period,
                    "values": "; ".join(f"{v:g} ({t})" for v, t in by_value.items()),
                    "kept": "" if pd.isna(value) else f"{value:g}",
                    "tier": tier,
                    "resolution": note,
                }
            )
        out.append(
            {
                "period_type": ptype,
                "period": period,
                "period_end": g["period_end"].iloc[0],
                "measure": meas,
                "value": value,
                "unit": g["unit"].iloc[0],
                "tier": tier,
                "n_rows": len(g),
                "n_sources": g["source_url"].nunique(),
                "flag": flag,
                "note": note,
                "sources": " | ".join(sorted(g["source_url"].unique())),
            }
        )
    series = (
        pd.DataFrame(out).sort_values(["measure", "period_type", "period"]).reset_index(drop=True)
    )
    columns = ["measure", "period_type", "period", "values", "kept", "tier", "resolution"]
    return series, pd.DataFrame(conflicts, columns=columns)


def national_table(tr: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """The transcribed rows and the built series in one table (``kind``: ``transcribed`` or
    ``series``), text columns as strings (``cps_rape_national``)."""
    cps_tab = pd.concat(
        [tr.drop(columns=["file"]).assign(kind="transcribed"), series.assign(kind="series")],
        ignore_index=True,
    )
    cps_tab = cps_tab[["kind"] + [c for c in cps_tab.columns if c != "kind"]]
    for c in cps_tab.columns:
        if c not in ("value", "n_rows", "n_sources"):
            cps_tab[c] = cps_tab[c].fillna("").astype(str)
    return cps_tab


@step("CPS transcribed rape-flagged figures", order=80)
def transcribed_step(b: Build) -> None:
    """``cps_rape_national``, and its conflicts in the quality report."""
    tr = read_cps_transcribed(b.path(FILES["cps_tr"]))
    series, conflicts = build_cps_rape_series(tr)
    b.log.add(
        "dropped or excluded rows",
        FILES["cps_tr"],
        "rows flagged suspect_mislabel kept in table, left out of the series",
        int(tr["flag"].str.contains("suspect_mislabel").sum()),
    )
    provenance.log_tiers(b.log, tr, FILES["cps_tr"])
    b.add_table("cps_rape_national", national_table(tr, series), parquet=True)
    b.log.table(
        "CPS transcribed series: conflicts",
        conflicts,
        ["measure", "period", "values", "kept", "tier", "resolution"],
    )


# ---- transcribed West Midlands figures --------------------------------------------------

#: geography of each West Midlands measure prefix (cps/transcribed/NOTES.md, "West Midlands file")
WM_GEOGRAPHY = (
    ("wmp_area_", "wmp_force_area", True),  # CPS figures, probably the West Midlands Police area
    ("wmp_police_", "wmp_police_force", False),  # Home Office / police data, not CPS
    ("warwickshire_", "warwickshire_force", True),  # one force of the CPS Area (CPS data)
)


@names_file
def read_cps_wm_transcribed(path: Path | str) -> pd.DataFrame:
    """The transcribed West Midlands table with its geography made explicit.

    Adds ``geography`` (``cps_area``: the CPS West Midlands Area of four forces, the only rows
    NOTES.md calls genuine Area figures; ``wmp_force_area``: CPS figures that probably refer to
    the West Midlands Police force area; ``wmp_police_force``: police-side figures, not CPS;
    ``warwickshire_force``: Warwickshire only), ``base_measure`` (the measure without its
    geography prefix), ``is_cps`` (``False`` for police-side rows:
    ``wmp_police_*`` and ``*_police_*``), ``period_end`` (fiscal quarter label) and ``file``. Rows are never
    dropped, merged or re-labelled."""
    path = Path(path)
    df = _read_transcribed(path, [c for c in TRANSCRIBED_COLUMNS if c != "quoted_text"])
    geo, base, is_cps = [], [], []
    for m in df["measure"]:
        for prefix, g, c in WM_GEOGRAPHY:
            if m.startswith(prefix):
                geo.append(g)
                base.append(m[len(prefix) :])
                is_cps.append(False if m[len(prefix) :].startswith("police_") else c)
                break
        else:
            if m not in CPS_MEASURES:
                raise InputFormatError(f"{path}: measure {m!r} has no known geography")
            geo.append("cps_area")
            base.append(m)
            is_cps.append(True)
    df["geography"] = geo
    df["base_measure"] = base
    df["is_cps"] = pd.array(is_cps, dtype="boolean")
    df["file"] = path.name
    return df.reset_index(drop=True)


@step("CPS transcribed West Midlands figures", order=100, write_only=True)
def west_midlands_step(b: Build) -> None:
    """``cps_rape_west_midlands`` (the transcribed table with its geography made explicit)."""
    wm = read_cps_wm_transcribed(b.path(FILES["cps_wm"]))
    provenance.log_tiers(b.log, wm, FILES["cps_wm"])
    wm = wm.drop(columns=["file"])
    wm["is_cps"] = wm["is_cps"].astype(bool)
    b.add_table("cps_rape_west_midlands", wm)
