"""``torch.special``: named special functions (the ones gradiente can compute exactly)."""

from __future__ import annotations

import math

from gradiente import backend as B
from gradiente._generated_functions import digamma as _digamma
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
from gradiente._generated_functions import lgamma as _lgamma
from gradiente.autograd.grad_mode import no_grad
from gradiente.ops.special_functions import Entr, Sinc, Xlog1py
from gradiente.ops.special_more import I1, Erfcx, I0e, I1e, Zeta
from gradiente.ops.unary import unary
from gradiente.special_bessel import (  # noqa: F401 (re-exported as torch.special's)
    airy_ai,
    bessel_j0,
    bessel_j1,
    bessel_y0,
    bessel_y1,
    modified_bessel_i0,
    modified_bessel_i1,
    modified_bessel_k0,
    modified_bessel_k1,
    scaled_modified_bessel_k0,
    scaled_modified_bessel_k1,
    spherical_bessel_j0,
)
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
    """The standard normal CDF Φ(x) = (1 + erf(x/√2)) / 2 (torch's formula: 0 far in the left
    tail; ``log_ndtr`` is the accurate one there)."""
    return 0.5 * (1.0 + (_t(input)._float() * 0.7071067811865476).erf())


def _ndtri_values(p):
    """Φ⁻¹ of the array ``p``: √2 · erfinv(2p − 1), computed in float64 (in float32, 2p − 1
    rounds to −1 for p below about 3e-8, which would give −inf), then rounded to p's dtype."""
    with no_grad():
        t = Tensor._make(p)
        y = (1.4142135623730951 * (2.0 * t.double() - 1.0).erfinv()).to(t.dtype)._data
    # outside [0, 1] it is NaN, as Cephes' ndtri says first (a tiny negative p would otherwise
    # round 2p − 1 to −1 and give −inf)
    m = B.get_array_module(p)
    return m.where((p < 0) | (p > 1), m.asarray(m.nan, dtype=y.dtype), y)


def _log_ndtr_values(x):
    """log Φ of the array ``x``: for x < −1, log(erfcx(−x/√2) / 2) − x²/2, which stays finite
    where Φ underflows; elsewhere log1p(−erfc(x/√2) / 2)."""
    with no_grad():
        x = Tensor._make(x)
        left = (erfcx(x * -0.7071067811865476) * 0.5).log() - x * x * 0.5
        right = (-0.5 * (x * 0.7071067811865476).erfc()).log1p()
        return left.where(x < -1, right)._data


_SQRT_2PI = math.sqrt(2 * math.pi)
# One op each, with torch's derivatives and saved tensors (so that modifying the result in place
# makes backward refuse, as in torch):  d/dp Φ⁻¹(p) = √(2π) · e^(y²/2)  (y = Φ⁻¹(p), saved);
# d/dx log Φ(x) = e^(−(y + x²/2)) / √(2π)  (x and y = log Φ(x) saved).
Ndtri = unary(
    "SpecialNdtri",
    _ndtri_values,
    lambda x, y, g: g * _SQRT_2PI * (y.square() / 2).exp(),
    saves="output",
    doc="The inverse of the standard normal CDF.",
)
LogNdtr = unary(
    "SpecialLogNdtr",
    _log_ndtr_values,
    lambda x, y, g: g / _SQRT_2PI * (y + x.pow(2) / 2).neg().exp(),
    saves="both",
    doc="The log of the standard normal CDF.",
)


def ndtri(input):
    """The inverse of Φ (see ``_ndtri_values``)."""
    return Ndtri.apply(_t(input)._float())


def log_ndtr(input):
    """log Φ(x) (see ``_log_ndtr_values``), accurate far in the left tail."""
    return LogNdtr.apply(_t(input)._float())


# Bessel functions, erfcx, the incomplete gamma functions and Hurwitz's zeta
# (ops/special_more.py); i0, lgamma, digamma, polygamma are the Tensor methods' function forms.
gammaln = _lgamma
digamma = psi = _digamma


def polygamma(n, input):
    """ψ⁽ⁿ⁾(input), the n-th derivative of the digamma function."""
    return _t(input).polygamma(n)


def i0(input):
    """The modified Bessel function of the first kind of order 0, I₀(x) (``torch.i0``)."""
    return _t(input).i0()


def i0e(input):
    """The exponentially scaled modified Bessel function of order 0: e^(−|x|)·I₀(x)."""
    return I0e.apply(_t(input)._float())


def i1(input):
    """The modified Bessel function of the first kind of order 1, I₁(x)."""
    return I1.apply(_t(input)._float())


def i1e(input):
    """The exponentially scaled modified Bessel function of order 1: e^(−|x|)·I₁(x)."""
    return I1e.apply(_t(input)._float())


def erfcx(input):
    """The scaled complementary error function e^(x²)·erfc(x), accurate where erfc underflows."""
    return Erfcx.apply(_t(input)._float())


def gammainc(input, other):
    """The regularized lower incomplete gamma function P(input, other) (``torch.igamma``)."""
    return _t(input).igamma(other)


def gammaincc(input, other):
    """The regularized upper incomplete gamma function Q(input, other) (``torch.igammac``)."""
    return _t(input).igammac(other)


def multigammaln(input, p):
    """The multivariate log-gamma function (``torch.mvlgamma``)."""
    return _t(input).mvlgamma(p)


def zeta(input, other):
    """Hurwitz's zeta function ζ(input, other) = Σₖ (other + k)^(−input); either may be a
    number. Differentiable in ``other`` only, as in torch."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("special_zeta(): expected at least one Tensor argument")
    if isinstance(input, Tensor):
        s, q = _promote_float(input, other)
        q = q if isinstance(q, Tensor) else as_tensor(q, dtype=s.dtype)
    else:
        q, s = _promote_float(other, input)
        s = as_tensor(s, dtype=q.dtype)
    return Zeta.apply(s, q)
