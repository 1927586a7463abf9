"""gradiente.special against torch.special: values and, where differentiable, gradients."""

import os

import numpy as np
import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
torch = pytest.importorskip("torch")

import gradiente  # noqa: E402
import gradiente.special as special  # noqa: E402

X = [-2.5, -0.7, 0.0, 0.3, 1.9]
P = [0.05, 0.3, 0.5, 0.8, 0.97]

# (name, inputs, extra positional arguments)
CASES = [
    ("expit", [X], ()),
    ("logit", [P], ()),
    ("erf", [X], ()),
    ("erfc", [X], ()),
    ("erfinv", [[-0.9, -0.2, 0.0, 0.4, 0.95]], ()),
    ("exp2", [X], ()),
    ("expm1", [X], ()),
    ("log1p", [P], ()),
    ("logsumexp", [X], (0,)),
    ("softmax", [X], (0,)),
    ("log_softmax", [X], (0,)),
    ("xlogy", [[0.0, 1.5, 2.0, 0.5, 3.0], P], ()),
    ("xlog1py", [[0.0, 1.5, 2.0, 0.5, 3.0], P], ()),
    ("entr", [[-1.0, 0.0, 0.2, 1.0, 2.5]], ()),
    ("sinc", [X], ()),
    ("ndtr", [X], ()),
    ("ndtri", [P], ()),
    ("log_ndtr", [X], ()),
    ("round", [[0.5, 1.5, -2.5, 2.4, -0.6]], ()),
]


@pytest.mark.parametrize("name,inputs,args", CASES, ids=[c[0] for c in CASES])
def test_special_matches_torch(name, inputs, args):
    ours = [gradiente.tensor(v, dtype=gradiente.float64, requires_grad=True) for v in inputs]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in inputs]
    got = getattr(special, name)(*ours, *args)
    want = getattr(torch.special, name)(*theirs, *args)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12, atol=1e-12)
    if name == "round":
        return
    weights = np.linspace(0.5, 1.5, got.numel()).reshape(tuple(got.shape))
    (got * gradiente.tensor(weights)).sum().backward()
    (want * torch.tensor(weights)).sum().backward()
    # every point compared, the singular ones included (x = 0 for xlog1py, entr and sinc;
    # x < 0 for entr, where both give NaN)
    for a, b in zip(ours, theirs, strict=True):
        grad_b = np.zeros(len(inputs[0])) if b.grad is None else b.grad.numpy()
        grad_a = np.zeros(len(inputs[0])) if a.grad is None else a.grad.numpy()
        np.testing.assert_allclose(grad_a, grad_b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["sinc", "entr"])
def test_singular_points_pass_gradcheck_and_second_derivatives_match_torch(name):
    x = gradiente.tensor([0.0, 0.3, 1.7, 2.5], dtype=gradiente.float64, requires_grad=True)
    away = gradiente.tensor([0.3, 1.7, 2.5], dtype=gradiente.float64, requires_grad=True)
    assert gradiente.autograd.gradcheck(getattr(special, name), (away,))
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    seconds = []
    for lib, v in ((gradiente, x), (torch, xt)):
        (g,) = lib.autograd.grad(getattr(lib.special, name)(v).sum(), v, create_graph=True)
        (gg,) = lib.autograd.grad(g[1:].sum(), v)  # second derivative away from the +inf
        seconds.append(gg.detach().numpy())
    if name == "sinc":
        # at 0 itself torch's double backward of sinc is NaN (0 · the 0/0 inside its masked
        # formula); ours is the true 0 (sinc(0) does not enter g[1:]) — compared elsewhere
        assert seconds[0][0] == 0.0 and np.isnan(seconds[1][0])
        seconds = [s[1:] for s in seconds]
    np.testing.assert_allclose(seconds[0], seconds[1], rtol=1e-10, atol=1e-12)


def test_xlog1py_nan_and_broadcasting_like_torch():
    x = [[0.0, 0.0, 2.0], [1.0, 0.0, -1.0]]
    y = [float("nan"), 0.5, -0.5]
    got = special.xlog1py(gradiente.tensor(x), gradiente.tensor(y))
    want = torch.special.xlog1py(torch.tensor(x), torch.tensor(y))
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert special.xlog1py(gradiente.tensor([1, 0]), 2.0).dtype == gradiente.float32


def test_special_refuses_lists_as_torch_does_and_takes_out():
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        torch.special.erf([0.5])
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        special.erf([0.5])
    out = gradiente.empty(3)
    special.expm1(gradiente.tensor([0.0, 1.0, -1.0]), out=out)
    np.testing.assert_allclose(out.numpy(), np.expm1([0.0, 1.0, -1.0]), rtol=1e-6)


def test_ndtri_is_nan_outside_zero_one_even_for_tiny_negatives():
    """Found by the op fuzzer: p = −1e-30 gave −inf (2p − 1 rounds to −1), torch NaN."""
    values = [-1e-30, -0.5, 0.0, 1.0, 1.5, 0.25, float("nan")]
    for dtype in ("float32", "float64"):
        ours = special.ndtri(gradiente.tensor(values, dtype=getattr(gradiente, dtype)))
        theirs = torch.special.ndtri(torch.tensor(values, dtype=getattr(torch, dtype)))
        assert ours.dtype == getattr(gradiente, dtype)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
