"""torchvision's box operations (``torchvision.ops``): areas, IoU, format changes and NMS.

Boxes are (N, 4) tensors in (x1, y1, x2, y2) corner format unless said otherwise. The
arithmetic is made of tensor operations, so IoUs are differentiable (as torchvision's);
``nms`` returns indices.
"""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.tensor import Tensor
from gradiente.tensor import toplevel as _t
from gradiente.tensor.factories import as_tensor

__all__ = [
    "batched_nms",
    "box_area",
    "box_convert",
    "box_iou",
    "clip_boxes_to_image",
    "generalized_box_iou",
    "nms",
    "remove_small_boxes",
]


def box_area(boxes: Tensor) -> Tensor:
    """(x2 − x1)·(y2 − y1) of each box."""
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _inter_union(boxes1: Tensor, boxes2: Tensor) -> tuple[Tensor, Tensor]:
    """The (N, M) intersection and union areas of every pair of boxes."""
    area1, area2 = box_area(boxes1), box_area(boxes2)
    top_left = _t.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    bottom_right = _t.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh = (bottom_right - top_left).clamp(min=0)
    inter = wh[:, :, 0] * wh[:, :, 1]
    return inter, area1[:, None] + area2[None, :] - inter


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """The (N, M) intersection-over-union of every pair: |A ∩ B| / |A ∪ B|."""
    inter, union = _inter_union(boxes1, boxes2)
    return inter / union


def generalized_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """GIoU = IoU − (|C| − |A ∪ B|) / |C|, C the smallest box enclosing both (Rezatofighi
    et al., 2019): unlike IoU it still says how far apart two disjoint boxes are."""
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / union
    top_left = _t.minimum(boxes1[:, None, :2], boxes2[None, :, :2])
    bottom_right = _t.maximum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh = (bottom_right - top_left).clamp(min=0)
    enclosing = wh[:, :, 0] * wh[:, :, 1]
    return iou - (enclosing - union) / enclosing


def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """Boxes from one format to another: ``xyxy`` (corners), ``xywh`` (top-left corner, width,
    height) or ``cxcywh`` (centre, width, height)."""
    formats = ("xyxy", "xywh", "cxcywh")
    if in_fmt not in formats or out_fmt not in formats:
        raise ValueError("Unsupported Bounding Box Conversions for given in_fmt and out_fmt")
    if in_fmt == out_fmt:
        return boxes.clone()
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "xywh":
        a, b, c, d = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        a, b, c, d = a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d
    # now corners (x1, y1, x2, y2)
    if out_fmt == "xywh":
        a, b, c, d = a, b, c - a, d - b
    elif out_fmt == "cxcywh":
        a, b, c, d = (a + c) / 2, (b + d) / 2, c - a, d - b
    return _t.stack([a, b, c, d], dim=-1)


def clip_boxes_to_image(boxes: Tensor, size: tuple[int, int]) -> Tensor:
    """Boxes clipped to an image of ``size`` (height, width)."""
    height, width = size
    x = boxes[..., 0::2].clamp(min=0, max=width)
    y = boxes[..., 1::2].clamp(min=0, max=height)
    return _t.stack([x, y], dim=boxes.ndim).reshape(boxes.shape)


def remove_small_boxes(boxes: Tensor, min_size: float) -> Tensor:
    """The indices of the boxes whose width and height are both at least ``min_size``."""
    ws, hs = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    keep = (ws >= min_size) & (hs >= min_size)
    return _t.where(keep)[0]


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Non-maximum suppression: the indices of the boxes kept, best score first.

    Greedy: take the best remaining box, drop every box whose IoU with it is above
    ``iou_threshold``, repeat (torchvision's CPU kernel; ties keep the earlier index).
    """
    order = xp.argsort(-scores.detach()._data, kind="stable")
    iou = box_iou(boxes.detach(), boxes.detach())._data
    suppressed = xp.zeros(len(order), dtype=bool)
    keep = []
    for i in order:
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= iou[i] > iou_threshold
    return as_tensor(xp.asarray(keep, dtype=xp.int64))


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """NMS within each category ``idxs[i]`` separately: boxes of different categories never
    suppress one another (each category is moved off to its own region, torchvision's trick)."""
    if boxes.numel() == 0:
        return as_tensor(xp.zeros(0, dtype=xp.int64))
    offsets = idxs.to(boxes.dtype) * (boxes.max() + 1)
    return nms(boxes + offsets[:, None], scores, iou_threshold)
