"""The kernels written for networks with few channels (LeNet's): the input gradient with the
batch innermost (``conv._conv_input_batch_last``), the bias added along whole rows
(``conv._add_bias``) and ReLU against a row of zeros (``activation._relu_rows``) — compared
with PyTorch value by value, in every layout they meet."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from gradiente.ops import activation, conv

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("channels", [1, 3, 6])
@pytest.mark.parametrize(
    "stride, padding, dilation", [(1, 0, 1), (1, 2, 1), (2, 1, 1), (1, 1, 2), (2, 0, 2)]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_convolution_gradients_with_few_channels_match_torch(
    channels, stride, padding, dilation, dtype, monkeypatch
):
    calls = []
    original = conv._conv_input_batch_last
    monkeypatch.setattr(conv, "_conv_input_batch_last", lambda *a: calls.append(1) or original(*a))
    rng = np.random.default_rng(channels + 10 * stride + 100 * padding)
    x = rng.standard_normal((5, channels, 13, 11)).astype(dtype)
    w = rng.standard_normal((16, channels, 3, 5)).astype(dtype)
    b = rng.standard_normal(16).astype(dtype)
    xs = [gradiente.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(x).requires_grad_()]
    ws = [gradiente.from_numpy(w.copy()).requires_grad_(), torch.from_numpy(w).requires_grad_()]
    bs = [gradiente.from_numpy(b.copy()).requires_grad_(), torch.from_numpy(b).requires_grad_()]
    outs = [
        lib.nn.functional.conv2d(xi, wi, bi, stride, padding, dilation)
        for lib, xi, wi, bi in zip((gradiente, torch), xs, ws, bs)
    ]
    up = rng.standard_normal(tuple(outs[1].shape)).astype(dtype)
    outs[0].backward(gradiente.from_numpy(up.copy()))
    outs[1].backward(torch.from_numpy(up))
    tol = 2e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(outs[0].detach().numpy(), outs[1].detach().numpy(), tol, tol)
    for ours, theirs in ((xs[0], xs[1]), (ws[0], ws[1]), (bs[0], bs[1])):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), tol, tol * 10)
    assert calls  # the input gradient took the batch-innermost path


@pytest.mark.parametrize("layout", ["contiguous", "channels_last", "cropped", "transposed"])
def test_relu_forward_in_every_layout_matches_torch(layout):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 30, 30, 6)).astype(np.float32)
    x.reshape(-1)[:7] = [-0.0, 0.0, np.nan, -np.inf, np.inf, -1.0, 1.0]
    x.reshape(-1)[-5:] = [-0.0, np.nan, 2.0, -2.0, 0.0]  # the tail past the whole rows
    view = {
        "contiguous": x,
        "channels_last": x.transpose(0, 3, 1, 2),
        "cropped": x[:, :28, :28].transpose(0, 3, 1, 2),
        "transposed": x.T,
    }[layout]
    y = gradiente.relu(gradiente.from_numpy(view)).numpy()
    expected = torch.relu(torch.from_numpy(np.ascontiguousarray(view))).numpy()
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_array_equal(np.signbit(y), np.signbit(expected))  # relu(−0) = −0
    if layout != "cropped":
        assert y.strides == view.strides  # the input's layout is kept
    assert activation._memory_order_flat(view) is None or layout != "cropped"


@pytest.mark.parametrize("dtype", [np.int64, np.float64])
def test_relu_of_other_dtypes_and_sizes(dtype):
    for size in (0, 1, 1023, 1024, 1025, 5000):
        x = (np.arange(size) - size // 2).astype(dtype)
        y = gradiente.relu(gradiente.from_numpy(x)).numpy()
        np.testing.assert_array_equal(y, np.maximum(x, 0))
        assert y.dtype == dtype


def test_bias_is_added_along_rows_of_a_grid_view():
    rng = np.random.default_rng(5)
    grid = rng.standard_normal((3, 9, 9, 6)).astype(np.float32)
    out = grid[:, :7, :7]  # like the shifted convolution's result: a view into its grid
    before = grid.copy()
    b = rng.standard_normal(6).astype(np.float32)
    conv._add_bias(out, b)
    np.testing.assert_array_equal(grid[:, :7, :7], before[:, :7, :7] + b)
    np.testing.assert_array_equal(grid[:, 7:], before[:, 7:])  # the rest untouched
    np.testing.assert_array_equal(grid[:, :7, 7:], before[:, :7, 7:])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_backward_with_non_finite_or_huge_gradients_matches_torch(dtype):
    """∞·0 must not leak NaN where the ReLU is off; a huge finite gradient (whose dot product
    overflows the cheap finiteness check) still gives the exact result."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 6, 10, 10)).astype(dtype)
    x.reshape(-1)[:4] = [0.0, -0.0, np.nan, -1.0]
    for fill in (np.inf, -np.inf, np.nan, 3e30):
        up = rng.standard_normal(x.shape).astype(dtype)
        up.reshape(-1)[::7] = fill
        grads = []
        for lib in (gradiente, torch):
            t = (gradiente.from_numpy if lib is gradiente else torch.from_numpy)(x.copy())
            t.requires_grad_()
            lib.relu(t).backward(
                (gradiente.from_numpy if lib is gradiente else torch.from_numpy)(up.copy())
            )
            grads.append(t.grad.numpy())
        np.testing.assert_array_equal(grads[0], grads[1])


@pytest.mark.parametrize(
    "channels, out_channels, padding", [(3, 2, 1), (6, 16, 2), (16, 16, 1), (20, 16, 0)]
)
def test_input_gradient_with_infinite_weights_matches_torch(channels, out_channels, padding):
    """An ∞ or NaN weight: dx must not get NaN from the padding's zeros times ∞ (the paths that
    convolve the padded gradient), where PyTorch's dx is ±∞ or finite."""
    rng = np.random.default_rng(channels)
    x = rng.standard_normal((2, channels, 12, 12))
    w = rng.standard_normal((out_channels, channels, 3, 3))
    w[0, 1, 0, 0] = -np.inf
    w[1, 0, 2, 1] = np.nan
    w[1, 2, 1, 1] = np.inf
    side = 12 - 2 + 2 * padding  # the output's height and width
    up = rng.standard_normal((2, out_channels, side, side))
    grads = []
    for lib, make in ((gradiente, gradiente.from_numpy), (torch, torch.from_numpy)):
        xt = make(x.copy()).requires_grad_()
        y = lib.nn.functional.conv2d(xt, make(w.copy()), None, 1, padding)
        y.backward(make(up.copy()))
        grads.append(xt.grad.numpy())
    np.testing.assert_array_equal(np.isnan(grads[0]), np.isnan(grads[1]))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-12)
