"""The ``DataLoader``: iterate over a dataset in (shuffled) mini-batches, collated into tensors.

A loader combines three parts: a sampler (which indices, in which order), a batch sampler
(groups of ``batch_size`` indices) and a collate function (a list of samples → one batch of
tensors). The semantics are PyTorch's ``torch.utils.data.DataLoader``.

Workers: with ``num_workers > 0`` torch loads batches in worker processes, each seeded with
``base_seed + worker_id`` and loading every ``num_workers``-th batch. gradiente loads in this
process, but simulates the workers' random state: each has its own default-generator and
``random`` and NumPy state, seeded as torch seeds its workers, so that random transforms in
``__getitem__`` draw the same numbers as under torch (and ``get_worker_info()`` answers as it
would in the worker). An ``IterableDataset`` is copied into each worker, as torch's processes
hold copies: an unsharded stream comes once per worker, and the batches of the workers come in
turn, a worker leaving the rotation when its copy is exhausted — torch's order. An exception
raised in a worker (in ``__getitem__``, the collate function or ``worker_init_fn``) comes as
torch passes it on: the same type, its message ``Caught ValueError in DataLoader worker process
0.`` followed by the original traceback.

Speed: when the dataset is a ``TensorDataset`` (or a ``Subset`` of one) and the collate function
is the default, a batch is one fancy-index gather per tensor, ``x._data[indices]``, instead of
``batch_size`` calls to ``__getitem__`` followed by a stack — the same result, far less Python.

Pinned memory: with ``pin_memory=True`` and a CUDA device, each batch's tensors are pinned
(``Tensor.pin_memory``), as torch does so that copies to the GPU can overlap computation.
Without an accelerator it is a no-op with torch's warning (batches come as they are);
``pin_memory_device`` is accepted with torch's deprecation warning (the current device is used).
"""

from __future__ import annotations

import collections.abc
import copy
import dataclasses
import itertools
import random
import re
import traceback
import warnings
from collections.abc import Callable, Iterator

from gradiente import cuda
from gradiente import random as _random
from gradiente.backend import float64, xp
from gradiente.data.dataset import Dataset, IterableDataset, Subset, TensorDataset
from gradiente.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from gradiente.tensor import Tensor, as_tensor, stack, tensor

__all__ = [
    "DataLoader",
    "WorkerInfo",
    "collate",
    "default_collate",
    "default_collate_fn_map",
    "default_convert",
    "get_worker_info",
]

_COLLATE_ERROR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)
_STRING_OR_OBJECT = re.compile(r"[SaUO]")  # NumPy dtype codes that cannot become tensors


@dataclasses.dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a loader worker: its ``id``, ``num_workers``,
    its ``seed`` and its copy of the ``dataset`` (torch's frozen dataclass: fields cannot be
    reassigned, though the dataset itself may be changed, e.g. in ``worker_init_fn``)."""

    id: int
    num_workers: int
    seed: int
    dataset: Dataset
    rng: object = None
    worker_method: str | None = "multiprocessing"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The current loader worker's ``WorkerInfo`` while a worker loads data, else None."""
    return _worker_info


def _numpy_seed(base_seed: int, worker_id: int) -> list[int]:
    """The four 32-bit words torch seeds NumPy's global generator with in worker ``worker_id``
    (``torch.utils.data._utils.worker._generate_state``: NumPy's SeedSequence hash of
    ``[worker_id, base_seed low word, base_seed high word, 0]``), so that ``np.random`` in a
    dataset draws torch's numbers and differs from worker to worker."""
    mask = 0xFFFFFFFF
    hash_const = 0x43B0D7E5

    def hash32(value: int) -> int:
        nonlocal hash_const
        value = (value ^ hash_const) & mask
        hash_const = (hash_const * 0x931E8875) & mask
        value = (value * hash_const) & mask
        return value ^ (value >> 16)

    def mix(x: int, y: int) -> int:
        result = ((0xCA01F9DD * x) - (0x4973F715 * y)) & mask
        return result ^ (result >> 16)

    pool = [hash32(v) for v in (worker_id, base_seed & mask, base_seed >> 32, 0)]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = mix(pool[dst], hash32(pool[src]))
    state, const_b = [], 0x8B51F9DD
    for value in pool:
        value ^= const_b
        const_b = (const_b * 0x58F38DED) & mask
        value = (value * const_b) & mask
        state.append(value ^ (value >> 16))
    return state


def _worker_copy(dataset):
    """The dataset as a worker process holds it: its own copy, as torch's forked or spawned
    workers do, so that state an ``IterableDataset`` keeps (or ``worker_init_fn`` sets on
    ``get_worker_info().dataset``) is the worker's own. A dataset that cannot be deep-copied
    (one holding an open file, say) is copied shallowly."""
    try:
        return copy.deepcopy(dataset)
    except Exception:
        return copy.copy(dataset)


class _StreamFetcher:
    """Reads batches from one iterator over an ``IterableDataset`` (torch's
    ``_IterableDatasetFetcher``): ``batch_size`` samples at a time; a short last batch is
    kept unless ``drop_last``; once the stream has ended, every fetch raises StopIteration."""

    def __init__(self, dataset, batch_size: int | None, drop_last: bool, collate_fn) -> None:
        self.iterator = iter(dataset)
        self.batch_size, self.drop_last, self.collate_fn = batch_size, drop_last, collate_fn
        self.ended = False

    def fetch(self):
        if self.ended:
            raise StopIteration
        if self.batch_size is None:  # automatic batching off: one sample at a time
            return self.collate_fn(next(self.iterator))
        data = list(itertools.islice(self.iterator, self.batch_size))
        if len(data) < self.batch_size:
            self.ended = True
        if not data or (self.drop_last and len(data) < self.batch_size):
            raise StopIteration
        return self.collate_fn(data)


class _Workers:
    """A loader's worker processes, simulated in this process (see the module's docstring).

    Worker w starts as torch's does: ``random.seed(base_seed + w)``,
    ``torch.manual_seed(base_seed + w)``, NumPy's global generator seeded from
    ``(base_seed, w)``, then ``worker_init_fn(w)``; each runs with its own random state and
    ``WorkerInfo`` swapped in. A map-style dataset is shared (read by index, it needs no copy);
    an ``IterableDataset`` is copied into each worker, which iterates its own copy.
    """

    def __init__(self, loader: DataLoader, base_seed: int) -> None:
        self.iterable = isinstance(loader.dataset, IterableDataset)
        self.states = []
        for w in range(loader.num_workers):
            seed = base_seed + w
            dataset = _worker_copy(loader.dataset) if self.iterable else loader.dataset
            info = WorkerInfo(id=w, num_workers=loader.num_workers, seed=seed, dataset=dataset)
            state = _random.Generator().manual_seed(seed).get_state()
            np_state = xp.random.RandomState(_numpy_seed(base_seed, w)).get_state()
            self.states.append([info, state, random.Random(seed).getstate(), np_state])
            if loader.worker_init_fn is not None:
                self.run(w, loader.worker_init_fn, w)
        self.fetchers: list[_StreamFetcher] = []

    def start_epoch(self, loader: DataLoader) -> None:
        """Each worker starts iterating its copy of an ``IterableDataset`` (again, for
        persistent workers), with its random state in place."""
        self.fetchers = [
            self.run(
                w,
                _StreamFetcher,
                state[0].dataset,
                loader.batch_size,
                loader.drop_last,
                loader.collate_fn,
            )
            for w, state in enumerate(self.states)
        ]

    def run(self, w: int, fn: Callable, *args):
        """``fn(*args)`` with worker ``w``'s random state and worker info in place."""
        global _worker_info
        info, state, py_state, np_state = self.states[w]
        main_state, main_py_state = _random.get_rng_state(), random.getstate()
        main_np_state = xp.random.get_state()
        _random.set_rng_state(state)
        random.setstate(py_state)
        xp.random.set_state(np_state)
        _worker_info = info
        try:
            return fn(*args)
        except StopIteration:
            raise  # the end of a worker's stream, not an error
        except Exception as error:
            _reraise_from_worker(error, w)
        finally:
            self.states[w][1:] = [_random.get_rng_state(), random.getstate(), xp.random.get_state()]
            _random.set_rng_state(main_state)
            random.setstate(main_py_state)
            xp.random.set_state(main_np_state)
            _worker_info = None


class _KeyErrorMessage(str):
    """A message that a KeyError prints as it is: KeyError shows ``repr`` of its argument, which
    would turn the traceback's line breaks into ``\\n`` (torch's ``KeyErrorMessage``)."""

    def __repr__(self) -> str:
        return self


def _reraise_from_worker(error: Exception, worker_id: int):
    """Raise ``error`` as torch does when it comes from a worker process: the same type, with
    the message ``Caught <Type> in DataLoader worker process <id>.`` followed by the original
    traceback (torch's ``ExceptionWrapper.reraise``); a type that cannot be made from a message
    becomes a RuntimeError."""
    original = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    message = (
        f"Caught {type(error).__name__} in DataLoader worker process {worker_id}.\n"
        f"Original {original}"
    )
    if isinstance(error, KeyError):
        message = _KeyErrorMessage(message)
    try:
        wrapped = type(error)(message)
    except Exception:
        raise RuntimeError(message) from None
    raise wrapped from None


# ---------------------------------------------------------------------------------------------
# Collation
# ---------------------------------------------------------------------------------------------


def _collate_tensors(batch: list[Tensor]) -> Tensor:
    """Stack same-shaped tensors along a new first dimension (``torch.stack(batch, 0)``)."""
    arrays = [t._data for t in batch]
    first = arrays[0]
    plain = not any(t._requires_grad for t in batch)
    if plain and all(a.dtype == first.dtype and a.shape == first.shape for a in arrays):
        return Tensor._make(xp.stack(arrays))
    return stack(batch)  # promotes dtypes, tracks gradients, and raises torch's size error


def _collate_tensor_fn(batch, *, collate_fn_map=None) -> Tensor:
    """Tensors → one tensor stacked along a new first dimension."""
    return _collate_tensors(batch)


def _collate_numpy_array_fn(batch, *, collate_fn_map=None):
    """NumPy arrays → tensors, then collated as tensors (string and object arrays refused)."""
    if _STRING_OR_OBJECT.search(batch[0].dtype.str) is not None:
        raise TypeError(_COLLATE_ERROR.format(batch[0].dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def _collate_numpy_scalar_fn(batch, *, collate_fn_map=None) -> Tensor:
    """NumPy scalars → a 1-D tensor of their dtype."""
    return as_tensor(xp.asarray(batch))


def _collate_float_fn(batch, *, collate_fn_map=None) -> Tensor:
    """Python floats → a float64 tensor (Python floats are doubles)."""
    return tensor(batch, dtype=float64)


def _collate_int_fn(batch, *, collate_fn_map=None) -> Tensor:
    """Python ints → an int64 tensor (bools → a bool tensor)."""
    return tensor(batch)


def _collate_str_fn(batch, *, collate_fn_map=None):
    """Strings and bytes stay as they came: the list or tuple of them."""
    return batch


default_collate_fn_map: dict = {
    Tensor: _collate_tensor_fn,
    xp.ndarray: _collate_numpy_array_fn,
    (xp.bool_, xp.number, xp.object_): _collate_numpy_scalar_fn,
    float: _collate_float_fn,
    int: _collate_int_fn,
    str: _collate_str_fn,
    bytes: _collate_str_fn,
}
"""The element types ``default_collate`` knows, and how each is collated (torch's
``torch.utils.data._utils.collate.default_collate_fn_map``; extend it, or pass a copy to
``collate``, to teach collation a new type)."""


def collate(batch, *, collate_fn_map: dict | None = None):
    """Collate ``batch`` (a sequence of samples) by the type of its first element.

    A type in ``collate_fn_map`` (looked up exactly, then by ``isinstance`` in the map's
    order) is collated by its function; containers are collated column by column:

    - a mapping → the same mapping type of collated values;
    - a namedtuple → the same namedtuple of collated fields;
    - a tuple → a *list* of collated columns (``[(x, y), ...]`` → ``[X, Y]``, torch's
      backwards-compatible choice); any other sequence → the same sequence type.

    The columns are the tuples of ``zip(*batch)``, so a column of strings comes back as a tuple
    of strings, exactly as in torch.
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        columns = {
            key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem
        }
        return _same_container(elem, columns)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(
            *(collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch, strict=False))
        )
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch, strict=False)]
        if isinstance(elem, tuple):
            return columns  # torch returns tuples of columns as a list
        return _same_container(elem, columns)
    raise TypeError(_COLLATE_ERROR.format(elem_type))


def default_collate(batch):
    """Merge a list of samples into a batch, like ``torch.utils.data.default_collate``.

    - tensors → one stacked tensor with a new first dimension;
    - NumPy arrays → stacked tensors; NumPy scalars → a tensor of their dtype;
    - Python ints → int64 (bools → bool), floats → float64, strings and bytes → kept as they
      come (a column of strings is a tuple);
    - dicts → a dict of collated values; namedtuples → the same namedtuple type;
    - tuples → a list of collated columns, other sequences → the same sequence type.
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


def _same_container(like, items):
    """``items`` (a dict or a list) in a container of ``like``'s type, as torch rebuilds them: a
    mutable mapping or sequence is copied and its entries replaced (a subclass keeps its other
    attributes), any other type is called on ``items``; a type that refuses gets ``items``."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)
            clone.update(items)
            return clone
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(like)(items)
    except TypeError:
        return items


def default_convert(data):
    """Turn NumPy arrays in a sample into tensors, leaving everything else as it is.

    The collate function used when automatic batching is off (``batch_size=None``).
    """
    if isinstance(data, xp.ndarray):
        if _STRING_OR_OBJECT.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, (xp.bool_, xp.number)):
        return as_tensor(xp.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _same_container(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _same_container(data, [default_convert(d) for d in data])
    return data


# ---------------------------------------------------------------------------------------------
# The loader
# ---------------------------------------------------------------------------------------------


class _InfiniteConstantSampler(Sampler):
    """The sampler of an ``IterableDataset``: the dataset itself decides what comes next."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


class DataLoader:
    """Iterate over ``dataset`` in mini-batches (PyTorch's ``DataLoader``).

    Args:
        dataset: a map-style ``Dataset`` (``__getitem__`` + ``__len__``) or an
            ``IterableDataset``.
        batch_size: samples per batch; ``None`` turns automatic batching off (each sample is
            only converted with ``default_convert``).
        shuffle: visit the samples in a new random order every epoch (a ``RandomSampler``).
        sampler: a custom order of indices (exclusive with ``shuffle``).
        batch_sampler: a custom sampler of index lists (exclusive with ``batch_size``,
            ``shuffle``, ``sampler`` and ``drop_last``).
        num_workers: how many worker processes torch would use; gradiente loads in this process
            but gives each simulated worker torch's random state (see the module's docstring).
        persistent_workers: keep the workers (and their random state) from epoch to epoch.
        collate_fn: merges a list of samples into a batch (default: ``default_collate``).
        pin_memory: pin each batch's tensors when a CUDA device is available (a no-op with
            torch's warning without one; see the module's docstring).
        pin_memory_device: deprecated in torch, accepted with its warning.
        drop_last: drop the last batch if it is smaller than ``batch_size``.
        generator: the generator for the shuffling and the per-epoch base seed.

    Randomness matches torch: each epoch first draws a base seed from ``generator`` (the
    default generator when None) and then the sampler draws its own.
    """

    _FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset")

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | None = None,
        batch_sampler: Sampler | None = None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable | None = None,
        multiprocessing_context=None,
        generator: _random.Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable "
                "multiprocessing."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                # torch's words, its missing space included
                "prefetch_factor option could only be specified in multiprocessing.let "
                "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
            )
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            for name, value in (("shuffle", shuffle), ("sampler", sampler)):
                if value not in (None, False):
                    raise ValueError(
                        f"DataLoader with IterableDataset: expected unspecified {name} option, "
                        f"but got {name}={value}"
                    )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                    f"but got batch_sampler={batch_sampler}"
                )
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )
        if sampler is None:
            if iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn or (
            default_collate if batch_sampler is not None else default_convert
        )
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._workers = None  # the persistent workers, once the first epoch has started them
        self._IterableDataset_len_called = None  # len(dataset) once len(loader) was asked
        self._initialized = True

    def __setattr__(self, name, value) -> None:
        if getattr(self, "_initialized", False) and name in self._FROZEN:
            raise ValueError(
                f"{name} attribute should not be set after {type(self).__name__} is initialized"
            )
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self) -> Iterator:
        return _LoaderIterator(self)

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            n = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                full, rest = divmod(n, self.batch_size)
                n = full if self.drop_last or rest == 0 else full + 1
            return n
        return len(self._index_sampler)


def _tensor_gather(dataset):
    """For a ``TensorDataset`` or nested ``Subset`` of one: (its arrays, index maps), else None.

    The index maps are the subsets' indices as int64 arrays, outermost first, so a batch of
    indices ``i`` becomes ``arrays[k][maps[-1][...maps[0][i]]]``.
    """
    maps = []
    while isinstance(dataset, Subset):
        indices = dataset.indices
        indices = indices._data if isinstance(indices, Tensor) else indices
        maps.append(xp.asarray(indices, dtype=xp.int64))
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset:
        return None
    if any(t._requires_grad for t in dataset.tensors):
        return None  # keep the autograd graph: go through __getitem__ and stack
    return [t._data for t in dataset.tensors], maps


def _pinning(loader: DataLoader) -> bool:
    """Whether this epoch pins its batches: ``pin_memory=True`` and a CUDA device (torch's
    warnings for a deprecated ``pin_memory_device`` and for a machine without accelerator)."""
    if not loader.pin_memory:
        return False
    if loader.pin_memory_device:
        warnings.warn(
            "pin_memory_device is deprecated, the current accelerator will be used as the "
            f"device,ignore pin_memory_device='{loader.pin_memory_device}'.",
            stacklevel=4,
        )
    if not cuda.is_available():
        warnings.warn(
            "'pin_memory' argument is set as true but no accelerator is found, then device "
            "pinned memory won't be used.",
            stacklevel=4,
        )
        return False
    return True


def pin_memory(data):
    """``data`` with every tensor in it pinned (torch's ``pin_memory`` of a batch): mappings,
    named tuples, tuples and lists are rebuilt, an object with its own ``pin_memory()`` method
    (a custom batch class) is asked to pin itself, anything else is kept."""
    if isinstance(data, Tensor) or (
        callable(getattr(data, "pin_memory", None)) and not isinstance(data, type)
    ):
        return data.pin_memory()
    if isinstance(data, collections.abc.Mapping):
        return {key: pin_memory(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(pin_memory(item) for item in data))
    if isinstance(data, tuple | list):
        return type(data)(pin_memory(item) for item in data)
    return data


class _LoaderIterator:
    """One epoch over a ``DataLoader``: draws the base seed, then yields collated batches."""

    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._auto_collation = loader._auto_collation
        self._collate_fn = loader.collate_fn
        self._iterable = isinstance(loader.dataset, IterableDataset)
        self._sampler_iter = iter(loader._index_sampler)
        self._workers, self._batches = None, 0
        if loader.persistent_workers and loader._workers is not None:
            self._workers = loader._workers  # torch draws no new base seed for them
        else:
            # torch draws this seed for its workers even with num_workers=0: keep the stream
            # aligned
            self._base_seed = int(_random.random_((), xp.int64, generator=loader.generator))
            if loader.num_workers > 0:
                self._workers = _Workers(loader, self._base_seed)
                if loader.persistent_workers:
                    loader._workers = self._workers
        self._stream = None  # an IterableDataset read in this process
        if self._iterable and self._workers is not None:
            self._workers.start_epoch(loader)
            self._active = [True] * loader.num_workers
        elif self._iterable:
            batch_size = loader.batch_size if self._auto_collation else None
            self._stream = _StreamFetcher(
                loader.dataset, batch_size, loader.drop_last, loader.collate_fn
            )
        # torch warns when more batches come than len(dataloader) reported samples (if asked)
        self._length = loader._IterableDataset_len_called
        self._yielded = 0
        self._pin = _pinning(loader)
        self._gather = None
        if self._auto_collation and self._collate_fn is default_collate and not self._iterable:
            self._gather = _tensor_gather(loader.dataset)
        if self._gather is not None and type(loader.batch_sampler) is BatchSampler:
            # index arrays sliced from the epoch's permutation: no Python loop over indices
            self._sampler_iter = loader.batch_sampler._array_batches() or self._sampler_iter

    def __iter__(self) -> _LoaderIterator:
        return self

    def __next__(self):
        batch = self._next_batch()
        return pin_memory(batch) if self._pin else batch

    def _next_batch(self):
        if self._iterable:
            return self._next_streamed()
        index = next(self._sampler_iter)
        if self._gather is not None:
            arrays, maps = self._gather
            idx = xp.asarray(index, dtype=xp.int64)
            for m in maps:
                idx = m[idx]
            # take along axis 0 is x[idx] for a 1-D idx, and faster than fancy indexing
            return [Tensor._make(a.take(idx, axis=0)) for a in arrays]
        if self._workers is None:
            return self._fetch(index)
        worker = self._batches % len(self._workers.states)
        self._batches += 1
        return self._workers.run(worker, self._fetch, index)

    def _fetch(self, index):
        if self._auto_collation:
            getitems = getattr(self._dataset, "__getitems__", None)
            data = getitems(index) if callable(getitems) else [self._dataset[i] for i in index]
        else:
            data = self._dataset[index]
        return self._collate_fn(data)

    def _next_streamed(self):
        batch = self._stream.fetch() if self._stream is not None else self._next_from_workers()
        self._yielded += 1
        if self._length is not None and self._yielded > self._length:
            message = (
                f"Length of IterableDataset {self._dataset} was reported to be {self._length}"
                f"(when accessing len(dataloader)), but {self._yielded} samples have been "
                "fetched. "
            )
            if self._workers is not None:
                message += (
                    "For multiprocessing data-loading, this could be caused by not properly "
                    "configuring the IterableDataset replica at each worker. Please see "
                    "https://pytorch.org/docs/stable/data.html#torch.utils.data.IterableDataset "
                    "for examples."
                )
            warnings.warn(message, stacklevel=3)
        return batch

    def _next_from_workers(self):
        """The next batch from the workers, taken in turn (batch k from worker
        ``k % num_workers``, as torch's in-order loader receives them); a worker whose copy of
        the dataset is exhausted drops out of the rotation."""
        while any(self._active):
            w = self._batches % len(self._active)
            self._batches += 1
            if not self._active[w]:
                continue
            try:
                return self._workers.run(w, self._workers.fetchers[w].fetch)
            except StopIteration:
                self._active[w] = False
        raise StopIteration
