"""The view of the national study (:mod:`rasso_research.studies.national`): the answer,
generated from the joint model's and the single-date fits' tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasso_research.report.format import fmt_num, fmt_pct

from .text import inseparable


def describe_answer(
    terms: pd.DataFrame,
    ident: pd.DataFrame,
    package: pd.DataFrame,
    alone: pd.DataFrame,
    horizon: int | None = None,
) -> str:
    """Markdown: the national answer in four sentences, from the joint model's terms (with
    their MDEs), its identifiability verdicts, the package effects (at ``horizon``, the last
    declared one; default the last quarter of each series) and the one-date-alone effects
    (horizon 0)."""
    sig = terms[(terms["ci_low"] > 0) | (terms["ci_high"] < 0)]
    named = "; ".join(
        f"{r.series}, {r.intervention} {r.kind} {fmt_pct(r.estimate_pct)} "
        f"({fmt_pct(r.ci_low_pct)} to {fmt_pct(r.ci_high_pct)})"
        if np.isfinite(r.estimate_pct)
        else f"{r.series}, {r.intervention} {r.kind} {fmt_num(r.estimate)}"
        for r in sig.itertuples()
    )
    out = [
        f"**Jointly modelled, {len(sig)} of {len(terms)} reform terms have a 95% CI excluding "
        "zero**" + (f": {named}" if named else "") + "."
    ]
    bad = inseparable(ident)
    if bad:
        out.append(
            "Terms the data cannot separate from the other reforms: "
            + "; ".join(f"{k} in {v} of {n} series" for k, v, n in bad)
            + "."
        )
    level = terms[(terms["kind"] == "level") & terms["mde_pct"].notna()]
    if len(level):
        out.append(
            f"The level changes could have been detected (80% power) only from "
            f"{fmt_num(level['mde_pct'].min())}% to {fmt_num(level['mde_pct'].max())}% "
            "upwards, depending on the series and date."
        )
    if len(package):
        if horizon is None:
            last, when = package[package["end"]], "at the last quarter of each series"
        else:
            last, when = package[package["horizon"] == horizon], f"{horizon} quarters on"
        k = int(((last["ci_low_pct"] > 0) | (last["ci_high_pct"] < 0)).sum())
        out.append(
            f"The reforms together, {when}: {k} of {len(last)} "
            "series differ from the no-reform counterfactual with a 95% CI excluding zero."
        )
    a0 = alone[alone["horizon"] == 0]
    if len(a0):
        k = int(((a0["ci_low_pct"] > 0) | (a0["ci_high_pct"] < 0)).sum())
        out.append(f"Fitted one date at a time, {k} of {len(a0)} level changes exclude zero.")
    return " ".join(out)
