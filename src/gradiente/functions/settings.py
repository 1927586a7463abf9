"""Dtype limits and global settings: finfo, iinfo, the default device, threads, determinism,
matmul precision, compile (a no-op) and the default generator's state."""

from __future__ import annotations

import os

from gradiente import backend as B
from gradiente import parallel
from gradiente.backend import xp
from gradiente.tensor import (
    Tensor,
    common,
)


class finfo:
    """Machine limits of a floating dtype (``torch.finfo``)."""

    def __init__(self, type=None):
        self.dtype = (B.get_default_dtype() if type is None else B.to_dtype(type)).name
        info = B.finfo(B.to_dtype(self.dtype).np)
        self.bits = info.bits
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = 10.0**-info.precision

    def __repr__(self):
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:
    """Machine limits of an integer dtype (``torch.iinfo``)."""

    def __init__(self, type):
        self.dtype = B.to_dtype(type).name
        info = xp.iinfo(B.to_dtype(type).np)
        self.bits, self.max, self.min = info.bits, int(info.max), int(info.min)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def set_default_device(device) -> None:
    """Make factories given no ``device=`` (``zeros``, ``tensor``, ``randn``, a layer's
    parameters, ...) put their tensors on ``device``, as ``torch.set_default_device``; None or
    "cpu" restores the CPU. The numbers are still drawn on the CPU, so seeds give torch's CPU
    values on any device."""
    if device is None:
        common._DEFAULT_DEVICE[0] = None
        return
    d = common.device(device)
    common._check_default_device(d)
    common._DEFAULT_DEVICE[0] = None if d.type == "cpu" else d


def get_default_device():
    """The device factories use when given none (``torch.get_default_device``); a bare
    "cuda" default reads as the current CUDA device, as torch reports it."""
    d = common._DEFAULT_DEVICE[0]
    if d is None:
        return common.device("cpu")
    return common.device("cuda", common._device_index(d))


_THREADS: list[int | None] = [None]  # None: not set yet, the BLAS pool's own size


def _blas_pools():
    """NumPy's BLAS thread pools (threadpoolctl), or [] where threadpoolctl is missing."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [p for p in threadpool_info() if p["user_api"] == "blas"]


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for the heavy work, as ``torch.set_num_threads`` sizes torch's intra-op
    pool: NumPy's BLAS (matrix products, convolution's GEMMs) through threadpoolctl, and
    gradiente's own chunked array work (``gradiente.parallel``: Winograd transforms, ...)."""
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _THREADS[0] = n
    parallel.set_threads(n)
    parallel.limit_blas_threads()


def set_gemm_threading(mode: str) -> None:
    """Who runs the matrix products' threads: "auto" (the default: BLAS until the program's
    first convolution on the CPU, gradiente from then on), "blas" (NumPy's BLAS) or
    "gradiente" (BLAS single-threaded, gradiente's pool cuts each large product into blocks
    of rows, and splits memory-bound work from two threads on; no thread spins while idle,
    which suits a machine shared with other jobs). See ``gradiente.parallel``; the
    environment variable ``GRADIENTE_GEMM_THREADS`` sets it at import."""
    parallel.set_gemm_threading(mode)


if parallel.gemm_threading() == "gradiente":  # GRADIENTE_GEMM_THREADS=gradiente
    parallel.limit_blas_threads()


def get_num_threads() -> int:
    """The number of threads ``set_num_threads`` set, else the BLAS pool's (else the cores)."""
    if _THREADS[0] is not None:
        return _THREADS[0]
    if parallel.gemm_threading() == "gradiente":  # BLAS has one; gradiente's pool the rest
        return parallel.num_threads()
    pools = _blas_pools()
    return max((p["num_threads"] for p in pools), default=os.cpu_count() or 1)


def set_num_interop_threads(n: int) -> None:
    """Accepted for compatibility (gradiente runs one op at a time)."""


def get_num_interop_threads() -> int:
    return 1


_DETERMINISTIC = [False]
_DETERMINISTIC_WARN_ONLY = [False]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Recorded only: gradiente's CPU kernels are always deterministic."""
    _DETERMINISTIC[0] = bool(mode)
    _DETERMINISTIC_WARN_ONLY[0] = bool(warn_only)


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _DETERMINISTIC_WARN_ONLY[0]


def are_deterministic_algorithms_enabled() -> bool:
    return _DETERMINISTIC[0]


_MATMUL_PRECISION = ["highest"]


def set_float32_matmul_precision(precision: str) -> None:
    """Recorded only: NumPy multiplies float32 matrices in float32."""
    _MATMUL_PRECISION[0] = precision


def get_float32_matmul_precision() -> str:
    return _MATMUL_PRECISION[0]


# gradiente.nn puts here, when imported, the function that wraps a module as torch.compile
# does (nn.compiled.OptimizedModule): nn is a layer above this module.
MODULE_COMPILER: list = [None]


def compile(model=None, **kwargs):  # noqa: A001 (PyTorch's name)
    """``torch.compile`` has nothing to compile here: everything runs eagerly. A module comes
    back wrapped as torch wraps it (an ``OptimizedModule``: the same parameters, under state-dict
    keys prefixed ``_orig_mod.``), a function as is; ``disable=True`` returns the model itself.
    Without a model it is a decorator."""
    if model is None:
        return lambda m: compile(m, **kwargs)
    if kwargs.get("disable") or MODULE_COMPILER[0] is None:
        return model
    return MODULE_COMPILER[0](model)


def get_rng_state():
    """The default generator's state as a uint8 tensor (PyTorch's 5056-byte layout)."""
    from gradiente import random as _random

    return Tensor._make(_random.get_rng_state(), False, None)


def set_rng_state(new_state) -> None:
    """Restore the default generator from ``get_rng_state()``'s tensor."""
    from gradiente import random as _random

    state = new_state._data if isinstance(new_state, Tensor) else new_state
    _random.set_rng_state(state)
