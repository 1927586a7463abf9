# ruff: noqa: E501
"""searchsorted/bucketize with NaN in the boundaries: torch's binary search (a NaN compares
false) rather than NumPy's (NaN sorted last) — found by the op fuzzer."""

from conftest import torch_and_gradiente_print

_PROGRAM = """
import torch
b = torch.tensor([-2.5, -0.0, 0.75, float("inf"), float("nan")], dtype=torch.float64)
x = torch.tensor([[0.77, 2.5, 1.75], [0.37, -0.25, float("nan")], [float("inf"), -3.0, 0.75]], dtype=torch.float64)
for bb in [b, torch.tensor([float("nan"), 1.0, 2.0]), torch.tensor([1.0, float("nan"), 0.0, 3.0])]:
    print(torch.bucketize(x.to(bb.dtype), bb), torch.bucketize(x.to(bb.dtype), bb, right=True))
    print(torch.searchsorted(bb, x.to(bb.dtype)), torch.searchsorted(bb, x.to(bb.dtype), side="right"))
s2 = torch.tensor([[1.0, float("nan"), 3.0], [0.0, 1.0, 2.0]])
print(torch.searchsorted(s2, torch.tensor([[2.0, 0.5], [1.5, float("nan")]])))
print(torch.searchsorted(s2, torch.tensor([[2.0, 0.5], [1.5, float("nan")]]), right=True, out_int32=True))
"""


def test_nan_boundaries_as_torch():
    theirs, ours = torch_and_gradiente_print(_PROGRAM)
    assert ours == theirs
