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
    for target in ["all", "data", "test", "lint", "clean", "bench"]:
        assert re.search(rf"^\s+{target}\s", out, re.M), f"make help does not list {target}"
