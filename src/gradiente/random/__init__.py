"""The PyTorch-compatible random number generator: torch's CPU Mersenne Twister and its samplers.

Every sampler here reproduces, bit for bit, what PyTorch 2.13 computes on the CPU for the same
seed, so ``gradiente.manual_seed(0); gradiente.randn(3)`` equals ``torch.manual_seed(0);
torch.randn(3)``. That is more than "the same algorithm": it needs the same raw bits, the same
way of turning bits into floats, the same rounding of every float operation (torch's compiler
fuses ``a * b + c`` into one fused multiply-add, FMA), and for float32 normals even the same
polynomial approximations of log, sin and cos that torch's AVX2 kernel uses.

The raw source is the 32-bit Mersenne Twister MT19937 (Matsumoto & Nishimura, 1998); NumPy's
``MT19937`` bit generator produces its stream, vectorised. Torch reads it two ways:

- ``random()``: one 32-bit word;
- ``random64()``: two words, the first one drawn as the high half: ``(w0 << 32) | w1``.

Everything else is a recipe on top of these words, documented at each sampler below.

Threads: as in PyTorch, there is one default generator for the whole process, shared by every
thread, and each draw (one call of a sampler, e.g. one ``randn``) holds the generator's lock
from its first word to its last, so two threads never interleave words inside one tensor. Which
thread draws first is up to the scheduler; a thread that needs its own reproducible stream
passes its own ``Generator``.
"""

# NOTE: sampling is host-side (NumPy) like torch's CPU generator. The package: generator.py (the
# MT19937 state), exact_math.py (FMA, libm, AVX2 log/sincos), shuffle.py (randperm's swaps);
# the samplers are below, in this module, and read ``_log`` .. ``_cos`` and ``_RANDPERM_SMALL``
# from it.
import math
import warnings

import numpy as np

from gradiente import backend as B
from gradiente import parallel
from gradiente.random.exact_math import (
    _TWO_PI,
    _affine,
    _cos,
    _elementwise,
    _fma32,  # noqa: F401  (re-exported: tensor factories use exact FMA)
    _fma64,
    _log,
    _log1p,
    _log_avx2,
    _sin,
    _sincos_avx2,
)
from gradiente.random.generator import (
    _U64,
    DEFAULT_SEED,  # noqa: F401
    Generator,
    _gen,
    _one_draw,
    default_generator,
    fork_rng,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from gradiente.random.shuffle import _fisher_yates, _inside_out

__all__ = [
    "Generator",
    "default_generator",
    "manual_seed",
    "seed",
    "initial_seed",
    "get_rng_state",
    "set_rng_state",
    "fork_rng",
    "uniform",
    "normal",
    "normal_tensor",
    "randint",
    "random_",
    "randperm",
    "bernoulli",
    "exponential",
    "cauchy",
    "log_normal",
    "geometric",
    "poisson",
]

_MASK24 = _U64((1 << 24) - 1)  # float32 has a 24-bit significand
_MASK53 = _U64((1 << 53) - 1)  # float64 has a 53-bit significand
_CANONICAL_BLOCK = 1 << 20  # uniforms made per block of words


# ---------------------------------------------------------------------------------------------
# Uniform
# ---------------------------------------------------------------------------------------------


def _canonical(gen: Generator, n: int, dtype) -> np.ndarray:
    """``n`` uniforms in [0, 1) the way torch makes them.

    float32: ``(random() & (2**24 - 1)) * 2**-24`` — 24 bits, one word each;
    float64: ``(random64() & (2**53 - 1)) * 2**-53`` — 53 bits, two words each.
    """
    single = np.dtype(dtype) == np.float32
    out = np.empty(n, dtype=np.float32 if single else np.float64)
    # in blocks: the words are drawn in order, and no temporary is the size of the whole
    # (a VGG-16's 123M-number layer would otherwise allocate and fault in gigabytes)
    for start in range(0, n, _CANONICAL_BLOCK):
        m = min(_CANONICAL_BLOCK, n - start)
        if single:
            words = (gen._random(m) & _MASK24).astype(np.float32)
            np.multiply(words, np.float32(2.0**-24), out=out[start : start + m])
        else:
            words = (gen._random64(m) & _MASK53).astype(np.float64)
            np.multiply(words, 2.0**-53, out=out[start : start + m])
    return out


def _float_dtype(dtype, reduced=False) -> np.dtype:
    """``dtype`` as a NumPy dtype, checked to be one the sampler draws: float32 or float64, and
    with ``reduced`` also the 16-bit floats (float16, bfloat16)."""
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64) and not (reduced and _is_reduced(dtype)):
        raise TypeError(f"expected float32 or float64, got {dtype}")
    return dtype


def _is_reduced(dtype) -> bool:
    """float16 or bfloat16: drawn as float32 samples and rounded (torch's CPU kernels)."""
    return dtype == np.float16 or dtype == B.BF16


def _round_to(x: np.ndarray, dtype) -> np.ndarray:
    """Float samples cast to ``dtype``; a 16-bit float goes through float32 first, as C++'s
    ``static_cast<Half>(double)`` does (the one constructor takes a float)."""
    if _is_reduced(dtype):
        return B.cast(x.astype(np.float32, copy=False), dtype)
    return x.astype(dtype, copy=False)


def _shape(shape) -> tuple:
    return (int(shape),) if np.ndim(shape) == 0 else tuple(int(s) for s in shape)


@_one_draw
def uniform(shape, dtype, low=0.0, high=1.0, generator=None) -> np.ndarray:
    """Uniform samples in [low, high): ``torch.rand`` and ``Tensor.uniform_(low, high)``.

    torch: ``u * (high - low) + low`` with ``u`` from 24 bits (float32) or 53 bits (float64);
    ``low``, ``high`` are first cast to ``dtype`` and the formula is one FMA in ``dtype``.
    float16/bfloat16: the float32 formula (with the 16-bit ``high - low``), rounded; a value
    that rounds up to ``high`` becomes ``low``, keeping [low, high) half-open.
    """
    dtype, shape = _float_dtype(dtype, reduced=True), _shape(shape)
    if _is_reduced(dtype):
        lo, hi = (B.cast(np.array(v, np.float32), dtype) for v in (low, high))
        span = B.cast(hi.astype(np.float32) - lo.astype(np.float32), dtype).astype(np.float32)
        if not lo <= hi:
            raise RuntimeError(
                f"uniform_ expects to return a [from, to) range, but found {low}>{high}"
            )
        u = _canonical(_gen(generator), math.prod(shape), np.float32)
        out = B.cast(_affine(u, span, lo.astype(np.float32)), dtype)
        out[out >= hi] = lo
        return out.reshape(shape)
    lo, hi = dtype.type(low), dtype.type(high)
    if not lo <= hi:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found {low}>{high}")
    u = _canonical(_gen(generator), math.prod(shape), dtype)
    return _affine(u, hi - lo, lo).reshape(shape)


# ---------------------------------------------------------------------------------------------
# Normal
# ---------------------------------------------------------------------------------------------


def _box_muller_pairs(u1: np.ndarray, u2: np.ndarray):
    """Box–Muller (1958): two independent N(0, 1) from two uniforms, as torch's scalar path.

    ``r = sqrt(-2 log(1 - u2))``, ``θ = 2π u1``; the pair is ``(r cos θ, r sin θ)``.
    ``1 - u2`` lies in (0, 1], so the log is finite; torch writes it ``log1p(-u2)``.
    """
    r = np.sqrt(-2.0 * _log1p(-u2))
    theta = _TWO_PI * u1
    return r * _cos(theta), r * _sin(theta)


def _normal_scalar_path(gen: Generator, n: int) -> np.ndarray:
    """``n`` standard normals (float64) drawn one at a time as torch does for small tensors.

    A draw returns the cached value if there is one; otherwise it takes two float64 uniforms,
    returns ``r cos θ`` and caches ``r sin θ``. The result is the same as pairing up the draws,
    which is how it is vectorised here.
    """
    out = np.empty(n)
    start = 0
    if n > 0 and gen._next_normal is not None:
        out[0], gen._next_normal, start = gen._next_normal, None, 1
    todo = n - start
    pairs = (todo + 1) // 2
    u = _canonical(gen, 2 * pairs, np.float64)
    z_cos, z_sin = _box_muller_pairs(u[0::2], u[1::2])
    z = np.empty(2 * pairs)
    z[0::2], z[1::2] = z_cos, z_sin
    out[start:] = z[:todo]
    if todo % 2 == 1:
        gen._next_normal = float(z_sin[-1])  # the unused partner waits for the next draw
    return out


def _normal_fill_float64(u: np.ndarray, mean: float, std: float) -> np.ndarray:
    """torch's ``normal_fill_16`` over blocks of 16 float64 uniforms (all blocks at once).

    In each block, element ``j`` (0..7) and ``j + 8`` become one Box–Muller pair:
    ``r = sqrt(-2 log(1 - u[j]))``, ``θ = 2π u[j+8]``, ``out[j] = r cos θ``,
    ``out[j+8] = r sin θ``; then ``out * std + mean`` (one FMA).
    """
    b = u.reshape(-1, 2, 8)  # (blocks, first/second half, 8)
    radius = np.sqrt(-2.0 * _log(1.0 - b[:, 0]))
    theta = _TWO_PI * b[:, 1]
    z = np.stack([radius * _cos(theta), radius * _sin(theta)], axis=1)
    return _affine(z, std, mean).reshape(-1)


def _normal_fill_float32(u: np.ndarray, mean: float, std: float) -> np.ndarray:
    """torch's ``normal_fill_16_AVX2`` over blocks of 16 float32 uniforms (all blocks at once).

    Same pairing as the float64 fill, but every step is float32 and log/sin/cos are the Cephes
    polynomials above: ``r = sqrt(-2 log(1 - u[j]))``, ``θ = float32(2π) · u[j+8]``.
    """
    b = u.reshape(-1, 2, 8)
    radius = np.sqrt(np.float32(-2) * _log_avx2(np.float32(1) - b[:, 0]))
    sin, cos = _sincos_avx2(np.float32(_TWO_PI) * b[:, 1])
    z = np.stack([radius * cos, radius * sin], axis=1)
    return _affine(z, std, mean).reshape(-1)


@_one_draw
def normal(shape, dtype, mean=0.0, std=1.0, generator=None, contiguous=True) -> np.ndarray:
    """Normal samples N(mean, std²): ``torch.randn`` and ``Tensor.normal_(mean, std)``.

    torch has two paths:

    - fewer than 16 elements, or a destination that is not contiguous (``contiguous=False``: a
      transposed or strided view, filled in its memory order by the caller): one scalar
      Box–Muller draw at a time in float64 (with the cached partner, see
      ``_normal_scalar_path``), ``z * std + mean`` as one FMA, then cast;
    - 16 or more, contiguous: fill the tensor with uniforms of its own dtype, transform each
      block of 16 (``_normal_fill_float64`` / ``_normal_fill_float32``); if the size is not a
      multiple of 16, draw 16 fresh uniforms and recompute the last 16 elements from them.

    float16/bfloat16 take the float32 paths and round; with 16 or more elements torch draws
    uniforms only for the whole blocks, then the 16 fresh ones (``_normal_reduced``).
    """
    dtype, shape = _float_dtype(dtype, reduced=True), _shape(shape)
    if not std >= 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    gen, n = _gen(generator), math.prod(shape)
    if n < 16 or not contiguous:
        return _round_to(_affine(_normal_scalar_path(gen, n), std, mean), dtype).reshape(shape)
    if _is_reduced(dtype):
        return _normal_reduced(gen, n, dtype, mean, std).reshape(shape)
    fill = _normal_fill_float32 if dtype == np.float32 else _normal_fill_float64
    u = _canonical(gen, n, dtype)
    out = np.empty(n, dtype=dtype)
    full = n - n % 16

    def fill_blocks(a, b):  # blocks a..b of 16: element-wise, so any split gives the same bits
        for start in range(a, b, 2048):  # ~20 passes over 32K numbers: they stay in cache
            stop = min(start + 2048, b)
            out[16 * start : 16 * stop] = fill(u[16 * start : 16 * stop], mean, std)

    parallel.run_chunks(fill_blocks, full // 16, grain=2048)
    if full < n:
        out[n - 16 :] = fill(_canonical(gen, 16, dtype), mean, std)
    return out.reshape(shape)


def _normal_reduced(gen: Generator, n: int, dtype, mean: float, std: float) -> np.ndarray:
    """``n >= 16`` float16/bfloat16 normals: float32 uniforms for the whole blocks of 16,
    transformed as float32's (``_normal_fill_float32``); a partial last block is the last 16
    elements recomputed from 16 fresh uniforms, as for float32 — but no uniforms were drawn for
    that partial block first (torch's numbers, checked against it)."""
    full = n - n % 16
    out = np.empty(n, dtype=np.float32)
    out[:full] = _normal_fill_float32(_canonical(gen, full, np.float32), mean, std)
    if full < n:
        out[n - 16 :] = _normal_fill_float32(_canonical(gen, 16, np.float32), mean, std)
    return B.cast(out, dtype)


@_one_draw
def normal_tensor(mean, std, generator=None) -> np.ndarray:
    """``torch.normal(mean, std)`` with tensors: one sample per broadcast element.

    torch draws standard normals first and then applies two separate (not fused) operations:
    with a tensor ``std``: ``z.mul_(std).add_(mean)``; with a Python-number ``std``:
    ``normal_(0, std)`` then ``add_(mean)``. The result dtype follows NumPy/torch promotion.
    """
    mean_is_array, std_is_array = isinstance(mean, np.ndarray), isinstance(std, np.ndarray)
    if not (mean_is_array or std_is_array):
        raise TypeError("normal_tensor needs mean or std as an array; use normal() for numbers")
    arrays = [a for a in (mean, std) if isinstance(a, np.ndarray)]
    dtype = _float_dtype(np.result_type(*arrays))
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    if std_is_array:
        if np.any(std < 0):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        z = normal(shape, dtype, generator=generator)
        return z * std.astype(dtype) + (mean.astype(dtype) if mean_is_array else dtype.type(mean))
    return normal(shape, dtype, 0.0, std, generator=generator) + mean.astype(dtype)


# ---------------------------------------------------------------------------------------------
# Integers
# ---------------------------------------------------------------------------------------------

_RANDOM_MODULUS = {  # Tensor.random_() without bounds: [0, max] for ints, [0, 2**digits] floats
    np.dtype(np.float32): (1 << 24) + 1,
    np.dtype(np.float64): (1 << 53) + 1,
    np.dtype(np.int64): 1 << 63,
    np.dtype(np.int32): 1 << 31,
    np.dtype(np.int16): 1 << 15,
    np.dtype(np.int8): 1 << 7,
    np.dtype(np.uint8): 1 << 8,
}


def _from_to(gen: Generator, n: int, low: int, span: int) -> np.ndarray:
    """torch's ``uniform_int_from_to``: ``(word % span) + low`` as int64 (wrapping).

    The word is ``random64()`` when ``span >= 2**28`` (the modulo skew stays small), else
    ``random()``.
    """
    words = gen._random64(n) if span >= 1 << 28 else gen._random(n)
    with np.errstate(over="ignore"):
        return ((words % _U64(span)) + _U64(low & 0xFFFFFFFFFFFFFFFF)).view(np.int64)


# torch's names of the dtypes whose range ``randint`` checks (C++ type names, as it prints them)
_RANGE_NAMES = {
    np.dtype(np.bool_): "bool",
    np.dtype(np.int8): "signed char",
    np.dtype(np.uint8): "unsigned char",
    np.dtype(np.int16): "short int",
    np.dtype(np.int32): "int",
    np.dtype(np.float16): "c10::Half",
}


def _check_from_to(low: int, high: int, dtype) -> None:
    """torch's ``check_from_to_in_range``: ``from`` and ``to - 1`` must be values of ``dtype``
    (a narrow one: int32, int16, int8, uint8, bool, float16), else a ``RuntimeError``; then,
    for a float dtype, a warning past the integers it holds exactly."""
    dtype = np.dtype(dtype)
    name = _RANGE_NAMES.get(dtype)
    if name is not None:
        info = np.finfo(dtype) if dtype.kind == "f" else None
        lo, hi = (0, 1) if dtype == np.bool_ else (
            (float(info.min), float(info.max)) if info is not None else
            (int(np.iinfo(dtype).min), int(np.iinfo(dtype).max))
        )  # fmt: skip
        for value, what in ((low, "from"), (high - 1, "to - 1")):
            if not lo <= value <= hi:
                raise RuntimeError(f"{what} is out of bounds for {name}")
    _warn_beyond_exact_integers(low, high, dtype)


# A float type holds every integer in [-2^digits, 2^digits] (digits: its significand's bits)
_FLOAT_DIGITS = {np.dtype(np.float16): (11, "c10::Half"), np.dtype(np.float32): (24, "float"),
                 np.dtype(np.float64): (53, "double")}  # fmt: skip


def _warn_beyond_exact_integers(low: int, high: int, dtype) -> None:
    """torch's warning for a float ``randint``/``random_`` range past the integers the dtype
    holds exactly (gradiente then still draws the int64 stream and rounds: torch's numbers
    differ there)."""
    digits, name = _FLOAT_DIGITS.get(np.dtype(dtype), (None, None))
    if digits is None:
        return
    for value, what in ((low, "from"), (high - 1, "to - 1")):
        if not -(2**digits) <= value <= 2**digits:
            warnings.warn(
                f"{what} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision "
                f"limitations {name} can support discrete uniform distribution only within "
                "this range. This warning will become an error in version 1.7 release, please "
                "fix the code in advance",
                UserWarning,
                stacklevel=4,
            )


@_one_draw
def randint(low, high, shape, dtype=np.int64, generator=None) -> np.ndarray:
    """Integers uniform in [low, high): ``torch.randint(low, high, shape)``."""
    low, high, shape = int(low), int(high), _shape(shape)
    if not low < high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got {low} >= {high}")
    _check_from_to(low, high, dtype)
    values = _from_to(_gen(generator), math.prod(shape), low, high - low)
    return values.astype(dtype).reshape(shape)


@_one_draw
def random_(shape, dtype, low=None, high=None, generator=None) -> np.ndarray:
    """``Tensor.random_`` semantics.

    - no bounds: ``[0, 2**digits]`` for floats (24 or 53 bits), ``[0, max]`` for ints, one word
      (two for int64/float64) reduced modulo the count; bool takes the lowest bit;
    - ``high`` only: ``[0, high)``; both: ``[low, high)`` — as ``randint``;
    - ``low`` only (torch: ``random_(low, None)``): ``[low, 2**digits]`` for floats,
      ``[low, max]`` for ints; ``low = -2**63`` is the full int64 range (one raw ``random64()``
      each).
    """
    dtype, shape = np.dtype(dtype), _shape(shape)
    gen, n = _gen(generator), math.prod(shape)
    if low is None and high is None:
        if dtype == np.bool_:
            return (gen._random(n) & _U64(1)).astype(np.bool_).reshape(shape)
        if dtype not in _RANDOM_MODULUS:
            raise TypeError(f"random_ does not support dtype {dtype}")
        words = gen._random64(n) if dtype in (np.int64, np.float64) else gen._random(n)
        return (words % _U64(_RANDOM_MODULUS[dtype])).astype(dtype).reshape(shape)
    if high is not None:
        return randint(0 if low is None else low, high, shape, dtype, generator)
    low = int(low)
    if low == -(1 << 63):  # the full int64 range: one raw random64() per element
        return gen._random64(n).view(np.int64).astype(dtype).reshape(shape)
    if dtype.kind == "f":
        top = 1 << (24 if dtype == np.float32 else 53)
    elif dtype == np.bool_:
        top = 1
    else:
        top = int(np.iinfo(dtype).max)
    bottom = int(np.iinfo(dtype).min) if dtype.kind in "iu" else -top
    if not bottom <= low <= top:
        raise RuntimeError(f"random_ expects 'from' in [{bottom}, {top}], but got {low}")
    return _from_to(gen, n, low, top - low + 1).astype(dtype).reshape(shape)


_RANDPERM_SMALL = 4294967295 // 20  # torch: n < UINT32_MAX / 20 uses 32-bit draws


@_one_draw
def randperm(n, dtype=np.int64, generator=None) -> np.ndarray:
    """A random permutation of ``0..n-1``: ``torch.randperm(n)``.

    torch (CPU): for ``n < 2**32 / 20`` a Fisher–Yates shuffle of ``arange(n)``,
    ``swap(a[i], a[i + random() % (n - i)])`` for ``i = 0..n-2``; for larger ``n`` the
    inside-out variant with ``z = random64() % (i + 1)``. The draws are made at once and the
    sequence of swaps is resolved with array operations (see ``_fisher_yates``).
    """
    n = int(n)
    if n < 0:
        raise RuntimeError(f"randperm expects n >= 0, got {n}")
    gen = _gen(generator)
    if n == 0:
        return np.empty(0, dtype=dtype)
    if n < _RANDPERM_SMALL:
        i = np.arange(max(n - 1, 0), dtype=np.uint64)  # steps 0..n-2
        offset = gen._random(i.size) % (_U64(n) - i)  # z[i] - i, in [0, n - i)
        z = np.append(i + offset, n - 1).astype(np.int64)[:n]  # last position: z = i, no swap
        perm = _fisher_yates(z)
    else:
        i = np.arange(n, dtype=np.uint64)
        perm = _inside_out((gen._random64(n) % (i + _U64(1))).astype(np.int64))
    return perm.astype(dtype)


# ---------------------------------------------------------------------------------------------
# Bernoulli and exponential
# ---------------------------------------------------------------------------------------------


@_one_draw
def bernoulli(p, shape, dtype, generator=None) -> np.ndarray:
    """0/1 samples with P(1) = p: ``Tensor.bernoulli_(p)`` and ``torch.bernoulli(p_tensor)``.

    torch returns ``u < p``. With a number ``p`` (``bernoulli_(0.5)``, used by ``F.dropout``)
    ``u`` is a float64 uniform (53 bits, two words) for every output dtype. With an array ``p``,
    broadcast to ``shape``, ``u`` has p's precision: float64 p → 53 bits, otherwise float32 p →
    24 bits (one word). Draws follow the output in C order.
    """
    shape, gen = _shape(shape), _gen(generator)
    n = math.prod(shape)
    if isinstance(p, np.ndarray):
        p_dtype = np.float64 if p.dtype == np.float64 else np.float32
        probs = np.broadcast_to(p.astype(p_dtype, copy=False), shape)
        if np.any((probs < 0) | (probs > 1)):
            raise RuntimeError("bernoulli expects all elements of p in [0, 1]")
        u = _canonical(gen, n, p_dtype).reshape(shape)
    else:
        probs = float(p)
        if not 0 <= probs <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={probs}")
        u = _canonical(gen, n, np.float64).reshape(shape)
    return (u < probs).astype(dtype)


@_one_draw
def exponential(shape, dtype, lambd=1.0, generator=None) -> np.ndarray:
    """Exponential samples with rate ``lambd``: ``Tensor.exponential_(lambd)``.

    Inverse CDF in float64 for every dtype: ``x = -1/λ · log(1 - u)`` (written ``log1p(-u)``),
    ``u`` a 53-bit uniform, then cast.
    """
    dtype, shape = _float_dtype(dtype, reduced=True), _shape(shape)
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    u = _canonical(_gen(generator), math.prod(shape), np.float64)
    return _round_to((-1.0 / lambd) * _log1p(-u), dtype).reshape(shape)


# ---------------------------------------------------------------------------------------------
# Cauchy, log-normal, geometric, Poisson: one float64 draw per element, in memory order
# ---------------------------------------------------------------------------------------------

_tan, _exp = _elementwise(math.tan), _elementwise(math.exp)  # the C library's, as torch calls


@_one_draw
def cauchy(shape, dtype, median=0.0, sigma=1.0, generator=None) -> np.ndarray:
    """Cauchy samples: ``Tensor.cauchy_(median, sigma)``.

    Inverse CDF in float64: ``x = median + sigma · tan(π (u − ½))`` (one FMA), ``u`` a 53-bit
    uniform, then cast.
    """
    dtype, shape = _float_dtype(dtype, reduced=True), _shape(shape)
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    u = _canonical(_gen(generator), math.prod(shape), np.float64)
    x = _fma64(_tan(math.pi * (u - 0.5)), np.float64(sigma), np.float64(median))
    return _round_to(x, dtype).reshape(shape)


@_one_draw
def log_normal(shape, dtype, mean=1.0, std=2.0, generator=None) -> np.ndarray:
    """Log-normal samples: ``Tensor.log_normal_(mean, std)``, ``exp`` of N(mean, std²).

    torch draws every element as a scalar float64 normal (``_normal_scalar_path``, cached
    partner included, whatever the size), ``z · std + mean`` as one FMA, then ``exp``.
    """
    dtype, shape = _float_dtype(dtype, reduced=True), _shape(shape)
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    z = _affine(_normal_scalar_path(_gen(generator), math.prod(shape)), std, mean)
    return _round_to(_exp(z), dtype).reshape(shape)


@_one_draw
def geometric(shape, dtype, p, generator=None) -> np.ndarray:
    """Geometric samples (trials up to the first success, ≥ 1): ``Tensor.geometric_(p)``.

    Inverse CDF in float64: ``k = ceil(log u / log(1 − p))``, ``u`` a 53-bit uniform; cast to
    ``dtype`` (any, integers too).
    """
    shape = _shape(shape)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    u = _canonical(_gen(generator), math.prod(shape), np.float64)
    k = np.ceil(_log(u) / math.log1p(-p))
    return (_round_to(k, dtype) if np.dtype(dtype).kind == "f" else k.astype(dtype)).reshape(shape)


@_one_draw
def poisson(rates: np.ndarray, generator=None) -> np.ndarray:
    """One Poisson(λ) count per element of ``rates``, in memory order: ``torch.poisson``.

    torch's CPU ``sample_poisson``, one scalar draw at a time (``_poisson_one``), as floats of
    ``rates``' dtype.
    """
    gen = _gen(generator)
    flat = np.ascontiguousarray(rates).astype(np.float64).ravel()
    if not np.all(flat >= 0):  # NaN fails too
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    if not np.all(np.isfinite(flat)):  # torch returns garbage for inf; the sampler would not end
        raise RuntimeError("invalid Poisson rate, expected rate to be finite")
    counts = [_poisson_one(lam, gen) for lam in flat.tolist()]
    return np.asarray(counts, dtype=np.float64).astype(rates.dtype).reshape(rates.shape)


def _uniform64(gen: Generator) -> float:
    """One 53-bit float64 uniform, as a Python float (the scalar samplers' draw)."""
    return float(_canonical(gen, 1, np.float64)[0])


def _poisson_one(lam: float, gen: Generator) -> int:
    """One Poisson(λ) count, as torch's CPU ``sample_poisson`` draws it.

    λ ≥ 10: Hörmann's transformed rejection (PTRS, 1993) with its published constants, two
    uniforms per try. λ < 10: Knuth's product of uniforms, X = the number of uniforms whose
    running product stays above e^(−λ).
    """
    if lam >= 10:
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = _uniform64(gen) - 0.5
            v = _uniform64(gen)
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            # accept if log(V · α⁻¹ / (a / us² + b)) ≤ log P(k) = −λ + k log λ − log k!
            accept = math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)
            if accept <= -lam + k * loglam - math.lgamma(k + 1.0):
                return k
    if lam == 0:
        return 0
    count, product, threshold = 0, 1.0, math.exp(-lam)
    while True:
        product *= _uniform64(gen)
        if product > threshold:
            count += 1
        else:
            return count
