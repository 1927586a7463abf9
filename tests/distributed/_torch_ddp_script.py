"""A PyTorch DDP script as written for torchrun (env://, gloo), run by ``gradiente run`` under
``mpiexec -n 2``: prints rank 0's final loss and whether the replicas agree."""

import os

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

dist.init_process_group(backend="gloo", init_method="env://")
rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
assert rank == dist.get_rank() and world == dist.get_world_size()
torch.manual_seed(0)
x, y = torch.randn(64, 4), torch.randn(64, 1)
data = TensorDataset(x, y)
sampler = DistributedSampler(data)
loader = DataLoader(data, batch_size=16 // world, sampler=sampler)
model = DDP(nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(2):
    sampler.set_epoch(epoch)
    for xb, yb in loader:
        opt.zero_grad()
        nn.functional.mse_loss(model(xb), yb).backward()
        opt.step()
w = model.module[0].weight.detach().clone()
every = [torch.zeros_like(w) for _ in range(world)]
dist.all_gather(every, w)
same = all(torch.equal(every[0], e) for e in every)
if rank == 0:
    print(f"replicas agree: {same}; loss {nn.functional.mse_loss(model(x), y).item():.6f}")
dist.destroy_process_group()
