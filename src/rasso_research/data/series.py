"""The one accessor for reading series out of the processed data.

Every notebook, design and claim reads the panel through these functions, so one rule decides
what a series is when several sources hold a measure:

* sources that cover *different* quarters of a measure for an area (successive editions of
  one publication) are combined;
* a later release of the same data replaces, in the quarters it covers, the older editions
  it declares it supersedes (``Source.supersedes`` in :mod:`rasso_research.data.catalog`: the
  official July 2026 release supersedes the mirrored 2018 and 2019 editions);
* other sources that cover the *same* quarter are never summed, averaged or silently ranked:
  the caller names one with ``source=`` (a source label, or its key in the table of sources,
  such as ``"charged_nat"``), else :class:`AmbiguousSourceError` names the sources and the
  quarters they share.

An unknown measure or area is an error that lists the close matches.

The loaders of ``data/processed`` (:mod:`.processed`) and the views of its side tables
(:mod:`.side_tables`: CPS transcribed figures, MoJ tables, the annual force-year table) are
defined there and re-exported here, so every caller writes ``S.<name>``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rasso_research import periods
from rasso_research.constants import NATIONAL
from rasso_research.data import catalog
from rasso_research.data.forces import FORCES
from rasso_research.data.processed import load_panel, load_processed, unknown
from rasso_research.data.side_tables import (
    cps_annual,
    cps_table,
    cps_value,
    force_year_series,
    load_force_year,
    moj_sentenced_by_year,
    timeliness_wide,
    with_cps_areas,
)

#: the public names; those defined in :mod:`.processed` and :mod:`.side_tables` are re-exported
#: here so that every caller reads the processed data as ``S.<name>``
__all__ = [
    "FUNNEL_STAGES",
    "AmbiguousSourceError",
    "annual",
    "area_panel",
    "control_panel",
    "coverage",
    "cps_annual",
    "cps_quarterly_series",
    "cps_table",
    "cps_value",
    "edition_vs_forces",
    "fiscal_series",
    "force_year_series",
    "funnel",
    "incomplete_quarters",
    "load_force_year",
    "load_panel",
    "load_processed",
    "moj_sentenced_by_year",
    "rolling_year",
    "select",
    "series",
    "timeliness_wide",
    "unknown",
    "with_cps_areas",
    "with_offset",
]


class AmbiguousSourceError(ValueError):
    """Several sources hold the same quarters of a series and none was chosen."""


def select(
    panel: pd.DataFrame,
    measure: str,
    force: str = NATIONAL,
    source: str | None = None,
    geography: str | None = None,
) -> pd.DataFrame:
    """Panel rows of one measure and area under the source rule of this module, with
    ``quarter`` as a Period; ``attrs["source"]`` names the source(s) used. ``geography``
    (``national``, ``force`` or ``cps_area``) picks one kind of area when names are shared."""
    # masks, not set(column): iterating a 36,000-row string column costs milliseconds
    is_measure = (panel["measure"] == measure).to_numpy()
    if not is_measure.any():
        raise unknown("measure", measure, panel["measure"])
    df = panel[is_measure]
    if geography is not None and "geography" in df.columns:
        df = df[df["geography"] == geography]
    if not (df["force"] == force).any():
        raise ValueError(
            f"measure {measure!r} has no rows for {force!r}: "
            + str(unknown("area", force, df["force"])).removeprefix("unknown ")
        )
    df = df[(df["force"] == force)].dropna(subset=["value"])
    what = f"{measure} / {force}"
    if "geography" in df.columns and df["geography"].nunique() > 1:
        raise AmbiguousSourceError(
            f"{what}: the name is both a {' and a '.join(sorted(df['geography'].unique()))}; "
            "pass geography="
        )
    if source is not None:
        want = catalog.label(source)
        out = df[df["source"] == want]
        if out.empty:
            raise ValueError(
                f"{what}: no rows from source {want!r}; have {sorted(df['source'].unique())}"
            )
        df = out
    elif df["source"].nunique() > 1:
        # a later release replaces, in the quarters it covers, the older editions it
        # supersedes (data/catalog.py)
        old = df["source"].isin(catalog.superseded(df["source"].unique()))
        df = df[~(old & df["quarter"].isin(df.loc[~old, "quarter"]))]
        shared = df.loc[df.duplicated("quarter", keep=False), "quarter"]
        if len(shared):
            cover = df.groupby("source")["quarter"].agg(["min", "max", "nunique"])
            listing = "; ".join(
                f"{s!r} ({r['min']}-{r['max']}, {r['nunique']} quarters)"
                for s, r in cover.iterrows()
            )
            raise AmbiguousSourceError(
                f"{what}: several sources cover the same quarters ({shared.min()} to "
                f"{shared.max()}); pass source= one of: {listing}"
            )
    df = df.assign(quarter=df["quarter"].map(periods.quarter))
    df.attrs["source"] = "; ".join(sorted(df["source"].unique()))
    return df


def incomplete_quarters(
    panel: pd.DataFrame,
    measure: str,
    force: str = NATIONAL,
    source: str | None = None,
    geography: str | None = None,
) -> list[str]:
    """The quarters of a series whose total lacks a force's figures (flagged
    :data:`rasso_research.data.catalog.INCOMPLETE` where the data are built): a model gives
    each its own indicator rather than read a missing force as a fall."""
    df = select(panel, measure, force, source, geography)
    hit = df["flag"].fillna("").str.startswith(catalog.INCOMPLETE)
    return sorted({str(q) for q in df.loc[hit, "quarter"]})


def _quarterly(df: pd.DataFrame) -> pd.DataFrame:
    out = df.groupby("quarter", as_index=False)["value"].sum(min_count=1)
    out = out.sort_values("quarter").reset_index(drop=True)
    out.attrs = dict(df.attrs)
    return out


def _window(df: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    if start is not None:
        df = df[df["quarter"] >= periods.quarter(start)]
    if end is not None:
        df = df[df["quarter"] <= periods.quarter(end)]
    return df


def series(
    panel: pd.DataFrame,
    measure: str,
    force: str = NATIONAL,
    source: str | None = None,
    start=None,
    end=None,
    offset: str | None = None,
    offset_fill: str = "none",
    offset_source: str | None = None,
    geography: str | None = None,
    offset_lag: int = 0,
) -> pd.DataFrame:
    """One quarterly series: columns ``quarter`` (Period), ``t``, ``value`` (+ offset columns).

    ``offset`` names another measure of the same area (e.g. ``"population"`` or
    ``"recorded_rape"``); see :func:`with_offset` (``offset_lag``: the mean of that many
    previous quarters). ``start``/``end`` are inclusive quarters.
    """
    raw = select(panel, measure, force, source, geography)
    used = raw.attrs["source"]
    df = _window(_quarterly(raw), start, end).reset_index(drop=True)
    if df.empty:
        raise ValueError(f"{measure!r} / {force!r}: no quarters between {start} and {end}")
    df.attrs.update(measure=measure, force=force, source=used)
    if offset is not None:
        df = with_offset(
            df, panel, offset, force=force, source=offset_source, fill=offset_fill, lag=offset_lag
        )
    return _add_t(df)


def _add_t(df: pd.DataFrame) -> pd.DataFrame:
    q0 = df["quarter"].min()
    out = df.copy()
    out["t"] = [(q - q0).n + 1 for q in out["quarter"]]
    cols = ["quarter", "t", "value"] + [
        c for c in out.columns if c not in ("quarter", "t", "value")
    ]
    out = out[cols]
    out.attrs = dict(df.attrs)
    return out


def with_offset(
    s: pd.DataFrame,
    panel: pd.DataFrame,
    measure: str,
    force: str | None = None,
    source: str | None = None,
    fill: str = "none",
    lag: int = 0,
) -> pd.DataFrame:
    """Add ``offset`` (the denominator) and ``log_offset`` from measure ``measure``.

    ``lag > 0``: the denominator of a quarter is the mean of the ``lag`` quarters before it
    (all of them published), e.g. charges over the rapes recorded in the previous year, which
    are the offences those charges can mostly come from; ``attrs["offset_lag"]`` records it.

    ``fill="interpolate"`` fills quarters without the denominator by log-linear interpolation
    inside its range and the nearest value outside (carried forward after the last published
    value, back before the first; for slowly moving population). Filled rows are marked by the
    boolean column ``offset_filled`` and counted in ``attrs["offset_filled"]``;
    :func:`rasso_research.report.text.describe_offset_fill` says which quarters and how.
    Quarters still without an offset are dropped (``attrs["offset_dropped"]``).
    """
    if fill not in ("none", "interpolate"):
        raise ValueError(f"fill must be 'none' or 'interpolate', got {fill!r}")
    force = force or s.attrs.get("force", NATIONAL)
    den = _quarterly(select(panel, measure, force, source)).rename(columns={"value": "offset"})
    if lag < 0:
        raise ValueError(f"offset lag must be >= 0 quarters, got {lag}")
    if lag:
        q = pd.period_range(den["quarter"].min(), den["quarter"].max(), freq="Q")
        full = den.set_index("quarter")["offset"].reindex(q).astype(float)
        prev = full.shift(1).rolling(lag, min_periods=lag).mean()
        den = prev.rename("offset").rename_axis("quarter").reset_index()
    out = s.drop(columns=[c for c in ("offset", "log_offset", "offset_filled") if c in s.columns])
    out = out.merge(den, on="quarter", how="left")
    filled = 0
    missing = out["offset"].isna().to_numpy()
    if fill == "interpolate" and out["offset"].isna().any() and out["offset"].notna().any():
        allq = pd.period_range(
            min(out["quarter"].min(), den["quarter"].min()),
            max(out["quarter"].max(), den["quarter"].max()),
            freq="Q",
        )
        full = den.set_index("quarter")["offset"].reindex(allq)
        logv = np.log(full.astype(float)).interpolate(limit_area="inside").ffill().bfill()
        filled = int(out["offset"].isna().sum())
        out["offset"] = out["offset"].fillna(out["quarter"].map(np.exp(logv)))
    out["offset_filled"] = missing & out["offset"].notna().to_numpy()
    dropped = int(out["offset"].isna().sum())
    out = out.dropna(subset=["offset"])
    out = out[out["offset"] > 0].reset_index(drop=True)
    out["log_offset"] = np.log(out["offset"].astype(float))
    out.attrs = dict(s.attrs)
    have = den.dropna(subset=["offset"])["quarter"]
    out.attrs.update(
        offset_measure=measure,
        offset_lag=lag,
        offset_filled=filled,
        offset_dropped=dropped,
        offset_first=str(have.min()) if len(have) else "",
        offset_last=str(have.max()) if len(have) else "",
    )
    return out


def geography_of(panel: pd.DataFrame) -> pd.Series:
    """Each row's geography: the ``geography`` column, or (a frame without one) ``national``
    for the national total and ``force`` for every other area."""
    if "geography" in panel.columns:
        return panel["geography"]
    return pd.Series(np.where(panel["force"] == NATIONAL, "national", "force"), index=panel.index)


def area_panel(
    panel: pd.DataFrame,
    measure: str,
    areas: Sequence[str] | None = None,
    start=None,
    end=None,
    source: str | None = None,
    geography: str = "force",
) -> pd.DataFrame:
    """Long frame ``force, quarter (Period), value`` of one measure for several areas (default:
    every area of ``geography`` with data: the forces, or ``"cps_area"`` the CPS Areas; never
    the national total), each read by :func:`select`."""
    one = panel[panel["measure"] == measure]
    if areas is None:
        areas = sorted(one.loc[geography_of(one) == geography, "force"].unique())
    parts = []
    for a in areas:
        d = _window(_quarterly(select(one if len(one) else panel, measure, a, source)), start, end)
        parts.append(d.assign(force=a)[["force", "quarter", "value"]])
    if not parts:
        raise ValueError(f"measure {measure!r} has no force rows")
    return pd.concat(parts, ignore_index=True)


def control_panel(
    panel: pd.DataFrame,
    measure: str,
    treated: str,
    controls: Sequence[str] | None = None,
    start=None,
    end=None,
    source: str | None = None,
    balanced: bool = True,
    geography: str = "force",
    exclude: Sequence[str] = (),
) -> pd.DataFrame:
    """Long frame for a controlled design: ``quarter`` (Period), ``force``, ``value``, ``treated``.

    ``controls=None`` means every other area of ``geography`` (the forces, or ``"cps_area"``
    the CPS Areas; never the national total) with data for the measure, less ``exclude``.
    With ``balanced`` only quarters where the treated area has data are kept and areas missing
    any of those quarters are dropped (the ITS library needs regular series);
    ``attrs["dropped_controls"]`` lists them, ``attrs["excluded_controls"]`` the excluded.
    """
    rows = (panel["measure"] == measure) & panel["value"].notna()
    have = set(panel.loc[rows & (geography_of(panel) == geography), "force"])
    if treated not in have:
        raise ValueError(
            f"force {treated!r} has no data for {measure!r}"
            + (": " + str(unknown("force", treated, have)) if have else "")
        )
    if controls is None:
        controls = sorted(have - {treated})
    excluded = sorted(set(controls) & set(exclude))
    controls = [c for c in controls if c not in set(exclude)]
    missing = sorted(set(controls) - have)
    if missing:
        raise ValueError(f"control force(s) without data for {measure!r}: {missing}")
    df = area_panel(panel, measure, [treated, *controls], start, end, source)
    df = df.dropna(subset=["value"])
    dropped: list[str] = []
    if balanced:
        tq = set(df.loc[df["force"] == treated, "quarter"])
        df = df[df["quarter"].isin(tq)]
        n = df.groupby("force")["quarter"].nunique()
        dropped = sorted(n.index[n < len(tq)].tolist() + sorted(set(controls) - set(n.index)))
        df = df[~df["force"].isin(dropped)]
    df = df.sort_values(["force", "quarter"]).reset_index(drop=True)
    df["treated"] = (df["force"] == treated).astype(int)
    df.attrs.update(
        measure=measure,
        force=treated,
        dropped_controls=dropped,
        excluded_controls=excluded,
        controls=sorted(set(df["force"]) - {treated}),
    )
    return df


def coverage(panel: pd.DataFrame) -> pd.DataFrame:
    """Per measure and source: number of forces, national total, number of CPS Areas,
    first/last quarter, quarters, rows."""
    df = panel.dropna(subset=["value"]).assign(quarter=lambda d: d["quarter"].map(periods.quarter))
    g = df.groupby(["measure", "source"])
    geo = geography_of(df)
    out = pd.DataFrame(
        {
            "forces": df[geo == "force"].groupby(["measure", "source"])["force"].nunique(),
            "national": g["force"].apply(lambda f: bool((f == NATIONAL).any())),
            "cps_areas": df[geo == "cps_area"].groupby(["measure", "source"])["force"].nunique(),
            "first": g["quarter"].min().astype(str),
            "last": g["quarter"].max().astype(str),
            "quarters": g["quarter"].nunique(),
            "rows": g.size(),
        }
    )
    out[["forces", "cps_areas"]] = out[["forces", "cps_areas"]].fillna(0).astype(int)
    return out.reset_index()


# ---- fiscal-year views (claims) ---------------------------------------------------------------
def fiscal_series(
    panel: pd.DataFrame | None, measure: str, force: str = NATIONAL, source: str | None = None
) -> pd.Series | None:
    """Quarterly values indexed by :func:`rasso_research.periods.fiscal_index` (``None`` when
    the panel is absent or holds no such series)."""
    if panel is None or panel.empty:
        return None
    try:
        s = _quarterly(select(panel, measure, force, source))
    except ValueError as exc:
        if isinstance(exc, AmbiguousSourceError):
            raise
        return None
    idx = [periods.fiscal_index(periods.calendar_to_fiscal(str(q))) for q in s["quarter"]]
    return pd.Series(s["value"].to_numpy(float), index=idx).sort_index()


def annual(
    panel: pd.DataFrame | None, measure: str, force: str = NATIONAL, source: str | None = None
) -> pd.Series:
    """Financial-year totals of a panel measure; only years with all four quarters are kept."""
    s = fiscal_series(panel, measure, force, source)
    if s is None:
        return pd.Series(dtype=float)
    g = s.groupby(s.index // 4)
    out = g.sum()[g.count() == 4]
    out.index = [periods.fiscal_year_label(y) for y in out.index]
    return out


def rolling_year(
    panel: pd.DataFrame | None,
    measure: str,
    end_fq: str,
    force: str = NATIONAL,
    source: str | None = None,
) -> float | None:
    """Sum of the four quarters ending fiscal quarter ``end_fq`` (``None`` if any is missing)."""
    s = fiscal_series(panel, measure, force, source)
    if s is None:
        return None
    end = periods.fiscal_index(end_fq)
    want = list(range(end - 3, end + 1))
    if not all(i in s.index for i in want):
        return None
    return float(s.loc[want].sum())


# ---- CPS transcribed rape-flagged table (the other views: .side_tables) ----------------------
def cps_quarterly_series(cps: pd.DataFrame, measure: str) -> pd.DataFrame:
    """The quarterly CPS rows of ``measure`` as a model-ready series (for when they suffice)."""
    d = cps[
        (cps["kind"] == "series") & (cps["period_type"] == "quarter") & (cps["measure"] == measure)
    ].dropna(subset=["value"])
    out = pd.DataFrame(
        {
            "quarter": d["period_end"].map(periods.quarter),
            "value": d["value"].astype(float),
        }
    ).sort_values("quarter")
    out.attrs.update(measure=f"cps_{measure}", force=NATIONAL)
    return _add_t(out.reset_index(drop=True))


# ---- the attrition funnel --------------------------------------------------------------------
#: The stages of the national attrition funnel: (stage, unit, source) in case order.
FUNNEL_STAGES = (
    ("Recorded by the police", "offences", "Home Office police recorded crime"),
    (
        "Charged or summonsed by the police",
        "offences, closure measure",
        "Home Office outcomes, 2024 edition",
    ),
    ("Charged by the CPS", "suspects", "CPS rape-flagged data (transcribed)"),
    ("Prosecutions completed", "defendants", "CPS rape-flagged data (transcribed)"),
    ("Convicted", "defendants", "CPS rape-flagged data (transcribed)"),
    ("Sentenced", "offenders, calendar year", "MoJ Criminal Justice System statistics"),
)


def funnel(
    panel: pd.DataFrame | None,
    cps: pd.DataFrame | None,
    moj_sentenced: pd.DataFrame | None = None,
    charged_source: str = "charged_nat",
) -> pd.DataFrame:
    """Rape from recording to sentence, nationally, per financial year: one row per year and
    stage (:data:`FUNNEL_STAGES`) with the stage's unit and source, its ``value`` and
    ``per_100_recorded`` (per 100 offences recorded in the same year: a ratio of flows in one
    year, not the fate of one cohort of cases, since the units and the cases differ from stage
    to stage). Sentencing is by calendar year and is shown in the financial year that starts
    in it (nine of its months). A stage without a figure for a year has no row: the table
    never fills a gap. ``period_basis`` says which kind of year each value is."""
    values = [
        annual(panel, "recorded_rape"),
        annual(panel, "rape_charged_in_quarter", source=charged_source),
        cps_annual(cps, "charges"),
        cps_annual(cps, "prosecutions"),
        cps_annual(cps, "convictions"),
    ]
    sent = moj_sentenced_by_year(moj_sentenced)
    values.append(pd.Series(sent.to_numpy(), [periods.fiscal_year_label(y) for y in sent.index]))
    rows = []
    for step, ((stage, unit, source), v) in enumerate(zip(FUNNEL_STAGES, values, strict=True)):
        basis = "calendar year" if step == len(FUNNEL_STAGES) - 1 else "financial year"
        for fy, x in v.dropna().items():
            rows.append(
                {
                    "fiscal_year": periods.norm_period(str(fy)).replace("-", "/"),
                    "step": step + 1,
                    "stage": stage,
                    "unit": unit,
                    "value": float(x),
                    "period_basis": basis,
                    "source": source,
                }
            )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    rec = out[out["step"] == 1].set_index("fiscal_year")["value"]
    out["per_100_recorded"] = 100 * out["value"] / out["fiscal_year"].map(rec)
    return out.sort_values(["fiscal_year", "step"]).reset_index(drop=True)


def edition_vs_forces(panel: pd.DataFrame, measure: str, source: str) -> pd.DataFrame:
    """A national series from ``source`` against the sum of the 43 forces' rows of the same
    measure, per edition that has force rows (``forces_source``), in the quarters both cover
    and only where that edition has each of the 43 forces once: ``quarter``, ``national``,
    ``forces_43``, ``ratio``."""
    nat = select(panel, measure, source=source).set_index("quarter")["value"]
    f = panel[(panel["measure"] == measure) & (panel["geography"] == "force")]
    f = f.dropna(subset=["value"]).assign(quarter=lambda d: d["quarter"].map(periods.quarter))
    g = f.groupby(["quarter", "source"])
    full = g["force"].nunique() == len(FORCES)
    tot = g["value"].sum()[full & (g.size() == len(FORCES))].rename("forces_43").reset_index()
    out = tot.merge(nat.rename("national").rename_axis("quarter").reset_index(), on="quarter")
    out["ratio"] = out["national"] / out["forces_43"]
    out["quarter"] = out["quarter"].astype(str)
    out = out.rename(columns={"source": "forces_source"})
    cols = ["quarter", "national", "forces_43", "ratio", "forces_source"]
    return out[cols].sort_values(["quarter", "forces_source"]).reset_index(drop=True)
