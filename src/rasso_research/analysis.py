"""Model-ready series from the panel, feasibility checks and a small segmented-regression engine.

The panel (``data/processed/panel.parquet``) is long: one row per force x quarter x measure
(x source). This module turns it into one quarterly series (``quarter`` as a pandas Period,
``t`` = quarters since the first observation + 1, ``value``, optional offset columns), checks that
there are enough quarters on each side of an interruption, and fits segmented (interrupted
time-series) regressions under the specification choices used by the notebooks and the
specification curve (:mod:`rasso_research.sensitivity`):

* ``family``: ``"quasipoisson"`` (log link, offset, Pearson-scaled SEs), ``"ols_hac"`` (OLS on the
  rate with Newey-West SEs) or ``"arma"`` (log rate with AR(1) errors, SARIMAX);
* ``seasonality``: ``"none"``, ``"quarter"`` (dummies) or ``"fourier"`` (one annual harmonic);
* ``covid``: ``"indicator"`` (one dummy for the disrupted quarters), ``"exclude"`` or ``"none"``;
* ``phase_in``: quarters from the interruption dropped as a transition period;
* ``segments``: extra documented breaks (e.g. the early-2018 disclosure-failure drop).

The estimand reported everywhere is the relative change (%) at ``h`` quarters after the
interruption, fitted versus counterfactual (no interruption terms): ``h = 0`` is the level change.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from rasso_research import paths

NATIONAL = "England and Wales"
FAMILIES = ("quasipoisson", "ols_hac", "arma")
SEASONALITY = ("none", "quarter", "fourier")
COVID = ("indicator", "exclude", "none")
#: Early-2018 drop in police charges after the disclosure failures (R v Allan, December 2017).
ALLAN_QUARTER = "2018Q1"


# ---- panel and series ----------------------------------------------------------------------
def load_panel(path: str | Path | None = None) -> pd.DataFrame:
    """Read the processed panel (``data/processed/panel.parquet`` unless ``path``)."""
    path = Path(path) if path is not None else paths.DATA_PROCESSED / "panel.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `make data` first")
    df = pd.read_parquet(path)
    return df


def _q(x) -> pd.Period:
    """Anything quarter-like (``'2020Q3'``, ``'2020/21 Q2'``, Period, Timestamp) -> Period('Q')."""
    if isinstance(x, pd.Period):
        return x.asfreq("Q")
    s = str(x)
    if "/" in s:
        from rasso_research.periods import fiscal_to_calendar

        s = fiscal_to_calendar(s)
    return pd.Period(s, freq="Q")


def _pick_source(df: pd.DataFrame, source: str | None, what: str) -> pd.DataFrame:
    if "source" not in df.columns:
        return df
    if source is not None:
        out = df[df["source"] == source]
        if out.empty:
            raise ValueError(
                f"{what}: no rows from source {source!r}; have {sorted(df['source'].unique())}"
            )
        return out
    sources = df["source"].dropna().unique()
    if len(sources) > 1 and df.duplicated(["quarter"]).any():
        # Several sources cover the same quarters: keep the one covering most quarters.
        counts = (
            df.groupby("source")["quarter"].nunique().sort_values(ascending=False, kind="stable")
        )
        keep = counts.index[0]
        warnings.warn(
            f"{what}: several sources {sorted(sources)}; using {keep!r} (pass source= to choose)",
            stacklevel=3,
        )
        return df[df["source"] == keep]
    return df


def _raw(panel: pd.DataFrame, measure: str, force: str, source: str | None) -> pd.DataFrame:
    df = panel[(panel["measure"] == measure) & (panel["force"] == force)]
    if df.empty:
        raise ValueError(f"no data for measure {measure!r} and force {force!r}")
    df = df.assign(quarter=df["quarter"].map(_q))
    df = _pick_source(df, source, f"{measure} / {force}")
    df = df.dropna(subset=["value"]).groupby("quarter", as_index=False)["value"].sum(min_count=1)
    return df.sort_values("quarter").reset_index(drop=True)


def series(
    panel: pd.DataFrame,
    measure: str,
    force: str = NATIONAL,
    source: str | None = None,
    start=None,
    end=None,
    offset: str | None = None,
    offset_fill: str = "none",
) -> pd.DataFrame:
    """One quarterly series: columns ``quarter`` (Period), ``t``, ``value`` (+ offset columns).

    ``offset`` names another measure of the same force (e.g. ``"population"`` or
    ``"recorded_rape"``); see :func:`with_offset`. ``start``/``end`` are inclusive quarters.
    """
    df = _raw(panel, measure, force, source)
    if start is not None:
        df = df[df["quarter"] >= _q(start)]
    if end is not None:
        df = df[df["quarter"] <= _q(end)]
    df = df.reset_index(drop=True)
    if df.empty:
        raise ValueError(f"{measure!r} / {force!r}: no quarters between {start} and {end}")
    df.attrs.update(measure=measure, force=force)
    if offset is not None:
        df = with_offset(df, panel, offset, force=force, fill=offset_fill)
    return _add_t(df)


def _add_t(df: pd.DataFrame) -> pd.DataFrame:
    q0 = df["quarter"].min()
    out = df.copy()
    out["t"] = [(q - q0).n + 1 for q in out["quarter"]]
    cols = ["quarter", "t", "value"] + [
        c for c in out.columns if c not in ("quarter", "t", "value")
    ]
    out = out[cols]
    out.attrs = dict(df.attrs)
    return out


def with_offset(
    s: pd.DataFrame,
    panel: pd.DataFrame,
    measure: str,
    force: str | None = None,
    source: str | None = None,
    fill: str = "none",
) -> pd.DataFrame:
    """Add ``offset`` (the denominator) and ``log_offset`` from measure ``measure``.

    ``fill="interpolate"`` fills quarters without the denominator by log-linear interpolation
    inside its range and the nearest value outside (for slowly moving population); the number of
    filled quarters is stored in ``attrs["offset_filled"]``. Quarters still without an offset
    are dropped (``attrs["offset_dropped"]``).
    """
    force = force or s.attrs.get("force", NATIONAL)
    den = _raw(panel, measure, force, source).rename(columns={"value": "offset"})
    out = s.drop(columns=[c for c in ("offset", "log_offset") if c in s.columns])
    out = out.merge(den, on="quarter", how="left")
    filled = 0
    if fill == "interpolate" and out["offset"].isna().any() and out["offset"].notna().any():
        allq = pd.period_range(
            min(out["quarter"].min(), den["quarter"].min()),
            max(out["quarter"].max(), den["quarter"].max()),
            freq="Q",
        )
        full = den.set_index("quarter")["offset"].reindex(allq)
        logv = np.log(full.astype(float)).interpolate(limit_area="inside").ffill().bfill()
        filled = int(out["offset"].isna().sum())
        out["offset"] = out["offset"].fillna(out["quarter"].map(np.exp(logv)))
    elif fill not in ("none", "interpolate"):
        raise ValueError(f"fill must be 'none' or 'interpolate', got {fill!r}")
    dropped = int(out["offset"].isna().sum())
    out = out.dropna(subset=["offset"])
    out = out[out["offset"] > 0].reset_index(drop=True)
    out["log_offset"] = np.log(out["offset"].astype(float))
    out.attrs = dict(s.attrs)
    out.attrs.update(offset_measure=measure, offset_filled=filled, offset_dropped=dropped)
    return out


# ---- coverage and feasibility --------------------------------------------------------------
def coverage(panel: pd.DataFrame) -> pd.DataFrame:
    """Per measure (and source): number of forces, first/last quarter, quarters, rows."""
    df = panel.assign(quarter=panel["quarter"].map(_q))
    keys = ["measure", "source"] if "source" in df.columns else ["measure"]
    g = df.dropna(subset=["value"]).groupby(keys)
    out = pd.DataFrame(
        {
            "forces": g["force"].apply(
                lambda f: int((f != NATIONAL).any() and f[f != NATIONAL].nunique())
            ),
            "national": g["force"].apply(lambda f: bool((f == NATIONAL).any())),
            "first": g["quarter"].min().astype(str),
            "last": g["quarter"].max().astype(str),
            "quarters": g["quarter"].nunique(),
            "rows": g.size(),
        }
    )
    return out.reset_index()


def coverage_around(s: pd.DataFrame, interruption, exclude: Iterable = ()) -> tuple[int, int]:
    """Quarters with data before and from ``interruption`` on (``exclude``: quarters not counted)."""
    q0 = _q(interruption)
    excl = {_q(x) for x in exclude}
    q = s.loc[s["value"].notna(), "quarter"]
    q = q[~q.isin(excl)]
    return int((q < q0).sum()), int((q >= q0).sum())


@dataclass(frozen=True)
class Feasibility:
    """Result of :func:`check_its_feasible`; truthy when the model can be fitted."""

    ok: bool
    n_pre: int
    n_post: int
    message: str

    def __bool__(self) -> bool:
        return self.ok


def check_its_feasible(
    s: pd.DataFrame,
    interruption,
    min_pre: int = 8,
    min_post: int = 8,
    exclude: Iterable = (),
    label: str | None = None,
) -> Feasibility:
    """Are there at least ``min_pre`` quarters before and ``min_post`` from the interruption?"""
    n_pre, n_post = coverage_around(s, interruption, exclude)
    label = label or s.attrs.get("measure", "series")
    where = f"{label}, interruption {_q(interruption)}"
    if n_pre >= min_pre and n_post >= min_post:
        return Feasibility(
            True, n_pre, n_post, f"{where}: {n_pre} quarters before, {n_post} from it: OK"
        )
    short = []
    if n_pre < min_pre:
        short.append(f"{n_pre} quarters before (need {min_pre})")
    if n_post < min_post:
        short.append(f"{n_post} quarters from it (need {min_post})")
    return Feasibility(False, n_pre, n_post, f"{where}: too short for ITS: " + ", ".join(short))


# ---- segmented regression ------------------------------------------------------------------
@dataclass(frozen=True)
class ModelSpec:
    """One specification of a segmented regression (see the module docstring)."""

    interruption: str
    family: str = "quasipoisson"
    seasonality: str = "quarter"
    covid: str = "indicator"
    covid_quarters: tuple[str, ...] = ()
    phase_in: int = 0
    segments: tuple[str, ...] = ()
    hac_lags: str | int = "nw"
    extra_interruptions: tuple[str, ...] = ()
    rate_scale: float = 1.0
    horizons: tuple[int, ...] = (0, 4, 8)

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, got {self.family!r}")
        if self.seasonality not in SEASONALITY:
            raise ValueError(f"seasonality must be one of {SEASONALITY}, got {self.seasonality!r}")
        if self.covid not in COVID:
            raise ValueError(f"covid must be one of {COVID}, got {self.covid!r}")

    def shifted(self, k: int) -> ModelSpec:
        """The same spec with the interruption moved by ``k`` quarters."""
        return replace(self, interruption=str(_q(self.interruption) + k))


def hac_maxlags(n: int, rule: str | int = "nw") -> int:
    """HAC lag: ``"nw"`` = floor(4 (n/100)^(2/9)) (Newey-West 1994), ``"year"`` = 4, or an int."""
    if isinstance(rule, int | np.integer):
        return int(rule)
    if rule == "nw":
        return max(1, math.floor(4 * (n / 100) ** (2 / 9)))
    if rule == "year":
        return 4
    raise ValueError(f"unknown HAC lag rule {rule!r}")


def _break_cols(name: str, quarters: pd.Series, at: pd.Period) -> dict[str, np.ndarray]:
    d = np.array([(q - at).n for q in quarters])
    return {
        f"{name}_level": (d >= 0).astype(float),
        f"{name}_slope": np.where(d >= 0, d, 0).astype(float),
    }


def design_matrix(quarters: Sequence, spec: ModelSpec, q_first) -> pd.DataFrame:
    """Regressors for ``quarters``: const, t, seasonality, covid, segments, interruptions."""
    qs = pd.Series([_q(q) for q in quarters])
    q_first = _q(q_first)
    X = {"const": np.ones(len(qs)), "t": np.array([(q - q_first).n + 1 for q in qs], float)}
    if spec.seasonality == "quarter":
        for k in (2, 3, 4):
            X[f"q{k}"] = (qs.map(lambda p: p.quarter) == k).to_numpy(float)
    elif spec.seasonality == "fourier":
        ang = 2 * np.pi * qs.map(lambda p: p.quarter).to_numpy(float) / 4
        X["sin4"], X["cos4"] = np.sin(ang), np.cos(ang)
    if spec.covid == "indicator" and spec.covid_quarters:
        X["covid"] = qs.isin({_q(c) for c in spec.covid_quarters}).to_numpy(float)
    for i, seg in enumerate(spec.segments):
        X.update(_break_cols(f"seg{i}", qs, _q(seg)))
    for i, extra in enumerate(spec.extra_interruptions):
        X.update(_break_cols(f"int{i + 1}", qs, _q(extra) + spec.phase_in))
    X.update(_break_cols("int0", qs, _q(spec.interruption) + spec.phase_in))
    return pd.DataFrame(X)


def _prepare(s: pd.DataFrame, spec: ModelSpec) -> pd.DataFrame:
    d = s.dropna(subset=["value"]).copy()
    if spec.covid == "exclude" and spec.covid_quarters:
        d = d[~d["quarter"].isin({_q(c) for c in spec.covid_quarters})]
    if spec.phase_in:
        q0 = _q(spec.interruption)
        drop = {q0 + k for k in range(spec.phase_in)}
        for e in spec.extra_interruptions:
            drop |= {_q(e) + k for k in range(spec.phase_in)}
        d = d[~d["quarter"].isin(drop)]
    return d.reset_index(drop=True)


@dataclass
class SegmentedFit:
    """A fitted segmented regression: tidy ``params``, ``effects``, ``diagnostics`` and the fit."""

    spec: ModelSpec
    data: pd.DataFrame
    params: pd.DataFrame
    effects: pd.DataFrame
    diagnostics: dict
    fitted: pd.DataFrame = field(repr=False)
    result: object = field(repr=False, default=None)


def _linear_response(spec: ModelSpec, y: pd.Series, d: pd.DataFrame) -> np.ndarray:
    has_off = "log_offset" in d.columns
    if spec.family == "ols_hac":
        return (y / d["offset"] * spec.rate_scale).to_numpy(float) if has_off else y.to_numpy(float)
    return np.log(y / d["offset"]).to_numpy(float) if has_off else np.log(y.to_numpy(float))


def fit_segmented(s: pd.DataFrame, spec: ModelSpec, q_first=None) -> SegmentedFit:
    """Fit ``spec`` to series ``s`` (from :func:`series`); see the module docstring."""
    import statsmodels.api as sm
    from statsmodels.stats.diagnostic import acorr_ljungbox
    from statsmodels.stats.stattools import durbin_watson

    d = _prepare(s, spec)
    q_first = _q(q_first) if q_first is not None else s["quarter"].min()
    X = design_matrix(d["quarter"], spec, q_first)
    X = X.loc[:, (X != 0).any(axis=0) | (X.columns == "const")]
    n, k = X.shape
    if n <= k + 2:
        raise ValueError(f"{n} observations for {k} parameters: too few to fit")
    has_off = "log_offset" in d.columns
    y = d["value"].astype(float)
    diag: dict = {"n": n, "k": k, "family": spec.family}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if spec.family == "quasipoisson":
            off = d["log_offset"].to_numpy(float) if has_off else None
            res = sm.GLM(y.to_numpy(), X, family=sm.families.Poisson(), offset=off).fit(scale="X2")
            resid = res.resid_pearson
            diag["dispersion"] = float(res.scale)
            df_resid = res.df_resid
        elif spec.family == "ols_hac":
            lags = hac_maxlags(n, spec.hac_lags)
            res = sm.OLS(_linear_response(spec, y, d), X).fit(
                cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True
            )
            resid = res.resid
            diag["hac_maxlags"] = lags
            df_resid = res.df_resid
        else:
            from statsmodels.tsa.statespace.sarimax import SARIMAX

            mod = SARIMAX(_linear_response(spec, y, d), exog=X, order=(1, 0, 0), trend="n")
            res = mod.fit(disp=False, maxiter=200)
            resid = res.resid[1:]
            diag["ar1"] = float(res.params["ar.L1"])
            df_resid = n - k - 1
    params = pd.DataFrame({"estimate": res.params, "se": res.bse})
    params = params.loc[[c for c in X.columns if c in params.index]]
    tcrit = float(__import__("scipy").stats.t.ppf(0.975, max(df_resid, 1)))
    params["ci_low"] = params["estimate"] - tcrit * params["se"]
    params["ci_high"] = params["estimate"] + tcrit * params["se"]
    params["p"] = 2 * __import__("scipy").stats.t.sf(
        np.abs(params["estimate"] / params["se"]), max(df_resid, 1)
    )
    params.index.name = "term"
    params = params.reset_index()
    cov = pd.DataFrame(
        np.asarray(res.cov_params()), index=res.params.index, columns=res.params.index
    )
    diag["dw"] = float(durbin_watson(resid))
    lb_lag = min(4, max(1, len(resid) // 5))
    diag["ljungbox_p"] = float(acorr_ljungbox(resid, lags=[lb_lag])["lb_pvalue"].iloc[0])
    diag["aic"] = float(res.aic) if np.isfinite(getattr(res, "aic", np.nan)) else np.nan
    n_pre, n_post = coverage_around(d, _q(spec.interruption) + spec.phase_in)
    diag.update(n_pre=n_pre, n_post=n_post)

    lin = (
        X.to_numpy() @ params.set_index("term")["estimate"].reindex(X.columns).fillna(0).to_numpy()
    )
    int_cols = [c for c in X.columns if c.startswith("int")]
    Xcf = X.copy()
    Xcf[int_cols] = 0.0
    lin_cf = (
        Xcf.to_numpy()
        @ params.set_index("term")["estimate"].reindex(X.columns).fillna(0).to_numpy()
    )
    if spec.family == "ols_hac":
        fit_v, cf_v = lin, lin_cf
    else:
        fit_v, cf_v = np.exp(lin), np.exp(lin_cf)
    fitted = pd.DataFrame(
        {
            "quarter": d["quarter"],
            "observed": _linear_observed(spec, y, d),
            "fitted": fit_v,
            "counterfactual": cf_v,
        }
    )
    fitted.loc[fitted["quarter"] < _q(spec.interruption), "counterfactual"] = np.nan

    effects = _effects(spec, params, cov, X.columns, q_first, tcrit)
    return SegmentedFit(spec, d, params, effects, diag, fitted, res)


def _linear_observed(spec: ModelSpec, y: pd.Series, d: pd.DataFrame) -> np.ndarray:
    if "log_offset" in d.columns:
        return (
            (y / d["offset"] * spec.rate_scale).to_numpy(float)
            if spec.family == "ols_hac"
            else (y / d["offset"]).to_numpy(float)
        )
    return y.to_numpy(float)


def _effects(spec, params, cov, columns, q_first, tcrit) -> pd.DataFrame:
    """Relative change (%) at each horizon for the main interruption (``int0``)."""
    est = params.set_index("term")["estimate"]
    rows = []
    q_int = _q(spec.interruption) + spec.phase_in
    for h in spec.horizons:
        c = pd.Series(0.0, index=cov.index)
        if "int0_level" in c.index:
            c["int0_level"] = 1.0
        if "int0_slope" in c.index:
            c["int0_slope"] = float(h)
        lc = float((c * est.reindex(c.index).fillna(0)).sum())
        se = float(np.sqrt(c.to_numpy() @ cov.to_numpy() @ c.to_numpy()))
        lo, hi = lc - tcrit * se, lc + tcrit * se
        if spec.family == "ols_hac":
            xr = design_matrix([q_int + h], spec, q_first)
            xr[[k for k in xr.columns if k.startswith("int")]] = 0.0
            base = float(
                (
                    xr.reindex(columns=columns, fill_value=0.0).to_numpy()
                    @ est.reindex(columns).fillna(0).to_numpy()
                )[0]
            )
            rel = [100 * v / base for v in (lc, lo, hi)] if base != 0 else [np.nan] * 3
            absolute = lc
        else:
            rel = [100 * np.expm1(v) for v in (lc, lo, hi)]
            absolute = np.nan
        rows.append(
            {
                "horizon": h,
                "quarter": str(q_int + h),
                "effect_pct": rel[0],
                "ci_low_pct": rel[1],
                "ci_high_pct": rel[2],
                "linear": lc,
                "linear_se": se,
                "absolute": absolute,
            }
        )
    return pd.DataFrame(rows)


# ---- convenience for notebooks -------------------------------------------------------------
def tidy_fit(fit: SegmentedFit, **labels) -> dict[str, pd.DataFrame]:
    """``params``, ``effects`` and ``diagnostics`` frames of one fit, with label columns prepended."""
    lab = {"interruption": fit.spec.interruption, "family": fit.spec.family, **labels}
    out = {}
    for name, df in (
        ("params", fit.params),
        ("effects", fit.effects),
        ("diagnostics", pd.DataFrame([fit.diagnostics])),
    ):
        df = df.copy()
        for i, (k, v) in enumerate(lab.items()):
            df.insert(i, k, v)
        out[name] = df
    return out


def run_national_models(
    panel: pd.DataFrame,
    models: Sequence[dict],
    interruptions: dict[str, str],
    base: ModelSpec | None = None,
    min_pre: int = 8,
    min_post: int = 8,
) -> dict[str, pd.DataFrame]:
    """Fit every (series, interruption) pair that is feasible; one model per interruption.

    ``models``: dicts with ``label``, ``measure`` and optional ``offset``, ``offset_fill``,
    ``start``, ``end``, ``source``, ``force``, ``segments``, ``family``, ``rate_scale``.
    Returns tidy ``params``, ``effects``, ``diagnostics`` and ``feasibility`` frames.
    """
    base = base or ModelSpec(interruption="2020Q3")
    acc: dict[str, list] = {"params": [], "effects": [], "diagnostics": [], "feasibility": []}
    fits = {}
    for m in models:
        s = series(
            panel,
            m["measure"],
            force=m.get("force", NATIONAL),
            source=m.get("source"),
            start=m.get("start"),
            end=m.get("end"),
            offset=m.get("offset"),
            offset_fill=m.get("offset_fill", "none"),
        )
        for iname, iq in interruptions.items():
            excl = base.covid_quarters if base.covid == "exclude" else ()
            feas = check_its_feasible(s, iq, min_pre, min_post, exclude=excl, label=m["label"])
            acc["feasibility"].append(
                {
                    "series": m["label"],
                    "interruption": iname,
                    "quarter": iq,
                    "n_pre": feas.n_pre,
                    "n_post": feas.n_post,
                    "feasible": feas.ok,
                    "message": feas.message,
                }
            )
            if not feas:
                continue
            spec = replace(
                base,
                interruption=iq,
                segments=tuple(m.get("segments", base.segments)),
                family=m.get("family", base.family),
                rate_scale=m.get("rate_scale", base.rate_scale),
            )
            fit = fit_segmented(s, spec)
            fits[(m["label"], iname)] = fit
            for k, v in tidy_fit(fit, series=m["label"], intervention=iname).items():
                acc[k].append(v)
    out = {
        k: (pd.concat(v, ignore_index=True) if v and k != "feasibility" else pd.DataFrame(v))
        for k, v in acc.items()
    }
    out["fits"] = fits
    return out


def controls_frame(
    panel: pd.DataFrame,
    measure: str,
    treated: str,
    controls: Sequence[str] | None = None,
    start=None,
    end=None,
    source: str | None = None,
) -> pd.DataFrame:
    """Wide frame for controlled ITS: ``quarter``, ``t``, ``treated``, ``control`` (mean), ``diff``.

    ``controls=None`` means every other force (not the national total) with data for the measure.
    The control series is the unweighted mean over control forces present in each quarter;
    ``n_controls`` records how many.
    """
    df = panel[panel["measure"] == measure]
    if source is not None and "source" in df.columns:
        df = df[df["source"] == source]
    df = df[df["force"] != NATIONAL].assign(quarter=lambda x: x["quarter"].map(_q))
    if treated not in set(df["force"]):
        raise ValueError(f"force {treated!r} has no data for {measure!r}")
    if controls is None:
        controls = sorted(set(df["force"]) - {treated})
    missing = sorted(set(controls) - set(df["force"]))
    if missing:
        raise ValueError(f"control force(s) without data for {measure!r}: {missing}")
    if start is not None:
        df = df[df["quarter"] >= _q(start)]
    if end is not None:
        df = df[df["quarter"] <= _q(end)]
    wide = df.pivot_table(index="quarter", columns="force", values="value", aggfunc="sum")
    out = pd.DataFrame(
        {
            "treated": wide[treated],
            "control": wide[list(controls)].mean(axis=1),
            "n_controls": wide[list(controls)].notna().sum(axis=1),
        }
    )
    out = out.dropna(subset=["treated", "control"]).reset_index()
    out["diff"] = out["treated"] - out["control"]
    out["value"] = out["diff"]
    out.attrs.update(measure=measure, force=treated, controls=list(controls))
    return _add_t(out)


def fit_controlled(
    cf: pd.DataFrame,
    interruption,
    hac_lags="nw",
    covid_quarters=(),
    covid="indicator",
    seasonality="none",
    horizons=(0, 4),
) -> SegmentedFit:
    """Controlled ITS on the treated-minus-control difference (OLS, Newey-West SEs).

    The level/slope terms are the treated force's change relative to the controls.
    """
    spec = ModelSpec(
        interruption=str(_q(interruption)),
        family="ols_hac",
        seasonality=seasonality,
        covid=covid,
        covid_quarters=tuple(covid_quarters),
        hac_lags=hac_lags,
        horizons=tuple(horizons),
    )
    return fit_segmented(cf[["quarter", "t", "value"]], spec)


def placebo_space(
    panel: pd.DataFrame,
    measure: str,
    treated: str,
    interruption,
    start=None,
    end=None,
    forces: Sequence[str] | None = None,
    **kw,
) -> pd.DataFrame:
    """Controlled-ITS level change for every force as if it were treated (permutation placebo).

    Returns one row per force, sorted by force, with ``estimate``, ``se``, ``t_stat`` and
    ``is_treated``; the permutation p-value is the share of forces with ``|t_stat|`` at least
    the treated force's (see :func:`permutation_p`).
    """
    df = panel[(panel["measure"] == measure) & (panel["force"] != NATIONAL)]
    allf = sorted(df["force"].unique()) if forces is None else sorted(forces)
    rows = []
    for f in allf:
        try:
            cf = controls_frame(panel, measure, f, [g for g in allf if g != f], start, end)
            fit = fit_controlled(cf, interruption, **kw)
        except ValueError:
            continue
        p = fit.params.set_index("term").loc["int0_level"]
        rows.append(
            {
                "force": f,
                "estimate": p["estimate"],
                "se": p["se"],
                "t_stat": p["estimate"] / p["se"],
                "is_treated": f == treated,
            }
        )
    return pd.DataFrame(rows)


def permutation_p(placebo: pd.DataFrame, stat: str = "t_stat") -> float:
    """Two-sided permutation p-value: share of units with ``|stat|`` >= the treated unit's."""
    tr = placebo.loc[placebo["is_treated"], stat]
    if tr.empty:
        return float("nan")
    return float((placebo[stat].abs() >= abs(tr.iloc[0]) - 1e-12).mean())


def placebo_dates(
    s: pd.DataFrame,
    spec: ModelSpec,
    shifts: Sequence[int] = (-12, -8, -6, -4),
    min_pre: int = 6,
    min_post: int = 4,
) -> pd.DataFrame:
    """Fit ``spec`` with fake interruption dates, using only data before the real one."""
    real = _q(spec.interruption)
    pre = s[s["quarter"] < real]
    rows = []
    for k in shifts:
        sp = replace(spec.shifted(k), extra_interruptions=())
        feas = check_its_feasible(pre, sp.interruption, min_pre, min_post)
        if not feas:
            rows.append({"shift": k, "interruption": sp.interruption, "feasible": False})
            continue
        e = fit_segmented(pre, sp, q_first=s["quarter"].min()).effects.iloc[0]
        rows.append(
            {
                "shift": k,
                "interruption": sp.interruption,
                "feasible": True,
                "effect_pct": e["effect_pct"],
                "ci_low_pct": e["ci_low_pct"],
                "ci_high_pct": e["ci_high_pct"],
            }
        )
    return pd.DataFrame(rows)


def round_sig(x, digits: int = 3):
    """Round to ``digits`` significant digits (NaN passes through); for checked notebook output."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return x
    x = float(x)
    if x == 0:
        return 0.0
    return float(f"{x:.{digits}g}")


def rounded(df: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Copy of ``df`` with every float column rounded to ``digits`` significant digits."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].map(lambda v: round_sig(v, digits))
    return out
