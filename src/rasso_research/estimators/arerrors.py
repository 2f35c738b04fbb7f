"""Regression with AR(p) errors by restricted maximum likelihood (REML), and its parametric
percentile-t bootstrap.

Why: in the short, trending, autocorrelated series of an ITS, OLS with Newey-West errors
under-covers (its t statistic is far from t(n - k)), and a sieve bootstrap studentized by the
HAC error fails when the residual autoregression is persistent (on California's Proposition 99
its bias correction pushed the AR to a root of 0.999 and the critical values to 50). Modelling
the errors makes the studentized statistic close to pivotal:

1. **Fit.** GLS with AR(p) errors, the AR estimated by REML (the likelihood of the residual
   contrasts, as R's ``nlme::gls(method = "REML")``), which removes most of the downward
   bias that trend and break terms give a residual autoregression (Cheang & Reinsel 2000).
   The exact (Prais-Winsten) transform keeps every period. The order p is given (ITSSpec's
   default is 2: it nests AR(1), and choosing the order by BIC cost coverage when the errors
   were AR(2) and BIC kept one lag), or with ``order=None`` minimises the REML BIC over
   1..``ar_max``. Standard errors are the GLS ones with the innovation variance on n - k - p
   df.
2. **Bootstrap.** ``reps`` series y* = X b + u*, u* the fitted AR driven by resampled
   innovations, each refitted as in step 1 (the order chosen again); for a contrast g'b the
   critical value is the 1 - alpha quantile of |g'(b* - b)| / se*(g'b*) (symmetric
   percentile-t). The innovations are the whitened residuals, centred and rescaled so that
   their variance is the fit's innovation variance (n - k - p df; :func:`bootstrap_innovations`):
   t* is scale-free, so critical values and p-values do not depend on the scale, but the
   minimum detectable effects (:meth:`BootstrapDraws.power_mde`) do.

The REML criterion is maximised over the partial autocorrelations (so every fit is
stationary; they lie in [``R_MIN``, ``R_MAX``]), with the roots of the AR polynomial kept
inside ``MAX_ROOT`` (0.95: nearer a unit root the level is not identified, GLS in effect
differences it away and the fitted line can leave the data). The search runs in
u = atanh(r), so it is finer near +-1 where persistent series have their optimum: a grid (dense
for a series' own fit, coarser for bootstrap series, which also try the data's estimate), a
parabolic step and a compass search. It is vectorised over replications: the GLS cross-products at any AR are assembled from the
(p + 1)^2 lagged cross-products of X and y and the p^2 products of the first p rows, so one
evaluation costs O(p^2 k^2), not O(n k^2).
Everything is seeded. A Kilian (1998) bias correction of the AR used to simulate was tried and
left out: in the hardest cells it moved coverage by less than its Monte Carlo error. Coverage on simulated series with trend, level and slope breaks, quarterly seasonal
terms and AR(1)/AR(2) errors: docs/METHODS.md and ``tools/coverage_study.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .arfilter import ar_innovations, ar_recursion

R_MIN, R_MAX = -0.95, 0.99
#: largest modulus of a root of the AR polynomial the fit may reach: closer to a unit root
#: the level of the series is not identified (GLS then differences it away) and an ITS in
#: levels is the wrong model; a fit at this bound is flagged (``ARFit.at_bound``)
MAX_ROOT = 0.95
GRID_POINTS = {1: 60, 2: 12}  # grid per partial autocorrelation, bootstrap series
FINE_POINTS = {1: 200, 2: 36}  # the same for the data's own fit (one series: cheap)
SEARCH_ROUNDS = 2
#: a candidate AR whose filtered X'X has an eigenvalue (or squared Cholesky pivot) ratio
#: below this is treated as rank-deficient: an infinite REML criterion
RANK_TOL = 1e-10
BURN_IN = 100


# ---- AR(p) helpers, batched over replications (phi: B x p) ---------------------------------
def ar_autocov(phi: np.ndarray) -> np.ndarray:
    """Autocovariances gamma_0..gamma_p of stationary AR processes with unit innovation
    variance (``phi``: ... x p): array ... x (p + 1)."""
    phi = np.atleast_2d(phi)
    lead, p = phi.shape[:-1], phi.shape[-1]
    A = np.zeros((*lead, p + 1, p + 1))
    for k in range(p + 1):
        A[..., k, k] += 1.0
        for j in range(1, p + 1):
            A[..., k, abs(k - j)] -= phi[..., j - 1]
    rhs = np.zeros((*lead, p + 1, 1))
    rhs[..., 0, 0] = 1.0
    return np.linalg.solve(A, rhs)[..., 0]


def _head_chol(phi: np.ndarray) -> np.ndarray:
    """Cholesky factors of the p x p covariance of the first p errors (... x p x p)."""
    p = phi.shape[-1]
    g = ar_autocov(phi)
    idx = np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    return np.linalg.cholesky(g[..., idx])


def _head_transform(phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The inverse Cholesky factor of the covariance of the first p errors (... x p x p) and
    its log determinant (... ), in closed form for p <= 2 (the REML search calls this for
    every candidate)."""
    p = phi.shape[-1]
    if p == 1:
        f = phi[..., 0]
        g0 = 1.0 / (1.0 - f * f)
        return np.sqrt(1.0 - f * f)[..., None, None], np.log(g0)
    if p == 2:
        f1, f2 = phi[..., 0], phi[..., 1]
        g0 = (1 - f2) / ((1 + f2) * ((1 - f2) ** 2 - f1 * f1))
        g1 = f1 * g0 / (1 - f2)
        l11 = np.sqrt(g0)
        l21 = g1 / l11
        l22 = np.sqrt(g0 - l21 * l21)
        inv = np.zeros((*f1.shape, 2, 2))
        inv[..., 0, 0] = 1.0 / l11
        inv[..., 1, 0] = -l21 / (l11 * l22)
        inv[..., 1, 1] = 1.0 / l22
        return inv, 2.0 * (np.log(l11) + np.log(l22))
    L = _head_chol(phi)
    return np.linalg.inv(L), 2.0 * np.log(np.einsum("...ii->...i", L)).sum(axis=-1)


def max_root(phi: np.ndarray) -> np.ndarray:
    """Largest modulus of the roots of z^p - phi_1 z^(p-1) - ... - phi_p (``phi``: ... x p);
    closed form for p <= 2."""
    phi = np.asarray(phi, dtype=float)
    p = phi.shape[-1]
    if p == 1:
        return np.abs(phi[..., 0])
    if p == 2:
        f1, f2 = phi[..., 0], phi[..., 1]
        disc = f1 * f1 + 4 * f2
        real = (np.abs(f1) + np.sqrt(np.clip(disc, 0, None))) / 2
        return np.where(disc >= 0, real, np.sqrt(np.clip(-f2, 0, None)))
    # the eigenvalues of the companion matrix are the roots
    comp = np.zeros((*phi.shape[:-1], p, p))
    comp[..., 0, :] = phi
    comp[..., np.arange(1, p), np.arange(p - 1)] = 1.0
    return np.abs(np.linalg.eigvals(comp)).max(axis=-1)


def pacf_to_ar(r: np.ndarray) -> np.ndarray:
    """AR coefficients from partial autocorrelations (Durbin-Levinson; ``r``: ... x p). Any
    ``r`` in (-1, 1)^p gives a stationary AR."""
    r = np.asarray(r, dtype=float)
    phi = r[..., :1]
    for j in range(1, r.shape[-1]):
        rj = r[..., j : j + 1]
        phi = np.concatenate([phi - rj * phi[..., ::-1], rj], axis=-1)
    return phi


def whiten(A: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """The exact AR(p) (Prais-Winsten) transform of the rows of ``A`` (n x m) for one AR
    ``phi``: the first p rows by the inverse Cholesky factor of their covariance, the rest
    u_t - sum_j phi_j u_{t-j}. Its rows are uncorrelated with the innovation variance."""
    A = np.asarray(A, dtype=float)
    phi = np.asarray(phi, dtype=float)
    p = len(phi)
    if p == 0:
        return A.copy()
    head = np.linalg.solve(_head_chol(phi[None])[0], A[:p])
    return np.concatenate([head, ar_innovations(A, phi)])


@dataclass
class GLSBatch:
    """Feasible-GLS fits of the columns of Y on X (one per replication)."""

    beta: np.ndarray  # k x B
    cov: np.ndarray  # B x k x k, innovation variance on n - k - p df
    phi: np.ndarray  # B x p, the AR used in the last GLS step
    ssr: np.ndarray  # B, whitened residual sum of squares
    logdet: np.ndarray  # B, log det of the error correlation matrix (unit innovations)


def gls(X: np.ndarray, Y: np.ndarray, phi: np.ndarray, moments=None) -> GLSBatch:
    """GLS of each column of ``Y`` on ``X`` under AR errors ``phi`` (row b for column b), from
    the cross-products of :class:`_Moments` (``moments``: ones already built for X, Y and
    this order)."""
    n, k = X.shape
    B = Y.shape[1]
    phi = np.asarray(phi, dtype=float).reshape(B, -1)
    p = phi.shape[1]
    m = moments if moments is not None else _Moments(X, Y, p)
    W, logdet = m._weights(phi)  # B x m
    XtX = (W @ m.M).reshape(B, k, k)
    Xty = np.einsum("bm,mkb->bk", W, m.P)
    yty = np.einsum("bm,mb->b", W, m.Q)
    inv = np.linalg.inv(XtX)
    beta = np.einsum("bij,bj->ib", inv, Xty)
    ssr = np.clip(yty - np.einsum("ib,bi->b", beta, Xty), 0.0, None)
    s2 = ssr / max(n - k - p, 1)
    return GLSBatch(beta, inv * s2[:, None, None], phi, ssr, logdet)


class _Moments:
    """Cross-products of X and the columns of Y for the REML criterion at any AR(p).

    The exact transform's cross-products at AR ``phi`` are a weighted sum of fixed products:
    the (p + 1)^2 lagged products of the body, weighted by c_i c_j (c = (1, -phi)), and the
    p^2 products of the first p rows, weighted by the inverse covariance of the first p errors.
    So one evaluation is a small matrix product and a Cholesky factor; for per-column ARs
    (the bootstrap's searches) the factor is of the augmented matrix [X y]'[X y], whose last
    pivot squared is the residual sum of squares."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, p: int):
        n, k = X.shape
        self.n, self.k, self.p = n, k, p
        XL = [X[p - i : n - i] for i in range(p + 1)]
        YL = [Y[p - i : n - i] for i in range(p + 1)]
        lag, head = range(p + 1), range(p)
        M = [XL[i].T @ XL[j] for i in lag for j in lag]
        M += [np.outer(X[i], X[j]) for i in head for j in head]
        P = [XL[i].T @ YL[j] for i in lag for j in lag]
        P += [np.outer(X[i], Y[j]) for i in head for j in head]
        Q = [(YL[i] * YL[j]).sum(axis=0) for i in lag for j in lag]
        Q += [Y[i] * Y[j] for i in head for j in head]
        self.m = len(M)
        self.M = np.array(M).reshape(self.m, k * k)  # m x k^2
        self.P = np.array(P)  # m x k x B
        self.Q = np.array(Q)  # m x B

    @cached_property
    def A(self) -> np.ndarray:
        """Per column, the products of [X y] (B x m x (k + 1)^2), for per-column ARs."""
        p, k, B = self.p, self.k, self.P.shape[2]
        lag, head = range(p + 1), range(p)
        # the (i, j) product's transpose is the (j, i) one
        swap = [j * (p + 1) + i for i in lag for j in lag]
        swap += [(p + 1) ** 2 + j * p + i for i in head for j in head]
        K = k + 1
        A = np.empty((B, self.m, K, K))
        A[:, :, :k, :k] = self.M.reshape(self.m, k, k)[None]
        A[:, :, :k, k] = self.P.transpose(2, 0, 1)
        A[:, :, k, :k] = self.P[swap].transpose(2, 0, 1)
        A[:, :, k, k] = self.Q.T
        return A.reshape(B, self.m, K * K)

    def _weights(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weights of the products at AR ``phi`` (... x p) and the log determinant of the
        error correlation matrix."""
        c = np.concatenate([np.ones((*phi.shape[:-1], 1)), -phi], axis=-1)
        cc = (c[..., :, None] * c[..., None, :]).reshape(*c.shape[:-1], -1)
        if phi.shape[-1] == 0:  # independent errors: no head rows
            return cc, np.zeros(phi.shape[:-1])
        Linv, logdet_r = _head_transform(phi)
        S = (np.swapaxes(Linv, -1, -2) @ Linv).reshape(*phi.shape[:-1], -1)
        return np.concatenate([cc, S], axis=-1), logdet_r

    def criterion(self, r: np.ndarray) -> np.ndarray:
        """-2 x REML log-likelihood (up to a constant) at partial autocorrelations ``r``:
        G x p (the same G candidates for every column) or G x B x p; result G x B."""
        shared = r.ndim == 2
        n, k = self.n, self.k
        phi = pacf_to_ar(r)
        W, logdet_r = self._weights(phi)
        if shared:  # one factor per candidate, applied to every column
            XtX = (W @ self.M).reshape(-1, k, k)
            Xty = (W @ self.P.reshape(self.m, -1)).reshape(-1, k, self.P.shape[2])
            ssr, ld, ok = _quadratic(XtX, Xty, W @ self.Q, shared=True)
            logdet_r = logdet_r[:, None]
        else:
            G, B = W.shape[:2]
            K = k + 1
            aug = np.swapaxes(np.swapaxes(W, 0, 1) @ self.A, 0, 1).reshape(G, B, K, K)
            try:
                L = np.linalg.cholesky(aug)
                d = np.einsum("...ii->...i", L)
                ssr, ld = d[..., k] ** 2, 2.0 * np.log(d[..., :k]).sum(axis=-1)
                ok = _full_rank(d[..., :k])
            except np.linalg.LinAlgError:  # a perfect fit or a rank-deficient design
                ssr, ld, ok = _quadratic(aug[..., :k, :k], aug[..., :k, k], aug[..., k, k])
        out = (n - k) * np.log(np.clip(ssr, 1e-300, None)) + logdet_r + ld
        out = np.where(ok[:, None] if shared else ok, out, np.inf)
        inside = max_root(phi) <= MAX_ROOT + 1e-12
        return np.where(inside[:, None] if shared else inside, out, np.inf)


def _full_rank(pivots: np.ndarray) -> np.ndarray:
    """Is each factored X'X (its Cholesky pivots: ... x k) of full rank in floating point?
    The squared pivot ratio bounds the eigenvalue ratio from above, so this flags only what
    :data:`RANK_TOL` would on the eigenvalues, whichever candidates share the batch."""
    return (pivots.min(axis=-1) / pivots.max(axis=-1)) ** 2 > RANK_TOL


def _quadratic(XtX: np.ndarray, Xty: np.ndarray, yty: np.ndarray, shared: bool = False):
    """ssr = y'y - Xty' (X'X)^-1 Xty and log det X'X per candidate (``XtX``: ... x k x k;
    ``Xty``: ... x k, or with ``shared`` G x k x B against one ``XtX`` per G), and which
    candidates have a full-rank X'X: near a (double) unit root the filtered design can lose
    rank in floating point, and such candidates get an infinite criterion instead of stopping
    the search."""
    k = XtX.shape[-1]
    try:
        C = np.linalg.cholesky(XtX)
        ok = _full_rank(np.einsum("...ii->...i", C))
    except np.linalg.LinAlgError:
        eig = np.linalg.eigvalsh(XtX)
        ok = eig[..., 0] > RANK_TOL * np.abs(eig[..., -1])
        XtX = np.where(ok[..., None, None], XtX, np.eye(k))
        C = np.linalg.cholesky(XtX)
    ld = 2.0 * np.log(np.einsum("...ii->...i", C)).sum(axis=-1)
    if shared:
        z = np.linalg.inv(C) @ Xty  # G x k x B
        return yty - np.einsum("gkb,gkb->gb", z, z), ld[:, None], ok
    z = np.linalg.solve(C, Xty[..., None])[..., 0]
    return yty - np.einsum("...k,...k->...", z, z), ld, ok


def ar_to_pacf(phi: np.ndarray) -> np.ndarray:
    """Partial autocorrelations of a stationary AR (the inverse of :func:`pacf_to_ar`)."""
    a = np.array(phi, dtype=float)
    p = len(a)
    r = np.zeros(p)
    for k in range(p - 1, -1, -1):
        r[k] = a[k]
        if k:
            a = (a[:k] + r[k] * a[:k][::-1]) / (1.0 - r[k] ** 2)
    return r


def reml(
    X: np.ndarray,
    Y: np.ndarray,
    p: int,
    rounds: int = SEARCH_ROUNDS,
    points: int | None = None,
    start: np.ndarray | None = None,
    moments: _Moments | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """REML AR(p) coefficients (B x p) for the errors of each column of Y regressed on X,
    and the minimised criterion (B): a grid over the partial autocorrelations, a parabola
    through the best point and its neighbours along each axis, then ``rounds`` rounds of
    a pattern search with halving steps (kept only where they improve the criterion).
    ``moments``: the :class:`_Moments` of X, Y and order p, if already built."""
    m = moments if moments is not None else _Moments(X, Y, p)
    B = Y.shape[1]
    cols = np.arange(B)
    pts = points or GRID_POINTS.get(p, 7)
    # the search runs in u = atanh(r), so the grid and the steps are finer near +-1, where a
    # persistent series has its optimum
    u_lo, u_hi = np.arctanh(R_MIN), np.arctanh(R_MAX)
    axis = np.linspace(u_lo, u_hi, pts)
    h = axis[1] - axis[0]

    def crit(u):
        return m.criterion(np.tanh(u))

    mesh = np.stack(np.meshgrid(*([np.arange(pts)] * p), indexing="ij"), axis=-1).reshape(-1, p)
    # in chunks of candidates, so the G x k x B products stay small (in cache)
    chunks = min(len(mesh), -(-len(mesh) * B // 16384))
    grid = np.concatenate([crit(axis[c]) for c in np.array_split(mesh, chunks)])
    best = np.argmin(grid, axis=0)
    u, val = axis[mesh[best]], grid[best, cols]
    # parabolic step along each axis from the grid values (free: no new evaluations)
    cube = grid.reshape(*([pts] * p), B)
    idx = mesh[best]
    offset = np.zeros((B, p))
    for d in range(p):
        inner = (idx[:, d] > 0) & (idx[:, d] < pts - 1)
        lo, hi = idx.copy(), idx.copy()
        lo[:, d] = np.clip(idx[:, d] - 1, 0, pts - 1)
        hi[:, d] = np.clip(idx[:, d] + 1, 0, pts - 1)
        f_lo = cube[(*lo.T, cols)]
        f_hi = cube[(*hi.T, cols)]
        finite = np.isfinite(f_lo) & np.isfinite(f_hi) & np.isfinite(val)
        f_lo, f_hi, v = (np.where(finite, a, 0.0) for a in (f_lo, f_hi, val))
        curv = f_lo - 2 * v + f_hi
        ok = inner & finite & (curv > 0)
        diff = f_lo - f_hi
        offset[:, d] = np.where(ok, 0.5 * h * diff / np.where(ok, curv, 1.0), 0.0)
    cand = np.clip(u + offset, u_lo, u_hi)
    c = crit(cand[None])[0]
    better = c < val
    u, val = np.where(better[:, None], cand, u), np.where(better, c, val)
    if start is not None:  # a known good point (the data's estimate, for bootstrap series)
        cand = np.broadcast_to(np.arctanh(np.clip(start, R_MIN, R_MAX)), (B, p))
        c = crit(cand[None])[0]
        better = c < val
        u, val = np.where(better[:, None], cand, u), np.where(better, c, val)
    # compass search: move to the best neighbour, halve the step where none is better
    steps = np.concatenate([np.eye(p), -np.eye(p)])
    step = np.full(B, h / 2)
    for _ in range(rounds):
        cand = np.clip(u[None] + step[None, :, None] * steps[:, None], u_lo, u_hi)
        c = crit(cand)
        j = np.argmin(c, axis=0)
        move = c[j, cols] < val
        u = np.where(move[:, None], cand[j, cols], u)
        val = np.where(move, c[j, cols], val)
        step = np.where(move, step, step / 2)
    r = np.tanh(u)
    return pacf_to_ar(r), val


def _choose(X, Y, orders, fine: bool = False, start=None) -> tuple[GLSBatch, np.ndarray]:
    """REML fits of every order; per column the one with the smallest REML BIC. ``fine``: the
    dense grid of a single series; ``start``: the partial autocorrelations to try as well for
    the order of the same length (the data's, for bootstrap series)."""
    n, k = X.shape
    best = None
    for q in orders:
        s0 = start if start is not None and len(start) == q else None
        m = _Moments(X, Y, q)
        pts = FINE_POINTS.get(q) if fine else None
        phi, crit = reml(X, Y, q, points=pts, start=s0, moments=m)
        bic = crit + q * np.log(n - k)
        f = gls(X, Y, phi, moments=m)
        if best is None:
            best, out, order = bic, f, np.full(Y.shape[1], q)
            continue
        pick = bic < best
        best = np.where(pick, bic, best)
        order = np.where(pick, q, order)
        # the chosen AR per column, zero-padded to the largest order compared
        width = max(q, out.phi.shape[1])
        padded = [np.pad(a, ((0, 0), (0, width - a.shape[1]))) for a in (f.phi, out.phi)]
        out = GLSBatch(
            beta=np.where(pick[None], f.beta, out.beta),
            cov=np.where(pick[:, None, None], f.cov, out.cov),
            phi=np.where(pick[:, None], *padded),
            ssr=np.where(pick, f.ssr, out.ssr),
            logdet=np.where(pick, f.logdet, out.logdet),
        )
    return out, order


def loglik(fit: GLSBatch, n: int) -> np.ndarray:
    """Exact Gaussian log-likelihood at the GLS estimate (innovation variance profiled)."""
    return -0.5 * n * (np.log(2 * np.pi * fit.ssr / n) + 1.0) - 0.5 * fit.logdet


@dataclass
class ARFit:
    """The chosen AR(p)-errors fit of one series; ``orders`` are the orders compared."""

    p: int
    beta: np.ndarray
    cov: np.ndarray
    phi: np.ndarray
    sigma2: float  # innovation variance (n - k - p df)
    loglik: float  # exact Gaussian log-likelihood at the REML estimates
    orders: tuple[int, ...]

    def gamma0(self) -> float:
        """Unconditional variance of the error process."""
        return float(ar_autocov(self.phi[None])[0, 0] * self.sigma2)

    def max_root(self) -> float:
        """Modulus of the largest root of z^p - phi_1 z^(p-1) - ... (1 would be a unit root)."""
        return float(max_root(self.phi))

    @property
    def at_bound(self) -> bool:
        """Did the fit stop at ``MAX_ROOT`` (the errors are at least that persistent)?"""
        return self.max_root() >= MAX_ROOT - 1e-3


def fit_ar_errors(X: np.ndarray, y: np.ndarray, order: int | None = 2, ar_max: int = 2):
    """GLS with REML AR(p) errors; p = ``order``, or with ``None`` the REML-BIC choice among
    1..``ar_max``; either capped at (n - k) // 4 for a short series."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, k = X.shape
    if order is not None and order < 1:
        raise ValueError(f"the AR order of the errors must be 1 or more; got {order}")
    cap = max(1, (n - k) // 4)
    orders = (min(order, cap),) if order is not None else tuple(range(1, min(ar_max, cap) + 1))
    f, chosen = _choose(X, y[:, None], orders, fine=True)
    p = int(chosen[0])
    phi = f.phi[0, :p]
    return ARFit(
        p=p,
        beta=f.beta[:, 0],
        cov=f.cov[0],
        phi=phi,
        sigma2=float(f.ssr[0] / max(n - k - p, 1)),
        loglik=float(loglik(f, n)[0]),
        orders=orders,
    )


# ---- bootstrap -----------------------------------------------------------------------------
@dataclass
class BootstrapDraws:
    """Bootstrap draws: coefficient deviations ``delta`` (k x B, b* - b) and their covariance
    estimates ``covs`` (k x k x B); ``ar`` is the AR the errors were simulated from."""

    delta: np.ndarray
    covs: np.ndarray
    ar: np.ndarray
    reps: int
    seed: int
    #: largest AR root of each bootstrap series' own refit (how persistent REML found it)
    roots: np.ndarray | None = None

    def _var(self, G: np.ndarray) -> np.ndarray:
        """Bootstrap variance estimates of the contrasts in the rows of ``G`` (m x B)."""
        T = np.tensordot(G, self.covs, axes=(1, 0))  # m x k x B
        return np.einsum("mjb,mj->mb", T, G)

    def t_stats(self, G: np.ndarray) -> np.ndarray:
        """|t*| of the contrasts in the rows of ``G`` in every draw (m x B); a degenerate
        contrast (no variance) is infinite."""
        G = np.atleast_2d(np.asarray(G, dtype=float))
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.abs(G @ self.delta) / np.sqrt(np.clip(self._var(G), 0.0, None))
        return np.where(np.isfinite(t), t, np.inf)

    def critical_values(self, G: np.ndarray, alpha: float) -> np.ndarray:
        """Symmetric percentile-t critical values for the contrasts in the rows of ``G``."""
        G = np.atleast_2d(np.asarray(G, dtype=float))
        num = G @ self.delta
        t = self.t_stats(G)
        crit = np.quantile(t, 1.0 - alpha, axis=1, method="higher")
        # contrasts with no variation at all (e.g. zero rows) keep a zero-width interval
        return np.where(np.all(num == 0.0, axis=1), 0.0, crit)

    def power_mde(self, g: np.ndarray, crit: float, power: float = 0.8) -> float:
        """The smallest true value of the contrast ``g`` that the percentile-t test with
        critical value ``crit`` rejects with probability ``power``, by simulation: each
        bootstrap draw (the fitted AR errors) shifted by the candidate effect, studentized by its
        own standard error. The larger of the two signs' values is returned."""
        num = np.asarray(g, dtype=float) @ self.delta
        se = np.sqrt(np.clip(self._var(np.asarray(g, dtype=float)[None])[0], 0.0, None))
        ok = se > 0
        num, se = num[ok], se[ok]
        if not len(se):
            return float("nan")

        def pw(d):
            return np.mean(np.abs(d + num) / se > crit)

        out = []
        for sign in (1.0, -1.0):
            lo, hi = 0.0, float(np.median(se))
            while pw(sign * hi) < power and hi < 1e6 * np.median(se):
                hi *= 2
            for _ in range(40):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if pw(sign * mid) < power else (lo, mid)
            out.append(hi)
        return float(max(out))

    def contrast_p_values(self, G: np.ndarray, t_obs) -> np.ndarray:
        """Two-sided bootstrap p-values of the t statistics ``t_obs`` of the contrasts in the
        rows of ``G``."""
        t = self.t_stats(G)
        exceed = (t >= np.abs(np.asarray(t_obs, dtype=float))[:, None]).sum(axis=1)
        return (1.0 + exceed) / (self.reps + 1.0)

    def p_values(self, t_obs: np.ndarray) -> np.ndarray:
        """Two-sided bootstrap p-values for the coefficient t statistics ``t_obs``."""
        return self.contrast_p_values(np.eye(self.delta.shape[0]), t_obs)


def _simulate(phi: np.ndarray, e: np.ndarray, n: int, reps: int, rng) -> np.ndarray:
    shocks = rng.choice(e, size=(n + BURN_IN, reps), replace=True)
    return ar_recursion(phi, shocks)[BURN_IN:]


def ar_bootstrap(
    X: np.ndarray, y: np.ndarray, fit: ARFit, reps: int = 499, seed: int = 20240101
) -> BootstrapDraws:
    """Step 2 of the module docstring for the AR(p)-errors fit ``fit`` of y on X."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if reps < 99:
        raise ValueError(f"boot_reps must be at least 99; got {reps}")
    e = whiten((y - X @ fit.beta)[:, None], fit.phi)[:, 0]
    return design_draws(X, fit, e, reps, seed)


def bootstrap_innovations(innovations: np.ndarray, sigma2: float) -> np.ndarray:
    """The innovations the bootstrap resamples: ``innovations`` (the whitened residuals)
    centred and rescaled to mean square ``sigma2``, the fit's innovation variance.

    The exact transform keeps every period (its first p rows are in innovation units too): n
    residuals with sum of squares ssr, and the fit's variance is ssr / (n - k - p). Resampled
    as they are, they give the bootstrap world their centred mean square, (ssr - n ebar^2) / n,
    about (n - k - p) / n of it: the refits' standard errors and every minimum detectable
    effect shrank by about sqrt((n - k - p) / n), while t* (scale-free), the critical values
    and the p-values are the same at any scale."""
    e = np.asarray(innovations, dtype=float)
    e = e - e.mean()
    ms = float(np.mean(e * e))
    return e * np.sqrt(sigma2 / ms) if ms > 0 else e


def design_draws(
    X: np.ndarray, fit: ARFit, innovations: np.ndarray, reps: int = 499, seed: int = 20240101
) -> BootstrapDraws:
    """Bootstrap draws for design ``X`` with errors from the AR of ``fit`` driven by resampled
    ``innovations`` (centred and rescaled to the innovation variance of ``fit``:
    :func:`bootstrap_innovations`): the data's own design (:func:`ar_bootstrap`), or another
    one, such as the same series cut short after an interruption, under the same error model
    (a power calculation for a shorter post-period)."""
    X = np.asarray(X, dtype=float)
    rng = np.random.default_rng(seed)
    e = bootstrap_innovations(innovations, fit.sigma2)
    U = _simulate(fit.phi, e, len(X), reps, rng)
    # y* = X b + U, so b* - b is the fit of U on X (the REML AR does not depend on X b)
    draws, _ = _choose(X, U, fit.orders, start=ar_to_pacf(fit.phi))
    return BootstrapDraws(
        delta=draws.beta,
        covs=np.moveaxis(draws.cov, 0, -1),
        ar=fit.phi,
        reps=reps,
        seed=seed,
        roots=max_root(draws.phi),
    )
