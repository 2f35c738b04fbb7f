"""Group-time average treatment effects for staggered adoption (Callaway & Sant'Anna 2021),
without covariates, on a units x periods matrix that may have gaps.

Without covariates each ATT(g,t) is a difference of mean changes: the change from the base
period to ``t`` among the units first treated at ``g`` less the same change among the
comparison units (never treated, or not yet treated by ``t``). That closed form is what R's
``did::att_gt(..., xformla = ~1)`` computes with any of its estimation methods; it is checked
against the package's published minimum-wage example (``config/validation.csv``) and against
two Python ports (``tests/estimators/test_staggered.py``).

Periods are positions ``0..T-1``; a unit's cohort ``G`` is the position of its first treated
period, ``inf`` for a unit not treated within the periods. A missing value is never filled:
a cell uses the units observed in both its periods (``n_dropped`` counts the others).
Each cell carries its influence function (one value per unit), so aggregations and the
multiplier bootstrap (clustered by unit, Mammen weights, as ``did``) follow from it; the
permutation of cohorts across units (randomization inference) refits the closed form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

CONTROLS = ("notyet", "never")
BASE_PERIODS = ("varying", "universal")
AGGREGATIONS = ("simple", "group", "dynamic")


class StaggeredInputError(ValueError):
    """Bad input to the staggered-adoption estimators (the message names it)."""


@dataclass
class Cells:
    """Every ATT(g,t) cell: ``table`` (one row per cell: g, t, e, base, att, counts, the
    reason a cell is not identified) and ``inf`` (units x cells influence functions,
    scaled so that ``att = mean over units``-style: var(att) = sum(inf**2) / N**2)."""

    table: pd.DataFrame
    inf: np.ndarray
    sizes: dict


def _controls(G: np.ndarray, g: float, t: int, base: int, control: str, delta: int):
    if control == "never":
        return ~np.isfinite(G)
    return (G > max(t, base) + delta) & (G != g)


def _cells(Y: np.ndarray, G: np.ndarray, control: str, anticipation: int, base_period: str):
    """Yield ``(g, t, base, pre, treated, comparison, seen)`` for every cell."""
    T = Y.shape[1]
    for g in sorted(float(x) for x in np.unique(G[np.isfinite(G)])):
        gi = int(g)
        treated = G == g
        for t in range(T):
            pre = t < gi - anticipation
            base = t - 1 if (pre and base_period == "varying") else gi - 1 - anticipation
            if base < 0 or base == t:
                continue
            seen = np.isfinite(Y[:, t]) & np.isfinite(Y[:, base])
            yield gi, t, base, pre, treated, _controls(G, g, t, base, control, anticipation), seen


def _check(control: str, base_period: str) -> None:
    if control not in CONTROLS:
        raise StaggeredInputError(f"control must be one of {CONTROLS}, got {control!r}")
    if base_period not in BASE_PERIODS:
        raise StaggeredInputError(f"base_period must be one of {BASE_PERIODS}")


def att_gt(
    Y: np.ndarray,
    G: np.ndarray,
    control: str = "notyet",
    anticipation: int = 0,
    base_period: str = "varying",
) -> Cells:
    """Every ATT(g,t) of the matrix ``Y`` (units x periods, NaN for a gap) with cohorts ``G``
    (period positions, ``inf`` never treated). Cells whose base period falls before the first
    period are not formed; a cell with no treated or no comparison unit observed in both
    periods has ``att`` NaN and its reason."""
    _check(control, base_period)
    Y = np.asarray(Y, float)
    G = np.asarray(G, float)
    N = Y.shape[0]
    rows, infs = [], []
    for g, t, base, pre, treated, ctrl, seen in _cells(Y, G, control, anticipation, base_period):
        tr, co = treated & seen, ctrl & seen
        row = {
            "g": g,
            "t": t,
            "e": t - g,
            "base": base,
            "post": not pre,
            "n_treated": int(tr.sum()),
            "n_control": int(co.sum()),
            "n_dropped": int(((treated | ctrl) & ~seen).sum()),
            "att": np.nan,
            "reason": "",
        }
        inf = np.zeros(N)
        if not tr.any() or not co.any():
            row["reason"] = "no treated unit" if not tr.any() else "no comparison unit"
        else:
            d = Y[:, t] - Y[:, base]
            mt, mc = d[tr].mean(), d[co].mean()
            row["att"] = mt - mc
            inf[tr] = N / tr.sum() * (d[tr] - mt)
            inf[co] = -N / co.sum() * (d[co] - mc)
        rows.append(row)
        infs.append(inf)
    table = pd.DataFrame(rows)
    inf = np.column_stack(infs) if infs else np.zeros((N, 0))
    sizes = {int(g): int((G == g).sum()) for g in np.unique(G[np.isfinite(G)])}
    return Cells(table, inf, sizes)


def fast_aggregates(
    Y: np.ndarray,
    G: np.ndarray,
    control: str = "notyet",
    anticipation: int = 0,
    base_period: str = "varying",
) -> dict:
    """The aggregated parameters of :func:`aggregate` (``group``, ``g<g>``, ``dynamic``,
    ``e<e>``, ``simple``) and the pre-trend statistic (``pretrend``: the sum of squared
    pre-period event-time effects), in numpy alone: the permutation loop's refit."""
    G = np.asarray(G, float)
    recs = []
    for g, t, _base, pre, treated, ctrl, seen in _cells(Y, G, control, anticipation, base_period):
        tr, co = treated & seen, ctrl & seen
        if tr.any() and co.any():
            d = Y[:, t] - Y[:, _base]
            recs.append((g, t - g, not pre, d[tr].mean() - d[co].mean(), treated.sum()))
    out: dict = {}
    if not recs:
        return out
    g, e, post, att, size = (np.array(x) for x in zip(*recs, strict=True))
    post = post.astype(bool)
    if post.any():
        out["simple"] = float(np.average(att[post], weights=size[post]))
        gs = sorted(set(g[post]))
        ge = np.array([att[post & (g == k)].mean() for k in gs])
        out.update({f"g{k}": v for k, v in zip(gs, ge, strict=True)})
        out["group"] = float(np.average(ge, weights=[size[g == k][0] for k in gs]))
    es = sorted(set(e))
    ee = {k: float(np.average(att[e == k], weights=size[e == k])) for k in es}
    out.update({f"e{k}": v for k, v in ee.items()})
    post_e = [v for k, v in ee.items() if k >= 0]
    if post_e:
        out["dynamic"] = float(np.mean(post_e))
    pre_e = [v for k, v in ee.items() if k < 0]
    out["pretrend"] = float(np.sum(np.square(pre_e))) if pre_e else np.nan
    return out


def cell_se(cells: Cells) -> np.ndarray:
    """Analytic standard error of each cell from its influence function."""
    N = cells.inf.shape[0]
    return np.sqrt((cells.inf**2).sum(axis=0)) / N


def weights(cells: Cells, kind: str, balance_e: int | None = None) -> pd.DataFrame:
    """Aggregation weights (``did::aggte``): one column per parameter (``overall`` and, for
    ``group``/``dynamic``, each cohort or event time), one row per cell; cells not
    identified weigh 0. ``simple``: post cells weighted by cohort size; ``group``: each
    cohort's post cells equally, the overall by cohort size; ``dynamic``: each event time's
    cells by cohort size, the overall the mean over e >= 0 (``balance_e``: only cohorts
    observed at that event time, and event times up to it)."""
    if kind not in AGGREGATIONS:
        raise StaggeredInputError(f"aggregation must be one of {AGGREGATIONS}, got {kind!r}")
    tab = cells.table
    ok = tab["att"].notna().to_numpy() if len(tab) else np.zeros(0, bool)
    size = tab["g"].map(cells.sizes).to_numpy(float) if len(tab) else np.zeros(0)
    post = tab["post"].to_numpy(bool) if len(tab) else np.zeros(0, bool)
    out = {}
    if kind == "simple":
        out["overall"] = _norm(size * (ok & post))
    elif kind == "group":
        cols = {}
        for g in sorted(tab["g"].unique()):
            cols[int(g)] = _norm((tab["g"] == g).to_numpy() & ok & post)
        have = [g for g, w in cols.items() if w.sum() > 0]
        gw = _norm(np.array([cells.sizes[g] for g in have], float))
        out["overall"] = sum(
            (w * cols[g] for g, w in zip(have, gw, strict=True)), np.zeros(len(tab))
        )
        out.update(cols)
    else:
        e = tab["e"].to_numpy()
        eligible = np.ones(len(tab), bool)
        if balance_e is not None:
            last = int(tab["t"].max())
            eligible &= (last - tab["g"].to_numpy() >= balance_e) & (e <= balance_e)
            eligible &= e >= balance_e - last
        keep = eligible & ok
        cols = {int(k): _norm(size * (keep & (e == k))) for k in sorted(np.unique(e[eligible]))}
        post_e = [k for k, w in cols.items() if k >= 0 and w.sum() > 0]
        overall = sum((cols[k] for k in post_e), np.zeros(len(tab)))
        out["overall"] = overall / len(post_e) if post_e else overall
        out.update(cols)
    return pd.DataFrame(out, index=tab.index if len(tab) else None)


def _norm(w) -> np.ndarray:
    w = np.asarray(w, float)
    s = w.sum()
    return w / s if s > 0 else w * 0


def aggregate(cells: Cells, kind: str, balance_e: int | None = None) -> pd.Series:
    """The aggregated parameters (index: ``overall`` then cohorts or event times); NaN where
    no identified cell contributes."""
    W = weights(cells, kind, balance_e)
    att = cells.table["att"].fillna(0).to_numpy()
    est = W.T.to_numpy() @ att
    est[W.sum(axis=0).to_numpy() == 0] = np.nan
    return pd.Series(est, index=W.columns)


def mammen(rng: np.random.Generator, shape) -> np.ndarray:
    """Mammen's two-point weights (mean 0, variance 1), as ``did``'s multiplier bootstrap."""
    s5 = np.sqrt(5)
    p = (s5 + 1) / (2 * s5)
    return np.where(rng.random(shape) < p, -(s5 - 1) / 2, (s5 + 1) / 2)


def bootstrap_se(inf: np.ndarray, reps: int = 999, seed: int = 0) -> np.ndarray:
    """Multiplier-bootstrap standard errors of the columns of influence functions ``inf``
    (units x parameters), clustered by unit: the draws' interquartile range over that of the
    standard normal (``did``'s robust scale). Weights of the aggregations are held fixed."""
    N = inf.shape[0]
    V = mammen(np.random.default_rng(seed), (reps, N))
    draws = V @ inf / N
    q75, q25 = np.nanquantile(draws, [0.75, 0.25], axis=0)
    return (q75 - q25) / (2 * 0.6744897501960817)


def permuted_cohorts(G: np.ndarray, reps: int, seed: int = 0) -> np.ndarray:
    """``reps`` random permutations of the cohorts across units (cohort sizes kept), one per
    row: the reference distribution of randomization inference on the adoption dates."""
    rng = np.random.default_rng(seed)
    G = np.asarray(G, float)
    return np.vstack([rng.permutation(G) for _ in range(reps)])
