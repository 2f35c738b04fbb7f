"""The time axis of an ITS: integer time ``t`` (0 at the first period) and the time column's
own values (pandas Periods, dates, period strings or integers)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np
import pandas as pd


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
