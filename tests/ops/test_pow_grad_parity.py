"""The gradients of ``**`` at zeros, infinities and NaNs, and with NaN or infinite upstream
gradients, as torch computes them: the derivative first (zeroed where torch zeroes it), then
times grad; ``x ** 0`` gives zeros whatever grad holds; ``x ** False`` is not "0" for torch's
Scalar and takes the general formula. (Found by the random-program fuzzer.)"""

from __future__ import annotations

import os

import numpy as np
import pytest

import gradiente as gd

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
torch = pytest.importorskip("torch")

INF, NAN = float("inf"), float("nan")
BASES = [0.0, -0.0, NAN, INF, 2.0, -3.0]
EXPONENTS = [-1.0, 0.0, 1.0, 2.0, NAN, -INF]
GRADS = {
    "ones": [1.0] * 6,
    "non-finite": [INF, NAN, 1.0, 2.0, INF, 0.5],
}


def _grads(lib, make, inputs, grad):
    leaves = [lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in inputs]
    make(lib, *leaves).backward(lib.tensor(grad, dtype=lib.float64))
    return [leaf.grad.numpy() for leaf in leaves]


CASES = {
    "x ** False": (lambda lib, x: x**False, [BASES]),
    "x ** True": (lambda lib, x: x**True, [BASES]),
    "x ** 0": (lambda lib, x: x**0, [BASES]),
    "x ** 0.0": (lambda lib, x: x**0.0, [BASES]),
    "x ** 1.7": (lambda lib, x: x**1.7, [BASES]),
    "0 ** e": (lambda lib, e: 0**e, [EXPONENTS]),
    "2.5 ** e": (lambda lib, e: 2.5**e, [EXPONENTS]),
    "b ** e": (lambda lib, b, e: b**e, [[0.0, 0.0, 0.0, 2.0, 1.0, 0.0], EXPONENTS]),
}


@pytest.mark.parametrize("grad", GRADS, ids=list(GRADS))
@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_pow_gradients_match_torch_at_special_values(case, grad):
    make, inputs = CASES[case]
    ours = _grads(gd, make, inputs, GRADS[grad])
    theirs = _grads(torch, make, inputs, GRADS[grad])
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(np.signbit(a), np.signbit(b))


def test_pow_float32_gradient_rounds_as_torch_more_often():
    """grad · (p · x^(p−1)) in that order: with torch's order the float32 gradients agree to
    the last bit wherever x^(p−1) does (the old (grad · p) · x^(p−1) differed in most)."""
    rng = np.random.default_rng(0)
    x = np.abs(rng.standard_normal(2000)).astype(np.float32) + 0.1
    g = rng.standard_normal(2000).astype(np.float32)
    ours_x = gd.tensor(x, requires_grad=True)
    (ours_x**1.37).backward(gd.tensor(g))
    theirs_x = torch.tensor(x, requires_grad=True)
    (theirs_x**1.37).backward(torch.tensor(g))
    power_ours = (gd.tensor(x) ** 0.37).numpy()
    power_theirs = (torch.tensor(x) ** 0.37).numpy()
    same_power = power_ours == power_theirs
    assert same_power.mean() > 0.5
    ours, theirs = ours_x.grad.numpy(), theirs_x.grad.numpy()
    np.testing.assert_array_equal(ours[same_power], theirs[same_power])


def test_two_norm_gradient_multiplies_grad_last_as_torch():
    """torch's norm_backward for p = 2 is grad · (x / ‖x‖), masked to 0 where the norm is 0
    before the product: a NaN upstream gradient stays NaN at a zero vector (found by the op
    fuzzer through cosine_similarity → norm), and the rounding is torch's."""
    for grad in (float("nan"), 0.7):
        out = []
        for lib in (gd, torch):
            x = lib.tensor([[0.0, 0.0], [3.0, -4.0], [1e-3, 2.5]], requires_grad=True)
            x.norm(dim=1).backward(lib.full((3,), grad))
            out.append(x.grad.numpy())
        np.testing.assert_array_equal(out[0], out[1])
