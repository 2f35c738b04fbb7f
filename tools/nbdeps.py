"""Each notebook's package sources, as make rules (notebooks.mk includes the output).

A notebook depends on the modules of ``rasso_research`` its code cells import, and on what
those import in turn (imports inside functions and under ``TYPE_CHECKING`` count), with every
parent package's ``__init__.py``; a module below the top level that imports by name
(``importlib.import_module``) depends on its whole package folder. So an edit to a view reruns only the notebooks that draw
with it, and an edit to the report's code reruns none. Standard library only: make runs it
before the environment exists.

    python3 tools/nbdeps.py results/notebooks notebooks/*.ipynb > .make/nbdeps.mk
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PKG = "rasso_research"


def _file(module: str) -> Path | None:
    base = SRC.joinpath(*module.split("."))
    for p in (base.with_suffix(".py"), base / "__init__.py"):
        if p.is_file():
            return p
    return None


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """The ``rasso_research`` modules a tree imports (a ``from x import name`` counts
    ``x.name`` too, when it is a module)."""
    out: set[str] = set()
    here = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == PKG}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(
                    here[: len(here) - node.level + 1] + ([node.module] if node.module else [])
                )
            else:
                base = node.module or ""
            if base.split(".")[0] != PKG:
                continue
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names if _file(f"{base}.{a.name}")}
    return {m for m in out if _file(m)}


def _with_parents(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)}


def closure(modules: set[str]) -> set[Path]:
    """The files of ``modules``, their parent packages and everything they import."""
    seen: set[str] = set()
    todo = set().union(*(_with_parents(m) for m in modules)) if modules else set()
    files: set[Path] = set()
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        f = _file(m)
        if f is None:
            continue
        files.add(f)
        text = f.read_text(encoding="utf-8")
        found = _imports(ast.parse(text), m, f.name == "__init__.py")
        # by name: its whole package folder (not for the top level: fitcache imports by name
        # only the classes of stored results, whose modules the caller has imported already)
        if "import_module(" in text and f.parent != SRC / PKG:
            found |= {_module_of(p) for p in f.parent.rglob("*.py")}
        for n in found:
            todo |= _with_parents(n) - seen
    return files


def notebook_modules(path: Path) -> set[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    mods: set[str] = set()
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        code = "\n".join(
            line for line in src.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        mods |= _imports(ast.parse(code), "__main__", False)
    return mods


def main(argv: list[str]) -> None:
    out_dir, notebooks = argv[0], argv[1:]
    for nb in notebooks:
        files = sorted(str(p.relative_to(ROOT)) for p in closure(notebook_modules(ROOT / nb)))
        print(f"{out_dir}/{Path(nb).name}: \\")
        print("".join(f"  {f} \\\n" for f in files) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
