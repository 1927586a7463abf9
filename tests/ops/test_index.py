"""Indexing, index assignment, gather/scatter_add/index_select, masks: values and grads vs torch."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from conftest import assert_same, check_op, leaf, to_torch

torch = pytest.importorskip("torch")


def _rand(shape, seed=0):
    return np.asarray(np.random.default_rng(seed).uniform(-2.0, 2.0, shape))


X = _rand((4, 5, 3), 1)


def _t(m, values, dtype="int64"):
    """An index tensor in library ``m``."""
    return m.tensor(values, dtype=getattr(m, dtype))


GETITEM = {
    "int": lambda m, a: a[1],
    "neg_int": lambda m, a: a[-1],
    "two_ints": lambda m, a: a[2, -2],
    "three_ints": lambda m, a: a[0, 1, 2],
    "slice": lambda m, a: a[1:3],
    "slice_step": lambda m, a: a[::2, 1::2],
    "slice_neg_bounds": lambda m, a: a[-3:-1, :, -2:],
    "slice_past_end": lambda m, a: a[2:10],
    "empty_slice": lambda m, a: a[3:1],
    "none": lambda m, a: a[None],
    "none_middle": lambda m, a: a[:, None, 1],
    "ellipsis": lambda m, a: a[..., 0],
    "ellipsis_none": lambda m, a: a[1, ..., None],
    "ellipsis_only": lambda m, a: a[...],
    "int_tensor": lambda m, a: a[_t(m, [0, 2, 3])],
    "int_tensor_repeated": lambda m, a: a[_t(m, [1, 1, 3, 1])],
    "int_tensor_negative": lambda m, a: a[_t(m, [-1, 0, -4])],
    "int_tensor_2d": lambda m, a: a[_t(m, [[0, 1], [1, 1]])],
    "int_tensor_second_axis": lambda m, a: a[:, _t(m, [4, 0, 4])],
    "int_tensor_last_axis": lambda m, a: a[..., _t(m, [2, 2, 0])],
    "two_int_tensors": lambda m, a: a[_t(m, [0, 3, 3]), _t(m, [1, 1, 4])],
    "int_tensors_broadcast": lambda m, a: a[_t(m, [[0], [2]]), _t(m, [1, 2, 1])],
    "int_tensors_split_by_slice": lambda m, a: a[_t(m, [0, 1]), :, _t(m, [2, 2])],
    "int_tensor_and_int": lambda m, a: a[_t(m, [3, 0, 3]), 2],
    "int_tensor_0d": lambda m, a: a[_t(m, 2)],
    "int32_tensor": lambda m, a: a[_t(m, [1, 2, 1], "int32")],
    "list": lambda m, a: a[[0, 2, 2]],
    "bool_mask_full": lambda m, a: a[a > 0],
    "bool_mask_rows": lambda m, a: a[_t(m, [True, False, True, True], "bool")],
    "bool_mask_2d": lambda m, a: a[a[..., 0] > 0],
    "bool_mask_second_axis": lambda m, a: a[:, _t(m, [False, True, True, False, True], "bool")],
    "bool_mask_then_slice": lambda m, a: a[a[:, 0, 0] < 0.5, 1:],
    "bool_python_scalar": lambda m, a: a[True],
    "masked_select": lambda m, a: a.masked_select(a < 0),
    "masked_select_broadcast": lambda m, a: m.masked_select(a, a[0] > 0),
    "chained": lambda m, a: a[1:][_t(m, [0, 0, 2])][:, ::2][..., 1],
}


@pytest.mark.parametrize("name", list(GETITEM))
def test_getitem(name):
    check_op(GETITEM[name], X, double=True)


def test_repeated_indices_accumulate_gradient():
    """x[[1, 1, 1]] sends three gradients to x[1]: they must be summed, not overwritten."""
    x = leaf(np.array([1.0, 2.0, 3.0]))
    y = x[gradiente.tensor([1, 1, 1, 0])]
    y.backward(gradiente.tensor([1.0, 10.0, 100.0, 5.0], dtype=gradiente.float64))
    assert x.grad.tolist() == [5.0, 111.0, 0.0]
    x.grad = None
    x[[2, 2]].sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 2.0]


# -------------------------------------------------------------------- setitem


SETITEM = {
    "int": (lambda m, y, v: y.__setitem__(1, v), (5, 3)),
    "slice": (lambda m, y, v: y.__setitem__(slice(1, 3), v), (2, 5, 3)),
    "slice_broadcast": (lambda m, y, v: y.__setitem__((slice(None), 0), v), (3,)),
    "ellipsis": (lambda m, y, v: y.__setitem__((Ellipsis, 1), v), (4, 5)),
    "int_tensor": (lambda m, y, v: y.__setitem__(_t(m, [0, 3]), v), (2, 5, 3)),
    "int_tensor_pair": (lambda m, y, v: y.__setitem__((_t(m, [0, 3]), _t(m, [1, 4])), v), (2, 3)),
    "bool_mask_rows": (
        lambda m, y, v: y.__setitem__(_t(m, [True, False, False, True], "bool"), v),
        (2, 5, 3),
    ),
    "none": (lambda m, y, v: y.__setitem__((None, 2), v), (1, 5, 3)),
}


@pytest.mark.parametrize("name", list(SETITEM))
def test_setitem_on_non_leaf_records_the_graph(name):
    """y = x * 1; y[idx] = v: gradients flow to x (except at idx) and to v."""
    assign, v_shape = SETITEM[name]

    def op(m, a, v):
        y = a * 1.0
        assign(m, y, v)
        return y * y

    check_op(op, X, _rand(v_shape, 2))


@pytest.mark.parametrize(
    "index",
    [
        lambda m, y: y > 0.5,
        lambda m, y: (slice(None), _t(m, [1, 1, 3])),  # repeated: the same scalar twice
        lambda m, y: (0, slice(None), 2),
    ],
)
def test_setitem_scalar_value(index):
    def op(m, a):
        y = a * 2.0
        y[index(m, y)] = -7.0
        return y.exp()

    check_op(op, X)


def test_setitem_on_plain_tensor_writes_in_place():
    x = gradiente.zeros(3, 4)
    tx = torch.zeros(3, 4)
    for t, m in ((x, gradiente), (tx, torch)):
        t[0] = 1.0
        t[1, 1:3] = m.tensor([2.0, 3.0])
        t[t == 0] = -1.0
        t[:, m.tensor([3, 3])] = 9.0
        t[..., 0] += 0.5
    assert_same(x, tx)


def test_setitem_casts_value_dtype():
    x, tx = gradiente.zeros(3, dtype=gradiente.int64), torch.zeros(3, dtype=torch.int64)
    x[0], tx[0] = 2.7, 2.7
    x[1:], tx[1:] = gradiente.tensor([1.9, -1.9]), torch.tensor([1.9, -1.9])
    assert_same(x, tx)
    f, tf = gradiente.zeros(2), torch.zeros(2)
    f[0], tf[0] = gradiente.tensor(3, dtype=gradiente.int64), torch.tensor(3)
    assert_same(f, tf)


def test_setitem_on_leaf_requiring_grad_raises_but_not_under_no_grad():
    x = gradiente.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x[0] = 1.0
    with gradiente.no_grad():
        x[0] = 1.0
    assert x.tolist() == [1.0, 0.0, 0.0] and x.is_leaf and x.requires_grad


# -------------------------------------------------------------------- gather, scatter_add, ...


GATHER = [
    (0, [[0, 1, 2], [3, 3, 0]], (4, 3)),
    (1, [[0, 0], [2, 1], [1, 1], [0, 2]], (4, 3)),
    (-1, [[2, 2, 2, 0]], (4, 3)),  # index smaller than input on the other axis
    (1, [[[0, 1], [2, 0]], [[1, 1], [0, 0]]], (2, 3, 2)),
    (2, [[[1], [0], [1]], [[0], [0], [1]]], (2, 3, 2)),
]


@pytest.mark.parametrize("dim,index,shape", GATHER, ids=str)
def test_gather(dim, index, shape):
    x = _rand(shape, 3)
    check_op(lambda m, a: a.gather(dim, _t(m, index)), x, double=True)
    check_op(lambda m, a: m.gather(a, dim, _t(m, index)), x)


@pytest.mark.parametrize("dim,index,shape", GATHER, ids=str)
def test_scatter_add(dim, index, shape):
    x = _rand(shape, 4)
    src = _rand(np.shape(index), 5)
    check_op(lambda m, a, s: a.scatter_add(dim, _t(m, index), s), x, src, double=True)
    check_op(lambda m, a, s: m.scatter_add(a, dim, _t(m, index), s), x, src)


def test_scatter_add_with_larger_src_uses_index_shape():
    x = _rand((3, 4), 1)
    src = _rand((3, 5), 2)
    index = [[0, 1], [2, 2], [1, 0]]
    check_op(lambda m, a, s: a.scatter_add(0, _t(m, index), s), x, src, grad=False)
    # (torch's own backward rejects a src larger than index; the math is still defined:
    # the unread entries of src get a zero gradient.)
    idx = _t(gradiente, index)
    assert gradiente.autograd.gradcheck(lambda a, s: a.scatter_add(0, idx, s), (leaf(x), leaf(src)))


def test_scatter_add_in_place_on_non_leaf():
    def op(m, a, s):
        y = a * 1.5
        y.scatter_add_(1, _t(m, [[0, 0, 2], [1, 1, 1]]), s)
        return y

    check_op(op, _rand((2, 3), 1), _rand((2, 3), 2))


@pytest.mark.parametrize(
    "dim,index",
    [(0, [0, 3, 3, 1]), (1, [4, 0]), (-1, [2, 2, 2, 1]), (2, []), (0, [1])],
    ids=str,
)
def test_index_select(dim, index):
    check_op(lambda m, a: a.index_select(dim, _t(m, index)), X, double=True)
    check_op(lambda m, a: m.index_select(a, dim, _t(m, index)), X)


def test_masked_fill_variants():
    mask = _rand((4, 5, 3), 8) > 0
    check_op(lambda m, a, c: a.masked_fill(c, 0.0), X, mask, double=True)
    check_op(lambda m, a, c: m.masked_fill(a, c[0], float("-inf")).exp(), X, mask, atol=0)
    check_op(lambda m, a, c: a.masked_fill(c[..., :1], m.tensor(2.5)), X, mask)

    def in_place(m, a, c):
        y = a * 3.0
        y.masked_fill_(c, 1.0)
        return y

    check_op(in_place, X, mask)


# -------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "index",
    [1.0, (0, 1.5), slice(0.5, 2)],
    ids=["float", "tuple_with_float", "float_slice"],
)
def test_float_indices_raise(index):
    x = gradiente.ones(3, 4)
    with pytest.raises((IndexError, TypeError)) as info:
        x[index]
    assert "float" in str(info.value) or "integer" in str(info.value)


def test_float_tensor_index_raises():
    x = gradiente.ones(3, 4)
    with pytest.raises(IndexError, match="long, int, byte or bool"):
        x[gradiente.tensor([0.0, 1.0])]


@pytest.mark.parametrize(
    "index,needle",
    [
        (3, "index 3 is out of bounds for dimension 0 with size 3"),
        (-4, "index -4 is out of bounds for dimension 0 with size 3"),
        ((0, 4), "index 4 is out of bounds for dimension 1 with size 4"),
        ((Ellipsis, 7), "index 7 is out of bounds for dimension 1 with size 4"),
        ((0, 0, 0), "too many indices"),
    ],
    ids=str,
)
def test_out_of_range_indices_raise_index_error(index, needle):
    x = gradiente.ones(3, 4)
    with pytest.raises(IndexError, match=needle.replace("(", "\\(")):
        x[index]


def test_out_of_range_index_tensor_raises():
    x = gradiente.ones(3, 4)
    with pytest.raises(IndexError, match="out of bounds"):
        x[gradiente.tensor([0, 3])]
    with pytest.raises(IndexError, match="out of bounds"):
        x[:, gradiente.tensor([-5])]
    with pytest.raises((IndexError, RuntimeError)):
        x.gather(1, gradiente.tensor([[0, 4]]))
    with pytest.raises((IndexError, RuntimeError)):
        x.index_select(0, gradiente.tensor([5]))


def test_negative_step_raises_like_torch():
    with pytest.raises(ValueError, match="step must be greater than zero"):
        gradiente.ones(4)[::-1]


def test_bool_mask_shape_mismatch_raises():
    x = gradiente.ones(3, 4)
    with pytest.raises(IndexError):
        x[gradiente.tensor([True, False])]


def test_index_results_are_independent_of_later_in_place_changes_for_copies():
    """Advanced indexing copies (torch too); basic indexing gives views."""
    x, tx = gradiente.arange(6.0), torch.arange(6.0)
    adv, tadv = x[[0, 1]], tx[[0, 1]]
    basic, tbasic = x[0:2], tx[0:2]
    x.add_(10.0)
    tx.add_(10.0)
    assert_same(adv, tadv)
    assert_same(basic, tbasic)
    assert_same(x, to_torch(x))


def test_an_infinite_gradient_through_an_in_place_write_on_a_view_matches_torch():
    """x[view] op= ...: the base's gradient has the view's region replaced, never multiplied
    by 0 (∞ · 0 would be NaN where PyTorch gives ±∞)."""
    grads = []
    for lib in (gradiente, torch):
        x1 = lib.tensor([[[-2.09832763671875]]], dtype=lib.float32).requires_grad_()
        x3 = lib.tensor(0.0, dtype=lib.float32).requires_grad_()
        v2 = x1 * 1
        v2[..., None] /= 2.5
        v2[None, 0] /= x3
        v2.backward(lib.tensor([[[-1.5]]]))
        grads.append((x1.grad.numpy(), x3.grad.numpy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_array_equal(ours, theirs)
