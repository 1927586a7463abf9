"""User-defined autograd Functions, written exactly as for PyTorch (forward receives tensors)."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from conftest import assert_same, gradcheck_random_upstream, leaf, random_like, to_torch

torch = pytest.importorskip("torch")


def _define(lib):
    """The same user code, for ``lib`` = gradiente or torch."""

    class ScaledExp(lib.autograd.Function):
        """y = exp(k·x) with a non-tensor argument k."""

        @staticmethod
        def forward(ctx, x, k):
            y = (x * k).exp()
            ctx.save_for_backward(y)
            ctx.k = k
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * ctx.k * y, None

    class MulAdd(lib.autograd.Function):
        """(a*b + c): three tensor inputs; records which gradients were asked for."""

        asked = []

        @staticmethod
        def forward(ctx, a, b, c):
            ctx.save_for_backward(a, b)
            return a * b + c

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            MulAdd.asked.append(tuple(ctx.needs_input_grad))
            ga = grad * b if ctx.needs_input_grad[0] else None
            gb = grad * a if ctx.needs_input_grad[1] else None
            gc = grad if ctx.needs_input_grad[2] else None
            return ga, gb, gc

    class SumAndMax(lib.autograd.Function):
        """Two outputs, one of them integer (non-differentiable)."""

        @staticmethod
        def forward(ctx, x):
            values, indices = x.max(dim=1)
            ctx.save_for_backward(x, indices)
            ctx.mark_non_differentiable(indices)
            return x.sum(1), values, indices

        @staticmethod
        def backward(ctx, grad_sum, grad_values, grad_indices):
            x, indices = ctx.saved_tensors
            g = grad_sum.unsqueeze(1).expand_as(x).clone()
            rows = lib.arange(x.shape[0])
            g[rows, indices] += grad_values
            return g

    return ScaledExp, MulAdd, SumAndMax


G_FUNCS = _define(gradiente)
T_FUNCS = _define(torch)


def test_function_inside_a_graph_matches_torch():
    a = np.asarray(np.random.default_rng(0).uniform(-1, 1, (3, 4)))
    x, tx = leaf(a), to_torch(leaf(a))
    for (ScaledExp, _, _), t, m in ((G_FUNCS, x, gradiente), (T_FUNCS, tx, torch)):
        h = t.sin() * 2
        y = ScaledExp.apply(h, 0.5)
        out = (y * t).sum(0)
        out.backward(m.from_numpy(np.arange(4.0)))
    assert_same(x.grad, tx.grad)


def test_function_output_has_named_grad_fn_and_forward_runs_without_grad():
    seen = []

    class Probe(gradiente.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(gradiente.is_grad_enabled())
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    x = gradiente.ones(2, requires_grad=True)
    y = Probe.apply(x)
    assert seen == [False]
    assert y.requires_grad and not y.is_leaf
    assert "Probe" in y.grad_fn.name()
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_needs_input_grad_reflects_which_inputs_require_grad():
    _, MulAdd, _ = G_FUNCS
    _, TMulAdd, _ = T_FUNCS
    arrays = [np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([5.0, 6.0])]
    for flags in [(True, False, True), (False, True, False), (True, True, True)]:
        MulAdd.asked.clear()
        TMulAdd.asked.clear()
        g_in = [leaf(a, f) for a, f in zip(arrays, flags, strict=True)]
        t_in = [to_torch(x) for x in g_in]
        MulAdd.apply(*g_in).sum().backward()
        TMulAdd.apply(*t_in).sum().backward()
        assert MulAdd.asked == TMulAdd.asked == [flags]
        for g, t in zip(g_in, t_in, strict=True):
            if t.requires_grad:
                assert_same(g.grad, t.grad)
            else:
                assert g.grad is None


def test_function_with_no_input_requiring_grad_records_nothing():
    ScaledExp, _, _ = G_FUNCS
    y = ScaledExp.apply(gradiente.ones(2), 2.0)
    assert not y.requires_grad and y.grad_fn is None


def test_multiple_outputs_and_non_differentiable_indices():
    a = np.asarray(np.random.default_rng(1).uniform(-1, 1, (3, 4)))
    x, tx = leaf(a), to_torch(leaf(a))
    results = []
    for (_, _, SumAndMax), t, m in ((G_FUNCS, x, gradiente), (T_FUNCS, tx, torch)):
        s, v, i = SumAndMax.apply(t)
        assert not i.requires_grad and i.dtype == m.int64
        assert s.requires_grad and v.requires_grad
        (s * 2 + v.exp()).sum().backward()
        results.append((s, v, i))
    assert_same(x.grad, tx.grad)
    for g, t in zip(results[0], results[1], strict=True):
        assert_same(g, t)


def test_only_one_output_used():
    a = np.asarray(np.random.default_rng(2).uniform(-1, 1, (2, 3)))
    x, tx = leaf(a), to_torch(leaf(a))
    for (_, _, SumAndMax), t in ((G_FUNCS, x), (T_FUNCS, tx)):
        _, v, _ = SumAndMax.apply(t)
        (v * 3).sum().backward()
    assert_same(x.grad, tx.grad)


def test_user_function_passes_gradcheck():
    ScaledExp, MulAdd, _ = G_FUNCS
    a = np.asarray(np.random.default_rng(3).uniform(-1, 1, (2, 3)))
    gradcheck_random_upstream(lambda x: ScaledExp.apply(x, -1.5), [leaf(a)])
    gradcheck_random_upstream(
        lambda x, y, z: MulAdd.apply(x, y, z), [leaf(a), leaf(a * 2), leaf(a - 1)]
    )


def test_multi_output_function_passes_gradcheck():
    _, _, SumAndMax = G_FUNCS
    a = np.asarray(np.random.default_rng(3).uniform(-1, 1, (2, 3)))
    gradcheck_random_upstream(lambda x: SumAndMax.apply(x)[:2], [leaf(a)])


def test_user_function_double_backward():
    """A backward written with tensor ops is itself differentiable (create_graph=True)."""
    a = np.array([0.3, -0.4])
    x, tx = leaf(a), to_torch(leaf(a))
    (ScaledExp, _, _), (TScaledExp, _, _) = G_FUNCS, T_FUNCS
    (g,) = gradiente.autograd.grad(ScaledExp.apply(x, 2.0).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(TScaledExp.apply(tx, 2.0).sum(), tx, create_graph=True)
    v = random_like((2,), 4)
    (h,) = gradiente.autograd.grad(g, x, gradiente.from_numpy(v))
    (th,) = torch.autograd.grad(tg, tx, torch.from_numpy(v))
    assert_same(h, th)


def test_backward_returning_wrong_number_of_gradients_or_numpy_arrays():
    class ReturnsArray(gradiente.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def backward(ctx, grad):
            return grad.numpy() * 3  # a NumPy array is accepted as a gradient

    x = gradiente.ones(2, requires_grad=True)
    ReturnsArray.apply(x).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_saved_tensors_after_in_place_change_raise():
    ScaledExp, _, _ = G_FUNCS
    x = gradiente.ones(2, requires_grad=True)
    y = ScaledExp.apply(x * 1, 1.0)
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_function_backward_not_implemented():
    class NoBackward(gradiente.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x + 1

    y = NoBackward.apply(gradiente.ones(1, requires_grad=True))
    with pytest.raises(NotImplementedError):
        y.sum().backward()
