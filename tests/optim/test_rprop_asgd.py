"""optim.Rprop and optim.ASGD against torch.optim: a tiny MLP trained full-batch in float64
(parameters to 1e-12 after 40 steps), the state torch keeps, state_dict round trips and torch's
errors for bad hyper-parameters."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pickle

import numpy as np
import pytest

import gradiente
from gradiente import optim

torch = pytest.importorskip("torch")

STEPS = 40

CONFIGS = [
    ("Rprop", {}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2)}),
    ("Rprop", {"lr": 0.01, "maximize": True}),
    ("ASGD", {}),
    ("ASGD", {"lr": 0.1, "lambd": 0.01, "alpha": 0.5, "t0": 10, "weight_decay": 0.01}),
    ("ASGD", {"lr": 0.05, "t0": 0, "maximize": True}),
]


def _ids(config):
    name, kwargs = config
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


def _mlp(lib, seed=0):
    """Linear(3, 5) → tanh → Linear(5, 2) with the same float64 weights in both libraries."""
    rng = np.random.default_rng(seed)
    model = lib.nn.Sequential(lib.nn.Linear(3, 5), lib.nn.Tanh(), lib.nn.Linear(5, 2)).double()
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(lib.from_numpy(rng.standard_normal(tuple(p.shape)) * 0.5))
    x = lib.from_numpy(rng.standard_normal((16, 3)))
    y = lib.from_numpy(rng.standard_normal((16, 2)))
    return model, x, y


def _train(lib, opt, model, x, y, steps, sign=1.0):
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        (sign * loss).backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
def test_tiny_mlp_matches_torch(config):
    name, kwargs = config
    sign = -1.0 if kwargs.get("maximize") else 1.0
    results = []
    for lib, lib_optim in ((gradiente, optim), (torch, torch.optim)):
        model, x, y = _mlp(lib)
        opt = getattr(lib_optim, name)(model.parameters(), **kwargs)
        losses = _train(lib, opt, model, x, y, STEPS, sign)
        params = [p.detach().numpy().copy() for p in model.parameters()]
        results.append((losses, params, opt.state_dict()))
    (g_losses, g_params, g_sd), (t_losses, t_params, t_sd) = results
    np.testing.assert_allclose(g_losses, t_losses, rtol=1e-12)
    for g, t in zip(g_params, t_params, strict=True):
        np.testing.assert_allclose(g, t, rtol=1e-12, atol=1e-13)
    assert g_losses[-1] != g_losses[0]

    assert g_sd["param_groups"] == t_sd["param_groups"]
    assert g_sd["state"].keys() == t_sd["state"].keys()
    for index, t_state in t_sd["state"].items():
        g_state = g_sd["state"][index]
        assert list(g_state) == list(t_state)  # torch's keys, in torch's order
        for key, t_value in t_state.items():
            g_value = g_state[key]
            assert g_value.dtype.name == str(t_value.dtype).removeprefix("torch."), key
            np.testing.assert_allclose(
                g_value.numpy(), t_value.numpy(), rtol=1e-12, atol=1e-13, err_msg=key
            )


def test_rprop_steps_follow_the_sign_only():
    """One step moves each coordinate by exactly lr against its gradient's sign."""
    p = gradiente.tensor([1.0, -2.0, 3.0], dtype=gradiente.float64, requires_grad=True)
    opt = optim.Rprop([p], lr=0.1)
    (p * gradiente.tensor([1000.0, -0.001, 0.0], dtype=gradiente.float64)).sum().backward()
    opt.step()
    np.testing.assert_array_equal(p.detach().numpy(), [0.9, -1.9, 3.0])


def test_asgd_averages_the_iterates_after_t0():
    """With t0 = 2, ax is the running mean of the iterates from step 4 on.

    Step t averages with the μ computed at the end of step t − 1, 1 / max(1, t − 1 − t0):
    1 up to step 4 (ax = θ_4), then 1/2, 1/3, ... — the mean of θ_4, θ_5, ...
    """
    p = gradiente.tensor([1.0], dtype=gradiente.float64, requires_grad=True)
    opt = optim.ASGD([p], lr=0.1, lambd=0.0, t0=2)
    iterates = []
    for _ in range(6):
        opt.zero_grad()
        (p**2).sum().backward()
        opt.step()
        iterates.append(p.item())
    mean = np.mean(iterates[3:])
    np.testing.assert_allclose(opt.state[p]["ax"].item(), mean, rtol=1e-7)  # μ is float32
    np.testing.assert_allclose(iterates[-1], 0.8**6)  # θ ← (1 − 2η) θ with η = 0.1 (float32)


def _resumed_run(lib, lib_optim, name, kwargs):
    """10 steps, a state_dict saved and loaded into a new optimizer over a copy of the model,
    10 more steps; returns (losses, the final parameters, the reloaded state of parameter 0)."""
    cls = getattr(lib_optim, name)
    model_a, x, y = _mlp(lib, seed=1)
    opt_a = cls(model_a.parameters(), **kwargs)
    first = _train(lib, opt_a, model_a, x, y, 10)
    saved = opt_a.state_dict()
    if lib is gradiente:
        saved = pickle.loads(pickle.dumps(saved))
    model_b, _, _ = _mlp(lib, seed=1)
    model_b.load_state_dict(model_a.state_dict())
    opt_b = cls(model_b.parameters(), **kwargs)
    opt_b.load_state_dict(saved)
    reloaded = dict(opt_b.state_dict()["state"][0])
    second = _train(lib, opt_b, model_b, x, y, 10)
    return first + second, [p.detach().numpy().copy() for p in model_b.parameters()], reloaded


def test_rprop_state_dict_resumes_identically():
    _, kwargs = CONFIGS[1]
    model, x, y = _mlp(gradiente, seed=1)
    full = _train(gradiente, optim.Rprop(model.parameters(), **kwargs), model, x, y, 20)
    losses, params, _ = _resumed_run(gradiente, optim, "Rprop", kwargs)
    assert losses == full
    for p, q in zip(model.parameters(), params, strict=True):
        np.testing.assert_array_equal(p.detach().numpy(), q)


@pytest.mark.parametrize("config", [CONFIGS[1], CONFIGS[4]], ids=_ids)
def test_state_dict_round_trip_like_torch(config):
    """As torch, loading casts floating state to the parameter's dtype except ``step``: ASGD's
    float32 ``eta`` and ``mu`` become float64 (so a resumed ASGD run drifts from an
    uninterrupted one by float32 rounding, in torch too)."""
    name, kwargs = config
    g_losses, g_params, g_state = _resumed_run(gradiente, optim, name, kwargs)
    t_losses, t_params, t_state = _resumed_run(torch, torch.optim, name, kwargs)
    np.testing.assert_allclose(g_losses, t_losses, rtol=1e-12)
    for g, t in zip(g_params, t_params, strict=True):
        np.testing.assert_allclose(g, t, rtol=1e-12, atol=1e-13)
    assert list(g_state) == list(t_state)
    for key, t_value in t_state.items():
        assert g_state[key].dtype.name == str(t_value.dtype).removeprefix("torch."), key


def test_zero_dim_parameters():
    results = []
    for lib in (gradiente, torch):
        a = lib.tensor(1.5, dtype=lib.float64, requires_grad=True)
        b = lib.tensor(-0.5, dtype=lib.float64, requires_grad=True)
        opts = [lib.optim.Rprop([a], lr=0.1), lib.optim.ASGD([b], lr=0.1, t0=1)]
        for _ in range(5):
            for opt in opts:
                opt.zero_grad()
            (a**2 + (b - a) ** 2).backward()
            for opt in opts:
                opt.step()
        results.append((a.item(), b.item()))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


BAD_HYPERPARAMETERS = [
    ("Rprop", {"lr": -0.1}),
    ("Rprop", {"etas": (1.5, 1.2)}),
    ("Rprop", {"etas": (0.5, 0.9)}),
    ("Rprop", {"etas": (0.0, 1.2)}),
    ("Rprop", {"lr": -1.0, "etas": (2.0, 1.0)}),
    ("ASGD", {"lr": -0.1}),
    ("ASGD", {"weight_decay": -1.0}),
    ("ASGD", {"lr": float("nan")}),
]


@pytest.mark.parametrize("config", BAD_HYPERPARAMETERS, ids=_ids)
def test_bad_hyperparameters_raise_torchs_error(config):
    name, kwargs = config
    with pytest.raises(ValueError) as t_error:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError) as g_error:
        getattr(optim, name)([gradiente.zeros(2, requires_grad=True)], **kwargs)
    assert str(g_error.value) == str(t_error.value)
