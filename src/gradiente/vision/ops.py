"""torchvision's box operations and losses (``torchvision.ops``): areas, IoU variants, format
changes, NMS, masks to boxes, the focal and GIoU/DIoU/CIoU losses — and, re-exported, the model
building blocks (``Conv2dNormActivation``, ``SqueezeExcitation``, ``StochasticDepth``, ``MLP``,
...), DropBlock (``ops_drop_block.py``),
the RoI pooling of ``ops_roi.py`` (``roi_align``, ``roi_pool``, ``MultiScaleRoIAlign``) and the
feature pyramid of ``ops_fpn.py`` (``FeaturePyramidNetwork``).

Boxes are (N, 4) tensors in (x1, y1, x2, y2) corner format unless said otherwise. The
arithmetic is made of tensor operations, so IoUs and losses are differentiable (as
torchvision's); ``nms`` returns indices.
"""

from __future__ import annotations

import math

from gradiente.backend import float32, float64, xp
from gradiente.nn import functional as F
from gradiente.tensor import Tensor
from gradiente.tensor import toplevel as _t
from gradiente.tensor.factories import as_tensor, zeros
from gradiente.vision.models.misc import Conv2dNormActivation
from gradiente.vision.ops_drop_block import DropBlock2d, DropBlock3d, drop_block2d, drop_block3d
from gradiente.vision.ops_fpn import (
    ExtraFPNBlock,
    FeaturePyramidNetwork,
    LastLevelMaxPool,
    LastLevelP6P7,
)
from gradiente.vision.ops_layers import (
    MLP,
    Conv3dNormActivation,
    FrozenBatchNorm2d,
    Permute,
    SqueezeExcitation,
    StochasticDepth,
    stochastic_depth,
)
from gradiente.vision.ops_roi import (
    LevelMapper,
    MultiScaleRoIAlign,
    RoIAlign,
    RoIPool,
    roi_align,
    roi_pool,
)

__all__ = [
    "ExtraFPNBlock",
    "FeaturePyramidNetwork",
    "LastLevelMaxPool",
    "LastLevelP6P7",
    "LevelMapper",
    "MultiScaleRoIAlign",
    "RoIAlign",
    "RoIPool",
    "roi_align",
    "roi_pool",
    "MLP",
    "Conv2dNormActivation",
    "Conv3dNormActivation",
    "DropBlock2d",
    "DropBlock3d",
    "drop_block2d",
    "drop_block3d",
    "complete_box_iou_loss",
    "distance_box_iou_loss",
    "FrozenBatchNorm2d",
    "Permute",
    "SqueezeExcitation",
    "StochasticDepth",
    "batched_nms",
    "box_area",
    "box_convert",
    "box_iou",
    "clip_boxes_to_image",
    "complete_box_iou",
    "distance_box_iou",
    "generalized_box_iou",
    "generalized_box_iou_loss",
    "masks_to_boxes",
    "nms",
    "remove_small_boxes",
    "sigmoid_focal_loss",
    "stochastic_depth",
]


_BOX_FORMATS = ("xyxy", "xywh", "cxcywh")


def box_area(boxes: Tensor, fmt: str = "xyxy") -> Tensor:
    """The area of each box (…, 4): (x2 − x1)·(y2 − y1) for corners, w·h for the formats that
    carry the width and height (``xywh``, ``cxcywh``)."""
    if fmt not in _BOX_FORMATS:
        raise ValueError(f"Unsupported Bounding Box area for given format {fmt}")
    if fmt == "xyxy":
        return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    return boxes[..., 2] * boxes[..., 3]


def _corners(boxes: Tensor, fmt: str) -> tuple[Tensor, Tensor]:
    """The top-left and bottom-right corners (…, 1, 2) of boxes in ``fmt``, as torchvision
    computes them (so that the IoU rounds alike)."""
    first, second = boxes[..., None, :2], boxes[..., None, 2:]
    if fmt == "xyxy":
        return first, second
    if fmt == "xywh":
        return first, first + second
    return first - second / 2, first + second / 2


def _inter_union(boxes1: Tensor, boxes2: Tensor, fmt: str = "xyxy") -> tuple[Tensor, Tensor]:
    """The (…, N, M) intersection and union areas of every pair of boxes."""
    area1, area2 = box_area(boxes1, fmt), box_area(boxes2, fmt)
    top_left1, bottom_right1 = _corners(boxes1, fmt)
    top_left2, bottom_right2 = _corners(boxes2, fmt)
    top_left = _t.maximum(top_left1, top_left2.transpose(-2, -3))
    bottom_right = _t.minimum(bottom_right1, bottom_right2.transpose(-2, -3))
    wh = (bottom_right - top_left).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter, area1[..., None] + area2[..., None, :] - inter


def box_iou(boxes1: Tensor, boxes2: Tensor, fmt: str = "xyxy") -> Tensor:
    """The (…, N, M) intersection-over-union of every pair: |A ∩ B| / |A ∪ B|, for boxes in
    ``fmt`` ('xyxy', 'xywh' or 'cxcywh'; leading batch axes are kept)."""
    if fmt in ("cxcywhr", "xywhr", "xyxyxyxy"):
        raise NotImplementedError(f"box_iou: rotated boxes ({fmt!r}) are not supported")
    if fmt not in _BOX_FORMATS:
        raise ValueError(
            f"Unsupported format '{fmt}'. Supported axis-aligned formats: {_BOX_FORMATS}. "
            "Supported rotated formats: ('cxcywhr', 'xywhr', 'xyxyxyxy')."
        )
    inter, union = _inter_union(boxes1, boxes2, fmt)
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
        raise ValueError(
            f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt} and out_fmt {out_fmt}"
        )
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


def _box_diou_iou(boxes1: Tensor, boxes2: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    """DIoU and IoU of every pair: DIoU = IoU − ρ² / c², ρ the distance between the centres
    and c the diagonal of the smallest enclosing box (Zheng et al., 2019)."""
    iou = box_iou(boxes1, boxes2)
    top_left = _t.minimum(boxes1[..., None, :2], boxes2[..., None, :, :2])
    bottom_right = _t.maximum(boxes1[..., None, 2:], boxes2[..., None, :, 2:])
    wh = (bottom_right - top_left).clamp(min=0)
    diagonal_squared = (wh[..., 0] ** 2) + (wh[..., 1] ** 2) + eps
    x_p = (boxes1[..., 0] + boxes1[..., 2]) / 2
    y_p = (boxes1[..., 1] + boxes1[..., 3]) / 2
    x_g = (boxes2[..., 0] + boxes2[..., 2]) / 2
    y_g = (boxes2[..., 1] + boxes2[..., 3]) / 2
    centres_squared = (x_p[..., None] - x_g[..., None, :]) ** 2 + (
        y_p[..., None] - y_g[..., None, :]
    ) ** 2
    return iou - centres_squared / diagonal_squared, iou


def distance_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """The (N, M) distance-IoU of every pair: IoU − (centre distance)² / (enclosing diagonal)²."""
    return _box_diou_iou(boxes1, boxes2, eps)[0]


def complete_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """The (N, M) complete-IoU: DIoU − α·v, with v = 4/π² (atan(w₁/h₁) − atan(w₂/h₂))² comparing
    the aspect ratios and α = v / (1 − IoU + v) a weight held constant for gradients."""
    diou, iou = _box_diou_iou(boxes1, boxes2, eps)
    w_pred = boxes1[..., None, 2] - boxes1[..., None, 0]
    h_pred = boxes1[..., None, 3] - boxes1[..., None, 1]
    w_gt = boxes2[..., None, :, 2] - boxes2[..., None, :, 0]
    h_gt = boxes2[..., None, :, 3] - boxes2[..., None, :, 1]
    v = (4 / (math.pi**2)) * ((w_pred / h_pred).atan() - (w_gt / h_gt).atan()) ** 2
    alpha = (v / (1 - iou + v + eps)).detach()
    return diou - alpha * v


def masks_to_boxes(masks: Tensor) -> Tensor:
    """The (N, 4) float boxes (x1, y1, x2, y2) just enclosing the non-zero pixels of each of
    the (N, H, W) masks — inclusive pixel coordinates; an empty mask gives [0, 0, 0, 0]."""
    if masks.numel() == 0:
        return zeros((0, 4), device=masks.device)
    mask = masks.detach()._data != 0
    rows, cols = mask.any(axis=2), mask.any(axis=1)  # (N, H), (N, W): which rows/columns hit
    h, w = mask.shape[1:]
    y1, x1 = rows.argmax(axis=1), cols.argmax(axis=1)  # first True (0 when none)
    y2 = (h - 1) - rows[:, ::-1].argmax(axis=1)
    x2 = (w - 1) - cols[:, ::-1].argmax(axis=1)
    boxes = xp.stack([x1, y1, x2, y2], axis=1).astype(xp.float32)
    boxes[~rows.any(axis=1)] = 0
    return as_tensor(boxes)


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """A loss's ``reduction``: ``"none"``, ``"mean"`` or ``"sum"`` (torchvision's message)."""
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(
        f"Invalid Value for arg 'reduction': '{reduction} \n Supported reduction modes: "
        "'none', 'mean', 'sum'"
    )


def sigmoid_focal_loss(
    inputs: Tensor,
    targets: Tensor,
    alpha: float = 0.25,
    gamma: float = 2,
    reduction: str = "none",
) -> Tensor:
    """RetinaNet's focal loss (Lin et al., 2017): FL = α_t · (1 − p_t)^γ · BCE(logits, t).

    p_t is the predicted probability of the true label, so (1 − p_t)^γ shrinks the loss of
    easy, well-classified examples; α_t = α for positives and 1 − α for negatives
    (``alpha=-1``: no weighting).
    """
    if not (0 <= alpha <= 1) and alpha != -1:
        raise ValueError(
            f"Invalid alpha value: {alpha}. alpha must be in the range [0,1] or -1 for ignore."
        )
    p = inputs.sigmoid()
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    return _reduce(loss, reduction)


def _upcast_non_float(t: Tensor) -> Tensor:
    """``t`` itself if float32 or float64, else converted to float32 (torchvision's rule)."""
    return t if t.dtype in (float32, float64) else t.float()


def _pairwise_iou(boxes1: Tensor, boxes2: Tensor, eps: float):
    """The coordinates of corresponding boxes, their IoU (ε added to the union) and union, as
    the box losses compute them (the intersection is 0 where the boxes do not overlap)."""
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    iw = _t.minimum(x2, x2g) - _t.maximum(x1, x1g)
    ih = _t.minimum(y2, y2g) - _t.maximum(y1, y1g)
    overlap = (ih > 0) & (iw > 0)
    intersection = _t.where(overlap, iw * ih, zeros((), dtype=iw.dtype))
    union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - intersection
    return (x1, y1, x2, y2), (x1g, y1g, x2g, y2g), intersection / (union + eps), union


def generalized_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, reduction: str = "none", eps: float = 1e-7
) -> Tensor:
    """1 − GIoU of corresponding boxes (``boxes1[i]`` with ``boxes2[i]``, not every pair):
    a box-regression loss that still has a gradient when the boxes do not overlap."""
    boxes1, boxes2 = _upcast_non_float(boxes1), _upcast_non_float(boxes2)
    (x1, y1, x2, y2), (x1g, y1g, x2g, y2g), iou, union = _pairwise_iou(boxes1, boxes2, eps)
    area_c = (_t.maximum(x2, x2g) - _t.minimum(x1, x1g)) * (
        _t.maximum(y2, y2g) - _t.minimum(y1, y1g)
    )
    loss = 1 - (iou - (area_c - union) / (area_c + eps))
    return _reduce(loss, reduction)


def _diou_iou_loss(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> tuple[Tensor, Tensor]:
    """(1 − DIoU, IoU) of corresponding boxes: 1 − IoU + ρ² / c², ρ the distance between the
    centres and c the diagonal of the smallest enclosing box (Zheng et al., 2019)."""
    (x1, y1, x2, y2), (x1g, y1g, x2g, y2g), iou, _ = _pairwise_iou(boxes1, boxes2, eps)
    enclosing_w = _t.maximum(x2, x2g) - _t.minimum(x1, x1g)
    enclosing_h = _t.maximum(y2, y2g) - _t.minimum(y1, y1g)
    diagonal_squared = (enclosing_w**2) + (enclosing_h**2) + eps
    x_p, y_p = (x2 + x1) / 2, (y2 + y1) / 2
    x_g, y_g = (x1g + x2g) / 2, (y1g + y2g) / 2
    centres_squared = ((x_p - x_g) ** 2) + ((y_p - y_g) ** 2)
    return 1 - iou + (centres_squared / diagonal_squared), iou


def distance_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, reduction: str = "none", eps: float = 1e-7
) -> Tensor:
    """1 − DIoU of corresponding boxes: the IoU loss plus the squared distance between the
    centres over the squared diagonal of the enclosing box (pulls disjoint boxes together)."""
    boxes1, boxes2 = _upcast_non_float(boxes1), _upcast_non_float(boxes2)
    loss, _ = _diou_iou_loss(boxes1, boxes2, eps)
    return _reduce(loss, reduction)


def complete_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, reduction: str = "none", eps: float = 1e-7
) -> Tensor:
    """1 − CIoU of corresponding boxes: the DIoU loss plus α·v, v = 4/π² (atan(w_g/h_g) −
    atan(w/h))² comparing the aspect ratios, α = v / (1 − IoU + v + ε) held constant.

    As torchvision, the DIoU part always uses ε = 1e-7 (``eps`` enters α only).
    """
    boxes1, boxes2 = _upcast_non_float(boxes1), _upcast_non_float(boxes2)
    diou_loss, iou = _diou_iou_loss(boxes1, boxes2)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    w_pred, h_pred = x2 - x1, y2 - y1
    w_gt, h_gt = x2g - x1g, y2g - y1g
    v = (4 / (math.pi**2)) * (((w_gt / h_gt).atan() - (w_pred / h_pred).atan()) ** 2)
    alpha = (v / (1 - iou + v + eps)).detach()
    return _reduce(diou_loss + alpha * v, reduction)
