"""Event study for one treated unit: unit and period fixed effects with a coefficient for each
period relative to the treated unit's date (leads and lags), the period before the date the
reference (0 by construction).

``y_it = a_i + g_t + sum_k b_k 1{i = treated, t = t0 + k} + e_it``: on a balanced panel its OLS
coefficients have a closed form (the treated unit's change from the reference period minus the
donors' mean change; :mod:`rasso_research.estimators.event_study`), used here for the estimate
and every placebo. With a single treated unit, cluster-robust standard errors are not
valid (one treated cluster; MacKinnon & Webb 2017), so inference is by placebo in space: each
donor in turn takes the treated unit's place (the real treated unit left out) and its
coefficients form the reference distribution of each ``b_k`` (two-sided rank p-value, 95%
placebo band) and of the joint pre-trend statistic ``sum_{k < -1} b_k^2`` (the rank of the
treated unit's). These references assume the donors are exchangeable with the treated unit
(similar size and noise): rates per head are the primary scale for forces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rasso_research.estimators.event_study import event_coefficients, placebo_coefficients
from rasso_research.estimators.power import MDE_FACTOR
from rasso_research.its import ITSSpec

from .base import DesignResult
from .synthetic import PanelMatrix, panel_matrix


@dataclass
class EventStudy(DesignResult):
    """Event-study coefficients of one treated unit (``coef``, one per period) and those of
    every donor as if treated (``placebo``, donors x periods)."""

    effect_columns = ("period", "k", "estimate", "placebo_low", "placebo_high", "placebo_p")
    table_methods = {"effects": "effects", "pretrend": "pretrend", "summary": "summary"}

    panel: PanelMatrix
    spec: ITSSpec
    coef: np.ndarray
    placebo: np.ndarray
    label: str = ""
    ref: int = -1

    def _k(self) -> np.ndarray:
        return np.arange(len(self.panel.times)) - self.panel.T0

    def effects(self) -> pd.DataFrame:
        """One row per period: k (periods from the date), the coefficient, the placebo 95%
        band and the two-sided placebo p-value (the reference period is 0 by construction)."""
        k = self._k()
        rows = []
        for j, t in enumerate(self.panel.times):
            pl = self.placebo[:, j]
            ref = k[j] == self.ref
            rows.append(
                {
                    "series": self.label,
                    "treated": self.panel.units[-1],
                    "period": str(t),
                    "k": int(k[j]),
                    "estimate": float(self.coef[j]),
                    "placebo_low": float(np.quantile(pl, 0.025)),
                    "placebo_high": float(np.quantile(pl, 0.975)),
                    "placebo_p": np.nan
                    if ref
                    else float((1 + np.sum(np.abs(pl) >= abs(self.coef[j]))) / (1 + len(pl))),
                    "reference": bool(ref),
                    "n_placebos": len(pl),
                }
            )
        return pd.DataFrame(rows)

    def pretrend(self) -> pd.DataFrame:
        """Joint pre-trend test: the sum of squared lead coefficients (before the reference
        period) of the treated unit, ranked among the placebos'."""
        leads = self._k() < self.ref
        if not leads.any():
            return pd.DataFrame(
                [{"series": self.label, "n_leads": 0, "statistic": np.nan, "placebo_p": np.nan}]
            )
        stat = float(np.sum(self.coef[leads] ** 2))
        pl = np.sum(self.placebo[:, leads] ** 2, axis=1)
        p = float((1 + np.sum(pl >= stat)) / (1 + len(pl)))
        return pd.DataFrame(
            [{"series": self.label, "n_leads": int(leads.sum()), "statistic": stat, "placebo_p": p}]
        )

    def summary(self) -> pd.DataFrame:
        """The mean post-period coefficient with its placebo p-value, placebo SD and minimum
        detectable effect ((1.96 + 0.84) x the placebo SD)."""
        post = self._k() >= 0
        est = float(self.coef[post].mean())
        pl = self.placebo[:, post].mean(axis=1)
        sd = float(pl.std())
        return pd.DataFrame(
            [
                {
                    "series": self.label,
                    "mean_post": est,
                    "placebo_sd": sd,
                    "placebo_p": float((1 + np.sum(np.abs(pl) >= abs(est))) / (1 + len(pl))),
                    "mde": MDE_FACTOR * sd,
                    "n_post": int(post.sum()),
                }
            ]
        )

    def table(self) -> pd.DataFrame:
        return self.effects()


def fit_event_study(
    data: pd.DataFrame, spec: ITSSpec, *, label: str = "", ref: int = -1, **pool
) -> EventStudy:
    """Event study of ``spec.treated`` against the donor pool, ``ref`` periods before the
    date the reference (as for :func:`rasso_research.designs.synthetic.fit_synthetic`: unit
    column ``spec.group``, time ``spec.time``, the focus interruption the first treated period;
    ``pool``: its ``donors`` and ``exclude``)."""
    p = panel_matrix(data, spec, min_pre=-ref + 1, method="the event study", **pool)
    coef = event_coefficients(p.Y, p.T0, ref)
    return EventStudy(p, spec, coef, placebo_coefficients(p.Y, p.N0, p.T0, ref), label, ref)
