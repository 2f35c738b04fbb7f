"""The report's front page (rasso_research.report.frontpage): every number comes from the
tables, a missing table is named instead of its numbers, the verdict follows the CI and the MDE,
and the links point at the chapter sections, figures and tables behind each number."""

from __future__ import annotations

import nbformat
import pandas as pd
import pytest

from rasso_research.report import frontpage as F
from rasso_research.report.catalogue import describe_figure, owner


def estimands(effect=97.815, lo=-28.18, hi=444.846, mde=302.51) -> pd.DataFrame:
    row = dict(role="primary", id="package_adult_rate_8", series="Adult rape charges per 100")
    row |= dict(intervention="reforms", kind="package", horizon=8)
    row |= dict(effect_pct=effect, ci_low_pct=lo, ci_high_pct=hi, p_value=0.154, p_holm=0.154)
    row |= dict(family_size=1, mde_pct=mde)
    sec = [
        row
        | dict(role="secondary", id="joint_terms", p_value=p, p_holm=min(1, p * 3), mde_pct=None)
        for p in (0.01, 0.3, 0.7)
    ]
    return pd.DataFrame([row, *sec])


def annual_effects() -> pd.DataFrame:
    base = dict(role="target", per_100k=True, placebo_p=0.073, n_donors=40)
    rows = [
        base
        | dict(
            series="Sexual offences per 100,000",
            method=m,
            estimate=e,
            ci_low=lo,
            ci_high=hi,
            mde=11.3,
        )  # fmt: skip
        for m, e, lo, hi in (("sdid", -7.17, -15.08, 0.74), ("sc", -8.2, -15.7, -0.6))
    ]
    rows.append(rows[0] | dict(role="negative control", series="Theft per 100,000"))
    return pd.DataFrame(rows)


def notebook(path, headings, params="force = 'West Midlands'\nintervention = 'wm_joint_working'"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_markdown_cell(h) for h in headings]
    nbformat.write(nb, path)
    return path


def test_the_verdict_follows_the_ci_and_the_mde():
    v = F.verdict(97.8, -28.2, 444.8, 302.5, "%")
    assert v.startswith("No change the data can detect: the 95% CI includes zero.")
    assert "smaller than the minimum detectable effect (302%)" in v
    assert "*too little data to tell*" in v
    v = F.verdict(-20, -35, -5, 12, "")
    assert v.startswith("A change the data detect") and "below the counterfactual" in v
    assert "detects a change of about 12 or more" in v
    assert F.verdict(1, float("nan"), 2, 3) == "Not estimable from these data."
    assert "minimum detectable" not in F.verdict(1, -1, 3, float("nan"))


def test_the_national_answer_reads_its_numbers_from_the_table(tmp_path):
    tables, figures = tmp_path / "tables", tmp_path / "figures"
    tables.mkdir(), figures.mkdir()
    chapter = notebook(tmp_path / "02_national_its.ipynb", ["### The declared estimands"])
    estimands().to_csv(tables / "its_national_estimands.csv", index=False)
    ans = F.national_answer(tables, figures, tmp_path, chapter)
    (e,) = ans.estimates
    assert (e.estimate, e.ci, e.mde, e.p_value) == ("+97.8%", "-28.2% to +445%", "303%", "0.15")
    assert "3 tests" in ans.notes[-1] and "1 with p < 0.05" in ans.notes[-1]
    targets = [x.target for x in ans.links]
    assert "chapters/02_national_its.ipynb#the-declared-estimands" in targets
    assert "tables/its_national_estimands.csv" in targets
    assert not any(x.target.startswith("figures.md") for x in ans.links)  # no figure drawn
    # another number in the table is another number on the page
    estimands(effect=12.5, lo=3.0, hi=22.0).to_csv(tables / "its_national_estimands.csv")
    (e,) = F.national_answer(tables, figures, tmp_path, chapter).estimates
    assert e.estimate == "+12.5%" and e.verdict.startswith("A change the data detect")


def test_a_missing_table_is_named_not_invented(tmp_path):
    ans = F.national_answer(tmp_path, tmp_path, tmp_path, tmp_path / "02_national_its.ipynb")
    assert ans.estimates == [] and "its_national_estimands.csv` is not there yet" in ans.notes[0]
    assert all(not x.target for x in ans.links)  # no link to a chapter that is not built
    page = F.render(tmp_path, tmp_path, tmp_path, tmp_path)
    assert page.count("no estimate yet") == 3
    assert (
        "`tables/its_force_west-midlands-2018q4_annual_force_effects.csv` is not there yet" in page
    )
    assert "`tables/soteria_exclude_effects.csv` is not there yet" in page
    assert "Validation" not in page and "paper run at commit" not in page


def test_the_force_answer_falls_back_to_the_annual_estimates(tmp_path):
    chapter = notebook(
        tmp_path / "03_force_comparison.ipynb", ["## Annual sexual-offence charges against all"]
    )
    annual_effects().to_csv(tmp_path / "its_force_west-midlands-2018q4_annual_force_effects.csv")
    ans = F.force_answer(tmp_path, tmp_path, chapter)
    assert "Notebook 03 declares no single primary estimate" in ans.notes[0]
    (e,) = ans.estimates  # the synthetic-DiD row of the target series only
    assert (e.estimate, e.ci, e.mde, e.p_value) == ("-7.17", "-15.1 to 0.74", "11.3", "0.073")
    assert e.what.endswith("(synthetic DiD)") and e.verdict.startswith("No change")
    assert ans.links[0].target.endswith("#annual-sexual-offence-charges-against-all")


def test_the_force_answer_reads_the_primary_two_unit_design(tmp_path):
    """Without a conclusion table: notebook 03's units table, synthetic DiD in the primary
    window under the notebook's treatment of the part-exposed year, one row per unit."""
    chapter = notebook(tmp_path / "03_force_comparison.ipynb", ["## Conclusion"])
    annual_effects().to_csv(tmp_path / "its_force_west-midlands-2018q4_annual_force_effects.csv")
    rows = []
    for unit, e in (("CPS West Midlands", -2.333), ("West Midlands", -3.65)):
        for timing, window, method in (
            ("pre", "primary", "sdid"),
            ("pre", "primary", "sc"),
            ("pre", "long", "sdid"),
            ("dropped", "primary", "sdid"),
        ):
            rows.append(
                dict(
                    unit=unit,
                    timing=timing,
                    window=window,
                    method=method,
                    estimate=e,
                    ci_low=e - 4.5,
                    ci_high=e + 4.5,
                    placebo_p=0.42,
                    mde=6.505,
                    series="Sexual offences per 100,000",
                    timing_label="2018/19 in the pre-period",
                    first_year="2019/20",
                    last_year="2020/21",
                )  # fmt: skip
            )
            e += 1
    units = pd.DataFrame(rows)
    units.to_csv(tmp_path / "its_force_west-midlands-2018q4_units_timing.csv", index=False)
    ans = F.force_answer(tmp_path, tmp_path, chapter)
    assert [e.estimate for e in ans.estimates] == ["-2.33", "-3.65"]
    assert ans.estimates[0].what.startswith("CPS West Midlands: Sexual offences")
    assert ans.estimates[0].mde == "6.5" and ans.estimates[0].p_value == "0.42"
    assert "primary window 2019/20-2020/21, 2018/19 in the pre-period" in ans.notes[0]
    # the notebook's treatment of the part-exposed year picks the rows
    notebook(chapter, ["## Conclusion"], "annual_timing = 'dropped'")
    ans = F.force_answer(tmp_path, tmp_path, chapter)
    assert [e.estimate for e in ans.estimates] == ["0.667", "-0.65"]


def test_the_force_answer_prefers_notebook_03s_conclusion(tmp_path):
    chapter = notebook(
        tmp_path / "03_force_comparison.ipynb",
        ["## Annual designs", "## Conclusion"],
        "force = 'Avon and Somerset'\nintervention = 'wm_joint_working'\ninterruption = '2019Q2'",
    )
    conclusion = pd.DataFrame(
        {
            "role": ["primary", "secondary"],
            "series": ["Rape charges per 100,000", "Other"],
            "estimate": [2.5, 1.0],
            "ci_low": [1.0, -1.0],
            "ci_high": [4.0, 3.0],
            "mde": [1.5, 2.0],
            "unit": ["per 100,000", "per 100,000"],
            "verdict": ["The force rose.", ""],
        }
    )
    conclusion.to_csv(tmp_path / "its_force_avon-and-somerset-2019q2_conclusion.csv")
    ans = F.force_answer(tmp_path, tmp_path, chapter)
    assert ans.title.startswith("Avon and Somerset") and "2019Q2" in ans.question
    (e,) = ans.estimates
    assert e.estimate == "2.5 per 100,000" and e.verdict == "The force rose."
    assert ans.links[0].target.endswith("#conclusion") and ans.notes == []


def test_papermills_parameters_override_the_notebooks():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "force = 'A'\nn = 3\nx = f(1)", metadata={"tags": ["parameters"]}
        ),
        nbformat.v4.new_code_cell("force = 'B'", metadata={"tags": ["injected-parameters"]}),
    ]
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "n.ipynb"
        nbformat.write(nb, path)
        assert F.notebook_parameters(path) == {"force": "B", "n": 3}
        assert F.notebook_parameters(Path(d) / "missing.ipynb") == {}


@pytest.mark.parametrize(
    "title",
    [
        "The declared estimands",
        "The 2020-2021 reforms in one model",
        "Sicily smoking ban (Lopez Bernal, Cummins & Gasparrini 2017)",
        "its_joint_adult-rape-charges-per-100",
        "Handling of the early-2018 drop in charges (R v Allan)",
    ],
)
def test_heading_anchors_are_mysts(title):
    from mdit_py_plugins.anchors.index import slugify

    assert F.heading_slug(title) == slugify(title)


def test_every_figure_and_table_has_an_owner_and_a_description():
    assert owner("its_national_estimands") == "02" and owner("validation") == "00"
    assert owner("fig4_spec_curve_twocol") == "05" and owner("zzz") == ""
    assert describe_figure("fig1_national_its_onecol").startswith("Paper figure 1")
    text = describe_figure("its_force_west-midlands-2018q4_annual_rape-per-100-000_sdid")
    assert text.startswith("West Midlands (2018Q4) against every other force, annual rape per")
    assert "100,000" in text and "synthetic difference-in-differences" in text
    assert describe_figure("revision_recorded_rape_2017_18").endswith(
        "recorded rape 2017/18, an early release against the latest"
    )
    assert describe_figure("a_new_figure") == "A new figure"


def soteria_tables(tables, unknown="exclude"):
    base = dict(estimator="Callaway-Sant'Anna", se=3.3, perm_p=0.455, n_perm=999, n_units=13)
    base |= dict(n_cohorts_identified=1, n_treated_identified=5)
    eff = [
        base
        | dict(series="Sexual offences: charges (closed) per 100,000", aggregation=agg)
        | dict(estimate=2.63, ci_low=-3.91, ci_high=9.17, mde=9.35)
        for agg in ("group", "simple")
    ]
    eff.append(eff[0] | dict(estimator="Sun-Abraham", aggregation="dynamic", estimate=9.9))
    pd.DataFrame(eff).to_csv(tables / f"soteria_{unknown}_effects.csv", index=False)
    neg = [eff[0] | dict(series="All other offence groups", perm_p=0.01)]
    pd.DataFrame(neg).to_csv(tables / f"soteria_{unknown}_negative_control.csv", index=False)
    pre = [dict(series="s", estimator="Callaway-Sant'Anna", p_value=p) for p in (0.7, 0.02)]
    pd.DataFrame(pre).to_csv(tables / f"soteria_{unknown}_pretrend.csv", index=False)


def test_the_soteria_answer_is_the_headline_estimators(tmp_path):
    chapter = notebook(
        tmp_path / "07_soteria.ipynb",
        ["**Question.** Did it change\nwhen they joined?\n\nMore.", "## The aggregated effect"],
        "series = ['sexual_closed']\nunknown = 'exclude'\nestimator = 'cs'",
    )
    soteria_tables(tmp_path)
    (tmp_path / "soteria_exclude_sexual-closed_event.png").write_bytes(b"png")
    ans = F.soteria_answer(tmp_path, tmp_path, chapter)
    assert ans.question == "Did it change when they joined?"
    (e,) = ans.estimates  # Callaway-Sant'Anna, aggregated by cohort only
    assert (e.estimate, e.ci, e.mde, e.p_value) == ("2.63", "-3.91 to 9.17", "9.35", "0.46")
    assert e.verdict.startswith("No change the data can detect")
    notes = " ".join(ans.notes)
    assert "999 permutations" in notes and "5 treated forces in 1 cohort(s)" in notes
    assert "1 of 2 series depart from parallel trends" in notes
    assert "1 of 1 moved at the 0.05 level" in notes
    targets = [x.target for x in ans.links]
    assert "chapters/07_soteria.ipynb#the-aggregated-effect" in targets
    assert "figures.md#soteria_exclude_sexual-closed_event" in targets
    assert "tables/soteria_exclude_effects.csv" in targets


def test_the_soteria_answer_follows_the_notebooks_parameters(tmp_path):
    chapter = notebook(
        tmp_path / "07_soteria.ipynb", [], "unknown = 'soteria_expansion'\nestimator = 'sa'"
    )
    soteria_tables(tmp_path, "soteria_expansion")
    (e,) = F.soteria_answer(tmp_path, tmp_path, chapter).estimates
    assert e.what.endswith("(Sun-Abraham)") and e.estimate == "9.9"


def test_the_soteria_headline_is_notebook_07s():
    from rasso_research.views.staggered import HEADLINE

    assert F.SOTERIA_HEADLINE == HEADLINE


def test_the_validation_line_counts_numbers_not_run_apart(tmp_path):
    rows = [dict(reference="A (2015)", status="reproduced")] * 3
    rows += [dict(reference="B (2021)", status="not run: b.csv absent (optional registry row)")]
    pd.DataFrame(rows).to_csv(tmp_path / "validation.csv", index=False)
    line = F.validation_line(tmp_path, tmp_path)
    assert "3 of 3 published numbers from 1 method papers" in line
    assert "1 more, from 1 paper(s), are not run" in line
    rows[0] = dict(reference="A (2015)", status="outside tolerance")
    pd.DataFrame(rows).to_csv(tmp_path / "validation.csv", index=False)
    assert "2 of 3 published numbers" in F.validation_line(tmp_path, tmp_path)


def test_the_page_says_which_run_it_shows(tmp_path):
    manifest = {"git": {"commit": "0123456789abcdef", "dirty": False}, "written": "2026-12-03"}
    (tmp_path / "manifest.json").write_text(__import__("json").dumps(manifest))
    assert F.built_from(tmp_path) == (
        " Tables of the paper run at commit `0123456789`, written 2026-12-03."
    )
