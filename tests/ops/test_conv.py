"""conv1d, conv2d, conv_transpose2d, unfold and fold against PyTorch (float64), plus gradchecks."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from gradiente.autograd import grad as autograd_grad
from gradiente.autograd import gradcheck
from gradiente.ops.conv import conv1d, conv2d, conv_transpose2d, fold, unfold

torch = pytest.importorskip("torch")
TF = torch.nn.functional
# torch warns that it copies the input for 'same' with an even kernel; we always pad by copying
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


def _rand(rng, *shape):
    return rng.standard_normal(shape)


def _compare(g_fn, t_fn, arrays, rng, rtol=1e-7, atol=1e-10):
    """Forward values and the gradients of every input, with a random upstream gradient."""
    gs = [gradiente.from_numpy(a.copy()).requires_grad_() for a in arrays]
    ts = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    yg, yt = g_fn(*gs), t_fn(*ts)
    assert tuple(yg.shape) == tuple(yt.shape)
    np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    up = rng.standard_normal(tuple(yt.shape)).astype(arrays[0].dtype)
    yg.backward(gradiente.from_numpy(up.copy()))
    yt.backward(torch.from_numpy(up))
    for g, t in zip(gs, ts, strict=True):
        np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)


def _second_order_check(fn, inputs, rng):
    """gradcheck of x -> dL/dx (create_graph=True): the double backward is right."""
    out = fn(*inputs)
    v = gradiente.from_numpy(rng.standard_normal(tuple(out.shape)))

    def first_grads(*xs):
        with gradiente.enable_grad():
            return autograd_grad([fn(*xs)], list(xs), [v], create_graph=True)

    assert gradcheck(first_grads, inputs)


# (N, C, H, W, O, kernel, stride, padding, dilation, groups, bias)
CONV2D_CASES = [
    (2, 3, 7, 8, 4, 3, 1, 1, 1, 1, True),
    (2, 3, 7, 8, 4, 3, 1, 0, 1, 1, False),
    (2, 4, 9, 7, 6, (3, 2), 2, (1, 0), 1, 2, True),
    (2, 4, 9, 9, 4, 3, 1, "same", 2, 4, False),
    (1, 2, 6, 6, 3, (2, 3), 1, "same", 1, 1, True),
    (1, 2, 6, 5, 3, (4, 2), 1, "same", (1, 2), 1, True),
    (2, 2, 6, 6, 3, 3, 1, "valid", 1, 1, True),
    (2, 3, 11, 10, 5, 3, 3, 2, 2, 1, True),
    (2, 6, 5, 5, 4, 1, 1, 0, 1, 2, True),
    (2, 3, 5, 5, 4, 1, 2, 0, 1, 1, True),
    (2, 3, 8, 8, 5, 2, 2, 0, 1, 1, True),
    (2, 2, 5, 7, 9, 3, (1, 2), (2, 1), (1, 2), 1, True),
    (1, 1, 13, 11, 2, 5, 2, 2, 1, 1, True),
    (2, 4, 6, 6, 8, 3, 1, 1, 1, 4, True),
    (2, 8, 5, 5, 2, 3, 1, 1, 1, 1, True),
    (3, 6, 5, 4, 6, (1, 3), 1, (0, 1), 1, 3, False),
    (2, 1, 9, 8, 3, 3, 1, 2, 2, 1, True),
    (2, 1, 9, 8, 1, (2, 3), (2, 1), 1, 1, 1, True),
]


@pytest.mark.parametrize("case", CONV2D_CASES)
def test_conv2d_matches_torch(case):
    N, C, H, W, O, k, s, p, d, g, bias = case
    rng = np.random.default_rng(0)
    kh, kw = (k, k) if isinstance(k, int) else k
    arrays = [_rand(rng, N, C, H, W), _rand(rng, O, C // g, kh, kw)]
    if bias:
        arrays.append(_rand(rng, O))
    _compare(
        lambda x, w, b=None: conv2d(x, w, b, s, p, d, g),
        lambda x, w, b=None: TF.conv2d(x, w, b, s, p, d, g),
        arrays,
        rng,
    )


@pytest.mark.parametrize(
    "case",
    [
        (2, 4, 13, 6, 3, 2, 1, 2, 2, True),
        (2, 3, 9, 5, 3, 1, "same", 2, 1, False),
        (1, 2, 7, 3, 1, 1, 0, 1, 1, True),
        (2, 3, 10, 4, 4, 3, 2, 1, 1, True),
    ],
)
def test_conv1d_matches_torch(case):
    N, C, L, O, k, s, p, d, g, bias = case
    rng = np.random.default_rng(1)
    arrays = [_rand(rng, N, C, L), _rand(rng, O, C // g, k)]
    if bias:
        arrays.append(_rand(rng, O))
    _compare(
        lambda x, w, b=None: conv1d(x, w, b, s, p, d, g),
        lambda x, w, b=None: TF.conv1d(x, w, b, s, p, d, g),
        arrays,
        rng,
    )


# (N, C_in, H, W, C_out, kernel, stride, padding, output_padding, groups, dilation)
CONV_T_CASES = [
    (2, 4, 5, 6, 6, 3, 2, 1, 1, 2, 1),
    (2, 3, 4, 4, 2, 3, 1, 0, 0, 1, 1),
    (2, 3, 4, 4, 2, 3, 1, 1, 1, 1, 2),
    (1, 2, 3, 5, 4, (2, 3), (3, 2), (1, 0), (2, 1), 1, 1),
    (2, 2, 4, 3, 3, 2, 2, 0, 0, 1, 1),
    (2, 6, 3, 3, 3, 3, 2, 1, 0, 3, 2),
    (1, 2, 5, 5, 8, 3, 1, 1, 0, 1, 1),
    (2, 1, 4, 5, 1, 3, 1, 0, 0, 1, 1),
    (2, 1, 4, 5, 1, 3, 2, 1, 1, 1, 1),
]


@pytest.mark.parametrize("case", CONV_T_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose2d_matches_torch(case, bias):
    N, C, H, W, O, k, s, p, op, g, d = case
    rng = np.random.default_rng(2)
    kh, kw = (k, k) if isinstance(k, int) else k
    arrays = [_rand(rng, N, C, H, W), _rand(rng, C, O // g, kh, kw)]
    if bias:
        arrays.append(_rand(rng, O))
    _compare(
        lambda x, w, b=None: conv_transpose2d(x, w, b, s, p, op, g, d),
        lambda x, w, b=None: TF.conv_transpose2d(x, w, b, s, p, op, g, d),
        arrays,
        rng,
    )


@pytest.mark.parametrize(
    "args", [((2, 3), (1, 2), 1, (2, 1)), (3, 1, 0, 1), (2, 2, (0, 1), 2), (1, 1, 0, 1)]
)
def test_unfold_fold_match_torch(args):
    kernel, dilation, padding, stride = args
    rng = np.random.default_rng(3)
    x = _rand(rng, 2, 3, 7, 8)
    _compare(
        lambda t: unfold(t, kernel, dilation, padding, stride),
        lambda t: TF.unfold(t, kernel, dilation, padding, stride),
        [x],
        rng,
    )
    blocks = TF.unfold(torch.from_numpy(x), kernel, dilation, padding, stride).numpy()
    cols = rng.standard_normal(blocks.shape)
    _compare(
        lambda t: fold(t, (7, 8), kernel, dilation, padding, stride),
        lambda t: TF.fold(t, (7, 8), kernel, dilation, padding, stride),
        [cols],
        rng,
    )


def test_unbatched_inputs():
    rng = np.random.default_rng(4)
    _compare(
        lambda x, w, b: conv2d(x, w, b, padding=1),
        lambda x, w, b: TF.conv2d(x, w, b, padding=1),
        [_rand(rng, 3, 5, 6), _rand(rng, 2, 3, 3, 3), _rand(rng, 2)],
        rng,
    )
    _compare(
        lambda x, w: conv1d(x, w),
        lambda x, w: TF.conv1d(x, w),
        [_rand(rng, 3, 6), _rand(rng, 2, 3, 3)],
        rng,
    )
    _compare(
        lambda x, w: conv_transpose2d(x, w, stride=2),
        lambda x, w: TF.conv_transpose2d(x, w, stride=2),
        [_rand(rng, 3, 4, 4), _rand(rng, 3, 2, 3, 3)],
        rng,
    )
    _compare(lambda x: unfold(x, 2), lambda x: TF.unfold(x, 2), [_rand(rng, 2, 4, 5)], rng)


def test_float32_end_to_end():
    rng = np.random.default_rng(5)
    arrays = [
        _rand(rng, 4, 8, 10, 10).astype(np.float32),
        _rand(rng, 6, 8, 3, 3).astype(np.float32),
        _rand(rng, 6).astype(np.float32),
    ]
    x, w, b = (gradiente.from_numpy(a).requires_grad_() for a in arrays)
    y = conv2d(x, w, b, stride=2, padding=1)
    assert y.dtype == gradiente.float32
    y.sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == gradiente.float32
    _compare(
        lambda x, w, b: conv2d(x, w, b, stride=2, padding=1),
        lambda x, w, b: TF.conv2d(x, w, b, stride=2, padding=1),
        arrays,
        rng,
        rtol=1e-4,
        atol=1e-4,
    )


def test_layer_stack_in_channels_last_memory():
    """conv -> relu -> conv -> conv_transpose: channels-last views flow through unchanged values."""
    rng = np.random.default_rng(6)
    arrays = [
        _rand(rng, 2, 3, 9, 9),
        _rand(rng, 8, 3, 3, 3),
        _rand(rng, 5, 8, 3, 3),
        _rand(rng, 5, 2, 2, 2),
    ]

    def net(F, x, w1, w2, w3):
        h = F.conv2d(x, w1, padding=1).relu()
        h = F.conv2d(h, w2, stride=2)
        return F.conv_transpose2d(h, w3, stride=2).reshape(2, -1)

    _compare(lambda *a: net(gradiente.ops.conv, *a), lambda *a: net(TF, *a), arrays, rng)


def test_output_contiguous_copy_has_same_values():
    rng = np.random.default_rng(7)
    x = gradiente.from_numpy(_rand(rng, 2, 3, 5, 5))
    w = gradiente.from_numpy(_rand(rng, 4, 3, 3, 3))
    y = conv2d(x, w)
    np.testing.assert_array_equal(y.contiguous().numpy(), y.numpy())
    assert y.contiguous().is_contiguous()


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(stride=(2, 1), padding=1, groups=2),
        dict(padding="same", dilation=2),
        dict(stride=2, padding=(0, 1)),
    ],
)
def test_conv2d_gradcheck_and_double_backward(kwargs):
    rng = np.random.default_rng(8)
    x = gradiente.from_numpy(_rand(rng, 1, 4, 5, 6)).requires_grad_()
    w = gradiente.from_numpy(_rand(rng, 4, 4 // kwargs.get("groups", 1), 3, 2)).requires_grad_()
    b = gradiente.from_numpy(_rand(rng, 4)).requires_grad_()
    assert gradcheck(lambda x, w, b: conv2d(x, w, b, **kwargs), (x, w, b))
    _second_order_check(lambda x, w: conv2d(x, w, None, **kwargs), (x, w), rng)


def test_conv_transpose2d_and_conv1d_gradcheck_and_double_backward():
    rng = np.random.default_rng(9)
    x = gradiente.from_numpy(_rand(rng, 1, 4, 3, 3)).requires_grad_()
    w = gradiente.from_numpy(_rand(rng, 4, 1, 3, 3)).requires_grad_()
    b = gradiente.from_numpy(_rand(rng, 2)).requires_grad_()
    assert gradcheck(lambda x, w, b: conv_transpose2d(x, w, b, 2, 1, 1, 2), (x, w, b))
    _second_order_check(lambda x, w: conv_transpose2d(x, w, None, 2, 1, 1, 2), (x, w), rng)
    x1 = gradiente.from_numpy(_rand(rng, 1, 2, 7)).requires_grad_()
    w1 = gradiente.from_numpy(_rand(rng, 3, 2, 3)).requires_grad_()
    assert gradcheck(lambda x, w: conv1d(x, w, None, 2, 1), (x1, w1))
    _second_order_check(lambda x, w: conv1d(x, w, None, 2, 1), (x1, w1), rng)


def test_unfold_fold_gradcheck_and_double_backward():
    rng = np.random.default_rng(10)
    x = gradiente.from_numpy(_rand(rng, 1, 2, 4, 5)).requires_grad_()
    assert gradcheck(lambda x: unfold(x, 2, 1, 1, 2), (x,))
    _second_order_check(lambda x: unfold(x, 2, 1, 1, 2) ** 2, (x,), rng)
    c = gradiente.from_numpy(_rand(rng, 1, 8, 9)).requires_grad_()
    assert gradcheck(lambda c: fold(c, (4, 5), 2, 1, 1, 2), (c,))
    _second_order_check(lambda c: fold(c, (4, 5), 2, 1, 1, 2) ** 2, (c,), rng)


def test_saved_values_are_released_after_backward():
    rng = np.random.default_rng(11)
    x = gradiente.from_numpy(_rand(rng, 2, 3, 6, 6)).requires_grad_()
    w = gradiente.from_numpy(_rand(rng, 4, 3, 3, 3)).requires_grad_()
    y = conv2d(x, w, padding=1)
    node = y.grad_fn
    assert node.name() == "ConvolutionBackward0"
    y.sum().backward()
    assert node._saved == ()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_retain_graph_runs_backward_twice():
    rng = np.random.default_rng(12)
    x = gradiente.from_numpy(_rand(rng, 2, 3, 6, 6)).requires_grad_()
    w = gradiente.from_numpy(_rand(rng, 4, 3, 3, 3)).requires_grad_()
    y = conv2d(x, w, stride=2).sum()
    y.backward(retain_graph=True)
    first = w.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * first)


def test_inplace_change_of_saved_input_is_detected():
    rng = np.random.default_rng(13)
    x = gradiente.from_numpy(_rand(rng, 1, 2, 5, 5)).requires_grad_()
    w = gradiente.from_numpy(_rand(rng, 3, 2, 3, 3)).requires_grad_()
    h = x * 1.0
    y = conv2d(h, w)
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_no_graph_without_grad():
    rng = np.random.default_rng(14)
    x = gradiente.from_numpy(_rand(rng, 1, 2, 5, 5))
    w = gradiente.from_numpy(_rand(rng, 3, 2, 3, 3))
    assert conv2d(x, w).grad_fn is None
    with gradiente.no_grad():
        assert conv2d(x, w.requires_grad_()).grad_fn is None


# ------------------------------------------------------------------------------ errors
def _t(*shape, dtype=np.float64):
    return gradiente.from_numpy(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda: conv2d(_t(2, 28, 28), _t(6, 1, 5, 5)),
            r"expected input\[1, 2, 28, 28\] to have 1",
        ),
        (lambda: conv2d(_t(28, 28), _t(6, 1, 5, 5)), r"3D \(unbatched\) or 4D"),
        (lambda: conv2d(_t(1, 1, 2, 2, 2), _t(6, 1, 5, 5)), r"got input of size"),
        (
            lambda: conv2d(_t(64, 3, 28, 28), _t(6, 1, 5, 5)),
            r"^Given groups=1, weight of size \[6, 1, 5, 5\], expected input\[64, 3, 28, 28\] to "
            r"have 1 channels, but got 3 channels instead$",
        ),
        (lambda: conv2d(_t(1, 1, 4, 4), _t(6, 1, 5, 5)), "Kernel size can't be greater"),
        (lambda: conv2d(_t(1, 1, 4, 4), _t(1, 1, 3, 3), dilation=2), "Kernel size can't be"),
        (lambda: conv2d(_t(1, 4, 5, 5), _t(6, 2, 3, 3), groups=4), "divisible by 4"),
        (lambda: conv2d(_t(1, 4, 5, 5), _t(6, 2, 3, 3), groups=3), "to have 6 channels, but got 4"),
        (lambda: conv2d(_t(1, 1, 5, 5), _t(2, 1, 3, 3), stride=2, padding="same"), "strided"),
        (lambda: conv2d(_t(1, 1, 5, 5), _t(2, 1, 3, 3), padding="full"), "Invalid padding"),
        (
            lambda: conv2d(_t(1, 1, 5, 5), _t(2, 1, 3, 3, dtype=np.float32)),
            "expected scalar type Double but found Float",
        ),
        (lambda: conv2d(_t(1, 1, 5, 5), _t(2, 1, 3, 3), _t(3)), "bias to be 1-dimensional"),
        (lambda: conv2d(_t(1, 1, 5, 5), _t(2, 1, 3)), "expected stride to be a single integer"),
        (lambda: conv1d(_t(1, 2, 3, 5), _t(2, 2, 3)), r"2D \(unbatched\) or 3D"),
        (
            lambda: conv_transpose2d(_t(1, 2, 3, 3), _t(2, 1, 3, 3), output_padding=1),
            "output padding must be smaller",
        ),
        (
            lambda: conv_transpose2d(_t(1, 3, 3, 3), _t(2, 1, 3, 3)),
            r"^Given transposed=1, weight of size \[2, 1, 3, 3\], expected input\[1, 3, 3, 3\] to "
            r"have 2 channels, but got 3 channels instead$",
        ),
        (lambda: fold(_t(1, 12, 10), (4, 5), 2), "expected size of input's dimension 2"),
        (lambda: fold(_t(1, 10, 12), (4, 5), 2), "divisible by the product"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


def test_scratch_pool_reuses_only_unreferenced_buffers():
    from gradiente.ops.im2col import _ScratchPool

    pool = _ScratchPool(max_bytes=64 << 20)
    a = pool.empty((1024, 1024), np.float32)  # 4 MiB: pooled
    view = a[::2]
    del a
    b = pool.empty((1024, 1024), np.float32)
    assert not np.shares_memory(b, view)  # a view keeps its buffer busy
    del view
    c = pool.empty((2048, 512), np.float32)
    assert np.shares_memory(c, pool._buffers[0])  # free again: reused, any shape of that size
    small = pool.empty((10,), np.float32)
    assert small.shape == (10,) and len(pool._buffers) == 2
    del b, c
    pool.empty((8 << 20,), np.float32)  # 32 MiB more: the free buffers are dropped to fit
    assert sum(buf.nbytes for buf in pool._buffers) <= 64 << 20


def test_training_step_reuses_column_buffers():
    """Two identical steps: the second allocates no new scratch (the first step's is freed)."""
    from gradiente.ops.im2col import _scratch

    rng = np.random.default_rng(15)
    x = gradiente.from_numpy(rng.standard_normal((8, 3, 32, 32)).astype(np.float32))
    w = gradiente.from_numpy(rng.standard_normal((16, 3, 3, 3)).astype(np.float32))
    w.requires_grad_()
    conv2d(x, w, padding=1).sum().backward()
    before = [id(b) for b in _scratch._buffers]
    conv2d(x, w, padding=1).sum().backward()
    assert [id(b) for b in _scratch._buffers] == before


def test_conv_relu_output_can_be_viewed_flat_like_in_pytorch():
    x = gradiente.randn(2, 3, 8, 8)
    w = gradiente.randn(4, 3, 3, 3, requires_grad=True)
    y = gradiente.nn.functional.relu(gradiente.nn.functional.conv2d(x, w))
    flat = y.view(2, -1)
    assert flat.shape == (2, 144)
    assert np.array_equal(flat.detach().numpy(), y.detach().numpy().reshape(2, -1))
    flat.sum().backward()
    assert w.grad.shape == w.shape
