"""torchvision's region-of-interest pooling (``torchvision.ops.roi_align``, ``roi_pool``,
``RoIAlign``, ``RoIPool``, ``MultiScaleRoIAlign`` and the FPN ``LevelMapper``).

A region of interest (RoI) is a box (x1, y1, x2, y2) on image ``b`` of an (N, C, H, W) batch;
pooling turns it into a fixed (PH, PW) grid of bins, so boxes of any size feed the same head.
Boxes come as a (K, 5) tensor of rows (b, x1, y1, x2, y2) or as a list of (L, 4) tensors, one
per image. The semantics are those of torchvision's C++ CPU kernels.

**RoIAlign** (Mask R-CNN) averages, in each bin, ``gh × gw`` bilinear samples taken at the
centres of a regular sub-grid: with the box scaled by ``spatial_scale`` (and shifted by −½ when
``aligned``), a bin of height ``bh = roi_h / PH`` samples

    y = y1 + ph·bh + (iy + ½)·bh / gh,   iy = 0 .. gh − 1,   gh = sampling_ratio, or
                                                             ⌈roi_h / PH⌉ when it is ≤ 0,

(and x alike). A sample outside [−1, H] × [−1, W] counts as 0; one in [−1, 0) reads row 0.
The bilinear weight of a sample is a product of a y-weight and an x-weight, so the whole op
is separable: for RoI k

    out[k, c] = Ay[k] · input[b_k, c] · Ax[k]ᵀ,     Ay: (PH, H),  Ax: (PW, W),

where Ay[k, ph, h] sums the y-weights (÷ gh) that bin row ph gives image row h. The forward is
two batched matrix products; being linear in ``input``, its gradient is the adjoint
Ay[k]ᵀ · g[k] · Ax[k] summed into image b_k, and the two maps are each other's backward.

**RoIPool** (Fast R-CNN) takes the maximum over each bin's whole pixels (box corners rounded,
bins ⌊ph·bh⌋ .. ⌈(ph+1)·bh⌉); the output is a gather at the arg-max, so its gradient flows to
that one pixel. An empty bin gives 0.

The boxes get no gradient (as in torchvision's kernels).
"""

from __future__ import annotations

from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import add_at, get_array_module, host, xp
from gradiente.nn import Module
from gradiente.ops.array_function import ArrayFunction
from gradiente.tensor import Tensor
from gradiente.tensor import toplevel as _t
from gradiente.tensor.factories import full_like, tensor, zeros

__all__ = [
    "LevelMapper",
    "MultiScaleRoIAlign",
    "RoIAlign",
    "RoIPool",
    "initLevelMapper",
    "roi_align",
    "roi_pool",
]

# RoIs per block of the batched products: bounds the (k, C, H, PW) intermediate's size
_BLOCK_ELEMENTS = 1 << 22


# ---------------------------------------------------------------- boxes


def _on_device(array) -> Tensor:
    """An index or mask array as a tensor where it lies (``as_tensor`` copies through the
    host, which a CUDA array refuses)."""
    return Tensor._make(array)


def _pair(value) -> tuple[int, int]:
    """An int or a pair as (height, width)."""
    if isinstance(value, (list, tuple)):
        return (int(value[0]), int(value[1])) if len(value) > 1 else (int(value[0]),) * 2
    return (int(value), int(value))


def check_roi_boxes_shape(boxes) -> None:
    """torchvision's check: a (K, 5) tensor or a list of (L, 4) tensors (AssertionError)."""
    if isinstance(boxes, (list, tuple)):
        for box in boxes:
            if box.size(1) != 4:
                raise AssertionError(
                    "The shape of the tensor in the boxes list is not correct as List[Tensor[L, 4]]"
                )
    elif isinstance(boxes, Tensor):
        if boxes.size(1) != 5:
            raise AssertionError("The boxes tensor shape is not correct as Tensor[K, 5]")
    else:
        raise AssertionError("boxes is expected to be a Tensor[L, 5] or a List[Tensor[K, 4]]")


def convert_boxes_to_roi_format(boxes: list[Tensor]) -> Tensor:
    """A list of per-image (L, 4) boxes as one (K, 5) tensor of rows (image index, box)."""
    ids = [full_like(box[:, :1], i) for i, box in enumerate(boxes)]
    return _t.cat([_t.cat(ids, 0), _t.cat(list(boxes), 0)], 1)


def _rois_array(input: Tensor, boxes) -> tuple:
    """The checked (K, 5) RoIs as an array of ``input``'s dtype."""
    check_roi_boxes_shape(boxes)
    rois = boxes if isinstance(boxes, Tensor) else convert_boxes_to_roi_format(boxes)
    if input.dim() != 4:
        raise RuntimeError(f"Expected a 4-D (N, C, H, W) input, but got {input.dim()}-D")
    return rois.detach()._data.astype(input._data.dtype, copy=False)


# ---------------------------------------------------------------- RoIAlign


def _axis_weights(start, size, pooled: int, sampling_ratio: int, length: int):
    """The (K, pooled, length) matrix of one axis: entry [k, p, i] is the bilinear weight, over
    the grid's sample count, that bin p of RoI k gives pixel i (torchvision's
    ``bilinear_interpolate`` per axis)."""
    xp = get_array_module(start)
    K = start.shape[0]
    dtype = start.dtype
    bin_size = size / dtype.type(pooled)  # (K,)
    if sampling_ratio > 0:
        grid = xp.full(K, sampling_ratio, dtype=xp.int64)
    else:
        grid = xp.maximum(xp.ceil(size / dtype.type(pooled)), 0).astype(xp.int64)
    G = max(int(grid.max()) if K else 0, 1)
    i = xp.arange(G)
    p = xp.arange(pooled, dtype=dtype)
    safe_grid = xp.maximum(grid, 1).astype(dtype)
    # (K, pooled, G) sample positions, as the kernel computes them
    pos = (
        start[:, None, None]
        + p[None, :, None] * bin_size[:, None, None]
        + (i.astype(dtype) + dtype.type(0.5))[None, None, :]
        * bin_size[:, None, None]
        / safe_grid[:, None, None]
    )
    used = (i[None, None, :] < grid[:, None, None]) & (pos >= -1.0) & (pos <= length)
    pos = xp.maximum(pos, 0)
    low = pos.astype(xp.int64)
    at_edge = low >= length - 1
    low = xp.where(at_edge, length - 1, low)
    high = xp.where(at_edge, length - 1, low + 1)
    frac = xp.where(at_edge, 0, pos - low).astype(dtype)  # the kernel sets pos = low at the edge
    scale = used / safe_grid[:, None, None]
    weights = xp.zeros((K, pooled, length), dtype=dtype)
    rows = (xp.arange(K)[:, None, None] * pooled + xp.arange(pooled)[None, :, None]) * length
    add_at(weights.reshape(-1), (rows + low).ravel(), ((1 - frac) * scale).ravel())
    add_at(weights.reshape(-1), (rows + high).ravel(), (frac * scale).ravel())
    return weights


def _align_plan(rois, output_size, spatial_scale, sampling_ratio, aligned, image_size):
    """Per RoI: its image index and the separable weights (Ay, Ax) of the module docstring."""
    xp = get_array_module(rois)
    dtype = rois.dtype
    offset = dtype.type(0.5 if aligned else 0.0)
    x1, y1, x2, y2 = (rois[:, j] * dtype.type(spatial_scale) - offset for j in range(1, 5))
    width, height = x2 - x1, y2 - y1
    if not aligned:  # the legacy kernel forces malformed RoIs to be 1 × 1
        width, height = xp.maximum(width, 1), xp.maximum(height, 1)
    ay = _axis_weights(y1, height, output_size[0], sampling_ratio, image_size[0])
    ax = _axis_weights(x1, width, output_size[1], sampling_ratio, image_size[1])
    return rois[:, 0].astype(xp.int64), ay, ax


def _blocks(plan, C: int, H: int, W: int):
    """The RoIs of each image, in blocks small enough for the (k, C, H, PW) intermediates."""
    batch, ay, _ = plan
    xp = get_array_module(batch)
    per_block = max(1, _BLOCK_ELEMENTS // max(C * max(H, W) * max(ay.shape[1], 1), 1))
    for n in xp.unique(batch):
        ks = xp.nonzero(batch == n)[0]
        for s in range(0, len(ks), per_block):
            yield int(n), ks[s : s + per_block]


def _align_array(x, plan):
    """(N, C, H, W) → (K, C, PH, PW): out[k] = Ay[k] · x[b_k] · Ax[k]ᵀ."""
    batch, ay, ax = plan
    xp = get_array_module(x)
    N, C, H, W = x.shape
    out = xp.zeros((len(batch), C, ay.shape[1], ax.shape[1]), dtype=x.dtype)
    for n, ks in _blocks(plan, C, H, W):
        rows = x[n].reshape(C * H, W) @ ax[ks].transpose(0, 2, 1)  # (k, C·H, PW)
        out[ks] = ay[ks][:, None] @ rows.reshape(len(ks), C, H, -1)  # (k, C, PH, PW)
    return out


def _align_adjoint_array(g, plan, image_shape):
    """(K, C, PH, PW) → (N, C, H, W): grad[b_k] += Ay[k]ᵀ · g[k] · Ax[k]."""
    batch, ay, ax = plan
    xp = get_array_module(g)
    N, C, H, W = image_shape
    grad = xp.zeros(image_shape, dtype=g.dtype)
    PW = ax.shape[1]
    for n, ks in _blocks(plan, C, H, W):
        rows = ay[ks].transpose(0, 2, 1)[:, None] @ g[ks]  # (k, C, H, PW)
        # Σ_k rows[k] · Ax[k]: the RoIs and bins side by side in one product
        rows = rows.transpose(1, 2, 0, 3).reshape(C * H, len(ks) * PW)
        grad[n] += (rows @ ax[ks].reshape(len(ks) * PW, W)).reshape(C, H, W)
    return grad


class _RoIAlign(ArrayFunction):
    """The RoIAlign map x → out; its backward is ``_RoIAlignAdjoint``."""

    backward_name = "RoIAlignBackward0"

    @staticmethod
    def forward(ctx, x, plan):
        ctx.plan, ctx.image_shape = plan, x._data.shape
        return _align_array(x._data, plan)

    @staticmethod
    def backward(ctx, grad):
        if grad_state.enabled:  # create_graph: a differentiable node
            return _RoIAlignAdjoint.apply(grad, ctx.plan, ctx.image_shape), None
        return _align_adjoint_array(grad._data, ctx.plan, ctx.image_shape), None


class _RoIAlignAdjoint(ArrayFunction):
    """The adjoint g → grad input; its backward is ``_RoIAlign`` again."""

    backward_name = "RoIAlignBackwardBackward0"

    @staticmethod
    def forward(ctx, g, plan, image_shape):
        ctx.plan = plan
        return _align_adjoint_array(g._data, plan, image_shape)

    @staticmethod
    def backward(ctx, grad):
        if grad_state.enabled:
            return _RoIAlign.apply(grad, ctx.plan), None, None
        return _align_array(grad._data, ctx.plan), None, None


def roi_align(
    input: Tensor,
    boxes: Tensor | list[Tensor],
    output_size,
    spatial_scale: float = 1.0,
    sampling_ratio: int = -1,
    aligned: bool = False,
) -> Tensor:
    """RoIAlign (Mask R-CNN): the (K, C, PH, PW) bilinear averages of each box's bins (see the
    module docstring). ``spatial_scale`` maps box coordinates to ``input``'s; ``sampling_ratio``
    ≤ 0 samples ⌈roi size / bins⌉ points per bin and axis; ``aligned`` shifts boxes by −½ pixel
    (Detectron2's convention)."""
    rois = _rois_array(input, boxes)
    output_size = _pair(output_size)
    plan = _align_plan(
        rois, output_size, spatial_scale, int(sampling_ratio), aligned, input._data.shape[2:]
    )
    return _RoIAlign.apply(input, plan)


class RoIAlign(Module):
    """See :func:`roi_align`."""

    def __init__(self, output_size, spatial_scale: float, sampling_ratio: int, aligned=False):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def forward(self, input: Tensor, rois) -> Tensor:
        return roi_align(
            input, rois, self.output_size, self.spatial_scale, self.sampling_ratio, self.aligned
        )

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(output_size={self.output_size}, "
            f"spatial_scale={self.spatial_scale}, sampling_ratio={self.sampling_ratio}, "
            f"aligned={self.aligned})"
        )


# ---------------------------------------------------------------- RoIPool


def _round_half_away(v):
    """C's ``round``: halves away from zero (NumPy's ``rint`` rounds them to even)."""
    xp = get_array_module(v)
    return xp.sign(v) * xp.floor(xp.abs(v) + 0.5)


def _bin_edges(start, size, pooled: int, length: int):
    """(K, pooled) clipped [begin, end) pixel ranges of the bins along one axis."""
    xp = get_array_module(size)
    dtype = size.dtype
    bin_size = size.astype(dtype) / dtype.type(pooled)
    p = xp.arange(pooled, dtype=dtype)
    begin = xp.floor(p[None] * bin_size[:, None]).astype(xp.int64) + start[:, None]
    end = xp.ceil((p[None] + 1) * bin_size[:, None]).astype(xp.int64) + start[:, None]
    return xp.clip(begin, 0, length), xp.clip(end, 0, length)


def _pool_argmax(x, rois, output_size, spatial_scale):
    """(K, C, PH, PW) flat index (n·C·H·W + c·H·W + h·W + w) of each bin's first maximum, in
    row-major order as the kernel scans, and whether the bin has any pixel."""
    xp = get_array_module(x)
    N, C, H, W = x.shape
    PH, PW = output_size
    corners = _round_half_away(rois[:, 1:] * rois.dtype.type(spatial_scale)).astype(xp.int64)
    x1, y1, x2, y2 = corners.T
    height = xp.maximum(y2 - y1 + 1, 1).astype(rois.dtype)
    width = xp.maximum(x2 - x1 + 1, 1).astype(rois.dtype)
    h0, h1 = _bin_edges(y1, height, PH, H)
    w0, w1 = _bin_edges(x1, width, PW, W)
    index = xp.zeros((len(rois), C, PH, PW), dtype=xp.int64)
    nonempty = (h1 > h0)[:, :, None] & (w1 > w0)[:, None, :]  # (K, PH, PW)
    # each RoI's image and the rows/columns its bins span, read to the host at once
    spans = host(
        xp.stack([rois[:, 0].astype(xp.int64), h0.min(1), h1.max(1), w0.min(1), w1.max(1)], 1)
    )
    for k, (n, r0, r1, c0, c1) in enumerate(spans.tolist()):
        if r1 <= r0 or c1 <= c0:
            continue
        crop = x[n, :, r0:r1, c0:c1]  # (C, h, w)
        rows, cols = xp.arange(r0, r1), xp.arange(c0, c1)
        in_row = (rows[None] >= h0[k][:, None]) & (rows[None] < h1[k][:, None])  # (PH, h)
        in_col = (cols[None] >= w0[k][:, None]) & (cols[None] < w1[k][:, None])  # (PW, w)
        # stage 1: the first maximum of each row within each bin column, (C, h, PW)
        masked = xp.where(in_col[None, None], crop[:, :, None, :], -xp.inf)
        col_arg = masked.argmax(-1)
        row_max = xp.take_along_axis(masked, col_arg[..., None], -1)[..., 0]
        # stage 2: the first row holding the bin's maximum, (C, PH, PW)
        masked = xp.where(in_row[None, :, :, None], row_max[:, None], -xp.inf)
        row_arg = masked.argmax(2)
        col = xp.take_along_axis(col_arg[:, None], row_arg[:, :, None], 2)[:, :, 0]
        flat = ((n * C + xp.arange(C)[:, None, None]) * H + r0 + row_arg) * W + c0 + col
        index[k] = flat
    return index, nonempty


def roi_pool(input: Tensor, boxes: Tensor | list[Tensor], output_size, spatial_scale=1.0):
    """RoIPool (Fast R-CNN): the (K, C, PH, PW) maxima of each box's bins of whole pixels;
    empty bins give 0. The gradient reaches each bin's first maximum only."""
    rois = _rois_array(input, boxes)
    output_size = _pair(output_size)
    index, nonempty = _pool_argmax(input._data, rois, output_size, spatial_scale)
    picked = input.reshape(-1)[_on_device(index)]
    xp = get_array_module(index)
    mask = _on_device(xp.broadcast_to(nonempty[:, None], index.shape))
    return _t.where(mask, picked, zeros((), dtype=input.dtype, device=input.device))


class RoIPool(Module):
    """See :func:`roi_pool`."""

    def __init__(self, output_size, spatial_scale: float):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input: Tensor, rois) -> Tensor:
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(output_size={self.output_size}, "
            f"spatial_scale={self.spatial_scale})"
        )


# ---------------------------------------------------------------- multi-scale (FPN)


class LevelMapper:
    """Which pyramid level pools each RoI, by eq. 1 of the FPN paper:
    k = ⌊k0 + log2(√(wh) / 224)⌋ (``canonical_level`` k0, ``canonical_scale`` 224), clamped to
    [k_min, k_max]; returned as k − k_min, an index into the levels."""

    def __init__(self, k_min, k_max, canonical_scale=224, canonical_level=4, eps=1e-6):
        self.k_min = k_min
        self.k_max = k_max
        self.s0 = canonical_scale
        self.lvl0 = canonical_level
        self.eps = eps

    def __call__(self, boxlists: list[Tensor]) -> Tensor:
        boxes = _t.cat(list(boxlists), 0)
        s = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).sqrt()
        eps = tensor(self.eps, dtype=s.dtype, device=s.device)
        target = (self.lvl0 + (s / self.s0).log2() + eps).floor()
        target = target.clamp(min=self.k_min, max=self.k_max)
        return target.long() - self.k_min


def initLevelMapper(k_min, k_max, canonical_scale=224, canonical_level=4, eps=1e-6):
    """A ``LevelMapper`` (torchvision's factory function)."""
    return LevelMapper(k_min, k_max, canonical_scale, canonical_level, eps)


def _infer_scale(feature: Tensor, original_size) -> float:
    """The power of two nearest (in log2, computed in float32) to feature size / image size."""
    approx = xp.float32(float(feature.shape[-2]) / float(original_size[0]))
    return 2 ** float(xp.rint(xp.log2(approx)))


class MultiScaleRoIAlign(Module):
    """RoIAlign over several feature maps (a feature pyramid): each box is pooled from the level
    ``LevelMapper`` picks. The levels' scales are inferred on the first call from the feature
    sizes against the largest image size (powers of two)."""

    def __init__(
        self,
        featmap_names: list[str],
        output_size,
        sampling_ratio: int,
        *,
        canonical_scale: int = 224,
        canonical_level: int = 4,
    ) -> None:
        super().__init__()
        if isinstance(output_size, int):
            output_size = (output_size, output_size)
        self.featmap_names = featmap_names
        self.sampling_ratio = sampling_ratio
        self.output_size = tuple(output_size)
        self.scales = None
        self.map_levels = None
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level

    def _setup_scales(self, features: list[Tensor], image_shapes) -> None:
        if not image_shapes:
            raise ValueError("images list should not be empty")
        largest = (max(s[0] for s in image_shapes), max(s[1] for s in image_shapes))
        self.scales = [_infer_scale(feature, largest) for feature in features]
        lvl_min = -float(xp.log2(xp.float32(self.scales[0])))
        lvl_max = -float(xp.log2(xp.float32(self.scales[-1])))
        self.map_levels = initLevelMapper(
            int(lvl_min),
            int(lvl_max),
            canonical_scale=self.canonical_scale,
            canonical_level=self.canonical_level,
        )

    def forward(self, x: dict[str, Tensor], boxes: list[Tensor], image_shapes) -> Tensor:
        features = [v for k, v in x.items() if k in self.featmap_names]
        if self.scales is None or self.map_levels is None:
            self._setup_scales(features, image_shapes)
        rois = convert_boxes_to_roi_format(boxes)
        if len(features) == 1:
            return roi_align(
                features[0], rois, self.output_size, self.scales[0], self.sampling_ratio
            )
        levels = self.map_levels(boxes)._data
        xp = get_array_module(levels)
        pooled = []
        order = []
        for level, (feature, scale) in enumerate(zip(features, self.scales)):
            idx = xp.nonzero(levels == level)[0]
            pooled.append(
                roi_align(
                    feature, rois[_on_device(idx)], self.output_size, scale, self.sampling_ratio
                )
            )
            order.append(idx)
        # each RoI's row back in its place: the inverse of the levels' concatenated order
        # (a permutation: its keys are distinct, so any sort gives the same order)
        inverse = xp.argsort(xp.concatenate(order))
        return _t.cat(pooled, 0)[_on_device(inverse)].to(features[0].dtype)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(featmap_names={self.featmap_names}, "
            f"output_size={self.output_size}, sampling_ratio={self.sampling_ratio})"
        )
