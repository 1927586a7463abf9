"""F.pad with negative amounts in reflect/replicate/circular mode crops, as torch's does."""

import itertools
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from conftest import check_op

torch = pytest.importorskip("torch")

MODES = ["reflect", "replicate", "circular"]


@pytest.mark.parametrize("mode", MODES)
def test_every_pad_pair_on_a_row_of_five(mode):
    """All (left, right) in [-5, 4]²: the same values, or an error of the same type where torch
    refuses. (Circular pads of a fully cropped row give torch's uninitialised memory; gradiente
    refuses them, so they are left out.)"""
    x = np.arange(5.0).reshape(1, 1, 5)
    for lo, hi in itertools.product(range(-5, 5), repeat=2):
        if mode == "circular" and 5 + min(lo, 0) + min(hi, 0) <= 0:
            with pytest.raises(RuntimeError):
                gradiente.nn.functional.pad(gradiente.tensor(x), (lo, hi), mode=mode)
            continue
        try:
            expected = torch.nn.functional.pad(torch.tensor(x), (lo, hi), mode=mode)
        except RuntimeError:
            with pytest.raises(RuntimeError):
                gradiente.nn.functional.pad(gradiente.tensor(x), (lo, hi), mode=mode)
            continue
        got = gradiente.nn.functional.pad(gradiente.tensor(x), (lo, hi), mode=mode)
        np.testing.assert_array_equal(got.numpy(), expected.numpy(), err_msg=f"{lo, hi}")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("pads", [(-1, 2, 1, -2), (2, -1, -1, 1), (-1, -1, 0, 2)])
def test_negative_pads_in_2d_values_and_gradients(mode, pads):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    check_op(lambda lib, a: lib.nn.functional.pad(a, pads, mode=mode), x)


@pytest.mark.parametrize("mode", MODES)
def test_negative_pads_in_3d(mode):
    x = np.random.default_rng(1).standard_normal((1, 2, 3, 4, 5))
    check_op(lambda lib, a: lib.nn.functional.pad(a, (-1, 2, 1, -1, -1, 1), mode=mode), x)
