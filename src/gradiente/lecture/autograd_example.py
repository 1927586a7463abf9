"""Section 8: the lecture's autograd cell, run on gradiente (imported under PyTorch's name).

Three lines come out exactly as in the lecture: dL/dw = −0.56 and dL/db = −0.4 from
``loss.backward()``, and the same dL/dw written out by hand, 2·x·((w·x + b) − y), a tensor
that itself has a graph (``grad_fn=<MulBackward0>``).
"""

from __future__ import annotations

from pathlib import Path

import gradiente as torch
from gradiente import viz

NAME = "autograd"
TITLE = "Autograd: the lecture's cell, dL/dw and dL/db from loss.backward()"


def run(out: Path) -> list[Path]:
    """Print this section's numbers and write its figures into ``out``; returns the paths."""
    # The lecture's cell, verbatim.
    w = torch.tensor(1.0, requires_grad=True)
    b = torch.tensor(0.5, requires_grad=True)

    x = torch.tensor([1.4])
    y = torch.tensor([2.1])
    z = torch.add(torch.mul(w, x), b)

    loss = (y - z).pow(2).sum()  # Erro Quadrático
    loss.backward()

    print("dL/dw : ", w.grad)
    print("dL/db : ", b.grad)

    print(2 * x * ((w * x + b) - y))  # Computando dL/dw

    return [_graph(out)]


def _graph(out: Path) -> Path:
    """The same graph, rebuilt and drawn with its values and gradients."""
    w = torch.tensor(1.0, requires_grad=True)
    b = torch.tensor(0.5, requires_grad=True)
    x = torch.tensor([1.4])
    y = torch.tensor([2.1])
    loss = (y - torch.add(torch.mul(w, x), b)).pow(2).sum()
    return viz.draw_graph(loss, {"w": w, "b": b}).save(Path(out) / "08-autograd-graph.png")
