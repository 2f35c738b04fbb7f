"""Benchmarks for the designs (``make bench``): the specification curve's throughput and the
force grid at scale, each figure beside its target (issue 31) with MET or MISSED.

1. Notebook 04's national curve (``studies.national.fit_sensitivity``, every modelling choice,
   no date curve) by the multiverse engine in one process and by the reference path
   (``fit_series`` per specification), specifications per CPU-second
   (``time.process_time``); then on two workers (joblib's loky pool, warmed by one call, as a
   session reuses it), specifications per wall-second. Target: 300 a second on 2 cores.
2. The floor: one AR-errors specification's REML fit and 499-draw bootstrap on a typical
   national design (46 quarters, 10 columns), by the numpy code and by the compiled kernels;
   and the first engine call in a process (numba loading its cached kernels, or compiling them
   after a source change).
3. The force grid (``studies.force_grid``: 43 forces x 3 dates x 288 specifications), run in
   full by ``designs.grid_runner`` on two loky workers into a temporary folder, wall minutes.
   Target: under 3 minutes.

Wall times are only as good as the machine is idle: the load average is printed beside them.
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import os
import tempfile
import time

import numpy as np
from _timing import print_rows

from rasso_research.data import series as S
from rasso_research.designs import spec_curve as SC
from rasso_research.estimators import arerrors as A
from rasso_research.studies import force_grid as FG
from rasso_research.studies.national import fit_sensitivity

TARGET = 300.0  # specifications per second on 2 cores
GRID_MINUTES = 3.0  # the 43-force x 3-date x 288 grid on 2 cores
STARTS = ["2014Q2", "2018Q2"]  # notebook 04's parameters


def _cpu(fn):
    t0 = time.process_time()
    out = fn()
    return out, time.process_time() - t0


def _floor() -> tuple[float, float]:
    """CPU ms of one AR-errors fit and bootstrap, numpy and compiled (best of 5)."""
    from rasso_research.estimators import arkernels as K

    rng = np.random.default_rng(1)
    n = 46
    t = np.arange(n)
    X = np.column_stack(
        [np.ones(n), t, t >= 9, (t >= 9) * (t - 9), t >= 41, (t >= 41) * (t - 41)]
        + [t % 4 == j for j in (1, 2, 3)]
        + [t == 24]
    ).astype(float)
    y = X @ rng.normal(size=X.shape[1]) + np.cumsum(rng.normal(size=n)) * 0.3
    out = []
    for mod in (A, K):
        times = []
        for _ in range(5):
            t0 = time.process_time()
            fit = mod.fit_ar_errors(X, y)
            mod.ar_bootstrap(X, y, fit)
            times.append(time.process_time() - t0)
        out.append(1000 * min(times))
    return out[0], out[1]


def _verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def main() -> int:
    panel = S.load_panel()
    rows = []
    first, t_first = _cpu(lambda: fit_sensitivity(panel, starts=STARTS, shifts=None))
    n = len(first.curve)
    _, t_eng = _cpu(lambda: fit_sensitivity(panel, starts=STARTS, shifts=None))
    _, t_ref = _cpu(lambda: _reference(panel))
    rate, ref_rate = n / t_eng, n / t_ref
    rows.append(("national curve, engine", f"{rate:.0f} /CPU-s", f"{n} specs, {t_eng:.2f} CPU-s"))
    rows.append(("national curve, reference path", f"{ref_rate:.0f} /CPU-s", f"{t_ref:.2f} CPU-s"))
    fit_sensitivity(panel, starts=STARTS, shifts=None, n_jobs=2)  # start the workers
    walls = []
    for _ in range(3):
        t0 = time.perf_counter()
        fit_sensitivity(panel, starts=STARTS, shifts=None, n_jobs=2)
        walls.append(time.perf_counter() - t0)
    two = n / min(walls)
    rows.append(
        (
            "national curve, 2 workers",
            f"{two:.0f} /s",
            f"target 300: {_verdict(two >= TARGET)} (best of 3, {min(walls):.2f} s wall; "
            f"load {_load()})",
        )
    )
    rows.append(
        ("first engine call in a process", f"{t_first - t_eng:.1f} CPU-s", "numba load/compile")
    )
    slow, fast = _floor()
    rows.append(("AR fit + bootstrap, numpy", f"{slow:.1f} ms", "one specification, 46 x 10"))
    rows.append(("AR fit + bootstrap, compiled", f"{fast:.1f} ms", "the floor of an AR spec"))

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        curves = FG.run(panel, tmp, n_jobs=2)
        minutes = (time.perf_counter() - t0) / 60
    rows.append(
        (
            "force grid, 2 workers",
            f"{minutes:.2f} min",
            f"{len(curves)} specs ({curves['key'].nunique()} curves); target < "
            f"{GRID_MINUTES:g}: {_verdict(minutes < GRID_MINUTES)} (load {_load()})",
        )
    )
    print_rows(rows)
    return 0 if two >= TARGET and minutes < GRID_MINUTES else 1


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def _reference(panel):
    old = SC.DEFAULT_ENGINE
    SC.DEFAULT_ENGINE = "reference"
    try:
        return fit_sensitivity(panel, starts=STARTS, shifts=None)
    finally:
        SC.DEFAULT_ENGINE = old


if __name__ == "__main__":
    raise SystemExit(main())
