"""Autograd and tensor-level parity with PyTorch: each case runs the same code on gradiente and
on the real torch and compares what a script would print (values, node names, messages)."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
torch = pytest.importorskip("torch")

import gradiente  # noqa: E402


def _outcome(fn, lib):
    """What ``fn(lib)`` shows: its value's repr (addresses dropped), or the error's type and
    message."""
    try:
        return re.sub(r" at 0x[0-9a-f]+", "", repr(fn(lib)))
    except Exception as error:  # noqa: BLE001 - the error is what is compared
        return f"{type(error).__name__}: {error}"


def same(fn):
    """``fn`` gives the same outcome with gradiente as with torch."""
    ours, theirs = _outcome(fn, gradiente), _outcome(fn, torch)
    assert ours == theirs


# ---------------------------------------------------------------- inference tensors


def _inference_flags(m):
    with m.inference_mode():
        x = m.ones(2)
        y = x * 2
        z = m.ones(2, requires_grad=True)
    n = m.ones(2)
    with m.inference_mode():
        n.add_(1)  # a normal tensor stays normal
        v = n[0]
    with m.inference_mode(False):
        off = m.ones(1).is_inference()
    return (
        x.is_inference(),
        y.is_inference(),
        z.is_inference(),
        z.requires_grad,
        (x * 1).is_inference(),
        x[0].is_inference(),
        x.view(2).is_inference(),
        x.clone().is_inference(),
        n.is_inference(),
        n._version,
        v.is_inference(),
        off,
    )


def test_inference_mode_makes_inference_tensors():
    same(_inference_flags)


def _inference_tensor(m):
    with m.inference_mode():
        return m.ones(2)


def test_inference_tensor_cannot_be_saved_for_backward():
    def use(m):
        x = _inference_tensor(m)
        w = m.ones(2, requires_grad=True)
        (w * x).sum().backward()

    same(use)

    def not_saved(m):  # add saves nothing: allowed
        x = _inference_tensor(m)
        w = m.ones(2, requires_grad=True)
        (w + x).sum().backward()
        return w.grad

    same(not_saved)


def test_inference_tensor_version_and_inplace_outside_the_mode():
    same(lambda m: _inference_tensor(m)._version)

    def inplace(m):
        x = _inference_tensor(m)
        try:
            x.add_(1)
        except RuntimeError as error:
            return str(error), x  # torch writes, then refuses
        return x

    same(inplace)

    def inside(m):
        x = _inference_tensor(m)
        with m.inference_mode():
            x.mul_(3)
        return x

    same(inside)


# ---------------------------------------------------------------- saved tensors


def test_saved_self_other_result():
    def saved(m):
        x = m.tensor([4.0], requires_grad=True)
        y = x.sqrt()
        a = m.tensor([1.0, 2.0], requires_grad=True)
        b = m.ones(2, requires_grad=True)
        p = a * b
        q = a * 2
        e = a.exp()
        return (
            y.grad_fn._saved_result,
            y.grad_fn._saved_result is y,
            p.grad_fn._saved_self is a,
            p.grad_fn._saved_other is b,
            q.grad_fn._saved_self,
            q.grad_fn._saved_other,
            a.pow(2).grad_fn._saved_exponent,
            a.pow(2).grad_fn._saved_self is a,
            a.sum(0).grad_fn._saved_dim,
            a.sum(0).grad_fn._saved_self_sym_sizes,
            e.grad_fn._saved_result.equal(e),
        )

    same(saved)
    same(lambda m: m.ones(1, requires_grad=True).exp().grad_fn._saved_self)

    def freed(m):
        y = m.ones(2, requires_grad=True).exp()
        y.sum().backward()
        return y.grad_fn._saved_result

    same(freed)


def _tutorial(m):
    """The saved-tensor hooks tutorial's steps, printing what it prints."""
    shown = []

    def pack(x):
        shown.append(("Packing", repr(x)))
        return x

    def unpack(x):
        shown.append(("Unpacking", repr(x)))
        return x

    a = m.ones(5, requires_grad=True)
    b = m.ones(5, requires_grad=True) * 2
    y = a * b
    y.grad_fn._raw_saved_self.register_hooks(pack, unpack)
    y.sum().backward()
    shown.append(repr(a.grad))
    a = m.ones(5, requires_grad=True)
    with m.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = a * b
    y.sum().backward()
    try:
        y = a * b
        y.grad_fn._raw_saved_self.register_hooks(pack, unpack)
        y.grad_fn._raw_saved_self.register_hooks(pack, unpack)
    except RuntimeError as error:
        shown.append(str(error))
    return shown


def test_saved_tensors_hooks_tutorial():
    same(_tutorial)


def test_saved_tensors_hooks_move_and_double_backward():
    def moved(m):
        x = m.tensor([3.0], requires_grad=True)
        with m.autograd.graph.saved_tensors_hooks(lambda t: (t.device, t.cpu()), lambda p: p[1]):
            y = x**3
        (g,) = m.autograd.grad(y, x, create_graph=True)
        (g2,) = m.autograd.grad(g, x)
        with m.autograd.graph.save_on_cpu():
            z = (x * x).sum()
        z.backward()
        return g, g2, x.grad

    same(moved)

    def disabled(m):
        with m.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
            with m.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass

    same(disabled)


# ---------------------------------------------------------------- node names


def test_node_names_of_composed_ops():
    def names(m):
        a = m.arange(9.0).reshape(3, 3).requires_grad_()
        v = m.arange(3.0, requires_grad=True)
        b3 = m.ones(2, 3, 3, requires_grad=True)
        return [
            t.grad_fn.name()
            for t in (
                m.addmm(a, a, a),
                m.addmv(v, a, v),
                m.addbmm(a, b3, b3),
                m.baddbmm(b3, b3, b3),
                m.addr(a, v, v),
                m.addcmul(v, v, v),
                m.addcdiv(v, v, v + 1),
                m.trace(a),
                *m.var_mean(a),
                *m.std_mean(a, 1),
                m.masked_select(a, a > 2),
                m.diag(a),
                m.diag(v),
                m.diag_embed(v),
                m.fmin(v, v),
                m.fmax(v, v),
            )
        ]

    same(names)


@pytest.mark.parametrize(
    "equation",
    ["ij->j", "ii->i", "ii->", "ij->ji", "ij,jk->ik", "i,i->", "i,j->ij", "ij,ij->ij", "ij,j->"],
)
def test_einsum_node_is_its_last_lowered_op(equation):
    def node(m):
        operands = [
            m.ones(3, 3, requires_grad=True) if len(s) == 2 else m.ones(3)
            for s in equation.split("->")[0].split(",")
        ]
        return m.einsum(equation, *operands).grad_fn.name()

    same(node)


# ---------------------------------------------------------------- error messages


@pytest.mark.parametrize("index", [0, (0, 1), slice(None), Ellipsis, (0, [0, 1])])
def test_inplace_write_through_a_view_of_a_leaf(index):
    def write(m):
        w = m.ones(3, 3, requires_grad=True)
        w[index] = 1.0

    same(write)


def test_integer_tensors_cannot_require_grad():
    same(lambda m: m.tensor([1, 2], requires_grad=True))
    same(lambda m: m.zeros(2, dtype=m.long, requires_grad=True))
    same(lambda m: m.randint(3, (2,), requires_grad=True))
    same(lambda m: m.ones(2, dtype=m.long).requires_grad_())

    def setter(m):
        t = m.ones(2, dtype=m.int32)
        t.requires_grad = True

    same(setter)


@pytest.mark.parametrize(
    "index",
    [
        (None, None, Ellipsis, None, Ellipsis),
        (Ellipsis, Ellipsis),
        (Ellipsis, 0, Ellipsis),
        (0, Ellipsis, Ellipsis),
        (Ellipsis, None, Ellipsis),
        (0, Ellipsis, 0, Ellipsis, 0),
    ],
)
def test_several_ellipses(index):
    same(lambda m: m.arange(24.0).reshape(2, 3, 4)[index])
    same(lambda m: m.ones(2)[index] if len(index) < 5 else None)


def test_broadcast_errors_in_torch_order():
    same(lambda m: m.addcmul(m.ones(2), m.ones(3), m.ones(2)))
    same(lambda m: m.addcmul(m.ones(2), m.ones(2), m.ones(3)))
    same(lambda m: m.addcdiv(m.ones(3), m.ones(2), m.ones(2)))
    same(lambda m: m.ones(3, requires_grad=True).add_(m.ones(3, 3)))


def test_modified_saved_tensor_messages():
    def leaf(m):
        x = m.ones(2, 3, requires_grad=True)
        y = x.sin()
        with m.no_grad():
            x.mul_(2)
        y.sum().backward()

    def produced(m):
        x = m.ones(2, dtype=m.float64, requires_grad=True)
        a = x * 1
        y = a.sin()
        a.mul_(2)
        y.sum().backward()

    def output(m):
        y = m.tensor(1.0, requires_grad=True).exp()
        y.add_(1)
        y.backward()

    for case in (leaf, produced, output):
        same(case)


def test_multi_output_view_messages():
    same(lambda m: (m.ones(4, requires_grad=True) * 1).split(2)[0].mul_(2))
    same(lambda m: (m.ones(4, requires_grad=True) * 1).split([1, 3])[1].mul_(2))
    same(lambda m: (m.ones(2, 2, requires_grad=True) * 1).unbind()[0].add_(1))
    same(lambda m: (m.ones(4, requires_grad=True) * 1).view(2, 2).split(1, 1)[1].mul_(2))
    same(lambda m: (m.ones(4, requires_grad=True) * 1).tensor_split(2)[1].mul_(2).grad_fn.name())


# ---------------------------------------------------------------- values


def test_index_add_keeps_negative_zeros():
    same(
        lambda m: m.index_add(
            m.tensor([-0.0, -0.0, -0.0]), 0, m.tensor([0, 1]), m.tensor([-0.0, 0.0])
        )
    )
    same(lambda m: m.index_add(m.zeros(3), 0, m.tensor([0, 0]), m.tensor([-0.0, -0.0])))


def test_minimum_maximum_signed_zero_ties():
    def ties(m):
        x = m.tensor([-0.0, 0.0, 1.0, -0.0], requires_grad=True)
        y = m.tensor([0.0, -0.0, 1.0, -0.0], requires_grad=True)
        m.minimum(x, y).backward(m.tensor([1.0, -2.0, 3.0, 4.0]))
        return m.minimum(x, y), m.maximum(y, x), x.grad, y.grad

    same(ties)


def test_logcumsumexp_gradients_with_infinite_inputs():
    rng = np.random.default_rng(0)
    for _ in range(40):
        x = rng.normal(size=5) * rng.choice([1, 100])
        x[rng.random(5) < 0.4] = -np.inf
        g = rng.normal(size=5)
        g[rng.random(5) < 0.3] = 0

        def grad(m, x=x, g=g):
            t = m.tensor(x, requires_grad=True)
            m.logcumsumexp(t, 0).backward(m.tensor(g))
            return t.grad.numpy()

        ours, theirs = grad(gradiente), grad(torch)
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-12)


# ---------------------------------------------------------------- hooks and nodes


def test_hook_results_are_checked():
    def wrong_size(m):
        x = m.ones(3, requires_grad=True)
        x.register_hook(lambda g: m.ones(2))
        x.sum().backward()

    def not_tensor(m):
        x = m.ones(3, requires_grad=True)
        x.register_hook(lambda g: 5)
        x.sum().backward()

    def wrong_type(m):
        x = m.ones(3, requires_grad=True)

        def myhook(g):
            return g.double()

        (x * 2).register_hook(myhook)
        (x * 2).sum().backward()
        y = x * 2
        y.register_hook(myhook)
        y.sum().backward()

    for case in (wrong_size, not_tensor, wrong_type):
        same(case)


def test_node_hooks_metadata_and_call():
    def node(m):
        x = m.ones(2, requires_grad=True)
        y = x * 3
        y.grad_fn.register_hook(lambda gi, go: (gi[0] * 0 + 7, None))
        y.grad_fn.metadata["k"] = 1
        y.sum().backward()
        z = (x.sum(0) * 2).grad_fn
        z.register_hook(lambda gi, go: None)
        return (
            x.grad,
            y.grad_fn.metadata,
            y.grad_fn(m.ones(2)),
            type(x.register_hook(lambda g: g)).__name__,
            (x * 1).grad_fn.next_functions[0][0].name(),
        )

    same(node)

    def too_many(m):
        x = m.ones(2, requires_grad=True)
        y = x * 3
        y.grad_fn.register_hook(lambda gi, go: (gi[0], gi[0], gi[0]))
        y.sum().backward()

    same(too_many)


def test_function_class_attributes():
    def attributes(m):
        class F(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_forward(x)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

        return hasattr(F, "vjp"), hasattr(F, "jvp"), F.generate_vmap_rule, F.apply(m.ones(1))

    same(attributes)


# ---------------------------------------------------------------- functional and forward AD


def test_functional_strict_and_hessian_messages():
    same(lambda m: m.autograd.functional.jacobian(lambda x: m.ones(2), m.ones(2), strict=True))
    same(
        lambda m: m.autograd.functional.vjp(lambda x: m.ones(2), m.ones(2), m.ones(2), strict=True)
    )
    same(lambda m: m.autograd.functional.hessian(lambda x: x**3, m.tensor([1.0, 2.0])))


def test_unpacking_a_dual_twice_gives_the_same_tangent():
    def twice(m):
        fw = m.autograd.forward_ad
        with fw.dual_level():
            d = fw.make_dual(m.tensor([1.0, 2.0]), m.tensor([1.0, 0.0]))
            y = d.sin() * d
            first = fw.unpack_dual(y).tangent
            return first, fw.unpack_dual(y).tangent is first

    same(twice)


def test_gradcheck_messages():
    def failing(m):
        class Bad(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 3

        x = m.tensor([0.5, -1.0], dtype=m.float64, requires_grad=True)
        return m.autograd.gradcheck(Bad.apply, (x,))

    same(failing)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double"):
        gradiente.autograd.gradcheck(
            lambda t: t * 2, (gradiente.ones(2, requires_grad=True),), raise_exception=False
        )


# ---------------------------------------------------------------- found by the sweep


def test_graph_helpers():
    def helpers(m):
        x = m.ones(2, requires_grad=True)
        z = m.ones(2, requires_grad=True)
        seen = []
        m.autograd.graph.register_multi_grad_hook(
            (x, z), lambda grads: seen.append([g is not None for g in grads])
        )
        (x * z).sum().backward()
        y = x * 2
        edge = m.autograd.graph.get_gradient_edge(y)
        t = m.ones(2)
        m.autograd.graph.increment_version(t)
        return (
            seen,
            edge.node.name(),
            edge.output_nr,
            m.autograd.grad(y.sum(), edge),
            t._version,
            t[1:]._is_view(),
            t._is_view(),
        )

    same(helpers)


def test_inference_mode_with_enable_grad_records_nothing():
    def inside(m):
        with m.inference_mode():
            with m.enable_grad():
                y = m.ones(2, requires_grad=True) * 2
        return y.requires_grad, y.is_inference()

    same(inside)

    def requires_grad_outside(m):
        _inference_tensor(m).requires_grad_()

    same(requires_grad_outside)


def test_views_after_inplace_and_backward_inputs():
    def view_node(m):
        y = m.ones(4, requires_grad=True) * 2
        v = y[1:3]
        v.mul_(5)
        return v.grad_fn.name(), y

    same(view_node)

    def inputs_nonleaf(m):
        import warnings

        x = m.ones(2, requires_grad=True)
        y = x * 2
        (y * 3).sum().backward(inputs=[y])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return y.grad, x.grad

    same(inputs_nonleaf)
    same(lambda m: m.autograd.grad([None], [m.ones(2, requires_grad=True)]))


def test_backward_create_graph_warns_like_torch():
    import sys

    # (``import gradiente.autograd.backward as m`` would bind the function of that name)
    ours = sys.modules["gradiente.autograd.backward"]
    ours._warned_create_graph = False  # torch warns once per process
    x = gradiente.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="Using backward\\(\\) with create_graph=True"):
        (x * x).sum().backward(create_graph=True)
