"""Checkpoints: ``gradiente.save(obj, path)`` and ``gradiente.load(path)``, in safetensors format.

What is stored natively: nested dicts, lists and tuples of tensors (or NumPy arrays) and plain
values (int, float, bool, None, str) — model ``state_dict()``s, optimizer and scheduler state
dicts (int keys and lists of ints included), epochs, metrics.

The file is a standard safetensors file: every tensor is stored under a flattened key (the path
of keys leading to it, joined with dots), and the nested structure with all non-tensor values
is JSON in the safetensors ``__metadata__``. A flat dict of tensors (a model's state dict) keeps
its own keys, so the file opens in PyTorch with ``safetensors.torch.load_file`` and, the other
way round, a file written by ``safetensors.torch.save_file(model.state_dict(), path)`` loads
here.

As with ``torch.save``, what comes back is the same web of objects: a tensor saved twice loads
as one object (``d["enc"] is d["dec"]``), Parameters load as ``nn.Parameter`` with their
``requires_grad`` (a tensor that required grad loads as a leaf that does), an OrderedDict keeps
its attributes (a state dict's ``_metadata``, which ``_load_from_state_dict`` reads), and saved
tensors that share memory — views of one another (slices, reshapes, transposes) and the two
names of a tied weight in a state dict — load sharing memory, each with torch's
``storage_offset()`` and ``stride()`` within the shared array. Differences with torch, which
stores whole storages: the shared array holds only the bytes from the group's first to its last
element, so offsets count from there (torch's when the base itself is saved); a lone view is
saved compactly, as a contiguous tensor of its own; a view that requires grad loads as a leaf
of its own (sharing memory, ``storage_offset()`` 0); tensors in CUDA memory and tensors that
view one memory with different dtypes are each stored on their own. Such files are format 2,
which older versions of gradiente refuse with a clear message; other files stay format 1.

Any other object (a whole ``nn.Module``, as in ``torch.save(model, path)``) is pickled and its
bytes stored as a uint8 tensor. As in PyTorch (since 2.6), ``load`` refuses to unpickle it
unless called with ``weights_only=False``, because unpickling can run arbitrary code: by
default, loading never runs code. As there, classes and functions named with
``add_safe_globals([...])`` (or inside ``with safe_globals([...]):``) may be unpickled with
``weights_only=True``, through an unpickler that refuses every other global.

Files written by the real ``torch.save`` (its zip format, and the legacy one of torch < 1.6)
load too, through ``gradiente.torch_format``: their pickle is read by an unpickler that
resolves only the globals a checkpoint of tensors needs (by default, ``weights_only=True``), so
loading them runs no code either; ``save(obj, f, format="torch")`` writes that format.

Saving is atomic: the bytes go to a temporary file in the same directory, which is flushed,
fsynced and then renamed over the destination (``os.replace``), so a crash mid-save leaves the
previous checkpoint intact.
"""

from __future__ import annotations

import collections
import contextlib
import io
import json
import math
import os
import pickle
import re
import secrets

import safetensors
import safetensors.numpy

from gradiente import backend as B
from gradiente import torch_format
from gradiente.autograd import grad_mode
from gradiente.backend import host, xp
from gradiente.nn.parameter import Parameter
from gradiente.tensor import Size, Tensor, _check_device
from gradiente.tensor import device as _device

__all__ = [
    "save",
    "load",
    "CheckpointError",
    "add_safe_globals",
    "safe_globals",
    "get_safe_globals",
    "clear_safe_globals",
]

_STRUCTURE_KEY = "gradiente"  # the __metadata__ entry holding the JSON structure
_FORMAT_VERSION = 2  # 2: shared tensors, Parameters, attributes (see _Encoder)
_MAX_HEADER = 100 * 1024 * 1024  # safetensors' own limit on the JSON header
_CHUNK = 64 * 1024 * 1024
_SUPPORTED = "tensors, NumPy arrays, dicts, lists, tuples, int, float, bool, None and str"


# ---------------------------------------------------------------------------------------------
# Encoding: Python objects → (JSON structure, flat dict of arrays)
# ---------------------------------------------------------------------------------------------


def _path_str(path: tuple) -> str:
    return "obj" + "".join(f"[{key!r}]" for key in path)


class _Encoder:
    """Walks an object, collecting its arrays under flattened keys and returning JSON nodes.

    Nodes: ``None``, bools, ints, finite floats and strings are themselves; a non-finite float
    is ``{"float": "nan"}``; a list is a JSON list; a tuple is ``{"tuple": [...]}`` (a
    ``torch.Size`` adds ``"size": true``, a named tuple is pickled); a dict is
    ``{"dict": [[key_node, value_node], ...]}`` (keys need not be strings; a subclass of dict,
    a Counter or a defaultdict, is pickled, to keep its type), with
    ``"ordered": true`` for an OrderedDict and ``"attrs": dict_node`` for its attributes (a
    state dict's ``_metadata``); a NumPy array of numbers or bools is ``{"ndarray": flat_key}``
    (one of strings, objects, complex numbers or dates is pickled); any other object is
    ``{"pickle": flat_key, "type": "module.QualName"}``, its pickle's bytes a uint8 array.

    A tensor is ``{"tensor": flat_key}`` (plus ``"requires_grad": true``; a Parameter has
    ``"parameter": true`` and its ``requires_grad``). Tensors are identified as torch's pickle
    does: the same tensor object met again is ``{"ref": n}``, pointing at the first node,
    which gets ``"id": n``; and tensors that share memory (views of one another, tied weights
    of a state dict) share one stored array: the one whose elements are exactly the shared
    memory keeps ``{"tensor": flat_key}``, the others are ``{"view": flat_key, "offset": o,
    "shape": [...], "stride": [...]}`` — elements of that array read as ``as_strided`` would.
    A view that is all of the shared memory too (the second name of a tied weight in a state
    dict) also keeps a copy under its own key (``"copy": key``, unused by ``load``), so that
    every key of a flat state dict stays in the file for other safetensors readers. Those
    nodes appear only in format 2 (``new_format``); files without them stay format 1.
    """

    def __init__(self, pickle_module=None, pickle_protocol=None) -> None:
        self.arrays: dict[str, object] = {}
        self.pickle_module = pickle_module or pickle
        self.pickle_protocol = pickle_protocol or pickle.DEFAULT_PROTOCOL
        self.tensors: list[tuple[Tensor, dict, str]] = []  # first meetings, in walk order
        self.nodes: dict[int, dict] = {}  # id(tensor) → its node
        self.refs = 0  # ids given to tensors met more than once
        self.new_format = False  # whether a node of format 2 was written

    def _flat_key(self, path: tuple) -> str:
        key = ".".join(str(k) for k in path) or "tensor"
        unique, n = key, 1
        while unique in self.arrays:  # "a.b" and ("a", "b") would otherwise collide
            n += 1
            unique = f"{key}#{n}"
        return unique

    def _store(self, array, path: tuple, key: str | None = None) -> str:
        key = key or self._flat_key(path)
        array = xp.asarray(array, order="C")  # ascontiguousarray would make 0-d arrays 1-d
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("<"))
        self.arrays[key] = array
        return key

    def encode(self, obj, path: tuple = ()):
        if obj is None or type(obj) in (bool, int, str):
            return obj
        if isinstance(obj, (bool, int, str)):  # subclasses (IntEnum, ...) keep their base value
            return next(base for base in (bool, int, str) if isinstance(obj, base))(obj)
        if isinstance(obj, float):
            return float(obj) if math.isfinite(obj) else {"float": repr(float(obj))}
        if isinstance(obj, Tensor):
            return self._tensor(obj, path)
        if isinstance(obj, xp.ndarray):
            if obj.dtype.kind not in "biuf":
                # strings, objects, complex numbers, dates: no safetensors dtype holds them, so
                # the array is pickled, as torch.save pickles every array
                return self._pickled(obj, path)
            return {"ndarray": self._store(obj, path)}
        if isinstance(obj, list):
            return [self.encode(v, (*path, i)) for i, v in enumerate(obj)]
        if isinstance(obj, Size):  # older readers see a tuple, which a Size also is
            self.new_format = True
            return {"tuple": [int(v) for v in obj], "size": True}
        if type(obj) is tuple:  # a subclass (a named tuple) is pickled, to keep its type
            return {"tuple": [self.encode(v, (*path, i)) for i, v in enumerate(obj)]}
        if type(obj) in (dict, collections.OrderedDict):  # as is a Counter or a defaultdict
            items = [
                [self._encode_key(k, path), self.encode(v, (*path, k))] for k, v in obj.items()
            ]
            node = {"dict": items}
            if isinstance(obj, collections.OrderedDict):
                node["ordered"] = True
                attributes = getattr(obj, "__dict__", None)
                if attributes:  # a state dict's _metadata: torch's pickle keeps it
                    node["attrs"] = self.encode(dict(attributes), path)
                    self.new_format = True
            return node
        return self._pickled(obj, path)

    def _tensor(self, t: Tensor, path: tuple) -> dict:
        """A tensor's node. Its array is chosen in ``finish``, once every tensor is known (a
        tensor's memory may be shared with one met later); its key is reserved now, so keys
        are given in the order of the walk."""
        first = self.nodes.get(id(t))
        if first is not None:  # the same object again: torch's pickle memo gives it once
            if "id" not in first:
                first["id"] = self.refs
                self.refs += 1
            self.new_format = True
            return {"ref": first["id"]}
        node: dict = {}
        if isinstance(t, Parameter):
            node.update(parameter=True, requires_grad=t.requires_grad)
            self.new_format = True
        elif t.requires_grad:
            node["requires_grad"] = True
        key = self._flat_key(path)
        self.arrays[key] = None  # reserved
        self.nodes[id(t)] = node
        self.tensors.append((t, node, key))
        return node

    def finish(self) -> None:
        """Store the tensors' arrays: one array for each group of tensors sharing memory (see
        ``_shared_groups``), a contiguous copy for every other tensor (CUDA ones: host copy)."""
        grouped = set()
        items = [
            (t._data, (node, key))
            for t, node, key in self.tensors
            if isinstance(t._data, xp.ndarray)  # host memory (CUDA tensors: one copy each)
        ]
        for low, storage, members in _shared_groups(items):
            self._store_group(low, storage, members)
            grouped.update(id(node) for _, (node, _) in members)
        for t, node, key in self.tensors:
            if id(node) not in grouped:
                node["tensor"] = self._store(host(t._data), (), key)

    def _store_group(self, low: int, storage, members: list) -> None:
        """Store ``storage`` (the memory that ``members``, ``(array, (node, key))`` pairs,
        share; its first byte at address ``low``) once, and point each member's node at it:
        under the key and in the shape of the member whose elements are exactly that memory,
        if one is, else under the first one's key, 1-D."""
        high = low + storage.nbytes
        owner = next((i for i, (a, _) in enumerate(members) if _covers(a, low, high)), None)
        key = members[owner or 0][1][1]
        shape = storage.shape if owner is None else members[owner][0].shape
        self._store(host(storage).reshape(shape), (), key)
        itemsize = storage.itemsize
        for i, (array, (node, own_key)) in enumerate(members):
            if i == owner:
                node["tensor"] = key
                continue
            if _covers(array, low, high):  # a tied weight: a copy keeps its key in the file
                self._store(host(storage).reshape(array.shape), (), own_key)
                node["copy"] = own_key
            elif own_key != key:
                del self.arrays[own_key]  # its elements live in the group's array
            node["view"] = key
            node["offset"] = (_address(array) - low) // itemsize
            node["shape"] = list(array.shape)
            node["stride"] = [s // itemsize for s in array.strides]
            self.new_format = True

    def _pickled(self, obj, path: tuple) -> dict:
        name = f"{type(obj).__module__}.{type(obj).__qualname__}"
        try:
            data = self.pickle_module.dumps(obj, protocol=self.pickle_protocol)
        except Exception as error:  # pickle raises many kinds (PicklingError, TypeError, ...)
            raise TypeError(
                f"gradiente.save: cannot save {name} at {_path_str(path)}: it is none of "
                f"{_SUPPORTED}, and pickling it failed ({error})"
            ) from error
        return {"pickle": self._store(xp.frombuffer(data, dtype=xp.uint8), path), "type": name}

    def _encode_key(self, key, path: tuple):
        if isinstance(key, (Tensor, xp.ndarray)) or not _is_plain_key(key):
            raise TypeError(
                f"gradiente.save: cannot save a dict key of type {type(key).__name__} "
                f"({key!r}) in {_path_str(path)} (keys may be str, int, float, bool, None or "
                f"tuples of those)"
            )
        return self.encode(key, path)


# ---------------------------------------------------------------------------------------------
# Shared memory: which saved tensors are windows on one block of memory
# ---------------------------------------------------------------------------------------------
#
# torch.save stores storages, not tensors: a tensor and its views (a slice, a reshape, a
# transpose; the two names of a tied weight in a state dict) share one storage in the file and
# again after loading. gradiente does the same for every group of two or more saved tensors
# that live in the same contiguous root array with the same dtype and strides >= 0: it stores
# the bytes from the group's first byte to its last once. A lone view is stored compactly
# (torch would store its whole storage), and so is each tensor in CUDA memory.


def _address(array) -> int:
    """The address of a NumPy array's first element."""
    return array.__array_interface__["data"][0]


def _root(array):
    """The array owning the memory ``array`` views (following ``base``, also through the
    placeholder object that NumPy's ``as_strided`` puts in between)."""
    kind = type(array)
    while True:
        base = getattr(array, "base", None)
        if isinstance(base, kind):
            array = base
        elif isinstance(getattr(base, "base", None), kind):
            array = base.base
        else:
            return array


def _byte_range(array) -> tuple[int, int]:
    """The addresses of ``array``'s first byte and one past its last (strides >= 0)."""
    low = _address(array)
    return low, low + sum((n - 1) * s for n, s in zip(array.shape, array.strides)) + array.itemsize


def _covers(array, low: int, high: int) -> bool:
    """Whether ``array``'s elements, in C order, are exactly the bytes from low to high."""
    return (
        bool(array.flags["C_CONTIGUOUS"]) and _address(array) == low and array.nbytes == high - low
    )


def _shared_groups(items: list) -> list:
    """The groups of two or more ``(array, tag)`` items sharing memory, each as
    ``(low, storage, items)``: ``storage`` is the 1-D array of their dtype holding the bytes
    from ``low`` (the address of their first byte) to one past their last byte."""
    candidates: dict = {}
    roots = {}
    for array, tag in items:
        root = _root(array)
        contiguous = root.flags["C_CONTIGUOUS"] or root.flags["F_CONTIGUOUS"]
        if array.size == 0 or not contiguous:
            continue
        if any(s < 0 or s % array.itemsize for s in array.strides):
            continue
        roots[id(root)] = root
        candidates.setdefault((id(root), array.dtype), []).append((array, tag))
    groups = []
    for (root_id, _), members in candidates.items():
        root = roots[root_id]
        low = min(_address(a) for a, _ in members)
        itemsize = members[0][0].itemsize
        members = [(a, tag) for a, tag in members if (_address(a) - low) % itemsize == 0]
        if len(members) < 2:
            continue
        high = max(_byte_range(a)[1] for a, _ in members)
        # the root's memory in address order, as bytes (a transposed F-order root is C-order)
        memory = (root if root.flags["C_CONTIGUOUS"] else root.transpose()).reshape(-1)
        start = low - _address(memory)
        if start < 0 or start + high - low > memory.nbytes:
            continue  # not inside the root's memory (never for views made by gradiente)
        storage = memory.view(xp.uint8)[start : start + high - low].view(members[0][0].dtype)
        groups.append((low, storage, members))
    return groups


def _is_plain_key(key) -> bool:
    if key is None or isinstance(key, (bool, int, float, str)):
        return True
    return isinstance(key, tuple) and all(_is_plain_key(k) for k in key)


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def _write_bytes(f, data: bytes) -> None:
    """Write ``data`` to the open file ``f`` in chunks (tests replace this to simulate a crash)."""
    view = memoryview(data)
    for start in range(0, len(view), _CHUNK):
        f.write(view[start : start + _CHUNK])


def _deterministic(data: bytes) -> bytes:
    """The same safetensors file with its JSON header written in one fixed order.

    safetensors keeps ``__metadata__`` in a hash map, so its key order (and so the file's
    bytes) changes from run to run. Rewriting the header with sorted keys makes equal objects
    give equal files. Tensor offsets count from the end of the header, so they stay valid; the
    header is padded with spaces to a multiple of 8 bytes, as safetensors does (alignment).
    """
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + data[8 + n :]


def _fsync_directory(directory: str | os.PathLike) -> None:
    """Persist the entries of ``directory`` (renames, new files) where the platform allows
    opening a directory; also used by ``train.checkpoint``."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _atomic_write(path: str, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it onto ``path``.

    An error (a missing folder, a full disk, a folder at ``path``) names ``path``, never the
    temporary file, and keeps its ``OSError`` subclass; the temporary file is removed.
    """
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    fd = None
    try:
        # O_EXCL: never reuse an existing file; 0o666 lets the umask decide the permissions
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        with os.fdopen(fd, "wb") as f:
            _write_bytes(f, data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as error:
        if fd is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        if isinstance(error, OSError) and error.errno is not None:
            # OSError(errno, text) is the subclass of that errno (FileNotFoundError, ...)
            raise OSError(error.errno, f"cannot write {path}: {error.strerror}") from error
        raise
    _fsync_directory(directory)


def save(
    obj, f, pickle_module=None, pickle_protocol=None, *, format="safetensors", **kwargs
) -> None:
    """Save ``obj`` (a state dict or a nested structure of tensors and plain values) to ``f``.

    ``f`` is a path (written atomically) or a binary file object. Objects that are not stored
    natively (see the module's docstring) are pickled with ``pickle_module`` (default
    ``pickle``) and ``pickle_protocol``; one that cannot be pickled raises ``TypeError`` naming
    where it sits, e.g. ``obj['state'][0]['fn']``.

    ``format="torch"`` writes PyTorch's own zip format instead (``gradiente.torch_format``),
    for a file that the real ``torch.load`` reads — with its default ``weights_only=True`` when
    ``obj`` holds tensors, Parameters, containers and plain values; views of one tensor stay
    views there. The format is chosen by this argument, never by the file's extension: the
    default stays safetensors (whose loading runs no code, and which ``load`` reads back like
    torch's files), and ``torch.save(obj, "model.pt")`` in scripts under ``gradiente run``
    keeps writing what it always wrote. There, other objects are pickled with ``pickle`` itself
    (``pickle_module`` is not used). ``torch.save``'s other arguments
    (``_use_new_zipfile_serialization``, ...) are accepted and ignored.
    """
    if format == "torch":
        archive = "archive"
        if not hasattr(f, "write"):
            archive = os.path.splitext(os.path.basename(os.fspath(f)))[0] or "archive"
        data = torch_format.dump_torch(obj, pickle_protocol, archive)
        if hasattr(f, "write"):
            _write_bytes(f, data)
        else:
            _atomic_write(os.fspath(f), data)
        return
    if format != "safetensors":
        raise ValueError(f"save(): format must be 'safetensors' or 'torch', not {format!r}")
    encoder = _Encoder(pickle_module, pickle_protocol)
    structure = encoder.encode(obj)
    encoder.finish()
    version = _FORMAT_VERSION if encoder.new_format else 1  # older gradiente reads format 1
    text = json.dumps({"version": version, "root": structure}, allow_nan=False)
    depth = _json_depth(text.encode("utf-8", "surrogatepass"))
    if depth > _MAX_DEPTH:
        # load() refuses deeper files (a guard against crafted ones): do not write one
        raise ValueError(
            f"save(): the object nests too deeply to be saved ({depth} JSON levels, at most "
            f"{_MAX_DEPTH}; a dict or list level takes about 3)"
        )
    metadata = {
        "format": "pt",  # what safetensors' PyTorch tools expect for a state dict
        _STRUCTURE_KEY: text,
    }
    data = _deterministic(safetensors.numpy.save(encoder.arrays, metadata=metadata))
    if hasattr(f, "write"):
        _write_bytes(f, data)
        return
    _atomic_write(os.fspath(f), data)


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------
#
# A checkpoint may come from anywhere, so reading trusts nothing in it: the header's length is
# bounded (by _MAX_HEADER and by the file's size), JSON nesting is bounded *before* parsing
# (Python's JSON parser and the decoder below recurse once per level, and a crafted
# "[[[[..." would end in RecursionError), and every field is type-checked. Any problem raises
# CheckpointError, whose message starts with the file's name.

_MAX_DEPTH = 100  # JSON brackets; a dict in gradiente's structure takes 3 per level
# safetensors dtype names → little-endian NumPy dtypes (the ones NumPy can hold)
_DTYPES = {
    "BOOL": "|b1",
    "U8": "|u1",
    "I8": "|i1",
    "U16": "<u2",
    "I16": "<i2",
    "F16": "<f2",
    "BF16": B.BF16,  # ml_dtypes' bfloat16
    "U32": "<u4",
    "I32": "<i4",
    "F32": "<f4",
    "U64": "<u8",
    "I64": "<i8",
    "F64": "<f8",
}
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


class CheckpointError(RuntimeError, ValueError):
    """A file that is not a readable checkpoint: foreign, truncated, damaged or crafted.

    Both a ``RuntimeError`` (what ``torch.load`` raises) and a ``ValueError`` (bad data); the
    message starts with the file's name.
    """


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _json_depth(text: bytes) -> int:
    """How deeply ``text``'s JSON nests, counted without parsing it (so without recursion).

    Strings are blanked out first (a bracket inside a string is text); then the depth after each
    byte is the running sum of +1 per ``[`` or ``{`` and −1 per ``]`` or ``}``.
    """
    bare = xp.frombuffer(_JSON_STRING.sub(b'""', text), dtype=xp.uint8)
    step = xp.isin(bare, list(b"[{")).astype(xp.int64) - xp.isin(bare, list(b"]}"))
    return int(xp.cumsum(step).max(initial=0))


def _parse_json(text: bytes | str, name: str, what: str):
    """``json.loads(text)`` after checking its nesting depth; errors name the file."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    depth = _json_depth(data)
    if depth > _MAX_DEPTH:
        raise CheckpointError(
            f"{name}: {what} nests {depth} levels deep (at most {_MAX_DEPTH} are read); "
            "the file is damaged or crafted"
        )
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{name}: {what} is not valid JSON ({error})") from None


# ---------------------------------------------------------------------------------------------
# Safe globals: what a weights-only load may unpickle
# ---------------------------------------------------------------------------------------------
_safe_globals: list = []

# What rebuilds a tensor or a Parameter from its pickle, and plain containers: no code runs
# beyond building these values.
_ALWAYS_SAFE = {
    ("gradiente.tensor.common", "_rebuild"),
    ("gradiente.nn.parameter", "_rebuild_parameter"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("collections", "OrderedDict"),
    ("collections", "Counter"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "slice"),
    ("builtins", "complex"),
    ("builtins", "bytearray"),
    ("_codecs", "encode"),  # how protocol 2 pickles bytes
    ("gradiente.backend", "_dtype_by_name"),  # a dtype (torch allows dtypes too)
}

# Classes torch's weights-only loads allow, under both of their names: under ``gradiente run``
# they are called ``torch.X`` (so a pickle refers to them so), which must not import torch.
_ALWAYS_SAFE_CLASSES = {
    ("torch", "Size"): Size,
    ("gradiente.tensor.common", "Size"): Size,
    ("torch", "device"): _device,
    ("gradiente.tensor.common", "device"): _device,
}


def _global_key(obj) -> tuple:
    return obj.__module__, obj.__qualname__


def add_safe_globals(safe_globals: list) -> None:
    """Allow these classes/functions in pickles loaded with ``weights_only=True`` (torch's
    ``torch.serialization.add_safe_globals``); an entry may also be ``(obj, "module.name")``."""
    _safe_globals.extend(safe_globals)


def get_safe_globals() -> list:
    """The globals added by ``add_safe_globals``."""
    return list(_safe_globals)


def clear_safe_globals() -> None:
    """Forget every global added by ``add_safe_globals``."""
    _safe_globals.clear()


@contextlib.contextmanager
def safe_globals(safe_globals: list):
    """``with safe_globals([...]):`` — ``add_safe_globals`` for the ``with`` block only."""
    before = len(_safe_globals)
    _safe_globals.extend(safe_globals)
    try:
        yield
    finally:
        del _safe_globals[before:]


def _safe_global_map() -> dict:
    """(module, name) → object for every global added by ``add_safe_globals``."""
    allowed = {}
    for entry in _safe_globals:
        obj, key = entry if isinstance(entry, tuple) else (entry, None)
        allowed[tuple(key.rsplit(".", 1)) if key else _global_key(obj)] = obj
    return allowed


class _WeightsOnlyUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the safe globals (``find_class`` refuses the rest)."""

    def find_class(self, module: str, name: str):
        allowed = _safe_global_map()
        if (module, name) in allowed:
            return allowed[(module, name)]
        if (module, name) in _ALWAYS_SAFE_CLASSES:
            return _ALWAYS_SAFE_CLASSES[(module, name)]
        if (module, name) in _ALWAYS_SAFE:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Weights only load failed: Unsupported global: GLOBAL {module}.{name} was not an "
            f"allowed global by default. Please use `torch.serialization.add_safe_globals"
            f"([{name}])` or the `torch.serialization.safe_globals([{name}])` context manager "
            "to allowlist this global if you trust this class/function."
        )


class _Decoder:
    """Turns the JSON structure (see ``_Encoder``) back into Python objects, checking each node.

    Tensors of one stored array share its memory, and one version counter (in-place changes
    count for all of them, as for torch tensors of one storage). A ``view`` node is made by
    ``as_strided`` on a hidden tensor holding the stored array, so that ``storage_offset()``
    counts from the array's first element, as torch's does from its storage's.
    """

    def __init__(self, arrays: dict, name: str, weights_only: bool, pickle_module=None) -> None:
        self.arrays = arrays
        self.name = name
        self.weights_only = weights_only
        self.pickle_module = pickle_module or pickle
        self.counters: dict = {}  # flat key → the version counter of its tensors
        self.storages: dict = {}  # flat key → the hidden tensor its views are made from
        self.memo: dict = {}  # node "id" → the tensor (for "ref" nodes)

    def _damaged(self, detail: str) -> CheckpointError:
        return CheckpointError(f"{self.name}: the checkpoint's structure is damaged: {detail}")

    def _unpickle(self, node: dict):
        data = self._array(node["pickle"]).tobytes()
        if self.weights_only:
            try:
                return _WeightsOnlyUnpickler(io.BytesIO(data)).load()
            except pickle.UnpicklingError as error:
                raise pickle.UnpicklingError(
                    f"{self.name}: the checkpoint holds a pickled {node.get('type', 'object')}. "
                    f"{error} Or load it with weights_only=False only if you trust its source: "
                    "unpickling can run arbitrary code."
                ) from None
        return self.pickle_module.loads(data)

    def _array(self, key):
        if not isinstance(key, str) or key not in self.arrays:
            raise CheckpointError(f"{self.name}: the checkpoint refers to a missing tensor {key!r}")
        return self.arrays[key]

    def _list(self, node: dict, field: str) -> list:
        items = node[field]
        if not isinstance(items, list):
            raise self._damaged(f"{field!r} holds {type(items).__name__}, not a list")
        return items

    def _share_counter(self, key: str, t: Tensor) -> Tensor:
        t._version_counter = self.counters.setdefault(key, t._get_version_counter())
        return t

    def _view(self, node: dict) -> Tensor:
        """``{"view": key, "offset", "shape", "stride"}``: elements of the array ``key``, every
        one of them inside it (the last sits at offset + Σ (size_i − 1)·stride_i)."""
        key = node["view"]
        array = self._array(key)
        offset, shape, stride = node.get("offset"), node.get("shape"), node.get("stride")
        if not (
            _is_int(offset)
            and offset >= 0
            and isinstance(shape, list)
            and isinstance(stride, list)
            and len(shape) == len(stride) <= 64
            and all(_is_int(n) and n >= 0 for n in shape)
            and all(_is_int(s) and s >= 0 for s in stride)
        ):
            raise self._damaged(
                f"a view of {key!r:.80} has offset {offset!r:.20}, shape {shape!r:.80} and "
                f"stride {stride!r:.80}"
            )
        last = offset + sum((n - 1) * s for n, s in zip(shape, stride))
        if 0 not in shape and (last >= array.size or math.prod(shape) >= 2**63):
            raise self._damaged(
                f"a view of shape {shape}, stride {stride} at offset {offset} reaches element "
                f"{last} of {key!r:.80}, which has {array.size}"
            )
        storage = self.storages.get(key)
        if storage is None:
            storage = self.storages[key] = self._share_counter(key, Tensor._make(array))
        try:
            with grad_mode.enable_grad():  # recorded as a view: in-place ops on it work as on one
                return storage.as_strided(shape, stride, offset)
        except RuntimeError:  # a dtype as_strided does not handle (bfloat16): a plain window
            itemsize = array.itemsize
            start = array.reshape(-1)[min(offset, array.size) :]
            view = B.as_strided(start, tuple(shape), tuple(s * itemsize for s in stride))
            t = self._share_counter(key, Tensor._make(view))
            t._base = storage
            return t

    def _tensor(self, node: dict) -> Tensor:
        if "view" in node:
            t = self._view(node)
        else:
            key = node["tensor"]
            t = self._share_counter(key, Tensor._make(self._array(key)))
        requires_grad = node.get("requires_grad", False)
        if not isinstance(requires_grad, bool):
            raise self._damaged(f"requires_grad is {requires_grad!r:.40}")
        if requires_grad and not t.is_floating_point():
            raise self._damaged(f"a {t.dtype} tensor cannot require gradients")
        if node.get("parameter", False) is not False:
            if node["parameter"] is not True:
                raise self._damaged(f"parameter is {node['parameter']!r:.40}")
            t = Parameter(t, requires_grad)
        elif requires_grad:
            t.requires_grad_(True)  # a view that requires grad is its own leaf (storage_offset 0)
        if "id" in node:
            number = node["id"]
            if not _is_int(number) or number in self.memo:
                raise self._damaged(f"a tensor's id {number!r:.40} is not a new number")
            self.memo[number] = t
        return t

    def _ref(self, node: dict) -> Tensor:
        number = node["ref"]
        if not (_is_int(number) and number in self.memo):
            raise self._damaged(f"a reference to tensor {number!r:.40}, not one read before it")
        return self.memo[number]

    def _float(self, node: dict) -> float:
        text = node["float"]
        if text not in ("nan", "inf", "-inf"):
            raise self._damaged(f"{text!r} is not a non-finite float")
        return float(text)

    def _dict(self, node: dict) -> dict:
        kind = collections.OrderedDict if node.get("ordered") else dict
        out = kind()
        for item in self._list(node, "dict"):
            if not (isinstance(item, list) and len(item) == 2):
                raise self._damaged(f"a dict entry {item!r:.60} is not a [key, value] pair")
            key = self.decode(item[0])
            if not _is_hashable(key):
                raise self._damaged(f"a dict key of type {type(key).__name__}")
            out[key] = self.decode(item[1])
        if "attrs" in node:
            self._set_attributes(out, node["attrs"])
        return out

    def _set_attributes(self, out: dict, node) -> None:
        """An OrderedDict's attributes (``_metadata``): plain names only, never a dunder."""
        attributes = self.decode(node)
        if not isinstance(out, collections.OrderedDict) or type(attributes) is not dict:
            raise self._damaged("attributes on a dict that is not an OrderedDict, or not a dict")
        for name, value in attributes.items():
            if not (isinstance(name, str) and name.isidentifier() and not name.startswith("__")):
                raise self._damaged(f"an attribute named {name!r:.40}")
            setattr(out, name, value)

    def decode(self, node):
        """The Python object that ``node`` describes."""
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if isinstance(node, dict):
            if "tensor" in node or "view" in node:
                return self._tensor(node)
            if "ref" in node:
                return self._ref(node)
            if "ndarray" in node:
                return self._array(node["ndarray"])
            if "pickle" in node:
                return self._unpickle(node)
            if "float" in node:
                return self._float(node)
            if "tuple" in node:
                items = tuple(self.decode(v) for v in self._list(node, "tuple"))
                return Size(items) if node.get("size") is True else items
            if "dict" in node:
                return self._dict(node)
        raise self._damaged(f"unknown entry {node!r:.80}")


def _is_hashable(key) -> bool:
    if isinstance(key, tuple):
        return all(_is_hashable(k) for k in key)
    return key is None or isinstance(key, (bool, int, float, str))


def _describe_foreign(raw: bytes) -> str:
    if raw[:2] == b"PK":
        return " It looks like a zip archive, but not one written by torch.save."
    if raw[:1] == b"\x80":
        return (
            " It looks like a pickle, but not one written by torch.save: gradiente does not "
            "unpickle arbitrary pickles (unpickling can run arbitrary code)."
        )
    return ""


def _read_header(raw: bytes, name: str) -> tuple[dict, int]:
    """The safetensors JSON header and where the data start: 8 bytes of little-endian length
    ``n``, then ``n`` bytes of JSON, then the tensors' bytes."""
    problem = None
    if len(raw) < 8:
        problem = f"it has only {len(raw)} bytes"
    else:
        n = int.from_bytes(raw[:8], "little")
        if n > min(_MAX_HEADER, len(raw) - 8):
            problem = f"its header claims {n} bytes but the file has {len(raw)} in all"
        else:
            try:
                header = _parse_json(raw[8 : 8 + n], name, "its header")
            except CheckpointError as error:
                problem = str(error).removeprefix(f"{name}: ")
            else:
                if isinstance(header, dict):
                    return header, 8 + n
                problem = "its header is not a JSON object"
    raise CheckpointError(
        f"{name}: not a gradiente/safetensors checkpoint, or a truncated one: {problem}."
        + _describe_foreign(raw)
    )


def _check_entry(key: str, info, name: str, size: int) -> tuple:
    """(begin, end, dtype, shape) of one header entry, each field checked."""
    where = f"{name}: tensor {key!r:.80} in the header"
    if not isinstance(info, dict):
        raise CheckpointError(f"{where} is {type(info).__name__}, not an object")
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if not (isinstance(dtype, str) and dtype in _DTYPES):
        known = ", ".join(_DTYPES)
        raise CheckpointError(f"{where} has dtype {dtype!r:.40}; readable dtypes: {known}")
    if not (isinstance(shape, list) and all(_is_int(s) and s >= 0 for s in shape)):
        raise CheckpointError(f"{where} has shape {shape!r:.80}, not a list of sizes >= 0")
    if not (
        isinstance(offsets, list)
        and len(offsets) == 2
        and all(_is_int(o) for o in offsets)
        and 0 <= offsets[0] <= offsets[1] <= size
    ):
        raise CheckpointError(
            f"{where} has data_offsets {offsets!r:.80}, not [begin, end] within the "
            f"{size} bytes of data (a truncated file?)"
        )
    dtype = xp.dtype(_DTYPES[dtype])
    nbytes = math.prod(shape) * dtype.itemsize
    if offsets[1] - offsets[0] != nbytes:
        raise CheckpointError(
            f"{where}: shape {shape} of {dtype.name} needs {nbytes} bytes but its offsets hold "
            f"{offsets[1] - offsets[0]}"
        )
    return offsets[0], offsets[1], dtype, tuple(shape)


def _read_tensors(raw: bytes, header: dict, start: int, name: str) -> dict:
    """The header's tensors as NumPy arrays (native byte order, writable copies).

    As the safetensors format requires, the tensors' byte ranges tile the data section exactly:
    sorted by offset, each begins where the previous one ended, and the last ends the file.
    """
    size = len(raw) - start
    entries = sorted(
        (*_check_entry(key, info, name, size), key)
        for key, info in header.items()
        if key != "__metadata__"
    )
    position = 0
    for begin, end, _, _, key in entries:
        if begin != position:
            overlap = "overlaps the previous one" if begin < position else "leaves a gap"
            raise CheckpointError(f"{name}: the data of tensor {key!r:.80} {overlap}")
        position = end
    if position != size:
        raise CheckpointError(
            f"{name}: the tensors hold {position} bytes but the file has {size} bytes of data "
            "(truncated or padded)"
        )
    arrays = {}
    for begin, end, dtype, shape, key in entries:
        count = (end - begin) // dtype.itemsize
        flat = xp.frombuffer(raw, dtype=dtype, count=count, offset=start + begin)
        # native byte order; bfloat16 keeps ml_dtypes' own dtype object (ops test identity)
        native = B.BF16 if dtype == B.BF16 else dtype.newbyteorder("=")
        arrays[key] = flat.reshape(shape).astype(native)
    return arrays


def _read_structure(metadata, name: str):
    """gradiente's nested structure from ``__metadata__`` (None for a plain safetensors file)."""
    if metadata is None:
        return None
    if not (
        isinstance(metadata, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    ):
        raise CheckpointError(f"{name}: __metadata__ is not a map of strings to strings")
    if _STRUCTURE_KEY not in metadata:
        return None
    structure = _parse_json(metadata[_STRUCTURE_KEY], name, "the checkpoint's structure")
    if not (isinstance(structure, dict) and "root" in structure):
        raise CheckpointError(f"{name}: the checkpoint's structure is damaged (no root)")
    version = structure.get("version")
    if not _is_int(version):
        raise CheckpointError(
            f"{name}: the checkpoint's format version {version!r:.40} is not a number"
        )
    if version > _FORMAT_VERSION:
        raise CheckpointError(
            f"{name}: written by a newer gradiente (format {version}; this one reads up to "
            f"{_FORMAT_VERSION})"
        )
    return structure["root"]


def _target_device(map_location):
    """The device that ``map_location`` (None, a device or its name, a dict or a function)
    puts the loaded tensors on. Files hold host copies, so tensors load on the CPU unless it
    names a device: a dict maps "cpu" (the stored location) to one; a function is given CPU
    storages and keeps them there."""
    if map_location is None or callable(map_location):
        return "cpu"
    if isinstance(map_location, dict):
        return map_location.get("cpu", "cpu")
    return map_location


def _moved(obj, target, memo=None):
    """``obj`` (what ``load`` decoded) with every tensor moved to ``target``: a tensor met
    twice is moved once, Parameters stay Parameters and an OrderedDict keeps its attributes
    (tensors sharing memory on the host each get their own copy there)."""
    memo = {} if memo is None else memo
    if isinstance(obj, Tensor):
        if id(obj) not in memo:
            moved = obj.to(target)
            if isinstance(obj, Parameter):
                moved = Parameter(moved.detach(), obj.requires_grad)
            elif moved is not obj:
                moved = moved.detach().requires_grad_(obj.requires_grad)
            memo[id(obj)] = moved
        return memo[id(obj)]
    if isinstance(obj, list):
        return [_moved(v, target, memo) for v in obj]
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_moved(v, target, memo) for v in obj)
    if isinstance(obj, dict):
        out = type(obj)() if isinstance(obj, collections.OrderedDict) else {}
        for k, v in obj.items():
            out[k] = _moved(v, target, memo)
        for name, value in getattr(obj, "__dict__", {}).items():
            setattr(out, name, _moved(value, target, memo))
        return out
    return obj


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **kwargs):
    """Load what ``save`` or the real ``torch.save`` wrote (or any safetensors file of supported
    dtypes) from ``f``.

    ``f`` is a path or a binary file object. A plain safetensors file without gradiente's
    structure (e.g. from ``safetensors.torch.save_file``) loads as a flat dict of tensors.
    Pickled objects (``save(model, path)``) load only with ``weights_only=False``, through
    ``pickle_module`` (default ``pickle``). Files hold host copies (``save`` copies CUDA
    tensors to the host), so tensors load on the CPU — also those saved from a GPU, which
    torch would put back there — unless ``map_location`` names a device: ``"cuda"``,
    ``device("cuda:0")``, or a dict mapping ``"cpu"`` to one (a function is given CPU storages
    and keeps them); ``mmap`` and the other arguments of ``torch.load`` are accepted and
    ignored.

    A file of the real ``torch.save`` (zip or legacy format) loads as in torch: tensors that
    viewed one storage view one array again, Parameters are ``nn.Parameter``s, and
    ``map_location`` follows torch (None: where each storage was saved, e.g. "cuda:0"; a dict
    from saved locations to others; a device; a function ``f(storage, location)``). With
    ``weights_only=True`` (the default) its pickle may name only the globals a checkpoint of
    tensors needs (and those of ``add_safe_globals``): any other raises
    ``pickle.UnpicklingError`` naming the file and the global, before anything runs.
    ``weights_only=False`` trusts the file, as torch does: any global is imported (``torch.X``
    ones from ``gradiente.X``), so only use it for files from a trusted source.

    A file that is not a readable checkpoint (foreign, truncated, damaged, crafted) raises
    ``CheckpointError`` (a ``RuntimeError`` and a ``ValueError``) naming the file.
    """
    target = _device(_target_device(map_location))
    _check_device(target)  # a missing device fails before the file is read
    if hasattr(f, "read"):
        name, raw = str(getattr(f, "name", f)), f.read()
    else:
        name = os.fspath(f)
        with open(name, "rb") as file:
            raw = file.read()
    if torch_format.is_torch_zip(raw) or torch_format.is_torch_legacy(raw, name):
        try:
            return torch_format.load_torch(
                raw, name, map_location, weights_only is not False, _safe_global_map()
            )
        except torch_format.TorchFormatError as error:
            raise CheckpointError(str(error)) from None
    header, start = _read_header(raw, name)
    arrays = _read_tensors(raw, header, start, name)
    root = _read_structure(header.get("__metadata__"), name)
    if root is None:
        loaded = {key: Tensor._make(arrays[key]) for key in header if key != "__metadata__"}
    else:
        loaded = _Decoder(arrays, name, weights_only is not False, pickle_module).decode(root)
    return loaded if target.type == "cpu" else _moved(loaded, target)
