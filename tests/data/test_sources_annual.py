"""Readers of the annual force x offence-group outcomes (OOCD dashboard aggregate) and of the
2021-Census-based population (ONS mid-2023 edition by local authority), on small fixtures with
the real files' columns, plus the build checks on the mirror files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rasso_research.data import forces
from rasso_research.data.schemas import InputFormatError
from rasso_research.data.sources import homeoffice_oocd as oocd
from rasso_research.data.sources import population as rp

OOCD_HEADER = "force,slug,fy,offence_group,closed_oocd,closed_charge,recorded_oocd,recorded_charge"


def _oocd(tmp_path, rows):
    p = tmp_path / "oocd.csv"
    p.write_text("\r\n".join([OOCD_HEADER, *rows]) + "\r\n", encoding="utf-8")
    return p


def test_oocd_reader_long_with_btp_counted_and_cohort_flags(tmp_path):
    p = _oocd(
        tmp_path,
        [
            "Cumbria,cumbria,2014/15,Sexual offences,3,40,0,0",
            "Kent,kent,2014/15,Sexual offences,5,300,4,280",
            "Kent,kent,2015/16,Sexual offences,6,310,5,150",
            "British Transport Police,btp,2015/16,Sexual offences,1,20,1,18",
        ],
    )
    d = oocd.read_oocd_force_year(p)
    assert len(d) == 3 * 4 and set(d["measure"]) == set(oocd.OOCD_MEASURES.values())
    kent = d[(d["force"] == "Kent") & (d["fiscal_year"] == "2015/16")].set_index("measure")
    assert kent.loc["charged_closed", "value"] == 310 and kent.loc["charged_cohort", "value"] == 150
    assert kent.loc["charged_cohort", "flag"] == "cohort incomplete: latest year"
    assert kent.loc["charged_closed", "flag"] == ""
    cumbria = d[(d["force"] == "Cumbria")].set_index("measure")
    assert cumbria.loc["charged_cohort", "flag"] == "cohort not fully supplied by the force"
    notes = {n["reason"]: n["rows"] for n in d.attrs["dropped"]}
    assert notes["non-territorial body excluded: British Transport Police"] == 1
    r = d.attrs["rows"]
    assert r["read"] == r["dropped"] + r["kept"] == 4
    btp = oocd.read_oocd_btp(p).set_index("measure")
    assert btp.loc["charged_closed", "value"] == 20 and btp.loc["charged_cohort", "value"] == 18
    with pytest.raises(InputFormatError, match="no British Transport Police rows"):
        oocd.read_oocd_btp(_oocd(tmp_path, ["Kent,kent,2015/16,Sexual offences,6,310,5,150"]))


def test_oocd_reader_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("force,fy,offence_group,closed_charge\nKent,2015/16,Theft,3\n")
    with pytest.raises(InputFormatError, match=r"bad\.csv: missing column\(s\)"):
        oocd.read_oocd_force_year(bad)
    p = _oocd(tmp_path, ["Kent,kent,2015-2016,Sexual offences,1,2,3,4"])
    with pytest.raises(InputFormatError, match="unrecognised financial year"):
        oocd.read_oocd_force_year(p)
    p = _oocd(tmp_path, ["Kent,kent,2015/16,Sexual offences,1,x,3,4"])
    d = oocd.read_oocd_force_year(p)
    assert d["value"].isna().sum() == 1  # non-numeric: missing, and noted
    assert any("non-numeric" in n["reason"] for n in d.attrs["dropped"])


def _mye(tmp_path, kent_2019=1_000.0):
    """An MYE4-like sheet: notes above the header row, country/region/LAD rows."""
    top = [["Title", None, None, None, None], ["note", None, None, None, None]]
    header = [["Code", "Name", "Geography", "Mid-2020", "Mid-2019"]]
    rows = [
        [forces.NATIONAL_CODE, "ENGLAND AND WALES", "Country", 2_100.0, 2_000.0],
        ["E12000008", "SOUTH EAST", "Region", 2_100.0, 2_000.0],
        ["E07000105", "Ashford", "Non-metropolitan District", 600.0, kent_2019],
        ["E06000035", "Medway", "Unitary Authority", 500.0, 0.0],
        ["E06000045", "Southampton", "Unitary Authority", 1_000.0, 1_000.0],
    ]
    p = tmp_path / "mye.xlsx"
    pd.DataFrame(top + header + rows).to_excel(p, sheet_name="MYE4", header=False, index=False)
    lk = tmp_path / "lookup.csv"
    lk.write_text(
        "\ufeffLAD23CD,LAD23NM,CSP23CD,CSP23NM,PFA23CD,PFA23NM,ObjectId\n"
        f"E07000105,Ashford,E22000001,Ashford,{forces.FORCE_CODES['Kent']},Kent,1\n"
        f"E06000035,Medway,E22000002,Medway,{forces.FORCE_CODES['Kent']},Kent,2\n"
        f"E06000045,Southampton,E22000003,Southampton,{forces.FORCE_CODES['Hampshire']},Hampshire,3\n"
        f"E06000045,Southampton,E22000004,Southampton West,{forces.FORCE_CODES['Hampshire']},Hampshire,4\n",
        encoding="utf-8",
    )
    return p, lk


def test_mye_reader_sums_local_authorities_to_forces(tmp_path):
    p, lk = _mye(tmp_path)
    d = rp.read_pop_mye_lad(p, lk).set_index(["force", "year"])["population"]
    assert d[("Kent", 2020)] == 1_100 and d[("Kent", 2019)] == 1_000
    assert d[("Hampshire", 2019)] == 1_000  # a LAD split over two CSPs is counted once


def test_mye_reader_checks_the_country_total_and_the_lookup(tmp_path):
    p, lk = _mye(tmp_path, kent_2019=900.0)
    with pytest.raises(
        InputFormatError, match=r"differ from the England and Wales row in \['Mid-2019'\]"
    ):
        rp.read_pop_mye_lad(p, lk)
    p, lk = _mye(tmp_path)
    lk.write_text(
        lk.read_text(encoding="utf-8").replace("E06000035", "E06099999"), encoding="utf-8"
    )
    with pytest.raises(InputFormatError, match=r"no force area: \['Medway'\]"):
        rp.read_pop_mye_lad(p, lk)


def test_mirror_population_and_annual_table(fetched_raw):
    """On the mirror files: the README's checks (West Midlands 2,921,091 at mid-2019; the
    43 territorial forces' sexual-offence charges 15,185 in 2014/15, 10,616 in 2018/19)."""
    pop, pieces = rp.build_population(fetched_raw, return_pieces=True)
    wm = pop.set_index(["force", "year"])["population"]
    assert wm[("West Midlands", 2019)] == 2_921_091 and wm[("West Midlands", 2023)] == 2_980_936
    assert not pop["interpolated"].any()
    brk = rp.vintage_break(pieces)
    assert len(brk) == 43 and brk["rel_diff"].abs().max() < 0.1
    fy = oocd.read_oocd_force_year(fetched_raw / oocd.FILES["oocd_fy"])
    sex = fy[(fy["offence_group"] == "Sexual offences") & (fy["measure"] == "charged_closed")]
    tot = sex.groupby("fiscal_year")["value"].sum()
    assert tot["2014/15"] == 15_185 and tot["2018/19"] == 10_616 and tot["2025/26"] == 22_976
    # the README: BTP adds 161-409 a year to the closed sexual-offence charges
    btp = oocd.read_oocd_btp(fetched_raw / oocd.FILES["oocd_fy"])
    b = btp[(btp["offence_group"] == "Sexual offences") & (btp["measure"] == "charged_closed")]
    assert (b["value"].min(), b["value"].max()) == (161, 409)
    assert np.isclose(
        sex[(sex["force"] == "West Midlands") & (sex["fiscal_year"] == "2018/19")]["value"], 381
    ).all()
