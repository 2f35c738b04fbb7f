"""Generate notebooks 01-05 (sources, no outputs) with nbformat.

Usage: ``python tools/make_notebooks.py`` (writes ``notebooks/0[1-5]_*.ipynb``). Key-result cells
are tagged ``nbval-check-output`` with ``keep_output: true``; their outputs are filled in by
``tools/keep_outputs.py`` from an executed copy.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks"


def md(text):
    return new_markdown_cell(text.strip())


def code(text, params=False, check=False):
    c = new_code_cell(text.strip())
    if params:
        c.metadata["tags"] = ["parameters"]
    if check:
        c.metadata["tags"] = ["nbval-check-output"]
        c.metadata["keep_output"] = True
    return c


SETUP = """
import warnings
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from rasso_research import analysis as A
from rasso_research import figures as F
from rasso_research import paths, reporting, style, timeline

warnings.filterwarnings("ignore", message=".*several sources.*")
tables_dir = paths.TABLES if tables_dir is None else Path(tables_dir)
figures_dir = paths.FIGURES if figures_dir is None else Path(figures_dir)
pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 20)
"""


def nb01():
    cells = [
        md("""
# 01 Data overview

**Question.** What do the official series cover, how clean are they, and how much do published
figures move between releases? Everything below is read from the processed panel
(`data/processed/panel.parquet`, built by `make data`); see `docs/DATA.md` for sources.
"""),
        code(
            """
panel_path = None  # None: data/processed/panel.parquet
tables_dir = None  # None: rasso_research.paths.TABLES
figures_dir = None  # None: rasso_research.paths.FIGURES
""",
            params=True,
        ),
        code(
            SETUP
            + "\npanel = A.load_panel(panel_path)\ncovid_q = timeline.covid_disrupted_quarters()"
        ),
        md("""
## Coverage of every measure

One row per measure and source: number of forces (the national total counted separately),
first and last calendar quarter, and the number of quarters. Outcome-type detail
(`rape_outcomes_cohort_type_*`) is summarised in one row.
"""),
        code("""
cov = A.coverage(panel)
is_type = cov["measure"].str.startswith("rape_outcomes_cohort_type_")
cov_main = cov[~is_type].reset_index(drop=True)
reporting.write_table(cov, "data_coverage", tables_dir)
cov_main[["measure", "forces", "national", "first", "last", "quarters"]]
"""),
        code(
            """
key = cov_main[cov_main["measure"].isin([
    "recorded_rape", "recorded_rape_per_100k", "rape_charged_in_quarter", "rape_charged_cohort",
    "rape_charge_rate_cohort", "cps_sexual_offences_conviction_rate", "population"])]
print(key[["measure", "forces", "first", "last", "quarters"]].to_string(index=False))
print("outcome-type measures:", int(is_type.sum()))
""",
            check=True,
        ),
        md("""
Recorded rape runs by force from 2012Q2, while the police outcomes by force cover only eight
quarters (two editions, 2017Q2-2019Q1) and national charges on the closure measure cover 2014Q2-2024Q2:
this asymmetry decides which interruptions can be studied with which series.
"""),
        md(
            "## Data-quality report\n\nThe report written by the panel build (dropped rows, caveats, revisions)."
        ),
        code("""
display(Markdown((paths.DATA_PROCESSED / "data_quality.md").read_text(encoding="utf-8")))
"""),
        md("""
Every exclusion is listed with its reason; the only rows kept with a caveat are the negative
quarterly counts that reflect cancelled crimes.
"""),
        md("## National series"),
        code("""
nat = [
    ("Police recorded rape, England and Wales", A.series(panel, "recorded_rape"), "Offences per quarter"),
    ("Police rape charges (closure measure)", A.series(panel, "rape_charged_in_quarter"), "Charges per quarter"),
    ("CPS sexual-offence convictions", A.series(panel, "cps_sexual_offences_convictions"), "Convictions per quarter"),
    ("CPS sexual-offence conviction rate", A.series(panel, "cps_sexual_offences_conviction_rate"), "Share of prosecutions"),
]
marks = {"HMIC": "2014Q4", "R v Allan": "2018Q1", "RASSO 2025": timeline.interruption_quarter("rasso2025")}
fig = F.plot_series_panels(nat, interruptions=marks, covid=covid_q)
style.save_figure(fig, "overview_national", figures_dir)
"""),
        md("""
Recorded rape roughly doubled from 2014 to 2019 while charges fell to their lowest point in
2019-2020; the CPS series (all sexual offences, not rape-flagged) end in 2019Q1, before any national
interruption.
"""),
        md("## Per-force series"),
        code("""
fig = F.plot_force_grid(panel, "recorded_rape_per_100k", "Recorded rape per 100,000 per quarter",
                        highlight=["West Midlands"])
style.save_figure(fig, "overview_forces_recorded_rape", figures_dir)
"""),
        md("""
The rise in recorded rape is common to almost every force, which is why a controlled design
(one force against the others) is needed for a force-level intervention.
"""),
        code("""
fig = F.plot_force_grid(panel, "rape_charge_rate_cohort", "Charged / outcomes assigned (cohort)",
                        highlight=["West Midlands"])
style.save_figure(fig, "overview_forces_charge_rate", figures_dir)
"""),
        md("""
The force-level charge rate (cohort measure) is only available for eight quarters, too short for
force-level ITS on its own.
"""),
        code("""
fig = F.plot_force_grid(panel, "cps_sexual_offences_conviction_rate", "CPS sexual-offence conviction rate",
                        highlight=["West Midlands"], source=F.SOURCE_CPS)
style.save_figure(fig, "overview_forces_cps_conviction_rate", figures_dir)
"""),
        md(
            "The CPS conviction rate per force area is noisy quarter to quarter, especially in small areas."
        ),
        md("""
## Revision between releases

Recorded rape for 2017/18 in the 2017/18 sheet of the 2018 release versus the April 2026 release.
"""),
        code("""
rev = pd.read_csv(paths.DATA_PROCESSED / "recorded_rape_revision.csv")
fig = F.plot_revision(rev)
style.save_figure(fig, "revision_recorded_rape_2017_18", figures_dir)
"""),
        code(
            """
ew = rev[rev["force"] == "England and Wales"].iloc[0]
print(f"E&W 2017/18: 2018 release {int(ew['release_2018']):,}, 2026 release {int(ew['release_2026']):,}, "
      f"difference {int(ew['difference']):+,} ({A.round_sig(ew['pct_difference'])}%)")
f = rev[rev["force"] != "England and Wales"]
print(f"forces revised by more than 5% either way: {int((f['pct_difference'].abs() > 5).sum())} of {len(f)}")
""",
            check=True,
        ),
        md("""
The national total moved by under 2% between releases but some forces moved by much more,
so force-level comparisons must use a single release throughout (the panel does).
"""),
    ]
    return cells


def nb02():
    return [
        md("""
# 02 National interrupted time series

**Question.** Did the national series change when the CPS strategy *RASSO 2025* (July 2020),
the police-CPS Joint National Action Plan (January 2021) or the End-to-End Rape Review
(June 2021) began?

**Data.** England and Wales, calendar quarters: police recorded rape (2012Q2 on; population from
ONS mid-year estimates), police rape charges on the closure measure (`rape_charged_in_quarter`,
2014/15 Q1-2024/25 Q1: 25 quarters before July 2020 and 16 from it), and the CPS rape-flagged
figures (`cps_rape_national.csv`).

**Model.** Segmented regression (`rasso_research.its`): trend, level and slope change at the
interruption, quarter-of-year dummies, one indicator for the Covid-19 lockdown quarters
(`timeline.covid_disrupted_quarters()`). Counts use quasi-Poisson with a log offset (population
for recorded rape, recorded rape in the same quarter for the charge rate); rates per 100,000 use OLS
with Newey-West standard errors. Each interruption is fitted in its own model: the three dates lie
within four quarters of each other (and of the lockdowns), so their effects are **not separable**.

**Known breaks.** The recording-practice rise of 2014-2017 (HMIC inspection, November 2014) is
handled by starting recorded-rape models in `start_recorded` (sensitivity below). The drop in charges
after the disclosure failures of late 2017 (R v Allan, December 2017) is handled by `allan`:
an extra documented segment at 2018Q1 (default), a start after it, or nothing.
"""),
        code(
            """
interruptions = None  # None: RASSO 2025, JNAP, End-to-End Rape Review from config/interventions.csv
start_recorded = "2017Q2"  # after the 2014-2017 recording-practice rise
start_charges = "2014Q2"  # first quarter of the closure series
allan = "segment"  # "segment" (extra segment at 2018Q1), "start_after" (start 2018Q2) or "none"
family = "quasipoisson"  # for count series: "quasipoisson", "ols_hac" or "arma"
seasonality = "quarter"  # "none", "quarter" or "fourier"
covid = "indicator"  # "indicator", "exclude" or "none"
min_pre = 8
min_post = 8
horizons = [0, 4, 8]
start_sensitivity = ["2014Q2", "2015Q2", "2016Q2", "2017Q2", "2018Q2"]
tables_dir = None  # None: rasso_research.paths.TABLES
figures_dir = None  # None: rasso_research.paths.FIGURES
""",
            params=True,
        ),
        code(
            SETUP
            + """
panel = A.load_panel()
covid_q = tuple(timeline.covid_disrupted_quarters())
if interruptions is None:
    interruptions = {
        "RASSO 2025": timeline.interruption_quarter("rasso2025"),
        "JNAP": timeline.interruption_quarter("jnap"),
        "E2E Review": timeline.interruption_quarter("e2e_review"),
    }
charges_start = "2018Q2" if allan == "start_after" else start_charges
allan_segments = ["2018Q1"] if allan == "segment" and charges_start < "2018Q1" else []
models = [
    dict(label="Recorded rape (count, population offset)", measure="recorded_rape",
         offset="population", offset_fill="interpolate", start=start_recorded, rate_scale=1e5),
    dict(label="Recorded rape per 100k (OLS)", measure="recorded_rape_per_100k",
         start=start_recorded, family="ols_hac"),
    dict(label="Rape charges (count)", measure="rape_charged_in_quarter", start=charges_start,
         segments=allan_segments),
    dict(label="Rape charges per 100 recorded rapes", measure="rape_charged_in_quarter",
         offset="recorded_rape", start=charges_start, segments=allan_segments, rate_scale=100),
]
base = A.ModelSpec(interruption="2020Q3", family=family, seasonality=seasonality, covid=covid,
                   covid_quarters=covid_q, horizons=tuple(horizons))
res = A.run_national_models(panel, models, interruptions, base, min_pre=min_pre, min_post=min_post)
print("interruptions:", interruptions, "| Covid-19 quarters:", list(covid_q))
"""
        ),
        md("## Coverage on each side of each interruption"),
        code(
            """
print(res["feasibility"][["series", "interruption", "quarter", "n_pre", "n_post", "feasible"]].to_string(index=False))
""",
            check=True,
        ),
        md("""
Every national quarterly series has at least 8 quarters on each side of each date; for charges the
post-period is 16 quarters from RASSO 2025, 14 from the JNAP and 13 from the Review (to 2024Q2).
"""),
        md("## Effects (relative change versus the counterfactual, 95% CI)"),
        code(
            """
eff = res["effects"]
show = eff[eff["horizon"].isin([0, 4])][["series", "intervention", "horizon", "effect_pct", "ci_low_pct", "ci_high_pct"]]
print(A.rounded(show).to_string(index=False))
""",
            check=True,
        ),
        md("""
Read each row as "the series was this % above (below) where the pre-interruption trend projected";
with the three interventions so close together and the lockdowns in between, no row identifies one
intervention on its own.
"""),
        code("""
params = res["params"]
params[params["term"].str.contains("main")][["series", "intervention", "term", "estimate", "ci_low", "ci_high", "p_value"]]
"""),
        md(
            "The level and slope-change coefficients on the model scale (log for counts, rate for OLS)."
        ),
        code("""
diag = res["diagnostics"]
cols = [c for c in ["series", "intervention", "n", "hac_lags", "durbin_watson", "ljung_box_p",
                    "breusch_godfrey_p", "dispersion"] if c in diag.columns]
diag[cols]
"""),
        md("""
Residual autocorrelation tests and (for counts) the quasi-Poisson dispersion: large dispersion is
expected with national counts and is absorbed by the Pearson-scaled standard errors.
"""),
        code("""
cfs = pd.concat([A.counterfactual_table(f, series=s, intervention=i) for (s, i), f in res["fits"].items()],
                ignore_index=True)
for name in ("params", "effects", "diagnostics", "feasibility"):
    reporting.write_table(res[name], f"its_national_{name}", tables_dir)
reporting.write_table(cfs, "its_national_counterfactual", tables_dir)
for label in cfs["series"].unique():
    cf = cfs[(cfs["series"] == label) & (cfs["intervention"] == "RASSO 2025")]
    ylab = "Rate" if "per" in label else "Count per quarter"
    fig = F.plot_its_table(cf, ylab, title=label, interruptions={"RASSO 2025": interruptions["RASSO 2025"]},
                           width="two", source=F.SOURCE_HO)
    style.save_figure(fig, "its_national_" + A.slugify(label), figures_dir)
"""),
        md("""
The figures show the fitted segments and the counterfactual (pre-period model projected) from
RASSO 2025; hollow points are quarters with their own Covid-19 indicator.
"""),
        md("""
## Sensitivity to the start of the recorded-rape series

The recording-practice rise (2014-2017) bends the pre-period trend; later starts drop it.
"""),
        code(
            """
rows = []
for st in start_sensitivity:
    s = A.series(panel, "recorded_rape", offset="population", offset_fill="interpolate", start=st)
    fit = A.fit_segmented(s, A.ModelSpec(interruptions["RASSO 2025"], family=family, seasonality=seasonality,
                                         covid=covid, covid_quarters=covid_q, rate_scale=1e5, horizons=(0, 4)))
    for _, e in fit.effects.iterrows():
        rows.append({"start": st, "n_pre": fit.diagnostics["n_pre"], "horizon": e["horizon"],
                     "effect_pct": e["effect_pct"], "ci_low_pct": e["ci_low_pct"], "ci_high_pct": e["ci_high_pct"]})
start_sens = pd.DataFrame(rows)
reporting.write_table(start_sens, "its_national_start_sensitivity", tables_dir)
print(A.rounded(start_sens).to_string(index=False))
""",
            check=True,
        ),
        md("""
If the estimate changes sign or size with the start quarter, the recorded-rape result depends on how
the recording-practice rise is handled and should be read as descriptive.
"""),
        md("## Handling of the early-2018 drop in charges (R v Allan)"),
        code(
            """
rows = []
for how, st, seg in [("segment at 2018Q1", start_charges, ("2018Q1",)), ("start 2018Q2", "2018Q2", ()),
                     ("ignored", start_charges, ())]:
    s = A.series(panel, "rape_charged_in_quarter", offset="recorded_rape", start=st)
    fit = A.fit_segmented(s, A.ModelSpec(interruptions["RASSO 2025"], family=family, seasonality=seasonality,
                                         covid=covid, covid_quarters=covid_q, segments=seg, rate_scale=100,
                                         horizons=(0,)))
    e = fit.effects.iloc[0]
    rows.append({"allan": how, "n_pre": fit.diagnostics["n_pre"], "effect_pct": e["effect_pct"],
                 "ci_low_pct": e["ci_low_pct"], "ci_high_pct": e["ci_high_pct"]})
allan_sens = pd.DataFrame(rows)
reporting.write_table(allan_sens, "its_national_allan_sensitivity", tables_dir)
print(A.rounded(allan_sens).to_string(index=False))
""",
            check=True,
        ),
        md("""
Ignoring the 2018 drop folds it into the pre-trend and makes the post-2020 series look better than
the counterfactual; the extra segment or a later start removes that artefact.
"""),
        md("""
## Other prosecution series

Every other prosecution measure in the panel is checked against every interruption and modelled
automatically when it has at least `min_pre` and `min_post` quarters (this happens, for example,
when the official outcomes open data for 2014/15-2025/26 are fetched with `RASSO_FETCH_OPTIONAL=1`).
"""),
        code(
            """
other = ["rape_charged_cohort", "rape_charge_rate_cohort", "rape_outcomes_cohort",
         "cps_sexual_offences_convictions", "cps_sexual_offences_conviction_rate"]
rows, extra_fits = [], []
for m in other:
    try:
        s = A.series(panel, m)
    except ValueError:
        continue
    for name, q in interruptions.items():
        f = A.check_its_feasible(s, q, min_pre, min_post, label=m)
        rows.append({"measure": m, "first": str(s["quarter"].min()), "last": str(s["quarter"].max()),
                     "interruption": name, "n_pre": f.n_pre, "n_post": f.n_post, "feasible": f.ok})
        if f:
            fam = "quasipoisson" if "rate" not in m else "ols_hac"
            fit = A.fit_segmented(s, A.ModelSpec(q, family=fam, seasonality=seasonality, covid=covid,
                                                 covid_quarters=covid_q, horizons=tuple(horizons)))
            extra_fits.append(A.tidy_fit(fit, series=m, intervention=name)["effects"])
other_feas = pd.DataFrame(rows)
reporting.write_table(other_feas, "its_national_other_feasibility", tables_dir)
print(other_feas.to_string(index=False))
if extra_fits:
    print(A.rounded(pd.concat(extra_fits)[["series", "intervention", "horizon", "effect_pct", "ci_low_pct", "ci_high_pct"]]).to_string(index=False))
""",
            check=True,
        ),
        md("""
With the mirrored data the force-level outcomes (two editions, 2017Q2-2019Q1) and the CPS
principal-offence series (to 2019Q1) end before July 2020, so none of them can be modelled at the
national interruptions: they have zero post-period quarters.
"""),
        md("""
### CPS rape-flagged charges, prosecutions and convictions

These come by financial year (and a scattered set of quarters), from the transcribed CPS figures.
"""),
        code("""
cps = pd.read_csv(paths.DATA_PROCESSED / "cps_rape_national.csv")
cps_fy = A.cps_table(cps)
reporting.write_table(cps_fy, "cps_rape_national_fy", tables_dir)
cps_fy
"""),
        code(
            """
cps_feas = A.cps_feasibility(cps, interruptions["RASSO 2025"], min_pre=min_pre, min_post=min_post)
reporting.write_table(cps_feas, "cps_rape_feasibility", tables_dir)
print(cps_feas[["measure", "period_type", "first", "last", "n_pre", "n_post", "feasible"]].to_string(index=False))
for m in cps_feas.loc[cps_feas["feasible"] & (cps_feas["period_type"] == "quarter"), "measure"]:
    fit = A.fit_segmented(A.cps_quarterly_series(cps, m),
                          A.ModelSpec(interruptions["RASSO 2025"], covid_quarters=covid_q, horizons=tuple(horizons)))
    print(m, A.rounded(fit.effects[["horizon", "effect_pct", "ci_low_pct", "ci_high_pct"]]).to_string(index=False))
""",
            check=True,
        ),
        md("""
**The CPS rape-flagged series are too short for a quarterly ITS on either side of the national
interruptions**: the annual figures give at most one full financial year after July 2020 and the quarterly
figures have gaps, so they are shown, not modelled; the code above fits them automatically once a
regular quarterly series with enough quarters is present.
"""),
        md("""
## Caveats

Police charges on the closure measure count outcomes assigned in the quarter, whenever the offence
was recorded, and the 2024 edition appears to include British Transport Police; recorded rape
includes the 2019/20 codes 19J/19K; population after mid-2024 is carried forward. These are
before-after comparisons against an extrapolated trend, not causal estimates of any single policy.
"""),
    ]


def nb03():
    return [
        md("""
# 03 One force: controlled interrupted time series

**Question.** Did closer police-CPS joint working in one force area (default: West Midlands,
December 2018) change its series relative to the other forces?

**Design.** For each series: (1) a single-force ITS (OLS on the rate, Newey-West SEs);
(2) a controlled ITS, pooling the force with all other forces (`controls = None`) or a chosen set,
with force fixed effects and panel HAC standard errors, whose `treated_level_main` term is the force's
level change relative to the controls; (3) placebo in space: every control force in turn treated as if
it had the intervention (permutation p-value); (4) placebo in time: fake dates in the pre-period.

West Midlands was also an Operation Soteria Bluestone pathfinder in 2021, so the window ends at
`window_end` (default 2020Q4) to keep that second change out.
"""),
        code(
            """
force = "West Midlands"
interruption = "2018Q4"  # December 2018 (config/interventions.csv: wm_joint_working)
controls = None  # None: all other forces
series = ["recorded_rape_per_100k", "rape_charge_rate_cohort", "cps_sexual_offences_conviction_rate"]
start = "2014Q2"
window_end = "2020Q4"  # stop before Operation Soteria (2021)
min_pre = 8
min_post = 4
tables_dir = None  # None: rasso_research.paths.TABLES
figures_dir = None  # None: rasso_research.paths.FIGURES
""",
            params=True,
        ),
        code(
            SETUP
            + """
panel = A.load_panel()
interruption = str(interruption)
covid_q = [q for q in timeline.covid_disrupted_quarters() if q <= str(window_end)]
slug = A.slugify(f"{force} {interruption}")
labels = {
    "recorded_rape_per_100k": "Recorded rape per 100,000",
    "rape_charge_rate_cohort": "Charge rate (cohort)",
    "cps_sexual_offences_conviction_rate": "CPS sexual-offence conviction rate",
}
print(f"{force}, interruption {interruption}, window {start} to {window_end}; outputs tagged '{slug}'")
"""
        ),
        md("## Quarters available on each side"),
        code(
            """
rows, data = [], {}
for m in series:
    try:
        s = A.series(panel, m, force=force, start=start, end=window_end)
    except ValueError as exc:
        rows.append({"series": m, "first": "", "last": "", "n_pre": 0, "n_post": 0, "feasible": False,
                     "note": str(exc)})
        continue
    f = A.check_its_feasible(s, interruption, min_pre, min_post, label=m)
    rows.append({"series": m, "first": str(s["quarter"].min()), "last": str(s["quarter"].max()),
                 "n_pre": f.n_pre, "n_post": f.n_post, "feasible": f.ok, "note": f.message})
    data[m] = (s, f)
feas = pd.DataFrame(rows)
reporting.write_table(feas, f"its_force_{slug}_feasibility", tables_dir)
print(feas[["series", "first", "last", "n_pre", "n_post", "feasible"]].to_string(index=False))
""",
            check=True,
        ),
        md("""
Only series with at least `min_pre` quarters before and `min_post` from the interruption are
modelled. For West Midlands (December 2018) recorded rape has nine post quarters to 2020Q4 (two of
them Covid-flagged); the cohort charge rate and the CPS conviction rate end in 2019Q1, giving two post
quarters each, which is too few: they are reported, not modelled.
"""),
        md("## Single-force and controlled ITS"),
        code("""
single, ctrl_rows, cfs, pl_space, pl_time = [], [], [], [], []
for m, (s, f) in data.items():
    if not f:
        continue
    spec = A.ModelSpec(interruption, family="ols_hac", seasonality="quarter", covid="indicator",
                       covid_quarters=tuple(covid_q), horizons=(0, 4))
    fit = A.fit_segmented(s, spec)
    single.append(A.tidy_fit(fit, series=m, force=force)["effects"])
    cfs.append(A.counterfactual_table(fit, series=m, force=force))
    cf = A.controls_frame(panel, m, force, controls, start=start, end=window_end)
    r = A.fit_controlled(cf, interruption, covid_quarters=covid_q)
    t = r.params_table().set_index("term").loc[["treated_level_main", "treated_slope_main"]]
    for term, row in t.iterrows():
        ctrl_rows.append({"series": m, "term": term, "estimate": row["estimate"], "ci_low": row["ci_low"],
                          "ci_high": row["ci_high"], "p_value": row["p_value"],
                          "n_controls": len(cf.attrs["controls"])})
    ps = A.placebo_space(cf, interruption, covid_quarters=covid_q)
    pl_space.append(ps.table.assign(series=m, observed=ps.observed, p_perm=ps.p_value))
    pt = A.placebo_dates(s, spec)
    pl_time.append(pt.table.assign(series=m, observed=pt.observed, p_perm=pt.p_value))
single = pd.concat(single, ignore_index=True) if single else pd.DataFrame()
ctrl = pd.DataFrame(ctrl_rows)
for name, df in [("single", single), ("controlled", ctrl),
                 ("placebo_space", pd.concat(pl_space, ignore_index=True) if pl_space else pd.DataFrame()),
                 ("placebo_time", pd.concat(pl_time, ignore_index=True) if pl_time else pd.DataFrame()),
                 ("counterfactual", pd.concat(cfs, ignore_index=True) if cfs else pd.DataFrame())]:
    if len(df):
        reporting.write_table(df, f"its_force_{slug}_{name}", tables_dir)
"""),
        code(
            """
if len(single):
    print(A.rounded(single[["series", "horizon", "effect_pct", "ci_low_pct", "ci_high_pct"]]).to_string(index=False))
    print(A.rounded(ctrl[["series", "term", "estimate", "ci_low", "ci_high", "p_value"]]).to_string(index=False))
    for m, ps, pt in zip([d for d in data if data[d][1]], pl_space, pl_time, strict=True):
        print(f"{m}: placebo-in-space p = {A.round_sig(ps['p_perm'].iloc[0])} ({len(ps)} control forces); "
              f"placebo-in-time p = {A.round_sig(pt['p_perm'].iloc[0]) if len(pt) else 'n/a'} ({len(pt)} fake dates)")
else:
    print("no series has enough quarters on both sides: nothing modelled")
""",
            check=True,
        ),
        md("""
The single-force effect is the change against the force's own projected trend; the controlled
`treated_level_main` is the level change relative to the other forces in the same quarters, and the
permutation p-values say how unusual that change is among forces that had no such intervention.
"""),
        code("""
for m in [d for d in data if data[d][1]]:
    cf = pd.concat(cfs)
    cf = cf[cf["series"] == m]
    fig = F.plot_its_table(cf, labels.get(m, m), title=f"{force}: {labels.get(m, m)}",
                           interruptions={"joint working": interruption}, width="two", source=F.SOURCE_HO)
    style.save_figure(fig, f"its_force_{slug}_{A.slugify(m)}", figures_dir)
"""),
        md("""
The counterfactual band widens quickly after the interruption because the pre-period is short
relative to the noise in one force's quarterly rate.
"""),
        md("""
## Caveats

The recorded-rape rate measures reporting and recording, not prosecution; the charge-rate and CPS
series that measure prosecution end too early for this date. Population for rates is ONS mid-year
interpolated. West Midlands joined Operation Soteria in 2021: extend `window_end` past 2020Q4 only with
a second interruption.
"""),
    ]


def nb04():
    return [
        md("""
# 04 Sensitivity: specification curve

**Question.** How much does the national estimate depend on defensible modelling choices?

One estimate per combination of: model family (quasi-Poisson with offset; OLS on the rate with
Newey-West lags by the NW rule or 4 lags; AR(1) errors), seasonality (none / quarter dummies /
Fourier), start quarter (2014Q2 with the 2018Q1 disclosure-failure segment, or 2018Q2), Covid-19
quarters (indicator / excluded), interruption date (-1, 0, +1 quarter) and phase-in (0 or 1 quarter).
The estimand is the change (%) in police rape charges per 100 recorded rapes at the RASSO 2025
interruption (horizon 0), relative to the counterfactual.
"""),
        code(
            """
measure = "rape_charged_in_quarter"
offset = "recorded_rape"
rate_scale = 100
intervention = "rasso2025"
starts = ["2014Q2", "2018Q2"]
allan_quarter = "2018Q1"
horizon = 0
n_jobs = 2
tables_dir = None  # None: rasso_research.paths.TABLES
figures_dir = None  # None: rasso_research.paths.FIGURES
""",
            params=True,
        ),
        code(
            SETUP
            + """
from rasso_research import sensitivity as S

panel = A.load_panel()
covid_q = tuple(timeline.covid_disrupted_quarters())
q0 = timeline.interruption_quarter(intervention)
s = A.series(panel, measure, offset=offset)
base = A.ModelSpec(q0, covid_quarters=covid_q, rate_scale=rate_scale)
curve = S.specification_curve(s, base, grid={"start": starts}, horizon=horizon, allan_quarter=allan_quarter,
                              n_jobs=n_jobs)
summary = S.summarise_curve(curve)
reporting.write_table(curve, "spec_curve", tables_dir)
reporting.write_table(summary, "spec_curve_summary", tables_dir)
print(f"{measure} / {offset}, interruption {q0}: {len(curve)} specifications")
"""
        ),
        code(
            """
print(A.rounded(summary).to_string(index=False))
by = curve[curve["ok"]].groupby("model")["estimate"].median()
print(A.rounded(by.reset_index()).to_string(index=False))
""",
            check=True,
        ),
        md("""
The median and range summarise the curve; the share of specifications whose CI excludes zero says
whether the conclusion survives the analyst's choices.
"""),
        code("""
fig = S.plot_curve(curve, title="Rape charges per 100 recorded rapes, RASSO 2025",
                   ylabel="Change at interruption (%)")
style.source_note(fig, F.SOURCE_HO)
style.save_figure(fig, "spec_curve", figures_dir)
"""),
        md("""
Specifications are sorted by estimate (red: CI excludes zero); the lower panel marks each choice, so
a cluster of one choice at one end shows which decision drives the result.
"""),
        code("""
curve.groupby(["start", "covid"])["estimate"].agg(["median", "min", "max"]).round(1)
"""),
        md("Start quarter (with or without the 2018 segment) and Covid handling, side by side."),
    ]


def nb05():
    return [
        md("""
# 05 Paper figures

Assembles the paper figures from the tables saved by notebooks 02-04 (no model is refitted):
one shared style, one-column (3.5 in) and two-column (7.2 in) widths, PDF and PNG, interruptions
and Covid-19 quarters marked, axis labels with units and a source line.
"""),
        code(
            """
force_slug = "west-midlands-2018q4"
force_interruption = "2018Q4"
tables_dir = None  # None: rasso_research.paths.TABLES
figures_dir = None  # None: rasso_research.paths.FIGURES
""",
            params=True,
        ),
        code(
            SETUP
            + """
import matplotlib as mpl
import matplotlib.pyplot as plt

from rasso_research import sensitivity as S

cf = pd.read_csv(tables_dir / "its_national_counterfactual.csv")
eff = pd.read_csv(tables_dir / "its_national_effects.csv")
curve = pd.read_csv(tables_dir / "spec_curve.csv")
rasso = timeline.interruption_quarter("rasso2025")
written = []
"""
        ),
        md("## Figure 1: national series with the RASSO 2025 counterfactual"),
        code("""
panels = [("Recorded rape (count, population offset)", "Recorded rape per 100,000 per quarter"),
          ("Rape charges (count)", "Charges per quarter"),
          ("Rape charges per 100 recorded rapes", "Charges per 100 recorded rapes")]
for width, ncols in (("two", 3), ("one", 1)):
    with mpl.rc_context(style.RC):
        w = style.TWO_COLUMN if width == "two" else style.ONE_COLUMN
        nrows = len(panels) // ncols
        fig, axes = plt.subplots(nrows, ncols, figsize=(w, 2.2 * nrows), squeeze=False)
        for ax, (label, ylab) in zip(axes.flat, panels, strict=True):
            d = cf[(cf["series"] == label) & (cf["intervention"] == "RASSO 2025")]
            F.plot_its_table(d, ylab, title=label, interruptions={"RASSO 2025": rasso}, ax=ax,
                             legend=ax is axes.flat[0])
        style.source_note(fig, F.SOURCE_HO)
        fig.tight_layout()
    written += style.save_figure(fig, f"fig1_national_its_{width}col", figures_dir)
"""),
        md("""
Charges per 100 recorded rapes were falling before July 2020 and the fitted post-period line is compared
with that projected fall, which is why the counterfactual band matters more than the point estimate.
"""),
        md("## Figure 2: effects at the interruption, all series and dates"),
        code("""
for width in ("one", "two"):
    fig = F.plot_effects(eff, horizon=0, width=width)
    written += style.save_figure(fig, f"fig2_effects_{width}col", figures_dir)
"""),
        md(
            "Intervals overlap heavily across the three dates, as expected for interruptions four quarters apart."
        ),
        md("## Figure 3: one force against its own trend"),
        code("""
path = tables_dir / f"its_force_{force_slug}_counterfactual.csv"
if path.exists():
    fc = pd.read_csv(path)
    for m in fc["series"].unique():
        for width in ("one", "two"):
            fig = F.plot_its_table(fc[fc["series"] == m], "Recorded rape per 100,000 per quarter"
                                   if m == "recorded_rape_per_100k" else m,
                                   title=f"{fc['force'].iloc[0]}: {m}",
                                   interruptions={"joint working": force_interruption}, width=width,
                                   source=F.SOURCE_HO)
            written += style.save_figure(fig, f"fig3_force_{force_slug}_{A.slugify(m)}_{width}col", figures_dir)
else:
    print(f"no force results for {force_slug}: run notebook 03 first")
"""),
        md(
            "The single-force panel; the controlled estimates are in `tables/its_force_*_controlled.csv`."
        ),
        md("## Figure 4: specification curve"),
        code("""
for width in ("two", "one"):
    fig = S.plot_curve(curve, width="double" if width == "two" else "single",
                       ylabel="Change in charges per 100 recorded rapes (%)")
    style.source_note(fig, F.SOURCE_HO)
    written += style.save_figure(fig, f"fig4_spec_curve_{width}col", figures_dir)
"""),
        md("The curve figure repeats notebook 04 at the two paper widths."),
        code(
            """
print("\\n".join(sorted(p.name for p in written)))
""",
            check=True,
        ),
        md(
            "All figures are written deterministically (no timestamps), so a rerun gives identical files."
        ),
    ]


def write(name, cells):
    nb = new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
    }
    path = NB / name
    old = nbformat.read(path, as_version=4) if path.exists() else None
    if old is not None:  # keep committed outputs of checked cells whose source is unchanged
        kept = {
            c.source: c.get("outputs", [])
            for c in old.cells
            if c.cell_type == "code" and c.metadata.get("keep_output")
        }
        for c in nb.cells:
            if c.cell_type == "code" and c.metadata.get("keep_output") and c.source in kept:
                c.outputs = kept[c.source]
    nbformat.write(nb, path)
    print("wrote", path.relative_to(ROOT))


if __name__ == "__main__":
    write("01_data_overview.ipynb", nb01())
    write("02_national_its.ipynb", nb02())
    write("03_west_midlands_its.ipynb", nb03())
    write("04_sensitivity.ipynb", nb04())
    write("05_figures.ipynb", nb05())
