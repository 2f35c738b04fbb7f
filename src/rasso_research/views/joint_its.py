"""The view of the joint model of several interventions
(:mod:`rasso_research.designs.joint_its`): whether the terms are separable (with the
informative quarters each rests on), each reform's own change and its lead, the reforms
together, leave-one-out shifts, the quarters between dates, a choice's effect, and the joint
fit's ITS panel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from rasso_research.designs.joint_its import (
    CORR_MAX,
    INFLATION_MAX,
    MIN_INFORMATIVE,
    min_informative,
)
from rasso_research.periods import quarter
from rasso_research.report.format import fmt_num, fmt_pct

from . import national_its
from .text import ci_verdict


def _change(r) -> str:
    """A term's estimate and CI, as % where the model is on a log scale, with a mark when the
    CI excludes zero."""
    pct = np.isfinite(r.estimate_pct)
    est = fmt_pct(r.estimate_pct) if pct else fmt_num(r.estimate)
    lo = fmt_pct(r.ci_low_pct) if pct else fmt_num(r.ci_low)
    hi = fmt_pct(r.ci_high_pct) if pct else fmt_num(r.ci_high)
    mark = ", CI excludes zero" if r.ci_low > 0 or r.ci_high < 0 else ""
    return f"{est} ({lo} to {hi}{mark})"


def _why(r) -> str:
    """Why a term is not separable: the informative quarters it rests on, its variance
    inflation and its estimate correlation, whichever reach their limits."""
    n = int(r.n_informative)
    need = min_informative(r.kind)
    quarters = f"{n} informative quarter{'s' if n != 1 else ''}" + (
        f" ({r.informative_quarters})" if n else ""
    )
    parts = [f"rests on {quarters}" + (f", fewer than {need}" if n < need else "")]
    if r.inflation >= INFLATION_MAX:
        parts.append(f"the other dates multiply its variance by {fmt_num(r.inflation, 2)}")
    if np.isfinite(r.max_abs_corr) and r.max_abs_corr >= CORR_MAX:
        parts.append(f"|correlation| {fmt_num(r.max_abs_corr, 2)} with {r.corr_with}")
    return f"{r.term} {', and '.join(parts)}"


def _head(idt: pd.DataFrame) -> str:
    """Whether one series' intervention terms are separable, with the reasons of those that
    are not."""
    bad = idt[idt["verdict"] != "separable"]
    if bad.empty:
        return (
            "the intervention terms are separable (each rests on at least "
            f"{MIN_INFORMATIVE} informative quarters, a lead on its quarter; the other dates "
            f"inflate no term's variance by {fmt_num(INFLATION_MAX)} or more, no |correlation| "
            f"reaches {fmt_num(CORR_MAX)})"
        )
    return (
        "**the interventions cannot be separated**: "
        + "; ".join(_why(r) for r in bad.itertuples())
        + ": read their sum, not each term"
    )


def describe_joint(
    terms: pd.DataFrame,
    ident: pd.DataFrame,
    effects: pd.DataFrame,
    last_declared: int | None = None,
) -> str:
    """Markdown: per series, whether the interventions can be told apart (with the informative
    quarters each term rests on), each one's own level change, its lead where the model has
    leads, and the reforms together at the last declared horizon (``last_declared``; default
    the last reported): an effect further on extrapolates the pre-reform trend further and is
    left to the table."""
    lines = []
    for label, idt in ident.groupby("series", sort=False):
        dep = idt[idt["verdict"] == "not identified"]
        if len(dep):
            lines.append(
                f"- **{label}**: the joint design is rank-deficient "
                f"({', '.join(dep['term'])}): these terms cannot be estimated together."
            )
            continue
        t = terms[terms["series"] == label]
        levels = "; ".join(
            f"{r.intervention} {_change(r)}" for r in t[t["kind"] == "level"].itertuples()
        )
        when = dict(zip(idt["term"], idt["quarter"], strict=True))
        leads = "; ".join(
            f"{r.intervention} at {when.get(r.term, '')} {_change(r)}"
            for r in t[t["kind"] == "lead"].itertuples()
        )
        if leads:
            levels += (
                f". Leads (a level change one quarter before each date: did the series move "
                f"before it?): {leads}"
            )
        e = effects[effects["series"] == label]
        tail = ""
        if last_declared is not None:
            e = e[e["horizon"] <= last_declared]
        if not e.empty:
            last = e.loc[e["horizon"].idxmax()]
            tail = (
                f" Together, {int(last['horizon'])} quarters after the first date "
                f"({last['quarter']}): {fmt_pct(last['effect_pct'])} (95% CI "
                f"{fmt_pct(last['ci_low_pct'])} to {fmt_pct(last['ci_high_pct'])}), "
                f"{ci_verdict(last['ci_low_pct'], last['ci_high_pct'])}."
            )
        lines.append(f"- **{label}**: {_head(idt)}. Level changes: {levels}.{tail}")
    if not lines:
        return "No joint model was fitted."
    reform = terms[terms["kind"] != "lead"] if len(terms) else terms
    if len(reform):
        sig = reform[(reform["ci_low"] > 0) | (reform["ci_high"] < 0)]
        which = "; ".join(f"{r.series}: {r.intervention} {r.kind}" for r in sig.itertuples())
        lines.insert(
            0,
            f"**{len(sig)} of {len(reform)} reform terms (level and slope changes) have a 95% CI "
            f"excluding zero**" + (f" ({which})" if which else "") + ", with no correction for "
            "testing this many.",
        )
    return "\n".join(lines)


def describe_leave_one_out(loo: pd.DataFrame, threshold: float = 1.0) -> str:
    """Markdown: how many refitted terms move by more than ``threshold`` joint standard
    errors when a reform is left out, naming them."""
    big = loo[loo["shift_se"].abs() > threshold] if len(loo) else loo
    which = "; ".join(
        f"{r.series}, {r.intervention} {r.kind} without {r.left_out} ({fmt_num(r.shift_se, 2)} SE)"
        for r in big.itertuples()
    )
    return (
        f"{len(big)} of {len(loo)} refitted terms move by more than {fmt_num(threshold)} "
        "standard error when a reform is left out" + (f": {which}" if which else "") + "."
    )


def describe_gaps(interventions: Mapping[str, str], excluded: Sequence[str]) -> str:
    """Markdown: the quarters that inform each intervention's term apart from the next one's
    (from its date to the next date, quarters with their own indicator left out), which is
    what a level and a slope change at each need at least two of."""
    ordered = sorted(interventions.items(), key=lambda kv: quarter(kv[1]))
    excl = {quarter(x) for x in excluded}
    parts = []
    for (a, qa), (b, qb) in zip(ordered, ordered[1:], strict=False):
        qs = [q for q in pd.period_range(quarter(qa), quarter(qb) - 1, freq="Q") if q not in excl]
        parts.append(
            f"{a} to {b}: {len(qs)} quarter{'s' if len(qs) != 1 else ''}"
            + (f" ({', '.join(str(q) for q in qs)})" if qs else "")
        )
    return (
        "Quarters between consecutive dates that are fitted (not Covid-19 quarters with their "
        "own indicator): " + "; ".join(parts) + "."
    )


def describe_joint_choice(cmp: pd.DataFrame, by: str) -> str:
    """Markdown: per series, the level change under each choice, and whether the choice moves
    its CI verdict."""
    lines = []
    for label, d in cmp.groupby("series", sort=False):
        f = fmt_pct if (d["unit"].isin(["%", ""])).all() else fmt_num
        parts = [
            f"{f(r.estimate)} ({f(r.ci_low)} to {f(r.ci_high)}) with `{by}` = {getattr(r, by)}"
            if np.isfinite(r.estimate)
            else f"not identified with `{by}` = {getattr(r, by)} (rank-deficient design)"
            for r in d.itertuples()
        ]
        fitted = d[np.isfinite(d["estimate"])]
        if len(fitted) < len(d):
            lines.append(f"- {label}: {'; '.join(parts)}.")
            continue
        verdicts = {ci_verdict(r.ci_low, r.ci_high) for r in fitted.itertuples()}
        same = (
            "the CI verdict does not change" if len(verdicts) == 1 else "**the CI verdict changes**"
        )
        lines.append(f"- {label}: {'; '.join(parts)}; {same}.")
    return "\n".join(lines) if lines else "Nothing to compare."


def describe(joint, last_declared: int | None = None) -> str:
    """Markdown of a :class:`~rasso_research.designs.joint_its.JointITS` (:func:`describe_joint`)."""
    return describe_joint(joint.table(), joint.identifiability(), joint.effects(), last_declared)


def plot(joint, series: str, **kw):
    """The ITS panel of one series' joint fit: the counterfactual without every reform."""
    return national_its.plot_fit(joint.fits[series].fit, **kw)
