"""The national answer's checks (notebook 02), each a fit of the national study
(:class:`rasso_research.studies.national.NationalStudy`) under one alternative:

* :func:`fit_comparison`: the comparison series, all-offence charges and the rape share of
  them (rape charges per 1,000 charges), in the joint model: a rise in rape charging that all
  charging shares is not a rape effect; :func:`fit_controlled_comparison`: the controlled ITS
  of rape charges against all-offence charges (log scale, Linden's pooled model);
* :func:`fit_denominator_lags`: the charge rates on the mean of the previous 0-8 quarters'
  recorded rape, with :func:`recorded_surge` (the 2021Q2 jump in recorded rape and the
  quarters whose denominator it enters);
* :func:`fit_covid_handling`: lockdown days as a covariate against the quarters as
  indicators;
* :func:`fit_persistence`: the joint model's first-date terms in first differences and as a
  local linear trend (:mod:`rasso_research.designs.structural`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from rasso_research.constants import FOCUS
from rasso_research.data import series as S
from rasso_research.designs import controlled_its, joint_its, structural
from rasso_research.designs.base import COVID_DAYS, INCOMPLETE, QUARTERLY, labelled
from rasso_research.periods import quarter
from rasso_research.studies.national import NationalStudy

ALL_CHARGES = "Charges, all offences (count)"
SHARE = "Rape charges per 1,000 charges (all offences)"
RAPE, ALL = "Rape charges", "All-offence charges"
LAGS = (0, 2, 4, 6, 8)
#: the persistence fits' columns kept beside their effects
FIT_COLUMNS = ("n", "n_fitted", "loglik", "aic", "converged")


def comparison_series(study: NationalStudy) -> tuple[dict, dict]:
    """The comparison series and their specs: all-offence charges (count, closure measure,
    England and Wales as published) and rape charges per 1,000 of them, from the rape charges'
    first quarter, with the rape charges' segments and the study's Covid-19 choice."""
    brk, start = study.breaks, study.charges_start
    series, specs = {}, {}
    series[ALL_CHARGES], specs[ALL_CHARGES] = study.read(
        "all_charged_in_quarter", study.base.replace(interruptions=brk), start=start
    )
    series[SHARE], specs[SHARE] = study.read(
        "rape_charged_in_quarter",
        study.base.replace(interruptions=brk, rate_per=1000),
        source=study.charges_source,
        offset="all_charged_in_quarter",
        start=start,
    )
    return series, specs


def fit_comparison(study: NationalStudy, slopes="first", horizons=(0, 4, 8)):
    """The joint model on the comparison series (:func:`comparison_series`)."""
    series, specs = comparison_series(study)
    return joint_its.fit_joint(
        series, specs, study.interruptions, slopes=slopes, horizons=horizons, leave_one_out=False
    )


def controlled_frame(study: NationalStudy) -> pd.DataFrame:
    """Rape charges (treated) and all-offence charges (control) stacked, in the quarters both
    have: ``quarter``, ``force`` (the unit), ``value``, ``treated``, and for each unit ``k`` its
    lockdown days (``covid_days_<k>``) and the mark of its quarters that lack a force
    (``lacks_force_<k>``), so each unit has its own coefficient of both (``attrs["covariates"]``)."""
    parts = []
    for unit, measure, src in (
        (RAPE, "rape_charged_in_quarter", study.charges_source),
        (ALL, "all_charged_in_quarter", None),
    ):
        s, _ = study.read(measure, QUARTERLY, covid="days", source=src, start=study.charges_start)
        parts.append(s.assign(force=unit))
    both = set(parts[0]["quarter"]) & set(parts[1]["quarter"])
    df = pd.concat([p[p["quarter"].isin(both)] for p in parts], ignore_index=True)
    df["treated"] = (df["force"] == RAPE).astype(int)
    covs = []
    for k, unit in enumerate((RAPE, ALL)):
        mine = (df["force"] == unit).astype(float)
        for col in (COVID_DAYS, INCOMPLETE):
            if col in df.columns and (df[col].fillna(0) * mine).any():
                df[f"{col}_{k}"] = df[col].fillna(0) * mine
                covs.append(f"{col}_{k}")
    df = df.drop(columns=[COVID_DAYS, INCOMPLETE], errors="ignore")
    df = df.sort_values(["force", "quarter"]).reset_index(drop=True)
    df.attrs.update(force=RAPE, measure="rape against all-offence charges", controls=[ALL])
    df.attrs["covariates"] = tuple(covs)
    return df


def fit_controlled_comparison(study: NationalStudy, slopes="first"):
    """The controlled ITS of rape charges against all-offence charges: log counts, pooled OLS
    with Newey-West errors within each unit (Linden's ``itsa``), every reform in one model
    (the first named ``main``: its treated terms are RASSO 2025's, its effects the package's
    relative to all charging), each unit its own lockdown-days coefficient."""
    cp = controlled_frame(study)
    dates = {FOCUS if name == study.first else name: q for name, q in study.interruptions.items()}
    spec = QUARTERLY.replace(
        family="ols_log",
        season="quarter",
        interruptions=study.breaks,
        covariates=cp.attrs["covariates"],
    )
    spec = joint_its.joint_spec(spec, dates, slopes)
    return controlled_its.fit_controlled(cp, spec, label="Rape vs all-offence charges (log)")


def _rate_reads(study: NationalStudy, keys: Sequence[str]):
    reads = study._reads()
    for key in keys:
        if study.has(key):
            label = study.label(key)
            yield key, label, reads[label]


def fit_denominator_lags(
    study: NationalStudy,
    lags: Sequence[int] = LAGS,
    keys: Sequence[str] = ("charge_rate", "charge_rate_adult"),
    slopes="first",
    horizons=(0, 4, 8),
) -> pd.DataFrame:
    """The joint model of each charge rate in ``keys`` on each denominator lag: every reform's
    terms and the package effect at ``horizons``, one row each (``lag``, ``kind``: level,
    slope or package)."""
    rows = []
    for key, label, (measure, kw) in _rate_reads(study, keys):
        for lag in lags:
            s, sp = study.read(measure, study._spec(label), **{**kw, "offset_lag": lag})
            j = joint_its.fit_joint(
                {label: s}, {label: sp}, study.interruptions, slopes, horizons, False
            )
            rows.append(_joint_rows(j, horizons).assign(key=key, lag=lag))
    return pd.concat(rows, ignore_index=True)


def _joint_rows(j, horizons) -> pd.DataFrame:
    """A joint fit's terms and package effects as rows of one frame (the % columns)."""
    if not j.fits:
        return pd.DataFrame()
    t = j.table().rename(columns={"estimate_pct": "effect_pct"}).assign(horizon=pd.NA)
    e = j.effects()
    e = e[e["horizon"].isin(horizons) & ~e.get("end", False)]
    e = e.assign(intervention="reforms", kind="package")
    cols = [
        "series",
        "intervention",
        "kind",
        "horizon",
        "effect_pct",
        "ci_low_pct",
        "ci_high_pct",
        "p_value",
    ]
    return pd.concat([t[cols], e[cols]], ignore_index=True)


def fit_covid_handling(
    study: NationalStudy,
    keys: Sequence[str] = ("charge_rate_adult", "charge_rate", "charges"),
    choices: Sequence[str] = ("days", "exclude", "indicator"),
    slopes="first",
    horizons=(0, 4, 8),
) -> pd.DataFrame:
    """The joint model of each series in ``keys`` under each Covid-19 choice: terms and
    package effects (``covid``)."""
    rows = []
    for key, label, (measure, kw) in _rate_reads(study, keys):
        for how in choices:
            s, sp = study.read(measure, study._spec(label), covid=how, **kw)
            j = joint_its.fit_joint(
                {label: s}, {label: sp}, study.interruptions, slopes, horizons, False
            )
            rows.append(_joint_rows(j, horizons).assign(key=key, covid=how))
    return pd.concat(rows, ignore_index=True)


def fit_persistence(
    study: NationalStudy, keys: Sequence[str] = ("charge_rate_adult", "charge_rate"), slopes="first"
) -> pd.DataFrame:
    """The joint model's first-date level and slope changes of each series in ``keys`` under
    the two persistence models (:data:`rasso_research.designs.structural.KINDS`), beside each
    other: one row per series, model and change."""
    out = []
    for key, label, _ in _rate_reads(study, keys):
        spec = joint_its.joint_spec(study.specs[label], study.interruptions, slopes)
        for kind in structural.KINDS:
            res = structural.fit_structural(
                {label: study.series[label]}, spec, kind=kind, focus=study.first
            )
            fit = res.fit_table()[["series", *FIT_COLUMNS]]
            out.append(labelled(res.effects(), {"key": key}).assign(model=kind).merge(fit))
    return pd.concat(out, ignore_index=True)


def recorded_surge(panel: pd.DataFrame, at: str, measure: str = "recorded_rape"):
    """The quarter-on-quarter change in national ``measure`` at ``at``: a dict with the two
    values, the % change and how many earlier quarters had a larger rise."""
    s = S.series(panel, measure).set_index("quarter")["value"]
    q = quarter(at)
    ch = s.pct_change() * 100
    before = ch[ch.index < q]
    return {
        "quarter": str(q),
        "before": float(s[q - 1]),
        "value": float(s[q]),
        "pct": float(ch[q]),
        "larger_before": int((before > ch[q]).sum()),
        "first": str(s.index.min()),
    }


def review_ambition(
    panel: pd.DataFrame,
    measure: str = "rape_charged_in_quarter_adult",
    target: str = "2016/17",
    base: str = "2018/19",
    source: str | None = None,
) -> dict | None:
    """The Rape Review's ambition (adult rape cases reaching court back to their 2016 level)
    as a % rise in national ``measure`` from financial year ``base`` (the last complete year
    before the reforms: 2019/20 lacks Greater Manchester) to ``target``; ``None`` when the
    panel lacks a quarter of either year."""
    if measure not in set(panel["measure"]):
        return None
    s = S.series(panel, measure, source=source).set_index("quarter")["value"]
    totals = {}
    for fy in (target, base):
        q0 = quarter(f"{fy[:4]}Q2")
        qs = [q0 + k for k in range(4)]
        if not all(q in s.index for q in qs):
            return None
        totals[fy] = float(s[qs].sum())
    return {
        "what": f"adult rape charges back from {totals[base]:,.0f} ({base}) to "
        f"{totals[target]:,.0f} ({target})",
        "pct": 100 * (totals[target] / totals[base] - 1),
    }
