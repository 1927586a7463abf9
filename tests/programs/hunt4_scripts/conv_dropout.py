# ruff: noqa  (written as the hunt found it)
import torch, torch.nn as nn

torch.manual_seed(0)
net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Dropout(0.5), nn.Flatten())
x = torch.randn(2, 3, 8, 8)
torch.manual_seed(1)
print(net(x).sum())
y = nn.Conv2d(3, 4, 3)(x)
torch.manual_seed(2)
print(torch.rand_like(y).sum(), y.detach().normal_().sum())
