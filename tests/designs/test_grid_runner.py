"""The grid at scale (designs.grid_runner): chunks on disk equal one process's curves, a
stopped run resumes without refitting what is on disk, another grid is refused, and a local
two-worker Dask cluster gives the same numbers as one process."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from rasso_research import designs as D
from rasso_research.designs import grid_runner as G
from rasso_research.designs import spec_curve as S
from rasso_research.errors import ProjectError

SMALL = {
    "model": ["quasi-Poisson, AR errors", "OLS, Newey-West", "OLS, AR errors"],
    "seasonality": ["none", "quarter"],
    "allan": ["segment"],
    "covid": ["indicator"],
    "phase_in": [0, 1],
}


def _series(seed: int, n: int = 36) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    q = pd.period_range("2014Q2", periods=n, freq="Q")
    off = np.full(n, 10000.0)
    mu = off * 0.05 * np.exp(0.01 * np.arange(n) - 0.2 * (q >= pd.Period("2020Q3", "Q")))
    return pd.DataFrame(
        {
            "quarter": q,
            "t": np.arange(1, n + 1),
            "value": rng.poisson(mu).astype(float),
            "offset": off,
            "log_offset": np.log(off),
        }
    )


def _tasks(seeds=(1, 2)) -> list[G.CurveTask]:
    base = D.QUARTERLY.replace(disrupted=D.covid_disrupted("indicator", ["2020Q2"]))
    return [
        G.CurveTask(f"unit {i} | {q}", _series(i), D.at(base, q), SMALL)
        for i in seeds
        for q in ("2019Q3", "2020Q3")
    ]


def _one_process(tasks) -> pd.DataFrame:
    out = []
    for t in tasks:
        c = S.fit_spec_curve(
            t.series, t.base, grid=t.grid, breaks=t.breaks, n_jobs=1, shifts=None, progress=False
        ).curve
        c.insert(0, "key", t.key)
        out.append(c)
    return pd.concat(out, ignore_index=True)


@pytest.fixture(scope="module")
def reference():
    return _one_process(_tasks())


def test_chunks_equal_one_process_row_for_row(tmp_path, reference):
    """Chunks of 5 cut every curve (12 specifications) mid-way: the assembled curves equal
    fit_spec_curve's, and every chunk is one parquet file."""
    got = G.run_grid(_tasks(), tmp_path / "run", chunk_size=5, n_jobs=1)
    pd.testing.assert_frame_equal(got, reference)
    assert len(list((tmp_path / "run" / "chunks").glob("*.parquet"))) == 4 * 3
    assert reference["ok"].all() and len(reference) == 4 * 12


def test_a_stopped_run_resumes_and_refits_only_what_is_missing(tmp_path, reference):
    out = tmp_path / "run"
    G.run_grid(_tasks(), out, chunk_size=5, n_jobs=1)
    files = sorted((out / "chunks").glob("*.parquet"))
    kept = {p: p.stat().st_mtime_ns for p in files[::2]}
    for p in files[1::2]:  # as if the run had stopped before these
        p.unlink()
    (out / "chunks" / "task0000-spec00005.parquet.part").write_bytes(b"half-written")
    got = G.run_grid(_tasks(), out, chunk_size=5, n_jobs=2)
    pd.testing.assert_frame_equal(got, reference)
    assert {p: p.stat().st_mtime_ns for p in kept} == kept  # not refitted
    assert len(list((out / "chunks").glob("*.parquet"))) == len(files)


def test_a_folder_of_another_grid_is_refused(tmp_path):
    out = tmp_path / "run"
    G.run_grid(_tasks((1,)), out, chunk_size=50, n_jobs=1)
    assert json.loads((out / "grid.json").read_text())["tasks"] == 2
    with pytest.raises(ProjectError, match="holds chunks of a different grid"):
        G.run_grid(_tasks((3,)), out, chunk_size=50, n_jobs=1)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"backend": "spark"}, "unknown backend"),
        ({"backend": "dask"}, "needs scheduler="),
        ({"chunk_size": 0}, "must be at least 1"),
    ],
)
def test_bad_options_name_the_option(tmp_path, options, match):
    with pytest.raises(ProjectError, match=match):
        G.run_grid(_tasks((1,)), tmp_path, **options)


def test_two_tasks_with_one_key_are_refused(tmp_path):
    t = _tasks((1,))
    with pytest.raises(ProjectError, match="share a key"):
        G.run_grid([t[0], t[0]], tmp_path)


def test_a_local_two_worker_dask_cluster_gives_the_same_numbers(tmp_path, reference):
    import distributed  # a dev dependency (the "cluster" extra): never skipped

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert len(client.scheduler_info()["workers"]) == 2
        got = G.run_grid(_tasks(), tmp_path / "run", chunk_size=5, backend="dask", scheduler=client)
    pd.testing.assert_frame_equal(got, reference)
