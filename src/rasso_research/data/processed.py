"""Reading the files of ``data/processed`` (written by :mod:`rasso_research.data.panel`), and
the error for an unknown name that lists the close matches."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from rasso_research import paths


def load_panel(path: str | Path | None = None) -> pd.DataFrame:
    """Read the processed panel (``data/processed/panel.parquet`` unless ``path``)."""
    path = Path(path) if path is not None else paths.DATA_PROCESSED / "panel.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `make data` first")
    return pd.read_parquet(path)


def load_processed(name: str, folder: str | Path | None = None) -> pd.DataFrame:
    """A side table written by the panel build (``data/processed/<name>``, CSV or parquet)."""
    p = Path(folder or paths.DATA_PROCESSED) / name
    if not p.exists():
        raise FileNotFoundError(f"{p} not found: run `make data` first")
    return pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p, encoding="utf-8-sig")


def unknown(kind: str, value: str, known: Iterable[str]) -> ValueError:
    known = sorted(set(map(str, known)))
    close = difflib.get_close_matches(str(value), known, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return ValueError(f"unknown {kind} {value!r}{hint} ({len(known)} known)")
