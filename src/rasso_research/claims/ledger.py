"""The claims ledger: readings defined in ``config/claims.csv``, verdicts, the ledger table
and its text.

``config/claims.csv`` is the one place where a reading's published value, unit and tolerance
live (``published_value``, ``unit``, ``kind``, ``tolerance``); a claim function computes the
value from the data and calls :func:`row` with the reading's id. A reading whose published
value depends on the data (claim 7: the 2016 level) leaves ``published_value`` blank and passes
it to :func:`row`.

A check is ``circular`` (:data:`CIRCULAR`, :func:`is_circular`) when the computed value is made
only of transcribed CPS figures, at least one of which has no primary transcription (at best a
secondary or press page quoting the release), and it agrees with a figure the claim quotes: the
agreement then shows only that the release was copied correctly, not that the claim is right.
"""

from __future__ import annotations

import difflib
import math
from functools import lru_cache
from pathlib import Path

import pandas as pd

from rasso_research import config, paths
from rasso_research.errors import ProjectError
from rasso_research.report.format import fmt_unit
from rasso_research.report.tables import write_table

CONSISTENT = "consistent"
INCONSISTENT = "inconsistent"
NOT_TESTABLE = "not testable with the data present"
NOT_COMPARABLE = "not comparable"
CIRCULAR = "circular"
#: why a circular check is not a confirmation (ledger's basis note and ``interpret``)
CIRCULAR_WHY = (
    "the figure checked is a transcription of the same release the claim quotes, so agreement "
    "shows only that it was copied correctly"
)
KINDS = ("relative", "absolute", "at_most", "at_least")
LEDGER_COLUMNS = [
    "claim_id",
    "reading",
    "published_value",
    "computed_value",
    "unit",
    "tolerance",
    "verdict",
    "computation",
    "basis_note",
    "sources",
    "tier",
    "note",
]
CONFIG_COLUMNS = ["id", "claim", "reading", "published_value", "unit", "kind", "tolerance"]


def verdict(published, computed, tolerance: float, kind: str = "relative") -> str:
    """Compare a computed figure with a published one.

    ``relative``: |c - p| <= tolerance * |p|; ``absolute``: |c - p| <= tolerance;
    ``at_most``: c <= p + tolerance (claims such as "more than halved": ratio <= 0.5);
    ``at_least``: c >= p - tolerance. Missing values give ``not testable with the data present``.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if tolerance is None or tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance!r}")
    if missing(published) or missing(computed):
        return NOT_TESTABLE
    p, c = float(published), float(computed)
    eps = 1e-9
    if kind == "relative":
        ok = abs(c - p) <= tolerance * abs(p) + eps
    elif kind == "absolute":
        ok = abs(c - p) <= tolerance + eps
    elif kind == "at_most":
        ok = c <= p + tolerance + eps
    else:
        ok = c >= p - tolerance - eps
    return CONSISTENT if ok else INCONSISTENT


def is_circular(numbers_verdict: str, tier: str | None, quoted: bool, other_data: bool) -> bool:
    """Whether a check is circular: it agrees (``numbers_verdict`` is consistent) with a figure
    the claim quotes (``quoted``: the published value is in ``config/claims.csv``, not set by the
    data), its computed value is made only of transcribed CPS figures (not ``other_data``), and
    ``tier``, the lowest of those figures' best provenance tiers, is below ``primary``."""
    return (
        numbers_verdict == CONSISTENT
        and quoted
        and not other_data
        and tier is not None
        and tier != "primary"
    )


def close(value, known) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``known`` to ``value`` (else empty)."""
    got = difflib.get_close_matches(str(value), sorted(map(str, known)), n=2, cutoff=0.5)
    return f" (did you mean {' or '.join(map(repr, got))}?)" if got else ""


def missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA


def load_readings(path: Path | str | None = None) -> pd.DataFrame:
    """``config/claims.csv`` indexed by reading id, checked: every reading has a unit, a kind
    from :data:`KINDS` and a non-negative tolerance; errors name the row and column."""
    path = Path(path) if path else paths.CONFIG / "claims.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = config.check(df, "CLAIMS", path)
    if "not_comparable" not in df.columns:  # optional: why the data's basis differs
        df["not_comparable"] = ""
    miss = [c for c in CONFIG_COLUMNS if c not in df.columns]
    if miss:
        raise ValueError(f"{path}: missing column(s) {miss}")
    dup = df["id"][df["id"].duplicated()].tolist()
    if dup:
        raise ValueError(f"{path}, column 'id': duplicated reading id(s) {dup}")
    for i, r in df.iterrows():
        where = f"{path} line {i + 2} (id={r['id']!r})"
        if r["kind"] not in KINDS:
            raise ValueError(f"{where}, column 'kind': {r['kind']!r} not in {KINDS}")
        for c in ("tolerance", "published_value"):
            if c == "published_value" and r[c] == "":
                continue
            try:
                v = float(r[c])
            except ValueError:
                raise ValueError(f"{where}, column {c!r}: not a number: {r[c]!r}") from None
            if c == "tolerance" and v < 0:
                raise ValueError(f"{where}, column 'tolerance': negative ({v})")
        if not r["unit"]:
            raise ValueError(f"{where}, column 'unit': empty")
    return df.set_index("id")


@lru_cache(maxsize=1)
def _readings() -> pd.DataFrame:
    return load_readings()


def published_value(rid: str) -> float | None:
    """The published value of reading ``rid`` in ``config/claims.csv`` (``None`` when the
    data define it), for notes computed from the claims' own figures."""
    cfg = _readings()
    if rid not in cfg.index:
        raise KeyError(f"reading {rid!r} is not defined in config/claims.csv")
    v = cfg.loc[rid, "published_value"]
    return None if v == "" else float(v)


def row(
    label: str,
    computed,
    computation: str,
    basis: str,
    sources: str,
    reason: str | None = None,
    published=None,
    tier: str | None = None,
    other_data: bool = False,
    note: str | None = None,
) -> dict:
    """One ledger row for the reading whose id starts ``label`` (``'1a: ...'``): published
    value, unit and tolerance from ``config/claims.csv``; ``computed is None`` means not
    testable because of ``reason``. A reading whose ``not_comparable`` column gives a reason
    (the published figure's basis differs from every basis in the data) is ``not comparable``:
    its value is shown, not judged, and the reason goes into ``basis_note``.

    ``tier``: the lowest of the best provenance tiers of the transcribed CPS figures the
    computed value uses (``None``: it uses none), shown in the ``tier`` column (blank when
    not testable);
    ``other_data``: another input of the computed value is not a transcription. A consistent
    check on transcriptions only, below the primary tier, of a figure the claim quotes is
    ``circular`` (:func:`is_circular`), its reason first in ``basis_note``.

    ``note``: a caution computed from the data or the claims' own figures (an outlying year
    the reading rests on, figures that cannot share one basis), whatever the verdict; blank
    when none. :func:`interpret` adds it to the claim's sentence."""
    rid = label.split(":")[0].strip()
    cfg = _readings()
    if rid not in cfg.index:
        raise ProjectError(
            paths.CONFIG / "claims.csv",
            f"reading {rid!r} of a claim function is not defined{close(rid, cfg.index)}",
            "add its row, or fix the id the claim function yields",
        )
    r = cfg.loc[rid]
    if published is None and r["published_value"] != "":
        published = float(r["published_value"])
    tol, kind = float(r["tolerance"]), r["kind"]
    v = verdict(published, computed, tol, kind)
    if v == NOT_TESTABLE:
        computation = f"not testable: {reason or 'an input is missing'}"
    elif r.get("not_comparable", ""):
        v = NOT_COMPARABLE
        basis = f"not comparable: {r['not_comparable']}. {basis}"
    elif is_circular(v, tier, r["published_value"] != "", other_data):
        v = CIRCULAR
        basis = f"circular (tier {tier}): {CIRCULAR_WHY}. {basis}"
    return {
        "claim_id": "".join(ch for ch in rid if ch.isdigit()),
        "reading": label,
        "published_value": None if missing(published) else float(published),
        "computed_value": None if missing(computed) else round(float(computed), 4),
        "unit": r["unit"],
        "tolerance": f"{kind} {tol:g}",
        "verdict": v,
        "computation": computation,
        "basis_note": basis,
        "sources": sources,
        "tier": "" if v == NOT_TESTABLE else (tier or ""),
        "note": note or "",
    }


def write_ledger(df: pd.DataFrame, stem: str = "claims_ledger", outdir: Path | None = None):
    """Write the ledger as CSV and LaTeX (``tables/claims_ledger.*``)."""
    return write_table(df, stem, outdir if outdir else paths.TABLES)


#: short label of each claim (the published statement being tested, not a result)
CLAIM_LABELS: dict[str, str] = {}
_VERDICT_ORDER = (CONSISTENT, CIRCULAR, INCONSISTENT, NOT_COMPARABLE, NOT_TESTABLE)
_VERDICT_WORD = {
    CONSISTENT: "consistent",
    CIRCULAR: "circular",
    INCONSISTENT: "inconsistent",
    NOT_COMPARABLE: "not comparable",
    NOT_TESTABLE: "not testable",
}


def _against(tolerance) -> str:
    t = str(tolerance)
    return (
        "vs claimed at most"
        if t.startswith("at_most")
        else "vs claimed at least"
        if t.startswith("at_least")
        else "vs published"
    )


def _detail(v: str, g: pd.DataFrame) -> str:
    """The readings ``g`` of verdict ``v`` in words, for :func:`interpret`."""
    rid = g["reading"].astype(str).str.split(":").str[0]
    if v == NOT_TESTABLE:
        return "; ".join(
            f"{r}: {str(comp).removeprefix('not testable: ')}"
            for r, comp in zip(rid, g["computation"], strict=True)
        )
    cols = [rid, g["computed_value"], g["published_value"], g["unit"]]
    if v == NOT_COMPARABLE:
        return "; ".join(
            f"{r} computed {fmt_unit(c, u)}, published {fmt_unit(p, u)}: "
            + str(b).removeprefix("not comparable: ").split(". ")[0]
            for r, c, p, u, b in zip(*cols, g["basis_note"], strict=True)
        )
    tiers = g["tier"] if "tier" in g.columns else pd.Series("", index=g.index)
    return "; ".join(
        f"{r} computed {fmt_unit(c, u)}"
        + (f" ({tier} tier)" if v == CIRCULAR and tier else "")
        + f" {_against(t)} {fmt_unit(p, u)}"
        for r, c, p, u, t, tier in zip(*cols, g["tolerance"], tiers, strict=True)
    )


def interpret(ledger: pd.DataFrame) -> str:
    """Markdown text of the ledger: one sentence per claim, built only from its rows.

    For each claim, the readings are counted by verdict; consistent, circular and inconsistent
    readings list their computed values against the published ones (circular ones with the
    tier of their transcriptions and why agreement proves little, :data:`CIRCULAR_WHY`),
    not-comparable readings add why the bases differ (from ``basis_note``), not-testable
    readings give their reason (from ``computation``); each note (column ``note``) follows
    once, with the readings that carry it. Nothing in the text is typed in except
    the claim labels (:data:`CLAIM_LABELS`, the published statements) and the words of the
    verdicts.
    """
    if ledger is None or ledger.empty:
        return "_The ledger is empty._"
    lines = []
    ids = sorted(ledger["claim_id"].astype(str).unique(), key=lambda c: (len(c), c))
    for cid in ids:
        d = ledger[ledger["claim_id"].astype(str) == cid]
        n = len(d)
        parts = []
        for v in _VERDICT_ORDER:
            g = d[d["verdict"] == v]
            if g.empty:
                continue
            why = f": {CIRCULAR_WHY}" if v == CIRCULAR else ""
            parts.append(
                f"{len(g)} of {n} reading{'s' if n > 1 else ''} {_VERDICT_WORD[v]} "
                f"({_detail(v, g)}){why}"
            )
        label = CLAIM_LABELS.get(cid)
        head = f"**Claim {cid}**" + (f" ({label})" if label else "")
        lines.append(f"- {head}: " + "; ".join(parts) + "." + _notes(d))
    return "\n".join(lines)


def _notes(d: pd.DataFrame) -> str:
    """The claim's notes (column ``note``), each once with the readings that carry it."""
    if "note" not in d.columns:
        return ""
    notes = d["note"].where(d["note"].notna(), "").astype(str)
    out = []
    for text in dict.fromkeys(n for n in notes if n):
        ids = d.loc[notes == text, "reading"].astype(str).str.split(":").str[0]
        out.append(f" Note ({', '.join(ids)}): {text}.")
    return "".join(out)
