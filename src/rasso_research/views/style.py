"""Shared figure style: paper sizes, Okabe-Ito palette and deterministic saving."""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

ONE_COLUMN = 3.4  # inches, one-column figure width (the saved file's width)
TWO_COLUMN = 7.0  # inches, two-column (full-width) figure width (the saved file's width)
DPI = 300
#: smallest font a journal accepts at the final (saved) size; figures are saved at print size
MIN_FONT_PT = 7.0

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
#: pale fills for periods a figure draws but a fit does not use (one per note), light enough
#: that a grey placebo band or bar stays visible on them
SHADES = ["#DCEAF5", "#F3E0C8", "#E8E8E8"]

RC = {
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "figure.dpi": 100,
    "savefig.dpi": DPI,
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


def source_note(target, text: str, fontsize: float = MIN_FONT_PT) -> None:
    """Write a 'Source: ...' line under everything already drawn on the figure (axes, tick and
    axis labels, legends below the axes), left-aligned and wrapped to the figure's width, so it
    never overprints a label; each line of ``text`` is wrapped on its own. Call it last."""
    fig = target if isinstance(target, mpl.figure.Figure) else target.figure
    _renderable(fig).draw_without_rendering()  # lay out (ticks, legends) without rasterising
    bb = fig.get_tightbbox(fig.canvas.get_renderer())
    bottom = bb.y0 / fig.get_figheight()
    left = bb.x0 / fig.get_figwidth()
    width_chars = max(40, int((1 - left) * fig.get_figwidth() * 72 / (fontsize * 0.56)))
    fig.text(
        left,
        bottom - 0.01,
        "\n".join(textwrap.fill(line, width_chars) for line in text.split("\n")),
        ha="left",
        va="top",
        fontsize=fontsize,
        color="#444444",
        transform=fig.transFigure,
    )


def saved_bbox(fig, pad: float = 0.03):
    """The region :func:`save_figure` writes, in inches: the figure's own width (the column
    width it was made at) and, in height, everything drawn (a legend and source line below
    the axes included) with ``pad`` inches to spare. Text reaching beyond the figure's sides
    widens it (and fails the width test) rather than being cut off."""
    _renderable(fig).canvas.draw()
    bb = fig.get_tightbbox(fig.canvas.get_renderer())
    w, h = fig.get_size_inches()
    return mpl.transforms.Bbox.from_extents(
        min(bb.x0, 0.0), min(bb.y0 - pad, 0.0), max(bb.x1, w), max(bb.y1 + pad, h)
    )


def save_figure(fig, stem: str, outdir, dpi: int = DPI) -> list[Path]:
    """Save ``fig`` as ``outdir/stem.pdf`` and ``.png`` at its own width (the height grows to
    hold a legend or source line below the axes: :func:`saved_bbox`), with no timestamps or
    software tags, so reruns give byte-identical files. Returns the paths written."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    pdf, png = outdir / f"{stem}.pdf", outdir / f"{stem}.png"
    with mpl.rc_context({"pdf.fonttype": 42, "svg.hashsalt": "rasso_research"}):
        box = saved_bbox(fig)
        fig.savefig(
            pdf,
            dpi=dpi,
            bbox_inches=box,
            metadata={"CreationDate": None, "Producer": None, "Creator": None},
        )
        fig.savefig(png, dpi=dpi, bbox_inches=box, metadata={"Software": None})
    return [pdf, png]


def panel_letters(axes, start: int = 0) -> None:
    """Mark each of ``axes`` with its panel letter, (a), (b), ..., at the start of its left
    title (or as that title when it has none); the title keeps its size and padding."""
    for k, ax in enumerate(axes, start=start):
        letter = f"({chr(ord('a') + k)})"
        t = ax._left_title
        t.set_text(f"{letter} {t.get_text()}" if t.get_text() else letter)
        t.set_fontsize(max(MIN_FONT_PT, t.get_fontsize()))


def _renderable(fig):
    """``fig`` with a canvas that can render (a closed pyplot figure keeps a bare one)."""
    if not hasattr(fig.canvas, "get_renderer"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    return fig


def drawn_texts(fig) -> list:
    """Every text the figure shows: tick labels inside the view, titles, axis labels,
    annotations, legend entries, figure texts and super-labels (each once)."""
    _renderable(fig).canvas.draw()
    texts = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            eps = 1e-9 * max(1.0, abs(hi - lo))
            for tick in axis.get_major_ticks():
                if lo - eps <= tick.get_loc() <= hi + eps:
                    texts += [tick.label1, tick.label2]
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
        texts += list(ax.texts)
        if ax.get_legend() is not None:
            texts += list(ax.get_legend().get_texts())
    texts += list(fig.texts)
    for leg in fig.legends:
        texts += list(leg.get_texts())
    for name in ("_supxlabel", "_supylabel", "_suptitle"):
        if getattr(fig, name, None) is not None:
            texts.append(getattr(fig, name))
    seen, out = set(), []
    for t in texts:
        if id(t) not in seen and t.get_visible() and t.get_text().strip():
            seen.add(id(t))
            out.append(t)
    return out


def layout_problems(fig, pad: float = 1.0) -> list[str]:
    """What a referee would see as broken, checked with the renderer: texts that overprint each
    other (tick labels, titles, labels, annotations, legends, source lines), texts smaller than
    ``MIN_FONT_PT``, and lines with data of which no point is inside their axes."""
    texts = drawn_texts(fig)
    r = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(r).padded(-pad)) for t in texts]
    out = [
        f"text {a[:40]!r} overlaps {b[:40]!r}"
        for (a, ba), (b, bb) in itertools.combinations(boxes, 2)
        if ba.overlaps(bb)
    ]
    width_px = fig.get_figwidth() * fig.dpi
    for name, bb in boxes:
        if bb.x0 < -pad or bb.x1 > width_px + pad:
            out.append(f"text {name[:40]!r} reaches beyond the figure's width")
    for t in texts:
        if t.get_fontsize() < MIN_FONT_PT:
            out.append(
                f"text {t.get_text()[:40]!r} is {t.get_fontsize():g} pt (under {MIN_FONT_PT})"
            )
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        for line in ax.get_lines():
            if line.get_transform() != ax.transData:
                continue  # reference lines in axes coordinates (axvline, axhline)
            xd = np.asarray(line.get_xdata())
            if np.issubdtype(xd.dtype, np.datetime64) or xd.dtype == object:  # dates
                x = np.asarray(mpl.dates.date2num(xd), dtype=float)
            else:
                x = xd.astype(float)
            y = np.asarray(line.get_ydata(), dtype=float)
            if len(x) != len(y) or len(x) < 2:
                continue  # reference lines (axhline/axvline) and single markers
            ok = np.isfinite(x) & np.isfinite(y)
            inside = ok & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
            if ok.any() and not inside.any():
                out.append(f"line {line.get_label()!r} has data but none inside its axes")
    return out


def legend_below(
    fig,
    handles,
    labels=None,
    ncol: int = 2,
    source: str | None = None,
    fontsize: float = MIN_FONT_PT,
):
    """The figure's one legend, centred below every axes (never over the data), then the
    source line under it (:func:`source_note`). Call after the layout (``tight_layout``);
    ``labels`` default to the handles' own. The columns are cut (to one at the least, then
    the labels wrapped) until the legend fits the figure's width."""
    labels = [h.get_label() for h in handles] if labels is None else list(labels)
    r = _renderable(fig).canvas.get_renderer()
    width_px = fig.get_figwidth() * fig.dpi
    wrap = None
    ncol = max(1, min(ncol, len(labels)))
    while True:
        shown = labels if wrap is None else [textwrap.fill(s, wrap) for s in labels]
        leg = fig.legend(
            handles,
            shown,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=ncol,
            frameon=False,
            fontsize=max(fontsize, MIN_FONT_PT),
            handlelength=1.6,
            columnspacing=1.0,
        )
        if leg.get_window_extent(r).width <= 0.98 * width_px or (wrap or 99) <= 20:
            break
        leg.remove()
        if ncol > 1:
            ncol -= 1
        else:
            longest = max(len(s) for s in labels)
            wrap = max(20, int((wrap or longest) * 0.85))
    if source:
        source_note(fig, source, max(fontsize, MIN_FONT_PT))
    return leg


SOURCE_HO = "Source: Home Office police recorded crime and outcomes open data; ONS population."


SOURCE_CPS = "Source: CPS case outcomes by principal offence category."


SOURCE_HO_OUTCOMES = "Source: Home Office police recorded crime outcomes open data."


SOURCE_HO_CPS = (
    "Source: Home Office police recorded crime and outcomes open data; ONS population; "
    "CPS case outcomes by principal offence category."
)


#: Okabe-Ito colours with enough contrast on white for thin lines (no yellow)
LINE_COLOURS = [
    OKABE_ITO[k] for k in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple")
]
