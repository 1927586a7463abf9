"""``F.pad`` in its four modes, and ``F.conv_transpose1d`` (the 2-D transposed convolution
over a height-1 image). (The other convolutions, pooling and unfold/fold are the ops of
``ops/conv.py`` and ``ops/pool.py``, which check their own arguments; ``nn.functional``
re-exports them from there.)"""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.ops.conv import conv_transpose2d
from gradiente.ops.shape import ConstantPad as _ConstantPad
from gradiente.tensor import Tensor


def _pad_index(n: int, lo: int, hi: int, mode: str, dim: int, shape) -> xp.ndarray:
    """Source index along one axis for each output position −lo … n − 1 + hi.

    A negative ``lo``/``hi`` crops that side, as in PyTorch: reflect and replicate still
    mirror or repeat the edges of the *uncropped* input, while circular wraps around what is
    left after cropping (torch crops first, then copies the wrapped slices).
    """
    if n + lo + hi < 1:
        if mode == "circular":
            raise RuntimeError("Negative padding value is resulting in an empty dimension")
        raise RuntimeError(
            f"input (W: {n}) is too small. Calculated output W: {n + lo + hi} (dimension {dim})"
        )
    pos = xp.arange(-lo, n + hi)
    if mode == "reflect":
        if lo >= n or hi >= n:
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({lo}, {hi}) at dimension {dim} of input "
                f"{list(shape)}"
            )
        pos = xp.abs(pos)
        return xp.where(pos > n - 1, 2 * (n - 1) - pos, pos)
    if mode == "replicate":
        return xp.clip(pos, 0, n - 1)
    # circular: keep [start, stop) of the input, then wrap its m = stop − start elements
    start, stop = max(0, -lo), n - max(0, -hi)
    m = stop - start
    if lo > m or hi > m:
        raise RuntimeError("Padding value causes wrapping around more than once.")
    return start + xp.arange(-max(lo, 0), m + max(hi, 0)) % m


def _check_padded_dims(ndim: int, length: int) -> None:
    """torch's reflect/replicate/circular kernels pad the last 1, 2 or 3 axes of a tensor with
    one or two more (batch, channel) axes; other pairings are refused with torch's message."""
    if length // 2 > 3 or ndim - length // 2 not in (1, 2):
        raise NotImplementedError(
            f"Padding size {length} is not supported for {ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` axes; ``pad`` = (left, right) of the last axis first.

    Modes: 'constant' (with ``value``), 'reflect' (mirror without the edge), 'replicate'
    (repeat the edge), 'circular' (wrap around); in every mode a negative pad crops. The last
    three pad 1, 2 or 3 axes of an input with one or two axes more, as torch's kernels do.
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > input.ndim:
        raise RuntimeError(
            f"Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {input.ndim}"
        )
    # pairs[i] = (before, after) for axis ndim − 1 − i
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(k)]
    if mode == "constant":
        for i, (lo, hi) in enumerate(pairs):  # torch crops with narrow(), which checks lengths
            size = input.shape[input.ndim - 1 - i]
            if size + min(lo, 0) < 0 or size + min(lo, 0) + min(hi, 0) < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
        width = [(0, 0)] * (input.ndim - k) + pairs[::-1]
        return _ConstantPad.apply(input, width, 0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value:
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument')
    _check_padded_dims(input.ndim, len(pad))
    out = input
    for i, (lo, hi) in enumerate(pairs):
        d = input.ndim - 1 - i
        if lo == 0 and hi == 0:
            continue
        idx = _pad_index(input.shape[d], lo, hi, mode, d, input.shape)
        out = out.index_select(d, Tensor._make(idx.astype(xp.int64)))
    return input.clone() if out is input else out  # torch returns new memory even for 0 pads


def _single(value, name: str) -> int:
    """An int, or a sequence of one int, as an int (torch's check for a 1-D convolution)."""
    if isinstance(value, int):
        return value
    value = [int(v) for v in value]
    if len(value) != 1:
        raise RuntimeError(
            f"expected {name} to be a single integer value or a list of 1 values to match the "
            f"convolution dimensions, but got {name}={value}"
        )
    return value[0]


def _scalar_type(t: Tensor) -> str:
    """torch's name of a tensor's dtype in messages: Float, Double, ..."""
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16"}
    return names.get(str(t.dtype).removeprefix("torch."), str(t.dtype))


def _check_transpose1d(x: Tensor, w: Tensor, b, groups: int) -> None:
    """torch's checks of a 1-D transposed convolution's shapes, with its messages."""
    if x.ndim not in (2, 3):
        raise RuntimeError(
            "Expected 2D (unbatched) or 3D (batched) input to conv_transpose1d, but got input "
            f"of size: {list(x.shape)}"
        )
    batched = x if x.ndim == 3 else x.unsqueeze(0)
    if w.ndim != 3:
        raise RuntimeError(
            f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional weight "
            f"{list(w.shape)}, but got 3-dimensional input of size {list(batched.shape)} instead"
        )
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if w.shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{list(w.shape)}] instead"
        )
    if batched.shape[1] != w.shape[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(w.shape)}, expected input"
            f"{list(batched.shape)} to have {w.shape[0]} channels, but got {batched.shape[1]} "
            "channels instead"
        )
    out_channels = w.shape[1] * groups
    if b is not None and (b.ndim != 1 or b.shape[0] != out_channels):
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(w.shape)}, expected bias to be "
            f"1-dimensional with {out_channels} elements, but got bias of size {list(b.shape)} "
            "instead"
        )


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """1-D transposed convolution ("deconvolution") over (N, C_in, L) (or unbatched
    (C_in, L)) input, the adjoint of conv1d, as in PyTorch.

    Weight (C_in, C_out/groups, k); output length
    (L − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1. Computed as the 2-D
    transposed convolution of the input seen as a height-1 image, with a height-1 kernel.
    """
    if isinstance(padding, str):
        raise TypeError("conv_transpose1d(): argument 'padding' must be tuple of ints, not str")
    s, p = _single(stride, "stride"), _single(padding, "padding")
    op, d = _single(output_padding, "output_padding"), _single(dilation, "dilation")
    _check_transpose1d(input, weight, bias, groups)
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"expected scalar type {_scalar_type(input)} but found {_scalar_type(weight)}"
        )
    if s <= 0:
        raise RuntimeError("non-positive stride is not supported")
    if p < 0:
        raise RuntimeError("negative padding is not supported")
    if d <= 0:
        raise RuntimeError("dilation should be greater than zero")
    if op >= s and op >= d:
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            f"output_padding_height: 0 output_padding_width: {op} stride_height: 1 "
            f"stride_width: {s} dilation_height: 1 dilation_width: {d}"
        )
    out = conv_transpose2d(
        input.unsqueeze(-2), weight.unsqueeze(-2), bias, (1, s), (0, p), (0, op), groups, (1, d)
    )
    return out.squeeze(-2)
