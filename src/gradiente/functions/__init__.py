"""PyTorch's top-level functions that are not plain forms of a Tensor method, and its constants.

The plain forms (``gradiente.exp(x)`` is ``x.exp()``) are generated from the methods' marks
into ``gradiente/_generated_functions.py``. The hand-written ones are here: the constants, the
small functions whose method form differs (``flip`` wants a tuple, ``pow`` and ``remainder``
take a number first) or that have none, and the legacy constructors; the larger families have
a module each:

    joining    atleast_Nd, hstack/vstack/dstack/column_stack, hsplit/vsplit/dsplit
    grids      meshgrid, cartesian_prod, combinations, block_diag, tril/triu_indices, vander
    products   einsum, tensordot, chain_matmul, cdist
    decompositions  svd, triangular_solve, cholesky_solve, lu_unpack; cholesky, qr, lu (deprecated)
    lowrank    svd_lowrank, pca_lowrank (randomized, Halko et al.)
    differences  gradient
    fake_quantize  fake_quantize_per_tensor_affine / _per_channel_affine (straight-through)
    linalg_extra    cholesky_inverse, orgqr
    searching  isin, searchsorted, bucketize, unravel_index
    settings   finfo/iinfo, default device, threads, determinism, compile, rng state
    copies     the ``*_copy`` functions (view ops into new memory: ``view_copy``, ...)
    legacy     histogramdd, empty_permuted, fill, nonzero_static, lu_solve, the deprecated
               norms and the removed solvers (``solve``, ``eig``, ...)
    torch_aliases  second names and switches (``conj``, ``set_warn_always``, ...)

(``copies``, ``legacy`` and ``torch_aliases`` are imported by the package root with ``*``.)

``scripts/generate_functions.py`` reads the names these modules define, so that a name written
by hand is not generated again.
"""

from __future__ import annotations

import builtins
import math
import numbers
import warnings

from gradiente import backend as B
from gradiente.autograd.function import show_as as _show_as
from gradiente.backend import xp
from gradiente.func import vmap
from gradiente.functions.decompositions import (
    cholesky,
    cholesky_solve,
    lu,
    lu_unpack,
    qr,
    svd,
    triangular_solve,
)
from gradiente.functions.differences import gradient
from gradiente.functions.fake_quantize import (
    fake_quantize_per_channel_affine,
    fake_quantize_per_tensor_affine,
)
from gradiente.functions.grids import (
    block_diag,
    cartesian_prod,
    combinations,
    meshgrid,
    tril_indices,
    triu_indices,
    vander,
)
from gradiente.functions.joining import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    column_stack,
    dsplit,
    dstack,
    hsplit,
    hstack,
    repeat_interleave,
    row_stack,
    vsplit,
    vstack,
)
from gradiente.functions.linalg_extra import cholesky_inverse, orgqr
from gradiente.functions.lowrank import pca_lowrank, svd_lowrank
from gradiente.functions.products import (
    cdist,
    chain_matmul,
    einsum,
    pdist,
    tensordot,
)
from gradiente.functions.searching import (
    bucketize,
    isin,
    searchsorted,
    unravel_index,
)
from gradiente.functions.settings import (
    are_deterministic_algorithms_enabled,
    compile,
    finfo,
    get_default_device,
    get_float32_matmul_precision,
    get_num_interop_threads,
    get_num_threads,
    get_rng_state,
    iinfo,
    set_default_device,
    set_float32_matmul_precision,
    set_num_interop_threads,
    set_num_threads,
    set_rng_state,
    use_deterministic_algorithms,
)
from gradiente.ops import reduce as _R
from gradiente.tensor import (
    Tensor,
    _dim,
    _scalar_like,
    _shape_arg,
    empty,
    tensor,
    write_out,
)
from gradiente.tensor.common import _legacy_array, layout, strided
from gradiente.tensor.factories import empty_strided_tensor
from gradiente.tensor.marks import numpy_axis
from gradiente.tensor.reductions import _spread_args


def flip(input, dims):
    """``gradiente.flip(input, dims)``: ``dims`` is a tuple or list; PyTorch rejects an int
    here (the method ``input.flip(0)`` takes one)."""
    if not isinstance(dims, (tuple, list)):
        raise TypeError(
            f"flip(): argument 'dims' (position 2) must be tuple of ints, not {type(dims).__name__}"
        )
    return input.flip(dims)


def remainder(input, other, *, out=None):
    """``gradiente.remainder(input, other)``: ``input % other``; a number ``input`` is PyTorch's
    remainder(Scalar, Tensor), which has no derivative (backward raises)."""
    result = other.__rmod__(input) if not isinstance(input, Tensor) else input.remainder(other)
    return write_out(out, result, "remainder")


def rsub(input, other, *, alpha=1, out=None):
    """``other − alpha · input`` (subtraction with the operands swapped); ``other`` may be a
    number."""
    if not isinstance(other, Tensor):
        other = _scalar_like(other, input)
    return write_out(out, other.sub(input, alpha=alpha), "rsub")


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The integral of ``y`` along ``dim`` by the trapezoidal rule: samples ``dx`` apart (1 by
    default), or at the points ``x`` (a 1-D tensor along ``dim``, or one that broadcasts
    with ``y``)."""
    d = _dim(dim, y.ndim, "trapezoid")
    if x is not None and dx is not None:
        raise TypeError("trapezoid() received an invalid combination of arguments: x and dx")
    if y.shape[d] == 0:  # no intervals
        return y.new_zeros(y.shape[:d] + y.shape[d + 1 :])
    if y.dtype is B.bool_ or (x is not None and x.dtype is B.bool_):
        raise RuntimeError("trapezoid: received a bool input for `y`, but bool is not supported")
    n = y.shape[d]
    if x is None:
        # Σ (y_i + y_{i+1})/2 · dx = (Σ y − (y_first + y_last)/2) · dx
        ends = y.select(d, 0) + y.select(d, -1)
        return (y.sum(d) - ends * 0.5) * (1 if dx is None else dx)
    if x.ndim == 1:
        if x.shape[0] != n:
            raise RuntimeError("trapezoid: There must be one `x` value for each sample point")
        x = x.reshape([n if k == d else 1 for k in builtins.range(y.ndim)])
    elif x.ndim < y.ndim:
        x = x.reshape((1,) * (y.ndim - x.ndim) + tuple(x.shape))
    spacing = x.narrow(d, 1, x.shape[d] - 1) - x.narrow(d, 0, x.shape[d] - 1)
    # Σ (x_{i+1} − x_i) (y_i + y_{i+1}) / 2
    return (spacing * (y.narrow(d, 1, n - 1) + y.narrow(d, 0, n - 1)) / 2.0).sum(d)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running integral of ``y`` along ``dim`` by the trapezoidal rule: one value fewer
    than ``y`` along ``dim``, the k-th being ``trapezoid`` of samples 0..k+1. Computed as torch
    does, ``cumsum(dx · (y_i + y_{i+1}) / 2)`` (``dx / 2 · (...)`` for a number ``dx``), so the
    rounding is the same."""
    d = _dim(dim, y.ndim, "cumulative_trapezoid")
    if x is not None and dx is not None:
        raise TypeError(
            "cumulative_trapezoid() received an invalid combination of arguments: x and dx"
        )
    n = y.shape[d]
    left, right = y.narrow(d, 0, max(n - 1, 0)), y.narrow(d, min(1, n), max(n - 1, 0))
    if x is None:
        if y.dtype is B.bool_:
            raise RuntimeError(
                "cumulative_trapezoid: received a bool input for `y`, but bool is not supported"
            )
        if isinstance(dx, bool) or not isinstance(dx, (int, float, type(None))):
            raise RuntimeError(
                "cumulative_trapezoid: Currently, we only support dx as a real number."
            )
        return ((left + right) * ((1 if dx is None else dx) / 2.0)).cumsum(d)
    if y.dtype is B.bool_ or x.dtype is B.bool_:
        raise RuntimeError(
            "cumulative_trapezoid: received a bool input for `x` or `y`, but bool is not supported"
        )
    if x.ndim == 1:
        if x.shape[0] != n:
            raise RuntimeError(
                "cumulative_trapezoid: There must be one `x` value for each sample point"
            )
        x = x.reshape([n if k == d else 1 for k in builtins.range(y.ndim)])
    elif x.ndim < y.ndim:
        x = x.reshape((1,) * (y.ndim - x.ndim) + tuple(x.shape))
    m = x.shape[d]
    spacing = x.narrow(d, min(1, m), max(m - 1, 0)) - x.narrow(d, 0, max(m - 1, 0))
    return (spacing * (left + right) / 2.0).cumsum(d)


def trapz(y, x=None, *, dx=None, dim=-1):
    """``trapezoid`` (its older name)."""
    return trapezoid(y, x, dx=dx, dim=dim)


# PyTorch's constants
pi, e, inf, nan = math.pi, math.e, math.inf, math.nan
newaxis = None


class _Named:
    """A constant printed by its PyTorch name (memory formats, layouts)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"


# Memory formats are accepted and ignored: NumPy arrays are strided, row-major. The one layout,
# ``strided`` (every tensor's ``layout``), comes from the tensor layer.
class memory_format(_Named):
    """``torch.memory_format``: the type of ``torch.contiguous_format`` and the others."""


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False, **options):
    """An uninitialised tensor of ``size`` laid out with ``stride`` (in elements)."""
    return empty_strided_tensor(size, stride, dtype, device, requires_grad)


def polygamma(n, input, *, out=None):
    """ψ⁽ⁿ⁾(input), the n-th derivative of the digamma function (n comes first, as in torch)."""
    return write_out(out, input.polygamma(n), "polygamma")


def pow(input, exponent, out=None):  # noqa: A001 (PyTorch's name)
    """input ** exponent; ``input`` may be a Python number when ``exponent`` is a tensor."""
    if not isinstance(input, Tensor):
        return write_out(out, exponent.__rpow__(input), "pow")
    return write_out(out, input.pow(exponent), "pow")


def bitwise_left_shift(input, other, *, out=None):
    """input << other, element-wise on integers; ``input`` may be a Python number."""
    if not isinstance(input, Tensor):
        return write_out(out, other.__rlshift__(input), "bitwise_left_shift")
    return write_out(out, input.bitwise_left_shift(other), "bitwise_left_shift")


def bitwise_right_shift(input, other, *, out=None):
    """input >> other, element-wise on integers; ``input`` may be a Python number."""
    if not isinstance(input, Tensor):
        return write_out(out, other.__rrshift__(input), "bitwise_right_shift")
    return write_out(out, input.bitwise_right_shift(other), "bitwise_right_shift")


@numpy_axis
def var_mean(input, dim=None, unbiased=None, keepdim=False, correction=None):
    """(var, mean) over ``dim``."""
    dims, correction = _spread_args(input, dim, unbiased, correction, "var_mean")
    var, mean = _R.Var.apply(input, dims, correction, keepdim), input.mean(dims, keepdim)
    return _show_as(var, "VarMeanBackward0"), _show_as(mean, "VarMeanBackward0")


@numpy_axis
def std_mean(input, dim=None, unbiased=None, keepdim=False, correction=None):
    """(std, mean) over ``dim``."""
    dims, correction = _spread_args(input, dim, unbiased, correction, "std_mean")
    std, mean = _R.Std.apply(input, dims, correction, keepdim), input.mean(dims, keepdim)
    return _show_as(std, "StdMeanBackward0"), _show_as(mean, "StdMeanBackward0")


def is_tensor(obj) -> bool:
    """True for gradiente tensors."""
    return isinstance(obj, Tensor)


def is_floating_point(input) -> bool:
    return input.is_floating_point()


def result_type(a, b):
    """The dtype PyTorch's promotion gives an op on ``a`` and ``b``."""
    from gradiente.backend import result_type as _result_type

    return _result_type(a, b)


def can_cast(from_, to) -> bool:
    """Whether PyTorch's casting rules allow an in-place op to cast ``from_`` to ``to``."""
    order = {"b": 0, "i": 1, "f": 2}
    return order[from_._kind] <= order[to._kind] and not (
        from_._kind == to._kind == "i" and from_.is_signed and not to.is_signed
    )


def broadcast_shapes(*shapes):
    """The shape that broadcasting ``shapes`` together gives (sizes matched from the right: equal,
    or 1), with torch's error naming the first shape that does not fit."""
    from gradiente.tensor import Size

    shapes = [(s,) if isinstance(s, int) else s for s in shapes]
    result = [1] * max((len(s) for s in shapes), default=0)
    for j, shape in enumerate(shapes):
        for i in builtins.range(-1, -1 - len(shape), -1):  # (``range`` is torch.range here)
            if shape[i] < 0:
                raise RuntimeError(
                    f"Trying to create tensor with negative dimension ({shape[i]}): ({shape[i]})"
                )
            if shape[i] == 1 or shape[i] == result[i]:
                continue
            if result[i] != 1:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {shape[i]} at {i}! "
                    f"Mismatching argument at index {j} had {shape}; but expected shape should be "
                    f"broadcastable to {result}"
                )
            result[i] = shape[i]
    return Size(result)


def broadcast_tensors(*tensors):
    """The tensors expanded to their common shape (views), with torch's error for sizes that do
    not broadcast (naming the sizes so far as tensor a, the next tensor's as tensor b)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = ()
    for t in tensors:
        error = B.broadcast_error(shape, t.shape)
        if error is not None:
            raise error
        shape = xp.broadcast_shapes(shape, t.shape)
    # as torch's expand_outplace: a tensor that has the shape already is returned itself
    return tuple(t if tuple(t.shape) == tuple(shape) else t.expand(shape) for t in tensors)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def numel(input) -> int:
    return input.numel()


def typename(obj) -> str:
    """``torch.FloatTensor``-style name of a tensor's type; else, as torch, the module-qualified
    name of ``obj`` if it is a class, or of its class (``numpy.ndarray``; gradiente's own classes
    are named by gradiente's modules)."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = obj if isinstance(obj, type) else type(obj)
    module = getattr(cls, "__module__", "") or ""
    if module in ("", "builtins"):
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"


# ---------------------------------------------------------------------- legacy constructors


def range(start=0, end=None, step=1, dtype=None, device=None, requires_grad=False):  # noqa: A001
    """Deprecated in PyTorch: like arange but including ``end``, float by default."""
    warnings.warn(
        "torch.range is deprecated and will be removed in a future release because its "
        "behavior is inconsistent with Python's range builtin. Instead, use torch.arange, "
        "which produces values in [start, end).",
        UserWarning,
        stacklevel=2,
    )
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    d = B.get_default_dtype() if dtype is None else B.to_dtype(dtype)
    values = start + xp.arange(n, dtype=xp.float64) * step
    t = Tensor._make(values.astype(d.np))
    return t.requires_grad_(True) if requires_grad else t


class _LegacyTensorType(type):
    """``torch.FloatTensor`` and friends: calling one builds a tensor of its dtype, and
    ``isinstance(t, torch.FloatTensor)`` checks the dtype."""

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __call__(cls, *args):
        return Tensor._make(_legacy_array(args, cls.dtype))  # torch's reading: see there

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


def _legacy(name: str, dtype):
    doc = f"``torch.{name}``: the legacy constructor of {dtype!r} tensors."
    return _LegacyTensorType(name, (), {"dtype": dtype, "__doc__": doc})


FloatTensor = _legacy("FloatTensor", B.float32)
DoubleTensor = _legacy("DoubleTensor", B.float64)
HalfTensor = _legacy("HalfTensor", B.float16)
LongTensor = _legacy("LongTensor", B.int64)
IntTensor = _legacy("IntTensor", B.int32)
ShortTensor = _legacy("ShortTensor", B.int16)
CharTensor = _legacy("CharTensor", B.int8)
ByteTensor = _legacy("ByteTensor", B.uint8)
BoolTensor = _legacy("BoolTensor", B.bool_)


def set_default_tensor_type(t) -> None:
    """torch's deprecated way to set the default float dtype: ``t`` is a legacy type
    (``torch.DoubleTensor``), its name, or a float dtype; with torch's warning."""
    warnings.warn(
        "torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
        "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
        stacklevel=2,
    )
    if isinstance(t, str):
        name = t.removeprefix("torch.")
        if name.startswith("cuda."):
            raise TypeError(f"type {t} not available. Torch not compiled with CUDA enabled.")
        legacy = globals().get(name)
        if not isinstance(legacy, _LegacyTensorType):
            raise TypeError(f"invalid type: '{t}'")
        if not B.is_float(legacy.dtype.np):
            raise TypeError("only floating-point types are supported as the default type")
        dtype = legacy.dtype
    else:
        dtype = t.dtype if isinstance(t, _LegacyTensorType) else None
        if dtype is None or not B.is_float(dtype.np):
            raise TypeError(
                "invalid type object: only floating-point types are supported as the default type"
            )
    B.set_default_dtype(dtype)


__all__ = [
    # constants and small functions
    "flip",
    "remainder",
    "rsub",
    "trapezoid",
    "cumulative_trapezoid",
    "trapz",
    "pi",
    "e",
    "inf",
    "nan",
    "newaxis",
    "contiguous_format",
    "channels_last",
    "channels_last_3d",
    "preserve_format",
    "layout",
    "strided",
    "empty_strided",
    "pow",
    "polygamma",
    "bitwise_left_shift",
    "bitwise_right_shift",
    "var_mean",
    "std_mean",
    "is_tensor",
    "is_floating_point",
    "result_type",
    "can_cast",
    "broadcast_shapes",
    "broadcast_tensors",
    "fake_quantize_per_channel_affine",
    "fake_quantize_per_tensor_affine",
    "flatten",
    "numel",
    "typename",
    # legacy constructors
    "range",
    "FloatTensor",
    "DoubleTensor",
    "HalfTensor",
    "LongTensor",
    "IntTensor",
    "ShortTensor",
    "CharTensor",
    "ByteTensor",
    "BoolTensor",
    "set_default_tensor_type",
    # grids
    "block_diag",
    "cartesian_prod",
    "combinations",
    "meshgrid",
    "tril_indices",
    "triu_indices",
    "vander",
    # linalg_extra
    "cholesky_inverse",
    "orgqr",
    # joining
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "column_stack",
    "dsplit",
    "dstack",
    "hsplit",
    "hstack",
    "repeat_interleave",
    "row_stack",
    "vsplit",
    "vstack",
    # decompositions
    "cholesky",
    "cholesky_solve",
    "lu",
    "lu_unpack",
    "qr",
    "svd",
    "triangular_solve",
    # differences
    "gradient",
    # lowrank
    "pca_lowrank",
    "svd_lowrank",
    # products
    "cdist",
    "pdist",
    "chain_matmul",
    "einsum",
    "tensordot",
    # searching
    "bucketize",
    "isin",
    "searchsorted",
    "unravel_index",
    # settings
    "are_deterministic_algorithms_enabled",
    "compile",
    "finfo",
    "get_default_device",
    "get_float32_matmul_precision",
    "get_num_interop_threads",
    "get_num_threads",
    "get_rng_state",
    "iinfo",
    "set_default_device",
    "set_float32_matmul_precision",
    "set_num_interop_threads",
    "set_num_threads",
    "set_rng_state",
    "use_deterministic_algorithms",
    # torch.vmap is torch.func.vmap
    "vmap",
]
