"""What the fourth round of the differential fuzzer (tests/fuzz/generate_nn.py) found, fixed,
each compared with torch through the public API."""

import numpy as np
import pytest

import gradiente as g
from conftest import from_torch

torch = pytest.importorskip("torch")


def test_index_copy_copies_signed_zeros_and_names_its_node():
    x = torch.tensor([[3.0, -0.3, -0.25]], requires_grad=True)
    src = torch.tensor([[0.25, -0.0, 3.0]], requires_grad=True)
    index = torch.tensor([0, 2, 1])
    theirs = torch.index_copy(x, -1, index, src)
    gx, gsrc = from_torch(x), from_torch(src)
    ours = g.index_copy(gx, -1, from_torch(index), gsrc)
    assert np.array_equal(np.signbit(ours.detach().numpy()), np.signbit(theirs.detach().numpy()))
    assert type(ours.grad_fn).__name__ == type(theirs.grad_fn).__name__ == "IndexCopyBackward0"
    up = torch.tensor([[1.0, 2.0, 3.0]])
    theirs.backward(up)
    ours.backward(from_torch(up))
    np.testing.assert_array_equal(gx.grad.numpy(), x.grad.numpy())
    np.testing.assert_array_equal(gsrc.grad.numpy(), src.grad.numpy())


def test_index_copy_in_place_and_scalar_index():
    z = g.zeros(5)
    z.index_copy_(0, g.tensor([1, 3]), g.tensor([1.0, 2.0]))
    assert (
        z.tolist()
        == torch.zeros(5).index_copy_(0, torch.tensor([1, 3]), torch.tensor([1.0, 2.0])).tolist()
    )
    assert g.zeros(4).index_copy(0, g.tensor(2), g.tensor(7.0)).tolist() == [0, 0, 7, 0]


@pytest.mark.parametrize(
    "index, source",
    [
        ([1, 0], ("ones", (1, 3), "float64")),
        ([1], ("ones", (1, 4), "float64")),
        ([1.0], ("ones", (1, 3), "float32")),
    ],
)
def test_index_copy_errors_as_torch(index, source):
    make, shape, dtype = source

    def run(lib):
        src = getattr(lib, make)(*shape, dtype=getattr(lib, dtype))
        return lib.zeros(2, 3).index_copy(0, lib.tensor(index), src)

    with pytest.raises(RuntimeError) as theirs:
        run(torch)
    with pytest.raises(RuntimeError) as ours:
        run(g)
    assert str(ours.value) == str(theirs.value)


def test_group_norm_with_one_value_per_group_raises_as_torch():
    with pytest.raises(ValueError) as theirs:
        torch.nn.functional.group_norm(torch.ones(1, 1), 1)
    with pytest.raises(ValueError) as ours:
        g.nn.functional.group_norm(g.ones(1, 1), 1)
    assert str(ours.value) == str(theirs.value)
    # two values per group: fine in both
    ours = g.nn.functional.group_norm(g.tensor([[1.0, 3.0]]), 1).numpy()
    theirs = torch.nn.functional.group_norm(torch.tensor([[1.0, 3.0]]), 1).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def _sdpa_pair(q, k, v, **kwargs):
    theirs = torch.nn.functional.scaled_dot_product_attention(q, k, v, **kwargs)
    ours = g.nn.functional.scaled_dot_product_attention(
        from_torch(q), from_torch(k), from_torch(v), **kwargs
    )
    return ours, theirs


@pytest.mark.parametrize("rank", [2, 3, 4, 5])
def test_attention_nan_rules_and_node_names_as_torch(rank):
    """A +inf score and a masked-out +inf key spread NaN over the row (torch adds masks)."""
    inf = float("inf")
    lead = (1,) * (rank - 2)
    q = torch.tensor([[1.0], [-0.5], [2.0]]).reshape(*lead, 3, 1).requires_grad_()
    k = torch.tensor([[-1.0], [inf], [3.0], [-1.25]]).reshape(*lead, 4, 1).requires_grad_()
    v = torch.tensor([[-2.0], [-1.0], [-2.75], [2.25]]).reshape(*lead, 4, 1).requires_grad_()
    for kwargs in ({}, {"attn_mask": torch.tensor([[True, False, True, True]] * 3)}):
        ours, theirs = _sdpa_pair(q, k, v, **kwargs)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5)
        assert type(ours.grad_fn).__name__ == type(theirs.grad_fn).__name__
    finite_k = torch.tensor([[-1.0], [0.5], [3.0], [-1.25]]).reshape(*lead, 4, 1)
    ours, theirs = _sdpa_pair(q, finite_k, v)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5)


def test_attention_of_one_dimensional_inputs_raises_as_torch():
    x = torch.ones(3)
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.functional.scaled_dot_product_attention(x, x, x)
    with pytest.raises(RuntimeError) as ours:
        g.nn.functional.scaled_dot_product_attention(g.ones(3), g.ones(3), g.ones(3))
    assert str(ours.value) == str(theirs.value)
