"""Validation: the published data sets and the published numbers the package must reproduce,
at the top of the layers (it runs the ITS library and the designs on the published data).

* Sicily smoking ban (Lopez Bernal, Cummins & Gasparrini 2017): quasi-Poisson ITS.
* California's Proposition 99 (Linden 2015, Stata ``itsa``): single-group OLS with
  Newey-West errors, and the multiple-group comparison against the 38 other states.
* Proposition 99 by synthetic DiD, synthetic control and DiD (Arkhangelsky et al. 2021,
  Table 1).
* The minimum-wage example of Callaway & Sant'Anna (2021) (``mpdta``, county teen
  employment 2003-2007) by the staggered-adoption design: its group-time and event-time
  effects as the R package ``did`` prints them. The data are an optional registry row until
  the mirror holds them: without the file those keys are not reproduced (never dropped).

The published values, their sources and tolerances are in ``config/validation.csv`` only
(:func:`published`, :func:`reference`); notebook 00 and the tests read them from there, and
:func:`validation_table` sets each beside the value reproduced here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rasso_research import paths
from rasso_research.data.rawfiles import verified_path
from rasso_research.designs.staggered import StaggeredAdoption, fit_staggered
from rasso_research.designs.synthetic import panel_matrix
from rasso_research.estimators.staggered import aggregate
from rasso_research.estimators.synthdid import estimate
from rasso_research.its import Interruption, ITSSpec, fit_its


def _validation_file(name: str) -> Path:
    """``data/raw/validation/<name>``, hashed against the registry as it is opened (a changed
    or unregistered file stops the reader, naming it)."""
    return verified_path(f"validation/{name}")


def sicily_path() -> Path:
    """``data/raw/validation/sicily.csv``, placed by ``make data``, verified when opened."""
    return _validation_file("sicily.csv")


def load_sicily(path=None) -> pd.DataFrame:
    """Monthly acute coronary events in Sicily 2002-2006 (smoking ban from January 2005)."""
    return pd.read_csv(path if path is not None else sicily_path())


def sicily_spec():
    """The published model: quasi-Poisson, offset log(stdpop), level change only, two
    harmonics of month with period 12 (tsModel ``harmonic(month, 2, 12)``), model-based
    (Pearson-scaled) errors."""
    return ITSSpec(
        outcome="aces",
        time="time",
        interruptions=[Interruption("smokban", 37, slope=False)],
        family="quasipoisson",
        offset="stdpop",
        season=("fourier", 2, 12),
        season_col="month",
        rate_per=100_000,
        cov_type="nonrobust",
    )


def load_prop99(path=None) -> pd.DataFrame:
    """Annual cigarette sales per capita (packs), 39 US states, 1970-2000 (Abadie, Diamond &
    Hainmueller 2010; the synthdid copy): columns ``state``, ``year``, ``packs``."""
    raw = pd.read_csv(
        path if path is not None else _validation_file("california_prop99.csv"), sep=";"
    )
    out = raw.rename(columns={"State": "state", "Year": "year", "PacksPerCapita": "packs"})
    return out[["state", "year", "packs"]].sort_values(["state", "year"]).reset_index(drop=True)


def linden_spec(multiple: bool = False):
    """Linden's (2015) Proposition 99 model: interruption 1989, Newey-West lag 1. Single
    group (California alone): OLS with HAC errors and t(n - k) (Stata ``newey``). Multiple
    group: California against the other states, the ``itsa`` estimator."""
    base = ITSSpec("packs", "year", [Interruption("x1989", 1989)], hac_lags=1)
    if multiple:
        return base.replace(group="state", treated="California", cov_type="itsa")
    return base.replace(cov_type="HAC")


def synthdid_spec():
    """Arkhangelsky et al.'s (2021) Proposition 99 setup: California against the 38 other
    states, treated from 1989 (for :mod:`rasso_research.designs.synthetic`)."""
    return ITSSpec(
        "packs", "year", [Interruption("main", 1989)], group="state", treated="California"
    )


def mpdta_path() -> Path:
    """``data/raw/validation/mpdta.csv``, placed and checksum-verified by ``make data``."""
    return _validation_file("mpdta.csv")


def load_mpdta(path=None) -> pd.DataFrame:
    """County teen employment 2003-2007 (``did``'s ``mpdta``): ``year``, ``countyreal`` (as
    text), ``lpop``, ``lemp`` (log teen employment), ``first.treat`` (0: never treated)."""
    df = pd.read_csv(path if path is not None else mpdta_path())
    return df.assign(countyreal=df["countyreal"].astype(str))


def mpdta_spec() -> ITSSpec:
    """The published model's variables: ``lemp`` by ``countyreal`` and ``year``."""
    return ITSSpec(outcome="lemp", time="year", group="countyreal")


def fit_mpdta(df: pd.DataFrame | None = None, **options) -> StaggeredAdoption:
    """The published ``att_gt(yname = "lemp", ..., xformla = ~1, data = mpdta)``: never-treated
    controls, varying base period, no covariates, through :func:`fit_staggered` (no
    permutations unless ``options`` ask for them)."""
    df = load_mpdta() if df is None else df
    first = df.groupby("countyreal")["first.treat"].first()
    cohorts = {c: (None if g == 0 else int(g)) for c, g in first.items()}
    kw = {"control": "never", "estimators": ("cs",), "reps": 0, "regression_reps": 0} | options
    return fit_staggered(df, mpdta_spec(), cohorts, **kw)


def mpdta_reproduced(result: StaggeredAdoption) -> dict[str, float]:
    """The ``cs2021_mpdta_*`` keys of ``config/validation.csv`` from a fit of the example."""
    out = {}
    for r in result.table().itertuples():
        out[f"cs2021_mpdta_att_{r.cohort}_{r.period}"] = r.att
    dyn = aggregate(result.cells, "dynamic")
    out["cs2021_mpdta_dynamic_overall"] = dyn["overall"]
    for e, v in dyn.drop("overall").items():
        out[f"cs2021_mpdta_dynamic_e{e}".replace("-", "m")] = v
    out["cs2021_mpdta_dynamic_balanced1_overall"] = aggregate(result.cells, "dynamic", 1)["overall"]
    return {k: float(v) for k, v in out.items()}


def published() -> pd.DataFrame:
    """``config/validation.csv``: reference, key, published, tolerance, source, note."""
    return pd.read_csv(paths.CONFIG / "validation.csv")


def reference(key: str) -> tuple[float, float]:
    """The published value of ``key`` in ``config/validation.csv`` and its tolerance."""
    pub = published().set_index("key")
    if key not in pub.index:
        raise KeyError(f"no key {key!r} in config/validation.csv; keys: {list(pub.index)}")
    return float(pub.loc[key, "published"]), float(pub.loc[key, "tolerance"])


def reproduced() -> dict[str, float]:
    """Every reproducible key of ``config/validation.csv``, computed from the data."""
    out = {}
    sic = fit_its(load_sicily(), sicily_spec())
    row = sic.params_table().set_index("term").loc["level_smokban"]
    out["lopezbernal2017_rr"] = row["rate_ratio"]
    out["lopezbernal2017_rr_low"] = row["rr_ci_low"]
    out["lopezbernal2017_rr_high"] = row["rr_ci_high"]
    out["lopezbernal2017_dispersion"] = sic.dispersion

    prop = load_prop99()
    single = fit_its(prop[prop["state"] == "California"], linden_spec())
    est = single.params_table().set_index("term")["estimate"]
    out["linden2015_single_intercept"] = est["Intercept"]
    out["linden2015_single_pretrend"] = est["trend"]
    out["linden2015_single_step"] = est["level_x1989"]
    out["linden2015_single_posttrend"] = single.lincom("trend + slope_x1989")["estimate"].iloc[0]

    multi = fit_its(prop, linden_spec(multiple=True)).params_table().set_index("term")
    out["linden2015_multi_controls_intercept"] = multi.loc["Intercept", "estimate"]
    out["linden2015_multi_step_diff"] = multi.loc["treated_level_x1989", "estimate"]
    out["linden2015_multi_step_diff_p"] = multi.loc["treated_level_x1989", "p_value"]
    out["linden2015_multi_slope_diff_p"] = multi.loc["treated_slope_x1989", "p_value"]

    pm = panel_matrix(prop, synthdid_spec())
    for method in ("sdid", "sc", "did"):
        out[f"synthdid2021_{method}"] = estimate(pm.Y, pm.N0, pm.T0, method)[0]
    if (paths.DATA_RAW / "validation" / "mpdta.csv").exists():
        out.update(mpdta_reproduced(fit_mpdta()))
    return {k: float(v) for k, v in out.items()}


#: Published keys whose data are an optional registry row: key prefix -> registry name.
OPTIONAL_DATA = {"cs2021_mpdta_": "validation/mpdta.csv"}


def absent_optional() -> dict[str, str]:
    """The key prefixes of :data:`OPTIONAL_DATA` whose file is not in ``data/raw`` (so their
    numbers cannot be reproduced here), with the registry name of the file."""
    return {k: f for k, f in OPTIONAL_DATA.items() if not (paths.DATA_RAW / f).exists()}


def validation_table() -> pd.DataFrame:
    """One row per published number: reference, key, published, reproduced, tolerance,
    within (|reproduced - published| <= tolerance) and status (``reproduced``, ``outside
    tolerance``, ``not run: <file> absent ...`` or ``missing``). A key with no reproduction
    stays in the table (``within`` False), never dropped."""
    pub = published()
    rep = reproduced()
    out = pub[["reference", "key", "published", "tolerance"]].copy()
    out.insert(3, "reproduced", out["key"].map(rep))
    out["within"] = (out["reproduced"] - out["published"]).abs() <= out["tolerance"] + 1e-12
    absent = absent_optional()

    def status(row) -> str:
        if pd.notna(row["reproduced"]):
            return "reproduced" if row["within"] else "outside tolerance"
        for prefix, name in absent.items():
            if row["key"].startswith(prefix):
                return f"not run: {name} absent (optional registry row)"
        return "missing"

    out["status"] = out.apply(status, axis=1)
    return out


def summary(tab: pd.DataFrame) -> str:
    """One paragraph on :func:`validation_table`: k of n reproduced among the numbers whose
    data are present, the keys outside tolerance or missing, and the ones not run because an
    optional file is absent (with the fix)."""
    run = tab[~tab["status"].str.startswith("not run")]
    n_ok = int((run["status"] == "reproduced").sum())
    text = f"**{n_ok} of {len(run)} published numbers whose data are present are reproduced"
    text += " within their tolerance.**"
    bad = run[run["status"] != "reproduced"]
    if len(bad):
        text += " Not reproduced: " + ", ".join(
            f"{k} ({s})" for k, s in bad[["key", "status"]].values
        )
        text += "."
    skipped = tab[tab["status"].str.startswith("not run")]
    for status, g in skipped.groupby("status", sort=False):
        name = status.split(" ")[2]
        text += (
            f" {len(g)} published numbers were not run: their data file {name} is an optional"
            " registry row that is not in the data mirror; place a copy with the registered"
            " checksum in the mirror (or download it with `RASSO_FETCH_OPTIONAL=1 make fetch`) and rerun."
        )
    return text
