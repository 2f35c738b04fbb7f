"""One treated unit against a donor pool: synthetic difference-in-differences (SDID), synthetic
control (SC) and difference-in-differences (DID) in one framework (Arkhangelsky, Athey,
Hirshberg, Imbens & Wager 2021), the weights by synthdid's solver
(:mod:`rasso_research.estimators.synthdid`; ``tests/designs/test_synthetic.py`` reproduces
the paper's California Proposition 99 estimates, Table 1).

Inference, for a single treated unit:

* ``se``: the placebo standard error (their Algorithm 4): the estimator re-run with a donor
  as if treated; by default every donor once (with one treated unit, close to the limit of
  synthdid's 200 random draws without their Monte Carlo noise: each donor is refitted from
  uniform starting weights, where synthdid starts from the original ones; on Proposition 99
  the two agree to three digits), or ``reps`` seeded random draws exactly as synthdid;
* ``placebo_p``: placebo in space (Abadie, Diamond & Hainmueller 2010): every donor in turn
  as the treated unit against the other donors, the treated unit's ratio of post- to
  pre-period RMSPE ranked among all of them (the treated unit counted); with
  ``max_pre_rmspe_ratio = k``, placebos whose pre-period MSPE is more than k times the
  treated unit's are left out (ADH show k = 20, 5, 2). The smallest attainable p-value is
  1/(donors + 1) (``min_p``); an undefined ratio (a perfect pre-period fit) gives no p-value;
* these references assume the donors are exchangeable with the treated unit: on counts,
  forces of very different sizes are not, so rates are the primary scale;
* ``mde``: the minimum detectable effect at 5% (two-sided) with 80% power,
  ``(1.96 + 0.84) se``, so a null result is read against what the data could have shown.

The spec is the package's :class:`~rasso_research.its.ITSSpec`: ``outcome``, ``time``,
``group`` (the unit column), ``treated`` (the treated unit) and the focus interruption (the
first period treated).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rasso_research.constants import FOCUS, Z_975
from rasso_research.estimators.power import MDE_FACTOR
from rasso_research.estimators.synthdid import (
    METHODS,
    SyntheticInputError,
    enumerated_se,
    estimate,
    placebo_p,
    placebo_se,
    placebo_space,
    rmspe,
    synthetic_path,
)
from rasso_research.its import ITSSpec

from .base import DesignResult, focus_index

__all__ = [
    "METHODS",
    "PanelMatrix",
    "SyntheticComparison",
    "SyntheticInputError",
    "fit_synthetic",
    "panel_matrix",
]

#: fewest pre-periods each method needs: SC and SDID fit weights to the pre-period
MIN_PRE_PERIODS = {"sdid": 2, "sc": 2, "did": 2}


# ---- the panel --------------------------------------------------------------------------
@dataclass
class PanelMatrix:
    """Outcome matrix with the donors first and the treated unit last."""

    Y: np.ndarray
    units: list[str]
    times: list
    N0: int
    T0: int


def panel_matrix(
    data: pd.DataFrame,
    spec: ITSSpec,
    donors: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    min_pre: int | None = None,
    method: str = "sdid",
) -> PanelMatrix:
    """The balanced unit x time matrix of ``spec.outcome``: donors (``donors``, else every
    other unit, less ``exclude``) first, ``spec.treated`` last; columns before the focus
    interruption are the pre-period. Units with a missing value in any period are refused
    by name (a synthetic control cannot be fitted on a gap)."""
    unit, time, y = spec.group, spec.time, spec.outcome
    for c in (unit, time, y):
        if c not in data.columns:
            raise SyntheticInputError(f"column {c!r} not in the data ({list(data.columns)})")
    treated = spec.treated
    units = sorted(data[unit].dropna().unique().tolist())
    if treated not in units:
        raise SyntheticInputError(f"treated unit {treated!r} not in column {unit!r}")
    pool = [u for u in (donors if donors is not None else units) if u != treated]
    unknown = sorted(set(pool) - set(units)) + sorted(set(exclude) - set(units))
    if unknown:
        raise SyntheticInputError(f"unknown donor(s) {unknown}; units are {units}")
    pool = [u for u in pool if u not in set(exclude)]
    if not pool:
        raise SyntheticInputError(f"empty donor pool for {treated!r}")
    dup = data.duplicated([unit, time])
    if dup.any():
        eg = data.loc[dup, [unit, time]].iloc[0].tolist()
        raise SyntheticInputError(f"{int(dup.sum())} duplicated {unit} x {time} rows (e.g. {eg})")
    wide = data.pivot(index=unit, columns=time, values=y)
    wide = wide.reindex([*pool, treated])
    gaps = wide.index[wide.isna().any(axis=1)].tolist()
    if gaps:
        raise SyntheticInputError(
            f"{y!r}: missing values for {gaps} in some of {list(wide.columns)}; drop those "
            "units (exclude=) or the periods"
        )
    i = focus_index(spec)
    if i is None:
        raise SyntheticInputError(f"the spec has no {FOCUS!r} interruption (use designs.at)")
    at = spec.interruptions[i].at
    times = list(wide.columns)
    T0 = _count_before(times, at)
    need = min_pre if min_pre is not None else MIN_PRE_PERIODS[method]
    if T0 < need:
        raise SyntheticInputError(
            f"{treated}: {T0} period(s) before {at} in {times[0]}..{times[-1]}; {method} needs "
            f"at least {need}"
        )
    if T0 == len(times):
        raise SyntheticInputError(f"no period from {at} on in {times[0]}..{times[-1]}")
    return PanelMatrix(wide.to_numpy(float), [*pool, treated], times, len(pool), T0)


def _numeric(times: Sequence) -> bool:
    return all(isinstance(t, int | float | np.integer | np.floating) for t in times)


def _count_before(times: Sequence, at) -> int:
    """How many of the (sorted) periods come before ``at``, compared in the periods' own type:
    numbers, pandas Periods, dates, or labels of one fixed format such as '2018/19'."""
    try:
        if _numeric(times):
            key = float(at)
        elif all(isinstance(t, pd.Period) for t in times):
            key = pd.Period(str(at), freq=times[0].freq)
        elif all(isinstance(t, pd.Timestamp | np.datetime64) for t in times):
            key = pd.Timestamp(at)
        else:
            labels = [str(t) for t in times]
            key = str(at)
            if len({len(x) for x in labels} | {len(key)}) > 1:
                raise ValueError(f"period labels of different formats ({labels[0]!r}, {key!r})")
            return sum(1 for x in labels if x < key)
    except (TypeError, ValueError) as exc:
        raise SyntheticInputError(
            f"the date {at!r} cannot be compared with the periods {times[0]!r}..{times[-1]!r} "
            f"({exc})"
        ) from exc
    return sum(1 for t in times if t < key)


# ---- the design -------------------------------------------------------------------------
@dataclass
class SyntheticComparison(DesignResult):
    """SDID, SC and DID for one treated unit (see the module docstring): ``fits`` holds each
    method's (effect, weights, placebo SE), ``placebos`` its placebo-in-space runs."""

    effect_columns = ("method", "estimate", "se", "ci_low", "ci_high", "placebo_p", "mde")
    table_methods = {
        "effects": "effects",
        "weights": "weights",
        "paths": "paths",
        "placebo": "placebo_table",
    }

    panel: PanelMatrix
    spec: ITSSpec
    label: str = ""
    max_pre_rmspe_ratio: float | None = None
    fits: dict = field(default_factory=dict)
    placebos: dict = field(default_factory=dict)

    def effects(self) -> pd.DataFrame:
        """One row per method: the average effect over the post-period, its placebo SE, 95%
        CI (normal), placebo-in-space p-value, MDE, pre-period RMSPE and sizes."""
        p = self.panel
        rows = []
        for m, (tau, w, se) in self.fits.items():
            pv, n_pl = placebo_p(self.placebos[m], self.max_pre_rmspe_ratio)
            pre, _ = rmspe(p.Y, p.N0, p.T0, w, m)
            rows.append(
                {
                    "series": self.label,
                    "treated": p.units[-1],
                    "method": m,
                    "estimate": tau,
                    "se": se,
                    "ci_low": tau - Z_975 * se,
                    "ci_high": tau + Z_975 * se,
                    "placebo_p": pv,
                    "n_placebos": n_pl,
                    "min_p": 1 / (n_pl + 1),
                    "mde": MDE_FACTOR * se,
                    "pre_rmspe": pre,
                    "n_donors": p.N0,
                    "n_pre": p.T0,
                    "n_post": len(p.times) - p.T0,
                }
            )
        return pd.DataFrame(rows)

    def weights(self) -> pd.DataFrame:
        """Donor weights by method (long: donor, method, weight), largest first."""
        rows = [
            {"series": self.label, "donor": u, "method": m, "weight": float(wt)}
            for m, (_t, w, _s) in self.fits.items()
            for u, wt in zip(self.panel.units[:-1], w.omega, strict=True)
        ]
        out = pd.DataFrame(rows)
        return out.sort_values(["method", "weight"], ascending=[True, False]).reset_index(drop=True)

    def table(self) -> pd.DataFrame:
        return self.weights()

    def paths(self) -> pd.DataFrame:
        """Per period and method: the treated unit, its synthetic counterpart and the gap."""
        p = self.panel
        treated = p.Y[p.N0 :].mean(axis=0)
        rows = []
        for m, (_t, w, _s) in self.fits.items():
            synth = synthetic_path(p.Y, p.N0, p.T0, w, m)
            for i, t in enumerate(p.times):
                rows.append(
                    {
                        "series": self.label,
                        "method": m,
                        "period": str(t),
                        "post": i >= p.T0,
                        "treated": treated[i],
                        "synthetic": synth[i],
                        "gap": treated[i] - synth[i],
                    }
                )
        return pd.DataFrame(rows)

    def placebo_table(self) -> pd.DataFrame:
        """The placebo-in-space runs of every method (unit, effect, RMSPEs, ratio)."""
        units = self.panel.units
        parts = [
            ps.assign(series=self.label, method=m, unit=[units[i] for i in ps["row"]])
            for m, ps in self.placebos.items()
        ]
        out = pd.concat(parts, ignore_index=True).drop(columns="row")
        out["is_treated"] = out["unit"] == units[-1]
        return out[
            ["series", "method", "unit", "is_treated", "effect", "pre_rmspe", "post_rmspe", "ratio"]
        ]


def fit_synthetic(
    data: pd.DataFrame,
    spec: ITSSpec,
    label: str = "",
    donors: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    methods: Sequence[str] = METHODS,
    reps: int | None = None,
    seed: int = 0,
    max_pre_rmspe_ratio: float | None = None,
) -> SyntheticComparison:
    """SDID, SC and DID of ``spec.treated`` against the donor pool on ``data`` (long: unit,
    time, outcome columns named by the spec). Standard errors: every donor once as the
    pseudo-treated unit (``reps=None``), or synthdid's ``reps`` seeded random draws."""
    need = max(MIN_PRE_PERIODS[m] for m in methods)
    p = panel_matrix(data, spec, donors, exclude, min_pre=need, method=methods[0])
    one = p.Y.shape[0] - p.N0 == 1
    fits, placebos = {}, {}
    for m in methods:
        tau, w = estimate(p.Y, p.N0, p.T0, m)
        placebos[m] = ps = placebo_space(p.Y, p.N0, p.T0, m, treated=(tau, w))
        if reps is None and one:
            se = enumerated_se(ps)
        else:
            se = placebo_se(p.Y, p.N0, p.T0, m, w, reps or 200, seed)
        fits[m] = (tau, w, se)
    return SyntheticComparison(p, spec, label, max_pre_rmspe_ratio, fits, placebos)
