"""The one ITS drawer: observed points, fitted segments and the counterfactual with its band,
interruptions marked and disrupted periods shaded, drawn from a counterfactual *table*.

The designs save that table (``tables/*_counterfactual.csv``); :func:`its_table` makes it from
an ``ITSResult``; :func:`plot_its_table` draws it, so a figure made from a saved table and one
made from a fresh fit are the same figure.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .style import OKABE_ITO, RC, figsize, source_note

LINE_COLUMNS = ("fitted", "counterfactual", "counterfactual_ci_low", "counterfactual_ci_high")


def its_table(result, focus: str | None = None, include_disrupted: bool = False) -> pd.DataFrame:
    """Per period of an ``ITSResult``: ``period``, ``observed``, ``in_fit``, ``segment``,
    ``fitted`` and ``counterfactual`` with 95% CIs, and ``disrupted`` (the period has a
    disruption indicator). The counterfactual removes interruption ``focus`` (default: the
    first, hence all) and is blank before it; for a controlled ITS a ``unit`` column is kept.
    ``include_disrupted=False`` gives the underlying lines (disruption indicators at 0)."""
    cf = result.counterfactual(focus, include_disrupted=include_disrupted)
    design = result.design
    info = design.interruptions[result._interruption_index(focus)]
    fr = design.frame.reset_index(drop=True)
    post = cf["t"].to_numpy() >= info.t0
    for c in ("counterfactual", "counterfactual_ci_low", "counterfactual_ci_high"):
        cf.loc[~post, c] = np.nan
    terms = design.disrupted_terms
    cf["disrupted"] = (fr[terms].sum(axis=1) > 0).to_numpy() if terms else False
    keep = ["unit"] if design.controlled else []
    keep += ["period", "t", "observed", "in_fit", "segment", "fitted", "fitted_ci_low"]
    keep += ["fitted_ci_high", "counterfactual", "counterfactual_ci_low"]
    keep += ["counterfactual_ci_high", "disrupted"]
    return cf[keep]


def _is_int_axis(values) -> bool:
    v = pd.Series(values)
    return pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v)


def to_x(values):
    """Plot positions: a period's start date (quarters, months, any pandas period label), or
    the integer time itself on an integer axis."""
    if _is_int_axis(values):
        return np.asarray(values, dtype=float)
    return pd.DatetimeIndex(
        [(p if isinstance(p, pd.Period) else pd.Period(str(p))).start_time for p in values]
    )


def mark_interruption(ax, x, name: str | None = None) -> None:
    """Dotted vertical line at ``x`` (data coordinates) with ``name`` written at its top."""
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


def _span(p):
    """(start, end) of a period label or integer time for shading."""
    if isinstance(p, int | float | np.integer | np.floating):
        return float(p) - 0.5, float(p) + 0.5
    p = p if isinstance(p, pd.Period) else pd.Period(str(p))
    return p.start_time, p.end_time


def mark_periods(
    ax,
    interruptions: Mapping[str, object] | None = None,
    disrupted: Sequence = (),
    label: bool = True,
    disrupted_label: str = "Covid-19 disrupted",
) -> None:
    """Shade the ``disrupted`` periods and draw a dotted line (with its name) at each
    interruption (a period label, drawn at its start, or an integer time, drawn half a period
    before it)."""
    for i, q in enumerate(disrupted):
        a, b = _span(q)
        lab = disrupted_label if i == 0 and label else None
        ax.axvspan(a, b, color="#DDDDDD", lw=0, zorder=0, label=lab)
    for name, q in (interruptions or {}).items():
        x = _span(q)[0]
        mark_interruption(ax, x, name if label else None)


def plot_its_table(
    cf: pd.DataFrame,
    ylabel: str,
    title: str | None = None,
    interruptions: Mapping[str, object] | None = None,
    ax=None,
    width: str = "one",
    source: str | None = None,
    legend: bool = True,
    controls: pd.DataFrame | None = None,
    disrupted_label: str = "Covid-19 disrupted",
):
    """Draw one ITS panel from a counterfactual table (:func:`its_table` or a design's
    ``counterfactual()``): observed points (hollow if left out of the fit), fitted segments,
    counterfactual with 95% CI, disrupted periods shaded (column ``disrupted`` or ``covid``);
    lines break at disrupted periods, each of which has its own indicator in the model.
    ``controls`` (``period``, ``unit``, ``observed``) are drawn as faint lines."""
    with mpl.rc_context(RC):
        if ax is None:
            fig, ax = plt.subplots(figsize=figsize(width))
        else:
            fig = ax.figure
        cf = cf.reset_index(drop=True)
        x = to_x(cf["period"])
        flag_col = "disrupted" if "disrupted" in cf else ("covid" if "covid" in cf else None)
        is_dis = cf[flag_col].astype(bool).to_numpy() if flag_col else np.zeros(len(cf), bool)
        mark_periods(
            ax, interruptions or {}, cf.loc[is_dis, "period"].tolist(), True, disrupted_label
        )
        if controls is not None:
            for i, (_u, sub) in enumerate(controls.groupby("unit", sort=False)):
                lab = "Controls" if i == 0 else None
                ax.plot(to_x(sub["period"]), sub["observed"], color="#BBBBBB", lw=0.8, label=lab)
        in_fit = cf["in_fit"].astype(bool).to_numpy() if "in_fit" in cf else np.ones(len(cf), bool)
        ax.scatter(
            x,
            cf["observed"],
            s=7,
            zorder=3,
            color="black",
            label="Observed",
            facecolors=np.where(in_fit, "black", "white"),
        )
        post = cf["counterfactual"].notna().to_numpy()
        post = (x >= x[post].min()) if post.any() else post
        cf = cf.assign(**{c: cf[c].where(~is_dis) for c in LINE_COLUMNS})
        ax.fill_between(
            x[post],
            cf["counterfactual_ci_low"][post],
            cf["counterfactual_ci_high"][post],
            color=OKABE_ITO["sky_blue"],
            alpha=0.35,
            lw=0,
        )
        ax.plot(
            x[post],
            cf["counterfactual"][post],
            color=OKABE_ITO["blue"],
            ls="--",
            lw=1.1,
            label="Counterfactual (95% CI)",
        )
        seg = cf["segment"].astype(str) if "segment" in cf else pd.Series("all", index=cf.index)
        first = True
        for s in pd.unique(seg):
            if s == "phase_in":
                continue
            m = (seg == s).to_numpy() | is_dis
            ax.plot(
                x[m],
                cf["fitted"][m],
                color=OKABE_ITO["vermillion"],
                lw=1.3,
                label="Fitted" if first else None,
            )
            first = False
        ax.set_ylabel(ylabel)
        if _is_int_axis(cf["period"]):
            ax.set_xlabel("Period (integer time)")
        else:
            first = cf["period"].iloc[0]
            freq = (first if isinstance(first, pd.Period) else pd.Period(str(first))).freqstr
            ax.set_xlabel({"Q": "Quarter (calendar)", "M": "Month"}.get(freq[0], ""))
            loc = mpl.dates.AutoDateLocator(minticks=3, maxticks=6)
            ax.xaxis.set_major_locator(loc)
            ax.xaxis.set_major_formatter(mpl.dates.ConciseDateFormatter(loc))
        if title:
            ax.set_title(title, loc="left", fontsize=7)
        if legend:
            ax.legend(
                frameon=False,
                fontsize=6,
                loc="upper left",
                bbox_to_anchor=(1.0, 1.0),
                borderaxespad=0.2,
            )
        if source:
            source_note(fig, source)
    return fig


def plot_its(
    result,
    ax=None,
    width: str | float = "two",
    ylabel: str | None = None,
    title: str | None = None,
    source: str | None = None,
    focus: str | None = None,
):
    """The standard ITS figure for an ``ITSResult``: :func:`plot_its_table` on
    :func:`its_table` (underlying lines, disruption indicators at 0), every interruption
    marked as ``name (period)``; for a controlled ITS the treated unit, with the other units
    as faint lines."""
    cf = its_table(result, focus)
    design = result.design
    controls = None
    if design.controlled:
        controls = cf[cf["unit"] != design.spec.treated]
        cf = cf[cf["unit"] == design.spec.treated]
    marks = {
        f"{i.name} ({i.label})": design.axis.period(i.t0) if design.axis.kind == "period" else i.t0
        for i in design.interruptions
    }
    return plot_its_table(
        cf,
        ylabel or design.spec.outcome,
        title=title,
        interruptions=marks,
        ax=ax,
        width=width,
        source=source,
        controls=controls,
        disrupted_label="Disrupted",
    )


def plot_its_panels(
    cf: pd.DataFrame,
    panels: Sequence[tuple[str, str]],
    interruptions: Mapping[str, str],
    intervention: str | None = None,
    width: str = "two",
    ncols: int | None = None,
    source: str | None = None,
):
    """Several ITS panels (one per ``(series label, y label)``) from one counterfactual table,
    with one legend shared by all panels, placed below them (never over the data)."""
    ncols = ncols or (len(panels) if width == "two" else 1)
    nrows = int(np.ceil(len(panels) / ncols))
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, axes = plt.subplots(nrows, ncols, figsize=(w, 2.2 * nrows), squeeze=False)
        for ax, (label, ylab) in zip(axes.flat, panels, strict=False):
            d = cf[cf["series"] == label]
            if intervention is not None:
                d = d[d["intervention"] == intervention]
            if d.empty:
                raise ValueError(f"no counterfactual rows for {label!r} / {intervention!r}")
            ylab = textwrap.fill(ylab, 30)
            plot_its_table(d, ylab, title=label, interruptions=interruptions, ax=ax, legend=False)
        for ax in list(axes.flat)[len(panels) :]:
            ax.set_visible(False)
        handles, labels = {}, []
        for ax in axes.flat:
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                if lab not in handles:
                    handles[lab] = h
                    labels.append(lab)
        fig.tight_layout()
        fig.legend(
            [handles[lab] for lab in labels],
            labels,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=len(labels) if width == "two" else 2,
            frameon=False,
            fontsize=6,
        )
        if source:  # below the shared legend
            fig.text(
                0.01,
                -0.12 if width == "two" else -0.05,
                source,
                ha="left",
                va="top",
                fontsize=6,
                color="#444444",
                transform=fig.transFigure,
            )
    return fig
