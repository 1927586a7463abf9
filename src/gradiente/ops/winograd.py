"""Winograd's F(2×2, 3×3): 3×3 stride-1 convolutions with 2.25× fewer multiplications.

A 3×3 convolution computes each 2×2 block of outputs from the 4×4 block of input around it,
with 36 multiplications per channel pair. Winograd's minimal filtering algorithm (Lavin &
Gray, "Fast Algorithms for Convolutional Neural Networks", 2016) gets the same 4 outputs
with 16: transform the input tile d (4×4) and the kernel w (3×3) into a 4×4 "Winograd
domain", multiply there element by element, and transform back:

    Y = Aᵀ [ (G w Gᵀ) ⊙ (Bᵀ d B) ] A

        Bᵀ = [1  0 −1  0]      G = [ 1    0    0 ]      Aᵀ = [1  1  1  0]
             [0  1  1  0]          [ ½    ½    ½ ]           [0  1 −1 −1]
             [0 −1  1  0]          [ ½   −½    ½ ]
             [0  1  0 −1]          [ 0    0    1 ]

With many channels the element-wise product becomes, for each of the 16 positions ξ of the
4×4 domain, one matrix product over the channels:

    M[ξ] = V[ξ] @ U[ξ]      V[ξ]: (tiles, C) transformed input,  U[ξ]: (C, O) kernel

so a convolution is 16 batched GEMMs of (N·H·W/4, C) @ (C, O), 16·C·O multiplications per
2×2 outputs instead of im2col's 36·C·O. The transforms are additions only (Bᵀ, Aᵀ hold 0 and
±1; G's halves are applied once per kernel), so the rounding error stays that of the direct
sum (measured in ``tests/ops/test_winograd.py``: max relative error about 1e-6 in float32,
1e-15 in float64, like im2col's).

Gradients come from the same algebra. dL/dx of a stride-1 convolution is the convolution of
the padded gradient with the flipped, transposed kernel — again a 3×3 stride-1 convolution.
dL/dW follows from the chain rule through the transforms: with ``Gy[ξ] = (A gY Aᵀ)[ξ]``,

    dL/dU[ξ] = Gy[ξ]ᵀ @ V[ξ]       (O, tiles) @ (tiles, C)
    dL/dW    = Gᵀ (dL/dU) G

reusing the transformed input V that the forward pass saved (4 numbers per input number,
against im2col's 9).

Everything here works on channels-last (N, H, W, C) arrays, the layout of ``ops/conv.py``.
The tile transforms run image by image in chunks over gradiente's threads (``parallel``).
"""

from __future__ import annotations

import os
import threading

from gradiente.backend import xp
from gradiente.ops.im2col import _pad_nhwc, _scratch
from gradiente.parallel import gemm_threading, num_threads, run_chunks

_as_strided = xp.lib.stride_tricks.as_strided

B_T = ((1, 0, -1, 0), (0, 1, 1, 0), (0, -1, 1, 0), (0, 1, 0, -1))
G = ((1.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0.0, 0.0, 1.0))
A_T = ((1, 1, 1, 0), (0, 1, -1, -1))
A = tuple(zip(*A_T))  # the transpose: for the adjoint of the output transform

# Below these channel counts the transforms cost more than the GEMM saves (a 3-channel first
# layer measured 3-5x slower this way).
MIN_CHANNELS = 16

# When to use it (as ``torch.backends.cudnn`` has switches): True always, False never (the
# default), "auto" when gradiente runs single-threaded. It used to be "auto" by default: with
# OpenBLAS's AVX2 kernels the VGG-style step took 129-133 ms this way against 152-154 ms with
# im2col, single-threaded. With the AVX-512 kernels a current OpenBLAS picks on the same CPU,
# the GEMMs it saves cost less than its transforms (32x32 and 14x14 layers 1.01-1.05x im2col's
# time, an 8x8 one 1.27x, a 7x7 256-channel one 3.7x), and stride-1 layers on larger images
# take ops/shifted_conv.py, faster still (benchmarks/RESULTS.md). GRADIENTE_WINOGRAD=0/1/auto.
enabled: bool | str = {"1": True, "auto": "auto"}.get(os.environ.get("GRADIENTE_WINOGRAD"), False)


def applies(geom, in_channels: int, out_channels: int, dtype) -> bool:
    """Whether this convolution is one Winograd F(2×2, 3×3) computes here."""
    return (
        (enabled is True or (enabled == "auto" and num_threads() == 1))
        and geom.spatial == 2
        and geom.kernel == (3, 3)
        and geom.stride == (1, 1)
        and geom.dilation == (1, 1)
        and geom.groups == 1
        and min(in_channels, out_channels) >= MIN_CHANNELS
        and dtype in (xp.float32, xp.float64)
    )


def _combine(matrix, terms, outs) -> None:
    """outs[i] = Σ_a matrix[i][a] · terms[a], for a small matrix of 0 and ±1 entries.

    One NumPy call per non-zero entry after the first two: the Bᵀ rows have two non-zeros
    (one subtraction or addition per output), Aᵀ's rows three.
    """
    for row, out in zip(matrix, outs):
        nz = [(c, t) for c, t in zip(row, terms) if c != 0]
        (c0, t0), rest = nz[0], nz[1:]
        if not rest:
            xp.multiply(t0, c0, out=out)
            continue
        c1, t1 = rest[0]
        if c0 == 1:
            (xp.add if c1 == 1 else xp.subtract)(t0, t1, out=out)
        else:  # −t0 ± t1
            (xp.subtract if c1 == 1 else xp.add)(t1, t0, out=out)
            if c1 == -1:
                xp.negative(out, out=out)
        for c, t in rest[1:]:
            (xp.add if c == 1 else xp.subtract)(out, t, out=out)


def _tiles(ap, th: int, tw: int):
    """(N, th, tw, 4, 4, C) view of the overlapping 4×4 input tiles, 2 apart."""
    sn, sh, sw, sc = ap.strides
    shape = (ap.shape[0], th, tw, 4, 4, ap.shape[3])
    return _as_strided(ap, shape, (sn, 2 * sh, 2 * sw, sh, sw, sc), writeable=False)


_local = threading.local()


def _chunk_buffer(name: str, shape, dtype):
    """A per-thread temporary, kept from call to call: a fresh megabyte from malloc is mapped
    and zeroed page by page on first touch, which would cost more than the additions."""
    cache = _local.__dict__.setdefault("buffers", {})
    key = (name, shape, dtype)
    if key not in cache:
        if len(cache) > 16:
            cache.clear()
        cache[key] = xp.empty(shape, dtype)
    return cache[key]


def _grain(per_image: int) -> int:
    """Images per chunk so that a chunk's transform (a few passes) stays in cache (~1 MB)."""
    return max(1, (1 << 18) // max(per_image, 1))


def input_transform(ap, th: int, tw: int):
    """V = Bᵀ d B for every tile: (16, N·th·tw, C), from the padded image (N, 2th+2, 2tw+2, C).

    Per chunk of images: one copy gathers the tiles position-major, (4, 4, images, th, tw, C),
    so that each of the 32 additions below runs over contiguous memory (on the strided tile
    view, where only C numbers are contiguous, each would be about 5× slower); the chunk's
    temporaries are small enough to stay in cache.
    """
    N, C = ap.shape[0], ap.shape[3]
    V = _scratch.empty((4, 4, N, th, tw, C), ap.dtype)

    def work(n0, n1):
        shape = (4, 4, n1 - n0, th, tw, C)
        d = _chunk_buffer("tiles", shape, ap.dtype)
        xp.copyto(d, _tiles(ap[n0:n1], th, tw).transpose(3, 4, 0, 1, 2, 5))
        rows = _chunk_buffer("rows", shape, ap.dtype)
        # Bᵀ d: each row i of the result is a combination of the tile's rows a (all columns
        # at once); then (Bᵀ d) B: each column j a combination of the columns b (all rows)
        _combine(B_T, [d[a] for a in range(4)], [rows[i] for i in range(4)])
        _combine(B_T, [rows[:, b] for b in range(4)], [V[:, j, n0:n1] for j in range(4)])

    run_chunks(work, N, _grain(th * tw * C * 16))
    return V.reshape(16, N * th * tw, C)


def output_transform(M, N: int, th: int, tw: int, bias=None):
    """Y = Aᵀ M A (+ bias) for every tile: (16, N·th·tw, O) -> (N, 2th, 2tw, O).

    The bias is added to each chunk while it is in cache (saving a pass over the output)."""
    O = M.shape[2]
    M = M.reshape(4, 4, N, th, tw, O)
    Y = xp.empty((N, th, 2, tw, 2, O), M.dtype)

    def work(n0, n1):
        part = M[:, :, n0:n1]
        rows = _chunk_buffer("out_rows", (2, 4, n1 - n0, th, tw, O), M.dtype)
        _combine(A_T, [part[i] for i in range(4)], rows)  # Aᵀ M
        y = _chunk_buffer("out_tiles", (2, 2, n1 - n0, th, tw, O), M.dtype)
        _combine(A_T, [rows[:, j] for j in range(4)], [y[:, v] for v in range(2)])  # (Aᵀ M) A
        xp.copyto(Y[n0:n1], y.transpose(2, 3, 0, 4, 1, 5))  # tiles back in place: one copy
        if bias is not None:
            Y[n0:n1] += bias

    run_chunks(work, N, _grain(th * tw * O * 16))
    return Y.reshape(N, 2 * th, 2 * tw, O)


def output_transform_adjoint(gy, th: int, tw: int):
    """Gy = A gY Aᵀ for every 2×2 gradient tile: (N, 2th, 2tw, O) -> (16, N·th·tw, O).

    The output transform's tiles do not overlap, so its adjoint is tile by tile the
    transposed matrices: Gy[i, j] = Σ_{u,v} Aᵀ[u, i] Aᵀ[v, j] gY[u, v].
    """
    N, O = gy.shape[0], gy.shape[3]
    g = gy.reshape(N, th, 2, tw, 2, O)
    Gy = _scratch.empty((4, 4, N, th, tw, O), gy.dtype)

    def work(n0, n1):
        part = _chunk_buffer("grad_tiles", (2, 2, n1 - n0, th, tw, O), gy.dtype)
        xp.copyto(part, g[n0:n1].transpose(2, 4, 0, 1, 3, 5))  # position-major, contiguous
        rows = _chunk_buffer("grad_rows", (4, 2, n1 - n0, th, tw, O), gy.dtype)
        _combine(A, [part[u] for u in range(2)], [rows[i] for i in range(4)])  # A gY
        _combine(A, [rows[:, v] for v in range(2)], [Gy[:, j, n0:n1] for j in range(4)])  # ·Aᵀ

    run_chunks(work, N, _grain(th * tw * O * 16))
    return Gy.reshape(16, N * th * tw, O)


def _positions(gemms) -> None:
    """``gemms(a, b)`` computes the products of Winograd positions a..b (of 16): split over
    gradiente's threads when they run the products (``parallel.gemm_threading``), since BLAS
    is then single-threaded; else one call, which BLAS threads itself."""
    if gemm_threading() == "gradiente":
        run_chunks(gemms, 16, grain=1, min_threads=2)
    else:
        gemms(0, 16)


def kernel_transform(w):
    """U = G w Gᵀ per channel pair: (O, C, 3, 3) -> (16, C, O), contiguous for the GEMMs."""
    g = xp.asarray(G, dtype=w.dtype)
    U = xp.einsum("ia,ocab,jb->ijco", g, w, g)
    return xp.ascontiguousarray(U.reshape(16, w.shape[1], w.shape[0]))


def _padded_to_tiles(ap, out_h: int, out_w: int):
    """The padded image with extra zero rows/columns so the output is whole 2×2 tiles."""
    th, tw = -(-out_h // 2), -(-out_w // 2)
    extra_h, extra_w = 2 * th + 2 - ap.shape[1], 2 * tw + 2 - ap.shape[2]
    if extra_h or extra_w:
        ap = _pad_nhwc(ap, (0, extra_h, 0, extra_w))
    return ap, th, tw


def conv3x3(ap, w, bias=None):
    """The valid 3×3 convolution of a padded (N, Hp, Wp, C) image with w (O, C, 3, 3), plus
    an optional bias (O,).

    Returns the output (N, Hp−2, Wp−2, O) and the transformed input tiles (for dL/dW).
    """
    N, Hp, Wp, _ = ap.shape
    out_h, out_w = Hp - 2, Wp - 2
    ap, th, tw = _padded_to_tiles(ap, out_h, out_w)
    V = input_transform(ap, th, tw)
    U = kernel_transform(w)
    M = _scratch.empty((16, V.shape[1], U.shape[2]), ap.dtype)
    _positions(lambda a, b: xp.matmul(V[a:b], U[a:b], out=M[a:b]))  # the 16 GEMMs
    Y = output_transform(M, N, th, tw, bias)
    if Y.shape[1] != out_h or Y.shape[2] != out_w:
        Y = Y[:, :out_h, :out_w]
    return Y, (V, th, tw)


def conv3x3_input_grad(gh, w, pads):
    """dL/dx of a stride-1 3×3 convolution with ``pads`` (top, bottom, left, right) ≤ 2.

    The gradient padded by 2 − p on each side, convolved with the kernel flipped in space
    and with its channel axes swapped: w'[c, o, a, b] = w[o, c, 2 − a, 2 − b].
    """
    top, bottom, left, right = pads
    gp = _pad_nhwc(gh, (2 - top, 2 - bottom, 2 - left, 2 - right))
    flipped = xp.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    return conv3x3(gp, flipped)[0]


def conv3x3_weight_grad(tiles, gh, w_dtype):
    """dL/dW (O, C, 3, 3) from the forward's transformed tiles and the output gradient."""
    V, th, tw = tiles
    N, out_h, out_w, O = gh.shape
    if out_h != 2 * th or out_w != 2 * tw:  # the padded outputs had no effect: gradient 0
        gh = _pad_nhwc(gh, (0, 2 * th - out_h, 0, 2 * tw - out_w))
    Gy = output_transform_adjoint(xp.ascontiguousarray(gh), th, tw)
    dU = xp.empty((16, O, V.shape[2]), V.dtype)
    _positions(lambda a, b: xp.matmul(Gy[a:b].transpose(0, 2, 1), V[a:b], out=dU[a:b]))
    g = xp.asarray(G, dtype=w_dtype)
    return xp.einsum("ia,ijoc,jb->ocab", g, dU.reshape(4, 4, O, V.shape[2]), g)


def applies_to_input_grad(geom) -> bool:
    """The input gradient is a Winograd convolution when every padding is at most 2."""
    return max(geom.padding) <= 2
