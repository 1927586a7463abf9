"""Exact float arithmetic for bit-exact sampling: FMA without hardware FMA, torch's libm and AVX2.

torch's compiled kernels fuse ``a * b + c`` into one fused multiply-add (one rounding); NumPy
rounds twice. ``_fma64`` / ``_fma32`` compute the correctly rounded result from error-free
transformations (TwoSum, TwoProduct, rounding to odd). ``_log`` .. ``_cos`` are the C library's
functions torch calls for float64, and ``_log_avx2`` / ``_sincos_avx2`` the Cephes polynomials
of torch's AVX2 float32 normal kernel, step for step.
"""

import functools
import math

import numpy as np

from gradiente import parallel

_U64 = np.uint64
_TWO_PI = 2.0 * math.pi

# Large arrays are computed in blocks of this many elements: the ten or so float64 temporaries
# of one block stay in a core's cache (whole-array passes over 100M numbers made a VGG-16's
# initialisation take most of a minute), and blocks run on gradiente's threads.
_BLOCK = 1 << 15


def _blockwise(kernel):
    """``kernel`` (element-wise, on arrays of one shape or scalars) applied block by block to
    the flattened arguments, the blocks over the threads; one or a tuple of results, as the
    kernel's. Element-wise, so the numbers are those of one call on the whole arrays."""

    @functools.wraps(kernel)
    def run(*args):
        shapes = [np.shape(a) for a in args if np.ndim(a)]
        shape = np.broadcast_shapes(*shapes) if shapes else ()
        size = math.prod(shape)
        if size <= 2 * _BLOCK:
            return kernel(*args)
        flat = [np.broadcast_to(a, shape).reshape(-1) if np.ndim(a) else a for a in args]

        def part(i, j):
            result = kernel(*(a[i:j] if np.ndim(a) else a for a in flat))
            return result if isinstance(result, tuple) else (result,)

        first = part(0, _BLOCK)  # its dtypes size the outputs
        outs = tuple(np.empty(size, dtype=f.dtype) for f in first)
        for out, values in zip(outs, first):
            out[:_BLOCK] = values

        def blocks(a, b):  # blocks a..b of the rest
            for k in range(a + 1, b + 1):
                i, j = k * _BLOCK, min(size, (k + 1) * _BLOCK)
                for out, values in zip(outs, part(i, j)):
                    out[i:j] = values

        parallel.run_chunks(blocks, -(-size // _BLOCK) - 1)
        outs = tuple(out.reshape(shape) for out in outs)
        return outs if len(outs) > 1 else outs[0]

    return run


def _two_sum(a, b):
    """Knuth's TwoSum: ``s = fl(a + b)`` and the exact error ``e``, so ``a + b == s + e``."""
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


def _two_prod(a, b):
    """Dekker's TwoProduct: ``p = fl(a * b)`` and the exact error ``e``, so ``a * b == p + e``.

    Veltkamp's split cuts each factor into two 26-bit halves whose products are exact.
    """
    p = a * b
    ta, tb = 134217729.0 * a, 134217729.0 * b  # 2**27 + 1
    ah, bh = ta - (ta - a), tb - (tb - b)
    al, bl = a - ah, b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def _add_round_to_odd(a, b):
    """``a + b`` rounded *to odd*: if inexact, pick the neighbour whose last bit is 1.

    Rounding to odd keeps a "sticky" trace of the discarded bits, so rounding the result once
    more (to a shorter format, or after one more addition) is still correctly rounded.
    """
    s, e = _two_sum(a, b)
    fix = (e != 0) & ((s.view(np.int64) & 1) == 0)
    if np.any(fix):
        s = np.where(fix, np.nextafter(s, np.where(e > 0, np.inf, -np.inf)), s)
    return s


@_blockwise
def _fma64(a, b, c):
    """Correctly rounded ``a * b + c`` in float64 (Boldo & Melquiond, 2008).

    ``a*b = ph + pl`` exactly, ``c + ph = sh + sl`` exactly; the three small parts are added
    with rounding to odd, and the final addition rounds once, correctly.
    """
    a, b, c = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (a, b, c)))
    ph, pl = _two_prod(a, b)
    sh, sl = _two_sum(c, ph)
    return sh + _add_round_to_odd(sl, pl)


@_blockwise
def _fma32(a, b, c):
    """Correctly rounded ``a * b + c`` in float32, computed in float64.

    The product of two float32 is exact in float64; ``p + c`` then rounds once to float64 and
    once more to float32. That double rounding errs only when the float64 sum lands exactly on
    a midpoint between two float32 (or in float32's subnormal range); those rare entries are
    recomputed with rounding to odd, which makes the second rounding correct.
    """
    p = np.multiply(a, b, dtype=np.float64)
    s = np.add(p, c, dtype=np.float64)
    low29 = s.view(np.uint64) & _U64(0x1FFFFFFF)  # the bits float64 has and float32 lacks
    risky = (low29 == _U64(0x10000000)) | (np.abs(s) < 2.0**-125)
    if np.any(risky):
        c = np.broadcast_to(np.asarray(c, dtype=np.float64), s.shape)
        s[risky] = _add_round_to_odd(p[risky], c[risky])
    return s.astype(np.float32)


def _affine(x: np.ndarray, scale: float, shift: float) -> np.ndarray:
    """torch's ``x * scale + shift`` with one rounding (an FMA) in ``x``'s dtype."""
    scale, shift = x.dtype.type(scale), x.dtype.type(shift)
    if shift == 0 or scale == 1:
        return x * scale + shift  # one of the two operations is exact: same result as FMA
    return _fma32(x, scale, shift) if x.dtype == np.float32 else _fma64(x, scale, shift)


def _elementwise(math_fn):
    """Apply a ``math`` function (the C library's) to every element of a float64 array."""

    def apply(x: np.ndarray) -> np.ndarray:
        return np.fromiter(map(math_fn, x.ravel().tolist()), np.float64, x.size).reshape(x.shape)

    return apply


def _libm(name: str):
    """``np.<name>`` when it agrees with the C library's, else ``math.<name>`` element-wise.

    torch calls the C library's ``log``, ``log1p``, ``sin``, ``cos`` (float64). NumPy calls the
    same functions on most machines, but has its own SIMD versions on some CPUs (AVX-512) that
    may differ in the last bit. A quick check at import picks the exact one.
    """
    np_fn, exact = getattr(np, name), _elementwise(getattr(math, name))
    probe = (np.arange(1, 4097, dtype=np.float64) * 0.6180339887498949) % 1.0
    probe = {"log": 1.0 - probe, "log1p": -probe}.get(name, _TWO_PI * probe)
    return np_fn if np.array_equal(np_fn(probe), exact(probe)) else exact


_log, _log1p, _sin, _cos = (_libm(f) for f in ("log", "log1p", "sin", "cos"))


# Constants of the Cephes single-precision log/sin/cos used by torch's avx_mathfun.h
_LOG_P = (
    7.0376836292e-2,
    -1.1514610310e-1,
    1.1676998740e-1,
    -1.2420140846e-1,
    1.4249322787e-1,
    -1.6668057665e-1,
    2.0000714765e-1,
    -2.4999993993e-1,
    3.3333331174e-1,
)
_LOG_Q1, _LOG_Q2 = np.float32(-2.12194440e-4), np.float32(0.693359375)  # ln 2 ≈ Q2 + Q1
_SQRT_HALF = np.float32(0.707106781186547524)
_FOUR_OVER_PI = np.float32(1.27323954473516)
# -π/4 split in three parts (DP1 + DP2 + DP3) so that j·π/4 is subtracted with extra precision
_DP = tuple(
    np.float32(d) for d in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8)
)
_SIN_P = tuple(np.float32(c) for c in (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1))
_COS_P = tuple(
    np.float32(c) for c in (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2)
)


@_blockwise
def _log_avx2(x: np.ndarray) -> np.ndarray:
    """float32 natural log exactly as torch's ``log256_ps`` computes it (x in (0, 1]).

    Write ``x = m · 2**e`` with ``m`` in [√½, √2); then
    ``log x = (m - 1) - (m-1)²/2 + (m-1)³ P(m-1) + e ln 2``, with ``ln 2`` split in two
    constants so ``e ln 2`` loses no bits. torch's compiler fused each ``y * x + c`` into an FMA.
    """
    f32 = np.float32
    bits = np.maximum(x, f32(1.1754944e-38)).view(np.int32)  # no subnormals
    e = ((bits >> 23) - 127).astype(f32) + f32(1)
    m = ((bits & ~0x7F800000) | 0x3F000000).view(f32)  # mantissa scaled into [0.5, 1)
    small = m < _SQRT_HALF  # then use 2m in [1, √2) and one less in the exponent
    e = e - np.where(small, f32(1), f32(0))
    x = (m - f32(1)) + np.where(small, m, f32(0))
    z = x * x
    y = np.full_like(x, f32(_LOG_P[0]))
    for p in _LOG_P[1:]:
        y = _fma32(y, x, f32(p))
    y = y * x
    y = _fma32(y, z, e * _LOG_Q1)
    y = _fma32(-z, f32(0.5), y)
    return _fma32(e, _LOG_Q2, x + y)


@_blockwise
def _sincos_avx2(x: np.ndarray):
    """float32 (sin x, cos x) exactly as torch's ``sincos256_ps`` computes them (x ≥ 0).

    Cephes' method: ``j`` = the octant of ``x`` rounded up to even, ``x - j·π/4`` reduces the
    argument to [-π/4, π/4] (with π/4 split in three for accuracy), where one polynomial gives
    sine and another cosine; ``j`` then says which one is which and the signs.
    """
    f32 = np.float32
    j = (x * _FOUR_OVER_PI).astype(np.int32)  # truncation, like cvttps
    j = (j + 1) & ~1
    y = j.astype(f32)
    for dp in _DP:
        x = _fma32(y, dp, x)
    sin_negative = (j & 4) != 0
    cos_negative = (~(j - 2) & 4) != 0
    use_sin_poly = (j & 2) == 0  # for the sine; the cosine takes the other one
    z = x * x
    c = _fma32(_fma32(np.full_like(x, _COS_P[0]), z, _COS_P[1]), z, _COS_P[2])
    c = _fma32(c * z, z, -(z * f32(0.5))) + f32(1)
    s = _fma32(_fma32(np.full_like(x, _SIN_P[0]), z, _SIN_P[1]), z, _SIN_P[2])
    s = _fma32(s * z, x, x)
    sin = np.where(use_sin_poly, s, c)
    cos = np.where(use_sin_poly, c, s)
    return np.where(sin_negative, -sin, sin), np.where(cos_negative, -cos, cos)
