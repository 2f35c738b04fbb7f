"""Staggered adoption: units that adopt a scheme at different times, compared with those that
have not adopted it yet.

* **Group-time effects** (Callaway & Sant'Anna 2021; :mod:`rasso_research.estimators.staggered`):
  ATT(g,t) for each cohort g (first treated period) and period t, against the units not yet
  treated by t (``control="notyet"``, the default; ``"never"`` the never treated), the base
  period g - 1 (pre-period cells: t - 1, ``base_period="varying"``), aggregated by cohort
  (``group``: the headline overall effect), by event time (``dynamic``) and over every post
  cell (``simple``). The last cohort has no not-yet-treated comparison from its adoption:
  it identifies nothing of its own and serves as a comparison before it.
* **Interaction-weighted event study** (Sun & Abraham 2021) and the **static two-way fixed
  effects** coefficient beside it (:mod:`rasso_research.estimators.fixest_did`, pyfixest).
* **Inference.** With a few dozen units and a handful treated per cohort, cluster-robust and
  multiplier-bootstrap errors rest on the treated clusters alone. The primary reference is
  randomization inference on the adoption dates: the cohorts are permuted across the units
  (cohort sizes kept) ``reps`` times and every aggregated parameter re-estimated; its p-value
  is the rank of the estimate (the estimate counted, so the smallest is 1/(reps + 1)), its
  standard error the permutation SD (95% CI estimate +- 1.96 SD, as the synthetic designs'
  placebo SE) and its minimum detectable effect (1.96 + 0.84) SD. The multiplier bootstrap
  (clustered by unit, Mammen weights, ``did``'s) and pyfixest's CRV1 intervals are shown
  beside it. The joint pre-trend check ranks the sum of squared pre-period event-time
  effects among the permutations'.

Missing values are never filled: each ATT(g,t) uses the units observed in its two periods
(the cells table counts the others), the regressions drop the missing unit-periods.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rasso_research.constants import Z_975
from rasso_research.estimators import fixest_did as FX
from rasso_research.estimators import staggered as E
from rasso_research.estimators.power import MDE_FACTOR
from rasso_research.estimators.staggered import StaggeredInputError
from rasso_research.its import ITSSpec

from .base import DesignResult

__all__ = ["StaggeredAdoption", "StaggeredInputError", "fit_staggered", "staggered_matrix"]

#: the estimators a fit reports (``estimators=``)
ESTIMATORS = ("cs", "sa", "twfe")
#: comparison groups: the not yet treated, the never treated
CONTROLS = ("notyet", "never")
ESTIMATOR_NAMES = {
    "cs": "Callaway-Sant'Anna",
    "sa": "Sun-Abraham",
    "twfe": "two-way fixed effects",
}


# ---- the matrix ---------------------------------------------------------------------------
@dataclass
class StaggeredMatrix:
    """Outcome matrix (units x periods, NaN a gap), each unit's cohort position (``inf``:
    not treated within the periods) and the cohort labels in the data's own terms."""

    Y: np.ndarray
    units: list[str]
    times: list
    G: np.ndarray
    cohort_of: dict


def _position(times: list, at) -> int:
    """Periods before ``at``, compared in the periods' own type (numbers, Periods, labels of
    one format such as '2021/22')."""
    try:
        if isinstance(times[0], pd.Period):
            key = pd.Period(str(at), freq=times[0].freq)
        elif isinstance(times[0], int | float | np.integer | np.floating):
            key = float(at)
        else:
            key = str(at)
            if len(key) != len(str(times[0])):
                raise ValueError(f"{at!r} is not written like the periods ({times[0]!r})")
        return sum(1 for t in times if t < key)
    except (TypeError, ValueError) as exc:
        raise StaggeredInputError(
            f"cohort period {at!r} cannot be compared with the periods {times[0]!r}..{times[-1]!r} ({exc})"
        ) from exc


def staggered_matrix(
    data: pd.DataFrame,
    spec: ITSSpec,
    cohorts: Mapping[str, object],
    window: tuple | None = None,
    exclude: Iterable[str] = (),
) -> StaggeredMatrix:
    """The matrix of ``spec.outcome`` by ``spec.group`` x ``spec.time`` (``window``: first and
    last period, inclusive) and each unit's cohort from ``cohorts`` (unit -> first treated
    period, ``None`` never treated). A unit without a cohort, a cohort of an unknown unit, a
    cohort at or before the first period and duplicated rows are refused by name."""
    unit, time, y = spec.group, spec.time, spec.outcome
    for c in (unit, time, y):
        if c not in data.columns:
            raise StaggeredInputError(f"column {c!r} not in the data ({list(data.columns)})")
    d = data[~data[unit].isin(set(exclude))]
    if window is not None:
        lo, hi = window
        d = d[
            (d[time] >= lo if lo is not None else True)
            & (d[time] <= hi if hi is not None else True)
        ]
    if d.empty:
        raise StaggeredInputError(f"window {window}: no rows of the data fall inside it")
    dup = d.duplicated([unit, time])
    if dup.any():
        raise StaggeredInputError(f"{int(dup.sum())} duplicated {unit} x {time} rows")
    units = sorted(d[unit].unique().tolist())
    known = set(data[unit].unique())
    stray = sorted(set(cohorts) - known)
    if stray:
        raise StaggeredInputError(f"cohorts name unit(s) not in the data: {stray}")
    missing = [u for u in units if u not in cohorts]
    if missing:
        raise StaggeredInputError(
            f"no cohort for {missing}: give each a first treated period (None: never treated) or exclude it"
        )
    wide = d.pivot(index=unit, columns=time, values=y).reindex(units)
    times = list(wide.columns)
    G = np.full(len(units), np.inf)
    for i, u in enumerate(units):
        at = cohorts[u]
        if at is None or (isinstance(at, float) and np.isnan(at)):
            continue
        pos = _position(times, at)
        if pos == 0:
            raise StaggeredInputError(
                f"{u}: cohort {at} is at or before the first period {times[0]}: no period before "
                "adoption to compare (widen the window or exclude the unit)"
            )
        G[i] = pos if pos < len(times) else np.inf
    return StaggeredMatrix(wide.to_numpy(float), units, times, G, {u: cohorts[u] for u in units})


# ---- the result ---------------------------------------------------------------------------
@dataclass
class StaggeredAdoption(DesignResult):
    """Callaway-Sant'Anna, Sun-Abraham and TWFE on one outcome (see the module docstring)."""

    effect_columns = (
        "estimator",
        "aggregation",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "perm_p",
        "mde",
    )
    table_methods = {
        "effects": "effects",
        "attgt": "table",
        "event": "event",
        "cohort": "cohort",
        "pretrend": "pretrend",
        "sample": "sample",
    }

    m: StaggeredMatrix
    spec: ITSSpec
    label: str
    options: dict
    cells: E.Cells
    perm: dict = field(default_factory=dict)
    boot_se: dict = field(default_factory=dict)
    sa: dict | None = None
    twfe: dict | None = None
    reg_perm: dict = field(default_factory=dict)

    def period(self, pos) -> str:
        """The label of period position ``pos``."""
        return str(self.m.times[int(pos)])

    def _agg(self, kind: str) -> pd.Series:
        return E.aggregate(self.cells, kind)

    def _perm_stats(self, key: str, est: float) -> dict:
        draws = np.asarray(self.perm.get(key, []), float)
        draws = draws[np.isfinite(draws)]
        if not len(draws) or not np.isfinite(est):
            return {
                "perm_sd": np.nan,
                "perm_p": np.nan,
                "perm_low": np.nan,
                "perm_high": np.nan,
                "n_perm": len(draws),
            }
        return {
            "perm_sd": float(draws.std(ddof=1)) if len(draws) > 1 else np.nan,
            "perm_p": float((1 + np.sum(np.abs(draws) >= abs(est) - 1e-12)) / (1 + len(draws))),
            "perm_low": float(np.quantile(draws, 0.025)),
            "perm_high": float(np.quantile(draws, 0.975)),
            "n_perm": len(draws),
        }

    def effects(self) -> pd.DataFrame:
        """The aggregated effects: Callaway-Sant'Anna by cohort (the headline), by event time
        and over every post cell; Sun-Abraham's mean over event times from 0; TWFE. ``se`` is
        the permutation SD (CI estimate +- 1.96 se), ``perm_p`` the randomization p-value,
        ``mde`` (1.96 + 0.84) se; the bootstrap (CS) or CRV1 (SA, TWFE) interval beside."""
        rows = []
        for kind in ("group", "dynamic", "simple"):
            est = float(self._agg(kind)["overall"])
            rows.append(self._row("cs", kind, est, self.boot_se.get(kind), "multiplier bootstrap"))
        if self.sa is not None:
            est, se = self.sa["overall"]
            rows.append(self._row("sa", "dynamic", est, se, "CRV1", self.sa["df"]))
        if self.twfe is not None:
            t = self.twfe
            rows.append(self._row("twfe", "static", t["estimate"], t["se"], "CRV1", t["df"]))
        return pd.DataFrame(rows)

    def _row(self, name, kind, est, alt_se, alt, df=None) -> dict:
        key = f"{name}_{kind}"
        ps = self._perm_stats(key, est)
        se = ps["perm_sd"]
        alt_se = np.nan if alt_se is None else float(alt_se)
        if df is None:
            alt_lo, alt_hi = est - Z_975 * alt_se, est + Z_975 * alt_se
        else:
            alt_lo, alt_hi, _ = FX.t_interval(est, alt_se, df)
        n = self.sizes()
        return {
            "series": self.label,
            "estimator": ESTIMATOR_NAMES[name],
            "aggregation": kind,
            "estimate": est,
            "se": se,
            "ci_low": est - Z_975 * se,
            "ci_high": est + Z_975 * se,
            "perm_p": ps["perm_p"],
            "mde": MDE_FACTOR * se,
            "n_perm": ps["n_perm"],
            "min_p": 1 / (ps["n_perm"] + 1) if ps["n_perm"] else np.nan,
            "alt_inference": alt,
            "alt_se": alt_se,
            "alt_ci_low": alt_lo,
            "alt_ci_high": alt_hi,
            **n,
        }

    def sizes(self) -> dict:
        """Units, cohorts and cells behind the Callaway-Sant'Anna estimates."""
        tab = self.cells.table
        post = tab[tab["post"] & tab["att"].notna()] if len(tab) else tab
        g_ok = sorted(post["g"].unique()) if len(post) else []
        return {
            "n_units": len(self.m.units),
            "n_cohorts": len(self.cells.sizes),
            "n_cohorts_identified": len(g_ok),
            "n_treated_identified": int(sum(self.cells.sizes[g] for g in g_ok)),
            "n_post_cells": len(post),
            "n_periods": len(self.m.times),
        }

    def table(self) -> pd.DataFrame:
        """Every ATT(g,t): cohort and period labels, event time, base period, estimate, its
        analytic SE, permutation p-value, counts and the reason a cell is not identified."""
        tab = self.cells.table.copy()
        if tab.empty:
            return tab
        tab["se"] = E.cell_se(self.cells)
        tab["se"] = tab["se"].where(tab["att"].notna())
        tab.insert(0, "series", self.label)
        for c in ("g", "t", "base"):
            tab[c] = [self.period(v) for v in tab[c]]
        tab = tab.rename(columns={"g": "cohort", "t": "period"})
        return tab

    def event(self) -> pd.DataFrame:
        """Effects by event time: Callaway-Sant'Anna (permutation band and p-value, bootstrap
        SE) and Sun-Abraham (CRV1 interval; reference period -1 is 0 by construction)."""
        rows = []
        dyn = self._agg("dynamic").drop("overall")
        boot = self.boot_se.get("dynamic_e", {})
        for e, est in dyn.items():
            ps = self._perm_stats(f"cs_e{e}", est)
            bse = boot.get(e, np.nan) if np.isfinite(est) else np.nan
            rows.append(
                {
                    "series": self.label,
                    "estimator": ESTIMATOR_NAMES["cs"],
                    "e": int(e),
                    "estimate": est,
                    "ci_low": ps["perm_low"],
                    "ci_high": ps["perm_high"],
                    "band": "permutation 95%",
                    "perm_p": ps["perm_p"],
                    "se": bse,
                }
            )
        if self.sa is not None:
            for r in self.sa["event"].itertuples():
                lo, hi, p = FX.t_interval(r.estimate, r.se, self.sa["df"])
                rows.append(
                    {
                        "series": self.label,
                        "estimator": ESTIMATOR_NAMES["sa"],
                        "e": int(r.e),
                        "estimate": r.estimate,
                        "ci_low": lo,
                        "ci_high": hi,
                        "band": "CRV1 95%",
                        "perm_p": np.nan,
                        "se": r.se,
                    }
                )
        return pd.DataFrame(rows)

    def cohort(self) -> pd.DataFrame:
        """Per cohort: its units, the Callaway-Sant'Anna effect over its identified post cells
        (permutation p-value), how many there are, and Sun-Abraham's cohort effect."""
        grp = self._agg("group").drop("overall")
        tab = self.cells.table
        sa = self.sa["cohort"].set_index("g") if self.sa is not None else None
        rows = []
        for g, est in grp.items():
            ps = self._perm_stats(f"cs_g{g}", est)
            units = [u for u, gg in zip(self.m.units, self.m.G, strict=True) if gg == g]
            cells = tab[(tab["g"] == g) & tab["post"]]
            rows.append(
                {
                    "series": self.label,
                    "cohort": self.period(g),
                    "n_units": len(units),
                    "units": "; ".join(units),
                    "post_cells": len(cells),
                    "identified": int(cells["att"].notna().sum()),
                    "estimate": est,
                    "perm_p": ps["perm_p"],
                    "sa_estimate": float(sa.loc[g, "estimate"])
                    if sa is not None and g in sa.index
                    else np.nan,
                }
            )
        return pd.DataFrame(rows)

    def pretrend(self) -> pd.DataFrame:
        """Joint pre-trend check: the sum of squared pre-period event-time effects (CS, each
        against its previous period), ranked among the permutations'; and Sun-Abraham's
        pre-period coefficients' Wald statistic (CRV1, F on (k, clusters - 1))."""
        dyn = self._agg("dynamic").drop("overall")
        pre = dyn[(dyn.index < 0) & dyn.notna()]
        stat = float((pre**2).sum()) if len(pre) else np.nan
        draws = np.asarray(self.perm.get("cs_pretrend", []), float)
        p = (
            float((1 + np.sum(draws >= stat - 1e-15)) / (1 + len(draws)))
            if len(pre) and len(draws)
            else np.nan
        )
        rows = [
            {
                "series": self.label,
                "estimator": ESTIMATOR_NAMES["cs"],
                "n_pre": len(pre),
                "statistic": stat,
                "p_value": p,
                "test": "permutation",
            }
        ]
        if self.sa is not None:
            rows.append(
                {"series": self.label, "estimator": ESTIMATOR_NAMES["sa"], **_sa_wald(self.sa)}
            )
        return pd.DataFrame(rows)

    def sample(self) -> pd.DataFrame:
        """Per unit: its cohort (label, or never within the periods), the periods it lacks."""
        rows = []
        for i, u in enumerate(self.m.units):
            gap = [
                str(t) for t, v in zip(self.m.times, self.m.Y[i], strict=True) if not np.isfinite(v)
            ]
            g = self.m.G[i]
            rows.append(
                {
                    "series": self.label,
                    "unit": u,
                    "cohort_given": str(self.m.cohort_of[u]),
                    "cohort": self.period(g) if np.isfinite(g) else "not treated in the periods",
                    "missing_periods": ", ".join(gap),
                }
            )
        return pd.DataFrame(rows)


def _sa_wald(sa: dict) -> dict:
    from scipy import stats

    cells = sa["cells"]
    pre = cells[(cells["e"] < -1) & cells["estimate"].notna()]
    if pre.empty:
        return {"n_pre": 0, "statistic": np.nan, "p_value": np.nan, "test": "Wald (CRV1)"}
    b = pre["estimate"].to_numpy()
    V = (
        np.diag(pre["se"].to_numpy() ** 2)
        if "V" not in sa
        else sa["V"][np.ix_(pre.index, pre.index)]
    )
    k = len(b)
    F = float(b @ np.linalg.pinv(V) @ b) / k
    return {
        "n_pre": k,
        "statistic": F,
        "p_value": float(stats.f.sf(F, k, sa["df"])),
        "test": "Wald (CRV1)",
    }


# ---- the fit ------------------------------------------------------------------------------
def _aggregates(cells: E.Cells) -> dict:
    """Every aggregated parameter of one set of cells, by key (``cs_group``, ``cs_g<g>``,
    ``cs_dynamic``, ``cs_e<e>``, ``cs_simple``, ``cs_pretrend``)."""
    out = {}
    grp = E.aggregate(cells, "group")
    out["cs_group"] = grp["overall"]
    out.update({f"cs_g{g}": v for g, v in grp.drop("overall").items()})
    dyn = E.aggregate(cells, "dynamic")
    out["cs_dynamic"] = dyn["overall"]
    out.update({f"cs_e{e}": v for e, v in dyn.drop("overall").items()})
    out["cs_simple"] = E.aggregate(cells, "simple")["overall"]
    pre = dyn.drop("overall")
    pre = pre[(pre.index < 0) & pre.notna()]
    out["cs_pretrend"] = float((pre**2).sum()) if len(pre) else np.nan
    return out


def _bootstrap(cells: E.Cells, reps: int, seed: int) -> dict:
    out = {}
    for kind in ("group", "dynamic", "simple"):
        W = E.weights(cells, kind)
        se = E.bootstrap_se(cells.inf @ W.to_numpy(), reps, seed)
        ses = dict(zip(W.columns, se, strict=True))
        out[kind] = ses["overall"]
        if kind == "dynamic":
            out["dynamic_e"] = {k: v for k, v in ses.items() if k != "overall"}
    return out


def _regressions(m: StaggeredMatrix, estimators, perms: np.ndarray) -> tuple:
    sa = tw = None
    reg_perm: dict = {"sa_dynamic": [], "twfe_static": []}
    if "sa" in estimators:
        try:
            sa = FX.sun_abraham(m.Y, m.G)
        except ValueError:
            sa = None  # e.g. no treated cohort beside the control cohort
    if "twfe" in estimators:
        try:
            tw = FX.twfe(m.Y, m.G)
        except ValueError:
            tw = None
    for Gp in perms:
        if sa is not None:
            try:
                reg_perm["sa_dynamic"].append(FX.sa_overall_ols(m.Y, Gp))
            except ValueError:
                reg_perm["sa_dynamic"].append(np.nan)
        if tw is not None:
            try:
                reg_perm["twfe_static"].append(FX.twfe_ols(m.Y, Gp))
            except ValueError:
                reg_perm["twfe_static"].append(np.nan)
    return sa, tw, reg_perm


def fit_staggered(
    data: pd.DataFrame,
    spec: ITSSpec,
    cohorts: Mapping[str, object],
    *,
    label: str = "",
    control: str = "notyet",
    anticipation: int = 0,
    base_period: str = "varying",
    window: tuple | None = None,
    exclude: Iterable[str] = (),
    estimators: Iterable[str] = ESTIMATORS,
    reps: int = 999,
    regression_reps: int = 199,
    boot_reps: int = 999,
    seed: int = 0,
) -> StaggeredAdoption:
    """Staggered adoption of ``spec.group`` units on ``spec.outcome`` by ``spec.time``;
    ``cohorts`` maps each unit to its first treated period in the time column's terms
    (``None``: never treated). ``reps`` permutations of the cohorts for the Callaway-Sant'Anna
    estimates, the first ``regression_reps`` of them refitting Sun-Abraham and TWFE."""
    estimators = tuple(estimators)
    bad = sorted(set(estimators) - set(ESTIMATORS))
    if bad:
        raise StaggeredInputError(f"estimators={bad}: choose from {ESTIMATORS}")
    m = staggered_matrix(data, spec, cohorts, window, exclude)
    cells = E.att_gt(m.Y, m.G, control, anticipation, base_period)
    tab = cells.table
    if tab.empty or not (tab["post"] & tab["att"].notna()).any():
        lo, hi = m.times[0], m.times[-1]
        raise StaggeredInputError(
            f"window {lo}..{hi}: no cohort has a {'not-yet-treated' if control == 'notyet' else 'never-treated'} "
            "comparison in any period from its adoption (every later unit is already treated); "
            "widen the window, add units adopting later, or change the cohorts"
        )
    options = {
        "control": control,
        "anticipation": anticipation,
        "base_period": base_period,
        "seed": seed,
    }
    perms = E.permuted_cohorts(m.G, reps, seed) if reps else np.zeros((0, len(m.G)))
    perm: dict = {}
    keys = _aggregates(cells).keys()
    for Gp in perms:
        fast = E.fast_aggregates(m.Y, Gp, control, anticipation, base_period)
        for k in keys:
            perm.setdefault(k, []).append(fast.get(k.removeprefix("cs_"), np.nan))
    sa, tw, reg_perm = _regressions(m, estimators, perms[:regression_reps])
    perm.update(reg_perm)
    boot = _bootstrap(cells, boot_reps, seed)
    res = StaggeredAdoption(m, spec, label, options, cells, perm, boot, sa, tw, reg_perm)
    return res
