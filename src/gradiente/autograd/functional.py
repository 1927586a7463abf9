"""Higher-level derivatives of a function: jacobian, hessian, vjp, jvp, hvp, vhp.

All are built from reverse-mode products (``autograd.grad``). The Jacobian is assembled one
row at a time (one vector-Jacobian product per output element), which makes the lecture's
chain rule on Jacobians, J(f∘g) = J_f · J_g, checkable numerically.
"""

from __future__ import annotations

from gradiente.autograd import function as _function
from gradiente.autograd.backward import grad as _grad
from gradiente.autograd.grad_mode import enable_grad
from gradiente.backend import xp


def _tuple(x):
    return (tuple(x), True) if isinstance(x, (tuple, list)) else ((x,), False)


def _prepare(inputs, create_graph):
    """Fresh leaves that require grad (detached unless the caller wants a graph through them)."""
    out = []
    for x in inputs:
        if create_graph and x.requires_grad:
            out.append(x.view_as(x))
        else:
            out.append(x.detach().requires_grad_(True))
    return tuple(out)


def _filled(shape, like, value: float):
    """A constant tensor of ``shape`` with ``like``'s dtype, outside any graph."""
    return _function._Tensor._make(xp.full(shape, value, dtype=like._data.dtype))


# torch's strict-mode errors, by the step that found a gradient missing ({i}: the input)
_INDEPENDENT = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
    "not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
    "grad_outputs when using the double backward trick to compute forward mode gradients. "
    "This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
    "This is not allowed in strict mode.",
}


def _zeros_if_none(grads, like, strict, stage):
    """``grads`` with zeros for the missing ones (an input the output does not depend on);
    in strict mode torch's error for the ``stage`` (see ``_INDEPENDENT``) instead."""
    out = []
    for i, (g, x) in enumerate(zip(grads, like)):
        if g is None:
            if strict:
                message = _INDEPENDENT.get(stage)
                raise RuntimeError(message.format(i=i) if message else stage.format(i=i))
            g = _filled(x._data.shape, x, 0)
        out.append(g)
    return tuple(out)


def _check_outputs_require_grad(outs, strict: bool) -> None:
    """Strict mode: every output must depend differentiably on the inputs (torch's check)."""
    if not strict:
        return
    for i, o in enumerate(outs):
        if not o.requires_grad:
            raise RuntimeError(
                f"Output {i} of the user-provided function does not require gradients. The "
                "outputs must be computed in a differentiable manner from the input when "
                "running in strict mode."
            )


def _jacobian_blocks(o, xs, row_grads) -> list:
    """∂o/∂x for each x of ``xs``, shaped o.shape + x.shape, one row per element of ``o``:
    ``row_grads(o_j)`` gives the gradients of the element o_j with respect to every x."""
    rows = [[] for _ in xs]
    elements = o.reshape(-1)
    for j in range(elements.numel()):
        for k, g in enumerate(row_grads(elements[j])):
            rows[k].append(g)
    blocks = []
    for k, x in enumerate(xs):
        shape = tuple(o.shape) + tuple(x.shape)
        # an output with no elements has an empty block: zeros of that shape
        blocks.append(_stack(rows[k]).reshape(shape) if rows[k] else _filled(shape, x, 0))
    return blocks


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), vᵀ·J): the vector-Jacobian product (one backward pass)."""
    inputs, is_tuple = _tuple(inputs)
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        outs, out_tuple = _tuple(func(*xs))
        if v is None and any(o.numel() != 1 for o in outs):
            raise RuntimeError(
                "The vector v can only be None if the user-provided function "
                "returns a single Tensor with a single element."
            )
        vs = None if v is None else _tuple(v)[0]
        _check_outputs_require_grad(outs, strict)
        grads = _grad(outs, xs, vs, create_graph=create_graph, allow_unused=True)
    grads = _zeros_if_none(grads, xs, strict, "back")
    outs = tuple(o if create_graph else o.detach() for o in outs)
    return (outs if out_tuple else outs[0]), (grads if is_tuple else grads[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J·v): the Jacobian-vector product, by the double-vjp trick.

    With g(u) = Jᵀu (a vjp), J·v = ∂(g(u)·v)/∂u, so two reverse passes give a forward product.
    """
    inputs, is_tuple = _tuple(inputs)
    with enable_grad():
        xs = _prepare(inputs, True)
        outs, out_tuple = _tuple(func(*xs))
        if v is None:
            if any(x.numel() != 1 for x in inputs):
                raise RuntimeError(
                    "The vector v can only be None if the input to the "
                    "user-provided function is a single Tensor with a single "
                    "element."
                )
            vs = tuple(_filled(x._data.shape, x, 1) for x in xs)
        else:
            vs = _tuple(v)[0]
        _check_outputs_require_grad(outs, strict)
        us = tuple(_filled(o._data.shape, o, 0).requires_grad_() for o in outs)
        g = _grad(outs, xs, us, create_graph=True, allow_unused=True)
        g = _zeros_if_none(g, xs, strict, "back")
        pieces = [gi for gi, vi in zip(g, vs) if gi.requires_grad]
        if pieces:
            jv = _grad(
                pieces,
                us,
                [vi for gi, vi in zip(g, vs) if gi.requires_grad],
                create_graph=create_graph,
                allow_unused=True,
            )
        else:
            jv = (None,) * len(us)
    jv = _zeros_if_none(jv, outs, strict, "back_trick")
    outs = tuple(o if create_graph else o.detach() for o in outs)
    jv = tuple(j if create_graph else j.detach() for j in jv)
    return (outs if out_tuple else outs[0]), (jv if out_tuple else jv[0])


def jacobian(
    func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"
):
    """∂func/∂inputs with shape output.shape + input.shape (nested tuples for tuple args)."""
    inputs, is_tuple = _tuple(inputs)
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        outs, out_tuple = _tuple(func(*xs))
        _check_outputs_require_grad(outs, strict)

        def row_grads(element):
            """∂element/∂x for every x of xs (zeros where unused, an error if strict)."""
            gs = (None,) * len(xs)  # an output computed without the inputs: no graph to walk
            if element.requires_grad:
                gs = _grad(
                    [element], xs, retain_graph=True, create_graph=create_graph, allow_unused=True
                )
            return _zeros_if_none(gs, xs, strict, independent)

        rows = []
        for n, o in enumerate(outs):
            independent = (
                f"Output {n} of the user-provided function is independent of input {{i}}. This "
                "is not allowed in strict mode."
            )
            blocks = _jacobian_blocks(o, xs, row_grads)
            per_input = [jac if create_graph else jac.detach() for jac in blocks]
            rows.append(tuple(per_input) if is_tuple else per_input[0])
    return tuple(rows) if out_tuple else rows[0]


def _stack(tensors):
    """Stack the rows of a Jacobian (keeping their graph when create_graph is on)."""
    return _function._Tensor._stack(tensors)


def hessian(
    func,
    inputs,
    create_graph=False,
    strict=False,
    vectorize=False,
    outer_jacobian_strategy="reverse-mode",
):
    """Second derivatives of a scalar function: the Jacobian of its gradient."""
    inputs, is_tuple = _tuple(inputs)

    def gradient(*xs):
        out = func(*xs)
        if out.numel() != 1:
            raise RuntimeError(
                "The Tensor returned by the function given to hessian should contain a single "
                "element"
            )
        gs = _grad([out.reshape(())], xs, create_graph=True, allow_unused=True)
        return _zeros_if_none(gs, xs, strict, "back")

    if not is_tuple:
        return jacobian(
            lambda x: gradient(x)[0], inputs[0], create_graph=create_graph, strict=strict
        )
    return jacobian(gradient, inputs, create_graph=create_graph, strict=strict)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H·v): Hessian-vector product via a gradient of a gradient."""
    inputs, is_tuple = _tuple(inputs)
    vs = _tuple(v)[0] if v is not None else None
    with enable_grad():
        xs = _prepare(inputs, True)
        out = func(*xs)
        if out.numel() != 1:
            raise RuntimeError("The function given to hvp should return a single element Tensor")
        gs = _grad([out.reshape(())], xs, create_graph=True, allow_unused=True)
        gs = _zeros_if_none(gs, xs, strict, "back")
        if vs is None:
            vs = tuple(_filled(x._data.shape, x, 1) for x in xs)
        # H v = ∂(∇f · v)/∂x
        dot = sum((g * vi).sum() for g, vi in zip(gs, vs) if g.requires_grad)
        if isinstance(dot, int):
            hv = (None,) * len(xs)
        else:
            hv = _grad([dot], xs, create_graph=create_graph, allow_unused=True)
    hv = _zeros_if_none(hv, xs, strict, "double_back")
    out = out if create_graph else out.detach()
    hv = tuple(h if create_graph else h.detach() for h in hv)
    return out, (hv if is_tuple else hv[0])


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), vᵀ·H); equal to hvp for twice-differentiable functions (H symmetric)."""
    return hvp(func, inputs, v, create_graph, strict)
