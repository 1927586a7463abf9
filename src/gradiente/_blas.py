"""Direct calls to the BLAS that NumPy already uses, for the one thing ``numpy.matmul`` lacks.

``numpy.matmul(a, b, out=c)`` computes c = a·b. BLAS's GEMM computes c = α·op(a)·op(b) + β·c:
with β = 1 a product is *added* to c without a temporary, and the rows of ``a`` may be any
block of a larger matrix (its "leading dimension"). The stride-1 convolution of
``ops/shifted_conv.py`` is a sum of kh·kw such products over shifted blocks of one image, so
it needs exactly that.

No new dependency: threadpoolctl (already required) names the BLAS library NumPy loaded, and
ctypes calls its ``cblas_sgemm``/``cblas_dgemm``. The same library means the same threads
(``set_num_threads`` governs both). NumPy's wheels ship OpenBLAS with 64-bit integers and
renamed symbols (``scipy_cblas_sgemm64_``); other builds use plain names and, usually, C's
32-bit ``int`` (an OpenBLAS says which in its configuration string).

Before it is used, the call is checked once against ``numpy.matmul`` on small matrices; if
no symbol is found or the check fails, ``available`` is False and callers keep their
NumPy-only path. ``GRADIENTE_DIRECT_BLAS=0`` turns it off.
"""

from __future__ import annotations

import ctypes
import os
import threading

from gradiente.backend import xp

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_SYMBOLS = ("scipy_cblas_{}gemm64_", "cblas_{}gemm64_", "scipy_cblas_{}gemm", "cblas_{}gemm")

_state: dict = {"checked": False, "gemm": {}}
_lock = threading.Lock()


def _blas_library_paths() -> list[str]:
    """The files of the BLAS libraries loaded into this process (NumPy's first)."""
    try:
        from threadpoolctl import threadpool_info  # noqa: PLC0415 - only on first use
    except ImportError:
        return []
    paths = [p["filepath"] for p in threadpool_info() if p["user_api"] == "blas"]
    return sorted(paths, key=lambda path: "numpy" not in path)  # NumPy's own first


def _integer_type(library, symbol: str):
    """The C type of the library's BLAS integers: 64-bit for the "64_" symbols and for an
    OpenBLAS built with USE64BITINT, else C's int."""
    if symbol.endswith("64_"):
        return ctypes.c_int64
    config = getattr(library, "openblas_get_config", None)
    if config is not None:
        config.restype = ctypes.c_char_p
        if b"USE64BITINT" in (config() or b""):
            return ctypes.c_int64
    return ctypes.c_int


def _load(kind: str, library) -> ctypes._CFuncPtr | None:
    """The ``cblas_<kind>gemm`` function of ``library`` with its argument types, or None."""
    for name in _SYMBOLS:
        symbol = name.format(kind)
        function = getattr(library, symbol, None)
        if function is None:
            continue
        i, p = _integer_type(library, symbol), ctypes.c_void_p
        real = ctypes.c_float if kind == "s" else ctypes.c_double
        # order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc
        function.argtypes = [i, i, i, i, i, i, real, p, i, p, i, real, p, i]
        function.restype = None
        return function
    return None


def _self_check() -> bool:
    """One small product of each kind, with β = 1 and a leading dimension, against NumPy."""
    rng = xp.random.default_rng(0)
    for dtype in (xp.float32, xp.float64):
        big = rng.standard_normal((7, 9)).astype(dtype)
        a = big[1:6, :4]  # 5 × 4 rows of a wider matrix: leading dimension 9
        b = rng.standard_normal((4, 3)).astype(dtype)
        c = rng.standard_normal((5, 3)).astype(dtype)
        expected = c + a @ b
        gemm(a, b, c, beta=1.0)
        at = rng.standard_normal((6, 5)).astype(dtype)
        d = xp.zeros((5, 3), dtype)
        gemm(at[:4], b, d, trans_a=True)  # (4 × 5)ᵀ (4 × 3)
        if not (
            xp.allclose(c, expected, rtol=1e-4, atol=1e-4)
            and xp.allclose(d, at[:4].T @ b, rtol=1e-4, atol=1e-4)
        ):
            return False
    return True


def available() -> bool:
    """True when the direct GEMM can be used (found, and checked once against NumPy)."""
    if _state["checked"]:
        return bool(_state["gemm"])
    with _lock:
        if not _state["checked"]:
            _state["checked"] = True
            if os.environ.get("GRADIENTE_DIRECT_BLAS", "1") != "0":
                _find()
    return bool(_state["gemm"])


def _find() -> None:
    for path in _blas_library_paths():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        found = {xp.dtype(d): _load(k, library) for d, k in (("f4", "s"), ("f8", "d"))}
        if all(found.values()):
            _state["gemm"] = found
            try:
                if _self_check():
                    return
            except Exception:  # noqa: BLE001 - any failure means: do not use it
                pass
            _state["gemm"] = {}


def _leading(m) -> int:
    """The leading dimension (row stride, in elements) of a row-major matrix block."""
    rows, columns = m.shape
    if columns > 1 and m.strides[1] != m.itemsize:
        raise ValueError("gemm: a matrix must have contiguous rows")
    if rows <= 1:
        return max(columns, 1)
    leading = m.strides[0] // m.itemsize
    if m.strides[0] % m.itemsize or leading < columns:
        raise ValueError("gemm: a matrix's rows must not overlap")
    return leading


def gemm(a, b, c, *, trans_a: bool = False, beta: float = 0.0) -> None:
    """c = op(a) @ b + beta · c in place, for float32 or float64 row-major blocks.

    ``op(a)`` is ``a`` or, with ``trans_a``, its transpose; each matrix may be a block of
    rows of a larger one (contiguous within a row). ``c`` must not overlap ``a`` or ``b``.
    """
    dtype = c.dtype
    if a.dtype != dtype or b.dtype != dtype:
        raise TypeError("gemm: a, b and c must have the same dtype")
    m, n = c.shape
    k = a.shape[0] if trans_a else a.shape[1]
    if (a.shape[1] if trans_a else a.shape[0]) != m or b.shape != (k, n):
        raise ValueError(f"gemm: shapes {a.shape}, {b.shape} -> {c.shape} do not match")
    _state["gemm"][dtype](
        _ROW_MAJOR,
        _TRANS if trans_a else _NO_TRANS,
        _NO_TRANS,
        m,
        n,
        k,
        1.0,
        a.ctypes.data,
        _leading(a),
        b.ctypes.data,
        _leading(b),
        beta,
        c.ctypes.data,
        _leading(c),
    )
