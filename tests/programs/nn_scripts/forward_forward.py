"""pytorch/examples mnist_forward_forward (Hinton's forward-forward algorithm) on synthetic data.

No backward pass through the whole network: each layer is trained on its own to give a high
"goodness" (mean squared activation) to positive data (an input with its true label written
into the first 10 features) and a low one to negative data (the same input with a wrong label),
    loss = mean(log(1 + exp([θ − g_pos, g_neg − θ]))),
then hands its detached outputs to the next layer. A sample is classified by the label whose
overlay gives the largest total goodness. The labels are written with range indexing:
``x[range(n), y] = x.max()``.
"""

# ruff: noqa: UP004, UP008  (kept in the style of the PyTorch example)

import argparse

import torch
import torch.nn as nn
from torch.optim import Adam

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=30, help="training epochs per layer")
parser.add_argument("--lr", type=float, default=0.03)
parser.add_argument("--threshold", type=float, default=2.0)
parser.add_argument("--seed", type=int, default=1)
args = parser.parse_args()
torch.manual_seed(args.seed)

# 10 classes of 64-feature points around random centres (features 0-9 will hold the label)
num_classes, features = 10, 64
centres = torch.randn(num_classes, features)
y = torch.randint(0, num_classes, (300,))
x = centres[y] + 0.8 * torch.randn(300, features)
x_test, y_test = x[200:], y[200:]
x, y = x[:200], y[:200]


def overlay_y_on_x(x, y):
    """Replace the first 10 features of x with a one-hot label scaled to x's maximum."""
    x_ = x.clone()
    x_[:, :10] *= 0.0
    x_[range(x.shape[0]), y] = x.max()
    return x_


class Layer(nn.Linear):
    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__(in_features, out_features, bias, device, dtype)
        self.relu = torch.nn.ReLU()
        self.opt = Adam(self.parameters(), lr=args.lr)
        self.threshold = args.threshold
        self.num_epochs = args.epochs

    def forward(self, x):
        # only the direction of the input is passed on, not its length (the goodness)
        x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
        return self.relu(torch.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))

    def train(self, x_pos, x_neg):
        for i in range(self.num_epochs):
            g_pos = self.forward(x_pos).pow(2).mean(1)
            g_neg = self.forward(x_neg).pow(2).mean(1)
            # push g_pos above the threshold and g_neg below it
            loss = torch.log(
                1 + torch.exp(torch.cat([-g_pos + self.threshold, g_neg - self.threshold]))
            ).mean()
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            if i % 10 == 0 or i == self.num_epochs - 1:
                print(f"  epoch {i:3d} loss {loss.item():.6f}")
        return self.forward(x_pos).detach(), self.forward(x_neg).detach()


class Net(torch.nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.layers = nn.ModuleList([Layer(dims[d], dims[d + 1]) for d in range(len(dims) - 1)])

    def predict(self, x):
        goodness_per_label = []
        for label in range(num_classes):
            h = overlay_y_on_x(x, label)
            goodness = []
            for layer in self.layers:
                h = layer(h)
                goodness += [h.pow(2).mean(1)]
            goodness_per_label += [sum(goodness).unsqueeze(1)]
        goodness_per_label = torch.cat(goodness_per_label, 1)
        return goodness_per_label.argmax(1), goodness_per_label

    def train(self, x_pos, x_neg):
        h_pos, h_neg = x_pos, x_neg
        for i, layer in enumerate(self.layers):
            print("training layer", i, "...")
            h_pos, h_neg = layer.train(h_pos, h_neg)
            print(f"  goodness pos {h_pos.pow(2).mean():.5f} neg {h_neg.pow(2).mean():.5f}")


net = Net([features, 48, 48])
x_pos = overlay_y_on_x(x, y)
rnd = torch.randperm(x.size(0))
x_neg = overlay_y_on_x(x, y[rnd])
print("label features of a positive sample:", x_pos[0, :10])
net.train(x_pos, x_neg)

prediction, goodness = net.predict(x)
print("train error:", 1.0 - prediction.eq(y).float().mean().item())
prediction, goodness = net.predict(x_test)
print("test error:", 1.0 - prediction.eq(y_test).float().mean().item())
print("goodness of the first test sample:", goodness[0])
