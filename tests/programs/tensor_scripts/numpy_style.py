"""Tensors used the way NumPy users write code: axis=, keepdims=, NumPy interop, math module."""

import math

import numpy as np
import torch

rng = np.random.default_rng(0)
data = rng.normal(size=(5, 4)).astype(np.float32)
x = torch.from_numpy(data)
print(x.sum(axis=0))
print(torch.mean(x, axis=1, keepdims=True))
print(x.max(axis=1).values, x.argmax(axis=0), torch.std(x, axis=0))
print(torch.cat([x, x], axis=1).shape, torch.stack([x, x], axis=0).shape)
print(x.softmax(dim=1).sum(axis=1))

# np functions on tensors and tensors from NumPy results
print(np.mean(x.numpy()), np.linalg.norm(x.numpy()))
print(np.exp(x[0]))
arr = np.asarray(x)
print(type(arr).__name__, arr.dtype, arr.shape)
print(
    torch.as_tensor(data).data_ptr() == x.data_ptr(), torch.tensor(data).data_ptr() == x.data_ptr()
)
print(torch.from_numpy(np.arange(4)).dtype, torch.from_numpy(np.arange(4.0)).dtype)
print(torch.from_numpy(np.array([1, 2], dtype=np.int32)) * 2.5)
print(x[0] + np.float32(1.5), np.float64(2.0) * x[0, :2], x[0, :2] * np.int64(3))
print(torch.tensor(np.array([[1, 2], [3, 4]])).T)
print(torch.tensor([np.float32(0.5), np.float32(1.5)]).dtype)

# Python numbers and math on 0-d tensors
s = x.sum()
print(float(s) == s.item(), round(s.item(), 4), math.sqrt(abs(s)), int(torch.tensor(7.9)))
print(f"{s:.3f}", f"{x.mean().item():.5f}", f"{x.max().item():.2f}")
print(math.isclose(torch.tensor(0.1).item(), 0.1, rel_tol=1e-6), bool(x.abs().sum() > 0))
print(max(torch.tensor(3), torch.tensor(5)).item(), sum(torch.tensor([1, 2, 3])).item())
print(
    sorted(torch.tensor([3, 1, 2]).tolist()),
    list(torch.arange(3)),
    [t.item() for t in torch.arange(3)],
)
print(len(x), x.shape[-1], x.size(-1), x.numel(), x.dim(), x.nelement())

# Boolean masks and index arithmetic
mask = x > 0
print(mask.sum(), mask.float().mean(), mask.any(axis=1), mask.all())
print(x[mask].shape, x[~mask].sum(), torch.nonzero(mask).shape, mask.nonzero(as_tuple=True)[0][:5])
y = x.clone()
y[y < 0] = 0.0
y[:, 0] += 10
y[1] *= -1
print(y)
idx = torch.argsort(x[:, 0], descending=True)
print(idx, x[idx, 0])
print(x[[0, 2, 4]][:, [1, 3]], x[torch.tensor([True, False, True, False, True])].shape)
print(torch.where(x > 0, x, torch.zeros(1)).sum(axis=0))
print(x[1:4:2, ::3], x[-1], x[:, -2:].shape)

# np-like constructors and reductions
print(torch.zeros((2, 3)), torch.ones([2]), torch.full([2, 2], 3.0), torch.eye(2))
print(torch.arange(0, 10, 3), torch.linspace(0, 1, 5), torch.logspace(0, 2, 3))
print(torch.tensor([[1, 2], [3, 4]]).flatten(), torch.tensor([[1, 2], [3, 4]]).ravel())
print(torch.diff(torch.tensor([1, 4, 9, 16])), torch.cumsum(torch.tensor([1, 2, 3]), 0))
print(torch.clip(torch.tensor([-2.0, 0.5, 3.0]), 0, 1), torch.abs(torch.tensor([-1, 2])))
print(torch.unique(torch.tensor([3, 1, 3, 2]), return_counts=True))
print(torch.meshgrid(torch.arange(2), torch.arange(3), indexing="xy"))
print(torch.tril(torch.ones(3, 3)) @ torch.arange(3.0))
print(torch.outer(torch.arange(3), torch.arange(2)), torch.kron(torch.eye(2), torch.ones(1, 2)))
print(torch.allclose(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-9])))
print(torch.isclose(torch.tensor([1.0, 2.0]), torch.tensor([1.1, 2.0])))
print(
    torch.equal(torch.tensor([1, 2]), torch.tensor([1, 2])),
    torch.tensor([1, 2]).eq(torch.tensor([1, 3])),
)
print(torch.fmod(torch.tensor([-7.0, 7.0]), 3), torch.remainder(torch.tensor([-7.0, 7.0]), 3))
print(
    torch.floor_divide(torch.tensor([-7, 7]), 2), torch.tensor([-7, 7]) // 2, torch.tensor([7]) / 2
)
print(torch.sign(torch.tensor([-3, 0, 2])), torch.tensor([1, 2]) << 1, torch.tensor([8]) >> 2)
