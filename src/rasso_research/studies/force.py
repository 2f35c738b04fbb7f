"""One force (or area) against the others: the study behind notebook 03.

* :func:`compare_area`: for each quarterly series of one area, the feasibility check, the
  area's own ITS, the controlled ITS against the other areas and both placebos
  (:class:`AreaComparison`);
* :func:`compare_force_year`: synthetic DiD, synthetic control, DiD and an event study of
  one force against every other force on the annual offence-group outcomes, with
  negative-control offence groups (:class:`ForceYearComparison`).

Both read their series from the panel (:mod:`rasso_research.data.series`) and run the
designs of :mod:`rasso_research.designs`; their views are in :mod:`rasso_research.views.force`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from rasso_research import timeline
from rasso_research.constants import FOCUS, MIN_POST, MIN_PRE
from rasso_research.data.series import control_panel, force_year_series, series, unknown
from rasso_research.designs.base import QUARTERLY, DesignResult, at, check_feasible, covid_disrupted
from rasso_research.designs.controlled_its import ControlledITS, fit_controlled, placebo_time
from rasso_research.designs.event_study import fit_event_study
from rasso_research.designs.national_its import SeriesITS, fit_series
from rasso_research.designs.synthetic import (
    METHODS,
    SyntheticComparison,
    SyntheticInputError,
    fit_synthetic,
)
from rasso_research.its import Interruption, ITSSpec, PlaceboResult
from rasso_research.periods import quarter

#: the annual outcome measures compared: measure -> how a series label names it
ANNUAL_MEASURES = {
    "charged_closed": "charges (closed in the year)",
    "charged_cohort": "charges (offences recorded in the year)",
}


@dataclass
class ForceYearComparison(DesignResult):
    """One force against the other forces on annual outcomes by offence group: the target
    group(s) and negative-control groups, each measure, counts and rates per 100,000."""

    effect_columns = ("series", "role", *SyntheticComparison.effect_columns)

    force: str
    first_year: str
    fits: dict  # label -> SyntheticComparison
    info: pd.DataFrame  # label -> offence_group, measure, rate, role, dropped donors
    events: dict = field(default_factory=dict)  # label -> EventStudy
    transition: tuple = ()  # part-exposed years left out
    geography: str = "force"  # of the treated unit and its donors

    def _cat(self, results: dict, method: str, role: bool = True) -> pd.DataFrame:
        """One table of ``method`` over every series' result, with its role columns."""
        parts = [getattr(r, method)() for r in results.values()]
        if not parts:
            return pd.DataFrame()
        out = pd.concat(parts, ignore_index=True)
        return self.info[["series", "role"]].merge(out, on="series") if role else out

    def effects(self) -> pd.DataFrame:
        """Every series x method estimate, with the series' group, measure, scale, role and
        the donors dropped for gaps."""
        parts = [f.effects() for f in self.fits.values()]
        if not parts:
            return pd.DataFrame()
        return self.info.merge(pd.concat(parts, ignore_index=True), on="series")

    def table(self) -> pd.DataFrame:
        return self.effects()

    def weights(self) -> pd.DataFrame:
        return self._cat(self.fits, "weights", role=False)

    def event_effects(self) -> pd.DataFrame:
        """The event-study coefficients of every series (with its role)."""
        return self._cat(self.events, "effects")

    def event_summary(self) -> pd.DataFrame:
        return self._cat(self.events, "summary")

    def pretrend(self) -> pd.DataFrame:
        return self._cat(self.events, "pretrend")

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "effects": self.effects(),
            "weights": self.weights(),
            "paths": self._cat(self.fits, "paths", role=False),
            "placebo": self._cat(self.fits, "placebo_table", role=False),
            "event_study": self.event_effects(),
            "pretrend": self.pretrend(),
            "event_summary": self.event_summary(),
        }


def compare_force_year(
    fy: pd.DataFrame,
    force: str,
    first_year: str,
    groups: Sequence[str] = ("Sexual offences",),
    negative_controls: Sequence[str] = (),
    measures: Sequence[str] = tuple(ANNUAL_MEASURES),
    rates: Sequence[bool] = (True, False),
    transition: Sequence[str] = (),
    end: str | None = None,
    exclude: Iterable[str] = (),
    methods: Sequence[str] = METHODS,
    negative_rates: Sequence[bool] | None = None,
    max_pre_rmspe_ratio: float | None = None,
    geography: str = "force",
    events: bool = True,
) -> ForceYearComparison:
    """SDID, SC and DID of ``force`` against every other force (less ``exclude``) on the
    annual table :func:`rasso_research.data.series.load_force_year`, ``first_year`` the first
    treated financial year; ``transition`` years (part-exposed) are left out; donors with a
    missing or flagged value in any year are dropped and listed (``info.dropped_donors``).
    ``rates``: per 100,000 (True) and/or counts (False) for the target groups;
    ``negative_rates`` the same for the negative controls (default: as ``rates``);
    ``max_pre_rmspe_ratio``: ADH's exclusion of poorly fitted placebos; ``geography``
    ``"cps_area"``: a CPS Area against the other Areas (the table of
    :func:`rasso_research.data.series.with_cps_areas`); ``events=False``: no event studies."""
    forces_known = sorted(fy.loc[fy["geography"] == geography, "force"].unique())
    if not forces_known:
        raise SyntheticInputError(
            f"the annual table has no {geography!r} rows"
            + (" (add them with data.series.with_cps_areas)" if geography == "cps_area" else "")
        )
    for f in [force, *exclude]:
        if f not in forces_known:
            raise unknown("force", f, forces_known)
    years = sorted(fy["fiscal_year"].unique())
    if first_year not in years:
        raise SyntheticInputError(
            f"first treated year {first_year!r} not in the data ({years[0]} to {years[-1]})"
        )
    spec = ITSSpec(
        "value", "fiscal_year", [Interruption(FOCUS, first_year)], group="force", treated=force
    )
    fits, evs, info = {}, {}, []
    neg_rates = rates if negative_rates is None else negative_rates
    for role, gs, rs in (
        ("target", groups, rates),
        ("negative control", negative_controls, neg_rates),
    ):
        for g, m, rate in itertools.product(gs, measures, rs):
            s = force_year_series(fy, m, g, rate=rate, end=end, geography=geography)
            s = s[~s["fiscal_year"].isin(list(transition))]
            label = f"{g}: {ANNUAL_MEASURES.get(m, m)}{' per 100,000' if rate else ''}"
            drop = _donors_to_drop(s, force, label, forces_known, exclude)
            data = s.dropna(subset=["value"])
            fits[label] = fit_synthetic(
                data,
                spec,
                label,
                exclude=drop,
                methods=methods,
                max_pre_rmspe_ratio=max_pre_rmspe_ratio,
            )
            if events:
                evs[label] = fit_event_study(data, spec, label=label, exclude=drop)
            info.append(
                {
                    "series": label,
                    "offence_group": g,
                    "measure": m,
                    "per_100k": rate,
                    "role": role,
                    "dropped_donors": "; ".join(d for d in drop if d not in exclude),
                }
            )
    return ForceYearComparison(
        force, first_year, fits, pd.DataFrame(info), evs, tuple(transition), geography
    )


def _donors_to_drop(s: pd.DataFrame, force: str, label: str, forces_known, exclude) -> list:
    """The donors left out of series ``s``: those with a missing or flagged year, and the
    excluded ones; the treated force itself must have every year."""
    full = s["fiscal_year"].nunique()
    n = s.dropna(subset=["value"]).groupby("force")["fiscal_year"].nunique()
    short = sorted(set(n.index[n < full]) | (set(forces_known) - set(n.index)))
    if force in short:
        raise SyntheticInputError(
            f"{force}: {label} is missing or flagged in some year of "
            f"{s['fiscal_year'].min()}..{s['fiscal_year'].max()}"
        )
    return sorted(set(short) | (set(exclude) & set(forces_known)))


def area_specs(window_end) -> tuple[ITSSpec, ITSSpec]:
    """Notebook 03's quarterly specs: the area's own ITS (OLS on the rate, quarter-of-year
    terms, one indicator shared by the Covid-19 quarters) and the controlled ITS (the same with
    each Covid-19 quarter its own indicator), Covid-19 quarters up to ``window_end``."""
    covid_q = [q for q in timeline.covid_disrupted_quarters() if quarter(q) <= quarter(window_end)]
    single = QUARTERLY.replace(
        family="ols", season="quarter", disrupted=covid_disrupted("indicator", covid_q)
    )
    controlled = QUARTERLY.replace(
        family="ols", season="quarter", disrupted=covid_disrupted("exclude", covid_q)
    )
    return single, controlled


@dataclass
class AreaComparison(DesignResult):
    """One area against the others on several series (see :func:`compare_area`)."""

    effect_columns = SeriesITS.effect_columns

    area: str
    interruption: str
    name: str
    feasibility_table: pd.DataFrame
    single: dict[str, SeriesITS]
    controlled: dict[str, ControlledITS]
    placebos: dict[str, tuple[PlaceboResult, PlaceboResult]]
    min_pre: int = MIN_PRE
    min_post: int = MIN_POST
    pools: pd.DataFrame = field(default_factory=pd.DataFrame)  # controls per series
    geography: str = "force"  # of the area and its controls

    def effects(self) -> pd.DataFrame:
        """Single-area effects (% versus the area's own projected trend)."""
        parts = [f.effects() for f in self.single.values()]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def table(self) -> pd.DataFrame:
        """Controlled-ITS terms, one row per series and term."""
        parts = [c.table() for c in self.controlled.values()]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def placebo_summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "series": m,
                    "p_space": ps.p_value,
                    "n_space": len(ps.table),
                    "p_time": pt.p_value if len(pt.table) else float("nan"),
                    "n_time": len(pt.table),
                }
                for m, (ps, pt) in self.placebos.items()
            ]
        )

    def _placebo_table(self, k: int) -> pd.DataFrame:
        parts = [
            p[k].table.assign(series=m, observed=p[k].observed, p_perm=p[k].p_value)
            for m, p in self.placebos.items()
        ]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def tables(self) -> dict[str, pd.DataFrame]:
        cf = [f.counterfactual() for f in self.single.values()]
        ctrl = [
            c.data[["force", "quarter", "value"]].assign(
                series=m, quarter=lambda d: d["quarter"].astype(str)
            )
            for m, c in self.controlled.items()
        ]
        return {
            "feasibility": self.feasibility_table,
            "single": self.effects(),
            "controlled": self.table(),
            "placebo_space": self._placebo_table(0),
            "placebo_time": self._placebo_table(1),
            "counterfactual": pd.concat(cf, ignore_index=True) if cf else pd.DataFrame(),
            "controls": pd.concat(ctrl, ignore_index=True) if ctrl else pd.DataFrame(),
            "control_pools": self.pools,
        }


def compare_area(
    panel: pd.DataFrame,
    area: str,
    measures: Sequence[str],
    interruption: str,
    single_spec: ITSSpec,
    controlled_spec: ITSSpec,
    controls: Sequence[str] | None = None,
    start=None,
    end=None,
    min_pre: int = MIN_PRE,
    min_post: int = MIN_POST,
    horizons: Sequence[int] = (0, 4),
    name: str = "intervention",
    exclude: Sequence[str] = (),
    geography: str = "force",
) -> AreaComparison:
    """For each measure: feasibility around ``interruption`` in ``[start, end]``; where
    feasible, the single-area ITS (``single_spec``), the controlled ITS against ``controls``
    (default: every other area of ``geography`` with data, less ``exclude``, e.g. the City of
    London; ``controlled_spec``), placebo in space and in time."""
    if area not in set(panel["force"].unique()):
        raise ValueError(str(unknown("area", area, panel["force"])))
    rows, single, ctrl, plac, pools = [], {}, {}, {}, {}
    for m in measures:
        try:
            s = series(panel, m, force=area, start=start, end=end, geography=geography)
        except ValueError as exc:
            rows.append(
                {
                    "series": m,
                    "first": "",
                    "last": "",
                    "n_pre": 0,
                    "n_post": 0,
                    "feasible": False,
                    "note": str(exc),
                }
            )
            continue
        f = check_feasible(s, interruption, min_pre, min_post, label=m)
        rows.append(
            {
                "series": m,
                "first": str(s["quarter"].min()),
                "last": str(s["quarter"].max()),
                "n_pre": f.n_pre,
                "n_post": f.n_post,
                "feasible": f.ok,
                "note": f.message,
            }
        )
        if not f:
            continue
        fit = fit_series(s, at(single_spec, interruption), horizons, series=m, force=area)
        single[m] = fit
        cp = control_panel(
            panel, m, area, controls, start=start, end=end, geography=geography, exclude=exclude
        )
        pools[m] = cp.attrs
        c = fit_controlled(cp, at(controlled_spec, interruption), label=m)
        ctrl[m] = c
        plac[m] = (c.placebo_space(), placebo_time(fit))
    return AreaComparison(
        area,
        str(interruption),
        name,
        pd.DataFrame(rows),
        single,
        ctrl,
        plac,
        min_pre,
        min_post,
        _pool_table(pools),
        geography,
    )


def _pool_table(pools: dict) -> pd.DataFrame:
    """Per series: the controls used, those excluded by rule and those dropped for gaps."""
    rows = [
        {
            "series": m,
            "n_controls": len(a.get("controls", [])),
            "excluded": "; ".join(a.get("excluded_controls", [])),
            "dropped_for_gaps": "; ".join(a.get("dropped_controls", [])),
        }
        for m, a in pools.items()
    ]
    return pd.DataFrame(rows, columns=["series", "n_controls", "excluded", "dropped_for_gaps"])
