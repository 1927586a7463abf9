"""Dtype promotion and dtype checks for binary ops: which dtype ``a + b`` computes in, and
PyTorch's errors for the combinations it refuses (bool subtraction, integer division, ...)."""

from __future__ import annotations

import numbers

from gradiente import backend as B
from gradiente.backend import xp
from gradiente.ops import division as D
from gradiente.ops import elementwise as E
from gradiente.tensor.common import (
    _CPP_OPTION_NAMES,
    _LEGACY_TYPE_NAMES,
    _arr,
    _dim,
    _scalar_type_name,
)
from gradiente.tensor.factories import as_tensor, zeros_like

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)


def _float_only(np_dtype, kernel: str) -> None:
    """Ops PyTorch implements for floating dtypes only (frac, hypot, logaddexp) raise."""
    if not B.is_float(np_dtype):
        name = _LEGACY_TYPE_NAMES[B.to_dtype(np_dtype).name].removesuffix("Tensor")
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{name}'")


def _check_not_bool(t: Tensor, kernel: str) -> None:
    """Ops that PyTorch has no bool kernel for (abs, floor, ceil, round, trunc) raise."""
    if t._data.dtype.kind == "b":
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _check_tensor_arg(other, op: str) -> None:
    """maximum/minimum/fmax/fmin/logical_* take a Tensor ``other``; PyTorch rejects a number."""
    if not isinstance(other, Tensor):
        raise TypeError(
            f"{op}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}"
        )


def _check_float_kernel(t: Tensor, kernel: str) -> None:
    """Ops that PyTorch implements for floating dtypes only raise its NotImplementedError."""
    if not B.is_float(t._data.dtype):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_scalar_type_name(t)}'")


def _check_lerp_dtypes(start, end, weight) -> None:
    """torch's lerp takes ``end`` (and a weight tensor that is not 0-d) of start's dtype, and
    floating dtypes only: its RuntimeError / NotImplementedError otherwise."""
    cpp = _CPP_OPTION_NAMES
    for name, other in (("end", end), ("weight", weight)):
        if not isinstance(other, Tensor) or (name == "weight" and other.ndim == 0):
            continue
        if other._data.dtype != start._data.dtype:
            raise RuntimeError(
                f"expected dtype {cpp[start.dtype.name]} for `{name}` but got dtype "
                f"{cpp[other.dtype.name]}"
            )
    if not B.is_float(start._data.dtype):
        kernel = "lerp_kernel_tensor" if isinstance(weight, Tensor) else "lerp_kernel_scalar"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_scalar_type_name(start)}'")


def _check_nanmean_dtypes(t: Tensor, dtype) -> None:
    """nanmean takes floating input and a floating ``dtype=`` only (torch's RuntimeErrors,
    raised before the dims are checked)."""
    if not B.is_float(t._data.dtype):
        raise RuntimeError(
            "nanmean(): expected input to have floating point or complex dtype but got "
            f"{_scalar_type_name(t)}"
        )
    if dtype is not None and not B.is_float(B.to_dtype(dtype).np):
        raise RuntimeError(
            "nanmean(): could not infer output dtype. Optional dtype must be either a floating "
            f"point or complex dtype. Got: {_LEGACY_TYPE_NAMES[B.to_dtype(dtype).name][:-6]}"
        )


def _check_norm_dtype(t: Tensor, dtype) -> None:
    """vector_norm's ``dtype=``: a floating type the input converts to without narrowing."""
    if dtype is None:
        return
    target, name = B.to_dtype(dtype), _LEGACY_TYPE_NAMES[B.to_dtype(dtype).name][:-6]
    if not B.is_float(target.np):
        raise RuntimeError(
            f"linalg.vector_norm: dtype should be floating point or complex, but got {name}"
        )
    if B.is_float(t._data.dtype) and B.promote_types(t.dtype, target) != target:
        raise RuntimeError(
            f"linalg.vector_norm: the dtype of the input ({_scalar_type_name(t)}) should be "
            f"convertible without narrowing to the specified dtype ({name})"
        )


def _check_floating(t: Tensor, op: str) -> None:
    """std/var (and std_mean/var_mean, which name themselves) of a non-float tensor: torch's
    RuntimeError."""
    if not B.is_float(t._data.dtype):
        what = op if op in ("std_mean", "var_mean") else "std and var"
        raise RuntimeError(f"{what} only support floating point and complex dtypes")


def _promote_float(a: Tensor, b):
    """``_promote``, then the default float dtype if that is not floating: atan2 of two
    integers is float32, of a bool tensor and a float64 0-d tensor float64 (casting ``a`` to
    float first would lose that)."""
    a, b = _promote(a, b)
    if not B.is_float(a._data.dtype):
        a = a.to(B.get_default_dtype())
        if isinstance(b, Tensor):
            b = b.to(B.get_default_dtype())
    return a, b


def _promote(a: Tensor, b):
    """Cast ``a`` and ``b`` to their common (PyTorch-promoted) dtype."""
    if isinstance(b, Tensor):
        da, db = a._data.dtype, b._data.dtype
        if da == db:
            return a, b
        target = B.result_type(a, b)
        if da != target.np:
            a = a.to(target)
        if db != target.np:
            b = b.to(target)
        return a, b
    if isinstance(b, xp.generic):
        b = b.item()  # a NumPy scalar acts as a Python number (weakly typed), as in PyTorch
    if isinstance(b, bool):
        return a, b
    if isinstance(b, numbers.Number):
        if isinstance(b, int):
            B.check_int_scalar(b)
        kind = a._data.dtype.kind
        if kind == "f" or a._data.dtype is B.BF16:
            return a, b
        if isinstance(b, numbers.Integral):
            if kind == "b":
                return a.to(B.int64), int(b)
            info = xp.iinfo(a._data.dtype)
            b = int(b)
            if not info.min <= b <= info.max:
                # PyTorch casts the number to the tensor's dtype, wrapping around (uint8: −3 is
                # 253); NumPy would refuse it
                b = (b - info.min) % (1 << info.bits) + info.min
            return a, b
        return a.to(B.get_default_dtype()), float(b)
    if isinstance(b, xp.ndarray) and a._data.dtype != B.BF16:
        # torch leaves ``t + array`` to NumPy (the array's ``__radd__``, the result wrapped
        # back into a tensor), so the result has NumPy's dtype: a float32 tensor and a 0-d
        # float64 or an int32 array give float64
        target = xp.result_type(a._data.dtype, b.dtype)
        return a.to(B.from_numpy_dtype(target)), as_tensor(b.astype(target, copy=False))
    if isinstance(b, (xp.ndarray, list)):
        return _promote(a, as_tensor(b))
    raise TypeError(f"unsupported operand type for a tensor op: {type(b).__name__}")


def _binary(cls, a: Tensor, b):
    if isinstance(b, Tensor) and a._data.dtype == b._data.dtype:
        return cls.apply(a, b)
    a, b = _promote(a, b)
    return cls.apply(a, b)


def _check_bool_subtraction(a: Tensor, b) -> None:
    """PyTorch refuses ``-`` when either operand is bool (a tensor or a Python bool)."""
    a_bool = a._data.dtype == xp.bool_
    b_bool = isinstance(b, bool) or (isinstance(b, Tensor) and b._data.dtype == xp.bool_)
    if a_bool and b_bool:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    if a_bool or b_bool:
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )


def _scalar_like(number, t: Tensor) -> Tensor:
    """A Python number on the left of an operator (``2.5 // t``) as a 0-d tensor of the dtype
    PyTorch would compute in: a float number with an integer tensor gives a float result."""
    a, b = _promote(t, number)
    return as_tensor(b, dtype=a.dtype)


def _float_only_not_bool(a: Tensor, kernel: str) -> None:
    """%, fmod and // have no bool kernel in PyTorch (operands already promoted)."""
    if a._data.dtype.kind == "b":
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


_BOOL_SUB = (
    "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
    "invert a mask, use the `~` or `logical_not()` operator instead."
)


def _refuse_backward_with_bool(out: Tensor, *operands) -> Tensor:
    """``out``, made to raise in backward when a bool tensor is among ``operands``: torch's
    backward of logaddexp (a − b) and of pow with a bool exponent (b − 1) subtracts it."""
    if out._requires_grad and any(
        isinstance(t, Tensor) and t._data.dtype.kind == "b" for t in operands
    ):
        return E.RefuseBackward.apply(out, _BOOL_SUB)
    return out


def _check_integer_divisor(a: Tensor, b) -> None:
    """Integer division by zero raises in PyTorch (floats give inf/nan); dividing nothing
    does not."""
    if a._data.size == 0 or xp.size(_arr(b)) == 0:
        return
    if a._data.dtype.kind in "iub" and not xp.all(_arr(b)):
        raise RuntimeError("ZeroDivisionError")


def _rounded_divide(a: Tensor, b, rounding_mode: str) -> Tensor:
    """``div(a, b, rounding_mode="floor" | "trunc")``: integers stay integers (exact), floats
    round the true quotient. The gradient is zero, as PyTorch's (DivBackward with a mode)."""
    a, b = _promote(a, b)
    if a._data.dtype.kind in "iub":
        _check_integer_divisor(a, b)
        q = xp.floor_divide(a._data, _arr(b))
        if rounding_mode == "trunc":
            # floor and trunc differ by one where the signs differ and the division is inexact
            q = q + ((q < 0) & (q * _arr(b) != a._data))
        return Tensor._make(B.as_array(q), False, None)
    if rounding_mode == "trunc":  # the quotient as true division's, then a zero gradient
        q = xp.trunc(_true_divide(a.detach(), b.detach() if isinstance(b, Tensor) else b)._data)
    b = b if isinstance(b, Tensor) else as_tensor(b, dtype=a.dtype)
    return D.FlooredDivide.apply(a, b, q if rounding_mode == "trunc" else None)


def _true_divide(a: Tensor, b):
    if isinstance(b, xp.ndarray) and a._data.dtype != B.BF16:  # NumPy's: int / int is float64
        a, b = _promote(a, b)
        if not B.is_float(a._data.dtype):
            a, b = a.to(B.float64), b.to(B.float64)
        return E.Div.apply(a, b)
    if not B.is_float(a._data.dtype) and not (isinstance(b, Tensor) and B.is_float(b._data.dtype)):
        a = a.to(B.get_default_dtype())
    return _binary(E.Div, a, b)


def _scaled_sum(base: Tensor, beta, product: Tensor, alpha) -> Tensor:
    """beta·base + alpha·product; with beta = 0, base is ignored (even nan/inf), as in BLAS.
    Integer tensors take integer factors (torch casts the numbers to their type: 0.5 is 0)."""
    if not (B.is_float(base._data.dtype) or B.is_float(product._data.dtype)):
        beta, alpha = int(beta), int(alpha)
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        if not base.requires_grad:
            return product + zeros_like(base)
        # base's values are ignored, but it stays in the graph with a zero gradient (torch's)
        everywhere = Tensor._make(B.get_array_module(base._data).ones((), dtype=bool))
        return product + base.masked_fill(everywhere, 0)
    return (base if beta == 1 else base * beta) + product


def _no_grad_binary(fn, a, b):
    return Tensor._make(fn(_arr(a)) if b is None else fn(_arr(a), _arr(b)), False, None)


def _check_nonempty_dim(t: Tensor, d: int, name: str) -> None:
    """max/min/argmax along an empty axis have no value (PyTorch raises, NumPy ValueError)."""
    if t.ndim and t.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _arg_reduce(t: Tensor, fn, dim, keepdim):
    if t._data.dtype.kind == "b":
        raise RuntimeError(f"{fn.__name__}(): does not support bool input")
    if dim is None and t._data.size == 0:
        raise IndexError(
            f"{fn.__name__}(): Expected reduction dim to be specified for input.numel() == 0."
        )
    if dim is None:
        out = B.as_array(fn(t._data.reshape(-1)))
        if keepdim:
            out = out.reshape((1,) * t.ndim)
    else:
        d = _dim(dim, t.ndim, fn.__name__)
        _check_nonempty_dim(t, d, fn.__name__)
        out = fn(t._data, axis=d, keepdims=keepdim) if t.ndim else xp.asarray(0)
    out = B.as_array(out, xp.int64)  # NumPy's answer may be a scalar; CuPy's is a device array
    if type(t._data) is not xp.ndarray:  # on the stand-in CUDA device, NumPy answers host arrays
        out = B.mark_device(out, B.array_device_index(t._data), fn.__name__)
    return Tensor._make(out, False, None)


def _infer_shape(shape, numel, op, old_shape):
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape
