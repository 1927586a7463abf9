"""torchvision's everyday helpers on gradiente tensors (``torchvision.utils`` under ``gradiente
run``): ``utils.make_grid`` and ``utils.save_image``; ``draw`` (boxes, masks, keypoints drawn on
images); ``io`` (``torchvision.io``: PNG/JPEG files ⇄ uint8 tensors); ``models``
(``torchvision.models``: ResNet/ResNeXt, VGG, AlexNet, SqueezeNet, MobileNetV2/V3, DenseNet,
ShuffleNetV2, EfficientNet, GoogLeNet, RegNet, ConvNeXt, ViT); ``resample`` and ``color``, the
image arithmetic behind ``Resize`` and ``ColorJitter``; ``functional``
(``torchvision.transforms.functional``) and ``ops`` (``torchvision.ops``: box IoU, conversions,
NMS, losses, model layers); ``tv_tensors`` (``torchvision.tv_tensors``: images, masks and
boxes that the ``transforms_v2`` treat by kind). The datasets and transforms live in
``gradiente.datasets`` and ``gradiente.transforms``."""

from gradiente.vision import draw, io, tv_tensors, utils
from gradiente.vision.draw import (
    draw_bounding_boxes,
    draw_keypoints,
    draw_segmentation_masks,
    flow_to_image,
)
from gradiente.vision.utils import make_grid, save_image

__all__ = [
    "make_grid",
    "save_image",
    "draw_bounding_boxes",
    "draw_segmentation_masks",
    "draw_keypoints",
    "flow_to_image",
    "draw",
    "io",
    "tv_tensors",
    "utils",
]
