"""Benchmarks for the designs (``make bench``): specification-curve throughput.

1. The national multiverse of notebook 04 (police rape charges per 100 recorded rapes, two
   denominators, every modelling choice: 4 model families x 3 seasonalities x 2 starts x the
   R v Allan and Covid-19 choices x 2 phase-ins), fitted in this process (``n_jobs=1``, as the
   notebooks run under ``make -j2``) and with two workers (the "2 cores" of the target), with
   specifications per second by model family.
2. The force x date grid: the default grid (96 specifications) for a sample of forces at the
   three national dates (recorded rape per 100,000), with two workers; the 43-force x 3-date
   x 288-specification run is extrapolated from that rate.

Target (issue: multiverse speed): 300 specifications per second on 2 cores. Exit status 1 when
it is missed.
"""

from __future__ import annotations

import time

import pandas as pd
from _timing import print_rows

from rasso_research import designs as D
from rasso_research import timeline
from rasso_research.data import series as S
from rasso_research.designs import spec_curve as SC
from rasso_research.its import Interruption

TARGET = 300.0  # specifications per second on 2 cores
FORCES = ("West Midlands", "Avon and Somerset", "Kent")
DATES = ("wm_joint_working", "rasso2025", "jnap")


def _national(panel):
    """Notebook 04's series and base spec (its parameter defaults)."""
    series = {
        name: S.series(
            panel,
            "rape_charged_in_quarter",
            source="charged_nat",
            offset="recorded_rape",
            offset_lag=lag,
        )
        for name, lag in {"previous 4 quarters (mean)": 4, "same quarter": 0}.items()
    }
    covid = D.covid_disrupted("exclude", timeline.covid_disrupted_quarters())
    q0 = timeline.interruption_quarter("rasso2025")
    base = D.at(D.QUARTERLY.replace(season="quarter", disrupted=covid, rate_per=100), q0)
    return series, base


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> int:
    panel = S.load_panel()
    series, base = _national(panel)
    breaks = [Interruption("r_v_allan", timeline.interruption_quarter("r_v_allan"))]

    def national(n_jobs):
        return SC.fit_spec_curve(
            series,
            base,
            grid={"start": ["2014Q2", "2018Q2"]},
            breaks=breaks,
            n_jobs=n_jobs,
            shifts=None,
            progress=False,
        ).curve

    rows = []
    curve, dt1 = _timed(lambda: national(1))
    n = len(curve)
    rows.append(("national multiverse, 1 process", f"{n / dt1:.1f} /s", f"{n} specs, {dt1:.1f} s"))
    # per family, from a one-process run of each family's part of the grid
    for model in SC.MODELS:
        part, dt = _timed(
            lambda m=model: (
                SC.fit_spec_curve(
                    series,
                    base,
                    grid={"start": ["2014Q2", "2018Q2"], "model": [m]},
                    breaks=breaks,
                    n_jobs=1,
                    shifts=None,
                    progress=False,
                ).curve
            )
        )
        rows.append((f"  {model}", f"{len(part) / dt:.1f} /s", "1 process"))
    _, dt2 = _timed(lambda: national(2))
    rate = n / dt2
    rows.append(
        ("national multiverse, 2 workers", f"{rate:.1f} /s", f"{n} specs, {dt2:.1f} s with startup")
    )

    fits, t_force = 0, 0.0
    for force in FORCES:
        s = S.series(panel, "recorded_rape", force=force, offset="population")
        for date in DATES:
            b = D.at(
                D.QUARTERLY.replace(
                    season="quarter",
                    disrupted=D.covid_disrupted("exclude", timeline.covid_disrupted_quarters()),
                    rate_per=100_000,
                ),
                timeline.interruption_quarter(date),
            )
            c, dt = _timed(
                lambda s=s, b=b: (
                    SC.fit_spec_curve(
                        s, b, breaks=breaks, n_jobs=2, shifts=None, progress=False
                    ).curve
                )
            )
            fits, t_force = fits + len(c), t_force + dt
    frate = fits / t_force
    rows.append(
        (
            "force grid sample, 2 workers",
            f"{frate:.1f} /s",
            f"{len(FORCES)} forces x {len(DATES)} dates x {fits // (len(FORCES) * len(DATES))} specs",
        )
    )
    total = 43 * 3 * 288
    rows.append(
        ("43 forces x 3 dates x 288 specs", f"{total / frate / 60:.1f} min", "at that rate")
    )
    ok = min(rate, frate) >= TARGET
    rows.append(("target: specs per second, 2 cores", "met" if ok else "MISSED", f">= {TARGET:g}"))
    print_rows(rows)
    return 0 if ok else 1


if __name__ == "__main__":
    pd.set_option("display.width", 120)
    raise SystemExit(main())
