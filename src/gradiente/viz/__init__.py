"""Seeing gradient descent and backpropagation: surfaces, paths, graphs and memory.

Every plotting function returns a matplotlib ``Figure`` drawn on the Agg canvas (no display
needed; ``fig.savefig(path)`` writes it, a notebook shows it).
"""

from __future__ import annotations

from gradiente.viz.activations import ActivationStats, LayerStats, activation_stats
from gradiente.viz.graph import (
    BackwardExplanation,
    ComputationalGraph,
    draw_graph,
    explain_backward,
)
from gradiente.viz.landscape import LossLandscape, filter_normalized_direction, loss_landscape
from gradiente.viz.memory import MemoryReport, memory_report, track_modules
from gradiente.viz.surfaces import (
    Trajectory,
    animate_paths,
    beale,
    compare_optimizers,
    default_optimizers,
    lr_sweep,
    plot_loss_surface,
    plot_paths,
    rosenbrock,
    saddle,
    trace,
)

__all__ = [
    "ActivationStats",
    "BackwardExplanation",
    "ComputationalGraph",
    "LayerStats",
    "LossLandscape",
    "MemoryReport",
    "Trajectory",
    "activation_stats",
    "animate_paths",
    "beale",
    "compare_optimizers",
    "default_optimizers",
    "draw_graph",
    "explain_backward",
    "filter_normalized_direction",
    "loss_landscape",
    "lr_sweep",
    "memory_report",
    "plot_loss_surface",
    "plot_paths",
    "rosenbrock",
    "saddle",
    "trace",
    "track_modules",
]
