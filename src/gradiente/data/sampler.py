"""Samplers: the order in which a ``DataLoader`` visits a dataset's indices, and its batches.

The random samplers draw exactly what PyTorch's draw, from the same generators, so that after
``gradiente.manual_seed(s)`` a shuffled ``DataLoader`` visits the samples in the same order as
torch's after ``torch.manual_seed(s)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from gradiente import random as _random
from gradiente.backend import xp
from gradiente.tensor import Tensor, as_tensor

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
]


class Sampler:
    """Base class: a sampler is an iterable of dataset indices (or of lists of indices)."""

    def __init__(self, data_source=None) -> None:
        pass

    def __iter__(self) -> Iterator:
        raise NotImplementedError


_CHUNK = 1 << 16  # indices per array when a sampler hands them out in pieces


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def _index_chunks(self) -> Iterator:
        """The indices as int64 arrays of at most ``_CHUNK`` (for the loader's batch slicing)."""
        n = len(self.data_source)
        for start in range(0, n, _CHUNK):
            yield xp.arange(start, min(start + _CHUNK, n), dtype=xp.int64)

    def __len__(self) -> int:
        return len(self.data_source)


def _fresh_generator(generator: _random.Generator | None) -> _random.Generator:
    """The generator a random sampler shuffles with, as torch's ``RandomSampler`` picks it.

    Without a generator, torch draws a seed from the default generator
    (``torch.empty((), dtype=torch.int64).random_()``: one 64-bit word modulo 2**63) and seeds a
    new generator with it, so the default generator advances by one draw per epoch.
    """
    if generator is not None:
        return generator
    seed = int(_random.random_((), xp.int64))
    return _random.Generator().manual_seed(seed)


class RandomSampler(Sampler):
    """Indices in random order: a fresh permutation each epoch, or draws with replacement.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw ``num_samples`` indices independently (with repeats) if True.
        num_samples: how many indices per epoch (default ``len(data_source)``); without
            replacement, more than ``len`` chains several permutations.
        generator: the generator to draw from; by default a new one seeded from the default
            generator at the start of each epoch (torch's rule).
    """

    def __init__(
        self,
        data_source,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: _random.Generator | None = None,
    ) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={self.replacement}"
            )
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got "
                f"num_samples={self.num_samples}"
            )

    @property
    def num_samples(self) -> int:
        """The number of indices per epoch."""
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def _index_chunks(self) -> Iterator:
        """One epoch's indices as int64 arrays, drawn lazily and exactly as torch draws them.

        With replacement, torch asks for ``randint(0, n, (32,))`` blocks and one final block of
        ``num_samples % 32``; without, whole ``randperm(n)`` permutations and a cut last one.
        Drawn one block at a time, so ``num_samples=10**10`` costs nothing up front (as in torch).
        """
        n = len(self.data_source)
        gen = _fresh_generator(self.generator)
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield _random.randint(0, n, (32,), xp.int64, gen)
            yield _random.randint(0, n, (self.num_samples % 32,), xp.int64, gen)
        else:
            for _ in range(self.num_samples // n):
                yield _random.randperm(n, xp.int64, gen)
            yield _random.randperm(n, xp.int64, gen)[: self.num_samples % n]

    def __iter__(self) -> Iterator[int]:
        # a generator, so that (as in torch) nothing is drawn before the first index is asked for
        for chunk in self._index_chunks():
            yield from chunk.tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order: ``indices[randperm(len(indices))]``.

    Unlike ``RandomSampler``, torch draws the permutation straight from ``generator`` (the
    default generator when None), without seeding a new one.
    """

    def __init__(self, indices: Sequence[int], generator: _random.Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        order = _random.randperm(len(self.indices), xp.int64, self.generator)
        for i in order.tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


def _multinomial(weights, num_samples: int, replacement: bool, generator) -> list[int]:
    """``torch.multinomial(weights, num_samples, replacement, generator)`` for a 1-D float64
    array of weights, drawing exactly what torch's CPU kernel draws.

    Without replacement (or for one sample) torch takes the ``num_samples`` largest of
    ``w_i / q_i`` with ``q_i ~ Exp(1)`` (the Gumbel-top-k trick, ``q`` one exponential per
    category). With replacement it draws one uniform ``u`` per sample and returns the first
    category whose normalised cumulative weight reaches ``u``.
    """
    if not xp.isfinite(weights).all() or (weights < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if not weights.sum() > 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > weights.size:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    if not replacement and num_samples > int((weights > 0).sum()):
        raise RuntimeError(
            "invalid multinomial distribution (with replacement=False, not enough non-negative "
            "category to sample)"
        )
    if not replacement or num_samples == 1:
        q = _random.exponential(weights.shape, xp.float64, 1.0, generator)
        keys = weights / q
        # topk order: largest first (a stable sort of the negated keys keeps ties in order)
        return xp.argsort(-keys, kind="stable")[:num_samples].tolist()
    cumulative = xp.cumsum(weights)
    cumulative /= cumulative[-1]
    cumulative[-1] = 1.0
    u = _random.uniform((num_samples,), xp.float64, 0.0, 1.0, generator)
    return xp.searchsorted(cumulative, u, side="left").tolist()


class WeightedRandomSampler(Sampler):
    """Indices ``0..len(weights)-1`` drawn with probabilities proportional to ``weights``.

    ``torch.multinomial(weights, num_samples, replacement)`` once per epoch, so that a
    class-imbalanced dataset can be sampled evenly (weight each sample by 1 / its class count).

    Args:
        weights: one non-negative weight per index (need not sum to 1).
        num_samples: how many indices per epoch.
        replacement: draw with repeats (the default) or without.
        generator: the generator to draw from (the default generator when None).
    """

    def __init__(
        self,
        weights,
        num_samples: int,
        replacement: bool = True,
        generator: _random.Generator | None = None,
    ) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={num_samples}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        weights = as_tensor(weights._data if isinstance(weights, Tensor) else weights)
        weights = weights.double()
        if weights.ndim != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape "
                f"{tuple(weights.shape)}"
            )
        self.weights = weights
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        yield from _multinomial(
            self.weights._data, self.num_samples, self.replacement, self.generator
        )

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of ``batch_size`` (the last may be shorter).

    With ``drop_last=True`` a final incomplete batch is dropped, so there are
    ``len(sampler) // batch_size`` batches; otherwise ``ceil(len(sampler) / batch_size)``.
    """

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def _array_batches(self) -> Iterator | None:
        """The same batches as int64 arrays, sliced from one array of the epoch's indices.

        Only for the samplers defined here (their ``_index_chunks`` draw exactly what their
        ``__iter__`` draws); None for any other sampler. Lazy, like ``__iter__``: nothing is
        drawn before the first batch is asked for.
        """
        if type(self.sampler) not in (SequentialSampler, RandomSampler):
            return None
        return self._slices()

    def _slices(self) -> Iterator:
        pending, count = [], 0  # index arrays not yet handed out, and how many indices
        for chunk in self.sampler._index_chunks():
            pending.append(chunk)
            count += len(chunk)
            if count < self.batch_size:
                continue
            indices = xp.concatenate(pending)
            full = len(indices) - len(indices) % self.batch_size
            for start in range(0, full, self.batch_size):
                yield indices[start : start + self.batch_size]
            pending, count = [indices[full:]], len(indices) - full
        if count and not self.drop_last:
            yield xp.concatenate(pending)

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
