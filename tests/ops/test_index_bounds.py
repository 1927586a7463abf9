"""Index arithmetic compared with PyTorch: negative starts, ``...`` between integers, and the
bounds each indexing op accepts (some count negatives from the end, some refuse them)."""

import os

import numpy as np
import pytest

import gradiente

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
torch = pytest.importorskip("torch")

X6 = [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
V3 = [1.0, 2.0, 3.0]

PROGRAMS = {
    "narrow negative start": lambda M: M.tensor(X6).narrow(0, -1, 1),
    "narrow whole from -n": lambda M: M.tensor(X6).narrow(0, -3, 3),
    "narrow start below -n": lambda M: M.tensor(X6).narrow(0, -4, 1),
    "narrow past the end": lambda M: M.tensor(X6).narrow(0, 1, 3),
    "narrow empty at the end": lambda M: M.tensor(X6).narrow(1, 2, 0),
    "ellipsis then two ints": lambda M: M.arange(14.0).reshape(1, 2, 1, 7)[0, ..., 0, 3],
    "ellipsis then negative": lambda M: M.arange(14.0).reshape(1, 2, 1, 7)[..., 0, -1],
    "ellipsis then out of bounds": lambda M: M.arange(14.0).reshape(1, 2, 1, 7)[0, ..., 5, 3],
    "None around ellipsis": lambda M: M.arange(14.0).reshape(1, 2, 1, 7)[0, None, ..., None, 0, 3],
    "setitem after ellipsis": lambda M: _setitem(M, (0, ..., 0, 3)),
    "index_add negative": lambda M: M.tensor(V3).index_add_(0, M.tensor([-1]), M.tensor([10.0])),
    "index_add past the end": lambda M: M.tensor(V3).index_add(0, M.tensor([3]), M.tensor([1.0])),
    "index_copy negative": lambda M: M.tensor(V3).index_copy(0, M.tensor([-1]), M.tensor([1.0])),
    "index_fill negative": lambda M: M.tensor(V3).index_fill(0, M.tensor([-1]), 10.0),
    "index_select negative": lambda M: M.tensor(V3).index_select(0, M.tensor([-1])),
    "index_select past the end": lambda M: M.tensor(V3).index_select(0, M.tensor([3])),
    "scatter negative": lambda M: M.tensor(V3).scatter(0, M.tensor([-1]), M.tensor([10.0])),
    "scatter_add past the end": lambda M: M.tensor(V3).scatter_add(
        0, M.tensor([3]), M.tensor([10.0])
    ),
    "gather negative": lambda M: M.tensor(V3).gather(0, M.tensor([-1])),
    "take negative": lambda M: M.tensor(V3).take(M.tensor([-1])),
    "advanced index negative": lambda M: M.tensor([V3])[:, M.tensor([-1, 0])],
    "advanced index past the end": lambda M: M.tensor(V3)[M.tensor([3])],
    # PyTorch applies integers before advanced indices (NumPy would move the result dims)
    "int, slice, tensor": lambda M: M.arange(24.0).reshape(2, 3, 4)[-1, :, M.tensor([2, -1, 0])],
    "None, int, slice, tensor": lambda M: M.arange(24.0).reshape(2, 3, 4)[
        None, 1, 0:2, M.tensor([0, 1])
    ],
    "setitem int, slice, tensor": lambda M: _setitem3(M, (-1, slice(None), M.tensor([2, 0]))),
    # a ``...`` standing for no dim does not separate two masks
    "masks around an empty ellipsis": lambda M: M.ones(2, 1, 1)[
        4:1, M.tensor([True]), ..., M.tensor([True])
    ],
    "mask of the wrong shape on an empty tensor": lambda M: M.ones(0, 0, 3)[
        ..., :3:3, None, M.tensor([], dtype=M.bool)
    ],
    "indices that broadcast to nothing are not bounds-checked": lambda M: _setitem_empty(M),
    "index_put needs equal dtypes": lambda M: _put(M, (M.tensor([0, 1]),), M.tensor([1.0, 2.0])),
    "one mask and one value converts": lambda M: _put(M, (M.tensor([True, False]),), M.tensor(2.0)),
    "one mask and many values needs equal dtypes": lambda M: _put(
        M, (M.tensor([True, True]),), M.tensor([1.0, 2.0])
    ),
    "a (1,) value into one element": lambda M: _put(M, (1,), M.tensor([5.0], dtype=M.float64)),
    "0-d mask result is writable": lambda M: _assign_0d(M),
    "empty integer remainder by zero": lambda M: M.remainder(M.tensor([], dtype=M.int64), 0),
}


def _setitem3(M, index):
    x = M.arange(24.0).reshape(2, 3, 4)
    x[index] = -1.0
    return x


def _setitem_empty(M):
    x = M.ones(0, 0)
    x[M.tensor([0]), M.tensor([], dtype=M.int64)] = 2.0
    return x


def _put(M, index, value):
    x = M.zeros(2, dtype=M.float64)
    x[index] = value
    return x


def _assign_0d(M):
    flag = M.isfinite(M.tensor(3.0))
    flag[()] = False
    return flag


def _setitem(M, index):
    x = M.arange(14.0).reshape(1, 2, 1, 7)
    x[index] = -1.0
    return x


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_matches_torch(name):
    results = []
    for M in (gradiente, torch):
        try:
            results.append(PROGRAMS[name](M))
        except (IndexError, RuntimeError) as error:
            results.append(error)
    got, want = results
    if isinstance(want, Exception):
        assert isinstance(got, type(want)), f"torch raised {want!r}, gradiente gave {got!r}"
        return
    assert not isinstance(got, Exception), f"torch gave {want}, gradiente raised {got!r}"
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_range_indices_read_and_write_like_torch():
    """mnist_forward_forward style: ``x[range(n), y] = v``."""
    results = []
    for M in (gradiente, torch):
        x = M.zeros(3, 4)
        x[range(3), M.tensor([1, 0, 3])] = 1.0
        results.append((x.tolist(), tuple(x[range(1, 3)].shape), tuple(x[:, range(2)].shape)))
    assert results[0] == results[1]
