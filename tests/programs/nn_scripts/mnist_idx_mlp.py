"""Real MNIST read with a plain NumPy IDX parser: an MLP, shuffled seeded DataLoader, Adam."""

import argparse
import gzip
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, random_split


def load_idx(path):
    with gzip.open(path, "rb") as f:
        zero, dtype, ndim = struct.unpack(">HBB", f.read(4))
        shape = struct.unpack(">" + "I" * ndim, f.read(4 * ndim))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(shape)


parser = argparse.ArgumentParser()
parser.add_argument("--data-dir", default="../shared/data/mnist")
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--lr", type=float, default=1e-3)
args = parser.parse_args()

images = load_idx(os.path.join(args.data_dir, "t10k-images-idx3-ubyte.gz"))
labels = load_idx(os.path.join(args.data_dir, "t10k-labels-idx1-ubyte.gz"))
print("images", images.shape, images.dtype, "labels", labels.shape, np.bincount(labels).tolist())

x = torch.from_numpy(images[:3000].copy()).float().div(255.0)
mean, std = x.mean().item(), x.std().item()
print(f"mean={mean:.4f} std={std:.4f}")
x = ((x - mean) / std).reshape(-1, 784)
y = torch.from_numpy(labels[:3000].astype(np.int64))
dataset = TensorDataset(x, y)
generator = torch.Generator().manual_seed(42)
train_set, val_set = random_split(dataset, [2500, 500], generator=generator)
print(len(train_set), len(val_set), train_set.indices[:5])

torch.manual_seed(0)
train_loader = DataLoader(
    train_set, batch_size=100, shuffle=True, generator=torch.Generator().manual_seed(7)
)
val_loader = DataLoader(val_set, batch_size=250)

model = nn.Sequential(
    nn.Linear(784, 128),
    nn.ReLU(),
    nn.Dropout(0.2),
    nn.Linear(128, 64),
    nn.ReLU(),
    nn.Linear(64, 10),
)
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-5)
n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
print(f"trainable parameters: {n_params}")

for epoch in range(args.epochs):
    model.train()
    total_loss, seen = 0.0, 0
    for step, (xb, yb) in enumerate(train_loader):
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * xb.size(0)
        seen += xb.size(0)
        if epoch == 0 and step < 3:
            print(f"  step {step} loss {loss.item():.6f} first labels {yb[:8].tolist()}")
    model.eval()
    correct, val_loss = 0, 0.0
    with torch.no_grad():
        for xb, yb in val_loader:
            out = model(xb)
            val_loss += F.cross_entropy(out, yb, reduction="sum").item()
            correct += (out.argmax(dim=1) == yb).sum().item()
    print(
        f"epoch {epoch + 1}: train loss {total_loss / seen:.4f} "
        f"val loss {val_loss / len(val_set):.4f} val acc {100.0 * correct / len(val_set):.2f}%"
    )

probs = F.softmax(model(x[:5]), dim=1)
print("predictions", probs.argmax(1).tolist(), "targets", y[:5].tolist())
print("max prob", [round(p, 3) for p in probs.max(dim=1).values.tolist()])
