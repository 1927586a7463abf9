"""Figures without pyplot: an Agg canvas per figure, so plotting never touches global state.

Every plotting function of ``gradiente.viz`` builds a ``matplotlib.figure.Figure`` attached to
the Agg (raster) canvas. No GUI backend is needed, nothing is kept in pyplot's list of open
figures, and a returned figure displays in a notebook or saves with ``fig.savefig(path)``.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def new_figure(nrows: int = 1, ncols: int = 1, figsize=None, **subplot_kw):
    """A figure on an Agg canvas and its axes (one Axes, or an array when nrows·ncols > 1)."""
    if figsize is None:
        figsize = (5.2 * ncols, 4.4 * nrows)
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, subplot_kw=subplot_kw or None, squeeze=True)
    return fig, axes


def save(fig: Figure, path, dpi: int = 110) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix), creating the folder; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path


def mark_points(ax, xs, ys, label: str, marker: str = "*", markersize: float = 14, **style):
    """White markers with a black edge at the points (xs, ys), no line: the known minimum, the
    saddles, ... of a loss surface, visible on any colour map."""
    ax.plot(
        xs,
        ys,
        marker=marker,
        color="white",
        markeredgecolor="k",
        markersize=markersize,
        linestyle="none",
        label=label,
        **style,
    )


def new_mosaic(layout, figsize, **kwargs):
    """A figure on an Agg canvas with ``subplot_mosaic(layout)``; returns (fig, {name: Axes})."""
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplot_mosaic(layout, **kwargs)
