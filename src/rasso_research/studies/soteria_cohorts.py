"""The Operation Soteria cohorts (``config/soteria_cohorts.csv``): reading and checking the
table, the unknown cohort's placement and each force's first treated period (the study is
:mod:`rasso_research.studies.soteria`)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from rasso_research import paths, timeline
from rasso_research.data.forces import FORCES
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
#: the choice for the forces of unknown cohort besides a cohort id
UNKNOWN_EXCLUDE = "exclude"


def close(value, known: Iterable[str]) -> str:
    """'; did you mean ...?' with the names of ``known`` closest to ``value`` (or nothing)."""
    near = difflib.get_close_matches(str(value), sorted(set(map(str, known))), n=2, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in near)}?" if near else ""


class CohortError(ValueError):
    """A problem in the cohorts table; the message names the row, column and fix."""


class SoteriaParameterError(ValueError):
    """A notebook 07 parameter is invalid; the message names it and the fix."""


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
                f"{at}: unknown force{close(r['force'], FORCES)} (write the canonical name of data/forces.py)"
            )
        if r["cohort"] != UNKNOWN and r["cohort"] not in ids:
            raise CohortError(
                f"{at}: cohort {r['cohort']!r} is not an id of config/interventions.csv{close(r['cohort'], ids)}"
            )
        for c in filter(None, (x.strip() for x in r["possible_cohorts"].split(";"))):
            if c not in ids:
                raise CohortError(
                    f"{at}: possible cohort {c!r} is not an intervention id{close(c, ids)}"
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
            f"{[UNKNOWN_EXCLUDE, *possible]}{close(unknown, possible)}"
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
