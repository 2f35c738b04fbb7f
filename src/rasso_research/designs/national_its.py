"""Single-series interrupted time series: one series (national or one area) against its own
projected pre-interruption trend, for several series and intervention dates at once.

``fit_series(s, spec)`` fits one :class:`~rasso_research.its.ITSSpec` to one series from
:func:`rasso_research.data.series.series` and returns a :class:`SeriesITS`;
``fit_national(series, specs, interventions)`` checks every (series, date) pair for enough
quarters on each side, fits those that pass and returns a :class:`NationalITS`. The estimand is
the relative change (%) ``h`` quarters after the focus interruption, fitted versus
counterfactual (the focus interruption and later ones removed); ``h = 0`` is the level change.
Other interruptions of the spec (documented breaks such as R v Allan) stay in both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rasso_research.constants import FOCUS, HORIZONS, MIN_POST, MIN_PRE
from rasso_research.data.measures import ylabel_for
from rasso_research.estimators.arerrors import MAX_ROOT
from rasso_research.estimators.power import mde_pct
from rasso_research.its import (
    ITSResult,
    ITSSpec,
    bootstrap_persistence,
    compare_inference,
    fit_its,
    its_table,
)
from rasso_research.its.design import term_name
from rasso_research.its.spec import LOG_FAMILIES
from rasso_research.periods import quarter

from .base import (
    DesignResult,
    at,
    check_feasible,
    excluded_periods,
    focus_index,
    focus_quarter,
    for_series,
    labelled,
    last_break_before,
)

EFFECT_COLUMNS = {
    "horizon": "horizon",
    "period": "quarter",
    "rel_diff": "effect_pct",
    "rel_ci_low": "ci_low_pct",
    "rel_ci_high": "ci_high_pct",
    "fitted": "fitted",
    "counterfactual": "counterfactual",
    "abs_diff": "abs_diff",
    "abs_ci_low": "abs_ci_low",
    "abs_ci_high": "abs_ci_high",
    "p_value": "p_value",
}
PCT = ("effect_pct", "ci_low_pct", "ci_high_pct")
#: the REML bound on the AR errors' largest root (``ar_at_bound`` in the diagnostics)
AR_ROOT_BOUND = MAX_ROOT
#: the tables a single-series fit writes: file name -> method
TABLES = {
    "params": "table",
    "effects": "effects",
    "diagnostics": "diagnostics",
    "counterfactual": "counterfactual",
    "slopes": "slopes",
    "power": "power",
}


@dataclass
class SeriesITS(DesignResult):
    """One ITS of one series: ``result`` is the ``ITSResult``; ``labels`` (e.g. series and
    intervention names) are prepended to every table."""

    effect_columns = tuple(EFFECT_COLUMNS.values())
    table_methods = TABLES

    series: pd.DataFrame
    spec: ITSSpec
    result: ITSResult = field(repr=False)
    horizons: tuple[int, ...] = HORIZONS
    labels: dict = field(default_factory=dict)
    focus: str = FOCUS
    end: bool = False  # also report the effect at the last quarter of the data

    @property
    def interruption(self) -> str:
        return focus_quarter(self.spec, self.focus)

    @property
    def ylabel(self) -> str:
        """Axis label with units of the modelled outcome ("" if the series has no known one)."""
        a = self.series.attrs
        try:
            if "offset" in self.series.columns:
                return ylabel_for(
                    a.get("measure", ""),
                    a.get("offset_measure"),
                    self.spec.rate_per,
                    a.get("offset_lag", 0),
                )
            return ylabel_for(a.get("measure", ""))
        except KeyError:
            return ""

    def _labels(self, family: bool = True) -> dict:
        lab = {"interruption": self.interruption}
        if family:
            lab["family"] = self.spec.family
        return {**lab, **self.labels}

    @property
    def end_horizon(self) -> int:
        """Quarters from the focus interruption to the last quarter of the data."""
        res = self.result
        info = res.interruption(self.focus)
        return int(res.design.frame["t"].max()) - info.start

    def effects(self) -> pd.DataFrame:
        """Relative (%) and absolute change at each horizon (and, with ``end``, at the last
        quarter: column ``end``), with 95% CIs and the p-value of no change."""
        hs = sorted({*self.horizons, self.end_horizon}) if self.end else list(self.horizons)
        e = self.result.effects(horizons=hs)
        e = e[e["interruption"] == self.focus]
        out = e[list(EFFECT_COLUMNS)].rename(columns=EFFECT_COLUMNS)
        out["horizon"] = out["horizon"].astype(int)
        if self.end:
            out["end"] = out["horizon"] == self.end_horizon
        for c in PCT:
            out[c] = 100 * out[c]
        return labelled(out.reset_index(drop=True), self._labels())

    def table(self) -> pd.DataFrame:
        """Coefficients (model scale) with 95% CIs and p-values."""
        return labelled(self.result.params_table(), self._labels())

    def slopes(self) -> pd.DataFrame:
        """The focus slope change as % per quarter with its CI (:func:`slope_effects`)."""
        return slope_effects(self.table(), self.effects(), self.focus)

    def power(self, power: float = 0.8) -> pd.DataFrame:
        """The focus level and slope changes beside their minimum detectable values (80%
        power at the fit's 5% test, by simulation from the fitted AR errors:
        :meth:`ITSResult.mde`), on the model scale and, for log-link models, as % (the larger
        of a rise and a fall), with the quarters after the date."""
        res = self.result
        t = res.params_table().set_index("term")
        rows = []
        for kind in ("level", "slope"):
            term = f"{kind}_{self.focus}"
            if term not in t.index:
                continue
            m = res.mde(term, power)
            log = res.is_log
            rows.append(
                {
                    "term": kind,
                    "estimate": t.loc[term, "estimate"],
                    "ci_low": t.loc[term, "ci_low"],
                    "ci_high": t.loc[term, "ci_high"],
                    "mde": m,
                    "mde_pct": mde_pct(m, log),
                    "power": power,
                    "n_post": int(self.diagnostics()["n_post"].iloc[0]),
                }
            )
        return labelled(pd.DataFrame(rows), self._labels())

    def power_curve(self, lengths: Sequence[int], power: float = 0.8) -> pd.DataFrame:
        """The focus level- and slope-change MDEs had the series ended ``n`` quarters after
        the date, for each ``n`` in ``lengths`` up to the quarters the data have (the fitted
        error process kept: :meth:`ITSResult.mde_post`), as in :meth:`power`;
        ``n_undisrupted`` counts those quarters without a disruption indicator (the ones that
        inform the estimate), NaN where the shorter design cannot estimate the term."""
        res = self.result
        have = int(self.diagnostics()["n_post"].iloc[0])
        fr = res.design.fit_frame()
        start = res.interruption(self.focus).start
        dis = res.design.disrupted_terms
        clean = ~(fr[dis].to_numpy().sum(axis=1) > 0) if dis else np.ones(len(fr), bool)
        rows = []
        for n in sorted({int(x) for x in lengths if 0 < int(x) <= have}):
            post = ((fr["t"] >= start) & (fr["t"] < start + n)).to_numpy()
            for kind in ("level", "slope"):
                term = f"{kind}_{term_name(self.focus)}"
                if term not in res.names:
                    continue
                m = res.mde_post(term, n, self.focus, power)
                rows.append(
                    {
                        "term": kind,
                        "n_post": n,
                        "n_undisrupted": int((post & clean).sum()),
                        "mde": m,
                        "mde_pct": mde_pct(m, res.is_log),
                        "power": power,
                    }
                )
        return labelled(pd.DataFrame(rows), self._labels())

    def counts(self) -> dict[str, int]:
        """Fitted quarters: all (``n``), in the focus interruption's own pre-segment (after
        any earlier interruption) and from its start on (``n_pre``, ``n_post``)."""
        res = self.result
        info = res.interruption(self.focus)
        t = res.design.fit_frame()["t"].to_numpy()
        prev = [i.start for i in res.design.interruptions if i.t0 < info.t0]
        lo = max(prev) if prev else t.min()
        return {
            "n": len(t),
            "n_pre": int(((t >= lo) & (t < info.t0)).sum()),
            "n_post": int((t >= info.start).sum()),
        }

    def diagnostics(self) -> pd.DataFrame:
        """One row: n, k, error model (cov_type, AR order or HAC lag; ``ar_at_bound``: the
        REML AR errors' largest root stopped at the bound ``MAX_ROOT`` of
        :mod:`rasso_research.estimators.arerrors`, i.e. the errors are at least that persistent
        and the fit is near a unit root; False without AR errors), interval method, quarters
        before/after, residual tests (of the innovations under AR errors)."""
        res = self.result
        hac = res.cov_type in ("HAC", "itsa", "driscoll-kraay")
        n = self.counts()
        ar = res.results.ar_fit if res.ar_order else None
        d = {
            "n": n["n"],
            "k": len(res.names),
            "cov_type": res.cov_type,
            "ar_order": res.ar_order if res.ar_order is not None else np.nan,
            "ar_max_root": ar.max_root() if ar is not None else np.nan,
            "ar_at_bound": bool(ar.at_bound) if ar is not None else False,
            "hac_lags": int(res.hac_lags) if hac else np.nan,
            "ci_method": res.ci_method,
            "n_pre": n["n_pre"],
            "n_post": n["n_post"],
        }
        for _, r in res.diagnostics().iterrows():
            d[r["statistic"]] = float(r["value"])
            if np.isfinite(r["p_value"]):
                d[f"{r['statistic']}_p"] = float(r["p_value"])
        return labelled(pd.DataFrame([d]), self._labels())

    def counterfactual(self) -> pd.DataFrame:
        """Per quarter: observed, fitted and counterfactual (focus interruption removed) with
        CIs; ``covid`` marks quarters with a disruption indicator, ``ylabel`` the units."""
        cf = its_table(self.result, self.focus, include_disrupted=True)
        cf = cf.drop(columns=["t"]).rename(columns={"disrupted": "covid"})
        cf["period"] = cf["period"].astype(str)
        cf["ylabel"] = self.ylabel
        return labelled(cf.reset_index(drop=True), self._labels(family=False))


def fit_series(
    s: pd.DataFrame,
    spec: ITSSpec,
    horizons: Sequence[int] = HORIZONS,
    focus: str = FOCUS,
    end: bool = False,
    **labels,
) -> SeriesITS:
    """Fit ``spec`` (which must have an interruption named ``focus``) to series ``s``;
    ``end`` adds the effect at the last quarter to the horizons."""
    if focus_index(spec, focus) is None:
        raise ValueError(f"spec has no interruption named {focus!r}: date it with designs.at()")
    d = s.dropna(subset=["value"]).reset_index(drop=True)
    sp = for_series(spec, d)
    return SeriesITS(d, sp, fit_its(d, sp), tuple(horizons), dict(labels), focus, end)


def _stacked(method: str):
    """A method of :class:`NationalITS` stacking every fit's ``method()`` frame (an empty
    frame when nothing was fitted)."""

    def stacked(self) -> pd.DataFrame:
        parts = [getattr(f, method)() for f in self.fits.values()]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    stacked.__name__ = method
    stacked.__doc__ = f"Every fit's :meth:`SeriesITS.{method}`, stacked."
    return stacked


@dataclass
class NationalITS(DesignResult):
    """Several series x intervention dates, each pair fitted alone (when feasible)."""

    effect_columns = tuple(EFFECT_COLUMNS.values())
    table_methods = {**TABLES, "feasibility": "feasibility"}

    fits: dict[tuple[str, str], SeriesITS]
    feasibility_table: pd.DataFrame
    series: dict[str, pd.DataFrame]
    min_pre: int = MIN_PRE
    min_post: int = MIN_POST

    effects = _stacked("effects")
    table = _stacked("table")
    diagnostics = _stacked("diagnostics")
    counterfactual = _stacked("counterfactual")
    slopes = _stacked("slopes")
    power = _stacked("power")

    def power_curve(self, intervention: str, lengths: Sequence[int]) -> pd.DataFrame:
        """:meth:`SeriesITS.power_curve` of every series fitted at ``intervention``."""
        parts = [f.power_curve(lengths) for (_, nm), f in self.fits.items() if nm == intervention]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def feasibility(self) -> pd.DataFrame:
        return self.feasibility_table

    def _focus_rows(self, intervention: str | None, table) -> pd.DataFrame:
        """``table(fit)`` (a frame with a ``term`` column, or None to skip the fit) for every
        series fitted at ``intervention`` (default: the first), its focus level and slope
        changes only, labelled with the series and the intervention."""
        if intervention is None and self.fits:
            intervention = next(iter(self.fits))[1]
        rows = []
        for (label, nm), f in self.fits.items():
            t = table(f) if nm == intervention else None
            if t is None:
                continue
            focus = term_name(f.focus)
            t = t[t["term"].isin([f"level_{focus}", f"slope_{focus}"])]
            rows.append(labelled(t, {"series": label, "intervention": nm}))
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()

    def inference(self, intervention: str | None = None, methods=None) -> pd.DataFrame:
        """The focus level and slope changes of every series fitted at ``intervention``
        (default: the first) under each interval method (:func:`its.compare_inference`), side
        by side with the critical value each interval uses."""
        return self._focus_rows(
            intervention, lambda f: compare_inference(f.series, f.spec, methods)
        )

    def persistence(self, intervention: str | None = None) -> pd.DataFrame:
        """For every series fitted at ``intervention`` (default: the first) with the
        AR-errors bootstrap, where its focus level and slope changes' critical values come
        from (:func:`its.bootstrap_persistence`)."""
        return self._focus_rows(
            intervention,
            lambda f: None if f.result.bootstrap is None else bootstrap_persistence(f.result),
        )


def hardest(persistence: pd.DataFrame) -> pd.DataFrame:
    """The rows of :meth:`NationalITS.persistence` for the series and change with the largest
    critical value."""
    if persistence.empty:
        return persistence
    every = persistence[persistence["band"] == "all"]
    top = every.loc[every["critical_value"].idxmax()]
    keep = (persistence["series"] == top["series"]) & (persistence["term"] == top["term"])
    return persistence[keep].reset_index(drop=True)


def fit_national(
    series: Mapping[str, pd.DataFrame],
    specs: Mapping[str, ITSSpec] | ITSSpec,
    interventions: Mapping[str, str],
    min_pre: int = MIN_PRE,
    min_post: int = MIN_POST,
    horizons: Sequence[int] = HORIZONS,
) -> NationalITS:
    """Fit every (series, intervention) pair with enough quarters on each side.

    ``series``: label -> series frame; ``specs``: label -> spec (or one spec for all), each
    dated at every intervention in turn (:func:`rasso_research.designs.base.at`). The
    feasibility table has one row per pair, fitted or not."""
    rows, fits = [], {}
    for label, s in series.items():
        spec = specs if isinstance(specs, ITSSpec) else specs[label]
        for name, q in interventions.items():
            sp = at(spec, q)
            since = last_break_before(sp, q)
            f = check_feasible(
                s, q, min_pre, min_post, excluded_periods(sp), label=label, since=since
            )
            rows.append(
                {
                    "series": label,
                    "first": str(s["quarter"].min()),
                    "last": str(s["quarter"].max()),
                    "interruption": name,
                    "quarter": str(quarter(q)),
                    "pre_from": since or str(s["quarter"].min()),
                    "n_pre": f.n_pre,
                    "n_post": f.n_post,
                    "feasible": f.ok,
                    "message": f.message,
                }
            )
            if f:
                fits[(label, name)] = fit_series(
                    s, sp, horizons, end=True, series=label, intervention=name
                )
    return NationalITS(fits, pd.DataFrame(rows), dict(series), min_pre, min_post)


def compare(fits: Mapping[object, SeriesITS], by: str) -> pd.DataFrame:
    """One row per choice (the keys of ``fits``, in column ``by``) and horizon: quarters before
    the interruption and the effect with its CI, for :func:`describe_sensitivity`."""
    rows = []
    for choice, fit in fits.items():
        n_pre = int(fit.diagnostics()["n_pre"].iloc[0])
        for _, e in fit.effects().iterrows():
            rows.append(
                {
                    by: choice,
                    "n_pre": n_pre,
                    "horizon": int(e["horizon"]),
                    **{c: float(e[c]) for c in PCT},
                }
            )
    return pd.DataFrame(rows)


def slope_effects(params: pd.DataFrame, effects: pd.DataFrame, focus: str = FOCUS) -> pd.DataFrame:
    """The focus slope change of each fit as % per quarter, with its 95% CI, from the saved
    ``params`` and ``effects`` tables: the rate ratio minus one on log-link models; on linear
    models the slope over the counterfactual level at the date (that level taken as fixed),
    ``basis`` says which. Rows follow ``effects``' order of series and intervention."""
    keys = [c for c in ("series", "intervention", "interruption") if c in effects and c in params]
    slope = params[params["term"] == f"slope_{focus}"]
    at0 = effects[effects["horizon"] == 0][[*keys, "counterfactual"]]
    d = slope.merge(at0, on=keys, how="inner", validate="one_to_one")
    log = d["family"].isin(LOG_FAMILIES)
    out = d[list(dict.fromkeys([*keys, "family"]))].copy()
    for col, coef in zip(PCT, ("estimate", "ci_low", "ci_high"), strict=True):
        out[col] = np.where(log, 100 * np.expm1(d[coef]), 100 * d[coef] / d["counterfactual"])
    out["basis"] = np.where(log, "rate ratio - 1", "slope / counterfactual at the date")
    order = effects[keys].drop_duplicates().reset_index(drop=True).reset_index()
    return (
        order.merge(out, on=keys).sort_values("index").drop(columns="index").reset_index(drop=True)
    )
