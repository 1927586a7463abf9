"""How closely an image computed by gradiente must match torchvision's.

torch dispatches its CPU kernels by the processor's vector instructions (AVX2, AVX-512, or a
scalar path: ``torch.backends.cpu.get_cpu_capability()``), and its vectorised bilinear and
bicubic sampling (``grid_sample``, under rotate/affine/perspective and the augmentation
policies) rounds float32 sums differently from its scalar path, by an ulp or two. gradiente
computes what the scalar path computes, so on one machine the images are bit-identical and on
another they differ in the last bits: a float pixel within 1e-5 (relative and absolute), and
a uint8 pixel, rounded from such a value, by at most 1 level at a few pixels.

Where a sampling coordinate lands exactly between two pixels (a rotation by a right angle, a
symmetric affine map), those last bits decide which pixel nearest-neighbour sampling takes,
and later steps of an augmentation policy carry such a pixel along: ``ties=True`` lets up to
``tie_fraction`` of the pixels differ by any amount, all others still within the rounding.
A wrong angle, centre, fill or interpolation changes most pixels, which this still catches.
"""

from __future__ import annotations

import numpy as np


def assert_images_match(actual, expected, ties: bool = False, tie_fraction: float = 0.1) -> None:
    """``actual`` (NumPy) equals ``expected`` up to the rounding of torch's vector kernels."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    if actual.dtype.kind == "f":
        off = ~np.isclose(actual, expected, rtol=1e-5, atol=1e-5, equal_nan=True)
        rounding = 0
    else:
        diff = np.abs(actual.astype(np.int64) - expected.astype(np.int64))
        off, rounding = diff > 1, np.count_nonzero(diff == 1)
        assert rounding <= max(2, diff.size // 100) or ties, (
            f"{rounding} of {diff.size} pixels differ by one level"
        )
    allowed = int(tie_fraction * off.size) if ties else 0
    assert np.count_nonzero(off) <= allowed, (
        f"{np.count_nonzero(off)} of {off.size} pixels differ beyond rounding "
        f"(allowed {allowed}); first at {np.argwhere(off)[:3].tolist()}"
    )
