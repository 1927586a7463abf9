"""Pinned memory as torch 2.13 has it: on a machine without accelerator ``Tensor.pin_memory()``
raises and ``DataLoader(pin_memory=True)`` warns and yields ordinary batches; with a CUDA
device (here the NumPy stand-in) batches and tensors are pinned copies."""

from __future__ import annotations

import collections
import os
import warnings

import numpy as np
import pytest

import gradiente
from gradiente import backend as B
from gradiente.data import DataLoader, TensorDataset
from gradiente.data.loader import pin_memory


@pytest.fixture
def cuda():
    B.set_stand_in_cuda(1)
    yield
    B.set_stand_in_cuda(0)


def _messages(make_loader, module):
    """The warnings of building a loader and taking its first batch; the batch."""
    x = module.arange(12.0).reshape(6, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        batch = next(iter(make_loader(module, x)))
    return [str(w.message) for w in caught], batch


@pytest.mark.parametrize(
    "options", [{"pin_memory": True}, {"pin_memory": True, "pin_memory_device": "cuda"}]
)
def test_without_an_accelerator_pinning_warns_as_torch(options):
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("torch sees an accelerator here")

    def make(module, x):
        dataset = module.utils.data.TensorDataset(x, module.arange(6))
        return module.utils.data.DataLoader(dataset, batch_size=4, **options)

    ours, batch = _messages(make, gradiente)
    theirs, torch_batch = _messages(make, torch)
    assert ours == theirs and len(ours) == len(options)
    assert not batch[0].is_pinned() and not torch_batch[0].is_pinned()
    np.testing.assert_array_equal(batch[0].numpy(), torch_batch[0].numpy())


def test_pin_memory_without_an_accelerator_raises_as_torch():
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("torch sees an accelerator here")
    with pytest.raises(RuntimeError) as theirs:
        torch.ones(2).pin_memory()
    with pytest.raises(RuntimeError) as ours:
        gradiente.ones(2).pin_memory()
    assert str(ours.value) == str(theirs.value)
    assert not gradiente.ones(2).is_pinned()


def test_pin_memory_false_never_warns():
    messages, batch = _messages(
        lambda m, x: DataLoader(TensorDataset(x), batch_size=3, pin_memory_device="cuda"),
        gradiente,
    )
    assert messages == [] and batch[0].shape == (3, 2)


def test_with_cuda_batches_are_pinned(cuda):
    x = gradiente.arange(12.0).reshape(6, 2)
    loader = DataLoader(TensorDataset(x, gradiente.arange(6)), batch_size=4, pin_memory=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a CUDA device: nothing to warn about
        batches = list(loader)
    assert all(t.is_pinned() and str(t.device) == "cpu" for batch in batches for t in batch)
    assert batches[0][0].tolist() == x[:4].tolist() and batches[1][1].tolist() == [4, 5]
    moved = batches[0][0].to("cuda", non_blocking=True)
    assert str(moved.device) == "cuda:0" and moved.cpu().tolist() == x[:4].tolist()


def test_pinning_a_tensor(cuda):
    x = gradiente.tensor([1.0, 2.0])
    pinned = x.pin_memory()
    assert pinned.is_pinned() and not x.is_pinned() and pinned is not x
    assert pinned.pin_memory() is pinned and pinned.tolist() == [1.0, 2.0]
    pinned.add_(1)  # the pinned copy is its own memory
    assert x.tolist() == [1.0, 2.0] and pinned.is_pinned()
    with pytest.raises(RuntimeError, match="only dense CPU tensors can be pinned"):
        gradiente.ones(2, device="cuda").pin_memory()


def test_pinning_a_batch_keeps_its_structure(cuda):
    Pair = collections.namedtuple("Pair", "image label")

    class Batch:  # a custom batch type pins itself, as torch asks it to
        def pin_memory(self):
            self.pinned = True
            return self

    batch = {"pair": Pair(gradiente.ones(2), 7), "list": [gradiente.zeros(1), "name"]}
    batch["custom"] = Batch()
    out = pin_memory(batch)
    assert isinstance(out["pair"], Pair) and out["pair"].image.is_pinned()
    assert out["pair"].label == 7 and out["list"][0].is_pinned() and out["list"][1] == "name"
    assert out["custom"].pinned
