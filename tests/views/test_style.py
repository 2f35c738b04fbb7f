"""Figure style: sizes, palette, deterministic saving, source note."""

import hashlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from rasso_research.views.style import (  # noqa: E402
    OKABE_ITO,
    ONE_COLUMN,
    TWO_COLUMN,
    figsize,
    new_figure,
    save_figure,
    source_note,
)


def test_sizes_and_palette():
    assert figsize("one")[0] == ONE_COLUMN == 3.4
    assert figsize("two")[0] == TWO_COLUMN == 7.0
    assert figsize(5.0, aspect=0.5) == (5.0, 2.5)
    with pytest.raises(ValueError):
        figsize("three")
    assert len(OKABE_ITO) == 8 and OKABE_ITO["vermillion"] == "#D55E00"


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _make():
    fig, ax = new_figure("one")
    ax.plot([1, 2, 3], [3, 1, 2], label="x")
    ax.legend()
    source_note(ax, "Source: test data")
    return fig


def test_save_figure_is_deterministic(tmp_path):
    fig = _make()
    pdf, png = save_figure(fig, "demo", tmp_path / "a")
    plt.close(fig)
    fig = _make()
    pdf2, png2 = save_figure(fig, "demo", tmp_path / "b")
    plt.close(fig)
    assert pdf.suffix == ".pdf" and png.suffix == ".png"
    assert _digest(pdf) == _digest(pdf2)
    assert _digest(png) == _digest(png2)
    assert b"CreationDate" not in pdf.read_bytes()
    assert b"Software" not in png.read_bytes()


def test_source_note_adds_text():
    fig = _make()
    assert any("Source: test data" in t.get_text() for t in fig.texts)
    plt.close(fig)
