"""Geometric image transforms as torchvision's ``transforms.functional`` computes them: ``rotate``,
``affine``, ``perspective`` (warps), ``five_crop`` / ``ten_crop``, ``elastic_transform``.

A warp is written backwards, from the output to the input: each output pixel centre ``(x, y)``
is sent to the input point ``M⁻¹(x, y)`` and the image is read there. The inverse affine map
of a rotation by ``a`` with scale ``s``, shears ``(sx, sy)``, translation ``t`` about the centre
``c`` is (torchvision's ``_get_inverse_affine_matrix``)::

    M = T(t) · T(c) · R(a) · S(s) · SHy(sy) · SHx(sx) · T(−c)
    M⁻¹ = T(c) · (R S SH)⁻¹ · T(−c) · T(−t)

where ``R S SH = s · [[cos(a − sy)/cos(sy), −cos(a − sy)tan(sx)/cos(sy) − sin(a)],
[sin(a − sy)/cos(sy), −sin(a − sy)tan(sx)/cos(sy) + cos(a)]]`` has determinant ``s²``.

Tensors follow torchvision's tensor path, operation for operation and in the same float
precision, so the results are torch's to the bit: the output pixel centres in coordinates
centred on the image (``linspace``), the map applied and divided by half the input size (a
*normalised* grid in [−1, 1]), then torch's ``grid_sample`` with zero padding
(``_sample_grid``). With a ``fill``, a channel of ones is sampled beside the image: it says how
much of each output pixel came from inside the image, and the rest is filled. Integer images
are computed in float32 and rounded back. These tensor warps are not differentiable.

PIL images (and H×W(×C) uint8 arrays, gradiente's PIL stand-ins) are handed to Pillow's own
``Image.rotate`` / ``Image.transform`` with the arguments torchvision gives it, so they are
Pillow's results exactly.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

from gradiente import backend as B
from gradiente import transforms as T
from gradiente.backend import xp
from gradiente.random import _fma32, _fma64
from gradiente.tensor import Tensor, linspace
from gradiente.transforms import InterpolationMode
from gradiente.vision import resample
from gradiente.vision.photometric import get_dimensions

__all__ = [
    "affine",
    "elastic_transform",
    "five_crop",
    "get_dimensions",
    "perspective",
    "perspective_from_coefficients",
    "rotate",
    "ten_crop",
]

# Pillow's resampling filter numbers, per mode (torchvision's ``pil_modes_mapping``)
_PIL_FILTERS = resample.PIL_FILTERS
# and back: a Pillow integer constant names a mode (torchvision's ``_interpolation_modes_from_int``)
_MODES_FROM_INT = T._MODES_FROM_PIL_INT


# ---------------------------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------------------------


def _interpolation_mode(interpolation) -> InterpolationMode:
    """An ``InterpolationMode`` (gradiente's or torchvision's) or a Pillow integer constant."""
    if isinstance(interpolation, int) and not isinstance(interpolation, bool):
        if interpolation not in _MODES_FROM_INT:
            raise ValueError(f"interpolation {interpolation} is not supported")
        return InterpolationMode(_MODES_FROM_INT[interpolation])
    if hasattr(interpolation, "value") and hasattr(interpolation, "name"):
        return T._interpolation(interpolation)
    raise TypeError(
        "Argument interpolation should be a InterpolationMode or a corresponding Pillow integer "
        "constant"
    )


def _pil_fill(fill, img) -> dict:
    """Pillow's ``fillcolor`` from torchvision's ``fill`` (its ``_parse_fill``): one number per
    band, integers unless the image is float ("F")."""
    channels = len(img.getbands())
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and channels > 1:
        fill = tuple([fill] * channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * channels
        elif len(fill) != channels:
            raise ValueError(
                "The number of elements in 'fill' does not match the number of channels of the "
                f"image ({len(fill)} != {channels})"
            )
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(f) for f in fill) if isinstance(fill, tuple) else int(fill)
    return {"fillcolor": fill}


def _with_pil(img, warp):
    """Run ``warp`` (a function of a PIL image) on a PIL image, or on an array made a PIL image
    for the call and an array again after it."""
    if T._is_pil(img):
        return warp(img)
    from PIL import Image  # Pillow: a runtime dependency

    return xp.array(warp(Image.fromarray(xp.ascontiguousarray(img))))


def _pil_transform(pil, method: str, data, mode: InterpolationMode, fill):
    """Pillow's ``Image.transform`` to the same size (``method``: "AFFINE" or "PERSPECTIVE",
    ``data`` its coefficients), as torchvision calls it."""
    from PIL import Image

    method = getattr(Image.Transform, method)
    return pil.transform(pil.size, method, data, _PIL_FILTERS[mode.value], **_pil_fill(fill, pil))


def _check_tensor_fill(fill, channels: int) -> None:
    """torchvision's check: a fill sequence has one value, or one per channel."""
    if isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != channels:
        raise ValueError(
            "The number of elements in 'fill' cannot broadcast to match the number of channels "
            f"of the image ({len(fill)} != {channels})"
        )


# ---------------------------------------------------------------------------------------------
# The affine map and the sampling grids
# ---------------------------------------------------------------------------------------------


def _inverse_affine_matrix(center, angle, translate, scale, shear) -> list[float]:
    """The 2×3 matrix of M⁻¹ (see the module docstring), row by row, in float64."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    # R S SH without the scale s
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    # (R S SH)⁻¹ = adj / det with det = 1 (before the scale, which divides)
    matrix = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
    # · T(−c) · T(−t), then T(c) in front
    matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
    matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
    matrix[2] += cx
    matrix[5] += cy
    return matrix


def _fma(a, b, c):
    """``a · b + c`` rounded once, as torch's compiled kernels compute it."""
    a, b, c = (x.copy() for x in xp.broadcast_arrays(a, b, c))
    return _fma32(a, b, c) if a.dtype == xp.float32 else _fma64(a, b, c)


def _pixel_centres(n: int, start: float, dtype):
    """``linspace(start, start + n − 1, n)`` in float32 (torch's default dtype, which torchvision
    uses), then cast to ``dtype``."""
    return linspace(start, start + n - 1.0, n, dtype=B.float32)._data.astype(dtype)


def _apply_rows(theta, x, y):
    """``(x, y, 1) · θᵀ`` for a grid of points: θ (2, 3) → (oh, ow, 2), summed left to right in
    the grid's dtype (torch's ``bmm`` of the base grid)."""
    return xp.stack([x * theta[k, 0] + y * theta[k, 1] + theta[k, 2] for k in range(2)], axis=-1)


def _affine_grid(matrix, w: int, h: int, ow: int, oh: int, dtype):
    """The normalised sampling grid (oh, ow, 2) of an inverse affine map (torchvision's
    ``_gen_affine_grid``): output pixel centres relative to the output's centre, mapped by the
    matrix and divided by half the *input* size (so ``expand`` can make the output larger)."""
    theta = xp.asarray(matrix, dtype=dtype).reshape(2, 3)
    half_size = xp.asarray([0.5 * w, 0.5 * h], dtype=dtype)
    theta = theta / half_size[:, None]
    x = _pixel_centres(ow, -ow * 0.5 + 0.5, dtype)[None, :]  # (1, ow)
    y = _pixel_centres(oh, -oh * 0.5 + 0.5, dtype)[:, None]  # (oh, 1)
    return _apply_rows(theta, x, y)


def _perspective_grid(coeffs, ow: int, oh: int, dtype):
    """The normalised grid of a perspective map (torchvision's ``_perspective_grid``)::

    x_in = (c0·x + c1·y + c2) / (c6·x + c7·y + 1),  y_in = (c3·x + c4·y + c5) / (same)

    on the pixel centres (x, y) = (j + ½, i + ½); then ÷ half the size, − 1 to normalise."""
    numerator = xp.asarray(coeffs[:6], dtype=dtype).reshape(2, 3)
    numerator = numerator / xp.asarray([0.5 * ow, 0.5 * oh], dtype=dtype)[:, None]
    denominator = xp.asarray([[coeffs[6], coeffs[7], 1.0]] * 2, dtype=dtype)
    x = _pixel_centres(ow, 0.5, dtype)[None, :]
    y = _pixel_centres(oh, 0.5, dtype)[:, None]
    return _apply_rows(numerator, x, y) / _apply_rows(denominator, x, y) - dtype.type(1.0)


def _affine_output_size(matrix, w: int, h: int) -> tuple[int, int]:
    """(width, height) that holds the whole warped image (torchvision's
    ``_compute_affine_output_size``, Pillow's rule for ``expand``): the bounding box of the
    four corners, rounded outwards after cutting the coordinates to 1e-4."""
    f32 = xp.float32
    corners = xp.asarray(
        [[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0]]
        + [[0.5 * w, -0.5 * h, 1.0]],
        dtype=f32,
    )
    theta = xp.asarray(matrix, dtype=f32).reshape(2, 3)
    points = corners @ theta.T  # (4, 2)
    shift = xp.asarray([w * 0.5, h * 0.5], dtype=f32)
    low, high = points.min(axis=0) + shift, points.max(axis=0) + shift
    tol = f32(1e-4)
    size = xp.ceil(xp.trunc(high / tol) * tol) - xp.floor(xp.trunc(low / tol) * tol)
    return int(size[0]), int(size[1])


# ---------------------------------------------------------------------------------------------
# Sampling: torch's grid_sample (zero padding, align_corners=False) on arrays
# ---------------------------------------------------------------------------------------------


def _sample_grid(a, grid, mode: str):
    """``a`` (N, C, H, W) read at the normalised points of ``grid`` (oh, ow, 2): (N, C, oh, ow).

    A normalised coordinate g becomes the pixel coordinate (g + 1)·size/2 − ½ (one fused
    multiply-add, as torch's CPU kernel); points outside the image read 0. Nearest rounds to the
    nearest pixel (ties to even); bilinear weighs the four neighbours by the areas of the
    opposite rectangles, summed with fused multiply-adds in torch's order (NW, NE, SW, SE).
    """
    h, w = a.shape[-2:]
    one, half = a.dtype.type(1), a.dtype.type(0.5)
    x = _fma(grid[..., 0] + one, a.dtype.type(w) / 2, -half)  # (oh, ow)
    y = _fma(grid[..., 1] + one, a.dtype.type(h) / 2, -half)

    def pixels(ix, iy):  # the pixels at integer-valued (ix, iy), 0 outside
        inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        ix = xp.where(inside, ix, 0).astype(xp.int64)
        iy = xp.where(inside, iy, 0).astype(xp.int64)
        return xp.where(inside, a[:, :, iy, ix], a.dtype.type(0))

    if mode == "nearest":
        return pixels(xp.rint(x), xp.rint(y))
    x0, y0 = xp.floor(x), xp.floor(y)
    east, south = x - x0, y - y0  # offsets inside the cell
    west, north = one - east, one - south
    out = pixels(x0, y0) * (north * west)
    out = _fma(pixels(x0 + 1, y0), north * east, out)
    out = _fma(pixels(x0, y0 + 1), south * west, out)
    return _fma(pixels(x0 + 1, y0 + 1), south * east, out)


def _grid_dtype(img: Tensor):
    """The float dtype the warp computes in: the image's, or float32 for integer images."""
    dtype = img._data.dtype
    return dtype if dtype in (xp.float32, xp.float64) else xp.dtype(xp.float32)


def _warp_tensor(img: Tensor, grid, mode: str, fill) -> Tensor:
    """torchvision's ``_apply_grid_transform``: sample, fill what came from outside, and cast
    back to the image's dtype (integers rounded half to even)."""
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{mode}' is unsupported with Tensor input")
    a = img._data
    squeeze = a.ndim == 2
    if squeeze:
        a = a[None]
    _check_tensor_fill(fill, a.shape[-3])
    *lead, c, h, w = a.shape
    x = a.reshape(-1, c, h, w).astype(grid.dtype)
    if fill is not None:  # a channel of ones: after sampling, how much came from the image
        x = xp.concatenate([x, xp.ones_like(x[:, :1])], axis=1)
    out = _sample_grid(x, grid, mode)
    if fill is not None:
        out, mask = out[:, :-1], out[:, -1:]
        values = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = xp.asarray(values, dtype=out.dtype).reshape(1, -1, 1, 1)
        if mode == "nearest":
            out = xp.where(mask < 0.5, fill_img, out)
        else:  # blend: mask · image + (1 − mask) · fill
            out = out * mask + (out.dtype.type(1.0) - mask) * fill_img
    if out.dtype != a.dtype:
        if xp.issubdtype(a.dtype, xp.integer):
            out = xp.rint(out)
        out = out.astype(a.dtype)
    out = out.reshape(*lead, c, *out.shape[-2:])
    return Tensor._make(out[0] if squeeze else out)


# ---------------------------------------------------------------------------------------------
# rotate, affine, perspective
# ---------------------------------------------------------------------------------------------


def _tensor_center(center, img: Tensor) -> list[float]:
    """A centre in pixels, relative to the image's centre (torchvision's ``center_f``)."""
    if center is None:
        return [0.0, 0.0]
    _, height, width = get_dimensions(img)
    return [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]


def rotate(
    img,
    angle: float,
    interpolation=InterpolationMode.NEAREST,
    expand: bool = False,
    center: Sequence[int] | None = None,
    fill: Sequence[float] | float | None = None,
):
    """The image rotated by ``angle`` degrees counter-clockwise about ``center`` (x, y; the
    image's centre by default). ``expand`` enlarges the output to hold the whole rotated image;
    ``fill`` is the value of the area outside it (0 by default). Tensors support nearest and
    bilinear interpolation, PIL images Pillow's filters."""
    mode = _interpolation_mode(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if not isinstance(img, Tensor):
        return _with_pil(
            img,
            lambda pil: pil.rotate(
                angle, _PIL_FILTERS[mode.value], expand, center, **_pil_fill(fill, pil)
            ),
        )
    # rotate turns counter-clockwise, the affine matrix clockwise: hence −angle
    matrix = _inverse_affine_matrix(_tensor_center(center, img), -angle, [0.0, 0.0], 1.0, [0, 0])
    h, w = img.shape[-2:]
    ow, oh = _affine_output_size(matrix, w, h) if expand else (w, h)
    grid = _affine_grid(matrix, w, h, ow, oh, _grid_dtype(img))
    return _warp_tensor(img, grid, mode.value, fill)


def _shear_pair(shear) -> list[float]:
    """torchvision's shear argument as [x shear, y shear] in degrees."""
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    if isinstance(shear, numbers.Number):
        return [shear, 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    return shear


def affine(
    img,
    angle: float,
    translate: Sequence[int],
    scale: float,
    shear,
    interpolation=InterpolationMode.NEAREST,
    fill: Sequence[float] | float | None = None,
    center: Sequence[int] | None = None,
):
    """The image rotated by ``angle`` degrees clockwise, scaled by ``scale``, sheared by
    ``shear`` degrees (one number: along x; a pair: along x and y) about ``center`` (the
    image's centre by default), then moved by ``translate`` = (dx, dy) pixels; ``fill`` is the
    value of the area left empty. The output keeps the input's size."""
    mode = _interpolation_mode(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    shear = _shear_pair(shear)
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    angle = float(angle)
    if not isinstance(img, Tensor):
        _, height, width = get_dimensions(img)
        # Pillow's pixel (0, 0) is the image's corner, so the centre is (w/2, h/2)
        pil_center = [width * 0.5, height * 0.5] if center is None else center
        matrix = _inverse_affine_matrix(pil_center, angle, list(translate), scale, shear)
        return _with_pil(
            img,
            lambda pil: _pil_transform(pil, "AFFINE", matrix, mode, fill),
        )
    translate = [1.0 * t for t in translate]
    matrix = _inverse_affine_matrix(_tensor_center(center, img), angle, translate, scale, shear)
    h, w = img.shape[-2:]
    grid = _affine_grid(matrix, w, h, w, h, _grid_dtype(img))
    return _warp_tensor(img, grid, mode.value, fill)


def _perspective_coeffs(startpoints, endpoints) -> list[float]:
    """The 8 coefficients (c0 … c7) of the perspective map that sends each of the four
    ``endpoints`` to its ``startpoint``: each pair of points gives two linear equations
    ``c0·x + c1·y + c2 − c6·x·X − c7·y·X = X`` (and the same for Y with c3, c4, c5), solved in
    float64 by least squares and rounded to float32 (torchvision's ``_get_perspective_coeffs``).
    """
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(
            f"Please provide exactly four corners, got {len(startpoints)} startpoints and "
            f"{len(endpoints)} endpoints."
        )
    rows = []
    for (x, y), (sx, sy) in zip(endpoints, startpoints):
        rows.append([x, y, 1, 0, 0, 0, -sx * x, -sx * y])
        rows.append([0, 0, 0, x, y, 1, -sy * x, -sy * y])
    a = xp.asarray(rows, dtype=xp.float64)  # (8, 8)
    b = xp.asarray(startpoints, dtype=xp.float64).reshape(8)
    solution = xp.linalg.lstsq(a, b, rcond=None)[0]
    return solution.astype(xp.float32).tolist()


def perspective(
    img,
    startpoints: Sequence[Sequence[int]],
    endpoints: Sequence[Sequence[int]],
    interpolation=InterpolationMode.BILINEAR,
    fill: Sequence[float] | float | None = None,
):
    """The image warped so that the four corners ``startpoints`` ([top-left, top-right,
    bottom-right, bottom-left], (x, y) each) land on ``endpoints``; ``fill`` is the value of
    the area left empty."""
    coeffs = _perspective_coeffs(startpoints, endpoints)
    return perspective_from_coefficients(img, coeffs, interpolation, fill)


def perspective_from_coefficients(
    img, coefficients: Sequence[float], interpolation=InterpolationMode.BILINEAR, fill=None
):
    """The perspective warp given its eight coefficients (a, b, c, d, e, f, g, h): the output
    pixel (x, y) reads the input at ((a x + b y + c) / (g x + h y + 1),
    (d x + e y + f) / (g x + h y + 1))."""
    coeffs = [float(c) for c in coefficients]
    if len(coeffs) != 8:
        raise ValueError("Argument coefficients should have 8 float values")
    mode = _interpolation_mode(interpolation)
    if not isinstance(img, Tensor):
        return _with_pil(
            img,
            lambda pil: _pil_transform(pil, "PERSPECTIVE", coeffs, mode, fill),
        )
    h, w = img.shape[-2:]
    grid = _perspective_grid(coeffs, w, h, _grid_dtype(img))
    return _warp_tensor(img, grid, mode.value, fill)


def elastic_transform(
    img, displacement: Tensor, interpolation=InterpolationMode.BILINEAR, fill=None
):
    """The image read at the identity grid moved by ``displacement`` (1, H, W, 2), offsets in
    normalised coordinates (torchvision's ``elastic_transform``). A PIL image (or array stand-in)
    is warped as a uint8 tensor and converted back, as torchvision does."""
    mode = _interpolation_mode(interpolation)
    if not isinstance(displacement, Tensor):
        raise TypeError("Argument displacement should be a Tensor")
    if not isinstance(img, Tensor):
        if not (T._is_pil(img) or isinstance(img, xp.ndarray)):
            raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")

        def warp(pil):
            out = elastic_transform(T.pil_to_tensor(pil), displacement, mode, fill)
            return T.to_pil_image(out, mode=pil.mode)

        return _with_pil(img, warp)
    h, w = img.shape[-2:]
    if tuple(displacement.shape) != (1, h, w, 2):
        raise ValueError(
            f"Argument displacement shape should be {(1, h, w, 2)}, but given "
            f"{tuple(displacement.shape)}"
        )
    xs, ys = _pixel_centres_normalised(w), _pixel_centres_normalised(h)
    identity = xp.stack(xp.broadcast_arrays(xs[None, :], ys[:, None]), axis=-1)  # (H, W, 2)
    # the image is computed in the grid's dtype (float32 for torch.rand's displacements)
    grid = identity + displacement._data[0]
    return _warp_tensor(img, grid, mode.value, fill)


def _pixel_centres_normalised(n: int):
    """The pixel centres of an n-pixel axis in [−1, 1], (2i + 1)/n − 1, in float32 (torch's
    ``linspace((1 − n)/n, (n − 1)/n, n)``)."""
    return linspace((-n + 1) / n, (n - 1) / n, n, dtype=B.float32)._data


# ---------------------------------------------------------------------------------------------
# five_crop, ten_crop
# ---------------------------------------------------------------------------------------------


def _crop(img, top: int, left: int, height: int, width: int):
    """A window of a tensor, an array or (with Pillow's own ``crop``) a PIL image."""
    if T._is_pil(img):
        return img.crop((left, top, left + width, top + height))
    return T._crop(T._as_image(img), top, left, height, width)


def _crop_size(size) -> tuple[int, int]:
    """(h, w) from an int or a sequence of one or two ints."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    return tuple(size)


def five_crop(img, size):
    """The four corner crops and the central crop of ``size``: (tl, tr, bl, br, center)."""
    crop_height, crop_width = _crop_size(size)
    _, height, width = get_dimensions(img)
    if crop_width > width or crop_height > height:
        raise ValueError(f"Requested crop size {size} is bigger than input size {(height, width)}")
    bottom, right = height - crop_height, width - crop_width
    center_top = int(round(bottom / 2.0))
    center_left = int(round(right / 2.0))
    return (
        _crop(img, 0, 0, crop_height, crop_width),
        _crop(img, 0, right, crop_height, crop_width),
        _crop(img, bottom, 0, crop_height, crop_width),
        _crop(img, bottom, right, crop_height, crop_width),
        _crop(img, center_top, center_left, crop_height, crop_width),
    )


def _mirror(img, vertical: bool):
    """The image flipped top–bottom (``vertical``) or left–right."""
    if T._is_pil(img):
        return img.transpose(1 if vertical else 0)  # Image.FLIP_TOP_BOTTOM / FLIP_LEFT_RIGHT
    return T._flip(T._as_image(img), -2 if vertical else -1, 0 if vertical else 1)


def ten_crop(img, size, vertical_flip: bool = False):
    """``five_crop`` of the image, then of its mirror image (left–right, or top–bottom with
    ``vertical_flip``): ten crops."""
    size = _crop_size(size)
    return five_crop(img, size) + five_crop(_mirror(img, vertical_flip), size)
