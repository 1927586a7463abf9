"""``detach()``, ``.data``, ``clone()`` and the ``*_like`` factories keep a tensor's layout as
torch's do (preserve_format), so that a dropout or a random fill over the result walks memory
in torch's order and draws the same numbers for the same elements. (Found by running the
pytorch/examples-style programs: a GCN's dropout after ``torch.sparse.mm``.)"""

from __future__ import annotations

import os

import numpy as np
import pytest

import gradiente as gd

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
torch = pytest.importorskip("torch")

MAKERS = {
    "t": lambda m, a: a.t(),
    "t.detach": lambda m, a: a.t().detach(),
    "t.data": lambda m, a: a.t().data,
    "t.clone": lambda m, a: a.t().clone(),
    "t.clone(contiguous)": lambda m, a: a.t().clone(memory_format=m.contiguous_format),
    "t.contiguous": lambda m, a: a.t().contiguous(),
    "permute.clone": lambda m, a: a.reshape(2, 3, 4).permute(2, 0, 1).clone(),
    "sliced.clone": lambda m, a: a.t()[:, ::2].clone(),
    "empty_like(t)": lambda m, a: m.empty_like(a.t()).copy_(a.t()),
    "zeros_like(t)": lambda m, a: m.zeros_like(a.t()) + a.t(),
    "full_like(permuted)": lambda m, a: m.full_like(a.reshape(2, 3, 4).permute(1, 2, 0), 2.0),
    "ones_like(t, contiguous)": lambda m, a: m.ones_like(a.t(), memory_format=m.contiguous_format),
}


def _run(m, make):
    m.manual_seed(3)
    a = m.randn(4, 6)
    x = make(m, a)
    m.manual_seed(0)
    dropped = m.nn.functional.dropout(x, 0.5)
    m.manual_seed(0)
    drawn = m.empty_like(x).normal_()
    shapes = [tuple(x.stride()), tuple(m.empty_like(x).stride()), tuple(m.zeros_like(x).stride())]
    return shapes, dropped.numpy(), drawn.numpy()


@pytest.mark.parametrize("name", MAKERS)
def test_layout_and_random_draws_follow_torch(name):
    ours_strides, ours_dropped, ours_drawn = _run(gd, MAKERS[name])
    torch_strides, torch_dropped, torch_drawn = _run(torch, MAKERS[name])
    assert ours_strides == torch_strides
    np.testing.assert_array_equal(ours_dropped, torch_dropped)
    np.testing.assert_array_equal(ours_drawn, torch_drawn)


def test_clone_keeps_its_graph_name_and_gradient():
    a = gd.randn(3, 5, requires_grad=True)
    c = a.t().clone()
    assert c.grad_fn.name() == "CloneBackward0"
    (c * gd.arange(15.0).reshape(5, 3)).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.arange(15.0).reshape(5, 3).T)
