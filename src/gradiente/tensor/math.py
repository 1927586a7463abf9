"""Arithmetic operators and element-wise math (``exp``, ``sin``, ``clamp``, ``lerp``, ...)."""

from __future__ import annotations

import numbers

from gradiente import backend as B
from gradiente.backend import xp
from gradiente.ops import activation as A
from gradiente.ops import division as D
from gradiente.ops import elementwise as E
from gradiente.ops.special_functions import Sinc
from gradiente.tensor.common import _check_broadcast, _dim, _scalar_type_name
from gradiente.tensor.factories import as_tensor
from gradiente.tensor.indexing import _as_bool_mask
from gradiente.tensor.marks import function, inplace
from gradiente.tensor.promotion import (
    _binary,
    _check_bool_subtraction,
    _check_integer_divisor,
    _check_lerp_dtypes,
    _check_not_bool,
    _check_tensor_arg,
    _float_only,
    _float_only_not_bool,
    _promote,
    _promote_float,
    _refuse_backward_with_bool,
    _rounded_divide,
    _scalar_like,
    _true_divide,
)
from gradiente.tensor.toplevel import matmul, maximum, minimum, where

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)


# The docstrings of the methods that the rows of the table-made families below define.
_DOCS = {
    "exp": "A new tensor with the exponential of the elements of the input tensor self.",
    "log": "A new tensor with the natural logarithm of the elements of self.",
    "log1p": "A new tensor with the natural logarithm of (1 + self).",
    "log2": "A new tensor with the logarithm to the base 2 of the elements of self.",
    "log10": "A new tensor with the logarithm to the base 10 of the elements of self.",
    "expm1": "Element-wise ``exp(x) - 1``, accurate near zero.",
    "sqrt": "A new tensor with the square-root of the elements of self.",
    "rsqrt": "Element-wise ``1 / sqrt(x)``.",
    "sin": "Element-wise sine (radians).",
    "cos": "Element-wise cosine (radians).",
    "tanh": "A new tensor with the hyperbolic tangent of the elements of self.",
    "sigmoid": "Element-wise logistic sigmoid ``1 / (1 + exp(-x))``.",
    "reciprocal": "Element-wise ``1 / x``.",
    "erf": "Element-wise error function.",
    "erfinv": "Element-wise inverse error function.",
    "lgamma": "Element-wise log |Γ(x)|, the logarithm of the gamma function's magnitude.",
    "digamma": "Element-wise ψ(x) = d log Γ(x)/dx.",
    "tan": "Element-wise tangent (radians).",
    "asin": "Element-wise arcsine (radians).",
    "acos": "A new tensor with the arccosine (in radians) of each element in self.",
    "atan": "Element-wise arctangent (radians).",
    "sinh": "A new tensor with the hyperbolic sine of the elements of self.",
    "cosh": "A new tensor with the hyperbolic cosine of the elements of self.",
    "asinh": "Element-wise inverse hyperbolic sine.",
    "acosh": "A new tensor with the inverse hyperbolic cosine of the elements of self.",
    "atanh": "A new tensor with the inverse hyperbolic tangent of the elements of self.",
    "floor": "Element-wise floor: the largest integer <= x.",
    "ceil": "Element-wise ceiling: the smallest integer >= x.",
    "trunc": "A new tensor with the truncated integer values of the elements of self.",
}


def _table_method(name: str, method):
    """``method`` named ``name`` as a method of ``Math``, with its docstring from ``_DOCS``."""
    method.__name__ = name
    method.__qualname__ = f"Math.{name}"
    method.__doc__ = _DOCS[name]
    return method


def _float_unary(name: str, op):
    """The method ``x.<name>()``: the op ``op`` of x, cast first to the default dtype when x
    is an integer or bool tensor (torch's promotion for exp, log, sin, ...)."""

    def method(self):
        a = self if B.is_float(self._data.dtype) else self.to(B.get_default_dtype())
        return op.apply(a)

    return _table_method(name, method)


def _rounding(name: str, round_array):
    """The method ``x.<name>()`` of a rounding function ``round_array`` of arrays: refused for
    bool tensors as torch refuses it; its gradient is zero (``PiecewiseConstant``)."""
    kernel = f"{name}_cpu"  # the name in torch's message for a bool tensor

    def method(self):
        _check_not_bool(self, kernel)
        return E.PiecewiseConstant.apply(self, name, round_array)

    return _table_method(name, method)


def _division_operands(x, other, kernel: str):
    """x and other promoted to one dtype for floor_divide, remainder and fmod, refused as
    torch refuses them: bool operands (``kernel`` is the name in torch's message) and an
    integer division by zero."""
    a, b = _promote(x, other)
    _float_only_not_bool(a, kernel)
    _check_integer_divisor(a, b)
    return a, b


def _integer_only(x, other, name: str):
    """gcd or lcm (``name``, the array module's function) of two integer tensors, promoted
    to one dtype; integers carry no gradient."""
    _check_tensor_arg(other, name)
    a, b = _promote(x, other)
    if a._data.dtype.kind not in "iu":
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_scalar_type_name(a)}'")
    _check_broadcast(a._data.shape, b._data.shape)
    m = B.get_array_module(a._data)
    return Tensor._make(B.as_array(getattr(m, name)(a._data, b._data)), False, None)


class Math:
    """Tensor methods: arithmetic operators and element-wise math."""

    __slots__ = ()

    @function
    def add(self, other, alpha=1):
        """Adds ``other``, scaled by ``alpha``, to self."""
        if alpha != 1:
            other = other * alpha
        return _binary(E.Add, self, other)

    @function
    @inplace
    def sub(self, other, alpha=1):
        """Subtracts ``other``, scaled by ``alpha``, from self."""
        _check_bool_subtraction(self, other)
        if alpha != 1:
            other = other * alpha
        return _binary(E.Sub, self, other)

    @function
    @inplace
    def mul(self, other):
        """Multiplies self by ``other``."""
        return _binary(E.Mul, self, other)

    @function
    @inplace
    def div(self, other, rounding_mode=None):
        """Divides each element of the input self by the corresponding element of ``other``."""
        if rounding_mode is None:
            return _true_divide(self, other)
        if rounding_mode in ("floor", "trunc"):
            return _rounded_divide(self, other, rounding_mode)
        raise ValueError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
            f"but found '{rounding_mode}'"
        )

    true_divide = divide = div

    multiply = mul

    subtract = sub

    @function
    @inplace
    def floor_divide(self, other):
        """floor(self / other); recorded without a derivative, as in PyTorch."""
        a, b = _division_operands(self, other, "div_floor_cpu")
        return E.NotDifferentiable.apply(a, b, "floor_divide", D.floored_divide)

    @function
    @inplace
    def remainder(self, other):
        """Python's modulo: the result has the sign of ``other``."""
        a, b = _division_operands(self, other, "remainder_cpu")
        return D.Remainder.apply(a, b, D.floored_remainder, xp.floor)

    @function
    @inplace
    def fmod(self, other):
        """C's modulo: the result has the sign of ``self``."""
        a, b = _division_operands(self, other, "fmod_cpu")
        return D.Remainder.apply(a, b, xp.fmod, xp.trunc)

    @function
    @inplace(function=True)
    def gcd(self, other):
        """The greatest common divisor of each pair of integers (non-negative; gcd(0, 0) = 0)."""
        return _integer_only(self, other, "gcd")

    @function
    @inplace(function=True)
    def lcm(self, other):
        """The least common multiple of each pair of integers (non-negative)."""
        return _integer_only(self, other, "lcm")

    def pow(self, exponent):
        """Element-wise ``self ** exponent``."""
        exponent = exponent.item() if isinstance(exponent, xp.generic) else exponent
        kind = "f" if B.is_float(self._data.dtype) else self._data.dtype.kind
        if isinstance(exponent, Tensor):
            bool_exponent = exponent._data.dtype.kind == "b"
            as_number = exponent.ndim == 0 and not exponent._requires_grad and kind == "f"
            if as_number and self.ndim == 0 and exponent._data.dtype != self._data.dtype:
                # two 0-d tensors promote by dtype (float32 ** float64 is float64), unlike a
                # 0-d exponent of a tensor with dimensions, which counts as a Python number
                as_number = _promote(self, exponent)[0]._data.dtype == self._data.dtype
            if as_number:
                if bool_exponent:
                    return _refuse_backward_with_bool(self.pow(exponent.item()), exponent)
                exponent = exponent.item()
            else:
                a, b = _promote(self, exponent)
                if a._data.dtype.kind == "b":
                    raise NotImplementedError("\"pow\" not implemented for 'Bool'")
                return _refuse_backward_with_bool(E.Pow.apply(a, b), exponent)
        if not isinstance(exponent, numbers.Number):
            raise TypeError(f"pow(): unsupported exponent type {type(exponent).__name__}")
        a = self
        if kind == "b" and isinstance(exponent, bool):
            # bool ** True is x, bool ** False is all True (torch keeps the bool dtype)
            return E.PowScalar.apply(a.to(B.int64), int(exponent)).to(B.bool_)
        if isinstance(exponent, float) and kind != "f":
            a = a.to(B.get_default_dtype())
        elif kind == "b":
            a = a.to(B.int64)  # bool ** int is int64 in torch (NumPy would give int8)
        return E.PowScalar.apply(a, exponent)

    def __add__(self, other):
        return _binary(E.Add, self, other)

    __radd__ = __add__  # other + self: addition commutes

    def __sub__(self, other):
        _check_bool_subtraction(self, other)
        return _binary(E.Sub, self, other)

    def __rsub__(self, other):
        _check_bool_subtraction(self, other)
        a, b = _promote(self, other)
        return E.RSub.apply(a, b)

    def __mul__(self, other):
        return _binary(E.Mul, self, other)

    __rmul__ = __mul__  # other * self: multiplication commutes

    def __truediv__(self, other):
        return _true_divide(self, other)

    def __rtruediv__(self, other):
        a = self if B.is_float(self._data.dtype) else self.to(B.get_default_dtype())
        a, b = _promote(a, other)
        return E.RDiv.apply(a, b)

    def __floordiv__(self, other):
        return self.floor_divide(other)

    def __rfloordiv__(self, other):
        return _scalar_like(other, self).floor_divide(self)

    def __mod__(self, other):
        return self.remainder(other)

    def __ifloordiv__(self, other):
        if isinstance(other, xp.ndarray):
            return NotImplemented  # as torch: Python then computes ``self // other``
        return self.floor_divide_(other)

    def __imod__(self, other):
        if isinstance(other, xp.ndarray):
            return NotImplemented  # as torch: Python then computes ``self % other``
        return self.remainder_(other)

    def __rmod__(self, other):
        a, b = _division_operands(_scalar_like(other, self), self, "remainder_cpu")
        # torch has no derivative for number % tensor: recorded, and backward raises
        return E.NotDifferentiable.apply(a, b, "remainder", D.floored_remainder)

    def __contains__(self, element):
        if isinstance(element, (Tensor, numbers.Number)):
            return bool((self == element).any())
        raise RuntimeError(
            "Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
            f"{type(element)}."
        )

    def __reversed__(self):
        return self if self.ndim == 0 else self.flip(0)

    def __pow__(self, exponent):
        if isinstance(exponent, xp.ndarray):  # NumPy's operand, as for ``t + array``
            a, b = _promote(self, exponent)
            return a.pow(b)
        return self.pow(exponent)

    def __rpow__(self, base):
        if isinstance(base, numbers.Number):
            if self._data.dtype.kind == "b":
                if isinstance(base, bool):
                    raise NotImplementedError("\"pow\" not implemented for 'Bool'")
                if isinstance(base, int):
                    return E.RPowScalar.apply(self.to(B.int64), base)
            a = (
                self
                if B.is_float(self._data.dtype) or isinstance(base, int)
                else self.to(B.get_default_dtype())
            )
            return E.RPowScalar.apply(a, base)
        return as_tensor(base).pow(self)

    @function
    @inplace(function=True)
    def __neg__(self):
        """Element-wise ``-x``."""
        return E.Neg.apply(self)

    neg = negative = __neg__

    def __pos__(self):
        return self

    def __abs__(self):
        return E.Abs.apply(self)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(as_tensor(other), self)

    # exp, log, sin, ...: element-wise functions of floats, one row each (see _float_unary)
    exp = function(_float_unary("exp", E.Exp))
    log = function(_float_unary("log", E.Log))
    log1p = function(inplace(function=True)(_float_unary("log1p", E.Log1p)))
    log2 = function(inplace(function=True)(_float_unary("log2", E.Log2)))
    log10 = function(inplace(function=True)(_float_unary("log10", E.Log10)))
    expm1 = function(inplace(function=True)(_float_unary("expm1", E.Expm1)))
    sqrt = function(_float_unary("sqrt", E.Sqrt))
    rsqrt = function(inplace(function=True)(_float_unary("rsqrt", E.Rsqrt)))
    sin = function(inplace(function=True)(_float_unary("sin", E.Sin)))
    cos = function(inplace(function=True)(_float_unary("cos", E.Cos)))
    tanh = function(_float_unary("tanh", E.Tanh))
    sigmoid = function(_float_unary("sigmoid", E.Sigmoid))
    reciprocal = function(inplace(function=True)(_float_unary("reciprocal", E.Reciprocal)))
    erf = function(inplace(function=True)(_float_unary("erf", A.Erf)))

    @function
    @inplace(function=True)
    def erfc(self):
        """Element-wise complementary error function ``1 - erf(x)``, accurate in the tails."""
        return A.Erfc.apply(self)

    erfinv = function(inplace(_float_unary("erfinv", E.Erfinv)))
    lgamma = function(inplace(_float_unary("lgamma", E.Lgamma)))
    digamma = function(inplace(_float_unary("digamma", E.Digamma)))

    @function
    @inplace
    def polygamma(self, n):
        """ψ⁽ⁿ⁾(x), the n-th derivative of the digamma function (``digamma`` for n = 0).
        ``torch.polygamma(n, input)`` takes n first."""
        a = self if B.is_float(self._data.dtype) else self.to(B.get_default_dtype())
        return E.Digamma.apply(a) if n == 0 else E.Polygamma.apply(a, int(n))

    @function
    @inplace(function=True)
    def sinc(self):
        """The normalized sinc sin(πx) / (πx), 1 at 0."""
        a = self if B.is_float(self._data.dtype) else self.to(B.get_default_dtype())
        return Sinc.apply(a)

    @function
    @inplace
    def renorm(self, p, dim, maxnorm):
        """Each slice along ``dim`` whose p-norm exceeds ``maxnorm`` scaled down to norm
        ``maxnorm`` (by maxnorm / (norm + 1e-7), torch's factor); the others unchanged."""
        d = _dim(dim, self.ndim, "renorm")
        others = tuple(i for i in range(self.ndim) if i != d)
        norm = self.norm(p, dim=others, keepdim=True)
        scale = (maxnorm / (norm + 1e-7)).masked_fill(norm <= maxnorm, 1.0)
        return self * scale

    @function
    def relu(self):
        """max(x, 0) (the same op as ``nn.functional.relu``)."""
        if self._data.dtype.kind == "b":
            raise RuntimeError("\"clamp_min_scalar_cpu\" not implemented for 'Bool'")
        return A.Relu.apply(self)

    @function
    @inplace
    def abs(self):
        """Computes the absolute value of each element in self."""
        _check_not_bool(self, "abs_cpu")
        return E.Abs.apply(self)

    absolute = abs

    @function
    @inplace(function=True)
    def square(self):
        """A new tensor with the square of the elements of self."""
        return self.pow(2)

    @function
    @inplace
    def sign(self):
        """A new tensor with the signs of the elements of self."""
        return E.PiecewiseConstant.apply(self, "sign", E.sign)

    # floor, ceil, round, trunc: piecewise constant, so their gradient is zero (see _rounding)
    floor = function(inplace(function=True)(_rounding("floor", xp.floor)))
    ceil = function(inplace(function=True)(_rounding("ceil", xp.ceil)))

    @function
    @inplace(function=True)
    def round(self, decimals=None):
        """Rounds elements of self to the nearest integer (or to ``decimals`` decimal places:
        torch's other overload, whose graph node is ``RoundBackward1`` even for 0)."""
        _check_not_bool(self, "round_cpu")
        kind = "round" if decimals is None else "round_decimals"
        places = decimals or 0
        return E.PiecewiseConstant.apply(self, kind, lambda x: xp.round(x, places))

    trunc = function(inplace(function=True)(_rounding("trunc", xp.trunc)))

    @function
    def clamp(self, min=None, max=None):
        """Clamps all elements in self into the range `[` ``min``, ``max`` `]`."""
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        bounds = [v for v in (min, max) if v is not None]
        if any(isinstance(v, Tensor) for v in bounds) and not all(
            isinstance(v, Tensor) for v in bounds
        ):
            # a tensor and a number: PyTorch's number overload, where a 0-d tensor without
            # grad stands for its value (its dtype then only counts as a number's would)
            if any(v.ndim or v.requires_grad for v in bounds if isinstance(v, Tensor)):
                raise TypeError(  # PyTorch: both bounds tensors, or both numbers
                    "clamp() received an invalid combination of arguments - got a Tensor and a "
                    "number for min and max"
                )
            min, max = (v.item() if isinstance(v, Tensor) else v for v in (min, max))
            bounds = [v for v in (min, max) if v is not None]
        # the result has the promoted dtype of self and the bounds (int clamped to 2.5: float;
        # bool clamped to 0: int64), and PyTorch has no bool clamp kernel
        target = B.result_type(self, *bounds)
        if target.np != self._data.dtype:
            self = self.to(target)
        if target is B.bool_:
            raise NotImplementedError("\"clamp_scalar_cpu\" not implemented for 'Bool'")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            lo, hi = (None if v is None else as_tensor(v, dtype=self.dtype) for v in (min, max))
            return E.ClampTensor.apply(self, lo, hi)
        return E.Clamp.apply(self, min, max)

    clip = clamp

    @function
    @inplace(function=True)
    def clamp_min(self, min):
        """Element-wise ``max(x, min)``."""
        return self.clamp(min=min)

    @function
    @inplace(function=True)
    def clamp_max(self, max):
        """Element-wise ``min(x, max)``."""
        return self.clamp(max=max)

    @function
    def maximum(self, other):
        """Computes the element-wise maximum of self and ``other``."""
        _check_tensor_arg(other, "maximum")
        return maximum(self, other)

    @function
    def minimum(self, other):
        """Computes the element-wise minimum of self and ``other``."""
        _check_tensor_arg(other, "minimum")
        return minimum(self, other)

    def where(self, condition, other):
        """Element-wise ``self if condition else other``."""
        return where(condition, self, other)

    @function
    def masked_fill(self, mask, value):
        """Out-of-place ``masked_fill_``: ``value`` where ``mask`` is True."""
        mask = _as_bool_mask(mask, "masked_fill")
        if isinstance(value, Tensor) and value.ndim != 0:
            raise RuntimeError(
                f"masked_fill only supports a 0-dimensional value tensor, but got "
                f"tensor with {value.ndim} dimension(s)."
            )
        return E.MaskedFill.apply(self, mask, value)

    @function
    @inplace
    def lerp(self, end, weight):
        """self + weight·(end − self), evaluated from the nearer end as PyTorch does; as
        torch, for float tensors of one dtype only."""
        _check_lerp_dtypes(self, end, weight)
        a, b = _promote(self, end)
        if isinstance(weight, Tensor):
            a, weight = _promote(a, weight)
        return E.Lerp.apply(a, b, weight)

    # trigonometric and hyperbolic functions and their inverses (see _float_unary)
    tan = function(inplace(function=True)(_float_unary("tan", E.Tan)))
    asin = function(inplace(function=True)(_float_unary("asin", E.Asin)))
    acos = function(inplace(function=True)(_float_unary("acos", E.Acos)))
    atan = function(inplace(function=True)(_float_unary("atan", E.Atan)))
    sinh = function(inplace(function=True)(_float_unary("sinh", E.Sinh)))
    cosh = function(inplace(function=True)(_float_unary("cosh", E.Cosh)))
    asinh = function(inplace(function=True)(_float_unary("asinh", E.Asinh)))
    acosh = function(inplace(function=True)(_float_unary("acosh", E.Acosh)))
    atanh = function(inplace(function=True)(_float_unary("atanh", E.Atanh)))

    arcsin, arccos, arctan = asin, acos, atan

    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    @function
    @inplace
    def atan2(self, other):
        """Element-wise arctangent of ``self / other``, in the right quadrant."""
        _check_tensor_arg(other, "atan2")
        a, b = _promote_float(self, other)
        out = E.Atan2.apply(a, b if isinstance(b, Tensor) else as_tensor(b, dtype=a.dtype))
        # torch's backward negates self (d atan2(a, b)/db = −a/(a² + b²)): a bool self fails there
        return _refuse_backward_with_bool(out, self)

    arctan2 = atan2

    @function
    @inplace
    def hypot(self, other):
        """Given the legs of a right triangle, return its hypotenuse."""
        # √(a² + b²)
        _check_tensor_arg(other, "hypot")
        _float_only(B.result_type(self, other).np, "hypot_cpu")
        return (self * self + other * other).sqrt()

    @function
    @inplace(function=True)
    def exp2(self):
        """Element-wise ``2 ** x``."""
        return 2.0**self

    @function
    @inplace(function=True)
    def logit(self, eps=None):
        """Element-wise ``log(p / (1 - p))`` (p clamped to [eps, 1 - eps] if eps given)."""
        return E.Logit.apply(self._float(), eps)

    @function
    @inplace(function=True)
    def xlogy(self, other):
        """Element-wise ``self * log(other)``, 0 where self is 0."""
        # x·log(y), defined as 0 where x == 0 (even when y is 0), NaN where y is NaN
        a, b = _promote_float(self, other)
        b = b if isinstance(b, Tensor) else as_tensor(b, dtype=a.dtype)
        return E.Xlogy.apply(a, b)

    @function
    def logaddexp(self, other):
        """Logarithm of the sum of exponentiations of the inputs."""
        _check_tensor_arg(other, "logaddexp")
        _float_only(B.result_type(self, other).np, "logaddexp_cpu")
        # log(eᵃ + eᵇ) = max(a, b) + log1p(e^(−|a − b|)), which cannot overflow
        a, b = _promote_float(self, other)
        out = maximum(a, b) + (-(a - b).abs()).exp().log1p()
        # equal infinities: a − b is NaN there, torch answers the infinity itself
        same_infinity = (a == b) & a.isinf()
        if same_infinity.any():
            out = a.expand(out.shape).where(same_infinity, out)
        return _refuse_backward_with_bool(out, self, other)

    @function
    def logaddexp2(self, other):
        """Logarithm of the sum of exponentiations of the inputs in base-2."""
        _check_tensor_arg(other, "logaddexp2")
        _float_only(B.result_type(self, other).np, "logaddexp2_cpu")
        ln2 = 0.6931471805599453
        a, b = _promote(self, other)
        return _refuse_backward_with_bool((a * ln2).logaddexp(b * ln2) / ln2, self, other)

    @function
    @inplace(function=True)
    def frac(self):
        """Computes the fractional portion of each element in self."""
        _float_only(self._data.dtype, "frac_cpu")
        return self - self.trunc()

    @function
    @inplace(function=True)
    def deg2rad(self):
        """Element-wise degrees to radians."""
        return self._float() * (3.141592653589793 / 180.0)

    @function
    @inplace(function=True)
    def rad2deg(self):
        """Element-wise radians to degrees."""
        return self._float() * (180.0 / 3.141592653589793)

    sgn = sign

    fix = trunc

    @function
    def positive(self):
        """Returns self."""
        return self

    @function
    @inplace(function=True)
    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """Replace NaN, +inf and -inf by ``nan``, ``posinf`` and ``neginf``."""
        if not B.is_float(self._data.dtype):
            return self.clone()
        info = xp.finfo(self._data.dtype)
        out = self.masked_fill(self.isnan(), nan)
        out = out.masked_fill(self == float("inf"), info.max if posinf is None else posinf)
        return out.masked_fill(self == float("-inf"), info.min if neginf is None else neginf)

    @function
    @inplace
    def heaviside(self, values):
        """0 for x < 0, ``values`` at x == 0, 1 for x > 0 (recorded without a derivative)."""
        if not isinstance(values, Tensor):
            raise TypeError("heaviside(): argument 'values' must be Tensor")
        if values._data.dtype != self._data.dtype:
            raise RuntimeError(
                "heaviside is not yet implemented for tensors with different dtypes."
            )

        def step(x, v):
            return xp.where(x == 0, v, (x > 0).astype(x.dtype)).astype(x.dtype)

        return E.NotDifferentiable.apply(self, values, "heaviside", step)

    @function
    @inplace
    def float_power(self, exponent):
        """Raises self to the power of ``exponent``, elementwise, in double precision."""
        e = exponent.double() if isinstance(exponent, Tensor) else exponent
        return self.double().pow(e)

    @function
    @inplace
    def copysign(self, other):
        """|self| with the sign of ``other`` (−0.0 counts as negative); always floating."""
        a, b = _promote(self, other)
        a = a._float()
        b = b.to(a.dtype) if isinstance(b, Tensor) else as_tensor(b, dtype=a.dtype)
        return E.CopySign.apply(a, b)

    @function
    def signbit(self):
        """Tests if each element of self has its sign bit set or not."""
        return Tensor._make(xp.signbit(self._data), False, None)

    @function
    def isneginf(self):
        """Element-wise test for -inf (a bool tensor)."""
        return self == float("-inf")

    @function
    def isposinf(self):
        """Element-wise test for +inf (a bool tensor)."""
        return self == float("inf")

    @function
    def isreal(self):
        """Element-wise test for a zero imaginary part (always True for real dtypes)."""
        return Tensor._make(xp.ones(self._data.shape, dtype=bool), False, None)
