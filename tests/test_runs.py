"""One parameter check before any kernel starts, run folders, manifests, the validation gate."""

from __future__ import annotations

import json
import os
import re

import pandas as pd
import pytest

from rasso_research import cli, notebook, params, paths, runs, timeline
from rasso_research.errors import ProjectError, one_line

CTX = params.Context(
    forces=("Greater Manchester", "West Midlands", "Avon and Somerset", "City of London"),
    measures=(
        "recorded_rape_per_100k",
        "rape_charge_rate_cohort",
        "cps_sexual_offences_conviction_rate",
        "recorded_rape",
        "rape_charged_in_quarter",
    ),
    interventions=tuple(timeline.load_interventions()["id"]),
)
NB02, NB03 = params.notebook("02"), params.notebook("03")


def _problems(path, **given) -> str:
    with pytest.raises(params.RunParameterError) as e:
        params.check(path, given, ctx=CTX)
    return one_line(e.value)


def test_every_parameter_of_every_notebook_has_a_rule():
    for p in params.notebooks().values():
        names = set(params.defaults(p)) - set(params.OUTPUT_PARAMS)
        assert names <= set(params.rules(p)), (p.name, names - set(params.rules(p)))
    for p in params.notebooks().values():  # the defaults pass their own rules
        params.check(p, {}, ctx=CTX)


@pytest.mark.parametrize(
    "given, expect",
    [
        ({"min_pre": -3}, "min_pre=-3: use a whole number, 1 to 200"),
        ({"allan": "segmnt"}, "did you mean 'segment'"),
        ({"joint_slopes": "al"}, "joint_slopes='al': use one of first, each, none"),
        ({"horizons": [0, -1]}, "horizons=-1"),
        ({"charge_rate_lag": 40}, "charge_rate_lag=40"),
        ({"family": "quasipoison"}, "did you mean 'quasipoisson'"),
        ({"start_charges": "2014Q5"}, "is not a quarter"),
        ({"n_job": 2}, "'n_job' is not a parameter of 02_national_its.ipynb"),
        ({"tables_dir": "../tables"}, "tables_dir: set by the run itself"),
        ({"surge_quarter": "2021Q5"}, "surge_quarter='2021Q5' is not a quarter"),
    ],
)
def test_notebook_02_parameters(given, expect):
    msg = _problems(NB02, **given)
    assert msg.startswith("notebooks/02_national_its.ipynb: ") and expect in msg


def test_every_problem_at_once_with_did_you_mean():
    msg = _problems(NB03, force="Greater Manchster", intervention="nosuch", min_pre=-3, n_jobs=2)
    assert "force='Greater Manchster' is not a force of the panel; did you mean" in msg
    assert "intervention='nosuch' is not an id of config/interventions.csv" in msg
    assert "min_pre=-3" in msg and "'n_jobs' is not a parameter" in msg


def test_n_jobs_is_checked():
    assert "n_jobs=0" in _problems(params.notebook("04"), n_jobs=0)


def test_values_come_back_canonical_and_name_one_run():
    a = params.check(NB03, {"force": "greater manchester"}, ctx=CTX)
    b = params.check(NB03, {"force": "Greater Manchester"}, ctx=CTX)
    assert a["force"] == "Greater Manchester" and params.slug(NB03, a) == params.slug(NB03, b)
    fiscal = params.check(NB03, {"interruption": "2018/19 Q4"}, ctx=CTX)
    assert fiscal["interruption"] == "2019Q1"
    assert params.slug(NB03, fiscal) == "03-interruption-2019q1"
    assert params.slug(NB03, params.check(NB03, {}, ctx=CTX)) == "03-defaults"


@pytest.mark.parametrize(
    "value", ['x"; touch PWNED; echo "', "`touch PWNED`", "$(touch PWNED)", "../../etc", "a" * 300]
)
def test_hostile_values_are_refused_and_slugs_stay_tame(value):
    for name in ("force", "interruption", "intervention"):
        assert "PWNED" not in _problems(NB03, **{name: value}).split(":")[0]
    slug = params.slug(NB02, {**params.defaults(NB02), "family": value})  # unchecked on purpose
    assert re.fullmatch(r"[a-z0-9-]{1,80}", slug)


def test_the_paper_run_takes_defaults_only():
    values = params.check(NB03, {"force": "Avon and Somerset"}, ctx=CTX)
    with pytest.raises(ProjectError, match="the paper run takes the notebook's defaults"):
        runs.plan(NB03, values, paper=True)
    run = runs.plan(NB03, values)
    assert run.folder == runs.RUNS / "03-force-avon-and-somerset" and not run.paper
    inj = runs.injected(NB03, values, run)
    assert inj == {
        "force": "Avon and Somerset",
        "tables_dir": str(run.tables),
        "figures_dir": str(run.figures),
    }


def test_setup_never_writes_the_papers_folders_outside_the_paper_run(monkeypatch, tmp_path):
    monkeypatch.delenv(runs.PAPER_ENV, raising=False)
    monkeypatch.setenv(runs.RUN_ENV, str(tmp_path / "run"))
    assert notebook.setup() == (tmp_path / "run" / "tables", tmp_path / "run" / "figures")
    with pytest.raises(ProjectError, match="the paper's outputs are written only by `make all`"):
        notebook.setup(paths.TABLES)
    with pytest.raises(ProjectError, match="only by `make all`"):
        notebook.setup(None, paths.FIGURES / "sub")
    monkeypatch.setenv(runs.PAPER_ENV, "1")
    assert notebook.setup() == (paths.TABLES, paths.FIGURES)
    assert notebook.paper_tables() == paths.TABLES  # notebook 05 reads the paper's tables


def test_a_session_gets_its_own_folder_with_a_manifest(monkeypatch, tmp_path):
    monkeypatch.delenv(runs.PAPER_ENV, raising=False)
    monkeypatch.delenv(runs.RUN_ENV, raising=False)
    monkeypatch.setattr(runs, "RUNS", tmp_path)
    tables, figures = notebook.setup()
    assert tables.parent == figures.parent and tables.parent.parent == tmp_path
    m = json.loads((tables.parent / "manifest.json").read_text())
    assert {"parameters", "git", "packages", "inputs", "python"} <= set(m)
    assert notebook.setup()[0] == tables  # the same folder for the whole kernel


def test_a_failed_validation_fails(tmp_path):
    t = tmp_path / "validation.csv"
    pd.DataFrame({"key": ["a", "b"], "within": [True, True]}).to_csv(t, index=False)
    cli.check_validation(t)
    pd.DataFrame({"key": ["a", "b"], "within": [True, False]}).to_csv(t, index=False)
    with pytest.raises(ProjectError, match="1 of 2 published numbers not reproduced .*: b"):
        cli.check_validation(t)
    # a number whose optional data file is absent is "not run", which does not fail the build;
    # a number with no reproduction for any other reason does
    st = ["reproduced", "not run: validation/x.csv absent (optional registry row)"]
    pd.DataFrame({"key": ["a", "b"], "within": [True, False], "status": st}).to_csv(t, index=False)
    cli.check_validation(t)
    st[1] = "missing"
    pd.DataFrame({"key": ["a", "b"], "within": [True, False], "status": st}).to_csv(t, index=False)
    with pytest.raises(ProjectError, match="1 of 2 published numbers not reproduced .*: b"):
        cli.check_validation(t)


def test_notebook_07_parameters():
    """Notebook 07's own series names, window, cohort placement and estimator choices."""
    msg = _problems(
        params.notebook("07"),
        series=["sexual_closd"],
        window=["2014/15"],
        unknown="soteria_expanson",
        estimator="did",
        control="nevr",
        reps=0,
    )
    assert "did you mean 'sexual_closed'" in msg
    assert "window=['2014/15']: use [first, last]" in msg
    assert "unknown='soteria_expanson'" in msg and "(or 'exclude')" in msg
    assert "estimator='did': use one of cs, sa, twfe" in msg
    assert "did you mean 'never'" in msg and "reps=0" in msg


def test_notebook_03_west_midlands_parameters():
    """Notebook 03's two-unit parameters: the part-exposed year's treatment, the primary
    window's last year, the hygiene threshold and switches."""
    msg = _problems(
        NB03, annual_timing="dropd", primary_end="2020", hygiene_threshold=-1, drop_flagged_donors=1
    )
    assert "did you mean 'dropped'" in msg
    assert "primary_end='2020': write a financial year" in msg
    assert "hygiene_threshold=-1: use a number above 0" in msg
    assert "drop_flagged_donors=1: use True or False" in msg


def test_the_paper_build_removes_outputs_no_notebook_writes(monkeypatch, tmp_path):
    """A table or figure that no notebook's last paper run wrote (one a notebook stopped
    writing) is removed when the paper's manifest is written; nothing is removed while a
    notebook has no record yet; the manifest and .gitkeep stay."""
    tables, figures, nbs = tmp_path / "tables", tmp_path / "figures", tmp_path / "nb"
    for d in (tables, figures, nbs):
        d.mkdir()
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setattr(paths, "TABLES", tables)
    monkeypatch.setattr(paths, "FIGURES", figures)
    monkeypatch.setattr(runs, "PAPER_NOTEBOOKS", nbs)
    fake = {"01": tmp_path / "01_a.ipynb", "02": tmp_path / "02_b.ipynb"}
    monkeypatch.setattr(runs, "notebooks", lambda: fake)
    monkeypatch.setattr(runs, "defaults", lambda p: {})
    monkeypatch.setattr(runs, "manifest", lambda params: {})
    old = tables / "old_table.csv"
    old.write_text("x\n")
    (figures / ".gitkeep").write_text("")
    start = old.stat().st_mtime_ns + 1
    os.utime(old, ns=(start - 10**9, start - 10**9))
    kept = [tables / "t1.csv", figures / "f1.png", tables / "t2.csv"]
    for f in kept:
        f.write_text("y\n")
        os.utime(f, ns=(start + 10**9, start + 10**9))
    runs.record_outputs("01_a", start)
    assert runs.stale_outputs() == []  # 02 has no record yet
    runs.record_outputs("02_b", start)
    assert runs.stale_outputs() == [old]
    runs.write_paper_manifest()
    assert not old.exists() and all(f.exists() for f in kept)
    assert (figures / ".gitkeep").exists() and (tables / "manifest.json").exists()
    assert runs.stale_outputs() == []
