"""Project hygiene: environment files in step, notebooks clean, Makefile targets documented."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in meta["dependencies"] + meta["optional-dependencies"]["dev"]}
    text = (ROOT / "environment.yml").read_text()
    env_lines = text.split("dependencies:", 1)[1].splitlines()
    listed = {
        _name(line.strip()[2:])
        for line in env_lines
        if line.startswith("  - ") and not line.strip()[2:].startswith(("python=", "pip", "-e"))
    }
    assert wanted == listed, f"only in pyproject: {wanted - listed}; only in yml: {listed - wanted}"


def test_constraints_pin_every_direct_dependency():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in meta["dependencies"] + meta["optional-dependencies"]["dev"]}
    pins = {
        _name(line.split("==")[0])
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line
    }
    assert wanted <= pins, f"not pinned in constraints.txt: {wanted - pins}"


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_notebook_is_clean(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, "notebook has no code cells"
    first = code[0]
    assert "parameters" in first.get("metadata", {}).get("tags", []), (
        f"{path.name}: first code cell must be tagged 'parameters'"
    )
    for cell in code:
        meta = cell.get("metadata", {})
        if meta.get("keep_output"):
            # nbval reference cell: outputs with a count, and tagged so lax mode compares it
            assert "nbval-check-output" in meta.get("tags", []), f"{path.name}: untagged kept cell"
            assert cell.get("outputs") and cell.get("execution_count"), (
                f"{path.name}: kept cell without reference output (run tools/keep_outputs.py)"
            )
        else:
            # a cell tagged for nbval but without a reference would be compared with nothing
            assert "nbval-check-output" not in meta.get("tags", []), (
                f"{path.name}: cell tagged nbval-check-output without keep_output (no reference)"
            )
            assert cell.get("execution_count") is None, f"{path.name}: execution count left in"
            assert not cell.get("outputs"), f"{path.name}: output left in an untagged cell"
        assert set(meta) <= {"tags", "keep_output"}, f"{path.name}: volatile cell metadata"
    text = path.read_text()
    assert not re.search(r"/(work|root|home|tmp|Users)/[A-Za-z]", text), (
        f"{path.name}: private path"
    )
    assert set(nb.get("metadata", {})) <= {"kernelspec"}, f"{path.name}: volatile notebook metadata"


def test_make_help_lists_required_targets():
    out = subprocess.run(
        ["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    for target in ["all", "data", "test", "lint", "clean", "bench", "report", "lab", "nbdime-git"]:
        assert re.search(rf"^\s+{target}\s", out, re.M), f"make help does not list {target}"


SRC = ROOT / "src" / "rasso_research"


def test_tests_mirror_the_package_layout():
    subpackages = sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").exists())
    assert subpackages == [
        "claims",
        "data",
        "designs",
        "estimators",
        "its",
        "report",
        "studies",
        "views",
    ]
    for name in subpackages:
        assert list((ROOT / "tests" / name).glob("test_*.py")), f"no tests/{name}/test_*.py"


def _code_constants(path: Path):
    """String constants of a module that are not docstrings."""
    import ast

    tree = ast.parse(path.read_text())
    docs = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Module | ast.FunctionDef | ast.ClassDef)
        and n.body
        and isinstance(n.body[0], ast.Expr)
        and isinstance(n.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            yield node.lineno, node.value


def test_no_intervention_date_typed_in_code():
    """Dates of interventions live in config/interventions.csv: no calendar quarter is typed
    into the package's code (the claims' own reading periods are fiscal labels, not dates of
    interventions)."""
    hits = [
        f"{p.relative_to(ROOT)}:{line}: {value!r}"
        for p in SRC.rglob("*.py")
        for line, value in _code_constants(p)
        if re.fullmatch(r"(19|20)\d\dQ[1-4]", value)
    ]
    assert not hits, hits


def test_no_module_imports_another_modules_private_name():
    pat = re.compile(r"^\s*from rasso_research[\w.]* import \(?([^)\n]*)", re.M)
    hits = []
    for p in SRC.rglob("*.py"):
        for m in pat.finditer(p.read_text()):
            names = [n.strip().split(" as ")[0] for n in m.group(1).split(",")]
            hits += [f"{p.name}: {n}" for n in names if n.startswith("_")]
    assert not hits, hits


def test_notebook_generator_is_gone_and_notebooks_are_the_source():
    assert not (ROOT / "tools" / "make_notebooks.py").exists()
    assert not list((ROOT / "tools").glob("*notebook*gen*"))
