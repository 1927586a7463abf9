"""Activation checkpointing (``gradiente.utils.checkpoint``) against torch.utils.checkpoint:
the same outputs and gradients as the plain run (dropout included), only the segment's
inputs kept for backward, and torch's errors and warnings."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import warnings

import numpy as np
import pytest

import gradiente
from conftest import run_with_torch_alias
from gradiente.utils.checkpoint import checkpoint, checkpoint_sequential

torch = pytest.importorskip("torch")
torch_checkpoint = pytest.importorskip("torch.utils.checkpoint")


def _model(lib):
    lib.manual_seed(0)
    nn = lib.nn
    return nn.Sequential(
        nn.Linear(4, 8),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(8, 8),
        nn.Tanh(),
        nn.Dropout(0.3),
        nn.Linear(8, 2),
    )


def _checkpoint_of(lib):
    if lib is gradiente:
        return checkpoint, checkpoint_sequential
    return torch_checkpoint.checkpoint, torch_checkpoint.checkpoint_sequential


def _training_step(lib, how: str, reentrant: bool, x_requires_grad: bool, **kwargs):
    """One forward/backward of the dropout model: output, parameter and input gradients."""
    model = _model(lib)
    lib.manual_seed(1)
    x = lib.randn(3, 4, requires_grad=x_requires_grad)
    lib.manual_seed(2)
    ckpt, ckpt_sequential = _checkpoint_of(lib)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if how == "plain":
            y = model(x)
        elif how == "checkpoint":
            y = ckpt(model, x, use_reentrant=reentrant, **kwargs)
        else:
            y = ckpt_sequential(model, 3, x, use_reentrant=reentrant, **kwargs)
    after_forward = lib.rand(1).item()  # the program's random stream is not disturbed
    result = {"y": y.tolist(), "requires_grad": y.requires_grad}
    if y.requires_grad:
        (y * lib.arange(6.0).reshape(3, 2)).sum().backward()
        result["params"] = [None if p.grad is None else p.grad.tolist() for p in model.parameters()]
        result["x"] = x.grad.tolist() if x_requires_grad else None
    result["after"] = [after_forward, lib.rand(1).item()]
    return result


def _assert_same(ours, theirs):
    assert ours.keys() == theirs.keys()
    for key in ours:
        if key == "params":
            for a, b in zip(ours[key], theirs[key], strict=True):
                assert (a is None) == (b is None)
                if a is not None:
                    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        elif isinstance(ours[key], list):
            np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, atol=1e-6)
        else:
            assert ours[key] == theirs[key]


@pytest.mark.parametrize("x_requires_grad", [True, False])
@pytest.mark.parametrize("reentrant", [True, False])
@pytest.mark.parametrize("how", ["checkpoint", "sequential"])
def test_checkpoint_matches_torch_and_the_plain_run(how, reentrant, x_requires_grad):
    ours = _training_step(gradiente, how, reentrant, x_requires_grad)
    _assert_same(ours, _training_step(torch, how, reentrant, x_requires_grad))
    plain = _training_step(gradiente, "plain", reentrant, x_requires_grad)
    if x_requires_grad or not reentrant:  # (else reentrant gives the first segment no grads)
        _assert_same(ours, plain)  # dropout masks drawn again identically: the same numbers


@pytest.mark.parametrize("reentrant", [True, False])
def test_without_preserved_rng_state_the_recomputed_masks_differ_as_in_torch(reentrant):
    ours = _training_step(gradiente, "checkpoint", reentrant, True, preserve_rng_state=False)
    theirs = _training_step(torch, "checkpoint", reentrant, True, preserve_rng_state=False)
    _assert_same(ours, theirs)
    plain = _training_step(gradiente, "plain", reentrant, True)
    assert ours["params"] != plain["params"]


@pytest.mark.parametrize("reentrant", [True, False])
def test_backward_recomputes_and_keeps_only_the_inputs(reentrant):
    calls = []
    layer = gradiente.nn.Linear(3, 3)

    def segment(x):
        calls.append(gradiente.is_grad_enabled())
        return (layer(x).tanh() * 2).exp()

    x = gradiente.randn(4, 3, requires_grad=True)
    y = checkpoint(segment, x, use_reentrant=reentrant)
    node = y.grad_fn
    assert node.name() == "CheckpointFunctionBackward"
    # the graph is one node: its edges lead to the leaves, no intermediate node is kept
    assert all(type(n).__name__ == "AccumulateGrad" for n, _ in node._edges if n is not None)
    assert [t.shape for t in node.saved_tensors] == [(4, 3)]
    y.sum().backward()
    assert calls == [not reentrant, True]  # reentrant's first run records nothing
    expected = gradiente.autograd.grad(segment(x).sum(), [x, layer.weight, layer.bias])
    for got, want in zip([x.grad, layer.weight.grad, layer.bias.grad], expected, strict=True):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def _grad_and_double_backward(lib, reentrant):
    ckpt, _ = _checkpoint_of(lib)
    x = lib.tensor([1.0, 2.0], requires_grad=True)

    def run():
        y = ckpt(lambda a: a.pow(3), x, use_reentrant=reentrant)
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        g.sum().backward()
        return [g.tolist(), x.grad.tolist()]

    try:
        return run()
    except RuntimeError as error:
        return str(error)


@pytest.mark.parametrize("reentrant", [True, False])
def test_autograd_grad_through_a_checkpoint(reentrant):
    ours = _grad_and_double_backward(gradiente, reentrant)
    assert ours == _grad_and_double_backward(torch, reentrant)


def _edge_cases(lib):
    ckpt, _ = _checkpoint_of(lib)
    x = lib.ones(2, requires_grad=True)
    seen = []

    def record(call):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = call()
            except ValueError as error:
                value = str(error)
        seen.append([value, [str(w.message)[:60] for w in caught]])

    def pair(a, k):
        return a * k, 5

    record(lambda: ckpt(pair, x, 3, use_reentrant=False)[1])
    record(lambda: ckpt(pair, x, 3, use_reentrant=True)[1])
    record(lambda: ckpt(lambda a: a * 2, x).requires_grad)  # use_reentrant not given
    record(lambda: ckpt(lambda a: a * 2, lib.ones(2), use_reentrant=True).requires_grad)
    record(lambda: ckpt(lambda a, b=1: a * b, x, b=2, use_reentrant=True))
    record(lambda: ckpt(lambda a, b=1: a * b, x, b=2, use_reentrant=False).tolist())
    record(
        lambda: [
            o.requires_grad for o in ckpt(lambda a: (a.detach(), a * 3), x, use_reentrant=False)
        ]
    )
    with lib.no_grad():
        record(lambda: ckpt(lambda a: a * 2, x, use_reentrant=False).requires_grad)
    return seen


def test_checkpoint_edge_cases_as_torch():
    assert _edge_cases(gradiente) == _edge_cases(torch)


def test_torch_utils_checkpoint_under_gradiente_run():
    result = run_with_torch_alias("""
        import torch
        import torch.utils.checkpoint
        from torch.utils.checkpoint import checkpoint, checkpoint_sequential
        from gradiente.utils import checkpoint as module
        assert torch.utils.checkpoint.checkpoint is module.checkpoint is checkpoint
        layer = torch.nn.Linear(2, 2)
        y = checkpoint(layer, torch.ones(1, 2), use_reentrant=False)
        y.sum().backward()
        print(layer.weight.grad.tolist())
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[[1.0, 1.0], [1.0, 1.0]]"
