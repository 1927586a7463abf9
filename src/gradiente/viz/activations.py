"""Per-layer activation and gradient magnitudes: are signals vanishing, exploding or dying?

Forward hooks capture every leaf module's output x^(l) on one batch; the gradients
∂L/∂x^(l) are then computed with ``autograd.grad`` (no ``.grad`` is touched). Healthy
networks keep both magnitudes of the same order from layer to layer — the reason for
initialisations such as Xavier's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import gradiente
from gradiente.nn import functional as F
from gradiente.viz._figure import new_figure


@dataclass
class LayerStats:
    """Statistics of one layer's output x and of the gradient ∂L/∂x on one batch."""

    name: str
    kind: str
    shape: tuple
    mean: float
    std: float
    mean_abs: float
    fraction_zero: float
    grad_mean_abs: float | None
    grad_std: float | None


@dataclass
class ActivationStats:
    """``layers`` (one ``LayerStats`` per leaf module, in forward order) and their ``figure``."""

    layers: list[LayerStats]
    loss: float | None
    figure: object = None

    def __str__(self) -> str:
        lines = [
            f"{'layer':<16}{'kind':<12}{'shape':<16}{'mean':>10}{'std':>10}"
            f"{'zeros':>8}{'|grad|':>12}"
        ]
        for s in self.layers:
            g = "—" if s.grad_mean_abs is None else f"{s.grad_mean_abs:.3e}"
            lines.append(
                f"{s.name:<16}{s.kind:<12}{str(s.shape):<16}{s.mean:>10.4f}"
                f"{s.std:>10.4f}{s.fraction_zero:>8.1%}{g:>12}"
            )
        return "\n".join(lines)


def _default_loss(output, targets):
    if targets.dtype in (gradiente.int64, gradiente.int32):
        return F.cross_entropy(output, targets)
    return F.mse_loss(output, targets)


def activation_stats(model, batch, loss_fn=None) -> ActivationStats:
    """Run ``model`` on ``batch`` and measure each leaf module's output and its gradient.

    ``batch`` is ``(inputs, targets)`` — or just ``inputs``, then only activations are
    measured. ``loss_fn(output, targets)`` defaults to cross-entropy for integer targets and
    mean squared error otherwise. Returns an ``ActivationStats`` (printable table + figure).
    """
    if isinstance(batch, (tuple, list)):
        inputs, targets = batch
    else:
        inputs, targets = batch, None
    leaves = [(name, m) for name, m in model.named_modules() if not list(m.children())]
    outputs: list = []
    handles = [
        m.register_forward_hook(
            lambda module, args, out, name=name: outputs.append((name, module, out))
        )
        for name, m in leaves
    ]
    try:
        output = model(inputs)
    finally:
        for h in handles:
            h.remove()
    grads: list = [None] * len(outputs)
    loss_value = None
    if targets is not None:
        loss = (loss_fn or _default_loss)(output, targets)
        loss_value = loss.item()
        wanted = [k for k, (_, _, out) in enumerate(outputs) if out.requires_grad]
        if wanted:
            got = gradiente.autograd.grad(loss, [outputs[k][2] for k in wanted], allow_unused=True)
            for k, g in zip(wanted, got, strict=False):
                grads[k] = None if g is None else g.detach().cpu().numpy()
    layers = []
    for (name, module, out), g in zip(outputs, grads, strict=False):
        a = out.detach().cpu().numpy().astype(float)
        ga = None if g is None else np.abs(g.astype(float))
        layers.append(
            LayerStats(
                name or type(module).__name__,
                type(module).__name__,
                tuple(a.shape),
                float(a.mean()),
                float(a.std()),
                float(np.abs(a).mean()),
                float((a == 0).mean()),
                None if ga is None else float(ga.mean()),
                None if g is None else float(g.astype(float).std()),
            )
        )
    stats = ActivationStats(layers, loss_value)
    stats.figure = _plot(stats)
    return stats


def _plot(stats: ActivationStats):
    fig, (ax_a, ax_g) = new_figure(1, 2, figsize=(11, 4.0))
    names = [f"{s.name}\n{s.kind}" for s in stats.layers]
    pos = np.arange(len(names))
    ax_a.bar(pos - 0.2, [s.std for s in stats.layers], 0.4, label="std of $x^{(l)}$")
    ax_a.bar(pos + 0.2, [s.mean_abs for s in stats.layers], 0.4, label="mean $|x^{(l)}|$")
    ax_a.set_xticks(pos, names, fontsize=7)
    ax_a.set_ylabel("activation magnitude")
    ax_a.set_title("Activations per layer")
    ax_a.legend(fontsize=8)
    ax_a.grid(True, axis="y", alpha=0.3)
    with_grad = [(k, s) for k, s in enumerate(stats.layers) if s.grad_mean_abs]
    if with_grad:
        ax_g.bar(
            [k for k, _ in with_grad],
            [s.grad_mean_abs for _, s in with_grad],
            0.5,
            color="tab:red",
            label="mean $|\\partial L/\\partial x^{(l)}|$",
        )
        ax_g.set_yscale("log")
        ax_g.legend(fontsize=8)
    else:
        ax_g.text(0.5, 0.5, "no targets: no gradients", ha="center", transform=ax_g.transAxes)
    ax_g.set_xticks(pos, names, fontsize=7)
    ax_g.set_ylabel("gradient magnitude (log scale)")
    ax_g.set_title("Gradients per layer (backward flows right to left)")
    ax_g.grid(True, axis="y", alpha=0.3)
    return fig
