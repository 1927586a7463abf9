"""A trained network's loss landscape: a 2-D slice along filter-normalised random directions.

Li, Xu, Taylor, Studer and Goldstein, "Visualizing the Loss Landscape of Neural Nets" (NeurIPS
2018). A network has far more than two parameters, so the surface is drawn on a plane through
the trained parameters θ*:

    L(α, β) = L(θ* + α·δ + β·η)

with two random Gaussian directions δ, η. Filter normalisation makes the picture comparable
across networks and layers: each filter of a direction (one output row of a weight matrix, one
output channel of a convolution) is rescaled to the norm of the same filter in θ*,

    δ_{i,j} ← δ_{i,j} / ‖δ_{i,j}‖ · ‖θ*_{i,j}‖,

and the directions of 1-D parameters (biases, normalisation scales) are set to zero, as in the
paper's reference code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import gradiente
from gradiente.viz._figure import mark_points, new_figure


def filter_normalized_direction(model, generator=None) -> list:
    """A random direction, one tensor per parameter, filter-normalised to the model's weights."""
    direction = []
    for p in model.parameters():
        d = gradiente.randn(*p.shape, generator=generator, dtype=p.dtype)
        if p.dim() <= 1:
            d = gradiente.zeros_like(p)
        else:
            # one norm per filter: over every axis but the first (output) one
            axes = tuple(range(1, p.dim()))
            d_norm = d.detach().cpu().numpy().astype(float)
            p_norm = p.detach().cpu().numpy().astype(float)
            scale = np.sqrt((p_norm**2).sum(axis=axes, keepdims=True)) / (
                np.sqrt((d_norm**2).sum(axis=axes, keepdims=True)) + 1e-10
            )
            d = d * gradiente.from_numpy(scale.astype(d_norm.dtype)).to(p.dtype)
        direction.append(d.to(p.device))  # drawn on the CPU: the same numbers on any device
    return direction


@dataclass
class LossLandscape:
    """``loss[i, j]`` = L(θ* + alpha[j]·δ + beta[i]·η); ``figure`` is the contour plot."""

    alpha: np.ndarray
    beta: np.ndarray
    loss: np.ndarray
    figure: object = None


def loss_landscape(
    model,
    loss_fn,
    batch,
    *,
    steps: int = 21,
    span: float = 1.0,
    seed: int = 0,
    log_scale: bool = True,
    ax=None,
) -> LossLandscape:
    """The loss of ``model`` on ``batch = (inputs, targets)`` on a plane through its parameters.

    α and β run over ``[-span, span]`` in ``steps`` points each, along two filter-normalised
    random directions drawn from a generator seeded with ``seed`` (the global RNG is not
    touched). The model's parameters are restored afterwards; its train/eval mode is used as
    is. Returns a ``LossLandscape`` with the grid and a contour figure (the trained point at
    the centre).
    """
    inputs, targets = batch
    params = list(model.parameters())
    keep = [p.detach().clone() for p in params]
    gen = gradiente.Generator().manual_seed(seed)
    delta = filter_normalized_direction(model, gen)
    eta = filter_normalized_direction(model, gen)
    alphas = np.linspace(-span, span, steps)
    betas = np.linspace(-span, span, steps)
    Z = np.empty((steps, steps))
    try:
        with gradiente.no_grad():
            for i, b in enumerate(betas):
                for j, a in enumerate(alphas):
                    for p, p0, d, e in zip(params, keep, delta, eta, strict=False):
                        p.copy_(p0 + float(a) * d + float(b) * e)
                    Z[i, j] = loss_fn(model(inputs), targets).item()
    finally:
        with gradiente.no_grad():
            for p, p0 in zip(params, keep, strict=False):
                p.copy_(p0)
    fig, ax = (ax.figure, ax) if ax is not None else new_figure()
    shown, label = Z, "loss $L$"
    if log_scale and Z.min() > 0:
        shown, label = np.log10(Z), "log$_{10}$(loss $L$)"
    cs = ax.contourf(alphas, betas, shown, levels=30, cmap="viridis")
    ax.contour(alphas, betas, shown, levels=cs.levels[::2], colors="k", linewidths=0.3, alpha=0.4)
    fig.colorbar(cs, ax=ax).set_label(label)
    mark_points(ax, [0], [0], "trained parameters θ*")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_xlabel("$\\alpha$ (direction $\\delta$)")
    ax.set_ylabel("$\\beta$ (direction $\\eta$)")
    ax.set_title(
        "Loss landscape $L(\\theta^* + \\alpha\\delta + \\beta\\eta)$\n"
        "filter-normalised random directions (Li et al. 2018)",
        fontsize=10,
    )
    return LossLandscape(alphas, betas, Z, fig)
