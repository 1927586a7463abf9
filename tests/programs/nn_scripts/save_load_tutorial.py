"""The "Save and Load the Model" tutorial: state_dict round trip, and saving the whole model."""

import os
import tempfile

import torch
from torch import nn


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 64),
            nn.ReLU(),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


torch.manual_seed(0)
os.chdir(tempfile.mkdtemp())
model = NeuralNetwork()
X = torch.rand(2, 28, 28)
expected = model(X)
torch.save(model.state_dict(), "model_weights.pth")

model = NeuralNetwork()  # a fresh, differently initialised model
print(torch.equal(model(X), expected))
model.load_state_dict(torch.load("model_weights.pth", weights_only=True))
model.eval()
print(torch.equal(model(X), expected))
print(expected)

torch.save(model, "model.pth")
model = torch.load("model.pth", weights_only=False)
print(type(model).__name__, model.training, torch.equal(model(X), expected))
print(model)

sd = torch.load("model_weights.pth")
print(
    list(sd.keys()),
    sd["linear_relu_stack.0.bias"].dtype,
    sd["linear_relu_stack.0.bias"].requires_grad,
)
print(type(sd).__name__)
for name in ("model_weights.pth", "model.pth"):
    os.remove(name)
