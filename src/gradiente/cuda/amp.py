"""``gradiente.cuda.amp``: mixed precision is accepted but not done — code under ``autocast``
runs in full precision (float32 stays float32), on the CPU and on CUDA alike.

What *is* kept is torch's autocast state, per device type: whether autocast is on and the
dtype it would cast to. ``torch.is_autocast_enabled("cpu")``, ``torch.get_autocast_dtype``,
``set_autocast_enabled`` and their deprecated ``*_cpu_*``/``*_gpu_*`` forms read and write it,
and every ``autocast`` block sets it on entry and restores it on exit, as torch's does — so a
layer that asks "am I under autocast?" gets torch's answer, even though nothing is cast.
"""

from __future__ import annotations

import functools
import warnings

from gradiente.backend import bfloat16, float16

__all__ = [
    "autocast",
    "autocast_decrement_nesting",
    "autocast_increment_nesting",
    "clear_autocast_cache",
    "get_autocast_cpu_dtype",
    "get_autocast_dtype",
    "get_autocast_gpu_dtype",
    "is_autocast_cache_enabled",
    "is_autocast_cpu_enabled",
    "is_autocast_enabled",
    "set_autocast_cache_enabled",
    "set_autocast_cpu_dtype",
    "set_autocast_cpu_enabled",
    "set_autocast_dtype",
    "set_autocast_enabled",
    "set_autocast_gpu_dtype",
]

# The device types torch's autocast knows, with its default dtype for each.
_DEFAULT_DTYPES = {
    "cpu": bfloat16,
    "cuda": float16,
    "xpu": float16,
    "mps": float16,
    "ipu": float16,
    "hpu": bfloat16,
    "xla": bfloat16,
    "mtia": float16,
    "maia": float16,
    "privateuseone": float16,
}
# Every device type torch's device strings accept (an autocast query for another name fails
# as parsing the device string does).
_DEVICE_TYPES = (
    "cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, lazy, "
    "vulkan, mps, meta, hpu, mtia, privateuseone"
)
_enabled: dict[str, bool] = dict.fromkeys(_DEFAULT_DTYPES, False)
_dtypes = dict(_DEFAULT_DTYPES)
_cache = {"enabled": True, "nesting": 0}


def _autocast_device(device_type) -> str:
    """``device_type`` checked as torch checks it: a str naming an autocast device type."""
    if not isinstance(device_type, str):
        raise TypeError(
            "is_autocast_enabled(): argument 'device_type' (position 1) must be str, not "
            f"{type(device_type).__name__}"
        )
    name = device_type.split(":")[0]
    if name in _DEFAULT_DTYPES:
        return name
    if name in _DEVICE_TYPES.split(", "):
        raise RuntimeError(
            "unknown device type for autocast in get_autocast_dispatch_key_from_device_type"
        )
    raise RuntimeError(
        f"Expected one of {_DEVICE_TYPES} device type at start of device string: {device_type}"
    )


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"{old} is deprecated. Please use {new} instead.", DeprecationWarning, 3)


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether an ``autocast`` block for ``device_type`` is active (without an argument:
    CUDA's, as in torch)."""
    return _enabled[_autocast_device(device_type)]


def set_autocast_enabled(*args) -> None:
    """``set_autocast_enabled(device_type, enabled)``, or ``set_autocast_enabled(enabled)`` for
    CUDA (torch's older form)."""
    device_type, enabled = args if len(args) == 2 else ("cuda", *args)
    _enabled[_autocast_device(device_type)] = bool(enabled)


def get_autocast_dtype(device_type: str):
    """The dtype autocast on ``device_type`` would compute in (bfloat16 on the CPU, float16 on
    CUDA by default; what the innermost ``autocast(dtype=...)`` asked for inside one)."""
    return _dtypes[_autocast_device(device_type)]


def set_autocast_dtype(device_type: str, dtype) -> None:
    _dtypes[_autocast_device(device_type)] = dtype


def is_autocast_cpu_enabled() -> bool:
    _deprecated("torch.is_autocast_cpu_enabled()", "torch.is_autocast_enabled('cpu')")
    return _enabled["cpu"]


def set_autocast_cpu_enabled(enabled: bool) -> None:
    _deprecated(
        "torch.set_autocast_cpu_enabled(enabled)", "torch.set_autocast_enabled('cpu', enabled)"
    )
    _enabled["cpu"] = bool(enabled)


def get_autocast_cpu_dtype():
    _deprecated("torch.get_autocast_cpu_dtype()", "torch.get_autocast_dtype('cpu')")
    return _dtypes["cpu"]


def set_autocast_cpu_dtype(dtype) -> None:
    _deprecated("torch.set_autocast_cpu_dtype(dtype)", "torch.set_autocast_dtype('cpu', dtype)")
    _dtypes["cpu"] = dtype


def get_autocast_gpu_dtype():
    _deprecated("torch.get_autocast_gpu_dtype()", "torch.get_autocast_dtype('cuda')")
    return _dtypes["cuda"]


def set_autocast_gpu_dtype(dtype) -> None:
    _deprecated("torch.set_autocast_gpu_dtype(dtype)", "torch.set_autocast_dtype('cuda', dtype)")
    _dtypes["cuda"] = dtype


def is_autocast_cache_enabled() -> bool:
    return _cache["enabled"]


def set_autocast_cache_enabled(enabled: bool) -> None:
    _cache["enabled"] = bool(enabled)


def autocast_increment_nesting() -> int:
    """Count one more open ``autocast`` block; returns the depth."""
    _cache["nesting"] += 1
    return _cache["nesting"]


def autocast_decrement_nesting() -> int:
    """Count one block closed; returns the depth."""
    _cache["nesting"] -= 1
    return _cache["nesting"]


def clear_autocast_cache() -> None:
    """torch drops its cache of casted weights here; gradiente casts nothing, keeps nothing."""


def enter_autocast(device_type: str, enabled: bool, dtype, cache_enabled=None) -> tuple:
    """Set the state on entering an ``autocast`` block; returns what ``exit_autocast`` needs
    to restore. As in torch, CUDA autocast without a CUDA device, and CPU autocast with a
    dtype other than bfloat16/float16, stay off."""
    device = _autocast_device(device_type)
    dtype = _dtypes[device] if dtype is None else dtype
    if device == "cuda" and enabled:
        from gradiente import cuda  # noqa: PLC0415 - gradiente.cuda imports this module

        enabled = cuda.is_available()
    if device == "cpu" and dtype not in (bfloat16, float16):
        enabled = False
    previous = (device, _enabled[device], _dtypes[device], _cache["enabled"])
    _enabled[device], _dtypes[device] = bool(enabled), dtype
    autocast_increment_nesting()
    if cache_enabled is not None:
        _cache["enabled"] = bool(cache_enabled)
    return previous


def exit_autocast(previous: tuple) -> None:
    """Restore the state that ``enter_autocast`` returned."""
    device, enabled, dtype, cache_enabled = previous
    autocast_decrement_nesting()
    _enabled[device], _dtypes[device], _cache["enabled"] = enabled, dtype, cache_enabled


class autocast:
    """``torch.cuda.amp.autocast``: a context manager and decorator that computes in full
    precision (gradiente has no float16 autocasting) and sets the autocast state for CUDA."""

    def __init__(self, enabled: bool = True, dtype=None, cache_enabled: bool = True) -> None:
        self.enabled = enabled
        self.fast_dtype = dtype
        self._cache_enabled = cache_enabled
        self._previous: list[tuple] = []

    def __enter__(self):
        self._previous.append(
            enter_autocast("cuda", self.enabled, self.fast_dtype, self._cache_enabled)
        )
        return self

    def __exit__(self, *exc) -> None:
        exit_autocast(self._previous.pop())
        return None

    def __call__(self, func):
        @functools.wraps(func)
        def wrapped(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return wrapped
