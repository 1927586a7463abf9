"""The backward engine: deep graphs, retain_graph, create_graph, hooks, autograd.grad, versions."""

import gc
import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from conftest import assert_same, leaf, random_like, to_torch

torch = pytest.importorskip("torch")


def _rand(shape, seed=0):
    return np.asarray(np.random.default_rng(seed).uniform(-2.0, 2.0, shape))


# -------------------------------------------------------------------- graph shapes


def test_chain_of_100k_ops_backprops_without_recursion():
    limit = sys.getrecursionlimit()
    x = gradiente.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.backward()
    assert sys.getrecursionlimit() == limit
    assert x.grad.item() == 1.0
    assert y.item() == 100_000.5
    del y
    gc.collect()


def test_shared_subexpressions_sum_their_gradients():
    """A diamond: x feeds two paths that meet again; both contributions must be added."""
    a = _rand((3,), 1)

    def f(m, x):
        h = x.exp()
        return (h * x + h.sin() * h + x * x * x).sum()

    g, t = leaf(a), to_torch(leaf(a))
    f(gradiente, g).backward()
    f(torch, t).backward()
    assert_same(g.grad, t.grad)


def test_gradients_accumulate_across_backward_calls():
    w = leaf(_rand((2, 2), 2))
    tw = to_torch(w)
    for k in range(3):
        (w * (k + 1.0)).pow(2).sum().backward()
        (tw * (k + 1.0)).pow(2).sum().backward()
    assert_same(w.grad, tw.grad)
    w.grad.zero_()
    (w * 2).sum().backward()
    assert w.grad.tolist() == [[2.0, 2.0], [2.0, 2.0]]


def test_grad_of_a_leaf_is_independent_of_other_leaves():
    """Two leaves getting the same gradient array: editing one .grad leaves the other alone."""
    a, b = leaf(_rand((3,), 1)), leaf(_rand((3,), 2))
    (a + b).sum().backward()
    a.grad.add_(1.0)
    assert b.grad.tolist() == [1.0, 1.0, 1.0]
    c = leaf(_rand((3,), 3))
    s = c * 1.0
    (s + s).sum().backward()
    assert c.grad.tolist() == [2.0, 2.0, 2.0]


def test_non_leaf_grad_is_none_and_leaf_flags():
    x = gradiente.ones(2, requires_grad=True)
    y = x * 2
    z = y.sum()
    assert x.is_leaf and not y.is_leaf and not z.is_leaf
    assert x.grad_fn is None and y.grad_fn is not None
    z.backward()
    assert y.grad is None
    assert x.grad.tolist() == [2.0, 2.0]
    c = gradiente.ones(2)
    assert c.is_leaf and not c.requires_grad and (c * 2).is_leaf


def test_detach_cuts_the_graph():
    x = gradiente.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = (y.detach() * x).sum()
    z.backward()
    assert x.grad.tolist() == [3.0, 6.0]
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None


def test_backward_with_inputs_only_accumulates_those():
    a = gradiente.tensor([1.0, 2.0], requires_grad=True)
    b = gradiente.tensor([3.0, 4.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert a.grad.tolist() == [3.0, 4.0] and b.grad is None


def test_backward_through_several_roots():
    a = leaf(_rand((3,), 1))
    ta = to_torch(a)
    outs = [a.exp(), a.sin().sum()]
    t_outs = [ta.exp(), ta.sin().sum()]
    up = random_like((3,), 5)
    gradiente.autograd.backward(outs, [gradiente.from_numpy(up), None])
    torch.autograd.backward(t_outs, [torch.from_numpy(up), None])
    assert_same(a.grad, ta.grad)


def test_float32_gradients_stay_float32():
    w = gradiente.ones(3, requires_grad=True)
    (w * gradiente.tensor([1.0, 2.0, 3.0], dtype=gradiente.float64)).sum().backward()
    assert w.grad.dtype == gradiente.float32
    v = gradiente.ones(3, dtype=gradiente.float64, requires_grad=True)
    (v.float() * 2).sum().backward()
    assert v.grad.dtype == gradiente.float64


# -------------------------------------------------------------------- retain_graph, create_graph


def test_second_backward_without_retain_graph_names_retain_graph():
    x = gradiente.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    a = _rand((3,), 1)
    x, tx = leaf(a), to_torch(leaf(a))
    y, ty = (x.exp() * x.sin()).sum(), (tx.exp() * tx.sin()).sum()
    y.backward(retain_graph=True)
    y.backward()
    ty.backward(retain_graph=True)
    ty.backward()
    assert_same(x.grad, tx.grad)


def test_create_graph_gives_hessian_vector_products_like_torch():
    a, v = _rand((4,), 1), random_like((4,), 2)
    w = _rand((4, 4), 3)

    def f(m, x, W):
        return ((W @ x).tanh() * x).sum() + (x**3).sum() * x.sigmoid().prod()

    x, W = leaf(a), leaf(w, requires_grad=False)
    (g,) = gradiente.autograd.grad(f(gradiente, x, W), x, create_graph=True)
    assert g.requires_grad
    (hv,) = gradiente.autograd.grad(g, x, gradiente.from_numpy(v))
    tx, tW = to_torch(x), to_torch(W)
    (tg,) = torch.autograd.grad(f(torch, tx, tW), tx, create_graph=True)
    (thv,) = torch.autograd.grad(tg, tx, torch.from_numpy(v))
    assert_same(g, tg)
    assert_same(hv, thv)


def test_create_graph_backward_accumulates_differentiable_grad():
    x = gradiente.tensor([1.5, -0.5], dtype=gradiente.float64, requires_grad=True)
    tx = to_torch(x)
    (x**3).sum().backward(create_graph=True)
    (tx**3).sum().backward(create_graph=True)
    assert x.grad.requires_grad and tx.grad.requires_grad
    gx, tgx = x.grad, tx.grad
    x.grad, tx.grad = None, None
    gx.sum().backward()
    tgx.sum().backward()
    assert_same(x.grad, tx.grad)


def test_third_derivative():
    x = gradiente.tensor(0.7, dtype=gradiente.float64, requires_grad=True)
    tx = to_torch(x)
    gs, ts = [x.sin() * x.exp()], [tx.sin() * tx.exp()]
    for _ in range(3):
        gs.append(gradiente.autograd.grad(gs[-1], x, create_graph=True)[0])
        ts.append(torch.autograd.grad(ts[-1], tx, create_graph=True)[0])
    for g, t in zip(gs, ts, strict=True):
        assert_same(g, t)


# -------------------------------------------------------------------- hooks and retain_grad


def test_hook_on_leaf_can_replace_the_gradient():
    x = gradiente.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    x.register_hook(lambda g: g * 10)
    (x * x).sum().backward()
    assert seen == [[2.0, 4.0]]
    assert x.grad.tolist() == [20.0, 40.0]


def test_hook_on_non_leaf_modifies_what_flows_upstream():
    a = _rand((3,), 1)
    x, tx = leaf(a), to_torch(leaf(a))
    for t in (x, tx):
        y = t.exp()
        y.register_hook(lambda g: g * 2 + 1)
        (y * t).sum().backward()
    assert_same(x.grad, tx.grad)


def test_hook_returning_none_keeps_gradient_and_handle_removes_it():
    x = gradiente.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    handle = x.register_hook(lambda g: calls.append(1))
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0] and calls == [1]
    handle.remove()
    (x * 3).sum().backward()
    assert calls == [1]
    y = x * 2
    h2 = y.register_hook(lambda g: g * 0)
    h2.remove()
    x.grad = None
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_gradient_seen_by_a_non_leaf_hook_is_not_changed_later():
    a = gradiente.ones(3, requires_grad=True)
    y = a + 0
    seen = []
    y.register_hook(seen.append)
    (y * gradiente.tensor([1.0, 2.0, 3.0])).sum().backward()
    a.grad.add_(100.0)
    assert seen[0].tolist() == [1.0, 2.0, 3.0]


def test_gradient_seen_by_a_leaf_hook_is_not_changed_by_accumulation():
    b = gradiente.ones(2, requires_grad=True)
    seen = []
    b.register_hook(seen.append)
    (b * 2).sum().backward()
    (b * 2).sum().backward()
    assert seen[0].tolist() == [2.0, 2.0] and b.grad.tolist() == [4.0, 4.0]


def test_hook_sees_the_summed_gradient_once():
    x = gradiente.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    calls = []
    y.register_hook(lambda g: calls.append(g.tolist()))
    (y * 2 + y * 3).sum().backward()
    assert calls == [[5.0, 5.0]]


def test_leaf_grad_is_writable_and_independent_of_the_seed():
    x = gradiente.ones(2, 2, requires_grad=True)
    x.sum().backward()
    x.grad.add_(1.0)  # the gradient of sum is a broadcast view: .grad must own its memory
    assert x.grad.tolist() == [[2.0, 2.0], [2.0, 2.0]]
    seed = gradiente.tensor([1.0, 2.0])
    z = gradiente.zeros(2, requires_grad=True)
    z.backward(seed)
    seed.mul_(10)
    assert z.grad.tolist() == [1.0, 2.0]
    w = gradiente.zeros(2, 2, requires_grad=True)
    up = gradiente.ones(4)
    w.reshape(4).backward(up)
    up.zero_()
    assert w.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_hook_requires_grad():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        gradiente.ones(2).register_hook(lambda g: g)


def test_retain_grad_keeps_non_leaf_grad():
    a = _rand((2, 3), 1)
    x, tx = leaf(a), to_torch(leaf(a))
    ys = []
    for t in (x, tx):
        y = t * 2
        y.retain_grad()
        z = y.tanh()
        z.retain_grad()
        (z * z).sum().backward()
        ys.append((y, z))
    (gy, gz), (ty, tz) = ys
    assert gy.retains_grad and ty.retains_grad
    assert_same(gy.grad, ty.grad)
    assert_same(gz.grad, tz.grad)
    assert_same(x.grad, tx.grad)


def test_retain_grad_accumulates_and_hooks_run_before_it():
    x = gradiente.tensor([1.0], requires_grad=True)
    tx = torch.tensor([1.0], requires_grad=True)
    for t in (x, tx):
        y = t * 3
        y.retain_grad()
        y.register_hook(lambda g: g * 2)
        y.sum().backward(retain_graph=True)
        y.sum().backward()
        t.y = y
    assert_same(x.y.grad, tx.y.grad)
    assert_same(x.grad, tx.grad)


# -------------------------------------------------------------------- autograd.grad


def test_autograd_grad_returns_tuple_and_leaves_grad_untouched():
    x = gradiente.tensor([1.0, 2.0], requires_grad=True)
    y = gradiente.tensor([3.0], requires_grad=True)
    out = (x * y).sum()
    gx, gy = gradiente.autograd.grad(out, [x, y])
    assert gx.tolist() == [3.0, 3.0] and gy.tolist() == [3.0]
    assert x.grad is None and y.grad is None
    (g,) = gradiente.autograd.grad((x * x).sum(), x)
    assert g.tolist() == [2.0, 4.0]


def test_autograd_grad_allow_unused():
    x = gradiente.tensor([1.0], requires_grad=True)
    unused = gradiente.tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        gradiente.autograd.grad((x * 2).sum(), [x, unused])
    gx, gu = gradiente.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gx.tolist() == [2.0] and gu is None
    gx, gu = gradiente.autograd.grad((x * 2).sum(), [x, unused], materialize_grads=True)
    assert gu.tolist() == [0.0]


def test_autograd_grad_of_intermediate_and_with_grad_outputs():
    a = _rand((3,), 1)
    up = random_like((3,), 2)
    x, tx = leaf(a), to_torch(leaf(a))
    h, th = x.sin(), tx.sin()
    out, tout = h.exp() * x, th.exp() * tx
    gh, gx = gradiente.autograd.grad(out, [h, x], gradiente.from_numpy(up))
    tgh, tgx = torch.autograd.grad(tout, [th, tx], torch.from_numpy(up))
    assert_same(gh, tgh)
    assert_same(gx, tgx)


def test_autograd_grad_requires_grad_errors():
    x = gradiente.ones(2)
    with pytest.raises(RuntimeError, match="does not require grad"):
        gradiente.autograd.grad(x.sum(), x)
    y = gradiente.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="does not require grad"):
        gradiente.autograd.grad((y * 2).sum(), x)


# -------------------------------------------------------------------- backward errors


def test_backward_of_non_scalar_raises_torchs_error():
    y = gradiente.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError) as info:
        y.backward()
    assert str(info.value) == "grad can be implicitly created only for scalar outputs"


def test_backward_with_gradient_of_wrong_shape():
    y = gradiente.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="shape"):
        y.backward(gradiente.ones(3, 2))


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gradiente.ones(1).sum().backward()


def test_backward_with_explicit_gradient_matches_torch():
    a, up = _rand((2, 3), 1), random_like((2, 3), 2)
    x, tx = leaf(a), to_torch(leaf(a))
    (x.tanh() * 3).backward(gradiente.from_numpy(up))
    (tx.tanh() * 3).backward(torch.from_numpy(up))
    assert_same(x.grad, tx.grad)


# -------------------------------------------------------------------- version counter


def test_modifying_a_saved_tensor_raises_at_backward():
    x = gradiente.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * y  # saves y
    y.add_(1.0)
    with pytest.raises(RuntimeError) as info:
        z.sum().backward()
    text = str(info.value)
    assert "modified by an inplace operation" in text and "version" in text


def test_modifying_a_saved_output_raises_at_backward():
    x = gradiente.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()  # saves its output
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_modifying_a_saved_constant_input_raises_at_backward():
    c = gradiente.tensor([1.0, 2.0])
    w = gradiente.tensor([3.0, 4.0], requires_grad=True)
    out = (w * c).sum()  # saves c (no grad) to compute dL/dw
    c.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


def test_in_place_on_unsaved_tensor_is_fine():
    x = gradiente.tensor([1.0, 2.0], requires_grad=True)
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    for t in (x, tx):
        y = t + 1  # add saves nothing
        y.mul_(3)
        y.sum().backward()
    assert_same(x.grad, tx.grad)


def test_modifying_a_saved_tensor_through_a_view_raises():
    x = gradiente.ones(3)
    w = gradiente.ones(3, requires_grad=True)
    view = x[0:2]
    out = (w * x).sum()
    view.mul_(5.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


def test_version_counter_counts_in_place_changes():
    """Counters may be created lazily, but once a tensor is saved every change counts."""
    y = gradiente.ones(2, requires_grad=True) * 1
    z = y * y  # saves y
    before = y._version
    y.add_(1)
    y.mul_(2)
    y[0] = 5.0
    assert y._version == before + 3
    assert z.grad_fn is not None


# -------------------------------------------------------------------- memory


def test_saved_tensors_are_released_after_backward():
    x = gradiente.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = (y * x).sum()
    node = z.grad_fn
    z.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        _ = y.grad_fn.saved_tensors
    assert node is not None
