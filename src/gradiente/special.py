"""``torch.special``: named special functions (the ones gradiente can compute exactly)."""

from __future__ import annotations

from gradiente._generated_functions import (  # noqa: F401 (re-exported as torch.special's)
    erf,
    erfc,
    erfinv,
    exp2,
    expm1,
    log1p,
    log_softmax,
    logit,
    logsumexp,
    round,
    softmax,
    xlogy,
)
from gradiente.ops.special_functions import Entr, Sinc, Xlog1py
from gradiente.tensor import Tensor, as_tensor
from gradiente.tensor.promotion import _promote_float

# The special functions that are plain forms of Tensor methods (``special.erf(x)`` is
# ``x.erf()``) are gradiente's own function forms, imported above; the others follow.


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else as_tensor(x)


def expit(input):
    """The logistic sigmoid 1 / (1 + e^(−x))."""
    return _t(input).sigmoid()


def xlog1py(input, other):
    """x·log(1 + y), 0 where x == 0 (unless y is NaN)."""
    a, b = _promote_float(_t(input), other)
    b = b if isinstance(b, Tensor) else as_tensor(b, dtype=a.dtype)
    return Xlog1py.apply(a, b)


def entr(input):
    """The entropy term −x·ln(x) for x > 0, 0 at 0, −inf for x < 0."""
    return Entr.apply(_t(input)._float())


def sinc(input):
    """The normalized sinc sin(πx) / (πx), 1 at 0."""
    return Sinc.apply(_t(input)._float())


def ndtr(input):
    """The standard normal CDF Φ(x) = (1 + erf(x/√2)) / 2."""
    return 0.5 * (1.0 + (_t(input)._float() * 0.7071067811865476).erf())


def ndtri(input):
    """The inverse of Φ: √2 · erfinv(2p − 1)."""
    return 1.4142135623730951 * (2.0 * _t(input)._float() - 1.0).erfinv()


def log_ndtr(input):
    return ndtr(input).log()
