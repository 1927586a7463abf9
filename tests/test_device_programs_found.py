"""What running real PyTorch programs on the CUDA code path found (the nanoGPT-style script of
``tests/programs/nn_scripts`` with ``device = "cuda"`` on the NumPy stand-in for CUDA)."""

import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from gradiente import backend as B


@pytest.fixture
def cuda():
    B.set_stand_in_cuda(1, strict=True)
    yield
    B.set_stand_in_cuda(0)


def _attention(device, dropout_p):
    gradiente.manual_seed(5)
    q, k, v = (gradiente.randn(2, 3, 4, 8).to(device).requires_grad_() for _ in range(3))
    gradiente.manual_seed(7)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)
    grads = gradiente.autograd.grad((out * out).sum(), (q, k, v))
    return [t.detach().cpu().numpy() for t in (out, *grads)], str(out.device)


@pytest.mark.parametrize("dropout_p", [0.0, 0.25])
def test_attention_dropout_on_the_device_equals_the_cpu(cuda, dropout_p):
    """The dropout pattern is drawn on the CPU (torch's CPU stream) and moved to the device."""
    expected, _ = _attention("cpu", dropout_p)
    got, device = _attention("cuda", dropout_p)
    assert device == "cuda:0"
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


def test_a_cuda_generator_is_accepted_and_draws_the_cpu_stream(cuda):
    g = gradiente.Generator(device="cuda").manual_seed(42)
    assert g.device == gradiente.device("cuda", 0)
    assert "device='cuda:0'" in repr(g)
    cpu = gradiente.Generator().manual_seed(42)
    assert cpu.device == gradiente.device("cpu")
    probs = gradiente.tensor([0.1, 0.2, 0.7], device="cuda")
    drawn = gradiente.multinomial(probs, 8, replacement=True, generator=g)
    assert str(drawn.device) == "cuda:0"
    np.testing.assert_array_equal(
        drawn.cpu().numpy(),
        gradiente.multinomial(probs.cpu(), 8, replacement=True, generator=cpu).numpy(),
    )
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        gradiente.Generator(device="cuda:2")


def test_a_cuda_generator_needs_cuda():
    with pytest.raises((RuntimeError, AssertionError), match="CUDA"):
        gradiente.Generator(device="cuda")
