"""Benchmark (``make bench``): the fixed cost of a notebook run, in CPU-seconds.

papermill executes, in a process that has loaded what ``python -m rasso_research run`` loads
(the command line, its parameter checks, papermill without rfc3987-syntax's grammar), a
two-cell notebook (a parameters cell, then the imports every analysis
notebook makes: pandas, the series accessor, the notebook helpers, the ITS library, the
designs, the views) in a child process; the CPU-seconds of that process and its kernel
(``RUSAGE_CHILDREN``) are the cost every notebook of ``make all`` pays before its own work.
Target (issue 31): under 3.5 CPU-s. Exit status 1 when missed.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from _timing import print_rows

TARGET = 3.5  # CPU-seconds per notebook
IMPORTS = """\
import pandas as pd
from rasso_research.data import series as S
from rasso_research.notebook import setup, show
from rasso_research.studies.national import fit_sensitivity
from rasso_research.views import spec_curve as V
from rasso_research.views.style import save_figure
"""


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _run(nb: Path, out: Path) -> float:
    before = _children_cpu()
    code = (
        "import sys; from rasso_research import cli, runs; runs.without_iri_grammar(); "
        "import papermill as pm; "
        "pm.execute_notebook(sys.argv[1], sys.argv[2], progress_bar=False, kernel_name='python3')"
    )
    subprocess.run([sys.executable, "-c", code, str(nb), str(out)], check=True)
    return _children_cpu() - before


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        nb = nbformat.v4.new_notebook()
        params = nbformat.v4.new_code_cell("x = 1")
        params.metadata["tags"] = ["parameters"]
        nb.cells = [params, nbformat.v4.new_code_cell(IMPORTS)]
        path = Path(tmp) / "fixed.ipynb"
        nbformat.write(nb, path)
        empty = nbformat.v4.new_notebook()
        empty.cells = [params]
        epath = Path(tmp) / "empty.ipynb"
        nbformat.write(empty, epath)
        _run(epath, Path(tmp) / "warm.ipynb")  # warm the file cache
        t_kernel = min(_run(epath, Path(tmp) / f"e{i}.ipynb") for i in range(2))
        t_all = min(_run(path, Path(tmp) / f"o{i}.ipynb") for i in range(2))
    ok = t_all < TARGET
    print_rows(
        [
            ("papermill + kernel start", f"{t_kernel:.2f} CPU-s", "a notebook with no imports"),
            ("+ the notebooks' imports", f"{t_all - t_kernel:.2f} CPU-s", "pandas .. views"),
            (
                "fixed cost per notebook",
                f"{t_all:.2f} CPU-s",
                f"target < {TARGET:g}: {'MET' if ok else 'MISSED'}",
            ),
        ]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
