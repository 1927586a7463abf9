"""Gamma and Dirichlet draws as torch's CPU samplers make them, and their implicit
reparameterisation gradients.

Sampling: ``_standard_gamma`` (torch's ``_s_gamma_cpu``) runs Marsaglia & Tsang's (2000)
acceptance–rejection method element by element, in memory order, on the generator's float64
uniforms and cached Box–Muller normals: for α < 1 it draws Gamma(α + 1) and multiplies by
U^(1/α). ``_sample_dirichlet`` draws Gamma(α_k) in float64 and normalises. The same seed gives
torch's numbers.

Gradients: a gamma sample x = F⁻¹(u; α) has no closed-form derivative in α. Implicit
reparameterisation (Figurnov et al. 2018) differentiates F(x; α) = u instead:
dx/dα = −(∂F/∂α) / p(x; α). torch approximates that quotient piecewise (a Taylor series for
small x, Rice's saddle-point expansion for large α, a fitted rational function otherwise);
``standard_gamma_grad`` and ``dirichlet_grad`` port those formulas, constant for constant, so
gradients equal torch's for the same sample.
"""

from __future__ import annotations

import math

import numpy as np

from gradiente import backend as B
from gradiente.random import _canonical, _gen, _normal_scalar_path

__all__ = ["dirichlet_grad", "sample_dirichlet", "standard_gamma", "standard_gamma_grad"]

# torch's C++ writes these as float literals (0.0331f, 1.0f / 3.0f, ...), so they take their
# float32 values even in double arithmetic
_F32_ONE_THIRD = float(np.float32(1.0) / np.float32(3.0))
_F32_0331 = float(np.float32(0.0331))
_F32_0_8 = float(np.float32(0.8))
_F32_0_9 = float(np.float32(0.9))
_F32_1_1 = float(np.float32(1.1))


# ---------------------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------------------


def _uniform(gen) -> float:
    """One float64 uniform in [0, 1): 53 bits of one ``random64()``."""
    return float(_canonical(gen, 1, np.float64)[0])


def _normal(gen) -> float:
    """One N(0, 1) of torch's scalar ``normal_distribution<double>`` (Box–Muller, the partner
    cached in the generator)."""
    return float(_normal_scalar_path(gen, 1)[0])


def _gamma_one(alpha, gen, float32: bool) -> float:
    """One Gamma(α, 1) draw, as ATen's ``sample_gamma`` (α of float32 when ``float32``).

    Marsaglia–Tsang: d = α − ⅓, c = 1/√(9d); draw x ~ N(0, 1) until y = 1 + c x > 0, v = y³,
    accept d·v if u < 1 − 0.0331 x⁴ or log u < x²/2 + d (1 − v + log v).
    """
    scale = 1.0
    if alpha < 1.0:  # boost: Gamma(α) = Gamma(α + 1) · U^(1/α)
        if alpha == 0:
            return 0.0
        if float32:
            exponent = float(np.float32(1.0) / np.float32(alpha))
            alpha = float(np.float32(alpha) + np.float32(1.0))
        else:
            exponent = 1.0 / alpha
            alpha = alpha + 1.0
        scale *= (1 - _uniform(gen)) ** exponent
    if float32:
        d = float(np.float32(alpha) - np.float32(_F32_ONE_THIRD))
    else:
        d = alpha - _F32_ONE_THIRD
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        while True:
            x = _normal(gen)
            y = 1.0 + c * x
            if y > 0:
                break
        v = y * y * y
        u = 1 - _uniform(gen)
        xx = x * x
        if u < 1.0 - _F32_0331 * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


def standard_gamma(alpha: np.ndarray, generator=None) -> np.ndarray:
    """Gamma(α, 1) draws for every element of the array ``alpha`` (torch's
    ``_standard_gamma``): float64 arithmetic, rounded to ``alpha``'s dtype, at least its
    smallest normal number."""
    host = np.ascontiguousarray(B.host(alpha))
    float32 = host.dtype == np.float32
    tiny = np.finfo(host.dtype).tiny
    gen = _gen(generator)
    out = np.empty(host.shape, dtype=host.dtype)
    flat = out.reshape(-1)
    with gen.lock:
        for i, a in enumerate(host.reshape(-1).tolist()):
            flat[i] = max(tiny, host.dtype.type(_gamma_one(a, gen, float32)))
    return out


def sample_dirichlet(alpha: np.ndarray, generator=None) -> np.ndarray:
    """Dirichlet(α) draws over the last dimension (torch's ``_sample_dirichlet``): Gamma(α_k)
    in float64 (at least the smallest normal float64), divided by their sum, clamped into
    [tiny, 1⁻] of ``alpha``'s dtype."""
    host = np.ascontiguousarray(B.host(alpha))
    gen = _gen(generator)
    gamma = np.empty(host.shape, dtype=np.float64)
    flat = gamma.reshape(-1)
    tiny64 = np.finfo(np.float64).tiny
    with gen.lock:
        for i, a in enumerate(host.reshape(-1).tolist()):
            flat[i] = max(tiny64, _gamma_one(a, gen, False))
    ratio = (gamma / gamma.sum(-1, keepdims=True)).astype(host.dtype)
    below_one = np.nextafter(host.dtype.type(1), host.dtype.type(0))
    return np.minimum(below_one, np.maximum(np.finfo(host.dtype).tiny, ratio))


# ---------------------------------------------------------------------------------------------
# Reparameterisation gradients
# ---------------------------------------------------------------------------------------------

_PSI_10 = 2.25175258906672110764  # ψ(10)
_DIGAMMA_A = (
    8.33333333333333333333e-2,
    -2.10927960927960927961e-2,
    7.57575757575757575758e-3,
    -4.16666666666666666667e-3,
    3.96825396825396825397e-3,
    -8.33333333333333333333e-3,
    8.33333333333333333333e-2,
)


def _digamma(x: float) -> float:
    """ψ(x) as ATen's ``digamma_one`` (Cephes): reflection for x < 0, the recurrence
    ψ(x) = ψ(x + 1) − 1/x up to x ≥ 10, then the asymptotic series
    log x − 1/2x − Σ B₂ₖ / (2k x²ᵏ)."""
    if x == 0:
        return math.inf
    additional = 0.0
    if x < 0:
        if x == math.floor(x):
            return math.inf
        additional = -math.pi / math.tan(math.pi * x)
        x = 1 - x
    result = 0.0
    while x < 10:
        result -= 1 / x
        x += 1
    if x == 10:
        return result + _PSI_10 + additional
    y = 0.0
    if x < 1.0e17:
        z = 1.0 / (x * x)
        poly = _DIGAMMA_A[0]
        for coefficient in _DIGAMMA_A[1:]:
            poly = poly * z + coefficient
        y = z * poly
    return result + math.log(x) - (0.5 / x) - y + additional


_GAMMA_GRAD_COEF = (
    (0.16009398, -0.094634809, 0.025146376, -0.0030648343, 1, 0.32668115, 0.10406089, 0.0014179084),
    (
        0.53487893,
        0.1298071,
        0.065735949,
        -0.0015649758,
        0.16639465,
        0.020070113,
        -0.0035938915,
        -0.00058392623,
    ),
    (
        0.040121004,
        -0.0065914022,
        -0.0026286047,
        -0.0013441777,
        0.017050642,
        -0.0021309326,
        0.00085092367,
        -1.5247877e-07,
    ),
)


def _standard_gamma_grad_one(alpha: float, x: float) -> float:
    """dx/dα for x ~ Gamma(α, 1): −(∂F(x; α)/∂α) / p(x; α), ATen's ``standard_gamma_grad_one``."""
    if x < _F32_0_8:
        # Taylor series of the regularised lower incomplete gamma function around x = 0:
        # F = x^α Σ_k (−x)ᵏ / (k! (α + k)), and its α-derivative
        numer, denom = 1.0, alpha
        series1 = numer / denom
        series2 = numer / (denom * denom)
        for i in range(1, 6):
            numer *= -x / i
            denom += 1
            series1 += numer / denom
            series2 += numer / (denom * denom)
        pow_x_alpha = x**alpha
        gamma_pdf = x ** (alpha - 1) * math.exp(-x)
        gamma_cdf = pow_x_alpha * series1
        gamma_cdf_alpha = (math.log(x) - _digamma(alpha)) * gamma_cdf - pow_x_alpha * series2
        result = -gamma_cdf_alpha / gamma_pdf
        return 0.0 if math.isnan(result) else result
    if alpha > 8.0:  # Rice's saddle-point expansion
        if _F32_0_9 * alpha <= x <= _F32_1_1 * alpha:
            numer_1 = 1 + 24 * alpha * (1 + 12 * alpha)
            numer_2 = (
                1440 * (alpha * alpha)
                + 6 * x * (53 - 120 * x)
                - 65 * x * x / alpha
                + alpha * (107 + 3600 * x)
            )
            denom = 1244160 * (alpha * alpha) * (alpha * alpha)
            return numer_1 * numer_2 / denom
        denom = math.sqrt(8 * alpha)
        term2 = denom / (alpha - x)
        term3 = (x - alpha - alpha * math.log(x / alpha)) ** -1.5
        term23 = term2 - term3 if x < alpha else term2 + term3
        term1 = math.log(x / alpha) * term23 - math.sqrt(2 / alpha) * (alpha + x) / (
            (alpha - x) * (alpha - x)
        )
        stirling = 1 + 1 / (12 * alpha) * (1 + 1 / (24 * alpha))
        numer = x * term1
        return -stirling * numer / denom
    # a bivariate rational approximation in u = log(x/α), v = log α
    u = math.log(x / alpha)
    v = math.log(alpha)
    c0, c1, c2 = _GAMMA_GRAD_COEF
    coef_v = [c0[i] + u * (c1[i] + u * c2[i]) for i in range(8)]
    p = coef_v[0] + v * (coef_v[1] + v * (coef_v[2] + v * coef_v[3]))
    q = coef_v[4] + v * (coef_v[5] + v * (coef_v[6] + v * coef_v[7]))
    return math.exp(p / q)


def standard_gamma_grad(alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
    """dx/dα for gamma samples ``x`` of concentrations ``alpha`` (torch's
    ``_standard_gamma_grad``), element-wise in float64, cast to ``x``'s dtype."""
    alpha, x = np.broadcast_arrays(B.host(alpha), B.host(x))
    values = [
        _standard_gamma_grad_one(a, v)
        for a, v in zip(alpha.reshape(-1).tolist(), x.reshape(-1).tolist())
    ]
    return np.asarray(values, dtype=np.float64).astype(x.dtype).reshape(x.shape)


def _beta_grad_alpha_small(x: float, alpha: float, beta: float) -> float:
    """The Beta gradient in α for x near 0, by a Taylor expansion."""
    factor = _digamma(alpha) - _digamma(alpha + beta) - math.log(x)
    numer = 1.0
    series = numer / alpha * (factor + 1 / alpha)
    for i in range(1, 11):
        numer *= (i - beta) * x / i
        denom = alpha + i
        series += numer / denom * (factor + 1 / denom)
    result = x * (1 - x) ** -beta * series
    return 0.0 if math.isnan(result) else result


def _beta_grad_beta_small(x: float, alpha: float, beta: float) -> float:
    """The Beta gradient in β for x near 0, by a Taylor expansion."""
    factor = _digamma(alpha + beta) - _digamma(beta)
    numer, betas, dbetas, series = 1.0, 1.0, 0.0, factor / alpha
    for i in range(1, 9):
        numer *= -x / i
        dbetas = dbetas * (beta - i) + betas
        betas = betas * (beta - i)
        series += numer / (alpha + i) * (dbetas + factor * betas)
    result = -((1 - x) ** (1 - beta)) * series
    return 0.0 if math.isnan(result) else result


def _beta_grad_alpha_mid(x: float, alpha: float, beta: float) -> float:
    """The Beta gradient in α when α and β are both large: Rice's saddle-point expansion."""
    total = alpha + beta
    mean = alpha / total
    std = math.sqrt(alpha * beta / (total + 1)) / total
    if mean - 0.1 * std <= x <= mean + 0.1 * std:  # avoid the singularity at x = mean
        poly = 47 * x * (beta * beta) * (beta * beta) + alpha * (
            (43 + 20 * (16 + 27 * beta) * x) * (beta * beta) * beta
            + alpha
            * (
                3 * (59 + 180 * beta - 90 * x) * (beta * beta)
                + alpha
                * (
                    (453 + 1620 * beta * (1 - x) - 455 * x) * beta
                    + alpha * (8 * (1 - x) * (135 * beta - 11))
                )
            )
        )
        prefactor_num = (1 + 12 * alpha) * (1 + 12 * beta) / (total * total)
        prefactor_den = 12960 * alpha * alpha * alpha * beta * beta * (1 + 12 * total)
        return prefactor_num / (1 - x) * poly / prefactor_den
    prefactor = -x / math.sqrt(2 * alpha * beta / total)
    stirling = (
        (1 + 1 / (12 * alpha) + 1 / (288 * alpha * alpha))
        * (1 + 1 / (12 * beta) + 1 / (288 * beta * beta))
        / (1 + 1 / (12 * total) + 1 / (288 * total * total))
    )
    term1_num = 2 * (alpha * alpha) * (x - 1) + alpha * beta * (x - 1) - x * (beta * beta)
    axbx = alpha * (x - 1) + beta * x
    term1_den = math.sqrt(2 * alpha / beta) * total**1.5 * axbx * axbx
    term1 = term1_num / term1_den
    term2 = 0.5 * math.log(alpha / (total * x))
    term3_num = math.sqrt(8 * alpha * beta / total)
    term3_den = beta * x + alpha * (x - 1)
    term3 = term3_num / term3_den
    term4_base = beta * math.log(beta / (total * (1 - x))) + alpha * math.log(alpha / (total * x))
    term4 = term4_base**-1.5
    term1234 = term1 + term2 * (term3 + (term4 if x < mean else -term4))
    return stirling * prefactor * term1234


_DIRICHLET_GRAD_COEF = np.array(
    [
        [
            [
                [1.003668233, -0.01061107488, -0.0657888334, 0.01201642863],
                [0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033],
                [-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013],
            ],
            [
                [0.221950385, -0.3187676331, 0.01799915743, 0.01074823814],
                [-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057],
                [0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05],
            ],
            [
                [-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565],
                [0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181],
                [0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05],
            ],
        ],
        [
            [
                [1, -0.02924021934, -0.04438342661, 0.007285809825],
                [0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521],
                [-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149],
            ],
            [
                [0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273],
                [0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956],
                [-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05],
            ],
            [
                [0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05],
                [0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05],
                [-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06],
            ],
        ],
    ]
).tolist()


def _dirichlet_grad_one(x: float, alpha: float, total: float) -> float:
    """−(∂F/∂α) / p / (1 − x) for x ~ Beta(α, total − α): ATen's ``dirichlet_grad_one``."""
    beta = total - alpha
    boundary = total * x * (1 - x)
    if x <= 0.5 and boundary < 2.5:
        return _beta_grad_alpha_small(x, alpha, beta)
    if x >= 0.5 and boundary < 0.75:
        return -_beta_grad_beta_small(1 - x, beta, alpha)
    if alpha > 6 and beta > 6:
        return _beta_grad_alpha_mid(x, alpha, beta)
    # a rational correction to the analytic approximation x (ψ(total) − ψ(α)) / β
    c = _DIRICHLET_GRAD_COEF
    u = math.log(x)
    a = math.log(alpha) - u
    b = math.log(total) - a
    pow_u = (1.0, u, u * u)
    pow_a = (1.0, a, a * a)
    p = q = 0.0
    for i in range(3):
        for j in range(3):
            ua = pow_u[i] * pow_a[j]
            cp, cq = c[0][i][j], c[1][i][j]
            p += ua * (cp[0] + b * (cp[1] + b * (cp[2] + b * cp[3])))
            q += ua * (cq[0] + b * (cq[1] + b * (cq[2] + b * cq[3])))
    approx = x * (_digamma(total) - _digamma(alpha)) / beta
    return p / q * approx


def dirichlet_grad(x: np.ndarray, alpha: np.ndarray, total: np.ndarray) -> np.ndarray:
    """torch's ``_dirichlet_grad``, element-wise in float64, cast to ``x``'s dtype."""
    x, alpha, total = np.broadcast_arrays(B.host(x), B.host(alpha), B.host(total))
    values = [
        _dirichlet_grad_one(*args)
        for args in zip(
            x.reshape(-1).tolist(), alpha.reshape(-1).tolist(), total.reshape(-1).tolist()
        )
    ]
    return np.asarray(values, dtype=np.float64).astype(x.dtype).reshape(x.shape)
