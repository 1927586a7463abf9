"""nn/functional/dense.py against torch: the dropouts (the same masks for the same seed) and
one_hot. (linear, bilinear, embedding: tests/ops/test_linear.py.)"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from conftest import assert_same, leaf, to_torch

torch = pytest.importorskip("torch")


def _rand(shape, seed=0, low=-3.0, high=3.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 1.0])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dropout_draws_the_same_mask_as_torch(p, dtype):
    x = _rand((8, 40)).astype(dtype)
    gradiente.manual_seed(7)
    torch.manual_seed(7)
    g_in, t_in = leaf(x), to_torch(leaf(x))
    g = F.dropout(g_in, p)
    t = torch.nn.functional.dropout(t_in, p)
    assert_same(g, t, rtol=0, atol=0)
    up = _rand((8, 40), 5).astype(dtype)
    g.backward(gradiente.from_numpy(up))
    t.backward(torch.from_numpy(up))
    assert_same(g_in.grad, t_in.grad, rtol=0, atol=0)


@pytest.mark.parametrize(
    "fn,shape", [("dropout1d", (3, 4, 5)), ("dropout2d", (3, 4, 5, 2)), ("dropout1d", (4, 5))]
)
def test_channel_dropout_same_mask_as_torch(fn, shape):
    x = _rand(shape)
    gradiente.manual_seed(3)
    torch.manual_seed(3)
    g = getattr(F, fn)(gradiente.from_numpy(x), 0.4)
    t = getattr(torch.nn.functional, fn)(torch.from_numpy(x), 0.4)
    assert_same(g, t, rtol=0, atol=0)


def test_dropout_eval_is_identity_and_bad_p_raises():
    x = gradiente.ones(3)
    assert F.dropout(x, 0.5, training=False) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, 1.5)


def test_one_hot_matches_torch():
    idx = np.array([[0, 3], [2, 1]])
    g = F.one_hot(gradiente.from_numpy(idx))
    t = torch.nn.functional.one_hot(torch.from_numpy(idx))
    assert_same(g, t)
    assert_same(
        F.one_hot(gradiente.from_numpy(idx), 6),
        torch.nn.functional.one_hot(torch.from_numpy(idx), 6),
    )
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(gradiente.from_numpy(idx), 3)
