"""The machinery convolution and unfold/fold share: scratch memory, geometry, im2col, col2im.

``ops/conv.py`` (conv1d, conv2d, conv_transpose2d) and ``ops/fold.py`` (unfold, fold) both
see an image through its receptive fields. This module holds what they have in common:

- a pool of large scratch arrays, reused from one training step to the next;
- ``_Geometry``, the shape bookkeeping of one sliding-window product;
- the channels-last layout: (N, C, H, W) <-> (N, H, W, C) views and zero padding;
- im2col (every receptive field copied into one row of a columns matrix, through a
  stride-tricks view) and its adjoint col2im (every column summed back into its window);
- ``_batched``, the unbatched-input rule of the public functions.
"""

from __future__ import annotations

import math
import sys
import threading
from dataclasses import dataclass

from gradiente.backend import as_strided, get_array_module, xp
from gradiente.parallel import over_count

_as_strided = xp.lib.stride_tricks.as_strided


# ------------------------------------------------------------------------------ scratch
class _ScratchPool:
    """Large scratch arrays (columns, padded copies), reused from one call to the next.

    A fresh 50 MB array costs about as much as the copy written into it: the kernel maps and
    zeroes every page on first touch. Training repeats the same shapes every step, so big
    scratch arrays are kept here and handed out again once nothing else refers to them. A
    buffer is free when the pool holds the only reference: every NumPy view of it (the
    columns a graph node saved for backward, say) refers to it through ``.base``.
    Only internal arrays come from here, never a result handed to the user.
    """

    MIN_BYTES = 1 << 20

    def __init__(self, max_bytes: int = 1 << 30):
        self.max_bytes = max_bytes
        self._buffers: list = []
        self._lock = threading.Lock()
        probe = [xp.empty(1, dtype=xp.uint8)]
        self._free_refs = sys.getrefcount(probe[0])  # the count of a buffer nobody uses

    def _is_free(self, i: int) -> bool:
        return sys.getrefcount(self._buffers[i]) == self._free_refs

    def empty(self, shape, dtype):
        """An uninitialised array of ``shape`` (from the pool when large enough)."""
        dtype = xp.dtype(dtype)
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes < self.MIN_BYTES:
            return xp.empty(shape, dtype=dtype)
        with self._lock:
            for i in range(len(self._buffers)):
                if self._buffers[i].nbytes == nbytes and self._is_free(i):
                    return self._buffers[i].view(dtype).reshape(shape)
            total = sum(b.nbytes for b in self._buffers)
            for i in reversed(range(len(self._buffers))):
                if total + nbytes <= self.max_bytes:
                    break
                if self._is_free(i):
                    total -= self._buffers.pop(i).nbytes
            buf = xp.empty(nbytes, dtype=xp.uint8)
            if total + nbytes <= self.max_bytes:
                self._buffers.append(buf)
            return buf.view(dtype).reshape(shape)

    def clear(self) -> None:
        """Forget every buffer (memory in use elsewhere is freed when its user lets go)."""
        with self._lock:
            self._buffers.clear()


_scratch = _ScratchPool()


# ------------------------------------------------------------------------------ geometry
@dataclass(slots=True, eq=False)
class _Geometry:
    """Shape bookkeeping of one convolution, always seen from the convolution's side.

    ``image`` is the big side (the conv input, or the conv_transpose output) and ``out`` the
    small one; ``padding`` is (top, bottom, left, right) on the image; ``spatial`` is 1 or 2.
    """

    kernel: tuple  # (kh, kw)
    stride: tuple  # (sh, sw)
    padding: tuple  # (top, bottom, left, right)
    dilation: tuple  # (dh, dw)
    groups: int
    image: tuple  # (H, W)
    out: tuple  # (OH, OW)
    spatial: int


def _shape(t) -> tuple:
    return tuple(t._data.shape)


def _check_batched(op: str, x, spatial: int) -> None:
    if x._data.ndim != spatial + 2:
        raise RuntimeError(
            f"{op}: expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input, but "
            f"got input of size: {_shape(x)}"
        )


# ------------------------------------------------------------------------------ layout
def _to_nhwc(a, spatial: int):
    """(N, C, H, W) or (N, C, L) array -> (N, H, W, C) view (L becomes W with H = 1)."""
    if spatial == 1:
        return a[:, :, None, :].transpose(0, 2, 3, 1)
    return a.transpose(0, 2, 3, 1)


def _from_nhwc(a, spatial: int):
    """(N, H, W, C) array -> (N, C, H, W) view, or (N, C, L) when spatial == 1."""
    if spatial == 1:
        return a[:, 0].transpose(0, 2, 1)
    return a.transpose(0, 3, 1, 2)


def _pad_nhwc(a, pads, size=None):
    """Zero-pad the spatial axes of an (N, H, W, C) array by (top, bottom, left, right).

    Negative amounts crop. ``size`` optionally fixes the (H, W) of the result (more zeros at
    the bottom/right). Without any padding the input comes back as is (no copy). The result
    is scratch (from the pool): only im2col reads it.
    """
    N, H, W, C = a.shape
    pt, pb, pl, pr = pads
    Hp, Wp = size if size is not None else (H + pt + pb, W + pl + pr)
    if pt == pl == 0 and (Hp, Wp) == (H, W):
        return a
    # source rows/cols that land inside the result, and where they land
    h0, w0 = max(0, -pt), max(0, -pl)
    h1, w1 = min(H, Hp - pt), min(W, Wp - pl)
    top, bottom = h0 + pt, h1 + pt
    left, right = w0 + pl, w1 + pl
    if (top, left, bottom, right) == (0, 0, Hp, Wp):  # only cropping: a view
        return a[:, h0:h1, w0:w1]
    out = _scratch.empty((N, Hp, Wp, C), a.dtype)

    def images(i, j):  # zero the border only, then copy the interior; runs of images
        out[i:j, :top] = 0
        out[i:j, bottom:] = 0
        out[i:j, top:bottom, :left] = 0
        out[i:j, top:bottom, right:] = 0
        out[i:j, top:bottom, left:right] = a[i:j, h0:h1, w0:w1]

    over_count(images, N, out.nbytes)
    return out


def _windows(ap, kernel, stride, dilation, out, groups: int):
    """Receptive fields of a padded (N, Hp, Wp, C) array as a read-only view (no copy).

    Shape (N, OH, OW, G, kh, kw, C/G): window (oh, ow) starts at (oh·sh, ow·sw), its taps are
    d apart. Grouping the channels first makes each group's columns one contiguous block.
    """
    N, _, _, C = ap.shape
    sN, sH, sW, sC = ap.strides
    Cg = C // groups
    return as_strided(  # NumPy's, or CuPy's for a CUDA array (F.unfold)
        ap,
        (N, out[0], out[1], groups, kernel[0], kernel[1], Cg),
        (sN, sH * stride[0], sW * stride[1], sC * Cg, sH * dilation[0], sW * dilation[1], sC),
        writeable=False,
    )


def _im2col(ap, geom: _Geometry):
    """The columns matrix of a padded image: (N·OH·OW, G, kh·kw·C/G), one contiguous copy.

    For one input channel (a grayscale first layer) the copy is made tap-major instead,
    (kh·kw, N·OH·OW), whose rows are whole output images (long contiguous runs, about twice
    as fast to fill); its transpose is the same matrix and BLAS reads it as is.
    """
    N, _, _, C = ap.shape
    kh, kw = geom.kernel
    OH, OW = geom.out
    G = geom.groups
    Kg = kh * kw * (C // G)
    M = N * OH * OW
    if kh == kw == 1 and geom.stride == (1, 1) and ap.shape[1:3] == (OH, OW):
        if ap.flags.c_contiguous:  # 1x1 convolution over the whole image: it is the matrix
            return ap.reshape(M, G, Kg)
    if C == 1:
        sN, sH, sW, _ = ap.strides
        (sh, sw), (dh, dw) = geom.stride, geom.dilation
        taps = _as_strided(
            ap, (kh, kw, N, OH, OW), (sH * dh, sW * dw, sN, sH * sh, sW * sw), writeable=False
        )
        cols_t = _scratch.empty((kh, kw, N, OH, OW), ap.dtype)
        copy = lambda a, b: xp.copyto(cols_t[:, :, a:b], taps[:, :, a:b])  # noqa: E731
        over_count(copy, N, cols_t.nbytes)
        return cols_t.reshape(Kg, M).T[:, None, :]
    cols = _scratch.empty((N, OH, OW, G, kh, kw, C // G), ap.dtype)
    windows = _windows(ap, geom.kernel, geom.stride, geom.dilation, geom.out, G)
    copy = lambda a, b: xp.copyto(cols[a:b], windows[a:b])  # noqa: E731
    over_count(copy, N, cols.nbytes)  # runs of images over the threads
    return cols.reshape(M, G, Kg)


def _pad_image(xh, geom: _Geometry):
    pt, pb, pl, pr = geom.padding
    return _pad_nhwc(xh, geom.padding) if pt or pb or pl or pr else xh


def _col2im(dcols, geom: _Geometry):
    """Sum tap-major (kh, kw, N, OH, OW, C) columns back into the (N, H, W, C) image."""
    kh, kw, N, OH, OW, C = dcols.shape
    H, W = geom.image
    sh, sw = geom.stride
    dh, dw = geom.dilation
    pt, pb, pl, pr = geom.padding
    host = type(dcols) is xp.ndarray  # else a CUDA array (F.fold): its own module, one thread
    zeros = xp.zeros if host else get_array_module(dcols).zeros
    image = zeros((N, H + pt + pb, W + pl + pr, C), dtype=dcols.dtype)

    def add_taps(a, b):  # images a..b: the threads write disjoint images
        for i in range(kh):
            for j in range(kw):
                h0, w0 = i * dh, j * dw
                tap = image[a:b, h0 : h0 + sh * (OH - 1) + 1 : sh, w0 : w0 + sw * (OW - 1) + 1 : sw]
                tap += dcols[i, j, a:b]

    if host:
        over_count(add_taps, N, dcols.nbytes)
    else:
        add_taps(0, N)
    return image[:, pt : pt + H, pl : pl + W]


# ------------------------------------------------------------------------------ public API
def _batched(op: str, input, spatial: int):
    """(input as batched, whether a batch axis was added): unbatched inputs get one."""
    nd = input._data.ndim
    if nd == spatial + 1:
        return input.unsqueeze(0), True
    _check_batched(op, input, spatial)
    return input, False
