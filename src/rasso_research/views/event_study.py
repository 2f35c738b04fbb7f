"""The view of the event study (:mod:`rasso_research.designs.event_study`): its
coefficients, pre-trend test and mean effect in words, and the coefficients figure with the
placebo band."""

from __future__ import annotations

import textwrap

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rasso_research.report.format import fmt_num

from .style import OKABE_ITO, RC, SHADES, SOURCE_HO, figsize, legend_below


def _positions(e: pd.DataFrame, marks: pd.DataFrame | None) -> tuple[pd.DataFrame, list]:
    """Every period of the study and of ``marks`` (period, note) in period order, with its x
    position; the marked periods' spans, one list per note (periods not fitted included)."""
    periods = set(e["period"]) | (set(marks["period"].astype(str)) if marks is not None else set())
    order = sorted(periods)
    pos = {p: i for i, p in enumerate(order)}
    spans = []
    if marks is not None and len(marks):
        for note, g in marks.groupby("note", sort=False):
            spans.append((note, [pos[str(p)] for p in g["period"]]))
    return pd.DataFrame({"period": order, "x": range(len(order))}), spans


def plot_event_study(
    eff: pd.DataFrame,
    ylabel: str = "",
    width: str = "one",
    source: str | None = SOURCE_HO,
    title: str | None = None,
    xlabel: str = "Period",
    marks: pd.DataFrame | None = None,
    text_size: float = 7,
):
    """Event-study coefficients by period with the 95% placebo band (each donor as if
    treated); the reference period is 0 by construction and drawn hollow. ``marks`` (period,
    note): periods shaded and named, among them periods not in the study (a year left out),
    which keep their place on the axis; ``text_size``: the smallest text."""
    e = eff.sort_values("k").reset_index(drop=True)
    axis, spans = _positions(e, marks)
    e = e.merge(axis, on="period")
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, ax = plt.subplots(figsize=(w, w * (0.5 if width == "two" else 0.75)))
        x = e["x"].to_numpy()
        shades = SHADES
        for k, (note, xs) in enumerate(spans):
            for i in xs:
                ax.axvspan(i - 0.5, i + 0.5, color=shades[k % 3], lw=0, zorder=0)
            ax.add_patch(mpl.patches.Rectangle((0, 0), 0, 0, color=shades[k % 3], label=note))
        ax.fill_between(
            x,
            e["placebo_low"],
            e["placebo_high"],
            color="#DDDDDD",
            lw=0,
            label="95% placebo band (donors as if treated)",
        )
        ax.axhline(0, color="black", lw=0.7)
        first = e.loc[e["k"] >= 0, "x"].min()
        ax.axvline(first - 0.5, color="black", lw=0.8, ls=":")
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
        _period_ticks(ax, axis, width, text_size)
        ax.set_xlabel(textwrap.fill(f"{xlabel}; treated from the dotted line", 48))
        ax.set_ylabel(textwrap.fill(ylabel or "Coefficient", 34))
        ax.set_title(textwrap.fill(title or e["series"].iloc[0], 50), loc="left", fontsize=7)
        fig.tight_layout()
        legend_below(
            fig,
            *ax.get_legend_handles_labels(),
            ncol=3 if width == "two" else 2,
            source=source,
            fontsize=text_size,
        )
    return fig


def _period_ticks(ax, axis: pd.DataFrame, width: str, size: float) -> None:
    """A tick at every period (every one labelled when they fit, else every n-th)."""
    x = axis["x"].to_numpy()
    ax.set_xticks(x)
    ax.set_xlim(-0.6, len(x) - 0.4)
    many = 20 if width == "two" else 12
    step = 1 if len(x) <= many else int(np.ceil(len(x) / (10 if width == "two" else 6)))
    rotate = width != "two" and len(x) > 6 or len(x) > 12
    turn = 45 if width == "two" else 90
    ax.set_xticklabels(
        [p if i % step == 0 else "" for i, p in enumerate(axis["period"])],
        fontsize=size,
        rotation=turn if rotate else 0,
        ha="right" if rotate and turn < 90 else "center",
    )


def describe_event_study(eff: pd.DataFrame, pre: pd.DataFrame, summary=None) -> str:
    """Markdown: the joint pre-trend test, the post-period coefficients outside the placebo
    band, and the mean post-period coefficient against its minimum detectable effect."""
    if eff.empty:
        return "No event study."
    label = eff["series"].iloc[0]
    r = pre.iloc[0]
    if r["n_leads"]:
        verdict = "no sign of" if r["placebo_p"] > 0.1 else "evidence of"
        head = (
            f"**{label}, event study:** joint pre-trend test over {int(r['n_leads'])} lead(s), "
            f"placebo p = {fmt_num(r['placebo_p'], 2)} ({verdict} diverging pre-trends)."
        )
    else:
        head = f"**{label}, event study:** no lead before the reference period to test."
    post = eff[eff["k"] >= 0]
    out = post[(post["estimate"] < post["placebo_low"]) | (post["estimate"] > post["placebo_high"])]
    tail = (
        f" {len(out)} of {len(post)} post-period coefficients lie outside the 95% placebo band"
        + (f" ({', '.join(out['period'])})." if len(out) else ".")
    )
    if summary is not None and len(summary):
        m = summary.iloc[0]
        tail += (
            f" Mean post-period coefficient {fmt_num(m['mean_post'])} (placebo p = "
            f"{fmt_num(m['placebo_p'], 2)}; minimum detectable {fmt_num(m['mde'])})."
        )
    return head + tail


def describe(es) -> str:
    """Markdown of an :class:`~rasso_research.designs.event_study.EventStudy`."""
    return describe_event_study(es.effects(), es.pretrend(), es.summary())


def plot(es, **kw):
    """The event-study coefficients with the placebo band (:func:`plot_event_study`)."""
    return plot_event_study(es.effects(), **kw)
