"""PyTorch's own checkpoint format: reading what the real ``torch.save`` writes, and writing it.

``torch.save`` (since torch 1.6) writes a zip archive::

    archive/data.pkl          the object, pickled; each tensor is a call
                              torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)
                              whose storage is a *persistent id*
                              ("storage", torch.FloatStorage, key, location, numel)
    archive/data/<key>        each storage's raw bytes, in the order of ``byteorder``
    archive/byteorder         "little" or "big"
    archive/version, archive/.format_version, ...

Tensors that view one storage (``x`` and ``x[:, 1]``) name the same key, so they load as views
of one buffer again, sharing memory as in torch. Before torch 1.6 (and with
``_use_new_zipfile_serialization=False``) the file is a stream instead: a magic number, a
protocol version and a system-info dict, each pickled; the object's pickle (its persistent ids
carry a sixth field, a storage view); a pickled list of storage keys; then per key a little
int64 element count and the bytes.

Unpickling can run arbitrary code (a pickle may call any importable function), so by default
(``weights_only=True``, as in torch since 2.6) the pickle is read by ``_RestrictedUnpickler``:
a pure-Python unpickler that resolves only an allow-list of globals, the ones a checkpoint of
tensors needs — the tensor/Parameter rebuild functions, the storage classes, dtypes,
``torch.Size``, ``torch.device``, ``collections.OrderedDict``, a few builtins and
``_codecs.encode`` (how protocol 2 pickles ``bytes``) — and calls or instantiates nothing else
(REDUCE, NEWOBJ and BUILD are checked against the same list). Classes named with
``gradiente.serialization.add_safe_globals`` are allowed too. Any other global raises
``pickle.UnpicklingError`` naming the file and the global, before anything runs.

``weights_only=False`` means "I trust this file", as in torch: every global is imported, like a
plain ``pickle.load``, so pickled objects of the user's own classes load; ``torch.*`` names of
the allow-list stay mapped to gradiente's, and other ``torch.X`` names are looked up as
``gradiente.X``. A whole pickled torch model (``torch.save(model)``) is refused with a clear
error even then: its layers' pickled attributes are torch's internals, not gradiente's.

``dump_torch`` writes the zip format (``gradiente.save(obj, f, format="torch")``), pickling
tensors, Parameters, dtypes, ``Size`` and ``device`` under torch's names, so that the real
``torch.load`` reads the file with its default ``weights_only=True``.
"""

from __future__ import annotations

import collections
import importlib
import io
import pickle
import struct
import zipfile
import zlib
from _codecs import encode as _codecs_encode

import numpy

from gradiente import backend as B
from gradiente.nn.parameter import Parameter
from gradiente.tensor import Tensor
from gradiente.tensor.common import Size, _device_index, device

__all__ = ["is_torch_zip", "is_torch_legacy", "load_torch", "dump_torch"]

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # the legacy stream's first pickle
PROTOCOL_VERSION = 1001  # the legacy stream's second pickle

# torch's storage classes → gradiente dtypes (the names torch pickles for each dtype)
_STORAGE_DTYPES = {
    "FloatStorage": B.float32,
    "DoubleStorage": B.float64,
    "HalfStorage": B.float16,
    "BFloat16Storage": B.bfloat16,
    "LongStorage": B.int64,
    "IntStorage": B.int32,
    "ShortStorage": B.int16,
    "CharStorage": B.int8,
    "ByteStorage": B.uint8,
    "BoolStorage": B.bool_,
}
# torch's dtypes that gradiente has, by the name torch pickles them under (``torch.float32``)
_DTYPE_NAMES = {
    "float32": B.float32,
    "float": B.float32,
    "float64": B.float64,
    "double": B.float64,
    "float16": B.float16,
    "half": B.float16,
    "bfloat16": B.bfloat16,
    "int64": B.int64,
    "long": B.int64,
    "int32": B.int32,
    "int": B.int32,
    "int16": B.int16,
    "short": B.int16,
    "int8": B.int8,
    "uint8": B.uint8,
    "bool": B.bool_,
}
_UNSUPPORTED_DTYPES = (
    "complex32 complex64 complex128 cfloat cdouble chalf uint16 uint32 uint64 "
    "float8_e4m3fn float8_e5m2 float8_e4m3fnuz float8_e5m2fnuz qint8 quint8 qint32"
).split()
_UNSUPPORTED_STORAGES = {  # storage class → the dtype it holds
    "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128",
    "QInt8Storage": "qint8",
    "QUInt8Storage": "quint8",
    "QInt32Storage": "qint32",
    "QUInt4x2Storage": "quint4x2",
    "QUInt2x4Storage": "quint2x4",
}
_SUPPORTED_DTYPES = "float32/64/16, bfloat16, int8/16/32/64, uint8, bool"


class StorageType:
    """What a pickled ``torch.FloatStorage`` (or another storage class) stands for: a dtype."""

    def __init__(self, name: str, dtype) -> None:
        self.name = name
        self.dtype = dtype

    def __repr__(self) -> str:
        return f"torch.{self.name}"


_UNTYPED = StorageType("UntypedStorage", B.uint8)  # a storage of bytes


class TorchStorage:
    """One loaded storage: a flat array of ``dtype`` (on the CPU, or on a CUDA device once
    ``map_location`` moved it), which the tensors rebuilt from it view.

    This is what a ``map_location`` function receives, as torch passes its storages: it may
    return it, ``storage.cpu()``, ``storage.cuda(index)`` or ``storage.to(device)``.
    """

    def __init__(self, array) -> None:
        self.array = array

    @property
    def dtype(self):
        return B.from_numpy_dtype(self.array.dtype)

    @property
    def device(self) -> device:
        index = B.array_device_index(self.array)
        return device("cpu") if index is None else device("cuda", index)

    def size(self) -> int:
        return int(self.array.size)

    def nbytes(self) -> int:
        return int(self.array.nbytes)

    def to(self, target) -> TorchStorage:
        """This storage on ``target`` (a device or its name), or itself when it is there."""
        moved = B.to_device(self.array, _device_index(target))
        return self if moved is self.array else TorchStorage(moved)

    def cpu(self) -> TorchStorage:
        return self.to("cpu")

    def cuda(self, device=None) -> TorchStorage:
        """This storage on CUDA device ``device`` (an index, a device or its name; None: the
        current one)."""
        if device is None:
            device = "cuda"
        return self.to(f"cuda:{device}" if isinstance(device, int) else device)

    def __repr__(self) -> str:
        return f"TorchStorage(dtype={self.dtype}, size={self.size()}, device={self.device})"


class TorchFormatError(RuntimeError, ValueError):
    """A torch checkpoint that cannot be read (damaged, truncated, or of an unsupported kind).

    The message starts with the file's name. ``serialization`` re-raises it as its
    ``CheckpointError``; both are ``RuntimeError`` and ``ValueError``.
    """


class WeightsOnlyError(pickle.UnpicklingError):
    """A global outside the allow-list in a ``weights_only=True`` load (nothing was run)."""


class _PassThrough(Exception):  # noqa: N818 - a carrier, not an error of its own
    """Carries an error of the caller's own code (a ``map_location`` function) through the
    unpickler, whose other errors mean a damaged file."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


# ---------------------------------------------------------------------------------------------
# Rebuilding tensors from storages
# ---------------------------------------------------------------------------------------------


def _ints(values, what: str) -> tuple:
    if not (isinstance(values, (tuple, list)) and all(_is_int(v) for v in values)):
        raise TorchFormatError(f"a tensor's {what} {values!r:.80} is not a tuple of ints")
    return tuple(values)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _view(storage, offset, size, stride, dtype=None) -> Tensor:
    """The tensor of ``size`` and ``stride`` (in elements) at element ``offset`` of ``storage``:
    a view of its array, so tensors of one storage share memory, as in torch.

    Every element must lie inside the storage: the last one sits at
    offset + Σ (size_i − 1)·stride_i (strides are >= 0 in what torch writes).
    """
    if not isinstance(storage, TorchStorage):
        raise TorchFormatError(f"a tensor's storage is {type(storage).__name__}, not a storage")
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    array = storage.array
    if dtype is not None and dtype.np != array.dtype:  # _rebuild_tensor_v3: bytes of a dtype
        if array.nbytes % dtype.np.itemsize:
            raise TorchFormatError(f"a storage of {array.nbytes} bytes is no array of {dtype}")
        array = array.view(dtype.np)
    if not _is_int(offset) or offset < 0 or len(size) != len(stride):
        raise TorchFormatError(f"a tensor has offset {offset!r:.40}, size {size}, stride {stride}")
    if any(n < 0 for n in size) or any(s < 0 for s in stride):
        raise TorchFormatError(f"a tensor has negative sizes or strides: {size}, {stride}")
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if 0 not in size and last >= array.size:  # an empty tensor touches no element
        raise TorchFormatError(
            f"a tensor of size {list(size)}, stride {list(stride)} at offset {offset} reaches "
            f"element {last} of a storage of {array.size} (a damaged file?)"
        )
    itemsize = array.itemsize
    view = B.as_strided(array[min(offset, array.size) :], size, tuple(s * itemsize for s in stride))
    t = Tensor._make(view)
    t.__dict__["_torch_layout"] = True  # the strides written in the file are torch's
    return t


def _with_grad(t: Tensor, requires_grad) -> Tensor:
    if requires_grad:
        if not t.is_floating_point():
            raise TorchFormatError(f"a {t.dtype} tensor cannot require gradients")
        t.requires_grad_(True)
    return t


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _view(storage, storage_offset, size, stride)


def _rebuild_tensor_v2(
    storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None
):
    """``torch._utils._rebuild_tensor_v2``: a tensor from its storage, offset, size and stride
    (backward hooks, which torch warns it does not restore either, are ignored)."""
    return _with_grad(_view(storage, storage_offset, size, stride), requires_grad)


def _rebuild_tensor_v3(
    storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None
):
    """``torch._utils._rebuild_tensor_v3``: as v2, from an untyped storage and a dtype."""
    return _with_grad(_view(storage, storage_offset, size, stride, dtype), requires_grad)


def _rebuild_parameter(data, requires_grad, backward_hooks=None):
    """``torch._utils._rebuild_parameter``: a ``gradiente.nn.Parameter`` sharing ``data``."""
    if not isinstance(data, Tensor):
        raise TorchFormatError(f"a Parameter's data is {type(data).__name__}, not a tensor")
    return Parameter(data, bool(requires_grad))


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    """``torch._utils._rebuild_parameter_with_state``: a Parameter whose extra Python
    attributes (``state``, set on a few subclasses' parameters) are not restored."""
    return _rebuild_parameter(data, requires_grad)


def _encode(text, encoding="latin1"):
    """``_codecs.encode``, which protocol 2 calls to rebuild ``bytes`` (str → bytes only)."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise TorchFormatError("_codecs.encode is allowed only to rebuild bytes from latin1")
    return _codecs_encode(text, encoding)


def _allowed_globals() -> dict:
    """(module, name) → object for every global a ``weights_only=True`` load may resolve."""
    allowed = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("collections", "Counter"): collections.Counter,
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
        ("torch", "Size"): Size,
        ("torch", "device"): device,
        ("torch.storage", "UntypedStorage"): _UNTYPED,
        ("torch", "UntypedStorage"): _UNTYPED,
        ("_codecs", "encode"): _encode,
    }
    for name, dtype in _STORAGE_DTYPES.items():
        allowed["torch", name] = StorageType(name, dtype)
    for name, dtype in _DTYPE_NAMES.items():
        allowed["torch", name] = dtype
    for builtin in (
        set,
        frozenset,
        dict,
        list,
        tuple,
        int,
        float,
        str,
        bool,
        complex,
        slice,
    ):
        allowed["builtins", builtin.__name__] = builtin
    allowed["builtins", "bytes"] = _bytes_from(bytes)
    allowed["builtins", "bytearray"] = _bytes_from(bytearray)
    return allowed


def _bytes_from(kind):
    """``bytes``/``bytearray`` as pickles call them — empty, or from bytes or latin1 text —
    but not ``bytearray(10**12)``, which would allocate whatever size a crafted file asks."""

    def build(*args):
        if args and not isinstance(args[0], (str, bytes, bytearray)):
            raise TorchFormatError(f"{kind.__name__}() of a {type(args[0]).__name__}")
        return kind(*args)

    build.__qualname__ = kind.__name__
    return build


_ALLOWED = _allowed_globals()
# the allowed globals that REDUCE may call / NEWOBJ may instantiate (the dtypes, storage types
# and _UNTYPED are values, not callables); BUILD (setting attributes) only on these classes
_CALLABLE_IDS = {id(v) for v in _ALLOWED.values() if callable(v) and not isinstance(v, B.dtype)}
_BUILDABLE = (collections.OrderedDict, collections.Counter)


# ---------------------------------------------------------------------------------------------
# The unpickler
# ---------------------------------------------------------------------------------------------


class _RestrictedUnpickler(pickle._Unpickler):
    """A pure-Python unpickler whose globals, calls and attribute sets are checked.

    ``find_class`` resolves only ``_ALLOWED`` (and the user's safe globals); REDUCE, NEWOBJ
    and BUILD, the opcodes that run code, are overridden to refuse objects outside that set.
    With ``weights_only=False`` it is a plain unpickler with torch's names mapped to
    gradiente's. Storages come from ``load_storage(storage_type, key, location, numel, view)``.
    """

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, name: str, load_storage, weights_only: bool, safe: dict) -> None:
        super().__init__(file)
        self.name = name
        self.load_storage = load_storage
        self.weights_only = weights_only
        self.safe = safe  # the user's safe globals: (module, name) → object

    def _refuse(self, what: str) -> WeightsOnlyError:
        return WeightsOnlyError(
            f"{self.name}: Weights only load failed: {what}. Load it with weights_only=False "
            "only if you trust the file's source (unpickling can run arbitrary code)."
        )

    def find_class(self, module: str, name: str):
        if module == "__builtin__":  # Python 2's name, in pickles of protocol < 3
            module = "builtins"
        key = (module, name)
        if key in self.safe:
            return self.safe[key]
        if key in _ALLOWED:
            return _ALLOWED[key]
        if module == "torch" and (name in _UNSUPPORTED_DTYPES or name in _UNSUPPORTED_STORAGES):
            raise TorchFormatError(
                f"{self.name}: the checkpoint holds data of type "
                f"torch.{_UNSUPPORTED_STORAGES.get(name, name)}, which gradiente does not "
                f"support (supported: {_SUPPORTED_DTYPES})"
            )
        if self.weights_only:
            raise self._refuse(
                f"Unsupported global: GLOBAL {module}.{name} was not an allowed global by "
                f"default; allowlist it with torch.serialization.add_safe_globals([{name}]) if "
                "you trust this class/function"
            )
        if module == "torch" or module.startswith("torch."):
            return self._gradiente_global(module, name)
        return super().find_class(module, name)

    def _gradiente_global(self, module: str, name: str):
        """gradiente's ``gradiente.X.name`` for torch's ``torch.X.name``. A whole pickled torch
        model (``torch.save(model)``) is refused: its layers' pickled attributes are torch's
        internals, which gradiente's layers do not share."""
        hint = ""
        if module.startswith("torch.nn.modules"):
            hint = (
                ": a whole pickled torch model does not load in gradiente; save its "
                "state_dict() with torch.save and load it with model.load_state_dict()"
            )
        else:
            try:
                return getattr(importlib.import_module("gradiente" + module[len("torch") :]), name)
            except (ImportError, AttributeError):
                pass
        raise TorchFormatError(
            f"{self.name}: the checkpoint needs {module}.{name}, which gradiente does not have"
            + hint
        )

    def persistent_load(self, pid):
        if not (
            isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] in ("storage", b"storage")
        ):
            raise TorchFormatError(f"{self.name}: unknown persistent id {pid!r:.80}")
        storage_type, key, location, numel = pid[1:5]
        if isinstance(location, bytes):
            location = location.decode("ascii")
        if not (
            isinstance(storage_type, StorageType)
            and isinstance(key, str)
            and isinstance(location, str)
            and _is_int(numel)
            and numel >= 0
        ):
            raise TorchFormatError(f"{self.name}: a damaged storage reference {pid!r:.80}")
        return self.load_storage(
            storage_type, key, location, numel, pid[5] if len(pid) == 6 else None
        )

    def _allowed_object(self, obj) -> bool:
        return id(obj) in _CALLABLE_IDS or any(obj is v for v in self.safe.values())

    def load_reduce(self):
        if self.weights_only and not self._allowed_object(self.stack[-2]):
            raise self._refuse(f"it calls {_describe(self.stack[-2])}, not an allowed global")
        pickle._Unpickler.load_reduce(self)

    def load_newobj(self):
        if self.weights_only and not self._allowed_object(self.stack[-2]):
            raise self._refuse(f"it instantiates {_describe(self.stack[-2])}, not an allowed class")
        pickle._Unpickler.load_newobj(self)

    def load_newobj_ex(self):
        if self.weights_only and not self._allowed_object(self.stack[-3]):
            raise self._refuse(f"it instantiates {_describe(self.stack[-3])}, not an allowed class")
        pickle._Unpickler.load_newobj_ex(self)

    def load_build(self):
        inst = self.stack[-2]
        if self.weights_only and not (
            isinstance(inst, _BUILDABLE) or any(type(inst) is v for v in self.safe.values())
        ):
            raise self._refuse(f"it sets the attributes of a {type(inst).__name__}")
        pickle._Unpickler.load_build(self)

    dispatch[pickle.REDUCE[0]] = load_reduce
    dispatch[pickle.NEWOBJ[0]] = load_newobj
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex
    dispatch[pickle.BUILD[0]] = load_build
    # INST and OBJ (protocol 0/1 class instantiation) never appear in torch's pickles
    dispatch.pop(pickle.INST[0])
    dispatch.pop(pickle.OBJ[0])


def _describe(obj) -> str:
    """A one-line name for an object a pickle tried to call: a class's or function's dotted
    name, else "a <type> object"."""
    if isinstance(obj, type) or callable(obj) and hasattr(obj, "__qualname__"):
        return f"{getattr(obj, '__module__', '?')}.{obj.__qualname__}"
    return f"a {type(obj).__name__} object"


def _unpickle(data, name: str, load_storage, weights_only: bool, safe: dict, what: str):
    """Load one pickle from the bytes or file ``data``; damage raises ``TorchFormatError``."""
    file = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
    try:
        return _RestrictedUnpickler(file, name, load_storage, weights_only, safe).load()
    except _PassThrough as carrier:
        raise carrier.error from None
    except TorchFormatError as error:
        if str(error).startswith(f"{name}: "):
            raise
        raise TorchFormatError(f"{name}: {error}") from None
    except WeightsOnlyError:
        raise
    except KeyError as error:  # an opcode outside the dispatch table (INST, OBJ, garbage)
        raise TorchFormatError(
            f"{name}: {what} is damaged or uses an unsupported pickle opcode ({error})"
        ) from None
    except Exception as error:
        if not weights_only and not isinstance(error, (pickle.UnpicklingError, EOFError)):
            raise  # a trusted pickle's own code failed: let its error through
        raise TorchFormatError(
            f"{name}: {what} is damaged ({type(error).__name__}: {error})"
        ) from None


# ---------------------------------------------------------------------------------------------
# Storages and map_location
# ---------------------------------------------------------------------------------------------


def _restore(storage: TorchStorage, location: str, map_location, name: str) -> TorchStorage:
    """``storage`` (read onto the CPU) put where ``map_location`` says, as torch does: None →
    where it was saved (``location``); a dict maps saved locations to others; a device or its
    name → there; a function ``f(storage, location)`` returns the storage to use (None: the
    default)."""
    if callable(map_location) and not isinstance(map_location, device):
        try:
            result = map_location(storage, location)
        except Exception as error:
            raise _PassThrough(error) from error
        if result is not None:
            if not isinstance(result, TorchStorage):
                raise _PassThrough(
                    TypeError(
                        f"{name}: map_location returned {type(result).__name__}, not a storage "
                        "(it is given each storage and returns it, or it moved: storage.cuda())"
                    )
                )
            return result
        target = location
    elif map_location is None:
        target = location
    elif isinstance(map_location, dict):
        target = map_location.get(location, location)
    else:  # a device (gradiente's or torch's) or its name
        target = map_location.decode() if isinstance(map_location, bytes) else str(map_location)
    try:
        return storage.to(target)
    except (RuntimeError, TypeError, ValueError) as error:
        raise TorchFormatError(
            f"{name}: the checkpoint's tensors were saved on {location} and would load on "
            f"{target}: {error} Pass map_location='cpu' to load them on the CPU."
        ) from None


def _host_array(data: bytes, dtype, numel: int, big_endian: bool):
    """A writable flat array of ``numel`` ``dtype`` elements from raw storage bytes."""
    np_dtype = dtype.np
    if big_endian and np_dtype.itemsize > 1:
        raw = numpy.frombuffer(data, dtype=f"u{np_dtype.itemsize}", count=numel).byteswap()
        return raw.view(np_dtype)
    return numpy.frombuffer(data, dtype=np_dtype, count=numel).copy()


def _byteorder(text: bytes, name: str) -> bool:
    """Whether a ``byteorder`` record says big-endian."""
    if text not in (b"little", b"big"):
        raise TorchFormatError(f"{name}: unknown byte order {text!r:.20}")
    return text == b"big"


# ---------------------------------------------------------------------------------------------
# The zip format (torch >= 1.6)
# ---------------------------------------------------------------------------------------------


def is_torch_zip(raw: bytes) -> bool:
    """Whether ``raw`` starts like a zip archive (a local header, or an empty archive's end)."""
    return raw[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def _archive_prefix(names: list, name: str) -> str:
    """The folder every record sits in (``archive/``, or the saved file's stem)."""
    if any(n.endswith("/constants.pkl") and n.count("/") == 1 for n in names):
        raise TorchFormatError(
            f"{name}: a TorchScript archive (torch.jit.save): gradiente runs no TorchScript; "
            "save the model's state_dict() with torch.save instead"
        )
    pickles = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
    if not pickles:
        raise TorchFormatError(
            f"{name}: a zip archive without data.pkl: not a file written by torch.save"
        )
    return pickles[0][: -len("data.pkl")]


_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    OSError,
)  # what zipfile raises on damaged archives


def _damaged_zip(name: str, error: BaseException) -> TorchFormatError:
    return TorchFormatError(f"{name}: a damaged or truncated torch.save zip archive ({error})")


def _read_record(archive: zipfile.ZipFile, record: str, name: str) -> bytes:
    """One record's bytes (its CRC checked by zipfile); damage raises ``TorchFormatError``."""
    try:
        return archive.read(record)
    except _ZIP_ERRORS as error:
        raise _damaged_zip(name, error) from None


def _load_zip(raw: bytes, name: str, map_location, weights_only: bool, safe: dict):
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except _ZIP_ERRORS as error:
        raise _damaged_zip(name, error) from None
    names = archive.namelist()
    prefix = _archive_prefix(names, name)
    big_endian = False
    if f"{prefix}byteorder" in names:
        big_endian = _byteorder(_read_record(archive, f"{prefix}byteorder", name), name)
    storages: dict[str, TorchStorage] = {}

    def load_storage(storage_type, key, location, numel, view):
        dtype = storage_type.dtype
        if key not in storages:
            record = f"{prefix}data/{key}"
            if record not in names:
                raise TorchFormatError(f"{name}: the storage {record!r:.80} is missing")
            # sizes are compared before reading, so a crafted record is never decompressed
            size = archive.getinfo(record).file_size
            data = _read_record(archive, record, name) if size == numel * dtype.np.itemsize else b""
            if len(data) != numel * dtype.np.itemsize:
                raise TorchFormatError(
                    f"{name}: the storage {record!r:.80} has {size} bytes, not the "
                    f"{numel * dtype.np.itemsize} of {numel} {dtype} elements (truncated?)"
                )
            host = TorchStorage(_host_array(data, dtype, numel, big_endian))
            storages[key] = _restore(host, location, map_location, name)
        storage = storages[key]
        if storage.array.dtype != dtype.np:  # one storage pickled under two dtypes
            raise TorchFormatError(f"{name}: the storage {key!r:.40} is read as two dtypes")
        return storage

    return _unpickle(
        _read_record(archive, f"{prefix}data.pkl", name),
        name,
        load_storage,
        weights_only,
        safe,
        "data.pkl",
    )


# ---------------------------------------------------------------------------------------------
# The legacy stream format (torch < 1.6, or _use_new_zipfile_serialization=False)
# ---------------------------------------------------------------------------------------------


def is_torch_legacy(raw: bytes, name: str = "") -> bool:
    """Whether ``raw`` starts with the legacy format's pickled magic number."""
    if raw[:1] != b"\x80":
        return False
    try:
        return _unpickle(raw[:64], name, None, True, {}, "the header") == MAGIC_NUMBER
    except (TorchFormatError, WeightsOnlyError):
        return False


def _load_legacy(raw: bytes, name: str, map_location, weights_only: bool, safe: dict):
    """The legacy stream: storages are allocated while the object is unpickled (its persistent
    ids give their dtypes and sizes) and filled from the bytes that follow, in place."""
    file = io.BytesIO(raw)
    header = [_unpickle(file, name, None, True, {}, "the header") for _ in range(3)]
    if header[1] != PROTOCOL_VERSION:
        raise TorchFormatError(f"{name}: unknown legacy protocol version {header[1]!r:.20}")
    info = header[2]
    big_endian = isinstance(info, dict) and info.get("little_endian") is False
    storages: dict[str, TorchStorage] = {}
    locations: dict[str, str] = {}
    views: dict[str, TorchStorage] = {}

    def load_storage(storage_type, key, location, numel, view):
        dtype = storage_type.dtype
        if key not in storages:
            if numel * dtype.np.itemsize > len(raw):
                raise TorchFormatError(
                    f"{name}: a storage of {numel} elements is larger than the file"
                )
            storages[key] = TorchStorage(numpy.empty(numel, dtype=dtype.np))
            locations[key] = location
        storage = storages[key]
        if view is None:
            return storage
        view_key, offset, size = view
        if view_key not in views:
            if not (
                _is_int(offset) and _is_int(size) and 0 <= offset <= offset + size <= storage.size()
            ):
                raise TorchFormatError(f"{name}: a damaged storage view {view!r:.80}")
            views[view_key] = TorchStorage(storage.array[offset : offset + size])
        return views[view_key]

    result = _unpickle(file, name, load_storage, weights_only, safe, "the pickle")
    keys = _unpickle(file, name, None, True, {}, "the storage list")
    if not (
        isinstance(keys, list)
        and all(isinstance(key, str) for key in keys)
        and set(keys) == set(storages)
    ):
        raise TorchFormatError(f"{name}: the storage list does not match the pickle's storages")
    for key in keys:
        array = storages[key].array
        count = file.read(8)
        if len(count) < 8 or struct.unpack(">q" if big_endian else "<q", count)[0] != array.size:
            raise TorchFormatError(f"{name}: storage {key!r:.40} is truncated or damaged")
        data = file.read(array.nbytes)
        if len(data) != array.nbytes:
            raise TorchFormatError(f"{name}: storage {key!r:.40} is truncated")
        array[...] = _host_array(data, B.from_numpy_dtype(array.dtype), array.size, big_endian)
    moved = {
        key: _restore(storage, locations[key], map_location, name)
        for key, storage in storages.items()
    }
    if any(moved[key] is not storages[key] for key in storages):
        result = _to_storages(result, [(storages[k].array, moved[k]) for k in storages])
    return result


def _to_storages(obj, targets: list):
    """``obj`` with every tensor on the device its storage was moved to (legacy files, whose
    tensors are built on the CPU before their storages are filled)."""
    if isinstance(obj, Tensor):
        # storages are separate allocations, so the one whose bounds hold the tensor is its own
        target = next((s for a, s in targets if numpy.may_share_memory(obj._data, a)), None)
        if target is None or target.device.type == "cpu":
            return obj
        moved = obj.detach().to(target.device)
        if isinstance(obj, Parameter):
            return Parameter(moved, obj.requires_grad)
        return moved.requires_grad_(obj.requires_grad)
    if isinstance(obj, list):
        return [_to_storages(v, targets) for v in obj]
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_to_storages(v, targets) for v in obj)
    if isinstance(obj, dict):
        out = {}
        if isinstance(obj, collections.OrderedDict):
            out = type(obj)()
            out.__dict__.update(obj.__dict__)  # a state dict's _metadata
        for k, v in obj.items():
            out[k] = _to_storages(v, targets)
        return out
    return obj


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


def load_torch(raw: bytes, name: str, map_location=None, weights_only=True, safe=None):
    """The object in ``raw``, a file that torch.save wrote (zip or legacy), named ``name``.

    ``safe`` maps (module, name) to extra allowed globals (``add_safe_globals``). Damage raises
    ``TorchFormatError``; a refused global ``WeightsOnlyError`` (a ``pickle.UnpicklingError``),
    each naming the file.
    """
    safe = safe or {}
    if is_torch_zip(raw):
        return _load_zip(raw, name, map_location, weights_only, safe)
    return _load_legacy(raw, name, map_location, weights_only, safe)


# ---------------------------------------------------------------------------------------------
# Writing torch's zip format
# ---------------------------------------------------------------------------------------------


class _TorchGlobal:
    """A name in torch (``torch._utils._rebuild_tensor_v2``, ``torch.FloatStorage``, ...) that
    the writer pickles as a GLOBAL: real torch resolves it on loading, gradiente needs no torch
    to write it."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle's save_reduce insists on a callable
        raise TypeError(f"{self.module}.{self.name} is a name for torch to resolve, not a function")


_REBUILD_TENSOR = _TorchGlobal("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _TorchGlobal("torch._utils", "_rebuild_parameter")
_TORCH_SIZE = _TorchGlobal("torch", "Size")
_TORCH_DEVICE = _TorchGlobal("torch", "device")
_STORAGE_NAMES = {
    dtype.name: _TorchGlobal("torch", name) for name, dtype in _STORAGE_DTYPES.items()
}


class _StorageRef:
    """A storage to write: its key in the archive and its elements (a flat array)."""

    def __init__(self, key: str, array) -> None:
        self.key, self.array = key, array


def _root(array):
    """The array whose memory ``array`` views (following ``base``, also through the
    placeholder object that NumPy's ``as_strided`` puts in between)."""
    while True:
        base = array.base
        if isinstance(base, numpy.ndarray):
            array = base
        elif isinstance(getattr(base, "base", None), numpy.ndarray):
            array = base.base
        else:
            return array


def _byte_bounds(array) -> tuple[int, int]:
    """The addresses of ``array``'s first byte and one past its last (``byte_bounds``)."""
    low = high = array.__array_interface__["data"][0]
    for n, stride in zip(array.shape, array.strides):
        if n == 0:
            return low, low
        if stride < 0:
            low += (n - 1) * stride
        else:
            high += (n - 1) * stride
    return low, high + array.itemsize


class _TorchPickler(pickle._Pickler):
    """Pickles an object as ``torch.save`` does: tensors as ``_rebuild_tensor_v2`` calls on
    storages (persistent ids), Parameters as ``_rebuild_parameter``, dtypes, ``Size`` and
    ``device`` as torch's. Tensors that view one contiguous array share one storage, so they
    load as views again; other tensors get a storage of their own."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol: int) -> None:
        super().__init__(file, protocol)
        self.storages: dict[int, _StorageRef] = {}  # id(root array) → its storage
        self.roots: list = []  # keeps the roots alive, so their ids stay unique

    def _storage(self, array) -> tuple[_StorageRef, int, tuple]:
        """The storage holding ``array``, its element offset there and its strides."""
        itemsize = array.itemsize
        root = _root(array)
        low, high = _byte_bounds(root)
        start, end = _byte_bounds(array)
        shares = (
            root.dtype == array.dtype
            and root.flags["C_CONTIGUOUS"]
            and low <= start <= end <= high
            and (start - low) % itemsize == 0
            and all(s % itemsize == 0 and s >= 0 for s in array.strides)
        )
        if not shares or array.size == 0:
            root = array = numpy.ascontiguousarray(array)
            low = _byte_bounds(array)[0]
        if id(root) not in self.storages:
            flat = root.reshape(-1)
            if flat.dtype.byteorder == ">":
                flat = flat.astype(flat.dtype.newbyteorder("<"))
            self.storages[id(root)] = _StorageRef(str(len(self.storages)), flat)
            self.roots.append(root)
        if not array.size:  # no element to place: torch's row-major strides (NumPy's are 0s)
            strides, step = [], 1
            for n in reversed(array.shape):
                strides.insert(0, step)
                step *= max(n, 1)
            return self.storages[id(root)], 0, tuple(strides)
        offset = (array.__array_interface__["data"][0] - low) // itemsize
        return self.storages[id(root)], offset, tuple(s // itemsize for s in array.strides)

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            dtype = B.from_numpy_dtype(obj.array.dtype)
            return ("storage", _STORAGE_NAMES[dtype.name], obj.key, "cpu", obj.array.size)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Parameter):
            data = Tensor._make(obj._data)
            return _REBUILD_PARAMETER, (data, obj.requires_grad, collections.OrderedDict())
        if isinstance(obj, Tensor):
            storage, offset, stride = self._storage(B.host(obj._data))
            size = tuple(obj.shape)
            hooks = collections.OrderedDict()
            return _REBUILD_TENSOR, (storage, offset, size, stride, obj.requires_grad, hooks)
        if isinstance(obj, Size):
            return _TORCH_SIZE, (tuple(obj),)
        if isinstance(obj, device):
            return _TORCH_DEVICE, (str(obj),)
        return NotImplemented

    def _save_name(self, module: str, name: str, obj) -> None:
        self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode())
        self.memoize(obj)

    def save_torch_global(self, obj: _TorchGlobal) -> None:
        self._save_name(obj.module, obj.name, obj)

    def save_dtype(self, obj) -> None:
        self._save_name("torch", obj.name, obj)

    dispatch[_TorchGlobal] = save_torch_global
    dispatch[B.dtype] = save_dtype


_ALIGNMENT = 64  # torch aligns each record's data to 64 bytes (mmap=True relies on it)


def _write_record(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    """One uncompressed record, its data padded to start at a multiple of ``_ALIGNMENT``
    with an extra field, as torch's writer does (a header is 30 bytes plus name plus extra)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # fixed: equal files
    info.compress_type = zipfile.ZIP_STORED
    start = archive.fp.tell() + 30 + len(name.encode("utf-8")) + 4  # + the extra field's header
    padding = -start % _ALIGNMENT
    info.extra = b"FB" + padding.to_bytes(2, "little") + b"Z" * padding
    archive.writestr(info, data)


def dump_torch(obj, pickle_protocol: int | None = None, archive_name: str = "archive") -> bytes:
    """The bytes of ``obj`` in torch's zip format, which ``torch.load`` reads (CUDA tensors
    are written as host copies whose location is "cpu")."""
    pickled = io.BytesIO()
    pickler = _TorchPickler(pickled, pickle_protocol or 2)  # torch's default protocol
    pickler.dump(obj)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        records = [
            ("data.pkl", pickled.getvalue()),
            (".format_version", b"1"),
            (".storage_alignment", str(_ALIGNMENT).encode()),
            ("byteorder", b"little"),
        ]
        records += [(f"data/{s.key}", s.array.tobytes()) for s in pickler.storages.values()]
        records.append(("version", b"3\n"))
        for name, data in records:
            _write_record(archive, f"{archive_name}/{name}", data)
    return out.getvalue()
