"""One treated unit against a donor pool: synthetic difference-in-differences (SDID), synthetic
control (SC) and difference-in-differences (DID) in one framework (Arkhangelsky, Athey,
Hirshberg, Imbens & Wager 2021, AER 111(12):4088-4118, Algorithm 1).

The weights follow the R package ``synthdid`` (``synthdid_estimate``, ``sc_estimate``,
``did_estimate``): Frank-Wolfe with exact line search on the collapsed panel, unit weights
ridge-penalised by ``zeta = (N1 T1)^(1/4) sigma`` for SDID and ``1e-6 sigma`` for SC (no
intercept, no time weights), with ``sigma`` the sd of the donors' pre-period first
differences, and a second round from the sparsified first solution. ``tests/designs/test_synthetic.py`` reproduces the paper's
California Proposition 99 estimates (Table 1) with them.

Inference, for a single treated unit:

* ``se``: the placebo standard error (their Algorithm 4): the estimator re-run with a donor
  as if treated; by default every donor once (with one treated unit, close to the limit of
  synthdid's 200 random draws without their Monte Carlo noise: each donor is refitted from
  uniform starting weights, where synthdid starts from the original ones; on Proposition 99
  the two agree to three digits), or ``reps`` seeded random draws exactly as synthdid;
* ``placebo_p``: placebo in space (Abadie, Diamond & Hainmueller 2010): every donor in turn
  as the treated unit against the other donors, the treated unit's ratio of post- to
  pre-period RMSPE ranked among all of them (the treated unit counted); with
  ``max_pre_rmspe_ratio = k``, placebos whose pre-period MSPE is more than k times the
  treated unit's are left out (ADH show k = 20, 5, 2). The smallest attainable p-value is
  1/(donors + 1) (``min_p``); an undefined ratio (a perfect pre-period fit) gives no p-value;
* these references assume the donors are exchangeable with the treated unit: on counts,
  forces of very different sizes are not, so rates are the primary scale;
* ``mde``: the minimum detectable effect at 5% (two-sided) with 80% power,
  ``(1.96 + 0.84) se``, so a null result is read against what the data could have shown.

The spec is the package's :class:`~rasso_research.its.ITSSpec`: ``outcome``, ``time``,
``group`` (the unit column), ``treated`` (the treated unit) and the focus interruption (the
first period treated).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rasso_research.constants import FOCUS, SYNTHETIC_METHODS, Z_80, Z_975
from rasso_research.its import Interruption, ITSSpec

from .base import DesignResult, focus_index

METHODS = tuple(SYNTHETIC_METHODS)
#: z_{0.975} + z_{0.80}: a true effect this many placebo SEs away is found 80% of the time
MDE_FACTOR = Z_975 + Z_80
#: fewest pre-periods each method needs: SC and SDID fit weights to the pre-period
MIN_PRE_PERIODS = {"sdid": 2, "sc": 2, "did": 2}


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


def _rmspe(Y: np.ndarray, N0: int, T0: int, w: Weights, method: str) -> tuple[float, float]:
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
        pre, post = _rmspe(Ys[j], N0 - 1, T0, Weights(w.omega[j], w.lam[j]), method)
        rows.append((j, taus[j], pre, post))
    tau, wt = treated if treated is not None else estimate(Y, N0, T0, method)
    pre, post = _rmspe(Y, N0, T0, wt, method)
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


# ---- the panel --------------------------------------------------------------------------
@dataclass
class PanelMatrix:
    """Outcome matrix with the donors first and the treated unit last."""

    Y: np.ndarray
    units: list[str]
    times: list
    N0: int
    T0: int


def panel_matrix(
    data: pd.DataFrame,
    spec: ITSSpec,
    donors: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    min_pre: int | None = None,
    method: str = "sdid",
) -> PanelMatrix:
    """The balanced unit x time matrix of ``spec.outcome``: donors (``donors``, else every
    other unit, less ``exclude``) first, ``spec.treated`` last; columns before the focus
    interruption are the pre-period. Units with a missing value in any period are refused
    by name (a synthetic control cannot be fitted on a gap)."""
    unit, time, y = spec.group, spec.time, spec.outcome
    for c in (unit, time, y):
        if c not in data.columns:
            raise SyntheticInputError(f"column {c!r} not in the data ({list(data.columns)})")
    treated = spec.treated
    units = sorted(data[unit].dropna().unique().tolist())
    if treated not in units:
        raise SyntheticInputError(f"treated unit {treated!r} not in column {unit!r}")
    pool = [u for u in (donors if donors is not None else units) if u != treated]
    unknown = sorted(set(pool) - set(units)) + sorted(set(exclude) - set(units))
    if unknown:
        raise SyntheticInputError(f"unknown donor(s) {unknown}; units are {units}")
    pool = [u for u in pool if u not in set(exclude)]
    if not pool:
        raise SyntheticInputError(f"empty donor pool for {treated!r}")
    dup = data.duplicated([unit, time])
    if dup.any():
        eg = data.loc[dup, [unit, time]].iloc[0].tolist()
        raise SyntheticInputError(f"{int(dup.sum())} duplicated {unit} x {time} rows (e.g. {eg})")
    wide = data.pivot(index=unit, columns=time, values=y)
    wide = wide.reindex([*pool, treated])
    gaps = wide.index[wide.isna().any(axis=1)].tolist()
    if gaps:
        raise SyntheticInputError(
            f"{y!r}: missing values for {gaps} in some of {list(wide.columns)}; drop those "
            "units (exclude=) or the periods"
        )
    i = focus_index(spec)
    if i is None:
        raise SyntheticInputError(f"the spec has no {FOCUS!r} interruption (use designs.at)")
    at = spec.interruptions[i].at
    times = list(wide.columns)
    T0 = _count_before(times, at)
    need = min_pre if min_pre is not None else MIN_PRE_PERIODS[method]
    if T0 < need:
        raise SyntheticInputError(
            f"{treated}: {T0} period(s) before {at} in {times[0]}..{times[-1]}; {method} needs "
            f"at least {need}"
        )
    if T0 == len(times):
        raise SyntheticInputError(f"no period from {at} on in {times[0]}..{times[-1]}")
    return PanelMatrix(wide.to_numpy(float), [*pool, treated], times, len(pool), T0)


def _numeric(times: Sequence) -> bool:
    return all(isinstance(t, int | float | np.integer | np.floating) for t in times)


def _count_before(times: Sequence, at) -> int:
    """How many of the (sorted) periods come before ``at``, compared in the periods' own type:
    numbers, pandas Periods, dates, or labels of one fixed format such as '2018/19'."""
    try:
        if _numeric(times):
            key = float(at)
        elif all(isinstance(t, pd.Period) for t in times):
            key = pd.Period(str(at), freq=times[0].freq)
        elif all(isinstance(t, pd.Timestamp | np.datetime64) for t in times):
            key = pd.Timestamp(at)
        else:
            labels = [str(t) for t in times]
            key = str(at)
            if len({len(x) for x in labels} | {len(key)}) > 1:
                raise ValueError(f"period labels of different formats ({labels[0]!r}, {key!r})")
            return sum(1 for x in labels if x < key)
    except (TypeError, ValueError) as exc:
        raise SyntheticInputError(
            f"the date {at!r} cannot be compared with the periods {times[0]!r}..{times[-1]!r} "
            f"({exc})"
        ) from exc
    return sum(1 for t in times if t < key)


# ---- the design -------------------------------------------------------------------------
@dataclass
class SyntheticComparison(DesignResult):
    """SDID, SC and DID for one treated unit (see the module docstring)."""

    panel: PanelMatrix
    spec: ITSSpec
    label: str = ""
    methods: tuple[str, ...] = METHODS
    reps: int | None = None
    seed: int = 0
    max_pre_rmspe_ratio: float | None = None
    fits: dict = field(default_factory=dict)
    placebos: dict = field(default_factory=dict)

    def __post_init__(self):
        p = self.panel
        one = p.Y.shape[0] - p.N0 == 1
        for m in self.methods:
            tau, w = estimate(p.Y, p.N0, p.T0, m)
            self.placebos[m] = ps = placebo_space(p.Y, p.N0, p.T0, m, treated=(tau, w))
            if self.reps is None and one:
                se = enumerated_se(ps)
            else:
                se = placebo_se(p.Y, p.N0, p.T0, m, w, self.reps or 200, self.seed)
            self.fits[m] = (tau, w, se)

    def effects(self) -> pd.DataFrame:
        """One row per method: the average effect over the post-period, its placebo SE, 95%
        CI (normal), placebo-in-space p-value, MDE, pre-period RMSPE and sizes."""
        p = self.panel
        rows = []
        for m, (tau, w, se) in self.fits.items():
            pv, n_pl = placebo_p(self.placebos[m], self.max_pre_rmspe_ratio)
            pre, _ = _rmspe(p.Y, p.N0, p.T0, w, m)
            rows.append(
                {
                    "series": self.label,
                    "treated": p.units[-1],
                    "method": m,
                    "estimate": tau,
                    "se": se,
                    "ci_low": tau - Z_975 * se,
                    "ci_high": tau + Z_975 * se,
                    "placebo_p": pv,
                    "n_placebos": n_pl,
                    "min_p": 1 / (n_pl + 1),
                    "mde": MDE_FACTOR * se,
                    "pre_rmspe": pre,
                    "n_donors": p.N0,
                    "n_pre": p.T0,
                    "n_post": len(p.times) - p.T0,
                }
            )
        return pd.DataFrame(rows)

    def weights(self) -> pd.DataFrame:
        """Donor weights by method (long: donor, method, weight), largest first."""
        rows = [
            {"series": self.label, "donor": u, "method": m, "weight": float(wt)}
            for m, (_t, w, _s) in self.fits.items()
            for u, wt in zip(self.panel.units[:-1], w.omega, strict=True)
        ]
        out = pd.DataFrame(rows)
        return out.sort_values(["method", "weight"], ascending=[True, False]).reset_index(drop=True)

    def table(self) -> pd.DataFrame:
        return self.weights()

    def paths(self) -> pd.DataFrame:
        """Per period and method: the treated unit, its synthetic counterpart and the gap."""
        p = self.panel
        treated = p.Y[p.N0 :].mean(axis=0)
        rows = []
        for m, (_t, w, _s) in self.fits.items():
            synth = synthetic_path(p.Y, p.N0, p.T0, w, m)
            for i, t in enumerate(p.times):
                rows.append(
                    {
                        "series": self.label,
                        "method": m,
                        "period": str(t),
                        "post": i >= p.T0,
                        "treated": treated[i],
                        "synthetic": synth[i],
                        "gap": treated[i] - synth[i],
                    }
                )
        return pd.DataFrame(rows)

    def placebo_table(self) -> pd.DataFrame:
        """The placebo-in-space runs of every method (unit, effect, RMSPEs, ratio)."""
        units = self.panel.units
        parts = [
            ps.assign(series=self.label, method=m, unit=[units[i] for i in ps["row"]])
            for m, ps in self.placebos.items()
        ]
        out = pd.concat(parts, ignore_index=True).drop(columns="row")
        out["is_treated"] = out["unit"] == units[-1]
        return out[
            ["series", "method", "unit", "is_treated", "effect", "pre_rmspe", "post_rmspe", "ratio"]
        ]

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "effects": self.effects(),
            "weights": self.weights(),
            "paths": self.paths(),
            "placebo": self.placebo_table(),
        }

    def describe(self) -> str:
        from rasso_research.report.text import describe_synthetic

        return describe_synthetic(self.effects())

    def plot(self, method: str = "sdid", **kw):
        from rasso_research.plots.figures import plot_synthetic

        return plot_synthetic(self.paths(), self.placebo_table(), method, **kw)


def fit_synthetic(
    data: pd.DataFrame,
    spec: ITSSpec,
    label: str = "",
    donors: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    methods: Sequence[str] = METHODS,
    reps: int | None = None,
    seed: int = 0,
    max_pre_rmspe_ratio: float | None = None,
) -> SyntheticComparison:
    """SDID, SC and DID of ``spec.treated`` against the donor pool on ``data`` (long: unit,
    time, outcome columns named by the spec). Standard errors: every donor once as the
    pseudo-treated unit (``reps=None``), or synthdid's ``reps`` seeded random draws."""
    need = max(MIN_PRE_PERIODS[m] for m in methods)
    pm = panel_matrix(data, spec, donors, exclude, min_pre=need, method=methods[0])
    return SyntheticComparison(pm, spec, label, tuple(methods), reps, seed, max_pre_rmspe_ratio)


# ---- one force against the others on the annual offence-group outcomes ------------------------
ANNUAL_MEASURES = {
    "charged_closed": "charges (closed in the year)",
    "charged_cohort": "charges (offences recorded in the year)",
}


@dataclass
class ForceYearComparison(DesignResult):
    """One force against the other forces on annual outcomes by offence group: the target
    group(s) and negative-control groups, each measure, counts and rates per 100,000."""

    force: str
    first_year: str
    fits: dict  # label -> SyntheticComparison
    info: pd.DataFrame  # label -> offence_group, measure, rate, role, dropped donors
    events: dict = field(default_factory=dict)  # label -> EventStudy
    transition: tuple = ()  # part-exposed years left out

    def _cat(self, results: dict, method: str, role: bool = True) -> pd.DataFrame:
        """One table of ``method`` over every series' result, with its role columns."""
        parts = [getattr(r, method)() for r in results.values()]
        if not parts:
            return pd.DataFrame()
        out = pd.concat(parts, ignore_index=True)
        return self.info[["series", "role"]].merge(out, on="series") if role else out

    def effects(self) -> pd.DataFrame:
        """Every series x method estimate, with the series' group, measure, scale, role and
        the donors dropped for gaps."""
        parts = [f.effects() for f in self.fits.values()]
        if not parts:
            return pd.DataFrame()
        return self.info.merge(pd.concat(parts, ignore_index=True), on="series")

    def table(self) -> pd.DataFrame:
        return self.effects()

    def weights(self) -> pd.DataFrame:
        return self._cat(self.fits, "weights", role=False)

    def event_effects(self) -> pd.DataFrame:
        """The event-study coefficients of every series (with its role)."""
        return self._cat(self.events, "effects")

    def event_summary(self) -> pd.DataFrame:
        return self._cat(self.events, "summary")

    def pretrend(self) -> pd.DataFrame:
        return self._cat(self.events, "pretrend")

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "effects": self.effects(),
            "weights": self.weights(),
            "paths": self._cat(self.fits, "paths", role=False),
            "placebo": self._cat(self.fits, "placebo_table", role=False),
            "event_study": self.event_effects(),
            "pretrend": self.pretrend(),
            "event_summary": self.event_summary(),
        }

    def describe(self) -> str:
        from rasso_research.report.text import describe_force_year

        text = describe_force_year(self.effects(), self.force, self.first_year)
        targets = self.info.loc[self.info["role"] == "target", "series"]
        return "\n\n".join([text, *(self.events[t].describe() for t in targets)])

    def plot(self, label: str, method: str = "sdid", **kw):
        """The synthetic comparison of one series (``method="event"``: its event study)."""
        left_out = (
            f" ({', '.join(self.transition)} left out: part-exposed)" if self.transition else ""
        )
        kw.setdefault("xlabel", f"Financial year{left_out}")
        if method == "event":
            e = self.events[label]
            ref = e.panel.times[e.panel.T0 + e.ref]
            unit = " per 100,000" if label.endswith("per 100,000") else ""
            ylabel = f"Difference from the other forces{unit}, relative to {ref}"
            return e.plot(ylabel=ylabel, title=label, **kw)
        return self.fits[label].plot(method, ylabel=label, **kw)


def compare_force_year(
    fy: pd.DataFrame,
    force: str,
    first_year: str,
    groups: Sequence[str] = ("Sexual offences",),
    negative_controls: Sequence[str] = (),
    measures: Sequence[str] = tuple(ANNUAL_MEASURES),
    rates: Sequence[bool] = (True, False),
    transition: Sequence[str] = (),
    end: str | None = None,
    exclude: Iterable[str] = (),
    methods: Sequence[str] = METHODS,
    negative_rates: Sequence[bool] | None = None,
    max_pre_rmspe_ratio: float | None = None,
) -> ForceYearComparison:
    """SDID, SC and DID of ``force`` against every other force (less ``exclude``) on the
    annual table :func:`rasso_research.data.series.load_force_year`, ``first_year`` the first
    treated financial year; ``transition`` years (part-exposed) are left out; donors with a
    missing or flagged value in any year are dropped and listed (``info.dropped_donors``).
    ``rates``: per 100,000 (True) and/or counts (False) for the target groups;
    ``negative_rates`` the same for the negative controls (default: as ``rates``);
    ``max_pre_rmspe_ratio``: ADH's exclusion of poorly fitted placebos."""
    from rasso_research.data.series import force_year_series, unknown

    forces_known = sorted(fy.loc[fy["geography"] == "force", "force"].unique())
    for f in [force, *exclude]:
        if f not in forces_known:
            raise unknown("force", f, forces_known)
    years = sorted(fy["fiscal_year"].unique())
    if first_year not in years:
        raise SyntheticInputError(
            f"first treated year {first_year!r} not in the data ({years[0]} to {years[-1]})"
        )
    spec = ITSSpec(
        "value", "fiscal_year", [Interruption(FOCUS, first_year)], group="force", treated=force
    )
    from .event_study import fit_event_study

    fits, events, info = {}, {}, []
    neg_rates = rates if negative_rates is None else negative_rates
    for role, gs, rs in (
        ("target", groups, rates),
        ("negative control", negative_controls, neg_rates),
    ):
        for g in gs:
            for m in measures:
                for rate in rs:
                    s = force_year_series(fy, m, g, rate=rate, end=end)
                    s = s[~s["fiscal_year"].isin(list(transition))]
                    label = f"{g}: {ANNUAL_MEASURES.get(m, m)}{' per 100,000' if rate else ''}"
                    full = s["fiscal_year"].nunique()
                    n = s.dropna(subset=["value"]).groupby("force")["fiscal_year"].nunique()
                    short = sorted(set(n.index[n < full]) | (set(forces_known) - set(n.index)))
                    if force in short:
                        raise SyntheticInputError(
                            f"{force}: {label} is missing or flagged in some year of "
                            f"{s['fiscal_year'].min()}..{s['fiscal_year'].max()}"
                        )
                    drop = sorted(set(short) | (set(exclude) & set(forces_known)))
                    data = s.dropna(subset=["value"])
                    fits[label] = fit_synthetic(
                        data,
                        spec,
                        label,
                        exclude=drop,
                        methods=methods,
                        max_pre_rmspe_ratio=max_pre_rmspe_ratio,
                    )
                    events[label] = fit_event_study(data, spec, label, exclude=drop)
                    info.append(
                        {
                            "series": label,
                            "offence_group": g,
                            "measure": m,
                            "per_100k": rate,
                            "role": role,
                            "dropped_donors": "; ".join(d for d in drop if d not in exclude),
                        }
                    )
    return ForceYearComparison(
        force, first_year, fits, pd.DataFrame(info), events, tuple(transition)
    )
