"""Pooling arguments checked as PyTorch checks them, in its order and with its messages.

A bad pooling call fails in torch at one of three levels, and a script ported to gradiente
should see the same exception at the same level:

1. the **argument parser** of the C++ binding: a non-Tensor input, a float kernel size, an
   int where a bool belongs — ``TypeError: max_pool2d(): argument 'kernel_size' (position 2)
   must be tuple of ints, not float``;
2. the operator's **shape checks** (ATen's ``pooling_output_shape``, ``pool2d_shape_check``,
   ``pool3d_shape_check``): zero strides, padding wider than half the kernel, an output
   smaller than one element — ``RuntimeError``;
3. the CPU **kernel**, for a dtype it does not cover — ``NotImplementedError`` (see
   ``window_pool.check_dtype``).

This module is levels 1 and 2, on plain Python ints; ``ops/pool.py``, ``ops/pool3d.py`` and
``ops/adaptive_pool.py`` call it before any array work. Integer division here is C's, which
truncates toward zero (``_c_div``); the output size uses floor division, as ATen's
``div_rtn`` does.
"""

from __future__ import annotations

import numbers

from gradiente.autograd import function as _function
from gradiente.ops.arguments import require_tensor, type_name


# ------------------------------------------------------------------------------ parser level
def _where(op: str, name: str, position: int | None) -> str:
    where = f" (position {position})" if position else ""
    return f"{op}(): argument '{name}'{where}"


def tensor_arg(op: str, value, position: int | None = 1):
    """``value`` when it is a Tensor, else the parser's TypeError."""
    return require_tensor(op, value, "input", position)


def _is_index(value) -> bool:
    """An int for torch's parser: Python and NumPy integers, and 0-d integer tensors."""
    if isinstance(value, _function._Tensor):
        return value.ndim == 0 and value._data.dtype.kind in "iu"
    return isinstance(value, numbers.Integral)


def int_list(op: str, name: str, value, position: int | None) -> tuple:
    """An ``int[]`` argument as a tuple: an int becomes ``(int,)``, a list or tuple of ints
    is kept (bools count as ints inside a list, not alone, as in torch's parser)."""
    if _is_index(value) and not isinstance(value, bool):
        return (int(value),)
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            if not _is_index(v):
                raise TypeError(
                    f"{_where(op, name, position)} must be tuple of ints, but found element "
                    f"of type {type_name(v)} at pos {i}"
                )
        return tuple(int(v) for v in value)
    raise TypeError(f"{_where(op, name, position)} must be tuple of ints, not {type_name(value)}")


def bool_arg(op: str, name: str, value, position: int | None) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{_where(op, name, position)} must be bool, not {type_name(value)}")
    return value


def optional_int(op: str, name: str, value, position: int | None):
    if value is None:
        return None
    if isinstance(value, bool) or not _is_index(value):
        raise TypeError(f"{_where(op, name, position)} must be int, not {type_name(value)}")
    return int(value)


# ------------------------------------------------------------------------------ sizes
def expand(values: tuple, n: int, message: str) -> tuple:
    """One value repeated n times, or n values; any other count raises ``message``."""
    if len(values) == 1:
        return values * n
    if len(values) != n:
        raise RuntimeError(message)
    return values


def check_dim_range(op: str, x, low: int, high: int) -> None:
    """ATen's ``checkDimRange``: ``low`` ≤ x.ndim < ``high``."""
    if not low <= x.ndim < high:
        raise RuntimeError(
            f"Expected {low} to {high - 1} dimensions, but got {x.ndim}-dimensional tensor for "
            f"argument #1 'self' (while checking arguments for {op})"
        )


def check1d(op: str, name: str, values: tuple) -> None:
    """ATen's ``check1d`` of a 1-D pooling's size arguments."""
    if len(values) != 1:
        raise RuntimeError(f"{op}() argument '{name}' should contain one int (got {len(values)})")


def size_at(shape: tuple, dim: int) -> int:
    """``tensor.size(dim)`` for a negative ``dim``, with its IndexError when out of range."""
    if not shape:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    if dim < -len(shape):
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-len(shape)}, "
            f"{len(shape) - 1}], but got {dim})"
        )
    return shape[dim]


def _c_div(a: int, b: int) -> int:
    """C's integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def pooling_output_shape(size: int, k: int, pad: int, stride: int, dilation: int, ceil: bool):
    """ATen's ``pooling_output_shape``: the checks, then ⌊ or ⌈(I + 2p − d(k − 1) − 1) / s⌉ + 1,
    where in ceil mode the last window must start inside the input or the left padding."""
    if stride == 0:
        raise RuntimeError("stride should not be zero")
    if pad < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {pad}")
    if pad > _c_div((k - 1) * dilation + 1, 2):
        raise RuntimeError(
            f"pad should be at most half of effective kernel size, but got pad={pad}, "
            f"kernel_size={k} and dilation={dilation}"
        )
    span = size + 2 * pad - dilation * (k - 1) - 1 + (stride - 1 if ceil else 0)
    out = span // stride + 1
    if ceil and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def pool2d_shape_check(shape: tuple, k, s, p, d, out) -> None:
    """ATen's ``pool2d_shape_check`` (every argument an (h, w) pair)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = k, s, p, d, out
    if kw <= 0 or kh <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kh} kW: {kw}")
    if sw <= 0 or sh <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {sh} dW: {sw}")
    if dh <= 0 or dw <= 0:
        raise RuntimeError(
            f"dilation should be greater than zero, but got dilationH: {dh} dilationW: {dw}"
        )
    nd = len(shape)
    if not ((nd == 3 and 0 not in shape) or (nd == 4 and 0 not in shape[1:])):
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
            f"but got:{list(shape)}"
        )
    if kw // 2 < pw or kh // 2 < ph:
        raise RuntimeError(
            "pad should be smaller than or equal to half of kernel size, but got "
            f"padW = {pw}, padH = {ph}, kW = {kw}, kH = {kh}"
        )
    if ow < 1 or oh < 1:
        C, H, W = shape[-3:]
        raise RuntimeError(
            f"Given input size: ({C}x{H}x{W}). Calculated output size: ({C}x{oh}x{ow}). "
            "Output size is too small"
        )


def pool3d_shape_check(shape: tuple, k, s, p, d, out, fn_name: str, avg: bool) -> None:
    """ATen's ``pool3d_shape_check`` (every argument a (t, h, w) triple); average pooling
    also wants the kernel to fit in the unpadded input."""
    (kt, kh, kw), (st, sh, sw), (pt, ph, pw), (dt, dh, dw), (ot, oh, ow) = k, s, p, d, out
    if min(k) <= 0:
        raise RuntimeError(
            f"kernel size should be greater than zero, but got kT: {kt} kH: {kh} kW: {kw}"
        )
    if min(s) <= 0:
        raise RuntimeError(
            f"stride should be greater than zero, but got dT: {st} dH: {sh} dW: {sw}"
        )
    if min(d) <= 0:
        raise RuntimeError(
            "dilation should be greater than zero, but got "
            f"dilationT: {dt} dilationH: {dh} dilationW: {dw}"
        )
    nd = len(shape)
    if nd not in (4, 5):
        raise RuntimeError(f"{fn_name}: Expected 4D or 5D tensor for input, but got: {list(shape)}")
    for size in shape[nd - 4 :]:
        if size <= 0:  # (torch prints the size, 0, where it means the dimension)
            raise RuntimeError(
                f"{fn_name}: Expected input's non-batch dimensions to have positive length, but "
                f"input has a shape of {list(shape)} and non-batch dimension {size} has length "
                "zero!"
            )
    T, H, W = shape[-3:]
    if avg and not (T >= kt and H >= kh and W >= kw):
        raise RuntimeError(
            f"input image (T: {T} H: {H} W: {W}) smaller than kernel size "
            f"(kT: {kt} kH: {kh} kW: {kw})"
        )
    if kt // 2 < pt or kw // 2 < pw or kh // 2 < ph:
        raise RuntimeError(
            f"pad should be smaller than or equal to half of kernel size, but got kT: {kt} "
            f"kW: {kw} kH: {kh} padT: {pt} padW: {pw} padH: {ph}"
        )
    if ot < 1 or ow < 1 or oh < 1:
        C = shape[-4]
        raise RuntimeError(
            f"Given input size: ({C}x{T}x{H}x{W}). Calculated output size: "
            f"({C}x{ot}x{oh}x{ow}). Output size is too small"
        )
