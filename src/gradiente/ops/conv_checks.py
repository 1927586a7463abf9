"""PyTorch's argument checks of a convolution, in its order and in its words.

A bad call to ``conv1d/2d/3d`` or ``conv_transpose1d/2d/3d`` raises here what torch raises. torch
checks in stages, and the first failing check words the error:

1. ``F.convNd`` itself: the bias's dtype; then the input's rank (``batchify``); a padding string.
2. ``_convolution``: the weight's rank, ``groups``, the lengths of stride, padding, dilation and
   output padding; then ``check_shape_forward``: signs, ranks, groups, channels, bias, and
   (not transposed) whether the dilated kernel fits in the padded input.
3. The kernel torch picks (its "backend"): oneDNN (``mkldnn``) for most float32 calls, the
   reference ("slow") kernels otherwise. Each words dtype mismatches, a zero dilation or kernel
   size, or a too-small transposed output its own way; ``_use_mkldnn`` repeats torch's choice.

Every check reads shapes and dtypes only (no pass over the data), and the backend stage is
entered only when something there is wrong, so a good call costs a few comparisons.
"""

from __future__ import annotations

import math

from gradiente import backend as B
from gradiente import parallel
from gradiente.ops.arguments import require_tensor, type_name
from gradiente.ops.linear import cpp_type_name

_ONEDNN = (
    "could not create a primitive descriptor for the {what} forward propagation primitive. Run "
    "workload with environment variable ONEDNN_VERBOSE=all to get additional diagnostic "
    "information."
)
_AXES = {2: ("height", "width"), 3: ("depth", "height", "width")}


def _as_list(value, n: int) -> list:
    """An int argument as torch's parser passes it (``int[n]``: n copies); a sequence as is."""
    return [value] * n if isinstance(value, int) else [int(v) for v in value]


def _expand(values: list, name: str, dim: int) -> list:
    """torch's ``expand_param_if_needed``: one value for every spatial axis of the weight."""
    if len(values) == 1:
        return values * dim
    if len(values) != dim:
        raise RuntimeError(
            f"expected {name} to be a single integer value or a list of {dim} values to match "
            f"the convolution dimensions, but got {name}={values}"
        )
    return values


def _torch_name(dtype) -> str:
    """torch's scalar-type name: Float, Double, Long, Bool, ..."""
    return B.TORCH_TYPE_NAMES.get(dtype.name, dtype.name)


def _legacy_type(dtype) -> str:
    """How oneDNN's type check names a tensor's type: ``torch.FloatTensor`` for the dtypes with
    a legacy tensor class, ``CPUBFloat16Type`` for the newer ones."""
    name = _torch_name(dtype)
    if dtype.name == "bfloat16" or getattr(dtype, "is_complex", False):
        return f"CPU{name}Type"
    return f"torch.{name}Tensor"


# ------------------------------------------------------------------------------ stage 1
def _check_tensors(op: str, args: tuple, transposed: bool) -> None:
    """torch's argument parser on an input, weight or bias that is not a Tensor (a NumPy array,
    a list). A convolution's message lists the arguments' types: those of a call with plain
    ``F.convNd`` defaults print as if omitted (torch lists what the caller passed; the layers
    pass all of them, with tuples)."""
    x, w, b = args[:3]
    if all(hasattr(t, "_data") for t in (x, w)) and (b is None or hasattr(b, "_data")):
        return
    if transposed:
        for position, (name, value) in enumerate((("input", x), ("weight", w), ("bias", b))):
            if value is not None:
                require_tensor(op, value, name, position + 1)
    if all(type(v) is int for v in args[3:]):
        while len(args) > 2 and args[-1] == (None, 1, 0, 1, 1)[len(args) - 3]:
            args = args[:-1]
    names = ", ".join(type_name(a) for a in args)
    raise TypeError(
        f"{op}() received an invalid combination of arguments - got ({names}), but expected "
        "one of:\n * (Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride "
        "= 1, tuple of ints padding = 0, tuple of ints dilation = 1, int groups = 1)\n * "
        "(Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, str "
        'padding = "valid", tuple of ints dilation = 1, int groups = 1)\n'
    )


def check_call(op: str, x, b, padding, spatial: int, transposed: bool) -> None:
    """What ``F.convNd`` / ``F.conv_transposeNd`` check before ``_convolution``: the bias's
    dtype (convolutions with numeric padding only), the input's rank, a padding string's
    type (transposed ones take none)."""
    if transposed and isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
    if not transposed and not isinstance(padding, str) and b is not None and b.dtype != x.dtype:
        raise RuntimeError(
            f"Input type ({cpp_type_name(x.dtype)}) and bias type ({cpp_type_name(b.dtype)}) "
            "should be the same"
        )
    if x.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(
            f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to {op}, but "
            f"got input of size: {list(x.shape)}"
        )


def _check_same(xshape, w, stride: list, dilation: list, groups: int) -> None:
    """``_convolution_same``'s checks, before it computes the padding of ``padding='same'``."""
    if w.ndim <= 2:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    dim = w.ndim - 2
    if w.ndim != len(xshape):
        raise RuntimeError(
            f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional weight"
            f"{list(w.shape)}, but got {len(xshape)}-dimensional input of size {list(xshape)} "
            "instead"
        )
    for name, values in (("stride", stride), ("dilation", dilation)):
        if len(values) not in (1, dim):
            raise RuntimeError(f"{name} cannot broadcast to {dim} dimensions")
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")


def _same_padding(padding: str, stride, dilation, xshape, w, groups: int) -> list | None:
    """A padding string's checks; for ``'same'``, its total padding per axis (which can be
    asymmetric: torch pads the input by the odd one first), for ``'valid'`` None."""
    if padding == "valid":
        return None
    if padding != "same":
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    _check_same(xshape, w, stride, dilation, groups)
    dims = _expand(dilation, "dilation", w.ndim - 2)
    return [d * (k - 1) for d, k in zip(dims, w.shape[2:], strict=True)]


# ------------------------------------------------------------------------------ stage 2
def _check_shape_forward(xshape, w, b, params: dict, groups: int, transposed: bool) -> None:
    """torch's ``check_shape_forward``: signs of the arguments, then ranks, groups, channels,
    bias and kernel size, in its order. ``params`` holds the expanded lists."""
    if any(p < 0 for p in params["padding"]):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in params["output_padding"]):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in params["stride"]):
        raise RuntimeError("non-positive stride is not supported")
    if any(d < 0 for d in params["dilation"]):
        raise RuntimeError("dilation should be greater than zero")
    wshape = list(w.shape)
    if w.ndim != len(xshape):
        raise RuntimeError(
            f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional weight {wshape}, but "
            f"got {len(xshape)}-dimensional input of size {list(xshape)} instead"
        )
    if wshape[0] < groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but "
            f"got weight of size {wshape} instead"
        )
    if wshape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{wshape}] instead"
        )
    if transposed:
        _check_transposed_channels(xshape, wshape, b, groups)
    else:
        _check_channels(xshape, wshape, b, groups)
        _check_kernel_fits(xshape, wshape, params)


def _check_channels(xshape, wshape: list, b, groups: int) -> None:
    """A convolution's input channels (weight (O, C/groups, k...)) and bias (O,)."""
    expected = wshape[1] * groups
    if xshape[1] != expected:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {wshape}, expected input{list(xshape)} to "
            f"have {expected} channels, but got {xshape[1]} channels instead"
        )
    if b is not None and (b.ndim != 1 or b.shape[0] != wshape[0]):
        raise RuntimeError(
            f"Given weight of size {wshape}, expected bias to be 1-dimensional with {wshape[0]} "
            f"elements, but got bias of size {list(b.shape)} instead"
        )


def _check_transposed_channels(xshape, wshape: list, b, groups: int) -> None:
    """A transposed convolution's input channels (weight (C, O/groups, k...)) and bias (O,)."""
    if xshape[1] != wshape[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {wshape}, expected input{list(xshape)} to have "
            f"{wshape[0]} channels, but got {xshape[1]} channels instead"
        )
    out_channels = wshape[1] * groups
    if b is not None and (b.ndim != 1 or b.shape[0] != out_channels):
        raise RuntimeError(
            f"Given transposed=1, weight of size {wshape}, expected bias to be 1-dimensional "
            f"with {out_channels} elements, but got bias of size {list(b.shape)} instead"
        )


def _check_kernel_fits(xshape, wshape: list, params: dict) -> None:
    """The dilated kernel must fit in the padded input, on every spatial axis."""
    padded = [n + p for n, p in zip(xshape[2:], params["padding_total"], strict=True)]
    span = [d * (k - 1) + 1 for d, k in zip(params["dilation"], wshape[2:], strict=True)]
    if any(p < s for p, s in zip(padded, span, strict=True)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, span))}). Kernel size can't be greater than "
            "actual input size"
        )


# ------------------------------------------------------------------------------ stage 3
def _as_2d(xshape, wshape, params: dict) -> tuple:
    """A 1-D convolution as torch's kernels see it: a 2-D one of height 1."""
    if len(xshape) != 3:
        return list(xshape), list(wshape), params
    lead = {"stride": 1, "padding": 0, "dilation": 1, "output_padding": 0, "padding_total": 0}
    params = {k: [lead[k], *v] for k, v in params.items()}
    return [*xshape[:2], 1, xshape[2]], [*wshape[:2], 1, wshape[2]], params


def _use_mkldnn(dtype, xshape, wshape, params: dict, groups: int, transposed: bool) -> bool:
    """Whether torch's CPU convolution runs on oneDNN (its ``ConvParams::use_mkldnn``)."""
    if transposed and any(o >= s for o, s in zip(params["output_padding"], params["stride"])):
        return False
    if dtype.name in ("bfloat16", "float16"):
        return True
    if dtype.name != "float32":
        return False
    n = xshape[0]
    either = (
        any(s != 1 for s in params["stride"])
        or any(d != 1 for d in params["dilation"])
        or n >= 16
        or wshape[-1] != 1
        or wshape[-2] != 1
        or parallel.num_threads() > 1  # (torch's intra-op threads)
    )
    native_slower = (
        groups > 1 or (wshape[-1] > 3 and wshape[-2] > 3) or n > 1 or math.prod(xshape[:4]) > 20480
    )
    return either and native_slower


def _transposed_size(xshape, wshape, params: dict) -> list:
    """The output size per spatial axis of a transposed convolution."""
    return [
        (i - 1) * s - 2 * p + d * (k - 1) + o + 1
        for i, k, s, p, d, o in zip(
            xshape[2:],
            wshape[2:],
            params["stride"],
            params["padding"],
            params["dilation"],
            params["output_padding"],
            strict=True,
        )
    ]


def _check_onednn(x, w, b, xshape, wshape, params: dict, transposed: bool) -> None:
    """oneDNN's errors: the tensor types first (with legacy type names), then what its
    primitives refuse."""
    for name, t in (("weight", w), ("bias", b)):
        if t is not None and t.dtype != x.dtype:
            raise RuntimeError(
                f"Input type ({_legacy_type(x.dtype)}) and {name} type ({_legacy_type(t.dtype)}) "
                f"should be the same or input should be a MKLDNN tensor and {name} is a dense "
                "tensor"
            )
    what = "deconvolution" if transposed else "convolution"
    if min(params["dilation"]) <= 0:
        if not transposed:
            raise RuntimeError("non-positive dilation is not supported")
        raise RuntimeError(
            "dimensions are invalid" if len(xshape) == 5 else _ONEDNN.format(what=what)
        )
    if min(wshape[2:]) <= 0:
        raise RuntimeError(_ONEDNN.format(what=what))
    if transposed and min(_transposed_size(xshape, wshape, params)) < 1:
        raise RuntimeError("could not construct a memory descriptor using a format tag")


def _named(prefix: str, values: list, sep: str = " ") -> str:
    """``prefix_height: 1 prefix_width: 2`` (with depth for 3-D), as the slow kernels print."""
    axes = _AXES[len(values)]
    return sep.join(f"{prefix}_{a}: {v}" for a, v in zip(axes, values, strict=True))


def _check_slow(x, w, b, xshape, wshape, params: dict, transposed: bool) -> None:
    """The reference kernels' errors: shapes first, then the dtypes."""
    if transposed:
        _check_slow_transposed(xshape, wshape, params)
    else:
        _check_slow_convolution(wshape, params)
    for t in (w, b):
        if t is not None and t.dtype != x.dtype:
            raise RuntimeError(
                f"expected scalar type {_torch_name(x.dtype)} but found {_torch_name(t.dtype)}"
            )
    if x.dtype.name == "bool":
        raise NotImplementedError(
            f"\"{_slow_kernel(xshape, params, transposed)}\" not implemented for 'Bool'"
        )


def _check_slow_convolution(wshape, params: dict) -> None:
    """slow_conv2d / slow_conv3d (dilation 1) or slow_conv_dilated: kernel and dilation > 0."""
    kernel, dilation = wshape[2:], params["dilation"]
    dilated = any(d != 1 for d in dilation)
    if min(kernel) <= 0:
        if dilated:
            got = f" {kernel}"
        elif len(kernel) == 3:
            got = f": {' x '.join(map(str, kernel))} (TxHxW)"
        else:
            got = " " + _named("kernel", kernel)
        raise RuntimeError(f"kernel size should be greater than zero, but got{got}")
    if min(dilation) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got {dilation}")


def _check_slow_transposed(xshape, wshape, params: dict) -> None:
    """slow_conv_transpose2d/3d's shape check: kernel, dilation, output padding, output size."""
    kernel, dilation = wshape[2:], params["dilation"]
    if min(kernel) <= 0:
        if len(kernel) == 3:
            raise RuntimeError(
                "non-empty 5D (n_output_plane x n_input_plane x kernel_depth x kernel_height x "
                f"kernel_width) tensor expected for weight, but got: {list(wshape)}"
            )
        raise RuntimeError(
            f"kernel size should be greater than zero, but got {_named('kernel', kernel)}"
        )
    if min(dilation) <= 0:
        got = _named("dilation", dilation, sep=", ")
        raise RuntimeError(f"dilation should be greater than zero, but got {got}")
    stride, output_padding = params["stride"], params["output_padding"]
    if any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation, strict=True)):
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            f"{_named('output_padding', output_padding)} {_named('stride', stride)} "
            f"{_named('dilation', dilation)}"
        )
    size = _transposed_size(xshape, wshape, params)
    if min(size) < 1:
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, xshape[2:]))}). Calculated "
            f"output size per channel: ({' x '.join(map(str, size))}). Output size is too small"
        )


def _slow_kernel(xshape, params: dict, transposed: bool) -> str:
    """The name of the reference kernel that refuses a dtype."""
    if transposed:
        return f"slow_conv_transpose{len(xshape) - 2}d_out_cpu"
    if any(d != 1 for d in params["dilation"]):
        return "slow_conv_dilated<>"
    return "compute_columns3d" if len(xshape) == 5 else "slow_conv2d_cpu"


def _backend_trouble(x, w, b, params: dict, xshape, transposed: bool) -> bool:
    """Whether any stage-3 check can fail (so that a good call skips them all)."""
    if (
        w.dtype != x.dtype
        or (b is not None and b.dtype != x.dtype)
        or x.dtype.name == "bool"
        or min(params["dilation"]) <= 0
        or min(w.shape[2:]) <= 0
    ):
        return True
    if not transposed:
        return False
    stride, dilation = params["stride"], params["dilation"]
    return (
        any(o >= s and o >= d for o, s, d in zip(params["output_padding"], stride, dilation))
        or min(_transposed_size(xshape, w.shape, params)) < 1
    )


# ------------------------------------------------------------------------------ entry
def check_convolution(
    op: str,
    x,
    w,
    b,
    stride,
    padding,
    dilation,
    groups: int,
    spatial: int,
    transposed: bool = False,
    output_padding=0,
) -> None:
    """Raise what torch raises for ``op(x, w, b, ...)``, or nothing for a valid call.

    ``x`` may be unbatched; ``spatial`` is the op's number of spatial axes (its ``int[n]``
    arguments). Shapes and dtypes only: nothing here reads the data.
    """
    _check_tensors(op, (x, w, b, stride, padding, dilation, groups), transposed)
    check_call(op, x, b, padding, spatial, transposed)
    xshape = tuple(x.shape) if x.ndim == spatial + 2 else (1, *x.shape)
    stride, dilation = _as_list(stride, spatial), _as_list(dilation, spatial)
    totals = None
    if isinstance(padding, str):
        totals = _same_padding(padding, stride, dilation, xshape, w, groups)
        padding = 0
    if w.ndim <= 2:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    dim = w.ndim - 2
    params = {
        "stride": _expand(stride, "stride", dim),
        "padding": _expand(_as_list(padding, spatial), "padding", dim),
        "dilation": _expand(dilation, "dilation", dim),
        "output_padding": _expand(_as_list(output_padding, spatial), "output_padding", dim),
    }
    params["padding_total"] = totals or [2 * p for p in params["padding"]]
    _check_shape_forward(xshape, w, b, params, groups, transposed)
    if _backend_trouble(x, w, b, params, xshape, transposed):
        _check_backend(x, w, b, xshape, params, groups, transposed)


def _check_backend(x, w, b, xshape, params: dict, groups: int, transposed: bool) -> None:
    """Stage 3: the errors of the kernel torch would pick for this call."""
    xshape, wshape, params = _as_2d(xshape, w.shape, params)
    if _use_mkldnn(x.dtype, xshape, wshape, params, groups, transposed):
        _check_onednn(x, w, b, xshape, wshape, params, transposed)
    else:
        _check_slow(x, w, b, xshape, wshape, params, transposed)
