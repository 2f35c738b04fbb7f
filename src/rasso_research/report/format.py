"""The one number formatter: numbers in generated text, in checked notebook output and in
table files, so every place that prints a number follows the same rules."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

MISSING = "n/a"


def _finite(x) -> bool:
    try:
        return x is not None and x is not pd.NA and bool(np.isfinite(float(x)))
    except (TypeError, ValueError):
        return False


def round_sig(x, digits: int = 3):
    """Round to ``digits`` significant digits (NaN/None pass through); for checked output."""
    if not _finite(x):
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


def fmt_num(x, digits: int = 3) -> str:
    """A number for text: whole units with thousands separators from 100 up (``1,439``), else
    ``digits`` significant digits (``0.0453``, ``38.4``); ``n/a`` when missing."""
    if not _finite(x):
        return MISSING
    x = float(x)
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return format(round_sig(x, digits), ",g")


def fmt_pct(x, digits: int = 3) -> str:
    """Signed percentage for text: ``+9.93%``, ``-16%``, ``n/a``."""
    s = fmt_num(x, digits)
    return s if s == MISSING else ("+" if float(x) > 0 else "") + s + "%"


def fmt_unit(x, unit: str) -> str:
    """A value for text in the precision its unit is published in: ``38.4%``, ``+79.6%``,
    ``rank 1``, ``1,439``, ``0.52``; ``n/a`` when missing."""
    if not _finite(x):
        return MISSING
    x = float(x)
    unit = str(unit)
    if unit == "percent":
        return f"{x:.1f}%"
    if unit == "percent change":
        return f"{x:+.1f}%"
    if unit.startswith("rank"):
        return f"rank {x:.0f}"
    if unit in ("count", "defendants", "suspects") or (x.is_integer() and abs(x) >= 100):
        return f"{x:,.0f}"
    if unit == "ratio":
        return f"{x:.2f}"
    return f"{x:.2f} {unit}"


def format_number(x, digits: int = 3) -> str:
    """A table cell: fixed-point with ``digits`` decimals; NaN as an empty cell and negative
    zero as zero, so outputs do not depend on platform float printing."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return ""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    s = f"{float(x):.{digits}f}"
    if float(s) == 0:
        s = f"{0.0:.{digits}f}"
    return s


def slugify(text: str) -> str:
    """``'West Midlands 2018Q4'`` -> ``'west-midlands-2018q4'`` (for file names)."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
