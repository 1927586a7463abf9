"""scatter_reduce's folded reductions and put_ (``ops/scatter.py``) compared with PyTorch."""

import os

import numpy as np
import pytest

import gradiente

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
torch = pytest.importorskip("torch")

INDEX = [[0, 1, 0], [2, 2, 1]]
SRC = [[5.0, -2.0, 7.0, 9.0], [1.0, 3.0, -4.0, 8.0]]


@pytest.mark.parametrize("reduce", ["prod", "amax", "amin", "mean"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_float_like_torch(reduce, include_self):
    def run(M):
        x = M.tensor([[1.5, -3.0, 2.0], [0.5, 4.0, -1.0]])
        return x.scatter_reduce(
            1, M.tensor(INDEX), M.tensor(SRC), reduce, include_self=include_self
        )

    np.testing.assert_array_equal(run(gradiente).numpy(), run(torch).numpy())


@pytest.mark.parametrize("reduce", ["amax", "amin", "mean"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_integer_like_torch(reduce, include_self):
    def run(M):
        x = M.tensor([[1, -3, 2], [5, 4, -1]])
        src = M.tensor([[5, -2, 7, 9], [1, 3, -4, 8]])
        return x.scatter_reduce(1, M.tensor(INDEX), src, reduce, include_self=include_self)

    ours, theirs = run(gradiente).numpy(), run(torch).numpy()
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


def test_scatter_reduce_refuses_an_unknown_reduction():
    x = gradiente.zeros(3)
    with pytest.raises(RuntimeError, match="must be either sum, prod, mean, amax or amin"):
        x.scatter_reduce(0, gradiente.tensor([0]), gradiente.ones(1), "max")


@pytest.mark.parametrize("accumulate", [False, True])
def test_put_like_torch(accumulate):
    def run(M):
        x = M.arange(6.0).reshape(2, 3)
        x.put_(M.tensor([[4, 0], [4, 1]]), M.tensor([[10.0, 20.0], [30.0, 40.0]]), accumulate)
        return x

    expected = run(torch)
    ours = run(gradiente)
    if accumulate:
        np.testing.assert_array_equal(ours.numpy(), expected.numpy())
    else:  # index 4 is written twice: both libraries keep one of the two values
        keep = np.ones((2, 3), dtype=bool)
        keep[1, 1] = False
        np.testing.assert_array_equal(ours.numpy()[keep], expected.numpy()[keep])
        assert ours.numpy()[1, 1] in (10.0, 30.0)


def test_integer_prod_without_self_starts_from_one_like_torch():
    got = gradiente.tensor([5, 7, 9]).scatter_reduce(
        0, gradiente.tensor([0, 0]), gradiente.tensor([2, 3]), "prod", include_self=False
    )
    want = torch.tensor([5, 7, 9]).scatter_reduce(
        0, torch.tensor([0, 0]), torch.tensor([2, 3]), "prod", include_self=False
    )
    assert got.tolist() == want.tolist() == [6, 7, 9]
