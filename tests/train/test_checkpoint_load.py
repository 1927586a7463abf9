"""Loading a checkpoint into a model or optimizer it does not fit: one error naming the file,
and nothing changed (all or nothing)."""

import numpy as np
import pytest

import gradiente as T
from gradiente import nn
from gradiente.train import checkpoint


def _save(tmp_path, model, optimizer):
    checkpoint.save_checkpoint(tmp_path, model, optimizer, {"epoch": 1, "batch": 0})


def test_weights_of_another_model_are_refused_naming_the_file(tmp_path):
    model = nn.Linear(3, 2)
    _save(tmp_path, model, T.optim.SGD(model.parameters(), lr=0.1))
    other = nn.Linear(4, 2)
    before = [p.detach().numpy().copy() for p in other.parameters()]
    with pytest.raises(checkpoint.CheckpointError, match=r"model\.safetensors.*does not fit"):
        checkpoint.load_checkpoint(tmp_path, other, T.optim.SGD(other.parameters(), lr=0.1))
    for p, b in zip(other.parameters(), before):
        np.testing.assert_array_equal(p.detach().numpy(), b)


def test_an_optimizer_state_that_does_not_fit_leaves_the_model_unchanged(tmp_path):
    model = nn.Linear(3, 2)
    optimizer = T.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(T.ones(1, 3)).sum().backward()
    optimizer.step()  # momentum buffers exist now
    _save(tmp_path, model, optimizer)
    target = nn.Linear(3, 2)
    before = [p.detach().numpy().copy() for p in target.parameters()]
    two_groups = T.optim.SGD(
        [{"params": [target.weight]}, {"params": [target.bias]}], lr=0.1, momentum=0.9
    )
    with pytest.raises(checkpoint.CheckpointError, match=r"optimizer\.safetensors"):
        checkpoint.load_checkpoint(tmp_path, target, two_groups)
    for p, b in zip(target.parameters(), before):
        np.testing.assert_array_equal(p.detach().numpy(), b)
