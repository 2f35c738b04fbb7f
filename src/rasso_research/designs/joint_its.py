"""Several interventions in one interrupted time series: a level (and optionally a slope)
term for each, fitted jointly, with a check of whether the data can tell them apart.

The 2020-2021 reforms (RASSO 2025, the JNAP, the Rape Review) begin within four quarters of
each other and of the Covid-19 lockdowns, so fitting each alone credits it with whatever the
others did. ``fit_joint(series, specs, interventions)`` gives each series one model with a term
per intervention and returns a :class:`JointITS`:

* ``table()``: each intervention's own level (and slope) change, with its CI and, on log-link
  models, as % (``exp(b) - 1``);
* ``effects()``: the reforms together, fitted versus the counterfactual without any of them,
  at the horizons and at the last quarter;
* ``identifiability()``: per term, the variance inflation factor of its design column among
  the fitted rows, its largest estimate correlation with another intervention term and a
  verdict (:data:`VIF_MAX`, :data:`CORR_MAX`); a design that is rank-deficient is reported,
  not fitted;
* ``leave_one_out()``: the other terms refitted with each intervention left out, so a reader
  sees how much each estimate leans on the others being there.

Which interventions get a slope term is the ``slopes`` choice: ``"first"`` (a level change at
each and one slope change from the first: the reforms as a package that bends the trend),
``"each"`` (a slope at each; usually not identified when the dates are a quarter or two apart)
or ``"none"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rasso_research.constants import HORIZONS
from rasso_research.estimators.power import mde_pct
from rasso_research.its import Interruption, ITSSpec, build_design, design_matrix
from rasso_research.periods import quarter

from .base import DesignResult, for_series, labelled
from .national_its import EFFECT_COLUMNS, SeriesITS, fit_series

SLOPE_CHOICES = ("first", "each", "none")
#: A term is "separable" when the other interventions inflate its variance by less than
#: ``INFLATION_MAX`` (its standard error by less than half: 1.5 squared) and its estimate's
#: correlation with every other intervention's terms is below ``CORR_MAX`` in absolute value.
INFLATION_MAX = 2.25
CORR_MAX = 0.8


class NotIdentifiedError(ValueError):
    """The joint design is rank-deficient: some intervention terms cannot be estimated."""


def joint_spec(spec: ITSSpec, interventions: Mapping[str, str], slopes: str = "first") -> ITSSpec:
    """``spec`` with one interruption per intervention (name -> quarter), in date order, after
    the spec's own documented breaks (e.g. R v Allan)."""
    if slopes not in SLOPE_CHOICES:
        raise ValueError(f"slopes must be one of {SLOPE_CHOICES}, got {slopes!r}")
    if not interventions:
        raise ValueError("a joint model needs at least one intervention")
    ordered = sorted(interventions.items(), key=lambda kv: quarter(kv[1]))
    for (a, qa), (b, qb) in zip(ordered, ordered[1:], strict=False):
        if quarter(qa) == quarter(qb):
            raise ValueError(
                f"interventions {a!r} and {b!r} are both at {quarter(qa)}: no data can separate "
                "them; model them as one intervention"
            )
    dates = {quarter(q) for q in interventions.values()}
    clash = [
        i.name for i in spec.interruptions if i.name not in interventions and quarter(i.at) in dates
    ]
    if clash:
        raise ValueError(
            f"an intervention shares its quarter with the spec's interruption(s) {clash}: "
            "they cannot be separated"
        )
    new = tuple(
        Interruption(name, str(quarter(q)), 0, slopes == "each" or (slopes == "first" and k == 0))
        for k, (name, q) in enumerate(ordered)
    )
    keep = tuple(i for i in spec.interruptions if i.name not in interventions)
    # segments between close dates may hold a single quarter: whether the terms are
    # identified is for design_identifiability to say, not the library's floor
    return spec.replace(interruptions=keep + new, min_pre=1, min_post=1)


def _terms(design, names: Sequence[str]) -> list[tuple[str, str, str]]:
    """(intervention, kind, design term) for the interventions' level and slope terms."""
    out = []
    for info in design.interruptions:
        if info.name in names:
            out.append((info.name, "level", info.level))
            if info.slope is not None:
                out.append((info.name, "slope", info.slope))
    return out


def _inv_diag(X: np.ndarray) -> np.ndarray:
    return np.diag(np.linalg.pinv(X.T @ X))


def design_identifiability(s: pd.DataFrame, spec: ITSSpec, names: Sequence[str]) -> pd.DataFrame:
    """Before any fit, from the design's fitted rows: per intervention term, ``inflation``,
    the factor by which the other interventions' terms multiply its (OLS) variance (its
    variance in the joint design over that in the design without the other interventions:
    1 means they cost it nothing), the classical ``vif`` against every other column (trend and
    season included), and the design's rank. A term in an exact linear dependence has
    infinite values."""
    d = s.dropna(subset=["value"]).reset_index(drop=True)
    design = build_design(d, for_series(spec, d))
    fr = design.fit_frame()
    cols = ["Intercept", *design.terms]
    X = design_matrix(fr, cols)
    rank = int(np.linalg.matrix_rank(X))
    terms = _terms(design, names)
    null = np.linalg.svd(X)[2][rank:] if rank < X.shape[1] else np.zeros((0, X.shape[1]))
    in_dependence = (np.abs(null) > 1e-8).any(axis=0)
    full = _inv_diag(X)
    rows = []
    for name, kind, term in terms:
        j = cols.index(term)
        own = [c for c in cols if c not in {t for n, _, t in terms if n != name}]
        alone = _inv_diag(design_matrix(fr, own))[own.index(term)]
        others = np.delete(X, j, axis=1)
        beta, *_ = np.linalg.lstsq(others, X[:, j], rcond=None)
        resid = X[:, j] - others @ beta
        ss = float(((X[:, j] - X[:, j].mean()) ** 2).sum())
        dep = bool(in_dependence[j])
        rows.append(
            {
                "intervention": name,
                "kind": kind,
                "term": term,
                "quarter": next(i.label for i in design.interruptions if i.name == name),
                "inflation": np.inf if dep else float(full[j] / alone),
                "vif": np.inf if dep else ss / float(resid @ resid),
                "rank": rank,
                "n_columns": len(cols),
                "n_fitted": len(fr),
            }
        )
    return pd.DataFrame(rows)


def _verdict(inflation: float, corr: float) -> str:
    if not np.isfinite(inflation):
        return "not identified"
    if inflation >= INFLATION_MAX or (np.isfinite(corr) and abs(corr) >= CORR_MAX):
        return "not separable"
    return "separable"


@dataclass
class JointSeries:
    """One series' joint fit: the :class:`SeriesITS` (its focus is the first intervention, so
    its effects are the package's) and the intervention names in date order."""

    label: str
    fit: SeriesITS
    names: tuple[str, ...]
    slopes: str

    def terms(self, mde: bool = True) -> pd.DataFrame:
        """Each intervention's own level/slope coefficient with its CI, p-value, (log-link
        models) the % change ``exp(b) - 1`` and, with ``mde``, the minimum detectable value at
        80% power (:meth:`ITSResult.mde`; as %, the larger of a rise and a fall)."""
        res = self.fit.result
        t = res.params_table().set_index("term")
        log = res.is_log
        rows = []
        for name, kind, term in _terms(res.design, self.names):
            r = t.loc[term]
            pct = {
                f"{c}_pct": 100 * np.expm1(r[c]) if log else np.nan
                for c in ("estimate", "ci_low", "ci_high")
            }
            m = res.mde(term) if mde else np.nan
            rows.append(
                {
                    "intervention": name,
                    "kind": kind,
                    "term": term,
                    "estimate": r["estimate"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "p_value": r["p_value"],
                    **pct,
                    "mde": m,
                    "mde_pct": mde_pct(m, log),
                }
            )
        return pd.DataFrame(rows)

    def identifiability(self) -> pd.DataFrame:
        """:func:`design_identifiability` plus each term's largest |correlation| of estimates
        with another intervention's terms (from the fit's covariance) and the verdict."""
        res = self.fit.result
        ident = design_identifiability(self.fit.series, self.fit.spec, self.names)
        idx = [res.names.index(t) for t in ident["term"]]
        V = res.cov[np.ix_(idx, idx)]
        sd = np.sqrt(np.diag(V))
        C = np.abs(V / np.outer(sd, sd))
        owner = ident["intervention"].to_numpy()
        C[owner[:, None] == owner[None, :]] = np.nan  # a term's own intervention does not count
        best, partner = [], []
        for i in range(len(idx)):
            ok = np.isfinite(C[i])
            k = int(np.nanargmax(C[i])) if ok.any() else None
            best.append(C[i, k] if k is not None else np.nan)
            partner.append(ident["term"].iloc[k] if k is not None else "")
        ident["max_abs_corr"] = best
        ident["corr_with"] = partner
        ident["verdict"] = [
            _verdict(v, c) for v, c in zip(ident["inflation"], ident["max_abs_corr"], strict=True)
        ]
        return ident


@dataclass
class JointITS(DesignResult):
    """The joint fits of several series (one :class:`JointSeries` each), the designs that
    could not be fitted (rank-deficient: their identifiability rows) and the leave-one-out
    refits."""

    effect_columns = tuple(EFFECT_COLUMNS.values())
    table_methods = {
        "terms": "table",
        "effects": "effects",
        "identifiability": "identifiability",
        "leave_one_out": "leave_one_out",
        "counterfactual": "counterfactual",
    }

    fits: dict[str, JointSeries]
    interventions: dict[str, str]
    slopes: str
    not_identified: pd.DataFrame = field(default_factory=pd.DataFrame)
    loo: dict[tuple[str, str], SeriesITS] = field(default_factory=dict, repr=False)

    def _cat(self, frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
        parts = [labelled(f, {"series": k, "slopes": self.slopes}) for k, f in frames.items()]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def table(self) -> pd.DataFrame:
        return self._cat({k: f.terms() for k, f in self.fits.items()})

    def effects(self) -> pd.DataFrame:
        """The reforms together (all intervention terms removed in the counterfactual) at
        each horizon and at the last quarter (``end``)."""
        return self._cat({k: f.fit.effects() for k, f in self.fits.items()})

    def identifiability(self) -> pd.DataFrame:
        out = self._cat({k: f.identifiability() for k, f in self.fits.items()})
        if not self.not_identified.empty:
            out = pd.concat([out, self.not_identified], ignore_index=True)
        return out

    def counterfactual(self) -> pd.DataFrame:
        return self._cat({k: f.fit.counterfactual() for k, f in self.fits.items()})

    def leave_one_out(self) -> pd.DataFrame:
        """Per series and left-out intervention: every remaining intervention term, its
        estimate with the intervention left out against the joint estimate, and the shift in
        units of the joint standard error (``std_error``: under bootstrap intervals the
        bootstrap standard error, not the interval's half-width)."""
        rows = []
        for (label, dropped), fit in self.loo.items():
            full = self.fits[label]
            ft = full.fit.result.params_table().set_index("term")
            se = ft["std_error"]
            left = JointSeries(
                label, fit, tuple(n for n in full.names if n != dropped), self.slopes
            )
            # with one slope change from the first date, leaving that date out moves the slope
            # change to the next one, a term the joint model does not have: it is not compared
            for r in left.terms(mde=False).itertuples():
                if r.term not in ft.index:
                    continue
                rows.append(
                    {
                        "series": label,
                        "left_out": dropped,
                        "intervention": r.intervention,
                        "kind": r.kind,
                        "estimate_joint": ft.loc[r.term, "estimate"],
                        "estimate_left_out": r.estimate,
                        "ci_low": r.ci_low,
                        "ci_high": r.ci_high,
                        "shift_se": (r.estimate - ft.loc[r.term, "estimate"]) / se[r.term],
                    }
                )
        return pd.DataFrame(rows)


def fit_joint(
    series: Mapping[str, pd.DataFrame],
    specs: Mapping[str, ITSSpec] | ITSSpec,
    interventions: Mapping[str, str],
    slopes: str = "first",
    horizons: Sequence[int] = HORIZONS,
    leave_one_out: bool = True,
) -> JointITS:
    """One model per series with a term for each intervention (``name -> quarter``). A
    series whose joint design is rank-deficient is not fitted; its identifiability rows say
    which terms. ``leave_one_out`` refits each series without each intervention in turn."""
    first = min(interventions, key=lambda k: quarter(interventions[k]))
    fits, bad, loo = {}, [], {}
    for label, s in series.items():
        spec = specs if isinstance(specs, ITSSpec) else specs[label]
        sp = joint_spec(spec, interventions, slopes)
        ident = design_identifiability(s, sp, list(interventions))
        if (ident["rank"] < ident["n_columns"]).any():
            ident = ident.assign(max_abs_corr=np.nan, corr_with="")
            ident["verdict"] = [_verdict(v, np.nan) for v in ident["inflation"]]
            bad.append(labelled(ident, {"series": label, "slopes": slopes}))
            continue
        fit = fit_series(s, sp, horizons, first, True, series=label, intervention="reforms")
        fits[label] = JointSeries(
            label,
            fit,
            tuple(sorted(interventions, key=lambda k: quarter(interventions[k]))),
            slopes,
        )
        if leave_one_out and len(interventions) > 1:
            for name in interventions:
                rest = {k: v for k, v in interventions.items() if k != name}
                f2 = min(rest, key=lambda k: quarter(rest[k]))
                sp2 = joint_spec(spec, rest, slopes)
                loo[(label, name)] = fit_series(s, sp2, horizons, focus=f2, series=label)
    nid = pd.concat(bad, ignore_index=True) if bad else pd.DataFrame()
    return JointITS(fits, dict(interventions), slopes, nid, loo)


def compare_joint(results: Mapping[str, JointITS], intervention: str, by: str) -> pd.DataFrame:
    """One intervention's level change in several joint fits (``choice -> JointITS``, e.g. two
    dates for it): per series and choice, its quarter, estimate and CI (as % on log-link
    models) and the identifiability verdict; a series whose design was rank-deficient under a
    choice gets a row with that verdict and no estimate. For :func:`rasso_research.views.joint_its.describe_joint_choice`."""
    rows = []
    for choice, res in results.items():
        ident = res.identifiability()
        mine = ident[(ident["intervention"] == intervention) & (ident["kind"] == "level")]
        t = res.table()
        t = t[(t["intervention"] == intervention) & (t["kind"] == "level")] if len(t) else t
        est = t.set_index("series") if len(t) else pd.DataFrame()
        for r in mine.itertuples():
            row = {"series": r.series, by: choice, "quarter": r.quarter, "verdict": r.verdict}
            if r.series in est.index:
                e = est.loc[r.series]
                pct = np.isfinite(e["estimate_pct"])
                sfx = "_pct" if pct else ""
                row.update(
                    estimate=e[f"estimate{sfx}"],
                    ci_low=e[f"ci_low{sfx}"],
                    ci_high=e[f"ci_high{sfx}"],
                    unit="%" if pct else "model scale",
                )
            else:
                row.update(estimate=np.nan, ci_low=np.nan, ci_high=np.nan, unit="")
            rows.append(row)
    cols = ["series", by, "quarter", "estimate", "ci_low", "ci_high", "unit", "verdict"]
    return pd.DataFrame(rows, columns=cols)
