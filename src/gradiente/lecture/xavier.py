"""Section 9: Xavier (Glorot) initialisation, ``nn.init.xavier_normal_`` after ``manual_seed(1)``.

W ~ N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out)) keeps the variance of activations and of
gradients roughly constant from layer to layer. With the same seed gradiente draws the same
numbers as PyTorch, so the lecture's tensor comes out digit for digit. The figure shows why
the scale matters: activation and gradient magnitudes through a deep tanh network.
"""

from __future__ import annotations

import math
from pathlib import Path

import gradiente as torch
import gradiente.nn as nn
from gradiente import viz
from gradiente.viz._figure import new_figure, save

NAME = "xavier"
TITLE = "Xavier initialisation: manual_seed(1), xavier_normal_ on a 2×3 tensor"
DEPTH, WIDTH, BATCH = 8, 128, 64


def run(out: Path) -> list[Path]:
    """Print this section's numbers and write its figures into ``out``; returns the paths."""
    # The lecture's cell, verbatim.
    torch.manual_seed(1)
    w = torch.empty(2, 3)
    nn.init.xavier_normal_(w)
    print(w)

    print(f"σ = gain·√(2/(fan_in + fan_out)) = √(2/(3 + 2)) = {math.sqrt(2 / 5):.4f}")
    inits = {
        "xavier_normal_": nn.init.xavier_normal_,
        "N(0, 1)": lambda t: nn.init.normal_(t, 0.0, 1.0),
        "N(0, 0.01²)": lambda t: nn.init.normal_(t, 0.0, 0.01),
    }
    fig, (ax_a, ax_g) = new_figure(1, 2, figsize=(11, 4.2))
    for (name, init), color in zip(inits.items(), ["C2", "C3", "C0"], strict=False):
        stats = viz.activation_stats(_deep_tanh(init), _batch())
        tanh_layers = [s for s in stats.layers if s.kind == "Tanh"]
        layers = range(1, len(tanh_layers) + 1)
        ax_a.plot(layers, [s.std for s in tanh_layers], "o-", color=color, label=name)
        ax_g.plot(layers, [s.grad_mean_abs for s in tanh_layers], "o-", color=color, label=name)
        print(f"{name:<15} std of x(l) by layer: " + " ".join(f"{s.std:.3f}" for s in tanh_layers))
    ax_a.set_title(f"Activations through {DEPTH} tanh layers of width {WIDTH}")
    ax_a.set_xlabel("layer $l$")
    ax_a.set_ylabel("std of $x^{(l)}$")
    ax_a.set_yscale("log")
    ax_g.set_title("Gradients flowing back")
    ax_g.set_xlabel("layer $l$")
    ax_g.set_ylabel("mean $|\\partial L/\\partial x^{(l)}|$ (log scale)")
    ax_g.set_yscale("log")
    for ax in (ax_a, ax_g):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, title="initialisation of W", title_fontsize=8)
    return [save(fig, Path(out) / "09-xavier.png")]


def _deep_tanh(init):
    torch.manual_seed(0)
    layers = []
    for _ in range(DEPTH):
        lin = nn.Linear(WIDTH, WIDTH)
        init(lin.weight)
        nn.init.zeros_(lin.bias)
        layers += [lin, nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(WIDTH, 1))


def _batch():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(BATCH, WIDTH, generator=g)
    return x, torch.randn(BATCH, 1, generator=g)
