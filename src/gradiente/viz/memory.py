"""What the forward pass must store for backward: ``memory_report`` and ``track_modules``.

Backprop reuses values from the forward pass: ∂L/∂W = ∂L/∂s · xᵀ needs the layer's input x,
σ'(s) needs s or σ(s). Every op keeps what its local derivative needs until backward runs.
``memory_report(loss)`` walks the graph behind ``loss`` and adds up those saved arrays, per op
and per module — the lecture's question "what exactly must be stored in the forward pass?".
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

import gradiente
from gradiente.autograd.function import AccumulateGrad
from gradiente.viz import _walk


@contextmanager
def track_modules(model):
    """Within this block, remember which module's forward created each graph node.

    ``memory_report`` and ``draw_graph`` then attribute nodes to modules by name
    (``"0"``, ``"encoder.fc1"``). A node belongs to the innermost module that produced it.
    Implemented with forward hooks: after a module's forward, the nodes between its output
    and its inputs are tagged.
    """
    names = {id(m): name for name, m in model.named_modules()}
    handles = []

    def hook(module, args, output):
        name = names.get(id(module)) or type(module).__name__
        stop = {a.grad_fn for a in _tensors(args) if a.grad_fn is not None}
        stack = [o.grad_fn for o in _tensors(output) if o.grad_fn is not None]
        seen = set()
        while stack:
            node = stack.pop()
            if node in seen or node in stop or isinstance(node, AccumulateGrad):
                continue
            seen.add(node)
            _walk.NODE_MODULE.setdefault(node, name)  # an inner module tagged it first
            stack.extend(n for n, _ in node._edges if n is not None)

    for module in model.modules():
        handles.append(module.register_forward_hook(hook))
    try:
        yield model
    finally:
        for h in handles:
            h.remove()


def _tensors(value):
    if isinstance(value, gradiente.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


@dataclass
class MemoryRow:
    """One graph node and what it saved."""

    op: str
    module: str
    items: list  # SavedItem list
    nbytes: int  # sum of the saved arrays' sizes


@dataclass
class MemoryReport:
    """Bytes held for backward: ``rows`` (one per node), ``by_op``, ``by_module`` and totals.

    ``total`` adds every saved array's ``nbytes`` (per node, as listed). ``unique`` counts each
    underlying buffer once (two nodes saving the same tensor share it; a saved view holds its
    whole base array). ``activations`` is the part that exists only because of the graph
    (outputs of ops and ctx arrays); ``leaves`` the saved parameters and inputs, which are
    alive anyway.
    """

    rows: list[MemoryRow]
    by_op: dict
    by_module: dict
    total: int
    unique: int
    activations: int
    leaves: int

    def __str__(self) -> str:
        w = max([len(r.op) for r in self.rows] + [10])
        m = max([len(r.module) for r in self.rows] + [6])
        lines = [f"{'op':<{w}}  {'module':<{m}}  {'bytes':>10}  saved for backward"]
        for r in self.rows:
            what = ", ".join(f"{i.label} {tuple(i.array.shape)} {i.array.dtype}" for i in r.items)
            lines.append(f"{r.op:<{w}}  {r.module:<{m}}  {r.nbytes:>10,}  {what or '—'}")
        lines.append("")
        lines.append("per op:     " + ", ".join(f"{k} {v:,} B" for k, v in self.by_op.items()))
        lines.append("per module: " + ", ".join(f"{k} {v:,} B" for k, v in self.by_module.items()))
        lines.append(
            f"total saved {self.total:,} B (distinct buffers {self.unique:,} B): "
            f"activations {self.activations:,} B, parameters/inputs {self.leaves:,} B"
        )
        return "\n".join(lines)


def memory_report(loss, model=None) -> MemoryReport:
    """Bytes each graph node holds for backward, per op and per module.

    Counted per node (see ``saved_items``): the tensors given to ``save_for_backward``, the
    node's own saved output, and NumPy arrays stored on ctx (index arrays, masks). Not counted:
    Python numbers and shapes on ctx, the graph's bookkeeping, and ``.grad`` buffers.
    Modules come from ``track_modules(model)`` when the forward pass ran inside it; otherwise,
    with ``model`` given, a node that takes a module's parameter directly is attributed to that
    module, and other nodes to ``"(outside)"``. Call it before ``loss.backward()``, which frees the
    saved values.
    """
    nodes = [n for n in _walk.walk(loss) if not isinstance(n, AccumulateGrad)]
    names = _walk.leaf_names(loss, dict(model.named_parameters()) if model is not None else None)
    owner = _parameter_owners(model) if model is not None else {}
    rows = []
    by_op: dict = defaultdict(int)
    by_module: dict = defaultdict(int)
    buffers: dict = {}
    activations = leaves = 0
    for node in nodes:
        items = _walk.saved_items(node, names)
        nbytes = sum(int(i.array.nbytes) for i in items)
        module = _walk.NODE_MODULE.get(node) or _owner_of(node, owner) or "(outside)"
        rows.append(MemoryRow(node.name(), module, items, nbytes))
        by_op[node.name()] += nbytes
        by_module[module] += nbytes
        for i in items:
            base = i.array if i.array.base is None else _root_base(i.array)
            buffers[id(base)] = int(base.nbytes)
            if i.kind == "leaf":
                leaves += int(i.array.nbytes)
            else:
                activations += int(i.array.nbytes)
    return MemoryReport(
        rows,
        dict(by_op),
        dict(by_module),
        sum(r.nbytes for r in rows),
        sum(buffers.values()),
        activations,
        leaves,
    )


def _root_base(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _parameter_owners(model) -> dict:
    """id(parameter) -> name of the module that owns it directly."""
    owners = {}
    for name, module in model.named_modules():
        for p in module.parameters(recurse=False):
            owners[id(p)] = name or type(module).__name__
    return owners


def _owner_of(node, owner: dict) -> str | None:
    for nxt, _ in node._edges:
        if isinstance(nxt, AccumulateGrad) and id(nxt.variable) in owner:
            return owner[id(nxt.variable)]
    return None
