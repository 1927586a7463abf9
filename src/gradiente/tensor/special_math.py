"""Special functions and exact float helpers as Tensor methods: ``i0``, ``igamma``/``igammac``,
``mvlgamma``, ``frexp``, ``ldexp``, ``nextafter``, ``angle``, ``fmax``/``fmin``; the math on
arrays lives in ``ops/special_more.py``."""

from __future__ import annotations

from gradiente import backend as B
from gradiente.autograd.function import show_as
from gradiente.backend import xp
from gradiente.ops import special_more as SM
from gradiente.tensor.common import _return_types
from gradiente.tensor.factories import as_tensor
from gradiente.tensor.marks import function, inplace
from gradiente.tensor.promotion import _check_tensor_arg, _float_only, _promote
from gradiente.tensor.toplevel import where

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)

_LOG_PI = 1.1447298858494002  # log π


def _incomplete_gamma_operands(x, other, name: str):
    """igamma's operands: Tensors, promoted to one floating dtype (torch has no integer
    kernel)."""
    _check_tensor_arg(other, name)
    a, b = _promote(x, other)
    _float_only(a._data.dtype, f"{name}_cpu")
    return a, b


class SpecialMath:
    """Tensor methods: Bessel I₀, incomplete gamma, multivariate log-gamma and float helpers."""

    @function
    @inplace(function=True)
    def i0(self):
        """Element-wise I₀(x), the modified Bessel function of the first kind of order 0."""
        return SM.I0.apply(self._float())

    @function
    @inplace
    def igamma(self, other):
        """The regularized lower incomplete gamma function P(self, other)."""
        return SM.Igamma.apply(*_incomplete_gamma_operands(self, other, "igamma"))

    @function
    @inplace
    def igammac(self, other):
        """The regularized upper incomplete gamma function Q(self, other) = 1 − P."""
        return SM.Igammac.apply(*_incomplete_gamma_operands(self, other, "igammac"))

    @function
    @inplace
    def mvlgamma(self, p):
        """The multivariate log-gamma function with dimension ``p``:
        log Γ_p(x) = p(p−1)/4 · log π + Σⱼ₌₀..ₚ₋₁ log Γ(x − j/2)."""
        if p < 1:
            raise RuntimeError("p has to be greater than or equal to 1")
        x = self._float()
        shifts = as_tensor([(j - p + 1) / 2 for j in range(p)], dtype=x.dtype)  # −(p−1)/2 .. 0
        return (x.unsqueeze(-1) + shifts).lgamma().sum(-1) + p * (p - 1) * _LOG_PI / 4

    @function
    def frexp(self):
        """self = mantissa · 2^exponent with |mantissa| in [0.5, 1) (0 for 0), exponent int32."""
        if not B.is_float(self._data.dtype):
            raise RuntimeError("torch.frexp() only supports floating-point dtypes")
        exponent = xp.frexp(self._data)[1].astype(xp.int32)
        return _return_types["frexp"](SM.FrexpMantissa.apply(self), Tensor._make(exponent))

    @function
    @inplace(function=True)
    def ldexp(self, other):
        """self · 2^other (torch's composition, so both get gradients)."""
        _check_tensor_arg(other, "ldexp")
        return self * 2.0**other

    @function
    @inplace
    def nextafter(self, other):
        """The next floating-point value after self towards other."""
        _check_tensor_arg(other, "nextafter")
        a, b = _promote(self, other)
        _float_only(a._data.dtype, "nextafter_cpu")
        return SM.NextAfter.apply(a, b)

    @function
    def angle(self):
        """The argument of each element; for real numbers 0 (x ≥ 0) or π (x < 0), NaN kept."""
        return SM.Angle.apply(self._float())

    @function
    def fmax(self, other):
        """Computes the element-wise maximum of self and ``other``."""
        # like maximum, but a nan loses to a number
        _check_tensor_arg(other, "fmax")
        a, b = _promote(self, other)
        b = b if isinstance(b, Tensor) else as_tensor(b, dtype=a.dtype)
        # a where a >= b or b is NaN, else b: torch's backward masks, so a tie sends the whole
        # gradient to a
        return show_as(where((a >= b) | b.isnan(), a, b), "FmaxBackward0", a, b)

    @function
    def fmin(self, other):
        """Computes the element-wise minimum of self and ``other``."""
        _check_tensor_arg(other, "fmin")
        a, b = _promote(self, other)
        b = b if isinstance(b, Tensor) else as_tensor(b, dtype=a.dtype)
        return show_as(where((a <= b) | b.isnan(), a, b), "FminBackward0", a, b)  # as fmax
