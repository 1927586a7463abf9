"""pytorch/examples siamese_network on synthetic 32x32 pairs: does a pair show the same class?

Both images go through one ResNet-18 backbone (``torchvision.models.resnet18``, its first
convolution swapped for a 1-channel one and its ``fc`` removed); the two 512-d embeddings are
concatenated and a small head gives one logit, trained with BCEWithLogitsLoss, Adadelta and
StepLR; then the test pairs are scored in eval mode. ``--double`` trains in float64.

torchvision is not installed beside torch 2.13 here: then ``resnet18`` below is rebuilt from
plain ``torch.nn`` as torchvision's resnet.py builds it (same modules in the same order, same
initialisation), so torch's run and gradiente's (whose ``torchvision.models`` is its own zoo)
start from the same weights.
"""

# ruff: noqa: UP004, UP008  (kept in the style of the PyTorch example)

import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, Dataset

try:
    from torchvision.models import resnet18
except ImportError:  # torchvision's ResNet-18, in plain torch.nn

    class BasicBlock(nn.Module):
        def __init__(self, inplanes, planes, stride=1, downsample=None):
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = downsample
            self.stride = stride

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + identity)

    class ResNet(nn.Module):
        def __init__(self, layers=(2, 2, 2, 2), num_classes=1000):
            super().__init__()
            self.inplanes = 64
            self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = self._make_layer(64, layers[0])
            self.layer2 = self._make_layer(128, layers[1], stride=2)
            self.layer3 = self._make_layer(256, layers[2], stride=2)
            self.layer4 = self._make_layer(512, layers[3], stride=2)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, num_classes)
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)

        def _make_layer(self, planes, blocks, stride=1):
            downsample = None
            if stride != 1 or self.inplanes != planes:
                downsample = nn.Sequential(
                    nn.Conv2d(self.inplanes, planes, 1, stride, bias=False),
                    nn.BatchNorm2d(planes),
                )
            layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
            self.inplanes = planes
            layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
            return nn.Sequential(*layers)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            x = torch.flatten(self.avgpool(x), 1)
            return self.fc(x)

    def resnet18(*, weights=None, num_classes=1000):
        return ResNet((2, 2, 2, 2), num_classes)


parser = argparse.ArgumentParser()
parser.add_argument("--batch-size", type=int, default=8)
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--lr", type=float, default=1.0)
parser.add_argument("--gamma", type=float, default=0.7)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--double", action="store_true", help="train in float64")
args = parser.parse_args()
if args.double:
    torch.set_default_dtype(torch.float64)
torch.manual_seed(args.seed)


class SiameseNetwork(nn.Module):
    """One ResNet-18 embeds both images; a head on the two embeddings gives a logit."""

    def __init__(self):
        super(SiameseNetwork, self).__init__()
        self.resnet = resnet18(weights=None, num_classes=10)
        # grayscale input: a 1-channel first convolution
        self.resnet.conv1 = nn.Conv2d(
            1, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=False
        )
        self.fc_in_features = self.resnet.fc.in_features
        # drop the classifier: the backbone ends at the average pool
        self.resnet = torch.nn.Sequential(*(list(self.resnet.children())[:-1]))
        self.fc = nn.Sequential(
            nn.Linear(self.fc_in_features * 2, 64),
            nn.ReLU(inplace=True),
            nn.Linear(64, 1),
        )
        self.resnet.apply(self.init_weights)
        self.fc.apply(self.init_weights)

    def init_weights(self, m):
        if isinstance(m, nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            m.bias.data.fill_(0.01)

    def forward_once(self, x):
        output = self.resnet(x)
        output = output.view(output.size()[0], -1)
        return output

    def forward(self, input1, input2):
        output1 = self.forward_once(input1)
        output2 = self.forward_once(input2)
        output = torch.cat((output1, output2), 1)
        return self.fc(output)  # a logit: BCEWithLogitsLoss applies the sigmoid


class PairDataset(Dataset):
    """Pairs of noisy class patterns; the target is 1.0 for two images of the same class."""

    def __init__(self, n, generator):
        patterns = torch.rand(5, 1, 32, 32, generator=torch.Generator().manual_seed(0))
        self.first = torch.randint(0, 5, (n,), generator=generator)
        same = torch.rand(n, generator=generator) < 0.5
        other = (self.first + torch.randint(1, 5, (n,), generator=generator)) % 5
        self.second = torch.where(same, self.first, other)
        self.image1 = patterns[self.first] + 0.3 * torch.randn(n, 1, 32, 32, generator=generator)
        self.image2 = patterns[self.second] + 0.3 * torch.randn(n, 1, 32, 32, generator=generator)
        self.target = (self.first == self.second).float()

    def __len__(self):
        return len(self.target)

    def __getitem__(self, index):
        return self.image1[index], self.image2[index], self.target[index]


def train(model, train_loader, optimizer, epoch):
    model.train()
    criterion = nn.BCEWithLogitsLoss()
    for batch_idx, (images_1, images_2, targets) in enumerate(train_loader):
        optimizer.zero_grad()
        outputs = model(images_1, images_2).squeeze()
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        print(f"Train Epoch: {epoch} batch {batch_idx} loss {loss.item():.6f}")


def test(model, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for images_1, images_2, targets in test_loader:
            outputs = model(images_1, images_2).squeeze()
            test_loss += F.binary_cross_entropy_with_logits(
                outputs, targets, reduction="sum"
            ).item()
            pred = torch.where(outputs > 0, 1, 0)  # sigmoid(logit) > 0.5
            correct += pred.eq(targets.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    print(f"Test set: Average loss: {test_loss:.4f}")
    print(f"Accuracy: {correct}/{len(test_loader.dataset)}")


model = SiameseNetwork()
print("backbone parameters:", sum(p.numel() for p in model.resnet.parameters()))
print("head:", model.fc)
generator = torch.Generator().manual_seed(args.seed)
train_loader = DataLoader(PairDataset(8, generator), batch_size=args.batch_size, shuffle=True)
test_loader = DataLoader(PairDataset(8, generator), batch_size=args.batch_size)

optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
for epoch in range(1, args.epochs + 1):
    train(model, train_loader, optimizer, epoch)
    test(model, test_loader)
    scheduler.step()
    print("lr", scheduler.get_last_lr())
