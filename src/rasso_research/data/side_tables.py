"""The side tables of ``data/processed`` read for the claims, the funnel and the annual
designs: the CPS transcribed rape-flagged figures (one value per measure and period, conflicts
named), the MoJ sentencing and prosecution-times tables, and the annual force x financial-year
x offence-group table (``force_year``).

:mod:`rasso_research.data.series` re-exports every public name here (``S.cps_value`` etc.).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rasso_research import periods
from rasso_research.data.processed import load_processed, unknown
from rasso_research.data.sources import cps_areas


# ---- CPS transcribed rape-flagged table ----------------------------------------------------
def cps_value(
    cps: pd.DataFrame | None, measure: str, period: str, period_type: str | None = None
) -> tuple[float | None, str]:
    """The transcribed value of ``measure`` in ``period`` and a note on conflicts/sources.

    Where sources disagree the most frequently reported value is used and the others are named
    in the note; a tie between values more than 0.5 apart returns ``None`` (never averaged);
    a tie of rounding variants (69 vs 69.3) keeps the most precise value.
    """
    if cps is None or cps.empty:
        return None, "no transcribed CPS rows"
    if "kind" in cps.columns:  # processed file: use the transcribed rows, not derived series
        cps = cps[cps["kind"] == "transcribed"]
    per = cps["period"].map(periods.norm_period)
    sel = (cps["measure"] == measure) & (per == periods.norm_period(period))
    if period_type is not None and "period_type" in cps.columns:
        sel &= cps["period_type"] == period_type
    d = cps[sel]
    if d.empty:
        return None, f"no {measure} row for {periods.norm_period(period)}"
    counts = pd.to_numeric(d["value"], errors="coerce").value_counts()
    n_urls = d["source_url"].nunique() if "source_url" in d.columns else len(d)
    note = f"{n_urls} source(s)"
    if len(counts) > 1 and counts.iloc[0] == counts.iloc[1]:
        tied = [float(x) for x in counts.index[counts == counts.iloc[0]]]
        if max(tied) - min(tied) > 0.5:
            return None, f"conflicting {measure} values {tied} for {period}, tied"
        best = max(tied, key=lambda x: len(f"{x:g}"))
        return best, f"{note}; rounded variant(s) {[x for x in tied if x != best]} kept aside"
    if len(counts) > 1:
        note += f"; other value(s) {[float(x) for x in counts.index[1:]]} kept aside"
    return float(counts.index[0]), note


def cps_annual(cps: pd.DataFrame | None, measure: str) -> pd.Series:
    """Financial-year series of a transcribed CPS measure (modal value per year)."""
    if cps is None or cps.empty:
        return pd.Series(dtype=float)
    d = cps[(cps["measure"] == measure) & (cps["period_type"] == "financial_year")]
    out = {}
    for p in sorted(d["period"].map(periods.norm_period).unique()):
        v, _ = cps_value(d, measure, p)
        if v is not None:
            out[p] = v
    return pd.Series(out, dtype=float)


def cps_table(
    cps: pd.DataFrame, measures=("charges", "prosecutions", "convictions")
) -> pd.DataFrame:
    """CPS rape-flagged national figures by financial year (wide; the ``series`` rows)."""
    d = cps[(cps["kind"] == "series") & (cps["period_type"] == "financial_year")]
    d = d[d["measure"].isin(measures)]
    return d.pivot_table(
        index="period", columns="measure", values="value", aggfunc="first"
    ).reset_index()


# ---- MoJ side tables -----------------------------------------------------------------------
def moj_sentenced_by_year(moj: pd.DataFrame | None) -> pd.Series:
    """People sentenced for rape by calendar year (``data/processed/moj_rape_sentenced.csv``)."""
    if moj is None or moj.empty:
        return pd.Series(dtype=float)
    if not {"year", "sentenced"} <= set(moj.columns):
        raise ValueError(f"MoJ sentenced table: need columns year, sentenced; got {list(moj)}")
    return moj.groupby(moj["year"].astype(int))["sentenced"].sum().astype(float).sort_index()


def timeliness_wide(df: pd.DataFrame | None) -> pd.DataFrame | None:
    """Year x measure table of MoJ rape prosecution times (all rape, 2011-2018 series), from
    ``data/processed/moj_rape_timeliness.csv``: only the ``All rape`` rows of the multi-year
    file, so 2018 is never mixed with the 2018-by-offence file."""
    if df is None or df.empty:
        return None
    d = df[df["offence"].astype(str).str.lower() == "all rape"]
    multi = d.groupby("source")["year"].nunique()
    d = d[d["source"] == multi.idxmax()]
    return d.pivot_table(
        index=d["year"].astype(int), columns="measure", values="value", aggfunc="first"
    )


def load_force_year(path: str | Path | None = None) -> pd.DataFrame:
    """The annual force x financial-year x offence-group table (``force_year.parquet``)."""
    return load_processed("force_year.parquet", Path(path).parent if path else None)


def with_cps_areas(fy: pd.DataFrame, areas: pd.DataFrame | None = None) -> pd.DataFrame:
    """``fy`` with the rows of each CPS Area (``geography`` ``cps_area``, ``CPS <Area>``): the
    sums of its forces (:func:`rasso_research.data.sources.cps_areas.area_year_rows`; ``areas``
    default ``config/cps_areas.csv``). Rows already of an Area are replaced, not doubled."""
    areas = cps_areas.load_cps_areas() if areas is None else areas
    rows = cps_areas.area_year_rows(fy, areas)
    return pd.concat([fy[fy["geography"] != "cps_area"], rows], ignore_index=True)


def force_year_series(
    fy: pd.DataFrame,
    measure: str,
    offence_group: str,
    rate: bool = False,
    start: str | None = None,
    end: str | None = None,
    drop_flagged: bool = True,
    geography: str = "force",
) -> pd.DataFrame:
    """Long annual frame ``force, fiscal_year, year, value`` of one measure and offence group
    for every area of ``geography`` (the forces, or ``"cps_area"`` the CPS Areas of
    :func:`with_cps_areas`; never the national total); ``rate`` gives the value per 100,000.
    With ``drop_flagged`` the values the source calls incomplete are dropped and counted in
    ``attrs["dropped"]`` (force, fiscal year, reason). ``attrs["frequency"]`` is "annual"."""
    if measure not in set(fy["measure"].unique()):
        raise unknown("measure", measure, fy["measure"])
    if offence_group not in set(fy["offence_group"].unique()):
        raise unknown("offence group", offence_group, fy["offence_group"])
    d = fy[(fy["measure"] == measure) & (fy["offence_group"] == offence_group)]
    if not (d["geography"] == geography).any():
        have = sorted(d["geography"].unique())
        hint = " (add the Areas with with_cps_areas)" if geography == "cps_area" else ""
        raise ValueError(f"force_year has no {geography!r} rows{hint}; it has {have}")
    d = d[d["geography"] == geography]
    if start is not None:
        d = d[d["fiscal_year"] >= start]
    if end is not None:
        d = d[d["fiscal_year"] <= end]
    dropped = []
    if drop_flagged:
        bad = d["flag"].fillna("") != ""
        dropped = d.loc[bad, ["force", "fiscal_year", "flag"]].to_dict("records")
        d = d[~bad]
    col = "per_100k" if rate else "value"
    out = d.assign(year=d["fiscal_year"].str[:4].astype(int), value=d[col])[
        ["force", "fiscal_year", "year", "value"]
    ]
    out = out.sort_values(["force", "year"]).reset_index(drop=True)
    out.attrs.update(
        measure=measure,
        geography=geography,
        offence_group=offence_group,
        rate=rate,
        frequency="annual",
        dropped=dropped,
    )
    return out
