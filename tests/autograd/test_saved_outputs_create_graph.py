"""A node that saves several of its own outputs gives each back as the output it is.

Under ``create_graph`` the saved outputs rejoin the graph as outputs of their node; each must
carry its own output slot, or a second derivative through an op with several saved outputs
(eigh's eigenvalues and eigenvectors, a custom Function returning two tensors) sends the
gradient of one output into the slot of the other — a silently wrong Hessian.
"""

import numpy as np
import pytest

import gradiente as g

torch = pytest.importorskip("torch")


def _two(lib):
    class Two(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            a, b = x * 2, x**3
            ctx.save_for_backward(a, b)
            return a, b

        @staticmethod
        def backward(ctx, ga, gb):
            a, b = ctx.saved_tensors
            return ga * a + gb * b

    return Two


def _second_derivative(lib, fn):
    x = lib.tensor([1.5, -0.5], dtype=lib.float64, requires_grad=True)
    (grad,) = lib.autograd.grad(fn(lib, x), x, create_graph=True)
    (second,) = lib.autograd.grad(grad.sum(), x)
    return grad.detach().numpy(), second.numpy()


def _custom(lib, x):
    a, b = _two(lib).apply(x)
    return (a * 0.3 + b * 0.7).sum()


def _eigh(lib, x):
    m = lib.stack([lib.stack([x[0] + 2, x[1]]), lib.stack([x[1], x[0] * 3])])
    w, v = lib.linalg.eigh(m)
    weights = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64)
    return (w * lib.tensor([1.0, 2.0], dtype=lib.float64)).sum() + (v**2 * weights).sum()


@pytest.mark.parametrize("fn", [_custom, _eigh], ids=["custom_function", "eigh"])
def test_second_derivative_through_several_saved_outputs(fn):
    theirs = _second_derivative(torch, fn)
    ours = _second_derivative(g, fn)
    for t, o in zip(theirs, ours):
        np.testing.assert_allclose(o, t, rtol=1e-10, atol=1e-12)
