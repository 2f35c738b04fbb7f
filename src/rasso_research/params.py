"""The notebook parameter check: called right after a notebook's ``parameters`` cell, so a
misspelt force, a malformed or out-of-range date, an unknown series or model family stops the
run at once with one message that lists every problem and what is accepted."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import pandas as pd

from rasso_research import periods, timeline
from rasso_research.data.series import geography_of
from rasso_research.designs.base import COVID_CHOICES, coverage_around
from rasso_research.its import FAMILIES
from rasso_research.periods import quarter


class ParameterError(ValueError):
    """One or more notebook parameters are invalid (the message lists each)."""


def _close(value, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(value), sorted(set(map(str, known))), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _quarter(name: str, value, problems: list[str]):
    try:
        return periods.quarter(value)
    except (ValueError, TypeError):
        problems.append(
            f"{name}={value!r} is not a quarter: write a calendar quarter such as '2018Q4' or a "
            "fiscal quarter such as '2018/19 Q3'"
        )
        return None


def check_params(
    panel: pd.DataFrame | None = None,
    *,
    force: str | None = None,
    series: Iterable[str] = (),
    interruption=None,
    interventions: Iterable[str] = (),
    start=None,
    end=None,
    family: str | None = None,
    season=None,
    covid: str | None = None,
) -> None:
    """Raise :class:`ParameterError` listing every invalid parameter; return quietly if all
    are valid. ``interruption`` must fall inside the quarters that the ``series`` of ``force``
    cover (``start``-``end`` when given)."""
    problems: list[str] = []
    if panel is not None and force is not None and force not in set(panel["force"].unique()):
        forces = sorted(panel.loc[geography_of(panel) == "force", "force"].unique())
        problems.append(
            f"force={force!r} is not a force of the panel{_close(force, forces)} "
            f"(the {len(forces)} forces: {', '.join(forces)})"
        )
    measures = set(panel["measure"].unique()) if panel is not None else set()
    for m in series:
        if panel is not None and m not in measures:
            problems.append(
                f"series {m!r} is not in the panel{_close(m, measures)} "
                f"({len(measures)} measures; data/processed/data_quality.md lists them)"
            )
    ids = set(timeline.load_interventions()["id"])
    for i in interventions:
        if i not in ids:
            problems.append(
                f"intervention {i!r} is not in config/interventions.csv{_close(i, ids)}"
            )
    lo = _quarter("start", start, problems) if start is not None else None
    hi = _quarter("end", end, problems) if end is not None else None
    q = _quarter("interruption", interruption, problems) if interruption else None
    if q is not None and panel is not None:
        rows = panel[panel["measure"].isin(list(series) or measures)]
        if force is not None:
            rows = rows[rows["force"] == force]
        have = rows.dropna(subset=["value"]).assign(quarter=lambda d: d["quarter"].map(quarter))
        n_pre = n_post = 1
        if len(have):
            first = max(have["quarter"].min(), lo or have["quarter"].min())
            last = min(have["quarter"].max(), hi or have["quarter"].max())
            # the designs' own rule (designs.base.coverage_around), at its weakest: at least
            # one quarter with data before the interruption and one from it, in the window
            n_pre, n_post = coverage_around(have[have["quarter"].between(first, last)], q)
        if not (n_pre and n_post):
            what = f"{', '.join(series) or 'the panel'}" + (f" for {force}" if force else "")
            problems.append(
                f"interruption={str(interruption)!r} is outside the data: {what} cover "
                f"{first}-{last} (the interruption needs quarters before it)"
            )
    if family is not None and family not in FAMILIES:
        problems.append(
            f"family={family!r}: use one of {', '.join(FAMILIES)}{_close(family, FAMILIES)}"
        )
    if season is not None and not (
        season in ("quarter", "month")
        or (isinstance(season, list | tuple) and len(season) == 3 and season[0] == "fourier")
    ):
        problems.append(f"season={season!r}: use None, 'quarter' or ['fourier', K, 4]")
    if covid is not None and covid not in COVID_CHOICES:
        problems.append(f"covid={covid!r}: use one of {', '.join(COVID_CHOICES)}")
    if problems:
        raise ParameterError("invalid parameters: " + "; ".join(problems))
