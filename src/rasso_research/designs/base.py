"""What every study design shares: the result base, the quarterly spec preset, the
feasibility check and the focus interruption.

A design is a function ``fit_<design>(data, spec, **options)``: tidy data (a series or a
panel from :mod:`rasso_research.data.series`, or a mapping of them) and an
:class:`~rasso_research.its.ITSSpec` in, a :class:`DesignResult` out. A result holds numbers
only: it neither draws nor writes prose (its view in :mod:`rasso_research.views` does both):

* ``effects()``: the estimand(s), one tidy row each, with 95% CIs; its columns include the
  class's ``effect_columns``, in that order (label columns such as ``series`` may come
  first);
* ``table()``: the main estimates table (coefficients or summary);
* ``tables()``: every frame the design writes, by name; ``write(prefix, outdir)`` writes them
  as CSV and LaTeX (an empty one removes a stale file of that name).
"""

from __future__ import annotations

import functools
import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pandas as pd

from rasso_research.constants import FOCUS, MIN_POST, MIN_PRE
from rasso_research.its import Interruption, ITSSpec, restrict_disrupted
from rasso_research.periods import quarter
from rasso_research.report.tables import write_tables

#: The series accessor's columns as an ITS spec: quarterly ``value`` on Period ``quarter``.
#: Designs start from it: ``QUARTERLY.replace(family="quasipoisson", season="quarter", ...)``.
QUARTERLY = ITSSpec(outcome="value", time="quarter", freq="Q")


class DesignResult(ABC):
    """The surface every design result has (see the module docstring)."""

    #: the value columns every ``effects()`` frame of this design has, in order
    effect_columns: ClassVar[tuple[str, ...]] = ()
    #: the frames :meth:`tables` returns: table name -> the method that makes it
    table_methods: ClassVar[dict[str, str]] = {"effects": "effects", "table": "table"}

    def __init_subclass__(cls, **kwargs):
        """Every ``effects()`` a subclass defines is checked against its ``effect_columns``."""
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("effects")
        if own is not None and not getattr(own, "__isabstractmethod__", False):
            cls.effects = _checked(own)

    @abstractmethod
    def effects(self) -> pd.DataFrame:
        """The estimand(s), one row each."""

    @abstractmethod
    def table(self) -> pd.DataFrame:
        """The main estimates table."""

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every frame the design writes, by name (:attr:`table_methods`)."""
        return {name: getattr(self, method)() for name, method in self.table_methods.items()}

    def write(self, prefix: str, outdir) -> list[Path]:
        """Write :meth:`tables` as ``outdir/<prefix>_<name>.csv`` (and ``.tex`` when short)."""
        return write_tables(self.tables(), prefix, outdir)


def _checked(effects):
    """``effects`` whose frame must hold the class's ``effect_columns`` in that order (an
    empty frame, from a result with nothing fitted, passes)."""

    @functools.wraps(effects)
    def wrapper(self, *args, **kwargs):
        out = effects(self, *args, **kwargs)
        want = list(type(self).effect_columns)
        if out.empty and not len(out.columns):
            return out
        have = [c for c in out.columns if c in want]
        if have != want:
            raise TypeError(
                f"{type(self).__name__}.effects() has columns {list(out.columns)}; "
                f"it must hold {want} in that order"
            )
        return out

    return wrapper


# ---- the focus interruption -------------------------------------------------------------------
def focus_index(spec: ITSSpec, focus: str = FOCUS) -> int | None:
    """Position of interruption ``focus`` in ``spec.interruptions`` (``None`` if absent)."""
    return next((i for i, x in enumerate(spec.interruptions) if x.name == focus), None)


def at(spec: ITSSpec, when, focus: str = FOCUS, phase_in: int | None = None) -> ITSSpec:
    """``spec`` with its focus interruption dated ``when`` (a quarter); added, with no phase-in,
    if the spec has none. The other interruptions (documented breaks) are kept."""
    intr = list(spec.interruptions)
    i = focus_index(spec, focus)
    old = intr[i] if i is not None else Interruption(focus, None, 0)
    new = Interruption(
        focus, str(quarter(when)), old.phase_in if phase_in is None else phase_in, old.slope
    )
    if i is None:
        intr.append(new)
    else:
        intr[i] = new
    return spec.replace(interruptions=tuple(intr))


def focus_quarter(spec: ITSSpec, focus: str = FOCUS) -> str:
    """The quarter of the focus interruption."""
    i = focus_index(spec, focus)
    if i is None:
        raise ValueError(f"the spec has no interruption named {focus!r}")
    return str(quarter(spec.interruptions[i].at))


def excluded_periods(spec: ITSSpec) -> list[str]:
    """Periods that the spec gives their own indicator (a list ``disrupted``): they are
    effectively excluded, so feasibility does not count them."""
    d = spec.disrupted
    if d is None or isinstance(d, str | Mapping):
        return []
    return [str(x) for x in d]


def disrupted_periods(spec: ITSSpec) -> list[str]:
    """Every period that a disruption indicator covers, whichever form ``disrupted`` has."""
    d = spec.disrupted
    if d is None or isinstance(d, str):
        return []
    if isinstance(d, Mapping):
        return sorted({str(q) for v in d.values() for q in ([v] if isinstance(v, str) else v)})
    return [str(x) for x in d]


COVID_CHOICES = ("indicator", "exclude", "none", "days")
#: The column of lockdown days in the quarter that ``covid="days"`` joins onto a series and
#: names in ``ITSSpec.covariates`` (:func:`with_covid`).
COVID_DAYS = "covid_days"
#: the covariate marking the quarters whose total lacks a force (:func:`with_incomplete`)
INCOMPLETE = "lacks_force"


def covid_disrupted(how: str, quarters):
    """``ITSSpec.disrupted`` for a Covid-19 choice: ``"indicator"`` -> ``{"covid": quarters}``
    (one shared indicator), ``"exclude"`` -> the list (each quarter its own indicator, so it is
    left out of the fit), ``"none"`` -> ``None``. ``"days"`` is a covariate, not indicators:
    it is refused here, since a spec without its column would model no Covid-19 term at all
    (:func:`with_covid` joins it)."""
    if how not in COVID_CHOICES:
        raise ValueError(f"covid must be one of {COVID_CHOICES}, got {how!r}")
    if how == "days":
        raise ValueError(
            "covid='days' is a covariate joined onto the series, not disruption indicators: "
            "use designs.base.with_covid(series, spec, 'days', days)"
        )
    q = [str(x) for x in quarters]
    return {"indicator": {"covid": q}, "exclude": q, "none": None}[how] if q else None


COVID_HANDLING = {
    "indicator": "one indicator shared with the other disrupted quarters",
    "exclude": "its own indicator: left out of the fit",
    "none": "modelled like any other quarter",
}


def covid_table(days: pd.DataFrame, how: str, min_days: int = 21) -> pd.DataFrame:
    """Per quarter with lockdown days (:func:`rasso_research.timeline.lockdown_days`): whether
    it counts as disrupted (at least ``min_days`` days) and how a model with Covid choice
    ``how`` treats it, so each quarter's handling is on record. Under ``"days"`` every quarter
    with lockdown days is fitted with the lockdown-days covariate at its days (a quarter not in
    the table has 0), whether or not it counts as disrupted."""
    if how not in COVID_CHOICES:
        raise ValueError(f"covid must be one of {COVID_CHOICES}, got {how!r}")
    out = days.copy()
    out["disrupted"] = out["days"] >= min_days
    if how == "days":
        out["handling"] = [
            f"fitted, with the lockdown-days covariate at {d} days" for d in out["days"]
        ]
        return out
    out["handling"] = [
        COVID_HANDLING[how] if d else f"fewer than {min_days} lockdown days: an ordinary quarter"
        for d in out["disrupted"]
    ]
    return out


def with_covid(
    s: pd.DataFrame, spec: ITSSpec, how: str, days: pd.DataFrame, min_days: int = 21
) -> tuple[pd.DataFrame, ITSSpec]:
    """The (series, spec) pair to fit under Covid-19 choice ``how``, from the lockdown days
    per quarter ``days`` (:func:`rasso_research.timeline.lockdown_days`; the caller reads it,
    a design reads no file):

    * ``"days"``: the series with column :data:`COVID_DAYS`, the days of national lockdown in
      its quarter (0 in a quarter the table does not list), and the spec with that column in
      ``covariates`` and no disruption indicators: one coefficient, the change per lockdown
      day (on the log scale of a log-link model: ``exp(91 b) - 1`` is a full quarter's);
    * ``"exclude"``, ``"indicator"``, ``"none"``: the series as it is and the spec's
      ``disrupted`` from :func:`covid_disrupted` for the quarters with at least ``min_days``
      days (the rule of :func:`rasso_research.timeline.covid_disrupted_quarters`).

    The spec's ``disrupted`` is replaced either way (it is where the Covid-19 choice lives) and
    a :data:`COVID_DAYS` covariate already there is dropped, so the choice is applied once."""
    if how not in COVID_CHOICES:
        raise ValueError(f"covid must be one of {COVID_CHOICES}, got {how!r}")
    covs = tuple(c for c in spec.covariates if c != COVID_DAYS)
    out = s.drop(columns=[COVID_DAYS], errors="ignore")
    if how != "days":
        quarters = days.loc[days["days"] >= min_days, "quarter"]
        return out, spec.replace(disrupted=covid_disrupted(how, quarters), covariates=covs)
    per = {quarter(q): int(d) for q, d in zip(days["quarter"], days["days"], strict=True)}
    out = out.copy()
    out[COVID_DAYS] = [float(per.get(quarter(q), 0)) for q in out["quarter"]]
    return out, spec.replace(disrupted=None, covariates=(*covs, COVID_DAYS))


def with_incomplete(
    s: pd.DataFrame, spec: ITSSpec, quarters: Iterable[str]
) -> tuple[pd.DataFrame, ITSSpec]:
    """The (series, spec) with column :data:`INCOMPLETE` (1 in ``quarters``, whose total lacks
    a force's figures, else 0) as a covariate: one shift shared by those quarters, the missing
    force's share of the total, instead of reading its absence as a fall. Left out when no
    such quarter is in the series."""
    qs = {str(quarter(q)) for q in quarters}
    covs = tuple(c for c in spec.covariates if c != INCOMPLETE)
    out = s.drop(columns=[INCOMPLETE], errors="ignore")
    hit = [str(q) in qs for q in out["quarter"]]
    if not any(hit):
        return out, spec.replace(covariates=covs)
    out = out.copy()
    out[INCOMPLETE] = [float(h) for h in hit]
    return out, spec.replace(covariates=(*covs, INCOMPLETE))


def for_series(spec: ITSSpec, s: pd.DataFrame) -> ITSSpec:
    """The spec fitted to series ``s``: its offset column used when the series has one (the
    accessor attaches the denominator), disrupted periods outside the series left out."""
    out = spec.replace(offset="offset" if "offset" in s.columns else None)
    return out.replace(disrupted=restrict_disrupted(out, s))


# ---- feasibility ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Feasibility:
    """Result of :func:`check_feasible`; truthy when the model can be fitted."""

    ok: bool
    n_pre: int
    n_post: int
    message: str

    def __bool__(self) -> bool:
        return self.ok


def coverage_around(
    s: pd.DataFrame, interruption, exclude: Iterable = (), since=None
) -> tuple[int, int]:
    """Quarters with data before and from ``interruption`` on (``exclude``: quarters not
    counted; ``since``: the pre-period starts there, e.g. at an earlier documented break)."""
    q0 = quarter(interruption)
    excl = {quarter(x) for x in exclude}
    q = s.loc[s["value"].notna(), "quarter"]
    q = q[~q.isin(excl)]
    pre = q < q0
    if since is not None:
        pre &= q >= quarter(since)
    return int(pre.sum()), int((q >= q0).sum())


def last_break_before(spec: ITSSpec, when, focus: str = FOCUS):
    """The latest of the spec's other interruptions (documented breaks) before ``when``, where
    the pre-period of an interruption at ``when`` starts; ``None`` if there is none."""
    q0 = quarter(when)
    prev = [quarter(i.at) for i in spec.interruptions if i.name != focus and quarter(i.at) < q0]
    return str(max(prev)) if prev else None


def check_feasible(
    s: pd.DataFrame,
    interruption,
    min_pre: int = MIN_PRE,
    min_post: int = MIN_POST,
    exclude: Iterable = (),
    label: str | None = None,
    since=None,
) -> Feasibility:
    """Are there at least ``min_pre`` quarters before (from ``since``, when given) and
    ``min_post`` from the interruption?"""
    n_pre, n_post = coverage_around(s, interruption, exclude, since)
    label = label or s.attrs.get("measure", "series")
    where = f"{label}, interruption {quarter(interruption)}"
    if n_pre >= min_pre and n_post >= min_post:
        return Feasibility(
            True, n_pre, n_post, f"{where}: {n_pre} quarters before, {n_post} from it: OK"
        )
    short = []
    if n_pre < min_pre:
        short.append(f"{n_pre} quarters before (need {min_pre})")
    if n_post < min_post:
        short.append(f"{n_post} quarters from it (need {min_post})")
    return Feasibility(False, n_pre, n_post, f"{where}: too short for ITS: " + ", ".join(short))


def labelled(df: pd.DataFrame, labels: Mapping[str, object]) -> pd.DataFrame:
    """``df`` with label columns prepended in order (replacing columns of the same name)."""
    out = df.drop(columns=[k for k in labels if k in df.columns])
    for i, (k, v) in enumerate(labels.items()):
        out.insert(i, k, v)
    return out


def jobs(n_jobs: int | None = None) -> int:
    """Worker processes: ``n_jobs`` if given, else the ``RASSO_N_JOBS`` environment variable,
    else 1, so that under ``make -j2`` (two notebooks at once on two cores) nothing starts
    workers of its own unless asked to."""
    if n_jobs is not None:
        return int(n_jobs)
    raw = os.environ.get("RASSO_N_JOBS", "1")
    try:
        return max(1, int(raw))
    except ValueError:
        raise ValueError(f"RASSO_N_JOBS must be a whole number of workers, got {raw!r}") from None
