"""The one ITS drawer: observed points, fitted segments and the counterfactual with its band,
interruptions marked and disrupted periods shaded, drawn from a counterfactual *table*.

The designs save that table (``tables/*_counterfactual.csv``);
:func:`rasso_research.its.its_table` makes it from an ``ITSResult``; :func:`plot_its_table` draws it, so a figure made from a saved table and one
made from a fresh fit are the same figure.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rasso_research.its import its_table

from .style import (
    MIN_FONT_PT,
    OKABE_ITO,
    RC,
    figsize,
    legend_below,
    panel_letters,
    source_note,
)

LINE_COLUMNS = ("fitted", "counterfactual", "counterfactual_ci_low", "counterfactual_ci_high")


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


def mark_interruption(ax, x, name: str | None = None, y: float = 1.0) -> None:
    """Dotted vertical line at ``x`` (data coordinates) with ``name`` written near its top
    (``y`` in axes fraction)."""
    ax.axvline(x, color=OKABE_ITO["black"], lw=0.8, ls=":")
    if name:
        ax.annotate(
            name,
            xy=(x, y),
            xycoords=("data", "axes fraction"),
            xytext=(2, -2),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=7,
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
    names: bool = True,
) -> None:
    """Shade the ``disrupted`` periods and draw a dotted line (with its name unless ``names``
    is false: :func:`number_interruptions` then labels them) at each interruption (a period
    label, drawn at its start, or an integer time, drawn half a period before it)."""
    for i, q in enumerate(disrupted):
        a, b = _span(q)
        lab = disrupted_label if i == 0 and label else None
        ax.axvspan(a, b, color="#DDDDDD", lw=0, zorder=0, label=lab)
    # names of close interruptions are staggered down the axes so they never overprint
    for i, (name, q) in enumerate(
        sorted((interruptions or {}).items(), key=lambda kv: _span(kv[1])[0])
    ):
        x = _span(q)[0]
        mark_interruption(ax, x, name if label and names else None, y=1.0 - 0.08 * (i % 3))


#: the strip of interruption numbers above an axes: row height and gap to the axes (points)
STRIP_ROW_PT, STRIP_GAP_PT = 9.0, 2.0


def number_interruptions(ax, interruptions: Mapping[str, object], fontsize: float = 7) -> int:
    """Number the interruptions' dotted lines in a strip above ``ax`` (1, 2, ... in date
    order, each centred over its line), a number moved up a row where it would touch the one
    before: labels never overprint each other, the data or the lines' own labels. Returns the
    strip's height in points (raise the axes' title by it); :func:`interruption_key` is the
    key to the numbers. Call once the axes have their final x range and size."""
    ordered = sorted(interruptions.items(), key=lambda kv: _span(kv[1])[0])
    if not ordered:
        return 0
    fig = ax.figure
    lo, hi = ax.get_xlim()
    width_pt = ax.get_position().width * fig.get_figwidth() * 72
    xs = []
    for _name, q in ordered:
        x = _span(q)[0]
        xs.append(mpl.dates.date2num(x) if not isinstance(x, float) else x)
    rows_end: list[float] = []  # right end (points) of the last number in each row
    rows = []
    for k, x in enumerate(xs, start=1):
        half = 0.5 * (0.62 * fontsize * len(str(k))) + 1.5  # half a number's width, padded
        centre = (x - lo) / (hi - lo) * width_pt
        row = next((r for r, end in enumerate(rows_end) if centre - half > end), None)
        if row is None:
            row = len(rows_end)
            rows_end.append(-np.inf)
        rows_end[row] = centre + half
        rows.append(row)
    for k, (x, row) in enumerate(zip(xs, rows, strict=True), start=1):
        ax.annotate(
            str(k),
            xy=(x, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, STRIP_GAP_PT + STRIP_ROW_PT * row),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=fontsize,
            annotation_clip=False,
        )
    return STRIP_GAP_PT + STRIP_ROW_PT * (max(rows) + 1)


def interruption_key(interruptions: Mapping[str, object]) -> str:
    """The key to :func:`number_interruptions`: "Dotted lines: 1 name (period); 2 ..."."""
    ordered = sorted(interruptions.items(), key=lambda kv: _span(kv[1])[0])
    return (
        "Dotted lines: "
        + "; ".join(f"{k} {name} ({q})" for k, (name, q) in enumerate(ordered, start=1))
        + "."
    )


def two_line_label(text: str, height_in: float, fontsize: float = 8) -> tuple[str, float]:
    """An axis label in at most two lines that fit ``height_in``: "(mean of the previous N
    quarters)" shortened, wrapped at about half its length, and set at 7 pt where the axis is
    too short for ``fontsize``. Returns (label, font size)."""
    text = re.sub(r"\(mean of the previous (\d+) quarters\)", r"(mean of previous \1 q)", text)
    for size in (fontsize, MIN_FONT_PT):
        per_line = int(height_in * 72 / (size * 0.55))
        if len(text) <= per_line:
            return text, size
        wrapped = textwrap.wrap(text, max(per_line, int(np.ceil(len(text) / 2)) + 2))
        if len(wrapped) <= 2 and max(len(w) for w in wrapped) <= per_line:
            return "\n".join(wrapped), size
    w = int(np.ceil(len(text) / 2))
    while len(textwrap.wrap(text, w)) > 2:
        w += 1
    return "\n".join(textwrap.wrap(text, w)), MIN_FONT_PT


def _line(ax, x, y, **kw):
    """A line that also shows its isolated points (a quarter between two gaps, such as a fitted
    quarter between two Covid-19 quarters) as short ticks, so no fitted value is invisible."""
    y = np.asarray(y, dtype=float)
    ax.plot(x, y, **kw)
    ok = np.isfinite(y)
    prev = np.r_[False, ok[:-1]]
    nxt = np.r_[ok[1:], False]
    iso = ok & ~prev & ~nxt
    if iso.any():
        style = {k: kw[k] for k in ("color",) if k in kw}
        ax.plot(
            np.asarray(x)[iso], y[iso], ls="none", marker="_", ms=7, mew=kw.get("lw", 1.2), **style
        )


def _draw_band(ax, x, cf: pd.DataFrame, band: np.ndarray) -> None:
    """The counterfactual's 95% band over the ``band`` rows; a band quarter between two gaps
    (e.g. between Covid-19 quarters) has no width, so its interval is drawn as a bar."""
    ax.fill_between(
        x[band],
        cf["counterfactual_ci_low"][band],
        cf["counterfactual_ci_high"][band],
        color=OKABE_ITO["sky_blue"],
        alpha=0.35,
        lw=0,
    )
    lo_b = cf["counterfactual_ci_low"].to_numpy(dtype=float)
    ok_b = band & np.isfinite(lo_b)
    iso = ok_b & ~np.r_[False, ok_b[:-1]] & ~np.r_[ok_b[1:], False]
    if iso.any():
        ax.vlines(
            x[iso],
            lo_b[iso],
            cf["counterfactual_ci_high"].to_numpy(dtype=float)[iso],
            color=OKABE_ITO["sky_blue"],
            alpha=0.35,
            lw=2.5,
        )


def _fit_ylim(ax, cf: pd.DataFrame, post: np.ndarray, band: np.ndarray) -> bool:
    """The y range follows the data and the lines, with the band allowed one data span beyond
    them; returns whether the band is cut by the axis (its legend entry says so)."""
    lines = pd.concat([cf["observed"], cf["fitted"], cf["counterfactual"][post]]).dropna()
    band_lo = cf["counterfactual_ci_low"][band].dropna()
    band_hi = cf["counterfactual_ci_high"][band].dropna()
    if not len(lines):
        return False
    lo_d, hi_d = float(lines.min()), float(lines.max())
    span = max(hi_d - lo_d, abs(hi_d) * 0.05, 1e-9)
    lo = lo_d - span if len(band_lo) and band_lo.min() < lo_d - span else None
    hi = hi_d + span if len(band_hi) and band_hi.max() > hi_d + span else None
    if lo_d >= 0 and lo is not None:
        lo = max(lo, 0.0)
    cut = lo is not None or hi is not None
    if cut:
        ax.set_ylim(
            lo if lo is not None else min(lo_d, band_lo.min()) - 0.05 * span,
            hi if hi is not None else max(hi_d, band_hi.max()) + 0.05 * span,
        )
    return cut


def _draw_fitted(ax, x, cf: pd.DataFrame, is_dis: np.ndarray) -> None:
    """The fitted line, one segment per regime (phase-in periods left blank)."""
    seg = cf["segment"].astype(str) if "segment" in cf else pd.Series("all", index=cf.index)
    first = True
    for s in pd.unique(seg):
        if s == "phase_in":
            continue
        m = (seg == s).to_numpy() | is_dis
        _line(
            ax,
            x[m],
            cf["fitted"][m],
            color=OKABE_ITO["vermillion"],
            lw=1.3,
            label="Fitted" if first else None,
        )
        first = False


def _label_axes(ax, fig, cf: pd.DataFrame, ylabel: str, xlabel, title) -> None:
    """The y label wrapped to the axes' height, the x label from the period type (or
    ``xlabel``), date ticks, and the title wrapped to the axes' width."""
    height_in = ax.get_position().height * fig.get_figheight()
    per_line = max(12, int(height_in * 72 / (mpl.rcParams["axes.labelsize"] * 0.55)))
    ax.set_ylabel(textwrap.fill(ylabel, per_line) if len(ylabel) > per_line else ylabel)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if _is_int_axis(cf["period"]):
        ax.set_xlabel(xlabel or "Period (integer time)")
    else:
        first = cf["period"].iloc[0]
        freq = (first if isinstance(first, pd.Period) else pd.Period(str(first))).freqstr
        ax.set_xlabel(xlabel or {"Q": "Quarter (calendar)", "M": "Month"}.get(freq[0], ""))
        loc = mpl.dates.AutoDateLocator(minticks=3, maxticks=6)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mpl.dates.ConciseDateFormatter(loc))
    if title:  # wrapped to the axes' width so it never runs into a neighbour
        width_in = ax.get_position().width * fig.get_figwidth()
        ax.set_title(
            textwrap.fill(title, max(20, int(width_in * 72 / (7 * 0.5)))),
            loc="left",
            fontsize=7,
        )


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
    xlabel: str | None = None,
    band_horizon: int | None = None,
    interruption_names: bool = True,
):
    """Draw one ITS panel from a counterfactual table (:func:`rasso_research.its.its_table` or
    a design's ``counterfactual()``): observed points (hollow if left out of the fit), fitted
    segments, counterfactual with 95% CI, disrupted periods shaded (column ``disrupted`` or
    ``covid``); lines break at disrupted periods, each of which has its own indicator in the
    model. ``controls`` (``period``, ``unit``, ``observed``) are drawn as faint lines.
    ``band_horizon`` draws the CI only to that many periods after the interruption (far out
    it can span the whole axis and says nothing); the legend says so. With
    ``interruption_names`` false the interruptions' lines are drawn without their names
    (:func:`number_interruptions` labels them in a strip above the axes)."""
    with mpl.rc_context(RC):
        own = ax is None
        if own:
            fig, ax = plt.subplots(figsize=figsize(width))
        else:
            fig = ax.figure
        cf = cf.reset_index(drop=True)
        x = to_x(cf["period"])
        flag_col = "disrupted" if "disrupted" in cf else ("covid" if "covid" in cf else None)
        is_dis = cf[flag_col].astype(bool).to_numpy() if flag_col else np.zeros(len(cf), bool)
        mark_periods(
            ax,
            interruptions or {},
            cf.loc[is_dis, "period"].tolist(),
            True,
            disrupted_label,
            names=interruption_names,
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
        band = post.copy()
        if band_horizon is not None:
            band[np.flatnonzero(post)[band_horizon + 1 :]] = False
        cf = cf.assign(**{c: cf[c].where(~is_dis) for c in LINE_COLUMNS})
        _draw_band(ax, x, cf, band)
        cut = _fit_ylim(ax, cf, post, band)
        _line(
            ax,
            x[post],
            cf["counterfactual"][post],
            color=OKABE_ITO["blue"],
            ls="--",
            lw=1.1,
            label="Counterfactual (95% CI"
            + (f" to +{band_horizon} q" if band_horizon is not None else "")
            + (", cut at the axis)" if cut else ")"),
        )
        _draw_fitted(ax, x, cf, is_dis)
        _label_axes(ax, fig, cf, ylabel, xlabel, title)
        _finish(fig, ax, own, legend, width, source)
    return fig


def _finish(fig, ax, own: bool, legend: bool, width, source) -> None:
    """The legend (beside the axes, or below them on a one-column figure of its own), the
    layout of a figure of its own, and the source line."""
    if own and legend and width == "one":  # too narrow for a legend at the side
        fig.tight_layout()
        legend_below(fig, *ax.get_legend_handles_labels(), ncol=2, source=source)
        return
    if legend:
        ax.legend(
            frameon=False,
            fontsize=7,
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            borderaxespad=0.2,
        )
    if own:
        fig.tight_layout()
    if source:
        source_note(fig, source)


def plot_its(
    result,
    ax=None,
    width: str | float = "two",
    ylabel: str | None = None,
    title: str | None = None,
    source: str | None = None,
    focus: str | None = None,
    names: Mapping[str, str] | None = None,
    xlabel: str | None = None,
):
    """The standard ITS figure for an ``ITSResult``: :func:`plot_its_table` on
    :func:`its_table` (underlying lines, disruption indicators at 0), every interruption
    marked as ``name (period)`` (or by ``names[name]``); for a controlled ITS the treated unit, with the other units
    as faint lines."""
    cf = its_table(result, focus)
    design = result.design
    controls = None
    if design.controlled:
        controls = cf[cf["unit"] != design.spec.treated]
        cf = cf[cf["unit"] == design.spec.treated]
    names = names or {}
    marks = {
        names.get(i.name, f"{i.name} ({i.label})"): (
            design.axis.period(i.t0) if design.axis.kind == "period" else i.t0
        )
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
        xlabel=xlabel,
    )


def plot_its_panels(
    cf: pd.DataFrame,
    panels: Sequence[tuple[str, str]],
    interruptions: Mapping[str, str],
    intervention: str | None = None,
    width: str = "two",
    ncols: int | None = None,
    source: str | None = None,
    titles: Mapping[str, str] | None = None,
    band_horizon: int | None = None,
):
    """Several ITS panels (one per ``(series label, y label)``) from one counterfactual table,
    lettered (a), (b), ..., with one legend shared by all panels, placed below them (never
    over the data), on one common time range; the interruptions are numbered in a strip above
    each panel (:func:`number_interruptions`) with their key above the source line; y labels
    in at most two lines; ``titles`` maps series labels to panel titles; ``band_horizon`` as
    in :func:`plot_its_table`."""
    ncols = ncols or (len(panels) if width == "two" else 1)
    nrows = int(np.ceil(len(panels) / ncols))
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(w, (2.5 if width == "two" else 2.1) * nrows), squeeze=False
        )
        for ax, (label, ylab) in zip(axes.flat, panels, strict=False):
            d = cf[cf["series"] == label]
            if intervention is not None:
                d = d[d["intervention"] == intervention]
            if d.empty:
                raise ValueError(f"no counterfactual rows for {label!r} / {intervention!r}")
            title = (titles or {}).get(label, label)
            plot_its_table(
                d,
                ylab,
                title=title,
                interruptions=interruptions,
                ax=ax,
                legend=False,
                band_horizon=band_horizon,
                interruption_names=False,
            )
        for ax in list(axes.flat)[len(panels) :]:
            ax.set_visible(False)
        shown = list(axes.flat)[: len(panels)]
        lo = min(ax.get_xlim()[0] for ax in shown)
        hi = max(ax.get_xlim()[1] for ax in shown)
        for ax in shown:
            ax.set_xlim(lo, hi)
            ax.xaxis.set_major_locator(mpl.dates.YearLocator(4 if width == "two" else 2))
            ax.xaxis.set_major_formatter(mpl.dates.DateFormatter("%Y"))
        panel_letters(shown)
        handles, labels = _shared_handles(axes.flat)
        _panels_layout(fig, shown, panels, interruptions)
        hs = [handles[lab] for lab in labels]
        key = interruption_key(interruptions)
        legend_below(
            fig,
            hs,
            labels,
            ncol=len(labels) if width == "two" else 2,
            source=key + (f"\n{source}" if source else ""),
        )
    return fig


def _shared_handles(axes) -> tuple[dict, list[str]]:
    """The panels' legend entries, each once, with one counterfactual entry ("cut at the
    axis" when the band of any panel is cut)."""
    handles, labels = {}, []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in handles:
                handles[lab] = h
                labels.append(lab)
    cfl = [lab for lab in labels if lab.startswith("Counterfactual")]
    if len(cfl) > 1:
        keep = next((lab for lab in cfl if "cut at the axis" in lab), cfl[0])
        labels = [lab for lab in labels if lab == keep or lab not in cfl]
    return handles, labels


def _panels_layout(fig, shown, panels, interruptions) -> None:
    """The layout of the panels, in steps (each moves the axes): the y labels fitted in two
    lines to the axes' height, then the interruptions' numbers in a strip above each panel
    with the title raised over it and wrapped to the panel's width."""
    fig.tight_layout()
    for ax, (_label, ylab) in zip(shown, panels, strict=False):
        height = ax.get_position().height * fig.get_figheight()
        text, size = two_line_label(ylab, height, mpl.rcParams["axes.labelsize"])
        ax.set_ylabel(text, fontsize=size)
    fig.tight_layout()
    for ax in shown:
        strip = number_interruptions(ax, interruptions)
        width_pt = ax.get_position().width * fig.get_figwidth() * 72
        title = textwrap.fill(
            ax.get_title(loc="left").replace("\n", " "), int(width_pt / (8 * 0.56))
        )
        ax.set_title(title, loc="left", pad=strip + 3, fontsize=8)
    fig.tight_layout()
