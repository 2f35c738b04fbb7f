"""Fiscal (April-March) and calendar quarters: ``2018/19 Q3`` <-> ``2018Q4``."""

from __future__ import annotations

import re

import pandas as pd

_FQ = re.compile(r"^\s*(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*Q([1-4])\s*$")


def fiscal_year_label(start_year: int) -> str:
    """``2018`` -> ``'2018/19'``."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def fiscal_year_start(label: str) -> int:
    """``'2018/19'`` or ``'2018-19'`` -> 2018."""
    m = re.match(r"^\s*(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*$", str(label))
    if not m:
        raise ValueError(f"not a financial year label: {label!r}")
    start = int(m.group(1))
    end = int(m.group(2))
    if end % 100 != (start + 1) % 100:
        raise ValueError(f"inconsistent financial year label: {label!r}")
    return start


def fiscal_quarter_label(fy: str | int, q: int) -> str:
    """(``'2018/19'``, 3) -> ``'2018/19 Q3'``."""
    start = fy if isinstance(fy, int) else fiscal_year_start(fy)
    q = int(q)
    if q not in (1, 2, 3, 4):
        raise ValueError(f"fiscal quarter must be 1-4, got {q}")
    return f"{fiscal_year_label(start)} Q{q}"


def fiscal_to_calendar(label: str) -> str:
    """``'2018/19 Q3'`` -> ``'2018Q4'`` (fiscal Q1 = April-June = calendar Q2)."""
    m = _FQ.match(str(label))
    if not m:
        raise ValueError(f"not a fiscal quarter label: {label!r}")
    start, q = int(m.group(1)), int(m.group(3))
    return f"{start}Q{q + 1}" if q < 4 else f"{start + 1}Q1"


def calendar_to_fiscal(label: str) -> str:
    """``'2018Q4'`` -> ``'2018/19 Q3'``."""
    p = pd.Period(str(label), freq="Q")
    start = p.year if p.quarter > 1 else p.year - 1
    q = p.quarter - 1 if p.quarter > 1 else 4
    return fiscal_quarter_label(start, q)


def quarter_end_to_fiscal(date) -> str:
    """A quarter-end date (e.g. ``30/06/2014``) -> ``'2014/15 Q1'``."""
    ts = pd.Timestamp(date)
    return calendar_to_fiscal(str(ts.to_period("Q")))


def fiscal_quarter_end(label: str) -> pd.Timestamp:
    """``'2018/19 Q3'`` -> Timestamp('2018-12-31')."""
    return pd.Period(fiscal_to_calendar(label), freq="Q").end_time.normalize()


def fiscal_year_of(label: str) -> str:
    """``'2018/19 Q3'`` -> ``'2018/19'``."""
    return str(label).split(" ")[0]
