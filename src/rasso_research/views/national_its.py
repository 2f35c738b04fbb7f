"""The view of the single-series ITS (:mod:`rasso_research.designs.national_its`): the
sentences that state its effects, estimands, power, intervals, persistence and diagnostics, the
ITS panel of one fit and the effects figure (figure 2)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rasso_research.designs.national_its import AR_ROOT_BOUND
from rasso_research.report.format import fmt_num, fmt_pct

from .its import plot_its_table
from .style import OKABE_ITO, RC, SOURCE_HO, figsize, legend_below
from .text import ci_verdict


def describe_effects(effects: pd.DataFrame, horizons: Iterable[int] | None = None) -> str:
    """Markdown: each effect (% vs counterfactual, 95% CI) with its verdict, and a tally.

    ``effects`` has ``horizon``, ``effect_pct``, ``ci_low_pct``, ``ci_high_pct`` and optional
    label columns ``series``, ``intervention``.
    """
    d = effects if horizons is None else effects[effects["horizon"].isin(list(horizons))]
    if d.empty:
        return "No effect was estimated (no series had enough quarters on both sides)."
    labels = [c for c in ("series", "intervention") if c in d.columns]
    lines = []
    for _, r in d.iterrows():
        name = ", ".join(str(r[c]) for c in labels)
        lines.append(
            f"- {name}{', ' if name else ''}+{int(r['horizon'])} quarters: "
            f"{fmt_pct(r['effect_pct'])} (95% CI {fmt_pct(r['ci_low_pct'])} to "
            f"{fmt_pct(r['ci_high_pct'])}), {ci_verdict(r['ci_low_pct'], r['ci_high_pct'])}"
        )
    up = int((d["ci_low_pct"] > 0).sum())
    down = int((d["ci_high_pct"] < 0).sum())
    head = (
        f"**{up + down} of {len(d)} estimates have a 95% CI excluding zero** "
        f"({up} above, {down} below the counterfactual)."
    )
    return head + "\n\n" + "\n".join(lines)


def describe_estimands(effects: pd.DataFrame, slopes: pd.DataFrame | None = None) -> str:
    """Markdown: for each estimand (the effect at each horizon, at the last quarter, and the
    slope change), how many series x date estimates have a 95% CI excluding zero, naming them
    with their estimate and CI."""
    groups = []
    end = effects["end"].astype(bool) if "end" in effects else pd.Series(False, effects.index)
    for h, d in effects[~end].groupby("horizon", sort=True):
        groups.append((f"+{int(h)} quarters", d))
    if end.any():
        groups.append(("the last quarter of the data", effects[end]))
    if slopes is not None and not slopes.empty:
        groups.append(("slope change (% per quarter)", slopes))
    lines = []
    for name, d in groups:
        sig = d[(d["ci_low_pct"] > 0) | (d["ci_high_pct"] < 0)]
        which = "; ".join(
            f"{r.series}, {r.intervention}: {fmt_pct(r.effect_pct)} "
            f"({fmt_pct(r.ci_low_pct)} to {fmt_pct(r.ci_high_pct)})"
            for r in sig.itertuples()
        )
        lines.append(
            f"- {name}: {len(sig)} of {len(d)} with a 95% CI excluding zero"
            + (f" ({which})" if which else "")
            + "."
        )
    return "\n".join(lines) if lines else "No effect was estimated."


def describe_power_curve(curve: pd.DataFrame) -> str:
    """Markdown: per series, the level-change MDE at each post-period length."""
    lines = []
    for label, d in curve[curve["term"] == "level"].groupby("series", sort=False):
        pct = d["mde_pct"].notna().all()
        vals = d["mde_pct"] if pct else d["mde"]
        steps = ", ".join(
            (f"{fmt_num(v)}{'%' if pct else ''}" if np.isfinite(v) else "not estimable")
            + f" after {n} quarters ({k} without a Covid-19 indicator)"
            for n, k, v in zip(d["n_post"], d["n_undisrupted"], vals, strict=True)
        )
        lines.append(f"- {label}: a level change is detectable with 80% power from {steps}.")
    return "\n".join(lines) if lines else "No power curve."


def describe_power(power: pd.DataFrame) -> str:
    """Markdown: per series and date, the smallest level change the data could detect with 80%
    power against its estimate, and how many nulls are "too little data to tell" (the CI
    includes zero and the estimate is smaller than the MDE)."""
    lines, short = [], 0
    lev = power[power["term"] == "level"]
    for r in lev.itertuples():
        pct = np.isfinite(r.mde_pct)
        size = f"{fmt_num(r.mde_pct)}%" if pct else fmt_num(r.mde)
        est = fmt_pct(100 * np.expm1(r.estimate)) if pct else fmt_num(r.estimate)
        short += int(r.ci_low <= 0 <= r.ci_high and abs(r.estimate) < r.mde)
        lines.append(
            f"- {r.series}, {r.intervention}: level change {est}; detectable with 80% power "
            f"from about {size} ({r.n_post} quarters after the date)."
        )
    if len(lev):
        lines.append(
            f"In {short} of {len(lev)} rows the interval includes zero and the estimate is "
            "smaller than the minimum detectable change: there the data are too few or too "
            "noisy to tell a change of that size from none, which is not evidence of no change."
        )
    return "\n".join(lines)


def describe_inference(tab: pd.DataFrame) -> str:
    """Markdown: per interval method, how many level/slope changes have a CI excluding zero,
    and the largest critical value it used."""
    if tab.empty:
        return "No model to compare."
    lines = []
    for method, d in tab.groupby("method", sort=False):
        sig = int(((d["ci_low"] > 0) | (d["ci_high"] < 0)).sum())
        worst = d.loc[d["critical_value"].idxmax()]
        lines.append(
            f"- {method}: {sig} of {len(d)} level/slope changes with a 95% CI excluding zero; "
            f"largest critical value {fmt_num(worst['critical_value'], 2)} "
            f"({worst['series']}, {worst['term']})."
        )
    return "\n".join(lines)


def describe_persistence(tab: pd.DataFrame) -> str:
    """Markdown from :func:`rasso_research.its.bootstrap_persistence`: for each change, its
    critical value, and the 95% quantile of |t*| among the bootstrap series whose refitted
    errors came out least persistent against those refitted in the band of the data's own
    persistence."""
    if tab.empty:
        return "No bootstrap to describe."
    root = float(tab["data_root"].iloc[0])
    lines = [
        f"Every bootstrap series was simulated from the data's AR errors (largest root "
        f"{fmt_num(root, 3)}) and refitted by REML, as the data were."
    ]
    for term, d in tab.groupby("term", sort=False):
        bands = d[(d["band"] != "all") & d["critical_value"].notna()]
        crit = float(d.loc[d["band"] == "all", "critical_value"].iloc[0])
        edges = bands["band"].str.split("-", expand=True).astype(float)
        own = bands[(edges[0] <= root) & (root <= edges[1])] if len(bands) else bands
        if len(bands) < 2 or own.empty or own.index[0] == bands.index[0]:
            lines.append(f"- {term}: critical value {fmt_num(crit, 2)}.")
            continue
        low, near = bands.iloc[0], own.iloc[0]
        lines.append(
            f"- {term}: critical value {fmt_num(crit, 2)}. Among the {int(low['replicates'])} "
            f"series whose refit put the root in {low['band']}, the 95% quantile of |t*| is "
            f"{fmt_num(low['critical_value'], 2)}; among the {int(near['replicates'])} in the "
            f"data's band ({near['band']}), {fmt_num(near['critical_value'], 2)}."
        )
    lines.append(
        "Where the refit finds the errors less persistent than they are, the standard error is "
        "too small and |t*| large; the percentile-t interval widens to allow for that, which "
        "a t critical value near 2 would not."
    )
    return "\n".join(lines)


def describe_diagnostics(diag: pd.DataFrame, alpha: float = 0.05) -> str:
    """Markdown: residual autocorrelation (Ljung-Box), how intervals were computed and the
    quasi-Poisson dispersion, summarised."""
    out = []
    if "ljung_box_p" in diag.columns:
        p = diag["ljung_box_p"].dropna()
        out.append(
            f"Ljung-Box p < {alpha} (residual autocorrelation left after the model) in "
            f"{int((p < alpha).sum())} of {len(p)} models."
        )
    if "ci_method" in diag.columns:
        m = diag["ci_method"].dropna()
        n_boot = int((m == "bootstrap").sum())
        if n_boot:
            out.append(
                f"Intervals and p-values of {n_boot} of {len(m)} models are percentile-t from "
                "a parametric bootstrap of the AR(2)-errors fit (docs/METHODS.md: Newey-West "
                "intervals under-cover in series this short); the others are Wald intervals."
            )
    if "ar_at_bound" in diag.columns and describe_at_bound(diag):
        out.append(describe_at_bound(diag))
    if "dispersion" in diag.columns and diag["dispersion"].notna().any():
        d = diag["dispersion"].dropna()
        out.append(
            f"Quasi-Poisson dispersion ranges from {fmt_num(d.min())} to {fmt_num(d.max())} "
            f"({len(d)} count models; 1 would be Poisson); the Pearson-scaled standard errors "
            "are inflated by its square root."
        )
    return " ".join(out) or "No diagnostics available."


def describe_at_bound(diag: pd.DataFrame) -> str:
    """A sentence: the fits whose AR errors' largest root stopped at the REML bound (column
    ``ar_at_bound`` of the diagnostics), named by series, intervention and date; empty
    when no model has AR errors."""
    ar = diag[diag["ar_order"].notna()] if "ar_order" in diag.columns else diag
    hit = ar[ar["ar_at_bound"].astype(bool)]
    bound = fmt_num(AR_ROOT_BOUND, 2)
    if ar.empty:
        return ""
    if hit.empty:
        return (
            f"None of the {len(ar)} AR-errors fits has its errors' largest root at the REML "
            f"bound ({bound})."
        )
    labels = [c for c in ("series", "intervention") if c in hit.columns]
    names = "; ".join(
        ", ".join(str(r[c]) for c in labels)
        + (f" ({r['interruption']})" if "interruption" in hit.columns else "")
        for _, r in hit.iterrows()
    )
    return (
        f"In {len(hit)} of {len(ar)} AR-errors fits the errors' largest root stopped at the REML "
        f"bound ({bound}): {names}. There the errors are at least that persistent, near a unit "
        "root, and a model in first differences or with a stochastic trend is the check "
        "(docs/METHODS.md, persistence sensitivities)."
    )


def describe_pretrend(cf: pd.DataFrame, label: str) -> str:
    """Markdown: the fitted pre-interruption segment of a counterfactual table, start to end
    (Covid-19 quarters, which carry their own indicator, are skipped)."""
    d = cf.reset_index(drop=True)
    if "covid" in d.columns:  # Covid-19 quarters carry their own indicator: not the trend line
        d = d[~d["covid"].astype(bool)].reset_index(drop=True)
    post = d["counterfactual"].notna()
    if not post.any() or post.all():
        return f"{label}: no pre- and post-interruption quarters to compare."
    first_post = int(np.flatnonzero(post.to_numpy())[0])
    last_pre = d.iloc[first_post - 1]
    seg = d[d["segment"] == last_pre["segment"]] if "segment" in d else d.iloc[:first_post]
    seg = seg[seg.index < first_post]
    a = seg.iloc[0]
    direction = (  # fitted values include the quarter-of-year terms
        "rose"
        if last_pre["fitted"] > a["fitted"]
        else "fell"
        if last_pre["fitted"] < a["fitted"]
        else "was flat"
    )
    return (
        f"{label}: the fitted pre-interruption line {direction} from {fmt_num(a['fitted'])} "
        f"({a['period']}) to {fmt_num(last_pre['fitted'])} ({last_pre['period']}); the "
        "counterfactual projects that line past the interruption."
    )


def _effect_rows(d: pd.DataFrame, labels, groups, width: str):
    """Figure 2's rows top-down: a y position per (series, intervention), the tick labels, and
    a title before each series block (ordered by ``groups``), with gaps between blocks."""
    head_width = 22 if width == "one" else 60
    keys = d[["series", "intervention"]].drop_duplicates().reset_index(drop=True)
    order = {g: i for i, g in enumerate(dict.fromkeys((groups or {}).values()))}
    rank = keys["series"].map(lambda s: order.get((groups or {}).get(s), len(order)))
    keys = keys.assign(rank=rank, group=keys["series"].map(lambda s: labels.get(s, s)))
    keys = keys.sort_values("rank", kind="stable").reset_index(drop=True)
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
    return ypos, ticks, ticklabels, heads, y


def _label_rows(ax, ticks, ticklabels, heads) -> None:
    """The interventions as tick labels and each series block's title in bold beside them."""
    ax.set_yticks(ticks)
    ax.set_yticklabels(ticklabels, fontsize=7)
    for yy, g in heads:
        ax.annotate(
            g,
            xy=(0, yy),
            xycoords=("axes fraction", "data"),
            xytext=(-4, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=7,
            fontweight="bold",
        )


def _method_handles(methods: set) -> list:
    """Legend entries for the interval methods present: bootstrap filled, Wald hollow."""
    return [
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
    ``slopes`` (:func:`rasso_research.designs.national_its.slope_effects`) a last column of slope changes
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
    ypos, ticks, ticklabels, heads, y = _effect_rows(d, labels, groups, width)
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
            ax.tick_params(axis="x", labelsize=7)
            ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(3))
        ax0 = axes[0, 0]
        _label_rows(ax0, ticks, ticklabels, heads)
        ax0.set_ylim(y - 0.4, -0.6)
        xlabel = "Change vs counterfactual (%) +h quarters after the date"
        if slopes is not None:
            xlabel += "; slope change (% per quarter)"
        fig.supxlabel(textwrap.fill(xlabel + ", 95% CI", 60), fontsize=7)
        handles = _method_handles(set(d["ci_method"]) if "ci_method" in d.columns else {"wald"})
        fig.tight_layout(w_pad=0.4)
        legend_below(fig, handles, ncol=2, source=source)
    return fig


def plot_fit(fit, ylabel: str | None = None, marks: Mapping[str, str] | None = None, **kw):
    """The standard ITS panel of a single-series fit (a
    :class:`~rasso_research.designs.national_its.SeriesITS`; see :func:`plot_its_table`);
    ``marks`` name the interruptions to draw (default: the focus one, by its label)."""
    ylabel = ylabel or fit.ylabel
    if not ylabel:
        raise ValueError("no axis label with units for this series: pass ylabel=")
    name = fit.labels.get("intervention", fit.focus)
    return plot_its_table(
        fit.counterfactual(), ylabel, interruptions=marks or {name: fit.interruption}, **kw
    )
