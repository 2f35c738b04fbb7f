"""The REML search and the GLS step of :mod:`rasso_research.estimators.arerrors`, compiled by
numba, for the multiverse engine (:mod:`rasso_research.designs.multiverse`).

The same computation as :func:`arerrors.reml` and :func:`arerrors.gls` for AR orders 1 and 2:
the same grid in u = atanh(r) (dense for a series' own fit, coarse for bootstrap series), the
same parabolic step from the grid values, the same extra candidate (the data's estimate, for
bootstrap series) and the same compass search, with the same REML criterion assembled from the
lagged cross-products of :class:`arerrors._Moments`; the bootstrap draws the same seeded
innovations. Only the order of floating-point sums differs (loops here, BLAS there), so the
results agree to rounding (``tests/designs/test_multiverse.py`` checks the engine against
``fit_its``). Where one Cholesky factor serves every column (the shared grid) it is computed
once per candidate; per-column candidates factor their own. Orders above 2 use the numpy code.

Importing this module imports numba (the first call of each kernel compiles it, or loads it
from numba's on-disk cache), so the package imports it only where the engine runs.
"""

from __future__ import annotations

import numba
import numpy as np

from .arerrors import (
    FINE_POINTS,
    GRID_POINTS,
    MAX_ROOT,
    R_MAX,
    R_MIN,
    RANK_TOL,
    SEARCH_ROUNDS,
    ARFit,
    BootstrapDraws,
    GLSBatch,
    _choose,
    _Moments,
    _simulate,
    ar_to_pacf,
    bootstrap_innovations,
    loglik,
    max_root,
    whiten,
)

jit = numba.njit(cache=True, nogil=True)


@jit
def _weights(u, p, W):
    """Weights of the (p + 1)^2 lagged and p^2 head products at AR partial autocorrelations
    tanh(``u``) into ``W``; returns (log det of the head covariance, inside MAX_ROOT)."""
    r0 = np.tanh(u[0])
    if p == 1:
        f1, f2 = r0, 0.0
    else:
        r1 = np.tanh(u[1])
        f1, f2 = r0 - r1 * r0, r1
    return _weights_phi(f1, f2, p, W)


@jit
def _weights_phi(f1, f2, p, W):
    """As :func:`_weights`, at the AR coefficients (f1, f2) (f2 unused for p = 1)."""
    c = np.empty(p + 1)
    c[0] = 1.0
    c[1] = -f1
    if p == 2:
        c[2] = -f2
    q = p + 1
    for i in range(q):
        for j in range(q):
            W[i * q + j] = c[i] * c[j]
    if p == 1:
        g0 = 1.0 / (1.0 - f1 * f1)
        li = np.sqrt(1.0 - f1 * f1)
        W[q * q] = li * li
        inside = abs(f1) <= MAX_ROOT + 1e-12
        return np.log(g0), inside
    g0 = (1 - f2) / ((1 + f2) * ((1 - f2) ** 2 - f1 * f1))
    g1 = f1 * g0 / (1 - f2)
    l11 = np.sqrt(g0)
    l21 = g1 / l11
    l22 = np.sqrt(g0 - l21 * l21)
    a, b, d = 1.0 / l11, -l21 / (l11 * l22), 1.0 / l22
    W[q * q] = a * a + b * b
    W[q * q + 1] = b * d
    W[q * q + 2] = d * b
    W[q * q + 3] = d * d
    disc = f1 * f1 + 4 * f2
    if disc >= 0:
        root = (abs(f1) + np.sqrt(disc)) / 2
    else:
        root = np.sqrt(max(-f2, 0.0))
    return 2.0 * (np.log(l11) + np.log(l22)), root <= MAX_ROOT + 1e-12


@jit
def _factor(W, M, k, L):
    """Cholesky factor ``L`` of X'X = sum_m W_m M_m (``M``: k x k x m); returns (full rank,
    log det X'X)."""
    m = W.shape[0]
    for i in range(k):
        for j in range(i + 1):
            s = 0.0
            for a in range(m):
                s += W[a] * M[i, j, a]
            L[i, j] = s
    for j in range(k):
        s = L[j, j]
        for a in range(j):
            s -= L[j, a] * L[j, a]
        if not s > 0.0:
            return False, 0.0
        d = np.sqrt(s)
        L[j, j] = d
        for i in range(j + 1, k):
            t = L[i, j]
            for a in range(j):
                t -= L[i, a] * L[j, a]
            L[i, j] = t / d
    lo, hi, ld = np.inf, 0.0, 0.0
    for j in range(k):
        lo, hi = min(lo, L[j, j]), max(hi, L[j, j])
        ld += np.log(L[j, j])
    return (lo / hi) ** 2 > RANK_TOL, 2.0 * ld


@jit
def _grid(M, Pg, Qg, n, k, p, axis):
    """The criterion on the shared grid (pts^p candidates, first axis slowest) x columns;
    ``Pg`` (m x k x B) and ``Qg`` (m x B) laid out so the columns are the inner loop."""
    pts = axis.shape[0]
    G = pts**p
    m, B = Qg.shape
    W = np.empty(m)
    L = np.zeros((k, k))
    Z = np.empty((k, B))
    ssr = np.empty(B)
    u = np.empty(p)
    out = np.full((G, B), np.inf)
    for g in range(G):
        if p == 1:
            u[0] = axis[g]
        else:
            u[0], u[1] = axis[g // pts], axis[g % pts]
        ldr, inside = _weights(u, p, W)
        if not inside:
            continue
        ok, ld = _factor(W, M, k, L)
        if not ok:
            continue
        ssr[:] = 0.0
        for a in range(m):
            w = W[a]
            for b in range(B):
                ssr[b] += w * Qg[a, b]
        for i in range(k):
            zi = Z[i]
            zi[:] = 0.0
            for a in range(m):
                w = W[a]
                pa = Pg[a, i]
                for b in range(B):
                    zi[b] += w * pa[b]
            for j in range(i):
                lij = L[i, j]
                zj = Z[j]
                for b in range(B):
                    zi[b] -= lij * zj[b]
            d = 1.0 / L[i, i]
            for b in range(B):
                zi[b] *= d
                ssr[b] -= zi[b] * zi[b]
        for b in range(B):
            out[g, b] = (n - k) * np.log(max(ssr[b], 1e-300)) + ldr + ld
    return out


@jit
def _batch(U, p, Mg, Pg, Qg, n, k, out, W, A, Z, ssr, ldr, ok):
    """The REML criterion of each column b at its own candidate ``U[b]`` into ``out`` (B),
    column by column in the innermost loop (``Mg``: m x k x k, ``Pg``: m x k x B, ``Qg``:
    m x B; the other arguments are work arrays)."""
    m, B = Qg.shape
    w = np.empty(m)
    for b in range(B):
        ldr[b], ok[b] = _weights(U[b], p, w)
        W[:, b] = w
    for i in range(k):
        for j in range(i + 1):
            Aij = A[i, j]
            Aij[:] = 0.0
            for a in range(m):
                mij = Mg[a, i, j]
                wa = W[a]
                for b in range(B):
                    Aij[b] += mij * wa[b]
    ld = np.zeros(B)
    lo = np.full(B, np.inf)
    hi = np.zeros(B)
    for j in range(k):  # Cholesky in place, every column at once
        Ajj = A[j, j]
        for a in range(j):
            Aja = A[j, a]
            for b in range(B):
                Ajj[b] -= Aja[b] * Aja[b]
        for b in range(B):
            if not Ajj[b] > 0.0:
                ok[b] = False
                Ajj[b] = 1.0
            Ajj[b] = np.sqrt(Ajj[b])
            lo[b], hi[b] = min(lo[b], Ajj[b]), max(hi[b], Ajj[b])
            ld[b] += np.log(Ajj[b])
        for i in range(j + 1, k):
            Aij = A[i, j]
            for a in range(j):
                Aia, Aja = A[i, a], A[j, a]
                for b in range(B):
                    Aij[b] -= Aia[b] * Aja[b]
            for b in range(B):
                Aij[b] /= Ajj[b]
    for b in range(B):
        ssr[b] = 0.0
    for a in range(m):
        wa, qa = W[a], Qg[a]
        for b in range(B):
            ssr[b] += wa[b] * qa[b]
    for i in range(k):
        zi = Z[i]
        zi[:] = 0.0
        for a in range(m):
            wa, pa = W[a], Pg[a, i]
            for b in range(B):
                zi[b] += wa[b] * pa[b]
        for j in range(i):
            Aij, zj = A[i, j], Z[j]
            for b in range(B):
                zi[b] -= Aij[b] * zj[b]
        Aii = A[i, i]
        for b in range(B):
            zi[b] /= Aii[b]
            ssr[b] -= zi[b] * zi[b]
    for b in range(B):
        if ok[b] and (lo[b] / hi[b]) ** 2 > RANK_TOL:
            out[b] = (n - k) * np.log(max(ssr[b], 1e-300)) + ldr[b] + 2.0 * ld[b]
        else:
            out[b] = np.inf


@jit
def _parabola(grid, best, b, pts, p, h, val, offset):
    """The parabolic step along each axis from the grid values around the best point."""
    idx = np.empty(p, np.int64)
    if p == 1:
        idx[0] = best
    else:
        idx[0], idx[1] = best // pts, best % pts
    for d in range(p):
        inner = idx[d] > 0 and idx[d] < pts - 1
        lo, hi = idx.copy(), idx.copy()
        lo[d] = min(max(idx[d] - 1, 0), pts - 1)
        hi[d] = min(max(idx[d] + 1, 0), pts - 1)
        glo = lo[0] if p == 1 else lo[0] * pts + lo[1]
        ghi = hi[0] if p == 1 else hi[0] * pts + hi[1]
        f_lo, f_hi, v = grid[glo, b], grid[ghi, b], val
        finite = np.isfinite(f_lo) and np.isfinite(f_hi) and np.isfinite(v)
        if not finite:
            f_lo, f_hi, v = 0.0, 0.0, 0.0
        curv = f_lo - 2 * v + f_hi
        if inner and finite and curv > 0:
            offset[d] = 0.5 * h * (f_lo - f_hi) / curv
        else:
            offset[d] = 0.0
    return idx


@jit
def _search(Mg, Pg, Qg, n, k, p, pts, rounds, start_u, has_start):
    """:func:`arerrors.reml` for every column: returns the partial autocorrelations (B x p)
    and the minimised criterion (B)."""
    u_lo, u_hi = np.arctanh(R_MIN), np.arctanh(R_MAX)
    axis = np.linspace(u_lo, u_hi, pts)
    h = axis[1] - axis[0]
    M = np.ascontiguousarray(Mg.transpose(1, 2, 0))
    grid = _grid(M, Pg, Qg, n, k, p, axis)
    m, B = Qg.shape
    work = (np.empty((m, B)), np.empty((k, k, B)), np.empty((k, B)), np.empty(B))
    ldr, okw = np.empty(B), np.empty(B, np.bool_)
    U, val, c = np.empty((B, p)), np.empty(B), np.empty(B)
    cand = np.empty((B, p))
    off = np.empty(p)
    for b in range(B):
        best = 0
        for g in range(grid.shape[0]):
            if grid[g, b] < grid[best, b]:
                best = g
        val[b] = grid[best, b]
        idx = _parabola(grid, best, b, pts, p, h, val[b], off)
        for d in range(p):
            U[b, d] = axis[idx[d]]
            cand[b, d] = min(max(U[b, d] + off[d], u_lo), u_hi)
    _batch(cand, p, Mg, Pg, Qg, n, k, c, *work, ldr, okw)
    _keep(U, val, cand, c)
    if has_start:
        for b in range(B):
            cand[b] = start_u
        _batch(cand, p, Mg, Pg, Qg, n, k, c, *work, ldr, okw)
        _keep(U, val, cand, c)
    step = np.full(B, h / 2)
    bc, bcand = np.empty(B), np.empty((B, p))
    for _ in range(rounds):
        bc[:] = np.inf
        for s in range(2 * p):
            for b in range(B):
                for d in range(p):
                    e = 1.0 if s == d else (-1.0 if s == d + p else 0.0)
                    cand[b, d] = min(max(U[b, d] + step[b] * e, u_lo), u_hi)
            _batch(cand, p, Mg, Pg, Qg, n, k, c, *work, ldr, okw)
            _keep(bcand, bc, cand, c)
        for b in range(B):
            if bc[b] < val[b]:
                U[b] = bcand[b]
                val[b] = bc[b]
            else:
                step[b] = step[b] / 2
    return np.tanh(U), val


@jit
def _keep(U, val, cand, c):
    """Where ``c`` is below ``val``, take the candidate."""
    for b in range(val.shape[0]):
        if c[b] < val[b]:
            U[b] = cand[b]
            val[b] = c[b]


@jit
def _gls(M, P, Q, phi, n, k, p):
    """:func:`arerrors.gls` with one AR per column: beta (k x B), cov (B x k x k), ssr and
    the log determinant of the error correlation matrix (B)."""
    B = P.shape[0]
    m = (p + 1) ** 2 + p * p
    W = np.empty(m)
    beta = np.empty((k, B))
    cov = np.empty((B, k, k))
    ssr = np.empty(B)
    logdet = np.empty(B)
    L = np.zeros((k, k))
    xty = np.empty(k)
    Li = np.empty((k, k))
    for b in range(B):
        ldr, _ = _weights_phi(phi[b, 0], phi[b, 1] if p == 2 else 0.0, p, W)
        _factor(W, M, k, L)
        for i in range(k):
            s = 0.0
            for a in range(m):
                s += W[a] * P[b, i, a]
            xty[i] = s
        yty = 0.0
        for a in range(m):
            yty += W[a] * Q[b, a]
        # the inverse of the factor, then (X'X)^-1 = Li' Li
        for j in range(k):
            for i in range(k):
                if i < j:
                    Li[i, j] = 0.0
                    continue
                s = 1.0 if i == j else 0.0
                for a in range(j, i):
                    s -= L[i, a] * Li[a, j]
                Li[i, j] = s / L[i, i]
        bx = 0.0
        for i in range(k):
            for j in range(i + 1):
                s = 0.0
                for a in range(i, k):
                    s += Li[a, i] * Li[a, j]
                cov[b, i, j] = s
                cov[b, j, i] = s
        for i in range(k):
            s = 0.0
            for j in range(k):
                s += cov[b, i, j] * xty[j]
            beta[i, b] = s
            bx += s * xty[i]
        ssr[b] = max(yty - bx, 0.0)
        s2 = ssr[b] / max(n - k - p, 1)
        for i in range(k):
            for j in range(k):
                cov[b, i, j] *= s2
        logdet[b] = ldr
    return beta, cov, ssr, logdet


def _arrays(m: _Moments):
    """The moments as the kernels read them: M (k x k x m), P per column (B x k x m) and Q
    (B x m), and P (m x k x B) and Q (m x B) for the shared grid."""
    k = m.k
    M = np.ascontiguousarray(m.M.reshape(m.m, k, k).transpose(1, 2, 0))
    P = np.ascontiguousarray(m.P.transpose(2, 1, 0))
    Q = np.ascontiguousarray(m.Q.T)
    Mg = np.ascontiguousarray(m.M.reshape(m.m, k, k))
    return M, P, Q, Mg, np.ascontiguousarray(m.P), np.ascontiguousarray(m.Q)


def _pacf_to_phi(r: np.ndarray) -> np.ndarray:
    if r.shape[1] == 1:
        return r.copy()
    return np.stack([r[:, 0] - r[:, 1] * r[:, 0], r[:, 1]], axis=1)


def choose(X, Y, orders, fine: bool = False, start=None) -> tuple[GLSBatch, np.ndarray]:
    """:func:`arerrors._choose` by the compiled kernels (orders above 2: the numpy code)."""
    if max(orders) > 2:
        return _choose(X, Y, orders, fine=fine, start=start)
    n, k = X.shape
    best = None
    for q in orders:
        s0 = start if start is not None and len(start) == q else None
        mom = _Moments(X, Y, q)
        M, P, Q, Mg, Pg, Qg = _arrays(mom)
        pts = (FINE_POINTS.get(q) if fine else None) or GRID_POINTS.get(q, 7)
        su = np.arctanh(np.clip(s0, R_MIN, R_MAX)) if s0 is not None else np.zeros(q)
        r, crit = _search(Mg, Pg, Qg, n, k, q, pts, SEARCH_ROUNDS, su, s0 is not None)
        phi = _pacf_to_phi(r)
        bic = crit + q * np.log(n - k)
        beta, cov, ssr, logdet = _gls(M, P, Q, phi, n, k, q)
        f = GLSBatch(beta, cov, phi, ssr, logdet)
        if best is None:
            best, out, order = bic, f, np.full(Y.shape[1], q)
            continue
        pick = bic < best
        best, order = np.where(pick, bic, best), np.where(pick, q, order)
        width = max(q, out.phi.shape[1])
        pad = [np.pad(a, ((0, 0), (0, width - a.shape[1]))) for a in (f.phi, out.phi)]
        out = GLSBatch(
            beta=np.where(pick[None], f.beta, out.beta),
            cov=np.where(pick[:, None, None], f.cov, out.cov),
            phi=np.where(pick[:, None], *pad),
            ssr=np.where(pick, f.ssr, out.ssr),
            logdet=np.where(pick, f.logdet, out.logdet),
        )
    return out, order


def fit_ar_errors(X: np.ndarray, y: np.ndarray, order: int | None = 2, ar_max: int = 2) -> ARFit:
    """:func:`arerrors.fit_ar_errors` by the compiled kernels."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, k = X.shape
    if order is not None and order < 1:
        raise ValueError(f"the AR order of the errors must be 1 or more; got {order}")
    cap = max(1, (n - k) // 4)
    orders = (min(order, cap),) if order is not None else tuple(range(1, min(ar_max, cap) + 1))
    f, chosen = choose(X, y[:, None], orders, fine=True)
    p = int(chosen[0])
    return ARFit(
        p=p,
        beta=f.beta[:, 0],
        cov=f.cov[0],
        phi=f.phi[0, :p],
        sigma2=float(f.ssr[0] / max(n - k - p, 1)),
        loglik=float(loglik(f, n)[0]),
        orders=orders,
    )


def ar_bootstrap(X, y, fit: ARFit, reps: int = 499, seed: int = 20240101) -> BootstrapDraws:
    """:func:`arerrors.ar_bootstrap` by the compiled kernels (the same seeded draws)."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if reps < 99:
        raise ValueError(f"boot_reps must be at least 99; got {reps}")
    e = whiten((y - X @ fit.beta)[:, None], fit.phi)[:, 0]
    rng = np.random.default_rng(seed)
    U = _simulate(fit.phi, bootstrap_innovations(e, fit.sigma2), len(X), reps, rng)
    draws, _ = choose(X, U, fit.orders, start=ar_to_pacf(fit.phi))
    return BootstrapDraws(
        delta=draws.beta,
        covs=np.moveaxis(draws.cov, 0, -1),
        ar=fit.phi,
        reps=reps,
        seed=seed,
        roots=max_root(draws.phi),
    )
