"""Robustness checks: specification comparison, placebo tests, alternative dates."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .design import build_design, restrict_disrupted
from .fitting import fit_its
from .results import ITSResult
from .spec import Interruption, ITSSpec


def _effect_rows(res: ITSResult, label: str) -> pd.DataFrame:
    tab = res.params_table()
    tab = tab[tab["term"].isin(res.effect_terms())].copy()
    tab.insert(0, "spec", label)
    tab["family"] = res.spec.family
    tab["n"] = int(res.design.fit_frame().shape[0])
    if res.spec.family == "quasipoisson":
        tab["aic"] = tab["bic"] = np.nan
    else:
        tab["aic"], tab["bic"] = res.information("aic"), res.information("bic")
    return tab


def compare_specs(data: pd.DataFrame, specs) -> pd.DataFrame:
    """Fit each spec (a dict label -> ITSSpec, or a list) and stack the interruption terms
    (estimate, CI, p-value, rate ratio where defined) with n and AIC/BIC, one row per term.
    AIC/BIC compare only models of the same outcome scale and data (not ols vs ols_log)."""
    items = (
        specs.items() if isinstance(specs, dict) else ((f"spec{i}", s) for i, s in enumerate(specs))
    )
    return pd.concat([_effect_rows(fit_its(data, s), str(k)) for k, s in items], ignore_index=True)


@dataclass
class PlaceboResult:
    """Placebo estimates, the real estimate and a two-sided permutation-style p-value
    ((1 + #{|placebo| >= |real|}) / (1 + n_placebos))."""

    table: pd.DataFrame
    observed: float
    p_value: float


#: Interval methods compared side by side: label -> ITSSpec fields (the default first).
INFERENCE_METHODS = {
    "AR errors, bootstrap (default)": {"cov_type": "AR", "ci_method": "bootstrap"},
    "AR errors, t": {"cov_type": "AR", "ci_method": "wald"},
    "Newey-West": {"cov_type": "HAC", "ci_method": "wald"},
}


def compare_inference(data: pd.DataFrame, spec: ITSSpec, methods=None) -> pd.DataFrame:
    """The level and slope changes of ``spec`` under each interval method (default
    :data:`INFERENCE_METHODS`; counts also get their model-based errors): one row per method
    and term with estimate, standard error, CI, p-value, the critical value the interval
    uses (CI half-width / standard error) and the AR order where errors are modelled."""
    methods = dict(methods or INFERENCE_METHODS)
    if methods is INFERENCE_METHODS or methods == INFERENCE_METHODS:
        if spec.family in ("poisson", "quasipoisson", "negbin"):
            methods["model-based (published)"] = {"cov_type": "nonrobust", "ci_method": "wald"}
    rows = []
    for label, kw in methods.items():
        res = fit_its(data, spec.replace(**kw))
        tab = res.params_table()
        tab = tab[tab["term"].isin(res.effect_terms())].copy()
        tab["critical_value"] = (tab["ci_high"] - tab["estimate"]) / tab["std_error"]
        tab.insert(0, "method", label)
        tab["cov_type"] = res.cov_type
        tab["ar_order"] = res.ar_order if res.ar_order is not None else np.nan
        rows.append(tab)
    return pd.concat(rows, ignore_index=True)


#: bands of the largest AR root of the bootstrap series' refits (:func:`bootstrap_persistence`)
ROOT_BANDS = (0.0, 0.5, 0.8, 0.9, 1.0)


def bootstrap_persistence(result: ITSResult, bands=ROOT_BANDS) -> pd.DataFrame:
    """Where the percentile-t critical values come from: the bootstrap series grouped by how
    persistent their own REML refit found the errors (largest AR root, in ``bands``), with the
    replicates in each band and the 95% quantile of |t*| there for each level and slope
    change, then all series together (``band == "all"``: the critical value the interval uses).
    ``data_root`` is the data's own fitted root, from which every series was simulated. A band
    with fewer than 20 series has no quantile. Needs the AR-errors bootstrap."""
    boot = result.bootstrap
    if boot is None or boot.roots is None:
        raise ValueError("bootstrap_persistence needs the AR-errors bootstrap (cov_type='AR')")
    names = result.all_names
    alpha = result.spec.alpha
    data_root = result.results.ar_fit.max_root()
    rows = []
    for term in result.effect_terms():
        g = np.zeros(len(names))
        g[names.index(term)] = 1.0
        t = boot.t_stats(g)[0]
        cuts = list(zip(bands[:-1], bands[1:], strict=True))
        for j, (lo, hi) in enumerate(cuts):
            last = j == len(cuts) - 1
            inside = (boot.roots >= lo) & ((boot.roots <= hi) if last else (boot.roots < hi))
            n = int(inside.sum())
            q = np.quantile(t[inside], 1 - alpha, method="higher") if n >= 20 else np.nan
            rows.append((term, f"{lo:g}-{hi:g}", n, float(q)))
        crit = float(boot.critical_values(g[None], alpha)[0])
        rows.append((term, "all", len(t), crit))
    out = pd.DataFrame(rows, columns=["term", "band", "replicates", "critical_value"])
    out["data_root"] = data_root
    return out


def _p_value(placebos: np.ndarray, observed: float) -> float:
    placebos = placebos[np.isfinite(placebos)]
    return float((1 + np.sum(np.abs(placebos) >= abs(observed))) / (1 + len(placebos)))


def placebo_in_time(
    data: pd.DataFrame, spec: ITSSpec, term: str = "level", interruption: int = 0
) -> PlaceboResult:
    """Fit the model to the segment before the chosen interruption (index in date order),
    with a fake interruption at every admissible date (``min_pre`` points before, ``min_post`` after),
    and compare the fake level (or slope) changes with the real one."""
    real = fit_its(data, spec)
    infos = real.design.interruptions
    info = infos[interruption]
    fr = real.design.frame
    lo = infos[interruption - 1].start if interruption else int(fr["t"].min())
    pre_idx = fr.index[(fr["t"] >= lo) & (fr["t"] < info.t0)]
    pre = data.loc[pre_idx]
    slope = info.slope is not None
    if term == "slope" and not slope:
        raise ValueError("The interruption has no slope term")
    rows = []
    for t0 in range(lo + spec.min_pre, info.t0 - spec.min_post + 1):
        fake = Interruption("placebo", real.design.axis.period(t0), 0, slope)
        s = replace(spec, interruptions=[fake], disrupted=restrict_disrupted(spec, pre))
        try:
            r = fit_its(pre, s)
        except ValueError:
            continue
        tab = r.params_table().set_index("term")
        name = (
            r.design.interruptions[0].level if term == "level" else r.design.interruptions[0].slope
        )
        rows.append({"t": t0, "period": r.design.axis.label(t0), **tab.loc[name].to_dict()})
    table = pd.DataFrame(rows)
    name = info.effect_level if term == "level" else info.effect_slope
    observed = float(real.params_table().set_index("term").loc[name, "estimate"])
    pv = _p_value(table["estimate"].to_numpy(), observed) if len(table) else float("nan")
    return PlaceboResult(table, observed, pv)


def placebo_in_space(
    panel: pd.DataFrame, spec: ITSSpec, treated=None, controls=None
) -> PlaceboResult:
    """Controlled ITS with each control in turn as the treated unit (real treated unit
    excluded), giving a permutation p-value for the differential level change at the first
    interruption. p lies in [1/(1 + n_controls), 1]."""
    if spec.group is None:
        raise ValueError("placebo_in_space needs a controlled spec (group and treated)")
    treated = spec.treated if treated is None else treated
    units = pd.unique(panel[spec.group])
    controls = [u for u in units if u != treated] if controls is None else list(controls)
    if len(controls) < 2:
        raise ValueError(f"placebo_in_space needs at least 2 controls; got {len(controls)}")
    sub = panel[panel[spec.group].isin([treated, *controls])]
    real = fit_its(sub, replace(spec, treated=treated))
    name = real.design.interruptions[0].effect_level
    observed = float(real.params_table().set_index("term").loc[name, "estimate"])
    rows = []
    placebo_panel = sub[sub[spec.group] != treated]
    for c in controls:
        r = fit_its(placebo_panel, replace(spec, treated=c))
        tab = r.params_table().set_index("term")
        rows.append({"unit": c, **tab.loc[name].to_dict()})
    table = pd.DataFrame(rows)
    return PlaceboResult(table, observed, _p_value(table["estimate"].to_numpy(), observed))


def leave_out_disrupted(data: pd.DataFrame, spec: ITSSpec) -> pd.DataFrame:
    """Compare the model with disruption indicators against the same model with the
    disrupted periods dropped from the data (which breaks the regular time axis, so the
    dropped rows are instead given zero weight via their own indicators) and without any
    disruption handling."""
    if spec.disrupted is None:
        raise ValueError("spec.disrupted is not set")
    design = build_design(data, spec)
    flagged = design.frame[design.disrupted_terms].sum(axis=1) > 0
    each = [design.axis.label(t) for t in design.frame.loc[flagged, "t"].unique()]
    if design.axis.kind == "int":
        each = [int(x) for x in each]
    specs = {
        "with_indicators": spec,
        "excluded_periods": replace(spec, disrupted=each),
        "ignored": replace(spec, disrupted=None),
    }
    return compare_specs(data, specs)


def alternative_dates(
    data: pd.DataFrame, spec: ITSSpec, shifts=(-2, -1, 1, 2), interruption: int = 0
) -> pd.DataFrame:
    """Refit with the chosen interruption moved by each shift (in periods); shift 0 is the
    main model; ``interruption`` indexes interruptions in date order. Specs that are inadmissible (too few points) are skipped."""
    design = build_design(data, spec)
    info = design.interruptions[interruption]
    out = []
    for k in sorted({0, *shifts}):
        intrs = list(spec.interruptions)
        pos = next(i for i, x in enumerate(intrs) if x.name == info.name)
        old = intrs[pos]
        new_at = design.axis.period(info.t0 + int(k))
        intrs[pos] = Interruption(old.name, new_at, old.phase_in, old.slope)
        try:
            res = fit_its(data, replace(spec, interruptions=intrs))
        except ValueError:
            continue
        rows = _effect_rows(res, f"shift{k:+d}")
        rows["shift"] = int(k)
        rows["at"] = design.axis.label(info.t0 + int(k))
        out.append(rows)
    return pd.concat(out, ignore_index=True)
