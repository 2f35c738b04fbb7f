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
The span of each series decides which interruptions can be studied with it (generated from the
coverage table):
"""),
        code("""
display(Markdown(A.describe_coverage(cov, ["recorded_rape", "rape_charged_in_quarter", "rape_charge_rate_cohort",
                                           "cps_sexual_offences_conviction_rate", "population"])))
"""),
        md(
            "## Data-quality report\n\nThe report written by the panel build (dropped rows, caveats, revisions)."
        ),
        code("""
display(Markdown((paths.DATA_PROCESSED / "data_quality.md").read_text(encoding="utf-8")))
"""),
        md("""
The report lists every excluded row with its reason, every row kept with a caveat, and the
revisions and coverage gaps found while building the panel.
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
Each series in figures (calendar years 2014 and 2019 compared where both are complete; the CPS series
cover all sexual offences, not only rape):
"""),
        code("""
display(Markdown("\\n".join(A.describe_change(s, title, 2014, 2019) for title, s, _ in nat)))
"""),
        md("## Per-force series"),
        code("""
fig = F.plot_force_grid(panel, "recorded_rape_per_100k", "Recorded rape per 100,000 per quarter",
                        highlight=["West Midlands"])
style.save_figure(fig, "overview_forces_recorded_rape", figures_dir)
"""),
        code("""
display(Markdown(A.describe_force_changes(panel, "recorded_rape_per_100k", 2014, 2019,
                                          label="Recorded rape per 100,000")))
"""),
        md("""
A change shared by most forces cannot be attributed to one force's intervention, which is why
notebook 03 compares a force with the others (controlled design).
"""),
        code("""
fig = F.plot_force_grid(panel, "rape_charge_rate_cohort", "Charged / outcomes assigned (cohort)",
                        highlight=["West Midlands"])
style.save_figure(fig, "overview_forces_charge_rate", figures_dir)
"""),
        code("""
display(Markdown(A.describe_coverage(cov, ["rape_charge_rate_cohort"])))
"""),
        code("""
fig = F.plot_force_grid(panel, "cps_sexual_offences_conviction_rate", "CPS sexual-offence conviction rate",
                        highlight=["West Midlands"], source=F.SOURCE_CPS)
style.save_figure(fig, "overview_forces_cps_conviction_rate", figures_dir)
"""),
        md(
            "One panel per CPS area (42 areas; the City of London is policed within the London CPS area)."
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
        code("""
display(Markdown(A.describe_revision(rev, threshold=5)))
"""),
        md("""
Because force figures can move between releases, the panel takes every force-level series from a
single release.
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

**Data.** England and Wales, calendar quarters: police recorded rape (population from ONS mid-year
estimates), police rape charges on the closure measure (`rape_charged_in_quarter`), and the CPS
rape-flagged figures (`cps_rape_national.csv`). The quarters available on each side of each date are
counted below.

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
for label, s in res["series"].items():
    if "offset_filled" in s.columns and s["offset_filled"].any():
        display(Markdown(f"*{label}.* " + A.describe_offset_fill(s)))
"""
        ),
        md("## Coverage on each side of each interruption"),
        code(
            """
print(res["feasibility"][["series", "interruption", "quarter", "n_pre", "n_post", "feasible"]].to_string(index=False))
""",
            check=True,
        ),
        code("""
display(Markdown(A.describe_feasibility(res["feasibility"], min_pre, min_post)))
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
Read each row as "the series was this % above (below) where the pre-interruption trend projected".
The three dates are fitted in separate models and lie close together with the lockdowns in between,
so no row identifies one intervention on its own. At the interruption (horizon 0):
"""),
        code("""
display(Markdown(A.describe_effects(eff, horizons=[0])))
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
cols = [c for c in ["series", "intervention", "n", "hac_lags", "ci_method", "durbin_watson", "ljung_box_p",
                    "breusch_godfrey_p", "dispersion"] if c in diag.columns]
diag[cols]
"""),
        md("Residual autocorrelation tests and (for counts) the quasi-Poisson dispersion:"),
        code("""
display(Markdown(A.describe_diagnostics(diag)))
"""),
        code("""
cfs = pd.concat([A.counterfactual_table(f, series=s, intervention=i) for (s, i), f in res["fits"].items()],
                ignore_index=True)
for name in ("params", "effects", "diagnostics", "feasibility"):
    reporting.write_table(res[name], f"its_national_{name}", tables_dir)
reporting.write_table(cfs, "its_national_counterfactual", tables_dir)
for label in cfs["series"].unique():
    cf = cfs[(cfs["series"] == label) & (cfs["intervention"] == "RASSO 2025")]
    fig = F.plot_its_table(cf, F.ylabel_for(label), title=label, interruptions={"RASSO 2025": interruptions["RASSO 2025"]},
                           width="two", source=F.SOURCE_HO)
    style.save_figure(fig, "its_national_" + A.slugify(label), figures_dir)
"""),
        md("""
The figures show the fitted segments and the counterfactual (pre-period model projected) from
RASSO 2025. Shaded quarters are the Covid-19 quarters (their own indicator with `covid="indicator"`);
hollow points are quarters left out of the fit (with `covid="exclude"`).
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
        code("""
display(Markdown(A.describe_sensitivity(start_sens, "start")))
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
Ignoring the 2018 drop folds it into the pre-period trend; the extra segment or a later start keeps it
out. How much that matters here:
"""),
        code("""
display(Markdown(A.describe_sensitivity(allan_sens, "allan")))
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
        code("""
display(Markdown(A.describe_feasibility(other_feas, min_pre, min_post)))
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
        code("""
display(Markdown(A.describe_feasibility(cps_feas, min_pre, min_post)
                 + "\\n\\nAnnual rows count one point per financial year; quarterly rows must form an unbroken run "
                 "(`regular`). Series that pass are fitted by the cell above; the others are shown, not modelled."))
"""),
        md("""
## Caveats

Police charges on the closure measure count outcomes assigned in the quarter, whenever the offence
was recorded, and the 2024 edition appears to include British Transport Police; recorded rape
includes the 2019/20 codes 19J/19K; population quarters without a published value are filled as
stated under the model cell above (column `offset_filled`). These are before-after comparisons against
an extrapolated trend, not causal estimates of any single policy.
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
        code("""
display(Markdown(A.describe_feasibility(feas, min_pre, min_post)))
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
placebo = pd.DataFrame([{"series": ps["series"].iloc[0], "p_space": ps["p_perm"].iloc[0], "n_space": len(ps),
                         "p_time": pt["p_perm"].iloc[0] if len(pt) else float("nan"), "n_time": len(pt)}
                        for ps, pt in zip(pl_space, pl_time, strict=True)])
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
`treated_level_main` is the level change relative to the other forces in the same quarters (units of
the series), and the permutation p-values say how unusual that change is among forces that had no
such intervention.
"""),
        code("""
display(Markdown(A.describe_effects(single) + "\\n\\nControlled design and placebos:\\n\\n"
                 + A.describe_controlled(ctrl, placebo)))
"""),
        code("""
for m in [d for d in data if data[d][1]]:
    cf = pd.concat(cfs)
    cf = cf[cf["series"] == m]
    fig = F.plot_its_table(cf, F.ylabel_for(m), title=f"{force}: {F.ylabel_for(m)}",
                           interruptions={"joint working": interruption}, width="two", source=F.SOURCE_HO)
    style.save_figure(fig, f"its_force_{slug}_{A.slugify(m)}", figures_dir)
"""),
        md("""
The band is the 95% CI of the projected pre-period line; it widens with the distance from the
pre-period, faster when the pre-period is short or noisy.
"""),
        md("""
## Caveats

The recorded-rape rate measures reporting and recording, not prosecution; whether the charge-rate and
CPS series that measure prosecution cover enough quarters around this date is stated in the coverage
section above. Population for rates is ONS mid-year interpolated. West Midlands joined Operation Soteria
in 2021: extend `window_end` past 2020Q4 only with a second interruption.
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
whether the conclusion survives the analyst's choices:
"""),
        code("""
display(Markdown(A.describe_curve(summary)))
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
labels = ["Recorded rape (count, population offset)", "Rape charges (count)", "Rape charges per 100 recorded rapes"]
panels = [(label, F.ylabel_for(label)) for label in labels]
for width in ("two", "one"):
    fig = F.plot_its_panels(cf, panels, {"RASSO 2025": rasso}, intervention="RASSO 2025", width=width)
    written += style.save_figure(fig, f"fig1_national_its_{width}col", figures_dir)
"""),
        md("""
Each post-period fitted line is compared with the projection of the pre-period line (the counterfactual),
so the direction of that pre-period line matters as much as the post-period data:
"""),
        code("""
rows = cf[cf["intervention"] == "RASSO 2025"]
display(Markdown("\\n".join("- " + A.describe_pretrend(rows[rows["series"] == label], label) for label in labels)))
"""),
        md("## Figure 2: effects at the interruption, all series and dates"),
        code("""
for width in ("one", "two"):
    fig = F.plot_effects(eff, horizon=0, width=width)
    written += style.save_figure(fig, f"fig2_effects_{width}col", figures_dir)
"""),
        md(
            "One row per series and date, each from its own model; the numbers are in notebook 02 "
            "(`tables/its_national_effects.csv`)."
        ),
        md("## Figure 3: one force against its own trend"),
        code("""
path = tables_dir / f"its_force_{force_slug}_counterfactual.csv"
if path.exists():
    fc = pd.read_csv(path)
    for m in fc["series"].unique():
        for width in ("one", "two"):
            fig = F.plot_its_table(fc[fc["series"] == m], F.ylabel_for(m),
                                   title=f"{fc['force'].iloc[0]}: {F.ylabel_for(m)}",
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
