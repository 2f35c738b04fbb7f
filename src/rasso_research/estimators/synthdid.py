"""Synthetic difference-in-differences (SDID), synthetic control (SC) and
difference-in-differences (DID) for one treated block of a balanced outcome matrix
(Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021, AER 111(12):4088-4118, Algorithm 1).

The weights follow the R package ``synthdid`` (``synthdid_estimate``, ``sc_estimate``,
``did_estimate``): Frank-Wolfe with exact line search on the collapsed panel, unit weights
ridge-penalised by ``zeta = (N1 T1)^(1/4) sigma`` for SDID and ``1e-6 sigma`` for SC (no
intercept, no time weights), with ``sigma`` the sd of the donors' pre-period first
differences, and a second round from the sparsified first solution. Inference for one
treated unit: synthdid's placebo standard error (their Algorithm 4), every donor once
(:func:`enumerated_se`), and placebo in space with the RMSPE ratio (Abadie, Diamond &
Hainmueller 2010; :func:`placebo_p`). The matrix has the donors in its first ``N0`` rows and
the pre-period in its first ``T0`` columns; the design that builds it is
:mod:`rasso_research.designs.synthetic`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rasso_research.constants import SYNTHETIC_METHODS

#: the methods, in the order they are reported
METHODS = tuple(SYNTHETIC_METHODS)


class SyntheticInputError(ValueError):
    """The panel or the spec cannot support the design (named in the message)."""


# ---- the estimator (synthdid's solver, batched over problems of one shape) ------------------
def _fw_batch(
    Y: np.ndarray,
    zeta: np.ndarray,
    intercept: bool,
    start: np.ndarray | None,
    min_decrease: np.ndarray,
    max_iter: int,
) -> np.ndarray:
    """Simplex weights on the first columns of each ``Y[b]`` reproducing its last column:
    synthdid's ``sc.weight.fw`` (Frank-Wolfe, exact line search, ridge ``zeta``), for a batch
    of problems; each stops by its own rule, so a batch of one is the R code. The iterations
    run compiled (:func:`_fw_loop`): thousands of steps on a 40 x 40 problem are all overhead
    in numpy."""
    B, n, k1 = Y.shape
    k = k1 - 1
    x = np.full((B, k), 1.0 / k) if start is None else np.array(start, float, copy=True)
    if intercept:
        Y = Y - Y.mean(axis=1, keepdims=True)
    A, b = Y[:, :, :k], Y[:, :, k]
    G = np.ascontiguousarray(np.einsum("bni,bnj->bij", A, A))
    c = np.einsum("bni,bn->bi", A, b)
    bb = np.einsum("bn,bn->b", b, b)
    z2 = np.asarray(zeta, float) ** 2 * np.ones(B)
    tol = (np.asarray(min_decrease, float) * np.ones(B)) ** 2
    _fw_compiled()(G, c, bb, z2, tol, x, n, int(max_iter))
    return x


@functools.cache
def _fw_compiled():
    """:func:`_fw_loop` compiled by numba (imported here, so that importing the package does
    not pay for it; the compiled code is cached on disk)."""
    import numba

    return numba.njit(cache=True)(_fw_loop)


def _fw_loop(G, c, bb, z2, tol, x, n, max_iter):
    """The Frank-Wolfe iterations of :func:`_fw_batch` for each problem, updating ``x``."""
    B, k = x.shape
    gx = np.empty(k)
    hg = np.empty(k)
    for p in range(B):
        eta = n * z2[p]
        for j in range(k):
            gx[j] = G[p, j, :] @ x[p]
        prev = np.inf
        for t in range(max_iter):
            for j in range(k):
                hg[j] = gx[j] - c[p, j] + eta * x[p, j]
            i = np.argmin(hg)
            xi = x[p, i]
            xx = x[p] @ x[p]
            num = hg[i] - hg @ x[p]
            den = G[p, i, i] - 2 * gx[i] + x[p] @ gx + eta * (1 - 2 * xi + xx)
            step = 0.0
            if xi < 1.0 and den > 0:
                step = min(max(-num / den, 0.0), 1.0)
            for j in range(k):
                x[p, j] *= 1 - step
                gx[j] = gx[j] * (1 - step) + step * G[p, j, i]
            x[p, i] += step
            err2 = x[p] @ gx - 2 * (c[p] @ x[p]) + bb[p]
            val = z2[p] * (x[p] @ x[p]) + err2 / n
            if t >= 1 and prev - val <= tol[p]:
                break
            prev = val


def _sparsify(v: np.ndarray) -> np.ndarray:
    """synthdid's sparsify: weights at most a quarter of the largest set to 0 (each row)."""
    v = np.where(v <= v.max(axis=-1, keepdims=True) / 4, 0.0, v)
    return v / v.sum(axis=-1, keepdims=True)


def _collapsed(Y: np.ndarray, N0: int, T0: int) -> np.ndarray:
    """synthdid's collapsed form of each ``Y[b]``: donors x (pre periods, post mean), then
    the treated mean."""
    top = np.concatenate([Y[:, :N0, :T0], Y[:, :N0, T0:].mean(axis=2, keepdims=True)], axis=2)
    bottom = np.concatenate(
        [Y[:, N0:, :T0].mean(axis=1), Y[:, N0:, T0:].mean(axis=(1, 2))[:, None]], axis=1
    )
    return np.concatenate([top, bottom[:, None, :]], axis=1)


@dataclass
class Weights:
    omega: np.ndarray  # donors
    lam: np.ndarray  # pre-periods


def _noise_level(Y: np.ndarray, N0: int, T0: int) -> np.ndarray:
    """sd of the donors' first differences over the pre-period, per problem."""
    d = np.diff(Y[:, :N0, :T0], axis=2).reshape(Y.shape[0], -1)
    return d.std(axis=1, ddof=1) if d.shape[1] > 1 else np.zeros(Y.shape[0])


def estimate_batch(
    Y: np.ndarray,
    N0: int,
    T0: int,
    method: str = "sdid",
    start: Weights | None = None,
    max_iter: int = 10_000,
    max_iter_pre_sparsify: int = 100,
    sigma: float | None = None,
) -> tuple[np.ndarray, Weights]:
    """:func:`estimate` for a stack of panels ``Y`` (B x N x T) of one shape; weights are
    (B x N0) and (B x T0). ``sigma`` fixes the noise level behind the penalties (synthdid's
    placebo replications keep the original estimate's); default: each panel's own."""
    if method not in METHODS:
        raise SyntheticInputError(f"method must be one of {METHODS}; got {method!r}")
    B, N, T = Y.shape
    N1, T1 = N - N0, T - T0
    sigma = _noise_level(Y, N0, T0) if sigma is None else np.full(B, float(sigma))
    min_dec = 1e-5 * sigma
    # the weights are invariant to a common shift (they sum to one); solving on centred
    # values keeps the Gram-matrix steps precise when levels are large
    yc = _collapsed(Y - Y.mean(axis=(1, 2), keepdims=True), N0, T0)
    if method == "did":
        w = Weights(np.full((B, N0), 1.0 / N0), np.full((B, T0), 1.0 / T0))
    else:
        if method == "sdid":
            zl = 1e-6 * sigma
            lam0 = None if start is None else start.lam
            lam = _fw_batch(yc[:, :N0], zl, True, lam0, min_dec, max_iter_pre_sparsify)
            lam = _fw_batch(yc[:, :N0], zl, True, _sparsify(lam), min_dec, max_iter)
        else:
            lam = np.zeros((B, T0))
        eta = (N1 * T1) ** 0.25 if method == "sdid" else 1e-6
        zo = eta * sigma
        yo = np.transpose(yc[:, :, :T0], (0, 2, 1))
        intercept = method == "sdid"
        om0 = None if start is None else start.omega
        om = _fw_batch(yo, zo, intercept, om0, min_dec, max_iter_pre_sparsify)
        om = _fw_batch(yo, zo, intercept, _sparsify(om), min_dec, max_iter)
        w = Weights(om, lam)
    row = np.concatenate([-w.omega, np.full((B, N1), 1.0 / N1)], axis=1)
    col = np.concatenate([-w.lam, np.full((B, T1), 1.0 / T1)], axis=1)
    tau = np.einsum("bn,bnt,bt->b", row, Y, col)
    return tau, w


def estimate(
    Y: np.ndarray, N0: int, T0: int, method: str = "sdid", start: Weights | None = None
) -> tuple[float, Weights]:
    """The average effect on the treated rows (``N0:``) over the post columns (``T0:``) and
    the weights: ``method`` "sdid", "sc" or "did" as in R synthdid."""
    st = None if start is None else Weights(start.omega[None], start.lam[None])
    tau, w = estimate_batch(Y[None], N0, T0, method, st)
    return float(tau[0]), Weights(w.omega[0], w.lam[0])


def synthetic_path(Y: np.ndarray, N0: int, T0: int, w: Weights, method: str) -> np.ndarray:
    """The treated unit's counterfactual path: the weighted donors shifted to the treated
    unit's (time-weighted) pre-period level; SC takes no shift."""
    synth = w.omega @ Y[:N0]
    treated = Y[N0:].mean(axis=0)
    if method == "sc":
        return synth
    if method == "did":
        return synth + (treated[:T0] - synth[:T0]).mean()
    return synth + w.lam @ (treated[:T0] - synth[:T0])


def placebo_se(
    Y: np.ndarray, N0: int, T0: int, method: str, w: Weights, reps: int = 200, seed: int = 0
) -> float:
    """synthdid's placebo standard error: ``reps`` draws of a donor as if treated (the
    original weights, renormalised, start each fit)."""
    N1 = Y.shape[0] - N0
    if N0 <= N1:
        raise SyntheticInputError("the placebo standard error needs more donors than treated")
    rng = np.random.default_rng(seed)
    inds = np.array([rng.permutation(N0) for _ in range(reps)])
    n0 = N0 - N1
    om = w.omega[inds[:, :n0]]
    tot = om.sum(axis=1, keepdims=True)
    om = np.where(tot > 0, om / np.where(tot > 0, tot, 1), 1.0 / n0)
    start = Weights(om, np.tile(w.lam, (reps, 1)))
    sigma = float(_noise_level(Y[None], N0, T0)[0])
    taus, _ = estimate_batch(Y[inds], n0, T0, method, start, sigma=sigma)
    return float(np.sqrt((reps - 1) / reps) * np.std(taus, ddof=1))


def rmspe(Y: np.ndarray, N0: int, T0: int, w: Weights, method: str) -> tuple[float, float]:
    gap = Y[N0:].mean(axis=0) - synthetic_path(Y, N0, T0, w, method)
    return float(np.sqrt(np.mean(gap[:T0] ** 2))), float(np.sqrt(np.mean(gap[T0:] ** 2)))


def placebo_space(
    Y: np.ndarray,
    N0: int,
    T0: int,
    method: str,
    sigma: float | None = None,
    treated: tuple[float, Weights] | None = None,
) -> pd.DataFrame:
    """Every donor in turn as the treated unit against the other donors (the real treated unit
    left out): its effect and pre/post RMSPE. Row ``N0`` (last) is the treated unit itself.
    ``sigma``: the noise level behind the penalties (default: the treated analysis' own, as
    in synthdid's placebo replications); ``treated``: the treated unit's fit, if already
    made."""
    if N0 < 2:
        raise SyntheticInputError(f"placebo in space needs at least 2 donors; there are {N0}")
    if sigma is None:
        sigma = float(_noise_level(Y[None], N0, T0)[0])
    orders = np.array([[*[i for i in range(N0) if i != j], j] for j in range(N0)])
    Ys = Y[orders]
    taus, w = estimate_batch(Ys, N0 - 1, T0, method, sigma=sigma)
    rows = []
    for j in range(N0):
        pre, post = rmspe(Ys[j], N0 - 1, T0, Weights(w.omega[j], w.lam[j]), method)
        rows.append((j, taus[j], pre, post))
    tau, wt = treated if treated is not None else estimate(Y, N0, T0, method)
    pre, post = rmspe(Y, N0, T0, wt, method)
    rows.append((N0, tau, pre, post))
    out = pd.DataFrame(rows, columns=["row", "effect", "pre_rmspe", "post_rmspe"])
    out["ratio"] = out["post_rmspe"] / out["pre_rmspe"].where(out["pre_rmspe"] > 0)
    return out


def enumerated_se(ps: pd.DataFrame) -> float:
    """The placebo standard error with every donor once as the pseudo-treated unit (one
    treated unit): the limit of synthdid's ``reps`` random draws, free of their Monte Carlo
    noise (200 draws of one heavy-tailed donor distribution can be 10-20% off)."""
    e = ps["effect"].iloc[:-1].to_numpy()
    return float(np.sqrt(np.mean((e - e.mean()) ** 2)))


def placebo_p(ps: pd.DataFrame, max_pre_rmspe_ratio: float | None = None) -> tuple[float, int]:
    """The treated unit's rank p-value of the post/pre RMSPE ratio among the placebos kept and
    their number. ``max_pre_rmspe_ratio = k`` leaves out placebos whose pre-period MSPE is more
    than k times the treated unit's (ADH 2010); placebos with an undefined ratio are left out;
    an undefined treated ratio gives NaN."""
    treated = ps.iloc[-1]
    pl = ps.iloc[:-1]
    if max_pre_rmspe_ratio is not None:
        pl = pl[pl["pre_rmspe"] ** 2 <= max_pre_rmspe_ratio * treated["pre_rmspe"] ** 2]
    ratios = pl["ratio"].dropna().to_numpy()
    if not np.isfinite(treated["ratio"]):
        return float("nan"), int(len(ratios))
    p = (1 + np.sum(ratios >= treated["ratio"])) / (1 + len(ratios))
    return float(p), int(len(ratios))
