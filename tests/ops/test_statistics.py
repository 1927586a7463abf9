"""Statistics and selection (``ops/statistics.py``) compared with PyTorch through the Tensor
methods: the interpolation modes of quantile, which element median/kthvalue/mode pick, and the
counting ops with every optional output."""

import os

import numpy as np
import pytest

import gradiente

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
torch = pytest.importorskip("torch")

ROWS = [[3.0, 1.0, 2.0, 2.0, 5.0], [0.5, 0.5, -1.0, 4.0, 4.0]]


def _same(ours, theirs):
    if isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _same(o, t)
        return
    expected = theirs.numpy()
    got = ours.numpy()
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "nearest", "midpoint"])
@pytest.mark.parametrize("dim", [None, 1])
def test_quantile_interpolation_modes_like_torch(interpolation, dim):
    q = [0.0, 0.3, 0.5, 0.625, 1.0]
    ours = gradiente.tensor(ROWS).quantile(gradiente.tensor(q), dim, interpolation=interpolation)
    theirs = torch.tensor(ROWS).quantile(torch.tensor(q), dim, interpolation=interpolation)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_quantile_refuses_q_outside_the_unit_interval():
    with pytest.raises(RuntimeError, match=r"q values must be in the range \[0, 1\]"):
        gradiente.tensor(ROWS).quantile(1.5)


@pytest.mark.parametrize("op", ["median", "kthvalue", "mode"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_selection_values_and_indices_like_torch(op, keepdim):
    def run(M):
        x = M.tensor(ROWS)
        if op == "kthvalue":  # a value without ties (torch's pick among ties differs)
            return x.kthvalue(1, 1, keepdim)
        return getattr(x, op)(1, keepdim)

    ours, theirs = run(gradiente), run(torch)
    _same((ours.values, ours.indices), (theirs.values, theirs.indices))


def test_median_of_all_elements_with_nan_is_the_first_nan():
    ours = gradiente.tensor([1.0, float("nan"), 2.0, float("nan")]).median()
    assert np.isnan(ours.item())


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_unique_consecutive_with_inverse_and_counts_like_torch(dim):
    data = [[1, 1, 2], [1, 1, 2], [3, 1, 2], [3, 1, 2]]

    def run(M):
        return M.tensor(data).unique_consecutive(return_inverse=True, return_counts=True, dim=dim)

    _same(run(gradiente), run(torch))


@pytest.mark.parametrize("dim", [None, 0])
def test_unique_with_inverse_and_counts_like_torch(dim):
    data = [[2, 1], [0, 3], [2, 1]]

    def run(M):
        return M.tensor(data).unique(return_inverse=True, return_counts=True, dim=dim)

    _same(run(gradiente), run(torch))


def test_bincount_with_integer_weights_and_histc_of_one_value_like_torch():
    def run(M):
        x = M.tensor([0, 2, 2, 4])
        return (
            x.bincount(M.tensor([1.0, 2.0, 3.0, 4.0], dtype=M.float64)),
            M.tensor([2.0, 2.0]).histc(bins=4),
        )

    _same(run(gradiente), run(torch))


@pytest.mark.parametrize("op", ["cummax", "cummin"])
@pytest.mark.parametrize("dim", [0, 1])
def test_running_extremes_point_at_the_latest_tie_like_torch(op, dim):
    data = [[2.0, 2.0, 1.0, 3.0, 3.0], [1.0, 0.0, 1.0, 0.0, 5.0]]
    ours, theirs = getattr(gradiente.tensor(data), op)(dim), getattr(torch.tensor(data), op)(dim)
    _same((ours.values, ours.indices), (theirs.values, theirs.indices))
