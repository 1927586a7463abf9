"""``print(transform)`` for every v2 transform, against the real ``torchvision.transforms.v2``.

v2's transforms are ``nn.Module``s: their repr is the module's, and ``extra_repr`` lists the
public attributes of simple types in the order ``__init__`` set them, so the text shows how
each class stores its arguments (``Resize(20).size == [20]``, ``RandomCrop``'s padding as
[left, right, top, bottom], strings kept as given, ...). Each case builds the transform on both
sides from the same arguments and compares ``str``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest

torch = pytest.importorskip("torch")

import gradiente as g  # noqa: E402
import gradiente.vision.transforms_v2 as V  # noqa: E402
from conftest import real_torchvision  # noqa: E402


@pytest.fixture(scope="module")
def TV():
    real_torchvision()
    import torchvision.transforms.v2 as v2

    return v2


def _id(x):
    return x


# (class name, builder(lib, v2) → (args, kwargs)); lib is torch or gradiente, v2 its v2 module
CASES = [
    ("Resize", lambda lib, v2: ((20,), {})),
    ("Resize", lambda lib, v2: (([20, 30],), {"interpolation": v2.InterpolationMode.NEAREST})),
    ("Resize", lambda lib, v2: ((None,), {"max_size": 40, "antialias": False})),
    ("Resize", lambda lib, v2: (((7,),), {"interpolation": "bicubic", "max_size": 12})),
    ("CenterCrop", lambda lib, v2: ((16,), {})),
    ("CenterCrop", lambda lib, v2: (([8, 12],), {})),
    ("CenterCrop", lambda lib, v2: (((5,),), {})),
    ("RandomCrop", lambda lib, v2: ((10,), {"padding": 3})),
    ("RandomCrop", lambda lib, v2: (((8, 6),), {"padding": (1, 2), "pad_if_needed": True})),
    ("RandomCrop", lambda lib, v2: ((8,), {"padding": [1, 2, 3, 4], "fill": 5})),
    ("RandomCrop", lambda lib, v2: ((8,), {"padding_mode": "reflect", "fill": (1, 2, 3)})),
    ("RandomResizedCrop", lambda lib, v2: ((10,), {})),
    ("RandomResizedCrop", lambda lib, v2: (([10, 12],), {"scale": [0.5, 0.9], "antialias": None})),
    (
        "RandomResizedCrop",
        lambda lib, v2: (
            (10,),
            {"ratio": (0.5, 2.0), "interpolation": v2.InterpolationMode.BICUBIC},
        ),
    ),
    ("RandomHorizontalFlip", lambda lib, v2: ((), {})),
    ("RandomHorizontalFlip", lambda lib, v2: ((0.25,), {})),
    ("RandomVerticalFlip", lambda lib, v2: ((), {"p": 1})),
    ("Pad", lambda lib, v2: ((3,), {})),
    ("Pad", lambda lib, v2: (((1, 2),), {"fill": 7, "padding_mode": "edge"})),
    ("Pad", lambda lib, v2: (([1, 2, 3, 4],), {"fill": {"others": 1}})),
    ("Normalize", lambda lib, v2: (([0.5], [0.2]), {})),
    ("Normalize", lambda lib, v2: (((0.1, 0.2, 0.3), (1, 2, 3)), {"inplace": True})),
    ("ColorJitter", lambda lib, v2: ((0.2, 0.3), {})),
    ("ColorJitter", lambda lib, v2: ((), {"saturation": (0.5, 1.5), "hue": 0.1})),
    ("ColorJitter", lambda lib, v2: ((), {})),
    ("ColorJitter", lambda lib, v2: ((1.5,), {"contrast": 0})),
    ("GaussianBlur", lambda lib, v2: ((3,), {})),
    ("GaussianBlur", lambda lib, v2: (((5, 3),), {"sigma": 1})),
    ("GaussianBlur", lambda lib, v2: ((3,), {"sigma": (0.5,)})),
    ("Grayscale", lambda lib, v2: ((), {})),
    ("Grayscale", lambda lib, v2: ((3,), {})),
    ("RandomGrayscale", lambda lib, v2: ((), {})),
    ("RandomGrayscale", lambda lib, v2: ((0.7,), {})),
    ("RandomInvert", lambda lib, v2: ((), {})),
    ("RandomAutocontrast", lambda lib, v2: ((0.3,), {})),
    ("RandomEqualize", lambda lib, v2: ((), {"p": 1.0})),
    ("RandomSolarize", lambda lib, v2: ((128,), {})),
    ("RandomSolarize", lambda lib, v2: ((0.5,), {"p": 0.2})),
    ("RandomPosterize", lambda lib, v2: ((3,), {})),
    ("RandomPosterize", lambda lib, v2: ((), {"bits": 2, "p": 0.9})),
    ("RandomAdjustSharpness", lambda lib, v2: ((1.7,), {})),
    ("RandomAdjustSharpness", lambda lib, v2: ((), {"sharpness_factor": 0, "p": 1})),
    ("RandomErasing", lambda lib, v2: ((), {})),
    ("RandomErasing", lambda lib, v2: ((0.3,), {"value": "random", "inplace": True})),
    ("RandomErasing", lambda lib, v2: ((), {"scale": [0.1, 0.2], "value": (1, 2, 3)})),
    ("RandomRotation", lambda lib, v2: ((10,), {})),
    ("RandomRotation", lambda lib, v2: (((-5, 15),), {"expand": True, "center": [1, 2]})),
    ("RandomAffine", lambda lib, v2: ((10,), {})),
    (
        "RandomAffine",
        lambda lib, v2: ((0,), {"translate": (0.1, 0.2), "scale": (0.9, 1.1), "shear": 5}),
    ),
    ("RandomAffine", lambda lib, v2: (([-3, 3],), {"shear": [1, 2, 3, 4], "fill": 9})),
    ("RandomPerspective", lambda lib, v2: ((), {})),
    ("RandomPerspective", lambda lib, v2: ((0.3, 0.7), {"interpolation": "nearest"})),
    ("ElasticTransform", lambda lib, v2: ((), {})),
    ("ElasticTransform", lambda lib, v2: (((10, 20), 3), {"fill": 1})),
    ("FiveCrop", lambda lib, v2: ((4,), {})),
    ("TenCrop", lambda lib, v2: (((4, 6),), {"vertical_flip": True})),
    ("ToImage", lambda lib, v2: ((), {})),
    ("ToPureTensor", lambda lib, v2: ((), {})),
    ("PILToTensor", lambda lib, v2: ((), {})),
    ("ToTensor", lambda lib, v2: ((), {})),
    ("ToPILImage", lambda lib, v2: ((), {})),
    ("ToPILImage", lambda lib, v2: (("RGB",), {})),
    ("ToDtype", lambda lib, v2: ((lib.float32,), {"scale": True})),
    ("ToDtype", lambda lib, v2: (({"others": None},), {})),
    ("ConvertImageDtype", lambda lib, v2: ((), {})),
    ("ConvertImageDtype", lambda lib, v2: ((lib.float64,), {})),
    ("LinearTransformation", lambda lib, v2: ((lib.eye(3), lib.zeros(3)), {})),
    ("Identity", lambda lib, v2: ((), {})),
    ("Lambda", lambda lib, v2: ((_id,), {})),
    ("Lambda", lambda lib, v2: ((lambda x: x, lib.Tensor, int), {})),
    ("Compose", lambda lib, v2: (([v2.Resize(20), v2.CenterCrop(16)],), {})),
    ("Compose", lambda lib, v2: (([v2.Compose([v2.ToImage()]), v2.RandomCrop(3)],), {})),
    ("RandomApply", lambda lib, v2: (([v2.Resize(20)],), {"p": 0.3})),
    ("RandomApply", lambda lib, v2: (([v2.Resize(20), v2.Grayscale()],), {})),
    ("RandomChoice", lambda lib, v2: (([v2.Resize(20), v2.Grayscale()],), {})),
    ("RandomChoice", lambda lib, v2: (([v2.Resize(20), v2.Grayscale()],), {"p": [1, 3]})),
    ("RandomOrder", lambda lib, v2: (([v2.Resize(20), v2.ToImage()],), {})),
    ("MixUp", lambda lib, v2: ((), {"alpha": 0.3, "num_classes": 10})),
    ("CutMix", lambda lib, v2: ((), {})),
    ("AutoAugment", lambda lib, v2: ((), {})),
    ("AutoAugment", lambda lib, v2: ((v2.AutoAugmentPolicy.CIFAR10, "bilinear", 3), {})),
    ("RandAugment", lambda lib, v2: ((), {})),
    ("RandAugment", lambda lib, v2: ((3, 5, 11), {"interpolation": v2.InterpolationMode.NEAREST})),
    ("TrivialAugmentWide", lambda lib, v2: ((), {"num_magnitude_bins": 9, "fill": [1, 2, 3]})),
    ("AugMix", lambda lib, v2: ((), {})),
    ("AugMix", lambda lib, v2: ((2, 4, 1, 0.5, False), {})),
    ("GaussianNoise", lambda lib, v2: ((), {})),
    ("GaussianNoise", lambda lib, v2: ((0.1, 0.2, False), {})),
    ("RandomChannelPermutation", lambda lib, v2: ((), {})),
    ("RandomPhotometricDistort", lambda lib, v2: ((), {})),
    ("RandomPhotometricDistort", lambda lib, v2: ((), {"hue": (-0.1, 0.1), "p": 0.9})),
    ("ScaleJitter", lambda lib, v2: (((32, 40),), {})),
    ("ScaleJitter", lambda lib, v2: (([32, 40], (0.5, 1.5), "nearest", False), {})),
    ("RandomZoomOut", lambda lib, v2: ((), {})),
    ("RandomZoomOut", lambda lib, v2: ((5, [1.0, 2.0], 0.25), {})),
    ("RandomShortestSize", lambda lib, v2: (([10, 12], 30), {})),
    ("RandomResize", lambda lib, v2: ((8, 16), {"interpolation": "nearest"})),
    ("RGB", lambda lib, v2: ((), {})),
    ("UniformTemporalSubsample", lambda lib, v2: ((4,), {})),
    ("JPEG", lambda lib, v2: ((75,), {})),
    ("JPEG", lambda lib, v2: (([30, 90],), {})),
    ("SetClampingMode", lambda lib, v2: ((None,), {})),
    ("RandomIoUCrop", lambda lib, v2: ((), {})),
    ("RandomIoUCrop", lambda lib, v2: ((0.5, 0.9), {"sampler_options": [0.3, 1.0], "trials": 3})),
    ("ClampBoundingBoxes", lambda lib, v2: ((), {})),
    ("ConvertBoundingBoxFormat", lambda lib, v2: (("CXCYWH",), {})),
    ("SanitizeBoundingBoxes", lambda lib, v2: ((), {})),
    ("SanitizeBoundingBoxes", lambda lib, v2: ((2, 3), {"labels_getter": None})),
]


@pytest.mark.parametrize(
    "name,build", CASES, ids=[f"{name}-{i}" for i, (name, _) in enumerate(CASES)]
)
def test_repr_matches_torchvision(TV, name, build):
    args, kwargs = build(torch, TV)
    ref = str(getattr(TV, name)(*args, **kwargs))
    args, kwargs = build(g, V)
    assert str(getattr(V, name)(*args, **kwargs)) == ref


def test_every_v2_class_is_covered():
    """Each transform class gradiente has appears in CASES (a new one must be added here)."""
    covered = {name for name, _ in CASES}
    classes = {
        n
        for n in V.__all__
        if isinstance(getattr(V, n), type)
        and issubclass(getattr(V, n), V.Transform)
        and n != "Transform"
    }
    assert classes <= covered, sorted(classes - covered)


def test_v2_transforms_are_modules():
    """As torchvision's, a v2 transform is an ``nn.Module`` (so it fits in ``nn.Sequential``)."""
    assert isinstance(V.Resize(4), g.nn.Module)
    seq = g.nn.Sequential(V.CenterCrop(2), V.RandomHorizontalFlip(p=1.0))
    x = g.arange(16.0).reshape(1, 4, 4)
    assert seq(x).tolist() == [[[6.0, 5.0], [10.0, 9.0]]]
