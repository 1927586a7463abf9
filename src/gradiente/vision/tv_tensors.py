"""torchvision's ``tv_tensors`` (``from torchvision import tv_tensors`` under ``gradiente run``).

A tv_tensor is a tensor that says what it holds, so that the v2 transforms treat each kind
right: an ``Image`` (…, C, H, W) is resized bilinearly, a ``Mask`` (…, H, W) with nearest
neighbours, ``BoundingBoxes`` (N, 4) have their coordinates moved, and a ``Video``
(…, T, C, H, W) is a stack of images. Each is a subclass of gradiente's ``Tensor``, sharing the
memory (and the autograd graph) of the tensor it wraps.

As in torchvision, an operation on a tv_tensor gives a *plain* tensor (``image + 1``,
``image.float()``, ``image[0]``), except ``clone``, ``to``, ``detach`` and ``requires_grad_``,
which keep the type (and the boxes' ``format`` / ``canvas_size``). ``set_return_type("TVTensor")``
makes the tensor methods and operators keep it too; ``wrap(tensor, like=x)`` puts a plain result
back into ``x``'s type. (torchvision also keeps the type through ``torch.add(image, 1)``-style
functions under ``set_return_type``; gradiente does through the methods and operators only, and
an in-place method returns the tv_tensor itself where torchvision returns a plain alias.)
"""

from __future__ import annotations

from enum import Enum

from gradiente import _printing
from gradiente.backend import xp
from gradiente.tensor import Tensor, as_tensor

__all__ = [
    "BoundingBoxFormat",
    "BoundingBoxes",
    "Image",
    "Mask",
    "TVTensor",
    "Video",
    "is_rotated_bounding_format",
    "set_return_type",
    "wrap",
]

_RETURN_TV_TENSOR = False  # set_return_type("TVTensor") sets it
_SLOTS = ("_data", "_requires_grad", "_grad", "grad_fn", "_output_nr", "_base", "_view")


def _alias(cls: type, t: Tensor) -> Tensor:
    """A ``cls`` object for the same memory and autograd node as ``t`` (torch's
    ``as_subclass``): a gradient that reaches it flows on into ``t``'s graph (through a view,
    as torch's alias node, where ``t`` requires grad)."""
    if t.requires_grad:
        t = t.view(t.shape)
    out = object.__new__(cls)
    out._init(t._data, t._requires_grad, t.grad_fn)
    for name in _SLOTS[2:]:
        object.__setattr__(out, name, getattr(t, name))
    out._version_counter = t._get_version_counter()
    out._hooks = out._accumulator = None
    return out


class TVTensor(Tensor):
    """The base of the tv_tensors: a tensor subclass whose operations return plain tensors."""

    def __init__(self, *args, **kwargs) -> None:
        """Nothing: ``__new__`` built the object (Tensor's ``__init__`` would rebuild it)."""

    @staticmethod
    def _to_tensor(data, dtype=None, device=None, requires_grad=None) -> Tensor:
        """``data`` as a tensor (``as_tensor``: no copy where none is needed)."""
        if requires_grad is None:
            requires_grad = data.requires_grad if isinstance(data, Tensor) else False
        return as_tensor(data, dtype=dtype, device=device).requires_grad_(requires_grad)

    @classmethod
    def wrap(cls, tensor: Tensor, like: TVTensor | None = None, **kwargs) -> TVTensor:
        """``tensor`` as this class (metadata, where the class has some, from ``like``)."""
        return _alias(cls, tensor)

    def as_subclass(self, cls: type) -> Tensor:
        """The same memory and graph as another class (``as_subclass(torch.Tensor)`` unwraps)."""
        if issubclass(cls, TVTensor):
            return cls.wrap(self, like=self)
        return _alias(cls, self)

    def _plain(self) -> Tensor:
        return _alias(Tensor, self)

    def _rewrap(self, output):
        """``output`` as this tv_tensor's class: tensors, and tensors in tuples and lists."""
        if isinstance(output, Tensor) and not isinstance(output, TVTensor):
            return type(self).wrap(output, like=self)
        if isinstance(output, (tuple, list)) and any(isinstance(o, Tensor) for o in output):
            return type(output)(self._rewrap(o) for o in output)
        return output

    # the four methods that keep the type (torchvision's _FORCE_TORCHFUNCTION_SUBCLASS)
    def clone(self, memory_format=None) -> TVTensor:
        return self._rewrap(Tensor.clone(self._plain()))

    def to(self, *args, **kwargs) -> TVTensor:
        out = Tensor.to(self._plain(), *args, **kwargs)
        return self if out._data is self._data else self._rewrap(out)

    def detach(self) -> TVTensor:
        return self._rewrap(Tensor.detach(self))

    def __deepcopy__(self, memo):
        """A detached copy of the same type and metadata (torchvision's deepcopy)."""
        out = self.detach().clone()
        out.requires_grad_(self.requires_grad)
        return out

    def __reduce_ex__(self, protocol):
        """Pickled as its plain tensor, its class and its metadata (DataLoader workers send
        samples this way)."""
        return (_rebuild, (type(self), self._plain(), dict(self.__dict__)))

    def _make_repr(self, **kwargs) -> str:
        """``Image([...], dtype=torch.uint8, )``: torch's text with the class name, then the
        metadata (torchvision's format, with its trailing ``, ``)."""
        extra = ", ".join(f"{key}={value}" for key, value in kwargs.items())
        return f"{_printing.tensor_repr(self, prefix=type(self).__name__ + '(')[:-1]}, {extra})"

    def __repr__(self) -> str:
        return self._make_repr()


def _rebuild(cls, tensor: Tensor, metadata: dict) -> TVTensor:
    out = _alias(cls, tensor)
    out.__dict__.update(metadata)
    return out


def _plain_result(method):
    """``Tensor.<method>`` for tv_tensors: a plain result, or under ``set_return_type("TVTensor")``
    one of the tv_tensor's type."""

    def wrapped(self, *args, **kwargs):
        out = method(self, *args, **kwargs)
        return self._rewrap(out) if _RETURN_TV_TENSOR else out

    wrapped.__name__ = method.__name__
    wrapped.__doc__ = method.__doc__
    return wrapped


def _cast_plain(dtype_name: str):
    """``image.float()``: a plain tensor, as torchvision (only ``to`` keeps the type)."""

    def method(self):
        out = getattr(Tensor, dtype_name)(self._plain())
        return self._rewrap(out) if _RETURN_TV_TENSOR else out

    method.__name__ = dtype_name
    return method


_OPERATORS = (
    "__add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__ __rtruediv__ __floordiv__ "
    "__rfloordiv__ __mod__ __pow__ __rpow__ __matmul__ __neg__ __abs__ __getitem__ __and__ "
    "__or__ __xor__ __invert__ __lt__ __le__ __gt__ __ge__"
).split()
_KEEP = {"clone", "to", "detach", "requires_grad_", "wrap", "as_subclass", "type"}
_CASTS = ("float", "double", "half", "bfloat16", "long", "int", "bool", "byte", "char", "short")

for _name in [n for n in dir(Tensor) if not n.startswith("_") and n not in _KEEP] + _OPERATORS:
    _attr = getattr(Tensor, _name, None)
    if _name in _CASTS:
        setattr(TVTensor, _name, _cast_plain(_name))
    elif callable(_attr) and type(_attr).__name__ == "function":
        setattr(TVTensor, _name, _plain_result(_attr))


class Image(TVTensor):
    """An image or a batch of them, (…, C, H, W); a PIL image or an H×W tensor is accepted
    (H×W gains a channel axis)."""

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None) -> Image:
        if type(data).__module__.startswith("PIL."):
            from gradiente.transforms import pil_to_tensor

            data = pil_to_tensor(data)
        tensor = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        if tensor.ndim < 2:
            raise ValueError(f"Tensor must be 2D or higher, got {tensor.ndim}D tensor.")
        if tensor.ndim == 2:
            tensor = tensor.unsqueeze(0)
        return _alias(cls, tensor)


class Video(TVTensor):
    """A video or a batch of them, (…, T, C, H, W)."""

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None) -> Video:
        tensor = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        if tensor.ndim < 4:
            raise ValueError
        return _alias(cls, tensor)


class Mask(TVTensor):
    """Segmentation or detection masks, (…, H, W): resized and warped with nearest neighbours."""

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None) -> Mask:
        if type(data).__module__.startswith("PIL."):
            from gradiente.transforms import pil_to_tensor

            data = pil_to_tensor(data)
        tensor = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        return _alias(cls, tensor)

    def __repr__(self) -> str:
        return _printing.tensor_repr(self, prefix="Mask(")


class BoundingBoxFormat(Enum):
    """How the four (or five, eight) numbers of a box are laid out: ``XYXY`` corners,
    ``XYWH`` top-left corner and size, ``CXCYWH`` centre and size (the rotated formats are
    named for torchvision's sake; the transforms here handle the first three)."""

    XYXY = "XYXY"
    XYWH = "XYWH"
    CXCYWH = "CXCYWH"
    XYWHR = "XYWHR"
    CXCYWHR = "CXCYWHR"
    XYXYXYXY = "XYXYXYXY"


def is_rotated_bounding_format(format) -> bool:
    """Whether ``format`` (a BoundingBoxFormat or its name) is one of the rotated formats."""
    if isinstance(format, BoundingBoxFormat):
        format = format.value
    elif not isinstance(format, str):
        raise ValueError(f"format should be str or BoundingBoxFormat, got {type(format)}")
    return format in ("XYWHR", "CXCYWHR", "XYXYXYXY")


class BoundingBoxes(TVTensor):
    """N boxes, (N, 4), in ``format`` on an image of ``canvas_size`` (height, width).

    ``clamping_mode`` ("soft", "hard" or None) is kept for torchvision's sake; the clamping
    done here (``ClampBoundingBoxes``, ``clamp_bounding_boxes``) is torchvision's default.
    """

    format: BoundingBoxFormat
    canvas_size: tuple[int, int]

    @classmethod
    def _wrap(
        cls, tensor, *, format, canvas_size, clamping_mode="soft", check_dims=True
    ) -> BoundingBoxes:
        if check_dims:
            if tensor.ndim == 1:
                tensor = tensor.unsqueeze(0)
            elif tensor.ndim != 2:
                raise ValueError(f"Expected a 1D or 2D tensor, got {tensor.ndim}D")
        if clamping_mode is not None and clamping_mode not in ("hard", "soft"):
            raise ValueError(f"clamping_mode must be None, hard or soft, got {clamping_mode}.")
        if isinstance(format, str):
            format = BoundingBoxFormat[format.upper()]
        boxes = _alias(cls, tensor)
        boxes.format = format
        boxes.canvas_size = canvas_size
        boxes.clamping_mode = clamping_mode
        return boxes

    @classmethod
    def wrap(cls, tensor: Tensor, like: BoundingBoxes | None = None, **kwargs) -> BoundingBoxes:
        """``tensor`` as boxes with ``like``'s format, canvas size and clamping mode (any of
        them may be given instead)."""

        def meta(name: str, default=None):
            return kwargs.get(name, getattr(like, name, default))

        return cls._wrap(
            tensor,
            format=meta("format"),
            canvas_size=meta("canvas_size"),
            clamping_mode=meta("clamping_mode", "soft"),
            check_dims=False,
        )

    def __new__(
        cls,
        data,
        *,
        format,
        canvas_size,
        clamping_mode="soft",
        dtype=None,
        device=None,
        requires_grad=None,
    ) -> BoundingBoxes:
        tensor = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        if not xp.issubdtype(tensor._data.dtype, xp.floating) and is_rotated_bounding_format(
            format
        ):
            raise ValueError(
                f"Rotated bounding boxes should be floating point tensors, got {tensor.dtype}."
            )
        return cls._wrap(
            tensor, format=format, canvas_size=canvas_size, clamping_mode=clamping_mode
        )

    def __repr__(self) -> str:
        return self._make_repr(
            format=self.format, canvas_size=self.canvas_size, clamping_mode=self.clamping_mode
        )


def wrap(wrappee: Tensor, *, like: TVTensor, **kwargs) -> TVTensor:
    """``wrappee`` as the tv_tensor type of ``like``, with ``like``'s metadata (a ``format=`` or
    ``canvas_size=`` keyword overrides it)."""
    return type(like).wrap(wrappee, like=like, **kwargs)


class _ReturnTypeContext:
    """What ``set_return_type`` returns: used in a ``with``, it restores the former type."""

    def __init__(self, to_restore: bool) -> None:
        self.to_restore = to_restore

    def __enter__(self):
        return self

    def __exit__(self, *args) -> None:
        global _RETURN_TV_TENSOR
        _RETURN_TV_TENSOR = self.to_restore


def set_return_type(return_type: str) -> _ReturnTypeContext:
    """What tensor methods on tv_tensors return: ``"Tensor"`` (plain, the default) or
    ``"TVTensor"`` (the same type). A global setting, or the scope of a ``with`` block."""
    global _RETURN_TV_TENSOR
    to_restore = _RETURN_TV_TENSOR
    try:
        _RETURN_TV_TENSOR = {"tensor": False, "tvtensor": True}[return_type.lower()]
    except KeyError:
        raise ValueError(f"return_type must be 'TVTensor' or 'Tensor', got {return_type}") from None
    return _ReturnTypeContext(to_restore)
