"""The pipeline never trusts a file it has not checked and never looks complete when it is not:
checksums before reading, one-line errors, missing stays missing, atomic outputs, coverage."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from rasso_research.data import build, panel
from rasso_research.data.catalog import Coverage, Source
from rasso_research.data.quality import QualityLog
from rasso_research.data.schemas import InputFormatError


def test_national_total_with_a_missing_force_is_missing_and_counted():
    df = pd.DataFrame(
        {
            "fiscal_quarter": ["2018/19 Q1"] * 2 + ["2018/19 Q2"] * 2,
            "force": ["A", "B", "A", "B"],
            "value": [1.0, np.nan, 2.0, 3.0],
        }
    )
    log = QualityLog(progress=False)
    nat = build.national_sum(df, ["fiscal_quarter"], "value", log, "x").set_index("fiscal_quarter")
    assert np.isnan(nat.loc["2018/19 Q1", "value"]) and nat.loc["2018/19 Q2", "value"] == 5.0
    missing = [r for r in log.rows if r["section"] == "values set to missing"]
    assert missing and missing[0]["count"] == 1.0
    assert np.isnan(build.strict_sum(pd.Series([np.nan, np.nan])))
    assert np.isnan(build.strict_sum(pd.Series([], dtype=float)))


def test_coverage_check_names_the_incomplete_file():
    src = Source("x", "a source", ("cps/x.csv",), Coverage("m", "2018/19 Q1", "2018/19 Q3", 2))
    rows = [
        {"fiscal_quarter": q, "force": f, "measure": "m", "value": 1.0, "source": src.label}
        for f in ("A", "B")
        for q in ("2018/19 Q1", "2018/19 Q2", "2018/19 Q3")
    ]
    p = pd.DataFrame(rows)
    panel.check_coverage(p, [src])
    with pytest.raises(InputFormatError, match=r"cps/x.csv: m for B lacks 1 of the 3 quarters"):
        panel.check_coverage(p.iloc[:-1], [src])
    with pytest.raises(InputFormatError, match="has 1 areas, expected 2"):
        panel.check_coverage(p[p["force"] == "A"], [src])


@pytest.mark.mirror
@pytest.mark.parametrize("damage", ["byte", "delete", "truncate", "rename", "nonnumeric"])
def test_damaged_raw_file_stops_the_build_in_one_line(
    fetched_raw, tmp_path, capsys, damage, monkeypatch
):
    monkeypatch.delenv("RASSO_DEBUG", raising=False)
    raw = tmp_path / "raw"
    shutil.copytree(fetched_raw, raw)
    f = raw / "cps/case-outcomes-by-principal-offence/quarterly/POC-18-19-q4.csv"
    if damage == "byte":
        b = bytearray(f.read_bytes())
        b[-2] = ord("7") if b[-2] != ord("7") else ord("8")
        f.write_bytes(bytes(b))
    elif damage == "delete":
        f.unlink()
    elif damage == "rename":  # a column renamed in the header
        lines = f.read_text(encoding="utf-8-sig").splitlines(keepends=True)
        lines[0] = lines[0].replace("Number of", "Count of", 1)
        f.write_text("".join(lines), encoding="utf-8")
    elif damage == "nonnumeric":  # a count replaced by text
        lines = f.read_text(encoding="utf-8-sig").splitlines(keepends=True)
        cells = lines[1].split(",")
        cells[1] = "n/a"
        lines[1] = ",".join(cells)
        f.write_text("".join(lines), encoding="utf-8")
    else:
        f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    out = tmp_path / "out"
    assert panel.main(["--raw", str(raw), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "POC-18-19-q4.csv" in err[0]
    assert ("required input missing" if damage == "delete" else "sha256") in err[0]
    assert not (out / "panel.parquet").exists()


@pytest.mark.mirror
def test_a_failing_step_leaves_no_partial_outputs(fetched_raw, tmp_path, monkeypatch):
    def boom(*a, **k):  # the last output written: the others are already in the folder
        raise InputFormatError("data_quality.md: broken")

    monkeypatch.setattr(panel, "write_quality", boom)
    out = tmp_path / "out"
    with pytest.raises(InputFormatError):
        panel.build_panel(fetched_raw, out, progress=False)
    assert list(out.iterdir()) == []  # neither panel.parquet nor a leftover temporary folder


def test_cps_area_rows_keep_their_geography_and_have_no_force_code():
    rows = pd.concat(
        [
            build.panel_rows(
                pd.DataFrame(
                    {"fiscal_quarter": ["2018/19 Q1"], "force": ["West Midlands"], "v": [5.0]}
                ),
                "m",
                "v",
                "src",
                geography="cps_area",
            ),
            build.panel_rows(
                pd.DataFrame(
                    {
                        "fiscal_quarter": ["2018/19 Q1"] * 2,
                        "force": ["West Midlands", "England and Wales"],
                        "v": [4.0, 9.0],
                    }
                ),
                "m",
                "v",
                "src",
            ),
        ]
    )
    p = panel._finalise(rows).set_index(["geography", "force"])
    assert p.loc[("cps_area", "West Midlands"), "force_code"] == ""
    assert p.loc[("force", "West Midlands"), "force_code"].startswith("E23")
    assert p.loc[("national", "England and Wales"), "value"] == 9.0
    from rasso_research.data import series as S

    s = S.series(p.reset_index(), "m", force="West Midlands", geography="cps_area")
    assert s["value"].tolist() == [5.0]
    with pytest.raises(S.AmbiguousSourceError, match="both a cps_area and a force"):
        S.series(p.reset_index(), "m", force="West Midlands")
    with pytest.raises(ValueError, match="geography must be one of"):
        build.panel_rows(rows, "m", "value", "src", geography="region")
