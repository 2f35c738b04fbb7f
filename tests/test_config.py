"""The config tables' schemas: a missing column or a claim without a function is an error."""

from __future__ import annotations

import pandas as pd
import pytest

from rasso_research import config, paths, timeline
from rasso_research.claims import ledger, readings
from rasso_research.errors import ProjectError, one_line


def _copy_without(tmp_path, name, column):
    df = pd.read_csv(paths.CONFIG / name, dtype=str, keep_default_na=False)
    out = tmp_path / name
    df.drop(columns=column).to_csv(out, index=False)
    return out


def test_interventions_without_model_quarter_is_an_error(tmp_path):
    """Without the column the Rape Review moved to 2021Q2 and R v Allan to 2017Q4, silently."""
    p = _copy_without(tmp_path, "interventions.csv", "model_quarter")
    with pytest.raises(ProjectError) as e:
        timeline.load_interventions(p)
    assert "interventions.csv: missing column(s) 'model_quarter'" in one_line(e.value)


def test_a_misspelt_column_gets_did_you_mean(tmp_path):
    df = pd.read_csv(paths.CONFIG / "interventions.csv", dtype=str, keep_default_na=False)
    p = tmp_path / "interventions.csv"
    df.rename(columns={"model_quarter": "model_qurter"}).to_csv(p, index=False)
    with pytest.raises(ProjectError, match="did you mean 'model_qurter'"):
        timeline.load_interventions(p)


def test_a_bad_model_quarter_names_the_line(tmp_path):
    df = pd.read_csv(paths.CONFIG / "interventions.csv", dtype=str, keep_default_na=False)
    df.loc[3, "model_quarter"] = "2018-Q1"
    p = tmp_path / "interventions.csv"
    df.to_csv(p, index=False)
    with pytest.raises(ProjectError, match=r"line 5, column 'model_quarter': '2018-Q1'"):
        timeline.load_interventions(p)


def test_claims_config_schema(tmp_path):
    p = _copy_without(tmp_path, "claims.csv", "tolerance")
    with pytest.raises(ProjectError, match="claims.csv: missing column"):
        ledger.load_readings(p)
    df = pd.read_csv(paths.CONFIG / "claims.csv", dtype=str, keep_default_na=False)
    df.loc[1, "id"] = df.loc[0, "id"]
    df.to_csv(p, index=False)
    with pytest.raises(ProjectError, match="column 'id'"):
        ledger.load_readings(p)


def test_a_reading_without_a_function_is_an_error():
    """A claim id with no reading function was silently left out of the ledger."""
    ids = list(ledger.load_readings().index)
    produced = pd.DataFrame({"reading": [f"{i}: x" for i in ids if not i.startswith("3")]})
    with pytest.raises(ProjectError) as e:
        readings.check_readings(produced, ids)
    assert "computed by no claim function" in str(e.value) and "'3a'" in str(e.value)
    readings.check_readings(pd.DataFrame({"reading": [f"{i}: x" for i in ids]}), ids)


def test_an_unknown_reading_id_gets_did_you_mean():
    with pytest.raises(ProjectError, match=r"reading '1z' .* not defined \(did you mean"):
        ledger.row("1z: x", 1.0, "c", "b", "s")


def test_the_shipped_config_passes():
    config.check(
        pd.read_csv(paths.CONFIG / "interventions.csv", dtype=str, keep_default_na=False),
        config.INTERVENTIONS,
        "config/interventions.csv",
    )
    assert len(ledger.load_readings()) > 0


def test_content_that_passed_is_remembered_and_a_change_is_checked_again(tmp_path, monkeypatch):
    """The pass cache skips pandera for content that passed; one changed cell is a new key,
    checked and refused as before, and never remembered."""
    monkeypatch.setattr(config, "PASSED", tmp_path / "passed")
    df = pd.read_csv(paths.CONFIG / "interventions.csv", dtype=str, keep_default_na=False)
    config.check(df, "INTERVENTIONS", "config/interventions.csv")
    assert len(list((tmp_path / "passed").iterdir())) == 1
    bad = df.copy()
    bad.loc[3, "model_quarter"] = "2018-Q1"
    for _ in range(2):
        with pytest.raises(ProjectError, match=r"line 5, column 'model_quarter'"):
            config.check(bad, "INTERVENTIONS", "config/interventions.csv")
    assert len(list((tmp_path / "passed").iterdir())) == 1


def test_a_remembered_table_is_read_without_importing_pandera(tmp_path):
    """The point of the cache: a kernel reading the shipped timeline a second time does not
    pay pandera's import (0.3 CPU-s a notebook, make bench)."""
    import subprocess
    import sys

    code = (
        "import sys; from rasso_research import config, timeline; "
        f"config.PASSED = __import__('pathlib').Path({str(tmp_path)!r}); "
        "timeline.load_interventions(); print('pandera' in sys.modules)"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True) for _ in "ab"
    ]
    assert [r.stdout.strip() for r in runs] == ["True", "False"], [r.stderr for r in runs]
