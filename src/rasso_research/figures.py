"""Paper figures drawn from tidy frames (the panel or the saved result tables), project style.

Every function returns a Figure; save it with :func:`rasso_research.style.save_figure`.
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

from rasso_research.plotting import mark_interruption
from rasso_research.style import OKABE_ITO, RC, figsize, source_note

SOURCE_HO = "Source: Home Office police recorded crime and outcomes open data; ONS population."
SOURCE_CPS = "Source: CPS case outcomes by principal offence category."

#: Axis labels with units, by panel measure or by the series labels of notebook 02.
YLABELS = {
    "recorded_rape": "Recorded rapes per quarter",
    "recorded_rape_per_100k": "Recorded rapes per 100,000 population per quarter",
    "rape_charged_in_quarter": "Rape charges per quarter",
    "rape_charge_rate_cohort": "Charged / outcomes assigned (cohort, share)",
    "cps_sexual_offences_conviction_rate": "CPS sexual-offence conviction rate (share)",
    "cps_sexual_offences_convictions": "CPS sexual-offence convictions per quarter",
    "Recorded rape (count, population offset)": "Recorded rapes per 100,000 population per quarter",
    "Recorded rape per 100k (OLS)": "Recorded rapes per 100,000 population per quarter",
    "Rape charges (count)": "Rape charges per quarter",
    "Rape charges per 100 recorded rapes": "Rape charges per 100 recorded rapes",
}


def ylabel_for(series: str) -> str:
    """Axis label with units for a measure or series label; raises if none is defined, so a
    figure never falls back to a generic label silently."""
    try:
        return YLABELS[series]
    except KeyError:
        raise KeyError(
            f"no axis label with units for {series!r}: add it to figures.YLABELS"
        ) from None


def _x(periods) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([pd.Period(str(p), freq="Q").start_time for p in periods])


def mark_periods(
    ax,
    interruptions: Mapping[str, str] | None = None,
    covid: Sequence[str] = (),
    label: bool = True,
) -> None:
    """Shade ``covid`` quarters and draw a dotted line (with its name) at each interruption."""
    for i, q in enumerate(covid):
        p = pd.Period(str(q), freq="Q")
        ax.axvspan(
            p.start_time,
            p.end_time,
            color="#DDDDDD",
            lw=0,
            zorder=0,
            label="Covid-19 disrupted" if i == 0 and label else None,
        )
    for name, q in (interruptions or {}).items():
        mark_interruption(ax, pd.Period(str(q), freq="Q").start_time, name if label else None)


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
                _x(df["quarter"]), df["value"], color=OKABE_ITO["blue"], lw=1.2, marker="o", ms=2
            )
            mark_periods(ax, interruptions, covid, label=ax is axes[0, 0])
            ax.set_title(title, loc="left")
            ax.set_ylabel(ylabel)
        axes[-1, 0].set_xlabel("Quarter (calendar)")
        if source:
            source_note(fig, source)
        fig.tight_layout()
    return fig


def plot_force_grid(
    panel: pd.DataFrame,
    measure: str,
    ylabel: str,
    ncols: int = 7,
    highlight: Sequence[str] = (),
    source: str | None = SOURCE_HO,
):
    """Small multiples: one panel per force (national total excluded), shared y axis."""
    d = panel[(panel["measure"] == measure) & (panel["force"] != "England and Wales")]
    d = d.dropna(subset=["value"])
    forces = sorted(d["force"].unique())
    nrows = int(np.ceil(len(forces) / ncols))
    with mpl.rc_context(RC):
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(7.2, 1.0 * nrows + 0.4), sharex=True, sharey=True, squeeze=False
        )
        for ax, f in zip(axes.flat, forces, strict=False):
            g = d[d["force"] == f].groupby("quarter", as_index=False)["value"].sum()
            col = OKABE_ITO["vermillion"] if f in highlight else OKABE_ITO["blue"]
            ax.plot(_x(g["quarter"]), g["value"], lw=0.8, color=col)
            ax.set_title(f, fontsize=5.5, pad=1)
            ax.tick_params(labelsize=5)
        for ax in list(axes.flat)[len(forces) :]:
            ax.set_visible(False)
        fig.supylabel(ylabel, fontsize=7)
        if source:
            source_note(fig, source)
        fig.tight_layout(h_pad=0.3, w_pad=0.2)
    return fig


def plot_its_table(
    cf: pd.DataFrame,
    ylabel: str,
    title: str | None = None,
    interruptions=None,
    ax=None,
    width: str = "one",
    source: str | None = None,
    legend: bool = True,
):
    """Standard ITS panel from a saved counterfactual table (``analysis.counterfactual_table``):
    observed points (hollow if left out of the fit), fitted line, counterfactual with 95% CI."""
    with mpl.rc_context(RC):
        if ax is None:
            fig, ax = plt.subplots(figsize=figsize(width))
        else:
            fig = ax.figure
        x = _x(cf["period"])
        covid = cf.loc[cf["covid"].astype(bool), "period"].tolist() if "covid" in cf else []
        mark_periods(ax, interruptions or {}, covid)
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
        # lines and bands break at Covid-19 quarters (each has its own indicator in the model)
        cf = cf.reset_index(drop=True)
        post = cf["counterfactual"].notna().to_numpy()
        post = x >= x[post].min() if post.any() else post
        is_cov = cf["period"].astype(str).isin([str(q) for q in covid]).to_numpy()
        cf = cf.assign(
            **{
                c: cf[c].where(~is_cov)
                for c in (
                    "fitted",
                    "counterfactual",
                    "counterfactual_ci_low",
                    "counterfactual_ci_high",
                )
            }
        )
        ax.fill_between(
            x[post],
            cf["counterfactual_ci_low"][post],
            cf["counterfactual_ci_high"][post],
            color=OKABE_ITO["sky_blue"],
            alpha=0.35,
            lw=0,
        )
        ax.plot(
            x[post],
            cf["counterfactual"][post],
            color=OKABE_ITO["blue"],
            ls="--",
            lw=1.1,
            label="Counterfactual (95% CI)",
        )
        seg = cf["segment"].astype(str) if "segment" in cf else pd.Series("all", index=cf.index)
        first = True
        for s in pd.unique(seg):
            m = (seg == s).to_numpy() | is_cov
            if s == "phase_in":
                continue
            ax.plot(
                x[m],
                cf["fitted"][m],
                color=OKABE_ITO["vermillion"],
                lw=1.3,
                label="Fitted" if first else None,
            )
            first = False
        ax.set_ylabel(ylabel)
        ax.set_xlabel("Quarter (calendar)")
        loc = mpl.dates.AutoDateLocator(minticks=3, maxticks=6)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mpl.dates.ConciseDateFormatter(loc))
        if title:
            ax.set_title(title, loc="left", fontsize=7)
        if legend:
            ax.legend(
                frameon=False,
                fontsize=6,
                loc="upper left",
                bbox_to_anchor=(1.0, 1.0),
                borderaxespad=0.2,
            )
        if source:
            source_note(fig, source)
    return fig


def plot_its_panels(
    cf: pd.DataFrame,
    panels: Sequence[tuple[str, str]],
    interruptions: Mapping[str, str],
    intervention: str | None = None,
    width: str = "two",
    ncols: int | None = None,
    source: str | None = SOURCE_HO,
):
    """Several ITS panels (one per ``(series label, y label)``) from one counterfactual table,
    with one legend shared by all panels, placed below them (never over the data)."""
    ncols = ncols or (len(panels) if width == "two" else 1)
    nrows = int(np.ceil(len(panels) / ncols))
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, axes = plt.subplots(nrows, ncols, figsize=(w, 2.2 * nrows), squeeze=False)
        for ax, (label, ylab) in zip(axes.flat, panels, strict=False):
            d = cf[cf["series"] == label]
            if intervention is not None:
                d = d[d["intervention"] == intervention]
            if d.empty:
                raise ValueError(f"no counterfactual rows for {label!r} / {intervention!r}")
            ylab = textwrap.fill(ylab, 30)
            plot_its_table(d, ylab, title=label, interruptions=interruptions, ax=ax, legend=False)
        for ax in list(axes.flat)[len(panels) :]:
            ax.set_visible(False)
        handles, labels = {}, []
        for ax in axes.flat:
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                if lab not in handles:
                    handles[lab] = h
                    labels.append(lab)
        fig.tight_layout()
        fig.legend(
            [handles[lab] for lab in labels],
            labels,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=len(labels) if width == "two" else 2,
            frameon=False,
            fontsize=6,
        )
        if source:  # below the shared legend
            fig.text(
                0.01,
                -0.12 if width == "two" else -0.05,
                source,
                ha="left",
                va="top",
                fontsize=6,
                color="#444444",
                transform=fig.transFigure,
            )
    return fig


def plot_effects(
    effects: pd.DataFrame, horizon: int = 0, width: str = "one", source: str | None = SOURCE_HO
):
    """Forest plot of relative effects (%) with 95% CIs, one row per series x intervention."""
    d = effects[effects["horizon"] == horizon].reset_index(drop=True)
    labels = (d["series"] + " | " + d["intervention"]).tolist()
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, ax = plt.subplots(figsize=(w, 0.22 * len(d) + 0.8))
        y = np.arange(len(d))[::-1]
        ax.errorbar(
            d["effect_pct"],
            y,
            xerr=[d["effect_pct"] - d["ci_low_pct"], d["ci_high_pct"] - d["effect_pct"]],
            fmt="o",
            ms=3,
            color=OKABE_ITO["blue"],
            elinewidth=0.8,
            capsize=1.5,
        )
        ax.axvline(0, color="black", lw=0.7)
        ax.set_yticks(y)
        ax.set_yticklabels(labels, fontsize=6)
        ax.set_xlabel(f"Change vs counterfactual at +{horizon} quarters (%)")
        if source:
            source_note(fig, source)
    return fig


def plot_revision(rev: pd.DataFrame, width: str = "one"):
    """Per-force percentage revision of 2017/18 recorded rape between two releases."""
    d = rev[rev["force"] != "England and Wales"].sort_values("pct_difference")
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, ax = plt.subplots(figsize=(w, 0.11 * len(d) + 0.8))
        ax.barh(d["force"], d["pct_difference"], color=OKABE_ITO["blue"])
        ax.axvline(0, color="black", lw=0.6)
        ax.tick_params(axis="y", labelsize=5)
        ax.set_xlabel("2026 release vs 2018 release, recorded rape 2017/18 (%)")
        source_note(fig, "Source: Home Office PFA tables, 2018 and 2026 releases.")
    return fig
