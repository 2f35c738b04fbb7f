"""The view of the two-unit annual comparison (:mod:`rasso_research.studies.force_units`): the
treated units and their donor pools, the donors dropped for hygiene, the estimate under each
treatment of the part-exposed year and in each window, the minimum detectable effects against
the claimed change, in words generated from the tables; the figures of each unit with every
year on the axis, and the estimates by timing.

Every function takes the study's tables (or its result, read through its tables), so a
changed number changes the sentence."""

from __future__ import annotations

import textwrap

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rasso_research.constants import SYNTHETIC_METHODS
from rasso_research.report.format import fmt_num

from . import event_study, synthetic
from . import force as force_view
from .style import OKABE_ITO, RC, SOURCE_HO, figsize, legend_below

#: the words of each timing of the part-exposed year (with the year put in)
TIMING_WORDS = {
    "pre": "in the pre-period",
    "dropped": "left out",
    "treated": "as the first treated year",
}
#: the smallest text of the figures here, in points
TEXT_PT = 7


def _ci(r) -> str:
    """The 95% CI of a row (a mapping) and where it lies."""
    where = (
        "above zero" if r["ci_low"] > 0 else "below zero" if r["ci_high"] < 0 else "includes zero"
    )
    return f"95% CI {fmt_num(r['ci_low'])} to {fmt_num(r['ci_high'])}, {where}"


def _measure_words(series: str) -> str:
    """'Sexual offences: charges (closed in the year) per 100,000' -> the part after ': '."""
    return series.split(": ", 1)[-1]


def describe_timing_choice(primary: str, year: str, months: int, base_year: str) -> str:
    """Markdown: which treatment of the part-exposed ``year`` is primary and why (``months`` of
    its 12 before the reform's date; ``base_year`` the year the claim's rise is measured from),
    and that the other two are in the timing table."""
    if not year:
        return "The reform's date opens a financial year: no year is part-exposed."
    why = {
        "pre": (
            f"{months} of its 12 months come before the reform, and a charge follows its "
            f"referral by weeks to months, so at most its last few months could show the "
            f"reform; it is also the year the "
            f"claimed rise is measured from ({base_year}), so with it in the pre-period the "
            "design asks the claim's own question (did the unit's rise from that year exceed "
            "the donors' rise from the same year?), and a trough the donors share is not "
            "credited to the reform. If the scheme was started because of the unit's own fall "
            "(a dip the donors do not share), part of any rebound is a return to normal: the "
            "row with the year left out is the check"
        ),
        "dropped": (
            f"{months} of its 12 months come before the reform and the rest after: leaving it "
            "out keeps a mixed year out of both periods, at the cost of the trough it holds"
        ),
        "treated": (
            f"its last {12 - months} months follow the reform: counting it as treated credits "
            f"(or blames) the reform for the whole year, its {months} earlier months included"
        ),
    }[primary]
    return (
        f"**Primary treatment of {year}: {TIMING_WORDS[primary]}.** {why[0].upper()}{why[1:]}. "
        "The timing table gives every estimate under all three treatments."
    )


# ---- units and donors -------------------------------------------------------------------------
def describe_units(donors: pd.DataFrame, labels: dict) -> str:
    """Markdown: each treated unit (``labels``: name -> words) and, per target series, its
    donors with the SDID weights above 0.05, and every donor excluded or dropped with why."""
    lines = []
    for unit, du in donors.groupby("unit", sort=False):
        lines.append(f"**Treated unit: {labels.get(unit, unit)}.**")
        for series, d in du.groupby("series", sort=False):
            used = d[d["status"] == "donor"].sort_values("weight", ascending=False)
            big = used[used["weight"] > 0.05]
            top = ", ".join(f"{r.donor} {fmt_num(r.weight, 2)}" for r in big.itertuples())
            lines.append(
                f"- {_measure_words(series)}: {len(used)} donors ({', '.join(sorted(used['donor']))})"
                + (f"; synthetic-DiD weights above 0.05: {top}" if top else "")
                + "."
            )
            for status in ("excluded", "dropped"):
                o = d[d["status"] == status]
                if len(o):
                    why = "; ".join(f"{r.donor} ({r.reason})" for r in o.itertuples())
                    lines.append(f"  - {status.capitalize()}: {why}.")
            kept = used[used["reason"] != ""]
            if len(kept):
                why = "; ".join(f"{r.donor} ({r.reason})" for r in kept.itertuples())
                lines.append(f"  - Flagged but kept: {why}.")
    return "\n".join(lines)


def describe_hygiene(hyg: pd.DataFrame, threshold: float, window: str = "primary") -> str:
    """Markdown: the hygiene rule and, per treated unit, the donors it lists in ``window``:
    those with a year the not-supplied rule or the source flags, and those with a |log change|
    above ``threshold`` (with the values), dropped or kept; the treated unit's own jumps."""
    h = hyg[hyg["window"] == window]
    lines = [
        f"Hygiene rule: a donor is dropped from a series when a year is not supplied or flagged "
        f"by the source, or when its rate per 100,000 changes by more than a factor of "
        f"{fmt_num(np.exp(threshold), 3)} from one year to the next (|log change| > "
        f"{fmt_num(threshold, 3)}), up to the {window} window's last year."
    ]
    for unit, g in h.groupby("treated_unit", sort=False):
        don = g[~g["treated"]]
        gaps = don[don["rule"] != "jump"]
        jumps = don[don["rule"] == "jump"]
        kept = jumps.loc[~jumps["dropped"], "unit"].unique()
        lines.append(
            f"- **{unit}:** {don['unit'].nunique()} donors listed "
            f"({don.loc[don['dropped'], 'unit'].nunique()} dropped). Not supplied or flagged: "
            + (_years(gaps) or "none")
            + ". A jump above the threshold: "
            + (_jumps(jumps) or "none")
            + "."
            + (f" Kept by choice: {', '.join(kept)}." if len(kept) else "")
        )
        own = g[g["treated"] & (g["rule"] == "jump")]
        if len(own):
            lines.append(f"  - {unit} itself (kept, the treated unit): {_jumps(own)}.")
    return "\n".join(lines)


def _short(series: str) -> str:
    """'Sexual offences: charges (closed in the year) per 100,000' -> 'closed'/'cohort'."""
    return "cohort" if "recorded in the year" in series else "closed"


def _years(d: pd.DataFrame) -> str:
    """'Cumbria (cohort 2014/15), ...' for the not-supplied or flagged donor-years."""
    return "; ".join(
        f"{u} ({', '.join(f'{_short(r.series)} {r.fiscal_year}' for r in g.itertuples())})"
        for u, g in d.groupby("unit", sort=True)
    )


def _jumps(d: pd.DataFrame) -> str:
    """'Kent (closed 2015/16: 24.7 -> 8.56), ...' for the donor-years above the threshold."""
    return "; ".join(
        f"{u} ("
        + ", ".join(
            f"{_short(r.series)} {r.fiscal_year}: {fmt_num(r.previous)} -> {fmt_num(r.value)}"
            for r in g.itertuples()
        )
        + ")"
        for u, g in d.groupby("unit", sort=True)
    )


# ---- timing, windows and power ------------------------------------------------------------
def describe_timing(tab: pd.DataFrame, primary: str, method: str = "sdid") -> str:
    """Markdown: for each unit and target series, the ``method`` estimate of the primary
    window under each treatment of the part-exposed year (the primary first), and how many
    of all the primary-window estimates have a 95% CI away from zero."""
    t = tab[tab["window"] == "primary"]
    if t.empty:
        return "No primary-window estimate."
    year = t["part_year"].iloc[0]
    name = SYNTHETIC_METHODS.get(method, method)
    order = [primary, *[x for x in TIMING_WORDS if x != primary]]
    head = f"{year} under each treatment"
    if not year:  # no part-exposed year: the three timings are one design
        order, head = [primary], "No financial year is part-exposed, so one design"
    lines = [
        f"**{head} ({name}, primary window: from the first treated year to "
        f"{t['last_year'].iloc[0]}; effects per 100,000 a year):**"
    ]
    for (unit, series), g in t[t["method"] == method].groupby(["unit", "series"], sort=False):
        g = g.set_index("timing")
        parts = [
            (f"{year} {TIMING_WORDS[k]}{' (primary)' if k == primary else ''}: " if year else "")
            + f"{fmt_num(g.loc[k, 'estimate'])} ({_ci(g.loc[k])}; placebo p = "
            f"{fmt_num(g.loc[k, 'placebo_p'], 2)}; MDE {fmt_num(g.loc[k, 'mde'])})"
            for k in order
            if k in g.index
        ]
        lines.append(f"- {unit}, {_measure_words(series)}: " + "; ".join(parts) + ".")
    up, down = int((t["ci_low"] > 0).sum()), int((t["ci_high"] < 0).sum())
    p05 = int((t["placebo_p"] <= 0.05).sum())
    n_series = int(t.groupby("unit")["series"].nunique().max())
    lines.append(
        f"Of all {len(t)} primary-window estimates ({t['unit'].nunique()} units x {n_series} "
        f"series x {t['timing'].nunique()} timings x {t['method'].nunique()} methods), {up} "
        f"have a 95% CI above zero, {down} below zero, and {p05} a placebo p <= 0.05."
    )
    return "\n".join(lines)


def describe_windows(tab: pd.DataFrame, primary: str, why: str, method: str = "sdid") -> str:
    """Markdown: the primary window against the longer (secondary) one for each unit and
    target series, under the primary timing, with both MDEs."""
    t = tab[(tab["timing"] == primary) & (tab["method"] == method)]
    name = SYNTHETIC_METHODS.get(method, method)
    before = f" (before {why})" if why else ""
    lines = [f"**The primary window{before} and the longer, secondary one ({name}):**"]
    for (unit, series), g in t.groupby(["unit", "series"], sort=False):
        g = g.set_index("window")
        bits = []
        for w, words in (("primary", "primary"), ("long", "secondary")):
            if w in g.index:
                r = g.loc[w]
                bits.append(
                    f"{words} {r['first_year']}-{r['last_year']}: {fmt_num(r['estimate'])} "
                    f"({_ci(r)}; MDE {fmt_num(r['mde'])})"
                )
        lines.append(f"- {unit}, {_measure_words(series)}: " + "; ".join(bits) + ".")
    return "\n".join(lines)


def describe_power(tab: pd.DataFrame, primary: str, reading: str, method: str = "sdid") -> str:
    """Markdown: the claimed % change in per-100,000 units for each unit and series (from its
    level in the claim's base year and from its pre-period mean) against the primary design's
    MDE, and what the ratio means."""
    t = tab[(tab["timing"] == primary) & (tab["window"] == "primary") & (tab["method"] == method)]
    if t.empty:
        return "No primary estimate."
    r0 = t.iloc[0]
    name = SYNTHETIC_METHODS.get(method, method)
    lines = [
        f"**The claim against the MDE.** The claimed change (reading {reading} of "
        f"config/claims.csv: +{fmt_num(r0['claim_pct'])}% in charges), put in per-100,000 units "
        f"from each unit's own level, beside the primary {name} MDE:"
    ]
    t = t.assign(ratio=t["mde"] / t["claim_per_100k"])
    for r in t.itertuples():
        lines.append(
            f"- {r.unit}, {_measure_words(r.series)}: +{fmt_num(r.claim_pct)}% of its "
            f"{r.base_year} level ({fmt_num(r.base_level)}) is {fmt_num(r.claim_per_100k)} a "
            f"year ({fmt_num(r.claim_per_100k_pre_mean)} from its pre-period mean of "
            f"{fmt_num(r.pre_mean)}); MDE {fmt_num(r.mde)}, {fmt_num(r.ratio, 2)} "
            "times the claim."
        )
    big = t[t["ratio"] > 1]
    if len(big):
        lines.append(
            f"{len(big)} of {len(t)} MDEs are larger than the claimed change "
            f"({fmt_num(big['ratio'].min(), 2)} to {fmt_num(big['ratio'].max(), 2)} times "
            "it): a rise of the claimed size "
            "would there be told from none less often than 4 times in 5."
        )
    else:
        lines.append(f"All {len(t)} MDEs are smaller than the claimed change.")
    pre = t[t["mde"] > t["claim_per_100k_pre_mean"]]
    lines.append(
        f"Measured from the pre-period mean instead, {len(pre)} of {len(t)} MDEs are larger "
        "than the claimed change."
    )
    below = t[t["ci_high"] < t["claim_per_100k"]]
    lines.append(
        f"The 95% CI lies wholly below the claimed change in {len(below)} of {len(t)}"
        + (
            f" ({'; '.join(f'{r.unit}, {_short(r.series)}' for r in below.itertuples())})"
            if len(below)
            else ""
        )
        + f", and wholly above zero in {int((t['ci_low'] > 0).sum())}."
    )
    return "\n".join(lines)


# ---- figures ----------------------------------------------------------------------------------
def year_notes(res, unit: str, measure: str, window: str, timing: str | None, why: str):
    """The treated unit's years that ``window``'s fit under ``timing`` does not use, each with
    its note (left out as part-exposed; after the primary window), for drawing them anyway:
    period, treated (the unit's value), note."""
    c = res.fit(unit, timing, window)
    lv = res.levels[(res.levels["unit"] == unit) & (res.levels["measure"] == measure)]
    lv = lv[lv["fiscal_year"] <= res.windows["long"]].dropna(subset=["value"])
    rows = []
    for r in lv.itertuples():
        if r.fiscal_year in c.transition:
            rows.append((r.fiscal_year, r.value, f"{r.fiscal_year} left out (part-exposed)"))
        elif r.fiscal_year > res.windows["primary"]:
            note = "after the primary window" + (f" ({why})" if why else "")
            rows.append((r.fiscal_year, r.value, note))
    return pd.DataFrame(rows, columns=["period", "treated", "note"])


def plot_unit(res, unit: str, measure: str, why: str, kind: str = "sdid", **kw):
    """``unit``'s target series per 100,000 under the primary timing, every year on the axis:
    ``kind="sdid"`` (or ``"sc"``, ``"did"``) the primary window's synthetic comparison, the
    years it does not fit drawn hollow and shaded; ``"event"`` the longer window's event study,
    the years after the primary window shaded."""
    label = [s for s in res.fit(unit).fits if s.endswith("per 100,000") and _is(s, measure)][0]
    kw.setdefault("source", SOURCE_HO)
    kw.setdefault("text_size", TEXT_PT)
    if kind == "event":
        c = res.fit(unit, window="long")
        marks = year_notes(res, unit, measure, "long", None, why)
        e = c.events[label]
        ref = e.panel.times[e.panel.T0 + e.ref]
        kw.setdefault("xlabel", "Financial year")
        return event_study.plot(
            e,
            ylabel=f"Difference from the donors per 100,000, relative to {ref}",
            title=f"{unit}: {_measure_words(label)}, event study",
            marks=marks[["period", "note"]],
            **kw,
        )
    extra = year_notes(res, unit, measure, "primary", None, why)
    kw.setdefault("xlabel", "Financial year")
    return synthetic.plot(
        res.fit(unit).fits[label],
        kind,
        ylabel=label,
        extra=extra,
        title=f"(a) {unit} and its {SYNTHETIC_METHODS.get(kind, kind)} counterpart",
        **kw,
    )


def _is(series: str, measure: str) -> bool:
    words = {"charged_closed": "closed in the year", "charged_cohort": "recorded in the year"}
    return words.get(measure, measure) in series


def plot_timing(tab: pd.DataFrame, series: str, primary: str, width: str = "two", **kw):
    """The estimates of ``series`` (per 100,000) by unit (panels), timing and window (rows)
    and method (colours), with their 95% CIs, each design's MDE (a hollow diamond at +MDE)
    and the claimed change in the same units (dashed line)."""
    t = tab[tab["series"] == series]
    if t.empty:
        raise ValueError(f"no rows for series {series!r}; series: {sorted(tab['series'].unique())}")
    units = list(dict.fromkeys(t["unit"]))
    order = [primary, *[x for x in TIMING_WORDS if x != primary]]
    rows = [(w, k) for w in ("primary", "long") for k in order]
    methods = list(dict.fromkeys(t["method"]))
    colours = [OKABE_ITO[c] for c in ("blue", "vermillion", "bluish_green")]
    year = t["part_year"].iloc[0]
    if not year:  # no part-exposed year: the three timings are one design
        t, rows = t[t["timing"] == primary], [(w, primary) for w in ("primary", "long")]
    with mpl.rc_context(RC):
        w, _ = figsize(width)
        fig, axes = plt.subplots(1, len(units), figsize=(w, w * 0.5), sharey=True, squeeze=False)
        for ax, u in zip(axes[0], units, strict=True):
            _timing_panel(ax, t[t["unit"] == u], rows, methods, colours)
            ax.set_title(textwrap.fill(u, 40), loc="left", fontsize=TEXT_PT + 1)
            ax.set_xlabel("Effect per 100,000 a year", fontsize=TEXT_PT + 1)
        axes[0][0].set_yticks(range(len(rows)))
        axes[0][0].set_yticklabels(
            [
                f"{'primary' if win == 'primary' else 'longer'} window"
                + (f", {year} {TIMING_WORDS[k]}" if year else "")
                for win, k in rows
            ],
            fontsize=TEXT_PT,
        )
        axes[0][0].invert_yaxis()
        fig.tight_layout()
        handles = [
            mpl.lines.Line2D([], [], color=c, marker="o", ms=3, lw=1)
            for c in colours[: len(methods)]
        ]
        labels = [f"{SYNTHETIC_METHODS.get(m, m)} (95% CI)" for m in methods]
        handles += [
            mpl.lines.Line2D([], [], color="black", marker="D", mfc="white", ms=3, ls="none"),
            mpl.lines.Line2D([], [], color="black", ls="--", lw=0.9),
        ]
        labels += ["+MDE (80% power)", f"claimed change ({fmt_num(t['claim_pct'].iloc[0])}%)"]
        legend_below(
            fig, handles, labels, ncol=3, source=kw.get("source", SOURCE_HO), fontsize=TEXT_PT
        )
    return fig


def _timing_panel(ax, t: pd.DataFrame, rows, methods, colours) -> None:
    """One unit's estimates: a row per (window, timing), a vertical offset per method."""
    off = np.linspace(-0.25, 0.25, len(methods))
    for i, (win, k) in enumerate(rows):
        g = t[(t["window"] == win) & (t["timing"] == k)].set_index("method")
        for j, m in enumerate(methods):
            if m not in g.index:
                continue
            r, y = g.loc[m], i + off[j]
            ax.plot([r["ci_low"], r["ci_high"]], [y, y], color=colours[j], lw=1)
            ax.plot(r["estimate"], y, "o", color=colours[j], ms=3)
            ax.plot(r["mde"], y, "D", mfc="white", color=colours[j], ms=3)
    ax.axvline(0, color="black", lw=0.7)
    ax.axvline(t["claim_per_100k"].iloc[0], color="black", lw=0.9, ls="--")
    ax.axhline(len(rows) / 2 - 0.5, color="#BBBBBB", lw=0.6)
    ax.tick_params(labelsize=TEXT_PT)


# ---- the quarterly prosecution series ---------------------------------------------------------
def _named(text: str, series: pd.DataFrame) -> str:
    """``text`` with each series' measure name replaced by its label and role."""
    for r in series.itertuples():
        tag = " (negative control)" if r.role == "negative control" else ""
        text = text.replace(f"`{r.series}`", f"`{r.label}`{tag}")
        text = text.replace(r.series, f"{r.label}{tag}")
    return text


def describe_prosecution(pc) -> str:
    """Markdown of a :class:`~rasso_research.studies.force_quarterly.ProsecutionComparison`:
    which prosecution series the panel holds, then each unit's feasibility, own ITS, controlled
    terms and placebos (series by label, negative controls named)."""
    s = pc.series
    held, absent = s[s["held"]], s[~s["held"]]
    lines = [
        f"**Quarterly prosecution series in the panel:** {len(held)} of {len(s)} candidates: "
        + "; ".join(f"{r.label} ({r.role})" for r in held.itertuples())
        + "."
    ]
    if len(absent):
        lines.append(
            "Not in the panel (their counts come with the official outcomes releases): "
            + "; ".join(r.label for r in absent.itertuples())
            + "."
        )
    for unit, c in pc.by_unit.items():
        pools = c.pools
        lines.append(f"\n**{unit}**")
        for r in pools.itertuples():
            bits = [f"{r.n_controls} controls"]
            if r.excluded:
                bits.append(f"excluded: {r.excluded}")
            if r.dropped_for_gaps:
                bits.append(f"dropped for a missing quarter: {r.dropped_for_gaps}")
            lines.append(f"- `{r.series}`: " + "; ".join(bits) + ".")
        lines.append(force_view.describe_area_feasibility(c))
        lines.append(force_view.describe_area(c))
    return _named("\n".join(lines), s)
