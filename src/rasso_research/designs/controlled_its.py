"""Controlled interrupted time series: one treated area against control areas, with placebo
(permutation) inference in space and in time.

``fit_controlled(panel_frame, spec)`` pools the treated area with the controls (a frame from
:func:`rasso_research.data.series.control_panel`); its ``treated_level_main`` and
``treated_slope_main`` terms are the treated area's level and slope change relative to the
controls; ``placebo_space()`` and :func:`placebo_time` are the permutation checks. The whole
comparison of one area on several series is a study (:mod:`rasso_research.studies.force`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from rasso_research.constants import FOCUS, Z_80
from rasso_research.its import (
    ITSResult,
    ITSSpec,
    PlaceboResult,
    fit_its,
    placebo_in_space,
    placebo_in_time,
)

from .base import DesignResult, for_series
from .national_its import SeriesITS

TERMS = {"treated_level_main": "level change", "treated_slope_main": "slope change per quarter"}


@dataclass
class ControlledITS(DesignResult):
    """A fitted controlled ITS (``result``) on the pooled frame ``data``."""

    effect_columns = ("horizon", "period", "fitted", "counterfactual", "rel_diff")

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


def fit_controlled(cp: pd.DataFrame, spec: ITSSpec, label: str | None = None) -> ControlledITS:
    """Fit a controlled ITS of ``spec`` (dated with :func:`designs.at`) on the pooled frame
    ``cp``; the treated area is ``cp.attrs["force"]``, the unit column ``force``."""
    sp = for_series(spec, cp).replace(group="force", treated=cp.attrs.get("force"), offset=None)
    return ControlledITS(cp, sp, fit_its(cp, sp), label or cp.attrs.get("measure", ""))


def placebo_time(fit: SeriesITS) -> PlaceboResult:
    """Placebo in time on the pre-period of a single-series fit: every admissible fake date."""
    i = fit.result.interruption_index(fit.focus)
    return placebo_in_time(fit.series, fit.spec, term="level", interruption=i)
