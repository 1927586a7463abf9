"""Activation functions as single ops, plus erf and erfinv (NumPy has neither).

Each activation y = f(x) is one ``Activation`` row (``ops/unary.py``): ``f`` and its
derivative ``df`` on arrays — the ordinary backward multiplies the upstream gradient by
``df(x)``, one op instead of a graph of small ones — and the same derivative ``dfdx`` written
with Tensor ops, which ``create_graph=True`` records, so derivatives of every order are exact.
"""

from __future__ import annotations

import math

from gradiente import parallel
from gradiente.autograd import function as _function
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import as_array, get_array_module, xp
from gradiente.ops.array_function import ArrayFunction, renamed
from gradiente.ops.unary import Activation, mask, sigmoid

# ------------------------------------------------------------------------------------- erf
# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23
# (1969), as coded in his SPECFUN routine CALERF: relative error below 1e-16 in float64.

_ERF_A = (
    3.16112374387056560e00,
    1.13864154151050156e02,
    3.77485237685302021e02,
    3.20937758913846947e03,
    1.85777706184603153e-1,
)
_ERF_B = (
    2.36012909523441209e01,
    2.44024637934444173e02,
    1.28261652607737228e03,
    2.84423683343917062e03,
)
_ERF_C = (
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
    2.15311535474403846e-8,
)
_ERF_D = (
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
)
_ERF_P = (
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
    1.63153871373020978e-2,
)
_ERF_Q = (
    2.56852019228982242e00,
    1.87295284992346725e00,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3,
)
_ONE_OVER_SQRT_PI = 5.6418958354775628695e-1
_ERF_THRESH = 0.46875


def _erfc_tail(y):
    """erfc(y) for y > 0.46875 (Cody's two outer ranges), without cancellation."""
    y = xp.minimum(y, 30.0)  # erfc(30) < 1e-392 underflows to 0, as does anything beyond
    mid = y <= 4.0
    ym = xp.where(mid, y, 1.0)
    # 0.46875 < y <= 4:  erfc(y) = e^(-y²) · R₁(y), R₁ a degree-8 rational function
    num = _ERF_C[8] * ym
    den = ym
    for c, d in zip(_ERF_C[:7], _ERF_D[:7], strict=True):
        num = (num + c) * ym
        den = (den + d) * ym
    r_mid = (num + _ERF_C[7]) / (den + _ERF_D[7])
    # y > 4:  erfc(y) = e^(-y²)/y · (1/√π − R₂(1/y²)/y²)
    yt = xp.where(mid, 4.0, y)
    z = 1.0 / (yt * yt)
    num = _ERF_P[5] * z
    den = z
    for p, q in zip(_ERF_P[:4], _ERF_Q[:4], strict=True):
        num = (num + p) * z
        den = (den + q) * z
    r_tail = (_ONE_OVER_SQRT_PI - z * (num + _ERF_P[4]) / (den + _ERF_Q[4])) / yt
    r = xp.where(mid, r_mid, r_tail)
    # e^(-y²) = e^(-s²) e^(-(y-s)(y+s)) with s = y rounded down to 1/16: s² is exact.
    s = xp.trunc(y * 16.0) / 16.0
    with xp.errstate(under="ignore"):
        return xp.exp(-s * s) * xp.exp(-(y - s) * (y + s)) * r


def erf(x):
    """The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, element-wise, in x's float dtype."""
    x = as_array(x)
    if x.dtype == xp.float16:  # (as torch: in float32, rounded once; float16 overflows)
        return erf(x.astype(xp.float32)).astype(xp.float16)
    y = xp.abs(x)
    small = y <= _ERF_THRESH
    inner = _erf_small(x, small)
    if small.all():
        return inner
    with xp.errstate(invalid="ignore"):
        outer = (0.5 - _erfc_tail(xp.where(small, 1.0, y).astype(x.dtype, copy=False))) + 0.5
    return xp.where(small, inner, xp.copysign(outer, x)).astype(x.dtype, copy=False)


def _erf_small(x, small):
    # |x| <= 0.46875:  erf(x) = x · P(x²)/Q(x²)  (other entries: garbage, masked by callers)
    z = xp.where(small, x * x, 0.0).astype(x.dtype, copy=False)
    num = _ERF_A[4] * z
    den = z
    for a, b in zip(_ERF_A[:3], _ERF_B[:3], strict=True):
        num = (num + a) * z
        den = (den + b) * z
    return x * (num + _ERF_A[3]) / (den + _ERF_B[3])


def erfc(x):
    """The complementary error function 1 − erf(x), accurate in the far tail (no cancellation)."""
    x = as_array(x)
    if x.dtype == xp.float16:  # (as torch: in float32, rounded once; float16 overflows)
        return erfc(x.astype(xp.float32)).astype(xp.float16)
    y = xp.abs(x)
    small = y <= _ERF_THRESH
    with xp.errstate(invalid="ignore"):
        tail = _erfc_tail(xp.where(small, 1.0, y).astype(x.dtype, copy=False))
    # erfc(−y) = 2 − erfc(y)
    outer = xp.where(x < 0, 2.0 - tail, tail)
    return xp.where(small, 1.0 - _erf_small(x, small), outer).astype(x.dtype, copy=False)


def erfinv(y):
    """The inverse error function, element-wise, by PyTorch's algorithm (``calc_erfinv``).

    A rational approximation (from Giles' MATLAB erfinv) gives x₀, then two Newton steps
    x ← x − (erf(x) − y) / (2/√π · e^(−x²)) make it accurate to working precision. Computed
    in float64 and cast back; ±1 give ±inf and |y| > 1 gives nan.
    """
    y = as_array(y)
    out_dtype = y.dtype if y.dtype.kind == "f" else xp.float64
    y64 = y.astype(xp.float64)
    a = (0.886226899, -1.645349621, 0.914624893, -0.140543331)
    b = (-2.118377725, 1.442710462, -0.329097515, 0.012229801)
    c = (-1.970840454, -1.624906493, 3.429567803, 1.641345311)
    d = (3.543889200, 1.637067800)
    ya = xp.abs(y64)
    central = ya <= 0.7
    with xp.errstate(divide="ignore", invalid="ignore"):
        z = y64 * y64
        num = ((a[3] * z + a[2]) * z + a[1]) * z + a[0]
        den = (((b[3] * z + b[2]) * z + b[1]) * z + b[0]) * z + 1.0
        x_central = y64 * num / den
        z = xp.sqrt(-xp.log((1.0 - ya) / 2.0))
        num = ((c[3] * z + c[2]) * z + c[1]) * z + c[0]
        den = (d[1] * z + d[0]) * z + 1.0
        x = xp.where(central, x_central, xp.copysign(num, y64) / den)
        two_over_sqrt_pi = 2.0 / math.sqrt(math.pi)
        for _ in range(2):
            x = x - (erf(x) - y64) / (two_over_sqrt_pi * xp.exp(-x * x))
    x = xp.where(ya == 1.0, xp.copysign(xp.inf, y64), x)
    x = xp.where(ya > 1.0, xp.nan, x)
    return x.astype(out_dtype)


# ------------------------------------------------------------------------------ pointwise ops


_BOOL_SUB_ONE = (
    "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
    "invert a mask, use the `~` or `logical_not()` operator instead."
)


class Relu(ArrayFunction):
    """max(x, 0); the derivative at 0 is 0 (PyTorch's convention).

    Backward needs only where y = relu(x) > 0, so the output is saved (as PyTorch's ReluBackward
    does: an in-place change of the output before backward is then caught). The gradient
    g · 1[y > 0] is linear in g with a constant mask, so it is also right under create_graph
    (the second derivative of ReLU is 0).
    """

    _torch_layout = True  # torch's memory order for its result (autograd.function)

    backward_name = "ReluBackward0"

    @staticmethod
    def forward(ctx, a):
        if a._data.dtype == xp.bool_:
            raise RuntimeError("Boolean inputs not supported for relu")
        x = a._data
        if x.size < _ZERO_ROW:  # a few numbers: one plain call
            y = xp.maximum(x.dtype.type(0), x)
            ctx.save_for_backward(y)
            return y
        y = xp.empty_like(x)  # x's layout
        flat_x, flat_y = _memory_order_flat(x), _memory_order_flat(y)
        if flat_x is not None and flat_y is not None:
            # a large activation: runs of it over the threads
            parallel.over_count(
                lambda i, j: _relu_rows(flat_x[i:j], flat_y[i:j]), flat_x.size, x.nbytes
            )
        elif x.nbytes < parallel.SPLIT_BYTES:
            xp.maximum(x.dtype.type(0), x, out=y)
        else:  # blocks of the batch over the threads
            zero = x.dtype.type(0)
            parallel.over_rows(lambda i, j: xp.maximum(zero, x[i:j], out=y[i:j]), x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        if grad_state.enabled:  # PyTorch's threshold_backward: a NaN input passes its gradient
            mask = _function._Tensor._make(~(y._data <= 0))
            return grad.where(mask, grad.new_zeros(()))
        g = grad._data
        out = xp.empty_like(g)
        if g.nbytes < parallel.SPLIT_BYTES:
            return _relu_grad(g, y._data, out)
        # a large gradient: blocks of the batch over the threads
        parallel.over_rows(lambda i, j: _relu_grad(g[i:j], y._data[i:j], out[i:j]), g)
        return out


def _memory_order_flat(a):
    """The elements of the NumPy array ``a`` as a 1-D view in memory order, or None when they
    do not fill one block of memory (a cropped view, a CUDA array)."""
    if type(a) is not xp.ndarray:
        return None
    if a.flags.c_contiguous:
        return a.reshape(-1)
    by_stride = sorted(range(a.ndim), key=lambda axis: -abs(a.strides[axis]))
    in_memory_order = a.transpose(by_stride)
    return in_memory_order.reshape(-1) if in_memory_order.flags.c_contiguous else None


# NumPy's maximum runs its vector loop only when both operands advance through memory; with
# the scalar 0 it runs an element at a time (measured 3× slower on 300k float32s). So relu
# compares rows of the activation with a row of zeros broadcast over them.
_ZERO_ROW = 1024
_zero_rows: dict = {}


def _relu_rows(x, y) -> None:
    """y = max(0, x) for 1-D arrays, as rows of ``_ZERO_ROW`` against a row of zeros (the
    zero first: relu(−0.0) = −0.0 as in torch; NumPy returns the second operand on a tie)."""
    zero_row = _zero_rows.get(x.dtype)
    if zero_row is None:
        zero_row = _zero_rows[x.dtype] = xp.zeros(_ZERO_ROW, dtype=x.dtype)
    whole = x.size - x.size % _ZERO_ROW
    xp.maximum(zero_row, x[:whole].reshape(-1, _ZERO_ROW), out=y[:whole].reshape(-1, _ZERO_ROW))
    xp.maximum(zero_row[: x.size - whole], x[whole:], out=y[whole:])


def _relu_grad(g, y, out):
    """out = g · 1[not y ≤ 0], PyTorch's threshold_backward rule (a NaN output passes g)."""
    # y = max(x, 0) is +0, −0, positive or NaN, so "not y ≤ 0" is y ≠ 0: one comparison
    mask = y != 0
    # multiplying by the mask is ~8× faster than np.where; a non-finite sum means a NaN or
    # inf upstream gradient, which PyTorch's where() drops where the mask is off
    with xp.errstate(invalid="ignore"):  # (inf · 0, repaired just below)
        xp.multiply(g, mask, out=out)
    if not _surely_finite(out):
        xp.copyto(out, xp.where(mask, g, 0))
    return out


def _surely_finite(a) -> bool:
    """True when every number of ``a`` is finite; False when one may not be.

    One BLAS dot product a·a answers it (a NaN or ±inf makes it NaN or inf), 3-4× faster
    than a sum. A huge finite ``a`` (|a| > 1e19 in float32) can overflow it too: then the
    caller's exact path runs, which is right anyway.
    """
    flat = _memory_order_flat(a)
    if flat is None or a.dtype not in (xp.float32, xp.float64):
        return bool(xp.isfinite(a.sum()))
    return bool(xp.isfinite(xp.dot(flat, flat)))


class LeakyRelu(Activation):
    """x for x > 0, negative_slope · x otherwise."""

    backward_name = "LeakyReluBackward0"
    int_kernel = "leaky_relu_cpu"

    @staticmethod
    def f(x, slope):
        return xp.where(x > 0, x, x * slope).astype(x.dtype, copy=False)

    @staticmethod
    def df(x, slope):
        return xp.where(x > 0, 1.0, slope).astype(x.dtype)

    @staticmethod
    def dfdx(x, slope):
        return mask(x > 0, x) * (1.0 - slope) + slope


class Hardtanh(Activation):
    """clamp(x, min_val, max_val); the gradient is 0 at and beyond the two bounds."""

    backward_name = "HardtanhBackward0"
    on_integers = "keep"
    on_bool = (RuntimeError, "Bool inputs not supported for hardtanh")

    @staticmethod
    def f(x, lo, hi):
        return xp.clip(x, lo, hi).astype(x.dtype, copy=False)

    @staticmethod
    def df(x, lo, hi):
        return (~Hardtanh.blocked(x, lo, hi)).astype(x.dtype)

    @staticmethod
    def blocked(x, lo, hi):
        """Zero at and beyond the bounds. A NaN input: torch's vectorised loop (chunks of two
        256-bit vectors of the flattened tensor) keeps the gradient where lo < x < hi, false
        for NaN, and its scalar loop over the leftover tail zeroes it where x <= lo or x >= hi,
        false too: NaN is blocked in the chunks and passes in the tail."""
        out = (x <= lo) | (x >= hi)
        if x.dtype.kind == "f":
            chunk = 2 * 32 // x.dtype.itemsize
            position = get_array_module(x).arange(x.size).reshape(x.shape)  # on x's device
            in_chunks = position < x.size - x.size % chunk
            out |= xp.isnan(x) & in_chunks
        return out

    @staticmethod
    def dfdx(x, lo, hi):
        return mask(~type(x)._make(Hardtanh.blocked(x._data, lo, hi)), x)


class Elu(Activation):
    """x for x > 0, α(eˣ − 1) otherwise; f'(x) = α eˣ for x <= 0."""

    backward_name = "EluBackward0"

    @staticmethod
    def f(x, alpha):
        # minimum(0, x) keeps x = -0.0 (NumPy returns the second operand of a tie): elu(-0.0)
        # is -0.0 in torch
        neg = alpha * xp.expm1(xp.minimum(0, x))
        return xp.where(x > 0, x, neg).astype(x.dtype, copy=False)

    # the x <= 0 branch is tested (torch's elu_backward), so a NaN input passes its gradient
    @staticmethod
    def df(x, alpha):
        return xp.where(x <= 0, alpha * xp.exp(xp.minimum(x, 0)), 1.0).astype(x.dtype)

    @staticmethod
    def dfdx(x, alpha):
        return (x.clamp(max=0).exp() * alpha).where(x <= 0, 1.0)


_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_BETA = math.sqrt(2.0 / math.pi)  # PyTorch's kBeta = √2 · (2/√π) / 2
_GELU_KAPPA = 0.044715


def _gelu_tanh_parts(x):
    """v = 2u = 2√(2/π)(x + 0.044715 x³) and v'; then 1 + tanh(u) = 2σ(v) (no cancellation)."""
    v = 2.0 * _GELU_BETA * (x + _GELU_KAPPA * x * x * x)
    dv = 2.0 * _GELU_BETA * (1.0 + 3.0 * _GELU_KAPPA * x * x)
    return sigmoid(v), dv


class Gelu(Activation):
    """x Φ(x), Φ the standard normal CDF; ``approximate='tanh'`` uses Hendrycks & Gimpel's
    0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³))), evaluated as x σ(2u) to avoid cancellation."""

    backward_name = "GeluBackward0"
    int_kernel = "GeluKernelImpl"  # torch's name in its "not implemented for 'Long'" error

    @staticmethod
    def f(x, approximate):
        if x.dtype == xp.float16:  # torch: in float32, rounded once
            return Gelu.f(x.astype(xp.float32), approximate).astype(xp.float16)
        if approximate == "tanh":
            s, _ = _gelu_tanh_parts(x)
            return x * s
        # Φ(x) = erfc(−x/√2) / 2: accurate for very negative x too
        return 0.5 * x * erfc(-x * _SQRT_HALF)

    @staticmethod
    def df(x, approximate):
        if approximate == "tanh":
            s, dv = _gelu_tanh_parts(x)
            # f = x s(v):  f' = s + x s(1 − s) v'
            return s + x * s * (1.0 - s) * dv
        # f' = Φ(x) + x φ(x),  φ(x) = e^(−x²/2)/√(2π)
        return 0.5 * erfc(-x * _SQRT_HALF) + x * _INV_SQRT_2PI * xp.exp(-0.5 * x * x)

    @staticmethod
    def dfdx(x, approximate):
        if approximate == "tanh":
            v = 2.0 * _GELU_BETA * (x + _GELU_KAPPA * x * x * x)
            dv = 2.0 * _GELU_BETA * (1.0 + 3.0 * _GELU_KAPPA * x * x)
            s = v.sigmoid()
            return s + x * s * (1.0 - s) * dv
        return 0.5 * (1.0 + (x * _SQRT_HALF).erf()) + x * _INV_SQRT_2PI * (-0.5 * x * x).exp()


class _SelfGated(Activation):
    """f(x) = x · gate(x): the input scaled by a smooth gate of itself (silu, mish). A subclass
    gives ``gate`` on arrays, and f' as ``df`` and ``dfdx``."""

    @classmethod
    def f(cls, x):
        return x * cls.gate(x)


class Silu(_SelfGated):
    """x σ(x) (also called swish)."""

    backward_name = "SiluBackward0"
    gate = staticmethod(sigmoid)

    @staticmethod
    def df(x):
        s = sigmoid(x)
        # f' = σ (1 + x (1 − σ))
        return s * (1.0 + x * (1.0 - s))

    @staticmethod
    def dfdx(x):
        s = x.sigmoid()
        return s * (1.0 + x * (1.0 - s))


class Softplus(Activation):
    """log(1 + e^(βx))/β, and x itself where βx > threshold (where they agree in float)."""

    backward_name = "SoftplusBackward0"

    @staticmethod
    def f(x, beta, threshold):
        bx = x * beta
        # log(1 + e^z) = max(z, 0) + log1p(e^(−|z|)): no overflow
        soft = (xp.maximum(bx, 0) + xp.log1p(xp.exp(-xp.abs(bx)))) / beta
        return xp.where(bx > threshold, x, soft).astype(x.dtype, copy=False)

    @staticmethod
    def df(x, beta, threshold):
        bx = x * beta
        return xp.where(bx > threshold, 1.0, sigmoid(bx)).astype(x.dtype, copy=False)

    @staticmethod
    def dfdx(x, beta, threshold):
        bx = x * beta
        return bx.sigmoid().where(~(bx > threshold), 1.0)


class LogSigmoid(Activation):
    """log σ(x) = min(x, 0) − log1p(e^(−|x|)), stable for large |x|."""

    backward_name = "LogSigmoidBackward0"
    int_kernel = "log_sigmoid_cpu"

    @staticmethod
    def f(x):
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    @staticmethod
    def df(x):
        return sigmoid(-x)  # d log σ(x)/dx = 1 − σ(x) = σ(−x)

    @staticmethod
    def dfdx(x):
        return (-x).sigmoid()


class Erf(Activation):
    """The error function as a differentiable op: d erf/dx = 2/√π e^(−x²)."""

    backward_name = "ErfBackward0"
    on_integers = "float"

    @staticmethod
    def f(x):
        return erf(x)

    @staticmethod
    def df(x):
        return (2.0 / math.sqrt(math.pi)) * xp.exp(-x * x)

    @staticmethod
    def dfdx(x):
        return (2.0 / math.sqrt(math.pi)) * (-x * x).exp()


class Erfc(Activation):
    """The complementary error function 1 − erf(x), computed without cancellation (erfc(10) is
    2e-45, not 1 − 1 = 0): d erfc/dx = −2/√π e^(−x²)."""

    backward_name = "ErfcBackward0"
    on_integers = "float"

    @staticmethod
    def f(x):
        return erfc(x)

    @staticmethod
    def df(x):
        return (-2.0 / math.sqrt(math.pi)) * xp.exp(-x * x)

    @staticmethod
    def dfdx(x):
        return (-2.0 / math.sqrt(math.pi)) * (-x * x).exp()


# ------------------------------------------------------- more element-wise activations

# SELU's constants (Klambauer et al., 2017), as PyTorch writes them
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class ScaledElu(Activation):
    """scale · x for x > 0, scale · α (e^(x·input_scale) − 1) otherwise: SELU and CELU.

    f'(x) = scale for x > 0, scale · α · input_scale · e^(x·input_scale) otherwise.
    """

    backward_name = "EluBackward0"
    int_kernel = "elu_cpu"  # (CELU too: torch's celu calls elu)

    @staticmethod
    def f(x, alpha, scale, input_scale):
        neg = (scale * alpha) * xp.expm1(xp.minimum(0, x) * input_scale)
        return xp.where(x > 0, scale * x, neg).astype(x.dtype, copy=False)

    @staticmethod
    def df(x, alpha, scale, input_scale):
        neg = (scale * alpha * input_scale) * xp.exp(xp.minimum(x, 0) * input_scale)
        return xp.where(x <= 0, neg, scale).astype(x.dtype, copy=False)  # NaN: as Elu

    @staticmethod
    def dfdx(x, alpha, scale, input_scale):
        neg = (x.clamp(max=0) * input_scale).exp() * (scale * alpha * input_scale)
        return neg.where(x <= 0, scale)


Celu = renamed(ScaledElu, "Celu", "CeluBackward0", "CELU: ScaledElu named as torch's node.")


def _tanh_softplus(x):
    # tanh(log(1 + eˣ)), log(1 + eˣ) = max(x, 0) + log1p(e^(−|x|)) (no overflow)
    return xp.tanh(xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x))))


class Mish(_SelfGated):
    """x · tanh(softplus(x)) (Misra, 2019)."""

    backward_name = "MishBackward0"
    gate = staticmethod(_tanh_softplus)

    @staticmethod
    def df(x):
        t, s = _tanh_softplus(x), sigmoid(x)
        # f' = t + x σ (1 − t²), since d softplus/dx = σ and d tanh(u)/du = 1 − tanh²
        return t + x * s * (1.0 - t * t)

    @staticmethod
    def dfdx(x):
        t = Softplus.apply(x, 1.0, 20.0).tanh()
        return t + x * x.sigmoid() * (1.0 - t * t)


class Hardswish(Activation):
    """x · relu6(x + 3) / 6 (Howard et al., 2019); f' = x/3 + 1/2 strictly inside (−3, 3), 0 at
    and below −3, 1 at and above 3 (PyTorch's convention at the two kinks)."""

    backward_name = "HardswishBackward0"

    @staticmethod
    def f(x):
        return x * xp.clip(x + 3.0, 0.0, 6.0) / 6.0

    @staticmethod
    def df(x):
        inside = x / 3.0 + 0.5
        return xp.where(x <= -3.0, 0.0, xp.where(x < 3.0, inside, 1.0)).astype(x.dtype)

    @staticmethod
    def dfdx(x):
        inside = ~(x <= -3.0) & (x < 3.0)
        return (x / 3.0 + 0.5).where(inside, mask(~(x <= -3.0), x))


_ONE_SIXTH_F32 = float(xp.float32(1.0) / xp.float32(6.0))


class Hardsigmoid(Activation):
    """relu6(x + 3) / 6; f' = 1/6 strictly inside (−3, 3), else 0."""

    backward_name = "HardsigmoidBackward0"

    @staticmethod
    def f(x):
        return xp.clip(x + 3.0, 0.0, 6.0) / 6.0

    @staticmethod
    def df(x):
        # PyTorch's kernel multiplies by the float32 constant 1.0f / 6.0f, in every dtype
        return xp.where((x > -3.0) & (x < 3.0), _ONE_SIXTH_F32, 0.0).astype(x.dtype)

    @staticmethod
    def dfdx(x):
        return mask((x > -3.0) & (x < 3.0), x) * _ONE_SIXTH_F32


class Softsign(Activation):
    """x / (1 + |x|); f' = 1 / (1 + |x|)²."""

    backward_name = "DivBackward0"  # torch composes x / (1 + |x|)
    on_integers = "float"
    on_bool = (NotImplementedError, "\"abs_cpu\" not implemented for 'Bool'")

    @staticmethod
    def f(x):
        return x / (1.0 + xp.abs(x))

    @staticmethod
    def df(x):
        return 1.0 / (1.0 + xp.abs(x)) ** 2

    @staticmethod
    def dfdx(x):
        return 1.0 / (1.0 + x.abs()) ** 2


class Tanhshrink(Activation):
    """x − tanh(x); f' = tanh²(x)."""

    backward_name = "SubBackward0"  # torch composes x − tanh(x)
    on_integers = "float"
    on_bool = (RuntimeError, _BOOL_SUB_ONE)

    @staticmethod
    def f(x):
        return x - xp.tanh(x)

    @staticmethod
    def df(x):
        t = xp.tanh(x)
        return t * t

    @staticmethod
    def dfdx(x):
        t = x.tanh()
        return t * t


class Threshold(Activation):
    """x where x > threshold, else ``value``; the gradient is 1 where x > threshold."""

    backward_name = "ThresholdBackward0"
    on_integers = "keep"
    on_bool = (NotImplementedError, "\"threshold_cpu\" not implemented for 'Bool'")

    @staticmethod
    def f(x, threshold, value):
        return xp.where(x > threshold, x, value).astype(x.dtype, copy=False)

    @staticmethod
    def df(x, threshold, value):
        return (x > threshold).astype(x.dtype)

    @staticmethod
    def dfdx(x, threshold, value):
        return mask(x > threshold, x)


class _Shrink(Activation):
    """Hardshrink and Softshrink differ only forward: both have f' = 1 where |x| > λ and 0
    elsewhere, so the gradient passes exactly where |x| > λ."""

    # forward, torch tests "inside [−λ, λ]" (a NaN is outside and passes); its derivative
    # tests |x| > λ (a NaN gets 0)

    @staticmethod
    def df(x, lambd):
        return (xp.abs(x) > lambd).astype(x.dtype)

    @staticmethod
    def dfdx(x, lambd):
        return mask(x.abs() > lambd, x)


class Hardshrink(_Shrink):
    """x where |x| > λ, else 0."""

    backward_name = "HardshrinkBackward0"

    @staticmethod
    def f(x, lambd):
        return xp.where((x >= -lambd) & (x <= lambd), 0, x).astype(x.dtype, copy=False)


class Softshrink(_Shrink):
    """x − λ above λ, x + λ below −λ, else 0 (NaN stays NaN)."""

    backward_name = "SoftshrinkBackward0"
    int_kernel = "softshrink_check"

    @staticmethod
    def f(x, lambd):
        inside = xp.where(x < -lambd, x + lambd, xp.where(x != x, x, 0))
        return xp.where(x > lambd, x - lambd, inside).astype(x.dtype, copy=False)
