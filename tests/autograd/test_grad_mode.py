"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode; contexts and decorators."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest

import gradiente
from gradiente import autograd

torch = pytest.importorskip("torch")


def _x():
    return gradiente.ones(2, requires_grad=True)


def test_is_grad_enabled_default_and_namespaces():
    assert gradiente.is_grad_enabled() is True
    assert autograd.is_grad_enabled() is True
    assert gradiente.no_grad is autograd.no_grad
    assert gradiente.enable_grad is autograd.enable_grad
    assert gradiente.set_grad_enabled is autograd.set_grad_enabled
    assert gradiente.inference_mode is autograd.inference_mode


def test_no_grad_context():
    x = _x()
    with gradiente.no_grad():
        assert not gradiente.is_grad_enabled()
        y = x * 2
    assert gradiente.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf


def test_enable_grad_inside_no_grad():
    x = _x()
    with gradiente.no_grad():
        with gradiente.enable_grad():
            assert gradiente.is_grad_enabled()
            y = x * 2
        assert not gradiente.is_grad_enabled()
    assert y.requires_grad and y.grad_fn is not None


def test_nested_contexts_restore_previous_state():
    states = []
    with gradiente.no_grad():
        with gradiente.no_grad():
            states.append(gradiente.is_grad_enabled())
        states.append(gradiente.is_grad_enabled())
        with gradiente.set_grad_enabled(True):
            states.append(gradiente.is_grad_enabled())
        states.append(gradiente.is_grad_enabled())
    states.append(gradiente.is_grad_enabled())
    assert states == [False, False, True, False, True]


def test_state_restored_after_exception():
    with pytest.raises(ValueError):
        with gradiente.no_grad():
            raise ValueError
    assert gradiente.is_grad_enabled()

    @gradiente.no_grad()
    def fails():
        raise KeyError

    with pytest.raises(KeyError):
        fails()
    assert gradiente.is_grad_enabled()


@pytest.mark.parametrize("with_parentheses", [True, False])
def test_no_grad_decorator(with_parentheses):
    def f(x):
        """Doc."""
        assert not gradiente.is_grad_enabled()
        return x * 2

    decorated = gradiente.no_grad()(f) if with_parentheses else gradiente.no_grad(f)
    y = decorated(_x())
    assert not y.requires_grad
    assert gradiente.is_grad_enabled()
    assert decorated.__name__ == "f" and decorated.__doc__ == "Doc."


def test_enable_grad_decorator():
    @gradiente.enable_grad()
    def f(x):
        return x * 2

    with gradiente.no_grad():
        y = f(_x())
        assert not gradiente.is_grad_enabled()
    assert y.requires_grad


def test_decorator_is_reentrant():
    @gradiente.no_grad()
    def recurse(n):
        assert not gradiente.is_grad_enabled()
        return 0 if n == 0 else 1 + recurse(n - 1)

    assert recurse(3) == 3
    assert gradiente.is_grad_enabled()


def test_set_grad_enabled_as_function_context_and_decorator():
    gradiente.set_grad_enabled(False)
    try:
        assert not gradiente.is_grad_enabled()
        assert not (_x() * 2).requires_grad
    finally:
        gradiente.set_grad_enabled(True)
    assert gradiente.is_grad_enabled()

    with gradiente.set_grad_enabled(False):
        assert not gradiente.is_grad_enabled()
    assert gradiente.is_grad_enabled()

    for mode in (True, False):
        with gradiente.set_grad_enabled(mode):
            assert gradiente.is_grad_enabled() is mode
    assert gradiente.is_grad_enabled()

    @gradiente.set_grad_enabled(False)
    def f(x):
        return x * 2

    assert gradiente.is_grad_enabled()  # decorating does not change the mode
    assert not f(_x()).requires_grad
    assert gradiente.is_grad_enabled()


def test_inference_mode_context_and_decorator():
    x = _x()
    with gradiente.inference_mode():
        assert not gradiente.is_grad_enabled()
        y = x * 2
    assert not y.requires_grad and gradiente.is_grad_enabled()
    with gradiente.inference_mode(False):
        assert gradiente.is_grad_enabled()
        assert (x * 2).requires_grad

    @gradiente.inference_mode()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    assert gradiente.is_grad_enabled()

    @gradiente.inference_mode
    def g(t):
        return t * 2

    assert not g(x).requires_grad


def test_requires_grad_propagation_matches_torch():
    for m in (gradiente, torch):
        a = m.ones(2, requires_grad=True)
        b = m.ones(2)
        assert (a + b).requires_grad and not (b + b).requires_grad
        assert not (a > b).requires_grad
        assert (a.sum() * 0).requires_grad
        assert not a.detach().requires_grad
        assert a.argmax().requires_grad is False
        with m.no_grad():
            assert not (a * 2).requires_grad
            c = a.clone()
        assert not c.requires_grad


def test_in_place_on_leaf_allowed_under_no_grad():
    """The optimizer's update: w -= lr * w.grad under no_grad keeps w a leaf that requires grad."""
    w = gradiente.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with gradiente.no_grad():
        w -= 0.1 * w.grad
        w.mul_(2)
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    assert w.tolist() == pytest.approx([1.6, 3.2])
