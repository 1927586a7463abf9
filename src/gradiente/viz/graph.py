"""The computational graph made visible: ``draw_graph`` and ``explain_backward``.

``draw_graph(loss)`` shows every node of the graph behind a tensor: the op, the shape of its
output, the value where the graph holds it (or summary statistics for big arrays), the
gradient dL/d(output) that backward sends through it, and what the op saved for backward.
``explain_backward(loss)`` prints the backward pass node by node as the chain rule:
upstream gradient × local derivative = downstream gradient.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gradiente.autograd.function import AccumulateGrad
from gradiente.viz import _walk
from gradiente.viz._figure import save

# Local derivatives of gradiente's ops, one text per input, in the lecture's notation.
LOCAL_DERIVATIVES = {
    "AddBackward0": ("∂(u + v)/∂u = 1", "∂(u + v)/∂v = 1"),
    "SubBackward0": ("∂(u − v)/∂u = 1", "∂(u − v)/∂v = −1"),
    "RsubBackward1": ("∂(c − u)/∂u = −1",),
    "MulBackward0": ("∂(u·v)/∂u = v", "∂(u·v)/∂v = u"),
    "DivBackward0": ("∂(u/v)/∂u = 1/v", "∂(u/v)/∂v = −u/v²"),
    "NegBackward0": ("∂(−u)/∂u = −1",),
    "PowBackward0": ("∂(uᵖ)/∂u = p·uᵖ⁻¹",),
    "PowBackward1": ("∂(uᵛ)/∂u = v·uᵛ⁻¹", "∂(uᵛ)/∂v = uᵛ·ln u"),
    "PowBackward2": ("∂(cᵘ)/∂u = cᵘ·ln c",),
    "ExpBackward0": ("∂eᵃ/∂a = eᵃ",),
    "LogBackward0": ("∂ ln a/∂a = 1/a",),
    "SqrtBackward0": ("∂√a/∂a = 1/(2√a)",),
    "SinBackward0": ("∂ sin a/∂a = cos a",),
    "CosBackward0": ("∂ cos a/∂a = −sin a",),
    "TanhBackward0": ("∂ tanh s/∂s = 1 − tanh² s",),
    "SigmoidBackward0": ("∂σ(s)/∂s = σ(s)(1 − σ(s))",),
    "ReluBackward0": ("∂ relu(s)/∂s = 1 if s > 0 else 0",),
    "AbsBackward0": ("∂|a|/∂a = sign(a)",),
    "SumBackward0": ("∂(Σ a)/∂aᵢ = 1: the gradient is copied to every element",),
    "SumBackward1": ("∂(Σ a)/∂aᵢ = 1: the gradient is copied to every element",),
    "MeanBackward0": ("∂(mean a)/∂aᵢ = 1/n",),
    "MeanBackward1": ("∂(mean a)/∂aᵢ = 1/n",),
    "MmBackward0": ("Y = A·B: dL/dA = dL/dY · Bᵀ", "Y = A·B: dL/dB = Aᵀ · dL/dY"),
    # gradiente's Linear op, s = x Wᵀ + b with inputs (x, W, b), in the lecture's notation
    "AddmmBackward0": (
        "s = x·Wᵀ + b: ∂L/∂x = ∂L/∂s · W  (Wᵀ ∂L/∂s per example)",
        "∂L/∂W = (∂L/∂s)ᵀ · x  (∂L/∂s x⁽ˡ⁻¹⁾ᵀ summed over the batch)",
        "∂L/∂b = ∂L/∂s summed over the batch",
    ),
    "ConvolutionBackward0": (
        "∂L/∂x = the full convolution of ∂L/∂y with the flipped kernels",
        "∂L/∂w = the correlation of x with ∂L/∂y",
        "∂L/∂b = ∂L/∂y summed over batch and positions",
    ),
    "CrossEntropyLossBackward0": ("∂L/∂z = (softmax(z) − onehot(y)) / n",),
    "MaxPool2DWithIndicesBackward0": ("each window's gradient goes to its maximum",),
    "AvgPool2DBackward0": ("each window's gradient is shared equally by its elements",),
    "TBackward0": ("transpose: dL/da = (dL/dY)ᵀ",),
    "TransposeBackward0": ("transpose: dL/da = (dL/dY)ᵀ",),
    "PermuteBackward0": ("permute: the gradient is permuted back",),
    "ViewBackward0": ("reshape: the gradient is reshaped back",),
    "UnsqueezeBackward0": ("unsqueeze: the gradient is squeezed back",),
    "SqueezeBackward0": ("squeeze: the gradient is unsqueezed back",),
    "SqueezeBackward1": ("squeeze: the gradient is unsqueezed back",),
    "ExpandBackward0": ("expand: the gradient is summed over the copies",),
    "CloneBackward0": ("clone: ∂a/∂a = 1",),
    "ToCopyBackward0": ("dtype cast: ∂a/∂a = 1 (cast back)",),
    "MseLossBackward0": ("∂ mean((ŷ − y)²)/∂ŷ = 2(ŷ − y)/n", "∂/∂y = −2(ŷ − y)/n"),
    "LogSoftmaxBackward0": ("∂ log softmax: g − softmax · Σg",),
    "SoftmaxBackward0": ("∂ softmax: y ⊙ (g − Σ(g ⊙ y))",),
    "NllLossBackward0": ("∂L/∂(log p) = −1/n at the target class, 0 elsewhere",),
}


def _local(node, i: int) -> str:
    texts = LOCAL_DERIVATIVES.get(node.name())
    if texts and i < len(texts):
        return texts[i]
    return f"local Jacobian of {node.name()} (input {i})"


@dataclass
class GraphNode:
    """One box of the drawing: an op (a ``grad_fn`` node) or a leaf tensor."""

    id: str
    kind: str  # "op", "leaf" or "output" (the op that produced the drawn tensor)
    op: str  # the node's name, e.g. "MulBackward0", or "AccumulateGrad" for a leaf
    name: str  # display name: the op, or the leaf's name
    shape: tuple | None
    value: np.ndarray | None  # the forward value, where the graph keeps it
    grad: np.ndarray | None  # dL/d(this output) during backward
    saved: list = field(default_factory=list)  # SavedItem list (what backward needs)
    module: str | None = None

    def label(self) -> str:
        """The text in the box."""
        lines = [self.name if self.kind == "leaf" else f"{self.op}"]
        if self.module:
            lines[0] += f"  [{self.module}]"
        if self.shape is not None:
            lines.append(f"shape {self.shape}")
        if self.kind == "leaf" or self.value is not None:
            lines.append(f"value {_walk.describe(self.value)}")
        else:
            lines.append("value not stored")
        if self.grad is not None:
            lines.append(f"grad {_walk.describe(self.grad)}")
        for item in self.saved:
            lines.append(f"saved {item.label} {tuple(item.array.shape)} ({item.array.nbytes} B)")
        return "\n".join(lines)


@dataclass
class ComputationalGraph:
    """The graph behind a tensor: nodes, edges (input -> consumer) and its DOT source.

    ``str(graph)`` is the DOT text; ``graph.save("g.png")`` writes PNG or SVG through
    Graphviz's ``dot`` when it is installed, else a matplotlib drawing (``.dot`` writes the
    text). In a notebook the graph displays itself.
    """

    nodes: list[GraphNode]
    edges: list[tuple[str, str]]
    source: str

    def __str__(self) -> str:
        return self.source

    def save(self, path, engine: str = "auto") -> Path:
        """Write the graph: ``.dot`` (text), or ``.png``/``.svg`` (engine ``"graphviz"``,
        ``"matplotlib"`` or ``"auto"`` = Graphviz when its binary is installed)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".dot":
            path.write_text(self.source, encoding="utf-8")
            return path
        if engine == "graphviz" or (engine == "auto" and shutil.which("dot")):
            fmt = path.suffix.lstrip(".") or "png"
            subprocess.run(
                ["dot", f"-T{fmt}", "-o", str(path)], input=self.source.encode(), check=True
            )
            return path
        return save(self.figure(), path)

    def figure(self):
        """A matplotlib drawing of the graph (leaves on top, the output at the bottom)."""
        return _draw_matplotlib(self)

    def _repr_png_(self):
        buf = io.BytesIO()
        self.figure().savefig(buf, format="png", dpi=90)
        return buf.getvalue()


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def draw_graph(
    tensor, params: dict | None = None, path=None, show_saved: bool = True, engine: str = "auto"
) -> ComputationalGraph:
    """The computational graph behind ``tensor``, with values, gradients and saved tensors.

    ``params`` names leaves, ``{"w": w, "b": b}`` or ``dict(model.named_parameters())``.
    Gradients dL/d(node output) are computed here by a backward pass with hooks (leaves'
    ``.grad`` untouched) when ``tensor`` is a scalar whose graph was not freed; after a plain
    ``backward()`` only the leaves' ``.grad`` are shown. A node's forward value is shown when
    the graph keeps it (saved for backward, a leaf, or the output); the others were not needed
    for backward and are gone. ``path`` also writes the drawing (see ``ComputationalGraph.save``).
    """
    names = _walk.leaf_names(tensor, params)
    nodes = _walk.walk(tensor)
    values = _walk.output_values(tensor, nodes)
    shapes = _walk.output_shapes(tensor, nodes)
    grads: dict = {}
    leaf_grads: dict = {}
    if tensor.requires_grad and tensor.numel() == 1 and nodes:
        try:
            steps, leaf_grads = _walk.backward_steps(tensor)
            grads = {id(s.node): s.upstream for s in steps}
        except RuntimeError:  # freed by an earlier backward(): show the leaves' .grad only
            grads = {}
    ids = {node: f"n{k}" for k, node in enumerate(nodes)}
    out_nodes, edges = [], []
    for node in nodes:
        if isinstance(node, AccumulateGrad):
            leaf = node.variable
            g = leaf_grads.get(id(leaf))
            if g is None and leaf.grad is not None:
                g = leaf.grad.detach().cpu().numpy()
            out_nodes.append(
                GraphNode(
                    ids[node],
                    "leaf",
                    "AccumulateGrad",
                    names[id(leaf)],
                    tuple(leaf.shape),
                    leaf.detach().cpu().numpy(),
                    g,
                )
            )
            continue
        up = grads.get(id(node))
        out_nodes.append(
            GraphNode(
                ids[node],
                "output" if node is tensor.grad_fn else "op",
                node.name(),
                node.name(),
                shapes.get((node, 0)),
                values.get((node, 0)),
                None if not up else up[0],
                _walk.saved_items(node, names) if show_saved else [],
                _walk.NODE_MODULE.get(node),
            )
        )
        for nxt, _ in node._edges:
            if nxt is not None:
                edges.append((ids[nxt], ids[node]))
    if not nodes:  # a leaf (or a constant): one box
        out_nodes.append(
            GraphNode(
                "n0",
                "leaf",
                "AccumulateGrad",
                names.get(id(tensor), "tensor"),
                tuple(tensor.shape),
                tensor.detach().cpu().numpy(),
                None if tensor.grad is None else tensor.grad.cpu().numpy(),
            )
        )
    graph = ComputationalGraph(out_nodes, edges, _dot_source(out_nodes, edges))
    if path is not None:
        graph.save(path, engine)
    return graph


_DOT_COLORS = {"leaf": "lightblue", "op": "lightgrey", "output": "darkolivegreen1"}
_COLORS = {"leaf": "lightblue", "op": "lightgrey", "output": "#caff70"}  # #caff70: darkolivegreen1


def _dot_source(nodes: list[GraphNode], edges) -> str:
    lines = [
        "digraph computational_graph {",
        '    graph [rankdir=TB, fontname="Helvetica"];',
        '    node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
    ]
    for n in nodes:
        color = _DOT_COLORS[n.kind]
        lines.append(f'    {n.id} [label="{_dot_escape(n.label())}", fillcolor="{color}"];')
    for a, b in edges:
        lines.append(f"    {a} -> {b};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _draw_matplotlib(graph: ComputationalGraph):
    """Layered drawing: depth = longest path to the output; leaves on top, output at bottom.

    The boxes are measured first, then packed row by row, so wide labels never overlap; the
    axes' data units are inches.
    """
    consumers: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    for a, b in graph.edges:
        consumers[a].append(b)
    depth: dict[str, int] = {}
    for n in graph.nodes:  # nodes come outputs first, so consumers are placed before inputs
        depth[n.id] = max((depth[c] + 1 for c in consumers[n.id]), default=0)
    layers: dict[int, list[str]] = {}
    for n in graph.nodes:
        layers.setdefault(depth[n.id], []).append(n.id)

    fig = Figure(figsize=(8, 8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    texts = {
        n.id: ax.text(
            0,
            0,
            n.label(),
            ha="center",
            va="center",
            fontsize=7,
            family="DejaVu Sans Mono",
            bbox={"boxstyle": "round,pad=0.4", "fc": _COLORS[n.kind], "ec": "0.3"},
        )
        for n in graph.nodes
    }
    fig.canvas.draw()  # lays out the text boxes so that they can be measured
    size = {}  # box width and height in inches
    for i, t in texts.items():
        box = t.get_bbox_patch().get_window_extent()
        size[i] = (box.width / fig.dpi, box.height / fig.dpi)
    gap_x, gap_y, margin = 0.25, 0.45, 0.3
    row_height = {d: max(size[i][1] for i in row) for d, row in layers.items()}
    row_width = {
        d: sum(size[i][0] for i in row) + gap_x * (len(row) - 1) for d, row in layers.items()
    }
    width = max(row_width.values()) + 2 * margin
    height = sum(row_height.values()) + gap_y * (len(layers) - 1) + 2 * margin + 0.5
    x: dict[str, float] = {}
    y: dict[str, float] = {}
    top = margin
    for d in sorted(layers):  # depth 0 (the output) at the bottom
        top_of_row = top + row_height[d] / 2
        # order a row by where its consumers are (the barycentre heuristic): fewer crossings
        row = sorted(layers[d], key=lambda i: np.mean([x[c] for c in consumers[i]] or [0.0]))
        left = (width - row_width[d]) / 2
        for i in row:
            x[i] = left + size[i][0] / 2
            y[i] = top_of_row
            left += size[i][0] + gap_x
        top += row_height[d] + gap_y
    fig.set_size_inches(width, height)
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    for i, t in texts.items():
        t.set_position((x[i], y[i]))
    for a, b in graph.edges:
        # from the bottom edge of the input's box to the top edge of the consumer's box
        ax.annotate(
            "",
            xy=(x[b], y[b] + size[b][1] / 2),
            xytext=(x[a], y[a] - size[a][1] / 2),
            arrowprops={
                "arrowstyle": "-|>",
                "color": "0.35",
                "shrinkA": 0,
                "shrinkB": 0,
                "lw": 1.0,
            },
        )
    ax.text(
        width / 2,
        height - 0.3,
        "Computational graph — forward: top to bottom, backward: "
        "bottom to top\nblue: leaves, grey: ops (grad_fn nodes), green: the output",
        ha="center",
        va="center",
        fontsize=9,
    )
    return fig


def _is_number(text: str) -> bool:
    try:
        float(text.strip().replace("−", "-"))
    except ValueError:
        return False
    return True


@dataclass
class BackwardStep:
    """One node of the backward pass: gradients in, local derivatives, gradients out."""

    index: int
    op: str
    upstream: np.ndarray | None  # dL/d(output)
    inputs: list  # (target name, local derivative text, local value or None, dL/d(input))


@dataclass
class BackwardExplanation:
    """The backward pass as text; ``steps`` holds the numbers, ``leaf_grads`` the results."""

    steps: list[BackwardStep]
    leaf_grads: dict  # leaf name -> dL/d(leaf) array
    text: str

    def __str__(self) -> str:
        return self.text


def explain_backward(loss, params: dict | None = None) -> BackwardExplanation:
    """A text trace of the backward pass of scalar ``loss``, node by node, in the order the
    engine runs them: upstream gradient × local derivative = downstream gradient.

    ``params`` names the leaves (``{"w": w}`` or ``dict(model.named_parameters())``). The
    gradients are computed with ``autograd.grad(..., retain_graph=True)``: ``.grad`` is not
    touched and ``loss.backward()`` still works afterwards.
    """
    if loss.numel() != 1:
        raise RuntimeError("explain_backward needs a scalar loss")
    names = _walk.leaf_names(loss, params)
    steps_raw, leaf_grads = _walk.backward_steps(loss)
    lines = [
        f"Backward pass of L = {_walk.describe(loss.detach().cpu().numpy())} "
        f"({loss.grad_fn.name()}), starting from dL/dL = 1",
        "",
    ]
    steps = []
    for k, s in enumerate(steps_raw, start=1):
        node = s.node
        up = s.upstream[0] if s.upstream else None
        lines.append(f"[{k}] {node.name()}")
        lines.append(f"    upstream    dL/d(out) = {_walk.describe(up)}")
        ins = []
        for i, ((nxt, _), g) in enumerate(zip(node._edges, s.downstream, strict=False)):
            if nxt is None or g is None:
                continue
            target = names[id(nxt.variable)] if isinstance(nxt, AccumulateGrad) else nxt.name()
            local = None
            if up is not None and up.size == 1 and g.size == 1 and float(up.reshape(())) != 0.0:
                local = float(g.reshape(())) / float(up.reshape(()))
            formula = _local(node, i)
            shown = "" if local is None or _is_number(formula.split("=")[-1]) else f" = {local:.6g}"
            lines.append(f"    local       {formula}{shown}")
            lines.append(
                f"    downstream  dL/d(input {i}) = upstream × local = "
                f"{_walk.describe(g)}  → {target}"
            )
            ins.append((target, formula, local, g))
        steps.append(BackwardStep(k, node.name(), up, ins))
    lines.append("")
    named = {}
    leaves = [n.variable for n in _walk.walk(loss) if isinstance(n, AccumulateGrad)]
    for leaf in leaves:
        name = names[id(leaf)]
        named[name] = leaf_grads.get(id(leaf))
        lines.append(f"dL/d{name} = {_walk.describe(named[name])}")
    return BackwardExplanation(steps, named, "\n".join(lines))
