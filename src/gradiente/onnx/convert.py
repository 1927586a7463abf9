"""One converter per gradiente primitive: the ONNX node(s) that compute the same thing.

A converter is called as ``converter(tracer, *op_args, out=result)`` with exactly the
arguments the op's ``apply`` received (see each op in ``gradiente/ops``), appends nodes with
``tracer.node`` and names the result with ``tracer.bind``. Layers need no converters of their
own: ``nn.Linear`` applies the ``Linear`` op, ``nn.BatchNorm2d`` in eval mode applies a few
element-wise ops (whose parameter-only part is folded into constants), ``nn.Dropout`` in eval
mode applies nothing.

ONNX conventions used below: ``pads`` lists every axis's start padding, then every end
padding; ``Reshape`` reads a 0 in the target shape as "keep this axis's size", which is how the
batch axis stays free for ``dynamic_axes``.
"""

from __future__ import annotations

import math

import numpy as np

from gradiente.backend import bool_
from gradiente.onnx.trace import Tracer, UnsupportedOperatorError, to_numpy_dtype
from gradiente.ops import (
    activation,
    attention,
    conv,
    elementwise,
    index,
    linalg,
    linear,
    normalization,
    reduce,
    shape,
    window_pool,
)
from gradiente.tensor import Tensor

CONVERTERS: dict = {}


def converts(*ops):
    """Register the decorated function as the converter of the op classes ``ops``."""

    def register(fn):
        for op in ops:
            CONVERTERS[op] = fn
        return fn

    return register


def _out(g: Tracer, out: Tensor, name: str) -> None:
    g.bind(out, name)


def _operand(g: Tracer, x, out: Tensor) -> str:
    """An element-wise op's input as a value of ``out``'s dtype (numbers become constants; a
    traced value of another dtype is cast)."""
    if not isinstance(x, Tensor):
        return g.scalar(x, out)
    name = g.value(x)
    if x.dtype != out.dtype:
        (name,) = g.node("Cast", [name], to=_onnx_dtype(out))
    return name


def _onnx_dtype(t: Tensor) -> int:
    from onnx import helper

    return helper.np_dtype_to_tensor_dtype(to_numpy_dtype(t))


def _ints(values) -> np.ndarray:
    return np.asarray(list(values), dtype=np.int64)


def _target_shape(in_shape, out_shape) -> list[int]:
    """``out_shape`` for ONNX Reshape, with the first axis as 0 ("keep") when it is the input's
    first axis, so that a reshape of a batch keeps working for any batch size."""
    target = list(out_shape)
    if target and in_shape and target[0] == in_shape[0]:
        target[0] = 0
    return target


def _reshape(g: Tracer, name: str, in_shape, out_shape) -> str:
    (y,) = g.node("Reshape", [name, g.const(_ints(_target_shape(in_shape, out_shape)), "shape")])
    return y


def _reduce(g: Tracer, op: str, name: str, axes, keepdims: bool) -> str:
    """ReduceMean/ReduceSum over ``axes``: an attribute before opset 18 (ReduceMean), an
    input from opset 13 (ReduceSum) and 18 (the others)."""
    if op == "ReduceMean" and g.opset < 18:
        (y,) = g.node(op, [name], axes=list(axes), keepdims=int(keepdims))
    else:
        (y,) = g.node(op, [name, g.const(_ints(axes), "axes")], keepdims=int(keepdims))
    return y


def _axes(dims, ndim: int) -> list[int]:
    """``dims`` (an int, a sequence, or None for all) as non-negative axes."""
    if dims is None:
        return list(range(ndim))
    if isinstance(dims, int):
        dims = (dims,)
    return [d % ndim if ndim else 0 for d in dims]


# ------------------------------------------------------------------------------ layers
@converts(linear.Linear)
def _linear(g, x, w, b, *, out):
    """y = x Wᵀ + b: one Gemm for a batch of vectors, else MatMul with Wᵀ (+ Add)."""
    if x.ndim == 2:
        inputs = [g.value(x), g.value(w)] + ([g.value(b)] if b is not None else [])
        (y,) = g.node("Gemm", inputs, transB=1)
    else:
        (wt,) = g.node("Transpose", [g.value(w)], perm=[1, 0])
        (y,) = g.node("MatMul", [g.value(x), wt])
        if b is not None:
            (y,) = g.node("Add", [y, g.value(b)])
    _out(g, out, y)


@converts(conv._ConvNd)
def _conv(g, x, w, b, geom, *, out):
    """Conv1d/Conv2d: kernel, stride, padding (top, bottom, left, right), dilation, groups."""
    top, bottom, left, right = geom.padding
    if geom.spatial == 1:  # the geometry sees a 1-D convolution as (1, k)
        kernel, strides, dilations = [geom.kernel[1]], [geom.stride[1]], [geom.dilation[1]]
        pads = [left, right]
    else:
        kernel, strides, dilations = list(geom.kernel), list(geom.stride), list(geom.dilation)
        pads = [top, left, bottom, right]
    inputs = [g.value(x), g.value(w)] + ([g.value(b)] if b is not None else [])
    (y,) = g.node(
        "Conv",
        inputs,
        kernel_shape=kernel,
        strides=strides,
        pads=pads,
        dilations=dilations,
        group=geom.groups,
    )
    _out(g, out, y)


@converts(conv._ConvTransposeNd)
def _conv_transpose(g, x, w, b, geom, *, out):
    """ConvTranspose2d; output_padding is what the output has beyond
    (H − 1)·s − 2p + d·(k − 1) + 1."""
    top, bottom, left, right = geom.padding
    output_padding = [
        geom.image[a]
        - ((geom.out[a] - 1) * geom.stride[a] - 2 * p + geom.dilation[a] * (k - 1) + 1)
        for a, (p, k) in enumerate(zip((top, left), geom.kernel))
    ]
    inputs = [g.value(x), g.value(w)] + ([g.value(b)] if b is not None else [])
    (y,) = g.node(
        "ConvTranspose",
        inputs,
        kernel_shape=list(geom.kernel),
        strides=list(geom.stride),
        pads=[top, left, bottom, right],
        dilations=list(geom.dilation),
        group=geom.groups,
        output_padding=output_padding,
    )
    _out(g, out, y)


def _ceil_mode(geom) -> int:
    """1 when the pooling's output is larger than the floor formula gives (``ceil_mode``)."""
    for a in range(2):
        span = geom.image[a] + 2 * geom.padding[a] - geom.dilation[a] * (geom.kernel[a] - 1) - 1
        if geom.out[a] != span // geom.stride[a] + 1:
            return 1
    return 0


def _window(geom) -> dict:
    """The attributes every ONNX pooling node shares: window, stride and (symmetric) padding."""
    ph, pw = geom.padding
    return {
        "kernel_shape": list(geom.kernel),
        "strides": list(geom.stride),
        "pads": [ph, pw, ph, pw],  # ONNX: all the begins, then all the ends
    }


@converts(window_pool.MaxPool2d)
def _max_pool(g, x, geom, indices_out, *, out):
    if indices_out is not None:
        raise UnsupportedOperatorError(
            f"gradiente.onnx.export: max pooling with return_indices=True{g.where()} is not "
            "supported"
        )
    (y,) = g.node(
        "MaxPool",
        [g.value(x)],
        **_window(geom),
        dilations=list(geom.dilation),
        ceil_mode=_ceil_mode(geom),
    )
    _out(g, out, y)


@converts(window_pool.AvgPool2d)
def _avg_pool(g, x, geom, divisor, *, out):
    """AveragePool. ``divisor`` is what each window's sum is divided by: kh·kw (padding
    counted; adaptive pooling passes (kh, kw)), an array of the real elements per window
    (``count_include_pad=False``), or a ``divisor_override``."""
    area = geom.kernel[0] * geom.kernel[1]
    per_window = isinstance(divisor, np.ndarray) and divisor.ndim > 0
    count = math.prod(divisor) if isinstance(divisor, tuple) else divisor
    (y,) = g.node(
        "AveragePool",
        [g.value(x)],
        **_window(geom),
        ceil_mode=_ceil_mode(geom),
        count_include_pad=0 if per_window else 1,
    )
    if not per_window and float(count) != area:  # divisor_override
        (y,) = g.node("Mul", [y, g.scalar(area / float(count), out)])
    _out(g, out, y)


@converts(normalization.NormalizeAffine)
def _normalize(g, x, w, b, stat_axes, param_shape, param_axes, eps, running, *, out):
    """LayerNormalization when the statistics are over the last axes and γ, β cover exactly
    those; otherwise the formula y = (x − μ)/√(σ² + ε)·γ + β with ReduceMean."""
    ndim = x.ndim
    axes = sorted(_axes(stat_axes, ndim))
    trailing = axes == list(range(ndim - len(axes), ndim))
    norm_shape = tuple(x.shape[ndim - len(axes) :])
    if trailing and (w is None or tuple(w.shape) == norm_shape):
        dtype = to_numpy_dtype(x)
        scale = g.value(w) if w is not None else g.const(np.ones(norm_shape, dtype), "ones")
        inputs = [g.value(x), scale] + ([g.value(b)] if b is not None else [])
        (y,) = g.node("LayerNormalization", inputs, axis=axes[0], epsilon=float(eps))
        _out(g, out, y)
        return
    xv = g.value(x)
    mean = _reduce(g, "ReduceMean", xv, axes, True)
    (centred,) = g.node("Sub", [xv, mean])
    (square,) = g.node("Mul", [centred, centred])
    var = _reduce(g, "ReduceMean", square, axes, True)
    (shifted,) = g.node("Add", [var, g.scalar(eps, out)])
    (std,) = g.node("Sqrt", [shifted])
    (y,) = g.node("Div", [centred, std])
    for p, op in ((w, "Mul"), (b, "Add")):
        if p is not None:
            array = p.detach().numpy().reshape(param_shape)
            (y,) = g.node(op, [y, g.const(array, "param")])
    _out(g, out, y)


@converts(normalization.BatchNormEval)
def _batch_norm_eval(g, x, w, b, running_mean, running_var, param_shape, eps, *, out):
    """BatchNormalization (inference) with the running statistics; γ = 1, β = 0 if absent."""
    dtype = to_numpy_dtype(x)
    channels = x.shape[1]
    scale = g.value(w) if w is not None else g.const(np.ones(channels, dtype), "ones")
    shift = g.value(b) if b is not None else g.const(np.zeros(channels, dtype), "zeros")
    inputs = [g.value(x), scale, shift, g.value(running_mean), g.value(running_var)]
    (y,) = g.node("BatchNormalization", inputs, epsilon=float(eps))
    _out(g, out, y)


# ------------------------------------------------------------------------------ activations
def _unary(onnx_op: str):
    def convert(g, x, *, out):
        (y,) = g.node(onnx_op, [g.value(x)])
        _out(g, out, y)

    convert.__doc__ = f"ONNX {onnx_op}."
    return convert


for _op, _onnx in (
    (activation.Relu, "Relu"),
    (elementwise.Sigmoid, "Sigmoid"),
    (elementwise.Tanh, "Tanh"),
    (elementwise.Exp, "Exp"),
    (elementwise.Log, "Log"),
    (elementwise.Sqrt, "Sqrt"),
    (elementwise.Abs, "Abs"),
    (elementwise.Neg, "Neg"),
    (elementwise.Clone, "Identity"),
    (elementwise.Reciprocal, "Reciprocal"),
    (activation.Hardswish, "HardSwish"),
):
    CONVERTERS[_op] = _unary(_onnx)


@converts(elementwise.Rsqrt)
def _rsqrt(g, x, *, out):
    (s,) = g.node("Sqrt", [g.value(x)])
    (y,) = g.node("Reciprocal", [s])
    _out(g, out, y)


@converts(activation.Erf)
def _erf(g, x, *args, out):
    (y,) = g.node("Erf", [g.value(x)])
    _out(g, out, y)


@converts(activation.LeakyRelu)
def _leaky_relu(g, x, negative_slope, *, out):
    (y,) = g.node("LeakyRelu", [g.value(x)], alpha=float(negative_slope))
    _out(g, out, y)


@converts(activation.Elu)
def _elu(g, x, alpha, *, out):
    (y,) = g.node("Elu", [g.value(x)], alpha=float(alpha))
    _out(g, out, y)


@converts(activation.Hardtanh)
def _hardtanh(g, x, min_val, max_val, *, out):
    (y,) = g.node("Clip", [g.value(x), g.scalar(min_val, out), g.scalar(max_val, out)])
    _out(g, out, y)


@converts(elementwise.Clamp)
def _clamp(g, x, min, max, *, out):
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        raise UnsupportedOperatorError(
            f"gradiente.onnx.export: clamp with tensor bounds{g.where()} is not supported"
        )
    bounds = [g.scalar(v, out) if v is not None else "" for v in (min, max)]
    (y,) = g.node("Clip", [g.value(x), *bounds])
    _out(g, out, y)


@converts(activation.Softplus)
def _softplus(g, x, beta, threshold, *, out):
    """log(1 + e^(βx))/β (PyTorch returns x above the threshold, equal in float32)."""
    xv = g.value(x)
    if beta != 1:
        (xv,) = g.node("Mul", [xv, g.scalar(beta, out)])
    (y,) = g.node("Softplus", [xv])
    if beta != 1:
        (y,) = g.node("Div", [y, g.scalar(beta, out)])
    _out(g, out, y)


@converts(activation.Silu)
def _silu(g, x, *, out):
    """x σ(x)."""
    xv = g.value(x)
    (s,) = g.node("Sigmoid", [xv])
    (y,) = g.node("Mul", [xv, s])
    _out(g, out, y)


@converts(activation.Gelu)
def _gelu(g, x, approximate, *, out):
    """x Φ(x) = ½ x (1 + erf(x/√2)); with ``approximate='tanh'``
    ½ x (1 + tanh(√(2/π)(x + 0.044715 x³))). ONNX has Gelu itself from opset 20."""
    xv = g.value(x)
    if g.opset >= 20:
        (y,) = g.node("Gelu", [xv], approximate=approximate)
        _out(g, out, y)
        return
    if approximate == "tanh":
        (cube,) = g.node("Pow", [xv, g.scalar(3.0, out)])
        (inner,) = g.node("Mul", [cube, g.scalar(0.044715, out)])
        (inner,) = g.node("Add", [xv, inner])
        (inner,) = g.node("Mul", [inner, g.scalar(math.sqrt(2 / math.pi), out)])
        (phi,) = g.node("Tanh", [inner])
    else:
        (inner,) = g.node("Mul", [xv, g.scalar(math.sqrt(0.5), out)])
        (phi,) = g.node("Erf", [inner])
    (phi,) = g.node("Add", [phi, g.scalar(1.0, out)])
    (y,) = g.node("Mul", [xv, phi])
    (y,) = g.node("Mul", [y, g.scalar(0.5, out)])
    _out(g, out, y)


@converts(reduce.Softmax)
def _softmax(g, x, dim, *args, out):
    (y,) = g.node("Softmax", [g.value(x)], axis=_axes(dim, x.ndim)[0])
    _out(g, out, y)


@converts(reduce.LogSoftmax)
def _log_softmax(g, x, dim, *args, out):
    (y,) = g.node("LogSoftmax", [g.value(x)], axis=_axes(dim, x.ndim)[0])
    _out(g, out, y)


# ------------------------------------------------------------------------------ arithmetic
def _binary(onnx_op: str, swap: bool = False):
    def convert(g, a, b, *, out):
        inputs = [_operand(g, a, out), _operand(g, b, out)]
        (y,) = g.node(onnx_op, inputs[::-1] if swap else inputs)
        _out(g, out, y)

    convert.__doc__ = f"ONNX {onnx_op}{' with the operands swapped' if swap else ''}."
    return convert


for _op, _onnx, _swap in (
    (elementwise.Add, "Add", False),
    (elementwise.Sub, "Sub", False),
    (elementwise.Mul, "Mul", False),
    (elementwise.Div, "Div", False),
    (elementwise.RSub, "Sub", True),  # s − x
    (elementwise.RDiv, "Div", True),  # s / x
    (elementwise.PowScalar, "Pow", False),
    (linalg.MatMul, "MatMul", False),
):
    CONVERTERS[_op] = _binary(_onnx, _swap)


@converts(reduce.Mean)
def _mean(g, x, dims, keepdim, dtype=None, *, out):
    _out(g, out, _reduce(g, "ReduceMean", g.value(x), _axes(dims, x.ndim), keepdim))


@converts(reduce.Sum)
def _sum(g, x, dims, keepdim, dtype=None, *, out):
    _out(g, out, _reduce(g, "ReduceSum", g.value(x), _axes(dims, x.ndim), keepdim))


# ------------------------------------------------------------------------------ shapes
@converts(shape.Reshape, shape.Unsqueeze, shape.Squeeze)
def _reshape_op(g, x, new_shape, *, out):
    """view/reshape/flatten/unsqueeze/squeeze: all one Reshape to the result's shape."""
    _out(g, out, _reshape(g, g.value(x), tuple(x.shape), tuple(out.shape)))


@converts(shape.Expand)
def _expand(g, x, new_shape, *, out):
    (y,) = g.node("Expand", [g.value(x), g.const(_ints(out.shape), "shape")])
    _out(g, out, y)


@converts(shape.Permute)
def _permute(g, x, dims, *, out):
    (y,) = g.node("Transpose", [g.value(x)], perm=_axes(dims, x.ndim))
    _out(g, out, y)


@converts(shape.Transpose)
def _transpose(g, x, dim0, dim1, *, out):
    perm = list(range(x.ndim))
    a, b = _axes((dim0, dim1), x.ndim)
    perm[a], perm[b] = perm[b], perm[a]
    (y,) = g.node("Transpose", [g.value(x)], perm=perm)
    _out(g, out, y)


@converts(shape.Cat)
def _cat(g, dim, *tensors, out):
    inputs = [_operand(g, t, out) for t in tensors]
    (y,) = g.node("Concat", inputs, axis=_axes(dim, out.ndim)[0])
    _out(g, out, y)


@converts(shape.Split)
def _split(g, x, sizes, dim, *args, out):
    sizes = [int(s) for s in sizes]
    ys = g.node(
        "Split",
        [g.value(x), g.const(_ints(sizes), "split")],
        n_outputs=len(sizes),
        axis=_axes(dim, x.ndim)[0],
    )
    for t, y in zip(out, ys):
        _out(g, t, y)


@converts(index.BasicIndex)
def _basic_index(g, x, key, *, out):
    """``x[...]`` with ints, slices (step ≥ 1), None and Ellipsis: a Slice for the axes that
    are cut, then a Reshape that drops the integer-indexed axes and inserts the new ones."""
    items = key if isinstance(key, tuple) else (key,)
    consumed = sum(1 for k in items if k is not None and k is not Ellipsis)
    expanded = []
    for k in items:
        if k is Ellipsis:
            expanded += [slice(None)] * (x.ndim - consumed)
        else:
            expanded.append(k)
    starts, ends, axes, steps = [], [], [], []
    dim = 0
    for k in expanded:
        if k is None:
            continue
        size = x.shape[dim]
        if isinstance(k, bool) or not isinstance(k, int | slice):
            raise UnsupportedOperatorError(
                f"gradiente.onnx.export: indexing with {type(k).__name__}{g.where()} is not "
                "supported (only ints, slices, None and ...)"
            )
        if isinstance(k, int):
            i = k % size
            start, stop, step = i, i + 1, 1
        else:
            start, stop, step = k.indices(size)
            if step < 1:
                raise UnsupportedOperatorError(
                    f"gradiente.onnx.export: a slice step of {step}{g.where()} is not supported"
                )
        if (start, stop, step) != (0, size, 1):
            starts.append(start)
            ends.append(stop)
            axes.append(dim)
            steps.append(step)
        dim += 1
    y, shape_now = g.value(x), list(x.shape)
    if axes:
        inputs = [y] + [g.const(_ints(v), n) for v, n in ((starts, "starts"), (ends, "ends"))]
        inputs += [g.const(_ints(axes), "axes"), g.const(_ints(steps), "steps")]
        (y,) = g.node("Slice", inputs)
        for a, s, e, st in zip(axes, starts, ends, steps):
            shape_now[a] = len(range(s, e, st))
    if tuple(shape_now) != tuple(out.shape):
        y = _reshape(g, y, shape_now, tuple(out.shape))
    _out(g, out, y)


# ------------------------------------------------------------------------------ attention
@converts(attention.ScaledDotProductAttention)
def _attention(g, q, k, v, mask, dropout_p, causal, scale, fused=False, *, out):
    """softmax(Q Kᵀ · scale + M) V with M from the mask (−∞ where a bool mask is False, the
    values of a float mask) and, when causal, −∞ above the diagonal."""
    if dropout_p > 0:
        raise UnsupportedOperatorError(
            f"gradiente.onnx.export: attention dropout{g.where()} is not supported (export in "
            "eval mode, or with dropout_p=0)"
        )
    perm = list(range(k.ndim))
    perm[-2], perm[-1] = perm[-1], perm[-2]
    (kt,) = g.node("Transpose", [g.value(k)], perm=perm)
    (scores,) = g.node("MatMul", [g.value(q), kt])
    (scores,) = g.node("Mul", [scores, g.scalar(scale, out)])
    if causal:  # query i sees keys j <= i
        above = np.triu(np.ones((q.shape[-2], k.shape[-2]), dtype=bool), k=1)
        bias = np.where(above, -np.inf, 0.0).astype(to_numpy_dtype(out))
        (scores,) = g.node("Add", [scores, g.const(bias, "causal_mask")])
    if mask is not None:
        if mask.dtype == bool_:
            minus_inf = g.scalar(float("-inf"), out)
            (scores,) = g.node("Where", [g.value(mask), scores, minus_inf])
        else:
            (scores,) = g.node("Add", [scores, _operand(g, mask, out)])
    (probs,) = g.node("Softmax", [scores], axis=-1)
    (y,) = g.node("MatMul", [probs, g.value(v)])
    _out(g, out, y)
