"""Claim 6: the CPS West Midlands figures (two years to December 2020), read on the CPS
West Midlands Area rows of the transcribed table (6a-6d), and its closest readings on other
bases: the CPS sexual-offence conviction rate of the panel (6e/6f) and the police
sexual-offence charges of the annual force-year table (6g/6h)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from rasso_research.data.series import fiscal_series, rolling_year
from rasso_research.periods import fiscal_label, norm_period
from rasso_research.report.format import fmt_num

from .common import claim, cps_figure, pct_change, weakest
from .inputs import ClaimInputs
from .ledger import row

WM_SPECS = [
    (
        "6a",
        "referrals police -> CPS % change, Dec 2018 to Dec 2020",
        ("precharge_receipts", "precharge_referrals"),
        "change",
    ),
    (
        "6b",
        "share of referred cases charged, Dec 2020 (from 38.4%)",
        ("charge_rate_pct",),
        "level",
    ),
    ("6c", "rape conviction rate, Dec 2020 (from 60.3%)", ("conviction_rate_pct",), "level"),
    (
        "6d",
        "RASSO charges % change (period not stated; read as Dec 2018 to Dec 2020)",
        ("charges",),
        "change",
    ),
]
WM_FORCE = "West Midlands"
SRC_WM = "CPS West Midlands news page (undated, >= 2021); cps/transcribed/west-midlands-rape.csv"
SRC_POC = "CPS case outcomes by principal offence category (quarterly), via the panel"
SRC_FY = (
    "Home Office outcomes open data (July 2026 release) by force x financial year x offence "
    "group, OOCD dashboard aggregate (data/processed/force_year)"
)


def _wm_area(wm: pd.DataFrame | None) -> pd.DataFrame | None:
    """CPS West Midlands *Area* rows only (``geography == 'cps_area'`` when the reader set it)."""
    if wm is None or wm.empty or "geography" not in wm.columns:
        return wm
    return wm[wm["geography"] == "cps_area"]


def _wm_have(wm: pd.DataFrame | None, measures) -> str:
    """What the West Midlands rows hold for ``measures`` (any geography), for the reasons."""
    if wm is None or wm.empty:
        return "no West Midlands rows loaded"
    base = wm["base_measure"] if "base_measure" in wm.columns else wm["measure"]
    geo = wm["geography"] if "geography" in wm.columns else pd.Series("cps_area", index=wm.index)
    d = wm[base.isin(measures)]
    if d.empty:
        return f"no West Midlands {'/'.join(measures)} rows of any geography"
    parts = []
    for g, x in d.groupby(geo[d.index], sort=True):
        periods_ = ", ".join(
            f"{norm_period(p)} ({v:g})" for p, v in zip(x["period"], x["value"], strict=True)
        )
        parts.append(f"{g}: {periods_}")
    return "rows present only for " + "; ".join(parts)


def _poc_year(panel: pd.DataFrame | None, end_fq: str, force: str = WM_FORCE) -> float | None:
    """CPS sexual-offence conviction rate over the four quarters ending ``end_fq``: summed
    convictions / (convictions + unsuccessful) * 100 (quarterly rates are not averaged)."""
    c = rolling_year(panel, "cps_sexual_offences_convictions", end_fq, force)
    u = rolling_year(panel, "cps_sexual_offences_unsuccessful", end_fq, force)
    return None if c is None or u is None or c + u == 0 else 100 * c / (c + u)


def _poc_range(panel: pd.DataFrame | None, force: str = WM_FORCE) -> str:
    s = fiscal_series(panel, "cps_sexual_offences_convictions", force)
    if s is None or s.empty:
        return "no CPS sexual-offence rows for West Midlands in the panel"
    return f"{fiscal_label(int(s.index.min()))} to {fiscal_label(int(s.index.max()))}"


#: the two years to December 2020 of claim 6, as the transcribed rolling-year periods
WM_START, WM_END = "year ending 2018/19 Q3", "year ending 2020/21 Q3"
AREA_BASIS = (
    "CPS West Midlands Area (four forces: West Midlands, Warwickshire, Staffordshire, "
    "West Mercia), rape-flagged figures; rows for the West Midlands Police force "
    "area, police-side rows and Warwickshire are other geographies and are not used."
)
POC_BASIS = (
    "Different basis: CPS case outcomes by principal offence category, ALL sexual "
    "offences (not rape-flagged), convictions / (convictions + unsuccessful), "
    "West Midlands CPS area row (= West Midlands Police force area, not the "
    "four-force CPS West Midlands Area). Indicative only."
)
FY_BASIS = (
    "Different basis: police charge/summons outcomes (outcome type 1) for ALL sexual "
    "offences, West Midlands Police (one force, not the four-force CPS Area), financial "
    "years; OOCD dashboard aggregate of the HO outcomes open data. Indicative only."
)
#: 6e/6f: reading id -> the quarter ending the four summed, and the year's claimed figure
POC_YEARS = {
    "6e": ("2018/19 Q3", "calendar 2018 (claimed start 60.3%)"),
    "6f": ("2020/21 Q3", "calendar 2020 (claimed end 79.5%)"),
}
#: 6g/6h: the force-year measures of police sexual-offence charges, each with what it counts
FY_MEASURES = (
    ("6g", "charged_closed", "investigations closed in the year"),
    ("6h", "charged_cohort", "offences recorded in the year"),
)


@claim(
    "6",
    "CPS West Midlands: referrals +79.6%, charge share 38.4% to 71.4%, conviction rate "
    "60.3% to 79.5%, charges +33%",
)
def claim6(i: ClaimInputs) -> Iterator[dict]:
    """Claim 6: CPS West Midlands Area figures, two years to December 2020.

    6a-6d use CPS West Midlands *Area* rape-flagged rows of the transcribed WM table (rows for
    the West Midlands Police force area, police-side rows and Warwickshire are other geographies
    and are not used). 6e/6f are the closest defensible reading of the conviction-rate part on
    the panel: CPS sexual-offence conviction rate (all sexual offences by principal offence,
    not rape-flagged) for the West Midlands area, calendar 2018 and calendar 2020. 6g/6h read
    the 33% rise in charges (6d) on police sexual-offence charges, financial years.
    """
    yield from _area_readings(i.wm)
    yield from _poc_readings(i.panel)
    yield from _force_year_readings(i.force_year)


def _area_readings(wm: pd.DataFrame | None) -> Iterator[dict]:
    """6a-6d on the CPS West Midlands Area rows of the transcribed table."""
    area, start, end = _wm_area(wm), WM_START, WM_END
    for rid, text, measures, how in WM_SPECS:
        vals = {}
        for m in measures:
            a, _, ta = cps_figure(area, m, start)
            b, _, tb = cps_figure(area, m, end)
            if b is not None and (how == "level" or a is not None):
                vals = {"a": a, "b": b, "m": m, "tier": tb if how == "level" else weakest(ta, tb)}
                break
        if not vals:
            comp, reason = (
                None,
                (
                    f"no CPS West Midlands Area {'/'.join(measures)} rows for "
                    f"{norm_period(end) if how == 'level' else norm_period(start) + ' and ' + norm_period(end)}"
                    f"; {_wm_have(wm, measures)}"
                ),
            )
        elif how == "change":
            comp, reason = pct_change(vals["a"], vals["b"]), None
        else:
            comp, reason = vals["b"], None
        yield row(
            f"{rid}: CPS West Midlands Area {text}",
            comp,
            f"{vals.get('m')}: {fmt_num(vals.get('a'))} -> {fmt_num(vals.get('b'))}",
            AREA_BASIS,
            SRC_WM,
            reason,
            tier=vals.get("tier"),
        )


def _poc_readings(panel: pd.DataFrame | None) -> Iterator[dict]:
    """6e/6f: the CPS sexual-offence conviction rate of the West Midlands area (panel)."""
    for rid, (end_fq, label) in POC_YEARS.items():
        r = _poc_year(panel, end_fq)
        computation = (
            f"100 * convictions / (convictions + unsuccessful), 4 quarters to "
            f"{end_fq} = {fmt_num(r)}"
        )
        reason = (
            f"CPS sexual-offence outcomes for West Midlands cover only "
            f"{_poc_range(panel)}; the year to {end_fq} is not complete"
        )
        reading = (
            f"{rid}: closest reading: CPS sexual-offence conviction rate, West Midlands, {label}"
        )
        yield row(reading, r, computation, POC_BASIS, SRC_POC, reason)


def _force_year_readings(fy: pd.DataFrame | None) -> Iterator[dict]:
    """6g/6h: West Midlands Police sexual-offence charges, FY 2018/19 to 2020/21."""
    missing = "the annual force x offence-group table (force_year) is absent or lacks the years"
    for rid, measure, what in FY_MEASURES:
        a = _force_year_value(fy, measure, "2018/19")
        b = _force_year_value(fy, measure, "2020/21")
        comp = pct_change(a, b) if a is not None and b is not None else None
        reading = (
            f"{rid}: closest reading of 6d: West Midlands Police sexual-offence charges ({what}), "
            "FY 2018/19 to 2020/21"
        )
        yield row(
            reading, comp, f"{measure}: {fmt_num(a)} -> {fmt_num(b)}", FY_BASIS, SRC_FY, missing
        )


def _force_year_value(fy: pd.DataFrame | None, measure: str, year: str) -> float | None:
    """West Midlands' sexual-offence value of ``measure`` in financial year ``year`` (``None``
    when absent or flagged incomplete)."""
    if fy is None:
        return None
    d = fy[
        (fy["force"] == "West Midlands")
        & (fy["offence_group"] == "Sexual offences")
        & (fy["measure"] == measure)
        & (fy["fiscal_year"] == year)
        & (fy["flag"].fillna("") == "")
    ]
    return float(d["value"].iloc[0]) if len(d) and pd.notna(d["value"].iloc[0]) else None
