"""Weight initialisation with model.apply, gradient clipping, parameter counting, freezing."""

import math

import torch
import torch.nn as nn

torch.manual_seed(0)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.fc1 = nn.Linear(4 * 6 * 6, 32)
        self.fc2 = nn.Linear(32, 3)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        return self.fc2(torch.relu(self.fc1(x.view(x.size(0), -1))))


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if m.bias is not None:
            nn.init.constant_(m.bias, 0.01)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


model = MLP()
model.apply(init_weights)
for name, p in model.named_parameters():
    std = p.std().item() if p.numel() > 1 else 0.0
    print(f"{name:12s} {str(tuple(p.shape)):14s} mean {p.mean().item():+.6f} std {std:.6f}")

total_params = sum(p.numel() for p in model.parameters())
trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
print(f"total {total_params} trainable {trainable}")

x = torch.randn(8, 1, 8, 8)
t = torch.randint(0, 3, (8,))
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
for step in range(4):
    optimizer.zero_grad()
    loss = nn.CrossEntropyLoss()(model(x), t)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    clipped = math.sqrt(sum(p.grad.pow(2).sum().item() for p in model.parameters()))
    optimizer.step()
    print(
        f"step {step} loss {loss.item():.6f} grad norm {norm.item():.6f} after clip {clipped:.6f}"
    )

optimizer.zero_grad()
nn.CrossEntropyLoss()(model(x), t).backward()
torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.01)
print("max |grad|", max(p.grad.abs().max().item() for p in model.parameters()))
norm = nn.utils.clip_grad_norm_(model.parameters(), 0.5, norm_type=float("inf"))
print(f"inf norm {norm.item():.6f}")

# freeze the feature extractor, train only the head
for p in model.conv.parameters():
    p.requires_grad = False
model.bn.requires_grad_(False)
print(f"trainable now {sum(p.numel() for p in model.parameters() if p.requires_grad)}")
optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=1e-2)
before = model.conv.weight.clone()
for _ in range(3):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), t)
    loss.backward()
    optimizer.step()
print(
    f"loss {loss.item():.6f} conv unchanged {torch.equal(before, model.conv.weight)} "
    f"conv grad {model.conv.weight.grad}"
)

# other initialisers
w = torch.empty(3, 5)
print(nn.init.uniform_(w, -0.1, 0.1))
print(nn.init.normal_(w, mean=0.0, std=0.02))
print(nn.init.kaiming_uniform_(w, a=math.sqrt(5)))
print(nn.init.xavier_normal_(w, gain=nn.init.calculate_gain("tanh")))
print(nn.init.trunc_normal_(w, std=0.5, a=-0.5, b=0.5))
print(nn.init.orthogonal_(torch.empty(3, 3)) @ nn.init.orthogonal_(torch.empty(3, 3)).T is not None)
print(nn.init.calculate_gain("leaky_relu", 0.2), nn.init.calculate_gain("selu"))
with torch.no_grad():
    model.fc2.weight.fill_(0.5)
    model.fc2.bias.copy_(torch.tensor([1.0, 2.0, 3.0]))
print(model.fc2.bias, model.fc2.weight.sum())
