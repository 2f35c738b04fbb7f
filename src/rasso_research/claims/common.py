"""What every claim module uses: the registry of claims (``@claim``), the sources and bases
named in the ledger, and the helpers that turn readings into ledger rows."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pandas as pd

from rasso_research.data import catalog
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
    label: str, num, den, basis: str, sources: str, reason: str, scale: float = 1.0
) -> dict:
    """A reading computed as ``scale * num / den`` (not testable when either is missing or the
    denominator is zero); the computation column shows the inputs."""
    r = None if num is None or den is None or den == 0 else scale * num / den
    pre = "" if scale == 1 else f"{fmt_num(scale)} * "
    comp = f"{pre}{fmt_num(num)} / {fmt_num(den)} = {fmt_num(r)}"
    return row(label, r, comp, basis, sources, reason)


def pct_change(a, b) -> float | None:
    return None if a is None or b is None or a == 0 else 100.0 * (b - a) / a


def value_at(s: pd.Series, key):
    return float(s[key]) if key in s.index and not pd.isna(s[key]) else None
