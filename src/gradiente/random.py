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

# NOTE: sampling is host-side (NumPy) like torch's CPU generator
import functools
import inspect
import math
import os
import threading

import numpy as np

__all__ = [
    "Generator",
    "default_generator",
    "manual_seed",
    "seed",
    "initial_seed",
    "get_rng_state",
    "set_rng_state",
    "uniform",
    "normal",
    "normal_tensor",
    "randint",
    "random_",
    "randperm",
    "bernoulli",
    "exponential",
]

DEFAULT_SEED = 67280421310721  # torch's seed for a fresh Generator (and the default one)

_MT_N = 624  # MT19937 keeps 624 words of state
_U64 = np.uint64
_MASK24 = _U64((1 << 24) - 1)  # float32 has a 24-bit significand
_MASK53 = _U64((1 << 53) - 1)  # float64 has a 53-bit significand
_TWO_PI = 2.0 * math.pi

# torch's serialized generator (``CPUGeneratorImplState``, 5056 bytes): the legacy TH layout
# (seed, twister position, the 624 words stored as uint64, a cached normal) plus a float cache.
# Using the same bytes lets a state move between torch and gradiente in both directions.
_STATE_DTYPE = np.dtype(
    {
        "names": [
            "the_initial_seed",
            "left",
            "seeded",
            "next",
            "state",
            "normal_x",
            "normal_y",
            "normal_rho",
            "normal_is_valid",
            "next_float_normal_sample",
            "is_next_float_normal_sample_valid",
        ],
        "formats": ["<u8", "<i4", "<i4", "<u8", ("<u8", _MT_N), "<f8", "<f8", "<f8", "<i4"]
        + ["<f4", "u1"],
        "offsets": [0, 8, 12, 16, 24, 5016, 5024, 5032, 5040, 5048, 5052],
        "itemsize": 5056,
    }
)


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------


def _init_genrand(seed32: int) -> np.ndarray:
    """MT19937's seeding routine (``init_genrand``): 624 words from one 32-bit seed.

    ``s[0] = seed``, ``s[i] = 1812433253 * (s[i-1] ^ (s[i-1] >> 30)) + i  (mod 2**32)``.
    The recurrence is sequential, but it is only 624 steps and runs once per seeding.
    """
    key = [seed32]
    for i in range(1, _MT_N):
        prev = key[-1]
        key.append((1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF)
    return np.array(key, dtype=np.uint32)


class Generator:
    """A random number generator with torch's CPU semantics (``torch.Generator``).

    State: the MT19937 words, the seed it started from, and one cached standard normal (torch's
    Box–Muller produces normals in pairs and keeps the second one for the next scalar draw).
    """

    def __init__(self, device: str = "cpu") -> None:
        if str(device) != "cpu":
            raise ValueError(f"gradiente's generator lives on the CPU, got device={device!r}")
        self.device = "cpu"
        self.lock = threading.RLock()  # held for a whole draw (see the module docstring)
        self._bitgen = np.random.MT19937(0)  # its stream is replaced by manual_seed below
        self.manual_seed(DEFAULT_SEED)

    def __repr__(self) -> str:
        return f"<gradiente.Generator device='cpu' initial_seed={self._seed}>"

    def __getstate__(self) -> dict:
        # a lock cannot be copied or pickled; a copy gets a lock of its own
        return {k: v for k, v in self.__dict__.items() if k != "lock"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.lock = threading.RLock()

    # --- seeding ------------------------------------------------------------------------------

    def manual_seed(self, seed: int) -> "Generator":
        """Seed the generator like ``torch.Generator.manual_seed``; returns ``self``.

        Any integer in ``[-2**63, 2**64)`` is accepted (negatives wrap to uint64, as in torch).
        The twister only sees the low 32 bits; ``initial_seed()`` keeps all 64.
        """
        seed = int(seed)
        if not -(1 << 63) <= seed < (1 << 64):
            raise RuntimeError(f"manual_seed expects a value in [-2**63, 2**64), got {seed}")
        seed &= (1 << 64) - 1
        with self.lock:
            self._seed = seed
            self._set_mt(_init_genrand(seed & 0xFFFFFFFF), pos=_MT_N)
            self._fresh = True  # no word drawn since seeding (only matters for get_state's bytes)
            self._next_normal = None  # the cached second Box–Muller value, or None
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy (64 bits) and return that seed."""
        value = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(value)
        return value

    def initial_seed(self) -> int:
        """The seed last given to ``manual_seed`` / ``seed`` (as an unsigned 64-bit int)."""
        return self._seed

    # --- state --------------------------------------------------------------------------------

    def get_state(self) -> np.ndarray:
        """The full state as 5056 uint8 bytes, in exactly torch's ``get_rng_state()`` layout."""
        mt = self._bitgen.state["state"]
        pos = int(mt["pos"])
        st = np.zeros((), dtype=_STATE_DTYPE)
        st["the_initial_seed"] = self._seed
        st["seeded"] = 1
        # torch counts down `left` to the next twist and up `next` through the words
        if pos >= _MT_N:
            st["left"], st["next"] = 1, (0 if self._fresh else _MT_N)
        else:
            st["left"], st["next"] = _MT_N + 1 - pos, pos
        st["state"] = mt["key"].astype(np.uint64)
        if self._next_normal is not None:
            st["normal_y"] = self._next_normal
            st["normal_is_valid"] = 1
        return np.frombuffer(st.tobytes(), dtype=np.uint8).copy()

    def set_state(self, state: np.ndarray) -> "Generator":
        """Restore a state from ``get_state()`` (or from ``torch.get_rng_state().numpy()``)."""
        raw = np.ascontiguousarray(np.asarray(state, dtype=np.uint8))
        if raw.size != _STATE_DTYPE.itemsize:
            raise RuntimeError(
                f"expected a generator state of {_STATE_DTYPE.itemsize} bytes, got {raw.size}"
            )
        st = np.frombuffer(raw.tobytes(), dtype=_STATE_DTYPE)[0]
        left, nxt = int(st["left"]), int(st["next"])
        pos = _MT_N if left == 1 else nxt
        with self.lock:
            self._set_mt(st["state"].astype(np.uint32), pos=pos)
            self._seed = int(st["the_initial_seed"])
            self._fresh = left == 1 and nxt == 0
            self._next_normal = float(st["normal_y"]) if st["normal_is_valid"] else None
        return self

    def _set_mt(self, key: np.ndarray, pos: int) -> None:
        self._bitgen.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}

    # --- raw words ----------------------------------------------------------------------------

    def _random(self, n: int) -> np.ndarray:
        """``n`` calls of torch's ``random()``: 32-bit words (held in uint64 for arithmetic)."""
        self._fresh = self._fresh and n == 0
        return self._bitgen.random_raw(n)

    def _random64(self, n: int) -> np.ndarray:
        """``n`` calls of torch's ``random64()``: two words each, the first one is the high half."""
        w = self._random(2 * n)
        return (w[0::2] << _U64(32)) | w[1::2]


default_generator = Generator()


def _gen(generator: Generator | None) -> Generator:
    return default_generator if generator is None else generator


def _one_draw(sampler):
    """Run ``sampler`` holding its generator's lock, so one call is one uninterrupted draw."""
    position = list(inspect.signature(sampler).parameters).index("generator")

    @functools.wraps(sampler)
    def locked(*args, **kwargs):
        generator = args[position] if len(args) > position else kwargs.get("generator")
        with _gen(generator).lock:
            return sampler(*args, **kwargs)

    return locked


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (``torch.manual_seed``); returns it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator non-deterministically and return the seed (``torch.seed``)."""
    return default_generator.seed()


def initial_seed() -> int:
    """The default generator's initial seed (``torch.initial_seed``)."""
    return default_generator.initial_seed()


def get_rng_state() -> np.ndarray:
    """The default generator's state as uint8 bytes (``torch.get_rng_state``)."""
    return default_generator.get_state()


def set_rng_state(state: np.ndarray) -> None:
    """Restore the default generator's state (``torch.set_rng_state``)."""
    default_generator.set_state(state)


# ---------------------------------------------------------------------------------------------
# Exact arithmetic helpers: torch's compiled kernels use FMA, NumPy has none
# ---------------------------------------------------------------------------------------------


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


def _fma64(a, b, c):
    """Correctly rounded ``a * b + c`` in float64 (Boldo & Melquiond, 2008).

    ``a*b = ph + pl`` exactly, ``c + ph = sh + sl`` exactly; the three small parts are added
    with rounding to odd, and the final addition rounds once, correctly.
    """
    a, b, c = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (a, b, c)))
    ph, pl = _two_prod(a, b)
    sh, sl = _two_sum(c, ph)
    return sh + _add_round_to_odd(sl, pl)


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


# ---------------------------------------------------------------------------------------------
# Uniform
# ---------------------------------------------------------------------------------------------


def _canonical(gen: Generator, n: int, dtype) -> np.ndarray:
    """``n`` uniforms in [0, 1) the way torch makes them.

    float32: ``(random() & (2**24 - 1)) * 2**-24`` — 24 bits, one word each;
    float64: ``(random64() & (2**53 - 1)) * 2**-53`` — 53 bits, two words each.
    """
    if np.dtype(dtype) == np.float32:
        return (gen._random(n) & _MASK24).astype(np.float32) * np.float32(2.0**-24)
    return (gen._random64(n) & _MASK53).astype(np.float64) * 2.0**-53


def _float_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"expected float32 or float64, got {dtype}")
    return dtype


def _shape(shape) -> tuple:
    return (int(shape),) if np.ndim(shape) == 0 else tuple(int(s) for s in shape)


@_one_draw
def uniform(shape, dtype, low=0.0, high=1.0, generator=None) -> np.ndarray:
    """Uniform samples in [low, high): ``torch.rand`` and ``Tensor.uniform_(low, high)``.

    torch: ``u * (high - low) + low`` with ``u`` from 24 bits (float32) or 53 bits (float64);
    ``low``, ``high`` are first cast to ``dtype`` and the formula is one FMA in ``dtype``.
    """
    dtype, shape = _float_dtype(dtype), _shape(shape)
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
def normal(shape, dtype, mean=0.0, std=1.0, generator=None) -> np.ndarray:
    """Normal samples N(mean, std²): ``torch.randn`` and ``Tensor.normal_(mean, std)``.

    torch has two paths:

    - fewer than 16 elements: one scalar Box–Muller draw at a time in float64 (with the cached
      partner, see ``_normal_scalar_path``), ``z * std + mean`` as one FMA, then cast;
    - 16 or more: fill the tensor with uniforms of its own dtype, transform each block of 16
      (``_normal_fill_float64`` / ``_normal_fill_float32``); if the size is not a multiple of
      16, draw 16 fresh uniforms and recompute the last 16 elements from them.
    """
    dtype, shape = _float_dtype(dtype), _shape(shape)
    if not std >= 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    gen, n = _gen(generator), math.prod(shape)
    if n < 16:
        return _affine(_normal_scalar_path(gen, n), std, mean).astype(dtype).reshape(shape)
    fill = _normal_fill_float32 if dtype == np.float32 else _normal_fill_float64
    u = _canonical(gen, n, dtype)
    out = np.empty(n, dtype=dtype)
    full = n - n % 16
    out[:full] = fill(u[:full], mean, std)
    if full < n:
        out[n - 16 :] = fill(_canonical(gen, 16, dtype), mean, std)
    return out.reshape(shape)


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


@_one_draw
def randint(low, high, shape, dtype=np.int64, generator=None) -> np.ndarray:
    """Integers uniform in [low, high): ``torch.randint(low, high, shape)``."""
    low, high, shape = int(low), int(high), _shape(shape)
    if not low < high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got {low} >= {high}")
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


def _group_by_target(z: np.ndarray):
    """Group the steps ``k`` of a shuffle by the position ``z[k]`` they write to.

    Returns ``pred[k]``, the previous step (``< k``) with the same target, or -1; and
    ``last[p]``, the last step whose target is ``p``, or -1. One sort does it.
    """
    n = z.size
    keys = np.sort(z * n + np.arange(n))  # by target, then by step (keys are unique)
    order, zs = keys % n, keys // n
    same = zs[1:] == zs[:-1]
    pred = np.full(n, -1, dtype=np.int64)
    pred[order[1:][same]] = order[:-1][same]
    last = np.full(n, -1, dtype=np.int64)
    is_last = np.append(~same, True)
    last[zs[is_last]] = order[is_last]
    return pred, last


def _resolve(pointer: np.ndarray) -> np.ndarray:
    """Follow ``pointer`` chains (each points to itself at its end) to their ends.

    Pointer jumping: ``p = p[p]`` halves every chain at once, so ~log2(length) rounds suffice.
    """
    while True:
        nxt = pointer[pointer]
        if np.array_equal(nxt, pointer):
            return pointer
        pointer = nxt


def _fisher_yates(z: np.ndarray) -> np.ndarray:
    """The result of ``for i: swap(a[i], a[z[i]])`` on ``a = arange(n)``, with ``z[i] >= i``.

    Position ``i`` is final after step ``i`` and receives what position ``z[i]`` held then:
    the value that the previous step ``k`` with target ``z[i]`` put there (the value position
    ``k`` held before step ``k``), or ``z[i]`` itself if no step wrote there. "The value
    position ``k`` held before step ``k``" obeys the same rule, which links steps into chains
    that pointer jumping resolves: no sequential loop over the swaps.
    """
    steps = np.arange(z.size)
    pred, last = _group_by_target(z)
    # the last step that wrote into position k before step k (steps targeting k are <= k)
    before = np.where(last == steps, pred, last)
    held = _resolve(np.where(before >= 0, before, steps))  # value at position k before step k
    return np.where(pred >= 0, held[np.maximum(pred, 0)], z)


def _inside_out(z: np.ndarray) -> np.ndarray:
    """The result of ``for i: a[i] = a[z[i]]; a[z[i]] = i`` (inside-out shuffle, ``z[i] <= i``).

    Position ``p`` ends with the last step ``j`` that targets it, if any (that step wrote
    ``j``), else with what step ``p`` wrote into it: ``p`` if ``z[p] == p``, else what position
    ``z[p]`` held before step ``p`` — the previous step targeting ``z[p]``, or recursively what
    step ``z[p]`` wrote. Again chains, resolved by pointer jumping.
    """
    steps = np.arange(z.size)
    pred, last = _group_by_target(z)
    own = np.where(z == steps, steps, pred)  # what step p wrote, when known directly (else -1)
    written = own[_resolve(np.where(own >= 0, steps, z))]
    return np.where(last >= 0, last, written)


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
    dtype, shape = _float_dtype(dtype), _shape(shape)
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    u = _canonical(_gen(generator), math.prod(shape), np.float64)
    return ((-1.0 / lambd) * _log1p(-u)).astype(dtype).reshape(shape)
