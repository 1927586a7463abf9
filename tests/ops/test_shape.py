"""Shape ops: views, joins and splits — values, gradients vs torch, gradcheck, memory sharing."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from conftest import assert_same, check_op, leaf, to_torch
from gradiente.ops import shape as S

torch = pytest.importorskip("torch")


def _rand(shape, seed=0):
    return np.asarray(np.random.default_rng(seed).uniform(-2.0, 2.0, shape))


X = _rand((2, 3, 4), 1)

VIEWS = {
    "reshape": lambda m, a: a.reshape(4, 6),
    "reshape_tuple": lambda m, a: a.reshape((6, -1)),
    "reshape_list": lambda m, a: a.reshape([-1]),
    "reshape_same": lambda m, a: a.reshape(2, 3, 4),
    "torch_reshape": lambda m, a: m.reshape(a, (3, 8)),
    "view": lambda m, a: a.view(2, 12),
    "view_infer": lambda m, a: a.view(-1, 4),
    "view_as": lambda m, a: a.view_as(a.reshape(6, 4).detach()),
    "flatten": lambda m, a: a.flatten(),
    "flatten_1": lambda m, a: a.flatten(1),
    "flatten_0_1": lambda m, a: a.flatten(0, 1),
    "flatten_neg": lambda m, a: m.flatten(a, -2, -1),
    "unflatten": lambda m, a: a.unflatten(2, (2, 2)),
    "squeeze_none": lambda m, a: a.reshape(2, 1, 3, 1, 4).squeeze(),
    "squeeze_dim": lambda m, a: a.reshape(2, 1, 3, 1, 4).squeeze(1),
    "squeeze_neg": lambda m, a: a.reshape(2, 1, 3, 4, 1).squeeze(-1),
    "squeeze_not_one": lambda m, a: a.squeeze(0),
    "squeeze_tuple": lambda m, a: a.reshape(2, 1, 3, 1, 4).squeeze((1, 3)),
    "unsqueeze_0": lambda m, a: a.unsqueeze(0),
    "unsqueeze_last": lambda m, a: a.unsqueeze(-1),
    "unsqueeze_mid": lambda m, a: m.unsqueeze(a, 2),
    "permute": lambda m, a: a.permute(2, 0, 1),
    "permute_tuple": lambda m, a: a.permute((1, 2, 0)),
    "permute_neg": lambda m, a: m.permute(a, (-1, -3, -2)),
    "transpose": lambda m, a: a.transpose(0, 2),
    "transpose_neg": lambda m, a: m.transpose(a, -1, -2),
    "swapaxes": lambda m, a: a.swapaxes(0, 1),
    "movedim": lambda m, a: a.movedim(0, -1),
    "expand": lambda m, a: a[:, :1, :].expand(2, 5, 4),
    "expand_new_dims": lambda m, a: a.expand(3, 2, 3, 4),
    "expand_minus_one": lambda m, a: a[:1].expand(4, -1, -1),
    "expand_as": lambda m, a: a[:, :1].expand_as(a),
    "broadcast_to": lambda m, a: m.broadcast_to(a[0, :1], (5, 3, 4)),
    "repeat": lambda m, a: a.repeat(2, 1, 3),
    "repeat_more_dims": lambda m, a: a.repeat(2, 1, 1, 2),
    "repeat_ones": lambda m, a: a.repeat(1, 1, 1),
    "contiguous": lambda m, a: a.transpose(0, 1).contiguous(),
    "flip": lambda m, a: a.flip(0),
    "flip_many": lambda m, a: m.flip(a, (0, -1)),
    "narrow": lambda m, a: a.narrow(1, 1, 2),
    "narrow_neg": lambda m, a: a.narrow(-1, 0, 3),
    "t_of_2d": lambda m, a: a[0].t(),
    "T_of_3d": lambda m, a: a.T,
    "mT": lambda m, a: a.mT,
    "clone": lambda m, a: a.clone(),
    "chained": lambda m, a: a.permute(1, 0, 2).reshape(3, 8).t().unsqueeze(0).expand(2, 8, 3),
}


@pytest.mark.parametrize("name", list(VIEWS))
def test_shape_ops(name):
    check_op(VIEWS[name], X, double=True)


@pytest.mark.parametrize("shape", [(), (1,), (1, 1)], ids=str)
def test_shape_ops_on_tiny_tensors(shape):
    x = _rand(shape, 2)
    check_op(lambda m, a: a.reshape(-1), x)
    check_op(lambda m, a: a.squeeze(), x)
    check_op(lambda m, a: a.unsqueeze(0), x)
    check_op(lambda m, a: a.flatten(), x)
    check_op(lambda m, a: a.expand(3, *shape) if shape else a.expand(3), x)
    check_op(lambda m, a: a.T, x)


# -------------------------------------------------------------------- joins and splits

JOINS = {
    "cat0": (lambda m, a, b, c: m.cat([a, b, c]), [(2, 3), (1, 3), (4, 3)]),
    "cat1": (lambda m, a, b, c: m.cat((a, b, c), dim=1), [(2, 1), (2, 3), (2, 2)]),
    "cat_neg": (lambda m, a, b, c: m.cat([a, b, c], -1), [(2, 2, 1), (2, 2, 3), (2, 2, 2)]),
    "concat": (lambda m, a, b, c: m.concat([a, c, b], dim=0), [(1, 2), (2, 2), (3, 2)]),
    "stack0": (lambda m, a, b, c: m.stack([a, b, c]), [(2, 3)] * 3),
    "stack1": (lambda m, a, b, c: m.stack((a, b, c), dim=1), [(2, 3)] * 3),
    "stack_neg": (lambda m, a, b, c: m.stack([a, b, c], dim=-1), [(2, 3)] * 3),
    "stack_0d": (lambda m, a, b, c: m.stack([a, b, c]), [()] * 3),
    "cat_same_tensor_twice": (lambda m, a, b, c: m.cat([a, a * 2, b, c]), [(2,), (2,), (1,)]),
}


@pytest.mark.parametrize("name", list(JOINS))
def test_joins(name):
    op, shapes = JOINS[name]
    check_op(op, *[_rand(s, i) for i, s in enumerate(shapes)], double=True)


def test_cat_skips_legacy_empty_and_promotes():
    check_op(lambda m, a, b: m.cat([a, b]), _rand((2, 3), 1), np.zeros((0,)))
    check_op(lambda m, a, b: m.cat([a, b]), _rand((2,), 1), np.array([1, 2]))
    check_op(lambda m, a, b: m.stack([a, b]), _rand((2,), 1).astype(np.float32), _rand((2,), 2))


SPLITS = {
    "split_int": lambda m, a: a.split(2),
    "split_int_uneven": lambda m, a: a.split(3, dim=1),
    "split_sizes": lambda m, a: a.split([1, 3], dim=-1),
    "split_function": lambda m, a: m.split(a, 1, 0),
    "chunk": lambda m, a: a.chunk(2, dim=2),
    "chunk_uneven": lambda m, a: a.chunk(2, dim=1),
    "chunk_more_than_size": lambda m, a: a.chunk(5, dim=0),
    "chunk_function": lambda m, a: m.chunk(a, 3, -1),
    "unbind": lambda m, a: a.unbind(1),
    "unbind_function": lambda m, a: m.unbind(a),
    "tensor_split": lambda m, a: a.tensor_split(3, dim=2),
}


@pytest.mark.parametrize("name", list(SPLITS))
def test_splits(name):
    """Only some pieces may be used: the other pieces' gradients are zero."""
    check_op(SPLITS[name], X, double=True)
    check_op(lambda m, a: SPLITS[name](m, a)[-1] * 2.0, X)


def test_iterating_a_tensor_unbinds_it():
    a = leaf(_rand((3, 2), 1))
    rows = list(a)
    assert len(rows) == 3 and rows[0].shape == (2,)
    sum(r * (i + 1) for i, r in enumerate(rows)).sum().backward()
    assert a.grad.tolist() == [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]


# -------------------------------------------------------------------- constant pad (the op)


@pytest.mark.parametrize(
    "pad",
    [((0, 0), (1, 2)), ((2, 0), (0, 1)), ((0, 0), (-1, 1)), ((1, 1), (-1, -2))],
    ids=str,
)
def test_constant_pad_op_matches_torch_pad(pad):
    """``F.pad`` arrives with nn; its op already exists: check it against torch's F.pad."""
    x = _rand((3, 5), 3)
    g = leaf(x)
    out = S.ConstantPad.apply(g, pad, 1.5)
    flat = [p for lo_hi in reversed(pad) for p in lo_hi]  # torch lists the last axis first
    t = to_torch(g)
    expected = torch.nn.functional.pad(t, flat, value=1.5)
    assert_same(out, expected)
    up = np.random.default_rng(0).standard_normal(tuple(out.shape))
    out.backward(gradiente.from_numpy(up))
    expected.backward(torch.from_numpy(up))
    assert_same(g.grad, t.grad)
    assert gradiente.autograd.gradcheck(lambda a: S.ConstantPad.apply(a, pad, 0.0), (leaf(x),))


# -------------------------------------------------------------------- memory sharing (views)


def test_views_share_memory_with_their_base():
    x = gradiente.arange(12.0).reshape(3, 4)
    tx = torch.arange(12.0).reshape(3, 4)
    for view in (
        lambda a: a.view(4, 3),
        lambda a: a.reshape(2, 6),
        lambda a: a[1],
        lambda a: a[:, 1:3],
        lambda a: a.T,
        lambda a: a.t(),
        lambda a: a.transpose(0, 1),
        lambda a: a.permute(1, 0),
        lambda a: a.unsqueeze(0),
        lambda a: a[None, ..., 0],
        lambda a: a.flatten(),
        lambda a: a.narrow(1, 1, 2),
    ):
        v, tv = view(x), view(tx)
        v.mul_(2.0)
        tv.mul_(2.0)
        assert_same(x, tx)


def test_contiguous_returns_self_when_already_contiguous():
    x = gradiente.ones(2, 3)
    assert x.contiguous() is x
    y = x.t()
    assert not y.is_contiguous()
    assert y.contiguous().is_contiguous()
    assert y.stride() == torch.ones(2, 3).t().stride()


def test_view_of_non_contiguous_tensor_raises():
    with pytest.raises(RuntimeError, match="view"):
        gradiente.ones(2, 3).t().view(-1)


# -------------------------------------------------------------------- errors


def _raises_naming(exc, call, *needles):
    with pytest.raises(exc) as info:
        call()
    text = str(info.value).replace(" ", "")
    for needle in needles:
        assert needle.replace(" ", "") in text, f"{needle!r} not in {info.value}"


def test_view_and_reshape_errors_name_both_shapes():
    x = gradiente.ones(2, 3)
    _raises_naming(RuntimeError, lambda: x.view(4, 2), "[4, 2]", "6")
    _raises_naming(RuntimeError, lambda: x.reshape(5), "[5]", "6")
    _raises_naming(RuntimeError, lambda: x.view(-1, 4), "[-1, 4]", "6")
    _raises_naming(RuntimeError, lambda: x.view(-1, -1), "one dimension")


def test_cat_and_stack_errors_name_shapes():
    a, b = gradiente.ones(2, 3), gradiente.ones(2, 4)
    _raises_naming(RuntimeError, lambda: gradiente.cat([a, b]), "(2, 3)", "(2, 4)")
    _raises_naming(RuntimeError, lambda: gradiente.stack([a, b]), "[2, 3]", "[2, 4]")
    _raises_naming(RuntimeError, lambda: gradiente.cat([a, gradiente.ones(3)]), "(2, 3)", "(3,)")
    with pytest.raises(ValueError):  # as torch: "expected a non-empty list of Tensors"
        gradiente.cat([])
    with pytest.raises(IndexError, match="Dimension out of range"):
        gradiente.cat([a, a], dim=2)


def test_shape_op_errors():
    x = gradiente.ones(2, 3)
    with pytest.raises(RuntimeError, match="expanded size"):
        x.expand(4, 3)
    with pytest.raises(RuntimeError):
        x.expand(3)
    with pytest.raises(RuntimeError):
        x.permute(0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.permute(0, 2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.transpose(0, 2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.unsqueeze(3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.squeeze(-3)
    with pytest.raises(RuntimeError):
        x.repeat(2)
    with pytest.raises(RuntimeError, match="split"):
        x.split([1, 1], dim=1)
    with pytest.raises(RuntimeError, match="t\\(\\)"):
        gradiente.ones(2, 3, 4).t()
    with pytest.raises(TypeError):
        x.reshape(2.0, 3)


def test_size_and_shape_arguments_accept_torch_size():
    x = gradiente.ones(2, 3)
    assert x.reshape(x.shape).shape == (2, 3)
    assert x.view(gradiente.Size([3, 2])).shape == (3, 2)
    assert x.expand(gradiente.Size([4, 2, 3])).shape == (4, 2, 3)
    assert gradiente.zeros(x.shape).shape == (2, 3)
    assert x.reshape(gradiente.tensor(6)).shape == (6,)


# -- found by the differential fuzzer (tests/fuzz) -------------------------------------------


def test_chunk_of_an_empty_dim_gives_that_many_empty_pieces():
    g = gradiente.zeros(3, 0).chunk(3, dim=1)
    t = torch.zeros(3, 0).chunk(3, dim=1)
    assert [tuple(p.shape) for p in g] == [tuple(p.shape) for p in t]


def test_movedim_of_a_0d_tensor():
    check_op(lambda m, a: m.movedim(a, 0, -1), np.array(2.5))


def test_flip_function_wants_a_tuple_of_dims():
    """torch.flip(x, 0) is a TypeError (the method x.flip(0) is fine)."""
    for lib in (torch, gradiente):
        with pytest.raises(TypeError):
            lib.flip(lib.arange(3), 0)
        assert lib.arange(3).flip(0).tolist() == [2, 1, 0]


@pytest.mark.parametrize("call", ["expand", "view", "reshape", "permute", "repeat"])
def test_shape_methods_without_a_size_raise_type_error(call):
    """x.expand() is a TypeError in torch; x.expand(()) is the 0-d shape."""
    for lib in (torch, gradiente):
        x = lib.tensor(1.5)
        with pytest.raises(TypeError):
            getattr(x, call)()
        assert getattr(x, call)(()).shape == ()


def test_squeeze_refuses_a_repeated_dim():
    for lib in (torch, gradiente):
        x = lib.zeros(2, 1)
        with pytest.raises(RuntimeError, match="dim 1 appears multiple times"):
            x.squeeze((1, -1))
        assert x.squeeze((1,)).shape == (2,)


def test_split_of_an_empty_dim_into_no_sizes_or_size_zero():
    for lib in (torch, gradiente):
        x = lib.zeros(0, 2)
        assert len(lib.split(x, [], 0)) == 0
        assert [tuple(p.shape) for p in x.split(0)] == [(0, 2)]
        with pytest.raises(RuntimeError, match="split_size can only be 0"):
            lib.zeros(3).split(0)
        with pytest.raises(RuntimeError, match="non-negative"):
            lib.zeros(3).split(-1)


def test_cat_with_a_1d_empty_tensor_takes_its_dtype_and_requires_grad():
    """A (0,) tensor fits any shape in cat, but still promotes the dtype and carries grad."""
    check_op(lambda m, a, b: m.cat([a, b], dim=1), X, np.zeros(0))
    for lib in (torch, gradiente):
        empty = lib.zeros(0, dtype=lib.float64, requires_grad=True)
        out = lib.cat([lib.ones(2, 2, dtype=lib.bool), empty])
        assert out.dtype == lib.float64 and out.requires_grad and out.shape == (2, 2)
        assert lib.cat([lib.zeros(0), lib.zeros(0)], dim=1).shape == (0,)


@pytest.mark.parametrize(
    "shifts, dims, error",
    [
        ((1, 2), None, "must align"),
        ((1, 2), (0,), "must align"),
        (1, (0, 1), "must align"),
        ((), (), "`shifts` required"),
        (1, (), None),
        ((2,), None, None),
        ((1, 2), (0, 1), None),
    ],
)
def test_roll_argument_rules(shifts, dims, error):
    for lib in (torch, gradiente):
        x = lib.arange(6.0).reshape(2, 3)
        if error:
            with pytest.raises(RuntimeError, match=error):
                lib.roll(x, shifts, dims)
    if not error:
        check_op(lambda m, a: m.roll(a, shifts, dims), X[0])


def test_roll_of_an_empty_tensor_ignores_the_dims():
    check_op(lambda m, a: m.roll(a, 5, 3), np.zeros((0, 0, 1)))
