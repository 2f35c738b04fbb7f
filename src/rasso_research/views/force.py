"""The view of the force comparison (:mod:`rasso_research.studies.force`): the area's
effects, controlled terms and placebos in words and its comparison figure; the annual
comparison's estimates in words and its synthetic-DiD and event-study figures."""

from __future__ import annotations

import pandas as pd

from rasso_research.report.format import fmt_num

from . import controlled_its, event_study, national_its, synthetic
from .text import describe_feasibility as _feasibility


def describe_force_year(
    eff: pd.DataFrame, force: str, first_year: str, others: str = "the other forces"
) -> str:
    """Markdown: the target offence group's estimates (synthetic DiD first) beside the
    negative controls', with the minimum detectable effects (of the rates, where the table
    has both scales), and what the data cannot show."""
    if eff.empty:
        return f"No annual series could be modelled for {force}."
    sd = eff[eff["method"] == "sdid"] if (eff["method"] == "sdid").any() else eff
    lines = [f"**{force} from {first_year}, against {others} (synthetic DiD):**"]
    for r in sd.itertuples():
        ci = "excludes" if (r.ci_low > 0 or r.ci_high < 0) else "includes"
        tag = " (negative control)" if r.role == "negative control" else ""
        lines.append(
            f"- {r.series}{tag}: {fmt_num(r.estimate)} a year (95% placebo CI "
            f"{fmt_num(r.ci_low)} to {fmt_num(r.ci_high)}, {ci} zero; placebo p = "
            f"{fmt_num(r.placebo_p, 2)}); MDE {fmt_num(r.mde)} from {r.n_pre} pre-years and "
            f"{r.n_post} post-years."
        )
    lines += _force_year_counts(sd, eff)
    return "\n".join(lines)


def _excl(d: pd.DataFrame) -> pd.Series:
    return (d["ci_low"] > 0) | (d["ci_high"] < 0)


def _force_year_counts(sd: pd.DataFrame, eff: pd.DataFrame) -> list[str]:
    """The k-of-n sentences of :func:`describe_force_year`: the target series per 100,000
    (primary; counts apart, secondary) and the negative controls, each counted by 95% placebo
    CI excluding zero and by placebo p <= 0.05, from the rows listed above them."""
    rate = sd["per_100k"].astype(bool) if "per_100k" in sd else pd.Series(True, sd.index)
    tgt, counts = sd[(sd["role"] == "target") & rate], sd[(sd["role"] == "target") & ~rate]
    neg = sd[sd["role"] == "negative control"]
    out = []

    def count(d) -> str:
        return (
            f"{int(_excl(d).sum())} of {len(d)} with a 95% placebo CI excluding zero, "
            f"{int((d['placebo_p'] <= 0.05).sum())} with placebo p <= 0.05"
        )

    found = tgt[_excl(tgt)]
    if len(tgt):
        text = f"Target series per 100,000 (primary): {count(tgt)}"
        if len(found):
            text += (
                " ("
                + "; ".join(
                    f"{r.series}, {'below' if r.estimate < 0 else 'above'} its synthetic counterpart"
                    for r in found.itertuples()
                )
                + ")"
            )
        else:
            text += (
                f"; with {int(tgt['n_pre'].min())} pre-years the smallest detectable change is "
                f"{fmt_num(tgt['mde'].min())} to {fmt_num(tgt['mde'].max())} per 100,000 a year, "
                "so a smaller effect cannot be told from none"
            )
        out.append(text + ".")
    if len(counts):
        out.append(f"Target series as counts (secondary): {count(counts)}.")
    if len(neg):
        both = len(found) and _excl(neg).any()
        out.append(
            f"Of the negative-control series: {count(neg)}"
            + (
                "; the target and a control moved alike, so a force-wide change, not a "
                "RASSO-specific one, is the simpler reading."
                if both
                else "."
            )
        )
    if eff["method"].nunique() > 1:
        allt, alln = eff[eff["role"] == "target"], eff[eff["role"] == "negative control"]
        tail = f"; negative controls: {count(alln)}" if len(alln) else ""
        out.append(
            f"Over all {eff['method'].nunique()} methods (rates and counts), target estimates: "
            f"{count(allt)}{tail}."
        )
    return out


def describe_area(cmp) -> str:
    """Markdown of an :class:`~rasso_research.studies.force.AreaComparison`: the area's own
    effects, then the controlled terms and the placebo p-values."""
    if not cmp.single:
        return "No series has enough quarters on both sides: nothing was modelled."
    return (
        national_its.describe_effects(cmp.effects())
        + "\n\nControlled design and placebos:\n\n"
        + controlled_its.describe_controlled(cmp.table(), cmp.placebo_summary(), _units(cmp))
    )


def _units(cmp) -> str:
    """What the area's controls are, in words."""
    return "CPS Areas" if getattr(cmp, "geography", "force") == "cps_area" else "forces"


def describe_area_feasibility(cmp) -> str:
    """Which of the area's series have enough quarters on each side."""
    return _feasibility(cmp.feasibility_table, cmp.min_pre, cmp.min_post)


def plot_area(cmp, measure: str, comparison: bool = True, **kw):
    """The area's ITS panel of ``measure`` over the control areas, beside the placebo
    distribution (``comparison=False``: the single-area panel alone)."""
    fit = cmp.single[measure]
    ylabel = kw.pop("ylabel", None) or fit.ylabel
    marks = {cmp.name: cmp.interruption}
    if not comparison:
        kw.setdefault("title", f"{cmp.area}: {ylabel}")
        return national_its.plot_fit(fit, ylabel=ylabel, marks=marks, **kw)
    t = cmp.tables()
    ctrl = t["controls"][t["controls"]["series"] == measure]
    pl = t["placebo_space"][t["placebo_space"]["series"] == measure]
    kw.setdefault("units", _units(cmp))
    return controlled_its.plot_area_comparison(
        fit.counterfactual(), ctrl, pl, ylabel, cmp.area, marks, **kw
    )


def describe_annual(fy) -> str:
    """Markdown of a :class:`~rasso_research.studies.force.ForceYearComparison`: the
    estimates of every series and method, then the event study of each target series."""
    others = "the other CPS Areas" if fy.geography == "cps_area" else "the other forces"
    text = describe_force_year(fy.effects(), fy.force, fy.first_year, others)
    targets = fy.info.loc[fy.info["role"] == "target", "series"]
    return "\n\n".join([text, *(event_study.describe(fy.events[t]) for t in targets)])


def plot_annual(fy, label: str, method: str = "sdid", **kw):
    """The synthetic comparison of one annual series (``method="event"``: its event study)."""
    left_out = f" ({', '.join(fy.transition)} left out: part-exposed)" if fy.transition else ""
    kw.setdefault("xlabel", f"Financial year{left_out}")
    if method == "event":
        e = fy.events[label]
        ref = e.panel.times[e.panel.T0 + e.ref]
        unit = " per 100,000" if label.endswith("per 100,000") else ""
        ylabel = f"Difference from the other forces{unit}, relative to {ref}"
        return event_study.plot(e, ylabel=ylabel, title=label, **kw)
    return synthetic.plot(fy.fits[label], method, ylabel=label, **kw)
