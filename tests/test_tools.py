"""tools/compare_tables.py tells renamed labels from changed numbers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("compare_tables", ROOT / "tools/compare_tables.py")
ct = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ct)


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.csv").write_text(text)


def test_compare_tables(tmp_path, capsys):
    old, new = tmp_path / "old", tmp_path / "new"
    _write(old, "a", "family,x\nols_hac,1.000\nquasipoisson,2.000\n")
    _write(new, "a", "family,x,extra\nols,1.000,q\nquasipoisson,2.000,q\n")
    _write(old, "b", "x\n1.000\n")
    _write(new, "b", "x\n1.001\n")
    assert ct.main([str(old), str(new)]) == 1  # b's number changed
    out = capsys.readouterr().out
    assert "a: numbers identical" in out and "'ols_hac' -> 'ols'" in out
    assert "columns added: ['extra']" in out and "b: NUMBERS DIFFER" in out
    _write(new, "b", "x\n1.000\n")
    assert ct.main([str(old), str(new)]) == 0
    assert ct.main([str(old), str(new), "--strict"]) == 1


def test_compare_tables_compares_numbers_as_numbers(tmp_path, capsys):
    """Full-precision tables: a rounded older file equals the new one where the numbers agree,
    and a last-bit difference is within the tolerance; a real change is not."""
    old, new = tmp_path / "old", tmp_path / "new"
    _write(old, "a", "x,n\n1.000,2220.000\n0.3,\n")
    _write(new, "a", "x,n\n1,2220\n0.30000000000000004,\n")
    assert ct.main([str(old), str(new), "--strict"]) == 0
    assert "a: numbers identical, identical" in capsys.readouterr().out
    _write(new, "a", "x,n\n1.0000001,2220\n0.3,\n")
    assert ct.main([str(old), str(new)]) == 1
    assert ct.main([str(old), str(new), "--rtol", "1e-6"]) == 0


def test_keep_outputs_keeps_the_reference_of_every_tagged_cell():
    import nbformat

    spec = importlib.util.spec_from_file_location("keep_outputs", ROOT / "tools/keep_outputs.py")
    ko = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ko)
    nb = nbformat.v4.new_notebook()
    tagged = nbformat.v4.new_code_cell("print(1)", metadata={"tags": ["nbval-check-output"]})
    plain = nbformat.v4.new_code_cell("print(2)")
    nb.cells = [tagged, plain]
    ran = nbformat.v4.new_notebook()
    out = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    ran.cells = [
        nbformat.v4.new_code_cell("print(1)", outputs=out),
        nbformat.v4.new_code_cell("print(2)", outputs=out),
    ]
    cleaned = ko.clean(nb, ran)
    assert cleaned.cells[0].metadata["keep_output"] is True
    assert cleaned.cells[0].outputs[0]["text"] == "1\n" and cleaned.cells[0].execution_count == 1
    assert cleaned.cells[1].outputs == [] and cleaned.cells[1].execution_count is None


def _nbdeps():
    spec = importlib.util.spec_from_file_location("nbdeps", ROOT / "tools/nbdeps.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _deps_of(nd, notebook: str) -> set[str]:
    files = nd.closure(nd.notebook_modules(ROOT / "notebooks" / notebook))
    return {str(p.relative_to(ROOT / "src" / "rasso_research")) for p in files}


def test_nbdeps_gives_each_notebook_the_modules_it_imports():
    """make reruns a notebook when a module it imports changes, and only then: a view reruns
    the notebooks drawing with it; the report's own code reruns none."""
    nd = _nbdeps()
    wm, curve = _deps_of(nd, "03_force_comparison.ipynb"), _deps_of(nd, "04_sensitivity.ipynb")
    assert "views/wm_answer.py" in wm and "views/wm_answer.py" not in curve
    assert "views/spec_curve.py" in curve and "designs/multiverse.py" in curve
    # through the lazy `its` package (its TYPE_CHECKING imports) and by import_module
    assert {"its/fitting.py", "estimators/arkernels.py", "data/sources/cps.py"} <= curve
    for nb in sorted((ROOT / "notebooks").glob("0*.ipynb")):
        deps = _deps_of(nd, nb.name)
        assert "__init__.py" in deps and "report/site.py" not in deps, nb.name


def test_nbdeps_counts_an_import_inside_a_function(tmp_path, monkeypatch):
    nd = _nbdeps()
    pkg = tmp_path / "src" / "rasso_research"
    (pkg / "sub").mkdir(parents=True)
    for f in ("__init__.py", "sub/__init__.py", "sub/b.py", "c.py"):
        (pkg / f).write_text("")
    (pkg / "a.py").write_text("def f():\n    from .sub import b\n")
    monkeypatch.setattr(nd, "SRC", tmp_path / "src")
    got = {p.relative_to(pkg).as_posix() for p in nd.closure({"rasso_research.a"})}
    assert got == {"__init__.py", "a.py", "sub/__init__.py", "sub/b.py"}
