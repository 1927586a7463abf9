"""Early stopping with copy.deepcopy(model.state_dict()), a general checkpoint dict
(epoch, model/optimizer state, float loss) saved with torch.save and resumed with torch.load."""

import copy
import os
import tempfile

import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
X = torch.randn(200, 10)
w = torch.randn(10, 3)
labels = (X @ w).argmax(1)
train_ds = TensorDataset(X[:150], labels[:150])
val_x, val_y = X[150:], labels[150:]


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 3))

    def forward(self, x):
        return self.net(x)


def evaluate(model):
    model.eval()
    with torch.no_grad():
        out = model(val_x)
        loss = nn.functional.cross_entropy(out, val_y).item()
        acc = (out.argmax(1) == val_y).float().mean().item()
    return loss, acc


model = Classifier()
optimizer = optim.Adam(model.parameters(), lr=0.02)
loader = DataLoader(
    train_ds, batch_size=30, shuffle=True, generator=torch.Generator().manual_seed(0)
)
best_loss, best_state, best_epoch, patience, bad_epochs = float("inf"), None, -1, 3, 0
for epoch in range(40):
    model.train()
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
    val_loss, val_acc = evaluate(model)
    print(f"epoch {epoch:2d} train {loss.item():.5f} val {val_loss:.5f} acc {val_acc:.3f}")
    if val_loss < best_loss - 1e-4:
        best_loss, best_epoch, bad_epochs = val_loss, epoch, 0
        best_state = copy.deepcopy(model.state_dict())
    else:
        bad_epochs += 1
        if bad_epochs >= patience:
            print(f"early stop at epoch {epoch}, best epoch {best_epoch}")
            break

model.load_state_dict(best_state)
print("restored", evaluate(model)[0] == best_loss)

tmp = tempfile.mkdtemp()
PATH = os.path.join(tmp, "checkpoint.pt")
torch.save(
    {
        "epoch": best_epoch,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "loss": best_loss,
        "history": {"val": [round(best_loss, 4)], "note": "best"},
    },
    PATH,
)

checkpoint = torch.load(PATH)
print(sorted(checkpoint.keys()), type(checkpoint["loss"]).__name__, checkpoint["epoch"])
print(
    checkpoint["optimizer_state_dict"]["param_groups"][0]["betas"],
    checkpoint["optimizer_state_dict"]["param_groups"][0]["params"],
    sorted(checkpoint["optimizer_state_dict"]["state"][0].keys()),
)
print(checkpoint["optimizer_state_dict"]["state"][0]["step"])

model2 = Classifier()
optimizer2 = optim.Adam(model2.parameters(), lr=0.02)
model2.load_state_dict(checkpoint["model_state_dict"])
optimizer2.load_state_dict(checkpoint["optimizer_state_dict"])
epoch = checkpoint["epoch"]
loss = checkpoint["loss"]
print(f"resumed at epoch {epoch} loss {loss:.5f}", evaluate(model2)[0] == best_loss)

# continue training both copies identically
for m, o in ((model, optimizer), (model2, optimizer2)):
    torch.manual_seed(5)
    m.train()
    for xb, yb in DataLoader(train_ds, batch_size=50):
        o.zero_grad()
        nn.functional.cross_entropy(m(xb), yb).backward()
        o.step()
print(
    "same after resume:",
    all(
        torch.equal(a, b) for a, b in zip(model.state_dict().values(), model2.state_dict().values())
    ),
)

state = torch.load(PATH, weights_only=True, map_location="cpu")
state = torch.load(PATH, map_location=torch.device("cpu"))
weights_path = os.path.join(tmp, "weights.pth")
torch.save(model.state_dict(), weights_path)
model3 = Classifier()
result = model3.load_state_dict(torch.load(weights_path, weights_only=True))
print(result)
model3.eval()
print(model3(val_x[:2]))

# strict=False with a missing and an unexpected key
sd = model.state_dict()
sd.pop("net.3.bias")
sd["extra.weight"] = torch.zeros(1)
print(model3.load_state_dict(sd, strict=False))
try:
    model3.load_state_dict({"net.0.weight": torch.zeros(5, 5)}, strict=False)
except RuntimeError as e:
    print("RuntimeError:", str(e).splitlines()[0])
os.remove(PATH)
os.remove(weights_path)
