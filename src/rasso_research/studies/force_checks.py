"""Two checks of one force's annual answer (notebook 03), on the force x financial year x
offence group table (:func:`rasso_research.data.series.load_force_year`):

* :func:`rebound_check`: the regression-to-the-mean placebo
  (:mod:`rasso_research.designs.rebound`) on one offence group's series: is the rise after
  the force's trough (the year before the first treated one) larger than the rises after
  comparable troughs in the donor forces?
* :func:`triple_difference`: the target group's log charges less the log charges of the
  force's own negative-control groups (a declared list, equally weighted, or a declared
  basket of weights), then the synthetic designs (:func:`~rasso_research.designs.synthetic.
  fit_synthetic`: SDID, SC, DID) and the event study on that differenced series, so that a
  change common to every offence group of a force (a force-wide shift) cancels.

The donor pool is passed in (``donors``, ``exclude``), so the comparison's own exclusions
apply. Views: :mod:`rasso_research.views.rebound` and :mod:`rasso_research.views.force_checks`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rasso_research.constants import FOCUS
from rasso_research.data.series import force_year_series, unknown
from rasso_research.designs.base import DesignResult
from rasso_research.designs.event_study import fit_event_study
from rasso_research.designs.rebound import MIN_DONOR_YEARS, ReboundPlacebo, fit_rebound
from rasso_research.designs.synthetic import (
    METHODS,
    SyntheticComparison,
    SyntheticInputError,
    fit_synthetic,
)
from rasso_research.its import Interruption, ITSSpec

from .force import ANNUAL_MEASURES

#: the target offence group of the West Midlands answer
TARGET = "Sexual offences"
#: the negative-control offence groups notebook 03 declares
NEGATIVE_CONTROLS = ("Theft offences", "Drug offences", "Criminal damage and arson")


def annual_spec(force: str, first_year: str) -> ITSSpec:
    """The annual designs' spec: ``value`` by ``fiscal_year`` and ``force``, ``force``
    treated from ``first_year``."""
    return ITSSpec(
        "value", "fiscal_year", [Interruption(FOCUS, first_year)], group="force", treated=force
    )


def _check_forces(fy: pd.DataFrame, force: str, *pools: Iterable[str] | None) -> list[str]:
    """The forces of the table; ``force`` and every force named in ``pools`` must be one."""
    known = sorted(fy.loc[fy["geography"] == "force", "force"].unique())
    for f in [force, *(x for p in pools if p is not None for x in p)]:
        if f not in known:
            raise unknown("force", f, known)
    return known


def _check_year(fy: pd.DataFrame, first_year: str) -> None:
    years = sorted(fy["fiscal_year"].unique())
    if first_year not in years:
        raise SyntheticInputError(
            f"first_year {first_year!r} not in the data ({years[0]} to {years[-1]})"
        )


def series_label(group: str, measure: str, rate: bool = True) -> str:
    """How notebook 03 names an annual series: group, measure, and 'per 100,000' for rates."""
    return f"{group}: {ANNUAL_MEASURES.get(measure, measure)}{' per 100,000' if rate else ''}"


# ---- the regression-to-the-mean placebo -----------------------------------------------------
def rebound_check(
    fy: pd.DataFrame,
    force: str,
    first_year: str,
    donors: Sequence[str] | None = None,
    exclude: Iterable[str] = (),
    group: str = TARGET,
    measure: str = "charged_closed",
    rate: bool = True,
    trend_years: int = 3,
    trough: str | None = None,
    scale: str = "log",
    end: str | None = None,
    min_donor_years: int = MIN_DONOR_YEARS,
) -> ReboundPlacebo:
    """The rebound placebo of ``force``'s ``group`` ``measure`` (per 100,000 with ``rate``)
    at ``trough`` (default: the year before ``first_year``) against ``donors`` (default:
    every other force) less ``exclude``, every donor year up to ``end`` counted. Values the
    source flags are missing: the years around them are not computed."""
    _check_forces(fy, force, donors, exclude)
    _check_year(fy, first_year)
    s = force_year_series(fy, measure, group, rate=rate, end=end).dropna(subset=["value"])
    pool = [f for f in (donors if donors is not None else s["force"].unique()) if f != force]
    s = s[s["force"].isin([*pool, force])]
    return fit_rebound(
        s,
        annual_spec(force, first_year),
        trend_years=trend_years,
        trough=trough,
        donors=sorted(set(pool) & set(s["force"])),
        exclude=sorted(set(exclude) & set(s["force"])),
        scale=scale,
        min_donor_years=min_donor_years,
        label=series_label(group, measure, rate),
    )


# ---- the triple difference ------------------------------------------------------------------
def control_weights(
    controls: Sequence[str] | Mapping[str, float], groups: Iterable[str], target: str
) -> dict[str, float]:
    """The negative-control basket: a list gives each group the same weight, a mapping its
    declared weights (positive, summing to 1); every group must be in the table and none may
    be the target."""
    w = dict(controls) if isinstance(controls, Mapping) else dict.fromkeys(controls, 1.0)
    if isinstance(controls, str) or not w:
        raise ValueError(
            f"controls must be a non-empty list of offence groups or a mapping of groups to "
            f"weights, got {controls!r}"
        )
    if not isinstance(controls, Mapping):
        w = {g: 1 / len(w) for g in w}
    for g in w:
        if g not in set(groups):
            raise unknown("offence group", g, sorted(groups))
    if target in w:
        raise ValueError(f"controls: the target group {target!r} cannot be its own control")
    if any(not np.isfinite(v) or v <= 0 for v in w.values()):
        raise ValueError(f"controls: every weight must be positive, got {w}")
    if abs(sum(w.values()) - 1) > 1e-9:
        raise ValueError(
            f"controls: the weights sum to {sum(w.values()):g}; declare weights summing to 1 (or "
            "pass a list for equal weights)"
        )
    return w


def differenced_series(
    fy: pd.DataFrame,
    measure: str,
    target: str,
    weights: Mapping[str, float],
    end: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Per force and year: log(target charges) less the weighted mean of the control groups'
    log charges (counts: the population of rates per 100,000 cancels in the difference).
    Returns the series (``force, fiscal_year, year, value``; missing where any group is), the
    components (one row per force, year and group: count and log) and the missing cells
    (force, year, group and why: flagged by the source, absent, or zero)."""
    years = sorted(y for y in fy["fiscal_year"].unique() if end is None or y <= end)
    forces = sorted(fy.loc[fy["geography"] == "force", "force"].unique())
    grid = pd.MultiIndex.from_product([forces, years], names=["force", "fiscal_year"])
    logs, parts, missing = {}, [], []
    for g in [target, *weights]:
        s = force_year_series(fy, measure, g, rate=False, end=end)
        v = s.set_index(["force", "fiscal_year"])["value"].reindex(grid)
        flagged = {(d["force"], d["fiscal_year"]): d["flag"] for d in s.attrs.get("dropped", [])}
        for key in v.index[~(v > 0)]:
            why = flagged.get(key) or ("no value in the table" if pd.isna(v[key]) else "zero")
            missing.append({"force": key[0], "fiscal_year": key[1], "offence_group": g, "why": why})
        logs[g] = np.log(v.where(v > 0))
        parts.append(
            pd.DataFrame({"offence_group": g, "count": v, "log": logs[g]}, index=grid).reset_index()
        )
    diff = logs[target] - sum(w * logs[g] for g, w in weights.items())
    out = diff.rename("value").reset_index()
    out.insert(2, "year", out["fiscal_year"].str[:4].astype(int))
    miss = pd.DataFrame(missing, columns=["force", "fiscal_year", "offence_group", "why"])
    return out, pd.concat(parts, ignore_index=True), miss


@dataclass
class TripleDifference(DesignResult):
    """One force against the others on its target group's log charges less its own control
    groups' (see :func:`triple_difference`): per measure the synthetic designs and the event
    study; ``missing`` lists every missing cell and ``info`` the donors each series lost."""

    effect_columns = ("series", *SyntheticComparison.effect_columns)

    force: str
    first_year: str
    target: str
    weights: dict
    fits: dict  # label -> SyntheticComparison
    info: pd.DataFrame  # label -> measure, controls, dropped donors and why
    events: dict = field(default_factory=dict)  # label -> EventStudy
    components: pd.DataFrame = field(default_factory=pd.DataFrame)
    missing: pd.DataFrame = field(default_factory=pd.DataFrame)
    transition: tuple = ()

    def _cat(self, results: dict, method: str) -> pd.DataFrame:
        parts = [getattr(r, method)() for r in results.values()]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def effects(self) -> pd.DataFrame:
        """Every series x method estimate (log points: the target's change relative to its
        control groups, beyond the donors' same change), with the series' measure, controls
        and dropped donors."""
        out = self._cat(self.fits, "effects")
        return self.info.merge(out, on="series") if len(out) else out

    def table(self) -> pd.DataFrame:
        return self.effects()

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "effects": self.effects(),
            "weights": self._cat(self.fits, "weights"),
            "paths": self._cat(self.fits, "paths"),
            "placebo": self._cat(self.fits, "placebo_table"),
            "event_study": self._cat(self.events, "effects"),
            "pretrend": self._cat(self.events, "pretrend"),
            "event_summary": self._cat(self.events, "summary"),
            "components": self.components,
            "missing": self.missing,
        }


def triple_difference(
    fy: pd.DataFrame,
    force: str,
    first_year: str,
    donors: Sequence[str] | None = None,
    exclude: Iterable[str] = (),
    group: str = TARGET,
    controls: Sequence[str] | Mapping[str, float] = NEGATIVE_CONTROLS,
    measures: Sequence[str] = tuple(ANNUAL_MEASURES),
    transition: Sequence[str] = (),
    end: str | None = None,
    methods: Sequence[str] = METHODS,
    max_pre_rmspe_ratio: float | None = None,
) -> TripleDifference:
    """SDID, SC, DID and the event study of ``force`` against ``donors`` (default: every other
    force) less ``exclude`` on ``group``'s log charges less the ``controls`` basket's, for
    each of ``measures``; ``transition`` years (part-exposed) left out, years up to ``end``.
    A missing cell in any group makes that force-year missing; a donor with one is left out
    (the designs need a balanced panel) and listed with why; the treated force must have
    every year."""
    known = _check_forces(fy, force, donors, exclude)
    _check_year(fy, first_year)
    weights = control_weights(controls, fy["offence_group"].unique(), group)
    pool = [f for f in (donors if donors is not None else known) if f != force]
    pool = [f for f in pool if f not in set(exclude)]
    spec = annual_spec(force, first_year)
    basket = _basket_label(weights)
    fits, events, info, comps, misses = {}, {}, [], [], []
    for m in measures:
        s, comp, miss = differenced_series(fy, m, group, weights, end)
        s = s[~s["fiscal_year"].isin(list(transition)) & s["force"].isin([*pool, force])]
        miss = miss[miss["fiscal_year"].isin(s["fiscal_year"]) & miss["force"].isin(s["force"])]
        label = f"{group} vs {_n_groups(weights)}, log ratio: {ANNUAL_MEASURES.get(m, m)}"
        drop = _gaps(s, miss, force, label)
        data = s[~s["force"].isin(drop)]
        fits[label] = fit_synthetic(
            data, spec, label, methods=methods, max_pre_rmspe_ratio=max_pre_rmspe_ratio
        )
        events[label] = fit_event_study(data, spec, label=label)
        info.append(
            {
                "series": label,
                "measure": m,
                "target": group,
                "controls": basket,
                "dropped_donors": "; ".join(drop),
                "dropped_why": "; ".join(f"{d}: {_why(miss, d)}" for d in drop),
            }
        )
        comps.append(comp.assign(measure=m))
        misses.append(miss.assign(measure=m, series=label))
    return TripleDifference(
        force,
        first_year,
        group,
        weights,
        fits,
        pd.DataFrame(info),
        events,
        pd.concat(comps, ignore_index=True),
        pd.concat(misses, ignore_index=True),
        tuple(transition),
    )


def _n_groups(weights: Mapping[str, float]) -> str:
    return next(iter(weights)) if len(weights) == 1 else f"{len(weights)} control groups"


def _basket_label(weights: Mapping[str, float]) -> str:
    """The basket in words, completing "log target charges less ..."."""
    groups = list(weights)
    if len(groups) == 1:
        return f"the log charges of {groups[0]}"
    if len(set(weights.values())) == 1:
        names = groups
        how = "mean"
    else:
        names = [f"{g} ({w:g})" for g, w in weights.items()]
        how = "weighted mean"
    return f"the {how} log charges of {', '.join(names[:-1])} and {names[-1]}"


def _gaps(s: pd.DataFrame, miss: pd.DataFrame, force: str, label: str) -> list[str]:
    """The donors with a missing differenced year (left out: the designs need a balanced
    panel); a missing year of the treated force is an error naming the year and group."""
    gap = sorted(s.loc[s["value"].isna(), "force"].unique())
    if force in gap:
        raise SyntheticInputError(
            f"{force}: {label} is missing in {_why(miss, force)}; drop that group from "
            "controls, or the year (end=, transition=)"
        )
    return gap


def _why(miss: pd.DataFrame, force: str) -> str:
    """A force's missing cells in words, one clause a year and reason: '2019/20: Sexual
    offences, Theft offences (not supplied ...)'."""
    d = miss[miss["force"] == force]
    return "; ".join(
        f"{year}: {', '.join(g['offence_group'])} ({why})"
        for (year, why), g in d.groupby(["fiscal_year", "why"], sort=True)
    )
