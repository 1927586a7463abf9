"""The loss modules of nn/losses.py against torch: repr, state_dict, values and gradients, the
legacy size_average/reduce flags. (The loss functions themselves: tests/ops/test_loss.py.)"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
import gradiente.nn as nn
import gradiente.nn.functional as F
from conftest import assert_same, check_op, class_indices, probabilities, uniform

torch = pytest.importorskip("torch")

REDUCTIONS = ["mean", "sum", "none"]


# ----------------------------------------------------------------------------- loss modules


LOSS_MODULES = {
    "MSELoss": (lambda m: m.nn.MSELoss(reduction="sum"), "reg"),
    "L1Loss": (lambda m: m.nn.L1Loss(), "reg"),
    "SmoothL1Loss": (lambda m: m.nn.SmoothL1Loss(beta=0.5), "reg"),
    "HuberLoss": (lambda m: m.nn.HuberLoss(delta=0.5, reduction="none"), "reg"),
    "CrossEntropyLoss": (
        lambda m: m.nn.CrossEntropyLoss(
            weight=m.tensor([1.0, 2.0, 0.5], dtype=m.float64), label_smoothing=0.1
        ),
        "cls",
    ),
    "NLLLoss": (lambda m: m.nn.NLLLoss(ignore_index=0), "cls"),
    "BCELoss": (lambda m: m.nn.BCELoss(), "prob"),
    "BCEWithLogitsLoss": (
        lambda m: m.nn.BCEWithLogitsLoss(pos_weight=m.tensor([2.0, 1.0, 0.5], dtype=m.float64)),
        "reg01",
    ),
    "KLDivLoss": (lambda m: m.nn.KLDivLoss(reduction="batchmean"), "kl"),
}


@pytest.mark.parametrize("name", LOSS_MODULES)
def test_loss_modules_match_torch(name):
    make, kind = LOSS_MODULES[name]
    g_mod, t_mod = make(gradiente), make(torch)
    assert repr(g_mod) == repr(t_mod)
    assert list(g_mod.state_dict()) == list(t_mod.state_dict())
    x = uniform((5, 3))
    y = {
        "reg": uniform((5, 3), 1),
        "cls": class_indices((5,), 3, 1),
        "prob": uniform((5, 3), 1, 0.0, 1.0),
        "reg01": uniform((5, 3), 1, 0.0, 1.0),
        "kl": probabilities((5, 3), 1, 1),
    }[kind]
    if kind == "prob":
        x = uniform((5, 3), 0, 0.05, 0.95)
    if kind == "kl":
        x = np.log(probabilities((5, 3), 1, 0))
    check_op(
        lambda m, a, b: (g_mod if m is gradiente else t_mod)(a, b),
        x,
        y,
        requires_grad=[True, False],
    )


def test_legacy_size_average_and_reduce():
    x, y = gradiente.ones(2, 3), gradiente.zeros(2, 3)
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert F.mse_loss(x, y, size_average=False).item() == 6.0
    with pytest.warns(UserWarning):
        assert nn.L1Loss(reduce=False).reduction == "none"
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.mse_loss(x, y, reduction="bad")


# ------------------------------------------------------------- ranking and embedding losses


def _signs(shape, seed=0):
    return np.random.default_rng(seed).choice([-1.0, 1.0], size=shape)


MORE_LOSS_MODULES = [
    ("MarginRankingLoss", {"margin": 0.2}, 3),
    ("HingeEmbeddingLoss", {}, 2),
    ("SoftMarginLoss", {"reduction": "sum"}, 2),
    ("CosineEmbeddingLoss", {"margin": 0.1}, 3),
    ("TripletMarginLoss", {"margin": 2.0, "swap": True}, 3),
    ("MultiLabelSoftMarginLoss", {}, 2),
    ("PoissonNLLLoss", {"full": True}, 2),
    ("GaussianNLLLoss", {"eps": 1e-3}, 3),
]


@pytest.mark.parametrize("name,kwargs,n", MORE_LOSS_MODULES)
def test_more_loss_modules_match_torch(name, kwargs, n):
    g_mod, t_mod = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(g_mod) == repr(t_mod)
    arrays = [uniform((4, 3), i, 0.1, 2.0) for i in range(n)]
    if name in ("MarginRankingLoss", "CosineEmbeddingLoss"):
        arrays[-1] = _signs((4,) if name == "CosineEmbeddingLoss" else (4, 3), 5)
    if name in ("HingeEmbeddingLoss",):
        arrays[-1] = _signs((4, 3), 5)
    g = g_mod(*(gradiente.from_numpy(a) for a in arrays))
    t = t_mod(*(torch.from_numpy(a) for a in arrays))
    assert_same(g, t)


@pytest.mark.parametrize("name,kwargs,n", MORE_LOSS_MODULES)
def test_more_loss_modules_refuse_an_unknown_reduction_as_torch(name, kwargs, n):
    kwargs = {**kwargs, "reduction": "bad"}
    g_mod, t_mod = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    arrays = [uniform((4, 3), i, 0.1, 2.0) for i in range(n)]
    if name == "CosineEmbeddingLoss":
        arrays[-1] = _signs((4,), 5)
    with pytest.raises(ValueError) as t_error:
        t_mod(*(torch.from_numpy(a) for a in arrays))
    with pytest.raises(ValueError) as g_error:
        g_mod(*(gradiente.from_numpy(a) for a in arrays))
    assert str(g_error.value) == str(t_error.value)
