"""Run under ``mpiexec -n 2``: DistributedDataParallel and SyncBatchNorm against one process
training on the full batch (float64). ``argv[1]`` picks the check; prints "ok <rank>"."""

import sys

import numpy as np

import gradiente as torch
import gradiente.distributed as dist
from gradiente import nn
from gradiente.nn.parallel import DistributedDataParallel as DDP

torch.set_default_dtype(torch.float64)


class Net(nn.Module):
    def __init__(self, unused: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3)
        self.fc = nn.Linear(3 * 4 * 4, 4)
        if unused:
            self.extra = nn.Linear(4, 4)  # gets no gradient

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


def data(n=8):
    g = torch.Generator().manual_seed(7)
    return torch.randn(n, 1, 6, 6, generator=g), torch.randint(0, 4, (n,), generator=g)


def grads(model):
    return [p.grad.numpy().copy() for p in model.parameters() if p.grad is not None]


def train(model, x, y, steps, rank=0, world=1, bucket_cap_mb=None, unused=False):
    """SGD on this rank's contiguous share of the batch; the final parameters."""
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    share = len(x) // world
    xs, ys = x[rank * share : (rank + 1) * share], y[rank * share : (rank + 1) * share]
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(xs), ys).backward()
        opt.step()
    return [p.detach().numpy().copy() for p in model.parameters()]


def close(a, b, tol=1e-12):
    return all(np.allclose(u, v, rtol=0, atol=tol) for u, v in zip(a, b))


def check_ddp(rank, world):
    x, y = data()
    torch.manual_seed(rank)  # different initial weights: DDP must broadcast rank 0's
    model = DDP(Net(), bucket_cap_mb=0.0005)  # several buckets (about 500 bytes each)
    assert len(model._buckets) > 1, len(model._buckets)
    assert list(model.state_dict())[0] == "module.conv.weight"
    torch.manual_seed(0)
    reference = train(Net(), x, y, steps=4)
    assert close(train(model, x, y, 4, rank, world), reference), "DDP != full batch"
    assert close(train(model.module, x, y, 0), reference)


def check_no_sync(rank, world):
    x, y = data()
    torch.manual_seed(0)
    ref = Net()
    # Full batch, as two accumulated halves: gradient of the mean loss over the batch.
    for half in (slice(0, 4), slice(4, 8)):
        (nn.functional.cross_entropy(ref(x[half]), y[half]) / 2).backward()
    model = DDP(Net())
    torch.manual_seed(0)
    model.module.load_state_dict(Net().state_dict())
    # Each rank: two micro-batches of 2 (rank's quarter of each half), sync on the last.
    mine = [slice(h * 4 + rank * 2, h * 4 + rank * 2 + 2) for h in (0, 1)]
    with model.no_sync():
        (nn.functional.cross_entropy(model(x[mine[0]]), y[mine[0]]) / 2).backward()
    local = grads(model.module)
    (nn.functional.cross_entropy(model(x[mine[1]]), y[mine[1]]) / 2).backward()
    assert close(grads(model), grads(ref)), "no_sync accumulation != full batch"
    # Inside no_sync the gradients stayed local (they differ between ranks).
    every = [None] * world
    dist.all_gather_object(every, local[0])
    assert not np.allclose(every[0], every[1])


def check_unused(rank, world):
    x, y = data()
    model = DDP(Net(unused=True), find_unused_parameters=True)
    nn.functional.cross_entropy(model(x[rank::world]), y[rank::world]).backward()
    assert model.module.extra.weight.grad is None and model.module.conv.weight.grad is not None
    strict = DDP(Net(unused=True))
    nn.functional.cross_entropy(strict(x), y).backward()
    try:
        strict(x)
    except RuntimeError as e:
        assert "Expected to have finished reduction" in str(e) and "extra.weight" in str(e)
    else:
        raise AssertionError("a missing gradient without find_unused_parameters must raise")


def check_syncbn(rank, world):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(8, 3, 4, 4, generator=g) * 2 + 1
    up = torch.randn(8, 3, 4, 4, generator=g)
    bn = nn.BatchNorm2d(3)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([1.0, 2.0, 0.5]))
        bn.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
    sync = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.BatchNorm2d(3)))[0]
    sync.load_state_dict(bn.state_dict())
    xs = x[rank * 4 : rank * 4 + 4].detach().requires_grad_()
    xf = x.detach().requires_grad_()
    out, ref = sync(xs), bn(xf)
    assert close(out.detach().numpy(), ref[rank * 4 : rank * 4 + 4].detach().numpy())
    (out * up[rank * 4 : rank * 4 + 4]).sum().backward()
    (ref * up).sum().backward()
    assert close(xs.grad.numpy(), xf.grad[rank * 4 : rank * 4 + 4].numpy()), "dL/dx"
    # Parameter gradients: each rank has its share; their sum is the full batch's.
    total = sync.weight.grad.clone()
    dist.all_reduce(total)
    assert close(total.numpy(), bn.weight.grad.numpy()), "dL/dγ"
    assert close(sync.running_mean.numpy(), bn.running_mean.numpy())
    assert close(sync.running_var.numpy(), bn.running_var.numpy())
    assert int(sync.num_batches_tracked) == 1


def check_mismatch(rank, world):
    torch.manual_seed(0)
    model = nn.Linear(4, 3 if rank == 0 else 5)
    try:
        DDP(model)
    except RuntimeError as e:
        assert "parameter weight has shape [3, 4]" in str(e) and "on rank 1" in str(e), e
        print(f"mismatch: {e}")
    else:
        raise AssertionError("different models must be refused")


def check_crash(rank, world):
    if rank == 1:
        raise ValueError("deliberate failure")
    dist.barrier()  # rank 0 would wait here forever without the abort
    print("rank 0 passed a barrier that rank 1 never reached")


def check_kill(rank, world):
    import os
    import signal

    if rank == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    dist.barrier()


if __name__ == "__main__":
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    globals()["check_" + sys.argv[1]](rank, world)
    dist.barrier()
    dist.destroy_process_group()
    print(f"ok {rank}")
