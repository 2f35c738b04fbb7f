"""Persistence sensitivities: the interrupted time series of a series near a unit root, under
two models that do not need its errors to be stationary around a fixed trend.

The default single-series ITS (:mod:`rasso_research.designs.national_its`) models the errors
as a stationary AR(p) process, its largest root bounded at ``MAX_ROOT`` (0.95); a series whose
errors are more persistent than that is better described by one of these.
``fit_structural(data, spec, kind=...)`` takes the series and the ITS spec of the default
model (its interruptions, seasonality, disruption indicators and covariates, dated at the
focus interruption with :func:`rasso_research.designs.base.at`) and returns a
:class:`StructuralITS`:

* ``kind="differenced"``: the ITS in first differences, a regression with ARIMA(p, 1, 0)
  errors (statsmodels ``SARIMAX``, ``order=(ar, 1, 0)``, the spec's terms as exog). The
  intercept is dropped, since differencing removes it, and the trend term becomes the drift
  (its first difference is 1); a level change is the jump at its date, a slope change the
  change in drift.
* ``kind="local_linear_trend"``: a structural time-series model (statsmodels
  ``UnobservedComponents``): a local linear trend (a random-walk level with a random-walk
  slope), a stochastic seasonal of the spec's period, and the interventions' step and ramp
  (and the disruption indicators and covariates) as regressors; the frequentist relative of
  CausalImpact.

Both are fitted by maximum likelihood (exact diffuse initialisation of the non-stationary
states) to the log of the outcome (the rate per offset when the series has one), so their
coefficients are relative changes: ``exp(b) - 1`` as %; ``log=False`` fits the outcome (or
rate) itself and gives no %. Intervals are Wald intervals from the observed information
(``cov_type="oim"``; statsmodels' default outer product of gradients is erratic at these
lengths). A result holds numbers only: ``effects()`` (the focus interruption's level and slope
changes), ``table()`` (every coefficient and variance) and ``fit_table()`` (one row a series:
likelihood, convergence).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.tsa.statespace.sarimax import SARIMAX
from statsmodels.tsa.statespace.structural import UnobservedComponents

from rasso_research.constants import FOCUS
from rasso_research.its import ITSSpec, build_design
from rasso_research.its.design import Design, term_name

from .base import DesignResult, focus_index, focus_quarter, for_series, labelled

KINDS = ("differenced", "local_linear_trend")
#: what each model is, for tables and the view
MODEL_LABELS = {
    "differenced": "first differences, ARIMA({ar},1,0) errors",
    "local_linear_trend": "local linear trend with stochastic seasonal",
}
EFFECT_COLUMNS = (
    "change",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "estimate_pct",
    "ci_low_pct",
    "ci_high_pct",
)


@dataclass
class StructuralFit:
    """One series' fit: the ITS design the model's terms come from, the exog columns, the
    statsmodels results, and whether the outcome is on the log scale."""

    label: str
    kind: str
    spec: ITSSpec
    design: Design = field(repr=False)
    exog: list[str]
    result: object = field(repr=False)
    log: bool
    ar: int
    alpha: float

    def _name(self, term: str) -> str:
        return f"beta.{term}" if self.kind == "local_linear_trend" else term

    def coefficients(self) -> pd.DataFrame:
        """Every parameter: the regression terms (named as the ITS design's) and the error
        model's (AR coefficients, variances), with its Wald CI and p-value."""
        r = self.result
        ci = r.conf_int(alpha=self.alpha)
        names = list(r.params.index)
        return pd.DataFrame(
            {
                "term": [n.removeprefix("beta.") for n in names],
                "estimate": r.params.to_numpy(),
                "std_error": r.bse.to_numpy(),
                "ci_low": ci.iloc[:, 0].to_numpy(),
                "ci_high": ci.iloc[:, 1].to_numpy(),
                "p_value": r.pvalues.to_numpy(),
            }
        )

    def effects(self, focus: str) -> pd.DataFrame:
        """The level (and, where the interruption has one, slope) change of ``focus``, on the
        model scale and (log scale) as % change (for a slope, % per quarter)."""
        info = next(i for i in self.design.interruptions if i.name == focus)
        t = self.coefficients().set_index("term")
        rows = []
        for change, term in (("level", info.level), ("slope", info.slope)):
            if term is None:
                continue
            r = t.loc[term]
            pct = {
                f"{c}_pct": 100 * np.expm1(r[c]) if self.log else np.nan
                for c in ("estimate", "ci_low", "ci_high")
            }
            rows.append(
                {
                    "change": change,
                    "estimate": r["estimate"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "p_value": r["p_value"],
                    **pct,
                }
            )
        return pd.DataFrame(rows)

    def fit_row(self) -> dict:
        """Observations, fitted quarters, log-likelihood, AIC and whether the optimiser
        converged."""
        r = self.result
        return {
            "n": len(self.design.frame),
            "n_fitted": int(self.design.frame["in_fit"].sum()),
            "k_exog": len(self.exog),
            "loglik": float(r.llf),
            "aic": float(r.aic),
            "converged": bool(r.mle_retvals.get("converged", False)),
        }


@dataclass
class StructuralITS(DesignResult):
    """The structural fits of one or several series under one ``kind``, at the spec's focus
    interruption."""

    effect_columns = EFFECT_COLUMNS
    table_methods = {"effects": "effects", "table": "table", "fit": "fit_table"}

    fits: dict[str, StructuralFit]
    kind: str
    focus: str = FOCUS

    def _labels(self, f: StructuralFit) -> dict:
        return {
            "series": f.label,
            "model": MODEL_LABELS[f.kind].format(ar=f.ar),
            "scale": "log" if f.log else "outcome",
            "interruption": focus_quarter(f.spec, self.focus),
        }

    def _cat(self, frames) -> pd.DataFrame:
        parts = [labelled(d, self._labels(f)) for f, d in frames]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def effects(self) -> pd.DataFrame:
        """Per series, the focus interruption's level and slope changes with 95% CIs, on
        the model scale and as % (log scale)."""
        return self._cat((f, f.effects(self.focus)) for f in self.fits.values())

    def table(self) -> pd.DataFrame:
        """Every coefficient and variance of every fit."""
        return self._cat((f, f.coefficients()) for f in self.fits.values())

    def fit_table(self) -> pd.DataFrame:
        """One row a series: observations, log-likelihood, AIC, convergence."""
        return self._cat((f, pd.DataFrame([f.fit_row()])) for f in self.fits.values())


def _design(s: pd.DataFrame, spec: ITSSpec, log: bool) -> Design:
    """The ITS design of ``spec`` on ``s`` with the outcome (the rate per offset when the
    series has one) on the log scale (``log``) or as it is; the family only sets that scale."""
    if spec.group is not None:
        raise ValueError("fit_structural models one series: the spec has a group (controlled ITS)")
    d = s.dropna(subset=["value"]).reset_index(drop=True)
    sp = for_series(spec, d).replace(family="ols_log" if log else "ols")
    return build_design(d, sp)


def _seasonal(spec: ITSSpec) -> dict:
    """The UnobservedComponents seasonal arguments for ``spec.season``."""
    season = spec.season
    if season is None:
        return {}
    if season in ("quarter", "month"):
        return {"seasonal": 4 if season == "quarter" else 12}
    if isinstance(season, tuple | list) and len(season) == 3 and season[0] == "fourier":
        return {"freq_seasonal": [{"period": int(season[2]), "harmonics": int(season[1])}]}
    raise ValueError(f"season {season!r} has no structural counterpart")


def _fit_model(design: Design, kind: str, ar: int):
    """The statsmodels fit of one design: the exog columns and the results."""
    fr = design.frame.reset_index(drop=True)
    endog = fr["y"].where(fr["in_fit"])  # phase-in quarters as missing
    if kind == "differenced":
        exog = list(design.terms)  # trend (the drift), interventions, indicators, season
        mod = SARIMAX(endog, exog=fr[exog], order=(ar, 1, 0), trend="n")
    else:
        # the step and ramp of each interruption, the indicators and covariates; the trend,
        # intercept and season are the model's own components
        steps = [c for i in design.interruptions for c in (i.level, i.slope) if c is not None]
        covs = [term_name(c) for c in design.spec.covariates]
        exog = steps + list(design.disrupted_terms) + covs
        mod = UnobservedComponents(
            endog, level="local linear trend", exog=fr[exog], **_seasonal(design.spec)
        )
    with warnings.catch_warnings():  # convergence is recorded in fit_table(), not warned
        warnings.simplefilter("ignore")
        res = mod.fit(disp=False, maxiter=1000, cov_type="oim")
    return exog, res


def fit_structural(
    data: pd.DataFrame | Mapping[str, pd.DataFrame],
    spec: ITSSpec | Mapping[str, ITSSpec],
    kind: str = "differenced",
    ar: int = 1,
    log: bool = True,
    focus: str = FOCUS,
) -> StructuralITS:
    """Fit ``spec`` (with an interruption named ``focus``) to one series or to each of a
    mapping ``label -> series`` (``spec`` one for all or one per label) under ``kind``
    (:data:`KINDS`): ``"differenced"``, a regression with ARIMA(``ar``, 1, 0) errors, or
    ``"local_linear_trend"``, an unobserved-components model (the module docstring). ``log``
    fits the log of the outcome (rate), so effects are relative."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if int(ar) != ar or ar < 0:
        raise ValueError(f"ar must be a whole number of lags >= 0, got {ar!r}")
    series = {data.attrs.get("measure", "series"): data} if isinstance(data, pd.DataFrame) else data
    fits = {}
    for label, s in series.items():
        sp = spec if isinstance(spec, ITSSpec) else spec[label]
        if focus_index(sp, focus) is None:
            raise ValueError(f"spec has no interruption named {focus!r}: date it with designs.at()")
        design = _design(s, sp, log)
        exog, res = _fit_model(design, kind, int(ar))
        fits[label] = StructuralFit(
            label, kind, design.spec, design, exog, res, log, int(ar), sp.alpha
        )
    return StructuralITS(fits, kind, focus)
