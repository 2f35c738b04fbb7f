"""The view of the synthetic designs (:mod:`rasso_research.designs.synthetic`): the
estimates of each method in words, and the treated unit against its synthetic counterpart
beside the placebo distribution."""

from __future__ import annotations

import textwrap

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rasso_research.constants import SYNTHETIC_METHODS
from rasso_research.report.format import fmt_num

from .style import OKABE_ITO, RC, SOURCE_HO, figsize, legend_below


def _paths_panels(ax, axg, p: pd.DataFrame, treated_unit, name, n_ticks, xlabel) -> None:
    """Panel (a): the treated unit and its counterpart by period, with the gap beneath; the
    first treated period marked by a dotted line."""
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
    step = max(1, int(np.ceil(len(p) / n_ticks)))
    ax.set_xticks(x[::step])
    ax.set_xticklabels([])
    axg.bar(x, p["gap"], color=np.where(p["post"], OKABE_ITO["vermillion"], "#BBBBBB"), width=0.7)
    axg.axhline(0, color="black", lw=0.7)
    axg.axvline(first_post - 0.5, color="black", lw=0.8, ls=":")
    axg.set_ylabel("Gap")
    axg.set_xticks(x[::step])
    axg.set_xticklabels(p["period"].iloc[::step], fontsize=7)
    axg.set_xlim(ax.get_xlim())
    axg.set_xlabel(textwrap.fill(f"{xlabel}; treated from the dotted line", 48))


def _placebo_panel(axp, pl: pd.DataFrame, unit: str = "") -> None:
    """Panel (b): the donors' placebo effects, the treated unit's estimate marked."""
    eff = pl.loc[~pl["is_treated"], "effect"].astype(float)
    obs = float(pl.loc[pl["is_treated"], "effect"].iloc[0])
    axp.hist(eff, bins=min(15, max(5, len(eff) // 3)), color="#BBBBBB", edgecolor="white")
    axp.axvline(obs, color=OKABE_ITO["vermillion"], lw=1.3)
    axp.set_title(
        textwrap.fill(f"(b) Placebo effects, each of {len(eff)} donors as if treated", 40),
        loc="left",
        fontsize=7,
    )
    axp.set_xlabel(textwrap.fill("Average post-period effect" + (f" ({unit})" if unit else ""), 28))
    axp.set_ylabel("Donors")
    axp.yaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))


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
        _paths_panels(ax, axg, p, treated_unit, name, 8 if two else 6, xlabel)
        ax.set_ylabel(textwrap.fill(ylabel, 34) if ylabel else "")
        ax.set_title(
            textwrap.fill(title or f"(a) {treated_unit} and its {name} counterpart", 50),
            loc="left",
            fontsize=7,
        )
        _placebo_panel(axp, pl, "per 100,000" if "per 100,000" in ylabel else "")
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


def describe_synthetic(eff: pd.DataFrame, unit: str = "") -> str:
    """Markdown: each method's average post-period effect with its placebo CI and
    placebo-in-space p-value, against its minimum detectable effect; a null whose MDE
    exceeds the largest estimate in absolute value reads "too short or noisy to tell"."""
    lines = []
    for r in eff.itertuples():
        name = SYNTHETIC_METHODS.get(r.method, r.method)
        u = f" {unit}" if unit else ""
        ci = "excludes" if (r.ci_low > 0 or r.ci_high < 0) else "includes"
        lines.append(
            f"- **{r.series}, {name}:** {fmt_num(r.estimate)}{u} a period on average over "
            f"{r.n_post} post-period(s) (95% placebo CI {fmt_num(r.ci_low)} to "
            f"{fmt_num(r.ci_high)}, {ci} zero; placebo-in-space p = {fmt_num(r.placebo_p, 2)} "
            f"over {r.n_placebos} donors); minimum detectable effect {fmt_num(r.mde)}{u} "
            f"({r.n_pre} pre-periods, {r.n_donors} donors)."
        )
    if len(eff):
        nulls = eff[(eff["ci_low"] <= 0) & (eff["ci_high"] >= 0)]
        short = nulls[nulls["mde"] > eff["estimate"].abs().max()]
        if len(short) == len(eff):
            lines.append(
                "No method finds an effect, and every MDE is larger than every estimate: the "
                "series is too short or too noisy to tell a change of that size from none."
            )
    return "\n".join(lines)


def describe(comparison) -> str:
    """Markdown of a :class:`~rasso_research.designs.synthetic.SyntheticComparison`."""
    return describe_synthetic(comparison.effects())


def plot(comparison, method: str = "sdid", **kw):
    """The treated unit against its synthetic counterpart by ``method``, beside the placebos
    (:func:`plot_synthetic`)."""
    return plot_synthetic(comparison.paths(), comparison.placebo_table(), method, **kw)
