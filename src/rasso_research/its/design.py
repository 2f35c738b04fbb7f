"""Specification and design matrix for segmented (interrupted time-series) regression.

The design is built explicitly (named columns) so that every coefficient has a fixed,
documented meaning and the same matrix can be reused to compute fitted values and
counterfactuals with the parameter covariance.

Conventions
-----------
* Time ``t`` is 0 at the first period of the data and counts periods from there, whatever
  the time column holds (Periods, dates, period strings or integers; Stata ``itsa``'s ``_t``).
  So the intercept is always the level at the first period. Interruption dates are given in
  the time column's own terms: a Period/date, or a value of an integer time column (on a
  Period axis an integer is ``t`` itself).
* An interruption at ``t0`` with ``phase_in = p`` excludes periods ``t0 .. t0+p-1`` from the
  fit; the new regime starts at ``s = t0 + p``. Its terms are ``level_<name> = 1{t >= s}`` and
  ``slope_<name> = (t - s) * 1{t >= s}``. Because the slope term is centred at ``s`` the level
  coefficient is the jump at ``s`` (fitted post-model minus the projected pre-model at ``s``).
* ``trend`` is ``t`` itself, so the trend coefficient is the change per period.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

FAMILIES = ("ols", "ols_log", "poisson", "quasipoisson", "negbin", "arima")
COUNT_FAMILIES = ("poisson", "quasipoisson", "negbin")
LOG_FAMILIES = ("ols_log", "poisson", "quasipoisson", "negbin")


@dataclass(frozen=True)
class Interruption:
    """An interruption: a name, a date (Period string, Timestamp/date, Period or integer
    time) and an optional phase-in (number of periods after it excluded from the fit)."""

    name: str
    at: object
    phase_in: int = 0
    slope: bool = True  # False: level change only (as in Lopez Bernal et al. 2017)


@dataclass(frozen=True)
class ITSSpec:
    """Full description of an ITS model; see module docstring for the term definitions.

    family: "ols" (outcome, or outcome/offset*rate_per as a rate), "ols_log" (log of that;
        fitted values are exp of the log-scale mean, i.e. geometric means), "poisson",
        "quasipoisson" (Pearson chi2 scale), "negbin" (NB2, alpha estimated) with log(offset)
        as an offset, or "arima" (regression with ARMA(arma_order) errors; sigma2 profiled).
    HAC errors treat the fitted rows as consecutive, so excluded phase-in periods are
    skipped over; season terms in a controlled ITS are common to all units.

    season: None, "quarter", "month" or ("fourier", K, period).
    disrupted: a mapping ``{name: periods}`` (one shared indicator ``disrupted_<name>`` per
        name, e.g. ``{"covid": ["2020Q2", "2020Q4", "2021Q1"]}``; periods outside the series
        are ignored and an indicator with no period inside is left out), a column name (or
        list of names) of indicators already in the data, or a
        list of periods (each gets its own indicator, i.e. is effectively excluded; the
        robust standard errors of such one-period dummies are not meaningful, as their
        residuals are zero, but the other coefficients are as if the periods were dropped).
    hac_lags: Newey-West lag; None uses floor(4 * (n/100) ** (2/9)) (Newey & West 1994).
    ar_order, ar_max: the AR order of the errors under ``cov_type="AR"`` (default 2, which
        nests AR(1) and covered best in the coverage study), or ``None`` for the REML-BIC
        choice among 1..ar_max (its/arerrors.py).
    hac_rule: long-run variance estimator behind the "HAC" errors of the OLS families.
        "nw1994" (default): Newey-West (Bartlett) with the lag above, t(n - k) reference
        when ``small_sample``. "ewc": the equal-weighted cosine estimator recommended for
        single restrictions by Lazarus, Lewis, Stock & Watson (2018, JBES), with
        nu = floor(0.4 * n ** (2/3)) Type-II cosines and t(nu) critical values and p-values
        (``small_sample`` adds the n/(n-k) factor). With Wald intervals neither reaches 95%
        coverage of level and slope changes in short series (docs/METHODS.md).
    ci_method: how intervals and p-values are computed. "wald": estimate +- critical value
        x standard error (t or normal). "bootstrap": the parametric percentile-t bootstrap of
        the AR(p)-errors fit (its/arerrors.py; for counts, of its final working regression),
        for ``cov_type="AR"`` only. "auto" (default) is "bootstrap" where it applies and "wald"
        otherwise. Prediction intervals (``*_pi_*``) stay Wald-type in every case.
    boot_reps, boot_seed: bootstrap replications (at least 99) and the seed (results are
        reproducible for a given seed).
    cov_type: the estimator of the coefficient covariance, with its reference distribution.
        Single series: "AR" (the default): GLS with REML AR(p) errors, t(n - k - p), for the
        OLS families; for the count families the same errors on the linear-predictor scale
        (iteratively reweighted, dispersion estimated; Zeger 1988). "HAC": Newey-West, t(n - k)
        for OLS when ``small_sample``, normal for counts (Stata ``newey``). "nonrobust":
        model-based (Pearson-scaled for quasi-Poisson: the published Sicily errors; the
        default for "arima", which models its errors itself).
        Controlled (stacked panel): "itsa" (the default for the OLS families, "nonrobust" for
        counts; Stata ``itsa``/Linden 2015: pooled
        OLS without unit effects, Newey-West within each unit at ``hac_lags`` (default 1),
        n/(n - k), t(n - k)); "cluster" (unit effects, cluster-robust CR1 by unit,
        t(G - 1), at least ``MIN_CLUSTERS`` units); "driscoll-kraay" (unit effects,
        Newey-West on the cross-unit sums of scores, n/(n - k), t(T - 1)); "nonrobust"
        (unit effects). Unit effects are coded as deviations from the controls' mean, so the
        intercept is the controls' mean level at the first period. A t reference with fewer
        than ``MIN_DF`` degrees of freedom is an error.
    group/treated: controlled ITS; ``group`` names the unit column and ``treated`` the
        treated unit; all other units in the data are controls.
    rate_per: when an offset is given, outcomes are reported as rates per ``rate_per``.
    season_col: column holding the position within the seasonal cycle (e.g. "month") for an
        integer time axis; by default derived from the Period axis or from ``t``.
    """

    outcome: str
    time: str = "time"
    interruptions: tuple[Interruption, ...] | list[Interruption] = ()
    family: str = "ols"
    offset: str | None = None
    season: object = None
    disrupted: object = None
    hac_lags: int | None = None
    hac_rule: str = "nw1994"
    small_sample: bool = True
    ci_method: str = "auto"
    boot_reps: int = 499
    boot_seed: int = 20240101
    ar_order: int | None = 2
    ar_max: int = 2
    arma_order: tuple[int, int, int] = (1, 0, 0)
    covariates: tuple[str, ...] | list[str] = ()
    cov_type: str | None = None
    group: str | None = None
    treated: object = None
    freq: str | None = None
    season_col: str | None = None
    rate_per: float = 1.0
    min_pre: int = 3
    min_post: int = 3
    alpha: float = 0.05

    def replace(self, **changes) -> ITSSpec:
        """A copy with some fields changed."""
        return replace(self, **changes)


def newey_west_lags(n: int) -> int:
    """Newey-West (1994) rule of thumb for the HAC truncation lag: floor(4 * (n/100)^(2/9))."""
    return int(np.floor(4 * (n / 100.0) ** (2.0 / 9.0)))


HAC_RULES = ("nw1994", "ewc")
CI_METHODS = ("auto", "wald", "bootstrap")
SERIES_COV_TYPES = ("AR", "HAC", "nonrobust")
PANEL_COV_TYPES = ("itsa", "cluster", "driscoll-kraay", "nonrobust")
#: fewest units for cluster-robust errors, and fewest degrees of freedom of a t reference
MIN_CLUSTERS = 10
MIN_DF = 5


def ewc_dof(n: int) -> int:
    """Lazarus-Lewis-Stock-Watson (2018) rule for the number of cosines in the EWC long-run
    variance estimator (also its t degrees of freedom): floor(0.4 * n^(2/3)), at least 1."""
    return max(1, int(np.floor(0.4 * n ** (2.0 / 3.0))))


def ewc_long_run(z: np.ndarray, nu: int) -> np.ndarray:
    """EWC estimate of sum_s sum_t E[z_s z_t'] for the rows of ``z`` (time order): n times
    the mean of Lambda_j Lambda_j' over j = 1..nu, with Lambda_j = sqrt(2/n) *
    sum_t cos(pi j (t - 1/2) / n) z_t. Same scale as the Newey-West ``S`` (z'z at lag 0)."""
    z = np.asarray(z, dtype=float)
    n = z.shape[0]
    t = np.arange(1, n + 1) - 0.5
    basis = np.sqrt(2.0 / n) * np.cos(np.pi * np.outer(np.arange(1, nu + 1), t) / n)
    lam = basis @ z
    return n * (lam.T @ lam) / nu


def _safe(name: str) -> str:
    return re.sub(r"\W+", "_", str(name)).strip("_") or "x"


def term_name(name: str) -> str:
    """The stem of an interruption's design terms: ``level_<stem>``, ``slope_<stem>``."""
    return _safe(name)


@dataclass(frozen=True)
class TimeAxis:
    """Maps between integer time t (0 at the first period) and the time column's values."""

    kind: str  # "int" or "period"
    freq: str | None = None
    origin: int = 0

    def to_t(self, at) -> int:
        """Map an interruption date to integer time (a date maps to the period containing it)."""
        if isinstance(at, bool):
            raise ValueError(f"Cannot interpret {at!r} as a time")
        if isinstance(at, (int, np.integer)):  # a value of an integer time column, or t
            return int(at) - self.origin if self.kind == "int" else int(at)
        if self.kind == "int":
            raise ValueError(
                f"The time axis is integer, so the date {at!r} cannot be placed on it; "
                "give an integer time or use a Period/date time column"
            )
        if isinstance(at, pd.Period):
            p = at.asfreq(self.freq)
        elif isinstance(at, (pd.Timestamp, _dt.date, np.datetime64)):
            p = pd.Period(pd.Timestamp(at), freq=self.freq)
        elif isinstance(at, str):
            try:
                p = pd.Period(at, freq=self.freq)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"Cannot parse {at!r} as a {self.freq} period") from exc
        else:
            raise ValueError(f"Cannot interpret {at!r} as a time")
        return int(p.ordinal) - self.origin

    def label(self, t) -> str:
        """Human-readable label of integer time t."""
        if self.kind == "int":
            return str(int(t) + self.origin)
        return str(pd.Period(ordinal=int(t) + self.origin, freq=self.freq))

    def period(self, t):
        """The pandas Period for t (or t itself on an integer axis)."""
        if self.kind == "int":
            return int(t) + self.origin
        return pd.Period(ordinal=int(t) + self.origin, freq=self.freq)


def _to_periods(values: pd.Series, freq: str | None) -> pd.Series:
    if isinstance(values.dtype, pd.PeriodDtype):
        if freq is not None:
            return values.dt.asfreq(freq)
        return values
    if pd.api.types.is_datetime64_any_dtype(values):
        if freq is None:
            months = pd.Series(values.dt.to_period("M").map(lambda p: p.ordinal))
            diffs = np.diff(np.sort(months.unique()))
            freq = "Q" if len(diffs) and diffs.min() >= 3 else "M"
        return values.dt.to_period(freq)
    strs = values.astype(str)
    if freq is None:
        freq = "Q" if strs.str.fullmatch(r"\d{4}\s*-?Q[1-4]").all() else None
    if freq is None:
        freq = pd.Period(strs.iloc[0]).freqstr
    try:
        return strs.map(lambda s: pd.Period(s, freq=freq))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"Cannot parse the time column as {freq} periods: {exc}") from exc


def parse_time(values: pd.Series, freq: str | None = None) -> tuple[np.ndarray, TimeAxis]:
    """Integer time for each row (0 at the first period) and the axis."""
    if pd.api.types.is_integer_dtype(values) and not isinstance(values.dtype, pd.PeriodDtype):
        v = values.to_numpy(dtype=int)
        return v - v.min(), TimeAxis("int", origin=int(v.min()))
    if pd.api.types.is_float_dtype(values):
        if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
            raise ValueError("Time column must hold integers, Periods, dates or period strings")
        v = values.to_numpy().astype(int)
        return v - v.min(), TimeAxis("int", origin=int(v.min()))
    periods = _to_periods(values, freq)
    pfreq = periods.iloc[0].freqstr
    ords = periods.map(lambda p: p.ordinal).to_numpy(dtype=int)
    origin = int(ords.min())
    return ords - origin, TimeAxis("period", pfreq, origin)


@dataclass
class InterruptionInfo:
    """Resolved interruption: integer times and design term names."""

    name: str
    t0: int
    start: int
    label: str
    level: str
    slope: str | None
    effect_level: str
    effect_slope: str | None


@dataclass
class Design:
    """Prepared data and design for a spec."""

    spec: ITSSpec
    frame: pd.DataFrame  # sorted; columns y, t, label, in_fit, terms..., log_offset, unit
    terms: list[str]
    axis: TimeAxis
    interruptions: list[InterruptionInfo]
    disrupted_terms: list[str] = field(default_factory=list)
    controlled: bool = False

    @property
    def formula(self) -> str:
        return "y ~ " + " + ".join(self.terms)

    def fit_frame(self) -> pd.DataFrame:
        return self.frame.loc[self.frame["in_fit"]]


def _season_position(frame: pd.DataFrame, data: pd.DataFrame, spec: ITSSpec, axis, period: int):
    if spec.season_col is not None:
        return data.loc[frame.index, spec.season_col].to_numpy(dtype=float)
    if axis.kind == "period":
        ords = frame["t"].to_numpy() + axis.origin
        if axis.freq.startswith("M") and period == 12:
            return np.array([pd.Period(ordinal=o, freq=axis.freq).month for o in ords], float)
        if axis.freq.startswith("Q") and period == 4:
            return np.array([pd.Period(ordinal=o, freq=axis.freq).quarter for o in ords], float)
        return (ords % period + 1).astype(float)
    raw = frame["t"].to_numpy() + axis.origin  # the integer time column's own values
    return ((raw - 1) % period + 1).astype(float)


def _season_columns(frame, data, spec, axis) -> dict[str, np.ndarray]:
    season = spec.season
    if season is None:
        return {}
    if season in ("quarter", "month"):
        period = 4 if season == "quarter" else 12
        pos = _season_position(frame, data, spec, axis, period).astype(int)
        prefix = "q" if season == "quarter" else "m"
        return {f"{prefix}{k}": (pos == k).astype(float) for k in range(2, period + 1)}
    if isinstance(season, (tuple, list)) and len(season) == 3 and season[0] == "fourier":
        _, k_max, period = season
        pos = _season_position(frame, data, spec, axis, int(period))
        cols = {}
        for k in range(1, int(k_max) + 1):
            s = np.sin(2 * np.pi * k * pos / period)
            c = np.cos(2 * np.pi * k * pos / period)
            if np.max(np.abs(s)) > 1e-10:  # sin vanishes at the Nyquist harmonic
                cols[f"sin{k}"] = s
            cols[f"cos{k}"] = c
        return cols
    raise ValueError(
        f"season must be None, 'quarter', 'month' or ('fourier', K, period); got {season!r}"
    )


def restrict_disrupted(spec: ITSSpec, data: pd.DataFrame):
    """``spec.disrupted`` without the periods that fall outside ``data`` (a subset of the
    series, e.g. the pre-period of a placebo or a later start); ``None`` when none is left.
    Column names and the ``{name: periods}`` form are kept as they are (the latter ignores
    outside periods itself)."""
    dis = spec.disrupted
    if dis is None or isinstance(dis, Mapping):
        return dis
    names = [dis] if isinstance(dis, str) else list(dis)
    if all(isinstance(x, str) and x in data.columns for x in names):
        return dis
    t, axis = parse_time(data[spec.time], spec.freq)
    keep = []
    for x in names:
        try:
            tx = axis.to_t(x)
        except ValueError:
            continue
        if t.min() <= tx <= t.max():
            keep.append(x)
    return keep or None


def resolved_cov_type(spec: ITSSpec, controlled: bool) -> str:
    """``spec.cov_type`` or its default (see :class:`ITSSpec`)."""
    if spec.cov_type is not None:
        return spec.cov_type
    if controlled:
        return "itsa" if spec.family in ("ols", "ols_log") else "nonrobust"
    return "nonrobust" if spec.family == "arima" else "AR"


def uses_unit_effects(spec: ITSSpec) -> bool:
    """Does a controlled ITS under this spec carry control-unit effects? (All but "itsa".)"""
    return resolved_cov_type(spec, True) != "itsa"


def _check_columns(data: pd.DataFrame, spec: ITSSpec) -> None:
    needed = [spec.outcome, spec.time, *spec.covariates]
    for extra in (spec.offset, spec.group, spec.season_col):
        if extra is not None:
            needed.append(extra)
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise ValueError(f"Missing column(s) {missing}; the data has columns {list(data.columns)}")


def build_design(data: pd.DataFrame, spec: ITSSpec) -> Design:
    """Validate the data against the spec and build the named design columns."""
    if spec.family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}; got {spec.family!r}")
    if not spec.interruptions:
        raise ValueError("At least one Interruption is needed")
    _check_columns(data, spec)
    controlled = spec.group is not None
    if controlled and spec.treated is None:
        raise ValueError("A controlled ITS needs `treated` (the treated unit in `group`)")
    if controlled and spec.family == "arima":
        raise ValueError("family='arima' is not supported for a controlled (panel) ITS")

    t, axis = parse_time(data[spec.time], spec.freq)
    unit = data[spec.group].to_numpy() if controlled else np.full(len(data), "series", object)
    if controlled and pd.isna(unit).any():
        raise ValueError(
            f"Group column {spec.group!r} has {int(pd.isna(unit).sum())} missing unit label(s)"
        )
    if controlled and spec.treated not in set(unit):
        raise ValueError(f"Treated unit {spec.treated!r} not found in column {spec.group!r}")

    # gaps and duplicates, per unit
    for u in pd.unique(unit):
        ts = np.sort(t[unit == u])
        dup = ts[1:][np.diff(ts) == 0]
        where = f" for unit {u!r}" if controlled else ""
        if dup.size:
            raise ValueError(
                f"Duplicate periods{where}: {[axis.label(x) for x in np.unique(dup)][:5]}"
            )
        gaps = np.flatnonzero(np.diff(ts) > 1)
        if gaps.size:
            i = gaps[0]
            raise ValueError(
                f"Gap in the series{where}: nothing between {axis.label(ts[i])} and "
                f"{axis.label(ts[i + 1])} ({gaps.size} gap(s)); the series must be regular"
            )

    y = pd.to_numeric(data[spec.outcome], errors="coerce").to_numpy(dtype=float)
    if np.isnan(y).any():
        raise ValueError(f"Outcome {spec.outcome!r} has {int(np.isnan(y).sum())} missing values")
    if spec.family in COUNT_FAMILIES and (y < 0).any():
        raise ValueError(
            f"Negative counts in {spec.outcome!r} ({int((y < 0).sum())} rows) are not allowed "
            f"in a {spec.family} model"
        )
    if spec.family == "ols_log" and (y <= 0).any():
        raise ValueError(f"family='ols_log' needs a positive outcome; {spec.outcome!r} has <= 0")
    log_off = np.zeros(len(data))
    if spec.offset is not None:
        off = pd.to_numeric(data[spec.offset], errors="coerce").to_numpy(dtype=float)
        if not np.all(np.isfinite(off)) or (off <= 0).any():
            raise ValueError(
                f"Offset {spec.offset!r} must be positive and finite; "
                f"{int((~(off > 0)).sum())} rows are not"
            )
        log_off = np.log(off)

    # rows sorted by (unit,) time; the columns are collected here and framed once at the end
    codes = pd.factorize(unit, sort=True)[0]
    order = np.lexsort((t, codes)) if controlled else np.argsort(t, kind="stable")
    data = data.iloc[order]
    tt, unit, y, log_off = t[order], unit[order], y[order], log_off[order]
    scale = spec.rate_per if spec.offset is not None else 1.0
    observed = y / np.exp(log_off) * scale  # outcome scale: rate if offset given
    treated = (unit == spec.treated).astype(float) if controlled else np.ones(len(tt))
    cols: dict[str, np.ndarray] = {
        "t": tt,
        "unit": unit,
        "log_offset": log_off,
        "observed_raw": y,
        "observed": observed,
        "y": observed
        if spec.family in ("ols", "arima")
        else np.log(observed)
        if spec.family == "ols_log"
        else y,
        "treated": treated,
        "in_fit": np.ones(len(tt), dtype=bool),  # phase-in periods are set False below
    }
    tmin, tmax = int(tt.min()), int(tt.max())
    in_fit = cols["in_fit"]
    labels = {x: axis.label(x) for x in np.unique(tt)}
    cols["label"] = np.array([labels[x] for x in tt], dtype=object)
    cols["trend"] = tt.astype(float)
    terms = ["trend"]
    if controlled:
        units = [u for u in pd.unique(unit) if u != spec.treated]
        cols["treated_trend"] = treated * cols["trend"]
        terms = ["trend", "treated", "treated_trend"]
        if uses_unit_effects(spec):
            # control effects as deviations from the controls' mean (the first control is
            # -1 on every one), so the intercept is the controls' mean level
            ref = (unit == units[0]).astype(float)
            for u in units[1:]:
                col = f"unit_{_safe(u)}"
                cols[col] = (unit == u).astype(float) - ref
                terms.append(col)

    # interruptions
    infos: list[InterruptionInfo] = []
    for intr in spec.interruptions:
        if intr.phase_in < 0:
            raise ValueError(f"phase_in must be >= 0 for {intr.name!r}")
        t0 = axis.to_t(intr.at)
        if t0 < tmin or t0 > tmax:
            raise ValueError(
                f"Interruption {intr.name!r} at {intr.at!r} is outside the series "
                f"({axis.label(tmin)} to {axis.label(tmax)})"
            )
        nm = _safe(intr.name)
        start = t0 + intr.phase_in
        lev, slo = f"level_{nm}", f"slope_{nm}"
        if not intr.slope:
            slo = None
        infos.append(InterruptionInfo(intr.name, t0, start, axis.label(t0), lev, slo, lev, slo))
    infos.sort(key=lambda i: i.t0)
    for a, b in zip(infos, infos[1:], strict=False):
        if b.t0 < a.start or b.t0 == a.t0:
            raise ValueError(
                f"Interruptions {a.name!r} and {b.name!r} overlap (phase-in of the first "
                "reaches the second)"
            )
    for info in infos:
        post = tt >= info.start
        cols[info.level] = post.astype(float)
        in_fit[(tt >= info.t0) & (tt < info.start)] = False
        terms.append(info.level)
        if info.slope is not None:
            cols[info.slope] = np.where(post, tt - info.start, 0.0)
            terms.append(info.slope)
        if controlled:
            info.effect_level = f"treated_{info.level}"
            cols[info.effect_level] = treated * cols[info.level]
            terms.append(info.effect_level)
            if info.slope is not None:
                info.effect_slope = f"treated_{info.slope}"
                cols[info.effect_slope] = treated * cols[info.slope]
                terms.append(info.effect_slope)

    # disrupted periods
    dis_terms: list[str] = []
    dis = spec.disrupted
    if isinstance(dis, Mapping):  # one shared indicator per name; periods outside are ignored
        for name, when in dis.items():
            at = {axis.to_t(x) for x in ([when] if isinstance(when, str) else when)}
            ind = np.isin(tt, sorted(at)).astype(float)
            if ind.any():
                col = f"disrupted_{_safe(name)}"
                cols[col] = ind
                dis_terms.append(col)
    elif dis is not None:
        names = [dis] if isinstance(dis, str) else list(dis)
        if all(isinstance(x, str) and x in data.columns for x in names):
            for x in names:
                col = f"disrupted_{_safe(x)}"
                cols[col] = pd.to_numeric(data[x]).to_numpy(dtype=float)
                dis_terms.append(col)
        else:
            for x in names:
                td = axis.to_t(x)
                if td < tmin or td > tmax:
                    raise ValueError(f"Disrupted period {x!r} is outside the series")
                col = f"disrupted_{_safe(axis.label(td))}"
                cols[col] = (tt == td).astype(float)
                dis_terms.append(col)
    # an indicator that is zero on every fitted row (its period fell in a phase-in) has no
    # information and would make the design rank-deficient: leave it out
    dis_terms = [c for c in dis_terms if cols[c][in_fit].any()]
    terms += dis_terms

    frame = pd.DataFrame(cols, index=data.index)
    season = _season_columns(frame, data, spec, axis)
    terms += list(season)
    extra = dict(season)
    for cov in spec.covariates:
        col = _safe(cov)
        extra[col] = pd.to_numeric(data[cov]).to_numpy(dtype=float)
        terms.append(col)
    if extra:
        frame = pd.concat([frame, pd.DataFrame(extra, index=frame.index)], axis=1)

    # enough points in each segment (treated unit for a controlled ITS)
    fit_t = frame.loc[frame["in_fit"] & (frame["treated"] == 1.0), "t"].to_numpy()
    for j, info in enumerate(infos):
        lo = infos[j - 1].start if j else tmin
        n_pre = int(((fit_t >= lo) & (fit_t < info.t0)).sum())
        hi = infos[j + 1].t0 if j + 1 < len(infos) else tmax + 1
        n_post = int(((fit_t >= info.start) & (fit_t < hi)).sum())
        if n_pre < spec.min_pre:
            raise ValueError(
                f"Too few points before interruption {info.name!r} ({info.label}): "
                f"{n_pre} fitted period(s), at least {spec.min_pre} needed"
            )
        if n_post < spec.min_post:
            raise ValueError(
                f"Too few points after interruption {info.name!r} ({info.label}): "
                f"{n_post} fitted period(s) after the phase-in, at least {spec.min_post} needed"
            )
    seg = np.full(len(frame), "pre", dtype=object)
    for info in infos:
        seg[tt >= info.t0] = "phase_in"
        seg[tt >= info.start] = info.name
    frame["segment"] = seg
    return Design(spec, frame, terms, axis, infos, dis_terms, controlled)
