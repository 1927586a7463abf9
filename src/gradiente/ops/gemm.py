"""Matrix products on gradiente's threads, for ``set_gemm_threading("gradiente")``.

In that mode BLAS runs single-threaded and a large product is cut here into blocks of rows,
one per thread of ``gradiente.parallel`` (NumPy releases the GIL inside ``matmul``, so the
blocks run at the same time). Two shapes occur in training:

- ``matmul(a, b)``, a tall product (M × K)(K × N) with many rows M (a layer's forward, its
  input gradient): row block i of the result is row block i of ``a`` times ``b``;
- ``matmul_tn(a, b)``, aᵀ b over a long shared dimension (a weight gradient, Σ over the rows of
  a batch): each thread multiplies its block of rows, and the small partial results are added.

In the default mode ("blas"), or with one thread, or for a small product, each is one
``numpy.matmul``: BLAS threads it itself.
"""

from __future__ import annotations

from gradiente import _blas, parallel
from gradiente.backend import ndarray, xp

# A product is split only with at least this many multiply-adds, in blocks of at least
# MIN_ROWS rows per thread (a hand-off to a thread costs tens of microseconds).
MIN_MULTIPLY_ADDS = 1 << 20
MIN_ROWS = 256
# The block of rows a thread multiplies at a time: a few hundred kB of a and b or of the
# result, which stay in its core's cache (best of 512-16384 rows, measured on LeNet's
# convolutions: their products have few columns and very many rows).
ROW_BLOCK = TN_BLOCK = 4096


def _split(a, b) -> bool:
    """Whether to cut the product of the 2-D CPU arrays ``a`` and ``b`` (one dtype), sharing
    ``a``'s rows (a @ b, or aᵀ @ b), into blocks of rows."""
    return (
        parallel.gemm_threading() == "gradiente"
        and parallel.num_threads() > 1
        and type(a) is ndarray
        and type(b) is ndarray
        and a.ndim == 2
        and b.ndim == 2
        and a.dtype == b.dtype
        and a.shape[0] >= 2 * MIN_ROWS
        and a.shape[0] * a.shape[1] * b.shape[1] >= MIN_MULTIPLY_ADDS
    )


def matmul(a, b, out=None):
    """a @ b (into ``out`` if given), by blocks of a's rows over the threads when it pays."""
    if not _split(a, b):
        return xp.matmul(a, b, out=out)
    if out is None:
        out = xp.empty((a.shape[0], b.shape[1]), dtype=a.dtype)

    def rows(i, j):  # in blocks that stay in cache (LeNet's first convolution: 270 → 170 µs)
        for start in range(i, j, ROW_BLOCK):
            stop = min(j, start + ROW_BLOCK)
            xp.matmul(a[start:stop], b, out=out[start:stop])

    parallel.run_chunks(rows, a.shape[0], grain=MIN_ROWS, min_threads=2)
    return out


def matmul_tn(a, b):
    """aᵀ @ b for a (R × M) and b (R × N) sharing their many rows R: Σ_r a[r]ᵀ b[r].

    A weight gradient's product has a small result and a long inner dimension (R = 50,176
    rows for LeNet's first convolution), and BLAS reads all of a and b from memory for it.
    Taken in blocks of ``TN_BLOCK`` rows, each block of a and b stays in a core's cache while
    it is multiplied (LeNet's 25 × 6 and 150 × 16 weight gradients: 2-3× faster). The rows
    are also cut into one run per thread when that pays, and the partial (M × N) sums added
    in row order, so that every run gives the same sum.
    """
    split = _split(a, b)
    long = a.shape[0] >= 2 * TN_BLOCK and type(a) is ndarray and type(b) is ndarray
    if not (split or long):
        return a.T @ b
    partial = {}

    def block(i, j):
        partial[i] = _blocked_tn(a[i:j], b[i:j])

    if split:
        parallel.run_chunks(block, a.shape[0], grain=MIN_ROWS, min_threads=2)
    else:
        block(0, a.shape[0])
    blocks = [partial[i] for i in sorted(partial)]
    return sum(blocks[1:], blocks[0])


def _blocked_tn(a, b):
    """Σ over blocks of ``TN_BLOCK`` rows of a[block]ᵀ b[block], accumulated in place (BLAS's
    β = 1 where it can be called directly, gradiente._blas)."""
    direct = _blas.available() and a.dtype == b.dtype and a.dtype.itemsize in (4, 8)
    direct = direct and a.dtype.kind == "f" and a.strides[1] == a.itemsize
    direct = direct and b.strides[1] == b.itemsize
    total = None
    for start in range(0, a.shape[0], TN_BLOCK):
        a_rows, b_rows = a[start : start + TN_BLOCK], b[start : start + TN_BLOCK]
        if total is None:
            total = a_rows.T @ b_rows
            total = total if total.flags.c_contiguous else xp.ascontiguousarray(total)
        elif direct:
            _blas.gemm(a_rows, b_rows, total, trans_a=True, beta=1.0)
        else:
            total += a_rows.T @ b_rows
    return total


def gemm_chunks(work, rows: int, grain: int) -> None:
    """``work(start, stop)`` over ``range(rows)``: the rows of a product that ``work`` computes
    with direct BLAS calls (``gradiente._blas``), one block per thread in "gradiente"
    threading, else one call (BLAS threads each product itself)."""
    if parallel.gemm_threading() == "gradiente":
        parallel.run_chunks(work, rows, grain=grain, min_threads=2)
    else:
        work(0, rows)
