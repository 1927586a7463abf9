"""DataLoader and default_collate: batch counts, shuffling, torch's order and torch's collation."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import collections

import numpy as np
import pytest

import gradiente
from gradiente.data import (
    DataLoader,
    Dataset,
    IterableDataset,
    SequentialSampler,
    TensorDataset,
    default_collate,
    default_convert,
    random_split,
)

torch = pytest.importorskip("torch")


def _xy(n=50, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 1, 4, 4)).astype(np.float32), np.arange(n, dtype=np.int64)


def _ours(x, y):
    return TensorDataset(gradiente.from_numpy(x), gradiente.from_numpy(y))


def _torchs(x, y):
    return torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))


class Samples(Dataset):
    """A generic map-style dataset returning (image, label) pairs: the non-fast path."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __getitem__(self, i):
        return gradiente.from_numpy(self.x[i]), int(self.y[i])

    def __len__(self):
        return len(self.y)


def _labels(loader):
    return np.concatenate([batch[1].numpy() for batch in loader])


@pytest.mark.parametrize("n,batch_size", [(50, 8), (48, 8), (7, 10), (1, 1)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_counts(n, batch_size, drop_last):
    loader = DataLoader(_ours(*_xy(n)), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    expected = n // batch_size if drop_last else -(-n // batch_size)
    assert len(loader) == len(batches) == expected
    sizes = [len(b[0]) for b in batches]
    assert all(s == batch_size for s in sizes[:-1])
    if batches and drop_last:
        assert sizes[-1] == batch_size
    ref = torch.utils.data.DataLoader(_torchs(*_xy(n)), batch_size=batch_size, drop_last=drop_last)
    assert len(ref) == len(loader)


def test_sequential_batches_have_the_right_content_and_dtypes():
    x, y = _xy(10)
    xb, yb = next(iter(DataLoader(_ours(x, y), batch_size=4)))
    assert xb.shape == (4, 1, 4, 4) and xb.dtype == gradiente.float32
    assert yb.dtype == gradiente.int64
    np.testing.assert_array_equal(xb.numpy(), x[:4])
    np.testing.assert_array_equal(yb.numpy(), y[:4])


def test_shuffle_covers_every_index_once_and_is_reproducible():
    x, y = _xy(50)
    loader = DataLoader(_ours(x, y), batch_size=8, shuffle=True)
    gradiente.manual_seed(0)
    first, second = _labels(loader), _labels(loader)
    assert sorted(first) == sorted(second) == list(range(50))
    assert not np.array_equal(first, second)  # a new order each epoch
    gradiente.manual_seed(0)
    assert np.array_equal(_labels(loader), first)
    seeded = DataLoader(
        _ours(x, y), batch_size=8, shuffle=True, generator=gradiente.Generator().manual_seed(7)
    )
    again = DataLoader(
        _ours(x, y), batch_size=8, shuffle=True, generator=gradiente.Generator().manual_seed(7)
    )
    assert np.array_equal(_labels(seeded), _labels(again))
    # the images travel with their labels
    xb, yb = next(iter(seeded))
    np.testing.assert_array_equal(xb.numpy(), x[yb.numpy()])


@pytest.mark.parametrize("with_generator", [False, True])
@pytest.mark.parametrize("seed", [0, 1234])
def test_shuffled_order_equals_torch(with_generator, seed):
    x, y = _xy(100)
    gradiente.manual_seed(seed)
    torch.manual_seed(seed)
    kw_ours = {"generator": gradiente.Generator().manual_seed(seed + 1)} if with_generator else {}
    kw_ref = {"generator": torch.Generator().manual_seed(seed + 1)} if with_generator else {}
    ours = DataLoader(_ours(x, y), batch_size=16, shuffle=True, **kw_ours)
    ref = torch.utils.data.DataLoader(_torchs(x, y), batch_size=16, shuffle=True, **kw_ref)
    for _ in range(3):  # several epochs: the generators must advance alike
        for (xb, yb), (xr, yr) in zip(ours, ref, strict=True):
            np.testing.assert_array_equal(yb.numpy(), yr.numpy())
            np.testing.assert_array_equal(xb.numpy(), xr.numpy())
    assert gradiente.rand(4).tolist() == torch.rand(4).tolist()


def test_generic_dataset_order_equals_torch_and_fast_path():
    x, y = _xy(40)
    gradiente.manual_seed(9)
    torch.manual_seed(9)
    slow = list(DataLoader(Samples(x, y), batch_size=6, shuffle=True))
    ref = list(
        torch.utils.data.DataLoader(
            [(torch.from_numpy(x[i]), int(y[i])) for i in range(40)], batch_size=6, shuffle=True
        )
    )
    gradiente.manual_seed(9)
    fast = list(DataLoader(_ours(x, y), batch_size=6, shuffle=True))
    for (xs, ys), (xf, yf), (xr, yr) in zip(slow, fast, ref, strict=True):
        np.testing.assert_array_equal(ys.numpy(), yr.numpy())
        np.testing.assert_array_equal(yf.numpy(), yr.numpy())
        np.testing.assert_array_equal(xs.numpy(), xr.numpy())
        np.testing.assert_array_equal(xf.numpy(), xr.numpy())
        assert ys.dtype == yf.dtype == gradiente.int64


def test_tensor_dataset_batches_are_one_gather(monkeypatch):
    def no_items(self, index):
        raise AssertionError("the fast path must not call __getitem__ per sample")

    x, y = _xy(30)
    ds = _ours(x, y)
    train, _ = random_split(ds, [20, 10], generator=gradiente.Generator().manual_seed(0))
    monkeypatch.setattr(TensorDataset, "__getitem__", no_items)
    xb, yb = next(iter(DataLoader(train, batch_size=20)))
    np.testing.assert_array_equal(yb.numpy(), train.indices)
    np.testing.assert_array_equal(xb.numpy(), x[train.indices])


def test_batch_size_equal_to_the_dataset_gives_one_batch():
    x, y = _xy(37)
    batches = list(DataLoader(_ours(x, y), batch_size=37, shuffle=True))
    assert len(batches) == 1 and batches[0][0].shape == (37, 1, 4, 4)
    assert sorted(batches[0][1].tolist()) == list(range(37))


def test_tensors_that_require_grad_keep_their_graph():
    w = gradiente.ones(6, 2, requires_grad=True)
    (xb,) = next(iter(DataLoader(TensorDataset(w * 3), batch_size=4)))
    assert xb.requires_grad
    xb.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[:, 0], [3, 3, 3, 3, 0, 0])


def test_batch_size_none_and_custom_collate_and_batch_sampler():
    x, y = _xy(5)
    items = list(DataLoader(_ours(x, y), batch_size=None))
    assert len(items) == 5 and items[2][1].item() == 2 and items[2][0].shape == (1, 4, 4)
    loader = DataLoader(_ours(x, y), batch_size=2, collate_fn=lambda batch: len(batch))
    assert list(loader) == [2, 2, 1]
    loader = DataLoader(_ours(x, y), batch_sampler=[[4, 0], [1]])
    assert [b[1].tolist() for b in loader] == [[4, 0], [1]]


def test_iterable_dataset():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(7))

        def __len__(self):
            return 7

    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(DataLoader(Stream(), batch_size=3, drop_last=True)) == 2
    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3, drop_last=True)] == [
        [0, 1, 2],
        [3, 4, 5],
    ]
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(Stream(), shuffle=True)


def test_argument_errors_like_torch():
    ds = _ours(*_xy(4))
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=SequentialSampler(ds), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_size=2, batch_sampler=[[0, 1]])
    with pytest.raises(ValueError, match="drop_last"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)
    loader = DataLoader(ds)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3


def test_utils_data_is_the_same_api():
    import gradiente.utils.data as ud

    assert ud.DataLoader is DataLoader and gradiente.utils.data.TensorDataset is TensorDataset


# ---------------------------------------------------------------------------------------------
# default_collate against torch's
# ---------------------------------------------------------------------------------------------

Point = collections.namedtuple("Point", ["x", "label"])


def _samples(lib):
    """The same list of nested samples built with gradiente or torch tensors."""
    rng = np.random.default_rng(1)
    out = []
    for i in range(3):
        arr = rng.standard_normal((2, 3))
        out.append(
            {
                "image": lib.from_numpy(arr.astype(np.float32)),
                "pair": (i, float(i) / 3),
                "flags": [bool(i % 2), np.int32(i), np.float64(i) * 0.5],
                "name": f"s{i}",
                "raw": arr,
                "point": Point(lib.from_numpy(np.arange(i, i + 2)), i),
                "nested": {"a": [lib.from_numpy(np.array(i, dtype=np.int16))]},
            }
        )
    return out


def _to_plain(obj):
    """Tensors (either library) → ('tensor', dtype name, array); containers recursively."""
    if isinstance(obj, gradiente.Tensor) or isinstance(obj, torch.Tensor):
        return ("tensor", str(obj.dtype).replace("torch.", ""), obj.numpy().tolist())
    if isinstance(obj, dict):
        return {k: _to_plain(v) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return (type(obj).__name__, [_to_plain(v) for v in obj])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [_to_plain(v) for v in obj])
    return obj


def test_default_collate_matches_torch_on_nested_samples():
    ours = default_collate(_samples(gradiente))
    ref = torch.utils.data.default_collate(_samples(torch))
    assert _to_plain(ours) == _to_plain(ref)


@pytest.mark.parametrize(
    "batch",
    [
        [1, 2, 3],
        [1.5, 2.0],
        [True, False],
        [1, 2.5],
        ["a", "b"],
        [b"x", b"y"],
        [np.float32(1.5), np.float32(2)],
        [np.arange(3, dtype=np.uint8), np.arange(3, dtype=np.uint8)],
        [(1, 2.0), (3, 4.0)],
        [[1, 2], [3, 4]],
    ],
)
def test_default_collate_matches_torch_on_simple_batches(batch):
    assert _to_plain(default_collate(batch)) == _to_plain(torch.utils.data.default_collate(batch))


def test_default_collate_errors_like_torch():
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([None, None])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_default_convert_matches_torch():
    sample = {
        "a": np.arange(3, dtype=np.int16),
        "b": (np.float32(2.5), 1, "s"),
        "c": [np.array(["x"]), np.bool_(True)],
    }
    ours, ref = default_convert(sample), torch.utils.data.default_convert(sample)
    assert _to_plain({k: v for k, v in ours.items() if k != "c"}) == _to_plain(
        {k: v for k, v in ref.items() if k != "c"}
    )
    assert ours["c"][0] is sample["c"][0]  # string arrays stay arrays, as in torch
    assert _to_plain(ours["c"][1]) == _to_plain(ref["c"][1])


class _Frozen(collections.abc.Mapping):
    """A read-only mapping whose constructor takes no dict: collation falls back to a dict."""

    def __init__(self, a, b):
        self._items = {"a": a, "b": b}

    def __getitem__(self, key):
        return self._items[key]

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)


@pytest.mark.parametrize(
    "make",
    [
        lambda i: collections.UserDict(a=np.int64(i), b=[i, 2 * i]),
        lambda i: collections.OrderedDict(a=np.int64(i), b=[i, 2 * i]),
        lambda i: collections.UserList([np.int64(i), float(i)]),
        lambda i: collections.deque([np.int64(i), float(i)]),
        lambda i: _Frozen(np.int64(i), i),
    ],
)
def test_collate_and_convert_keep_the_container_type_as_torch(make):
    for ours, ref in [
        (default_collate([make(0), make(1)]), torch.utils.data.default_collate([make(0), make(1)])),
        (default_convert(make(3)), torch.utils.data.default_convert(make(3))),
    ]:
        assert type(ours) is type(ref)
        plain_ours = dict(ours) if isinstance(ref, collections.abc.Mapping) else list(ours)
        plain_ref = dict(ref) if isinstance(ref, collections.abc.Mapping) else list(ref)
        assert _to_plain(plain_ours) == _to_plain(plain_ref)


# ---------------------------------------------------------------------------------------------
# Workers: their random state is torch's
# ---------------------------------------------------------------------------------------------


class _RandomItems:
    """A dataset whose items are random draws (like random augmentations) and the worker id."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 10

    def __getitem__(self, i):
        import random

        info = self.lib.utils.data.get_worker_info()
        worker = -1 if info is None else info.id
        noise = self.lib.rand(2) + i
        return noise, self.lib.randint(0, 100, ()), random.randint(0, 1000), worker


@pytest.mark.parametrize(
    "kwargs",
    [
        {"num_workers": 2},
        {"num_workers": 3, "worker_init_fn": True},
        {"num_workers": 2, "persistent_workers": True},
    ],
)
def test_worker_random_state_equals_torch(kwargs):
    out = {}
    for lib in (gradiente, torch):
        options = dict(kwargs)
        if options.pop("worker_init_fn", False):
            options["worker_init_fn"] = lambda w, lib=lib: lib.manual_seed(lib.initial_seed() + 7)
        lib.manual_seed(3)
        loader = lib.utils.data.DataLoader(
            _RandomItems(lib), batch_size=3, shuffle=True, multiprocessing_context="fork", **options
        )
        out[lib.__name__] = [
            (x.tolist(), r.tolist(), p.tolist(), w.tolist())
            for _ in range(2)
            for x, r, p, w in loader
        ] + [lib.rand(1).item()]
    assert out["gradiente"] == out["torch"]
    assert gradiente.utils.data.get_worker_info() is None
