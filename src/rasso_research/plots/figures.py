"""Paper figures drawn from tidy frames (the panel or the saved result tables), project style.

Every function returns a Figure; save it with :func:`rasso_research.plots.style.save_figure`.
The ITS panels themselves are drawn by :mod:`rasso_research.plots.its`.
Quarters are drawn at their start date; interruptions are dotted vertical lines and the
Covid-19-disrupted quarters are shaded.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rasso_research.constants import NATIONAL
from rasso_research.data.series import area_panel

from .its import mark_periods, to_x
from .style import OKABE_ITO, RC, figsize, source_note

SOURCE_HO = "Source: Home Office police recorded crime and outcomes open data; ONS population."
SOURCE_CPS = "Source: CPS case outcomes by principal offence category."

#: Axis labels with units, by panel measure (counts and rates as published).
YLABELS = {
    "recorded_rape": "Recorded rapes per quarter",
    "recorded_rape_per_100k": "Recorded rapes per 100,000 population per quarter",
    "rape_charged_in_quarter": "Rape charges per quarter",
    "rape_charged_cohort": "Rape charges (cohort) per quarter",
    "rape_outcomes_cohort": "Rape outcomes assigned (cohort) per quarter",
    "rape_charge_rate_cohort": "Charged / outcomes assigned (cohort, share)",
    "cps_sexual_offences_conviction_rate": "CPS sexual-offence conviction rate (%)",
    "cps_sexual_offences_convictions": "CPS sexual-offence convictions per quarter",
}
#: The counted thing of a measure, for rate labels (``<noun> per <n> <denominator>``).
NOUNS = {
    "recorded_rape": "Recorded rapes",
    "rape_charged_in_quarter": "Rape charges",
    "rape_charged_cohort": "Rape charges (cohort)",
    "cps_sexual_offences_convictions": "CPS sexual-offence convictions",
}
#: Denominators of rates, as the label names them.
DENOMINATORS = {"population": "population per quarter", "recorded_rape": "recorded rapes"}


def ylabel_for(measure: str, offset: str | None = None, per: float | None = None) -> str:
    """Axis label with units for a panel measure, or for a rate of it per ``per`` ``offset``;
    raises if none is defined, so a figure never falls back to a generic label silently."""
    try:
        if offset is None:
            return YLABELS[measure]
        return f"{NOUNS[measure]} per {float(per or 1):,.0f} {DENOMINATORS[offset]}"
    except KeyError:
        what = measure if offset is None else f"{measure} per {offset}"
        raise KeyError(
            f"no axis label with units for {what!r}: add it to plots.figures.YLABELS "
            "(or NOUNS and DENOMINATORS for a rate)"
        ) from None


def plot_series_panels(
    panels: Sequence[tuple[str, pd.DataFrame, str]],
    interruptions=None,
    covid=(),
    width: str = "two",
    source: str | None = SOURCE_HO,
):
    """Stacked line panels: each ``(title, frame with quarter/value, y label)``."""
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, axes = plt.subplots(
            len(panels), 1, figsize=(w, 1.6 * len(panels)), sharex=True, squeeze=False
        )
        for ax, (title, df, ylabel) in zip(axes[:, 0], panels, strict=True):
            ax.plot(
                to_x(df["quarter"]), df["value"], color=OKABE_ITO["blue"], lw=1.2, marker="o", ms=2
            )
            mark_periods(ax, interruptions, covid, label=ax is axes[0, 0])
            ax.set_title(title, loc="left")
            ax.set_ylabel(textwrap.fill(ylabel, 24), fontsize=6.5)
        axes[-1, 0].set_xlabel("Quarter (calendar)")
        if source:
            source_note(fig, source)
        fig.tight_layout()
    return fig


def plot_force_grid(
    panel: pd.DataFrame,
    measure: str,
    ylabel: str,
    ncols: int = 7,
    highlight: Sequence[str] = (),
    source: str | None = SOURCE_HO,
):
    """Small multiples: one panel per force (national total excluded), shared y axis."""
    d = area_panel(panel, measure).dropna(subset=["value"])
    forces = sorted(d["force"].unique())
    nrows = int(np.ceil(len(forces) / ncols))
    with mpl.rc_context(RC):
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(figsize("two")[0], 1.0 * nrows + 0.4),
            sharex=True,
            sharey=True,
            squeeze=False,
        )
        for ax, f in zip(axes.flat, forces, strict=False):
            g = d[d["force"] == f]
            col = OKABE_ITO["vermillion"] if f in highlight else OKABE_ITO["blue"]
            ax.plot(to_x(g["quarter"]), g["value"], lw=0.8, color=col)
            ax.set_title(f, fontsize=5.5, pad=1)
            ax.tick_params(labelsize=5)
        for ax in list(axes.flat)[len(forces) :]:
            ax.set_visible(False)
        fig.supylabel(ylabel, fontsize=7)
        if source:
            source_note(fig, source)
        fig.tight_layout(h_pad=0.3, w_pad=0.2)
    return fig


def plot_effects(
    effects: pd.DataFrame, horizon: int = 0, width: str = "one", source: str | None = SOURCE_HO
):
    """Forest plot of relative effects (%) with 95% CIs, one row per series x intervention."""
    d = effects[effects["horizon"] == horizon].reset_index(drop=True)
    labels = (d["series"] + " | " + d["intervention"]).tolist()
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, ax = plt.subplots(figsize=(w, 0.22 * len(d) + 0.8))
        y = np.arange(len(d))[::-1]
        ax.errorbar(
            d["effect_pct"],
            y,
            xerr=[d["effect_pct"] - d["ci_low_pct"], d["ci_high_pct"] - d["effect_pct"]],
            fmt="o",
            ms=3,
            color=OKABE_ITO["blue"],
            elinewidth=0.8,
            capsize=1.5,
        )
        ax.axvline(0, color="black", lw=0.7)
        ax.set_yticks(y)
        ax.set_yticklabels(labels, fontsize=6)
        ax.set_xlabel(f"Change vs counterfactual at +{horizon} quarters (%)")
        if source:
            source_note(fig, source)
    return fig


def plot_revision(rev: pd.DataFrame, width: str = "one"):
    """Per-force percentage revision of 2017/18 recorded rape between two releases."""
    d = rev[rev["force"] != NATIONAL].sort_values("pct_difference")
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, ax = plt.subplots(figsize=(w, 0.11 * len(d) + 0.8))
        ax.barh(d["force"], d["pct_difference"], color=OKABE_ITO["blue"])
        ax.axvline(0, color="black", lw=0.6)
        ax.tick_params(axis="y", labelsize=5)
        ax.set_xlabel("2026 release vs 2018 release, recorded rape 2017/18 (%)")
        source_note(fig, "Source: Home Office PFA tables, 2018 and 2026 releases.")
    return fig


def plot_spec_curve(
    curve: pd.DataFrame,
    title: str | None = None,
    width: str = "two",
    ylabel: str = "Change at interruption (%)",
):
    """Specification-curve figure: sorted estimates with CIs above, the choices below."""
    with mpl.rc_context(RC):
        return _plot_spec_curve(curve, title, width, ylabel)


def _plot_spec_curve(curve, title, width, ylabel):
    ok = curve[curve["ok"]].sort_values("estimate", kind="stable").reset_index(drop=True)
    choices = [
        c
        for c in ("model", "seasonality", "start", "covid", "shift", "phase_in")
        if c in ok.columns and ok[c].nunique() > 1
    ]
    levels = [(c, v) for c in choices for v in sorted(ok[c].unique(), key=str)]
    w, _ = figsize(width)
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


#: Okabe-Ito colours with enough contrast on white for thin lines (no yellow)
LINE_COLOURS = [
    OKABE_ITO[k] for k in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple")
]

SOURCE_CLAIM7 = (
    "Source: CPS rape-flagged figures (transcribed from CPS publications); Home Office "
    "outcomes open data; MoJ Criminal Justice System statistics."
)


def plot_distance_to_2016(dist: pd.DataFrame, width: str = "one"):
    """Each series as a percentage of its 2016 level, by year (``claims.claim7_distance``):
    financial-year series solid, the calendar-year MoJ series dashed; a year missing from a
    series breaks its line; the legend sits below the axes, clear of the data."""
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, ax = plt.subplots(figsize=(w, w * 0.75))
        for i, (name, d) in enumerate(dist.groupby("series", sort=False)):
            x = d["year"].astype(str).str[:4].astype(int)
            y = pd.Series(d["pct_of_2016"].to_numpy(), index=x)
            y = y.reindex(range(int(x.min()), int(x.max()) + 1))  # gaps stay gaps
            calendar = "MoJ" in name
            ax.plot(
                y.index,
                y.to_numpy(),
                marker="o",
                ms=2.5,
                lw=1.0,
                ls="--" if calendar else "-",
                color=LINE_COLOURS[i % len(LINE_COLOURS)],
                label=name + (" (calendar years)" if calendar else ""),
            )
        ax.axhline(100, color="0.3", lw=0.8, ls=":")
        ax.annotate(
            "2016 level",
            xy=(0.0, 100),
            xycoords=("axes fraction", "data"),
            xytext=(2, 2),
            textcoords="offset points",
            fontsize=6,
            color="0.3",
        )
        ax.set_xlabel("Year (financial year starting in April; calendar year for MoJ)")
        ax.set_ylabel("% of the 2016 level")
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        leg = ax.legend(
            frameon=False, fontsize=6, loc="upper left", bbox_to_anchor=(-0.02, -0.2), ncol=1
        )
        fig.canvas.draw()  # place the source line under the legend, not over it
        bottom = leg.get_window_extent().transformed(fig.transFigure.inverted()).y0
        fig.text(
            0.01,
            bottom - 0.02,
            textwrap.fill(SOURCE_CLAIM7, 75 if width == "one" else 150),
            ha="left",
            va="top",
            fontsize=6,
            color="#444444",
            transform=fig.transFigure,
        )
    return fig
