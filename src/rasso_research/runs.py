"""Notebook runs: the run's own folder, papermill, and manifests.

The parameters come checked and canonical from :func:`rasso_research.params.check`. A run
writes into ``results/runs/<slug>/`` (:func:`rasso_research.params.slug`: its tables, figures,
executed notebook and ``manifest.json``); only the paper run (``make all``, :data:`PAPER_ENV`,
the notebooks' defaults) writes ``tables/`` and ``figures/``, whose ``manifest.json`` is
:func:`write_paper_manifest`'s. No value reaches a shell: papermill runs in this process.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from rasso_research import paths
from rasso_research.errors import ProjectError
from rasso_research.params import (
    OUTPUT_PARAMS,
    RunParameterError,
    changed,
    defaults,
    notebooks,
    slug,
)

#: set to 1 by the Makefile's paper rules: the run writes the paper's tables/ and figures/
PAPER_ENV = "RASSO_PAPER_RUN"
#: the folder of a run (set by :func:`execute`, or by the test session for nbval)
RUN_ENV = "RASSO_RUN_DIR"
#: where runs with other parameters go
RUNS = paths.RESULTS / "runs"
#: the executed notebooks of the paper run
PAPER_NOTEBOOKS = paths.RESULTS / "notebooks"
# ---- manifests ---------------------------------------------------------------------------------


def _git() -> dict:
    def git(*args):
        r = subprocess.run(
            ["git", *args], cwd=paths.ROOT, capture_output=True, text=True, check=False
        )
        return r.stdout.strip() if r.returncode == 0 else None

    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": git("rev-parse", "HEAD"),
        "dirty": bool(status) if status is not None else None,
    }


PACKAGES = (
    "rasso_research",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "matplotlib",
    "pyarrow",
    "pandera",
    "papermill",
    "nbformat",
)


def _sha256(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def inputs() -> dict[str, str]:
    """The inputs' sha256: each raw file in place (``data/raw/.fetched``, written by the
    verified fetch), the processed panel and the config tables."""
    out = {}
    stamp = paths.DATA_RAW / ".fetched"
    if stamp.exists():
        for line in stamp.read_text().splitlines():
            h, _, name = line.partition("  ")
            out[f"data/raw/{name}"] = h
    for p in [paths.DATA_PROCESSED / "panel.parquet", *sorted(paths.CONFIG.glob("*.csv"))]:
        if p.exists():
            out[str(p.relative_to(paths.ROOT))] = _sha256(p)
    return out


def manifest(parameters: Mapping) -> dict:
    """Parameters (by notebook), git commit, Python and package versions, inputs' sha256."""
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "parameters": dict(parameters),
        "git": _git(),
        "python": sys.version.split()[0],
        "packages": versions,
        "inputs": inputs(),
        "written": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def write_json(obj, path: Path) -> Path:
    """Write ``obj`` as JSON to ``path`` atomically (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as fh:
        json.dump(obj, fh, indent=2, sort_keys=True, default=str)
        fh.write("\n")
    os.replace(tmp, path)
    return path


#: files in tables/ and figures/ that no notebook writes but the build keeps
KEEP = {"manifest.json", ".gitkeep"}


def _paper_files() -> list[Path]:
    return sorted(
        f for d in (paths.TABLES, paths.FIGURES) if d.exists() for f in d.iterdir() if f.is_file()
    )


def record_outputs(stem: str, since_ns: int) -> Path:
    """``results/notebooks/<stem>.outputs.json``: the files of tables/ and figures/ written
    since ``since_ns`` (the paper run of notebook ``stem``; under ``make -j2`` a file another
    notebook wrote meanwhile is listed too, which only keeps it)."""
    written = [
        f.relative_to(paths.ROOT).as_posix()
        for f in _paper_files()
        if f.name not in KEEP and f.stat().st_mtime_ns >= since_ns
    ]
    return write_json(written, PAPER_NOTEBOOKS / f"{stem}.outputs.json")


def stale_outputs() -> list[Path]:
    """Files in tables/ and figures/ that the last paper run of no notebook wrote (a table or
    figure a notebook no longer makes, or a stray copy): ``make all`` owns both folders, so
    :func:`write_paper_manifest` removes them. Nothing is stale until every notebook has a
    record of its outputs."""
    records = [PAPER_NOTEBOOKS / f"{p.stem}.outputs.json" for p in notebooks().values()]
    if not all(r.exists() for r in records):
        return []
    owned = {x for r in records for x in json.loads(r.read_text())}
    return [
        f
        for f in _paper_files()
        if f.name not in KEEP and f.relative_to(paths.ROOT).as_posix() not in owned
    ]


def write_paper_manifest() -> list[Path]:
    """``tables/manifest.json`` and ``figures/manifest.json``: the paper run's manifest, with
    every notebook's (default) parameters, after removing the stale outputs
    (:func:`stale_outputs`, each named on stderr)."""
    for f in stale_outputs():
        print(
            f"[manifest] removed {f.relative_to(paths.ROOT).as_posix()}: no notebook writes it",
            file=sys.stderr,
        )
        f.unlink()
    params = {
        p.stem: {k: v for k, v in defaults(p).items() if k not in OUTPUT_PARAMS}
        for p in notebooks().values()
    }
    m = manifest(params)
    return [write_json(m, d / "manifest.json") for d in (paths.TABLES, paths.FIGURES)]


# ---- execution ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """Where a run writes: its folder, executed notebook, tables and figures."""

    folder: Path
    notebook: Path
    tables: Path
    figures: Path
    paper: bool


def plan(path: Path, params: Mapping, paper: bool = False) -> Run:
    """The run's folders: the paper's (``results/notebooks/``, ``tables/``, ``figures/``;
    only with the notebook's defaults) or ``results/runs/<slug>/``."""
    if paper:
        diff = changed(path, params)
        if diff:
            raise RunParameterError(
                path,
                f"the paper run takes the notebook's defaults, not {sorted(diff)}",
                "run it without --paper: it then writes to results/runs/<slug>/",
            )
        return Run(PAPER_NOTEBOOKS, PAPER_NOTEBOOKS / path.name, paths.TABLES, paths.FIGURES, True)
    folder = RUNS / slug(path, params)
    return Run(folder, folder / path.name, folder / "tables", folder / "figures", False)


def injected(path: Path, params: Mapping, run: Run) -> dict:
    """The parameters papermill injects: the changed ones and, outside the paper run, the
    run's own output folders."""
    out = changed(path, params)
    if not run.paper:
        names = defaults(path)
        out |= {k: str(run.tables) for k in ("tables_dir",) if k in names}
        out |= {k: str(run.figures) for k in ("figures_dir", "outdir") if k in names}
    return out


def without_iri_grammar() -> None:
    """Keep rfc3987-syntax out of this process. jsonschema (under nbformat and papermill)
    imports it when installed, to check the "iri" string formats, and it builds a Lark grammar
    at import: 1.1-1.5 CPU-s of each notebook run's fixed cost (make bench). No notebook
    schema uses those formats, so nothing is checked less."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # None: its import raises ImportError


def execute(path: Path, params: Mapping, run: Run) -> Run:
    """Run the notebook with papermill in this process (no shell), into ``run``: the
    executed notebook is written beside as ``.part`` and renamed when the run succeeds; a
    failed run leaves ``<notebook>.failed.ipynb`` (one per notebook, replaced by the next)
    and raises naming it with the error. A run outside the paper writes its manifest."""
    without_iri_grammar()
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    run.folder.mkdir(parents=True, exist_ok=True)
    part = run.notebook.with_name(run.notebook.stem + ".part.ipynb")
    failed = run.notebook.with_name(run.notebook.stem + ".failed.ipynb")
    os.environ.pop(PAPER_ENV, None)
    os.environ.pop(RUN_ENV, None)
    os.environ[PAPER_ENV if run.paper else RUN_ENV] = "1" if run.paper else str(run.folder)
    quiet = os.environ.get("RASSO_DEBUG") != "1"
    start_ns = time.time_ns() - 1_000_000_000  # file times are coarser than the clock
    saved = _stderr_to_devnull() if quiet else None  # the kernel's own warnings, not ours
    try:
        pm.execute_notebook(
            str(path),
            str(part),
            parameters=injected(path, params, run),
            cwd=str(path.parent),
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
        )
    except PapermillExecutionError as exc:
        if part.exists():
            os.replace(part, failed)
        raise ProjectError(
            failed,
            f"{exc.ename}: {' '.join(str(exc.evalue).split())}",
            "the executed notebook holds the traceback",
        ) from exc
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)
    os.replace(part, run.notebook)
    failed.unlink(missing_ok=True)
    if run.paper:
        record_outputs(path.stem, start_ns)
    else:
        write_json(
            manifest({path.stem: {k: v for k, v in params.items() if k not in OUTPUT_PARAMS}}),
            run.folder / "manifest.json",
        )
    return run


def _stderr_to_devnull() -> int:
    """Point file descriptor 2 at /dev/null (a kernel started now inherits it); return the
    saved descriptor."""
    sys.stderr.flush()
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)
    return saved


def headline(run: Run) -> str | None:
    """The executed notebook's first bold sentence of Markdown output (its headline), if any."""
    import nbformat

    nb = nbformat.read(run.notebook, as_version=4)
    for c in nb.cells:
        for o in c.get("outputs", []):
            text = o.get("data", {}).get("text/markdown", "")
            if isinstance(text, list):
                text = "".join(text)
            if text.startswith("**"):
                return text.split("**")[1]
    return None


def written(run: Run, since: float) -> list[Path]:
    """The files of the run's tables and figures written since ``since`` (a time stamp)."""
    found = [p for d in (run.tables, run.figures) if d.is_dir() for p in d.iterdir()]
    return sorted(p for p in found if p.is_file() and p.stat().st_mtime >= since)
