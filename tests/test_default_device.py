"""The default device (``torch.set_default_device`` and ``with torch.device(...)``), on the
NumPy stand-in for CUDA: factories given no ``device=`` follow it, everything else keeps its
own device, and seeded numbers are the CPU's."""

import numpy as np
import pytest

import gradiente
from gradiente import backend as B


@pytest.fixture
def cuda():
    B.set_stand_in_cuda(1, strict=True)
    yield
    gradiente.set_default_device(None)
    B.set_stand_in_cuda(0)


def test_factories_follow_the_default_device(cuda):
    gradiente.set_default_device("cuda")
    assert gradiente.get_default_device() == gradiente.device("cuda", 0)
    made = [
        gradiente.zeros(2),
        gradiente.ones(2, 3),
        gradiente.empty(1),
        gradiente.full((2,), 7.0),
        gradiente.arange(3),
        gradiente.linspace(0, 1, 4),
        gradiente.eye(2),
        gradiente.tensor([1.0, 2.0]),
        gradiente.as_tensor(np.ones(2)),
        gradiente.randn(3),
        gradiente.rand(3),
        gradiente.randint(0, 5, (3,)),
        gradiente.nn.Linear(3, 2).weight,
    ]
    for t in made:
        assert str(t.device) == "cuda:0", t
    # what has a device of its own keeps it, as in torch
    host = gradiente.ones(2, device="cpu")
    assert str(host.device) == "cpu"
    assert str(gradiente.zeros_like(host).device) == "cpu"
    assert str(host.new_zeros(3).device) == "cpu"
    assert str(gradiente.from_numpy(np.ones(2)).device) == "cpu"
    gradiente.set_default_device("cpu")
    assert str(gradiente.zeros(2).device) == "cpu"
    assert gradiente.get_default_device() == gradiente.device("cpu")


def test_seeded_values_are_the_cpus_on_the_default_device(cuda):
    gradiente.manual_seed(3)
    expected = gradiente.nn.Linear(4, 3).weight.detach().numpy()
    gradiente.set_default_device("cuda")
    gradiente.manual_seed(3)
    layer = gradiente.nn.Linear(4, 3)
    np.testing.assert_array_equal(layer.weight.detach().cpu().numpy(), expected)


def test_with_device_blocks_nest_and_restore(cuda):
    with gradiente.device("cuda"):
        assert str(gradiente.ones(1).device) == "cuda:0"
        with gradiente.device("cpu"):
            assert str(gradiente.ones(1).device) == "cpu"
        assert str(gradiente.ones(1).device) == "cuda:0"
    assert str(gradiente.ones(1).device) == "cpu"
    with pytest.raises(RuntimeError, match="boom"):
        with gradiente.device("cuda:0"):
            raise RuntimeError("boom")
    assert str(gradiente.ones(1).device) == "cpu"


def test_a_missing_or_meta_default_device_raises(cuda):
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        gradiente.set_default_device("cuda:3")
    with pytest.raises(RuntimeError, match="meta"):
        gradiente.set_default_device("meta")
    with pytest.raises(RuntimeError, match="meta"):
        with gradiente.device("meta"):
            pass
    assert str(gradiente.zeros(1).device) == "cpu"


def test_without_cuda_the_default_device_cannot_be_cuda():
    with pytest.raises((RuntimeError, AssertionError), match="CUDA"):
        gradiente.set_default_device("cuda")
    assert str(gradiente.zeros(1).device) == "cpu"
