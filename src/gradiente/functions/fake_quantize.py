"""``torch.fake_quantize_per_tensor_affine`` and ``fake_quantize_per_channel_affine``: round
values to an integer grid and back, as quantisation-aware training does, in float.

With a scale s, a zero point z and the integer range [q_min, q_max]::

    q = z + round(x / s)                    (round half to even; x / s as x · (1/s) in float32)
    y = (clamp(q, q_min, q_max) − z) · s

The gradient is the straight-through estimator: rounding is treated as the identity, so
dL/dx = dL/dy where q_min ≤ q ≤ q_max and 0 where the value was clamped.

The arithmetic follows torch's CPU kernel (``aten/src/ATen/native/quantized/cpu/
kernels/QuantizedOpKernels.cpp``) so that the results agree to the bit: the scale is a
float32, 1/s is computed in float32, x · (1/s) in the input's precision (float32 for
half-precision inputs), and (clamp(q) − z) · s in float64 before the cast back (to float32
first in the per-tensor kernel).
"""

from __future__ import annotations

from gradiente import backend as B
from gradiente.backend import xp
from gradiente.ops.array_function import ArrayFunction
from gradiente.tensor import Tensor

# what a C++ cast of NaN, ±inf or an out-of-range float to int64 gives on x86 (cvttsd2si)
_INT64_INDEFINITE = -(2**63)


def _quantize(x, scale, zero_point, quant_min: int, quant_max: int, per_tensor: bool):
    """(y, mask): the fake-quantized array and where q fell inside [q_min, q_max].

    ``scale`` (float32) and ``zero_point`` (int64, or float32/float16 for a per-channel float
    zero point) broadcast against ``x``. torch's two kernels differ in two details, copied
    here: the per-tensor one saturates q (+inf → q_max) and rounds y to float32 even for
    float64 inputs; the per-channel one turns every non-finite q into −2⁶³ (so q_min).
    """
    integer_zero_point = zero_point.dtype == xp.int64
    work = x if x.dtype == xp.float64 else x.astype(xp.float32)
    inv_scale = (xp.float32(1.0) / scale).astype(work.dtype)
    if integer_zero_point:  # int64(z + nearbyint(x · (1/s))), the sum in x's precision
        q_float = zero_point.astype(work.dtype) + xp.rint(work * inv_scale)
    else:  # a float zero point is added before rounding: nearbyint(x · (1/s) + z)
        q_float = xp.rint(work * inv_scale + zero_point.astype(xp.float32).astype(work.dtype))
    representable = xp.abs(q_float) < 2.0**63  # False for NaN and ±inf too
    truncated = xp.where(representable, q_float, 0).astype(xp.int64)
    q = xp.where(representable, truncated, _INT64_INDEFINITE)
    if per_tensor:  # saturated: only NaN stays −2⁶³
        q = xp.where(q_float >= 2.0**63, 2**63 - 1, q)
    mask = (q >= quant_min) & (q <= quant_max)
    kept = xp.clip(q, quant_min, quant_max).astype(xp.float64)
    zero = zero_point.astype(xp.float32).astype(xp.float64)
    y = (kept - zero) * scale.astype(xp.float64)
    if per_tensor:
        y = y.astype(xp.float32)
    return y.astype(x.dtype), mask


class _FakeQuantize(ArrayFunction):
    """y = (clamp(z + round(x/s)) − z) · s, with the straight-through gradient."""

    backward_name = "FakeQuantizePerTensorAffineCachemaskBackward0"

    @staticmethod
    def forward(ctx, x, scale, zero_point, quant_min, quant_max, per_tensor):
        y, mask = _quantize(x._data, scale, zero_point, quant_min, quant_max, per_tensor)
        ctx.mask = mask
        return y

    @staticmethod
    def backward(ctx, grad):
        # the straight-through estimator: dL/dx = dL/dy · [q_min ≤ q ≤ q_max]
        return grad * Tensor._make(ctx.mask.astype(grad._data.dtype)), None, None, None, None, None


class _FakeQuantizePerChannel(_FakeQuantize):
    backward_name = "FakeQuantizePerChannelAffineCachemaskBackward0"


def _check_input(input: Tensor, kernel: str) -> None:
    if not B.is_float(input._data.dtype):
        name = B.torch_type_name(input._data.dtype)
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{name}'")


def _check_range(quant_min: int, quant_max: int) -> None:
    if quant_min > quant_max:
        # torch's message has the spaces of a C++ line continuation in it
        raise RuntimeError("`quant_min` should be less than or         equal to `quant_max`.")


def _zero_point_error():
    return RuntimeError("`zero_point` must be between `quant_min` and `quant_max`.")


def fake_quantize_per_tensor_affine(
    input: Tensor, scale, zero_point, quant_min: int, quant_max: int
) -> Tensor:
    """``input`` rounded to the grid ``(q − zero_point) · scale``, q ∈ [quant_min, quant_max],
    with the straight-through gradient (1 inside the range, 0 where clamped).

    ``scale``/``zero_point`` are numbers, or one-element tensors (float32 and int32)."""
    if isinstance(scale, Tensor):
        scale = scale.item()
    if isinstance(zero_point, Tensor):
        zero_point = zero_point.item()
    if isinstance(zero_point, float) or isinstance(zero_point, bool):
        raise TypeError(
            "fake_quantize_per_tensor_affine() received an invalid combination of arguments - "
            f"got (Tensor, {type(scale).__name__}, {type(zero_point).__name__}, int, int)"
        )
    _check_input(input, "fake_quantize_tensor_cachemask_kernel_type_handling")
    _check_range(quant_min, quant_max)
    if not quant_min <= zero_point <= quant_max:
        raise _zero_point_error()
    scale32 = xp.asarray(scale, dtype=xp.float32)
    zero = xp.asarray(int(zero_point), dtype=xp.int64)
    return _FakeQuantize.apply(input, scale32, zero, int(quant_min), int(quant_max), True)


def fake_quantize_per_channel_affine(
    input: Tensor, scale: Tensor, zero_point: Tensor, axis: int, quant_min: int, quant_max: int
) -> Tensor:
    """Fake quantisation with one ``scale[c]``/``zero_point[c]`` per index c along ``axis``
    (a weight's output channels), with the straight-through gradient."""
    if not -input.ndim <= axis < input.ndim:  # torch reads input.size(axis) first
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-input.ndim}, "
            f"{input.ndim - 1}], but got {axis})"
        )
    axis_size = input.shape[axis]
    if scale._data.dtype != xp.float32 and not B.bfloat16_array(scale._data):
        found = B.torch_type_name(scale._data.dtype)
        raise RuntimeError(f"Scale must be Float or BFloat16, found {found}")
    if zero_point._data.dtype not in (xp.int32, xp.float32, xp.float16):
        found = B.torch_type_name(zero_point._data.dtype)
        raise RuntimeError(f"Zero-point must be Int32, Float or Half, found {found}")
    if scale.ndim != 1:
        raise RuntimeError("scale should be a 1-D tensor")
    if zero_point.ndim != 1:
        raise RuntimeError("zero point should be a 1-D tensor")
    if scale.numel() != zero_point.numel():
        raise RuntimeError("scale and zero-point need to have the same dimensions")
    if scale.numel() != axis_size:
        raise RuntimeError(
            "dimensions of scale and zero-point are not consistent with input tensor"
        )
    _check_range(quant_min, quant_max)
    integer_zero_point = zero_point._data.dtype == xp.int32
    if integer_zero_point and zero_point.numel():
        if zero_point._data.min() < quant_min or zero_point._data.max() > quant_max:
            raise _zero_point_error()
    if axis < 0:
        raise RuntimeError("`axis` must be between 0 and number of dimensions of input")
    _check_input(input, "fake_quantize_channel_cachemask_cpu_type_handling")
    shape = [1] * input.ndim
    shape[axis] = -1  # scale[c] and zero_point[c] broadcast along the axis
    scale32 = scale._data.astype(xp.float32).reshape(shape)
    zero = zero_point._data.reshape(shape)
    if integer_zero_point:
        zero = zero.astype(xp.int64)
    return _FakeQuantizePerChannel.apply(
        input, scale32, zero, int(quant_min), int(quant_max), False
    )
