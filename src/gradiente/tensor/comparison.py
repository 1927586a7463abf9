"""Comparisons, logical and bitwise ops, and the float-class tests (``isnan``, ``isinf``, ...)."""

from __future__ import annotations

from gradiente import backend as B
from gradiente.autograd.function import _in_torch_order, _on_one_device
from gradiente.backend import xp
from gradiente.ops import compare as C
from gradiente.tensor.common import _arr, _check_broadcast, _dims, _scalar_type_name
from gradiente.tensor.marks import function, inplace, numpy_axis
from gradiente.tensor.promotion import _check_tensor_arg

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)


def _elementwise(name: str, ufunc, doc: str):
    """The method ``x.name(other)``: ``ufunc`` element-wise through ``Tensor._compare`` (a bool
    tensor; the bitwise ufuncs keep an integer dtype). One row per op in ``Comparison``; the
    ``@function`` mark makes each also ``gradiente.name``."""

    def method(self, other):
        return self._compare(other, ufunc)

    method.__name__, method.__qualname__, method.__doc__ = name, f"Comparison.{name}", doc
    return function(method)


def _bitwise(name: str, ufunc, doc: str):
    """As ``_elementwise``, for ``&``, ``|`` and ``^``: integer or bool operands only (torch's
    error for a floating one; the bitwise kernels keep the integer dtype)."""
    kernel = f"{ufunc.__name__}_cpu"

    def method(self, other):
        if _floating(self) or _floating(other):
            dtype = B.result_type(self, other) if isinstance(other, Tensor) else self.dtype
            if isinstance(other, float) and not dtype.is_floating_point:
                dtype = B.get_default_dtype()
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(dtype)}'")
        return self._compare(other, ufunc)

    method.__name__, method.__qualname__, method.__doc__ = name, f"Comparison.{name}", doc
    return function(method)


def _floating(value) -> bool:
    """Whether ``value`` (a tensor, array or number) is floating."""
    dtype = getattr(_arr(value), "dtype", None)
    return isinstance(value, float) or (dtype is not None and B.is_float(dtype))


def _type_name(dtype) -> str:
    """torch's C++ name of a dtype in its messages ('Float', 'Long', ...)."""
    return B.torch_type_name(dtype.np)


def _logical(name: str, ufunc, doc: str):
    """As ``_elementwise``, for ``logical_and/or/xor``: ``other`` must be a tensor (torch's
    error otherwise)."""

    def method(self, other):
        _check_tensor_arg(other, name)
        return self._compare(other, ufunc)

    method.__name__, method.__qualname__, method.__doc__ = name, f"Comparison.{name}", doc
    return function(method)


def _all_or_any(name: str, reduce, doc: str):
    """``x.all(dim=None, keepdim=False)`` or ``x.any(...)``: ``reduce`` (``xp.all``, ``xp.any``)
    over ``dim`` (every axis by default), a bool tensor; NumPy's ``axis=``/``keepdims=`` too."""

    def method(self, dim=None, keepdim=False):
        axis = _dims(dim, self.ndim, name)
        axis = axis if self.ndim else None  # a 0-d tensor has dims 0 and -1
        return Tensor._make(
            B.as_array(reduce(self._data, axis=axis, keepdims=keepdim)), False, None
        )

    method.__name__, method.__qualname__, method.__doc__ = name, f"Comparison.{name}", doc
    return function(numpy_axis(method))


class Comparison:
    """Tensor methods: comparisons, logical and bitwise ops, float-class tests."""

    __slots__ = ()

    def _compare(self, other, fn):
        if type(other) is int:
            B.check_int_scalar(other)
        on_cuda = isinstance(other, Tensor) and type(other._data) is not xp.ndarray
        try:
            if type(self._data) is xp.ndarray and not on_cuda:  # the CPU: one type compare
                out = C.elementwise(fn, self._data, _arr(other))
                if out.flags.c_contiguous:
                    return Tensor._make(out, False, None)
                out, known = _in_torch_order(out, (self, other))  # a permuted self: torch's order
                result = Tensor._make(out, False, None)
                if known:
                    result.__dict__["_torch_layout"] = True
                return result
            # a CUDA operand: torch's device-mixing rules, and the result stays on the device
            # (the NumPy stand-in's ufuncs answer plain arrays, marked back onto it)
            (a, b), index = _on_one_device((self, other))
            return Tensor._make(
                B.mark_device(C.elementwise(fn, a._data, _arr(b)), index, "compare")
            )
        except ValueError:
            _check_broadcast(self._data.shape, xp.shape(_arr(other)))
            raise

    @function
    @inplace
    def eq(self, other):
        """Element-wise ``self == other`` (a bool tensor)."""
        if other is None:
            return False
        return self._compare(other, xp.equal)

    @function
    @inplace
    def ne(self, other):
        """Element-wise ``self != other`` (a bool tensor)."""
        if other is None:
            return True
        return self._compare(other, xp.not_equal)

    # x.lt_(y) and friends (``@inplace``) store the result, 1 or 0, in x's dtype
    lt = inplace(_elementwise("lt", xp.less, "Element-wise ``self < other`` (a bool tensor)."))
    le = inplace(
        _elementwise("le", xp.less_equal, "Element-wise ``self <= other`` (a bool tensor).")
    )
    gt = inplace(_elementwise("gt", xp.greater, "Element-wise ``self > other`` (a bool tensor)."))
    ge = inplace(
        _elementwise("ge", xp.greater_equal, "Element-wise ``self >= other`` (a bool tensor).")
    )

    __eq__ = eq

    __ne__ = ne

    __lt__ = lt

    __le__ = le

    __gt__ = gt

    __ge__ = ge

    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

    @function
    def equal(self, other) -> bool:
        """``True`` if two tensors have the same size and elements, ``False`` otherwise."""
        return C.equal(self._data, other._data)

    @function
    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        """True if ``|self - other| <= atol + rtol * |other|`` element-wise."""
        _check_broadcast(self._data.shape, xp.shape(_arr(other)))
        return C.allclose(self._data, _arr(other), rtol, atol, equal_nan)

    @function
    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """Element-wise ``|self - other| <= atol + rtol * |other|`` (a bool tensor); torch
        compares tensors of one dtype only."""
        if isinstance(other, Tensor) and other._data.dtype != self._data.dtype:
            names = _scalar_type_name(self), _scalar_type_name(other)
            raise RuntimeError(f"{names[0]} did not match {names[1]}")
        _check_broadcast(self._data.shape, xp.shape(_arr(other)))
        return Tensor._make(C.isclose(self._data, _arr(other), rtol, atol, equal_nan), False, None)

    logical_and = inplace(
        _logical(
            "logical_and",
            xp.logical_and,
            "Computes the element-wise logical AND of the given input tensors.",
        )
    )
    logical_or = inplace(
        _logical(
            "logical_or",
            xp.logical_or,
            "Computes the element-wise logical OR of the given input tensors.",
        )
    )
    logical_xor = inplace(
        _logical(
            "logical_xor",
            xp.logical_xor,
            "Computes the element-wise logical XOR of the given input tensors.",
        )
    )

    @function
    @inplace
    def logical_not(self):
        """Computes the element-wise logical NOT of the given input tensor."""
        return Tensor._make(xp.logical_not(self._data), False, None)

    # the same wrapping as the comparisons; the ufunc keeps the integer dtype
    __and__ = inplace(
        _bitwise("__and__", xp.bitwise_and, "Element-wise bitwise (or logical, for bool) AND.")
    )
    __or__ = inplace(
        _bitwise("__or__", xp.bitwise_or, "Element-wise bitwise (or logical, for bool) OR.")
    )
    __xor__ = inplace(
        _bitwise("__xor__", xp.bitwise_xor, "Element-wise bitwise (or logical, for bool) XOR.")
    )

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    bitwise_and, bitwise_or, bitwise_xor = __and__, __or__, __xor__

    @function
    @inplace
    def bitwise_not(self):
        """Element-wise bitwise NOT (logical NOT for bool)."""
        if _floating(self):
            raise NotImplementedError(
                f"\"bitwise_not_cpu\" not implemented for '{_type_name(self.dtype)}'"
            )
        return Tensor._make(xp.invert(self._data), False, None)

    def __invert__(self):
        """``~x``: ``bitwise_not``, with torch's TypeError for floating-point tensors."""
        if _floating(self):
            raise TypeError(
                "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
            )
        return self.bitwise_not()

    def _shift(self, other, fn, kernel: str, reflected: bool = False):
        """``self << other`` or ``>>`` (``other << self`` when ``reflected``) on integers.

        Integer only, as torch's CPU kernels: a float operand raises, and so do two bools
        (a bool and an int shift as int64). Shifts by ≥ the bit width give 0 (or −1 for a
        negative number shifted right), negative shifts 0, as NumPy's shift ufuncs give.
        """
        for operand in (self, other):
            dtype = operand._data.dtype if isinstance(operand, Tensor) else None
            if isinstance(operand, float) or (dtype is not None and dtype.kind == "f"):
                name = "Double" if dtype == xp.float64 else "Float"
                raise NotImplementedError(f"\"{kernel}\" not implemented for '{name}'")
        other_bool = isinstance(other, bool) or (
            isinstance(other, Tensor) and other._data.dtype.kind == "b"
        )
        if self._data.dtype.kind == "b" and other_bool:
            raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
        a, b = (_arr(other), self._data) if reflected else (self._data, _arr(other))
        _check_broadcast(xp.shape(a), xp.shape(b))
        return Tensor._make(C.elementwise(fn, a, b), False, None)

    @function
    @inplace
    def bitwise_left_shift(self, other):
        """Element-wise ``self << other``: self·2^other on integer tensors."""
        return self._shift(other, xp.left_shift, "lshift_cpu")

    @function
    @inplace
    def bitwise_right_shift(self, other):
        """Element-wise ``self >> other``: ⌊self / 2^other⌋ (arithmetic shift) on integers."""
        return self._shift(other, xp.right_shift, "rshift_cpu")

    __lshift__, __rshift__ = bitwise_left_shift, bitwise_right_shift

    def __rlshift__(self, other):
        return self._shift(other, xp.left_shift, "lshift_cpu", reflected=True)

    def __rrshift__(self, other):
        return self._shift(other, xp.right_shift, "rshift_cpu", reflected=True)

    # x &= y and the other augmented assignments write into x's memory, as in torch (without
    # them Python would rebind x to a new tensor, and x's views and callers would not see it)
    def __ilshift__(self, other):
        if isinstance(other, xp.ndarray):
            return NotImplemented  # as torch: Python falls back to the binary operator
        return self.bitwise_left_shift_(other)

    def __irshift__(self, other):
        if isinstance(other, xp.ndarray):
            return NotImplemented  # as torch: Python falls back to the binary operator
        return self.bitwise_right_shift_(other)

    def __iand__(self, other):
        if isinstance(other, xp.ndarray):
            return NotImplemented  # as torch: Python falls back to the binary operator
        return self.bitwise_and_(other)

    def __ior__(self, other):
        if isinstance(other, xp.ndarray):
            return NotImplemented  # as torch: Python falls back to the binary operator
        return self.bitwise_or_(other)

    def __ixor__(self, other):
        if isinstance(other, xp.ndarray):
            return NotImplemented  # as torch: Python falls back to the binary operator
        return self.bitwise_xor_(other)

    @function
    def isnan(self):
        """Element-wise test for NaN (a bool tensor)."""
        return Tensor._make(xp.isnan(self._data), False, None)

    @function
    def isinf(self):
        """Tests if each element of self is infinite (positive or negative infinity) or not."""
        return Tensor._make(xp.isinf(self._data), False, None)

    @function
    def isfinite(self):
        """Element-wise test for finite values (a bool tensor)."""
        return Tensor._make(xp.isfinite(self._data), False, None)

    all = _all_or_any("all", xp.all, "Tests if all elements in self evaluate to `True`.")
    any = _all_or_any("any", xp.any, "Tests if any element in self evaluates to `True`.")

    @function
    @numpy_axis
    def count_nonzero(self, dim=None):
        """Counts the number of non-zero values in the tensor self along the given ``dim``."""
        dims = _dims(dim, self.ndim, "count_nonzero")
        return Tensor._make(
            B.as_array(xp.count_nonzero(self._data, axis=dims if self.ndim else None), xp.int64),
            False,
            None,
        )

    @function
    def nonzero(self, as_tuple=False):
        """The indices of the non-zero elements (one row per element, or a tuple of columns)."""
        data = self._data
        if data.ndim == 0:  # a scalar is read as one element: rows of no coordinates
            found = int(bool(data))
            if as_tuple:
                return (Tensor._make(xp.zeros(found, xp.int64), False, None),)
            return Tensor._make(xp.zeros((found, 0), xp.int64), False, None)
        idx = xp.nonzero(data)
        if as_tuple:
            return tuple(Tensor._make(i.astype(xp.int64), False, None) for i in idx)
        return Tensor._make(xp.stack(idx, axis=1).astype(xp.int64), False, None)
