"""torch.func against PyTorch: jacfwd, linearize, hessian, and vmap / grad / functional_call
details (nested in_dims, out_dims, chunk_size, .item(), strict keys, tied weights, errors)."""

from __future__ import annotations

import numpy as np
import pytest

import gradiente
import gradiente.func as gfunc

torch = pytest.importorskip("torch")
import torch.func as tfunc  # noqa: E402

RNG = np.random.default_rng(0)
XA, YA = RNG.standard_normal(3), RNG.standard_normal(2)


def _same(want, got, path="result"):
    """Same pytree types and structure, same shapes, values equal to 1e-12."""
    if isinstance(want, dict):
        assert type(got) is dict and want.keys() == got.keys(), path
        for k in want:
            _same(want[k], got[k], f"{path}[{k!r}]")
    elif isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want), path
        for i, (w, g) in enumerate(zip(want, got)):
            _same(w, g, f"{path}[{i}]")
    else:
        assert tuple(got.shape) == tuple(want.shape), (path, got.shape, want.shape)
        np.testing.assert_allclose(
            got.detach().numpy(), want.detach().numpy(), rtol=0, atol=1e-12, err_msg=path
        )


CASES = {
    "tree_outputs_tuple_argnums": lambda lib, F, x, y: F.jacfwd(
        lambda x, y: {"a": x.sin() * y.sum(), "b": (lib.outer(x, y),)}, argnums=(0, 1)
    )(x, y),
    "has_aux": lambda lib, F, x, y: F.jacfwd(lambda x: (x.sin(), x.sum()), has_aux=True)(x),
    "dict_input": lambda lib, F, x, y: F.jacfwd(lambda d: (d["p"] * d["q"]).sum())(
        {"p": x, "q": x * 2}
    ),
    "second_argnum": lambda lib, F, x, y: F.jacfwd(lambda x, y: x.exp() * y[0], argnums=1)(x, y),
    "output_without_input": lambda lib, F, x, y: F.jacfwd(lambda x: (x.sum().detach() * x, y))(x),
    "jacfwd_of_jacfwd": lambda lib, F, x, y: F.jacfwd(F.jacfwd(lambda x: x.sin() * x))(x),
    "jacrev_of_jacfwd": lambda lib, F, x, y: F.jacrev(F.jacfwd(lambda x: x.sin() * x.sum()))(x),
    "hessian": lambda lib, F, x, y: F.hessian(lambda x: (x.exp() * x).sum())(x),
    "hessian_tuple_argnums": lambda lib, F, x, y: F.hessian(
        lambda x, y: (x * x * y[0]).sum() + x.sin().prod() * y[1], argnums=(0, 1)
    )(x, y),
    "linearize": lambda lib, F, x, y: (
        lambda out, jvp_fn: (out, jvp_fn(y * 0 + 1.0, x), jvp_fn(y, x * 3))
    )(*F.linearize(lambda a, b: (a.sum() * b, (b * b).tanh()), y, x)),
    "jvp": lambda lib, F, x, y: F.jvp(lambda a, b: a.sin() * b.sum(), (x, y), (x, y)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_forward_transforms_match_torch(name):
    want = CASES[name](torch, tfunc, torch.tensor(XA), torch.tensor(YA))
    got = CASES[name](gradiente, gfunc, gradiente.tensor(XA), gradiente.tensor(YA))
    _same(want, got)


def test_jacfwd_negative_argnum_is_the_same_argument():
    # torch 2.13's jacfwd returns zeros for argnums=-1 (its jacrev does not): not copied
    x, y = gradiente.tensor(XA), gradiente.tensor(YA)
    f = lambda x, y: x.exp() * y[0]  # noqa: E731
    _same(gfunc.jacrev(f, argnums=1)(x, y), gfunc.jacfwd(f, argnums=-1)(x, y))


def test_jacfwd_gives_the_graph_to_an_outer_grad():
    results = []
    for lib, F in ((torch, tfunc), (gradiente, gfunc)):
        x = lib.tensor(XA, requires_grad=True)
        jac = F.jacfwd(lambda x: x.sin() * x.sum())(x)
        (g,) = lib.autograd.grad(jac.sum(), x)
        results.append(g.numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=0, atol=1e-12)


def _error(fn):
    try:
        result = fn()
    except Exception as e:  # noqa: BLE001 - the error itself is what is compared
        return type(e).__name__, str(e)
    if isinstance(result, tuple):
        return [tuple(r.shape) for r in result]
    return tuple(result.shape), round(float(result.detach().sum()), 10)


def _outcomes(lib, F) -> list:
    """What each call gives: (error type, message), or the result's shape and sum."""
    x = lib.tensor(np.arange(8.0).reshape(4, 2) / 7)
    c = lib.tensor(2.0)
    cases = [
        lambda: F.jacfwd(lambda x: x, argnums=2)(x),
        lambda: F.jacfwd(lambda x: x, argnums=())(x),
        lambda: F.jacfwd(lambda x: x, argnums=[0])(x),
        lambda: F.jacrev(lambda x: x, argnums=-2)(x),
        lambda: F.jacfwd(lambda x: x.sin())(lib.arange(3)),
        lambda: F.jacfwd(lambda x: x, randomness="x")(x),
        lambda: F.grad(lambda t: t * 2)(x),
        lambda: F.grad(lambda t: (t * 2).sum(0, keepdim=True)[:1, :1])(x),
        lambda: F.grad(lambda t: 3.0)(x),
        lambda: F.vmap(lambda t: t.item())(x[:, 0]),
        lambda: F.vmap(lambda t: float(t))(x[0]),
        lambda: F.vmap(lambda t: int(t))(x[1]),
        lambda: F.vmap(lambda t: t * c.item())(x),
        lambda: F.vmap(lambda t, s: t * s.item(), in_dims=(0, None))(x, c),
        lambda: F.vmap(lambda a, b: a[0] + b[1] * 2, in_dims=((0, None), 1))((x, x[0]), x.T),
        lambda: F.vmap(lambda d: d["a"] * 2, in_dims=({"a": 1},))({"a": x}),
        lambda: F.vmap(lambda a, b: a * b, in_dims=(0, None))(x, 2.0),
        lambda: F.vmap(lambda t, k=1: t * k)(x, k=3),
        lambda: F.vmap(lambda a: (a, a * 2), out_dims=(0, 1))(x),
        lambda: F.vmap(lambda a: a * 2, out_dims=(1,))(x),
        lambda: F.vmap(lambda t: (t, c * 3), out_dims=(0, None))(x),
        lambda: F.vmap(lambda a: a * 2, chunk_size=3)(x),
        lambda: F.vmap(F.vmap(lambda a: a.sum() * 2), in_dims=1)(x.reshape(2, 2, 2)),
        lambda: F.vmap(lambda a: (a, a * 2), out_dims=(0,))(x),
        lambda: F.vmap(lambda a: a * 2, chunk_size=0)(x),
        lambda: F.vmap(lambda a: a * 2, in_dims=(0, 0))(x),
        lambda: F.vmap(lambda a: a * 2, in_dims=2)(x),
        lambda: F.vmap(lambda a: a * 2, in_dims=None)(x),
        lambda: F.vmap(lambda a: a * 2, in_dims=[0])(x),
        lambda: F.vmap(lambda a: 3.0)(x),
        lambda: F.vmap(lambda a: a * 2, out_dims=3)(x),
        lambda: F.vmap(lambda a: a * 2, randomness="x")(x),
        lambda: F.vmap(lambda a: a * 2)(),
        lambda: F.vmap(lambda a: a * 2)(lib.tensor(1.0)),
        lambda: F.vmap(lambda a, b: a * b, in_dims=(0, 0))(x, 2.0),
        lambda: F.vmap(lambda a, b: a * b)(x, x[:3]),
        lambda: F.vmap(lambda t: t, in_dims=(None,))(x),
        lambda: F.vmap(lambda t: (t, t.sum()), out_dims=(0, None))(x),
    ]
    return [_error(case) for case in cases]


def test_func_errors_and_vmap_dims_match_torch():
    want, got = _outcomes(torch, tfunc), _outcomes(gradiente, gfunc)
    for i, (w, g) in enumerate(zip(want, got)):
        assert g == w, i


class _Tied:
    """A module with one weight shared by two Linear layers (built in either library)."""

    @staticmethod
    def build(lib):
        class Tied(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = lib.nn.Linear(2, 2, bias=False)
                self.b = lib.nn.Linear(2, 2, bias=False)
                self.b.weight = self.a.weight

            def forward(self, x):
                return self.a(x) + self.b(x) + getattr(self, "extra", 0)

        return Tied()


def _functional_call_outcomes(lib, F) -> list:
    lib.manual_seed(0)
    m = lib.nn.Linear(2, 3)
    x = lib.ones(4, 2)
    p = dict(m.named_parameters())
    tied = _Tied.build(lib)
    w = lib.zeros(2, 2)
    one = lib.ones(1, 2)
    cases = [
        lambda: F.functional_call(m, {"weight": p["weight"]}, (x,), strict=True),
        lambda: F.functional_call(m, {**p, "extra": p["bias"], "zz.y": p["bias"]}, x, strict=True),
        lambda: F.functional_call(m, {"weight": p["weight"], "extra": p["bias"]}, x, strict=True),
        lambda: F.functional_call(m, {**p, "extra": p["bias"]}, (x,)),
        lambda: F.functional_call(m, ({"weight": p["weight"]}, {"weight": p["weight"] * 2}), x),
        lambda: F.functional_call(m, ({"weight": p["weight"] * 2}, {"bias": p["bias"]}), x),
        lambda: F.functional_call(m, p, (x,), {"foo": 1}),
        lambda: F.functional_call(tied, {"a.weight": w}, (one,)),
        lambda: F.functional_call(tied, {"a.weight": w}, (one,), tie_weights=False),
        lambda: F.functional_call(tied, {"a.weight": w, "b.weight": w + 1}, (one,)),
        lambda: F.functional_call(tied, {"a.weight": w, "b.weight": w}, (one,)),
        lambda: F.functional_call(tied, {"a.weight": w, "extra": lib.ones(2)}, (one,)),
        lambda: F.functional_call(tied, {"a.weight": w, "zz.y": lib.ones(2)}, (one,)),
        lambda: F.functional_call(tied, {"a.weight": w}, (one,), strict=True),
        lambda: F.functional_call(tied, {"a.weight": w}, (one,), strict=True, tie_weights=False),
    ]
    found = [_error(case) for case in cases]
    found.append(hasattr(tied, "extra"))
    return found


def test_functional_call_matches_torch():
    want = _functional_call_outcomes(torch, tfunc)
    got = _functional_call_outcomes(gradiente, gfunc)
    for i, (w, g) in enumerate(zip(want, got)):
        assert g == w, i


def test_item_outside_vmap_is_restored():
    x = gradiente.ones(3)
    gfunc.vmap(lambda t: t * 2)(x)
    assert x.sum().item() == 3.0 and float(x[0]) == 1.0
    assert not hasattr(gradiente.Tensor.item, "__wrapped__")


def test_vmap_reads_tensors_built_inside_the_function():
    """A tensor the mapped function builds from constants is the same for every sample, so
    torch lets it be read with .item(); so does gradiente."""
    torch = pytest.importorskip("torch")
    for lib in (torch, gradiente):
        x = lib.arange(6.0).reshape(2, 3)
        out = lib.func.vmap(lambda t, m=lib: t * m.tensor(2.0).item() + m.ones(1).sum().item())(x)
        assert out.tolist() == [[1.0, 3.0, 5.0], [7.0, 9.0, 11.0]]
