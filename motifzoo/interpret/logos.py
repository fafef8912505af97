"""Sequence logos with logomaker: information-content logos for PWMs, weight logos for filters.

Figures are built on :class:`matplotlib.figure.Figure` directly (Agg canvas), never
through ``pyplot``: nothing is registered with a GUI backend, no global figure
state leaks, and a figure is freed as soon as it goes out of scope. Every
``save_*`` function writes PNG or SVG, chosen by the file suffix.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..motifs import UNIFORM, Motif, information_content

ALPHABET = list("ACGT")
#: file suffixes :func:`save_figure` writes
FORMATS = (".png", ".svg")
#: inches per logo column, and per logo row
COLUMN_WIDTH = 0.2
ROW_HEIGHT = 1.1
#: point size of axis labels and tick labels, and of titles: at least 10 px where a page shows
#: figures at 96 px per inch (``motifzoo.interpret.report``)
LABEL_SIZE = 8
TITLE_SIZE = 9


def new_figure(width_in: float, height_in: float):
    """A figure on the Agg canvas, outside pyplot."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width_in, height_in), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def information_matrix(pwm: np.ndarray, background: np.ndarray = UNIFORM) -> pd.DataFrame:
    """Letter heights of an information-content logo: ``p_j(a) * IC_j`` bits, (W, 4) -> DataFrame.

    Parameters
    ----------
    pwm : numpy.ndarray, shape (W, 4)
        Letter probabilities, ACGT order.
    background : numpy.ndarray, shape (4,)

    Returns
    -------
    pandas.DataFrame
        Columns ``A C G T``, one row per position (index from 0); rows sum to the column's bits.
    """
    p = np.asarray(pwm, dtype=np.float64)
    ic = np.clip(information_content(p, background), 0.0, None)
    return pd.DataFrame(p * ic[:, None], columns=ALPHABET)


def centered_weights(weights: np.ndarray) -> pd.DataFrame:
    """Filter weights as a logo matrix, each position mean-centered over the four bases.

    Parameters
    ----------
    weights : numpy.ndarray, shape (4, W)
        One first-layer filter (``model.motif_filters()[f]``). A per-position constant does not
        change which base a filter prefers, so it is removed: positive letters are preferred bases,
        negative ones avoided bases.

    Returns
    -------
    pandas.DataFrame
        Columns ``A C G T``, one row per position.
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != 4:
        raise ValueError(f"filter weights must have shape (4, W), got {w.shape}")
    if not np.isfinite(w).all():
        raise ValueError("filter weights contain NaN or infinite values")
    w = w - w.mean(axis=0, keepdims=True)
    return pd.DataFrame(w.T, columns=ALPHABET)


def reverse_complement_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """The reverse complement of a (W, ACGT) logo matrix: positions reversed, A<->T and C<->G."""
    values = frame[ALPHABET].to_numpy()[::-1, ::-1]
    return pd.DataFrame(values.copy(), columns=ALPHABET)


def draw_logo(ax, frame: pd.DataFrame, start: int = 0, title: str | None = None, ylabel: str = "bits",
              ymax: float | None = 2.0) -> None:
    """Draw a logo matrix onto ``ax`` with positions ``start, start + 1, ...``."""
    import logomaker
    frame = frame.copy()
    frame.index = np.arange(start, start + len(frame))
    logomaker.Logo(frame, ax=ax, color_scheme="classic", font_name="DejaVu Sans", show_spines=False)
    ax.spines["left"].set_visible(True)
    ax.spines["bottom"].set_visible(True)
    ax.set_ylabel(ylabel, fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=LABEL_SIZE)
    if ymax is not None:
        ax.set_ylim(0, ymax)
    if title:
        ax.set_title(title, fontsize=TITLE_SIZE, loc="left")


def pwm_logo_figure(pwm: np.ndarray, title: str | None = None, reverse_complement: bool = False,
                    background: np.ndarray = UNIFORM):
    """Information-content logo of one PWM, (W, 4), optionally reverse complemented."""
    frame = information_matrix(pwm, background)
    if reverse_complement:
        frame = reverse_complement_matrix(frame)
    fig = new_figure(max(2.0, COLUMN_WIDTH * len(frame) + 0.8), ROW_HEIGHT)
    ax = fig.add_subplot(1, 1, 1)
    draw_logo(ax, frame, title=title)
    ax.set_xticks([])
    fig.tight_layout(pad=0.3)
    return fig


def weight_logo_figure(weights: np.ndarray, title: str | None = None, reverse_complement: bool = False):
    """Mean-centered weight logo of one filter, (4, W); letters below zero are avoided bases."""
    frame = centered_weights(weights)
    if reverse_complement:
        frame = reverse_complement_matrix(frame)
    fig = new_figure(max(2.0, COLUMN_WIDTH * len(frame) + 0.8), ROW_HEIGHT)
    ax = fig.add_subplot(1, 1, 1)
    draw_logo(ax, frame, title=title, ylabel="weight", ymax=None)
    ax.axhline(0, color="0.4", lw=0.5)
    ax.set_xticks([])
    fig.tight_layout(pad=0.3)
    return fig


def match_offset(query_width: int, target_width: int, offset: int, strand: str) -> int:
    """Where the (strand-oriented) query starts in the target's coordinates.

    TOMTOM (memelite) reports the offset of the query's first column in the target as given
    (``+``) or in the target's reverse complement (``-``). Showing the query reverse complemented
    next to the target as given, its first column sits at ``Wt - offset - Wq``.
    """
    if strand == "-":
        return target_width - offset - query_width
    return offset


def match_logo_figure(query: Motif, target: Motif, offset: int, strand: str, target_label: str | None = None,
                      background: np.ndarray = UNIFORM):
    """A learned motif above its database match, aligned column by column.

    The learned motif is reverse complemented when the match is on the minus strand, so
    both logos read in the database motif's orientation.
    """
    q = information_matrix(query.pwm, background)
    if strand == "-":
        q = reverse_complement_matrix(q)
    t = information_matrix(target.pwm, background)
    q_start = match_offset(query.width, target.width, offset, strand)
    lo, hi = min(0, q_start), max(target.width, q_start + query.width)
    fig = new_figure(max(2.0, COLUMN_WIDTH * (hi - lo) + 0.8), 2 * ROW_HEIGHT)
    top, bottom = fig.add_subplot(2, 1, 1), fig.add_subplot(2, 1, 2)
    rc = " (reverse complement)" if strand == "-" else ""
    draw_logo(top, q, start=q_start, title=f"{query.name}{rc}")
    draw_logo(bottom, t, start=0, title=target_label or target.name)
    for ax in (top, bottom):
        ax.set_xlim(lo - 0.5, hi - 0.5)
        ax.set_xticks([])
    fig.tight_layout(pad=0.3)
    return fig


def save_figure(fig, path, close: bool = True) -> Path:
    """Write ``fig`` as PNG or SVG (by suffix); returns the path.

    ``close`` clears the figure afterwards to release its memory (pass False to save it again
    in another format).
    """
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"cannot write {path}: logos are written as {' or '.join(FORMATS)}")
    if not path.parent.exists():
        raise FileNotFoundError(f"cannot write {path}: directory {path.parent} does not exist")
    fig.savefig(path, format=path.suffix.lower()[1:], metadata=_metadata(path))
    if close:
        fig.clear()
    return path


def save_figure_bytes(fig, fmt: str = "png", dpi: float | None = None, close: bool = True) -> bytes:
    """``fig`` as PNG or SVG bytes (for embedding in a page), without timestamps."""
    import io
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi, metadata=_metadata(Path(f"figure.{fmt}")))
    if close:
        fig.clear()
    return buffer.getvalue()


def _metadata(path: Path) -> dict:
    """No timestamps or software versions in the files, so that reruns give identical bytes."""
    if path.suffix.lower() == ".svg":
        return {"Date": None, "Creator": None}
    return {"Software": None}


def save_pwm_logo(pwm: np.ndarray, path, title: str | None = None, reverse_complement: bool = False) -> Path:
    """Write the information-content logo of ``pwm`` (W, 4) to ``path`` (.png or .svg)."""
    return save_figure(pwm_logo_figure(pwm, title, reverse_complement), path)


def save_weight_logo(weights: np.ndarray, path, title: str | None = None, reverse_complement: bool = False) -> Path:
    """Write the mean-centered weight logo of one filter (4, W) to ``path`` (.png or .svg)."""
    return save_figure(weight_logo_figure(weights, title, reverse_complement), path)
