"""The claims: one registered function per public claim (``@claim``), computing its readings
from the data.

Each function takes the :class:`~rasso_research.claims.inputs.ClaimInputs` (processed files)
and returns ledger rows built by :func:`~rasso_research.claims.ledger.row`: the value is
computed here, the published value, unit and tolerance come from ``config/claims.csv``. A
missing input gives the verdict ``not testable with the data present`` with the reason; gaps
are never filled. Adding a claim: a row per reading in ``config/claims.csv`` and one function
decorated with :func:`~rasso_research.claims.common.claim`, here or in a module of its own
imported below (as :mod:`.west_midlands`, claim 6). The ledger lists the claims by id.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from rasso_research import paths
from rasso_research.data.series import annual, rolling_year
from rasso_research.data.side_tables import moj_sentenced_by_year, timeliness_wide
from rasso_research.errors import ProjectError
from rasso_research.periods import fiscal_index, fiscal_label, norm_period
from rasso_research.report.format import fmt_num

from . import west_midlands  # noqa: F401 (registers claim 6)
from .common import (
    CHARGE_BASIS,
    CHARGED,
    CLAIMS,
    CPS_BASIS,
    PRC_BASIS,
    SRC_CLOSURE,
    SRC_COHORT,
    SRC_CPS,
    SRC_MOJ_S,
    SRC_MOJ_T,
    SRC_PRC,
    claim,
    cps_figure,
    cps_years,
    panel_source,
    pct_change,
    ratio_row,
    value_at,
    weakest,
)
from .inputs import ClaimInputs, load_claim_inputs
from .ledger import LEDGER_COLUMNS, close, load_readings, row


@claim("1", "1,439 convicted in 2019-20, lowest since records began, down from 1,925")
def claim1(i: ClaimInputs) -> Iterator[dict]:
    """Claim 1: 1,439 convicted in 2019-20, lowest since records began, down from 1,925."""
    cps, moj_sentenced = i.cps, i.moj_sentenced
    for rid, fy in (("1a", "2019/20"), ("1b", "2018/19")):
        v, note, tier = cps_figure(cps, "convictions", fy, "financial_year")
        yield row(
            f"{rid}: CPS rape-flagged convictions {fy}",
            v,
            f"convictions[{fy}] = {fmt_num(v)} ({note})",
            CPS_BASIS + " Compares the claim with the series as compiled; figures "
            "are published CPS figures, so this checks vintage agreement.",
            SRC_CPS,
            note,
            tier=tier,
        )
    years = cps_years(cps, "convictions")
    years = years.loc[[str(i) <= "2019/20" for i in years.index]]
    s = years["value"]
    rank = int(s.rank(method="min")["2019/20"]) if "2019/20" in s.index else None
    yield row(
        f"1c: 2019-20 lowest of CPS rape-flagged conviction years in the data "
        f"({s.index.min() if len(s) else 'none'} on)",
        rank,
        f"rank of {fmt_num(value_at(s, '2019/20'))} among {len(s)} years "
        f"(min {fmt_num(s.min() if len(s) else None)})",
        "'Since records began' can only be checked over the years transcribed "
        "(rape-flagged convictions from 2014-15); earlier VAWG years not present.",
        SRC_CPS,
        "no 2019-20 conviction row",
        tier=weakest(*years["tier"]),
    )
    m = moj_sentenced_by_year(moj_sentenced)
    mrank = int(m.rank(method="min")[2019]) if 2019 in m.index else None
    yield row(
        "1d: offence-based cross-check: 2019 lowest MoJ rape sentenced count "
        f"({m.index.min() if len(m) else 'none'}-{m.index.max() if len(m) else ''})",
        mrank,
        f"sentenced[2019] = {fmt_num(value_at(m, 2019))}, rank {mrank} of {len(m)}",
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
            value_at(a, fy),
            value_at(a, "2015/16"),
            PRC_BASIS + " The claim is about adults; all ages used here.",
            panel_source(i.panel, "recorded_rape", SRC_PRC),
            "recorded_rape annual totals missing (panel not built?)",
        )
    ad = annual(i.panel, "recorded_rape_adult")
    if ad.empty:
        f, m = annual(i.panel, "recorded_rape_19C"), annual(i.panel, "recorded_rape_19F")
        ad = (f + m).dropna() if not f.empty and not m.empty else ad
    yield ratio_row(
        "2c: adult recorded rape (19C+19F) 2020/21 / 2015/16",
        value_at(ad, "2020/21"),
        value_at(ad, "2015/16"),
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
        a, na, ta = cps_figure(cps, meas, y0, "financial_year")
        b, nb, tb = cps_figure(cps, meas, y1, "financial_year")
        yield ratio_row(
            f"{rid}: CPS rape-flagged {meas} {y1} / {y0}",
            b,
            a,
            CPS_BASIS,
            SRC_CPS,
            f"{na}; {nb}",
            tier=weakest(ta, tb),
        )
    m = moj_sentenced_by_year(moj_sentenced)
    yield ratio_row(
        "4e: offence-based: MoJ sentenced for rape 2019 / 2016",
        value_at(m, 2019),
        value_at(m, 2016),
        "MoJ offenders sentenced for rape (offence-based, calendar years).",
        SRC_MOJ_S,
        "MoJ sentencing data for 2016 or 2019 missing",
    )


@claim("5", "reports +173%, cases reaching court -44%, 4% prosecuted (June 2019)")
def claim5(i: ClaimInputs) -> Iterator[dict]:
    """Claim 5 (June 2019): reports +173%, cases reaching court -44%, 4% prosecuted."""
    panel, cps = i.panel, i.cps
    rec = annual(panel, "recorded_rape")
    src_rec = panel_source(panel, "recorded_rape", SRC_PRC)
    for rid, y0 in (("5a", "2014/15"), ("5b", "2013/14")):
        a, b = value_at(rec, y0), value_at(rec, "2018/19")
        pc = pct_change(a, b)
        yield row(
            f"{rid}: recorded rape % change {y0} to 2018/19",
            pc,
            f"100 * ({fmt_num(b)} - {fmt_num(a)}) / {fmt_num(a)} = {fmt_num(pc)}",
            PRC_BASIS + " The 2026 release is used; 2019 figures were lower.",
            src_rec,
            f"recorded rape totals for {y0} or 2018/19 missing",
        )
    ch = annual(panel, "rape_charged_in_quarter", source=CHARGED)
    a, b = value_at(ch, "2014/15"), value_at(ch, "2018/19")
    pc = pct_change(a, b)
    yield row(
        "5c: 'cases getting to court' as police charges/summons (closure), "
        "% change 2014/15 to 2018/19",
        pc,
        f"100 * ({fmt_num(b)} - {fmt_num(a)}) / {fmt_num(a)} = {fmt_num(pc)}",
        "Charge/summons outcomes recorded in the year (2024 edition; the older "
        "edition has 2,372 for 2018/19, which would give a larger fall).",
        panel_source(panel, "rape_charged_in_quarter", SRC_CLOSURE, CHARGED),
        "national charge series missing",
    )
    for rid, meas in (("5d", "prosecutions"), ("5e", "charges")):
        a, na, ta = cps_figure(cps, meas, "2014/15", "financial_year")
        b, nb, tb = cps_figure(cps, meas, "2018/19", "financial_year")
        pc = pct_change(a, b)
        yield row(
            f"{rid}: CPS rape-flagged {meas} % change 2014-15 to 2018-19",
            pc,
            f"100 * ({fmt_num(b)} - {fmt_num(a)}) / {fmt_num(a)} = {fmt_num(pc)}",
            CPS_BASIS,
            SRC_CPS,
            f"{na}; {nb}",
            tier=weakest(ta, tb),
        )
    r18, c18 = value_at(rec, "2018/19"), value_at(ch, "2018/19")
    yield ratio_row(
        "5f: police charges (closure) / recorded rape, 2018/19",
        c18,
        r18,
        CHARGE_BASIS,
        f"{SRC_CLOSURE}; {SRC_PRC}",
        "charges or recorded rape missing",
        scale=100,
    )
    cc, nc, tc = cps_figure(cps, "charges", "2018/19", "financial_year")
    yield ratio_row(
        "5g: CPS rape-flagged charges / police recorded rape, 2018-19",
        cc,
        r18,
        "Suspects charged (CPS) over offences recorded (police): different units.",
        f"{SRC_CPS}; {SRC_PRC}",
        f"recorded rape or CPS charges missing ({nc})",
        scale=100,
        tier=tc,
        other_data=True,
    )


def claim7_distance(
    cps: pd.DataFrame | None, panel: pd.DataFrame | None, moj_sentenced: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Distance to the 2016 level, every year, for the series closest to 'cases reaching court'.

    '2016 levels' is read as FY 2016/17 for financial-year series (as EVAW's target column) and
    calendar 2016 for MoJ sentencing. Columns: series, year, value, level_2016, distance,
    pct_of_2016, and tier and tier_2016: the provenance tiers of the transcribed CPS values
    (highest tier first; blank for the other series).
    """
    prosecutions, charges = cps_years(cps, "prosecutions"), cps_years(cps, "charges")
    series = {
        "CPS rape-flagged prosecutions (completed)": (prosecutions, "2016/17"),
        "CPS rape-flagged charges (suspects)": (charges, "2016/17"),
        "Police charges/summons for rape (closure)": (
            annual(panel, "rape_charged_in_quarter", source=CHARGED),
            "2016/17",
        ),
        "MoJ offenders sentenced for rape": (moj_sentenced_by_year(moj_sentenced), 2016),
    }
    parts = []
    for name, (s, base_key) in series.items():
        tiers = s["tier"] if isinstance(s, pd.DataFrame) else pd.Series("", index=s.index)
        s = s["value"] if isinstance(s, pd.DataFrame) else s
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
                    "tier": tiers.values,
                    "tier_2016": tiers[base_key],
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=DISTANCE_COLUMNS)
    return pd.concat(parts, ignore_index=True)


DISTANCE_COLUMNS = [
    "series",
    "year",
    "value",
    "level_2016",
    "distance",
    "pct_of_2016",
    "tier",
    "tier_2016",
]


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
            tier=weakest(last["tier"] or None, last["tier_2016"] or None),
        )


#: claim 8's window (the quarters reported around the 2022 statement) and its reading of
#: "steadily": no quarter-on-quarter fall larger than this many percentage points
CLAIM8_FIRST, CLAIM8_LAST, STEADY_FALL_PP = "2021/22 Q1", "2022/23 Q1", 1.0


@claim("8", "proportion of rape cases charged steadily increasing (2022)")
def claim8(i: ClaimInputs) -> Iterator[dict]:
    """Claim 8: the proportion of rape cases charged is steadily increasing (2022)."""
    cps, panel = i.cps, i.panel
    first, last, big_fall_pp = CLAIM8_FIRST, CLAIM8_LAST, STEADY_FALL_PP
    q, tiers = pd.Series(dtype=float), {}
    if cps is not None and not cps.empty:
        d = cps[(cps["measure"] == "charge_rate_pct") & (cps["period_type"] == "quarter")]
        vals = {}
        for p in d["period"].map(norm_period).unique():
            if fiscal_index(first) <= fiscal_index(p) <= fiscal_index(last):
                v, _, t = cps_figure(d, "charge_rate_pct", p)
                if v is not None:
                    vals[fiscal_index(p)] = v
                    tiers[fiscal_index(p)] = t
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
        tier=weakest(*tiers.values()),
    )
    consecutive = [(i, j) for i, j in zip(q.index[:-1], q.index[1:], strict=True) if j == i + 1]
    falls = sum(1 for i, j in consecutive if q[j] < q[i] - big_fall_pp)
    paired = {k for pair in consecutive for k in pair}
    yield row(
        f"8b: CPS quarterly charge rate: quarter-on-quarter falls > {big_fall_pp:g} pp",
        falls if consecutive else None,
        f"{falls} fall(s) over {len(consecutive)} consecutive pairs [{listing}]",
        "'Steadily' read as no fall larger than 1 pp.",
        SRC_CPS,
        "no consecutive quarterly charge-rate rows",
        tier=weakest(*(tiers[k] for k in paired)),
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
    """Every registered claim in the order of their ids, one row per reading, in the column
    order of ``LEDGER_COLUMNS``."""
    i = inputs if inputs is not None else load_claim_inputs()
    ids = sorted(CLAIMS, key=lambda cid: (len(cid), cid))
    ledger = pd.concat([CLAIMS[cid](i) for cid in ids], ignore_index=True)
    check_readings(ledger)
    return ledger[LEDGER_COLUMNS]


def check_readings(ledger: pd.DataFrame, config_ids=None) -> None:
    """Every reading of ``config/claims.csv`` is computed by a claim function: a row whose
    claim has no function (or whose function never yields it) is an error, not a claim left
    out of the ledger."""
    produced = set(ledger["reading"].str.split(":").str[0].str.strip())
    config_ids = list(load_readings().index) if config_ids is None else list(config_ids)
    unused = [r for r in config_ids if r not in produced]
    if unused:
        first = unused[0]
        raise ProjectError(
            paths.CONFIG / "claims.csv",
            f"reading(s) {', '.join(map(repr, unused))} computed by no claim function "
            f"(claims registered: {', '.join(sorted(CLAIMS, key=lambda c: (len(c), c)))})"
            f"{close(first.rstrip('abcdefghijklmnopqrstuvwxyz'), CLAIMS)}",
            "add a function with @claim(...) in claims/readings.py, or remove the row",
        )
