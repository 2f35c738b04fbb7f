"""Write tidy result tables as CSV and booktabs LaTeX with deterministic formatting."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from .format import format_number


def _escape(s: str) -> str:
    for a, b in (
        ("\\", r"\textbackslash{}"),
        ("&", r"\&"),
        ("%", r"\%"),
        ("_", r"\_"),
        ("#", r"\#"),
        ("$", r"\$"),
    ):
        s = s.replace(a, b)
    return s


def to_latex(
    df: pd.DataFrame, digits: int = 3, caption: str | None = None, label: str | None = None
) -> str:
    """A booktabs tabular (numbers right-aligned) for a tidy frame."""
    cols = list(df.columns)
    align = "".join("r" if pd.api.types.is_numeric_dtype(df[c]) else "l" for c in cols)
    lines = []
    if caption or label:
        lines += [r"\begin{table}[htbp]", r"\centering"]
        if caption:
            lines.append(rf"\caption{{{_escape(caption)}}}")
        if label:
            lines.append(rf"\label{{{label}}}")
    lines += [
        rf"\begin{{tabular}}{{{align}}}",
        r"\toprule",
        " & ".join(_escape(str(c)) for c in cols) + r" \\",
        r"\midrule",
    ]
    for _, row in df.iterrows():
        cells = [
            format_number(v, digits) if pd.api.types.is_numeric_dtype(df[c]) else _escape(str(v))
            for c, v in zip(cols, row, strict=True)
        ]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if caption or label:
        lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def write_table(
    df: pd.DataFrame,
    stem: str,
    outdir,
    digits: int = 3,
    caption: str | None = None,
    label: str | None = None,
) -> list[Path]:
    """Write ``outdir/stem.csv`` (numbers to ``digits`` decimals) and ``outdir/stem.tex``, each
    atomically: written to a hidden temporary file beside it and renamed into place, so an
    interrupted run never leaves a half-written table."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    csv, tex = outdir / f"{stem}.csv", outdir / f"{stem}.tex"
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = [format_number(v, digits) for v in out[c]]
    _atomic(csv, out.to_csv(index=False, lineterminator="\n"))
    _atomic(tex, to_latex(df, digits, caption, label))
    return [csv, tex]


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
    """Write every non-empty frame of ``tables`` as ``outdir/<prefix>_<name>.csv/.tex``; an
    empty frame deletes a stale file of that name, so an old result never sits beside a new one."""
    written = []
    for name, df in tables.items():
        stem = "_".join(x for x in (prefix, name) if x)
        if df is None or df.empty:
            for suffix in (".csv", ".tex"):
                (Path(outdir) / f"{stem}{suffix}").unlink(missing_ok=True)
            continue
        written += write_table(df, stem, outdir)
    return written
