"""Write tidy result tables: CSV for reuse, LaTeX for the tables a paper prints.

* **CSV keeps every digit**: floats are written in their shortest round-trip form (reading the
  file back gives the same float), so a researcher can reuse the numbers without the writer's
  rounding. A float column whose values are all whole numbers (counts, horizons, lags) is
  written as integers (``2220``, not ``2220.0``); missing values are empty cells; negative zero
  is written as ``0.0`` so a file does not depend on the sign of a rounding residue.
* **LaTeX is rounded** (``digits`` decimals, :func:`rasso_research.report.format.format_number`)
  and written through pandas' ``Styler.to_latex`` (booktabs rules, caption and label), with
  every LaTeX special character of text cells, headers and captions escaped
  (:func:`escape_latex`). Only tables a paper would print get one: a table longer than
  :data:`MAX_LATEX_ROWS` rows is CSV only (and a stale ``.tex`` of that name is removed).
* Text and printed notebook tables round separately (``report.format``,
  ``notebook.show``), so the CSV's precision never changes what a notebook prints.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from .format import format_number

#: Longer tables are CSV only: a paper prints a summary, not a 1,000-row placebo table.
MAX_LATEX_ROWS = 40

#: Every character LaTeX treats specially in text, and its text-mode form. ``<`` and ``>``
#: print as inverted punctuation in the default OT1 font encoding, so they are escaped too
#: (pandas' own ``escape="latex"`` leaves them).
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}
_LATEX_RE = re.compile("|".join(re.escape(c) for c in _LATEX_SPECIAL))
#: Whole numbers up to this size convert to integers exactly.
_EXACT_INT = 2**53


def escape_latex(text) -> str:
    """``text`` with every LaTeX special character escaped, in one pass (so an escape is never
    escaped again): ``"a_b & 5% <x>"`` -> ``a\\_b \\& 5\\% \\textless{}x\\textgreater{}``."""
    return _LATEX_RE.sub(lambda m: _LATEX_SPECIAL[m.group(0)], str(text))


def _whole(col: pd.Series) -> bool:
    """A float column whose finite values are all whole numbers (and at least one is)."""
    if not pd.api.types.is_float_dtype(col):
        return False
    v = col.to_numpy(dtype=float, na_value=np.nan)
    finite = v[~np.isnan(v)]
    return (
        len(finite) > 0
        and bool(np.isfinite(finite).all())
        and bool((np.abs(finite) < _EXACT_INT).all())
        and bool((finite == np.round(finite)).all())
    )


def csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The frame as the CSV holds it: whole-number float columns as nullable integers,
    negative zero as zero; every other value untouched."""
    out = df.copy()
    for c in out.columns:
        if _whole(out[c]):
            out[c] = out[c].round().astype("Int64")
        elif pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].mask(out[c] == 0, 0.0)
    return out


def write_csv(df: pd.DataFrame, path) -> Path:
    """Write ``df`` to ``path`` at full precision (see the module docstring)."""
    path = Path(path)
    _atomic(path, csv_frame(df).to_csv(index=False, lineterminator="\n"))
    return path


def _cell(kind: str, digits: int):
    """The LaTeX formatter of a column: numbers rounded to ``digits`` decimals, integers
    whole, text escaped; missing values empty."""

    def fmt(v) -> str:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return ""
        if kind == "float":
            return format_number(float(v), digits)
        if kind == "int":
            return str(int(v))
        return escape_latex(v)

    return fmt


def _kind(col: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(col):
        return "text"
    if pd.api.types.is_integer_dtype(col):
        return "int"
    if pd.api.types.is_float_dtype(col):
        return "float"
    return "text"


def to_latex(
    df: pd.DataFrame, digits: int = 3, caption: str | None = None, label: str | None = None
) -> str:
    """A booktabs tabular of a tidy frame through ``Styler.to_latex``: numbers right-aligned
    and rounded to ``digits`` decimals (whole-number columns as integers), text escaped; in a
    ``table`` float with ``caption``/``label`` when either is given."""
    d = csv_frame(df).reset_index(drop=True)
    kinds = {c: _kind(d[c]) for c in d.columns}
    styler = d.style.hide(axis="index")
    for c, kind in kinds.items():
        styler = styler.format(_cell(kind, digits), subset=[c])
    styler = styler.format_index(escape_latex, axis=1)
    align = "".join("l" if kinds[c] == "text" else "r" for c in d.columns)
    kw = {}
    if caption or label:
        kw = {"position": "htbp", "position_float": "centering"}
        if caption:
            kw["caption"] = escape_latex(caption)
        if label:
            kw["label"] = label
    return styler.to_latex(column_format=align, hrules=True, **kw)


def write_table(
    df: pd.DataFrame,
    stem: str,
    outdir,
    digits: int = 3,
    caption: str | None = None,
    label: str | None = None,
    latex: bool = True,
) -> list[Path]:
    """Write ``outdir/stem.csv`` (every digit) and, for a table a paper would print (``latex``
    and at most :data:`MAX_LATEX_ROWS` rows), ``outdir/stem.tex`` (rounded to ``digits``
    decimals), each atomically: written to a hidden temporary file beside it and renamed into
    place, so an interrupted run never leaves a half-written table. Without a ``.tex`` a stale
    one of that name is removed. Returns the paths written."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = [write_csv(df, outdir / f"{stem}.csv")]
    tex = outdir / f"{stem}.tex"
    if latex and len(df) <= MAX_LATEX_ROWS:
        _atomic(tex, to_latex(df, digits, caption, label))
        written.append(tex)
    else:
        tex.unlink(missing_ok=True)
    return written


def _atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file renamed into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_tables(tables: dict[str, pd.DataFrame], prefix: str, outdir) -> list[Path]:
    """Write every non-empty frame of ``tables`` as ``outdir/<prefix>_<name>.csv`` (and
    ``.tex`` when short, see :func:`write_table`); an empty frame deletes a stale file of that
    name, so an old result never sits beside a new one."""
    written = []
    for name, df in tables.items():
        stem = "_".join(x for x in (prefix, name) if x)
        if df is None or df.empty:
            for suffix in (".csv", ".tex"):
                (Path(outdir) / f"{stem}{suffix}").unlink(missing_ok=True)
            continue
        written += write_table(df, stem, outdir)
    return written
