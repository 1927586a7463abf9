"""PyTorch's "Tensors" tutorial (learn the basics), lightly extended."""

import numpy as np
import torch

# Initializing a tensor: directly from data
data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
print(x_data)
print(x_data.dtype, x_data.shape)

# From a NumPy array
np_array = np.array(data)
x_np = torch.from_numpy(np_array)
print(x_np)

# From another tensor
x_ones = torch.ones_like(x_data)  # retains the properties of x_data
print(f"Ones Tensor: \n {x_ones} \n")

torch.manual_seed(0)
x_rand = torch.rand_like(x_data, dtype=torch.float)  # overrides the datatype of x_data
print(f"Random Tensor: \n {x_rand} \n")

# With random or constant values
shape = (2, 3)
rand_tensor = torch.rand(shape)
ones_tensor = torch.ones(shape)
zeros_tensor = torch.zeros(shape)
print(f"Random Tensor: \n {rand_tensor} \n")
print(f"Ones Tensor: \n {ones_tensor} \n")
print(f"Zeros Tensor: \n {zeros_tensor}")

# Attributes of a tensor
tensor = torch.rand(3, 4)
print(f"Shape of tensor: {tensor.shape}")
print(f"Datatype of tensor: {tensor.dtype}")
print(f"Device tensor is stored on: {tensor.device}")
print(tensor.size(), tensor.size(1), tensor.dim(), tensor.ndim, tensor.numel())
print(tensor.is_floating_point(), tensor.requires_grad, tensor.is_leaf)

if torch.cuda.is_available():
    tensor = tensor.to("cuda")
device = "cuda" if torch.cuda.is_available() else "cpu"
print(f"Using {device} device")
tensor = tensor.to(device)

# Standard numpy-like indexing and slicing
tensor = torch.ones(4, 4)
print(f"First row: {tensor[0]}")
print(f"First column: {tensor[:, 0]}")
print(f"Last column: {tensor[..., -1]}")
tensor[:, 1] = 0
print(tensor)

# Joining tensors
t1 = torch.cat([tensor, tensor, tensor], dim=1)
print(t1)
print(t1.shape)
t2 = torch.stack([tensor, tensor], dim=0)
print(t2.shape)
print(torch.hstack([tensor[0], tensor[1]]))
print(torch.vstack([tensor[0], tensor[1]]))

# Arithmetic operations: matrix multiplication, three ways
y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.rand_like(y1)
torch.matmul(tensor, tensor.T, out=y3)
print(y1)
print(torch.equal(y1, y2), torch.equal(y1, y3))

# element-wise product, three ways
z1 = tensor * tensor
z2 = tensor.mul(tensor)
z3 = torch.rand_like(tensor)
torch.mul(tensor, tensor, out=z3)
print(z1)
print(torch.equal(z1, z2), torch.equal(z1, z3))

# Single-element tensors
agg = tensor.sum()
agg_item = agg.item()
print(agg_item, type(agg_item))

# In-place operations
print(f"{tensor} \n")
tensor.add_(5)
print(tensor)
tensor.t_()
print(tensor)
tensor.mul_(2).sub_(1)
print(tensor)

# Bridge with NumPy: tensor to NumPy array
t = torch.ones(5)
print(f"t: {t}")
n = t.numpy()
print(f"n: {n}")
t.add_(1)
print(f"t: {t}")
print(f"n: {n}")

# NumPy array to tensor
n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print(f"t: {t}")
print(f"n: {n}")
print(t.dtype)

# torch.tensor copies, torch.as_tensor shares
a = np.arange(6, dtype=np.float32).reshape(2, 3)
copied = torch.tensor(a)
shared = torch.as_tensor(a)
a[0, 0] = 100.0
print(copied[0, 0].item(), shared[0, 0].item())
print(torch.tensor(3.5), torch.tensor(True), torch.tensor([1.5, 2]).dtype)
print(torch.tensor(np.float64(2.5)).dtype, torch.tensor([np.int32(1)]).dtype)
