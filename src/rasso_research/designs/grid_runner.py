"""Many specification curves at scale: chunks of specifications fitted by worker processes
and written to parquet as they finish, so a run that stops resumes where it stopped.

A run is a list of :class:`CurveTask` (one series, its base spec, grid and breaks: one
specification curve each, as :func:`~rasso_research.designs.spec_curve.fit_spec_curve` fits
it). Their specifications are cut into chunks of ``chunk_size``; each chunk is fitted by the
multiverse engine in a worker and written by this process to ``<out>/chunks/`` (a temporary
file renamed when complete). ``<out>/grid.json`` records what the run is (a hash of every
task's series, spec, grid and breaks, and of the fit code); rerunning the same run skips the
chunks on disk, and a different run refuses the folder. The curves are assembled at the end, equal to one process's
:func:`fit_spec_curve` row for row.

Backends (``backend``):

* ``"loky"`` (default): joblib's process pool on this machine, ``n_jobs`` workers
  (:func:`~rasso_research.designs.base.jobs`), kept alive across chunks and calls;
* ``"dask"``: a Dask cluster, ``scheduler`` its address (``tcp://host:8786``) or a
  ``distributed.Client``; workers need this package installed (``pip install
  -e ".[cluster]"``). Results come back to this process, so workers need no shared disk.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from rasso_research import fitcache
from rasso_research.errors import ProjectError
from rasso_research.its import Interruption, ITSSpec

from . import spec_curve as SC

BACKENDS = ("loky", "dask")
CHUNK_SIZE = 96


@dataclass(frozen=True)
class CurveTask:
    """One specification curve of a run: ``key`` names it in the output (e.g. force and
    date); ``series`` is one series frame; ``base``, ``grid``, ``breaks``, ``horizon`` as
    :func:`~rasso_research.designs.spec_curve.fit_spec_curve` takes them."""

    key: str
    series: pd.DataFrame
    base: ITSSpec
    grid: dict = field(default_factory=dict)
    breaks: tuple[Interruption, ...] = ()
    horizon: int = 0


@dataclass(frozen=True)
class _Chunk:
    task: int
    first: int
    rows: list[dict]

    @property
    def name(self) -> str:
        return f"task{self.task:04d}-spec{self.first:05d}.parquet"


def _fingerprint(tasks: Sequence[CurveTask], engine: str) -> str:
    # the fit code too: chunks fitted by other code are another grid, never mixed in
    h = hashlib.sha256(engine.encode() + fitcache.code_digest())
    for t in tasks:
        h.update(t.key.encode())
        h.update(pd.util.hash_pandas_object(t.series, index=True).to_numpy().tobytes())
        h.update(repr((t.base, sorted(t.grid.items()), t.breaks, t.horizon)).encode())
    return h.hexdigest()


def _chunks(grids: Sequence[pd.DataFrame], size: int) -> Iterator[_Chunk]:
    for i, g in enumerate(grids):
        rows = g.to_dict("records")
        for j in range(0, len(rows), size):
            yield _Chunk(i, j, rows[j : j + size])


def _fit_chunk(task: CurveTask, chunk: _Chunk, engine: str) -> tuple[str, pd.DataFrame]:
    rows = SC.fit_specs(task.series, chunk.rows, task.base, task.horizon, task.breaks, engine)
    return chunk.name, SC.frame_results(rows)


def _write(folder: Path, name: str, res: pd.DataFrame) -> None:
    part = folder / (name + ".part")
    res.to_parquet(part, index=False)
    os.replace(part, folder / name)


def _open(out: Path, fingerprint: str, n_tasks: int) -> Path:
    """The run's folder, created or resumed; another run's folder is refused."""
    meta = out / "grid.json"
    if meta.exists():
        had = json.loads(meta.read_text(encoding="utf-8")).get("fingerprint")
        if had != fingerprint:
            raise ProjectError(
                out,
                "holds chunks of a different grid (other series, specs, engine or fit code)",
                "choose another folder, or delete this one to start again",
            )
    else:
        out.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps({"fingerprint": fingerprint, "tasks": n_tasks}) + "\n")
    (out / "chunks").mkdir(exist_ok=True)
    return out / "chunks"


def _loky(work, tasks, engine, n_jobs):
    if n_jobs == 1:
        for c in work:
            yield _fit_chunk(tasks[c.task], c, engine)
        return
    from joblib import Parallel, delayed

    yield from Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")(
        delayed(_fit_chunk)(tasks[c.task], c, engine) for c in work
    )


def _dask(work, tasks, engine, scheduler):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ProjectError(
            "backend='dask'", "needs dask.distributed", 'pip install -e ".[cluster]"'
        ) from None
    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        sent = {i: client.scatter(t, broadcast=True) for i, t in enumerate(tasks)}
        futures = [client.submit(_fit_chunk, sent[c.task], c, engine, pure=False) for c in work]
        for fut in as_completed(futures):
            yield fut.result()
            fut.release()
    finally:
        if client is not scheduler:
            client.close()


def run_grid(
    tasks: Sequence[CurveTask],
    out: Path | str,
    chunk_size: int = CHUNK_SIZE,
    n_jobs: int | None = None,
    backend: str = "loky",
    scheduler=None,
    engine: str | None = None,
) -> pd.DataFrame:
    """Fit every task's specification curve, in chunks written to ``out`` as they finish
    (resuming a stopped run of the same tasks); the curves as one frame, ``key`` first,
    each task's rows as :func:`fit_spec_curve` gives them (``shifts=None``)."""
    if backend not in BACKENDS:
        raise ProjectError(f"backend={backend!r}", "unknown backend", f"use one of {BACKENDS}")
    if backend == "dask" and scheduler is None:
        raise ProjectError(
            "backend='dask'", "needs scheduler=", "a scheduler address or a distributed.Client"
        )
    if chunk_size < 1:
        raise ProjectError(f"chunk_size={chunk_size}", "must be at least 1", "use e.g. 96")
    engine = engine or SC.DEFAULT_ENGINE
    tasks = list(tasks)
    keys = [t.key for t in tasks]
    if len(set(keys)) < len(keys):
        raise ProjectError("tasks", "two tasks share a key", "give every curve its own key")
    out = Path(out)
    folder = _open(out, _fingerprint(tasks, engine), len(tasks))
    grids = [SC.curve_grid(t.series, t.grid, t.breaks) for t in tasks]
    work = [c for c in _chunks(grids, chunk_size) if not (folder / c.name).exists()]
    if work:
        done = (
            _loky(work, tasks, engine, SC.jobs(n_jobs))
            if backend == "loky"
            else _dask(work, tasks, engine, scheduler)
        )
        for name, res in done:
            _write(folder, name, res)
    return _assemble(folder, tasks, grids, chunk_size)


def _assemble(folder: Path, tasks, grids, chunk_size: int) -> pd.DataFrame:
    curves = []
    for i, (t, g) in enumerate(zip(tasks, grids, strict=True)):
        names = [_Chunk(i, c.first, []).name for c in _chunks([g], chunk_size)]
        parts = [pd.read_parquet(folder / n) for n in names]
        curve = SC.finish_curve(g, pd.concat(parts, ignore_index=True))
        curve.insert(0, "key", t.key)
        curves.append(curve)
    return pd.concat(curves, ignore_index=True)
