"""nn/functional/conv.py: pad in its four modes against torch. (Convolution and pooling
themselves: tests/ops/test_conv.py, tests/ops/test_pool.py.)"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from conftest import check_op

torch = pytest.importorskip("torch")


def _rand(shape, seed=0, low=-3.0, high=3.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


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
