"""BatchNorm1d/2d and Dropout networks in train and eval mode: buffers, state_dict, outputs."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class ConvBN(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(8),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(16, momentum=0.2),
            nn.ReLU(inplace=True),
            nn.Dropout2d(0.1),
            nn.AdaptiveAvgPool2d((2, 2)),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64, 32),
            nn.BatchNorm1d(32),
            nn.ReLU(),
            nn.Dropout(p=0.3),
            nn.Linear(32, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


model = ConvBN()
print(model)
print([k for k in model.state_dict().keys()])
print({k: tuple(v.shape) for k, v in model.state_dict().items() if "num_batches" in k})

x = torch.randn(16, 3, 8, 8)
target = torch.randint(0, 4, (16,))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)

for step in range(6):
    model.train()
    optimizer.zero_grad()
    out = model(x)
    loss = F.cross_entropy(out, target, label_smoothing=0.1)
    loss.backward()
    optimizer.step()
    print(f"step {step}: loss {loss.item():.6f}")

bn = model.features[1]
print("running_mean", bn.running_mean)
print("running_var", bn.running_var)
print("num_batches_tracked", bn.num_batches_tracked, bn.num_batches_tracked.dtype)
print(model.classifier[2].running_mean[:4])

model.eval()
with torch.no_grad():
    a = model(x)
    b = model(x)
print("eval deterministic:", torch.equal(a, b), a[:2])
model.train()
with torch.no_grad():
    c = model(x)
print("train differs:", not torch.allclose(a, c))
print(model.training, model.features[1].training)

drop = nn.Dropout(0.5)
y = drop(torch.ones(2, 8))
print(y)
drop.eval()
print(drop(torch.ones(2, 8)))
print(F.dropout(torch.ones(6), p=0.25, training=True))
print(F.dropout(torch.ones(6), p=0.25, training=False))

# momentum=None: cumulative moving average; affine=False; track_running_stats=False
cma = nn.BatchNorm1d(3, momentum=None)
plain = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
for _ in range(3):
    data = torch.randn(10, 3) * 2 + 1
    cma(data)
    out = plain(data)
print(cma.running_mean, cma.running_var, cma.num_batches_tracked)
print(out.mean(0).abs().max().item() < 1e-5, out.std(0, unbiased=False), plain.running_mean)
print(list(dict(plain.named_buffers()).keys()), list(dict(cma.named_buffers()).keys()))
ln = nn.LayerNorm([3, 8, 8])
print(ln(x).std().item() > 0.9, sum(p.numel() for p in ln.parameters()))
