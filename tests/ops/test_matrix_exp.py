"""ops/matrix_exp.py: e^A by scaling and squaring, and its Fréchet-derivative gradient, vs torch."""

from __future__ import annotations

import numpy as np
import pytest

import gradiente as g
from gradiente.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


def _matrices(shape, scale, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (2, 1, 5, 5), (1, 1), (0, 0), (3, 0, 0)])
@pytest.mark.parametrize("scale", [1e-3, 0.3, 4.0])
def test_values_match_torch(shape, scale):
    a = _matrices(shape, scale)
    ours = g.linalg.matrix_exp(g.tensor(a))
    theirs = torch.linalg.matrix_exp(torch.tensor(a))
    assert str(ours.dtype) == str(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-15)
    # float32: torch's own float32 result is off by up to ~1e-5 here, so compare both with the
    # float64 exponential of the same (rounded) float32 matrix
    a32 = a.astype(np.float32)
    ours = g.matrix_exp(g.tensor(a32))
    theirs = torch.matrix_exp(torch.tensor(a32))
    truth = torch.matrix_exp(torch.tensor(a32, dtype=torch.float64)).numpy()
    assert str(ours.dtype) == str(theirs.dtype) == "torch.float32"
    scale_of = np.abs(truth).max(initial=1.0)
    np.testing.assert_allclose(ours.numpy(), truth, rtol=1e-5, atol=1e-6 * scale_of)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-3, atol=1e-4 * scale_of)


def test_batch_of_very_different_norms():
    a = np.stack([np.eye(3) * 1e-4, _matrices((3, 3), 20.0), np.zeros((3, 3))])
    np.testing.assert_allclose(
        g.matrix_exp(g.tensor(a)).numpy(), torch.matrix_exp(torch.tensor(a)).numpy(), rtol=1e-11
    )


def test_exact_cases():
    # a nilpotent matrix: e^N = I + N; a diagonal one: e^D = diag(e^d)
    n = g.tensor([[0.0, 2.0], [0.0, 0.0]], dtype=g.float64)
    np.testing.assert_array_equal(n.matrix_exp().numpy(), [[1.0, 2.0], [0.0, 1.0]])
    d = g.tensor([-1.0, 0.5, 3.0], dtype=g.float64).diag()
    np.testing.assert_allclose(d.matrix_exp().diagonal().numpy(), np.exp([-1.0, 0.5, 3.0]), 1e-14)


@pytest.mark.parametrize("shape,scale", [((3, 3), 0.5), ((2, 4, 4), 2.0)])
def test_gradient_matches_torch(shape, scale):
    a = _matrices(shape, scale, seed=1)
    upstream = _matrices(shape, 1.0, seed=2)
    x = g.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    y, ty = g.matrix_exp(x), torch.matrix_exp(t)
    assert type(y.grad_fn).__name__ == type(ty.grad_fn).__name__ == "LinalgMatrixExpBackward0"
    (gx,) = g.autograd.grad(y, x, g.tensor(upstream))
    (gt,) = torch.autograd.grad(ty, t, torch.tensor(upstream))
    np.testing.assert_allclose(gx.numpy(), gt.numpy(), rtol=1e-10, atol=1e-12)
    assert gradcheck(g.linalg.matrix_exp, (x,))


def test_second_derivative():
    x = g.tensor(_matrices((3, 3), 0.7, seed=3), requires_grad=True)
    assert gradgradcheck(g.linalg.matrix_exp, (x,))


@pytest.mark.parametrize(
    "make",
    [lambda m: m.zeros(2, 3), lambda m: m.tensor([[1, 2], [3, 4]]), lambda m: m.zeros(3)],
    ids=["not-square", "integer", "1-d"],
)
def test_errors_match_torch(make):
    with pytest.raises(RuntimeError) as expected:
        torch.linalg.matrix_exp(make(torch))
    with pytest.raises(RuntimeError) as got:
        g.linalg.matrix_exp(make(g))
    assert str(got.value) == str(expected.value)
    with pytest.raises(RuntimeError):
        make(g).matrix_exp()
