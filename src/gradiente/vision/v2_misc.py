"""The smaller v2 transforms and helpers (re-exported by ``transforms_v2``): ``RGB``,
``UniformTemporalSubsample``, ``JPEG``, ``SetClampingMode``, and the functions custom
transforms use to look at a flattened sample — ``query_size``, ``query_chw``,
``get_bounding_boxes``, ``check_type``, ``has_any``, ``has_all``.
"""

from __future__ import annotations

from collections.abc import Callable

from gradiente.tensor import Tensor, randint
from gradiente.vision import functional_v2 as F2
from gradiente.vision import tv_tensors as tvt
from gradiente.vision.v2_core import Transform, _is_pil_like, is_pure_tensor
from gradiente.vision.v2_geometry import _query_size

__all__ = [
    "JPEG",
    "RGB",
    "SetClampingMode",
    "UniformTemporalSubsample",
    "check_type",
    "get_bounding_boxes",
    "has_all",
    "has_any",
    "query_chw",
    "query_size",
]


def check_type(obj, types_or_checks) -> bool:
    """Whether ``obj`` is one of the types, or passes one of the checks (functions)."""
    return any(isinstance(obj, t) if isinstance(t, type) else t(obj) for t in types_or_checks)


def has_any(flat_inputs, *types_or_checks) -> bool:
    """Whether some leaf is of one of the types (or passes one of the checks)."""
    return any(check_type(x, types_or_checks) for x in flat_inputs)


def has_all(flat_inputs, *types_or_checks) -> bool:
    """Whether each type (or check) is matched by some leaf."""
    return all(has_any(flat_inputs, t) for t in types_or_checks)


def get_bounding_boxes(flat_inputs) -> tvt.BoundingBoxes:
    """The (first) BoundingBoxes of the sample."""
    boxes = next((x for x in flat_inputs if isinstance(x, tvt.BoundingBoxes)), None)
    if boxes is None:
        raise ValueError("No bounding boxes were found in the sample")
    return boxes


def query_size(flat_inputs) -> tuple[int, int]:
    """(height, width) shared by the images, videos, masks and boxes of the sample."""
    return _query_size(flat_inputs)


def query_chw(flat_inputs) -> tuple[int, int, int]:
    """(channels, height, width) shared by the images and videos of the sample."""
    chws = set()
    for x in flat_inputs:
        if isinstance(x, (tvt.Image, tvt.Video)):
            chws.add(tuple(F2.get_dimensions(x._plain())))
        elif is_pure_tensor(x) or _is_pil_like(x):
            chws.add(tuple(F2.get_dimensions(x)))
    if not chws:
        raise TypeError("No image or video was found in the sample")
    if len(chws) > 1:
        listed = ", ".join(f"'{c}'" for c in sorted(chws))
        raise ValueError(f"Found multiple CxHxW dimensions in the sample: {listed}")
    return chws.pop()


def _images_only(functional: Callable, inpt, *args, types=(tvt.Image,), **kwargs):
    """``functional`` on images (of ``types``, plain tensors, PIL images); other leaves (masks,
    boxes, videos where not listed) pass through."""
    if isinstance(inpt, tvt.TVTensor) and not isinstance(inpt, types):
        return inpt
    return functional(inpt, *args, **kwargs)


class RGB(Transform):
    """Grey images to three channels (RGB ones unchanged)."""

    def transform(self, inpt, params):
        return _images_only(F2.grayscale_to_rgb, inpt)


class UniformTemporalSubsample(Transform):
    """``num_samples`` frames evenly spaced along the time axis of videos (…, T, C, H, W)."""

    def __init__(self, num_samples: int) -> None:
        self.num_samples = num_samples

    def transform(self, inpt, params):
        if not isinstance(inpt, Tensor):
            return inpt
        return _images_only(
            F2.uniform_temporal_subsample, inpt, self.num_samples, types=(tvt.Video,)
        )


class JPEG(Transform):
    """Compress and decompress images and videos as JPEG, the quality drawn from ``quality``
    ((min, max), or one number) by ``randint``."""

    def __init__(self, quality) -> None:
        if isinstance(quality, int):
            if isinstance(quality, bool):
                raise TypeError("quality can't be bool")
            quality = [quality, quality]
        elif not isinstance(quality, (list, tuple)) or len(quality) != 2:
            raise ValueError("If quality is a sequence its length should be one of (2,).")
        if not (
            isinstance(quality[0], int)
            and isinstance(quality[1], int)
            and 1 <= quality[0] <= quality[1] <= 100
        ):
            raise ValueError(f"quality must be an integer from 1 to 100, got {quality =}")
        self.quality = quality

    def make_params(self, flat_inputs) -> dict:
        return {"quality": int(randint(self.quality[0], self.quality[1] + 1, size=()).item())}

    def transform(self, inpt, params):
        types = (tvt.Image, tvt.Video)
        return _images_only(F2.jpeg, inpt, params["quality"], types=types)


class SetClampingMode(Transform):
    """Set the boxes' ``clamping_mode`` ("soft", "hard" or None: no clamping) for the
    transforms that follow."""

    def __init__(self, clamping_mode) -> None:
        self.clamping_mode = clamping_mode
        if clamping_mode not in (None, "soft", "hard"):
            raise ValueError(f"clamping_mode must be soft, hard or None, got {clamping_mode}")

    def transform(self, inpt, params):
        if not isinstance(inpt, tvt.BoundingBoxes):
            return inpt
        out = inpt.clone()
        out.clamping_mode = self.clamping_mode
        return out
