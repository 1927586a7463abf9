"""Max pooling over 2×2 tiles (kernel 2, stride 2: LeNet's and VGG's) with whole-memory
comparisons.

The general max pooling (``ops/window_pool.py``) takes each of a window's taps as a strided
slice of the input. For a channels-last activation with few channels (LeNet's 6) a slice is
runs of only C numbers, and NumPy's loops then spend their time stepping from run to run, not
comparing. Here every comparison runs over the whole block of memory at once, shifted:

- Lay the input out as rows of L numbers: (B, H, W·I) with I = C for channels-last and I = 1
  (B = N·C) for NCHW. The right neighbour of the number at flat position p is at p + I, the
  one below at p + L. So
      m1[p] = max(x[p + I], x[p])        the better of each pair of columns,
      m2[p] = max(m1[p + L], m1[p])      then of the two rows,
  are two calls over (nearly) all of memory, and a window's maximum is m2 at its top-left
  number (its "anchor"). The positions that are not anchors are computed and thrown away —
  cheaper than stepping through strided slices.
- PyTorch's tie rule (the first maximum in row-major order wins) falls out of the order:
  within a row the left column wins a tie (c = x[p + I] > x[p], strictly), and of the two
  rows the top one (r = m1[p + L] > m1[p]). The winning tap is t = 2·r + (the column bit of
  the winning row): 2·r + (c_top if not r else c_bottom).
- A NaN anywhere in the result leaves the winner to the general path (PyTorch's rule takes
  the last NaN).

Backward is the general path's (the winners' ``arg`` has the same meaning). Only activations
up to ``MAX_BYTES`` take this path: on larger ones the whole-memory temporaries no longer stay
in cache and the strided slices win (measured: LeNet's first pooling, 64 × 6 × 28 × 28
channels-last, 0.38 → 0.22 ms with the winners, 0.18 → 0.11 ms without; VGG-style's 64 × 32 ×
32 × 32, 2× slower this way).
"""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.ops.im2col import _scratch
from gradiente.parallel import over_count

# Below this many input numbers the general path's few calls cost less than this one's; above
# MAX_BYTES its strided slices are faster (see above).
MIN_SIZE = 4096
MAX_BYTES = 2 << 20


def _memory_rows(a, channels_last: bool):
    """The (N, C, H, W) array as (B, H, W·I) rows in memory order (a view), and I; or None
    when it is not one dense block in that layout."""
    N, C, H, W = a.shape
    if channels_last:
        nhwc = a.transpose(0, 2, 3, 1)
        return (nhwc.reshape(N, H, W * C), C) if nhwc.flags.c_contiguous else None
    return (a.reshape(N * C, H, W), 1) if a.flags.c_contiguous else None


def applies(a, geom) -> bool:
    """Whether this path pools the CPU array ``a`` with ``geom``."""
    return (
        type(a) is xp.ndarray
        and a.dtype.kind == "f"
        and geom.kernel == (2, 2)
        and geom.tiles()
        and a.size >= MIN_SIZE
        and a.nbytes <= MAX_BYTES
    )


def _anchors(flat, rows: int, H: int, W: int, I: int):
    """The window anchors (top-left numbers) of a flat row-layout buffer: (B, OH, OW, I)."""
    return flat.reshape(rows, H // 2, 2, W // 2, 2, I)[:, :, 0, :, 0, :]


def _pool_rows(x, out, arg, I: int) -> None:
    """Max of each 2×2 window of the (b, H, W·I) rows ``x`` into ``out`` (b, OH, OW, I), and
    the winning tap into ``arg`` (uint8, same shape) unless it is None."""
    rows, H, L = x.shape
    n = x.size
    f = x.reshape(-1)
    # m1 and m2 are read only at anchors, which lie below n − I − L (H and W are even)
    m1 = _scratch.empty((n,), x.dtype)
    xp.maximum(f[I:], f[:-I], out=m1[: n - I])
    m2 = _scratch.empty((n,), x.dtype)
    xp.maximum(m1[L : n - I], m1[: n - I - L], out=m2[: n - I - L])
    xp.copyto(out, _anchors(m2, rows, H, L // I, I))
    if arg is None:
        return
    c = xp.empty(n, dtype=xp.bool_)  # right column strictly greater than left
    xp.greater(f[I:], f[:-I], out=c[: n - I])
    r = xp.empty(n, dtype=xp.bool_)  # bottom row strictly greater than top
    xp.greater(m1[L : n - I], m1[: n - I - L], out=r[: n - I - L])
    k = n - I - L
    top, bottom = c[:k], c[L : L + k]
    column = xp.bitwise_xor(top, bottom)  # the winning row's column bit:
    xp.bitwise_and(column, r[:k], out=column)  # top ^ (r & (top ^ bottom))
    xp.bitwise_xor(column, top, out=column)
    tap = r.view(xp.uint8)
    xp.add(tap[:k], tap[:k], out=tap[:k])  # 2·r (an add: a shift by a scalar is slower)
    xp.bitwise_or(tap[:k], column.view(xp.uint8), out=tap[:k])
    xp.copyto(arg, _anchors(tap, rows, H, L // I, I))


def forward(x, channels_last: bool, with_argmax: bool):
    """(out, arg) as ``window_pool._max_forward`` gives them, or None when ``x`` is not one
    dense block or a NaN makes the general path decide the winners."""
    N, C, H, W = x.shape
    laid_out = _memory_rows(x, channels_last)
    if laid_out is None:
        return None
    rows, I = laid_out
    B = rows.shape[0]
    out = xp.empty((B, H // 2, W // 2, I), dtype=x.dtype)
    arg = xp.empty(out.shape, dtype=xp.uint8) if with_argmax else None

    def run(a, b):
        _pool_rows(rows[a:b], out[a:b], None if arg is None else arg[a:b], I)

    over_count(run, B, x.nbytes)
    if with_argmax and xp.isnan(out).any():
        return None
    return _logical(out, N, C, channels_last), (
        None if arg is None else _logical(arg, N, C, channels_last)
    )


def _logical(a, N: int, C: int, channels_last: bool):
    """A (B, OH, OW, I) result as the (N, C, OH, OW) array it is."""
    _, OH, OW, _ = a.shape
    if channels_last:
        return a.transpose(0, 3, 1, 2)
    return a.reshape(N, C, OH, OW)
