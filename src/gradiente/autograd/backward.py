"""The public entry points of backprop: ``backward`` and ``grad``, which turn their arguments
into root edges and seeds and hand them to the engine (``run_backward``)."""

from __future__ import annotations

import warnings

from gradiente.autograd import function as _function
from gradiente.autograd.engine import _accumulate, run_backward
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import as_array, ndarray, xp


def _seq(x):
    """A list of tensors from one tensor or any iterable of them (a list, a generator such as
    ``model.parameters()``, ``dict.values()``), as torch accepts."""
    if x is None:
        return None
    if type(x) is _function.GradientEdge:
        return [x]
    if isinstance(x, (list, tuple)):
        return list(x)
    if isinstance(x, _function._Tensor) or not hasattr(x, "__iter__"):
        return [x]
    return list(x)


def _roots_and_seeds(outputs, grad_outputs):
    """The graph edges to start from and dL/d(output) for each (ones for a scalar output)."""
    Tensor = _function._Tensor
    roots, seeds = [], []
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        if not t.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            data = t._data  # ones on t's device (ones_like keeps a device mark; ones is faster)
            ones = xp.ones(data.shape, data.dtype) if type(data) is ndarray else xp.ones_like(data)
            g = Tensor._make(ones)
        else:
            if not isinstance(g, Tensor):
                g = Tensor._make(as_array(g, dtype=t._data.dtype))
            if g.shape != t.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {t.shape}."
                )
        if t._view is not None and grad_state.enabled:
            _function.refresh_view(t)  # a view whose base changed in place since
        roots.append(_function._edge_of(t))
        seeds.append(g)
    return roots, seeds


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaf) · grad_tensors into every leaf's ``.grad``.

    ``grad_tensors`` may be omitted for scalar outputs (dL/dL = 1). With ``inputs``, only those
    tensors' ``.grad`` are accumulated.
    """
    tensors = _seq(tensors)
    grad_tensors = _seq(grad_tensors) or [None] * len(tensors)
    roots, seeds = _roots_and_seeds(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph and not _warned_create_graph:
        _warn_create_graph()
    if inputs is None:
        run_backward(roots, seeds, retain_graph, create_graph)
        return
    inputs = _seq(inputs)
    for x in inputs:
        if isinstance(x, _function._Tensor) and x.grad_fn is not None:
            x.retain_grad()  # as torch: the pass fills a non-leaf input's .grad, later ones too
    capture = {_function._edge_of(x): i for i, x in enumerate(inputs)}
    got = run_backward(roots, seeds, retain_graph, create_graph, capture, accumulate=False)
    _accumulate_into_leaves(inputs, got, create_graph)


def _accumulate_into_leaves(inputs, grads, create_graph: bool) -> None:
    """``backward(inputs=...)``'s last step: each leaf input's gradient is accumulated as a
    full backward would (its post-accumulate-grad hooks run); a non-leaf input's ``.grad``
    was filled during the pass by ``retain_grad``."""
    private = {id(g._data) for g in grads if g is not None}  # never adopt: always a copy
    for x, g in zip(inputs, grads):
        if g is not None and isinstance(x, _function._Tensor) and x.grad_fn is None:
            _accumulate(x, g if create_graph else g.detach(), create_graph, private)


_warned_create_graph = False


def _warn_create_graph() -> None:
    """torch's warning, once per process, for ``backward(create_graph=True)``."""
    global _warned_create_graph
    _warned_create_graph = True
    warnings.warn(
        "Using backward() with create_graph=True will create a reference cycle between the "
        "parameter and its gradient which can cause a memory leak. We recommend using "
        "autograd.grad when creating the graph to avoid this. If you have to use this function, "
        "make sure to reset the .grad fields of your parameters to None after use to break the "
        "cycle and avoid the leak.",
        UserWarning,
        stacklevel=3,
    )


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """The gradients of ``outputs`` with respect to ``inputs`` (``.grad`` is not touched).

    Returns one tensor per input. An input that the outputs do not depend on gives an error,
    or ``None`` with ``allow_unused=True`` (zeros with ``materialize_grads=True``).

    ``is_grads_batched=True`` reads the first dimension of every ``grad_outputs`` tensor as a
    batch of seeds and returns the batch of vector-Jacobian products (with the identity as
    the seeds: the full Jacobian in one call). torch maps the backward over the batch with
    vmap; gradiente runs one backward per seed and stacks the results (see
    ``_batched_grad``).
    """
    Tensor = _function._Tensor
    outputs = _seq(outputs)
    if not all(isinstance(o, Tensor) for o in outputs):
        raise AssertionError("Expected output to be a torch.Tensor")
    single = isinstance(inputs, (Tensor, _function.GradientEdge))
    inputs = _seq(inputs)
    grad_outputs = _seq(grad_outputs) or [None] * len(outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if is_grads_batched:
        return _batched_grad(
            outputs,
            inputs,
            grad_outputs,
            retain_graph,
            create_graph,
            allow_unused,
            materialize_grads,
        )
    roots, seeds = _roots_and_seeds(outputs, grad_outputs)
    if not all(type(x) is _function.GradientEdge or x.requires_grad for x in inputs):
        raise RuntimeError("One of the differentiated Tensors does not require grad")
    capture = {}
    for i, x in enumerate(inputs):
        capture.setdefault(_function._edge_of(x), i)
    if retain_graph is None:
        retain_graph = create_graph
    got = run_backward(roots, seeds, retain_graph, create_graph, capture, accumulate=False)
    result = []
    for i, x in enumerate(inputs):
        g = got[capture[_function._edge_of(x)]]
        if g is None:
            if materialize_grads:
                g = Tensor._make(xp.zeros_like(x._data))
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result) if not single or len(result) != 1 else (result[0],)


def _batched_grad(
    outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads
):
    """``grad`` with ``is_grads_batched=True``: one backward per seed b (``g[b]`` of every
    grad_output), the graph kept until the last, then each input's gradients stacked along a
    new first dimension. An input with no gradient stays None (or, with materialize_grads,
    zeros of the input's own, unbatched shape, as torch returns)."""
    Tensor = _function._Tensor
    sizes = []
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if t.requires_grad and t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            # torch's implicit seed ones_like(t) carries no batch dimension
            if t._data.ndim == 0:
                raise ValueError(
                    "vmap(vjp, in_dims=0, ...)(<inputs>): Got in_dim=0 for some input, but "
                    "that input is a Tensor of dimensionality 0 so expected in_dim to satisfy "
                    "0 <= in_dim < 0."
                )
            g = grad_outputs[i] = Tensor._make(xp.ones_like(t._data))  # on t's device
        elif not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        first = g[0]  # an empty batch fails here with IndexError, as in torch
        if first.shape != t.shape:
            # torch's message shows grad_output's shape with two leading dims dropped
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each "
                "grad_output as the batch dimension. The sizes of the remaining dimensions are "
                "expected to match the shape of corresponding output, but a mismatch was "
                f"detected: grad_output[{i}] has a shape of {first.shape[1:]} and output[{i}] "
                f"has a shape of {t.shape}. If you only want some tensors in `grad_output` to "
                "be considered batched, consider using vmap."
            )
        sizes.append(g.shape[0])
    if len(set(sizes)) > 1:
        raise ValueError(
            "vmap: Expected all tensors to have the same size in the mapped dimension, got "
            f"sizes {sizes} for the mapped dimension"
        )
    if retain_graph is None:
        retain_graph = create_graph
    batch = sizes[0] if sizes else 0
    per_seed = [
        grad(
            outputs,
            inputs,
            [g[b] for g in grad_outputs],
            retain_graph=retain_graph or b < batch - 1,
            create_graph=create_graph,
            allow_unused=allow_unused,
        )
        for b in range(batch)
    ]
    result = []
    for k, x in enumerate(inputs):
        column = [gs[k] for gs in per_seed]
        if column and column[0] is not None:
            result.append(Tensor._stack(column))
        elif materialize_grads:
            result.append(Tensor._make(xp.zeros_like(x._data)))
        else:
            result.append(None)
    return tuple(result)
