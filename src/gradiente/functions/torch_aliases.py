"""torch's top-level second names and small switches: ``torch.split_with_sizes``,
``torch.spmm``, the real-tensor no-ops ``torch.conj``/``resolve_conj``/``resolve_neg``,
``torch.real``, ``torch.is_same_size``/``is_signed``/``is_inference``/``get_device``,
``torch.from_dlpack``, and the settings ``set_flush_denormal``, ``set_warn_always`` (with
``warn_once``, torch's once-per-process warnings) and the deterministic debug mode.
"""

from __future__ import annotations

import warnings

from gradiente.backend import xp
from gradiente.functions import settings
from gradiente.tensor import Tensor

__all__ = [
    "adjoint",
    "conj",
    "conj_physical",
    "from_dlpack",
    "get_deterministic_debug_mode",
    "get_device",
    "is_conj",
    "is_deterministic_algorithms_warn_only_enabled",
    "is_inference",
    "is_neg",
    "is_same_size",
    "is_signed",
    "is_warn_always_enabled",
    "real",
    "resolve_conj",
    "resolve_neg",
    "set_deterministic_debug_mode",
    "set_flush_denormal",
    "set_warn_always",
    "split_with_sizes",
    "spmm",
]


def split_with_sizes(input: Tensor, split_sizes, dim: int = 0):
    return input.split_with_sizes(split_sizes, dim)


def spmm(input: Tensor, mat2: Tensor) -> Tensor:
    """``torch.spmm``: the matrix product, which PyTorch also takes for a dense ``input``
    (gradiente's tensors are all dense; see ``gradiente.sparse``)."""
    return input.mm(mat2)


def conj(input: Tensor) -> Tensor:
    return input.conj()


def conj_physical(input: Tensor) -> Tensor:
    return input.conj_physical()


def resolve_conj(input: Tensor) -> Tensor:
    return input.resolve_conj()


def resolve_neg(input: Tensor) -> Tensor:
    return input.resolve_neg()


def is_conj(input: Tensor) -> bool:
    return input.is_conj()


def is_neg(input: Tensor) -> bool:
    return input.is_neg()


def adjoint(input: Tensor) -> Tensor:
    return input.adjoint()


def real(input: Tensor) -> Tensor:
    """The real part: the tensor itself, for a real tensor."""
    return input.real


def is_same_size(input: Tensor, other: Tensor) -> bool:
    return input.is_same_size(other)


def is_signed(input: Tensor) -> bool:
    return input.is_signed()


def is_inference(input: Tensor) -> bool:
    return input.is_inference()


def get_device(input: Tensor) -> int:
    return input.get_device()


def from_dlpack(ext_tensor) -> Tensor:
    """A tensor sharing the memory of ``ext_tensor``, any object with ``__dlpack__`` (a NumPy
    array, a tensor of another library) or a gradiente tensor."""
    array = ext_tensor._data if isinstance(ext_tensor, Tensor) else ext_tensor
    return Tensor._make(xp.from_dlpack(array), False, None)


def set_flush_denormal(mode: bool) -> bool:
    """Whether flushing denormal floats to zero could be turned on: False, as torch answers
    where the CPU cannot. gradiente computes with NumPy, which keeps denormals, so results
    stay as exact as IEEE arithmetic makes them (torch returns True on x86 and flushes)."""
    return False


_WARN_ALWAYS = [False]


def set_warn_always(b: bool) -> None:
    """Recorded (torch's switch to repeat its warn-once warnings each time)."""
    _WARN_ALWAYS[0] = bool(b)


def is_warn_always_enabled() -> bool:
    return _WARN_ALWAYS[0]


_WARNED: set[str] = set()


def warn_once(message: str, stacklevel: int = 3) -> None:
    """A UserWarning that torch raises once per process (its ``TORCH_WARN_ONCE``), or on
    every call after ``set_warn_always(True)``; ``stacklevel`` 3 names the line that called
    the function calling this."""
    if message in _WARNED and not _WARN_ALWAYS[0]:
        return
    _WARNED.add(message)
    warnings.warn(message, UserWarning, stacklevel=stacklevel)


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode) -> None:
    """``use_deterministic_algorithms`` by number or name: 0 "default" (off), 1 "warn"
    (on, warn only), 2 "error" (on)."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(
                "invalid value of debug_mode, expected one of `default`, `warn`, `error`, "
                f"but got {debug_mode}"
            )
        debug_mode = _DEBUG_MODES[debug_mode]
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(
            f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}"
        )
    settings.use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """0 when deterministic algorithms are off, 1 when on with ``warn_only``, 2 when on."""
    if not settings.are_deterministic_algorithms_enabled():
        return 0
    return 1 if settings.is_deterministic_algorithms_warn_only_enabled() else 2


is_deterministic_algorithms_warn_only_enabled = (
    settings.is_deterministic_algorithms_warn_only_enabled
)
