"""torchvision's classification models (``torchvision.models`` under ``gradiente run``).

Each builder makes torchvision's architecture with torchvision's module tree, so every
parameter and buffer has torchvision's name and shape (``model.state_dict()`` has the same keys
in the same order) and torchvision's initialisation scheme. Pretrained weights are not
downloaded: build with ``weights=None`` and ``model.load_state_dict(gradiente.load(path))``.
"""

from gradiente.vision.models.alexnet import AlexNet, alexnet
from gradiente.vision.models.mobilenetv2 import InvertedResidual, MobileNetV2, mobilenet_v2
from gradiente.vision.models.resnet import (
    BasicBlock,
    Bottleneck,
    ResNet,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
)
from gradiente.vision.models.squeezenet import Fire, SqueezeNet, squeezenet1_0, squeezenet1_1
from gradiente.vision.models.vgg import (
    VGG,
    vgg11,
    vgg11_bn,
    vgg13,
    vgg13_bn,
    vgg16,
    vgg16_bn,
    vgg19,
    vgg19_bn,
)

# ``from gradiente.vision.models import *``: every model class and builder imported above
# (the names are written once, in the imports; modules are not callable, so they stay out).
__all__ = sorted(name for name, value in vars().items() if callable(value))
