"""Matrix products: matmul/@ in every rank combination, mm, bmm, dot, outer, mv, transposes."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from conftest import check_op

torch = pytest.importorskip("torch")


def _rand(shape, seed=0):
    return np.asarray(np.random.default_rng(seed).uniform(-2.0, 2.0, shape))


MATMUL_SHAPES = [
    ((3,), (3,)),  # dot
    ((3,), (3, 4)),  # vector @ matrix
    ((2, 3), (3,)),  # matrix @ vector
    ((2, 3), (3, 4)),
    ((5, 2, 3), (5, 3, 4)),  # batched
    ((5, 2, 3), (3, 4)),  # batched @ matrix (broadcast)
    ((2, 3), (5, 3, 4)),  # matrix @ batched
    ((2, 1, 2, 3), (4, 3, 2)),  # batch axes broadcast against each other
    ((3,), (2, 3, 4)),  # vector @ batched
    ((2, 5, 3), (3,)),  # batched @ vector
    ((1, 3), (3, 1)),
    ((4, 0), (0, 2)),  # empty inner dimension
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes):
    a, b = _rand(shapes[0], 1), _rand(shapes[1], 2)
    check_op(lambda m, x, y: x @ y, a, b, double=True)
    check_op(lambda m, x, y: m.matmul(x, y), a, b)
    check_op(lambda m, x, y: x.matmul(y), a, b, requires_grad=[True, False])
    check_op(lambda m, x, y: x @ y, a, b, requires_grad=[False, True])


def test_matmul_with_itself_and_chains():
    a = _rand((3, 3), 3)
    check_op(lambda m, x: x @ x, a, double=True)
    check_op(lambda m, x: x @ x.T @ x.mT, a, double=True)
    check_op(
        lambda m, x, w, b: ((x @ w + b).tanh() @ w.t()).sum(1),
        a,
        _rand((3, 3), 4),
        _rand((3,), 5),
        double=True,
    )


def test_mm_bmm_dot_mv_outer():
    check_op(lambda m, x, y: x.mm(y), _rand((2, 3), 1), _rand((3, 4), 2), double=True)
    check_op(lambda m, x, y: m.mm(x, y), _rand((2, 3), 1), _rand((3, 4), 2))
    check_op(lambda m, x, y: x.bmm(y), _rand((4, 2, 3), 1), _rand((4, 3, 5), 2), double=True)
    check_op(lambda m, x, y: m.bmm(x, y), _rand((4, 2, 3), 1), _rand((4, 3, 5), 2))
    check_op(lambda m, x, y: x.dot(y), _rand((5,), 1), _rand((5,), 2), double=True)
    check_op(lambda m, x, y: m.dot(x, y), _rand((5,), 1), _rand((5,), 2))
    check_op(lambda m, x, y: x.mv(y), _rand((3, 5), 1), _rand((5,), 2))
    check_op(lambda m, x, y: m.mv(x, y), _rand((3, 5), 1), _rand((5,), 2))
    check_op(lambda m, x, y: x.outer(y), _rand((3,), 1), _rand((4,), 2), double=True)
    check_op(lambda m, x, y: m.outer(x, y), _rand((3,), 1), _rand((4,), 2))
    check_op(lambda m, x, y: m.ger(x, y), _rand((2,), 1), _rand((3,), 2))


@pytest.mark.parametrize("shape", [(), (4,), (3, 4), (2, 3, 4)], ids=str)
def test_transposes(shape):
    x = _rand(shape, 6)
    if len(shape) <= 2:
        check_op(lambda m, a: a.t(), x, double=True)
        check_op(lambda m, a: m.t(a), x)
    if len(shape) != 3:  # Tensor.T on 3-d tensors is deprecated in torch (it warns)
        check_op(lambda m, a: a.T, x, double=True)
    if len(shape) >= 2:
        check_op(lambda m, a: a.mT, x, double=True)


def test_float32_matmul_stays_float32_and_matches():
    a = _rand((8, 16), 1).astype(np.float32)
    b = _rand((16, 4), 2).astype(np.float32)
    check_op(lambda m, x, y: x @ y, a, b, rtol=1e-5, atol=1e-5)


def test_int_matmul():
    check_op(lambda m, x, y: x @ y, np.array([[1, 2], [3, 4]]), np.array([[5], [6]]))


@pytest.mark.parametrize(
    "call,shapes",
    [
        (lambda a, b: a @ b, ((2, 3), (4, 5))),
        (lambda a, b: a @ b, ((3,), (4,))),
        (lambda a, b: a @ b, ((5, 2, 3), (5, 4, 2))),
        (lambda a, b: a.mm(b), ((2, 3), (2, 3))),
        (lambda a, b: a.bmm(b), ((2, 2, 3), (2, 4, 3))),
        (lambda a, b: a.dot(b), ((3,), (4,))),
    ],
    ids=["2d", "1d", "batched", "mm", "bmm", "dot"],
)
def test_matmul_shape_mismatch_names_both_shapes(call, shapes):
    a, b = gradiente.ones(*shapes[0]), gradiente.ones(*shapes[1])
    with pytest.raises(RuntimeError) as info:
        call(a, b)
    text = str(info.value).replace(" ", "")
    for shape in shapes:
        as_tuple = str(tuple(shape)).replace(" ", "")
        as_list = str(list(shape)).replace(" ", "")
        as_x = "x".join(str(s) for s in shape)
        assert as_tuple in text or as_list in text or as_x in text, (shape, str(info.value))


def test_matmul_rank_errors():
    with pytest.raises(RuntimeError, match="1D"):
        gradiente.tensor(2.0) @ gradiente.ones(2)
    with pytest.raises(RuntimeError):
        gradiente.ones(2, 2).mm(gradiente.ones(2))
    with pytest.raises(RuntimeError):
        gradiente.ones(2, 2, 2).bmm(gradiente.ones(3, 2, 2))
    with pytest.raises(RuntimeError):
        _ = gradiente.ones(2).mT


@pytest.mark.parametrize(
    "shapes",
    [
        ((1, 0, 3), (1, 3, 4)),
        ((1, 2, 0), (1, 0, 3)),
        ((0, 0, 4), (0, 4, 2)),
        ((2, 1, 2, 3), (1, 3, 0)),
    ],
)
@pytest.mark.parametrize("dtypes", [("int64", "float64"), ("float64", "float32")])
def test_batched_products_with_nothing_to_add_take_the_second_dtype(shapes, dtypes):
    """Found by the fuzzer: torch's bmm checks dtypes only when the product has terms; an
    empty batched product of mixed dtypes has the second operand's dtype."""
    (sa, sb), (da, db) = shapes, dtypes
    fns = [lambda m, a, b: m.matmul(a, b)] + ([lambda m, a, b: m.bmm(a, b)] if len(sa) == 3 else [])
    for fn in fns:
        g = fn(gradiente, gradiente.zeros(sa, dtype=da), gradiente.zeros(sb, dtype=db))
        t = fn(
            torch,
            torch.zeros(sa, dtype=getattr(torch, da)),
            torch.zeros(sb, dtype=getattr(torch, db)),
        )
        assert str(g.dtype) == str(t.dtype) and tuple(g.shape) == tuple(t.shape)
        assert np.array_equal(g.numpy(), t.numpy())
    for lib in (gradiente, torch):
        with pytest.raises(RuntimeError):
            lib.bmm(lib.zeros(1, 2, 3, dtype=lib.int64), lib.zeros(1, 3, 4, dtype=lib.float64))


def test_empty_batched_product_into_integers_of_a_grad_operand_raises_as_torch():
    for lib in (gradiente, torch):
        x = lib.zeros((0, 2, 3), dtype=lib.float64).requires_grad_()
        with pytest.raises(RuntimeError, match="Autograd not support dtype: Long"):
            lib.bmm(x, lib.zeros((0, 3, 1), dtype=lib.int64))
