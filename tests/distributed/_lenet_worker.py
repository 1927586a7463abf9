"""Run under ``mpiexec -n N``: LeNet-5 for 20 SGD steps, global batch 8 split by
DistributedSampler; rank 0 saves the final weights to ``argv[2]`` (dtype ``argv[1]``)."""

import sys

import numpy as np

import gradiente as torch
import gradiente.distributed as dist
from gradiente.data import DataLoader, DistributedSampler, TensorDataset
from gradiente.models import get_model
from gradiente.nn.parallel import DistributedDataParallel as DDP

STEPS, BATCH = 20, 8

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
torch.set_default_dtype(getattr(torch, sys.argv[1]))
g = torch.Generator().manual_seed(0)
x = torch.randn(STEPS * BATCH, 1, 28, 28, generator=g)
y = torch.randint(0, 10, (STEPS * BATCH,), generator=g)
data = TensorDataset(x, y)
sampler = DistributedSampler(data, shuffle=True, seed=1)  # the same global order for any N
loader = DataLoader(data, batch_size=BATCH // world, sampler=sampler)

torch.manual_seed(0)
model = DDP(get_model("lenet5", (1, 28, 28), 10))
initial = {f"initial.{k}": v.numpy().copy() for k, v in model.module.state_dict().items()}
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for xb, yb in loader:
    opt.zero_grad()
    torch.nn.functional.cross_entropy(model(xb), yb).backward()
    opt.step()
if rank == 0:
    final = {k: v.numpy() for k, v in model.module.state_dict().items()}
    np.savez(sys.argv[2], **final, **initial)
dist.destroy_process_group()
