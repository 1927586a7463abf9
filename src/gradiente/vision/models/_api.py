"""torchvision's model registry and weight enums (``torchvision.models._api``): ``get_model``,
``list_models``, ``get_model_builder``, ``get_model_weights``, ``get_weight`` and one
``WeightsEnum`` per builder (``ResNet50_Weights.IMAGENET1K_V2``, ``.DEFAULT``, ...).

The enums carry torchvision's metadata (download URL, preprocessing preset, and the whole
``meta`` dict of ``_meta.py``: the ImageNet categories shared by all, parameter count, minimum
input size, ImageNet accuracy, recipe, GFLOPs, file size, docs), so code that reads
``weights.meta["categories"]`` or builds ``weights.transforms()`` runs unchanged.
Downloading is what gradiente cannot do: passing an enum as ``weights=`` fails with one message
saying how to load a state-dict file instead (``_utils.check_weights``), and so does
``weights.get_state_dict()``.
"""

from __future__ import annotations

import fnmatch
import importlib
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from functools import partial
from types import ModuleType
from typing import Any

from gradiente import nn
from gradiente import transforms as T
from gradiente.backend import float32, xp
from gradiente.tensor import Tensor
from gradiente.vision.models._meta import META

__all__ = [
    "Weights",
    "WeightsEnum",
    "get_model",
    "get_model_builder",
    "get_model_weights",
    "get_weight",
    "list_models",
]

_URL_ROOT = "https://download.pytorch.org/models/"
_NAN = float("nan")  # no ImageNet accuracy: weights for feature extraction only


class ImageClassification(nn.Module):
    """torchvision's evaluation preset for classification weights: resize the shorter side to
    ``resize_size``, centre-crop ``crop_size``, convert to float in [0, 1], normalise with
    ``mean``/``std`` (ImageNet's by default). Takes a PIL image or a (..., C, H, W) tensor."""

    def __init__(
        self,
        *,
        crop_size: int,
        resize_size: int = 256,
        mean: tuple[float, ...] = (0.485, 0.456, 0.406),
        std: tuple[float, ...] = (0.229, 0.224, 0.225),
        interpolation: T.InterpolationMode = T.InterpolationMode.BILINEAR,
        antialias: bool | None = True,
    ) -> None:
        super().__init__()
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = T.InterpolationMode(interpolation)
        self.antialias = antialias

    def forward(self, img) -> Tensor:
        img = T.Resize(self.resize_size, self.interpolation, antialias=self.antialias)(img)
        img = T.CenterCrop(self.crop_size)(img)
        if not isinstance(img, Tensor):
            img = T.pil_to_tensor(img)
        if not img.is_floating_point():  # integers span [0, max of the dtype]
            img = img.to(float32) / float(_int_max(img))
        return T.Normalize(mean=self.mean, std=self.std)(img)

    def __repr__(self) -> str:
        lines = [
            f"crop_size={self.crop_size}",
            f"resize_size={self.resize_size}",
            f"mean={self.mean}",
            f"std={self.std}",
            f"interpolation={self.interpolation}",
        ]
        return self.__class__.__name__ + "(\n    " + "\n    ".join(lines) + "\n)"


def _int_max(img: Tensor) -> int:
    """The largest value of an integer tensor's dtype (255 for uint8)."""
    return int(xp.iinfo(img.detach()._data.dtype).max)


@dataclass
class Weights:
    """What describes one set of pretrained weights: where torchvision downloads them, the
    preprocessing preset they were evaluated with, and metadata (``num_params``,
    ``min_size``, ``_metrics``)."""

    url: str
    transforms: Callable
    meta: dict[str, Any]


class WeightsEnum(Enum):
    """The base of the weight enums: each member's value is a ``Weights``; ``DEFAULT`` is an
    alias of the recommended member."""

    @classmethod
    def verify(cls, obj: Any) -> Any:
        """``obj`` as a member of this enum: None stays None, a name ("IMAGENET1K_V1",
        "ResNet50_Weights.DEFAULT") is looked up, a member of another enum is refused."""
        if obj is not None:
            if type(obj) is str:
                obj = cls[obj.replace(cls.__name__ + ".", "")]
            elif not isinstance(obj, cls):
                raise TypeError(
                    f"Invalid Weight class provided; expected {cls.__name__} but received "
                    f"{obj.__class__.__name__}."
                )
        return obj

    def get_state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Refused: gradiente does not download (see ``_utils.check_weights``)."""
        raise RuntimeError(
            f"{self!r}.get_state_dict(): gradiente cannot download pretrained weights (from "
            f"{self.url}). Load a state-dict file instead: model.load_state_dict("
            f"gradiente.load(path)) (a safetensors file; from PyTorch, write one with "
            f"safetensors.torch.save_file(model.state_dict(), path))"
        )

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self) -> str:
        return self.value.url

    @property
    def transforms(self) -> Callable:
        return self.value.transforms

    @property
    def meta(self) -> dict[str, Any]:
        return self.value.meta


# enum name: (builder, DEFAULT member, {member: (file under download.pytorch.org/models/,
#   num_params, min_size, ImageNet acc@1, acc@5, ImageClassification arguments)}),
# as torchvision 0.28 has them
_TABLE = {
    "AlexNet_Weights": (
        "alexnet",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "alexnet-owt-7be5be79.pth",
                61100840,
                (63, 63),
                56.522,
                79.066,
                {"crop_size": 224},
            ),
        },
    ),
    "ConvNeXt_Base_Weights": (
        "convnext_base",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "convnext_base-6075fbad.pth",
                88591464,
                (32, 32),
                84.062,
                96.87,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "ConvNeXt_Large_Weights": (
        "convnext_large",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "convnext_large-ea097f82.pth",
                197767336,
                (32, 32),
                84.414,
                96.976,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "ConvNeXt_Small_Weights": (
        "convnext_small",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "convnext_small-0c510722.pth",
                50223688,
                (32, 32),
                83.616,
                96.65,
                {"crop_size": 224, "resize_size": 230},
            ),
        },
    ),
    "ConvNeXt_Tiny_Weights": (
        "convnext_tiny",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "convnext_tiny-983f1562.pth",
                28589128,
                (32, 32),
                82.52,
                96.146,
                {"crop_size": 224, "resize_size": 236},
            ),
        },
    ),
    "DenseNet121_Weights": (
        "densenet121",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "densenet121-a639ec97.pth",
                7978856,
                (29, 29),
                74.434,
                91.972,
                {"crop_size": 224},
            ),
        },
    ),
    "DenseNet161_Weights": (
        "densenet161",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "densenet161-8d451a50.pth",
                28681000,
                (29, 29),
                77.138,
                93.56,
                {"crop_size": 224},
            ),
        },
    ),
    "DenseNet169_Weights": (
        "densenet169",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "densenet169-b2777c0a.pth",
                14149480,
                (29, 29),
                75.6,
                92.806,
                {"crop_size": 224},
            ),
        },
    ),
    "DenseNet201_Weights": (
        "densenet201",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "densenet201-c1103571.pth",
                20013928,
                (29, 29),
                76.896,
                93.37,
                {"crop_size": 224},
            ),
        },
    ),
    "EfficientNet_B0_Weights": (
        "efficientnet_b0",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "efficientnet_b0_rwightman-7f5810bc.pth",
                5288548,
                (1, 1),
                77.692,
                93.532,
                {"crop_size": 224, "resize_size": 256, "interpolation": "bicubic"},
            ),
        },
    ),
    "EfficientNet_B1_Weights": (
        "efficientnet_b1",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "efficientnet_b1_rwightman-bac287d4.pth",
                7794184,
                (1, 1),
                78.642,
                94.186,
                {"crop_size": 240, "resize_size": 256, "interpolation": "bicubic"},
            ),
            "IMAGENET1K_V2": (
                "efficientnet_b1-c27df63c.pth",
                7794184,
                (1, 1),
                79.838,
                94.934,
                {"crop_size": 240, "resize_size": 255, "interpolation": "bilinear"},
            ),
        },
    ),
    "EfficientNet_B2_Weights": (
        "efficientnet_b2",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "efficientnet_b2_rwightman-c35c1473.pth",
                9109994,
                (1, 1),
                80.608,
                95.31,
                {"crop_size": 288, "resize_size": 288, "interpolation": "bicubic"},
            ),
        },
    ),
    "EfficientNet_B3_Weights": (
        "efficientnet_b3",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "efficientnet_b3_rwightman-b3899882.pth",
                12233232,
                (1, 1),
                82.008,
                96.054,
                {"crop_size": 300, "resize_size": 320, "interpolation": "bicubic"},
            ),
        },
    ),
    "EfficientNet_B4_Weights": (
        "efficientnet_b4",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "efficientnet_b4_rwightman-23ab8bcd.pth",
                19341616,
                (1, 1),
                83.384,
                96.594,
                {"crop_size": 380, "resize_size": 384, "interpolation": "bicubic"},
            ),
        },
    ),
    "EfficientNet_B5_Weights": (
        "efficientnet_b5",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "efficientnet_b5_lukemelas-1a07897c.pth",
                30389784,
                (1, 1),
                83.444,
                96.628,
                {"crop_size": 456, "resize_size": 456, "interpolation": "bicubic"},
            ),
        },
    ),
    "EfficientNet_B6_Weights": (
        "efficientnet_b6",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "efficientnet_b6_lukemelas-24a108a5.pth",
                43040704,
                (1, 1),
                84.008,
                96.916,
                {"crop_size": 528, "resize_size": 528, "interpolation": "bicubic"},
            ),
        },
    ),
    "EfficientNet_B7_Weights": (
        "efficientnet_b7",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "efficientnet_b7_lukemelas-c5b4e57e.pth",
                66347960,
                (1, 1),
                84.122,
                96.908,
                {"crop_size": 600, "resize_size": 600, "interpolation": "bicubic"},
            ),
        },
    ),
    "EfficientNet_V2_L_Weights": (
        "efficientnet_v2_l",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "efficientnet_v2_l-59c71312.pth",
                118515272,
                (33, 33),
                85.808,
                97.788,
                {
                    "crop_size": 480,
                    "resize_size": 480,
                    "interpolation": "bicubic",
                    "mean": (0.5, 0.5, 0.5),
                    "std": (0.5, 0.5, 0.5),
                },
            ),
        },
    ),
    "EfficientNet_V2_M_Weights": (
        "efficientnet_v2_m",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "efficientnet_v2_m-dc08266a.pth",
                54139356,
                (33, 33),
                85.112,
                97.156,
                {"crop_size": 480, "resize_size": 480, "interpolation": "bilinear"},
            ),
        },
    ),
    "EfficientNet_V2_S_Weights": (
        "efficientnet_v2_s",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "efficientnet_v2_s-dd5fe13b.pth",
                21458488,
                (33, 33),
                84.228,
                96.878,
                {"crop_size": 384, "resize_size": 384, "interpolation": "bilinear"},
            ),
        },
    ),
    "GoogLeNet_Weights": (
        "googlenet",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "googlenet-1378be20.pth",
                6624904,
                (15, 15),
                69.778,
                89.53,
                {"crop_size": 224},
            ),
        },
    ),
    "Inception_V3_Weights": (
        "inception_v3",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "inception_v3_google-0cc3c7bd.pth",
                27161264,
                (75, 75),
                77.294,
                93.45,
                {"crop_size": 299, "resize_size": 342},
            ),
        },
    ),
    "MNASNet0_5_Weights": (
        "mnasnet0_5",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "mnasnet0.5_top1_67.823-3ffadce67e.pth",
                2218512,
                (1, 1),
                67.734,
                87.49,
                {"crop_size": 224},
            ),
        },
    ),
    "MNASNet0_75_Weights": (
        "mnasnet0_75",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "mnasnet0_75-7090bc5f.pth",
                3170208,
                (1, 1),
                71.18,
                90.496,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "MNASNet1_0_Weights": (
        "mnasnet1_0",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "mnasnet1.0_top1_73.512-f206786ef8.pth",
                4383312,
                (1, 1),
                73.456,
                91.51,
                {"crop_size": 224},
            ),
        },
    ),
    "MNASNet1_3_Weights": (
        "mnasnet1_3",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "mnasnet1_3-a4c69d6f.pth",
                6282256,
                (1, 1),
                76.506,
                93.522,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "MobileNet_V2_Weights": (
        "mobilenet_v2",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "mobilenet_v2-b0353104.pth",
                3504872,
                (1, 1),
                71.878,
                90.286,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "mobilenet_v2-7ebf99e0.pth",
                3504872,
                (1, 1),
                72.154,
                90.822,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "MobileNet_V3_Large_Weights": (
        "mobilenet_v3_large",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "mobilenet_v3_large-8738ca79.pth",
                5483032,
                (1, 1),
                74.042,
                91.34,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "mobilenet_v3_large-5c1a4163.pth",
                5483032,
                (1, 1),
                75.274,
                92.566,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "MobileNet_V3_Small_Weights": (
        "mobilenet_v3_small",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "mobilenet_v3_small-047dcff4.pth",
                2542856,
                (1, 1),
                67.668,
                87.402,
                {"crop_size": 224},
            ),
        },
    ),
    "RegNet_X_16GF_Weights": (
        "regnet_x_16gf",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "regnet_x_16gf-2007eb11.pth",
                54278536,
                (1, 1),
                80.058,
                94.944,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "regnet_x_16gf-ba3796d7.pth",
                54278536,
                (1, 1),
                82.716,
                96.196,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "RegNet_X_1_6GF_Weights": (
        "regnet_x_1_6gf",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "regnet_x_1_6gf-e3633e7f.pth",
                9190136,
                (1, 1),
                77.04,
                93.44,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "regnet_x_1_6gf-a12f2b72.pth",
                9190136,
                (1, 1),
                79.668,
                94.922,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "RegNet_X_32GF_Weights": (
        "regnet_x_32gf",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "regnet_x_32gf-9d47f8d0.pth",
                107811560,
                (1, 1),
                80.622,
                95.248,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "regnet_x_32gf-6eb8fdc6.pth",
                107811560,
                (1, 1),
                83.014,
                96.288,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "RegNet_X_3_2GF_Weights": (
        "regnet_x_3_2gf",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "regnet_x_3_2gf-f342aeae.pth",
                15296552,
                (1, 1),
                78.364,
                93.992,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "regnet_x_3_2gf-7071aa85.pth",
                15296552,
                (1, 1),
                81.196,
                95.43,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "RegNet_X_400MF_Weights": (
        "regnet_x_400mf",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "regnet_x_400mf-adf1edd5.pth",
                5495976,
                (1, 1),
                72.834,
                90.95,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "regnet_x_400mf-62229a5f.pth",
                5495976,
                (1, 1),
                74.864,
                92.322,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "RegNet_X_800MF_Weights": (
        "regnet_x_800mf",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "regnet_x_800mf-ad17e45c.pth",
                7259656,
                (1, 1),
                75.212,
                92.348,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "regnet_x_800mf-94a99ebd.pth",
                7259656,
                (1, 1),
                77.522,
                93.826,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "RegNet_X_8GF_Weights": (
        "regnet_x_8gf",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "regnet_x_8gf-03ceed89.pth",
                39572648,
                (1, 1),
                79.344,
                94.686,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "regnet_x_8gf-2b70d774.pth",
                39572648,
                (1, 1),
                81.682,
                95.678,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "RegNet_Y_128GF_Weights": (
        "regnet_y_128gf",
        "IMAGENET1K_SWAG_E2E_V1",
        {
            "IMAGENET1K_SWAG_E2E_V1": (
                "regnet_y_128gf_swag-c8ce3e52.pth",
                644812894,
                (1, 1),
                88.228,
                98.682,
                {"crop_size": 384, "resize_size": 384, "interpolation": "bicubic"},
            ),
            "IMAGENET1K_SWAG_LINEAR_V1": (
                "regnet_y_128gf_lc_swag-cbe8ce12.pth",
                644812894,
                (1, 1),
                86.068,
                97.844,
                {"crop_size": 224, "resize_size": 224, "interpolation": "bicubic"},
            ),
        },
    ),
    "RegNet_Y_16GF_Weights": (
        "regnet_y_16gf",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "regnet_y_16gf-9e6ed7dd.pth",
                83590140,
                (1, 1),
                80.424,
                95.24,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "regnet_y_16gf-3e4a00f9.pth",
                83590140,
                (1, 1),
                82.886,
                96.328,
                {"crop_size": 224, "resize_size": 232},
            ),
            "IMAGENET1K_SWAG_E2E_V1": (
                "regnet_y_16gf_swag-43afe44d.pth",
                83590140,
                (1, 1),
                86.012,
                98.054,
                {"crop_size": 384, "resize_size": 384, "interpolation": "bicubic"},
            ),
            "IMAGENET1K_SWAG_LINEAR_V1": (
                "regnet_y_16gf_lc_swag-f3ec0043.pth",
                83590140,
                (1, 1),
                83.976,
                97.244,
                {"crop_size": 224, "resize_size": 224, "interpolation": "bicubic"},
            ),
        },
    ),
    "RegNet_Y_1_6GF_Weights": (
        "regnet_y_1_6gf",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "regnet_y_1_6gf-b11a554e.pth",
                11202430,
                (1, 1),
                77.95,
                93.966,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "regnet_y_1_6gf-0d7bc02a.pth",
                11202430,
                (1, 1),
                80.876,
                95.444,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "RegNet_Y_32GF_Weights": (
        "regnet_y_32gf",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "regnet_y_32gf-4dee3f7a.pth",
                145046770,
                (1, 1),
                80.878,
                95.34,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "regnet_y_32gf-8db6d4b5.pth",
                145046770,
                (1, 1),
                83.368,
                96.498,
                {"crop_size": 224, "resize_size": 232},
            ),
            "IMAGENET1K_SWAG_E2E_V1": (
                "regnet_y_32gf_swag-04fdfa75.pth",
                145046770,
                (1, 1),
                86.838,
                98.362,
                {"crop_size": 384, "resize_size": 384, "interpolation": "bicubic"},
            ),
            "IMAGENET1K_SWAG_LINEAR_V1": (
                "regnet_y_32gf_lc_swag-e1583746.pth",
                145046770,
                (1, 1),
                84.622,
                97.48,
                {"crop_size": 224, "resize_size": 224, "interpolation": "bicubic"},
            ),
        },
    ),
    "RegNet_Y_3_2GF_Weights": (
        "regnet_y_3_2gf",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "regnet_y_3_2gf-b5a9779c.pth",
                19436338,
                (1, 1),
                78.948,
                94.576,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "regnet_y_3_2gf-9180c971.pth",
                19436338,
                (1, 1),
                81.982,
                95.972,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "RegNet_Y_400MF_Weights": (
        "regnet_y_400mf",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "regnet_y_400mf-c65dace8.pth",
                4344144,
                (1, 1),
                74.046,
                91.716,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "regnet_y_400mf-e6988f5f.pth",
                4344144,
                (1, 1),
                75.804,
                92.742,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "RegNet_Y_800MF_Weights": (
        "regnet_y_800mf",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "regnet_y_800mf-1b27b58c.pth",
                6432512,
                (1, 1),
                76.42,
                93.136,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "regnet_y_800mf-58fc7688.pth",
                6432512,
                (1, 1),
                78.828,
                94.502,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "RegNet_Y_8GF_Weights": (
        "regnet_y_8gf",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "regnet_y_8gf-d0d0e4a8.pth",
                39381472,
                (1, 1),
                80.032,
                95.048,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "regnet_y_8gf-dc2b1b54.pth",
                39381472,
                (1, 1),
                82.828,
                96.33,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "ResNet101_Weights": (
        "resnet101",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "resnet101-63fe2227.pth",
                44549160,
                (1, 1),
                77.374,
                93.546,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "resnet101-cd907fc2.pth",
                44549160,
                (1, 1),
                81.886,
                95.78,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "ResNet152_Weights": (
        "resnet152",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "resnet152-394f9c45.pth",
                60192808,
                (1, 1),
                78.312,
                94.046,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "resnet152-f82ba261.pth",
                60192808,
                (1, 1),
                82.284,
                96.002,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "ResNet18_Weights": (
        "resnet18",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "resnet18-f37072fd.pth",
                11689512,
                (1, 1),
                69.758,
                89.078,
                {"crop_size": 224},
            ),
        },
    ),
    "ResNet34_Weights": (
        "resnet34",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "resnet34-b627a593.pth",
                21797672,
                (1, 1),
                73.314,
                91.42,
                {"crop_size": 224},
            ),
        },
    ),
    "ResNet50_Weights": (
        "resnet50",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "resnet50-0676ba61.pth",
                25557032,
                (1, 1),
                76.13,
                92.862,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "resnet50-11ad3fa6.pth",
                25557032,
                (1, 1),
                80.858,
                95.434,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "ResNeXt101_32X8D_Weights": (
        "resnext101_32x8d",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "resnext101_32x8d-8ba56ff5.pth",
                88791336,
                (1, 1),
                79.312,
                94.526,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "resnext101_32x8d-110c445d.pth",
                88791336,
                (1, 1),
                82.834,
                96.228,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "ResNeXt101_64X4D_Weights": (
        "resnext101_64x4d",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "resnext101_64x4d-173b62eb.pth",
                83455272,
                (1, 1),
                83.246,
                96.454,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "ResNeXt50_32X4D_Weights": (
        "resnext50_32x4d",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "resnext50_32x4d-7cdf4587.pth",
                25028904,
                (1, 1),
                77.618,
                93.698,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "resnext50_32x4d-1a0047aa.pth",
                25028904,
                (1, 1),
                81.198,
                95.34,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "ShuffleNet_V2_X0_5_Weights": (
        "shufflenet_v2_x0_5",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "shufflenetv2_x0.5-f707e7126e.pth",
                1366792,
                (1, 1),
                60.552,
                81.746,
                {"crop_size": 224},
            ),
        },
    ),
    "ShuffleNet_V2_X1_0_Weights": (
        "shufflenet_v2_x1_0",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "shufflenetv2_x1-5666bf0f80.pth",
                2278604,
                (1, 1),
                69.362,
                88.316,
                {"crop_size": 224},
            ),
        },
    ),
    "ShuffleNet_V2_X1_5_Weights": (
        "shufflenet_v2_x1_5",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "shufflenetv2_x1_5-3c479a10.pth",
                3503624,
                (1, 1),
                72.996,
                91.086,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "ShuffleNet_V2_X2_0_Weights": (
        "shufflenet_v2_x2_0",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "shufflenetv2_x2_0-8be3c8ee.pth",
                7393996,
                (1, 1),
                76.23,
                93.006,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "SqueezeNet1_0_Weights": (
        "squeezenet1_0",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "squeezenet1_0-b66bff10.pth",
                1248424,
                (21, 21),
                58.092,
                80.42,
                {"crop_size": 224},
            ),
        },
    ),
    "SqueezeNet1_1_Weights": (
        "squeezenet1_1",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "squeezenet1_1-b8a52dc0.pth",
                1235496,
                (17, 17),
                58.178,
                80.624,
                {"crop_size": 224},
            ),
        },
    ),
    "VGG11_Weights": (
        "vgg11",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "vgg11-8a719046.pth",
                132863336,
                (32, 32),
                69.02,
                88.628,
                {"crop_size": 224},
            ),
        },
    ),
    "VGG11_BN_Weights": (
        "vgg11_bn",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "vgg11_bn-6002323d.pth",
                132868840,
                (32, 32),
                70.37,
                89.81,
                {"crop_size": 224},
            ),
        },
    ),
    "VGG13_Weights": (
        "vgg13",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "vgg13-19584684.pth",
                133047848,
                (32, 32),
                69.928,
                89.246,
                {"crop_size": 224},
            ),
        },
    ),
    "VGG13_BN_Weights": (
        "vgg13_bn",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "vgg13_bn-abd245e5.pth",
                133053736,
                (32, 32),
                71.586,
                90.374,
                {"crop_size": 224},
            ),
        },
    ),
    "VGG16_Weights": (
        "vgg16",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "vgg16-397923af.pth",
                138357544,
                (32, 32),
                71.592,
                90.382,
                {"crop_size": 224},
            ),
            "IMAGENET1K_FEATURES": (
                "vgg16_features-amdegroot-88682ab5.pth",
                138357544,
                (32, 32),
                _NAN,
                _NAN,
                {
                    "crop_size": 224,
                    "mean": (0.48235, 0.45882, 0.40784),
                    "std": (0.00392156862745098, 0.00392156862745098, 0.00392156862745098),
                },
            ),
        },
    ),
    "VGG16_BN_Weights": (
        "vgg16_bn",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "vgg16_bn-6c64b313.pth",
                138365992,
                (32, 32),
                73.36,
                91.516,
                {"crop_size": 224},
            ),
        },
    ),
    "VGG19_Weights": (
        "vgg19",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "vgg19-dcbb9e9d.pth",
                143667240,
                (32, 32),
                72.376,
                90.876,
                {"crop_size": 224},
            ),
        },
    ),
    "VGG19_BN_Weights": (
        "vgg19_bn",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "vgg19_bn-c79401a0.pth",
                143678248,
                (32, 32),
                74.218,
                91.842,
                {"crop_size": 224},
            ),
        },
    ),
    "ViT_B_16_Weights": (
        "vit_b_16",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "vit_b_16-c867db91.pth",
                86567656,
                (224, 224),
                81.072,
                95.318,
                {"crop_size": 224},
            ),
            "IMAGENET1K_SWAG_E2E_V1": (
                "vit_b_16_swag-9ac1b537.pth",
                86859496,
                (384, 384),
                85.304,
                97.65,
                {"crop_size": 384, "resize_size": 384, "interpolation": "bicubic"},
            ),
            "IMAGENET1K_SWAG_LINEAR_V1": (
                "vit_b_16_lc_swag-4e70ced5.pth",
                86567656,
                (224, 224),
                81.886,
                96.18,
                {"crop_size": 224, "resize_size": 224, "interpolation": "bicubic"},
            ),
        },
    ),
    "ViT_B_32_Weights": (
        "vit_b_32",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "vit_b_32-d86f8d99.pth",
                88224232,
                (224, 224),
                75.912,
                92.466,
                {"crop_size": 224},
            ),
        },
    ),
    "ViT_H_14_Weights": (
        "vit_h_14",
        "IMAGENET1K_SWAG_E2E_V1",
        {
            "IMAGENET1K_SWAG_E2E_V1": (
                "vit_h_14_swag-80465313.pth",
                633470440,
                (518, 518),
                88.552,
                98.694,
                {"crop_size": 518, "resize_size": 518, "interpolation": "bicubic"},
            ),
            "IMAGENET1K_SWAG_LINEAR_V1": (
                "vit_h_14_lc_swag-c1eb923e.pth",
                632045800,
                (224, 224),
                85.708,
                97.73,
                {"crop_size": 224, "resize_size": 224, "interpolation": "bicubic"},
            ),
        },
    ),
    "ViT_L_16_Weights": (
        "vit_l_16",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "vit_l_16-852ce7e3.pth",
                304326632,
                (224, 224),
                79.662,
                94.638,
                {"crop_size": 224, "resize_size": 242},
            ),
            "IMAGENET1K_SWAG_E2E_V1": (
                "vit_l_16_swag-4f3808c9.pth",
                305174504,
                (512, 512),
                88.064,
                98.512,
                {"crop_size": 512, "resize_size": 512, "interpolation": "bicubic"},
            ),
            "IMAGENET1K_SWAG_LINEAR_V1": (
                "vit_l_16_lc_swag-4d563306.pth",
                304326632,
                (224, 224),
                85.146,
                97.422,
                {"crop_size": 224, "resize_size": 224, "interpolation": "bicubic"},
            ),
        },
    ),
    "ViT_L_32_Weights": (
        "vit_l_32",
        "IMAGENET1K_V1",
        {
            "IMAGENET1K_V1": (
                "vit_l_32-c7638314.pth",
                306535400,
                (224, 224),
                76.972,
                93.07,
                {"crop_size": 224},
            ),
        },
    ),
    "Wide_ResNet101_2_Weights": (
        "wide_resnet101_2",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "wide_resnet101_2-32ee1156.pth",
                126886696,
                (1, 1),
                78.848,
                94.284,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "wide_resnet101_2-d733dc28.pth",
                126886696,
                (1, 1),
                82.51,
                96.02,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
    "Wide_ResNet50_2_Weights": (
        "wide_resnet50_2",
        "IMAGENET1K_V2",
        {
            "IMAGENET1K_V1": (
                "wide_resnet50_2-95faca4d.pth",
                68883240,
                (1, 1),
                78.468,
                94.086,
                {"crop_size": 224},
            ),
            "IMAGENET1K_V2": (
                "wide_resnet50_2-9ba9bcbe.pth",
                68883240,
                (1, 1),
                81.602,
                95.758,
                {"crop_size": 224, "resize_size": 232},
            ),
        },
    ),
}


def _weights(file: str, num_params: int, min_size, acc1: float, acc5: float, preset: dict):
    preset = dict(preset)
    if "interpolation" in preset:
        preset["interpolation"] = T.InterpolationMode(preset["interpolation"])
    meta = {
        "min_size": min_size,
        "num_params": num_params,
        "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
    }
    return Weights(_URL_ROOT + file, partial(ImageClassification, **preset), meta)


def _make_enum(name: str, default: str, members: dict) -> type[WeightsEnum]:
    """The enum class ``name``: its members, then ``DEFAULT`` (an alias: the same value). Each
    member's ``meta`` is torchvision's whole dict (``_meta.META``: categories, recipe, ...)."""
    entries = []
    for member, row in members.items():
        weights = _weights(*row)
        weights.meta = META.get(name, {}).get(member, weights.meta)
        entries.append((member, weights))
    entries.append(("DEFAULT", dict(entries)[default]))
    return WeightsEnum(name, entries, module=__package__)


# the modules with builders (imported by name: this module is imported by the package's
# __init__, before the package has its builders)
_MODEL_MODULES = [
    importlib.import_module(f"{__package__}.{name}")
    for name in (
        "alexnet",
        "convnext",
        "densenet",
        "efficientnet",
        "googlenet",
        "inception",
        "mnasnet",
        "mobilenetv2",
        "mobilenetv3",
        "regnet",
        "resnet",
        "shufflenetv2",
        "squeezenet",
        "vgg",
        "vision_transformer",
    )
]
_BUILDERS = {
    name: getattr(module, name)
    for module in _MODEL_MODULES
    for name in getattr(module, "__all__", ())
    if name[0].islower()
}

# every builder by name (torchvision's BUILTIN_MODELS), and its weight enum
BUILTIN_MODELS: dict[str, Callable[..., nn.Module]] = {}
WEIGHTS: dict[str, type[WeightsEnum]] = {}
_ENUM_OF_BUILDER: dict[str, type[WeightsEnum]] = {}
for _name, (_builder, _default, _members) in _TABLE.items():
    _enum = _make_enum(_name, _default, _members)
    WEIGHTS[_name] = _enum
    BUILTIN_MODELS[_builder] = _BUILDERS[_builder]
    _ENUM_OF_BUILDER[_builder] = _enum
    # as in torchvision, each model's module has its enums: ``models.resnet.ResNet50_Weights``
    setattr(sys.modules[BUILTIN_MODELS[_builder].__module__], _name, _enum)


def _as_torchvision(name: str) -> str:
    """A module's name as torchvision spells it (``gradiente run`` aliases torchvision.models to
    gradiente.vision.models, so either name may come in)."""
    return (
        "torchvision" + name[len("gradiente.vision") :]
        if name.startswith("gradiente.vision")
        else name
    )


def list_models(
    module: ModuleType | None = None,
    include: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str | None = None,
) -> list[str]:
    """The sorted names of the registered builders — those of ``module`` only, if given —
    matching any ``include`` and no ``exclude`` shell-style pattern (``fnmatch``)."""
    all_models = {
        k
        for k, v in BUILTIN_MODELS.items()
        if module is None
        or _as_torchvision(v.__module__.rsplit(".", 1)[0]) == _as_torchvision(module.__name__)
    }
    if include:
        if isinstance(include, str):
            include = [include]
        models: set[str] = set()
        for pattern in include:
            models |= set(fnmatch.filter(all_models, pattern))
    else:
        models = all_models
    if exclude:
        if isinstance(exclude, str):
            exclude = [exclude]
        for pattern in exclude:
            models -= set(fnmatch.filter(all_models, pattern))
    return sorted(models)


def get_model_builder(name: str) -> Callable[..., nn.Module]:
    """The builder function registered under ``name`` (case-insensitive)."""
    try:
        return BUILTIN_MODELS[name.lower()]
    except KeyError:
        raise ValueError(f"Unknown model {name.lower()}") from None


def get_model(name: str, **config: Any) -> nn.Module:
    """The model ``name`` built with ``config`` (``get_model("resnet18", num_classes=10)``)."""
    return get_model_builder(name)(**config)


def get_model_weights(name: Callable | str) -> type[WeightsEnum]:
    """The weight enum of a builder, given by name or as the function."""
    builder = get_model_builder(name) if isinstance(name, str) else name
    enum = _ENUM_OF_BUILDER.get(getattr(builder, "__name__", ""))
    if enum is None or BUILTIN_MODELS.get(builder.__name__) is not builder:
        raise ValueError(
            "The WeightsEnum class for the specific method couldn't be retrieved. Make sure "
            "the typing info is correct."
        )
    return enum


def get_weight(name: str) -> WeightsEnum:
    """A weight enum member by its full name, e.g. ``"ResNet50_Weights.IMAGENET1K_V1"``."""
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    if enum_name not in WEIGHTS:
        raise ValueError(
            f"The weight enum '{enum_name}' for the specific method couldn't be retrieved."
        )
    return WEIGHTS[enum_name][value_name]
