"""nn/functional/resampling.py against torch: pixel_shuffle/unshuffle and interpolate."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from conftest import assert_same, check_op

torch = pytest.importorskip("torch")


def _rand(shape, seed=0, low=-3.0, high=3.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


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
