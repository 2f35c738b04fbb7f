"""Regression-to-the-mean placebo: is a unit's rise after a trough larger than rises after
comparable troughs in units that had no intervention?

A year far below a unit's own trend tends to be followed by a rise whatever happens next
(regression to the mean). For every unit and period of a units x periods panel of one
outcome this design computes

* the *deviation*: the period's value less the unit's own linear trend fitted (OLS) on the
  ``trend_years`` periods before it and projected one period on;
* the *rebound*: the change from the period to the next one.

For the treated unit's trough (default: the period before the first treated one) it then
takes every donor unit-period at least as far below its own trend (deviation <= the
treated unit's) and reports the share of them followed by a rebound at least as large as
the treated unit's (the *placebo rate*, k of n), and the treated unit's rebound percentile
among them (the share of their rebounds below it). A high rate says that a rebound of that
size after a trough that deep is common without the intervention. With fewer than
``min_donor_years`` such donor unit-periods no rate is given: the result says so.

On ``scale="log"`` (the default) deviations and rebounds are in log points, so units of
different levels (forces' rates per 100,000) are compared in proportion; ``"level"`` keeps
the outcome's units. Periods are taken as consecutive in the sorted order of the time column
(a period missing from the whole panel is not bridged); a unit-period whose trend window, value
or next value is missing is not computed and is not counted.

The spec is the package's :class:`~rasso_research.its.ITSSpec`: ``outcome``, ``time``,
``group`` (the unit column), ``treated`` and the focus interruption (the first treated period).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rasso_research.constants import FOCUS
from rasso_research.its import ITSSpec

from .base import DesignResult, focus_index

__all__ = ["SCALES", "ReboundInputError", "ReboundPlacebo", "fit_rebound", "trend_deviations"]

#: the scales deviations and rebounds are measured on
SCALES = ("log", "level")
#: fewest donor unit-periods at least as far below trend for a placebo rate
MIN_DONOR_YEARS = 10


class ReboundInputError(ValueError):
    """Bad input to the rebound placebo (the message names the parameter and the fix)."""


# ---- the numbers ------------------------------------------------------------------------
def trend_deviations(Y: np.ndarray, trend_years: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a units x periods matrix ``Y``: the trend value projected at each period from the
    ``trend_years`` periods before it (OLS line), the deviation from it and the change to the
    next period; NaN where a window, the value or the next value is missing."""
    n, T = Y.shape
    trend = np.full((n, T), np.nan)
    x = np.arange(trend_years) - (trend_years - 1) / 2
    for t in range(trend_years, T):
        W = Y[:, t - trend_years : t]
        slope = (W - W.mean(axis=1, keepdims=True)) @ x / (x @ x)
        trend[:, t] = W.mean(axis=1) + slope * (trend_years - (trend_years - 1) / 2)
    rebound = np.full((n, T), np.nan)
    rebound[:, :-1] = Y[:, 1:] - Y[:, :-1]
    return trend, Y - trend, rebound


# ---- the result -------------------------------------------------------------------------
@dataclass
class ReboundPlacebo(DesignResult):
    """The treated unit's trough and rebound against donor unit-periods at least as far below
    their own trend (see the module docstring); ``unit_years`` holds every unit-period."""

    effect_columns = (
        "trough",
        "deviation",
        "rebound",
        "n_donor_years",
        "n_qualifying",
        "n_at_least",
        "placebo_rate",
        "percentile",
    )
    table_methods = {"effects": "effects", "unit_years": "table"}

    unit_years: pd.DataFrame
    treated: str
    trough: str
    next_period: str
    trend_years: int
    scale: str
    min_donor_years: int = MIN_DONOR_YEARS
    label: str = ""

    def _treated_row(self) -> pd.Series:
        u = self.unit_years
        return u[(u["unit"] == self.treated) & (u["period"] == self.trough)].iloc[0]

    def donors(self) -> pd.DataFrame:
        """The computed donor unit-periods, with whether each qualifies (at least as far below
        its trend as the trough) and rebounded at least as much."""
        u = self.unit_years
        return u[(u["role"] == "donor") & u["computed"]]

    def effects(self) -> pd.DataFrame:
        """One row: the trough's value, trend, deviation and rebound (and both in %), the
        donor unit-periods computed (``n_donor_years``), at least as far below trend
        (``n_qualifying``) and of those rebounding at least as much (``n_at_least``), the
        placebo rate and percentile (NaN, with ``note``, when too few qualify), the mean
        rebound of the qualifying ones and the rate among all donor unit-periods."""
        t, d = self._treated_row(), self.donors()
        q = d[d["qualifies"]]
        n, k = len(q), int(q["at_least"].sum())
        enough = n >= self.min_donor_years
        note = (
            ""
            if enough
            else f"only {n} donor unit-period(s) at least as far below trend (fewer than "
            f"{self.min_donor_years}): too few for a rate"
        )
        row = {
            "series": self.label,
            "treated": self.treated,
            "trough": self.trough,
            "next_period": self.next_period,
            "trend_years": self.trend_years,
            "scale": self.scale,
            "value": t["value"],
            "next_value": t["next_value"],
            "trend_value": t["trend_value"],
            "deviation": t["deviation"],
            "rebound": t["rebound"],
            "deviation_pct": _pct(t["deviation"], t["trend_value"], self.scale),
            "rebound_pct": _pct(t["rebound"], t["value"], self.scale),
            "n_donor_years": len(d),
            "n_qualifying": n,
            "n_at_least": k,
            "placebo_rate": k / n if enough else np.nan,
            "percentile": 100 * float((q["rebound"] < t["rebound"]).mean()) if enough else np.nan,
            "mean_qualifying_rebound": float(q["rebound"].mean()) if n else np.nan,
            "n_at_least_all": int((d["rebound"] >= t["rebound"]).sum()),
            "rate_all": float((d["rebound"] >= t["rebound"]).mean()) if len(d) else np.nan,
            "below_trend": bool(t["deviation"] < 0),
            "enough": enough,
            "min_donor_years": self.min_donor_years,
            "note": note,
        }
        return pd.DataFrame([row])

    def table(self) -> pd.DataFrame:
        """Every unit-period: value, projected trend, deviation, rebound, role, and for the
        donors whether they qualify and rebounded at least as much."""
        return self.unit_years


def _pct(change: float, base: float, scale: str) -> float:
    """A deviation or rebound in % of its base: exp(x) - 1 on the log scale, else x / base."""
    if scale == "log":
        return 100 * float(np.expm1(change))
    return 100 * change / base if base else np.nan


# ---- the design -------------------------------------------------------------------------
def fit_rebound(
    data: pd.DataFrame,
    spec: ITSSpec,
    trend_years: int = 3,
    trough=None,
    donors: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    scale: str = "log",
    min_donor_years: int = MIN_DONOR_YEARS,
    label: str = "",
) -> ReboundPlacebo:
    """The rebound placebo of ``spec.treated`` at ``trough`` (default: the period before the
    spec's focus interruption) against ``donors`` (default: every other unit) less
    ``exclude``, on ``data`` (long: unit, time, outcome columns named by the spec)."""
    _check_options(trend_years, scale, min_donor_years)
    wide = _wide(data, spec, donors, exclude)
    times = list(wide.columns)
    i = _trough_index(times, spec, trough)
    if i < trend_years or i == len(times) - 1:
        raise ReboundInputError(
            f"trough {times[i]!r} needs {trend_years} period(s) before it (trend_years) and one "
            f"after it in {times[0]}..{times[-1]}; lower trend_years or choose another trough"
        )
    values = wide.to_numpy(float)
    if scale == "log":
        bad = np.argwhere(values <= 0)
        if len(bad):
            u, t = bad[0]
            raise ReboundInputError(
                f"{spec.outcome!r} is {values[u, t]:g} for {wide.index[u]} in {times[t]}: no log; "
                "use scale='level' or drop that unit (exclude=)"
            )
        values = np.log(values)
    trend, dev, reb = trend_deviations(values, trend_years)
    if not np.isfinite([dev[-1, i], reb[-1, i]]).all():
        raise ReboundInputError(
            f"{spec.treated}: missing {spec.outcome!r} in {times[i - trend_years]}..{times[i + 1]}"
            "; choose another trough or fewer trend_years"
        )
    out = _unit_years(wide, times, trend, dev, reb, scale)
    out["qualifies"] = (out["role"] == "donor") & out["computed"] & (out["deviation"] <= dev[-1, i])
    out["at_least"] = out["qualifies"] & (out["rebound"] >= reb[-1, i])
    return ReboundPlacebo(
        out,
        spec.treated,
        str(times[i]),
        str(times[i + 1]),
        trend_years,
        scale,
        min_donor_years,
        label,
    )


def _check_options(trend_years: int, scale: str, min_donor_years: int) -> None:
    if not isinstance(trend_years, int | np.integer) or trend_years < 2:
        raise ReboundInputError(
            f"trend_years must be an integer >= 2 (a line), got {trend_years!r}"
        )
    if scale not in SCALES:
        raise ReboundInputError(f"scale must be one of {SCALES}, got {scale!r}")
    if not isinstance(min_donor_years, int | np.integer) or min_donor_years < 1:
        raise ReboundInputError(f"min_donor_years must be an integer >= 1, got {min_donor_years!r}")


def _wide(data: pd.DataFrame, spec: ITSSpec, donors, exclude) -> pd.DataFrame:
    """The units x periods matrix, donors first and the treated unit last (gaps kept)."""
    unit, time, y = spec.group, spec.time, spec.outcome
    for c in (unit, time, y):
        if c not in data.columns:
            raise ReboundInputError(f"column {c!r} not in the data ({list(data.columns)})")
    units = sorted(data[unit].dropna().unique().tolist())
    if spec.treated not in units:
        raise ReboundInputError(f"treated unit {spec.treated!r} not in column {unit!r}")
    pool = [u for u in (units if donors is None else donors) if u != spec.treated]
    unknown = sorted((set(pool) | set(exclude)) - set(units))
    if unknown:
        raise ReboundInputError(
            f"unknown donor(s) {unknown} (donors=, exclude=); units are {units}"
        )
    pool = [u for u in pool if u not in set(exclude)]
    if not pool:
        raise ReboundInputError(f"empty donor pool for {spec.treated!r} (donors=, exclude=)")
    dup = data.duplicated([unit, time])
    if dup.any():
        eg = data.loc[dup, [unit, time]].iloc[0].tolist()
        raise ReboundInputError(f"{int(dup.sum())} duplicated {unit} x {time} rows (e.g. {eg})")
    wide = data.pivot(index=unit, columns=time, values=y)
    return wide.reindex(index=[*pool, spec.treated], columns=sorted(wide.columns))


def _trough_index(times: list, spec: ITSSpec, trough) -> int:
    """Position of the trough: ``trough`` itself, or the period before the focus date."""
    labels = [str(t) for t in times]
    if trough is not None:
        if str(trough) not in labels:
            raise ReboundInputError(f"trough {trough!r} not among the periods {labels}")
        return labels.index(str(trough))
    i = focus_index(spec)
    if i is None:
        raise ReboundInputError(
            f"the spec has no {FOCUS!r} interruption: give trough= or date the first treated period"
        )
    at = str(spec.interruptions[i].at)
    if at not in labels:
        raise ReboundInputError(f"first treated period {at!r} not among the periods {labels}")
    if labels.index(at) == 0:
        raise ReboundInputError(f"no period before the first treated one ({at!r}): give trough=")
    return labels.index(at) - 1


def _unit_years(wide, times, trend, dev, reb, scale) -> pd.DataFrame:
    """Long table of every unit-period (values in the outcome's units, deviations and rebounds
    on ``scale``)."""
    n, T = wide.shape
    raw = wide.to_numpy(float)
    back = np.exp(trend) if scale == "log" else trend
    nxt = np.full((n, T), np.nan)
    nxt[:, :-1] = raw[:, 1:]
    treated = wide.index[-1]
    frame = pd.DataFrame(
        {
            "unit": np.repeat(wide.index.to_numpy(), T),
            "role": np.where(np.repeat(wide.index.to_numpy(), T) == treated, "treated", "donor"),
            "period": np.tile([str(t) for t in times], n),
            "next_period": np.tile([str(t) for t in times[1:]] + [""], n),
            "value": raw.ravel(),
            "next_value": nxt.ravel(),
            "trend_value": back.ravel(),
            "deviation": dev.ravel(),
            "rebound": reb.ravel(),
        }
    )
    frame["computed"] = np.isfinite(frame["deviation"]) & np.isfinite(frame["rebound"])
    return frame
