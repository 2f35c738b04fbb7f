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
  the fitted rows, its largest estimate correlation with another intervention term, the
  fitted quarters that inform it apart from the neighbouring dates (``n_informative``) and a
  verdict (:data:`INFLATION_MAX`, :data:`CORR_MAX`, :data:`MIN_INFORMATIVE`); a design that
  is rank-deficient is reported, not fitted;
* ``leave_one_out()``: the other terms refitted with each intervention left out, so a reader
  sees how much each estimate leans on the others being there.

Which interventions get a slope term is the ``slopes`` choice: ``"first"`` (a level change at
each and one slope change from the first: the reforms as a package that bends the trend),
``"each"`` (a slope at each; usually not identified when the dates are a quarter or two apart)
or ``"none"``. ``leads=True`` adds, for each intervention, a level change one quarter before
its date (an interruption ``lead_<name>``, level only, reported as kind ``"lead"``): whether
the series moved before the date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rasso_research.constants import HORIZONS
from rasso_research.estimators.power import mde_pct
from rasso_research.its import Interruption, ITSSpec, build_design, design_matrix
from rasso_research.its.design import term_name
from rasso_research.periods import quarter

from .base import DesignResult, for_series, labelled
from .national_its import EFFECT_COLUMNS, SeriesITS, fit_series

SLOPE_CHOICES = ("first", "each", "none")
#: A term is "separable" when the other interventions inflate its variance by less than
#: ``INFLATION_MAX`` (its standard error by less than half: 1.5 squared) and its estimate's
#: correlation with every other intervention's terms is below ``CORR_MAX`` in absolute value.
INFLATION_MAX = 2.25
CORR_MAX = 0.8
#: ... and, whatever the variance inflation says, when it rests on at least
#: ``MIN_INFORMATIVE`` informative quarters (:func:`design_identifiability`): a level change
#: seen in one or two quarters between two dates is as much those quarters' noise as a change.
MIN_INFORMATIVE = 3
#: A lead is the one quarter before its date by construction: it needs that quarter.
MIN_INFORMATIVE_LEAD = 1
#: The name of an intervention's anticipation lead is this prefix and the intervention's name.
LEAD_PREFIX = "lead_"


class NotIdentifiedError(ValueError):
    """The joint design is rank-deficient: some intervention terms cannot be estimated."""


def joint_spec(
    spec: ITSSpec, interventions: Mapping[str, str], slopes: str = "first", leads: bool = False
) -> ITSSpec:
    """``spec`` with one interruption per intervention (name -> quarter), in date order, after
    the spec's own documented breaks (e.g. R v Allan); with ``leads``, then a level change one
    quarter before each date (``lead_<name>``, level only). A lead may fall on another date or
    on a quarter with its own indicator: :func:`design_identifiability` reports that design as
    not identified."""
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
    if leads:
        new += tuple(
            Interruption(lead_name(name), str(quarter(q) - 1), 0, False) for name, q in ordered
        )
    keep = tuple(i for i in spec.interruptions if i.name not in interventions)
    # segments between close dates may hold a single quarter: whether the terms are
    # identified is for design_identifiability to say, not the library's floor
    return spec.replace(interruptions=keep + new, min_pre=1, min_post=1)


def lead_name(name: str) -> str:
    """The interruption name of intervention ``name``'s anticipation lead."""
    return f"{LEAD_PREFIX}{name}"


@dataclass(frozen=True)
class Term:
    """One intervention term of a design: its intervention, kind ("level", "slope" or
    "lead"), design column, the interruption it belongs to (``owner``: a lead is its own) and
    that interruption's date on the time axis."""

    intervention: str
    kind: str
    term: str
    owner: str
    t0: int


def _terms(design, names: Sequence[str], twins: Mapping | None = None) -> list[Term]:
    """The interventions' level, slope and lead terms in date order; ``twins``: leads left out
    of the design (lead name -> (its t, the level column it duplicates))."""
    leads = {lead_name(n): n for n in names}
    twins = twins or {}
    out = []
    for info in design.interruptions:
        if info.name in names:
            out.append(Term(info.name, "level", info.level, info.name, info.t0))
            if info.slope is not None:
                out.append(Term(info.name, "slope", info.slope, info.name, info.t0))
        elif info.name in leads:
            out.append(Term(leads[info.name], "lead", info.level, info.name, info.t0))
    for lead, (t0, _) in twins.items():
        out.append(Term(leads[lead], "lead", f"level_{term_name(lead)}", lead, t0))
    return out


def _inv_diag(X: np.ndarray) -> np.ndarray:
    return np.diag(np.linalg.pinv(X.T @ X))


def _build(d: pd.DataFrame, spec: ITSSpec):
    """The design of ``spec`` on ``d``, its fitted rows and the column names. A lead at the
    quarter of another interruption, which the ITS library refuses (two steps at one quarter),
    is built as a copy of that interruption's level column, so the dependence shows as a lost
    rank; returns the design, the fitted frame, the columns and those leads (``twins``)."""
    taken = {quarter(i.at): i.name for i in spec.interruptions if not _is_lead(i.name)}
    twins_at = {
        i.name: taken[quarter(i.at)]
        for i in spec.interruptions
        if _is_lead(i.name) and quarter(i.at) in taken
    }
    keep = tuple(i for i in spec.interruptions if i.name not in twins_at)
    design = build_design(d, for_series(spec.replace(interruptions=keep), d))
    fr = design.fit_frame().copy()
    info = {i.name: i for i in design.interruptions}
    twins = {}
    for lead, other in twins_at.items():
        col = f"level_{term_name(lead)}"
        fr[col] = fr[info[other].level]
        twins[lead] = (info[other].t0, col)
    return design, fr, ["Intercept", *design.terms, *(c for _, c in twins.values())], twins


def _is_lead(name: str) -> bool:
    return name.startswith(LEAD_PREFIX)


def _informative(design, fr: pd.DataFrame, term: Term, twins) -> list[int]:
    """The fitted quarters (times) that inform ``term`` apart from the neighbouring dates,
    quarters with their own indicator (a disruption column that is non-zero on that fitted
    row alone) left out. A level change or lead: the quarters from its date to the next date
    of any interruption. A slope change: the quarters from its date to the next date with a
    slope change of its own (or the end), in the stretches that the later dates' level
    changes cut it into, less the first quarter of each stretch, since each stretch has its
    own level and only the steps within it inform the slope (one per quarter after its first).
    A lead at another interruption's date has none."""
    if term.owner in twins:
        return []
    t = fr["t"].to_numpy()
    own = [c for c in design.disrupted_terms if (fr[c].to_numpy() != 0).sum() == 1]
    ok = ~(fr[own].to_numpy() != 0).any(axis=1) if own else np.ones(len(fr), bool)
    dates = sorted({i.t0 for i in design.interruptions} | {t0 for t0, _ in twins.values()})
    later = [x for x in dates if x > term.t0]
    if term.kind != "slope":
        stop = later[0] if later else np.inf
        return [int(x) for x in t[ok & (t >= term.t0) & (t < stop)]]
    sloped = [i.t0 for i in design.interruptions if i.slope is not None and i.t0 > term.t0]
    stop = min(sloped) if sloped else np.inf
    cuts = [term.t0, *(x for x in later if x < stop), stop]
    out = []
    for lo, hi in zip(cuts, cuts[1:], strict=False):
        out += [int(x) for x in t[ok & (t >= lo) & (t < hi)]][1:]
    return out


def _runs(design, ts: Sequence[int]) -> str:
    """Times as runs of consecutive quarters: ``2020Q3``, ``2021Q3-2024Q2``."""
    runs: list[list[int]] = []
    for x in sorted(ts):
        if runs and x == runs[-1][-1] + 1:
            runs[-1].append(x)
        else:
            runs.append([x])
    lab = design.axis.label
    return ", ".join(lab(r[0]) + (f"-{lab(r[-1])}" if len(r) > 1 else "") for r in runs)


def design_identifiability(s: pd.DataFrame, spec: ITSSpec, names: Sequence[str]) -> pd.DataFrame:
    """Before any fit, from the design's fitted rows: per intervention term (level, slope and
    lead), ``inflation``, the factor by which the other interventions' terms (a lead counts as
    a date of its own) multiply its (OLS) variance (its variance in the joint design over that
    in the design without them: 1 means they cost it nothing), the classical ``vif`` against
    every other column (trend and season included), the design's rank, and
    ``n_informative``, the fitted quarters that inform it apart from the neighbouring dates
    (:func:`_informative`; for a slope, the steps within stretches) with
    ``informative_quarters``, those quarters. A term in an exact linear dependence has
    infinite values."""
    d = s.dropna(subset=["value"]).reset_index(drop=True)
    design, fr, cols, twins = _build(d, spec)
    X = design_matrix(fr, cols)
    rank = int(np.linalg.matrix_rank(X))
    terms = _terms(design, names, twins)
    null = np.linalg.svd(X)[2][rank:] if rank < X.shape[1] else np.zeros((0, X.shape[1]))
    in_dependence = (np.abs(null) > 1e-8).any(axis=0)
    full = _inv_diag(X)
    rows = []
    for tm in terms:
        j = cols.index(tm.term)
        own = [c for c in cols if c not in {o.term for o in terms if o.owner != tm.owner}]
        alone = _inv_diag(design_matrix(fr, own))[own.index(tm.term)]
        others = np.delete(X, j, axis=1)
        beta, *_ = np.linalg.lstsq(others, X[:, j], rcond=None)
        resid = X[:, j] - others @ beta
        ss = float(((X[:, j] - X[:, j].mean()) ** 2).sum())
        dep = bool(in_dependence[j])
        inform = _informative(design, fr, tm, twins)
        rows.append(
            {
                "intervention": tm.intervention,
                "kind": tm.kind,
                "term": tm.term,
                "quarter": design.axis.label(tm.t0),
                "inflation": np.inf if dep else float(full[j] / alone),
                "vif": np.inf if dep else ss / float(resid @ resid),
                "rank": rank,
                "n_columns": len(cols),
                "n_fitted": len(fr),
                "n_informative": len(inform),
                "informative_quarters": _runs(design, inform),
            }
        )
    return pd.DataFrame(rows)


def min_informative(kind: str) -> int:
    """The fewest informative quarters a term of ``kind`` must rest on to be separable."""
    return MIN_INFORMATIVE_LEAD if kind == "lead" else MIN_INFORMATIVE


def _verdict(inflation: float, corr: float, n_informative: float, kind: str) -> str:
    if not np.isfinite(inflation):
        return "not identified"
    if n_informative < min_informative(kind):
        return "not separable"
    if inflation >= INFLATION_MAX or (np.isfinite(corr) and abs(corr) >= CORR_MAX):
        return "not separable"
    return "separable"


def _verdicts(ident: pd.DataFrame) -> list[str]:
    cols = ["inflation", "max_abs_corr", "n_informative", "kind"]
    return [_verdict(*r) for r in ident[cols].itertuples(index=False)]


@dataclass
class JointSeries:
    """One series' joint fit: the :class:`SeriesITS` (its focus is the first intervention, so
    its effects are the package's) and the intervention names in date order."""

    label: str
    fit: SeriesITS
    names: tuple[str, ...]
    slopes: str

    def terms(self, mde: bool = True) -> pd.DataFrame:
        """Each intervention's own level/slope coefficient (and, with leads, its lead: kind
        ``"lead"``) with its CI, p-value, (log-link models) the % change ``exp(b) - 1`` and,
        with ``mde``, the minimum detectable value at 80% power (:meth:`ITSResult.mde`; as %,
        the larger of a rise and a fall)."""
        res = self.fit.result
        t = res.params_table().set_index("term")
        log = res.is_log
        rows = []
        for tm in _terms(res.design, self.names):
            r = t.loc[tm.term]
            pct = {
                f"{c}_pct": 100 * np.expm1(r[c]) if log else np.nan
                for c in ("estimate", "ci_low", "ci_high")
            }
            m = res.mde(tm.term) if mde else np.nan
            rows.append(
                {
                    "intervention": tm.intervention,
                    "kind": tm.kind,
                    "term": tm.term,
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
        # a term's own interruption does not count (a lead is a date of its own)
        lead = (ident["kind"] == "lead").to_numpy()
        owner = np.where(lead, LEAD_PREFIX + ident["intervention"], ident["intervention"])
        C[owner[:, None] == owner[None, :]] = np.nan
        best, partner = [], []
        for i in range(len(idx)):
            ok = np.isfinite(C[i])
            k = int(np.nanargmax(C[i])) if ok.any() else None
            best.append(C[i, k] if k is not None else np.nan)
            partner.append(ident["term"].iloc[k] if k is not None else "")
        ident["max_abs_corr"] = best
        ident["corr_with"] = partner
        ident["verdict"] = _verdicts(ident)
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
    leads: bool = False,
) -> JointITS:
    """One model per series with a term for each intervention (``name -> quarter``). A
    series whose joint design is rank-deficient is not fitted; its identifiability rows say
    which terms. ``leave_one_out`` refits each series without each intervention in turn (and
    its lead). ``leads`` adds each intervention's anticipation lead (:func:`joint_spec`),
    reported in ``table()`` as kind ``"lead"``; the package effect is still measured from
    the first date, so the first intervention's lead stays in its counterfactual."""
    first = min(interventions, key=lambda k: quarter(interventions[k]))
    fits, bad, loo = {}, [], {}
    for label, s in series.items():
        spec = specs if isinstance(specs, ITSSpec) else specs[label]
        sp = joint_spec(spec, interventions, slopes, leads)
        ident = design_identifiability(s, sp, list(interventions))
        if (ident["rank"] < ident["n_columns"]).any():
            ident = ident.assign(max_abs_corr=np.nan, corr_with="")
            ident["verdict"] = _verdicts(ident)
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
                sp2 = joint_spec(spec, rest, slopes, leads)
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
