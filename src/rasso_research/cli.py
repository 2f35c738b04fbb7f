"""The command line: ``python -m rasso_research <command>``.

``run`` checks every parameter of a notebook before a kernel starts (:func:`params.check`),
refuses a force-comparison run in which no series can be modelled (the feasibility table), then
runs papermill in this process and prints the headline and where the outputs went; ``its``
is ``run 03`` with ``RASSO_FORCE``, ``RASSO_INTERRUPTION`` and ``RASSO_INTERVENTION`` from the
environment (``make its FORCE=...``: make passes them so, never through a shell);
``params`` lists a notebook's parameters; ``check-validation`` fails when a published
number is not reproduced; ``manifest`` writes the paper's manifest. Errors are one line,
``error: <path>: <what> (<fix>)``, exit status 2 (3: nothing can be modelled).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from pathlib import Path

import click

from rasso_research import errors, params, paths, runs

#: exit status of a run in which no series can be modelled
INFEASIBLE = 3


def _die_with_parent() -> None:
    """SIGTERM on SIGTERM and when the parent (make) dies: papermill's kernel is then shut
    down on the way out instead of being orphaned (Linux: ``PR_SET_PDEATHSIG``)."""

    def stop(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _say(text: str) -> None:
    click.echo(text, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """rasso_research: run a notebook with checked parameters, check the validation."""


def _given(force, interruption, intervention, pairs) -> dict:
    given = {name: params.parse_value(value) for name, value in pairs}
    for name, value in (
        ("force", force),
        ("interruption", interruption),
        ("intervention", intervention),
    ):
        if value is not None and value != "":
            given[name] = value
    return given


def _run(notebook: str, given: dict, paper: bool, check_only: bool) -> int:
    """Check, plan, execute, report; returns the exit status."""
    from rasso_research.data import series as S

    path = params.notebook(notebook)
    panel = S.load_panel() if (paths.DATA_PROCESSED / "panel.parquet").exists() else None
    values = params.check(path, given, panel)
    feas = params.feasibility(values, panel) if panel is not None else None
    if feas is not None and not feas["feasible"].any():
        _say(
            f"error: {errors.rel(path)}: no series can be modelled at this interruption "
            "(another date, force or window, or lower min_pre/min_post):"
        )
        _say(feas.to_string(index=False))
        return INFEASIBLE
    run = runs.plan(path, values, paper)
    if check_only:
        _say(f"[run] parameters valid; {path.stem} would write to {errors.rel(run.folder)}/")
        return 0
    _say(f"[run] {path.stem} -> {errors.rel(run.notebook)}")
    start = time.time()
    runs.execute(path, values, run)
    if path.name.startswith("00_"):
        check_validation(run.tables / "validation.csv", run)
    took = time.time() - start
    out = runs.written(run, start - 1)
    _say(f"[run] {path.stem} done in {took:.0f} s")
    if (line := runs.headline(run)) and not paper:
        _say(f"  {line}")
    if not paper:
        n_tab = sum(p.parent == run.tables for p in out)
        _say(
            f"  outputs: {errors.rel(run.folder)}/ ({n_tab} table files, {len(out) - n_tab} "
            f"figure files, {run.notebook.name}, manifest.json); tables/ and figures/ untouched"
        )
    return 0


@main.command()
@click.argument("notebook")
@click.option("--force", default=None, help="a force of the panel (notebooks 03 and 05)")
@click.option("--interruption", default=None, help="a quarter: 2019Q2 or 2018/19 Q4")
@click.option("--intervention", default=None, help="an id of config/interventions.csv")
@click.option(
    "-p",
    "--param",
    "pairs",
    nargs=2,
    multiple=True,
    metavar="NAME VALUE",
    help="any notebook parameter (a Python literal or text); repeatable",
)
@click.option(
    "--paper",
    is_flag=True,
    help="the paper run (make all): defaults only, writes tables/ and figures/",
)
@click.option("--check", "check_only", is_flag=True, help="check the parameters and stop")
def run(notebook, force, interruption, intervention, pairs, paper, check_only):
    """Run NOTEBOOK (03, 03_force_comparison or its path) with checked parameters."""
    _die_with_parent()
    try:
        status = _run(notebook, _given(force, interruption, intervention, pairs), paper, check_only)
    except KeyboardInterrupt:
        _say("error: interrupted (the kernel was shut down; nothing half-written is kept)")
        status = 130
    except Exception as exc:  # one line, the traceback with RASSO_DEBUG=1
        status = errors.fail(exc)
    sys.exit(status)


@main.command()
@click.option("--check", "check_only", is_flag=True, help="check the parameters and stop")
def its(check_only):
    """Notebook 03 for RASSO_FORCE at RASSO_INTERRUPTION or RASSO_INTERVENTION (environment
    variables: make its FORCE=... INTERRUPTION=...)."""
    env = {k: os.environ.get(f"RASSO_{k}") for k in ("FORCE", "INTERRUPTION", "INTERVENTION")}
    run.callback(
        "03", env["FORCE"], env["INTERRUPTION"], env["INTERVENTION"], (), False, check_only
    )


@main.command("params")
@click.argument("notebook")
def list_params(notebook):
    """List NOTEBOOK's parameters and their defaults."""
    try:
        path = params.notebook(notebook)
    except Exception as exc:
        sys.exit(errors.fail(exc))
    for name, value in params.defaults(path).items():
        note = " (set by the run)" if name in params.OUTPUT_PARAMS else ""
        click.echo(f"{name} = {value!r}{note}")


def check_validation(table: Path, run: runs.Run | None = None) -> None:
    """Raise when a row of the validation table is not within its tolerance, a row "not run"
    because its optional file is absent apart (the executed
    notebook of ``run`` is then set aside as ``.failed.ipynb``, so make runs it again)."""
    import pandas as pd

    if not table.exists():
        raise errors.ProjectError(table, "not written", "run notebook 00 (make all)")
    v = pd.read_csv(table)
    within = v["within"].astype(str).str.lower().isin(["true", "1"])
    if "status" in v:  # numbers of an optional file the mirror lacks: not run, not failed
        within |= v["status"].astype(str).str.startswith("not run")
    if within.all():
        return
    if run is not None and run.notebook.exists():
        os.replace(run.notebook, run.notebook.with_name(run.notebook.stem + ".failed.ipynb"))
    bad = ", ".join(v.loc[~within, "key"].astype(str))
    raise errors.ProjectError(
        table,
        f"{int((~within).sum())} of {len(v)} published numbers not reproduced within their "
        f"tolerance: {bad}",
        "see notebook 00 and config/validation.csv; the build stops until they are",
    )


@main.command("check-validation")
@click.argument("table", required=False, type=click.Path(path_type=Path))
def check_validation_cmd(table):
    """Fail when tables/validation.csv (or TABLE) has a number outside its tolerance."""
    try:
        check_validation(table or paths.TABLES / "validation.csv")
    except Exception as exc:
        sys.exit(errors.fail(exc))


@main.command()
def manifest():
    """Write the paper's manifest (tables/manifest.json, figures/manifest.json)."""
    try:
        for p in runs.write_paper_manifest():
            _say(f"[manifest] {errors.rel(p)}")
    except Exception as exc:
        sys.exit(errors.fail(exc))


def _grid_options(out, n_jobs, chunk_size, backend, scheduler) -> dict:
    """The grid's options checked before anything runs (make passes JOBS, BACKEND, SCHEDULER
    and GRID_OUT as environment variables): one error naming the option and the fix."""
    from rasso_research.designs.grid_runner import BACKENDS, CHUNK_SIZE

    def whole(name, value, default, top):
        if value in (None, ""):
            return default
        text = str(value)
        if not text.isdigit() or not 1 <= int(text) <= top:
            raise errors.ProjectError(
                f"{name}={text[:60]!r}", "not a whole number", f"one from 1 to {top}, e.g. 2"
            )
        return int(text)

    backend = backend or "loky"
    if backend not in BACKENDS:
        raise errors.ProjectError(
            f"BACKEND={backend[:60]!r}", "not a backend", f"one of {', '.join(BACKENDS)}"
        )
    if scheduler and backend != "dask":
        raise errors.ProjectError(
            "SCHEDULER", "is for BACKEND=dask only", "add BACKEND=dask, or leave SCHEDULER out"
        )
    runs_dir = paths.RESULTS / "runs"
    folder = (Path(out) if out else runs_dir / "grid").resolve()
    if not folder.is_relative_to(paths.RESULTS.resolve()):
        raise errors.ProjectError(
            f"GRID_OUT={str(out)[:60]!r}",
            "outside the project's results/ folder",
            "a folder under results/, e.g. results/runs/grid-2",
        )
    return {
        "out": folder,
        "n_jobs": whole("JOBS", n_jobs, None, 256),
        "chunk_size": whole("--chunk-size", chunk_size, CHUNK_SIZE, 100_000),
        "backend": backend,
        "scheduler": scheduler or None,
    }


@main.command()
@click.option(
    "--out",
    envvar="RASSO_GRID_OUT",
    help="the run's folder, under results/ "
    "(default results/runs/grid); a stopped run resumes from it",
)
@click.option("--force", "forces", multiple=True, help="a force (repeat; default every force)")
@click.option("--date", "dates", multiple=True, help="an intervention id (repeat)")
@click.option("--jobs", "n_jobs", envvar="RASSO_GRID_JOBS", help="workers (default 1)")
@click.option("--chunk-size", help="specifications per chunk (default 96)")
@click.option("--backend", envvar="RASSO_GRID_BACKEND", help="loky (default) or dask")
@click.option("--scheduler", envvar="RASSO_GRID_SCHEDULER", help="a Dask scheduler's address")
def grid(out, forces, dates, n_jobs, chunk_size, backend, scheduler):
    """The force grid: every force's specification curve at three dates, fitted in chunks
    written as they finish (make grid). Writes <out>/curves.parquet and .csv."""
    from rasso_research import timeline
    from rasso_research.data import series as S
    from rasso_research.studies import force_grid as FG

    try:
        opts = _grid_options(out, n_jobs, chunk_size, backend, scheduler)
        panel = S.load_panel()
        known = FG.forces(panel)
        for f in forces:
            if f not in known:
                raise errors.ProjectError(
                    f"--force {f!r}",
                    "not a force of the panel" + params.close(f, known),
                    "a force's name as the panel writes it, e.g. 'West Midlands'",
                )
        ids = set(timeline.load_interventions()["id"])
        for d in dates:
            if d not in ids:
                raise errors.ProjectError(
                    f"--date {d!r}",
                    "not an id of config/interventions.csv" + params.close(d, ids),
                    f"one of {', '.join(sorted(ids))}",
                )
        start = time.time()
        out = opts.pop("out")
        curves = FG.run(
            panel, out, which=list(forces) or None, dates=list(dates) or FG.DATES, **opts
        )
        curves.to_parquet(out / "curves.parquet", index=False)
        curves.to_csv(out / "curves.csv", index=False)
    except Exception as exc:
        sys.exit(errors.fail(exc))
    _say(
        f"[grid] {len(curves)} specifications, {curves['key'].nunique()} curves in "
        f"{time.time() - start:.0f} s -> {errors.rel(out)}/curves.parquet"
    )
