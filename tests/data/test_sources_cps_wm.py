"""The West Midlands transcribed CPS reader (data.sources.cps.read_cps_wm_transcribed) on a fixture."""

from __future__ import annotations

import pandas as pd
import pytest

from rasso_research import paths
from rasso_research.data.schemas import InputFormatError
from rasso_research.data.sources import cps as rc

COLS = rc.TRANSCRIBED_COLUMNS


def _write(tmp_path, rows, cols=COLS):
    p = tmp_path / "west-midlands-rape.csv"
    pd.DataFrame(rows, columns=cols).to_csv(p, index=False)
    return p


ROWS = [
    ("rolling_year", "year ending 2021-22 Q3", "charges", 192, "count", "t", "u1", "[AREA]"),
    ("financial_year", "2017-18", "wmp_area_conviction_rate_pct", 60, "percent", "t", "u2", ""),
    ("financial_year", "2016-17", "wmp_police_recorded_rape", 1745, "count", "t", "u2", ""),
    ("financial_year", "2020-21", "warwickshire_convictions", 7, "count", "t", "u3", ""),
    ("financial_year", "2019-20", "warwickshire_police_recorded_rape", 556, "count", "t", "u3", ""),
]


def test_geography_and_base_measure(tmp_path):
    df = rc.read_cps_wm_transcribed(_write(tmp_path, ROWS))
    assert len(df) == len(ROWS)  # nothing dropped
    assert df["geography"].tolist() == [
        "cps_area",
        "wmp_force_area",
        "wmp_police_force",
        "warwickshire_force",
        "warwickshire_force",
    ]
    assert df["base_measure"].tolist() == [
        "charges",
        "conviction_rate_pct",
        "recorded_rape",
        "convictions",
        "police_recorded_rape",
    ]
    assert df["is_cps"].tolist() == [True, True, False, True, False]
    assert df["period_end"].tolist() == [
        "2021/22 Q3",
        "2017/18 Q4",
        "2016/17 Q4",
        "2020/21 Q4",
        "2019/20 Q4",
    ]
    assert df["value"].tolist() == [192, 60, 1745, 7, 556]
    assert (df["file"] == "west-midlands-rape.csv").all()


def test_unknown_measure_and_missing_column(tmp_path):
    bad = [("financial_year", "2020-21", "mystery_measure", 1, "count", "t", "u", "")]
    with pytest.raises(InputFormatError, match="no known geography"):
        rc.read_cps_wm_transcribed(_write(tmp_path, bad))
    with pytest.raises(InputFormatError, match="missing column"):
        rc.read_cps_wm_transcribed(_write(tmp_path, [r[:-2] for r in ROWS], COLS[:-2]))


def test_bad_unit_rejected(tmp_path):
    bad = [("financial_year", "2020-21", "charges", 1, "people", "t", "u", "")]
    with pytest.raises(Exception):  # noqa: B017 - pandera's error type varies by version
        rc.read_cps_wm_transcribed(_write(tmp_path, bad))


def test_mirror_file_area_rows():
    """On the fetched file, only the calendar-2021/2022 charges are CPS West Midlands Area rows
    (cps/transcribed/NOTES.md)."""
    p = paths.DATA_RAW / "cps/transcribed/west-midlands-rape.csv"
    if not p.exists():
        pytest.skip("data not fetched (run `make data`)")
    df = rc.read_cps_wm_transcribed(p)
    area = df[df["geography"] == "cps_area"]
    assert area[["period", "measure", "value"]].values.tolist() == [
        ["year ending 2021-22 Q3", "charges", 192.0],
        ["year ending 2022-23 Q3", "charges", 247.0],
    ]
    assert not df.loc[df["measure"].str.startswith("wmp_police_"), "is_cps"].any()
