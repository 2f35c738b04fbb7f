"""Reviewing (docs/REVIEWING.md): git diffs notebooks cell by cell through nbdime once
``make nbdime-git`` has defined the driver that .gitattributes names, and ``make lab`` starts
JupyterLab with make's environment settings."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _git(cwd: Path, *args: str) -> str:
    env = os.environ | {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    ).stdout


def _driver_command() -> str:
    """The diff command ``make nbdime-git`` configures (read from the Makefile)."""
    text = (ROOT / "Makefile").read_text()
    m = re.search(r'git config diff\.jupyternotebook\.command "\$\(NBDIME\)([^"]+)"', text)
    assert m, "the Makefile's nbdime-git target does not set diff.jupyternotebook.command"
    return f"{BIN}/{m.group(1)}"


def test_gitattributes_send_notebooks_to_the_nbdime_driver():
    out = _git(ROOT, "check-attr", "diff", "--", "notebooks/02_national_its.ipynb")
    assert out.strip().endswith("diff: jupyternotebook")


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_diff_of_a_notebook_is_cell_by_cell(tmp_path):
    if not (BIN / "git-nbdiffdriver").exists():
        pytest.skip("nbdime is not installed in this environment")
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.org")
    _git(repo, "config", "user.name", "t")
    shutil.copy(ROOT / ".gitattributes", repo / ".gitattributes")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1\nprint(x)", metadata={"tags": ["parameters"]})]
    nbformat.write(nb, repo / "a.ipynb")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "one")
    nb.cells[0].source = "x = 2\nprint(x)"
    nb.metadata["papermill"] = {"duration": 1.5}  # volatile metadata: not shown
    nbformat.write(nb, repo / "a.ipynb")

    plain = _git(repo, "diff")  # no driver defined: git's text diff of the JSON
    assert '"source": [' in plain or '-    "x = 1\\n",' in plain
    _git(repo, "config", "diff.jupyternotebook.command", _driver_command())
    readable = re.sub(r"\x1b\[[0-9;]*m", "", _git(repo, "diff", "--no-color"))  # nbdime colours
    assert "modified /cells/0/source" in readable
    assert "-x = 1" in readable and "+x = 2" in readable
    assert "papermill" not in readable and '"source"' not in readable


def test_make_lab_gets_makes_environment_settings():
    """The lab recipe with its Python replaced by a printer of the settings it receives."""
    code = f'import os; print(*(os.environ.get(k) for k in "{" ".join(KEYS)}".split()))'
    printer = f"{sys.executable} -c '{code}'"
    out = subprocess.run(
        ["make", "-s", "-o", ".venv/.stamp", "-o", ".make/conda.stamp", "-o",
         "data/processed/panel.parquet", "lab",
         f"PY={printer}", "LAB_ARGS=--no-browser"],
        cwd=ROOT, capture_output=True, text=True, check=True,
        env={k: v for k, v in os.environ.items() if k not in KEYS},
    ).stdout  # fmt: skip
    assert out.splitlines()[-1].split() == ["1", "1", "1", "268435456", "536870912", "67108864"]


KEYS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "MALLOC_MMAP_THRESHOLD_",
    "MALLOC_TRIM_THRESHOLD_",
    "MALLOC_TOP_PAD_",
)
