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
