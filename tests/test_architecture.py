"""The package's layout holds: imports point one way (estimators -> ITS library -> designs ->
views -> notebooks, data beside them), with no circle anywhere; every module is in the module
table of docs/ARCHITECTURE.md; no function is longer than 80 lines and no module longer than
600. The import graph is read from the source (imports inside functions count too)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "rasso_research"
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 600

#: Each module's layer, by the first rule whose prefix matches its dotted name (after
#: ``rasso_research.``).
LAYER_OF = [
    ("data.measures", "labels"),
    ("data", "data"),
    ("estimators", "estimators"),
    ("its", "its"),
    ("designs", "designs"),
    ("views", "views"),
    ("studies", "studies"),
    ("claims", "studies"),
    ("validation", "studies"),
    ("params", "top"),
    ("notebook", "top"),
    ("runs", "top"),
    ("cli", "top"),
    ("__main__", "top"),
    ("", "foundation"),  # constants, paths, periods, timeline, report, errors, config
]
#: What each layer may import (besides itself).
ALLOWED = {
    "foundation": {"foundation"},
    "labels": {"foundation"},
    "data": {"foundation", "labels"},
    "estimators": {"foundation"},
    "its": {"foundation", "estimators"},
    "designs": {"foundation", "labels", "estimators", "its"},
    "views": {"foundation", "labels", "its", "designs"},
    "studies": {"foundation", "labels", "data", "estimators", "its", "designs"},
    "top": {"foundation", "labels", "data", "estimators", "its", "designs", "views", "studies"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for p in sorted(PKG.rglob("*.py")):
        parts = p.relative_to(PKG).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


MODULES = _modules()


def layer(module: str) -> str:
    for prefix, name in LAYER_OF:
        if module == prefix or module.startswith(prefix + ".") or prefix == "":
            return name
    raise AssertionError(module)


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return (node.module or "").removeprefix("rasso_research").lstrip(".")
    base = module.split(".") if module else []
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports() -> dict[str, set[str]]:
    """Module -> the package modules it imports (``from x import y`` counts as importing
    ``x.y`` when that is a module, else ``x``)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for mod, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if not node.level and not (node.module or "").startswith("rasso_research"):
                    continue
                target = _resolve(mod, path, node)
                for a in node.names:
                    sub = f"{target}.{a.name}".lstrip(".")
                    graph[mod].add(sub if sub in MODULES else target)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("rasso_research"):
                        graph[mod].add(a.name.removeprefix("rasso_research").lstrip("."))
        graph[mod].discard(mod)
    return graph


def test_imports_point_one_way():
    bad = [
        f"{m} ({layer(m)}) imports {t} ({layer(t)})"
        for m, targets in imports().items()
        for t in sorted(targets)
        if t in MODULES and layer(t) != layer(m) and layer(t) not in ALLOWED[layer(m)]
    ]
    assert bad == []


def test_designs_and_views_never_read_the_data_files():
    """A design takes tidy data and a view takes results and frames: neither imports the
    loaders (the series accessor, the panel builder, the fetcher, the readers)."""
    loaders = ("data.series", "data.panel", "data.fetch", "data.sources")
    bad = [
        f"{m} imports {t}"
        for m, targets in imports().items()
        if layer(m) in ("designs", "views")
        for t in targets
        if t.startswith(loaders)
    ]
    assert bad == []


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle in ``graph`` (a path that returns to its start), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for t in sorted(graph.get(n, ())):
            # a package's __init__ importing its own modules is not a circle through them
            if state.get(t) == 1 and not (n.startswith(t + ".") or t == ""):
                return stack[stack.index(t) :] + [t]
            if t not in state:
                found = visit(t)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def test_no_import_circles():
    graph = {m: {t for t in ts if t in MODULES} for m, ts in imports().items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_cycle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_every_module_is_in_the_architecture_table():
    """docs/ARCHITECTURE.md's module table lists every module (as its path under
    ``src/rasso_research/``, in backticks in the first column), and nothing else."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    listed = set()
    for line in text.splitlines():
        m = re.match(r"^\|\s*`([\w/.]+\.py)`", line)
        if m:
            listed.add(m.group(1))
    have = {str(p.relative_to(PKG)) for p in MODULES.values()}
    assert sorted(have - listed) == [], "modules missing from docs/ARCHITECTURE.md"
    assert sorted(listed - have) == [], "docs/ARCHITECTURE.md lists modules that do not exist"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_functions_and_modules_are_short(module):
    path = MODULES[module]
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{path.name} is too long"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_the_layer_rules_catch_a_wrong_import():
    assert layer("designs.synthetic") == "designs" and layer("views.its") == "views"
    assert layer("data.measures") == "labels" and layer("constants") == "foundation"
    assert "views" not in ALLOWED["designs"] and "designs" not in ALLOWED["estimators"]
