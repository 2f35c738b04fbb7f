"""The view of the specification curve (:mod:`rasso_research.designs.spec_curve`): its
summary, significance per inference method, the not-estimable specifications and the variance
decomposition in words (every count from the table it summarises), and the curve figure: a
facet per inference method, the not-estimable specifications as crosses by reason, and the
date curve."""

from __future__ import annotations

import textwrap

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rasso_research.designs.spec_curve import (
    ERRORS,
    MODELS,
    UNDEFINED,
    by_method,
    inference,
    reason,
)
from rasso_research.report.format import fmt_num, fmt_pct

from .style import OKABE_ITO, RC, figsize, panel_letters

#: The coverage of nominal 95% Newey-West intervals in the package's simulations (the
#: "Coverage" tables of docs/METHODS.md; a test checks that METHODS still says so).
NEWEY_WEST_COVERAGE = "0.55-0.88"
#: The package's default inference method (``spec_curve.ERRORS``), which the text leads with.
DEFAULT_ERRORS = ERRORS["AR"]


def describe_curve(
    summary: pd.DataFrame,
    variance: pd.DataFrame | None = None,
    dates: pd.DataFrame | None = None,
    methods: pd.DataFrame | None = None,
    reasons: pd.DataFrame | None = None,
) -> str:
    """Markdown: the specification-curve summary (:func:`summarise_curve`) in words; with
    ``methods`` (:func:`by_method`), significance per inference method (:func:`describe_methods`)
    instead of a share pooled over methods; with ``reasons`` (:func:`not_estimable_reasons`),
    which specifications are not estimable and why (:func:`describe_not_estimable`); the choice
    that moves the estimate most (:func:`variance_decomposition`) and the date curve's range."""
    r = summary.iloc[0]
    neg = float(r["share_negative"])
    if neg >= 0.9 or neg <= 0.1:
        sign = f"The sign is stable ({fmt_num(100 * max(neg, 1 - neg))}% of estimates agree)"
    else:
        sign = f"The sign is not stable ({fmt_num(100 * neg)}% of estimates are negative)"
    failed = int(r["specs"]) - int(r["fitted"])
    out = f"{int(r['fitted'])} of {int(r['specs'])} specifications fitted"
    if failed and reasons is None:
        out += f" ({failed} not estimated" + (
            f"; {int(r['undefined'])} of them have no relative change: the counterfactual is "
            "not bounded away from zero)"
            if r.get("undefined", 0)
            else ")"
        )
    if int(r["fitted"]):
        out += (
            f"; median {fmt_pct(r['median_pct'])}, range {fmt_pct(r['min_pct'])} to "
            f"{fmt_pct(r['max_pct'])}. **{sign}.**"
        )
    else:
        out += "."
    if methods is not None and len(methods):
        out += " " + describe_methods(methods)
    elif int(r["fitted"]):
        sig = float(r["share_ci_excludes_0"])
        out += (
            f" {fmt_num(100 * sig)}% of the fitted specifications have a CI excluding zero "
            "(pooled over the inference methods, which differ: see `by_method`)."
        )
    if reasons is not None and failed:
        out += " " + describe_not_estimable(reasons, methods)
    if variance is not None and len(variance) > 1:
        top = variance.iloc[0]
        out += (
            f" The choice that moves the estimate most is `{top['choice']}` "
            f"({top['meaning']}): {fmt_num(top['share_pct'], 2)}% of the variance of the log "
            f"effect ratio, its levels' mean effects {fmt_num(top['range_pct'], 2)} points apart; "
            f"interactions leave {fmt_num(variance.iloc[-1]['share_pct'], 2)}%."
        )
    if dates is not None and len(dates) and dates["ok"].any():
        d = dates[dates["ok"]]
        sig = int(d["significant"].sum())
        out += (
            f" Moving the date by {int(d['shift'].min())} to {int(d['shift'].max())} quarters "
            f"(a different estimand: the change at another quarter) gives "
            f"{fmt_pct(d['estimate'].min())} to {fmt_pct(d['estimate'].max())}, {sig} of "
            f"{len(d)} with a CI excluding zero."
        )
    return out


def _k_of_n(row) -> str:
    return f"{int(row['significant'])} of {int(row['fitted'])}"


def describe_methods(methods: pd.DataFrame) -> str:
    """Markdown: per inference method (:func:`by_method`), how many fitted specifications
    have a CI excluding zero (each family in brackets); what that supports under the default
    method (AR errors, bootstrap); and that Newey-West intervals under-cover (METHODS)."""
    rows = methods[methods["family"] == "all"].set_index("errors")
    fams = methods[methods["family"] != "all"]
    parts = []
    for errors, r in rows.iterrows():
        f = fams[fams["errors"] == errors]
        each = ", ".join(f"{x['family']} {_k_of_n(x)}" for _, x in f.iterrows())
        name = "AR-errors bootstrap" if errors == DEFAULT_ERRORS else errors
        pct = f"{fmt_num(100 * r['share_significant'])}%; " if r["fitted"] else ""
        parts.append(
            f"{_k_of_n(r)} fitted specifications with {name} intervals exclude zero ({pct}{each})"
        )
    out = "**By inference method:** " + "; ".join(parts) + "."
    fitted = rows["fitted"] > 0
    if fitted.get(DEFAULT_ERRORS, False):
        d = rows.loc[DEFAULT_ERRORS]
        share = float(d["share_significant"])
        if share >= 0.9:
            verdict = "significance survives the analyst's choices"
        elif share >= 0.5:
            verdict = "significance survives most, not all, of the analyst's choices"
        else:
            verdict = "significance does not survive the analyst's choices"
        out += (
            f" Under the default method (AR(2) errors with percentile-t bootstrap intervals), "
            f"{_k_of_n(d)} ({fmt_num(100 * share)}%) exclude zero: **{verdict}.**"
        )
    nw = ERRORS["HAC"]
    if fitted.get(nw, False):
        n = rows.loc[nw]
        out += (
            f" Newey-West intervals under-cover in series this short (nominal 95% intervals "
            f"covered the true change {NEWEY_WEST_COVERAGE} of the time in the package's "
            f"simulations, docs/METHODS.md), so the {_k_of_n(n)} Newey-West specifications "
            "that exclude zero are weaker evidence than their share suggests."
        )
    return out


def describe_not_estimable(reasons: pd.DataFrame, methods: pd.DataFrame | None = None) -> str:
    """Markdown: how many specifications are not estimable (:func:`not_estimable_reasons`),
    how many of them are OLS, by errors, the share of each family left out (``methods``:
    :func:`by_method`) and the reasons, each with its count."""
    n = int(reasons["specs"].sum())
    if n == 0:
        return ""
    fam = reasons.groupby("family", sort=False)["specs"].sum()
    ols = int(fam.get("OLS", 0))
    who = "all of them OLS" if ols == n else f"{ols} of them OLS"
    by_err = reasons[reasons["family"] == "OLS"].groupby("errors", sort=False)["specs"].sum()
    who += " (" + " and ".join(f"{int(k)} with {e.split(' (')[0]}" for e, k in by_err.items())
    who += ")"
    total = ""
    if methods is not None:
        m = methods[methods["family"] != "all"].groupby("family", sort=False)[["specs"]].sum()
        total = f" of {int(methods.loc[methods['family'] == 'all', 'specs'].sum())}"
        left = [
            f"{int(fam.get(f, 0))} of the {int(m.loc[f, 'specs'])} {f} specifications"
            for f in m.index
        ]
        who += "; that is " + " and ".join(left)
    why = reasons.groupby("reason", sort=False)["specs"].sum()
    because = "; ".join(f"{int(k)}: {r.removeprefix(UNDEFINED + ': ')}" for r, k in why.items())
    out = (
        f"**{n}{total} specifications are not estimable**, {who}. The relative change is "
        f"undefined where the counterfactual is not bounded away from zero ({because})."
    )
    if ols == n:
        out += (
            " A quasi-Poisson counterfactual (log link) is always above zero, a linear one"
            " need not be: the specifications left out are not a random subset, and the"
            " fitted curve under-represents OLS."
        )
    return out


def plot_spec_curve(
    curve: pd.DataFrame,
    title: str | None = None,
    width: str = "two",
    ylabel: str = "Change at interruption (%)",
    dates: pd.DataFrame | None = None,
    default_id: int | None = None,
):
    """Specification-curve figure, one facet per inference method (the errors part of the
    ``model`` choice: AR errors with bootstrap intervals, Newey-West), side by side at two
    columns and one above the other at one column. Each facet: the fitted specifications
    sorted by estimate with their CIs (red where the CI excludes 0), on a ratio (log) scale
    labelled in %, its count of significant ones in the title, then the not-estimable ones as
    crosses in a shaded strip at the right, one marker per reason; the choices below. With
    ``dates``, the date curve (interruption moved, a different estimand) in a panel of its own
    on the right, on the same scale. A curve without known models is one facet. The default
    specification (``default_id``, else :func:`default_spec` from ``dates``) is ringed, with
    a dotted line down through its choices; the median is a dotted green line over the zero
    line, which is drawn beneath everything; each facet's title counts its not-estimable
    specifications; the panels are lettered."""
    if default_id is None:
        default_id = default_spec(curve, dates)
    with mpl.rc_context({**RC, "font.size": FONT, "xtick.labelsize": FONT}):
        return _plot_spec_curve(curve, title, width, ylabel, dates, default_id)


#: the smallest text of the figure (pt, at print size)
FONT = 7
#: markers of the not-estimable specifications, one per reason, in the order reasons appear
REASON_MARKERS = ("x", "+", "1", "*")
#: the ``gid`` of the not-estimable crosses (so a test or an SVG can find them)
NOT_ESTIMABLE_GID = "not-estimable"
#: the ``gid`` of the default specification's ring
DEFAULT_GID = "default-spec"
#: the median line: dotted green, over the zero line drawn beneath it in solid black
MEDIAN_STYLE = {"color": OKABE_ITO["bluish_green"], "lw": 1.0, "ls": (0, (1.5, 1.5))}
#: the default specification: a black ring round its estimate
DEFAULT_STYLE = {"marker": "o", "ms": 6, "mfc": "none", "mec": "black", "mew": 0.9, "ls": "none"}


def _as_text(s: pd.Series) -> pd.Series:
    """Values as text, a missing value as "" (so two missing values compare equal)."""
    return s.map(lambda v: "" if pd.isna(v) else str(v))


def default_spec(curve: pd.DataFrame, dates: pd.DataFrame | None) -> int | None:
    """The ``spec_id`` of the analysis default in ``curve``: the specification with every
    choice of the date curve's unmoved row (``shift`` 0; the date curve runs every choice at
    its default), or None without a date curve or a match."""
    if dates is None or not len(dates) or "shift" not in dates or "spec_id" not in curve:
        return None
    row = dates[dates["shift"] == 0]
    if row.empty:
        return None
    cols = [c for c in CHOICE_LABELS if c != "shift" and c in curve and c in row]
    m = np.ones(len(curve), bool)
    for c in cols:
        m &= (_as_text(curve[c]) == _as_text(row[c]).iloc[0]).to_numpy()
    return int(curve.loc[m, "spec_id"].iloc[0]) if m.sum() == 1 else None


def _ratio(pct):
    """% change as an effect ratio, floored just above 0 for the log axis."""
    return np.maximum(1 + np.asarray(pct, dtype=float) / 100, 1e-3)


def _pct_axis(ax, lo: float, hi: float) -> None:
    """A log axis of effect ratios between ``lo`` and ``hi``, ticks labelled as % change."""
    ax.set_yscale("log")
    ax.set_ylim(lo, hi)
    cands = np.array([-90, -75, -50, -25, 0, 25, 50, 100, 200, 400, 900])
    if hi / lo > 6:  # a wide axis: +-25% would crowd the ticks next to them
        cands = cands[np.abs(cands) != 25]
    ticks = [1 + c / 100 for c in cands if lo <= 1 + c / 100 <= hi]
    ax.yaxis.set_major_locator(mpl.ticker.FixedLocator(ticks))
    ax.yaxis.set_minor_locator(mpl.ticker.NullLocator())
    ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{100 * (v - 1):+.0f}%"))


def _intervals(ax, x, ok, lo, hi, col):
    low = np.clip(_ratio(ok["ci_low"]), lo, hi)
    high = np.clip(_ratio(ok["ci_high"]), lo, hi)
    ax.vlines(x, low, high, colors=col, lw=0.6, alpha=0.6)
    cut_lo, cut_hi = _ratio(ok["ci_low"]) < lo, _ratio(ok["ci_high"]) > hi
    ax.scatter(x[cut_lo], np.full(cut_lo.sum(), lo), marker="v", s=5, c=col[cut_lo], lw=0)
    ax.scatter(x[cut_hi], np.full(cut_hi.sum(), hi), marker="^", s=5, c=col[cut_hi], lw=0)
    ax.scatter(x, _ratio(ok["estimate"]), c=col, s=6, zorder=3)
    ax.axhline(1, color="black", lw=0.7, zorder=0.5)  # zero: beneath everything drawn


def _marker(ls="none", **kw):
    return mpl.lines.Line2D([], [], ls=ls, **kw)


def _curve_handles(reasons: list[str], default: bool = True) -> list:
    """Legend entries: significant and not, the median over the zero line, the default
    specification (where ``default``), a CI beyond the axis, and one cross per reason a
    specification is not estimable."""
    grey = "#7f7f7f"
    out = [
        _marker(marker="o", ms=3, color=OKABE_ITO["vermillion"], label="95% CI excludes 0"),
        _marker(marker="o", ms=3, color=grey, label="95% CI includes 0"),
        _marker(label="median of the panel", **MEDIAN_STYLE),
        _marker(label="zero (no change)", color="black", lw=0.7, ls="-"),
        *([_marker(label="default specification", **DEFAULT_STYLE)] if default else []),
        _marker(marker="^", ms=3, color=grey, label="CI beyond the axis"),
    ]
    for r, m in zip(reasons, REASON_MARKERS, strict=False):
        label = "not estimable: " + r.removeprefix(UNDEFINED + ": ")
        out.append(_marker(marker=m, ms=4, mew=0.8, color="black", label=label))
    return out


def _reasons(d: pd.DataFrame) -> pd.Series:
    """Why each specification of ``d`` is not estimable (:func:`spec_curve.reason`)."""
    err = d["error"] if "error" in d else pd.Series("", d.index)
    cf = d["counterfactual"] if "counterfactual" in d else pd.Series(np.nan, d.index)
    return pd.Series([reason(e, x) for e, x in zip(err, cf, strict=True)], d.index, dtype=str)


def _facets(curve: pd.DataFrame) -> list[tuple[str | None, pd.DataFrame]]:
    """(inference method, its rows: the fitted sorted by estimate, then the not-estimable by
    reason, with ``x`` positions and ``reason``) of each method in the curve; one facet
    without a label where the curve's models are not :data:`MODELS`."""
    c = curve.copy()
    c["ok"] = c["ok"].astype(bool)
    known = "model" in c and c["model"].isin(list(MODELS)).all()
    groups = [(None, c)]
    if known:
        c = inference(c).drop(columns="model")
        groups = [(e, c[c["errors"] == e]) for e in ERRORS.values() if (c["errors"] == e).any()]
    n = max(len(d) for _, d in groups)
    gap = max(2, round(0.03 * n))  # the strip of not-estimable ones stands apart
    out = []
    for label, d in groups:
        ok = d[d["ok"]].sort_values("estimate", kind="stable")
        bad = d[~d["ok"]].assign(reason=_reasons(d[~d["ok"]]))
        bad = bad.sort_values(["reason", "spec_id"] if "spec_id" in bad else "reason")
        x = np.r_[np.arange(len(ok)), len(ok) + gap + np.arange(len(bad))]
        f = pd.concat([ok.assign(reason=""), bad]).assign(x=x.astype(float))
        out.append((label, f.reset_index(drop=True)))
    return out


def _choice_rows(axc, d: pd.DataFrame, levels, labels: bool) -> None:
    """The lower panel: one row per choice and level, a mark under each specification."""
    x = d["x"].to_numpy()
    for i, (c, v) in enumerate(levels):
        m = (d[c].astype(str) == str(v)).to_numpy()
        axc.scatter(x[m], np.full(m.sum(), i), marker="|", s=10, color="black", lw=0.6)
    axc.set_yticks(range(len(levels)))
    axc.set_yticklabels(
        [textwrap.shorten(choice_label(c, v), 40) for c, v in levels], fontsize=FONT
    )
    axc.tick_params(axis="y", labelleft=labels, length=2 if labels else 0)
    axc.set_ylim(len(levels) - 0.5, -0.5)
    axc.set_xlabel("Specification (sorted by estimate)")


def _not_estimable_marks(ax, axc, d: pd.DataFrame, reasons: list[str], lo, hi) -> None:
    """The not-estimable specifications of a facet: a shaded strip at its right, a cross per
    specification near the bottom of the estimate panel (one marker per reason)."""
    bad = d[~d["ok"]]
    if bad.empty:
        return
    x0, x1 = bad["x"].min() - 0.5, bad["x"].max() + 0.5
    for a in (ax, axc):
        a.axvspan(x0, x1, color="#ececec", lw=0, zorder=0)
    for k, (r, m) in enumerate(zip(reasons, REASON_MARKERS, strict=False)):
        xr = bad.loc[bad["reason"] == r, "x"].to_numpy()
        y = np.exp(np.log(lo) + (0.05 + 0.07 * k) * (np.log(hi) - np.log(lo)))  # a row each
        ax.scatter(xr, np.full(len(xr), y), marker=m, s=8, color="black", lw=0.5, zorder=3)
        ax.collections[-1].set_gid(NOT_ESTIMABLE_GID)


def _facet(
    ax, axc, d, label, counts, lo, hi, levels, reasons, first: bool, wrap: int, default_id=None
) -> None:
    """One inference method: estimates, not-estimable crosses and choice rows (the choices'
    labels where ``first``; the title wrapped at ``wrap`` characters); the default
    specification ringed, a dotted line through its choices."""
    ok = d[d["ok"]]
    x = ok["x"].to_numpy()
    col = np.where(ok["significant"].to_numpy(bool), OKABE_ITO["vermillion"], "#7f7f7f")
    _intervals(ax, x, ok, lo, hi, col)
    ax.axhline(_ratio(ok["estimate"].median()), zorder=1, **MEDIAN_STYLE)
    _pct_axis(ax, lo, hi)
    ax.set_xlim(-0.02 * len(d) - 1, d["x"].max() + 0.02 * len(d) + 1)
    step = 50 if len(ok) > 120 else 20 if len(ok) > 40 else 5
    ax.set_xticks(np.arange(0, len(ok), step))  # positions of fitted specifications only
    _not_estimable_marks(ax, axc, d, reasons, lo, hi)
    if default_id is not None and "spec_id" in ok and (ok["spec_id"] == default_id).any():
        r0 = ok[ok["spec_id"] == default_id].iloc[0]
        ax.plot(r0["x"], _ratio(r0["estimate"]), zorder=4, gid=DEFAULT_GID, **DEFAULT_STYLE)
        for a in (ax, axc):
            a.axvline(r0["x"], color="black", lw=0.5, ls=":", zorder=0.4)
    n_bad = int((~d["ok"]).sum())
    if label is not None:
        r = counts.loc[label]
        head = f"{label}: {int(r['significant'])} of {int(r['fitted'])} fitted CIs exclude 0"
        head += f"; {n_bad} not estimable (x, +)" if n_bad else ""
        ax.set_title(textwrap.fill(head, wrap), fontsize=FONT, loc="left")
    elif n_bad:
        ax.set_title(f"{n_bad} not estimable (x, +)", fontsize=FONT, loc="left")
    if not first:
        ax.tick_params(axis="y", labelleft=False)
    plt.setp(ax.get_xticklabels(), visible=False)
    _choice_rows(axc, d, levels, labels=first)


def _date_panel(axd, dates: pd.DataFrame, lo: float, hi: float) -> None:
    """The right panel: the estimate at each moved date, on the curve's scale."""
    d = dates[dates["ok"].astype(bool)].reset_index(drop=True)
    dcol = np.where(d["significant"].to_numpy(bool), OKABE_ITO["vermillion"], "#7f7f7f")
    _intervals(axd, d["shift"].to_numpy(float), d, lo, hi, dcol)
    axd.tick_params(axis="y", labelleft=False)
    shifts = d["shift"].to_numpy(int)
    shown = shifts[::2] if len(d) > 3 else shifts  # a narrow panel: every other label
    axd.set_xticks(shown.astype(float))
    axd.set_xticklabels([f"{v:+d}" if v else "0" for v in shown], fontsize=FONT)
    axd.set_xlim(shifts.min() - 0.6, shifts.max() + 0.6)
    axd.set_title("date\nmoved", fontsize=FONT, loc="left")
    axd.set_xlabel("by (q)")


def _date_panel_below(axd, lo: float, hi: float) -> None:
    """The date panel in a row of its own (one column): the facets' y range with its own
    tick labels (thinned to fit its height), a full title."""
    from .joint_its import thin_ticks

    _pct_axis(axd, lo, hi)
    axd.tick_params(axis="y", labelleft=True)
    axd.figure.canvas.draw()
    thin_ticks(axd, "y")
    axd.set_title("Interruption date moved (a different estimand)", fontsize=FONT, loc="left")
    axd.set_xlabel("Date moved by (quarters)")


def _side_by_side(w: float, n: int) -> bool:
    """Facets side by side (two-column width, or one facet), else one above the other."""
    return w > 5 or n == 1


def _layout(w: float, n: int, n_levels: int, has_dates: bool):
    """The figure and its axes: (estimate, choice) axes per facet and the date axes (or
    None). At two-column width the facets stand side by side, at one column one above the
    other (the date panel beside the first)."""
    side = _side_by_side(w, n)
    row_h = 0.13 if side else 0.085
    est_h, ch_h = (2.0 if side else 1.05), row_h * n_levels + 0.1
    if side:
        h = est_h + ch_h + 1.1
        shape = (2, n + has_dates)
        ratios = dict(height_ratios=[est_h, ch_h], width_ratios=[5] * n + [1.1] * has_dates)
    else:  # the date panel in a row of its own at the bottom
        h = n * (est_h + ch_h + 0.85) + has_dates * (0.7 * est_h + 0.6)
        shape = (2 * n + has_dates, 1)
        ratios = dict(height_ratios=[est_h, ch_h] * n + [0.7 * est_h] * has_dates)
    fig = plt.figure(figsize=(w, h), layout="constrained")
    gs = fig.add_gridspec(*shape, **ratios)
    ax0 = None
    pairs = []
    for k in range(n):
        est_cell, ch_cell = (gs[0, k], gs[1, k]) if side else (gs[2 * k, 0], gs[2 * k + 1, 0])
        ax = fig.add_subplot(est_cell, sharey=ax0)
        ax0 = ax0 or ax
        axc = fig.add_subplot(ch_cell, sharex=ax, sharey=pairs[0][1] if pairs else None)
        pairs.append((ax, axc))
    axd = None
    if has_dates:
        # beside the facets it shares their y axis; in a row of its own it has its own ticks
        axd = fig.add_subplot(gs[0, n] if side else gs[2 * n, 0], sharey=ax0 if side else None)
    return fig, pairs, axd


def _plot_spec_curve(curve, title, width, ylabel, dates=None, default_id=None):
    facets = _facets(curve)
    allrows = pd.concat([d for _, d in facets])
    choices = [c for c in CHOICE_LABELS if c in allrows and allrows[c].astype(str).nunique() > 1]
    levels = [(c, v) for c in choices for v in sorted(allrows[c].astype(str).unique(), key=str)]
    reasons = list(dict.fromkeys(allrows.loc[~allrows["ok"], "reason"]))
    has_dates = bool(dates is not None and len(dates) and dates["ok"].astype(bool).any())
    w, _ = figsize(width)
    fig, pairs, axd = _layout(w, len(facets), len(levels), has_dates)
    # one y range for every panel, following the estimates (on the ratio scale); an interval
    # reaching beyond it ends in an arrow
    est = np.log(_ratio(allrows.loc[allrows["ok"], "estimate"]))
    if has_dates:
        est = np.r_[est, np.log(_ratio(dates.loc[dates["ok"].astype(bool), "estimate"]))]
    span = max(est.max() - est.min(), np.log(1.25))
    lo, hi = float(np.exp(est.min() - span)), float(np.exp(est.max() + span))
    counts = None
    if facets[0][0] is not None:
        counts = by_method(curve).query("family == 'all'").set_index("errors")
    side = _side_by_side(w, len(facets))
    for k, ((label, d), (ax, axc)) in enumerate(zip(facets, pairs, strict=True)):
        first = k == 0 or not side
        _facet(
            ax,
            axc,
            d,
            label,
            counts,
            lo,
            hi,
            levels,
            reasons,
            first,
            34 if side else 44,
            default_id,
        )
    for ax, _ in pairs if not side else pairs[:1]:  # the long label fits a short panel
        ax.set_ylabel(textwrap.fill(ylabel, 28 if side else 22), fontsize=8 if side else FONT)
    if has_dates:
        _date_panel(axd, dates, lo, hi)
        if not side:
            _date_panel_below(axd, lo, hi)
    lettered = [ax for ax, _ in pairs] + ([axd] if has_dates else [])
    if len(lettered) > 1:
        panel_letters(lettered)
    fig.canvas.draw()  # the constrained layout: each title wrapped to its axes' width
    for ax in lettered:
        t = ax._left_title
        width_pt = ax.get_position().width * fig.get_figwidth() * 72
        t.set_text(textwrap.fill(t.get_text().replace("\n", " "), int(width_pt / (FONT * 0.56))))
    if title:
        fig.suptitle(title, fontsize=8, x=0.01, ha="left")
    fig.legend(  # below the figure, clear of the data (outside the constrained layout)
        handles=_curve_handles(reasons, default_id is not None),
        fontsize=FONT,
        frameon=False,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=2 if w > 5 or len(reasons) == 0 else 1,
    )
    return fig


def choice_label(choice: str, value) -> str:
    """A row label of the choices panel: the choice's short name and its value, long values
    abbreviated ("previous 4 quarters (mean)" as "previous 4 q, mean")."""
    v = str(value).replace(" quarters (mean)", " q, mean").replace(" quarter", " q")
    return f"{CHOICE_LABELS[choice]}: {v}"


#: Short names of the specification-curve choices for the figure's rows.
CHOICE_LABELS = {
    "series": "series",
    "model": "model",
    "family": "family",
    "seasonality": "seasonality",
    "start": "starts",
    "allan": "R v Allan",
    "covid": "Covid-19",
    "shift": "date moved (quarters)",
    "phase_in": "phase-in (q)",
}


def describe(curve) -> str:
    """Markdown of a :class:`~rasso_research.designs.spec_curve.SpecCurve`
    (:func:`describe_curve`, with significance per inference method and the not-estimable
    specifications)."""
    return describe_curve(
        curve.table(),
        curve.variance(),
        curve.dates,
        methods=curve.methods(),
        reasons=curve.not_estimable_reasons(),
    )


def plot(curve, width: str = "two", **kw):
    """The curve and the date curve of a :class:`~rasso_research.designs.spec_curve.SpecCurve`
    (:func:`plot_spec_curve`)."""
    return plot_spec_curve(curve.curve, width=width, dates=curve.dates, **kw)
