"""Drawing on image tensors, as ``torchvision.utils``: boxes, segmentation masks, keypoints.

A detection or pose model's output is easiest to judge on the picture itself. These functions
take a (C, H, W) image tensor, uint8 in [0, 255] or float in [0, 1], and return a new one with
the objects drawn in, pixel for pixel as torchvision draws them:

- ``draw_bounding_boxes`` and ``draw_keypoints`` hand the image to Pillow's ``ImageDraw`` and
  make exactly torchvision's calls (rectangles, polygons, dashed edges of rotated boxes,
  ellipses, lines, text in Pillow's default font), so the rasterisation is Pillow's own;
- ``draw_segmentation_masks`` is array arithmetic: paint each mask's pixels in its colour,
  black where masks overlap, then blend ``out = image·(1 − α) + painted·α``.

``flow_to_image`` paints an optical-flow field (2, H, W) in the Middlebury colour wheel: the
hue is the flow's direction, the saturation its length relative to the longest vector.

A float image is drawn as uint8 and converted back with torchvision v2's ``to_dtype`` rules:
float → uint8 multiplies by 255.999 (= 255 + 1 − 10⁻³) and truncates, uint8 → float multiplies
by 1/255. Without colours, object i gets torchvision's palette colour (i·(2²⁵−1, 2¹⁵−1,
2²¹−1)) mod 255.
"""

from __future__ import annotations

import math
import warnings

from gradiente.autograd import no_grad
from gradiente.backend import xp
from gradiente.tensor import Tensor

__all__ = ["draw_bounding_boxes", "draw_segmentation_masks", "draw_keypoints", "flow_to_image"]

_PALETTE = (2**25 - 1, 2**15 - 1, 2**21 - 1)


# ---------------------------------------------------------------------------------------------
# Colours
# ---------------------------------------------------------------------------------------------


def _generate_color_palette(num_objects: int) -> list[tuple[int, int, int]]:
    """Object i's default colour: (i · (2²⁵−1, 2¹⁵−1, 2²¹−1)) mod 255, channel by channel."""
    return [tuple((i * p) % 255 for p in _PALETTE) for i in range(num_objects)]


def _parse_colors(colors, *, num_objects: int, float_scale: bool = False) -> list[tuple]:
    """One RGB tuple per object from torchvision's colour arguments (see its ``_parse_colors``).

    ``colors`` is None (the default palette), one colour for every object (a Pillow colour
    string such as "red" or "#FF00FF", or an (r, g, b) tuple), or a list with at least one
    colour per object. With ``float_scale`` the channels are divided by 255, for float images:
    the palette's in float32 (torchvision divides int64 tensors by 255), the others in Python
    floats.
    """
    from PIL import ImageColor  # Pillow: a runtime dependency

    from_palette = colors is None
    if from_palette:
        colors = _generate_color_palette(num_objects)
    elif isinstance(colors, list):
        if len(colors) < num_objects:
            raise ValueError(
                "Number of colors must be equal or larger than the number of objects, "
                f"but got {len(colors)} < {num_objects}."
            )
    elif not isinstance(colors, (tuple, str)):
        raise ValueError(
            f"colors must be a tuple or a string, or a list thereof, but got {colors}."
        )
    elif isinstance(colors, tuple) and len(colors) != 3:
        raise ValueError(f"If passed as tuple, colors should be an RGB triplet, but got {colors}.")
    else:
        colors = [colors] * num_objects

    colors = [ImageColor.getrgb(c) if isinstance(c, str) else c for c in colors]
    if float_scale:
        if from_palette:
            colors = [tuple(xp.float32(v) / xp.float32(255) for v in c) for c in colors]
        else:
            colors = [tuple(v / 255 for v in c) for c in colors]
    return colors


# ---------------------------------------------------------------------------------------------
# uint8 ⇄ float, torchvision v2's to_dtype(scale=True)
# ---------------------------------------------------------------------------------------------


def _opmath(dtype) -> xp.dtype:
    """The type torch computes a float dtype's arithmetic in: float32 for 16-bit floats."""
    return xp.dtype(xp.float32) if dtype.itemsize == 2 else dtype


def _scaled(a: xp.ndarray, factor: float, dtype) -> xp.ndarray:
    """torch's ``a.to(dtype).mul(factor)`` for a float ``dtype``: one rounding to ``dtype``."""
    op = _opmath(xp.dtype(dtype))
    return (a.astype(op) * op.type(factor)).astype(dtype)


def _float_to_uint8(a: xp.ndarray) -> xp.ndarray:
    """[0, 1] → {0, …, 255}: ⌊x · 255.999⌋ (the product in ``a``'s dtype, then truncated)."""
    return _scaled(a, 255 + 1.0 - 1e-3, a.dtype).astype(xp.uint8)


def _image_array(image: Tensor) -> tuple[xp.ndarray, object]:
    """The image as a uint8 array and the dtype to convert the drawing back to (None: uint8)."""
    a = image._data
    if image.is_floating_point():
        return _float_to_uint8(a), a.dtype
    return a, None


def _back_to(a: xp.ndarray, float_dtype) -> Tensor:
    """The drawn uint8 (C, H, W) array as a tensor of the input's dtype (× 1/255 for floats)."""
    if float_dtype is None:
        return Tensor._make(xp.ascontiguousarray(a))
    return Tensor._make(_scaled(a, 1.0 / 255, float_dtype))


def _check_image(image, message_type: str, rgb_only: bool) -> None:
    """torchvision's checks of the image to draw on, with its error types and messages."""
    if not isinstance(image, Tensor):
        raise TypeError(f"{message_type}, got {type(image)}")
    if not (image.dtype.np == xp.uint8 or image.is_floating_point()):
        raise ValueError(f"The image dtype must be uint8 or float, got {image.dtype}")
    if image.dim() != 3:
        raise ValueError("Pass individual images, not batches")
    if rgb_only and image.size(0) != 3:
        raise ValueError("Pass an RGB image. Other Image formats are not supported")


# ---------------------------------------------------------------------------------------------
# Bounding boxes
# ---------------------------------------------------------------------------------------------


def _dashed_line(draw, xy, fill=None, width=0, joint=None, dash_length=5, space_length=5):
    """Pillow lines alternating ``dash_length`` drawn and ``space_length`` skipped along ``xy``.

    torchvision marks a rotated box's first edge this way (so its orientation shows); the
    steps are its own: walk each segment by direction (cos θ, sin θ), θ = atan2(dy, dx).
    """
    current_dash = True
    for i in range(1, len(xy)):
        x1, y1 = xy[i - 1]
        x2, y2 = xy[i]
        remaining = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        while remaining > 0:
            step = min(remaining, dash_length if current_dash else space_length)
            angle = math.atan2(y2 - y1, x2 - x1)
            end_x = x1 + math.cos(angle) * step
            end_y = y1 + math.sin(angle) * step
            if current_dash:
                draw.line([(x1, y1), (end_x, end_y)], fill, width, joint)
            remaining -= step
            x1, y1 = end_x, end_y
            current_dash = not current_dash


def _oriented_rectangle(draw, xy, fill=None, outline=None, width=1):
    """A rotated box (x1, y1, …, x4, y4): first edge dashed, the others solid, then the fill."""
    _dashed_line(draw, ((xy[0], xy[1]), (xy[2], xy[3])), width=width, fill=outline)
    for i in range(2, len(xy), 2):
        start = (xy[i], xy[i + 1])
        end = (xy[(i + 2) % len(xy)], xy[(i + 3) % len(xy)])
        draw.line((start, end), width=width, fill=outline)
    draw.polygon(xy, fill=fill, outline=None, width=0)


@no_grad()
def draw_bounding_boxes(
    image: Tensor,
    boxes: Tensor,
    labels: list[str] | None = None,
    colors=None,
    fill: bool | None = False,
    width: int = 1,
    font: str | None = None,
    font_size: int | None = None,
    label_colors=None,
    label_background_colors=None,
    fill_labels: bool = False,
) -> Tensor:
    """Draw boxes (and their labels) on a (C, H, W) image, C ∈ {1, 3}; returns a new image.

    Args:
        image: uint8 in [0, 255] or float in [0, 1]; a grey image is drawn on as RGB.
        boxes: (N, 4) as (xmin, ymin, xmax, ymax) in pixels, or (N, 8) as the four corners
            (x1, y1, …, x4, y4) of rotated boxes; coordinates are truncated to integers.
        labels: one string per box, written inside its top-left corner.
        colors: box colours: one colour, a list, or None for the default palette.
        fill: fill each box with its colour at alpha 100/255.
        width: outline width in pixels.
        font, font_size: a TrueType font file and its size (default 10); without ``font``,
            Pillow's default font.
        label_colors: text colours (default: the box colours, or black with ``fill_labels``).
        label_background_colors: with ``fill_labels``, the label boxes' colours (default: the
            box colours).
        fill_labels: draw each label on a filled box.

    Returns a uint8 (3, H, W) image, or the input's float dtype for a float image.
    """
    from PIL import Image, ImageDraw, ImageFont

    _check_image(image, "Tensor expected", rgb_only=False)
    if image.size(0) not in {1, 3}:
        raise ValueError("Only grayscale and RGB images are supported")
    b = boxes._data
    if b.shape[-1] == 4 and ((b[:, 0] > b[:, 2]).any() or (b[:, 1] > b[:, 3]).any()):
        raise ValueError(
            "Boxes need to be in (xmin, ymin, xmax, ymax) format. "
            "Use torchvision.ops.box_convert to convert them"
        )
    num_boxes = b.shape[0]
    if num_boxes == 0:
        warnings.warn("boxes doesn't contain any box. No box was drawn", stacklevel=2)
        return image
    if labels is None:
        labels = [None] * num_boxes
    elif len(labels) != num_boxes:
        raise ValueError(
            f"Number of boxes ({num_boxes}) and labels ({len(labels)}) mismatch. "
            "Please specify labels for each box."
        )

    colors = _parse_colors(colors, num_objects=num_boxes)
    if label_colors or fill_labels:
        label_colors = _parse_colors(label_colors or "black", num_objects=num_boxes)
    else:
        label_colors = colors.copy()
    if fill_labels and label_background_colors:
        label_background_colors = _parse_colors(label_background_colors, num_objects=num_boxes)
    else:
        label_background_colors = colors.copy()

    if font is None:
        if font_size is not None:
            warnings.warn(
                "Argument 'font_size' will be ignored since 'font' is not set.", stacklevel=2
            )
        txt_font = ImageFont.load_default()
    else:
        txt_font = ImageFont.truetype(font=font, size=font_size or 10)

    pixels, float_dtype = _image_array(image)
    if pixels.shape[0] == 1:  # grey → RGB
        pixels = xp.tile(pixels, (3, 1, 1))
    canvas = Image.fromarray(xp.ascontiguousarray(pixels.transpose(1, 2, 0)))
    draw = ImageDraw.Draw(canvas, "RGBA") if fill else ImageDraw.Draw(canvas)

    box_margin = 1
    margin = width + box_margin
    drawn = zip(b.astype(xp.int64).tolist(), colors, labels, label_colors, label_background_colors)
    for bbox, color, label, label_color, label_bg_color in drawn:
        fill_color = color + (100,) if fill else None
        if len(bbox) > 4:
            _oriented_rectangle(draw, bbox, width=width, outline=color, fill=fill_color)
        else:
            draw.rectangle(bbox, width=width, outline=color, fill=fill_color)
        if label is not None:
            origin = (bbox[0] + margin, bbox[1] + margin)
            if fill_labels:
                left, top, right, bottom = draw.textbbox(origin, label, font=txt_font)
                background = (
                    left - box_margin,
                    top - box_margin,
                    right + box_margin,
                    bottom + box_margin,
                )
                draw.rectangle(background, fill=label_bg_color)
            draw.text(origin, label, fill=label_color, font=txt_font)

    return _back_to(xp.asarray(canvas).transpose(2, 0, 1), float_dtype)


# ---------------------------------------------------------------------------------------------
# Segmentation masks
# ---------------------------------------------------------------------------------------------


def _blend(image: xp.ndarray, painted: xp.ndarray, alpha: float) -> xp.ndarray:
    """torch's ``image * (1 − α) + painted * α``, each product and the sum rounded as torch does.

    A uint8 image is promoted to the default float dtype; 16-bit floats compute each step in
    float32 and round back to their own type.
    """
    from gradiente import get_default_dtype

    if image.dtype == xp.uint8:
        result = xp.dtype(get_default_dtype().np)
    else:
        result = image.dtype
    op = _opmath(result)

    def times(a, s):
        return (a.astype(op) * op.type(s)).astype(result)

    kept, added = times(image, 1 - alpha), times(painted, alpha)
    return (kept.astype(op) + added.astype(op)).astype(result)


@no_grad()
def draw_segmentation_masks(
    image: Tensor, masks: Tensor, alpha: float = 0.8, colors=None
) -> Tensor:
    """Overlay boolean masks (N, H, W) or (H, W) on an RGB image (3, H, W).

    Each mask's pixels take its colour (black where two or more masks overlap), and the
    result is blended with the image: ``out = image·(1 − α) + painted·α``, cast back to the
    image's dtype (uint8 by truncation).
    """
    _check_image(image, "The image must be a tensor", rgb_only=True)
    if masks.ndim == 2:
        masks = masks[None, :, :]
    if masks.ndim != 3:
        raise ValueError("masks must be of shape (H, W) or (batch_size, H, W)")
    if masks.dtype.np != xp.bool_:
        raise ValueError(f"The masks must be of dtype bool. Got {masks.dtype}")
    if masks.shape[-2:] != image.shape[-2:]:
        raise ValueError("The image and the masks must have the same height and width")
    m = masks._data
    if m.shape[0] == 0:
        warnings.warn("masks doesn't contain any mask. No mask was drawn", stacklevel=2)
        return image

    a = image._data
    colors = _parse_colors(colors, num_objects=m.shape[0], float_scale=image.is_floating_point())
    painted = a.copy()
    for mask, color in zip(m, colors):
        painted[:, mask] = xp.array(color, dtype=a.dtype)[:, None]
    painted[:, m.sum(axis=0) > 1] = 0
    return Tensor._make(_blend(a, painted, alpha).astype(a.dtype))


# ---------------------------------------------------------------------------------------------
# Keypoints
# ---------------------------------------------------------------------------------------------


@no_grad()
def draw_keypoints(
    image: Tensor,
    keypoints: Tensor,
    connectivity: list[tuple[int, int]] | None = None,
    colors=None,
    radius: int = 2,
    width: int = 3,
    visibility: Tensor | None = None,
) -> Tensor:
    """Draw keypoints (N instances × K points × (x, y)) on an RGB image (3, H, W).

    Each visible point is a disc of ``radius`` in ``colors`` (a Pillow colour string or an
    RGB tuple); each pair in ``connectivity`` whose two points are visible is joined by a line
    of ``width`` (in Pillow's default ink, as torchvision draws it). ``visibility`` (N, K), or
    (N, K, 1), marks the points to draw; coordinates are truncated to integers.
    """
    from PIL import Image, ImageDraw

    _check_image(image, "The image must be a tensor", rgb_only=True)
    if keypoints.ndim != 3:
        raise ValueError("keypoints must be of shape (num_instances, K, 2)")
    if visibility is None:
        vis = xp.ones(keypoints.shape[:-1], dtype=xp.bool_)
    else:
        vis = visibility._data
    if vis.ndim == 3:  # (N, K, 1), as split off a (N, K, 3) prediction
        vis = vis.squeeze(-1) if vis.shape[-1] == 1 else vis
    if vis.ndim != 2:
        raise ValueError(f"visibility must be of shape (num_instances, K). Got ndim={vis.ndim}")
    if vis.shape != tuple(keypoints.shape[:-1]):
        vis_shape, kpt_shape = Tensor._make(vis).shape, keypoints.shape
        raise ValueError(
            "keypoints and visibility must have the same dimensionality for num_instances and "
            f"K. Got visibility.shape={vis_shape} and keypoints.shape={kpt_shape}"
        )

    pixels, float_dtype = _image_array(image)
    canvas = Image.fromarray(xp.ascontiguousarray(pixels.transpose(1, 2, 0)))
    draw = ImageDraw.Draw(canvas)
    points = keypoints._data.astype(xp.int64).tolist()
    for kpt_inst, vis_inst in zip(points, vis.astype(xp.bool_).tolist()):
        for (x, y, *_), visible in zip(kpt_inst, vis_inst):
            if visible:
                box = [x - radius, y - radius, x + radius, y + radius]
                draw.ellipse(box, fill=colors, outline=None, width=0)
        for start, end in connectivity or ():
            if vis_inst[start] and vis_inst[end]:
                draw.line((tuple(kpt_inst[start][:2]), tuple(kpt_inst[end][:2])), width=width)

    return _back_to(xp.asarray(canvas).transpose(2, 0, 1), float_dtype)


# ---------------------------------------------------------------------------------------------
# Optical flow
# ---------------------------------------------------------------------------------------------


def _make_colorwheel() -> xp.ndarray:
    """The 55 colours of the Middlebury flow wheel (Baker et al., ICCV 2007), float32 (55, 3).

    Six arcs red → yellow → green → cyan → blue → magenta → red of 15, 6, 4, 11, 13, 6 steps;
    along an arc one channel ramps as ⌊255 i / n⌋ (up, or down from 255).
    """
    wheel = xp.zeros((55, 3), dtype=xp.float32)
    col = 0
    # (steps, the channel held at 255, the channel that ramps, ramps up?)
    for n, full, ramp, up in (
        (15, 0, 1, True),
        (6, 1, 0, False),
        (4, 1, 2, True),
        (11, 2, 1, False),
        (13, 2, 0, True),
        (6, 0, 2, False),
    ):
        steps = xp.floor(255 * xp.arange(n) / xp.float32(n)).astype(xp.float32)
        wheel[col : col + n, full] = 255
        wheel[col : col + n, ramp] = steps if up else 255 - steps
        col += n
    return wheel


@no_grad()
def flow_to_image(flow: Tensor) -> Tensor:
    """An optical flow (2, H, W) or (N, 2, H, W), float32, as a uint8 RGB image (3, H, W).

    The flow is divided by the longest vector's length (over the whole batch, + float32 eps);
    a vector (u, v) of length r at angle a = atan2(−v, −u)/π picks the point fk = (a + 1)/2 · 54
    on the colour wheel, blends its two neighbouring colours linearly, and fades to white as r
    shrinks: channel = ⌊255 (1 − r (1 − colour))⌋.
    """
    if flow.dtype.np != xp.float32:
        raise ValueError(f"Flow should be of dtype torch.float, got {flow.dtype}.")
    orig_shape = flow.shape
    f = flow._data[None] if flow.ndim == 3 else flow._data
    if f.ndim != 4 or f.shape[1] != 2:
        raise ValueError(
            f"Input flow should have shape (2, H, W) or (N, 2, H, W), got {orig_shape}."
        )
    one = xp.float32(1)
    max_norm = xp.sqrt(f[:, 0] * f[:, 0] + f[:, 1] * f[:, 1]).max()
    f = f / (max_norm + xp.finfo(xp.float32).eps)
    norm = xp.sqrt(f[:, 0] * f[:, 0] + f[:, 1] * f[:, 1])
    wheel = _make_colorwheel()
    fk = (xp.arctan2(-f[:, 1], -f[:, 0]) / xp.float32(math.pi) + one) / xp.float32(2)
    fk = fk * xp.float32(len(wheel) - 1)
    k0 = xp.floor(fk).astype(xp.int64)
    k1 = k0 + 1
    k1[k1 == len(wheel)] = 0
    frac = fk - k0.astype(xp.float32)
    image = xp.empty((f.shape[0], 3) + f.shape[2:], dtype=xp.uint8)
    for c in range(3):
        col0, col1 = wheel[k0, c] / xp.float32(255), wheel[k1, c] / xp.float32(255)
        col = (one - frac) * col0 + frac * col1
        col = one - norm * (one - col)
        image[:, c] = xp.floor(xp.float32(255) * col)
    return Tensor._make(image[0] if flow.ndim == 3 else image)
