"""Average pooling divides each window's sum by its count, as torch's kernels do (forward and
backward): multiplying by 1 / count rounds differently in a tenth to a half of the float32
outputs. Checked bit for bit against torch."""

from __future__ import annotations

import os

import numpy as np
import pytest

import gradiente as gd

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
torch = pytest.importorskip("torch")

CASES = [
    (3, {}),
    (3, {"stride": 2, "padding": 1}),
    (3, {"padding": 1, "count_include_pad": False}),
    (5, {"divisor_override": 7}),
    ((2, 3), {"ceil_mode": True}),
]


def _pool(m, x, kernel, options, layout):
    t = m.tensor(x, requires_grad=True)
    source = t.contiguous(memory_format=m.channels_last) if layout == "channels_last" else t
    y = m.nn.functional.avg_pool2d(source, kernel, **options)
    y.backward(m.full_like(y, 0.7))
    return y.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kernel,options", CASES)
def test_avg_pool2d_bits_are_torchs(kernel, options, dtype, layout):
    x = np.random.default_rng(0).standard_normal((2, 5, 19, 17)).astype(dtype)
    ours = _pool(gd, x, kernel, options, layout)
    theirs = _pool(torch, x, kernel, options, layout)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("out", [(7, 5), (3, 3), (7, 6), (21, 15)])  # windows that tile
def test_adaptive_avg_pool2d_divides_by_kh_then_kw_as_torch(out, dtype):
    """torch's (contiguous) adaptive kernel computes sum / kh / kw, forward and backward (for
    windows that tile the image; uneven windows are a matrix product here, rounded otherwise)."""
    x = np.random.default_rng(1).standard_normal((2, 6, 21, 30)).astype(dtype)

    def pool(m):
        t = m.tensor(x, requires_grad=True)
        y = m.nn.functional.adaptive_avg_pool2d(t, out)
        y.backward(m.full_like(y, 0.7))
        return y.detach().numpy(), t.grad.numpy()

    for a, b in zip(pool(gd), pool(torch), strict=True):
        np.testing.assert_array_equal(a, b)
