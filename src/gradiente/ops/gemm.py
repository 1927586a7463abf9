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

from gradiente import parallel
from gradiente.backend import ndarray, xp

# A product is split only with at least this many multiply-adds, in blocks of at least
# MIN_ROWS rows per thread (a hand-off to a thread costs tens of microseconds).
MIN_MULTIPLY_ADDS = 1 << 20
MIN_ROWS = 256


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
    parallel.run_chunks(
        lambda i, j: xp.matmul(a[i:j], b, out=out[i:j]),
        a.shape[0],
        grain=MIN_ROWS,
        min_threads=2,
    )
    return out


def matmul_tn(a, b):
    """aᵀ @ b for a (R × M) and b (R × N) sharing their many rows R: Σ_r a[r]ᵀ b[r], the rows
    cut into one block per thread when it pays and the partial (M × N) products added."""
    if not _split(a, b):
        return a.T @ b
    partial = {}

    def block(i, j):
        partial[i] = a[i:j].T @ b[i:j]

    parallel.run_chunks(block, a.shape[0], grain=MIN_ROWS, min_threads=2)
    blocks = [partial[i] for i in sorted(partial)]  # in row order: the same sum every run
    return sum(blocks[1:], blocks[0])


def gemm_chunks(work, rows: int, grain: int) -> None:
    """``work(start, stop)`` over ``range(rows)``: the rows of a product that ``work`` computes
    with direct BLAS calls (``gradiente._blas``), one block per thread in "gradiente"
    threading, else one call (BLAS threads each product itself)."""
    if parallel.gemm_threading() == "gradiente":
        parallel.run_chunks(work, rows, grain=grain, min_threads=2)
    else:
        work(0, rows)
