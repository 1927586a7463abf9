"""Benchmark of ``gradiente train``: the default run, and LeNet-5 on real MNIST beside PyTorch.

Runs, each in its own process:

1. ``gradiente train`` with the defaults (a small CNN on the bundled 8×8 digits): wall time of
   the whole command and test accuracy (the goal: >= 97% in under a minute on 2 CPU cores);
2. ``gradiente train --model lenet5 --dataset mnist --data-dir ../shared/data/mnist``: real
   MNIST, the 10,000-image test split divided 8,000/2,000 (skipped without ../shared);
3. the same LeNet-5 run written in PyTorch, on the same preprocessed data, the same
   validation split and batch order, the same hyperparameters (Adam, lr 0.001, batch 32, the
   same number of epochs, seed 0; torch's RNG and gradiente's are identical, so even the initial
   weights are the same), timed the same way (the per-epoch training + validation time).

Usage: ``python benchmarks/bench_train.py [--skip-default] [--skip-mnist] [--threads N]``;
``--threads N`` sets OMP/OpenBLAS/MKL thread counts (and ``OMP_WAIT_POLICY=PASSIVE``) for every
child process alike. Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

from gradiente.data import DataLoader
from gradiente.train.data import prepare

ROOT = pathlib.Path(__file__).resolve().parents[1]
MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist"
ENV = dict(os.environ)  # the children's environment (--threads adds to it)

TORCH_LENET = r"""
import json, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

data = np.load(sys.argv[1])
config = json.loads(sys.argv[2])
torch.manual_seed(config["seed"])


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def tensors(split):
    return TensorDataset(torch.from_numpy(data[split + "_x"]), torch.from_numpy(data[split + "_y"]))


model = LeNet5()
optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])
train = DataLoader(tensors("train"), batch_size=config["batch_size"], shuffle=True,
                   generator=torch.Generator().manual_seed(config["seed"]))
val = DataLoader(tensors("val"), batch_size=500)
test = DataLoader(tensors("test"), batch_size=500)


def evaluate(loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
            total += len(y)
    return correct / total


seconds = 0.0
for epoch in range(config["epochs"]):
    start = time.perf_counter()
    model.train()
    for x, y in train:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    val_accuracy = evaluate(val)
    seconds += time.perf_counter() - start
    print(f"epoch {epoch + 1}: val accuracy {100 * val_accuracy:.2f}%", file=sys.stderr)
print(json.dumps({"epoch_seconds": seconds, "test_accuracy": evaluate(test),
                  "threads": torch.get_num_threads()}))
"""


def _gradiente_train(args: list[str], out: pathlib.Path) -> dict:
    """Run ``gradiente train ARGS --out OUT`` in a fresh process; its timings and results."""
    command = [
        sys.executable,
        "-m",
        "gradiente",
        "train",
        *args,
        "--out",
        str(out),
        "--no-progress",
    ]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=ENV)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    print(result.stdout, file=sys.stderr)
    results = json.loads((out / "results.json").read_text())
    with open(out / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return {
        "wall": wall,
        "epoch_seconds": sum(float(r["seconds"]) for r in rows),
        "epochs": len(rows),
        "test_accuracy": results["test_accuracy"],
        "config": json.loads((out / "config.json").read_text()),
    }


def _torch_lenet(config: dict, workdir: pathlib.Path) -> dict | None:
    """The LeNet-5 run of ``config`` in PyTorch, on the very arrays gradiente trained on."""
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch is not installed: no PyTorch comparison", file=sys.stderr)
        return None
    prepared = prepare(
        config["dataset"],
        config["data_dir"],
        val_split=config["val_split"],
        seed=config["seed"],
        info=config["data"],
    )
    arrays = {}
    for split in ("train", "val", "test"):
        x, y = _all(getattr(prepared, split))
        arrays[f"{split}_x"], arrays[f"{split}_y"] = x.numpy(), y.numpy()
    path = workdir / "mnist_split.npz"
    np.savez(path, **arrays)
    settings = {k: config[k] for k in ("seed", "lr", "batch_size", "epochs")}
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", TORCH_LENET, str(path), json.dumps(settings)],
        capture_output=True,
        text=True,
        env=ENV,
    )
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"the PyTorch run failed:\n{result.stderr}")
    print(result.stderr, file=sys.stderr)
    out = json.loads(result.stdout.strip().splitlines()[-1])
    out["wall"] = wall
    return out


def _all(dataset):
    """Every sample of a (Subset of a) TensorDataset, in order, as two tensors."""
    return next(iter(DataLoader(dataset, batch_size=len(dataset))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-default", action="store_true")
    parser.add_argument("--skip-mnist", action="store_true")
    parser.add_argument("--threads", type=int, help="BLAS/OpenMP threads of every run")
    args = parser.parse_args()
    if args.threads:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            ENV[name] = str(args.threads)
        ENV["OMP_WAIT_POLICY"] = "PASSIVE"

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        if not args.skip_default:
            run = _gradiente_train([], tmp / "default")
            rows.append(("`gradiente train` (cnn, digits)", run, None))
        if not args.skip_mnist:
            if not MNIST_DIR.is_dir():
                print(f"{MNIST_DIR} is not here: no MNIST runs", file=sys.stderr)
            else:
                lenet = ["--model", "lenet5", "--dataset", "mnist", "--data-dir", str(MNIST_DIR)]
                run = _gradiente_train(lenet, tmp / "lenet")
                reference = _torch_lenet(run["config"], tmp)
                rows.append(("`gradiente train --model lenet5 --dataset mnist`", run, reference))

    threads = f"{args.threads} threads" if args.threads else "default threads"
    cpu = (
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
        f"{threads}"
    )
    print(f"\nMachine: {cpu}\n")
    print(
        "| run | epochs | wall time (whole command) | train + val time | test accuracy "
        "| PyTorch train + val time | PyTorch test accuracy | time ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, run, ref in rows:
        line = (
            f"| {name} | {run['epochs']} | {run['wall']:.1f} s | {run['epoch_seconds']:.1f} s"
            f" | {100 * run['test_accuracy']:.2f}% |"
        )
        if ref is None:
            line += " – | – | – |"
        else:
            ratio = run["epoch_seconds"] / ref["epoch_seconds"]
            line += (
                f" {ref['epoch_seconds']:.1f} s | {100 * ref['test_accuracy']:.2f}% |"
                f" {ratio:.1f}x |"
            )
        print(line)


if __name__ == "__main__":
    main()
