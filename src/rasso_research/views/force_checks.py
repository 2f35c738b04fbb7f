"""The view of the force checks (:mod:`rasso_research.studies.force_checks`): the triple
difference's estimates in words, in % of the control-group ratio, with the donors it lost to
missing years, and its synthetic-comparison figure. The rebound placebo's view is
:mod:`rasso_research.views.rebound`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasso_research.constants import SYNTHETIC_METHODS
from rasso_research.report.format import fmt_num, fmt_pct

from . import event_study, synthetic


def _pct(x: float) -> str:
    """Log points as a % change of the ratio: exp(x) - 1."""
    return fmt_pct(100 * np.expm1(x))


def _excludes(r) -> bool:
    return r.ci_low > 0 or r.ci_high < 0


def describe_triple_effects(eff: pd.DataFrame, force: str, first_year: str) -> str:
    """Markdown: what the differenced series is, each series x method estimate as a % change
    of the target-to-controls ratio beyond the donors' (95% placebo CI, placebo p, MDE), the
    counts of CIs excluding zero and of placebo p <= 0.05, and the donors left out for a
    missing year."""
    if eff.empty:
        return f"No triple difference could be fitted for {force}."
    first = eff.iloc[0]
    lines = [
        f"**{force} from {first_year}: {first['target']} against the force's own negative-"
        f"control groups (triple difference).** The outcome is the log of the force's charges "
        f"for {first['target'].lower()} less {first['controls']}, so a change common to every offence group of a force (a force-wide shift) "
        "cancels; the designs then compare it with the donor forces' same ratio."
    ]
    for r in eff.itertuples():
        name = SYNTHETIC_METHODS.get(r.method, r.method)
        lines.append(
            f"- {r.series}, {name}: {_pct(r.estimate)} ({fmt_num(r.estimate, 2)} log points; 95% "
            f"placebo CI {_pct(r.ci_low)} to {_pct(r.ci_high)}, "
            f"{'excludes' if _excludes(r) else 'includes'} zero; placebo p = "
            f"{fmt_num(r.placebo_p, 2)} over {r.n_placebos} donors); MDE "
            f"{fmt_num(r.mde, 2)} log points ({r.n_pre} pre-years, {r.n_post} post-years, "
            f"{r.n_donors} donors)."
        )
    n_ci = sum(_excludes(r) for r in eff.itertuples())
    n_p = int((eff["placebo_p"] <= 0.05).sum())
    lines.append(
        f"Of {len(eff)} estimates, {n_ci} have a 95% CI excluding zero and {n_p} a placebo "
        "p <= 0.05."
    )
    if n_p > n_ci:
        lines.append(
            "The placebo p ranks the ratio of post- to pre-period fit error, which grows with a "
            "departure of either sign in any post-year; beside intervals for the average that "
            f"include zero ({n_p - n_ci} more estimates with p <= 0.05 than with a CI excluding "
            "zero), it points to post-years out of line with the fit, or to an unusually close "
            "pre-period fit, rather than to a sustained shift of the average."
        )
    if n_ci == 0:
        lines.append(
            "With the force's own control groups netted out, no estimate excludes zero: a "
            f"change specific to {first['target'].lower()} smaller than the MDEs "
            f"({fmt_num(eff['mde'].min(), 2)} to {fmt_num(eff['mde'].max(), 2)} log points) "
            "cannot be told from none."
        )
    for r in eff.drop_duplicates("series").itertuples():
        if r.dropped_donors:
            n = len(r.dropped_donors.split("; "))
            lines.append(
                f"Left out of the donors of *{r.series}* for a missing year (the designs need "
                f"every year): {n} force(s): {r.dropped_why}."
            )
    return "\n".join(lines)


def describe_triple(result) -> str:
    """Markdown of a :class:`~rasso_research.studies.force_checks.TripleDifference`: the
    estimates, then each series' event study."""
    text = describe_triple_effects(result.effects(), result.force, result.first_year)
    return "\n\n".join([text, *(event_study.describe(e) for e in result.events.values())])


def plot_triple(result, label: str, method: str = "sdid", **kw):
    """The synthetic comparison of one differenced series (``method="event"``: its event
    study)."""
    left_out = f" ({', '.join(result.transition)} left out)" if result.transition else ""
    kw.setdefault("xlabel", f"Financial year{left_out}")
    ylabel = f"log {result.target.lower()} less log controls"
    if method == "event":
        return event_study.plot(result.events[label], ylabel=ylabel, title=label, **kw)
    return synthetic.plot(result.fits[label], method, ylabel=ylabel, **kw)
