"""The trust faults through make and the command line: no make variable reaches a shell, runs
with other parameters never touch the paper's outputs, SIGTERM leaves no kernel behind, conda
only when asked, one error line. Marked ``slow`` (about 90 s on two cores in all: each run
starts Python and loads the panel; two notebook runs of about 25 s each)."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rasso_research import paths, runs
from rasso_research.errors import ProjectError

ROOT = paths.ROOT
PANEL = ROOT / "data" / "processed" / "panel.parquet"
HAVE_MAKE_ENV = (ROOT / ".venv" / "bin" / "python").exists() and PANEL.exists()
needs_env = pytest.mark.skipif(not HAVE_MAKE_ENV, reason="needs .venv and the panel (make data)")
#: prerequisites make must take as up to date here (the tests check the recipes, not rebuilds)
OLD = ["-o", ".venv/.stamp", "-o", "data/raw/.fetched", "-o", "data/processed/panel.parquet"]


def _hostile(marker: Path) -> list[str]:
    return [
        f'x"; touch {marker}; echo "',
        f"`touch {marker}`",
        f"$(shell touch {marker})",
        f"'; touch {marker} #",
        "../../../../rasso-escape",  # out of results/runs/<slug>/ and the project
        "a" * 300,
    ]


def _make(*args, env=None, timeout=120):
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_no_make_variable_reaches_a_shell_at_parse(tmp_path):
    marker = tmp_path / "PWNED"
    for value in _hostile(marker):
        for var in ("FORCE", "INTERRUPTION", "INTERVENTION", "JOBS", "BACKEND", "SCHEDULER"):
            r = _make("-n", "help", f"{var}={value}")
            assert r.returncode == 0, r.stderr
            assert not marker.exists(), (var, value)
    assert not (ROOT / "PWNED").exists()


@pytest.mark.slow
@needs_env
def test_make_its_refuses_hostile_values_and_writes_nothing(tmp_path):
    marker = tmp_path / "PWNED"
    before = set(runs.RUNS.iterdir()) if runs.RUNS.exists() else set()
    for value in _hostile(marker):
        r = _make(*OLD, "its", f"FORCE={value}", f"INTERRUPTION={value}", f"INTERVENTION={value}")
        assert r.returncode != 0
        errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error: ")]
        assert len(errors) == 1 and "notebooks/03_force_comparison.ipynb: " in errors[0]
        assert "is not a force of the panel" in errors[0]
        assert not marker.exists(), value
    after = set(runs.RUNS.iterdir()) if runs.RUNS.exists() else set()
    assert after == before and not (ROOT / "PWNED").exists()
    assert not any((d / "rasso-escape").exists() for d in (ROOT, ROOT.parent))


@pytest.mark.slow
@needs_env
def test_make_grid_refuses_hostile_values_before_anything_runs(tmp_path):
    """JOBS, BACKEND, SCHEDULER and GRID_OUT reach Python as environment variables only; each
    bad value is one error line naming it, and no folder is made."""
    marker = tmp_path / "PWNED"
    before = set(runs.RUNS.iterdir()) if runs.RUNS.exists() else set()
    for value in _hostile(marker):
        for var, what in (
            ("JOBS", "not a whole number"),
            ("BACKEND", "not a backend"),
            ("GRID_OUT", "outside the project's results/ folder"),
        ):
            r = _make(*OLD, "grid", f"{var}={value}")
            errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error: ")]
            assert r.returncode != 0 and len(errors) == 1 and what in errors[0], (var, r.stderr)
            assert not marker.exists(), (var, value)
    r = _make(*OLD, "grid", "SCHEDULER=tcp://localhost:8786")
    assert "error: SCHEDULER: is for BACKEND=dask only" in r.stderr
    after = set(runs.RUNS.iterdir()) if runs.RUNS.exists() else set()
    assert after == before and not (ROOT / "PWNED").exists()
    assert not any((d / "rasso-escape").exists() for d in (ROOT, ROOT.parent))


@pytest.mark.slow
@needs_env
def test_the_grid_command_fits_one_curve_and_resumes(tmp_path):
    """python -m rasso_research grid for one force and date: 288 specifications in 3 chunk
    files; a second call finds every chunk on disk and gives the same curves."""
    out = runs.RUNS / f"grid-test-{os.getpid()}"
    cmd = [sys.executable, "-m", "rasso_research", "grid", "--force", "West Midlands"]
    cmd += ["--date", "jnap", "--out", str(out)]
    try:
        first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert first.returncode == 0, first.stderr
        assert "[grid] 288 specifications, 1 curves" in first.stderr
        chunks = {p.name: p.stat().st_mtime_ns for p in (out / "chunks").iterdir()}
        curves = (out / "curves.parquet").read_bytes()
        again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr
        assert len(chunks) == 3 and chunks == {
            p.name: p.stat().st_mtime_ns for p in (out / "chunks").iterdir()
        }
        assert (out / "curves.parquet").read_bytes() == curves
    finally:
        shutil.rmtree(out, ignore_errors=True)


@pytest.mark.slow
@needs_env
def test_an_edit_to_a_view_reruns_only_the_notebooks_drawing_with_it():
    """make's what-if (-W: as if the file had just changed, nothing touched): a view of the
    specification curve reruns notebooks 04 and 05, the West Midlands answer's view 03 (and 05,
    which draws from 03's tables), the report's code no notebook, an estimator every analysis
    notebook."""
    if _make(*OLD, "-q", "notebooks").returncode != 0:
        pytest.fail("the executed notebooks are not up to date: run make notebooks first")

    def rerun(path: str) -> set[str]:
        r = _make(*OLD, "-n", "-W", f"src/rasso_research/{path}", "notebooks")
        assert r.returncode == 0, r.stderr
        return {
            ln.split("notebooks/")[1][:2] for ln in r.stdout.splitlines() if " run notebooks/" in ln
        }

    assert rerun("views/spec_curve.py") == {"04", "05"}
    assert rerun("views/wm_answer.py") == {"03", "05"}  # 05 draws from 03's tables
    assert rerun("report/site.py") == set()
    assert {"02", "03", "04", "07"} <= rerun("estimators/arerrors.py")


@pytest.mark.slow
@needs_env
def test_a_run_with_other_parameters_leaves_the_paper_untouched(tmp_path):
    """A papermill run by hand and a command-line run: tables/ and figures/ byte-identical,
    and `make -q all` as it was."""
    import papermill as pm

    paper = {d: _tree(d) for d in (paths.TABLES, paths.FIGURES)}
    q_before = _make("-q", "all").returncode
    sicily = str(ROOT / "data/raw/validation/sicily.csv")
    env = {k: v for k, v in os.environ.items() if k not in (runs.PAPER_ENV, runs.RUN_ENV)}
    old = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        pm.execute_notebook(
            str(ROOT / "notebooks/00_its_validation.ipynb"),
            str(tmp_path / "out.ipynb"),
            parameters={"data_path": sicily},
            cwd=str(ROOT / "notebooks"),
            progress_bar=False,
        )
    finally:
        os.environ.clear()
        os.environ.update(old)
    r = subprocess.run(
        [sys.executable, "-m", "rasso_research", "run", "00", "-p", "data_path", sicily],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "tables/ and figures/ untouched" in r.stderr
    assert any(p.name.startswith("00-data-path-") for p in runs.RUNS.iterdir())  # the slug
    assert {d: _tree(d) for d in (paths.TABLES, paths.FIGURES)} == paper
    assert _make("-q", "all").returncode == q_before


def _descendants(pid: int) -> set[int]:
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d.name))
    out, todo = set(), [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.add(k)
            todo.append(k)
    return out


@pytest.mark.slow
@needs_env
def test_sigterm_to_make_leaves_no_kernel_behind():
    p = subprocess.Popen(
        ["make", "--no-print-directory", *OLD, "its", "FORCE=Avon and Somerset"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline, seen = time.time() + 60, set()
    while time.time() < deadline and len(seen) < 2:  # the CLI and its kernel
        seen = _descendants(p.pid)
        time.sleep(0.5)
    time.sleep(3)  # the kernel is running cells
    seen = _descendants(p.pid)
    assert len(seen) >= 2, "the run did not start"
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    deadline = time.time() + 30
    while time.time() < deadline and any(Path(f"/proc/{q}").exists() for q in seen):
        time.sleep(0.5)
    left = [q for q in seen if Path(f"/proc/{q}").exists()]
    assert not left, f"processes left behind: {left}"
    folder = runs.RUNS / "03-force-avon-and-somerset"
    assert not list(folder.glob("*.part.ipynb"))


@pytest.mark.slow
def test_conda_only_when_asked():
    env = {"CONDA_PREFIX": "/opt/conda/envs/x"}
    plain = _make("-n", "-B", ".venv/.stamp", env=env)
    assert "conda" not in plain.stdout and ".venv/bin/python -m pip install" in plain.stdout
    asked = _make("-n", "-B", ".make/conda.stamp", env={**env, "RASSO_USE_CONDA": "1"})
    assert "python -m pip install -q --no-deps -e ." in asked.stdout


@pytest.mark.slow
def test_a_failed_validation_is_one_error_line(tmp_path):
    t = tmp_path / "validation.csv"
    t.write_text("key,within\na,True\nb,False\n")
    r = subprocess.run(
        [sys.executable, "-m", "rasso_research", "check-validation", str(t)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"error: {t}: 1 of 2 published numbers not reproduced within their tolerance: b "
        "(see notebook 00 and config/validation.csv; the build stops until they are)"
    ]


@pytest.mark.slow
@needs_env
def test_a_run_in_which_nothing_can_be_modelled_fails_with_the_table():
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "rasso_research",
            "run",
            "03",
            "--force",
            "Greater Manchester",
            "--interruption",
            "2020Q3",
            "--check",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 3
    assert r.stderr.startswith("error: notebooks/03_force_comparison.ipynb: no series can be")
    assert "n_pre" in r.stderr and "too short for ITS" in r.stderr


@pytest.mark.slow
def test_a_failed_run_leaves_one_failed_notebook(tmp_path):
    """A failing notebook: one error line naming <name>.failed.ipynb, replaced by the next
    failure (no pile of logs), no .part left."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("raise ValueError(f'bad x={x}')")]
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Py"}
    nb.metadata["language_info"] = {"name": "python"}
    path = tmp_path / "09_fails.ipynb"
    nbformat.write(nb, path)
    run = runs.Run(
        tmp_path / "run", tmp_path / "run" / path.name, tmp_path / "t", tmp_path / "f", False
    )
    for x in (2, 3):
        with pytest.raises(ProjectError) as e:
            runs.execute(path, {"x": x}, run)
        assert f"09_fails.failed.ipynb: ValueError: bad x={x}" in str(e.value)
    assert sorted(p.name for p in run.folder.iterdir()) == ["09_fails.failed.ipynb"]
