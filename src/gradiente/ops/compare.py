"""Comparisons, logical and bitwise ops on arrays: results that carry no gradient.

A comparison (``==``, ``<``, ...) or a logical op gives a bool array; a bitwise op (``&``,
``|``, ``^``, ``<<``, ``>>``) keeps the integer dtype (for bools it is the logical op). None of
them is differentiable, so the Tensor methods wrap these arrays in tensors without a graph node.
"""

from __future__ import annotations

from gradiente.backend import as_array, xp


def elementwise(fn, a, b):
    """``fn(a, b)`` (a NumPy ufunc such as ``xp.less``) as an array: NumPy answers a scalar for
    two 0-d operands, a tensor needs a 0-d array."""
    return as_array(fn(a, b))


def isclose(a, b, rtol: float, atol: float, equal_nan: bool):
    """Element-wise ``|a − b| <= atol + rtol·|b|`` (not symmetric: the tolerance scales with b);
    infinities are close only to themselves, NaN to NaN only with ``equal_nan``."""
    return as_array(xp.isclose(a, b, rtol, atol, equal_nan))


def allclose(a, b, rtol: float, atol: float, equal_nan: bool) -> bool:
    """``isclose`` everywhere (a Python bool)."""
    return bool(xp.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(a, b) -> bool:
    """Same shape and the same elements (a Python bool; NaN is never equal to NaN)."""
    return a.shape == b.shape and bool(xp.array_equal(a, b))
