"""Operation Soteria across forces: the cohorts (``config/soteria_cohorts.csv``), the series
and the staggered-adoption study of notebook 07 (:mod:`rasso_research.designs.staggered`).

Each force's row gives its cohort (an id of ``config/interventions.csv``: the 2021
pathfinders, the 2022-23 expansion) and its own adoption date (month precision where a
public page gives one), source and verification status. Forces no page names are the
``unknown`` cohort: excluded by default (``unknown="exclude"``) and placed in each of their
``possible_cohorts`` as a sensitivity analysis (``unknown="<cohort id>"``: at that
cohort's date in the interventions table). A force's first treated period is the period
that contains its date (the financial year for annual series, the quarter for quarterly
ones), so a not-yet-treated comparison is untreated for the whole of the period.

Series: annual charges per 100,000 by force from the force x financial-year table (sexual
offences on both outcome measures; all other offence groups together as the negative
control), and, when the official outcomes releases are in the panel (source
``ho_official``), quarterly adult rape charges per 100,000 and the adult cohort charge rate,
with all-offence charges per 100,000 as their negative control. Values the source flags as
incomplete are dropped (never filled) and listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rasso_research import fitcache
from rasso_research.data import catalog
from rasso_research.data import series as S
from rasso_research.data.forces import FORCES
from rasso_research.designs.staggered import StaggeredAdoption, StaggeredInputError, fit_staggered
from rasso_research.its import ITSSpec
from rasso_research.studies.soteria_cohorts import (
    UNKNOWN,
    UNKNOWN_EXCLUDE,
    CohortError,
    SoteriaParameterError,
    check_dates,
    close,
    cohort_dates,
    cohort_table,
    first_period,
    load_cohorts,
)

__all__ = [
    "UNKNOWN",
    "UNKNOWN_EXCLUDE",
    "CohortError",
    "SoteriaParameterError",
    "check_dates",
    "cohort_dates",
    "cohort_table",
    "first_period",
    "load_cohorts",
    "SERIES",
    "fit_soteria",
]

OFFICIAL = "ho_official"
SEXUAL = "Sexual offences"
OTHER = "All other offence groups"


# ---- the series ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Series:
    """One outcome of the study: where it comes from and its negative control."""

    key: str
    frequency: str
    measure: str
    label: str
    group: str = SEXUAL
    negative: str = ""
    denominator: str = "population"


SERIES = {
    s.key: s
    for s in (
        Series(
            "sexual_closed",
            "annual",
            "charged_closed",
            "Sexual offences: charges (closed in the year) per 100,000",
            negative="other_closed",
        ),
        Series(
            "sexual_cohort",
            "annual",
            "charged_cohort",
            "Sexual offences: charges (offences recorded in the year) per 100,000",
            negative="other_cohort",
        ),
        Series(
            "other_closed",
            "annual",
            "charged_closed",
            "All other offence groups: charges (closed in the year) per 100,000",
            OTHER,
        ),
        Series(
            "other_cohort",
            "annual",
            "charged_cohort",
            "All other offence groups: charges (offences recorded in the year) per 100,000",
            OTHER,
        ),
        Series(
            "rape_adult_charges_q",
            "quarterly",
            "rape_charged_in_quarter_adult",
            "Adult rape charges (closed in the quarter) per 100,000",
            negative="all_charges_q",
        ),
        Series(
            "rape_adult_charge_rate_q",
            "quarterly",
            "rape_charged_cohort_adult",
            "Adult rape charges per 100 adult rapes recorded in the quarter",
            negative="all_charges_q",
            denominator="recorded_rape_adult",
        ),
        Series(
            "all_charges_q",
            "quarterly",
            "all_charged_in_quarter",
            "All offences: charges (closed in the quarter) per 100,000",
            "",
        ),
    )
}
ANNUAL = ("sexual_closed", "sexual_cohort")
QUARTERLY = ("rape_adult_charges_q", "rape_adult_charge_rate_q")


def has_official(panel: pd.DataFrame) -> bool:
    """Does the panel hold the official releases' force rows (source ``ho_official``)?"""
    return bool(panel["source"].eq(catalog.label(OFFICIAL)).any())


def annual_series(fy: pd.DataFrame, key: str, start: str, end: str) -> pd.DataFrame:
    """Long frame ``force, period, value`` (per 100,000) of an annual series, the flagged
    values dropped and listed in ``attrs["dropped"]`` (force, period, reason)."""
    s = SERIES[key]
    if s.group != OTHER:
        d = S.force_year_series(fy, s.measure, s.group, rate=True, start=start, end=end)
        out = d.rename(columns={"fiscal_year": "period"})[["force", "period", "value"]]
        out.attrs["dropped"] = [
            {"force": r["force"], "period": r["fiscal_year"], "reason": r["flag"]}
            for r in d.attrs["dropped"]
        ]
        return out
    d = fy[
        (fy["measure"] == s.measure)
        & (fy["offence_group"] != SEXUAL)
        & (fy["geography"] == "force")
    ]
    d = d[(d["fiscal_year"] >= start) & (d["fiscal_year"] <= end)]
    n_groups = d["offence_group"].nunique()
    g = d.groupby(["force", "fiscal_year"], sort=True)
    agg = pd.DataFrame(
        {
            "count": g["value"].sum(min_count=1),
            "n": g["value"].count(),
            "population": g["population"].first(),
            "flag": g["flag"].agg(lambda x: "; ".join(sorted({f for f in x.fillna("") if f}))),
        }
    ).reset_index()
    bad = (agg["n"] < n_groups) | (agg["flag"] != "") | agg["population"].isna()
    dropped = [
        {
            "force": r.force,
            "period": r.fiscal_year,
            "reason": r.flag or "a group or the population missing",
        }
        for r in agg[bad].itertuples()
    ]
    agg = agg[~bad]
    out = pd.DataFrame(
        {
            "force": agg["force"],
            "period": agg["fiscal_year"],
            "value": 1e5 * agg["count"] / agg["population"],
        }
    )
    out = out.reset_index(drop=True)
    out.attrs["dropped"] = dropped
    return out


def quarterly_series(panel: pd.DataFrame, key: str, start=None, end=None) -> pd.DataFrame:
    """Long frame ``force, period (quarter), value`` of a quarterly series: the numerator from
    the official releases (``ho_official``; all-offence charges from their aggregate) over
    population per 100,000 or over recorded adult rape per 100; a quarter with either
    missing is dropped and listed in ``attrs["dropped"]``."""
    s = SERIES[key]
    src = OFFICIAL if s.measure.startswith("rape_") else None
    num = S.area_panel(panel, s.measure, start=start, end=end, source=src)
    den = S.area_panel(
        panel, s.denominator, areas=sorted(num["force"].unique()), start=start, end=end
    )
    d = num.merge(den.rename(columns={"value": "den"}), on=["force", "quarter"], how="left")
    scale = 100 if s.denominator != "population" else 1e5
    d["value"] = scale * d["value"] / d["den"]
    bad = ~np.isfinite(d["value"])
    dropped = [
        {"force": r.force, "period": str(r.quarter), "reason": "numerator or denominator missing"}
        for r in d[bad].itertuples()
    ]
    out = (
        d.loc[~bad, ["force", "quarter", "value"]]
        .rename(columns={"quarter": "period"})
        .reset_index(drop=True)
    )
    out.attrs["dropped"] = dropped
    return out


def series_frame(
    key: str, fy: pd.DataFrame | None, panel: pd.DataFrame | None, window: Sequence
) -> pd.DataFrame:
    """The long frame of series ``key`` in ``window`` (first and last period, each written
    in the series' terms: '2014/15' or a quarter)."""
    if key not in SERIES:
        raise SoteriaParameterError(
            f"series {key!r} is not a series of the study{close(key, SERIES)} ({sorted(SERIES)})"
        )
    s = SERIES[key]
    if s.frequency == "annual":
        return annual_series(fy, key, str(window[0]), str(window[1]))
    if panel is None or not has_official(panel):
        raise SoteriaParameterError(
            f"series {key!r} needs the official outcomes releases (source {OFFICIAL}): fetch them with "
            "RASSO_FETCH_OPTIONAL=1 make fetch and rebuild the panel, or choose an annual series"
        )
    return quarterly_series(panel, key, window[0], window[1])


# ---- the study ----------------------------------------------------------------------------
def _check_window(window, frame_periods: list, key: str) -> None:
    if len(window) != 2:
        raise SoteriaParameterError(
            f"window={window!r}: give the first and last period, e.g. ['2014/15', '2024/25']"
        )
    lo, hi = (str(w) for w in window)
    have = [str(p) for p in frame_periods]
    for name, w in (("first", lo), ("last", hi)):
        if w not in have:
            raise SoteriaParameterError(
                f"window {name} period {w!r} is not a period of {key}{close(w, have)} ({have[0]} to {have[-1]})"
            )
    if lo >= hi:
        raise SoteriaParameterError(
            f"window={list(window)}: the first period must come before the last"
        )


def check_params(
    fy,
    panel,
    *,
    series: Sequence[str],
    unknown: str,
    window,
    exclude: Iterable[str],
    cohorts: pd.DataFrame,
) -> None:
    """Notebook 07's parameters: known and available series, known forces to exclude, the
    unknown cohort's placement, a window of the data's periods and cohort dates inside the
    data. Raises :class:`SoteriaParameterError` (or :class:`CohortError`) naming the fix."""
    if not list(series):
        raise SoteriaParameterError("series=[]: name at least one series, e.g. ['sexual_closed']")
    freqs = set()
    for k in series:
        if k not in SERIES:
            raise SoteriaParameterError(
                f"series {k!r} is not a series of the study{close(k, SERIES)} ({sorted(SERIES)})"
            )
        freqs.add(SERIES[k].frequency)
    if len(freqs) > 1:
        raise SoteriaParameterError(
            "series mixes annual and quarterly series: the window is one or the other; run them apart"
        )
    for f in exclude:
        if f not in FORCES:
            raise SoteriaParameterError(f"exclude_forces: {f!r} is not a force{close(f, FORCES)}")
    cohort_dates(cohorts, unknown)
    if "annual" in freqs:
        years = sorted(fy.loc[fy["per_100k"].notna(), "fiscal_year"].unique())
        _check_window(window, years, "the annual table (years with a population)")
        first = pd.Timestamp(int(years[0][:4]), 4, 1)
        check_dates(
            cohorts,
            first,
            pd.Timestamp(int(years[-1][:4]) + 1, 3, 31),
            f"the annual data ({years[0]} to {years[-1]})",
        )
    else:
        frame_series_needs_official(panel, series)


def frame_series_needs_official(panel, series) -> None:
    """Quarterly series need the official releases in the panel (a one-line error says how)."""
    if panel is None or not has_official(panel):
        raise SoteriaParameterError(
            f"series {list(series)} need the official outcomes releases (source {OFFICIAL}): fetch them with "
            "RASSO_FETCH_OPTIONAL=1 make fetch and rebuild the panel, or choose the annual series"
        )


@dataclass
class SoteriaStudy:
    """Notebook 07's results: per series the staggered-adoption fit and its negative
    control's, the unknown cohort's sensitivity analysis and what was left out."""

    results: dict
    negatives: dict
    sensitivity: pd.DataFrame
    cohorts: pd.DataFrame
    excluded: list
    dropped: pd.DataFrame
    options: dict = field(default_factory=dict)

    def _cat(self, method: str, which: str = "results") -> pd.DataFrame:
        parts = [getattr(r, method)() for r in getattr(self, which).values()]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def effects(self) -> pd.DataFrame:
        return self._cat("effects")

    def negative_effects(self) -> pd.DataFrame:
        return self._cat("effects", "negatives")

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {
            m: self._cat(m) for m in ("effects", "table", "event", "cohort", "pretrend", "sample")
        }
        out["attgt"] = out.pop("table")
        out["negative_control"] = self.negative_effects()
        out["sensitivity"] = self.sensitivity
        out["dropped"] = self.dropped
        out["cohorts"] = cohort_table(self.cohorts, self.options.get("frequency", "annual"))
        return out

    def write(self, prefix: str, outdir) -> list[Path]:
        from rasso_research.report.tables import write_tables

        return write_tables(self.tables(), prefix, outdir)


def _fit_one(
    frame,
    key,
    cohorts,
    excluded,
    opts,
    estimators=("cs", "sa", "twfe"),
    reps=None,
    regression_reps=None,
) -> StaggeredAdoption:
    s = SERIES[key]
    spec = ITSSpec(outcome="value", time="period", group="force")
    first = {f: (first_period(d, s.frequency) if pd.notna(d) else None) for f, d in cohorts.items()}
    if s.frequency == "annual":
        first = {f: (str(p) if p is not None else None) for f, p in first.items()}
    try:
        return fit_staggered(
            frame,
            spec,
            first,
            label=s.label,
            control=opts["control"],
            exclude=excluded,
            estimators=estimators,
            reps=opts["reps"] if reps is None else reps,
            regression_reps=opts["regression_reps"] if regression_reps is None else regression_reps,
            seed=opts["seed"],
            anticipation=opts["anticipation"],
        )
    except StaggeredInputError as exc:
        raise SoteriaParameterError(
            f"window={list(opts['window'])} / unknown={opts['unknown']!r}, series {key!r}: {exc}"
        ) from exc


@fitcache.cached
def fit_soteria(
    fy: pd.DataFrame | None,
    panel: pd.DataFrame | None = None,
    *,
    series: Sequence[str] = ANNUAL,
    cohorts: pd.DataFrame | None = None,
    unknown: str = UNKNOWN_EXCLUDE,
    window: Sequence = ("2014/15", "2024/25"),
    exclude: Iterable[str] = ("City of London",),
    control: str = "notyet",
    anticipation: int = 0,
    reps: int = 999,
    regression_reps: int = 99,
    sensitivity_reps: int = 499,
    seed: int = 0,
) -> SoteriaStudy:
    """Notebook 07's study: each series (with its negative control) by Callaway-Sant'Anna,
    Sun-Abraham and TWFE, the unknown cohort placed as ``unknown`` says; then every
    placement of the unknown cohort (excluded, each possible cohort) by Callaway-Sant'Anna
    alone as the sensitivity analysis."""
    cohorts = cohorts if cohorts is not None else load_cohorts()
    exclude = list(exclude)
    check_params(
        fy, panel, series=series, unknown=unknown, window=window, exclude=exclude, cohorts=cohorts
    )
    opts = {
        "control": control,
        "reps": reps,
        "regression_reps": regression_reps,
        "seed": seed,
        "anticipation": anticipation,
        "window": list(window),
        "unknown": unknown,
        "frequency": SERIES[series[0]].frequency,
    }
    dates, excl_unknown = cohort_dates(cohorts, unknown)
    excluded = sorted(set(exclude) | set(excl_unknown))
    frames, dropped = {}, []
    keys = list(
        dict.fromkeys([*series, *(SERIES[k].negative for k in series if SERIES[k].negative)])
    )
    for k in keys:
        frames[k] = series_frame(k, fy, panel, window)
        dropped += [
            {"series": SERIES[k].label, **d}
            for d in frames[k].attrs["dropped"]
            if d["force"] not in excluded
        ]
    results = {k: _fit_one(frames[k], k, dates, excluded, opts) for k in series}
    negatives = {
        k: _fit_one(frames[SERIES[k].negative], SERIES[k].negative, dates, excluded, opts, ("cs",))
        for k in series
        if SERIES[k].negative
    }
    sens = _sensitivity(frames, series, cohorts, exclude, opts, sensitivity_reps)
    return SoteriaStudy(results, negatives, sens, cohorts, excluded, pd.DataFrame(dropped), opts)


def _sensitivity(frames, series, cohorts, exclude, opts, reps) -> pd.DataFrame:
    unk = cohorts[cohorts["cohort"] == UNKNOWN]
    choices = [
        UNKNOWN_EXCLUDE,
        *sorted({c.strip() for s in unk["possible_cohorts"] for c in s.split(";") if c.strip()}),
    ]
    rows = []
    for choice in choices:
        dates, excl = cohort_dates(cohorts, choice)
        for k in series:
            try:
                r = _fit_one(
                    frames[k],
                    k,
                    dates,
                    sorted(set(exclude) | set(excl)),
                    opts | {"unknown": choice},
                    ("cs",),
                    reps,
                    0,
                )
            except SoteriaParameterError as exc:
                rows.append(
                    {
                        "series": SERIES[k].label,
                        "unknown": choice,
                        "note": str(exc).split(": ", 1)[-1],
                    }
                )
                continue
            e = r.effects().iloc[0]
            pre = r.pretrend().iloc[0]
            rows.append(
                {
                    "series": SERIES[k].label,
                    "unknown": choice,
                    "n_units": e["n_units"],
                    "n_cohorts_identified": e["n_cohorts_identified"],
                    "n_treated_identified": e["n_treated_identified"],
                    "estimate": e["estimate"],
                    "ci_low": e["ci_low"],
                    "ci_high": e["ci_high"],
                    "perm_p": e["perm_p"],
                    "mde": e["mde"],
                    "pretrend_p": pre["p_value"],
                    "note": "",
                }
            )
    return pd.DataFrame(rows)
