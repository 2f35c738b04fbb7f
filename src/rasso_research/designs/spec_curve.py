"""Specification curve: one ITS estimate per combination of defensible modelling choices.

Choices: model family and errors (quasi-Poisson with offset or OLS on the rate, each with
AR(2) errors by REML and bootstrap intervals, or with Newey-West errors), seasonality (none / quarter dummies / one Fourier
harmonic), start quarter, Covid-19 quarters (one shared indicator / each excluded), interruption
date (shifted -1, 0, +1 quarter) and phase-in (0 / 1 quarter). Each row of the grid is turned
into an :class:`~rasso_research.its.ITSSpec` from a base spec, and every spec is fitted to the
same series; the estimand is the relative change (%) ``horizon`` quarters after the (shifted)
interruption. Fits run in parallel with joblib; rows come back in the grid's order.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rasso_research.constants import FOCUS
from rasso_research.its import Interruption, ITSSpec
from rasso_research.periods import quarter
from rasso_research.plots.figures import plot_spec_curve
from rasso_research.report.format import fmt_num, fmt_pct

from .base import (
    DesignResult,
    at,
    covid_disrupted,
    disrupted_periods,
    focus_index,
    focus_quarter,
)
from .national_its import fit_series

#: Model families of the curve: label -> ITSSpec fields.
MODELS = {
    "quasi-Poisson, AR errors": {"family": "quasipoisson", "cov_type": "AR"},
    "quasi-Poisson, Newey-West": {"family": "quasipoisson", "cov_type": "HAC"},
    "OLS, AR errors": {"family": "ols", "cov_type": "AR"},
    "OLS, Newey-West": {"family": "ols", "cov_type": "HAC"},
}
#: Seasonality choices: label -> ``ITSSpec.season``.
SEASONS = {"none": None, "quarter": "quarter", "fourier": ("fourier", 1, 4)}
#: Meaning of each grid column (the figure's legend and the notebook's text use it).
CHOICES = {
    "model": "model family and standard errors",
    "seasonality": "seasonal terms",
    "start": "first quarter of the series",
    "covid": "Covid-19 quarters: one shared indicator, or each excluded",
    "shift": "interruption moved by this many quarters",
    "phase_in": "quarters after the interruption left out as a transition",
}

DEFAULT_GRID = {
    "model": list(MODELS),
    "seasonality": list(SEASONS),
    "start": [None],  # None: the first quarter of the series
    "covid": ["indicator", "exclude"],
    "shift": [-1, 0, 1],
    "phase_in": [0, 1],
}


def spec_grid(grid: dict | None = None) -> pd.DataFrame:
    """Cartesian product of ``grid`` (default :data:`DEFAULT_GRID`), in a fixed order, with ``spec_id``."""
    grid = {**DEFAULT_GRID, **(grid or {})}
    keys = list(DEFAULT_GRID)
    rows = list(itertools.product(*(grid[k] for k in keys)))
    df = pd.DataFrame(rows, columns=keys)
    df.insert(0, "spec_id", range(1, len(df) + 1))
    return df


def spec_for(row, base: ITSSpec, breaks: Sequence[Interruption] = ()) -> ITSSpec:
    """The ITSSpec of one grid row: ``base`` (dated at the unshifted interruption) with the
    row's family, seasonality, Covid handling, phase-in and shifted date; each documented break
    in ``breaks`` is added when the row's start is before it (and so its segment is in the data)."""
    q0 = quarter(focus_quarter(base)) + int(row["shift"])
    dis = covid_disrupted(row["covid"], disrupted_periods(base))
    keep = [b for b in breaks if quarter(row["start"]) < quarter(b.at)]
    others = [x for x in base.interruptions if x.name != FOCUS and x not in breaks]
    sp = base.replace(
        **MODELS[row["model"]],
        season=SEASONS[row["seasonality"]],
        disrupted=dis,
        interruptions=tuple(others + keep + [base.interruptions[focus_index(base)]]),
    )
    return at(sp, str(q0), phase_in=int(row["phase_in"]))


def _fit_one(s: pd.DataFrame, row: dict, base: ITSSpec, horizon: int, breaks) -> dict:
    spec = spec_for(row, base, breaks)
    d = s[s["quarter"] >= quarter(row["start"])].reset_index(drop=True)
    segs = [str(quarter(x.at)) for x in spec.interruptions if x.name != FOCUS]
    out = {
        "spec_id": int(row["spec_id"]),
        "interruption": focus_quarter(spec),
        "segments": ";".join(segs) or "none",
    }
    try:
        fit = fit_series(d, spec, horizons=(horizon,))
        e = fit.effects().iloc[0]
        dg = fit.diagnostics().iloc[0]
    except (ValueError, np.linalg.LinAlgError) as exc:
        return {**out, "ok": False, "error": str(exc)}
    return {
        **out,
        "ok": True,
        "error": "",
        "n": int(dg["n"]),
        "n_pre": int(dg["n_pre"]),
        "n_post": int(dg["n_post"]),
        "ci_method": dg["ci_method"],
        "estimate": float(e["effect_pct"]),
        "ci_low": float(e["ci_low_pct"]),
        "ci_high": float(e["ci_high_pct"]),
    }


@dataclass
class SpecCurve(DesignResult):
    """The fitted curve (one row per specification, grid order) and its summary."""

    curve: pd.DataFrame
    title: str | None = None
    ylabel: str = "Change at interruption (%)"

    def effects(self) -> pd.DataFrame:
        return self.curve

    def table(self) -> pd.DataFrame:
        return summarise_curve(self.curve)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"": self.curve, "summary": self.table()}

    def describe(self) -> str:
        return describe_curve(self.table())

    def plot(self, width: str = "two", **kw):
        kw.setdefault("title", self.title)
        kw.setdefault("ylabel", self.ylabel)
        return plot_spec_curve(self.curve, width=width, **kw)


def specification_curve(
    s: pd.DataFrame,
    base: ITSSpec,
    grid: dict | None = None,
    horizon: int = 0,
    breaks: Sequence[Interruption] = (),
    n_jobs: int = 1,
    title: str | None = None,
    ylabel: str = "Change at interruption (%)",
) -> SpecCurve:
    """Fit every spec of ``grid`` to series ``s``; one row per spec with estimate and CI.

    ``base`` fixes the interruption (named ``main``), the Covid-19 quarters (its ``disrupted``)
    and the rate scale; ``breaks`` are documented extra segments added for specs whose start is
    before them. ``n_jobs`` workers (1: in this process; ``make -j2`` already uses both cores)."""
    first = str(s["quarter"].min())
    g = spec_grid(grid)
    g["start"] = [first if x is None else str(x) for x in g["start"]]
    rows = g.to_dict("records")
    if n_jobs == 1:
        res = [_fit_one(s, r, base, horizon, tuple(breaks)) for r in rows]
    else:
        from joblib import Parallel, delayed

        res = Parallel(n_jobs=n_jobs)(
            delayed(_fit_one)(s, r, base, horizon, tuple(breaks)) for r in rows
        )
    res = pd.DataFrame(res)
    for c in ("n", "n_pre", "n_post", "estimate", "ci_low", "ci_high"):
        if c not in res.columns:
            res[c] = np.nan
    out = g.merge(res, on="spec_id", how="left")
    out["significant"] = (out["ci_low"] > 0) | (out["ci_high"] < 0)
    out["rank"] = out["estimate"].rank(method="first").astype("Int64")
    return SpecCurve(out, title, ylabel)


def summarise_curve(curve: pd.DataFrame) -> pd.DataFrame:
    """One-row summary: specs fitted, median and range of estimates, share with CI excluding 0."""
    ok = curve[curve["ok"]]
    return pd.DataFrame(
        [
            {
                "specs": len(curve),
                "fitted": len(ok),
                "median_pct": float(ok["estimate"].median()),
                "min_pct": float(ok["estimate"].min()),
                "max_pct": float(ok["estimate"].max()),
                "share_negative": float((ok["estimate"] < 0).mean()),
                "share_ci_excludes_0": float(ok["significant"].mean()),
            }
        ]
    )


def describe_curve(summary: pd.DataFrame) -> str:
    """Markdown: the specification-curve summary (:func:`sensitivity.summarise_curve`) in words."""
    r = summary.iloc[0]
    neg, sig = float(r["share_negative"]), float(r["share_ci_excludes_0"])
    if neg >= 0.9 or neg <= 0.1:
        sign = f"the sign is stable ({fmt_num(100 * max(neg, 1 - neg))}% of estimates agree)"
    else:
        sign = f"the sign is not stable ({fmt_num(100 * neg)}% of estimates are negative)"
    if sig >= 0.9:
        ci = "the CI excludes zero in almost every specification"
    elif sig >= 0.5:
        ci = f"the CI excludes zero in {fmt_num(100 * sig)}% of specifications"
    else:
        ci = (
            f"the CI excludes zero in only {fmt_num(100 * sig)}% of specifications, so "
            "statistical significance does not survive the analyst's choices"
        )
    failed = int(r["specs"]) - int(r["fitted"])
    return (
        f"{int(r['fitted'])} of {int(r['specs'])} specifications fitted"
        + (f" ({failed} failed)" if failed else "")
        + f"; median {fmt_pct(r['median_pct'])}, range {fmt_pct(r['min_pct'])} to "
        f"{fmt_pct(r['max_pct'])}. **{sign[0].upper() + sign[1:]}; {ci}.**"
    )
