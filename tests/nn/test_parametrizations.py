"""nn.utils.parametrize, nn.utils.parametrizations (weight_norm, spectral_norm), the legacy
weight_norm/spectral_norm hooks and get_total_norm/clip_grads_with_norm_ against torch:
values, gradients, random power-iteration starts, state_dict keys, class names, errors."""

import copy
import os
import pickle

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from conftest import assert_same, check_op, run_with_torch_alias

torch = pytest.importorskip("torch")

LIBS = {"gradiente": gradiente, "torch": torch}


def _symmetric(lib):
    """torch's tutorial parametrization: X ↦ triu(X) + triu(X, 1)ᵀ, with a right inverse."""

    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()

    return Symmetric()


def _scale(lib, factor):
    class Scale(lib.nn.Module):
        def forward(self, X):
            return X * factor

        def right_inverse(self, A):
            return A / factor

    return Scale()


def _both(build):
    """Run ``build(lib)`` with the same seed in both libraries."""
    out = {}
    for name, lib in LIBS.items():
        lib.manual_seed(0)
        out[name] = build(lib)
    return out["gradiente"], out["torch"]


def _linear(lib, n=4):
    layer = lib.nn.Linear(n, n, dtype=lib.float64)
    return layer


def test_register_parametrization_matches_torch():
    def build(lib):
        layer = _linear(lib)
        lib.nn.utils.parametrize.register_parametrization(layer, "weight", _symmetric(lib))
        x = lib.arange(8.0, dtype=lib.float64).reshape(2, 4) / 7
        y = layer(x)
        (y * lib.arange(8.0, dtype=lib.float64).reshape(2, 4)).sum().backward()
        return layer, y

    (g, gy), (t, ty) = _both(build)
    assert type(g).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert isinstance(g, gradiente.nn.Linear)
    assert repr(g) == repr(t).replace("_symmetric.<locals>.", "")
    assert list(g.state_dict()) == list(t.state_dict())
    assert_same(g.weight, t.weight)
    assert_same(gy, ty)
    original = g.parametrizations.weight.original
    assert_same(original.grad, t.parametrizations.weight.original.grad, what="grad")
    assert gradiente.nn.utils.parametrize.is_parametrized(g)
    assert gradiente.nn.utils.parametrize.is_parametrized(g, "weight")
    assert not gradiente.nn.utils.parametrize.is_parametrized(g, "bias")
    assert gradiente.nn.utils.parametrize.type_before_parametrizations(g) is gradiente.nn.Linear
    assert "weight" not in dict(g.named_parameters())
    assert type(gradiente.nn.Linear(2, 2)).__name__ == "Linear"  # other instances untouched


def test_parametrized_weight_gradcheck():
    """layer.weight as a function of the parameter that now holds its original."""
    layer = _linear(gradiente)
    gradiente.nn.utils.parametrizations.weight_norm(layer)
    gradiente.nn.utils.parametrize.register_parametrization(layer, "weight", _symmetric(gradiente))
    p = layer.parametrizations.weight
    assert gradiente.autograd.gradcheck(lambda g, v: layer.weight, (p.original0, p.original1))


def test_assignment_chaining_and_removal_match_torch():
    def build(lib):
        layer = _linear(lib)
        P = lib.nn.utils.parametrize
        P.register_parametrization(layer, "weight", _symmetric(lib))
        P.register_parametrization(layer, "weight", _scale(lib, 3.0))
        target = lib.arange(16.0, dtype=lib.float64).reshape(4, 4)
        target = target + target.T
        layer.weight = target  # right_inverse through both, in reverse order
        states = [layer.weight.clone(), layer.parametrizations.weight.original.clone()]
        keys = [list(layer.state_dict())]
        P.remove_parametrizations(layer, "weight", leave_parametrized=False)
        states.append(layer.weight.clone())
        keys.append(list(layer.state_dict()))
        keys.append(type(layer).__name__)
        return states, keys

    (gs, gk), (ts, tk) = _both(build)
    assert gk == tk
    for a, b in zip(gs, ts, strict=True):
        assert_same(a, b)


def test_remove_parametrizations_leaves_the_value():
    def build(lib):
        layer = _linear(lib)
        P = lib.nn.utils.parametrize
        P.register_parametrization(layer, "weight", _scale(lib, 2.0))
        before = layer.weight.detach().clone()
        P.remove_parametrizations(layer, "weight")
        return before, layer.weight, type(layer).__name__, hasattr(layer, "parametrizations")

    (gb, gw, gname, gp), (tb, tw, tname, tp) = _both(build)
    assert_same(gw, tw)
    assert_same(gw, gb)
    assert isinstance(gw, gradiente.nn.Parameter)
    assert (gname, gp) == (tname, tp) == ("Linear", False)


def test_cached_computes_once():
    calls = []

    class Counting(gradiente.nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 2

    layer = gradiente.nn.Linear(3, 3)
    gradiente.nn.utils.parametrize.register_parametrization(layer, "weight", Counting())
    calls.clear()
    with gradiente.nn.utils.parametrize.cached():
        first, second = layer.weight, layer.weight
    assert first is second and len(calls) == 1
    _ = layer.weight
    assert len(calls) == 2


@pytest.mark.parametrize("case", ["missing", "shape", "not_tensor", "dtype"])
def test_registration_errors_match_torch(case):
    def call(lib):
        class Shape(lib.nn.Module):
            def forward(self, X):
                return X[:1]

        class NotTensor(lib.nn.Module):
            def forward(self, X):
                return 1.0

        class Dtype(lib.nn.Module):
            def forward(self, X):
                return X.double()

        layer = lib.nn.Linear(2, 2)
        module = {"missing": Dtype(), "shape": Shape(), "not_tensor": NotTensor(), "dtype": Dtype()}
        name = "nonexistent" if case == "missing" else "weight"
        lib.nn.utils.parametrize.register_parametrization(layer, name, module[case])

    with pytest.raises(Exception) as expected:
        call(torch)
    with pytest.raises(expected.type) as actual:
        call(gradiente)
    if case != "missing":  # that message contains the module's repr
        assert str(actual.value) == str(expected.value)


def test_parametrized_module_deepcopies_and_refuses_pickle():
    layer = gradiente.nn.Linear(3, 3)
    gradiente.nn.utils.parametrizations.weight_norm(layer)
    clone = copy.deepcopy(layer)
    assert_same(clone.weight, to_torch_like(layer.weight))
    assert clone.parametrizations.weight.original1 is not layer.parametrizations.weight.original1
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(layer)


def to_torch_like(t):
    return torch.from_numpy(t.detach().numpy().copy())


@pytest.mark.parametrize("dim", [0, 1, None, -2])
def test_weight_norm_matches_torch(dim):
    def build(lib):
        conv = lib.nn.Conv2d(3, 4, 2, dtype=lib.float64)
        lib.nn.utils.parametrizations.weight_norm(conv, dim=dim)
        y = conv(lib.arange(48.0, dtype=lib.float64).reshape(1, 3, 4, 4) / 40)
        (y * y).sum().backward()
        p = conv.parametrizations.weight
        return conv, y, p.original0, p.original1

    (gc, gy, g0, g1), (tc, ty, t0, t1) = _both(build)
    assert list(gc.state_dict()) == list(tc.state_dict())
    assert_same(g0, t0)
    assert_same(gy, ty)
    assert_same(g0.grad, t0.grad, what="grad g")
    assert_same(g1.grad, t1.grad, what="grad v")


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_weight_norm_math_gradcheck(dim):
    from gradiente.nn.utils.weight_norm import _weight_norm

    rng = np.random.default_rng(dim + 5)
    v = rng.standard_normal((3, 4))
    g = rng.standard_normal(() if dim == -1 else ((3, 1) if dim == 0 else (1, 4)))

    def op(lib, v, g):
        weight_norm = _weight_norm if lib is gradiente else torch._weight_norm
        return weight_norm(v, g, dim)

    check_op(op, v, g)
    assert gradiente.autograd.gradcheck(
        lambda v, g: _weight_norm(v, g, dim),
        (gradiente.tensor(v, requires_grad=True), gradiente.tensor(g, requires_grad=True)),
    )


def test_weight_norm_loads_a_legacy_state_dict():
    legacy = gradiente.nn.Linear(3, 2)
    with pytest.warns(FutureWarning):
        gradiente.nn.utils.weight_norm(legacy)
    modern = gradiente.nn.utils.parametrizations.weight_norm(gradiente.nn.Linear(3, 2))
    modern.load_state_dict(legacy.state_dict())
    x = gradiente.ones(1, 3)
    assert_same(modern(x), to_torch_like(legacy(x)))


@pytest.mark.parametrize("layer", ["linear", "conv", "conv_transpose"])
@pytest.mark.parametrize("n_power_iterations", [1, 3])
def test_spectral_norm_matches_torch(layer, n_power_iterations):
    """Same seed, same random u and v; then the training-mode power steps and eval mode."""

    def build(lib):
        module = {
            "linear": lambda: lib.nn.Linear(5, 4),
            "conv": lambda: lib.nn.Conv2d(2, 3, 3),
            "conv_transpose": lambda: lib.nn.ConvTranspose2d(3, 2, 2),
        }[layer]()
        lib.nn.utils.parametrizations.spectral_norm(module, n_power_iterations=n_power_iterations)
        x = lib.ones(2, 5) if layer == "linear" else lib.ones(1, module.in_channels, 4, 4)
        outs = []
        for _ in range(2):
            y = module(x)
            (y * y).sum().backward()
            outs.append(y)
        module.eval()
        outs.append(module(x))
        sn = module.parametrizations.weight
        return list(module.state_dict()), outs, sn[0]._u, sn[0]._v, sn.original.grad

    (gk, gouts, gu, gv, ggrad), (tk, touts, tu, tv, tgrad) = _both(build)
    assert gk == tk
    tol = {"rtol": 1e-5, "atol": 1e-6}
    for a, b in zip(gouts, touts, strict=True):
        assert_same(a, b, **tol)
    assert_same(gu, tu, **tol, what="u")
    assert_same(gv, tv, **tol, what="v")
    assert_same(ggrad, tgrad, **tol, what="grad")


def test_spectral_norm_errors_match_torch():
    for kwargs in ({"n_power_iterations": 0}, {"dim": 2}):
        with pytest.raises(Exception) as expected:
            torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(2, 2), **kwargs)
        with pytest.raises(expected.type) as actual:
            gradiente.nn.utils.parametrizations.spectral_norm(gradiente.nn.Linear(2, 2), **kwargs)
        assert str(actual.value) == str(expected.value)


@pytest.mark.parametrize("dim", [0, None])
def test_legacy_weight_norm_matches_torch(dim):
    def build(lib):
        conv = lib.nn.Conv1d(2, 3, 2, dtype=lib.float64)
        with pytest.warns(FutureWarning, match="deprecated in favor of"):
            lib.nn.utils.weight_norm(conv, dim=dim)
        keys = list(conv.state_dict())
        y = conv(lib.arange(10.0, dtype=lib.float64).reshape(1, 2, 5))
        (y * y).sum().backward()
        grads = (conv.weight_g.grad, conv.weight_v.grad)
        with pytest.raises(RuntimeError) as twice:
            lib.nn.utils.weight_norm(conv, dim=dim)
        lib.nn.utils.remove_weight_norm(conv)
        with pytest.raises(ValueError) as missing:
            lib.nn.utils.remove_weight_norm(conv)
        messages = (str(twice.value), str(missing.value).split(" in ")[0])
        return keys + list(conv.state_dict()), y, grads, conv.weight, messages

    (gk, gy, gg, gw, gm), (tk, ty, tg, tw, tm) = _both(build)
    assert gk == tk
    assert gm == tm
    assert_same(gy, ty)
    assert_same(gg[0], tg[0], what="grad g")
    assert_same(gg[1], tg[1], what="grad v")
    assert_same(gw, tw)


def test_legacy_spectral_norm_matches_torch():
    def build(lib):
        conv = lib.nn.Conv2d(2, 3, 3)
        lib.nn.utils.spectral_norm(conv, n_power_iterations=2)
        keys = list(conv.state_dict())
        x = lib.ones(1, 2, 4, 4)
        outs = []
        for _ in range(2):
            y = conv(x)
            (y * y).sum().backward()
            outs.append(y)
        conv.eval()
        outs.append(conv(x))
        grad, u, v = conv.weight_orig.grad, conv.weight_u.clone(), conv.weight_v.clone()
        lib.nn.utils.remove_spectral_norm(conv)
        return keys + list(conv.state_dict()), outs, grad, u, v, conv.weight

    (gk, go, gg, gu, gv, gw), (tk, to, tg, tu, tv, tw) = _both(build)
    assert gk == tk
    tol = {"rtol": 1e-5, "atol": 1e-6}
    for a, b in zip(go, to, strict=True):
        assert_same(a, b, **tol)
    for a, b, what in ((gg, tg, "grad"), (gu, tu, "u"), (gv, tv, "v"), (gw, tw, "weight")):
        assert_same(a, b, **tol, what=what)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 3.0])
def test_get_total_norm_and_clip_grads_with_norm_match_torch(norm_type):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(5) * 9]
    arrays[1] = arrays[1].astype(np.float32)
    results = {}
    for name, lib in LIBS.items():
        params = [lib.tensor(a, requires_grad=True) for a in arrays]
        for p, a in zip(params, arrays, strict=True):
            p.grad = lib.tensor(a * 2)
        total = lib.nn.utils.get_total_norm([p.grad for p in params], norm_type)
        lib.nn.utils.clip_grads_with_norm_(params, 1.5, total)
        results[name] = (total, [p.grad for p in params])
    (gt, gg), (tt, tg) = results["gradiente"], results["torch"]
    assert_same(gt, tt, rtol=1e-6, atol=1e-6)
    for a, b in zip(gg, tg, strict=True):
        assert_same(a, b, rtol=1e-6, atol=1e-6)
    assert_same(gradiente.nn.utils.get_total_norm([]), torch.nn.utils.get_total_norm([]))


def test_get_total_norm_nonfinite_error_matches_torch():
    with pytest.raises(RuntimeError) as expected:
        torch.nn.utils.get_total_norm([torch.tensor([float("inf")])], error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as actual:
        gradiente.nn.utils.get_total_norm(
            [gradiente.tensor([float("inf")])], error_if_nonfinite=True
        )
    assert str(actual.value) == str(expected.value)


def test_torch_alias_imports():
    result = run_with_torch_alias(
        """
        import torch
        from torch.nn.utils import parametrize, spectral_norm, weight_norm, remove_weight_norm
        from torch.nn.utils.parametrize import register_parametrization, cached
        from torch.nn.utils.parametrizations import weight_norm as wn, spectral_norm as sn
        from torch.nn.utils.clip_grad import clip_grad_norm_
        from torch.nn.utils.rnn import pad_sequence
        from torch.nn.utils import get_total_norm, clip_grads_with_norm_
        m = sn(torch.nn.Linear(2, 2))
        print(type(m).__name__, sorted(m.state_dict()))
        """
    )
    assert result.returncode == 0, result.stderr
    assert "ParametrizedLinear" in result.stdout
    assert "parametrizations.weight.original" in result.stdout


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
@pytest.mark.parametrize("orthogonal_map", [None, "matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("use_trivialization", [True, False])
def test_orthogonal_matches_torch(shape, orthogonal_map, use_trivialization):
    """Registration (the QR of the weight, random columns completing a non-square base, drawn
    as torch draws them), three SGD steps, then assigning an orthogonal weight."""

    def build(lib):
        layer = lib.nn.Linear(shape[1], shape[0], dtype=lib.float64)
        lib.nn.utils.parametrizations.orthogonal(
            layer, orthogonal_map=orthogonal_map, use_trivialization=use_trivialization
        )
        opt = lib.optim.SGD(layer.parameters(), lr=0.1)
        x = lib.arange(2.0 * shape[1], dtype=lib.float64).reshape(2, shape[1]) / 5
        outs = []
        for _ in range(3):
            opt.zero_grad()
            y = layer(x)
            (y * y).sum().backward()
            opt.step()
            outs.append(y)
        outs += [layer.weight, layer.parametrizations.weight.original]
        if use_trivialization:
            with lib.no_grad():
                layer.weight = layer.weight.flip(0)
            outs.append(layer.weight)
        return list(layer.state_dict()), outs

    (gk, gouts), (tk, touts) = _both(build)
    assert gk == tk
    for a, b in zip(gouts, touts, strict=True):
        assert_same(a, b, rtol=1e-10, atol=1e-12)
    w = gouts[3].detach().numpy()  # the weight after the steps
    gram = w @ w.T if shape[0] <= shape[1] else w.T @ w
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-12)


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(4, 3), (3, 3)])
def test_orthogonal_gradcheck(orthogonal_map, shape):
    layer = gradiente.nn.Linear(shape[1], shape[0], dtype=gradiente.float64)
    gradiente.nn.utils.parametrizations.orthogonal(
        layer, orthogonal_map=orthogonal_map, use_trivialization=False
    )
    original = layer.parametrizations.weight.original
    if orthogonal_map != "householder":
        assert gradiente.autograd.gradcheck(lambda x: layer.weight, (original,))
        return
    # householder reads X's diagonal as signs ±1 (a step function): vary the rest only
    orth = layer.parametrizations.weight[0]
    X = original.detach()
    below = X.tril(-1).clone().requires_grad_(True)
    fixed = X - X.tril(-1)
    assert gradiente.autograd.gradcheck(lambda L: orth(L.tril(-1) + fixed), (below,))


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(2, 2), "bias"),
        lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(2, 2), "nope"),
        lambda lib: lib.nn.utils.parametrizations.orthogonal(
            lib.nn.Linear(2, 2), orthogonal_map="qr"
        ),
    ],
)
def test_orthogonal_errors_match_torch(call):
    with pytest.raises(Exception) as expected:
        call(torch)
    with pytest.raises(expected.type) as actual:
        call(gradiente)
    if "has no parameter" not in str(expected.value):  # that one shows the module's repr
        assert str(actual.value) == str(expected.value)
