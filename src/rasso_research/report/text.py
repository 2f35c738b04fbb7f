"""Generated result text (Markdown) shared by the notebooks: coverage, change, revision,
feasibility and sensitivity sentences. Every sentence that states a result is built here or in a
design's ``describe()``, so the text follows the numbers when the data or the model change."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rasso_research.constants import NATIONAL, SYNTHETIC_METHODS
from rasso_research.data.series import area_panel
from rasso_research.periods import quarter

from .format import fmt_num, fmt_pct


def ci_verdict(lo: float, hi: float) -> str:
    if lo > 0:
        return "above the counterfactual (95% CI excludes zero)"
    if hi < 0:
        return "below the counterfactual (95% CI excludes zero)"
    return "95% CI includes zero"


def describe_offset_fill(s: pd.DataFrame) -> str:
    """Markdown note on the offset quarters filled by :func:`with_offset` (``offset_filled``)."""
    measure = s.attrs.get("offset_measure", "offset")
    if "offset_filled" not in s.columns:
        return f"No `{measure}` offset on this series."
    q = s.loc[s["offset_filled"].astype(bool), "quarter"]
    dropped = int(s.attrs.get("offset_dropped", 0))
    tail = f" {dropped} quarter(s) without any `{measure}` value were dropped." if dropped else ""
    if q.empty:
        return f"Offset `{measure}`: published for every quarter of the series ({len(s)});" + (
            " none filled." + tail
        )
    first, last = s.attrs.get("offset_first", ""), s.attrs.get("offset_last", "")
    parts = []
    if last:
        after = q[q > quarter(last)]
        if len(after):
            parts.append(
                f"{len(after)} after its last value ({last}): {_qrange(after)}, "
                f"carried forward (held at the {last} value)"
            )
    if first:
        before = q[q < quarter(first)]
        if len(before):
            parts.append(
                f"{len(before)} before its first value ({first}): {_qrange(before)}, carried back"
            )
    inside = q[(q >= quarter(first)) & (q <= quarter(last))] if first and last else q
    if len(inside):
        parts.append(f"{len(inside)} inside its range: {_qrange(inside)}, log-linear interpolation")
    return (
        f"**Offset `{measure}` filled in {len(q)} of {len(s)} quarters** "
        f"(column `offset_filled`): " + "; ".join(parts) + "." + tail
    )


def _qrange(q: pd.Series) -> str:
    q = sorted(q)
    return str(q[0]) if len(q) == 1 else f"{q[0]}-{q[-1]}"


def describe_feasibility(
    feas: pd.DataFrame, min_pre: int, min_post: int, label: str | None = None
) -> str:
    """Markdown: which (series, interruption) pairs have enough quarters on each side.

    ``feas`` has ``n_pre``, ``n_post``, ``feasible``, a label column (``series`` or ``measure``)
    and optionally ``interruption`` (and ``period_type``, whose unit is used for annual rows).
    """
    if feas.empty:
        return "No series to check."
    label = label or ("series" if "series" in feas.columns else "measure")
    keys = [label] + (["period_type"] if "period_type" in feas.columns else [])

    def line(g: pd.DataFrame) -> str:
        unit = (
            "years" if "period_type" in g and g["period_type"].iloc[0] == "financial_year" else ""
        )
        name = " ".join(f"{g[k].iloc[0]}" for k in keys)
        bits = []
        for _, r in g.iterrows():
            at = f"{r['interruption']}: " if "interruption" in g else ""
            bits.append(f"{at}{int(r['n_pre'])} before / {int(r['n_post'])} from it")
        return f"- `{name}`" + (f" ({unit})" if unit else "") + ": " + "; ".join(bits)

    ok, bad = feas[feas["feasible"].astype(bool)], feas[~feas["feasible"].astype(bool)]
    need = f"at least {min_pre} quarters before and {min_post} from the interruption"
    out = []
    if len(bad) == 0:
        out.append(f"**All {len(feas)} series-interruption pairs can be modelled** ({need}):")
    elif len(ok) == 0:
        out.append(
            f"**None of the {len(feas)} series-interruption pairs can be modelled** ({need}):"
        )
    else:
        out.append(
            f"**{len(ok)} of {len(feas)} series-interruption pairs can be modelled** ({need})."
        )
    if len(ok):
        if len(bad):
            out.append("\nModelled:")
        out += [line(g) for _, g in ok.groupby(keys, sort=False)]
    if len(bad):
        if len(ok):
            out.append("\nToo short, reported but not modelled:")
        out += [line(g) for _, g in bad.groupby(keys, sort=False)]
    return "\n".join(out)


def describe_sensitivity(df: pd.DataFrame, by: str) -> str:
    """Markdown: how the effect moves with choice ``by`` (one row per choice and horizon).

    States the range, whether the sign or the CI verdict changes with the choice, and says the
    result should be read as descriptive when it does.
    """
    if df.empty:
        return f"No estimates to compare across `{by}`."
    d = df if "horizon" in df.columns else df.assign(horizon=0)
    out = []
    for h, g in d.groupby("horizon", sort=True):
        g = g.dropna(subset=["effect_pct"])
        lo, hi = g.loc[g["effect_pct"].idxmin()], g.loc[g["effect_pct"].idxmax()]
        verdicts = {ci_verdict(r["ci_low_pct"], r["ci_high_pct"]) for _, r in g.iterrows()}
        signs = set(np.sign(g["effect_pct"]).astype(int)) - {0}
        if len(signs) > 1:
            v = "**the sign changes with this choice**"
        elif len(verdicts) > 1:
            v = "the sign is the same but **whether the CI excludes zero changes with this choice**"
        else:
            v = f"the sign and the CI verdict ({next(iter(verdicts))}) do not change"
        out.append(
            f"- +{int(h)} quarters: from {fmt_pct(lo['effect_pct'])} (`{by}` = {lo[by]}) to "
            f"{fmt_pct(hi['effect_pct'])} (`{by}` = {hi[by]}) over {len(g)} choices; {v}."
        )
    fragile = any("changes" in line for line in out)
    verdict = (
        f"**The estimate depends on `{by}`: read it as descriptive.**"
        if fragile
        else f"**The estimate does not depend on `{by}` in sign or CI verdict.**"
    )
    return verdict + "\n\n" + "\n".join(out)


def describe_revision(rev: pd.DataFrame, threshold: float = 5.0) -> str:
    """Markdown: national and per-force revision between two releases (``pct_difference``)."""
    ew = rev[rev["force"] == NATIONAL]
    f = rev[rev["force"] != NATIONAL]
    nat = (
        f"The national total was revised by {fmt_pct(ew['pct_difference'].iloc[0])}"
        if len(ew)
        else "The national total is not in the revision table"
    )
    if f.empty:
        return nat + "; there are no force rows."
    big = f[f["pct_difference"].abs() > threshold].sort_values("pct_difference")
    which = ", ".join(f"{r.force} {fmt_pct(r.pct_difference)}" for r in big.itertuples())
    worst = f.loc[f["pct_difference"].abs().idxmax()]
    return (
        f"{nat}; **{len(big)} of {len(f)} forces by more than {fmt_num(threshold)}% either way**"
        + (f" ({which})" if which else "")
        + f"; the largest force revision is {worst['force']} {fmt_pct(worst['pct_difference'])}."
    )


def describe_coverage(panel: pd.DataFrame, measures: Sequence[str]) -> str:
    """Markdown: per measure, the national rows and the force rows each with their first-last
    quarter and number of distinct quarters (editions of one measure combined, never double
    counted), and the number of sources; a requested measure absent from the panel is listed."""
    d = panel.dropna(subset=["value"])
    lines = []
    for m in measures:
        g = d[d["measure"] == m]
        if g.empty:
            lines.append(f"- `{m}`: **not in the panel**")
            continue
        q = g["quarter"].map(quarter)
        parts = []
        for who, rows in (
            ("the national total", g["force"] == NATIONAL),
            ("force", g["force"] != NATIONAL),
        ):
            if not rows.any():
                continue
            qq = q[rows]
            span = f"{qq.min()}-{qq.max()} ({qq.nunique()} quarters)"
            if who == "force":
                who = f"{g.loc[rows, 'force'].nunique()} forces"
            parts.append(f"{who} {span}")
        n_src = g["source"].nunique()
        src = f"; {n_src} sources" if n_src > 1 else ""
        lines.append(f"- `{m}`: " + "; ".join(parts) + src)
    return "\n".join(lines)


def _year_mean(s: pd.DataFrame, year: int) -> float:
    v = s.loc[[q.year == year for q in s["quarter"]], "value"]
    return float(v.mean()) if len(v) == 4 else float("nan")


def describe_change(s: pd.DataFrame, label: str, year_a: int, year_b: int) -> str:
    """Markdown: mean per quarter in calendar years ``year_a`` and ``year_b`` (full years only),
    their ratio, and the lowest and highest quarters of series ``s``."""
    a, b = _year_mean(s, year_a), _year_mean(s, year_b)
    span = f"{s['quarter'].min()}-{s['quarter'].max()}"
    lo, hi = s.loc[s["value"].idxmin()], s.loc[s["value"].idxmax()]
    ext = (
        f"lowest {fmt_num(lo['value'])} ({lo['quarter']}), highest {fmt_num(hi['value'])} "
        f"({hi['quarter']})"
    )
    if np.isfinite(a) and np.isfinite(b):
        ch = (
            f"mean per quarter {fmt_num(a)} in {year_a} and {fmt_num(b)} in {year_b} "
            f"(x{fmt_num(b / a)})"
        )
    else:
        miss = [str(y) for y, v in ((year_a, a), (year_b, b)) if not np.isfinite(v)]
        ch = f"no full calendar year {' or '.join(miss)} in the series, so no {year_a}-{year_b} comparison"
    return f"- {label} ({span}): {ch}; {ext}."


def describe_force_changes(
    panel: pd.DataFrame, measure: str, year_a: int, year_b: int, label: str | None = None
) -> str:
    """Markdown: in how many forces the mean per quarter of ``measure`` rose from ``year_a`` to
    ``year_b`` (forces with both full calendar years only)."""
    d = area_panel(panel, measure)
    ratios = {}
    for f, g in d.groupby("force"):
        a, b = _year_mean(g, year_a), _year_mean(g, year_b)
        if np.isfinite(a) and np.isfinite(b) and a > 0:
            ratios[f] = b / a
    label = label or f"`{measure}`"
    if not ratios:
        return f"{label}: no force has both full calendar years {year_a} and {year_b}."
    r = pd.Series(ratios)
    return (
        f"{label} rose from {year_a} to {year_b} in **{int((r > 1).sum())} of {len(r)} forces** "
        f"(median ratio x{fmt_num(r.median())}, range x{fmt_num(r.min())} to x{fmt_num(r.max())})."
    )


def describe_area_events(area: str, start, end, events: pd.DataFrame) -> str:
    """Markdown: the dated events of ``area`` (:func:`rasso_research.timeline.events_for`)
    inside the modelled window ``start``-``end`` and after it, so a reader sees which other
    changes the window includes or keeps out."""
    if events.empty:
        return f"The timeline (`config/interventions.csv`) lists no event specific to {area}."
    lo, hi = quarter(start), quarter(end)
    inside, after = [], []
    for r in events.itertuples():
        q = quarter(r.quarter)
        item = f"{r.event} ({r.date:%Y-%m-%d}, {r.precision} precision, {q})"
        if lo <= q <= hi:
            inside.append(item)
        elif q > hi:
            after.append(item)
    out = [f"Events specific to {area} in the timeline (`config/interventions.csv`):"]
    out.append(f"- inside the window {lo}-{hi}: " + ("; ".join(inside) if inside else "none"))
    out.append(
        f"- after the window (kept out by its end, {hi}): "
        + ("; ".join(after) if after else "none")
    )
    return "\n".join(out)


def describe_synthetic(eff: pd.DataFrame, unit: str = "") -> str:
    """Markdown: each method's average post-period effect with its placebo CI and
    placebo-in-space p-value, against its minimum detectable effect; a null whose MDE
    exceeds the largest estimate in absolute value reads "too short or noisy to tell"."""
    lines = []
    for r in eff.itertuples():
        name = SYNTHETIC_METHODS.get(r.method, r.method)
        u = f" {unit}" if unit else ""
        ci = "excludes" if (r.ci_low > 0 or r.ci_high < 0) else "includes"
        lines.append(
            f"- **{r.series}, {name}:** {fmt_num(r.estimate)}{u} a period on average over "
            f"{r.n_post} post-period(s) (95% placebo CI {fmt_num(r.ci_low)} to "
            f"{fmt_num(r.ci_high)}, {ci} zero; placebo-in-space p = {fmt_num(r.placebo_p, 2)} "
            f"over {r.n_placebos} donors); minimum detectable effect {fmt_num(r.mde)}{u} "
            f"({r.n_pre} pre-periods, {r.n_donors} donors)."
        )
    if len(eff):
        nulls = eff[(eff["ci_low"] <= 0) & (eff["ci_high"] >= 0)]
        short = nulls[nulls["mde"] > eff["estimate"].abs().max()]
        if len(short) == len(eff):
            lines.append(
                "No method finds an effect, and every MDE is larger than every estimate: the "
                "series is too short or too noisy to tell a change of that size from none."
            )
    return "\n".join(lines)


def describe_force_year(eff: pd.DataFrame, force: str, first_year: str) -> str:
    """Markdown: the target offence group's estimates (synthetic DiD first) beside the
    negative controls', with the minimum detectable effects, and what the data cannot show."""
    if eff.empty:
        return f"No annual series could be modelled for {force}."
    sd = eff[eff["method"] == "sdid"] if (eff["method"] == "sdid").any() else eff
    lines = [f"**{force} from {first_year}, against the other forces (synthetic DiD):**"]
    for r in sd.itertuples():
        ci = "excludes" if (r.ci_low > 0 or r.ci_high < 0) else "includes"
        tag = " (negative control)" if r.role == "negative control" else ""
        lines.append(
            f"- {r.series}{tag}: {fmt_num(r.estimate)} a year (95% placebo CI "
            f"{fmt_num(r.ci_low)} to {fmt_num(r.ci_high)}, {ci} zero; placebo p = "
            f"{fmt_num(r.placebo_p, 2)}); MDE {fmt_num(r.mde)} from {r.n_pre} pre-years and "
            f"{r.n_post} post-years."
        )
    tgt = sd[sd["role"] == "target"]
    found = tgt[(tgt["ci_low"] > 0) | (tgt["ci_high"] < 0)]
    neg = sd[sd["role"] == "negative control"]
    neg_found = neg[(neg["ci_low"] > 0) | (neg["ci_high"] < 0)]
    if found.empty:
        lines.append(
            f"None of the {len(tgt)} target series moved by more than the placebo spread: with "
            f"{int(tgt['n_pre'].min())} pre-years the smallest detectable change is "
            f"{fmt_num(tgt['mde'].min())} to {fmt_num(tgt['mde'].max())} a year, so a smaller "
            "effect cannot be told from none."
        )
    else:
        moved = "; ".join(
            f"{r.series}, {'below' if r.estimate < 0 else 'above'} its synthetic counterpart"
            for r in found.itertuples()
        )
        lines.append(
            f"{len(found)} of {len(tgt)} target series moved beyond the placebo spread ({moved})."
        )

    def _count(d):
        ci = int(((d["ci_low"] > 0) | (d["ci_high"] < 0)).sum())
        return f"{ci} of {len(d)} with a 95% CI excluding zero, {int((d['placebo_p'] <= 0.05).sum())} with placebo p <= 0.05"

    if eff["method"].nunique() > 1:
        allt, alln = eff[eff["role"] == "target"], eff[eff["role"] == "negative control"]
        tail = f"; negative controls: {_count(alln)}" if len(alln) else ""
        overall = (
            f"Over all {eff['method'].nunique()} methods, target estimates: {_count(allt)}{tail}."
        )
    else:
        overall = ""
    if len(neg):
        lines.append(
            f"{len(neg_found)} of {len(neg)} negative-control series did"
            + (
                " too: a force-wide change, not a RASSO-specific one, is the simpler reading."
                if len(neg_found) and len(found)
                else "."
            )
        )
    if overall:
        lines.append(overall)
    return "\n".join(lines)


def describe_event_study(eff: pd.DataFrame, pre: pd.DataFrame, summary=None) -> str:
    """Markdown: the joint pre-trend test, the post-period coefficients outside the placebo
    band, and the mean post-period coefficient against its minimum detectable effect."""
    if eff.empty:
        return "No event study."
    label = eff["series"].iloc[0]
    r = pre.iloc[0]
    if r["n_leads"]:
        verdict = "no sign of" if r["placebo_p"] > 0.1 else "evidence of"
        head = (
            f"**{label}, event study:** joint pre-trend test over {int(r['n_leads'])} lead(s), "
            f"placebo p = {fmt_num(r['placebo_p'], 2)} ({verdict} diverging pre-trends)."
        )
    else:
        head = f"**{label}, event study:** no lead before the reference period to test."
    post = eff[eff["k"] >= 0]
    out = post[(post["estimate"] < post["placebo_low"]) | (post["estimate"] > post["placebo_high"])]
    tail = (
        f" {len(out)} of {len(post)} post-period coefficients lie outside the 95% placebo band"
        + (f" ({', '.join(out['period'])})." if len(out) else ".")
    )
    if summary is not None and len(summary):
        m = summary.iloc[0]
        tail += (
            f" Mean post-period coefficient {fmt_num(m['mean_post'])} (placebo p = "
            f"{fmt_num(m['placebo_p'], 2)}; minimum detectable {fmt_num(m['mde'])})."
        )
    return head + tail


def describe_missing_official(raw_dir=None) -> str:
    """One sentence: whether the official outcomes releases (optional registry entries) are
    present, and if not which series they would add and the command that fetches them."""
    from rasso_research import paths
    from rasso_research.data.fetch import read_registry

    raw = paths.DATA_RAW if raw_dir is None else raw_dir
    reg = read_registry(raw / "registry.csv")
    official = reg[reg["name"].str.startswith("homeoffice/official/") & ~reg["required"]]
    have = [n for n in official["name"] if (raw / n).is_file()]
    if len(have) == len(official):
        return (
            f"The {len(official)} official outcomes releases are present: the quarterly "
            "force-level rape charge series on both measures are in the panel."
        )
    return (
        f"Missing here: quarterly force-level rape charges on both outcome measures from "
        f"2014/15, which need the official outcomes releases ({len(have)} of {len(official)} "
        "present, not in the data mirror): run `RASSO_FETCH_OPTIONAL=1 make fetch` on a machine "
        "with internet access, then `make all`."
    )


def describe_funnel(funnel: pd.DataFrame) -> str:
    """Markdown: per 100 rapes recorded, what followed at each later stage in the first and the
    last year that have every stage, with the units, and which stages run furthest."""
    if funnel.empty:
        return "No stage of the funnel has data."
    n_steps = funnel["step"].nunique()
    full = funnel.groupby("fiscal_year")["step"].nunique()
    complete = sorted(full[full == n_steps].index)
    lines = []
    for fy in dict.fromkeys([complete[0], complete[-1]] if complete else []):
        d = funnel[(funnel["fiscal_year"] == fy) & (funnel["step"] > 1)]
        parts = [
            f"{fmt_num(r.per_100_recorded, 2)} {r.stage[0].lower() + r.stage[1:]} ({r.unit})"
            for r in d.itertuples()
        ]
        rec = funnel[(funnel["fiscal_year"] == fy) & (funnel["step"] == 1)]["value"].iloc[0]
        lines.append(
            f"- {fy} ({fmt_num(rec)} rapes recorded): per 100 recorded, " + "; ".join(parts) + "."
        )
    last = funnel.sort_values("step").groupby("stage", sort=False)["fiscal_year"].max()
    head = (
        f"**Every stage has data in {len(complete)} years** "
        f"({', '.join(complete) if complete else 'none'})."
        if complete
        else "**No year has every stage.**"
    )
    tail = "Latest year per stage: " + "; ".join(f"{s} {y}" for s, y in last.items()) + "."
    return "\n".join([head, *lines, tail])


def describe_btp(btp: pd.DataFrame, edition: pd.DataFrame | None = None) -> str:
    """Markdown: British Transport Police's share of police sexual-offence charges (closure
    measure) and, given ``edition`` (``quarter``, ``ratio`` of a national edition to the sum
    of the 43 forces in older editions), how far that edition differs from the 43 forces."""
    b = btp[(btp["offence_group"] == "Sexual offences") & (btp["measure"] == "charged_closed")]
    b = b.dropna(subset=["btp_pct"])
    out = []
    if not b.empty:
        out.append(
            f"British Transport Police accounts for {fmt_num(b['btp_pct'].min(), 2)}% to "
            f"{fmt_num(b['btp_pct'].max(), 2)}% of police sexual-offence charges (closure "
            f"measure, {b['fiscal_year'].min()} to {b['fiscal_year'].max()}). No file here "
            "separates its rape charges, so this is the size of the question for a national "
            "count that includes BTP, not a correction of it."
        )
    if edition is not None and not edition.empty:
        out.append(
            f"In the {edition['quarter'].nunique()} quarters where both exist "
            f"({edition['quarter'].min()} to {edition['quarter'].max()}), the 2024-edition "
            f"national rape charges are {fmt_num(100 * edition['ratio'].min(), 3)}% to "
            f"{fmt_num(100 * edition['ratio'].max(), 3)}% of the sum of the 43 forces in the "
            "editions of the time: differences of both signs, so revisions, not BTP alone, "
            "drive them."
        )
    return " ".join(out) or "No data on the coverage of the national charge counts."


def describe_answer(
    terms: pd.DataFrame, ident: pd.DataFrame, package: pd.DataFrame, alone: pd.DataFrame
) -> str:
    """Markdown: the national answer in four sentences, from the joint model's terms (with
    their MDEs), its identifiability verdicts, the package effects and the one-date-alone
    effects (horizon 0)."""
    sig = terms[(terms["ci_low"] > 0) | (terms["ci_high"] < 0)]
    named = "; ".join(
        f"{r.series}, {r.intervention} {r.kind} {fmt_pct(r.estimate_pct)} "
        f"({fmt_pct(r.ci_low_pct)} to {fmt_pct(r.ci_high_pct)})"
        if np.isfinite(r.estimate_pct)
        else f"{r.series}, {r.intervention} {r.kind} {fmt_num(r.estimate)}"
        for r in sig.itertuples()
    )
    out = [
        f"**Jointly modelled, {len(sig)} of {len(terms)} reform terms have a 95% CI excluding "
        "zero**" + (f": {named}" if named else "") + "."
    ]
    bad = ident[ident["verdict"] != "separable"]
    if len(bad):
        per = bad.groupby("intervention", sort=False)["series"].nunique()
        n = ident["series"].nunique()
        out.append(
            "Terms the data cannot separate from the other reforms: "
            + "; ".join(f"{k} in {v} of {n} series" for k, v in per.items())
            + "."
        )
    level = terms[(terms["kind"] == "level") & terms["mde_pct"].notna()]
    if len(level):
        out.append(
            f"The level changes could have been detected (80% power) only from "
            f"{fmt_num(level['mde_pct'].min())}% to {fmt_num(level['mde_pct'].max())}% "
            "upwards, depending on the series and date."
        )
    if len(package):
        last = package[package["end"]] if "end" in package else package
        k = int(((last["ci_low_pct"] > 0) | (last["ci_high_pct"] < 0)).sum())
        out.append(
            f"The reforms together, at the last quarter of each series: {k} of {len(last)} "
            "series differ from the no-reform counterfactual with a 95% CI excluding zero."
        )
    a0 = alone[alone["horizon"] == 0]
    if len(a0):
        k = int(((a0["ci_low_pct"] > 0) | (a0["ci_high_pct"] < 0)).sum())
        out.append(f"Fitted one date at a time, {k} of {len(a0)} level changes exclude zero.")
    return " ".join(out)
