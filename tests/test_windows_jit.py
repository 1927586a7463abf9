"""Window functions (torch.signal.windows and torch.*_window) and torch.jit / torch.hub's
stand-ins, against torch."""

from __future__ import annotations

import numpy as np
import pytest

import gradiente as g
from gradiente.signal import windows as gw

torch = pytest.importorskip("torch")
tw = pytest.importorskip("torch.signal.windows")

LENGTHS = [0, 1, 2, 3, 4, 5, 8, 17, 64, 255]
SIGNAL_WINDOWS = [
    ("hann", {}),
    ("hamming", {}),
    ("blackman", {}),
    ("nuttall", {}),
    ("bartlett", {}),
    ("cosine", {}),
    ("gaussian", {"std": 2.5}),
    ("exponential", {"tau": 3.0}),
    ("general_hamming", {"alpha": 0.6}),
    ("general_cosine", {"a": [0.5, 0.3, 0.2]}),
    ("kaiser", {"beta": 8.0}),
    ("kaiser", {}),
]
FACTORIES = [
    ("hann_window", ()),
    ("hamming_window", ()),
    ("hamming_window", (0.3, 0.2)),
    ("blackman_window", ()),
    ("bartlett_window", ()),
    ("kaiser_window", ()),
    ("kaiser_window", (5.0,)),
]
# float32: torch rounds each step in float32; one or two ulps apart (kaiser: torch's float32 I₀)
TOLERANCE = {"float32": 2e-7, "float64": 1e-15}


def _same(ours, theirs, atol):
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=0, atol=atol)


@pytest.mark.parametrize("name,kwargs", SIGNAL_WINDOWS, ids=[f"{n}{k}" for n, k in SIGNAL_WINDOWS])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sym", [True, False])
def test_signal_windows_match_torch(name, kwargs, dtype, sym):
    atol = TOLERANCE[dtype] * (10 if name == "kaiser" else 2)
    for M in LENGTHS:
        ours = getattr(gw, name)(M, sym=sym, dtype=getattr(g, dtype), **kwargs)
        theirs = getattr(tw, name)(M, sym=sym, dtype=getattr(torch, dtype), **kwargs)
        _same(ours, theirs, atol)


@pytest.mark.parametrize("name,args", FACTORIES, ids=[f"{n}{a}" for n, a in FACTORIES])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("periodic", [True, False])
def test_window_factories_match_torch(name, args, dtype, periodic):
    atol = TOLERANCE[dtype] * (10 if name == "kaiser_window" else 2)
    for M in LENGTHS:
        ours = getattr(g, name)(M, periodic, *args, dtype=getattr(g, dtype))
        theirs = getattr(torch, name)(M, periodic, *args, dtype=getattr(torch, dtype))
        _same(ours, theirs, atol)
    _same(getattr(g, name)(10), getattr(torch, name)(10), 2e-7)  # default dtype, periodic


def test_requires_grad_leaf_or_graph_as_torch():
    w = g.hann_window(5, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    s = gw.hann(5, requires_grad=True)
    assert s.requires_grad and not s.is_leaf
    assert gw.gaussian(4, requires_grad=True).grad_fn is not None


def test_errors_match_torch():
    cases = [
        (lambda m: m.hann_window(-1), RuntimeError),
        (lambda m: m.kaiser_window(4, dtype=m.int64), RuntimeError),
        (lambda m: m.signal.windows.hann(-2), ValueError),
        (lambda m: m.signal.windows.hamming(4, dtype=m.int64), ValueError),
        (lambda m: m.signal.windows.blackman(-1), ValueError),
        (lambda m: m.signal.windows.gaussian(4, std=0.0), ValueError),
        (lambda m: m.signal.windows.exponential(4, tau=-1.0), ValueError),
        (lambda m: m.signal.windows.exponential(4, center=1.0), ValueError),
        (lambda m: m.signal.windows.kaiser(4, beta=-1.0), ValueError),
        (lambda m: m.signal.windows.general_cosine(4, a=[]), ValueError),
        (lambda m: m.signal.windows.general_cosine(4, a=0.5), TypeError),
    ]
    for make, error in cases:
        with pytest.raises(error) as expected:
            make(torch)
        with pytest.raises(error) as got:
            make(g)
        assert str(got.value) == str(expected.value)


def test_exponential_with_center():
    _same(
        gw.exponential(7, center=2.0, sym=False, dtype=g.float64),
        tw.exponential(7, center=2.0, sym=False, dtype=torch.float64),
        1e-15,
    )


# ---------------------------------------------------------------------------------------------
# torch.jit, torch.hub and torch.return_types, through ``gradiente run`` beside real torch

JIT_SCRIPT = """
import sys
from typing import List

import torch
import torch.nn as nn
from torch.jit.annotations import Optional


class Net(nn.Module):
    scale: torch.jit.Final[float]

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 2)
        self.scale = 2.0

    def forward(self, x):
        return self.linear(x) * self.scale

    @torch.jit.export
    def double(self, x):
        return 2 * x

    @torch.jit.ignore
    def python_only(self, items: List[int]) -> int:
        return sum(items)

    @torch.jit.unused
    def unused(self, x):
        return x


@torch.jit.script
def add_one(x, y: Optional[torch.Tensor] = None):
    return x + 1 if y is None else x + y


torch.manual_seed(0)
net = Net()
x = torch.arange(6.0).reshape(2, 3)
scripted = torch.jit.script(net)
traced = torch.jit.trace(net, (x,))
print(torch.jit.is_scripting(), torch.jit.is_tracing())
print(net(x).detach())
print(traced(x).detach())
print(scripted.double(x))
print(net.python_only([1, 2, 3]))
print(add_one(x))
print(add_one(x, x))
print(torch.jit.trace(lambda a: a * 3, (x,))(x))
print(torch.jit.trace_module(net, {"forward": (x,)}).double(x))
print(isinstance(torch.max(x, 0), torch.return_types.max))
print(torch.max(x, 1))
print(isinstance(torch.frexp(x), torch.return_types.frexp), torch.frexp(x).exponent)
print(torch.signal.windows.kaiser(5, beta=4.0), torch.hann_window(4))
print(torch.special.i0e(x), torch.i0(x).dtype)

sys.path.insert(0, sys.argv[1])
model = torch.hub.load(sys.argv[1], "tiny", source="local", width=4)
print(type(model).__name__, model.out_features)
state = torch.hub.load_state_dict_from_url("https://example.com/weights/tiny-1234.pth")
print(sorted(state), state["bias"])
"""

HUBCONF = '''
import torch.nn as nn


def tiny(width=2):
    """A tiny linear model."""
    return nn.Linear(3, width)
'''


def _run(args, cwd, env):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env
    )


def test_jit_hub_return_types_script_prints_what_torch_prints(tmp_path):
    import os

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "hubconf.py").write_text(HUBCONF)
    script = tmp_path / "jit_script.py"
    script.write_text(JIT_SCRIPT)
    home = tmp_path / "torch_home"
    (home / "hub" / "checkpoints").mkdir(parents=True)
    state = {"weight": torch.ones(2, 3), "bias": torch.tensor([0.5, -1.0])}
    torch.save(state, home / "hub" / "checkpoints" / "tiny-1234.pth")
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", TORCH_HOME=str(home))
    reference = _run([script, repo], tmp_path, env)
    assert reference.returncode == 0, reference.stderr
    result = _run(["-m", "gradiente", "run", script, repo], tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == reference.stdout


def test_jit_save_load_and_hub_github_refuse_clearly(tmp_path):
    net = g.nn.Linear(2, 2)
    assert g.jit.script(net) is net and g.jit.trace(net, (g.zeros(1, 2),)) is net
    path = str(tmp_path / "model.pt")
    with pytest.raises(NotImplementedError, match=r"torch\.jit\.save\('.*model\.pt'\).*state_dict"):
        g.jit.save(g.jit.script(net), path)
    with pytest.raises(NotImplementedError, match=r"torch\.jit\.load\('.*model\.pt'\)"):
        g.jit.load(path)
    with pytest.raises(RuntimeError, match=r"hub\.load\('pytorch/vision', 'resnet18'\).*network"):
        g.hub.load("pytorch/vision", "resnet18")
    url = "https://download.pytorch.org/models/nothing-here-0000.pth"
    g.hub.set_dir(str(tmp_path))
    with pytest.raises(RuntimeError, match="nothing-here-0000.pth.*no network access"):
        g.hub.load_state_dict_from_url(url)
    assert g.jit.isinstance([1, 2], list[int]) and not g.jit.isinstance([1, "a"], list[int])
    assert g.jit.fork(lambda a: a + 1, 1).wait() == 2
