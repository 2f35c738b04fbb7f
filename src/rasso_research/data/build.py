"""What the source modules build the panel with: panel rows, national sums, build steps.

A source module registers each part of the build with :func:`step`: a function taking the
:class:`Build` in progress, which adds panel rows (:meth:`Build.add_rows`), side tables for
``data/processed`` (:meth:`Build.add_table`) and frames later steps need
(:meth:`Build.offer`); a step reads such a frame with :meth:`Build.need`, only under a name
declared in its ``needs``. :mod:`rasso_research.data.panel` runs the steps by their ``order``
numbers. Nothing here imports :mod:`rasso_research.data.panel`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rasso_research.constants import GEOGRAPHIES
from rasso_research.data import forces
from rasso_research.data.quality import QualityLog
from rasso_research.data.rawfiles import RawFiles

NAT = forces.NATIONAL


# ---- panel rows ------------------------------------------------------------------------------
def panel_rows(
    df: pd.DataFrame,
    measure: str,
    value: str,
    source: str,
    note: str = "",
    flag: str = "",
    geography: str | None = None,
) -> pd.DataFrame:
    """Frame with fiscal_quarter, force (the area's name), value -> panel rows for one measure.
    ``geography``: ``None`` (national for the national total, else force) or ``"cps_area"``."""
    if geography is not None and geography not in GEOGRAPHIES:
        raise ValueError(f"geography must be one of {GEOGRAPHIES}, got {geography!r}")
    out = pd.DataFrame(
        {
            "fiscal_quarter": df["fiscal_quarter"].to_numpy(),
            "geography": geography,
            "force": df["force"].to_numpy(),
            "measure": measure,
            "value": df[value].astype(float).to_numpy(),
            "source": source,
            "flag": flag,
            "note": note,
        }
    )
    return out


def national_sum(
    df: pd.DataFrame, keys: list[str], value: str, log: QualityLog, what: str
) -> pd.DataFrame:
    """Sum force rows to England and Wales: missing when any force's value is missing (a
    national total without a force is not the national total); quarters with fewer than 43
    forces, or left missing, are counted in the quality log."""
    g = df.groupby(keys, as_index=False).agg(
        **{value: (value, strict_sum), "n_forces": ("force", "nunique")}
    )
    g["force"] = NAT
    short = g[g["n_forces"] < len(forces.FORCES)]
    if len(short):
        log.add(
            "national aggregates", what, "quarters summed over fewer than 43 forces", len(short)
        )
    n_missing = int(g[value].isna().sum())
    if n_missing:
        log.add(
            "values set to missing",
            what,
            "national total left missing: a force's value is missing in the quarter",
            n_missing,
        )
    return g


def strict_sum(v: pd.Series) -> float:
    """The sum, or missing when any value is missing (never a silent undercount)."""
    return float(v.sum()) if len(v) and v.notna().all() else np.nan


# ---- build steps -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One registered part of the panel build: ``name`` (also its progress message),
    ``order`` (steps run by increasing order), ``run(build)``, the names of the frames it
    ``needs`` from earlier steps, and ``write_only`` (it only makes side tables: skipped when
    the build writes nothing)."""

    name: str
    order: int
    run: Callable[[Build], None]
    needs: tuple[str, ...] = ()
    write_only: bool = False


#: name -> step, filled by the :func:`step` decorators of the source modules when imported
STEPS: dict[str, Step] = {}


def step(name: str, order: int, needs: Iterable[str] = (), write_only: bool = False):
    """Register the decorated ``f(build)`` as a step of the panel build (see :class:`Step`)."""

    def deco(f: Callable[[Build], None]) -> Callable[[Build], None]:
        old = STEPS.get(name)
        if old is not None and (old.run.__module__, old.run.__qualname__) != (
            f.__module__,
            f.__qualname__,
        ):
            raise ValueError(f"build step {name!r} registered twice: {old.run.__module__}")
        STEPS[name] = Step(name, order, f, tuple(needs), write_only)
        return f

    return deco


@dataclass(frozen=True)
class Table:
    """A side table for ``data/processed``: ``<name>.csv``, and ``<name>.parquet`` too when
    ``parquet``."""

    frame: pd.DataFrame
    parquet: bool = False


@dataclass
class Build:
    """A panel build in progress: the registry's files, verified in this build (``files``: a
    step opens a raw file only through :meth:`path` or ``files``), the quality log, the folder
    a step may cache parsed inputs in (``cache``; ``None``: no cache) and what the steps have
    made so far."""

    files: RawFiles
    log: QualityLog
    cache: Path | None = None
    parts: list[pd.DataFrame] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    current: Step | None = None

    def path(self, name: str) -> Path:
        """The verified path of registry file ``name`` (:meth:`RawFiles.path`)."""
        return self.files.path(name)

    def add_rows(self, rows: pd.DataFrame) -> None:
        """Panel rows (columns of :func:`panel_rows`), kept in the order the steps add them."""
        self.parts.append(rows)

    def rows(self) -> pd.DataFrame:
        """Every panel row the steps have added so far."""
        return pd.concat(self.parts, ignore_index=True)

    def add_table(self, name: str, frame: pd.DataFrame, parquet: bool = False) -> None:
        """A side table written as ``data/processed/<name>.csv`` (and ``.parquet``)."""
        if name in self.tables:
            raise ValueError(f"side table {name!r} made twice")
        self.tables[name] = Table(frame, parquet)

    def offer(self, name: str, value: Any) -> None:
        """A frame later steps may read with :meth:`need`."""
        if name in self.data:
            raise ValueError(f"{name!r} offered twice to the build")
        self.data[name] = value

    def need(self, name: str) -> Any:
        """A frame an earlier step offered; the current step must declare it in ``needs``."""
        if self.current is not None and name not in self.current.needs:
            raise KeyError(
                f"build step {self.current.name!r} reads {name!r} without declaring it in needs="
            )
        return self.data[name]

    def run(self, s: Step) -> None:
        """Run step ``s`` once every frame it needs has been offered."""
        missing = [n for n in s.needs if n not in self.data]
        if missing:
            raise ValueError(
                f"build step {s.name!r} (order {s.order}) needs {missing}, which no earlier step "
                f"offers (offered so far: {sorted(self.data)})"
            )
        self.log.say(s.name)
        self.current = s
        try:
            s.run(self)
        finally:
            self.current = None
