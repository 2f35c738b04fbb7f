"""Compare two folders of result tables (CSV), as written by the pipeline.

For every table in either folder: rows and columns added or removed, and for the columns in
both, whether every cell is the same. Numeric cells are compared as numbers, equal within
``--rtol`` (relative, default 1e-9) or ``--atol`` (absolute, default 1e-12): the pipeline writes
every digit, so the last bits of a float may move with the BLAS or the platform, and ``1.000``
(an older file's rounding) equals ``1``. For text columns that differ the distinct old -> new
replacements are listed, so a renamed label is told apart from a changed number. Exit status 1
when a numeric cell differs (or with ``--strict``, when anything does).

Usage: ``python tools/compare_tables.py OLD_DIR NEW_DIR [--strict] [--rtol R] [--atol A]
[--rename OLD=NEW ...]`` (``--rename`` maps a table renamed between the two folders).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

RTOL, ATOL = 1e-9, 1e-12


def _numeric(s: pd.Series) -> bool:
    return pd.to_numeric(s.dropna(), errors="coerce").notna().all() and s.notna().any()


def _numbers_differ(x: pd.Series, y: pd.Series, rtol: float, atol: float) -> pd.Series:
    """Cell by cell: the two numeric columns (as text) differ beyond the tolerance (an empty
    cell equals only an empty cell)."""
    a = pd.to_numeric(x.replace("", None), errors="coerce").to_numpy(dtype=float)
    b = pd.to_numeric(y.replace("", None), errors="coerce").to_numpy(dtype=float)
    same = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
    return pd.Series(~same, index=x.index)


def compare(
    old: Path, new: Path, rtol: float = RTOL, atol: float = ATOL
) -> tuple[list[str], bool, bool]:
    """Lines describing the differences of two CSV tables, whether a number differs and
    whether anything differs."""
    a = pd.read_csv(old, dtype=str, keep_default_na=False)
    b = pd.read_csv(new, dtype=str, keep_default_na=False)
    out, num_diff, any_diff = [], False, False
    gone = [c for c in a.columns if c not in b.columns]
    added = [c for c in b.columns if c not in a.columns]
    if gone:
        out.append(f"  columns removed: {gone}")
        any_diff = True
    if added:
        out.append(f"  columns added: {added}")
        any_diff = True
    if len(a) != len(b):
        out.append(f"  rows: {len(a)} -> {len(b)}")
        return out, True, True
    for c in [c for c in a.columns if c in b.columns]:
        x, y = a[c], b[c]
        if x.equals(y):
            continue
        diff = x != y
        if _numeric(x.replace("", None)) and _numeric(y.replace("", None)):
            diff = _numbers_differ(x, y, rtol, atol)
            if not diff.any():
                continue
            any_diff = num_diff = True
            i = diff.idxmax()
            out.append(
                f"  {c}: {int(diff.sum())} numbers differ (first: row {i}, {x[i]} -> {y[i]})"
            )
        else:
            any_diff = True
            pairs = sorted({(p, q) for p, q in zip(x[diff], y[diff], strict=True)})
            shown = "; ".join(f"{p!r} -> {q!r}" for p, q in pairs[:6])
            more = f" (+{len(pairs) - 6} more)" if len(pairs) > 6 else ""
            out.append(f"  {c}: text differs in {int(diff.sum())} rows: {shown}{more}")
    return out, num_diff, any_diff


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--strict", action="store_true", help="fail on any difference")
    ap.add_argument("--rename", nargs="*", default=[], help="OLD=NEW table stems")
    ap.add_argument("--rtol", type=float, default=RTOL, help="relative tolerance of numbers")
    ap.add_argument("--atol", type=float, default=ATOL, help="absolute tolerance of numbers")
    args = ap.parse_args(argv)
    ren = dict(r.split("=", 1) for r in args.rename)
    olds = {p.stem: p for p in sorted(args.old.glob("*.csv"))}
    news = {p.stem: p for p in sorted(args.new.glob("*.csv"))}
    bad = False
    for stem, p in olds.items():
        target = ren.get(stem, stem)
        if target not in news:
            print(f"{stem}: only in {args.old}")
            bad = bad or args.strict
            continue
        lines, num, anyd = compare(p, news[target], args.rtol, args.atol)
        name = stem if target == stem else f"{stem} -> {target}"
        print(
            f"{name}: "
            + ("numbers identical" if not num else "NUMBERS DIFFER")
            + ("" if anyd else ", identical")
        )
        for line in lines:
            print(line)
        bad = bad or num or (args.strict and anyd)
    for stem in sorted(set(news) - {ren.get(s, s) for s in olds}):
        print(f"{stem}: only in {args.new}")
        bad = bad or args.strict
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
