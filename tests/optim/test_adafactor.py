"""optim.Adafactor against torch.optim.Adafactor: parameter trajectories of 0-D, 1-D, 2-D and
3-D parameters under every hyper-parameter, float32 and float64, the state torch keeps (row and
column factors), state_dict round trips and torch's errors for bad hyper-parameters."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from gradiente import optim

torch = pytest.importorskip("torch")

SHAPES = [(), (7,), (4, 5), (3, 4, 6)]
CONFIGS = [
    {},
    {"lr": 0.3},
    {"lr": 0.05, "weight_decay": 0.1},
    {"beta2_decay": -0.5, "eps": (1e-3, 1e-2)},
    {"eps": (None, 0.5), "d": 2.0},
    {"maximize": True, "weight_decay": 0.01, "foreach": True},
]


def _ids(kwargs):
    return "-".join(f"{k}={v}" for k, v in kwargs.items()) or "defaults"


def _problem(lib, dtype, seed=0):
    """Parameters of every shape and a loss whose gradients change from step to step."""
    rng = np.random.default_rng(seed)
    dt = getattr(lib, dtype)
    params = [lib.tensor(rng.standard_normal(shape), dtype=dt).requires_grad_() for shape in SHAPES]
    targets = [lib.tensor(rng.standard_normal(shape), dtype=dt) for shape in SHAPES]

    def loss():
        return sum(((p - t) ** 2 * (1 + p.tanh())).sum() for p, t in zip(params, targets))

    return params, loss


def _run(lib, lib_optim, kwargs, dtype, steps):
    params, loss = _problem(lib, dtype)
    opt = lib_optim.Adafactor(params, **kwargs)
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        loss().backward()
        opt.step()
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory, opt


@pytest.mark.parametrize("kwargs", CONFIGS, ids=_ids)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_trajectory_matches_torch(kwargs, dtype):
    ours, g_opt = _run(gradiente, optim, kwargs, dtype, steps=8)
    theirs, t_opt = _run(torch, torch.optim, kwargs, dtype, steps=8)
    rtol, atol = (1e-11, 1e-12) if dtype == "float64" else (1e-4, 1e-5)
    for step, (g_params, t_params) in enumerate(zip(ours, theirs, strict=True)):
        for g, t in zip(g_params, t_params, strict=True):
            assert g.dtype == t.dtype
            np.testing.assert_allclose(g, t, rtol=rtol, atol=atol, err_msg=f"step {step}")
    assert not np.allclose(ours[-1][2], ours[0][2])

    g_sd, t_sd = g_opt.state_dict(), t_opt.state_dict()
    assert g_sd["param_groups"] == t_sd["param_groups"]
    for index, t_state in t_sd["state"].items():
        g_state = g_sd["state"][index]
        assert list(g_state) == list(t_state)
        for key, t_value in t_state.items():
            g_value = g_state[key].numpy()
            assert g_value.shape == tuple(t_value.shape), key
            assert str(g_state[key].dtype) == str(t_value.dtype), key
            np.testing.assert_allclose(g_value, t_value.numpy(), rtol=rtol, atol=1e-30)


def test_state_dict_round_trip_continues_the_trajectory():
    kwargs = {"lr": 0.1, "weight_decay": 0.01}
    _, g_opt = _run(gradiente, optim, kwargs, "float64", steps=3)
    saved = g_opt.state_dict()
    params, loss = _problem(gradiente, "float64")
    with gradiente.no_grad():
        for p, q in zip(params, g_opt.param_groups[0]["params"]):
            p.copy_(q)
    resumed = optim.Adafactor(params, **kwargs)
    resumed.load_state_dict(saved)
    assert resumed.state_dict()["state"][2]["step"].item() == 3.0
    for _ in range(4):
        resumed.zero_grad()
        loss().backward()
        resumed.step()

    reference, _ = _run(torch, torch.optim, kwargs, "float64", steps=7)
    for p, t in zip(params, reference[-1], strict=True):
        np.testing.assert_allclose(p.detach().numpy(), t, rtol=1e-11, atol=1e-12)


def test_loads_torch_state_dict():
    kwargs = {"lr": 0.1}
    _, t_opt = _run(torch, torch.optim, kwargs, "float64", steps=2)
    t_sd = t_opt.state_dict()
    sd = {
        "state": {
            i: {k: gradiente.tensor(v.numpy()) for k, v in s.items()}
            for i, s in t_sd["state"].items()
        },
        "param_groups": t_sd["param_groups"],
    }
    params, _ = _problem(gradiente, "float64")
    opt = optim.Adafactor(params, **kwargs)
    opt.load_state_dict(sd)
    assert set(opt.state[params[2]]) == {"step", "row_var", "col_var"}
    assert set(opt.state[params[1]]) == {"step", "variance"}
    assert tuple(opt.state[params[3]]["col_var"].shape) == (3, 1, 6)


def test_lr_as_a_tensor():
    outs = []
    for lib, lib_optim in ((gradiente, optim), (torch, torch.optim)):
        params, loss = _problem(lib, "float64")
        opt = lib_optim.Adafactor(params, lr=lib.tensor(0.2))
        for _ in range(3):
            opt.zero_grad()
            loss().backward()
            opt.step()
        outs.append([p.detach().numpy() for p in params])
    for g, t in zip(*outs, strict=True):
        np.testing.assert_allclose(g, t, rtol=1e-11, atol=1e-12)


BAD = [
    {"lr": -0.1},
    {"beta2_decay": 0.5},
    {"eps": (-1.0, 1e-3)},
    {"eps": (None, -1e-3)},
    {"d": 0.5},
    {"weight_decay": -1.0},
]


@pytest.mark.parametrize("kwargs", BAD, ids=_ids)
def test_bad_hyperparameters_raise_torchs_errors(kwargs):
    with pytest.raises(ValueError) as theirs:
        torch.optim.Adafactor([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=None) as ours:
        optim.Adafactor([gradiente.zeros(2, requires_grad=True)], **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_repr_and_defaults_match_torch():
    g = optim.Adafactor([gradiente.zeros(2, requires_grad=True)])
    t = torch.optim.Adafactor([torch.zeros(2, requires_grad=True)])
    assert g.defaults == t.defaults
    assert repr(g) == repr(t)
