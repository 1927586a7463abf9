"""torch.compile(module): the OptimizedModule wrapper, as torch returns it (nothing is compiled)."""

import copy
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from gradiente import nn
from gradiente.nn.compiled import OptimizedModule


def _describe(lib, model):
    """What a program sees of torch.compile(model): the same for torch and gradiente."""
    compiled = lib.compile(model)
    return {
        "type": type(compiled).__name__,
        "repr": repr(compiled),
        "keys": list(compiled.state_dict()),
        "named_modules": [name for name, _ in compiled.named_modules()],
        "is_original": isinstance(compiled, type(model)),
        "same_weight": next(compiled.parameters()) is model[0].weight,
        "disabled_is_model": lib.compile(model, disable=True) is model,
        "decorator": type(lib.compile()(model)).__name__,
    }


def test_compile_wraps_a_module_as_torch_does():
    torch = pytest.importorskip("torch")
    made = {}
    for name, lib in (("torch", torch), ("gradiente", gradiente)):
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
        made[name] = _describe(lib, model)
    assert made["gradiente"] == made["torch"]
    assert made["gradiente"]["keys"][0] == "_orig_mod.0.weight"


def test_compiled_module_runs_the_original_and_shares_its_state():
    gradiente.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5))
    model.config = "tiny"
    compiled = gradiente.compile(model, backend="eager")
    assert isinstance(compiled, OptimizedModule) and compiled._orig_mod is model
    x = gradiente.randn(2, 3)
    compiled.eval()  # the training flag is the original's
    assert model.training is False and compiled.training is False
    np.testing.assert_array_equal(compiled(x).detach().numpy(), model(x).detach().numpy())
    assert compiled.config == "tiny"  # attribute reads and writes go to the original
    compiled.block_size = 8
    assert model.block_size == 8 and "block_size" not in vars(compiled)
    assert len(compiled) == 2
    compiled.load_state_dict(
        {"_orig_mod.0.weight": gradiente.zeros(4, 3), "_orig_mod.0.bias": gradiente.ones(4)}
    )
    assert model[0].weight.abs().sum().item() == 0 and model[0].bias.sum().item() == 4
    twin = copy.deepcopy(compiled)
    assert type(twin) is OptimizedModule and twin._orig_mod is not model
    assert [p.shape for p in twin.parameters()] == [p.shape for p in model.parameters()]


def test_compile_returns_a_function_as_is():
    def f(v):
        return v * 2

    assert gradiente.compile(f) is f
    assert gradiente.compile(mode="reduce-overhead")(f) is f
