"""Provenance tiers of the transcribed figures: what kind of publisher each row was read from,
decided by the host of its source URL through one table, ``config/provenance.csv``
(``host_pattern, tier, note``).

Tiers, best first (:data:`TIERS`):

* ``primary``: the publisher of the figure or an official body: CPS, Parliament/Hansard, the
  inspectorates (HMCPSI, HMICFRS), College of Policing, gov.uk, ONS; and verbatim copies of
  their documents (the table's note says so for each such host);
* ``secondary``: organisations quoting an official table: charities, campaign groups,
  research bodies, other organisations summarising a report;
* ``press``: newspapers, broadcasters, wire copy, blogs, and mirrors of their articles.

A pattern matches the host itself and its subdomains (``cps.gov.uk`` matches
``www.cps.gov.uk``); where several match, the longest wins. A host the table does not classify
stops the build with an error naming it and the fix (:class:`ProvenanceError`). A row whose URL
has no host gets the tier ``no_host`` (:data:`NO_HOST`), ranked below ``press``; the readers
count such rows in the data-quality log. Where several rows give the same figure, the analyses
use the rows of the highest tier present (:func:`highest_tier_rows`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd

from rasso_research import paths
from rasso_research.data.quality import QualityLog

TIERS = ("primary", "secondary", "press")
NO_HOST = "no_host"
#: rank of every tier, 0 = best (``no_host`` last)
RANK = {t: i for i, t in enumerate((*TIERS, NO_HOST))}
COLUMNS = ["host_pattern", "tier", "note"]
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_HOST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})+$")


class ProvenanceError(ValueError):
    """A source host the provenance table does not classify, or a bad row of the table."""


def config_path() -> Path:
    return paths.CONFIG / "provenance.csv"


def load_provenance(path: Path | str | None = None) -> pd.DataFrame:
    """``config/provenance.csv``, checked: the columns of :data:`COLUMNS`; every pattern a
    lower-case host name without ``www.``, given once; every tier one of :data:`TIERS`; every
    row with a note. Errors name the file, the line and the column."""
    path = Path(path) if path else config_path()
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    miss = [c for c in COLUMNS if c not in df.columns]
    if miss:
        raise ProvenanceError(f"{path}: missing column(s) {miss}")
    df = df.assign(host_pattern=df["host_pattern"].str.strip(), tier=df["tier"].str.strip())
    for i, r in df.iterrows():
        where = f"{path} line {i + 2} (host_pattern={r['host_pattern']!r})"
        if not _HOST.match(r["host_pattern"]) or r["host_pattern"].startswith("www."):
            raise ProvenanceError(
                f"{where}, column 'host_pattern': not a lower-case host name without 'www.'"
            )
        if r["tier"] not in TIERS:
            raise ProvenanceError(f"{where}, column 'tier': {r['tier']!r} not in {TIERS}")
        if not r["note"].strip():
            raise ProvenanceError(f"{where}, column 'note': empty (say who publishes the page)")
    dup = df["host_pattern"][df["host_pattern"].duplicated()].tolist()
    if dup:
        raise ProvenanceError(f"{path}, column 'host_pattern': given twice: {dup}")
    return df[COLUMNS].reset_index(drop=True)


def host_of(url) -> str | None:
    """The host of a source URL, lower case, without ``www.``; ``None`` when it has none."""
    if not isinstance(url, str) or not url.strip():
        return None
    host = urlparse(url.strip()).hostname
    if not host or "." not in host:
        return None
    return host.lower().removeprefix("www.")


def classify_host(host: str, table: pd.DataFrame) -> str | None:
    """The tier of ``host`` by the longest matching pattern of ``table``; ``None`` if none."""
    best = None
    for pattern, tier in zip(table["host_pattern"], table["tier"], strict=True):
        if host == pattern or host.endswith("." + pattern):
            if best is None or len(pattern) > len(best[0]):
                best = (pattern, tier)
    return None if best is None else best[1]


def tiers_of(urls: Iterable, where: str, table: pd.DataFrame | None = None) -> list[str]:
    """The tier of every source URL (``no_host`` for a URL without a host). A host the table
    does not classify is an error listing every such host of ``where`` and the fix."""
    table = load_provenance() if table is None else table
    hosts = [host_of(u) for u in urls]
    tiers = [NO_HOST if h is None else classify_host(h, table) for h in hosts]
    unknown = sorted({h for h, t in zip(hosts, tiers, strict=True) if t is None})
    if unknown:
        raise ProvenanceError(
            f"{where}: source host(s) {unknown} not classified in {config_path()}: add one row "
            f"per host (host_pattern, tier one of {', '.join(TIERS)}, note saying who publishes "
            "the page); docs/DATA.md, 'Provenance tiers', gives the rule"
        )
    return tiers


def best_tier(tiers: Iterable[str]) -> str:
    """The highest of ``tiers`` (primary > secondary > press > no_host)."""
    tiers = list(tiers)
    if not tiers:
        raise ValueError("best_tier: no tiers given")
    return min(tiers, key=RANK.__getitem__)


def worst_tier(tiers: Iterable[str]) -> str:
    """The lowest of ``tiers``: the tier of a value computed from figures of these tiers."""
    tiers = list(tiers)
    if not tiers:
        raise ValueError("worst_tier: no tiers given")
    return max(tiers, key=RANK.__getitem__)


def highest_tier_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``df`` (transcriptions of one figure) whose ``tier`` is the highest present."""
    if "tier" not in df.columns:
        raise KeyError(
            "no 'tier' column: the transcribed CPS tables carry one since the provenance tiers "
            "(rebuild data/processed: python -m rasso_research.data.panel)"
        )
    if df.empty:
        return df
    return df[df["tier"] == best_tier(df["tier"])]


def tier_first(g: pd.DataFrame, resolve: Callable) -> tuple[float, str, bool, str]:
    """``(value, note, unresolved, tier)`` of one figure's transcriptions ``g``: ``resolve``
    (sorted distinct values -> ``(value, note, unresolved)``) applied to the rows of the highest
    tier present, ``tier`` being that tier. Where the result is the one ``resolve`` gives on
    every row, its note is kept; where the tier decides, the note names the lower-tier values
    set aside."""
    top = highest_tier_rows(g)
    tier = top["tier"].iloc[0]
    every = resolve(sorted(g["value"].unique()))
    value, note, unresolved = resolve(sorted(top["value"].unique()))
    if value == every[0] or (pd.isna(value) and pd.isna(every[0])):
        return every[0], every[1], every[2], tier
    lower = sorted(set(g["value"]) - set(top["value"]))
    kept = f"{tier} value kept over lower-tier {'; '.join(f'{v:g}' for v in lower)}"
    return value, "; ".join(filter(None, [kept, note])), unresolved, tier


def log_tiers(log: QualityLog, df: pd.DataFrame, file: str) -> None:
    """The rows and hosts of each tier of a transcribed table (``no_host`` too, even when
    none), and the reader's notes, in the data-quality log."""
    log.dropped(df)
    hosts = df["source_url"].map(host_of)
    for t in (*TIERS, NO_HOST):
        sel = df["tier"] == t
        n = hosts[sel].nunique()
        what = f"rows read from {t} pages ({n} host{'' if n == 1 else 's'})"
        if t == NO_HOST:
            what = "rows whose source URL has no host (tier no_host, ranked below press)"
        log.add("provenance tiers", file, what, int(sel.sum()))
