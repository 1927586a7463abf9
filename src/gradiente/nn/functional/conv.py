"""``F.pad`` in its four modes, and ``F.conv_transpose1d`` (the 2-D transposed convolution
over a height-1 image). (The other convolutions, pooling and unfold/fold are the ops of
``ops/conv.py`` and ``ops/pool.py``, which check their own arguments; ``nn.functional``
re-exports them from there.)"""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.ops.conv import conv_transpose2d
from gradiente.ops.conv_checks import check_convolution
from gradiente.ops.geometry import follows_channels_last
from gradiente.ops.shape import ConstantPad as _ConstantPad
from gradiente.ops.window import int_tuple
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


@follows_channels_last(when=lambda input, pad, mode="constant", *a, **k: mode != "circular")
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
    args = (stride, padding, dilation, groups)
    check_convolution("conv_transpose1d", input, weight, bias, *args, 1, True, output_padding)
    s, p, op, d = (int_tuple(v, 1, "", "")[0] for v in (stride, padding, output_padding, dilation))
    out = conv_transpose2d(
        input.unsqueeze(-2), weight.unsqueeze(-2), bias, (1, s), (0, p), (0, op), groups, (1, d)
    )
    return out.squeeze(-2)
