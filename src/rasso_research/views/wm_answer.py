"""Notebook 03's conclusion for a force's reform against the claims made for it (the West
Midlands answer): the claim and its basis (``config/claims.csv``), each design's estimates on
each treated unit and window, the MDEs against the claimed change, the negative controls, the
rebound placebo, the triple difference, and what the data cannot show. Every sentence is built
from the table it summarises (the units' timing table, the primary design's effects of every
series, the rebound placebo's rows, the triple difference's effects, the claim readings), and
every "k of n" counts that table's rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasso_research.constants import SYNTHETIC_METHODS
from rasso_research.report.format import fmt_num, fmt_pct

from .force_units import TIMING_WORDS

#: the placebo p (and placebo rate) at or below which a result is called rare
ALPHA = 0.05
#: the claim readings the conclusion quotes, in order (6i is the start of 6b's share)
CLAIM_IDS = ("6a", "6b", "6c", "6d")
#: the readings whose published values cannot share one basis: referrals, the charged share's
#: start and end, the charges' rise
ARITHMETIC = {"referrals": "6a", "start": "6i", "end": "6b", "charges": "6d"}
WINDOW_WORDS = {"primary": "primary window", "long": "longer window (secondary)"}
#: the windows as adjectives
WINDOW_ADJ = {"primary": "primary-window", "long": "longer-window (secondary)"}


def _measure(series: str) -> str:
    """'Sexual offences: charges (closed in the year) per 100,000' -> 'charges (closed in the
    year)'."""
    return series.split(": ", 1)[-1].removesuffix(" per 100,000")


def _plain(series: str) -> str:
    """A series' measure for running text: 'charges closed in the year', 'charges for
    offences recorded in the year'."""
    m = _measure(series)
    return m.replace("charges (offences", "charges for offences").replace(" (", " ").rstrip(")")


def _change(pct: float) -> str:
    """'rose 34.7%' or 'fell 14.9%'."""
    return f"{'rose' if pct > 0 else 'fell'} {fmt_num(abs(pct))}%"


def _v(k: int, one: str, many: str) -> str:
    """The verb agreeing with a count: ``_v(1, "has", "have")`` -> "has"."""
    return one if k == 1 else many


def _interval(r, fmt=fmt_num) -> str:
    return f"95% CI {fmt(r['ci_low'])} to {fmt(r['ci_high'])}"


def _p(p) -> str:
    return "p n/a" if not np.isfinite(p) else f"p = {fmt_num(p, 2)}"


def _above(d: pd.DataFrame) -> pd.Series:
    return d["ci_low"] > 0


def _below(d: pd.DataFrame) -> pd.Series:
    return d["ci_high"] < 0


def _log_pct(x: float) -> str:
    """Log points as the % change of a ratio."""
    return fmt_pct(100 * np.expm1(x))


def _range(s: pd.Series, digits: int = 3) -> str:
    lo, hi = fmt_num(s.min(), digits), fmt_num(s.max(), digits)
    return lo if lo == hi else f"{lo} to {hi}"


# ---- the claim --------------------------------------------------------------------------------
def describe_claim(readings: pd.DataFrame, claim: dict) -> str:
    """Markdown: the claims quoted from ``readings`` (``config/claims.csv`` indexed by id; the
    ids of :data:`CLAIM_IDS` present), their basis (each reading's ``measure``), why they cannot
    share one basis (:func:`charges_arithmetic`), and which reading the designs test
    (``claim``: ``reading``, ``pct``, ``base_year`` of the units comparison)."""
    ids = [i for i in CLAIM_IDS if i in readings.index]
    if not ids:
        return f"**What was claimed.** Reading {claim['reading']}: +{fmt_num(claim['pct'])}%."
    r0 = readings.loc[ids[0]]
    quotes = "; ".join(f'"{readings.loc[i, "claim"]}" ({i})' for i in ids)
    bases = "; ".join(
        f"{i}: {readings.loc[i, 'measure']}, {readings.loc[i, 'periods']}" for i in ids
    )
    out = [
        f"**What was claimed, and on what basis.** {r0['who']} ({r0['date']}): {quotes}. "
        f"The basis is the CPS Area's own figures ({bases}), which count the CPS's cases across "
        "all the forces the Area serves."
    ]
    arith = charges_arithmetic(readings)
    if arith:
        out.append(arith)
    out.append(
        f"The designs of this notebook test reading {claim['reading']} (+{fmt_num(claim['pct'])}%) on "
        "the nearest series the data hold for every area and year: police-recorded "
        "sexual-offence charges per 100,000 (Home Office outcomes, financial years), with "
        f"{claim['base_year']} as the claim's base year; the claim's figures themselves are "
        "checked in the claims ledger (notebook 06)."
    )
    return " ".join(out)


def charges_arithmetic(readings: pd.DataFrame) -> str:
    """The sentence saying that referrals x(1 + 6a) with the charged share 6i -> 6b would mean
    charges x(1 + 6a) 6b/6i, against 6d's rise; "" when a reading is missing."""
    ids = ARITHMETIC
    if any(i not in readings.index for i in ids.values()):
        return ""
    v = {k: float(readings.loc[i, "published_value"]) for k, i in ids.items()}
    if not v["start"]:
        return ""
    k = 1 + v["referrals"] / 100
    implied = k * v["end"] / v["start"]
    return (
        f"Taken on one basis they disagree: referrals x{fmt_num(k, 4)} ({ids['referrals']}) "
        f"with the charged share rising from {fmt_num(v['start'])}% ({ids['start']}) to "
        f"{fmt_num(v['end'])}% ({ids['end']}) would mean charges x{fmt_num(implied)} "
        f"({fmt_pct(100 * (implied - 1))}), not the {fmt_pct(v['charges'])} of "
        f"{ids['charges']}: the figures count different cases or periods."
    )


# ---- what the designs found -------------------------------------------------------------------
def describe_findings(
    tab: pd.DataFrame, primary: str, method: str = "sdid", labels: dict | None = None
) -> str:
    """Markdown: under the ``primary`` timing, each unit's ``method`` estimate of each series
    in each window (per 100,000 a year, 95% placebo CI, placebo p, donors), then per window the
    counts over every method: CIs above and below zero, placebo p <= 0.05, negative."""
    t = tab[tab["timing"] == primary]
    if t.empty:
        return "**What the designs found.** No estimate under the primary timing."
    labels = labels or {}
    year = t["part_year"].iloc[0]
    how = f"{year} {TIMING_WORDS[primary]}, the primary treatment; " if year else ""
    name = SYNTHETIC_METHODS.get(method, method)
    lines = [
        f"**What the designs found** ({how}{name}; the change per 100,000 a year beyond the "
        "donors', with its 95% placebo CI and placebo-in-space p):"
    ]
    for unit, g in t.groupby("unit", sort=False):
        first = True
        for window in ("primary", "long"):
            w = g[(g["window"] == window) & (g["method"] == method)]
            if w.empty:
                continue
            bits = "; ".join(
                f"{_measure(r['series'])} {fmt_num(r['estimate'])} ({_interval(r)}; "
                f"{_p(r['placebo_p'])}; {int(r['n_donors'])} donors)"
                for _, r in w.iterrows()
            )
            r0 = w.iloc[0]
            lines.append(
                f"- {labels.get(unit, unit) if first else unit}, {WINDOW_WORDS[window]} "
                f"{r0['first_year']}-{r0['last_year']}: {bits}."
            )
            first = False
    for window in ("primary", "long"):
        w = t[t["window"] == window]
        if len(w):
            lines.append(_counts(w, window))
    o = tab[(tab["timing"] != primary) & (tab["window"] == "primary")]
    if year and len(o):
        up, down = int(_above(o).sum()), int(_below(o).sum())
        lines.append(
            f"With {year} "
            + " or ".join(TIMING_WORDS[k] for k in dict.fromkeys(o["timing"]))
            + f" instead (the timing table), {up} of the {len(o)} primary-window estimates "
            f"{_v(up, 'has', 'have')} a 95% CI above zero and {down} below zero."
        )
    return "\n".join(lines)


def _counts(w: pd.DataFrame, window: str) -> str:
    """One window's counts over every unit, series and method."""
    n, up, down = len(w), int(_above(w).sum()), int(_below(w).sum())
    shape = (
        f"{w['unit'].nunique()} units x {w['series'].nunique()} series x "
        f"{w['method'].nunique()} methods"
    )
    neg, low = int((w["estimate"] < 0).sum()), int((w["placebo_p"] <= ALPHA).sum())
    text = (
        f"Of the {n} {WINDOW_ADJ[window]} estimates ({shape}), {neg} {_v(neg, 'is', 'are')} "
        f"negative; {up} {_v(up, 'has', 'have')} a 95% CI above zero and {down} below zero"
        + (f" ({_which(w[_below(w)])})" if down else "")
        + f"; {low} {_v(low, 'has', 'have')} a placebo p <= {fmt_num(ALPHA, 2)}."
    )
    if up == 0:
        return text + " None shows a rise beyond the donors'."
    return text + f" A rise beyond the donors' in: {_which(w[_above(w)])}."


def _which(d: pd.DataFrame) -> str:
    """'West Midlands, charges (...), DiD; ...' for rows of a table."""
    return "; ".join(
        f"{r.unit}, {_measure(r.series)}, {SYNTHETIC_METHODS.get(r.method, r.method)}"
        for r in d.itertuples()
    )


# ---- could the designs have detected the claim? ------------------------------------------------
def describe_detectable(tab: pd.DataFrame, primary: str, method: str = "sdid") -> str:
    """Markdown: the claimed change in per-100,000 units beside each unit and series' primary
    ``method`` MDE, then over every method of the primary window and timing how many MDEs
    exceed the claimed change and how many 95% CIs lie wholly below it."""
    t = tab[(tab["timing"] == primary) & (tab["window"] == "primary")]
    if t.empty:
        return "**Could the designs have detected the claimed change?** No primary estimate."
    sd = t[t["method"] == method]
    r0 = t.iloc[0]
    per = "; ".join(
        f"{r.unit}, {_measure(r.series)}: {fmt_num(r.claim_per_100k)} against an MDE of "
        f"{fmt_num(r.mde)} ({fmt_num(r.mde / r.claim_per_100k, 2)} times)"
        for r in sd.itertuples()
    )
    n = len(t)
    big = t[t["mde"] > t["claim_per_100k"]]
    below = t[t["ci_high"] < t["claim_per_100k"]]
    out = [
        f"**Could the designs have detected the claimed change?** +{fmt_num(r0['claim_pct'])}% "
        f"of each unit's {r0['base_year']} level, per 100,000 a year, against the primary "
        f"{SYNTHETIC_METHODS.get(method, method)} MDE (80% power, 5% two-sided): {per}."
    ]
    if len(big) == n:
        out.append(
            f"All {n} primary-window MDEs (every unit, series and method) exceed the claimed "
            f"change ({_range(big['mde'] / big['claim_per_100k'], 2)} times it): no design "
            "here could be relied on to detect a rise of the claimed size, which would be "
            "missed more than 1 time in 5."
        )
    elif big.empty:
        out.append(
            f"All {n} primary-window MDEs are below the claimed change: a rise of the claimed "
            "size would have been detected at least 4 times in 5."
        )
    else:
        out.append(
            f"{len(big)} of {n} primary-window MDEs exceed the claimed change (a rise of that "
            f"size would there be missed more than 1 time in 5); {n - len(big)} {_v(n - len(big), 'is', 'are')} below it."
        )
    negative = " (every estimate is negative, so even these wide intervals end below it)"
    out.append(
        f"In {len(below)} of {n} the 95% CI lies wholly below the claimed change"
        + (
            ": a rise of the claimed size beyond the donors' lies outside every interval"
            + (negative if (t["estimate"] < 0).all() else "")
            + "."
            if len(below) == n
            else (
                ", where a rise of that size lies outside the interval; in the rest it does not."
                if len(below)
                else ": no interval rules out a rise of the claimed size."
            )
        )
    )
    return " ".join(out)


# ---- the negative controls ----------------------------------------------------------------------
def describe_negative_controls(eff: pd.DataFrame, alpha: float = ALPHA) -> str:
    """Markdown: per treated unit (column ``treated``), over the primary design's rates per
    100,000, how many target and negative-control estimates (series x method) have a placebo
    p <= ``alpha``, a 95% CI excluding zero, and a negative sign; a unit whose donors allow no
    placebo p <= ``alpha`` (``min_p``) is said to, and left out of the comparison of p-values;
    what the counts say."""
    e = _rates(eff)
    lines = [
        "**The negative controls** (offence groups the scheme did not target, in the primary "
        "design; estimates are series x method, rates per 100,000):"
    ]
    p_counts = {"target": [0, 0], "negative control": [0, 0]}  # p <= alpha, n
    signs = {"target": [0, 0], "negative control": [0, 0]}  # negative, n
    for unit, g in e.groupby("treated", sort=False):
        floor = g["min_p"].min() if "min_p" in g else np.nan
        can = not (np.isfinite(floor) and floor > alpha)
        parts = []
        for role, words in (("target", "target"), ("negative control", "negative-control")):
            d = g[g["role"] == role]
            k, neg = int((d["placebo_p"] <= alpha).sum()), int((d["estimate"] < 0).sum())
            if can:
                p_counts[role] = [p_counts[role][0] + k, p_counts[role][1] + len(d)]
            signs[role] = [signs[role][0] + neg, signs[role][1] + len(d)]
            parts.append(
                f"{k} of {len(d)} {words} estimates with placebo p <= {fmt_num(alpha, 2)}, "
                f"{int((_above(d) | _below(d)).sum())} with a 95% CI excluding zero, {neg} "
                "negative"
            )
        tail = (
            ""
            if can
            else f" Its donors allow no placebo p below {fmt_num(floor, 2)}, so none of its "
            f"estimates can reach {fmt_num(alpha, 2)}."
        )
        lines.append(f"- {unit}: " + "; ".join(parts) + "." + tail)
    lines.append(_p_verdict(p_counts, alpha) + " " + _sign_verdict(signs))
    return "\n".join(lines)


def _rates(eff: pd.DataFrame) -> pd.DataFrame:
    return eff[eff["per_100k"].astype(bool)] if "per_100k" in eff else eff


def _p_verdict(counts: dict, alpha: float) -> str:
    """The placebo p-values of targets against negative controls, over the units whose donors
    allow p <= alpha (counts: role -> [k, n])."""
    (kt, nt), (kn, nn) = counts["target"], counts["negative control"]
    a = fmt_num(alpha, 2)
    if not nt or not nn:
        return f"No unit's donors allow a placebo p <= {a} on both targets and controls."
    if kt == 0 and kn == 0:
        return f"Neither the target nor the negative controls reach p <= {a}."
    if kn / nn >= kt / nt:
        return (
            f"Where the donors allow it, the negative controls reach p <= {a} at least as often "
            f"as the target ({kn} of {nn} against {kt} of {nt}): the placebo p-values do not "
            "single out sexual offences."
        )
    return (
        f"Where the donors allow it, the target reaches p <= {a} more often than the negative "
        f"controls ({kt} of {nt} against {kn} of {nn})."
    )


def _sign_verdict(signs: dict) -> str:
    """Whether most target and negative-control estimates share a sign (role -> [neg, n])."""
    (nt_neg, nt), (nn_neg, nn) = signs["target"], signs["negative control"]
    if not nt or not nn:
        return ""
    if (nt_neg > nt / 2) != (nn_neg > nn / 2):
        return "Target and negative-control estimates mostly differ in sign."
    if nt_neg > nt / 2:
        kt, kn, sign = nt_neg, nn_neg, "negative"
    else:
        kt, kn, sign = nt - nt_neg, nn - nn_neg, "zero or positive"
    return (
        f"Most target and negative-control estimates share their sign ({sign}: {kt} of {nt} "
        f"and {kn} of {nn}): the other offence groups' charging moved the same way against the "
        "donors, which points to a change across the unit's offence groups rather than one "
        "specific to sexual offences."
    )


# ---- the rebound placebo and the triple difference ---------------------------------------------
def _not_for(units, done) -> str:
    rest = [u for u in units if u not in set(done)]
    return f"; not computed for {', '.join(rest)}" if rest else ""


def describe_rebound_check(reb: pd.DataFrame, alpha: float = ALPHA, units=()) -> str:
    """Markdown: per series of the rebound placebo's effects rows, the trough against its own
    trend, the change after it, and k of n donor years at least as far below trend that rose
    at least as much, with what that rate means (too few donor years: no rate); ``units`` the
    treated units, those without a row named."""
    if reb.empty:
        return "**The rebound placebo.** Not computed."
    lines = [
        f"**The rebound placebo** ({', '.join(reb['treated'].unique())}"
        f"{_not_for(units, reb['treated'])}; regression to the mean: how often a donor year at "
        "least as far below its own trend was followed by a rise at least as large):"
    ]
    for _, r in reb.iterrows():
        dev = r["deviation_pct"]
        what = (
            f"- {_plain(r['series']).capitalize()}: {r['trough']} was {fmt_num(abs(dev))}% "
            f"{'below' if dev < 0 else 'above'} the trend of its {int(r['trend_years'])} years "
            f"before, then {_change(r['rebound_pct'])} to {r['next_period']}"
        )
        if not r["below_trend"]:
            lines.append(f"{what}: {r['trough']} is no trough.")
        elif r["rebound"] <= 0:
            lines.append(f"{what}: there was no rebound to explain.")
        elif not r["enough"]:
            lines.append(
                f"{what}; only {int(r['n_qualifying'])} donor years were at least as far below "
                "trend: too few for a rate."
            )
        else:
            k, n = int(r["n_at_least"]), int(r["n_qualifying"])
            verdict = (
                "a rise that large after a trough that deep is common among the donors, so "
                "regression to the mean can account for it without the scheme"
                if r["placebo_rate"] > alpha
                else "a rise that large after a trough that deep is rare among the donors, so "
                "regression to the mean alone is an unlikely explanation"
            )
            lines.append(
                f"{what}; {k} of {n} donor years at least as far below trend rose at least as "
                f"much ({fmt_num(100 * r['placebo_rate'], 2)}%): {verdict}."
            )
    return "\n".join(lines)


def describe_triple_check(tri: pd.DataFrame, units=()) -> str:
    """Markdown: per window of the triple difference's effects (columns ``window`` and
    ``unit``; ``first_year`` and ``last_year`` if present), how many estimates have a 95% CI
    including zero, the synthetic-DiD estimates as % changes of the target-to-controls ratio,
    and which exclude zero; ``units`` the treated units, those without rows named."""
    if tri.empty:
        return "**The triple difference.** Not computed."
    done = tri["unit"].unique() if "unit" in tri else []
    target = str(tri["target"].iloc[0]).lower() if "target" in tri else "the target group"
    lines = [
        f"**The triple difference** ({', '.join(done) or 'the force'}{_not_for(units, done)}: "
        f"charges for {target} against the force's own negative-control groups, then against "
        "the donors' same ratio, so a force-wide shift cancels; % change of the ratio):"
    ]
    for window, g in tri.groupby("window", sort=False):
        inc = g[~(_above(g) | _below(g))]
        sd = g[g["method"] == "sdid"] if (g["method"] == "sdid").any() else g
        est = "; ".join(
            f"{_measure(r['series'])} {_log_pct(r['estimate'])} "
            f"({_interval(r, _log_pct)}; MDE {fmt_num(r['mde'], 2)} log points)"
            for _, r in sd.iterrows()
        )
        out = g[_above(g) | _below(g)]
        tail = (
            " No estimate excludes zero: no change specific to the target group is found."
            if out.empty
            else " Excluding zero: "
            + "; ".join(
                f"{_measure(r.series)}, {SYNTHETIC_METHODS.get(r.method, r.method)} "
                f"{_log_pct(r.estimate)}"
                for r in out.itertuples()
            )
            + "."
        )
        years = (
            f" {g['first_year'].iloc[0]}-{g['last_year'].iloc[0]}"
            if {"first_year", "last_year"} <= set(g.columns)
            else ""
        )
        name = SYNTHETIC_METHODS.get(sd["method"].iloc[0], sd["method"].iloc[0])
        lines.append(
            f"- {WINDOW_WORDS.get(window, window)}{years}: {len(inc)} of {len(g)} estimates "
            f"{_v(len(inc), 'has', 'have')} a 95% CI including zero; {name}: {est}.{tail}"
        )
    return "\n".join(lines)


# ---- what the data cannot show, and the whole -------------------------------------------------
def describe_limits(tab: pd.DataFrame, primary: str, why: str = "") -> str:
    """Markdown: what the data cannot show, with the numbers of the timing table (pre-years,
    windows, the part-exposed year, the MDEs of the primary window) and ``why`` (the event the
    primary window stops before)."""
    t = tab[tab["timing"] == primary]
    p, lo = t[t["window"] == "primary"], t[t["window"] == "long"]
    year = t["part_year"].iloc[0] if len(t) else ""
    out = [
        "**What the data cannot show.** *Attribution:* each estimate is everything that changed "
        "in the unit against its donors in those years; the joint working cannot be told apart "
        "from any other change in the same force or Area (its policing, recording or case "
        "handling), and the negative controls only say whether the change was specific to "
        "sexual offences."
    ]
    if year:
        out.append(
            f"*The trough:* {year} was the base of the claimed rise; a rise from a low year can be "
            "a return to normal (regression to the mean). The rebound placebo says how common "
            "such rises are among the donors; it cannot say why the year was low."
        )
    if len(lo) and len(p) and lo["last_year"].max() > p["last_year"].max():
        out.append(
            f"*Later reforms:* the longer window ({lo['first_year'].iloc[0]}-"
            f"{lo['last_year'].iloc[0]}) goes beyond the event the primary window stops before"
            + (f" ({why})" if why else "")
            + " and holds the later national reforms and the recovery after Covid-19, so its "
            "estimates mix them with the joint working."
        )
    if len(p):
        out.append(
            f"*Power:* {_range(p['n_pre'], 2)} pre-years and {_range(p['n_post'], 2)} post-years "
            f"of the primary window give MDEs of {_range(p['mde'])} per 100,000 a year "
            f"(the claimed change: {_range(p['claim_per_100k'])}); a smaller effect cannot be "
            "told from none."
        )
    out.append(
        '*Basis:* "sexual offences" include every sexual offence, not rape alone, and police '
        "charge outcomes by financial year are not the CPS Area's RASSO charges over years to "
        "December; the referrals, charged share and conviction rate the claim also cites are "
        "not tested by these designs."
    )
    return " ".join(out)


def _in_short(tab: pd.DataFrame, primary: str, eff, reb, tri, alpha: float) -> str:
    """The answer in plain words, each clause from the flag of its table."""
    p = tab[(tab["timing"] == primary) & (tab["window"] == "primary")]
    up = p[_above(p)]
    bits = [
        f"none of the {len(p)} primary-window estimates ({p['unit'].nunique()} units x "
        f"{p['series'].nunique()} series x {p['method'].nunique()} methods) shows sexual-"
        "offence charges rising beyond the donors'"
        if up.empty
        else f"{len(up)} of {len(p)} primary-window estimates {_v(len(up), 'shows', 'show')} a "
        "rise beyond the donors'"
    ]
    coarse = bool((p["mde"] > p["claim_per_100k"]).all())
    under = bool((p["ci_high"] < p["claim_per_100k"]).all())
    if coarse:
        bits.append(
            "the designs are too coarse to be sure of detecting a rise of the claimed size"
            + (", yet every interval ends below it" if under else "")
        )
    elif under:
        bits.append("every interval ends below the claimed change")
    nc = _rates(eff)
    nc = nc[nc["role"] == "negative control"]
    if len(nc) and (nc["estimate"] < 0).mean() > 0.5 and (p["estimate"] < 0).mean() > 0.5:
        bits.append("the other offence groups fell against the donors too")
    ok = reb[reb["enough"].astype(bool) & (reb["rebound"] > 0)] if len(reb) else reb
    if len(ok) and (ok["placebo_rate"] > alpha).all():
        bits += [
            f"the rise in {_plain(r.series)} from the {r.trough} trough is of a size common "
            f"among donor years as far below trend ({int(r.n_at_least)} of "
            f"{int(r.n_qualifying)} rose as much)"
            for r in ok.itertuples()
        ]
    bits.append(_triple_short(tri))
    text = "; ".join(b for b in bits if b) + "."
    if up.empty and under:
        top = p["ci_high"].max()
        text += (
            " These data give no support to a rise of the claimed size beyond what comparable "
            "areas saw"
            + (
                f"; a smaller rise, up to {fmt_num(top)} per 100,000 a year, lies inside at "
                "least one interval"
                if top > 0
                else "; every interval lies below zero"
            )
            + ". Nothing here can credit or blame the joint working for a change."
        )
    return f"**In short:** {text[0].upper()}{text[1:]}"


def _triple_short(tri: pd.DataFrame) -> str:
    """The primary-window triple difference in one clause."""
    tp = tri[tri["window"] == "primary"] if len(tri) else tri
    if tp.empty:
        return ""
    up, down = int(_above(tp).sum()), int(_below(tp).sum())
    if up + down == 0:
        return "the triple difference finds no change specific to sexual offences"
    where = (
        "below zero" if not up else "above zero" if not down else f"{up} above zero, {down} below"
    )
    verb = "excludes" if up + down == 1 else "exclude"
    return (
        f"{up + down} of {len(tp)} primary-window triple-difference estimates {verb} zero ({where})"
    )


def describe_conclusion(
    readings: pd.DataFrame,
    claim: dict,
    tab: pd.DataFrame,
    primary: str,
    eff: pd.DataFrame,
    reb: pd.DataFrame,
    tri: pd.DataFrame,
    why: str = "",
    labels: dict | None = None,
    method: str = "sdid",
    alpha: float = ALPHA,
) -> str:
    """Markdown: notebook 03's conclusion from the claim readings (``readings``, ``claim``),
    the units' timing table (``tab``) under the ``primary`` timing, the primary design's
    effects of every series (``eff``), the rebound placebo's rows (``reb``) and the triple
    difference's effects (``tri``, column ``window``); ``why`` the event the primary window
    stops before, ``labels`` unit name -> words."""
    units = list(dict.fromkeys(tab["unit"]))
    parts = [
        describe_claim(readings, claim),
        describe_findings(tab, primary, method, labels),
        describe_detectable(tab, primary, method),
        describe_negative_controls(eff, alpha),
        describe_rebound_check(reb, alpha, units),
        describe_triple_check(tri, units),
        _in_short(tab, primary, eff, reb, tri, alpha),
        describe_limits(tab, primary, why),
    ]
    return "\n\n".join(x for x in parts if x)
