"""Claims ledger: public claims about rape prosecutions tested against the project's data.

Each ``claimN`` function takes data frames and returns ledger rows computed FROM THE DATA; only
the published figures being tested are typed in (as defaults that tests can override). Missing
inputs give the verdict ``not testable with the data present`` with the reason; gaps are never
filled. The claims and their readings are described in ``config/claims.csv``.

Inputs (all optional):

* ``panel``: processed long panel, columns ``fiscal_quarter, quarter, force, force_code,
  measure, value, source`` (national rows have ``force == "England and Wales"``);
* ``cps`` / ``wm``: transcribed CPS rape-flagged rows, columns ``period_type, period, measure,
  value, unit, source_title, source_url`` (national; West Midlands);
* ``moj_sentenced``: MoJ offenders sentenced for rape (a year column and a count column);
* ``moj_timeliness``: MoJ rape prosecution times by year (mirror column names);
* ``moj_by_offence``: MoJ prosecution times 2018 by offence group.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rasso_research import paths

NATIONAL = "England and Wales"
CONSISTENT = "consistent"
INCONSISTENT = "inconsistent"
NOT_TESTABLE = "not testable with the data present"
KINDS = ("relative", "absolute", "at_most", "at_least")
LEDGER_COLUMNS = [
    "claim_id",
    "reading",
    "published_value",
    "computed_value",
    "unit",
    "tolerance",
    "verdict",
    "computation",
    "basis_note",
    "sources",
]

SRC_CPS = "CPS rape-flagged figures transcribed from public pages (cps/transcribed)"
SRC_PRC = "Home Office police recorded crime PFA tables (recorded_rape, 19C-19K)"
SRC_CLOSURE = "Home Office outcomes open data, charged/summonsed by closure quarter (national)"
SRC_COHORT = "Home Office outcomes open data, cohort measure (2018 and 2019 editions)"
SRC_MOJ_S = "MoJ CJS statistics, offenders sentenced for rape (Dec 2019 release)"
SRC_MOJ_T = "MoJ criminal court statistics, rape prosecution times 2011-2018"


# ---------------------------------------------------------------------------------- verdict


def verdict(published, computed, tolerance: float, kind: str = "relative") -> str:
    """Compare a computed figure with a published one.

    ``relative``: |c - p| <= tolerance * |p|; ``absolute``: |c - p| <= tolerance;
    ``at_most``: c <= p + tolerance (claims such as "more than halved": ratio <= 0.5);
    ``at_least``: c >= p - tolerance. Missing values give ``not testable with the data present``.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if tolerance is None or tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance!r}")
    if _missing(published) or _missing(computed):
        return NOT_TESTABLE
    p, c = float(published), float(computed)
    eps = 1e-9
    if kind == "relative":
        ok = abs(c - p) <= tolerance * abs(p) + eps
    elif kind == "absolute":
        ok = abs(c - p) <= tolerance + eps
    elif kind == "at_most":
        ok = c <= p + tolerance + eps
    else:
        ok = c >= p - tolerance - eps
    return CONSISTENT if ok else INCONSISTENT


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA


def _row(
    claim_id,
    reading,
    published,
    computed,
    unit,
    tolerance,
    kind,
    computation,
    basis,
    sources,
    reason: str | None = None,
) -> dict:
    """One ledger row; ``computed is None`` means not testable because of ``reason``."""
    v = verdict(published, computed, tolerance, kind)
    if v == NOT_TESTABLE:
        computation = f"not testable: {reason or 'an input is missing'}"
    return {
        "claim_id": claim_id,
        "reading": reading,
        "published_value": published,
        "computed_value": None if _missing(computed) else round(float(computed), 4),
        "unit": unit,
        "tolerance": f"{kind} {tolerance:g}",
        "verdict": v,
        "computation": computation,
        "basis_note": basis,
        "sources": sources,
    }


# ---------------------------------------------------------------------------------- helpers


def norm_period(label) -> str:
    """Unify period labels: ``'2018-19'`` -> ``'2018/19'``, ``'year ending 2019-20 Q3'`` too."""
    return re.sub(r"(\d{4})-(\d{2})(?!\d)", r"\1/\2", str(label).strip())


def _fy_of(fq) -> str:
    """``'2018/19 Q3'`` (or ``'2018-19 Q3'``) -> ``'2018/19'``."""
    return norm_period(fq).split(" ")[0]


def _fq_index(fq) -> int:
    """A sortable integer for a fiscal quarter label ``'2018/19 Q3'``."""
    m = re.match(r"^(\d{4})/\d{2}\s*Q([1-4])$", norm_period(fq))
    if not m:
        raise ValueError(f"not a fiscal quarter label: {fq!r}")
    return int(m.group(1)) * 4 + int(m.group(2)) - 1


def _fq_label(idx: int) -> str:
    start, q = divmod(idx, 4)
    return f"{start}/{(start + 1) % 100:02d} Q{q + 1}"


def _series(panel: pd.DataFrame | None, measure: str, force: str = NATIONAL) -> pd.Series | None:
    """Quarterly values of ``measure`` for ``force``, indexed by fiscal-quarter integer."""
    if panel is None or panel.empty:
        return None
    d = panel[(panel["measure"] == measure) & (panel["force"] == force)]
    if d.empty:
        return None
    d = d.dropna(subset=["value"])
    if "source" in d.columns and d["source"].nunique() > 1:
        # one vintage per series: the source covering most quarters (never mixed or summed)
        n = d.groupby("source")["fiscal_quarter"].nunique()
        d = d[d["source"] == sorted(n[n == n.max()].index)[0]]
    s = d.groupby(d["fiscal_quarter"].map(_fq_index))["value"].sum()
    return s.sort_index().astype(float)


def annual(panel: pd.DataFrame | None, measure: str, force: str = NATIONAL) -> pd.Series:
    """Financial-year totals of a panel measure; only years with all four quarters are kept."""
    s = _series(panel, measure, force)
    if s is None:
        return pd.Series(dtype=float)
    fy = pd.Series(s.index // 4, index=s.index)
    g = s.groupby(fy.values)
    out = g.sum()[g.count() == 4]
    out.index = [f"{y}/{(y + 1) % 100:02d}" for y in out.index]
    return out


def rolling_year(
    panel: pd.DataFrame | None, measure: str, end_fq: str, force: str = NATIONAL
) -> float | None:
    """Sum of the four quarters ending ``end_fq`` (``None`` if any quarter is missing)."""
    s = _series(panel, measure, force)
    if s is None:
        return None
    end = _fq_index(end_fq)
    want = list(range(end - 3, end + 1))
    if not all(i in s.index for i in want):
        return None
    return float(s.loc[want].sum())


def _panel_source(panel: pd.DataFrame | None, measure: str, default: str) -> str:
    if panel is not None and "source" in panel.columns:
        src = panel.loc[panel["measure"] == measure, "source"].dropna().unique()
        if len(src):
            return "; ".join(sorted(map(str, src)))
    return default


def cps_value(
    cps: pd.DataFrame | None, measure: str, period: str, period_type: str | None = None
) -> tuple[float | None, str]:
    """The transcribed value of ``measure`` in ``period`` and a note on conflicts/sources.

    Where sources disagree the most frequently reported value is used and the others are named
    in the note; a tie between values more than 0.5 apart returns ``None`` (never averaged);
    a tie of rounding variants (69 vs 69.3) keeps the most precise value.
    """
    if cps is None or cps.empty:
        return None, "no transcribed CPS rows"
    if "kind" in cps.columns:  # processed file: use the transcribed rows, not derived series
        cps = cps[cps["kind"] == "transcribed"]
    per = cps["period"].map(norm_period)
    sel = (cps["measure"] == measure) & (per == norm_period(period))
    if period_type is not None and "period_type" in cps.columns:
        sel &= cps["period_type"] == period_type
    d = cps[sel]
    if d.empty:
        return None, f"no {measure} row for {norm_period(period)}"
    counts = pd.to_numeric(d["value"], errors="coerce").value_counts()
    n_urls = d["source_url"].nunique() if "source_url" in d.columns else len(d)
    note = f"{n_urls} source(s)"
    if len(counts) > 1 and counts.iloc[0] == counts.iloc[1]:
        tied = [float(x) for x in counts.index[counts == counts.iloc[0]]]
        if max(tied) - min(tied) > 0.5:
            return None, f"conflicting {measure} values {tied} for {period}, tied"
        # values that differ only by rounding: keep the most precise one
        best = max(tied, key=lambda x: len(f"{x:g}"))
        return best, f"{note}; rounded variant(s) {[x for x in tied if x != best]} kept aside"
    if len(counts) > 1:
        note += f"; other value(s) {[float(x) for x in counts.index[1:]]} kept aside"
    return float(counts.index[0]), note


def cps_annual(cps: pd.DataFrame | None, measure: str) -> pd.Series:
    """Financial-year series of a transcribed CPS measure (modal value per year)."""
    if cps is None or cps.empty:
        return pd.Series(dtype=float)
    d = cps[(cps["measure"] == measure) & (cps["period_type"] == "financial_year")]
    out = {}
    for p in sorted(d["period"].map(norm_period).unique()):
        v, _ = cps_value(d, measure, p)
        if v is not None:
            out[p] = v
    return pd.Series(out, dtype=float)


def moj_sentenced_by_year(moj: pd.DataFrame | None) -> pd.Series:
    """People sentenced for rape by calendar year, from raw or processed MoJ frames."""
    if moj is None or moj.empty:
        return pd.Series(dtype=float)
    cols = {c.lower().replace(".", "_"): c for c in moj.columns}
    ycol = next((cols[k] for k in ("year", "year_of_appearance") if k in cols), None)
    ccol = next((cols[k] for k in ("count", "sentenced", "n", "value") if k in cols), None)
    if ycol is None or ccol is None:
        raise ValueError(f"MoJ sentenced frame: need a year and a count column, got {list(moj)}")
    return moj.groupby(moj[ycol].astype(int))[ccol].sum().astype(float).sort_index()


def _pct_change(a, b) -> float | None:
    return None if a is None or b is None or a == 0 else 100.0 * (b - a) / a


def _get(s: pd.Series, key):
    return float(s[key]) if key in s.index and not pd.isna(s[key]) else None


def _fmt(x) -> str:
    return "NA" if x is None else f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"


# ---------------------------------------------------------------------------------- claims

CPS_BASIS = (
    "CPS rape-flagged counts (suspects charged / defendants prosecuted and convicted, "
    "including lesser offences); stages are not cohort-linked; CPS management "
    "information, revised between releases."
)


def claim1(
    cps: pd.DataFrame | None,
    moj_sentenced: pd.DataFrame | None = None,
    published_2019_20: float = 1439,
    published_2018_19: float = 1925,
) -> pd.DataFrame:
    """Claim 1: 1,439 convicted in 2019-20, lowest since records began, down from 1,925."""
    rows = []
    for rid, fy, pub in (
        ("1a", "2019/20", published_2019_20),
        ("1b", "2018/19", published_2018_19),
    ):
        v, note = cps_value(cps, "convictions", fy, "financial_year")
        rows.append(
            _row(
                "1",
                f"{rid}: CPS rape-flagged convictions {fy}",
                pub,
                v,
                "defendants",
                0.005,
                "relative",
                f"convictions[{fy}] = {_fmt(v)} ({note})",
                CPS_BASIS + " Compares the claim with the series as compiled; figures "
                "are published CPS figures, so this checks vintage agreement.",
                SRC_CPS,
                note,
            )
        )
    s = cps_annual(cps, "convictions")
    s = s[[str(i) <= "2019/20" for i in s.index]] if len(s) else s
    rank = int(s.rank(method="min")["2019/20"]) if "2019/20" in s.index else None
    rows.append(
        _row(
            "1",
            f"1c: 2019-20 lowest of CPS rape-flagged conviction years in the data "
            f"({s.index.min() if len(s) else 'none'} on)",
            1,
            rank,
            "rank (1 = lowest)",
            0,
            "absolute",
            f"rank of {_fmt(_get(s, '2019/20'))} among {len(s)} years "
            f"(min {_fmt(s.min() if len(s) else None)})",
            "'Since records began' can only be checked over the years transcribed "
            "(rape-flagged convictions from 2014-15); earlier VAWG years not present.",
            SRC_CPS,
            "no 2019-20 conviction row",
        )
    )
    m = moj_sentenced_by_year(moj_sentenced)
    mrank = int(m.rank(method="min")[2019]) if 2019 in m.index else None
    rows.append(
        _row(
            "1",
            "1d: offence-based cross-check: 2019 lowest MoJ rape sentenced count "
            f"({m.index.min() if len(m) else 'none'}-{m.index.max() if len(m) else ''})",
            1,
            mrank,
            "rank (1 = lowest)",
            0,
            "absolute",
            f"sentenced[2019] = {_fmt(_get(m, 2019))}, rank {mrank} of {len(m)}",
            "MoJ offenders sentenced for rape (19C-19H), calendar years: offence-based, "
            "not rape-flagged, sentencing not conviction.",
            SRC_MOJ_S,
            "no MoJ sentencing data for 2019",
        )
    )
    return pd.DataFrame(rows)


PRC_BASIS = (
    "Police recorded rape, offence codes 19C-19K, all ages, E&W (43 forces); later "
    "releases revise earlier years upward; recording practice improved 2014-2017."
)


def claim2(panel: pd.DataFrame | None, published_ratio: float = 2.0) -> pd.DataFrame:
    """Claim 2: adult rape reports almost doubled since 2015-16 (ratio ~2, +/-10%)."""
    a = annual(panel, "recorded_rape")
    rows = []
    for rid, fy in (("2a", "2020/21"), ("2b", "2019/20")):
        base, last = _get(a, "2015/16"), _get(a, fy)
        ratio = None if base is None or last is None else last / base
        rows.append(
            _row(
                "2",
                f"{rid}: all-age recorded rape {fy} / 2015/16",
                published_ratio,
                ratio,
                "ratio",
                0.10,
                "relative",
                f"{_fmt(last)} / {_fmt(base)} = {_fmt(ratio)}",
                PRC_BASIS + " The claim is about adults; all ages used here.",
                _panel_source(panel, "recorded_rape", SRC_PRC),
                "recorded_rape annual totals missing (panel not built?)",
            )
        )
    ad = annual(panel, "recorded_rape_adult")
    if ad.empty:
        f, m = annual(panel, "recorded_rape_19C"), annual(panel, "recorded_rape_19F")
        ad = (f + m).dropna() if not f.empty and not m.empty else ad
    base, last = _get(ad, "2015/16"), _get(ad, "2020/21")
    ratio = None if base is None or last is None else last / base
    rows.append(
        _row(
            "2",
            "2c: adult recorded rape (19C+19F) 2020/21 / 2015/16",
            published_ratio,
            ratio,
            "ratio",
            0.10,
            "relative",
            f"{_fmt(last)} / {_fmt(base)}",
            "Adult offence codes 19C (female 16+) and 19F (male 16+); 19J/19K (from "
            "2019/20) are not age-specific.",
            SRC_PRC,
            "no adult-only recorded rape (recorded_rape_adult or _19C and _19F) in the panel",
        )
    )
    return pd.DataFrame(rows)


CHARGE_BASIS = (
    "Charges recorded in the period (closure measure, national, may include BTP) "
    "over offences recorded in the period: not the same cases. The Home Office "
    "headline rate is a cohort share (outcomes of offences recorded in the period)."
)


def claim3(panel: pd.DataFrame | None, published_pct: float = 1.6) -> pd.DataFrame:
    """Claim 3: 1.6% of reported rapes result in a charge."""
    rows = []
    for rid, end, label in (
        ("3a", "2020/21 Q3", "year to Dec 2020"),
        ("3b", "2020/21 Q4", "FY 2020/21"),
    ):
        ch = rolling_year(panel, "rape_charged_in_quarter", end)
        rec = rolling_year(panel, "recorded_rape", end)
        pct = None if ch is None or not rec else 100 * ch / rec
        rows.append(
            _row(
                "3",
                f"{rid}: police charges (closure) / recorded rape, {label}",
                published_pct,
                pct,
                "percent",
                0.05,
                "absolute",
                f"100 * {_fmt(ch)} / {_fmt(rec)} = {_fmt(pct)}",
                CHARGE_BASIS,
                f"{SRC_CLOSURE}; {SRC_PRC}",
                f"charges or recorded rape missing for the year ending {end}",
            )
        )
    ch = rolling_year(panel, "rape_charged_cohort", "2020/21 Q3")
    rec = rolling_year(panel, "recorded_rape", "2020/21 Q3")
    pct = None if ch is None or not rec else 100 * ch / rec
    rows.append(
        _row(
            "3",
            "3c: cohort charge rate (charged / offences recorded), year to Dec 2020",
            published_pct,
            pct,
            "percent",
            0.05,
            "absolute",
            f"100 * {_fmt(ch)} / {_fmt(rec)}",
            "Cohort measure: outcomes of offences recorded in the year, as at the "
            "edition date (grows in later editions).",
            SRC_COHORT,
            "cohort outcomes in the data end before 2020/21",
        )
    )
    return pd.DataFrame(rows)


def claim4(
    cps: pd.DataFrame | None, moj_sentenced: pd.DataFrame | None = None, threshold: float = 0.5
) -> pd.DataFrame:
    """Claim 4: rape convictions and prosecutions more than halved in three years (ratio <= 0.5)."""
    rows = []
    specs = [
        ("4a", "convictions", "2016/17", "2019/20"),
        ("4b", "prosecutions", "2016/17", "2019/20"),
        ("4c", "convictions", "2017/18", "2020/21"),
        ("4d", "prosecutions", "2017/18", "2020/21"),
    ]
    for rid, meas, y0, y1 in specs:
        a, na = cps_value(cps, meas, y0, "financial_year")
        b, nb = cps_value(cps, meas, y1, "financial_year")
        r = None if a is None or b is None else b / a
        rows.append(
            _row(
                "4",
                f"{rid}: CPS rape-flagged {meas} {y1} / {y0}",
                threshold,
                r,
                "ratio",
                0,
                "at_most",
                f"{_fmt(b)} / {_fmt(a)} = {_fmt(r)}",
                CPS_BASIS,
                SRC_CPS,
                f"{na}; {nb}",
            )
        )
    m = moj_sentenced_by_year(moj_sentenced)
    a, b = _get(m, 2016), _get(m, 2019)
    r = None if a is None or b is None else b / a
    rows.append(
        _row(
            "4",
            "4e: offence-based: MoJ sentenced for rape 2019 / 2016",
            threshold,
            r,
            "ratio",
            0,
            "at_most",
            f"{_fmt(b)} / {_fmt(a)} = {_fmt(r)}",
            "MoJ offenders sentenced for rape (offence-based, calendar years).",
            SRC_MOJ_S,
            "MoJ sentencing data for 2016 or 2019 missing",
        )
    )
    return pd.DataFrame(rows)


def claim5(
    panel: pd.DataFrame | None,
    cps: pd.DataFrame | None,
    published_rise: float = 173,
    published_fall: float = -44,
    published_share: float = 4,
) -> pd.DataFrame:
    """Claim 5 (June 2019): reports +173%, cases reaching court -44%, 4% prosecuted."""
    rows = []
    rec = annual(panel, "recorded_rape")
    src_rec = _panel_source(panel, "recorded_rape", SRC_PRC)
    for rid, y0 in (("5a", "2014/15"), ("5b", "2013/14")):
        a, b = _get(rec, y0), _get(rec, "2018/19")
        pc = _pct_change(a, b)
        rows.append(
            _row(
                "5",
                f"{rid}: recorded rape % change {y0} to 2018/19",
                published_rise,
                pc,
                "percent change",
                5,
                "absolute",
                f"100 * ({_fmt(b)} - {_fmt(a)}) / {_fmt(a)} = {_fmt(pc)}",
                PRC_BASIS + " The 2026 release is used; 2019 figures were lower.",
                src_rec,
                f"recorded rape totals for {y0} or 2018/19 missing",
            )
        )
    ch = annual(panel, "rape_charged_in_quarter")
    a, b = _get(ch, "2014/15"), _get(ch, "2018/19")
    pc = _pct_change(a, b)
    rows.append(
        _row(
            "5",
            "5c: 'cases getting to court' as police charges/summons (closure), "
            "% change 2014/15 to 2018/19",
            published_fall,
            pc,
            "percent change",
            5,
            "absolute",
            f"100 * ({_fmt(b)} - {_fmt(a)}) / {_fmt(a)} = {_fmt(pc)}",
            "Charge/summons outcomes recorded in the year (2024 edition; the older "
            "edition has 2,372 for 2018/19, which would give a larger fall).",
            _panel_source(panel, "rape_charged_in_quarter", SRC_CLOSURE),
            "national charge series missing",
        )
    )
    for rid, meas in (("5d", "prosecutions"), ("5e", "charges")):
        a, na = cps_value(cps, meas, "2014/15", "financial_year")
        b, nb = cps_value(cps, meas, "2018/19", "financial_year")
        pc = _pct_change(a, b)
        rows.append(
            _row(
                "5",
                f"{rid}: CPS rape-flagged {meas} % change 2014-15 to 2018-19",
                published_fall,
                pc,
                "percent change",
                5,
                "absolute",
                f"100 * ({_fmt(b)} - {_fmt(a)}) / {_fmt(a)} = {_fmt(pc)}",
                CPS_BASIS,
                SRC_CPS,
                f"{na}; {nb}",
            )
        )
    r18, c18 = _get(rec, "2018/19"), _get(ch, "2018/19")
    sh = None if r18 is None or c18 is None else 100 * c18 / r18
    rows.append(
        _row(
            "5",
            "5f: police charges (closure) / recorded rape, 2018/19",
            published_share,
            sh,
            "percent",
            0.5,
            "absolute",
            f"100 * {_fmt(c18)} / {_fmt(r18)} = {_fmt(sh)}",
            CHARGE_BASIS,
            f"{SRC_CLOSURE}; {SRC_PRC}",
            "charges or recorded rape missing",
        )
    )
    cc, nc = cps_value(cps, "charges", "2018/19", "financial_year")
    sh = None if r18 is None or cc is None else 100 * cc / r18
    rows.append(
        _row(
            "5",
            "5g: CPS rape-flagged charges / police recorded rape, 2018-19",
            published_share,
            sh,
            "percent",
            0.5,
            "absolute",
            f"100 * {_fmt(cc)} / {_fmt(r18)} = {_fmt(sh)}",
            "Suspects charged (CPS) over offences recorded (police): different units.",
            f"{SRC_CPS}; {SRC_PRC}",
            f"recorded rape or CPS charges missing ({nc})",
        )
    )
    return pd.DataFrame(rows)


WM_SPECS = [
    (
        "6a",
        "referrals police -> CPS % change, Dec 2018 to Dec 2020",
        79.6,
        ("precharge_receipts", "precharge_referrals"),
        "change",
    ),
    (
        "6b",
        "share of referred cases charged, Dec 2020 (from 38.4%)",
        71.4,
        ("charge_rate_pct",),
        "level",
    ),
    ("6c", "rape conviction rate, Dec 2020 (from 60.3%)", 79.5, ("conviction_rate_pct",), "level"),
    (
        "6d",
        "RASSO charges % change (period not stated; read as Dec 2018 to Dec 2020)",
        33,
        ("charges",),
        "change",
    ),
]
WM_FORCE = "West Midlands"
SRC_WM = "CPS West Midlands news page (undated, >= 2021); cps/transcribed/west-midlands-rape.csv"
SRC_POC = "CPS case outcomes by principal offence category (quarterly), via the panel"


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
    s = _series(panel, "cps_sexual_offences_convictions", force)
    if s is None or s.empty:
        return "no CPS sexual-offence rows for West Midlands in the panel"
    return f"{_fq_label(int(s.index.min()))} to {_fq_label(int(s.index.max()))}"


def claim6(
    wm: pd.DataFrame | None,
    panel: pd.DataFrame | None = None,
    start: str = "year ending 2018/19 Q3",
    end: str = "year ending 2020/21 Q3",
    published_start_conv: float = 60.3,
) -> pd.DataFrame:
    """Claim 6: CPS West Midlands Area figures, two years to December 2020.

    6a-6d use CPS West Midlands *Area* rape-flagged rows of the transcribed WM table (rows for
    the West Midlands Police force area, police-side rows and Warwickshire are other geographies
    and are not used). 6e/6f are the closest defensible reading of the conviction-rate part on
    the panel: CPS sexual-offence conviction rate (all sexual offences by principal offence,
    not rape-flagged) for the West Midlands area, calendar 2018 and calendar 2020.
    """
    rows = []
    area = _wm_area(wm)
    geo_note = (
        "CPS West Midlands Area (four forces: West Midlands, Warwickshire, Staffordshire, "
        "West Mercia), rape-flagged figures; rows for the West Midlands Police force "
        "area, police-side rows and Warwickshire are other geographies and are not used."
    )
    for rid, text, pub, measures, how in WM_SPECS:
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
        rows.append(
            _row(
                "6",
                f"{rid}: CPS West Midlands Area {text}",
                pub,
                comp,
                "percent change" if how == "change" else "percent",
                1,
                "absolute",
                f"{vals.get('m')}: {_fmt(vals.get('a'))} -> {_fmt(vals.get('b'))}",
                geo_note,
                SRC_WM,
                reason,
            )
        )
    poc_basis = (
        "Different basis: CPS case outcomes by principal offence category, ALL sexual "
        "offences (not rape-flagged), convictions / (convictions + unsuccessful), "
        "West Midlands CPS area row (= West Midlands Police force area, not the "
        "four-force CPS West Midlands Area). Indicative only."
    )
    for rid, end_fq, label, pub in (
        ("6e", "2018/19 Q3", "calendar 2018 (claimed start 60.3%)", published_start_conv),
        ("6f", "2020/21 Q3", "calendar 2020 (claimed end 79.5%)", 79.5),
    ):
        r = _poc_year(panel, end_fq)
        rows.append(
            _row(
                "6",
                f"{rid}: closest reading: CPS sexual-offence conviction rate, West "
                f"Midlands, {label}",
                pub,
                r,
                "percent",
                1,
                "absolute",
                f"100 * convictions / (convictions + unsuccessful), 4 quarters to "
                f"{end_fq} = {_fmt(r)}",
                poc_basis,
                SRC_POC,
                f"CPS sexual-offence outcomes for West Midlands cover only "
                f"{_poc_range(panel)}; the year to {end_fq} is not complete",
            )
        )
    return pd.DataFrame(rows)


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
            annual(panel, "rape_charged_in_quarter"),
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


def claim7(
    cps: pd.DataFrame | None, panel: pd.DataFrame | None, moj_sentenced: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Claim 7: ambition to return cases reaching court to 2016 levels (latest year vs 2016)."""
    dist = claim7_distance(cps, panel, moj_sentenced)
    rows = []
    names = [
        "CPS rape-flagged prosecutions (completed)",
        "CPS rape-flagged charges (suspects)",
        "Police charges/summons for rape (closure)",
        "MoJ offenders sentenced for rape",
    ]
    for rid, name in zip(("7a", "7b", "7c", "7d"), names, strict=True):
        d = dist[dist["series"] == name]
        if d.empty:
            rows.append(
                _row(
                    "7",
                    f"{rid}: {name}: latest year at or above 2016 level",
                    None,
                    None,
                    "count",
                    0,
                    "at_least",
                    "",
                    "",
                    "",
                    "series or its 2016 level not in the data",
                )
            )
            continue
        last = d.iloc[-1]
        rows.append(
            _row(
                "7",
                f"{rid}: {name}: latest year ({last['year']}) at or above the 2016 "
                "level (verdict 'consistent' = level regained)",
                last["level_2016"],
                last["value"],
                "count",
                0,
                "at_least",
                f"{_fmt(last['value'])} vs 2016 level {_fmt(last['level_2016'])} "
                f"({last['pct_of_2016']:.0f}%); years {d['year'].iloc[0]}-{last['year']}",
                "An ambition, not a statement of fact; the target metric (adult rape "
                "cases reaching court, scorecard) is not in the data. All-age series; "
                "CPS series end 2021-22.",
                SRC_CPS if "CPS" in name else (SRC_MOJ_S if "MoJ" in name else SRC_CLOSURE),
            )
        )
    return pd.DataFrame(rows)


def claim8(
    cps: pd.DataFrame | None,
    panel: pd.DataFrame | None,
    first: str = "2021/22 Q1",
    last: str = "2022/23 Q1",
    big_fall_pp: float = 1.0,
) -> pd.DataFrame:
    """Claim 8: the proportion of rape cases charged is steadily increasing (2022)."""
    rows = []
    q = pd.Series(dtype=float)
    if cps is not None and not cps.empty:
        d = cps[(cps["measure"] == "charge_rate_pct") & (cps["period_type"] == "quarter")]
        vals = {}
        for p in d["period"].map(norm_period).unique():
            if _fq_index(first) <= _fq_index(p) <= _fq_index(last):
                v, _ = cps_value(d, "charge_rate_pct", p)
                if v is not None:
                    vals[_fq_index(p)] = v
        q = pd.Series(vals, dtype=float).sort_index()
    slope = None
    if len(q) >= 3:
        slope = float(np.polyfit(q.index.to_numpy(float), q.to_numpy(), 1)[0])
    listing = ", ".join(f"{_fq_label(i)} {v:g}" for i, v in q.items())
    rows.append(
        _row(
            "8",
            f"8a: CPS quarterly charge rate (legal decisions basis), {first} to "
            f"{last}: OLS slope > 0",
            0,
            slope,
            "pp per quarter",
            0,
            "at_least",
            f"slope of [{listing}] = {_fmt(slope)}",
            "CPS basis 2 (charged / all legal decisions, excl. admin finalised); "
            "missing quarters are skipped, not filled.",
            SRC_CPS,
            "fewer than 3 quarterly charge-rate rows in the window",
        )
    )
    consecutive = [(i, j) for i, j in zip(q.index[:-1], q.index[1:], strict=True) if j == i + 1]
    falls = sum(1 for i, j in consecutive if q[j] < q[i] - big_fall_pp)
    rows.append(
        _row(
            "8",
            f"8b: CPS quarterly charge rate: quarter-on-quarter falls > {big_fall_pp:g} pp",
            0,
            falls if consecutive else None,
            "count",
            0,
            "at_most",
            f"{falls} fall(s) over {len(consecutive)} consecutive pairs [{listing}]",
            "'Steadily' read as no fall larger than 1 pp.",
            SRC_CPS,
            "no consecutive quarterly charge-rate rows",
        )
    )
    ch, rec = annual(panel, "rape_charged_in_quarter"), annual(panel, "recorded_rape")
    yrs = [y for y in ("2019/20", "2020/21", "2021/22") if y in ch.index and y in rec.index]
    rate = (100 * ch[yrs] / rec[yrs]) if yrs else pd.Series(dtype=float)
    falls = int((rate.diff() < 0).sum()) if len(rate) == 3 else None
    rows.append(
        _row(
            "8",
            "8c: police charges (closure) / recorded rape, 2019/20 to 2021/22: year-on-year falls",
            0,
            falls,
            "count",
            0,
            "at_most",
            "rates " + ", ".join(f"{y} {v:.2f}%" for y, v in rate.items()),
            CHARGE_BASIS,
            f"{SRC_CLOSURE}; {SRC_PRC}",
            "police charges or recorded rape missing for 2019/20-2021/22",
        )
    )
    return pd.DataFrame(rows)


def _by_offence_row(df: pd.DataFrame | None, label: str, col_contains: str) -> float | None:
    if df is None or df.empty:
        return None
    first = df.columns[0]
    r = df[df[first].astype(str).str.strip() == label]
    cols = [c for c in df.columns if col_contains.lower() in str(c).lower()]
    if r.empty or not cols:
        return None
    return float(str(r.iloc[0][cols[0]]).replace(",", ""))


def timeliness_wide(df: pd.DataFrame | None) -> pd.DataFrame | None:
    """Year x measure table of MoJ rape prosecution times (all rape, 2011-2018 series).

    Accepts the processed long table (``year, offence, measure, value, source``, written by
    ``read_moj.read_timeliness``: only the ``All rape`` rows of the multi-year file are used, so
    2018 is never mixed with the 2018-by-offence file) or the raw wide file (a ``year`` column).
    """
    if df is None or df.empty:
        return None
    if {"measure", "value"} <= set(df.columns):
        d = df
        if "offence" in d.columns:
            d = d[d["offence"].astype(str).str.lower() == "all rape"]
        if "source" in d.columns:
            multi = d.groupby("source")["year"].nunique()
            d = d[d["source"] == multi.idxmax()]
        return d.pivot_table(
            index=d["year"].astype(int), columns="measure", values="value", aggfunc="first"
        )
    return df.set_index(df["year"].astype(int))


def claim9(
    moj_timeliness: pd.DataFrame | None, moj_by_offence: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Claim 9: long Crown Court delays in rape cases (MoJ timeliness 2011-2018)."""
    rows = []
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
    r = None if a is None or b is None else b / a
    rows.append(
        _row(
            "9",
            f"9a: median days offence to completion, {y1} / {y0} (delays lengthening)",
            1,
            r,
            "ratio",
            0,
            "at_least",
            f"{_fmt(b)} / {_fmt(a)} = {_fmt(r)}",
            basis,
            SRC_MOJ_T,
            "MoJ rape timeliness data missing",
        )
    )
    ms = ["mean_offence_to_completion_days", "mean_offence_to_charge_days"]
    c0 = None if val(y0, ms[0]) is None else val(y0, ms[0]) - val(y0, ms[1])
    c1 = None if val(y1, ms[0]) is None else val(y1, ms[0]) - val(y1, ms[1])
    r = None if c0 is None or c1 is None else c1 / c0
    rows.append(
        _row(
            "9",
            f"9b: mean days charge to completion (offence-to-completion minus "
            f"offence-to-charge), {y1} / {y0}",
            1,
            r,
            "ratio",
            0,
            "at_least",
            f"{_fmt(c1)} / {_fmt(c0)} = {_fmt(r)}",
            basis,
            SRC_MOJ_T,
            "MoJ rape timeliness means missing",
        )
    )
    rape = _by_offence_row(
        moj_by_offence, "Sexual offences: All rape", "Median sending to Crown Court to main hearing"
    )
    alls = _by_offence_row(
        moj_by_offence, "All Crown Court cases", "Median sending to Crown Court to main hearing"
    )
    r = None if rape is None or not alls else rape / alls
    rows.append(
        _row(
            "9",
            "9c: 2018 median days sending to Crown Court to main hearing, rape / "
            "all Crown Court cases",
            1,
            r,
            "ratio",
            0,
            "at_least",
            f"{_fmt(rape)} / {_fmt(alls)} = {_fmt(r)}",
            basis,
            "MoJ criminal court statistics, prosecution times 2018 by offence",
            "MoJ 2018 timeliness by offence missing",
        )
    )
    rows.append(
        _row(
            "9",
            "9d: Crown Court delays in 2020-21 (the period of the PCCs' statement)",
            1,
            None,
            "ratio",
            0,
            "at_least",
            "",
            basis,
            SRC_MOJ_T,
            "MoJ timeliness data in the project end in 2018; the Covid-19 backlog "
            "period is not covered",
        )
    )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------- inputs


@dataclass
class ClaimInputs:
    """The data frames the claims are tested on, and where each came from."""

    panel: pd.DataFrame | None = None
    cps: pd.DataFrame | None = None
    wm: pd.DataFrame | None = None
    moj_sentenced: pd.DataFrame | None = None
    moj_timeliness: pd.DataFrame | None = None
    moj_by_offence: pd.DataFrame | None = None
    origin: dict[str, str] = field(default_factory=dict)


def _first_existing(*cands: Path | None) -> Path | None:
    return next((p for p in cands if p is not None and p.exists()), None)


def load_claim_inputs(processed: Path | None = None, raw: Path | None = None) -> ClaimInputs:
    """Read processed files where the data layer has written them, else the fetched raw copies.

    Processed (``data/processed``, written by ``make data``): ``panel.parquet``,
    ``cps_rape_national.csv`` (transcribed rows used), ``moj_rape_sentenced.csv``,
    ``moj_rape_timeliness.csv``. Raw, because the data layer writes no processed version:
    ``moj/prosecution-times-2018-by-offence.csv`` (its all-offence comparison row is not kept in
    the processed timeliness table) and ``cps/transcribed/west-midlands-rape.csv`` (through
    :func:`rasso_research.read_cps.read_cps_wm_transcribed`). The raw fallbacks for the other
    files are plain CSV reads (no cleaning); the panel has no fallback: without
    ``panel.parquet`` the police-side readings are not testable.
    """
    processed = Path(processed) if processed else paths.DATA_PROCESSED
    raw = Path(raw) if raw else paths.DATA_RAW
    mirror = paths.mirror_dir()
    out = ClaimInputs()
    spec = {
        "panel": [processed / "panel.parquet"],
        "cps": [processed / "cps_rape_national.csv", raw / "cps/transcribed/national-rape-cps.csv"],
        "moj_sentenced": [
            processed / "moj_rape_sentenced.csv",
            raw / "moj/rape-sentenced-2009-2019.csv",
        ],
        "moj_timeliness": [
            processed / "moj_rape_timeliness.csv",
            raw / "moj/rape-prosecution-times-2011-2018.csv",
        ],
        "moj_by_offence": [
            processed / "moj_prosecution_times_2018_by_offence.csv",
            raw / "moj/prosecution-times-2018-by-offence.csv",
        ],
    }
    for name, cands in spec.items():
        if mirror is not None and len(cands) > 1:
            cands = cands + [mirror / cands[-1].relative_to(raw)]
        p = _first_existing(*cands)
        if p is None:
            continue
        df = pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p, encoding="utf-8-sig")
        setattr(out, name, df)
        out.origin[name] = str(p)
    # West Midlands: not written by the panel build, so read from the raw copy by its reader
    # (which labels each row's geography: CPS Area, West Midlands Police area, police-side).
    wm_rel = Path("cps/transcribed/west-midlands-rape.csv")
    p = _first_existing(raw / wm_rel, mirror / wm_rel if mirror is not None else None)
    if p is not None:
        from rasso_research.read_cps import read_cps_wm_transcribed

        out.wm = read_cps_wm_transcribed(p)
        out.origin["wm"] = f"{p} (read_cps.read_cps_wm_transcribed)"
    return out


def build_ledger(inputs: ClaimInputs | None = None) -> pd.DataFrame:
    """All claims, one row per reading, in the column order of :data:`LEDGER_COLUMNS`."""
    i = inputs if inputs is not None else load_claim_inputs()
    parts = [
        claim1(i.cps, i.moj_sentenced),
        claim2(i.panel),
        claim3(i.panel),
        claim4(i.cps, i.moj_sentenced),
        claim5(i.panel, i.cps),
        claim6(i.wm, i.panel),
        claim7(i.cps, i.panel, i.moj_sentenced),
        claim8(i.cps, i.panel),
        claim9(i.moj_timeliness, i.moj_by_offence),
    ]
    ledger = pd.concat(parts, ignore_index=True)
    return ledger[LEDGER_COLUMNS]


#: short label of each claim (the published statement being tested, not a result)
CLAIM_LABELS = {
    "1": "1,439 convicted in 2019-20, lowest since records began, down from 1,925",
    "2": "adult rape reports almost doubled since 2015-16",
    "3": "1.6% of reported rapes charged",
    "4": "convictions and prosecutions more than halved in three years",
    "5": "reports +173%, cases reaching court -44%, 4% prosecuted (June 2019)",
    "6": "CPS West Midlands: referrals +79.6%, charge share 38.4% to 71.4%, conviction rate "
    "60.3% to 79.5%, charges +33%",
    "7": "return cases reaching court to 2016 levels",
    "8": "proportion of rape cases charged steadily increasing (2022)",
    "9": "long Crown Court delays in rape cases",
}
_VERDICT_ORDER = (CONSISTENT, INCONSISTENT, NOT_TESTABLE)
_VERDICT_WORD = {
    CONSISTENT: "consistent",
    INCONSISTENT: "inconsistent",
    NOT_TESTABLE: "not testable",
}


def _fmt_value(x, unit: str) -> str:
    """A computed or published value for prose, rounded for display."""
    if _missing(x):
        return "NA"
    x = float(x)
    unit = str(unit)
    if unit == "percent":
        return f"{x:.1f}%"
    if unit == "percent change":
        return f"{x:+.1f}%"
    if unit.startswith("rank"):
        return f"rank {x:.0f}"
    if unit in ("count", "defendants", "suspects") or (x.is_integer() and abs(x) >= 100):
        return f"{x:,.0f}"
    if unit == "ratio":
        return f"{x:.2f}"
    return f"{x:.2f} {unit}"


def _against(tolerance) -> str:
    t = str(tolerance)
    return (
        "vs claimed at most"
        if t.startswith("at_most")
        else "vs claimed at least"
        if t.startswith("at_least")
        else "vs published"
    )


def interpret(ledger: pd.DataFrame) -> str:
    """Markdown text of the ledger: one sentence per claim, built only from its rows.

    For each claim, the readings are counted by verdict; consistent and inconsistent readings
    list their computed values against the published ones, not-testable readings give their
    reason (from ``computation``). Nothing in the text is typed in except the claim labels
    (:data:`CLAIM_LABELS`, the published statements) and the words of the verdicts.
    """
    if ledger is None or ledger.empty:
        return "_The ledger is empty._"
    lines = []
    ids = sorted(ledger["claim_id"].astype(str).unique(), key=lambda c: (len(c), c))
    for cid in ids:
        d = ledger[ledger["claim_id"].astype(str) == cid]
        n = len(d)
        parts = []
        for v in _VERDICT_ORDER:
            g = d[d["verdict"] == v]
            if g.empty:
                continue
            rid = g["reading"].astype(str).str.split(":").str[0]
            if v == NOT_TESTABLE:
                why = [
                    f"{r}: {str(comp).removeprefix('not testable: ')}"
                    for r, comp in zip(rid, g["computation"], strict=True)
                ]
                detail = "; ".join(why)
            else:
                detail = "; ".join(
                    f"{r} computed {_fmt_value(c, u)} {_against(t)} {_fmt_value(p, u)}"
                    for r, c, p, u, t in zip(
                        rid,
                        g["computed_value"],
                        g["published_value"],
                        g["unit"],
                        g["tolerance"],
                        strict=True,
                    )
                )
            parts.append(
                f"{len(g)} of {n} reading{'s' if n > 1 else ''} {_VERDICT_WORD[v]} ({detail})"
            )
        label = CLAIM_LABELS.get(cid)
        head = f"**Claim {cid}**" + (f" ({label})" if label else "")
        lines.append(f"- {head}: " + "; ".join(parts) + ".")
    return "\n".join(lines)


def write_table_local(df: pd.DataFrame, stem: str, outdir: Path | None = None) -> list[Path]:
    """Fallback writer (CSV + LaTeX) used only if ``rasso_research.reporting.write_table`` is absent."""
    outdir = Path(outdir) if outdir else paths.TABLES
    outdir.mkdir(parents=True, exist_ok=True)
    csv, tex = outdir / f"{stem}.csv", outdir / f"{stem}.tex"
    df.to_csv(csv, index=False)
    tex.write_text(df.to_latex(index=False, escape=True, na_rep="--"), encoding="utf-8")
    return [csv, tex]


def write_ledger(df: pd.DataFrame, stem: str = "claims_ledger", outdir: Path | None = None):
    """Write the ledger via ``reporting.write_table`` when it exists, else the local fallback."""
    try:
        from rasso_research.reporting import write_table
    except ImportError:
        return write_table_local(df, stem, outdir)
    return write_table(df, stem, outdir if outdir else paths.TABLES)
