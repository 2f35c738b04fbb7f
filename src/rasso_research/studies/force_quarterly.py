"""Quarterly prosecution series of one force and of its CPS Area against the others: the
quarterly part of the West Midlands answer (notebook 03).

The series are rates of two panel counts of the same area (:func:`rasso_research.data.derived.
rate_rows`), so an Area's rate is made from its summed counts. Which series run is taken from
what the panel holds (:func:`held_series`): all-offence charges per 100,000 (a negative
control: charging of every offence, which a RASSO scheme should leave unmoved) are in the
default data; rape charges and charge rates (adult rape apart) by force exist once the
official outcomes releases are fetched, and then run with no change of code. Each series goes
through :func:`rasso_research.studies.force.compare_area` (feasibility, single-area ITS,
controlled ITS, placebos) with the unit's donor exclusions (:class:`.force_units.Unit`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from rasso_research.constants import MIN_POST, MIN_PRE
from rasso_research.data.derived import rate_rows
from rasso_research.data.measures import RATE, measure, rate_name
from rasso_research.data.series import geography_of
from rasso_research.its import ITSSpec
from rasso_research.report.tables import write_tables

from .force import compare_area
from .force_units import Unit

#: the candidate series: (role, numerator, denominator, per, lag in quarters)
CANDIDATES = (
    ("negative control", "all_charged_in_quarter", "population", 100_000, 0),
    ("negative control", "all_charged_cohort", "population", 100_000, 0),
    ("target", "rape_charged_in_quarter", "population", 100_000, 0),
    ("target", "rape_charged_in_quarter_adult", "population", 100_000, 0),
    ("target", "rape_charged_in_quarter", "recorded_rape", 100, 4),
    ("target", "rape_charged_in_quarter_adult", "recorded_rape_adult", 100, 4),
    ("target", "rape_charged_cohort", "rape_outcomes_cohort", 100, 0),
)


def held_series(panel: pd.DataFrame, geographies: Sequence[str], candidates=CANDIDATES):
    """The candidates whose numerator and denominator the panel holds for every geography in
    ``geographies`` (areas with a value), with their measure name, role and label."""
    geo = geography_of(panel)
    rows = []
    for role, num, den, per, lag in candidates:
        held = all(
            ((panel["measure"] == m) & (geo == g) & panel["value"].notna()).any()
            for m in (num, den)
            for g in geographies
        )
        name = rate_name(num, den, per, lag)
        rows.append(
            {
                "series": name,
                "role": role,
                "label": measure(name).label,
                "numerator": num,
                "denominator": den,
                "held": held,
            }
        )
    return pd.DataFrame(rows)


def rate_panel(panel: pd.DataFrame, series: pd.DataFrame, geography: str) -> pd.DataFrame:
    """Panel rows of every held series of ``series`` (:func:`held_series`) for ``geography``."""
    parts = [
        rate_rows(panel, r.numerator, r.denominator, *_per_lag(r.series), geography=geography)
        for r in series[series["held"]].itertuples()
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _per_lag(name: str) -> tuple[int, int]:
    m = RATE.fullmatch(name)
    return int(m["per"]), int(m["lag"] or 0)


@dataclass
class ProsecutionComparison:
    """The quarterly prosecution series of each unit (:func:`compare_prosecution`)."""

    series: pd.DataFrame  # held_series
    by_unit: dict  # unit name -> AreaComparison
    units: list

    def _cat(self, name: str) -> pd.DataFrame:
        roles = self.series.set_index("series")["role"]
        parts = []
        for u, c in self.by_unit.items():
            t = c.tables()[name]
            if len(t):
                t = t.assign(treated_unit=u)
                if "series" in t.columns:
                    t["role"] = t["series"].map(roles)
                parts.append(t)
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every unit's tables of :class:`AreaComparison`, stacked with a ``treated_unit`` and
        a ``role`` column, and the list of series."""
        names = ("feasibility", "single", "controlled", "placebo_space", "control_pools")
        out = {n: self._cat(n) for n in names}
        out["placebo"] = pd.concat(
            [c.placebo_summary().assign(treated_unit=u) for u, c in self.by_unit.items()],
            ignore_index=True,
        )
        out["series"] = self.series
        return out

    def write(self, prefix: str, outdir):
        """Write :meth:`tables` as ``outdir/<prefix>_<name>.csv`` and ``.tex``."""
        return write_tables(self.tables(), prefix, outdir)


def compare_prosecution(
    panel: pd.DataFrame,
    units: Sequence[Unit],
    interruption,
    single_spec: ITSSpec,
    controlled_spec: ITSSpec,
    start=None,
    end=None,
    min_pre: int = MIN_PRE,
    min_post: int = MIN_POST,
    name: str = "intervention",
    candidates=CANDIDATES,
) -> ProsecutionComparison:
    """:func:`compare_area` of every unit on every held prosecution series (rates of two
    counts), each unit against the other areas of its geography less its exclusions."""
    series = held_series(panel, sorted({u.geography for u in units}), candidates)
    by_unit = {}
    for u in units:
        rp = rate_panel(panel, series, u.geography)
        if rp.empty:
            continue
        by_unit[u.name] = compare_area(
            rp,
            u.name,
            list(series.loc[series["held"], "series"]),
            interruption,
            single_spec,
            controlled_spec,
            start=start,
            end=end,
            min_pre=min_pre,
            min_post=min_post,
            name=name,
            exclude=sorted(u.excluded),
            geography=u.geography,
        )
    return ProsecutionComparison(series, by_unit, list(units))
