"""The HTML report (rasso_research.report.site): built with Sphinx and myst-nb from executed
notebooks, its front page from the tables; every internal link, figure and table reference
resolves and every image has alt text (rasso_research.report.htmlcheck).

The build of a small study takes about 10-15 s on two shared cores; the build of the real
outputs (``results/notebooks``, ``tables/``, ``figures/``; about 40 s) is marked slow and skips
when the notebooks have not been executed."""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from rasso_research import paths
from rasso_research.report import site
from rasso_research.report.catalogue import describe_figure
from rasso_research.report.htmlcheck import check_site

FIGURE = "its_joint_adult-rape-charges-per-100"


def _png() -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1, 2], [1, 3, 2])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    plt.close(fig)
    return buf.getvalue()


def _executed_notebook(png: bytes) -> nbformat.NotebookNode:
    v4 = nbformat.v4
    image = v4.new_output(
        "display_data",
        data={"image/png": base64.b64encode(png).decode(), "text/plain": "<Figure>"},
    )
    table = "| series | estimate |\n|---|---|\n| a | 1.5 |"
    nb = v4.new_notebook()
    nb.cells = [
        v4.new_markdown_cell("# 02 National interrupted time series\n\n**Question.** Did it?"),
        v4.new_code_cell("start = '2017Q2'", metadata={"tags": ["parameters"]}),
        v4.new_code_cell("fit_everything_quietly()"),  # no output: left out of the chapter
        v4.new_markdown_cell("### The declared estimands"),
        v4.new_code_cell(
            f'fig = plot(x)\nsave_figure(fig, "{FIGURE}", figures_dir)', outputs=[image]
        ),
        v4.new_code_cell("print(1)", outputs=[v4.new_output("stream", name="stdout", text="1\n")]),
        v4.new_markdown_cell("## Conclusion"),
        v4.new_code_cell(
            "display(Markdown(t))",
            outputs=[v4.new_output("display_data", data={"text/markdown": table})],
        ),
    ]
    return nb


@pytest.fixture(scope="module")
def small_report(tmp_path_factory):
    """A report built from one executed notebook, two tables and one figure."""
    root = tmp_path_factory.mktemp("study")
    nbs, tables, figures = root / "nb", root / "tables", root / "figures"
    for d in (nbs, tables, figures):
        d.mkdir()
    png = _png()
    nbformat.write(_executed_notebook(png), nbs / "02_national_its.ipynb")
    (figures / f"{FIGURE}.png").write_bytes(png)
    ev = {"role": "primary", "id": "package_adult_rate_8", "series": "Adult rape charges per 100"}
    ev |= {"intervention": "reforms", "kind": "package", "horizon": 8, "effect_pct": 97.815}
    ev |= {"ci_low_pct": -28.18, "ci_high_pct": 444.8, "p_value": 0.154, "p_holm": 0.154}
    ev |= {"family_size": 1, "mde_pct": 302.5}
    pd.DataFrame([ev] * 1).to_csv(tables / "its_national_estimands.csv", index=False)
    pd.DataFrame({"x": range(50)}).to_csv(tables / "long_table.csv", index=False)
    source = site.stage(root / "source", nbs, tables, figures)
    html = root / "html"
    warnings = site.build(source, html, root / "build.log")
    return html, warnings, root


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.alts, self.hrefs = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.alts.append(a.get("alt"))
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])


def _parse(path: Path) -> _Images:
    p = _Images()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def test_the_small_report_builds_and_every_link_resolves(small_report):
    html, warnings, root = small_report
    assert (html / "index.html").exists()
    assert check_site(html) == [], (root / "build.log").read_text()
    assert warnings == 0, (root / "build.log").read_text()


def test_the_front_page_shows_the_tables_numbers_with_their_links(small_report):
    html, _, _ = small_report
    index = (html / "index.html").read_text(encoding="utf-8")
    assert "+97.8%" in index and "-28.2% to +445%" in index and "No change the data can" in index
    hrefs = _parse(html / "index.html").hrefs
    assert "chapters/02_national_its.html#the-declared-estimands" in hrefs
    assert any(h.startswith("figures.html#its-joint-adult") for h in hrefs)  # docutils' id
    assert any(h.endswith("its_national_estimands.csv") for h in hrefs)  # the table, to download
    assert "Not executed yet" in index and "notebooks/03_force_comparison.ipynb" in index


def test_chapters_fold_the_code_and_keep_the_outputs(small_report):
    html, _, _ = small_report
    page = (html / "chapters" / "02_national_its.html").read_text(encoding="utf-8")
    assert "fit_everything_quietly" not in page  # a cell without output is left out
    assert "save_figure" in page and "hide-input" in page  # folded, not lost
    assert re.search(r"<td[^>]*>(<p>)?1.5(</p>)?</td>", page)  # generated Markdown: a table
    alts = _parse(html / "chapters" / "02_national_its.html").alts
    assert alts == [describe_figure(FIGURE)]


def test_every_image_has_alt_text(small_report):
    html, _, _ = small_report
    for page in html.rglob("*.html"):
        if "_static" in page.parts:
            continue
        assert all((a or "").strip() for a in _parse(page).alts), page


def test_the_figures_and_tables_pages_list_every_file(small_report):
    html, _, _ = small_report
    figures = (html / "figures.html").read_text(encoding="utf-8")
    assert 'id="its_joint_adult-rape-charges-per-100"' in figures
    tables = (html / "tables.html").read_text(encoding="utf-8")
    assert "long_table.csv" in tables and "CSV only" in tables


def test_the_checker_finds_what_is_broken(tmp_path):
    (tmp_path / "index.html").write_text(
        '<a href="other.html#here">ok</a><a href="other.html#gone">anchor</a>'
        '<a href="missing.html">file</a><a href="https://example.org/x">external</a>'
        '<img src="a.png" alt="A figure"><img src="b.png"><img src="a.png" alt=" ">'
    )
    (tmp_path / "other.html").write_text('<h2 id="here">Here</h2><a href="#here">self</a>')
    (tmp_path / "a.png").write_bytes(b"png")
    problems = check_site(tmp_path)
    assert problems == [
        "index.html: link 'other.html#gone' names an anchor the page lacks",
        "index.html: link 'missing.html' leads to no file",
        "index.html: image 'b.png' has no alt text",
        "index.html: image 'b.png' is missing",
        "index.html: image 'a.png' has no alt text",
    ]
    assert check_site(tmp_path / "nowhere")[0].endswith(
        "no index.html (the build did not run or failed)"
    )


@pytest.mark.slow
def test_the_report_of_the_real_outputs(tmp_path):
    """``make report`` on the pipeline's outputs (about 40 s): no broken link, no image
    without alt text, a chapter per executed notebook."""
    done = sorted((paths.RESULTS / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not done or not (paths.TABLES / "its_national_estimands.csv").exists():
        pytest.skip("the notebooks have not been executed (make notebooks)")
    assert site.main(["--out", str(tmp_path)]) == 0
    html = tmp_path / "html"
    assert check_site(html) == []
    chapters = {p.stem for p in (html / "chapters").glob("*.html")}
    sources = {p.stem for p in (paths.ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert chapters == sources & {p.stem for p in done}
