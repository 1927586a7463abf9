"""Views and in-place ops, compared with PyTorch: an in-place op on a view writes through to
the base's graph (CopySlices), and a view's grad_fn follows in-place changes of its base."""

import os

import numpy as np
import pytest

import gradiente

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
torch = pytest.importorskip("torch")


def _setitem_scalar_view(M, x):
    y = x * 1
    y[1, 2] += 10
    return y


def _base_changed_after_view(M, x):
    h = x.clone()
    v = h[0]
    h.mul_(2)
    return v * 1


def _view_of_view_in_place(M, x):
    h = x * 1
    h.t()[1].mul_(3)
    return h


def _transpose_row_in_place(M, x):
    h = x * 1
    t = h.t()
    t[0].add_(t[1] * 2)
    return h + t.t()


def _reshape_view_in_place(M, x):
    h = x * 1
    r = h.reshape(-1)
    r[::2] = r[1::2] * 5
    return h


def _narrow_then_base_setitem(M, x):
    h = x * 1
    v = h.narrow(1, 1, 2)
    h[:, 1] = h[:, 0] * 2
    return v.sum(0) + h.sum(1)


def _saved_view_then_base_changed(M, x):
    h = x * 1
    y = h[:, 0] ** 2  # saves the view h[:, 0] for backward
    h[:, 1] = 0.0  # ... which this changes: both frameworks refuse the backward
    return y


def _view_sees_later_write_from_other_view(M, x):
    h = x * 1
    a = h[0]
    b = h[:, 1]
    b.mul_(-4)
    return a * 2


def _diagonal_fill(M, x):
    h = M.cat([x, x], 0)[:, :2] * 1
    h.diagonal().mul_(7)
    return h


def _unsqueeze_in_place_then_base(M, x):
    h = x * 1
    u = h.unsqueeze(0)
    u[0, 0].exp_()
    return h * u[0]


PROGRAMS = [
    _setitem_scalar_view,
    _base_changed_after_view,
    _view_of_view_in_place,
    _transpose_row_in_place,
    _reshape_view_in_place,
    _narrow_then_base_setitem,
    _saved_view_then_base_changed,
    _view_sees_later_write_from_other_view,
    _diagonal_fill,
    _unsqueeze_in_place_then_base,
]


def _run(M, program, values, upstream):
    """(output, x.grad, requires_grad) of ``program``, or the error it raised."""
    x = M.tensor(values, dtype=M.float64, requires_grad=True)
    try:
        out = program(M, x)
        out.backward(M.tensor(upstream(tuple(out.shape)), dtype=M.float64))
    except RuntimeError as error:
        return error
    return out.detach().numpy(), x.grad.numpy(), out.requires_grad


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__.strip("_"))
def test_in_place_through_views_matches_torch(program):
    values = np.array([[1.0, -1.0, 0.5], [2.0, 0.25, -3.0]])

    def upstream(shape):
        return np.random.default_rng(0).normal(size=shape)

    got = _run(gradiente, program, values, upstream)
    want = _run(torch, program, values, upstream)
    if isinstance(want, RuntimeError):
        assert isinstance(got, RuntimeError), f"torch raised {want}"
        assert "modified by an inplace operation" in str(got)
        return
    assert not isinstance(got, RuntimeError), got
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)
    assert got[2] == want[2]


def test_issue_examples():
    x = gradiente.arange(6.0).reshape(2, 3).requires_grad_()
    y = x * 1
    y[1, 2] += 10
    assert y[1, 2].item() == 15.0
    x = gradiente.tensor([[1.0, -1.0]], requires_grad=True)
    h = x.clone()
    v = h[0]
    h.mul_(2)
    v.sum().backward()
    assert x.grad.tolist() == [[2.0, 2.0]]


def test_views_gain_requires_grad_when_the_base_is_written_with_a_graph():
    for M in (gradiente, torch):
        h = M.zeros(2, 3, dtype=M.float64)
        v = h[1]
        w = M.ones(3, dtype=M.float64, requires_grad=True)
        h[1] = w * 3
        (v * v).sum().backward()
        assert w.grad.tolist() == [18.0, 18.0, 18.0]


@pytest.mark.parametrize("split", ["unbind", "split", "chunk"])
def test_in_place_on_outputs_of_multi_view_ops_raises_like_torch(split):
    for M in (gradiente, torch):
        x = M.ones(4, 2, requires_grad=True) * 1
        pieces = {"unbind": x.unbind(), "split": x.split(2), "chunk": x.chunk(2)}
        piece = pieces[split][0]
        with pytest.raises(RuntimeError, match="returns multiple views"):
            piece.mul_(2)


def test_reshape_that_copies_is_not_a_view():
    for M in (gradiente, torch):
        h = M.arange(6.0).reshape(2, 3).t()
        r = h.reshape(-1)  # not viewable: a copy
        r.add_(100)
        assert h.sum().item() == 15.0


def test_in_place_on_a_view_of_a_leaf_raises_like_torch():
    for M in (gradiente, torch):
        x = M.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
            x[1:][0] = M.tensor(2.0)


def test_a_view_made_a_leaf_is_its_own_base():
    for M in (gradiente, torch):
        x = M.zeros(4, 0, 0).reshape(4, 0, 0).requires_grad_()
        with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
            x[-1:][None] = M.tensor(-3.0)


def test_a_view_reports_requires_grad_once_its_base_is_written_with_a_graph():
    for M in (gradiente, torch):
        x = M.ones(2, 1, 3)
        v = x[0, None]
        w = M.tensor(-1.0, requires_grad=True)
        x[None, None] *= w
        assert v.requires_grad


def test_a_one_element_value_written_into_an_element_gets_its_gradient():
    grads = []
    for M in (gradiente, torch):
        x = M.tensor([-2.75, 1.0], dtype=M.float64)
        w = M.tensor([2.75], dtype=M.float64, requires_grad=True)
        x[-1] = w
        (x * M.tensor([3.0, 5.0], dtype=M.float64)).sum().backward()
        grads.append(w.grad.tolist())
    assert grads[0] == grads[1] == [5.0]


def test_copysign_output_modified_in_place_is_caught_in_backward():
    for M in (gradiente, torch):
        y = M.tensor([[-0.25]], dtype=M.float64)
        w = M.tensor(-1.75, dtype=M.float64, requires_grad=True)
        out = M.copysign(y, w)
        out[0, 0:0] = -1  # writes nothing, but counts as a change
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()


def test_relu_output_modified_in_place_is_caught_in_backward():
    for M in (gradiente, torch):
        x = M.tensor([1.0, -2.0], requires_grad=True)
        y = M.relu(x)
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


@pytest.mark.parametrize(
    "first, then",
    [
        ("exp_", "exp_"),
        ("exp_", "mul_"),
        ("sigmoid_", "add_"),
        ("relu_", "add_"),
        ("sqrt_", "neg_"),
    ],
)
def test_inplace_result_saved_by_its_node_then_modified_is_caught(first, then):
    """Found by the fuzzer: x.exp_() saves its result (x itself, in torch); a second in-place
    op on x must make backward refuse, as torch does."""
    for M in (gradiente, torch):
        x = M.tensor([0.5, 1.0, 2.0], dtype=M.float64, requires_grad=True)
        v = x * 1
        getattr(v, first)()
        getattr(v, then)(*((2,) if then in ("mul_", "add_") else ()))
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            v.sum().backward()


def test_inplace_result_used_out_of_place_still_differentiates():
    grads = []
    for M in (gradiente, torch):
        x = M.tensor([0.5, -1.0, 2.0], dtype=M.float64, requires_grad=True)
        v = x * 1
        v.exp_()
        (v * v).sum().backward()
        grads.append(x.grad.tolist())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_a_view_changed_in_place_then_its_base_is_refused_in_backward():
    for M in (gradiente, torch):
        x = M.tensor([0.5, -1.0, 2.0], requires_grad=True)
        v = x * 1
        v[:2].exp_()  # ExpBackward saves its output, which lives in v's memory
        v.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            v.sum().backward()
