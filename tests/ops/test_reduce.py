"""Reductions and normalisers: values, indices, gradients (random upstream) vs torch, gradcheck."""

import os
import re

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from conftest import assert_same, check_op, leaf, to_torch

torch = pytest.importorskip("torch")


def _rand(shape, seed=0):
    return np.random.default_rng(seed).uniform(-2.0, 2.0, shape)


# (shape, dim) pairs: whole tensor, each axis, negative axes, tuples of axes, 0-d tensors.
DIM_CASES = [
    ((), None),
    ((), 0),
    ((), -1),
    ((5,), None),
    ((5,), 0),
    ((5,), -1),
    ((3, 4), None),
    ((3, 4), 0),
    ((3, 4), 1),
    ((3, 4), -1),
    ((3, 4), (0, 1)),
    ((2, 3, 4), 1),
    ((2, 3, 4), -2),
    ((2, 3, 4), (0, 2)),
    ((2, 3, 4), (-1, 0)),
]
SINGLE_DIM_CASES = [(s, d) for s, d in DIM_CASES if d is not None and not isinstance(d, tuple)]


def _call(name, dim, keepdim, **kw):
    def op(m, a):
        fn = getattr(a, name)
        if dim is None:
            return fn(**kw) if not keepdim else fn(dim=tuple(range(a.ndim)), keepdim=True, **kw)
        return fn(dim=dim, keepdim=keepdim, **kw)

    return op


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", DIM_CASES, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_sum_mean(name, shape, dim, keepdim):
    check_op(_call(name, dim, keepdim), _rand(shape, 1), double=True)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", DIM_CASES[3:], ids=str)
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"correction": 0}, {"correction": 2}, {"unbiased": False}, {"unbiased": True}],
    ids=str,
)
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std(name, shape, dim, keepdim, kwargs):
    if dim is None and not keepdim:
        op = lambda m, a: getattr(a, name)(**kwargs)  # noqa: E731
    else:
        op = _call(name, dim, keepdim, **kwargs)
    check_op(op, _rand(shape, 2), double=True)


def test_var_std_positional_dim_and_functions():
    x = _rand((3, 4), 3)
    check_op(lambda m, a: a.var(1), x)
    check_op(lambda m, a: a.std(0, True), x)
    check_op(lambda m, a: m.var(a, dim=1, correction=0), x)
    check_op(lambda m, a: m.std(a), x)
    check_op(lambda m, a: m.var_mean(a, dim=0), x)
    check_op(lambda m, a: m.std_mean(a, 1, keepdim=True), x)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize(
    "shape,dim", [(s, d) for s, d in DIM_CASES if not isinstance(d, tuple)], ids=str
)
def test_prod(shape, dim, keepdim):
    x = np.random.default_rng(4).uniform(0.5, 1.5, shape) * np.sign(_rand(shape, 5))
    if dim is None:
        op = lambda m, a: a.prod()  # noqa: E731
    else:
        op = lambda m, a: a.prod(dim, keepdim=keepdim)  # noqa: E731
    check_op(op, x, double=True)


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod_with_zeros(dim):
    """The gradient of a product with one or two zeros needs no division by x."""
    x = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, -1.5], [1.0, 2.0, 3.0]])
    op = (lambda m, a: a.prod()) if dim is None else (lambda m, a: a.prod(dim))
    check_op(op, x)


def test_prod_double_backward_with_zeros_raises_clearly():
    x = leaf(np.array([1.5, 0.0, 2.0]))
    with pytest.raises(RuntimeError, match="prod"):
        gradiente.autograd.grad(x.prod(), x, create_graph=True)


def test_sum_mean_dtypes():
    i = gradiente.tensor([[1, 2], [3, 4]])
    ti = torch.tensor([[1, 2], [3, 4]])
    assert_same(i.sum(), ti.sum())
    assert_same(i.sum(0), ti.sum(0))
    assert_same(i.sum(dtype=gradiente.float64), ti.sum(dtype=torch.float64))
    assert_same((i > 2).sum(), (ti > 2).sum())
    assert_same(i.mean(dtype=gradiente.float32), ti.mean(dtype=torch.float32))
    assert_same(i.prod(), ti.prod())
    assert_same(i.cumsum(0), ti.cumsum(0))
    f = gradiente.tensor([1.5, 2.5])
    assert_same(f.sum(), torch.tensor([1.5, 2.5]).sum())
    with pytest.raises(RuntimeError, match="mean"):
        i.mean()


def test_sum_mean_of_empty():
    e = gradiente.zeros(0, 3)
    te = torch.zeros(0, 3)
    assert_same(e.sum(), te.sum())
    assert_same(e.sum(0), te.sum(0))
    assert_same(e.mean(0), te.mean(0), atol=0)


# -------------------------------------------------------------------- max / min family


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4)], ids=str)
def test_max_min_all(name, shape):
    check_op(lambda m, a: getattr(a, name)(), _rand(shape, 6), double=True)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", SINGLE_DIM_CASES, ids=str)
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_dim_values_and_indices(name, shape, dim, keepdim):
    out = check_op(lambda m, a: getattr(a, name)(dim, keepdim), _rand(shape, 7), double=True)
    g = leaf(_rand(shape, 7))
    result = getattr(g, name)(dim=dim, keepdim=keepdim)
    assert result.values is result[0] and result.indices is result[1]
    assert out[1].dtype == gradiente.int64


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
def test_max_min_ties(name):
    """max()/amax share a tied gradient evenly; max(dim) sends it to the returned index."""
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0], [5.0, 5.0, 5.0]])
    if name in ("min", "amin"):
        x = -x
    check_op(lambda m, a: getattr(a, name)(), x, gradcheck=False)
    check_op(lambda m, a: getattr(a, name)(1), x, gradcheck=False)
    check_op(lambda m, a: getattr(a, name)(0), x, gradcheck=False)
    check_op(lambda m, a: getattr(a, name)(-1, True), x, gradcheck=False)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", DIM_CASES[3:], ids=str)
@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_amin(name, shape, dim, keepdim):
    if dim is None:
        op = (
            (lambda m, a: getattr(a, name)())
            if not keepdim
            else (lambda m, a: getattr(a, name)(keepdim=True))
        )
    else:
        op = lambda m, a: getattr(a, name)(dim, keepdim)  # noqa: E731
    check_op(op, _rand(shape, 8), double=True)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize(
    "shape,dim", [(s, d) for s, d in DIM_CASES if not isinstance(d, tuple)], ids=str
)
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name, shape, dim, keepdim):
    x = np.round(_rand(shape, 9))  # rounding makes ties: the first index wins, as in torch
    check_op(lambda m, a: getattr(a, name)(dim, keepdim), x, grad=False)
    check_op(lambda m, a: getattr(m, name)(a, dim=dim, keepdim=keepdim), x, grad=False)


def test_max_of_two_tensors_and_int_tensors():
    x, y = _rand((3, 4), 1), _rand((4,), 2)
    check_op(lambda m, a, b: m.max(a, b), x, y)
    check_op(lambda m, a, b: a.min(b), x, y)
    i = np.array([[3, 1, 4], [1, 5, 9]])
    check_op(lambda m, a: a.max(), i)
    check_op(lambda m, a: a.max(1), i)
    check_op(lambda m, a: a.amin(0), i)


def test_max_of_empty_raises():
    with pytest.raises((RuntimeError, IndexError)):
        gradiente.zeros(0).max()


# -------------------------------------------------------------------- logsumexp, softmax, cumsum


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", DIM_CASES[1:], ids=str)
def test_logsumexp(shape, dim, keepdim):
    if dim is None:
        return
    check_op(lambda m, a: a.logsumexp(dim, keepdim), _rand(shape, 10), double=True)
    check_op(lambda m, a: m.logsumexp(a, dim, keepdim=keepdim), _rand(shape, 11))


def test_logsumexp_extreme_values():
    x = np.array([[1000.0, 1000.0, -1000.0], [-np.inf, 0.0, 1.0], [-np.inf, -np.inf, -np.inf]])
    check_op(lambda m, a: a.logsumexp(1), x, gradcheck=False)
    check_op(lambda m, a: a.logsumexp(0)[1:], x, gradcheck=False)


@pytest.mark.parametrize("shape,dim", SINGLE_DIM_CASES, ids=str)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_log_softmax(name, shape, dim):
    check_op(lambda m, a: getattr(a, name)(dim), _rand(shape, 12), double=True)
    check_op(lambda m, a: getattr(m, name)(a, dim=dim), _rand(shape, 13))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_large_inputs_and_dtype(name):
    x = np.array([[1000.0, 0.0, -1000.0], [500.0, 500.0, 500.0]])
    check_op(lambda m, a: getattr(a, name)(1), x, gradcheck=False)
    x32 = np.random.default_rng(3).standard_normal((4, 5)).astype(np.float32)
    check_op(lambda m, a: getattr(a, name)(-1), x32, rtol=1e-5, atol=1e-6, gradcheck=False)
    check_op(lambda m, a: getattr(a, name)(-1, dtype=m.float64), x32, gradcheck=False)


@pytest.mark.parametrize("shape,dim", SINGLE_DIM_CASES, ids=str)
def test_cumsum(shape, dim):
    check_op(lambda m, a: a.cumsum(dim), _rand(shape, 14), double=True)
    check_op(lambda m, a: m.cumsum(a, dim=dim), _rand(shape, 15))


def test_cumsum_dtype():
    check_op(lambda m, a: a.cumsum(0, dtype=m.float64), _rand((4,), 1).astype(np.float32))
    check_op(lambda m, a: a.cumsum(-1), np.array([[True, False], [True, True]]))


# -------------------------------------------------------------------- composites and errors


def test_composite_reductions():
    x = _rand((4, 5), 16)
    check_op(lambda m, a: (a - a.mean(1, keepdim=True)) / a.std(1, keepdim=True), x, double=True)
    check_op(lambda m, a: a.norm(), x)
    check_op(lambda m, a: a.norm(dim=1), x)
    check_op(lambda m, a: a.softmax(1).log().sum(0), x)
    check_op(lambda m, a: a.exp().sum(1).log() - a.logsumexp(1), x, atol=1e-12)


@pytest.mark.parametrize(
    "call",
    [
        lambda a: a.sum(2),
        lambda a: a.sum(-3),
        lambda a: a.mean((0, 5)),
        lambda a: a.max(2),
        lambda a: a.softmax(3),
        lambda a: a.cumsum(-3),
        lambda a: a.logsumexp(7),
        lambda a: a.argmax(2),
        lambda a: a.var(4),
    ],
)
def test_out_of_range_dim_is_index_error(call):
    a = gradiente.ones(2, 3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        call(a)


def test_reduction_results_do_not_alias_input():
    x = gradiente.tensor([[1.0, 2.0], [3.0, 4.0]])
    s = x.sum(0)
    m = x.amax(1)
    x.add_(100.0)
    assert s.tolist() == [4.0, 6.0]
    assert m.tolist() == [2.0, 4.0]


def test_grad_of_reduction_is_not_a_view_of_upstream():
    """Gradients flowing to leaves must be independent arrays (later in-place edits of
    ``.grad`` must not change anything else)."""
    a = leaf(_rand((3,), 1))
    b = leaf(_rand((3,), 2))
    (a.sum() + b.sum()).backward()
    a.grad.mul_(5.0)
    assert b.grad.tolist() == [1.0, 1.0, 1.0]
    assert_same(a.grad, to_torch(a).detach() * 0 + 5)


# ------------------------------------------------------------ logcumsumexp (issue 9)

_INF, _NAN = float("inf"), float("nan")


@pytest.mark.parametrize(
    "values",
    [
        [0.0, 200.0],  # a global shift by max(x) underflows e^{0 − 200} to 0: log 0 = −inf
        [-200.0, 0.0, 300.0, -5.0],
        [-_INF, -_INF, 1.0],
        [_INF, 1.0],
        [_INF, -_INF],
        [_NAN, 1.0],
        [1.0, _INF],
        [-_INF, _INF, -_INF],
        [1e30, -1e30],
    ],
)
def test_logcumsumexp_large_and_non_finite_values_match_torch(values):
    x = np.array(values)
    up = np.array([0.3, -1.2, 0.5, 2.0][: len(values)])
    xg, xt = leaf(x), to_torch(leaf(x))
    yg, yt = xg.logcumsumexp(0), xt.logcumsumexp(0)
    assert_same(yg, yt)
    yg.backward(gradiente.from_numpy(up.copy()))
    yt.backward(torch.from_numpy(up))
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 4), 1), ((3, 4), -2), ((), 0), ((0, 3), 0)])
def test_logcumsumexp_gradients_match_torch(shape, dim):
    x = _rand(shape) * 50  # wide spread: exp(x) alone would overflow float32 sums
    check_op(lambda m, a: a.logcumsumexp(dim), x, double=True)


def test_logcumsumexp_float32_and_errors_like_torch():
    x = np.array([0.0, 200.0, -3.0, 88.0, 90.0], dtype=np.float32)
    assert_same(gradiente.from_numpy(x).logcumsumexp(0), torch.from_numpy(x).logcumsumexp(0))
    with pytest.raises(NotImplementedError, match="logcumsumexp_out_cpu.*Long"):
        gradiente.tensor([1, 2]).logcumsumexp(0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        gradiente.tensor(2.0).logcumsumexp(1)


# -- found by the differential fuzzer (tests/fuzz) -------------------------------------------


@pytest.mark.parametrize(
    "op",
    [
        lambda m: m.logsumexp(m.tensor([1, 2]), 0),  # integers -> default float dtype
        lambda m: m.logsumexp(m.tensor([True, False]), 0),
        lambda m: m.logsumexp(m.zeros(0, 2), 0),  # empty -> -inf
        lambda m: m.logsumexp(m.zeros(0, 2), 1),
        lambda m: m.any(m.tensor(3), 0),  # 0-d tensors take dim 0 and -1
        lambda m: m.all(m.tensor(0), -1, keepdim=True),
    ],
)
def test_reduction_edge_cases_as_torch(op):
    assert_same(op(gradiente), op(torch))


# ------------------------------------------------- 0-d and 0-size inputs (issue 9)

_ZERO_D_OPS = {
    "amax": lambda t, d: t.amax(d),
    "amin_keepdim": lambda t, d: t.amin(d, keepdim=True),
    "max": lambda t, d: t.max(d),
    "argmax": lambda t, d: t.argmax(d),
    "sum": lambda t, d: t.sum(d),
    "cumsum": lambda t, d: t.cumsum(d),
    "logsumexp": lambda t, d: t.logsumexp(d),
    "std": lambda t, d: t.std(d),
    "aminmax": lambda t, d: t.aminmax(dim=d),
    "sort": lambda t, d: t.sort(d),
    "argsort": lambda t, d: t.argsort(d),
    "topk1": lambda t, d: t.topk(1, d),
    "topk0": lambda t, d: t.topk(0, d),
    "kthvalue": lambda t, d: t.kthvalue(1, d),
    "median": lambda t, d: t.median(d),
    "mode": lambda t, d: t.mode(d),
    "quantile": lambda t, d: t.quantile(0.5, d),
    "count_nonzero": lambda t, d: t.count_nonzero(d),
    "gather": lambda t, d: t.gather(d, t.new_zeros((), dtype=t.new_zeros(()).long().dtype)),
    "softmax": lambda t, d: t.softmax(d),
}


def _run_both(fn, x):
    """fn on gradiente and on torch: (outputs, gradient) for a random upstream gradient, or
    the raised exception."""
    results = []
    for lib in (gradiente, torch):
        t = lib.from_numpy(np.array(x, copy=True)).requires_grad_()
        try:
            out = fn(t)
        except Exception as e:  # noqa: BLE001 - compared with torch's
            results.append(e)
            continue
        outs = list(out) if isinstance(out, tuple) else [out]
        grad = None
        if outs[0].requires_grad:
            up = lib.from_numpy(np.random.default_rng(0).standard_normal(tuple(outs[0].shape)))
            (grad,) = lib.autograd.grad((outs[0] * up).sum(), t)
        results.append((outs, grad))
    return results


@pytest.mark.parametrize("dim", [0, -1, 1])
@pytest.mark.parametrize("op", list(_ZERO_D_OPS))
def test_zero_d_reductions_accept_dim_0_and_minus_1(op, dim):
    """A 0-d tensor has dims 0 and -1 (one value), and nothing else: values, dtypes and
    gradients as torch, or the same error."""
    g, t = _run_both(lambda x: _ZERO_D_OPS[op](x, dim), np.float64(0.7))
    if isinstance(t, Exception):
        assert isinstance(g, Exception) and type(g).__name__ == type(t).__name__, g
        return
    assert not isinstance(g, Exception), g
    for a, b in zip(g[0], t[0], strict=True):
        assert_same(a, b)
    if t[1] is not None:
        assert_same(g[1], t[1], what="gradient")


@pytest.mark.parametrize(
    "op",
    [
        lambda t: t.permute(()),
        lambda t: t.flip(0),
        lambda t: t.flip(-1),
        lambda t: t.index_select(0, torch_or_gradiente_index(t)),
        lambda t: t.flatten(),
        lambda t: t.flatten(1),
        lambda t: t.any(1),
    ],
)
def test_zero_d_shape_ops_and_their_gradients(op):
    g, t = _run_both(op, np.float64(-1.5))
    if isinstance(t, Exception):
        assert isinstance(g, Exception) and type(g).__name__ == type(t).__name__, g
        return
    assert not isinstance(g, Exception), g
    assert_same(g[0][0], t[0][0])
    if t[1] is not None:
        assert_same(g[1], t[1], what="gradient")


def torch_or_gradiente_index(t):
    lib = gradiente if isinstance(t, gradiente.Tensor) else torch
    return lib.tensor([0])


@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0)])
@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize(
    "op",
    [
        lambda t, d: t.softmax(d),
        lambda t, d: t.log_softmax(d),
        lambda t, d: (
            gradiente.nn.functional.softmin(t, d)
            if isinstance(t, gradiente.Tensor)
            else torch.nn.functional.softmin(t, d)
        ),
        lambda t, d: t.amax(d),
        lambda t, d: t.max(d),
        lambda t, d: t.argmin(d),
        lambda t, d: t.logsumexp(d),
        lambda t, d: t.sort(d),
        lambda t, d: t.cumsum(d),
        lambda t, d: t.logcumsumexp(d),
    ],
)
def test_zero_size_inputs_like_torch(shape, dim, op):
    """Empty inputs: an empty result where torch gives one, torch's error where a reduction
    over an empty axis has no value (max, argmin)."""
    g, t = _run_both(lambda x: op(x, dim), np.zeros(shape))
    if isinstance(t, Exception):
        assert isinstance(g, Exception) and type(g).__name__ == type(t).__name__, g
        # the same message up to how the dim is written (torch repeats -1, gradiente says 0)
        assert re.sub(r"-?\d", "", str(t).split("(")[-1]) in re.sub(r"-?\d", "", str(g))
        return
    assert not isinstance(g, Exception), g
    for a, b in zip(g[0], t[0], strict=True):
        assert_same(a, b)
    if t[1] is not None:
        assert_same(g[1], t[1], what="gradient")


@pytest.mark.parametrize(
    "op",
    [
        lambda m, x: m.median(x),
        lambda m, x: m.median(x, 1),
        lambda m, x: m.nanmedian(x, 0),
        lambda m, x: m.kthvalue(x, 1),
        lambda m, x: m.argmax(x),
        lambda m, x: m.argmin(x, 0, keepdim=True),
        lambda m, x: x.argmax(),
        lambda m, x: m.topk(x, 1),
    ],
)
def test_order_statistics_of_bool_raise_like_torch(op):
    """torch has no bool kernel for median/kthvalue/argmax/argmin/topk (found by the fuzzer)."""
    for lib in (torch, gradiente):
        with pytest.raises((NotImplementedError, RuntimeError)):
            op(lib, lib.tensor([[True, False], [False, False]]))


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_median_of_rows_holding_nan_is_nan_at_the_first_nan(dim):
    """torch.median propagates NaN (index: the first NaN of the row); the gradient of the
    median of all elements is shared by the NaNs (found by the fuzzer)."""
    nan = float("nan")
    rows = [[1.0, nan, 2.0, nan], [3.0, 1.0, 2.0, 0.0], [nan, 4.0, nan, 5.0]]
    results = []
    for lib in (gradiente, torch):
        x = lib.tensor(rows, dtype=lib.float64, requires_grad=True)
        out = lib.median(x) if dim is None else lib.median(x, dim)
        values = out if dim is None else out.values
        values.backward(lib.ones_like(values) * 0.5)
        results.append((out, x.grad))
    (g, g_grad), (t, t_grad) = results
    if dim is None:
        assert_same(g, t)
    else:
        assert_same(g.values, t.values)
        assert_same(g.indices, t.indices, what="indices")
    assert_same(g_grad, t_grad, what="gradient")
    check_op(lambda m, a: m.median(a) if dim is None else m.median(a, dim), _rand((3, 4), 3))


@pytest.mark.parametrize(
    "op", [lambda m, a, d: m.cumsum(a, d), lambda m, a, d: m.logcumsumexp(a, d)]
)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scans_start_from_positive_zero(op, dim):
    """torch's cumsum adds to 0.0 and logcumsumexp log-adds to -inf, so a leading -0.0 gives
    0.0; a 0-d input is returned as it is (found by the fuzzer)."""
    x = np.array([[-0.0, -0.0, 1.0], [-0.0, 2.0, -0.0]])
    g, t = op(gradiente, gradiente.tensor(x), dim), op(torch, torch.tensor(x), dim)
    assert_same(g, t)
    assert np.array_equal(np.signbit(g.numpy()), np.signbit(t.numpy()))
    g0, t0 = op(gradiente, gradiente.tensor(-0.0), 0), op(torch, torch.tensor(-0.0), 0)
    assert np.signbit(g0.numpy()) == np.signbit(t0.numpy())
    check_op(lambda m, a: op(m, a, dim), _rand((3, 4), seed=2))


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_of_an_empty_tensor_saves_its_output(fn):
    """Found by the fuzzer: torch saves the (empty) output, so an in-place change of it makes
    backward refuse; gradiente saved the input instead."""
    for M in (gradiente, torch):
        x = M.zeros(0, 3, dtype=M.float64, requires_grad=True)
        y = getattr(M.nn.functional, fn)(x, dim=1)
        y.abs_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
        x = M.zeros(0, 3, dtype=M.float64, requires_grad=True)
        getattr(M.nn.functional, fn)(x, dim=1).sum().backward()
        assert tuple(x.grad.shape) == (0, 3)


def _grads_match(op, x, seed=0):
    """op(lib, t) in both libraries with the same random upstream; values and x.grad agree
    exactly, NaN for NaN."""
    results = []
    for lib in (gradiente, torch):
        t = lib.tensor(x, requires_grad=True)
        out = op(lib, t)
        up = np.random.default_rng(seed).standard_normal(tuple(out.shape))
        out.backward(lib.tensor(up))
        results.append((out.detach().numpy(), t.grad.numpy()))
    for g, t in zip(*results, strict=True):
        np.testing.assert_allclose(g, t, rtol=1e-12, atol=1e-12)


CUMPROD_PROD_INPUTS = [
    np.array(float("nan")),
    np.array([float("nan")]),
    np.array([[1.5, float("nan"), 2.0]]),
    np.array([[0.0, 2.0, -1.0, 0.0, 3.0], [1.5, -2.0, 0.5, 4.0, float("nan")]]),
    np.array([[0.0, float("inf"), 0.0], [2.0, 0.0, float("nan")]]),
    np.array([[1.5, -2.0], [0.0, 3.0], [float("inf"), 0.5]]),
]


@pytest.mark.parametrize("x", range(len(CUMPROD_PROD_INPUTS)))
@pytest.mark.parametrize(
    "op",
    [
        lambda m, t: m.cumprod(t, -1),
        lambda m, t: m.cumprod(t, 0),
        lambda m, t: m.prod(t),
        lambda m, t: m.prod(t, -1),
        lambda m, t: m.prod(t, 0, keepdim=True),
    ],
)
def test_prod_and_cumprod_gradients_follow_torchs_formulas(op, x):
    """torch passes the gradient through a 0-d or length-1 product (even at NaN), divides
    y / x when no zero is anywhere, and otherwise uses exclusive products (cumprod: its O(n)
    first-zero algorithm; prod of all with two zeros: 0) — NaN lands where torch's does
    (found by the fuzzer)."""
    _grads_match(op, CUMPROD_PROD_INPUTS[x])


@pytest.mark.parametrize(
    "op",
    [
        lambda m, t: m.max(t),
        lambda m, t: m.min(t),
        lambda m, t: m.median(t),
        lambda m, t: m.amax(t),
        lambda m, t: m.amin(t, 1),
    ],
)
@pytest.mark.parametrize("up", [2.0, float("nan")])
def test_whole_tensor_max_min_median_share_the_gradient_like_torch(op, up):
    """max()/min()/median() of all elements give the tied entries grad / count and exactly 0
    elsewhere, even for a NaN upstream (torch's masked_fill); amax/amin compute
    (grad / count) · mask, so a NaN upstream reaches every entry (found by the fuzzer)."""
    results = []
    for lib in (gradiente, torch):
        t = lib.tensor([[-0.5, 3.0, 2.25, 3.0], [1.0, 3.0, -3.0, -3.0]], requires_grad=True)
        out = op(lib, t)
        out.backward(lib.full(out.shape, up, dtype=out.dtype))
        results.append(t.grad.numpy())
    np.testing.assert_array_equal(*results)


@pytest.mark.parametrize("op", ["amax", "amin"])
@pytest.mark.parametrize("dim", [0, 1, (0, 1), None])
def test_amax_amin_keep_the_first_zero_like_torch(op, dim):
    x = np.array([[0.0, -0.0, -1.0], [-0.0, 0.0, -2.0], [3.0, 0.0, -0.0]])
    kwargs = {} if dim is None else {"dim": dim}
    got = getattr(gradiente, op)(gradiente.tensor(x), **kwargs).numpy()
    want = getattr(torch, op)(torch.tensor(x), **kwargs).numpy()
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_min_along_a_dim_of_a_0d_tensor_is_a_new_tensor():
    for M in (gradiente, torch):
        x = M.tensor(3.5, dtype=M.float64, requires_grad=True) * 1
        values, _ = M.min(x, dim=-1)
        x.add_(100)
        assert values.item() == 3.5


def test_atan2_with_a_bool_operand_refuses_backward_like_torch():
    for M in (gradiente, torch):
        w = M.tensor([2.5, -2.25], requires_grad=True)
        out = M.atan2(M.tensor([True, False]), w)
        with pytest.raises(RuntimeError, match="bool tensor is not supported"):
            out.sum().backward()


def test_atan2_with_a_bool_second_operand_has_a_backward_like_torch():
    grads = []
    for M in (gradiente, torch):
        w = M.tensor([2.5, -2.25], requires_grad=True)
        M.atan2(w, M.tensor([True, False])).sum().backward()
        grads.append(w.grad.tolist())
    assert grads[0] == grads[1]


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_an_empty_integer_tensor_is_no_error_like_torch(name):
    for dtype in ("bool", "int64"):
        got = getattr(gradiente, name)(gradiente.zeros(0, 3, dtype=getattr(gradiente, dtype)), -1)
        want = getattr(torch, name)(torch.zeros(0, 3, dtype=getattr(torch, dtype)), -1)
        assert str(got.dtype) == str(want.dtype) and tuple(got.shape) == tuple(want.shape)
    with pytest.raises(NotImplementedError):
        getattr(gradiente, name)(gradiente.zeros(2, 3, dtype=gradiente.int64), -1)


@pytest.mark.parametrize("p", [float("inf"), float("-inf")])
@pytest.mark.parametrize("dim", [None, 1])
@pytest.mark.parametrize(
    "values",
    [
        [[1.0, float("nan"), 2.0], [-3.0, float("inf"), 0.5]],
        [[float("nan"), float("nan"), 2.0], [-0.0, 0.0, 0.5]],
        [[1.0, float("inf"), 2.0], [-float("inf"), 0.5, 0.5]],
        [[1.0, -3.0, 2.0], [-3.0, 0.5, 0.5]],
    ],
)
def test_inf_norm_gradient_with_nan_and_ties_matches_torch(p, dim, values):
    """PyTorch's rule: the gradient goes to the entries where |x| is the norm or is NaN,
    shared evenly, times sign(x) (0 for NaN); never NaN from 0/0."""
    grads = []
    for lib in (gradiente, torch):
        x = lib.tensor(values, dtype=lib.float64).requires_grad_()
        y = lib.linalg.vector_norm(x, ord=p, dim=dim)
        y.sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(np.signbit(grads[0]), np.signbit(grads[1]))


@pytest.mark.parametrize("dim, keepdim", [(None, False), (0, False), (1, True), ((0, 1), False)])
def test_nansum_values_gradient_and_node_match_torch(dim, keepdim):
    """nansum's gradient is grad · [x is not NaN] (a NaN upstream gradient stays NaN even at
    a NaN input), and its node is NansumBackward0."""
    nan, inf = float("nan"), float("inf")
    values = [[-0.0, -0.0, -1.0], [-1.5, -0.75, -2.25], [nan, 0.75, -inf]]
    results = []
    for lib in (gradiente, torch):
        x = lib.tensor(values, dtype=lib.float64).requires_grad_()
        y = x.nansum() if dim is None else x.nansum(dim, keepdim=keepdim)
        up = lib.full(tuple(y.shape), nan) if dim is None else lib.ones(tuple(y.shape))
        y.backward(up)
        name = y.grad_fn.name() if lib is gradiente else type(y.grad_fn).__name__
        results.append((y.detach().numpy(), x.grad.numpy(), name))
    (yg, gg, ng), (yt, gt, nt) = results
    np.testing.assert_array_equal(yg, yt)
    np.testing.assert_array_equal(gg, gt)
    assert ng == nt == "NansumBackward0"
    assert gradiente.tensor([1, 2, 3]).nansum().item() == 6  # integers: a plain sum


def test_nansum_gradcheck():
    from gradiente.autograd import gradcheck

    x = gradiente.tensor(np.random.default_rng(3).standard_normal((3, 4))).requires_grad_()
    assert gradcheck(lambda t: t.nansum(1), (x,))
    assert gradcheck(lambda t: t.nansum(), (x,))
