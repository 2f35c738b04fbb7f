"""The view of the national answer's declared estimands and checks
(:mod:`rasso_research.studies.estimands`, :mod:`rasso_research.studies.national_checks`):
the primary estimand with its MDE, the secondary family against chance, the comparison
series, the denominator lags, the Covid-19 handling, the persistence models, and the
conclusion notebook 02 ends with. Every sentence is built from the tables it summarises."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasso_research.report.format import fmt_num, fmt_pct

from .text import ci_verdict, inseparable

ALPHA = 0.05
#: the Covid-19 choices in words
COVID_WORDS = {
    "days": "lockdown days",
    "exclude": "each quarter left out",
    "indicator": "one shared indicator",
    "none": "ordinary quarters",
}


def _ci(r) -> str:
    """``+x% (95% CI a% to b%)`` of a row with ``effect_pct``, ``ci_low_pct``, ``ci_high_pct``."""
    return (
        f"{fmt_pct(r['effect_pct'])} (95% CI {fmt_pct(r['ci_low_pct'])} to "
        f"{fmt_pct(r['ci_high_pct'])})"
    )


def _excludes(d: pd.DataFrame) -> pd.Series:
    return (d["ci_low_pct"] > 0) | (d["ci_high_pct"] < 0)


def _p(p) -> str:
    return "p n/a" if not np.isfinite(p) else f"p = {fmt_num(p, 2)}"


def describe_primary(ev: pd.DataFrame, primary) -> str:
    """Markdown: the primary estimand, its estimate, p-value and MDE, and what the MDE means."""
    r = ev[ev["role"] == "primary"]
    if r.empty:
        return (
            f"**Primary estimand** ({primary.id}, declared {primary.declared}): not estimable "
            "here; its series is not in the joint model (the adult measures are missing)."
        )
    r = r.iloc[0]
    mde = r["mde_pct"]
    size = (
        f" The design detects (80% power, 5% test) a change of about {fmt_num(mde)}% or more; "
        + (
            "the estimate is smaller than that, so a true effect of its size would usually be "
            "missed: *too little data to tell*, not *no effect*."
            if abs(r["effect_pct"]) < mde
            else "the estimate is at least that large."
        )
        if np.isfinite(mde)
        else ""
    )
    return (
        f"**Primary estimand** (`{primary.id}`, declared in `config/estimands.csv` on "
        f"{primary.declared}): {r['series']}, the reforms together {int(r['horizon'])} "
        f"quarters after the first date: {_ci(r)}, {_p(r['p_value'])}, "
        f"{ci_verdict(r['ci_low_pct'], r['ci_high_pct'])}.{size}"
    )


def describe_secondary(ev: pd.DataFrame) -> str:
    """Markdown: the secondary family against chance: raw and Holm-adjusted findings."""
    sec = ev[(ev["role"] == "secondary") & ev["p_value"].notna()]
    if sec.empty:
        return "No secondary tests."
    m = len(sec)
    raw = sec[sec["p_value"] < ALPHA]
    holm = sec[sec["p_holm"] < ALPHA]
    named = "; ".join(
        f"{r.series}, {r.intervention} {r.kind}"
        + (f" +{int(r.horizon)}" if np.isfinite(r.horizon) else "")
        + f" (p = {fmt_num(r.p_value, 2)}, Holm {fmt_num(r.p_holm, 2)})"
        for r in raw.itertuples()
    )
    return (
        f"**Secondary family**: {m} tests (every reform term and every package effect at the "
        f"declared horizons, the primary excepted). {len(raw)} have p < {ALPHA}"
        + (f" ({named})" if named else "")
        + f"; chance alone gives about {fmt_num(ALPHA * m, 2)} when nothing changed. After "
        f"Holm's adjustment for the {m} tests, {len(holm)} remain below {ALPHA}."
    )


def describe_comparison(terms: pd.DataFrame, effects: pd.DataFrame, horizon: int) -> str:
    """Markdown: each comparison series' reform terms and package effect at ``horizon``."""
    out = []
    for label, t in terms.groupby("series", sort=False):
        lv = "; ".join(
            f"{r.intervention} {r.kind} {_ci(pd.Series({'effect_pct': r.estimate_pct, 'ci_low_pct': r.ci_low_pct, 'ci_high_pct': r.ci_high_pct}))}"
            for r in t.itertuples()
        )
        e = effects[(effects["series"] == label) & (effects["horizon"] == horizon)]
        pk = f" Together at +{horizon}: {_ci(e.iloc[0])}." if len(e) else ""
        out.append(f"- **{label}**: {lv}.{pk}")
    return "\n".join(out) if out else "No comparison series was fitted."


def describe_controlled(table: pd.DataFrame, effects: pd.DataFrame, horizon: int) -> str:
    """Markdown: the controlled ITS of rape against all-offence charges."""
    if table.empty:
        return "The controlled comparison was not fitted."
    t = table.set_index("term")
    lv = t.loc["treated_level_main"]
    e = effects[effects["horizon"] == horizon]
    tail = ""
    if len(e):
        r = e.iloc[0]
        tail = (
            f" The reforms together, {horizon} quarters on, relative to all charging: "
            f"{fmt_pct(100 * r['rel_diff'])} (95% CI {fmt_pct(100 * r['rel_ci_low'])} to "
            f"{fmt_pct(100 * r['rel_ci_high'])}), {_p(r['p_value'])}."
        )
    return (
        "**Controlled ITS** (log rape charges against log all-offence charges, pooled OLS with "
        "Newey-West errors within each series, Linden's `itsa`): RASSO 2025's level change "
        f"relative to all charging {fmt_pct(100 * np.expm1(lv['estimate']))} (95% CI "
        f"{fmt_pct(100 * np.expm1(lv['ci_low']))} to {fmt_pct(100 * np.expm1(lv['ci_high']))}), "
        f"{_p(lv['p_value'])}.{tail} Newey-West intervals under-cover in series this short "
        "(docs/METHODS.md), so the share model above, with the AR-errors bootstrap, is the "
        "comparison to read."
    )


def describe_surge(surge: dict, lag: int, interruptions: dict) -> str:
    """Markdown: the recorded-rape surge and the quarters whose denominator it enters."""
    q = pd.Period(surge["quarter"], freq="Q")
    enters = [str(q + k) for k in range(1, lag + 1)]
    hit = [n for n, d in interruptions.items() if str(pd.Period(d, freq="Q")) in enters]
    rank = (
        "the largest quarter-on-quarter rise since the series began in " + surge["first"]
        if surge["larger_before"] == 0
        else f"{surge['larger_before']} earlier quarters (from {surge['first']}) rose more"
    )
    head = (
        f"Recorded rape rose {fmt_pct(surge['pct'])} in {surge['quarter']} "
        f"({surge['before']:,.0f} to {surge['value']:,.0f}; {rank})."
    )
    if not enters:
        return head + " A same-quarter denominator takes it in that quarter only."
    where = f" It is in the previous-{lag}-quarter denominator of {enters[0]} to {enters[-1]}"
    if hit:
        return (
            head + where + f", which includes the first quarter of {', '.join(hit)}: a "
            "fall in the charge rate there is partly the denominator's jump."
        )
    return head + where + "."


def describe_lags(lags: pd.DataFrame, horizon: int, key: str) -> str:
    """Markdown: how the package effect at ``horizon`` and each level term of series ``key``
    move with the denominator lag."""
    d = lags[lags["key"] == key]
    if d.empty:
        return f"No denominator-lag fits of {key}."
    pk = d[(d["kind"] == "package") & (d["horizon"] == horizon)]
    parts = [
        f"The reforms together at +{horizon}: "
        + "; ".join(f"{int(r.lag)} quarters {_ci(pd.Series(r._asdict()))}" for r in pk.itertuples())
        + f" ({int(_excludes(pk).sum())} of {len(pk)} exclude zero)."
    ]
    for name, g in d[d["kind"] == "level"].groupby("intervention", sort=False):
        parts.append(
            f"{name}'s level change runs from {fmt_pct(g['effect_pct'].min())} to "
            f"{fmt_pct(g['effect_pct'].max())} over the lags ({int(_excludes(g).sum())} of "
            f"{len(g)} exclude zero)."
        )
    return f"*{d['series'].iloc[0]}.* " + " ".join(parts)


def describe_covid(cov: pd.DataFrame, horizon: int) -> str:
    """Markdown: the package effect at ``horizon`` and the first reform's level change under
    each Covid-19 handling, per series."""
    out = []
    for label, d in cov.groupby("series", sort=False):
        pk = d[(d["kind"] == "package") & (d["horizon"] == horizon)]
        first = d[d["kind"] == "level"].groupby("covid", sort=False).head(1)
        out.append(
            f"- **{label}**: together at +{horizon}: "
            + "; ".join(f"{r.covid} {_ci(pd.Series(r._asdict()))}" for r in pk.itertuples())
            + ". First reform's level change: "
            + "; ".join(f"{r.covid} {_ci(pd.Series(r._asdict()))}" for r in first.itertuples())
            + "."
        )
    return "\n".join(out)


def describe_persistence(pers: pd.DataFrame, joint_terms: pd.DataFrame) -> str:
    """Markdown: the first reform's level change under the persistence models beside the
    default AR-errors joint model."""
    out = []
    for label, d in pers.groupby("series", sort=False):
        lv = d[d["change"] == "level"]
        base = joint_terms[(joint_terms["series"] == label) & (joint_terms["kind"] == "level")]
        head = (
            f"AR(2) errors {_ci(base.iloc[0].rename({'estimate_pct': 'effect_pct'}))}; "
            if len(base)
            else ""
        )
        out.append(
            f"- **{label}**, the first reform's level change: {head}"
            + "; ".join(
                f"{r.model.replace('_', ' ')} "
                f"{_ci(pd.Series({'effect_pct': r.estimate_pct, 'ci_low_pct': r.ci_low_pct, 'ci_high_pct': r.ci_high_pct}))}"
                for r in lv.itertuples()
            )
            + " (Wald intervals from the observed information: likely too narrow at this length)."
        )
    return "\n".join(out)


def _share_verdict(cmp: pd.DataFrame) -> str:
    """How the rape share of all charges moved: the clause that ends the comparison sentence."""
    share = cmp[cmp["series"].str.contains("per 1,000 charges")]
    if share.empty:
        return "."
    r = share.iloc[0]
    if r["ci_low_pct"] > 0:
        return "; the rape share rose beyond all charging (95% CI above zero)."
    if r["ci_high_pct"] < 0:
        return "; the rape share fell relative to all charging (95% CI below zero)."
    return (
        "; the rape share's change is not distinguishable from zero, so these data cannot say "
        "whether rape charging moved apart from charging as a whole."
    )


def _answer(r, ev: pd.DataFrame, ambition: dict | None) -> str:
    """The conclusion's answer paragraph: the primary estimate, its MDE against the Rape
    Review's ambition, and the secondary family against chance."""
    found = r["ci_low_pct"] > 0 or r["ci_high_pct"] < 0
    mde = r["mde_pct"]
    size = ""
    if np.isfinite(mde):
        size = f"; the smallest change this design finds with 80% power is about {fmt_num(mde)}%"
        if ambition:
            hit = "would usually detect" if ambition["pct"] >= mde else "would usually miss"
            size += (
                f" (the Rape Review's ambition, {ambition['what']}, is a rise of about "
                f"{fmt_num(ambition['pct'])}%, which this design {hit})"
            )
    return (
        f"**The answer.** {_ci(r)}, {_p(r['p_value'])}: "
        + ("a change the data detect" if found else "no change the data can detect")
        + size
        + ". "
        + describe_secondary(ev).replace("**Secondary family**: ", "Of the secondary family: ")
    )


def _sensitivities(series: str, h: int, lags: pd.DataFrame, covid: pd.DataFrame) -> str:
    """The conclusion's sensitivity sentence: the primary estimate over the denominator lags
    and the Covid-19 handlings ('' when neither was fitted)."""
    bits = []

    def pick(d: pd.DataFrame) -> pd.DataFrame:
        return d[(d["kind"] == "package") & (d["horizon"] == h) & (d["series"] == series)]

    pk, cv = pick(lags), pick(covid)
    if len(pk):
        bits.append(
            f"on denominators of 0-{int(pk['lag'].max())} quarters the primary estimate runs "
            f"from {fmt_pct(pk['effect_pct'].min())} to {fmt_pct(pk['effect_pct'].max())} "
            f"({int(_excludes(pk).sum())} of {len(pk)} exclude zero)"
        )
    if len(cv):
        bits.append(
            "with Covid-19 modelled as "
            + ", as ".join(
                f"{COVID_WORDS.get(c, c)} {fmt_pct(x)}"
                for c, x in zip(cv["covid"], cv["effect_pct"], strict=True)
            )
            + f" ({int(_excludes(cv).sum())} of {len(cv)} exclude zero)"
        )
    if not bits:
        return ""
    text = "; ".join(bits)
    return "**Sensitivities.** " + text[0].upper() + text[1:] + "."


def _cannot(primary, ident: pd.DataFrame, incomplete: list[str]) -> str:
    """The conclusion's last paragraph: what these data cannot show."""
    h = primary.horizons[0]
    bad = ident[ident["verdict"] != "separable"]
    cannot = [
        "No unit escaped the reforms: they were national, so the counterfactual is the "
        "pre-2020 trend projected, and the all-offence series is a comparison, not a control "
        "(charging for every offence had its own post-Covid-19 recovery)."
    ]
    if len(bad):
        cannot.append(
            "The reforms cannot be told apart: "
            + "; ".join(
                f"{k}'s terms not separable in {v} of {n} series" for k, v, n in inseparable(ident)
            )
            + ", so only their sum is read."
        )
    if incomplete:
        cannot.append(
            f"The national charge totals of {', '.join(incomplete)} lack Greater Manchester "
            "(not supplied); a covariate shared by those quarters absorbs the force's share, "
            "which is assumed steady across them."
        )
    cannot.append(
        f"Effects beyond +{h} quarters extrapolate the pre-2020 trend further and are not "
        f"estimands. The declaration was made on {primary.declared}, after earlier versions of "
        "this notebook had reported the joint model on the same data: a referee should read "
        "it as a declaration for future data and a discipline for this one, not as a "
        "pre-registration."
    )
    return "**What the data cannot show.** " + " ".join(cannot)


def describe_conclusion(
    primary,
    ev: pd.DataFrame,
    comparison: pd.DataFrame,
    lags: pd.DataFrame,
    covid: pd.DataFrame,
    ident: pd.DataFrame,
    incomplete: list[str],
    ambition: dict | None = None,
) -> str:
    """Markdown: notebook 02's conclusion, from the declared estimands (``ev``), the
    comparison series' package effects (``comparison``), the denominator-lag and Covid-19
    fits of the primary series, the joint model's identifiability verdicts, the quarters
    whose national total lacks a force and the Rape Review's ambition as a % rise
    (``ambition``: :func:`rasso_research.studies.national_checks.review_ambition`)."""
    h = primary.horizons[0]
    out = [
        "**What was asked.** Did rape charging in England and Wales change when the 2020-2021 "
        "reforms (RASSO 2025, the JNAP, the End-to-End Rape Review) began? The primary "
        f"estimand, declared in `config/estimands.csv` on {primary.declared}: "
        f"{primary.definition[:1].lower()}{primary.definition[1:]}"
    ]
    r = ev[ev["role"] == "primary"]
    if r.empty:
        out.append("**The answer.** The primary estimand could not be estimated from these data.")
        return "\n\n".join(out)
    r = r.iloc[0]
    out.append(_answer(r, ev, ambition))
    cmp = comparison[comparison["horizon"] == h]
    if len(cmp):
        out.append(
            "**Against all charging.** The same model on the comparison series, together at "
            f"+{h}: "
            + "; ".join(f"{x.series} {_ci(pd.Series(x._asdict()))}" for x in cmp.itertuples())
            + ". A change in rape charging that all charging shares is not specific to rape"
            + _share_verdict(cmp)
        )
    out.append(_sensitivities(r["series"], h, lags, covid))
    out.append(_cannot(primary, ident, incomplete))
    return "\n\n".join(x for x in out if x)


def describe_coinciding(near: pd.DataFrame) -> str:
    """Markdown: the other national events within a quarter of each reform
    (:func:`rasso_research.timeline.coinciding`): a reform's term absorbs them."""
    if near.empty:
        return "No other dated national event falls within a quarter of a reform."
    lines = []
    for (reform, rq), g in near.groupby(["reform", "reform_quarter"], sort=False):
        same, around = g[g["offset"] == 0], g[g["offset"] != 0]
        parts = []
        if len(same):
            parts.append("shares its quarter with " + "; ".join(same["event"]))
        if len(around):
            parts.append(
                "is a quarter from "
                + "; ".join(f"{e.event} ({e.quarter})" for e in around.itertuples())
            )
        lines.append(f"- **{reform}** ({rq}) " + ", and ".join(parts) + ".")
    return (
        "Other national events dated in `config/interventions.csv` near the reforms: a "
        "reform's term measures everything that changed in its quarter, these included.\n"
        + "\n".join(lines)
    )
