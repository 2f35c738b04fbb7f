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

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .spec import COUNT_FAMILIES, FAMILIES, ITSSpec, uses_unit_effects
from .timeaxis import TimeAxis, parse_time


def _safe(name: str) -> str:
    return re.sub(r"\W+", "_", str(name)).strip("_") or "x"


def term_name(name: str) -> str:
    """The stem of an interruption's design terms: ``level_<stem>``, ``slope_<stem>``."""
    return _safe(name)


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


def _check_columns(data: pd.DataFrame, spec: ITSSpec) -> None:
    needed = [spec.outcome, spec.time, *spec.covariates]
    for extra in (spec.offset, spec.group, spec.season_col):
        if extra is not None:
            needed.append(extra)
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise ValueError(f"Missing column(s) {missing}; the data has columns {list(data.columns)}")


def _check_spec(data: pd.DataFrame, spec: ITSSpec) -> bool:
    """Refuse a spec the design cannot be built for; return whether it is controlled."""
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
    return controlled


def _units(data: pd.DataFrame, spec: ITSSpec, controlled: bool) -> np.ndarray:
    """The unit of each row (one unit ``"series"`` for a single series), checked."""
    if not controlled:
        return np.full(len(data), "series", object)
    unit = data[spec.group].to_numpy()
    if pd.isna(unit).any():
        raise ValueError(
            f"Group column {spec.group!r} has {int(pd.isna(unit).sum())} missing unit label(s)"
        )
    if spec.treated not in set(unit):
        raise ValueError(f"Treated unit {spec.treated!r} not found in column {spec.group!r}")
    return unit


def _check_regular(t: np.ndarray, unit: np.ndarray, axis: TimeAxis, controlled: bool) -> None:
    """No duplicate period and no gap, per unit."""
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


def _outcome_and_offset(data: pd.DataFrame, spec: ITSSpec) -> tuple[np.ndarray, np.ndarray]:
    """The outcome and the log offset (0 without one), checked against the family."""
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
    return y, log_off


def _base_columns(tt, unit, y, log_off, spec: ITSSpec, axis: TimeAxis, controlled: bool):
    """The sorted rows' bookkeeping columns, the trend and (controlled) the treated-unit and
    control-effect columns; returns the columns and the term names so far."""
    scale = spec.rate_per if spec.offset is not None else 1.0
    observed = y / np.exp(log_off) * scale  # outcome scale: rate if offset given
    treated = (unit == spec.treated).astype(float) if controlled else np.ones(len(tt))
    fam = spec.family
    cols: dict[str, np.ndarray] = {
        "t": tt,
        "unit": unit,
        "log_offset": log_off,
        "observed_raw": y,
        "observed": observed,
        "y": observed if fam in ("ols", "arima") else np.log(observed) if fam == "ols_log" else y,
        "treated": treated,
        "in_fit": np.ones(len(tt), dtype=bool),  # phase-in periods are set False later
    }
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
    return cols, terms


def _resolve_interruptions(spec: ITSSpec, axis: TimeAxis, tmin: int, tmax: int):
    """Each interruption on the time axis, in date order; overlaps are refused."""
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
    return infos


def _interruption_columns(cols: dict, terms: list[str], infos, controlled: bool) -> None:
    """Level and slope columns of each interruption (and their treated interactions); the
    phase-in periods leave the fit."""
    tt, treated, in_fit = cols["t"], cols["treated"], cols["in_fit"]
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


def _disrupted_columns(cols: dict, data: pd.DataFrame, spec: ITSSpec, axis: TimeAxis):
    """Indicator columns of the disrupted periods, in any of ``spec.disrupted``'s forms;
    an indicator that is zero on every fitted row is left out. Returns the term names."""
    tt, in_fit = cols["t"], cols["in_fit"]
    tmin, tmax = int(tt.min()), int(tt.max())
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
    return [c for c in dis_terms if cols[c][in_fit].any()]


def _check_segments(frame: pd.DataFrame, infos, spec: ITSSpec, tmin: int, tmax: int) -> None:
    """At least ``spec.min_pre`` fitted points before each interruption (from the previous
    one's start) and ``spec.min_post`` after its phase-in (treated unit if controlled):
    the library's floor, which only guarantees that the terms are identified."""
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


def build_design(data: pd.DataFrame, spec: ITSSpec) -> Design:
    """Validate the data against the spec and build the named design columns: the rows
    sorted by (unit,) time, the bookkeeping and trend columns, each interruption's terms,
    the disrupted periods' indicators, season terms and covariates, then the check that
    each segment has enough points."""
    controlled = _check_spec(data, spec)
    t, axis = parse_time(data[spec.time], spec.freq)
    unit = _units(data, spec, controlled)
    _check_regular(t, unit, axis, controlled)
    y, log_off = _outcome_and_offset(data, spec)

    # rows sorted by (unit,) time; the columns are collected here and framed once at the end
    codes = pd.factorize(unit, sort=True)[0]
    order = np.lexsort((t, codes)) if controlled else np.argsort(t, kind="stable")
    data = data.iloc[order]
    tt = t[order]
    cols, terms = _base_columns(tt, unit[order], y[order], log_off[order], spec, axis, controlled)
    tmin, tmax = int(tt.min()), int(tt.max())
    infos = _resolve_interruptions(spec, axis, tmin, tmax)
    _interruption_columns(cols, terms, infos, controlled)
    dis_terms = _disrupted_columns(cols, data, spec, axis)
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
    _check_segments(frame, infos, spec, tmin, tmax)
    seg = np.full(len(frame), "pre", dtype=object)
    for info in infos:
        seg[tt >= info.t0] = "phase_in"
        seg[tt >= info.start] = info.name
    frame["segment"] = seg
    return Design(spec, frame, terms, axis, infos, dis_terms, controlled)


INTERCEPT = "Intercept"


def design_matrix(frame: pd.DataFrame, names: list[str]) -> np.ndarray:
    """The columns ``names`` of a design frame as a float matrix (``Intercept`` is 1)."""
    X = np.ones((len(frame), len(names)))
    for j, nm in enumerate(names):
        if nm != INTERCEPT:
            X[:, j] = frame[nm].to_numpy(dtype=float)
    return X
