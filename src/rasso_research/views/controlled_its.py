"""The view of the controlled ITS (:mod:`rasso_research.designs.controlled_its`): its terms
and placebo p-values in words, and the figure of one area over the control areas beside the
placebo distribution."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd

from rasso_research.report.format import fmt_num

from .its import plot_its, plot_its_table
from .style import OKABE_ITO, RC, SOURCE_HO, figsize, legend_below, panel_letters


def describe_controlled(
    ctrl: pd.DataFrame, placebo: pd.DataFrame | None = None, units: str = "forces"
) -> str:
    """Markdown: controlled-ITS terms (estimate, 95% CI, p) and placebo permutation p-values.

    ``ctrl``: ``series``, ``term``, ``estimate``, ``ci_low``, ``ci_high``, ``p_value``;
    ``placebo``: ``series``, ``p_space``, ``n_space``, ``p_time``, ``n_time``; ``units``: what
    the controls are ("forces", "CPS Areas").
    """
    if ctrl is None or ctrl.empty:
        return "No controlled model was fitted (no series had enough quarters on both sides)."
    names = {"treated_level_main": "level change", "treated_slope_main": "slope change per quarter"}
    lines = []
    for _, r in ctrl.iterrows():
        lines.append(
            f"- `{r['series']}`, {names.get(r['term'], r['term'])} relative to the controls: "
            f"{fmt_num(r['estimate'])} (95% CI {fmt_num(r['ci_low'])} to {fmt_num(r['ci_high'])}, "
            f"p = {fmt_num(r['p_value'])}), "
            + ("CI excludes zero" if r["ci_low"] > 0 or r["ci_high"] < 0 else "CI includes zero")
        )
    if placebo is not None:
        for _, r in placebo.iterrows():
            lines.append(
                f"- `{r['series']}`, permutation p-values for the level change: placebo in space "
                f"{fmt_num(r['p_space'])} ({int(r['n_space'])} control {units}), placebo in time "
                f"{fmt_num(r['p_time'])} ({int(r['n_time'])} fake dates)"
                + (
                    "; fewer than 20 placebos: the smallest attainable p is above 0.05"
                    if min(r["n_space"], r["n_time"]) < 19
                    else ""
                )
            )
    return "\n".join(lines)


def plot_area_comparison(
    cf: pd.DataFrame,
    controls: pd.DataFrame,
    placebo: pd.DataFrame,
    ylabel: str,
    area: str,
    interruptions: Mapping[str, str],
    width: str = "two",
    source: str | None = SOURCE_HO,
    units: str = "forces",
    exclude: tuple[str, ...] = ("City of London",),
):
    """One area against the others: (a) its ITS panel (counterfactual table) over the control
    areas' series (``controls``: force, quarter, value) as faint lines; (b) the placebo-in-space
    distribution (``placebo``: one ``estimate`` per control area treated as if it had the
    intervention, ``observed`` the area's own estimate, ``p_perm``) with the area's value
    marked; ``units``: what the areas are ("forces", "CPS Areas"). The ``exclude`` areas (the
    City of London, whose rates per 100,000 residents are not comparable, as the annual designs
    leave it out) are not drawn; every drawn line stays inside the axes."""
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        two = width == "two"
        fig, (ax, axp) = plt.subplots(
            1 if two else 2,
            2 if two else 1,
            figsize=(w, w * (0.42 if two else 1.35)),
            gridspec_kw={"width_ratios": [2.2, 1]} if two else {"height_ratios": [1.6, 1]},
        )
        ctrl = controls.rename(columns={"force": "unit", "quarter": "period", "value": "observed"})
        ctrl = ctrl[ctrl["unit"] != area].assign(period=lambda d: d["period"].astype(str))
        left_out = sorted(set(exclude) & set(ctrl["unit"]))
        ctrl = ctrl[~ctrl["unit"].isin(left_out)]
        plot_its_table(
            cf,
            ylabel,
            title=f"{area} against {ctrl['unit'].nunique()} other {units}"
            + (f" ({', '.join(left_out)} not drawn)" if left_out else ""),
            interruptions=interruptions,
            ax=ax,
            controls=ctrl,
            legend=False,
        )
        # the y range covers the area and every control drawn (the City of London, whose
        # outlying rate would flatten the rest, is not drawn)
        own = pd.concat([cf["observed"], cf["fitted"], cf["counterfactual_ci_high"]]).dropna()
        lo = min(own.min(), ctrl["observed"].min())
        hi = max(own.max(), ctrl["observed"].max())
        ax.set_ylim(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo))
        est = placebo["estimate"].astype(float)
        obs = float(placebo["observed"].iloc[0])
        axp.hist(est, bins=min(15, max(5, len(est) // 3)), color="#BBBBBB", edgecolor="white")
        axp.axvline(obs, color=OKABE_ITO["vermillion"], lw=1.3)
        axp.set_title(
            textwrap.fill(
                f"Level change vs controls, {len(est)} placebo {units} "
                f"(p = {float(placebo['p_perm'].iloc[0]):.2f})",
                40,
            ),
            loc="left",
            fontsize=7,
        )
        axp.set_xlabel(textwrap.fill(f"Level change ({ylabel.split(' per quarter')[0]})", 36))
        axp.set_ylabel(units[:1].upper() + units[1:])
        axp.yaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        handles, labels = ax.get_legend_handles_labels()
        handles.append(mpl.lines.Line2D([], [], color=OKABE_ITO["vermillion"], lw=1.3))
        labels.append(f"estimate for {area} (b)")
        panel_letters([ax, axp])
        fig.tight_layout()
        for a in (ax, axp):  # the titles wrapped to their axes' width
            width_pt = a.get_position().width * fig.get_figwidth() * 72
            a.set_title(
                textwrap.fill(a.get_title(loc="left").replace("\n", " "), int(width_pt / 3.9)),
                loc="left",
                fontsize=7,
            )
        fig.tight_layout()
        legend_below(fig, handles, labels, ncol=min(len(labels), 6 if two else 3), source=source)
    return fig


def describe(controlled) -> str:
    """Markdown of a :class:`~rasso_research.designs.controlled_its.ControlledITS`."""
    return describe_controlled(controlled.table())


def plot(controlled, **kw):
    """The treated area's ITS over the controls (:func:`rasso_research.views.its.plot_its`)."""
    return plot_its(controlled.result, **kw)
