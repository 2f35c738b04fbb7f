"""Table writer: CSV at full precision with whole numbers as integers, rounded LaTeX through
pandas' Styler with every special character escaped, and no LaTeX for long tables."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rasso_research.report import format_number, to_latex, write_table, write_tables
from rasso_research.report.tables import MAX_LATEX_ROWS, escape_latex


def frame():
    return pd.DataFrame(
        {
            "term": ["level_x", "slope&y"],
            "estimate": [-0.12345678901234566, -0.0000001],
            "n": [10, 20],
            "p_value": [0.04, np.nan],
        }
    )


def test_format_number():
    assert format_number(1.23456) == "1.235"
    assert format_number(-0.0000001) == "0.000"
    assert format_number(np.nan) == ""
    assert format_number(3) == "3"
    assert format_number(2.5, digits=1) == "2.5"


def test_the_csv_keeps_every_digit_and_the_latex_rounds(tmp_path):
    csv, tex = write_table(frame(), "params", tmp_path)
    assert csv.read_text() == (
        "term,estimate,n,p_value\nlevel_x,-0.12345678901234566,10,0.04\nslope&y,-1e-07,20,\n"
    )
    text = tex.read_text()
    assert r"\toprule" in text and r"\midrule" in text and r"\bottomrule" in text
    assert r"level\_x & -0.123 & 10 & 0.040 \\" in text
    assert r"slope\&y & -0.000 & 20 &  \\" not in text  # negative zero is zero
    assert r"slope\&y & 0.000 & 20 &  \\" in text
    assert r"\begin{tabular}{lrrr}" in text
    again = write_table(frame(), "params", tmp_path / "again")
    assert again[0].read_bytes() == csv.read_bytes()
    assert again[1].read_bytes() == tex.read_bytes()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=False, width=64), min_size=1, max_size=12))
def test_full_precision_round_trip(values):
    """Any float column, written and read back, gives the same floats (negative zero as
    zero); a column that happens to hold whole numbers comes back as the same numbers."""
    import io

    from rasso_research.report.tables import csv_frame

    buf = io.StringIO()
    csv_frame(pd.DataFrame({"x": values})).to_csv(buf, index=False, lineterminator="\n")
    back = pd.read_csv(io.StringIO(buf.getvalue()))["x"]  # pandas reads floats exactly
    expected = np.array([0.0 if v == 0 else v for v in values], dtype=float)
    got = back.to_numpy(dtype=float, na_value=np.nan)
    assert np.array_equal(got, expected, equal_nan=True)


def test_counts_are_written_as_integers(tmp_path):
    """A float column of whole numbers (a count with a missing value, a horizon) is written
    without decimals; a float column with a fraction keeps them."""
    df = pd.DataFrame(
        {
            "stage": ["recorded", "charged", "sentenced"],
            "value": [29398.0, 2220.0, np.nan],  # float only because of the missing value
            "horizon": [8.0, 0.0, 4.0],
            "per_100": [100.0, 7.551534118, np.nan],
        }
    )
    csv, tex = write_table(df, "funnel", tmp_path)
    lines = csv.read_text().splitlines()
    assert lines[1:] == [
        "recorded,29398,8,100.0",
        "charged,2220,0,7.551534118",
        "sentenced,,4,",
    ]
    assert "2220.0" not in csv.read_text() and "2220 &" in tex.read_text()
    back = pd.read_csv(csv)
    assert back["horizon"].dtype.kind == "i" and back["value"].tolist()[:2] == [29398, 2220]


@pytest.mark.parametrize(
    "raw, escaped",
    [
        ("~", r"\textasciitilde{}"),
        ("^", r"\textasciicircum{}"),
        ("{", r"\{"),
        ("}", r"\}"),
        ("<", r"\textless{}"),
        (">", r"\textgreater{}"),
        ("&", r"\&"),
        ("%", r"\%"),
        ("$", r"\$"),
        ("#", r"\#"),
        ("_", r"\_"),
        ("\\", r"\textbackslash{}"),
    ],
)
def test_every_latex_special_character_is_escaped(raw, escaped):
    assert escape_latex(f"a{raw}b") == f"a{escaped}b"
    df = pd.DataFrame({f"col{raw}": [f"x{raw}y"], "v": [1.5]})
    text = to_latex(df, caption=f"cap{raw}")
    assert f"x{escaped}y & 1.500" in text
    assert f"col{escaped} & v" in text
    assert rf"\caption{{cap{escaped}}}" in text


def test_an_escape_is_never_escaped_again():
    assert escape_latex(r"\&") == r"\textbackslash{}\&"
    assert escape_latex("{x}_1 ~ 5%") == r"\{x\}\_1 \textasciitilde{} 5\%"


def test_long_tables_are_csv_only(tmp_path):
    short = pd.DataFrame({"i": range(MAX_LATEX_ROWS), "x": np.linspace(0, 1, MAX_LATEX_ROWS)})
    long = pd.DataFrame({"i": range(MAX_LATEX_ROWS + 1), "x": 0.5})
    assert [p.suffix for p in write_table(short, "t", tmp_path)] == [".csv", ".tex"]
    written = write_table(long, "t", tmp_path)  # the stale .tex of the short one goes
    assert [p.suffix for p in written] == [".csv"] and not (tmp_path / "t.tex").exists()
    assert [p.suffix for p in write_table(short, "u", tmp_path, latex=False)] == [".csv"]
    written = write_tables({"a": long, "b": short, "c": long.iloc[:0]}, "p", tmp_path)
    assert sorted(p.name for p in written) == ["p_a.csv", "p_b.csv", "p_b.tex"]


def test_to_latex_caption_label():
    text = to_latex(frame(), caption="ITS estimates", label="tab:its")
    assert r"\caption{ITS estimates}" in text and r"\label{tab:its}" in text
    assert text.startswith(r"\begin{table}[htbp]") and r"\centering" in text
    assert not to_latex(frame()).startswith(r"\begin{table}")


def test_tables_are_written_atomically(tmp_path, monkeypatch):
    """An interrupted write leaves the old table whole and no temporary file behind."""
    from rasso_research.report import tables as T

    T.write_table(pd.DataFrame({"a": [1.0]}), "t", tmp_path)
    before = (tmp_path / "t.csv").read_bytes()

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(T.os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        T.write_table(pd.DataFrame({"a": [2.0]}), "t", tmp_path)
    assert (tmp_path / "t.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "t.tex"]
