"""The view of the joint model of several interventions
(:mod:`rasso_research.designs.joint_its`): whether the terms are separable (with the
informative quarters each rests on), each reform's own change and its lead, the reforms
together, leave-one-out shifts, the quarters between dates, a choice's effect, and the joint
fit's ITS panel."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rasso_research.designs.joint_its import (
    CORR_MAX,
    INFLATION_MAX,
    MIN_INFORMATIVE,
    min_informative,
)
from rasso_research.periods import quarter
from rasso_research.report.format import fmt_num, fmt_pct

from . import national_its
from .style import OKABE_ITO, RC, SOURCE_HO, figsize, legend_below, panel_letters
from .text import ci_verdict


def _change(r) -> str:
    """A term's estimate and CI, as % where the model is on a log scale, with a mark when the
    CI excludes zero."""
    pct = np.isfinite(r.estimate_pct)
    est = fmt_pct(r.estimate_pct) if pct else fmt_num(r.estimate)
    lo = fmt_pct(r.ci_low_pct) if pct else fmt_num(r.ci_low)
    hi = fmt_pct(r.ci_high_pct) if pct else fmt_num(r.ci_high)
    mark = ", CI excludes zero" if r.ci_low > 0 or r.ci_high < 0 else ""
    return f"{est} ({lo} to {hi}{mark})"


def _why(r) -> str:
    """Why a term is not separable: the informative quarters it rests on, its variance
    inflation and its estimate correlation, whichever reach their limits."""
    n = int(r.n_informative)
    need = min_informative(r.kind)
    quarters = f"{n} informative quarter{'s' if n != 1 else ''}" + (
        f" ({r.informative_quarters})" if n else ""
    )
    parts = [f"rests on {quarters}" + (f", fewer than {need}" if n < need else "")]
    if r.inflation >= INFLATION_MAX:
        parts.append(f"the other dates multiply its variance by {fmt_num(r.inflation, 2)}")
    if np.isfinite(r.max_abs_corr) and r.max_abs_corr >= CORR_MAX:
        parts.append(f"|correlation| {fmt_num(r.max_abs_corr, 2)} with {r.corr_with}")
    return f"{r.term} {', and '.join(parts)}"


def _head(idt: pd.DataFrame) -> str:
    """Whether one series' intervention terms are separable, with the reasons of those that
    are not."""
    bad = idt[idt["verdict"] != "separable"]
    if bad.empty:
        return (
            "the intervention terms are separable (each rests on at least "
            f"{MIN_INFORMATIVE} informative quarters, a lead on its quarter; the other dates "
            f"inflate no term's variance by {fmt_num(INFLATION_MAX)} or more, no |correlation| "
            f"reaches {fmt_num(CORR_MAX)})"
        )
    return (
        "**the interventions cannot be separated**: "
        + "; ".join(_why(r) for r in bad.itertuples())
        + ": read their sum, not each term"
    )


def describe_joint(
    terms: pd.DataFrame,
    ident: pd.DataFrame,
    effects: pd.DataFrame,
    last_declared: int | None = None,
) -> str:
    """Markdown: per series, whether the interventions can be told apart (with the informative
    quarters each term rests on), each one's own level change, its lead where the model has
    leads, and the reforms together at the last declared horizon (``last_declared``; default
    the last reported): an effect further on extrapolates the pre-reform trend further and is
    left to the table."""
    lines = []
    for label, idt in ident.groupby("series", sort=False):
        dep = idt[idt["verdict"] == "not identified"]
        if len(dep):
            lines.append(
                f"- **{label}**: the joint design is rank-deficient "
                f"({', '.join(dep['term'])}): these terms cannot be estimated together."
            )
            continue
        t = terms[terms["series"] == label]
        levels = "; ".join(
            f"{r.intervention} {_change(r)}" for r in t[t["kind"] == "level"].itertuples()
        )
        when = dict(zip(idt["term"], idt["quarter"], strict=True))
        leads = "; ".join(
            f"{r.intervention} at {when.get(r.term, '')} {_change(r)}"
            for r in t[t["kind"] == "lead"].itertuples()
        )
        if leads:
            levels += (
                f". Leads (a level change one quarter before each date: did the series move "
                f"before it?): {leads}"
            )
        e = effects[effects["series"] == label]
        tail = ""
        if last_declared is not None:
            e = e[e["horizon"] <= last_declared]
        if not e.empty:
            last = e.loc[e["horizon"].idxmax()]
            tail = (
                f" Together, {int(last['horizon'])} quarters after the first date "
                f"({last['quarter']}): {fmt_pct(last['effect_pct'])} (95% CI "
                f"{fmt_pct(last['ci_low_pct'])} to {fmt_pct(last['ci_high_pct'])}), "
                f"{ci_verdict(last['ci_low_pct'], last['ci_high_pct'])}."
            )
        lines.append(f"- **{label}**: {_head(idt)}. Level changes: {levels}.{tail}")
    if not lines:
        return "No joint model was fitted."
    reform = terms[terms["kind"] != "lead"] if len(terms) else terms
    if len(reform):
        sig = reform[(reform["ci_low"] > 0) | (reform["ci_high"] < 0)]
        which = "; ".join(f"{r.series}: {r.intervention} {r.kind}" for r in sig.itertuples())
        lines.insert(
            0,
            f"**{len(sig)} of {len(reform)} reform terms (level and slope changes) have a 95% CI "
            f"excluding zero**" + (f" ({which})" if which else "") + ", with no correction for "
            "testing this many.",
        )
    return "\n".join(lines)


def describe_leave_one_out(loo: pd.DataFrame, threshold: float = 1.0) -> str:
    """Markdown: how many refitted terms move by more than ``threshold`` joint standard
    errors when a reform is left out, naming them."""
    big = loo[loo["shift_se"].abs() > threshold] if len(loo) else loo
    which = "; ".join(
        f"{r.series}, {r.intervention} {r.kind} without {r.left_out} ({fmt_num(r.shift_se, 2)} SE)"
        for r in big.itertuples()
    )
    return (
        f"{len(big)} of {len(loo)} refitted terms move by more than {fmt_num(threshold)} "
        "standard error when a reform is left out" + (f": {which}" if which else "") + "."
    )


def describe_gaps(interventions: Mapping[str, str], excluded: Sequence[str]) -> str:
    """Markdown: the quarters that inform each intervention's term apart from the next one's
    (from its date to the next date, quarters with their own indicator left out), which is
    what a level and a slope change at each need at least two of."""
    ordered = sorted(interventions.items(), key=lambda kv: quarter(kv[1]))
    excl = {quarter(x) for x in excluded}
    parts = []
    for (a, qa), (b, qb) in zip(ordered, ordered[1:], strict=False):
        qs = [q for q in pd.period_range(quarter(qa), quarter(qb) - 1, freq="Q") if q not in excl]
        parts.append(
            f"{a} to {b}: {len(qs)} quarter{'s' if len(qs) != 1 else ''}"
            + (f" ({', '.join(str(q) for q in qs)})" if qs else "")
        )
    return (
        "Quarters between consecutive dates that are fitted (not Covid-19 quarters with their "
        "own indicator): " + "; ".join(parts) + "."
    )


def describe_joint_choice(cmp: pd.DataFrame, by: str) -> str:
    """Markdown: per series, the level change under each choice, and whether the choice moves
    its CI verdict."""
    lines = []
    for label, d in cmp.groupby("series", sort=False):
        f = fmt_pct if (d["unit"].isin(["%", ""])).all() else fmt_num
        parts = [
            f"{f(r.estimate)} ({f(r.ci_low)} to {f(r.ci_high)}) with `{by}` = {getattr(r, by)}"
            if np.isfinite(r.estimate)
            else f"not identified with `{by}` = {getattr(r, by)} (rank-deficient design)"
            for r in d.itertuples()
        ]
        fitted = d[np.isfinite(d["estimate"])]
        if len(fitted) < len(d):
            lines.append(f"- {label}: {'; '.join(parts)}.")
            continue
        verdicts = {ci_verdict(r.ci_low, r.ci_high) for r in fitted.itertuples()}
        same = (
            "the CI verdict does not change" if len(verdicts) == 1 else "**the CI verdict changes**"
        )
        lines.append(f"- {label}: {'; '.join(parts)}; {same}.")
    return "\n".join(lines) if lines else "Nothing to compare."


def describe(joint, last_declared: int | None = None) -> str:
    """Markdown of a :class:`~rasso_research.designs.joint_its.JointITS` (:func:`describe_joint`)."""
    return describe_joint(joint.table(), joint.identifiability(), joint.effects(), last_declared)


def plot(joint, series: str, **kw):
    """The ITS panel of one series' joint fit: the counterfactual without every reform."""
    return national_its.plot_fit(joint.fits[series].fit, **kw)


#: % changes labelled on figure 2's ratio axis (those inside its range)
PCT_TICKS = (-90, -75, -50, -25, 0, 25, 50, 100, 200, 400, 900)
#: the colour of an estimate whose 95% CI excludes zero, and of one whose CI includes it
SIG_COLOUR, NULL_COLOUR = OKABE_ITO["vermillion"], OKABE_ITO["blue"]
#: the shade of the +-MDE band
MDE_COLOUR = "#D9D9D9"


def ratio_axis(ax, lo: float, hi: float, axis: str = "x") -> None:
    """A log axis of effect ratios from ``lo`` to ``hi`` with ticks labelled as % changes
    (+0% at a ratio of 1), at least three of them."""
    getattr(ax, f"set_{axis}scale")("log")
    getattr(ax, f"set_{axis}lim")(lo, hi)
    ticks = [1 + c / 100 for c in PCT_TICKS if lo <= 1 + c / 100 <= hi]
    if len(ticks) < 3:  # a narrow range: finer steps
        ticks = [1 + c / 100 for c in range(-90, 1000, 10) if lo <= 1 + c / 100 <= hi]
    a = getattr(ax, f"{axis}axis")
    a.set_major_locator(mpl.ticker.FixedLocator(ticks))
    a.set_minor_locator(mpl.ticker.NullLocator())
    a.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{100 * (v - 1):+.0f}%"))


def thin_ticks(ax, axis: str = "x", gap_pt: float = 5.0) -> None:
    """Drop tick labels of ``ax`` that would touch a neighbour, keeping the one at a ratio of 1
    (+0%) and working outwards from it. Call once the axes have their final size."""
    a = getattr(ax, f"{axis}axis")
    ticks = np.asarray(a.get_majorticklocs(), dtype=float)
    if len(ticks) < 2:
        return
    fig = ax.figure
    r = fig.canvas.get_renderer()
    fmt = a.get_major_formatter()
    size = a.get_ticklabels()[0].get_fontsize() if a.get_ticklabels() else 7
    k = 0 if axis == "x" else 1
    pos = np.array([ax.transData.transform((t, 1) if axis == "x" else (1, t))[k] for t in ticks])
    pos = pos * 72 / fig.dpi
    half = np.array([0.5 * 0.66 * size * len(fmt(t, 0)) for t in ticks])
    if axis == "y":
        half[:] = 0.5 * size
    keep = {int(np.argmin(np.abs(np.log(ticks))))}
    c = next(iter(keep))
    for order in (range(c + 1, len(ticks)), range(c - 1, -1, -1)):
        last = c
        for i in order:
            if abs(pos[i] - pos[last]) >= half[i] + half[last] + gap_pt:
                keep.add(i)
                last = i
    del r
    a.set_major_locator(mpl.ticker.FixedLocator(ticks[sorted(keep)]))


def _ratio(pct):
    return 1 + np.asarray(pct, dtype=float) / 100


def _joint_rows(terms: pd.DataFrame, effects: pd.DataFrame, estimands, horizons, labels):
    """The rows of figure 2's two panels: (a) each term of the joint model (level changes at
    each date, then the slope change), (b) the reforms together at each of ``horizons``; one
    block per series with % estimates, in the tables' order. Each row: block, row label,
    estimate, CI and MDE as % (NaN where the table has none)."""
    a, b = [], []
    t = terms[terms["kind"].isin(["level", "slope"]) & terms["estimate_pct"].notna()]
    for s, d in t.groupby("series", sort=False):
        d = pd.concat([d[d["kind"] == "level"], d[d["kind"] == "slope"]])
        for r in d.itertuples():
            row = r.intervention if r.kind == "level" else f"{r.intervention} slope/q"
            a.append(
                (
                    labels.get(s, s),
                    row,
                    r.estimate_pct,
                    r.ci_low_pct,
                    r.ci_high_pct,
                    r.mde_pct,
                )
            )
    e = effects[(effects["intervention"] == "reforms") & ~effects["end"].astype(bool)]
    e = e[e["horizon"].isin(list(horizons)) & e["effect_pct"].notna()]
    mde = {}
    if estimands is not None and len(estimands):
        pk = estimands[(estimands["kind"] == "package") & estimands["mde_pct"].notna()]
        mde = {(r.series, int(r.horizon)): (r.mde_pct, r.role) for r in pk.itertuples()}
    for s, d in e.groupby("series", sort=False):
        for r in d.sort_values("horizon").itertuples():
            m, role = mde.get((s, int(r.horizon)), (np.nan, ""))
            lab = f"+{int(r.horizon)} q" + (" (primary)" if role == "primary" else "")
            b.append((labels.get(s, s), lab, r.effect_pct, r.ci_low_pct, r.ci_high_pct, m))
    cols = ["block", "row", "est", "lo", "hi", "mde"]
    return pd.DataFrame(a, columns=cols), pd.DataFrame(b, columns=cols)


#: characters of a block header per line (the width of a panel with its row labels)
HEAD_WRAP = 50


def _positions(rows: pd.DataFrame):
    """y positions (top down) of each row, with the block's header (wrapped at
    :data:`HEAD_WRAP`) on its own line(s) before each block."""
    y, ys, heads = 0.0, [], []
    for block, d in rows.groupby("block", sort=False):
        head = textwrap.fill(block, HEAD_WRAP)
        lines = head.count("\n") + 1
        heads.append((y + 0.35 * (lines - 1), head))
        y += 1.0 + 0.7 * (lines - 1)
        for _ in range(len(d)):
            ys.append(y)
            y += 1.0
        y += 0.3
    return np.array(ys), heads, y


def _forest(ax, rows: pd.DataFrame, lo: float, hi: float) -> list:
    """One panel of figure 2: per row the +-MDE band, the 95% CI (clipped at the axis, with an
    arrow) and the estimate, coloured by whether the CI excludes zero; block headers in bold."""
    ys, heads, end = _positions(rows)
    ax.axvline(1, color="black", lw=0.7, zorder=1)
    for yy, r in zip(ys, rows.itertuples(), strict=True):
        if np.isfinite(r.mde):
            m = 1 + r.mde / 100
            ax.plot([1 / m, m], [yy, yy], color=MDE_COLOUR, lw=5, solid_capstyle="butt", zorder=0)
        sig = r.lo > 0 or r.hi < 0
        col = SIG_COLOUR if sig else NULL_COLOUR
        a, b = np.clip(_ratio([r.lo, r.hi]), lo, hi)
        ax.plot([a, b], [yy, yy], color=col, lw=0.9, zorder=2)
        for v, edge, mk in ((_ratio(r.lo), lo, "<"), (_ratio(r.hi), hi, ">")):
            if (mk == "<" and v < edge) or (mk == ">" and v > edge):
                ax.plot(edge, yy, marker=mk, ms=3, color=col, zorder=2, clip_on=False)
        ax.plot(_ratio(r.est), yy, marker="o", ms=3, color=col, zorder=3)
    ax.set_yticks(ys)
    ax.set_yticklabels(rows["row"], fontsize=7)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(end - 0.5, -0.7)
    ax.spines["left"].set_visible(False)
    ratio_axis(ax, lo, hi)
    ax.grid(axis="x", color="#EEEEEE", lw=0.6, zorder=0)
    return heads


def _block_heads(ax, heads) -> None:
    """Each block's header in bold on its own (empty) rows, from the left end of the row
    labels across the panel. Call once the layout is final."""
    fig = ax.figure
    x0 = ax.get_tightbbox(fig.canvas.get_renderer()).x0
    xfrac = (x0 - ax.bbox.x0) / ax.bbox.width
    for yy, head in heads:
        ax.annotate(
            head,
            xy=(xfrac, yy),
            xycoords=("axes fraction", "data"),
            ha="left",
            va="center",
            fontsize=7,
            fontweight="bold",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3},
            annotation_clip=False,
            zorder=4,
        )


def plot_joint_estimates(
    terms: pd.DataFrame,
    effects: pd.DataFrame,
    estimands: pd.DataFrame | None = None,
    width: str = "two",
    labels: Mapping[str, str] | None = None,
    horizons: Sequence[int] = (0, 4, 8),
    source: str | None = SOURCE_HO,
):
    """Figure 2, the joint model of notebook 02 (``tables/its_joint_terms.csv``,
    ``its_joint_effects.csv``, ``its_national_estimands.csv``): (a) each reform's own level
    change and the slope change, (b) the reforms together ``horizons`` quarters after the first
    date, one block per series (titled by ``labels``), each estimate with its 95% CI and the
    band of +-its minimum detectable effect (80% power) where the tables give one. Both panels
    share one log rate-ratio axis labelled in %; side by side at two columns, one above the
    other at one. Series without % estimates (the OLS rate's terms) are left out."""
    labels = labels or {}
    a, b = _joint_rows(terms, effects, estimands, horizons, labels)
    vals = pd.concat([a, b])
    r = _ratio(np.r_[vals["lo"], vals["hi"], vals["est"]])
    m = _ratio(vals["mde"].dropna())
    lo = float(min(r.min(), (1 / m).min() if len(m) else 1)) / 1.08
    hi = float(max(r.max(), m.max() if len(m) else 1)) * 1.08
    two = width == "two"
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        na, nb = (_positions(d)[2] for d in (a, b))
        if two:
            fig, axes = plt.subplots(
                1,
                2,
                figsize=(w, 0.15 * max(na, nb) + 1.1),
                squeeze=False,
            )
        else:
            fig, axes = plt.subplots(
                2,
                1,
                figsize=(w, 0.125 * (na + nb) + 1.6),
                squeeze=False,
                gridspec_kw={"height_ratios": [na, nb]},
            )
        ax_a, ax_b = axes.flat
        heads = [_forest(ax_a, a, lo, hi), _forest(ax_b, b, lo, hi)]
        ax_a.set_title("Each reform alone (joint model)", loc="left", fontsize=8)
        ax_b.set_title("The reforms together", loc="left", fontsize=8)
        panel_letters([ax_a, ax_b])
        for ax in (ax_a, ax_b):
            ax.set_xlabel("Change vs counterfactual (%, ratio scale)")
        handles = [
            mpl.lines.Line2D(
                [],
                [],
                color=SIG_COLOUR,
                marker="o",
                ms=3,
                lw=0.9,
                label="estimate, 95% CI excluding 0",
            ),
            mpl.lines.Line2D(
                [],
                [],
                color=NULL_COLOUR,
                marker="o",
                ms=3,
                lw=0.9,
                label="estimate, 95% CI including 0",
            ),
            mpl.lines.Line2D(
                [], [], color=MDE_COLOUR, lw=5, label="\u00b1 minimum detectable change (80% power)"
            ),
        ]
        fig.tight_layout(w_pad=1.0, h_pad=1.0)
        for ax, h in zip((ax_a, ax_b), heads, strict=True):
            thin_ticks(ax)
            _block_heads(ax, h)
        legend_below(fig, handles, ncol=3, source=source)
    return fig
