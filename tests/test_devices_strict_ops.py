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


# ------------------------------------------------------------------------------ index family
def _long(values):
    return gradiente.tensor(values, dtype=gradiente.int64)


def test_index_put_copy_fill(cuda):
    rows = _long([0, 2, 0])
    _check(lambda a, v, i: a.index_put((i,), v), [(4, 3), (3, 3)], extra=(_long([0, 2, 3]),))
    _check(lambda a, v, i: a.index_put((i,), v, accumulate=True), [(4, 3), (3, 3)], extra=(rows,))
    _check(
        lambda a, v, i, j: a.index_put((i, j), v),
        [(4, 3), (2,)],
        extra=(_long([1, 3]), _long([0, 2])),
    )
    _check(lambda a, v, i: a.index_copy(1, i, v), [(3, 4), (3, 2)], extra=(_long([3, 0]),))
    _check(lambda a, i: a.index_fill(0, i, -1.5), [(4, 3)], extra=(_long([-1, 1]),))


@pytest.mark.parametrize("reduce", ["sum", "mean", "prod", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(cuda, reduce, include_self):
    # repeated targets (several values fold into one place), src larger than index
    index = _long([[0, 1, 0], [2, 0, 0], [0, 1, 3], [0, 0, 0]])
    differentiable = reduce in ("sum", "mean")
    _check(
        lambda a, s, i: a.scatter_reduce(0, i, s, reduce, include_self=include_self),
        [(4, 3), (5, 3)],
        extra=(index,),
        grad=differentiable,
    )


# ------------------------------------------------------------------------------ search, selection
def test_searchsorted_bucketize_isin(cuda):
    seq = gradiente.tensor([[-1.0, 0.0, 0.5, 2.0], [-3.0, -1.0, 1.0, 1.5]], dtype=gradiente.float64)
    for right in (False, True):
        _check(lambda v, s, r=right: gradiente.searchsorted(s, v, right=r), [(2, 5)], extra=(seq,))
        _check(lambda v, s, r=right: gradiente.bucketize(v, s[0], right=r), [(3, 4)], extra=(seq,))
    _check(lambda v, s: gradiente.searchsorted(s[1], 0.7, out_int32=True), [(1,)], extra=(seq,))
    _check(lambda v, s: gradiente.isin(v.round(), s), [(3, 4)], extra=(seq,), grad=False)


def test_mode_cummax_cummin(cuda):
    ties = gradiente.tensor(
        [[1.0, 2.0, 1.0, 2.0, 3.0], [0.0, 0.0, 5.0, 5.0, 5.0], [4.0, 4.0, 1.0, 4.0, 1.0]]
    )
    _check(lambda a, t: (a * 0 + t).mode(1), [(3, 5)], extra=(ties.double(),))
    _check(lambda a, t: (a * 0 + t).mode(0, keepdim=True), [(3, 5)], extra=(ties.double(),))
    _check(lambda a: a.cummax(1), [(3, 6)])
    _check(lambda a: a.cummin(0), [(5, 2)])
    _check(lambda a, t: (a + t).cummax(1), [(3, 5)], extra=(ties.double() * 0,))


def test_quantile_median_kthvalue(cuda):
    q = gradiente.tensor([0.1, 0.5, 0.75], dtype=gradiente.float64)
    for how in ("linear", "lower", "higher", "nearest", "midpoint"):
        _check(lambda a, h=how: a.quantile(0.3, dim=1, interpolation=h), [(4, 6)])
    _check(lambda a, q: a.quantile(q, dim=0, keepdim=True), [(5, 3)], extra=(q,))
    _check(lambda a, q: gradiente.quantile(a, q), [(4, 3)], extra=(q,))
    _check(lambda a: a.median(1), [(4, 5)])
    _check(lambda a: a.median(), [(4, 5)])
    _check(lambda a: a.kthvalue(2, 0), [(4, 5)])


# ------------------------------------------------------------------------------ matrices
def test_block_diag_vander_matrix_rank_combinations(cuda):
    _check(lambda a, b, c: gradiente.block_diag(a, b, c), [(2, 2), (1, 3), (3,)])
    _check(lambda x: gradiente.vander(x, 4), [(5,)])
    _check(lambda x: gradiente.vander(x, increasing=True), [(3,)])
    _check(lambda x: gradiente.combinations(x, 2), [(4,)])
    low_rank = gradiente.tensor(np.outer([1.0, 2.0, 3.0, 4.0], [1.0, -1.0, 0.5]))
    _check(lambda a, l: gradiente.linalg.matrix_rank(a), [(4, 3)], extra=(low_rank,), grad=False)
    _check(lambda a, l: gradiente.linalg.matrix_rank(l), [(2, 5, 3)], extra=(low_rank,), grad=False)
    _check(lambda a: gradiente.linalg.matrix_rank(a), [(2, 5, 3)], grad=False)
    assert gradiente.tril_indices(3, 3, device="cuda").device.type == "cuda"
    assert gradiente.triu_indices(3, 4, 1, device="cuda").device.type == "cuda"


# ------------------------------------------------------------------------------ found by the audit
def test_exp2_and_normal_with_tensor_mean(cuda):
    """The two failures of running every one-argument public function on a CUDA tensor."""
    _check(lambda a: gradiente.exp2(a) + 3.0**a, [(3, 4)])
    _check(lambda a: gradiente.exp2(a.round().long()).double(), [(3, 4)], grad=False)
    draws = {}
    for where in ("cpu", "cuda"):
        gradiente.manual_seed(3)
        mean = gradiente.arange(6.0).reshape(2, 3).to(where)
        draws[where] = gradiente.normal(mean, 0.5)
    assert draws["cuda"].device.type == "cuda"
    np.testing.assert_array_equal(draws["cuda"].cpu().numpy(), draws["cpu"].numpy())
