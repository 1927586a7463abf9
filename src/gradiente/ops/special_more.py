"""More of torch.special: modified Bessel functions, erfcx, the incomplete gamma functions,
Hurwitz's zeta, and the exact float helpers frexp and nextafter.

Every function is computed on arrays in float64 from its textbook series, continued fraction or
asymptotic expansion (written out in each docstring) and rounded once to the input's dtype.

The modified Bessel functions of the first kind (Abramowitz & Stegun 9.6.10 and 9.7.1):

    I₀(x) = Σₖ (x²/4)ᵏ / (k!)²                 I₁(x) = (x/2) Σₖ (x²/4)ᵏ / (k! (k+1)!)
    Iᵥ(x) ≈ eˣ / √(2πx) · Σₖ tₖ,  t₀ = 1,  tₖ = tₖ₋₁ · ((2k−1)² − 4ν²) / (8k x)   (x → ∞)

The power series has positive terms only (no cancellation) and is used for |x| ≤ 30; beyond,
the asymptotic series' terms fall below float64's precision within 30 terms. ``i0e`` and
``i1e`` are scaled by e^(−|x|), so they never overflow.

Their derivatives, as PyTorch writes its backward formulas:

    I₀' = I₁          I₁' = I₀ − I₁/x (½ at 0)
    i0e' = i1e − sign(x)·i0e          i1e' = i0e − i1e·(sign(x) + 1/x) (½ at 0)
    erfcx'(x) = 2x·erfcx(x) − 2/√π
    ∂P(a, x)/∂x = x^(a−1) e^(−x) / Γ(a) = −∂Q(a, x)/∂x     (no derivative in a, as in torch)
    ∂ζ(s, q)/∂q = −s·ζ(s + 1, q)                         (no derivative in s, as in torch)
"""

from __future__ import annotations

import math

from gradiente.backend import xp
from gradiente.ops.array_function import ArrayFunction, renamed
from gradiente.ops.elementwise import PiecewiseConstant, _lgamma
from gradiente.ops.unary import unary

_SERIES_LIMIT = 30.0  # |x| up to which the Bessel functions use their power series
_TWO_OVER_SQRT_PI = 1.1283791670955126


# ---------------------------------------------------------------------------------------------
# Modified Bessel functions I₀, I₁ and their exponentially scaled forms


def _bessel_series(x, order: int):
    """Iᵥ(|x|) for ν = ``order`` ∈ {0, 1} by the power series (|x| ≤ 30: 60 terms reach the
    float64 rounding of the sum)."""
    quarter_square = x * x / 4.0
    term = xp.ones_like(x) if order == 0 else xp.abs(x) / 2.0
    total = term.copy()
    for k in range(1, 60):
        term = term * quarter_square / (k * (k + order))
        total = total + term
    return total


def _bessel_asymptotic_scaled(x, order: int):
    """e^(−x)·Iᵥ(x) for large x > 0 by the asymptotic expansion (30 terms)."""
    term = xp.ones_like(x)
    total = term.copy()
    for k in range(1, 30):
        term = term * ((2 * k - 1) ** 2 - 4 * order * order) / (8.0 * k * x)
        total = total + term
    return total / xp.sqrt(2.0 * math.pi * x)


def _bessel_scaled(x, order: int):
    """e^(−|x|)·Iᵥ(|x|) in float64 (even in x; the caller puts I₁'s sign back)."""
    v = xp.abs(x.astype(xp.float64))
    out = xp.full_like(v, xp.nan)
    small = v <= _SERIES_LIMIT
    out[small] = xp.exp(-v[small]) * _bessel_series(v[small], order)
    large = v > _SERIES_LIMIT  # NaN is in neither part and stays NaN
    with xp.errstate(divide="ignore", invalid="ignore"):
        out[large] = _bessel_asymptotic_scaled(v[large], order)
    return out


def _unscaled(x, scaled):
    """Iᵥ(x) = e^|x| · e^(−|x|)Iᵥ(x), rounded to x's dtype (inf · 0 = NaN at ±inf, as torch)."""
    with xp.errstate(over="ignore", invalid="ignore"):
        return (xp.exp(xp.abs(x.astype(xp.float64))) * scaled).astype(x.dtype)


def _i0(x):
    return _unscaled(x, _bessel_scaled(x, 0))


def _i0e(x):
    return _bessel_scaled(x, 0).astype(x.dtype)


def _i1(x):
    return _unscaled(x, xp.sign(x) * _bessel_scaled(x, 1))


def _i1e(x):
    return (xp.sign(x) * _bessel_scaled(x, 1)).astype(x.dtype)


def _near_zero(x):
    """Not |x| > machine epsilon: where I₁'s derivative takes its limit ½ (PyTorch's rule,
    which NaN meets too)."""
    return ~(x.abs() > xp.finfo(x._data.dtype).eps)


def _i1_derivative(x, y, g):
    tiny = _near_zero(x)
    safe = x.masked_fill(tiny, 1.0)  # a constant there: no 0/0, now or differentiated again
    return g * (I0.apply(safe) - y / safe).masked_fill(tiny, 0.5)


def _i1e_derivative(x, y, g):
    tiny = _near_zero(x)
    safe = x.masked_fill(tiny, 1.0)
    return g * (I0e.apply(safe) - y * (safe.sign() + 1.0 / safe)).masked_fill(tiny, 0.5)


def _special(name: str, node: str, f, derivative, saves: str, doc: str) -> type:
    """A ``unary`` row whose graph node has torch.special's name ``node``."""
    return renamed(unary(name, f, derivative, saves, doc), name, node, doc)


I0 = unary("I0", _i0, lambda x, y, g: g * I1.apply(x), doc="I₀(x), modified Bessel, order 0.")
I0e = _special(
    "I0e",
    "SpecialI0EBackward0",
    _i0e,
    lambda x, y, g: g * (I1e.apply(x) - x.sign() * y),
    "both",
    "e^(−|x|)·I₀(x).",
)
I1 = _special(
    "I1", "SpecialI1Backward0", _i1, _i1_derivative, "both", "I₁(x), modified Bessel, order 1."
)
I1e = _special("I1e", "SpecialI1EBackward0", _i1e, _i1e_derivative, "both", "e^(−|x|)·I₁(x).")


# ---------------------------------------------------------------------------------------------
# erfcx(x) = e^(x²)·erfc(x)

_ERFC = xp.frompyfunc(math.erfc, 1, 1)
_CONTINUED_FRACTION_FROM = 5.0


def _erfcx_continued_fraction(x):
    """Laplace's continued fraction (A&S 7.1.14), for x ≥ 5, evaluated from its 60th level up:

    √π · e^(x²) · erfc(x) = 1 / (x + (1/2) / (x + 1 / (x + (3/2) / (x + 2 / (x + ...)))))
    """
    t = x.copy()
    with xp.errstate(invalid="ignore"):
        for k in range(60, 0, -1):
            t = x + (k / 2.0) / t
        return 1.0 / (math.sqrt(math.pi) * t)


def _erfcx(x):
    """e^(x²)·erfc(x): libm's erfc times e^(x²) for x < 5 (x² is exact enough there), the
    continued fraction beyond; for x < 0, erfcx(x) = 2e^(x²) − erfcx(−x) (no cancellation:
    2e^(x²) ≥ 2 > erfcx(−x))."""
    v = x.astype(xp.float64)
    a = xp.abs(v)
    out = xp.full_like(v, xp.nan)
    near = a < _CONTINUED_FRACTION_FROM
    out[near] = xp.exp(a[near] ** 2) * _ERFC(a[near]).astype(xp.float64)
    far = a >= _CONTINUED_FRACTION_FROM
    out[far] = _erfcx_continued_fraction(a[far])
    with xp.errstate(over="ignore", invalid="ignore"):
        negative = 2.0 * xp.exp(v * v) - out
    out = xp.where(v < 0, xp.where(xp.isinf(v), xp.inf, negative), out)
    return out.astype(x.dtype)


Erfcx = _special(
    "Erfcx",
    "SpecialErfcxBackward0",
    _erfcx,
    lambda x, y, g: g * (2.0 * x * y - _TWO_OVER_SQRT_PI),
    "both",
    "e^(x²)·erfc(x), the scaled complementary error function.",
)


# ---------------------------------------------------------------------------------------------
# Regularized incomplete gamma functions P(a, x) (igamma) and Q(a, x) = 1 − P (igammac)

_EPS = 2.0**-53
_TINY = 1e-300


def _gamma_series(a, x):
    """P(a, x) = x^a e^(−x) / Γ(a+1) · Σₙ xⁿ / ((a+1)(a+2)···(a+n))   (A&S 6.5.29), for
    x < a + 1, where the terms shrink; summed until a term is below ε times the sum."""
    term = xp.ones_like(a)
    total = term.copy()
    active = xp.ones_like(a, dtype=bool)  # (on a's device)
    n = 0
    while active.any():
        n += 1
        term[active] = term[active] * x[active] / (a[active] + n)
        total[active] += term[active]
        active &= xp.abs(term) > _EPS * xp.abs(total)
    log_prefactor = a * xp.log(x) - x - _lgamma(a + 1.0)
    return xp.exp(log_prefactor) * total


def _gamma_continued_fraction(a, x):
    """Q(a, x) = x^a e^(−x) / Γ(a) · 1 / (x+1−a − 1·(1−a) / (x+3−a − 2·(2−a) / (x+5−a − ...)))
    (A&S 6.5.31's even form), for x ≥ a + 1, evaluated top-down by Lentz's method: the
    convergents hₙ = hₙ₋₁·Cₙ·Dₙ with Cₙ = bₙ + aₙ/Cₙ₋₁ and Dₙ = 1/(bₙ + aₙ·Dₙ₋₁), until
    CₙDₙ = 1 to ε."""
    b = x + 1.0 - a
    c = xp.full_like(a, 1.0 / _TINY)
    d = 1.0 / b
    h = d.copy()
    active = xp.ones_like(a, dtype=bool)  # (on a's device)
    n = 0
    while active.any():
        n += 1
        i = active
        an = -n * (n - a[i])
        b[i] += 2.0
        di = an * d[i] + b[i]
        di = xp.where(xp.abs(di) < _TINY, _TINY, di)
        ci = b[i] + an / c[i]
        ci = xp.where(xp.abs(ci) < _TINY, _TINY, ci)
        d[i] = 1.0 / di
        c[i] = ci
        delta = ci * d[i]
        h[i] *= delta
        active[i] = xp.abs(delta - 1.0) > _EPS
    log_prefactor = a * xp.log(x) - x - _lgamma(a)
    return xp.exp(log_prefactor) * h


def _incomplete_gamma(a, x, upper: bool):
    """P(a, x) (``upper=False``) or Q(a, x) on arrays of one float dtype, with torch's values
    at the edges: NaN for a < 0, x < 0 or a = x = 0; P = 1 at a = 0 or x = ∞; P = 0 at x = 0
    or a = ∞."""
    dtype = a.dtype
    a, x = xp.broadcast_arrays(a.astype(xp.float64), x.astype(xp.float64))
    p = xp.full_like(a, xp.nan)  # (full_like: on a's device)
    regular = (a > 0) & (x > 0) & xp.isfinite(a) & xp.isfinite(x)
    series = regular & (x < a + 1.0)
    fraction = regular & ~series
    with xp.errstate(all="ignore"):
        p[series] = _gamma_series(a[series], x[series])
        p[fraction] = 1.0 - _gamma_continued_fraction(a[fraction], x[fraction])
        q = xp.subtract(1.0, p, out=xp.empty_like(p))  # an array also when p is 0-d
        q[fraction] = _gamma_continued_fraction(a[fraction], x[fraction])
    ones = ((a == 0) & (x > 0)) | ((x == xp.inf) & (a >= 0) & (a < xp.inf))
    zeros = ((x == 0) & (a > 0)) | ((a == xp.inf) & (x >= 0) & (x < xp.inf))
    p = xp.where(ones, 1.0, xp.where(zeros, 0.0, p))
    q = xp.where(ones, 0.0, xp.where(zeros, 1.0, q))
    return (q if upper else p).astype(dtype)


def _gamma_density(a, x):
    """∂P(a, x)/∂x = x^(a−1) e^(−x) / Γ(a), with Tensor ops (PyTorch's formula)."""
    return ((a - 1.0) * x.log() - x - a.lgamma()).exp()


class Igamma(ArrayFunction):
    """The regularized lower incomplete gamma function P(a, x) (``torch.igamma``)."""

    backward_name = "IgammaBackward0"
    upper = False

    @staticmethod
    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        return _incomplete_gamma(a._data, x._data, type(ctx).upper)

    @staticmethod
    def backward(ctx, grad):
        cls = type(ctx)
        a, x = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            name = "igammac" if cls.upper else "igamma"
            raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
        sign = -1.0 if cls.upper else 1.0
        return None, grad * (sign * _gamma_density(a, x))


class Igammac(Igamma):
    """The regularized upper incomplete gamma function Q(a, x) = 1 − P(a, x)."""

    backward_name = "IgammacBackward0"
    upper = True


# ---------------------------------------------------------------------------------------------
# Hurwitz's zeta function ζ(s, q) = Σₖ (q + k)^(−s)

# B₂ⱼ / (2j)! for j = 1..12, the Euler–Maclaurin coefficients
_BERNOULLI_OVER_FACTORIAL = tuple(
    b / math.factorial(2 * j)
    for j, b in enumerate(
        (
            1 / 6,
            -1 / 30,
            1 / 42,
            -1 / 30,
            5 / 66,
            -691 / 2730,
            7 / 6,
            -3617 / 510,
            43867 / 798,
            -174611 / 330,
            854513 / 138,
            -236364091 / 2730,
        ),
        1,
    )
)


def _hurwitz_zeta(s, q):
    """ζ(s, q) on float64 arrays: the terms (q + k)^(−s) summed directly until w = q + k ≥ s + 10
    (or a term falls below ε times the sum: the rest is negligible), then the Euler–Maclaurin
    tail, whose terms shrink like ((s + 2j) / (2πw))² from there:

        ζ(s, w) ≈ w^(1−s)/(s−1) + w^(−s)/2 + Σⱼ B₂ⱼ/(2j)! · s(s+1)···(s+2j−2) · w^(−s−2j+1).
    """
    w = q.copy()
    total = xp.zeros_like(w)
    active = w < s + 10.0
    while active.any():
        term = w[active] ** -s[active]
        total[active] += term
        w[active] += 1.0
        active[active] = (w[active] < s[active] + 10.0) & (
            xp.abs(term) > _EPS * xp.abs(total[active])
        )
    tail = w ** (1.0 - s) / (s - 1.0) + 0.5 * w**-s
    rising = s.copy()  # s(s+1)···(s+2j−2)
    for j, c in enumerate(_BERNOULLI_OVER_FACTORIAL, 1):
        tail = tail + c * rising * w ** (-s - 2 * j + 1)
        rising = rising * (s + 2 * j - 1) * (s + 2 * j)
    converged = w < s + 10.0  # stopped early: the tail is below the sum's rounding
    return total + xp.where(converged, 0.0, tail)


def zeta_array(s, q):
    """ζ(s, q) with torch's values off the domain: ∞ at s = 1 and at the poles q = 0, −1, ...;
    NaN for s < 1, and for q < 0 with a non-integer s."""
    dtype = s.dtype
    s, q = xp.broadcast_arrays(s.astype(xp.float64), q.astype(xp.float64))
    out = xp.full(s.shape, xp.nan)
    pole = (q <= 0) & (q == xp.floor(q))
    regular = (s > 1) & ~pole & ~((q < 0) & (s != xp.floor(s))) & xp.isfinite(q)
    with xp.errstate(all="ignore"):
        out[regular] = _hurwitz_zeta(s[regular], q[regular])
    out = xp.where((s > 1) & pole, xp.inf, out)
    out = xp.where(s == 1, xp.inf, out)
    return out.astype(dtype)


class Zeta(ArrayFunction):
    """Hurwitz's zeta function ζ(x, q) (``torch.special.zeta``)."""

    backward_name = "SpecialZetaBackward0"

    @staticmethod
    def forward(ctx, s, q):
        ctx.save_for_backward(s, q)
        return zeta_array(s._data, q._data)

    @staticmethod
    def backward(ctx, grad):
        s, q = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        return None, grad * -s * Zeta.apply(s + 1.0, q)


# ---------------------------------------------------------------------------------------------
# Exact float helpers


class FrexpMantissa(ArrayFunction):
    """The mantissa m ∈ [0.5, 1) of x = m · 2ᵉ (``torch.frexp``'s first output); the exponent
    e is kept on the context. dm/dx = 2^(−e), taken as torch does: grad / 2ᵉ."""

    backward_name = "FrexpBackward0"

    @staticmethod
    def forward(ctx, a):
        mantissa, exponent = xp.frexp(a._data)
        ctx.power = xp.ldexp(xp.ones((), dtype=a._data.dtype), exponent)  # 2ᵉ, exact
        ctx.exponent = exponent.astype(xp.int32)
        return mantissa

    @staticmethod
    def backward(ctx, grad):
        return grad / type(grad)._make(ctx.power)


class NextAfter(ArrayFunction):
    """The next float after x towards y (``torch.nextafter``). torch's derivative treats it as
    x itself: the gradient passes to x (0 where x == y, where the result is y) and none to y."""

    backward_name = "NextafterBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp.nextafter(a._data, b._data)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad.masked_fill(a == b, 0.0), grad.new_zeros(grad.shape)


class Angle(PiecewiseConstant):
    """The argument of a real number: 0 for x ≥ 0 (−0 included), π for x < 0, NaN kept. Flat,
    so its gradient is zero (torch's, for real inputs)."""

    @staticmethod
    def forward(ctx, a):
        x = a._data
        return xp.where(x < 0, xp.pi, xp.where(xp.isnan(x), x, 0)).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return (grad.new_zeros(grad.shape),)

    def name(self) -> str:
        return "AngleBackward0"
