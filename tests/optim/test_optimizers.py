"""gradiente.optim's optimizers against torch.optim: same parameters, same objective, same steps.

Every optimizer and option runs 60+ steps in float64 on a small objective computed in both
frameworks (a tanh regression plus a Rosenbrock valley); losses and parameters must agree to
1e-6 relative (in practice they agree to rounding). ``state_dict`` is saved mid-way and loaded
into a fresh optimizer, which must continue exactly like the uninterrupted run.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import copy
import math
import pickle
import re

import numpy as np
import pytest

import gradiente
from gradiente import optim

torch = pytest.importorskip("torch")

STEPS = 60
RTOL = 1e-6

CONFIGS = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.02, "momentum": 0.9}),
    ("SGD", {"lr": 0.02, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.02, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.02, "momentum": 0.5, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.02, "momentum": 0.9, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    (
        "Adagrad",
        {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01, "initial_accumulator_value": 0.1},
    ),
    ("Adagrad", {"lr": 0.05, "eps": 1e-5, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "centered": True}),
    ("RMSprop", {"lr": 0.005, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.005, "centered": True, "momentum": 0.5, "weight_decay": 0.01}),
    ("RMSprop", {"lr": 0.01, "eps": 1e-4, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.01}),
    ("Adadelta", {"maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.02, "betas": (0.3, 0.9)}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "maximize": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.005, "momentum_decay": 0.01, "weight_decay": 0.001}),
    ("NAdam", {"lr": 0.005, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.005, "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.01}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.01, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.01}),
    ("Adamax", {"lr": 0.01, "maximize": True}),
]


def _ids(config):
    name, kwargs = config
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


def _initial_arrays(dtype=np.float64, seed=0):
    """Starting parameters and data: w (3, 4), b (3,), z (4,) for the Rosenbrock valley."""
    rng = np.random.default_rng(seed)
    params = [
        rng.standard_normal((3, 4)).astype(dtype),
        rng.standard_normal(3).astype(dtype),
        rng.uniform(-1.5, 1.5, 4).astype(dtype),
    ]
    x = rng.standard_normal((10, 4)).astype(dtype)
    y = rng.uniform(-0.8, 0.8, (10, 3)).astype(dtype)
    return params, (x, y)


def _objective(lib, params, data):
    """Mean squared error of tanh(x wᵀ + b) plus a scaled Rosenbrock function of z."""
    w, b, z = params
    x, y = data
    mse = ((lib.tanh(x @ w.T + b) - y) ** 2).mean()
    rosenbrock = ((1 - z[:-1]) ** 2 + 100 * (z[1:] - z[:-1] ** 2) ** 2).sum()
    return mse + 0.002 * rosenbrock


def _make(lib, arrays, data):
    if lib is torch:
        params = [torch.from_numpy(a.copy()).requires_grad_(True) for a in arrays]
        return params, tuple(torch.from_numpy(d) for d in data)
    params = [gradiente.from_numpy(a.copy()).requires_grad_(True) for a in arrays]
    return params, tuple(gradiente.from_numpy(d) for d in data)


def _run(lib, opt, params, data, steps, sign=1.0):
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = _objective(lib, params, data)
        (sign * loss).backward()
        opt.step()
        losses.append(loss.item())
    return losses


def _assert_params(g_params, t_params, rtol=RTOL, atol=1e-12):
    for i, (g, t) in enumerate(zip(g_params, t_params, strict=True)):
        assert g.dtype.name == str(t.dtype).removeprefix("torch."), f"param {i} dtype"
        np.testing.assert_allclose(
            g.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol, err_msg=f"param {i}"
        )


@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
def test_matches_torch(config):
    name, kwargs = config
    sign = -1.0 if kwargs.get("maximize") else 1.0
    arrays, data = _initial_arrays()
    g_params, g_data = _make(gradiente, arrays, data)
    t_params, t_data = _make(torch, arrays, data)
    g_opt = getattr(optim, name)(g_params, **kwargs)
    t_opt = getattr(torch.optim, name)(t_params, **kwargs)

    g_losses = _run(gradiente, g_opt, g_params, g_data, STEPS, sign)
    t_losses = _run(torch, t_opt, t_params, t_data, STEPS, sign)

    np.testing.assert_allclose(g_losses, t_losses, rtol=RTOL)
    _assert_params(g_params, t_params)
    assert g_losses[-1] != g_losses[0]
    # The state has torch's keys, shapes and values; "step" is a scalar tensor of torch's dtype.
    g_sd, t_sd = g_opt.state_dict(), t_opt.state_dict()
    assert g_sd["state"].keys() == t_sd["state"].keys()
    for index, t_state in t_sd["state"].items():
        g_state = g_sd["state"][index]
        assert g_state.keys() == t_state.keys()
        for key, t_value in t_state.items():
            g_value = g_state[key]
            assert isinstance(g_value, gradiente.Tensor), key
            assert g_value.dtype.name == str(t_value.dtype).removeprefix("torch."), key
            np.testing.assert_allclose(
                g_value.numpy(), t_value.numpy(), rtol=1e-6, atol=1e-12, err_msg=key
            )
    g_group = g_sd["param_groups"][0]
    t_group = t_sd["param_groups"][0]
    assert g_group.keys() == t_group.keys()
    assert g_group == t_group


@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
def test_state_dict_resumes_identically(config):
    name, kwargs = config
    sign = -1.0 if kwargs.get("maximize") else 1.0
    cls = getattr(optim, name)
    arrays, data = _initial_arrays(seed=1)

    params, d = _make(gradiente, arrays, data)
    opt = cls(params, **kwargs)
    full = _run(gradiente, opt, params, d, 60, sign)

    params_a, d = _make(gradiente, arrays, data)
    opt_a = cls(params_a, **kwargs)
    first = _run(gradiente, opt_a, params_a, d, 30, sign)
    saved = pickle.loads(pickle.dumps(opt_a.state_dict()))
    weights = [p.detach().numpy().copy() for p in params_a]
    del opt_a

    params_b = [gradiente.from_numpy(w).requires_grad_(True) for w in weights]
    opt_b = cls(params_b, **kwargs)
    opt_b.load_state_dict(saved)
    second = _run(gradiente, opt_b, params_b, d, 30, sign)

    assert first + second == full
    for p, q in zip(params, params_b, strict=True):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "RAdam"])
def test_param_groups_and_params_without_grad(name):
    """Two groups with their own options; a parameter with no gradient is left alone."""
    arrays, data = _initial_arrays(seed=2)
    extra = np.arange(3.0)
    results = []
    for lib, lib_optim in ((gradiente, optim), (torch, torch.optim)):
        params, d = _make(lib, arrays, data)
        unused = lib.from_numpy(extra.copy()).requires_grad_(True)
        groups = [
            {"params": [params[0], unused]},
            {"params": params[1:], "lr": 0.003, "weight_decay": 0.01},
        ]
        kwargs = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
        opt = getattr(lib_optim, name)(groups, lr=0.01, **kwargs)
        losses = _run(lib, opt, params, d, STEPS)
        assert unused.grad is None
        np.testing.assert_array_equal(unused.detach().numpy(), extra)
        results.append((losses, params, opt.state_dict()))
    (g_losses, g_params, g_sd), (t_losses, t_params, t_sd) = results
    np.testing.assert_allclose(g_losses, t_losses, rtol=RTOL)
    _assert_params(g_params, t_params)
    assert g_sd["state"].keys() == t_sd["state"].keys()
    assert g_sd["param_groups"] == t_sd["param_groups"]


@pytest.mark.parametrize(
    "config",
    [("SGD", {"lr": 0.02, "momentum": 0.9}), ("Adam", {"lr": 0.01}), ("RMSprop", {"lr": 0.01})],
    ids=_ids,
)
def test_float32_stays_float32(config):
    name, kwargs = config
    arrays, data = _initial_arrays(dtype=np.float32, seed=3)
    g_params, g_data = _make(gradiente, arrays, data)
    t_params, t_data = _make(torch, arrays, data)
    g_opt = getattr(optim, name)(g_params, **kwargs)
    t_opt = getattr(torch.optim, name)(t_params, **kwargs)
    g_losses = _run(gradiente, g_opt, g_params, g_data, 20)
    t_losses = _run(torch, t_opt, t_params, t_data, 20)
    np.testing.assert_allclose(g_losses, t_losses, rtol=1e-4)
    _assert_params(g_params, t_params, rtol=1e-4, atol=1e-5)
    for state in g_opt.state.values():
        for key, value in state.items():
            assert value.dtype is gradiente.float32, key


def test_tiny_mlp_with_nn_linear():
    nn = pytest.importorskip("gradiente.nn")
    if not hasattr(nn, "Linear") or not hasattr(nn, "Sequential"):
        pytest.skip("gradiente.nn.Linear is not available yet")
    gradiente.manual_seed(0)
    g_model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    t_model = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)
    ).double()
    with torch.no_grad():
        for g_p, t_p in zip(g_model.parameters(), t_model.parameters(), strict=True):
            t_p.copy_(torch.from_numpy(g_p.detach().numpy().copy()))
    _, (x, y) = _initial_arrays(seed=4)
    results = []
    for lib, model in ((gradiente, g_model), (torch, t_model)):
        opt = lib.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.05)
        xs, ys = lib.from_numpy(x), lib.from_numpy(y)
        losses = []
        for _ in range(STEPS):
            opt.zero_grad()
            loss = ((model(xs) - ys) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        results.append((losses, list(model.parameters())))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=RTOL)
    _assert_params(results[0][1], results[1][1])


def test_step_with_closure_returns_its_loss():
    arrays, data = _initial_arrays()
    results = []
    for lib, lib_optim in ((gradiente, optim), (torch, torch.optim)):
        params, d = _make(lib, arrays, data)
        opt = lib_optim.SGD(params, lr=0.05, momentum=0.9)

        def closure(lib=lib, params=params, d=d, opt=opt):
            opt.zero_grad()
            loss = _objective(lib, params, d)
            loss.backward()
            return loss

        with lib.no_grad():  # the closure must still be able to record a graph
            losses = [opt.step(closure).item() for _ in range(STEPS)]
        results.append((losses, params))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=RTOL)
    _assert_params(results[0][1], results[1][1])


def test_zero_grad():
    p = gradiente.tensor([1.0, 2.0], dtype=gradiente.float64, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None and p.grad.tolist() == [0.0, 0.0]
    assert not p.grad.requires_grad
    opt.zero_grad()
    assert p.grad is None
    opt.step()  # no gradient: nothing to do
    assert p.tolist() == [1.0, 2.0]


def test_step_bumps_the_version_of_updated_parameters():
    p = gradiente.tensor([1.0, 2.0], dtype=gradiente.float64, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    before = p._version
    opt.step()
    assert p._version == before + 1
    np.testing.assert_allclose(p.detach().numpy(), [0.8, 1.6])


def test_param_groups_defaults_and_add_param_group():
    a = gradiente.zeros(2, requires_grad=True)
    b = gradiente.zeros(3, requires_grad=True)
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": b, "betas": (0.5, 0.6)})
    assert len(opt.param_groups) == 2
    assert opt.param_groups[1]["params"][0] is b
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["betas"] == (0.5, 0.6)
    t_opt = torch.optim.Adam([torch.zeros(2, requires_grad=True)], lr=0.1)
    assert opt.param_groups[0].keys() == t_opt.param_groups[0].keys()
    assert opt.defaults == t_opt.defaults
    assert repr(opt).startswith("Adam (\nParameter Group 0\n    amsgrad: False\n")
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [a]})


ALL_OPTIMIZERS = [
    name for name in optim.__all__ if name not in ("Optimizer", "lr_scheduler", "swa_utils")
]


@pytest.mark.parametrize("name", ALL_OPTIMIZERS)
def test_defaults_are_the_constructor_arguments_like_torch(name):
    """``defaults`` holds every hyper-parameter of the signature, and nothing else, in torch's
    order (it shows in ``state_dict()["param_groups"]``)."""
    g_opt = getattr(optim, name)([gradiente.zeros(2, requires_grad=True)])
    t_opt = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
    assert g_opt.defaults == t_opt.defaults
    g_opt = getattr(optim, name)([gradiente.zeros(2, requires_grad=True)], lr=0.25)
    assert g_opt.defaults["lr"] == g_opt.param_groups[0]["lr"] == 0.25


@pytest.mark.parametrize(
    "make, error",
    [
        (lambda lib, p: lib.optim.SGD([], lr=0.1), "optimizer got an empty parameter list"),
        (lambda lib, p: lib.optim.SGD(p, lr=0.1), "params argument given to the optimizer"),
        (lambda lib, p: lib.optim.SGD([p * 2], lr=0.1), "can't optimize a non-leaf Tensor"),
        (lambda lib, p: lib.optim.SGD([1.0], lr=0.1), "optimizer can only optimize Tensors"),
        (
            lambda lib, p: lib.optim.SGD([{"params": {p}}], lr=0.1),
            "optimizer parameters need to be organized",
        ),
    ],
)
def test_bad_parameters_raise_like_torch(make, error):
    for lib in (gradiente, torch):
        p = lib.zeros(2, requires_grad=True)
        with pytest.raises((TypeError, ValueError), match=re.escape(error)):
            make(lib, p)


BAD_HYPERPARAMETERS = [
    ("SGD", {"lr": -0.1}),
    ("SGD", {"lr": 0.1, "momentum": -0.5}),
    ("SGD", {"lr": 0.1, "weight_decay": -1e-4}),
    ("SGD", {"lr": 0.1, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}),
    ("Adam", {"lr": -0.1}),
    ("Adam", {"eps": -1e-8}),
    ("Adam", {"betas": (1.0, 0.999)}),
    ("Adam", {"betas": (0.9, -0.1)}),
    ("Adam", {"weight_decay": -0.1}),
    ("AdamW", {"betas": (0.9, 1.5)}),
    ("Adagrad", {"lr_decay": -1.0}),
    ("Adagrad", {"initial_accumulator_value": -1.0}),
    ("Adagrad", {"eps": -1.0}),
    ("RMSprop", {"alpha": -0.5}),
    ("RMSprop", {"momentum": -0.5}),
    ("Adadelta", {"rho": 1.5}),
    ("Adadelta", {"lr": -1.0}),
    ("NAdam", {"momentum_decay": -0.1}),
    ("NAdam", {"betas": (0.9, 1.0)}),
    ("RAdam", {"betas": (-0.1, 0.9)}),
    ("Adamax", {"betas": (0.9, 1.0)}),
    ("Adamax", {"eps": -1.0}),
    # two bad values: the error names the one torch checks first
    ("Adagrad", {"eps": -1.0, "lr_decay": -1.0}),
    ("Adadelta", {"eps": -1.0, "rho": 2.0}),
    ("RMSprop", {"alpha": -1.0, "momentum": -1.0}),
    ("Adam", {"eps": -1.0, "betas": (1.0, 0.9)}),
    ("NAdam", {"weight_decay": -1.0, "momentum_decay": -1.0}),
    ("SGD", {"lr": 0.1, "weight_decay": -1.0, "nesterov": True}),
    ("Adam", {"betas": (0.9, 1)}),
    ("Adam", {"lr": float("nan")}),
    ("RMSprop", {"momentum": float("nan")}),
]


@pytest.mark.parametrize("config", BAD_HYPERPARAMETERS, ids=_ids)
def test_bad_hyperparameters_raise_torchs_error(config):
    name, kwargs = config
    with pytest.raises(ValueError) as t_error:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError) as g_error:
        getattr(optim, name)([gradiente.zeros(2, requires_grad=True)], **kwargs)
    assert str(g_error.value) == str(t_error.value)


def test_sgd_accepts_a_nan_learning_rate_like_torch():
    # torch's SGD tests ``lr < 0.0``, which a NaN passes (the other optimizers refuse it)
    for lib in (torch, gradiente):
        opt = lib.optim.SGD([lib.zeros(2, requires_grad=True)], lr=float("nan"), momentum=0.5)
        assert math.isnan(opt.param_groups[0]["lr"])


def test_load_state_dict_checks_groups_and_casts_dtype():
    p = gradiente.tensor([1.0, -2.0], dtype=gradiente.float64, requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    saved = opt.state_dict()

    q = gradiente.tensor([1.0, -2.0], dtype=gradiente.float32, requires_grad=True)
    opt32 = optim.Adam([q], lr=0.1)
    opt32.load_state_dict(saved)
    assert opt32.state[q]["exp_avg"].dtype is gradiente.float32
    assert opt32.state[q]["step"].dtype is saved["state"][0]["step"].dtype
    assert opt32.state[q]["step"].item() == 1.0
    # A copy: stepping one optimizer does not change the other's state.
    assert opt32.state[q]["exp_avg_sq"] is not opt.state[p]["exp_avg_sq"]

    two = optim.Adam([p, q], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        two.load_state_dict(saved)
    groups = optim.Adam([{"params": [p]}, {"params": [q]}])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        groups.load_state_dict(saved)


def test_optimizer_deepcopy_and_pickle():
    p = gradiente.tensor([1.0, -2.0], dtype=gradiente.float64, requires_grad=True)
    opt = optim.RMSprop([p], lr=0.1, momentum=0.9)
    (p * p).sum().backward()
    opt.step()
    for clone in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))):
        (q,) = clone.param_groups[0]["params"]
        assert q is not p
        np.testing.assert_array_equal(q.detach().numpy(), p.detach().numpy())
        np.testing.assert_array_equal(
            clone.state[q]["square_avg"].numpy(), opt.state[p]["square_avg"].numpy()
        )


def test_adagrad_creates_state_in_the_constructor_like_torch():
    g_opt = optim.Adagrad([gradiente.zeros(2, requires_grad=True)], initial_accumulator_value=0.5)
    t_opt = torch.optim.Adagrad([torch.zeros(2, requires_grad=True)], initial_accumulator_value=0.5)
    g_state = g_opt.state_dict()["state"]
    t_state = t_opt.state_dict()["state"]
    assert g_state.keys() == t_state.keys() == {0}
    assert g_state[0]["sum"].tolist() == t_state[0]["sum"].tolist() == [0.5, 0.5]
    assert g_state[0]["step"].item() == 0.0


def test_sgd_without_momentum_keeps_no_state():
    p = gradiente.tensor([1.0, -2.0], dtype=gradiente.float64, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    assert opt.state_dict()["state"] == {}


def test_custom_optimizer_only_implements_the_update():
    """The loop lives in the base class: a subclass writes the rule for one parameter."""

    class SignSGD(optim.Optimizer):
        def __init__(self, params, lr=0.01):
            super().__init__(params, {"lr": lr})

        def _update(self, p, state, group):
            p._data -= group["lr"] * np.sign(self._grad(p, group))

    p = gradiente.tensor([1.0, -2.0], dtype=gradiente.float64, requires_grad=True)
    opt = SignSGD([p], lr=0.5)
    (p * p).sum().backward()
    opt.step()
    assert p.tolist() == [0.5, -1.5]
