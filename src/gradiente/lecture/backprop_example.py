"""Section 6: the lecture's backprop worked example, L = (w·x + b − y)², by the chain rule.

w = 1, b = 0, x = 2.1, y = 4: forward s = w·x + b, L = (s − y)²; backward
dL/ds = 2(s − y), dL/dw = dL/ds · x, dL/db = dL/ds; one step of gradient descent with η = 0.01.
The slide prints dL/dw = −7.68, a typo: its own update uses −7.98 = 2·(2.1 − 4)·2.1.
"""

from __future__ import annotations

from pathlib import Path

import gradiente
from gradiente import viz

NAME = "backprop"
TITLE = "Backprop worked example: L = (w·x + b − y)², chain rule, one update"
W, B, X, Y, LR = 1.0, 0.0, 2.1, 4.0, 0.01


def _n(v) -> str:
    """A number as the slide writes it (6 significant digits, no float noise)."""
    return f"{float(v):.6g}"


def run(out: Path) -> list[Path]:
    """Print this section's numbers and write its figures into ``out``; returns the paths."""
    w = gradiente.tensor(W, dtype=gradiente.float64, requires_grad=True)
    b = gradiente.tensor(B, dtype=gradiente.float64, requires_grad=True)
    x = gradiente.tensor(X, dtype=gradiente.float64)
    y = gradiente.tensor(Y, dtype=gradiente.float64)

    s = w * x + b
    loss = (s - y) ** 2
    print(f"forward:  s = w·x + b = {_n(W)}·{_n(X)} + {_n(B)} = {_n(s)}")
    print(f"          L = (s − y)² = ({_n(s)} − {_n(Y)})² = {_n(loss)}")

    with gradiente.no_grad():  # the chain rule by hand, one local derivative at a time
        dL_ds = 2 * (s - y)  # ∂L/∂s = 2(s − y)
        dL_dw = dL_ds * x  # ∂s/∂w = x
        dL_db = dL_ds * 1  # ∂s/∂b = 1
    print("backward (chain rule):")
    print(f"  dL/ds = 2(s − y) = {_n(dL_ds)}")
    print(f"  dL/dw = dL/ds · ∂s/∂w = {_n(dL_ds)} · {_n(X)} = {_n(dL_dw)}")
    print(f"  dL/db = dL/ds · ∂s/∂b = {_n(dL_ds)} · 1 = {_n(dL_db)}")
    print(
        "note: the slide prints ∂L/∂w = −7.68; that is a typo: 2·(2.1 − 4)·2.1 = −7.98, "
        "which is what its own update uses (1 − 0.01·(−7.98) = 1.0798)."
    )

    print("\nthe same pass as gradiente's backward runs it (viz.explain_backward):")
    print(viz.explain_backward(loss, {"w": w, "b": b}))
    graph_files = _draw(loss, w, b, out)
    loss.backward()
    print(f"autograd (L.backward()): w.grad = {_n(w.grad)}, b.grad = {_n(b.grad)}")

    with gradiente.no_grad():
        w_new = w - LR * w.grad
        b_new = b - LR * b.grad
        new_loss = (w_new * x + b_new - y) ** 2
    print(f"update with η = {LR}:")
    print(f"  w := w − η·dL/dw = {_n(W)} − {LR}·({_n(w.grad)}) = {_n(w_new)}")
    print(f"  b := b − η·dL/db = {_n(B)} − {LR}·({_n(b.grad)}) = {_n(b_new)}")
    print(
        f"new loss: L = (({_n(w_new)})({_n(X)}) + {_n(b_new)} − {_n(Y)})² = "
        f"{float(new_loss):.2f}  ({_n(new_loss)}), down from {_n(loss)}"
    )
    return graph_files


def _draw(loss, w, b, out: Path) -> list[Path]:
    graph = viz.draw_graph(loss, {"w": w, "b": b})
    dot = graph.save(Path(out) / "06-backprop-graph.dot")
    png = graph.save(Path(out) / "06-backprop-graph.png")
    return [png, dot]
