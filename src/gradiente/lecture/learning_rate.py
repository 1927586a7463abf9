"""Section 3: the effect of the learning rate η — too small crawls, too large oscillates or
diverges.

On a quadratic loss with Hessian H, gradient descent multiplies the error along each
eigenvector of H by (1 − η λ) per step: it converges only if |1 − η λ| < 1 for every
eigenvalue λ, that is η < 2 / λ_max, and it oscillates (1 − η λ < 0) once η > 1 / λ_max.
The Hessian of the linear-regression loss of section 2 comes from autograd.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

import gradiente
from gradiente import optim, viz
from gradiente.autograd.functional import hessian
from gradiente.lecture import linear_regression as linreg
from gradiente.viz._figure import save

NAME = "lr"
TITLE = "The learning rate η: too small, good, too large (oscillates, diverges)"
STEPS = 40


def mse_of_phi(phi):
    """L(φ0, φ1) of section 2 written directly as a function of the vector φ (float64)."""
    x = gradiente.tensor(linreg.X, dtype=gradiente.float64)
    y = gradiente.tensor(linreg.Y, dtype=gradiente.float64)
    return ((phi[0] + phi[1] * x - y) ** 2).mean()


def run(out: Path) -> list[Path]:
    """Print this section's numbers and write its figures into ``out``; returns the paths."""
    H = hessian(mse_of_phi, gradiente.tensor(linreg.START, dtype=gradiente.float64)).numpy()
    lam = np.linalg.eigvalsh(H)
    print(f"Hessian of the MSE loss (autograd): {np.array2string(H, precision=4)}")
    print(
        f"eigenvalues λ = {lam[0]:.4f}, {lam[1]:.4f}: oscillation above η = 1/λ_max = "
        f"{1 / lam[1]:.4f}, divergence above η = 2/λ_max = {2 / lam[1]:.4f}"
    )
    lrs = [0.02, 0.2, 0.45, 0.5]
    labels = ["too small (crawls)", "good", "large (oscillates)", "too large (diverges)"]
    model, loss_fn, x, y = linreg.problem()
    surface = {"loss_fn": loss_fn, "data": (x, y), "params": [model.bias, model.weight]}
    for lr, label in zip(lrs, labels, strict=False):
        traj = viz.trace(model, partial(optim.SGD, lr=lr), linreg.START, STEPS, **surface)
        rate = np.abs(1 - lr * lam).max()
        print(
            f"η = {lr:<5} {label:<25} |1 − ηλ|_max = {rate:.3f}   L after {STEPS} steps = "
            f"{traj.losses[-1]:.4g}"
        )
    fig = viz.lr_sweep(
        model,
        lrs,
        linreg.START,
        STEPS,
        **surface,
        labels=labels,
        xlim=linreg.PHI0_LIM,
        ylim=linreg.PHI1_LIM,
        log_scale=True,
        title="Gradient descent paths for several learning rates η",
        **linreg.PLANE_LABELS,
    )
    return [save(fig, Path(out) / "03-lr.png")]
