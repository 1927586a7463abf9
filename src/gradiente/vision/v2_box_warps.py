"""How the warps of the v2 transforms move bounding boxes: affine maps (``affine``, ``rotate``,
with or without ``expand``), perspective maps and elastic displacements.

A warped box is no longer a box: its four corners go wherever the map sends them. As
torchvision does, each box is replaced by the smallest axis-aligned box around its four moved
corners, then clamped to the canvas (unless the boxes' ``clamping_mode`` is None). The work is
done in float (float32 for integer boxes, truncated back at the end) on the (N, 4) array of a
``tv_tensors.BoundingBoxes``, with torchvision's operations in torchvision's order so that the
numbers are its numbers: a point (x, y) goes through a 2×3 matrix θ the way torch's matrix
product rounds it (``_linear``).

The elastic map is approximated as torchvision approximates it: a corner moves by minus the
displacement read at its (rounded up) pixel, which is close to the inverse of the image's warp
when the displacements are small.
"""

from __future__ import annotations

import math

from gradiente.backend import xp
from gradiente.random import _fma32, _fma64
from gradiente.tensor import linspace
from gradiente.vision import geometry as G
from gradiente.vision import v2_boxes as B

__all__ = ["affine_array", "elastic_array", "perspective_array", "rotate_array"]


def _linear(theta, x, y):
    """Row ``k`` of θ applied to the points (x, y, 1), k = 0, 1, rounded as torch's CPU
    ``matmul`` of the (M, 3) points with θᵀ rounds them: ``fma(y, θ[k, 1], x · θ[k, 0]) +
    θ[k, 2]``, except for fewer than 16 float32 points (under four boxes), which its small-matrix
    path sums unfused as ``(x · θ[k, 0] + θ[k, 2]) + y · θ[k, 1]``. (That is where the last bit
    of a float box comes from; integer boxes are truncated from it.)"""
    out = []
    for k in range(2):
        if x.dtype == xp.float32 and x.size < 16:
            out.append((x * theta[k, 0] + theta[k, 2]) + y * theta[k, 1])
            continue
        fma = _fma32 if x.dtype == xp.float32 else _fma64
        b = xp.full(x.shape, theta[k, 1], dtype=x.dtype)
        out.append(fma(y.copy(), b, x * theta[k, 0]) + theta[k, 2])
    return out


def _corners(xyxy):
    """The four corners of each XYXY box, (N, 4) x's and (N, 4) y's: top-left, top-right,
    bottom-right, bottom-left."""
    return xyxy[:, [0, 2, 2, 0]], xyxy[:, [1, 1, 3, 3]]


def _enclosing(xs, ys):
    """The XYXY box around each row of points."""
    return xp.stack([xs.min(axis=1), ys.min(axis=1), xs.max(axis=1), ys.max(axis=1)], axis=1)


def _clamp_xyxy(xyxy, canvas_size, clamping_mode):
    """XYXY boxes clamped to the canvas, unless ``clamping_mode`` is None (in place)."""
    if clamping_mode is not None:
        height, width = canvas_size
        xyxy[:, 0::2] = xp.clip(xyxy[:, 0::2], 0, width)
        xyxy[:, 1::2] = xp.clip(xyxy[:, 1::2], 0, height)
    return xyxy


def _rotation_shear(angle: float, shear) -> tuple[float, float, float, float]:
    """(a, b, c, d) of R(angle) · SHy(sy) · SHx(sx), in torchvision's order of operations."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    a = math.cos(rot - sy) / math.cos(sy)
    b = -(a * math.tan(sx) + math.sin(rot))
    c = math.sin(rot - sy) / math.cos(sy)
    d = math.cos(rot) - c * math.tan(sx)
    return a, b, c, d


def forward_affine_matrix(center, angle, translate, scale, shear) -> list[float]:
    """The 2×3 matrix of the affine map itself (the image warps use its inverse): scale ·
    (rotation · shear) about ``center``, then ``translate``."""
    a, b, c, d = _rotation_shear(angle, shear)
    (cx, cy), (tx, ty) = center, translate
    m = [a * scale, b * scale, 0.0, c * scale, d * scale, 0.0]
    m[2] += cx + tx - m[0] * cx - m[1] * cy
    m[5] += cy + ty - m[3] * cx - m[4] * cy
    return m


def inverse_affine_matrix(center, angle, translate, scale, shear) -> list[float]:
    """The inverse of ``forward_affine_matrix`` (what the canvas size of ``expand`` is
    computed from)."""
    a, b, c, d = _rotation_shear(angle, shear)
    (cx, cy), (tx, ty) = center, translate
    m = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
    m[2] += cx - m[0] * (cx + tx) - m[1] * (cy + ty)
    m[5] += cy - m[3] * (cx + tx) - m[4] * (cy + ty)
    return m


def _shear_pair(shear) -> list[float]:
    """A number s → [s, 0]; one value → [s, s]; two as given (torchvision's parsing)."""
    if isinstance(shear, (int, float)):
        return [float(shear), 0.0]
    shear = list(shear)
    return [shear[0], shear[0]] if len(shear) == 1 else shear


def _in_float(a, format):
    """An XYXY float copy of the boxes as (M, 4) (float32 for integer boxes)."""
    work = a.copy() if B._is_float(a) else a.astype(xp.float32)
    return B.convert_format_array(work, format, B.XYXY).reshape(-1, 4)


def _back(xyxy, format, shape, dtype):
    """XYXY float boxes → ``format``, the input's shape and dtype (truncating to integers)."""
    return B.convert_format_array(xyxy, B.XYXY, format).reshape(shape).astype(dtype)


def affine_array(
    a,
    format,
    canvas_size,
    angle: float,
    translate,
    scale: float,
    shear,
    center=None,
    expand: bool = False,
    clamping_mode="soft",
):
    """Boxes (…, 4) through the affine map → (boxes, canvas size): each box becomes the box
    around its four moved corners; with ``expand`` everything shifts so that the whole warped
    canvas fits, and the canvas grows to hold it. (As in torchvision, that size comes from the
    map about the absolute centre, the image's from the map about the relative one: rounding
    can make them differ by a pixel, and a later transform then finds two sizes.)"""
    if a.size == 0:
        return a, tuple(canvas_size)
    format = B._format(format)
    xyxy = _in_float(a, format)
    height, width = canvas_size
    center = [width * 0.5, height * 0.5] if center is None else [float(c) for c in center]
    shear = _shear_pair(shear)
    matrix = forward_affine_matrix(center, angle, list(translate), scale, shear)
    theta = xp.asarray(matrix, dtype=xyxy.dtype).reshape(2, 3)
    out = _enclosing(*_linear(theta, *_corners(xyxy)))
    if expand:
        frame = xp.asarray([[0.0, 0.0, width, width], [0.0, height, height, 0.0]], xyxy.dtype)
        fx, fy = _linear(theta, frame[0], frame[1])
        out -= xp.asarray([fx.min(), fy.min()] * 2, dtype=out.dtype)
        inverse = inverse_affine_matrix(center, angle, list(translate), scale, shear)
        new_width, new_height = G._affine_output_size(inverse, width, height)
        canvas_size = (new_height, new_width)
    out = _clamp_xyxy(out, canvas_size, clamping_mode)
    return _back(out, format, a.shape, a.dtype), tuple(canvas_size)


def rotate_array(a, format, canvas_size, angle, expand=False, center=None, clamping_mode="soft"):
    """Boxes rotated ``angle`` degrees counter-clockwise (the affine map of −angle)."""
    return affine_array(
        a, format, canvas_size, -angle, [0.0, 0.0], 1.0, [0.0, 0.0], center, expand, clamping_mode
    )


def _inverse_perspective(c) -> list[float]:
    """The coefficients of the inverse map of perspective coefficients ``c`` (the image's
    coefficients send output points to input points; boxes go the other way)."""
    denom = c[0] * c[4] - c[1] * c[3]
    if denom == 0:
        raise RuntimeError(
            f"Provided perspective_coeffs {c} can not be inverted to transform bounding boxes. "
            f"Denominator is zero, denom={denom}"
        )
    return [
        (c[4] - c[5] * c[7]) / denom,
        (-c[1] + c[2] * c[7]) / denom,
        (c[1] * c[5] - c[2] * c[4]) / denom,
        (-c[3] + c[5] * c[6]) / denom,
        (c[0] - c[2] * c[6]) / denom,
        (-c[0] * c[5] + c[2] * c[3]) / denom,
        (-c[4] * c[6] + c[3] * c[7]) / denom,
        (-c[0] * c[7] + c[1] * c[6]) / denom,
    ]


def perspective_coefficients(startpoints, endpoints, coefficients):
    """The eight coefficients, given directly or from the four point pairs."""
    if coefficients is not None:
        if startpoints is not None or endpoints is not None:
            raise ValueError(
                "The startpoints/endpoints and the coefficients shouldn't be defined concurrently."
            )
        if len(coefficients) != 8:
            raise ValueError("Argument coefficients should have 8 float values")
        return [float(c) for c in coefficients]
    if startpoints is None or endpoints is None:
        raise ValueError("The startpoints/endpoints arguments should be defined.")
    return G._perspective_coeffs(startpoints, endpoints)


def perspective_array(a, format, canvas_size, coefficients, clamping_mode="soft"):
    """Boxes (…, 4) through the inverse of the image's perspective map: the box around the
    four moved corners, clamped (the canvas keeps its size)."""
    if a.size == 0:
        return a
    format = B._format(format)
    xyxy = B.convert_format_array(a, format, B.XYXY).reshape(-1, 4)  # in the boxes' dtype
    dtype = a.dtype if B._is_float(a) else xp.dtype(xp.float32)
    inv = _inverse_perspective(coefficients)
    numerator = xp.asarray(inv[:6], dtype=dtype).reshape(2, 3)
    denominator = xp.asarray([inv[6], inv[7], 1.0] * 2, dtype=dtype).reshape(2, 3)
    xs, ys = (p.astype(dtype) for p in _corners(xyxy))
    nx, ny = _linear(numerator, xs, ys)
    dx, dy = _linear(denominator, xs, ys)
    out = _clamp_xyxy(_enclosing(nx / dx, ny / dy), canvas_size, clamping_mode)
    return _back(out, format, a.shape, a.dtype)


def _identity_grid(height: int, width: int, dtype):
    """The pixel centres in normalised coordinates, (H, W, 2) (torch's ``linspace``)."""
    from gradiente import float32, float64

    tdtype = float64 if dtype == xp.float64 else float32
    xs = linspace((1 - width) / width, (width - 1) / width, width, dtype=tdtype)._data
    ys = linspace((1 - height) / height, (height - 1) / height, height, dtype=tdtype)._data
    return xp.stack(xp.broadcast_arrays(xs[None, :], ys[:, None]), axis=-1)


def elastic_array(a, format, canvas_size, displacement, clamping_mode="soft"):
    """Boxes (…, 4) moved by the elastic ``displacement`` (a (1, H, W, 2) array, normalised
    offsets): each corner goes to its pixel's centre minus the displacement read at that pixel
    (float corners rounded up), and the box around the four is clamped."""
    height, width = canvas_size
    if tuple(displacement.shape) != (1, height, width, 2):
        raise ValueError(
            f"Argument displacement shape should be {(1, height, width, 2)}, but given "
            f"{tuple(displacement.shape)}"
        )
    if a.size == 0:
        return a
    format = B._format(format)
    dtype = a.dtype if B._is_float(a) else xp.dtype(xp.float32)
    inverse_grid = _identity_grid(height, width, dtype) - displacement[0].astype(dtype)
    xyxy = B.convert_format_array(a.copy(), format, B.XYXY).reshape(-1, 4)
    xs, ys = _corners(xyxy)
    if B._is_float(xs):
        xs, ys = xp.ceil(xs), xp.ceil(ys)
    ix = xp.clip(xs.astype(xp.int64), 0, width - 1)
    iy = xp.clip(ys.astype(xp.int64), 0, height - 1)
    points = inverse_grid[iy, ix]  # (N, 4, 2)
    half = xp.asarray([width, height], dtype=dtype) * dtype.type(0.5)
    points = (points + dtype.type(1)) * half - dtype.type(0.5)
    out = _enclosing(points[..., 0], points[..., 1]).astype(a.dtype)
    if clamping_mode is not None:
        out = B.clamp_array(out, B.XYXY, canvas_size)
    return B.convert_format_array(out, B.XYXY, format).reshape(a.shape)
