"""gradiente.random against torch's CPU generator: same seed, same bits."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import math  # noqa: E402
from fractions import Fraction  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import gradiente.random as R  # noqa: E402

torch = pytest.importorskip("torch")

SEEDS = [0, 1, 42, 2**32 + 5, 123456789]
SHAPES = [(), (1,), (3,), (15,), (16,), (17,), (100,), (7, 13), (1000,), (100003,)]
DTYPES = [(np.float32, torch.float32), (np.float64, torch.float64)]
INT_DTYPES = {np.int64: torch.int64, np.int32: torch.int32, np.int16: torch.int16}
INT_DTYPES.update({np.int8: torch.int8, np.uint8: torch.uint8, np.float32: torch.float32})
INT_DTYPES.update({np.float64: torch.float64})


def assert_same(ours: np.ndarray, theirs) -> None:
    """Bit-identical: same dtype, shape and bytes (so -0.0 and NaN payloads count too)."""
    theirs = theirs.numpy() if hasattr(theirs, "numpy") else np.asarray(theirs)
    assert ours.dtype == theirs.dtype
    assert ours.shape == theirs.shape
    assert ours.tobytes() == theirs.tobytes()


def assert_same_state(gen=None, torch_gen=None) -> None:
    ours = (gen or R.default_generator).get_state()
    theirs = (torch_gen.get_state() if torch_gen is not None else torch.get_rng_state()).numpy()
    np.testing.assert_array_equal(ours, theirs)


def seed_both(seed: int) -> None:
    torch.manual_seed(seed)
    R.manual_seed(seed)


# --- rand / randn --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype,tdtype", DTYPES)
def test_rand_matches_torch(seed, shape, dtype, tdtype):
    seed_both(seed)
    assert_same(R.uniform(shape, dtype), torch.rand(shape, dtype=tdtype))
    assert_same_state()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype,tdtype", DTYPES)
def test_randn_matches_torch(seed, shape, dtype, tdtype):
    seed_both(seed)
    assert_same(R.normal(shape, dtype), torch.randn(shape, dtype=tdtype))
    assert_same(R.normal(shape, dtype), torch.randn(shape, dtype=tdtype))  # after the cache
    assert_same_state()


@pytest.mark.parametrize("low,high", [(-0.2, 0.2), (0.1, 0.7), (-3.3, 1.1), (2.0, 2.0)])
@pytest.mark.parametrize("shape", [(5,), (6, 25), (1000,)])
@pytest.mark.parametrize("dtype,tdtype", DTYPES)
def test_uniform_bounds_match_torch(low, high, shape, dtype, tdtype):
    seed_both(7)
    expected = torch.empty(shape, dtype=tdtype).uniform_(low, high)
    assert_same(R.uniform(shape, dtype, low, high), expected)


def test_kaiming_uniform_draw():
    seed_both(0)
    assert_same(R.uniform((6, 25), np.float32, -0.2, 0.2), torch.empty(6, 25).uniform_(-0.2, 0.2))


@pytest.mark.parametrize("mean,std", [(0.0, 0.5), (0.5, 2.0), (-1.25, 1.0), (3.0, 0.0)])
@pytest.mark.parametrize("shape", [(3,), (15,), (16,), (40,), (7, 13), (5000,)])
@pytest.mark.parametrize("dtype,tdtype", DTYPES)
def test_normal_mean_std_match_torch(mean, std, shape, dtype, tdtype):
    seed_both(3)
    expected = torch.empty(shape, dtype=tdtype).normal_(mean, std)
    assert_same(R.normal(shape, dtype, mean, std), expected)
    assert_same_state()


def test_lecture_xavier_normal():
    """``torch.manual_seed(1); xavier_normal_(torch.empty(2, 3))``: std = sqrt(2 / (2 + 3))."""
    R.manual_seed(1)
    w = R.normal((2, 3), np.float32, 0.0, math.sqrt(2.0 / 5.0))
    lecture = [[0.4183, 0.1688, 0.0390], [0.3930, -0.2858, -0.1051]]
    np.testing.assert_allclose(w, lecture, atol=5e-5)
    torch.manual_seed(1)
    expected = torch.empty(2, 3)
    torch.nn.init.xavier_normal_(expected)
    assert_same(w, expected)


def test_large_float32_normal_many_blocks():
    """The AVX2 log/sincos emulation over ~half a million Box–Muller pairs."""
    seed_both(11)
    assert_same(R.normal((2**20 + 5,), np.float32), torch.randn(2**20 + 5))


# --- the cached normal and mixed sequences -------------------------------------------------


def test_cached_normal_is_shared_across_dtypes_and_calls():
    seed_both(5)
    for shape, dtype, tdtype in [
        ((1,), np.float64, torch.float64),
        ((1,), np.float32, torch.float32),  # consumes the cached float64 partner
        ((3,), np.float32, torch.float32),
        ((), np.float64, torch.float64),
    ]:
        assert_same(R.normal(shape, dtype), torch.randn(shape, dtype=tdtype))
        assert_same_state()


def test_large_normal_leaves_the_cache_alone():
    seed_both(8)
    assert_same(R.normal((1,), np.float64), torch.randn(1, dtype=torch.float64))  # caches one
    assert_same(R.normal((32,), np.float32), torch.randn(32))  # block path: cache untouched
    assert_same(R.normal((1,), np.float64, 2.0, 3.0), torch.randn(1, dtype=torch.float64) * 3 + 2)
    assert_same_state()


def test_mixed_sequence_on_generator_objects():
    """One Generator through many samplers: the stream and the cache must evolve like torch's."""
    gen, tgen = R.Generator().manual_seed(2024), torch.Generator().manual_seed(2024)
    f32, f64, t64 = np.float32, np.float64, torch.float64
    steps = [
        (lambda: R.normal((3,), f32, generator=gen), lambda: torch.randn(3, generator=tgen)),
        (lambda: R.uniform((5,), f32, generator=gen), lambda: torch.rand(5, generator=tgen)),
        (lambda: R.normal((20,), f32, generator=gen), lambda: torch.randn(20, generator=tgen)),
        (
            lambda: R.randint(0, 10, (7,), generator=gen),
            lambda: torch.randint(0, 10, (7,), generator=tgen),
        ),
        (
            lambda: R.normal((), f64, generator=gen),
            lambda: torch.randn((), dtype=t64, generator=tgen),
        ),
        (
            lambda: R.uniform((4, 4), f64, -1, 1, generator=gen),
            lambda: torch.empty(4, 4, dtype=t64).uniform_(-1, 1, generator=tgen),
        ),
        (lambda: R.randperm(12, generator=gen), lambda: torch.randperm(12, generator=tgen)),
        (
            lambda: R.bernoulli(0.25, (9,), f32, generator=gen),
            lambda: torch.empty(9).bernoulli_(0.25, generator=tgen),
        ),
        (
            lambda: R.normal((7,), f64, 1.0, 0.5, generator=gen),
            lambda: torch.empty(7, dtype=t64).normal_(1.0, 0.5, generator=tgen),
        ),
        (
            lambda: R.exponential((3,), f32, generator=gen),
            lambda: torch.empty(3).exponential_(generator=tgen),
        ),
        (lambda: R.normal((1,), f32, generator=gen), lambda: torch.randn(1, generator=tgen)),
    ]
    for ours, theirs in steps:
        assert_same(ours(), theirs())
        assert_same_state(gen, tgen)


# --- integers ------------------------------------------------------------------------------

RANGES = [(0, 10), (-5, 7), (3, 2**28 - 1), (0, 2**28), (0, 2**31), (0, 2**32), (-(2**40), 2**40)]


@pytest.mark.parametrize("low,high", RANGES)
@pytest.mark.parametrize("seed", [0, 42])
def test_randint_matches_torch(low, high, seed):
    seed_both(seed)
    assert_same(R.randint(low, high, (257,)), torch.randint(low, high, (257,)))
    assert_same_state()


@pytest.mark.parametrize("dtype", [np.int32, np.int16, np.uint8, np.float32, np.float64])
def test_randint_dtypes(dtype):
    seed_both(1)
    expected = torch.randint(0, 100, (3, 5), dtype=INT_DTYPES[dtype])
    assert_same(R.randint(0, 100, (3, 5), dtype), expected)


@pytest.mark.parametrize("dtype", list(INT_DTYPES))
def test_random_without_bounds(dtype):
    seed_both(9)
    assert_same(R.random_((500,), dtype), torch.empty(500, dtype=INT_DTYPES[dtype]).random_())
    assert_same_state()


def test_random_bool():
    seed_both(9)
    assert_same(R.random_((64,), np.bool_), torch.empty(64, dtype=torch.bool).random_())


@pytest.mark.parametrize("dtype", list(INT_DTYPES))
def test_random_with_bounds(dtype):
    tdtype = INT_DTYPES[dtype]
    seed_both(4)
    assert_same(R.random_((50,), dtype, high=7), torch.empty(50, dtype=tdtype).random_(7))
    assert_same(R.random_((50,), dtype, 2, 9), torch.empty(50, dtype=tdtype).random_(2, 9))
    assert_same_state()


def test_random_full_int64_range():
    seed_both(4)
    expected = torch.empty(20, dtype=torch.int64).random_(-(2**63), None)
    assert_same(R.random_((20,), np.int64, low=-(2**63)), expected)


@pytest.mark.parametrize("low", [0, 5, -3])
@pytest.mark.parametrize("dtype", list(INT_DTYPES))
def test_random_from_only(low, dtype):
    """``random_(low, None)``: [low, 2**digits] for floats, [low, max] for integers."""
    if low < 0 and dtype == np.uint8:
        pytest.skip("negative lower bound for uint8")
    seed_both(6)
    expected = torch.empty(40, dtype=INT_DTYPES[dtype]).random_(low, None)
    assert_same(R.random_((40,), dtype, low=low), expected)
    assert_same_state()


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 100, 1000, 100003])
@pytest.mark.parametrize("seed", [0, 42])
def test_randperm_matches_torch(n, seed):
    seed_both(seed)
    assert_same(R.randperm(n), torch.randperm(n))
    assert_same_state()


def test_randperm_dtype():
    seed_both(3)
    assert_same(R.randperm(50, dtype=np.int32), torch.randperm(50, dtype=torch.int32))


@pytest.mark.parametrize("n", [1, 2, 7, 300])
def test_randperm_inside_out_path(monkeypatch, n):
    """torch's path for n >= 2**32 / 20, forced on small n and checked against its loop."""
    monkeypatch.setattr(R, "_RANDPERM_SMALL", 0)
    seed_both(n)
    words = torch.empty(n, dtype=torch.int64).random_(-(2**63), None).numpy().view(np.uint64)
    expected = np.zeros(n, dtype=np.int64)
    for i in range(n):
        z = int(words[i] % np.uint64(i + 1))
        expected[i] = expected[z]
        expected[z] = i
    assert_same(R.randperm(n), expected)


@pytest.mark.parametrize("n", [2, 5, 40])
def test_shuffle_resolution_matches_sequential_swaps(n):
    rng = np.random.default_rng(n)
    for _ in range(20):
        z = np.array([rng.integers(i, n) for i in range(n)])
        expected = np.arange(n)
        for i, zi in enumerate(z):
            expected[i], expected[zi] = expected[zi], expected[i]
        np.testing.assert_array_equal(R._fisher_yates(z), expected)


# --- bernoulli, exponential, normal with tensors -------------------------------------------


@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 1.0])
@pytest.mark.parametrize("dtype,tdtype", DTYPES)
def test_bernoulli_scalar_p(p, dtype, tdtype):
    seed_both(2)
    assert_same(R.bernoulli(p, (33, 3), dtype), torch.empty(33, 3, dtype=tdtype).bernoulli_(p))
    assert_same_state()


@pytest.mark.parametrize("pdtype,tpdtype", DTYPES)
def test_bernoulli_tensor_p(pdtype, tpdtype):
    seed_both(2)
    probs = torch.rand(4, 50, dtype=tpdtype)
    p = R.uniform((4, 50), pdtype)
    assert_same(R.bernoulli(p, (4, 50), pdtype), torch.bernoulli(probs))
    row = torch.linspace(0, 1, 50, dtype=tpdtype)
    expected = torch.empty(3, 50).bernoulli_(row)  # float32 output, p broadcast over rows
    assert_same(R.bernoulli(row.numpy(), (3, 50), np.float32), expected)
    assert_same_state()


def test_dropout_mask_is_bernoulli_of_keep_probability():
    seed_both(10)
    y = torch.nn.functional.dropout(torch.ones(8, 40), p=0.3, training=True)
    keep = R.bernoulli(1 - 0.3, (8, 40), np.float32)
    np.testing.assert_array_equal(keep, (y != 0).float().numpy())


@pytest.mark.parametrize("lambd", [1.0, 1.7, 0.3])
@pytest.mark.parametrize("dtype,tdtype", DTYPES)
def test_exponential(lambd, dtype, tdtype):
    seed_both(3)
    expected = torch.empty(2000, dtype=tdtype).exponential_(lambd)
    assert_same(R.exponential((2000,), dtype, lambd), expected)


@pytest.mark.parametrize("n", [5, 40])
@pytest.mark.parametrize("dtype,tdtype", DTYPES)
def test_normal_tensor(n, dtype, tdtype):
    mean, std = np.linspace(-1, 1, n, dtype=dtype), np.linspace(0.1, 3, n, dtype=dtype)
    tmean, tstd = torch.from_numpy(mean), torch.from_numpy(std)
    cases = [(mean, std, tmean, tstd), (mean, 2.5, tmean, 2.5), (0.3, std, 0.3, tstd)]
    for m, s, tm, ts in cases:
        seed_both(4)
        assert_same(R.normal_tensor(m, s), torch.normal(tm, ts))
        assert_same_state()


def test_normal_tensor_broadcasts():
    seed_both(4)
    mean, std = np.zeros((3, 1), np.float32), np.ones(4, np.float32)
    expected = torch.normal(torch.from_numpy(mean), torch.from_numpy(std))
    assert_same(R.normal_tensor(mean, std), expected)


# --- generators, seeds and state -----------------------------------------------------------


def test_fresh_generator_matches_torch_default_seed():
    gen, tgen = R.Generator(), torch.Generator()
    assert gen.initial_seed() == tgen.initial_seed() == 67280421310721
    assert str(gen.device) == "cpu"
    assert_same(R.normal((5,), np.float32, generator=gen), torch.randn(5, generator=tgen))
    assert_same_state(gen, tgen)


def test_generator_is_independent_of_default():
    R.manual_seed(0)
    before = R.get_rng_state()
    gen = R.Generator()
    assert gen.manual_seed(3) is gen
    R.uniform((10,), np.float32, generator=gen)
    np.testing.assert_array_equal(R.get_rng_state(), before)


@pytest.mark.parametrize("seed", [0, 5, -1, -(2**63), 2**63, 2**64 - 1, 2**40 + 7])
def test_seed_values_like_torch(seed):
    assert R.manual_seed(seed) is R.default_generator
    torch.manual_seed(seed)
    assert R.initial_seed() == torch.initial_seed()
    assert_same_state()
    assert_same(R.uniform((4,), np.float32), torch.rand(4))


@pytest.mark.parametrize("seed", [2**64, -(2**63) - 1])
def test_seed_out_of_range(seed):
    with pytest.raises(RuntimeError):
        R.manual_seed(seed)


def test_nondeterministic_seed():
    s = R.seed()
    assert isinstance(s, int) and 0 <= s < 2**64
    assert R.initial_seed() == s
    first = R.uniform((3,), np.float64)
    R.manual_seed(s)
    np.testing.assert_array_equal(R.uniform((3,), np.float64), first)


def test_state_round_trip_keeps_cached_normal():
    R.manual_seed(5)
    R.normal((1,), np.float64)  # leaves a cached partner
    state = R.get_rng_state()
    assert state.dtype == np.uint8 and state.shape == (5056,)
    a = R.normal((3,), np.float64)
    R.set_rng_state(state)
    np.testing.assert_array_equal(R.normal((3,), np.float64), a)
    gen = R.Generator().set_state(state)
    np.testing.assert_array_equal(R.normal((3,), np.float64, generator=gen), a)


@pytest.mark.parametrize("draws", [0, 1, 623, 624, 625, 2000])
def test_state_interoperates_with_torch(draws):
    seed_both(77)
    torch.rand(draws)
    torch.randn(1, dtype=torch.float64)  # a pending cached normal travels too
    R.set_rng_state(torch.get_rng_state().numpy())
    assert_same_state()
    assert_same(R.normal((5,), np.float64), torch.randn(5, dtype=torch.float64))
    torch.set_rng_state(torch.from_numpy(R.get_rng_state()))
    assert_same(R.uniform((700,), np.float32), torch.rand(700))


def test_bad_state_size():
    with pytest.raises(RuntimeError):
        R.set_rng_state(np.zeros(5048, dtype=np.uint8))


@pytest.mark.parametrize(
    "call",
    [
        lambda: R.uniform((2,), np.float32, 1.0, 0.0),
        lambda: R.normal((2,), np.float32, 0.0, -1.0),
        lambda: R.randint(3, 3, (2,)),
        lambda: R.bernoulli(1.5, (2,), np.float32),
        lambda: R.exponential((2,), np.float32, 0.0),
    ],
)
def test_invalid_arguments_raise(call):
    with pytest.raises(RuntimeError):
        call()


@pytest.mark.parametrize("shape", [(5,), (100,)])
def test_libm_fallback_gives_the_same_bits(monkeypatch, shape):
    """The per-element ``math`` fallback (used where NumPy's SIMD log/sin/cos differ)."""
    for name in ("log", "log1p", "sin", "cos"):
        monkeypatch.setattr(R, f"_{name}", R._elementwise(getattr(math, name)))
    seed_both(12)
    assert_same(R.normal(shape, np.float64), torch.randn(shape, dtype=torch.float64))
    assert_same(R.exponential(shape, np.float64), torch.empty(shape).double().exponential_())


# --- exact arithmetic helpers ---------------------------------------------------------------


def _round_exact(value: Fraction, dtype) -> np.floating:
    """The ``dtype`` number nearest to an exact rational (ties to even)."""
    f = dtype(float(value))
    candidates = [np.nextafter(f, dtype(-np.inf)), f, np.nextafter(f, dtype(np.inf))]
    bits = np.uint32 if dtype == np.float32 else np.uint64

    def distance(x):
        return abs(Fraction(float(x)) - value), int(np.array(x).view(bits)) & 1

    return min(candidates, key=distance)


def _exact_fma(a, b, c, dtype) -> np.ndarray:
    exact = (
        Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
        for x, y, z in zip(a, b, c, strict=True)
    )
    return np.array([_round_exact(v, dtype) for v in exact], dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fma_helpers_are_correctly_rounded(dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(400).astype(dtype)
    b = (rng.standard_normal(400) * 10.0 ** rng.integers(-8, 8, 400)).astype(dtype)
    c = np.where(np.arange(400) % 2 == 0, -(a * b), rng.standard_normal(400)).astype(dtype)
    c = c * (1 + rng.standard_normal(400).astype(dtype) * dtype(1e-6))  # near-cancellation
    fma = R._fma32 if dtype == np.float32 else R._fma64
    np.testing.assert_array_equal(fma(a, b, c), _exact_fma(a, b, c, dtype))
