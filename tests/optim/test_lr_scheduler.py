"""gradiente.optim.lr_scheduler against torch.optim.lr_scheduler: the same learning rates.

Each scheduler is built with the same options on a gradiente and a torch optimizer (two
parameter groups with different learning rates) and stepped 70 times; ``get_last_lr()`` and
every group's ``lr`` (and momentum / beta1 where the scheduler cycles it) must agree to 1e-12.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import copy
import math
import pickle

import numpy as np
import pytest

import gradiente

torch = pytest.importorskip("torch")

STEPS = 70
RTOL = 1e-12


def _optimizer(lib, name="SGD"):
    params = [lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)]
    groups = [{"params": params[:1]}, {"params": params[1:], "lr": 0.01}]
    if name == "SGD":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return getattr(lib.optim, name)(groups, lr=0.1)


def _lr_of(lib):
    return lib.optim.lr_scheduler


SCHEDULERS = {
    "StepLR": lambda lib, opt: _lr_of(lib).StepLR(opt, step_size=7, gamma=0.5),
    "MultiStepLR": lambda lib, opt: _lr_of(lib).MultiStepLR(opt, [5, 20, 20, 45], gamma=0.3),
    "ExponentialLR": lambda lib, opt: _lr_of(lib).ExponentialLR(opt, gamma=0.95),
    "CosineAnnealingLR": lambda lib, opt: _lr_of(lib).CosineAnnealingLR(opt, T_max=20),
    "CosineAnnealingLR-eta_min": lambda lib, opt: _lr_of(lib).CosineAnnealingLR(
        opt, T_max=13, eta_min=0.001
    ),
    "CosineAnnealingWarmRestarts": lambda lib, opt: _lr_of(lib).CosineAnnealingWarmRestarts(
        opt, T_0=10
    ),
    "CosineAnnealingWarmRestarts-T_mult": lambda lib, opt: _lr_of(lib).CosineAnnealingWarmRestarts(
        opt, T_0=5, T_mult=2, eta_min=0.001
    ),
    "LambdaLR": lambda lib, opt: _lr_of(lib).LambdaLR(opt, lambda epoch: 0.9**epoch),
    "LambdaLR-per-group": lambda lib, opt: _lr_of(lib).LambdaLR(
        opt, [lambda epoch: 1 / (1 + epoch), lambda epoch: math.sin(epoch) + 1.5]
    ),
    "MultiplicativeLR": lambda lib, opt: _lr_of(lib).MultiplicativeLR(opt, lambda epoch: 0.97),
    "LinearLR": lambda lib, opt: _lr_of(lib).LinearLR(opt, start_factor=0.25, total_iters=10),
    "LinearLR-decay": lambda lib, opt: _lr_of(lib).LinearLR(
        opt, start_factor=1.0, end_factor=0.1, total_iters=30
    ),
    "ConstantLR": lambda lib, opt: _lr_of(lib).ConstantLR(opt, factor=0.5, total_iters=8),
    "PolynomialLR": lambda lib, opt: _lr_of(lib).PolynomialLR(opt, total_iters=40, power=2.0),
    "OneCycleLR": lambda lib, opt: _lr_of(lib).OneCycleLR(
        opt, max_lr=[1.0, 0.1], total_steps=STEPS + 1
    ),
    "OneCycleLR-linear-three_phase": lambda lib, opt: _lr_of(lib).OneCycleLR(
        opt,
        max_lr=0.5,
        epochs=10,
        steps_per_epoch=8,
        pct_start=0.25,
        anneal_strategy="linear",
        three_phase=True,
        div_factor=10.0,
    ),
    "OneCycleLR-no-momentum": lambda lib, opt: _lr_of(lib).OneCycleLR(
        opt, max_lr=0.3, total_steps=STEPS, cycle_momentum=False, final_div_factor=100.0
    ),
    "CyclicLR-triangular2": lambda lib, opt: _lr_of(lib).CyclicLR(
        opt, base_lr=0.01, max_lr=0.1, step_size_up=5, mode="triangular2"
    ),
    "CyclicLR-exp_range": lambda lib, opt: _lr_of(lib).CyclicLR(
        opt,
        base_lr=[0.01, 0.001],
        max_lr=[0.1, 0.05],
        step_size_up=4,
        step_size_down=7,
        mode="exp_range",
        gamma=0.98,
    ),
    "SequentialLR": lambda lib, opt: _lr_of(lib).SequentialLR(
        opt,
        [
            _lr_of(lib).LinearLR(opt, start_factor=0.1, total_iters=10),
            _lr_of(lib).ExponentialLR(opt, gamma=0.9),
        ],
        milestones=[10],
    ),
    "SequentialLR-three": lambda lib, opt: _lr_of(lib).SequentialLR(
        opt,
        [
            _lr_of(lib).ConstantLR(opt, factor=0.3, total_iters=4),
            _lr_of(lib).CosineAnnealingLR(opt, T_max=15, eta_min=0.002),
            _lr_of(lib).StepLR(opt, step_size=5, gamma=0.7),
        ],
        milestones=[6, 30],
    ),
    "ChainedScheduler": lambda lib, opt: _lr_of(lib).ChainedScheduler(
        [
            _lr_of(lib).ConstantLR(opt, factor=0.5, total_iters=5),
            _lr_of(lib).ExponentialLR(opt, gamma=0.9),
        ]
    ),
}

ADAM_SCHEDULERS = {
    "OneCycleLR-Adam": lambda lib, opt: _lr_of(lib).OneCycleLR(opt, max_lr=0.2, total_steps=80),
    "CyclicLR-Adam": lambda lib, opt: _lr_of(lib).CyclicLR(
        opt, base_lr=0.001, max_lr=0.01, step_size_up=6
    ),
}


def _momentum(group):
    return group["betas"][0] if "betas" in group else group["momentum"]


def _run(lib, make, optimizer="SGD", steps=STEPS):
    """The learning rates (and momenta) after construction and after every step."""
    opt = _optimizer(lib, optimizer)
    sched = make(lib, opt)
    history = [
        (
            sched.get_last_lr(),
            [g["lr"] for g in opt.param_groups],
            [_momentum(g) for g in opt.param_groups],
        )
    ]
    for _ in range(steps):
        opt.step()
        sched.step()
        history.append(
            (
                sched.get_last_lr(),
                [g["lr"] for g in opt.param_groups],
                [_momentum(g) for g in opt.param_groups],
            )
        )
    return history


def _assert_same_history(g_history, t_history):
    assert len(g_history) == len(t_history)
    for step, (g, t) in enumerate(zip(g_history, t_history, strict=True)):
        for what, g_values, t_values in zip(("last_lr", "lr", "momentum"), g, t, strict=True):
            np.testing.assert_allclose(
                g_values, t_values, rtol=RTOL, atol=0, err_msg=f"step {step}: {what}"
            )


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_learning_rates_match_torch(name):
    make = SCHEDULERS[name]
    _assert_same_history(_run(gradiente, make), _run(torch, make))


@pytest.mark.parametrize("name", list(ADAM_SCHEDULERS))
def test_momentum_cycling_writes_beta1(name):
    make = ADAM_SCHEDULERS[name]
    g_history = _run(gradiente, make, "Adam")
    _assert_same_history(g_history, _run(torch, make, "Adam"))
    assert len({m for _, _, (m, _) in g_history}) > 10


def test_cosine_warm_restarts_with_fractional_epochs():
    histories = []
    for lib in (gradiente, torch):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)
        lrs = []
        iters = 7
        for epoch in range(12):
            for i in range(iters):
                opt.step()
                sched.step(epoch + i / iters)
                lrs.append(sched.get_last_lr())
        histories.append((lrs, sched.T_i, sched.T_cur, sched.last_epoch))
    (g_lrs, *g_rest), (t_lrs, *t_rest) = histories
    np.testing.assert_allclose(g_lrs, t_lrs, rtol=RTOL, atol=0)
    assert g_rest == pytest.approx(t_rest, rel=1e-12)


@pytest.mark.parametrize("name", ["StepLR", "ExponentialLR", "CosineAnnealingLR", "MultiStepLR"])
def test_step_with_epoch_uses_the_closed_form(name):
    make = SCHEDULERS[name]
    results = []
    for lib in (gradiente, torch):
        opt = _optimizer(lib)
        sched = make(lib, opt)
        lrs = []
        with pytest.warns(UserWarning, match="epoch parameter"):
            for epoch in (3, 9, 25, 26, 60):
                opt.step()
                sched.step(epoch)
                lrs.append(sched.get_last_lr())
        results.append(lrs)
    np.testing.assert_allclose(results[0], results[1], rtol=RTOL, atol=0)


LOSSES = [1.0, 0.9, 0.95, 0.91, 0.92, 0.93, 0.9, 0.905, 0.89, 0.9, 0.9, 0.9, 0.91, 0.88]
LOSSES = LOSSES + [0.88 + 0.001 * (i % 5) for i in range(40)] + [0.5, 0.6, 0.7, 0.8]

PLATEAU = {
    "default": {},
    "patience-factor": {"patience": 2, "factor": 0.5},
    "cooldown-min_lr": {"patience": 1, "factor": 0.3, "cooldown": 3, "min_lr": [0.001, 0.0005]},
    "abs-threshold": {"patience": 2, "threshold": 0.02, "threshold_mode": "abs"},
    "max-mode": {"mode": "max", "patience": 3, "factor": 0.7},
    "max-abs-eps": {"mode": "max", "threshold_mode": "abs", "patience": 0, "eps": 1e-3},
}


@pytest.mark.parametrize("name", list(PLATEAU))
def test_reduce_lr_on_plateau_matches_torch(name):
    kwargs = PLATEAU[name]
    histories = []
    for lib in (gradiente, torch):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        history = []
        for loss in LOSSES:
            opt.step()
            sched.step(lib.tensor(loss))
            history.append(
                (sched.get_last_lr(), sched.num_bad_epochs, sched.cooldown_counter, sched.best)
            )
        histories.append(history)
    g_history, t_history = histories
    for step, (g, t) in enumerate(zip(g_history, t_history, strict=True)):
        np.testing.assert_allclose(g[0], t[0], rtol=RTOL, atol=0, err_msg=f"step {step}")
        assert g[1:] == t[1:], f"step {step}"
    assert len({tuple(h[0]) for h in g_history}) > 1 or name == "max-abs-eps"


def _checkpoint_and_resume(lib, make, steps_before, steps_after, plateau=False):
    """Run, save both state_dicts (pickled), rebuild optimizer + scheduler, load, continue."""
    opt = _optimizer(lib)
    sched = make(lib, opt)
    lrs = []

    def advance(opt, sched, k):
        for _ in range(k):
            opt.step()
            if plateau:
                sched.step(LOSSES[len(lrs) % len(LOSSES)])
            else:
                sched.step()
            lrs.append(sched.get_last_lr())

    advance(opt, sched, steps_before)
    if lib is torch:
        saved = copy.deepcopy((sched.state_dict(), opt.state_dict()))
    else:
        saved = pickle.loads(pickle.dumps((sched.state_dict(), opt.state_dict())))
    opt2 = _optimizer(lib)
    sched2 = make(lib, opt2)
    sched2.load_state_dict(saved[0])
    opt2.load_state_dict(saved[1])
    advance(opt2, sched2, steps_after)
    return lrs, sched2


@pytest.mark.parametrize(
    "name",
    [
        "StepLR",
        "CosineAnnealingLR",
        "CosineAnnealingWarmRestarts-T_mult",
        "OneCycleLR",
        "SequentialLR-three",
        "ChainedScheduler",
        "LambdaLR",
        "CyclicLR-triangular2",
        "ReduceLROnPlateau",
    ],
)
def test_state_dict_round_trip(name):
    plateau = name == "ReduceLROnPlateau"
    if plateau:

        def make(lib, opt):
            return lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=2, factor=0.5)

    else:
        make = SCHEDULERS[name]
    g_lrs, g_sched = _checkpoint_and_resume(gradiente, make, 25, 40, plateau)
    t_lrs, t_sched = _checkpoint_and_resume(torch, make, 25, 40, plateau)
    np.testing.assert_allclose(g_lrs, t_lrs, rtol=RTOL, atol=0)
    # The uninterrupted gradiente run gives the same rates.
    uninterrupted = [h[0] for h in _run(gradiente, make, steps=65)[1:]] if not plateau else None
    if uninterrupted is not None:
        np.testing.assert_allclose(g_lrs, uninterrupted, rtol=RTOL, atol=0)
    g_keys = set(g_sched.state_dict())
    t_keys = set(t_sched.state_dict())
    assert g_keys == t_keys


def test_scheduler_state_dict_contents_match_torch():
    g_opt, t_opt = _optimizer(gradiente), _optimizer(torch)
    g = gradiente.optim.lr_scheduler.StepLR(g_opt, step_size=3)
    t = torch.optim.lr_scheduler.StepLR(t_opt, step_size=3)
    for _ in range(5):
        g_opt.step(), t_opt.step()
        g.step(), t.step()
    assert g.state_dict() == t.state_dict()
    assert g.base_lrs == t.base_lrs == [0.1, 0.01]
    assert g.last_epoch == t.last_epoch == 5
    assert [grp["initial_lr"] for grp in g_opt.param_groups] == [0.1, 0.01]


def test_stepping_the_scheduler_first_warns_like_torch():
    for lib in (gradiente, torch):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=3)
        with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
            sched.step()


def test_resuming_without_initial_lr_raises():
    for lib in (gradiente, torch):
        with pytest.raises(KeyError, match="initial_lr"):
            lib.optim.lr_scheduler.StepLR(_optimizer(lib), step_size=3, last_epoch=4)


@pytest.mark.parametrize(
    "make",
    [
        lambda lib, opt: _lr_of(lib).ConstantLR(opt, factor=1.5),
        lambda lib, opt: _lr_of(lib).LinearLR(opt, start_factor=0),
        lambda lib, opt: _lr_of(lib).LinearLR(opt, end_factor=2.0),
        lambda lib, opt: _lr_of(lib).CosineAnnealingWarmRestarts(opt, T_0=0),
        lambda lib, opt: _lr_of(lib).CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=0),
        lambda lib, opt: _lr_of(lib).OneCycleLR(opt, max_lr=0.1),
        lambda lib, opt: _lr_of(lib).OneCycleLR(opt, max_lr=0.1, total_steps=10, pct_start=1.5),
        lambda lib, opt: _lr_of(lib).OneCycleLR(opt, 0.1, 10, anneal_strategy="exp"),
        lambda lib, opt: _lr_of(lib).OneCycleLR(opt, max_lr=[0.1], total_steps=10),
        lambda lib, opt: _lr_of(lib).ReduceLROnPlateau(opt, factor=1.0),
        lambda lib, opt: _lr_of(lib).ReduceLROnPlateau(opt, mode="middle"),
        lambda lib, opt: _lr_of(lib).ReduceLROnPlateau(opt, min_lr=[0.1]),
        lambda lib, opt: _lr_of(lib).SequentialLR(opt, [], milestones=[]),
        lambda lib, opt: _lr_of(lib).LambdaLR(opt, [lambda e: 1.0]),
        lambda lib, opt: _lr_of(lib).StepLR(object(), 3),
    ],
)
def test_bad_arguments_raise_torchs_error(make):
    errors = []
    for lib in (torch, gradiente):
        with pytest.raises((ValueError, TypeError)) as info:
            make(lib, _optimizer(lib))
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]


def test_one_cycle_lr_refuses_extra_steps():
    opt = _optimizer(gradiente)
    sched = gradiente.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        sched.step()


def test_schedulers_drive_training():
    """A scheduler changes the learning rate the optimizer actually uses."""
    p = gradiente.tensor([1.0], dtype=gradiente.float64, requires_grad=True)
    opt = gradiente.optim.SGD([p], lr=1.0)
    sched = gradiente.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        opt.zero_grad()
        p.sum().backward()  # gradient 1: each step moves p by the current lr
        opt.step()
        sched.step()
    assert p.item() == pytest.approx(1.0 - 1.0 - 0.5 - 0.25)


class _Factor:
    """A callable object with state: its ``__dict__`` is what a lambda scheduler saves."""

    def __init__(self, value):
        self.value = value
        self.calls = 0

    def __call__(self, epoch):
        self.calls += 1
        return self.value


@pytest.mark.parametrize("name", ["LambdaLR", "MultiplicativeLR"])
def test_lambda_schedulers_save_and_restore_callable_objects_like_torch(name):
    saved, restored = {}, {}
    for lib in (gradiente, torch):
        opt = _optimizer(lib)
        sched = getattr(_lr_of(lib), name)(opt, [_Factor(0.9), _Factor(0.5)])
        for _ in range(3):
            opt.step()
            sched.step()
        state = sched.state_dict()
        saved[lib] = copy.deepcopy(state)
        fresh = getattr(_lr_of(lib), name)(opt, [_Factor(0.1), _Factor(0.2)])
        live = list(fresh.lr_lambdas)
        fresh.load_state_dict(state)
        assert fresh.lr_lambdas == live  # the live functions stay; their state is restored
        assert list(state) == list(saved[lib])  # the given dict comes back unchanged
        restored[lib] = ([fn.__dict__ for fn in fresh.lr_lambdas], fresh.last_epoch)
    assert saved[gradiente]["lr_lambdas"] == saved[torch]["lr_lambdas"]
    calls = 4 if name == "LambdaLR" else 3  # MultiplicativeLR's first step keeps the rate
    assert saved[gradiente]["lr_lambdas"] == [
        {"value": 0.9, "calls": calls},
        {"value": 0.5, "calls": calls},
    ]
    assert restored[gradiente] == restored[torch]


def test_only_multiplicative_lr_refuses_a_lambda_that_is_not_callable():
    errors = []
    for lib in (torch, gradiente):
        with pytest.raises(TypeError) as info:
            _lr_of(lib).MultiplicativeLR(_optimizer(lib), [lambda e: 1.0, 3])
        errors.append(str(info.value))
        # LambdaLR does not check: its first call of the int fails, as in torch
        with pytest.raises(TypeError, match="'int' object is not callable"):
            _lr_of(lib).LambdaLR(_optimizer(lib), [lambda e: 1.0, 3])
    assert errors[0] == errors[1] == "lr_lambda should be a function, but got int"


def test_composed_scheduler_state_dict_keeps_each_sub_scheduler_state():
    states = {}
    for lib in (gradiente, torch):
        opt = _optimizer(lib)
        warmup = _lr_of(lib).LinearLR(opt, start_factor=0.5, total_iters=2)
        decay = _lr_of(lib).ExponentialLR(opt, gamma=0.9)
        sched = _lr_of(lib).SequentialLR(opt, [warmup, decay], milestones=[2])
        for _ in range(4):
            opt.step()
            sched.step()
        state = sched.state_dict()
        fresh_warmup = _lr_of(lib).LinearLR(opt, start_factor=0.5, total_iters=2)
        fresh_decay = _lr_of(lib).ExponentialLR(opt, gamma=0.9)
        fresh = _lr_of(lib).SequentialLR(opt, [fresh_warmup, fresh_decay], milestones=[2])
        fresh.load_state_dict(state)
        assert "_schedulers" in state and fresh._schedulers[1] is fresh_decay
        states[lib] = (state["_schedulers"][1]["last_epoch"], fresh_decay.last_epoch)
    assert states[gradiente] == states[torch] == (2, 2)
