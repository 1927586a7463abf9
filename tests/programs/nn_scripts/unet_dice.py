"""A small U-Net (ConvTranspose2d or bilinear Upsample, skip concatenation, F.pad to odd
sizes) trained with Dice + BCE-with-logits under RMSprop, evaluated under inference_mode;
then interpolate's values, gradients and grad_fn names."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)


class DoubleConv(nn.Module):
    """(convolution => [BN] => ReLU) * 2"""

    def __init__(self, in_channels, out_channels, mid_channels=None):
        super().__init__()
        if not mid_channels:
            mid_channels = out_channels
        self.double_conv = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(mid_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.double_conv(x)


class Down(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.maxpool_conv = nn.Sequential(nn.MaxPool2d(2), DoubleConv(in_channels, out_channels))

    def forward(self, x):
        return self.maxpool_conv(x)


class Up(nn.Module):
    def __init__(self, in_channels, out_channels, bilinear=False):
        super().__init__()
        if bilinear:
            self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
            self.conv = DoubleConv(in_channels, out_channels, in_channels // 2)
        else:
            self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
            self.conv = DoubleConv(in_channels, out_channels)

    def forward(self, x1, x2):
        x1 = self.up(x1)
        diffY = x2.size()[2] - x1.size()[2]
        diffX = x2.size()[3] - x1.size()[3]
        x1 = F.pad(x1, [diffX // 2, diffX - diffX // 2, diffY // 2, diffY - diffY // 2])
        x = torch.cat([x2, x1], dim=1)
        return self.conv(x)


class UNet(nn.Module):
    def __init__(self, n_channels, n_classes, bilinear=False):
        super().__init__()
        self.inc = DoubleConv(n_channels, 8)
        self.down1 = Down(8, 16)
        factor = 2 if bilinear else 1
        self.down2 = Down(16, 32 // factor)
        self.up1 = Up(32, 16 // factor, bilinear)
        self.up2 = Up(16, 8, bilinear)
        self.outc = nn.Conv2d(8, n_classes, kernel_size=1)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        x = self.up1(x3, x2)
        x = self.up2(x, x1)
        return self.outc(x)


def dice_loss(logits, target, eps=1e-6):
    probs = torch.sigmoid(logits)
    inter = (probs * target).sum(dim=(2, 3))
    union = probs.sum(dim=(2, 3)) + target.sum(dim=(2, 3))
    dice = (2 * inter + eps) / (union + eps)
    return 1 - dice.mean()


for bilinear in (False, True):
    torch.manual_seed(3)
    net = UNet(1, 1, bilinear)
    print(net.up1)
    imgs = torch.randn(4, 1, 17, 17)
    masks = (imgs > 0.3).float()
    opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, weight_decay=1e-8, momentum=0.9)
    for step in range(8):
        pred = net(imgs)
        loss = dice_loss(pred, masks) + F.binary_cross_entropy_with_logits(pred, masks)
        opt.zero_grad()
        loss.backward()
        opt.step()
        print(f"bilinear={bilinear} step {step} loss {loss.item():.6f} out {tuple(pred.shape)}")
    net.eval()
    with torch.inference_mode():
        p = net(imgs)
        print(p.requires_grad, (torch.sigmoid(p) > 0.5).float().mean().item())
    print(net.up2.up.__class__.__name__, sum(p.numel() for p in net.parameters()))

x = torch.randn(1, 2, 5, 5, requires_grad=True)
y = F.interpolate(x, size=(8, 7), mode="bilinear", align_corners=False)
y2 = F.interpolate(x, scale_factor=2, mode="nearest")
(y.sum() + (y2**2).sum()).backward()
print(y[0, 0, :2], x.grad[0, 1])
print(y.grad_fn.name(), y2.grad_fn.name())
