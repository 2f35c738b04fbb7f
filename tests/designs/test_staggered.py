"""Staggered adoption (designs/staggered.py, estimators/staggered.py, estimators/fixest_did.py,
views/staggered.py): a known effect recovered on a synthetic panel, the not-yet-treated
comparison, gaps never filled, bad input refused by name, the pyfixest fits against their
numpy twins, the view's text and figure, and the published minimum-wage example."""

import numpy as np
import pandas as pd
import pytest

from rasso_research.designs.staggered import StaggeredInputError, fit_staggered
from rasso_research.estimators import fixest_did as FX
from rasso_research.estimators import staggered as E
from rasso_research.its import ITSSpec
from rasso_research.views import staggered as V
from rasso_research.views.style import layout_problems

SPEC = ITSSpec(outcome="y", time="year", group="unit")


def panel(effect=2.0, seed=0, sizes=(5, 8, 10), firsts=(2021, 2022, 2023), years=range(2014, 2025)):
    """Units in cohorts adopting at ``firsts``; unit and year effects, noise, and ``effect``
    added from each unit's first year on."""
    rng = np.random.default_rng(seed)
    rows, cohorts, i = [], {}, 0
    yfx = {y: rng.normal() for y in years}
    for n, g in zip(sizes, firsts, strict=True):
        for _ in range(n):
            u = f"u{i:02d}"
            a = rng.normal(0, 3)
            cohorts[u] = g
            for y in years:
                rows.append(
                    {"unit": u, "year": y, "y": a + yfx[y] + 0.3 * rng.normal() + effect * (y >= g)}
                )
            i += 1
    return pd.DataFrame(rows), cohorts


def test_known_effect_is_recovered_with_not_yet_treated_controls():
    df, coh = panel(effect=2.0)
    r = fit_staggered(df, SPEC, coh, reps=99, regression_reps=19)
    eff = r.effects().set_index(["estimator", "aggregation"])
    for key in [("Callaway-Sant'Anna", "group"), ("Sun-Abraham", "dynamic")]:
        assert eff.loc[key, "estimate"] == pytest.approx(2.0, abs=0.5)
        assert eff.loc[key, "perm_p"] <= 0.05
    cs = eff.loc[("Callaway-Sant'Anna", "group")]
    assert cs["ci_low"] < 2.0 < cs["ci_high"] and cs["mde"] > 0
    # the last cohort has no not-yet-treated comparison: nothing of its own is identified
    tab = r.table()
    last = tab[(tab["cohort"] == "2023") & tab["post"]]
    assert last["att"].isna().all() and set(last["reason"]) == {"no comparison unit"}
    assert r.sizes()["n_cohorts_identified"] == 2
    # pre-periods: no effect before adoption
    ev = r.event()
    pre = ev[(ev["estimator"] == "Callaway-Sant'Anna") & (ev["e"] < 0)]
    assert pre["estimate"].abs().max() < 0.8


def test_no_effect_gives_a_null_and_a_calibrated_pretrend():
    df, coh = panel(effect=0.0, seed=3)
    r = fit_staggered(df, SPEC, coh, reps=199, regression_reps=0, estimators=("cs",))
    cs = r.effects().iloc[0]
    assert cs["ci_low"] < 0 < cs["ci_high"]
    assert r.pretrend().iloc[0]["p_value"] > 0.05


def test_gaps_are_never_filled_and_cells_count_them():
    df, coh = panel()
    df.loc[(df["unit"] == "u00") & (df["year"] == 2019), "y"] = np.nan
    df = df.dropna()
    r = fit_staggered(df, SPEC, coh, reps=0, regression_reps=0, estimators=("cs",))
    tab = r.table()
    row = tab[(tab["cohort"] == "2021") & (tab["period"] == "2019")].iloc[0]
    assert row["n_dropped"] == 1 and row["n_treated"] == 4
    assert "2019" in r.sample().set_index("unit").loc["u00", "missing_periods"]


def test_bad_input_is_refused_by_name():
    df, coh = panel()
    with pytest.raises(StaggeredInputError, match="no cohort for"):
        fit_staggered(df, SPEC, {k: v for k, v in coh.items() if k != "u01"}, reps=0)
    with pytest.raises(StaggeredInputError, match="not in the data"):
        fit_staggered(df, SPEC, coh | {"nowhere": 2021}, reps=0)
    with pytest.raises(StaggeredInputError, match="at or before the first period"):
        fit_staggered(df, SPEC, coh | {"u00": 2014}, reps=0)
    with pytest.raises(StaggeredInputError, match="not-yet-treated comparison"):
        fit_staggered(df, SPEC, coh, window=(2014, 2020), reps=0)  # nobody adopts in the window
    with pytest.raises(StaggeredInputError, match="not-yet-treated comparison"):
        fit_staggered(df, SPEC, {u: 2021 for u in coh}, reps=0)  # one cohort: no comparison
    with pytest.raises(StaggeredInputError, match="estimators"):
        fit_staggered(df, SPEC, coh, estimators=("csdid",), reps=0)


def test_numpy_twins_match_pyfixest_and_the_permutation_refit_matches_the_fit():
    df, coh = panel(seed=5)
    df = df.drop(index=[3, 40])  # unbalanced
    r = fit_staggered(df, SPEC, coh, reps=0, regression_reps=0)
    Y, G = r.m.Y, r.m.G
    assert FX.sa_overall_ols(Y, G) == pytest.approx(r.sa["overall"][0], abs=1e-9)
    assert FX.twfe_ols(Y, G) == pytest.approx(r.twfe["estimate"], abs=1e-9)
    fast = E.fast_aggregates(Y, G)
    for kind in ("group", "dynamic", "simple"):
        assert fast[kind] == pytest.approx(E.aggregate(r.cells, kind)["overall"], abs=1e-12)


def test_view_text_and_figure():
    df, coh = panel()
    r = fit_staggered(df, SPEC, coh, reps=99, regression_reps=9, label="y per 100,000")
    text = V.describe(r)
    assert "y per 100,000" in text and "permutation p" in text and "Pre-trend check" in text
    fig = V.plot_event(r, ylabel="y")
    assert not layout_problems(fig)
    conc = V.conclusion(r.effects(), pd.DataFrame(), r.pretrend(), pd.DataFrame(), 30)
    assert "cannot show" in conc and "National Operating Model" in conc


@pytest.mark.mirror
def test_minimum_wage_example_matches_the_did_vignette(skip_unless_optional):
    """The published numbers of config/validation.csv (did vignette, never-treated
    controls), through the design's own code path."""
    from rasso_research.validation import fit_mpdta, mpdta_reproduced, reference

    skip_unless_optional("validation/mpdta.csv")
    fit = fit_mpdta(estimators=("cs", "sa"))
    got = mpdta_reproduced(fit)
    assert len(got) == 21
    for key, value in got.items():
        pub, tol = reference(key)
        assert abs(value - pub) <= tol + 1e-12, key
    # Sun-Abraham (pyfixest) with never-treated controls: its mean effect from adoption on
    # equals Callaway-Sant'Anna's event-time aggregate (both average the same 2x2 contrasts)
    assert fit.sa["overall"][0] == pytest.approx(got["cs2021_mpdta_dynamic_overall"], abs=1e-10)


@pytest.mark.mirror
def test_minimum_wage_example_not_yet_treated_cross_check(skip_unless_optional):
    """Not-yet-treated controls: the values the differences 0.3 and csdid 0.4.3 ports give
    on the same file (not published; a cross-check of the comparison group)."""
    from rasso_research.validation import fit_mpdta

    skip_unless_optional("validation/mpdta.csv")
    r = fit_mpdta(control="notyet")
    att = r.table().set_index(["cohort", "period"])["att"]
    assert att[("2004", "2004")] == pytest.approx(-0.0194, abs=5e-5)
    assert att[("2006", "2006")] == pytest.approx(0.0047, abs=5e-5)
    assert E.aggregate(r.cells, "dynamic")["overall"] == pytest.approx(-0.0774, abs=5e-5)
