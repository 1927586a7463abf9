"""torchvision's everyday helpers on gradiente tensors (``torchvision.utils`` under ``gradiente
run``): ``utils.make_grid`` and ``utils.save_image``; ``models`` (``torchvision.models``:
ResNet/ResNeXt, VGG, AlexNet, SqueezeNet, MobileNetV2/V3, DenseNet, ShuffleNetV2,
EfficientNet, GoogLeNet, RegNet, ConvNeXt, ViT); ``resample`` and ``color``, the image
arithmetic behind ``Resize`` and ``ColorJitter``; ``functional``
(``torchvision.transforms.functional``) and ``ops`` (``torchvision.ops``: box IoU, conversions,
NMS, losses, model layers). The datasets and transforms live in ``gradiente.datasets`` and
``gradiente.transforms``."""

from gradiente.vision import utils
from gradiente.vision.utils import make_grid, save_image

__all__ = ["make_grid", "save_image", "utils"]
