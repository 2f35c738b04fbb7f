"""Shared figure style: paper sizes, Okabe-Ito palette and deterministic saving."""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt

ONE_COLUMN = 3.5  # inches, one-column figure width
TWO_COLUMN = 7.2  # inches, two-column (full-width) figure width
DPI = 300

# Okabe & Ito (2008) colour-blind-safe palette
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
PALETTE = list(OKABE_ITO.values())

RC = {
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "savefig.bbox": "tight",
    "pdf.fonttype": 42,
    "svg.hashsalt": "rasso_research",
}


def figsize(width: str | float = "one", aspect: float = 0.62) -> tuple[float, float]:
    """(width, height) in inches for "one"/"two" column papers or a width in inches."""
    w = (
        {"one": ONE_COLUMN, "two": TWO_COLUMN}.get(width, width)
        if isinstance(width, str)
        else width
    )
    if isinstance(w, str):
        raise ValueError(f"width must be 'one', 'two' or inches; got {width!r}")
    return float(w), float(w) * aspect


def new_figure(width: str | float = "one", aspect: float = 0.62, **kwargs):
    """A styled Figure and Axes of a paper size."""
    with mpl.rc_context(RC):
        return plt.subplots(figsize=figsize(width, aspect), **kwargs)


def source_note(target, text: str, fontsize: float = 6) -> None:
    """Write a 'Source: ...' line under an Axes or Figure, left-aligned."""
    fig = target if isinstance(target, mpl.figure.Figure) else target.figure
    fig.text(
        0.01,
        -0.02,
        text,
        ha="left",
        va="top",
        fontsize=fontsize,
        color="#444444",
        transform=fig.transFigure,
    )


def save_figure(fig, stem: str, outdir, dpi: int = DPI) -> list[Path]:
    """Save ``fig`` as ``outdir/stem.pdf`` and ``.png`` with no timestamps or software tags,
    so reruns give byte-identical files. Returns the paths written."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    pdf, png = outdir / f"{stem}.pdf", outdir / f"{stem}.png"
    with mpl.rc_context({"pdf.fonttype": 42, "svg.hashsalt": "rasso_research"}):
        fig.savefig(
            pdf,
            dpi=dpi,
            bbox_inches="tight",
            metadata={"CreationDate": None, "Producer": None, "Creator": None},
        )
        fig.savefig(png, dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return [pdf, png]
