"""Tensor: an N-d array that remembers how it was computed, so gradients can flow back.

Each method is a thin call into an op (``gradiente.ops``); the op records a node of the
computational graph when grad mode is on and an input requires grad. ``backward()`` hands the
graph to the engine, which applies the chain rule node by node.
"""

from __future__ import annotations

import builtins
import collections
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

_return_types = {
    name: collections.namedtuple(name, ["values", "indices"])
    for name in ("max", "min", "sort", "topk", "kthvalue", "median", "mode", "cummax")
}


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
        self._hooks = None
        self._accumulator = None

    @classmethod
    def _make(cls, data, requires_grad=False, grad_fn=None):
        """Wrap an array without copying (the fast constructor the ops use)."""
        t = object.__new__(cls)
        t._data = data
        t._requires_grad = requires_grad
        t.grad = None
        t.grad_fn = grad_fn
        t._output_nr = 0
        t._version_counter = None
        t._base = None
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
        if self.ndim <= 2:
            return self.t() if self.ndim == 2 else self
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> Tensor:
        if self.ndim < 2:
            raise RuntimeError(
                f"tensor.mT is only supported on matrices or batches of matrices. "
                f"Got {self.ndim}-D tensor."
            )
        return self.transpose(-2, -1)

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
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} values is ambiguous"
            )
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
        if dtype is None:
            names = {
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
            return "torch." + names[self.dtype.name]
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
        return self

    def _inplace_on_view(self, compute, *others):
        """In-place op on a view ``base[index]``: the base's graph is rewritten as
        ``base[index] = op(view)`` (PyTorch's CopySlices), so gradients stay right."""
        view_of = self.__dict__.get("_view_of")
        if view_of is None:
            raise RuntimeError(
                "in-place modification of this view is not supported by gradiente's autograd "
                "(only views made by basic indexing, like y[:, 0], are); use an out-of-place "
                "op (y = y * 2) or index assignment on the base tensor"
            )
        base, index = view_of
        old = Tensor._make(self._data.copy(), self._requires_grad, self.grad_fn)
        old._output_nr = self._output_nr
        out = compute(old, *others)
        if out._data.dtype != self._data.dtype:
            out = out.to(self.dtype)
        base[index] = out  # recorded on the base; writes the shared memory, bumps the version
        self.grad_fn = out.grad_fn
        self._output_nr = out._output_nr
        self._requires_grad = out._requires_grad
        return self

    def add_(self, other, alpha=1):
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
        return self.add_(other, alpha=-alpha)

    def mul_(self, other):
        if not self._requires_grad and not _req(other):
            self._check_inplace()
            _inplace_ufunc(xp.multiply, self, _arr(other))
            return self
        return self._inplace(lambda s, o: s * o, other)

    def div_(self, other, rounding_mode=None):
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
        return self._inplace(lambda s, e: s**e, exponent)

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
        return self._inplace(lambda s: s.clamp(min, max))

    clip_ = clamp_

    def masked_fill_(self, mask, value):
        return self._inplace(lambda s, v: s.masked_fill(mask, v), value)

    def addcmul_(self, tensor1, tensor2, value=1):
        return self._inplace(lambda s, a, b: s + value * a * b, tensor1, tensor2)

    def addcdiv_(self, tensor1, tensor2, value=1):
        return self._inplace(lambda s, a, b: s + value * a / b, tensor1, tensor2)

    def lerp_(self, end, weight):
        return self._inplace(lambda s, e: s + weight * (e - s), end)

    def _overwritten_in_graph(self) -> bool:
        """True when an overwrite must also cut this tensor's graph (a recorded non-leaf)."""
        return grad_state.enabled and self._requires_grad and self.grad_fn is not None

    def zero_(self):
        if self._overwritten_in_graph():
            return self._inplace(lambda s: s * 0)
        self._check_inplace()
        self._data[...] = 0
        self._bump()
        return self

    def fill_(self, value):
        if (isinstance(value, Tensor) and value._requires_grad and grad_state.enabled) or (
            self._overwritten_in_graph()
        ):
            return self._inplace(lambda s, v: s * 0 + v, value)
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
        if alpha != 1:
            other = other * alpha
        return _binary(E.Sub, self, other)

    def mul(self, other):
        return _binary(E.Mul, self, other)

    def div(self, other, rounding_mode=None):
        if rounding_mode is None:
            return _true_divide(self, other)
        if rounding_mode == "floor":
            return self.floor_divide(other)
        if rounding_mode == "trunc":
            return _no_grad_binary(xp.trunc, _true_divide(self.detach(), _detach(other)), None)
        raise ValueError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
            f"but found '{rounding_mode}'"
        )

    true_divide = divide = div
    multiply = mul
    subtract = sub

    def floor_divide(self, other):
        a, b = _promote(self, other)
        return Tensor._make(xp.asarray(xp.floor_divide(a._data, _arr(b))), False, None)

    def remainder(self, other):
        a, b = _promote(self, other)
        return Tensor._make(xp.asarray(xp.mod(a._data, _arr(b))), False, None)

    fmod = remainder

    def pow(self, exponent):
        exponent = exponent.item() if isinstance(exponent, xp.generic) else exponent
        if isinstance(exponent, Tensor):
            if exponent.ndim == 0 and not exponent._requires_grad:
                exponent = exponent.item()
            else:
                a, b = _promote(self, exponent)
                return E.Pow.apply(a, b)
        if not isinstance(exponent, numbers.Number):
            raise TypeError(f"pow(): unsupported exponent type {type(exponent).__name__}")
        a = self
        if isinstance(exponent, float) and a._data.dtype.kind != "f":
            a = a.to(B.get_default_dtype())
        return E.PowScalar.apply(a, exponent)

    def __add__(self, other):
        return _binary(E.Add, self, other)

    def __radd__(self, other):
        return _binary(E.Add, self, other)

    def __sub__(self, other):
        return _binary(E.Sub, self, other)

    def __rsub__(self, other):
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
        return as_tensor(other, dtype=self.dtype).floor_divide(self)

    def __mod__(self, other):
        return self.remainder(other)

    def __pow__(self, exponent):
        return self.pow(exponent)

    def __rpow__(self, base):
        if isinstance(base, numbers.Number):
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
        return Tensor._make(A.erfinv(self._float()._data), False, None)

    def relu(self):
        return E.Relu.apply(self)

    def abs(self):
        return E.Abs.apply(self)

    absolute = abs

    def square(self):
        return self.pow(2)

    def sign(self):
        return E.PiecewiseConstant.apply(self, "sign", xp.sign)

    def floor(self):
        return E.PiecewiseConstant.apply(self, "floor", xp.floor)

    def ceil(self):
        return E.PiecewiseConstant.apply(self, "ceil", xp.ceil)

    def round(self, decimals=0):
        return E.PiecewiseConstant.apply(self, "round", lambda x: xp.round(x, decimals))

    def trunc(self):
        return E.PiecewiseConstant.apply(self, "trunc", xp.trunc)

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self
            if min is not None:
                out = maximum(out, as_tensor(min, dtype=self.dtype))
            if max is not None:
                out = minimum(out, as_tensor(max, dtype=self.dtype))
            return out
        return E.Clamp.apply(self, min, max)

    clip = clamp

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    def maximum(self, other):
        return maximum(self, other)

    def minimum(self, other):
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
        return self + weight * (end - self)

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
        return self._compare(other, xp.logical_and)

    def logical_or(self, other):
        return self._compare(other, xp.logical_or)

    def logical_xor(self, other):
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
        return Tensor._make(
            xp.asarray(xp.all(self._data, axis=_dims(dim, self.ndim, "all"), keepdims=keepdim)),
            False,
            None,
        )

    def any(self, dim=None, keepdim=False):
        return Tensor._make(
            xp.asarray(xp.any(self._data, axis=_dims(dim, self.ndim, "any"), keepdims=keepdim)),
            False,
            None,
        )

    def count_nonzero(self, dim=None):
        return Tensor._make(
            xp.asarray(
                xp.count_nonzero(self._data, axis=_dims(dim, self.ndim, "count_nonzero")),
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
                f"point or complex dtype. Got: {self.dtype.name.capitalize()}"
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
        dims = _dims(dim, self.ndim, "var")
        n = self.numel() if dims is None else int(xp.prod([self.shape[d] for d in dims]))
        centred = self - self.mean(dim=dims, keepdim=True)
        # var = Σ (x - x̄)² / (N - correction)   (Bessel's correction by default)
        return (centred * centred).sum(dim=dims, keepdim=keepdim) / max(n - correction, 0)

    def std(self, dim=None, unbiased=None, keepdim=False, correction=None):
        return self.var(dim, unbiased, keepdim, correction).sqrt()

    def _max_min(self, is_max, dim, keepdim, name):
        if dim is None:
            return R.MaxMinAll.apply(self, is_max, None, False)
        if isinstance(dim, Tensor):
            return maximum(self, dim) if is_max else minimum(self, dim)
        d = _dim(dim, self.ndim, name)
        x = self._data
        if x.ndim == 0:
            return _return_types[name](self, zeros((), dtype=B.int64))
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
        return R.LogSumExp.apply(self, _dims(dim, self.ndim, "logsumexp"), keepdim)

    def softmax(self, dim, dtype=None):
        a = self if dtype is None else self.to(dtype)
        return R.Softmax.apply(a._float(), _dim(dim, self.ndim, "softmax"))

    def log_softmax(self, dim, dtype=None):
        a = self if dtype is None else self.to(dtype)
        return R.LogSoftmax.apply(a._float(), _dim(dim, self.ndim, "log_softmax"))

    def _float(self):
        return self if self._data.dtype.kind == "f" else self.to(B.get_default_dtype())

    def cumsum(self, dim, dtype=None):
        return R.Cumsum.apply(self, _dim(dim, self.ndim, "cumsum"), self._reduce_dtype(dtype))

    def norm(self, p="fro", dim=None, keepdim=False):
        if p in ("fro", 2, 2.0):
            return (self * self).sum(dim, keepdim).sqrt()
        if p in (1, 1.0):
            return self.abs().sum(dim, keepdim)
        if p == float("inf"):
            return self.abs().amax(dim if dim is not None else (), keepdim)
        return (self.abs() ** p).sum(dim, keepdim) ** (1.0 / p)

    def sort(self, dim=-1, descending=False, stable=False):
        d = _dim(dim, self.ndim, "sort")
        idx = xp.argsort(-self._data if descending else self._data, axis=d, kind="stable")
        return _return_types["sort"](
            R.SortValues.apply(self, idx, d), Tensor._make(idx.astype(xp.int64), False, None)
        )

    def argsort(self, dim=-1, descending=False, stable=False):
        return self.sort(dim, descending, stable).indices

    def topk(self, k, dim=-1, largest=True, sorted=True):
        d = _dim(dim, self.ndim, "topk")
        values, indices = self.sort(d, descending=largest)
        return _return_types["topk"](values.narrow(d, 0, k), indices.narrow(d, 0, k))

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape):
        shape = _infer_shape(_shape_arg(shape), self._data.size, "reshape", self.shape)
        if shape == self._data.shape:
            return self if not self._requires_grad else S.Reshape.apply(self, shape)
        return S.Reshape.apply(self, shape)

    def view(self, *shape):
        if len(shape) == 1 and (isinstance(shape[0], B.dtype) or shape[0] in (float, int)):
            raise RuntimeError("view(dtype) is not supported by gradiente")
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
        shape = tuple(s for i, s in enumerate(self.shape) if not (i in dims and s == 1))
        return S.Squeeze.apply(self, shape)

    def unsqueeze(self, dim):
        d = _dim(dim, self.ndim + 1, "unsqueeze")
        shape = self.shape
        return S.Unsqueeze.apply(self, shape[:d] + (1,) + shape[d:])

    def permute(self, *dims):
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
        order = [d for d in range(self.ndim) if d != _dim(source, self.ndim, "movedim")]
        order.insert(_dim(destination, self.ndim, "movedim"), _dim(source, self.ndim, "movedim"))
        return self.permute(*order)

    def expand(self, *sizes):
        sizes = _shape_arg(sizes)
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

    def repeat(self, *repeats):
        repeats = _shape_arg(repeats)
        if len(repeats) < self.ndim:
            raise RuntimeError(
                "Number of dimensions of repeat dims can not be smaller than "
                "number of dimensions of tensor"
            )
        return S.Repeat.apply(self, repeats)

    def flip(self, *dims):
        dims = _shape_arg(dims)
        return S.Flip.apply(self, tuple(_dim(d, self.ndim, "flip") for d in dims))

    def narrow(self, dim, start, length):
        d = _dim(dim, self.ndim, "narrow")
        index = (slice(None),) * d + (slice(start, start + length),)
        return self[index]

    def split(self, split_size_or_sections, dim=0):
        d = _dim(dim, self.ndim, "split")
        n = self.shape[d]
        if isinstance(split_size_or_sections, numbers.Integral):
            step = int(split_size_or_sections)
            sizes = [min(step, n - i) for i in range(0, n, step)] or [0]
        else:
            sizes = list(split_size_or_sections)
            if builtins.sum(sizes) != n:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                    f"size at dimension {d}), but got split_sizes={sizes}"
                )
        out, start = [], 0
        for s in sizes:
            out.append(self.narrow(d, start, s))
            start += s
        return tuple(out)

    def chunk(self, chunks, dim=0):
        d = _dim(dim, self.ndim, "chunk")
        n = self.shape[d]
        step = -(-n // chunks)
        return self.split(step, d) if n else (self,)

    def unbind(self, dim=0):
        d = _dim(dim, self.ndim, "unbind")
        return tuple(self[(slice(None),) * d + (i,)] for i in range(self.shape[d]))

    def tensor_split(self, sections, dim=0):
        d = _dim(dim, self.ndim, "tensor_split")
        n = self.shape[d]
        q, r = divmod(n, sections)
        return self.split([q + 1] * r + [q] * (sections - r), d)

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
            view = I.BasicIndex.apply(self, index)
            if self._base is None:
                # Remembered so an in-place op on the view can rewrite the base's graph.
                view.__dict__["_view_of"] = (self, index)
            return view
        return I.Index.apply(self, index)

    def __setitem__(self, index, value):
        index, _ = _convert_index(index, self)
        if isinstance(value, Tensor) and value._data.dtype != self._data.dtype:
            value = value.to(self.dtype)
        if grad_state.enabled and (self._requires_grad or _req(value)):
            self._inplace(lambda s, v: I.CopySlices.apply(s, index, v), value)
            return
        self._check_inplace()
        self._data[index] = _arr(value)
        self._bump()

    def index_select(self, dim, index):
        d = _dim(dim, self.ndim, "index_select")
        return I.IndexSelect.apply(self, d, _index_array(index, "index_select"))

    def gather(self, dim, index):
        d = _dim(dim, self.ndim, "gather")
        idx = _index_array(index, "gather")
        if idx.ndim != self.ndim:
            raise RuntimeError(
                "Index tensor must have the same number of dimensions as input "
                f"tensor (index {idx.ndim}-D, input {self.ndim}-D)"
            )
        n = self.shape[d]
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexError(
                f"gather(): index {int(idx.max())} is out of bounds for dimension {d} with size {n}"
            )
        return R.GatherAlongDim.apply(self, idx, d)

    def scatter_add(self, dim, index, src):
        d = _dim(dim, self.ndim, "scatter_add")
        idx = _index_array(index, "scatter_add")
        return self + R.ScatterAddAlongDim.apply(src, idx, d, self.shape)

    def scatter_add_(self, dim, index, src):
        return self._inplace(lambda s, v: s.scatter_add(dim, index, v), src)

    def scatter(self, dim, index, src=None, value=None):
        d = _dim(dim, self.ndim, "scatter")
        idx = _index_array(index, "scatter")
        out = self._data.copy()
        vals = src._data if isinstance(src, Tensor) else (src if src is not None else value)
        full = list(xp.indices(idx.shape, sparse=True))
        full[d] = idx
        if isinstance(vals, xp.ndarray):
            vals = vals[tuple(slice(0, n) for n in idx.shape)]
        out[tuple(full)] = vals
        return Tensor._make(out, False, None)

    def scatter_(self, dim, index, src=None, value=None):
        self._check_inplace()
        self._data[...] = self.scatter(dim, index, src, value)._data
        self._bump()
        return self

    def masked_select(self, mask):
        mask = _as_bool_mask(mask, "masked_select")
        return self[mask.expand(self.shape) if mask.shape != self.shape else mask]

    def masked_scatter(self, mask, source):
        raise NotImplementedError("masked_scatter is not implemented in gradiente")

    # ------------------------------------------------------------------ new tensors
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


# ---------------------------------------------------------------------- helpers


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
            f"result type Float can't be cast to the desired output type "
            f"{t.dtype.name.capitalize()}"
        )
    xp.copyto(t._data, values, casting="unsafe")


def _inplace_ufunc(ufunc, t: Tensor, other) -> None:
    """self = ufunc(self, other) in self's memory, following PyTorch's casting rule."""
    data = t._data
    if data.dtype.kind in "iub" and (
        isinstance(other, float) or (hasattr(other, "dtype") and other.dtype.kind == "f")
    ):
        raise RuntimeError(
            f"result type Float can't be cast to the desired output type "
            f"{t.dtype.name.capitalize()}"
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
            return a, int(b)
        return a.to(B.get_default_dtype()), float(b)
    if isinstance(b, (xp.ndarray, list)):
        return _promote(a, as_tensor(b))
    raise TypeError(f"unsupported operand type for a tensor op: {type(b).__name__}")


def _binary(cls, a: Tensor, b):
    if isinstance(b, Tensor) and a._data.dtype == b._data.dtype:
        return cls.apply(a, b)
    a, b = _promote(a, b)
    return cls.apply(a, b)


def _true_divide(a: Tensor, b):
    if a._data.dtype.kind != "f" and not (isinstance(b, Tensor) and b._data.dtype.kind == "f"):
        a = a.to(B.get_default_dtype())
    return _binary(E.Div, a, b)


def _no_grad_binary(fn, a, b):
    return Tensor._make(fn(_arr(a)) if b is None else fn(_arr(a), _arr(b)), False, None)


def _arg_reduce(t: Tensor, fn, dim, keepdim):
    if dim is None:
        out = xp.asarray(fn(t._data.reshape(-1)))
        if keepdim:
            out = out.reshape((1,) * t.ndim)
    else:
        d = _dim(dim, t.ndim, fn.__name__)
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
        raise RuntimeError(
            f"{op}: shape '{list(shape)}' is invalid for input of size {numel} "
            f"(input shape {tuple(old_shape)})"
        )
    return shape


def _index_array(index, op):
    arr = index._data if isinstance(index, Tensor) else xp.asarray(index)
    if arr.dtype.kind not in "iu":
        raise IndexError(f"{op}(): Expected dtype int64 for index, got {arr.dtype}")
    return arr.astype(xp.intp, copy=False)


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
    return tuple(out), basic


def _check_int_bounds(index, t: Tensor):
    """Integer indices out of range: PyTorch's IndexError wording."""
    dim = 0
    shape = t._data.shape
    for item in index:
        if item is None:
            continue
        if item is Ellipsis:
            dim = len(shape) - builtins.sum(
                1
                for i in index
                if i is not None
                and i is not Ellipsis
                and not (isinstance(i, xp.ndarray) and i.dtype == bool and i.ndim > 1)
            )
            continue
        if isinstance(item, int) and not isinstance(item, bool):
            if dim >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
            n = shape[dim]
            if not -n <= item < n:
                raise IndexError(f"index {item} is out of bounds for dimension {dim} with size {n}")
        elif isinstance(item, xp.ndarray) and item.dtype.kind in "iu" and item.size:
            if dim < len(shape):
                n = shape[dim]
                if item.max() >= n or item.min() < -n:
                    bad = int(item.max() if item.max() >= n else item.min())
                    raise IndexError(
                        f"index {bad} is out of bounds for dimension {dim} with size {n}"
                    )
        if isinstance(item, xp.ndarray) and item.dtype == bool:
            dim += max(item.ndim, 1)
        else:
            dim += 1


# ---------------------------------------------------------------------- functions on tensors


def matmul(a: Tensor, b: Tensor) -> Tensor:
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
        raise RuntimeError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
            f"({ka} != {kb})"
        )
    if a._data.dtype != b._data.dtype:
        a, b = _promote(a, b)
    return L.MatMul.apply(a, b)


def maximum(a, b) -> Tensor:
    a, b = _promote(as_tensor(a), as_tensor(b))
    return E.Maximum.apply(a, b)


def minimum(a, b) -> Tensor:
    a, b = _promote(as_tensor(a), as_tensor(b))
    return E.Minimum.apply(a, b)


def where(condition, input=None, other=None):
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
    return E.Where.apply(condition, input, other)


def cat(tensors, dim=0) -> Tensor:
    """Concatenate along an existing axis; all other axes must agree."""
    tensors = [t for t in tensors]
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    tensors = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
    ref = tensors[0]
    d = _dim(dim, ref.ndim, "cat")
    for i, t in enumerate(tensors):
        if t.ndim != ref.ndim or any(
            s != r for k, (s, r) in enumerate(zip(t.shape, ref.shape)) if k != d
        ):
            raise RuntimeError(
                f"torch.cat(): Sizes of tensors must match except in dimension {d}. Expected "
                f"shape {tuple(ref.shape)} (up to dim {d}) but got {tuple(t.shape)} for tensor "
                f"number {i} in the list."
            )
    target = ref.dtype
    for t in tensors[1:]:
        target = B.promote_types(target, t.dtype)
    tensors = [t if t.dtype is target else t.to(target) for t in tensors]
    return S.Cat.apply(d, *tensors)


concat = concatenate = cat


def stack(tensors, dim=0) -> Tensor:
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
    return S.Stack.apply(d, *tensors)


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
    work = xp.float64 if d.is_floating_point else xp.int64
    arr = (start + xp.arange(n, dtype=work) * step).astype(d.np)
    t = Tensor._make(arr, False, None)
    return t.requires_grad_(True) if requires_grad else t


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    _check_device(device)
    d = _factory_dtype(dtype)
    arr = xp.linspace(float(start), float(end), int(steps), dtype=xp.float64)
    if steps > 1:
        # PyTorch fills the second half from the end so the last value is exact.
        step = (float(end) - float(start)) / (steps - 1)
        half = steps // 2
        idx = xp.arange(steps)
        arr = xp.where(idx < half, float(start) + step * idx, float(end) - step * (steps - 1 - idx))
    t = Tensor._make(arr.astype(d.np), False, None)
    return t.requires_grad_(True) if requires_grad else t


def logspace(start, end, steps, base=10.0, dtype=None) -> Tensor:
    return Tensor._make(
        (base ** linspace(start, end, steps, dtype=B.float64)._data).astype(
            _factory_dtype(dtype).np
        ),
        False,
        None,
    )


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
    raise NotImplementedError("multinomial is not implemented in gradiente yet")


Tensor._stack = staticmethod(stack)  # used by autograd.functional, which cannot import us
_function._register_tensor_type(Tensor)
