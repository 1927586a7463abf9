"""torch.special's functions with a removable singularity: sinc, entr and xlog1py.

Each is defined at its awkward point by a limit (sinc(0) = 1, entr(0) = 0, xlog1py(0, y) = 0),
and PyTorch gives each a backward formula of its own rather than differentiating the masked
expression. Composing them from Tensor ops (``sin(πx)/(πx)`` with the 0 filled in) would give
the right values but a NaN gradient at the singular point (0 · ∞ inside the quotient's
backward); so each is one op here, with PyTorch's derivative:

    sinc'(x)        = (πx cos πx − sin πx) / (πx²),   0 at x = 0
    entr'(x)        = −(1 + ln x)                      (+∞ at 0, NaN for x < 0)
    ∂xlog1py/∂x     = log1p(y)      (also where x = 0, but 0 there for y ≤ −1; 0 for dy = 0)
    ∂xlog1py/∂y     = x / (1 + y)
"""

from __future__ import annotations

import math

from gradiente.backend import xp
from gradiente.ops.array_function import ArrayFunction
from gradiente.ops.unary import unary


def _sinc(x):
    px = math.pi * xp.where(x == 0, 1, x)  # no 0/0 where the limit is taken
    return xp.where(x == 0, 1, xp.sin(px) / px).astype(x.dtype, copy=False)


def _sinc_derivative(x, y, g):
    at_zero = x == 0
    xs = x.masked_fill(at_zero, 1.0)  # a constant there: no 0 · ∞ when differentiated again
    px = xs * math.pi
    return g * ((px * px.cos() - px.sin()) / (px * xs)).masked_fill(at_zero, 0.0)


def _entr(x):
    with xp.errstate(divide="ignore", invalid="ignore"):
        inside = -x * xp.log(xp.where(x > 0, x, 1))
    out = xp.where(x > 0, inside, xp.where(x == 0, 0, -xp.inf))
    return xp.where(xp.isnan(x), x, out).astype(x.dtype, copy=False)


Sinc = unary("Sinc", _sinc, _sinc_derivative, doc="sin(πx)/(πx), 1 at x = 0.")
Entr = unary(
    "Entr",
    _entr,
    lambda x, y, g: g * -(1.0 + x.log()),  # PyTorch's: −(1 + ln x), even at x ≤ 0
    doc="−x·ln x for x > 0, 0 at 0, −∞ for x < 0.",
)


class Xlog1py(ArrayFunction):
    """x·log1p(y), 0 where x == 0 unless y is NaN (torch.special.xlog1py)."""

    backward_name = "SpecialXlog1PyBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        x, y = a._data, b._data
        with xp.errstate(divide="ignore", invalid="ignore"):
            out = xp.where(x == 0, 0, x * xp.log1p(y)).astype(x.dtype, copy=False)
        return xp.where(xp.isnan(y), y, out)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = None
        if ctx.needs_input_grad[0]:  # torch's: xlog1py(grad, y), 0 where x = 0 and y ≤ −1
            undefined = type(a)._make((a._data == 0) & (b._data <= -1))
            grad_a = Xlog1py.apply(grad, b).masked_fill(undefined, 0.0)
        grad_b = grad * a / (b + 1.0) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b
