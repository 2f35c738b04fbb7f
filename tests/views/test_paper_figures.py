"""Every paper figure (fig1-fig4 and the funnel), rendered at both widths from the small tables
of ``test_layout`` and saved as the paper run saves it: the saved file is a journal column wide
(3.4 in, or 7.0 in across two columns: PNG pixels over dpi, and the PDF's MediaBox), every text
is at least 7 pt at that size, and no two texts overprint (interruption labels, tick labels,
titles, legend entries and source lines)."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from PIL import Image  # noqa: E402

from rasso_research.views.style import (  # noqa: E402
    DPI,
    MIN_FONT_PT,
    ONE_COLUMN,
    TWO_COLUMN,
    drawn_texts,
    layout_problems,
    save_figure,
)

from .test_layout import _figures  # noqa: E402

PAPER = ("fig1", "fig2", "fig3", "fig4", "funnel")
WIDTH = {"one": ONE_COLUMN, "two": TWO_COLUMN}


def _pdf_width(path) -> float:
    """The PDF's page width in inches, from its MediaBox."""
    box = re.search(
        rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)", path.read_bytes()
    )
    return (float(box.group(3)) - float(box.group(1))) / 72


def _paper_figures():
    for name, fig in _figures():
        stem, width = name.rsplit(" ", 1)
        if stem in PAPER:
            yield stem, width, fig
        else:
            plt.close(fig)


def test_the_journal_widths():
    assert (ONE_COLUMN, TWO_COLUMN, MIN_FONT_PT) == (3.4, 7.0, 7.0)


def test_every_paper_figure_is_a_column_wide_with_legible_text_that_never_overprints(tmp_path):
    seen, problems = set(), {}
    for stem, width, fig in _paper_figures():
        name = f"{stem} {width}"
        seen.add(name)
        found = list(layout_problems(fig))  # overprinted texts, text past the sides, lost lines
        texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
        small = sorted({t.get_fontsize() for t in texts if t.get_fontsize() < MIN_FONT_PT})
        if small:
            found.append(f"text at {small} pt")
        if min(t.get_fontsize() for t in drawn_texts(fig)) < MIN_FONT_PT:
            found.append("a drawn text under 7 pt")
        pdf, png = save_figure(fig, name.replace(" ", "_"), tmp_path)
        with Image.open(png) as im:
            png_in = im.size[0] / DPI
        for kind, w in (("PNG", png_in), ("PDF", _pdf_width(pdf))):
            if abs(w - WIDTH[width]) > 0.01:
                found.append(f"{kind} is {w:.3f} in wide, not {WIDTH[width]}")
        if found:
            problems[name] = found
        plt.close(fig)
    assert seen == {f"{s} {w}" for s in PAPER for w in WIDTH}
    assert problems == {}


def test_the_width_test_catches_a_figure_wider_than_its_column(tmp_path):
    fig, ax = plt.subplots(figsize=(ONE_COLUMN, 2))
    ax.annotate("a long label past the right edge", xy=(0.9, 0.5), xycoords="axes fraction")
    pdf, png = save_figure(fig, "wide", tmp_path)
    with Image.open(png) as im:
        assert im.size[0] / DPI > ONE_COLUMN + 0.01
    assert _pdf_width(pdf) > ONE_COLUMN + 0.01
    plt.close(fig)


@pytest.mark.parametrize("width", ["one", "two"])
def test_fig1_numbers_its_interruptions_above_the_axes_with_a_key(width):
    fig = next(f for s, w, f in _paper_figures() if s == "fig1" and w == width)
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        numbers = [t for t in ax.texts if t.get_text().isdigit()]
        assert sorted(t.get_text() for t in numbers) == ["1", "2", "3", "4"]
        fig.canvas.draw()
        top = ax.get_window_extent().y1
        assert all(t.get_window_extent().y0 >= top for t in numbers)  # in the strip above
        assert ax.get_title(loc="left")[:3] in ("(a)", "(b)", "(c)")
        assert ax.get_ylabel().count("\n") <= 1  # at most two lines
    assert any(t.get_text().startswith("Dotted lines: 1 R v Allan") for t in fig.texts)
    plt.close("all")
