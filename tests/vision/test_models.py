"""gradiente.vision.models (torchvision.models): torchvision's module trees, state-dict layouts,
initialisation schemes and, with copied weights, torch's outputs.

torchvision cannot be installed beside torch 2.13 here, so each reference network is rebuilt
below from plain ``torch.nn``, following torchvision's published source (resnet.py, vgg.py,
alexnet.py, squeezenet.py, mobilenetv2.py). The parameter counts asserted are the ones
torchvision documents for its weights (``num_params`` in the weights' metadata)."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import math

import numpy as np
import pytest

import gradiente
from gradiente.vision import models

torch = pytest.importorskip("torch")
tnn = torch.nn


# ---------------------------------------------------------------------------------------------
# torchvision's architectures in plain torch.nn (the references)
# ---------------------------------------------------------------------------------------------


class TorchBasicBlock(tnn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU(inplace=True)
        self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class TorchBottleneck(tnn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.conv2 = tnn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.conv3 = tnn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = tnn.BatchNorm2d(planes * 4)
        self.relu = tnn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


class TorchResNet(tnn.Module):
    def __init__(self, block, layers, num_classes):
        super().__init__()
        self.inplanes = 64
        self.conv1 = tnn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU(inplace=True)
        self.maxpool = tnn.MaxPool2d(3, 2, 1)
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), layers, strict=True)):
            setattr(self, f"layer{i + 1}", self._make_layer(block, planes, n, 1 if i == 0 else 2))
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes, n, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = tnn.Sequential(
                tnn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                tnn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, n)]
        return tnn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


VGG16_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


class TorchVGG(tnn.Module):
    def __init__(self, cfg, num_classes):
        super().__init__()
        layers, c = [], 3
        for v in cfg:
            if v == "M":
                layers.append(tnn.MaxPool2d(2, 2))
            else:
                layers += [tnn.Conv2d(c, v, 3, padding=1), tnn.ReLU(True)]
                c = v
        self.features = tnn.Sequential(*layers)
        self.avgpool = tnn.AdaptiveAvgPool2d((7, 7))
        self.classifier = tnn.Sequential(
            tnn.Linear(512 * 7 * 7, 4096),
            tnn.ReLU(True),
            tnn.Dropout(),
            tnn.Linear(4096, 4096),
            tnn.ReLU(True),
            tnn.Dropout(),
            tnn.Linear(4096, num_classes),
        )

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class TorchAlexNet(tnn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.features = tnn.Sequential(
            tnn.Conv2d(3, 64, 11, 4, 2),
            tnn.ReLU(True),
            tnn.MaxPool2d(3, 2),
            tnn.Conv2d(64, 192, 5, padding=2),
            tnn.ReLU(True),
            tnn.MaxPool2d(3, 2),
            tnn.Conv2d(192, 384, 3, padding=1),
            tnn.ReLU(True),
            tnn.Conv2d(384, 256, 3, padding=1),
            tnn.ReLU(True),
            tnn.Conv2d(256, 256, 3, padding=1),
            tnn.ReLU(True),
            tnn.MaxPool2d(3, 2),
        )
        self.avgpool = tnn.AdaptiveAvgPool2d((6, 6))
        self.classifier = tnn.Sequential(
            tnn.Dropout(),
            tnn.Linear(256 * 36, 4096),
            tnn.ReLU(True),
            tnn.Dropout(),
            tnn.Linear(4096, 4096),
            tnn.ReLU(True),
            tnn.Linear(4096, num_classes),
        )

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class TorchFire(tnn.Module):
    def __init__(self, inplanes, s, e1, e3):
        super().__init__()
        self.squeeze = tnn.Conv2d(inplanes, s, 1)
        self.squeeze_activation = tnn.ReLU(True)
        self.expand1x1 = tnn.Conv2d(s, e1, 1)
        self.expand1x1_activation = tnn.ReLU(True)
        self.expand3x3 = tnn.Conv2d(s, e3, 3, padding=1)
        self.expand3x3_activation = tnn.ReLU(True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        e1 = self.expand1x1_activation(self.expand1x1(x))
        return torch.cat([e1, self.expand3x3_activation(self.expand3x3(x))], 1)


class TorchSqueezeNet(tnn.Module):
    def __init__(self, version, num_classes):
        super().__init__()

        def pool():
            return tnn.MaxPool2d(3, 2, ceil_mode=True)

        if version == "1_0":
            self.features = tnn.Sequential(
                tnn.Conv2d(3, 96, 7, 2), tnn.ReLU(True), pool(),
                TorchFire(96, 16, 64, 64), TorchFire(128, 16, 64, 64),
                TorchFire(128, 32, 128, 128), pool(),
                TorchFire(256, 32, 128, 128), TorchFire(256, 48, 192, 192),
                TorchFire(384, 48, 192, 192), TorchFire(384, 64, 256, 256), pool(),
                TorchFire(512, 64, 256, 256),
            )  # fmt: skip
        else:
            self.features = tnn.Sequential(
                tnn.Conv2d(3, 64, 3, 2), tnn.ReLU(True), pool(),
                TorchFire(64, 16, 64, 64), TorchFire(128, 16, 64, 64), pool(),
                TorchFire(128, 32, 128, 128), TorchFire(256, 32, 128, 128), pool(),
                TorchFire(256, 48, 192, 192), TorchFire(384, 48, 192, 192),
                TorchFire(384, 64, 256, 256), TorchFire(512, 64, 256, 256),
            )  # fmt: skip
        self.classifier = tnn.Sequential(
            tnn.Dropout(), tnn.Conv2d(512, num_classes, 1), tnn.ReLU(True), tnn.AdaptiveAvgPool2d(1)
        )

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


def _conv_bn_relu6(inp, oup, kernel=3, stride=1, groups=1):
    """torchvision.ops.misc.Conv2dNormActivation with BatchNorm2d and ReLU6."""
    return tnn.Sequential(
        tnn.Conv2d(inp, oup, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
        tnn.BatchNorm2d(oup),
        tnn.ReLU6(True),
    )


class TorchInvertedResidual(tnn.Module):
    def __init__(self, inp, oup, stride, t):
        super().__init__()
        hidden = int(round(inp * t))
        self.use_res_connect = stride == 1 and inp == oup
        layers = [_conv_bn_relu6(inp, hidden, 1)] if t != 1 else []
        layers += [
            _conv_bn_relu6(hidden, hidden, 3, stride, groups=hidden),
            tnn.Conv2d(hidden, oup, 1, 1, 0, bias=False),
            tnn.BatchNorm2d(oup),
        ]
        self.conv = tnn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class TorchMobileNetV2(tnn.Module):
    def __init__(self, num_classes):
        super().__init__()
        setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2]]
        setting += [[6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]
        features, c_in = [_conv_bn_relu6(3, 32, stride=2)], 32
        for t, c, n, s in setting:  # all widths are already multiples of 8 at width_mult 1
            for i in range(n):
                features.append(TorchInvertedResidual(c_in, c, s if i == 0 else 1, t))
                c_in = c
        features.append(_conv_bn_relu6(c_in, 1280, 1))
        self.features = tnn.Sequential(*features)
        self.classifier = tnn.Sequential(tnn.Dropout(0.2), tnn.Linear(1280, num_classes))

    def forward(self, x):
        x = tnn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


# (builder, gradiente kwargs, torch reference, state-dict entries, parameters at 1000 classes,
#  input size, float64?). The entry counts include BatchNorm's num_batches_tracked buffers:
# resnet18 has 62 parameters + 3·20 running statistics = 122 entries (102 without the 20
# num_batches_tracked); resnet50: 161 + 3·53 = 320; mobilenet_v2: 158 + 3·52 = 314.
CASES = {
    "resnet18": (
        {},
        lambda k: TorchResNet(TorchBasicBlock, [2, 2, 2, 2], k),
        122,
        11_689_512,
        64,
        True,
    ),
    "resnet50": (
        {},
        lambda k: TorchResNet(TorchBottleneck, [3, 4, 6, 3], k),
        320,
        25_557_032,
        64,
        True,
    ),
    "vgg16": (
        {"init_weights": False},
        lambda k: TorchVGG(VGG16_CFG, k),
        32,
        138_357_544,
        32,
        False,
    ),
    "alexnet": ({}, TorchAlexNet, 16, 61_100_840, 64, False),
    "squeezenet1_0": ({}, lambda k: TorchSqueezeNet("1_0", k), 52, 1_248_424, 64, True),
    "squeezenet1_1": ({}, lambda k: TorchSqueezeNet("1_1", k), 52, 1_235_496, 64, True),
    "mobilenet_v2": ({}, TorchMobileNetV2, 314, 3_504_872, 32, True),
}


def _randomise_batchnorm(model, rng) -> None:
    """Give every BatchNorm non-trivial statistics and affine parameters (else eval is ≈ x)."""
    for m in model.modules():
        if isinstance(m, gradiente.nn.BatchNorm2d):
            c = m.num_features
            with gradiente.no_grad():
                m.weight.copy_(gradiente.tensor(rng.uniform(0.5, 1.5, c)))
                m.bias.copy_(gradiente.tensor(rng.normal(0, 0.1, c)))
                m.running_mean.copy_(gradiente.tensor(rng.normal(0, 0.1, c)))
                m.running_var.copy_(gradiente.tensor(rng.uniform(0.5, 1.5, c)))


@pytest.mark.parametrize("name", list(CASES))
def test_layout_and_outputs_match_torchvision(name):
    kwargs, reference, entries, params_1000, size, double = CASES[name]
    num_classes = 7
    model = getattr(models, name)(num_classes=num_classes, **kwargs)
    with torch.device("meta"):  # the reference's tree without its own initialisation
        ref = reference(num_classes)
    ours = model.state_dict()
    theirs = ref.state_dict()
    # the same keys in the same order, with the same shapes
    assert list(ours) == list(theirs)
    assert [tuple(v.shape) for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]
    assert len(ours) == entries
    # torchvision's documented parameter count, from the count at 7 classes
    classifier_in = {"squeezenet1_0": 512 + 1, "squeezenet1_1": 512 + 1}.get(name)
    if classifier_in is None:
        classifier_in = list(ours.values())[-2].shape[1] + 1
    n = sum(p.numel() for p in model.parameters())
    assert n + classifier_in * (1000 - num_classes) == params_1000

    _randomise_batchnorm(model, np.random.default_rng(0))
    if double:
        model.double()
    copied = {k: torch.from_numpy(np.array(v.numpy())) for k, v in model.state_dict().items()}
    ref.load_state_dict(copied, assign=True)
    model.eval()
    ref.eval()
    x = np.random.default_rng(1).standard_normal((2, 3, size, size))
    x = x if double else x.astype(np.float32)
    with gradiente.no_grad():
        got = model(gradiente.tensor(x)).numpy()
    with torch.no_grad():
        expected = ref(torch.from_numpy(x)).numpy()
    scale = np.abs(expected).max()
    tol = 1e-10 if double else 1e-5
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * scale)


def test_resnet_initialisation_follows_torchvision():
    gradiente.manual_seed(0)
    model = models.resnet18(num_classes=10)
    # kaiming_normal_(mode="fan_out", nonlinearity="relu"): std = sqrt(2 / (out · kh · kw))
    w = model.conv1.weight.detach().numpy()
    assert abs(w.std() / math.sqrt(2 / (64 * 7 * 7)) - 1) < 0.05
    w = model.layer4[0].conv2.weight.detach().numpy()
    assert abs(w.std() / math.sqrt(2 / (512 * 9)) - 1) < 0.01
    assert np.all(model.layer1[0].bn2.weight.detach().numpy() == 1)
    assert np.all(model.bn1.bias.detach().numpy() == 0)
    # fc keeps Linear's default: U(−1/√fan_in, 1/√fan_in)
    assert np.abs(model.fc.weight.detach().numpy()).max() <= 1 / math.sqrt(512)

    zero = models.resnet50(num_classes=10, zero_init_residual=True)
    assert all(
        np.all(b.bn3.weight.detach().numpy() == 0)
        for stage in (zero.layer1, zero.layer4)
        for b in stage
    )
    assert np.all(zero.layer1[0].bn2.weight.detach().numpy() == 1)
    zero18 = models.resnet18(num_classes=10, zero_init_residual=True)
    assert np.all(zero18.layer2[1].bn2.weight.detach().numpy() == 0)
    # with zero γ every block is the identity on its shortcut: relu(0 + shortcut)
    x = gradiente.randn(1, 64, 8, 8).relu()
    zero18.eval()
    np.testing.assert_array_equal(zero18.layer1(x).detach().numpy(), x.numpy())


def test_mobilenet_and_squeezenet_initialisation():
    gradiente.manual_seed(0)
    mobile = models.mobilenet_v2(num_classes=50)
    w = mobile.classifier[1].weight.detach().numpy()
    assert abs(w.std() / 0.01 - 1) < 0.05 and np.all(
        mobile.classifier[1].bias.detach().numpy() == 0
    )
    # the depthwise convolution: fan_out = out_channels · 3 · 3 / groups... torch counts
    # fan_out = weight.shape[0] · kh · kw = 96 · 9 for features.2.conv.1.0 (96, 1, 3, 3)
    w = mobile.features[2].conv[1][0].weight.detach().numpy()
    assert abs(w.std() / math.sqrt(2 / (96 * 9)) - 1) < 0.15
    squeeze = models.squeezenet1_1(num_classes=50)
    final = squeeze.classifier[1].weight.detach().numpy()
    assert abs(final.std() / 0.01 - 1) < 0.1
    # kaiming_uniform_ (a = 0, fan_in): bound = sqrt(6 / fan_in)
    w = squeeze.features[3].expand3x3.weight.detach().numpy()
    bound = math.sqrt(6 / (16 * 9))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.all(squeeze.features[3].expand3x3.bias.detach().numpy() == 0)


def test_weights_are_refused_with_a_way_out():
    with pytest.raises(ValueError, match="cannot download.*load_state_dict"):
        models.resnet18(weights="IMAGENET1K_V1")
    with pytest.raises(TypeError):
        models.resnet18(None)  # weights is keyword-only, as in torchvision


def test_state_dict_round_trip_through_a_file(tmp_path):
    model = models.squeezenet1_1(num_classes=5)
    path = tmp_path / "squeeze.safetensors"
    gradiente.save(model.state_dict(), path)
    fresh = models.squeezenet1_1(num_classes=5)
    fresh.load_state_dict(gradiente.load(path))
    for (k, a), (_, b) in zip(model.state_dict().items(), fresh.state_dict().items(), strict=True):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=k)


RUN_SCRIPT = """\
import torch
import torchvision
from torchvision.models.resnet import BasicBlock

torch.manual_seed(0)
model = torchvision.models.resnet18(num_classes=10)
assert isinstance(model.layer1[0], BasicBlock)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
x, y = torch.randn(4, 3, 32, 32), torch.tensor([0, 1, 2, 3])
loss = torch.nn.functional.cross_entropy(model(x), y)
optimizer.zero_grad()
loss.backward()
optimizer.step()
print(f"loss {loss.item():.6f}")
print("fc grad", bool(torch.isfinite(model.fc.weight.grad).all()))
"""


def test_resnet18_trains_under_gradiente_run(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "train_resnet.py"
    script.write_text(RUN_SCRIPT)
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    result = subprocess.run(
        [sys.executable, "-m", "gradiente", "run", str(script)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    loss = float(first.split()[1])
    # ten classes, small random logits at initialisation: the loss starts near ln 10
    assert math.isfinite(loss) and 1.0 < loss < 5.0
    assert second == "fc grad True"
