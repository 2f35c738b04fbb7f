"""The table of data sources: one :class:`Source` row per source of panel rows.

Each publisher module in :mod:`rasso_research.data.sources` declares its rows in a module
constant ``SOURCES`` (a tuple of :class:`Source`); :func:`sources` collects them from every
module of that package, found with :mod:`pkgutil`, so a new source is declared beside its
reader and nowhere else. A source's ``label`` is the string in the panel's ``source`` column;
its ``key`` is the short name callers may pass as ``source=`` (e.g. ``"charged_nat"``).

This module imports no reader: importing it (as :mod:`rasso_research.data.series` does) costs
nothing; the reader modules are imported only when the table is first read.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from types import ModuleType

#: the package whose modules declare the sources and register the panel's build steps
SOURCES_PACKAGE = "rasso_research.data.sources"


#: the flag's opening words on a national total that lacks a force's figures (the force did not
#: supply them); :func:`rasso_research.data.series.incomplete_quarters` finds such quarters
INCOMPLETE = "England and Wales total lacks"


@dataclass(frozen=True)
class Coverage:
    """What a source must cover: its main ``measure`` from fiscal quarter ``first`` to
    ``last`` for ``n_areas`` areas (forces and the national total), each with every quarter in
    between. The panel build stops, naming the source's file, when a source falls short (a file
    that passes its checksum but is incomplete). Update it with the registry when a source is
    replaced."""

    measure: str
    first: str
    last: str
    n_areas: int

    @classmethod
    def national(cls, measure: str, first: str, last: str) -> Coverage:
        """Coverage of a national series only (one area: England and Wales)."""
        return cls(measure, first, last, 1)


@dataclass(frozen=True)
class Source:
    """One source of panel rows: ``key`` (short name), ``label`` (the panel's ``source``
    string), ``files`` (the raw file(s) or folder behind it, relative to ``data/raw``, named in
    the completeness errors) and the ``coverage`` it must have (``None``: not checked)."""

    key: str
    label: str
    files: tuple[str, ...]
    coverage: Coverage | None = None
    #: keys of older sources of the same measures that this one replaces where both cover a
    #: quarter (a later release of the same data): the series accessor then reads this one
    supersedes: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        """The source's file(s), for error messages."""
        return ", ".join(self.files)


def source_modules() -> list[ModuleType]:
    """Every module of :data:`SOURCES_PACKAGE`, imported (sorted by name). Importing a module
    declares its sources and registers its build steps."""
    package = importlib.import_module(SOURCES_PACKAGE)
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.ispkg)
    return [importlib.import_module(f"{SOURCES_PACKAGE}.{name}") for name in names]


def sources() -> dict[str, Source]:
    """Key -> :class:`Source`, from the ``SOURCES`` of every source module; a key or a label
    declared twice is an error naming both modules."""
    out: dict[str, Source] = {}
    where: dict[str, str] = {}
    for module in source_modules():
        for s in getattr(module, "SOURCES", ()):
            for name in (s.key, s.label):
                if name in where:
                    raise ValueError(
                        f"source {name!r} declared twice: in {where[name]} and {module.__name__}"
                    )
                where[name] = module.__name__
            out[s.key] = s
    return out


def superseded(labels) -> set[str]:
    """The labels among ``labels`` that another source among them supersedes."""
    by_label = {s.label: s for s in sources().values()}
    present = set(labels)
    out: set[str] = set()
    for lab in present:
        s = by_label.get(lab)
        if s is not None:
            out |= {label(k) for k in s.supersedes} & present
    return out


def label(source: str) -> str:
    """The panel ``source`` string of a source key (``"charged_nat"``); anything else (a label
    already) is returned unchanged."""
    s = sources().get(source)
    return s.label if s is not None else source
