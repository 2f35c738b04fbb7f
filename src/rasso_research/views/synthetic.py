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

from .style import OKABE_ITO, RC, SHADES, SOURCE_HO, figsize, legend_below


def _all_periods(p: pd.DataFrame, extra: pd.DataFrame | None) -> pd.DataFrame:
    """The fitted periods and the ``extra`` ones (drawn, not fitted) in period order, one row
    each: period, treated, synthetic, gap, post, note (empty for a fitted period)."""
    fitted = p.assign(note="")
    if extra is None or extra.empty:
        return fitted
    e = extra[~extra["period"].astype(str).isin(fitted["period"])]
    e = e.assign(period=e["period"].astype(str), synthetic=np.nan, gap=np.nan, post=False)
    cols = ["period", "treated", "synthetic", "gap", "post", "note"]
    out = pd.concat([fitted[cols], e[cols]], ignore_index=True)
    return out.sort_values("period").reset_index(drop=True)


def _mark_left_out(axes, x, a: pd.DataFrame) -> list:
    """Shade every period drawn but not fitted, one shade per note; returns legend handles."""
    handles = []
    shades = SHADES
    for k, (note, g) in enumerate(a[a["note"] != ""].groupby("note", sort=False)):
        colour = shades[k % len(shades)]
        for i in g.index:
            for ax in axes:
                ax.axvspan(x[i] - 0.5, x[i] + 0.5, color=colour, lw=0, zorder=0)
        handles.append((mpl.patches.Patch(color=colour), note))
    return handles


def _paths_panels(
    ax, axg, p: pd.DataFrame, treated_unit, name, xlabel, extra=None, tick_size=7, turn=45
) -> list:
    """Panel (a): the treated unit and its counterpart by period, with the gap beneath; the
    first treated period marked by a dotted line. Periods in ``extra`` (not fitted: a year left
    out, years after the window) are drawn too, hollow and shaded, so no year is skipped on the
    axis (labels turned by ``turn`` degrees when more than 8); returns the shades' legend
    handles."""
    a = _all_periods(p, extra)
    x = np.arange(len(a))
    fit = (a["note"] == "").to_numpy()
    ax.plot(x, a["treated"], color=OKABE_ITO["vermillion"], lw=1.3, label=treated_unit)
    ax.plot(x[fit], a["treated"][fit], "o", color=OKABE_ITO["vermillion"], ms=2.5)
    ax.plot(x[~fit], a["treated"][~fit], "o", mfc="white", color=OKABE_ITO["vermillion"], ms=3.5)
    ax.plot(
        x, a["synthetic"], color=OKABE_ITO["blue"], lw=1.1, ls="--", label=f"{name} counterpart"
    )
    first_post = int(np.flatnonzero(a["post"].to_numpy())[0])
    ax.axvline(first_post - 0.5, color="black", lw=0.8, ls=":")
    shades = _mark_left_out((ax, axg), x, a)
    ax.set_xticks(x)
    ax.set_xticklabels([])
    gap = a["gap"].to_numpy(float)
    axg.bar(x, gap, color=np.where(a["post"], OKABE_ITO["vermillion"], "#BBBBBB"), width=0.7)
    axg.axhline(0, color="black", lw=0.7)
    axg.axvline(first_post - 0.5, color="black", lw=0.8, ls=":")
    axg.set_ylabel("Gap")
    step = 1 if len(a) <= 16 else int(np.ceil(len(a) / 12))  # every period when few
    axg.set_xticks(x[::step])
    rotate = len(x[::step]) > 8
    axg.set_xticklabels(
        a["period"].iloc[::step],
        fontsize=tick_size,
        rotation=turn if rotate else 0,
        ha="right" if rotate and turn < 90 else "center",
    )
    axg.set_xlim(-0.6, len(a) - 0.4)
    ax.set_xlim(axg.get_xlim())
    axg.set_xlabel(textwrap.fill(f"{xlabel}; treated from the dotted line", 48))
    return shades


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
    extra: pd.DataFrame | None = None,
    text_size: float = 7,
):
    """A synthetic comparison (:class:`rasso_research.designs.synthetic.SyntheticComparison`):
    (a) the treated unit and its synthetic counterpart by period, the first treated period
    marked, with the gap (treated minus synthetic) beneath; (b) the placebo-in-space effects of
    the donors with the treated unit's marked. ``extra`` (period, treated, note): periods
    drawn but not fitted (hollow, shaded, named by their note); ``text_size``: the smallest
    text (tick labels, legend, source line)."""
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
        shades = _paths_panels(
            ax, axg, p, treated_unit, name, xlabel, extra, text_size, 45 if two else 90
        )
        ax.set_ylabel(textwrap.fill(ylabel, 34 if two else 24) if ylabel else "")
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
        for h, note in shades:
            handles.append(h)
            labels.append(note)
        if shades:
            handles.insert(
                1,
                mpl.lines.Line2D(
                    [],
                    [],
                    marker="o",
                    mfc="white",
                    ls="none",
                    color=OKABE_ITO["vermillion"],
                    ms=3.5,
                ),
            )
            labels.insert(1, f"{treated_unit}, year not fitted")
        fig.tight_layout()
        ncol = (3 if shades else 4) if two else 2
        legend_below(fig, handles, labels, ncol=ncol, source=source, fontsize=text_size)
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
