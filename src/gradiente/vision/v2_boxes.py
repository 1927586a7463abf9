"""Bounding boxes in the v2 transforms: the box kernels (format conversion, clamping, and how
flips, resizes, crops and pads move boxes) and the three box transforms
``ConvertBoundingBoxFormat``, ``ClampBoundingBoxes`` and ``SanitizeBoundingBoxes``
(re-exported by ``transforms_v2``).

The kernels work on the (N, 4) array of a ``tv_tensors.BoundingBoxes`` in its format
(``XYXY``, ``XYWH`` or ``CXCYWH``) and follow torchvision's arithmetic step by step: integer
boxes are converted through float32 where torchvision does so, and truncated back, so the numbers
are torchvision's to the last bit. A kernel that changes the canvas (crop, pad, resize) returns
the new ``canvas_size`` too, and crops and pads clamp the boxes to it.
"""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.tensor import Tensor
from gradiente.vision import tv_tensors as tvt
from gradiente.vision.v2_core import Transform, _flatten

XYXY, XYWH, CXCYWH = (
    tvt.BoundingBoxFormat.XYXY,
    tvt.BoundingBoxFormat.XYWH,
    tvt.BoundingBoxFormat.CXCYWH,
)


def _format(format) -> tvt.BoundingBoxFormat:
    fmt = tvt.BoundingBoxFormat[format.upper()] if isinstance(format, str) else format
    if tvt.is_rotated_bounding_format(fmt):
        raise NotImplementedError(f"gradiente's v2 transforms do not handle {fmt} boxes yet")
    return fmt


def _is_float(a) -> bool:
    return xp.issubdtype(a.dtype, xp.floating)


def _to_xyxy(a, format):
    """(N, 4) boxes in ``format`` → XYXY (a new array)."""
    if format == XYXY:
        return a.copy()
    if format == XYWH:
        out = a.copy()
        out[..., 2:] += out[..., :2]
        return out
    work = a.astype(xp.float32) if not _is_float(a) else a.copy()  # CXCYWH: through float
    half = work[..., 2:] / 2
    work[..., :2] -= half
    work[..., 2:] += work[..., :2]
    return work.astype(a.dtype)


def _from_xyxy(a, format):
    """XYXY boxes → ``format`` (a new array); integer centres are floored, as torch's."""
    if format == XYXY:
        return a.copy()
    out = a.copy()
    out[..., 2:] -= out[..., :2]
    if format == CXCYWH:
        if _is_float(out):
            out[..., :2] = (out[..., :2] * 2 + out[..., 2:]) / 2
        else:
            out[..., :2] = (out[..., :2] * 2 + out[..., 2:]) // 2
    return out


def convert_format_array(a, old_format, new_format):
    """The (N, 4) array ``a`` from ``old_format`` to ``new_format`` (torchvision's formulas,
    including the direct XYWH ⇄ CXCYWH steps)."""
    old_format, new_format = _format(old_format), _format(new_format)
    if old_format == new_format:
        return a
    if (old_format, new_format) == (XYWH, CXCYWH):
        out = a.copy()
        out[..., :2] += out[..., 2:] / 2 if _is_float(a) else out[..., 2:] // 2
        return out
    if (old_format, new_format) == (CXCYWH, XYWH):
        if _is_float(a):
            out = a.copy()
            out[..., :2] -= out[..., 2:] / 2
            return out
        work = a.astype(xp.float32)
        work[..., :2] -= work[..., 2:] / 2
        x2y2 = (work[..., :2] + work[..., 2:]).astype(a.dtype)
        out = work.astype(a.dtype)
        out[..., 2:] = x2y2 - out[..., :2]
        return out
    return _from_xyxy(_to_xyxy(a, old_format), new_format)


def clamp_array(a, format, canvas_size):
    """Boxes clamped to the canvas: through float32 XYXY, x to [0, W], y to [0, H], back."""
    work = a.copy() if _is_float(a) else a.astype(xp.float32)
    xyxy = _to_xyxy(work, _format(format))
    height, width = canvas_size
    xyxy[..., 0::2] = xp.clip(xyxy[..., 0::2], 0, width)
    xyxy[..., 1::2] = xp.clip(xyxy[..., 1::2], 0, height)
    return _from_xyxy(xyxy, _format(format)).astype(a.dtype)


def flip_array(a, format, canvas_size, horizontal: bool):
    """Boxes mirrored left–right (``horizontal``) or top–bottom: c → −(c − side)."""
    format = _format(format)
    side = canvas_size[1] if horizontal else canvas_size[0]
    k = 0 if horizontal else 1
    out = a.copy()
    if format == XYXY:
        out[..., [k + 2, k]] = -(a[..., [k, k + 2]] - side)
    elif format == XYWH:
        out[..., k] = -(a[..., k] + a[..., k + 2] - side)
    else:
        out[..., k] = -(a[..., k] - side)
    return out


def resize_array(a, canvas_size, new_size):
    """Boxes scaled by new / old size per axis; the ratios are float32, as torchvision's."""
    (old_h, old_w), (new_h, new_w) = canvas_size, new_size
    if (new_h, new_w) == (old_h, old_w):
        return a
    ratios = xp.asarray([new_w / old_w, new_h / old_h] * 2, dtype=xp.float32)
    work = a if _is_float(a) else a.astype(xp.float32)
    return (work * ratios).astype(a.dtype)


def crop_array(a, format, top: int, left: int, height: int, width: int, clamping_mode="soft"):
    """Boxes moved by (−left, −top) and clamped to the (height, width) window (unless
    ``clamping_mode`` is None)."""
    format = _format(format)
    sub = [left, top, left, top] if format == XYXY else [left, top, 0, 0]
    out = a - xp.asarray(sub, dtype=a.dtype)
    if clamping_mode is None:
        return out, (height, width)
    return clamp_array(out, format, (height, width)), (height, width)


def pad_array(a, format, canvas_size, padding_ltrb, clamping_mode="soft"):
    """Boxes moved by (left, top) on the padded canvas (clamped to it, unless
    ``clamping_mode`` is None)."""
    format = _format(format)
    left, top, right, bottom = padding_ltrb
    add = [left, top, left, top] if format == XYXY else [left, top, 0, 0]
    out = a + xp.asarray(add, dtype=a.dtype)
    canvas = (canvas_size[0] + top + bottom, canvas_size[1] + left + right)
    if clamping_mode is None:
        return out, canvas
    return clamp_array(out, format, canvas), canvas


def boxes_like(boxes: tvt.BoundingBoxes, data, canvas_size=None, format=None) -> tvt.BoundingBoxes:
    """``data`` as boxes with ``boxes``' metadata (a new canvas size or format if given)."""
    return tvt.BoundingBoxes.wrap(
        Tensor._make(data),
        like=boxes,
        canvas_size=canvas_size or boxes.canvas_size,
        format=format or boxes.format,
    )


# ---------------------------------------------------------------------------------------------
# Functional forms (``transforms.v2.functional``'s names)
# ---------------------------------------------------------------------------------------------


def convert_bounding_box_format(inpt, old_format=None, new_format=None, inplace: bool = False):
    """Boxes in ``new_format``: a BoundingBoxes (its own format is the old one) or a plain
    tensor with ``old_format``."""
    if new_format is None:
        raise TypeError("convert_bounding_box_format() missing 1 required argument: 'new_format'")
    if isinstance(inpt, tvt.BoundingBoxes):
        if old_format is not None:
            raise ValueError("For bounding box tv_tensor inputs, `old_format` must not be passed.")
        data = convert_format_array(inpt._data, inpt.format, new_format)
        return boxes_like(inpt, data, format=_format(new_format))
    if old_format is None:
        raise ValueError("For pure tensor inputs, `old_format` has to be passed.")
    return Tensor._make(convert_format_array(inpt._data, old_format, new_format))


def clamp_bounding_boxes(inpt, format=None, canvas_size=None, clamping_mode="auto"):
    """Boxes clamped to their canvas (a plain tensor needs ``format`` and ``canvas_size``)."""
    if isinstance(inpt, tvt.BoundingBoxes):
        if format is not None or canvas_size is not None:
            raise ValueError(
                "For bounding box tv_tensor inputs, `format` and `canvas_size` must not be passed."
            )
        if (inpt.clamping_mode if clamping_mode == "auto" else clamping_mode) is None:
            return inpt.clone()
        return boxes_like(inpt, clamp_array(inpt._data, inpt.format, inpt.canvas_size))
    if format is None or canvas_size is None or clamping_mode == "auto":
        raise ValueError(
            "For pure tensor inputs, `format`, `canvas_size` and `clamping_mode` have to be passed."
        )
    if clamping_mode is None:
        return inpt.clone()
    return Tensor._make(clamp_array(inpt._data, format, canvas_size))


def sanitize_mask(boxes, format, canvas_size, min_size: float = 1.0, min_area: float = 1.0):
    """Which boxes to keep: width and height ≥ min_size, area ≥ min_area, inside the canvas."""
    a = convert_format_array(boxes, format, XYXY)
    ws, hs = a[:, 2] - a[:, 0], a[:, 3] - a[:, 1]
    valid = (ws >= min_size) & (hs >= min_size) & (a >= 0).all(axis=-1) & (ws * hs >= min_area)
    height, width = canvas_size
    valid &= (a[:, 0] <= width) & (a[:, 2] <= width)
    valid &= (a[:, 1] <= height) & (a[:, 3] <= height)
    return valid


# ---------------------------------------------------------------------------------------------
# Transforms
# ---------------------------------------------------------------------------------------------


class ConvertBoundingBoxFormat(Transform):
    """Boxes to ``format`` ("XYXY", "XYWH", "CXCYWH" or a BoundingBoxFormat)."""

    def __init__(self, format) -> None:
        self.format = format

    def transform(self, inpt, params):
        if not isinstance(inpt, tvt.BoundingBoxes):
            return inpt
        return convert_bounding_box_format(inpt, new_format=self.format)


class ClampBoundingBoxes(Transform):
    """Boxes clamped to their image (x to [0, W], y to [0, H])."""

    def __init__(self, clamping_mode="auto") -> None:
        self.clamping_mode = clamping_mode

    def transform(self, inpt, params):
        if not isinstance(inpt, tvt.BoundingBoxes):
            return inpt
        return clamp_bounding_boxes(inpt, clamping_mode=self.clamping_mode)


def _default_labels(inputs):
    """torchvision's guess: the second item of a pair (a tensor, or a dict's "labels"-like
    entry), or the "labels"-like entry of a dict."""
    if isinstance(inputs, (tuple, list)):
        inputs = inputs[1]
    if isinstance(inputs, Tensor) and not isinstance(inputs, tvt.TVTensor):
        return inputs
    if not isinstance(inputs, dict):
        raise ValueError(
            "When using the default labels_getter, the input passed to forward must be a "
            "dictionary or a two-tuple whose second item is a dictionary or a tensor, but got "
            f"{inputs} instead."
        )
    keys = [k for k in inputs if k.lower() == "labels"] or [
        k for k in inputs if "label" in k.lower()
    ]
    if not keys:
        raise ValueError(
            "Could not infer where the labels are in the sample. Try passing a callable as the "
            "labels_getter parameter?If there are no labels in the sample by design, pass "
            "labels_getter=None."
        )
    return inputs[keys[0]]


def _labels_getter(labels_getter):
    if labels_getter == "default":
        return _default_labels
    if callable(labels_getter):
        return labels_getter
    if labels_getter is None:
        return lambda _: None
    raise ValueError(
        f"labels_getter should either be 'default', a callable, or None, but got {labels_getter}."
    )


class SanitizeBoundingBoxes(Transform):
    """Drop degenerate boxes (smaller than ``min_size`` / ``min_area``, or outside the image)
    with their labels and per-box masks (N, H, W)."""

    def __init__(self, min_size: float = 1.0, min_area: float = 1.0, labels_getter="default"):
        if min_size < 1:
            raise ValueError(f"min_size must be >= 1, got {min_size}.")
        self.min_size = min_size
        if min_area < 1:
            raise ValueError(f"min_area must be >= 1, got {min_area}.")
        self.min_area = min_area
        self.labels_getter = labels_getter
        self._labels_getter = _labels_getter(labels_getter)

    def forward(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        labels = self._labels_getter(inputs)
        if labels is not None:
            msg = "The labels in the input to forward() must be a tensor or None, got {} instead."
            if isinstance(labels, Tensor):
                labels = (labels,)
            elif isinstance(labels, (tuple, list)):
                for entry in labels:
                    if not isinstance(entry, Tensor):
                        raise ValueError(msg.format(type(entry)))
            else:
                raise ValueError(msg.format(type(labels)))
        flat, rebuild = _flatten(inputs)
        boxes = next((x for x in flat if isinstance(x, tvt.BoundingBoxes)), None)
        if boxes is None:
            raise ValueError("No bounding boxes were found in the sample")
        for label in labels or ():
            if boxes.shape[0] != label.shape[0]:
                raise ValueError(
                    f"Number of boxes (shape={boxes.shape}) and must match the number of labels."
                    f"Found labels with shape={label.shape})."
                )
        valid = sanitize_mask(
            boxes._data, boxes.format, boxes.canvas_size, self.min_size, self.min_area
        )
        params = {"valid": Tensor._make(valid), "labels": labels}
        return rebuild([self.transform(x, params) for x in flat])

    def transform(self, inpt, params):
        is_label = params["labels"] is not None and any(inpt is x for x in params["labels"])
        if not (is_label or isinstance(inpt, (tvt.BoundingBoxes, tvt.Mask))):
            return inpt
        try:
            plain = inpt._plain() if isinstance(inpt, tvt.TVTensor) else inpt
            output = plain[params["valid"]]
        except IndexError:  # a mask that is not one per box (N, H, W): as it is
            return inpt
        return output if is_label else tvt.wrap(output, like=inpt)
