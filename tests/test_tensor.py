"""Tensor: attributes, factories, dtype promotion, printing, in-place rules, errors — vs torch."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import itertools

import numpy as np
import pytest

import gradiente
from conftest import assert_same, check_op, leaf, random_like, to_torch

torch = pytest.importorskip("torch")


def _both(fn):
    """Run ``fn(lib)`` for gradiente and torch."""
    return fn(gradiente), fn(torch)


# ======================================================================== attributes


def test_attributes_match_torch():
    g, t = _both(lambda m: m.ones(2, 3, 4))
    assert g.shape == t.shape == (2, 3, 4)
    assert isinstance(g.shape, tuple) and repr(g.shape) == repr(t.shape) == "torch.Size([2, 3, 4])"
    assert g.ndim == t.ndim == g.dim() == 3
    assert g.numel() == t.numel() == 24
    assert g.size() == t.size() and g.size(1) == t.size(1) == 3 and g.size(-1) == 4
    assert repr(g.size()) == repr(t.size())
    assert g.size().numel() == 24
    assert repr(g.dtype) == repr(t.dtype) == "torch.float32"
    assert str(g.device) == str(t.device) == "cpu" and repr(g.device) == repr(t.device)
    assert g.device.type == "cpu" and str(g.device) == "cpu"
    assert g.requires_grad is t.requires_grad is False
    assert g.grad is None and g.grad_fn is None and g.is_leaf
    assert g.stride() == t.stride() and g.is_contiguous()
    assert g.element_size() == t.element_size() == 4
    assert (
        g.is_floating_point() and not gradiente.ones(2, dtype=gradiente.int64).is_floating_point()
    )
    assert len(g) == len(t) == 2


def test_dtype_objects():
    for name in [
        "bool",
        "uint8",
        "int8",
        "int16",
        "int32",
        "int64",
        "float16",
        "float32",
        "float64",
    ]:
        gd, td = getattr(gradiente, name), getattr(torch, name)
        assert repr(gd) == repr(td)
        assert gd.is_floating_point == td.is_floating_point
        assert gd.itemsize == td.itemsize
    for alias in ["half", "float", "double", "short", "int", "long"]:
        assert repr(getattr(gradiente, alias)) == repr(getattr(torch, alias))
    assert gradiente.get_default_dtype() is gradiente.float32


def test_requires_grad_flags():
    x = gradiente.ones(2)
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
    x.requires_grad_(False)
    assert not x.requires_grad
    x.requires_grad = True
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="floating point"):
        gradiente.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        gradiente.tensor([1, 2], requires_grad=True)
    assert gradiente.tensor([1.0], requires_grad=True).requires_grad


def test_item_tolist_numpy_float_int():
    for m in (gradiente, torch):
        assert m.tensor([[2.5]]).item() == 2.5 and isinstance(m.tensor([[2.5]]).item(), float)
        assert m.tensor(3).item() == 3 and isinstance(m.tensor(3).item(), int)
        assert m.tensor(True).item() is True
        assert m.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
        assert m.tensor(1.5).tolist() == 1.5
        assert float(m.tensor([2.5])) == 2.5 and int(m.tensor(2.7)) == 2
        assert [0, 1, 2][m.tensor(1)] == 1
        assert f"{m.tensor(2.5):.3f}" == "2.500"
        with pytest.raises(RuntimeError):
            m.ones(2).item()
        with pytest.raises(RuntimeError, match="ambiguous"):
            bool(m.ones(2))
        with pytest.raises(TypeError):
            len(m.tensor(1.0))
    assert gradiente.tensor([0.1]).item() == torch.tensor([0.1]).item()  # float32 rounding


def test_numpy_shares_memory_and_refuses_requires_grad():
    x = gradiente.zeros(3)
    a = x.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    a[0] = 7.0
    assert x[0].item() == 7.0
    w = gradiente.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        w.numpy()
    assert w.detach().numpy().tolist() == [1.0, 1.0]
    assert np.asarray(gradiente.ones(2)).tolist() == [1.0, 1.0]


def test_detach_shares_memory_and_drops_graph():
    x = gradiente.ones(2, requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d.add_(1)  # same memory, as in torch
    assert y.tolist() == [3.0, 3.0]


def test_iteration_unbinds_first_axis():
    g, t = _both(lambda m: m.arange(6).reshape(3, 2))
    assert [r.tolist() for r in g] == [r.tolist() for r in t]
    with pytest.raises(TypeError):
        iter(gradiente.tensor(1.0))


# ======================================================================== factories

FACTORIES = {
    "list_float": lambda m: m.tensor([1.5, 2]),
    "list_int": lambda m: m.tensor([1, 2]),
    "list_bool": lambda m: m.tensor([True, False]),
    "list_bool_int": lambda m: m.tensor([True, 2]),
    "nested_mixed": lambda m: m.tensor([[1, 2], [3, 4.5]]),
    "scalar_float": lambda m: m.tensor(2.5),
    "scalar_int": lambda m: m.tensor(3),
    "scalar_bool": lambda m: m.tensor(False),
    "tuple": lambda m: m.tensor((1, 2)),
    "range": lambda m: m.tensor(range(3)),
    "big_int": lambda m: m.tensor([2**40]),
    "numpy_f64": lambda m: m.tensor(np.array([1.5])),
    "numpy_f32": lambda m: m.tensor(np.array([1.5], dtype=np.float32)),
    "numpy_i32": lambda m: m.tensor(np.array([1], dtype=np.int32)),
    "numpy_scalar_f64": lambda m: m.tensor(np.float64(1.5)),
    "numpy_scalar_i32": lambda m: m.tensor(np.int32(1)),
    "tensors_0d": lambda m: m.tensor([m.tensor(1.5), m.tensor(2.0)]),
    "dtype_float64": lambda m: m.tensor([1, 2], dtype=m.float64),
    "dtype_int_truncates": lambda m: m.tensor([1.7, -1.7], dtype=m.int64),
    "empty_list": lambda m: m.tensor([]),
    "empty_nested": lambda m: m.tensor([[], []]),
    "requires_grad": lambda m: m.tensor([1.0, 2.0], requires_grad=True),
    "zeros": lambda m: m.zeros(2, 3),
    "zeros_tuple_dtype": lambda m: m.zeros((2, 3), dtype=m.int32),
    "zeros_0d": lambda m: m.zeros(()),
    "zeros_requires_grad": lambda m: m.zeros(2, requires_grad=True),
    "ones_list": lambda m: m.ones([2]),
    "ones_size": lambda m: m.ones(m.ones(2, 3).shape),
    "full_float": lambda m: m.full((2, 2), 1.5),
    "full_int": lambda m: m.full((2,), 7),
    "full_bool": lambda m: m.full((2,), True),
    "full_dtype": lambda m: m.full((2,), 7, dtype=m.float64),
    "eye": lambda m: m.eye(3),
    "eye_rect": lambda m: m.eye(2, 4, dtype=m.int64),
    "arange_int": lambda m: m.arange(5),
    "arange_float_step": lambda m: m.arange(0, 1, 0.1),
    "arange_float_start": lambda m: m.arange(1.0, 2.5, 0.3),
    "arange_negative_step": lambda m: m.arange(5, -3, -2),
    "arange_dtype": lambda m: m.arange(0, 3, dtype=m.float32),
    "arange_float64": lambda m: m.arange(0, 1, 0.1, dtype=m.float64),
    "arange_tensor_end": lambda m: m.arange(m.tensor(3)),
    "arange_empty": lambda m: m.arange(0),
    "linspace": lambda m: m.linspace(0, 1, 11),
    "linspace_one": lambda m: m.linspace(2, 5, 1),
    "linspace_zero": lambda m: m.linspace(2, 5, 0),
    "linspace_int": lambda m: m.linspace(0, 10, 4, dtype=m.int64),
    "logspace": lambda m: m.logspace(0, 2, 5),
    "zeros_like": lambda m: m.zeros_like(m.tensor([1, 2])),
    "ones_like_dtype": lambda m: m.ones_like(m.tensor([1, 2]), dtype=m.float32),
    "full_like": lambda m: m.full_like(m.tensor([1.0, 2.0]), 3),
    "full_like_int": lambda m: m.full_like(m.tensor([1, 2]), 3.7),
    "zeros_like_requires_grad": lambda m: m.zeros_like(m.ones(2), requires_grad=True),
    "as_tensor_list": lambda m: m.as_tensor([1, 2.5]),
    "as_tensor_numpy": lambda m: m.as_tensor(np.array([1, 2])),
    "as_tensor_dtype": lambda m: m.as_tensor(np.array([1, 2]), dtype=m.float32),
    "new_zeros": lambda m: m.tensor([1.5], dtype=m.float64).new_zeros(2),
    "new_ones": lambda m: m.tensor([1]).new_ones((2, 2)),
    "new_full": lambda m: m.tensor([1.5]).new_full((2,), 3),
    "new_tensor": lambda m: m.tensor([1.5], dtype=m.float64).new_tensor([1, 2]),
    "double": lambda m: m.ones(2).double(),
    "long": lambda m: m.tensor([1.7, -1.7]).long(),
    "int": lambda m: m.tensor([1.7, -1.7]).int(),
    "bool": lambda m: m.tensor([0.0, -1.7]).bool(),
    "half": lambda m: m.tensor([1.7]).half(),
    "to_dtype": lambda m: m.tensor([1.7]).to(m.float64),
    "to_dtype_kw": lambda m: m.tensor([1.7]).to(dtype=m.int32),
    "to_device": lambda m: m.tensor([1.7]).to("cpu"),
    "to_other": lambda m: m.tensor([1.7]).to(m.tensor([1], dtype=m.int16)),
    "type_as": lambda m: m.tensor([1.7]).type_as(m.tensor([1])),
    "type_cast": lambda m: m.tensor([1.7]).type(m.float64),
}


@pytest.mark.parametrize("name", list(FACTORIES))
def test_factories_match_torch(name):
    """Values (exactly: float32 rounding included), dtype, shape and requires_grad."""
    g, t = _both(FACTORIES[name])
    assert_same(g, t, rtol=0, atol=0)
    assert g.requires_grad == t.requires_grad
    assert repr(g) == repr(t)


ULP_FACTORIES = {
    "arange_long_float": lambda m: m.arange(-3.7, 100.1, 0.7),
    "linspace_float32": lambda m: m.linspace(-3.3, 7.9, 17),
    "linspace_float64": lambda m: m.linspace(-3.3, 7.9, 18, dtype=m.float64),
    "linspace_long": lambda m: m.linspace(0.1, 1000.3, 1001),
    "linspace_descending": lambda m: m.linspace(1, -1, 7),
}


@pytest.mark.parametrize("name", list(ULP_FACTORIES))
def test_float_ranges_within_rounding_of_torch(name):
    """Equal up to the rounding of start + i·step (a few ulps of the largest value)."""
    g, t = _both(ULP_FACTORIES[name])
    assert repr(g.dtype) == repr(t.dtype) and g.shape == t.shape
    expected = t.numpy()
    tol = 4 * np.finfo(expected.dtype).eps * np.abs(expected).max()
    np.testing.assert_allclose(g.numpy(), expected, rtol=0, atol=tol)


@pytest.mark.parametrize("name", list(ULP_FACTORIES))
def test_float_ranges_bit_exact(name):
    """Bit for bit: gradiente replays the kernel's fused multiply-adds and vector chunks."""
    g, t = _both(ULP_FACTORIES[name])
    assert_same(g, t, rtol=0, atol=0)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.linspace(-10, 10, 7),  # the middle value is 2.3842e-07 in float32
        lambda m: m.linspace(-3.7, 7.5, 9, dtype=m.int64),  # start/end cast to int first
        lambda m: m.linspace(0, 1, 2000, dtype=m.float64),
        lambda m: m.arange(0, 2, 0.0137, dtype=m.float64),
        lambda m: m.arange(-1.0, 1.0, 0.01),
    ],
)
def test_more_float_ranges_bit_exact(make):
    g, t = _both(make)
    assert_same(g, t, rtol=0, atol=0)


def test_empty_factories_shape_and_dtype():
    for fn in (
        lambda m: m.empty(2, 3),
        lambda m: m.empty_like(m.ones(2, dtype=m.int64)),
        lambda m: m.empty((4,), dtype=m.float64),
    ):
        g, t = _both(fn)
        assert g.shape == t.shape and repr(g.dtype) == repr(t.dtype)
    assert gradiente.ones(2).type() == torch.ones(2).type() == "torch.FloatTensor"


def test_from_numpy_and_as_tensor_share_memory_tensor_copies():
    a = np.zeros(3)
    x = gradiente.from_numpy(a)
    assert x.dtype == gradiente.float64  # float64 arrays stay float64
    x.add_(1.0)
    assert a.tolist() == [1.0, 1.0, 1.0]
    a[0] = 5.0
    assert x[0].item() == 5.0
    b = np.zeros(2, dtype=np.float32)
    gradiente.as_tensor(b).mul_(0).add_(2.0)
    assert b.tolist() == [2.0, 2.0]
    c = np.zeros(2)
    gradiente.tensor(c).add_(1.0)
    assert c.tolist() == [0.0, 0.0]
    d = np.arange(6.0).reshape(2, 3).T  # non-contiguous arrays are fine
    assert gradiente.from_numpy(d).tolist() == torch.from_numpy(d).tolist()
    with pytest.raises(TypeError):
        gradiente.from_numpy([1, 2])


def test_default_dtype_switch():
    gradiente.set_default_dtype(gradiente.float64)
    try:
        assert gradiente.tensor([1.5]).dtype == gradiente.float64
        assert gradiente.zeros(2).dtype == gradiente.float64
        assert (gradiente.tensor([1, 2]) * 2.5).dtype == gradiente.float64
        assert repr(gradiente.tensor([1.5])) == "tensor([1.5000])"
    finally:
        gradiente.set_default_dtype(gradiente.float32)
    with pytest.raises(TypeError):
        gradiente.set_default_dtype(gradiente.int64)


def test_factory_errors():
    with pytest.raises(RuntimeError, match="not available"):
        gradiente.ones(2, device="cuda")
    with pytest.raises(TypeError):
        gradiente.zeros(2.5)
    with pytest.raises(TypeError):
        gradiente.tensor(["a", "b"])
    with pytest.raises(RuntimeError):
        gradiente.arange(0, 5, 0)
    with pytest.raises((ValueError, TypeError)):
        gradiente.tensor([[1, 2], [3]])


# ======================================================================== dtype promotion

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
PROMOTING_OPS = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "maximum": lambda a, b: a.maximum(b),
    "eq": lambda a, b: a == b,
    "where": lambda a, b: a.where(a > 0, b),
}


def _sample(m, dtype, zero_dim):
    values = [1, 0] if dtype == "bool" else [3, 2]
    return m.tensor(values[0] if zero_dim else values, dtype=getattr(m, dtype))


@pytest.mark.parametrize("op", list(PROMOTING_OPS))
def test_tensor_tensor_promotion_table(op):
    """Every dtype pair, with and without zero-dim operands: the result dtype is torch's."""
    fn = PROMOTING_OPS[op]
    mismatches = []
    for d1, d2 in itertools.product(DTYPES, DTYPES):
        for z1, z2 in itertools.product([False, True], repeat=2):
            g = fn(_sample(gradiente, d1, z1), _sample(gradiente, d2, z2))
            t = fn(_sample(torch, d1, z1), _sample(torch, d2, z2))
            same = g.tolist() == pytest.approx(t.tolist(), nan_ok=True)
            if repr(g.dtype) != repr(t.dtype) or not same:
                mismatches.append((d1, z1, d2, z2, g.dtype, t.dtype))
    assert not mismatches


SCALARS = [True, 2, -3, 2.5, np.float64(2.5), np.int64(2), np.float32(1.5)]
SCALAR_OPS = {
    "add": lambda a, s: a + s,
    "radd": lambda a, s: s + a,
    "mul": lambda a, s: a * s,
    "rmul": lambda a, s: s * a,
    "div": lambda a, s: a / s,
    "rdiv": lambda a, s: s / a,
    "sub": lambda a, s: a - s,
    "rsub": lambda a, s: s - a,
    "pow": lambda a, s: a**s,
    "lt": lambda a, s: a < s,
}


@pytest.mark.parametrize("op", list(SCALAR_OPS))
def test_tensor_scalar_promotion_table(op):
    """Python and NumPy scalars are weakly typed: they only lift the category (int -> float)."""
    fn = SCALAR_OPS[op]
    mismatches = []
    for dtype, zero_dim, s in itertools.product(DTYPES, [False, True], SCALARS):
        if dtype == "bool" and op in ("sub", "rsub"):
            continue  # torch refuses subtraction on bool tensors
        if op == "pow" and (dtype == "bool" or isinstance(s, (bool, np.bool_))):
            continue
        if op == "pow" and dtype != "float64" and isinstance(s, int) and s < 0:
            continue  # integers to negative powers: an error in both
        if dtype == "uint8" and isinstance(s, int) and s < 0:
            continue  # torch wraps the scalar around (see test_uint8_with_negative_scalar)
        try:
            t = fn(_sample(torch, dtype, zero_dim), s)
        except RuntimeError:
            continue
        g = fn(_sample(gradiente, dtype, zero_dim), s)
        same = g.tolist() == pytest.approx(t.tolist(), rel=1e-3, nan_ok=True)
        if repr(g.dtype) != repr(t.dtype) or not same:
            mismatches.append((dtype, zero_dim, repr(s), g.dtype, t.dtype))
    assert not mismatches


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.tensor([3, 2], dtype=m.uint8) + -3,
        lambda m: m.tensor([3, 2], dtype=m.uint8) * 300,
        lambda m: m.tensor([7, -2], dtype=m.int32) + 2**40,
        lambda m: m.tensor([7, -2], dtype=m.int8) - 200,
    ],
)
def test_out_of_range_integer_scalars_wrap(case):
    """A Python int outside the dtype's range is cast to it with wrap-around, as in PyTorch."""
    g, t = _both(case)
    assert_same(g, t)


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.tensor([1, 2]) * 2.5,  # int tensor * float -> float32
        lambda m: m.ones(2) + m.tensor(1.0, dtype=m.float64),  # float32 + 0-d float64 -> f32
        lambda m: m.tensor([1, 2]) + m.tensor(1.0, dtype=m.float64),  # int + 0-d f64 -> f64
        lambda m: m.tensor([True]) + m.tensor([True]),  # bool + bool -> bool
        lambda m: m.tensor([3]) / m.tensor([2]),  # int / int -> float32
        lambda m: m.tensor([3]) / 2,
        lambda m: 1 / m.tensor([2]),
        lambda m: m.tensor([1], dtype=m.uint8) + m.tensor([1], dtype=m.int8),  # -> int16
        lambda m: m.ones(2, dtype=m.float16) + m.tensor(1.0),  # f16 + 0-d f32 -> f16
        lambda m: m.ones(2, dtype=m.float16) + m.tensor([1]),  # f16 + int64 -> f16
        lambda m: m.tensor([1], dtype=m.int32) + m.tensor(1),  # int32 + 0-d int64 -> int32
        lambda m: m.tensor([True, False]) * 1.5,
        lambda m: m.tensor([True, False]) + 1,
        lambda m: m.tensor([-3]) // 2,
        lambda m: m.tensor([-3.5]) // 2,
        lambda m: m.tensor([-3, 3]) % 2,
        lambda m: m.tensor([2]) ** 0.5,
        lambda m: 2 ** m.tensor([3]),
        lambda m: 2.5 ** m.tensor([3]),
        lambda m: m.where(m.tensor([True, False]), m.tensor([1]), m.tensor([1.5])),
        lambda m: m.where(m.tensor([True, False]), 1.0, 0.0),
        lambda m: m.cat([m.tensor([True]), m.tensor([2])]),
        lambda m: m.tensor([[1, 2]]) @ m.tensor([[3], [4]]),
        lambda m: m.tensor([1], dtype=m.int32).sum(),
        lambda m: m.tensor([True, True]).sum(),
        lambda m: m.tensor([1], dtype=m.int32).cumsum(0),
        lambda m: m.tensor([1]).exp(),
        lambda m: m.tensor([True]).sqrt(),
        lambda m: m.tensor([1.0, 2.0], dtype=m.float16).mean(),
        lambda m: m.tensor([1.5], dtype=m.float64) * np.float32(2.0),
        lambda m: m.ones(2) ** np.float64(2.5),
    ],
)
def test_named_promotion_cases(case):
    g, t = _both(case)
    assert_same(g, t, rtol=1e-6)


# ======================================================================== printing


def _grad_tensor(m):
    return m.tensor([1.0, 2.0], requires_grad=True)


REPRS = {
    "small": lambda m: m.tensor([1.5, -2.25, 3.0]),
    "ints": lambda m: m.tensor([[1, -20, 300], [4, 5, 6]]),
    "bools": lambda m: m.tensor([True, False, True]),
    "float64_suffix": lambda m: m.tensor([1.5, 2.0], dtype=m.float64),
    "integer_valued_floats": lambda m: m.tensor([1.0, 2.0, -3.0]),
    "sci_large": lambda m: m.tensor([1e10, 1.0]),
    "sci_small": lambda m: m.tensor([1e-5, 1.0]),
    "sci_ratio": lambda m: m.tensor([0.001, 10.0]),
    "sci_threshold": lambda m: m.tensor([1e8, 1.0]),
    "below_sci_threshold": lambda m: m.tensor([0.0001, 1.0]),
    "negative_zero": lambda m: m.tensor([-0.0, 1.0]),
    "negative_zero_only": lambda m: m.tensor([-0.0]),
    "zero_d": lambda m: m.tensor(3.14159),
    "zero_d_int": lambda m: m.tensor(7),
    "zero_d_bool": lambda m: m.tensor(True),
    "zero_d_float64": lambda m: m.tensor(2.5, dtype=m.float64),
    "empty": lambda m: m.tensor([]),
    "empty_2d": lambda m: m.zeros(0, 3),
    "empty_int": lambda m: m.zeros(0, dtype=m.int64),
    "empty_bool": lambda m: m.zeros(0, dtype=m.bool),
    "empty_float64": lambda m: m.zeros(2, 0, dtype=m.float64),
    "requires_grad": lambda m: _grad_tensor(m),
    "requires_grad_0d": lambda m: m.tensor(1.0, requires_grad=True),
    "requires_grad_float64": lambda m: m.tensor([1.0], dtype=m.float64, requires_grad=True),
    "summarised_2d": lambda m: m.arange(1200.0).reshape(30, 40),
    "summarised_1d_int": lambda m: m.arange(2000),
    "summarised_3d": lambda m: m.arange(24000.0).reshape(20, 30, 40) / 7,
    "summarised_grad": lambda m: m.arange(1001, dtype=m.float64).requires_grad_() * 1.5,
    "summarised_int_valued": lambda m: m.arange(3000.0),
    "wrapped_line": lambda m: m.arange(30.0) / 3,
    "wrapped_ints": lambda m: m.arange(40) * 1000,
    "wrapped_with_grad_fn": lambda m: m.arange(8.0).requires_grad_() * 1.0,
    "nan_inf": lambda m: m.tensor([float("nan"), float("inf"), -float("inf"), 1.5]),
    "nan_integer_valued": lambda m: m.tensor([float("nan"), 2.0]),
    "inf_only": lambda m: m.tensor([float("inf"), -float("inf")]),
    "3d": lambda m: m.arange(24.0).reshape(2, 3, 4) / 3,
    "4d_int": lambda m: m.arange(16).reshape(2, 2, 2, 2),
    "float16": lambda m: m.tensor([1.5, 2.25], dtype=m.float16),
    "int32": lambda m: m.tensor([1, 2], dtype=m.int32),
    "uint8": lambda m: m.tensor([1, 255], dtype=m.uint8),
    "large_values": lambda m: m.tensor([123456.789, 1.5]),
    "many_digits": lambda m: m.tensor([0.123456789, 0.5]),
    "negatives": lambda m: m.tensor([-1.5, -0.25]),
    "big_ints": lambda m: m.tensor([123456789012, 1]),
    "linspace": lambda m: m.linspace(-1, 1, 17),
    "tiny": lambda m: m.tensor([1e-10]),
    "tiny_float64": lambda m: m.tensor([1e-10, 1e-300], dtype=m.float64),
    "sci_with_nan": lambda m: m.tensor([1e-5, float("nan")]),
    "one_large": lambda m: m.tensor([12345678.0]),
    "zero_d_huge": lambda m: m.tensor(1e20),
    "lecture_grad": lambda m: (
        2 * m.tensor([1.4]) * ((m.tensor(1.0, requires_grad=True) * m.tensor([1.4]) + 0.5) - 2.1)
    ),
}
GRAD_FNS = {
    "MulBackward0": lambda m: _grad_tensor(m) * 2,
    "AddBackward0": lambda m: _grad_tensor(m) + 2,
    "SubBackward0": lambda m: _grad_tensor(m) - 1,
    "RsubBackward1": lambda m: 1 - _grad_tensor(m),
    "DivBackward0": lambda m: _grad_tensor(m) / 2,
    "rdiv": lambda m: 2 / _grad_tensor(m),
    "NegBackward0": lambda m: -_grad_tensor(m),
    "PowBackward0": lambda m: _grad_tensor(m) ** 2,
    "PowBackward1": lambda m: _grad_tensor(m) ** _grad_tensor(m),
    "rpow": lambda m: 2 ** _grad_tensor(m),
    "SumBackward0": lambda m: _grad_tensor(m).sum(),
    "SumBackward1": lambda m: _grad_tensor(m).reshape(1, 2).sum(1),
    "MeanBackward0": lambda m: _grad_tensor(m).mean(),
    "MeanBackward1": lambda m: _grad_tensor(m).reshape(1, 2).mean(0),
    "ProdBackward0": lambda m: _grad_tensor(m).prod(),
    "MaxBackward1": lambda m: _grad_tensor(m).max(),
    "MaxBackward0": lambda m: _grad_tensor(m).reshape(1, 2).max(1)[0],
    "MinBackward0": lambda m: _grad_tensor(m).reshape(1, 2).min(1).values,
    "AmaxBackward0": lambda m: _grad_tensor(m).reshape(1, 2).amax(1),
    "ExpBackward0": lambda m: _grad_tensor(m).exp(),
    "LogBackward0": lambda m: _grad_tensor(m).log(),
    "Log1p": lambda m: _grad_tensor(m).log1p(),
    "SqrtBackward0": lambda m: _grad_tensor(m).sqrt(),
    "RsqrtBackward0": lambda m: _grad_tensor(m).rsqrt(),
    "SinBackward0": lambda m: _grad_tensor(m).sin(),
    "TanhBackward0": lambda m: _grad_tensor(m).tanh(),
    "SigmoidBackward0": lambda m: _grad_tensor(m).sigmoid(),
    "ReluBackward0": lambda m: _grad_tensor(m).relu(),
    "AbsBackward0": lambda m: _grad_tensor(m).abs(),
    "ClampBackward1": lambda m: _grad_tensor(m).clamp(0, 1),
    "ClampMinBackward": lambda m: _grad_tensor(m).clamp(min=0),
    "MaximumBackward0": lambda m: m.maximum(_grad_tensor(m), m.zeros(2)),
    "WhereBackward0": lambda m: m.where(m.ones(2) > 0, _grad_tensor(m), 0.0),
    "SoftmaxBackward0": lambda m: _grad_tensor(m).softmax(0),
    "LogSoftmaxBackward0": lambda m: _grad_tensor(m).log_softmax(0),
    "LogsumexpBackward0": lambda m: _grad_tensor(m).logsumexp(0),
    "CumsumBackward0": lambda m: _grad_tensor(m).cumsum(0),
    "MmBackward0": lambda m: m.ones(2, 2, requires_grad=True) @ m.ones(2, 2),
    "MvBackward0": lambda m: m.ones(2, 2, requires_grad=True) @ m.ones(2),
    "DotBackward0": lambda m: _grad_tensor(m) @ m.ones(2),
    "batched_matmul": lambda m: m.ones(2, 2, 2, requires_grad=True) @ m.ones(2, 2, 2),
    "OuterMul": lambda m: m.outer(_grad_tensor(m), m.ones(2)),
    "ViewBackward0": lambda m: m.ones(4, requires_grad=True).view(2, 2),
    "ReshapeAlias": lambda m: m.ones(4, requires_grad=True).reshape(2, 2),
    "UnsqueezeBackward0": lambda m: _grad_tensor(m).unsqueeze(0),
    "SqueezeBackward0": lambda m: m.ones(1, 2, requires_grad=True).squeeze(),
    "SqueezeBackward1": lambda m: m.ones(1, 2, requires_grad=True).squeeze(0),
    "PermuteBackward0": lambda m: m.ones(1, 2, requires_grad=True).permute(1, 0),
    "TransposeBackward0": lambda m: m.ones(2, 2, 2, requires_grad=True).transpose(0, 1),
    "mT": lambda m: m.ones(2, 2, requires_grad=True).mT,
    "ExpandBackward0": lambda m: m.ones(1, 2, requires_grad=True).expand(2, 2),
    "CatBackward0": lambda m: m.cat([_grad_tensor(m), m.ones(2)]),
    "StackBackward0": lambda m: m.stack([_grad_tensor(m), m.ones(2)]),
    "SliceBackward0": lambda m: m.ones(4, requires_grad=True)[1:],
    "SelectBackward0": lambda m: m.ones(2, 2, requires_grad=True)[0],
    "IndexBackward0": lambda m: m.ones(4, requires_grad=True)[[0, 1]],
    "GatherBackward0": lambda m: m.ones(2, 2, requires_grad=True).gather(1, m.tensor([[0], [1]])),
    "IndexSelectBackward0": lambda m: m.ones(3, requires_grad=True).index_select(
        0, m.tensor([0, 2])
    ),
    "MaskedFillBackward0": lambda m: _grad_tensor(m).masked_fill(m.tensor([True, False]), 0.0),
    "FlipBackward0": lambda m: _grad_tensor(m).flip(0),
    "RepeatBackward0": lambda m: _grad_tensor(m).repeat(2),
    "CloneBackward0": lambda m: _grad_tensor(m).clone(),
    "ToCopyBackward0": lambda m: _grad_tensor(m).double(),
    "inplace_add": lambda m: (_grad_tensor(m) * 1).add_(1),
    "inplace_mul": lambda m: (_grad_tensor(m) * 1).mul_(2),
    "TBackward0": lambda m: m.ones(2, 3, requires_grad=True).t(),
    "CopySlices": lambda m: (lambda y: (y.__setitem__(0, 5.0), y)[1])(_grad_tensor(m) * 1),
    "BmmBackward0": lambda m: m.ones(2, 2, 2, requires_grad=True).bmm(m.ones(2, 2, 2)),
    "SignBackward0": lambda m: _grad_tensor(m).sign(),
}
# Composites once; now ops of their own with PyTorch's node names.
GRAD_FNS_OF_FORMER_COMPOSITES = {
    "VarBackward0": lambda m: _grad_tensor(m).var(),
    "StdBackward0": lambda m: _grad_tensor(m).std(),
    "SplitBackward0": lambda m: m.ones(4, requires_grad=True).split(2)[0],
    "UnbindBackward0": lambda m: m.ones(2, 2, requires_grad=True).unbind(0)[0],
    "ScatterAddBackward0": lambda m: m.zeros(3).scatter_add(
        0, m.tensor([0, 0]), m.ones(2, requires_grad=True)
    ),
}


@pytest.mark.parametrize("name", list(REPRS) + list(GRAD_FNS))
def test_repr_equals_torch(name):
    fn = REPRS.get(name) or GRAD_FNS[name]
    g, t = _both(fn)
    assert repr(g) == repr(t)
    assert str(g) == str(t)


@pytest.mark.parametrize("name", list(GRAD_FNS_OF_FORMER_COMPOSITES))
def test_repr_grad_fn_names_of_former_composites(name):
    g, t = _both(GRAD_FNS_OF_FORMER_COMPOSITES[name])
    assert repr(g) == repr(t)


@pytest.mark.parametrize(
    "shape", [(1,), (7,), (3, 5), (2, 3, 4), (12, 9), (1001,), (3, 400)], ids=str
)
@pytest.mark.parametrize("scale", [1e-6, 1e-3, 1.0, 1e3, 1e9])
@pytest.mark.parametrize("kind", ["float32", "float64", "int64", "integer_valued", "bool"])
def test_repr_of_random_tensors(shape, scale, kind):
    rng = np.random.default_rng(abs(hash((shape, scale, kind))) % 2**32)
    a = rng.standard_normal(shape) * scale
    a = {
        "float32": a.astype(np.float32),
        "float64": a,
        "int64": a.astype(np.int64),
        "integer_valued": np.round(a).astype(np.float32),
        "bool": a > 0,
    }[kind]
    g, t = gradiente.from_numpy(a.copy()), torch.from_numpy(a.copy())
    assert repr(g) == repr(t)
    if a.dtype.kind == "f":
        assert repr(g.requires_grad_()) == repr(t.requires_grad_())


@pytest.mark.parametrize(
    "options",
    [
        {"precision": 2},
        {"linewidth": 40},
        {"threshold": 5, "edgeitems": 1},
        {"profile": "short"},
        {"profile": "full"},
    ],
    ids=str,
)
def test_set_printoptions(options):
    arrays = [
        np.array([1e-4, 1.0]),
        np.array([0.0001, 10]),
        np.array([[1.5, -2.25], [3, 4]]),
        np.arange(2000.0).reshape(40, 50),
        np.arange(12).reshape(3, 4),
    ]
    gradiente.set_printoptions(**options)
    torch.set_printoptions(**options)
    try:
        for a in arrays:
            assert repr(gradiente.from_numpy(a.copy())) == repr(torch.from_numpy(a.copy()))
    finally:
        gradiente.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


@pytest.mark.parametrize("sci_mode", [False, True])
def test_set_printoptions_sci_mode(sci_mode):
    gradiente.set_printoptions(sci_mode=sci_mode)
    torch.set_printoptions(sci_mode=sci_mode)
    try:
        a = np.array([1e-4, 1.0]) if not sci_mode else np.array([[1.5, -2.25], [3, 4]])
        assert repr(gradiente.from_numpy(a.copy())) == repr(torch.from_numpy(a.copy()))
    finally:
        gradiente.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


# ======================================================================== in-place rules

INPLACE_ON_LEAF = {
    "add_": lambda x: x.add_(1),
    "sub_": lambda x: x.sub_(1),
    "mul_": lambda x: x.mul_(2),
    "div_": lambda x: x.div_(2),
    "zero_": lambda x: x.zero_(),
    "fill_": lambda x: x.fill_(3.0),
    "copy_": lambda x: x.copy_(gradiente.zeros(2)),
    "clamp_": lambda x: x.clamp_(0, 0.5),
    "normal_": lambda x: x.normal_(),
    "uniform_": lambda x: x.uniform_(),
    "iadd": lambda x: x.__iadd__(1),
    "isub": lambda x: x.__isub__(1),
    "imul": lambda x: x.__imul__(2),
    "itruediv": lambda x: x.__itruediv__(2),
    "setitem": lambda x: x.__setitem__(0, 2.0),
}


@pytest.mark.parametrize("name", list(INPLACE_ON_LEAF))
def test_in_place_on_leaf_requiring_grad_is_an_error(name):
    x = gradiente.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        INPLACE_ON_LEAF[name](x)
    assert x.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("name", list(INPLACE_ON_LEAF))
def test_in_place_on_leaf_allowed_under_no_grad(name):
    x = gradiente.ones(2, requires_grad=True)
    with gradiente.no_grad():
        out = INPLACE_ON_LEAF[name](x)
    assert out is x or out is None
    assert x.is_leaf and x.requires_grad and x.grad_fn is None
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


INPLACE_ON_NON_LEAF = {
    "add_": lambda m, y, o: y.add_(o),
    "add_alpha": lambda m, y, o: y.add_(o, alpha=-2.0),
    "add_scalar": lambda m, y, o: y.add_(3.0),
    "sub_": lambda m, y, o: y.sub_(o),
    "mul_": lambda m, y, o: y.mul_(o),
    "mul_scalar": lambda m, y, o: y.mul_(-1.5),
    "div_": lambda m, y, o: y.div_(o * o + 1),
    "clamp_": lambda m, y, o: y.clamp_(-0.5, 0.5),
    "clamp_min": lambda m, y, o: y.clamp_(min=0.1),
    "pow_": lambda m, y, o: y.pow_(2),
    "exp_": lambda m, y, o: y.exp_(),
    "neg_": lambda m, y, o: y.neg_(),
    "sigmoid_": lambda m, y, o: y.sigmoid_(),
    "tanh_": lambda m, y, o: y.tanh_(),
    "relu_": lambda m, y, o: y.relu_(),
    "fill_tensor": lambda m, y, o: y.fill_(o.sum()),
    "copy_": lambda m, y, o: y.copy_(o * 3),
    "copy_broadcast": lambda m, y, o: y.copy_(o[0]),
    "iadd": lambda m, y, o: y.__iadd__(o),
    "isub": lambda m, y, o: y.__isub__(o * 2),
    "imul": lambda m, y, o: y.__imul__(o),
    "itruediv": lambda m, y, o: y.__itruediv__(2.0),
    "masked_fill_": lambda m, y, o: y.masked_fill_(o > 0, 0.0),
    "chain": lambda m, y, o: y.mul_(2).add_(o).clamp_(-1, 1),
}


@pytest.mark.parametrize("name", list(INPLACE_ON_NON_LEAF))
def test_in_place_on_non_leaf_records_correct_gradients(name):
    """y = f(x); y.op_(...): gradients through the in-place op equal torch's (both inputs)."""

    def op(m, x, o):
        y = x.sin() * 1.0
        INPLACE_ON_NON_LEAF[name](m, y, o)
        return y * x

    rng = np.random.default_rng(0)
    check_op(op, rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (3, 4)))


@pytest.mark.parametrize("name", ["zero_", "fill_", "normal_"])
def test_overwriting_in_place_ops_cut_the_graph(name):
    x = gradiente.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    getattr(y, name)() if name != "fill_" else y.fill_(2.5)
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_augmented_assignment_on_an_indexed_non_leaf():
    def op(m, x):
        y = x * 2
        y[:, 0] += 1
        y[1] *= 3
        return y

    check_op(op, np.random.default_rng(0).uniform(-1, 1, (2, 3)))


def test_in_place_keeps_dtype_and_shape_rules():
    cases = [
        lambda m: m.tensor([1, 2]).add_(3),
        lambda m: m.ones(2).add_(m.ones(2, dtype=m.float64)),
        lambda m: m.ones(3, 2).add_(m.ones(2)),
        lambda m: m.ones(2).add_(m.ones(2), alpha=3),
        lambda m: m.ones(2).sub_(m.ones(2), alpha=3),
        lambda m: m.zeros(2, 2).copy_(m.tensor([1.0, 2.0])),
        lambda m: m.zeros(2, dtype=m.int64).copy_(m.tensor([1.7, -2.7])),
        lambda m: m.zeros(2).fill_(m.tensor(2.5)),
        lambda m: m.zeros(2, dtype=m.int64).fill_(2.7),
        lambda m: m.tensor([1, 5]).clamp_(2, 4),
        lambda m: m.tensor([True, False]).add_(True),
        lambda m: m.ones(2).mul_(np.float64(0.1)),
    ]
    for case in cases:
        g, t = _both(case)
        assert_same(g, t, rtol=0)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.tensor([1, 2]).add_(1.5),
        lambda m: m.tensor([1, 2]).mul_(1.5),
        lambda m: m.tensor([1, 2]).div_(2),
        lambda m: m.tensor([1, 2]).__iadd__(1.5),
        lambda m: m.ones(2).add_(m.ones(3, 2)),
        lambda m: m.zeros(2, 2).copy_(m.ones(3)),
    ],
)
def test_in_place_errors_like_torch(call):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError):
        call(gradiente)


def test_in_place_returns_self_and_views_see_it():
    x = gradiente.zeros(2, 3)
    row = x[0]
    assert x.add_(1) is x and x.mul_(2) is x and x.zero_() is x and x.fill_(4) is x
    assert x.clamp_(0, 3) is x and x.copy_(gradiente.ones(2, 3)) is x
    assert x.normal_() is x and x.uniform_(-1, 1) is x
    assert row.tolist() == x[0].tolist()
    y = x
    y += 1
    assert y is x
    u = gradiente.zeros(1000).uniform_(2.0, 3.0)
    assert 2.0 <= u.min().item() and u.max().item() < 3.0
    n = gradiente.zeros(1000, dtype=gradiente.float64).normal_(5.0, 0.1)
    assert abs(n.mean().item() - 5.0) < 0.05 and n.dtype == gradiente.float64


def test_in_place_on_tensor_needed_by_backward_raises_at_backward():
    x = gradiente.tensor([1.0, 2.0], requires_grad=True)
    y = x.sigmoid()  # saves its output
    z = y * 2
    y += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
    w = gradiente.tensor([1.0, 2.0], requires_grad=True)
    h = w * 1
    p = h * h  # saves h
    h.zero_()
    with pytest.raises(RuntimeError, match="version"):
        p.sum().backward()


def test_optimizer_style_update_under_no_grad():
    """w -= lr * w.grad under no_grad, then zero the grad: the standard training-loop step."""
    w = leaf(np.array([1.0, -2.0]))
    tw = to_torch(w)
    for _ in range(3):
        for t in (w, tw):
            (t * t * 3).sum().backward()
        with gradiente.no_grad():
            w -= 0.1 * w.grad
        with torch.no_grad():
            tw -= 0.1 * tw.grad
        w.grad.zero_()
        tw.grad.zero_()
    assert_same(w, tw)
    assert w.is_leaf and w.requires_grad


# ======================================================================== errors


def test_shape_mismatch_errors_name_both_shapes():
    a, b = gradiente.ones(2, 3), gradiente.ones(4, 5)
    for call in (
        lambda: a + b,
        lambda: a * b,
        lambda: a @ b,
        lambda: gradiente.cat([a, b]),
        lambda: gradiente.stack([a, b]),
    ):
        with pytest.raises(RuntimeError) as info:
            call()
        text = str(info.value).replace(" ", "")
        # tuples, lists, or PyTorch's "(2x3 and 4x5)" for a 2-D matmul
        assert any(f in text for f in ("(2,3)", "[2,3]", "2x3")) and any(
            f in text for f in ("(4,5)", "[4,5]", "4x5")
        )
    with pytest.raises(RuntimeError) as info:
        a.view(4, 2)
    assert "[4, 2]" in str(info.value) and "6" in str(info.value)


def test_dim_errors():
    x = gradiente.ones(2, 3)
    for call in (
        lambda: x.sum(2),
        lambda: x.size(5),
        lambda: x.softmax(-3),
        lambda: x.transpose(0, 3),
        lambda: x.unsqueeze(-4),
        lambda: x.max(dim=2),
    ):
        with pytest.raises(IndexError, match="Dimension out of range"):
            call()
    with pytest.raises(TypeError):
        x.sum(1.0)


def test_index_errors():
    x = gradiente.ones(2, 3)
    with pytest.raises(IndexError):
        x[1.0]
    with pytest.raises(IndexError, match="out of bounds"):
        x[2]
    with pytest.raises(IndexError):
        x[gradiente.tensor([0.0])]


def test_backward_errors():
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (gradiente.ones(2, requires_grad=True) * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        gradiente.ones(1).sum().backward()


def test_random_upstream_helper_is_deterministic():
    np.testing.assert_array_equal(random_like((2, 3), 5), random_like((2, 3), 5))


# -- found by the differential fuzzer (tests/fuzz) -------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.zeros(2, dtype=m.int64).add_(m.tensor([1.0], requires_grad=True)),
        lambda m: m.zeros(2, dtype=m.bool).add_(1),
        lambda m: m.zeros(2, dtype=m.bool).mul_(2),
        lambda m: m.zeros(2, dtype=m.int64).mul_(m.tensor(2.5)),
        lambda m: m.zeros(2, dtype=m.int64).clamp_(0.5),
        lambda m: m.zeros(2, dtype=m.int64).div_(2),
    ],
)
def test_inplace_result_that_cannot_be_cast_raises(case):
    """An in-place op raises when its result type is of a higher category than self's."""
    with pytest.raises(RuntimeError, match="can't be cast"):
        case(torch)
    with pytest.raises(RuntimeError, match="can't be cast"):
        case(gradiente)


@pytest.mark.parametrize("method", ["zero_", "fill_"])
def test_overwriting_inplace_on_recorded_tensor_gives_clean_values(method):
    """zero_/fill_ on a tensor in the graph: +0.0 (not -0.0) and no NaN from inf or NaN."""

    def run(m):
        x = m.tensor([-2.0, float("inf"), float("nan"), 1.0], requires_grad=True)
        y = x * 1
        getattr(y, method)(*([] if method == "zero_" else [3.0]))
        (y * m.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
        return y, x.grad

    (gy, gg), (ty, tg) = run(gradiente), run(torch)
    assert_same(gy, ty)
    assert np.array_equal(np.signbit(gy.detach().numpy()), np.signbit(ty.detach().numpy()))
    assert_same(gg, tg)


def test_inplace_subtraction_with_bools_raises():
    for lib in (torch, gradiente):
        with pytest.raises(RuntimeError, match="Subtraction"):
            lib.tensor([4]).sub_(True)
        with pytest.raises(RuntimeError, match="Subtraction"):
            lib.tensor([True]).sub_(lib.tensor([False]))
