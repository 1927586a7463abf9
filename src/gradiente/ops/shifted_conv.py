"""Stride-1 convolution as kh·kw accumulated GEMMs over shifted row blocks: no im2col.

Lay the channels-last image (N, H, W, C) out on a grid of Hs × Ws pixels per image, the
pixels at the top left of each cell and zeros in the rest, and flatten it into a matrix X of
one row per grid pixel: pixel (n, h, w) is row lead + n·Hs·Ws + h·Ws + w. Output pixel
(n, oh, ow) of a stride-1 convolution reads, for kernel tap (i, j), the input pixel
(oh + d·i − pt, ow + d·j − pl): with o = n·Hs·Ws + oh·Ws + ow and lead = pt·Ws + pl that is
row o + off(i, j), off(i, j) = d·i·Ws + d·j — the same offset for every pixel. So

    Y[o] = Σ_{i,j} X[o + off(i, j)] · W_ij          W_ij = W[:, :, i, j]ᵀ, a C × O matrix

and each term is one GEMM on a contiguous block of X's rows, added into Y by BLAS itself
(β = 1, ``gradiente._blas``).

The padding is *shared*: Hs = H + max(pt, pb) and Ws = W + max(pl, pr), so the zero columns
right of one image row are also the zeros left of the next (a read before column 0 wraps back
into them), and the zero rows below one image are those above the next. (A grid with
separate padding on every side, (H + pt + pb) × (W + pl + pr), has 27 % more rows than output
pixels for a 16×16 image with padding 1; the shared grid 13 %.) Y has a row for every grid
pixel; those with oh ≥ OH or ow ≥ OW are computed too and thrown away. In exchange there is
no columns matrix at all: im2col writes kh·kw copies of the image (75 MB for a 64×32×32×32
batch) and the GEMM reads them back.

The same offsets give the gradients:
- weight:  dW_ij = X[off(i, j) : off(i, j) + M]ᵀ · G, with G the output gradient on the grid
  (zeros on the thrown-away pixels), one (C × M)·(M × O) product per tap;
- input: the input gradient of a stride-1 convolution is a stride-1 convolution of the
  gradient, padded by d·(k − 1) − p, with the kernel flipped (``input_grad``). Its grid is
  the forward's when the padding is "same", and then the gradient laid out for it is also
  the weight gradient's G.

Used when BLAS can be called directly, each tap's product is wide enough to run at BLAS speed
(C and O at least ``MIN_CHANNELS``) and the thrown-away rows are few (``MAX_GRID_RATIO``);
otherwise ``ops/conv.py`` builds columns.
"""

from __future__ import annotations

from gradiente import _blas, parallel
from gradiente.backend import ndarray, xp
from gradiente.ops.gemm import gemm_chunks
from gradiente.ops.im2col import _Geometry, _pad_nhwc, _scratch

# Below this many input or output channels a tap's (R × C)·(C × O) product is too thin for
# BLAS to run near its peak, and im2col's one (R × kh·kw·C) product wins (LeNet's 1 → 6 and
# 6 → 16 convolutions). Measured on a 2-vCPU Zen 5 (benchmarks/RESULTS.md).
MIN_CHANNELS = 16

# The grid's extra rows are computed and thrown away: above this ratio of grid pixels to output
# pixels (Hs·Ws / OH·OW; 1.06 for 32×32 with padding 1, 1.13 for 16×16, 1.27 for 8×8) the
# waste outweighs the columns saved (measured on a 2-vCPU Zen 5: 8×8 images lose).
MAX_GRID_RATIO = 1.2

# With gradiente running the products' threads, the rows are split in blocks of at least this
# many (ops/gemm.py). A thread's (1024 × C)·(C × O) products still run at BLAS speed, and a
# 16×16 layer's 18,496 grid rows then go to up to 18 threads (with 4096, to 4 of 16 cores).
_MIN_ROWS_PER_THREAD = 1024

# The weight gradient takes the rows in blocks of this many: a block of the image and of the
# gradient stays in a core's cache across the kernel's taps (best of 1024–8192, measured on
# the VGG-style layers with 32 and 64 channels).
_WEIGHT_GRAD_BLOCK = 4096

enabled = True  # ops/conv.py asks ``applies``; tests switch the path off to compare


def grid(geom) -> tuple[int, int]:
    """(Hs, Ws): the grid cell of one image, its padding shared between neighbours."""
    (H, W), (OH, OW) = geom.image, geom.out
    pt, pb, pl, pr = geom.padding
    return max(H + max(pt, pb), OH), max(W + max(pl, pr), OW)


def applies(geom, in_channels: int, out_channels: int, image) -> bool:
    """Whether the shifted-GEMM path computes this convolution of the unpadded CPU image
    (N, H, W, C)."""
    Hs, Ws = grid(geom)
    return (
        enabled
        and geom.stride == (1, 1)
        and geom.groups == 1
        and geom.kernel != (1, 1)
        and min(geom.padding) >= 0
        and min(in_channels, out_channels) >= MIN_CHANNELS
        and type(image) is ndarray
        and image.dtype.kind == "f"
        and image.dtype.itemsize in (4, 8)
        and image.size > 0
        and Hs * Ws <= MAX_GRID_RATIO * geom.out[0] * geom.out[1]
        and _blas.available()
    )


def _offsets(geom, row_width: int) -> list[int]:
    """off(i, j) = d·i·Ws + d·j for the taps in row-major order."""
    (kh, kw), (dh, dw) = geom.kernel, geom.dilation
    return [i * dh * row_width + j * dw for i in range(kh) for j in range(kw)]


def to_grid(image, geom):
    """(X, lead): the (N, H, W, C) image on the grid as a matrix of rows, zeros around it.

    X has lead zero rows first (what the first pixels' taps read above and left of the
    image), then N·Hs·Ws grid rows, then enough zero rows for the last pixels' taps.
    """
    N, H, W, C = image.shape
    Hs, Ws = grid(geom)
    pt, _, pl, _ = geom.padding
    lead, cells = pt * Ws + pl, N * Hs * Ws
    tail = max(0, _offsets(geom, Ws)[-1] - lead)
    X = _scratch.empty((lead + cells + tail, C), image.dtype)
    X[:lead] = 0
    X[lead + cells :] = 0
    cell = X[lead : lead + cells].reshape(N, Hs, Ws, C)

    def place(a, b):  # images a..b: their cells, zeros below and right of each image
        cell[a:b, H:] = 0
        cell[a:b, :H, W:] = 0
        cell[a:b, :H, :W] = image[a:b]

    parallel.over_count(place, N, X.nbytes)  # a memory-bound copy: over the cores
    return X, lead


def conv(image, w, geom, X=None, into_scratch=False):
    """Convolution of an unpadded channels-last image (N, H, W, C) with W (O, C, kh, kw),
    padded as ``geom`` says.

    Returns (out, X): the (N, OH, OW, O) result (a view into the grid's result, which is a
    scratch buffer with ``into_scratch``: the caller then copies the view out) and the
    image's grid rows X (``to_grid``; pass them to skip laying the image out again), which
    ``weight_grad`` needs.
    """
    N = image.shape[0]
    O = w.shape[0]
    OH, OW = geom.out
    Hs, Ws = grid(geom)
    if X is None:
        X = to_grid(image, geom)[0]
    offsets = _offsets(geom, Ws)
    taps = w.transpose(2, 3, 1, 0)  # (kh, kw, C, O): W_ij
    taps = xp.ascontiguousarray(taps).reshape(len(offsets), w.shape[1], O)
    Y = (_scratch.empty if into_scratch else xp.empty)((N * Hs * Ws, O), image.dtype)

    def rows(a, b):  # output rows a..b, all taps: independent of the other blocks
        for t, off in enumerate(offsets):
            _blas.gemm(X[off + a : off + b], taps[t], Y[a:b], beta=0.0 if t == 0 else 1.0)

    gemm_chunks(rows, Y.shape[0], _MIN_ROWS_PER_THREAD)
    return Y.reshape(N, Hs, Ws, O)[:, :OH, :OW], X


def input_grad_geometry(geom):
    """The stride-1 convolution that gives the input gradient: over the (N, OH, OW, O)
    output gradient, padded by d·(k − 1) − p on each side, to (H, W) pixels."""
    (kh, kw), (dh, dw) = geom.kernel, geom.dilation
    reach_h, reach_w = dh * (kh - 1), dw * (kw - 1)
    pt, pb, pl, pr = geom.padding
    padding = (reach_h - pt, reach_h - pb, reach_w - pl, reach_w - pr)
    inner = (geom.kernel, (1, 1), padding, geom.dilation, geom.groups, geom.out, geom.image, 2)
    return _Geometry(*inner)


def input_grad(gh, w, geom):
    """(dx, G): dL/dx (N, H, W, C) from the (N, OH, OW, O) output gradient, as the
    convolution of the gradient with the kernel flipped in space and transposed in channels
    (dL/dx[c, h, w] = Σ_{o,i,j} g[o, h + p − d·i, w + p − d·j] · W[o, c, i, j]); and the
    gradient on the forward's grid for ``weight_grad`` when the two grids agree, else None."""
    inner = input_grad_geometry(geom)
    flipped = xp.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    G, lead = to_grid(gh, inner)
    dx = conv(gh, flipped, inner, G)[0]
    Hs, Ws = grid(geom)
    if grid(inner) != (Hs, Ws):
        return dx, None
    return dx, G[lead : lead + gh.shape[0] * Hs * Ws]


def weight_grad(X, gh, geom, w_shape, G=None):
    """dL/dW (O, C, kh, kw) from the image's grid rows X (``to_grid``) and the (N, OH, OW, O)
    output gradient (or, already on the grid, G).

    dW_ij = Σ_o X[o + off(i, j)]ᵀ G[o] is a product with a small (C × O) result and a long
    inner dimension (every pixel), which BLAS runs slowly: it reads all of X and G once per
    tap. So the rows are taken in blocks of ``_WEIGHT_GRAD_BLOCK`` that stay in the cache,
    and for each block the kw taps of a kernel row are put side by side, once:
    Xw[r] = [X[r + d·0], X[r + d·1], …, X[r + d·(kw − 1)]] (kw·C numbers). Then kernel row i is
    one (kw·C × O) product, dW_i· += Xw[rows + d·i·Ws]ᵀ G[rows]: kh products per block
    instead of kh·kw thinner ones (measured 1.4–2× faster on the VGG-style layers).
    """
    O, C, kh, kw = w_shape
    Hs, Ws = grid(geom)
    OH, OW = geom.out
    dh, dw = geom.dilation
    if G is None:  # the gradient on the grid: zeros below and right of it (only there)
        G = _pad_nhwc(gh, (0, Hs - OH, 0, Ws - OW)).reshape(-1, O)
    row_offsets = [i * dh * Ws for i in range(kh)]
    column_offsets = [j * dw for j in range(kw)]
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
    parallel.run_chunks(rows, G.shape[0], grain=_MIN_ROWS_PER_THREAD, min_threads=2)
    blocks = [partial[a] for a in sorted(partial)]  # in row order: the same sum every run
    dw_sum = sum(blocks[1:], blocks[0])
    return dw_sum.reshape(kh, kw, C, O).transpose(3, 2, 0, 1)
