"""Section 2: 1-D linear regression y = φ0 + φ1·x fitted by gradient descent (Prince, ch. 6).

The model is ``nn.Linear(1, 1)``: its bias is the intercept φ0 and its weight the slope φ1.
The loss is the mean squared error L(φ) = 1/N Σ (φ0 + φ1 xₙ − yₙ)², a convex bowl over the
(φ0, φ1) plane; gradient descent walks down it to the least-squares line.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

import gradiente
from gradiente import nn, optim, viz
from gradiente.viz._figure import mark_points, new_figure, save

NAME = "linreg"
TITLE = "1-D linear regression by gradient descent: fitted lines, loss surface, path"

# Twelve (x, y) pairs in the style of Prince's "Understanding Deep Learning", notebook 6.2.
X = [0.03, 0.19, 0.34, 0.46, 0.78, 0.81, 1.08, 1.18, 1.39, 1.60, 1.65, 1.90]
Y = [0.67, 0.85, 1.05, 1.00, 1.40, 1.50, 1.30, 1.54, 1.55, 1.68, 1.73, 1.60]
START = (1.6, -0.8)  # (φ0, φ1): a poor line, far from the fit
LR = 0.3
STEPS = 60
PHI0_LIM, PHI1_LIM = (-0.5, 2.5), (-1.2, 1.8)
# The axes of the (φ0, φ1) plane, in sections 2, 3 and 4.
PLANE_LABELS = {
    "xlabel": "intercept $\\phi_0$",
    "ylabel": "slope $\\phi_1$",
    "zlabel": "MSE loss $L$",
}


def problem():
    """The data as (N, 1) tensors, a ``Linear(1, 1)`` model at START and the MSE loss."""
    x = gradiente.tensor(X).reshape(-1, 1)
    y = gradiente.tensor(Y).reshape(-1, 1)
    model = nn.Linear(1, 1)
    with gradiente.no_grad():
        model.bias.fill_(START[0])
        model.weight.fill_(START[1])
    return model, nn.MSELoss(), x, y


def least_squares() -> np.ndarray:
    """The exact minimiser (φ0, φ1) from the normal equations, for comparison."""
    A = np.stack([np.ones(len(X)), np.array(X)], axis=1)
    return np.linalg.lstsq(A, np.array(Y), rcond=None)[0]


def run(out: Path) -> list[Path]:
    """Print this section's numbers and write its figures into ``out``; returns the paths."""
    model, loss_fn, x, y = problem()
    surface = {"loss_fn": loss_fn, "data": (x, y), "params": [model.bias, model.weight]}
    traj = viz.trace(model, partial(optim.SGD, lr=LR), START, STEPS, **surface)
    exact = least_squares()
    print(f"model: y = φ0 + φ1·x (nn.Linear(1, 1)), MSE loss, plain gradient descent η = {LR}")
    for t in (0, 1, 2, 5, 10, 20, 40, STEPS):
        phi0, phi1 = traj.points[t]
        print(f"step {t:>2}: φ0 = {phi0:.4f}, φ1 = {phi1:.4f}, L = {traj.losses[t]:.5f}")
    print(f"least squares (normal equations): φ0 = {exact[0]:.4f}, φ1 = {exact[1]:.4f}")

    fig, (ax_fit, ax_surf) = new_figure(1, 2, figsize=(11.5, 4.6))
    xs = np.linspace(0, 2, 50)
    shown = (0, 1, 3, 10, STEPS)
    colors = [f"C{k}" for k in range(len(shown))]
    for t, color in zip(shown, colors, strict=False):
        phi0, phi1 = traj.points[t]
        ax_fit.plot(xs, phi0 + phi1 * xs, color=color, label=f"step {t}: L = {traj.losses[t]:.3f}")
    ax_fit.scatter(X, Y, color="k", zorder=3, label="data $(x_n, y_n)$")
    ax_fit.set_xlabel("input $x$")
    ax_fit.set_ylabel("output $y$")
    ax_fit.set_title("The line $y = \\phi_0 + \\phi_1 x$ as gradient descent proceeds")
    ax_fit.legend(fontsize=8)
    ax_fit.grid(True, alpha=0.3)
    viz.plot_paths(
        model,
        {f"gradient descent, η = {LR}": traj},
        **surface,
        xlim=PHI0_LIM,
        ylim=PHI1_LIM,
        ax=ax_surf,
        log_scale=True,
        title="MSE loss $L(\\phi_0, \\phi_1)$ and the descent path",
        **PLANE_LABELS,
    )
    mark_points(ax_surf, [exact[0]], [exact[1]], "least squares")
    ax_surf.legend(fontsize=8)
    return [save(fig, Path(out) / "02-linreg.png")]
