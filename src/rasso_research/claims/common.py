"""What every claim module uses: the registry of claims (``@claim``), the sources and bases
named in the ledger, the transcribed CPS figures read highest provenance tier first
(:func:`cps_figure`, :func:`cps_years`), and the helpers that turn readings into ledger rows."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pandas as pd

from rasso_research import periods
from rasso_research.data import catalog, provenance
from rasso_research.data.side_tables import cps_value
from rasso_research.report.format import fmt_num

from .inputs import ClaimInputs
from .ledger import CLAIM_LABELS, LEDGER_COLUMNS, row

#: the closure-measure national charges (the panel has two other editions for 2017-2019)
CHARGED = "charged_nat"

#: claim id -> function computing its readings from :class:`ClaimInputs`
CLAIMS: dict[str, Callable[[ClaimInputs], pd.DataFrame]] = {}


def claim(cid: str, label: str):
    """Register a claim under id ``cid`` with the published statement ``label``: the decorated
    generator yields one ledger row per reading; the registered function returns them as a
    frame."""

    def deco(f):
        @functools.wraps(f)
        def frame(i: ClaimInputs) -> pd.DataFrame:
            return pd.DataFrame(list(f(i)), columns=LEDGER_COLUMNS)

        CLAIMS[cid] = frame
        CLAIM_LABELS[cid] = label
        return frame

    return deco


SRC_CPS = "CPS rape-flagged figures transcribed from public pages (cps/transcribed)"
SRC_PRC = "Home Office police recorded crime PFA tables (recorded_rape, 19C-19K)"
SRC_CLOSURE = "Home Office outcomes open data, charged/summonsed by closure quarter (national)"
SRC_COHORT = "Home Office outcomes open data, cohort measure (2018 and 2019 editions)"
SRC_MOJ_S = "MoJ CJS statistics, offenders sentenced for rape (Dec 2019 release)"
SRC_MOJ_T = "MoJ criminal court statistics, rape prosecution times 2011-2018"

#: what each family of readings counts, for the basis_note column
CPS_BASIS = (
    "CPS rape-flagged counts (suspects charged / defendants prosecuted and convicted, "
    "including lesser offences); stages are not cohort-linked; CPS management "
    "information, revised between releases."
)
PRC_BASIS = (
    "Police recorded rape, offence codes 19C-19K, all ages, E&W (43 forces); later "
    "releases revise earlier years upward; recording practice improved 2014-2017."
)
CHARGE_BASIS = (
    "Charges recorded in the period (closure measure, national, may include BTP) "
    "over offences recorded in the period: not the same cases. The Home Office "
    "headline rate is a cohort share (outcomes of offences recorded in the period)."
)


# ---------------------------------------------------------------------------------- readings


def panel_source(
    panel: pd.DataFrame | None, measure: str, default: str, source: str | None = None
) -> str:
    """The panel source(s) a reading used: ``source`` when one was chosen, else every source
    of the measure (they are combined only when they cover different quarters)."""
    if panel is None or "source" not in panel.columns:
        return default
    if source is not None:
        return catalog.label(source)
    src = panel.loc[panel["measure"] == measure, "source"].dropna().unique()
    return "; ".join(sorted(map(str, src))) if len(src) else default


def ratio_row(
    label: str,
    num,
    den,
    basis: str,
    sources: str,
    reason: str,
    scale: float = 1.0,
    **provenance_of,
) -> dict:
    """A reading computed as ``scale * num / den`` (not testable when either is missing or the
    denominator is zero); the computation column shows the inputs. ``provenance_of``: ``tier``
    and ``other_data``, passed to :func:`~rasso_research.claims.ledger.row`."""
    r = None if num is None or den is None or den == 0 else scale * num / den
    pre = "" if scale == 1 else f"{fmt_num(scale)} * "
    comp = f"{pre}{fmt_num(num)} / {fmt_num(den)} = {fmt_num(r)}"
    return row(label, r, comp, basis, sources, reason, **provenance_of)


def pct_change(a, b) -> float | None:
    return None if a is None or b is None or a == 0 else 100.0 * (b - a) / a


def value_at(s: pd.Series, key):
    return float(s[key]) if key in s.index and not pd.isna(s[key]) else None


# ------------------------------------------------------- transcribed CPS figures, tier first


def cps_figure(
    cps: pd.DataFrame | None, measure: str, period: str, period_type: str | None = None
) -> tuple[float | None, str, str | None]:
    """``(value, note, tier)`` of one transcribed CPS figure: the rows of the highest provenance
    tier present (:func:`rasso_research.data.provenance.highest_tier_rows`), resolved by
    :func:`rasso_research.data.side_tables.cps_value`; the note names the tier and any
    lower-tier value set aside. ``tier`` is ``None`` when no row holds the figure."""
    if cps is None or cps.empty:
        return cps_value(cps, measure, period, period_type) + (None,)
    d = cps[cps["kind"] == "transcribed"] if "kind" in cps.columns else cps
    sel = (d["measure"] == measure) & (
        d["period"].map(periods.norm_period) == periods.norm_period(period)
    )
    if period_type is not None:
        sel &= d["period_type"] == period_type
    d = d[sel]
    if d.empty:  # the reason, worded by cps_value
        return cps_value(cps, measure, period, period_type) + (None,)
    top = provenance.highest_tier_rows(d)
    tier = top["tier"].iloc[0]
    v, note = cps_value(top, measure, period, period_type)
    lower = sorted(set(d["value"].astype(float)) - set(top["value"].astype(float)))
    aside = f"; lower-tier value(s) {', '.join(f'{x:g}' for x in lower)} set aside" if lower else ""
    return v, f"tier {tier}: {note}{aside}", tier


def cps_years(cps: pd.DataFrame | None, measure: str) -> pd.DataFrame:
    """Financial-year values of a transcribed CPS measure, each from its highest tier:
    ``value`` and ``tier`` indexed by year (``2019/20``); years without a value are left out."""
    out = pd.DataFrame(columns=["value", "tier"], dtype=object)
    if cps is None or cps.empty:
        return out.astype({"value": float})
    d = cps[(cps["measure"] == measure) & (cps["period_type"] == "financial_year")]
    for p in sorted(d["period"].map(periods.norm_period).unique()):
        v, _, tier = cps_figure(d, measure, p)
        if v is not None:
            out.loc[p] = [v, tier]
    return out.astype({"value": float})


def weakest(*tiers: str | None) -> str | None:
    """The tier of a value computed from figures of these tiers (``None`` ignored; ``None``
    when every one is)."""
    known = [t for t in tiers if t is not None]
    return provenance.worst_tier(known) if known else None
