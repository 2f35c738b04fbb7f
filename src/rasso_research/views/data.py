"""Views of the data (no model): series panels, the force grid, revisions between releases,
the attrition funnel, claim 7's distance to 2016, and the sentences that describe coverage,
changes, offsets filled, revisions, the funnel and the BTP share. They take frames from
:mod:`rasso_research.data.series` (never the loaders themselves)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rasso_research.constants import NATIONAL
from rasso_research.periods import quarter
from rasso_research.report.format import fmt_num, fmt_pct

from .its import interruption_key, mark_periods, number_interruptions, to_x
from .style import (
    LINE_COLOURS,
    OKABE_ITO,
    RC,
    SOURCE_HO,
    figsize,
    legend_below,
    panel_letters,
    source_note,
)


def plot_series_panels(
    panels: Sequence[tuple[str, pd.DataFrame, str]],
    interruptions=None,
    covid=(),
    width: str = "two",
    source: str | None = SOURCE_HO,
):
    """Stacked line panels: each ``(title, frame with quarter/value, y label)``; the
    interruptions dotted lines, numbered in a strip above the first panel with their key
    above the source line (:func:`~rasso_research.views.its.number_interruptions`)."""
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, axes = plt.subplots(
            len(panels), 1, figsize=(w, 1.6 * len(panels)), sharex=True, squeeze=False
        )
        for ax, (title, df, ylabel) in zip(axes[:, 0], panels, strict=True):
            ax.plot(
                to_x(df["quarter"]), df["value"], color=OKABE_ITO["blue"], lw=1.2, marker="o", ms=2
            )
            mark_periods(ax, interruptions, covid, label=ax is axes[0, 0], names=False)
            ax.set_title(title, loc="left")
            ax.set_ylabel(textwrap.fill(ylabel, 24), fontsize=7)
        axes[-1, 0].set_xlabel("Quarter (calendar)")
        fig.tight_layout()
        key = ""
        if interruptions:
            ax0 = axes[0, 0]
            strip = number_interruptions(ax0, interruptions)
            ax0.set_title(ax0.get_title(loc="left"), loc="left", pad=strip + 3)
            fig.tight_layout()
            key = interruption_key(interruptions)
        text = "\n".join(t for t in (key, source) if t)
        if text:  # after the layout, so it sits under the x label
            source_note(fig, text)
    return fig


def plot_force_grid(
    area: pd.DataFrame,
    ylabel: str,
    ncols: int = 7,
    highlight: Sequence[str] = (),
    source: str | None = SOURCE_HO,
    interruptions: Mapping[str, str] | None = None,
    sharey: bool = False,
):
    """Small multiples: one panel per force of ``area`` (the force rows of one measure:
    :func:`rasso_research.data.series.area_panel`). Each force has its own
    y scale unless ``sharey`` (a force with a very different level, such as the City of London,
    would flatten the others); every column has year labels; ``interruptions`` are dotted lines
    in every panel; a legend below names the highlighted force and the marks."""
    d = area.dropna(subset=["value"])
    forces = sorted(d["force"].unique())
    nrows = int(np.ceil(len(forces) / ncols))
    with mpl.rc_context(RC):
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(figsize("two")[0], 1.0 * nrows + 0.7),
            sharex=True,
            sharey=sharey,
            squeeze=False,
        )
        for ax, f in zip(axes.flat, forces, strict=False):
            g = d[d["force"] == f]
            col = OKABE_ITO["vermillion"] if f in highlight else OKABE_ITO["blue"]
            ax.plot(to_x(g["quarter"]), g["value"], lw=0.8, color=col)
            mark_periods(ax, interruptions, (), label=False)
            ax.set_title(f, fontsize=7, pad=1, color=col if f in highlight else "black")
            ax.tick_params(labelsize=7, length=2, pad=1)
            ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(3))
            if (g["value"] == 0).all():
                ax.text(0.5, 0.5, "all zero", transform=ax.transAxes, ha="center", fontsize=7)
        # two year ticks (first full year and last year) so the labels never collide
        years = pd.PeriodIndex(d["quarter"].astype(str), freq="Q").year
        y0, y1 = int(years.min()) + 1, int(years.max())
        ticks = sorted({y0, y1}) if y1 > y0 else [int(years.min())]
        axes[0, 0].set_xticks([pd.Timestamp(f"{y}-01-01") for y in ticks])
        axes[0, 0].xaxis.set_major_formatter(mpl.dates.DateFormatter("%Y"))
        for j in range(ncols):  # year labels under the lowest panel of every column
            col_axes = [axes[i, j] for i in range(nrows) if i * ncols + j < len(forces)]
            if col_axes:
                col_axes[-1].xaxis.set_tick_params(labelbottom=True)
        for ax in list(axes.flat)[len(forces) :]:
            ax.set_visible(False)
        fig.supylabel(ylabel, fontsize=7)
        handles = [mpl.lines.Line2D([], [], color=OKABE_ITO["blue"], lw=0.8, label="force")]
        if highlight:
            handles.append(
                mpl.lines.Line2D(
                    [], [], color=OKABE_ITO["vermillion"], lw=0.8, label=", ".join(highlight)
                )
            )
        for name, q in (interruptions or {}).items():
            handles.append(
                mpl.lines.Line2D([], [], color="black", lw=0.8, ls=":", label=f"{name} ({q})")
            )
        fig.tight_layout(h_pad=0.4, w_pad=0.3)
        legend_below(fig, handles, ncol=len(handles), source=source)
    return fig


def plot_revision(rev: pd.DataFrame, width: str = "one"):
    """Per-force percentage revision of 2017/18 recorded rape between two releases."""
    d = rev[rev["force"] != NATIONAL].sort_values("pct_difference")
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, ax = plt.subplots(figsize=(w, 0.14 * len(d) + 0.8))
        ax.barh(d["force"], d["pct_difference"], color=OKABE_ITO["blue"])
        ax.axvline(0, color="black", lw=0.6)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_xlabel("2026 release vs 2018 release, recorded rape 2017/18 (%)")
        source_note(fig, "Source: Home Office PFA tables, 2018 and 2026 releases.")
    return fig


def _year_line(ax, years, values, dashed: bool, colour, label: str):
    """One series by year (integer years; a year without a value breaks the line), solid or
    dashed, with markers; returns the line."""
    y = pd.Series(np.asarray(values, dtype=float), index=np.asarray(years, dtype=int))
    y = y.reindex(range(int(y.index.min()), int(y.index.max()) + 1))  # gaps stay gaps
    (line,) = ax.plot(
        y.index,
        y.to_numpy(),
        marker="o",
        ms=2.5,
        lw=1.0,
        ls="--" if dashed else "-",
        color=colour,
        label=label,
    )
    return line


def plot_distance_to_2016(dist: pd.DataFrame, width: str = "one"):
    """Each series as a percentage of its 2016 level, by year (``claims.claim7_distance``):
    financial-year series solid, the calendar-year MoJ series dashed; a year missing from a
    series breaks its line; the legend sits below the axes, clear of the data."""
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, ax = plt.subplots(figsize=(w, w * 0.75))
        for i, (name, d) in enumerate(dist.groupby("series", sort=False)):
            calendar = "MoJ" in name
            _year_line(
                ax,
                d["year"].astype(str).str[:4].astype(int),
                d["pct_of_2016"],
                calendar,
                LINE_COLOURS[i % len(LINE_COLOURS)],
                name + (" (calendar years)" if calendar else ""),
            )
        ax.axhline(100, color="0.3", lw=0.8, ls=":")
        ax.annotate(
            "2016 level",
            xy=(0.0, 100),
            xycoords=("axes fraction", "data"),
            xytext=(2, 2),
            textcoords="offset points",
            fontsize=7,
            color="0.3",
        )
        ax.set_xlabel(
            textwrap.fill("Year (financial year starting in April; calendar year for MoJ)", 44)
        )
        ax.set_ylabel("% of the 2016 level")
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        fig.tight_layout()
        legend_below(fig, *ax.get_legend_handles_labels(), ncol=1, source=SOURCE_CLAIM7)
    return fig


def plot_funnel(funnel: pd.DataFrame, width: str = "one"):
    """The attrition funnel (:func:`rasso_research.data.series.funnel`) as small multiples,
    one panel per unit counted (offences, suspects, defendants, offenders: a count of one is
    not a count of another), each y axis labelled with its unit, on one log scale and one
    year axis; each stage's count per financial year, a year a stage lacks breaking its line,
    the calendar-year stage dashed; panels lettered, the stages in one legend below."""
    f = funnel.assign(group=funnel["unit"].astype(str).str.split(",").str[0].str.strip())
    groups = list(dict.fromkeys(f.sort_values("step")["group"]))
    two = width == "two"
    ncols = 4 if two and len(groups) == 4 else 2
    nrows = int(np.ceil(len(groups) / ncols))
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(w, (2.0 if two else 1.75) * nrows),
            sharex=True,
            sharey=True,
            squeeze=False,
        )
        years = f["fiscal_year"].str[:4].astype(int)
        handles = []
        for i, (_step, d) in enumerate(f.groupby("step", sort=True)):
            ax = axes.flat[groups.index(d["group"].iloc[0])]
            h = _year_line(
                ax,
                d["fiscal_year"].str[:4].astype(int),
                d["value"],
                (d["period_basis"] == "calendar year").all(),
                FUNNEL_COLOURS[i % len(FUNNEL_COLOURS)],
                f"{d['stage'].iloc[0]} ({d['unit'].iloc[0]})",
            )
            handles.append(h)
        for k, ax in enumerate(axes.flat):
            if k >= len(groups):
                ax.set_visible(False)
                continue
            ax.set_title(f"{groups[k].capitalize()} per year", loc="left", fontsize=8)
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(mpl.ticker.LogLocator(subs=(1.0, 3.0)))
            ax.yaxis.set_minor_locator(mpl.ticker.NullLocator())
            ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
            ax.xaxis.set_major_locator(mpl.ticker.MultipleLocator(5 if not two else 4))
            if k % ncols == 0:
                ax.set_ylabel("Count (log scale)")
            ax.grid(axis="y", color="#EEEEEE", lw=0.6)
        ax0 = axes.flat[0]
        ax0.set_xlim(years.min() - 0.5, years.max() + 0.5)
        panel_letters([ax for ax in axes.flat if ax.get_visible()])
        fig.supxlabel("Financial year starting in April (sentencing: calendar year)", fontsize=8)
        fig.tight_layout(h_pad=0.8, w_pad=0.6)
        legend_below(fig, handles, ncol=2 if two else 1, source=SOURCE_FUNNEL)
    return fig


SOURCE_CLAIM7 = (
    "Source: CPS rape-flagged figures (transcribed from CPS publications); Home Office "
    "outcomes open data; MoJ Criminal Justice System statistics."
)


SOURCE_FUNNEL = (
    "Source: Home Office police recorded crime and outcomes open data; CPS rape-flagged "
    "figures (transcribed); MoJ Criminal Justice System statistics."
)


FUNNEL_COLOURS = [*LINE_COLOURS, OKABE_ITO["black"]]


def describe_offset_fill(s: pd.DataFrame) -> str:
    """Markdown note on the offset quarters filled by :func:`with_offset` (``offset_filled``)."""
    measure = s.attrs.get("offset_measure", "offset")
    if "offset_filled" not in s.columns:
        return f"No `{measure}` offset on this series."
    q = s.loc[s["offset_filled"].astype(bool), "quarter"]
    dropped = int(s.attrs.get("offset_dropped", 0))
    tail = f" {dropped} quarter(s) without any `{measure}` value were dropped." if dropped else ""
    if q.empty:
        return f"Offset `{measure}`: published for every quarter of the series ({len(s)});" + (
            " none filled." + tail
        )
    first, last = s.attrs.get("offset_first", ""), s.attrs.get("offset_last", "")
    parts = []
    if last:
        after = q[q > quarter(last)]
        if len(after):
            parts.append(
                f"{len(after)} after its last value ({last}): {_qrange(after)}, "
                f"carried forward (held at the {last} value)"
            )
    if first:
        before = q[q < quarter(first)]
        if len(before):
            parts.append(
                f"{len(before)} before its first value ({first}): {_qrange(before)}, carried back"
            )
    inside = q[(q >= quarter(first)) & (q <= quarter(last))] if first and last else q
    if len(inside):
        parts.append(f"{len(inside)} inside its range: {_qrange(inside)}, log-linear interpolation")
    return (
        f"**Offset `{measure}` filled in {len(q)} of {len(s)} quarters** "
        f"(column `offset_filled`): " + "; ".join(parts) + "." + tail
    )


def _qrange(q: pd.Series) -> str:
    q = sorted(q)
    return str(q[0]) if len(q) == 1 else f"{q[0]}-{q[-1]}"


def describe_revision(rev: pd.DataFrame, threshold: float = 5.0) -> str:
    """Markdown: national and per-force revision between two releases (``pct_difference``)."""
    ew = rev[rev["force"] == NATIONAL]
    f = rev[rev["force"] != NATIONAL]
    nat = (
        f"The national total was revised by {fmt_pct(ew['pct_difference'].iloc[0])}"
        if len(ew)
        else "The national total is not in the revision table"
    )
    if f.empty:
        return nat + "; there are no force rows."
    big = f[f["pct_difference"].abs() > threshold].sort_values("pct_difference")
    which = ", ".join(f"{r.force} {fmt_pct(r.pct_difference)}" for r in big.itertuples())
    worst = f.loc[f["pct_difference"].abs().idxmax()]
    return (
        f"{nat}; **{len(big)} of {len(f)} forces by more than {fmt_num(threshold)}% either way**"
        + (f" ({which})" if which else "")
        + f"; the largest force revision is {worst['force']} {fmt_pct(worst['pct_difference'])}."
    )


def describe_coverage(panel: pd.DataFrame, measures: Sequence[str]) -> str:
    """Markdown: per measure, the national rows, the force rows and the CPS Area rows each with
    their first-last quarter and number of distinct quarters (editions of one measure combined, never double
    counted), and the number of sources; a requested measure absent from the panel is listed."""
    d = panel.dropna(subset=["value"])
    lines = []
    for m in measures:
        g = d[d["measure"] == m]
        if g.empty:
            lines.append(f"- `{m}`: **not in the panel**")
            continue
        q = g["quarter"].map(quarter)
        geo = (
            g["geography"]
            if "geography" in g
            else g["force"].eq(NATIONAL).map({True: "national", False: "force"})
        )
        parts = []
        for kind, who in (
            ("national", "the national total"),
            ("force", "forces"),
            ("cps_area", "CPS Areas"),
        ):
            rows = geo == kind
            if not rows.any():
                continue
            qq = q[rows]
            span = f"{qq.min()}-{qq.max()} ({qq.nunique()} quarters)"
            if kind != "national":
                who = f"{g.loc[rows, 'force'].nunique()} {who}"
            parts.append(f"{who} {span}")
        n_src = g["source"].nunique()
        src = f"; {n_src} sources" if n_src > 1 else ""
        lines.append(f"- `{m}`: " + "; ".join(parts) + src)
    return "\n".join(lines)


def _year_mean(s: pd.DataFrame, year: int) -> float:
    v = s.loc[[q.year == year for q in s["quarter"]], "value"]
    return float(v.mean()) if len(v) == 4 else float("nan")


def describe_change(s: pd.DataFrame, label: str, year_a: int, year_b: int) -> str:
    """Markdown: mean per quarter in calendar years ``year_a`` and ``year_b`` (full years only),
    their ratio, and the lowest and highest quarters of series ``s``."""
    a, b = _year_mean(s, year_a), _year_mean(s, year_b)
    span = f"{s['quarter'].min()}-{s['quarter'].max()}"
    lo, hi = s.loc[s["value"].idxmin()], s.loc[s["value"].idxmax()]
    ext = (
        f"lowest {fmt_num(lo['value'])} ({lo['quarter']}), highest {fmt_num(hi['value'])} "
        f"({hi['quarter']})"
    )
    if np.isfinite(a) and np.isfinite(b):
        ch = (
            f"mean per quarter {fmt_num(a)} in {year_a} and {fmt_num(b)} in {year_b} "
            f"(x{fmt_num(b / a)})"
        )
    else:
        miss = [str(y) for y, v in ((year_a, a), (year_b, b)) if not np.isfinite(v)]
        ch = f"no full calendar year {' or '.join(miss)} in the series, so no {year_a}-{year_b} comparison"
    return f"- {label} ({span}): {ch}; {ext}."


def describe_force_changes(
    area: pd.DataFrame, measure: str, year_a: int, year_b: int, label: str | None = None
) -> str:
    """Markdown: in how many forces the mean per quarter of ``measure`` (its force rows
    ``area``: :func:`rasso_research.data.series.area_panel`) rose from ``year_a`` to
    ``year_b`` (forces with both full calendar years only)."""
    d = area
    ratios = {}
    for f, g in d.groupby("force"):
        a, b = _year_mean(g, year_a), _year_mean(g, year_b)
        if np.isfinite(a) and np.isfinite(b) and a > 0:
            ratios[f] = b / a
    label = label or f"`{measure}`"
    if not ratios:
        return f"{label}: no force has both full calendar years {year_a} and {year_b}."
    r = pd.Series(ratios)
    return (
        f"{label} rose from {year_a} to {year_b} in **{int((r > 1).sum())} of {len(r)} forces** "
        f"(median ratio x{fmt_num(r.median())}, range x{fmt_num(r.min())} to x{fmt_num(r.max())})."
    )


def describe_area_events(area: str, start, end, events: pd.DataFrame) -> str:
    """Markdown: the dated events of ``area`` (:func:`rasso_research.timeline.events_for`)
    inside the modelled window ``start``-``end`` and after it, so a reader sees which other
    changes the window includes or keeps out."""
    if events.empty:
        return f"The timeline (`config/interventions.csv`) lists no event specific to {area}."
    lo, hi = quarter(start), quarter(end)
    inside, after = [], []
    for r in events.itertuples():
        q = quarter(r.quarter)
        item = f"{r.event} ({r.date:%Y-%m-%d}, {r.precision} precision, {q})"
        if lo <= q <= hi:
            inside.append(item)
        elif q > hi:
            after.append(item)
    out = [f"Events specific to {area} in the timeline (`config/interventions.csv`):"]
    out.append(f"- inside the window {lo}-{hi}: " + ("; ".join(inside) if inside else "none"))
    out.append(
        f"- after the window (kept out by its end, {hi}): "
        + ("; ".join(after) if after else "none")
    )
    return "\n".join(out)


def describe_missing_official(present: int, registered: int) -> str:
    """One sentence: whether the official outcomes releases (optional registry entries;
    ``present`` of ``registered`` are in ``data/raw``:
    :func:`rasso_research.data.fetch.official_releases`) are there, and if not which series
    they would add and the command that fetches them."""
    if present == registered:
        return (
            f"The {registered} official outcomes releases are present: the quarterly "
            "force-level rape charge series on both measures are in the panel."
        )
    return (
        f"Missing here: quarterly force-level rape charges on both outcome measures from "
        f"2014/15, which need the official outcomes releases ({present} of {registered} "
        "present, not in the data mirror): run `RASSO_FETCH_OPTIONAL=1 make fetch` on a machine "
        "with internet access, then `make all`."
    )


def describe_funnel(funnel: pd.DataFrame) -> str:
    """Markdown: per 100 rapes recorded, what followed at each later stage in the first and the
    last year that have every stage, with the units, and which stages run furthest."""
    if funnel.empty:
        return "No stage of the funnel has data."
    n_steps = funnel["step"].nunique()
    full = funnel.groupby("fiscal_year")["step"].nunique()
    complete = sorted(full[full == n_steps].index)
    lines = []
    for fy in dict.fromkeys([complete[0], complete[-1]] if complete else []):
        d = funnel[(funnel["fiscal_year"] == fy) & (funnel["step"] > 1)]
        parts = [
            f"{fmt_num(r.per_100_recorded, 2)} {r.stage[0].lower() + r.stage[1:]} ({r.unit})"
            for r in d.itertuples()
        ]
        rec = funnel[(funnel["fiscal_year"] == fy) & (funnel["step"] == 1)]["value"].iloc[0]
        lines.append(
            f"- {fy} ({fmt_num(rec)} rapes recorded): per 100 recorded, " + "; ".join(parts) + "."
        )
    last = funnel.sort_values("step").groupby("stage", sort=False)["fiscal_year"].max()
    head = (
        f"**Every stage has data in {len(complete)} years** "
        f"({', '.join(complete) if complete else 'none'})."
        if complete
        else "**No year has every stage.**"
    )
    tail = "Latest year per stage: " + "; ".join(f"{s} {y}" for s, y in last.items()) + "."
    return "\n".join([head, *lines, tail])


def describe_btp(btp: pd.DataFrame, edition: pd.DataFrame | None = None) -> str:
    """Markdown: British Transport Police's share of police sexual-offence charges (closure
    measure) and, given ``edition`` (``quarter``, ``ratio`` of a national edition to the sum
    of the 43 forces in older editions), how far that edition differs from the 43 forces."""
    b = btp[(btp["offence_group"] == "Sexual offences") & (btp["measure"] == "charged_closed")]
    b = b.dropna(subset=["btp_pct"])
    out = []
    if not b.empty:
        out.append(
            f"British Transport Police accounts for {fmt_num(b['btp_pct'].min(), 2)}% to "
            f"{fmt_num(b['btp_pct'].max(), 2)}% of police sexual-offence charges (closure "
            f"measure, {b['fiscal_year'].min()} to {b['fiscal_year'].max()}). No file here "
            "separates its rape charges, so this is the size of the question for a national "
            "count that includes BTP, not a correction of it."
        )
    if edition is not None and not edition.empty:
        out.append(
            f"In the {edition['quarter'].nunique()} quarters where both exist "
            f"({edition['quarter'].min()} to {edition['quarter'].max()}), the 2024-edition "
            f"national rape charges are {fmt_num(100 * edition['ratio'].min(), 3)}% to "
            f"{fmt_num(100 * edition['ratio'].max(), 3)}% of the sum of the 43 forces in the "
            "editions of the time: differences of both signs, so revisions, not BTP alone, "
            "drive them."
        )
    return " ".join(out) or "No data on the coverage of the national charge counts."
