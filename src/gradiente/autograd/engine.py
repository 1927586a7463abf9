"""The backward engine: walk the graph in reverse topological order, applying the chain rule.

Backprop computes every gradient in one pass. Starting from dL/dL = 1 at the loss, each node
receives the gradient of the loss with respect to its output(s), multiplies by its local
derivative (its ``backward``) and hands dL/d(input) to the node that produced each input.
A node runs only after all its consumers have contributed (``topological_order``: Kahn's
algorithm on the reversed graph), so gradients arriving along different paths are summed first.
The walk uses an explicit stack, never recursion, so graphs of any depth work.
"""

from __future__ import annotations

import warnings

from gradiente.autograd import function as _function
from gradiente.autograd import reduced_precision
from gradiente.autograd.function import AccumulateGrad, Function
from gradiente.autograd.grad_mode import _anomaly, grad_state
from gradiente.backend import (
    get_array_module,
    is_out_of_memory,
    mark_device,
    module_for,
    ndarray,
    out_of_memory,
    torch_type_name,
)


def _consumer_counts(roots) -> dict:
    """For every node reachable from ``roots``: how many edges point into it."""
    counts = {}
    get = counts.get
    stack = list(roots)
    roots = set(roots)
    while stack:
        node = stack.pop()
        for nxt, _ in node._edges:
            if nxt is not None:
                seen = get(nxt)
                counts[nxt] = 1 if seen is None else seen + 1
                if seen is None and nxt not in roots:  # first edge into it: walk on from it
                    stack.append(nxt)
    return counts


def topological_order(roots) -> list:
    """Every node reachable from ``roots``, each one after all the nodes that consume its
    outputs: the order in which backward visits them (Kahn's algorithm on the reversed graph;
    a node becomes ready when its last consumer has been placed)."""
    # A node may be a root more than once (several outputs of one op): count its edges once.
    roots = [r for r in roots if r is not None]
    if len(roots) > 1:
        roots = list(dict.fromkeys(roots))
    consumers = _consumer_counts(roots)
    order = []
    ready = [n for n in roots if consumers.get(n, 0) == 0]
    while ready:
        node = ready.pop()
        order.append(node)
        for nxt, _ in node._edges:
            if nxt is not None:
                left = consumers[nxt] - 1
                consumers[nxt] = left
                if not left:
                    ready.append(nxt)
    return order


def _sum_to_shape(grad, shape):
    """Undo broadcasting: sum ``grad`` over the axes that were broadcast to reach its shape."""
    if grad.shape == shape:
        return grad
    if grad.ndim < len(shape):
        # the input had extra leading 1s (a (1,) value written into one element): put them back
        return grad.reshape(shape)
    lead = grad.ndim - len(shape)
    axes = list(range(lead))
    for i, n in enumerate(shape):
        if n == 1 and grad.shape[lead + i] != 1:
            axes.append(lead + i)
    if axes:
        grad = grad.sum(dim=tuple(axes), keepdim=True)
    if lead or grad.shape != shape:
        grad = grad.reshape(shape)
    return grad


def _as_tensor(g):
    if g is None or isinstance(g, _function._Tensor):
        return g
    return _function._Tensor._make(_function._as_array(g), False, None)


# One list per backward pass now running (backward may nest, e.g. inside a hook).
_callbacks: list[list] = []


# Per backward pass now running: whether it accumulates into every leaf (``backward()``), not
# into chosen inputs only (``grad``, ``backward(inputs=...)``).
_accumulating: list[bool] = []


def is_checkpoint_valid() -> bool:
    """False inside a ``grad()`` / ``backward(inputs=...)`` pass, where a reentrant checkpoint
    cannot work: its nested backward would accumulate into every leaf (torch's
    ``torch.autograd._is_checkpoint_valid``)."""
    return not _accumulating or _accumulating[-1]


def queue_callback(callback) -> None:
    """Run ``callback()`` once the backward pass now running has finished (torch's
    ``Variable._execution_engine.queue_callback``). ``DistributedDataParallel`` uses it to
    wait for its gradient all-reduces at the end of backward."""
    if not _callbacks:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    _callbacks[-1].append(callback)


def run_backward(
    roots,
    root_grads,
    retain_graph: bool,
    create_graph: bool,
    capture=None,
    accumulate: bool = True,
):
    """Backpropagate ``root_grads`` from the ``roots`` edges ((node, output_nr) pairs).

    ``capture`` maps edges to slots: the gradient that flows into each captured edge is
    returned in that slot (used by ``autograd.grad``). With ``accumulate=False`` leaves'
    ``.grad`` is left untouched.
    """
    Tensor = _function._Tensor
    order = topological_order([node for node, _ in roots])
    buffers: dict = {}
    for (node, nr), g in zip(roots, root_grads):
        if node is None:
            continue
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node._n_outputs
        buf[nr] = g if buf[nr] is None else buf[nr] + g
    captured = [None] * (len(capture) if capture else 0)
    # Arrays a leaf may adopt as its .grad without a copy: fresh results of backward ops only,
    # and each at most once (the same gradient array can flow to several leaves).
    adopted = {id(g._data) for g in root_grads}

    check_nan = _anomaly[0] and _anomaly[1]
    prev_mode = grad_state.enabled
    grad_state.enabled = create_graph
    callbacks: list = []
    _callbacks.append(callbacks)
    _accumulating.append(capture is None and accumulate)
    try:
        for node in order:
            grads = buffers.pop(node, None) or [None] * node._n_outputs
            if capture and isinstance(node, AccumulateGrad) and (node, 0) not in capture:
                continue  # a leaf grad() did not ask for: torch runs neither it nor its hooks
            grads = _run_pre_hooks(node, grads, adopted)

            if capture:
                for nr, g in enumerate(grads):
                    slot = capture.get((node, nr))
                    if slot is not None:
                        captured[slot] = g

            if isinstance(node, AccumulateGrad):
                if accumulate and grads[0] is not None:
                    _accumulate(node.variable, grads[0], create_graph, adopted)
                continue

            if all(g is None for g in grads):
                input_grads = (None,) * len(node._edges)
            else:
                materialize = node.__dict__.get("_materialize_grads", True)
                if materialize and (node._n_outputs > 1 or any(g is None for g in grads)):
                    grads = [
                        g if g is not None else _zeros_for_output(node, i)
                        for i, g in enumerate(grads)
                    ]
                if node._freed:
                    raise RuntimeError(_function.FREED_MESSAGE)
                if "_bf16" in node.__dict__:  # a bfloat16 op: its backward runs in float32
                    grads = reduced_precision.widen_grads(node, grads)
                try:
                    input_grads = type(node).backward(node, *grads)
                except MemoryError as err:  # a GPU out of memory: torch's error
                    if is_out_of_memory(err):
                        raise out_of_memory(err) from err
                    raise
                if not isinstance(input_grads, tuple):
                    input_grads = (input_grads,)
                if node._user_defined:
                    input_grads = _checked_user_grads(node, input_grads)
                if len(input_grads) < len(node._edges):
                    input_grads = input_grads + (None,) * (len(node._edges) - len(input_grads))
                post = node.__dict__.get("_post_hooks")
                if post:
                    input_grads = _run_post_hooks(node, post, input_grads, tuple(grads))

            if not retain_graph:
                _release(node)

            meta = node._input_meta
            device = node._device
            for i, (nxt, nr) in enumerate(node._edges):
                g = input_grads[i]
                if nxt is None or g is None:
                    continue
                if not isinstance(g, Tensor):
                    g = _as_tensor(g)
                if check_nan:
                    _check_nan(node, i, g)
                if device is not None and type(g._data) is ndarray:
                    # a kernel's backward built a host array: the gradient lives on the device
                    g = Tensor._make(
                        mark_device(g._data, device, _backward_name(node)), False, None
                    )
                shape, dtype = meta[i]
                if g._data.shape != shape:
                    g = _sum_to_shape(g, shape)
                if g._data.dtype != dtype:
                    g = g.to(Tensor._dtype_of(dtype))
                buf = buffers.get(nxt)
                if buf is None:
                    buf = buffers[nxt] = [None] * nxt._n_outputs
                buf[nr] = g if buf[nr] is None else buf[nr] + g
    finally:
        grad_state.enabled = prev_mode
        _callbacks.pop()
        _accumulating.pop()
    for callback in callbacks:
        callback()
    return captured


def _checked_user_grads(node, grads: tuple) -> tuple:
    """A custom Function's gradients, checked as torch checks them: one per forward input
    (extra ones only as None), None for inputs that are not tensors, and each one of a shape
    its input broadcasts to (the engine then sums it down to the input's shape)."""
    expected = len(node._edges)
    if len(grads) > expected and all(g is None for g in grads[expected:]):
        grads = grads[:expected]
    if len(grads) != expected:
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients "
            f"(expected {expected}, got {len(grads)})"
        )
    for i, (g, meta) in enumerate(zip(grads, node._input_meta)):
        if g is None:
            continue
        if meta is None:
            raise RuntimeError(
                f"function {node.name()} returned a gradient different than None at position "
                f"{i + 1}, but the corresponding forward input was not a Variable"
            )
        shape = tuple(g.shape)
        if node._edges[i][0] is not None and not _broadcasts_to(meta[0], shape):
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {i} - got "
                f"{list(shape)} but expected shape compatible with {list(meta[0])}"
            )
    return grads


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    """Whether an input of ``shape`` broadcasts to ``target`` (torch's is_expandable_to)."""
    if len(shape) > len(target):
        return False
    return all(n == m or n == 1 for n, m in zip(reversed(shape), reversed(target)))


def _check_nan(node, i: int, grad) -> None:
    """Anomaly detection: raise, as PyTorch does, when ``node``'s backward returned a NaN in
    its gradient for input ``i``, after a warning showing where the node's op was called."""
    data = grad._data
    if not (data != data).any():  # NaN is the one value unequal to itself
        return
    trace = node.__dict__.get("_forward_trace")
    if trace is not None:
        warnings.warn(
            f"Error detected in {node.name()}. Traceback of forward call that caused the "
            f"error:\n{trace}",
            UserWarning,
            stacklevel=4,
        )
    raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


def _release(node) -> None:
    """Free what a node kept for backward: its saved tensors and the arrays its op stored on
    ctx (listed in ``_released_attrs``). Nodes that kept nothing stay usable, as in PyTorch."""
    released = type(node)._released_attrs
    if node._saved or released:
        node._saved = ()
        for name in released:
            node.__dict__.pop(name, None)
        node._freed = True


def _zeros_for_output(node, i):
    """dL/d(output i) for an output that no path to the loss used: zeros (None for a custom
    Function's output that is not a tensor)."""
    meta = node.__dict__["_output_meta"][i]
    if meta is None:
        return None
    shape, dtype = meta
    zeros = mark_device(module_for(node._device).zeros(shape, dtype=dtype), node._device)
    return _function._Tensor._make(zeros, False, None)


def _check_hook_result(hook, g, new) -> None:
    """torch's errors for a tensor hook that returned something other than a gradient of
    ``g``'s form."""
    if not isinstance(new, _function._Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(new).__name__}'")
    name = getattr(hook, "__name__", type(hook).__name__)
    if new._data.shape != g._data.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")
    if new._data.dtype != g._data.dtype:
        raise RuntimeError(
            f"hook '{name}' has changed the type of value (was {_type_name(g)} got "
            f"{_type_name(new)})"
        )


def _run_post_hooks(node, hooks, input_grads: tuple, grads: tuple) -> tuple:
    """``input_grads`` passed through the node's hooks (``grad_fn.register_hook``), each
    called as ``hook(grad_inputs, grad_outputs)`` with the gradients of the inputs torch's
    node has (not those of dims or flags); one that returns a tuple replaces them."""
    shown = node._shown_inputs()
    if shown is None:
        shown = tuple(range(len(input_grads)))
    full = list(input_grads) + [None] * (len(node._edges) - len(input_grads))
    for hook in hooks:
        seen = tuple(full[i] for i in shown)
        new = hook(seen, grads)
        if new is not None:
            for i, g in zip(shown, _checked_node_hook_result(hook, seen, new)):
                full[i] = g
    return tuple(full)


def _checked_node_hook_result(hook, grads: tuple, new) -> tuple:
    """A node hook's replacement for ``grads``: one per input, as torch checks."""
    new = tuple(new)
    if len(new) != len(grads):
        name = getattr(hook, "__name__", type(hook).__name__)
        raise RuntimeError(
            f"hook '{name}' has returned an incorrect number of values (got {len(new)}, but "
            f"expected {len(grads)})"
        )
    return new


def _type_name(t) -> str:
    """torch's legacy type name of tensor ``t`` ("torch.FloatTensor")."""
    where = "torch." if t._data.__class__ is ndarray else "torch.cuda."
    return where + torch_type_name(t._data.dtype) + "Tensor"


def _run_tensor_hooks(hooks, g, adopted):
    """g passed through a tensor's hooks in order (a hook returning a tensor replaces g).

    Every array a hook has seen, and the final one, goes into ``adopted``: the hook may keep
    it, so no leaf may take it over as its ``.grad``."""
    for hook in list(hooks):
        adopted.add(id(g._data))
        new = hook(g)
        if new is not None:
            _check_hook_result(hook, g, new)
            g = new
    adopted.add(id(g._data))
    return g


def _run_pre_hooks(node, grads, adopted):
    """Tensor hooks (``register_hook``) and ``retain_grad`` for the tensors this node produced.

    A gradient shown to a hook may be kept by it, so no leaf may adopt that array afterwards.
    """
    if isinstance(node, AccumulateGrad):
        leaf = node.variable
        hooks = leaf._hooks
        if hooks and grads[0] is not None:
            grads = [_run_tensor_hooks(hooks, grads[0], adopted)]
        return grads
    node_hooks = node.__dict__.get("_node_pre_hooks")
    if node_hooks:
        for hook in list(node_hooks):
            new = hook(tuple(grads))
            if new is not None:
                grads = list(new)
    if node._pre_hooks:
        grads = list(grads)
        for nr, hooks in node._pre_hooks.items():
            if grads[nr] is not None:
                grads[nr] = _run_tensor_hooks(hooks, grads[nr], adopted)
    if node._retained:
        for nr, ref in node._retained.items():
            t = ref()
            g = grads[nr]
            if t is not None and g is not None:
                # A private copy: the same array flows on and may be adopted by a leaf.
                g = g.clone() if grad_state.enabled else g.detach().clone()
                t.grad = g if t.grad is None else t.grad + g
    return grads


def _accumulate(leaf, grad, create_graph: bool, adopted: set) -> None:
    """leaf.grad += grad: the first time, the leaf adopts the gradient's array (or a copy of it
    if the array is shared, read-only or a view); later, the sum is done in place. Under
    ``create_graph`` the sum is a graph-carrying, out-of-place addition."""
    if create_graph:
        leaf.grad = CopyGrad.apply(grad) if leaf.grad is None else leaf.grad + grad
    elif leaf.grad is None:
        data = grad._data
        flags = data.flags
        if leaf.__dict__.get("_torch_layout") and not leaf._data.flags.c_contiguous:
            # torch's layout contract: a dense leaf's gradient has the leaf's strides (a
            # channels-last weight gets a channels-last gradient)
            data = _laid_out_as(leaf._data, data)
        elif id(data) in adopted or not (flags.owndata and flags.writeable and flags.c_contiguous):
            data = data.copy()
        adopted.add(id(data))
        leaf.grad = _function._Tensor._make(data, False, None)
        if data is not grad._data and not data.flags.c_contiguous:
            leaf.grad.__dict__["_torch_layout"] = True
    else:
        leaf.grad._data += grad._data
    for hook in leaf.__dict__.get("_post_accumulate_grad_hooks", ()):
        hook(leaf)


def _laid_out_as(like, data):
    """A copy of ``data`` in the memory order of ``like`` (``empty_like`` keeps it)."""
    out = get_array_module(like).empty_like(like)
    out[...] = data
    return out


class CopyGrad(Function):
    """The copy a leaf makes of its first gradient under ``create_graph``: recorded in the
    graph (so the gradient can be differentiated again), with PyTorch's node name. The op
    ``clone`` (``ops/elementwise.py``) is the same copy under another name."""

    backward_name = "CopyBackwards"
    _array_forward = True

    @staticmethod
    def forward(ctx, grad):
        return grad._data.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


def _backward_name(node) -> str:
    """How ``backend.host_results`` names a backward that built a host array: its node."""
    return f"{node.name()} (backward)"
