"""torchvision's classification models (``torchvision.models`` under ``gradiente run``).

Each builder makes torchvision's architecture with torchvision's module tree, so every
parameter and buffer has torchvision's name and shape (``model.state_dict()`` has the same keys
in the same order) and torchvision's initialisation scheme. Pretrained weights are not
downloaded: build with ``weights=None`` and ``model.load_state_dict(gradiente.load(path))``.
``_api`` has torchvision's registry (``get_model``, ``list_models``) and weight enums
(``ResNet50_Weights.DEFAULT``: metadata and preprocessing presets, no download).
"""

from gradiente.vision.models._api import (
    WEIGHTS,
    Weights,
    WeightsEnum,
    get_model,
    get_model_builder,
    get_model_weights,
    get_weight,
    list_models,
)
from gradiente.vision.models.alexnet import AlexNet, alexnet
from gradiente.vision.models.convnext import (
    ConvNeXt,
    convnext_base,
    convnext_large,
    convnext_small,
    convnext_tiny,
)
from gradiente.vision.models.densenet import (
    DenseNet,
    densenet121,
    densenet161,
    densenet169,
    densenet201,
)
from gradiente.vision.models.efficientnet import (
    EfficientNet,
    efficientnet_b0,
    efficientnet_b1,
    efficientnet_b2,
    efficientnet_b3,
    efficientnet_b4,
    efficientnet_b5,
    efficientnet_b6,
    efficientnet_b7,
    efficientnet_v2_l,
    efficientnet_v2_m,
    efficientnet_v2_s,
)
from gradiente.vision.models.googlenet import GoogLeNet, GoogLeNetOutputs, googlenet
from gradiente.vision.models.inception import Inception3, InceptionOutputs, inception_v3
from gradiente.vision.models.mnasnet import (
    MNASNet,
    mnasnet0_5,
    mnasnet0_75,
    mnasnet1_0,
    mnasnet1_3,
)
from gradiente.vision.models.mobilenetv2 import InvertedResidual, MobileNetV2, mobilenet_v2
from gradiente.vision.models.mobilenetv3 import (
    MobileNetV3,
    mobilenet_v3_large,
    mobilenet_v3_small,
)
from gradiente.vision.models.regnet import (
    RegNet,
    regnet_x_1_6gf,
    regnet_x_3_2gf,
    regnet_x_8gf,
    regnet_x_16gf,
    regnet_x_32gf,
    regnet_x_400mf,
    regnet_x_800mf,
    regnet_y_1_6gf,
    regnet_y_3_2gf,
    regnet_y_8gf,
    regnet_y_16gf,
    regnet_y_32gf,
    regnet_y_128gf,
    regnet_y_400mf,
    regnet_y_800mf,
)
from gradiente.vision.models.resnet import (
    BasicBlock,
    Bottleneck,
    ResNet,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
    resnext50_32x4d,
    resnext101_32x8d,
    resnext101_64x4d,
    wide_resnet50_2,
    wide_resnet101_2,
)
from gradiente.vision.models.shufflenetv2 import (
    ShuffleNetV2,
    shufflenet_v2_x0_5,
    shufflenet_v2_x1_0,
    shufflenet_v2_x1_5,
    shufflenet_v2_x2_0,
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
from gradiente.vision.models.vision_transformer import (
    VisionTransformer,
    vit_b_16,
    vit_b_32,
    vit_h_14,
    vit_l_16,
    vit_l_32,
)

vars().update(WEIGHTS)  # the weight enums: ResNet50_Weights, ... (one per builder)
del WEIGHTS

# ``from gradiente.vision.models import *``: every model class and builder imported above
# (the names are written once, in the imports; modules are not callable, so they stay out).
__all__ = sorted(name for name, value in vars().items() if callable(value))
