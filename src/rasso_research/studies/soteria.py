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

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rasso_research import paths, timeline
from rasso_research.data import catalog
from rasso_research.data import series as S
from rasso_research.data.forces import FORCES
from rasso_research.designs.staggered import StaggeredAdoption, StaggeredInputError, fit_staggered
from rasso_research.its import ITSSpec
from rasso_research.periods import fiscal_quarter_of, fiscal_year_of

COHORT_COLUMNS = [
    "force",
    "cohort",
    "date",
    "precision",
    "source_url",
    "verified",
    "notes",
    "possible_cohorts",
]
UNKNOWN = "unknown"
#: the choices for the forces of unknown cohort besides a cohort id
UNKNOWN_EXCLUDE = "exclude"
OFFICIAL = "ho_official"
SEXUAL = "Sexual offences"
OTHER = "All other offence groups"


class CohortError(ValueError):
    """A problem in the cohorts table; the message names the row, column and fix."""


class SoteriaParameterError(ValueError):
    """A notebook 07 parameter is invalid; the message names it and the fix."""


def _close(value, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(value), sorted(set(map(str, known))), n=2, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


# ---- the cohorts --------------------------------------------------------------------------
def load_cohorts(
    path: str | Path | None = None, interventions: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Read and check ``config/soteria_cohorts.csv``: every one of the 43 forces once, by its
    canonical name; a cohort that is an intervention id or ``unknown``; a parseable date (day
    1 for month precision) for every known cohort and none for an unknown one; a source for
    every verified row. Raises :class:`CohortError` naming the row and the fix."""
    path = Path(path) if path is not None else paths.CONFIG / "soteria_cohorts.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    where = path.name
    miss = [c for c in COHORT_COLUMNS if c not in df.columns]
    if miss:
        raise CohortError(f"{where}: missing column(s) {miss}")
    ids = set((interventions if interventions is not None else timeline.load_interventions())["id"])
    for i, r in df.iterrows():
        at = f"{where} row {i + 2} (force {r['force']!r})"
        if r["force"] not in FORCES:
            raise CohortError(
                f"{at}: unknown force{_close(r['force'], FORCES)} (write the canonical name of data/forces.py)"
            )
        if r["cohort"] != UNKNOWN and r["cohort"] not in ids:
            raise CohortError(
                f"{at}: cohort {r['cohort']!r} is not an id of config/interventions.csv{_close(r['cohort'], ids)}"
            )
        for c in filter(None, (x.strip() for x in r["possible_cohorts"].split(";"))):
            if c not in ids:
                raise CohortError(
                    f"{at}: possible cohort {c!r} is not an intervention id{_close(c, ids)}"
                )
        _check_date(at, r)
        if r["verified"] not in ("yes", "partial", "no"):
            raise CohortError(f"{at}: verified={r['verified']!r}; write yes, partial or no")
        if r["verified"] != "no" and not r["source_url"].startswith("http"):
            raise CohortError(
                f"{at}: verified={r['verified']} without a source URL (add it, or write no)"
            )
    dup = sorted(df.loc[df["force"].duplicated(), "force"])
    absent = sorted(set(FORCES) - set(df["force"]))
    if dup or absent:
        raise CohortError(f"{where}: each force once: duplicated {dup}, missing {absent}")
    out = df.copy()
    out["date"] = pd.to_datetime(out["date"].replace("", None))
    return out


def _check_date(at: str, r) -> None:
    if r["cohort"] == UNKNOWN:
        if r["date"]:
            raise CohortError(
                f"{at}: an unknown cohort has no date (give the cohort, or clear the date)"
            )
        return
    try:
        ts = pd.Timestamp(r["date"])
    except (ValueError, TypeError) as exc:
        raise CohortError(f"{at}: date {r['date']!r} is not a date such as 2021-09-01") from exc
    if pd.isna(ts):
        raise CohortError(f"{at}: cohort {r['cohort']} needs a date")
    if r["precision"] == "month" and ts.day != 1:
        raise CohortError(f"{at}: month precision needs day 1, got {r['date']}")


def check_dates(
    cohorts: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp, what: str = "the data"
) -> None:
    """A cohort date outside ``first``..``last`` (the periods of the data) is an error naming
    the force and the nearest period end."""
    for r in cohorts.itertuples():
        if pd.notna(r.date) and not first <= r.date <= last:
            side = "before the first" if r.date < first else "after the last"
            raise CohortError(
                f"soteria_cohorts.csv, force {r.force!r}: date {r.date.date()} is {side} day of "
                f"{what} ({first.date()} to {last.date()}): fix the date or widen the data"
            )


def cohort_dates(
    cohorts: pd.DataFrame, unknown: str = UNKNOWN_EXCLUDE, interventions: pd.DataFrame | None = None
) -> tuple[dict, list]:
    """``({force: adoption date}, excluded forces)``: the unknown cohort's forces are excluded
    (``unknown="exclude"``) or placed in cohort ``unknown`` at its date in the interventions
    table (one of their ``possible_cohorts``)."""
    unk = cohorts[cohorts["cohort"] == UNKNOWN]
    possible = sorted(
        {c.strip() for s in unk["possible_cohorts"] for c in s.split(";") if c.strip()}
    )
    if unknown != UNKNOWN_EXCLUDE and unknown not in possible:
        raise SoteriaParameterError(
            f"unknown={unknown!r}: the forces of unknown cohort can be placed in "
            f"{[UNKNOWN_EXCLUDE, *possible]}{_close(unknown, possible)}"
        )
    dates = {r.force: r.date for r in cohorts.itertuples() if r.cohort != UNKNOWN}
    if unknown == UNKNOWN_EXCLUDE:
        return dates, sorted(unk["force"])
    tab = interventions if interventions is not None else timeline.load_interventions()
    at = pd.Timestamp(tab.set_index("id").loc[unknown, "date"])
    return dates | {f: at for f in unk["force"]}, []


def first_period(date: pd.Timestamp, frequency: str):
    """The period containing ``date``: its financial year label (annual) or quarter."""
    if frequency == "annual":
        return fiscal_year_of(fiscal_quarter_of(date))
    return pd.Timestamp(date).to_period("Q")


def cohort_table(cohorts: pd.DataFrame, frequency: str = "annual") -> pd.DataFrame:
    """The cohorts as the notebook shows them: per cohort its forces, first treated period(s),
    and how many rows are verified, partial or unverified."""
    rows = []
    for c, d in cohorts.groupby("cohort", sort=False):
        first = sorted({str(first_period(x, frequency)) for x in d["date"].dropna()})
        rows.append(
            {
                "cohort": c,
                "n_forces": len(d),
                "first_period": ", ".join(first) or "unknown",
                "dates": ", ".join(sorted({x.strftime("%Y-%m") for x in d["date"].dropna()})) or "",
                "verified": int((d["verified"] == "yes").sum()),
                "partial": int((d["verified"] == "partial").sum()),
                "unverified": int((d["verified"] == "no").sum()),
                "forces": "; ".join(d["force"]),
            }
        )
    return pd.DataFrame(rows)


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
            f"series {key!r} is not a series of the study{_close(key, SERIES)} ({sorted(SERIES)})"
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
                f"window {name} period {w!r} is not a period of {key}{_close(w, have)} ({have[0]} to {have[-1]})"
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
                f"series {k!r} is not a series of the study{_close(k, SERIES)} ({sorted(SERIES)})"
            )
        freqs.add(SERIES[k].frequency)
    if len(freqs) > 1:
        raise SoteriaParameterError(
            "series mixes annual and quarterly series: the window is one or the other; run them apart"
        )
    for f in exclude:
        if f not in FORCES:
            raise SoteriaParameterError(f"exclude_forces: {f!r} is not a force{_close(f, FORCES)}")
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
