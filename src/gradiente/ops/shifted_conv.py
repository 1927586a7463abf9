"""Stride-1 convolution as kh·kw accumulated GEMMs over shifted row blocks: no im2col.

Flatten the padded channels-last image (N, Hp, Wp, C) into a matrix X of N·Hp·Wp rows, one
per pixel, r = n·Hp·Wp + h·Wp + w. Output pixel (n, oh, ow) of a stride-1 convolution reads,
for kernel tap (i, j), the input pixel (n, oh + d·i, ow + d·j): row r + off(i, j) with
r = n·Hp·Wp + oh·Wp + ow and off(i, j) = d·i·Wp + d·j — the same offset for every pixel. So

    Y[r] = Σ_{i,j} X[r + off(i, j)] · W_ij          W_ij = W[:, :, i, j]ᵀ, a C × O matrix

and each term is one GEMM on a contiguous block of X's rows, added into Y by BLAS itself
(β = 1, ``gradiente._blas``). Y has a row for every pixel of the padded grid; the rows with
oh ≥ OH or ow ≥ OW (windows that run past the right or bottom edge into the next row or
image) are computed too and thrown away: (Hp·Wp)/(OH·OW) − 1 extra multiplications, 13 % for
a 32×32 image with padding 1. In exchange there is no columns matrix at all: im2col writes
kh·kw copies of the image (75 MB for a 64×32×32×32 batch) and the GEMM reads them back.

The same offsets give the gradients:
- weight:  dW_ij = X[off(i, j) : off(i, j) + R]ᵀ · G, with G the output gradient placed on
  the padded grid (zeros on the thrown-away rows), one (C × R)·(R × O) product per tap;
- input: the input gradient of a stride-1 convolution is a stride-1 convolution of the
  gradient (padded by d·(k − 1) − p) with the kernel flipped, which ``ops/conv.py`` computes
  with ``conv`` below.

Used when BLAS can be called directly, each tap's product is wide enough to run at BLAS speed
(C and O at least ``MIN_CHANNELS``) and the thrown-away rows are few (``MAX_GRID_RATIO``);
otherwise ``ops/conv.py`` builds columns.
"""

from __future__ import annotations

from gradiente import _blas, parallel
from gradiente.backend import ndarray, xp
from gradiente.ops.gemm import gemm_chunks
from gradiente.ops.im2col import _pad_nhwc

# Below this many input or output channels a tap's (R × C)·(C × O) product is too thin for
# BLAS to run near its peak, and im2col's one (R × kh·kw·C) product wins (LeNet's 1 → 6 and
# 6 → 16 convolutions). Measured on a 2-vCPU Zen 5 (benchmarks/RESULTS.md).
MIN_CHANNELS = 16

# The padded grid's extra rows are computed and thrown away: above this ratio of grid pixels
# to output pixels (Hp·Wp / OH·OW; 1.13 for 32×32 with padding 1, 1.27 for 16×16, 1.56 for
# 8×8) the waste outweighs the columns saved, measured on the same machine.
MAX_GRID_RATIO = 1.3

# With gradiente running the products' threads, the rows are split in blocks of at least this
# many (ops/gemm.py).
_MIN_ROWS_PER_THREAD = 4096

# The weight gradient takes the rows in blocks of this many: a block of the image and of the
# gradient stays in a core's cache across the kernel's taps (best of 1024–8192, measured on
# the VGG-style layers with 32 and 64 channels).
_WEIGHT_GRAD_BLOCK = 4096

enabled = True  # ops/conv.py asks ``applies``; tests switch the path off to compare


def applies(geom, in_channels: int, out_channels: int, image, grid=None) -> bool:
    """Whether the shifted-GEMM path computes this convolution of a padded CPU image (or of
    an array that will be padded to the (Hp, Wp) ``grid``)."""
    Hp, Wp = grid if grid is not None else image.shape[1:3]
    return (
        enabled
        and geom.stride == (1, 1)
        and geom.groups == 1
        and geom.kernel != (1, 1)
        and min(in_channels, out_channels) >= MIN_CHANNELS
        and type(image) is ndarray
        and image.dtype.kind == "f"
        and image.dtype.itemsize in (4, 8)
        and image.size > 0
        and Hp * Wp <= MAX_GRID_RATIO * geom.out[0] * geom.out[1]
        and _blas.available()
    )


def _offsets(geom, row_width: int) -> list[int]:
    """off(i, j) = d·i·Wp + d·j for the taps in row-major order."""
    (kh, kw), (dh, dw) = geom.kernel, geom.dilation
    return [i * dh * row_width + j * dw for i in range(kh) for j in range(kw)]


def _rows(image):
    """The (N·Hp·Wp, C) matrix of a padded (N, Hp, Wp, C) image (copied if not contiguous)."""
    return xp.ascontiguousarray(image).reshape(-1, image.shape[3])


def conv(image, w, geom):
    """Convolution of a padded channels-last image (N, Hp, Wp, C) with W (O, C, kh, kw).

    Returns (out, X): the (N, OH, OW, O) result (a view into the padded-grid result) and the
    image's row matrix X, which ``weight_grad`` needs.
    """
    N, Hp, Wp, _ = image.shape
    O = w.shape[0]
    OH, OW = geom.out
    X = _rows(image)
    offsets = _offsets(geom, Wp)
    R = X.shape[0] - offsets[-1]  # every valid output row lies below R (see the docstring)
    taps = w.transpose(2, 3, 1, 0)  # (kh, kw, C, O): W_ij
    taps = xp.ascontiguousarray(taps).reshape(len(offsets), w.shape[1], O)
    Y = xp.empty((N * Hp * Wp, O), dtype=image.dtype)

    def rows(a, b):  # output rows a..b, all taps: independent of the other blocks
        for t, off in enumerate(offsets):
            _blas.gemm(X[off + a : off + b], taps[t], Y[a:b], beta=0.0 if t == 0 else 1.0)

    gemm_chunks(rows, R, _MIN_ROWS_PER_THREAD)
    return Y.reshape(N, Hp, Wp, O)[:, :OH, :OW], X


def weight_grad(X, gh, geom, w_shape):
    """dL/dW (O, C, kh, kw) from the padded image's rows X and the (N, OH, OW, O) output
    gradient.

    dW_ij = Σ_r X[r + off(i, j)]ᵀ G[r] is a product with a small (C × O) result and a long
    inner dimension (every pixel), which BLAS runs slowly: it reads all of X and G once per
    tap. So the rows are taken in blocks of ``_WEIGHT_GRAD_BLOCK`` that stay in the cache,
    and for each block the kw taps of a kernel row are put side by side, once:
    Xw[r] = [X[r + d·0], X[r + d·1], …, X[r + d·(kw − 1)]] (kw·C numbers). Then kernel row i is
    one (kw·C × O) product, dW_i· += Xw[rows + d·i·Wp]ᵀ G[rows]: kh products per block
    instead of kh·kw thinner ones (measured 1.4–2× faster on the VGG-style layers).
    """
    O, C, kh, kw = w_shape
    (H, W), (pt, pb, pl, pr) = geom.image, geom.padding
    Hp, Wp = H + pt + pb, W + pl + pr
    OH, OW = geom.out
    dh, dw = geom.dilation
    # the gradient on the padded grid: zeros below and right of it (only there)
    G = _pad_nhwc(gh, (0, Hp - OH, 0, Wp - OW)).reshape(-1, O)
    row_offsets = [i * dh * Wp for i in range(kh)]
    column_offsets = [j * dw for j in range(kw)]
    R = X.shape[0] - row_offsets[-1] - column_offsets[-1]
    partial = {}  # each thread's share of every dW_i, added up at the end

    def rows(a, b):
        dw_rows = xp.empty((kh, kw * C, O), dtype=gh.dtype)
        block = min(_WEIGHT_GRAD_BLOCK, b - a)
        side_by_side = xp.empty((block + row_offsets[-1], kw, C), dtype=gh.dtype)
        for start in range(a, b, block):
            n = min(b, start + block) - start
            m = n + row_offsets[-1]  # the block's rows and those kernel row kh − 1 reads
            for j, off in enumerate(column_offsets):
                side_by_side[:m, j] = X[start + off : start + off + m]
            Xw = side_by_side.reshape(-1, kw * C)
            for i, off in enumerate(row_offsets):
                beta = 0.0 if start == a else 1.0
                _blas.gemm(
                    Xw[off : off + n], G[start : start + n], dw_rows[i], trans_a=True, beta=beta
                )
        partial[a] = dw_rows

    # BLAS would split a product by its small result, not by the long inner dimension, so
    # the blocks of rows go to gradiente's threads (each thread sums its own dW).
    parallel.run_chunks(rows, R, grain=_WEIGHT_GRAD_BLOCK, min_threads=2)
    blocks = [partial[a] for a in sorted(partial)]  # in row order: the same sum every run
    dw_sum = sum(blocks[1:], blocks[0])
    return dw_sum.reshape(kh, kw, C, O).transpose(3, 2, 0, 1)
