"""Max, average and adaptive pooling against PyTorch (float64), plus gradchecks."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from gradiente.autograd import grad as autograd_grad
from gradiente.autograd import gradcheck
from gradiente.ops.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _compare(g_fn, t_fn, x, rng, rtol=1e-7, atol=1e-12):
    """Values, indices (when returned) and the input gradient for a random upstream gradient."""
    xg = gradiente.from_numpy(x.copy()).requires_grad_()
    xt = torch.from_numpy(x.copy()).requires_grad_()
    yg, yt = g_fn(xg), t_fn(xt)
    if isinstance(yt, tuple):
        assert yg[1].dtype == gradiente.int64
        np.testing.assert_array_equal(yg[1].numpy(), yt[1].numpy())
        yg, yt = yg[0], yt[0]
    assert tuple(yg.shape) == tuple(yt.shape)
    np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    up = rng.standard_normal(tuple(yt.shape)).astype(x.dtype)
    yg.backward(gradiente.from_numpy(up.copy()))
    yt.backward(torch.from_numpy(up))
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)


def _second_order_check(fn, x, rng):
    out = fn(x)
    v = gradiente.from_numpy(rng.standard_normal(tuple(out.shape)))

    def first_grad(x):
        with gradiente.enable_grad():
            return autograd_grad([fn(x) ** 2], [x], [v], create_graph=True)

    assert gradcheck(first_grad, (x,))


def _inputs(rng, shape, ties):
    x = rng.standard_normal(shape)
    # rounding makes many equal values inside windows: PyTorch's tie rule must be matched
    return np.round(x) if ties else x


# (shape, kernel, stride, padding, dilation, ceil_mode)
MAX2D_CASES = [
    ((2, 3, 8, 8), 2, None, 0, 1, False),
    ((2, 3, 9, 7), 3, 2, 1, 1, True),
    ((2, 3, 9, 7), 3, 2, 1, 1, False),
    ((2, 3, 9, 7), (3, 2), (2, 1), (1, 1), (2, 1), False),
    ((1, 2, 10, 11), 3, 3, 1, 1, True),
    ((2, 3, 6, 6), 1, 2, 0, 1, False),
    ((2, 3, 7, 7), 2, 2, 0, 1, True),
    ((2, 2, 7, 9), 2, 1, 1, 1, False),
    ((1, 2, 11, 10), 3, (2, 3), (1, 0), 2, True),
    ((2, 3, 5, 5), (1, 3), 1, (0, 1), 1, False),
]


@pytest.mark.parametrize("case", MAX2D_CASES)
@pytest.mark.parametrize("ties", [False, True])
def test_max_pool2d_matches_torch(case, ties):
    shape, k, s, p, d, ceil = case
    rng = np.random.default_rng(0)
    x = _inputs(rng, shape, ties)
    _compare(
        lambda t: max_pool2d(t, k, s, p, d, ceil, return_indices=True),
        lambda t: TF.max_pool2d(t, k, s, p, d, ceil, return_indices=True),
        x,
        rng,
    )
    _compare(
        lambda t: max_pool2d(t, k, s, p, d, ceil),
        lambda t: TF.max_pool2d(t, k, s, p, d, ceil),
        x,
        rng,
    )


@pytest.mark.parametrize("case", [c for c in MAX2D_CASES if c[4] == 1])
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_torch(case, count_include_pad):
    shape, k, s, p, _, ceil = case
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    _compare(
        lambda t: avg_pool2d(t, k, s, p, ceil, count_include_pad),
        lambda t: TF.avg_pool2d(t, k, s, p, ceil, count_include_pad),
        x,
        rng,
    )


@pytest.mark.parametrize("divisor", [1, 5])
def test_avg_pool2d_divisor_override(divisor):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 2, 7, 7))
    _compare(
        lambda t: avg_pool2d(t, 3, 2, 1, True, False, divisor),
        lambda t: TF.avg_pool2d(t, 3, 2, 1, True, False, divisor),
        x,
        rng,
    )


@pytest.mark.parametrize("args", [(3, 2, 1, 1, True), (2, None, 0, 1, False), (3, 1, 1, 2, False)])
@pytest.mark.parametrize("ties", [False, True])
def test_max_pool1d_matches_torch(args, ties):
    k, s, p, d, ceil = args
    rng = np.random.default_rng(3)
    x = _inputs(rng, (2, 3, 10), ties)
    _compare(
        lambda t: max_pool1d(t, k, s, p, d, ceil, True),
        lambda t: TF.max_pool1d(t, k, s, p, d, ceil, True),
        x,
        rng,
    )


@pytest.mark.parametrize(
    "args", [(3, 2, 1, True, False), (2, None, 0, False, True), (4, 3, 2, True, True)]
)
def test_avg_pool1d_matches_torch(args):
    k, s, p, ceil, cip = args
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 11))
    _compare(
        lambda t: avg_pool1d(t, k, s, p, ceil, cip),
        lambda t: TF.avg_pool1d(t, k, s, p, ceil, cip),
        x,
        rng,
    )


@pytest.mark.parametrize(
    "size", [(3, 4), (2, 2), 1, (None, 3), (5, 7), (7, 10), (4, None), (8, 11)]
)
def test_adaptive_pool2d_matches_torch(size):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 7, 10))
    _compare(
        lambda t: adaptive_avg_pool2d(t, size), lambda t: TF.adaptive_avg_pool2d(t, size), x, rng
    )
    xr = np.round(x)
    _compare(
        lambda t: adaptive_max_pool2d(t, size, True),
        lambda t: TF.adaptive_max_pool2d(t, size, True),
        xr,
        rng,
    )
    _compare(
        lambda t: adaptive_max_pool2d(t, size), lambda t: TF.adaptive_max_pool2d(t, size), x, rng
    )


def test_adaptive_pool2d_empty_output_size():
    x = gradiente.zeros(2, 3, 4, 4)
    assert tuple(adaptive_avg_pool2d(x, (0, 2)).shape) == (2, 3, 0, 2)
    out, idx = adaptive_max_pool2d(x, (2, 0), return_indices=True)
    assert tuple(out.shape) == tuple(idx.shape) == (2, 3, 2, 0)


@pytest.mark.parametrize("size", [4, 1, 7, 3])
def test_adaptive_avg_pool1d_matches_torch(size):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 7))
    _compare(
        lambda t: adaptive_avg_pool1d(t, size), lambda t: TF.adaptive_avg_pool1d(t, size), x, rng
    )


def test_unbatched_inputs():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 7, 6))
    _compare(
        lambda t: max_pool2d(t, 2, return_indices=True),
        lambda t: TF.max_pool2d(t, 2, return_indices=True),
        x,
        rng,
    )
    _compare(lambda t: avg_pool2d(t, 3, 2, 1), lambda t: TF.avg_pool2d(t, 3, 2, 1), x, rng)
    _compare(
        lambda t: adaptive_max_pool2d(t, (2, 4), True),
        lambda t: TF.adaptive_max_pool2d(t, (2, 4), True),
        x,
        rng,
    )
    _compare(lambda t: adaptive_avg_pool2d(t, 3), lambda t: TF.adaptive_avg_pool2d(t, 3), x, rng)
    x1 = rng.standard_normal((3, 9))
    _compare(lambda t: max_pool1d(t, 2), lambda t: TF.max_pool1d(t, 2), x1, rng)
    _compare(lambda t: avg_pool1d(t, 3), lambda t: TF.avg_pool1d(t, 3), x1, rng)
    _compare(lambda t: adaptive_avg_pool1d(t, 4), lambda t: TF.adaptive_avg_pool1d(t, 4), x1, rng)


@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (3, 2, 1), (3, 1, 1)])
def test_channels_last_input_keeps_layout_and_values(kernel, stride, padding):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 5, 8, 8))
    x_cl = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    _compare(
        lambda t: max_pool2d(t, kernel, stride, padding),
        lambda t: TF.max_pool2d(t, kernel, stride, padding),
        x_cl,
        rng,
    )
    _compare(
        lambda t: avg_pool2d(t, kernel, stride, padding),
        lambda t: TF.avg_pool2d(t, kernel, stride, padding),
        x_cl,
        rng,
    )
    y = max_pool2d(gradiente.from_numpy(x_cl), kernel, stride, padding).numpy()
    assert y.strides[1] == y.itemsize  # channels stay the fastest axis


def test_float32_stays_float32():
    rng = np.random.default_rng(9)
    x = gradiente.from_numpy(rng.standard_normal((2, 3, 8, 8)).astype(np.float32))
    x.requires_grad_()
    for y in (max_pool2d(x, 2), avg_pool2d(x, 3, 2, 1), adaptive_avg_pool2d(x, 3)):
        assert y.dtype == gradiente.float32
        x.grad = None
        y.sum().backward()
        assert x.grad.dtype == gradiente.float32


@pytest.mark.parametrize(
    "fn",
    [
        lambda t: max_pool2d(t, 2, 1),
        lambda t: max_pool2d(t, 3, 2, 1, ceil_mode=True),
        lambda t: avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False),
        lambda t: avg_pool2d(t, 2),
        lambda t: adaptive_avg_pool2d(t, (2, 3)),
        lambda t: adaptive_max_pool2d(t, (2, 3)),
        lambda t: max_pool1d(t[0], 2, 1),
    ],
)
def test_gradcheck_and_double_backward(fn):
    rng = np.random.default_rng(10)
    # distinct values: finite differences must not cross a tie
    x = rng.permutation(2 * 5 * 5).reshape(1, 2, 5, 5) / 10.0
    x = gradiente.from_numpy(x).requires_grad_()
    assert gradcheck(fn, (x,))
    _second_order_check(fn, x, rng)


def test_saved_values_released_and_no_graph_without_grad():
    rng = np.random.default_rng(11)
    x = gradiente.from_numpy(rng.standard_normal((1, 2, 4, 4))).requires_grad_()
    y = max_pool2d(x, 2)
    node = y.grad_fn
    assert node.name() == "MaxPool2DWithIndicesBackward0"
    y.sum().backward()
    assert node._saved == ()
    with gradiente.no_grad():
        assert max_pool2d(x, 2).grad_fn is None


def _t(*shape):
    return gradiente.from_numpy(np.zeros(shape))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: max_pool2d(_t(4, 4), 2), r"3D or 4D \(batch mode\)"),
        (lambda: max_pool2d(_t(1, 1, 4, 4), 3, padding=2), "at most half of effective kernel"),
        (lambda: avg_pool2d(_t(1, 1, 4, 4), 3, padding=2), "at most half of effective kernel"),
        (lambda: max_pool2d(_t(1, 1, 2, 2), 3), "Output size is too small"),
        (lambda: max_pool2d(_t(1, 1, 4, 4), 0), "stride should not be zero"),
        (lambda: max_pool1d(_t(1, 1, 4, 4), 2), r"Expected 2D or 3D \(batch mode\)"),
        (lambda: avg_pool2d(_t(1, 1, 4, 4), 2, divisor_override=0), "divisor must be not zero"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


@pytest.mark.parametrize("kernel, stride", [(2, 2), (3, 2), (3, 3)])
def test_max_pool_non_finite_gradient_goes_only_to_the_maximum(kernel, stride):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((1, 2, 7, 7))
    up = rng.standard_normal((1, 2, (7 - kernel) // stride + 1, (7 - kernel) // stride + 1))
    up[0, 0, 0, 0] = np.inf
    xg = gradiente.from_numpy(x.copy()).requires_grad_()
    xt = torch.from_numpy(x.copy()).requires_grad_()
    max_pool2d(xg, kernel, stride).backward(gradiente.from_numpy(up.copy()))
    TF.max_pool2d(xt, kernel, stride).backward(torch.from_numpy(up))
    np.testing.assert_array_equal(xg.grad.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (3, 2, 1), (3, 1, 1)])
def test_max_pool_nan_propagates_like_torch(kernel, stride, padding):
    rng = np.random.default_rng(13)
    x = np.round(rng.standard_normal((1, 2, 6, 6)))
    x[0, 0, 1, 1] = x[0, 0, 2, 2] = x[0, 1, 4, 3] = np.nan
    _compare(
        lambda t: max_pool2d(t, kernel, stride, padding, return_indices=True),
        lambda t: TF.max_pool2d(t, kernel, stride, padding, return_indices=True),
        x,
        rng,
    )


# ------------------------------------------------------- non-finite and integer inputs (issue 9)


def _with_non_finite(kind):
    x = np.random.default_rng(21).standard_normal((1, 2, 7, 5))
    if kind == "inf":
        x[0, 0, 5, 2], x[0, 1, 1, 1] = np.inf, -np.inf
    else:
        x[0, 0, 3, 3] = x[0, 1, 2, 2] = x[0, 1, 2, 3] = np.nan
    return x


@pytest.mark.parametrize("kind", ["inf", "nan"])
@pytest.mark.parametrize("size", [(2, 3), (3, 2), (4, 4), (10, 9), (7, 5)])
def test_adaptive_pool2d_non_finite_stays_in_its_windows(kind, size):
    # A plain averaging-matrix product adds 0 · inf = NaN into every window
    rng = np.random.default_rng(0)
    x = _with_non_finite(kind)
    _compare(
        lambda t: adaptive_avg_pool2d(t, size), lambda t: TF.adaptive_avg_pool2d(t, size), x, rng
    )
    _compare(
        lambda t: adaptive_max_pool2d(t, size, return_indices=True),
        lambda t: TF.adaptive_max_pool2d(t, size, return_indices=True),
        x,
        rng,
    )


def test_adaptive_avg_pool2d_issue_example():
    a = gradiente.zeros(1, 1, 7, 3)
    a[0, 0, 5, 2] = float("inf")
    expected = np.zeros((1, 1, 2, 3))
    expected[0, 0, 1, 2] = np.inf
    np.testing.assert_array_equal(adaptive_avg_pool2d(a, (2, 3)).numpy(), expected)


def test_adaptive_avg_pool2d_infinite_gradient_stays_in_its_windows():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 1, 7, 5))
    xg = gradiente.from_numpy(x.copy()).requires_grad_()
    xt = torch.from_numpy(x.copy()).requires_grad_()
    up = rng.standard_normal((1, 1, 3, 2))
    up[0, 0, 0, 1] = np.inf
    adaptive_avg_pool2d(xg, (3, 2)).backward(gradiente.from_numpy(up.copy()))
    TF.adaptive_avg_pool2d(xt, (3, 2)).backward(torch.from_numpy(up))
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-7)


@pytest.mark.parametrize("kind", ["inf", "nan", "finite"])
@pytest.mark.parametrize("size", [2, 3, 5, 6])
def test_adaptive_pool1d_matches_torch(kind, size):
    rng = np.random.default_rng(1)
    x = _with_non_finite(kind)[0] if kind != "finite" else rng.standard_normal((2, 7, 5))
    _compare(
        lambda t: adaptive_avg_pool1d(t, size), lambda t: TF.adaptive_avg_pool1d(t, size), x, rng
    )
    _compare(
        lambda t: gradiente.nn.functional.adaptive_max_pool1d(t, size, return_indices=True),
        lambda t: TF.adaptive_max_pool1d(t, size, return_indices=True),
        x,
        rng,
    )


def test_adaptive_max_pool1d_gradcheck():
    x = gradiente.from_numpy(np.random.default_rng(2).standard_normal((2, 3, 7)))
    x.requires_grad_()
    assert gradcheck(lambda t: gradiente.nn.functional.adaptive_max_pool1d(t, 3), (x,))
    assert gradcheck(lambda t: adaptive_avg_pool2d(t, (2, 3)), (x.view(1, 2, 3, 7),))


_INT_POOLS = {
    "avg2": lambda F, t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True),
    "avg2_no_pad_count": lambda F, t: F.avg_pool2d(
        t, 3, 2, 1, ceil_mode=True, count_include_pad=False
    ),
    "avg2_divisor": lambda F, t: F.avg_pool2d(t, 2, divisor_override=3),
    "avg2_negative_divisor": lambda F, t: F.avg_pool2d(t, 2, divisor_override=-2),
    "avg1_no_pad_count": lambda F, t: F.avg_pool1d(t[0], 3, 2, 1, True, False),
    "max2": lambda F, t: F.max_pool2d(t, 2, ceil_mode=True),
    "max2_padded": lambda F, t: F.max_pool2d(t, 3, 2, 1),
    "max2_indices": lambda F, t: F.max_pool2d(t, 2, return_indices=True)[1],
    "max1": lambda F, t: F.max_pool1d(t[0], 2),
    "max1_indices": lambda F, t: F.max_pool1d(t[0], 2, return_indices=True)[0],
    "adaptive_avg2": lambda F, t: F.adaptive_avg_pool2d(t, (2, 3)),
    "adaptive_avg2_regular": lambda F, t: F.adaptive_avg_pool2d(t, (7, 5)),
    "adaptive_avg1": lambda F, t: F.adaptive_avg_pool1d(t[0], 2),
    "adaptive_max2": lambda F, t: F.adaptive_max_pool2d(t, (2, 3)),
    "adaptive_max2_regular": lambda F, t: F.adaptive_max_pool2d(t, (7, 5)),
    "adaptive_max1": lambda F, t: F.adaptive_max_pool1d(t[0], 2),
}


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64", "bool"])
@pytest.mark.parametrize("op", list(_INT_POOLS))
def test_pooling_integer_inputs_match_torch(op, dtype):
    """int64 average pooling truncates the window sum toward zero; max pooling keeps the
    dtype; every kernel torch's CPU build lacks for a dtype raises its NotImplementedError."""
    x = (np.arange(2 * 7 * 5).reshape(1, 2, 7, 5) * 37 % 23 - 11).astype(dtype)
    fn = _INT_POOLS[op]
    try:
        expected = fn(TF, torch.from_numpy(x.copy()))
    except NotImplementedError as e:
        with pytest.raises(NotImplementedError, match=str(e).replace('"', ".")):
            fn(gradiente.nn.functional, gradiente.from_numpy(x.copy()))
        return
    got = fn(gradiente.nn.functional, gradiente.from_numpy(x.copy()))
    assert str(got.dtype) == str(expected.dtype)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_avg_pool_int64_sum_wraps_like_torch():
    x = np.array([[[2**62, 2**62, 3]]], dtype=np.int64)
    got = avg_pool1d(gradiente.from_numpy(x.copy()), 2, stride=1)
    np.testing.assert_array_equal(got.numpy(), TF.avg_pool1d(torch.from_numpy(x), 2, 1).numpy())


_SIGNED_ZERO_POOLS = {
    "avg1_k1": lambda F, t: F.avg_pool1d(t[0], 1),
    "avg2_k1_ceil": lambda F, t: F.avg_pool2d(t, 1, ceil_mode=True),
    "avg2": lambda F, t: F.avg_pool2d(t, 2, 1),
    "avg2_padded": lambda F, t: F.avg_pool2d(t, 3, 2, 1, count_include_pad=False),
    "adaptive_avg1": lambda F, t: F.adaptive_avg_pool1d(t[0], 3),
    "adaptive_avg2_regular": lambda F, t: F.adaptive_avg_pool2d(t, (3, 2)),
    "adaptive_avg2": lambda F, t: F.adaptive_avg_pool2d(t, (2, 3)),
    "max1": lambda F, t: F.max_pool1d(t[0], 2),
    "max2": lambda F, t: F.max_pool2d(t, 2, 1),
    "max2_indices": lambda F, t: F.max_pool2d(t, 3, 1, 1, return_indices=True)[0],
    "max2_dilated": lambda F, t: F.max_pool2d(t, 2, 1, dilation=2),
    "adaptive_max2_regular": lambda F, t: F.adaptive_max_pool2d(t, (3, 2)),
    "adaptive_max2": lambda F, t: F.adaptive_max_pool2d(t, (2, 3)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", list(_SIGNED_ZERO_POOLS))
def test_pooling_signed_zeros_match_torch(op, dtype):
    """Windows of 0.0 and -0.0: an average is +0.0 (torch's sum starts at +0.0); a maximum is
    the first of equal taps, so its sign is that of the earliest zero in the window."""
    rng = np.random.default_rng(0)
    x = np.where(rng.random((2, 3, 6, 4)) < 0.5, -0.0, 0.0).astype(dtype)
    x[0, 0, 0, 0] = 1.5  # one nonzero window among the zeros
    fn = _SIGNED_ZERO_POOLS[op]
    got = fn(gradiente.nn.functional, gradiente.from_numpy(x.copy())).numpy()
    expected = fn(TF, torch.from_numpy(x.copy())).numpy()
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


def test_adaptive_average_of_values_that_cancel_is_exactly_zero_as_torch():
    """PyTorch sums a window, then divides by its size; averaging with 1/size weights would
    leave a tiny non-zero (then log gives NaN, not -inf)."""
    x = np.array([[[0.0, 2.4890666007995605, -1.0, 2.25, -1.25]]], dtype=np.float32)
    ours = adaptive_avg_pool1d(gradiente.from_numpy(x), 2).numpy()
    theirs = TF.adaptive_avg_pool1d(torch.from_numpy(x), 2).numpy()
    np.testing.assert_array_equal(ours, theirs)
    assert ours[0, 0, 1] == 0.0
    x2 = np.array([[[[-1.0, 2.25, -1.25], [0.5, 0.25, -0.75], [1.0, -1.0, 3.0]]]], np.float32)
    ours2 = adaptive_avg_pool2d(gradiente.from_numpy(x2), (2, 2)).numpy()
    np.testing.assert_array_equal(ours2, TF.adaptive_avg_pool2d(torch.from_numpy(x2), 2).numpy())
