"""optim.LBFGS against torch.optim.LBFGS: same iterates, evaluations and state, fixed step and
strong-Wolfe line search, on the Rosenbrock function and a small regression in float64."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pickle

import numpy as np
import pytest

import gradiente
from gradiente import optim

torch = pytest.importorskip("torch")

START = np.array([-1.5, 2.0, 0.5, -0.3])


def _rosenbrock(z):
    return ((1 - z[:-1]) ** 2 + 100 * (z[1:] - z[:-1] ** 2) ** 2).sum()


def _run_rosenbrock(lib, lib_optim, steps, start=START, **kwargs):
    z = lib.from_numpy(start.copy()).requires_grad_(True)
    opt = lib_optim.LBFGS([z], **kwargs)

    def closure():
        opt.zero_grad()
        loss = _rosenbrock(z)
        loss.backward()
        return loss

    losses = [opt.step(closure).item() for _ in range(steps)]
    return losses, z.detach().numpy().copy(), opt


CONFIGS = [
    {"lr": 0.05},
    {"lr": 0.05, "history_size": 3, "max_iter": 7},
    {"lr": 0.5, "max_iter": 5, "max_eval": 4},
    {"line_search_fn": "strong_wolfe"},
    {"line_search_fn": "strong_wolfe", "history_size": 2, "max_iter": 10},
    {"line_search_fn": "strong_wolfe", "lr": 0.3, "max_eval": 12},
]


def _ids(kwargs):
    return "-".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("kwargs", CONFIGS, ids=_ids)
def test_rosenbrock_matches_torch(kwargs):
    g_losses, g_z, g_opt = _run_rosenbrock(gradiente, optim, 5, **kwargs)
    t_losses, t_z, t_opt = _run_rosenbrock(torch, torch.optim, 5, **kwargs)
    np.testing.assert_allclose(g_losses, t_losses, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g_z, t_z, rtol=1e-12, atol=1e-13)
    assert g_losses[-1] < g_losses[0]

    g_state, t_state = g_opt.state_dict()["state"][0], t_opt.state_dict()["state"][0]
    assert g_state.keys() == t_state.keys()
    assert (g_state["func_evals"], g_state["n_iter"]) == (t_state["func_evals"], t_state["n_iter"])
    assert len(g_state["old_dirs"]) == len(t_state["old_dirs"])
    # the memory is made of differences (y = g_k − g_{k−1}) near the minimum, which cancel:
    # rounding-level differences in θ show up magnified there
    np.testing.assert_allclose(g_state["d"].numpy(), t_state["d"].numpy(), rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(float(g_state["t"]), float(t_state["t"]), rtol=1e-7)
    np.testing.assert_allclose(float(g_state["H_diag"]), float(t_state["H_diag"]), rtol=1e-7)
    assert g_opt.state_dict()["param_groups"] == t_opt.state_dict()["param_groups"]


def test_strong_wolfe_reaches_the_minimum_like_torch():
    # (START leads to the 4-D function's other local minimum, near (−0.78, 0.61, 0.38, 0.15))
    start = np.array([-1.5, 2.0])
    kwargs = {"line_search_fn": "strong_wolfe", "start": start}
    g_losses, g_z, _ = _run_rosenbrock(gradiente, optim, 3, **kwargs)
    t_losses, t_z, _ = _run_rosenbrock(torch, torch.optim, 3, **kwargs)
    np.testing.assert_allclose(g_z, np.ones(2), atol=1e-4)  # stops on tolerance_change
    np.testing.assert_allclose(g_z, t_z, rtol=1e-12)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_float32_stays_float32_and_follows_torch(line_search_fn):
    kwargs = {"lr": 0.05 if line_search_fn is None else 1, "max_iter": 10}
    kwargs.update(line_search_fn=line_search_fn, start=START.astype(np.float32))
    _, g_z, g_opt = _run_rosenbrock(gradiente, optim, 2, **kwargs)
    _, t_z, t_opt = _run_rosenbrock(torch, torch.optim, 2, **kwargs)
    assert g_z.dtype == np.float32
    np.testing.assert_allclose(g_z, t_z, rtol=1e-4, atol=1e-5)
    g_state, t_state = g_opt.state_dict()["state"][0], t_opt.state_dict()["state"][0]
    assert list(g_state) == list(t_state)
    for key in ("d", "H_diag", "prev_flat_grad"):
        assert g_state[key].dtype is gradiente.float32, key
    assert all(r.dtype is gradiente.float32 for r in g_state["ro"])


def test_several_parameters_and_a_module():
    """A tanh regression with weight and bias (two tensors flattened into one vector)."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((20, 3)), rng.standard_normal((20, 2))
    w0, b0 = rng.standard_normal((2, 3)) * 0.3, rng.standard_normal(2) * 0.3
    results = []
    for lib in (gradiente, torch):
        w = lib.from_numpy(w0.copy()).requires_grad_(True)
        b = lib.from_numpy(b0.copy()).requires_grad_(True)
        xs, ys = lib.from_numpy(x), lib.from_numpy(y)
        opt = lib.optim.LBFGS([w, b], history_size=5, line_search_fn="strong_wolfe")

        def closure(w=w, b=b, xs=xs, ys=ys, opt=opt, lib=lib):
            opt.zero_grad()
            loss = ((lib.tanh(xs @ w.T + b) - ys) ** 2).mean()
            loss.backward()
            return loss

        losses = [opt.step(closure).item() for _ in range(3)]
        results.append((losses, w.detach().numpy().copy(), b.detach().numpy().copy()))
    (g_losses, g_w, g_b), (t_losses, t_w, t_b) = results
    np.testing.assert_allclose(g_losses, t_losses, rtol=1e-12)
    np.testing.assert_allclose(g_w, t_w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g_b, t_b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_state_dict_round_trip_continues_identically(line_search_fn):
    kwargs = {"lr": 0.05 if line_search_fn is None else 1, "max_iter": 4}
    kwargs["line_search_fn"] = line_search_fn
    full, z_full, _ = _run_rosenbrock(gradiente, optim, 4, **kwargs)

    first, z_half, opt_a = _run_rosenbrock(gradiente, optim, 2, **kwargs)
    saved = pickle.loads(pickle.dumps(opt_a.state_dict()))
    z = gradiente.from_numpy(z_half).requires_grad_(True)
    opt_b = optim.LBFGS([z], **kwargs)
    opt_b.load_state_dict(saved)

    def closure():
        opt_b.zero_grad()
        loss = _rosenbrock(z)
        loss.backward()
        return loss

    second = [opt_b.step(closure).item() for _ in range(2)]
    assert first + second == full
    np.testing.assert_array_equal(z.detach().numpy(), z_full)


def test_stops_at_once_when_the_gradient_is_zero():
    z = gradiente.ones(4, dtype=gradiente.float64, requires_grad=True)  # Rosenbrock's minimum
    opt = optim.LBFGS([z])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = _rosenbrock(z)
        loss.backward()
        return loss

    assert opt.step(closure).item() == 0.0
    assert len(calls) == 1
    np.testing.assert_array_equal(z.detach().numpy(), np.ones(4))


@pytest.mark.parametrize(
    "kwargs", [{"lr": -1.0}, {"lr": float("nan")}], ids=["negative-lr", "nan-lr"]
)
def test_bad_hyperparameters_raise_torchs_error(kwargs):
    with pytest.raises(ValueError) as t_error:
        torch.optim.LBFGS([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError) as g_error:
        optim.LBFGS([gradiente.zeros(2, requires_grad=True)], **kwargs)
    assert str(g_error.value) == str(t_error.value)


def test_errors_like_torch():
    groups = [{"params": [gradiente.zeros(2, requires_grad=True)]}] * 1 + [
        {"params": [gradiente.zeros(2, requires_grad=True)], "lr": 0.1}
    ]
    with pytest.raises(ValueError, match=r"doesn't support per-parameter options"):
        optim.LBFGS(groups)
    z = gradiente.zeros(2, dtype=gradiente.float64, requires_grad=True)
    opt = optim.LBFGS([z], line_search_fn="backtracking")

    def closure():
        opt.zero_grad()
        loss = ((z - 1) ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)
