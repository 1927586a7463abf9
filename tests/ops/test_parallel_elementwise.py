"""Large element-wise ops split into blocks over gradiente's threads give torch's numbers.

Arrays of at least ``parallel.SPLIT_BYTES`` are cut along their first axis into cache-sized
blocks, spread over ``set_num_threads`` threads when there are at least
``parallel.MIN_THREADS_TO_SPLIT``; these tests use such sizes, channels-last views (the layout
convolutions return) and NaN/inf in the upstream gradient, with 1 and 4 threads.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import gradiente as gd
from gradiente import parallel

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@pytest.fixture(params=[1, 4])
def threads(request, monkeypatch):
    monkeypatch.setitem(parallel._state, "threads", request.param)
    return request.param


def _big(seed, channels_last):
    rng = np.random.default_rng(seed)
    shape = (24, 16, 40, 40)  # 2.3 MB of float32: above SPLIT_BYTES
    x = rng.standard_normal(shape).astype(np.float32)
    x.flat[::97] = 0.0
    x.flat[5::1013] = -0.0
    x.flat[7::2039] = np.nan
    if channels_last:  # an (N, C, H, W) view of (N, H, W, C) memory
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    assert x.nbytes >= parallel.SPLIT_BYTES
    return x


@pytest.mark.parametrize("channels_last", [False, True])
def test_relu_forward_and_backward_match_torch(threads, channels_last):
    torch = pytest.importorskip("torch")
    x = _big(0, channels_last)
    g = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)
    g.flat[11::3001] = np.inf
    g.flat[13::4001] = np.nan
    got = []
    for lib in (gd, torch):
        xt = lib.tensor(x, requires_grad=True)
        y = lib.relu(xt)
        y.backward(lib.tensor(g))
        got.append((y.detach().numpy(), xt.grad.numpy()))
    (y, gx), (ty, tgx) = got
    np.testing.assert_array_equal(y, ty)
    np.testing.assert_array_equal(np.signbit(y), np.signbit(ty))  # relu(-0.0) = -0.0
    np.testing.assert_array_equal(gx, tgx)  # NaN where torch has NaN, 0 where it drops inf
    assert gd.tensor(x).relu().stride() == gd.tensor(x).stride()  # the layout is kept


@pytest.mark.parametrize("in_channels, stride", [(1, 1), (6, 1), (8, 2)])
def test_im2col_and_col2im_split_over_images_match_torch(threads, in_channels, stride):
    """5×5 convolutions (not Winograd's) big enough for im2col/col2im to be split by image."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(in_channels)
    x = rng.standard_normal((40, in_channels, 36, 36)).astype(np.float32)
    w = (0.2 * rng.standard_normal((5, in_channels, 5, 5))).astype(np.float32)
    got = []
    for lib in (gd, torch):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, wt, stride=stride, padding=2)
        y.square().sum().backward()
        got.append([t.detach().numpy() for t in (y, xt.grad, wt.grad)])
    for ours, theirs in zip(*got):
        np.testing.assert_allclose(ours, theirs, rtol=2e-4, atol=2e-3)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (3, 2, 1), (3, 1, 1)])
def test_pooling_split_over_images_matches_torch(threads, kind, kernel, stride, padding):
    """Tiling, overlapping and padded windows over a batch big enough to be split."""
    torch = pytest.importorskip("torch")
    x = _big(3, channels_last=True)
    got = []
    for lib in (gd, torch):
        xt = lib.tensor(x, requires_grad=True)
        pool = lib.nn.functional.max_pool2d if kind == "max" else lib.nn.functional.avg_pool2d
        y = pool(xt, kernel, stride, padding)
        g = np.random.default_rng(4).standard_normal(tuple(y.shape)).astype(np.float32)
        g.flat[::5003] = np.inf
        y.backward(lib.tensor(g))
        got.append((y.detach().numpy(), xt.grad.numpy()))
    (y, gx), (ty, tgx) = got
    np.testing.assert_allclose(y, ty, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(gx, tgx, rtol=1e-6, atol=1e-6)
