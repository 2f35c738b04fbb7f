"""Claim 6: the CPS West Midlands figures (two years to December 2020), read on the CPS
West Midlands Area rows of the transcribed table (6a-6d), and its closest readings on other
bases: the CPS sexual-offence conviction rate of the panel (6e/6f) and the police
sexual-offence charges of the annual force-year table (6g/6h)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from rasso_research.data.series import fiscal_series, rolling_year
from rasso_research.periods import fiscal_label, norm_period
from rasso_research.report.format import fmt_num, fmt_pct

from .common import claim, cps_figure, pct_change, weakest
from .inputs import ClaimInputs
from .ledger import published_value, row

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
#: 6i: the start of 6b's charge share (the year to December 2018), read as 6b is
START_SPEC = (
    "6i",
    "share of referred cases charged, Dec 2018 (the start of 6b)",
    ("charge_rate_pct",),
    "start",
)
#: the readings whose published figures the charges arithmetic uses (:func:`charges_note`)
ARITHMETIC = ("6a", "6b", "6d", "6i")
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
    the 33% rise in charges (6d) on police sexual-offence charges, financial years, each
    noting an end year that is the force's extreme (:func:`outlier_note`). 6i reads the start
    of 6b's charge share. 6a, 6b, 6d and 6i carry the note of :func:`charges_note`.
    """
    yield from _area_readings(i.wm, WM_SPECS)
    yield from _poc_readings(i.panel)
    yield from _force_year_readings(i.force_year)
    yield from _area_readings(i.wm, [START_SPEC])


def _area_readings(wm: pd.DataFrame | None, specs) -> Iterator[dict]:
    """6a-6d and 6i on the CPS West Midlands Area rows of the transcribed table: the change
    from the year to December 2018 to the year to December 2020 (``"change"``), or the
    level at the end (``"level"``) or at the start (``"start"``)."""
    area, note = _wm_area(wm), charges_note()
    for rid, text, measures, how in specs:
        vals = {}
        for m in measures:
            a, _, ta = cps_figure(area, m, WM_START)
            b, _, tb = cps_figure(area, m, WM_END)
            if how == "change" and a is not None and b is not None:
                vals = {"a": a, "b": b, "m": m, "v": pct_change(a, b), "tier": weakest(ta, tb)}
            elif how != "change" and (a if how == "start" else b) is not None:
                v, t = (a, ta) if how == "start" else (b, tb)
                vals = {"a": a, "b": b, "m": m, "v": v, "tier": t}
            if vals:
                break
        when = {
            "change": f"{norm_period(WM_START)} and {norm_period(WM_END)}",
            "start": norm_period(WM_START),
            "level": norm_period(WM_END),
        }[how]
        reason = (
            None
            if vals
            else f"no CPS West Midlands Area {'/'.join(measures)} rows for {when}; "
            f"{_wm_have(wm, measures)}"
        )
        yield row(
            f"{rid}: CPS West Midlands Area {text}",
            vals.get("v"),
            f"{vals.get('m')}: {fmt_num(vals.get('a'))} -> {fmt_num(vals.get('b'))}",
            AREA_BASIS,
            SRC_WM,
            reason,
            tier=vals.get("tier"),
            note=note if rid in ARITHMETIC else None,
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
    """6g/6h: West Midlands Police sexual-offence charges, FY 2018/19 to 2020/21, each with
    the note of :func:`outlier_note` when an end year is the force's extreme."""
    missing = "the annual force x offence-group table (force_year) is absent or lacks the years"
    for rid, measure, what in FY_MEASURES:
        a = _force_year_value(fy, measure, "2018/19")
        b = _force_year_value(fy, measure, "2020/21")
        comp = pct_change(a, b) if a is not None and b is not None else None
        reading = (
            f"{rid}: closest reading of 6d: West Midlands Police sexual-offence charges ({what}), "
            "FY 2018/19 to 2020/21"
        )
        note = outlier_note(fy, measure, {"start": "2018/19", "end": "2020/21"})
        yield row(
            reading,
            comp,
            f"{measure}: {fmt_num(a)} -> {fmt_num(b)}",
            FY_BASIS,
            SRC_FY,
            missing,
            note=note or None,
        )


def charges_note() -> str:
    """What 6a's referrals and 6b's charge share (from 6i's start) imply for charges if the
    share were charges per referral, beside 6d's rise: every figure is the published one of
    ``config/claims.csv``, so the note follows the config."""
    ref, start, end, charges = (published_value(r) for r in ("6a", "6i", "6b", "6d"))
    if None in (ref, start, end, charges) or not start:
        return ""
    k = 1 + ref / 100
    implied = k * end / start
    return (
        f"6a, 6b (from 6i) and 6d cannot share one basis: referrals x{fmt_num(k, 4)} "
        f"({fmt_pct(ref)}) with a charge share rising from {fmt_num(start)}% to {fmt_num(end)}% "
        f"imply charges x{fmt_num(implied)} ({fmt_num(k, 4)} x {fmt_num(end)}/{fmt_num(start)}, "
        f"{fmt_pct(100 * (implied - 1))}) if the share were charges per referral, against 6d's "
        f"{fmt_pct(charges)} (x{fmt_num(1 + charges / 100)}); so the share is on another basis "
        "(such as charges per pre-charge decision, on suspects) or the figures count different "
        "cases or periods"
    )


def outlier_note(
    fy: pd.DataFrame | None,
    measure: str,
    years: dict[str, str],
    force: str = WM_FORCE,
    group: str = "Sexual offences",
) -> str:
    """For each end of a reading (``years``: role -> financial year) that is ``force``'s
    highest or lowest ``measure`` of its complete years (present, not flagged): its value
    against the mean of the years either side, and the other forces' same comparison that
    year (their median, and how many were further out); "" when no end is an extreme."""
    if fy is None:
        return ""
    force_rows = fy["geography"] == "force" if "geography" in fy.columns else True
    d = fy[
        force_rows
        & (fy["offence_group"] == group)
        & (fy["measure"] == measure)
        & (fy["flag"].fillna("") == "")
    ].dropna(subset=["value"])
    wide = d.pivot(index="force", columns="fiscal_year", values="value").sort_index(axis=1)
    if force not in wide.index:
        return ""
    own = wide.loc[force].dropna()
    notes = []
    for role, y in years.items():
        if y not in own.index or own[y] not in (own.min(), own.max()):
            continue
        kind = "lowest" if own[y] == own.min() else "highest"
        notes.append(_extreme_year(wide, force, y, f"the {role} year, {y}", kind, len(own)))
    return "; ".join(notes)


def _extreme_year(wide: pd.DataFrame, force: str, y: str, what: str, kind: str, n: int) -> str:
    """One extreme year in words: against its neighbours, and beside the other forces."""
    cols = list(wide.columns)
    i = cols.index(y)
    near = [c for c in cols[max(i - 1, 0) : i + 2] if c != y]
    dev = 100 * (wide[y] / wide[near].mean(axis=1) - 1)
    others = dev.drop(force).dropna()
    further = int((others < dev[force]).sum() if kind == "lowest" else (others > dev[force]).sum())
    around = ", ".join(f"{fmt_num(wide.loc[force, c])} in {c}" for c in near)
    own = f"{force}'" if force.endswith("s") else f"{force}'s"
    return (
        f"{what}, is the {kind} of {own} {n} complete years ({fmt_num(wide.loc[force, y])}): "
        f"{fmt_pct(dev[force])} from the mean of the years either side ({around}); the other "
        f"{len(others)} forces' median that year was {fmt_pct(others.median())} and {further} "
        f"of them were further {'below' if kind == 'lowest' else 'above'} theirs: the reading "
        "rests on an outlying year"
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
