"""``torch.special``: named special functions (the ones gradiente can compute exactly)."""

from __future__ import annotations

from gradiente.tensor import Tensor, as_tensor


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else as_tensor(x)


def expit(input):
    """The logistic sigmoid 1 / (1 + e^(−x))."""
    return _t(input).sigmoid()


def logit(input, eps=None):
    return _t(input).logit(eps)


def erf(input):
    return _t(input).erf()


def erfc(input):
    return _t(input).erfc()


def erfinv(input):
    return _t(input).erfinv()


def exp2(input):
    return _t(input).exp2()


def expm1(input):
    return _t(input).expm1()


def log1p(input):
    return _t(input).log1p()


def logsumexp(input, dim, keepdim=False):
    return _t(input).logsumexp(dim, keepdim)


def softmax(input, dim, dtype=None):
    return _t(input).softmax(dim, dtype)


def log_softmax(input, dim, dtype=None):
    return _t(input).log_softmax(dim, dtype)


def xlogy(input, other):
    return _t(input).xlogy(other)


def xlog1py(input, other):
    # x·log(1 + y), 0 where x == 0
    x = _t(input)._float()
    return (x * _t(other).log1p()).masked_fill(x == 0, 0.0)


def entr(input):
    # −x·ln(x) for x > 0, 0 at 0, −inf for x < 0
    x = _t(input)._float()
    out = (-x * x.log()).masked_fill(x == 0, 0.0)
    return out.masked_fill(x < 0, float("-inf"))


def sinc(input):
    # sin(πx) / (πx), 1 at 0
    x = _t(input)._float()
    px = x * 3.141592653589793
    return (px.sin() / px).masked_fill(x == 0, 1.0)


def ndtr(input):
    """The standard normal CDF Φ(x) = (1 + erf(x/√2)) / 2."""
    return 0.5 * (1.0 + (_t(input)._float() * 0.7071067811865476).erf())


def ndtri(input):
    """The inverse of Φ: √2 · erfinv(2p − 1)."""
    return 1.4142135623730951 * (2.0 * _t(input)._float() - 1.0).erfinv()


def log_ndtr(input):
    return ndtr(input).log()


def round(input, decimals=0):  # noqa: A001 (PyTorch's name)
    return _t(input).round(decimals=decimals)
