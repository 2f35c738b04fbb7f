"""Specification curve: one ITS estimate per combination of defensible modelling choices.

Choices (see :mod:`rasso_research.analysis`): model family (quasi-Poisson with offset; OLS on the
rate with Newey-West HAC SEs, lag rule ``nw`` or ``year``; log rate with AR(1) errors),
seasonality (none / quarter dummies / Fourier), start quarter, Covid-19 quarters (indicator /
excluded), interruption date (-1, 0, +1 quarter) and phase-in (0 / 1 quarter). Every spec is fitted
to the same series; the estimand is the relative change (%) ``horizon`` quarters after the
interruption. Fits run in parallel with joblib; rows come back in the grid's (deterministic) order.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from rasso_research.analysis import ModelSpec, _q, fit_segmented

#: Model families of the curve: (label, family, HAC lag rule).
MODELS = (
    ("quasi-Poisson", "quasipoisson", "nw"),
    ("OLS+HAC (NW lags)", "ols_hac", "nw"),
    ("OLS+HAC (4 lags)", "ols_hac", "year"),
    ("AR(1) errors", "arma", "nw"),
)

DEFAULT_GRID = {
    "model": [m[0] for m in MODELS],
    "seasonality": ["none", "quarter", "fourier"],
    "start": ["2014Q2"],
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


def _spec_for(row: pd.Series, base: ModelSpec, allan_quarter: str | None) -> ModelSpec:
    label_to = {m[0]: (m[1], m[2]) for m in MODELS}
    family, lags = label_to[row["model"]]
    segs = tuple(s for s in base.segments)
    if (
        allan_quarter is not None
        and _q(row["start"]) < _q(allan_quarter)
        and allan_quarter not in segs
    ):
        segs = segs + (allan_quarter,)
    if allan_quarter is not None and _q(row["start"]) >= _q(allan_quarter):
        segs = tuple(s for s in segs if s != allan_quarter)
    return replace(
        base,
        family=family,
        hac_lags=lags,
        seasonality=row["seasonality"],
        covid=row["covid"],
        phase_in=int(row["phase_in"]),
        segments=segs,
        interruption=str(_q(base.interruption) + int(row["shift"])),
    )


def _fit_one(s: pd.DataFrame, row: dict, base: ModelSpec, horizon: int, allan_quarter) -> dict:
    row = pd.Series(row)
    spec = replace(_spec_for(row, base, allan_quarter), horizons=(horizon,))
    d = s[s["quarter"] >= _q(row["start"])].reset_index(drop=True)
    out = {
        "spec_id": int(row["spec_id"]),
        "interruption": spec.interruption,
        "segments": ";".join(spec.segments) or "none",
    }
    try:
        fit = fit_segmented(d, spec)
    except (ValueError, np.linalg.LinAlgError) as exc:
        return {**out, "ok": False, "error": str(exc)}
    e = fit.effects.iloc[0]
    return {
        **out,
        "ok": True,
        "error": "",
        "n": fit.diagnostics["n"],
        "n_pre": fit.diagnostics["n_pre"],
        "n_post": fit.diagnostics["n_post"],
        "ci_method": fit.diagnostics["ci_method"],
        "estimate": float(e["effect_pct"]),
        "ci_low": float(e["ci_low_pct"]),
        "ci_high": float(e["ci_high_pct"]),
    }


def specification_curve(
    s: pd.DataFrame,
    base: ModelSpec,
    grid: dict | None = None,
    horizon: int = 0,
    allan_quarter: str | None = None,
    n_jobs: int = 2,
) -> pd.DataFrame:
    """Fit every spec of ``grid`` to series ``s``; one row per spec (grid order) with estimate and CI.

    ``base`` fixes the interruption, Covid quarters and rate scale; ``allan_quarter`` adds a
    documented extra segment at that quarter for specs whose start is before it.
    """
    from joblib import Parallel, delayed

    g = spec_grid(grid)
    rows = g.to_dict("records")
    res = Parallel(n_jobs=n_jobs)(
        delayed(_fit_one)(s, r, base, horizon, allan_quarter) for r in rows
    )
    res = pd.DataFrame(res)
    for c in ("n", "n_pre", "n_post", "estimate", "ci_low", "ci_high"):
        if c not in res.columns:
            res[c] = np.nan
    out = g.merge(res, on="spec_id", how="left")
    out["significant"] = (out["ci_low"] > 0) | (out["ci_high"] < 0)
    out["rank"] = out["estimate"].rank(method="first").astype("Int64")
    return out


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


def plot_curve(
    curve: pd.DataFrame,
    title: str | None = None,
    width: str = "double",
    ylabel: str = "Change at interruption (%)",
):
    """Specification-curve figure: sorted estimates with CIs above, the choices below."""
    import matplotlib.pyplot as plt

    ok = curve[curve["ok"]].sort_values("estimate", kind="stable").reset_index(drop=True)
    choices = [
        c
        for c in ("model", "seasonality", "start", "covid", "shift", "phase_in")
        if c in ok.columns and ok[c].nunique() > 1
    ]
    levels = [(c, v) for c in choices for v in sorted(ok[c].unique(), key=str)]
    w = 7.0 if width == "double" else 3.5
    fig, (ax, axc) = plt.subplots(
        2,
        1,
        figsize=(w, 2.2 + 0.16 * len(levels)),
        sharex=True,
        gridspec_kw={"height_ratios": [2.2, 0.16 * len(levels) + 0.2]},
    )
    x = np.arange(len(ok))
    col = np.where(ok["significant"], "#b2182b", "#7f7f7f")
    ax.vlines(x, ok["ci_low"], ok["ci_high"], colors=col, lw=0.6, alpha=0.6)
    ax.scatter(x, ok["estimate"], c=col, s=6, zorder=3)
    ax.axhline(0, color="black", lw=0.7)
    ax.axhline(ok["estimate"].median(), color="#2166ac", lw=0.7, ls="--")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=9)
    for i, (c, v) in enumerate(levels):
        m = (ok[c].astype(str) == str(v)).to_numpy()
        axc.scatter(x[m], np.full(m.sum(), i), marker="|", s=12, color="black", lw=0.6)
    axc.set_yticks(range(len(levels)))
    axc.set_yticklabels([f"{c}: {v}" for c, v in levels], fontsize=6)
    axc.invert_yaxis()
    axc.set_xlabel("Specification (sorted by estimate)")
    fig.align_ylabels()
    return fig


__all__: Sequence[str] = (
    "MODELS",
    "DEFAULT_GRID",
    "spec_grid",
    "specification_curve",
    "summarise_curve",
    "plot_curve",
)
