"""Max pooling over 2×2 tiles by whole-memory comparisons (``ops/pool2x2.py``): the same
values, winners, indices and gradients as PyTorch and as the general path, in both layouts,
with ties (PyTorch's first maximum), signed zeros and NaNs."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradiente
from gradiente.ops import pool2x2, window_pool

torch = pytest.importorskip("torch")


def _geometry(H, W):
    return window_pool.PoolGeometry((2, 2), (2, 2), (0, 0), (1, 1), (H, W), (H // 2, W // 2))


def _layout(x_nhwc, channels_last):
    x = x_nhwc.transpose(0, 3, 1, 2)
    return x if channels_last else np.ascontiguousarray(x)


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 3),
    c=st.integers(1, 7),
    h=st.integers(1, 8),
    w=st.integers(1, 8),
    channels_last=st.booleans(),
    values=st.sampled_from(["normal", "ties", "zeros", "nan"]),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
)
def test_values_and_winners_equal_the_general_path(n, c, h, w, channels_last, values, dtype, seed):
    rng = np.random.default_rng(seed)
    shape = (n, 2 * h, 2 * w, c)
    if values == "ties":
        x = np.round(rng.standard_normal(shape))
    elif values == "zeros":  # +0 and −0: the first one in row-major order must win
        x = rng.choice([0.0, -0.0, -1.0], size=shape)
    else:
        x = rng.standard_normal(shape)
        if values == "nan":
            x.reshape(-1)[rng.integers(x.size)] = np.nan
    x = _layout(x.astype(dtype), channels_last)
    geom = _geometry(2 * h, 2 * w)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pool2x2, "MIN_SIZE", 1)
        assert pool2x2.applies(x, geom)
        out, arg = window_pool._max_forward(x, geom, True)
        patch.setattr(pool2x2, "MIN_SIZE", 1 << 40)
        assert not pool2x2.applies(x, geom)
        ref_out, ref_arg = window_pool._max_forward(x, geom, True)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(np.signbit(out), np.signbit(ref_out))
    np.testing.assert_array_equal(arg, ref_arg)
    assert out.dtype == x.dtype and arg.dtype == ref_arg.dtype


@pytest.mark.parametrize("channels_last", [True, False])
@pytest.mark.parametrize("shape", [(64, 6, 28, 28), (8, 16, 10, 10), (4, 3, 32, 32)])
def test_lenet_sized_pooling_matches_torch(shape, channels_last):
    """Values, return_indices and the input gradient of F.max_pool2d(x, 2), with many ties
    (a ReLU's zeros), on inputs that take the path."""
    rng = np.random.default_rng(1)
    N, C, H, W = shape
    x = np.maximum(np.round(rng.standard_normal((N, H, W, C)) * 2), 0).astype(np.float32)
    x = _layout(x, channels_last)
    assert pool2x2.applies(x, _geometry(H, W))
    xg = gradiente.from_numpy(x).requires_grad_()
    xt = torch.from_numpy(np.ascontiguousarray(x)).requires_grad_()
    yg, ig = gradiente.nn.functional.max_pool2d(xg, 2, return_indices=True)
    yt, it = torch.nn.functional.max_pool2d(xt, 2, return_indices=True)
    np.testing.assert_array_equal(yg.detach().numpy(), yt.detach().numpy())
    np.testing.assert_array_equal(ig.numpy(), it.numpy())
    up = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    yg.backward(gradiente.from_numpy(up))
    yt.backward(torch.from_numpy(up))
    np.testing.assert_array_equal(xg.grad.numpy(), xt.grad.numpy())
    if channels_last:
        assert yg.detach().numpy().strides[1] == yg.detach().numpy().itemsize  # the layout is kept


def test_large_or_non_tiling_inputs_take_the_general_path():
    big = np.zeros((64, 32, 32, 32), np.float32)  # 8 MB: the strided slices are faster
    assert not pool2x2.applies(big, _geometry(32, 32))
    odd = np.zeros((64, 6, 27, 27), np.float32)  # windows do not tile the input
    geom = window_pool.PoolGeometry((2, 2), (2, 2), (0, 0), (1, 1), (27, 27), (13, 13))
    assert not pool2x2.applies(odd, geom)
    ints = np.zeros((64, 6, 28, 28), np.int64)
    assert not pool2x2.applies(ints, _geometry(28, 28))


def test_a_cropped_view_falls_back_to_the_general_path():
    rng = np.random.default_rng(2)
    grid = rng.standard_normal((16, 30, 30, 6)).astype(np.float32)
    x = grid[:, :28, :28].transpose(0, 3, 1, 2)  # channels-last, but not one dense block
    geom = _geometry(28, 28)
    assert pool2x2.forward(x, True, True) is None
    out, arg = window_pool._max_forward(x, geom, True)
    xt = torch.from_numpy(np.ascontiguousarray(x))
    np.testing.assert_array_equal(out, torch.nn.functional.max_pool2d(xt, 2).numpy())
