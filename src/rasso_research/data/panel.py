"""Build the processed quarterly panel and side tables from ``data/raw``.

Outputs (``data/processed``): ``panel.parquet``/``panel.csv`` (long: fiscal_quarter, quarter,
geography, force, force_code, measure, value, source, flag, note; ``geography`` is ``national``,
``force`` or ``cps_area`` and ``force`` holds the area's name), ``cps_rape_national.parquet``/``.csv``,
``moj_rape_sentenced.csv``, ``moj_rape_timeliness.csv``,
``moj_prosecution_times_2018_by_offence.csv``, ``cps_rape_west_midlands.csv``, ``population.csv``,
``recorded_rape_revision.csv``, ``outcomes_revision.csv``, ``data_quality.md``/``.csv``.
Run ``python -m rasso_research.data.panel``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from rasso_research import paths, periods
from rasso_research.constants import GEOGRAPHIES
from rasso_research.data import fetch, forces, schemas
from rasso_research.data.quality import QualityLog, write_quality
from rasso_research.data.schemas import RAPE_CODES
from rasso_research.data.sources import cps as rc
from rasso_research.data.sources import homeoffice as rh
from rasso_research.data.sources import moj
from rasso_research.data.sources import population as rp

PANEL_COLUMNS = [
    "fiscal_quarter",
    "quarter",
    "geography",
    "force",
    "force_code",
    "measure",
    "value",
    "source",
    "flag",
    "note",
]
NAT = forces.NATIONAL

SOURCES = {
    "pfa_2026": "HO PRC PFA tables, 23 Apr 2026 release",
    "out_2018": "HO outcomes open data, YE Mar 2018 edition",
    "out_2019": "HO outcomes open data, YE Mar 2019 edition",
    "charged_nat": "HO outcomes by offence code, E&W, 2024 edition (closure measure)",
    "cps_q": "CPS case outcomes by principal offence category (quarterly)",
    "cps_m": "CPS case outcomes by principal offence category (sum of monthly)",
    "pop": "ONS mid-year population (see population.csv)",
    "oocd_fy": "OOCD dashboard aggregate of HO outcomes open data (July 2026 release), annual",
}


#: What each source must cover: its main measure, first and last fiscal quarter, and the number
#: of areas (forces and the national total), each area with every quarter in between. A file
#: that passes its checksum but is incomplete (a new edition registered by hand and cut short)
#: stops the build naming the file. Update these with the registry when a source is replaced.
COVERAGE = {
    "pfa_2026": ("recorded_rape", "2012/13 Q1", "2025/26 Q3", 44),
    "out_2018": ("rape_outcomes_cohort", "2017/18 Q1", "2017/18 Q4", 44),
    "out_2019": ("rape_outcomes_cohort", "2018/19 Q1", "2018/19 Q4", 44),
    "charged_nat": ("rape_charged_in_quarter", "2014/15 Q1", "2024/25 Q1", 1),
    "cps_q": ("cps_sexual_offences_convictions", "2015/16 Q1", "2018/19 Q4", 43),
}
#: the raw file or folder behind each source key (for the completeness errors)
SOURCE_FILES = {
    "pfa_2026": rh.FILES["pfa_2026"],
    "out_2018": rh.FILES["out_2018"],
    "out_2019": rh.FILES["out_2019"],
    "charged_nat": rh.FILES["charged_nat"],
    "cps_q": rc.FILES["cps_poc"] + "/quarterly",
}


def check_coverage(panel: pd.DataFrame, coverage=None, files=None) -> None:
    """Every source of :data:`COVERAGE` has its main measure for the expected number of areas,
    each with every quarter from the first to the last; else an ``InputFormatError`` names the
    file and what is missing."""
    coverage = COVERAGE if coverage is None else coverage
    files = SOURCE_FILES if files is None else files
    for key, (measure, first, last, n_areas) in coverage.items():
        d = panel[(panel["source"] == SOURCES[key]) & (panel["measure"] == measure)]
        d = d.dropna(subset=["value"])
        want = set(range(periods.fiscal_index(first), periods.fiscal_index(last) + 1))
        where = f"{files[key]}: {measure}"
        if d["force"].nunique() != n_areas:
            raise schemas.InputFormatError(
                f"{where} has {d['force'].nunique()} areas, expected {n_areas} (incomplete or "
                "wrong file; `make fetch` restores the registered one)"
            )
        for area, g in d.groupby("force"):
            have = {periods.fiscal_index(q) for q in g["fiscal_quarter"]}
            gap = sorted(want - have)
            if gap:
                raise schemas.InputFormatError(
                    f"{where} for {area} lacks {len(gap)} of the {len(want)} quarters "
                    f"{first}-{last} (first missing: {periods.fiscal_label(gap[0])}); the file is "
                    "incomplete (`make fetch` restores the registered one)"
                )


def _rows(
    df: pd.DataFrame,
    measure: str,
    value: str,
    source: str,
    note: str = "",
    flag: str = "",
    geography: str | None = None,
) -> pd.DataFrame:
    """Frame with fiscal_quarter, force (the area's name), value -> panel rows for one measure.
    ``geography``: ``None`` (national for the national total, else force) or ``"cps_area"``."""
    if geography is not None and geography not in GEOGRAPHIES:
        raise ValueError(f"geography must be one of {GEOGRAPHIES}, got {geography!r}")
    out = pd.DataFrame(
        {
            "fiscal_quarter": df["fiscal_quarter"].to_numpy(),
            "geography": geography,
            "force": df["force"].to_numpy(),
            "measure": measure,
            "value": df[value].astype(float).to_numpy(),
            "source": source,
            "flag": flag,
            "note": note,
        }
    )
    return out


def _national_sum(
    df: pd.DataFrame, keys: list[str], value: str, log: QualityLog, what: str
) -> pd.DataFrame:
    """Sum force rows to England and Wales: missing when any force's value is missing (a
    national total without a force is not the national total); quarters with fewer than 43
    forces, or left missing, are counted in the quality log."""
    g = df.groupby(keys, as_index=False).agg(
        **{value: (value, strict_sum), "n_forces": ("force", "nunique")}
    )
    g["force"] = NAT
    short = g[g["n_forces"] < len(forces.FORCES)]
    if len(short):
        log.add(
            "national aggregates", what, "quarters summed over fewer than 43 forces", len(short)
        )
    n_missing = int(g[value].isna().sum())
    if n_missing:
        log.add(
            "values set to missing",
            what,
            "national total left missing: a force's value is missing in the quarter",
            n_missing,
        )
    return g


def strict_sum(v: pd.Series) -> float:
    """The sum, or missing when any value is missing (never a silent undercount)."""
    return float(v.sum()) if len(v) and v.notna().all() else np.nan


def build_recorded(raw: Path, log: QualityLog) -> tuple[pd.DataFrame, pd.DataFrame]:
    rec = rh.read_recorded_crime(raw / rh.FILES["pfa_2026"])
    log.dropped(rec)
    neg = rec["offences"] < 0
    if neg.any():
        log.add(
            "kept with caveat",
            rh.FILES["pfa_2026"],
            "negative quarterly counts (cancelled crimes) kept",
            int(neg.sum()),
        )
    by_code = rec.groupby(["fiscal_quarter", "force", "offence_code"], as_index=False)[
        "offences"
    ].sum(min_count=1)
    parts = []
    for code, g in by_code.groupby("offence_code"):
        parts.append(_rows(g, f"recorded_rape_{code}", "offences", SOURCES["pfa_2026"]))
        parts.append(
            _rows(
                _national_sum(g, ["fiscal_quarter"], "offences", log, f"recorded_rape_{code}"),
                f"recorded_rape_{code}",
                "offences",
                SOURCES["pfa_2026"],
            )
        )
    tot = by_code.groupby(["fiscal_quarter", "force"], as_index=False)["offences"].sum(min_count=1)
    nat = _national_sum(tot, ["fiscal_quarter"], "offences", log, "recorded_rape")
    note = "sum of rape codes " + ",".join(RAPE_CODES) + " (19J/19K from 2019/20)"
    parts += [
        _rows(tot, "recorded_rape", "offences", SOURCES["pfa_2026"], note),
        _rows(nat, "recorded_rape", "offences", SOURCES["pfa_2026"], note),
    ]
    # revision: 2017/18 sheet of the 2018 release vs the 2026 release
    old = rh.read_recorded_crime(raw / rh.FILES["pfa_2018"])
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
    return pd.concat(parts, ignore_index=True), rev


def outcome_editions(raw: Path) -> list[tuple[Path, str]]:
    """Outcomes editions to use: the two mirrored ones, plus any optional official workbooks
    fetched into ``homeoffice/official/`` (each labelled by its own file name)."""
    eds = [(raw / rh.FILES[k], SOURCES[k]) for k in ("out_2018", "out_2019")]
    for f in sorted((raw / "homeoffice" / "official").glob("prc-outcomes-open-data-mar*.*")):
        eds.append((f, f"HO outcomes open data, official workbook {f.stem}"))
    return eds


def build_outcomes(raw: Path, log: QualityLog) -> tuple[pd.DataFrame, pd.DataFrame]:
    parts, inq_nat = [], {}
    for path, src in outcome_editions(raw):
        o = rh.read_outcomes(path)
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
        bytype = o.groupby(keys + ["outcome_type"], as_index=False)["outcomes_cohort"].sum(
            min_count=1
        )
        for frame, meas, col in (
            (t1, "rape_charged_cohort", "outcomes_cohort"),
            (allt, "rape_outcomes_cohort", "outcomes_cohort"),
            (t1, "rape_charged_in_quarter", "outcomes_in_quarter"),
            (allt, "rape_outcomes_in_quarter", "outcomes_in_quarter"),
        ):
            nat = _national_sum(frame, ["fiscal_quarter"], col, log, meas)
            parts += [_rows(frame, meas, col, src), _rows(nat, meas, col, src)]
            if meas == "rape_charged_in_quarter":
                inq_nat[src] = nat.set_index("fiscal_quarter")[col]
        for k, g in bytype.groupby("outcome_type"):
            meas = f"rape_outcomes_cohort_type_{k}"
            nat = _national_sum(g, ["fiscal_quarter"], "outcomes_cohort", log, meas)
            parts += [
                _rows(g, meas, "outcomes_cohort", src),
                _rows(nat, meas, "outcomes_cohort", src),
            ]
        yt = t1.groupby(lambda i: 0)["outcomes_cohort"].sum().iloc[0]
        log.add("published totals", f"{src}: rape charged (cohort) {latest}", "E&W, 43 forces", yt)
    panel = pd.concat(parts, ignore_index=True)
    # charge rate (cohort): charged / all outcomes for offences recorded in the quarter, same edition
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
    rate = _rows(
        w,
        "rape_charge_rate_cohort",
        "rate",
        "",
        "percent: charged / all outcomes of offences recorded in the quarter (same edition)",
    )
    rate["source"] = w["source"].to_numpy()
    # national charged on the closure measure (2024 edition)
    ch = rh.read_charged_national(raw / rh.FILES["charged_nat"])
    log.dropped(ch)
    nat = ch.groupby("fiscal_quarter", as_index=False)["charged"].sum(min_count=1)
    nat["force"] = NAT
    closure = _rows(
        nat,
        "rape_charged_in_quarter",
        "charged",
        SOURCES["charged_nat"],
        "outcomes for investigations closed in the quarter; appears to include BTP",
    )
    for fy in ("2019/20", "2023/24"):
        log.add(
            "published totals",
            f"rape charged, closure measure {fy}",
            SOURCES["charged_nat"],
            nat.loc[nat["fiscal_quarter"].str.startswith(fy), "charged"].sum(),
        )
    # revision of the in-quarter charged measure between editions
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
                        "national_series": SOURCES["charged_nat"],
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
    return pd.concat([panel, rate, closure], ignore_index=True), rev


def build_cps(raw: Path, log: QualityLog, names: list[str] | None = None) -> pd.DataFrame:
    """CPS principal-offence rows; ``names``: the registry's files (only those are read)."""
    folder = raw / rc.FILES["cps_poc"]
    files = None
    if names is not None:
        files = [raw / n for n in names if n.startswith(rc.FILES["cps_poc"] + "/")]
    poc = rc.read_cps_poc_dir(folder, files)
    log.dropped(poc)
    for f in poc.attrs.get("unlisted", []):
        log.add(
            "dropped or excluded rows",
            f"{rc.FILES['cps_poc']}/{f}",
            "not in the registry: not read",
        )
    sx = poc[poc["category"] == "Sexual Offences"]
    q = sx[sx["period_type"] == "quarter"].rename(columns={"period": "fiscal_quarter"})
    q = q.assign(source=SOURCES["cps_q"])
    mq = rc.monthly_to_quarterly(sx)
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
        rc.FILES["cps_poc"] + " (monthly)",
        "area-category-quarters summed from monthly files but also in a quarterly file: "
        "quarterly file used",
        int(dup_q.sum()),
    )
    mq = mq[~dup_q].assign(source=SOURCES["cps_m"])
    both = pd.concat([q, mq], ignore_index=True)
    both["rate"] = 100 * both["convictions"] / (both["convictions"] + both["unsuccessful"])
    # forces sum to the National row?
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
            SOURCES["cps_q"],
            n.loc[[i for i in n.index if i[0].startswith(fy)], "convictions"].sum(),
        )
    note = np.where(
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
        r = _rows(both, meas, col, "")
        r["source"] = both["source"].to_numpy()
        r["note"] = note
        if col == "rate":
            r["note"] = np.where(
                note != "",
                note + "; percent of convictions+unsuccessful",
                "percent of convictions+unsuccessful",
            )
        parts.append(r)
    return pd.concat(parts, ignore_index=True)


def build_population_rows(pop: pd.DataFrame, quarters: list[str]) -> pd.DataFrame:
    """Quarterly population rows: mid-year of the fiscal year's start (mid-2018 -> 2018/19)."""
    nat = pop.groupby("year", as_index=False).agg(
        population=("population", strict_sum), interpolated=("interpolated", "any")
    )
    nat["force"], nat["source"] = NAT, "sum of forces"
    p = pd.concat([pop, nat], ignore_index=True)
    qf = pd.DataFrame({"fiscal_quarter": quarters})
    qf["year"] = qf["fiscal_quarter"].str[:4].astype(int)
    m = qf.merge(p, on="year")
    r = _rows(m, "population", "population", SOURCES["pop"])
    r["flag"] = np.where(m["interpolated"], "interpolated", "")
    r["note"] = "mid-" + m["year"].astype(str) + ": " + m["source"].astype(str)
    return r


def _finalise(panel: pd.DataFrame) -> pd.DataFrame:
    panel = panel.copy()
    panel["quarter"] = panel["fiscal_quarter"].map(
        {q: periods.fiscal_to_calendar(q) for q in panel["fiscal_quarter"].unique()}
    )
    derived = pd.Series(np.where(panel["force"] == NAT, "national", "force"), index=panel.index)
    given = panel["geography"] if "geography" in panel else pd.Series(None, index=panel.index)
    panel["geography"] = given.fillna(derived)
    is_area = panel["geography"] == "cps_area"  # CPS Areas have no police force area code
    panel["force_code"] = ""
    panel.loc[~is_area, "force_code"] = panel.loc[~is_area, "force"].map(forces.force_code)
    panel["value"] = panel["value"].astype(float).round(6)
    for c in ("flag", "note", "source"):
        panel[c] = panel[c].fillna("").astype(str)
    panel = panel[PANEL_COLUMNS]
    dup = panel.duplicated(["fiscal_quarter", "geography", "force", "measure", "source"])
    if dup.any():
        raise AssertionError(f"duplicate panel keys: {panel[dup].head()}")
    panel = panel.sort_values(["measure", "force", "fiscal_quarter", "source"]).reset_index(
        drop=True
    )
    return schemas.validate(schemas.PANEL, panel, "panel")


def coverage(panel: pd.DataFrame) -> pd.DataFrame:
    """Coverage per measure and source: forces, first/last quarter, rows, missing values."""
    g = panel.groupby(["measure", "source"])
    cov = g.agg(
        forces=("force", lambda s: int((s != NAT).sum() and s[s != NAT].nunique())),
        national=("force", lambda s: bool((s == NAT).any())),
        first_quarter=("fiscal_quarter", "min"),
        last_quarter=("fiscal_quarter", "max"),
        n=("value", "size"),
        n_missing=("value", lambda v: int(v.isna().sum())),
    )
    return cov.reset_index()


def build_force_year(raw: Path, log: QualityLog, pop: pd.DataFrame) -> pd.DataFrame:
    """The annual force x financial-year x offence-group outcomes table (``force_year``):
    counts from the OOCD dashboard aggregate, the national total as the sum of the 43 forces
    (missing if any force is), and rates per 100,000 on the mid-year population at the start
    of the financial year (mid-2018 for 2018/19; missing where no estimate exists)."""
    path = raw / rh.FILES["oocd_fy"]
    fy = rh.read_oocd_force_year(path)
    log.dropped(fy)
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
        rh.FILES["oocd_fy"],
        f"financial years with no mid-year population (rates missing): {', '.join(no_pop)}",
        int(out["population"].isna().sum()),
    )
    out["frequency"] = "annual"
    out["source"] = SOURCES["oocd_fy"]
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


def build_btp_share(raw: Path, force_year: pd.DataFrame) -> pd.DataFrame:
    """British Transport Police against the 43 forces, per financial year, offence group and
    measure: ``btp``, ``forces_43`` (the national row of ``force_year``) and ``btp_pct``, BTP's
    share of the 44-force total (``btp_share.csv``): the size of the difference between a
    national figure that includes BTP and one that does not."""
    btp = rh.read_oocd_btp(raw / rh.FILES["oocd_fy"]).rename(columns={"value": "btp"})
    nat = force_year[force_year["geography"] == "national"]
    nat = nat[["fiscal_year", "offence_group", "measure", "value"]].rename(
        columns={"value": "forces_43"}
    )
    out = btp.merge(nat, on=["fiscal_year", "offence_group", "measure"], how="left")
    out["btp_pct"] = 100 * out["btp"] / (out["btp"] + out["forces_43"])
    return out.sort_values(["offence_group", "measure", "fiscal_year"]).reset_index(drop=True)


def build_panel(
    raw_dir: Path | str | None = None,
    out_dir: Path | str | None = None,
    progress: bool = True,
    write: bool = True,
    registry: Path | str | None = None,
) -> pd.DataFrame:
    """Build the panel (and side tables when ``write``); return the panel DataFrame.

    Every registry file is checked against its checksum first (a missing or changed file stops
    the build naming it). The outputs are written to a temporary folder and moved into
    ``out_dir`` only when all are written, ``panel.parquet`` last, so a failed build never
    leaves a partial set that looks complete."""
    raw = Path(raw_dir) if raw_dir else paths.DATA_RAW
    out = Path(out_dir) if out_dir else paths.DATA_PROCESSED
    if registry is None:
        registry = raw / "registry.csv" if (raw / "registry.csv").exists() else None
    names = fetch.verify(raw, registry or paths.DATA_RAW / "registry.csv")["name"].tolist()
    log = QualityLog(progress)
    log.say("recorded rape (PFA tables)")
    recorded, rec_rev = build_recorded(raw, log)
    log.say("police outcomes (cohort and in-quarter) and national charged series")
    outcomes, out_rev = build_outcomes(raw, log)
    log.say("CPS case outcomes by principal offence")
    cps = build_cps(raw, log, names)
    log.say("population")
    pop, pieces = rp.build_population(raw, return_pieces=True)
    checks = rp.population_checks(pieces)
    log.add(
        "consistency",
        "population: pieces overlapping on a force-year",
        "force-years differing by more than 1% (mostly 2001-2010: the LA file carries post-2011-census back-revised estimates; the force-area tables do not; City of London is small)",
        int((checks["max_rel_diff"] > 0.01).sum()),
    )
    log.add(
        "coverage gaps",
        "population",
        "mid-years interpolated (force-years)",
        int(pop["interpolated"].sum()),
    )
    brk = rp.vintage_break(pieces)
    log.add(
        "consistency",
        "population: vintage break at mid-2019",
        "forces whose rebased (2021-Census-based) mid-2018 estimate differs from the older "
        f"vintage by more than 1% (largest {brk['rel_diff'].abs().max():.1%}, "
        f"{brk.loc[brk['rel_diff'].abs().idxmax(), 'force']}); see population_vintage.csv",
        int((brk["rel_diff"].abs() > 0.01).sum()),
    )
    log.say("annual force x offence-group outcomes (OOCD dashboard aggregate)")
    force_year = build_force_year(raw, log, pop)
    btp_share = build_btp_share(raw, force_year)
    quarters = sorted(recorded["fiscal_quarter"].unique())
    poprows = build_population_rows(pop, quarters)
    # rates per 100,000 (quarterly counts, not annualised)
    r = recorded[recorded["measure"] == "recorded_rape"].merge(
        poprows[["fiscal_quarter", "force", "value", "flag"]],
        on=["fiscal_quarter", "force"],
        suffixes=("", "_pop"),
    )
    r["rate"] = 1e5 * r["value"] / r["value_pop"]
    no_pop = sorted(set(quarters) - set(poprows["fiscal_quarter"]))
    if no_pop:
        log.add(
            "coverage gaps",
            "recorded_rape_per_100k",
            f"quarters with no population estimate ({no_pop[0]} to {no_pop[-1]}): rate not built",
            len(no_pop),
        )
    rate = _rows(
        r,
        "recorded_rape_per_100k",
        "rate",
        SOURCES["pfa_2026"] + " / " + SOURCES["pop"],
        "quarterly count per 100,000 (not annualised)",
    )
    rate["flag"] = np.where(r["flag_pop"] == "interpolated", "population_interpolated", "")
    panel = _finalise(pd.concat([recorded, outcomes, cps, poprows, rate], ignore_index=True))
    check_coverage(panel)
    log.say("CPS transcribed rape-flagged figures")
    tr = rc.read_cps_transcribed(raw / rc.FILES["cps_tr"])
    series, conflicts = rc.build_cps_rape_series(tr)
    log.add(
        "dropped or excluded rows",
        rc.FILES["cps_tr"],
        "rows flagged suspect_mislabel kept in table, left out of the series",
        int(tr["flag"].str.contains("suspect_mislabel").sum()),
    )
    cov = coverage(panel)
    if write:
        out.mkdir(parents=True, exist_ok=True)
        log.say(f"writing {out}")
        final, out = out, Path(tempfile.mkdtemp(prefix=".building-", dir=out))
        try:
            _write_outputs(out, raw, log, panel, tr, series, pop, rec_rev, out_rev, cov, conflicts)
            _write_csv_parquet(force_year, out, "force_year")
            btp_share.to_csv(
                out / "btp_share.csv", index=False, float_format="%.10g", lineterminator="\n"
            )
            brk.to_csv(
                out / "population_vintage.csv",
                index=False,
                float_format="%.10g",
                lineterminator="\n",
            )
        except BaseException:
            shutil.rmtree(out, ignore_errors=True)
            raise
        _move_into_place(out, final)
    log.say(f"done: {len(panel):,} panel rows")
    return panel


def _write_outputs(out, raw, log, panel, tr, series, pop, rec_rev, out_rev, cov, conflicts):
    """Write the panel and every side table into folder ``out``."""
    panel.to_parquet(out / "panel.parquet", index=False)
    panel.to_csv(out / "panel.csv", index=False, float_format="%.10g", lineterminator="\n")
    cps_tab = pd.concat(
        [tr.drop(columns=["file"]).assign(kind="transcribed"), series.assign(kind="series")],
        ignore_index=True,
    )
    cps_tab = cps_tab[["kind"] + [c for c in cps_tab.columns if c != "kind"]]
    for c in cps_tab.columns:
        if c not in ("value", "n_rows", "n_sources"):
            cps_tab[c] = cps_tab[c].fillna("").astype(str)
    cps_tab.to_parquet(out / "cps_rape_national.parquet", index=False)
    cps_tab.to_csv(
        out / "cps_rape_national.csv", index=False, float_format="%.10g", lineterminator="\n"
    )
    pop.to_csv(out / "population.csv", index=False, float_format="%.10g", lineterminator="\n")
    rec_rev.to_csv(
        out / "recorded_rape_revision.csv",
        index=False,
        float_format="%.10g",
        lineterminator="\n",
    )
    out_rev.to_csv(
        out / "outcomes_revision.csv", index=False, float_format="%.10g", lineterminator="\n"
    )
    moj.write_tables(raw, out, log)
    wm = rc.read_cps_wm_transcribed(raw / rc.FILES["cps_wm"]).drop(columns=["file"])
    wm["is_cps"] = wm["is_cps"].astype(bool)
    wm.to_csv(
        out / "cps_rape_west_midlands.csv",
        index=False,
        float_format="%.10g",
        lineterminator="\n",
    )
    write_quality(log, cov, out, conflicts)


def _write_csv_parquet(df: pd.DataFrame, out: Path, name: str) -> None:
    df.to_parquet(out / f"{name}.parquet", index=False)
    df.to_csv(out / f"{name}.csv", index=False, float_format="%.10g", lineterminator="\n")


def _move_into_place(tmp: Path, out: Path) -> None:
    """Move every file written to ``tmp`` into ``out``, ``panel.parquet`` (the make target)
    last, then remove ``tmp``."""
    names = sorted(p.name for p in tmp.iterdir())
    for name in sorted(names, key=lambda n: n == "panel.parquet"):
        os.replace(tmp / name, out / name)
    tmp.rmdir()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build data/processed from data/raw")
    ap.add_argument("--raw", default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    try:
        build_panel(a.raw, a.out, progress=not a.quiet)
    except Exception as exc:
        return fetch.fail(exc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
