"""Specification curve: one ITS estimate per combination of defensible modelling choices.

Modelling choices (the curve): model family and errors (quasi-Poisson with offset or OLS on the
rate, each with AR(2) errors by REML and bootstrap intervals, or with Newey-West errors),
seasonality (none / quarter dummies / one Fourier harmonic), start quarter, the R v Allan break
(its own segment, or ignored, for series that start before it), Covid-19 quarters (one shared
indicator / each excluded), phase-in (0 / 1 quarter) and, when several series are given, the
series itself (e.g. the charge-rate denominator). Moving the interruption date changes the
estimand, not the model, so date shifts are a separate curve (``shifts``) with every modelling
choice at its default. Each row of the grid is turned into an
:class:`~rasso_research.its.ITSSpec` from a base spec; the estimand is the relative change (%)
``horizon`` quarters after the interruption; a specification whose counterfactual is not bounded
away from zero (a linear trend extrapolated to or below zero) has no relative change and is
reported as not fitted, with the reason. :func:`variance_decomposition` says which choice
moves the estimate most. Fits run in parallel with joblib; rows come back in the grid's order.

The ``model`` choice mixes two things: the family and the errors, i.e. the inference method
(AR errors with the percentile-t bootstrap, the package's default, or Newey-West, which
under-covers in series this short: docs/METHODS.md). :func:`by_method` counts the fitted,
not-estimable and significant specifications per method and family; :func:`not_estimable`
lists the specifications without a relative change, each with its reason
(:func:`not_estimable_reasons` counts them by reason and model).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from tqdm import tqdm

from rasso_research.constants import FOCUS
from rasso_research.its import Interruption, ITSSpec
from rasso_research.periods import quarter

from .base import (
    COVID_DAYS,
    INCOMPLETE,
    DesignResult,
    at,
    covid_disrupted,
    disrupted_periods,
    focus_index,
    focus_quarter,
    jobs,
)
from .national_its import fit_series

#: Model families of the curve: label -> ITSSpec fields.
MODELS = {
    "quasi-Poisson, AR errors": {"family": "quasipoisson", "cov_type": "AR"},
    "quasi-Poisson, Newey-West": {"family": "quasipoisson", "cov_type": "HAC"},
    "OLS, AR errors": {"family": "ols", "cov_type": "AR"},
    "OLS, Newey-West": {"family": "ols", "cov_type": "HAC"},
}
#: The errors (inference method) of each model's ``cov_type``, in the order they are reported.
ERRORS = {"AR": "AR errors (bootstrap)", "HAC": "Newey-West"}
#: The family of each model's ``family``, in the order they are reported.
FAMILIES = {"quasipoisson": "quasi-Poisson", "ols": "OLS"}
#: Why a specification has no relative change (the ``reason`` of :func:`not_estimable`):
#: the counterfactual at or below zero, or above zero but not significantly (its CI at the
#: fit's critical value reaches zero, so the relative change's Fieller interval is unbounded).
UNDEFINED = "relative change undefined"
REASONS = {
    "at_or_below_0": "counterfactual at or below 0",
    "interval_reaches_0": "counterfactual's CI reaches 0",
}
#: Seasonality choices: label -> ``ITSSpec.season``.
SEASONS = {"none": None, "quarter": "quarter", "fourier": ("fourier", 1, 4)}
#: Meaning of each grid column (the figure's legend and the notebook's text use it).
CHOICES = {
    "series": "the series modelled (e.g. the charge-rate denominator)",
    "model": "model family and standard errors",
    "seasonality": "seasonal terms",
    "start": "first quarter of the series",
    "allan": "R v Allan: its own segment, or ignored (series starting before it)",
    "covid": "Covid-19: lockdown days as a covariate, the quarters as one shared indicator, "
    "or each quarter excluded",
    "phase_in": "quarters after the interruption left out as a transition",
    "shift": "interruption moved by this many quarters (the date curve only)",
}
#: The modelling choices, whose combinations form the curve (``shift`` is not one of them).
MODEL_CHOICES = [c for c in CHOICES if c != "shift"]

DEFAULT_GRID = {
    "series": [None],  # None: the one series given
    "model": list(MODELS),
    "seasonality": list(SEASONS),
    "start": [None],  # None: the first quarter of the series
    "allan": ["segment", "none"],
    "covid": ["days", "indicator", "exclude"],
    "phase_in": [0, 1],
    "shift": [0],
}
#: Interruption moves of the date curve (quarters).
SHIFTS = (-2, -1, 0, 1, 2)
#: The ``allan`` value of a specification whose series starts after the break (no choice).
AFTER_BREAK = "after the break"


def default_row(grid: pd.DataFrame, base: ITSSpec, covid: str | None = None) -> pd.DataFrame:
    """The grid row of the analysis default, for the date curve: seasonality as in ``base``
    and Covid-19 handling ``covid`` (default: as in ``base``'s indicators) where the grid has
    them, the R v Allan segment, no phase-in, and the first grid value of every other choice
    (the first series, model and start)."""
    season = next((k for k, v in SEASONS.items() if v == base.season), None)
    d = base.disrupted
    if covid is None:
        covid = "indicator" if isinstance(d, Mapping) else "exclude" if d else None
    want = {"seasonality": season, "covid": covid, "allan": "segment", "phase_in": 0}
    g = grid
    for col, v in want.items():
        if v is not None and (g[col] == v).any():
            g = g[g[col] == v]
    return g.drop(columns="spec_id").iloc[[0]]


def spec_grid(grid: dict | None = None) -> pd.DataFrame:
    """Cartesian product of ``grid`` (default :data:`DEFAULT_GRID`), in a fixed order, with ``spec_id``."""
    grid = {**DEFAULT_GRID, **(grid or {})}
    keys = list(DEFAULT_GRID)
    rows = list(itertools.product(*(grid[k] for k in keys)))
    df = pd.DataFrame(rows, columns=keys)
    df.insert(0, "spec_id", range(1, len(df) + 1))
    return df


def spec_for(row, base: ITSSpec, breaks: Sequence[Interruption] = ()) -> ITSSpec:
    """The ITSSpec of one grid row: ``base`` (dated at the unshifted interruption, its
    ``disrupted`` the Covid-19 quarters) with the row's family, seasonality, Covid handling
    (``"days"``: the series' :data:`COVID_DAYS` column as a covariate), phase-in and shifted
    date; each documented break in ``breaks`` is added when the row's start is before it (and
    so its segment is in the data) unless the row's ``allan`` is ``"none"``."""
    q0 = quarter(focus_quarter(base)) + int(row.get("shift", 0))
    covs = tuple(c for c in base.covariates if c != COVID_DAYS)
    if row["covid"] == "days":
        dis, covs = None, (*covs, COVID_DAYS)
    else:
        dis = covid_disrupted(row["covid"], disrupted_periods(base))
    keep = [b for b in breaks if quarter(row["start"]) < quarter(b.at)]
    if row.get("allan", "segment") == "none":
        keep = []
    others = [x for x in base.interruptions if x.name != FOCUS and x not in breaks]
    sp = base.replace(
        **MODELS[row["model"]],
        season=SEASONS[row["seasonality"]],
        disrupted=dis,
        covariates=covs,
        interruptions=tuple(others + keep + [base.interruptions[focus_index(base)]]),
    )
    return at(sp, str(q0), phase_in=int(row["phase_in"]))


def _head(row: dict, spec: ITSSpec) -> dict:
    segs = [str(quarter(x.at)) for x in spec.interruptions if x.name != FOCUS]
    return {
        "spec_id": int(row["spec_id"]),
        "interruption": focus_quarter(spec),
        "segments": ";".join(segs) or "none",
    }


def _fit_one(s, row: dict, base: ITSSpec, horizon: int, breaks) -> dict:
    """One specification by the reference path: its spec, ``fit_series`` and the effect."""
    spec = spec_for(row, base, breaks)
    s = s[row["series"]] if isinstance(s, Mapping) else s
    d = s[s["quarter"] >= quarter(row["start"])].reset_index(drop=True)
    if INCOMPLETE in spec.covariates and not d[INCOMPLETE].any():
        # a later start leaves out every quarter the covariate marks
        spec = spec.replace(covariates=tuple(c for c in spec.covariates if c != INCOMPLETE))
    out = _head(row, spec)
    try:
        fit = fit_series(d, spec, horizons=(horizon,))
        e = fit.result.effects(horizons=(horizon,))
        e = e[e["interruption"] == FOCUS].iloc[0]
        dg = fit.counts()
    except (ValueError, np.linalg.LinAlgError) as exc:
        return {**out, "ok": False, "error": str(exc)}
    return _result(out, e, dg, fit.result.ci_method)


def _result(out: dict, e, dg, ci_method: str) -> dict:
    """The curve's row of a fitted specification: ``e`` its effect (``rel_diff`` and the
    interval of the relative change, ``counterfactual``), ``dg`` its quarter counts."""
    cf = float(e["counterfactual"])
    bounded = cf > 0 and np.isfinite(e["rel_ci_low"]) and np.isfinite(e["rel_ci_high"])
    why = REASONS["at_or_below_0" if cf <= 0 else "interval_reaches_0"]
    return {
        **out,
        # a relative change is undefined where the counterfactual is not bounded away from 0:
        # a linear trend extrapolated to or below zero, or above zero with a CI reaching it
        # (the Fieller interval is then unbounded); the reason says which (REASONS)
        "ok": bool(bounded),
        "error": "" if bounded else f"{UNDEFINED}: {why} ({cf:.3g})",
        "counterfactual": cf,
        "n": int(dg["n"]),
        "n_pre": int(dg["n_pre"]),
        "n_post": int(dg["n_post"]),
        "ci_method": ci_method,
        "estimate": 100 * float(e["rel_diff"]),
        "ci_low": 100 * float(e["rel_ci_low"]),
        "ci_high": 100 * float(e["rel_ci_high"]),
    }


def _engine_rows(s, rows: list[dict], base: ITSSpec, horizon: int, breaks) -> list[dict]:
    """The rows by the multiverse engine (:mod:`.multiverse`), each row it does not cover by
    the reference path (:func:`_fit_one`)."""
    from . import multiverse

    def finish(row, fit):
        out = {"spec_id": int(row["spec_id"])}
        out.update(interruption=fit["interruption"], segments=fit["segments"])
        return _result(out, fit, fit, fit["ci_method"])

    return multiverse.fit_rows(
        s,
        rows,
        base,
        horizon,
        tuple(breaks),
        MODELS,
        SEASONS,
        fallback=lambda row: _fit_one(s, row, base, horizon, breaks),
        finish=finish,
    )


@dataclass
class SpecCurve(DesignResult):
    """The fitted curve over the modelling choices (one row per specification, grid order),
    the date curve (``dates``: the interruption moved, every modelling choice at its default)
    and their summaries."""

    effect_columns = ("spec_id", "estimate", "ci_low", "ci_high", "significant")
    table_methods = {
        "": "effects",
        "summary": "table",
        "variance": "variance",
        "dates": "date_curve",
        "methods": "methods",
        "not_estimable": "not_estimable",
        "not_estimable_reasons": "not_estimable_reasons",
    }

    curve: pd.DataFrame
    dates: pd.DataFrame = field(default_factory=pd.DataFrame)

    def effects(self) -> pd.DataFrame:
        return self.curve

    def table(self) -> pd.DataFrame:
        return summarise_curve(self.curve)

    def variance(self) -> pd.DataFrame:
        return variance_decomposition(self.curve)

    def date_curve(self) -> pd.DataFrame:
        """The date curve: the estimate with the interruption moved (``dates``)."""
        return self.dates

    def methods(self) -> pd.DataFrame:
        """The curve per inference method and family (:func:`by_method`)."""
        return by_method(self.curve)

    def not_estimable(self) -> pd.DataFrame:
        """The specifications without a relative change, with the reason (:func:`not_estimable`)."""
        return not_estimable(self.curve)

    def not_estimable_reasons(self) -> pd.DataFrame:
        """How many specifications are not estimable, by reason and model
        (:func:`not_estimable_reasons`)."""
        return not_estimable_reasons(self.curve)


#: How the curve's specifications are fitted: "engine" (:mod:`.multiverse`, one numeric design
#: per series and start, compiled AR-errors kernels; equal to the reference to 1e-10 in
#: ``tests/designs/test_multiverse.py``) or "reference" (``fit_series`` per specification).
ENGINES = ("engine", "reference")
DEFAULT_ENGINE = "engine"


def fit_specs(s, rows: list[dict], base: ITSSpec, horizon: int, breaks, engine) -> list[dict]:
    """One result dict per row of :func:`curve_grid` (by ``engine``), in the rows' order."""
    if engine == "engine":
        return _engine_rows(s, rows, base, horizon, breaks)
    return [_fit_one(s, r, base, horizon, breaks) for r in rows]


def _run(s, rows, base, horizon, breaks, n_jobs, progress=None, engine=None) -> pd.DataFrame:
    n_jobs = jobs(n_jobs)
    engine = engine or DEFAULT_ENGINE
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}; got {engine!r}")
    # a progress bar on a terminal (tqdm turns itself off where output is not a terminal,
    # e.g. in a notebook run by papermill; progress=False turns it off everywhere)
    bar = tqdm(
        total=len(rows), desc="specifications", unit="spec", disable=None if progress else True
    )
    # rows go to the workers in a few chunks, so the series are sent a few times, not per row
    size = max(1, -(-len(rows) // (4 * n_jobs)))
    chunks = [list(rows[i : i + size]) for i in range(0, len(rows), size)]
    if n_jobs == 1:
        parts = (fit_specs(s, c, base, horizon, tuple(breaks), engine) for c in chunks)
    else:
        from joblib import Parallel, delayed

        parts = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(fit_specs)(s, c, base, horizon, tuple(breaks), engine) for c in chunks
        )
    res = []
    for part in parts:
        res += part
        bar.update(len(part))
    bar.close()
    return frame_results(res)


def frame_results(res: list[dict]) -> pd.DataFrame:
    """Result dicts as one frame, with the numeric columns a chunk of failures lacks."""
    res = pd.DataFrame(res)
    for c in ("counterfactual", "n", "n_pre", "n_post", "estimate", "ci_low", "ci_high"):
        if c not in res.columns:
            res[c] = np.nan
    return res


def finish_curve(g: pd.DataFrame, res: pd.DataFrame) -> pd.DataFrame:
    """The grid ``g`` joined to its results: significance and rank by estimate."""
    out = g.merge(res, on="spec_id", how="left")
    # only a fitted specification can be significant (a counterfactual significantly below 0
    # gives a bounded Fieller interval of the ratio, below -100%, that means nothing)
    out["significant"] = out["ok"] & ((out["ci_low"] > 0) | (out["ci_high"] < 0))
    out["rank"] = out["estimate"].rank(method="first").astype("Int64")
    return out


def curve_grid(
    s: pd.DataFrame | Mapping[str, pd.DataFrame],
    grid: dict | None = None,
    breaks: Sequence[Interruption] = (),
) -> pd.DataFrame:
    """The specifications :func:`fit_spec_curve` fits for series ``s`` (one frame, or
    ``label -> series``), one row each with its ``spec_id``: ``grid`` over the defaults,
    starts resolved to the series' first quarter, and the ``allan`` choices that make no
    difference after every break dropped or named so."""
    many = isinstance(s, Mapping)
    grid = {**(grid or {})}
    if "days" in grid.get("covid", DEFAULT_GRID["covid"]):
        for k, v in s.items() if many else [("the series", s)]:
            if COVID_DAYS not in v.columns:
                raise ValueError(
                    f"{k}: covid='days' needs the {COVID_DAYS!r} column; join it with "
                    "designs.base.with_covid(series, spec, 'days', timeline.lockdown_days())"
                )
    first_q = {k: str(v["quarter"].min()) for k, v in (s.items() if many else [(None, s)])}
    if many:
        grid.setdefault("series", list(s))
    g = spec_grid(grid)
    g["start"] = [
        first_q[k if many else None] if x is None or pd.isna(x) else str(x)
        for k, x in zip(g["series"], g["start"], strict=True)
    ]
    if not many:
        g["series"] = None
    last_break = max((quarter(b.at) for b in breaks), default=None)
    after = np.array([last_break is None or quarter(x) >= last_break for x in g["start"]])
    moot = (g["allan"] == "none").to_numpy() & after
    g = g[~moot].reset_index(drop=True)
    g.loc[after[~moot] & (g["allan"] == "segment").to_numpy() & bool(breaks), "allan"] = AFTER_BREAK
    g["spec_id"] = range(1, len(g) + 1)
    return g


def fit_spec_curve(
    s: pd.DataFrame | Mapping[str, pd.DataFrame],
    base: ITSSpec,
    grid: dict | None = None,
    horizon: int = 0,
    breaks: Sequence[Interruption] = (),
    n_jobs: int | None = None,
    shifts: Sequence[int] | None = SHIFTS,
    progress: bool = True,
    default_covid: str | None = None,
    engine: str | None = None,
) -> SpecCurve:
    """Fit every spec of ``grid`` to series ``s`` (or, given ``label -> series``, to each
    series as the ``series`` choice); one row per spec with estimate and CI.

    ``base`` fixes the interruption (named ``main``), the Covid-19 quarters (its ``disrupted``)
    and the rate scale; ``breaks`` are documented extra segments added for specs whose start is
    before them (``allan="segment"``); where the start is after every break the ``allan``
    choice makes no difference: those rows say ``"after the break"``. ``shifts``: the date
    curve, every modelling choice at the base spec's (:func:`default_row`; ``None``: none). ``n_jobs`` workers
    (default :func:`jobs`: 1, in this process, as ``make -j2`` already uses both cores, or
    ``RASSO_N_JOBS``); ``progress``: a progress bar when run from a terminal;
    ``default_covid``: the Covid-19 choice of the date curve (default: ``base``'s);
    ``engine``: :data:`ENGINES` (default :data:`DEFAULT_ENGINE`).
    A grid with ``covid="days"`` needs the :data:`COVID_DAYS` column in every series
    (:func:`rasso_research.designs.base.with_covid`)."""
    g = curve_grid(s, grid, breaks)
    run = dict(base=base, horizon=horizon, breaks=breaks, n_jobs=n_jobs, engine=engine)
    out = finish_curve(g, _run(s, g.to_dict("records"), progress=progress, **run))
    dates = pd.DataFrame()
    if shifts is not None:
        d0 = default_row(g, base, default_covid).drop(columns="shift")
        dg = d0.merge(pd.DataFrame({"shift": list(shifts)}), how="cross")
        dg.insert(0, "spec_id", range(1, len(dg) + 1))
        dates = finish_curve(dg, _run(s, dg.to_dict("records"), progress=False, **run))
    return SpecCurve(out, dates)


def _additive(ok: pd.DataFrame, factors: Sequence[str]):
    """The additive OLS of ``y`` on the factors (statsmodels formula API)."""
    return smf.ols("y ~ " + " + ".join(f"C({c})" for c in factors), data=ok).fit()


def variance_decomposition(curve: pd.DataFrame) -> pd.DataFrame:
    """Which modelling choice moves the estimate most. The log effect ratio
    (``log(1 + estimate/100)``) of the estimable specifications is regressed on the choices
    that vary (additive OLS, statsmodels); each choice's ``share_pct`` is its Shapley share of
    the R-squared (the gain from adding it, averaged over every order of adding the choices:
    Lindeman, Merenda & Gold 1980), so the shares add up to the R-squared even where the grid
    is unbalanced, and the rest is the interactions (``interactions (residual)``). The start
    quarter and the R v Allan choice are one factor (a series starting after the break has no
    Allan choice). ``range_pct``: the spread of the choice's levels' mean effects (%), each
    mean taken over the other choices' observed values with the additive model (marginal
    standardisation)."""
    ok = curve[curve["ok"] & (curve["estimate"] > -100)].copy()
    merged = {"start", "allan"} <= set(ok.columns)
    if merged:
        ok["start"] = ok["start"].astype(str) + ", R v Allan: " + ok["allan"].astype(str)
        ok = ok.drop(columns="allan")
    choices = [c for c in MODEL_CHOICES if c in ok and ok[c].astype(str).nunique() > 1]
    cols = ["choice", "meaning", "levels", "share_pct", "range_pct"]
    if len(ok) < 3 or not choices:
        return pd.DataFrame(columns=cols)
    ok["y"] = np.log1p(ok["estimate"] / 100)
    for c in choices:
        ok[c] = ok[c].astype(str)
    p = len(choices)
    r2 = {
        S: float(_additive(ok, S).rsquared) if S else 0.0
        for k in range(p + 1)
        for S in itertools.combinations(choices, k)
    }
    fit = _additive(ok, choices)
    rows = []
    for c in choices:
        others = [x for x in choices if x != c]
        share = 0.0
        for k in range(p):
            w = math.factorial(k) * math.factorial(p - k - 1) / math.factorial(p)
            for S in itertools.combinations(others, k):
                with_c = tuple(x for x in choices if x in S or x == c)
                share += w * (r2[with_c] - r2[S])
        means = [
            float(np.expm1(fit.predict(ok.assign(**{c: lv})).mean()))
            for lv in sorted(ok[c].unique())
        ]
        rows.append(
            {
                "choice": "start / R v Allan" if merged and c == "start" else c,
                "meaning": CHOICES[c]
                + (" and the R v Allan choice" if merged and c == "start" else ""),
                "levels": ok[c].nunique(),
                "share_pct": 100 * share,
                "range_pct": 100 * (max(means) - min(means)),
            }
        )
    rows.append(
        {
            "choice": "interactions (residual)",
            "meaning": "what the additive model leaves",
            "levels": np.nan,
            "share_pct": 100 * (1 - r2[tuple(choices)]),
            "range_pct": np.nan,
        }
    )
    out = pd.DataFrame(rows, columns=cols)
    head = out.iloc[:-1].sort_values("share_pct", ascending=False, kind="stable")
    return pd.concat([head, out.iloc[[-1]]], ignore_index=True)


def summarise_curve(curve: pd.DataFrame) -> pd.DataFrame:
    """One-row summary: specs fitted, median and range of estimates, share with CI excluding 0."""
    ok = curve[curve["ok"]]
    return pd.DataFrame(
        [
            {
                "specs": len(curve),
                "fitted": len(ok),
                "undefined": int(curve["error"].astype(str).str.startswith(UNDEFINED).sum()),
                "median_pct": float(ok["estimate"].median()),
                "min_pct": float(ok["estimate"].min()),
                "max_pct": float(ok["estimate"].max()),
                "share_negative": float((ok["estimate"] < 0).mean()),
                "share_ci_excludes_0": float(ok["significant"].mean()),
            }
        ]
    )


def inference(curve: pd.DataFrame) -> pd.DataFrame:
    """``curve`` with the two parts of its ``model`` choice as columns: ``errors`` (the
    inference method, :data:`ERRORS`) and ``family`` (:data:`FAMILIES`)."""
    spec = curve["model"].map(MODELS)
    if spec.isna().any():
        unknown = sorted(set(curve.loc[spec.isna(), "model"].astype(str)))
        raise ValueError(f"models not in spec_curve.MODELS: {unknown}")
    return curve.assign(
        errors=[ERRORS[m["cov_type"]] for m in spec],
        family=[FAMILIES[m["family"]] for m in spec],
    )


def by_method(curve: pd.DataFrame) -> pd.DataFrame:
    """The curve per inference method: for each ``errors`` (:func:`inference`), all families
    together (``family`` "all") and each family, the specifications (``specs``), how many
    were fitted (``fitted``: ``ok``), ``not_estimable``, how many fitted ones have a CI
    excluding 0 (``significant``), their share among the fitted (``share_significant``), the
    median estimate of the fitted (``median_pct``) and the interval method(s) of the fitted
    (``ci_method``)."""
    c = inference(curve)
    rows = []
    for errors in ERRORS.values():
        e = c[c["errors"] == errors]
        if e.empty:
            continue
        fams = [f for f in FAMILIES.values() if (e["family"] == f).any()]
        for family, d in [("all", e)] + [(f, e[e["family"] == f]) for f in fams]:
            ok = d[d["ok"].astype(bool)]
            sig = int(ok["significant"].astype(bool).sum())
            rows.append(
                {
                    "errors": errors,
                    "family": family,
                    "ci_method": ";".join(
                        sorted(ok.get("ci_method", pd.Series()).dropna().unique())
                    ),
                    "specs": len(d),
                    "fitted": len(ok),
                    "not_estimable": len(d) - len(ok),
                    "significant": sig,
                    "share_significant": sig / len(ok) if len(ok) else np.nan,
                    "median_pct": float(ok["estimate"].median()) if len(ok) else np.nan,
                }
            )
    return pd.DataFrame(rows)


def reason(error: str, counterfactual: float) -> str:
    """Why a specification is not estimable: for an undefined relative change, which of
    :data:`REASONS` (from the counterfactual's sign); else the error message itself."""
    error = "" if pd.isna(error) else str(error)
    if error.startswith(UNDEFINED):
        key = "at_or_below_0" if counterfactual <= 0 else "interval_reaches_0"
        return f"{UNDEFINED}: {REASONS[key]}"
    return error or "not fitted"


def not_estimable(curve: pd.DataFrame) -> pd.DataFrame:
    """The specifications that were not fitted (``ok`` false), in the curve's order: their
    choices, ``errors`` and ``family`` (:func:`inference`), the counterfactual where there is
    one, the ``reason`` (:func:`reason`) and the full ``error``."""
    c = inference(curve)
    bad = c[~c["ok"].astype(bool)]
    choices = [k for k in MODEL_CHOICES if k in bad.columns and k != "model"]
    cf = bad["counterfactual"] if "counterfactual" in bad else pd.Series(np.nan, bad.index)
    out = bad[["spec_id", "model", "errors", "family", *choices]].assign(
        counterfactual=cf,
        reason=[reason(e, x) for e, x in zip(bad["error"], cf, strict=True)],
        error=bad["error"],
    )
    return out.reset_index(drop=True)


def not_estimable_reasons(curve: pd.DataFrame) -> pd.DataFrame:
    """How many specifications are not estimable, by ``reason`` and ``model`` (with its
    ``errors`` and ``family``), with the share of that model's specifications
    (``share_of_model``), most frequent reason first."""
    bad = not_estimable(curve)
    cols = ["reason", "model", "errors", "family", "specs", "share_of_model"]
    if bad.empty:
        return pd.DataFrame(columns=cols)
    n = curve["model"].value_counts()
    out = bad.groupby(["reason", "model", "errors", "family"], sort=False).size()
    out = out.rename("specs").reset_index()
    out["share_of_model"] = out["specs"] / out["model"].map(n)
    total = out.groupby("reason")["specs"].transform("sum")
    order = out.assign(total=total).sort_values(["total", "specs"], ascending=False, kind="stable")
    return order[cols].reset_index(drop=True)
