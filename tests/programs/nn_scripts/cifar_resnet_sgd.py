"""A CIFAR-style ResNet (BasicBlocks with BatchNorm and 1x1 shortcut projections) on random
12x12 images: SGD with Nesterov momentum and weight decay, MultiStepLR, label smoothing, then
evaluation, running statistics, grad_fn names and the optimizer's and scheduler's state."""

# ruff: noqa: UP031  (kept in the style of the original training script)

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(
            in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False
        )
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(
                    in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False
                ),
                nn.BatchNorm2d(self.expansion * planes),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        out = F.relu(out)
        return out


class ResNet(nn.Module):
    def __init__(self, block, num_blocks, num_classes=10):
        super().__init__()
        self.in_planes = 8
        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = self._make_layer(block, 8, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, 16, num_blocks[1], stride=2)
        self.linear = nn.Linear(16 * block.expansion, num_classes)

    def _make_layer(self, block, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for stride in strides:
            layers.append(block(self.in_planes, planes, stride))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = self.layer2(out)
        out = F.adaptive_avg_pool2d(out, (1, 1))
        out = out.view(out.size(0), -1)
        out = self.linear(out)
        return out


net = ResNet(BasicBlock, [1, 1])
print(net)
print(sum(p.numel() for p in net.parameters() if p.requires_grad))
print(list(net.state_dict().keys())[:12])
print(net.bn1.num_batches_tracked, net.bn1.running_mean.dtype)

X = torch.randn(64, 3, 12, 12)
Y = torch.randint(0, 10, (64,))
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
optimizer = optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True)
scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[10, 20], gamma=0.1)
print(optimizer)

for step in range(30):
    net.train()
    idx = torch.randperm(64)[:16]
    inputs, targets = X[idx], Y[idx]
    optimizer.zero_grad()
    outputs = net(inputs)
    loss = criterion(outputs, targets)
    loss.backward()
    optimizer.step()
    scheduler.step()
    _, predicted = outputs.max(1)
    correct = predicted.eq(targets).sum().item()
    if step % 5 == 0:
        print(
            "step %d loss %.6f acc %d/%d lr %.6f"
            % (step, loss.item(), correct, targets.size(0), scheduler.get_last_lr()[0])
        )

print(type(loss.grad_fn).__name__, loss.grad_fn.name())
print(outputs.grad_fn.name(), len(outputs.grad_fn.next_functions))
net.eval()
with torch.no_grad():
    out = net(X)
    print("eval loss %.6f" % criterion(out, Y).item())
    print("running_mean", net.bn1.running_mean)
    print("running_var", net.layer2[0].shortcut[1].running_var)
    print("nbt", net.bn1.num_batches_tracked)
print(net.linear.weight.grad.norm().item())
print(optimizer.state_dict()["param_groups"])
print(scheduler.state_dict())
print(len(optimizer.state_dict()["state"]), list(optimizer.state_dict()["state"][0].keys()))
