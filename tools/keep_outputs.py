"""Notebook hygiene: keep only the key-result outputs that nbval checks; strip everything else.

Committed notebooks carry outputs only in cells tagged ``nbval-check-output`` (marked
``keep_output: true`` here, so a newly tagged cell gets its reference at the next refresh): the reference numbers that ``make test`` (nbval, lax mode) compares with a
fresh run. Every other output, every other execution count and all volatile metadata (papermill,
execution timings, language_info) are stripped; the kernelspec is kept minimal (``python3``) so
``papermill notebooks/NN.ipynb out.ipynb`` works without ``-k``. Checked cells keep a stable
execution count (their index among code cells): nbval refuses a reference cell with outputs but no
count, which is why plain nbstripout (it blanks every count or none) is not used.

Usage:
  python tools/keep_outputs.py --strip notebooks/*.ipynb        # strip (pre-commit hook)
  python tools/keep_outputs.py results/notebooks/0*.ipynb       # refresh reference outputs from
                                                                # notebooks executed by papermill
"""

from __future__ import annotations

import argparse
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def clean(nb, executed=None):
    """Strip ``nb`` in place; take kept cells' outputs from ``executed`` (else keep their own)."""
    by_source = {c.source: c for c in executed.cells if c.cell_type == "code"} if executed else {}
    n_code = 0
    for i, c in enumerate(nb.cells):
        c.id = str(i)
        if c.cell_type != "code":
            c.metadata = {k: v for k, v in c.metadata.items() if k == "tags"}
            continue
        n_code += 1
        c.metadata = {k: v for k, v in c.metadata.items() if k in ("tags", "keep_output")}
        if "nbval-check-output" in c.metadata.get("tags", []):
            c.metadata["keep_output"] = True  # the tag is what nbval compares: keep its reference
        if not c.metadata.get("keep_output"):
            c.execution_count, c.outputs = None, []
            continue
        outs = by_source[c.source].get("outputs", []) if c.source in by_source else c.outputs
        c.execution_count = n_code if outs else None
        for o in outs:
            if "execution_count" in o:
                o["execution_count"] = n_code
            if o.get("output_type") == "stream":
                o.pop("metadata", None)
        c.outputs = outs
    nb.metadata = {"kernelspec": dict(KERNELSPEC)}
    return nb


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--strip", action="store_true", help="strip the given source notebooks")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        if args.strip:
            src, executed = path, None
        else:
            src = ROOT / "notebooks" / path.name
            if not src.exists():  # e.g. a parameterised run such as 03_...-avon-and-somerset
                print("skipped (no source notebook of that name)", path)
                continue
            executed = nbformat.read(path, as_version=4)
        before = src.read_text()
        nb = clean(nbformat.read(src, as_version=4), executed)
        after = nbformat.writes(nb) + "\n"
        if after != before:
            src.write_text(after)
            print("cleaned", src)


if __name__ == "__main__":
    main()
