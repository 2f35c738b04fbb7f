"""Benchmarks for the designs (``make bench``): the specification curve's throughput.

Measured in CPU-seconds of this process (``time.process_time``; wall time drifts on a shared
machine), with every figure beside its target (issue 31) and MET or MISSED:

1. Notebook 04's national curve (``studies.national.fit_sensitivity``, every modelling choice,
   no date curve) by the multiverse engine (the default) and by the reference path
   (``fit_series`` per specification), specifications per CPU-second. Target: 300 a second on
   2 cores; the figure here is one process, so 2 cores give at most twice it.
2. The floor: one AR-errors specification's REML fit and 499-draw bootstrap on a typical
   national design (46 quarters, 10 columns), by the numpy code and by the compiled kernels;
   and the first engine call in a process (numba loading its cached kernels, or compiling them
   after a source change).
3. The force grid: the default grid (Covid-19 as indicators) for one force at three dates by the
   engine, extrapolated to 43 forces x 3 dates x 288 specifications on 2 cores (ideal scaling).
   Target: under 3 minutes.

Exit status 1 when a target is missed.
"""

from __future__ import annotations

import time

import numpy as np
from _timing import print_rows

from rasso_research import designs as D
from rasso_research import timeline
from rasso_research.data import series as S
from rasso_research.designs import spec_curve as SC
from rasso_research.estimators import arerrors as A
from rasso_research.its import Interruption
from rasso_research.studies.national import fit_sensitivity

TARGET = 300.0  # specifications per second on 2 cores
GRID_MINUTES = 3.0  # the 43-force x 3-date x 288 grid on 2 cores
STARTS = ["2014Q2", "2018Q2"]  # notebook 04's parameters
FORCE = "West Midlands"
DATES = ("wm_joint_working", "rasso2025", "jnap")
GRID = {"covid": ["indicator", "exclude"]}  # a force series has no lockdown-days column


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
    rows.append(
        (
            "  target 300 specs/s on 2 cores",
            _verdict(2 * rate >= TARGET),
            f"2 cores at ideal scaling: {2 * rate:.0f} /s; one core: "
            f"{_verdict(rate >= TARGET)} ({rate:.0f} of 300)",
        )
    )
    rows.append(
        ("first engine call in a process", f"{t_first - t_eng:.1f} CPU-s", "numba load/compile")
    )
    slow, fast = _floor()
    rows.append(("AR fit + bootstrap, numpy", f"{slow:.1f} ms", "one specification, 46 x 10"))
    rows.append(("AR fit + bootstrap, compiled", f"{fast:.1f} ms", "the floor of an AR spec"))

    breaks = [Interruption("r_v_allan", timeline.interruption_quarter("r_v_allan"))]
    s = S.series(panel, "recorded_rape", force=FORCE, offset="population")
    fits, t_force = 0, 0.0
    for date in DATES:
        b = D.at(
            D.QUARTERLY.replace(
                season="quarter",
                disrupted=D.covid_disrupted("exclude", timeline.covid_disrupted_quarters()),
                rate_per=100_000,
            ),
            timeline.interruption_quarter(date),
        )
        c, dt = _cpu(
            lambda b=b: (
                SC.fit_spec_curve(
                    s, b, grid=GRID, breaks=breaks, n_jobs=1, shifts=None, progress=False
                ).curve
            )
        )
        fits, t_force = fits + len(c), t_force + dt
    minutes = 43 * 3 * 288 / (fits / t_force) / 60 / 2
    rows.append(("force grid, engine", f"{fits / t_force:.0f} /CPU-s", f"{FORCE}, 3 dates"))
    rows.append(
        (
            "43 forces x 3 dates x 288, 2 cores",
            f"{minutes:.1f} min",
            f"target < {GRID_MINUTES:g}: {_verdict(minutes < GRID_MINUTES)} (ideal scaling)",
        )
    )
    print_rows(rows)
    return 0 if 2 * rate >= TARGET and minutes < GRID_MINUTES else 1


def _reference(panel):
    old = SC.DEFAULT_ENGINE
    SC.DEFAULT_ENGINE = "reference"
    try:
        return fit_sensitivity(panel, starts=STARTS, shifts=None)
    finally:
        SC.DEFAULT_ENGINE = old


if __name__ == "__main__":
    raise SystemExit(main())
