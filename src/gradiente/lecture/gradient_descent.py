"""Section 1: gradient descent on f(w) = w₁² + w₂², the lecture's NumPy code and autograd.

The update is w_{t+1} = w_t − η ∇f(w_t) with ∇f(w) = 2w, from w = (10, 10) with η = 0.01.
The lecture's cell prints f and w after each of 10 steps; the same descent with gradiente,
where autograd computes ∇f instead of the hand-written 2w, follows exactly the same path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import gradiente
from gradiente import viz
from gradiente.viz._figure import save

NAME = "gd"
TITLE = "Gradient descent on f(w) = w1² + w2² (the lecture's NumPy cell)"


# The lecture's cells, verbatim.
def f(w):
    return np.sum(w * w)


def grad(w):
    return 2 * w


def gradient_descent(func, grad_func, w_init, n_epochs=100, lr=0.001, verbose=0):
    i = 0
    w = w_init

    while i < n_epochs:
        # conduct gradient update step
        delta_w = -lr * grad_func(w)
        w = w + delta_w

        if verbose > 0:
            print(f"f = {func(w)};\tw: {w}")

        i += 1

    return w


def descend_with_autograd(w_init, n_epochs: int, lr: float) -> np.ndarray:
    """The same descent in gradiente: ∇f from backward(); returns every iterate (n+1, 2)."""
    w = gradiente.tensor(w_init, dtype=gradiente.float64, requires_grad=True)
    path = [w.detach().numpy().copy()]
    for _ in range(n_epochs):
        loss = (w * w).sum()
        loss.backward()
        with gradiente.no_grad():
            w -= lr * w.grad  # w ← w − η ∇f(w)
        w.grad.zero_()
        path.append(w.detach().numpy().copy())
    return np.array(path)


def run(out: Path) -> list[Path]:
    """Print this section's numbers and write its figures into ``out``; returns the paths."""
    # Ponto de início
    w_init = np.array([10, 10])
    # Learning rate
    lr = 0.01
    # Aplica gradient descent
    w_opt = gradient_descent(f, grad, w_init, n_epochs=10, lr=lr, verbose=1)

    path = descend_with_autograd([10.0, 10.0], 10, lr)
    print(
        f"gradiente (∇f by autograd, not 2w): w after 10 steps = {path[-1]}, "
        f"max |difference| = {np.abs(path[-1] - w_opt).max()}"
    )
    long = descend_with_autograd([10.0, 10.0], 300, lr)
    print(
        f"after 300 steps: w = {long[-1]}, f = {f(long[-1]):.6g} "
        f"(each step multiplies w by 1 − 2η = {1 - 2 * lr})"
    )

    def bowl(w1, w2):
        return w1 * w1 + w2 * w2

    fig = viz.plot_paths(
        bowl,
        {
            "η = 0.01, 300 steps": viz.Trajectory(long, np.array([f(w) for w in long])),
            "the lecture's 10 steps": viz.Trajectory(path, np.array([f(w) for w in path])),
        },
        xlim=(-2, 12),
        ylim=(-2, 12),
        loss_curve=True,
        title="Gradient descent on $f(w) = w_1^2 + w_2^2$",
        xlabel="$w_1$",
        ylabel="$w_2$",
        zlabel="$f(w)$",
    )
    return [save(fig, Path(out) / "01-gd-path.png")]
