"""Reductions (``sum``, ``mean``, ``max``, ``norm``, ...), cumulative ops and order statistics."""

from __future__ import annotations

import math
import os
import sys
import warnings

from gradiente import backend as B
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import xp
from gradiente.ops import linalg as L
from gradiente.ops import reduce as R
from gradiente.ops import statistics as S
from gradiente.tensor.common import (
    _CPP_OPTION_NAMES,
    _arr,
    _dim,
    _dims,
    _return_types,
    _scalar_type_name,
    _sort_indices,
)
from gradiente.tensor.factories import linspace, zeros
from gradiente.tensor.marks import function, inplace, numpy_axis
from gradiente.tensor.promotion import (
    _arg_reduce,
    _check_float_kernel,
    _check_floating,
    _check_nanmean_dtypes,
    _check_nonempty_dim,
    _check_norm_dtype,
)
from gradiente.tensor.tie_order import kthvalue_indices, sort_indices, topk_indices
from gradiente.tensor.toplevel import maximum, minimum

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)


def _unique_result(arrays, return_inverse: bool, return_counts: bool):
    """unique's return: the values, then the inverse and the counts when asked for."""
    values, inverse, counts = arrays
    out = [Tensor._make(values, False, None)]
    if return_inverse:
        out.append(Tensor._make(inverse, False, None))
    if return_counts:
        out.append(Tensor._make(counts, False, None))
    return out[0] if len(out) == 1 else tuple(out)


def _of_scalar(x, name: str):
    """(values, indices) of a 0-d tensor: a new tensor, not ``x`` (an in-place change of one
    leaves the other as it is), and index 0."""
    return _return_types[name](x.clone(), zeros((), dtype=B.int64, device=x.device))


def _with_indices(values, idx, name: str):
    """The named (values, indices) pair of ``name``, with the index array as an int64 tensor."""
    return _return_types[name](values, Tensor._make(idx.astype(xp.int64), False, None))


def _nan_wins(x, d: int, idx):
    """cummax/cummin's ``idx`` with NaN taking over, as in torch: from a NaN on, the running
    extreme is NaN, held by the latest NaN so far."""
    m = B.get_array_module(x)
    nan = m.isnan(x)
    if not nan.any():
        return idx
    # the running "maximum" of the NaN flags is held by the latest NaN once one was seen
    latest = S.running_extreme_indices(nan, d, True)
    seen = m.take_along_axis(nan, latest, axis=d)
    return m.where(seen, latest, idx)


def _softmax_family(x, dim, dtype, name: str, op):
    """softmax or log_softmax (``op``) of ``x`` along ``dim``, in ``dtype`` when given. An
    empty tensor that is not floating comes back as a copy: torch runs no kernel, so it raises
    no dtype error."""
    a = x if dtype is None else x.to(dtype)
    d = _dim(dim, x.ndim, name)
    if a._data.size == 0 and not B.is_float(a._data.dtype):
        return a.clone()
    _check_float_kernel(a, f"{name}_lastdim_kernel_impl")
    return op.apply(a, d)


def _spread_args(x, dim, unbiased, correction, name: str):
    """var/std's arguments as (dims, correction): ``var(dim)`` may pass ``dim`` positionally in
    ``unbiased``'s place; the correction is 1 (Bessel's) unless ``unbiased=False`` or given."""
    if isinstance(unbiased, (int, list, tuple)) and not isinstance(unbiased, bool):
        dim, unbiased = unbiased, None
    if correction is None:
        correction = 0 if unbiased is False else 1
    _check_floating(x, name)  # before the dims, as torch
    dims = _dims(dim, x.ndim, name) or None
    _warn_no_dof(x, dims, correction, name)
    return dims, correction


def _warn_no_dof(x, dims, correction, name: str) -> None:
    """torch's warning when ``correction`` leaves no degrees of freedom: N − correction ≤ 0
    for the N values that each result reduces (the result is then NaN or inf)."""
    whole = dims is None or x.ndim == 0  # a 0-d tensor's dim 0 (or -1) is all of it
    n = x._data.size if whole else math.prod(x.shape[d] for d in dims)
    if n - correction <= 0:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than "
            "the reduction factor (input numel divided by output numel).",
            UserWarning,
            stacklevel=_user_stacklevel(),
        )


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the first caller outside gradiente,
    as torch's warnings from its C++ kernels point at the user's line."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


class Reductions:
    """Tensor methods: reductions, cumulative ops and order statistics."""

    __slots__ = ()

    def _reduce_dtype(self, dtype):
        if dtype is not None:
            self._check_grad_dtype(dtype)
            return B.to_dtype(dtype).np
        if self._data.dtype.kind in "biu":
            return xp.int64
        return None

    def _check_grad_dtype(self, dtype):
        """A result ``dtype`` asked for explicitly must be differentiable when autograd records
        the op, as in torch (``x.cumsum(0, dtype=int64)`` of a ``x`` that requires grad)."""
        np_dtype = B.to_dtype(dtype).np
        if grad_state.enabled and self.requires_grad and not B.is_float(np_dtype):
            raise RuntimeError(f"Autograd not support dtype: {R.torch_type_name(np_dtype)}")

    @function
    @numpy_axis
    def sum(self, dim=None, keepdim=False, dtype=None):
        """Returns the sum of all elements in the self tensor."""
        dims = _dims(dim, self.ndim, "sum")
        if dims == ():
            dims = None
        return R.Sum.apply(self, dims, keepdim, self._reduce_dtype(dtype))

    @function
    @numpy_axis
    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        """Returns the sum of all elements, treating Not a Numbers (NaNs) as zero; with
        ``dtype``, of self cast to that dtype first (as ``sum``)."""
        if dtype is not None and B.to_dtype(dtype).np != self._data.dtype:
            return self.to(dtype).nansum(dim, keepdim)
        if not B.is_float(self._data.dtype):
            return self.sum(dim, keepdim)
        dims = _dims(dim, self.ndim, "nansum")
        return R.NanSum.apply(self, None if dims == () else dims, keepdim)

    @function
    @numpy_axis
    def mean(self, dim=None, keepdim=False, dtype=None):
        """Returns the mean value of all elements in the self tensor."""
        if not B.is_float(self._data.dtype) and dtype is None:
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {_scalar_type_name(self)}"
            )
        dims = _dims(dim, self.ndim, "mean")
        if dims == ():
            dims = None
        a = self if dtype is None else self.to(dtype)
        return R.Mean.apply(a, dims, keepdim, None)

    @function
    @numpy_axis
    def prod(self, dim=None, keepdim=False, dtype=None):
        """Returns the product of all elements in the self tensor (bool and integers: int64,
        as for ``sum``)."""
        if dtype is not None:
            self._check_grad_dtype(dtype)
        a = self if dtype is None else self.to(dtype)
        if a._data.dtype.kind in "biu" and dtype is None:
            a = a.to(B.int64)
        d = None if dim is None else _dim(dim, self.ndim, "prod")
        return R.Prod.apply(a, d, keepdim)

    @function
    @numpy_axis
    def var(self, dim=None, unbiased=None, keepdim=False, correction=None):
        """Calculates the variance over the dimensions specified by ``dim``."""
        dims, correction = _spread_args(self, dim, unbiased, correction, "var")
        # var = Σ (x - x̄)² / (N - correction)   (Bessel's correction by default)
        return R.Var.apply(self, dims, correction, keepdim)

    @function
    @numpy_axis
    def std(self, dim=None, unbiased=None, keepdim=False, correction=None):
        """Calculates the standard deviation over the dimensions specified by ``dim``."""
        dims, correction = _spread_args(self, dim, unbiased, correction, "std")
        return R.Std.apply(self, dims, correction, keepdim)

    def _max_min(self, is_max, dim, keepdim, name, other=None):
        if other is not None:  # max(input, other=y): the element-wise form
            if dim is not None:
                raise TypeError(f"{name}() received an invalid combination of arguments")
            dim = other
        if dim is None:
            return R.MaxMinAll.apply(self, is_max, None, False, True)
        if isinstance(dim, Tensor):
            return maximum(self, dim) if is_max else minimum(self, dim)
        d = _dim(dim, self.ndim, name)
        x = self._data
        if x.ndim == 0:
            return _of_scalar(self, name)
        _check_nonempty_dim(self, d, name)
        idx = (xp.argmax if is_max else xp.argmin)(x, axis=d, keepdims=True)
        values = (R.MaxDim if is_max else R.MinDim).apply(self, idx, d, keepdim)
        return _with_indices(values, idx if keepdim else idx.squeeze(d), name)

    @function
    @numpy_axis
    def max(self, dim=None, keepdim=False, *, other=None):
        """The maximum of all elements; along ``dim``, (values, indices); with a tensor
        (``max(x, y)``, ``max(x, other=y)``), the element-wise maximum."""
        return self._max_min(True, dim, keepdim, "max", other)

    @function
    @numpy_axis
    def min(self, dim=None, keepdim=False, *, other=None):
        """The minimum of all elements; along ``dim``, (values, indices); with a tensor
        (``min(x, y)``, ``min(x, other=y)``), the element-wise minimum."""
        return self._max_min(False, dim, keepdim, "min", other)

    @function
    @numpy_axis
    def amax(self, dim=(), keepdim=False):
        """The maximum over ``dim`` (all dims by default); gradient shared among ties."""
        dims = _dims(dim, self.ndim, "amax") or None
        return R.MaxMinAll.apply(self, True, dims, keepdim)

    @function
    @numpy_axis
    def amin(self, dim=(), keepdim=False):
        """The minimum over ``dim`` (all dims by default); gradient shared among ties."""
        dims = _dims(dim, self.ndim, "amin") or None
        return R.MaxMinAll.apply(self, False, dims, keepdim)

    @function
    @numpy_axis
    def argmax(self, dim=None, keepdim=False):
        """Returns the indices of the maximum value of all elements in the self tensor."""
        return _arg_reduce(self, xp.argmax, dim, keepdim)

    @function
    @numpy_axis
    def argmin(self, dim=None, keepdim=False):
        """The index of the minimum (of the flattened tensor, or along ``dim``)."""
        return _arg_reduce(self, xp.argmin, dim, keepdim)

    @function
    @numpy_axis
    def logsumexp(self, dim, keepdim=False):
        """``log(sum(exp(x)))`` over ``dim``, computed stably."""
        a = self._float()  # integers and bools give the default float dtype
        return R.LogSumExp.apply(a, _dims(dim, self.ndim, "logsumexp"), keepdim)

    @function
    @numpy_axis
    def softmax(self, dim, dtype=None):
        """``exp(x) / sum(exp(x))`` along ``dim``."""
        return _softmax_family(self, dim, dtype, "softmax", R.Softmax)

    @function
    @numpy_axis
    def log_softmax(self, dim, dtype=None):
        """``log(softmax(x))`` along ``dim``, computed stably."""
        return _softmax_family(self, dim, dtype, "log_softmax", R.LogSoftmax)

    def _float(self):
        return self if B.is_float(self._data.dtype) else self.to(B.get_default_dtype())

    @function
    @inplace
    @numpy_axis
    def cumsum(self, dim, dtype=None):
        """Returns the cumulative sum of elements of self in the dimension ``dim``."""
        return R.Cumsum.apply(self, _dim(dim, self.ndim, "cumsum"), self._reduce_dtype(dtype))

    @function
    @numpy_axis
    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """The p-norm over ``dim`` (all elements by default); "fro" is the 2-norm of the
        entries, "nuc" the sum of singular values."""
        _check_norm_dtype(self, dtype if p != "nuc" else None)
        a = self if dtype is None else self.to(dtype)
        if p == "nuc":
            dims = (-2, -1) if dim is None else dim
            return a.matrix_norm("nuc", dims, keepdim)
        if p == "fro" and dim is not None and not isinstance(dim, int) and len(dim) > 2:
            # torch sends "fro" over more than two dims to matrix_norm, which refuses them
            a._check_float_norm("linalg.matrix_norm")
            got = " ".join(str(int(d)) for d in dim)
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {got}")
        if p is None or p == "fro":
            p = 2
        return a.vector_norm(p, dim, keepdim)

    @numpy_axis
    def vector_norm(self, ord=2, dim=None, keepdim=False, dtype=None):
        """The vector p-norm over ``dim`` (``linalg.vector_norm``'s kernel)."""
        self._check_float_norm("linalg.vector_norm")
        _check_norm_dtype(self, dtype)
        a = self if dtype is None else self.to(dtype)
        dims = _dims(dim, self.ndim, "linalg.vector_norm")
        if dims == ():
            dims = None
        return R.VectorNorm.apply(a, float(ord), dims, keepdim)

    def _check_float_norm(self, op):
        if not B.is_float(self._data.dtype):
            raise RuntimeError(
                f"{op}: Expected a floating point or complex tensor as input. "
                f"Got {R.torch_type_name(self._data.dtype)}"
            )

    def matrix_norm(self, ord="fro", dim=(-2, -1), keepdim=False, dtype=None):
        """The matrix norm over two dims (``linalg.matrix_norm``'s kernel)."""
        a = self if dtype is None else self.to(dtype)
        if a.ndim < 2:
            raise RuntimeError(
                "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
            )
        self._check_float_norm("linalg.matrix_norm")
        d0, d1 = (_dim(d, a.ndim, "linalg.matrix_norm") for d in dim)
        if ord == "fro":
            return a.vector_norm(2, (d0, d1), keepdim)
        if ord in ("nuc", 2, -2):
            s = L.Svd.apply(a.movedim((d0, d1), (-2, -1)), False)[1]  # differentiable σ
            out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
            if keepdim:
                out = out.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
            return out
        if ord in (1, -1, float("inf"), float("-inf")):
            # 1: max column sum of |a|; inf: max row sum
            summed, other = (d0, d1) if ord in (1, -1) else (d1, d0)
            sums = a.abs().sum(summed, keepdim=True)
            out = sums.amax(other, keepdim=True) if ord > 0 else sums.amin(other, keepdim=True)
            return out if keepdim else out.squeeze((d0, d1))
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")

    @function
    @numpy_axis
    def sort(self, dim=-1, descending=False, stable=False):
        """Values in order along ``dim`` and where they came from; equal values keep their
        order, and nan counts as the largest value (last, or first when descending)."""
        d = _dim(dim, self.ndim, "sort")
        if self.ndim == 0:  # one value: itself, from index 0
            values, indices = self.reshape(1).sort(0, descending, stable)
            return _return_types["sort"](values.reshape(()), indices.reshape(()))
        idx = _sort_indices(self._data, d, descending)
        if not stable and type(self._data) is B.ndarray:  # torch's CPU order of equal values
            idx = sort_indices(self._data, idx, d, descending)
        return _return_types["sort"](
            R.SortValues.apply(self, idx, d), Tensor._make(idx.astype(xp.int64), False, None)
        )

    @function
    @numpy_axis
    def argsort(self, dim=-1, descending=False, stable=False):
        """The indices that sort self along ``dim``."""
        return self.sort(dim, descending, stable).indices

    @function
    @numpy_axis
    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The k largest (or smallest) values along ``dim``, in order, and their indices."""
        if self._data.dtype.kind == "b":
            raise RuntimeError("topk does not support bool dtypes on CPU")
        d = _dim(dim, self.ndim, "topk")
        n = self.shape[d] if self.ndim else 1
        if not 0 <= k <= n:
            raise RuntimeError("selected index k out of range")
        if self.numel() == 0:  # an empty batch: empty values and indices with k along dim
            shape = list(self.shape)
            shape[d] = k
            values = self.reshape(-1)[:0].reshape(shape)  # empty, and in the graph as torch's
            return _return_types["topk"](values, zeros(shape, dtype=B.int64, device=self.device))
        if self.ndim == 0:  # k = 0 or 1 of one value: PyTorch answers the value either way
            return _return_types["topk"](
                self.reshape(()) * 1, zeros((), dtype=B.int64, device=self.device)
            )
        order = _sort_indices(self._data, d, descending=largest)
        if type(self._data) is B.ndarray:  # torch's CPU choice among equal values
            idx = topk_indices(self._data, order, d, k, largest, sorted)
        else:
            idx = order[(slice(None),) * d + (slice(0, k),)]  # the first k along d
        return _return_types["topk"](
            R.TopkValues.apply(self, idx, d), Tensor._make(idx.astype(xp.int64), False, None)
        )

    @function
    @inplace
    @numpy_axis
    def cumprod(self, dim, dtype=None):
        """Returns the cumulative product of elements of self in the dimension ``dim``."""
        if dtype is not None:
            self._check_grad_dtype(dtype)
        a = self if dtype is None else self.to(dtype)
        if a._data.dtype.kind in "biu":
            a = a.to(B.int64)  # integer products accumulate in int64, as for cumsum
        return R.Cumprod.apply(a, _dim(dim, self.ndim, "cumprod"))

    def _cumulative_extreme(self, dim, is_max):
        name = "cummax" if is_max else "cummin"
        d = _dim(dim, self.ndim, name)
        x = self._data
        if x.ndim == 0:
            return _of_scalar(self, name)
        idx = S.running_extreme_indices(x, d, is_max)
        if B.is_float(x.dtype):
            idx = _nan_wins(x, d, idx)
        indices = Tensor._make(idx.astype(xp.int64), False, None)
        cls = R.Cummax if is_max else R.Cummin
        return _return_types[name](cls.apply(self, indices, d), indices)

    @function
    @numpy_axis
    def cummax(self, dim):
        """(values, indices) of the running maximum along ``dim``."""
        return self._cumulative_extreme(dim, True)

    @function
    @numpy_axis
    def cummin(self, dim):
        """(values, indices) of the running minimum along ``dim``."""
        return self._cumulative_extreme(dim, False)

    @function
    @numpy_axis
    def logcumsumexp(self, dim):
        """``log(cumsum(exp(x)))`` along ``dim``, computed stably."""
        d = _dim(dim, self.ndim, "logcumsumexp")
        if not B.is_float(self._data.dtype):
            raise NotImplementedError(
                f'"logcumsumexp_out_cpu" not implemented for '
                f"'{R.torch_type_name(self._data.dtype)}'"
            )
        return R.LogCumSumExp.apply(self, d)

    @function
    @numpy_axis
    def aminmax(self, dim=None, keepdim=False):
        """Computes the minimum and maximum values of the self tensor."""
        if dim is None:
            return _return_types["aminmax"](self.amin((), keepdim), self.amax((), keepdim))
        return _return_types["aminmax"](self.amin(dim, keepdim), self.amax(dim, keepdim))

    @function
    @numpy_axis
    def nanmean(self, dim=None, keepdim=False, dtype=None):
        """Computes the mean of all `non-NaN` elements along the specified dimensions."""
        _check_nanmean_dtypes(self, dtype)
        keep = ~self.isnan()
        total = self.masked_fill(~keep, 0.0).sum(dim, keepdim, dtype)
        return total / keep.sum(dim, keepdim)

    def _select_sorted(self, dim, keepdim, k_of_n, name):
        """The k-th smallest value along ``dim`` and its index (median, kthvalue).

        A median over values holding NaN is NaN, at the first NaN (torch); kthvalue counts NaN
        as the largest value. The median of no values is NaN."""
        x = self._data
        if x.dtype.kind == "b":
            kernel = "kthvalue_cpu" if name == "kthvalue" else "median_cpu"
            kernel = "median_out" if name == "median" and dim is not None else kernel
            raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
        if dim is None:
            flat = x.reshape(-1)
            if flat.size == 0:
                return Tensor._make(B.device_array(x, float("nan")).astype(x.dtype), False, None)
            position = S.sorted_position(flat, k_of_n(flat.shape[0]), name == "median")
            return R.MedianAll.apply(self, position)
        d = _dim(dim, self.ndim, name)
        if x.ndim == 0:
            return _of_scalar(self, name)
        _check_nonempty_dim(self, d, name)
        idx = S.sorted_indices(x, d, k_of_n(x.shape[d]), name == "median")
        if name == "kthvalue" and type(x) is B.ndarray:  # torch's CPU pick among equal values
            idx = kthvalue_indices(x, idx, d, k_of_n(x.shape[d]))
        cls = R.MedianDim if name == "median" else R.KthvalueDim
        values = cls.apply(self, idx, d, keepdim)
        return _with_indices(values, idx if keepdim else idx.squeeze(d), name)

    @function
    @numpy_axis
    def median(self, dim=None, keepdim=False):
        """The lower median ((n − 1) // 2-th smallest); with ``dim``, values and indices."""
        return self._select_sorted(dim, keepdim, lambda n: (n - 1) // 2, "median")

    @function
    @numpy_axis
    def nanmedian(self, dim=None, keepdim=False):
        """The lower median of the values that are not NaN (NaN where all are); with ``dim``,
        values and indices."""
        if not B.is_float(self._data.dtype) or not self.isnan().any():
            out = self.median(dim, keepdim)
            return out if dim is None else _return_types["nanmedian"](*out)
        x = self._data
        m = B.get_array_module(x)
        if dim is None or x.ndim == 0:
            flat = x.reshape(-1)
            counted = int((~m.isnan(flat)).sum())
            position = m.argsort(flat, kind="stable")[max(counted - 1, 0) // 2]  # NaN sorts last
            if dim is None:
                return R.MedianAll.apply(self, int(position))
            return _of_scalar(self, "nanmedian")
        d = _dim(dim, self.ndim, "nanmedian")
        _check_nonempty_dim(self, d, "nanmedian")
        counted = (~m.isnan(x)).sum(axis=d, keepdims=True)
        k = m.maximum(counted - 1, 0) // 2  # per row: the lower median of its numbers
        idx = m.take_along_axis(m.argsort(x, axis=d, kind="stable"), k, axis=d)
        values = R.MedianDim.apply(self, idx, d, keepdim)
        return _with_indices(values, idx if keepdim else idx.squeeze(d), "nanmedian")

    @function
    @numpy_axis
    def kthvalue(self, k, dim=-1, keepdim=False):
        """(values, indices) of the k-th smallest element along ``dim``."""
        return self._select_sorted(dim, keepdim, lambda n: k - 1, "kthvalue")

    @function
    @numpy_axis
    def mode(self, dim=-1, keepdim=False):
        """The most frequent value along ``dim`` (the smallest of ties) and its last index."""
        d = _dim(dim, self.ndim, "mode")
        if self.ndim == 0:
            return _return_types["mode"](
                self.reshape(()) * 1, zeros((), dtype=B.int64, device=self.device)
            )
        index = S.mode_indices(self._data, d)
        values = R.ModeValues.apply(self, index, d, keepdim)
        if not keepdim:
            index = index.squeeze(d)
        return _return_types["mode"](values, Tensor._make(index, False, None))

    @function
    @numpy_axis
    def quantile(self, q, dim=None, keepdim=False, interpolation="linear"):
        """The q-quantiles along ``dim`` (all elements if None), interpolating between ranks."""
        if not B.is_float(self._data.dtype):
            raise RuntimeError("quantile() input tensor must be either float or double dtype")
        x = self.reshape(-1) if dim is None or self.ndim == 0 else self
        d = 0 if dim is None else _dim(dim, self.ndim, "quantile")
        if self.ndim == 0 and dim is not None:  # one value along dim 0: quantiles of [x]
            out = x.quantile(q, 0, False, interpolation)
            return out
        # the ranks are host arithmetic on q (a CUDA q is read once); they index x's device
        lo, hi, weight = S.quantile_ranks(B.host(_arr(q)), x.shape[d], interpolation)
        on_x = lambda a: Tensor._make(B.device_array(self._data, a))  # noqa: E731
        values = x.sort(d).values
        # value = below + weight · (above − below), gathered at the ranks along d
        below = values.index_select(d, on_x(lo)).movedim(d, 0)
        above = values.index_select(d, on_x(hi)).movedim(d, 0)
        shape = (-1,) + (1,) * (below.ndim - 1)
        w = on_x(weight.astype(self._data.dtype).reshape(shape))
        out = below.lerp(above, w)
        if keepdim:
            if dim is None:
                out = out.reshape((out.shape[0],) + (1,) * self.ndim)
            else:
                out = out.unsqueeze(d + 1)
        if isinstance(q, float) or (isinstance(q, Tensor) and q.ndim == 0):
            out = out.squeeze(0)
        return out

    @function
    @numpy_axis
    def nanquantile(self, q, dim=None, keepdim=False, interpolation="linear"):
        """``quantile`` ignoring NaN values."""
        if not self.isnan().any():
            return self.quantile(q, dim, keepdim, interpolation)
        if self.ndim == 0 and dim is not None:
            return self.reshape(1).nanquantile(q, 0, False, interpolation)
        x = self.reshape(-1) if dim is None or self.ndim == 0 else self
        d = 0 if dim is None else _dim(dim, self.ndim, "nanquantile")
        rows = x.sort(d).values.movedim(d, -1)  # NaN sorts last: each row's numbers first
        batch = tuple(rows.shape[:-1])
        rows = rows.reshape(-1, rows.shape[-1])
        counts = (~B.host(rows.isnan()._data)).sum(axis=1)
        # per row, the ranks among its own numbers (a row of NaN only gives NaN)
        lo, hi, weight = S.quantile_ranks(
            B.host(_arr(q)).reshape(-1, 1), counts.reshape(1, -1), interpolation
        )
        on_x = lambda a: Tensor._make(B.device_array(self._data, a))  # noqa: E731
        below = rows.gather(1, on_x(xp.maximum(lo, 0).T.copy()))
        above = rows.gather(1, on_x(xp.maximum(hi, 0).T.copy()))
        out = below.lerp(above, on_x(weight.T.astype(self._data.dtype)))
        out = out.reshape(batch + (-1,)).movedim(-1, 0)
        if keepdim:
            if dim is None:
                out = out.reshape((out.shape[0],) + (1,) * self.ndim)
            else:
                out = out.unsqueeze(d + 1)
        if isinstance(q, float) or (isinstance(q, Tensor) and q.ndim == 0):
            out = out.squeeze(0)
        return out

    @function
    def msort(self):
        """Sort along the first dimension."""
        return self.sort(0).values

    @function
    def argwhere(self):
        """Returns a tensor containing the indices of all non-zero elements of self."""
        return self.nonzero()

    @function
    def bincount(self, weights=None, minlength=0):
        """Count the frequency of each value in an array of non-negative ints."""
        if self._data.dtype.kind not in "iu":  # torch has no kernel for the other dtypes
            raise NotImplementedError(
                f"\"bincount_cpu\" not implemented for '{R.torch_type_name(self._data.dtype)}'"
            )
        if self.ndim != 1:
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        if self._data.size and self._data.min() < 0:
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        w = None if weights is None else weights._data
        return Tensor._make(S.bincount(self._data, w, minlength), False, None)

    @function
    def histc(self, bins=100, min=0, max=0):
        """Computes the histogram of a tensor."""
        if not self.is_floating_point():  # torch's kernels are for floating types only
            kernel = "linspace_cpu" if self._data.dtype == xp.bool_ else "histogram_cpu"
            raise NotImplementedError(
                f"\"{kernel}\" not implemented for '{R.torch_type_name(self._data.dtype)}'"
            )
        return Tensor._make(S.histc(self._data, bins, float(min), float(max)), False, None)

    @function
    def histogram(self, bins=100, *, range=None, weight=None, density=False):
        """(hist, bin_edges): the (weighted) count of elements in each bin; ``bins`` is a
        number of equal bins over ``range`` (default: the elements' min and max) or a tensor
        of increasing edges. Each bin holds edges[i] ≤ x < edges[i+1]; the last one also
        holds its right edge. ``density`` divides by the total and the bin widths."""
        if isinstance(bins, Tensor) and bins.dtype != self.dtype:
            names = (_CPP_OPTION_NAMES.get(t._data.dtype.name) for t in (self, bins))
            raise RuntimeError(
                "torch.histogramdd: input tensor and bins tensors should have the same dtype, "
                "but got input with dtype {} and bins for dimension 0 with dtype {}".format(*names)
            )
        if not self.is_floating_point():  # torch's kernels are for floating types only
            kernel = "histogram_cpu" if isinstance(bins, Tensor) else "histogramdd"
            raise NotImplementedError(
                f"\"{kernel}\" not implemented for '{R.torch_type_name(self._data.dtype)}'"
            )
        x = self.detach().reshape(-1)
        if isinstance(bins, Tensor):
            edges = bins.detach().to(self.dtype)
        else:
            if range is None:
                low, high = (float(x.min()), float(x.max())) if x.numel() else (0.0, 0.0)
            else:
                low, high = float(range[0]), float(range[1])
            if low == high:  # an empty range is widened, as NumPy does
                low, high = low - 0.5, high + 0.5
            edges = linspace(low, high, int(bins) + 1, dtype=self.dtype)
        e, values = edges._data, x._data
        inside = (values >= e[0]) & (values <= e[-1])
        index = xp.searchsorted(e, values[inside], side="right") - 1
        index = xp.minimum(index, len(e) - 2)  # the right edge belongs to the last bin
        w = None if weight is None else weight.detach()._data.reshape(-1)[inside]
        hist = xp.bincount(index, w, minlength=len(e) - 1).astype(values.dtype)
        if density:
            hist = hist / (hist.sum() * xp.diff(e))
        return _return_types["histogram"](Tensor._make(hist.astype(values.dtype)), edges)

    @function
    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (sorted), optionally with the inverse map and the counts."""
        d = None if dim is None else _dim(dim, self.ndim, "unique")
        return _unique_result(S.unique(self._data, d), return_inverse, return_counts)

    @function
    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        """Collapse runs of equal consecutive values (or slices along ``dim``)."""
        d = None if dim is None else _dim(dim, self.ndim, "u")
        arrays = S.unique_consecutive(self._data, d)
        return _unique_result(arrays, return_inverse, return_counts)
