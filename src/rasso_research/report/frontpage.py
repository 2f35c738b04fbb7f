"""The report's front page, generated from the result tables: each question of the study, its
primary estimate with the 95% CI and the minimum detectable effect (MDE), the verdict in one
sentence, and links to the chapter section, the figure and the table behind each number.

Every number is read from ``tables/`` (never typed here), so the page follows the tables when
the data or the models change. A table that is not there yet is named on the page instead of
its numbers. The page is MyST Markdown; :mod:`rasso_research.report.site` builds it with the
chapters.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rasso_research import paths, timeline

from .format import fmt_num, fmt_pct, slugify

#: The national primary estimand and the secondary family (notebook 02).
NATIONAL_TABLE = "its_national_estimands"
#: Notebook 03's conclusion table, one row per headline estimate, with at least the columns
#: ``series``, ``estimate``, ``ci_low``, ``ci_high`` (optional: ``role``, ``method``, ``unit``,
#: ``mde``, ``verdict``). Until notebook 03 writes it the page says so and shows the annual
#: synthetic-DiD estimates of the target series (:data:`FORCE_FALLBACK`).
FORCE_CONCLUSION = "its_force_{slug}_conclusion"
FORCE_UNITS = "its_force_{slug}_units_timing"
FORCE_FALLBACK = "its_force_{slug}_annual_force_effects"
#: Notebook 07's tables (prefix ``soteria_<unknown>``, ``unknown`` being its parameter).
SOTERIA_TABLE = "soteria_{unknown}_{what}"
#: Notebook 07's headline estimator and aggregation per value of its ``estimator`` parameter
#: (the same as ``views.staggered.HEADLINE``, which this layer may not import; a test checks).
SOTERIA_HEADLINE = {
    "cs": ("Callaway-Sant'Anna", "group"),
    "sa": ("Sun-Abraham", "dynamic"),
    "twfe": ("two-way fixed effects", "static"),
}
ALPHA = 0.05


@dataclass
class Link:
    text: str
    target: str  # a document path with an optional #anchor, or a file to download


@dataclass
class Estimate:
    """One headline number: what it is, the estimate, its CI and MDE (as printed) and the
    verdict sentence."""

    what: str
    estimate: str
    ci: str
    mde: str
    p_value: str
    verdict: str


@dataclass
class Answer:
    """One question of the study and what the tables say about it."""

    title: str
    question: str
    estimates: list[Estimate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)


def heading_slug(title: str) -> str:
    """The anchor MyST gives a heading (its default, GitHub-style slug)."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower().replace(" ", "-"))


def read_table(tables: Path, stem: str) -> pd.DataFrame | None:
    path = Path(tables) / f"{stem}.csv"
    return pd.read_csv(path) if path.exists() else None


def _finite(x) -> bool:
    try:
        return bool(np.isfinite(float(x)))
    except (TypeError, ValueError):
        return False


def verdict(estimate, lo, hi, mde, unit: str = "") -> str:
    """The verdict sentence of an estimate with its 95% CI and MDE (same unit): whether the
    data detect a change, and whether an effect of the estimate's size could have been
    detected at all (80% power, 5% test)."""
    if not (_finite(lo) and _finite(hi)):
        return "Not estimable from these data."
    found = lo > 0 or hi < 0
    head = (
        f"A change the data detect: the 95% CI excludes zero ({'above' if lo > 0 else 'below'} "
        "the counterfactual)."
        if found
        else "No change the data can detect: the 95% CI includes zero."
    )
    if not _finite(mde):
        return head
    size = f"{fmt_num(mde)}{unit}"
    if abs(float(estimate)) < float(mde):
        tail = (
            f" The estimate is smaller than the minimum detectable effect ({size}), so a true "
            "effect of its size would usually be missed: *too little data to tell*, not *no "
            "effect*."
            if not found
            else f" The estimate is smaller than the minimum detectable effect ({size})."
        )
    else:
        tail = f" The design detects a change of about {size} or more; the estimate is that large."
    return head + tail


def section_link(notebook: Path, patterns: list[str], text: str) -> Link:
    """A link to the first heading of the executed ``notebook`` (a chapter of the report)
    matching the first of ``patterns`` (regular expressions, case-insensitive) that matches
    one, as ``chapters/<name>.ipynb#anchor``; the chapter itself when none matches, and no
    link when the notebook has not been executed."""
    if not notebook.exists():
        return Link(f"{text} (notebook {notebook.name[:2]} not executed yet)", "")
    import nbformat

    doc = f"chapters/{notebook.name}"
    nb = nbformat.read(notebook, as_version=4)
    titles = [
        m.group(1)
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for m in re.finditer(r"^#{1,3}\s+(.*)$", cell.source, re.MULTILINE)
    ]
    for pattern in patterns:
        for title in titles:
            if re.search(pattern, title, re.IGNORECASE):
                return Link(text, f"{doc}#{heading_slug(title)}")
    return Link(text, doc)


def figure_link(figures: Path, stems: list[str], text: str) -> Link:
    """A link to the figure gallery's entry of the first of ``stems`` saved in ``figures``
    (no link when none is)."""
    for stem in stems:
        if (Path(figures) / f"{stem}.png").exists():
            return Link(text, f"figures.md#{heading_slug(stem)}")
    return Link(f"{text} (not drawn yet)", "")


def table_link(tables: Path, stem: str) -> Link:
    """A link to ``tables/<stem>.csv`` (no link when the table is not there)."""
    if (Path(tables) / f"{stem}.csv").exists():
        return Link(f"Table: tables/{stem}.csv", f"tables/{stem}.csv")
    return Link(f"Table: tables/{stem}.csv (not written yet)", "")


def notebook_parameters(notebook: Path) -> dict:
    """The literal assignments of an executed notebook's ``parameters`` cell, overridden by
    papermill's ``injected-parameters`` cell ({} when the notebook is not there)."""
    if not notebook.exists():
        return {}
    import nbformat

    out: dict = {}
    nb = nbformat.read(notebook, as_version=4)
    for tag in ("parameters", "injected-parameters"):
        for cell in nb.cells:
            if tag not in cell.metadata.get("tags", []):
                continue
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1:
                    try:
                        out[getattr(node.targets[0], "id", "")] = ast.literal_eval(node.value)
                    except ValueError:
                        continue
    return out


def notebook_question(notebook: Path) -> str:
    """The ``**Question.**`` paragraph of a notebook's markdown, on one line ('' when the
    notebook is not there or asks none)."""
    if not notebook.exists():
        return ""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"\*\*Question\.?\*\*\s*(.+?)(?:\n\s*\n|$)", cell.source, re.S)
            if m:
                return " ".join(m.group(1).split())
    return ""


def _secondary_note(ev: pd.DataFrame) -> str:
    sec = ev[(ev["role"] == "secondary") & ev["p_value"].notna()]
    if sec.empty:
        return ""
    raw, holm = int((sec["p_value"] < ALPHA).sum()), int((sec["p_holm"] < ALPHA).sum())
    return (
        f"The secondary family ({len(sec)} tests: every reform term and every package effect "
        f"at the declared horizons) has {raw} with p < {ALPHA}, about "
        f"{fmt_num(ALPHA * len(sec), 2)} being expected by chance when nothing changed; after "
        f"Holm's adjustment {holm} remain below {ALPHA}."
    )


def _declared(config: Path, estimand_id: str) -> tuple[str, str]:
    """The declaration date and definition of an estimand in ``config/estimands.csv``."""
    path = Path(config) / "estimands.csv"
    if not path.exists():
        return "", ""
    df = pd.read_csv(path, dtype=str, keep_default_na=False).set_index("id")
    if estimand_id not in df.index:
        return "", ""
    return df.loc[estimand_id, "declared"], df.loc[estimand_id, "definition"]


def national_answer(tables: Path, figures: Path, config: Path, chapter: Path) -> Answer:
    """The national question: notebook 02's declared primary estimand."""
    ans = Answer(
        "England and Wales: the 2020-2021 reforms",
        notebook_question(chapter)
        or "Did rape charging in England and Wales change when the 2020-2021 reforms (the CPS "
        "strategy RASSO 2025, the police-CPS Joint National Action Plan and the End-to-End Rape "
        "Review) began?",
    )
    ev = read_table(tables, NATIONAL_TABLE)
    primary = ev[ev["role"] == "primary"] if ev is not None else None
    if primary is None or primary.empty:
        ans.notes.append(
            f"`tables/{NATIONAL_TABLE}.csv` is not there yet, or has no primary row: run "
            "notebook 02 (`make notebooks`) and rebuild the report."
        )
        ans.links.append(section_link(chapter, [], "Notebook 02"))
        return ans
    r = primary.iloc[0]
    declared, definition = _declared(config, r["id"])
    if definition:
        ans.notes.append(
            f"**Primary estimand** (`{r['id']}`, declared in `config/estimands.csv` on "
            f"{declared}): {definition}"
        )
    ans.estimates.append(
        Estimate(
            what=f"{r['series']}, the reforms together, {int(r['horizon'])} quarters after "
            "the first date",
            estimate=fmt_pct(r["effect_pct"]),
            ci=f"{fmt_pct(r['ci_low_pct'])} to {fmt_pct(r['ci_high_pct'])}",
            mde=f"{fmt_num(r['mde_pct'])}%" if _finite(r["mde_pct"]) else "n/a",
            p_value=fmt_num(r["p_value"], 2),
            verdict=verdict(r["effect_pct"], r["ci_low_pct"], r["ci_high_pct"], r["mde_pct"], "%"),
        )
    )
    ans.notes.append(_secondary_note(ev))
    joint = f"its_joint_{slugify(r['series'])}"
    ans.links += [
        section_link(chapter, [r"declared estimands"], "Section: the declared estimands"),
        section_link(chapter, [r"^answer$", r"^conclusion"], "Section: notebook 02's answer"),
        figure_link(figures, [joint, "fig1_national_its_twocol"], "Figure: the joint model"),
        table_link(tables, NATIONAL_TABLE),
    ]
    return ans


def _force_rows(
    tables: Path, slug: str, timing: str = "pre"
) -> tuple[pd.DataFrame | None, str, str]:
    """Notebook 03's conclusion rows, else its primary two-unit design (synthetic DiD, the
    primary window, the part-exposed year treated as ``timing``), else the single-force
    synthetic-DiD target rows; with the table's stem and a note saying which."""
    stem = FORCE_CONCLUSION.format(slug=slug)
    df = read_table(tables, stem)
    if df is not None and {"series", "estimate", "ci_low", "ci_high"} <= set(df.columns):
        if "role" in df.columns and (df["role"] == "primary").any():
            df = df[df["role"] == "primary"]
        return df, stem, ""
    units = FORCE_UNITS.format(slug=slug)
    df = read_table(tables, units)
    if df is not None and not df.empty:
        keep = (df["timing"] == timing) & (df["window"] == "primary") & (df["method"] == "sdid")
        df = df[keep].assign(series=lambda d: d["unit"] + ": " + d["series"])
        df = df.drop(columns="unit")  # the treated unit, not the estimate's unit
        part = df["timing_label"].iloc[0] if len(df) else ""
        note = (
            "The primary design of notebook 03: annual synthetic difference-in-differences on "
            "two treated units (the CPS Area against the other Areas, the force against the "
            "forces outside its Area), the primary window "
            + (f"{df['first_year'].iloc[0]}-{df['last_year'].iloc[0]}, " if len(df) else "")
            + (f"{part}; " if part else "")
            + f"effects per 100,000 a year (`tables/{units}.csv` holds every unit, window, "
            "treatment of the part-exposed year and method)."
        )
        return df, units, note
    fallback = FORCE_FALLBACK.format(slug=slug)
    note = (
        "Notebook 03 declares no single primary estimate. Shown is its headline design: the "
        "annual synthetic difference-in-differences estimate of each target series per 100,000 "
        f"against every other force (`tables/{fallback}.csv`; the synthetic control and the "
        "plain DiD beside it are in the table and the chapter)."
    )
    df = read_table(tables, fallback)
    if df is None:
        return None, fallback, f"`tables/{fallback}.csv` is not there yet: run notebook 03."
    keep = (df["method"] == "sdid") & (df["role"] == "target")
    if "per_100k" in df.columns:
        keep &= df["per_100k"].astype(str).str.lower() == "true"
    return df[keep], fallback, note


def _force_estimate(r) -> Estimate:
    """A row of notebook 03's conclusion (or its fallback) as a headline estimate."""
    unit = f" {r.unit}" if isinstance(getattr(r, "unit", None), str) else ""
    mde = getattr(r, "mde", np.nan)
    method = str(getattr(r, "method", ""))
    method = {"sdid": "synthetic DiD", "sc": "synthetic control", "did": "DiD"}.get(method, method)
    given = getattr(r, "verdict", None)
    return Estimate(
        what=f"{r.series}" + (f" ({method})" if method else ""),
        estimate=fmt_num(r.estimate) + unit,
        ci=f"{fmt_num(r.ci_low)} to {fmt_num(r.ci_high)}",
        mde=(fmt_num(mde) + unit) if _finite(mde) else "n/a",
        p_value=fmt_num(getattr(r, "placebo_p", getattr(r, "p_value", np.nan)), 2),
        verdict=given
        if isinstance(given, str) and given
        else verdict(r.estimate, r.ci_low, r.ci_high, mde, unit),
    )


def force_answer(tables: Path, figures: Path, chapter: Path) -> Answer:
    """The one-force question of notebook 03 (default West Midlands), with the force and
    date of the executed notebook's parameters."""
    p = notebook_parameters(chapter)
    force = p.get("force", "West Midlands")
    intervention = p.get("intervention", "wm_joint_working")
    quarter = p.get("interruption") or timeline.interruption_quarter(intervention)
    slug = slugify(f"{force} {quarter}")
    ans = Answer(
        f"{force}: {timeline.label(intervention)}",
        f"Did charging in {force} change after {timeline.label(intervention)} (interruption "
        f"{quarter}), relative to the other forces?",
    )
    rows, stem, note = _force_rows(tables, slug, p.get("annual_timing", "pre"))
    if note:
        ans.notes.append(note)
    if rows is not None and "placebo_p" in rows.columns:
        ans.notes.append(
            "*p* is the placebo-in-space p-value (each donor force in turn as if treated); the "
            "CI is the placebo CI; the MDE is for 80% power at a 5% test, in the estimate's units."
        )
    rows = rows if rows is not None else pd.DataFrame()
    ans.estimates += [_force_estimate(r) for r in rows.itertuples()]
    figs = [
        figure_link(
            figures,
            [f"its_force_{slug}_annual_{slugify(r.series)}_{getattr(r, 'method', 'sdid')}"],
            f"Figure: {e.what}",
        )
        for r, e in zip(rows.itertuples(), ans.estimates, strict=True)
    ]
    drawn = [d.stem for d in sorted(Path(figures).glob(f"its_force_{slug}_*.png"))]
    if not any(f.target for f in figs):
        figs = [figure_link(figures, drawn, f"Figures of {force}")]
    ans.links += [
        section_link(chapter, [r"^conclusion", r"annual"], "Section: the annual designs"),
        *figs,
        table_link(tables, stem),
    ]
    return ans


def _soteria_notes(tables: Path, unknown: str, name: str, kind: str, rows) -> list[str]:
    """What stands behind notebook 07's headline: the inference, the forces it rests on, the
    pre-trend test and the negative control."""
    r = rows.iloc[0]
    notes = [
        "*p*, the CI and the MDE come from randomization inference: the adoption dates "
        f"reassigned among the forces ({int(r['n_perm'])} permutations). The estimate rests on "
        f"{int(r['n_treated_identified'])} treated forces in {int(r['n_cohorts_identified'])} "
        f"cohort(s) against forces not yet treated ({int(r['n_units'])} forces in all; forces of "
        f"unknown cohort: `{unknown}`)."
    ]
    pre = read_table(tables, SOTERIA_TABLE.format(unknown=unknown, what="pretrend"))
    if pre is not None and not pre.empty:
        pre = pre[pre["estimator"] == name]
        bad = int((pre["p_value"] < ALPHA).sum())
        notes.append(
            f"Pre-trends ({name}): {bad} of {len(pre)} series depart from parallel trends "
            f"before adoption at the {ALPHA:g} level."
        )
    neg = read_table(tables, SOTERIA_TABLE.format(unknown=unknown, what="negative_control"))
    if neg is not None and not neg.empty:
        neg = neg[(neg["estimator"] == name) & (neg["aggregation"] == kind)]
        moved = int((neg["perm_p"] < ALPHA).sum())
        notes.append(
            f"Negative control (all other offence groups): {moved} of {len(neg)} moved at the "
            f"{ALPHA:g} level"
            + (
                " - a shift shared with other offences points to something force-wide."
                if moved
                else "."
            )
        )
    return notes


def soteria_answer(tables: Path, figures: Path, chapter: Path) -> Answer:
    """Notebook 07's question (Operation Soteria as staggered adoption): its headline
    estimator's aggregated effect of each series, with the executed notebook's parameters."""
    p = notebook_parameters(chapter)
    unknown, estimator = p.get("unknown", "exclude"), p.get("estimator", "cs")
    name, kind = SOTERIA_HEADLINE.get(estimator, SOTERIA_HEADLINE["cs"])
    ans = Answer(
        "Operation Soteria: forces as they joined",
        notebook_question(chapter)
        or "Did police forces' sexual-offence charging change when they joined Operation "
        "Soteria, compared with forces that had not joined yet?",
    )
    stem = SOTERIA_TABLE.format(unknown=unknown, what="effects")
    df = read_table(tables, stem)
    rows = df[(df["estimator"] == name) & (df["aggregation"] == kind)] if df is not None else None
    if rows is None or rows.empty:
        ans.notes.append(
            f"`tables/{stem}.csv` is not there yet, or has no {name} row: run notebook 07."
        )
        ans.links.append(section_link(chapter, [], "Notebook 07"))
        return ans
    for r in rows.itertuples():
        ans.estimates.append(
            Estimate(
                what=f"{r.series} ({name})",
                estimate=fmt_num(r.estimate),
                ci=f"{fmt_num(r.ci_low)} to {fmt_num(r.ci_high)}",
                mde=fmt_num(r.mde) if _finite(r.mde) else "n/a",
                p_value=fmt_num(r.perm_p, 2),
                verdict=verdict(r.estimate, r.ci_low, r.ci_high, r.mde),
            )
        )
    ans.notes += _soteria_notes(tables, unknown, name, kind, rows)
    keys = p.get("series") or []
    drawn = [f"soteria_{unknown}_{slugify(k)}_event" for k in keys]
    labels = list(dict.fromkeys(rows["series"]))
    figs = [
        figure_link(figures, [stem_], f"Figure: {label}, by years from adoption")
        for stem_, label in zip(drawn, labels, strict=False)
    ]
    ans.links += [
        section_link(chapter, [r"aggregated effect"], "Section: the aggregated effect"),
        section_link(chapter, [r"^conclusion"], "Section: notebook 07's conclusion"),
        *figs,
        table_link(tables, stem),
    ]
    return ans


def validation_line(tables: Path, notebooks: Path) -> str:
    """How many published numbers the code reproduces (notebook 00), or '' without the table.
    Numbers whose data are absent (status 'not run: ...') are counted apart."""
    v = read_table(tables, "validation")
    if v is None or v.empty:
        return ""
    status = v["status"].astype(str) if "status" in v else v["within"].astype(str)
    ran = ~status.str.startswith("not run")
    ok = int(status.isin(["reproduced", "True"]).sum())
    refs = v.loc[ran, "reference"].nunique()
    where = [section_link(Path(notebooks) / "00_its_validation.ipynb", [], "notebook 00")]
    where.append(table_link(tables, "validation"))
    skipped = v.loc[~ran]
    absent = (
        f" {len(skipped)} more, from {skipped['reference'].nunique()} paper(s), are not run: "
        "their data are not in this build (an optional registry file)."
        if len(skipped)
        else ""
    )
    return (
        f"**Validation.** {ok} of {int(ran.sum())} published numbers from {refs} method papers "
        f"are reproduced within their tolerance by the package's code ({_links(where)}).{absent}"
    )


def _links(links: list[Link]) -> str:
    return "; ".join(f"[{x.text}]({x.target})" if x.target else x.text for x in links)


def _estimates_table(estimates: list[Estimate]) -> list[str]:
    if not estimates:
        return []
    lines = [
        "| estimate of | value | 95% CI | p | MDE (80% power) |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {e.what} | **{e.estimate}** | {e.ci} | {e.p_value} | {e.mde} |" for e in estimates
    ]
    return lines


def render_answer(ans: Answer) -> str:
    """One question's section of the front page (MyST Markdown)."""
    out = [f"## {ans.title}", "", f"**Question.** {ans.question}", ""]
    out += [n + "\n" for n in ans.notes[:1] if n]
    out += _estimates_table(ans.estimates)
    if ans.estimates:
        out.append("")
    for e in ans.estimates:
        lead = f"**Verdict** ({e.what}): " if len(ans.estimates) > 1 else "**Verdict.** "
        out += [lead + e.verdict, ""]
    out += [n + "\n" for n in ans.notes[1:] if n]
    if ans.links:
        out.append("Behind these numbers: " + _links(ans.links) + ".")
    return "\n".join(out).rstrip() + "\n"


def at_a_glance(answers: list[Answer]) -> str:
    """One line per headline estimate: the question's title, the estimate with its CI and
    MDE, and the verdict's first clause."""
    lines = ["## At a glance", ""]
    for a in answers:
        if not a.estimates:
            lines.append(f"- **{a.title}**: no estimate yet (see below).")
        for e in a.estimates:
            lines.append(
                f"- **{a.title}** ({e.what}): {e.estimate} (95% CI {e.ci}; MDE {e.mde}). "
                f"{e.verdict.split(':')[0]}"
                + (": too little data to tell." if "too little data" in e.verdict else ".")
            )
    return "\n".join(lines) + "\n"


def built_from(tables: Path) -> str:
    """' Built from commit <sha> (tables written <time>).' from the paper's manifest, or ''."""
    path = Path(tables) / "manifest.json"
    if not path.exists():
        return ""
    import json

    m = json.loads(path.read_text(encoding="utf-8"))
    git = m.get("git") or {}
    sha = str(git.get("commit") or "")[:10]
    dirty = " with uncommitted changes" if git.get("dirty") else ""
    return f" Tables of the paper run at commit `{sha}`{dirty}, written {m.get('written', '?')}."


def render(
    tables: Path | None = None,
    figures: Path | None = None,
    config: Path | None = None,
    notebooks: Path | None = None,
) -> str:
    """The front page (MyST Markdown) from ``tables`` (default ``tables/``), ``figures``,
    ``config`` and the executed ``notebooks`` (default ``results/notebooks``)."""
    tables = Path(tables or paths.TABLES)
    figures = Path(figures or paths.FIGURES)
    config = Path(config or paths.CONFIG)
    notebooks = Path(notebooks or paths.RESULTS / "notebooks")
    answers = [
        national_answer(tables, figures, config, notebooks / "02_national_its.ipynb"),
        force_answer(tables, figures, notebooks / "03_force_comparison.ipynb"),
        soteria_answer(tables, figures, notebooks / "07_soteria.ipynb"),
    ]
    head = [
        "# What the study found",
        "",
        "*Every number on this page is read from the result tables in `tables/` when the "
        "report is built (`make report`); each links to the chapter section, the figure and "
        "the table behind it. The chapters are the executed notebooks, with their code folded."
        + built_from(tables)
        + "*",
        "",
        "**How to read a verdict.** It says whether the 95% confidence interval (CI) excludes "
        "zero, and compares the estimate with the minimum detectable effect (MDE): the "
        "smallest true effect the design would detect four times in five at the 5% level. A CI "
        "that includes zero around an estimate smaller than its MDE means *too little data to "
        "tell*, not *no effect*.",
        "",
    ]
    body = [at_a_glance(answers)] + [render_answer(a) for a in answers]
    tail = [v for v in (validation_line(tables, notebooks),) if v]
    return (
        "\n".join(head) + "\n" + "\n".join(body) + ("\n" + "\n".join(tail) + "\n" if tail else "")
    )
