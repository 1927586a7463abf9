"""Large random fills are computed block by block over the threads (random/exact_math.py,
``_blockwise``): the bits must be torch's, whatever the split."""

from __future__ import annotations

import os

import numpy as np
import pytest

import gradiente as gd
from gradiente import parallel

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
torch = pytest.importorskip("torch")

N = 300_007  # several blocks of 2**15 and a partial one


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "fill",
    [
        lambda t: t.uniform_(-0.37, 0.91),
        lambda t: t.normal_(0.25, 3.0),
        lambda t: t.exponential_(1.5),
    ],
    ids=["uniform", "normal", "exponential"],
)
def test_large_fills_are_torchs_bits(fill, dtype, threads, monkeypatch):
    monkeypatch.setitem(parallel._state, "threads", threads)
    monkeypatch.setitem(parallel._state, "gemm", "gradiente")  # split from 2 threads on
    gd.manual_seed(11)
    torch.manual_seed(11)
    ours = fill(gd.empty(N, dtype=getattr(gd, dtype))).numpy()
    theirs = fill(torch.empty(N, dtype=getattr(torch, dtype))).numpy()
    np.testing.assert_array_equal(ours, theirs)


def test_blockwise_equals_one_call_on_broadcast_arguments():
    from gradiente.random import exact_math

    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 40_000)).astype(np.float32)
    b = rng.standard_normal((1, 40_000)).astype(np.float32)
    c = np.float32(0.3)
    blocked = exact_math._fma32(a, b, c)
    whole = exact_math._fma32.__wrapped__(a, b, c)
    assert blocked.shape == (3, 40_000) and blocked.dtype == np.float32
    np.testing.assert_array_equal(blocked, whole)
    sin, cos = exact_math._sincos_avx2(np.abs(a.reshape(-1)))
    sin1, cos1 = exact_math._sincos_avx2.__wrapped__(np.abs(a.reshape(-1)))
    np.testing.assert_array_equal(sin, sin1)
    np.testing.assert_array_equal(cos, cos1)
