"""nn/functional/distance.py against torch: normalize, cosine_similarity, pairwise_distance."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


import numpy as np
import pytest

from conftest import check_op

torch = pytest.importorskip("torch")


def _rand(shape, seed=0, low=-3.0, high=3.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


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


def test_pairwise_distance_matches_torch():
    check_op(
        lambda m, a, b: m.nn.functional.pairwise_distance(a, b, p=3, keepdim=True),
        _rand((4, 5)),
        _rand((4, 5), 1),
    )
