"""Benchmark (``make bench``): ``make all``'s notebooks, CPU-seconds and wall time with
``-j2``, against a recorded baseline of the same content (``baseline_make.json``).

The notebooks run by ``make -j2 notebooks`` in a scratch copy of the project
(``results/bench/project``: the tracked and new files of the working tree, or of ``--rev``;
the environment and ``data/`` linked and never rebuilt; ``RASSO_PROJECT_ROOT`` and
``PYTHONPATH`` pointing at the copy), so tables/ and figures/ are untouched. CPU-seconds are
make's and every child's (``RUSAGE_CHILDREN``). Targets (issue 31): the wall time under 40 s
on an idle machine; the CPU-seconds are printed against the baseline's. The baseline was
recorded with ``--rev <commit> --record`` on the same machine (its commit, date and load are
in the file). numba's compiled kernels are copied with the sources, so a run measures the
notebooks, not a compilation (``--runs 2`` keeps the better of two where they are not).

Exit status 1 when the wall-time target is missed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _timing import print_rows

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = ROOT / "results" / "bench" / "project"
BASELINE = Path(__file__).with_name("baseline_make.json")
TARGET_WALL = 40.0  # seconds, make -j2 notebooks on an idle 2-core machine
LINKED = (".venv", "data")


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _files(rev: str | None) -> dict[str, bytes] | list[str]:
    if rev:
        tar = subprocess.run(
            ["git", "archive", rev], cwd=ROOT, capture_output=True, check=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(tar)) as t:
            return {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return [f for f in out.decode().split("\0") if f and (ROOT / f).is_file()]


def _copy(rev: str | None) -> None:
    if SCRATCH.exists():
        shutil.rmtree(SCRATCH)
    files = _files(rev)
    for name in files:
        if name.split("/")[0] in LINKED:
            continue
        dest = SCRATCH / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if rev:
            dest.write_bytes(files[name])
        else:
            shutil.copy2(ROOT / name, dest)
    if not rev:  # numba's cache: valid where the source's size and mtime are the same
        for nb in (ROOT / "src").rglob("__pycache__/*.nb[ic]"):
            dest = SCRATCH / nb.relative_to(ROOT)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(nb, dest)
    for name in LINKED:
        (SCRATCH / name).symlink_to(ROOT / name)


def _run_once() -> tuple[float, float]:
    shutil.rmtree(SCRATCH / "results", ignore_errors=True)
    for d in ("tables", "figures"):
        for p in (SCRATCH / d).glob("*"):
            if p.name != ".gitkeep":
                p.unlink()
    env = {**os.environ, "RASSO_PROJECT_ROOT": str(SCRATCH), "PYTHONPATH": str(SCRATCH / "src")}
    keep = [
        "-o",
        "data/processed/panel.parquet",
        "-o",
        "data/raw/.fetched",
        "-o",
        ".venv/.stamp",
    ]
    before, t0 = _children_cpu(), time.perf_counter()
    done = subprocess.run(
        ["make", "-j2", "--no-print-directory", *keep, "notebooks"],
        cwd=SCRATCH,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"bench_make: make notebooks failed in {SCRATCH}:\n{done.stderr}")
    return _children_cpu() - before, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rev", help="measure this commit's content instead of the working tree")
    ap.add_argument("--runs", type=int, default=1, help="keep the best of this many runs")
    ap.add_argument("--record", action="store_true", help=f"write {BASELINE.name}")
    args = ap.parse_args()
    _copy(args.rev)
    results = [_run_once() for _ in range(args.runs)]
    cpu, wall = min(results, key=lambda r: r[1])
    load = os.getloadavg()[0]
    if args.record:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", args.rev or "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        BASELINE.write_text(
            json.dumps(
                {
                    "rev": rev,
                    "date": datetime.now(UTC).strftime("%Y-%m-%d"),
                    "cpu_s": round(cpu, 1),
                    "wall_s": round(wall, 1),
                    "load_after": round(load, 2),
                    "runs": args.runs,
                },
                indent=2,
            )
            + "\n"
        )
    base = json.loads(BASELINE.read_text()) if BASELINE.exists() else None
    note = (
        f"baseline {base['cpu_s']:.0f} CPU-s at {base['rev']} ({cpu / base['cpu_s']:.2f}x)"
        if base
        else "no baseline recorded"
    )
    ok = wall < TARGET_WALL
    print_rows(
        [
            ("make all's notebooks, CPU", f"{cpu:.0f} CPU-s", note),
            (
                "make -j2 notebooks, wall",
                f"{wall:.0f} s",
                f"target < {TARGET_WALL:g}: {'MET' if ok else 'MISSED'} (load {load:.1f}; "
                + (f"baseline {base['wall_s']:.0f} s)" if base else "no baseline)"),
            ),
        ]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
