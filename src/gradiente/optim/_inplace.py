"""The in-place array operations the update rules are written with.

NumPy versions of torch's ``lerp_``, ``addcmul_`` and ``addcdiv_`` on the raw arrays of a
parameter and its state, with PyTorch's order of operations (so the rounding matches), plus
Adam's two running means. Each takes ``tmp``, a scratch array of the same shape, for its
intermediate result (an update rule reuses one scratch array across several operations).
"""

from __future__ import annotations

from gradiente.backend import xp


def _lerp_(a, b, weight: float, tmp) -> None:
    """a ← a + w (b − a), in place, with PyTorch's two-sided formula (``Tensor.lerp_``).

    For |w| < 0.5 it computes a + w (b − a); otherwise b − (b − a)(1 − w), which is exact at
    w = 1. ``tmp`` is a scratch array of a's shape.
    """
    xp.subtract(b, a, out=tmp)
    if abs(weight) < 0.5:
        tmp *= weight
        a += tmp
    else:
        tmp *= 1.0 - weight
        xp.subtract(b, tmp, out=a)


def _addcmul_(a, t1, t2, value: float, tmp) -> None:
    """a ← a + value · t1 · t2, in place (``Tensor.addcmul_``; ``tmp`` is scratch)."""
    xp.multiply(t1, value, out=tmp)
    tmp *= t2
    a += tmp


def _addcdiv_(a, t1, t2, value: float, tmp) -> None:
    """a ← a + value · t1 / t2, in place (``Tensor.addcdiv_``; ``tmp`` is scratch)."""
    xp.multiply(t1, value, out=tmp)
    tmp /= t2
    a += tmp


def _update_moments(m, v, g, beta1: float, beta2: float, tmp) -> None:
    """Adam's running means, in place: m ← β1 m + (1 − β1) g and v ← β2 v + (1 − β2) g²."""
    _lerp_(m, g, 1 - beta1, tmp)
    v *= beta2
    _addcmul_(v, g, g, 1 - beta2, tmp)
