"""ArrayFunction: the base of gradiente's own ops, a Function whose forward works on arrays.

A user's ``autograd.Function`` (PyTorch's style) gets tensors in ``forward``, computed with
grad mode off, and returns tensors. The ops of this package skip that wrapping: ``forward``
reads its inputs' arrays (``x._data``) and returns an array, or a tuple of arrays, which
``apply`` wraps into the output tensors; one wrapper less per op call. ``backward`` is the
same for both: Tensor operations, so that gradients of gradients work.
"""

from __future__ import annotations

from gradiente.autograd.function import Function


class ArrayFunction(Function):
    """A Function whose ``forward(ctx, *inputs)`` computes on arrays and returns arrays."""

    _array_forward = True


class PassGrad(ArrayFunction):
    """An op ``y = f(x, arg)`` whose gradient is dL/dy itself (none for ``arg``): it changes
    only what the engine undoes on the way back, the shape (``expand``: the gradient is
    summed over the broadcast axes) or the dtype (``to``: it is cast back)."""

    @staticmethod
    def backward(ctx, grad):
        return grad, None


def renamed(base: type, name: str, backward_name: str, doc: str | None = None) -> type:
    """A subclass ``name`` of the op ``base`` that computes the same and only names its graph
    node otherwise (``backward_name``, torch's name for the op that uses it: ``MaxDim`` is a
    ``GatherAlongDim`` named ``MaxBackward0``). One row instead of a class statement each."""
    namespace = {"backward_name": backward_name, "__doc__": doc, "__module__": base.__module__}
    return type(name, (base,), namespace)
