"""The view of the regression-to-the-mean placebo (:mod:`rasso_research.designs.rebound`):
the trough and its rebound against donor troughs in words, and every donor unit-period's
deviation against its rebound with the treated unit's marked."""

from __future__ import annotations

import textwrap

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rasso_research.report.format import fmt_num, fmt_pct

from .style import OKABE_ITO, RC, SOURCE_HO, figsize, legend_below

#: the placebo rate at or below which a rebound is called rare among the donors
ALPHA = 0.05


def _amount(x: float, pct: float, scale: str) -> str:
    """A deviation or rebound in words: its % and, on the log scale, its log points."""
    return f"{fmt_pct(pct)}, {fmt_num(x, 2)} log points" if scale == "log" else fmt_pct(pct)


def describe_rebound(eff: pd.DataFrame, alpha: float = ALPHA) -> str:
    """Markdown from the effects row: the trough against its trend, the rebound, and "k of n
    donor years at least as far below trend rebounded at least as much" with the verdict; too
    few such donor years are said to be too few, with no rate; a trough followed by a fall is
    said to leave nothing to explain."""
    if eff.empty:
        return "No rebound placebo."
    r = eff.iloc[0]
    label = f"{r['series']}: " if r["series"] else ""
    head = (
        f"**{label}{_own(r['treated'])} {r['trough']} against its own trend.** {r['trough']}: "
        f"{fmt_num(r['value'])} against {fmt_num(r['trend_value'])} projected from the "
        f"{int(r['trend_years'])} years before "
        f"({_amount(r['deviation'], r['deviation_pct'], r['scale'])}), then "
        f"{fmt_num(r['next_value'])} in {r['next_period']} "
        f"({_amount(r['rebound'], r['rebound_pct'], r['scale'])})."
    )
    lines = [head]
    if not r["below_trend"]:
        lines.append(
            f"{r['trough']} is not below its own trend: there is no trough to rebound from, and "
            "the donor years compared are those at least as low relative to their trend."
        )
    n, k = int(r["n_qualifying"]), int(r["n_at_least"])
    if r["below_trend"] and not r["rebound"] > 0:
        lines.append(
            f"{r['trough']} was followed by a fall, not a rebound: there is no rise for "
            f"regression to the mean to explain ({k} of {n} donor years at least as far below "
            "trend changed at least as much)."
        )
        return " ".join(lines)
    if not r["enough"]:
        lines.append(
            f"Only {n} of {int(r['n_donor_years'])} donor years are at least as far below their "
            f"own trend (fewer than {int(r['min_donor_years'])}): too few to say how often such "
            "a trough is followed by such a rebound."
        )
        return " ".join(lines)
    lines.append(
        f"{k} of {n} donor years at least as far below trend rebounded at least as much "
        f"(placebo rate {fmt_num(100 * r['placebo_rate'], 2)}%); {_own(r['treated'])} rebound is larger "
        f"than {fmt_num(r['percentile'], 2)}% of theirs (their mean rebound {_mean(r)}). Among all {int(r['n_donor_years'])} donor years, "
        f"{int(r['n_at_least_all'])} ({fmt_num(100 * r['rate_all'], 2)}%) rose at least as much."
    )
    if r["placebo_rate"] > alpha:
        lines.append(
            f"A rebound this large after a trough this deep is common among the donors ({k} of "
            f"{n}, more than {fmt_num(100 * alpha, 2)}%): the rise does not need the intervention "
            "to explain it."
        )
    else:
        lines.append(
            f"A rebound this large after a trough this deep is rare among the donors ({k} of "
            f"{n}, at most {fmt_num(100 * alpha, 2)}%): regression to the mean alone is an "
            "unlikely explanation."
        )
    return " ".join(lines)


def _own(name: str) -> str:
    """The possessive of a name: "West Midlands'", "Kent's"."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _mean(r: pd.Series) -> str:
    m = r["mean_qualifying_rebound"]
    return fmt_pct(100 * np.expm1(m)) if r["scale"] == "log" else fmt_num(m)


def plot_rebound(
    eff: pd.DataFrame,
    unit_years: pd.DataFrame,
    width: str = "one",
    source: str | None = SOURCE_HO,
    title: str | None = None,
):
    """Every computed donor unit-period's deviation from its own trend (x) against its
    rebound (y), those at least as far below trend in colour, the treated unit's trough
    marked and the region "at least as far below, at least as large a rebound" shaded."""
    r = eff.iloc[0]
    d = unit_years[(unit_years["role"] == "donor") & unit_years["computed"]]
    q = d[d["qualifies"]]
    two = width == "two"
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, ax = plt.subplots(figsize=(w, w * (0.5 if two else 0.85)))
        ax.scatter(d["deviation"], d["rebound"], s=6, color="#BBBBBB", lw=0, label="donor years")
        ax.scatter(
            q["deviation"],
            q["rebound"],
            s=9,
            color=OKABE_ITO["blue"],
            lw=0,
            label="donor years at least as far below trend",
        )
        ax.plot(
            r["deviation"],
            r["rebound"],
            "D",
            color=OKABE_ITO["vermillion"],
            ms=5,
            label=f"{r['treated']}, {r['trough']}",
        )
        (x0, _), (_, y1) = ax.get_xlim(), ax.get_ylim()
        ax.fill_between(
            [x0, r["deviation"]],
            r["rebound"],
            y1,
            color=OKABE_ITO["sky_blue"],
            alpha=0.2,
            lw=0,
            zorder=0,
            label="as far below trend, rebound at least as large",
        )
        ax.set_xlim(left=x0)
        ax.set_ylim(top=y1)
        ax.axvline(0, color="black", lw=0.5)
        ax.axhline(0, color="black", lw=0.5)
        unit = " (log points)" if r["scale"] == "log" else ""
        xlabel = f"Deviation from own trend of the {int(r['trend_years'])} years before{unit}"
        ax.set_xlabel(textwrap.fill(xlabel, 80 if two else 45))
        ax.set_ylabel(textwrap.fill(f"Change to the next year{unit}", 34))
        ax.set_title(
            textwrap.fill(title or r["series"] or "Rebound after a trough", 80 if two else 50),
            loc="left",
            fontsize=7,
        )
        fig.tight_layout()
        legend_below(fig, *ax.get_legend_handles_labels(), ncol=2 if two else 1, source=source)
    return fig


def describe(result, alpha: float = ALPHA) -> str:
    """Markdown of a :class:`~rasso_research.designs.rebound.ReboundPlacebo`."""
    return describe_rebound(result.effects(), alpha)


def plot(result, **kw):
    """The deviation-rebound scatter of a rebound placebo (:func:`plot_rebound`)."""
    return plot_rebound(result.effects(), result.table(), **kw)
