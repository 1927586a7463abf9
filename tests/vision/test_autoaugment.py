"""AutoAugment, RandAugment, TrivialAugmentWide and AugMix (v1 and v2) against the real
torchvision 0.28: the same seed must give the same operations, magnitudes and pixels, bit for
bit, on uint8 tensors and PIL images, and leave both generators in the same state."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import gradiente as g  # noqa: E402
import gradiente.transforms as T  # noqa: E402
import gradiente.vision.transforms_v2 as V  # noqa: E402
from conftest import real_torchvision  # noqa: E402
from gradiente.vision import photometric as P  # noqa: E402

from .image_match import assert_images_match  # noqa: E402

PIL_Image = pytest.importorskip("PIL.Image")

CLASSES = ["AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"]


@pytest.fixture(scope="module")
def tv():
    return real_torchvision()


def _modules(version):
    import torchvision.transforms as T1
    import torchvision.transforms.v2 as TV

    return (T1, T) if version == "v1" else (TV, V)


def _kwargs(ref_mod, our_mod, name, policy, interpolation, fill):
    ref_kw, our_kw = {}, {}
    if name == "AutoAugment":
        ref_kw["policy"] = ref_mod.AutoAugmentPolicy[policy]
        our_kw["policy"] = our_mod.AutoAugmentPolicy[policy]
    if interpolation is not None:
        ref_kw["interpolation"] = ref_mod.InterpolationMode(interpolation)
        our_kw["interpolation"] = our_mod.InterpolationMode(interpolation)
    if fill is not None:
        ref_kw["fill"] = our_kw["fill"] = fill
    return ref_kw, our_kw


def _run(ref_t, our_t, kind, shape, n=12, seed=0):
    torch.manual_seed(seed)
    g.manual_seed(seed)
    rng = np.random.default_rng(seed)
    for _ in range(n):
        chw = rng.integers(0, 256, shape, dtype=np.uint8)
        if kind == "pil":
            hwc = chw[0] if chw.shape[0] == 1 else chw.transpose(1, 2, 0)
            ref_in = our_in = PIL_Image.fromarray(np.ascontiguousarray(hwc))
        else:
            ref_in, our_in = torch.from_numpy(chw.copy()), g.tensor(chw.copy())
        ref, out = ref_t(ref_in), our_t(our_in)
        if kind == "pil":
            assert out.mode == ref.mode and out.size == ref.size
            assert_images_match(np.asarray(out), np.asarray(ref), ties=True)
        else:
            assert out.dtype == g.uint8 and tuple(out.shape) == tuple(ref.shape)
            assert_images_match(out.numpy(), ref.numpy(), ties=True)
    assert torch.rand(1).item() == g.rand(1).item()  # the same number of draws


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("kind", ["tensor", "pil"])
@pytest.mark.parametrize("policy", ["IMAGENET", "CIFAR10", "SVHN"])
def test_autoaugment_policies(tv, version, kind, policy):
    ref_mod, our_mod = _modules(version)
    ref_kw, our_kw = _kwargs(ref_mod, our_mod, "AutoAugment", policy, None, None)
    _run(ref_mod.AutoAugment(**ref_kw), our_mod.AutoAugment(**our_kw), kind, (3, 22, 26), n=25)


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("kind", ["tensor", "pil"])
@pytest.mark.parametrize("name", CLASSES)
@pytest.mark.parametrize(
    "interpolation,fill",
    [(None, None), ("bilinear", None), ("nearest", 128), ("bilinear", [10, 20, 30])],
)
def test_policies_match(tv, version, kind, name, interpolation, fill):
    ref_mod, our_mod = _modules(version)
    ref_kw, our_kw = _kwargs(ref_mod, our_mod, name, "IMAGENET", interpolation, fill)
    if kind == "pil" and isinstance(fill, list):
        fill = tuple(fill)
        ref_kw["fill"] = our_kw["fill"] = fill
    _run(getattr(ref_mod, name)(**ref_kw), getattr(our_mod, name)(**our_kw), kind, (3, 20, 24))


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("name", CLASSES)
def test_policies_grey_and_batched(tv, version, name):
    """One-channel images (tensor and PIL mode "L") and a batch of tensors (B, C, H, W)."""
    ref_mod, our_mod = _modules(version)
    _run(getattr(ref_mod, name)(), getattr(our_mod, name)(), "tensor", (1, 18, 21), n=8)
    _run(getattr(ref_mod, name)(), getattr(our_mod, name)(), "pil", (1, 18, 21), n=8)
    _run(getattr(ref_mod, name)(), getattr(our_mod, name)(), "tensor", (2, 3, 16, 17), n=8)


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize(
    "kwargs",
    [
        {"severity": 1, "mixture_width": 2, "chain_depth": 2},
        {"severity": 10, "alpha": 0.5, "all_ops": False},
        {"mixture_width": 4, "chain_depth": 1, "alpha": 2.0},
    ],
)
def test_augmix_arguments(tv, version, kwargs):
    ref_mod, our_mod = _modules(version)
    _run(ref_mod.AugMix(**kwargs), our_mod.AugMix(**kwargs), "tensor", (3, 16, 16), n=8)


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize(
    "kwargs", [{"num_ops": 3, "magnitude": 5}, {"num_ops": 1, "num_magnitude_bins": 11}]
)
def test_randaugment_arguments(tv, version, kwargs):
    ref_mod, our_mod = _modules(version)
    _run(ref_mod.RandAugment(**kwargs), our_mod.RandAugment(**kwargs), "tensor", (3, 16, 18))


def test_v2_policies_pass_labels_through(tv):
    """v2 transforms the one image of a structured sample and leaves the label alone."""
    import torchvision.transforms.v2 as TV

    x = np.random.default_rng(1).integers(0, 256, (3, 16, 16), dtype=np.uint8)
    torch.manual_seed(5)
    g.manual_seed(5)
    ref = TV.TrivialAugmentWide()((torch.from_numpy(x.copy()), 7))
    out = V.TrivialAugmentWide()((g.tensor(x.copy()), 7))
    assert out[1] == ref[1] == 7
    assert_images_match(out[0].numpy(), ref[0].numpy(), ties=True)


def test_errors_as_torchvision(tv):
    import torchvision.transforms as T1
    import torchvision.transforms.v2 as TV

    for ref_mod, our_mod in ((T1, T), (TV, V)):
        with pytest.raises(ValueError) as ref_err:
            ref_mod.AugMix(severity=11)
        with pytest.raises(ValueError) as our_err:
            our_mod.AugMix(severity=11)
        assert str(our_err.value) == str(ref_err.value)
    with pytest.raises(ValueError) as ref_err:
        TV.RandAugment(num_ops=-1)
    with pytest.raises(ValueError) as our_err:
        V.RandAugment(num_ops=-1)
    assert str(our_err.value) == str(ref_err.value)
    with pytest.raises(TypeError) as ref_err:
        TV.AutoAugment()(PIL_Image.new("RGB", (8, 8)), PIL_Image.new("RGB", (8, 8)))
    with pytest.raises(TypeError) as our_err:
        V.AutoAugment()(PIL_Image.new("RGB", (8, 8)), PIL_Image.new("RGB", (8, 8)))
    assert str(our_err.value) == str(ref_err.value)
    with pytest.raises(TypeError, match="Found no image"):
        V.AutoAugment()("not an image")
    with pytest.raises(TypeError, match="Found no image"):
        TV.AutoAugment()("not an image")


def test_v1_reprs(tv):
    import torchvision.transforms as T1

    assert repr(T.AutoAugment()) == repr(T1.AutoAugment())
    assert repr(T.AutoAugment(T.AutoAugmentPolicy.SVHN, fill=3)) == repr(
        T1.AutoAugment(T1.AutoAugmentPolicy.SVHN, fill=3)
    )
    for name in ("RandAugment", "TrivialAugmentWide", "AugMix"):
        assert repr(getattr(T, name)()) == repr(getattr(T1, name)())


def test_solarize_float_threshold_compares_in_float32(tv):
    """torch compares a uint8 image with a Python float threshold in float32: 170 ≥ 170.000005
    there (the threshold rounds to 170), though not in float64."""
    import torchvision.transforms.functional as F1

    x = np.arange(160, 180, dtype=np.uint8).reshape(1, 4, 5)
    threshold = 255.0 * float(np.float32(2.0 / 3.0))
    ref = F1.solarize(torch.from_numpy(x.copy()), threshold)
    out = P.solarize(g.tensor(x.copy()), threshold)
    assert_images_match(out.numpy(), ref.numpy(), ties=True)
