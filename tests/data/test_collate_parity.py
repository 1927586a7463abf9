"""default_collate / default_convert / collate, ChainDataset and StackDataset against torch."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import collections

import numpy as np
import pytest

import gradiente
from gradiente.data import loader as gradiente_collate

torch = pytest.importorskip("torch")
from torch.utils.data._utils import collate as torch_collate  # noqa: E402

LIBS = (gradiente, torch)
Point = collections.namedtuple("Point", "x y")


def _shape(obj, lib):
    """The nested container types and values of a collated batch, comparable across libs."""
    if isinstance(obj, lib.Tensor):
        return ("tensor", str(obj.dtype).split(".")[-1], tuple(obj.shape), obj.tolist())
    if isinstance(obj, dict):
        return (type(obj).__name__, {k: _shape(v, lib) for k, v in obj.items()})
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [_shape(v, lib) for v in obj])
    return (type(obj).__name__, obj)


BATCHES = {
    "tuples_with_strings": [([1, 2], "a"), ([3, 4], "b")],
    "mixed_fields": [(1, 2.5, "s", True), (3, 4.5, "t", False)],
    "lists_of_strings": [["a", "b"], ["c", "d"]],
    "strings": ["a", "b"],
    "bytes_fields": [(b"a", 1), (b"b", 2)],
    "bools": [True, False],
    "numpy_float32_arrays": [np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)],
    "numpy_int16_arrays": [np.arange(3, dtype=np.int16), np.arange(3, dtype=np.int16)],
    "numpy_uint8_arrays": [np.arange(3, dtype=np.uint8), np.arange(3, dtype=np.uint8)],
    "numpy_float32_scalars": [np.float32(1.5), np.float32(2)],
    "numpy_int32_scalars": [np.int32(1), np.int32(2)],
    "numpy_float64_scalars": [np.float64(1.5), np.float64(2)],
    "numpy_bools": [np.bool_(True), np.bool_(False)],
    "namedtuples": [Point(1, "x"), Point(2, "y")],
    "namedtuples_nested": [Point(np.array([1.0]), (1, "a")), Point(np.array([2.0]), (3, "b"))],
    "dicts": [{"a": 1, "b": ("x", 2.0)}, {"a": 2, "b": ("y", 3.0)}],
    "nested": [{"x": [np.array(1.0), {"k": "v"}]}, {"x": [np.array(2.0), {"k": "w"}]}],
    "ordered_dicts": [collections.OrderedDict(a=1.0), collections.OrderedDict(a=2.0)],
}


def _with_tensors(batch, lib):
    return [(lib.tensor([i, 2 * i]), label) for i, label in batch]


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_default_collate_types_and_values_equal_torch(name):
    batch = BATCHES[name]
    ours = gradiente.utils.data.default_collate(batch)
    ref = torch.utils.data.default_collate(batch)
    assert _shape(ours, gradiente) == _shape(ref, torch)


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_default_convert_equals_torch(name):
    batch = BATCHES[name]
    ours = gradiente.utils.data.default_convert(batch)
    ref = torch.utils.data.default_convert(batch)
    assert _shape(ours, gradiente) == _shape(ref, torch)


def test_tensors_with_string_labels_equal_torch():
    batch = [(1, "cat"), (2, "dog"), (3, "cat")]
    shapes = [
        _shape(lib.utils.data.default_collate(_with_tensors(batch, lib)), lib) for lib in LIBS
    ]
    assert shapes[0] == shapes[1]
    assert shapes[0][1][1] == ("tuple", [("str", "cat"), ("str", "dog"), ("str", "cat")])


def test_namedtuple_fields_of_unequal_length_are_cut_as_torch():
    batch = [Point([1, 2], 0), Point([3, 4, 5], 1)]  # zip cuts the longer field
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        torch.utils.data.default_collate(batch)
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        gradiente.utils.data.default_collate(batch)


def test_collate_errors_equal_torch():
    for batch in ([object(), object()], [np.array(["a"]), np.array(["b"])]):
        messages = []
        for lib in LIBS:
            with pytest.raises(TypeError) as caught:
                lib.utils.data.default_collate(batch)
            messages.append(str(caught.value).split(";")[0])
        assert messages[0] == messages[1]


def test_collate_fn_map_extends_collation_as_torch():
    class Box:
        def __init__(self, v):
            self.v = v

    def collate_box(batch, *, collate_fn_map):
        return sum(b.v for b in batch)

    out = []
    for module in (gradiente_collate, torch_collate):
        fn_map = dict(module.default_collate_fn_map)
        fn_map[Box] = collate_box
        batch = [{"b": Box(1), "s": "x"}, {"b": Box(2), "s": "y"}]
        out.append(module.collate(batch, collate_fn_map=fn_map))
    assert out[0] == out[1] == {"b": 3, "s": ["x", "y"]}  # a mapping's column is a list
    # without the map nothing is known: only containers are opened
    with pytest.raises(TypeError):
        gradiente_collate.collate([1, 2])


def _stream(lib, n):
    class Stream(lib.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(n))

        def __len__(self):
            return n

    return Stream()


def test_chain_dataset_equals_torch():
    out = []
    for lib in LIBS:
        chain = lib.utils.data.ChainDataset([_stream(lib, 2), _stream(lib, 3)])
        added = _stream(lib, 1) + _stream(lib, 2)
        loader = lib.utils.data.DataLoader(chain, batch_size=2)
        out.append(
            (
                list(chain),
                len(chain),
                type(added).__name__,
                list(added),
                [b.tolist() for b in loader],
            )
        )
        bad = lib.utils.data.ChainDataset([_stream(lib, 1), [1, 2]])
        with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
            list(bad)
        with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
            len(bad)
    assert out[0] == out[1]


class _Batched:
    """A dataset with ``__getitems__`` (counts its batched reads)."""

    def __init__(self):
        self.batched_reads = 0

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return i * 10

    def __getitems__(self, indices):
        self.batched_reads += 1
        return [i * 10 for i in indices]


def test_stack_dataset_equals_torch():
    out = []
    for lib in LIBS:
        tensors = lib.utils.data.TensorDataset(lib.arange(4.0))
        labels = ["a", "b", "c", "d"]
        pair = lib.utils.data.StackDataset(tensors, labels)
        named = lib.utils.data.StackDataset(x=tensors, y=labels, z=_Batched())
        batched = named.datasets["z"]
        items = (
            _shape(pair[1], lib),
            _shape(named[2], lib),
            _shape(pair.__getitems__([0, 3]), lib),
            _shape(named.__getitems__([1, 2]), lib),
            len(pair),
        )
        loaders = [
            [_shape(b, lib) for b in lib.utils.data.DataLoader(d, batch_size=3)]
            for d in (pair, named)
        ]
        out.append((items, loaders, batched.batched_reads))
        for args, kwargs, message in [
            ((tensors,), {"y": labels}, "Supported either"),
            ((), {}, "At least one dataset should be passed"),
            ((tensors, [1]), {}, "Size mismatch between datasets"),
        ]:
            with pytest.raises(ValueError, match=message):
                lib.utils.data.StackDataset(*args, **kwargs)
    assert out[0] == out[1]
