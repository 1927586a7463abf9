"""Differences from torch that a tester found in the tensor layer, each checked against torch:
Python types as dtypes, augmented assignment in place, factories' ``out=`` and keyword
arguments, ``Size`` slices, shape-mismatch errors, diff/cumsum/take_along_dim/index_select/
cummax/median, ``linalg.qr(mode="r")`` and ``LinAlgError``, small-integer ``prod``, the small
missing functions (gcd, lcm, rsub, kron, trapezoid, cov, scalar_tensor, ...) and integer
overflow of Python ints."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from conftest import assert_same, check_op

torch = pytest.importorskip("torch")

LIBS = (gradiente, torch)


def _both(fn):
    """``fn(lib)`` for gradiente and for torch."""
    return fn(gradiente), fn(torch)


def _same(g, t, rtol=1e-6, atol=1e-7):
    """Equal results, element by element through tuples: tensors (shape, dtype, values),
    shapes, dtypes and plain values."""
    if isinstance(t, (tuple, list)):
        assert isinstance(g, (tuple, list)) and len(g) == len(t)
        for a, b in zip(g, t, strict=True):
            _same(a, b, rtol, atol)
    elif isinstance(t, torch.Tensor):
        assert isinstance(g, gradiente.Tensor)
        assert_same(g, t, rtol, atol)
    elif isinstance(t, (torch.dtype, torch.Size)):
        assert str(g) == str(t)
    else:
        assert g == t


def _check(fn, rtol=1e-6, atol=1e-7):
    """``fn(lib)`` gives the same result in gradiente and torch."""
    g, t = _both(fn)
    _same(g, t, rtol, atol)


def _same_error(fn):
    """``fn(lib)`` raises the same exception type with the same message in both."""
    errors = []
    for lib in LIBS:
        with pytest.raises(Exception) as info:
            fn(lib)
        errors.append(info.value)
    g, t = errors
    assert isinstance(g, type(t).__mro__[0 if type(t).__module__ == "builtins" else 1])
    assert str(g) == str(t)


# ------------------------------------------------------------------ 1. Python types as dtypes
@pytest.mark.parametrize("python_type", [float, int, bool])
def test_python_types_are_cs_types(python_type):
    _check(
        lambda lib: (
            lib.tensor([1, 0], dtype=python_type),
            lib.zeros(2, dtype=python_type),
            lib.ones(2, 2, dtype=python_type),
            lib.full((2,), 1, dtype=python_type),
            lib.tensor([1, 0]).to(python_type),
            lib.ones(2).new_zeros(2, dtype=python_type),
        )
    )


def test_arange_with_python_types():
    _check(lambda lib: (lib.arange(3, dtype=float), lib.arange(0, 1, 0.25, dtype=float)))
    _check(lambda lib: lib.arange(3, dtype=int))
    _same_error(lambda lib: lib.arange(3, dtype=bool))


def test_float_is_float64_whatever_the_default_dtype():
    for lib in LIBS:
        assert lib.get_default_dtype() == lib.float32
        assert lib.tensor([0.1], dtype=float).dtype == lib.float64
        assert lib.tensor([0.1], dtype=float).item() == 0.1  # not rounded to float32 first


# ------------------------------------------------------------------ 2. in-place operators
@pytest.mark.parametrize(
    "update, values",
    [
        (lambda m, lib: m.__ior__(lib.tensor([False, True, False])), [True, False, False]),
        (lambda m, lib: m.__iand__(lib.tensor([False, True, True])), [True, False, True]),
        (lambda m, lib: m.__ixor__(lib.tensor([True, True, False])), [True, False, True]),
        (lambda m, lib: m.__iand__(3), [1, 6, -7]),
        (lambda m, lib: m.__ior__(lib.tensor([8, 8, 8])), [1, 6, -7]),
        (lambda m, lib: m.__ixor__(5), [1, 6, -7]),
        (lambda m, lib: m.__ifloordiv__(2), [1, 6, -7]),
        (lambda m, lib: m.__imod__(4), [1, 6, -7]),
        (lambda m, lib: m.__ilshift__(2), [1, 6, -7]),
        (lambda m, lib: m.__irshift__(1), [1, 6, -7]),
        (lambda m, lib: m.__ifloordiv__(2.0), [1.5, 6.0, -7.25]),
        (lambda m, lib: m.__imod__(-4.0), [1.5, 6.0, -7.25]),
    ],
)
def test_augmented_assignment_writes_in_place(update, values):
    def run(lib):
        m = lib.tensor(values)
        view, original = m[1:], m
        out = update(m, lib)
        assert out is original  # the name keeps the same tensor, as Python's `m op= x` does
        return m, view

    _check(run)


def test_augmented_assignment_reaches_the_caller():
    def run(lib):
        def update(mask):
            mask |= lib.tensor([False, True])

        m = lib.tensor([True, False])
        update(m)
        return m

    _check(run)


@pytest.mark.parametrize(
    "name, values, other",
    [
        ("eq_", [1.0, 2.0, 3.0], [1.0, 0.0, 3.0]),
        ("ne_", [1.0, 2.0, 3.0], 2.0),
        ("lt_", [1.0, 2.0, 3.0], 2),
        ("le_", [1, 2, 3], [2, 2, 2]),
        ("gt_", [1, 2, 3], 1.5),
        ("ge_", [1.0, 2.0, 3.0], [3.0, 2.0, 1.0]),
        ("greater_", [1, 2, 3], 2),
        ("less_equal_", [1.0, 2.0, 3.0], 2.0),
        ("eq_", [True, False], [True, True]),
        ("bitwise_and_", [1, 6, 12], 6),
        ("bitwise_or_", [1, 6, 12], [8, 1, 0]),
        ("bitwise_xor_", [True, False], [True, True]),
        ("logical_xor_", [1.0, 0.0, 3.0], [1.0, 1.0, 0.0]),
        ("bitwise_not_", [1, 6, -12], None),
        ("negative_", [1.0, -2.0, 0.0], None),
        ("negative_", [1, -2, 0], None),
        ("absolute_", [1.0, -2.0, -0.5], None),
    ],
)
def test_in_place_methods(name, values, other):
    def run(lib):
        x = lib.tensor(values)
        view = x[1:]
        args = () if other is None else (lib.tensor(other) if isinstance(other, list) else other,)
        out = getattr(x, name)(*args)
        assert out is x
        return x, view

    _check(run)


def test_in_place_comparison_keeps_the_dtype_and_refuses_floats_into_ints():
    _check(lambda lib: lib.tensor([1, 2, 3], dtype=lib.int32).lt_(2.5))
    _same_error(lambda lib: lib.tensor([1.5]).bitwise_and_(1))
    _same_error(lambda lib: lib.tensor([1.5]) & 1)
    _same_error(lambda lib: lib.tensor([1]) ^ lib.tensor([1.0], dtype=lib.float64))
    _same_error(lambda lib: lib.tensor([7, 3]).__ifloordiv__(2.5))


@pytest.mark.parametrize("name", ["negative_", "absolute_"])
def test_in_place_unary_gradient(name):
    def run(lib):
        x = lib.tensor([1.5, -2.0, 3.0], dtype=lib.float64, requires_grad=True)
        y = x * x
        getattr(y, name)()
        (y * lib.tensor([1.0, -3.0, 2.0], dtype=lib.float64)).sum().backward()
        return y.detach(), x.grad

    _check(run)


# ------------------------------------------------------------------ 3. factories with out=
@pytest.mark.parametrize(
    "make",
    [
        lambda lib, out: lib.zeros(2, out=out),
        lambda lib, out: lib.ones(3, 2, out=out),
        lambda lib, out: lib.full((3,), 7, out=out),
        lambda lib, out: lib.arange(5, out=out),
        lambda lib, out: lib.arange(1, 7, 3, out=out),
        lambda lib, out: lib.linspace(0, 1, 5, out=out),
        lambda lib, out: lib.eye(2, out=out),
    ],
)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_factories_write_into_out(make, dtype):
    def run(lib):
        buf = lib.full((2,), -1, dtype=getattr(lib, dtype))
        view = buf[:]
        result = make(lib, buf)
        if isinstance(result, lib.Tensor):
            assert result is buf
        # same shape: written in place (a view sees it); another shape: resized
        return result, buf, view if buf.shape == (2,) else buf

    _check(run)


def test_empty_with_out_resizes_it():
    def run(lib):
        buf = lib.zeros(2)
        out = lib.empty(4, 2, out=buf)
        assert out is buf
        return buf.shape, buf.dtype

    _check(run)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_random_factories_write_into_out_in_its_dtype(dtype):
    def run(lib):
        lib.manual_seed(0)
        buf = lib.full((2,), -1.0, dtype=getattr(lib, dtype))
        rand = lib.rand(3, out=buf).clone()
        randn = lib.randn(2, out=buf)
        return rand, randn, buf

    _check(run)
    _check(lambda lib: (lib.manual_seed(1), lib.randint(10, (4,), out=lib.zeros(1).long()))[1])


def test_factory_out_errors():
    _same_error(lambda lib: lib.zeros(2, dtype=lib.long, out=lib.zeros(2)))
    _same_error(lambda lib: lib.rand(2, out=lib.zeros(2, dtype=lib.long)))
    for lib in LIBS:
        with pytest.raises(RuntimeError, match="out=... arguments don't support automatic"):
            lib.zeros(2, out=lib.zeros(2, requires_grad=True))


# ------------------------------------------------------------------ 4. keyword arguments
def test_size_keyword():
    _check(
        lambda lib: (
            lib.zeros(size=(2, 3)),
            lib.ones(size=[2]),
            lib.empty(size=(2, 3)).shape,
            lib.rand(size=(2,)).shape,
            lib.randn(size=(2, 1)).shape,
        )
    )


def test_layout_and_pin_memory_keywords():
    x = None

    def run(lib):
        nonlocal x
        x = lib.ones(2)
        options = {"layout": lib.strided, "pin_memory": False}
        return (
            lib.zeros(2, **options),
            lib.ones(2, **options),
            lib.full((2,), 3.0, **options),
            lib.arange(3, **options),
            lib.linspace(0, 1, 3, **options),
            lib.zeros_like(x, **options),
            x.new_zeros(2, **options),
            x.layout == lib.strided,
            str(x.layout),
        )

    _check(run)


def test_requires_grad_on_like_factories():
    _check(
        lambda lib: tuple(
            f(lib.ones(2), requires_grad=True).requires_grad
            for f in (lib.rand_like, lib.randn_like, lib.zeros_like, lib.ones_like, lib.empty_like)
        )
    )


def test_new_factories_view_tile_max_squeeze_keywords():
    def run(lib):
        x = lib.arange(6.0)
        y = lib.tensor([3.0, 2.0, 9.0, 0.0, 1.0, 7.0])
        ones = lib.ones(1, 1, 3, 1)
        return (
            x.new_zeros(size=(2, 3)),
            x.new_ones(size=(1,)),
            x.new_empty(size=(2, 3)).shape,
            x.view(size=(2, 3)),
            lib.tile(x, dims=(2,)),
            x.tile(dims=(2, 1)),
            lib.max(x, other=y),
            lib.min(x, other=y),
            ones.squeeze(0, 1).shape,
            ones.squeeze(0, 3).shape,
            ones.clone().squeeze_(0, 1).shape,
        )

    _check(run)
    _same_error(lambda lib: lib.ones(1, 1).squeeze(0, 0))


# ------------------------------------------------------------------ 5. Size
def test_size_slices_and_sums_are_sizes():
    def run(lib):
        shape = lib.ones(2, 3, 4).shape
        parts = (shape[1:], shape[::-1], shape + (5,), (1,) + shape, shape * 2)
        for part in parts:
            assert isinstance(part, lib.Size)
        return parts, shape[1:].numel(), shape[0]

    _check(run)
    _same_error(lambda lib: lib.ones(2).shape + [3])


# ------------------------------------------------------------------ 6. shape mismatches
SHAPES = [((2,), (3,)), ((2, 3), (3, 4)), ((2,), (2, 3)), ((2, 3), (4, 1))]


@pytest.mark.parametrize(
    "op",
    [
        lambda lib, a, b: a == b,
        lambda lib, a, b: a < b,
        lambda lib, a, b: a.ne(b),
        lambda lib, a, b: lib.logical_and(a, b),
        lambda lib, a, b: lib.logical_xor(a, b),
        lambda lib, a, b: a.bool() & b.bool(),
        lambda lib, a, b: a.long() | b.long(),
        lambda lib, a, b: a.long() << b.long(),
        lambda lib, a, b: lib.isclose(a, b),
        lambda lib, a, b: lib.allclose(a, b),
        lambda lib, a, b: lib.fmax(a, b),
        lambda lib, a, b: a.__iadd__(b),
        lambda lib, a, b: a.__imul__(b),
        lambda lib, a, b: a.requires_grad_().clone().__iadd__(b),
    ],
)
@pytest.mark.parametrize("shapes", SHAPES)
def test_shape_mismatch_is_torchs_runtime_error(op, shapes):
    _same_error(lambda lib: op(lib, lib.zeros(*shapes[0]), lib.zeros(*shapes[1])))


@pytest.mark.parametrize(
    "write",
    [
        lambda lib, a: a.__setitem__(0, lib.zeros(3)),
        lambda lib, a: a.__setitem__(0, lib.zeros(2, 4)),
        lambda lib, a: a.__setitem__(slice(1, None), lib.zeros(3, 4)),
        lambda lib, a: a.__setitem__((slice(None), 1), lib.zeros(2)),
        lambda lib, a: a.__setitem__([0, 1], lib.zeros(3, 4)),
        lambda lib, a: a.__setitem__(a > -1, lib.zeros(3)),
        lambda lib, a: a.requires_grad_().clone().__setitem__(0, lib.zeros(3)),
        lambda lib, a: a.requires_grad_().clone().__setitem__([0, 1], lib.zeros(3)),
        lambda lib, a: a.__iadd__(lib.zeros(5)),
    ],
)
def test_setitem_shape_errors(write):
    _same_error(lambda lib: write(lib, lib.zeros(3, 4)))


def test_setitem_that_fits_still_works():
    def run(lib):
        a = lib.zeros(3, 4)
        a[0] = lib.ones(1, 4)
        a[[1, 2], 1:] = lib.arange(3.0)
        a[a > 1.5] = lib.tensor(-1.0)
        return a

    _check(run)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.zeros(3, 4).index_add(0, lib.tensor([0, 2]), lib.ones(3, 4)),
        lambda lib: lib.zeros(3, 4).index_add(0, lib.tensor([0, 2]), lib.ones(2, 3)),
        lambda lib: lib.zeros(3, 4).index_add(1, lib.tensor([0, 2]), lib.ones(3, 3)),
        lambda lib: lib.zeros(3, 4).index_add(0, lib.tensor([[0, 2]]), lib.ones(2, 4)),
        lambda lib: lib.zeros(3, 4).index_add_(0, lib.tensor([1]), lib.ones(4)),
        lambda lib: lib.zeros(3).index_add(0, lib.tensor([1]), lib.tensor(1.0)),
        lambda lib: lib.zeros(3, 4).index_copy(0, lib.tensor([0, 2]), lib.ones(3, 4)),
        lambda lib: lib.zeros(3, 4, 5).index_copy(0, lib.tensor([0, 2]), lib.ones(2, 3, 5)),
        lambda lib: lib.zeros(3, 4).index_copy(0, lib.tensor([[0, 2]]), lib.ones(2, 4)),
        lambda lib: lib.zeros(3, 4).index_copy(0, lib.tensor([0, 2]), lib.tensor(1.0)),
        lambda lib: lib.tensor([1, 2, 3]).repeat_interleave(lib.tensor([1, 2])),
        lambda lib: lib.tensor([[1, 2, 3]]).repeat_interleave(lib.tensor([1, 2]), dim=1),
        lambda lib: lib.tensor([1, 2, 3]).repeat_interleave(lib.tensor([1, -1, 2])),
        lambda lib: lib.tensor([1, 2, 3]).repeat_interleave(-1),
    ],
)
def test_index_add_copy_and_repeat_interleave_shape_errors(call):
    _same_error(call)


def test_index_add_and_copy_that_fit():
    _check(
        lambda lib: (
            lib.zeros(3, 4).index_add(0, lib.tensor([0, 2]), lib.ones(2, 4), alpha=2),
            lib.zeros(3, 4).index_add(0, lib.tensor(1), lib.ones(1, 4)),
            lib.zeros(()).index_add(0, lib.tensor([0]), lib.tensor(2.0)),
            lib.zeros(3).index_copy(0, lib.tensor([1]), lib.tensor(5.0)),
            lib.zeros(()).index_copy(0, lib.tensor(0), lib.tensor(5.0)),
            lib.tensor([1, 2, 3]).repeat_interleave(lib.tensor([2])),
        )
    )


# ------------------------------------------------------------------ 7. diff
def test_diff_with_prepend_or_append_only():
    _check(
        lambda lib: (
            lib.diff(lib.tensor([1, 4, 9]), prepend=lib.tensor([0])),
            lib.diff(lib.tensor([1, 4, 9]), append=lib.tensor([20])),
            lib.diff(lib.tensor([[1.0, 4], [9, 3]]), dim=0, append=lib.tensor([[20.0, 1]])),
            lib.tensor([1.0, 4, 9]).diff(n=2, prepend=lib.tensor([0.0])),
        )
    )


# ------------------------------------------------------------------ 8. cumsum
def test_cumsum_accumulates_wider_than_its_dtype():
    _check(
        lambda lib: (
            lib.ones(3000, dtype=lib.float16).cumsum(0)[-1],
            lib.full((100000,), 0.1).cumsum(0)[::9999],
            lib.arange(10).cumsum(0, dtype=lib.float32),
        ),
        rtol=0,
        atol=0,
    )


def test_cumsum_backward_accumulates_wider_too():
    def run(lib):
        x = lib.full((100000,), 0.1, requires_grad=True)
        x.cumsum(0).backward(lib.full((100000,), 0.1))
        return x.grad[::9999]

    _check(run, rtol=0, atol=0)


# ------------------------------------------------------------------ 9. take_along_dim
def test_take_along_dim_broadcasts_and_counts_negative_indices_from_the_end():
    _check(
        lambda lib: (
            lib.take_along_dim(lib.arange(12.0).reshape(3, 4), lib.tensor([[0, 1]]), dim=1),
            lib.take_along_dim(lib.arange(6).reshape(2, 3), lib.tensor([[-1], [0]]), dim=1),
            lib.take_along_dim(lib.arange(6).reshape(2, 3, 1), lib.tensor([[[1, 0, 2]]]), dim=1),
        )
    )
    _same_error(lambda lib: lib.take_along_dim(lib.ones(2, 3), lib.tensor([1, 0]), dim=1))
    _same_error(
        lambda lib: lib.take_along_dim(lib.ones(2, 3), lib.tensor([[1, 0], [1, 1], [0, 0]]), 1)
    )


def test_take_along_dim_gradient():
    check_op(
        lambda lib, x: lib.take_along_dim(x, lib.tensor([[-1, 0, 0, 2]]), dim=1),
        np.arange(6.0).reshape(2, 3),
    )


# ------------------------------------------------------------------ 10, 11. indexing
def test_indexing_with_an_empty_list():
    def run(lib):
        x = lib.arange(6).reshape(2, 3)
        shapes = (x[[]].shape, x[:, []].shape, x[[], 1].shape)
        x[[]] = 5
        return shapes, x

    _check(run)


def test_index_select_index_shapes():
    _check(
        lambda lib: (
            lib.index_select(lib.arange(12.0).reshape(3, 4), 0, lib.tensor(1)),
            lib.arange(12.0).reshape(3, 4).index_select(1, lib.tensor(3)),
            lib.index_select(lib.tensor(5.0), 0, lib.tensor(0)),
        )
    )
    _same_error(lambda lib: lib.ones(3, 4).index_select(1, lib.tensor([[3, 0]])))
    _same_error(lambda lib: lib.ones(3, 4).index_select(1, lib.tensor([1, 4, -1])))
    _same_error(lambda lib: lib.ones(3, 4).index_select(1, lib.tensor([-1])))
    _same_error(lambda lib: lib.ones(3, 4).index_select(0, lib.tensor([3])))
    _same_error(lambda lib: lib.ones(2, 3, 4).index_select(2, lib.tensor([0, 4])))


# ------------------------------------------------------------------ 12. cummax / cummin
@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize(
    "values, dim",
    [
        ([1.0, float("nan"), 3.0], 0),
        ([1.0, float("nan"), 3.0, float("nan"), 0.0], 0),
        ([[5.0, float("nan"), 3.0], [1.0, 2.0, float("nan")]], 1),
        ([[5.0, float("nan"), 3.0], [1.0, 2.0, float("nan")]], 0),
        ([3.0, 1.0, 3.0, 2.0], 0),
    ],
)
def test_cummax_cummin_propagate_nan(name, values, dim):
    _check(lambda lib: tuple(getattr(lib.tensor(values), name)(dim)))


def test_cummax_gradient_goes_to_the_nan():
    def run(lib):
        x = lib.tensor([1.0, float("nan"), 3.0], requires_grad=True)
        x.cummax(0).values.sum().backward()
        return x.grad

    _check(run)


# ------------------------------------------------------------------ 13. median
def test_median_of_nothing_is_nan():
    _check(lambda lib: (lib.tensor([]).median(), lib.zeros(0, 3).median()))
    _same_error(lambda lib: lib.zeros(0, 3).median(0))


NAN = float("nan")


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.tensor([1.0, NAN, 3, 2]).nanmedian(),
        lambda lib: lib.tensor([NAN, NAN]).nanmedian(),
        lambda lib: lib.tensor([]).nanmedian(),
        lambda lib: tuple(lib.tensor([[1.0, NAN, 3, 2], [4.0, 1, NAN, 7]]).nanmedian(1)),
        lambda lib: tuple(lib.tensor([[1.0, NAN, 3, 2], [5.0, 5, 5, 5]]).nanmedian(1)),
        lambda lib: tuple(
            lib.tensor([[1.0, NAN, 3, 2], [NAN] * 4, [4.0, 1, NAN, 7]]).nanmedian(0, True)
        ),
        lambda lib: tuple(lib.tensor([3, 1, 2]).nanmedian(0)),
        lambda lib: lib.tensor(NAN).nanmedian(),
    ],
)
def test_nanmedian_skips_nan(call):
    _check(call)


def test_nanmedian_gradient():
    def run(lib):
        x = lib.tensor([[1.0, NAN, 3, 2], [4.0, 1, NAN, 7]], requires_grad=True)
        (x.nanmedian(1).values * lib.tensor([2.0, -1.0])).sum().backward()
        y = lib.tensor([1.0, NAN, 3, 2], requires_grad=True)
        y.nanmedian().backward()
        return x.grad, y.grad

    _check(run)


# ------------------------------------------------------------------ 14, 15. linalg
@pytest.mark.parametrize("shape", [(3, 2), (2, 3), (2, 4, 3)])
def test_qr_r_mode_gives_an_empty_q(shape):
    A = np.random.default_rng(0).standard_normal(shape)
    _check(lambda lib: tuple(lib.linalg.qr(lib.tensor(A), mode="r")), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.linalg.inv(lib.ones(2, 2)),
        lambda lib: lib.linalg.inv(lib.tensor([[1.0, 2, 3], [2, 4, 6], [1, 1, 1]])),
        lambda lib: lib.linalg.inv(lib.tensor([[1.0, 1, 1], [1, 1, 2], [0, 0, 5]])),
        lambda lib: lib.linalg.inv(lib.zeros(3, 3)),
        lambda lib: lib.linalg.inv(lib.stack([lib.eye(2), lib.ones(2, 2)])),
        lambda lib: lib.inverse(lib.ones(1, 2, 2)),
        lambda lib: lib.ones(2, 2).matrix_power(-1),
        lambda lib: lib.linalg.cholesky(lib.ones(2, 2)),
        lambda lib: lib.linalg.cholesky(-lib.eye(3)),
        lambda lib: lib.linalg.cholesky(lib.stack([lib.eye(2), lib.ones(2, 2)])),
        lambda lib: lib.linalg.cholesky(
            lib.tensor([[4.0, 2, 0], [2, 5, 1], [0, 1, -1]]), upper=True
        ),
        lambda lib: lib.linalg.solve(lib.ones(2, 2), lib.ones(2)),
        lambda lib: lib.linalg.solve(lib.stack([lib.eye(2), lib.ones(2, 2)]), lib.ones(2, 2)),
        lambda lib: lib.linalg.solve(lib.ones(2, 2), lib.ones(2, 2), left=False),
    ],
)
def test_linalg_errors_are_linalgerror(call):
    _same_error(call)
    for lib in LIBS:
        with pytest.raises(lib.linalg.LinAlgError):
            call(lib)
    assert issubclass(gradiente.linalg.LinAlgError, RuntimeError)


def test_other_linalg_errors_are_not_linalgerror():
    with pytest.raises(RuntimeError, match="square matrices") as info:
        gradiente.linalg.inv(gradiente.ones(2, 3))
    assert not isinstance(info.value, gradiente.linalg.LinAlgError)


# ------------------------------------------------------------------ 16. prod
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "bool"])
def test_prod_of_small_integers_is_int64(dtype):
    values = [[1, 2, 250], [3, 0, 100]] if dtype != "bool" else [[True, True], [True, False]]
    _check(
        lambda lib: (
            lib.tensor(values).to(getattr(lib, dtype)).prod(),
            lib.tensor(values).to(getattr(lib, dtype)).prod(1),
        )
    )
    if dtype != "bool":  # a dtype asked for is kept (wrapping around)
        _check(lambda lib: lib.tensor(values).to(getattr(lib, dtype)).prod(dtype=lib.uint8))


# ------------------------------------------------------------------ 17. missing functions
def test_gcd_and_lcm():
    a, b = [12, -18, 0, 7, 9], [8, 12, 0, -21, 6]
    _check(
        lambda lib: (
            lib.gcd(lib.tensor(a), lib.tensor(b)),
            lib.lcm(lib.tensor(a), lib.tensor(b)),
            lib.tensor(a, dtype=lib.int32).gcd(lib.tensor(b, dtype=lib.int16)),
            lib.gcd(lib.tensor([12], dtype=lib.uint8), lib.tensor([8, 6], dtype=lib.int8)),
        )
    )

    def in_place(lib):
        x = lib.tensor([12, 9])
        return x.gcd_(lib.tensor([8, 6])), lib.lcm_(x, lib.tensor([3, 3])), x

    _check(in_place)
    _same_error(lambda lib: lib.gcd(lib.tensor([12.0]), lib.tensor([8.0])))
    _same_error(lambda lib: lib.lcm(lib.tensor([True]), lib.tensor([True])))
    _same_error(lambda lib: lib.gcd(lib.tensor([12]), 8))


def test_rsub():
    _check(
        lambda lib: (
            lib.rsub(lib.tensor([1.0, 2]), lib.tensor([5.0, 5])),
            lib.rsub(lib.tensor([1.0, 2]), 5),
            lib.rsub(lib.tensor([1, 2]), 5, alpha=2),
            lib.rsub(lib.tensor([1, 2]), 2.5),
        )
    )
    _same_error(lambda lib: lib.rsub(lib.tensor([True]), 1))
    check_op(lambda lib, x, y: lib.rsub(x, y, alpha=2.5), np.array([1.0, -2]), np.array([3.0, 4]))


def test_small_tensor_predicates():
    _check(
        lambda lib: (
            lib.tensor([1.0]).is_signed(),
            lib.tensor([1], dtype=lib.uint8).is_signed(),
            lib.tensor([True]).is_signed(),
            lib.tensor([1], dtype=lib.int8).is_signed(),
            lib.ones(2).is_cpu,
            lib.ones(2).is_same_size(lib.zeros(2)),
            lib.ones(2).is_same_size(lib.zeros(1, 2)),
        )
    )


def test_kron():
    _check(
        lambda lib: (
            lib.kron(lib.tensor([[1.0, 2], [3, 4]]), lib.tensor([[0.0, 1], [1, 0]])),
            lib.tensor([1, 2]).kron(lib.tensor([[1], [10]])),
        )
    )
    rng = np.random.default_rng(0)
    check_op(lambda lib, a, b: a.kron(b), rng.standard_normal((2, 3)), rng.standard_normal(4))


def test_trapezoid_and_trapz():
    y = lib_y = [1.0, 4, 9]
    _check(
        lambda lib: (
            lib.trapezoid(lib.tensor(lib_y)),
            lib.trapz(lib.tensor(y), dx=0.5),
            lib.trapezoid(lib.tensor([1, 4, 9])),
            lib.trapezoid(lib.tensor(y), lib.tensor([0.0, 1, 3])),
            lib.trapz(lib.tensor(y), lib.tensor([0.0, 1, 3])),
            lib.trapezoid(lib.arange(12.0).reshape(3, 4), lib.tensor([0.0, 1, 3]), dim=0),
            lib.trapezoid(lib.arange(12.0).reshape(3, 4), dim=0, dx=2),
            lib.trapezoid(lib.arange(12.0).reshape(3, 4), lib.arange(12.0).reshape(3, 4) ** 2),
            lib.trapezoid(lib.zeros(3, 0)),
        )
    )
    _same_error(lambda lib: lib.trapezoid(lib.tensor([True, False])))
    _same_error(lambda lib: lib.trapezoid(lib.tensor([1.0, 2]), lib.tensor([1.0, 2, 3])))
    rng = np.random.default_rng(1)
    check_op(lambda lib, y: lib.trapezoid(y, dim=0, dx=0.5), rng.standard_normal((4, 3)))
    check_op(
        lambda lib, y, x: lib.trapezoid(y, x), rng.standard_normal((2, 5)), rng.standard_normal(5)
    )


def test_cov_and_corrcoef():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 5))
    fw, aw = np.array([1, 2, 1, 3, 1]), rng.uniform(0.1, 2.0, 5)
    _check(
        lambda lib: (
            lib.tensor(x).cov(),
            lib.cov(lib.tensor(x), correction=0),
            lib.tensor(x[0]).cov(),
            lib.tensor(x[:1]).cov(),
            lib.tensor(x).cov(fweights=lib.tensor(fw)),
            lib.tensor(x).cov(aweights=lib.tensor(aw)),
            lib.tensor(x).cov(fweights=lib.tensor(fw), aweights=lib.tensor(aw), correction=2),
            lib.tensor(x).corrcoef(),
            lib.corrcoef(lib.tensor(x)),
        ),
        rtol=1e-10,
        atol=1e-12,
    )
    _same_error(lambda lib: lib.tensor([1.0, 2]).cov(fweights=lib.tensor([0, 0])))
    check_op(lambda lib, x: x.cov(), x)
    check_op(lambda lib, x, w: x.cov(aweights=w), x, aw, requires_grad=[True, False])


def test_scalar_tensor():
    _check(
        lambda lib: (
            lib.scalar_tensor(3),
            lib.scalar_tensor(2.5, dtype=lib.float64),
            lib.scalar_tensor(True),
            lib.scalar_tensor(1, dtype=lib.int32),
            lib.scalar_tensor(1.0, requires_grad=True).requires_grad,
        )
    )


# ------------------------------------------------------------------ 18. integer overflow
@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.tensor([1]) + 2**70,
        lambda lib: lib.tensor([1.0]) + 2**70,
        lambda lib: 2**70 + lib.tensor([1]),
        lambda lib: lib.tensor([1]) * 2**64,
        lambda lib: lib.tensor([1]) - 2**70,
        lambda lib: lib.tensor([1]) + (-(2**63) - 1),
        lambda lib: lib.tensor([1]) == 2**64,
        lambda lib: lib.tensor([1]) < 2**70,
        lambda lib: lib.tensor([1]).add_(2**70),
        lambda lib: lib.tensor([1]).mul_(2**64),
        lambda lib: lib.tensor([1.0]).clamp(max=2**70),
        lambda lib: lib.tensor([1]) // 2**70,
        lambda lib: lib.tensor([1, 2**63]),
        lambda lib: lib.tensor([2**63]),
        lambda lib: lib.tensor([1, -1, 2**63]),
        lambda lib: lib.tensor([[1], [2**63]]),
        lambda lib: lib.tensor(2**64),
        lambda lib: lib.tensor([-(2**63) - 1]),
        lambda lib: lib.tensor([True, 2**63]),
        lambda lib: lib.tensor([2**63], dtype=lib.int64),
        lambda lib: lib.tensor([2**63], dtype=lib.uint8),
        lambda lib: lib.tensor([2**40], dtype=lib.int32),
        lambda lib: lib.tensor([300], dtype=lib.uint8),
    ],
)
def test_python_ints_out_of_range_raise(call):
    _same_error(call)


def test_python_ints_in_range_still_work():
    _check(
        lambda lib: (
            lib.tensor([1]) + 2**63,  # within uint64: wraps, as torch's
            lib.tensor([1], dtype=lib.uint8) + 300,
            lib.tensor([2**62, -(2**63)]),
            lib.tensor([1.5, 2**70]),
            lib.tensor([2**63], dtype=lib.float64),
            lib.tensor([5]) + True,
        )
    )
