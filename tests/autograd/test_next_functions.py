"""``grad_fn.next_functions`` as torch shows it: one (node, output number) per differentiable
input of the op, (None, 0) for one that needs no gradient (a constant tensor, or the Python
number of ``x + 2``, which torch wraps in a tensor); no entry for dims, flags, exponents,
indices, masks or targets. Graph-drawing code (torchviz-style) walks exactly this."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest

import gradiente

torch = pytest.importorskip("torch")


def _x(lib):
    return lib.arange(1.0, 7.0).reshape(2, 3).requires_grad_()


OPS = {
    "x + 2": lambda lib, x: x + 2,
    "2 * x": lambda lib, x: 2 * x,
    "x / 2": lambda lib, x: x / 2,
    "1 / x": lambda lib, x: 1 / x,
    "2 - x": lambda lib, x: 2 - x,
    "x - constant": lambda lib, x: x - lib.ones(2, 3),
    "x * x": lambda lib, x: x * x,
    "x ** 2": lambda lib, x: x**2,
    "sum": lambda lib, x: x.sum(),
    "sum(dim, keepdim)": lambda lib, x: x.sum(dim=1, keepdim=True),
    "mean(dim)": lambda lib, x: x.mean(0),
    "clamp(min)": lambda lib, x: x.clamp(min=2.0),
    "where(mask, x, 0.)": lambda lib, x: lib.where(x > 2, x, 0.0),
    "masked_fill": lambda lib, x: x.masked_fill(x > 2, 0.0),
    "cat": lambda lib, x: lib.cat([x, lib.ones(2, 3)]),
    "index_select": lambda lib, x: x.index_select(1, lib.tensor([0, 2])),
    "gather": lambda lib, x: x.gather(1, lib.tensor([[0], [1]])),
    "cross_entropy": lambda lib, x: lib.nn.functional.cross_entropy(x, lib.tensor([0, 2])),
    "mse_loss": lambda lib, x: lib.nn.functional.mse_loss(x, lib.zeros(2, 3)),
    "matmul": lambda lib, x: x @ lib.ones(3, 2),
    "relu": lambda lib, x: lib.relu(x),
    "softmax": lambda lib, x: x.softmax(dim=1),
    "view": lambda lib, x: x.view(6),
    "transpose": lambda lib, x: x.t(),
}


def _entries(lib, op):
    """The entries: None, or an input's node (a leaf's AccumulateGrad, or, where torch
    composes an op that gradiente fuses — cross-entropy's log-softmax, 1/x's reciprocal — the
    node inside it)."""
    nexts = op(lib, _x(lib)).grad_fn.next_functions
    return [None if n is None else "a node" for n, _ in nexts]


@pytest.mark.parametrize("name", sorted(OPS))
def test_next_functions_have_torchs_entries(name):
    assert _entries(gradiente, OPS[name]) == _entries(torch, OPS[name])


def test_a_custom_functions_next_functions_are_its_tensor_inputs():
    class Scale(gradiente.autograd.Function):
        @staticmethod
        def forward(ctx, x, factor, y):
            return x * factor + y

        @staticmethod
        def backward(ctx, g):
            return g * 2.0, None, g

    x = gradiente.ones(2, requires_grad=True)
    y = gradiente.ones(2)
    out = Scale.apply(x, 2.0, y)
    assert [n is None for n, _ in out.grad_fn.next_functions] == [False, True]
    out.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("name", sorted(OPS))
def test_a_nodes_class_is_named_as_torchs(name):
    # graph-drawing code (torchviz) labels a node with type(node).__name__
    ours = OPS[name](gradiente, _x(gradiente)).grad_fn
    theirs = OPS[name](torch, _x(torch)).grad_fn
    assert type(ours).__name__ == ours.name() == type(theirs).__name__
    assert isinstance(ours, gradiente.autograd.Function)


def test_a_custom_functions_node_class_is_its_name_and_backward():
    class Double(gradiente.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    node = Double.apply(gradiente.ones(2, requires_grad=True)).grad_fn
    assert type(node).__name__ == "DoubleBackward" and isinstance(node, Double)
