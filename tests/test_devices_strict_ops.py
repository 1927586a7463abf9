"""The ops that used to build NumPy arrays for CUDA inputs, on the strict CuPy stand-in.

``backend.set_stand_in_cuda(1)`` makes ``backend._cupy`` the stand-in
(``gradiente._cupy_standin``), whose device arrays refuse what CuPy refuses: implicit
conversion to NumPy, host arrays mixed into device operations, ``ufunc.at``. Each op runs on
the CPU and on "cuda": values and gradients must be equal, results stay on the device, and no
op builds its result on the host (``backend.host_results``).
"""

from __future__ import annotations

import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from gradiente import backend as B


@pytest.fixture
def cuda():
    B.set_stand_in_cuda(1)
    B.host_results.clear()
    yield
    B.set_stand_in_cuda(0)


def _check(fn, shapes, *, extra=(), tol=1e-12, seed=0, grad=True):
    """fn(*inputs, *extra) on the CPU and on the stand-in GPU: equal values, equal gradients
    of the float64 inputs (random upstream gradient of the first output), all on the device."""
    results = {}
    for where in ("cpu", "cuda"):
        gen = np.random.default_rng(seed)
        xs = [
            gradiente.tensor(gen.standard_normal(s), dtype=gradiente.float64)
            .to(where)
            .requires_grad_(grad)
            for s in shapes
        ]
        moved = [e.to(where) if isinstance(e, gradiente.Tensor) else e for e in extra]
        out = fn(*xs, *moved)
        outs = tuple(out) if isinstance(out, tuple) else (out,)
        assert all(o.device.type == where for o in outs)
        if grad and outs[0].requires_grad:
            up = np.random.default_rng(seed + 1).standard_normal(tuple(outs[0].shape))
            (outs[0] * gradiente.tensor(up, dtype=outs[0].dtype).to(where)).sum().backward()
        grads = [None if x.grad is None else x.grad for x in xs]
        assert all(g is None or g.device.type == where for g in grads)
        results[where] = (
            [o.detach().cpu().numpy() for o in outs],
            [None if g is None else g.cpu().numpy() for g in grads],
        )
    (cpu_out, cpu_grads), (dev_out, dev_grads) = results["cpu"], results["cuda"]
    for a, b in zip(cpu_out, dev_out, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol)
    for a, b in zip(cpu_grads, dev_grads, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(b, a, rtol=tol, atol=tol)
    assert not B.host_results, f"ops built results on the host: {sorted(B.host_results)}"


# ------------------------------------------------------------------------------ volumes
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"stride": 2, "padding": 1, "output_padding": 1}, {"groups": 2, "dilation": (1, 2, 1)}],
)
def test_conv_transpose3d(cuda, kwargs):
    _check(
        lambda x, w, b: F.conv_transpose3d(x, w, b, **kwargs),
        [(2, 4, 3, 3, 2), (4, 2, 2, 3, 2), (2 * kwargs.get("groups", 1),)],
    )


def test_pool3d(cuda):
    _check(lambda x: F.max_pool3d(x, 2), [(2, 2, 4, 4, 4)])
    _check(lambda x: F.max_pool3d(x, 3, 2, 1, return_indices=True), [(1, 2, 5, 4, 6)])
    _check(lambda x: F.avg_pool3d(x, 2), [(2, 2, 4, 4, 4)])
    # a divisor that differs window by window (padding not counted) is a device array
    _check(lambda x: F.avg_pool3d(x, 3, 2, 1, count_include_pad=False), [(1, 2, 5, 4, 6)])


# ------------------------------------------------------------------------------ unfold, fold
def test_unfold_and_fold(cuda):
    _check(lambda x: F.unfold(x, 2), [(2, 3, 4, 5)])
    _check(lambda x: F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=2), [(1, 2, 5, 6)])
    _check(lambda c: F.fold(c, (4, 5), 2), [(2, 12, 12)])
    _check(lambda c: F.fold(c, (5, 6), (2, 3), padding=1, stride=2), [(1, 12, 9)])
