"""nn.functional: activations, normalisation, dropout, padding and helpers against torch.

Every differentiable function goes through ``check_op``: forward, gradients for a random
upstream gradient, gradcheck, and (for the activations) second derivatives, all in float64.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from conftest import assert_same, check_op, leaf, to_torch

torch = pytest.importorskip("torch")


def _rand(shape, seed=0, low=-3.0, high=3.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def _away_from(values, points, gap=1e-3):
    """Move values off the kinks (``points``) so central differences stay valid."""
    for p in points:
        near = np.abs(values - p) < gap
        values[near] += 4 * gap
    return values


# ---------------------------------------------------------------------------- normalisation


def test_normalize_and_cosine_similarity_match_torch():
    check_op(lambda m, x: m.nn.functional.normalize(x, dim=1), _rand((4, 3)))
    check_op(lambda m, x: m.nn.functional.normalize(x, p=1.0, dim=0), _rand((4, 3)))
    check_op(
        lambda m, a, b: m.nn.functional.cosine_similarity(a, b), _rand((4, 3)), _rand((4, 3), 1)
    )
    # A zero vector: the norm is clamped to eps and its gradient there is 0, as in torch.
    zero = np.zeros((2, 3))
    check_op(
        lambda m, a, b: m.nn.functional.cosine_similarity(a, b, dim=1),
        zero,
        _rand((2, 3), 2),
        gradcheck=False,
    )
    check_op(
        lambda m, x: m.nn.functional.normalize(x, dim=1),
        np.vstack([zero, _rand((1, 3))]),
        gradcheck=False,
    )


# ---------------------------------------------------------------------------------- dropout


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


# ---------------------------------------------------------------------------------- padding


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    "shape,pad", [((2, 3, 5), (2, 1)), ((1, 2, 4, 5), (1, 2, 3, 0)), ((1, 2, 3, 4), (0, 1, 2, 2))]
)
def test_pad_matches_torch(mode, shape, pad):
    check_op(lambda m, x: m.nn.functional.pad(x, pad, mode=mode), _rand(shape))


def test_pad_constant_value_and_negative_crop():
    check_op(lambda m, x: m.nn.functional.pad(x, (1, -1, 2, 0), value=3.5), _rand((3, 4)))


def test_pad_errors():
    with pytest.raises(RuntimeError, match="divisible by 2"):
        F.pad(gradiente.zeros(2, 3), (1, 2, 3))
    with pytest.raises(RuntimeError, match="Padding size should be less"):
        F.pad(gradiente.zeros(1, 1, 3), (3, 3), mode="reflect")


# ------------------------------------------------------------------------------------- misc


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


# --------------------------------------------------------- prelu, embedding, norms, resampling


@pytest.mark.parametrize("r", [2, 3])
def test_pixel_shuffle_and_unshuffle_match_torch(r):
    check_op(lambda m, x: m.nn.functional.pixel_shuffle(x, r), _rand((2, 2 * r * r, 3, 2)))
    check_op(lambda m, x: m.nn.functional.pixel_unshuffle(x, r), _rand((2, 2, 3 * r, 2 * r)))


INTERPOLATIONS = [
    ((2, 3, 5), {"scale_factor": 2}),
    ((2, 3, 5), {"size": 7}),
    ((2, 3, 5), {"scale_factor": 1.7}),
    ((2, 3, 4, 5), {"scale_factor": 2}),
    ((2, 3, 4, 5), {"scale_factor": (3, 0.5)}),
    ((2, 3, 4, 5), {"size": (7, 3)}),
    ((2, 3, 4, 5), {"scale_factor": 1.5, "recompute_scale_factor": True}),
    ((2, 3, 4), {"scale_factor": 2.5, "mode": "linear"}),
    ((2, 3, 4), {"size": 9, "mode": "linear", "align_corners": True}),
    ((2, 3, 4, 5), {"scale_factor": 2, "mode": "bilinear"}),
    ((2, 3, 4, 5), {"size": (3, 8), "mode": "bilinear"}),
    ((2, 3, 4, 5), {"scale_factor": (1.5, 0.5), "mode": "bilinear"}),
    ((2, 3, 4, 5), {"size": (7, 6), "mode": "bilinear", "align_corners": True}),
    ((1, 2, 2, 3, 2), {"scale_factor": 2, "mode": "trilinear"}),
    ((1, 2, 2, 3, 2), {"size": (3, 2, 4)}),
]


@pytest.mark.parametrize("shape,kwargs", INTERPOLATIONS)
def test_interpolate_matches_torch(shape, kwargs):
    check_op(lambda m, x: m.nn.functional.interpolate(x, **kwargs), _rand(shape))


def test_interpolate_float32_nearest_indices_match_torch():
    x = np.arange(2 * 37, dtype=np.float32).reshape(1, 2, 37)
    for factor in (0.3, 1.3, 1.7, 2.9):
        g = F.interpolate(gradiente.from_numpy(x), scale_factor=factor)
        t = torch.nn.functional.interpolate(torch.from_numpy(x), scale_factor=factor)
        assert_same(g, t, what=f"scale_factor={factor}")


def test_interpolate_bad_arguments():
    x = gradiente.zeros(1, 1, 4)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
    with pytest.raises(NotImplementedError, match="needs 4D input"):
        F.interpolate(x, scale_factor=2, mode="bilinear")


def test_pairwise_distance_matches_torch():
    check_op(
        lambda m, a, b: m.nn.functional.pairwise_distance(a, b, p=3, keepdim=True),
        _rand((4, 5)),
        _rand((4, 5), 1),
    )
