"""Reading the backward graph: its nodes, what each node saved, and the gradients that flow.

A tensor's ``grad_fn`` is the last node of the graph that produced it; ``node.next_functions``
lists, per input, the node that produced that input (or a leaf's ``AccumulateGrad``). What a
node keeps for its backward is in ``node._saved`` (tensors, or ``_SavedOutput`` placeholders
holding the node's own output array) plus the attributes the op stored on ``ctx`` (for
example ``ctx.index``).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

import gradiente
from gradiente.autograd.engine import topological_order
from gradiente.autograd.function import AccumulateGrad, _SavedOutput
from gradiente.backend import host

# node -> name of the innermost module whose forward created it (see track_modules)
NODE_MODULE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def walk(root) -> list:
    """Every node reachable from ``root`` (a tensor or a node), outputs before inputs.

    The order is a reverse topological order: a node comes after every node that consumes it,
    which is the order in which the backward pass can visit them.
    """
    start = root.grad_fn if isinstance(root, gradiente.Tensor) else root
    return topological_order([start])


@dataclass
class SavedItem:
    """One value a node keeps for backward: what it is, and its array."""

    label: str
    array: np.ndarray
    kind: str  # "output" (this node's result), "activation" (another node's), "leaf", "ctx"


def _arrays_in(value):
    """Arrays inside a ctx attribute (an array, a tensor, or a tuple/list holding them)."""
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, gradiente.Tensor):
        return [value._data]
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _arrays_in(v)]
    return []


def saved_items(node, names: dict | None = None) -> list[SavedItem]:
    """What ``node`` holds for its backward pass.

    Counted: every tensor in ``save_for_backward`` (``node._saved``), the node's own output
    when saved (a ``_SavedOutput``), and NumPy arrays stored as ctx attributes (index arrays,
    masks). Not counted: Python numbers and shapes on ctx (a few bytes of bookkeeping), and
    the graph structure itself.
    """
    if isinstance(node, AccumulateGrad):
        return []
    names = names or {}
    items = []
    for item in node._saved:
        if isinstance(item, _SavedOutput):
            items.append(SavedItem("result", item.array, "output"))
        elif isinstance(item, gradiente.Tensor):
            if item.grad_fn is not None:
                items.append(
                    SavedItem(f"output of {item.grad_fn.name()}", item._data, "activation")
                )
            else:
                label = names.get(id(item), "input" if not item.requires_grad else "leaf")
                items.append(SavedItem(label, item._data, "leaf"))
    for key, value in node.__dict__.items():
        if key.startswith("_"):
            continue
        for arr in _arrays_in(value):
            items.append(SavedItem(f"ctx.{key}", arr, "ctx"))
    return items


def leaf_names(root, params: dict | None) -> dict:
    """id(leaf tensor) -> display name: the given names, else ``leaf 0``, ``leaf 1``, ..."""
    names = {id(t): name for name, t in (params or {}).items()}
    k = 0
    for node in walk(root):
        if isinstance(node, AccumulateGrad) and id(node.variable) not in names:
            names[id(node.variable)] = f"leaf {k}"
            k += 1
    return names


def sum_to(grad: np.ndarray, shape) -> np.ndarray:
    """Undo broadcasting (as the engine does): sum ``grad`` over broadcast axes to ``shape``."""
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    g = grad.sum(axis=tuple(range(lead))) if lead > 0 else grad
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


@dataclass
class NodeGrads:
    """What one backward step saw: dL/d(outputs) coming in, dL/d(inputs) going out."""

    node: object
    upstream: list  # arrays (or None), one per output of the node
    downstream: list  # arrays (or None), one per input edge, summed to the input's shape


def backward_steps(root) -> tuple[list[NodeGrads], dict]:
    """Run the backward pass of scalar ``root`` and record each node's gradients, in order.

    Uses ``autograd.grad`` with ``retain_graph=True`` and a hook on every node, so no ``.grad``
    is touched (leaves', or retained non-leaves') and the graph can still be backpropagated.
    Returns the steps and {id(leaf): dL/d(leaf) array}.
    """
    if any(getattr(n, "_freed", False) for n in walk(root)):
        raise RuntimeError(
            "the graph's saved values were freed by an earlier backward(); call this before "
            "loss.backward(), or call loss.backward(retain_graph=True)"
        )
    steps: list[NodeGrads] = []
    handles = []
    nodes = walk(root)
    for node in nodes:
        if isinstance(node, AccumulateGrad):
            continue

        def hook(grad_inputs, grad_outputs, node=node):
            meta = node._input_meta
            down = []
            for g, m in zip(grad_inputs, meta, strict=False):
                arr = _array(g)
                if arr is not None and m is not None:
                    arr = sum_to(arr, m[0])
                down.append(arr)
            up = [_array(g) for g in grad_outputs]
            steps.append(NodeGrads(node, up, down))

        handles.append(node.register_hook(hook))
    leaves = [n.variable for n in nodes if isinstance(n, AccumulateGrad)]
    # retain_grad() would accumulate into non-leaf .grad during this extra pass: pause it
    retained = {n: n._retained for n in nodes if not isinstance(n, AccumulateGrad)}
    for n in retained:
        n._retained = None
    try:
        grads = gradiente.autograd.grad(root, leaves, retain_graph=True, allow_unused=True)
    finally:
        for h in handles:
            h.remove()
        for n, r in retained.items():
            n._retained = r
    leaf_grads = {
        id(leaf): (None if g is None else g.detach().cpu().numpy().copy())
        for leaf, g in zip(leaves, grads, strict=False)
    }
    return steps, leaf_grads


def _array(g):
    """A gradient as a NumPy array (backward may return tensors or, for heavy kernels, arrays)."""
    if g is None:
        return None
    if isinstance(g, gradiente.Tensor):
        return np.array(g.detach().cpu().numpy())
    return np.array(host(g))


def output_values(root, nodes) -> dict:
    """(node, output_nr) -> array, for the outputs whose values the graph keeps.

    A node does not keep its output; it is known when the root is that output, when the node
    saved it (``_SavedOutput``), or when a consumer saved it as an input.
    """
    values = {}
    if isinstance(root, gradiente.Tensor) and root.grad_fn is not None:
        values[(root.grad_fn, root._output_nr)] = root._data
    for node in nodes:
        if isinstance(node, AccumulateGrad):
            continue
        for item in node._saved:
            if isinstance(item, _SavedOutput):
                values.setdefault((node, 0), item.array)
            elif isinstance(item, gradiente.Tensor) and item.grad_fn is not None:
                values.setdefault((item.grad_fn, item._output_nr), item._data)
    return values


def output_shapes(root, nodes) -> dict:
    """(node, output_nr) -> shape of that output, read from its consumers' input records."""
    shapes = {}
    if isinstance(root, gradiente.Tensor) and root.grad_fn is not None:
        shapes[(root.grad_fn, root._output_nr)] = tuple(root.shape)
    for node in nodes:
        if isinstance(node, AccumulateGrad):
            continue
        for (nxt, nr), meta in zip(node._edges, node._input_meta, strict=False):
            if nxt is not None and meta is not None:
                shapes.setdefault((nxt, nr), tuple(meta[0]))
    return shapes


def describe(array, max_elements: int = 6, precision: int = 4) -> str:
    """Small arrays in full, large ones as shape and summary statistics."""
    if array is None:
        return "—"
    a = np.asarray(host(array))  # a CUDA array (a saved activation) is copied to the host
    if a.size <= max_elements:
        if a.ndim == 0:
            return f"{float(a):.{precision}g}" if a.dtype.kind == "f" else str(a.item())
        return np.array2string(
            a, precision=precision, separator=", ", max_line_width=60, floatmode="maxprec"
        )
    if a.dtype.kind == "b":
        return f"{a.sum()} of {a.size} true"
    af = a.astype(float)
    return f"mean {af.mean():.3g}, std {af.std():.3g}, min {af.min():.3g}, max {af.max():.3g}"
