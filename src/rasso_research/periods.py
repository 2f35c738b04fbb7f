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


def quarter(x) -> pd.Period:
    """Anything quarter-like -> ``Period('Q')``: ``'2020Q3'``, ``'2020-Q3'``, a fiscal label
    ``'2020/21 Q2'``, a Period or a Timestamp/date (the quarter containing it). A bare year or a
    malformed label is an error naming the value, never a silent guess."""
    if isinstance(x, pd.Period):
        return x.asfreq("Q")
    if isinstance(x, pd.Timestamp):
        return x.to_period("Q")
    s = str(x).strip()
    if _FQ.match(s):
        s = fiscal_to_calendar(s)
    if not re.fullmatch(r"\d{4}\s*-?\s*Q[1-4]", s, flags=re.I):
        raise ValueError(
            f"not a quarter: {x!r} (write a calendar quarter such as '2018Q4' or a fiscal "
            "quarter such as '2018/19 Q3')"
        )
    return pd.Period(s.replace(" ", "").replace("-", "").upper(), freq="Q")


def fiscal_quarter_of(date) -> str:
    """Any date -> its fiscal quarter label (April-March year): 2020-07-30 -> ``'2020/21 Q2'``."""
    return calendar_to_fiscal(str(pd.Timestamp(date).to_period("Q")))


def norm_period(label) -> str:
    """Unify period labels: ``'2018-19'`` -> ``'2018/19'``, also inside ``'year ending 2019-20 Q3'``."""
    return re.sub(r"(\d{4})-(\d{2})(?!\d)", r"\1/\2", str(label).strip())


def fiscal_index(label) -> int:
    """A sortable integer for a fiscal quarter label (``'2018/19 Q3'`` or ``'2018-19 Q3'``);
    consecutive quarters differ by 1 and ``index // 4`` is the start year."""
    m = re.match(r"^(\d{4})/\d{2}\s*Q([1-4])$", norm_period(label))
    if not m:
        raise ValueError(f"not a fiscal quarter label: {label!r}")
    return int(m.group(1)) * 4 + int(m.group(2)) - 1


def fiscal_label(index: int) -> str:
    """Inverse of :func:`fiscal_index`."""
    start, q = divmod(int(index), 4)
    return fiscal_quarter_label(start, q + 1)


def annual_dates(interruption) -> tuple[str, list[str]]:
    """The financial years of an interruption quarter for annual series: the first financial
    year wholly after it, and the part-exposed year containing it (empty when the quarter is
    the year's first). ``'2018Q4'`` -> ``('2019/20', ['2018/19'])``."""
    fq = calendar_to_fiscal(str(quarter(interruption)))
    fy, q = fiscal_year_of(fq), int(fq[-1])
    if q == 1:
        return fy, []
    return fiscal_year_label(fiscal_year_start(fy) + 1), [fy]
