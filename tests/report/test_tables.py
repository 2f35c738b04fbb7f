"""Table writer: CSV and booktabs LaTeX with deterministic number formatting."""

import numpy as np
import pandas as pd
import pytest

from rasso_research.report import format_number, to_latex, write_table


def frame():
    return pd.DataFrame(
        {
            "term": ["level_x", "slope&y"],
            "estimate": [-0.12345, -0.0000001],
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


def test_write_table(tmp_path):
    csv, tex = write_table(frame(), "params", tmp_path)
    assert csv.read_text() == (
        "term,estimate,n,p_value\nlevel_x,-0.123,10,0.040\nslope&y,0.000,20,\n"
    )
    text = tex.read_text()
    assert r"\toprule" in text and r"\midrule" in text and r"\bottomrule" in text
    assert r"level\_x & -0.123 & 10 & 0.040 \\" in text
    assert r"slope\&y" in text
    assert r"\begin{tabular}{lrrr}" in text
    again = write_table(frame(), "params", tmp_path / "again")
    assert again[0].read_bytes() == csv.read_bytes()
    assert again[1].read_bytes() == tex.read_bytes()


def test_to_latex_caption_label():
    text = to_latex(frame(), caption="ITS estimates", label="tab:its")
    assert r"\caption{ITS estimates}" in text and r"\label{tab:its}" in text


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
