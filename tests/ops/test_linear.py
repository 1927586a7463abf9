"""ops/linear.py through nn.functional: linear (fused x Wᵀ + b), bilinear and embedding against
torch."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from conftest import assert_same, check_op, leaf

torch = pytest.importorskip("torch")


def _rand(shape, seed=0, low=-3.0, high=3.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 3, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias):
    arrays = [_rand(shape), _rand((3, 5), 1)] + ([_rand((3,), 2)] if bias else [])
    check_op(lambda m, x, w, *b: m.nn.functional.linear(x, w, *b), *arrays, double=True)


def test_linear_bad_shapes_say_what_was_expected():
    x = gradiente.zeros(64, 28)
    w = gradiente.zeros(10, 784)
    with pytest.raises(
        RuntimeError, match=r"^mat1 and mat2 shapes cannot be multiplied \(64x28 and 784x10\)$"
    ):
        F.linear(x, w)
    with pytest.raises(RuntimeError, match="same dtype"):
        F.linear(gradiente.zeros(2, 784, dtype=gradiente.float64), w)


def test_bilinear_matches_torch():
    arrays = [_rand((4, 3)), _rand((4, 2), 1), _rand((5, 3, 2), 2), _rand((5,), 3)]
    check_op(lambda m, a, b, w, c: m.nn.functional.bilinear(a, b, w, c), *arrays)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True}],
)
def test_embedding_matches_torch(kwargs):
    ids = np.array([[1, 2, 9], [2, 2, 0]])
    check_op(
        lambda m, w, i: m.nn.functional.embedding(i, w, **kwargs),
        _rand((10, 4)),
        ids,
        gradcheck=False,
    )
    if not kwargs:  # padding_idx and scale_grad_by_freq change the gradient on purpose
        w = leaf(_rand((10, 4)))
        assert gradiente.autograd.gradcheck(lambda t: F.embedding(gradiente.tensor(ids), t), [w])


def test_embedding_max_norm_renormalises_the_rows_it_reads():
    table = _rand((6, 3), 2) * 3
    ids = np.array([0, 3, 3])
    g_w, t_w = gradiente.from_numpy(table.copy()), torch.from_numpy(table.copy())
    g = F.embedding(gradiente.tensor(ids), g_w, max_norm=1.5)
    t = torch.nn.functional.embedding(torch.from_numpy(ids), t_w, max_norm=1.5)
    assert_same(g, t)
    assert_same(g_w, t_w, what="renormalised table")


def test_embedding_bad_indices():
    with pytest.raises(IndexError, match="index out of range"):
        F.embedding(gradiente.tensor([0, 5]), gradiente.zeros(5, 2))
    with pytest.raises(RuntimeError, match="Long, Int"):
        F.embedding(gradiente.tensor([0.0]), gradiente.zeros(5, 2))
