"""Tests for the claims ledger (rasso_research.claims) on small synthetic frames."""

from __future__ import annotations

import pandas as pd
import pytest

from rasso_research import claims as c
from rasso_research import paths, periods
from rasso_research.constants import NATIONAL
from rasso_research.data import catalog
from rasso_research.data import series as S

CHARGED = catalog.label("charged_nat")


def run(n, **frames):
    """Claim ``n`` on the given frames (the others absent)."""
    return c.CLAIMS[str(n)](c.ClaimInputs(**frames))


NT = c.NOT_TESTABLE


def _cps(rows, tier="primary"):
    """Transcribed rows ``(period_type, period, measure, value[, tier])``, of ``tier`` unless
    the row gives its own."""
    return pd.DataFrame(
        [
            dict(
                period_type=r[0],
                period=r[1],
                measure=r[2],
                value=r[3],
                unit="count",
                source_title="s",
                source_url=f"u{i}",
                tier=r[4] if len(r) > 4 else tier,
            )
            for i, r in enumerate(rows)
        ]
    )


def _panel(measure, fy_values, force=NATIONAL, source="synthetic"):
    """Quarterly panel rows with each fiscal year's total spread evenly over 4 quarters."""
    rows = []
    for fy, total in fy_values.items():
        for q in range(1, 5):
            rows.append(
                dict(
                    fiscal_quarter=f"{fy} Q{q}",
                    quarter=periods.fiscal_to_calendar(f"{fy} Q{q}"),
                    force=force,
                    force_code="K04000001",
                    measure=measure,
                    value=total / 4,
                    source=source,
                )
            )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ verdict rule


@pytest.mark.parametrize(
    "pub,comp,tol,kind,want",
    [
        (100, 100.9, 0.01, "relative", c.CONSISTENT),
        (100, 102, 0.01, "relative", c.INCONSISTENT),
        (1.6, 1.64, 0.05, "absolute", c.CONSISTENT),
        (1.6, 1.7, 0.05, "absolute", c.INCONSISTENT),
        (0.5, 0.48, 0, "at_most", c.CONSISTENT),
        (0.5, 0.52, 0, "at_most", c.INCONSISTENT),
        (1, 1.63, 0, "at_least", c.CONSISTENT),
        (1, 0.9, 0, "at_least", c.INCONSISTENT),
        (1.6, None, 0.05, "absolute", NT),
        (None, 3.0, 0.05, "absolute", NT),
        (1.6, float("nan"), 0.05, "absolute", NT),
    ],
)
def test_verdict(pub, comp, tol, kind, want):
    assert c.verdict(pub, comp, tol, kind) == want


def test_verdict_bad_kind():
    with pytest.raises(ValueError):
        c.verdict(1, 1, 0.1, kind="fuzzy")
    with pytest.raises(ValueError):
        c.verdict(1, 1, -0.1)


# ------------------------------------------------------------------ circular checks


@pytest.mark.parametrize(
    "numbers,tier,quoted,other,want",
    [
        (c.CONSISTENT, "primary", True, False, False),  # the release itself: a real check
        (c.CONSISTENT, "secondary", True, False, True),
        (c.CONSISTENT, "press", True, False, True),
        (c.CONSISTENT, None, True, False, False),  # no transcription used
        (c.CONSISTENT, "press", False, False, False),  # published value set by the data
        (c.CONSISTENT, "press", True, True, False),  # another input is independent data
        (c.INCONSISTENT, "press", True, False, False),  # disagreement is still reported
    ],
)
def test_is_circular(numbers, tier, quoted, other, want):
    assert c.is_circular(numbers, tier, quoted, other) is want


def test_claim1_primary_stays_consistent_and_same_release_transcription_is_circular():
    primary = _cps([("financial_year", "2019-20", "convictions", 1439)])
    out = run(1, cps=primary)
    assert out.loc[0, "verdict"] == c.CONSISTENT and out.loc[0, "tier"] == "primary"
    press = _cps([("financial_year", "2019-20", "convictions", 1439)], tier="press")
    out = run(1, cps=press)
    assert out.loc[0, "verdict"] == c.CIRCULAR and out.loc[0, "tier"] == "press"
    assert out.loc[0, "basis_note"].startswith("circular (tier press): " + c.ledger.CIRCULAR_WHY)
    # a wrong copy is still inconsistent (two copies of one release disagree)
    wrong = _cps([("financial_year", "2019-20", "convictions", 1500)], tier="press")
    assert run(1, cps=wrong).loc[0, "verdict"] == c.INCONSISTENT


def test_the_highest_tier_is_used_and_a_computed_value_takes_its_weakest_input():
    d = _cps(
        [
            ("financial_year", "2019-20", "convictions", 1500, "press"),
            ("financial_year", "2019-20", "convictions", 1500, "press"),
            ("financial_year", "2019-20", "convictions", 1439, "secondary"),
            ("financial_year", "2016-17", "convictions", 2991, "primary"),
        ]
    )
    v, note, tier = c.common.cps_figure(d, "convictions", "2019/20", "financial_year")
    assert (v, tier) == (1439, "secondary")  # not the more frequent press value
    assert note == "tier secondary: 1 source(s); lower-tier value(s) 1500 set aside"
    out = run(4, cps=d)
    assert out.loc[0, "tier"] == "secondary"  # 1439 (secondary) / 2991 (primary)
    assert out.loc[0, "verdict"] == c.CIRCULAR
    d.loc[2, "tier"] = "primary"
    assert run(4, cps=d).loc[0, "verdict"] == c.CONSISTENT


def test_circular_does_not_override_not_comparable_or_data_defined_levels():
    d = _cps(
        [
            ("financial_year", "2016-17", "prosecutions", 5000),
            ("financial_year", "2021-22", "prosecutions", 5100),
        ],
        tier="press",
    )
    out = run(7, cps=d)  # claim 7's level comes from the data: no release is quoted
    assert out.loc[0, "verdict"] == c.CONSISTENT and out.loc[0, "tier"] == "press"
    p = _panel("recorded_rape", {"2018/19": 50000})
    d5 = _cps([("financial_year", "2018-19", "charges", 2000)], tier="press")
    g = run(5, cps=d5, panel=p).set_index(run(5, cps=d5, panel=p)["reading"].str[:2])
    assert g.loc["5g", "verdict"] == c.NOT_COMPARABLE and g.loc["5g", "tier"] == "press"


def test_interpret_counts_and_explains_circular_readings():
    d = _cps([("financial_year", "2019-20", "convictions", 1439)], tier="secondary")
    text = c.interpret(run(1, cps=d))
    assert (
        "2 of 4 readings circular (1a computed 1,439 (secondary tier) vs published 1,439; "
        "1c computed rank 1 (secondary tier) vs published rank 1): the figure checked is a "
        "transcription of the same release the claim quotes, so agreement shows only that it "
        "was copied correctly" in text
    )
    assert "consistent" not in text


def test_a_table_without_tiers_is_refused():
    d = _cps([("financial_year", "2019-20", "convictions", 1439)]).drop(columns="tier")
    with pytest.raises(KeyError, match="rebuild data/processed"):
        run(1, cps=d)


# ------------------------------------------------------------------ helpers


def test_norm_period_and_annual():
    assert periods.norm_period("2018-19") == "2018/19"
    assert periods.norm_period("year ending 2019-20 Q3") == "year ending 2019/20 Q3"
    p = _panel("recorded_rape", {"2015/16": 400, "2016/17": 800})
    p = p.iloc[:-1]  # drop 2016/17 Q4: incomplete years are not totalled
    a = S.annual(p, "recorded_rape")
    assert a.to_dict() == {"2015/16": 400.0}
    assert S.rolling_year(p, "recorded_rape", "2015/16 Q4") == 400
    assert S.rolling_year(p, "recorded_rape", "2016/17 Q4") is None


def test_cps_value_conflicts():
    d = _cps(
        [
            ("financial_year", "2016-17", "charges", 3671),
            ("financial_year", "2016-17", "charges", 3671),
            ("financial_year", "2016-17", "charges", 3910),
            ("quarter", "2021-22 Q1", "charge_rate_pct", 69),
            ("quarter", "2021-22 Q1", "charge_rate_pct", 69.3),
            ("financial_year", "2014-15", "charge_rate_pct", 59.2),
            ("financial_year", "2014-15", "charge_rate_pct", 64.3),
        ]
    )
    v, note = S.cps_value(d, "charges", "2016/17")
    assert v == 3671 and "3910" in note
    assert S.cps_value(d, "charge_rate_pct", "2021/22 Q1")[0] == 69.3
    assert S.cps_value(d, "charge_rate_pct", "2014/15")[0] is None  # real conflict, no average


# ------------------------------------------------------------------ claims


def test_claim1():
    d = _cps(
        [
            ("financial_year", "2017-18", "convictions", 2635),
            ("financial_year", "2018-19", "convictions", 1925),
            ("financial_year", "2019-20", "convictions", 1439),
        ]
    )
    moj = pd.DataFrame({"year": [2016, 2019], "sentenced": [1347, 698]})
    out = run(1, cps=d, moj_sentenced=moj).set_index(out_key := "reading")
    assert list(out["verdict"]) == [c.CONSISTENT] * 4
    d2 = _cps([("financial_year", "2019-20", "convictions", 1500)])
    out2 = run(1, cps=d2)
    assert out2.loc[0, "verdict"] == c.INCONSISTENT  # 1500 vs 1439
    assert out2.loc[1, "verdict"] == NT and "no convictions row" in out2.loc[1, "computation"]
    assert out_key == "reading"


def test_claim2():
    p = _panel("recorded_rape", {"2015/16": 36000, "2019/20": 59000, "2020/21": 55000})
    out = run(2, panel=p)
    assert out.loc[0, "computed_value"] == pytest.approx(55000 / 36000, rel=1e-3)
    assert out.loc[0, "verdict"] == c.INCONSISTENT  # 1.53 is not 'almost doubled'
    assert out.loc[2, "verdict"] == NT
    assert (run(2)["verdict"] == NT).all()


def test_claim3():
    p = pd.concat(
        [
            _panel("recorded_rape", {"2019/20": 60000, "2020/21": 56000}),
            _panel("rape_charged_in_quarter", {"2019/20": 2400, "2020/21": 896}, source=CHARGED),
        ]
    )
    out = run(3, panel=p)
    assert out.loc[1, "computed_value"] == pytest.approx(1.6)
    # closure charges over recorded rape against a published cohort rate: shown, not judged
    assert out.loc[1, "verdict"] == c.NOT_COMPARABLE
    assert out.loc[2, "verdict"] == NT  # no cohort measure


def test_claim4():
    d = _cps(
        [
            ("financial_year", "2016-17", "convictions", 2991),
            ("financial_year", "2019-20", "convictions", 1439),
            ("financial_year", "2016-17", "prosecutions", 5190),
            ("financial_year", "2019-20", "prosecutions", 2700),
        ]
    )
    out = run(
        4, cps=d, moj_sentenced=pd.DataFrame({"year": [2016, 2019], "sentenced": [1347, 698]})
    )
    assert list(out["verdict"][:2]) == [c.CONSISTENT, c.INCONSISTENT]
    assert out.loc[2, "verdict"] == NT
    assert out.loc[4, "verdict"] == c.INCONSISTENT  # 0.518 not below one half


def test_claim5():
    p = pd.concat(
        [
            _panel("recorded_rape", {"2014/15": 20000, "2018/19": 54600}),
            _panel("rape_charged_in_quarter", {"2014/15": 4400, "2018/19": 2400}, source=CHARGED),
        ]
    )
    out = run(5, panel=p).set_index("reading")
    v = out["verdict"].tolist()
    assert v[0] == c.CONSISTENT  # +173%
    assert v[1] == NT  # no 2013/14
    assert v[2] == c.CONSISTENT  # -45.5% vs -44%, within 5 pp
    assert v[5] == c.CONSISTENT  # 2400 / 54600 = 4.4%
    assert v[6] == NT


def test_claim6_not_testable_and_testable():
    wm = _cps([("financial_year", "2016-17", "wmp_area_charges", 211)])
    out = run(6, wm=wm)
    assert (out["verdict"] == NT).all()
    assert "wmp_force_area" not in out.loc[0, "computation"]  # no geography column: all area
    assert (
        "no West Midlands precharge_receipts/precharge_referrals rows" in out.loc[0, "computation"]
    )
    wm2 = _cps(
        [
            ("rolling_year", "year ending 2018-19 Q3", "precharge_receipts", 500),
            ("rolling_year", "year ending 2020-21 Q3", "precharge_receipts", 898),
        ]
    )
    out2 = run(6, wm=wm2)
    assert out2.loc[0, "computed_value"] == pytest.approx(79.6)
    assert out2.loc[0, "verdict"] == c.CONSISTENT


def test_claim7_distance():
    d = _cps(
        [
            ("financial_year", "2016-17", "prosecutions", 5000),
            ("financial_year", "2019-20", "prosecutions", 2000),
            ("financial_year", "2021-22", "prosecutions", 5100),
        ]
    )
    dist = c.claim7_distance(d, None)
    assert dist["distance"].tolist() == [0, -3000, 100]
    out = run(7, cps=d)
    assert out.loc[0, "verdict"] == c.CONSISTENT  # level regained
    assert out.loc[2, "verdict"] == NT


def test_claim8():
    d = _cps(
        [
            ("quarter", "2021-22 Q1", "charge_rate_pct", 60),
            ("quarter", "2021-22 Q2", "charge_rate_pct", 62),
            ("quarter", "2021-22 Q3", "charge_rate_pct", 64),
            ("quarter", "2021-22 Q4", "charge_rate_pct", 66),
        ]
    )
    out = run(8, cps=d)
    assert out.loc[0, "computed_value"] == pytest.approx(2.0)
    assert list(out["verdict"]) == [c.CONSISTENT, c.CONSISTENT, NT]
    d.loc[2, "value"] = 58
    assert run(8, cps=d).loc[1, "verdict"] == c.INCONSISTENT


def test_claim9():
    wide = {
        "median_offence_to_completion_days": [400, 800],
        "mean_offence_to_completion_days": [2000, 2800],
        "mean_offence_to_charge_days": [1700, 2400],
    }
    t = pd.DataFrame(
        [
            dict(year=y, offence="All rape", measure=m, value=v[i], source="times.csv")
            for m, v in wide.items()
            for i, y in enumerate((2011, 2018))
        ]
    )
    out = run(9, moj_timeliness=t)
    assert out.loc[0, "computed_value"] == pytest.approx(2.0)
    assert out.loc[1, "computed_value"] == pytest.approx(400 / 300, abs=1e-3)
    assert list(out["verdict"]) == [c.CONSISTENT, c.CONSISTENT, NT, NT]


def test_build_ledger_empty_inputs_all_not_testable():
    led = c.build_ledger(c.ClaimInputs())
    assert list(led.columns) == c.LEDGER_COLUMNS
    assert (led["verdict"] == NT).all()
    assert led["computation"].str.startswith("not testable").all()
    assert set(led["claim_id"]) == {str(i) for i in range(1, 10)}


def test_claims_config_matches_ledger():
    cfg = c.load_readings()
    led = c.build_ledger(c.ClaimInputs())
    ledger_ids = set(led["reading"].str.split(":").str[0])
    assert set(cfg.index) == ledger_ids
    # published values, units and tolerances come from the config and nowhere else
    by = led.assign(rid=led["reading"].str.split(":").str[0]).set_index("rid")
    for rid, r in cfg.iterrows():
        assert by.loc[rid, "unit"] == r["unit"]
        assert by.loc[rid, "tolerance"] == f"{r['kind']} {float(r['tolerance']):g}"
        if r["published_value"]:
            assert by.loc[rid, "published_value"] == float(r["published_value"])


def test_a_published_value_changed_in_the_config_changes_the_verdict(tmp_path, monkeypatch):
    cfg = pd.read_csv(paths.CONFIG / "claims.csv", dtype=str, keep_default_na=False)
    d = _cps([("financial_year", "2019-20", "convictions", 1439)])
    assert run(1, cps=d).loc[0, "verdict"] == c.CONSISTENT
    cfg.loc[cfg["id"] == "1a", "published_value"] = "1500"
    cfg.to_csv(tmp_path / "claims.csv", index=False)
    monkeypatch.setattr(c.ledger, "_readings", lambda: c.load_readings(tmp_path / "claims.csv"))
    out = run(1, cps=d)
    assert out.loc[0, "published_value"] == 1500 and out.loc[0, "verdict"] == c.INCONSISTENT


def test_bad_config_row_is_named(tmp_path):
    cfg = pd.read_csv(paths.CONFIG / "claims.csv", dtype=str, keep_default_na=False)
    cfg.loc[cfg["id"] == "2b", "kind"] = "roughly"
    cfg.to_csv(tmp_path / "claims.csv", index=False)
    with pytest.raises(ValueError, match=r"line 7 \(id='2b'\), column 'kind'"):
        c.load_readings(tmp_path / "claims.csv")


def _config_claim_ids() -> set[str]:
    """The claim ids of ``config/claims.csv`` (reading ``5c`` belongs to claim ``5``)."""
    return {"".join(ch for ch in rid if ch.isdigit()) for rid in c.load_readings().index}


def test_every_claim_is_registered_with_a_label():
    assert set(c.CLAIMS) == _config_claim_ids()
    assert set(c.CLAIM_LABELS) == set(c.CLAIMS)


def test_the_ledger_lists_the_claims_in_the_order_of_their_ids():
    ids = c.build_ledger(c.ClaimInputs())["claim_id"].drop_duplicates().tolist()
    assert ids == sorted(_config_claim_ids(), key=lambda cid: (len(cid), cid))


# ------------------------------------------------------------------ real data


@pytest.mark.mirror
def test_ledger_on_processed_data():
    if not (paths.DATA_PROCESSED / "panel.parquet").exists():
        pytest.skip("data/processed/panel.parquet not built")
    led = c.build_ledger()
    assert len(led) >= 30
    by = led.assign(rid=led["reading"].str.split(":").str[0]).set_index("rid")
    # 1,439 is read only on pages quoting the CPS release (Rape Crisis, EVAW, PA): circular
    assert by.loc["1a", "verdict"] == c.CIRCULAR and by.loc["1a", "tier"] == "secondary"
    # 1,925 is also in the HMCPSI rape inspection (an inspectorate: primary)
    assert by.loc["1b", "verdict"] == c.CONSISTENT and by.loc["1b", "tier"] == "primary"
    assert by.loc["1c", "verdict"] == c.CIRCULAR
    # no reading on transcriptions alone below the primary tier reads "consistent"
    cfg = c.load_readings()
    for rid, r in by.iterrows():
        quoted = cfg.loc[rid, "published_value"] != ""
        if r["sources"] == c.common.SRC_CPS and quoted and r["tier"] in ("secondary", "press"):
            assert r["verdict"] != c.CONSISTENT, rid
        if r["verdict"] == c.CIRCULAR:
            assert "CPS" in cfg.loc[rid, "measure"], rid  # the claim quotes CPS figures
    # published sanity: national rape charges 2014/15 = 4,414 and 2018/19 = 2,596 (closure)
    assert by.loc["5c", "computed_value"] == pytest.approx(100 * (2596 - 4414) / 4414, abs=0.5)
    # 6h rests on West Midlands' cohort low of 2020/21 (183 charges), and the note says so
    assert by.loc["6h", "note"].startswith("the end year, 2020/21, is the lowest of West Midlands'")
    assert "(183)" in by.loc["6h", "note"] and by.loc["6g", "note"] == ""


def test_claim6_uses_area_rows_only_and_names_other_geographies():
    wm = _cps(
        [
            ("rolling_year", "year ending 2018-19 Q3", "wmp_area_charges", 100),
            ("rolling_year", "year ending 2020-21 Q3", "wmp_area_charges", 133),
            ("rolling_year", "year ending 2021-22 Q3", "charges", 192),
        ]
    )
    wm["geography"] = ["wmp_force_area", "wmp_force_area", "cps_area"]
    wm["base_measure"] = ["charges", "charges", "charges"]
    out = run(6, wm=wm).set_index(run(6, wm=wm)["reading"].str[:2])
    assert out.loc["6d", "verdict"] == NT  # force-area rows are not the CPS Area
    assert "cps_area: year ending 2021/22 Q3 (192)" in out.loc["6d", "computation"]
    assert "wmp_force_area: year ending 2018/19 Q3 (100)" in out.loc["6d", "computation"]
    wm.loc[:, "geography"] = "cps_area"
    wm.loc[:, "measure"] = "charges"
    out = run(6, wm=wm)
    assert out.loc[3, "computed_value"] == pytest.approx(33.0)
    assert out.loc[3, "verdict"] == c.CONSISTENT


def test_claim6_panel_conviction_rate_reading():
    conv = _panel(
        "cps_sexual_offences_convictions", {"2017/18": 400, "2018/19": 400}, force="West Midlands"
    )
    uns = _panel(
        "cps_sexual_offences_unsuccessful", {"2017/18": 200, "2018/19": 200}, force="West Midlands"
    )
    out = run(6, panel=pd.concat([conv, uns]))
    e, f = out.iloc[4], out.iloc[5]
    assert e["reading"].startswith("6e") and f["reading"].startswith("6f")
    assert e["computed_value"] == pytest.approx(66.6667, abs=1e-3)  # summed, not averaged
    assert e["verdict"] == c.NOT_COMPARABLE  # all sexual offences vs a rape-flagged 60.3%
    assert f["verdict"] == NT
    assert "2017/18 Q1 to 2018/19 Q4" in f["computation"]
    uns2 = _panel(
        "cps_sexual_offences_unsuccessful", {"2017/18": 264, "2018/19": 264}, force="West Midlands"
    )
    e2 = run(6, panel=pd.concat([conv, uns2])).iloc[4]
    assert e2["computed_value"] == pytest.approx(60.241, abs=1e-3)  # 400 / 664
    assert e2["verdict"] == c.NOT_COMPARABLE  # even when the numbers agree


def test_claim9_processed_long_timeliness():
    rows = []
    for y, med, mc, mch in ((2011, 300, 400, 200), (2018, 450, 500, 250)):
        for m, v in (
            ("median_offence_to_completion_days", med),
            ("mean_offence_to_completion_days", mc),
            ("mean_offence_to_charge_days", mch),
        ):
            rows.append(
                dict(
                    year=y,
                    offence="All rape",
                    measure=m,
                    value=v,
                    source="rape-prosecution-times-2011-2018.csv",
                )
            )
    # the 2018-by-offence file also has 2018 'All rape' rows: must not be mixed in
    rows.append(
        dict(
            year=2018,
            offence="All rape",
            measure="median_offence_to_completion_days",
            value=9999,
            source="prosecution-times-2018-by-offence.csv",
        )
    )
    rows.append(
        dict(
            year=2018,
            offence="Adult rape",
            measure="median_offence_to_completion_days",
            value=1,
            source="prosecution-times-2018-by-offence.csv",
        )
    )
    out = run(9, moj_timeliness=pd.DataFrame(rows))
    assert out.loc[0, "computed_value"] == pytest.approx(1.5)
    assert out.loc[1, "computed_value"] == pytest.approx(250 / 200)
    assert (out.loc[:1, "verdict"] == c.CONSISTENT).all()


def _ledger_rows():
    def r(cid, rid, pub, comp, unit, tol, v, comp_txt=""):
        return dict(
            claim_id=cid,
            reading=f"{rid}: text",
            published_value=pub,
            computed_value=comp,
            unit=unit,
            tolerance=tol,
            verdict=v,
            computation=comp_txt,
            basis_note="",
            sources="",
        )

    return pd.DataFrame(
        [
            r("3", "3a", 1.6, 5.2957, "percent", "absolute 0.05", c.INCONSISTENT),
            r("3", "3b", 1.6, 5.6687, "percent", "absolute 0.05", c.INCONSISTENT),
            r(
                "3",
                "3c",
                1.6,
                None,
                "percent",
                "absolute 0.05",
                NT,
                "not testable: cohort outcomes end 2018/19",
            ),
            r("4", "4a", 0.5, 0.4811, "ratio", "at_most 0", c.CONSISTENT),
            r("10", "10a", 1439, 1439.0, "defendants", "relative 0.005", c.CONSISTENT),
        ],
        columns=c.LEDGER_COLUMNS,
    )


def test_interpret_synthetic_ledger():
    text = c.interpret(_ledger_rows())
    lines = text.splitlines()
    assert len(lines) == 3  # one sentence per claim, claims in numeric order
    assert lines[0].startswith("- **Claim 3** (1.6% of reported rapes charged): ")
    assert (
        "2 of 3 readings inconsistent (3a computed 5.3% vs published 1.6%; 3b computed "
        "5.7% vs published 1.6%)" in lines[0]
    )
    assert "1 of 3 readings not testable (3c: cohort outcomes end 2018/19)" in lines[0]
    assert "1 of 1 reading consistent (4a computed 0.48 vs claimed at most 0.50)" in lines[1]
    assert lines[2].startswith("- **Claim 10**: 1 of 1 reading consistent (10a computed 1,439 ")
    assert c.interpret(_ledger_rows().iloc[:0]) == "_The ledger is empty._"


def test_interpret_follows_the_data():
    led = _ledger_rows()
    led.loc[0, ["computed_value", "verdict"]] = [1.62, c.CONSISTENT]
    text = c.interpret(led)
    assert "1 of 3 readings consistent (3a computed 1.6% vs published 1.6%)" in text
    assert "1 of 3 readings inconsistent (3b" in text


def test_reading_on_another_basis_is_not_comparable():
    """config/claims.csv's ``not_comparable`` column turns a verdict into "not comparable"
    with its reason; the value is still shown, and the text gives the reason."""
    from rasso_research.claims.ledger import row

    out = row("3a: share", 5.3, "closure / recorded", "basis as computed", "src")
    assert out["verdict"] == c.NOT_COMPARABLE
    assert out["basis_note"].startswith("not comparable: the published 1.6% is a cohort rate")
    assert out["computed_value"] == 5.3
    text = c.interpret(pd.DataFrame([out]))
    assert "1 of 1 reading not comparable (3a computed 5.3%, published 1.6%: the published" in text
    missing = row("3a: share", None, "x", "basis", "src", reason="no data")
    assert missing["verdict"] == c.NOT_TESTABLE  # nothing to show: not testable first


def test_claim6_offence_group_readings_of_the_33pct_rise():
    """6g/6h read 6d on the police offence-group basis (FY 2018/19 -> 2020/21, both measures):
    the value is shown, the verdict is "not comparable" (different basis); a flagged value or
    an absent table is not testable."""
    fy = pd.DataFrame(
        [
            ("West Midlands", "Sexual offences", m, y, v, "")
            for m, vals in (("charged_closed", (300, 400)), ("charged_cohort", (200, 100)))
            for y, v in zip(("2018/19", "2020/21"), vals, strict=True)
        ],
        columns=["force", "offence_group", "measure", "fiscal_year", "value", "flag"],
    )
    out = run(6, force_year=fy)
    g, h = out.iloc[6], out.iloc[7]
    assert g["reading"].startswith("6g") and h["reading"].startswith("6h")
    assert g["computed_value"] == pytest.approx(100 / 3, abs=1e-3)
    assert h["computed_value"] == pytest.approx(-50.0)
    assert g["verdict"] == h["verdict"] == c.NOT_COMPARABLE
    assert "not CPS RASSO charges" in g["basis_note"]
    fy.loc[fy["measure"] == "charged_cohort", "flag"] = "cohort incomplete"
    assert run(6, force_year=fy).iloc[7]["verdict"] == NT
    assert run(6).iloc[6]["verdict"] == NT


def test_claims_import_data_but_not_designs_plots_or_report_text():
    import ast
    from pathlib import Path

    for path in sorted(Path(c.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text())
        used = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        for n in ast.walk(tree):
            if isinstance(n, ast.ImportFrom) and n.module:
                used |= {n.module} | {f"{n.module}.{a.name}" for a in n.names}
        for mod in sorted(used):
            assert not mod.startswith(("rasso_research.designs", "rasso_research.plots")), path
            assert not mod.startswith("rasso_research.report.text"), path


def test_claim6_charges_note_is_computed_from_the_published_figures(tmp_path, monkeypatch):
    """6a, 6b, 6d and 6i carry one note: referrals x1.796 with a charge share 38.4% -> 71.4%
    imply charges x3.34 if the share were per referral, not 6d's +33%; the numbers come from
    config/claims.csv, so changing a published value changes the note."""
    out = run(6)
    by = out.set_index(out["reading"].str[:2])
    assert list(by.index) == ["6a", "6b", "6c", "6d", "6e", "6f", "6g", "6h", "6i"]
    note = by.loc["6a", "note"]
    assert note == by.loc["6b", "note"] == by.loc["6d", "note"] == by.loc["6i", "note"]
    assert by.loc["6c", "note"] == "" and by.loc["6e", "note"] == ""
    assert "referrals x1.796 (+79.6%)" in note
    assert "charge share rising from 38.4% to 71.4%" in note
    assert "imply charges x3.34 (1.796 x 71.4/38.4, +234%)" in note
    assert "against 6d's +33% (x1.33)" in note
    assert by.loc["6i", "verdict"] == NT and by.loc["6i", "published_value"] == 38.4
    text = c.interpret(out)
    assert text.count("cannot share one basis") == 1
    assert "Note (6a, 6b, 6d, 6i): 6a, 6b (from 6i) and 6d cannot share one basis" in text
    cfg = pd.read_csv(paths.CONFIG / "claims.csv", dtype=str, keep_default_na=False)
    cfg.loc[cfg["id"] == "6i", "published_value"] = "71.4"  # no rise in the charge share
    cfg.to_csv(tmp_path / "claims.csv", index=False)
    monkeypatch.setattr(c.ledger, "_readings", lambda: c.load_readings(tmp_path / "claims.csv"))
    assert "imply charges x1.8 (1.796 x 71.4/71.4, +79.6%)" in run(6).loc[0, "note"]


def test_claim6i_reads_the_start_of_the_charge_share():
    wm = _cps(
        [
            ("rolling_year", "year ending 2018-19 Q3", "charge_rate_pct", 38.4),
            ("rolling_year", "year ending 2020-21 Q3", "charge_rate_pct", 70.0),
        ]
    )
    out = run(6, wm=wm)
    b, i = out.iloc[1], out.iloc[8]
    assert b["computed_value"] == 70.0 and b["verdict"] == c.INCONSISTENT  # 71.4 published
    assert i["reading"].startswith("6i") and i["computed_value"] == 38.4
    assert i["verdict"] == c.CONSISTENT
    assert i["computation"] == "charge_rate_pct: 38.4 -> 70"


def _fy_sexual(values, measure="charged_cohort", others=None):
    """Sexual-offence rows of ``measure``: West Midlands' ``values`` by year, and each other
    force's (``others``: force -> values)."""
    years = [f"{y}/{(y + 1) % 100:02d}" for y in range(2016, 2016 + len(values))]
    rows = [
        ("West Midlands", "Sexual offences", measure, y, v, "")
        for y, v in zip(years, values, strict=True)
    ]
    for f, vals in (others or {}).items():
        rows += [
            (f, "Sexual offences", measure, y, v, "") for y, v in zip(years, vals, strict=True)
        ]
    return pd.DataFrame(
        rows, columns=["force", "offence_group", "measure", "fiscal_year", "value", "flag"]
    )


def test_claim6h_flags_the_outlying_end_year():
    # 2016/17 .. 2022/23: 2020/21 (100) is West Midlands' lowest, the others dip less
    fy = _fy_sexual(
        [500, 480, 460, 400, 100, 500, 520],
        others={"A": [100, 100, 100, 100, 90, 100, 100], "B": [50, 50, 50, 50, 20, 50, 50]},
    )
    h = run(6, force_year=fy).iloc[7]
    assert h["reading"].startswith("6h") and h["computed_value"] == pytest.approx(100 * -360 / 460)
    assert h["note"] == (
        "the end year, 2020/21, is the lowest of West Midlands' 7 complete years (100): -77.8% "
        "from the mean of the years either side (400 in 2019/20, 500 in 2021/22); the other 2 "
        "forces' median that year was -35% and 0 of them were further below theirs: the "
        "reading rests on an outlying year"
    )
    assert "Note (6h): the end year, 2020/21" in c.interpret(run(6, force_year=fy))
    # not an extreme: no note
    calm = _fy_sexual([500, 480, 460, 400, 300, 200, 520])
    assert run(6, force_year=calm).iloc[7]["note"] == ""
    # the start year as the force's highest, on the closure measure (6g)
    g = _fy_sexual([300, 320, 900, 400, 380, 350, 330], measure="charged_closed")
    note = run(6, force_year=g).iloc[6]["note"]
    assert note.startswith("the start year, 2018/19, is the highest of West Midlands' 7")
    assert "0 of them were further above theirs" in note
