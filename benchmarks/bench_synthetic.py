"""Benchmark of the synthetic designs (``make bench``): one treated force against 42 donors,
synthetic DiD, synthetic control and DiD, each with the full placebo-in-space run (every donor
as if treated) and the placebo standard error, as notebook 03 runs them; on an annual panel
like the force x offence-group table (10 years) and on a quarterly one (40 quarters), plus
California's Proposition 99 (38 donors, 31 years). Target (issue: the West Midlands
question): the full run under 20 s on 2 cores.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from _timing import print_rows

from rasso_research.designs.event_study import fit_event_study
from rasso_research.designs.synthetic import fit_synthetic
from rasso_research.its import Interruption, ITSSpec
from rasso_research.validation import load_prop99, synthdid_spec

TARGET = 20.0  # seconds for one series, all three methods


def _panel(n_periods: int, t0: int, n_units: int = 43, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(20, 5, n_units)
    trend = np.cumsum(rng.normal(0, 1, n_periods))
    y = a[:, None] + trend[None] + rng.normal(0, 2, (n_units, n_periods))
    y[0, t0:] += 3
    units = ["Treated"] + [f"F{i:02d}" for i in range(1, n_units)]
    return pd.DataFrame(
        [(u, t, y[i, t]) for i, u in enumerate(units) for t in range(n_periods)],
        columns=["force", "t", "value"],
    )


def main() -> int:
    rows, worst = [], 0.0
    cases = {
        "43 forces x 10 years (annual)": (_panel(10, 4), 4),
        "43 forces x 40 quarters": (_panel(40, 19), 19),
    }
    for name, (d, t0) in cases.items():
        spec = ITSSpec("value", "t", [Interruption("main", t0)], group="force", treated="Treated")
        t = time.perf_counter()
        fit_synthetic(d, spec)
        dt = time.perf_counter() - t
        worst = max(worst, dt)
        rows.append(
            (f"SDID + SC + DID, placebo SE and placebo in space: {name}", f"{dt:.1f} s", "")
        )
        t = time.perf_counter()
        fit_event_study(d, spec)
        rows.append(
            (f"event study with placebo band: {name}", f"{time.perf_counter() - t:.2f} s", "")
        )
    t = time.perf_counter()
    fit_synthetic(load_prop99(), synthdid_spec())
    dt = time.perf_counter() - t
    worst = max(worst, dt)
    rows.append(("SDID + SC + DID, Proposition 99 (38 donors, 31 years)", f"{dt:.1f} s", ""))
    ok = worst <= TARGET
    rows.append(("target: one series, all methods", "met" if ok else "MISSED", f"<= {TARGET:g} s"))
    print_rows(rows)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
