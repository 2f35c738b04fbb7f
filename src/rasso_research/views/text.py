"""Sentences (Markdown) shared by the views: a CI's verdict, which series can be modelled
(feasibility) and how an effect moves with a choice (sensitivity). Every sentence that states a
result is built from its numbers in a view, so the text follows the numbers when the data or
the model change."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasso_research.report.format import fmt_pct


def inseparable(ident: pd.DataFrame) -> list[tuple[str, int, int]]:
    """From the joint model's identifiability table: each reform whose terms some series
    cannot separate, with in how many of how many series (``verdict != "separable"``)."""
    bad = ident[ident["verdict"] != "separable"]
    n = ident["series"].nunique()
    per = bad.groupby("intervention", sort=False)["series"].nunique()
    return [(k, int(v), n) for k, v in per.items()]


def ci_verdict(lo: float, hi: float) -> str:
    if lo > 0:
        return "above the counterfactual (95% CI excludes zero)"
    if hi < 0:
        return "below the counterfactual (95% CI excludes zero)"
    return "95% CI includes zero"


def describe_feasibility(
    feas: pd.DataFrame, min_pre: int, min_post: int, label: str | None = None
) -> str:
    """Markdown: which (series, interruption) pairs have enough quarters on each side.

    ``feas`` has ``n_pre``, ``n_post``, ``feasible``, a label column (``series`` or ``measure``)
    and optionally ``interruption`` (and ``period_type``, whose unit is used for annual rows).
    """
    if feas.empty:
        return "No series to check."
    label = label or ("series" if "series" in feas.columns else "measure")
    keys = [label] + (["period_type"] if "period_type" in feas.columns else [])

    def line(g: pd.DataFrame) -> str:
        unit = (
            "years" if "period_type" in g and g["period_type"].iloc[0] == "financial_year" else ""
        )
        name = " ".join(f"{g[k].iloc[0]}" for k in keys)
        bits = []
        for _, r in g.iterrows():
            at = f"{r['interruption']}: " if "interruption" in g else ""
            bits.append(f"{at}{int(r['n_pre'])} before / {int(r['n_post'])} from it")
        return f"- `{name}`" + (f" ({unit})" if unit else "") + ": " + "; ".join(bits)

    ok, bad = feas[feas["feasible"].astype(bool)], feas[~feas["feasible"].astype(bool)]
    need = f"at least {min_pre} quarters before and {min_post} from the interruption"
    out = []
    if len(bad) == 0:
        out.append(f"**All {len(feas)} series-interruption pairs can be modelled** ({need}):")
    elif len(ok) == 0:
        out.append(
            f"**None of the {len(feas)} series-interruption pairs can be modelled** ({need}):"
        )
    else:
        out.append(
            f"**{len(ok)} of {len(feas)} series-interruption pairs can be modelled** ({need})."
        )
    if len(ok):
        if len(bad):
            out.append("\nModelled:")
        out += [line(g) for _, g in ok.groupby(keys, sort=False)]
    if len(bad):
        if len(ok):
            out.append("\nToo short, reported but not modelled:")
        out += [line(g) for _, g in bad.groupby(keys, sort=False)]
    return "\n".join(out)


def describe_sensitivity(df: pd.DataFrame, by: str) -> str:
    """Markdown: how the effect moves with choice ``by`` (one row per choice and horizon).

    States the range, whether the sign or the CI verdict changes with the choice, and says the
    result should be read as descriptive when it does.
    """
    if df.empty:
        return f"No estimates to compare across `{by}`."
    d = df if "horizon" in df.columns else df.assign(horizon=0)
    out = []
    for h, g in d.groupby("horizon", sort=True):
        g = g.dropna(subset=["effect_pct"])
        lo, hi = g.loc[g["effect_pct"].idxmin()], g.loc[g["effect_pct"].idxmax()]
        verdicts = {ci_verdict(r["ci_low_pct"], r["ci_high_pct"]) for _, r in g.iterrows()}
        signs = set(np.sign(g["effect_pct"]).astype(int)) - {0}
        if len(signs) > 1:
            v = "**the sign changes with this choice**"
        elif len(verdicts) > 1:
            v = "the sign is the same but **whether the CI excludes zero changes with this choice**"
        else:
            v = f"the sign and the CI verdict ({next(iter(verdicts))}) do not change"
        out.append(
            f"- +{int(h)} quarters: from {fmt_pct(lo['effect_pct'])} (`{by}` = {lo[by]}) to "
            f"{fmt_pct(hi['effect_pct'])} (`{by}` = {hi[by]}) over {len(g)} choices; {v}."
        )
    fragile = any("changes" in line for line in out)
    verdict = (
        f"**The estimate depends on `{by}`: read it as descriptive.**"
        if fragile
        else f"**The estimate does not depend on `{by}` in sign or CI verdict.**"
    )
    return verdict + "\n\n" + "\n".join(out)
