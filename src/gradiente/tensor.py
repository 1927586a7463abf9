"""Tensor: an N-d array that remembers how it was computed, so gradients can flow back.

Each method is a thin call into an op (``gradiente.ops``); the op records a node of the
computational graph when grad mode is on and an input requires grad. ``backward()`` hands the
graph to the engine, which applies the chain rule node by node.
"""

from __future__ import annotations

import builtins
import collections
import functools
import numbers
import weakref

import gradiente.autograd as _autograd
from gradiente import _printing
from gradiente import backend as B
from gradiente import random as _random
from gradiente.autograd import function as _function
from gradiente.autograd.function import VersionCounter
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import xp
from gradiente.ops import activation as A
from gradiente.ops import elementwise as E
from gradiente.ops import index as I
from gradiente.ops import linalg as L
from gradiente.ops import reduce as R
from gradiente.ops import shape as S
from gradiente.random import _fma32, _fma64  # exact fused multiply-add, as torch's kernels use


def _return_type(name: str, fields: tuple):
    """A named tuple printed like PyTorch's ``torch.return_types.max(values=..., indices=...)``."""

    def __repr__(self):
        items = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{name}(\n{items})"

    base = collections.namedtuple(name, fields)
    return type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": __name__})


_return_types = {
    name: _return_type(name, ("values", "indices"))
    for name in (
        "max",
        "min",
        "sort",
        "topk",
        "kthvalue",
        "median",
        "nanmedian",
        "mode",
        "cummax",
        "cummin",
    )
}
_return_types["aminmax"] = _return_type("aminmax", ("min", "max"))
_return_types["slogdet"] = _return_type("slogdet", ("sign", "logabsdet"))


def _numpy_names(function):
    """Also accept NumPy's spellings ``axis=`` and ``keepdims=``, as PyTorch does."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if kwargs:
            if "axis" in kwargs:
                kwargs["dim"] = kwargs.pop("axis")
            if "keepdims" in kwargs:
                kwargs["keepdim"] = kwargs.pop("keepdims")
        return function(*args, **kwargs)

    return wrapper


class device:
    """A device name; gradiente computes on the CPU (``cuda`` arrives with the GPU backend)."""

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        text = str(type)
        if ":" in text:
            text, idx = text.split(":")
            index = int(idx)
        self.type = text
        self.index = index

    def __repr__(self):
        return (
            f"device(type='{self.type}')"
            if self.index is None
            else (f"device(type='{self.type}', index={self.index})")
        )

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


_CPU = device("cpu")


def _check_device(d) -> None:
    if d is None:
        return
    name = str(d.type if isinstance(d, device) else d).split(":")[0]
    if name not in ("cpu", "meta"):
        raise RuntimeError(
            f"device '{d}' is not available: gradiente computes on the CPU (NumPy backend)"
        )


def _dims(dim, ndim: int, op: str):
    """Normalise an int or a tuple of ints to non-negative axes, with a clear error."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        return tuple(_dim(d, ndim, op) for d in dim)
    return (_dim(dim, ndim, op),)


def _dim(d, ndim: int, op: str) -> int:
    if not isinstance(d, numbers.Integral) or isinstance(d, bool):
        raise TypeError(f"{op}(): dim must be an int, got {type(d).__name__}")
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(
            f"{op}(): Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
            f"but got {d})"
        )
    return int(d) % n


def _required(kwargs: dict, op: str, name: str) -> tuple:
    """The one argument ``name`` of ``op`` given by keyword, as a 1-tuple; PyTorch's TypeError
    when it is missing (``x.expand()`` is an error, ``x.expand(())`` a 0-d shape)."""
    if name not in kwargs:
        raise TypeError(f'{op}() missing 1 required positional arguments: "{name}"')
    return (kwargs[name],)


def _shape_arg(args) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(torch.Size)``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    out = []
    for s in args:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, numbers.Integral):
            raise TypeError(f"size must contain ints, got {type(s).__name__}: {s!r}")
        out.append(int(s))
    return tuple(out)


class Size(tuple):
    """A tensor's shape: a tuple, printed like ``torch.Size([2, 3])``."""

    def __repr__(self):
        return f"torch.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


class Tensor:
    """An N-d array with autograd: ``requires_grad``, ``grad``, ``grad_fn`` and ``backward()``."""

    __slots__ = (
        "_data",
        "_requires_grad",
        "grad",
        "grad_fn",
        "_output_nr",
        "_version_counter",
        "_base",
        "_view",
        "_hooks",
        "_accumulator",
        "_is_param",
        "__dict__",
        "__weakref__",
    )
    __array_priority__ = 1000  # make ``ndarray * tensor`` call Tensor.__rmul__

    def __init__(self, *args, dtype=None, device=None, requires_grad=False):
        _check_device(device)
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            data = _to_array(args[0], B.to_dtype(dtype) if dtype else B.get_default_dtype())
        else:
            data = xp.empty(
                _shape_arg(args), dtype=(B.to_dtype(dtype) if dtype else B.get_default_dtype()).np
            )
        self._init(data, requires_grad, None)

    def _init(self, data, requires_grad, grad_fn):
        self._data = data
        self._requires_grad = requires_grad
        self.grad = None
        self.grad_fn = grad_fn
        self._output_nr = 0
        self._version_counter = None
        self._base = None
        self._view = None
        self._hooks = None
        self._accumulator = None

    @classmethod
    def _make(cls, data, requires_grad=False, grad_fn=None):
        """Wrap an array without copying (the fast constructor the ops use)."""
        t = object.__new__(cls)
        if isinstance(data, xp.generic):
            data = xp.asarray(data)  # NumPy returns scalars from 0-d ufuncs: keep a 0-d array
        t._data = data
        t._requires_grad = requires_grad
        t.grad = None
        t.grad_fn = grad_fn
        t._output_nr = 0
        t._version_counter = None
        t._base = None
        t._view = None
        t._hooks = None
        t._accumulator = None
        return t

    @staticmethod
    def _dtype_of(np_dtype):
        return B.from_numpy_dtype(np_dtype)

    def _get_version_counter(self) -> VersionCounter:
        c = self._version_counter
        if c is None:
            c = self._version_counter = VersionCounter()
        return c

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self):
        return B.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> device:
        return _CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def layout(self) -> str:
        return "torch.strided"

    @property
    def requires_grad(self) -> bool:
        """Whether operations on this tensor are recorded for backward (a view's follows its
        base, which an in-place op may have made require grad since)."""
        if self._view is not None and grad_state.enabled:
            _function.refresh_view(self)
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients (got {self.dtype})"
            )
        if value and self.grad_fn is None and self._base is not None:
            # a view that becomes a leaf is the root of its own graph from now on (views of it
            # are views of a leaf); it still shares memory and version counter with its base
            self._base = self._view = None
        self._requires_grad = bool(value)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def data(self) -> Tensor:
        """The same memory as a tensor outside the graph (in-place changes are not tracked)."""
        return Tensor._make(self._data, False, None)

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, Tensor) else _to_array(value, self.dtype)

    @property
    def _version(self) -> int:
        c = self._version_counter
        return 0 if c is None else c.value

    @property
    def retains_grad(self) -> bool:
        fn = self.grad_fn
        return bool(fn is not None and fn._retained and self._output_nr in fn._retained)

    @property
    def T(self) -> Tensor:
        if self.ndim < 2:
            return self
        return self.permute(*reversed(range(self.ndim)))  # PyTorch's node: PermuteBackward0

    @property
    def mT(self) -> Tensor:
        if self.ndim < 2:
            raise RuntimeError(
                f"tensor.mT is only supported on matrices or batches of matrices. "
                f"Got {self.ndim}-D tensor."
            )
        return self.transpose(-2, -1)

    @property
    def mH(self) -> Tensor:
        return self.mT  # the conjugate transpose; real tensors have no conjugate

    @property
    def H(self) -> Tensor:
        if self.ndim not in (0, 2):
            raise RuntimeError(
                f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor."
            )
        return self.T

    @property
    def real(self) -> Tensor:
        return self

    @property
    def imag(self) -> Tensor:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")

    is_sparse = is_quantized = is_meta = is_mkldnn = is_nested = False

    def is_complex(self) -> bool:
        return False

    def is_nonzero(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {'no' if self._data.size == 0 else 'more than one'}"
                " values is ambiguous"
            )
        return bool(self._data.reshape(()).item())

    def is_shared(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False

    def storage_offset(self) -> int:
        base = self._base
        if base is None:
            return 0
        return (self.data_ptr() - base.data_ptr()) // self._data.itemsize

    def ndimension(self) -> int:
        return self._data.ndim

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def element_size(self) -> int:
        return self._data.itemsize

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_dim(dim, self.ndim, "size")]

    def stride(self, dim=None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_dim(dim, self.ndim, "stride")]

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._data.flags["C_CONTIGUOUS"])

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def get_device(self) -> int:
        return -1

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    # ------------------------------------------------------------------ conversion
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, force: bool = False):
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    def __array_wrap__(self, array, context=None, return_scalar=False):
        # NumPy functions applied to a tensor (np.exp(t)) give a tensor, as in PyTorch
        # (which stores booleans as uint8 there)
        if array.dtype == xp.bool_:
            array = array.astype(xp.uint8)
        return Tensor._make(xp.asarray(array), False, None)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            many = "no" if self._data.size == 0 else "more than one"
            raise RuntimeError(f"Boolean value of Tensor with {many} value is ambiguous")
        return bool(self._data.reshape(()).item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self):
        return id(self)

    def __repr__(self):
        return _printing.tensor_repr(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data.copy(), self._requires_grad))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) "
                "support the deepcopy protocol at the moment."
            )
        new = type(self).__new__(type(self))
        Tensor._init(new, self._data.copy(), self._requires_grad, None)
        if self.grad is not None:
            new.grad = self.grad.clone()
        new.__dict__.update(self.__dict__)
        memo[id(self)] = new
        return new

    def detach(self) -> Tensor:
        t = Tensor._make(self._data, False, None)
        t._version_counter = self._get_version_counter()
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    def clone(self, memory_format=None) -> Tensor:
        return E.Clone.apply(self)

    def contiguous(self, memory_format=None) -> Tensor:
        if self._data.flags["C_CONTIGUOUS"]:
            return self
        return E.Clone.apply(self)

    def to(self, *args, **kwargs) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(other)``, ``to(device, dtype)``: a cast or self."""
        dtype = kwargs.get("dtype")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (B.dtype, type)) or (isinstance(a, str) and a in B._BY_NAME):
                dtype = B.to_dtype(a)
            else:
                _check_device(a)
        _check_device(kwargs.get("device"))
        copy = kwargs.get("copy", False)
        if dtype is None or B.to_dtype(dtype).np == self._data.dtype:
            return self.clone() if copy else self
        return E.ToDtype.apply(self, B.to_dtype(dtype).np)

    def type(self, dtype=None):
        """``torch.FloatTensor``-style name of the type, or a cast: ``type(torch.float64)``,
        ``type(torch.DoubleTensor)`` and ``type("torch.DoubleTensor")`` all work."""
        if dtype is None:
            return "torch." + _LEGACY_TYPE_NAMES[self.dtype.name]
        if isinstance(dtype, str) and dtype.startswith("torch.") and dtype.endswith("Tensor"):
            by_type = {v: k for k, v in _LEGACY_TYPE_NAMES.items()}
            dtype = B.to_dtype(by_type[dtype.removeprefix("torch.")])
        elif isinstance(getattr(dtype, "dtype", None), B.dtype):  # a legacy tensor type
            dtype = dtype.dtype
        return self.to(dtype)

    def type_as(self, other) -> Tensor:
        return self.to(other.dtype)

    def float(self):
        return self.to(B.float32)

    def double(self):
        return self.to(B.float64)

    def half(self):
        return self.to(B.float16)

    def long(self):
        return self.to(B.int64)

    def int(self):
        return self.to(B.int32)

    def bool(self):
        return self.to(B.bool_)

    def byte(self):
        return self.to(B.uint8)

    def char(self):
        return self.to(B.int8)

    def short(self):
        return self.to(B.int16)

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        _check_device("cuda")

    def pin_memory(self):
        return self

    def share_memory_(self):
        return self

    # ------------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep it)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        fn = self.grad_fn
        if fn is None:
            return
        if fn._retained is None:
            fn._retained = {}
        fn._retained[self._output_nr] = weakref.ref(self)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._add_pre_hook(self._output_nr, hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _function._RemovableHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after a backward pass has accumulated into this leaf's
        ``.grad`` (e.g. to step an optimizer per parameter)."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        hooks = self.__dict__.setdefault("_post_accumulate_grad_hooks", [])
        hooks.append(hook)
        return _function._RemovableHandle(hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Backpropagate: accumulate d(self)/d(leaf) · gradient into every leaf's ``.grad``."""
        _autograd.backward([self], [gradient], retain_graph, create_graph, inputs)

    # ------------------------------------------------------------------ in place
    def _check_inplace(self):
        if grad_state.enabled and self._requires_grad and self.grad_fn is None:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )

    def _bump(self):
        c = self._version_counter
        if c is not None:
            c.value += 1

    def _inplace(self, compute, *others):
        """Run ``compute(self, *others) -> Tensor`` and store the result in self's memory.

        When the graph is being recorded, the result's graph node becomes self's ``grad_fn``
        (its input is a copy of the old self), as in PyTorch's in-place semantics.
        """
        self._check_inplace()
        recording = grad_state.enabled and (
            self._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others)
        )
        if not recording:
            with_grad = grad_state.enabled
            grad_state.enabled = False
            try:
                out = compute(self, *others)
            finally:
                grad_state.enabled = with_grad
            _store(self, out._data)
            self._bump()
            return self
        if self._base is not None:
            return self._inplace_on_view(compute, *others)
        old = Tensor._make(self._data.copy(), self._requires_grad, self.grad_fn)
        old._output_nr = self._output_nr
        if self.grad_fn is None and self._requires_grad:
            old._accumulator = self._accumulator
        out = compute(old, *others)
        if out._data.dtype != self._data.dtype:
            out = out.to(self.dtype)
        _store(self, out._data)
        self.grad_fn = out.grad_fn
        self._output_nr = out._output_nr
        self._requires_grad = out._requires_grad
        self._bump()
        if out._version_counter is not None:  # the node saved its output: now self
            _function.follow_saved_output(out.grad_fn, out._version_counter, self)
        return self

    def _inplace_on_view(self, compute, *others):
        """In-place op on a view of ``base``: the base's graph is rewritten as
        ``view(base) = op(view)`` (PyTorch's CopySlices), so gradients stay right; the view's
        own ``grad_fn`` is then rebuilt from the base's new graph."""
        base = self._base
        if base._requires_grad and base.grad_fn is None:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation."
            )
        if self._view is None:
            raise RuntimeError(
                "a view made while grad mode was off (or of such a view) is being modified in "
                "place while grad mode is on: gradiente's autograd cannot follow it; make the "
                "view with grad mode on, or use an out-of-place op"
            )
        replay, _, multi_output = self._view
        if multi_output is not None:
            raise RuntimeError(
                f"{multi_output} is a view and is being modified inplace. This view is the "
                "output of a function that returns multiple views. Such functions do not allow "
                "the output views to be modified inplace. You should replace the inplace "
                "operation by an out-of-place one."
            )
        _function.refresh_view(self)
        old = Tensor._make(self._data.copy(), self._requires_grad, self.grad_fn)
        old._output_nr = self._output_nr
        out = compute(old, *others)
        if out._data.dtype != self._data.dtype:
            out = out.to(self.dtype)
        base._inplace(lambda b, v: I.WriteView.apply(b, v, replay), out)
        if out._version_counter is not None:  # the node saved its output: now this view
            _function.follow_saved_output(out.grad_fn, out._version_counter, self)
        _function.refresh_view(self)
        return self

    def add_(self, other, alpha=1):
        _check_inplace_cast(self, B.result_type(self, other))
        if (
            not isinstance(other, Tensor)
            and not grad_state.enabled
            or (not self._requires_grad and not _req(other))
        ):
            self._check_inplace()
            o = _arr(other)
            if alpha != 1:
                o = o * alpha
            _inplace_ufunc(xp.add, self, o)
            return self
        return self._inplace(lambda s, o: s.add(o, alpha=alpha), other)

    def sub_(self, other, alpha=1):
        if (
            self._data.dtype.kind == "b"
            or isinstance(other, bool)
            or (isinstance(other, Tensor) and other._data.dtype.kind == "b")
        ):
            raise RuntimeError(
                "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        return self.add_(other, alpha=-alpha)

    def mul_(self, other):
        _check_inplace_cast(self, B.result_type(self, other))
        if not self._requires_grad and not _req(other):
            self._check_inplace()
            _inplace_ufunc(xp.multiply, self, _arr(other))
            return self
        return self._inplace(lambda s, o: s * o, other)

    def div_(self, other, rounding_mode=None):
        if rounding_mode is None:  # true division of integers is float
            _check_inplace_cast(self, B.promote_types(B.result_type(self, other), B.float32))
        if rounding_mode is None and not self._requires_grad and not _req(other):
            self._check_inplace()
            if self._data.dtype.kind != "f":
                raise RuntimeError(
                    f"result type Float can't be cast to the desired output type {self.dtype.name}"
                )
            _inplace_ufunc(xp.true_divide, self, _arr(other))
            return self
        return self._inplace(lambda s, o: s.div(o, rounding_mode=rounding_mode), other)

    def pow_(self, exponent):
        return self._inplace(lambda s, e: _cast_checked(s, s**e), exponent)

    def neg_(self):
        return self._inplace(lambda s: -s)

    def exp_(self):
        return self._inplace(lambda s: s.exp())

    def log_(self):
        return self._inplace(lambda s: s.log())

    def sqrt_(self):
        return self._inplace(lambda s: s.sqrt())

    def abs_(self):
        return self._inplace(lambda s: s.abs())

    def sigmoid_(self):
        return self._inplace(lambda s: s.sigmoid())

    def tanh_(self):
        return self._inplace(lambda s: s.tanh())

    def relu_(self):
        return self._inplace(lambda s: s.relu())

    def clamp_(self, min=None, max=None):
        _check_inplace_cast(self, B.result_type(self, *(v for v in (min, max) if v is not None)))
        return self._inplace(lambda s: s.clamp(min, max))

    clip_ = clamp_

    def masked_fill_(self, mask, value):
        return self._inplace(lambda s, v: s.masked_fill(mask, v), value)

    def addcmul_(self, tensor1, tensor2, value=1):
        return self._inplace(lambda s, a, b: s + value * a * b, tensor1, tensor2)

    def addcdiv_(self, tensor1, tensor2, value=1):
        return self._inplace(lambda s, a, b: s + value * a / b, tensor1, tensor2)

    def lerp_(self, end, weight):
        return self._inplace(lambda s, e: s.lerp(e, weight), end)

    def _overwritten_in_graph(self) -> bool:
        """True when an overwrite must also cut this tensor's graph (a recorded non-leaf)."""
        return grad_state.enabled and self._requires_grad and self.grad_fn is not None

    def zero_(self):
        if self._overwritten_in_graph():
            return self._inplace(lambda s: _overwrite(s, 0))
        self._check_inplace()
        self._data[...] = 0
        self._bump()
        return self

    def fill_(self, value):
        if (isinstance(value, Tensor) and value._requires_grad and grad_state.enabled) or (
            self._overwritten_in_graph()
        ):
            return self._inplace(lambda s, v: _overwrite(s, v), value)
        self._check_inplace()
        self._data[...] = _arr(value)
        self._bump()
        return self

    def copy_(self, src, non_blocking=False):
        if (
            isinstance(src, Tensor)
            and grad_state.enabled
            and (src._requires_grad or self._requires_grad)
        ):
            return self._inplace(lambda s, v: s * 0 + v.to(s.dtype), src)
        self._check_inplace()
        s = _arr(src)
        try:
            xp.copyto(self._data, s, casting="unsafe")
        except ValueError:
            raise RuntimeError(
                f"copy_(): source of shape {tuple(xp.shape(s))} cannot be "
                f"broadcast to destination of shape {tuple(self.shape)}"
            ) from None
        self._bump()
        return self

    def set_(self, source):
        self._data = source._data
        self._bump()
        return self

    def _fill_random(self, array) -> Tensor:
        if self._overwritten_in_graph():
            return self._inplace(lambda s: s * 0 + Tensor._make(array.astype(s._data.dtype)))
        self._check_inplace()
        self._data[...] = array
        self._bump()
        return self

    def uniform_(self, a=0.0, b=1.0, generator=None):
        return self._fill_random(
            _random.uniform(self._data.shape, self._data.dtype, a, b, generator)
        )

    def normal_(self, mean=0.0, std=1.0, generator=None):
        return self._fill_random(
            _random.normal(self._data.shape, self._data.dtype, mean, std, generator)
        )

    def bernoulli_(self, p=0.5, generator=None):
        p = p._data if isinstance(p, Tensor) else p
        return self._fill_random(
            _random.bernoulli(p, self._data.shape, self._data.dtype, generator)
        )

    def random_(self, from_=None, to=None, generator=None):
        if from_ is not None and to is None:
            from_, to = 0, from_
        return self._fill_random(
            _random.random_(self._data.shape, self._data.dtype, from_, to, generator)
        )

    def exponential_(self, lambd=1.0, generator=None):
        return self._fill_random(
            _random.exponential(self._data.shape, self._data.dtype, lambd, generator)
        )

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ipow__(self, other):
        return self.pow_(other)

    # ------------------------------------------------------------------ arithmetic
    def add(self, other, alpha=1):
        if alpha != 1:
            other = other * alpha
        return _binary(E.Add, self, other)

    def sub(self, other, alpha=1):
        _check_bool_subtraction(self, other)
        if alpha != 1:
            other = other * alpha
        return _binary(E.Sub, self, other)

    def mul(self, other):
        return _binary(E.Mul, self, other)

    def div(self, other, rounding_mode=None):
        if rounding_mode is None:
            return _true_divide(self, other)
        if rounding_mode in ("floor", "trunc"):
            return _rounded_divide(self, other, rounding_mode)
        raise ValueError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
            f"but found '{rounding_mode}'"
        )

    true_divide = divide = div
    multiply = mul
    subtract = sub

    def floor_divide(self, other):
        """floor(self / other); recorded without a derivative, as in PyTorch."""
        a, b = _promote(self, other)
        _float_only_not_bool(a, "div_floor_cpu")
        _check_integer_divisor(a, b)
        return E.NotDifferentiable.apply(a, b, "floor_divide", E.floored_divide)

    def remainder(self, other):
        """Python's modulo: the result has the sign of ``other``."""
        a, b = _promote(self, other)
        _float_only_not_bool(a, "remainder_cpu")
        _check_integer_divisor(a, b)
        return E.Remainder.apply(a, b, E.floored_remainder, xp.floor)

    def fmod(self, other):
        """C's modulo: the result has the sign of ``self``."""
        a, b = _promote(self, other)
        _float_only_not_bool(a, "fmod_cpu")
        _check_integer_divisor(a, b)
        return E.Remainder.apply(a, b, xp.fmod, xp.trunc)

    def pow(self, exponent):
        exponent = exponent.item() if isinstance(exponent, xp.generic) else exponent
        kind = self._data.dtype.kind
        if isinstance(exponent, Tensor):
            bool_exponent = exponent._data.dtype.kind == "b"
            if exponent.ndim == 0 and not exponent._requires_grad and kind == "f":
                if bool_exponent:
                    return _refuse_backward_with_bool(self.pow(exponent.item()), exponent)
                exponent = exponent.item()
            else:
                a, b = _promote(self, exponent)
                if a._data.dtype.kind == "b":
                    raise NotImplementedError("\"pow\" not implemented for 'Bool'")
                return _refuse_backward_with_bool(E.Pow.apply(a, b), exponent)
        if not isinstance(exponent, numbers.Number):
            raise TypeError(f"pow(): unsupported exponent type {type(exponent).__name__}")
        a = self
        if kind == "b" and isinstance(exponent, bool):
            # bool ** True is x, bool ** False is all True (torch keeps the bool dtype)
            return E.PowScalar.apply(a.to(B.int64), int(exponent)).to(B.bool_)
        if isinstance(exponent, float) and kind != "f":
            a = a.to(B.get_default_dtype())
        elif kind == "b":
            a = a.to(B.int64)  # bool ** int is int64 in torch (NumPy would give int8)
        return E.PowScalar.apply(a, exponent)

    def __add__(self, other):
        return _binary(E.Add, self, other)

    def __radd__(self, other):
        return _binary(E.Add, self, other)

    def __sub__(self, other):
        _check_bool_subtraction(self, other)
        return _binary(E.Sub, self, other)

    def __rsub__(self, other):
        _check_bool_subtraction(self, other)
        a, b = _promote(self, other)
        return E.RSub.apply(a, b)

    def __mul__(self, other):
        return _binary(E.Mul, self, other)

    def __rmul__(self, other):
        return _binary(E.Mul, self, other)

    def __truediv__(self, other):
        return _true_divide(self, other)

    def __rtruediv__(self, other):
        a = self if self._data.dtype.kind == "f" else self.to(B.get_default_dtype())
        a, b = _promote(a, other)
        return E.RDiv.apply(a, b)

    def __floordiv__(self, other):
        return self.floor_divide(other)

    def __rfloordiv__(self, other):
        return _scalar_like(other, self).floor_divide(self)

    def __mod__(self, other):
        return self.remainder(other)

    def __rmod__(self, other):
        a, b = _promote(_scalar_like(other, self), self)
        _float_only_not_bool(a, "remainder_cpu")
        _check_integer_divisor(a, b)
        # torch has no derivative for number % tensor: recorded, and backward raises
        return E.NotDifferentiable.apply(a, b, "remainder", E.floored_remainder)

    def __lshift__(self, other):
        return self._bitwise(other, xp.left_shift)

    def __rshift__(self, other):
        return self._bitwise(other, xp.right_shift)

    def __contains__(self, element):
        if isinstance(element, (Tensor, numbers.Number)):
            return bool((self == element).any())
        raise RuntimeError(
            "Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
            f"{type(element)}."
        )

    def __reversed__(self):
        return self if self.ndim == 0 else self.flip(0)

    def __pow__(self, exponent):
        return self.pow(exponent)

    def __rpow__(self, base):
        if isinstance(base, numbers.Number):
            if self._data.dtype.kind == "b":
                if isinstance(base, bool):
                    raise NotImplementedError("\"pow\" not implemented for 'Bool'")
                if isinstance(base, int):
                    return E.RPowScalar.apply(self.to(B.int64), base)
            a = (
                self
                if self._data.dtype.kind == "f" or isinstance(base, int)
                else self.to(B.get_default_dtype())
            )
            return E.RPowScalar.apply(a, base)
        return as_tensor(base).pow(self)

    def __neg__(self):
        return E.Neg.apply(self)

    neg = negative = __neg__

    def __pos__(self):
        return self

    def __abs__(self):
        return E.Abs.apply(self)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(as_tensor(other), self)

    # ------------------------------------------------------------------ element-wise math
    def _float_unary(self, cls):
        a = self if self._data.dtype.kind == "f" else self.to(B.get_default_dtype())
        return cls.apply(a)

    def exp(self):
        return self._float_unary(E.Exp)

    def log(self):
        return self._float_unary(E.Log)

    def log1p(self):
        return self._float_unary(E.Log1p)

    def log2(self):
        return self._float_unary(E.Log2)

    def log10(self):
        return self._float_unary(E.Log10)

    def expm1(self):
        return self._float_unary(E.Expm1)

    def sqrt(self):
        return self._float_unary(E.Sqrt)

    def rsqrt(self):
        return self._float_unary(E.Rsqrt)

    def sin(self):
        return self._float_unary(E.Sin)

    def cos(self):
        return self._float_unary(E.Cos)

    def tanh(self):
        return self._float_unary(E.Tanh)

    def sigmoid(self):
        return self._float_unary(E.Sigmoid)

    def reciprocal(self):
        return self._float_unary(E.Reciprocal)

    def erf(self):
        return self._float_unary(A.Erf)

    def erfc(self):
        return 1.0 - self.erf()

    def erfinv(self):
        return self._float_unary(E.Erfinv)

    def relu(self):
        """max(x, 0) (the same op as ``nn.functional.relu``)."""
        if self._data.dtype.kind == "b":
            raise RuntimeError('"clamp_min_scalar_cpu" not implemented for \'Bool\'')
        return A.Relu.apply(self)

    def abs(self):
        _check_not_bool(self, "abs_cpu")
        return E.Abs.apply(self)

    absolute = abs

    def square(self):
        return self.pow(2)

    def sign(self):
        return E.PiecewiseConstant.apply(self, "sign", E.sign)

    def floor(self):
        _check_not_bool(self, "floor_cpu")
        return E.PiecewiseConstant.apply(self, "floor", xp.floor)

    def ceil(self):
        _check_not_bool(self, "ceil_cpu")
        return E.PiecewiseConstant.apply(self, "ceil", xp.ceil)

    def round(self, decimals=0):
        _check_not_bool(self, "round_cpu")
        return E.PiecewiseConstant.apply(self, "round", lambda x: xp.round(x, decimals))

    def trunc(self):
        _check_not_bool(self, "trunc_cpu")
        return E.PiecewiseConstant.apply(self, "trunc", xp.trunc)

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        bounds = [v for v in (min, max) if v is not None]
        if any(isinstance(v, Tensor) for v in bounds) and not all(
            isinstance(v, Tensor) for v in bounds
        ):
            # a tensor and a number: PyTorch's number overload, where a 0-d tensor without
            # grad stands for its value (its dtype then only counts as a number's would)
            if any(v.ndim or v.requires_grad for v in bounds if isinstance(v, Tensor)):
                raise TypeError(  # PyTorch: both bounds tensors, or both numbers
                    "clamp() received an invalid combination of arguments - got a Tensor and a "
                    "number for min and max"
                )
            min, max = (v.item() if isinstance(v, Tensor) else v for v in (min, max))
            bounds = [v for v in (min, max) if v is not None]
        # the result has the promoted dtype of self and the bounds (int clamped to 2.5: float;
        # bool clamped to 0: int64), and PyTorch has no bool clamp kernel
        target = B.result_type(self, *bounds)
        if target.np != self._data.dtype:
            self = self.to(target)
        if target is B.bool_:
            raise NotImplementedError('"clamp_scalar_cpu" not implemented for \'Bool\'')
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            lo, hi = (None if v is None else as_tensor(v, dtype=self.dtype) for v in (min, max))
            return E.ClampTensor.apply(self, lo, hi)
        return E.Clamp.apply(self, min, max)

    clip = clamp

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    def maximum(self, other):
        _check_tensor_arg(other, "maximum")
        return maximum(self, other)

    def minimum(self, other):
        _check_tensor_arg(other, "minimum")
        return minimum(self, other)

    def where(self, condition, other):
        return where(condition, self, other)

    def masked_fill(self, mask, value):
        mask = _as_bool_mask(mask, "masked_fill")
        if isinstance(value, Tensor) and value.ndim != 0:
            raise RuntimeError(
                f"masked_fill only supports a 0-dimensional value tensor, but got "
                f"tensor with {value.ndim} dimension(s)."
            )
        return E.MaskedFill.apply(self, mask, value)

    def lerp(self, end, weight):
        """self + weight·(end − self), evaluated from the nearer end as PyTorch does."""
        a, b = _promote(self, end)
        if isinstance(weight, Tensor):
            a, weight = _promote(a, weight)
        return E.Lerp.apply(a, b, weight)

    # ------------------------------------------------------------------ comparisons
    def _compare(self, other, fn):
        return Tensor._make(xp.asarray(fn(self._data, _arr(other))), False, None)

    def eq(self, other):
        if other is None:
            return False
        return self._compare(other, xp.equal)

    def ne(self, other):
        if other is None:
            return True
        return self._compare(other, xp.not_equal)

    def lt(self, other):
        return self._compare(other, xp.less)

    def le(self, other):
        return self._compare(other, xp.less_equal)

    def gt(self, other):
        return self._compare(other, xp.greater)

    def ge(self, other):
        return self._compare(other, xp.greater_equal)

    __eq__ = eq
    __ne__ = ne
    __lt__ = lt
    __le__ = le
    __gt__ = gt
    __ge__ = ge
    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

    def equal(self, other) -> bool:
        return self.shape == other.shape and bool(xp.array_equal(self._data, other._data))

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        return bool(xp.allclose(self._data, _arr(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return self._compare(other, lambda a, b: xp.isclose(a, b, rtol, atol, equal_nan))

    def logical_and(self, other):
        _check_tensor_arg(other, "logical_and")
        return self._compare(other, xp.logical_and)

    def logical_or(self, other):
        _check_tensor_arg(other, "logical_or")
        return self._compare(other, xp.logical_or)

    def logical_xor(self, other):
        _check_tensor_arg(other, "logical_xor")
        return self._compare(other, xp.logical_xor)

    def logical_not(self):
        return Tensor._make(xp.logical_not(self._data), False, None)

    def _bitwise(self, other, fn):
        return Tensor._make(xp.asarray(fn(self._data, _arr(other))), False, None)

    def __and__(self, other):
        return self._bitwise(other, xp.bitwise_and)

    def __or__(self, other):
        return self._bitwise(other, xp.bitwise_or)

    def __xor__(self, other):
        return self._bitwise(other, xp.bitwise_xor)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__
    bitwise_and, bitwise_or, bitwise_xor = __and__, __or__, __xor__

    def __invert__(self):
        return Tensor._make(xp.invert(self._data), False, None)

    bitwise_not = __invert__

    def isnan(self):
        return Tensor._make(xp.isnan(self._data), False, None)

    def isinf(self):
        return Tensor._make(xp.isinf(self._data), False, None)

    def isfinite(self):
        return Tensor._make(xp.isfinite(self._data), False, None)

    def all(self, dim=None, keepdim=False):
        axis = _dims(dim, self.ndim, "all")
        axis = axis if self.ndim else None  # a 0-d tensor has dims 0 and -1
        return Tensor._make(
            xp.asarray(xp.all(self._data, axis=axis, keepdims=keepdim)),
            False,
            None,
        )

    def any(self, dim=None, keepdim=False):
        axis = _dims(dim, self.ndim, "any")
        axis = axis if self.ndim else None  # a 0-d tensor has dims 0 and -1
        return Tensor._make(
            xp.asarray(xp.any(self._data, axis=axis, keepdims=keepdim)),
            False,
            None,
        )

    def count_nonzero(self, dim=None):
        dims = _dims(dim, self.ndim, "count_nonzero")
        return Tensor._make(
            xp.asarray(
                xp.count_nonzero(self._data, axis=dims if self.ndim else None),
                dtype=xp.int64,
            ),
            False,
            None,
        )

    def nonzero(self, as_tuple=False):
        idx = xp.nonzero(self._data)
        if as_tuple:
            return tuple(Tensor._make(i.astype(xp.int64), False, None) for i in idx)
        return Tensor._make(xp.stack(idx, axis=1).astype(xp.int64), False, None)

    # ------------------------------------------------------------------ reductions
    def _reduce_dtype(self, dtype):
        if dtype is not None:
            return B.to_dtype(dtype).np
        if self._data.dtype.kind in "biu":
            return xp.int64
        return None

    def sum(self, dim=None, keepdim=False, dtype=None):
        dims = _dims(dim, self.ndim, "sum")
        if dims == ():
            dims = None
        return R.Sum.apply(self, dims, keepdim, self._reduce_dtype(dtype))

    def nansum(self, dim=None, keepdim=False):
        return self.masked_fill(self.isnan(), 0.0).sum(dim, keepdim)

    def mean(self, dim=None, keepdim=False, dtype=None):
        if self._data.dtype.kind != "f" and dtype is None:
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {_scalar_type_name(self)}"
            )
        dims = _dims(dim, self.ndim, "mean")
        if dims == ():
            dims = None
        a = self if dtype is None else self.to(dtype)
        return R.Mean.apply(a, dims, keepdim, None)

    def prod(self, dim=None, keepdim=False, dtype=None):
        a = self if dtype is None else self.to(dtype)
        d = None if dim is None else _dim(dim, self.ndim, "prod")
        return R.Prod.apply(a, d, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, correction=None):
        if isinstance(unbiased, (int, list, tuple)) and not isinstance(unbiased, bool):
            dim, unbiased = unbiased, None  # var(dim) called positionally
        if correction is None:
            correction = 0 if unbiased is False else 1
        dims = _dims(dim, self.ndim, "var") or None
        _check_floating(self, "var")
        # var = Σ (x - x̄)² / (N - correction)   (Bessel's correction by default)
        return R.Var.apply(self, dims, correction, keepdim)

    def std(self, dim=None, unbiased=None, keepdim=False, correction=None):
        if isinstance(unbiased, (int, list, tuple)) and not isinstance(unbiased, bool):
            dim, unbiased = unbiased, None  # std(dim) called positionally
        if correction is None:
            correction = 0 if unbiased is False else 1
        dims = _dims(dim, self.ndim, "std") or None
        _check_floating(self, "std")
        return R.Std.apply(self, dims, correction, keepdim)

    def _max_min(self, is_max, dim, keepdim, name):
        if dim is None:
            return R.MaxMinAll.apply(self, is_max, None, False, True)
        if isinstance(dim, Tensor):
            return maximum(self, dim) if is_max else minimum(self, dim)
        d = _dim(dim, self.ndim, name)
        x = self._data
        if x.ndim == 0:
            return _return_types[name](self, zeros((), dtype=B.int64))
        _check_nonempty_dim(self, d, name)
        idx = (xp.argmax if is_max else xp.argmin)(x, axis=d, keepdims=True)
        values = (R.MaxDim if is_max else R.MinDim).apply(self, idx, d, keepdim)
        if not keepdim:
            idx = idx.squeeze(d)
        return _return_types[name](values, Tensor._make(idx.astype(xp.int64), False, None))

    def max(self, dim=None, keepdim=False):
        return self._max_min(True, dim, keepdim, "max")

    def min(self, dim=None, keepdim=False):
        return self._max_min(False, dim, keepdim, "min")

    def amax(self, dim=(), keepdim=False):
        dims = _dims(dim, self.ndim, "amax") or None
        return R.MaxMinAll.apply(self, True, dims, keepdim)

    def amin(self, dim=(), keepdim=False):
        dims = _dims(dim, self.ndim, "amin") or None
        return R.MaxMinAll.apply(self, False, dims, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _arg_reduce(self, xp.argmax, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _arg_reduce(self, xp.argmin, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        a = self._float()  # integers and bools give the default float dtype
        return R.LogSumExp.apply(a, _dims(dim, self.ndim, "logsumexp"), keepdim)

    def softmax(self, dim, dtype=None):
        a = self if dtype is None else self.to(dtype)
        _check_float_kernel(a, "softmax_lastdim_kernel_impl")
        return R.Softmax.apply(a, _dim(dim, self.ndim, "softmax"))

    def log_softmax(self, dim, dtype=None):
        a = self if dtype is None else self.to(dtype)
        _check_float_kernel(a, "log_softmax_lastdim_kernel_impl")
        return R.LogSoftmax.apply(a, _dim(dim, self.ndim, "log_softmax"))

    def _float(self):
        return self if self._data.dtype.kind == "f" else self.to(B.get_default_dtype())

    def cumsum(self, dim, dtype=None):
        return R.Cumsum.apply(self, _dim(dim, self.ndim, "cumsum"), self._reduce_dtype(dtype))

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """The p-norm over ``dim`` (all elements by default); "fro" is the 2-norm of the
        entries, "nuc" the sum of singular values."""
        a = self if dtype is None else self.to(dtype)
        if p == "nuc":
            dims = (-2, -1) if dim is None else dim
            return a.matrix_norm("nuc", dims, keepdim)
        if p is None or p == "fro":
            p = 2
        return a.vector_norm(p, dim, keepdim)

    def vector_norm(self, ord=2, dim=None, keepdim=False, dtype=None):
        self._check_float_norm("linalg.vector_norm")
        a = self if dtype is None else self.to(dtype)
        dims = _dims(dim, self.ndim, "linalg.vector_norm")
        if dims == ():
            dims = None
        return R.VectorNorm.apply(a, float(ord), dims, keepdim)

    def _check_float_norm(self, op):
        if self._data.dtype.kind != "f":
            raise RuntimeError(
                f"{op}: Expected a floating point or complex tensor as input. "
                f"Got {R.torch_type_name(self._data.dtype)}"
            )

    def matrix_norm(self, ord="fro", dim=(-2, -1), keepdim=False, dtype=None):
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
            s = L.Decomposition.apply(
                a.movedim((d0, d1), (-2, -1)),
                "torch.linalg.matrix_norm(ord=" + repr(ord) + ")",
                lambda x: xp.linalg.svd(x, compute_uv=False),
            )
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

    def sort(self, dim=-1, descending=False, stable=False):
        """Values in order along ``dim`` and where they came from; equal values keep their
        order, and nan counts as the largest value (last, or first when descending)."""
        d = _dim(dim, self.ndim, "sort")
        if self.ndim == 0:  # one value: itself, from index 0
            values, indices = self.reshape(1).sort(0, descending, stable)
            return _return_types["sort"](values.reshape(()), indices.reshape(()))
        idx = _sort_indices(self._data, d, descending)
        return _return_types["sort"](
            R.SortValues.apply(self, idx, d), Tensor._make(idx.astype(xp.int64), False, None)
        )

    def argsort(self, dim=-1, descending=False, stable=False):
        return self.sort(dim, descending, stable).indices

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The k largest (or smallest) values along ``dim``, in order, and their indices."""
        if self._data.dtype.kind == "b":
            raise RuntimeError("topk does not support bool dtypes on CPU")
        d = _dim(dim, self.ndim, "topk")
        n = self.shape[d] if self.ndim else 1
        if not 0 <= k <= n:
            raise RuntimeError(f"selected index k out of range (k={k}, size {n})")
        if self.ndim == 0:  # k = 0 or 1 of one value: PyTorch answers the value either way
            return _return_types["topk"](self.reshape(()) * 1, zeros((), dtype=B.int64))
        order = _sort_indices(self._data, d, descending=largest)
        idx = xp.take(order, xp.arange(k), axis=d) if self.ndim else order
        return _return_types["topk"](
            R.TopkValues.apply(self, idx, d), Tensor._make(idx.astype(xp.int64), False, None)
        )

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape, **kwargs):
        shape = shape or _required(kwargs, "reshape", "shape")
        shape = _infer_shape(_shape_arg(shape), self._data.size, "reshape", self.shape)
        if shape == self._data.shape:
            return self if not self._requires_grad else S.Reshape.apply(self, shape)
        return S.Reshape.apply(self, shape)

    def view(self, *shape):
        if not shape:
            raise TypeError("view() received an invalid combination of arguments - got ()")
        if len(shape) == 1 and isinstance(shape[0], (B.dtype, str)):
            # the same bytes read as another dtype (not differentiable)
            return Tensor._make(self._data.view(B.to_dtype(shape[0]).np), False, None)
        # Unlike PyTorch, a view of memory that cannot be re-viewed (a transpose, or a
        # convolution output, which gradiente keeps channels-last) is a copy, not an error:
        # conv -> relu -> x.view(N, -1) must work as it does in PyTorch.
        shape = _infer_shape(_shape_arg(shape), self._data.size, "view", self.shape)
        return S.Reshape.apply(self, shape)

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            _dim(start_dim, 0, "flatten"), _dim(end_dim, 0, "flatten")  # only 0 and -1 exist
            return self.reshape(1)
        s = _dim(start_dim, self.ndim, "flatten")
        e = _dim(end_dim, self.ndim, "flatten")
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        shape = self.shape
        n = 1
        for k in shape[s : e + 1]:
            n *= k
        return self.reshape(shape[:s] + (n,) + shape[e + 1 :])

    def unflatten(self, dim, sizes):
        d = _dim(dim, self.ndim, "unflatten")
        sizes = _infer_shape(tuple(sizes), self.shape[d], "unflatten", self.shape)
        return self.reshape(self.shape[:d] + sizes + self.shape[d + 1 :])

    def squeeze(self, dim=None):
        if dim is None:
            return S.SqueezeAll.apply(self, tuple(s for s in self.shape if s != 1))
        dims = _dims(dim, self.ndim, "squeeze") or ()
        if len(set(dims)) != len(dims):
            repeated = next(d for d in dims if dims.count(d) > 1)
            raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
        shape = tuple(s for i, s in enumerate(self.shape) if not (i in dims and s == 1))
        return S.Squeeze.apply(self, shape)

    def unsqueeze(self, dim):
        d = _dim(dim, self.ndim + 1, "unsqueeze")
        shape = self.shape
        return S.Unsqueeze.apply(self, shape[:d] + (1,) + shape[d:])

    def permute(self, *dims, **kwargs):
        dims = dims or _required(kwargs, "permute", "dims")
        dims = (
            _shape_arg(dims) if dims and not isinstance(dims[0], (list, tuple)) else tuple(dims[0])
        )
        if len(dims) != self.ndim:
            raise RuntimeError(
                f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                f"the length of the desired ordering of dimensions i.e. input.dim() = "
                f"{self.ndim} is not equal to len(dims) = {len(dims)}"
            )
        return S.Permute.apply(self, tuple(_dim(d, self.ndim, "permute") for d in dims))

    def transpose(self, dim0, dim1):
        d0, d1 = _dim(dim0, self.ndim, "transpose"), _dim(dim1, self.ndim, "transpose")
        if self.ndim < 2:
            return self
        return S.Transpose.apply(self, d0, d1)

    swapaxes = swapdims = transpose

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(
                f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D"
            )
        return S.T.apply(self, 0, 1) if self.ndim == 2 else self

    def movedim(self, source, destination):
        src = _dims(source, self.ndim, "movedim")
        dst = _dims(destination, self.ndim, "movedim")
        if len(src) != len(dst):
            raise RuntimeError(
                f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
                f"contain the same number of dims as destination ({list(dst)} dims)"
            )
        if self.ndim == 0:
            return self[...]  # dims 0 and -1 of a 0-d tensor: nothing moves
        order = [d for d in range(self.ndim) if d not in src]
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
        return self.permute(*order)

    def expand(self, *sizes, **kwargs):
        sizes = _shape_arg(sizes or _required(kwargs, "expand", "size"))
        if len(sizes) < self.ndim:
            raise RuntimeError(
                f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal "
                f"to the number of dimensions in the tensor ({self.ndim})"
            )
        lead = len(sizes) - self.ndim
        shape = []
        for i, s in enumerate(sizes):
            old = self.shape[i - lead] if i >= lead else None
            if s == -1:
                if old is None:
                    raise RuntimeError("expand: -1 is not allowed in a leading, new dimension")
                s = old
            elif old is not None and old != 1 and old != s:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) must match the existing size "
                    f"({old}) at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  "
                    f"Tensor sizes: {list(self.shape)}"
                )
            shape.append(s)
        shape = tuple(shape)
        if shape == self._data.shape:
            return self
        return S.Expand.apply(self, shape)

    def expand_as(self, other):
        return self.expand(other.shape)

    def broadcast_to(self, shape):
        return self.expand(shape)

    def repeat(self, *repeats, **kwargs):
        repeats = _shape_arg(repeats or _required(kwargs, "repeat", "repeats"))
        if len(repeats) < self.ndim:
            raise RuntimeError(
                "Number of dimensions of repeat dims can not be smaller than "
                "number of dimensions of tensor"
            )
        return S.Repeat.apply(self, repeats)

    def flip(self, *dims, **kwargs):
        dims = _shape_arg(dims or (kwargs["dims"],))
        dims = tuple(_dim(d, self.ndim, "flip") for d in dims)
        if self.ndim == 0:
            return S.Flip.apply(self, ())  # dim 0 of one value: a copy
        return S.Flip.apply(self, dims)

    def narrow(self, dim, start, length):
        """The ``length`` entries from ``start`` along dim (a view); a negative start counts
        from the end."""
        d = _dim(dim, self.ndim, "narrow")
        n = self.shape[d]
        start, length = int(start), int(length)
        if not -n <= start <= n:
            raise IndexError(
                f"start out of range (expected to be in range of [{-n}, {n}], but got {start})"
            )
        start = start + n if start < 0 else start
        if length < 0 or start + length > n:
            raise RuntimeError(
                f"start ({start}) + length ({length}) exceeds dimension size ({n})."
            )
        index = (slice(None),) * d + (slice(start, start + length),)
        return self[index]

    def split(self, split_size_or_sections, dim=0):
        d = _dim(dim, self.ndim, "split")
        n = self.shape[d]
        if isinstance(split_size_or_sections, numbers.Integral):
            step = int(split_size_or_sections)
            if step < 0:
                raise RuntimeError(
                    f"split expects split_size be non-negative, but got split_size={step}"
                )
            if step == 0 and n:
                raise RuntimeError(
                    "split_size can only be 0 if dimension size is 0, but got dimension size "
                    f"of {n}"
                )
            sizes = [min(step, n - i) for i in range(0, n, step)] if n else [0]
        else:
            sizes = list(split_size_or_sections)
            if builtins.sum(sizes) != n:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                    f"size at dimension {d}), but got split_sizes={sizes}"
                )
        by_sizes = not isinstance(split_size_or_sections, numbers.Integral)
        if not sizes:  # split_with_sizes of an empty dim into no pieces: no tensors
            return ()
        return S.Split.apply(self, sizes, d, by_sizes)

    def chunk(self, chunks, dim=0):
        d = _dim(dim, self.ndim, "chunk")
        n = self.shape[d]
        step = -(-n // chunks)
        return self.split(step, d) if n else self.split([0] * chunks, d)  # chunks empty pieces

    def unbind(self, dim=0):
        d = _dim(dim, self.ndim, "unbind")
        return S.Unbind.apply(self, d)

    def tensor_split(self, indices_or_sections, dim=0):
        """n nearly equal parts (the first ones one larger), or the pieces between indices."""
        d = _dim(dim, self.ndim, "tensor_split")
        n = self.shape[d]
        if isinstance(indices_or_sections, Tensor):
            indices_or_sections = indices_or_sections.tolist()
        if isinstance(indices_or_sections, numbers.Integral):
            q, r = divmod(n, int(indices_or_sections))
            return self.split([q + 1] * r + [q] * (int(indices_or_sections) - r), d)
        bounds = [builtins.min(builtins.max(int(i), 0), n) for i in indices_or_sections]
        bounds = [0, *bounds, n]
        return tuple(
            self.narrow(d, a, builtins.max(b - a, 0)) for a, b in zip(bounds[:-1], bounds[1:])
        )

    # ------------------------------------------------------------------ linear algebra
    def matmul(self, other):
        return matmul(self, other)

    def mm(self, other):
        if self.ndim != 2 or other.ndim != 2:
            raise RuntimeError(f"mm: expected 2-D tensors, got {self.ndim}-D and {other.ndim}-D")
        return matmul(self, other)

    def bmm(self, other):
        if self.ndim != 3 or other.ndim != 3:
            raise RuntimeError(f"bmm: expected 3-D tensors, got {self.ndim}-D and {other.ndim}-D")
        if self.shape[0] != other.shape[0]:
            raise RuntimeError(
                f"bmm: batch sizes differ: {tuple(self.shape)} and {tuple(other.shape)}"
            )
        if self._data.dtype != other._data.dtype and _empty_product(self, other):
            return _mixed_empty_product(L.Bmm, self, other)
        if self._data.dtype != other._data.dtype:
            raise RuntimeError(
                f"bmm: expected both tensors to have the same dtype, got "
                f"{self.dtype} and {other.dtype}"
            )
        return L.Bmm.apply(self, other)

    def dot(self, other):
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(
                f"1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors"
            )
        return matmul(self, other)

    def mv(self, vec):
        return matmul(self, vec)

    def outer(self, other):
        return self.reshape(-1, 1) * other.reshape(1, -1)

    ger = outer

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, index):
        index, basic = _convert_index(index, self)
        if basic:
            return I.BasicIndex.apply(self, index)
        split = _integers_first(index, self._data.ndim)
        if split is not None:
            return I.Index.apply(I.BasicIndex.apply(self, split[0]), split[1])
        return I.Index.apply(self, index)

    def __setitem__(self, index, value):
        index, basic = _convert_index(index, self)
        if isinstance(value, Tensor) and value._data.dtype != self._data.dtype:
            if not basic and not _is_masked_fill(index, value):
                # index_put does not convert, unlike copy_ and masked_fill
                raise RuntimeError(
                    "Index put requires the source and destination dtypes match, got "
                    f"{_scalar_type_name(self)} for the destination and "
                    f"{_scalar_type_name(value)} for the source."
                )
            value = value.to(self.dtype)
        if basic and not any(i is Ellipsis for i in index):
            # an element (x[1, 2]) as a 0-d view, so that a (1,)-shaped value fits as in torch
            index = index + (Ellipsis,)
        split = None if basic else _integers_first(index, self._data.ndim)
        if split is not None:
            # the integers select a view, the advanced indices write into it
            view = I.BasicIndex.apply(self, split[0])
            view[split[1]] = value
            return
        if grad_state.enabled and (self._requires_grad or _req(value)):
            self._inplace(lambda s, v: I.CopySlices.apply(s, index, v), value)
            return
        self._check_inplace()
        self._data[index] = _arr(value)
        self._bump()

    def index_select(self, dim, index):
        d = _dim(dim, self.ndim, "index_select")
        idx = _index_array(index, "index_select")
        if self.ndim == 0:
            if idx.size != 1:
                raise RuntimeError(
                    f"index_select(): Index to scalar can have only 1 value, got {idx.size} "
                    "value(s)"
                )
            return self.reshape(1).index_select(0, index).reshape(())
        if idx.size and (idx.min() < 0 or idx.max() >= self.shape[d]):
            raise IndexError("index out of range in self")  # no negative indices, as torch
        return I.IndexSelect.apply(self, d, idx)

    def gather(self, dim, index):
        d = _dim(dim, self.ndim, "gather")
        idx = _index_array(index, "gather")
        if idx.ndim != self.ndim:
            raise RuntimeError(
                "Index tensor must have the same number of dimensions as input "
                f"tensor (index {idx.ndim}-D, input {self.ndim}-D)"
            )
        if self.ndim == 0:  # index 0 of the one value
            return self.reshape(1).gather(0, Tensor._make(idx.reshape(1))).reshape(())
        _check_scatter_index(idx, d, self.shape[d])
        return R.GatherAlongDim.apply(self, idx, d)

    def scatter_add(self, dim, index, src):
        d = _dim(dim, self.ndim, "scatter_add")
        idx = _index_array(index, "scatter_add")
        _check_scatter_index(idx, d, self.shape[d])
        return R.ScatterAdd.apply(self, idx, d, src.to(self.dtype))

    def scatter_add_(self, dim, index, src):
        return self._inplace(lambda s, v: s.scatter_add(dim, index, v), src)

    def scatter(self, dim, index, src=None, value=None, reduce=None):
        """self with ``src`` (or ``value``) written at ``index`` along dim."""
        d = _dim(dim, self.ndim, "scatter")
        idx = _index_array(index, "scatter")
        _check_scatter_index(idx, d, self.shape[d])
        if src is None:
            src = value
        if reduce is not None:
            reductions = {"add": "sum", "multiply": "prod"}
            if not isinstance(src, Tensor):
                src = full(idx.shape, src, dtype=self.dtype)
            return self.scatter_reduce(d, index, src, reductions[reduce])
        if isinstance(src, Tensor):
            src = src.to(self.dtype)
        elif isinstance(src, numbers.Number):
            src = xp.asarray(src).astype(self._data.dtype).item()
        return R.Scatter.apply(self, idx, d, src)

    def scatter_(self, dim, index, src=None, value=None, reduce=None):
        return self._inplace(
            lambda s, v: s.scatter(dim, index, v, reduce=reduce), src if src is not None else value
        )

    def masked_select(self, mask):
        mask = _as_bool_mask(mask, "masked_select")
        return self[mask.expand(self.shape) if mask.shape != self.shape else mask]

    # ------------------------------------------------------------------ more element-wise math
    def tan(self):
        return self._float_unary(E.Tan)

    def asin(self):
        return self._float_unary(E.Asin)

    def acos(self):
        return self._float_unary(E.Acos)

    def atan(self):
        return self._float_unary(E.Atan)

    def sinh(self):
        return self._float_unary(E.Sinh)

    def cosh(self):
        return self._float_unary(E.Cosh)

    def asinh(self):
        return self._float_unary(E.Asinh)

    def acosh(self):
        return self._float_unary(E.Acosh)

    def atanh(self):
        return self._float_unary(E.Atanh)

    arcsin, arccos, arctan = asin, acos, atan
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def atan2(self, other):
        _check_tensor_arg(other, "atan2")
        a, b = _promote_float(self, other)
        return E.Atan2.apply(a, b if isinstance(b, Tensor) else as_tensor(b, dtype=a.dtype))

    arctan2 = atan2

    def hypot(self, other):
        # √(a² + b²)
        _check_tensor_arg(other, "hypot")
        _float_only(B.result_type(self, other).np, "hypot_cpu")
        return (self * self + other * other).sqrt()

    def exp2(self):
        return 2.0**self

    def logit(self, eps=None):
        # logit(p) = log(p / (1 − p)), with p clamped to [eps, 1 − eps] when eps is given
        p = self._float() if eps is None else self._float().clamp(eps, 1.0 - eps)
        return (p / (1.0 - p)).log()

    def xlogy(self, other):
        # x·log(y), defined as 0 where x == 0 (even when y is 0), NaN where y is NaN
        a, b = _promote_float(self, other)
        b = b if isinstance(b, Tensor) else as_tensor(b, dtype=a.dtype)
        return E.Xlogy.apply(a, b)

    def logaddexp(self, other):
        _check_tensor_arg(other, "logaddexp")
        _float_only(B.result_type(self, other).np, "logaddexp_cpu")
        # log(eᵃ + eᵇ) = max(a, b) + log1p(e^(−|a − b|)), which cannot overflow
        a, b = _promote_float(self, other)
        out = maximum(a, b) + (-(a - b).abs()).exp().log1p()
        return _refuse_backward_with_bool(out, self, other)

    def logaddexp2(self, other):
        _check_tensor_arg(other, "logaddexp2")
        _float_only(B.result_type(self, other).np, "logaddexp2_cpu")
        ln2 = 0.6931471805599453
        a, b = _promote(self, other)
        return _refuse_backward_with_bool((a * ln2).logaddexp(b * ln2) / ln2, self, other)

    def frac(self):
        _float_only(self._data.dtype, "frac_cpu")
        return self - self.trunc()

    def deg2rad(self):
        return self._float() * (3.141592653589793 / 180.0)

    def rad2deg(self):
        return self._float() * (180.0 / 3.141592653589793)

    sgn = sign
    fix = trunc

    def positive(self):
        return self

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        if self._data.dtype.kind != "f":
            return self.clone()
        info = xp.finfo(self._data.dtype)
        out = self.masked_fill(self.isnan(), nan)
        out = out.masked_fill(self == float("inf"), info.max if posinf is None else posinf)
        return out.masked_fill(self == float("-inf"), info.min if neginf is None else neginf)

    def heaviside(self, values):
        """0 for x < 0, ``values`` at x == 0, 1 for x > 0 (recorded without a derivative)."""
        if not isinstance(values, Tensor):
            raise TypeError("heaviside(): argument 'values' must be Tensor")
        if values._data.dtype != self._data.dtype:
            raise RuntimeError(
                "heaviside is not yet implemented for tensors with different dtypes"
            )

        def step(x, v):
            return xp.where(x == 0, v, (x > 0).astype(x.dtype)).astype(x.dtype)

        return E.NotDifferentiable.apply(self, values, "heaviside", step)

    def float_power(self, exponent):
        e = exponent.double() if isinstance(exponent, Tensor) else exponent
        return self.double().pow(e)

    def copysign(self, other):
        """|self| with the sign of ``other`` (−0.0 counts as negative); always floating."""
        a, b = _promote(self, other)
        a = a._float()
        b = b.to(a.dtype) if isinstance(b, Tensor) else as_tensor(b, dtype=a.dtype)
        return E.CopySign.apply(a, b)

    def fmax(self, other):
        # like maximum, but a nan loses to a number
        _check_tensor_arg(other, "fmax")
        a, b = _promote(self, other)
        b = b if isinstance(b, Tensor) else as_tensor(b, dtype=a.dtype)
        # a where a >= b or b is NaN, else b: torch's backward masks, so a tie sends the whole
        # gradient to a
        return where((a >= b) | b.isnan(), a, b)

    def fmin(self, other):
        _check_tensor_arg(other, "fmin")
        a, b = _promote(self, other)
        b = b if isinstance(b, Tensor) else as_tensor(b, dtype=a.dtype)
        return where((a <= b) | b.isnan(), a, b)  # as fmax

    def signbit(self):
        return Tensor._make(xp.signbit(self._data), False, None)

    def isneginf(self):
        return self == float("-inf")

    def isposinf(self):
        return self == float("inf")

    def isreal(self):
        return Tensor._make(xp.ones(self._data.shape, dtype=bool), False, None)

    # ------------------------------------------------------------------ fused products
    def addmm(self, mat1, mat2, beta=1, alpha=1):
        """beta·self + alpha·(mat1 @ mat2)."""
        return _scaled_sum(self, beta, mat1.mm(mat2), alpha)

    def addmv(self, mat, vec, beta=1, alpha=1):
        return _scaled_sum(self, beta, mat.mv(vec), alpha)

    def addbmm(self, batch1, batch2, beta=1, alpha=1):
        return _scaled_sum(self, beta, batch1.bmm(batch2).sum(0), alpha)

    def baddbmm(self, batch1, batch2, beta=1, alpha=1):
        return _scaled_sum(self, beta, batch1.bmm(batch2), alpha)

    def addr(self, vec1, vec2, beta=1, alpha=1):
        return _scaled_sum(self, beta, vec1.outer(vec2), alpha)

    def addcmul(self, tensor1, tensor2, value=1):
        """self + value · tensor1 · tensor2."""
        return self + value * tensor1 * tensor2

    def addcdiv(self, tensor1, tensor2, value=1):
        """self + value · tensor1 / tensor2."""
        return self + value * tensor1 / tensor2

    def inner(self, other):
        """Σ over the last dims: out[i..., j...] = Σ_k self[i..., k] other[j..., k]."""
        if self.ndim == 0 or other.ndim == 0:
            return self * other
        if self.ndim == 1 and other.ndim == 1:
            return self.dot(other)
        k = self.shape[-1]
        out = matmul(self.reshape(-1, k), other.reshape(-1, k).t())
        return out.reshape(self.shape[:-1] + other.shape[:-1])

    def vdot(self, other):
        return self.dot(other)

    def cross(self, other, dim=None):
        """The cross product of 3-vectors along ``dim`` (default: the first dim of size 3)."""
        a, b = _promote(self, other)
        shape = B.xp.broadcast_shapes(a.shape, b.shape)
        if dim is None:
            dim = next((i for i, n in enumerate(shape) if n == 3), None)
            if dim is None:
                raise RuntimeError("no dimension of size 3 in input")
        d = _dim(dim, len(shape), "cross")
        if shape[d] != 3:
            raise RuntimeError(
                f"linalg.cross: inputs dimension {d} must have length 3. Got {a.shape[d]} and "
                f"{b.shape[d]}"
            )
        a, b = a.expand(shape), b.expand(shape)
        a0, a1, a2 = a.unbind(d)
        b0, b1, b2 = b.unbind(d)
        # a × b = (a₁b₂ − a₂b₁, a₂b₀ − a₀b₂, a₀b₁ − a₁b₀)
        return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """Differences of neighbours along ``dim``, applied ``n`` times."""
        d = _dim(dim, self.ndim, "diff")
        x = self
        if prepend is not None or append is not None:
            parts = [t if isinstance(t, Tensor) else as_tensor(t) for t in (prepend, self, append)]
            x = cat([p for p in parts if p is not None], d)
        for _ in range(n):
            m = x.shape[d]
            if x._data.dtype == xp.bool_:
                x = x.narrow(d, 1, m - 1) ^ x.narrow(d, 0, m - 1)
            else:
                x = x.narrow(d, 1, max(m - 1, 0)) - x.narrow(d, 0, max(m - 1, 0))
        return x

    # ------------------------------------------------------------------ cumulative ops
    def cumprod(self, dim, dtype=None):
        a = self if dtype is None else self.to(dtype)
        if a._data.dtype.kind in "biu":
            a = a.to(B.int64)  # integer products accumulate in int64, as for cumsum
        return R.Cumprod.apply(a, _dim(dim, self.ndim, "cumprod"))

    def _cumulative_extreme(self, dim, is_max):
        name = "cummax" if is_max else "cummin"
        d = _dim(dim, self.ndim, name)
        x = self._data
        if x.ndim == 0:
            return _return_types[name](self.clone(), zeros((), dtype=B.int64))
        values = (xp.maximum if is_max else xp.minimum).accumulate(x, axis=d)
        # the index of the latest element equal to the running extreme (PyTorch keeps the last
        # of equal values)
        positions = xp.arange(x.shape[d]).reshape([-1 if k == d else 1 for k in range(x.ndim)])
        holders = xp.where(x == values, positions, 0)
        idx = xp.maximum.accumulate(holders, axis=d)
        cls = R.Cummax if is_max else R.Cummin
        return _return_types[name](
            cls.apply(self, idx, d), Tensor._make(idx.astype(xp.int64), False, None)
        )

    def cummax(self, dim):
        return self._cumulative_extreme(dim, True)

    def cummin(self, dim):
        return self._cumulative_extreme(dim, False)

    def logcumsumexp(self, dim):
        d = _dim(dim, self.ndim, "logcumsumexp")
        if self._data.dtype.kind != "f":
            raise NotImplementedError(
                f'"logcumsumexp_out_cpu" not implemented for '
                f"'{R.torch_type_name(self._data.dtype)}'"
            )
        return R.LogCumSumExp.apply(self, d)

    # ------------------------------------------------------------------ diagonals, triangles
    def diagonal(self, offset=0, dim1=0, dim2=1):
        d1, d2 = _dim(dim1, self.ndim, "diagonal"), _dim(dim2, self.ndim, "diagonal")
        if d1 == d2:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        return S.Diagonal.apply(self, int(offset), d1, d2)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        """Put the last dim on the ``offset``-th diagonal of new square matrices."""
        n = self.shape[-1] + abs(offset)
        ndim = self.ndim + 1
        d1, d2 = _dim(dim1, ndim, "diag_embed"), _dim(dim2, ndim, "diag_embed")
        rest = list(self.shape[:-1])
        shape = [0] * ndim
        for k in range(ndim):
            shape[k] = n if k in (d1, d2) else rest.pop(0)
        return S.DiagonalBackward.apply(self, int(offset), d1, d2, tuple(shape))

    def diag(self, diagonal=0):
        """A 1-D tensor's diagonal matrix, or a 2-D tensor's diagonal."""
        if self.ndim == 1:
            return self.diag_embed(diagonal, 0, 1)
        if self.ndim == 2:
            return self.diagonal(diagonal).clone()
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")

    def diagflat(self, offset=0):
        return self.flatten().diag(offset)

    def trace(self):
        if self.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {self.ndim}")
        return self.diagonal().sum()

    def fill_diagonal_(self, fill_value, wrap=False):
        self._check_inplace()
        x = self._data
        if x.ndim > 2 and len(set(x.shape)) != 1:
            raise RuntimeError("all dimensions of input must be of equal length")
        if x.ndim == 2 and wrap:
            xp.fill_diagonal(x, fill_value, wrap=True)
        else:
            n = min(x.shape)
            x[(xp.arange(n),) * x.ndim] = fill_value
        self._bump()
        return self

    def tril(self, diagonal=0):
        return E.TrilTriu.apply(self, True, int(diagonal))

    def triu(self, diagonal=0):
        return E.TrilTriu.apply(self, False, int(diagonal))

    # ------------------------------------------------------------------ rearranging
    def roll(self, shifts, dims=None):
        """Shift along ``dims`` with wrap-around; without dims, along the flattened tensor."""
        shifts = tuple(int(s) for s in shifts) if isinstance(shifts, (list, tuple)) else (shifts,)
        dims = () if dims is None else tuple(dims) if isinstance(dims, (list, tuple)) else (dims,)
        if not shifts:
            raise RuntimeError("`shifts` required")
        if not dims and len(shifts) == 1:
            return E.Roll.apply(self, int(shifts[0]), None)
        if len(shifts) != len(dims):
            raise RuntimeError(
                f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
            )
        if self._data.size == 0:  # PyTorch returns a copy before looking at the dims
            return self.clone()
        if self.ndim == 0:
            raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
        return E.Roll.apply(self, shifts, tuple(_dim(d, self.ndim, "roll") for d in dims))

    def rot90(self, k=1, dims=(0, 1)):
        """Rotate by 90° k times in the plane of ``dims`` (from the first towards the second)."""
        d0, d1 = (_dim(d, self.ndim, "rot90") for d in dims)
        k %= 4
        if k == 1:
            return self.flip(d1).transpose(d0, d1)
        if k == 2:
            return self.flip(d0, d1)
        if k == 3:
            return self.flip(d0).transpose(d0, d1)
        return self.clone()

    def fliplr(self):
        return self.flip(1)

    def flipud(self):
        return self.flip(0)

    def tile(self, *dims):
        dims = _shape_arg(dims)
        return self.repeat((1,) * (self.ndim - len(dims)) + dims)

    def repeat_interleave(self, repeats, dim=None, output_size=None):
        """Repeat each element ``repeats`` times (an int, or one count per element)."""
        x = self.flatten() if dim is None else self
        d = 0 if dim is None else _dim(dim, self.ndim, "repeat_interleave")
        counts = _arr(repeats)
        index = xp.repeat(xp.arange(x.shape[d]), counts)
        return x.index_select(d, Tensor._make(index))

    def moveaxis(self, source, destination):
        return self.movedim(source, destination)

    def select(self, dim, index):
        d = _dim(dim, self.ndim, "select")
        return self[(slice(None),) * d + (index,)]

    def unfold(self, dimension, size, step):
        """All windows of length ``size`` every ``step`` along ``dimension``, as a new last dim."""
        d = _dim(dimension, self.ndim, "unfold")
        n = (self.shape[d] - size) // step + 1
        # (windows, size) positions along dim
        index = (xp.arange(n)[:, None] * step + xp.arange(size)[None, :]).reshape(-1)
        out = self.index_select(d, Tensor._make(index))
        out = out.unflatten(d, (n, size))
        return out.movedim(d + 1, -1)

    def ravel(self):
        return self.reshape(-1)

    # ------------------------------------------------------------------ selecting and writing
    def take(self, index):
        return self.reshape(-1)[index]

    def take_along_dim(self, indices, dim=None):
        if dim is None:
            return self.reshape(-1).gather(0, indices.reshape(-1))
        d = _dim(dim, self.ndim, "take_along_dim")
        shape = list(xp.broadcast_shapes(self.shape, indices.shape))
        shape_self, shape_idx = list(shape), list(shape)
        shape_self[d], shape_idx[d] = self.shape[d], indices.shape[d]
        return self.expand(shape_self).gather(d, indices.expand(shape_idx))

    def _index_along(self, dim, index, op):
        """The index broadcast over the other dims of a (dim, index) pair, as for scatter.

        As in PyTorch, only ``index_fill`` counts negative indices from the end; index_add and
        index_copy refuse them.
        """
        d = _dim(dim, self.ndim, op)
        idx = _index_array(index, op).reshape(-1)
        n = self.shape[d]
        low = -n if op == "index_fill" else 0
        if idx.size and (idx.min() < low or idx.max() >= n):
            bad = int(idx.min() if idx.min() < low else idx.max())
            raise IndexError(
                f"{op}(): index {bad} is out of bounds for dimension {d} with size {n}"
            )
        return d, idx % max(n, 1)

    def index_add(self, dim, index, source, alpha=1):
        """self with ``alpha · source[i]`` added at position ``index[i]`` along dim."""
        d, idx = self._index_along(dim, index, "index_add")
        src = source if alpha == 1 else source * alpha
        src = src if src.ndim else src.reshape(1)
        shape = [1] * src.ndim
        shape[d] = -1
        full = xp.broadcast_to(idx.reshape(shape), src.shape)
        return self + R.ScatterAddAlongDim.apply(src.to(self.dtype), full, d, self.shape)

    def index_fill(self, dim, index, value):
        d, idx = self._index_along(dim, index, "index_fill")
        mask = xp.zeros(self.shape[d], dtype=bool)
        mask[idx] = True
        shape = [1] * self.ndim
        shape[d] = -1
        return self.masked_fill(Tensor._make(mask.reshape(shape)), value)

    def index_copy(self, dim, index, source):
        d, _ = self._index_along(dim, index, "index_copy")
        return self.index_fill(d, index, 0).index_add(d, index, source)

    def index_put(self, indices, values, accumulate=False):
        index = tuple(indices)
        if not accumulate:
            out = self.clone()
            out[index] = values
            return out
        index, _ = _convert_index(index, self)
        values = values if isinstance(values, Tensor) else as_tensor(values, dtype=self.dtype)
        shape = self._data[index].shape
        return self + I.IndexBackward.apply(values.expand(shape), index, self.shape)

    def index_put_(self, indices, values, accumulate=False):
        return self._inplace(lambda s, v: s.index_put(indices, v, accumulate), values)

    def scatter_reduce(self, dim, index, src, reduce, include_self=True):
        """Reduce ``src`` into self at ``index`` along dim: sum, prod, mean, amax or amin."""
        d = _dim(dim, self.ndim, "scatter_reduce")
        idx = _index_array(index, "scatter_reduce")
        _check_scatter_index(idx, d, self.shape[d])
        if reduce in ("sum", "mean"):
            added = R.ScatterAddAlongDim.apply(src, idx, d, self.shape)
            base = self if include_self else self.scatter(d, index, 0.0)
            out = base + added
            if reduce == "mean":
                ones = xp.ones(idx.shape, dtype=self._data.dtype)
                count = xp.zeros(self._data.shape, dtype=self._data.dtype)
                R._scatter_add(count, idx, ones, d)
                count = count + (1 if include_self else 0)
                count = xp.maximum(count, 1)
                if self._data.dtype.kind == "f":
                    out = out / Tensor._make(count)
                else:
                    out = out.floor_divide(Tensor._make(count.astype(self._data.dtype)))
            return out
        ufuncs = {"prod": xp.multiply, "amax": xp.maximum, "amin": xp.minimum}
        if reduce not in ufuncs:
            raise RuntimeError(
                f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
            )
        if grad_state.enabled and (self._requires_grad or _req(src)):
            raise RuntimeError(
                f"gradiente does not implement the gradient of scatter_reduce(reduce='{reduce}') "
                "yet"
            )
        out = self._data.copy()
        full = list(xp.indices(idx.shape, sparse=True))
        full[d] = idx
        values = src._data[tuple(slice(0, n) for n in idx.shape)]
        if not include_self:
            identity = {"prod": 1, "amax": -xp.inf, "amin": xp.inf}[reduce]
            touched = xp.zeros(out.shape, dtype=bool)
            touched[tuple(full)] = True
            out[touched] = identity if out.dtype.kind == "f" else 0
            if out.dtype.kind != "f" and reduce != "prod":
                extreme = xp.iinfo(out.dtype).min if reduce == "amax" else xp.iinfo(out.dtype).max
                out[touched] = extreme
        ufuncs[reduce].at(out, tuple(full), values)
        return Tensor._make(out, False, None)

    def masked_scatter(self, mask, source):
        """Copy ``source``'s leading elements, in order, to where ``mask`` is True."""
        mask = _as_bool_mask(mask, "masked_scatter").expand(self.shape)
        n = int(mask._data.sum())
        if n > source.numel():
            raise RuntimeError("masked_scatter: expected source to have at least as many elements")
        return I.IndexPut.apply(self, mask._data, source.reshape(-1)[:n].to(self.dtype))

    def put_(self, index, source, accumulate=False):
        self._check_inplace()
        flat = self._data.reshape(-1).copy()
        idx = _index_array(index, "put_").reshape(-1)
        if accumulate:
            xp.add.at(flat, idx, source._data.reshape(-1))
        else:
            flat[idx] = source._data.reshape(-1)
        self._data[...] = flat.reshape(self._data.shape)
        self._bump()
        return self

    # ------------------------------------------------------------------ order statistics
    def aminmax(self, dim=None, keepdim=False):
        if dim is None:
            return _return_types["aminmax"](self.amin((), keepdim), self.amax((), keepdim))
        return _return_types["aminmax"](self.amin(dim, keepdim), self.amax(dim, keepdim))

    def nanmean(self, dim=None, keepdim=False, dtype=None):
        keep = ~self.isnan()
        total = self.masked_fill(~keep, 0.0).sum(dim, keepdim, dtype)
        return total / keep.sum(dim, keepdim)

    def _select_sorted(self, dim, keepdim, k_of_n, name):
        """The k-th smallest value along ``dim`` and its index (median, kthvalue).

        A median over values holding NaN is NaN, at the first NaN (torch); kthvalue counts NaN
        as the largest value."""
        x = self._data
        if x.dtype.kind == "b":
            kernel = "kthvalue_cpu" if name == "kthvalue" else "median_cpu"
            kernel = "median_out" if name == "median" and dim is not None else kernel
            raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
        if dim is None:
            flat = x.reshape(-1)
            k = k_of_n(flat.shape[0])
            order = xp.argsort(flat, kind="stable")
            position = int(order[k])
            if name == "median" and x.dtype.kind == "f" and xp.isnan(flat[order[-1]]):
                position = int(xp.argmax(xp.isnan(flat)))
            return R.MedianAll.apply(self, position)
        d = _dim(dim, self.ndim, name)
        if x.ndim == 0:
            return _return_types[name](self.clone(), zeros((), dtype=B.int64))
        k = k_of_n(x.shape[d])
        order = xp.argsort(x, axis=d, kind="stable")
        idx = xp.take(order, [k], axis=d)
        if name == "median" and x.dtype.kind == "f" and x.size:
            # NumPy sorts NaN last: a row whose last sorted value is NaN holds one
            last = xp.take_along_axis(x, xp.take(order, [-1], axis=d), axis=d)
            has_nan = xp.isnan(last)
            if has_nan.any():
                first_nan = xp.argmax(xp.isnan(x), axis=d, keepdims=True)
                idx = xp.where(has_nan, first_nan, idx)
        cls = R.MedianDim if name == "median" else R.KthvalueDim
        values = cls.apply(self, idx, d, keepdim)
        if not keepdim:
            idx = idx.squeeze(d)
        return _return_types[name](values, Tensor._make(idx.astype(xp.int64), False, None))

    def median(self, dim=None, keepdim=False):
        """The lower median ((n − 1) // 2-th smallest); with ``dim``, values and indices."""
        return self._select_sorted(dim, keepdim, lambda n: (n - 1) // 2, "median")

    def nanmedian(self, dim=None, keepdim=False):
        if not self.isnan().any():
            return self.median(dim, keepdim)
        raise RuntimeError("gradiente does not implement torch.nanmedian with nan values yet")

    def kthvalue(self, k, dim=-1, keepdim=False):
        return self._select_sorted(dim, keepdim, lambda n: k - 1, "kthvalue")

    def mode(self, dim=-1, keepdim=False):
        """The most frequent value along ``dim`` (the smallest of ties) and its last index."""
        d = _dim(dim, self.ndim, "mode")
        if self.ndim == 0:
            return _return_types["mode"](self.reshape(()) * 1, zeros((), dtype=B.int64))
        x = xp.moveaxis(self._data, d, -1)
        rows = x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1)
        indices = xp.empty(rows.shape[0], dtype=xp.int64)
        for r, row in enumerate(rows):
            uniq, counts = xp.unique(row, return_counts=True)
            value = uniq[xp.argmax(counts)]
            indices[r] = row.shape[0] - 1 - xp.argmax(row[::-1] == value)
        if self.ndim == 0:
            return _return_types["mode"](self.clone(), zeros((), dtype=B.int64))
        index = xp.expand_dims(indices.reshape(x.shape[:-1]), d)
        values = R.ModeValues.apply(self, index, d, keepdim)
        if not keepdim:
            index = index.squeeze(d)
        return _return_types["mode"](values, Tensor._make(index, False, None))

    def quantile(self, q, dim=None, keepdim=False, interpolation="linear"):
        """The q-quantiles along ``dim`` (all elements if None), interpolating between ranks."""
        if self._data.dtype.kind != "f":
            raise RuntimeError("quantile() input tensor must be either float or double dtype")
        x = self.reshape(-1) if dim is None or self.ndim == 0 else self
        d = 0 if dim is None else _dim(dim, self.ndim, "quantile")
        if self.ndim == 0 and dim is not None:  # one value along dim 0: quantiles of [x]
            out = x.quantile(q, 0, False, interpolation)
            return out
        qs = xp.atleast_1d(xp.asarray(_arr(q), dtype=xp.float64))
        if ((qs < 0) | (qs > 1)).any():
            raise RuntimeError("quantile() q values must be in the range [0, 1]")
        values = x.sort(d).values
        n = x.shape[d]
        pos = qs * (n - 1)  # the fractional rank of each quantile
        lo, hi = xp.floor(pos).astype(xp.int64), xp.ceil(pos).astype(xp.int64)
        if interpolation == "lower":
            hi = lo
        elif interpolation == "higher":
            lo = hi
        elif interpolation == "nearest":
            lo = hi = xp.round(pos).astype(xp.int64)  # round half to even, as PyTorch
        below = values.index_select(d, Tensor._make(lo)).movedim(d, 0)
        above = values.index_select(d, Tensor._make(hi)).movedim(d, 0)
        if interpolation == "midpoint":
            weight = xp.full(pos.shape, 0.5)
        else:
            weight = pos - lo
        shape = (-1,) + (1,) * (below.ndim - 1)
        w = Tensor._make(weight.astype(self._data.dtype).reshape(shape))
        out = below.lerp(above, w)
        if keepdim:
            if dim is None:
                out = out.reshape((out.shape[0],) + (1,) * self.ndim)
            else:
                out = out.unsqueeze(d + 1)
        if isinstance(q, float) or (isinstance(q, Tensor) and q.ndim == 0):
            out = out.squeeze(0)
        return out

    def nanquantile(self, q, dim=None, keepdim=False, interpolation="linear"):
        if not self.isnan().any():
            return self.quantile(q, dim, keepdim, interpolation)
        raise RuntimeError("gradiente does not implement torch.nanquantile with nan values yet")

    def msort(self):
        return self.sort(0).values

    def argwhere(self):
        return self.nonzero()

    def bincount(self, weights=None, minlength=0):
        if self.ndim != 1 or self._data.dtype.kind not in "iu":
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        if self._data.size and self._data.min() < 0:
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        w = None if weights is None else weights._data
        out = xp.bincount(self._data, weights=w, minlength=minlength)
        if weights is None:
            out = out.astype(xp.int64)
        elif weights._data.dtype.kind == "f":
            out = out.astype(weights._data.dtype)
        return Tensor._make(out, False, None)

    def histc(self, bins=100, min=0, max=0):
        x = self._data
        lo, hi = float(min), float(max)
        if lo == hi and x.size:
            lo, hi = float(x.min()), float(x.max())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        inside = x[(x >= lo) & (x <= hi)]
        counts, _ = xp.histogram(inside, bins=bins, range=(lo, hi))
        return Tensor._make(counts.astype(x.dtype), False, None)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (sorted), optionally with the inverse map and the counts."""
        x = self._data
        if dim is None:
            values, inverse, counts = xp.unique(x, return_inverse=True, return_counts=True)
            inverse = inverse.reshape(x.shape)
        else:
            d = _dim(dim, self.ndim, "unique")
            values, inverse, counts = xp.unique(x, return_inverse=True, return_counts=True, axis=d)
            inverse = inverse.reshape(-1)
        out = [Tensor._make(values, False, None)]
        if return_inverse:
            out.append(Tensor._make(inverse.astype(xp.int64), False, None))
        if return_counts:
            out.append(Tensor._make(counts.astype(xp.int64), False, None))
        return out[0] if len(out) == 1 else tuple(out)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        """Collapse runs of equal consecutive values (or slices along ``dim``)."""
        x = self._data if dim is None else xp.moveaxis(self._data, _dim(dim, self.ndim, "u"), 0)
        flat = x.reshape(-1) if dim is None else x.reshape(x.shape[0], -1)
        if flat.shape[0] == 0:
            starts = xp.zeros(0, dtype=bool)
        else:
            change = (flat[1:] != flat[:-1]) if dim is None else (flat[1:] != flat[:-1]).any(1)
            starts = xp.concatenate([[True], change])
        values = x[starts]
        if dim is not None:
            values = xp.moveaxis(values, 0, _dim(dim, self.ndim, "u"))
        out = [Tensor._make(values, False, None)]
        if return_inverse:
            inverse = xp.cumsum(starts) - 1
            out.append(Tensor._make(inverse.reshape(self._data.shape if dim is None else -1)))
        if return_counts:
            out.append(Tensor._make(xp.diff(xp.append(xp.flatnonzero(starts), len(starts)))))
        return out[0] if len(out) == 1 else tuple(out)

    # ------------------------------------------------------------------ sampling
    def bernoulli(self, p=None, generator=None):
        return bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, generator=None):
        return multinomial(self, num_samples, replacement, generator=generator)

    # ------------------------------------------------------------------ matrix functions
    def inverse(self):
        return L.Inverse.apply(self._float())

    def det(self):
        return L.Det.apply(self._float())

    def logdet(self):
        sign, logabsdet = self.slogdet()
        return where(sign < 0, float("nan"), logabsdet)

    def slogdet(self):
        return _return_types["slogdet"](*L.Slogdet.apply(self._float()))

    def matrix_power(self, n):
        """A @ A @ ... (n times); A⁻¹ powers for negative n; the identity for n = 0."""
        if n == 0:
            eye_ = eye(self.shape[-1], dtype=self.dtype)
            return eye_.expand(self.shape).clone()
        a = self if n > 0 else self.inverse()
        out = a
        for _ in range(abs(n) - 1):
            out = out @ a
        return out

    def pinverse(self, rcond=1e-15):
        return Tensor._make(xp.linalg.pinv(self._float()._data, rcond=rcond), False, None)

    def dist(self, other, p=2):
        return (self - other).norm(p)

    def as_strided(self, size, stride, storage_offset=0):
        """A view with the given sizes and strides (in elements) over self's elements in
        row-major order — a gather, so gradients flow back to the elements read."""
        flat_index = xp.full(tuple(size), int(storage_offset), dtype=xp.int64)
        for k, (n, step) in enumerate(zip(size, stride)):
            shape = [1] * len(size)
            shape[k] = n
            flat_index = flat_index + xp.arange(n).reshape(shape) * step
        return self.reshape(-1)[Tensor._make(flat_index)]

    def apply_(self, callable):
        """Replace every element by ``callable(element)`` (slow; Python-level, like PyTorch)."""
        self._check_inplace()
        flat = self._data.reshape(-1)
        flat[...] = [callable(v) for v in flat.tolist()]
        self._bump()
        return self

    def sum_to_size(self, *size):
        shape = _shape_arg(size)
        lead = self.ndim - len(shape)
        dims = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and self.shape[lead + i] != 1
        )
        out = self.sum(dims, keepdim=True) if dims else self
        return out.reshape(shape)

    # ------------------------------------------------------------------ in-place shape changes
    def _restride_(self, out: Tensor, node_name: str) -> Tensor:
        """Make self the (shape-changed) view ``out`` of its own memory, e.g. ``t_()``; in the
        graph the op's node replaces self's (PyTorch names the in-place variant's node)."""
        self._check_inplace()
        self._data = out._data
        if out.grad_fn is not None:
            out.grad_fn.backward_name = node_name
            self.grad_fn, self._output_nr = out.grad_fn, out._output_nr
        return self

    def t_(self):
        return self._restride_(self.t(), "TBackward1")

    def transpose_(self, dim0, dim1):
        return self._restride_(self.transpose(dim0, dim1), "TransposeBackward1")

    swapaxes_ = swapdims_ = transpose_

    def squeeze_(self, dim=None):
        name = "SqueezeBackward3" if dim is None else "SqueezeBackward4"
        return self._restride_(self.squeeze(dim), name)

    def unsqueeze_(self, dim):
        return self._restride_(self.unsqueeze(dim), "UnsqueezeBackward1")

    def resize_(self, *sizes):
        shape = _shape_arg(sizes)
        self._check_inplace()
        n = 1
        for s in shape:
            n *= s
        flat = self._data.reshape(-1)
        if flat.size < n:
            flat = xp.concatenate([flat, xp.zeros(n - flat.size, flat.dtype)])
        self._data = flat[:n].reshape(shape)
        return self

    def resize_as_(self, other):
        return self.resize_(other.shape)

    # ------------------------------------------------------------------ new tensors
    def new(self, *args):
        """Legacy: ``x.new(2, 3)`` is empty, ``x.new(data)`` a copy of data, in x's dtype."""
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            return tensor(args[0], dtype=self.dtype)
        return empty(*args, dtype=self.dtype)

    def is_inference(self) -> bool:
        return False

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


# Methods with a ``dim`` argument also take NumPy's ``axis`` (and ``keepdims``).
_DIM_METHODS = (
    "sum nansum mean nanmean prod var std max min amax amin aminmax argmax argmin logsumexp "
    "softmax log_softmax cumsum cumprod cummax cummin logcumsumexp norm vector_norm median "
    "nanmedian mode kthvalue quantile nanquantile sort argsort topk squeeze unsqueeze all any "
    "count_nonzero unbind split chunk tensor_split narrow select index_select gather scatter "
    "scatter_add scatter_reduce index_add index_fill index_copy diff roll "
    "repeat_interleave unflatten"
).split()
for _name in _DIM_METHODS:
    setattr(Tensor, _name, _numpy_names(getattr(Tensor, _name)))

# In-place forms (``x.tan_()``, ``x.tril_(k)``, ...) of the methods above: compute out of place,
# then write the result into self's memory (and graph) with ``Tensor._inplace``.
_INPLACE_FORMS = (
    "tan asin acos atan sinh cosh asinh acosh atanh arcsin arccos arctan arcsinh arccosh "
    "arctanh atan2 arctan2 hypot exp2 logit xlogy frac deg2rad rad2deg sgn fix nan_to_num "
    "floor ceil round trunc sign sin cos log1p log2 log10 expm1 rsqrt reciprocal square "
    "remainder fmod floor_divide cumsum cumprod tril triu index_add index_copy index_fill "
    "masked_scatter scatter_reduce clamp_min clamp_max logical_not logical_and logical_or "
    "float_power erf erfc erfinv heaviside copysign fmax fmin lerp digamma true_divide divide "
    "multiply subtract hypot fix"
).split()


def _inplace_form(name: str):
    def method(self, *args, **kwargs):
        return self._inplace(lambda s, *a: _cast_checked(s, getattr(s, name)(*a, **kwargs)), *args)

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In-place ``{name}``: ``x.{name}_(...)`` stores ``x.{name}(...)`` in x."
    return method


for _name in _INPLACE_FORMS:
    if hasattr(Tensor, _name) and not hasattr(Tensor, _name + "_"):
        setattr(Tensor, _name + "_", _inplace_form(_name))


# ---------------------------------------------------------------------- helpers


_LEGACY_TYPE_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "bool": "BoolTensor",
    "uint8": "ByteTensor",
    "float16": "HalfTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
}


def _sort_indices(x, d: int, descending: bool):
    """Stable sorting order along axis d; nan counts as the largest value."""
    if not descending:
        return xp.argsort(x, axis=d, kind="stable")
    if x.ndim == 0:
        return xp.zeros((), xp.intp)
    if x.dtype.kind == "f":
        # primary key: nan first; then −x ascending (stable for ties)
        return xp.lexsort((-x, ~xp.isnan(x)), axis=d)
    return xp.argsort(-x.astype(xp.int64), axis=d, kind="stable")


def _scalar_type_name(t: Tensor) -> str:
    """PyTorch's name of a tensor's element type in messages (Float, Long, ...)."""
    return _LEGACY_TYPE_NAMES[t.dtype.name].removesuffix("Tensor")


def _overwrite(s: Tensor, value) -> Tensor:
    """``value`` everywhere, recorded as a function of ``s`` with a zero gradient to it.

    ``where(False, s, value)`` rather than ``s * 0 + value``: that would give NaN where s is
    inf or NaN, and -0.0 where s is negative.
    """
    return where(zeros((), dtype=B.bool_), s, value)


def _float_only(np_dtype, kernel: str) -> None:
    """Ops PyTorch implements for floating dtypes only (frac, hypot, logaddexp) raise."""
    if np_dtype.kind != "f":
        name = _LEGACY_TYPE_NAMES[B.to_dtype(np_dtype).name].removesuffix("Tensor")
        raise NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')


def _check_not_bool(t: Tensor, kernel: str) -> None:
    """Ops that PyTorch has no bool kernel for (abs, floor, ceil, round, trunc) raise."""
    if t._data.dtype.kind == "b":
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _check_tensor_arg(other, op: str) -> None:
    """maximum/minimum/fmax/fmin/logical_* take a Tensor ``other``; PyTorch rejects a number."""
    if not isinstance(other, Tensor):
        raise TypeError(
            f"{op}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}"
        )


def _check_inplace_cast(t: Tensor, result: B.dtype) -> None:
    """An in-place op may not cast its result to a lower category (float -> int -> bool)."""
    order = {"b": 0, "i": 1, "f": 2}
    if order[result._kind] > order[t.dtype._kind]:
        raise RuntimeError(
            f"result type {_LEGACY_TYPE_NAMES[result.name].removesuffix('Tensor')} can't be "
            f"cast to the desired output type {_scalar_type_name(t)}"
        )


def _cast_checked(t: Tensor, out: Tensor) -> Tensor:
    """``out``, the result of an in-place op on ``t``, if torch may cast it back to t's dtype."""
    if out._data.dtype != t._data.dtype:
        _check_inplace_cast(t, out.dtype)
    return out


def _check_float_kernel(t: Tensor, kernel: str) -> None:
    """Ops that PyTorch implements for floating dtypes only raise its NotImplementedError."""
    if t._data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_scalar_type_name(t)}\'')


def _check_floating(t: Tensor, op: str) -> None:
    if t._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: std and var only support floating point and complex dtypes")


def _rebuild(data, requires_grad):
    return Tensor._make(data, requires_grad, None)


def _req(x) -> bool:
    return isinstance(x, Tensor) and x._requires_grad


def _arr(x):
    return x._data if isinstance(x, Tensor) else x


def _detach(x):
    return x.detach() if isinstance(x, Tensor) else x


def _store(t: Tensor, values) -> None:
    """Write ``values`` into t's existing memory (so views of t see the change)."""
    if values is t._data:
        return
    if values.shape != t._data.shape:
        try:
            values = xp.broadcast_to(values, t._data.shape)
        except ValueError:
            raise RuntimeError(
                f"output with shape {list(t.shape)} doesn't match the broadcast shape "
                f"{list(values.shape)}"
            ) from None
    if t._data.dtype.kind in "iub" and values.dtype.kind == "f":
        raise RuntimeError(
            f"result type Float can't be cast to the desired output type {_scalar_type_name(t)}"
        )
    xp.copyto(t._data, values, casting="unsafe")


def _inplace_ufunc(ufunc, t: Tensor, other) -> None:
    """self = ufunc(self, other) in self's memory, following PyTorch's casting rule."""
    data = t._data
    if data.dtype.kind in "iub" and (
        isinstance(other, float) or (hasattr(other, "dtype") and other.dtype.kind == "f")
    ):
        raise RuntimeError(
            f"result type Float can't be cast to the desired output type {_scalar_type_name(t)}"
        )
    try:
        ufunc(data, other, out=data, casting="unsafe")
    except ValueError:
        raise RuntimeError(
            f"output with shape {list(t.shape)} doesn't match the broadcast shape "
            f"{list(xp.broadcast_shapes(data.shape, xp.shape(other)))}"
        ) from None
    t._bump()


def _to_array(data, dtype=None):
    """Build an array from nested lists / scalars / arrays / tensors, with PyTorch's dtypes."""
    if isinstance(data, Tensor):
        arr = data._data
        return arr.astype(dtype.np) if dtype is not None else arr.copy()
    data = xp.asarray(data) if isinstance(data, xp.generic) else data  # keeps a NumPy dtype
    if isinstance(data, xp.ndarray):
        arr = data.astype(dtype.np) if dtype is not None else data.copy()
        if dtype is None:
            B.from_numpy_dtype(arr.dtype)
        return arr
    if isinstance(data, (list, tuple)) and data and any(isinstance(d, Tensor) for d in data):
        data = [d._data if isinstance(d, Tensor) else d for d in data]
    if dtype is not None:
        return xp.array(data, dtype=dtype.np)
    if isinstance(_first_leaf(data), xp.generic):
        # NumPy scalars inside lists keep their dtypes, promoted with the other elements
        return xp.array(data, dtype=_leaf_dtype(data).np)
    arr = xp.array(data)
    kind = arr.dtype.kind
    if kind == "f":
        return arr.astype(B.get_default_dtype().np)
    if kind in "iu":
        return arr.astype(xp.int64)
    if kind == "b":
        return arr
    if kind == "O" or kind in "US":
        raise TypeError(f"could not build a tensor from {type(data).__name__} data: {data!r}")
    return arr


def _first_leaf(data):
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return data


def _leaf_dtype(data):
    """The dtype PyTorch infers for nested data: Python ints are int64, floats the default
    dtype, NumPy scalars their own dtype; all of them promoted together."""
    if isinstance(data, (list, tuple)):
        result = None
        for item in data:
            d = _leaf_dtype(item)
            result = d if result is None else B.promote_types(result, d)
        return result or B.get_default_dtype()
    if isinstance(data, xp.generic):
        return B.from_numpy_dtype(data.dtype)
    if isinstance(data, bool):
        return B.bool_
    if isinstance(data, numbers.Integral):
        return B.int64
    return B.get_default_dtype()


def _promote_float(a: Tensor, b):
    """``_promote``, then the default float dtype if that is not floating: atan2 of two
    integers is float32, of a bool tensor and a float64 0-d tensor float64 (casting ``a`` to
    float first would lose that)."""
    a, b = _promote(a, b)
    if a._data.dtype.kind != "f":
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
        kind = a._data.dtype.kind
        if kind == "f":
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
        return Tensor._make(xp.asarray(q), False, None)
    if rounding_mode == "trunc":
        return E.PiecewiseConstant.apply(_true_divide(a, b), "div_trunc", xp.trunc)
    b = b if isinstance(b, Tensor) else as_tensor(b, dtype=a.dtype)
    return E.FlooredDivide.apply(a, b)


def _true_divide(a: Tensor, b):
    if a._data.dtype.kind != "f" and not (isinstance(b, Tensor) and b._data.dtype.kind == "f"):
        a = a.to(B.get_default_dtype())
    return _binary(E.Div, a, b)


def _scaled_sum(base: Tensor, beta, product: Tensor, alpha) -> Tensor:
    """beta·base + alpha·product; with beta = 0, base is ignored (even nan/inf), as in BLAS."""
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product + zeros_like(base)
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
        out = xp.asarray(fn(t._data.reshape(-1)))
        if keepdim:
            out = out.reshape((1,) * t.ndim)
    else:
        d = _dim(dim, t.ndim, fn.__name__)
        _check_nonempty_dim(t, d, fn.__name__)
        out = fn(t._data, axis=d, keepdims=keepdim) if t.ndim else xp.asarray(0)
    return Tensor._make(xp.asarray(out, dtype=xp.int64), False, None)


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


def _index_array(index, op):
    arr = index._data if isinstance(index, Tensor) else xp.asarray(index)
    if arr.dtype.kind not in "iu":
        raise IndexError(f"{op}(): Expected dtype int64 for index, got {arr.dtype}")
    return arr.astype(xp.intp, copy=False)


def _check_scatter_index(idx, d: int, n: int) -> None:
    """gather/scatter take indices in [0, n) only (no negatives), with PyTorch's message."""
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = int(idx.min() if idx.min() < 0 else idx.max())
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")


def _as_bool_mask(mask, op):
    if not isinstance(mask, Tensor):
        mask = as_tensor(mask)
    if mask._data.dtype != xp.bool_:
        raise RuntimeError(
            f"{op} only supports boolean masks, but got mask with dtype {mask.dtype.name}"
        )
    return mask


def _convert_index(index, t: Tensor):
    """Translate a PyTorch index into a NumPy one; report whether it gives a view (basic)."""
    if isinstance(index, list) and _sequence_as_tuple(index):
        index = tuple(index)  # PyTorch's (deprecated) reading of x[[[0, 1], [1, 0]]]
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    basic = True
    for item in index:
        if isinstance(item, Tensor):
            arr = item._data
            if arr.dtype.kind == "f":
                raise IndexError(
                    "tensors used as indices must be long, int, byte or bool "
                    f"tensors, got {item.dtype.name}"
                )
            if arr.dtype == xp.uint8:
                arr = arr.astype(bool)
            if arr.ndim == 0 and arr.dtype.kind in "iu":
                out.append(int(arr))
                continue
            out.append(arr)
            basic = False
        elif isinstance(item, bool):
            out.append(item)
            basic = False
        elif isinstance(item, numbers.Integral):
            out.append(int(item))
        elif isinstance(item, slice):
            for v in (item.start, item.stop, item.step):
                if (
                    v is not None
                    and not isinstance(v, numbers.Integral)
                    and not (isinstance(v, Tensor))
                ):
                    raise TypeError(
                        f"slice indices must be integers or None, got {type(v).__name__}"
                    )
            if item.step is not None and int(item.step) <= 0:
                raise ValueError("step must be greater than zero")
            out.append(
                slice(*(None if v is None else int(v) for v in (item.start, item.stop, item.step)))
            )
        elif item is None or item is Ellipsis:
            out.append(item)
        elif isinstance(item, (list, xp.ndarray)):
            arr = xp.asarray(item)
            if arr.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(arr)
            basic = False
        elif isinstance(item, float):
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                f"are valid indices (got float {item})"
            )
        else:
            raise IndexError(f"unsupported index type {type(item).__name__}")
    _check_int_bounds(out, t)
    if not basic and any(i is Ellipsis for i in out):
        covered = t._data.ndim - builtins.sum(_dims_consumed(i) for i in out)
        if covered == 0:
            # a ``...`` that stands for no dim does not separate two advanced indices in
            # PyTorch (their result dims stay in place); in NumPy it would move them first
            out = [i for i in out if i is not Ellipsis]
    return tuple(out), basic


def _sequence_as_tuple(index: list) -> bool:
    """PyTorch reads a short list holding sequences, tensors, slices, None or ... as a tuple."""
    return len(index) < 32 and any(
        isinstance(i, (list, tuple, Tensor, slice)) or i is None or i is Ellipsis for i in index
    )


def _is_masked_fill(index: tuple, value: Tensor) -> bool:
    """PyTorch writes ``x[mask] = v`` with one bool mask (and no other tensor index) and a
    one-element ``v`` as ``masked_fill_``, which converts v's dtype; other advanced writes are
    ``index_put_``, which requires equal dtypes."""
    arrays = [i for i in index if isinstance(i, xp.ndarray)]
    return value._data.size == 1 and len(arrays) == 1 and arrays[0].dtype == bool


def _integers_first(index: tuple, ndim: int):
    """PyTorch applies integer indices before advanced ones (as ``select``), NumPy together
    with them (an integer is then an advanced index too, which moves the result's dims when a
    slice separates them: ``x[0, :, [1, 2]]``). For an index with both, return the two steps
    PyTorch takes: ``(basic, advanced)`` with ``x[index] == x[basic][advanced]``; else None.
    """
    has_int = any(isinstance(i, int) and not isinstance(i, bool) for i in index)
    if not has_int or not any(isinstance(i, xp.ndarray) for i in index):
        return None
    basic, advanced = [], []
    for item in index:
        if isinstance(item, int) and not isinstance(item, bool):
            basic.append(item)  # the dim is gone: nothing for the second step
        elif isinstance(item, xp.ndarray):
            basic.extend([slice(None)] * _dims_consumed(item))
            advanced.append(item)
        elif item is Ellipsis:
            basic.append(Ellipsis)
            kept = ndim - builtins.sum(_dims_consumed(i) for i in index)
            advanced.extend([slice(None)] * kept)
        else:  # a slice, None or a Python bool: one dim in the first step's result
            basic.append(item)
            advanced.append(slice(None))
    return tuple(basic), tuple(advanced)


def _dims_consumed(item) -> int:
    """How many dims of the indexed tensor one index item consumes."""
    if item is None or item is Ellipsis:
        return 0
    if isinstance(item, xp.ndarray) and item.dtype == bool:
        return max(item.ndim, 1)
    return 1


def _check_int_bounds(index, t: Tensor):
    """Integer indices out of range: PyTorch's IndexError wording."""
    dim = 0
    shape = t._data.shape
    # the shapes the advanced indices broadcast: a bool mask indexes with its nonzero count
    arrays = [
        (int(i.sum()),) if i.dtype == bool else i.shape
        for i in index
        if isinstance(i, xp.ndarray) and i.dtype.kind in "iub"
    ]
    try:
        # indices that broadcast to nothing select nothing: PyTorch checks no bounds then
        selects_nothing = bool(arrays) and 0 in xp.broadcast_shapes(*arrays)
    except ValueError:
        selects_nothing = False  # shapes that do not broadcast: NumPy's error names them
    for item in index:
        if item is None:
            continue
        if item is Ellipsis:
            # the items after ``...`` index the last dims: count the dims they consume
            after = index[next(i for i, it in enumerate(index) if it is Ellipsis) + 1 :]
            dim = len(shape) - builtins.sum(_dims_consumed(i) for i in after)
            continue
        if isinstance(item, int) and not isinstance(item, bool):
            if dim >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
            n = shape[dim]
            if not -n <= item < n:
                raise IndexError(f"index {item} is out of bounds for dimension {dim} with size {n}")
        elif isinstance(item, xp.ndarray) and item.dtype.kind in "iu" and not selects_nothing:
            if dim < len(shape):
                n = shape[dim]
                if item.max() >= n or item.min() < -n:
                    bad = int(item.max() if item.max() >= n else item.min())
                    raise IndexError(
                        f"index {bad} is out of bounds for dimension {dim} with size {n}"
                    )
        if isinstance(item, xp.ndarray) and item.dtype == bool:
            covered = shape[dim : dim + item.ndim]
            if item.ndim and item.shape != covered:
                raise IndexError(
                    f"The shape of the mask {list(item.shape)} at index 0 does not match the "
                    f"shape of the indexed tensor {list(covered)} at index {dim}"
                )
            dim += max(item.ndim, 1)
        else:
            dim += 1


# ---------------------------------------------------------------------- functions on tensors


def matmul(a: Tensor, b: Tensor, out=None) -> Tensor:
    """Matrix product with NumPy/PyTorch broadcasting of batch axes."""
    if not isinstance(a, Tensor):
        a = as_tensor(a)
    if not isinstance(b, Tensor):
        b = as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D"
        )
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        if a.ndim == 2 and b.ndim == 2:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{ka} and "
                f"{kb}x{b.shape[1]})"
            )
        raise RuntimeError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
            f"({ka} != {kb})"
        )
    if a._data.dtype != b._data.dtype and a.ndim >= 3 and b.ndim >= 3 and _empty_product(a, b):
        # PyTorch's batched kernel (bmm) checks dtypes only when there is something to add
        return write_out(out, _mixed_empty_product(L.MatMul, a, b), "matmul")
    if a._data.dtype != b._data.dtype:
        # PyTorch does not promote in matmul: both operands must have one dtype
        raise RuntimeError(
            "expected m1 and m2 to have the same dtype, but got: "
            f"{_CPP_TYPE_NAMES.get(a.dtype.name, a.dtype.name)} != "
            f"{_CPP_TYPE_NAMES.get(b.dtype.name, b.dtype.name)}"
        )
    return write_out(out, L.MatMul.apply(a, b), "matmul")


def _empty_product(a: Tensor, b: Tensor) -> bool:
    """Whether a batched product of (..., n, k) and (..., k, m) has no term to add: k = 0 or
    an empty result (its dtype is then b's, with no check, as PyTorch's bmm)."""
    return a.shape[-1] == 0 or 0 in a.shape[:-1] or 0 in b.shape[:-2] or b.shape[-1] == 0


def _mixed_empty_product(op, a: Tensor, b: Tensor) -> Tensor:
    """The empty product of mixed dtypes, in b's dtype (PyTorch's bmm); an integer result of
    an operand that requires grad is PyTorch's autograd error."""
    needs_grad = grad_state.enabled and (a.requires_grad or b.requires_grad)
    if needs_grad and not b.dtype.is_floating_point:
        raise RuntimeError(f"Autograd not support dtype: {_scalar_type_name(b)}")
    return op.apply(a.to(b.dtype), b)


# C++ names PyTorch prints for dtypes in matmul's message
_CPP_TYPE_NAMES = {"int64": "long int", "int32": "int", "float32": "float", "float64": "double"}


def maximum(a, b) -> Tensor:
    a, b = _promote(as_tensor(a), as_tensor(b))
    return E.Maximum.apply(a, b)


def minimum(a, b) -> Tensor:
    a, b = _promote(as_tensor(a), as_tensor(b))
    return E.Minimum.apply(a, b)


def where(condition, input=None, other=None, out=None):
    """where(cond, a, b): a where cond is true, else b; where(cond) gives indices."""
    condition = _as_bool_mask(condition, "where")
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        input, other = _promote(input, other)
    elif isinstance(input, Tensor):
        input, other = _promote(input, other)
    elif isinstance(other, Tensor):
        other, input = _promote(other, input)
    else:
        input = as_tensor(input)
        input, other = _promote(input, other)
    return write_out(out, E.Where.apply(condition, input, other), "where")


@_numpy_names
def cat(tensors, dim=0, out=None) -> Tensor:
    """Concatenate along an existing axis; all other axes must agree."""
    tensors = [t for t in tensors]
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    # PyTorch's legacy rule: a 1-d empty tensor fits any shape. It still takes part in the
    # result's dtype and requires_grad (S.Cat leaves it out of the concatenation).
    sized = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)]
    if not sized:  # only 1-d empty tensors: the dim is not looked at
        dim = 0
    ref = sized[0] if sized else tensors[0]
    d = _dim(dim, ref.ndim, "cat")
    for i, t in enumerate(sized):
        if t.ndim != ref.ndim or any(
            s != r for k, (s, r) in enumerate(zip(t.shape, ref.shape)) if k != d
        ):
            raise RuntimeError(
                f"torch.cat(): Sizes of tensors must match except in dimension {d}. Expected "
                f"shape {tuple(ref.shape)} (up to dim {d}) but got {tuple(t.shape)} for tensor "
                f"number {i} in the list."
            )
    target = tensors[0].dtype
    for t in tensors[1:]:
        target = B.promote_types(target, t.dtype)
    tensors = [t if t.dtype is target else t.to(target) for t in tensors]
    return write_out(out, S.Cat.apply(d, *tensors), "cat")


concat = concatenate = cat


@_numpy_names
def stack(tensors, dim=0, out=None) -> Tensor:
    """Join same-shaped tensors along a new axis."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]
    for i, t in enumerate(tensors):
        if t.shape != ref.shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got "
                f"{list(ref.shape)} at entry 0 and {list(t.shape)} at entry {i}"
            )
    d = _dim(dim, ref.ndim + 1, "stack")
    target = ref.dtype
    for t in tensors[1:]:
        target = B.promote_types(target, t.dtype)
    tensors = [t if t.dtype is target else t.to(target) for t in tensors]
    return write_out(out, S.Stack.apply(d, *tensors), "stack")


def write_out(out, result: Tensor, op: str) -> Tensor:
    """Store ``result`` in the caller's ``out=`` tensor and return it (or ``result`` if None).

    As in PyTorch, ``out`` is resized when its shape differs, ops with ``out=`` are not
    recorded by autograd, and a floating result cannot be written into an integer tensor.
    """
    if out is None:
        return result
    if grad_state.enabled and (result._requires_grad or out._requires_grad):
        raise RuntimeError(
            f"{op}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad."
        )
    data = result._data
    if out._data.dtype.kind in "iub" and data.dtype.kind == "f":
        raise RuntimeError(
            f"result type Float can't be cast to the desired output type {_scalar_type_name(out)}"
        )
    if out._data.shape != data.shape:
        out._data = data.astype(out._data.dtype)  # resized: new memory
    else:
        xp.copyto(out._data, data, casting="unsafe")
    out._bump()
    return out


# ---------------------------------------------------------------------- factories


def _factory_dtype(dtype, default=None):
    if dtype is None:
        return default or B.get_default_dtype()
    return B.to_dtype(dtype)


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor that copies ``data`` (lists, scalars, arrays); floats become float32."""
    _check_device(device)
    arr = _to_array(data, B.to_dtype(dtype) if dtype is not None else None)
    t = Tensor._make(arr, False, None)
    if requires_grad:
        t.requires_grad = True
    return t


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or tensor when the dtype allows."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, xp.ndarray) and (dtype is None or B.to_dtype(dtype).np == data.dtype):
        B.from_numpy_dtype(data.dtype)
        return Tensor._make(data, False, None)
    return tensor(data, dtype=dtype)


asarray = as_tensor


def from_numpy(array) -> Tensor:
    """A tensor sharing memory with the NumPy array (dtype kept, float64 stays float64)."""
    if not isinstance(array, xp.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    B.from_numpy_dtype(array.dtype)
    return Tensor._make(array, False, None)


def _new(fill, size, dtype, requires_grad, default=None):
    d = _factory_dtype(dtype, default)
    t = Tensor._make(fill(_shape_arg(size), d.np), False, None)
    if requires_grad:
        t.requires_grad = True
    return t


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    _check_device(device)
    return _new(lambda s, d: xp.zeros(s, d), size, dtype, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    _check_device(device)
    return _new(lambda s, d: xp.ones(s, d), size, dtype, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    _check_device(device)
    return _new(lambda s, d: xp.empty(s, d), size, dtype, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    _check_device(device)
    if dtype is None:
        if isinstance(fill_value, bool):
            dtype = B.bool_
        elif isinstance(fill_value, numbers.Integral):
            dtype = B.int64
    return _new(lambda s, d: xp.full(s, fill_value, d), (size,), dtype, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    _check_device(device)
    d = _factory_dtype(dtype)
    t = Tensor._make(xp.eye(n, n if m is None else m, dtype=d.np), False, None)
    return t.requires_grad_(requires_grad) if requires_grad else t


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values start, start+step, ... below end; int64 unless an argument is a float."""
    _check_device(device)
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = B.get_default_dtype() if is_float else B.int64
    d = B.to_dtype(dtype)
    # Size as PyTorch computes it: ceil((end - start) / step) in double precision.
    n = int(xp.ceil((end - start) / step))
    if d.is_floating_point:
        arr = _float_arange(float(start), float(step), n, d.np)
    else:
        arr = (start + xp.arange(n, dtype=xp.int64) * step).astype(d.np)
    t = Tensor._make(arr, False, None)
    return t.requires_grad_(True) if requires_grad else t


# PyTorch's CPU kernels run on 256-bit vectors (AVX2): 8 float32 or 4 float64 per vector.
_VECTOR_BYTES = 32


def _float_arange(start: float, step: float, n: int, np_dtype):
    """start + i·step the way PyTorch's CPU kernel rounds it, bit for bit.

    The kernel works in float64 with fused multiply-adds. Its vector loop handles pairs of
    vectors (V elements each) and, per vector, rounds the first value to the output dtype, then
    adds k·step to it; the leftover tail is computed element by element.
    """
    idx = xp.arange(n, dtype=xp.float64)
    size = xp.dtype(np_dtype).itemsize
    vec = _VECTOR_BYTES // size if np_dtype in (xp.float32, xp.float64) else 1
    out = _fma64(step, idx, start)  # the scalar path, for every element
    n_vec = (n // (2 * vec)) * (2 * vec)
    if n_vec:
        k = idx[:n_vec] % vec
        base = _fma64(step, idx[:n_vec] - k, start).astype(np_dtype).astype(xp.float64)
        out[:n_vec] = _fma64(k, step, base)
    return out.astype(np_dtype)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from start to end, rounded as PyTorch's kernel does."""
    _check_device(device)
    d = _factory_dtype(dtype)
    t = Tensor._make(_linspace(start, end, int(steps), d.np), False, None)
    return t.requires_grad_(True) if requires_grad else t


def _linspace(start, end, steps: int, np_dtype):
    """The first half counts up from start, the second half down from end (so the last value
    is exactly end), each value one fused multiply-add in the output dtype (float64 for
    integer outputs)."""
    if steps == 1:
        return xp.full(1, start, dtype=np_dtype)
    work = xp.dtype(np_dtype) if xp.dtype(np_dtype) in (xp.float32, xp.float64) else None
    work = work or xp.dtype(xp.float64)
    fma = _fma32 if work == xp.float32 else _fma64
    # start and end are first cast to the output dtype (−3.7 → −3 for an integer output)
    lo, hi = (work.type(xp.asarray(v).astype(np_dtype)) for v in (start, end))
    step = (hi - lo) / work.type(max(steps - 1, 1))
    idx = xp.arange(steps)
    half = steps // 2
    up = fma(step, idx.astype(work), lo)  # start + step·i
    down = fma(-step, (steps - 1 - idx).astype(work), hi)  # end − step·(steps − 1 − i)
    return xp.where(idx < half, up, down).astype(np_dtype)


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False) -> Tensor:
    """base ** linspace(start, end, steps), the powers taken in the output dtype."""
    _check_device(device)
    d = _factory_dtype(dtype)
    exponents = _linspace(start, end, int(steps), d.np if d.is_floating_point else xp.float64)
    arr = xp.power(exponents.dtype.type(base), exponents).astype(d.np)
    t = Tensor._make(arr, False, None)
    return t.requires_grad_(True) if requires_grad else t


def zeros_like(t, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return empty(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    return full(t.shape, fill_value, dtype=dtype or t.dtype, requires_grad=requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples in [0, 1), the same numbers as ``torch.rand`` for the same seed."""
    _check_device(device)
    d = _factory_dtype(dtype)
    t = Tensor._make(_random.uniform(_shape_arg(size), d.np, 0.0, 1.0, generator), False, None)
    return t.requires_grad_(True) if requires_grad else t


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples, the same numbers as ``torch.randn`` for the same seed."""
    _check_device(device)
    d = _factory_dtype(dtype)
    t = Tensor._make(_random.normal(_shape_arg(size), d.np, 0.0, 1.0, generator), False, None)
    return t.requires_grad_(True) if requires_grad else t


def randint(
    low, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False
) -> Tensor:
    """Integers in [low, high), the same numbers as ``torch.randint``."""
    _check_device(device)
    if size is None:
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    d = _factory_dtype(dtype, B.int64)
    return Tensor._make(
        _random.randint(low, high, _shape_arg((size,)), d.np, generator), False, None
    )


def rand_like(t, dtype=None, generator=None) -> Tensor:
    return rand(t.shape, dtype=dtype or t.dtype, generator=generator)


def randn_like(t, dtype=None, generator=None) -> Tensor:
    return randn(t.shape, dtype=dtype or t.dtype, generator=generator)


def randint_like(t, low, high=None, dtype=None) -> Tensor:
    return randint(low, high, t.shape, dtype=dtype or t.dtype)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A random permutation of 0..n-1, the same as ``torch.randperm``."""
    _check_device(device)
    d = _factory_dtype(dtype, B.int64)
    return Tensor._make(_random.randperm(int(n), d.np, generator), False, None)


def normal(mean, std=1.0, size=None, generator=None, dtype=None) -> Tensor:
    """Normal samples: scalar mean/std with ``size``, or element-wise tensor mean/std."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = _arr(mean)
        s = _arr(std)
        ref = mean if isinstance(mean, Tensor) else std
        arr = _random.normal_tensor(
            xp.asarray(m, dtype=ref._data.dtype), xp.asarray(s, dtype=ref._data.dtype), generator
        )
        return Tensor._make(arr, False, None)
    if size is None:
        raise TypeError("normal(): with scalar mean and std, size is required")
    d = _factory_dtype(dtype)
    return Tensor._make(
        _random.normal(_shape_arg((size,)), d.np, mean, std, generator), False, None
    )


def bernoulli(input, p=None, generator=None) -> Tensor:
    probs = input._data if p is None else p
    return Tensor._make(
        _random.bernoulli(probs, input._data.shape, input._data.dtype, generator), False, None
    )


def multinomial(input, num_samples, replacement=False, generator=None) -> Tensor:
    """Draw category indices with probabilities proportional to each row of ``input``.

    The same numbers as ``torch.multinomial`` for the same seed. Without replacement (or for
    one sample) PyTorch uses the exponential race: q ~ Exp(1), the winners are the largest
    p / q. With replacement it inverts the normalised cumulative distribution with 53-bit
    uniforms, one per sample, row after row.
    """
    p = input._data
    if p.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if p.dtype.kind != "f":
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {input.dtype}"
        )
    n_categories = p.shape[-1]
    if not replacement and num_samples > n_categories:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    if (p < 0).any() or not xp.isfinite(p).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (p.sum(-1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rows = p.reshape(-1, n_categories)
    if not replacement or num_samples == 1:
        q = _random.exponential(rows.shape, rows.dtype, 1.0, generator)
        race = Tensor._make(rows / q)
        out = race.topk(num_samples, dim=-1).indices._data
    else:
        cum = xp.cumsum(rows, axis=-1, dtype=rows.dtype)  # sequential sums, in the input dtype
        cum = cum / cum[:, -1:]
        cum[:, -1] = 1
        u = _random.uniform((rows.shape[0], num_samples), xp.float64, 0.0, 1.0, generator)
        out = xp.stack(
            [xp.searchsorted(c.astype(xp.float64), ui, side="left") for c, ui in zip(cum, u)]
        )
    out = out.astype(xp.int64)
    return Tensor._make(out.reshape(p.shape[:-1] + (num_samples,)), False, None)


Tensor._stack = staticmethod(stack)  # used by autograd.functional, which cannot import us
_function._register_tensor_type(Tensor)
