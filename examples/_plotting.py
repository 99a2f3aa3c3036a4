"""Pictures for the examples: matplotlib figures drawn by the Agg backend (no screen needed).

The figures are made with matplotlib's object API (Figure, not pyplot), so no global backend
state is touched and nothing ever tries to open a window. matplotlib is imported when the
first figure is made: where it is missing, `new_figure` raises PictureUnavailable, and each
example says so in one line and goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


class PictureUnavailable(RuntimeError):
    """A picture cannot be made here: matplotlib is not installed."""


def new_figure(width: float, height: float) -> Figure:
    """An empty figure of width × height inches, drawn by Agg."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise PictureUnavailable(
            f"matplotlib cannot be imported ({error}); `pip install matplotlib` brings it"
        ) from None
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save(figure: Figure, path: Path) -> Path:
    """Write `figure` to `path` (PNG), making its folder first; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    return path


def plot_decision_boundary(
    axes: Axes,
    predict: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    resolution: int = 300,
    marker_size: float = 14,
) -> None:
    """Colour the plane of 2-d inputs by the class `predict` gives each point, then plot the
    samples `x` coloured by their true class `y` on top.

    `predict` maps an (N, 2) float32 array of points to (N,) class indices.
    """
    margin = 0.5
    low = x.min(axis=0) - margin
    high = x.max(axis=0) + margin
    grid_x, grid_y = np.meshgrid(
        np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    )
    points = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype(np.float32)
    classes = predict(points).reshape(grid_x.shape)
    axes.contourf(grid_x, grid_y, classes, levels=[-0.5, 0.5, 1.5], colors=["#c6dbef", "#fdd0a2"])
    axes.contour(grid_x, grid_y, classes, levels=[0.5], colors="#444444", linewidths=1)
    for label, colour in ((0, "#2171b5"), (1, "#d94801")):
        chosen = y == label
        axes.scatter(
            x[chosen, 0],
            x[chosen, 1],
            s=marker_size,
            c=colour,
            edgecolors="white",
            linewidths=0.4,
            label=f"class {label}",
        )
    axes.set_xlim(low[0], high[0])
    axes.set_ylim(low[1], high[1])
    axes.set_aspect("equal")
    axes.legend(loc="upper right", fontsize="small", framealpha=0.9)
