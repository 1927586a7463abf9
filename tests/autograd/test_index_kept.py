"""An index tensor changed in place between forward and backward must not move the gradient.

torch saves the index tensors of ``x[idx]``, ``gather``, ``index_select``, ``scatter``,
``embedding``, ... and raises "one of the variables needed for gradient computation has been
modified by an inplace operation" when one changed. gradiente's nodes keep their own copy of
the index (``ops/index.kept``), so the gradient goes where the forward read — the gradient of
the computation that ran — instead of raising. Each case here checks that gradient against
torch's for the same program without the in-place change.
"""

import numpy as np
import pytest

import gradiente as g

torch = pytest.importorskip("torch")


def _ops(lib):
    F = lib.nn.functional
    return {
        "getitem": (lambda x, i: x[i], [0, 2]),
        "mask": (lambda x, m: x[m], [True, False, True, False, False]),
        "gather": (lambda x, i: lib.gather(x, 0, i), [3, 1]),
        "index_select": (lambda x, i: x.index_select(0, i), [1, 3]),
        "take": (lambda x, i: lib.take(x, i), [4, 0]),
        "take_along_dim": (lambda x, i: lib.take_along_dim(x, i), [2, 2]),
        "embedding": (lambda x, i: F.embedding(i, x.reshape(5, 1)).reshape(-1), [1, 4]),
        "scatter": (lambda x, i: x.scatter(0, i, x[:2] * 3), [4, 1]),
        "scatter_add": (lambda x, i: x.scatter_add(0, i, x[:2] * 3), [4, 4]),
        "index_add": (lambda x, i: x.index_add(0, i, x[:2] * 3), [4, 2]),
        "index_put": (lambda x, i: x.index_put((i,), x[:2] * 3), [3, 0]),
        "scatter_reduce": (lambda x, i: x.scatter_reduce(0, i, x[:2] * 3, "amax"), [0, 0]),
    }


@pytest.mark.parametrize("name", sorted(_ops(torch)))
def test_gradient_uses_the_index_of_the_forward(name):
    weights = np.arange(1.0, 6.0)
    expected = None
    for lib, change in ((torch, False), (g, True)):
        fn, index = _ops(lib)[name]
        x = lib.tensor([0.5, -1.0, 2.0, 3.0, -0.25], dtype=lib.float64, requires_grad=True)
        idx = lib.tensor(index)
        y = fn(x, idx)
        if change:  # the caller reuses its index tensor before backward
            idx.copy_(lib.tensor(index[::-1]) if idx.dtype != lib.bool else ~idx)
        w = lib.tensor(weights[: y.numel()], dtype=lib.float64).reshape(y.shape)
        (y * w).sum().backward()
        if expected is None:
            expected = x.grad.numpy()
        else:
            np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_setitem_with_a_mask_changed_before_backward():
    x = g.zeros(4, requires_grad=True)
    v = g.ones(2, requires_grad=True)
    y = x * 1
    m = g.tensor([True, False, True, False])
    y[m] = v * 2
    m[1] = True
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 1.0]
    assert v.grad.tolist() == [2.0, 2.0]
