"""The claims: one registered function per public claim (``@claim``), computing its readings
from the data.

Each function takes the :class:`~rasso_research.claims.inputs.ClaimInputs` (processed files)
and returns ledger rows built by :func:`~rasso_research.claims.ledger.row`: the value is
computed here, the published value, unit and tolerance come from ``config/claims.csv``. A
missing input gives the verdict ``not testable with the data present`` with the reason; gaps
are never filled. Adding a claim: a row per reading in ``config/claims.csv`` and one decorated
function here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from rasso_research.data import catalog
from rasso_research.data.series import (
    annual,
    cps_annual,
    cps_value,
    fiscal_series,
    moj_sentenced_by_year,
    rolling_year,
    timeliness_wide,
)
from rasso_research.periods import fiscal_index, fiscal_label, norm_period
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


# ---------------------------------------------------------------------------------- verdict


def _panel_source(
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


def _pct_change(a, b) -> float | None:
    return None if a is None or b is None or a == 0 else 100.0 * (b - a) / a


def _get(s: pd.Series, key):
    return float(s[key]) if key in s.index and not pd.isna(s[key]) else None


@claim("1", "1,439 convicted in 2019-20, lowest since records began, down from 1,925")
def claim1(i: ClaimInputs) -> Iterator[dict]:
    """Claim 1: 1,439 convicted in 2019-20, lowest since records began, down from 1,925."""
    cps, moj_sentenced = i.cps, i.moj_sentenced
    for rid, fy in (("1a", "2019/20"), ("1b", "2018/19")):
        v, note = cps_value(cps, "convictions", fy, "financial_year")
        yield row(
            f"{rid}: CPS rape-flagged convictions {fy}",
            v,
            f"convictions[{fy}] = {fmt_num(v)} ({note})",
            CPS_BASIS + " Compares the claim with the series as compiled; figures "
            "are published CPS figures, so this checks vintage agreement.",
            SRC_CPS,
            note,
        )
    s = cps_annual(cps, "convictions")
    s = s[[str(i) <= "2019/20" for i in s.index]] if len(s) else s
    rank = int(s.rank(method="min")["2019/20"]) if "2019/20" in s.index else None
    yield row(
        f"1c: 2019-20 lowest of CPS rape-flagged conviction years in the data "
        f"({s.index.min() if len(s) else 'none'} on)",
        rank,
        f"rank of {fmt_num(_get(s, '2019/20'))} among {len(s)} years "
        f"(min {fmt_num(s.min() if len(s) else None)})",
        "'Since records began' can only be checked over the years transcribed "
        "(rape-flagged convictions from 2014-15); earlier VAWG years not present.",
        SRC_CPS,
        "no 2019-20 conviction row",
    )
    m = moj_sentenced_by_year(moj_sentenced)
    mrank = int(m.rank(method="min")[2019]) if 2019 in m.index else None
    yield row(
        "1d: offence-based cross-check: 2019 lowest MoJ rape sentenced count "
        f"({m.index.min() if len(m) else 'none'}-{m.index.max() if len(m) else ''})",
        mrank,
        f"sentenced[2019] = {fmt_num(_get(m, 2019))}, rank {mrank} of {len(m)}",
        "MoJ offenders sentenced for rape (19C-19H), calendar years: offence-based, "
        "not rape-flagged, sentencing not conviction.",
        SRC_MOJ_S,
        "no MoJ sentencing data for 2019",
    )


@claim("2", "adult rape reports almost doubled since 2015-16")
def claim2(i: ClaimInputs) -> Iterator[dict]:
    """Claim 2: adult rape reports almost doubled since 2015-16 (ratio ~2, +/-10%)."""
    a = annual(i.panel, "recorded_rape")
    for rid, fy in (("2a", "2020/21"), ("2b", "2019/20")):
        yield ratio_row(
            f"{rid}: all-age recorded rape {fy} / 2015/16",
            _get(a, fy),
            _get(a, "2015/16"),
            PRC_BASIS + " The claim is about adults; all ages used here.",
            _panel_source(i.panel, "recorded_rape", SRC_PRC),
            "recorded_rape annual totals missing (panel not built?)",
        )
    ad = annual(i.panel, "recorded_rape_adult")
    if ad.empty:
        f, m = annual(i.panel, "recorded_rape_19C"), annual(i.panel, "recorded_rape_19F")
        ad = (f + m).dropna() if not f.empty and not m.empty else ad
    yield ratio_row(
        "2c: adult recorded rape (19C+19F) 2020/21 / 2015/16",
        _get(ad, "2020/21"),
        _get(ad, "2015/16"),
        "Adult offence codes 19C (female 16+) and 19F (male 16+); 19J/19K (from "
        "2019/20) are not age-specific.",
        SRC_PRC,
        "no adult-only recorded rape (recorded_rape_adult or _19C and _19F) in the panel",
    )


@claim("3", "1.6% of reported rapes charged")
def claim3(i: ClaimInputs) -> Iterator[dict]:
    """Claim 3: 1.6% of reported rapes result in a charge."""
    for rid, end, label in (
        ("3a", "2020/21 Q3", "year to Dec 2020"),
        ("3b", "2020/21 Q4", "FY 2020/21"),
    ):
        yield ratio_row(
            f"{rid}: police charges (closure) / recorded rape, {label}",
            rolling_year(i.panel, "rape_charged_in_quarter", end, source=CHARGED),
            rolling_year(i.panel, "recorded_rape", end),
            CHARGE_BASIS,
            f"{SRC_CLOSURE}; {SRC_PRC}",
            f"charges or recorded rape missing for the year ending {end}",
            scale=100,
        )
    yield ratio_row(
        "3c: cohort charge rate (charged / offences recorded), year to Dec 2020",
        rolling_year(i.panel, "rape_charged_cohort", "2020/21 Q3"),
        rolling_year(i.panel, "recorded_rape", "2020/21 Q3"),
        "Cohort measure: outcomes of offences recorded in the year, as at the "
        "edition date (grows in later editions).",
        SRC_COHORT,
        "cohort outcomes in the data end before 2020/21",
        scale=100,
    )


@claim("4", "convictions and prosecutions more than halved in three years")
def claim4(i: ClaimInputs) -> Iterator[dict]:
    """Claim 4: rape convictions and prosecutions more than halved in three years (ratio <= 0.5)."""
    cps, moj_sentenced = i.cps, i.moj_sentenced
    specs = [
        ("4a", "convictions", "2016/17", "2019/20"),
        ("4b", "prosecutions", "2016/17", "2019/20"),
        ("4c", "convictions", "2017/18", "2020/21"),
        ("4d", "prosecutions", "2017/18", "2020/21"),
    ]
    for rid, meas, y0, y1 in specs:
        a, na = cps_value(cps, meas, y0, "financial_year")
        b, nb = cps_value(cps, meas, y1, "financial_year")
        yield ratio_row(
            f"{rid}: CPS rape-flagged {meas} {y1} / {y0}",
            b,
            a,
            CPS_BASIS,
            SRC_CPS,
            f"{na}; {nb}",
        )
    m = moj_sentenced_by_year(moj_sentenced)
    yield ratio_row(
        "4e: offence-based: MoJ sentenced for rape 2019 / 2016",
        _get(m, 2019),
        _get(m, 2016),
        "MoJ offenders sentenced for rape (offence-based, calendar years).",
        SRC_MOJ_S,
        "MoJ sentencing data for 2016 or 2019 missing",
    )


@claim("5", "reports +173%, cases reaching court -44%, 4% prosecuted (June 2019)")
def claim5(i: ClaimInputs) -> Iterator[dict]:
    """Claim 5 (June 2019): reports +173%, cases reaching court -44%, 4% prosecuted."""
    panel, cps = i.panel, i.cps
    rec = annual(panel, "recorded_rape")
    src_rec = _panel_source(panel, "recorded_rape", SRC_PRC)
    for rid, y0 in (("5a", "2014/15"), ("5b", "2013/14")):
        a, b = _get(rec, y0), _get(rec, "2018/19")
        pc = _pct_change(a, b)
        yield row(
            f"{rid}: recorded rape % change {y0} to 2018/19",
            pc,
            f"100 * ({fmt_num(b)} - {fmt_num(a)}) / {fmt_num(a)} = {fmt_num(pc)}",
            PRC_BASIS + " The 2026 release is used; 2019 figures were lower.",
            src_rec,
            f"recorded rape totals for {y0} or 2018/19 missing",
        )
    ch = annual(panel, "rape_charged_in_quarter", source=CHARGED)
    a, b = _get(ch, "2014/15"), _get(ch, "2018/19")
    pc = _pct_change(a, b)
    yield row(
        "5c: 'cases getting to court' as police charges/summons (closure), "
        "% change 2014/15 to 2018/19",
        pc,
        f"100 * ({fmt_num(b)} - {fmt_num(a)}) / {fmt_num(a)} = {fmt_num(pc)}",
        "Charge/summons outcomes recorded in the year (2024 edition; the older "
        "edition has 2,372 for 2018/19, which would give a larger fall).",
        _panel_source(panel, "rape_charged_in_quarter", SRC_CLOSURE, CHARGED),
        "national charge series missing",
    )
    for rid, meas in (("5d", "prosecutions"), ("5e", "charges")):
        a, na = cps_value(cps, meas, "2014/15", "financial_year")
        b, nb = cps_value(cps, meas, "2018/19", "financial_year")
        pc = _pct_change(a, b)
        yield row(
            f"{rid}: CPS rape-flagged {meas} % change 2014-15 to 2018-19",
            pc,
            f"100 * ({fmt_num(b)} - {fmt_num(a)}) / {fmt_num(a)} = {fmt_num(pc)}",
            CPS_BASIS,
            SRC_CPS,
            f"{na}; {nb}",
        )
    r18, c18 = _get(rec, "2018/19"), _get(ch, "2018/19")
    yield ratio_row(
        "5f: police charges (closure) / recorded rape, 2018/19",
        c18,
        r18,
        CHARGE_BASIS,
        f"{SRC_CLOSURE}; {SRC_PRC}",
        "charges or recorded rape missing",
        scale=100,
    )
    cc, nc = cps_value(cps, "charges", "2018/19", "financial_year")
    yield ratio_row(
        "5g: CPS rape-flagged charges / police recorded rape, 2018-19",
        cc,
        r18,
        "Suspects charged (CPS) over offences recorded (police): different units.",
        f"{SRC_CPS}; {SRC_PRC}",
        f"recorded rape or CPS charges missing ({nc})",
        scale=100,
    )


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
    not rape-flagged) for the West Midlands area, calendar 2018 and calendar 2020.
    """
    wm, panel, start, end = i.wm, i.panel, WM_START, WM_END
    area = _wm_area(wm)
    geo_note = (
        "CPS West Midlands Area (four forces: West Midlands, Warwickshire, Staffordshire, "
        "West Mercia), rape-flagged figures; rows for the West Midlands Police force "
        "area, police-side rows and Warwickshire are other geographies and are not used."
    )
    for rid, text, measures, how in WM_SPECS:
        vals = {}
        for m in measures:
            a, _ = cps_value(area, m, start)
            b, _ = cps_value(area, m, end)
            if b is not None and (how == "level" or a is not None):
                vals = {"a": a, "b": b, "m": m}
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
            comp, reason = _pct_change(vals["a"], vals["b"]), None
        else:
            comp, reason = vals["b"], None
        yield row(
            f"{rid}: CPS West Midlands Area {text}",
            comp,
            f"{vals.get('m')}: {fmt_num(vals.get('a'))} -> {fmt_num(vals.get('b'))}",
            geo_note,
            SRC_WM,
            reason,
        )
    poc_basis = (
        "Different basis: CPS case outcomes by principal offence category, ALL sexual "
        "offences (not rape-flagged), convictions / (convictions + unsuccessful), "
        "West Midlands CPS area row (= West Midlands Police force area, not the "
        "four-force CPS West Midlands Area). Indicative only."
    )
    for rid, end_fq, label in (
        ("6e", "2018/19 Q3", "calendar 2018 (claimed start 60.3%)"),
        ("6f", "2020/21 Q3", "calendar 2020 (claimed end 79.5%)"),
    ):
        r = _poc_year(panel, end_fq)
        yield row(
            f"{rid}: closest reading: CPS sexual-offence conviction rate, West Midlands, {label}",
            r,
            f"100 * convictions / (convictions + unsuccessful), 4 quarters to "
            f"{end_fq} = {fmt_num(r)}",
            poc_basis,
            SRC_POC,
            f"CPS sexual-offence outcomes for West Midlands cover only "
            f"{_poc_range(panel)}; the year to {end_fq} is not complete",
        )
    fy_basis = (
        "Different basis: police charge/summons outcomes (outcome type 1) for ALL sexual "
        "offences, West Midlands Police (one force, not the four-force CPS Area), financial "
        "years; OOCD dashboard aggregate of the HO outcomes open data. Indicative only."
    )
    for rid, measure, what in (
        ("6g", "charged_closed", "investigations closed in the year"),
        ("6h", "charged_cohort", "offences recorded in the year"),
    ):
        a, b = (
            _force_year_value(i.force_year, measure, "2018/19"),
            _force_year_value(i.force_year, measure, "2020/21"),
        )
        comp = _pct_change(a, b) if a is not None and b is not None else None
        yield row(
            f"{rid}: closest reading of 6d: West Midlands Police sexual-offence charges ({what}), "
            "FY 2018/19 to 2020/21",
            comp,
            f"{measure}: {fmt_num(a)} -> {fmt_num(b)}",
            fy_basis,
            SRC_FY,
            "the annual force x offence-group table (force_year) is absent or lacks the years",
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


def claim7_distance(
    cps: pd.DataFrame | None, panel: pd.DataFrame | None, moj_sentenced: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Distance to the 2016 level, every year, for the series closest to 'cases reaching court'.

    '2016 levels' is read as FY 2016/17 for financial-year series (as EVAW's target column) and
    calendar 2016 for MoJ sentencing. Columns: series, year, value, level_2016, distance, pct_of_2016.
    """
    series = {
        "CPS rape-flagged prosecutions (completed)": (cps_annual(cps, "prosecutions"), "2016/17"),
        "CPS rape-flagged charges (suspects)": (cps_annual(cps, "charges"), "2016/17"),
        "Police charges/summons for rape (closure)": (
            annual(panel, "rape_charged_in_quarter", source=CHARGED),
            "2016/17",
        ),
        "MoJ offenders sentenced for rape": (moj_sentenced_by_year(moj_sentenced), 2016),
    }
    parts = []
    for name, (s, base_key) in series.items():
        if s.empty or base_key not in s.index:
            continue
        base = float(s[base_key])
        parts.append(
            pd.DataFrame(
                {
                    "series": name,
                    "year": [str(i) for i in s.index],
                    "value": s.values,
                    "level_2016": base,
                    "distance": s.values - base,
                    "pct_of_2016": 100 * s.values / base,
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            columns=["series", "year", "value", "level_2016", "distance", "pct_of_2016"]
        )
    return pd.concat(parts, ignore_index=True)


@claim("7", "return cases reaching court to 2016 levels")
def claim7(i: ClaimInputs) -> Iterator[dict]:
    """Claim 7: ambition to return cases reaching court to 2016 levels (latest year vs 2016)."""
    dist = claim7_distance(i.cps, i.panel, i.moj_sentenced)
    names = [
        "CPS rape-flagged prosecutions (completed)",
        "CPS rape-flagged charges (suspects)",
        "Police charges/summons for rape (closure)",
        "MoJ offenders sentenced for rape",
    ]
    for rid, name in zip(("7a", "7b", "7c", "7d"), names, strict=True):
        d = dist[dist["series"] == name]
        if d.empty:
            yield row(
                f"{rid}: {name}: latest year at or above 2016 level",
                None,
                "",
                "",
                "",
                "series or its 2016 level not in the data",
            )
            continue
        last = d.iloc[-1]
        yield row(
            f"{rid}: {name}: latest year ({last['year']}) at or above the 2016 "
            "level (verdict 'consistent' = level regained)",
            last["value"],
            f"{fmt_num(last['value'])} vs 2016 level {fmt_num(last['level_2016'])} "
            f"({last['pct_of_2016']:.0f}%); years {d['year'].iloc[0]}-{last['year']}",
            "An ambition, not a statement of fact; the target metric (adult rape "
            "cases reaching court, scorecard) is not in the data. All-age series; "
            "CPS series end 2021-22.",
            SRC_CPS if "CPS" in name else (SRC_MOJ_S if "MoJ" in name else SRC_CLOSURE),
            published=last["level_2016"],
        )


#: claim 8's window (the quarters reported around the 2022 statement) and its reading of
#: "steadily": no quarter-on-quarter fall larger than this many percentage points
CLAIM8_FIRST, CLAIM8_LAST, STEADY_FALL_PP = "2021/22 Q1", "2022/23 Q1", 1.0


@claim("8", "proportion of rape cases charged steadily increasing (2022)")
def claim8(i: ClaimInputs) -> Iterator[dict]:
    """Claim 8: the proportion of rape cases charged is steadily increasing (2022)."""
    cps, panel = i.cps, i.panel
    first, last, big_fall_pp = CLAIM8_FIRST, CLAIM8_LAST, STEADY_FALL_PP
    q = pd.Series(dtype=float)
    if cps is not None and not cps.empty:
        d = cps[(cps["measure"] == "charge_rate_pct") & (cps["period_type"] == "quarter")]
        vals = {}
        for p in d["period"].map(norm_period).unique():
            if fiscal_index(first) <= fiscal_index(p) <= fiscal_index(last):
                v, _ = cps_value(d, "charge_rate_pct", p)
                if v is not None:
                    vals[fiscal_index(p)] = v
        q = pd.Series(vals, dtype=float).sort_index()
    slope = None
    if len(q) >= 3:
        slope = float(np.polyfit(q.index.to_numpy(float), q.to_numpy(), 1)[0])
    listing = ", ".join(f"{fiscal_label(i)} {v:g}" for i, v in q.items())
    yield row(
        f"8a: CPS quarterly charge rate (legal decisions basis), {first} to {last}: OLS slope > 0",
        slope,
        f"slope of [{listing}] = {fmt_num(slope)}",
        "CPS basis 2 (charged / all legal decisions, excl. admin finalised); "
        "missing quarters are skipped, not filled.",
        SRC_CPS,
        "fewer than 3 quarterly charge-rate rows in the window",
    )
    consecutive = [(i, j) for i, j in zip(q.index[:-1], q.index[1:], strict=True) if j == i + 1]
    falls = sum(1 for i, j in consecutive if q[j] < q[i] - big_fall_pp)
    yield row(
        f"8b: CPS quarterly charge rate: quarter-on-quarter falls > {big_fall_pp:g} pp",
        falls if consecutive else None,
        f"{falls} fall(s) over {len(consecutive)} consecutive pairs [{listing}]",
        "'Steadily' read as no fall larger than 1 pp.",
        SRC_CPS,
        "no consecutive quarterly charge-rate rows",
    )
    ch, rec = (
        annual(panel, "rape_charged_in_quarter", source=CHARGED),
        annual(panel, "recorded_rape"),
    )
    yrs = [y for y in ("2019/20", "2020/21", "2021/22") if y in ch.index and y in rec.index]
    rate = (100 * ch[yrs] / rec[yrs]) if yrs else pd.Series(dtype=float)
    falls = int((rate.diff() < 0).sum()) if len(rate) == 3 else None
    yield row(
        "8c: police charges (closure) / recorded rape, 2019/20 to 2021/22: year-on-year falls",
        falls,
        "rates " + ", ".join(f"{y} {v:.2f}%" for y, v in rate.items()),
        CHARGE_BASIS,
        f"{SRC_CLOSURE}; {SRC_PRC}",
        "police charges or recorded rape missing for 2019/20-2021/22",
    )


def _by_offence_row(df: pd.DataFrame | None, label: str, col_contains: str) -> float | None:
    if df is None or df.empty:
        return None
    first = df.columns[0]
    r = df[df[first].astype(str).str.strip() == label]
    cols = [c for c in df.columns if col_contains.lower() in str(c).lower()]
    if r.empty or not cols:
        return None
    return float(str(r.iloc[0][cols[0]]).replace(",", ""))


@claim("9", "long Crown Court delays in rape cases")
def claim9(i: ClaimInputs) -> Iterator[dict]:
    """Claim 9: long Crown Court delays in rape cases (MoJ timeliness 2011-2018)."""
    moj_timeliness, moj_by_offence = i.moj_timeliness, i.moj_by_offence
    t = timeliness_wide(moj_timeliness)
    basis = (
        "MoJ criminal court statistics: defendants dealt with for rape in the year; "
        "medians are not additive, means are."
    )

    def val(y, col):
        return (
            None if t is None or y not in t.index or col not in t.columns else float(t.loc[y, col])
        )

    y0, y1 = (int(t.index.min()), int(t.index.max())) if t is not None else (2011, 2018)
    a, b = (
        val(y0, "median_offence_to_completion_days"),
        val(y1, "median_offence_to_completion_days"),
    )
    yield ratio_row(
        f"9a: median days offence to completion, {y1} / {y0} (delays lengthening)",
        b,
        a,
        basis,
        SRC_MOJ_T,
        "MoJ rape timeliness data missing",
    )
    ms = ["mean_offence_to_completion_days", "mean_offence_to_charge_days"]
    c0 = None if val(y0, ms[0]) is None else val(y0, ms[0]) - val(y0, ms[1])
    c1 = None if val(y1, ms[0]) is None else val(y1, ms[0]) - val(y1, ms[1])
    yield ratio_row(
        f"9b: mean days charge to completion (offence-to-completion minus "
        f"offence-to-charge), {y1} / {y0}",
        c1,
        c0,
        basis,
        SRC_MOJ_T,
        "MoJ rape timeliness means missing",
    )
    rape = _by_offence_row(
        moj_by_offence, "Sexual offences: All rape", "Median sending to Crown Court to main hearing"
    )
    alls = _by_offence_row(
        moj_by_offence, "All Crown Court cases", "Median sending to Crown Court to main hearing"
    )
    yield ratio_row(
        "9c: 2018 median days sending to Crown Court to main hearing, rape / all Crown Court cases",
        rape,
        alls,
        basis,
        "MoJ criminal court statistics, prosecution times 2018 by offence",
        "MoJ 2018 timeliness by offence missing",
    )
    yield row(
        "9d: Crown Court delays in 2020-21 (the period of the PCCs' statement)",
        None,
        "",
        basis,
        SRC_MOJ_T,
        "MoJ timeliness data in the project end in 2018; the Covid-19 backlog "
        "period is not covered",
    )


def build_ledger(inputs: ClaimInputs | None = None) -> pd.DataFrame:
    """Every registered claim, one row per reading, in the column order of ``LEDGER_COLUMNS``."""
    from .inputs import load_claim_inputs

    i = inputs if inputs is not None else load_claim_inputs()
    ledger = pd.concat([f(i) for f in CLAIMS.values()], ignore_index=True)
    return ledger[LEDGER_COLUMNS]
