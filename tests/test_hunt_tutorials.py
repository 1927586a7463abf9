"""Findings from tutorial-style training programs (60-minute blitz, quickstart, autoencoders,
GANs, ResNets, ...), each checked against torch 2.13."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from collections import OrderedDict

import numpy as np
import pytest

import gradiente

torch = pytest.importorskip("torch")


def test_parameter_dict_from_plain_dict_sorts_keys():
    """ParameterDict({...}) adds a plain dict's entries in sorted key order (an OrderedDict or
    a list of pairs keeps its order), so parameters() and state_dict() match PyTorch's."""

    def keys(nn, P):
        pd = nn.ParameterDict({"w": P(3), "b": P(1)})
        pd.update({"z": P(1), "a": P(1)})
        pd.update(OrderedDict(y=P(1), c=P(1)))
        pd.update([("x", P(1)), ("d", P(1))])
        return list(pd), [n for n, _ in pd.named_parameters()], list(pd.state_dict())

    ours = keys(gradiente.nn, lambda n: gradiente.nn.Parameter(gradiente.zeros(n)))
    theirs = keys(torch.nn, lambda n: torch.nn.Parameter(torch.zeros(n)))
    assert ours == theirs


@pytest.mark.parametrize(
    "use",
    [
        lambda nn, p: p.numel(),
        lambda nn, p: p.nelement(),
        lambda nn, p: p.dim(),
        lambda nn, p: nn.init.zeros_(p),
        lambda nn, p: nn.init.normal_(p),
        lambda nn, p: nn.init.uniform_(p),
        lambda nn, p: nn.init.constant_(p, 0.5),
        lambda nn, p: nn.init.xavier_uniform_(p),
        lambda nn, p: nn.init.kaiming_normal_(p),
    ],
)
def test_uninitialized_parameter_refuses_counting_and_init(use):
    """Counting a lazy model's parameters or initialising them before the first forward is an
    error (mostly ValueError) in PyTorch, not a silent 0 / no-op on an empty tensor."""
    errors = []
    for lib in (torch, gradiente):
        with pytest.raises((ValueError, RuntimeError), match="uninitialized parameter") as e:
            use(lib.nn, lib.nn.LazyLinear(3).weight)
        errors.append(e.type)
    assert errors[0] is errors[1]


def test_lazy_model_counts_after_first_forward():
    """Once materialised the same idiom works and gives PyTorch's count."""
    counts = []
    for lib in (torch, gradiente):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.LazyConv2d(8, 3), lib.nn.Flatten(), lib.nn.LazyLinear(10))
        net(lib.randn(2, 3, 6, 6))
        counts.append(sum(p.numel() for p in net.parameters()))
    assert counts[0] == counts[1]


def test_consume_prefix_in_state_dict_if_present():
    """A DataParallel checkpoint ("module." keys) loads into the bare model once the prefix is
    stripped; the per-module metadata is renamed as in PyTorch."""
    from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present as torch_consume

    from gradiente.nn.module import consume_prefix_in_state_dict_if_present as consume

    def stripped(lib, fn):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.BatchNorm1d(2))
        sd = lib.nn.DataParallel(net).state_dict()
        fn(sd, "module.")
        fresh = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.BatchNorm1d(2))
        assert str(fresh.load_state_dict(sd)) == "<All keys matched successfully>"
        return list(sd), list(sd._metadata), fresh[0].weight.detach().numpy()

    ours, theirs = stripped(gradiente, consume), stripped(torch, torch_consume)
    assert ours[:2] == theirs[:2]
    np.testing.assert_array_equal(ours[2], theirs[2])


def test_consume_prefix_is_importable_under_torch_name(tmp_path):
    """``gradiente run`` resolves torch.nn.modules.utils.consume_prefix_in_state_dict_if_present."""
    import subprocess
    import sys

    script = tmp_path / "strip.py"
    script.write_text(
        "from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present as c\n"
        "sd = {'module.w': 1, 'b': 2}\n"
        "c(sd, 'module.')\n"
        "print(sorted(sd))\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "gradiente", "run", str(script)], capture_output=True, text=True
    )
    assert out.stdout.strip() == "['b', 'w']", out.stderr


def test_hardtanh_old_keywords_and_bounds_check():
    """Hardtanh still takes the deprecated min_value / max_value (FutureWarning), and equal
    bounds are refused with PyTorch's AssertionError."""
    for lib in (torch, gradiente):
        with pytest.warns(FutureWarning, match="`min_value` is deprecated"):
            layer = lib.nn.Hardtanh(min_value=-2.0, max_value=3.0)
        assert repr(layer) == "Hardtanh(min_val=-2.0, max_val=3.0)"
        assert layer(lib.tensor([-5.0, 5.0])).tolist() == [-2.0, 3.0]
        with pytest.raises(AssertionError, match=r"max_val \(1.0\) must be greater"):
            lib.nn.Hardtanh(1.0, 1.0)


_LOSS_MODULES = [
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "KLDivLoss",
    "SoftMarginLoss",
    "HingeEmbeddingLoss",
    "PoissonNLLLoss",
    "MultiMarginLoss",
    "MultiLabelMarginLoss",
]


@pytest.mark.parametrize("name", _LOSS_MODULES)
@pytest.mark.parametrize("kind", ["ndarray", "int ndarray", "list", "float"])
def test_loss_module_refuses_a_non_tensor_target(name, kind):
    """criterion(pred, y) with y a NumPy array or a list fails as in PyTorch (same exception
    type) instead of being quietly converted, which only broke once the script met PyTorch."""
    target = {
        "ndarray": np.ones((3, 4), dtype=np.float32),
        "int ndarray": np.array([0, 1, 2]),
        "list": [[1.0, 0.0, 0.0, 0.0]] * 3,
        "float": 1.0,
    }[kind]
    errors = []
    for lib in (torch, gradiente):
        lib.manual_seed(0)
        pred = lib.rand(3, 4)
        with pytest.raises((TypeError, AttributeError)) as e:
            getattr(lib.nn, name)()(pred, target)
        errors.append((e.type, str(e.value)))
    assert errors[1][0] is errors[0][0]
    if "must be Tensor" in errors[0][1]:  # torch's argument parser: the same words
        assert errors[1][1] == errors[0][1]


def test_loss_module_non_tensor_input_names_the_argument():
    """An ndarray prediction names the 'input' argument, as torch's parser does."""
    pred = np.zeros((3, 4), dtype=np.float32)
    with pytest.raises(TypeError) as ours:
        gradiente.nn.CrossEntropyLoss()(pred, gradiente.tensor([0, 1, 2]))
    with pytest.raises(TypeError) as theirs:
        torch.nn.CrossEntropyLoss()(pred, torch.tensor([0, 1, 2]))
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    "layer",
    [
        "Linear(4, 2)",
        "Conv1d(3, 2, 1)",
        "Conv2d(3, 2, 1)",
        "ConvTranspose2d(3, 2, 1)",
        "Embedding(5, 2)",
    ],
)
@pytest.mark.parametrize("kind", ["ndarray", "list"])
def test_layer_refuses_a_numpy_or_list_input_like_torch(layer, kind):
    """model(x) with x still a NumPy array (or a list) is torch's TypeError naming the
    argument, not an AttributeError from the layer's own shape check."""
    x = np.ones((2, 3, 4, 4), dtype=np.float32) if kind == "ndarray" else [[1.0, 2.0, 3.0, 4.0]]
    errors = []
    for lib in (torch, gradiente):
        lib.manual_seed(0)
        with pytest.raises(TypeError) as e:
            eval(f"lib.nn.{layer}")(x)
        errors.append(str(e.value).split(" - got")[0].split(":")[0])
    assert errors[0] == errors[1]


def _parameter_dict_session(nn, P):
    """The dict methods of ParameterDict, logged step by step."""
    pd = nn.ParameterDict({"b": P(1), "a": P(2)})
    log = [pd.get("a").shape[0], pd.get("zz", 5), pd.setdefault("c", P(3)).shape[0]]
    log.append(list(pd.copy()))
    log.append(pd.popitem()[0])
    log.append(list(pd.fromkeys(["x", "y"], P(1))))
    log.append(list(pd | nn.ParameterDict({"z": P(1)})))
    log.append(list(OrderedDict(q=P(1)) | pd))
    pd |= {"y": P(1), "x": P(1)}
    log.append(list(pd))
    log.append(list(reversed(pd)))
    for bad in (5, 0):
        try:
            pd.update(bad) if bad else pd[bad]
        except TypeError as e:
            log.append(str(e))
    return log


def test_parameter_dict_has_the_dict_methods():
    """get, setdefault, copy, popitem, fromkeys, |, |=, reversed() and the errors for a
    non-iterable update / a non-string key behave as in PyTorch."""
    ours = _parameter_dict_session(
        gradiente.nn, lambda n: gradiente.nn.Parameter(gradiente.zeros(n))
    )
    theirs = _parameter_dict_session(torch.nn, lambda n: torch.nn.Parameter(torch.zeros(n)))
    assert ours == theirs


def test_module_list_pop():
    """ModuleList.pop(i) returns the module and renumbers the rest, like Sequential.pop."""
    results = []
    for nn in (torch.nn, gradiente.nn):
        ml = nn.ModuleList([nn.Linear(1, 1), nn.ReLU(), nn.Tanh()])
        popped = ml.pop(0)
        results.append((type(popped).__name__, list(ml._modules), repr(ml)))
    assert results[0] == results[1]
