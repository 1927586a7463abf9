"""``F.pad`` in its four modes. (Convolution, pooling and unfold/fold are the ops of
``ops/conv.py`` and ``ops/pool.py``, which check their own arguments; ``nn.functional``
re-exports them from there.)"""

from __future__ import annotations

from gradiente.backend import xp
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


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` axes; ``pad`` = (left, right) of the last axis first.

    Modes: 'constant' (with ``value``), 'reflect' (mirror without the edge), 'replicate'
    (repeat the edge), 'circular' (wrap around); in every mode a negative pad crops.
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
        width = [(0, 0)] * (input.ndim - k) + pairs[::-1]
        return _ConstantPad.apply(input, width, 0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(
            f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}"
        )
    if value:
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument')
    out = input
    for i, (lo, hi) in enumerate(pairs):
        d = input.ndim - 1 - i
        if lo == 0 and hi == 0:
            continue
        idx = _pad_index(input.shape[d], lo, hi, mode, d, input.shape)
        out = out.index_select(d, Tensor._make(idx.astype(xp.int64)))
    return out
