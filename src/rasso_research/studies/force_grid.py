"""The force grid: every force's specification curve at each of three dates, the scale case
of issue 31 (``make grid``, ``make bench``), run in resumable chunks by
:mod:`rasso_research.designs.grid_runner`.

Per force and date: recorded rape per 100,000 residents (the force series every force
has), at the date's quarter, over every modelling choice of the national curve
(:data:`~rasso_research.designs.spec_curve.DEFAULT_GRID`: four models, three seasonal
terms, the R v Allan segment or none, three Covid-19 treatments, phase-in or none) and two
starts (the series' first quarter and :data:`LATE_START` quarters later): 288 specifications, 43 x 3 x 288
= 37,152 in all. It is a robustness map, not an estimate of a reform: no donor comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from rasso_research import timeline
from rasso_research.data import series as S
from rasso_research.designs import QUARTERLY, at, covid_disrupted, with_covid
from rasso_research.designs.grid_runner import CurveTask, run_grid
from rasso_research.its import Interruption

DATES = ("wm_joint_working", "rasso2025", "jnap")
MEASURE = "recorded_rape"
#: the second start, in quarters after the series' first (a year: 2015Q2 for most forces)
LATE_START = 4
BREAKS = ("r_v_allan",)


def forces(panel: pd.DataFrame) -> list[str]:
    """Every force of the panel, in name order."""
    return sorted(panel.loc[S.geography_of(panel) == "force", "force"].unique())


def tasks(
    panel: pd.DataFrame,
    which: Sequence[str] | None = None,
    dates: Sequence[str] = DATES,
    measure: str = MEASURE,
) -> list[CurveTask]:
    """One :class:`CurveTask` per force of ``which`` (default every force) and date, keyed
    ``"<force> | <date>"``."""
    days = timeline.lockdown_days()
    breaks = tuple(Interruption(b, timeline.interruption_quarter(b)) for b in BREAKS)
    base = QUARTERLY.replace(
        season="quarter",
        disrupted=covid_disrupted("exclude", timeline.covid_disrupted_quarters()),
        rate_per=100_000,
    )
    out = []
    for force in which or forces(panel):
        s = S.series(panel, measure, force=force, offset="population")
        s, _ = with_covid(s, base, "days", days)
        late = str(pd.Period(str(s["quarter"].min()), "Q") + LATE_START)
        for date in dates:
            out.append(
                CurveTask(
                    key=f"{force} | {date}",
                    series=s,
                    base=at(base, timeline.interruption_quarter(date)),
                    grid={"start": [None, late]},
                    breaks=breaks,
                )
            )
    return out


def run(panel: pd.DataFrame, out: Path | str, which=None, dates=DATES, **options) -> pd.DataFrame:
    """The force grid's curves (:func:`tasks`), fitted into ``out`` by
    :func:`~rasso_research.designs.grid_runner.run_grid` (``options``: its chunk size,
    workers, backend and scheduler); ``force`` and ``date`` split from the key."""
    curves = run_grid(tasks(panel, which, dates), out, **options)
    parts = curves["key"].str.split(" | ", regex=False, expand=True)
    curves.insert(1, "force", parts[0])
    curves.insert(2, "date", parts[1])
    return curves
