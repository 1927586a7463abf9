"""The ``DataLoader``: iterate over a dataset in (shuffled) mini-batches, collated into tensors.

A loader combines three parts: a sampler (which indices, in which order), a batch sampler
(groups of ``batch_size`` indices) and a collate function (a list of samples → one batch of
tensors). The semantics are PyTorch's ``torch.utils.data.DataLoader``.

Workers: with ``num_workers > 0`` torch loads batches in worker processes, each seeded with
``base_seed + worker_id`` and loading every ``num_workers``-th batch. gradiente loads in this
process, but simulates the workers' random state: each has its own default-generator and
``random`` state, seeded as torch seeds its workers, so that random transforms in
``__getitem__`` draw the same numbers as under torch (and ``get_worker_info()`` answers as it
would in the worker).

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
import itertools
import random
import re
import warnings
from collections.abc import Callable, Iterator

from gradiente import cuda
from gradiente import random as _random
from gradiente.backend import float64, xp
from gradiente.data.dataset import Dataset, IterableDataset, Subset, TensorDataset
from gradiente.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from gradiente.tensor import Tensor, as_tensor, stack, tensor

__all__ = ["DataLoader", "WorkerInfo", "default_collate", "default_convert", "get_worker_info"]

_COLLATE_ERROR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)
_STRING_OR_OBJECT = re.compile(r"[SaUO]")  # NumPy dtype codes that cannot become tensors


class WorkerInfo:
    """What ``get_worker_info()`` returns inside a loader worker: its ``id``, ``num_workers``,
    its ``seed`` and its copy of the ``dataset``."""

    def __init__(self, id: int, num_workers: int, seed: int, dataset) -> None:
        self.id = id
        self.num_workers = num_workers
        self.seed = seed
        self.dataset = dataset

    def __repr__(self) -> str:
        return (
            f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
            f"dataset={self.dataset})"
        )


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The current loader worker's ``WorkerInfo`` while a worker loads data, else None."""
    return _worker_info


class _Workers:
    """A loader's worker processes, simulated in this process (see the module's docstring).

    Worker w starts as torch's does: ``random.seed(base_seed + w)``,
    ``torch.manual_seed(base_seed + w)``, then ``worker_init_fn(w)``; batch k of an epoch is
    loaded by worker ``k % num_workers``, with that worker's random state swapped in.
    """

    def __init__(self, loader: DataLoader, base_seed: int) -> None:
        self.states = []
        for w in range(loader.num_workers):
            seed = base_seed + w
            info = WorkerInfo(w, loader.num_workers, seed, loader.dataset)
            state = _random.Generator().manual_seed(seed).get_state()
            self.states.append([info, state, random.Random(seed).getstate()])
            if loader.worker_init_fn is not None:
                self.run(w, loader.worker_init_fn, w)

    def run(self, w: int, fn: Callable, *args):
        """``fn(*args)`` with worker ``w``'s random state and worker info in place."""
        global _worker_info
        info, state, py_state = self.states[w]
        main_state, main_py_state = _random.get_rng_state(), random.getstate()
        _random.set_rng_state(state)
        random.setstate(py_state)
        _worker_info = info
        try:
            return fn(*args)
        finally:
            self.states[w][1], self.states[w][2] = _random.get_rng_state(), random.getstate()
            _random.set_rng_state(main_state)
            random.setstate(main_py_state)
            _worker_info = None


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


def default_collate(batch: list):
    """Merge a list of samples into a batch, like ``torch.utils.data.default_collate``.

    - tensors → one stacked tensor with a new first dimension;
    - NumPy arrays → stacked tensors; NumPy scalars → a tensor of their dtype;
    - Python ints → int64 (bools → bool), floats → float64, strings and bytes → kept as a list;
    - dicts → a dict of collated values; namedtuples → the same namedtuple type;
    - tuples and lists → a list of collated columns (``[(x, y), ...]`` → ``[X, Y]``).
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _collate_tensors(batch)
    if isinstance(elem, xp.ndarray):
        if _STRING_OR_OBJECT.search(elem.dtype.str) is not None:
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        return _collate_tensors([as_tensor(b) for b in batch])
    if isinstance(elem, (xp.bool_, xp.number, xp.object_)):
        return as_tensor(xp.asarray(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=float64)
    if isinstance(elem, int):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        columns = {key: default_collate([d[key] for d in batch]) for key in elem}
        return _same_container(elem, columns)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch, strict=True)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(list(s)) for s in zip(*batch, strict=True)]
        if isinstance(elem, tuple):
            return columns  # torch returns tuples of columns as a list
        return _same_container(elem, columns)
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


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
                "prefetch_factor option could only be specified in multiprocessing. Let "
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
            n = len(self.dataset)
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
        self._batch_size = loader.batch_size
        self._drop_last = loader.drop_last
        self._iterable = isinstance(loader.dataset, IterableDataset)
        self._sampler_iter = iter(loader._index_sampler)
        self._workers, self._batches = None, 0
        if loader.persistent_workers and loader._workers is not None:
            self._workers = loader._workers  # torch draws no new base seed for them
        else:
            # torch draws this seed for its workers even with num_workers=0: keep the stream
            # aligned
            self._base_seed = int(_random.random_((), xp.int64, generator=loader.generator))
            if loader.num_workers > 0 and not self._iterable:
                self._workers = _Workers(loader, self._base_seed)
                if loader.persistent_workers:
                    loader._workers = self._workers
        self._dataset_iter = iter(loader.dataset) if self._iterable else None
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
        if not self._auto_collation:
            return self._collate_fn(next(self._dataset_iter))
        batch = list(itertools.islice(self._dataset_iter, self._batch_size))
        if not batch or (self._drop_last and len(batch) < self._batch_size):
            raise StopIteration
        return self._collate_fn(batch)
