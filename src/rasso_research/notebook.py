"""What every notebook does around its analysis: where it writes (the paper's ``tables/`` and
``figures/`` unless its parameters say otherwise), pandas' display width, and printing a
result table rounded for reading (the files keep every digit the writer keeps)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from rasso_research import paths
from rasso_research.report.format import rounded


def setup(tables_dir=None, figures_dir=None) -> tuple[Path, Path]:
    """The notebook's output folders (``None``: the project's ``tables/`` and ``figures/``)
    and pandas' display options for printed tables."""
    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", 20)
    tables = paths.TABLES if tables_dir is None else Path(tables_dir)
    figures = paths.FIGURES if figures_dir is None else Path(figures_dir)
    return tables, figures


def show(df: pd.DataFrame, columns: Sequence[str] | None = None, index: bool = False) -> None:
    """Print ``df`` (its ``columns``, when given) with numbers rounded to 3 significant
    digits, without the row index unless ``index``."""
    d = df[list(columns)] if columns is not None else df
    print(rounded(d).to_string(index=index))
