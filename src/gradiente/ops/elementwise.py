"""Element-wise ops (arithmetic, exp/log, activations) with their local derivatives.

Broadcasting is handled once by the engine, which sums each input's gradient back to the
input's shape; the backward methods here may return gradients of the broadcast shape.
"""

from __future__ import annotations

import math
import operator

from gradiente import backend as B
from gradiente.autograd import function as _function
from gradiente.autograd.engine import CopyGrad
from gradiente.backend import as_array, xp
from gradiente.ops import geometry
from gradiente.ops.activation import erfinv as _erfinv
from gradiente.ops.array_function import ArrayFunction, PassGrad
from gradiente.ops.unary import sigmoid, unary


def _arr(x):
    """The array behind a tensor; Python scalars pass through (NumPy treats them as weak)."""
    return x._data if hasattr(x, "_data") else x


_BOOL_NEG = (
    "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
    "invert a mask, use the `~` or `logical_not()` operator instead."
)


def _refuse_bool(a, message: str) -> None:
    """PyTorch refuses ``-`` on bool tensors (operands are already promoted to one dtype)."""
    if a._data.dtype == xp.bool_:
        raise RuntimeError(message)


def _requires_grad(x) -> bool:
    """Whether a gradient will flow to operand ``x`` (False for Python scalars)."""
    return getattr(x, "_requires_grad", False)


class Add(ArrayFunction):
    backward_name = "AddBackward0"
    _torch_layout = True  # torch's memory order for its result (autograd.function)
    next_function_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        return _arr(a) + _arr(b)

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(ArrayFunction):
    backward_name = "SubBackward0"
    _torch_layout = True  # torch's memory order for its result (autograd.function)
    next_function_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        return _arr(a) - _arr(b)

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class RSub(ArrayFunction):
    """b - a for a scalar b (``2 - x``)."""

    _torch_layout = True  # torch's memory order for its result (autograd.function)

    backward_name = "RsubBackward1"

    @staticmethod
    def forward(ctx, a, b):
        return Sub.forward(ctx, b, a)

    @staticmethod
    def backward(ctx, grad):
        return -grad, None


class Mul(ArrayFunction):
    backward_name = "MulBackward0"
    _torch_layout = True  # torch's memory order for its result (autograd.function)
    next_function_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        # save only what a gradient needs (as PyTorch): an in-place change of the other
        # input later is then no error
        Tensor = _function._Tensor
        ctx.save_for_backward(
            a if isinstance(b, Tensor) and b._requires_grad else None,
            b if isinstance(a, Tensor) and a._requires_grad else None,
        )
        return _arr(a) * _arr(b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        # d(ab)/da = b, d(ab)/db = a
        grad_a = grad * b if ctx.needs_input_grad[0] else None
        grad_b = grad * a if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(ArrayFunction):
    backward_name = "DivBackward0"
    _torch_layout = True  # torch's memory order for its result (autograd.function)
    next_function_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if _requires_grad(b) else None, b)
        return _arr(a) / _arr(b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        # d(a/b)/da = 1/b, d(a/b)/db = -a/b²
        grad_a = grad / b if ctx.needs_input_grad[0] else None
        grad_b = -grad * a / (b * b) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class RDiv(ArrayFunction):
    """b / a for a scalar b (``1 / x``)."""

    _torch_layout = True  # torch's memory order for its result (autograd.function)

    backward_name = "MulBackward0"  # PyTorch computes b / x as reciprocal(x) * b
    next_function_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        out = _arr(b) / _arr(a)
        ctx.save_for_backward(a, b)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return -grad * b / (a * a), None


def _int_pow(x, y):
    """Integer x ** y with y a tensor, as PyTorch computes it: a negative exponent gives
    1 for x = 1, (−1)^y for x = −1 and 0 otherwise (the integer part of 1/x^|y|); NumPy
    refuses negative integer powers instead."""
    negative = y < 0
    if not negative.any():
        return x**y
    out = x ** xp.where(negative, 0, y)
    odd = (y & 1).astype(bool)
    at_negative = xp.where(x == 1, 1, xp.where(x == -1, xp.where(odd, -1, 1), 0))
    return xp.where(negative, at_negative, out).astype(out.dtype)


class Pow(ArrayFunction):
    """a ** b for tensors a and b."""

    _torch_layout = True  # torch's memory order for its result (autograd.function)

    backward_name = "PowBackward1"

    @staticmethod
    def forward(ctx, a, b):
        x, y = _arr(a), _arr(b)
        out = _int_pow(x, y) if y.dtype.kind in "iu" else x**y
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        grad_a = grad_b = None
        # (in torch's order of operations: the derivative first, then times grad)
        if ctx.needs_input_grad[0]:
            # d(a^b)/da = b·a^(b-1); zero where b == 0 (PyTorch's convention)
            grad_a = (grad * (b * a ** (b - 1))).masked_fill(b == 0, 0.0)
        if ctx.needs_input_grad[1]:
            # d(a^b)/db = a^b·ln(a), taken as 0 where a == 0 and b >= 0, and then times grad
            # (a NaN or infinite grad stays NaN there, as in torch)
            grad_b = grad * (out * a.log()).masked_fill((a == 0) & (b >= 0), 0.0)
        return grad_a, grad_b


class PowScalar(ArrayFunction):
    """a ** p for a Python-number exponent p."""

    backward_name = "PowBackward0"

    @staticmethod
    def forward(ctx, a, p):
        ctx.save_for_backward(a)
        ctx.p = p
        x = a._data
        if x.dtype.kind in "iub" and isinstance(p, int) and p < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if x.dtype.kind == "f":
            # PyTorch's kernel computes these exponents by multiplication and division, which
            # rounds differently from ``pow`` in the last bit: do the same.
            if p == 2:
                return x * x
            if p == 3:
                return x * x * x
            if p == -1:
                return 1 / x
            if p == -2:
                return 1 / (x * x)
            if p == -0.5:
                return 1 / xp.sqrt(x)
        return x**p

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        p = ctx.p
        if p == 0 and not isinstance(p, bool):
            # torch returns zeros whatever grad holds; a bool False exponent is not "equal"
            # to 0 for torch's Scalar, so x ** False takes the general formula below
            return a.new_zeros(a.shape), None
        if p == 2:
            return grad * a * 2.0, None
        # d(a^p)/da = p·a^(p-1), computed before multiplying by grad, as torch does
        p = float(p) if isinstance(p, bool) else p
        return grad * (p * a ** (p - 1)), None


class RPowScalar(ArrayFunction):
    """s ** a for a Python-number base s (``2 ** x``)."""

    backward_name = "PowBackward2"

    @staticmethod
    def forward(ctx, a, s):
        x = a._data
        # a NumPy 0-d base on the CPU (a 0-d x then gives an array); a NumPy scalar on CUDA,
        # which CuPy mixes with its arrays (it refuses host arrays, 0-d ones too)
        base = as_array(s, dtype=x.dtype) if type(x) is xp.ndarray else x.dtype.type(s)
        out = _int_pow(base, x) if x.dtype.kind in "iu" else base**x
        ctx.s = s
        if s == 0:
            ctx.save_for_backward(out, a)
            ctx.log_s = float("-inf")
        else:
            ctx.save_for_backward(out)
            ctx.log_s = float(xp.log(s)) if s > 0 else float("nan")
        return out

    @staticmethod
    def backward(ctx, grad):
        # d(s^a)/da = s^a·ln(s)
        if ctx.s == 0:
            # 0^a: zero where a >= 0 (PyTorch's convention), -inf where 0^a is infinite; then
            # times grad (a NaN or infinite grad stays NaN, as in torch)
            out, a = ctx.saved_tensors
            return grad * (out * ctx.log_s).masked_fill(a >= 0, 0.0), None
        (out,) = ctx.saved_tensors
        return grad * (out * ctx.log_s), None


class Neg(ArrayFunction):
    backward_name = "NegBackward0"

    @staticmethod
    def forward(ctx, a):
        _refuse_bool(a, _BOOL_NEG)
        return -a._data

    @staticmethod
    def backward(ctx, grad):
        return -grad


def sign(x):
    """PyTorch's sign on arrays: (x > 0) - (x < 0), so sign(NaN) = sign(-0.0) = 0; bool stays."""
    if x.dtype.kind == "b":
        return x.copy()
    return ((x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)).astype(x.dtype, copy=False)


Exp = unary("Exp", xp.exp, lambda x, y, g: g * y, "output")  # d eˣ/dx = eˣ
Log = unary("Log", xp.log, lambda x, y, g: g / x)  # d ln x/dx = 1/x
Log1p = unary("Log1p", xp.log1p, lambda x, y, g: g / (x + 1.0))
Log1p.backward_name = "Log1PBackward0"  # PyTorch's spelling
Expm1 = unary("Expm1", xp.expm1, lambda x, y, g: g * (y + 1.0), "output")


def _float32_via_float64(f):
    """``f`` with float32 arrays computed in float64 and rounded once to float32.

    NumPy's float32 SIMD log10/log2 can miss the correctly rounded result by an ulp, even at
    exact powers (log10(0.001) = −3.0000002, so floor gives −4); torch's float32 kernels
    (SLEEF's 1-ulp double-float algorithms) are nearly always correctly rounded, and so is
    one rounding of the float64 result (it differs from torch on about 1 float32 in 10⁴).
    """

    def rounded_once(x):
        if x.dtype == xp.float32:
            return f(x.astype(xp.float64)).astype(xp.float32)
        return f(x)

    return rounded_once


Log2 = unary("Log2", _float32_via_float64(xp.log2), lambda x, y, g: g / (x * 0.6931471805599453))
Log10 = unary("Log10", _float32_via_float64(xp.log10), lambda x, y, g: g / (x * 2.302585092994046))
Sqrt = unary("Sqrt", xp.sqrt, lambda x, y, g: g / (y * 2.0), "output")  # 1/(2√x)
Rsqrt = unary("Rsqrt", lambda x: 1.0 / xp.sqrt(x), lambda x, y, g: g * y**3 * -0.5, "output")
Sin = unary("Sin", xp.sin, lambda x, y, g: g * x.cos())
Cos = unary("Cos", xp.cos, lambda x, y, g: -g * x.sin())
Tanh = unary("Tanh", xp.tanh, lambda x, y, g: g * (1.0 - y * y), "output")  # 1 - tanh²
Sigmoid = unary("Sigmoid", sigmoid, lambda x, y, g: SigmoidBackward.apply(g, y), "output")
Abs = unary("Abs", xp.abs, lambda x, y, g: g * x.sign())
Reciprocal = unary("Reciprocal", lambda x: 1.0 / x, lambda x, y, g: -g * y * y, "output")


class SigmoidBackward(ArrayFunction):
    """σ's gradient g·(1 − y)·y from its output y = σ(x), one op with torch's derivatives
    (so that second derivatives have torch's signed zeros): ∂/∂g = (1 − y)·y and
    ∂/∂y = g·(1 − 2y), computed as torch does, (gg·g)·(−2y + 1)."""

    backward_name = "SigmoidBackwardBackward0"

    @staticmethod
    def forward(ctx, g, y):
        ctx.save_for_backward(g, y)
        return g._data * (1 - y._data) * y._data

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        grad_g = SigmoidBackward.apply(gg, y) if ctx.needs_input_grad[0] else None
        grad_y = gg * g * (y * -2 + 1) if ctx.needs_input_grad[1] else None
        return grad_g, grad_y


class PiecewiseConstant(ArrayFunction):
    """floor, ceil, round, trunc, sign: flat almost everywhere, so the gradient is zero."""

    _names = {
        "floor": "FloorBackward0",
        "ceil": "CeilBackward0",
        "round": "RoundBackward0",
        "round_decimals": "RoundBackward1",  # round(decimals=...)
        "trunc": "TruncBackward0",
        "sign": "SignBackward0",
        "div_trunc": "DivBackward2",  # div(rounding_mode="trunc")
    }

    @staticmethod
    def forward(ctx, a, kind, fn):
        ctx.kind = kind
        return fn(a._data)

    @staticmethod
    def backward(ctx, grad):
        # zeros, not grad · 0: an infinite or NaN upstream gradient still gives 0 (torch)
        return grad.new_zeros(grad.shape), None, None

    def name(self) -> str:
        return self._names[self.kind]


class Clamp(ArrayFunction):
    backward_name = "ClampBackward1"
    _torch_layout = True  # torch's memory order for its result (autograd.function)

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        x = a._data
        # min(max(x, lo), hi) keeping x where it equals a bound (torch: clamp(-0.0, 0) is -0.0);
        # NumPy's maximum/minimum return their second operand on a tie, so x goes second
        if lo is not None and hi is not None:
            return xp.minimum(hi, xp.maximum(lo, x)).astype(x.dtype, copy=False)
        if lo is not None:
            return xp.maximum(lo, x).astype(x.dtype, copy=False)
        return xp.minimum(hi, x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        # The gradient passes where lo <= x <= hi (bounds included, as in PyTorch).
        mask = None
        if ctx.lo is not None:
            mask = a >= ctx.lo
        if ctx.hi is not None:
            upper = a <= ctx.hi
            mask = upper if mask is None else mask & upper
        # where, not grad * mask: a NaN upstream gradient outside the bounds gives 0 (PyTorch)
        return grad.where(mask, grad.new_zeros(())), None, None


class ClampTensor(ArrayFunction):
    """clamp(x, lo, hi) with tensor bounds (either may be None): min(max(x, lo), hi), NaN if any
    of them is NaN, x kept on a tie."""

    _torch_layout = True  # torch's memory order for its result (autograd.function)

    backward_name = "ClampBackward0"

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a, lo, hi)
        out = a._data
        if lo is not None:
            out = xp.maximum(lo._data, out)  # NumPy returns the second operand on a tie
        if hi is not None:
            out = xp.minimum(hi._data, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # torch's clamp_backward and clamp_backward_min_max: where (a NaN anywhere gives 0)
        a, lo, hi = ctx.saved_tensors
        zero = grad.new_zeros(())
        inside = None
        if lo is not None:
            inside = a >= lo
        if hi is not None:
            inside = a <= hi if inside is None else inside & (a <= hi)
        grad_a = grad.where(inside, zero) if ctx.needs_input_grad[0] else None
        grad_lo = grad_hi = None
        if lo is not None and ctx.needs_input_grad[1]:
            below = a < lo if hi is None else (a < lo) & (lo < hi)
            grad_lo = grad.where(below, zero)
        if hi is not None and ctx.needs_input_grad[2]:
            above = a > hi if lo is None else (a > hi) | (hi < lo)
            grad_hi = grad.where(above, zero)
        return grad_a, grad_lo, grad_hi


def _pass_unless(grad, blocked):
    """grad with zeros where ``blocked`` (PyTorch's masked_fill_: a NaN gradient there is 0)."""
    return grad.where(~blocked, grad.new_zeros(()))


def _extreme_grads(grad, a, b, a_loses, b_loses):
    """(dL/da, dL/db) of maximum or minimum(a, b). Ties split the gradient evenly between both
    inputs (PyTorch's convention); only the losing input gets none, so a NaN (which neither
    beats nor loses to anything) passes the gradient to both (PyTorch's formula)."""
    share = grad * (1.0 - (a == b) * 0.5)
    return _pass_unless(share, a_loses), _pass_unless(share, b_loses)


class _Extreme(ArrayFunction):
    """maximum and minimum(a, b): the subclass's ``pick`` of the two arrays; an input gets no
    gradient where it ``loses`` to the other (see _extreme_grads)."""

    _torch_layout = True  # torch's memory order for its result (autograd.function)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        # a on a tie (maximum(-0.0, 0.0) is -0.0, torch's std::max): NumPy returns its second
        return ctx.pick(b._data, a._data)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _extreme_grads(grad, a, b, ctx.loses(a, b), ctx.loses(b, a))


class Maximum(_Extreme):
    backward_name = "MaximumBackward0"
    pick = staticmethod(xp.maximum)
    loses = staticmethod(operator.lt)  # a loses where a < b


class Minimum(_Extreme):
    backward_name = "MinimumBackward0"
    pick = staticmethod(xp.minimum)
    loses = staticmethod(operator.gt)  # a loses where a > b


class Where(ArrayFunction):
    backward_name = "WhereBackward0"
    _torch_layout = True  # torch's memory order for its result (autograd.function)
    next_function_inputs = (1, 2)

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return xp.where(cond._data, _arr(a), _arr(b))

    @staticmethod
    def backward(ctx, grad):
        (cond,) = ctx.saved_tensors
        zero = grad.new_zeros(())
        grad_a = grad.where(cond, zero) if ctx.needs_input_grad[1] else None
        grad_b = zero.where(cond, grad) if ctx.needs_input_grad[2] else None
        return None, grad_a, grad_b


class MaskedFill(ArrayFunction):
    backward_name = "MaskedFillBackward0"

    @staticmethod
    def forward(ctx, a, mask, value):
        ctx.save_for_backward(mask)
        # value[()]: a NumPy scalar (or a 0-d device array), which mixes with any device
        return xp.where(mask._data, as_array(_arr(value), dtype=a._data.dtype)[()], a._data)

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        grad_value = None
        if ctx.needs_input_grad[2]:
            grad_value = (grad * mask).sum()
        return grad.masked_fill(mask, 0.0), None, grad_value


class ToDtype(PassGrad):
    """Cast to another dtype; the gradient is cast back (by the engine, see PassGrad)."""

    backward_name = "ToCopyBackward0"
    _torch_layout = True  # torch's memory order for its result (autograd.function)

    @staticmethod
    def forward(ctx, a, np_dtype):
        return B.cast(a._data, np_dtype)


class ToDevice(ArrayFunction):
    """Copy to another device (a CUDA index, or None for the CPU); the gradient is copied
    back to the input's device: d(copy)/dx = I."""

    backward_name = "ToCopyBackward0"
    _moves_device = True

    @staticmethod
    def forward(ctx, a, index):
        ctx.source = B.array_device_index(a._data)
        return B.to_device(a._data, index)

    @staticmethod
    def backward(ctx, grad):
        return ToDevice.apply(grad, ctx.source), None


class Clone(CopyGrad):
    """x.contiguous(), x.clone(memory_format=torch.contiguous_format): a row-major copy of
    the array, the gradient passed through (the engine's copy of a gradient, under torch's
    name for clone)."""

    backward_name = "CloneBackward0"


class ClonePreservingLayout(Clone):
    """x.clone(): torch's default preserve_format lays the copy out as x (a transposed x gives
    a transposed copy, whose memory order a later dropout or random fill walks)."""

    backward_name = "CloneBackward0"
    _torch_layout = True  # torch's memory order for its result (autograd.function)


class CloneInFormat(Clone):
    """x.contiguous(memory_format=...), x.clone(memory_format=torch.channels_last): a copy in
    that format's dense layout (``ops/geometry``), the gradient passed through."""

    backward_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, a, memory_format):
        return geometry.laid_out(a._data, memory_format)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class ToCopyInFormat(CloneInFormat):
    """x.to(memory_format=torch.channels_last): the same copy, under ``to``'s node name."""

    backward_name = "ToCopyBackward0"


# Trigonometric and hyperbolic functions and their inverses (PyTorch's derivative formulas).
Tan = unary("Tan", xp.tan, lambda x, y, g: g * (1.0 + y * y), "output")  # 1 + tan²
Asin = unary("Asin", xp.arcsin, lambda x, y, g: g * (1.0 - x * x).rsqrt())  # 1/√(1 − x²)
Acos = unary("Acos", xp.arccos, lambda x, y, g: -g * (1.0 - x * x).rsqrt())  # −1/√(1 − x²)
Atan = unary("Atan", xp.arctan, lambda x, y, g: g / (x * x + 1.0))  # 1/(1 + x²)
Sinh = unary("Sinh", xp.sinh, lambda x, y, g: g * x.cosh())
Cosh = unary("Cosh", xp.cosh, lambda x, y, g: g * x.sinh())
Asinh = unary("Asinh", xp.arcsinh, lambda x, y, g: g * (x * x + 1.0).rsqrt())  # 1/√(x² + 1)
Acosh = unary("Acosh", xp.arccosh, lambda x, y, g: g * (x * x - 1.0).rsqrt())  # 1/√(x² − 1)
Atanh = unary("Atanh", xp.arctanh, lambda x, y, g: g / (1.0 - x * x))  # 1/(1 − x²)


class Xlogy(ArrayFunction):
    """x·log(y), 0 where x == 0 unless y is NaN (torch.xlogy)."""

    _torch_layout = True  # torch's memory order for its result (autograd.function)

    backward_name = "XlogyBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _xlogy(a._data, b._data)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            # ∂/∂x = log(y), as torch writes it: xlogy(grad, y), then 0 where x = 0 and y <= 0
            grad_a = Xlogy.apply(grad, b).masked_fill((a == 0) & (b <= 0), 0.0)
        if ctx.needs_input_grad[1]:
            grad_b = grad * a / b  # ∂/∂y = x / y
        return grad_a, grad_b


def _xlogy(x, y):
    with xp.errstate(divide="ignore", invalid="ignore"):
        out = xp.where(x == 0, 0, x * xp.log(y)).astype(x.dtype, copy=False)
    return xp.where(xp.isnan(y), y, out)


class Atan2(ArrayFunction):
    """atan2(a, b): the angle of the point (b, a), in (−π, π]."""

    _torch_layout = True  # torch's memory order for its result (autograd.function)

    backward_name = "Atan2Backward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp.arctan2(a._data, b._data)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        # ∂atan2(a, b)/∂a = b/(a² + b²),  ∂atan2(a, b)/∂b = −a/(a² + b²); 0 at the origin
        recip = (a * a + b * b).reciprocal()
        scale = grad * recip.masked_fill(recip.isinf(), 0.0)
        grad_a = scale * b if ctx.needs_input_grad[0] else None
        grad_b = -scale * a if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class NotDifferentiable(ArrayFunction):
    """An op PyTorch records without a derivative (``floor_divide``, ``heaviside``): the result
    still requires grad, so the graph is not silently cut, and a backward through it raises,
    naming the op, instead of giving a wrong gradient."""

    _torch_layout = True  # torch's memory order for its result (autograd.function)

    backward_name = "NotImplemented"

    @staticmethod
    def forward(ctx, a, b, op_name, fn):
        ctx.op_name = op_name
        return as_array(fn(_arr(a), _arr(b)))

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(f"the derivative for '{ctx.op_name}' is not implemented.")


class RefuseBackward(ArrayFunction):
    """The identity, whose backward raises ``message``: for results torch computes but cannot
    differentiate (its backward formula would fail on these operands)."""

    backward_name = "NotImplemented"

    @staticmethod
    def forward(ctx, a, message):
        ctx.message = message
        return a._data.copy()

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(ctx.message)


class CopySign(ArrayFunction):
    """|a| with the sign of b (−0.0 counts as negative)."""

    _torch_layout = True  # torch's memory order for its result (autograd.function)

    backward_name = "CopysignBackward0"

    @staticmethod
    def forward(ctx, a, b):
        out = xp.copysign(_arr(a), _arr(b))
        ctx.save_for_backward(a, out)  # as PyTorch: an in-place change of either is caught
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            # d copysign(a, b)/da = copysign(a, b)/a = ±1, taken as 0 at a = 0 (PyTorch)
            ratio = type(grad)._make(xp.where(a._data == 0, 0, out._data / a._data))
            grad_a = grad * ratio
        if ctx.needs_input_grad[1]:
            grad_b = grad.new_zeros(grad.shape)  # flat in b almost everywhere
        return grad_a, grad_b


# d erfinv(x)/dx = (√π / 2) · e^(erfinv(x)²), recomputed from the input that torch saves (so
# changing the input in place, not the output, is what backward refuses)
Erfinv = unary("Erfinv", _erfinv, lambda x, y, g: g * 0.886226925452758 * x.erfinv().square().exp())


class Logit(ArrayFunction):
    """logit(p) = log(p / (1 − p)), p clamped to [eps, 1 − eps] when ``eps`` is given, with
    torch's backward (its kernel's; under ``create_graph`` torch composes another): dy / (p(1 − p)),
    dy·∞ at p = 0 or 1, and outside [0, 1] NaN, or outside [eps, 1 − eps] 0."""

    backward_name = "LogitBackward0"

    @staticmethod
    def forward(ctx, a, eps):
        ctx.save_for_backward(a)
        x, t = a._data, a._data.dtype.type
        clamped = eps is not None and eps >= 0  # a negative eps counts as none (torch)
        ctx.bounds = (t(eps), t(1) - t(eps)) if clamped else (t(0), t(1))
        ctx.outside = 0.0 if clamped else math.nan
        if clamped:
            x = xp.clip(x, *ctx.bounds)
        with xp.errstate(divide="ignore", invalid="ignore"):
            return xp.log(x / (1 - x)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        x, (lo, hi) = a._data, ctx.bounds
        make = type(a)._make
        # an exact +0 denominator at p = 0 or 1 makes dy / 0 the dy·∞ of torch
        denominator = (a * (1 - a)).masked_fill(make((x == 0) | (x == 1)), 0.0)
        outside = make((x < lo) | (x > hi))
        return (grad / denominator).masked_fill(outside, ctx.outside), None


class Lerp(ArrayFunction):
    """a + w·(b − a), computed from the nearer end (b − (b − a)·(1 − w) when |w| ≥ ½) so the
    result is exact at w = 1, as PyTorch's kernel does."""

    _torch_layout = True  # torch's memory order for its result (autograd.function)

    backward_name = "LerpBackward0"

    def name(self) -> str:
        return "LerpBackward1" if self.tensor_weight else "LerpBackward0"

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.tensor_weight = hasattr(w, "_data")
        ctx.save_for_backward(a, b, w)
        x, y, t = _arr(a), _arr(b), _arr(w)
        if not ctx.tensor_weight:
            return as_array(x + t * (y - x) if abs(t) < 0.5 else y - (y - x) * (1 - t))
        return xp.where(xp.abs(t) < 0.5, x + t * (y - x), y - (y - x) * (1 - t))

    @staticmethod
    def backward(ctx, grad):
        a, b, w = ctx.saved_tensors
        # ∂/∂a = 1 − w,  ∂/∂b = w,  ∂/∂w = b − a
        grad_a = grad * (1 - w) if ctx.needs_input_grad[0] else None
        grad_b = grad * w if ctx.needs_input_grad[1] else None
        grad_w = grad * (b - a) if ctx.needs_input_grad[2] else None
        return grad_a, grad_b, grad_w


# ---------------------------------------------------------------------------------------------
# The gamma family: log Γ(x), ψ(x) = d log Γ(x)/dx and its derivatives ψ⁽ⁿ⁾(x), on arrays in
# float64 and rounded to the input's dtype once.

_LOG_GAMMA = xp.frompyfunc(
    lambda v: math.lgamma(v) if v > 0 or v != math.floor(v) else math.inf, 1, 1
)
# B₂ₖ / (2k)! for k = 1..9: the coefficients of the Euler–Maclaurin tail below
_BERNOULLI_OVER_FACTORIAL = (
    1 / 12,
    -1 / 720,
    1 / 30240,
    -1 / 1209600,
    1 / 47900160,
    -691 / 1307674368000,
    1 / 74724249600,
    -3617 / 10670622842880000,
    43867 / 5109094217170944000,
)


def _lgamma(x):
    """log |Γ(x)|; +inf at the poles 0, −1, −2, ..."""
    wide = x.astype(xp.float64)
    out = xp.where(xp.isnan(wide), xp.nan, 0.0)
    finite = xp.isfinite(wide)
    out[finite] = _LOG_GAMMA(wide[finite]).astype(xp.float64)
    out[xp.isinf(wide)] = xp.inf
    return out.astype(x.dtype)


def _digamma(x):
    """ψ(x): the reflection ψ(x) = ψ(1 − x) − π / tan(πx) below ½, the recurrence
    ψ(x) = ψ(x + 1) − 1/x up to x ≥ 10, then the asymptotic series
    ψ(x) ≈ ln x − 1/(2x) − Σₖ B₂ₖ / (2k x²ᵏ). −inf at 0 and NaN at the negative integers,
    as torch."""
    v = x.astype(xp.float64)
    with xp.errstate(all="ignore"):
        reflect = v < 0.5
        w = xp.where(reflect, 1.0 - v, v)
        shift = xp.zeros_like(w)
        while (small := w < 10).any():
            shift = shift - xp.where(small, 1.0 / w, 0.0)
            w = xp.where(small, w + 1.0, w)
        inv2 = 1.0 / (w * w)
        series = xp.zeros_like(w)
        for k, c in reversed(list(enumerate(_BERNOULLI_OVER_FACTORIAL[:7], 1))):
            # B₂ₖ / (2k) = (2k − 1)! · B₂ₖ / (2k)!
            series = (series + c * math.factorial(2 * k - 1)) * inv2
        out = xp.log(w) - 0.5 / w - series + shift
        out = xp.where(reflect, out - xp.pi / xp.tan(xp.pi * v), out)
        poles = (v <= 0) & (v == xp.floor(v))
        out = xp.where(poles, xp.where(v == 0, xp.copysign(xp.inf, -v), xp.nan), out)
    return out.astype(x.dtype)


def _trigamma(x):
    """ψ⁽¹⁾(x) by torch's algorithm (``calc_trigamma``), in the input's dtype: the reflection
    ψ⁽¹⁾(x) = π² / sin²(πx) − ψ⁽¹⁾(1 − x) below ½, six steps of ψ⁽¹⁾(x) = ψ⁽¹⁾(x + 1) + 1/x²,
    then ψ⁽¹⁾(x) ≈ (1 + 1/(2x) + 1/(6x²) − 1/(30x⁴) + 1/(42x⁶)) / x, whose last terms are
    computed in float64. Its error (≈ 1e-9 at x = 1) and its finite values at the poles
    (sin(πx) rounds to a tiny nonzero number) are torch's."""
    t = x.dtype.type
    with xp.errstate(all="ignore"):
        pi = t(math.pi)
        # sin in float64, rounded: the correctly rounded sinf of the C library (NumPy's float32
        # sin is an ulp off at times, an ulp that π²/sin² doubles)
        sin_pi_x = xp.sin((pi * x).astype(xp.float64)).astype(x.dtype)
        reflect = x < 0.5
        result = xp.where(reflect, -(pi * pi) / (sin_pi_x * sin_pi_x), t(0)).astype(x.dtype)
        x = xp.where(reflect, t(1) - x, x).astype(x.dtype)
        for _ in range(6):
            result = result + t(1) / (x * x)
            x = x + t(1)
        ixx = (t(1) / (x * x)).astype(xp.float64)
        tail = (1 + t(1) / (2 * x) + ixx * (1 / 6 - ixx * (1 / 30 - ixx * (1 / 42)))) / x
        result = (result + tail).astype(x.dtype)
        return xp.where(reflect, -result, result)


def _polygamma(x, n):
    """ψ⁽ⁿ⁾(x) = (−1)ⁿ⁺¹ n! ζ(n + 1, x) for n ≥ 1, with the Hurwitz zeta
    ζ(s, x) = Σₖ (x + k)⁻ˢ summed directly up to x + k ≥ 10 and the Euler–Maclaurin tail
    ζ(s, w) ≈ w¹⁻ˢ/(s − 1) + w⁻ˢ/2 + Σⱼ B₂ⱼ/(2j)! · s(s+1)···(s+2j−2) · w^(−s−2j+1)."""
    if n == 0:
        return _digamma(x)
    if n == 1:
        return _trigamma(x)
    v = x.astype(xp.float64)
    s = n + 1.0
    # torch's ζ(s, x) is +inf at the poles x = 0, −1, ... (and −inf), NaN at +inf
    poles = (v <= 0) & (v == xp.floor(v))
    with xp.errstate(all="ignore"):
        w = xp.where(poles | xp.isinf(v), 10.0, v)  # (no terms to sum there)
        total = xp.zeros_like(w)
        while (small := w < 10).any():
            total = total + xp.where(small, w**-s, 0.0)
            w = xp.where(small, w + 1.0, w)
        tail = w ** (1 - s) / (s - 1) + 0.5 * w**-s
        rising = s  # s(s+1)···(s+2j−2)
        for j, c in enumerate(_BERNOULLI_OVER_FACTORIAL, 1):
            tail = tail + c * rising * w ** (-s - 2 * j + 1)
            rising *= (s + 2 * j - 1) * (s + 2 * j)
        zeta = xp.where(poles, xp.inf, xp.where(v == xp.inf, xp.nan, total + tail))
        out = (-1.0) ** (n + 1) * math.factorial(n) * zeta
    return out.astype(x.dtype)


# d log Γ(x)/dx = ψ(x); dψ/dx = ψ⁽¹⁾(x); dψ⁽ⁿ⁾/dx = ψ⁽ⁿ⁺¹⁾(x)
Lgamma = unary("Lgamma", _lgamma, lambda x, y, g: g * Digamma.apply(x))
Digamma = unary("Digamma", _digamma, lambda x, y, g: g * Polygamma.apply(x, 1))
Polygamma = unary(
    "Polygamma", _polygamma, lambda x, y, g, n: g * Polygamma.apply(x, n + 1), doc="ψ⁽ⁿ⁾(x)."
)
