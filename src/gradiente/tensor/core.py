"""The Tensor's core: construction, attributes (shape, dtype, device, ...), conversion
(``item``, ``tolist``, ``numpy``, ``to``, ``type``), printing hooks and autograd attributes."""

from __future__ import annotations

import warnings
import weakref

import gradiente.autograd as _autograd
from gradiente import _printing
from gradiente import backend as B
from gradiente.autograd import function as _function
from gradiente.autograd.function import VersionCounter
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import xp
from gradiente.ops import elementwise as E
from gradiente.tensor import creation_warnings as _creation_warnings
from gradiente.tensor import memory as _memory
from gradiente.tensor import storage as _storage
from gradiente.tensor.common import (
    _CPU,
    _LEGACY_TYPE_NAMES,
    Size,
    _array_device,
    _check_device,
    _device_index,
    _dim,
    _legacy_array,
    _place,
    _rebuild,
    _scalar_type_name,
    _to_array,
    device,
    layout,
    strided,
)
from gradiente.tensor.marks import function

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)
_new_size = tuple.__new__  # Size(shape) for a shape known to hold ints: no checks
_NUMPY_SCALAR = xp.generic  # what NumPy's 0-d ufuncs return (bound once: _make is hot)

# The host arrays made by ``pin_memory``, by id; an entry goes when its array is freed.
_pinned: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _cpp_name(dtype) -> str:
    """The C++ name torch's messages give a dtype ('float', 'double', 'long', ...)."""
    return _CPP_SCALAR_NAMES.get(dtype.name, dtype.name)


_CPP_SCALAR_NAMES = {
    "float32": "float",
    "float64": "double",
    "float16": "c10::Half",
    "bfloat16": "c10::BFloat16",
    "int64": "long",
    "int32": "int",
    "int16": "short",
    "int8": "signed char",
    "uint8": "unsigned char",
    "bool": "bool",
}


def _cast(name: str, dtype):
    """The method ``x.<name>()``, which is ``x.to(dtype)`` (``x.float()``, ``x.long()``, ...)."""

    def method(self):
        return self.to(dtype)

    method.__name__ = name
    method.__qualname__ = f"TensorCore.{name}"
    method.__doc__ = f"``self.{name}()`` is equivalent to ``self.to({dtype})``."
    return method


_NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information."
)


class TensorCore:
    """Tensor methods: construction, attributes, conversion and autograd attributes."""

    __slots__ = ()

    def __init__(self, *args, dtype=None, device=None, requires_grad=False):
        _check_device(device)
        # torch's legacy constructor: Tensor() is empty, Tensor(2, 3) / Tensor(x.size()) are
        # sizes, Tensor([...]) data, Tensor(t) an alias of t (see _legacy_array)
        dtype = B.to_dtype(dtype) if dtype else B.get_default_dtype()
        data = _legacy_array(args, dtype, any_dtype=True)
        self._init(data, requires_grad, None)
        _place(self, device)

    def _init(self, data, requires_grad, grad_fn):
        """Set every attribute a tensor has (the constructors' one list of them)."""
        self._data = data
        self._requires_grad = requires_grad
        self._grad = None
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
        if isinstance(data, _NUMPY_SCALAR):
            data = xp.asarray(data)  # NumPy returns scalars from 0-d ufuncs: keep a 0-d array
        t._init(data, requires_grad, grad_fn)
        return t

    @staticmethod
    def _dtype_of(np_dtype):
        return B.from_numpy_dtype(np_dtype)

    def _get_version_counter(self) -> VersionCounter:
        c = self._version_counter
        if c is None:
            c = self._version_counter = VersionCounter()
        return c

    @property
    def shape(self) -> Size:
        """Returns the size of the ``self`` tensor."""
        return _new_size(Size, self._data.shape)

    @property
    def ndim(self) -> int:
        """The number of dimensions (``dim()``)."""
        return self._data.ndim

    @property
    def dtype(self):
        """The element type (``torch.float32``, ...)."""
        return B.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> device:
        """Is the ``torch.device`` where this Tensor is."""
        data = self._data
        return _CPU if type(data) is B.ndarray else _array_device(data)

    @property
    def is_cuda(self) -> bool:
        """Is ``True`` if the Tensor is stored on the GPU, ``False`` otherwise."""
        return type(self._data) is not B.ndarray and _array_device(self._data) is not _CPU

    @property
    def layout(self) -> layout:
        """The memory layout: always ``torch.strided``."""
        return strided

    @property
    def requires_grad(self) -> bool:
        """Is ``True`` if gradients need to be computed for this Tensor, ``False`` otherwise
        (a view's follows its base, which an in-place op may have made require grad since)."""
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
        if value and not B.is_float(self._data.dtype):
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients"
            )
        if value and self.is_inference() and not grad_state.inference:
            raise RuntimeError(
                "Setting requires_grad=True on inference tensor outside InferenceMode is not "
                "allowed."
            )
        if value and self.grad_fn is None and self._base is not None:
            # a view that becomes a leaf is the root of its own graph from now on (views of it
            # are views of a leaf); it still shares memory and version counter with its base
            self._base = self._view = None
        self._requires_grad = bool(value)

    @property
    def grad(self):
        """The gradient backward accumulated here (None until then); assigning one checks
        its type, size and dtype, as torch does. Reading it on a non-leaf tensor that does
        not ``retain_grad()`` warns, as torch does: backward never fills it there."""
        g = self._grad
        if g is None and self.grad_fn is not None and not self.retains_grad:
            warnings.warn(_NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    "assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor "
                    f"of size '{list(self.shape)}'. Please ensure that the gradient and the "
                    "tensor are the same size"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_cpp_name(value.dtype)}' to a "
                    f"tensor with grad_dtype '{_scalar_type_name(self)}'. The gradient must match "
                    "the tensor's grad_dtype (defaults to the tensor's dtype). You can set the "
                    "tensor's grad_dtype attribute with a specific dtype, or None to allow any "
                    "dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its "
                    "gradient may break downstream systems that assume they match."
                )
        self._grad = value

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (user-created or requires_grad=False)."""
        return self.grad_fn is None

    @property
    def data(self) -> Tensor:
        """The same memory as a tensor outside the graph (in-place changes are not tracked;
        setting it replaces the values)."""
        return _function.keep_torch_layout(self, Tensor._make(self._data, False, None))

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, Tensor) else _to_array(value, self.dtype)

    @property
    def _version(self) -> int:
        c = self._version_counter
        if c is not None and c.inference:
            raise RuntimeError("Inference tensors do not track version counter.")
        return 0 if c is None else c.value

    def _is_view(self) -> bool:
        """True for a view of another tensor's memory (``_base`` names that tensor)."""
        return self._base is not None

    def is_inference(self) -> bool:
        """True for an inference tensor: one made in ``inference_mode()``, or a view of one."""
        c = self._version_counter
        return c is not None and c.inference

    @property
    def retains_grad(self) -> bool:
        """True if this non-leaf tensor keeps its ``.grad`` (``retain_grad()``)."""
        fn = self.grad_fn
        return bool(fn is not None and fn._retained and self._output_nr in fn._retained)

    @property
    def T(self) -> Tensor:
        """Returns a view of this tensor with its dimensions reversed."""
        _creation_warnings.warn_reversing_T(self.ndim)
        if self.ndim < 2:
            return self
        return self.permute(*reversed(range(self.ndim)))  # PyTorch's node: PermuteBackward0

    @property
    def mT(self) -> Tensor:
        """Returns a view of this tensor with the last two dimensions transposed (a 0-d
        tensor: itself, as torch)."""
        if self.ndim == 0:
            return self
        if self.ndim < 2:
            raise RuntimeError(
                f"tensor.mT is only supported on matrices or batches of matrices. "
                f"Got {self.ndim}-D tensor."
            )
        return self.transpose(-2, -1)

    @property
    def mH(self) -> Tensor:
        """Accessing this property is equivalent to calling ``adjoint``."""
        return self.mT  # the conjugate transpose; real tensors have no conjugate

    @property
    def H(self) -> Tensor:
        """Returns a view of a matrix (2-D tensor) conjugated and transposed."""
        if self.ndim not in (0, 2):
            raise RuntimeError(
                f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor."
            )
        if self.ndim == 0:
            _creation_warnings.warn_0d_H()
            return self
        return self.T

    @property
    def real(self) -> Tensor:
        """Returns a new tensor containing real values of the ``self`` tensor."""
        return self

    @property
    def imag(self) -> Tensor:
        """Returns a new tensor containing imaginary values of the ``self`` tensor."""
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")

    is_sparse = is_quantized = is_meta = is_mkldnn = is_nested = False

    @property
    def is_cpu(self) -> bool:
        """Is ``True`` if the Tensor is stored in host memory (a NumPy array)."""
        return type(self._data) is B.ndarray

    def is_signed(self) -> bool:
        """True when the dtype has negative values (all but bool and uint8)."""
        return self.dtype.is_signed

    def is_same_size(self, other) -> bool:
        """True when ``other`` has self's shape."""
        return self._data.shape == other._data.shape

    @function
    def is_complex(self) -> bool:
        """True for complex dtypes (never, in gradiente)."""
        return False

    @function
    def is_nonzero(self) -> bool:
        """True if the one-element tensor is not zero."""
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {'no' if self._data.size == 0 else 'more than one'}"
                " values is ambiguous"
            )
        return bool(self._data.reshape(()).item())

    def is_shared(self) -> bool:
        """Whether the tensor's memory is shared between processes (see ``share_memory_``)."""
        return B.is_shared(self._data)

    def is_pinned(self) -> bool:
        """Returns true if this tensor resides in pinned memory (made by ``pin_memory()``)."""
        return _pinned.get(id(self._data)) is self._data

    def untyped_storage(self):
        """The bytes of the memory this tensor is a window of (its root tensor's): tensors
        that share memory have storages with one ``data_ptr()``."""
        return _storage.UntypedStorage(self)

    def storage(self):
        """The elements of this tensor's storage (torch's deprecated ``TypedStorage``)."""
        return _storage.typed_storage(self)

    @property
    def nbytes(self) -> int:
        """The number of bytes the elements take."""
        return self._data.nbytes

    def element_size(self) -> int:
        """Returns the size in bytes of an individual element."""
        return self._data.itemsize

    itemsize = property(element_size, doc="The size of one element in bytes (``element_size()``).")

    def dim(self) -> int:
        """Returns the number of dimensions of ``self`` tensor."""
        return self._data.ndim

    ndimension = dim

    @function
    def numel(self) -> int:
        """Returns the total number of elements in the self tensor."""
        return self._data.size

    def nelement(self) -> int:
        """The number of elements (``numel``)."""
        return self.numel()

    def size(self, dim=None):
        """Returns the size of the ``self`` tensor."""
        if dim is None:
            return _new_size(Size, self._data.shape)
        return self._data.shape[_dim(dim, self.ndim, "size")]

    def is_floating_point(self) -> bool:
        """True for floating-point dtypes."""
        return B.is_float(self._data.dtype)

    def get_device(self) -> int:
        """The device index: -1 on the CPU."""
        index = self.device.index
        return -1 if index is None else index

    def data_ptr(self) -> int:
        """Returns the address of the first element of ``self`` tensor."""
        data = self._data
        if hasattr(data, "__array_interface__"):
            return data.__array_interface__["data"][0]
        return data.data.ptr  # a CuPy array: its device pointer

    def item(self):
        """Returns the value of this tensor as a standard Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        """Returns the tensor as a (nested) list."""
        return B.host(self._data).tolist()

    def numpy(self, force: bool = False):
        """Returns the tensor as a NumPy ``ndarray``."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        if type(self._data) is not B.ndarray:
            self._check_on_host()
        if self._data.dtype is B.BF16:  # NumPy has no bfloat16 of its own: torch refuses
            raise TypeError("Got unsupported ScalarType BFloat16")
        return self._data

    def _check_on_host(self) -> None:
        """torch's TypeError for a CUDA tensor asked for a NumPy array."""
        d = self.device
        if d.type == "cuda":
            raise TypeError(
                f"can't convert {d} device type tensor to numpy. Use Tensor.cpu() to copy the "
                "tensor to host memory first."
            )

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad:  # np.array(t) is t.numpy(), which torch refuses here
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        if type(self._data) is not B.ndarray:
            self._check_on_host()
        return self._data if dtype is None else self._data.astype(dtype)

    def __array_wrap__(self, array, context=None, return_scalar=False):
        # NumPy functions applied to a tensor (np.exp(t)) give a tensor, as in PyTorch
        # (which stores booleans as uint8 there)
        if array.dtype == xp.bool_:
            array = array.astype(xp.uint8)
        return Tensor._make(xp.asarray(array), False, None)

    def __float__(self):
        return float(self._one_element())

    def __int__(self):
        return int(self._one_element())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def _one_element(self):
        """``item()`` for ``float(t)``/``int(t)``, with torch's ValueError for other sizes."""
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

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

    @function
    def detach(self) -> Tensor:
        """Returns a new Tensor, detached from the current graph."""
        t = Tensor._make(self._data, False, None)
        t._version_counter = self._get_version_counter()
        return _function.keep_torch_layout(self, t)

    def detach_(self) -> Tensor:
        """Detaches the Tensor from the graph that created it, making it a leaf (not for a
        view: its base's graph still reaches its memory)."""
        if self._base is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
                "called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self.grad_fn = None
        self._requires_grad = False
        return self

    @function
    def clone(self, memory_format=None) -> Tensor:
        """A copy of self: laid out as self (torch's preserve_format), or row-major."""
        if getattr(memory_format, "_name", "preserve_format") == "preserve_format":
            return E.ClonePreservingLayout.apply(self)
        return _memory.in_format(self, memory_format)

    def to(self, *args, **kwargs) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(other)``, ``to(device, dtype)``: this tensor
        moved and/or cast (differentiably), or ``self`` when it is already there and of that
        dtype (``copy=True`` always copies). ``non_blocking`` is accepted; copies are
        synchronous."""
        dtype, target = kwargs.get("dtype"), kwargs.get("device")
        for a in args:
            if isinstance(a, Tensor):
                dtype, target = a.dtype, a.device
            elif isinstance(a, (B.dtype, type)) or (isinstance(a, str) and a in B._BY_NAME):
                dtype = B.to_dtype(a)
            else:
                target = a
        copy = kwargs.get("copy", False)
        out = self
        if target is not None:
            index = _device_index(target)
            if B.array_device_index(self._data) != index:
                out = E.ToDevice.apply(self, index)
                copy = False
        if dtype is not None and B.to_dtype(dtype).np != out._data.dtype:
            out, copy = E.ToDtype.apply(out, B.to_dtype(dtype).np), False
        memory_format = kwargs.get("memory_format")
        if _memory.needs_copy(out, memory_format, copy):
            return _memory.in_format(out, memory_format, E.ToCopyInFormat)
        return out.clone() if copy else out

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
        """Returns this tensor cast to the type of the given tensor."""
        return self.to(other.dtype)

    # x.float(), x.long(), ...: x.to(dtype), one row per dtype (see _cast)
    float = _cast("float", B.float32)
    double = _cast("double", B.float64)
    half = _cast("half", B.float16)
    bfloat16 = _cast("bfloat16", B.bfloat16)
    long = _cast("long", B.int64)
    int = _cast("int", B.int32)
    bool = _cast("bool", B.bool_)
    byte = _cast("byte", B.uint8)
    char = _cast("char", B.int8)
    short = _cast("short", B.int16)

    def cpu(self, memory_format=None):
        """This tensor in host memory: a copy for a CUDA tensor, ``self`` for a CPU one."""
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        """This tensor on CUDA device ``device`` (default: the current device)."""
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device)

    def pin_memory(self):
        """Copies the tensor to pinned memory, if it's not already pinned.

        Pinned (page-locked) host memory is what a GPU copies from asynchronously
        (``.to("cuda", non_blocking=True)``). As in torch, pinning needs a CUDA device: without
        one this raises torch's CPU-only error, and a CUDA tensor cannot be pinned. gradiente's
        pinned copy is an ordinary host array marked as pinned (``is_pinned()``): its copies
        to a device are synchronous, so page-locking would not speed them up yet.
        """
        if self.is_pinned():
            return self
        if B.array_device_index(self._data) is not None:
            name = _LEGACY_TYPE_NAMES[self.dtype.name]
            raise RuntimeError(
                f"cannot pin 'torch.cuda.{name}' only dense CPU tensors can be pinned"
            )
        if B.cuda_device_count() == 0:
            raise RuntimeError("Cannot access accelerator device when none is available.")
        out = self.clone()
        _pinned[id(out._data)] = out._data
        return out

    def share_memory_(self):
        """Move the tensor's values to shared memory (a shared in-memory file), so that
        processes forked afterwards, and processes it is sent to (spawn start method, a
        ``Queue``; see ``gradiente.multiprocessing``), read and write the same numbers: hogwild
        training. A no-op when already shared and for CUDA tensors, as in torch."""
        if B.array_device_index(self._data) is None and not B.is_shared(self._data):
            self._data = B.shared_copy(self._data)
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place; returns self."""
        if requires_grad and not B.is_float(self._data.dtype):  # torch's message differs here
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
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
        return _function.RemovableHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after a backward pass has accumulated into this leaf's
        ``.grad`` (e.g. to step an optimizer per parameter)."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        hooks = self.__dict__.setdefault("_post_accumulate_grad_hooks", [])
        hooks.append(hook)
        return _function.RemovableHandle(hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Backpropagate: accumulate d(self)/d(leaf) · gradient into every leaf's ``.grad``."""
        _autograd.backward([self], [gradient], retain_graph, create_graph, inputs)
