"""The nn.Module API that training scripts lean on: children/named_modules, buffers, hooks,
dtype conversion, requires_grad_, parameter groups, ModuleList/ParameterList, utilities."""

from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import parameters_to_vector, vector_to_parameters

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.bn = nn.BatchNorm2d(c)
        self.register_buffer("scale", torch.tensor(0.5))
        self.register_buffer("cache", torch.zeros(1), persistent=False)

    def forward(self, x):
        return x + self.scale * F.relu(self.bn(self.conv(x)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, padding=1)
        self.blocks = nn.ModuleList([Block(4) for _ in range(2)])
        self.head = nn.Sequential(
            OrderedDict(
                [
                    ("pool", nn.AdaptiveAvgPool2d(1)),
                    ("flat", nn.Flatten()),
                    ("fc", nn.Linear(4, 3)),
                ]
            )
        )
        self.temperature = nn.Parameter(torch.ones(1))
        self.extras = nn.ParameterList([nn.Parameter(torch.zeros(2)) for _ in range(2)])

    def forward(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.head(x) / self.temperature + self.extras[0].sum()


model = Net()
print(model)
print([name for name, _ in model.named_children()])
print([name for name, _ in model.named_modules()][:8])
print([name for name, _ in model.named_buffers()])
print(list(model.state_dict().keys()))
print(sum(p.numel() for p in model.parameters()), len(list(model.parameters())))
print(type(model.head.fc).__name__, model.head[2] is model.head.fc, len(model.blocks))

features = {}


def save_output(name):
    def hook(module, inputs, output):
        features[name] = output.detach()

    return hook


handles = [model.blocks[i].register_forward_hook(save_output(f"block{i}")) for i in range(2)]
calls = []
pre = model.head.register_forward_pre_hook(lambda m, inp: calls.append(tuple(inp[0].shape)))
x = torch.randn(5, 1, 6, 6)
out = model(x)
print(sorted(features), features["block1"].shape, calls)
for h in handles:
    h.remove()
pre.remove()
features.clear()
model(x)
print(features, len(calls))

grads = {}


def grad_hook(grad):
    grads["fc"] = grad.abs().sum().item()


model.head.fc.weight.register_hook(grad_hook)
loss = F.cross_entropy(out, torch.tensor([0, 1, 2, 0, 1]))
loss.backward()
fc_grad = model.head.fc.weight.grad.abs().sum().item()
print(f"loss {loss.item():.6f} hook grad {grads['fc']:.6f} {fc_grad:.6f}")

vec = parameters_to_vector(model.parameters())
print(vec.shape, f"{vec.norm().item():.6f}")
vector_to_parameters(vec * 0.5, model.parameters())
print(f"{parameters_to_vector(model.parameters()).norm().item():.6f}")

model.zero_grad(set_to_none=True)
print(model.stem.weight.grad)
model.blocks.requires_grad_(False)
print([n for n, p in model.named_parameters() if p.requires_grad])

optimizer = torch.optim.SGD(
    [
        {"params": model.stem.parameters(), "lr": 0.01},
        {"params": model.head.parameters()},
    ],
    lr=0.1,
    momentum=0.9,
)
optimizer.add_param_group({"params": [model.temperature], "lr": 0.001})
print([(len(g["params"]), g["lr"], g["momentum"]) for g in optimizer.param_groups])

model.double()
print(
    model.stem.weight.dtype,
    model.blocks[0].scale.dtype,
    model.blocks[0].bn.num_batches_tracked.dtype,
)
y = model(x.double())
print(y.dtype, y.shape)
model.float()
model.eval()
print(model.training, model.blocks[0].bn.training, all(not m.training for m in model.modules()))
model.train(False)
print(model.head.training)
with torch.inference_mode():
    z = model(x)
print(z.requires_grad, z.shape)
print(model.get_submodule("blocks.1.bn"))
print(model.get_parameter("head.fc.bias").shape)
copy = Net()
copy.load_state_dict(model.state_dict())
print(torch.equal(copy.eval()(x), model(x)))
