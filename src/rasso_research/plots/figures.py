"""Paper figures drawn from tidy frames (the panel or the saved result tables), project style.

Every function returns a Figure; save it with :func:`rasso_research.plots.style.save_figure`.
The ITS panels themselves are drawn by :mod:`rasso_research.plots.its`.
Quarters are drawn at their start date; interruptions are dotted vertical lines and the
Covid-19-disrupted quarters are shaded.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rasso_research.constants import NATIONAL, SYNTHETIC_METHODS
from rasso_research.data.measures import ylabel_for  # noqa: F401 (re-exported)
from rasso_research.data.series import area_panel

from .its import mark_periods, to_x
from .style import OKABE_ITO, RC, figsize, legend_below, source_note

SOURCE_HO = "Source: Home Office police recorded crime and outcomes open data; ONS population."
SOURCE_CPS = "Source: CPS case outcomes by principal offence category."
SOURCE_HO_OUTCOMES = "Source: Home Office police recorded crime outcomes open data."
SOURCE_HO_CPS = (
    "Source: Home Office police recorded crime and outcomes open data; ONS population; "
    "CPS case outcomes by principal offence category."
)

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
        fig.tight_layout()
        if source:  # after the layout, so it sits under the x label
            source_note(fig, source)
    return fig


def plot_force_grid(
    panel: pd.DataFrame,
    measure: str,
    ylabel: str,
    ncols: int = 7,
    highlight: Sequence[str] = (),
    source: str | None = SOURCE_HO,
    interruptions: Mapping[str, str] | None = None,
    sharey: bool = False,
):
    """Small multiples: one panel per force (national total excluded). Each force has its own
    y scale unless ``sharey`` (a force with a very different level, such as the City of London,
    would flatten the others); every column has year labels; ``interruptions`` are dotted lines
    in every panel; a legend below names the highlighted force and the marks."""
    d = area_panel(panel, measure).dropna(subset=["value"])
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
            ax.set_title(f, fontsize=6, pad=1, color=col if f in highlight else "black")
            ax.tick_params(labelsize=6, length=2, pad=1)
            ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(3))
            if (g["value"] == 0).all():
                ax.text(0.5, 0.5, "all zero", transform=ax.transAxes, ha="center", fontsize=6)
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


def plot_effects(
    effects: pd.DataFrame,
    horizons: Sequence[int] = (0, 4, 8),
    width: str = "one",
    source: str | None = SOURCE_HO,
    labels: Mapping[str, str] | None = None,
    groups: Mapping[str, str] | None = None,
    slopes: pd.DataFrame | None = None,
):
    """Forest plot of relative effects (%) with 95% CIs: a block per series (titled by
    ``labels[series]``, in the order of ``groups`` when given: series label -> group, e.g.
    reporting before prosecution), a row per intervention, a column per horizon, and with
    ``slopes`` (:func:`rasso_research.designs.slope_effects`) a last column of slope changes
    in % per quarter. A ``ci_method`` column, when present, draws bootstrap intervals filled
    and Wald intervals hollow."""
    labels = labels or {}
    d = effects[effects["horizon"].isin(list(horizons))].copy()
    columns = [(f"+{h} q", d[d["horizon"] == h]) for h in horizons]
    if slopes is not None:
        sl = slopes.drop(columns=["ci_method"], errors="ignore")
        if "ci_method" in d.columns:
            m = d[["series", "intervention", "ci_method"]].drop_duplicates()
            sl = sl.merge(m, on=["series", "intervention"], how="left")
        columns.append(("slope\n(% per q)", sl))
    head_width = 22 if width == "one" else 60
    keys = d[["series", "intervention"]].drop_duplicates().reset_index(drop=True)
    order = {g: i for i, g in enumerate(dict.fromkeys((groups or {}).values()))}
    rank = keys["series"].map(lambda s: order.get((groups or {}).get(s), len(order)))
    keys = keys.assign(rank=rank, group=keys["series"].map(lambda s: labels.get(s, s)))
    keys = keys.sort_values("rank", kind="stable").reset_index(drop=True)
    # y positions top-down, with a gap and a title before each group
    ypos, ticks, ticklabels, heads, y = {}, [], [], [], 0.0
    for g, rows in keys.groupby("group", sort=False):
        if g:
            head = textwrap.fill(g, head_width)
            heads.append((y + 0.3 * head.count("\n"), head))
            y += 0.9 + 0.6 * head.count("\n")
        for r in rows.itertuples():
            ypos[(r.series, r.intervention)] = y
            ticks.append(y)
            ticklabels.append(r.intervention)
            y += 1.0
        y += 0.4
    n = len(columns)
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, axes = plt.subplots(1, n, figsize=(w, 0.2 * y + 0.9), sharey=True, squeeze=False)
        for ax, (title, e) in zip(axes[0], columns, strict=True):
            for r in e.itertuples():
                yy = ypos[(r.series, r.intervention)]
                boot = getattr(r, "ci_method", "wald") == "bootstrap"
                ax.plot([r.ci_low_pct, r.ci_high_pct], [yy, yy], color=OKABE_ITO["blue"], lw=0.8)
                ax.plot(
                    r.effect_pct,
                    yy,
                    marker="o",
                    ms=3,
                    color=OKABE_ITO["blue"],
                    mfc=OKABE_ITO["blue"] if boot else "white",
                )
            ax.axvline(0, color="black", lw=0.7)
            ax.set_title(title, fontsize=7)
            ax.tick_params(axis="x", labelsize=6)
            ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(3))
        ax0 = axes[0, 0]
        ax0.set_yticks(ticks)
        ax0.set_yticklabels(ticklabels, fontsize=6)
        for yy, g in heads:
            ax0.annotate(
                g,
                xy=(0, yy),
                xycoords=("axes fraction", "data"),
                xytext=(-4, 0),
                textcoords="offset points",
                ha="right",
                va="center",
                fontsize=6,
                fontweight="bold",
            )
        ax0.set_ylim(y - 0.4, -0.6)
        xlabel = "Change vs counterfactual (%) +h quarters after the date"
        if slopes is not None:
            xlabel += "; slope change (% per quarter)"
        fig.supxlabel(textwrap.fill(xlabel + ", 95% CI", 60), fontsize=7)
        methods = set(d["ci_method"]) if "ci_method" in d.columns else {"wald"}
        handles = [
            mpl.lines.Line2D(
                [],
                [],
                marker="o",
                ms=3,
                color=OKABE_ITO["blue"],
                mfc=OKABE_ITO["blue"] if m == "bootstrap" else "white",
                lw=0.8,
                label=label,
            )
            for m, label in (
                ("bootstrap", "bootstrap interval (AR errors)"),
                ("wald", "Wald interval"),
            )
            if m in methods
        ]
        fig.tight_layout(w_pad=0.4)
        legend_below(fig, handles, ncol=2, source=source)
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
    dates: pd.DataFrame | None = None,
):
    """Specification-curve figure: sorted estimates with CIs above, on a ratio (log) scale
    labelled in %, the choices below; with ``dates``, the date curve (interruption moved, a
    different estimand) in a panel of its own on the right, on the same scale."""
    with mpl.rc_context(RC):
        return _plot_spec_curve(curve, title, width, ylabel, dates)


#: Short names of the specification-curve choices for the figure's rows.
CHOICE_LABELS = {
    "series": "series",
    "model": "model",
    "seasonality": "seasonality",
    "start": "series starts",
    "allan": "R v Allan",
    "covid": "Covid-19 quarters",
    "shift": "date moved (quarters)",
    "phase_in": "phase-in (quarters)",
}


def _ratio(pct):
    """% change as an effect ratio, floored just above 0 for the log axis."""
    return np.maximum(1 + np.asarray(pct, dtype=float) / 100, 1e-3)


def _pct_axis(ax, lo: float, hi: float) -> None:
    """A log axis of effect ratios between ``lo`` and ``hi``, ticks labelled as % change."""
    ax.set_yscale("log")
    ax.set_ylim(lo, hi)
    cands = np.array([-90, -75, -50, -25, 0, 25, 50, 100, 200, 400, 900])
    if hi / lo > 6:  # a wide axis: +-25% would crowd the ticks next to them
        cands = cands[np.abs(cands) != 25]
    ticks = [1 + c / 100 for c in cands if lo <= 1 + c / 100 <= hi]
    ax.yaxis.set_major_locator(mpl.ticker.FixedLocator(ticks))
    ax.yaxis.set_minor_locator(mpl.ticker.NullLocator())
    ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{100 * (v - 1):+.0f}%"))


def _intervals(ax, x, ok, lo, hi, col):
    low = np.clip(_ratio(ok["ci_low"]), lo, hi)
    high = np.clip(_ratio(ok["ci_high"]), lo, hi)
    ax.vlines(x, low, high, colors=col, lw=0.6, alpha=0.6)
    cut_lo, cut_hi = _ratio(ok["ci_low"]) < lo, _ratio(ok["ci_high"]) > hi
    ax.scatter(x[cut_lo], np.full(cut_lo.sum(), lo), marker="v", s=5, c=col[cut_lo], lw=0)
    ax.scatter(x[cut_hi], np.full(cut_hi.sum(), hi), marker="^", s=5, c=col[cut_hi], lw=0)
    ax.scatter(x, _ratio(ok["estimate"]), c=col, s=6, zorder=3)
    ax.axhline(1, color="black", lw=0.7)


def _plot_spec_curve(curve, title, width, ylabel, dates=None):
    ok = curve[curve["ok"]].sort_values("estimate", kind="stable").reset_index(drop=True)
    choices = [c for c in CHOICE_LABELS if c in ok.columns and ok[c].astype(str).nunique() > 1]
    levels = [(c, v) for c in choices for v in sorted(ok[c].astype(str).unique(), key=str)]
    has_dates = dates is not None and len(dates) and dates["ok"].any()
    w, _ = figsize(width)
    fig = plt.figure(figsize=(w, 2.0 + 0.13 * len(levels)))
    gs = fig.add_gridspec(
        2,
        2 if has_dates else 1,
        height_ratios=[2.0, 0.13 * len(levels) + 0.1],
        width_ratios=[5, 1] if has_dates else [1],
        hspace=0.08,
        wspace=0.08,
    )
    ax = fig.add_subplot(gs[0, 0])
    axc = fig.add_subplot(gs[1, 0], sharex=ax)
    plt.setp(ax.get_xticklabels(), visible=False)
    x = np.arange(len(ok))
    sig = ok["significant"].to_numpy(bool)
    col = np.where(sig, OKABE_ITO["vermillion"], "#7f7f7f")
    # the y range follows the estimates (on the ratio scale); an interval reaching beyond it
    # ends in an arrow
    est = np.log(_ratio(ok["estimate"]))
    if has_dates:
        est = np.r_[est, np.log(_ratio(dates.loc[dates["ok"], "estimate"]))]
    span = max(est.max() - est.min(), np.log(1.25))
    lo, hi = float(np.exp(est.min() - span)), float(np.exp(est.max() + span))
    _intervals(ax, x, ok, lo, hi, col)
    med = ok["estimate"].median()
    ax.axhline(_ratio(med), color=OKABE_ITO["blue"], lw=0.7, ls="--")
    _pct_axis(ax, lo, hi)
    ax.set_ylabel(textwrap.fill(ylabel, 28))
    handles = [
        mpl.lines.Line2D(
            [],
            [],
            ls="none",
            marker="o",
            ms=3,
            color=OKABE_ITO["vermillion"],
            label="95% CI excludes 0",
        ),
        mpl.lines.Line2D(
            [], [], ls="none", marker="o", ms=3, color="#7f7f7f", label="95% CI includes 0"
        ),
        mpl.lines.Line2D(
            [], [], color=OKABE_ITO["blue"], lw=0.7, ls="--", label=f"median ({med:+.1f}%)"
        ),
        mpl.lines.Line2D(
            [], [], ls="none", marker="^", ms=3, color="#7f7f7f", label="CI beyond the axis"
        ),
    ]
    fig.legend(  # below the figure, clear of the data
        handles=handles,
        fontsize=6,
        frameon=False,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=4 if width == "two" else 2,
    )
    if title:
        ax.set_title(title, fontsize=8, loc="left")
    for i, (c, v) in enumerate(levels):
        m = (ok[c].astype(str) == str(v)).to_numpy()
        axc.scatter(x[m], np.full(m.sum(), i), marker="|", s=10, color="black", lw=0.6)
    axc.set_yticks(range(len(levels)))
    axc.set_yticklabels(
        [textwrap.shorten(f"{CHOICE_LABELS[c]}: {v}", 48) for c, v in levels], fontsize=6
    )
    axc.set_ylim(len(levels) - 0.5, -0.5)
    axc.set_xlabel("Specification (sorted by estimate)")
    if has_dates:
        d = dates[dates["ok"]].reset_index(drop=True)
        axd = fig.add_subplot(gs[0, 1], sharey=ax)
        dcol = np.where(d["significant"].to_numpy(bool), OKABE_ITO["vermillion"], "#7f7f7f")
        _intervals(axd, d["shift"].to_numpy(float), d, lo, hi, dcol)
        plt.setp(axd.get_yticklabels(), visible=False)
        step = 2 if width == "one" and len(d) > 3 else 1  # narrow panel: every other label
        shown_shifts = d["shift"].to_numpy(int)[::step]
        axd.set_xticks(shown_shifts.astype(float))
        axd.set_xticklabels([f"{v:+d}" for v in shown_shifts], fontsize=6)
        axd.set_xlabel("date moved\n(quarters)", fontsize=6)
        axd.set_title("other dates", fontsize=7, loc="left")
    return fig


#: Okabe-Ito colours with enough contrast on white for thin lines (no yellow)
LINE_COLOURS = [
    OKABE_ITO[k] for k in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple")
]


SOURCE_CLAIM7 = (
    "Source: CPS rape-flagged figures (transcribed from CPS publications); Home Office "
    "outcomes open data; MoJ Criminal Justice System statistics."
)


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
            fontsize=6,
            color="0.3",
        )
        ax.set_xlabel("Year (financial year starting in April; calendar year for MoJ)")
        ax.set_ylabel("% of the 2016 level")
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        ax.legend(frameon=False, fontsize=6, loc="upper left", bbox_to_anchor=(-0.02, -0.2), ncol=1)
        source_note(fig, SOURCE_CLAIM7)
    return fig


def plot_area_comparison(
    cf: pd.DataFrame,
    controls: pd.DataFrame,
    placebo: pd.DataFrame,
    ylabel: str,
    area: str,
    interruptions: Mapping[str, str],
    width: str = "two",
    source: str | None = SOURCE_HO,
):
    """One area against the others: (a) its ITS panel (counterfactual table) over the control
    areas' series (``controls``: force, quarter, value) as faint lines; (b) the placebo-in-space
    distribution (``placebo``: one ``estimate`` per control area treated as if it had the
    intervention, ``observed`` the area's own estimate, ``p_perm``) with the area's value
    marked."""
    from .its import plot_its_table

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
        plot_its_table(
            cf,
            ylabel,
            title=f"(a) {area} against {ctrl['unit'].nunique()} other forces",
            interruptions=interruptions,
            ax=ax,
            controls=ctrl,
            legend=False,
        )
        # the y range covers the area and the middle 90% of the controls (an outlying force,
        # such as the City of London's rate, would flatten the rest)
        own = pd.concat([cf["observed"], cf["fitted"], cf["counterfactual_ci_high"]]).dropna()
        lo = min(own.min(), ctrl["observed"].quantile(0.05))
        hi = max(own.max(), ctrl["observed"].quantile(0.95))
        ax.set_ylim(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo))
        est = placebo["estimate"].astype(float)
        obs = float(placebo["observed"].iloc[0])
        axp.hist(est, bins=min(15, max(5, len(est) // 3)), color="#BBBBBB", edgecolor="white")
        axp.axvline(obs, color=OKABE_ITO["vermillion"], lw=1.3)
        axp.set_title(
            textwrap.fill(
                f"(b) Level change vs controls, {len(est)} placebo forces "
                f"(p = {float(placebo['p_perm'].iloc[0]):.2f})",
                40,
            ),
            loc="left",
            fontsize=7,
        )
        axp.set_xlabel(textwrap.fill(f"Level change ({ylabel.split(' per quarter')[0]})", 36))
        axp.set_ylabel("Forces")
        axp.yaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        handles, labels = ax.get_legend_handles_labels()
        handles.append(mpl.lines.Line2D([], [], color=OKABE_ITO["vermillion"], lw=1.3))
        labels.append(f"estimate for {area} (b)")
        fig.tight_layout()
        legend_below(fig, handles, labels, ncol=min(len(labels), 6 if two else 3), source=source)
    return fig


def plot_synthetic(
    paths: pd.DataFrame,
    placebo: pd.DataFrame,
    method: str = "sdid",
    ylabel: str = "",
    width: str = "two",
    source: str | None = SOURCE_HO,
    title: str | None = None,
    xlabel: str = "Period",
):
    """A synthetic comparison (:class:`rasso_research.designs.synthetic.SyntheticComparison`):
    (a) the treated unit and its synthetic counterpart by period, the first treated period
    marked, with the gap (treated minus synthetic) beneath; (b) the placebo-in-space effects of
    the donors with the treated unit's marked."""
    p = paths[paths["method"] == method].reset_index(drop=True)
    pl = placebo[placebo["method"] == method]
    if p.empty:
        raise ValueError(
            f"no paths for method {method!r}; methods: {sorted(paths['method'].unique())}"
        )
    name = SYNTHETIC_METHODS.get(method, method)
    treated_unit = pl.loc[pl["is_treated"], "unit"].iloc[0]
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        two = width == "two"
        fig = plt.figure(figsize=(w, w * (0.5 if two else 1.5)))
        if two:
            outer = fig.add_gridspec(1, 2, width_ratios=[2.0, 1])
        else:
            outer = fig.add_gridspec(2, 1, height_ratios=[2.0, 1])
        left = outer[0].subgridspec(2, 1, height_ratios=[1.7, 1], hspace=0.08)
        ax, axg, axp = fig.add_subplot(left[0]), fig.add_subplot(left[1]), fig.add_subplot(outer[1])
        x = np.arange(len(p))
        ax.plot(
            x,
            p["treated"],
            color=OKABE_ITO["vermillion"],
            lw=1.3,
            marker="o",
            ms=2.5,
            label=treated_unit,
        )
        ax.plot(
            x, p["synthetic"], color=OKABE_ITO["blue"], lw=1.1, ls="--", label=f"{name} counterpart"
        )
        first_post = int(np.flatnonzero(p["post"].to_numpy())[0])
        ax.axvline(first_post - 0.5, color="black", lw=0.8, ls=":")
        step = max(1, int(np.ceil(len(p) / (8 if two else 6))))
        ax.set_xticks(x[::step])
        ax.set_xticklabels([])
        axg.bar(
            x, p["gap"], color=np.where(p["post"], OKABE_ITO["vermillion"], "#BBBBBB"), width=0.7
        )
        axg.axhline(0, color="black", lw=0.7)
        axg.axvline(first_post - 0.5, color="black", lw=0.8, ls=":")
        axg.set_ylabel("Gap")
        axg.set_xticks(x[::step])
        axg.set_xticklabels(p["period"].iloc[::step], fontsize=6)
        axg.set_xlim(ax.get_xlim())
        axg.set_xlabel(f"{xlabel}; treated from the dotted line")
        ax.set_ylabel(textwrap.fill(ylabel, 34) if ylabel else "")
        ax.set_title(
            textwrap.fill(title or f"(a) {treated_unit} and its {name} counterpart", 50),
            loc="left",
            fontsize=7,
        )
        eff = pl.loc[~pl["is_treated"], "effect"].astype(float)
        obs = float(pl.loc[pl["is_treated"], "effect"].iloc[0])
        axp.hist(eff, bins=min(15, max(5, len(eff) // 3)), color="#BBBBBB", edgecolor="white")
        axp.axvline(obs, color=OKABE_ITO["vermillion"], lw=1.3)
        axp.set_title(
            textwrap.fill(f"(b) Placebo effects, each of {len(eff)} donors as if treated", 40),
            loc="left",
            fontsize=7,
        )
        axp.set_xlabel("Average post-period effect")
        axp.set_ylabel("Donors")
        axp.yaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        handles, labels = ax.get_legend_handles_labels()
        handles.append(mpl.lines.Line2D([], [], color=OKABE_ITO["vermillion"], lw=1.3))
        labels.append(f"estimate for {treated_unit} (b)")
        handles.append(mpl.patches.Patch(color="#BBBBBB"))
        labels.append("placebo donors (b); pre-period gap")
        handles.append(mpl.patches.Patch(color=OKABE_ITO["vermillion"]))
        labels.append("post-period gap")
        fig.tight_layout()
        legend_below(fig, handles, labels, ncol=4 if two else 2, source=source)
    return fig


def plot_event_study(
    eff: pd.DataFrame,
    ylabel: str = "",
    width: str = "one",
    source: str | None = SOURCE_HO,
    title: str | None = None,
    xlabel: str = "Period",
):
    """Event-study coefficients by period with the 95% placebo band (each donor as if
    treated); the reference period is 0 by construction and drawn hollow."""
    e = eff.sort_values("k").reset_index(drop=True)
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, ax = plt.subplots(figsize=(w, w * (0.5 if width == "two" else 0.75)))
        x = e["k"].to_numpy()
        ax.fill_between(
            x,
            e["placebo_low"],
            e["placebo_high"],
            color="#DDDDDD",
            lw=0,
            label="95% placebo band (donors as if treated)",
        )
        ax.axhline(0, color="black", lw=0.7)
        ax.axvline(-0.5, color="black", lw=0.8, ls=":")
        ref = e["reference"].to_numpy()
        ax.plot(x, e["estimate"], color=OKABE_ITO["blue"], lw=0.9)
        ax.plot(
            x[~ref],
            e["estimate"][~ref],
            "o",
            color=OKABE_ITO["blue"],
            ms=3.5,
            label=f"{e['treated'].iloc[0]}",
        )
        ax.plot(
            x[ref],
            e["estimate"][ref],
            "o",
            mfc="white",
            color=OKABE_ITO["blue"],
            ms=3.5,
            label="reference period (0)",
        )
        ax.set_xticks(x)
        step = max(1, int(np.ceil(len(x) / (10 if width == "two" else 6))))
        ax.set_xticklabels(
            [p if i % step == 0 else "" for i, p in enumerate(e["period"])], fontsize=6
        )
        ax.set_xlabel(f"{xlabel}; treated from the dotted line")
        ax.set_ylabel(textwrap.fill(ylabel or "Coefficient", 34))
        ax.set_title(textwrap.fill(title or e["series"].iloc[0], 50), loc="left", fontsize=7)
        fig.tight_layout()
        legend_below(
            fig, *ax.get_legend_handles_labels(), ncol=3 if width == "two" else 2, source=source
        )
    return fig


SOURCE_FUNNEL = (
    "Source: Home Office police recorded crime and outcomes open data; CPS rape-flagged "
    "figures (transcribed); MoJ Criminal Justice System statistics."
)


FUNNEL_COLOURS = [*LINE_COLOURS, OKABE_ITO["black"]]


def plot_funnel(funnel: pd.DataFrame, width: str = "one"):
    """The attrition funnel (:func:`rasso_research.data.series.funnel`): each stage's count
    per financial year on a log scale, with its unit in the legend; a year a stage lacks
    breaks its line, and the calendar-year stage is dashed."""
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, ax = plt.subplots(figsize=(w, w * (0.62 if width == "two" else 0.8)))
        handles = []
        for i, (_step, d) in enumerate(funnel.groupby("step", sort=True)):
            h = _year_line(
                ax,
                d["fiscal_year"].str[:4].astype(int),
                d["value"],
                (d["period_basis"] == "calendar year").all(),
                FUNNEL_COLOURS[i % len(FUNNEL_COLOURS)],
                f"{d['stage'].iloc[0]} ({d['unit'].iloc[0]})",
            )
            handles.append(h)
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(mpl.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_minor_locator(mpl.ticker.NullLocator())
        ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_ylabel("Rape cases per year (log scale)")
        ax.set_xlabel("Financial year starting in April (sentencing: calendar year)")
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        fig.tight_layout()
        legend_below(fig, handles, ncol=2 if width == "two" else 1, source=SOURCE_FUNNEL)
    return fig
