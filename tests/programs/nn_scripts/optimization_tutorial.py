"""The "Optimizing Model Parameters" tutorial's train_loop/test_loop, on a subset of MNIST.

(The tutorial uses FashionMNIST; the real MNIST test split is what is available offline.)
"""

import os
import sys

import torch
from torch import nn
from torch.utils.data import DataLoader, Subset

try:
    from torchvision import datasets
    from torchvision.transforms import ToTensor
except ImportError:
    datasets = None

root = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/mnist"
torch.manual_seed(0)

if datasets is not None:
    test_data = datasets.MNIST(root=root, train=False, download=False, transform=ToTensor())
else:
    import gzip

    import numpy as np
    from torch.utils.data import Dataset

    class IDXMNIST(Dataset):
        def __init__(self, root):
            with gzip.open(os.path.join(root, "t10k-images-idx3-ubyte.gz")) as f:
                self.images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
            with gzip.open(os.path.join(root, "t10k-labels-idx1-ubyte.gz")) as f:
                self.labels = np.frombuffer(f.read(), np.uint8, offset=8)

        def __len__(self):
            return len(self.labels)

        def __getitem__(self, idx):
            image = torch.tensor(self.images[idx], dtype=torch.get_default_dtype())
            image = image.div(255).unsqueeze(0)  # what ToTensor() does
            return image, int(self.labels[idx])

    test_data = IDXMNIST(root)

training_data = Subset(test_data, range(0, 1200))
test_data = Subset(test_data, range(8000, 8400))

train_dataloader = DataLoader(training_data, batch_size=64)
test_dataloader = DataLoader(test_data, batch_size=64)


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork()

learning_rate = 1e-3
batch_size = 64
epochs = 3

# Initialize the loss function
loss_fn = nn.CrossEntropyLoss()

optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)


def train_loop(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    # Set the model to training mode - important for batch normalization and dropout layers
    # Unnecessary in this situation but added for best practices
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        # Compute prediction and loss
        pred = model(X)
        loss = loss_fn(pred, y)

        # Backpropagation
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

        if batch % 5 == 0:
            loss, current = loss.item(), batch * batch_size + len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test_loop(dataloader, model, loss_fn):
    # Set the model to evaluation mode - important for batch normalization and dropout layers
    # Unnecessary in this situation but added for best practices
    model.eval()
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    test_loss, correct = 0, 0

    # Evaluating the model with torch.no_grad() ensures that no gradients are computed during
    # test mode; also serves to reduce unnecessary gradient computation and memory usage for
    # tensors with requires_grad=True
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()

    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")


for t in range(epochs):
    print(f"Epoch {t + 1}\n-------------------------------")
    train_loop(train_dataloader, model, loss_fn, optimizer)
    test_loop(test_dataloader, model, loss_fn)
print("Done!")
