"""pytorch/examples mnist_hogwild on synthetic 12x12 "digits": one small CNN in shared memory
(``model.share_memory()``), trained by two processes at once (``torch.multiprocessing``, fork
start method, or ``--start-method spawn`` as the original), each with its own SGD optimizer and
data order; the parent then evaluates the model the children trained.

Free-running hogwild (``--free``) is a race: which process's update lands first changes from
run to run, so in that mode only robust facts are printed (each process's step count, that the
test loss went down). The default (lockstep) mode keeps the processes and the shared
weights but lets them take turns, step by step (a shared turn counter and a Condition): process
r makes its k-th step at turn 2k + r, always on the weights the other process has just updated.
Every number is then deterministic and is printed, and it can only match torch's if the
children really do update one shared copy of the weights that the parent sees.
"""

# ruff: noqa: UP004, UP008  (kept in the style of the PyTorch example)

import argparse

import torch
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--batch-size", type=int, default=20)
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--momentum", type=float, default=0.5)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--num-processes", type=int, default=2)
parser.add_argument("--free", action="store_true", help="free-running hogwild (races)")
parser.add_argument("--start-method", default="fork", choices=["fork", "spawn"])
args = parser.parse_args()


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, kernel_size=3)
        self.conv2 = nn.Conv2d(6, 12, kernel_size=3)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(108, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))  # (N, 6, 5, 5)
        x = F.relu(self.conv2_drop(self.conv2(x)))  # (N, 12, 3, 3)
        x = x.view(-1, 108)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def make_data(n, generator):
    """Noisy copies of ten fixed 12x12 patterns, one per class."""
    patterns = torch.randn(10, 1, 12, 12, generator=torch.Generator().manual_seed(0))
    target = torch.randint(0, 10, (n,), generator=generator)
    data = patterns[target] + 0.7 * torch.randn(n, 1, 12, 12, generator=generator)
    return TensorDataset(data, target)


def train(rank, args, model, dataset, turn, turn_changed, steps):
    torch.manual_seed(args.seed + rank)
    train_loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True)
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    model.train()
    step = 0
    for epoch in range(1, args.epochs + 1):
        for batch_idx, (data, target) in enumerate(train_loader):
            if not args.free:  # wait for this process's turn: 2k + rank
                my_turn = args.num_processes * step + rank
                with turn_changed:  # (a process that died would leave the other waiting)
                    if not turn_changed.wait_for(lambda t=my_turn: turn.value == t, timeout=120):
                        raise RuntimeError(f"process {rank}: the other process stopped")
            optimizer.zero_grad()
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            step += 1
            if not args.free:
                line = f"process {rank} epoch {epoch} batch {batch_idx} loss {loss.item():.6f}"
                print(line, flush=True)
                with turn_changed:
                    turn.value += 1
                    turn_changed.notify_all()
    steps[rank] = step  # reported by the parent, in rank order


def test(model, dataset):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in DataLoader(dataset, batch_size=50):
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.max(1)[1]
            correct += pred.eq(target).sum().item()
    test_loss /= len(dataset)
    return test_loss, correct


if __name__ == "__main__":
    # The processes are the parallelism: one thread each (torch's advice against
    # oversubscription; with fork it also keeps OpenMP's thread pool out of the children,
    # where a pool the parent has used can hang)
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    train_set, test_set = make_data(200, generator), make_data(100, generator)

    # forked children map the parent's shared weights; spawned ones are sent their handles
    context = mp.get_context(args.start_method)
    model = Net()
    model.share_memory()  # gradients are allocated by each process, the weights are shared
    print("shared:", all(p.is_shared() for p in model.parameters()))
    loss_before, correct = test(model, test_set)
    if not args.free:
        print(f"before training: test loss {loss_before:.6f}, {correct}/{len(test_set)} right")
    print("", end="", flush=True)  # nothing buffered may be copied into the children

    turn = context.Value("i", 0)
    turn_changed = context.Condition()
    steps = context.Array("i", args.num_processes)
    processes = []
    for rank in range(args.num_processes):
        shared = (turn, turn_changed, steps)
        p = context.Process(target=train, args=(rank, args, model, train_set, *shared))
        p.start()
        processes.append(p)
    for p in processes:
        p.join()
    print("exit codes:", [p.exitcode for p in processes], "steps:", list(steps))

    loss_after, correct = test(model, test_set)
    if args.free:
        print("test loss went down:", loss_after < loss_before)
    else:
        print(f"after training: test loss {loss_after:.6f}, {correct}/{len(test_set)} right")
