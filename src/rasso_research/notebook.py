"""What every notebook does around its analysis: where it writes, pandas' display width, and
printing a result table rounded for reading (the files keep every digit the writer keeps).

Where a notebook writes is decided here, so the notebooks barely know it: the paper run
(``make all`` sets ``RASSO_PAPER_RUN=1``) writes the project's ``tables/`` and ``figures/``;
every other run (papermill by hand, ``python -m rasso_research run``, JupyterLab, nbval under
``make test``) writes into its run folder, ``RASSO_RUN_DIR`` when set (the command line and the
test session set it) else ``results/runs/session-<time>-<pid>/``, and never into the paper's."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

from rasso_research import paths, runs
from rasso_research.errors import ProjectError
from rasso_research.report.format import rounded


def _inside(p: Path, folder: Path) -> bool:
    return p.resolve().is_relative_to(folder.resolve())


def run_folder() -> Path:
    """The folder of this run outside the paper: ``RASSO_RUN_DIR``, else a new
    ``results/runs/session-<time>-<pid>/`` (with a manifest: its parameters are the
    notebook's own, unknown here)."""
    env = os.environ.get(runs.RUN_ENV)
    if env:
        return Path(env)
    folder = runs.RUNS / f"session-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}"
    os.environ[runs.RUN_ENV] = str(folder)  # the same folder for every call in this kernel
    if not (folder / "manifest.json").exists():
        runs.write_json(
            runs.manifest({"session": "parameters as set in the notebook"}),
            folder / "manifest.json",
        )
    return folder


def output_dirs(tables_dir=None, figures_dir=None) -> tuple[Path, Path]:
    """Where this run writes its tables and figures (see the module's note); a folder given
    explicitly is used, unless it is the paper's outside the paper run."""
    if os.environ.get(runs.PAPER_ENV) == "1":
        tables = paths.TABLES if tables_dir is None else Path(tables_dir)
        figures = paths.FIGURES if figures_dir is None else Path(figures_dir)
        return tables, figures
    for given in (tables_dir, figures_dir):
        if given is not None and any(
            _inside(Path(given), d) for d in (paths.TABLES, paths.FIGURES)
        ):
            raise ProjectError(
                Path(given),
                "the paper's outputs are written only by `make all`",
                "leave tables_dir and figures_dir as None: this run then writes to its own "
                "folder under results/runs/",
            )
    folder = run_folder() if tables_dir is None or figures_dir is None else None
    tables = folder / "tables" if tables_dir is None else Path(tables_dir)
    figures = folder / "figures" if figures_dir is None else Path(figures_dir)
    return tables, figures


def setup(tables_dir=None, figures_dir=None) -> tuple[Path, Path]:
    """The notebook's output folders (:func:`output_dirs`) and pandas' display options for
    printed tables."""
    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", 20)
    return output_dirs(tables_dir, figures_dir)


def paper_tables(results_dir=None) -> Path:
    """Where a notebook reads saved results from: ``results_dir``, else the paper's
    ``tables/`` (written by ``make all``), whichever folder the run writes to."""
    return paths.TABLES if results_dir is None else Path(results_dir)


def show(df: pd.DataFrame, columns: Sequence[str] | None = None, index: bool = False) -> None:
    """Print ``df`` (its ``columns``, when given) with numbers rounded to 3 significant
    digits, without the row index unless ``index``."""
    d = df[list(columns)] if columns is not None else df
    print(rounded(d).to_string(index=index))
