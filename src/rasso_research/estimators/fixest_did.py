"""Regression estimators of staggered adoption, fitted with pyfixest (``feols`` with unit and
period fixed effects absorbed, cluster-robust CRV1 by unit):

* :func:`sun_abraham`: the interaction-weighted event study of Sun & Abraham (2021): one
  coefficient per cohort and relative period (the period before adoption the reference),
  the control cohort the never treated or, without them, the last-treated cohort (its
  periods from its adoption dropped); each relative period's effect is the average of the
  cohorts' coefficients weighted by their shares of the observations at that relative period;
* :func:`twfe`: the static two-way fixed-effects coefficient of a treated-from-adoption
  indicator, beside them for comparison (it uses already-treated units as controls).

The same matrix convention as :mod:`rasso_research.estimators.staggered`: ``Y`` units x
periods (NaN a gap), ``G`` each unit's first treated period position (``inf`` never).
Intervals use t(clusters - 1), pyfixest's reference for CRV1; with few treated clusters
they are too narrow, which is why the designs add randomization inference.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from scipy import stats


def _long(Y: np.ndarray, G: np.ndarray) -> pd.DataFrame:
    N, T = Y.shape
    unit, t = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
    df = pd.DataFrame({"unit": unit.ravel(), "t": t.ravel(), "y": Y.ravel(), "G": np.repeat(G, T)})
    return df[np.isfinite(df["y"])].reset_index(drop=True)


def _feols(fml: str, df: pd.DataFrame, vcov):
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    import pyfixest as pf  # imported on first use: pyfixest's import takes seconds

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pf.feols(fml, data=df, vcov=vcov)
    finally:
        # a module pyfixest imports lazily on its first fit configures the root logger
        # (font subsetting then logs every glyph when a figure is saved): put it back
        root.setLevel(level)
        root.handlers[:] = handlers


def _vcov(cluster: bool):
    return {"CRV1": "unit"} if cluster else "iid"


def sa_sample(Y: np.ndarray, G: np.ndarray) -> tuple[pd.DataFrame, float]:
    """The long frame Sun & Abraham's regression uses, and the control cohort (``inf`` for
    the never treated, else the last cohort, whose periods from its adoption are dropped)."""
    G = np.asarray(G, float)
    df = _long(np.asarray(Y, float), G)
    if np.isfinite(G).all():
        last = float(G.max())
        df = df[df["t"] < last].copy()
        df.loc[df["G"] == last, "G"] = np.inf
        return df.reset_index(drop=True), last
    return df, np.inf


def _sa_frame(Y: np.ndarray, G: np.ndarray) -> tuple[pd.DataFrame, list, list, float]:
    """Sun & Abraham's sample with one indicator column per treated cohort and relative
    period (-1 the reference): ``(frame, column names, (g, e) keys, control cohort)``."""
    df, control = sa_sample(Y, G)
    df["e"] = df["t"] - df["G"]
    treated = np.isfinite(df["G"])
    pairs = zip(df.loc[treated, "G"], df.loc[treated, "e"], strict=True)
    keys = sorted({(int(g), int(e)) for g, e in pairs if e != -1})
    if not keys:
        raise ValueError("no treated cohort observed beside the control cohort")
    names = [f"sa{i}" for i in range(len(keys))]
    for n, (g, e) in zip(names, keys, strict=True):
        df[n] = ((df["G"] == g) & (df["e"] == e)).astype(float)
    return df, names, keys, control


def _post_weights(keys: list, n_obs: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Weights of the overall effect: each relative period from 0 equally, within it the
    cohorts by their observations."""
    e = np.array([k[1] for k in keys])
    post = sorted({x for x, o in zip(e, ok, strict=True) if x >= 0 and o})
    W = np.zeros(len(keys))
    for x in post:
        m = (e == x) & ok
        W[m] = n_obs[m] / n_obs[m].sum() / len(post)
    return W


def sun_abraham(Y: np.ndarray, G: np.ndarray, cluster: bool = True) -> dict:
    """Cohort x relative-period coefficients (``cells``: g, e, estimate, se, n_obs), the
    interaction-weighted effect of each relative period (``event``), of each cohort over its
    periods from adoption (``cohort``) and overall (``overall``: the mean of the relative
    periods from 0), with CRV1 standard errors by the delta method (shares held fixed)."""
    df, names, keys, control = _sa_frame(Y, G)
    fit = _feols(f"y ~ {' + '.join(names)} | unit + t", df, _vcov(cluster))
    coef = fit.coef().reindex(names)
    V = fit.vcov.loc[names, names].to_numpy() if hasattr(fit.vcov, "loc") else np.asarray(fit._vcov)
    n_obs = [int(df[n].sum()) for n in names]
    cells = pd.DataFrame(keys, columns=["g", "e"]).assign(
        estimate=coef.to_numpy(), se=np.sqrt(np.diag(V)), n_obs=n_obs
    )
    ok = cells["estimate"].notna().to_numpy()
    dfree = max(int(df["unit"].nunique()) - 1, 1) if cluster else int(fit._N - fit._k)
    out = {"cells": cells, "V": V, "control": control, "df": dfree}
    out["n_clusters"] = int(df["unit"].nunique())

    def combo(mask: np.ndarray, w: np.ndarray | None = None):
        w = np.where(mask & ok, cells["n_obs"].to_numpy(float) if w is None else w, 0.0)
        if w.sum() == 0:
            return np.nan, np.nan
        w = w / w.sum()
        b = np.nan_to_num(cells["estimate"].to_numpy())
        return float(w @ b), float(np.sqrt(w @ np.nan_to_num(V) @ w))

    ev = [(e, *combo(cells["e"].to_numpy() == e)) for e in sorted(cells["e"].unique())]
    out["event"] = pd.DataFrame(ev, columns=["e", "estimate", "se"])
    W = _post_weights(keys, cells["n_obs"].to_numpy(float), ok)
    out["overall"] = combo(np.ones(len(cells), bool), W) if W.sum() > 0 else (np.nan, np.nan)
    coh = [
        (g, *combo((cells["g"].to_numpy() == g) & (cells["e"].to_numpy() >= 0)))
        for g in sorted(cells["g"].unique())
    ]
    out["cohort"] = pd.DataFrame(coh, columns=["g", "estimate", "se"])
    return out


def twfe(Y: np.ndarray, G: np.ndarray, cluster: bool = True) -> dict:
    """The static two-way fixed-effects coefficient of ``1{t >= G}``: estimate, se, df and
    the number of clusters (units)."""
    df = _long(np.asarray(Y, float), np.asarray(G, float))
    df["D"] = (df["t"] >= df["G"]).astype(float)
    if df["D"].nunique() < 2:
        raise ValueError("the treatment indicator does not vary: nothing to estimate")
    fit = _feols("y ~ D | unit + t", df, _vcov(cluster))
    n = int(df["unit"].nunique())
    return {
        "estimate": float(fit.coef()["D"]),
        "se": float(fit.se()["D"]),
        "df": max(n - 1, 1) if cluster else int(fit._N - fit._k),
        "n_clusters": n,
    }


def _fe_ols(df: pd.DataFrame, cols: list) -> np.ndarray:
    """OLS coefficients of ``cols`` with unit and period dummies (numpy least squares): the
    permutation loop's twin of the pyfixest fit (``tests/estimators`` compares them)."""
    U = pd.get_dummies(df["unit"]).to_numpy(float)
    P = pd.get_dummies(df["t"]).to_numpy(float)[:, 1:]
    X = np.column_stack([df[cols].to_numpy(float), U, P])
    beta = np.linalg.lstsq(X, df["y"].to_numpy(float), rcond=None)[0]
    return beta[: len(cols)]


def sa_overall_ols(Y: np.ndarray, G: np.ndarray) -> float:
    """Sun-Abraham's overall effect (as :func:`sun_abraham`) by numpy least squares."""
    df, names, keys, _ = _sa_frame(Y, G)
    b = _fe_ols(df, names)
    n_obs = df[names].sum().to_numpy(float)
    W = _post_weights(keys, n_obs, np.ones(len(keys), bool))
    return float(W @ b) if W.sum() > 0 else np.nan


def twfe_ols(Y: np.ndarray, G: np.ndarray) -> float:
    """The static TWFE coefficient (as :func:`twfe`) by numpy least squares."""
    df = _long(np.asarray(Y, float), np.asarray(G, float))
    df["D"] = (df["t"] >= df["G"]).astype(float)
    if df["D"].nunique() < 2:
        raise ValueError("the treatment indicator does not vary: nothing to estimate")
    return float(_fe_ols(df, ["D"])[0])


def t_interval(est: float, se: float, df: int, level: float = 0.95) -> tuple[float, float, float]:
    """(low, high, two-sided p) of ``est`` with standard error ``se`` on t(``df``)."""
    q = stats.t.ppf(0.5 + level / 2, df)
    p = float(2 * stats.t.sf(abs(est / se), df)) if se > 0 else np.nan
    return est - q * se, est + q * se, p
