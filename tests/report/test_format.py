"""The one number formatter (rasso_research.report.format)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasso_research.report import fmt_num, fmt_pct, round_sig, rounded, slugify
from rasso_research.report.format import fmt_unit


def test_round_sig():
    assert round_sig(0.0123456) == 0.0123
    assert round_sig(-1234.5) == -1230.0
    assert np.isnan(round_sig(float("nan")))
    df = rounded(pd.DataFrame({"x": [1.23456, 2.0], "s": ["a", "b"]}))
    assert df["x"].tolist() == [1.23, 2.0]


def test_numbers_in_text():
    assert fmt_num(1439) == "1,439"  # counts are never rounded away
    assert fmt_num(12345.6) == "12,346"
    assert fmt_num(38.43) == "38.4" and fmt_num(0.045321) == "0.0453"
    assert fmt_num(None) == fmt_num(float("nan")) == fmt_num(pd.NA) == "n/a"
    assert fmt_pct(9.934) == "+9.93%" and fmt_pct(-16) == "-16%" and fmt_pct(None) == "n/a"
    assert fmt_unit(38.44, "percent") == "38.4%" and fmt_unit(79.61, "percent change") == "+79.6%"
    assert fmt_unit(1, "rank (1 = lowest)") == "rank 1" and fmt_unit(0.518, "ratio") == "0.52"
    assert fmt_unit(1925, "defendants") == "1,925" and fmt_unit(None, "ratio") == "n/a"


def test_slugify():
    assert slugify("West Midlands 2018Q4") == "west-midlands-2018q4"
    assert slugify("Avon and Somerset / 2019-Q2") == "avon-and-somerset-2019-q2"
