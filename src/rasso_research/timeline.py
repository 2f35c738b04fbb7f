"""The interventions timeline (``config/interventions.csv``): loading, validation, interruption quarters.

The table is the project's curated, cited list of dated events (strategies, reviews, inspections,
Covid-19 lockdowns, recording changes). Dates of month precision are stored as the first of the
month; year precision as 1 January (their quarter columns are then nominal only).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from rasso_research import config, paths
from rasso_research.periods import calendar_to_fiscal, fiscal_quarter_of, quarter

REQUIRED_COLUMNS = [
    "id",
    "event",
    "date",
    "precision",
    "quarter",
    "fiscal_quarter",
    "scope",
    "source_url",
    "verified",
    "notes",
]
PRECISIONS = {"day", "month", "year", "approx", "unverified"}
VERIFIED = {"yes", "partial", "no"}
#: Events whose precision is too coarse to date an interruption quarter.
COARSE = {"year", "unverified"}
#: Ids of the national Covid-19 lockdowns (England) used by :func:`covid_disrupted_quarters`.
LOCKDOWN_IDS = ("covid_lockdown1", "covid_lockdown2", "covid_lockdown3")


class TimelineError(ValueError):
    """A problem in the interventions table; the message names the row and column."""


def validate_interventions(df: pd.DataFrame) -> pd.DataFrame:
    """Check the table and return it with ``date``/``end_date`` parsed; raise :class:`TimelineError`."""
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise TimelineError(f"interventions table: missing required column(s) {missing}")
    out = df.copy()
    dup = out["id"][out["id"].duplicated()].tolist()
    if dup:
        raise TimelineError(f"interventions table, column 'id': duplicated id(s) {dup}")
    for i, row in out.iterrows():
        where = f"interventions table row {i} (id={row['id']!r})"
        if not str(row["id"]).strip():
            raise TimelineError(f"{where}, column 'id': empty id")
        try:
            ts = pd.Timestamp(str(row["date"]))
        except (ValueError, TypeError) as exc:
            raise TimelineError(f"{where}, column 'date': cannot parse {row['date']!r}") from exc
        if pd.isna(ts):
            raise TimelineError(f"{where}, column 'date': empty date")
        if row["precision"] not in PRECISIONS:
            raise TimelineError(
                f"{where}, column 'precision': {row['precision']!r} not in {sorted(PRECISIONS)}"
            )
        if row["verified"] not in VERIFIED:
            raise TimelineError(
                f"{where}, column 'verified': {row['verified']!r} not in {sorted(VERIFIED)}"
            )
        if row["precision"] in {"month", "year"} and ts.day != 1:
            raise TimelineError(f"{where}, column 'date': {row['precision']} precision needs day 1")
        want_q = str(ts.to_period("Q"))
        if str(row["quarter"]) != want_q:
            raise TimelineError(
                f"{where}, column 'quarter': {row['quarter']!r} but date {ts.date()} is in {want_q}"
            )
        want_fq = fiscal_quarter_of(ts)
        if str(row["fiscal_quarter"]) != want_fq:
            raise TimelineError(
                f"{where}, column 'fiscal_quarter': {row['fiscal_quarter']!r} but date "
                f"{ts.date()} is in {want_fq}"
            )
        mq = str(row.get("model_quarter", "") or "").strip()
        if mq:
            try:
                ok = quarter(mq) >= ts.to_period("Q")
            except ValueError as exc:
                raise TimelineError(f"{where}, column 'model_quarter': {exc}") from exc
            if not ok:
                raise TimelineError(
                    f"{where}, column 'model_quarter': {mq} is before the event ({want_q})"
                )
        end = row.get("end_date", "")
        if isinstance(end, str) and end.strip():
            try:
                te = pd.Timestamp(end)
            except (ValueError, TypeError) as exc:
                raise TimelineError(f"{where}, column 'end_date': cannot parse {end!r}") from exc
            if te < ts:
                raise TimelineError(f"{where}, column 'end_date': {end} is before date {ts.date()}")
    out["date"] = pd.to_datetime(out["date"])
    if "end_date" in out.columns:
        out["end_date"] = pd.to_datetime(out["end_date"].replace("", None))
    return out


def load_interventions(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate ``config/interventions.csv`` (or ``path``)."""
    path = Path(path) if path is not None else paths.CONFIG / "interventions.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return validate_interventions(config.check(df, "INTERVENTIONS", path))


def interruption_quarter(
    event_id: str, *, fiscal: bool = False, table: pd.DataFrame | None = None
) -> str:
    """The quarter at which event ``event_id`` is modelled (calendar ``'2021Q2'`` or fiscal
    ``'2021/22 Q1'``): its ``model_quarter`` when the table gives one (e.g. the first full
    quarter after the event), else the quarter in which it falls.

    Warns when the event's date has year or unverified precision (its quarter is nominal).
    """
    df = table if table is not None else load_interventions()
    row = df.loc[df["id"] == event_id]
    if row.empty:
        raise KeyError(f"unknown intervention id {event_id!r}; known: {sorted(df['id'])}")
    row = row.iloc[0]
    if row["precision"] in COARSE:
        warnings.warn(
            f"intervention {event_id!r} has {row['precision']} precision: its quarter is nominal",
            stacklevel=2,
        )
    q = str(row.get("model_quarter", "") or "").strip() or str(row["quarter"])
    return q if not fiscal else calendar_to_fiscal(q)


def label(event_id: str, table: pd.DataFrame | None = None) -> str:
    """The short name of an event for tables and figures (column ``short``; else its id)."""
    df = table if table is not None else load_interventions()
    row = df.loc[df["id"] == event_id]
    if row.empty:
        raise KeyError(f"unknown intervention id {event_id!r}; known: {sorted(df['id'])}")
    return str(row.iloc[0].get("short", "") or "").strip() or event_id


def interruptions(ids, table: pd.DataFrame | None = None) -> dict[str, str]:
    """``{short name: interruption quarter}`` for event ids, in the order given."""
    df = table if table is not None else load_interventions()
    return {label(i, df): interruption_quarter(i, table=df) for i in ids}


def lockdown_days(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Days of national lockdown (England; rows ``covid_lockdown1..3``, ``date`` to ``end_date``
    inclusive) in each calendar quarter they touch: ``quarter``, ``days``, ``lockdowns``
    (their ids). A lockdown without an end date raises, since its extent would be a guess."""
    df = table if table is not None else load_interventions()
    days: dict[pd.Period, int] = {}
    ids: dict[pd.Period, list[str]] = {}
    for lid in LOCKDOWN_IDS:
        row = df.loc[df["id"] == lid]
        if row.empty:
            raise TimelineError(f"interventions table: lockdown row {lid!r} missing")
        row = row.iloc[0]
        end = row.get("end_date")
        if end is None or pd.isna(end) or not str(end).strip():
            raise TimelineError(f"interventions table row id={lid!r}, column 'end_date': empty")
        for day in pd.date_range(row["date"], end, freq="D"):
            p = day.to_period("Q")
            days[p] = days.get(p, 0) + 1
            ids.setdefault(p, [])
            if lid not in ids[p]:
                ids[p].append(lid)
    qs = sorted(days)
    return pd.DataFrame(
        {
            "quarter": [str(q) for q in qs],
            "days": [days[q] for q in qs],
            "lockdowns": ["; ".join(ids[q]) for q in qs],
        }
    )


def covid_disrupted_quarters(
    *, min_days: int = 21, fiscal: bool = False, table: pd.DataFrame | None = None
) -> list[str]:
    """Quarters treated as Covid-19-disrupted.

    Rule: a quarter is disrupted if at least ``min_days`` of its days fall inside a national
    lockdown in England (:func:`lockdown_days`). With the table's dates (lockdown 1
    2020-03-23..2020-07-03, lockdown 2 2020-11-05..2020-12-01, lockdown 3 2021-01-04..2021-03-07)
    and 21 days this gives calendar 2020Q2, 2020Q4 and 2021Q1; 2020Q1 (9 lockdown days) and
    2020Q3 (3 days) are not flagged.
    """
    d = lockdown_days(table)
    quarters = [pd.Period(q, freq="Q") for q in d.loc[d["days"] >= min_days, "quarter"]]
    if fiscal:
        return [fiscal_quarter_of(p.start_time) for p in quarters]
    return [str(p) for p in quarters]


def events_for(area: str, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Events whose ``scope`` names ``area`` (a force; national events are not included),
    in date order."""
    df = table if table is not None else load_interventions()
    hit = df["scope"].map(lambda s: area in [x.strip() for x in str(s).split(";")])
    return df[hit].sort_values("date").reset_index(drop=True)


def scope_forces(event_id: str, table: pd.DataFrame | None = None) -> list[str]:
    """The forces an event's ``scope`` names (empty for a national event), e.g. the Operation
    Soteria pathfinders to leave out of a donor pool."""
    df = table if table is not None else load_interventions()
    row = df.loc[df["id"] == event_id]
    if row.empty:
        raise KeyError(f"unknown intervention id {event_id!r}; known: {sorted(df['id'])}")
    scope = [x.strip() for x in str(row.iloc[0]["scope"]).split(";") if x.strip()]
    return [] if scope == ["national"] else scope


def coinciding(ids, window: int = 1, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The other national events modelled within ``window`` quarters of each event in ``ids``
    (the reforms of a model): ``reform``, ``reform_quarter``, ``id``, ``event``, ``quarter``
    and ``offset`` (quarters after the reform's, negative before), so a text can say which
    event shares which reform's quarter. Lockdowns are left out (Covid-19 is modelled)."""
    df = table if table is not None else load_interventions()
    nat = df[(df["scope"].str.strip() == "national") & ~df["id"].isin([*ids, *LOCKDOWN_IDS])]
    nat = nat[~nat["precision"].isin(COARSE)]
    rows = []
    for rid in ids:
        rq = quarter(interruption_quarter(rid, table=df))
        for _, e in nat.iterrows():
            off = (quarter(interruption_quarter(e["id"], table=df)) - rq).n
            if abs(off) <= window:
                rows.append(
                    {
                        "reform": label(rid, df),
                        "reform_quarter": str(rq),
                        "id": e["id"],
                        "event": e["event"],
                        "quarter": str(rq + off),
                        "offset": off,
                    }
                )
    cols = ["reform", "reform_quarter", "id", "event", "quarter", "offset"]
    return pd.DataFrame(rows, columns=cols)
