"""The multiverse engine: the specification curve's fits without a spec, design, pandas or
statsmodels object per specification.

Per (series, start) the rows are read once into one numeric design (:class:`_Group`): every
column any specification can use (trend, each interruption's level and slope at each phase-in,
the Covid-19 indicators, the seasonal terms, the covariates) over every quarter. A
specification is a list of those columns and a mask of the fitted rows. Its fit is the
arithmetic :func:`rasso_research.its.fit_its` does, in numpy, with the AR-errors REML search
and bootstrap compiled (:mod:`rasso_research.estimators.arkernels`: the same grids, search and
seeds): AR errors by REML with the percentile-t bootstrap (OLS on the rate, or the one-step
quasi-Poisson working regression after the Poisson IRLS fit), or Newey-West (OLS, or a
quasi-Poisson GLM with the HAC sandwich). Results are gathered as plain dicts and framed once
by the caller. A specification this engine does not cover, or whose checks would fail (too few
points on a side, too few degrees of freedom, a rank-deficient design, a horizon past the
data), is fitted by the reference path (``fallback``), so its row, error message included, is
the reference's. ``tests/designs/test_multiverse.py`` checks the engine against ``fit_its``
specification by specification (estimates, standard errors, intervals, p-values).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from rasso_research.constants import FOCUS
from rasso_research.estimators.arerrors import BootstrapDraws, whiten
from rasso_research.estimators.covariance import fieller, newey_west_lags
from rasso_research.its import Interruption, ITSSpec
from rasso_research.its.spec import MIN_DF
from rasso_research.its.timeaxis import parse_time
from rasso_research.periods import quarter

from .base import COVID_DAYS, INCOMPLETE, covid_disrupted, disrupted_periods, focus_index

#: quarters parsed once (the grid names the same few again and again)
_quarter = functools.lru_cache(maxsize=1024)(quarter)


class _Fallback(Exception):
    """This specification goes to the reference path."""


def _ols(X: np.ndarray, y: np.ndarray):
    """statsmodels' OLS by the pseudo-inverse: estimates, normalized covariance, residuals."""
    pinv = np.linalg.pinv(X)
    beta = pinv.dot(y)
    return beta, np.dot(pinv, pinv.T), y - X @ beta


def _hac(xu: np.ndarray, bread: np.ndarray, lags: int) -> np.ndarray:
    """statsmodels' ``cov_hac_simple`` (Bartlett weights, the n / (n - k) correction)."""
    w = 1.0 - np.arange(lags + 1) / (lags + 1.0)
    S = w[0] * np.dot(xu.T, xu)
    for lag in range(1, lags + 1):
        s = np.dot(xu[lag:].T, xu[:-lag])
        S = S + w[lag] * (s + s.T)
    n, k = xu.shape
    return np.dot(np.dot(bread, S), bread.T) * (n / float(n - k))


def _poisson_irls(y, X, off, x2: bool, maxiter: int = 100, tol: float = 1e-8):
    """statsmodels' GLM IRLS for the Poisson family (log link, ``x2``: Pearson scale) step by
    step: the same start, weights, working response, least-squares solves, deviance and
    stopping rule, and the final pseudo-inverse WLS."""
    eps = np.finfo(float).eps
    n = len(y)
    df = n - np.linalg.matrix_rank(X)

    def scale(mu):
        return np.sum(np.power(y - mu, 2) / np.power(np.abs(mu), 1.0)) / df if x2 else 1.0

    def dev(mu, sc):
        return np.sum(2 * (y * np.log(np.clip(y / mu, eps, np.inf)) - (y - mu)) / sc)

    mu = (y + y.mean()) / 2.0
    lin = np.log(mu)
    sc = scale(mu)
    hist = [np.inf, dev(mu, sc)]
    for it in range(maxiter):
        w = 1.0 / ((1.0 / mu) ** 2 * np.power(np.abs(mu), 1.0))
        z = lin + (1.0 / mu) * (y - mu) - off
        wh = np.sqrt(w)
        beta = np.linalg.lstsq(wh[:, None] * X, wh * z, rcond=-1)[0]
        lin = np.dot(X, beta) + off
        mu = np.exp(lin)
        hist.append(dev(mu, sc))
        sc = scale(mu)
        if np.allclose(hist[it + 1], hist[it + 2], atol=tol, rtol=0.0):
            break
    return np.linalg.pinv(wh[:, None] * X).dot(wh * z)


class _Group:
    """One (series, start): the numeric design of every column any specification uses."""

    def __init__(self, d: pd.DataFrame, base: ITSSpec, breaks: Sequence[Interruption]):
        raw = d
        d = d.dropna(subset=["value"]).reset_index(drop=True)
        if "offset" not in d.columns or d.empty:
            raise _Fallback
        t, axis = parse_time(d[base.time], base.freq)
        if (np.diff(t) != 1).any() or axis.kind != "period" or not axis.freq.startswith("Q"):
            raise _Fallback
        self.d, self.t, self.axis, self.base = d, t, axis, base
        self.has_incomplete = INCOMPLETE in raw.columns and bool(raw[INCOMPLETE].any())
        y = d["value"].to_numpy(dtype=float)
        off = pd.to_numeric(d["offset"], errors="coerce").to_numpy(dtype=float)
        if not (np.isfinite(off).all() and (off > 0).all() and (y >= 0).all()):
            raise _Fallback
        self.count, self.log_off = y, np.log(off)
        self.rate = y / np.exp(self.log_off) * base.rate_per
        pos = np.array([pd.Period(ordinal=o, freq=axis.freq).quarter for o in t + axis.origin])
        q = pos.astype(int)
        four = pos.astype(float)
        self.seasons = {
            "quarter": {f"q{k}": (q == k).astype(float) for k in range(2, 5)},
            "fourier": {
                "sin1": np.sin(2 * np.pi * 1 * four / 4),
                "cos1": np.cos(2 * np.pi * 1 * four / 4),
            },
        }
        self.breaks = list(breaks)
        self.cols: dict[str, np.ndarray] = {}
        self.times: dict[str, int] = {}
        self.disrupted: dict[str, dict[str, np.ndarray]] = {}

    def to_t(self, when) -> int:
        """The time index of a date (cached)."""
        key = str(when)
        if key not in self.times:
            self.times[key] = self.axis.to_t(when)
        return self.times[key]

    def column(self, name: str) -> np.ndarray:
        """A covariate column (as ``build_design`` reads it)."""
        if name not in self.cols:
            self.cols[name] = pd.to_numeric(self.d[name]).to_numpy(dtype=float)
        return self.cols[name]


def _interruptions(g: _Group, row: Mapping, q0) -> list[tuple]:
    """(name, t0, start, slope, quarter) of the row's interruptions in the spec's order (as
    ``spec_for``: other interruptions of the base, the breaks kept, the focus)."""
    base = g.base
    keep = [b for b in g.breaks if _quarter(str(row["start"])) < _quarter(b.at)]
    if row.get("allan", "segment") == "none":
        keep = []
    others = [x for x in base.interruptions if x.name != FOCUS and x not in g.breaks]
    out = []
    for x in [*others, *keep]:
        t0 = g.to_t(x.at)
        out.append((x.name, t0, t0 + x.phase_in, x.slope, str(_quarter(x.at))))
    t0 = g.to_t(str(q0))
    slope = base.interruptions[focus_index(base)].slope
    out.append((FOCUS, t0, t0 + int(row["phase_in"]), slope, str(q0)))
    return out


def _disrupted(g: _Group, how: str, fit: np.ndarray) -> dict[str, np.ndarray]:
    """The Covid-19 indicator columns of choice ``how`` (zero on every fitted row: left out)."""
    if how == "days":
        return {}
    if how not in g.disrupted:
        dis = covid_disrupted(how, disrupted_periods(g.base))
        t, axis = g.t, g.axis
        cols = {}
        if isinstance(dis, Mapping):
            for name, when in dis.items():
                at = {axis.to_t(x) for x in ([when] if isinstance(when, str) else when)}
                ind = np.isin(t, sorted(at)).astype(float)
                if ind.any():
                    cols[f"disrupted_{name}"] = ind
        elif dis is not None:
            for x in dis:
                td = axis.to_t(x)
                if t.min() <= td <= t.max():
                    cols[f"disrupted_{axis.label(td)}"] = (t == td).astype(float)
        g.disrupted[how] = cols
    return {k: v for k, v in g.disrupted[how].items() if v[fit].any()}


def _design(g: _Group, row: Mapping, seasons, q0):
    """The row's design over every quarter (columns in ``build_design``'s order), the fitted
    rows, the interruptions sorted by date, the disrupted and the covariate columns."""
    t = g.t
    tmin, tmax = int(t.min()), int(t.max())
    spec_order = _interruptions(g, row, q0)
    infos = sorted(spec_order, key=lambda x: x[1])
    fit = np.ones(len(t), bool)
    cols = {"Intercept": np.ones(len(t)), "trend": t.astype(float)}
    for name, t0, start, slope, _ in infos:
        if t0 < tmin or t0 > tmax:
            raise _Fallback
        post = t >= start
        cols[f"level_{name}"] = post.astype(float)
        fit[(t >= t0) & (t < start)] = False
        if slope:
            cols[f"slope_{name}"] = np.where(post, t - start, 0.0)
    for a, b in zip(infos, infos[1:], strict=False):
        if b[1] < a[2] or b[1] == a[1]:
            raise _Fallback
    dis = _disrupted(g, row["covid"], fit)
    cols.update(dis)
    season = seasons[row["seasonality"]]
    if season is not None:
        cols.update(g.seasons["quarter" if season == "quarter" else "fourier"])
    covs = [c for c in g.base.covariates if c != COVID_DAYS]
    if row["covid"] == "days":
        covs.append(COVID_DAYS)
    if INCOMPLETE in covs and not g.has_incomplete:
        covs.remove(INCOMPLETE)
    for c in covs:
        cols[c] = g.column(c)
    _check_segments(t[fit], infos, g.base, tmin, tmax)
    segments = ";".join(x[4] for x in spec_order if x[0] != FOCUS) or "none"
    return cols, fit, infos, list(dis), segments


def _check_segments(ft: np.ndarray, infos, base: ITSSpec, tmin: int, tmax: int) -> None:
    for j, (_, t0, start, *_) in enumerate(infos):
        lo = infos[j - 1][2] if j else tmin
        hi = infos[j + 1][1] if j + 1 < len(infos) else tmax + 1
        n_pre = int(((ft >= lo) & (ft < t0)).sum())
        n_post = int(((ft >= start) & (ft < hi)).sum())
        if n_pre < base.min_pre or n_post < base.min_post:
            raise _Fallback


def _fit(X: np.ndarray, g: _Group, fit: np.ndarray, family: str, cov: str, base: ITSSpec):
    """Estimates, covariance, the t degrees of freedom (None: normal) and the bootstrap draws
    (None: Wald) of one specification, as ``fit_its`` computes them."""
    from rasso_research.estimators import arkernels as K

    n, k = X.shape
    if np.linalg.matrix_rank(X) < k or not np.isfinite(X).all():
        raise _Fallback
    count = family == "quasipoisson"
    y = g.count[fit] if count else g.rate[fit]
    off = g.log_off[fit]
    if cov == "AR":
        if count:
            beta = _poisson_irls(y, X, off, x2=False)
            eta = X @ beta + off
            mu = np.exp(eta)
            sw = np.sqrt(mu / (1.0 + 0.0 * mu))
            X, y = X * sw[:, None], (eta - off + (y - mu) / mu) * sw
        ar = K.fit_ar_errors(X, y, order=base.ar_order, ar_max=base.ar_max)
        df = n - k - ar.p
        if df < MIN_DF:
            raise _Fallback
        b, ncp, resid = _ols(whiten(X, ar.phi), whiten(y[:, None], ar.phi)[:, 0])
        V = ncp * (np.dot(resid, resid) / df)
        boot = K.ar_bootstrap(X, y, ar, reps=base.boot_reps, seed=base.boot_seed)
        return b, V, df, boot
    lags = base.hac_lags if base.hac_lags is not None else newey_west_lags(n)
    if count:
        b = _poisson_irls(y, X, off, x2=True)
        mu = np.exp(X @ b + off)
        bread = np.linalg.inv(np.dot(X.T * mu, X))
        return b, _hac(X * (y - mu)[:, None], bread, lags), None, None
    if n - k < MIN_DF:
        raise _Fallback
    b, ncp, resid = _ols(X, y)
    return b, _hac(X * resid[:, None], ncp, lags), n - k, None


def _crit(V, g, b, df, boot: BootstrapDraws | None, alpha: float) -> float:
    """``ITSResult._crits`` of one contrast: the bootstrap percentile-t critical value, or the
    Wald one (t(df), or normal) where there is no bootstrap or the contrast has no variance."""
    z = stats.t.ppf(1 - alpha / 2, df) if df is not None else stats.norm.ppf(1 - alpha / 2)
    wald = float(z)
    if boot is None:
        return wald
    crit = boot.critical_values(g[None], alpha)[0]
    se = np.sqrt(np.clip(g @ V @ g, 0.0, None))
    tiny = se <= 1e-8 * np.maximum(np.abs(g @ b), 1.0)
    return float(wald if tiny or not np.isfinite(crit) else crit)


def _p_value(V, g, b, df, boot) -> float:
    est = float(g @ b)
    se = float(np.sqrt(max(g @ V @ g, 0.0)))
    if not se > 1e-8 * max(abs(est), 1.0):
        return np.nan
    t = est / se
    if boot is not None:
        return float(boot.contrast_p_values(g[None], [t])[0])
    return float(2 * (stats.t.sf(abs(t), df) if df is not None else stats.norm.sf(abs(t))))


def _effect(cols, names, infos, dis, b, V, df, boot, row_t, log: bool, base: ITSSpec) -> dict:
    """The focus effect at one quarter, as ``ITSResult._effect_row`` (delta method; Fieller
    for the relative change on a linear scale)."""
    xf = np.array([cols[c][row_t] for c in names])
    xf[[names.index(c) for c in dis]] = 0.0
    j = next(i for i, x in enumerate(infos) if x[0] == FOCUS)
    later = {f"{kind}_{x[0]}" for x in infos[j:] for kind in ("level", "slope")}
    xc = xf.copy()
    xc[[i for i, c in enumerate(names) if c in later]] = 0.0
    ef, ec = xf @ b, xc @ b
    scale = base.rate_per if log else 1.0
    mf, mc = (float(np.exp(ef) * scale), float(np.exp(ec) * scale)) if log else (ef, ec)
    d = xf - xc
    crit = _crit(V, d, b, df, boot, base.alpha)
    se = float(np.sqrt(d @ V @ d))
    if log:
        r_lo, r_hi = np.exp(ef - ec - crit * se) - 1, np.exp(ef - ec + crit * se) - 1
        a_lo, a_hi = mc * r_lo, mc * r_hi
    else:
        a_lo, a_hi = (mf - mc) - crit * se, (mf - mc) + crit * se
        r_lo, r_hi = fieller(mf, mc, xf @ V @ xf, xf @ V @ xc, xc @ V @ xc, crit)
        r_lo, r_hi = r_lo - 1, r_hi - 1
    return {
        "fitted": float(mf),
        "counterfactual": float(mc),
        "abs_diff": float(mf - mc),
        "abs_ci_low": float(a_lo),
        "abs_ci_high": float(a_hi),
        "rel_diff": float(mf / mc - 1),
        "rel_ci_low": float(r_lo),
        "rel_ci_high": float(r_hi),
        "p_value": _p_value(V, d, b, df, boot),
        "se": se,
        "crit": crit,
    }


def fit_row(g: _Group, row: Mapping, models, seasons, horizon: int, q0) -> dict:
    """One specification of the curve: the reference row's fields, plus the coefficient
    estimates and standard errors (``beta``, ``se``: the design's columns, ``names``) and the
    effect's p-value, standard error (link scale) and critical value."""
    m = models[row["model"]]
    family, cov = m["family"], m["cov_type"]
    cols, fit, infos, dis, segments = _design(g, row, seasons, q0)
    names = list(cols)
    X = np.column_stack([cols[c] for c in names])[fit]
    b, V, df, boot = _fit(X, g, fit, family, cov, g.base)
    start = next(x[2] for x in infos if x[0] == FOCUS)
    t_eff = start + int(horizon)
    if t_eff > int(g.t.max()):
        raise _Fallback
    e = _effect(cols, names, infos, dis, b, V, df, boot, t_eff, family != "ols", g.base)
    ft = g.t[fit]
    t0 = next(x[1] for x in infos if x[0] == FOCUS)
    prev = [x[2] for x in infos if x[1] < t0]
    lo = max(prev) if prev else ft.min()
    return {
        **e,
        "n": int(fit.sum()),
        "n_pre": int(((ft >= lo) & (ft < t0)).sum()),
        "n_post": int((ft >= start).sum()),
        "ci_method": "wald" if boot is None else "bootstrap",
        "interruption": str(q0),
        "segments": segments,
        "names": names,
        "beta": b,
        "bse": np.sqrt(np.diag(V)),
    }


def fit_rows(
    s,
    rows: Sequence[Mapping],
    base: ITSSpec,
    horizon: int,
    breaks: Sequence[Interruption],
    models: Mapping,
    seasons: Mapping,
    fallback: Callable[[Mapping], dict],
    finish: Callable[[Mapping, dict], dict],
) -> list[dict]:
    """Every row of the grid by the engine, in order: ``finish(row, fit)`` turns a fit into the
    curve's row; ``fallback(row)`` is the reference path's row."""
    groups: dict = {}
    out = []
    for row in rows:
        key = (row["series"], str(row["start"]))
        if key not in groups:
            series = s[row["series"]] if isinstance(s, Mapping) else s
            d = series[series["quarter"] >= quarter(row["start"])].reset_index(drop=True)
            try:
                groups[key] = _Group(d, base, breaks)
            except _Fallback:
                groups[key] = None
        g = groups[key]
        q0 = _quarter(base.interruptions[focus_index(base)].at) + int(row.get("shift", 0))
        try:
            if g is None:
                raise _Fallback
            fit = fit_row(g, row, models, seasons, horizon, q0)
        except (_Fallback, ValueError, np.linalg.LinAlgError):
            out.append(fallback(row))
            continue
        out.append(finish(row, fit))
    return out
