"""The standard ITS figure: observed, fitted segments, counterfactual with band,
interruptions marked and disrupted periods shaded."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd

from .style import OKABE_ITO, RC, new_figure, source_note


def plot_its(result, *args, **kwargs):
    """Draw the standard ITS figure for an ``ITSResult`` in the project style; returns the
    Figure. See ``_plot_its`` for the arguments."""
    with mpl.rc_context(RC):
        return _plot_its(result, *args, **kwargs)


def _plot_its(
    result,
    ax=None,
    width: str | float = "two",
    ylabel: str | None = None,
    title: str | None = None,
    band: str = "ci",
    source: str | None = None,
    unit=None,
):
    """Draw the standard ITS figure for an ``ITSResult``; returns the Figure.

    band: "ci" (confidence interval of the counterfactual mean) or "pi" (prediction interval,
    Gaussian families only). Fitted and counterfactual lines are drawn with disruption
    indicators set to 0 (the underlying lines); disrupted periods are shaded. For a controlled ITS the treated unit is drawn (or ``unit``)
    with the other units as faint lines.
    """
    cf = result.counterfactual(include_disrupted=False)
    design = result.design
    if ax is None:
        fig, ax = new_figure(width)
    else:
        fig = ax.figure
    if design.controlled:
        unit = design.spec.treated if unit is None else unit
        for i, (_u, sub) in enumerate(cf[cf["unit"] != unit].groupby("unit", sort=False)):
            ax.plot(
                sub["t"],
                sub["observed"],
                color="#BBBBBB",
                lw=0.8,
                label="Controls" if i == 0 else None,
            )
        cf = cf[cf["unit"] == unit]
    t = cf["t"].to_numpy()

    # disrupted periods
    if design.disrupted_terms:
        fr = design.frame
        if design.controlled:
            fr = fr[fr["unit"] == unit]
        flagged = fr.loc[fr[design.disrupted_terms].sum(axis=1) > 0, "t"].to_numpy()
        for i, td in enumerate(np.unique(flagged)):
            ax.axvspan(
                td - 0.5,
                td + 0.5,
                color="#DDDDDD",
                lw=0,
                label="Disrupted" if i == 0 else None,
                zorder=0,
            )

    ax.scatter(
        t,
        cf["observed"],
        s=8,
        color=OKABE_ITO["black"],
        zorder=3,
        label="Observed",
        facecolors=np.where(cf["in_fit"], OKABE_ITO["black"], "white"),
    )
    first = design.interruptions[0]
    post = t >= first.t0
    lo, hi = f"counterfactual_{band}_low", f"counterfactual_{band}_high"
    if lo not in cf:
        lo, hi = "counterfactual_ci_low", "counterfactual_ci_high"
    ax.fill_between(
        t[post],
        cf[lo].to_numpy()[post],
        cf[hi].to_numpy()[post],
        color=OKABE_ITO["sky_blue"],
        alpha=0.3,
        lw=0,
    )
    ax.plot(
        t[post],
        cf["counterfactual"].to_numpy()[post],
        color=OKABE_ITO["blue"],
        ls="--",
        lw=1.2,
        label="Counterfactual",
    )
    for i, (_, seg) in enumerate(cf.groupby("segment", sort=False)):
        if (seg["segment"] == "phase_in").all():
            continue
        ax.plot(
            seg["t"],
            seg["fitted"],
            color=OKABE_ITO["vermillion"],
            lw=1.5,
            label="Fitted" if i == 0 else None,
        )
    for info in design.interruptions:
        mark_interruption(ax, info.t0 - 0.5, f"{info.name} ({info.label})")
    _period_ticks(ax, cf, design.axis)
    ax.set_ylabel(ylabel or design.spec.outcome)
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, loc="best", ncol=2)
    if source:
        source_note(fig, source)
    return fig


def mark_interruption(ax, x, name: str | None = None) -> None:
    """Dotted vertical line at ``x`` (data coordinates) with ``name`` written at its top.

    Shared by :func:`plot_its` and :mod:`rasso_research.figures`."""
    ax.axvline(x, color=OKABE_ITO["black"], lw=0.8, ls=":")
    if name:
        ax.annotate(
            name,
            xy=(x, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -2),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=6,
        )


def _period_ticks(ax, cf: pd.DataFrame, axis) -> None:
    t = cf["t"].to_numpy()
    if axis.kind == "int":
        ax.set_xlabel("Time")
        return
    step = 12 if axis.freq.startswith("M") else 4
    ticks = [x for x in np.unique(t) if (x + axis.origin) % step == 0] or list(np.unique(t)[::step])
    ax.set_xticks(ticks)
    ax.set_xticklabels([axis.label(x) for x in ticks], rotation=0)
    ax.set_xlabel("")
