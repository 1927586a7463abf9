"""Weight averaging (optim.swa_utils), lazy modules (nn.Lazy*) and pruning (nn.utils.prune),
each compared with torch through the public API."""

from __future__ import annotations

import numpy as np
import pytest

import gradiente

torch = pytest.importorskip("torch")
pytest.importorskip("torch.nn.utils.prune")  # torch.nn.utils does not import it itself


def _pair(lib, seed=0, bn=False):
    """The same small model in gradiente or torch (same seed → same weights)."""
    lib.manual_seed(seed)
    layers = [lib.nn.Linear(4, 3)]
    if bn:
        layers.append(lib.nn.BatchNorm1d(3))
    layers.append(lib.nn.Linear(3, 2))
    return lib.nn.Sequential(*layers)


def _train_steps(lib, model, averaged, steps=4, dtype=None):
    """A few SGD steps on fixed data, folding the weights into ``averaged`` after each."""
    rng = np.random.default_rng(0)
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        x = lib.tensor(rng.standard_normal((5, 4)), dtype=dtype or lib.float32)
        opt.zero_grad()
        model(x).pow(2).sum().backward()
        opt.step()
        averaged.update_parameters(model)


def _state(lib_state):
    return {k: np.asarray(v.detach().numpy()) for k, v in lib_state.items()}


def _assert_states_equal(g_state, t_state, rtol=1e-5, atol=1e-6):
    assert list(g_state) == list(t_state)
    for key in g_state:
        np.testing.assert_allclose(
            g_state[key].detach().numpy(), t_state[key].detach().numpy(), rtol=rtol, atol=atol
        )
        assert str(g_state[key].dtype) == str(t_state[key].dtype)


# ---------------------------------------------------------------------------- swa_utils
@pytest.mark.parametrize(
    "make_kwargs",
    [
        lambda su: {},
        lambda su: {"multi_avg_fn": su.get_ema_multi_avg_fn(0.9)},
        lambda su: {"avg_fn": su.get_ema_avg_fn(0.8)},
        lambda su: {"avg_fn": su.get_swa_avg_fn()},
        lambda su: {"multi_avg_fn": su.get_swa_multi_avg_fn()},
        lambda su: {"multi_avg_fn": su.get_ema_multi_avg_fn(0.9), "use_buffers": True},
        lambda su: {"use_buffers": True},
    ],
)
def test_averaged_model_matches_torch(make_kwargs):
    results = []
    for lib in (gradiente, torch):
        model = _pair(lib, bn=True)
        averaged = lib.optim.swa_utils.AveragedModel(model, **make_kwargs(lib.optim.swa_utils))
        _train_steps(lib, model, averaged)
        results.append(averaged.state_dict())
    _assert_states_equal(*results)
    assert "n_averaged" in results[0] and int(results[0]["n_averaged"]) == 4


def test_averaged_model_float64_and_forward():
    outs = []
    for lib in (gradiente, torch):
        model = _pair(lib).double()
        averaged = lib.optim.swa_utils.AveragedModel(model)
        _train_steps(lib, model, averaged, steps=3, dtype=lib.float64)
        x = lib.ones(2, 4, dtype=lib.float64)
        outs.append(averaged(x).detach().numpy())
        assert averaged.n_averaged.dtype == lib.int64
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12)


def test_averaged_model_errors():
    su = gradiente.optim.swa_utils
    model = gradiente.nn.Linear(2, 2)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        su.AveragedModel(model, avg_fn=su.get_swa_avg_fn(), multi_avg_fn=su.get_swa_multi_avg_fn())
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError) as g_err:
            su.get_ema_avg_fn(bad)
        with pytest.raises(ValueError) as t_err:
            torch.optim.swa_utils.get_ema_multi_avg_fn(bad)
        assert str(g_err.value) == str(t_err.value)


def test_averaged_model_load_state_dict():
    g = gradiente.optim.swa_utils.AveragedModel(_pair(gradiente))
    t = torch.optim.swa_utils.AveragedModel(_pair(torch, seed=3))
    t.n_averaged += 7
    state = {k: gradiente.tensor(v.numpy()) for k, v in t.state_dict().items()}
    g.load_state_dict(state)
    assert int(g.n_averaged) == 7
    _assert_states_equal(g.state_dict(), t.state_dict())


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 3, 5])
def test_swalr_lr_sequence(strategy, anneal_epochs):
    sequences = []
    for lib in (gradiente, torch):
        p = lib.nn.Parameter(lib.zeros(2))
        q = lib.nn.Parameter(lib.zeros(2))
        opt = lib.optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=1.0)
        sched = lib.optim.swa_utils.SWALR(
            opt, swa_lr=[0.05, 0.2], anneal_epochs=anneal_epochs, anneal_strategy=strategy
        )
        lrs = [sched.get_last_lr()]
        for _ in range(8):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
        sequences.append(lrs)
        assert set(sched.state_dict()) >= {"anneal_epochs", "_anneal_strategy", "last_epoch"}
        assert "anneal_func" not in sched.state_dict()
    np.testing.assert_allclose(np.array(sequences[0]), np.array(sequences[1]), rtol=1e-14)


def test_swalr_chained_after_another_scheduler_and_state_dict():
    sequences = []
    for lib in (gradiente, torch):
        p = lib.nn.Parameter(lib.zeros(2))
        opt = lib.optim.SGD([p], lr=1.0)
        first = lib.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        lrs = []
        for _ in range(2):
            opt.step()
            first.step()
        swa = lib.optim.swa_utils.SWALR(opt, swa_lr=0.01, anneal_epochs=4)
        for _ in range(6):
            opt.step()
            swa.step()
            lrs.append(swa.get_last_lr()[0])
        other = lib.optim.swa_utils.SWALR(opt, swa_lr=0.3, anneal_strategy="linear")
        other.load_state_dict(swa.state_dict())
        assert other.anneal_func == other._cosine_anneal
        sequences.append(lrs)
    np.testing.assert_allclose(sequences[0], sequences[1], rtol=1e-14)


def test_swalr_errors():
    for lib in (gradiente, torch):
        opt = lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=1.0)
        with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear', "):
            lib.optim.swa_utils.SWALR(opt, swa_lr=0.1, anneal_strategy="exp")
        with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
            lib.optim.swa_utils.SWALR(opt, swa_lr=0.1, anneal_epochs=-1)
        with pytest.raises(ValueError, match="swa_lr must have the same length"):
            lib.optim.swa_utils.SWALR(opt, swa_lr=[0.1, 0.2])


def test_update_bn_matches_torch():
    rng = np.random.default_rng(1)
    batches = [rng.standard_normal((6, 4)) * 3 + 1 for _ in range(3)]
    states = []
    for lib in (gradiente, torch):
        model = _pair(lib, bn=True)
        model.eval()
        loader = [(lib.tensor(b, dtype=lib.float32), lib.zeros(6)) for b in batches]
        lib.optim.swa_utils.update_bn(loader, model)
        assert not model.training
        assert model[1].momentum == 0.1
        states.append(model.state_dict())
    _assert_states_equal(*states, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- lazy modules
LAZY_CASES = [
    ("LazyLinear", (3,), (2, 5)),
    ("LazyLinear", (4, False), (2, 3, 6)),
    ("LazyConv1d", (4, 3, 2), (2, 3, 9)),
    ("LazyConv2d", (4, 3), (2, 3, 6, 6)),
    ("LazyConv2d", (4, 3), (3, 6, 6)),
    ("LazyConv3d", (2, 2), (1, 3, 4, 4, 4)),
    ("LazyConvTranspose1d", (4, 3), (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 3, 2, 1, 1, 2), (2, 4, 5, 5)),
    ("LazyConvTranspose3d", (2, 2), (1, 3, 3, 3, 3)),
    ("LazyBatchNorm1d", (), (4, 3)),
    ("LazyBatchNorm2d", (), (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (1e-3, None), (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (1e-5, 0.1, True, True), (2, 3, 7)),
    ("LazyInstanceNorm2d", (), (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), (2, 3, 2, 2, 2)),
]


@pytest.mark.parametrize(("name", "args", "shape"), LAZY_CASES)
def test_lazy_module_materialises_as_torch(name, args, shape):
    results = []
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    for lib in (gradiente, torch):
        lib.manual_seed(0)
        m = getattr(lib.nn, name)(*args)
        before = m.state_dict()
        has_uninitialized = m.has_uninitialized_params()
        lib.manual_seed(1)  # the weights are drawn on the first call, from the seed then
        y = m(lib.tensor(x))
        results.append(
            {
                "class": type(m).__name__,
                "repr": repr(m),
                "keys_before": list(before),
                "lazy_before": [type(v).__name__ for v in before.values()],
                "state": {k: v.detach().numpy().copy() for k, v in m.state_dict().items()},
                "out": y.detach().numpy(),
                "uninit": has_uninitialized,
                "hooks": len(m._forward_pre_hooks),
            }
        )
    g, t = results
    assert g["class"] == t["class"] and g["class"] == name.removeprefix("Lazy")
    for key in ("repr", "keys_before", "lazy_before", "uninit", "hooks"):
        assert g[key] == t[key], key
    assert list(g["state"]) == list(t["state"])
    for key in t["state"]:
        np.testing.assert_allclose(g["state"][key], t["state"][key], rtol=1e-6, err_msg=key)
    np.testing.assert_allclose(g["out"], t["out"], rtol=1e-4, atol=1e-5)


def test_lazy_optimizer_built_before_first_call():
    weights = []
    for lib in (gradiente, torch):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.LazyLinear(3), lib.nn.ReLU(), lib.nn.LazyLinear(1))
        opt = lib.optim.Adam(model.parameters(), lr=0.1)
        x = lib.linspace(-1, 1, 12).reshape(3, 4)
        for _ in range(3):
            opt.zero_grad()
            model(x).pow(2).sum().backward()
            opt.step()
        assert isinstance(model[0].weight, lib.nn.Parameter)
        assert type(model[0].weight) is lib.nn.Parameter
        weights.append([p.detach().numpy().copy() for p in model.parameters()])
    for a, b in zip(*weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_uninitialized_parameter_behaviour():
    for lib in (gradiente, torch):
        p = lib.nn.UninitializedParameter()
        assert repr(p) == "<UninitializedParameter>"
        assert repr(lib.nn.UninitializedBuffer()) == "<UninitializedBuffer>"
        assert isinstance(p, lib.nn.Parameter) and p.requires_grad
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
            p.shape  # noqa: B018
        p.materialize((2, 3), dtype=lib.float64)
        assert type(p) is lib.nn.Parameter
        assert tuple(p.shape) == (2, 3) and p.dtype == lib.float64


def test_lazy_load_state_dict_materialises_then_forward():
    rng = np.random.default_rng(2)
    source = {"weight": rng.standard_normal((3, 5)), "bias": rng.standard_normal(3)}
    outs = []
    for lib in (gradiente, torch):
        m = lib.nn.LazyLinear(3)
        m.load_state_dict({k: lib.tensor(v, dtype=lib.float32) for k, v in source.items()})
        assert type(m).__name__ == "LazyLinear" and m.in_features == 0
        assert tuple(m.weight.shape) == (3, 5)
        outs.append(m(lib.ones(2, 5)).detach().numpy())
        assert type(m).__name__ == "Linear" and m.in_features == 5
        # the lazy module's state dict, uninitialised, cannot go into an initialised one
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
            m.load_state_dict(lib.nn.LazyLinear(3).state_dict())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6)


def test_lazy_errors_match_torch():
    for lib in (gradiente, torch):
        m = lib.nn.LazyConv2d(4, 3, groups=2)
        with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
            m(lib.ones(1, 3, 5, 5))
        with pytest.raises(RuntimeError) as err:
            lib.nn.LazyConv2d(4, 3)(lib.ones(5, 5))
        assert str(err.value).startswith(
            "Expected 3D (unbatched) or 4D (batched) input to LazyConv2d, but got input of size"
        )


# ---------------------------------------------------------------------------- pruning
def _prune_everything(lib):
    """Every pruning method on a small network, in gradiente or torch (same seeds)."""
    prune = lib.nn.utils.prune
    lib.manual_seed(0)
    m = lib.nn.Sequential(lib.nn.Conv2d(3, 4, 3), lib.nn.Linear(5, 6))
    prune.l1_unstructured(m[0], "weight", 0.3)
    prune.random_unstructured(m[0], "weight", amount=10)
    prune.ln_structured(m[0], "weight", amount=1, n=2, dim=0)
    prune.random_structured(m[0], "weight", amount=1, dim=1)
    prune.random_unstructured(m[1], "bias", 0.5)
    prune.global_unstructured([(m[0], "bias"), (m[1], "weight")], prune.L1Unstructured, amount=7)
    prune.identity(m[1], "bias")
    result = {
        "state": {k: v.numpy().copy() for k, v in m.state_dict().items()},
        "pruned": prune.is_pruned(m),
        "hooks": [type(h).__name__ for h in m[0]._forward_pre_hooks.values()],
        "container": [
            type(h).__name__ for h in m[0]._forward_pre_hooks[next(iter(m[0]._forward_pre_hooks))]
        ],
        "weight": m[0].weight.detach().numpy().copy(),
        "out": m[0](lib.ones(1, 3, 5, 5)).detach().numpy(),
    }
    prune.remove(m[0], "weight")
    result["after_remove"] = list(m.state_dict())
    result["parameters"] = [name for name, _ in m.named_parameters()]
    result["still_pruned"] = prune.is_pruned(m)
    prune.remove(m[1], "bias")
    prune.remove(m[1], "weight")
    prune.remove(m[0], "bias")
    result["unpruned"] = not prune.is_pruned(m)
    return result


def test_pruning_matches_torch():
    g, t = _prune_everything(gradiente), _prune_everything(torch)
    assert list(g["state"]) == list(t["state"])
    assert list(g["state"])[:4] == ["0.weight_orig", "0.bias_orig", "0.weight_mask", "0.bias_mask"]
    for key in t["state"]:
        np.testing.assert_allclose(g["state"][key], t["state"][key], err_msg=key)
    np.testing.assert_allclose(g["weight"], t["weight"])
    np.testing.assert_allclose(g["out"], t["out"], rtol=1e-5, atol=1e-6)
    for key in ("pruned", "hooks", "container", "after_remove", "parameters", "still_pruned"):
        assert g[key] == t[key], key
    assert g["unpruned"] and t["unpruned"]


def test_pruned_weight_is_recomputed_and_trained_through_orig():
    results = []
    for lib in (gradiente, torch):
        lib.manual_seed(1)
        m = lib.nn.Linear(4, 3)
        lib.nn.utils.prune.custom_from_mask(m, "weight", lib.tensor([[1, 0, 1, 1]] * 3))
        opt = lib.optim.SGD(m.parameters(), lr=0.5)
        for _ in range(2):
            opt.zero_grad()
            m(lib.ones(2, 4)).sum().backward()
            opt.step()
        results.append((m.weight.detach().numpy(), m.weight_orig.grad.numpy()))
        assert m.weight[:, 1].abs().sum() == 0
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda p, m: p.l1_unstructured(m, "weight", 1.5), ValueError),
        (lambda p, m: p.l1_unstructured(m, "weight", -1), ValueError),
        (lambda p, m: p.l1_unstructured(m, "weight", "a"), TypeError),
        (lambda p, m: p.random_unstructured(m, "weight", 13), ValueError),
        (lambda p, m: p.ln_structured(m, "bias", 1, 2, 0), ValueError),
        (lambda p, m: p.ln_structured(m, "weight", 1, 2, 2), IndexError),
        (lambda p, m: p.remove(m, "weight"), ValueError),
        (lambda p, m: p.global_unstructured([(m, "weight")], p.LnStructured, amount=1), TypeError),
    ],
)
def test_pruning_errors_match_torch(call, error):
    messages = []
    for lib in (gradiente, torch):
        m = lib.nn.Linear(4, 3)
        with pytest.raises(error) as err:
            call(lib.nn.utils.prune, m)
        messages.append(str(err.value).replace("torch.", "").replace("gradiente.", ""))
        assert "weight" in dict(m.named_parameters())  # a failed pruning leaves no trace
    assert messages[0].split(" of module ")[0] == messages[1].split(" of module ")[0]
