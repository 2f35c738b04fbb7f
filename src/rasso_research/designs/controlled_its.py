"""Controlled interrupted time series: one treated area against control areas, with placebo
(permutation) inference in space and in time.

``fit_controlled(panel_frame, spec)`` pools the treated area with the controls (a frame from
:func:`rasso_research.data.series.control_panel`); its ``treated_level_main`` and
``treated_slope_main`` terms are the treated area's level and slope change relative to the
controls. ``compare_area(...)`` runs the whole comparison for one area and several series: the
feasibility check, the single-area ITS, the controlled ITS and both placebos.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from rasso_research.constants import FOCUS, MIN_POST, MIN_PRE, Z_80
from rasso_research.data.series import control_panel, series, unknown
from rasso_research.its import (
    ITSResult,
    ITSSpec,
    PlaceboResult,
    fit_its,
    placebo_in_space,
    placebo_in_time,
)
from rasso_research.plots.its import plot_its
from rasso_research.report.format import fmt_num
from rasso_research.report.text import describe_feasibility

from .base import DesignResult, at, check_feasible, for_series
from .national_its import SeriesITS, describe_effects, fit_series

TERMS = {"treated_level_main": "level change", "treated_slope_main": "slope change per quarter"}


@dataclass
class ControlledITS(DesignResult):
    """A fitted controlled ITS (``result``) on the pooled frame ``data``."""

    data: pd.DataFrame
    spec: ITSSpec
    result: ITSResult = field(repr=False)
    label: str = ""

    def table(self) -> pd.DataFrame:
        """The treated-versus-control level and slope changes (units of the series), each with
        its minimum detectable effect: 5% two-sided with 80% power, (c + z_0.80) SE with the
        interval's own critical value c."""
        t = self.result.params_table().set_index("term").loc[list(TERMS)]
        return pd.DataFrame(
            [
                {
                    "series": self.label,
                    "term": term,
                    "estimate": r["estimate"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "p_value": r["p_value"],
                    "mde": (r["ci_high"] - r["estimate"]) + Z_80 * r["std_error"],
                    "n_controls": len(self.data.attrs.get("controls", [])),
                }
                for term, r in t.iterrows()
            ]
        )

    def effects(self) -> pd.DataFrame:
        """Fitted minus counterfactual for the treated area at each horizon."""
        e = self.result.effects()
        return e[e["interruption"] == FOCUS].assign(series=self.label).reset_index(drop=True)

    def placebo_space(self) -> PlaceboResult:
        """Every control area in turn as the treated one (permutation p-value)."""
        return placebo_in_space(self.data, self.spec)

    def describe(self) -> str:
        return describe_controlled(self.table())

    def plot(self, **kw):
        return plot_its(self.result, **kw)


def fit_controlled(cp: pd.DataFrame, spec: ITSSpec, label: str | None = None) -> ControlledITS:
    """Fit a controlled ITS of ``spec`` (dated with :func:`designs.at`) on the pooled frame
    ``cp``; the treated area is ``cp.attrs["force"]``, the unit column ``force``."""
    sp = for_series(spec, cp).replace(group="force", treated=cp.attrs.get("force"), offset=None)
    return ControlledITS(cp, sp, fit_its(cp, sp), label or cp.attrs.get("measure", ""))


def placebo_time(fit: SeriesITS) -> PlaceboResult:
    """Placebo in time on the pre-period of a single-series fit: every admissible fake date."""
    i = [x.name for x in sorted(fit.result.design.interruptions, key=lambda x: x.t0)].index(
        fit.focus
    )
    return placebo_in_time(fit.series, fit.spec, term="level", interruption=i)


@dataclass
class AreaComparison(DesignResult):
    """One area against the others on several series (see :func:`compare_area`)."""

    area: str
    interruption: str
    name: str
    feasibility_table: pd.DataFrame
    single: dict[str, SeriesITS]
    controlled: dict[str, ControlledITS]
    placebos: dict[str, tuple[PlaceboResult, PlaceboResult]]
    min_pre: int = MIN_PRE
    min_post: int = MIN_POST

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
        }

    def describe_feasibility(self) -> str:
        return describe_feasibility(self.feasibility_table, self.min_pre, self.min_post)

    def describe(self) -> str:
        if not self.single:
            return "No series has enough quarters on both sides: nothing was modelled."
        return (
            describe_effects(self.effects())
            + "\n\nControlled design and placebos:\n\n"
            + describe_controlled(self.table(), self.placebo_summary())
        )

    def plot(self, measure: str, comparison: bool = True, **kw):
        """The area's ITS panel of ``measure`` over the control areas, beside the placebo
        distribution (``comparison=False``: the single-area panel alone)."""
        fit = self.single[measure]
        ylabel = kw.pop("ylabel", None) or fit.ylabel
        if not comparison:
            kw.setdefault("title", f"{self.area}: {ylabel}")
            return fit.plot(ylabel=ylabel, marks={self.name: self.interruption}, **kw)
        from rasso_research.plots.figures import plot_area_comparison

        t = self.tables()
        ctrl = t["controls"][t["controls"]["series"] == measure]
        pl = t["placebo_space"][t["placebo_space"]["series"] == measure]
        return plot_area_comparison(
            fit.counterfactual(), ctrl, pl, ylabel, self.area, {self.name: self.interruption}, **kw
        )


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
) -> AreaComparison:
    """For each measure: feasibility around ``interruption`` in ``[start, end]``; where
    feasible, the single-area ITS (``single_spec``), the controlled ITS against ``controls``
    (default: every other force with data; ``controlled_spec``), placebo in space and in time."""
    if area not in set(panel["force"].unique()):
        raise ValueError(str(unknown("area", area, panel["force"])))
    rows, single, ctrl, plac = [], {}, {}, {}
    for m in measures:
        try:
            s = series(panel, m, force=area, start=start, end=end)
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
        cp = control_panel(panel, m, area, controls, start=start, end=end)
        c = fit_controlled(cp, at(controlled_spec, interruption), label=m)
        ctrl[m] = c
        plac[m] = (c.placebo_space(), placebo_time(fit))
    return AreaComparison(
        area, str(interruption), name, pd.DataFrame(rows), single, ctrl, plac, min_pre, min_post
    )


def describe_controlled(ctrl: pd.DataFrame, placebo: pd.DataFrame | None = None) -> str:
    """Markdown: controlled-ITS terms (estimate, 95% CI, p) and placebo permutation p-values.

    ``ctrl``: ``series``, ``term``, ``estimate``, ``ci_low``, ``ci_high``, ``p_value``;
    ``placebo``: ``series``, ``p_space``, ``n_space``, ``p_time``, ``n_time``.
    """
    if ctrl is None or ctrl.empty:
        return "No controlled model was fitted (no series had enough quarters on both sides)."
    names = {"treated_level_main": "level change", "treated_slope_main": "slope change per quarter"}
    lines = []
    for _, r in ctrl.iterrows():
        lines.append(
            f"- `{r['series']}`, {names.get(r['term'], r['term'])} relative to the controls: "
            f"{fmt_num(r['estimate'])} (95% CI {fmt_num(r['ci_low'])} to {fmt_num(r['ci_high'])}, "
            f"p = {fmt_num(r['p_value'])}), "
            + ("CI excludes zero" if r["ci_low"] > 0 or r["ci_high"] < 0 else "CI includes zero")
        )
    if placebo is not None:
        for _, r in placebo.iterrows():
            lines.append(
                f"- `{r['series']}`, permutation p-values for the level change: placebo in space "
                f"{fmt_num(r['p_space'])} ({int(r['n_space'])} control forces), placebo in time "
                f"{fmt_num(r['p_time'])} ({int(r['n_time'])} fake dates)"
                + (
                    "; fewer than 20 placebos: the smallest attainable p is above 0.05"
                    if min(r["n_space"], r["n_time"]) < 19
                    else ""
                )
            )
    return "\n".join(lines)
