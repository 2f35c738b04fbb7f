"""The panel build finds its parts: each module of ``data/sources`` declares its sources and
registers its steps; ``data/panel.py`` imports them all and runs the steps in order, then
checks every source's coverage. A new source needs no edit to ``data/panel.py``."""

from __future__ import annotations

import ast
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import rasso_research
from rasso_research.data import build, catalog, fetch, panel
from rasso_research.data import sources as sources_pkg
from rasso_research.data.quality import QualityLog
from rasso_research.data.rawfiles import RawFiles
from rasso_research.data.schemas import InputFormatError

FAKE = "rasso_research.data.sources.fake_source"
SRC = Path(rasso_research.__file__).parents[1]

#: a source module as a contributor would write it: its Source row and its build step
FAKE_MODULE = textwrap.dedent(
    '''
    """A made-up source for the tests of the panel build."""

    import pandas as pd

    from rasso_research.data.build import Build, panel_rows, step
    from rasso_research.data.catalog import Coverage, Source

    FAKE = Source(
        "fake",
        "Fake source for a test",
        ("fake/fake-file.csv",),
        Coverage("fake_measure", "2018/19 Q1", "2018/19 Q4", 2),
    )
    SOURCES = (FAKE,)
    QUARTERS = ["2018/19 Q1", "2018/19 Q2", "2018/19 Q3", "2018/19 Q4"]


    @step("fake rows", order=5)
    def fake_rows(b: Build) -> None:
        df = pd.DataFrame(
            [(q, f, 1.0) for q in QUARTERS for f in ("Durham", "England and Wales")],
            columns=["fiscal_quarter", "force", "value"],
        )
        b.add_rows(panel_rows(df, "fake_measure", "value", FAKE.label))
        b.add_table("fake_table", df)
        b.offer("fake", df)


    @step("fake derived rows", order=6, needs=("fake",))
    def fake_derived(b: Build) -> None:
        df = b.need("fake").assign(value=2.0)
        b.add_rows(panel_rows(df, "fake_measure_doubled", "value", FAKE.label))
    '''
)


@pytest.fixture
def fake_module(tmp_path, monkeypatch):
    """``fake_source.py`` placed on the path of ``rasso_research.data.sources`` (as if added
    to that folder); the registry of steps and ``sys.modules`` are restored afterwards."""
    catalog.source_modules()  # the real modules register their steps in the real registry first
    monkeypatch.setattr(build, "STEPS", dict(build.STEPS))
    folder = tmp_path / "more_sources"
    folder.mkdir()
    (folder / "fake_source.py").write_text(FAKE_MODULE, encoding="utf-8")
    monkeypatch.setattr(sources_pkg, "__path__", [*sources_pkg.__path__, str(folder)])
    yield
    sys.modules.pop(FAKE, None)


def test_a_new_source_module_is_discovered(fake_module):
    names = [m.__name__ for m in catalog.source_modules()]
    assert FAKE in names and "rasso_research.data.sources.homeoffice" in names
    assert catalog.sources()["fake"].label == "Fake source for a test"
    assert catalog.label("fake") == "Fake source for a test"
    order = [s.name for s in panel.steps()]
    assert order[:3] == ["fake rows", "fake derived rows", "recorded rape (PFA tables)"]


def _empty_raw(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "registry.csv").write_text(",".join(fetch.REGISTRY_COLUMNS) + "\n", encoding="utf-8")
    return raw


def test_the_build_runs_a_new_source_and_checks_its_coverage(fake_module, tmp_path, monkeypatch):
    """With only the fake module: its rows reach the panel, its table is written, and the
    coverage check inside the build stops a source cut short, naming its file."""
    only = [m for m in catalog.source_modules() if m.__name__ == FAKE]
    monkeypatch.setattr(catalog, "source_modules", lambda: only)
    raw, out = _empty_raw(tmp_path), tmp_path / "out"
    p = panel.build_panel(raw, out, progress=False)
    assert set(p["measure"]) == {"fake_measure", "fake_measure_doubled"}
    assert set(p["source"]) == {"Fake source for a test"}
    assert set(p["geography"]) == {"force", "national"}
    assert (out / "panel.parquet").exists() and (out / "fake_table.csv").exists()
    assert "| fake_measure | Fake source for a test |" in (out / "data_quality.md").read_text()
    monkeypatch.setattr(sys.modules[FAKE], "QUARTERS", ["2018/19 Q1", "2018/19 Q2"])
    with pytest.raises(InputFormatError, match=r"fake/fake-file.csv: fake_measure for .* lacks"):
        panel.build_panel(raw, tmp_path / "out2", progress=False)
    assert not (tmp_path / "out2" / "panel.parquet").exists()


def test_a_step_must_declare_what_it_needs(tmp_path):
    b = build.Build(RawFiles(tmp_path, {}, {}), QualityLog(False))
    b.offer("population", pd.DataFrame())
    s = build.Step("reads undeclared", 1, lambda b: b.need("population"))
    with pytest.raises(KeyError, match="without declaring it in needs="):
        b.run(s)
    t = build.Step("needs what nobody offers", 2, lambda b: None, needs=("recorded",))
    with pytest.raises(ValueError, match=r"needs \['recorded'\], which no earlier step offers"):
        b.run(t)


def test_source_labels_are_the_panel_strings():
    """The panel's ``source`` strings of every source key (unchanged by the catalog)."""
    assert {k: s.label for k, s in catalog.sources().items()} == {
        "pfa_2026": "HO PRC PFA tables, 23 Apr 2026 release",
        "out_2018": "HO outcomes open data, YE Mar 2018 edition",
        "out_2019": "HO outcomes open data, YE Mar 2019 edition",
        "charged_nat": "HO outcomes by offence code, E&W, 2024 edition (closure measure)",
        "cps_q": "CPS case outcomes by principal offence category (quarterly)",
        "cps_m": "CPS case outcomes by principal offence category (sum of monthly)",
        "pop": "ONS mid-year population (see population.csv)",
        "oocd_fy": "OOCD dashboard aggregate of HO outcomes open data (July 2026 release), annual",
        "oocd_q": "OOCD dashboard aggregate of HO outcomes open data (July 2026 release), all "
        "offences, quarterly",
        "ho_official": "HO outcomes open data, July 2026 release (official workbooks)",
    }
    assert catalog.label("charged_nat") == catalog.sources()["charged_nat"].label
    assert catalog.label("a label already") == "a label already"


def test_the_build_order_is_declared_by_the_steps():
    steps = panel.steps()
    assert [s.order for s in steps] == sorted(s.order for s in steps)
    names = [s.name for s in steps]
    # derived rows come after what they need
    assert names.index("recorded rape per 100,000") > names.index("quarterly population rows")
    assert names.index("quarterly population rows") > names.index("population")


def imports(path: Path) -> set[str]:
    """Every module a file of the package imports (at the top or inside a function), and each
    imported name as ``module.name``; relative imports are resolved against its package."""
    package = ".".join(path.relative_to(SRC).parent.parts)
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            mod = ".".join(filter(None, [base, node.module or ""]))
            out |= {mod} | {f"{mod}.{a.name}" for a in node.names}
    return out


def test_imports_point_one_way():
    """Nothing in data/ imports the layers above it; the source modules, the catalog and the
    accessor never import the panel builder."""
    above = {f"rasso_research.{p}" for p in ("its", "designs", "plots", "report", "claims")}
    above.add("rasso_research.params")
    for path in sorted((SRC / "rasso_research" / "data").rglob("*.py")):
        mods = imports(path)
        bad = sorted(m for m in mods if any(m == a or m.startswith(a + ".") for a in above))
        assert not bad, f"{path.name} imports {bad}"
        if path.name != "panel.py":
            assert "rasso_research.data.panel" not in mods, f"{path.name} imports data.panel"
