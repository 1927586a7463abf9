"""Rounding division and remainders, with PyTorch's semantics (which differ from NumPy's at
signed zeros and infinities).

``remainder`` is floored (the result has the divisor's sign), ``fmod`` truncated (the
dividend's); ``floor_divide`` and ``div(rounding_mode="floor")`` go through fmod so that the
quotient and the remainder agree, as in CPython and PyTorch.
"""

from __future__ import annotations

from gradiente.backend import as_array, device_array, xp
from gradiente.ops.array_function import ArrayFunction


def _arr(x):
    return x._data if hasattr(x, "_data") else x


def floored_remainder(a, b):
    """PyTorch's ``remainder`` on arrays: fmod, moved by ``b`` when its sign differs from b's.

    Unlike NumPy's ``mod``, an exact multiple keeps fmod's zero, whose sign is a's
    (``-4.0 % 2.0`` is ``-0.0``).
    """
    if as_array(a).dtype.kind != "f" and as_array(b).dtype.kind != "f":
        return xp.mod(a, b)
    m = xp.fmod(a, b)
    return xp.where((m != 0) & (_is_negative(b) != (m < 0)), m + b, m)


def _is_negative(b):
    """``b < 0``: an array on b's device for an array, a Python bool for a number (a NumPy
    bool scalar beside a CUDA array would be turned into a host array)."""
    if isinstance(b, (int, float, xp.generic)):
        return bool(b < 0)
    return b < 0


def floored_divide(a, b):
    """PyTorch's ``floor_divide`` on arrays. Integers: NumPy's exact floor division. Floats:
    PyTorch's (and CPython's) recipe, which goes through fmod so that the quotient is
    consistent with ``remainder`` — it differs from NumPy's at infinities (inf // 2 is nan).
    """
    if as_array(a).dtype.kind != "f" and as_array(b).dtype.kind != "f":
        return xp.floor_divide(a, b)
    a = as_array(a)
    if not hasattr(b, "dtype") or not hasattr(b, "shape"):
        b = device_array(a, b, dtype=a.dtype)  # a scalar: a's dtype, on a's device
    mod = xp.fmod(a, b)
    div = (a - mod) / b
    div = xp.where((mod != 0) & ((b < 0) != (mod < 0)), div - 1, div)
    floor = xp.floor(div)
    floor = xp.where(div - floor > 0.5, floor + 1, floor)
    out = xp.where(div != 0, floor, xp.copysign(xp.zeros_like(div), a / b))
    return xp.where(b == 0, a / b, out)  # division by zero: the IEEE result


class FlooredDivide(ArrayFunction):
    """``div(a, b, rounding_mode="floor")`` on floats (or ``"trunc"``, its quotient computed
    by the caller and passed as ``result``): flat almost everywhere, so both gradients are
    zero, whatever the upstream gradient (PyTorch's DivBackward2: ``zeros_like(grad)``)."""

    _torch_layout = True  # torch's memory order for its result (autograd.function)

    backward_name = "DivBackward2"

    @staticmethod
    def forward(ctx, a, b, result=None):
        return floored_divide(a._data, b._data) if result is None else result

    @staticmethod
    def backward(ctx, grad):
        return grad.new_zeros(grad.shape), grad.new_zeros(grad.shape), None


class Remainder(ArrayFunction):
    """a mod b: ``remainder`` (floored, sign of b) or ``fmod`` (truncated, sign of a)."""

    _torch_layout = True  # torch's memory order for its result (autograd.function)

    backward_name = "RemainderBackward0"

    def name(self) -> str:
        return "FmodBackward0" if self.mod is xp.fmod else "RemainderBackward0"

    @staticmethod
    def forward(ctx, a, b, mod, rounding):
        ctx.mod, ctx.rounding = mod, rounding
        ctx.save_for_backward(a, b)
        return as_array(mod(_arr(a), _arr(b)))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        # a mod b = a − b·q with q = floor(a/b) (or trunc), flat almost everywhere:
        # ∂/∂a = 1, ∂/∂b = −q
        grad_b = None
        if ctx.needs_input_grad[1]:
            # torch's div(rounding_mode="floor") for remainder (through fmod: 2 // -inf is -1)
            x, y = a._data, b._data
            q = floored_divide(x, y) if ctx.rounding is xp.floor else ctx.rounding(x / y)
            grad_b = -grad * type(grad)._make(q)
        return grad, grad_b, None, None
