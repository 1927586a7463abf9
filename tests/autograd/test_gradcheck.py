"""gradcheck / gradgradcheck: pass on correct gradients, and catch (and locate) wrong ones."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import re

import numpy as np
import pytest

import gradiente
from conftest import leaf
from gradiente.autograd import GradcheckError, gradcheck, gradgradcheck


def _rand(shape, seed=0):
    return np.asarray(np.random.default_rng(seed).uniform(-1.0, 1.0, shape))


class GoodCube(gradiente.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x**2


class WrongCube(gradiente.autograd.Function):
    """A deliberately wrong backward: 2x² instead of 3x², off only where it is largest."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x**2


class SwappedMul(gradiente.autograd.Function):
    """d(a·b)/da = b, d(a·b)/db = a — swapped. Invisible to symmetric tests when a == b."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * a, grad * b


class TransposedGrad(gradiente.autograd.Function):
    """y = x @ w with dL/dw computed as (xᵀ g)ᵀ: right shape only for square w."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        return grad @ w.T, (x.T @ grad).T


def test_gradcheck_returns_true_for_correct_gradients():
    assert gradcheck(GoodCube.apply, (leaf(_rand((3, 2), 1)),)) is True
    assert gradcheck(lambda a, b: (a * b).sin(), (leaf(_rand((3,), 2)), leaf(_rand((3,), 3))))
    assert gradcheck(lambda a: a.softmax(-1), leaf(_rand((2, 4), 4)))  # a single tensor input
    assert gradcheck(lambda a, b: (a @ b, a.sum()), (leaf(_rand((2, 3), 5)), leaf(_rand((3,), 6))))


def test_gradcheck_ignores_inputs_not_requiring_grad():
    x = leaf(_rand((3,), 1))
    c = leaf(_rand((3,), 2), requires_grad=False)
    assert gradcheck(lambda a, b, k: a * b * k, (x, c, 2.0))


def test_gradcheck_catches_wrong_backward_and_names_worst_element():
    x = leaf(np.array([0.1, -0.2, 1.5, 0.3]))
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongCube.apply, (x,))
    text = str(info.value)
    # torch's message: both Jacobians in full; at element 2, 2·1.5² = 4.5 vs 3·1.5² = 6.75.
    assert text.startswith("Jacobian mismatch for output 0 with respect to input 0,\n"), text
    assert "4.5" in text and re.search(r"6\.7(5|49)", text), text
    assert isinstance(info.value, RuntimeError)


def test_gradcheck_catches_swapped_gradients():
    a, b = leaf(_rand((3,), 1)), leaf(_rand((3,), 2))
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(SwappedMul.apply, (a, b))


def test_gradcheck_catches_transposed_gradient_of_square_matrix():
    x, w = leaf(_rand((2, 3), 1)), leaf(_rand((3, 3), 2))
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(TransposedGrad.apply, (x, w))


def test_gradcheck_raise_exception_false_returns_false():
    x = leaf(_rand((3,), 1))
    assert gradcheck(WrongCube.apply, (x,), raise_exception=False) is False
    assert gradcheck(GoodCube.apply, (x,), raise_exception=False) is True


def test_gradcheck_restores_inputs():
    a = _rand((2, 3), 1)
    x = leaf(a)
    gradcheck(lambda t: t.exp(), (x,))
    np.testing.assert_array_equal(x.detach().numpy(), a)


def test_gradcheck_requires_a_differentiable_input():
    with pytest.raises(ValueError):
        gradcheck(lambda t: t * 2, (gradiente.ones(2, dtype=gradiente.float64),))


def test_gradcheck_warns_for_float32():
    x = gradiente.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="not of double precision"):
        gradcheck(lambda t: t * 2, (x,), raise_exception=False)


def test_gradcheck_on_non_contiguous_input():
    x = gradiente.from_numpy(_rand((3, 4), 1).T).requires_grad_()
    assert gradcheck(lambda t: t.exp(), (x,))


def test_gradgradcheck():
    x = leaf(_rand((3,), 1))
    assert gradgradcheck(GoodCube.apply, (x,))
    assert gradgradcheck(lambda t: (t.sin() * t).sum(), (x,))
    w = leaf(_rand((3, 2), 2))
    assert gradgradcheck(lambda a, b: (a @ b).tanh(), (leaf(_rand((2, 3), 3)), w))


class DetachedBackward(gradiente.autograd.Function):
    """Right first derivative, but computed on a detached x: its own derivative is lost."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x.detach() ** 2


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    x = leaf(_rand((3,), 1))
    assert gradcheck(DetachedBackward.apply, (x,))
    with pytest.raises(GradcheckError):
        gradgradcheck(DetachedBackward.apply, (x,))
