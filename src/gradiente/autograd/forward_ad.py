"""``torch.autograd.forward_ad``: dual tensors (primal, tangent) and their forward gradients.

The API is PyTorch's: inside ``with dual_level():``, ``make_dual(x, v)`` attaches the tangent
``v`` to ``x``; any computation on the dual tensor is recorded, and ``unpack_dual(y)`` returns
``(primal, tangent)`` with ``tangent = J·v``, the Jacobian of ``y`` with respect to the dual
inputs times their tangents.

How: unlike PyTorch, gradiente has no forward-mode rules. The tangent is computed, exactly,
from the reverse-mode graph recorded between the duals and ``y`` by the double-vjp trick.
With u a dummy cotangent for ``y``, g(u) = Jᵀu is linear in u, so

    J·v = ∂⟨g(u), v⟩/∂u,

one backward pass that records its own graph (``create_graph``) followed by a second one
through that graph. This costs two backward passes per ``unpack_dual`` (true forward mode costs
one extra forward pass in total), needs every op's backward to be differentiable (gradiente's
are), and only sees what the graph recorded: a computation run under ``no_grad`` gives no
tangent here, while PyTorch's forward mode would still carry one. A dual tensor requires grad
(it is what the graph records from), even when its primal did not.

As in PyTorch, only one level exists at a time (nesting raises) and leaving it forgets every
tangent.
"""

from __future__ import annotations

import contextlib
from typing import NamedTuple

from gradiente.autograd import function as _function
from gradiente.autograd.backward import grad as _grad
from gradiente.autograd.engine import topological_order
from gradiente.autograd.grad_mode import enable_grad, grad_state

__all__ = [
    "UnpackedDualTensor",
    "enter_dual_level",
    "exit_dual_level",
    "make_dual",
    "unpack_dual",
    "dual_level",
]

_current_level = -1


class _Dual(NamedTuple):
    """A dual tensor made by ``make_dual`` at the current level."""

    tensor: object  # the dual tensor itself (what the graph records from)
    tangent: object  # the tangent, as given
    tracked: bool  # whether the primal required grad (the dual keeps its backward graph)


_duals: list[_Dual] = []


class UnpackedDualTensor(NamedTuple):
    """What ``unpack_dual`` returns: the primal and the tangent (None: no forward gradient)."""

    primal: object
    tangent: object


# Changes whenever a level ends: a tangent cached on a tensor under another token is stale.
_level_token = [object()]


def enter_dual_level() -> int:
    """Enter a forward-gradient level and return it; only one may exist at a time."""
    global _current_level
    if _current_level >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _current_level += 1
    return _current_level


def exit_dual_level(*, level=None) -> None:
    """Leave the current level; every tangent made in it is forgotten."""
    global _current_level
    if level is None:
        level = _current_level
    if level != _current_level:
        raise RuntimeError(
            "Trying to exit a forward AD level that was not the last one "
            "that was created. This is not supported."
        )
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    _duals.clear()
    _level_token[0] = object()  # the tangents cached on tensors (unpack_dual) are stale now
    _current_level = level - 1


class dual_level(contextlib.ContextDecorator):
    """``with dual_level():`` — the forward-AD level that make_dual/unpack_dual work in."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()
        return False


def make_dual(tensor, tangent, *, level=None):
    """A dual tensor: ``tensor``'s value with ``tangent`` attached (backward differentiable)."""
    if level is None:
        level = _current_level
    if level < 0:
        raise RuntimeError(
            "Trying to create a dual Tensor for forward AD but no level "
            "exists, make sure to enter_dual_level() first."
        )
    if not (tensor.is_floating_point() or tensor.is_complex()):
        raise ValueError(
            f"Expected primal to be floating point or complex, but got: {tensor.dtype}"
        )
    if not (tangent.is_floating_point() or tangent.is_complex()):
        raise ValueError(
            f"Expected tangent to be floating point or complex, but got: {tangent.dtype}"
        )
    if level != _current_level:
        raise RuntimeError("Invalid level given to _make_dual")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {list(tensor.shape)} "
            f"while the given forward gradient is of size {list(tangent.shape)}."
        )
    if _reachable_duals(tensor):
        raise RuntimeError(
            "Making a dual Tensor based on a Tensor that already has a forward gradient at "
            f"the same level {level} is not supported."
        )
    tracked = tensor.requires_grad and grad_state.enabled
    with enable_grad():
        # a view keeps the primal's backward graph; otherwise a fresh leaf to record from
        dual = tensor.view_as(tensor) if tracked else tensor.detach().requires_grad_(True)
    _duals.append(_Dual(dual, tangent, tracked))
    return dual


def unpack_dual(tensor, *, level=None) -> UnpackedDualTensor:
    """(primal, tangent) of ``tensor``: the tangent is J·v over the duals it depends on, by
    the double-vjp trick (module docstring); None when it depends on none."""
    if level is None:
        level = _current_level
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    if not isinstance(tensor, _function._Tensor):
        raise TypeError(
            "_unpack_dual(): argument 'dual' (position 1) must be Tensor, not "
            f"{type(tensor).__name__}"
        )
    for d in _duals:
        if d.tensor is tensor:
            return UnpackedDualTensor(_primal(tensor, d.tracked), d.tangent)
    cached = tensor.__dict__.get("_dual_tangent")
    if cached is not None and cached[0] is _level_token[0] and cached[1] == tensor._version:
        _, _, tracked, tangent = cached  # the same tangent again, as torch keeps it
        return UnpackedDualTensor(_primal(tensor, tracked), tangent)
    duals = _reachable_duals(tensor)
    if not duals:
        return UnpackedDualTensor(tensor, None)
    tracked = any(d.tracked for d in duals) or _reaches_other_leaves(tensor)
    tangent = _tangent(tensor, duals, tracked)
    tensor.__dict__["_dual_tangent"] = (_level_token[0], tensor._version, tracked, tangent)
    return UnpackedDualTensor(_primal(tensor, tracked), tangent)


def _primal(tensor, tracked: bool):
    """The value without its tangent: a view keeping the backward graph when the primals
    required grad, else detached (the graph through the duals is this module's business)."""
    return tensor.view_as(tensor) if tracked else tensor.detach()


def _tangent(y, duals: list, tracked: bool):
    """J·v for output ``y`` by the double-vjp trick: u ↦ g(u) = Jᵀu, then ∂⟨g(u), v⟩/∂u."""
    tangents = [d.tangent.to(d.tensor.dtype) for d in duals]
    keep_graph = grad_state.enabled and (tracked or any(t.requires_grad for t in tangents))
    with enable_grad():
        u = y.detach().new_zeros(tuple(y.shape)).requires_grad_(True)
        g = _grad([y], [d.tensor for d in duals], [u], create_graph=True, allow_unused=True)
        pairs = [(gi, t) for gi, t in zip(g, tangents) if gi is not None and gi.requires_grad]
        if not pairs:  # Jᵀu does not depend on u: the Jacobian is zero
            return y.detach().new_zeros(tuple(y.shape))
        (jv,) = _grad(
            [gi for gi, _ in pairs],
            [u],
            [t for _, t in pairs],
            retain_graph=True,  # y's own nodes are on this path: unpacking y again needs them
            create_graph=keep_graph,
            allow_unused=True,
        )
    if jv is None:
        return y.detach().new_zeros(tuple(y.shape))
    return jv if keep_graph else jv.detach()


def _graph_nodes(tensor) -> list:
    """Every backward node reachable from ``tensor`` (none when it records no graph)."""
    if not tensor.requires_grad:
        return []
    return topological_order([_function._edge_of(tensor)[0]])


def _reachable_duals(tensor) -> list:
    """The duals of the current level whose values ``tensor`` was computed from."""
    if not _duals or not isinstance(tensor, _function._Tensor):
        return []
    nodes = set(_graph_nodes(tensor))
    return [d for d in _duals if _function._edge_of(d.tensor)[0] in nodes]


def _reaches_other_leaves(tensor) -> bool:
    """Whether ``tensor``'s graph reaches a leaf requiring grad other than the duals' own
    (a parameter, say): then its primal requires grad in PyTorch too."""
    own = {id(d.tensor) for d in _duals if not d.tracked}
    for node in _graph_nodes(tensor):
        if isinstance(node, _function.AccumulateGrad) and id(node.variable) not in own:
            return True
    return False
