"""Copy the outputs of key-result cells from executed notebooks into the source notebooks.

Usage: ``python tools/keep_outputs.py results/notebooks/0*.ipynb`` (executed with papermill from
the sources in ``notebooks/``). Only cells with metadata ``keep_output: true`` keep outputs; every
other output, execution count and volatile metadata is stripped; the kernelspec is kept minimal
(``python3``) so ``papermill notebooks/NN.ipynb out.ipynb`` works without ``-k``. Checked cells keep
a stable execution count (their index among code cells): nbval refuses a reference cell that has
outputs but no count.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def main(executed: list[str]) -> None:
    for ex in executed:
        ex = Path(ex)
        src = ROOT / "notebooks" / ex.name
        nb_ex = nbformat.read(ex, as_version=4)
        nb = nbformat.read(src, as_version=4)
        by_source = {c.source: c for c in nb_ex.cells if c.cell_type == "code"}
        n_code = 0
        for i, c in enumerate(nb.cells):
            c.id = str(i)  # as nbstripout does, so its pass leaves ids unchanged
            if c.cell_type != "code":
                continue
            n_code += 1
            c.execution_count = None
            c.metadata = {k: v for k, v in c.metadata.items() if k in ("tags", "keep_output")}
            if c.metadata.get("keep_output") and c.source in by_source:
                outs = by_source[c.source].get("outputs", [])
                # nbval skips (and rejects) checked cells without a count: keep a stable one
                c.execution_count = n_code
                for o in outs:
                    if "execution_count" in o:
                        o["execution_count"] = n_code
                    o.pop("metadata", None) if o.get("output_type") == "stream" else None
                c.outputs = outs
            else:
                c.outputs = []
        nb.metadata = {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        }
        nbformat.write(nb, src)
        print("kept outputs in", src.relative_to(ROOT))


if __name__ == "__main__":
    main(sys.argv[1:])
