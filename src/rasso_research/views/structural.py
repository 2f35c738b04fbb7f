"""The view of the persistence sensitivities (:mod:`rasso_research.designs.structural`): each
series' level and slope change in first differences or under a local linear trend, in words,
and a small figure of the level changes."""

from __future__ import annotations

import textwrap

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rasso_research.report.format import fmt_num, fmt_pct

from .style import OKABE_ITO, RC, SOURCE_HO, figsize, legend_below
from .text import ci_verdict


def _change(r) -> str:
    """An estimate with its CI, as % where the model is on the log scale."""
    pct = np.isfinite(r.estimate_pct)
    f = fmt_pct if pct else fmt_num
    e, lo, hi = (
        (r.estimate_pct, r.ci_low_pct, r.ci_high_pct) if pct else (r.estimate, r.ci_low, r.ci_high)
    )
    per = " per quarter" if r.change == "slope" else ""
    return f"{f(e)}{per} (95% CI {f(lo)} to {f(hi)}), {ci_verdict(r.ci_low, r.ci_high)}"


def describe_structural(effects: pd.DataFrame, fit: pd.DataFrame | None = None) -> str:
    """Markdown: per series and model, the level (and slope) change at the interruption with
    its CI; fits whose optimiser did not converge (``fit``: the fit table) are named."""
    if effects.empty:
        return "No structural model was fitted."
    lines = []
    for (label, model, when), d in effects.groupby(["series", "model", "interruption"], sort=False):
        parts = [f"{r.change} change {_change(r)}" for r in d.itertuples()]
        scale = " (log scale: relative changes)" if (d["scale"] == "log").all() else ""
        lines.append(f"- {label}, {when}, {model}{scale}: {'; '.join(parts)}.")
    if fit is not None and len(fit) and not fit["converged"].all():
        bad = fit[~fit["converged"].astype(bool)]
        lines.append(
            "The optimiser did not converge for "
            + "; ".join(f"{r.series} ({r.model})" for r in bad.itertuples())
            + ": read those estimates with caution."
        )
    return "\n".join(lines)


def describe(result) -> str:
    """Markdown of a :class:`~rasso_research.designs.structural.StructuralITS`."""
    return describe_structural(result.effects(), result.fit_table())


def plot_structural(
    effects: pd.DataFrame, width: str = "one", source: str | None = SOURCE_HO, title: str = ""
):
    """The level changes with their 95% CIs, a row per series and model (% where on the log
    scale)."""
    d = effects[effects["change"] == "level"].reset_index(drop=True)
    pct = d["estimate_pct"].notna().all()
    cols = (
        ("estimate_pct", "ci_low_pct", "ci_high_pct") if pct else ("estimate", "ci_low", "ci_high")
    )
    models = list(dict.fromkeys(d["model"]))
    colours = [OKABE_ITO[k] for k in ("blue", "vermillion", "bluish_green")]
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, ax = plt.subplots(figsize=(w, 0.4 * len(d) + 1.0))
        for y, r in d.iterrows():
            c = colours[models.index(r["model"]) % len(colours)]
            ax.plot([r[cols[1]], r[cols[2]]], [y, y], color=c, lw=0.8)
            ax.plot(r[cols[0]], y, "o", ms=3, color=c)
        ax.axvline(0, color="black", lw=0.7)
        ax.set_yticks(range(len(d)))
        ax.set_yticklabels([textwrap.fill(s, 36) for s in d["series"]], fontsize=7)
        ax.set_ylim(len(d) - 0.5, -0.5)
        ax.set_xlabel("Level change (%), 95% CI" if pct else "Level change, 95% CI")
        if title:
            ax.set_title(textwrap.fill(title, 50), loc="left", fontsize=7)
        fig.tight_layout()
        handles = [
            mpl.lines.Line2D([], [], marker="o", ms=3, lw=0.8, color=colours[i % 3], label=m)
            for i, m in enumerate(models)
        ]
        legend_below(fig, handles, ncol=1, source=source)
    return fig


def plot(result, **kw):
    """The level changes of a :class:`~rasso_research.designs.structural.StructuralITS`
    (:func:`plot_structural`)."""
    return plot_structural(result.effects(), **kw)
