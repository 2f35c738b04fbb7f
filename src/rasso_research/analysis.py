"""Model-ready series from the panel, feasibility checks and a small segmented-regression engine.

The panel (``data/processed/panel.parquet``) is long: one row per force x quarter x measure
(x source). This module turns it into one quarterly series (``quarter`` as a pandas Period,
``t`` = quarters since the first observation + 1, ``value``, optional offset columns), checks that
there are enough quarters on each side of an interruption, and fits segmented (interrupted
time-series) regressions under the specification choices used by the notebooks and the
specification curve (:mod:`rasso_research.sensitivity`):

* ``family``: ``"quasipoisson"`` (log link, offset, Pearson-scaled SEs), ``"ols_hac"`` (OLS on the
  rate with Newey-West SEs; intervals by the sieve bootstrap unless ``ci_method="wald"``, see
  :mod:`rasso_research.its.bootstrap`) or ``"arma"`` (log rate with AR(1) errors, SARIMAX);
* ``seasonality``: ``"none"``, ``"quarter"`` (dummies) or ``"fourier"`` (one annual harmonic);
* ``covid``: ``"indicator"`` (one dummy for the disrupted quarters), ``"exclude"`` or ``"none"``;
* ``phase_in``: quarters from the interruption dropped as a transition period;
* ``segments``: extra documented breaks (e.g. the early-2018 disclosure-failure drop).

The estimand reported everywhere is the relative change (%) at ``h`` quarters after the
interruption, fitted versus counterfactual (no interruption terms): ``h = 0`` is the level change.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from rasso_research import paths

NATIONAL = "England and Wales"
FAMILIES = ("quasipoisson", "ols_hac", "arma")
SEASONALITY = ("none", "quarter", "fourier")
COVID = ("indicator", "exclude", "none")
#: Early-2018 drop in police charges after the disclosure failures (R v Allan, December 2017).
ALLAN_QUARTER = "2018Q1"


# ---- panel and series ----------------------------------------------------------------------
def load_panel(path: str | Path | None = None) -> pd.DataFrame:
    """Read the processed panel (``data/processed/panel.parquet`` unless ``path``)."""
    path = Path(path) if path is not None else paths.DATA_PROCESSED / "panel.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `make data` first")
    df = pd.read_parquet(path)
    return df


def _q(x) -> pd.Period:
    """Anything quarter-like (``'2020Q3'``, ``'2020/21 Q2'``, Period, Timestamp) -> Period('Q')."""
    if isinstance(x, pd.Period):
        return x.asfreq("Q")
    s = str(x)
    if "/" in s:
        from rasso_research.periods import fiscal_to_calendar

        s = fiscal_to_calendar(s)
    return pd.Period(s, freq="Q")


def _pick_source(df: pd.DataFrame, source: str | None, what: str) -> pd.DataFrame:
    if "source" not in df.columns:
        return df
    if source is not None:
        out = df[df["source"] == source]
        if out.empty:
            raise ValueError(
                f"{what}: no rows from source {source!r}; have {sorted(df['source'].unique())}"
            )
        return out
    sources = df["source"].dropna().unique()
    if len(sources) > 1 and df.duplicated(["quarter"]).any():
        # Several sources cover the same quarters: keep the one covering most quarters.
        counts = (
            df.groupby("source")["quarter"].nunique().sort_values(ascending=False, kind="stable")
        )
        keep = counts.index[0]
        warnings.warn(
            f"{what}: several sources {sorted(sources)}; using {keep!r} (pass source= to choose)",
            stacklevel=3,
        )
        return df[df["source"] == keep]
    return df


def _raw(panel: pd.DataFrame, measure: str, force: str, source: str | None) -> pd.DataFrame:
    df = panel[(panel["measure"] == measure) & (panel["force"] == force)]
    if df.empty:
        raise ValueError(f"no data for measure {measure!r} and force {force!r}")
    df = df.assign(quarter=df["quarter"].map(_q))
    df = _pick_source(df, source, f"{measure} / {force}")
    sources = sorted(df["source"].dropna().unique()) if "source" in df.columns else []
    df = df.dropna(subset=["value"]).groupby("quarter", as_index=False)["value"].sum(min_count=1)
    df = df.sort_values("quarter").reset_index(drop=True)
    df.attrs["source"] = "; ".join(sources)
    return df


def series(
    panel: pd.DataFrame,
    measure: str,
    force: str = NATIONAL,
    source: str | None = None,
    start=None,
    end=None,
    offset: str | None = None,
    offset_fill: str = "none",
) -> pd.DataFrame:
    """One quarterly series: columns ``quarter`` (Period), ``t``, ``value`` (+ offset columns).

    ``offset`` names another measure of the same force (e.g. ``"population"`` or
    ``"recorded_rape"``); see :func:`with_offset`. ``start``/``end`` are inclusive quarters.
    """
    df = _raw(panel, measure, force, source)
    used = df.attrs.get("source", "")
    if start is not None:
        df = df[df["quarter"] >= _q(start)]
    if end is not None:
        df = df[df["quarter"] <= _q(end)]
    df = df.reset_index(drop=True)
    if df.empty:
        raise ValueError(f"{measure!r} / {force!r}: no quarters between {start} and {end}")
    df.attrs.update(measure=measure, force=force, source=used)
    if offset is not None:
        df = with_offset(df, panel, offset, force=force, fill=offset_fill)
    return _add_t(df)


def _add_t(df: pd.DataFrame) -> pd.DataFrame:
    q0 = df["quarter"].min()
    out = df.copy()
    out["t"] = [(q - q0).n + 1 for q in out["quarter"]]
    cols = ["quarter", "t", "value"] + [
        c for c in out.columns if c not in ("quarter", "t", "value")
    ]
    out = out[cols]
    out.attrs = dict(df.attrs)
    return out


def with_offset(
    s: pd.DataFrame,
    panel: pd.DataFrame,
    measure: str,
    force: str | None = None,
    source: str | None = None,
    fill: str = "none",
) -> pd.DataFrame:
    """Add ``offset`` (the denominator) and ``log_offset`` from measure ``measure``.

    ``fill="interpolate"`` fills quarters without the denominator by log-linear interpolation
    inside its range and the nearest value outside (carried forward after the last published
    value, back before the first; for slowly moving population). Filled rows are marked by the
    boolean column ``offset_filled`` and counted in ``attrs["offset_filled"]``;
    :func:`describe_offset_fill` says which quarters and how. Quarters still without an offset
    are dropped (``attrs["offset_dropped"]``).
    """
    force = force or s.attrs.get("force", NATIONAL)
    den = _raw(panel, measure, force, source).rename(columns={"value": "offset"})
    out = s.drop(columns=[c for c in ("offset", "log_offset", "offset_filled") if c in s.columns])
    out = out.merge(den, on="quarter", how="left")
    filled = 0
    missing = out["offset"].isna().to_numpy()
    if fill == "interpolate" and out["offset"].isna().any() and out["offset"].notna().any():
        allq = pd.period_range(
            min(out["quarter"].min(), den["quarter"].min()),
            max(out["quarter"].max(), den["quarter"].max()),
            freq="Q",
        )
        full = den.set_index("quarter")["offset"].reindex(allq)
        logv = np.log(full.astype(float)).interpolate(limit_area="inside").ffill().bfill()
        filled = int(out["offset"].isna().sum())
        out["offset"] = out["offset"].fillna(out["quarter"].map(np.exp(logv)))
    elif fill not in ("none", "interpolate"):
        raise ValueError(f"fill must be 'none' or 'interpolate', got {fill!r}")
    out["offset_filled"] = missing & out["offset"].notna().to_numpy()
    dropped = int(out["offset"].isna().sum())
    out = out.dropna(subset=["offset"])
    out = out[out["offset"] > 0].reset_index(drop=True)
    out["log_offset"] = np.log(out["offset"].astype(float))
    out.attrs = dict(s.attrs)
    have = den.dropna(subset=["offset"])["quarter"]
    out.attrs.update(
        offset_measure=measure,
        offset_filled=filled,
        offset_dropped=dropped,
        offset_first=str(have.min()) if len(have) else "",
        offset_last=str(have.max()) if len(have) else "",
    )
    return out


# ---- coverage and feasibility --------------------------------------------------------------
def coverage(panel: pd.DataFrame) -> pd.DataFrame:
    """Per measure (and source): number of forces, first/last quarter, quarters, rows."""
    df = panel.assign(quarter=panel["quarter"].map(_q))
    keys = ["measure", "source"] if "source" in df.columns else ["measure"]
    g = df.dropna(subset=["value"]).groupby(keys)
    out = pd.DataFrame(
        {
            "forces": g["force"].apply(
                lambda f: int((f != NATIONAL).any() and f[f != NATIONAL].nunique())
            ),
            "national": g["force"].apply(lambda f: bool((f == NATIONAL).any())),
            "first": g["quarter"].min().astype(str),
            "last": g["quarter"].max().astype(str),
            "quarters": g["quarter"].nunique(),
            "rows": g.size(),
        }
    )
    return out.reset_index()


def coverage_around(s: pd.DataFrame, interruption, exclude: Iterable = ()) -> tuple[int, int]:
    """Quarters with data before and from ``interruption`` on (``exclude``: quarters not counted)."""
    q0 = _q(interruption)
    excl = {_q(x) for x in exclude}
    q = s.loc[s["value"].notna(), "quarter"]
    q = q[~q.isin(excl)]
    return int((q < q0).sum()), int((q >= q0).sum())


@dataclass(frozen=True)
class Feasibility:
    """Result of :func:`check_its_feasible`; truthy when the model can be fitted."""

    ok: bool
    n_pre: int
    n_post: int
    message: str

    def __bool__(self) -> bool:
        return self.ok


def check_its_feasible(
    s: pd.DataFrame,
    interruption,
    min_pre: int = 8,
    min_post: int = 8,
    exclude: Iterable = (),
    label: str | None = None,
) -> Feasibility:
    """Are there at least ``min_pre`` quarters before and ``min_post`` from the interruption?"""
    n_pre, n_post = coverage_around(s, interruption, exclude)
    label = label or s.attrs.get("measure", "series")
    where = f"{label}, interruption {_q(interruption)}"
    if n_pre >= min_pre and n_post >= min_post:
        return Feasibility(
            True, n_pre, n_post, f"{where}: {n_pre} quarters before, {n_post} from it: OK"
        )
    short = []
    if n_pre < min_pre:
        short.append(f"{n_pre} quarters before (need {min_pre})")
    if n_post < min_post:
        short.append(f"{n_post} quarters from it (need {min_post})")
    return Feasibility(False, n_pre, n_post, f"{where}: too short for ITS: " + ", ".join(short))


# ---- segmented regression (adapter onto rasso_research.its) --------------------------------
@dataclass(frozen=True)
class ModelSpec:
    """One specification of a segmented regression (see the module docstring).

    Translated by :func:`to_its_spec` into a :class:`rasso_research.its.ITSSpec`.
    """

    interruption: str
    family: str = "quasipoisson"
    seasonality: str = "quarter"
    covid: str = "indicator"
    covid_quarters: tuple[str, ...] = ()
    phase_in: int = 0
    segments: tuple[str, ...] = ()
    hac_lags: str | int = "nw"
    ci_method: str = "auto"
    extra_interruptions: tuple[str, ...] = ()
    rate_scale: float = 1.0
    horizons: tuple[int, ...] = (0, 4, 8)
    min_pre: int = 3
    min_post: int = 3

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, got {self.family!r}")
        if self.seasonality not in SEASONALITY:
            raise ValueError(f"seasonality must be one of {SEASONALITY}, got {self.seasonality!r}")
        if self.covid not in COVID:
            raise ValueError(f"covid must be one of {COVID}, got {self.covid!r}")

    def shifted(self, k: int) -> ModelSpec:
        """The same spec with the interruption moved by ``k`` quarters."""
        return replace(self, interruption=str(_q(self.interruption) + k))


def hac_maxlags(n: int, rule: str | int = "nw") -> int:
    """HAC lag: ``"nw"`` = floor(4 (n/100)^(2/9)) (Newey-West 1994), ``"year"`` = 4, or an int."""
    if isinstance(rule, int | np.integer):
        return int(rule)
    if rule == "nw":
        return max(1, math.floor(4 * (n / 100) ** (2 / 9)))
    if rule == "year":
        return 4
    raise ValueError(f"unknown HAC lag rule {rule!r}")


MAIN = "main"


def its_data(s: pd.DataFrame, spec: ModelSpec) -> pd.DataFrame:
    """The frame handed to ``fit_its``: ``quarter`` (Period), ``value``, ``offset``, ``covid``."""
    d = s.dropna(subset=["value"]).copy()
    cq = {_q(c) for c in spec.covid_quarters}
    d["covid"] = d["quarter"].isin(cq).astype(float)
    return d.reset_index(drop=True)


def to_its_spec(s: pd.DataFrame, spec: ModelSpec):
    """Translate :class:`ModelSpec` choices into an ``ITSSpec`` for series ``s``."""
    from rasso_research.its import Interruption, ITSSpec

    has_off = "offset" in s.columns
    n = int(s["value"].notna().sum())
    family = {"quasipoisson": "quasipoisson", "ols_hac": "ols", "arma": "arima"}[spec.family]
    intr = [Interruption(f"segment_{seg}", str(_q(seg)), 0) for seg in spec.segments]
    intr += [
        Interruption(f"extra_{e}", str(_q(e)), spec.phase_in) for e in spec.extra_interruptions
    ]
    intr.append(Interruption(MAIN, str(_q(spec.interruption)), spec.phase_in))
    season = {"none": None, "quarter": "quarter", "fourier": ("fourier", 1, 4)}[spec.seasonality]
    lo, hi = s["quarter"].min(), s["quarter"].max()
    inside = [str(q) for q in sorted({_q(c) for c in spec.covid_quarters}) if lo <= q <= hi]
    if spec.covid == "indicator" and inside:
        disrupted = "covid"
    elif spec.covid == "exclude" and inside:
        disrupted = inside
    else:
        disrupted = None
    return ITSSpec(
        outcome="value",
        time="quarter",
        interruptions=tuple(intr),
        family=family,
        offset="offset" if has_off else None,
        season=season,
        disrupted=disrupted,
        hac_lags=None if spec.hac_lags == "nw" else hac_maxlags(n, spec.hac_lags),
        ci_method=spec.ci_method,
        freq="Q",
        rate_per=spec.rate_scale,
        min_pre=spec.min_pre,
        min_post=spec.min_post,
    )


@dataclass
class SegmentedFit:
    """A fitted ITS (``result`` is the ``ITSResult``) with tidy ``params``, ``effects`` (main
    interruption, relative change in %) and ``diagnostics``."""

    spec: ModelSpec
    params: pd.DataFrame
    effects: pd.DataFrame
    diagnostics: dict
    result: object = field(repr=False, default=None)


def fit_segmented(s: pd.DataFrame, spec: ModelSpec) -> SegmentedFit:
    """Fit ``spec`` to series ``s`` (from :func:`series`) with :func:`rasso_research.its.fit_its`."""
    from rasso_research.its import fit_its

    d = its_data(s, spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_its(d, to_its_spec(d, spec))
        params = res.params_table()
        eff = res.effects(horizons=spec.horizons)
        dg = res.diagnostics()
    eff = eff[eff["interruption"] == MAIN].copy()
    effects = pd.DataFrame(
        {
            "horizon": eff["horizon"].astype(int),
            "quarter": eff["period"],
            "effect_pct": 100 * eff["rel_diff"],
            "ci_low_pct": 100 * eff["rel_ci_low"],
            "ci_high_pct": 100 * eff["rel_ci_high"],
            "fitted": eff["fitted"],
            "counterfactual": eff["counterfactual"],
            "abs_diff": eff["abs_diff"],
            "abs_ci_low": eff["abs_ci_low"],
            "abs_ci_high": eff["abs_ci_high"],
        }
    ).reset_index(drop=True)
    fr = res.design.frame
    info = [i for i in res.design.interruptions if i.name == MAIN][0]
    infit = fr[fr["in_fit"]]
    prev = [i.start for i in res.design.interruptions if i.t0 < info.t0]
    lo = max(prev) if prev else infit["t"].min()
    diag = {
        "n": int(len(infit)),
        "k": len(res.names),
        "family": spec.family,
        "hac_lags": int(res.hac_lags),
        "ci_method": res.ci_method,
        "n_pre": int(((infit["t"] >= lo) & (infit["t"] < info.t0)).sum()),
        "n_post": int((infit["t"] >= info.start).sum()),
    }
    for _, r in dg.iterrows():
        diag[r["statistic"]] = float(r["value"])
        if np.isfinite(r["p_value"]):
            diag[f"{r['statistic']}_p"] = float(r["p_value"])
    return SegmentedFit(spec, params, effects, diag, res)


# ---- convenience for notebooks -------------------------------------------------------------
def tidy_fit(fit: SegmentedFit, **labels) -> dict[str, pd.DataFrame]:
    """``params``, ``effects`` and ``diagnostics`` frames of one fit, with label columns prepended."""
    lab = {"interruption": fit.spec.interruption, "family": fit.spec.family, **labels}
    out = {}
    for name, df in (
        ("params", fit.params),
        ("effects", fit.effects),
        ("diagnostics", pd.DataFrame([fit.diagnostics])),
    ):
        df = df.drop(columns=[k for k in lab if k in df.columns])
        for i, (k, v) in enumerate(lab.items()):
            df.insert(i, k, v)
        out[name] = df
    return out


def run_national_models(
    panel: pd.DataFrame,
    models: Sequence[dict],
    interruptions: dict[str, str],
    base: ModelSpec | None = None,
    min_pre: int = 8,
    min_post: int = 8,
) -> dict[str, pd.DataFrame]:
    """Fit every (series, interruption) pair that is feasible; one model per interruption.

    ``models``: dicts with ``label``, ``measure`` and optional ``offset``, ``offset_fill``,
    ``start``, ``end``, ``source``, ``force``, ``segments``, ``family``, ``rate_scale``.
    Returns tidy ``params``, ``effects``, ``diagnostics`` and ``feasibility`` frames, the fits by
    ``(label, interruption)`` (``fits``) and the series used by label (``series``, with the
    ``offset_filled`` column where an offset was filled).
    """
    base = base or ModelSpec(interruption="2020Q3")
    acc: dict[str, list] = {"params": [], "effects": [], "diagnostics": [], "feasibility": []}
    fits, used = {}, {}
    for m in models:
        s = series(
            panel,
            m["measure"],
            force=m.get("force", NATIONAL),
            source=m.get("source"),
            start=m.get("start"),
            end=m.get("end"),
            offset=m.get("offset"),
            offset_fill=m.get("offset_fill", "none"),
        )
        used[m["label"]] = s
        for iname, iq in interruptions.items():
            excl = base.covid_quarters if base.covid == "exclude" else ()
            feas = check_its_feasible(s, iq, min_pre, min_post, exclude=excl, label=m["label"])
            acc["feasibility"].append(
                {
                    "series": m["label"],
                    "interruption": iname,
                    "quarter": iq,
                    "n_pre": feas.n_pre,
                    "n_post": feas.n_post,
                    "feasible": feas.ok,
                    "message": feas.message,
                }
            )
            if not feas:
                continue
            spec = replace(
                base,
                interruption=iq,
                segments=tuple(m.get("segments", base.segments)),
                family=m.get("family", base.family),
                rate_scale=m.get("rate_scale", base.rate_scale),
            )
            fit = fit_segmented(s, spec)
            fits[(m["label"], iname)] = fit
            for k, v in tidy_fit(fit, series=m["label"], intervention=iname).items():
                acc[k].append(v)
    out = {
        k: (pd.concat(v, ignore_index=True) if v and k != "feasibility" else pd.DataFrame(v))
        for k, v in acc.items()
    }
    out["fits"] = fits
    out["series"] = used
    return out


def controls_frame(
    panel: pd.DataFrame,
    measure: str,
    treated: str,
    controls: Sequence[str] | None = None,
    start=None,
    end=None,
    source: str | None = None,
    balanced: bool = True,
) -> pd.DataFrame:
    """Long frame for a controlled ITS: ``quarter`` (Period), ``force``, ``value``, ``treated``.

    ``controls=None`` means every other force (never the national total) with data for the
    measure. With ``balanced`` only quarters where the treated force has data are kept and
    forces missing any of those quarters are dropped (the ITS library needs regular series);
    ``attrs["dropped_controls"]`` lists them.
    """
    df = panel[(panel["measure"] == measure) & (panel["force"] != NATIONAL)]
    df = df.dropna(subset=["value"])
    if source is not None and "source" in df.columns:
        df = df[df["source"] == source]
    df = df.assign(quarter=df["quarter"].map(_q))
    if treated not in set(df["force"]):
        raise ValueError(f"force {treated!r} has no data for {measure!r}")
    if controls is None:
        controls = sorted(set(df["force"]) - {treated})
    missing = sorted(set(controls) - set(df["force"]))
    if missing:
        raise ValueError(f"control force(s) without data for {measure!r}: {missing}")
    if start is not None:
        df = df[df["quarter"] >= _q(start)]
    if end is not None:
        df = df[df["quarter"] <= _q(end)]
    df = df[df["force"].isin([treated, *controls])]
    df = df.groupby(["force", "quarter"], as_index=False)["value"].sum()
    dropped: list[str] = []
    if balanced:
        tq = set(df.loc[df["force"] == treated, "quarter"])
        df = df[df["quarter"].isin(tq)]
        have = df.groupby("force")["quarter"].nunique()
        dropped = sorted(
            have.index[have < len(tq)].tolist() + sorted(set(controls) - set(have.index))
        )
        df = df[~df["force"].isin(dropped)]
    df = df.sort_values(["force", "quarter"]).reset_index(drop=True)
    df["treated"] = (df["force"] == treated).astype(int)
    df.attrs.update(
        measure=measure,
        force=treated,
        dropped_controls=dropped,
        controls=sorted(set(df["force"]) - {treated}),
    )
    return df


def controlled_spec(
    cf: pd.DataFrame,
    interruption,
    covid_quarters=(),
    seasonality="none",
    family: str = "ols",
    min_pre: int = 3,
    min_post: int = 2,
):
    """``ITSSpec`` of a controlled ITS (pooled OLS, panel HAC SEs) on a :func:`controls_frame`."""
    from rasso_research.its import Interruption, ITSSpec

    lo, hi = cf["quarter"].min(), cf["quarter"].max()
    inside = [str(q) for q in sorted({_q(c) for c in covid_quarters}) if lo <= q <= hi]
    return ITSSpec(
        outcome="value",
        time="quarter",
        interruptions=(Interruption(MAIN, str(_q(interruption))),),
        family=family,
        season={"none": None, "quarter": "quarter"}[seasonality],
        disrupted=inside or None,
        group="force",
        treated=cf.attrs.get("force"),
        freq="Q",
        min_pre=min_pre,
        min_post=min_post,
    )


def fit_controlled(cf: pd.DataFrame, interruption, **kw):
    """Fit the controlled ITS of :func:`controlled_spec`; returns the ``ITSResult``.

    The ``treated_level_main`` / ``treated_slope_main`` terms are the treated force's level and
    slope change relative to the controls.
    """
    from rasso_research.its import fit_its

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_its(cf, controlled_spec(cf, interruption, **kw))


def placebo_space(cf: pd.DataFrame, interruption, **kw):
    """Placebo in space: every control force in turn as the treated unit (``PlaceboResult``)."""
    from rasso_research.its import placebo_in_space

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return placebo_in_space(cf, controlled_spec(cf, interruption, **kw))


def placebo_dates(s: pd.DataFrame, spec: ModelSpec):
    """Placebo in time on the pre-period of ``s`` (every admissible fake date; ``PlaceboResult``)."""
    from rasso_research.its import placebo_in_time

    d = its_data(s, spec)
    sp = to_its_spec(d, spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return placebo_in_time(d, sp, term="level", interruption=len(sp.interruptions) - 1)


def slugify(text: str) -> str:
    """``'West Midlands 2018Q4'`` -> ``'west-midlands-2018q4'`` (for file names)."""
    import re

    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def round_sig(x, digits: int = 3):
    """Round to ``digits`` significant digits (NaN passes through); for checked notebook output."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return x
    x = float(x)
    if x == 0:
        return 0.0
    return float(f"{x:.{digits}g}")


def rounded(df: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Copy of ``df`` with every float column rounded to ``digits`` significant digits."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].map(lambda v: round_sig(v, digits))
    return out


# ---- tables for notebooks and figures --------------------------------------------------------
def counterfactual_table(fit: SegmentedFit, **labels) -> pd.DataFrame:
    """Per quarter: observed, fitted and counterfactual (main interruption removed) with CIs."""
    cf = fit.result.counterfactual(MAIN)
    keep = [
        "period",
        "observed",
        "in_fit",
        "segment",
        "fitted",
        "fitted_ci_low",
        "fitted_ci_high",
        "counterfactual",
        "counterfactual_ci_low",
        "counterfactual_ci_high",
    ]
    out = cf[[c for c in keep if c in cf.columns]].copy()
    out["period"] = out["period"].astype(str)
    main = [i for i in fit.result.design.interruptions if i.name == MAIN][0]
    post = cf["t"].to_numpy() >= main.t0
    for c in ("counterfactual", "counterfactual_ci_low", "counterfactual_ci_high"):
        out.loc[~post, c] = np.nan
    out["covid"] = out["period"].isin([str(_q(c)) for c in fit.spec.covid_quarters])
    for i, (k, v) in enumerate({"interruption": fit.spec.interruption, **labels}.items()):
        out.insert(i, k, v)
    return out.reset_index(drop=True)


def cps_table(
    cps: pd.DataFrame, measures=("charges", "prosecutions", "convictions")
) -> pd.DataFrame:
    """CPS rape-flagged national figures by financial year (wide; the ``series`` rows)."""
    d = cps[(cps["kind"] == "series") & (cps["period_type"] == "financial_year")]
    d = d[d["measure"].isin(measures)]
    return d.pivot_table(
        index="period", columns="measure", values="value", aggfunc="first"
    ).reset_index()


def cps_feasibility(
    cps: pd.DataFrame,
    interruption,
    measures=("charges", "prosecutions", "convictions"),
    min_pre: int = 8,
    min_post: int = 8,
) -> pd.DataFrame:
    """Can the CPS rape-flagged series support an ITS at ``interruption``?

    Financial-year rows count as one point per year (a year is 'post' if it ends after the
    interruption quarter); quarterly rows must form an unbroken run of quarters. One row per
    measure and period type with the counts and a plain-language verdict.
    """
    from rasso_research.periods import fiscal_to_calendar

    q0 = _q(interruption)
    d = cps[(cps["kind"] == "series") & cps["measure"].isin(measures)].dropna(subset=["value"])
    rows = []
    for (m, pt), g in d.groupby(["measure", "period_type"], sort=True):
        if pt not in ("financial_year", "quarter"):
            continue
        ends = g["period_end"].map(lambda x: _q(fiscal_to_calendar(x))).sort_values()
        if pt == "financial_year":
            n_pre, n_post = int((ends < q0).sum()), int((ends >= q0 + 3).sum())
            regular = True
        else:
            n_pre, n_post = int((ends < q0).sum()), int((ends >= q0).sum())
            steps = np.diff([p.ordinal for p in ends])
            regular = bool(len(steps) == 0 or (steps == 1).all())
        ok = regular and n_pre >= min_pre and n_post >= min_post
        unit = "years" if pt == "financial_year" else "quarters"
        why = (
            "OK"
            if ok
            else (
                ("gaps between quarters; " if not regular else "")
                + f"{n_pre} {unit} before and {n_post} after (need {min_pre} and {min_post})"
            )
        )
        rows.append(
            {
                "measure": m,
                "period_type": pt,
                "first": str(ends.iloc[0]),
                "last": str(ends.iloc[-1]),
                "n_pre": n_pre,
                "n_post": n_post,
                "regular": regular,
                "feasible": ok,
                "verdict": why,
            }
        )
    return pd.DataFrame(rows)


def cps_quarterly_series(cps: pd.DataFrame, measure: str) -> pd.DataFrame:
    """The quarterly CPS rows of ``measure`` as a model-ready series (for when they suffice)."""
    from rasso_research.periods import fiscal_to_calendar

    d = cps[
        (cps["kind"] == "series") & (cps["period_type"] == "quarter") & (cps["measure"] == measure)
    ]
    d = d.dropna(subset=["value"])
    out = pd.DataFrame(
        {
            "quarter": d["period_end"].map(lambda x: _q(fiscal_to_calendar(x))),
            "value": d["value"].astype(float),
        }
    ).sort_values("quarter")
    out.attrs.update(measure=f"cps_{measure}", force=NATIONAL)
    return _add_t(out.reset_index(drop=True))


# ---- generated result text (Markdown) for the notebooks ---------------------------------------
# Every sentence in a notebook that states a result comes from one of these functions, so the
# text follows the numbers when the data or the model change.
def fmt_num(x, digits: int = 3) -> str:
    """``x`` to ``digits`` significant digits with thousands separators; 'n/a' for NaN/None."""
    if x is None or not np.isfinite(float(x)):
        return "n/a"
    return format(round_sig(float(x), digits), ",g")


def fmt_pct(x, digits: int = 3) -> str:
    """Signed percentage: ``+9.93%``, ``-16%``, ``n/a``."""
    s = fmt_num(x, digits)
    return s if s == "n/a" else ("+" if float(x) > 0 else "") + s + "%"


def _ci_verdict(lo: float, hi: float) -> str:
    if lo > 0:
        return "above the counterfactual (95% CI excludes zero)"
    if hi < 0:
        return "below the counterfactual (95% CI excludes zero)"
    return "95% CI includes zero"


def describe_offset_fill(s: pd.DataFrame) -> str:
    """Markdown note on the offset quarters filled by :func:`with_offset` (``offset_filled``)."""
    measure = s.attrs.get("offset_measure", "offset")
    if "offset_filled" not in s.columns:
        return f"No `{measure}` offset on this series."
    q = s.loc[s["offset_filled"].astype(bool), "quarter"]
    dropped = int(s.attrs.get("offset_dropped", 0))
    tail = f" {dropped} quarter(s) without any `{measure}` value were dropped." if dropped else ""
    if q.empty:
        return f"Offset `{measure}`: published for every quarter of the series ({len(s)});" + (
            " none filled." + tail
        )
    first, last = s.attrs.get("offset_first", ""), s.attrs.get("offset_last", "")
    parts = []
    if last:
        after = q[q > _q(last)]
        if len(after):
            parts.append(
                f"{len(after)} after its last value ({last}): {_qrange(after)}, "
                f"carried forward (held at the {last} value)"
            )
    if first:
        before = q[q < _q(first)]
        if len(before):
            parts.append(
                f"{len(before)} before its first value ({first}): {_qrange(before)}, carried back"
            )
    inside = q[(q >= _q(first)) & (q <= _q(last))] if first and last else q
    if len(inside):
        parts.append(f"{len(inside)} inside its range: {_qrange(inside)}, log-linear interpolation")
    return (
        f"**Offset `{measure}` filled in {len(q)} of {len(s)} quarters** "
        f"(column `offset_filled`): " + "; ".join(parts) + "." + tail
    )


def _qrange(q: pd.Series) -> str:
    q = sorted(q)
    return str(q[0]) if len(q) == 1 else f"{q[0]}-{q[-1]}"


def describe_feasibility(
    feas: pd.DataFrame, min_pre: int, min_post: int, label: str | None = None
) -> str:
    """Markdown: which (series, interruption) pairs have enough quarters on each side.

    ``feas`` has ``n_pre``, ``n_post``, ``feasible``, a label column (``series`` or ``measure``)
    and optionally ``interruption`` (and ``period_type``, whose unit is used for annual rows).
    """
    if feas.empty:
        return "No series to check."
    label = label or ("series" if "series" in feas.columns else "measure")
    keys = [label] + (["period_type"] if "period_type" in feas.columns else [])

    def line(g: pd.DataFrame) -> str:
        unit = (
            "years" if "period_type" in g and g["period_type"].iloc[0] == "financial_year" else ""
        )
        name = " ".join(f"{g[k].iloc[0]}" for k in keys)
        bits = []
        for _, r in g.iterrows():
            at = f"{r['interruption']}: " if "interruption" in g else ""
            bits.append(f"{at}{int(r['n_pre'])} before / {int(r['n_post'])} from it")
        return f"- `{name}`" + (f" ({unit})" if unit else "") + ": " + "; ".join(bits)

    ok, bad = feas[feas["feasible"].astype(bool)], feas[~feas["feasible"].astype(bool)]
    need = f"at least {min_pre} quarters before and {min_post} from the interruption"
    out = []
    if len(bad) == 0:
        out.append(f"**All {len(feas)} series-interruption pairs can be modelled** ({need}):")
    elif len(ok) == 0:
        out.append(
            f"**None of the {len(feas)} series-interruption pairs can be modelled** ({need}):"
        )
    else:
        out.append(
            f"**{len(ok)} of {len(feas)} series-interruption pairs can be modelled** ({need})."
        )
    if len(ok):
        if len(bad):
            out.append("\nModelled:")
        out += [line(g) for _, g in ok.groupby(keys, sort=False)]
    if len(bad):
        if len(ok):
            out.append("\nToo short, reported but not modelled:")
        out += [line(g) for _, g in bad.groupby(keys, sort=False)]
    return "\n".join(out)


def describe_effects(effects: pd.DataFrame, horizons: Iterable[int] | None = None) -> str:
    """Markdown: each effect (% vs counterfactual, 95% CI) with its verdict, and a tally.

    ``effects`` has ``horizon``, ``effect_pct``, ``ci_low_pct``, ``ci_high_pct`` and optional
    label columns ``series``, ``intervention``.
    """
    d = effects if horizons is None else effects[effects["horizon"].isin(list(horizons))]
    if d.empty:
        return "No effect was estimated (no series had enough quarters on both sides)."
    labels = [c for c in ("series", "intervention") if c in d.columns]
    lines = []
    for _, r in d.iterrows():
        name = ", ".join(str(r[c]) for c in labels)
        lines.append(
            f"- {name}{', ' if name else ''}+{int(r['horizon'])} quarters: "
            f"{fmt_pct(r['effect_pct'])} (95% CI {fmt_pct(r['ci_low_pct'])} to "
            f"{fmt_pct(r['ci_high_pct'])}), {_ci_verdict(r['ci_low_pct'], r['ci_high_pct'])}"
        )
    up = int((d["ci_low_pct"] > 0).sum())
    down = int((d["ci_high_pct"] < 0).sum())
    head = (
        f"**{up + down} of {len(d)} estimates have a 95% CI excluding zero** "
        f"({up} above, {down} below the counterfactual)."
    )
    return head + "\n\n" + "\n".join(lines)


def describe_sensitivity(df: pd.DataFrame, by: str) -> str:
    """Markdown: how the effect moves with choice ``by`` (one row per choice and horizon).

    States the range, whether the sign or the CI verdict changes with the choice, and says the
    result should be read as descriptive when it does.
    """
    if df.empty:
        return f"No estimates to compare across `{by}`."
    d = df if "horizon" in df.columns else df.assign(horizon=0)
    out = []
    for h, g in d.groupby("horizon", sort=True):
        g = g.dropna(subset=["effect_pct"])
        lo, hi = g.loc[g["effect_pct"].idxmin()], g.loc[g["effect_pct"].idxmax()]
        verdicts = {_ci_verdict(r["ci_low_pct"], r["ci_high_pct"]) for _, r in g.iterrows()}
        signs = set(np.sign(g["effect_pct"]).astype(int)) - {0}
        if len(signs) > 1:
            v = "**the sign changes with this choice**"
        elif len(verdicts) > 1:
            v = "the sign is the same but **whether the CI excludes zero changes with this choice**"
        else:
            v = f"the sign and the CI verdict ({next(iter(verdicts))}) do not change"
        out.append(
            f"- +{int(h)} quarters: from {fmt_pct(lo['effect_pct'])} (`{by}` = {lo[by]}) to "
            f"{fmt_pct(hi['effect_pct'])} (`{by}` = {hi[by]}) over {len(g)} choices; {v}."
        )
    fragile = any("changes" in line for line in out)
    verdict = (
        f"**The estimate depends on `{by}`: read it as descriptive.**"
        if fragile
        else f"**The estimate does not depend on `{by}` in sign or CI verdict.**"
    )
    return verdict + "\n\n" + "\n".join(out)


def describe_diagnostics(diag: pd.DataFrame, alpha: float = 0.05) -> str:
    """Markdown: residual autocorrelation (Ljung-Box), how intervals were computed and the
    quasi-Poisson dispersion, summarised."""
    out = []
    if "ljung_box_p" in diag.columns:
        p = diag["ljung_box_p"].dropna()
        out.append(
            f"Ljung-Box p < {alpha} (residual autocorrelation left after the model) in "
            f"{int((p < alpha).sum())} of {len(p)} models."
        )
    if "ci_method" in diag.columns:
        m = diag["ci_method"].dropna()
        n_boot = int((m == "bootstrap").sum())
        if n_boot:
            out.append(
                f"Intervals and p-values of {n_boot} of {len(m)} models (OLS with Newey-West "
                "errors) are sieve-bootstrap percentile-t, because HAC Wald intervals "
                "under-cover in series this short; the others are Wald intervals."
            )
    if "dispersion" in diag.columns and diag["dispersion"].notna().any():
        d = diag["dispersion"].dropna()
        out.append(
            f"Quasi-Poisson dispersion ranges from {fmt_num(d.min())} to {fmt_num(d.max())} "
            f"({len(d)} count models; 1 would be Poisson); the Pearson-scaled standard errors "
            "are inflated by its square root."
        )
    return " ".join(out) or "No diagnostics available."


def describe_controlled(ctrl: pd.DataFrame, placebo: pd.DataFrame | None = None) -> str:
    """Markdown: controlled-ITS terms (estimate, 95% CI, p) and placebo permutation p-values.

    ``ctrl``: ``series``, ``term``, ``estimate``, ``ci_low``, ``ci_high``, ``p_value``;
    ``placebo``: ``series``, ``p_space``, ``n_space``, ``p_time``, ``n_time``.
    """
    if ctrl is None or ctrl.empty:
        return "No controlled model was fitted (no series had enough quarters on both sides)."
    names = {"treated_level_main": "level change", "treated_slope_main": "slope change per quarter"}
    lines = []
    for _, r in ctrl.iterrows():
        lines.append(
            f"- `{r['series']}`, {names.get(r['term'], r['term'])} relative to the controls: "
            f"{fmt_num(r['estimate'])} (95% CI {fmt_num(r['ci_low'])} to {fmt_num(r['ci_high'])}, "
            f"p = {fmt_num(r['p_value'])}), "
            + ("CI excludes zero" if r["ci_low"] > 0 or r["ci_high"] < 0 else "CI includes zero")
        )
    if placebo is not None:
        for _, r in placebo.iterrows():
            lines.append(
                f"- `{r['series']}`, permutation p-values for the level change: placebo in space "
                f"{fmt_num(r['p_space'])} ({int(r['n_space'])} control forces), placebo in time "
                f"{fmt_num(r['p_time'])} ({int(r['n_time'])} fake dates)"
                + (
                    "; fewer than 20 placebos: the smallest attainable p is above 0.05"
                    if min(r["n_space"], r["n_time"]) < 19
                    else ""
                )
            )
    return "\n".join(lines)


def describe_curve(summary: pd.DataFrame) -> str:
    """Markdown: the specification-curve summary (:func:`sensitivity.summarise_curve`) in words."""
    r = summary.iloc[0]
    neg, sig = float(r["share_negative"]), float(r["share_ci_excludes_0"])
    if neg >= 0.9 or neg <= 0.1:
        sign = f"the sign is stable ({fmt_num(100 * max(neg, 1 - neg))}% of estimates agree)"
    else:
        sign = f"the sign is not stable ({fmt_num(100 * neg)}% of estimates are negative)"
    if sig >= 0.9:
        ci = "the CI excludes zero in almost every specification"
    elif sig >= 0.5:
        ci = f"the CI excludes zero in {fmt_num(100 * sig)}% of specifications"
    else:
        ci = (
            f"the CI excludes zero in only {fmt_num(100 * sig)}% of specifications, so "
            "statistical significance does not survive the analyst's choices"
        )
    failed = int(r["specs"]) - int(r["fitted"])
    return (
        f"{int(r['fitted'])} of {int(r['specs'])} specifications fitted"
        + (f" ({failed} failed)" if failed else "")
        + f"; median {fmt_pct(r['median_pct'])}, range {fmt_pct(r['min_pct'])} to "
        f"{fmt_pct(r['max_pct'])}. **{sign[0].upper() + sign[1:]}; {ci}.**"
    )


def describe_revision(rev: pd.DataFrame, threshold: float = 5.0) -> str:
    """Markdown: national and per-force revision between two releases (``pct_difference``)."""
    ew = rev[rev["force"] == NATIONAL]
    f = rev[rev["force"] != NATIONAL]
    nat = (
        f"The national total was revised by {fmt_pct(ew['pct_difference'].iloc[0])}"
        if len(ew)
        else "The national total is not in the revision table"
    )
    if f.empty:
        return nat + "; there are no force rows."
    big = f[f["pct_difference"].abs() > threshold].sort_values("pct_difference")
    which = ", ".join(f"{r.force} {fmt_pct(r.pct_difference)}" for r in big.itertuples())
    worst = f.loc[f["pct_difference"].abs().idxmax()]
    return (
        f"{nat}; **{len(big)} of {len(f)} forces by more than {fmt_num(threshold)}% either way**"
        + (f" ({which})" if which else "")
        + f"; the largest force revision is {worst['force']} {fmt_pct(worst['pct_difference'])}."
    )


def describe_coverage(cov: pd.DataFrame, measures: Sequence[str]) -> str:
    """Markdown: per measure, forces, national total, first-last quarter and quarters covered
    (editions of one measure combined); a requested measure absent from the panel is listed."""
    lines = []
    for m in measures:
        g = cov[cov["measure"] == m]
        if g.empty:
            lines.append(f"- `{m}`: **not in the panel**")
            continue
        forces = int(g["forces"].max())
        nat = bool(g["national"].any())
        who = (f"{forces} forces" if forces else "no force rows") + (
            " and the national total" if nat else ""
        )
        ed = f" in {len(g)} editions" if len(g) > 1 else ""
        lines.append(
            f"- `{m}`: {who}, {g['first'].min()}-{g['last'].max()}, "
            f"{int(g['quarters'].sum())} quarters{ed}"
        )
    return "\n".join(lines)


def _year_mean(s: pd.DataFrame, year: int) -> float:
    v = s.loc[[q.year == year for q in s["quarter"]], "value"]
    return float(v.mean()) if len(v) == 4 else float("nan")


def describe_change(s: pd.DataFrame, label: str, year_a: int, year_b: int) -> str:
    """Markdown: mean per quarter in calendar years ``year_a`` and ``year_b`` (full years only),
    their ratio, and the lowest and highest quarters of series ``s``."""
    a, b = _year_mean(s, year_a), _year_mean(s, year_b)
    span = f"{s['quarter'].min()}-{s['quarter'].max()}"
    lo, hi = s.loc[s["value"].idxmin()], s.loc[s["value"].idxmax()]
    ext = (
        f"lowest {fmt_num(lo['value'])} ({lo['quarter']}), highest {fmt_num(hi['value'])} "
        f"({hi['quarter']})"
    )
    if np.isfinite(a) and np.isfinite(b):
        ch = (
            f"mean per quarter {fmt_num(a)} in {year_a} and {fmt_num(b)} in {year_b} "
            f"(x{fmt_num(b / a)})"
        )
    else:
        miss = [str(y) for y, v in ((year_a, a), (year_b, b)) if not np.isfinite(v)]
        ch = f"no full calendar year {' or '.join(miss)} in the series, so no {year_a}-{year_b} comparison"
    return f"- {label} ({span}): {ch}; {ext}."


def describe_force_changes(
    panel: pd.DataFrame, measure: str, year_a: int, year_b: int, label: str | None = None
) -> str:
    """Markdown: in how many forces the mean per quarter of ``measure`` rose from ``year_a`` to
    ``year_b`` (forces with both full calendar years only)."""
    d = panel[(panel["measure"] == measure) & (panel["force"] != NATIONAL)].dropna(subset=["value"])
    ratios = {}
    for f, g in d.groupby("force"):
        s = g.assign(quarter=g["quarter"].map(_q)).groupby("quarter", as_index=False)["value"].sum()
        a, b = _year_mean(s, year_a), _year_mean(s, year_b)
        if np.isfinite(a) and np.isfinite(b) and a > 0:
            ratios[f] = b / a
    label = label or f"`{measure}`"
    if not ratios:
        return f"{label}: no force has both full calendar years {year_a} and {year_b}."
    r = pd.Series(ratios)
    return (
        f"{label} rose from {year_a} to {year_b} in **{int((r > 1).sum())} of {len(r)} forces** "
        f"(median ratio x{fmt_num(r.median())}, range x{fmt_num(r.min())} to x{fmt_num(r.max())})."
    )


def describe_pretrend(cf: pd.DataFrame, label: str) -> str:
    """Markdown: the fitted pre-interruption segment of a counterfactual table, start to end
    (Covid-19 quarters, which carry their own indicator, are skipped)."""
    d = cf.reset_index(drop=True)
    if "covid" in d.columns:  # Covid-19 quarters carry their own indicator: not the trend line
        d = d[~d["covid"].astype(bool)].reset_index(drop=True)
    post = d["counterfactual"].notna()
    if not post.any() or post.all():
        return f"{label}: no pre- and post-interruption quarters to compare."
    first_post = int(np.flatnonzero(post.to_numpy())[0])
    last_pre = d.iloc[first_post - 1]
    seg = d[d["segment"] == last_pre["segment"]] if "segment" in d else d.iloc[:first_post]
    seg = seg[seg.index < first_post]
    a = seg.iloc[0]
    direction = (  # fitted values include the quarter-of-year terms
        "rose"
        if last_pre["fitted"] > a["fitted"]
        else "fell"
        if last_pre["fitted"] < a["fitted"]
        else "was flat"
    )
    return (
        f"{label}: the fitted pre-interruption line {direction} from {fmt_num(a['fitted'])} "
        f"({a['period']}) to {fmt_num(last_pre['fitted'])} ({last_pre['period']}); the "
        "counterfactual projects that line past the interruption."
    )
