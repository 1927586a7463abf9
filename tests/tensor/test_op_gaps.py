"""Op-suite gaps found by running real programs: bit shifts, std_mean(axis=), randint keywords,
and the argument errors (linspace, unfold, roll, gather/scatter) compared with torch's."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from conftest import check_op

torch = pytest.importorskip("torch")

LIBS = (gradiente, torch)


def _same_ints(g, t):
    assert str(g.dtype) == str(t.dtype)
    np.testing.assert_array_equal(g.numpy(), t.numpy())


# ------------------------------------------------------------------------------ shifts
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "int64"])
@pytest.mark.parametrize("op", ["bitwise_left_shift", "bitwise_right_shift"])
def test_shifts_match_torch_for_every_integer_dtype(dtype, op):
    rng = np.random.default_rng(0)
    lo = 0 if dtype == "uint8" else -100
    values = rng.integers(lo, 100, size=(4, 5))
    # shifts past the bit width and negative shifts included (both give torch's 0 / -1)
    shifts = rng.integers(-3 if dtype != "uint8" else 0, 70, size=(4, 5))
    results = []
    for lib in LIBS:
        dt = getattr(lib, dtype)
        a, s = lib.tensor(values).to(dt), lib.tensor(shifts).to(dt)
        results.append(
            [getattr(lib, op)(a, s), getattr(a, op)(s), a << 3 if "left" in op else a >> 3]
        )
    for g, t in zip(*results, strict=True):
        _same_ints(g, t)


def test_shift_operators_reflected_and_in_place():
    out = []
    for lib in LIBS:
        a = lib.tensor([1, -8, 5, 3])
        b = a.to(lib.int8)
        b <<= a.abs()  # int8 kept: the result is cast back
        c = a.clone()
        c >>= 1
        d = a.clone()
        d.bitwise_left_shift_(2)
        out.append([2 << a.abs(), 64 >> a.abs(), lib.bitwise_left_shift(3, a.abs()), b, c, d])
    for g, t in zip(*out, strict=True):
        _same_ints(g, t)


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib: lib.tensor([1.5]) << 1,
        lambda lib: lib.tensor([8.0]) >> 1,
        lambda lib: lib.tensor([1]) << 1.5,
        lambda lib: lib.tensor([True]) << lib.tensor([True]),
    ],
)
def test_shifts_refuse_floats_and_two_bools_like_torch(fn):
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(type(t_err.value)):
        fn(gradiente)


# ------------------------------------------------------------------------------ statistics
@pytest.mark.parametrize("name", ["std_mean", "var_mean"])
def test_std_mean_accepts_numpys_axis_and_keepdims(name):
    x = np.random.default_rng(1).standard_normal((3, 4))
    check_op(lambda lib, a: getattr(lib, name)(a, axis=1), x)
    check_op(lambda lib, a: getattr(lib, name)(a, axis=0, keepdims=True, correction=0), x)


# ------------------------------------------------------------------------------ factories
def test_randint_keywords_draw_torchs_numbers():
    calls = [
        lambda lib: lib.randint(high=7, size=(5,)),
        lambda lib: lib.randint(low=2, high=9, size=(2, 3)),
        lambda lib: lib.randint(4, size=(3,)),
        lambda lib: lib.randint(3, 10, (4,)),
    ]
    for call in calls:
        gradiente.manual_seed(3)
        torch.manual_seed(3)
        _same_ints(call(gradiente), call(torch))


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib: lib.linspace(0, 1, steps=-1),
        lambda lib: lib.logspace(0, 1, steps=-2),
        lambda lib: lib.arange(5.0).unfold(0, 6, 1),
        lambda lib: lib.arange(5.0).unfold(0, 2, 0),
        lambda lib: lib.arange(5.0).unfold(0, -1, 1),
        lambda lib: lib.tensor(3.0).unfold(0, 2, 1),
        lambda lib: lib.roll(lib.ones(3, 3), (1, 2), (0,)),
        lambda lib: lib.zeros(3).scatter_reduce(
            0, lib.tensor([0, 1]), lib.ones(2, dtype=lib.float64), "sum"
        ),
        lambda lib: lib.zeros(3, 4).scatter_reduce(
            1, lib.tensor([[0]]), lib.ones(1, 1).long(), "amax"
        ),
        lambda lib: lib.zeros(3, 4).scatter(1, lib.tensor([[0, 1]]), lib.ones(1, 2).double()),
        lambda lib: lib.zeros(3, 4).scatter_add(1, lib.tensor([[0, 1]]), lib.ones(1, 2).double()),
        lambda lib: lib.zeros(3, 4).gather(1, lib.tensor([[0.0]])),
        lambda lib: lib.zeros(3, 4).gather(1, lib.tensor([0, 1])),
        lambda lib: lib.zeros(3, 4).gather(1, lib.zeros(4, 2, dtype=lib.int64)),
        lambda lib: lib.zeros(3, 4).gather(1, lib.tensor([[5]])),
        lambda lib: lib.zeros(3, 4).scatter(1, lib.tensor([0, 1]), 1.0),
        lambda lib: lib.zeros(3, 4).scatter(1, lib.zeros(2, 3, dtype=lib.int64), lib.ones(1, 1)),
        lambda lib: lib.zeros(3, 4).scatter(1, lib.zeros(4, 2, dtype=lib.int64), lib.ones(4, 4)),
        lambda lib: lib.zeros(3, 4).scatter_add(1, lib.tensor([0]), lib.ones(1)),
        lambda lib: lib.zeros(3, 4).index_select(1, lib.tensor([0.0])),
        lambda lib: lib.zeros(3, 4).index_add(1, lib.tensor([0.0]), lib.ones(3, 1)),
    ],
)
def test_bad_arguments_raise_torchs_error_type(fn):
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(type(t_err.value)):
        fn(gradiente)


@pytest.mark.parametrize("size,step", [(0, 1), (5, 1), (2, 3), (1, 1)])
def test_unfold_at_the_edges_matches_torch(size, step):
    x = np.arange(5.0)
    check_op(lambda lib, a: a.unfold(0, size, step), x)
    check_op(lambda lib, a: a.sum().unfold(0, min(size, 1), step), x)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8"])
@pytest.mark.parametrize("value", [float("inf"), float("nan"), 1e10, -200.0, 300.0, 2.5])
@pytest.mark.parametrize("masked", [False, True])
def test_a_float_too_big_for_an_integer_tensor_raises_as_torch(dtype, value, masked):
    """x[i] = v and x[mask] = tensor(v): inf, NaN or out of range raise torch's RuntimeError
    (found by the long fuzzer run: gradiente wrote -2**63)."""
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, gradiente):
        x = lib.zeros(2, dtype=getattr(lib, dtype))
        try:
            if masked:
                x[lib.tensor([True, False])] = lib.tensor(value)
            else:
                x[0] = value
            results.append(x.tolist())
        except RuntimeError as err:
            results.append(str(err))
    assert results[0] == results[1]


@pytest.mark.parametrize("dtype", ["int64", "int32"])
@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), 1e30, 2.5])
@pytest.mark.parametrize("index", [0, (None,), (0, 1), Ellipsis])
def test_a_float_tensor_copied_into_an_integer_tensor_wraps_as_torch(dtype, value, index):
    """x[basic index] = tensor(v) is a copy in torch (no overflow check, unlike a number or a
    mask): found by the long fuzzer run, where gradiente raised for x[None,] = tensor(-inf)."""
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, gradiente):
        x = lib.zeros(2, 3, dtype=getattr(lib, dtype))
        try:
            x[index] = lib.tensor(value, dtype=lib.float64)
            results.append(x.tolist())
        except RuntimeError as err:
            results.append(str(err))
    assert results[0] == results[1]
