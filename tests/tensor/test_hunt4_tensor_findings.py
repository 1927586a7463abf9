"""Tensor-layer differences from torch found by the fourth hunt (/tmp/hunt4/FINDINGS.md), each
compared with torch through the public API: dtype inference of nested NumPy data, views made
by ``unfold``/``as_strided``, missing functions and methods, deprecated forms, NaN handling of
``unique``/``nanquantile``/``where``, ``index_reduce``, keyword spellings, tensors as sizes,
constructor corner cases and in-place/autograd checks."""

from __future__ import annotations

import numpy as np
import pytest

import gradiente
from conftest import torch_and_gradiente_print
from gradiente.autograd import gradcheck

torch = pytest.importorskip("torch")


def _same(ours, theirs, atol=1e-6):
    """Values, shape and dtype of a gradiente tensor equal to a torch tensor's."""
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), atol=atol, equal_nan=True)


def _raises_alike(call_ours, call_theirs):
    """Both calls raise the same exception type with the same message."""
    with pytest.raises(Exception) as theirs:
        call_theirs()
    with pytest.raises(type(theirs.value)) as ours:
        call_ours()
    assert str(ours.value) == str(theirs.value)


# --- 1. dtype of nested NumPy arrays / scalars / tensors --------------------------------------

_NESTED = {
    "f64 arrays": lambda m: [np.arange(2.0), np.ones(2)],
    "array and floats": lambda m: [np.ones(2), [1.0, 2.0]],
    "int32 arrays": lambda m: [np.ones(2, dtype=np.int32)],
    "int32 array and floats": lambda m: [np.ones(2, dtype=np.int32), [1.5, 2.0]],
    "int32 array and ints": lambda m: [np.ones(2, dtype=np.int32), [1, 2]],
    "float16 array and floats": lambda m: [np.ones(2, dtype=np.float16), [1.5, 2.0]],
    "float32 and float64 arrays": lambda m: [np.ones(2, np.float32), np.ones(2)],
    "uint8 and int8 arrays": lambda m: [np.ones(2, np.uint8), np.ones(2, np.int8)],
    "float then float64 scalar": lambda m: [2.0, np.float64(1)],
    "int32 scalar and int": lambda m: [np.int32(1), 2],
    "int64 array, float32 scalar": lambda m: [np.ones(2, np.int64), [np.float32(1), 2]],
    "0-d tensors": lambda m: [m.tensor(1.0), m.tensor(2, dtype=m.int32)],
    "one-element tensors": lambda m: [m.tensor([1.0]), m.tensor([[2.0]])],
    "float64 tensor and float": lambda m: [m.tensor(1.0, dtype=m.float64), 2.0],
    "int and float16 tensor": lambda m: [1, m.tensor(1.0, dtype=m.float16)],
    "nested 0-d tensors": lambda m: [[m.tensor(1.0)], [m.tensor(2.0)]],
}


@pytest.mark.parametrize("name", list(_NESTED))
@pytest.mark.parametrize("factory", ["tensor", "as_tensor"])
def test_dtype_of_nested_numpy_and_tensors(name, factory):
    theirs = getattr(torch, factory)(_NESTED[name](torch))
    ours = getattr(gradiente, factory)(_NESTED[name](gradiente))
    _same(ours, theirs)


def test_list_of_multi_element_tensors_is_refused():
    _raises_alike(
        lambda: gradiente.tensor([gradiente.ones(2), gradiente.zeros(2)]),
        lambda: torch.tensor([torch.ones(2), torch.zeros(2)]),
    )


# --- 2. unfold and as_strided are views -------------------------------------------------------


def test_unfold_is_a_view_with_torchs_strides():
    for m in (torch, gradiente):
        x = m.arange(12.0).view(3, 4)
        u = x.unfold(1, 2, 2)
        u[0, 0, 0] = -5
        assert x[0, 0].item() == -5
        assert u.stride() == (4, 2, 1) and u.storage_offset() == 0
        assert u.grad_fn is None
    assert gradiente.ones(4).unfold(0, 0, 1).shape == (5, 0)


def test_unfold_gradient_and_in_place_through_it():
    x = np.random.default_rng(0).standard_normal((2, 7, 3))
    w = np.random.default_rng(1).standard_normal((2, 3, 3, 3))
    grads = []
    for m in (torch, gradiente):
        t = m.tensor(x, requires_grad=True)
        u = t.unfold(1, 3, 2)
        assert type(u.grad_fn).__name__ == "UnfoldBackward0"
        (u * m.tensor(w)).sum().backward()
        grads.append(t.grad.numpy())
        a = m.arange(6.0, requires_grad=True)
        h = a * 2
        h.unfold(0, 2, 2).mul_(3)
        (h * h).sum().backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[2])
    np.testing.assert_allclose(grads[1], grads[3])
    x = gradiente.tensor(x, requires_grad=True)
    assert gradcheck(lambda t: t.unfold(1, 3, 2), (x,))
    assert gradcheck(lambda t: t.unfold(1, 2, 1) * 1.5, (x,))


def test_as_strided_is_a_view_of_the_storage():
    for m in (torch, gradiente):
        b = m.arange(24.0)
        s = m.as_strided(b, (2, 2), (4, 1), 3)
        s.fill_(-1)
        assert b.tolist()[3:9] == [-1.0, -1.0, 5.0, 6.0, -1.0, -1.0]
        assert s.stride() == (4, 1) and s.storage_offset() == 3
        x = m.arange(12.0).view(3, 4)
        v = x.t().as_strided((2, 2), (1, 4), 1)
        assert v.tolist() == [[1.0, 5.0], [2.0, 6.0]] and v.storage_offset() == 1
        assert x[1].as_strided((2,), (1,)).storage_offset() == 4  # the default: self's offset


def test_as_strided_errors_match_torch():
    for args in [((2, 2), (4, 1), 23), ((2, 2), (4, 1), -1), ((2, 2), (-1, 1), 3)]:
        _raises_alike(
            lambda a=args: gradiente.arange(24.0).as_strided(*a),
            lambda a=args: torch.arange(24.0).as_strided(*a),
        )
    _raises_alike(
        lambda: gradiente.arange(4.0).as_strided((2, 2), (1,)),
        lambda: torch.arange(4.0).as_strided((2, 2), (1,)),
    )


def test_as_strided_gradient():
    grads = []
    for m in (torch, gradiente):
        x = m.arange(12.0, requires_grad=True)
        y = x[2:].as_strided((3, 3), (1, 1), 0)  # overlapping windows, from offset 0
        assert type(y.grad_fn).__name__ == "AsStridedBackward0"
        (y * m.arange(9.0).view(3, 3)).sum().backward()
        grads.append(x.grad.numpy())
        a = m.arange(6.0, requires_grad=True)
        h = a * 2
        h.as_strided((2, 2), (1, 2), 1).add_(1)
        (h**2).sum().backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[2])
    np.testing.assert_allclose(grads[1], grads[3])
    x = gradiente.tensor(np.random.default_rng(2).standard_normal(10), requires_grad=True)
    assert gradcheck(lambda t: t.as_strided((3, 2), (2, 1), 1), (x,))
    assert gradcheck(lambda t: t[1:].as_strided((3, 3), (1, 1), 2) ** 2, (x,))


# --- 3. functions and methods that were missing ----------------------------------------------

_MISSING_APIS = """
import torch, warnings
warnings.simplefilter("ignore")
a, b = torch.arange(12.).view(3, 4) / 7, torch.arange(12., 0, -1).view(3, 4) / 5
print(torch.cosine_similarity(a, b, dim=1), torch.pairwise_distance(a, b))
print(torch.unravel_index(torch.tensor(7), (3, 4)))
print(torch.unravel_index(torch.tensor([7, 13, -1]), (3, 4)))
print(torch.unravel_index(torch.tensor([[1, 2]], dtype=torch.int32), torch.Size([2, 2])))
print(torch.unravel_index(torch.tensor(5), 3), torch.unravel_index(torch.tensor(1), ()))
m = torch.tensor([[4., 1, 0.5], [1, 3, 0.2], [0.5, 0.2, 2]])
print(m.cholesky(), m.cholesky(upper=True), torch.cholesky(m))
print(m.qr(), torch.qr(m, some=False))
print([u.abs() for u in torch.svd(m[:, :2])], [u.shape for u in m[:2].svd(some=False)])
print(torch.lu(m), torch.lu(m, get_infos=True), m.lu())
s = a.untyped_storage(); v = a[1:]
print(s.data_ptr() == v.untyped_storage().data_ptr(), s.size(), s.nbytes(), len(s), s.tolist()[:8])
t = a.storage()
print(t.size(), t.dtype, t.tolist()[:3], t.element_size(), t.data_ptr() == a.data_ptr())
print(a.clone().untyped_storage().data_ptr() == s.data_ptr())
print(repr(torch.arange(3).storage()))
print(repr(torch.arange(2, dtype=torch.int16).untyped_storage()))
f = torch.tensor([1., 4., 9., 16., 30.]); x = torch.tensor([0., 1., 1.5, 3.5, 4.])
for eo in (1, 2):
    print(torch.gradient(f, edge_order=eo), torch.gradient(f, spacing=2., edge_order=eo))
    print(torch.gradient(f, spacing=(x,), edge_order=eo))
g = torch.arange(12.).view(3, 4) ** 2
print(torch.gradient(g), torch.gradient(g, dim=1), torch.gradient(g, spacing=[2., 3.]))
print(torch.gradient(g, dim=[1], spacing=[torch.tensor([0., 1, 3, 4])]))
print(torch.gradient(g, dim=-1, edge_order=2), torch.gradient(torch.tensor([1, 4, 9])))
print(torch.gradient(torch.tensor([1., 2.]), spacing=2))
print(torch.gradient(torch.tensor([1., 2., 4]), spacing=torch.tensor(2.)))
for kw in [dict(edge_order=3), dict(spacing=[1., 2.]), dict(dim=0, spacing=[1., 2.])]:
    try: print(torch.gradient(torch.tensor([1., 2., 3.]), **kw))
    except Exception as e: print(type(e).__name__, e)
try: print(torch.gradient(torch.tensor([1., 2.]), edge_order=2))
except Exception as e: print(type(e).__name__, e)
print(torch.ones(2, 2).addmm_(a[:2], b[:2].T, beta=2, alpha=0.5), torch.zeros(3).addmv_(a, b[0]))
print(torch.zeros(3, 4).addr_(a[0, :3], b[0]))
print(torch.zeros(3, 2, 2).baddbmm_(torch.ones(3, 2, 4), torch.ones(3, 4, 2)).shape)
print(torch.zeros(2, 2).addbmm_(torch.ones(3, 2, 4), torch.ones(3, 4, 2)))
z = torch.zeros(2, 3)
for f in [lambda: torch.select_scatter(z, torch.ones(2), 0, 0),
          lambda: torch.select_scatter(z, torch.ones(3), 0, 5),
          lambda: torch.slice_scatter(z, torch.ones(2, 2), 1, 0, 2),
          lambda: torch.slice_scatter(z, torch.ones(2, 1), 1, 0, 2),
          lambda: torch.diagonal_scatter(z, torch.ones(2)),
          lambda: torch.diagonal_scatter(z, torch.ones(3)),
          lambda: torch.slice_scatter(z, torch.ones(2, 2), dim=1, step=2),
          lambda: torch.slice_scatter(z, torch.ones(1, 3), start=-1),
          lambda: z.put(torch.tensor([0, -1]), torch.tensor([5., 6.])),
          lambda: z.put(torch.tensor([0, 0]), torch.tensor([5., 6.]), accumulate=True),
          lambda: z.put(torch.tensor([7]), torch.tensor([5.])),
          lambda: torch.narrow_copy(torch.arange(6).view(2, 3), 1, 1, 2),
          lambda: z.new_empty_strided((2, 3), (1, 2)).stride(),
          lambda: torch.empty_strided((2, 3), (1, 2)).stride(),
          lambda: torch.select_scatter(z, torch.ones(3, dtype=torch.float64), 0, 0),
          lambda: torch.put(z, torch.tensor([1]), torch.tensor([3.])),
          lambda: z.diagonal_scatter(torch.ones(2), 1)]:
    try: print(f())
    except Exception as e: print(type(e).__name__, e)
x = torch.zeros(2, 3, requires_grad=True); s = torch.ones(3, requires_grad=True)
y = torch.select_scatter(x * 2, s, 0, 1); print(y.grad_fn.name())
(y * torch.arange(6.).view(2, 3)).sum().backward(); print(x.grad, s.grad)
print(torch.slice_scatter(x, torch.ones(2, 2), 1, 0, 2).grad_fn.name())
print(torch.diagonal_scatter(x, s[:2]).grad_fn.name())
w = torch.arange(6.).view(2, 3)
print(w.map_(torch.tensor([10., 20, 30]), lambda p, q: p * q + 1))
"""


def test_missing_apis_print_as_in_torch():
    theirs, ours = torch_and_gradiente_print(_MISSING_APIS)
    assert ours == theirs


_DEPRECATED_CALLS = {
    "cholesky": "mod.cholesky(mod.tensor([[4.0, 1.0], [1.0, 3.0]]))",
    "qr": "mod.qr(mod.tensor([[4.0, 1.0], [1.0, 3.0]]))",
    "lu": "mod.lu(mod.tensor([[4.0, 1.0], [1.0, 3.0]]))",
    "resize": "mod.ones(4, 3).resize(12)",
}


def _torch_warnings() -> dict:
    """torch's first warning for each call, from a fresh interpreter: torch warns once per
    process, and another test may have made the same call already."""
    import json
    import subprocess
    import sys

    code = (
        "import json, warnings, torch as mod\nout = {}\n"
        + "".join(
            f"with warnings.catch_warnings(record=True) as w:\n"
            f"    warnings.simplefilter('always')\n    {call}\n"
            f"    out[{name!r}] = str(w[0].message) if w else None\n"
            for name, call in _DEPRECATED_CALLS.items()
        )
        + "print(json.dumps(out))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return json.loads(done.stdout)


def test_deprecated_decompositions_warn_as_torch():
    theirs = _torch_warnings()
    for name, call in _DEPRECATED_CALLS.items():
        with pytest.warns(UserWarning) as record:
            eval(call, {"mod": gradiente})
        ours = str(record[0].message).split(" (Triggered internally")[0]
        assert ours == theirs[name].split(" (Triggered internally")[0], name


def test_scatter_functions_gradcheck():
    rng = np.random.default_rng(3)
    x = gradiente.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    src = gradiente.tensor(rng.standard_normal(4), requires_grad=True)
    assert gradcheck(lambda a, s: gradiente.select_scatter(a, s, 0, 1), (x, src))
    assert gradcheck(lambda a, s: gradiente.slice_scatter(a, s[None], 0, 1, 2), (x, src))
    assert gradcheck(
        lambda a, s: gradiente.slice_scatter(a, s[None, :2].expand(3, 2), 1, 0, None, 2), (x, src)
    )
    assert gradcheck(lambda a, s: gradiente.diagonal_scatter(a, s[:3]), (x, src))
    assert gradcheck(lambda a, s: a.put(gradiente.tensor([0, 5, -1]), s[:3]), (x, src))
    assert gradcheck(lambda a, s: a.put(gradiente.tensor([1, 1]), s[:2], True), (x, src))
    coords = gradiente.tensor([0.0, 1.0, 1.5, 3.5], dtype=gradiente.float64)
    assert gradcheck(lambda a: gradiente.gradient(a, dim=1, edge_order=2)[0], (x,))
    assert gradcheck(lambda a: gradiente.gradient(a, spacing=[coords], dim=[1])[0], (x,))


def test_matmul_family_keyword_names():
    x = np.arange(6.0).reshape(2, 3)
    for name, kwarg, a, o in [
        ("mm", "mat2", x, x.T),
        ("bmm", "mat2", x[None], x.T[None]),
        ("mv", "vec", x, x[0]),
        ("matmul", "other", x, x.T),
        ("dot", "tensor", x[0], x[1]),
        ("outer", "vec2", x[0], x[1]),
        ("ger", "vec2", x[0], x[1]),
    ]:
        theirs = getattr(torch, name)(input=torch.tensor(a), **{kwarg: torch.tensor(o)})
        ours = getattr(gradiente, name)(input=gradiente.tensor(a), **{kwarg: gradiente.tensor(o)})
        _same(ours, theirs)
        _same(getattr(gradiente.tensor(a), name)(**{kwarg: gradiente.tensor(o)}), theirs)


# --- 4. deprecated forms: set_default_tensor_type, data[0] of a 0-d tensor ----------------------


def test_set_default_tensor_type():
    try:
        for m in (torch, gradiente):
            with pytest.warns(UserWarning, match="set_default_tensor_type"):
                m.set_default_tensor_type("torch.DoubleTensor")
            assert str(m.tensor([1.0]).dtype) == "torch.float64"
            m.set_default_tensor_type(m.FloatTensor)
            assert str(m.tensor([1.0]).dtype) == "torch.float32"
    finally:
        torch.set_default_dtype(torch.float32)
        gradiente.set_default_dtype(gradiente.float32)
    for arg in ("torch.LongTensor", "float64", "torch.cuda.FloatTensor"):
        _raises_alike(
            lambda a=arg: gradiente.set_default_tensor_type(
                getattr(gradiente, a) if a == "float64" else a
            ),
            lambda a=arg: torch.set_default_tensor_type(getattr(torch, a) if a == "float64" else a),
        )


@pytest.mark.parametrize("index", [0, -1, 2, slice(None), [0], (0, 0)])
def test_indexing_a_0d_tensor_errors_as_torch(index):
    _raises_alike(lambda: gradiente.tensor(1.5).data[index], lambda: torch.tensor(1.5).data[index])


def test_writing_at_an_int_index_of_a_0d_tensor_errors_as_torch():
    def write(m):
        t = m.tensor(1.5)
        t[0] = 2

    _raises_alike(lambda: write(gradiente), lambda: write(torch))


# --- 5. NaN in unique / nanquantile / nanmedian, where(x), index_reduce ------------------------

_NAN_AND_INDEX_REDUCE = """
import torch
nan = float('nan'); a = torch.tensor([3.0, nan, 1.0, nan, 3.0])
print(torch.unique(a), torch.unique(a, return_inverse=True, return_counts=True))
print(torch.unique(a, sorted=False), torch.unique_consecutive(torch.tensor([nan, nan, 1.])))
print(torch.nanquantile(a, 0.5), torch.nanquantile(a, torch.tensor([0.25, 0.9])))
print(torch.nanquantile(torch.tensor([[nan, nan], [1., 2.]]), 0.5, dim=1, keepdim=True))
print(torch.nanquantile(torch.tensor([nan, 1., 2., 5.]), 0.5, interpolation='lower'))
q = torch.tensor([0.1, 0.5])
print(torch.nanquantile(torch.tensor([[nan, 1., 4.], [2., 3., 5.]]), q, dim=0))
print(torch.nanmedian(a), torch.nanmedian(torch.tensor([[nan, 2., 1.], [nan, nan, nan]]), dim=1))
print(torch.where(torch.tensor([[0, 1], [1, 1]])), torch.where(torch.tensor([0., 2., nan])))
print(torch.where(torch.tensor(3)), torch.where(torch.tensor(0)), torch.tensor(3).nonzero().shape)
x = torch.ones(3, 2)
for red in ['prod', 'mean', 'amax', 'amin']:
    for inc in (True, False):
        print(red, inc, x.index_reduce(0, torch.tensor([0, 0, 2]), torch.arange(6.).view(3, 2) - 2,
                                       red, include_self=inc))
i, src = torch.tensor([0, 0, 2]), torch.arange(6.).view(3, 2)
print(torch.ones(3, 2).index_reduce_(0, i, src, 'amax'))
i, src = torch.tensor([1, 1, 0]), torch.arange(6.).view(2, 3)
print(torch.index_reduce(torch.ones(2, 3), 1, i, src, 'mean'))
print(torch.ones(2, 3, dtype=torch.int64).index_reduce(1, i, src.long(), 'mean'))
for bad in [lambda: x.index_reduce(0, torch.tensor([0, 0, 2]), torch.arange(6.).view(3, 2), 'sum'),
            lambda: x.index_reduce(0, torch.tensor([0, 5, 2]), torch.arange(6.).view(3, 2), 'prod'),
            lambda: x.index_reduce(0, torch.tensor([0, 1]), torch.arange(6.).view(3, 2), 'prod')]:
    try: print(bad())
    except Exception as e: print(type(e).__name__, e)
s = torch.tensor([[1., 5.], [2., 2.], [3., 0.5]], requires_grad=True)
b = torch.tensor([[2., 1.], [1., 1.]], requires_grad=True)
for red in ['prod', 'mean', 'amax', 'amin']:
    for inc in (True, False):
        y = b.index_reduce(0, torch.tensor([0, 0, 1]), s, red, include_self=inc)
        g, gb = torch.autograd.grad((y * torch.tensor([[1., 2.], [3., 4.]])).sum(), [s, b])
        print(red, inc, g, gb)
"""


def test_nan_statistics_where_and_index_reduce_print_as_in_torch():
    theirs, ours = torch_and_gradiente_print(_NAN_AND_INDEX_REDUCE)
    assert ours == theirs


def test_nanquantile_and_index_reduce_gradcheck():
    x = np.random.default_rng(4).standard_normal((3, 5))
    x[0, 1] = x[2, 3] = x[2, 0] = np.nan
    t = gradiente.tensor(x, requires_grad=True)
    assert gradcheck(lambda a: a.nanquantile(gradiente.tensor([0.3, 0.6], dtype=a.dtype), 1), (t,))
    s = gradiente.tensor(np.random.default_rng(5).standard_normal((4, 2)), requires_grad=True)
    base = gradiente.tensor(np.random.default_rng(6).standard_normal((3, 2)), requires_grad=True)
    idx = gradiente.tensor([0, 2, 0, 1])
    for reduce in ("prod", "mean", "amax", "amin"):
        assert gradcheck(lambda a, b, r=reduce: a.index_reduce(0, idx, b, r), (base, s))


# --- 6./7. keyword spellings, generators, tensors as sizes and dims --------------------------


def test_arange_end_keyword_and_cat_of_a_generator():
    _same(gradiente.arange(end=3), torch.arange(end=3))
    _same(gradiente.arange(1, end=4), torch.arange(1, end=4))
    _raises_alike(lambda: gradiente.arange(), lambda: torch.arange())
    for op in ("cat", "stack"):
        _raises_alike(
            lambda o=op: getattr(gradiente, o)(t for t in [gradiente.ones(2)]),
            lambda o=op: getattr(torch, o)(t for t in [torch.ones(2)]),
        )
        _raises_alike(
            lambda o=op: getattr(gradiente, o)({"a": gradiente.ones(2)}.values()),
            lambda o=op: getattr(torch, o)({"a": torch.ones(2)}.values()),
        )


def test_integer_tensors_as_sizes_and_dims():
    assert gradiente.Size(gradiente.tensor([2, 3])) == torch.Size(torch.tensor([2, 3]))
    assert repr(gradiente.Size([gradiente.tensor(2), 3])) == "torch.Size([2, 3])"
    _raises_alike(
        lambda: gradiente.Size(gradiente.tensor([2.5])), lambda: torch.Size(torch.tensor([2.5]))
    )
    for m in (torch, gradiente):
        x = m.arange(6.0).view(2, 3)
        assert x.sum(dim=m.tensor(1)).tolist() == [3.0, 12.0]
        assert x.cumsum(m.tensor(1)).tolist() == [[0.0, 1.0, 3.0], [3.0, 7.0, 12.0]]
        assert x.size(m.tensor(1)) == 3
        assert x.unsqueeze(m.tensor(0)).shape == (1, 2, 3)
    for op in ("zeros", "ones", "empty"):
        _raises_alike(lambda o=op: getattr(gradiente, o)(), lambda o=op: getattr(torch, o)())
        assert getattr(gradiente, op)(()).shape == ()


# --- 8. constructor corner cases ---------------------------------------------------------------


def test_negative_sizes_error_as_torch():
    for call in (
        lambda m: m.ones(-1),
        lambda m: m.zeros(2, -3),
        lambda m: m.zeros(-1),
        lambda m: m.empty(2, -3),
        lambda m: m.full((-1,), 1.0),
    ):
        _raises_alike(lambda c=call: c(gradiente), lambda c=call: c(torch))


def test_frombuffer_shares_memory():
    import array

    for m in (torch, gradiente):
        a = array.array("f", [1.0, 2.0, 3.0])
        t = m.frombuffer(a, dtype=m.float32)
        t[0] = 9
        assert a[0] == 9 and str(t.dtype) == "torch.float32"
        assert m.frombuffer(a, dtype=m.float32, count=1, offset=4).tolist() == [2.0]
        assert m.frombuffer(bytearray(b"\x01\x00\x02\x00"), dtype=m.int16).tolist() == [1, 2]
    for kwargs in (
        {"buffer": bytearray(b""), "dtype": "int8"},
        {"buffer": bytearray(3), "dtype": "int16"},
        {"buffer": bytearray(4), "dtype": "int8", "offset": 5},
        {"buffer": bytearray(4), "dtype": "int8", "count": 5},
        {"buffer": bytearray(4)},
    ):
        _raises_alike(
            lambda k=kwargs: gradiente.frombuffer(
                **{**k, **({"dtype": getattr(gradiente, k["dtype"])} if "dtype" in k else {})}
            ),
            lambda k=kwargs: torch.frombuffer(
                **{**k, **({"dtype": getattr(torch, k["dtype"])} if "dtype" in k else {})}
            ),
        )
    with pytest.warns(UserWarning, match="not writable"):
        gradiente.frombuffer(b"\x01\x02", dtype=gradiente.int8)


# --- 9. np.array of a tensor that requires grad; ~ of a float tensor ---------------------------


def test_numpy_conversion_and_invert_errors_as_torch():
    _raises_alike(
        lambda: np.array(gradiente.ones(2, requires_grad=True)),
        lambda: np.array(torch.ones(2, requires_grad=True)),
    )
    _raises_alike(lambda: ~gradiente.tensor([1.0]), lambda: ~torch.tensor([1.0]))
    _same(~gradiente.tensor([1, 2]), ~torch.tensor([1, 2]))
    _same(gradiente.bitwise_not(gradiente.tensor([True])), torch.bitwise_not(torch.tensor([True])))
    assert np.array(gradiente.ones(2, requires_grad=True).detach()).tolist() == [1.0, 1.0]


# --- 10. autograd / in-place checks ------------------------------------------------------------

_INPLACE_CHECKS = """
import torch
def tr(f):
    try: r = f(); print('ok', r)
    except Exception as e: print(type(e).__name__, str(e))
a = torch.ones(2, 2, requires_grad=True)
with torch.no_grad(): v = a[0]
tr(lambda: v.mul_(2))
b = torch.ones(2, 2)
with torch.no_grad(): w = b[0]
tr(lambda: w.mul_(2))
c = torch.ones(2, 2, requires_grad=True) * 1
with torch.no_grad(): u = c[0]
tr(lambda: u.mul_(2))
tr(lambda: u.add_(torch.ones(2, requires_grad=True)))
with torch.no_grad(): u2 = b[0]
tr(lambda: u2.add_(torch.ones(2, requires_grad=True)))
with torch.no_grad(): v.mul_(2)
print(a)
x = torch.ones(2); x.add_(1); x[0] = 3; print(x._version)
y = x[1:]; y.mul_(2); print(x._version, y._version)
x.zero_(); x.fill_(1); x.copy_(torch.ones(2)); print(x._version)
t = torch.ones(3, requires_grad=True).clone(); tr(lambda: t.expand(2, 3).add_(1))
tr(lambda: torch.ones(1, 3).expand(2, 3).add_(1))
tr(lambda: torch.ones(1, 3).expand(2, 3).copy_(torch.zeros(2, 3)))
tr(lambda: torch.ones(1, 3).expand(1, 3).add_(1))
tr(lambda: torch.ones(1).expand(3).exp_())
a = torch.ones(3, requires_grad=True)
for g in [torch.ones(2), torch.ones(3, dtype=torch.float64), 3, torch.ones(3, 1), torch.zeros(3)]:
    def s(): a.grad = g
    tr(s)
a.grad = None; print(a.grad)
p = torch.nn.Parameter(torch.ones(3))
def s2(): p.grad = torch.ones(2)
tr(s2)
"""


def test_inplace_and_grad_assignment_checks_print_as_in_torch():
    theirs, ours = torch_and_gradiente_print(_INPLACE_CHECKS)
    assert ours == theirs
