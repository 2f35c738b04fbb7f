"""The view of the specification curve (:mod:`rasso_research.designs.spec_curve`): its
summary and variance decomposition in words, and the curve figure with the date curve."""

from __future__ import annotations

import textwrap

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rasso_research.report.format import fmt_num, fmt_pct

from .style import OKABE_ITO, RC, figsize


def describe_curve(
    summary: pd.DataFrame,
    variance: pd.DataFrame | None = None,
    dates: pd.DataFrame | None = None,
) -> str:
    """Markdown: the specification-curve summary (:func:`summarise_curve`) in words, the choice
    that moves the estimate most (:func:`variance_decomposition`) and the date curve's range."""
    r = summary.iloc[0]
    neg, sig = float(r["share_negative"]), float(r["share_ci_excludes_0"])
    if neg >= 0.9 or neg <= 0.1:
        sign = f"the sign is stable ({fmt_num(100 * max(neg, 1 - neg))}% of estimates agree)"
    else:
        sign = f"the sign is not stable ({fmt_num(100 * neg)}% of estimates are negative)"
    if sig >= 0.9:
        ci = "the CI excludes zero in almost every specification"
    elif sig >= 0.5:
        ci = f"the CI excludes zero in {fmt_num(100 * sig)}% of specifications"
    else:
        ci = (
            f"the CI excludes zero in only {fmt_num(100 * sig)}% of specifications, so "
            "statistical significance does not survive the analyst's choices"
        )
    failed = int(r["specs"]) - int(r["fitted"])
    out = (
        f"{int(r['fitted'])} of {int(r['specs'])} specifications fitted"
        + (f" ({failed} not estimated" if failed else "")
        + (
            f"; {int(r['undefined'])} of them have no relative change: the counterfactual is "
            "not bounded away from zero"
            if failed and r.get("undefined", 0)
            else ""
        )
        + (")" if failed else "")
        + f"; median {fmt_pct(r['median_pct'])}, range {fmt_pct(r['min_pct'])} to "
        f"{fmt_pct(r['max_pct'])}. **{sign[0].upper() + sign[1:]}; {ci}.**"
    )
    if variance is not None and len(variance) > 1:
        top = variance.iloc[0]
        out += (
            f" The choice that moves the estimate most is `{top['choice']}` "
            f"({top['meaning']}): {fmt_num(top['share_pct'], 2)}% of the variance of the log "
            f"effect ratio, its levels' mean effects {fmt_num(top['range_pct'], 2)} points apart; "
            f"interactions leave {fmt_num(variance.iloc[-1]['share_pct'], 2)}%."
        )
    if dates is not None and len(dates) and dates["ok"].any():
        d = dates[dates["ok"]]
        sig = int(d["significant"].sum())
        out += (
            f" Moving the date by {int(d['shift'].min())} to {int(d['shift'].max())} quarters "
            f"(a different estimand: the change at another quarter) gives "
            f"{fmt_pct(d['estimate'].min())} to {fmt_pct(d['estimate'].max())}, {sig} of "
            f"{len(d)} with a CI excluding zero."
        )
    return out


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


def _curve_handles(med: float) -> list:
    """Legend entries of the curve: significant and not, the median, a CI beyond the axis."""
    return [
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


def _choice_rows(axc, x, ok: pd.DataFrame, levels) -> None:
    """The lower panel: one row per choice and level, a mark under each specification."""
    for i, (c, v) in enumerate(levels):
        m = (ok[c].astype(str) == str(v)).to_numpy()
        axc.scatter(x[m], np.full(m.sum(), i), marker="|", s=10, color="black", lw=0.6)
    axc.set_yticks(range(len(levels)))
    axc.set_yticklabels(
        [textwrap.shorten(f"{CHOICE_LABELS[c]}: {v}", 48) for c, v in levels], fontsize=6
    )
    axc.set_ylim(len(levels) - 0.5, -0.5)
    axc.set_xlabel("Specification (sorted by estimate)")


def _date_panel(axd, dates: pd.DataFrame, lo: float, hi: float, width: str) -> None:
    """The right panel: the estimate at each moved date, on the curve's scale."""
    d = dates[dates["ok"]].reset_index(drop=True)
    dcol = np.where(d["significant"].to_numpy(bool), OKABE_ITO["vermillion"], "#7f7f7f")
    _intervals(axd, d["shift"].to_numpy(float), d, lo, hi, dcol)
    plt.setp(axd.get_yticklabels(), visible=False)
    step = 2 if width == "one" and len(d) > 3 else 1  # narrow panel: every other label
    shown_shifts = d["shift"].to_numpy(int)[::step]
    axd.set_xticks(shown_shifts.astype(float))
    axd.set_xticklabels([f"{v:+d}" for v in shown_shifts], fontsize=6)
    axd.set_xlabel("date moved\n(quarters)", fontsize=6)
    axd.set_title("other dates", fontsize=7, loc="left")


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
    handles = _curve_handles(med)
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
    _choice_rows(axc, x, ok, levels)
    if has_dates:
        _date_panel(fig.add_subplot(gs[0, 1], sharey=ax), dates, lo, hi, width)
    return fig


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


def describe(curve) -> str:
    """Markdown of a :class:`~rasso_research.designs.spec_curve.SpecCurve`
    (:func:`describe_curve`)."""
    return describe_curve(curve.table(), curve.variance(), curve.dates)


def plot(curve, width: str = "two", **kw):
    """The curve and the date curve of a :class:`~rasso_research.designs.spec_curve.SpecCurve`
    (:func:`plot_spec_curve`)."""
    return plot_spec_curve(curve.curve, width=width, dates=curve.dates, **kw)
