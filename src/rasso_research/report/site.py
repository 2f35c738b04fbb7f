"""The study as one readable HTML document: ``make report`` (or
``python -m rasso_research.report.site``) stages a Sphinx project from the pipeline's outputs
and builds it with myst-nb, which renders the already-executed notebooks (nothing is rerun).

The staged source (``results/report/source``) holds:

* ``index.md``: the front page, generated from the result tables
  (:mod:`rasso_research.report.frontpage`);
* ``chapters/``: copies of the executed notebooks of ``results/notebooks`` with every code
  cell's input folded (outputs kept; cells without output left out) and alt text on every
  image output;
* ``figures.md``: every figure of ``figures/`` with its description as alt text and caption;
* ``tables.md``: every table of ``tables/`` with its CSV (and LaTeX) to download;
* ``data.md`` (``docs/DATA.md`` and the registry of raw files) and ``methods.md``
  (``docs/METHODS.md``).

The HTML goes to ``results/report/html`` (open ``index.html``); after the build every internal
link, image and alt text is checked (:mod:`rasso_research.report.htmlcheck`), and the command
fails when one is broken.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
from pathlib import Path

import pandas as pd

import rasso_research
from rasso_research import paths

from . import frontpage
from .catalogue import CHAPTERS, describe_figure, owner
from .htmlcheck import check_site

#: Sphinx's configuration (written to the staged ``conf.py``).
CONF = {
    "project": "rasso_research",
    "author": "rasso_research contributors",
    "release": rasso_research.__version__,
    "extensions": ["myst_nb"],
    "nb_execution_mode": "off",  # render the executed notebooks as they are
    "nb_output_stderr": "remove",
    "nb_merge_streams": True,
    "nb_render_markdown_format": "myst",  # the generated text's tables render as tables
    "myst_heading_anchors": 3,
    "myst_enable_extensions": ["colon_fence"],
    "html_theme": "sphinx_book_theme",
    "html_title": "rasso_research: the study",
    "html_theme_options": {
        "show_toc_level": 2,
        "home_page_in_toc": True,
        "use_download_button": False,  # no page sources are copied
    },
    "html_copy_source": False,
    "html_show_sourcelink": False,
    "exclude_patterns": ["**.ipynb_checkpoints"],
    "suppress_warnings": ["myst.header"],  # notebooks may skip a heading level
}

REPORT = paths.RESULTS / "report"


def _chapter_title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.*)$", cell.source, re.MULTILINE)
            if m:
                return m.group(1)
    return ""


def _figure_names(source: str) -> list[str]:
    """The names given to ``save_figure`` in a cell (f-string fields dropped)."""
    names = re.findall(r"save_figure\([^\n]*?,\s*f?[\"']([^\"']+)[\"']", source)
    # f"fig1_national_its_{width}col" -> "fig1_national_its"
    return [re.sub(r"_col$", "", re.sub(r"\{[^}]*\}", "", n)) for n in names]


def image_alt(source: str, heading: str, number: str, title: str) -> str:
    """Alt text of a cell's image output: the figure's description when the cell saves a
    figure whose name :func:`describe_figure` knows, else the section it stands in."""
    for name in _figure_names(source):
        text = describe_figure(name.strip("_"))
        if ":" in text:  # a rule matched (a bare name has no colon)
            return text
    where = f"section '{heading}'" if heading else "this chapter"
    return f"Figure of notebook {number} ({title}), {where}"


def prepare_chapter(src: Path, dest: Path) -> str:
    """Copy the executed notebook ``src`` to ``dest`` with inputs folded (``hide-input``),
    cells without output left out (``remove-cell``; the parameters are kept, folded) and alt
    text on its images; returns the chapter's title."""
    import nbformat

    nb = nbformat.read(src, as_version=4)
    nb.metadata.setdefault("language_info", {"name": "python"})  # the code cells' lexer
    title = _chapter_title(nb) or src.stem
    number, heading = src.name[:2], ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = re.findall(r"^#{1,4}\s+(.*)$", cell.source, re.MULTILINE)
            heading = found[-1] if found else heading
            continue
        if cell.cell_type != "code":
            continue
        tags = set(cell.metadata.get("tags", []))
        keep = cell.get("outputs") or tags & {"parameters", "injected-parameters"}
        tags.add("hide-input" if keep else "remove-cell")
        cell.metadata["tags"] = sorted(tags)
        if any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
            alt = image_alt(cell.source, heading, number, title)
            cell.metadata["mystnb"] = {"image": {"alt": alt}}
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)
    return title


def _copy(src: Path, dest_dir: Path) -> Path:
    dest_dir.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy2(src, dest_dir / src.name))


def figures_page(figures: Path, dest: Path) -> str:
    """The figure gallery: per notebook, each figure (the two-column PNG where both widths
    exist) under a heading named by its file, described, with its files to download."""
    pngs = sorted(figures.glob("*.png"))
    shown = [p for p in pngs if not p.stem.endswith("_onecol")]
    out = [
        "# Figures",
        "",
        "Every figure the notebooks save in `figures/` (PDF for print and 300-dpi PNG; the "
        "paper figures in one- and two-column widths). Each is described below as in its alt "
        "text.",
        "",
    ]
    if not shown:
        out.append("No figure in `figures/` yet: run `make all`.")
    by_nb: dict[str, list[Path]] = {}
    for p in shown:
        by_nb.setdefault(owner(p.stem), []).append(p)
    for nb in sorted(by_nb):
        out += [f"## Figures of notebook {nb}" if nb else "## Other figures", ""]
        for p in by_nb[nb]:
            text = describe_figure(p.stem)
            _copy(p, dest / "figures")
            files = [f for f in sorted(figures.glob(f"{_width_free(p.stem)}*")) if f != p]
            out += [f"### {p.stem}", "", f":::{{figure}} figures/{p.name}", f":alt: {text}", ""]
            out += [text, ":::", ""]
            if files:
                for f in files:
                    _copy(f, dest / "figures")
                out += ["Files: " + ", ".join(f"[{f.name}](figures/{f.name})" for f in files), ""]
    return "\n".join(out)


def _width_free(stem: str) -> str:
    return re.sub(r"_(one|two)col$", "", stem)


def tables_page(tables: Path, dest: Path) -> str:
    """Every table of ``tables/`` by notebook: its CSV (every digit) and LaTeX (rounded, for
    the tables a paper would print) to download, with its size."""
    out = [
        "# Tables",
        "",
        "Every table the notebooks write to `tables/`. The CSV files keep every digit (floats "
        "in their shortest exact form, counts as integers); the LaTeX files are rounded to 3 "
        "decimals and written only for tables of at most 40 rows.",
        "",
    ]
    by_nb: dict[str, list[Path]] = {}
    for p in sorted(tables.glob("*.csv")):
        by_nb.setdefault(owner(p.stem), []).append(p)
    if not by_nb:
        out.append("No table in `tables/` yet: run `make all`.")
    for nb in sorted(by_nb):
        name = CHAPTERS.get(nb, "other")
        out += [f"## Notebook {nb}: {name}" if nb else "## Other tables", ""]
        out += ["| table | rows | columns | LaTeX |", "|---|---|---|---|"]
        for p in by_nb[nb]:
            df = pd.read_csv(p)
            _copy(p, dest / "tables")
            tex = p.with_suffix(".tex")
            latex = f"[{tex.name}](tables/{tex.name})" if tex.exists() else "CSV only"
            if tex.exists():
                _copy(tex, dest / "tables")
            out.append(f"| [{p.name}](tables/{p.name}) | {len(df)} | {df.shape[1]} | {latex} |")
        out.append("")
    return "\n".join(out)


def data_page(dest: Path, tables: Path | None = None) -> str:
    """``docs/DATA.md``, a summary of ``data/raw/registry.csv`` (the registry to download) and
    the provenance of this build from the paper's manifest (``tables/manifest.json``)."""
    text = (paths.ROOT / "docs" / "DATA.md").read_text(encoding="utf-8").rstrip()
    reg_path = paths.DATA_RAW / "registry.csv"
    reg = pd.read_csv(reg_path, dtype=str, keep_default_na=False)
    _copy(reg_path, dest / "data")
    rows = []
    for pub, g in reg.groupby("publisher", sort=True):
        req = int((g["required"] == "yes").sum())
        desc = "; ".join(sorted(g["description"].unique())[:3])
        more = (
            f" (+{g['description'].nunique() - 3} more)" if g["description"].nunique() > 3 else ""
        )
        rows.append(f"| {pub} | {len(g)} ({req} required) | {desc}{more} |")
    return "\n".join(
        [
            text,
            "",
            "## The registry of raw files",
            "",
            f"Every raw input, with its SHA-256 checksum, size, public URL, publisher and licence, "
            f"is a row of [data/raw/registry.csv](data/registry.csv) ({len(reg)} files); "
            "`make data` fetches and verifies each. By publisher:",
            "",
            "| publisher | files | what |",
            "|---|---|---|",
            *[r.replace("\n", " ") for r in rows],
            "",
            *provenance(Path(tables or paths.TABLES), dest),
        ]
    )


def provenance(tables: Path, dest: Path) -> list[str]:
    """The section on this build's provenance, from ``tables/manifest.json`` (copied to be
    downloaded): the commit, the time, Python and package versions, every notebook's
    parameters and how many inputs were hashed. A note when there is no manifest."""
    out = ["## Provenance of this build", ""]
    path = tables / "manifest.json"
    if not path.exists():
        return out + ["No `tables/manifest.json` (the paper's manifest): run `make all`.", ""]
    m = json.loads(path.read_text(encoding="utf-8"))
    _copy(path, dest / "data")
    git = m.get("git") or {}
    dirty = " (with uncommitted changes)" if git.get("dirty") else ""
    out += [
        f"The paper run's tables and figures were written {m.get('written', '?')} at commit "
        f"`{git.get('commit', '?')}`{dirty}, with Python {m.get('python', '?')}; the sha256 of "
        f"its {len(m.get('inputs', {}))} inputs (raw files, configuration, processed panel) "
        "and every notebook's parameters are in [manifest.json](data/manifest.json).",
        "",
        "| package | version |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in sorted((m.get("packages") or {}).items())],
        "",
        "| notebook | parameters of the paper run |",
        "|---|---|",
    ]
    for nb, params in sorted((m.get("parameters") or {}).items()):
        shown = ", ".join(f"`{k}={v!r}`" for k, v in params.items()).replace("|", "\\|")
        out.append(f"| {nb} | {shown or '(none)'} |")
    return out + [""]


def methods_page() -> str:
    """``docs/METHODS.md`` with a pointer to its limitations section under the title."""
    text = (paths.ROOT / "docs" / "METHODS.md").read_text(encoding="utf-8")
    title, _, rest = text.partition("\n")
    if "\n## Known threats to validity" in rest:
        title += (
            "\n\n*Limitations: [Known threats to validity](#known-threats-to-validity), and the "
            "Caveats section of each chapter.*\n"
        )
    return title + "\n" + rest


def index_page(
    chapters: list[tuple[str, str]], missing: list[str], tables: Path, figures: Path, notebooks
) -> str:
    """The front page and the table of contents (``chapters``: (document, title))."""
    page = frontpage.render(tables=tables, figures=figures, notebooks=notebooks)
    if missing:
        page += (
            "\n**Not executed yet** (run `make notebooks`): "
            + ", ".join(f"`notebooks/{m}`" for m in missing)
            + ".\n"
        )
    toc = ["", "```{toctree}", ":maxdepth: 1", ":caption: Chapters", ""]
    toc += [f"{title} <{doc}>" for doc, title in chapters]
    toc += ["```", "", "```{toctree}", ":maxdepth: 1", ":caption: Reference", ""]
    toc += ["figures", "tables", "data", "methods", "```", ""]
    return page + "\n".join(toc)


def stage(
    source: Path,
    notebooks: Path | None = None,
    tables: Path | None = None,
    figures: Path | None = None,
) -> Path:
    """Write the Sphinx project into ``source`` (emptied first) from the executed
    ``notebooks`` (default ``results/notebooks``), ``tables/``, ``figures/`` and ``docs/``."""
    notebooks = Path(notebooks or paths.RESULTS / "notebooks")
    tables, figures = Path(tables or paths.TABLES), Path(figures or paths.FIGURES)
    if source.exists():
        shutil.rmtree(source)
    source.mkdir(parents=True)
    conf = "\n".join(f"{k} = {v!r}" for k, v in CONF.items())
    (source / "conf.py").write_text("# generated by rasso_research.report.site\n" + conf + "\n")
    chapters, missing = [], []
    for nb in sorted((paths.ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        done = notebooks / nb.name
        if not done.exists():
            missing.append(nb.name)
            continue
        title = prepare_chapter(done, source / "chapters" / nb.name)
        chapters.append((f"chapters/{nb.stem}", title))
    pages = {
        "index.md": index_page(chapters, missing, tables, figures, notebooks),
        "figures.md": figures_page(figures, source),
        "tables.md": tables_page(tables, source),
        "data.md": data_page(source, tables),
        "methods.md": methods_page(),
    }
    for name, text in pages.items():
        (source / name).write_text(text, encoding="utf-8")
    return source


def build(source: Path, html: Path, log: Path | None = None) -> int:
    """Build the HTML of the staged ``source`` into ``html`` with Sphinx; returns the number
    of Sphinx warnings (written to ``log`` with the build's messages)."""
    import io

    from sphinx.application import Sphinx
    from sphinx.util.console import nocolor

    nocolor()  # plain text in the log
    status, warnings = io.StringIO(), io.StringIO()
    doctrees = html.parent / "doctrees"
    app = Sphinx(
        str(source), str(source), str(html), str(doctrees), "html",
        status=status, warning=warnings, freshenv=True, verbosity=0,
    )  # fmt: skip
    app.build(force_all=True)
    if log is not None:
        log.write_text(status.getvalue() + warnings.getvalue(), encoding="utf-8")
    return sum(1 for line in warnings.getvalue().splitlines() if "WARNING" in line)


def _shown(path: Path) -> str:
    """``path`` relative to the project when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=REPORT, help="report folder (results/report)")
    ap.add_argument("--notebooks", type=Path, default=None, help="executed notebooks")
    ap.add_argument("--tables", type=Path, default=None)
    ap.add_argument("--figures", type=Path, default=None)
    args = ap.parse_args(argv)
    start = time.perf_counter()
    source = stage(args.out / "source", args.notebooks, args.tables, args.figures)
    html = args.out / "html"
    if html.exists():
        shutil.rmtree(html)
    n_warn = build(source, html, args.out / "build.log")
    problems = check_site(html)
    secs = time.perf_counter() - start
    print(
        f"[report] {_shown(html / 'index.html')} in {secs:.0f}s; {n_warn} Sphinx warning(s) "
        f"(see {_shown(args.out / 'build.log')})"
    )
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
