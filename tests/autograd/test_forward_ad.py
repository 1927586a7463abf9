"""torch.autograd.forward_ad against PyTorch: tangents of ops and modules, levels, errors."""

from __future__ import annotations

import numpy as np
import pytest

import gradiente
import gradiente.autograd.forward_ad as gfw

torch = pytest.importorskip("torch")
tfw = torch.autograd.forward_ad


def _pair(*shape, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    return torch.tensor(a), gradiente.tensor(a)


def _run(fw, x, v, f):
    with fw.dual_level():
        dual = fw.make_dual(x, v)
        y = f(dual)
        primal, tangent = fw.unpack_dual(y)
        return primal.detach().numpy(), tangent.detach().numpy(), primal.requires_grad


def _modules(lib, seed):
    lib.manual_seed(seed)
    return {
        "linear": lib.nn.Linear(5, 3).double(),
        "mlp": lib.nn.Sequential(
            lib.nn.Linear(5, 8), lib.nn.Tanh(), lib.nn.Linear(8, 8), lib.nn.GELU()
        ).double(),
    }


@pytest.mark.parametrize(
    "name",
    ["tanh", "softmax", "matmul", "sum", "linear", "mlp", "linear_nograd_params"],
)
def test_tangents_match_torch(name):
    tx, gx = _pair(4, 5)
    tv, gv = _pair(4, 5, seed=1)
    tm, gm = _modules(torch, 3), _modules(gradiente, 3)
    if name == "linear_nograd_params":
        for m in (tm["linear"], gm["linear"]):
            m.requires_grad_(False)
        name = "linear"
    ops = {
        "tanh": lambda lib, m: lambda d: d.tanh(),
        "softmax": lambda lib, m: lambda d: lib.softmax(d * 2, dim=1),
        "matmul": lambda lib, m: lambda d: lib.matmul(d, d.T) + d.exp().sum(),
        "sum": lambda lib, m: lambda d: (d * 3).sum(),
        "linear": lambda lib, m: m["linear"],
        "mlp": lambda lib, m: m["mlp"],
    }
    want = _run(tfw, tx, tv, ops[name](torch, tm))
    got = _run(gfw, gx, gv, ops[name](gradiente, gm))
    np.testing.assert_allclose(got[0], want[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=0, atol=1e-12)
    assert got[2] == want[2]


def test_conv2d_tangent_with_two_duals():
    tx, gx = _pair(2, 3, 6, 6)
    tv, gv = _pair(2, 3, 6, 6, seed=1)
    tw, gw = _pair(4, 3, 3, 3, seed=2)
    twv, gwv = _pair(4, 3, 3, 3, seed=3)
    results = []
    for lib, fw, x, v, w, wv in (
        (torch, tfw, tx, tv, tw, twv),
        (gradiente, gfw, gx, gv, gw, gwv),
    ):
        with fw.dual_level():
            y = lib.nn.functional.conv2d(
                fw.make_dual(x, v), fw.make_dual(w, wv), stride=1, padding=1
            )
            results.append(fw.unpack_dual(y.relu()).tangent.numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=0, atol=1e-12)


def test_unpack_dual_of_the_dual_and_of_plain_tensors():
    _, x = _pair(3)
    _, v = _pair(3, seed=1)
    with gfw.dual_level() as level:
        assert level == 0
        dual = gfw.make_dual(x, v)
        unpacked = gfw.unpack_dual(dual)
        assert isinstance(unpacked, gfw.UnpackedDualTensor)
        assert unpacked._fields == ("primal", "tangent")
        assert unpacked.tangent is v
        assert not unpacked.primal.requires_grad
        plain = gradiente.ones(2)
        primal, tangent = gfw.unpack_dual(plain)
        assert tangent is None and primal is plain
        # an output computed without the dual has no tangent either
        assert gfw.unpack_dual(x.exp()).tangent is None
    # after the level the tangents are gone, and the tensor itself comes back
    primal, tangent = gfw.unpack_dual(dual)
    assert tangent is None and primal is dual


def test_tangent_is_differentiable_when_the_primal_requires_grad():
    results = []
    for lib, fw in ((torch, tfw), (gradiente, gfw)):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        v = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
        with fw.dual_level():
            y = fw.make_dual(x, v).sin() * x
            primal, tangent = fw.unpack_dual(y)
            assert primal.requires_grad and tangent.requires_grad
            (gx,) = lib.autograd.grad(tangent.sum(), x)
        results.append(gx.numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=0, atol=1e-12)


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


def _errors(lib, fw) -> list:
    """(type, message) of each misuse, in order."""
    x = lib.zeros(3, dtype=lib.float64)
    found = [_error(lambda: fw.make_dual(x, lib.ones(3, dtype=lib.float64)))]
    with fw.dual_level():
        found.append(_error(lambda: fw.make_dual(x, lib.ones(4, dtype=lib.float64))))
        found.append(_error(lambda: fw.make_dual(lib.arange(3), lib.arange(3))))
        found.append(_error(lambda: fw.make_dual(x, lib.arange(3))))
        found.append(_error(lambda: fw.make_dual(x, lib.ones(3), level=5)))
        dual = fw.make_dual(x, lib.ones(3, dtype=lib.float64))
        found.append(_error(lambda: fw.make_dual(dual * 2, lib.ones(3, dtype=lib.float64))))
        found.append(_error(lambda: fw.dual_level().__enter__()))
        found.append(_error(fw.enter_dual_level))
    found.append(_error(fw.exit_dual_level))
    level = fw.enter_dual_level()
    found.append(_error(lambda: fw.exit_dual_level(level=level + 3)))
    fw.exit_dual_level(level=level)
    return found


def test_errors_match_torch():
    assert _errors(gradiente, gfw) == _errors(torch, tfw)


def test_a_float32_tangent_is_kept_as_given():
    with gfw.dual_level():
        v = gradiente.ones(3)
        dual = gfw.make_dual(gradiente.zeros(3, dtype=gradiente.float64), v)
        assert gfw.unpack_dual(dual).tangent.dtype == gradiente.float32
        assert gfw.unpack_dual(dual.exp()).tangent.dtype == gradiente.float64
