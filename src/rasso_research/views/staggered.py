"""The view of the staggered-adoption design (:mod:`rasso_research.designs.staggered`): the
aggregated effects, pre-trend check and identified cells in words, the event-study figure
(group-time effects by cohort, and the aggregated event-time effects of both estimators),
and notebook 07's generated conclusion from the study's frames."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rasso_research.designs.staggered import StaggeredAdoption
from rasso_research.report.format import fmt_num

from .style import LINE_COLOURS, OKABE_ITO, RC, SOURCE_HO, figsize, legend_below


def _p(p) -> str:
    return "n/a" if p is None or not np.isfinite(p) else fmt_num(p, 2)


def _ci(lo, hi) -> str:
    return f"{fmt_num(lo)} to {fmt_num(hi)}"


def describe(result: StaggeredAdoption) -> str:
    """The headline effect (Callaway-Sant'Anna by cohort) with its permutation interval,
    p-value and MDE, the other estimators beside it, and what identifies it."""
    eff = result.effects()
    cs = eff.iloc[0]
    n = result.sizes()
    lines = [
        f"**{result.label}.** Callaway-Sant'Anna (not-yet-treated comparison), averaged over "
        f"the identified cohorts: {fmt_num(cs['estimate'])} (95% CI {_ci(cs['ci_low'], cs['ci_high'])}, "
        f"permutation p = {_p(cs['perm_p'])} of {int(cs['n_perm'])} reassignments of the adoption "
        f"dates; minimum detectable effect {fmt_num(cs['mde'])}). It rests on "
        f"{n['n_post_cells']} cohort-period cell(s) of {n['n_cohorts_identified']} of "
        f"{n['n_cohorts']} cohort(s) ({n['n_treated_identified']} treated units, {n['n_units']} units in all)."
    ]
    for r in eff.iloc[3:].itertuples():
        lines.append(
            f"{r.estimator}: {fmt_num(r.estimate)} (permutation p = {_p(r.perm_p)}; "
            f"{r.alt_inference} 95% CI {_ci(r.alt_ci_low, r.alt_ci_high)})."
        )
    lines.append(describe_pretrend(result.pretrend()))
    return "\n\n".join(lines)


def describe_pretrend(pre: pd.DataFrame) -> str:
    """The pre-trend checks in one sentence."""
    parts = []
    for r in pre.itertuples():
        if not r.n_pre:
            parts.append(f"{r.estimator}: no pre-period effect to test")
            continue
        verdict = (
            "departs from parallel trends"
            if r.p_value < 0.05
            else "shows no clear departure from parallel trends"
        )
        parts.append(
            f"{r.estimator} ({int(r.n_pre)} pre-period effects, {r.test} p = {_p(r.p_value)}) {verdict}"
        )
    return "Pre-trend check: " + "; ".join(parts) + "."


def plot_event(
    result: StaggeredAdoption,
    ylabel: str = "",
    width: str = "two",
    source: str | None = SOURCE_HO,
    xlabel: str = "Years from adoption",
):
    """(a) Callaway-Sant'Anna ATT(g,t) by cohort and event time; (b) the event-time effects
    aggregated over cohorts: Callaway-Sant'Anna with its 95% permutation band of the
    estimates under reassigned adoption dates, Sun-Abraham with CRV1 95% intervals."""
    tab = result.cells.table.astype({"e": float, "att": float})
    ev = result.event().astype({"e": float, "estimate": float, "ci_low": float, "ci_high": float})
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, axes = plt.subplots(1, 2, figsize=(w, w * 0.42), sharey=True)
        ax = axes[0]
        for i, g in enumerate(sorted(tab["g"].unique())):
            d = tab[(tab["g"] == g) & tab["att"].notna()]
            ax.plot(
                d["e"],
                d["att"],
                "o-",
                ms=3,
                lw=0.9,
                color=LINE_COLOURS[i % len(LINE_COLOURS)],
                label=f"cohort {result.period(g)}",
            )
        ax.set_title("(a) Each cohort (Callaway-Sant'Anna)", fontsize=7, loc="left")
        ax = axes[1]
        cs = ev[(ev["estimator"] == "Callaway-Sant'Anna") & ev["estimate"].notna()]
        ax.fill_between(
            cs["e"],
            cs["ci_low"],
            cs["ci_high"],
            color="#DDDDDD",
            lw=0,
            label="95% permutation band",
        )
        ax.plot(
            cs["e"],
            cs["estimate"],
            "o-",
            ms=3,
            lw=0.9,
            color="black",
            label="Callaway-Sant'Anna",
        )
        sa = ev[(ev["estimator"] == "Sun-Abraham") & ev["estimate"].notna()]
        if len(sa):
            ax.errorbar(
                sa["e"].to_numpy() + 0.15,
                sa["estimate"].to_numpy(),
                yerr=np.vstack([sa["estimate"] - sa["ci_low"], sa["ci_high"] - sa["estimate"]]),
                fmt="s",
                ms=2.5,
                lw=0.7,
                color=OKABE_ITO["vermillion"],
                label="Sun-Abraham (CRV1 95% CI)",
            )
        ax.set_title("(b) Averaged over cohorts", fontsize=7, loc="left")
        for ax in axes:
            ax.axhline(0, color="black", lw=0.6)
            ax.axvline(-0.5, color="black", lw=0.7, ls=":")
            ax.set_xlabel(xlabel)
            ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        axes[0].set_ylabel(ylabel or "Effect")
        fig.tight_layout()
        h1, l1 = axes[0].get_legend_handles_labels()
        h2, l2 = axes[1].get_legend_handles_labels()
        legend_below(fig, h1 + h2, l1 + l2, ncol=3, source=source)
    return fig


def describe_negative(neg: pd.DataFrame) -> str:
    """The negative-control outcome's headline effect in words."""
    if neg.empty:
        return "No negative-control outcome was fitted."
    parts = []
    for r in neg[neg["aggregation"] == "group"].itertuples():
        moved = (
            "moved as well (a force-wide change, not a sexual-offence one)"
            if r.perm_p < 0.05
            else "did not move clearly"
        )
        parts.append(
            f"{r.series}: {fmt_num(r.estimate)} (95% CI {_ci(r.ci_low, r.ci_high)}, permutation p = {_p(r.perm_p)}): it {moved}"
        )
    return "Negative control. " + "; ".join(parts) + "."


def describe_sensitivity(sens: pd.DataFrame) -> str:
    """The unknown cohort's placements in words: how the headline moves with them."""
    lines = []
    for r in sens.itertuples():
        where = "excluded" if r.unknown == "exclude" else f"placed in {r.unknown}"
        if isinstance(r.note, str) and r.note:
            lines.append(f"- {r.series}, unknown cohort {where}: not estimable ({r.note}).")
            continue
        lines.append(
            f"- {r.series}, unknown cohort {where}: {fmt_num(r.estimate)} (95% CI {_ci(r.ci_low, r.ci_high)}, "
            f"permutation p = {_p(r.perm_p)}, MDE {fmt_num(r.mde)}; {int(r.n_cohorts_identified)} cohort(s), "
            f"{int(r.n_treated_identified)} treated of {int(r.n_units)} forces)."
        )
    return "\n".join(lines)


HEADLINE = {
    "cs": ("Callaway-Sant'Anna", "group"),
    "sa": ("Sun-Abraham", "dynamic"),
    "twfe": ("two-way fixed effects", "static"),
}


def conclusion(
    effects: pd.DataFrame,
    negative: pd.DataFrame,
    pretrend: pd.DataFrame,
    sensitivity: pd.DataFrame,
    n_unknown: int,
    estimator: str = "cs",
) -> str:
    """Notebook 07's conclusion, generated from the study's frames: what the rollout shows
    (the headline ``estimator``'s effect of each series against its MDE, the pre-trends, the
    negative control, the unknown cohort's placements) and what it cannot show."""
    out = []
    name, kind = HEADLINE[estimator]
    cs = effects[(effects["estimator"] == name) & (effects["aggregation"] == kind)]
    for r in cs.itertuples():
        sig = r.perm_p < 0.05
        size = "larger than" if abs(r.estimate) >= r.mde else "smaller than"
        verdict = (
            "a change that reassigning the adoption dates rarely produces"
            if sig
            else "no change distinguishable from reassigned adoption dates"
        )
        out.append(
            f"- **{r.series}** ({name}): {fmt_num(r.estimate)} (95% CI {_ci(r.ci_low, r.ci_high)}), {verdict} "
            f"(permutation p = {_p(r.perm_p)}); the estimate is {size} the minimum detectable effect of "
            f"{fmt_num(r.mde)}. It rests on {int(r.n_post_cells)} cohort-year cell(s) of "
            f"{int(r.n_cohorts_identified)} cohort(s), {int(r.n_treated_identified)} treated forces."
        )
    pre_cs = pretrend[pretrend["estimator"] == "Callaway-Sant'Anna"]
    bad = pre_cs[pre_cs["p_value"] < 0.05]
    out.append(
        f"- Pre-trends: {len(bad)} of {len(pre_cs)} series depart from parallel trends before adoption "
        "(joint permutation test of the pre-period event-time effects)."
    )
    if not negative.empty:
        neg = negative[negative["aggregation"] == "group"]
        moved = int((neg["perm_p"] < 0.05).sum())
        out.append(
            f"- Negative control (all other offence groups): {moved} of {len(neg)} moved at the 5% level; "
            + (
                "a Soteria-specific change should leave it unmoved, so a shared shift points to something force-wide."
                if moved
                else "as expected if any change were specific to sexual offences."
            )
        )
    if not sensitivity.empty and "estimate" in sensitivity:
        s = sensitivity.dropna(subset=["estimate"])
        lo, hi = s["estimate"].min(), s["estimate"].max()
        out.append(
            f"- Placing the {n_unknown} forces of unknown cohort in each possible cohort moves the headline "
            f"between {fmt_num(lo)} and {fmt_num(hi)}; "
            f"{int((s['perm_p'] < 0.05).sum())} of {len(s)} placements have a permutation p below 0.05."
        )
    out.append(
        "\n**What the rollout cannot show.** Every force signed up to the National Operating Model on "
        "10 July 2023, so no force stays untreated: each cohort is compared only with forces not yet "
        "treated, which leaves the earliest cohort few identified years and the last cohort nothing "
        "of its own. The pathfinders' base year, 2020/21, is the first Covid-19 year, so a recovery "
        "that differed between forces enters their first effect; and the national reforms of 2020-2021 (RASSO 2025, the JNAP, the Rape "
        "Review) reach every force in the same year, so they are absorbed by the year effects rather "
        "than separated from Soteria. Six of the fourteen 2022-23 forces are not named by any source "
        "found, so their cohort is unknown; the first treated year is part-exposed (June to "
        "September 2021 starts), and 'sexual offences' is not rape."
    )
    return "\n".join(out)
