"""Section 7: forward and backward pass of a small MLP in the lecture's notation, by hand.

Forward (stored for backward): x⁽⁰⁾ = x, s⁽ˡ⁾ = W⁽ˡ⁾ x⁽ˡ⁻¹⁾ + b⁽ˡ⁾, x⁽ˡ⁾ = σ(s⁽ˡ⁾).
Backward, from L = Σ (x⁽ᴸ⁾ − y)²:
    ∂L/∂s⁽ˡ⁾ = ∂L/∂x⁽ˡ⁾ ⊙ σ′(s⁽ˡ⁾)
    ∂L/∂W⁽ˡ⁾ = ∂L/∂s⁽ˡ⁾ x⁽ˡ⁻¹⁾ᵀ,   ∂L/∂b⁽ˡ⁾ = ∂L/∂s⁽ˡ⁾
    ∂L/∂x⁽ˡ⁻¹⁾ = W⁽ˡ⁾ᵀ ∂L/∂s⁽ˡ⁾
computed in NumPy and compared with autograd's gradients of the same ``nn.Sequential``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import gradiente
from gradiente import nn, viz

NAME = "mlp"
TITLE = "Forward and backward pass of a small MLP by hand (NumPy) vs autograd"
SIZES = (3, 4, 2)


def make_network(seed: int = 0):
    """Linear(3, 4) → Sigmoid → Linear(4, 2) → Sigmoid, in float64, PyTorch's initialisation."""
    gradiente.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(SIZES[0], SIZES[1]), nn.Sigmoid(), nn.Linear(SIZES[1], SIZES[2]), nn.Sigmoid()
    ).double()


def sigmoid(s):
    """σ(s) = 1 / (1 + e^(−s)), element-wise on a NumPy array."""
    return 1.0 / (1.0 + np.exp(-s))


def forward_by_hand(Ws, bs, x):
    """Returns the stored lists s = [s⁽¹⁾, ...] and xs = [x⁽⁰⁾, x⁽¹⁾, ...]."""
    s, xs = [], [x]
    for W, b in zip(Ws, bs, strict=False):
        s.append(W @ xs[-1] + b)  # s⁽ˡ⁾ = W⁽ˡ⁾ x⁽ˡ⁻¹⁾ + b⁽ˡ⁾
        xs.append(sigmoid(s[-1]))  # x⁽ˡ⁾ = σ(s⁽ˡ⁾)
    return s, xs


def backward_by_hand(Ws, s, xs, y) -> dict:
    """The lecture's backward pass; returns {"W1": ∂L/∂W⁽¹⁾, "b1": ..., "s2": ∂L/∂s⁽²⁾, ...}."""
    grads = {}
    dx = 2 * (xs[-1] - y)  # ∂L/∂x⁽ᴸ⁾ for L = Σ (x⁽ᴸ⁾ − y)²
    for layer in range(len(Ws), 0, -1):
        sig = sigmoid(s[layer - 1])
        ds = dx * sig * (1 - sig)  # ∂L/∂s⁽ˡ⁾ = ∂L/∂x⁽ˡ⁾ ⊙ σ′(s⁽ˡ⁾), σ′ = σ(1 − σ)
        grads[f"x{layer}"] = dx
        grads[f"s{layer}"] = ds
        grads[f"W{layer}"] = np.outer(ds, xs[layer - 1])  # ∂L/∂s⁽ˡ⁾ x⁽ˡ⁻¹⁾ᵀ
        grads[f"b{layer}"] = ds  # ∂L/∂b⁽ˡ⁾ = ∂L/∂s⁽ˡ⁾
        dx = Ws[layer - 1].T @ ds  # ∂L/∂x⁽ˡ⁻¹⁾ = W⁽ˡ⁾ᵀ ∂L/∂s⁽ˡ⁾
    grads["x0"] = dx
    return grads


def autograd_gradients(model, x, y) -> dict:
    """The same gradients from ``loss.backward()``: {"W1": layer 1's weight.grad, ...}."""
    model.zero_grad()
    out = model(gradiente.tensor(x).reshape(1, -1))
    loss = ((out - gradiente.tensor(y).reshape(1, -1)) ** 2).sum()
    loss.backward()
    linears = [m for m in model if isinstance(m, nn.Linear)]
    grads = {}
    for k, lin in enumerate(linears, start=1):
        grads[f"W{k}"] = lin.weight.grad.numpy()
        grads[f"b{k}"] = lin.bias.grad.numpy()
    return grads


def _fmt(a) -> str:
    return np.array2string(
        np.asarray(a), precision=5, suppress_small=True, separator=", ", max_line_width=200
    ).replace("\n", "")


def run(out: Path) -> list[Path]:
    """Print this section's numbers and write its figures into ``out``; returns the paths."""
    model = make_network()
    linears = [m for m in model if isinstance(m, nn.Linear)]
    Ws = [lin.weight.detach().numpy() for lin in linears]
    bs = [lin.bias.detach().numpy() for lin in linears]
    x = np.array([0.5, -1.0, 2.0])
    y = np.array([1.0, 0.0])

    s, xs = forward_by_hand(Ws, bs, x)
    print("forward pass, stored for backward:")
    print(f"  x(0) = {_fmt(xs[0])}")
    for layer in range(1, len(Ws) + 1):
        print(f"  s({layer}) = W({layer}) x({layer - 1}) + b({layer}) = {_fmt(s[layer - 1])}")
        print(f"  x({layer}) = σ(s({layer})) = {_fmt(xs[layer])}")
    print(f"  L = Σ (x(2) − y)² = {np.sum((xs[-1] - y) ** 2):.6f}   (y = {_fmt(y)})")

    hand = backward_by_hand(Ws, s, xs, y)
    auto = autograd_gradients(model, x, y)
    print("backward pass by hand:")
    for layer in range(len(Ws), 0, -1):
        print(f"  ∂L/∂x({layer}) = {_fmt(hand[f'x{layer}'])}")
        print(f"  ∂L/∂s({layer}) = ∂L/∂x({layer}) ⊙ σ′(s({layer})) = {_fmt(hand[f's{layer}'])}")
        print(f"  ∂L/∂W({layer}) = ∂L/∂s({layer}) x({layer - 1})ᵀ = {_fmt(hand[f'W{layer}'])}")
        print(f"  ∂L/∂b({layer}) = ∂L/∂s({layer}) = {_fmt(hand[f'b{layer}'])}")
    print(f"  ∂L/∂x(0) = W(1)ᵀ ∂L/∂s(1) = {_fmt(hand['x0'])}")
    for key in auto:
        diff = np.abs(hand[key] - auto[key]).max()
        print(f"autograd ∂L/∂{key}: max |hand − autograd| = {diff:.1e}")

    with viz.track_modules(model):
        outputs = model(gradiente.tensor(x).reshape(1, -1))
    loss = ((outputs - gradiente.tensor(y).reshape(1, -1)) ** 2).sum()
    print("what the forward pass stored for backward (viz.memory_report):")
    print(viz.memory_report(loss, model))
    graph = viz.draw_graph(loss, dict(model.named_parameters()))
    return [graph.save(Path(out) / "07-mlp-graph.png")]
