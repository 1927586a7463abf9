"""PyTorch's top-level functions that are not plain forms of a Tensor method (hstack,
meshgrid, einsum, finfo, ...) and its constants. The plain forms (``gradiente.exp(x)`` is
``x.exp()``) are generated from the methods' marks into ``gradiente/_generated_functions.py``."""

from __future__ import annotations

import builtins
import itertools
import math
import numbers
import os

from gradiente import backend as B
from gradiente.backend import xp
from gradiente.func import vmap  # noqa: F401 (torch.vmap is torch.func.vmap)
from gradiente.ops import linalg as L
from gradiente.tensor import (
    Tensor,
    _shape_arg,
    arange,
    as_tensor,
    cat,
    device,
    empty,
    stack,
    tensor,
    write_out,
    zeros,
)


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


# PyTorch's constants
pi, e, inf, nan = math.pi, math.e, math.inf, math.nan
newaxis = None


class _Named:
    """A constant printed by its PyTorch name (memory formats, layouts)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"


# Memory formats and layouts are accepted and ignored: NumPy arrays are strided, row-major.
contiguous_format = _Named("contiguous_format")
channels_last = _Named("channels_last")
channels_last_3d = _Named("channels_last_3d")
preserve_format = _Named("preserve_format")
strided = _Named("strided")


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor of ``size`` (gradiente's tensors are always row-major)."""
    return empty(tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)


def pow(input, exponent, out=None):  # noqa: A001 (PyTorch's name)
    """input ** exponent; ``input`` may be a Python number when ``exponent`` is a tensor."""
    if not isinstance(input, Tensor):
        return write_out(out, exponent.__rpow__(input), "pow")
    return write_out(out, input.pow(exponent), "pow")


def var_mean(input, dim=None, unbiased=None, keepdim=False, correction=None):
    """(var, mean) over ``dim``."""
    return input.var(dim, unbiased, keepdim, correction), input.mean(dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, correction=None):
    """(std, mean) over ``dim``."""
    return input.std(dim, unbiased, keepdim, correction), input.mean(dim, keepdim)


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
    """The shape that broadcasting ``shapes`` together gives."""
    from gradiente.tensor import Size

    return Size(xp.broadcast_shapes(*shapes))


def broadcast_tensors(*tensors):
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t.expand(shape) for t in tensors)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def numel(input) -> int:
    return input.numel()


def typename(obj) -> str:
    """``torch.FloatTensor``-style name of a tensor's type (else the Python type's name)."""
    if isinstance(obj, Tensor):
        return obj.type()
    return type(obj).__qualname__


# ---------------------------------------------------------------------- joining and splitting


def atleast_1d(*tensors):
    out = tuple(t.reshape(1) if t.ndim == 0 else t for t in _tensors(tensors))
    return out[0] if len(out) == 1 else out


def atleast_2d(*tensors):
    out = tuple(t.reshape(1, -1) if t.ndim < 2 else t for t in _tensors(tensors))
    return out[0] if len(out) == 1 else out


def atleast_3d(*tensors):
    def lift(t):
        if t.ndim == 0:
            return t.reshape(1, 1, 1)
        if t.ndim == 1:
            return t.reshape(1, -1, 1)
        if t.ndim == 2:
            return t.unsqueeze(-1)
        return t

    out = tuple(lift(t) for t in _tensors(tensors))
    return out[0] if len(out) == 1 else out


def _tensors(tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(tensors[0])
    return tensors


def hstack(tensors, out=None) -> Tensor:
    """Concatenate column-wise (along dim 1; dim 0 for 1-D tensors)."""
    tensors = atleast_1d(*tensors)
    tensors = tensors if isinstance(tensors, tuple) else (tensors,)
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1, out=out)


def vstack(tensors, out=None) -> Tensor:
    """Concatenate row-wise (1-D tensors become rows)."""
    tensors = atleast_2d(*tensors)
    tensors = tensors if isinstance(tensors, tuple) else (tensors,)
    return cat(tensors, 0, out=out)


row_stack = vstack


def dstack(tensors, out=None) -> Tensor:
    """Concatenate depth-wise (along dim 2)."""
    tensors = atleast_3d(*tensors)
    tensors = tensors if isinstance(tensors, tuple) else (tensors,)
    return cat(tensors, 2, out=out)


def column_stack(tensors, out=None) -> Tensor:
    """1-D tensors become columns, then everything is concatenated along dim 1."""
    cols = [t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors]
    return cat(cols, 1, out=out)


def _split_by(input, indices_or_sections, dim, name):
    if isinstance(indices_or_sections, numbers.Integral):
        n = input.shape[dim]
        if n % indices_or_sections:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                f"dimension {n} is not divisible by the split_size {indices_or_sections}!"
            )
    return input.tensor_split(indices_or_sections, dim)


def hsplit(input, indices_or_sections):
    return _split_by(input, indices_or_sections, 0 if input.ndim == 1 else 1, "hsplit")


def vsplit(input, indices_or_sections):
    return _split_by(input, indices_or_sections, 0, "vsplit")


def dsplit(input, indices_or_sections):
    return _split_by(input, indices_or_sections, 2, "dsplit")


def repeat_interleave(input, repeats=None, dim=None, output_size=None):
    """``repeat_interleave(counts)`` alone repeats each index i counts[i] times."""
    if repeats is None:
        return arange(input.shape[0]).repeat_interleave(input)
    return input.repeat_interleave(repeats, dim, output_size)


# ---------------------------------------------------------------------- grids and combinatorics


def meshgrid(*tensors, indexing=None):
    """Coordinate grids: with ``indexing='ij'`` (the default) output i varies along dim i."""
    tensors = _tensors(tensors)
    indexing = indexing or "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f"torch.meshgrid: indexing must be one of 'xy' or 'ij', but received: {indexing}"
        )
    flat = [t.reshape(-1) for t in tensors]
    if indexing == "xy" and len(flat) >= 2:
        flat[0], flat[1] = flat[1], flat[0]
    shape = tuple(t.shape[0] for t in flat)
    grids = []
    for i, t in enumerate(flat):
        view = [1] * len(flat)
        view[i] = -1
        grids.append(t.reshape(view).expand(shape))
    if indexing == "xy" and len(grids) >= 2:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors):
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """All length-r combinations of a 1-D tensor's elements, in lexicographic index order."""
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    index = list(pick(builtins.range(input.shape[0]), r))
    if not index:
        return empty(0, r, dtype=input.dtype)
    idx = as_tensor(xp.asarray(index, dtype=xp.int64))
    return input[idx]


def block_diag(*tensors):
    """A block-diagonal matrix made of the given matrices (scalars and vectors are rows)."""
    mats = [t.reshape(1, -1) if t.ndim < 2 else t for t in tensors]
    dtype = mats[0].dtype
    for m in mats[1:]:
        dtype = B.promote_types(dtype, m.dtype)
    rows = []
    total = builtins.sum(m.shape[1] for m in mats)
    start = 0
    for m in mats:
        left = zeros(m.shape[0], start, dtype=dtype)
        right = zeros(m.shape[0], total - start - m.shape[1], dtype=dtype)
        rows.append(cat([left, m.to(dtype), right], 1))
        start += m.shape[1]
    return cat(rows, 0)


def _triangle_indices(row, col, offset, lower, dtype):
    r, c = xp.tril_indices(row, offset, col) if lower else xp.triu_indices(row, offset, col)
    return as_tensor(xp.stack([r, c]).astype((dtype or B.int64).np))


def tril_indices(row, col, offset=0, dtype=None, device=None, layout=None):
    """The (row, col) coordinates of the lower triangle, as a 2 × N tensor."""
    return _triangle_indices(row, col, offset, True, dtype)


def triu_indices(row, col, offset=0, dtype=None, device=None, layout=None):
    return _triangle_indices(row, col, offset, False, dtype)


def vander(x, N=None, increasing=False):
    n = x.shape[0] if N is None else N
    powers = arange(n) if increasing else arange(n - 1, -1, -1)
    return x.unsqueeze(-1) ** powers


# ---------------------------------------------------------------------- products


def einsum(equation, *operands):
    """Einstein summation: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``.

    Operands may also be passed as one list. The gradient of each operand is again an einsum.
    """
    if not isinstance(equation, str):  # einsum(op1, [0, 1], op2, [1, 2], [0, 2])
        equation, operands = _sublist_equation((equation, *operands))
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = [t if isinstance(t, Tensor) else as_tensor(t) for t in operands]
    dtype = operands[0].dtype
    for t in operands[1:]:
        dtype = B.promote_types(dtype, t.dtype)
    operands = [t.to(dtype) for t in operands]
    subs, out = L.normalize_einsum(equation, [t.ndim for t in operands])
    return L.Einsum.apply(subs, out, *operands)


def _sublist_equation(args):
    """The equation string of einsum's sublist form (operands followed by their dim lists)."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def spell(sublist):
        return "".join("..." if d is Ellipsis else letters[d] for d in sublist)

    operands, subs = list(args[0::2]), [spell(s) for s in args[1::2]]
    out = ""
    if len(args) % 2:  # an output sublist was given last
        operands, out = operands[:-1], "->" + spell(args[-1])
    return ",".join(subs[: len(operands)]) + out, operands


def tensordot(a, b, dims=2, out=None):
    """Contract the last ``dims`` dims of a with the first of b (or the listed dim pairs)."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, numbers.Integral):
        dims_a = list(builtins.range(a.ndim - dims, a.ndim))
        dims_b = list(builtins.range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    dims_a = [d % a.ndim for d in dims_a]
    dims_b = [d % b.ndim for d in dims_b]
    free_a = [d for d in builtins.range(a.ndim) if d not in dims_a]
    free_b = [d for d in builtins.range(b.ndim) if d not in dims_b]
    k = math.prod(a.shape[d] for d in dims_a)
    left = a.permute(*free_a, *dims_a).reshape(-1, k)
    right = b.permute(*dims_b, *free_b).reshape(k, -1)
    shape = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    return write_out(out, (left @ right).reshape(shape), "tensordot")


def kron(input, other, out=None):
    """The Kronecker product: every element of input scales a copy of other."""
    nd = builtins.max(input.ndim, other.ndim)
    a = input.reshape((1,) * (nd - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (nd - other.ndim) + tuple(other.shape))
    # (a0, 1, a1, 1, ...) * (1, b0, 1, b1, ...) -> (a0·b0, a1·b1, ...)
    a_view = [s for n in a.shape for s in (n, 1)]
    b_view = [s for n in b.shape for s in (1, n)]
    shape = [m * n for m, n in zip(a.shape, b.shape)]
    return write_out(out, (a.reshape(a_view) * b.reshape(b_view)).reshape(shape), "kron")


def chain_matmul(*matrices):
    out = matrices[0]
    for m in matrices[1:]:
        out = out @ m
    return out


def cdist(x1, x2, p=2.0, compute_mode=None):
    """Pairwise p-norm distances between the rows of x1 (…, P, M) and x2 (…, R, M)."""
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (…, P, R, M)
    return diff.norm(p, dim=-1)


def cov(input, correction=1, fweights=None, aweights=None):
    """The covariance of the variables in the rows of ``input`` (observations in columns)."""
    x = input if input.ndim == 2 else input.reshape(1, -1)
    x = x._float() if x.dtype.is_floating_point is False else x
    w = None
    if fweights is not None:
        w = fweights
    if aweights is not None:
        w = aweights if w is None else w * aweights
    if w is None:
        n = x.shape[1]
        centred = x - x.mean(1, keepdim=True)
        out = (centred @ centred.t()) / builtins.max(n - correction, 0)
    else:
        w = w.to(x.dtype)
        total = w.sum()
        avg = (x * w).sum(1, keepdim=True) / total
        centred = x - avg
        if aweights is None:
            norm = total - correction
        else:
            norm = total - correction * (w * aweights).sum() / total
        out = (centred * w) @ centred.t() / norm
    return out.squeeze() if input.ndim < 2 else out


def corrcoef(input):
    """Pearson correlation coefficients of the rows of ``input``."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal().sqrt()
    return (c / d.unsqueeze(1) / d.unsqueeze(0)).clamp(-1, 1)


# ---------------------------------------------------------------------- searching


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of ``elements`` is in ``test_elements``."""
    a = elements._data if isinstance(elements, Tensor) else xp.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    return Tensor._make(xp.isin(a, b, invert=invert), False, None)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Indices where ``input`` would be inserted into each sorted (last-dim) sequence."""
    side = side or ("right" if right else "left")
    seq = sorted_sequence._data
    values = input._data if isinstance(input, Tensor) else xp.asarray(input)
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter._data, -1)
    if seq.ndim == 1:
        idx = xp.searchsorted(seq, values, side=side)
    else:
        rows = seq.reshape(-1, seq.shape[-1])
        vals = values.reshape(rows.shape[0], -1)
        idx = xp.stack([xp.searchsorted(r, v, side=side) for r, v in zip(rows, vals)])
        idx = idx.reshape(values.shape)
    return Tensor._make(xp.asarray(idx, dtype=xp.int32 if out_int32 else xp.int64), False, None)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value: i with boundaries[i-1] < x <= boundaries[i] (``right``: <, <=)."""
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# ---------------------------------------------------------------------- dtypes and settings


class finfo:
    """Machine limits of a floating dtype (``torch.finfo``)."""

    def __init__(self, type=None):
        self.dtype = (B.get_default_dtype() if type is None else B.to_dtype(type)).name
        info = xp.finfo(B.to_dtype(self.dtype).np)
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
    """Only the CPU exists in gradiente: ``"cpu"`` (or None) is accepted."""
    if device is not None and str(device).split(":")[0] not in ("cpu", "meta"):
        raise RuntimeError(
            f"device '{device}' is not available: gradiente computes on the CPU (NumPy backend)"
        )


def get_default_device():
    return device("cpu")


_THREADS: list[int | None] = [None]  # None: not set yet, the BLAS pool's own size


def _blas_pools():
    """NumPy's BLAS thread pools (threadpoolctl), or [] where threadpoolctl is missing."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [p for p in threadpool_info() if p["user_api"] == "blas"]


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for the heavy work: NumPy's BLAS (matrix products, convolution's GEMMs)
    through threadpoolctl, as ``torch.set_num_threads`` sizes torch's intra-op pool."""
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _THREADS[0] = n
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=n, user_api="blas")  # stays in force until changed again


def get_num_threads() -> int:
    """The number of threads ``set_num_threads`` set, else the BLAS pool's (else the cores)."""
    if _THREADS[0] is not None:
        return _THREADS[0]
    pools = _blas_pools()
    return max((p["num_threads"] for p in pools), default=os.cpu_count() or 1)


def set_num_interop_threads(n: int) -> None:
    """Accepted for compatibility (gradiente runs one op at a time)."""


def get_num_interop_threads() -> int:
    return 1


_DETERMINISTIC = [False]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Recorded only: gradiente's CPU kernels are always deterministic."""
    _DETERMINISTIC[0] = bool(mode)


def are_deterministic_algorithms_enabled() -> bool:
    return _DETERMINISTIC[0]


_MATMUL_PRECISION = ["highest"]


def set_float32_matmul_precision(precision: str) -> None:
    """Recorded only: NumPy multiplies float32 matrices in float32."""
    _MATMUL_PRECISION[0] = precision


def get_float32_matmul_precision() -> str:
    return _MATMUL_PRECISION[0]


def compile(model=None, **kwargs):  # noqa: A001 (PyTorch's name)
    """``torch.compile`` has nothing to compile here: the model (or function) is returned as is,
    so scripts that compile still run, eagerly."""
    if model is None:
        return lambda m: m
    return model


def range(start=0, end=None, step=1, dtype=None, device=None, requires_grad=False):  # noqa: A001
    """Deprecated in PyTorch: like arange but including ``end``, float by default."""
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
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            data = args[0]
            return data.to(cls.dtype) if isinstance(data, Tensor) else tensor(data, dtype=cls.dtype)
        return empty(_shape_arg(args), dtype=cls.dtype) if args else empty(0, dtype=cls.dtype)

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


__all__ = sorted(
    {
        "flip",
        "remainder",
        "pi",
        "e",
        "contiguous_format",
        "channels_last",
        "channels_last_3d",
        "preserve_format",
        "strided",
        "empty_strided",
        "inf",
        "nan",
        "newaxis",
        "pow",
        "var_mean",
        "std_mean",
        "is_tensor",
        "is_floating_point",
        "result_type",
        "can_cast",
        "broadcast_shapes",
        "broadcast_tensors",
        "flatten",
        "numel",
        "typename",
        "atleast_1d",
        "atleast_2d",
        "atleast_3d",
        "hstack",
        "vstack",
        "row_stack",
        "dstack",
        "column_stack",
        "hsplit",
        "vsplit",
        "dsplit",
        "repeat_interleave",
        "meshgrid",
        "cartesian_prod",
        "combinations",
        "block_diag",
        "tril_indices",
        "triu_indices",
        "vander",
        "einsum",
        "tensordot",
        "kron",
        "chain_matmul",
        "cdist",
        "cov",
        "corrcoef",
        "isin",
        "searchsorted",
        "bucketize",
        "finfo",
        "iinfo",
        "set_default_device",
        "get_default_device",
        "set_num_threads",
        "get_num_threads",
        "set_num_interop_threads",
        "get_num_interop_threads",
        "use_deterministic_algorithms",
        "are_deterministic_algorithms_enabled",
        "set_float32_matmul_precision",
        "get_float32_matmul_precision",
        "compile",
        "vmap",
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
    }
)


def get_rng_state():
    """The default generator's state as a uint8 tensor (PyTorch's 5056-byte layout)."""
    from gradiente import random as _random

    return Tensor._make(_random.get_rng_state(), False, None)


def set_rng_state(new_state) -> None:
    """Restore the default generator from ``get_rng_state()``'s tensor."""
    from gradiente import random as _random

    state = new_state._data if isinstance(new_state, Tensor) else new_state
    _random.set_rng_state(state)


__all__ += ["get_rng_state", "set_rng_state"]
