"""DataLoader workers over an IterableDataset: each worker iterates its own copy, as torch's."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import math
import random
import warnings

import numpy as np
import pytest

import gradiente

torch = pytest.importorskip("torch")

LIBS = (gradiente, torch)


def _plain(batch):
    """A batch as nested Python lists and numbers, for comparing across libraries."""
    if isinstance(batch, (gradiente.Tensor, torch.Tensor)):
        return batch.tolist()
    if isinstance(batch, (list, tuple)):
        return [_plain(b) for b in batch]
    if isinstance(batch, dict):
        return {k: _plain(v) for k, v in batch.items()}
    return batch


def _stream(lib, mode, start=0, end=7):
    """An IterableDataset of ``range(start, end)`` in one of torch's documented styles.

    mode "plain": no sharding (every worker yields everything); "shard": the docs' recipe in
    ``__iter__`` (contiguous slices per worker); "stride": worker w yields every
    num_workers-th item from w; "uneven": worker 0 yields two times as many items.
    """

    class Stream(lib.utils.data.IterableDataset):
        def __init__(self):
            self.start, self.end = start, end

        def __iter__(self):
            info = lib.utils.data.get_worker_info()
            lo, hi = self.start, self.end
            if info is None or mode == "plain":
                return iter(range(lo, hi))
            if mode == "shard":
                per_worker = int(math.ceil((hi - lo) / float(info.num_workers)))
                lo = lo + info.id * per_worker
                return iter(range(lo, min(lo + per_worker, hi)))
            if mode == "stride":
                return iter(range(lo + info.id, hi, info.num_workers))
            return iter(range(lo, hi if info.id == 0 else (lo + hi) // 2))

        def __len__(self):
            return self.end - self.start

    return Stream()


def _epoch(lib, dataset, **options):
    lib.manual_seed(0)
    loader = lib.utils.data.DataLoader(dataset, multiprocessing_context="fork", **options)
    return [_plain(batch) for batch in loader]


@pytest.mark.parametrize("mode", ["plain", "shard", "stride", "uneven"])
@pytest.mark.parametrize("batch_size", [None, 1, 2, 3])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("num_workers", [2, 3])
def test_iterable_batches_and_order_equal_torch(mode, batch_size, drop_last, num_workers):
    if batch_size is None and drop_last:
        pytest.skip("drop_last needs automatic batching")
    out = [
        _epoch(
            lib,
            _stream(lib, mode),
            batch_size=batch_size,
            drop_last=drop_last,
            num_workers=num_workers,
        )
        for lib in LIBS
    ]
    assert out[0] == out[1]


def test_unsharded_dataset_is_yielded_once_per_worker():
    assert _epoch(gradiente, _stream(gradiente, "plain", 0, 4), num_workers=2) == [
        [0], [0], [1], [1], [2], [2], [3], [3]
    ]  # fmt: skip
    assert _epoch(gradiente, _stream(gradiente, "shard", 0, 6), batch_size=2, num_workers=2) == [
        [0, 1], [3, 4], [2], [5]
    ]  # fmt: skip


def _init_fn_recipe(lib):
    """The docs' second recipe: ``worker_init_fn`` narrows each worker's copy of the dataset."""

    def worker_init_fn(worker_id):
        info = lib.utils.data.get_worker_info()
        assert info.id == worker_id
        dataset = info.dataset  # the copy in this worker
        overall_start, overall_end = dataset.start, dataset.end
        per_worker = int(math.ceil((overall_end - overall_start) / float(info.num_workers)))
        dataset.start = overall_start + worker_id * per_worker
        dataset.end = min(dataset.start + per_worker, overall_end)

    return worker_init_fn


@pytest.mark.parametrize("batch_size", [1, 2, 4])
@pytest.mark.parametrize("persistent_workers", [False, True])
def test_worker_init_fn_sharding_recipe_equals_torch(batch_size, persistent_workers):
    out = []
    for lib in LIBS:
        dataset = _stream(lib, "plain", 3, 10)
        lib.manual_seed(0)
        loader = lib.utils.data.DataLoader(
            dataset,
            batch_size=batch_size,
            num_workers=2,
            worker_init_fn=_init_fn_recipe(lib),
            persistent_workers=persistent_workers,
            multiprocessing_context="fork",
        )
        epochs = [[_plain(b) for b in loader] for _ in range(2)]
        out.append((epochs, dataset.start, dataset.end))  # the main copy is untouched
    assert out[0] == out[1]


def _info_stream(lib):
    class InfoStream(lib.utils.data.IterableDataset):
        def __init__(self):
            self.tag = "main"

        def __iter__(self):
            info = lib.utils.data.get_worker_info()
            yield (
                info.id,
                info.num_workers,
                info.seed,
                type(info).__name__,
                info.dataset is not self,  # False: the worker's dataset is the one iterated
                info.dataset.tag,
                info.rng,
                info.worker_method,
            )

    return InfoStream()


def test_worker_info_fields_equal_torch():
    out = []
    for lib in LIBS:
        lib.manual_seed(5)
        loader = lib.utils.data.DataLoader(
            _info_stream(lib), batch_size=None, num_workers=3, multiprocessing_context="fork"
        )
        out.append(list(loader))
        assert lib.utils.data.get_worker_info() is None
    assert out[0] == out[1]


def test_worker_info_is_frozen_and_dataset_is_a_copy():
    dataset = _stream(gradiente, "plain", 0, 2)
    infos = []
    worker_init = lambda w: infos.append(gradiente.utils.data.get_worker_info())  # noqa: E731
    list(gradiente.utils.data.DataLoader(dataset, num_workers=2, worker_init_fn=worker_init))
    assert [i.id for i in infos] == [0, 1]
    assert infos[0].dataset is not dataset and infos[0].dataset is not infos[1].dataset
    with pytest.raises(AttributeError):
        infos[0].id = 3
    reference = torch.utils.data._utils.worker.WorkerInfo(
        id=0, num_workers=2, seed=infos[0].seed, dataset=dataset
    )
    assert repr(infos[0]).replace(repr(infos[0].dataset), "D") == repr(reference).replace(
        repr(dataset), "D"
    )


def _random_stream(lib):
    class RandomStream(lib.utils.data.IterableDataset):
        def __iter__(self):
            for _ in range(3):
                yield (
                    lib.rand(2).tolist(),
                    lib.randint(0, 1000, ()).item(),
                    random.random(),
                    np.random.rand(),
                )

    return RandomStream()


@pytest.mark.parametrize("persistent_workers", [False, True])
def test_worker_random_streams_equal_torch(persistent_workers):
    out = []
    for lib in LIBS:
        lib.manual_seed(11)
        loader = lib.utils.data.DataLoader(
            _random_stream(lib),
            batch_size=None,
            num_workers=2,
            persistent_workers=persistent_workers,
            multiprocessing_context="fork",
        )
        epochs = [list(loader) for _ in range(2)]
        out.append((epochs, lib.rand(1).item()))
    assert out[0] == out[1]


def test_too_many_batches_warn_as_torch():
    messages = []
    for lib in LIBS:
        loader = lib.utils.data.DataLoader(
            _stream(lib, "plain", 0, 3), num_workers=2, multiprocessing_context="fork"
        )
        assert len(loader) == 3
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert len(list(loader)) == 6
        texts = [str(w.message) for w in caught if "Length of IterableDataset" in str(w.message)]
        messages.append([t.split(" was reported")[1] for t in texts])
    assert messages[0] == messages[1] and len(messages[0]) == 3


def test_errors_in_a_worker_reach_the_caller():
    class Broken(gradiente.utils.data.IterableDataset):
        def __iter__(self):
            raise ValueError("broken stream")

    with pytest.raises(ValueError, match="broken stream"):
        list(gradiente.utils.data.DataLoader(Broken(), num_workers=2))
